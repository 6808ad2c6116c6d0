"""Compressor constants: second moments, variances and their worst cases, derived symbolically.

Every check reduces a "for all x" statement to a per-coordinate (or per-interval) statement,
proves it with sympy (derivative = 0 plus a second-order check, or a nonnegativity certificate)
and, where the sup is attained, evaluates the extremal input exactly.

Source: compressor table (docs/sources.md#table) (table C1-C16), compressor definitions (docs/sources.md#definitions) (exact definitions), checks (docs/sources.md#checks) (extremal
inputs); Tang et al. 2018, Assumption 1 (docs/sources.md#tang) (Bernoulli sparsifier). Paper P1 = Beznosikov,
Horváth, Richtárik, Safaryan, "On Biased Compression for Distributed Learning" (JMLR 2023);
whether P1's table prints exactly these values is [UNCONFIRMED]; the values are [DERIVED].
"""
from __future__ import annotations

import itertools
import sys
from fractions import Fraction

import sympy as sp

from proofs_check._framework import (
    assert_equal,
    assert_nonnegative,
    assert_zero,
    certify,
    check,
    main_for_module,
    require,
)

#: the paper whose claims this module checks (theorytools verify labels its rows with it)
PAPER = "beznosikov2020"

d, k = sp.symbols("d k", positive=True, integer=True)
p = sp.symbols("p", positive=True)
t, u = sp.symbols("t u", positive=True)
a, b = sp.symbols("a b", positive=True)  # two adjacent levels, a < b


def _interior_maximum(ratio, var, lo, hi):
    """Unique interior critical point of ``ratio`` on (lo, hi), checked to be a maximum.

    Returns ``(point, value)``. Raises :class:`ProofFailure` if there is not exactly one critical
    point, if the second derivative there is not negative, or if an endpoint beats it.
    """
    critical = [c for c in sp.solve(sp.diff(ratio, var), var)
                if sp.simplify(c - lo).is_positive and sp.simplify(hi - c).is_positive]
    require(len(critical) == 1, f"expected one interior critical point, got {critical}")
    point = sp.simplify(critical[0])
    value = sp.simplify(ratio.subs(var, point))
    curvature = sp.simplify(sp.diff(ratio, var, 2).subs(var, point))
    require(sp.simplify(-curvature).is_positive is True,
            f"second derivative {curvature} at {point} is not negative")
    for end in (lo, hi):
        require(sp.simplify(value - ratio.subs(var, end)).is_nonnegative is True,
                f"endpoint {end} beats the critical point")
    return point, value


@check(source="P1 Table (unbiased random sparsification); compressor table C2 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)",
       status="AUTHOR-POSTER (scaled Rand-k in U(d/k), zeta form, on P1's poster); DERIVED")
def rand_k_scaled(zeta=d / k):
    r"""Scaled Rand-k :math:`C(x) = \frac{d}{k} x_S` is unbiased with :math:`E\|C(x)\|^2 = \frac{d}{k}\|x\|^2`.

    Proof: :math:`P(i \in S) = \binom{d-1}{k-1}/\binom{d}{k} = k/d`, so per coordinate
    :math:`E C_i = x_i` and :math:`E C_i^2 = \frac{k}{d}\frac{d^2}{k^2}x_i^2 = \frac{d}{k}x_i^2`.
    Hence :math:`\omega = d/k - 1`, and by R8 :math:`C \in B3(k/(2k-d))` iff :math:`k > d/2`.
    """
    xi = sp.symbols("x_i", real=True)
    inclusion = sp.combsimp(sp.binomial(d - 1, k - 1) / sp.binomial(d, k))
    assert_equal(inclusion, k / d, "P(i in S)")
    assert_equal(inclusion * (d / k) * xi, xi, "E C_i = x_i")
    second = inclusion * (d / k) ** 2 * xi ** 2
    assert_equal(second, zeta * xi ** 2, "E C_i^2 = zeta x_i^2")
    # exact enumeration cross-check, d <= 6, every k, x = (1, 2, ..., d)
    for dd in range(1, 7):
        x = [Fraction(i + 1) for i in range(dd)]
        for kk in range(1, dd + 1):
            subsets = list(itertools.combinations(range(dd), kk))
            m2 = sum(sum((Fraction(dd, kk) * x[i]) ** 2 for i in s) for s in subsets) / len(subsets)
            require(m2 == Fraction(zeta.subs({d: dd, k: kk})) * sum(v * v for v in x),
                    f"enumeration d={dd}, k={kk}: E||C||^2 = {m2}")
    assert_equal(1 / (2 - zeta), k / (2 * k - d), "R8 delta for the unrescaled C")
    return ("P(i in S) = k/d (combsimp, all d, k); E C = x; E||C||^2 = (d/k)||x||^2 symbolically "
            "in d, k and by exact enumeration d <= 6; omega = d/k - 1; C in B3(k/(2k-d)) iff k > d/2")


