r"""Relations R1-R8 between the compressor classes U(ζ), B1(α, β), B2(γ, β), B3(δ).

For a fixed x write :math:`X = \|x\|^2 > 0`, :math:`g = \langle E C(x), x\rangle` and
:math:`m_2 = E\|C(x)\|^2`. Every class is a set of inequalities between these three numbers
(plus the Jensen/Cauchy-Schwarz fact :math:`m_2 \ge \|EC\|^2 \ge g^2/X`), so each relation
"hypotheses => conclusion" is proved by a *certificate*: the conclusion's slack equals an
expression that is manifestly nonnegative in the hypotheses' slacks (``_framework.certify``).

Classes (unbiased class (docs/sources.md#classes); P1's classes B1/B2/B3 (docs/sources.md#classes); the B-definitions are [UNCONFIRMED] as P1's):

* U(ζ): :math:`EC = x`, :math:`m_2 \le \zeta X`;
* B1(α, β): :math:`\alpha X \le m_2 \le \beta g`;
* B2(γ, β): :math:`\max(\gamma X, m_2/\beta) \le g`;
* B3(δ): :math:`E\|C-x\|^2 = m_2 - 2g + X \le (1 - 1/\delta)X`.

Source: class relations R1-R8 (docs/sources.md#relations) (R1-R8, all [DERIVED]); that P1 has a theorem listing these
inclusions is [UNCONFIRMED].
"""
from __future__ import annotations

import sys

import sympy as sp

from proofs_check._framework import assert_equal, certify, check, main_for_module, require

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "beznosikov2020"

X, g, m2 = sp.symbols("X g m2", positive=True)
ALPHA, BETA, GAMMA, DELTA, ZETA, LAM = sp.symbols("alpha beta gamma delta zeta lambda", positive=True)
EPS = sp.Symbol("epsilon", positive=True)  # 2 - zeta (R8)
U = sp.Symbol("u", positive=True)  # beta = 2/(1+u) (R7)
h1, h2, h3, jensen = sp.symbols("h1 h2 h3 j", nonnegative=True)

JENSEN = {jensen: m2 - g ** 2 / X}  # m2 >= ||E C||^2 >= <E C, x>^2 / ||x||^2


def _b1(alpha, beta, m2_=m2, g_=g):
    return {h1: m2_ - alpha * X, h2: beta * g_ - m2_}


def _b2(gamma, beta, m2_=m2, g_=g):
    return {h1: g_ - gamma * X, h2: g_ - m2_ / beta}


def _b3_slack(delta, m2_=m2, g_=g):
    return (1 - 1 / delta) * X - (m2_ - 2 * g_ + X)


def _src(rel):
    return f"class relations R1-R8 (docs/sources.md#relations) ({rel}); P1 inclusion theorem UNCONFIRMED"


@check(source="P1's classes B1/B2/B3 (docs/sources.md#classes) (necessary parameter ranges)", status="DERIVED")
def parameter_ranges(b1_limit=BETA ** 2, b2_limit=BETA):
    r"""B1(α, β) forces α ≤ β², B2(γ, β) forces γ ≤ β.

    :math:`m_2(\beta^2X - m_2) = \beta^2 X j + h_2(h_2 + 2m_2)` with :math:`h_2 = \beta g - m_2`,
    :math:`j = m_2 - g^2/X`; and :math:`g(\beta X - g) = \beta X h_2' + X j` with
    :math:`h_2' = g - m_2/\beta`.
    """
    certify(b1_limit * X - m2, (BETA ** 2 * X * jensen + h2 * (h2 + 2 * m2)) / m2,
            {**JENSEN, h2: BETA * g - m2}, "m2 <= beta^2 X under B1")
    certify((b1_limit - ALPHA) * X, h3 + h1, {h3: b1_limit * X - m2, h1: m2 - ALPHA * X}, "alpha <= beta^2")
    certify(b2_limit * X - g, X * (BETA * h2 + jensen) / g, {**JENSEN, h2: g - m2 / BETA}, "g <= beta X under B2")
    certify((b2_limit - GAMMA) * X, h3 + h1, {h3: b2_limit * X - g, h1: g - GAMMA * X}, "gamma <= beta")
    return "certificates for m2 <= beta^2 X (B1) and g <= beta X (B2): alpha <= beta^2, gamma <= beta"


