r"""ECD-PSGD's estimation error: :math:`e_{t+1} = (1 - 2/t)e_t + (2/t)q_t`, :math:`e_1 = 0`.

With independent zero-mean :math:`q_t`, :math:`E\|q_t\|^2 = s`:
:math:`v_{t+1} = E\|e_{t+1}\|^2 = (1-2/t)^2 v_t + 4s/t^2`, and for t ≥ 2
:math:`v_{t+1} = \frac{2s}{3}\left(\frac1{t-1} + \frac1t\right)`;
:math:`\sum_{t=2}^T v_{t+1} = \frac{2s}{3}(H_{T-1} + H_T - 1)` (the log T of Tang's Theorem 2).

Source: Tang et al. 2018 (ECD-PSGD, Algorithm 2; Theorem 2's constants UNCONFIRMED);
Tang et al. 2018, Algorithm 2 (ECD-PSGD) (docs/sources.md#tang) (key identity), Tang et al. 2018, Theorems 1-2 (docs/sources.md#tang); derived ECD error (docs/sources.md#derived) (closed form, [DERIVED]).
"""
from __future__ import annotations

import sys
from fractions import Fraction

import sympy as sp

from proofs_check._framework import assert_equal, assert_zero, check, main_for_module, require

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "tang2018"

t, T = sp.symbols("t T", positive=True, integer=True)
s = sp.Symbol("s", positive=True)
SRC = "Tang et al. 2018 ECD-PSGD (Alg. 2);"


def _exact_variances(horizon, coefficient=Fraction(1)):
    """v_1..v_{horizon+1} for s = 1 by exact Fraction iteration of the recursion."""
    v = [None, Fraction(0)]  # v[1] = 0
    for step in range(1, horizon + 1):
        v.append((1 - Fraction(2, step)) ** 2 * v[step] + Fraction(4, step * step))
    return v


@check(source=SRC + " Tang et al. 2018, Algorithm 2 (ECD-PSGD) (docs/sources.md#tang) (key identity)", status="DERIVED")
def extrapolation_identity(weight=sp.Rational(1, 2)):
    r"""From :math:`z = (1-\frac t2)x_t + \frac t2 x_{t+1}` and :math:`\tilde y_{t+1} = (1-\frac2t)\tilde y_t + \frac2t(z + q_t)`: :math:`e_{t+1} = (1-\frac2t)e_t + \frac2t q_t`."""
    x_t, x_next, y_t, q = sp.symbols("x_t x_next y_t q")
    z = (1 - weight * t) * x_t + weight * t * x_next
    y_next = (1 - 2 / t) * y_t + (2 / t) * (z + q)
    assert_zero((y_next - x_next) - ((1 - 2 / t) * (y_t - x_t) + (2 / t) * q), "error recursion")
    return "ytilde_{t+1} - x_{t+1} = (1 - 2/t)(ytilde_t - x_t) + (2/t) q_t symbolically: independent of the optimisation"


@check(source=SRC + " derived ECD error (docs/sources.md#derived); checks (docs/sources.md#checks) E-2", status="DERIVED")
def ecd_error_closed_form(coefficient=sp.Rational(2, 3)):
    r"""Closed form :math:`E\|e_{t+1}\|^2 = \frac{2s}{3}(\frac1{t-1} + \frac1t)` for t ≥ 2, by induction.

    Base t = 2: :math:`v_3 = 0\cdot v_2 + s = s`. Step (t ≥ 3): the recursion maps the formula
    at t-1 to the formula at t (symbolic in t). Cross-checked by exact iteration, t = 2..60.
    """
    closed = lambda tt: coefficient * s * (1 / (tt - 1) + 1 / tt)  # noqa: E731  (= v_{tt+1})
    v2 = (1 - sp.Integer(2)) ** 2 * 0 + 4 * s  # t = 1: e_1 = 0
    assert_equal(v2, 4 * s, "v_2 = 4s")
    assert_equal((1 - sp.Integer(2) / 2) ** 2 * v2 + 4 * s / 4, closed(2), "base case t = 2")
    assert_zero((1 - 2 / t) ** 2 * closed(t - 1) + 4 * s / t ** 2 - closed(t), "induction step")
    v = _exact_variances(60)
    for step in range(2, 61):
        require(v[step + 1] == Fraction(str(coefficient)) * (Fraction(1, step - 1) + Fraction(1, step)),
                f"exact iteration at t = {step}: {v[step + 1]}")
    return ("v_{t+1} = (2s/3)(1/(t-1) + 1/t), t >= 2: base case v_3 = s and symbolic induction step; exact "
            "Fraction iteration t = 2..60 agrees; v_2 = 4s, v_4 = 5s/9, ~ 4s/(3t)")


