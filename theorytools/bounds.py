"""Rate-distortion lower bounds for compressing a vector of R^d (P2's classes (docs/sources.md#classes); P2 lower bounds (docs/sources.md#lower-bounds); compression open item 7 (docs/sources.md#open-items); compression open item 8 (docs/sources.md#open-items)).

Three bounds, for three different models; they are kept apart on purpose (compression open item 7 (docs/sources.md#open-items)):

=============================  ==========================================================
function                       model
=============================  ==========================================================
:func:`worst_case_bits`        cap-covering bound. Deterministic (or randomised, but with no
                               randomness shared with the receiver) compressor whose output
                               *direction* is one of ``N = 2^b`` fixed directions; fixed-length
                               code of ``b`` bits; the **norm is free** (sent separately, not
                               counted in ``b``); worst case over ``x``:
                               ``E||C(x) - x||^2 <= alpha ||x||^2`` for every ``x``.
:func:`average_case_bits`      cap-rearrangement bound. Codebook of ``N = 2^b`` directions,
                               ``x`` uniform on the sphere, reconstruction the best nonnegative
                               multiple of the chosen codeword (norm free), fixed-length code,
                               no shared randomness; bounds the *average* distortion.
:func:`uncertainty_principle_bits`
                               ball-covering bound ``alpha * 4^(b/d) >= 1``: the ``2^b``
                               possible outputs, **norm included** in ``b``, fixed-length
                               code, no shared randomness.
=============================  ==========================================================

None of them applies to variable-length codes (expected length), nor to compressors that
share randomness with the receiver (a shared seed is side information agreed in advance and
is not counted, so the covering argument fails; see :class:`theorytools.codecs.message.Message`).

Notation: ``alpha`` is P2's normalised distortion (notation (ii) (docs/sources.md#notation)), ``0 < alpha < 1``, smaller
is better; ``d >= 2`` is the dimension; ``a = (d - 1)/2``.

Accuracy (checked by ``tests/test_bounds.py`` against mpmath at 50 digits): the worst-case bits
have relative error below 1e-10 (measured: below 1e-14) for every ``d`` from 2 to 10^8 and every
``alpha`` in (0, 1). Nothing under- or overflows: everything is computed as a logarithm.
"""
from __future__ import annotations

import csv
import io
import math
from typing import NamedTuple, Sequence

import numpy as np
from scipy import integrate, optimize, special

from theorytools.errors import TheorytoolsError, check_int, check_real

__all__ = [
    "cap_measure", "log2_cap_measure", "worst_case_bits", "worst_case_bits_log_d",
    "WORST_CASE_LOG_D_CONSTANT", "worst_case_bits_asymptotic",
    "average_case_distortion", "average_case_distortion_bits",
    "log2_average_case_distortion_bits", "average_case_bits", "uncertainty_principle_bits",
    "BoundsRow", "bounds_table", "table_to_csv", "table_to_markdown",
    "CAP_MEASURE_METHODS", "ASYMPTOTIC_COEFFICIENTS",
]

_LN2 = math.log(2.0)
_LN_PI = math.log(math.pi)

# Gauss-Laguerre rule for J = int_0^inf e^{-u} (1 - alpha e^{-u/a})^{-1/2} du. The integrand's
# nearest singularity is at u = -a ln(1/alpha); when that distance is >= _LAGUERRE_MIN_DISTANCE
# the integrand is analytic on a disc of radius >= 100 around every node that matters and the
# 40-point rule is exact to rounding (measured error < 1e-15 already at distance 5).
_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = np.polynomial.laguerre.laggauss(40)
_LAGUERRE_MIN_DISTANCE = 100.0
# Below this ln(alpha), alpha = exp(ln_alpha) is subnormal or zero: only the log form works.
_MIN_NORMAL_LN_ALPHA = -700.0

CAP_MEASURE_METHODS = ("auto", "closed_form", "betainc", "laguerre", "quad")


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_alpha(alpha, name: str = "alpha") -> float:
    return check_real(alpha, name, low=0.0, high=1.0, low_open=True, high_open=True)


def _check_d(d) -> int:
    return check_int(d, "d", low=2)


# --------------------------------------------------------------------------------------------
# the normalised cap measure, in log domain
# --------------------------------------------------------------------------------------------
def _ln_beta_half(a: float) -> float:
    """ln B(a, 1/2) = ln Gamma(1/2) - ln(Gamma(a + 1/2)/Gamma(a)).

    ``poch(a, 1/2) = Gamma(a+1/2)/Gamma(a)`` is evaluated without the cancellation of
    ``gammaln(a) - gammaln(a+1/2)``; measured absolute error < 4e-13 for a up to 5e11
    (scipy's ``betaln`` has 9e-11 at a = 5e5).
    """
    return 0.5 * _LN_PI - math.log(special.poch(a, 0.5))


