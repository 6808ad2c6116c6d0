"""The two slips on P1's poster (authors' poster of P1, docs/sources.md#posters), each
refuted by an explicit counterexample computed in exact arithmetic; the derived relation that
replaces it (R2, R5 of docs/theorems.md "Class relations") is checked on the same example.

A check here PASSES when the counterexample refutes the slip AND the kept relation holds: a
planted coefficient that makes the slip true (or the kept relation false) turns it to FAIL.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from proofs_check._framework import check, require

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "beznosikov2020"

SRC = "P1 poster [AUTHOR-POSTER] (slip); docs/theorems.md 'Poster slips'"


def _in_b1(m2, g, X, alpha, beta):
    """B1(alpha, beta) at one x: alpha X <= m2 <= beta g."""
    return alpha * X <= m2 <= beta * g


def _in_b2(m2, g, X, gamma, beta):
    """B2(gamma, beta) at one x: max(gamma X, m2/beta) <= g."""
    return max(gamma * X, m2 / beta) <= g


@check(source=SRC + "; kept: R2 B1(alpha, beta) ⊆ B2(alpha/beta, beta)",
       status="DERIVED (refutes the poster's 'B1(alpha,beta) ⊆ B2(alpha,beta^2)')")
def b1_in_b2_slip(lam=Fraction(2)):
    r"""C = 2I is in B1(4, 2) but not in B2(4, 4): the poster's B1(α,β) ⊆ B2(α,β²) is false.

    For C = λI and every x: :math:`m_2 = \|C(x)\|^2 = \lambda^2\|x\|^2`,
    :math:`g = \langle C(x), x\rangle = \lambda\|x\|^2`. With :math:`\alpha = \lambda^2`,
    :math:`\beta = \lambda`: :math:`\alpha X \le m_2 \le \beta g` (B1, equalities). The claimed
    :math:`B_2(\alpha, \beta^2)` needs :math:`\alpha X = \lambda^2 X \le g = \lambda X`, false
    for :math:`\lambda > 1`. R2's :math:`B_2(\alpha/\beta, \beta) = B_2(\lambda, \lambda)` holds.
    """
    X = Fraction(1)
    m2, g = lam * lam * X, lam * X
    alpha, beta = lam * lam, lam
    require(_in_b1(m2, g, X, alpha, beta), f"C = {lam} I must be in B1({alpha}, {beta})")
    require(not _in_b2(m2, g, X, alpha, beta * beta),
            f"the slip B2({alpha}, {beta * beta}) must fail at C = {lam} I")
    require(_in_b2(m2, g, X, alpha / beta, beta), f"R2: B2({alpha / beta}, {beta}) must hold")
    return (f"C = {lam} I: in B1({alpha}, {beta}); gamma X = {alpha} > <C(x), x> = {g}, so not in "
            f"B2({alpha}, {beta * beta}); in B2({alpha / beta}, {beta}) (R2)")


@check(source=SRC + "; kept: R5 C in U(zeta) => (1/zeta) C in B3(zeta)",
       status="DERIVED (refutes the poster's '(1/zeta) C in B3(1/zeta)')")
def unbiased_rescaling_slip(d=2, k=1):
    r"""Scaled Rand-1 in d = 2 (ζ = 2): (1/ζ)C is in B3(ζ) = B3(2) but not in B3(1/ζ) = B3(1/2).

    :math:`B_3(\delta)` means :math:`\mathbb{E}\|C(x)-x\|^2 \le (1 - 1/\delta)\|x\|^2`, so
    :math:`\delta \ge 1` is needed for any compressor (the right side is negative for
    :math:`\delta < 1`); :math:`1/\zeta < 1` whenever :math:`\zeta > 1`. Exact enumeration of
    the uniform 1-subsets at x = (1, 2): :math:`\mathbb{E}\|x_S - x\|^2 = \tfrac12\|x\|^2`,
    equal to :math:`(1 - 1/\zeta)\|x\|^2` (R5, tight) and above
    :math:`(1 - \zeta)\|x\|^2 = -\|x\|^2`.
    """
    x = [Fraction(i + 1) for i in range(d)]
    subsets = list(combinations(range(d), k))
    zeta = Fraction(d, k)
    # (1/zeta) C(x) = (1/zeta)(d/k) x_S = x_S
    err = sum(sum(x[i] ** 2 for i in range(d) if i not in s) for s in subsets) / len(subsets)
    norm2 = sum(v * v for v in x)
    require(zeta > 1, "the example needs zeta > 1")
    require(err <= (1 - 1 / zeta) * norm2, "R5: (1/zeta) C in B3(zeta) must hold")
    require(err > (1 - zeta) * norm2, "the slip B3(1/zeta) must fail")
    return (f"d = {d}, k = {k}, zeta = {zeta}: E||C/zeta - x||^2 = {err} = (1 - 1/zeta)||x||^2 "
            f"(R5 tight) > (1 - zeta)||x||^2 = {(1 - zeta) * norm2} (the slip's B3(1/zeta))")
