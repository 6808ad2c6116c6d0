"""A tiny framework for mechanical proof checks.

A *check* is a function that verifies one algebraic step a theorem rests on. It is registered
with the :func:`check` decorator, which records its source and status and turns it into a
function returning a :class:`Check` record:

* the body returns a ``detail`` string (what was verified) -- or a pair ``(detail, finding)``
  where ``finding`` reports a printed constant found wrong or loose, with the corrected value;
* any failed step raises :class:`ProofFailure` (through :func:`require`, :func:`assert_zero`,
  :func:`assert_equal`, :func:`assert_nonnegative`, :func:`certify`), and the record's verdict
  becomes ``"FAIL"`` with the reason in ``detail``.

Planted errors: every check takes its key coefficient(s) as keyword arguments whose defaults are
the derived (or paper) values. Calling a check with a changed coefficient must give ``FAIL``;
``tests/test_proofs.py`` keeps that property under test.

Exactness: all constants are sympy ``Rational``/symbolic expressions or ``fractions.Fraction``;
floating point enters only where a statement is asymptotic (and then through mpmath at high
precision with an explicit tolerance that the detail reports).
"""
from __future__ import annotations

import functools
import inspect
import re
import sys
from dataclasses import asdict, dataclass
from typing import Callable

import sympy as sp

__all__ = [
    "Check",
    "ProofFailure",
    "REGISTRY",
    "check",
    "require",
    "is_zero",
    "assert_zero",
    "assert_equal",
    "assert_nonnegative",
    "certify",
    "run_module",
    "main_for_module",
]


@dataclass(frozen=True)
class Check:
    """The result of one mechanical check.

    Attributes
    ----------
    name : str
        ``"<module>::<function>"``, e.g. ``"compressor_constants::natural_compression"``; the
        provenance string cited elsewhere is ``"proofs_check/<module>.py::<function>"``.
    verdict : str
        ``"PASS"`` or ``"FAIL"``.
    detail : str
        What was checked (on PASS) or which step failed (on FAIL).
    source : str
        Paper, theorem/equation and docs/sources.md topic the step comes from.
    status : str
        Provenance status of the statement, e.g. ``"DERIVED"``; ``"FINDING"`` is appended when
        the check found a printed constant wrong or loose.
    finding : str
        Empty, or the finding (printed constant, corrected value).
    """

    name: str
    verdict: str
    detail: str
    source: str = ""
    status: str = ""
    finding: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        text = f"{self.verdict}  {self.name}: {self.detail}"
        if self.finding:
            text += f"\n      FINDING: {self.finding}"
        return text


class ProofFailure(AssertionError):
    """A checked step does not hold."""


@dataclass(frozen=True)
class _Entry:
    name: str
    module: str
    function: Callable[..., Check]
    source: str
    status: str


#: name -> registered check, in definition order
REGISTRY: dict[str, _Entry] = {}


def check(*, source: str, status: str):
    """Register a check function.

    Parameters
    ----------
    source : str
        Where the checked statement comes from (paper, theorem, docs/sources.md topic).
    status : str
        Its provenance status (``DERIVED``, ``PAPER``, ``SECONDARY``...).

    The decorated function keeps its keyword parameters (the plantable coefficients) and returns
    a :class:`Check`; it never raises.
    """

    def decorate(body):
        module = body.__module__
        if module == "__main__":  # run as ``python -m proofs_check.<module>``
            spec = getattr(sys.modules["__main__"], "__spec__", None)
            module = spec.name if spec is not None else module
        module = module.rsplit(".", 1)[-1]
        name = f"{module}::{body.__name__}"
        summary = (inspect.getdoc(body) or body.__name__).splitlines()[0].rstrip(".")
        summary = re.sub(r":math:`([^`]*)`", r"\1", summary)

        @functools.wraps(body)
        def run(**coefficients) -> Check:
            finding = ""
            try:
                outcome = body(**coefficients)
                if isinstance(outcome, tuple):
                    detail, finding = outcome
                else:
                    detail = outcome
                verdict = "PASS"
            except ProofFailure as exc:
                verdict, detail = "FAIL", f"{summary} -- FAILED: {exc}"
            except Exception as exc:  # a crash is a failed proof, reported, not raised
                verdict, detail = "FAIL", f"{summary} -- ERROR {type(exc).__name__}: {exc}"
            stat = status + ("; FINDING" if finding else "")
            return Check(name, verdict, detail, source, stat, finding)

        run.check_name = name
        REGISTRY[name] = _Entry(name, module, run, source, status)
        return run

    return decorate