def _complement(ln_alpha: float, alpha: float) -> float:
    """1 - alpha to full relative precision (exact when alpha >= 1/2, by Sterbenz)."""
    return 1.0 - alpha if alpha >= 0.5 else -math.expm1(ln_alpha)


def _ln_cap_laguerre(ln_alpha: float, alpha: float, d: int) -> float:
    a = 0.5 * (d - 1)
    # 1 - alpha e^{-u/a} = (1 - alpha) + alpha (1 - e^{-u/a}): a sum of nonnegative terms, no
    # cancellation even for alpha within an ulp of 1. alpha may have underflowed to 0 (J = 1).
    base = _complement(ln_alpha, alpha) - alpha * np.expm1(-_LAGUERRE_NODES / a)
    ln_j = math.log(float(np.dot(_LAGUERRE_WEIGHTS, base ** -0.5)))
    return a * ln_alpha - math.log(a) + ln_j - _ln_beta_half(a) - _LN2


def _ln_cap_quad(ln_alpha: float, alpha: float, d: int) -> float:
    # reference computation (docs/sources.md#checks): adaptive quadrature of the same integral J, split where the
    # integrand varies (width a(1 - alpha) near u = 0 when alpha is close to 1).
    a = 0.5 * (d - 1)
    complement = _complement(ln_alpha, alpha)

    def integrand(u):
        return math.exp(-u) * (complement - alpha * math.expm1(-u / a)) ** -0.5

    width = min(1.0, a * complement)
    edges = [0.0] + [width * 10.0 ** k for k in range(0, 20) if width * 10.0 ** k < 1.0] + [1.0]
    j = sum(integrate.quad(integrand, lo, hi, limit=200, epsabs=0.0, epsrel=1e-13)[0]
            for lo, hi in zip(edges[:-1], edges[1:]))
    j += integrate.quad(integrand, 1.0, math.inf, limit=400, epsabs=0.0, epsrel=1e-13)[0]
    return a * ln_alpha - math.log(a) + math.log(j) - _ln_beta_half(a) - _LN2


def _ln_cap_betainc(ln_alpha: float, alpha: float, d: int) -> float:
    value = 0.5 * special.betainc(0.5 * (d - 1), 0.5, alpha)
    if not value > 0.0 or not math.isfinite(value):
        raise TheorytoolsError(
            f"betainc underflows at d={d}, alpha={alpha!r}; use method='auto'")
    return math.log(value)


def _ln_cap_closed_form(ln_alpha: float, alpha: float, d: int) -> float:
    if d == 2:   # P = arcsin(sqrt(alpha))/pi; atan2 stays well conditioned as alpha -> 1
        angle = math.atan2(math.sqrt(alpha), math.sqrt(_complement(ln_alpha, alpha)))
        return math.log(angle) - _LN_PI
    if d == 3:   # P = (1 - sqrt(1 - alpha))/2, written without cancellation for small alpha
        return ln_alpha - math.log(2.0 * (1.0 + math.sqrt(_complement(ln_alpha, alpha))))
    raise TheorytoolsError(f"d must be 2 or 3 for method='closed_form', got {d}")


_ROUTES = {"laguerre": _ln_cap_laguerre, "closed_form": _ln_cap_closed_form,
           "betainc": _ln_cap_betainc, "quad": _ln_cap_quad}


def _ln_cap(ln_alpha: float, d: int, method: str = "auto", alpha: float | None = None) -> float:
    """Natural log of P(alpha, d), alpha = exp(ln_alpha) <= 1, integer d >= 2 (no checks).

    ``alpha`` (if given) is the caller's exact alpha, to avoid the exp(log(alpha)) round trip.
    """
    if alpha is None:
        alpha = math.exp(ln_alpha)  # may underflow to 0.0: only "laguerre" is then chosen
    if method == "auto":
        if -0.5 * (d - 1) * ln_alpha >= _LAGUERRE_MIN_DISTANCE or ln_alpha < _MIN_NORMAL_LN_ALPHA:
            method = "laguerre"
        elif d <= 3:
            method = "closed_form"
        else:
            method = "betainc"
    route = _ROUTES.get(method)
    if route is None:
        raise TheorytoolsError(f"method must be one of {CAP_MEASURE_METHODS}, got {method!r}")
    return route(ln_alpha, alpha, d)