@check(source="P1 Table (biased random sparsification); compressor table C3 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)",
       status="DERIVED (P1's printed value UNCONFIRMED)")
def rand_k_unscaled(error=1 - k / d):
    r"""Unscaled Rand-k :math:`C(x) = x_S`: :math:`E\|C(x)-x\|^2 = (1-k/d)\|x\|^2` for every x.

    Per coordinate :math:`E(C_i - x_i)^2 = P(i\notin S)x_i^2 = (1-k/d)x_i^2`; also
    :math:`E\|C\|^2 = \langle EC, x\rangle = \frac{k}{d}\|x\|^2`, so B1(k/d, 1), B2(k/d, 1), B3(d/k).
    """
    xi = sp.symbols("x_i", real=True)
    keep = sp.combsimp(sp.binomial(d - 1, k - 1) / sp.binomial(d, k))
    assert_equal((1 - keep) * xi ** 2, error * xi ** 2, "E(C_i - x_i)^2")
    assert_equal(keep * xi ** 2, keep * xi * xi, "E C_i^2 = <E C, x>_i")
    assert_equal(1 / (1 - error), d / k, "B3 delta")
    return ("E||x_S - x||^2 = (1 - k/d)||x||^2 and E||C||^2 = <EC,x> = (k/d)||x||^2 symbolically in "
            "d, k: B1(k/d,1), B2(k/d,1), B3(d/k), all attained at every x")


@check(source="Tang et al. 2018, Assumption 1 (docs/sources.md#tang) (Bernoulli(p) sparsifier), checks E-1 (docs/sources.md#checks)",
       status="DERIVED (textbook)")
def bernoulli_sparsifier(omega=1 / p - 1):
    r"""Bernoulli(p) sparsifier :math:`C_i = \xi_i x_i/p`: unbiased, :math:`E\|C-x\|^2 = (1/p-1)\|x\|^2`."""
    xi = sp.symbols("x_i", real=True)
    mean = p * xi / p
    variance = p * (xi / p - xi) ** 2 + (1 - p) * xi ** 2
    assert_equal(mean, xi, "E C_i")
    assert_equal(variance, omega * xi ** 2, "E(C_i - x_i)^2")
    return "E C = x and E||C - x||^2 = (1/p - 1)||x||^2 exactly, symbolically in p"


@check(source="Horváth et al. 2019 (natural compression) via P1 Table; compressor table C8 (docs/sources.md#table), "
              "compressor definitions (docs/sources.md#definitions); checks (docs/sources.md#checks)", status="DERIVED (9/8 SECONDARY)")
def natural_compression(worst_ratio=sp.Rational(9, 8), worst_point=sp.Rational(4, 3)):
    r"""Natural compression: :math:`\sup_t E C(t)^2/t^2 = 9/8`, attained at :math:`|t| = \frac43 2^e`.

    For :math:`2^e \le t \le 2^{e+1}`: up with probability :math:`(t-2^e)/2^e`. Scale invariance
    (:math:`C(2^e u) = 2^e C(u)` in law) reduces the sup to :math:`u \in [1, 2]`, where
    :math:`E C^2/u^2 = (3u-2)/u^2`; its derivative vanishes only at :math:`u = 4/3`
    (value 9/8, second derivative < 0; endpoints 1).
    """
    h = sp.Symbol("h", positive=True)  # h = 2^e; the law of C(h u)/h does not depend on h
    lo, hi = h, 2 * h
    up = (t - lo) / lo
    mean = (1 - up) * lo + up * hi
    second = (1 - up) * lo ** 2 + up * hi ** 2
    assert_equal(mean, t, "unbiasedness on [2^e, 2^(e+1)]")
    ratio = sp.simplify((second / t ** 2).subs(t, lo * u))
    require(not ratio.has(h), f"ratio depends on the scale 2^e: {ratio}")
    assert_equal(ratio, (3 * u - 2) / u ** 2, "scale-invariant ratio on [1, 2]")
    point, value = _interior_maximum(ratio, u, 1, 2)
    assert_equal(point, worst_point, "worst point")
    assert_equal(value, worst_ratio, "worst ratio zeta")
    return (f"E C = t; E C^2/t^2 = (3u-2)/u^2 on u = t/2^e in [1,2] (independent of e); unique "
            f"max at u = {point}, value {value} (2nd-order check, endpoints 1): zeta = 9/8, omega = 1/8")


