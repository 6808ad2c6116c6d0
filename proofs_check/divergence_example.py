r"""The 3-node counterexample: distributed CGD with Top-1 and no error feedback diverges.

:math:`f_i(x) = \langle a_i, x\rangle^2 + \frac14\|x\|^2`, :math:`a_1 = (-3,2,2)`,
:math:`a_2 = (2,-3,2)`, :math:`a_3 = (2,2,-3)`, :math:`f = \frac13\sum_i f_i`. From
:math:`x^0 = t\mathbf 1`, :math:`x^k = (1 + \frac{11\eta}{6})^k x^0` for every η > 0.

Source: P1 divergence example (docs/sources.md#divergence) (every number [DERIVED]; that this is P1's printed instance is
[UNCONFIRMED]; P1 has *a* divergence example: SECONDARY, EF21 extensions paper) and P1 EF-SGD theorem (docs/sources.md#ef)
(error-feedback virtual iterate).
"""
from __future__ import annotations

import sys

import sympy as sp

from proofs_check._framework import assert_equal, assert_zero, check, main_for_module, require

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "beznosikov2020"

A_ROWS = [sp.Matrix([-3, 2, 2]), sp.Matrix([2, -3, 2]), sp.Matrix([2, 2, -3])]
REG = sp.Rational(1, 4)
t, eta = sp.symbols("t eta", positive=True)
x1, x2, x3 = sp.symbols("x1:4", real=True)
X = sp.Matrix([x1, x2, x3])
ONES = sp.Matrix([1, 1, 1])
SRC = "P1 divergence example (instance: authors' poster of P1); P1 divergence example (docs/sources.md#divergence); authors' posters of P1/P2 (docs/sources.md#posters)"


def _f(i, x):
    return (A_ROWS[i].T * x)[0] ** 2 + REG * (x.T * x)[0]


def _grad(i, x):
    return 2 * (A_ROWS[i].T * x)[0] * A_ROWS[i] + 2 * REG * x


def _top1(v):
    magnitudes = [abs(c) for c in v]
    top = max(magnitudes)
    require(magnitudes.count(top) == 1, f"Top-1 tie in {list(v)}")
    j = magnitudes.index(top)
    return sp.Matrix([v[i] if i == j else 0 for i in range(len(v))])


@check(source=SRC, status="AUTHOR-POSTER (the instance is P1's own); DERIVED")
def hessian_spectrum(mu=sp.Rational(7, 6), L=sp.Rational(103, 6), local_L=sp.Rational(69, 2)):
    r"""Hessian :math:`\frac23\sum a_ia_i^\top + \frac12 I` has eigenvalues 7/6 (on 1) and 103/6 (twice); :math:`L_i = 34.5`."""
    f = sum(_f(i, X) for i in range(3)) / 3
    hess = sp.hessian(f, (x1, x2, x3))
    assert_zero(hess - (sp.Rational(2, 3) * sum((a * a.T for a in A_ROWS), sp.zeros(3)) + sp.eye(3) / 2),
                "Hessian formula")
    lam = sp.Symbol("lambda")
    assert_equal(hess.charpoly(lam).as_expr(), (lam - mu) * (lam - L) ** 2, "characteristic polynomial")
    assert_zero(hess * ONES - mu * ONES, "eigenvector (1,1,1)")
    for i in range(3):
        local = sp.hessian(_f(i, X), (x1, x2, x3))
        assert_equal(local.charpoly(lam).as_expr(), (lam - REG * 2) ** 2 * (lam - local_L), f"f_{i + 1} spectrum")
        assert_zero(_grad(i, sp.zeros(3, 1)), f"grad f_{i + 1}(0) = 0 (no heterogeneity at x* = 0)")
    return "charpoly = (l - 7/6)(l - 103/6)^2, eigenvector 1 for 7/6; each f_i: {1/2, 1/2, 69/2}; grad f_i(0) = 0, f* = 0"