def log2_cap_measure(alpha: float, d: int, *, method: str = "auto") -> float:
    r"""Base-2 logarithm of the normalised cap measure :math:`P(\alpha, d)`.

    .. math::

        P(\alpha, d) = \tfrac12\, I_\alpha\!\left(\tfrac{d-1}{2}, \tfrac12\right)
        = \sigma\{u \in S^{d-1} : \langle u, e\rangle \ge \sqrt{1-\alpha}\},

    the probability that a uniform random unit vector falls in a cap of angular radius
    :math:`\arcsin\sqrt\alpha`. Source: P2 worst-case lower bound (docs/sources.md#lower-bounds), status **derived** (re-checked by
    ``tests/test_bounds.py::test_cap_measure_monte_carlo``).

    Evaluation (``method="auto"``), with :math:`a = (d-1)/2`:

    * :math:`a\ln(1/\alpha) \ge 100` (where ``betainc`` would lose or underflow): log domain,
      derived here (P2 worst-case lower bound (docs/sources.md#lower-bounds), substitution :math:`t = \alpha e^{-u/a}`),

      .. math::

          \ln B_\alpha(a, \tfrac12) = a\ln\alpha - \ln a
          + \ln\int_0^\infty e^{-u}\,(1-\alpha e^{-u/a})^{-1/2}\,du,
          \qquad \ln P = \ln B_\alpha(a,\tfrac12) - \ln B(a,\tfrac12) - \ln 2,

      the integral by a 40-point Gauss-Laguerre rule (exact to rounding there: the
      integrand's singularity is at distance :math:`a\ln(1/\alpha) \ge 100`);
    * otherwise, ``d = 2``: :math:`P = \arcsin(\sqrt\alpha)/\pi` (evaluated as
      :math:`\operatorname{atan2}(\sqrt\alpha, \sqrt{1-\alpha})/\pi`, well conditioned as
      alpha -> 1, where ``betainc`` loses ~3e-14); ``d = 3``:
      :math:`P = (1-\sqrt{1-\alpha})/2 = \alpha / (2(1+\sqrt{1-\alpha}))` (closed forms, derived,
      P2 worst-case lower bound (docs/sources.md#lower-bounds); ``test_closed_forms_match_betainc``);
    * otherwise ``scipy.special.betainc``.

    Parameters
    ----------
    alpha : float
        Normalised distortion, ``0 < alpha < 1``.
    d : int
        Dimension, ``d >= 2``.
    method : {"auto", "closed_form", "betainc", "laguerre", "quad"}
        Force one evaluation route (for tests and comparisons). ``"quad"`` is the reference
        computation (``scipy.integrate.quad`` of the same integral, slower);
        ``"laguerre"`` is accurate only when :math:`a\ln(1/\alpha)` is large (>= 5 gives
        ~1e-13); ``"closed_form"`` exists only for d = 2, 3.

    Returns
    -------
    float
        :math:`\log_2 P(\alpha, d) \in (-\infty, -1)`. Relative error < 1e-10 for
        2 <= d <= 10^8 (tested against mpmath at 50 digits, ``test_accuracy_against_mpmath``).

    Examples
    --------
    >>> log2_cap_measure(0.5, 2)
    -2.0
    """
    alpha = _check_alpha(alpha)
    d = _check_d(d)
    return _ln_cap(math.log(alpha), d, method, alpha) / _LN2


def cap_measure(alpha: float, d: int, *, method: str = "auto") -> float:
    r"""The normalised cap measure :math:`P(\alpha,d) = \tfrac12 I_\alpha(\tfrac{d-1}{2},\tfrac12)`.

    Same formula, source and status as :func:`log2_cap_measure` (P2 worst-case lower bound (docs/sources.md#lower-bounds), derived). Returns
    ``2 ** log2_cap_measure(alpha, d)``, which underflows to 0.0 when :math:`P < 10^{-308}`
    (e.g. d = 1000, alpha = 0.01): use :func:`log2_cap_measure` there.

    Parameters
    ----------
    alpha : float
        Normalised distortion, ``0 < alpha < 1``.
    d : int
        Dimension, ``d >= 2``.
    method : {"auto", "closed_form", "betainc", "laguerre", "quad"}, optional
        Evaluation route (see :func:`log2_cap_measure`).

    Returns
    -------
    float
        :math:`P(\alpha, d) \in (0, 1/2)`.

    Examples
    --------
    >>> round(cap_measure(0.5, 5), 5)   # checks (docs/sources.md#checks) test vector (derived)
    0.05806
    """
    return 2.0 ** log2_cap_measure(alpha, d, method=method)