@check(source="P1 general unbiased rounding; compressor table C7 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)",
       status="DERIVED; P1's form (1/4)(a/b + b/a + 2) UNCONFIRMED, shown equal")
def unbiased_rounding_levels(quarter=sp.Rational(1, 4)):
    r"""Unbiased rounding between adjacent levels :math:`a < b`: worst :math:`E C^2/t^2 = \frac{(a+b)^2}{4ab}`.

    Variance :math:`(b-t)(t-a)`; ratio :math:`1 + (b-t)(t-a)/t^2` is maximal at
    :math:`t = 2ab/(a+b)` with value :math:`(a+b)^2/(4ab) = \frac14(a/b + b/a + 2)`;
    :math:`\zeta = \sup_j` of it over the level intervals.
    """
    upward = (t - a) / (b - a)
    mean = (1 - upward) * a + upward * b
    second = (1 - upward) * a ** 2 + upward * b ** 2
    assert_equal(mean, t, "unbiasedness")
    assert_equal(second - t ** 2, (b - t) * (t - a), "variance (b-t)(t-a)")
    bb = a + sp.Symbol("gap", positive=True)  # b > a
    ratio = (second / t ** 2).subs(b, bb)
    point, value = _interior_maximum(ratio, t, a, bb)
    assert_equal(point, (2 * a * b / (a + b)).subs(b, bb), "worst t")
    assert_equal(value, (quarter * (a / b + b / a + 2)).subs(b, bb), "worst ratio (paper form)")
    assert_equal(value, ((a + b) ** 2 / (4 * a * b)).subs(b, bb), "worst ratio (a+b)^2/(4ab)")
    assert_equal(value.subs({a: 1}).subs(sp.Symbol("gap", positive=True), 1),
                 sp.Rational(9, 8), "levels 2^j give 9/8")
    return ("variance (b-t)(t-a); E C^2/t^2 maximal at t = 2ab/(a+b) (2nd-order check), value "
            "(a+b)^2/(4ab) = (1/4)(a/b + b/a + 2); a_j = 2^j gives 9/8")


@check(source="P1 general biased rounding; compressor table C9 (docs/sources.md#table), C10, C10b, compressor definitions (docs/sources.md#definitions)",
       status="DERIVED (consistent with REFERENCE-CODE 1/delta = 4b/(b+1)^2)")
def biased_rounding_levels(delta_coefficient=sp.Rational(1, 4)):
    r"""Biased (nearest-level) rounding between :math:`a < b`: :math:`\gamma = \frac{2a}{a+b}`,
    :math:`\beta = \frac{2b}{a+b}`, :math:`\delta = \frac{(a+b)^2}{4ab}`.

    Below the midpoint :math:`m=(a+b)/2`, :math:`C=a` and the relative error
    :math:`(t-a)^2/t^2` increases; above it, :math:`C=b` and :math:`(b-t)^2/t^2` decreases: the
    sup is at :math:`m`, :math:`((b-a)/(b+a))^2`. :math:`\langle C,x\rangle/x^2 = C/t` gives
    :math:`\gamma` (inf, at m from below) and :math:`\beta` (sup, as t -> m from above).
    """
    mid = (a + b) / 2
    down_err, up_err = (t - a) ** 2 / t ** 2, (b - t) ** 2 / t ** 2
    assert_equal(sp.diff(down_err, t), 2 * a * (t - a) / t ** 3, "d/dt error below m (>= 0 on [a,m])")
    assert_equal(sp.diff(up_err, t), -2 * b * (b - t) / t ** 3, "d/dt error above m (<= 0 on [m,b])")
    worst = sp.simplify(down_err.subs(t, mid))
    assert_equal(worst, up_err.subs(t, mid), "continuity of the error at m")
    assert_equal(worst, ((b - a) / (b + a)) ** 2, "worst relative error")
    delta = delta_coefficient * (a + b) ** 2 / (a * b)
    assert_equal(1 / (1 - worst), delta, "delta = 1/(1 - worst error)")
    gamma, beta = a / mid, b / mid
    assert_equal(gamma, 2 * a / (a + b), "gamma")
    assert_equal(beta, 2 * b / (a + b), "beta")
    r = sp.Symbol("r", positive=True)  # geometric levels b = r a
    geo = {b: r * a}
    assert_equal(1 / delta.subs(geo), 4 * r / (r + 1) ** 2, "reference-code 1/delta = 4b/(b+1)^2")
    two = {b: 2 * a}
    values = [sp.simplify(v.subs(two)) for v in (gamma, beta, delta, gamma ** 2)]
    require(values == [sp.Rational(2, 3), sp.Rational(4, 3), sp.Rational(9, 8), sp.Rational(4, 9)],
            f"biased natural compression constants {values}")
    return ("worst relative error ((b-a)/(a+b))^2 at the midpoint (monotonicity on both halves); "
            "delta = (a+b)^2/(4ab), gamma = 2a/(a+b), beta = 2b/(a+b), B1 alpha = gamma^2; "
            "a_j = 2^j: (gamma, beta, delta, alpha) = (2/3, 4/3, 9/8, 4/9); a_j = r^j: 1/delta = 4r/(r+1)^2")