# --------------------------------------------------------------------------- assertion helpers
def require(condition, message: str) -> None:
    """Raise :class:`ProofFailure` with ``message`` unless ``condition`` is exactly true."""
    if isinstance(condition, sp.Basic):
        holds = condition is sp.true
    else:
        holds = bool(condition)
    if not holds:
        raise ProofFailure(message)


def is_zero(expr) -> bool:
    """True iff ``expr`` (a scalar or a matrix) simplifies to exactly 0 (expand, cancel, simplify)."""
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(entry) for entry in expr)
    expr = sp.sympify(expr)
    for simplifier in (sp.expand, sp.cancel, sp.simplify):
        expr = simplifier(expr)
        if expr == 0:
            return True
    return False


def assert_zero(expr, what: str) -> None:
    """Raise :class:`ProofFailure` unless ``expr`` is identically zero."""
    if not is_zero(expr):
        raise ProofFailure(f"{what}: residual {sp.simplify(expr)} is not 0")


def assert_equal(lhs, rhs, what: str) -> None:
    """Raise :class:`ProofFailure` unless ``lhs - rhs`` is identically zero."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if not is_zero(lhs - rhs):
        raise ProofFailure(f"{what}: {sp.simplify(lhs)} != {sp.simplify(rhs)}")


def assert_nonnegative(expr, what: str) -> None:
    """Raise unless sympy's assumption system proves ``expr >= 0`` (after expand/factor)."""
    expr = sp.sympify(expr)
    for form in (expr, sp.expand(expr), sp.factor(expr), sp.cancel(expr)):
        if form.is_nonnegative is True:
            return
    raise ProofFailure(f"{what}: cannot prove {expr} >= 0")


def certify(slack, certificate, hypotheses: dict, what: str) -> None:
    """Prove ``slack >= 0`` from hypotheses by an explicit nonnegativity certificate.

    Parameters
    ----------
    slack : sympy expression
        The conclusion, written as ``slack >= 0``.
    certificate : sympy expression
        An expression in *slack symbols* (declared ``nonnegative=True``) and positive parameters
        that is manifestly nonnegative, e.g. ``(h1 + h2)/beta``.
    hypotheses : dict
        ``{slack_symbol: hypothesis_expression}``: each hypothesis says expression >= 0.
    what : str
        Description for the failure message.

    The proof has two mechanical parts: ``certificate`` is nonnegative by sympy's assumptions,
    and ``slack - certificate(hypotheses)`` is identically zero.
    """
    assert_nonnegative(certificate, f"{what} (certificate sign)")
    assert_zero(slack - certificate.subs(hypotheses), f"{what} (certificate identity)")


# --------------------------------------------------------------------------- running
def run_module(module_name: str, planted: dict | None = None) -> list[Check]:
    """Run every registered check of one module (short name, e.g. ``"ecd_error"``)."""
    planted = planted or {}
    return [entry.function(**planted.get(entry.name, {}))
            for entry in REGISTRY.values() if entry.module == module_name]


def main_for_module(module_name: str) -> int:
    """Script entry point: print one PASS/FAIL line per check; exit status 0 iff all pass."""
    results = run_module(module_name)
    for result in results:
        print(result.line())
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed}/{len(results)} PASS")
    return 1 if failed else 0