def worst_case_bits(alpha: float, d: int) -> float:
    r"""Worst-case lower bound on bits, :math:`b_{LB}(\alpha,d) = -\log_2 P(\alpha,d)`.

    Model (P2 worst-case lower bound (docs/sources.md#lower-bounds); compression open item 7 (docs/sources.md#open-items)): the compressor's output direction is one of at most
    :math:`N = 2^b` fixed directions -- fixed-length code, **no shared randomness** between
    sender and receiver -- and the **norm is not counted** in :math:`b` (it is free). If
    :math:`E\|C(x)-x\|^2 \le \alpha\|x\|^2` for every :math:`x`, some output in the support of
    :math:`C(x)` is within angle :math:`\arcsin\sqrt\alpha` of :math:`x`, so the :math:`N` caps
    cover the sphere: :math:`N\,P(\alpha,d) \ge 1`, i.e.

    .. math:: b \;\ge\; b_{LB}(\alpha, d) = -\log_2 P(\alpha, d).

    Source: P2 worst-case lower bound (docs/sources.md#lower-bounds); status **derived** (covering argument; the formula is ours, P2's exact
    statement is unknown -- compression open item 1 (docs/sources.md#open-items); compression open item 7 (docs/sources.md#open-items): with shared randomness, variable-length codes or
    counted norm bits the bound changes). Per coordinate, :math:`b_{LB}/d \to
    \tfrac12\log_2(1/\alpha)` (:func:`worst_case_bits_asymptotic`).

    Parameters
    ----------
    alpha : float
        Normalised worst-case distortion, ``0 < alpha < 1``.
    d : int
        Dimension, ``d >= 2``.

    Returns
    -------
    float
        Bits, relative error < 1e-10 for 2 <= d <= 10^8 (see :func:`log2_cap_measure`).

    Examples
    --------
    >>> round(worst_case_bits(0.75, 3), 12)   # P = (1 - 1/2)/2 = 1/4
    2.0
    """
    return -log2_cap_measure(alpha, d)


#: The O(1) of P2's worst-case lower bound -log2 P + log2 d + O(1): unknown (the poster prints
#: "O(1)"); a parameter, default 0, status author-poster (the form is the authors').
WORST_CASE_LOG_D_CONSTANT = {"value": 0.0, "status": "author-poster",
                             "note": "the O(1) of P2's b >= -log2 P(alpha, d) + log2 d + O(1) "
                                     "(authors' poster); its value is unknown: a parameter"}


def worst_case_bits_log_d(alpha: float, d: int, c: float = 0.0) -> float:
    r"""P2's worst-case lower bound with the :math:`\log_2 d` term:
    :math:`b \ge -\log_2 P(\alpha, d) + \log_2 d + c`.

    Source: P2's poster [AUTHOR-POSTER] states :math:`b \ge -\log_2 P(\alpha,d) + \log_2 d
    + O(1)` for the worst case :math:`b = \max_{\|x\|=1}\text{bits}(x)`; the :math:`O(1)` is
    unknown and enters as the parameter ``c`` (default 0,
    :data:`WORST_CASE_LOG_D_CONSTANT`). It is stronger than :func:`worst_case_bits` by
    :math:`\log_2 d + c` bits; :func:`worst_case_bits` remains a valid necessary condition
    (our derivation, P2 worst-case lower bound (docs/sources.md#lower-bounds)). The model of the poster's bound (what it counts: the norm,
    shared randomness) is not printed on the poster; we read it as the model of
    :func:`worst_case_bits`. Not derived here: it is the authors' claim, shown beside our
    :math:`b_{LB}` (``theorytools bounds --table``, the frontier), and compared with the
    measured worst case of P2's deterministic Sparse Dithering.

    Parameters
    ----------
    alpha : float
        ``0 < alpha < 1``.
    d : int
        ``d >= 2``.
    c : float
        The unknown constant (default 0).

    Returns
    -------
    float
        The bound in bits, :math:`-\log_2 P(\alpha, d) + \log_2 d + c`.

    Examples
    --------
    >>> round(worst_case_bits_log_d(0.5, 2) - worst_case_bits(0.5, 2), 12)
    1.0
    """
    c = check_real(c, "c")
    return worst_case_bits(alpha, d) + math.log2(_check_d(d)) + c


# --------------------------------------------------------------------------------------------
# large-d asymptotics of the worst-case bound
# --------------------------------------------------------------------------------------------
def _c1(q): return (4 * q + 1) / 8
def _c2(q): return -q * (5 * q + 4) / 8
def _c3(q): return (296 * q ** 3 + 384 * q ** 2 + 96 * q - 1) / 192
def _c4(q): return -q * (353 * q ** 3 + 632 * q ** 2 + 312 * q + 32) / 64