@check(source="P1 (l2-quantization, cited by Malinovsky et al.); compressor table C11 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions); checks (docs/sources.md#checks)",
       status="DERIVED (sqrt(d) - 1 SECONDARY)")
def dithering_s1(omega=sp.sqrt(d) - 1):
    r"""Random dithering, s = 1, p = 2: :math:`E\|C\|^2 = \|x\|_2\|x\|_1 \le \sqrt d\|x\|^2`, so :math:`\omega = \sqrt d - 1`.

    :math:`C_i = \|x\|\,\mathrm{sign}(x_i)\xi_i`, :math:`P(\xi_i = 1) = |x_i|/\|x\|`. The bound is
    Lagrange's identity :math:`d\sum y_i^2 - (\sum y_i)^2 = \sum_{i<j}(y_i-y_j)^2`, with equality
    iff all :math:`|x_i|` are equal (checked symbolically for d = 2..12; the identity is classical for all d).
    """
    norm, xi = sp.symbols("N x_i", positive=True)  # N = ||x||_2, coordinate magnitude x_i <= N
    keep = xi / norm
    assert_equal(keep * norm, xi, "E |C_i| = |x_i| (unbiased)")
    assert_equal(keep * norm ** 2, norm * xi, "E C_i^2 = ||x|| |x_i|")
    for dd in range(2, 13):
        y = sp.symbols(f"y1:{dd + 1}", nonnegative=True)
        lagrange = sum((y[i] - y[j]) ** 2 for i in range(dd) for j in range(i + 1, dd))
        assert_zero(dd * sum(v * v for v in y) - sum(y) ** 2 - lagrange, f"Lagrange identity d={dd}")
    c = sp.Symbol("c", positive=True)  # equal magnitudes
    ratio_at_equal = (sp.sqrt(d) * c) * (d * c) / (d * c ** 2)  # ||x||_2 ||x||_1 / ||x||^2
    assert_equal(ratio_at_equal - 1, omega, "omega at equal magnitudes")
    return ("E C = x; E||C||^2 = ||x||_2 ||x||_1 <= sqrt(d)||x||^2 (Lagrange identity, symbolic d=2..12), "
            "equality iff |x_i| all equal, where E||C||^2/||x||^2 = sqrt(d) symbolically in d: omega = sqrt(d) - 1")


@check(source="QSGD (Alistarh et al. 2017) bound quoted in P1 Table; compressor table C11 (docs/sources.md#table) note, compression open item 4 (docs/sources.md#open-items); "
              "Tang et al. 2018, Assumption 1 (docs/sources.md#tang)", status="DERIVED; printed QSGD form UNCONFIRMED")