@check(source=SRC + " Tang et al. 2018, Theorems 1-2 (docs/sources.md#tang) (log T term), checks E-2 (docs/sources.md#checks)", status="DERIVED; Tang's exact term UNCONFIRMED")
def ecd_error_harmonic_sum(offset=1):
    r""":math:`\sum_{t=2}^T E\|e_{t+1}\|^2 = \frac{2s}{3}(H_{T-1} + H_T - 1) \sim \frac{4s}{3}\ln T`."""
    total = sp.Rational(2, 3) * s * (
        sp.summation((1 / (t - 1)).subs(t, t + 1), (t, 1, T - 1))  # index shift t -> t + 1
        + sp.summation(1 / t, (t, 2, T)))
    target = sp.Rational(2, 3) * s * (sp.harmonic(T - 1) + sp.harmonic(T) - offset)
    assert_zero(sp.expand_func(total - target).rewrite(sp.harmonic), "symbolic sum")
    v = _exact_variances(80)
    for horizon in range(2, 81):
        partial = sum(v[step + 1] for step in range(2, horizon + 1))
        harmonic = lambda n: sum(Fraction(1, i) for i in range(1, n + 1))  # noqa: E731
        require(partial == Fraction(2, 3) * (harmonic(horizon - 1) + harmonic(horizon) - offset),
                f"exact partial sum at T = {horizon}")
    assert_equal(sp.limit(target / sp.log(T), T, sp.oo), sp.Rational(4, 3) * s, "growth (4s/3) ln T")
    return "sum_{t=2}^T v_{t+1} = (2s/3)(H_{T-1} + H_T - 1) symbolically (sympy summation) and exactly for T = 2..80; ~ (4s/3) ln T"


@check(source=SRC + " derived ECD error (docs/sources.md#derived) (relative compressor), decentralized open item 4 (docs/sources.md#open-items)", status="DERIVED")
def ecd_relative_growth(slope=sp.Rational(1, 5)):
    r"""With a relative compressor, the :math:`\|\Delta x\|^2 t^2/4` part of :math:`\|z_t\|^2` makes the error grow like :math:`\frac{\alpha^2}{5}\|\Delta x\|^2 t`.

    For constant input c (:math:`v_{t+1} = (1-2/t)^2v_t + c`), :math:`u_{t+1} = t^2(t-1)^2 v_{t+1}`
    satisfies :math:`u_{t+1} = u_t + c\,t^2(t-1)^2`, so :math:`v_{T+1} = c\sum_{t=2}^T t^2(t-1)^2/(T^2(T-1)^2)
    \sim cT/5`; with :math:`c = \alpha^2\|\Delta x\|^2` (from :math:`s_t = \alpha^2 \frac{t^2}{4}\|\Delta x\|^2`, times 4/t²).
    """
    c = sp.Symbol("c", positive=True)
    u = lambda tt, vv: tt ** 2 * (tt - 1) ** 2 * vv  # noqa: E731
    vt = sp.Symbol("v_t")
    assert_zero(u(t, (1 - 2 / t) ** 2 * vt + c) - (u(t - 1, vt) + c * t ** 2 * (t - 1) ** 2), "telescoping weight")
    v_end = c * sp.summation(t ** 2 * (t - 1) ** 2, (t, 2, T)) / (T ** 2 * (T - 1) ** 2)
    assert_equal(sp.limit(v_end / T, T, sp.oo), slope * c, "linear growth rate")
    return "u_{t+1} = t^2 (t-1)^2 v_{t+1} telescopes; v_{T+1} = c sum t^2(t-1)^2 / (T^2 (T-1)^2) ~ c T/5: error grows linearly in t"


if __name__ == "__main__":
    sys.exit(main_for_module("ecd_error"))