#: Coefficients C_k(q), q = alpha/(1-alpha), of the 1/a^k terms of -ln P (natural log); see
#: :func:`worst_case_bits_asymptotic`. Re-derived with sympy by
#: ``tests/test_bounds.py::test_asymptotic_coefficients_symbolic``.
ASYMPTOTIC_COEFFICIENTS = (_c1, _c2, _c3, _c4)


def worst_case_bits_asymptotic(alpha: float, d: int, *, order: int = 0) -> float:
    r"""Large-``d`` expansion of :math:`b_{LB}(\alpha,d) = -\log_2 P(\alpha,d)` at fixed alpha.

    With :math:`a = (d-1)/2` and :math:`q = \alpha/(1-\alpha)`,

    .. math::

        -\log_2 P(\alpha,d) = a\log_2\frac1\alpha + \frac12\log_2(\pi a)
        + \frac12\log_2(1-\alpha) + 1
        + \frac1{\ln 2}\sum_{k=1}^{K}\frac{C_k(q)}{a^k} + O(a^{-K-1}),

    :math:`C_1 = \tfrac q2 + \tfrac18`, :math:`C_2 = -\tfrac{5q^2+4q}{8}`,
    :math:`C_3 = \tfrac{37q^3}{24} + 2q^2 + \tfrac q2 - \tfrac1{192}`,
    :math:`C_4 = -\tfrac{353q^4 + 632q^3 + 312q^2 + 32q}{64}`.

    ``order = 0`` is the formula of the worst-case lower bound (docs/sources.md#lower-bounds) (:math:`O(\log d)` and :math:`O(1)` terms).

    Derivation (derived here; checked symbolically by
    ``tests/test_bounds.py::test_asymptotic_coefficients_symbolic`` and numerically by
    ``test_asymptotic_matches_exact`` and ``test_asymptotic_error_shrinks_like_one_over_d``):
    Watson's lemma on :math:`J = \int_0^\infty e^{-u} g(u/a)\,du`,
    :math:`g(\epsilon) = (1-\alpha e^{-\epsilon})^{-1/2}`, gives
    :math:`J \sim \sum_k g^{(k)}(0)\,a^{-k}` with :math:`g(0) = (1-\alpha)^{-1/2}`,
    :math:`g'(0)/g(0) = -q/2`; Stirling gives
    :math:`\ln\Gamma(a+\tfrac12) - \ln\Gamma(a) = \tfrac12\ln a - \tfrac1{8a} + \tfrac1{192a^3}
    + O(a^{-5})`; insert both in :math:`\ln P = a\ln\alpha - \ln a + \ln J - \ln B(a,\tfrac12)
    - \ln 2`.

    The expansion is in powers of :math:`q/a = 2\alpha/((1-\alpha)(d-1))`, not of 1/d alone:
    it is not uniform as alpha -> 1. The order-0 error is
    :math:`\approx C_1(q)/(a\ln 2)`, e.g. 0.0047 bits at d = 1000, alpha = 0.75, but 0.13 bits
    at d = 1000, alpha = 0.99 (the test design's "3 decimals for d >= 1000" holds only for
    alpha <~ 0.75 at d = 1000; it needs d >~ 14000 at alpha = 0.99).

    Parameters
    ----------
    alpha : float
        ``0 < alpha < 1``.
    d : int
        ``d >= 2`` (meaningful for ``d >> q``).
    order : int
        Number K of :math:`1/a^k` correction terms, 0 to 4.

    Returns
    -------
    float
        The truncated expansion, in bits.
    """
    alpha = _check_alpha(alpha)
    d = _check_d(d)
    order = check_int(order, "order", low=0, high=len(ASYMPTOTIC_COEFFICIENTS))
    a = 0.5 * (d - 1)
    q = alpha / (1.0 - alpha)
    nats = (-a * math.log(alpha) + 0.5 * math.log(math.pi * a) + 0.5 * math.log1p(-alpha) + _LN2
            + sum(coefficient(q) / a ** (k + 1)
                  for k, coefficient in enumerate(ASYMPTOTIC_COEFFICIENTS[:order])))
    return nats / _LN2


# --------------------------------------------------------------------------------------------
# average case
# --------------------------------------------------------------------------------------------
def _ln_cap_cell_distortion(ln_alpha: float, d: int) -> float:
    """ln E[1 - <x,c>^2 | x in the cap of measure P(alpha, d) around c]
    = ln((d-1)/d) + ln P(alpha, d+2) - ln P(alpha, d)   (P2 average-case lower bound (docs/sources.md#lower-bounds))."""
    return math.log1p(-1.0 / d) + _ln_cap(ln_alpha, d + 2) - _ln_cap(ln_alpha, d)