def dithering_variance_bound(coefficient=sp.Rational(1, 4)):
    r"""Random dithering with s levels: :math:`\omega \le \min(d/(4s^2), \sqrt d/s)`, and d/(4s²) is attained.

    Per coordinate, with :math:`v = u_i - l_i/s \in [0, 1/s]`, the variance is
    :math:`\|x\|^2 v(1/s - v) \le \|x\|^2/(4s^2)` (max at :math:`v = 1/(2s)`), and
    :math:`\le \|x\|^2 u_i/s`, whose sum is :math:`\le \sqrt d\|x\|^2/s`. Attained: d = 16, s = 4,
    :math:`u = (1/8, \dots, 1/8, 7/8)` gives exactly 1/4 = d/(4s²).
    """
    s, v = sp.symbols("s v", positive=True)
    point, value = _interior_maximum(v * (1 / s - v), v, 0, 1 / s)
    assert_equal(point, 1 / (2 * s), "maximiser")
    assert_equal(value * s ** 2, coefficient, "per-coordinate max times s^2")
    uu, level = sp.symbols("u l", nonnegative=True)
    # v(1/s - v) <= u/s with v = u - l/s: u/s - v(1/s - v) = l/s^2 + v^2
    w = sp.Symbol("w", nonnegative=True)
    certify(uu / s - (uu - level / s) * ((level + 1) / s - uu), w ** 2 + level / s ** 2,
            {w: uu - level / s}, "variance <= u/s")
    # attainment at d = 16, s = 4
    u_vec = [Fraction(1, 8)] * 15 + [Fraction(7, 8)]
    require(sum(q * q for q in u_vec) == 1, "extremal u is not a unit vector")
    total = sum((q - Fraction(int(4 * q), 4)) * (Fraction(int(4 * q) + 1, 4) - q) for q in u_vec)
    require(total == Fraction(str(coefficient)) * Fraction(16, 4 ** 2), f"attained variance {total} != coefficient*d/s^2")
    # s = 1: exact omega = ||x||_1/||x|| - 1 <= sqrt(d) - 1, below the sqrt(d)/s branch by exactly 1
    finding = ("QSGD-form bound omega <= min(d/s^2, sqrt(d)/s) (as quoted in compressor table C11 (docs/sources.md#table) and "
               "Tang et al. 2018, Assumption 1 (docs/sources.md#tang)) is loose: the first branch is d/(4s^2), attained "
               "(d=16, s=4 gives exactly 1/4); at s = 1 the exact worst case is sqrt(d) - 1, not sqrt(d). "
               "Corrected: omega <= min(d/(4s^2), sqrt(d)/s), with omega = sqrt(d) - 1 at s = 1.")
    return ("per-coordinate variance v(1/s - v) <= 1/(4s^2) (max at v = 1/(2s), 2nd-order check) and <= u/s "
            "(certificate): omega <= min(d/(4s^2), sqrt(d)/s); attained exactly at d=16, s=4", finding)


@check(source="Horváth et al. 2019 natural dithering; compressor table C12 (docs/sources.md#table) (formula UNCONFIRMED "
              "as P1's), compressor definitions (docs/sources.md#definitions)", status="DERIVED (the C12 formula is proved a valid bound for every p >= 1)")
