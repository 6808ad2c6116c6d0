"""Measured constants and bits of a compressor, next to the declared ones.

For each declared constant, the empirical worst case over a set of adversarial inputs
(:func:`~theorytools.compressors.contract.adversarial_inputs` plus the compressor's extremal
inputs), computed from the exact law (no sampling, so no confidence interval is needed: the
values are exact up to float64 rounding). The measured value of an upper-type constant
(omega, delta, beta, abs_variance) is the maximum over the inputs, of a lower-type constant
(alpha, gamma) the minimum. ``ratio = measured / declared`` is <= 1 for a valid upper-type
constant and >= 1 for a valid lower-type one; = 1 means the table is tight.

The exact law is computed by the compressor's own law code, so a fault in the SAMPLER
(``compress``, e.g. a wrong rounding probability in a kernel that the law does not share) is
invisible to the exact constants. The contract part of :func:`measure` therefore also ties
``compress`` to the law by Monte Carlo (:func:`~theorytools.compressors.contract.check_sampler`:
Bernstein and Hoeffding radii at false-failure probability 1e-9 per assertion, fixed seeds),
so that ``theorytools verify`` catches what the test suite's sampler test catches.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theorytools.compressors.contract import (adversarial_inputs, exact_quantities, run_contract,
                                              tolerance)
from theorytools.errors import TheorytoolsError

__all__ = ["ConstantMeasurement", "LOWER_TYPE", "Measurement", "SAMPLER_SAMPLES",
           "constant_value", "measure"]

LOWER_TYPE = ("b1_alpha", "b2_gamma")


def constant_value(name: str, q) -> float:
    """The constant's own quantity at one input (e.g. omega: error / ||x||^2)."""
    if name == "omega":
        return q.error / q.norm2
    if name == "delta":
        ratio = q.error / q.norm2
        return math.inf if ratio >= 1 else 1.0 / (1.0 - ratio)
    if name == "b1_alpha":
        return q.second / q.norm2
    if name in ("b1_beta", "b2_beta"):
        return q.second / q.inner if q.inner > 0 else math.inf
    if name == "b2_gamma":
        return q.inner / q.norm2
    if name == "abs_variance":
        return q.unscaled(q.error)
    raise ValueError(name)


@dataclass
class ConstantMeasurement:
    name: str
    declared: float
    measured: float
    ratio: float
    valid: bool
    tight_declared: bool
    attained: bool
    status: str
    source: str
    argmax: str


@dataclass
class Measurement:
    compressor: str
    d: int
    unbiased: bool
    constants: dict = field(default_factory=dict)   # name -> ConstantMeasurement
    bits_mean: float = math.nan
    bits_max: int = 0
    bits_budget: int = 0
    bits_formula: str = ""
    contract_passed: int = 0
    contract_failed: int = 0
    failures: list = field(default_factory=list)
    note: str = ""


SAMPLER_SAMPLES = 1000


def measure(compressor, d: int, *, seeds=(0, 1, 2), contract: bool = True,
            input_seed: int = 7, sampler_samples: int = SAMPLER_SAMPLES) -> Measurement:
    """Measure every declared constant and the bits of ``compressor`` at dimension ``d``.

    ``seeds``: the encoder's seeds for the bit counts; ``input_seed``: the seed of the random
    adversarial inputs (and, shifted by ``input_seed - 7``, of the contract's codec draws), so
    that ``theorytools verify --seed`` changes every draw. ``contract``: also run the
    compressor's whole contract (codec round trips, budgets, unbiasedness, tightness) and, for
    a randomised compressor, the sampler check with ``sampler_samples`` draws (0 skips it) on
    a Gaussian input."""
    compressor.validate(np.zeros(d))  # parameters that do not fit d (k > d) raise here
    theory = compressor.theory(d)
    inputs = [(label, x) for label, x in adversarial_inputs(d, seed=input_seed)]
    inputs += [(f"extremal: {e.description}", e.x) for e in compressor.extremal_inputs(d)]
    tol = tolerance(compressor)
    out = Measurement(compressor.canonical_name, d, theory.unbiased,
                      bits_formula=theory.bits_formula, note=theory.note)
    worst = {}
    bits, budgets = [], []
    for label, x in inputs:
        try:
            compressor.validate(x)
        except TheorytoolsError:
            continue
        for seed in seeds if compressor.randomized else seeds[:1]:
            bits.append(compressor.encode(x, seed).nbits)
        budgets.append(compressor.bits_budget(x))
        if not np.any(x) or not compressor.in_domain(x) or not theory.constants():
            continue
        q = exact_quantities(compressor, x)
        for name in theory.constants():
            v = constant_value(name, q)
            lower = name in LOWER_TYPE
            if name not in worst or (v < worst[name][0] if lower else v > worst[name][0]):
                worst[name] = (v, label)
    for name, const in theory.constants().items():
        v, label = worst.get(name, (math.nan, "-"))
        lower = name in LOWER_TYPE
        ratio = v / const.value if const.value else math.nan
        margin = tol * max(1.0, abs(const.value))
        if name == "delta":  # compare in the contraction scale 1 - 1/delta, as the contract does
            gap = (1 - 1 / const.value) - (1 - 1 / v if v != math.inf else 1.0)
        else:
            gap = v - const.value if lower else const.value - v
        out.constants[name] = ConstantMeasurement(
            name, const.value, v, ratio, bool(gap >= -margin), const.tight,
            bool(abs(gap) <= margin), const.status, const.source, label)
    out.bits_mean = float(np.mean(bits)) if bits else math.nan
    out.bits_max = int(max(bits)) if bits else 0
    out.bits_budget = int(max(budgets)) if budgets else 0
    if contract:
        results = run_contract(compressor, d, sampler_samples=sampler_samples,
                               seed=input_seed - 7)
        out.contract_passed = sum(r.passed for r in results)
        out.failures = [str(r) for r in results if not r.passed]
        out.contract_failed = len(out.failures)
    return out