def _ln_alpha_for_bits(bits: float, d: int) -> float:
    """Solve log2 P(exp(t), d) = -bits for t = ln(alpha_N) <= 0 (bits >= 1)."""
    if bits == 1.0:
        return 0.0
    target = -bits * _LN2

    def gap(t):
        return _ln_cap(t, d) - target

    # ln P(e^t, d) ~ a t + O(log a) for t -> -infinity: start near there and widen downwards.
    a = 0.5 * (d - 1)
    low = min(-1e-300, (target + _LN2) / a)
    while gap(low) > 0.0:
        low *= 2.0
    return optimize.brentq(gap, low, 0.0, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                           maxiter=500)


def log2_average_case_distortion_bits(b: float, d: int) -> float:
    r"""Base-2 logarithm of :math:`D_{cap}(2^b, d)` (see :func:`average_case_distortion`).

    Use this for large ``b/d``, where :math:`D_{cap}` itself underflows (e.g. d = 2,
    b = 10^4 gives about :math:`2^{-2\cdot 10^4}`). Same source and status as
    :func:`average_case_distortion`.

    Parameters
    ----------
    b : float
        Bits, real, ``b >= 1`` (``N = 2^b >= 2`` directions).
    d : int
        Dimension, ``d >= 2``.

    Returns
    -------
    float
        :math:`\log_2 D_{cap}(2^b, d)`.
    """
    b = check_real(b, "b", low=1.0)
    d = _check_d(d)
    return _ln_cap_cell_distortion(_ln_alpha_for_bits(b, d), d) / _LN2


def average_case_distortion_bits(b: float, d: int) -> float:
    r"""Average-case distortion lower bound for :math:`b` bits, :math:`D_{cap}(2^b, d)`.

    ``b`` may be any real >= 1 (the formula is continuous in :math:`N = 2^b`). Computed in
    log domain (:func:`log2_average_case_distortion_bits`); underflows to 0.0 only when the
    true value is below 1e-308. See :func:`average_case_distortion` for the formula, the model,
    the source and the status.

    .. math:: D_{cap}(2^b, d) = \frac{d-1}{d}\,\frac{P(\alpha_N, d+2)}{P(\alpha_N, d)},\qquad
              P(\alpha_N, d) = 2^{-b}.

    Parameters
    ----------
    b : float
        Bits, real, ``b >= 1``.
    d : int
        Dimension, ``d >= 2``.

    Returns
    -------
    float
        :math:`D_{cap}(2^b, d) \in [0, (d-1)/d]`.
    """
    return 2.0 ** log2_average_case_distortion_bits(b, d)


def average_case_distortion(N: int, d: int) -> float:
    r"""Average-case distortion lower bound :math:`D_{cap}(N, d)` for a codebook of N directions.

    Model (P2 average-case lower bound (docs/sources.md#lower-bounds); compression open item 8 (docs/sources.md#open-items)): :math:`x` uniform on :math:`S^{d-1}`; a fixed codebook of
    :math:`N` directions :math:`c_j` (fixed-length code of :math:`\log_2 N` bits, no shared
    randomness, **norm not counted**); reconstruction by the best nonnegative multiple of the
    chosen codeword, so the error is :math:`1 - \max_j\langle x, c_j\rangle_+^2`. Then

    .. math::

        E\,\mathrm{error} \;\ge\; D_{cap}(N,d)
        = N\cdot\tfrac12\,\tfrac{d-1}{d}\,I_{\alpha_N}\!\left(\tfrac{d+1}{2},\tfrac12\right)
        = \frac{d-1}{d}\,\frac{P(\alpha_N, d+2)}{P(\alpha_N, d)}
        = E\left[1 - \langle x, c\rangle^2 \,\middle|\, \langle x, c\rangle \ge
          \sqrt{1-\alpha_N}\right],

    where :math:`P(\alpha_N, d) = 1/N` (:math:`\alpha_N = 1` for :math:`N = 2`). Argument
    (rearrangement): among cells of measure :math:`1/N` a cap minimises the integral of the
    error, which increases with the angle, and the objective is convex in the cell measure.
    If codewords may be used with either sign, evaluate at :math:`2N`.

    Source: P2 average-case lower bound (docs/sources.md#lower-bounds); status **derived** (formula; checked: N = 2 gives (d-1)/d and
    d = 2, N = 4 gives :math:`(1 - 2/\pi)/2`; re-checked by ``tests/test_bounds.py::
    test_average_case_cap_conditional_expectation_monte_carlo`` and
    ``test_average_case_d2_equals_regular_polygon``). Whether P2's own average-case formula is
    the same: **unknown** (compression open item 8 (docs/sources.md#open-items)).

    Parameters
    ----------
    N : int
        Number of directions, integer ``N >= 2`` (arbitrarily large Python ints are fine).
    d : int
        Dimension, ``d >= 2``.

    Returns
    -------
    float
        :math:`D_{cap}(N, d) \in (0, (d-1)/d]`.

    Examples
    --------
    >>> round(average_case_distortion(4, 2), 5)
    0.18169
    """
    N = check_int(N, "N", low=2)
    d = _check_d(d)
    return 2.0 ** (_ln_cap_cell_distortion(_ln_alpha_for_bits(math.log2(N), d), d) / _LN2)


