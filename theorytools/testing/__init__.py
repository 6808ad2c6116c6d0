r"""Property tests for your own compressor, in the manner of ``numpy.testing``.

Every assertion takes ANY callable ``compress(x, rng_or_seed) -> y`` (a plain function, or a
:class:`~theorytools.compressors.Compressor`, whose ``compress`` is used) and raises an
``AssertionError`` that prints the input, the estimate with its confidence interval, and the
declared constant; on success it returns the :class:`Estimate` it rests on.

Classes (``docs/compressors.md`` §1; Beznosikov et al. 2020, the definitions of
:math:`B_1, B_2, B_3`; Albasyoni et al. 2020 for :math:`U(\omega)` and the deterministic class
:math:`C(\alpha)`):

* :math:`U(\omega)`: :math:`\mathbb{E}C(x) = x`, :math:`\mathbb{E}\|C(x)-x\|^2 \le \omega\|x\|^2`;
* :math:`B_1(\alpha,\beta)`: :math:`\alpha\|x\|^2 \le \mathbb{E}\|C(x)\|^2 \le
  \beta\langle\mathbb{E}C(x), x\rangle`;
* :math:`B_2(\gamma,\beta)`: :math:`\max\{\gamma\|x\|^2, \mathbb{E}\|C(x)\|^2/\beta\} \le
  \langle\mathbb{E}C(x), x\rangle`;
* :math:`B_3(\delta)`: :math:`\mathbb{E}\|C(x)-x\|^2 \le (1-1/\delta)\|x\|^2`;
* :math:`C(\alpha)`: :math:`\|C(x)-x\|^2 \le \alpha\|x\|^2` for every outcome.

Statistics. A randomised ``compress`` is called with the seeds ``seed, seed + 1, ...`` (fixed:
a run is reproducible); a plain function counts as randomised unless it has the attribute
``randomized = False`` (then one call decides, up to a 1e-12 rounding allowance). Each claim is a mean of per-sample values with an almost-sure range;
Hoeffding's inequality (Hoeffding 1963, Thm 2) gives the confidence interval
:math:`\bar Z \pm (b-a)\sqrt{\ln(2/p)/(2R)}` at false-failure probability ``p_fail`` (default
``1e-9`` per assertion, split evenly over the claims and directions it tests). An assertion
FAILS only when the whole interval lies on the wrong side of the declared constant, so a true
claim fails with probability at most ``p_fail``. The range comes from ``max_norm_ratio`` =
:math:`K` with :math:`\|C(x)\| \le K\|x\|` surely (e.g. :math:`d/k` for Rand-k): pass it for a
rigorous test; without it, a pilot of 256 samples measures :math:`\hat K` and :math:`K = 2\hat K`
is used, and the message says that the range is a pilot estimate, not a proof. The number of
samples is chosen from that range: enough for the interval's half-width to be ``resolution``
(default 0.05) times the declared constant's scale, capped at ``max_samples``.

A :class:`~theorytools.compressors.Compressor` that implements ``law(x)`` (every built-in) is
checked exactly instead (``exact="auto"``): no sampling, the float tolerance of
:func:`theorytools.compressors.contract.tolerance`. The toolkit's own contract suite
(:mod:`theorytools.compressors.contract`) decides every declared constant with the same
:func:`claim_slack`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theorytools.check import P_FAIL, hoeffding_radius
from theorytools.errors import TheorytoolsError

CLAIMS = ("omega", "delta", "b1_alpha", "b1_beta", "b2_gamma", "b2_beta")
RESOLUTION = 0.05
MAX_SAMPLES = 20_000
PILOT = 256

# claim -> (what is measured, the bound it is compared with, sense, normaliser is max(1, bound))
_FORMS = {
    "omega": ("E||C(x)-x||^2/||x||^2", "omega", "upper", True),
    "delta": ("E||C(x)-x||^2/||x||^2", "1 - 1/delta", "upper", False),
    "b1_alpha": ("E||C(x)||^2/||x||^2", "alpha", "lower", True),
    "b1_beta": ("E||C(x)||^2/||x||^2", "beta <E C(x), x>/||x||^2", "upper", True),
    "b2_beta": ("E||C(x)||^2/||x||^2", "beta <E C(x), x>/||x||^2", "upper", True),
    "b2_gamma": ("<E C(x), x>/||x||^2", "gamma", "lower", False),
}


def claim_terms(name: str, value: float, error, second, inner):
    r"""The two sides of a declared constant's inequality, from the normalised moments
    ``error`` = :math:`\|C(x)-x\|^2/\|x\|^2`, ``second`` = :math:`\|C(x)\|^2/\|x\|^2`, ``inner`` =
    :math:`\langle C(x), x\rangle/\|x\|^2` (exact expectations, or per-sample arrays: both sides
    are linear in them). Returns ``(measured, bound, sense)``; ``sense`` is ``"upper"`` (the
    claim is measured <= bound) or ``"lower"`` (measured >= bound)."""
    if name not in _FORMS:
        raise TheorytoolsError(f"claim must be one of {CLAIMS}, got {name!r}")
    sense = _FORMS[name][2]
    if name in ("omega",):
        return error, value, sense
    if name == "delta":
        return error, 1.0 - 1.0 / value, sense
    if name == "b1_alpha":
        return second, value, sense
    if name in ("b1_beta", "b2_beta"):
        return second, value * np.asarray(inner), sense
    return inner, value, sense        # b2_gamma


def claim_slack(name: str, value: float, error: float, second: float, inner: float):
    """``(measured, bound, slack)`` of one declared constant at exact normalised moments:
    ``slack >= 0`` iff the inequality holds; it is divided by max(1, bound) for omega, alpha
    and beta (a relative margin for large constants). The contract suite and the assertions
    of this module decide with this one function."""
    measured, bound, sense = claim_terms(name, value, error, second, inner)
    measured, bound = float(measured), float(bound)
    norm = max(1.0, bound) if _FORMS[name][3] else 1.0
    gap = bound - measured if sense == "upper" else measured - bound
    return measured, bound, gap / norm


@dataclass
class Estimate:
    """A measured quantity with its confidence interval.

    ``value`` is the estimate, ``(low, high)`` the interval at confidence ``1 - p_fail``
    (``low == high == value`` for an exact value), ``samples`` the number of calls of
    ``compress`` (0: exact law), ``method`` how the interval was obtained, and ``range_source``
    where the almost-sure range came from."""

    name: str
    value: float
    low: float
    high: float
    samples: int = 0
    method: str = "exact"
    p_fail: float = P_FAIL
    range_source: str = ""
    extra: dict = field(default_factory=dict)

    def __str__(self):
        if self.samples == 0:
            return f"{self.name} = {self.value:.6g} (exact, from the law)"
        return (f"{self.name} = {self.value:.6g}, {1 - self.p_fail:.10g} confidence interval "
                f"[{self.low:.6g}, {self.high:.6g}] ({self.samples} samples, {self.method}, "
                f"p_fail {self.p_fail:g}; {self.range_source})")


# ------------------------------------------------------------------------------ sampling
def _compress_fn(C):
    fn = getattr(C, "compress", None)
    if fn is None:
        if not callable(C):
            raise TheorytoolsError(f"compressor must be a callable compress(x, seed) or have a "
                                   f".compress method, got {C!r}")
        fn = C
    return fn


def _describe(C):
    return getattr(C, "canonical_name", None) or getattr(C, "__name__", None) or repr(C)


def _vector(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise TheorytoolsError(f"x must be a finite non-empty 1-D vector, got shape {x.shape}")
    return x


def _show(x):
    with np.printoptions(precision=17, threshold=40, edgeitems=8):
        return f"input x (d = {x.size}): {np.array2string(x, separator=', ')}"


def _call(fn, x, seed, C):
    y = np.asarray(fn(x.copy(), seed), dtype=np.float64)
    if y.shape != x.shape:
        raise AssertionError(f"{_describe(C)}: compress returned shape {y.shape} for an input "
                             f"of shape {x.shape}\n{_show(x)}")
    if not np.all(np.isfinite(y)):
        raise AssertionError(f"{_describe(C)}: compress returned non-finite values with seed "
                             f"{seed}\n{_show(x)}")
    return y


def _exact_law(C, x, exact):
    """The exact normalised moments when C is a Compressor with a law (exact='auto'/True)."""
    if exact is False or not hasattr(C, "law") or not hasattr(C, "theory"):
        return None
    from theorytools.compressors.contract import exact_quantities, tolerance
    try:
        q = exact_quantities(C, x)
    except NotImplementedError:
        if exact is True:
            raise TheorytoolsError(f"exact=True: {_describe(C)} has no law()") from None
        return None
    n2 = q.norm2
    mean_dev = q.bias / math.sqrt(n2)
    return {"error": q.error / n2, "second": q.second / n2, "inner": q.inner / n2,
            "bias": mean_dev, "tol": tolerance(C)}


@dataclass
class _Samples:
    error: np.ndarray      # ||y - x||^2 / ||x||^2
    second: np.ndarray     # ||y||^2 / ||x||^2
    inner: np.ndarray      # <y, x> / ||x||^2
    Y: np.ndarray          # the (scaled) outputs y / ||x||, for directional means
    xs: np.ndarray         # x / ||x||
    K: float
    range_source: str
    randomized: bool


def _is_randomized(C):
    """A Compressor says so (``randomized``); a plain function is treated as randomised unless
    it carries the attribute ``randomized = False`` (a few equal outputs prove nothing: a
    Bernoulli keep with p = 1/32 gives 16 equal outputs with probability 0.6)."""
    flag = getattr(C, "randomized", None)
    return flag if isinstance(flag, bool) else True


def _pilot_K(fn, x, seed, C, nx):
    ratios = [np.linalg.norm(_call(fn, x, seed + 10_000_019 + r, C)) / nx for r in range(PILOT)]
    return max(ratios)


def _draw(C, x, *, samples, max_norm_ratio, seed, scale, claims_count, p_fail, resolution,
          max_samples, range_of):
    """Draw the samples: their number from the range (Hoeffding), the range from K."""
    fn = _compress_fn(C)
    nx = float(np.linalg.norm(x))
    randomized = _is_randomized(C)
    if max_norm_ratio is not None:
        K = float(max_norm_ratio)
        if not K > 0:
            raise TheorytoolsError(f"max_norm_ratio must be > 0, got {max_norm_ratio!r}")
        source = f"range from max_norm_ratio = {K:g}"
    elif randomized:
        K = 2.0 * _pilot_K(fn, x, seed, C, nx)
        source = (f"range from a pilot of {PILOT} samples, K = 2 max ||C(x)||/||x|| = {K:.4g}; "
                  "NOT a proven bound: pass max_norm_ratio for a rigorous interval")
    else:
        K = float(np.linalg.norm(_call(fn, x, seed, C))) / nx
        source = "deterministic: one call"
    if not randomized:
        R = 1
    elif samples is not None:
        R = int(samples)
    else:
        width = range_of(K)
        target = resolution * max(scale, 1e-3)
        R = math.ceil(width ** 2 * math.log(2.0 * claims_count / p_fail) / (2.0 * target ** 2))
        R = int(min(max(R, 100), max_samples))
    Y = np.empty((R, x.size))
    for r in range(R):
        Y[r] = _call(fn, x, seed + r, C)
        if max_norm_ratio is not None and np.linalg.norm(Y[r]) > K * nx * (1 + 1e-12):
            raise AssertionError(
                f"{_describe(C)}: ||C(x)|| = {np.linalg.norm(Y[r]):.6g} exceeds the declared "
                f"max_norm_ratio {K:g} x ||x|| = {K * nx:.6g} (seed {seed + r})\n{_show(x)}")
    Y /= nx
    xs = x / nx
    diff = Y - xs
    return _Samples(np.einsum("ij,ij->i", diff, diff), np.einsum("ij,ij->i", Y, Y), Y @ xs, Y,
                    xs, K, source, randomized)


def _mean_estimate(name, z, width, p_fail, method_note, range_source):
    m = float(z.mean())
    if z.size == 1:      # deterministic: exact up to float rounding (1e-12 of the range)
        return Estimate(name, m, m - 1e-12 * width, m + 1e-12 * width, 1,
                        "deterministic (one call; 1e-12 rounding allowance)", p_fail,
                        range_source)
    rad = hoeffding_radius(width, z.size, p_fail)
    return Estimate(name, m, m - rad, m + rad, z.size, f"Hoeffding{method_note}", p_fail,
                    range_source)


_RANGE = {   # the a.s. range of each measured quantity when ||C(x)|| <= K ||x||
    "error": lambda K: (1.0 + K) ** 2,
    "second": lambda K: K ** 2,
    "inner": lambda K: 2.0 * K,
}
_MEASURED = {"omega": "error", "delta": "error", "b1_alpha": "second", "b1_beta": "beta",
             "b2_beta": "beta", "b2_gamma": "inner"}


def _fail(C, x, what, est, declared, extra=""):
    raise AssertionError(f"{_describe(C)}: {what}\n  measured: {est}\n  declared: {declared}"
                         f"{extra}\n  {_show(x)}")


def _check_claims(C, x, claims, *, p_fail, samples, max_norm_ratio, seed, resolution,
                  max_samples, exact, assertion):
    """Decide each (name, value) claim; returns the estimates (raises on a violation)."""
    x = _vector(x)
    if not np.any(x):
        raise TheorytoolsError("x = 0: every class inequality is 0 <= 0; pass a nonzero x")
    for name, value in claims:
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise TheorytoolsError(f"{name} must be a finite number, got {value!r}")
    law = _exact_law(C, x, exact)
    out = []
    if law is not None:
        for name, value in claims:
            measured, bound, slack = claim_slack(name, value, law["error"], law["second"],
                                                 law["inner"])
            est = Estimate(_FORMS[name][0], measured, measured, measured,
                           extra={"bound": bound, "slack": slack})
            out.append(est)
            if slack < -law["tol"]:
                _fail(C, x, f"{assertion} fails: {_FORMS[name][0]} "
                            f"{'exceeds' if _FORMS[name][2] == 'upper' else 'is below'} "
                            f"{_FORMS[name][1]} = {bound:.6g}", est, f"{name} = {value:g}")
        return out
    scale = max(max(abs(v), 1.0) if _FORMS[n][3] else max(abs(v), 1e-3) for n, v in claims)

    def range_of(K):
        widths = [_RANGE[_MEASURED[n]](K) if _MEASURED[n] != "beta"
                  else K ** 2 + 2 * abs(v) * K for n, v in claims]
        return max(widths)

    s = _draw(C, x, samples=samples, max_norm_ratio=max_norm_ratio, seed=seed, scale=scale,
              claims_count=len(claims), p_fail=p_fail, resolution=resolution,
              max_samples=max_samples, range_of=range_of)
    each = p_fail / len(claims)
    for name, value in claims:
        measured, bound, sense = claim_terms(name, value, s.error, s.second, s.inner)
        z = np.asarray(measured) - np.asarray(bound)        # mean >= 0 / <= 0 under the claim
        what = _MEASURED[name]
        width = (_RANGE[what](s.K) if what != "beta" else s.K ** 2 + 2 * abs(value) * s.K)
        est_gap = _mean_estimate(f"{_FORMS[name][0]} - {_FORMS[name][1]}", z, width, each,
                                 "", s.range_source)
        est = _mean_estimate(_FORMS[name][0], np.asarray(measured) * np.ones(z.size),
                             width, each, "", s.range_source)
        est.extra.update({"gap": est_gap, "bound": float(np.mean(bound))})
        out.append(est)
        violated = est_gap.low > 0 if sense == "upper" else est_gap.high < 0
        if violated:
            _fail(C, x, f"{assertion} fails: {_FORMS[name][0]} "
                        f"{'exceeds' if sense == 'upper' else 'is below'} {_FORMS[name][1]} "
                        f"= {float(np.mean(bound)):.6g} beyond its confidence interval",
                  est, f"{name} = {value:g}",
                  f"\n  margin ({'measured - bound' if sense == 'upper' else 'measured - bound'})"
                  f": {est_gap}")
    return out


# ------------------------------------------------------------------------------ assertions
_DOC_COMMON = """
    Parameters
    ----------
    compress : callable or Compressor
        ``compress(x, seed) -> y`` (a Compressor's ``compress`` is used).
    x : array_like
        The input (finite, nonzero, 1-D).
    p_fail : float
        False-failure probability of the assertion (default 1e-9).
    samples : int, optional
        Number of calls; default: chosen from the range (see the module docstring).
    max_norm_ratio : float, optional
        K with ||C(x)|| <= K ||x|| surely (the range of the statistics). Without it, a pilot
        estimate is used and the message says so.
    seed : int
        First seed; sample r uses ``seed + r``.
    exact : {"auto", True, False}
        Use the exact law of a Compressor that has one ("auto": when available).
"""


def assert_variance_at_most(compress, x, omega, *, p_fail=P_FAIL, samples=None,
                            max_norm_ratio=None, seed=0, resolution=RESOLUTION,
                            max_samples=MAX_SAMPLES, exact="auto"):
    r"""Assert :math:`\mathbb{E}\|C(x)-x\|^2 \le \omega\|x\|^2` (the variance bound of
    :math:`U(\omega)`); returns the :class:`Estimate`.""" + _DOC_COMMON
    return _check_claims(compress, x, [("omega", omega)], p_fail=p_fail, samples=samples,
                         max_norm_ratio=max_norm_ratio, seed=seed, resolution=resolution,
                         max_samples=max_samples, exact=exact,
                         assertion="assert_variance_at_most")[0]


def assert_contraction(compress, x, delta, *, p_fail=P_FAIL, samples=None, max_norm_ratio=None,
                       seed=0, resolution=RESOLUTION, max_samples=MAX_SAMPLES, exact="auto"):
    r"""Assert :math:`\mathbb{E}\|C(x)-x\|^2 \le (1 - 1/\delta)\|x\|^2` (class :math:`B_3(\delta)`,
    Beznosikov et al. 2020, Definition 3); returns the :class:`Estimate`.""" + _DOC_COMMON
    if not (isinstance(delta, (int, float)) and delta >= 1):
        raise TheorytoolsError(f"delta must be >= 1, got {delta!r}")
    return _check_claims(compress, x, [("delta", delta)], p_fail=p_fail, samples=samples,
                         max_norm_ratio=max_norm_ratio, seed=seed, resolution=resolution,
                         max_samples=max_samples, exact=exact, assertion="assert_contraction")[0]


def assert_b1(compress, x, alpha, beta, *, p_fail=P_FAIL, samples=None, max_norm_ratio=None,
              seed=0, resolution=RESOLUTION, max_samples=MAX_SAMPLES, exact="auto"):
    r"""Assert :math:`\alpha\|x\|^2 \le \mathbb{E}\|C(x)\|^2 \le \beta\langle\mathbb{E}C(x),
    x\rangle` (class :math:`B_1(\alpha, \beta)`, Beznosikov et al. 2020, Definition 1); returns
    the two :class:`Estimate` (p_fail split between them).""" + _DOC_COMMON
    return _check_claims(compress, x, [("b1_alpha", alpha), ("b1_beta", beta)], p_fail=p_fail,
                         samples=samples, max_norm_ratio=max_norm_ratio, seed=seed,
                         resolution=resolution, max_samples=max_samples, exact=exact,
                         assertion="assert_b1")


def assert_b2(compress, x, gamma, beta, *, p_fail=P_FAIL, samples=None, max_norm_ratio=None,
              seed=0, resolution=RESOLUTION, max_samples=MAX_SAMPLES, exact="auto"):
    r"""Assert :math:`\max\{\gamma\|x\|^2, \mathbb{E}\|C(x)\|^2/\beta\} \le
    \langle\mathbb{E}C(x), x\rangle` (class :math:`B_2(\gamma, \beta)`, Beznosikov et al. 2020,
    Definition 2); returns the two :class:`Estimate`.""" + _DOC_COMMON
    return _check_claims(compress, x, [("b2_gamma", gamma), ("b2_beta", beta)], p_fail=p_fail,
                         samples=samples, max_norm_ratio=max_norm_ratio, seed=seed,
                         resolution=resolution, max_samples=max_samples, exact=exact,
                         assertion="assert_b2")


def assert_unbiased(compress, x, *, p_fail=P_FAIL, samples=None, max_norm_ratio=None, seed=0,
                    resolution=RESOLUTION, max_samples=MAX_SAMPLES, exact="auto",
                    directions=32):
    r"""Assert :math:`\mathbb{E}C(x) = x`: along ``x`` itself and along each coordinate axis
    (d <= 64) or ``directions`` fixed Gaussian unit directions (d > 64), the mean of
    :math:`\langle C(x) - x, v\rangle/\|x\|` has a confidence interval containing 0 (p_fail
    split over the directions; ``resolution`` = the half-width aimed at, relative to
    :math:`\|x\|`). Returns the :class:`Estimate` of :math:`\|\mathbb{E}C(x) - x\|/\|x\|`
    (the largest directional deviation's interval in ``extra``).""" + _DOC_COMMON
    x = _vector(x)
    if not np.any(x):
        raise TheorytoolsError("x = 0: pass a nonzero x")
    law = _exact_law(compress, x, exact)
    if law is not None:
        est = Estimate("||E C(x) - x||/||x||", law["bias"], law["bias"], law["bias"])
        if law["bias"] > law["tol"]:
            _fail(compress, x, "assert_unbiased fails: E C(x) != x", est, "unbiased (= 0)")
        return est
    d = x.size
    if d <= 64:
        V = np.vstack([x / np.linalg.norm(x), np.eye(d)])
    else:
        G = np.random.default_rng(20261202).standard_normal((directions, d))
        V = np.vstack([x / np.linalg.norm(x), G / np.linalg.norm(G, axis=1)[:, None]])
    s = _draw(compress, x, samples=samples, max_norm_ratio=max_norm_ratio, seed=seed,
              scale=1.0, claims_count=V.shape[0], p_fail=p_fail, resolution=resolution,
              max_samples=max_samples, range_of=lambda K: 2.0 * (K + 1.0))
    Z = (s.Y - s.xs) @ V.T                     # (R, |V|): <C(x) - x, v> / ||x||
    each = p_fail / V.shape[0]
    worst = None
    for j in range(V.shape[0]):
        est = _mean_estimate(f"<E C(x) - x, v_{j}>/||x||", Z[:, j], 2.0 * (s.K + 1.0), each,
                             "", s.range_source)
        if worst is None or abs(est.value) > abs(worst.value):
            worst = est
        if est.low > 0 or est.high < 0:
            label = "x/||x||" if j == 0 else (f"e_{j - 1}" if d <= 64 else f"gaussian #{j}")
            _fail(compress, x, f"assert_unbiased fails: E C(x) != x along v_{j} = {label}",
                  est, "unbiased (the interval must contain 0)")
    bias = float(np.linalg.norm(s.Y.mean(axis=0) - s.xs))
    return Estimate("||mean C(x) - x||/||x|| (point estimate)", bias, bias, bias, worst.samples,
                    "each direction's Hoeffding interval contains 0; the widest deviation is "
                    "extra['worst_direction']", p_fail, s.range_source,
                    {"worst_direction": worst})


def assert_deterministic_distortion(compress, x, alpha, *, seeds=range(32), rtol=1e-12):
    r"""Assert :math:`\|C(x)-x\|^2 \le \alpha\|x\|^2` for EVERY outcome (the deterministic class
    :math:`C(\alpha)` of Albasyoni et al. 2020), on the outputs for ``seeds`` (a sure property:
    no statistics; ``rtol`` allows float rounding). Returns the :class:`Estimate` of the
    largest :math:`\|C(x)-x\|^2/\|x\|^2` seen."""
    x = _vector(x)
    fn = _compress_fn(compress)
    n2 = float(x @ x)
    worst, worst_seed = -math.inf, None
    for s in seeds:
        y = _call(fn, x, s, compress)
        e = float((y - x) @ (y - x)) / n2
        if e > worst:
            worst, worst_seed = e, s
    est = Estimate("max ||C(x)-x||^2/||x||^2", worst, worst, worst, len(seeds),
                   "maximum over seeds (a sure property)", 0.0, f"worst seed {worst_seed}")
    if worst > alpha * (1 + rtol):
        _fail(compress, x, f"assert_deterministic_distortion fails: ||C(x)-x||^2/||x||^2 = "
                           f"{worst:.6g} > alpha with seed {worst_seed}", est,
              f"alpha = {alpha:g}")
    return est


def assert_roundtrip(encode, decode, compress, x, seed=0):
    """Assert ``decode(encode(x, seed))`` equals ``compress(x, seed)`` bit for bit (every bit
    pattern, signed zeros included). ``encode`` may return anything ``decode`` accepts; returns
    the message."""
    x = _vector(x)
    expected = np.asarray(_compress_fn(compress)(x.copy(), seed), dtype=np.float64)
    message = encode(x.copy(), seed)
    got = np.asarray(decode(message), dtype=np.float64)
    if got.shape != expected.shape or not np.array_equal(got.view(np.uint64),
                                                         expected.view(np.uint64)):
        bad = (np.flatnonzero(got.view(np.uint64) != expected.view(np.uint64))[:5]
               if got.shape == expected.shape else "shape")
        raise AssertionError(
            f"assert_roundtrip fails with seed {seed}: decode(encode(x)) != compress(x) at "
            f"{bad}\n  decoded:    {got[:8] if got.ndim else got}\n  compressed: "
            f"{expected[:8]}\n  {_show(x)}")
    return message


def assert_bits_at_least_lower_bound(nbits, d, distortion, *, case="worst"):
    r"""Assert a compressor's bit count is not below the lower bound for its distortion:
    ``case="worst"``: :math:`b \ge -\log_2 P(\alpha, d)` (:func:`theorytools.bounds.worst_case_bits`,
    a compressor with :math:`\mathbb{E}\|C(x)-x\|^2 \le \alpha\|x\|^2` for every x, no shared
    randomness, norm not counted); ``case="average"``:
    :func:`theorytools.bounds.average_case_bits` (average over directions). A count below the
    bound means the bit count or the distortion claim is wrong. Returns the bound."""
    from theorytools import bounds

    if case not in ("worst", "average"):
        raise TheorytoolsError(f"case must be 'worst' or 'average', got {case!r}")
    fn = bounds.worst_case_bits if case == "worst" else bounds.average_case_bits
    lb = float(fn(distortion, d))
    if nbits < lb * (1 - 1e-12):
        raise AssertionError(
            f"assert_bits_at_least_lower_bound fails: {nbits} bits < the {case}-case lower bound "
            f"{lb:.6g} bits for distortion alpha = {distortion:g} at d = {d} "
            f"(theorytools.bounds.{fn.__name__}; docs/optimal_compression.md)")
    return lb


def estimate(compress, x, *, p_fail=P_FAIL, samples=None, max_norm_ratio=None, seed=0,
             resolution=RESOLUTION, max_samples=MAX_SAMPLES, exact="auto") -> dict:
    r"""The normalised moments of :math:`C(x)` with confidence intervals (no assertion):
    ``{"error": E||C-x||^2/||x||^2, "second": E||C||^2/||x||^2, "inner": <E C, x>/||x||^2}``
    as :class:`Estimate` (p_fail split over the three)."""
    x = _vector(x)
    law = _exact_law(compress, x, exact)
    if law is not None:
        return {k: Estimate(k, law[k], law[k], law[k]) for k in ("error", "second", "inner")}
    s = _draw(compress, x, samples=samples, max_norm_ratio=max_norm_ratio, seed=seed, scale=1.0,
              claims_count=3, p_fail=p_fail, resolution=resolution, max_samples=max_samples,
              range_of=lambda K: (1.0 + K) ** 2)
    return {k: _mean_estimate(k, getattr(s, k), _RANGE[k](s.K), p_fail / 3, "", s.range_source)
            for k in ("error", "second", "inner")}


__all__ = ["assert_unbiased", "assert_variance_at_most", "assert_contraction", "assert_b1",
           "assert_b2", "assert_deterministic_distortion", "assert_roundtrip",
           "assert_bits_at_least_lower_bound", "estimate", "Estimate", "claim_slack",
           "claim_terms", "CLAIMS", "P_FAIL"]