def natural_dithering_bound(natural_coefficient=sp.Rational(1, 8)):
    r"""Natural dithering, s levels :math:`\{0, 2^{1-s}, \dots, 1\}` of :math:`u = |x_i|/\|x\|_p`:
    :math:`\omega \le \frac18 + t\min(1, t)`, :math:`t = d^{1/r}2^{1-s}`, :math:`r = \min(p, 2)`.

    Per coordinate: on :math:`[\ell, 2\ell]` (adjacent powers of two) the variance
    :math:`(u-\ell)(2\ell-u) \le u^2/8`, since :math:`u^2 - 8(u-\ell)(2\ell-u) = (3u-4\ell)^2`;
    on :math:`[0, b]`, :math:`b = 2^{1-s}`, the variance :math:`u(b-u) \le ub` and :math:`\le b^2/4 \le b^2`.
    Summing, :math:`\mathrm{Var} \le \|x\|_p^2[\frac18\|u\|_2^2 + b\min(\|u\|_1, db)]`, and with
    Hölder :math:`\|x\|_p \le c_p\|x\|_2`, :math:`\|x\|_1 \le \sqrt d\|x\|_2`,
    :math:`c_p = \max(1, d^{1/p-1/2})`, :math:`c_p\sqrt d = d^{1/r}`: the bound follows.
    """
    ell = sp.Symbol("ell", positive=True)
    uu = sp.Symbol("u", positive=True)
    variance = (uu - ell) * (2 * ell - uu)
    assert_equal(uu ** 2 / 8 - variance, (3 * uu - 4 * ell) ** 2 / 8,
                 "u^2/8 - (u-l)(2l-u) = (3u-4l)^2/8 >= 0")
    # the coefficient 1/8 is the least one: at u = 4l/3 the variance equals u^2/8 exactly
    at = (uu - ell) * (2 * ell - uu) / uu ** 2
    require(sp.simplify(at.subs(uu, 4 * ell / 3) - natural_coefficient) == 0,
            f"variance/u^2 at u = 4l/3 is {sp.simplify(at.subs(uu, 4 * ell / 3))}, "
            f"not {natural_coefficient}")
    b = sp.Symbol("b", positive=True)
    w = sp.Symbol("w", nonnegative=True)  # w = u >= 0 on the bottom interval
    certify(uu * b - uu * (b - uu), w ** 2, {w: uu}, "bottom interval: u(b-u) <= u b")
    # Hölder constants: (c_p sqrt d) = d^(1/r) for both branches
    dd = sp.Symbol("D", positive=True)
    pp = sp.Symbol("P", positive=True)
    assert_equal(sp.sqrt(dd), dd ** sp.Rational(1, 2), "p >= 2: c_p sqrt(d) = d^(1/2)")
    assert_equal(sp.powsimp(dd ** (1 / pp - sp.Rational(1, 2)) * sp.sqrt(dd)), dd ** (1 / pp),
                 "p < 2: c_p sqrt(d) = d^(1/p)")
    return ("variance <= u^2/8 between adjacent powers ((3u-4l)^2 identity; equality at u = 4l/3), "
            "<= u b below b = 2^(1-s); Hölder gives omega <= 1/8 + t min(1, t), t = d^(1/min(p,2)) 2^(1-s)")


@check(source="compressor table C13 (docs/sources.md#table); checks (docs/sources.md#checks); compression open item 6 (docs/sources.md#open-items) (convention sign(0) := +1, as implemented)",
       status="DERIVED")
def scaled_sign_plus_one(alpha=1 / d):
    r"""Scaled sign with :math:`\mathrm{sign}(0) := +1` (theorytools' convention): B1(1/d, 1), B2(1/d, 1), B3(d).

    Every entry of :math:`C = \frac{\|x\|_1}{d}\mathrm{sign}(x)` has modulus :math:`\|x\|_1/d`, so
    :math:`\|C\|^2 = \langle C, x\rangle = \|x\|_1^2/d` (β = 1, exactly) and
    :math:`\|C - x\|^2 = \|x\|^2 - \|x\|_1^2/d`. With :math:`\|x\|_1^2 \ge \|x\|^2`:
    :math:`\|C\|^2 \ge \|x\|^2/d` (α = γ = 1/d) and the error is :math:`\le (1-1/d)\|x\|^2`
    (δ = d); all attained at :math:`x = e_1`.
    """
    l1sq, l2sq = sp.symbols("L1sq L2sq", positive=True)
    h = sp.Symbol("h", nonnegative=True)   # h = ||x||_1^2 - ||x||^2 >= 0
    second = l1sq / d
    error = l2sq - 2 * l1sq / d + l1sq / d
    certify(second - alpha * l2sq, h / d, {h: l1sq - l2sq}, "B1 alpha = 1/d")
    certify((1 - alpha) * l2sq - error, h / d, {h: l1sq - l2sq}, "B3 delta = 1/alpha = d")
    # attained at e_1: ||x||_1^2 = ||x||^2
    require(sp.simplify((second - alpha * l2sq).subs(l1sq, l2sq)) == 0, "alpha not attained at e_1")
    return ("||C||^2 = <C,x> = ||x||_1^2/d, error = ||x||^2 - ||x||_1^2/d; certificates with "
            "h = ||x||_1^2 - ||x||^2 >= 0 give alpha = gamma = 1/d, delta = d, beta = 1; equality at e_1")


@check(source="P1 scaled sign (if listed: unknown); compressor table C13 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions); checks (docs/sources.md#checks); compression open item 6 (docs/sources.md#open-items)",
       status="DERIVED")