@check(source=_src("R1"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r1_unbiased_in_b1_b2(b1=(1, ZETA), b2=(1, ZETA)):
    r"""(R1) U(ζ) ⊆ B1(1, ζ) and U(ζ) ⊆ B2(1, ζ): with :math:`g = X` and :math:`X \le m_2 \le \zeta X`."""
    hyp = {h1: ZETA * X - m2, jensen: m2 - X}  # unbiased: g = X, Jensen m2 >= ||x||^2
    b1_alpha, b1_beta = b1
    b2_gamma, b2_beta = b2
    certify(m2 - b1_alpha * X, jensen, hyp, "B1 lower")
    certify(b1_beta * X - m2, h1, hyp, "B1 upper (beta g - m2 with g = X)")
    certify(X - b2_gamma * X, sp.Integer(0), hyp, "B2 gamma")
    certify(X - m2 / b2_beta, h1 / ZETA, hyp, "B2 beta")
    return "with g = ||x||^2: m2 - X = Jensen slack, zeta X - m2 = U slack: U(z) in B1(1,z) and B2(1,z)"


@check(source=_src("R2"), status="DERIVED")
def r2_b1_in_b2(gamma=ALPHA / BETA, beta=BETA):
    r"""(R2) B1(α, β) ⊆ B2(α/β, β): :math:`g - \frac{\alpha}{\beta}X = (h_1 + h_2)/\beta`, :math:`g - m_2/\beta = h_2/\beta`."""
    hyp = _b1(ALPHA, BETA)
    certify(g - gamma * X, (h1 + h2) / BETA, hyp, "B2 gamma")
    certify(g - m2 / beta, h2 / BETA, hyp, "B2 beta")
    return "B1(alpha,beta) in B2(alpha/beta, beta) by certificates (h1+h2)/beta and h2/beta"


@check(source=_src("R3"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r3_b2_in_b1(alpha=GAMMA ** 2, beta=BETA):
    r"""(R3) B2(γ, β) ⊆ B1(γ², β): :math:`m_2 - \gamma^2X = j + h_1(h_1 + 2\gamma X)/X`."""
    hyp = {**_b2(GAMMA, BETA), **JENSEN}
    certify(m2 - alpha * X, jensen + h1 * (h1 + 2 * GAMMA * X) / X, hyp, "B1 alpha")
    certify(beta * g - m2, BETA * h2, hyp, "B1 beta")
    return "B2(gamma,beta) in B1(gamma^2, beta): certificate j + h1(h1 + 2 gamma X)/X (Jensen + CS)"


@check(source=_src("R4"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r4_scaling(b1_scale=(LAM ** 2, LAM), b2_scale=(LAM, LAM)):
    r"""(R4) λC: B1(α,β) → B1(λ²α, λβ), B2(γ,β) → B2(λγ, λβ); λC is unbiased only if λ = 1.

    Scaling multiplies :math:`m_2` by λ² and :math:`g` by λ.
    """
    sm2, sg = LAM ** 2 * m2, LAM * g
    hyp = _b1(ALPHA, BETA)
    certify(sm2 - b1_scale[0] * ALPHA * X, LAM ** 2 * h1, hyp, "B1 alpha")
    certify(b1_scale[1] * BETA * sg - sm2, LAM ** 2 * h2, hyp, "B1 beta")
    hyp = _b2(GAMMA, BETA)
    certify(sg - b2_scale[0] * GAMMA * X, LAM * h1, hyp, "B2 gamma")
    certify(sg - sm2 / (b2_scale[1] * BETA), LAM * h2, hyp, "B2 beta")
    require(sp.solve(sp.Eq(LAM * X, X), LAM) == [1], "E[lambda C] = x only at lambda = 1")
    return "lambda C: m2 -> lambda^2 m2, g -> lambda g; B1(l^2 a, l b), B2(l g, l b); unbiased iff lambda = 1"


@check(source=_src("R5"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r5_rescaling_b2(delta=BETA / GAMMA):
    r"""(R5) C ∈ B2(γ, β) ⇒ C/β ∈ B3(β/γ): slack :math:`= (h_1 + h_2)/\beta`."""
    certify(_b3_slack(delta, m2 / BETA ** 2, g / BETA), (h1 + h2) / BETA, _b2(GAMMA, BETA), "B3 slack")
    return "E||C/beta - x||^2 <= (1 - gamma/beta)||x||^2: certificate (h1 + h2)/beta; delta = beta/gamma"


@check(source=_src("R5"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r5_rescaling_b1(delta=BETA ** 2 / ALPHA):
    r"""(R5) C ∈ B1(α, β) ⇒ C/β ∈ B3(β²/α): slack :math:`= (h_1 + 2h_2)/\beta^2`."""
    certify(_b3_slack(delta, m2 / BETA ** 2, g / BETA), (h1 + 2 * h2) / BETA ** 2, _b1(ALPHA, BETA), "B3 slack")
    return "E||C/beta - x||^2 <= (1 - alpha/beta^2)||x||^2: certificate (h1 + 2 h2)/beta^2; delta = beta^2/alpha"


@check(source=_src("R5"), status="DERIVED; EF21 rescaling (1+omega)^-1 C SECONDARY")
def r5_rescaling_unbiased(delta=ZETA):
    r"""(R5) C ∈ U(ζ) ⇒ C/ζ ∈ B3(ζ).

    With :math:`g = X`, directly: :math:`(1-1/\zeta)X - E\|C/\zeta - x\|^2 = (\zeta X - m_2)/\zeta^2`.
    """
    certify(_b3_slack(delta, m2 / ZETA ** 2, X / ZETA), h1 / ZETA ** 2, {h1: ZETA * X - m2}, "B3 slack")
    return "E||C/zeta - x||^2 <= (1 - 1/zeta)||x||^2: certificate (zeta X - m2)/zeta^2; distortion omega/(omega+1)"


@check(source=_src("R6"), status="AUTHOR-POSTER (confirmed on the authors' poster of P1); DERIVED")
def r6_b3_in_b2_b1(gamma=1 / (2 * DELTA), beta=2, alpha=1 / (4 * DELTA ** 2)):
    r"""(R6) B3(δ) ⊆ B2(1/(2δ), 2) ⊆ B1(1/(4δ²), 2).

    B3 is :math:`h = 2g - m_2 - X/\delta \ge 0`; then :math:`g - X/(2\delta) = (h + m_2)/2` and
    :math:`g - m_2/2 = (h + X/\delta)/2`; R3 with γ = 1/(2δ) gives α = γ².
    """
    hyp = {h1: 2 * g - m2 - X / DELTA}
    certify(g - gamma * X, (h1 + m2) / 2, hyp, "B2 gamma")
    certify(g - m2 / beta, (h1 + X / DELTA) / 2, hyp, "B2 beta")
    hyp = {h1: g - X / (2 * DELTA), **JENSEN}
    certify(m2 - alpha * X, jensen + h1 * (h1 + X / DELTA) / X, hyp, "B1 alpha via R3")
    return "B3(delta) slack h = 2g - m2 - X/delta: B2(1/(2 delta), 2) by (h+m2)/2, (h+X/delta)/2; B1(1/(4 delta^2), 2) via R3"


@check(source=_src("R7"), status="DERIVED")
def r7_no_rescaling(b2_delta=1 / (GAMMA * (2 - BETA)), b1_delta=BETA / (ALPHA * (2 - BETA))):
    r"""(R7) For β < 2: B2(γ,β) ⊆ B3(1/(γ(2-β))), B1(α,β) ⊆ B3(β/(α(2-β))).

    Slacks :math:`(2-\beta)h_1 + \beta h_2` (B2) and :math:`(2-\beta)(h_1+h_2)/\beta + h_2` (B1),
    written with :math:`\beta = 2/(1+u)`, u > 0, so that every coefficient is manifestly positive.
    """
    room = {BETA: 2 / (1 + U)}  # every beta in (0, 2); then 2 - beta = 2u/(1+u) > 0
    certify(_b3_slack(b2_delta).subs(room), 2 * U / (1 + U) * h1 + h3,
            {h1: g - GAMMA * X, h3: (BETA * g - m2).subs(room)}, "B2 -> B3")
    certify(_b3_slack(b1_delta).subs(room), U * (h1 + h3) + h3,
            {h1: m2 - ALPHA * X, h3: (BETA * g - m2).subs(room)}, "B1 -> B3")
    return ("with beta = 2/(1+u) in (0,2): B3 slack = (2-beta)(g - gamma X) + (beta g - m2) (B2) and "
            "u(h1 + h2) + h2 with h2 = beta g - m2 (B1)")


@check(source=_src("R8"), status="DERIVED")
def r8_unbiased_in_b3(delta=1 / (2 - ZETA)):
    r"""(R8) U(ζ) ⊆ B3(1/(2-ζ)) iff ζ < 2, and 1/(2-ζ) is the smallest such δ.

    If: slack :math:`= \zeta X - m_2`. Only if / tightness: the Bernoulli(1/ζ) sparsifier is in
    U(ζ) with error exactly :math:`(\zeta-1)X`, which is :math:`\ge X` (so in no B3) when ζ ≥ 2,
    and equals the B3(1/(2-ζ)) bound.
    """
    certify(_b3_slack(delta, m2, X), h1, {h1: ZETA * X - m2}, "inclusion")
    bernoulli_error = (1 / (1 / ZETA) - 1) * X  # (1/p - 1) X with p = 1/zeta
    assert_equal((1 - 1 / delta) * X, bernoulli_error, "Bernoulli(1/zeta) attains the bound")
    require(sp.solve(sp.Eq(bernoulli_error, X), ZETA) == [2], "error reaches ||x||^2 exactly at zeta = 2")
    assert_equal(delta.subs(ZETA, 2 - EPS), 1 / EPS, "delta = 1/(2 - zeta) finite iff zeta < 2")
    return ("U(zeta) in B3(1/(2-zeta)) by certificate zeta X - m2; Bernoulli(1/zeta) has error (zeta-1)||x||^2: "
            "tight, and >= ||x||^2 (in no B3) when zeta >= 2")


if __name__ == "__main__":
    sys.exit(main_for_module("class_relations"))
