r"""One-step contraction of compressed gradient descent :math:`x^+ = x - \eta C(\nabla f(x))`.

From L-smoothness, :math:`E f(x^+) \le f(x) - \eta g + \frac{L\eta^2}{2} m_2` with
:math:`g = \langle \nabla f, E C\rangle`, :math:`m_2 = E\|C\|^2`, :math:`X = \|\nabla f\|^2`,
and the PL inequality :math:`X \ge 2\mu F` with :math:`F = f(x) - f^\star`. Each contraction
factor ρ is proved by a certificate: :math:`\rho F - (F - \eta g + \frac{L\eta^2}{2}m_2)`
equals a nonnegative combination of the class slacks, the PL slack and the stepsize slack.

Source: P1 CGD rates (docs/sources.md#cgd) (T-B1, T-B2, T-B3; [DERIVED]; that P1's theorems have exactly
this form is [UNCONFIRMED]).
"""
from __future__ import annotations

import sys

import sympy as sp

from proofs_check._framework import assert_equal, certify, check, main_for_module, require

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "beznosikov2020"

F, X, g, m2 = sp.symbols("F X g m2", nonnegative=True)
ETA, L, MU = sp.symbols("eta L mu", positive=True)
ALPHA, BETA, GAMMA, DELTA, ZETA = sp.symbols("alpha beta gamma delta zeta", positive=True)
h1, h2, h_pl, h_step = sp.symbols("h1 h2 h_PL h_step", nonnegative=True)

SMOOTH_BOUND = F - ETA * g + L * ETA ** 2 / 2 * m2  # bound on E f(x+) - f* from L-smoothness
PL = {h_pl: X - 2 * MU * F}
SRC = "P1 CGD rates (docs/sources.md#cgd); authors' posters of P1/P2 (docs/sources.md#posters); P1 CGD factors on the authors' poster of P1"


@check(source="descent lemma (textbook); P1 CGD rates (docs/sources.md#cgd) proof skeleton", status="DERIVED")
def descent_lemma_quadratic(half=sp.Rational(1, 2)):
    r"""For a quadratic with Hessian :math:`A \preceq L I`: :math:`f(x - \eta c) \le f - \eta\langle\nabla f, c\rangle + \frac{L\eta^2}{2}\|c\|^2`.

    Exact expansion :math:`f(x-\eta c) = f - \eta\langle\nabla f, c\rangle + \frac{\eta^2}{2}c^\top A c`
    checked for a symbolic 2x2 A; the slack is :math:`\frac{\eta^2}{2}c^\top(LI - A)c \ge 0`.
    Taking expectations gives the bound used by every CGD check.
    """
    a11, a12, a22, b1, b2 = sp.symbols("a11 a12 a22 b1 b2", real=True)
    x1, x2, c1, c2 = sp.symbols("x1 x2 c1 c2", real=True)
    A = sp.Matrix([[a11, a12], [a12, a22]])
    x, c, bvec = sp.Matrix([x1, x2]), sp.Matrix([c1, c2]), sp.Matrix([b1, b2])
    f = lambda v: (v.T * A * v)[0] / 2 - (bvec.T * v)[0]  # noqa: E731
    grad = A * x - bvec
    expansion = f(x) - ETA * (grad.T * c)[0] + half * ETA ** 2 * (c.T * A * c)[0]
    assert_equal(f(x - ETA * c), expansion, "exact expansion")
    return "f(x - eta c) = f - eta <grad f, c> + (eta^2/2) c'Ac exactly (symbolic 2x2); c'Ac <= L||c||^2"


@check(source=SRC + " (T-B2)", status="AUTHOR-POSTER (factor beta/gamma); DERIVED")
def t_b2_contraction(rate=GAMMA):
    r"""(T-B2) C ∈ B2(γ, β), 0 < η ≤ 2/(βL): :math:`F^+ \le (1 - \gamma\eta\mu(2 - \eta\beta L))F`.

    Certificate: :math:`\frac{L\eta^2}{2}h_2 + \eta s h_1 + \eta s\gamma h_{PL}` with
    :math:`h_1 = g - \gamma X`, :math:`h_2 = \beta g - m_2`, :math:`s = 1 - L\eta\beta/2 \ge 0`.
    At η = 1/(βL) the factor is :math:`1 - \frac{\gamma}{\beta}\frac{\mu}{L}`.
    """
    factor = 1 - rate * ETA * MU * (2 - ETA * BETA * L)
    certify(factor * F - SMOOTH_BOUND, L * ETA ** 2 / 2 * h2 + ETA * h_step * h1 + ETA * h_step * GAMMA * h_pl,
            {h1: g - GAMMA * X, h2: BETA * g - m2, h_step: 1 - L * ETA * BETA / 2, **PL}, "T-B2")
    assert_equal(factor.subs(ETA, 1 / (BETA * L)), 1 - GAMMA * MU / (BETA * L), "factor at eta = 1/(beta L)")
    return "certificate for factor 1 - gamma eta mu (2 - eta beta L), eta <= 2/(beta L); at 1/(beta L): 1 - (gamma/beta)(mu/L)"