def scaled_sign(delta=d):
    r"""Scaled sign :math:`C(x) = \frac{\|x\|_1}{d}\mathrm{sign}(x)`: B3(d), B2(1/d, 1), B1(1/d², 1).

    With :math:`m = \mathrm{nnz}(x)`: :math:`\|C-x\|^2 = \|x\|^2 - (2 - m/d)\|x\|_1^2/d
    \le (1-1/d)\|x\|^2` (certificate: :math:`(1-m/d)\|x\|_1^2 + (\|x\|_1^2 - \|x\|^2) \ge 0`);
    the sup is approached as :math:`x = e_1 + \varepsilon\mathbf 1`, :math:`\varepsilon \to 0`
    (sign(0) = 0).
    """
    for dd in range(1, 6):  # the error identity, with all sign patterns of nonzero coordinates
        xs = sp.symbols(f"z1:{dd + 1}", positive=True)
        for signs in itertools.product((1, -1), repeat=dd):
            x = [sg * z for sg, z in zip(signs, xs)]
            l1 = sum(xs)
            err = sum((l1 / dd * sg - xv) ** 2 for sg, xv in zip(signs, x))
            assert_zero(err - (sum(z * z for z in xs) - (2 - sp.Integer(dd) / dd) * l1 ** 2 / dd),
                        f"error identity d={dd}")
    l2sq, l1, m = sp.symbols("S2 S1 m", positive=True)
    h1, h2 = sp.symbols("h1 h2", nonnegative=True)  # h1 = S1^2 - S2 >= 0, h2 = 1 - m/d >= 0
    err = l2sq - (2 - m / d) * l1 ** 2 / d
    certify((1 - 1 / d) * l2sq - err, (h2 * l1 ** 2 + h1) / d,
            {h1: l1 ** 2 - l2sq, h2: 1 - m / d}, "B3(d) bound")
    eps = sp.Symbol("epsilon", positive=True)
    ratio = 1 - (1 + d * eps) ** 2 / (d * ((1 + eps) ** 2 + (d - 1) * eps ** 2))
    assert_equal(sp.limit(ratio, eps, 0), 1 - 1 / delta, "sup approached at e_1 + eps*1")
    # B2: <C,x> = S1^2/d >= S2/d; ||C||^2 = m S1^2/d^2 <= <C,x>; B1 alpha: 1-sparse gives 1/d^2
    certify(l1 ** 2 / d - l2sq / d, h1 / d, {h1: l1 ** 2 - l2sq}, "B2 gamma = 1/d")
    certify(l1 ** 2 / d - m * l1 ** 2 / d ** 2, h2 * l1 ** 2 / d, {h2: 1 - m / d}, "beta = 1")
    assert_equal((1 * l1 ** 2 / d ** 2).subs(l1, sp.sqrt(l2sq)) / l2sq, 1 / d ** 2, "B1 alpha at 1-sparse x")
    return ("||C-x||^2 = ||x||^2 - (2 - nnz/d)||x||_1^2/d (symbolic, d <= 5, all signs); <= (1 - 1/d)||x||^2 "
            "by certificate (all d); sup approached at e_1 + eps*1 (limit, symbolic d): B3(d); B2(1/d, 1); "
            "B1 alpha = 1/d^2 at 1-sparse x with sign(0) = 0")


@check(source="P1 'Top-k + natural dithering' (v1 abstract, SECONDARY); compressor table C15 (docs/sources.md#table); checks (docs/sources.md#checks)",
       status="DERIVED; P1's exact theorem UNCONFIRMED")