@check(source=SRC, status="AUTHOR-POSTER (the instance is P1's own); DERIVED")
def gradients_at_diagonal(kept=sp.Rational(-11, 2), true_gradient=sp.Rational(7, 6)):
    r""":math:`\nabla f_1(t\mathbf 1) = t(-\frac{11}{2}, \frac92, \frac92)` (cyclic); Top-1 averages to :math:`-\frac{11}{6}t\mathbf 1` while :math:`\nabla f = \frac76 t\mathbf 1`."""
    x = t * ONES
    compressed = sp.zeros(3, 1)
    for i in range(3):
        gi = _grad(i, x)
        expected = sp.Matrix([kept * t if j == i else sp.Rational(9, 2) * t for j in range(3)])
        assert_zero(gi - expected, f"grad f_{i + 1}(t 1)")
        compressed += _top1(gi)
    assert_zero(compressed / 3 - kept / 3 * t * ONES, "average of Top-1 outputs")
    assert_zero(sum((_grad(i, x) for i in range(3)), sp.zeros(3, 1)) / 3 - true_gradient * t * ONES, "true gradient")
    return "grad f_i(t 1) = t(-11/2 at i, 9/2 elsewhere), unique Top-1 entry; mean Top-1 = -(11/6) t 1 vs grad f = (7/6) t 1"


@check(source=SRC, status="AUTHOR-POSTER (the instance is P1's own); DERIVED")
def divergence_factor(coefficient=sp.Rational(11, 6)):
    r"""One DCGD step maps :math:`t\mathbf 1 \mapsto (1 + \frac{11}{6}\eta)t\mathbf 1`; hence :math:`x^k = (1+\frac{11\eta}6)^k x^0`.

    The iterate stays on the diagonal with t > 0, so the same step applies at every k (induction);
    for t < 0 the Top-1 choice is the same by symmetry :math:`\nabla f_i(-x) = -\nabla f_i(x)`.
    """
    x = t * ONES
    step = x - eta * sum((_top1(_grad(i, x)) for i in range(3)), sp.zeros(3, 1)) / 3
    assert_zero(step - (1 + coefficient * eta) * x, "one step")
    assert_zero(_grad(0, -x) + _grad(0, x), "odd gradients")
    factors = [(1 + coefficient * sp.Rational(*r)) for r in ((1, 100), (1, 10), (1, 2))]
    require(factors == [sp.Rational(611, 600), sp.Rational(71, 60), sp.Rational(23, 12)],
            f"factors at eta = 0.01, 0.1, 0.5: {factors}")
    return ("x - eta * mean Top-1 = (1 + 11 eta/6) x on the diagonal, for all eta > 0: divergence; "
            "factors 611/600, 71/60, 23/12 at eta = 0.01, 0.1, 0.5")


@check(source="P1 EF-SGD theorem (docs/sources.md#ef) (EF invariant), checks (docs/sources.md#checks)", status="DERIVED")
def ef_virtual_iterate(step_coefficient=1):
    r"""Error feedback: :math:`\tilde x = x - \frac1n\sum e_i` follows SGD, :math:`\tilde x^+ = \tilde x - \eta\frac1n\sum g_i`, for any compressor."""
    n = 3
    x = sp.Symbol("x")
    e = sp.symbols(f"e1:{n + 1}")
    gs = sp.symbols(f"g1:{n + 1}")
    v = sp.symbols(f"v1:{n + 1}")  # arbitrary compressor outputs C(e_i + eta g_i)
    x_next = x - sum(v) / n
    e_next = [e[i] + eta * gs[i] - v[i] for i in range(n)]
    virtual, virtual_next = x - sum(e) / n, x_next - sum(e_next) / n
    assert_zero(virtual_next - (virtual - step_coefficient * eta * sum(gs) / n), "virtual iterate")
    return "x~+ = x~ - eta (1/n) sum g_i exactly, with the compressor outputs left symbolic (any C)"


if __name__ == "__main__":
    sys.exit(main_for_module("divergence_example"))