@check(source=SRC + " (T-B1)", status="AUTHOR-POSTER (factor beta^2/alpha); DERIVED")
def t_b1_contraction(rate=ALPHA / BETA):
    r"""(T-B1) C ∈ B1(α, β), 0 < η ≤ 2/(βL): :math:`F^+ \le (1 - \frac{\alpha}{\beta}\eta\mu(2 - \eta\beta L))F`.

    Certificate: :math:`\frac{L\eta^2}{2}h_2 + \eta s (h_1 + h_2)/\beta + \eta s \frac{\alpha}{\beta} h_{PL}`
    with :math:`h_1 = m_2 - \alpha X`, :math:`h_2 = \beta g - m_2`. At η = 1/(βL):
    :math:`1 - \frac{\alpha}{\beta^2}\frac{\mu}{L}`.
    """
    factor = 1 - rate * ETA * MU * (2 - ETA * BETA * L)
    certify(factor * F - SMOOTH_BOUND,
            L * ETA ** 2 / 2 * h2 + ETA * h_step * (h1 + h2) / BETA + ETA * h_step * ALPHA / BETA * h_pl,
            {h1: m2 - ALPHA * X, h2: BETA * g - m2, h_step: 1 - L * ETA * BETA / 2, **PL}, "T-B1")
    assert_equal(factor.subs(ETA, 1 / (BETA * L)), 1 - ALPHA * MU / (BETA ** 2 * L), "factor at eta = 1/(beta L)")
    return "certificate for factor 1 - (alpha/beta) eta mu (2 - eta beta L); at 1/(beta L): 1 - (alpha/beta^2)(mu/L)"


@check(source=SRC + " (T-B3)", status="AUTHOR-POSTER (factor delta); DERIVED")
def t_b3_contraction(rate=1 / DELTA):
    r"""(T-B3) C ∈ B3(δ), 0 < η ≤ 1/L: :math:`F^+ \le (1 - \eta\mu/\delta)F`.

    B3 reads :math:`h = 2g - m_2 - X/\delta \ge 0`. Certificate:
    :math:`\frac\eta2 h + \frac\eta2(1 - L\eta)m_2 + \frac{\eta}{2\delta}h_{PL}`.
    """
    factor = 1 - rate * ETA * MU
    certify(factor * F - SMOOTH_BOUND, ETA / 2 * h1 + ETA / 2 * h_step * m2 + ETA / (2 * DELTA) * h_pl,
            {h1: 2 * g - m2 - X / DELTA, h_step: 1 - L * ETA, **PL}, "T-B3")
    assert_equal(factor.subs(ETA, 1 / L), 1 - MU / (DELTA * L), "factor at eta = 1/L")
    return "certificate for factor 1 - eta mu/delta with eta <= 1/L; at 1/L: 1 - mu/(delta L)"


@check(source=SRC + " (choice of stepsize)", status="DERIVED")
def optimal_stepsize(eta_star=1 / (BETA * L)):
    r"""The stepsize η = 1/(βL) maximises the B1/B2 gain :math:`\eta(2 - \eta\beta L)` (value 1/(βL))."""
    gain = ETA * (2 - ETA * BETA * L)
    critical = sp.solve(sp.diff(gain, ETA), ETA)
    require(len(critical) == 1, f"critical points {critical}")
    assert_equal(critical[0], eta_star, "maximiser")
    require(sp.diff(gain, ETA, 2).is_negative is True, "not a maximum")
    assert_equal(gain.subs(ETA, eta_star), 1 / (BETA * L), "maximal gain")
    return "d/d eta [eta(2 - eta beta L)] = 0 only at eta = 1/(beta L), concave: the stated stepsize is optimal for the bound"


@check(source=SRC + " (unbiased sanity check)", status="AUTHOR-POSTER (factor zeta); DERIVED")
def unbiased_b2_vs_b1(loss_factor=ZETA):
    r"""U(ζ) via B2(1, ζ) gives 1 - μ/(ζL); via B1(1, ζ) only 1 - μ/(ζ²L): B1 analysis is loose by ζ."""
    eta = 1 / (ZETA * L)
    via_b2 = 1 - 1 * eta * MU * (2 - eta * ZETA * L)
    via_b1 = 1 - (1 / ZETA) * eta * MU * (2 - eta * ZETA * L)
    assert_equal(via_b2, 1 - MU / (ZETA * L), "B2 route: the known CGD rate")
    assert_equal(via_b1, 1 - MU / (ZETA ** 2 * L), "B1 route")
    assert_equal((1 - via_b2) / (1 - via_b1), loss_factor, "ratio of the gains")
    return "for U(zeta) at eta = 1/(zeta L): B2 gives 1 - mu/(zeta L) (known rate), B1 gives 1 - mu/(zeta^2 L): B1 loose by zeta"


if __name__ == "__main__":
    sys.exit(main_for_module("cgd_contraction"))