def average_case_bits(alpha: float, d: int) -> float:
    r"""Bits needed for a target average distortion: the inverse of :math:`D_{cap}`.

    Smallest :math:`b` such that a codebook of :math:`2^b` directions can have average
    distortion <= ``alpha`` under the model of :func:`average_case_distortion`
    (norm not counted, no shared randomness, fixed-length code):

    * :math:`\alpha < (d-1)/d`: :math:`b = \log_2 N^*` with :math:`D_{cap}(N^*, d) = \alpha`,
      real :math:`N^* > 2` (any codebook meeting the target has :math:`N \ge N^*` since
      :math:`D_{cap}` decreases in :math:`N`); computed by solving
      :math:`\tfrac{d-1}{d} P(s, d+2)/P(s, d) = \alpha` for :math:`s = \alpha_N` in log domain,
      then :math:`b = -\log_2 P(s, d)`;
    * :math:`(d-1)/d \le \alpha < 1 - 1/(2d)`: 1 bit (one direction gives exactly
      :math:`1 - E\langle x,c\rangle_+^2 = 1 - 1/(2d)`, derived here);
    * :math:`\alpha \ge 1 - 1/(2d)`: 0 bits.

    Source: P2 average-case lower bound (docs/sources.md#lower-bounds) (derived); the inversion and the N = 1 rung are derived here
    (``tests/test_bounds.py::test_average_case_bits_inverts``).

    Parameters
    ----------
    alpha : float
        Target average distortion, ``0 < alpha < 1``.
    d : int
        Dimension, ``d >= 2``.

    Returns
    -------
    float
        Bits (real, not rounded up).
    """
    alpha = _check_alpha(alpha)
    d = _check_d(d)
    if alpha >= 1.0 - 0.5 / d:
        return 0.0
    if alpha >= (d - 1) / d:
        return 1.0
    ln_target = math.log(alpha)

    def gap(t):
        return _ln_cap_cell_distortion(t, d) - ln_target

    # D_cap(s) <= s (in the cap, 1 - <x,c>^2 <= s), so the root lies in [ln alpha, 0].
    low = ln_target
    while gap(low) > 0.0:  # only by rounding
        low *= 1.0 + 1e-12
    t = optimize.brentq(gap, low, 0.0, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return -_ln_cap(t, d) / _LN2


# --------------------------------------------------------------------------------------------
# uncertainty principle
# --------------------------------------------------------------------------------------------
def uncertainty_principle_bits(alpha: float, d: int) -> float:
    r"""Bits from the uncertainty principle :math:`\alpha\, 4^{b/d} \ge 1`: :math:`b \ge
    \tfrac d2 \log_2(1/\alpha)`.

    Model: fixed-length code of :math:`b` bits for the **whole output, norm included**, no
    shared randomness, worst case over :math:`x`. Derivation (derived, P2's classes (docs/sources.md#classes)): the
    :math:`2^b` possible outputs are centres of balls of radius :math:`\sqrt\alpha` that must
    cover the unit ball, so :math:`2^b \alpha^{d/2} \ge 1`.

    Source: Safaryan, Shulgin, Richtarik, arXiv 2002.08958 (which P2 builds on); the paper's
    exact statement is **unconfirmed** (P2's classes (docs/sources.md#classes); uncertainty principle, Safaryan et al. arXiv 2002.08958 (docs/sources.md#lower-bounds)); the covering derivation is
    **derived**. It is not comparable one-to-one with :func:`worst_case_bits`, which does not
    count the norm and can be slightly smaller (P2 worst-case lower bound (docs/sources.md#lower-bounds): :math:`\alpha 4^{b_{LB}/d}` is
    0.949 at d = 10, alpha = 0.01). For an unbiased :math:`C \in U(\omega)` use
    :math:`\alpha = \omega/(\omega+1)`.

    Parameters
    ----------
    alpha : float
        ``0 < alpha < 1``.
    d : int
        ``d >= 2``.

    Returns
    -------
    float
        :math:`\tfrac d2\log_2(1/\alpha)` bits.
    """
    alpha = _check_alpha(alpha)
    d = _check_d(d)
    return -0.5 * d * math.log2(alpha)


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------
class BoundsRow(NamedTuple):
    r"""One (d, alpha) row of :func:`bounds_table`; all bit counts are lower bounds.

    ``worst_case_bits`` is our :math:`b_{LB}` (derived); ``worst_case_bits_log_d`` is P2's
    :math:`-\log_2 P + \log_2 d + c` (authors' poster, c a parameter, default 0;
    :func:`worst_case_bits_log_d`)."""

    d: int
    alpha: float
    worst_case_bits: float
    worst_case_bits_per_coordinate: float
    worst_case_bits_log_d: float
    average_case_bits: float
    average_case_bits_per_coordinate: float
    uncertainty_principle_bits: float
    uncertainty_principle_bits_per_coordinate: float


DEFAULT_DS = (2, 3, 4, 10, 100, 1000, 10 ** 4, 10 ** 5, 10 ** 6)
DEFAULT_ALPHAS = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def bounds_row(alpha, d, c: float = 0.0) -> BoundsRow:
    """The bounds (and per-coordinate rates) at one (alpha, d); see :class:`BoundsRow`.
    ``c`` is the unknown constant of :func:`worst_case_bits_log_d` (default 0)."""
    alpha = _check_alpha(alpha)
    d = _check_d(d)
    worst = worst_case_bits(alpha, d)
    average = average_case_bits(alpha, d)
    uncertainty = uncertainty_principle_bits(alpha, d)
    return BoundsRow(d, alpha, worst, worst / d, worst_case_bits_log_d(alpha, d, c), average,
                     average / d, uncertainty, uncertainty / d)


def bounds_table(ds: Sequence[int] = DEFAULT_DS,
                 alphas: Sequence[float] = DEFAULT_ALPHAS, c: float = 0.0) -> list[BoundsRow]:
    r"""Rows of :func:`bounds_row` for every d in ``ds`` (outer) and alpha in ``alphas`` (inner).

    Here ``alpha`` is a worst-case distortion for the worst-case and uncertainty-principle
    columns and an average distortion for the average-case column. Each column's model is that
    of its function (:func:`worst_case_bits`, :func:`average_case_bits`,
    :func:`uncertainty_principle_bits`): :math:`-\log_2 P(\alpha, d)`,
    :math:`\log_2 N^*` with :math:`D_{cap}(N^*, d) = \alpha`, and :math:`\tfrac d2\log_2(1/\alpha)`.

    Parameters
    ----------
    ds : sequence of int, optional
        Dimensions (each >= 2).
    alphas : sequence of float, optional
        Distortions in (0, 1).
    c : float, optional
        The O(1) constant of P2's worst-case bound with the log d term
        (:func:`worst_case_bits_log_d`).

    Returns
    -------
    list of BoundsRow
        ``len(ds) * len(alphas)`` rows, all bit counts lower bounds.
    """
    return [bounds_row(alpha, d, c) for d in ds for alpha in alphas]


def table_to_csv(rows: Sequence[BoundsRow]) -> str:
    """CSV text with a header line of :class:`BoundsRow` field names; floats in ``repr``.

    Parameters
    ----------
    rows : sequence of BoundsRow
        From :func:`bounds_table`.

    Returns
    -------
    str
        The CSV (exact round trip of every float).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BoundsRow._fields)
    for row in rows:
        writer.writerow([repr(value) for value in row])
    return buffer.getvalue()


def table_to_markdown(rows: Sequence[BoundsRow], *, digits: int = 4) -> str:
    """A Markdown table, bits rounded to ``digits`` decimals.

    Parameters
    ----------
    rows : sequence of BoundsRow
        From :func:`bounds_table`.
    digits : int, optional
        Decimals of the bit counts.

    Returns
    -------
    str
        The Markdown table (header, alignment row, one line per row).
    """
    header = ("d", "alpha", "worst-case bits", "per coord.", "P2 worst-case + log2 d",
              "average-case bits", "per coord.",
              "uncertainty-principle bits", "per coord.")
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for row in rows:
        cells = [str(row.d), f"{row.alpha:g}"] + [f"{value:.{digits}f}" for value in row[2:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