def top_k_composition(zeta_prime=sp.Rational(9, 8)):
    r"""Top-k followed by :math:`C' \in U(\zeta')`: B2(k/d, ζ'), B3(d/(k(2-ζ'))), tight for natural compression.

    With :math:`S = \|x_S\|^2 \ge \frac kd\|x\|^2`, :math:`\langle EC, x\rangle = S`,
    :math:`E\|C\|^2 \le \zeta' S`: :math:`(1 - (2-\zeta')\frac kd)\|x\|^2 - E\|C-x\|^2
    = (2-\zeta')(S - \frac kd\|x\|^2) + (\zeta' S - E\|C\|^2) \ge 0`. At :math:`x = \frac43\mathbf 1`
    with C' = natural compression the bound is attained: error :math:`1 - \frac78\frac kd`.
    Rescaled: :math:`\frac1{\zeta'}C \in B3(\zeta' d/k)`, i.e. 9d/(8k).
    """
    X, S, m2 = sp.symbols("X S m2", positive=True)
    h1, h2, room = sp.symbols("h1 h2 room", nonnegative=True)  # room = 2 - zeta' > 0 (zeta' < 2)
    err = m2 - 2 * S + X
    certify((1 - (2 - zeta_prime) * k / d) * X - err, room * h1 + h2,
            {h1: S - k * X / d, h2: zeta_prime * S - m2, room: 2 - zeta_prime}, "B3 bound")
    # extremal: x = (4/3)*1, natural compression's exact second moment at 4/3 (from its definition)
    tval = sp.Rational(4, 3)
    nat_second = (2 - tval) * 1 + (tval - 1) * 4  # on [1, 2]: down w.p. 2 - t, up w.p. t - 1
    kept = k * (nat_second - 2 * tval ** 2 + tval ** 2)
    dropped = (d - k) * tval ** 2
    exact = (kept + dropped) / (d * tval ** 2)
    assert_equal(exact, 1 - (2 - zeta_prime) * k / d, "bound attained at x = (4/3)*1")
    assert_equal(1 / (1 - exact), d / (k * (2 - zeta_prime)), "unscaled delta")
    assert_equal(zeta_prime / (k / d), sp.Rational(9, 8) * d / k, "rescaled delta = zeta' d/k (R5)")
    return ("certificate (2-z')(S - k/d X) + (z' S - E||C||^2) for error <= (1 - (2-z')k/d)||x||^2; attained "
            "at x = (4/3)*1 with natural compression: delta = 8d/(7k) unscaled, 9d/(8k) for (8/9)C")


@check(source="Horváth & Richtárik 2020 (induced compressor); compressor table C16 (docs/sources.md#table)",
       status="DERIVED")
def induced_compressor(coefficient=1):
    r"""Induced compressor :math:`C_1(x) + C_2(x - C_1(x))`: unbiased, :math:`\omega = (\zeta_2-1)(1-1/\delta)`.

    :math:`E[C \mid C_1] = x` and :math:`E\|C-x\|^2 = E\|C_2(r)-r\|^2 \le (\zeta_2-1)E\|r\|^2
    \le (\zeta_2-1)(1-1/\delta)\|x\|^2`. Checked exactly by enumeration for d = 4,
    C1 = Top-1 (δ = 4), C2 = scaled Rand-1 (ζ2 = 4) on symbolic x with :math:`x_1` largest; the
    bound 9/4 is attained at :math:`x = \mathbf 1`.
    """
    xs = sp.symbols("x1:5", positive=True)
    dd, zeta2, delta = 4, 4, 4
    c1 = [xs[0], 0, 0, 0]
    r = [xs[i] - c1[i] for i in range(dd)]
    outcomes = []
    for j in range(dd):  # scaled Rand-1 of r: d * r_j e_j with probability 1/d
        c2 = [dd * r[j] if i == j else 0 for i in range(dd)]
        outcomes.append([c1[i] + c2[i] for i in range(dd)])
    mean = [sum(o[i] for o in outcomes) / dd for i in range(dd)]
    for i in range(dd):
        assert_equal(mean[i], xs[i], f"unbiasedness, coordinate {i}")
    err = sum(sum((o[i] - xs[i]) ** 2 for i in range(dd)) for o in outcomes) / dd
    rnorm = sum(v * v for v in r)
    assert_equal(err, (zeta2 - 1) * rnorm, "E||C - x||^2 = (zeta2 - 1)||r||^2")
    omega = coefficient * (zeta2 - 1) * (1 - sp.Rational(1, delta))
    xnorm = sum(v * v for v in xs)
    # ||r||^2 <= (3/4)||x||^2 when x_1 is the largest: 3 x_1^2 >= x_2^2 + x_3^2 + x_4^2
    gaps = sp.symbols("g2:5", nonnegative=True)  # x_1^2 - x_i^2 >= 0
    certify(omega * xnorm - err, (zeta2 - 1) * sum(gaps) / 4,
            {gaps[i - 1]: xs[0] ** 2 - xs[i] ** 2 for i in range(1, 4)}, "omega bound")
    ones = {v: 1 for v in xs}
    assert_equal(err.subs(ones) / xnorm.subs(ones), omega, "bound attained at x = 1")
    return ("exact enumeration (d=4, Top-1 then scaled Rand-1, symbolic x): E C = x, E||C-x||^2 = "
            "(zeta2-1)||x - C1(x)||^2 <= (zeta2-1)(1-1/delta)||x||^2 (certificate), attained at x = 1: "
            "omega = (zeta2 - 1)(1 - 1/delta)")


if __name__ == "__main__":
    sys.exit(main_for_module("compressor_constants"))
