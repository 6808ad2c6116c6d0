"""pytest plugin: run the toolkit's compressor contract on YOUR compressor as parametrised tests.

Installed with theorytools (entry point ``pytest11``), so a user's test file needs no
conftest. Two forms:

* the helper :func:`compressor_contract`, assigned to a test name in a test module::

      from theorytools.pytest_plugin import compressor_contract
      test_ternary_contract = compressor_contract(Ternary(), dims=(1, 3, 8, 40))

* the marker, on a test that takes the ``contract_case`` fixture::

      @pytest.mark.compressor_contract(Ternary(), dims=(3, 8))
      def test_ternary(contract_case):
          contract_case.check()

Either way pytest collects one test per (dimension, part of the contract) with a readable id
such as ``test_ternary_contract[ternary-d=8-theory]``. The parts (``docs/testing.md``):

``theory``      unbiasedness (if declared) and every declared constant, exactly from
                ``law(x)``, on the adversarial inputs, the compressor's extremal inputs and
                the user's ``extremal`` inputs;
``tightness``   every constant declared tight is attained on an extremal input;
``codec``       ``decode(encode(x, s)) == compress(x, s)`` bit for bit and
                ``nbits <= bits_budget`` (shared mode too, if declared);
``sampler``     ``compress`` samples from ``law`` (Bernstein/Hoeffding at p_fail 1e-9;
                randomised compressors only);
``support``     sampled outputs are outcomes of the law (d <= 8);
``batch_kernel`` the simulator's batch kernel equals ``compress`` (only if one is declared).

A failing test prints every failed row: the check, the input, the measured and the declared
value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

PARTS = ("theory", "tightness", "codec", "sampler", "support", "batch_kernel")
MARKER = "compressor_contract"


@dataclass
class ContractCase:
    """One (compressor, dimension, part) of the contract; :meth:`check` runs it."""

    compressor: object
    d: int
    part: str
    extremal: dict
    sampler_samples: int = 3000

    @property
    def id(self):
        return f"{self.compressor.canonical_name}-d={self.d}-{self.part}"

    def results(self) -> list:
        """The contract rows (:class:`theorytools.compressors.contract.ContractResult`)."""
        from theorytools.compressors import contract as K
        from theorytools.compressors.base import Extremal
        from theorytools.errors import TheorytoolsError

        c, d = self.compressor, self.d
        theory = c.theory(d)
        user = [Extremal(name, np.asarray(x, dtype=np.float64), f"user extremal[{name}]")
                for name, xs in self.extremal.items() for x in xs if len(x) == d]
        if self.part == "theory":
            inputs = (K.adversarial_inputs(d)
                      + [(f"extremal[{e.constant}]", e.x) for e in c.extremal_inputs(d)]
                      + [(e.description, e.x) for e in user])
            rows = []
            for label, x in inputs:
                try:
                    c.validate(x)
                except TheorytoolsError:
                    continue
                if theory.in_no_class:
                    continue
                rows += K.check_theory_at(c, x, label)
            return rows + (K.check_no_class(c, d) if theory.in_no_class else [])
        if self.part == "tightness":
            if theory.in_no_class:
                return []
            rows = K.check_tightness(c, d)
            tol = K.tolerance(c)
            for e in user:
                const = theory.constants().get(e.constant)
                if const is None:
                    raise TheorytoolsError(f"extremal input for {e.constant!r}, which "
                                           f"{c.canonical_name} does not declare")
                q = K.exact_quantities(c, e.x)
                emp, theo, slack = K.constant_check(e.constant, const.value, q, tol)
                rows.append(K.ContractResult(f"tight:{e.constant}", c.canonical_name,
                                             e.description, emp, theo, abs(slack) <= tol,
                                             f"slack={slack:.3g}"))
            return rows
        if self.part == "codec":
            rows = []
            for label, x in K.adversarial_inputs(d):
                try:
                    c.validate(x)
                except TheorytoolsError:
                    continue
                rows += K.check_codec(c, x, label)
            return rows
        if self.part == "sampler":
            x = K.adversarial_inputs(d)[4][1]
            return K.check_sampler(c, x, "gaussian", self.sampler_samples)
        if self.part == "support":
            rows = []
            for label, x in K.adversarial_inputs(d):
                if d <= 8 and np.any(x):
                    try:
                        c.validate(x)
                    except TheorytoolsError:
                        continue
                    rows += K.check_support(c, x, label)
            return rows
        if self.part == "batch_kernel":
            return K.check_batch_kernel(c, d)
        raise ValueError(f"unknown contract part {self.part!r}; parts: {PARTS}")

    def check(self):
        """Run this part; on failure, ``pytest.fail`` with every failed row."""
        rows = self.results()
        failed = [r for r in rows if not r.passed]
        if failed:
            pytest.fail(f"{len(failed)} of {len(rows)} contract rows failed for {self.id}:\n"
                        + "\n".join(f"  {r}" for r in failed), pytrace=False)
        return rows


def contract_cases(compressor, *, dims=(1, 3, 8, 40), extremal=None, sampler_samples=3000,
                   parts=PARTS) -> list:
    """The :class:`ContractCase` list for ``compressor`` at each dimension (parts that cannot
    apply are left out: sampler/support for a deterministic compressor, support above d = 8,
    batch_kernel without a declared kernel)."""
    from theorytools.errors import TheorytoolsError

    if not hasattr(compressor, "theory") or not hasattr(compressor, "canonical_name"):
        raise TheorytoolsError(f"compressor_contract needs a theorytools Compressor (with "
                               f"theory(), law(), encode()); got {compressor!r}. For a plain "
                               "function use the assertions of theorytools.testing")
    bad = [p for p in parts if p not in PARTS]
    if bad:
        raise TheorytoolsError(f"parts: unknown {bad}; known: {PARTS}")
    cases = []
    for d in dims:
        for part in parts:
            if part in ("sampler", "support") and not compressor.randomized:
                continue
            if part == "support" and d > 8:
                continue
            if part == "batch_kernel" and compressor.batch_kernel(d) is None:
                continue
            cases.append(ContractCase(compressor, int(d), part, dict(extremal or {}),
                                      sampler_samples))
    return cases


def compressor_contract(compressor, *, dims=(1, 3, 8, 40), extremal=None,
                        sampler_samples=3000, parts=PARTS):
    """A parametrised pytest test function running the contract of ``compressor`` at each
    dimension in ``dims``; assign it to a ``test_...`` name in a test module.

    ``extremal``: ``{constant name: [x, ...]}``, user-given inputs on which a declared tight
    constant must be attained (each x of length d is used at dimension d).
    """
    cases = contract_cases(compressor, dims=dims, extremal=extremal,
                           sampler_samples=sampler_samples, parts=parts)

    @pytest.mark.parametrize("contract_case", cases, ids=[c.id for c in cases])
    def test_contract(contract_case):
        contract_case.check()

    return test_contract


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{MARKER}(compressor, dims=(1, 3, 8, 40), extremal=None, parts=...): run "
        "the theorytools compressor contract as parametrised tests (fixture contract_case)")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None or "contract_case" not in metafunc.fixturenames:
        return
    if not marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} needs the compressor as its argument")
    cases = contract_cases(marker.args[0], **marker.kwargs)
    metafunc.parametrize("contract_case", cases, ids=[c.id for c in cases])


__all__ = ["compressor_contract", "contract_cases", "ContractCase", "PARTS", "MARKER"]
