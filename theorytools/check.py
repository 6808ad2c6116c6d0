r"""Checkers: compare an empirical quantity with a theorem's value and return a verdict.

Every checker returns a :class:`Check` = (empirical, theoretical, verdict, details) plus its
``kind``, the tightness ratio empirical/theoretical, the statistical ``method`` and the
confidence ``level`` (``None`` for exact checks). Kinds (the issue's list):

* ``bound`` -- the empirical value (exact, or a ONE-sided upper confidence bound on a mean)
  must not exceed the theoretical bound (``lower=True``: must not fall below it);
* ``tight`` -- the ratio empirical/theoretical must lie in a stated band ``[lo, hi]``;
* ``slope`` -- a fitted exponent or linear rate, with a confidence interval over seed
  replicates, agrees with the predicted one (``alternative="agree"``: the interval meets
  ``predicted +- tol``; ``"at_least"`` / ``"at_most"``: one-sided);
* ``law`` -- an identity, to rounding (``rtol``), or a mean equal to an exact value within a
  two-sided concentration radius (Hoeffding, Bernstein or empirical Bernstein at ``p_fail``);
* ``diverges`` -- a sequence grows geometrically (fitted factor > 1, final/initial above a
  threshold).

Statistics (checks (docs/sources.md#checks), checks (docs/sources.md#checks)): concentration radii are
computed at ``p_fail = 1e-9`` per assertion (the false-failure probability over seeds; the
seeds are fixed, so a run is reproducible); slope intervals are Student-t intervals over the
per-seed fitted slopes at a stated level (0.95 by default, as checks (docs/sources.md#checks)).
Replicates compared across configurations use common random numbers (the same seeds).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import stats

P_FAIL = 1e-9
KINDS = ("bound", "tight", "slope", "law", "diverges")


#: a passing one-sided bound whose tightness is below this is *vacuous* (the bound is more
#: than 100 times the measurement: no plausible error could make it fail; docs/verify.md,
#: "Reading a verdict")
VACUOUS_BELOW = 1e-2


def tightness_of(kind: str, empirical: float | None, theoretical: float | None,
                 accept: tuple | None) -> tuple:
    r"""``(tightness, side)`` of a check outcome (docs/verify.md, "Reading a verdict").

    .. math:: \text{tightness} = \hat e/b \;(\text{upper bound}),\quad b/\hat e
              \;(\text{lower bound}),\quad \hat e/\text{theoretical} \;(\text{else}).

    Parameters
    ----------
    kind : str
        The check's kind (:data:`KINDS`); only ``bound`` has a side.
    empirical : float or None
        The measurement.
    theoretical : float or None
        The bound or theoretical value.
    accept : tuple or None
        The acceptance region ``(low, high)``: an infinite ``high`` makes a lower bound, an
        infinite ``low`` an upper bound.

    Returns
    -------
    tuple
        ``(tightness, side)``: ``side`` is ``"upper"``/``"lower"`` for a one-sided ``bound``,
        else None; ``tightness`` is None when undefined (a missing or non-finite value, a
        zero denominator).
    """
    def finite(v):
        return v is not None and isinstance(v, (int, float)) and math.isfinite(v)

    side = None
    if kind == "bound" and accept is not None:
        lo, hi = accept
        if not math.isfinite(hi) and math.isfinite(lo):
            side = "lower"
        elif not math.isfinite(lo) and math.isfinite(hi):
            side = "upper"
    if not (finite(empirical) and finite(theoretical)):
        return None, side
    if side == "upper":
        return (empirical / theoretical if theoretical > 0 else None), side
    if side == "lower":
        return (theoretical / empirical if empirical > 0 else None), side
    return (empirical / theoretical if theoretical != 0 else None), side


def is_vacuous(passed: bool, side: str | None, tightness: float | None) -> bool:
    """Whether a check is *vacuous*: a passing one-sided bound with ``tightness <
    VACUOUS_BELOW`` (the bound more than 100 times the measurement: not evidence).

    Parameters
    ----------
    passed : bool
        The verdict.
    side : str or None
        ``"upper"``/``"lower"`` for a one-sided bound (:func:`tightness_of`), else None.
    tightness : float or None
        The tightness (:func:`tightness_of`).

    Returns
    -------
    bool
        True for a vacuous pass.
    """
    return bool(passed and side is not None and tightness is not None
                and tightness < VACUOUS_BELOW)


@dataclass
class Check:
    """The outcome of one check -- the one result type of the toolkit: the theorem checkers
    of this module, the compressor contract (:class:`theorytools.compressors.contract.
    ContractResult` is a ``Check``) and, with the run's context added, the rows of
    ``theorytools verify`` (:class:`theorytools.verify.CheckRow`).

    Core: ``(empirical, theoretical, verdict, details)`` (PEPit's shape, :meth:`as_tuple`)
    with the ``kind``, the statistical ``method``, the confidence ``level`` (``None`` for
    exact checks) and the number of ``replicates``. ``interval`` is the confidence interval
    ``(low, high)`` of the empirical value that the verdict rests on (one-sided intervals have
    an infinite end; ``None`` for an exact value) and ``accept`` the region ``(low, high)``
    in which the empirical value (or, for a statistical check, the interval's relevant end)
    must lie to pass. :attr:`tightness`, :attr:`vacuous` and :attr:`assessment` say whether
    a pass is evidence (:data:`VACUOUS_BELOW`).

    Description (optional; filled by whoever knows it): ``name`` of the check, ``subject``
    (what was checked, e.g. a compressor), ``input_label`` (on which input), ``claim`` in
    words, ``formula``, ``source`` (paper, theorem or equation) and ``status``
    (``confirmed`` / ``author-poster`` / ``derived`` / ``unconfirmed``). ``seeded``: the
    measurement depends on the run's random draws (``theorytools verify --seed`` changes it);
    ``False`` for an exact value. ``extra["series"]`` may hold the curves behind the check
    (:class:`theorytools.report.Series`)."""

    kind: str
    empirical: float
    theoretical: float
    passed: bool
    details: str = ""
    method: str = "exact"
    level: float | None = None
    replicates: int = 1
    extra: dict = field(default_factory=dict)
    interval: tuple | None = None   # confidence interval of ``empirical`` (None: exact)
    accept: tuple | None = None     # the region of ``empirical`` that passes, for plots
    name: str = ""
    subject: str = ""
    input_label: str = ""
    claim: str = ""
    formula: str = ""
    source: str = ""
    status: str = ""
    seeded: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        self.empirical = float(self.empirical)
        self.theoretical = float(self.theoretical)
        self.passed = bool(self.passed)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    @property
    def ratio(self) -> float:
        """Tightness ratio empirical/theoretical (nan when the theoretical value is 0)."""
        if self.theoretical == 0:
            return math.nan
        return self.empirical / self.theoretical

    @property
    def bound(self) -> float:
        """The theorem's value (alias of ``theoretical``)."""
        return self.theoretical

    @property
    def measured(self) -> float:
        """The measurement (alias of ``empirical``)."""
        return self.empirical

    @property
    def tightness(self):
        """measured/bound (upper bound), bound/measured (lower bound), measured/theoretical
        (other kinds); None when undefined (:func:`tightness_of`)."""
        return tightness_of(self.kind, self.empirical, self.theoretical, self.accept)[0]

    @property
    def vacuous(self) -> bool:
        """A pass of a one-sided bound more than 1/VACUOUS_BELOW times loose."""
        t, side = tightness_of(self.kind, self.empirical, self.theoretical, self.accept)
        return is_vacuous(self.passed, side, t)

    @property
    def assessment(self) -> str:
        """``holds``, ``holds, vacuous`` or ``FAILS``."""
        return "FAILS" if not self.passed else "holds, vacuous" if self.vacuous else "holds"

    def as_tuple(self):
        """PEPit's shape: (empirical, theoretical, verdict, details)."""
        return self.empirical, self.theoretical, self.verdict, self.details

    def describe(self) -> str:
        stat = self.method + (f", level {self.level:g}" if self.level is not None else "")
        stat += f", {self.replicates} replicates" if self.replicates > 1 else ""
        return f"{self.details} [{stat}]" if self.details else f"[{stat}]"


# --------------------------------------------------------------------------- radii
def hoeffding_radius(value_range: float, samples: int, p_fail: float = P_FAIL,
                     *, two_sided: bool = True) -> float:
    r"""Hoeffding's radius for the mean of R i.i.d. values in an interval of width b − a.

    .. math:: r = (b-a)\sqrt{\ln(k/p)/(2R)},\qquad k = 2 \text{ (two-sided) or } 1
              \text{ (one-sided)},

    so that :math:`P(|\bar Z - \mathbb E Z| > r) \le p` (one side: :math:`P(\bar Z -
    \mathbb E Z > r) \le p`). Hoeffding (1963), Theorem 2.

    Parameters
    ----------
    value_range : float
        Width b − a of the interval holding every value.
    samples : int
        Number R of i.i.d. values averaged.
    p_fail : float, optional
        False-failure probability p (default 1e-9).
    two_sided : bool, optional
        Two-sided (k = 2) or one-sided (k = 1) radius.

    Returns
    -------
    float
        The radius r.
    """
    return value_range * math.sqrt(math.log((2.0 if two_sided else 1.0) / p_fail)
                                   / (2.0 * samples))


def empirical_bernstein_radius(samples: np.ndarray, value_range: float,
                               p_fail: float = P_FAIL, *, two_sided: bool = True) -> float:
    r"""Empirical Bernstein radius (Maurer & Pontil 2009, Theorem 4).

    With probability :math:`\ge 1-p` (one side),

    .. math:: \bar Z - \mathbb{E}Z \le \sqrt{2V_n\ln(2/p)/n} + \frac{7b\ln(2/p)}{3(n-1)},

    where :math:`V_n` is the unbiased sample variance of the n values and :math:`Z \in [a,
    a+b]`. Two-sided: p/2 per side.

    Parameters
    ----------
    samples : numpy.ndarray
        The n >= 2 i.i.d. values.
    value_range : float
        Width b of the interval holding every value.
    p_fail : float, optional
        False-failure probability p (default 1e-9).
    two_sided : bool, optional
        Split p over the two sides.

    Returns
    -------
    float
        The radius.
    """
    z = np.asarray(samples, dtype=float)
    n = z.size
    if n < 2:
        raise ValueError("empirical Bernstein needs at least 2 samples")
    big_l = math.log(2.0 / (p_fail / 2.0 if two_sided else p_fail))
    var = float(z.var(ddof=1))
    return math.sqrt(2.0 * var * big_l / n) + 7.0 * value_range * big_l / (3.0 * (n - 1))


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    r"""Student-t interval (mean, low, high) of the mean of replicate values at ``level``.

    .. math:: \bar v \pm t_{r-1,\,(1+\text{level})/2}\; s/\sqrt r,

    :math:`s` the sample standard deviation of the r replicates (infinite ends for r < 2).

    Parameters
    ----------
    values : numpy.ndarray
        Replicate values (e.g. one per seed).
    level : float, optional
        Two-sided confidence level.

    Returns
    -------
    tuple of float
        ``(mean, low, high)``.
    """
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if v.size < 2:
        return m, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + level / 2.0, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


def t_one_sided(values: np.ndarray, level: float = 0.95, *,
                upper: bool = True) -> tuple[float, float]:
    r"""Student-t one-sided confidence bound (mean, bound) of the mean at ``level``.

    .. math:: \bar v \pm t_{r-1,\,\text{level}}\; s/\sqrt r

    (``+`` for an upper bound; infinite for r < 2).

    Parameters
    ----------
    values : numpy.ndarray
        Replicate values.
    level : float, optional
        One-sided confidence level.
    upper : bool, optional
        Upper (default) or lower confidence bound.

    Returns
    -------
    tuple of float
        ``(mean, bound)``.
    """
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if v.size < 2:
        return m, (math.inf if upper else -math.inf)
    half = float(stats.t.ppf(level, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, (m + half if upper else m - half)


class Band(NamedTuple):
    """Column-wise mean of replicate rows and its confidence band (:func:`t_band`)."""

    mean: np.ndarray
    lo: np.ndarray | None
    hi: np.ndarray | None
    geometric: bool


def t_halfwidth(Y: np.ndarray, level: float = 0.95) -> np.ndarray:
    r"""Column-wise half-width of the two-sided Student-t interval of the mean of the
    replicate rows of ``Y``:

    .. math:: h_j = t_{r-1,\,(1+\text{level})/2}\; s_j/\sqrt r

    (infinite for r < 2). :func:`t_band` is the mean plus or minus it.

    Parameters
    ----------
    Y : numpy.ndarray
        Replicates x points (a 1-D array is one replicate).
    level : float, optional
        Two-sided confidence level (default 0.95).

    Returns
    -------
    numpy.ndarray
        One half-width per column.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    if Y.shape[0] < 2:
        return np.full(Y.shape[1], math.inf)
    return (stats.t.ppf(0.5 + level / 2.0, Y.shape[0] - 1) * Y.std(axis=0, ddof=1)
            / math.sqrt(Y.shape[0]))


def t_band(Y: np.ndarray, level: float = 0.95, *, geometric: bool = False) -> Band:
    r"""Column-wise mean of the replicate rows of ``Y`` with its two-sided Student-t band.

    .. math:: \bar y_j \pm t_{r-1,\,(1+\text{level})/2}\; s_j/\sqrt r,

    :math:`s_j` the sample standard deviation of column j over the r replicate rows (the
    curve-wise form of :func:`t_interval`: the one Student-t band of the reports).
    ``geometric``: the same in log space (geometric mean and band), for curves drawn on log
    scales; it falls back to the arithmetic band when a value is not positive.

    Parameters
    ----------
    Y : numpy.ndarray
        Replicates x points (a 1-D array is one replicate).
    level : float, optional
        Two-sided confidence level (default 0.95).
    geometric : bool, optional
        Band of the log values, mapped back with exp.

    Returns
    -------
    Band
        ``(mean, lo, hi, geometric)``; ``lo``/``hi`` are None for a single replicate (no
        band: an exact curve) and ``geometric`` says whether the log-space band was used.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    geometric = geometric and bool(np.all(Y > 0))
    Z = np.log(Y) if geometric else Y
    m = Z.mean(axis=0)
    if Z.shape[0] < 2:
        lo = hi = None
    else:
        half = t_halfwidth(Z, level)
        lo, hi = m - half, m + half
    if geometric:
        m = np.exp(m)
        lo = None if lo is None else np.exp(lo)
        hi = None if hi is None else np.exp(hi)
    return Band(m, lo, hi, geometric)


# --------------------------------------------------------------------------- checkers
def _one_sided(theoretical, slack, lower):
    return (theoretical - slack, math.inf) if lower else (-math.inf, theoretical + slack)


def bound(empirical: float | np.ndarray | None, theoretical: float, *, lower: bool = False,
          rtol: float = 1e-12, atol: float = 0.0, samples: np.ndarray | None = None,
          value_range: float | None = None, p_fail: float = P_FAIL, method: str = "hoeffding",
          details: str = "") -> Check:
    r"""``bound``: empirical <= theoretical (``lower``: >=).

    .. math:: \hat e \le b + \text{rtol}\,|b| + \text{atol}
              \quad(\text{lower: } \hat e \ge b - \dots),

    Exact: ``empirical`` is a number (a worst case or an exactly computed expectation; an
    array is reduced to its max, or min for ``lower``) and the comparison allows
    ``rtol * |theoretical| + atol`` for rounding. Statistical: ``samples`` (i.i.d. values in
    an interval of width ``value_range``) are reduced to their mean and the ONE-sided
    Hoeffding bound at ``p_fail`` (upper for an upper bound, :func:`hoeffding_radius`) is
    compared instead. ``method="t"``: a one-sided Student-t bound at level ``1 - p_fail``
    instead (approximate: for replicates that are themselves averages of many terms, where no
    a-priori range exists so Hoeffding does not apply; ``value_range`` is then not needed).

    Parameters
    ----------
    empirical : float, numpy.ndarray or None
        The measured value(s) (ignored when ``samples`` is given).
    theoretical : float
        The theorem's bound b.
    lower : bool, optional
        A lower bound (the measurement must not fall below b).
    rtol, atol : float, optional
        Rounding allowance.
    samples : numpy.ndarray or None, optional
        i.i.d. replicates for a statistical check.
    value_range : float or None, optional
        Width of the interval holding every sample (Hoeffding).
    p_fail : float, optional
        False-failure probability of the statistical check (default 1e-9).
    method : {"hoeffding", "t"}, optional
        The one-sided confidence bound used with ``samples``.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        Kind ``bound`` with the verdict, interval and acceptance region.
    """
    slack = rtol * abs(theoretical) + atol
    if samples is None:
        emp = float(np.max(empirical)) if not lower else float(np.min(empirical))
        ok = emp >= theoretical - slack if lower else emp <= theoretical + slack
        return Check("bound", emp, theoretical, ok, details,
                     accept=_one_sided(theoretical, slack, lower))
    z = np.asarray(samples, dtype=float)
    if method == "t":
        mean, conf = t_one_sided(z, 1.0 - p_fail, upper=not lower)
        label = f"one-sided Student-t over seeds, p_fail {p_fail:g}"
    elif method == "hoeffding":
        if value_range is None:
            raise ValueError("a statistical bound check needs value_range (Hoeffding)")
        rad = hoeffding_radius(value_range, z.size, p_fail, two_sided=False)
        mean = float(z.mean())
        conf = mean - rad if lower else mean + rad
        label = f"one-sided Hoeffding, p_fail {p_fail:g}"
    else:
        raise ValueError(f"method must be 'hoeffding' or 't', got {method!r}")
    ok = bool(np.isfinite(conf)) and (conf >= theoretical - slack if lower
                                       else conf <= theoretical + slack)
    return Check("bound", mean, theoretical, ok,
                 f"{details}; {'lower' if lower else 'upper'} confidence bound {conf:.6g}"
                 .lstrip("; "),
                 label, None, z.size,
                 interval=(conf, math.inf) if lower else (-math.inf, conf),
                 accept=_one_sided(theoretical, slack, lower))


def tight(empirical: float, theoretical: float, band: tuple[float, float],
          details: str = "") -> Check:
    r"""``tight``: the ratio empirical/theoretical lies in ``band = (lo, hi)``.

    .. math:: \text{lo} \le \text{empirical}/\text{theoretical} \le \text{hi}.

    Parameters
    ----------
    empirical : float
        The measured value (exact).
    theoretical : float
        The theorem's value.
    band : tuple of float
        ``(lo, hi)``.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        The verdict with the empirical and theoretical values, interval and acceptance
        region.
    """
    lo, hi = band
    ratio = empirical / theoretical if theoretical else math.nan
    ok = bool(lo <= ratio <= hi)
    return Check("tight", empirical, theoretical, ok,
                 f"{details}; ratio band [{lo:g}, {hi:g}]".lstrip("; "),
                 accept=tuple(sorted((lo * theoretical, hi * theoretical))))


def law(actual: float | np.ndarray, expected: float | np.ndarray, *, rtol: float = 1e-12,
        atol: float = 0.0, details: str = "") -> Check:
    r"""``law``: an identity to rounding.

    .. math:: \max_i |a_i - e_i| \le \text{rtol}\,|e_i| + \text{atol}.

    ``empirical`` is the worst relative deviation's actual value, ``theoretical`` its
    expected value (scalars are compared directly).

    Parameters
    ----------
    actual : float or numpy.ndarray
        Computed values.
    expected : float or numpy.ndarray
        Exact values (broadcast against ``actual``).
    rtol : float, optional
        Relative tolerance.
    atol : float, optional
        Absolute tolerance.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        The verdict with the empirical and theoretical values, interval and acceptance
        region.
    """
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(np.asarray(expected, dtype=float))
    a, e = np.broadcast_arrays(a, e)
    dev = np.abs(a - e)
    allowed = rtol * np.abs(e) + atol
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(allowed > 0, dev / np.where(allowed > 0, allowed, 1.0),
                       np.where(dev > 0, np.inf, 0.0))
    i = int(np.argmax(rel)) if rel.size else 0
    ok = bool(np.all(np.isfinite(a)) and np.all(dev <= allowed))
    return Check("law", float(a.flat[i]), float(e.flat[i]), ok,
                 f"{details}; max |dev| {float(dev.max()):.3g} (rtol {rtol:g}, atol {atol:g})"
                 .lstrip("; "),
                 accept=(float(e.flat[i] - allowed.flat[i]), float(e.flat[i] + allowed.flat[i]))
                 if a.size else None)


def mean_equals(samples: np.ndarray, expected: float, *, value_range: float,
                p_fail: float = P_FAIL,
                method: str = "empirical-bernstein", variance: float | None = None,
                bias: float = 0.0, details: str = "") -> Check:
    r"""``law`` for a Monte Carlo mean: |mean - expected| <= radius (+ a stated ``bias`` bound).

    ``method``: ``hoeffding`` (range only), ``bernstein`` (known ``variance``),
    ``empirical-bernstein`` (Maurer-Pontil, sample variance), all rigorous, or ``t`` (Student-t
    at level 1 - p_fail, approximate: for replicates that are themselves averages of many
    independent terms); two-sided at ``p_fail``:

    .. math:: |\bar Z - \text{expected}| \le r_{p}(Z) + \text{bias}.

    Parameters
    ----------
    samples : numpy.ndarray
        i.i.d. values (flattened).
    expected : float
        The exact expectation.
    value_range : float
        Width of the a.s. range of one sample (Hoeffding, Bernstein).
    p_fail : float, optional
        False-failure probability of the assertion.
    method : {"empirical-bernstein", "hoeffding", "bernstein", "t"}, optional
        The concentration radius.
    variance : float or None, optional
        The known variance (``method="bernstein"``).
    bias : float, optional
        A stated bound on the bias of the estimator.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        The verdict with the empirical and theoretical values, interval and acceptance
        region.
    """
    from theorytools.compressors.contract import bernstein_radius

    z = np.asarray(samples, dtype=float).ravel()
    if method == "hoeffding":
        rad = hoeffding_radius(value_range, z.size, p_fail)
    elif method == "bernstein":
        if variance is None:
            raise ValueError("method='bernstein' needs the variance")
        rad = bernstein_radius(variance, value_range, z.size, p_fail)
    elif method == "empirical-bernstein":
        rad = empirical_bernstein_radius(z, value_range, p_fail)
    elif method == "t":
        # Student-t at level 1 - p_fail: approximate (for means of near-Gaussian replicates)
        rad = float(stats.t.ppf(1.0 - p_fail / 2.0, z.size - 1) * z.std(ddof=1)
                    / math.sqrt(z.size))
    else:
        raise ValueError(f"unknown method {method!r}")
    mean = float(z.mean())
    ok = abs(mean - expected) <= rad + bias
    return Check("law", mean, expected, ok,
                 f"{details}; |mean - exact| = {abs(mean - expected):.3g} <= radius {rad:.3g}"
                 + (f" + bias bound {bias:.3g}" if bias else ""),
                 f"two-sided {method}, p_fail {p_fail:g}", None, z.size,
                 interval=(mean - rad - bias, mean + rad + bias),
                 accept=(expected - rad - bias, expected + rad + bias))


def fit_slopes(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    r"""Least-squares slope of each row of ``Y`` (replicates x points) against ``x``.

    .. math:: \hat\beta_r = \frac{\sum_j (x_j - \bar x)(Y_{rj} - \bar Y_r)}{\sum_j (x_j - \bar x)^2}.

    Parameters
    ----------
    x : numpy.ndarray
        Points (m,), e.g. log T.
    Y : numpy.ndarray
        Values (r, m) or (m,), e.g. log errors per seed.

    Returns
    -------
    numpy.ndarray
        One slope per row (r,).
    """
    x = np.asarray(x, dtype=float)
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    xc = x - x.mean()
    return (Y - Y.mean(axis=1, keepdims=True)) @ xc / float(xc @ xc)


def slope(replicate_slopes: np.ndarray, predicted: float, *, tol: float = 0.1,
          level: float = 0.95,
          alternative: str = "agree", details: str = "") -> Check:
    r"""``slope``: replicate estimates of an exponent or rate vs the predicted value.

    ``agree``: the two-sided t-interval at ``level`` meets ``[predicted - tol, predicted + tol]``
    (checks (docs/sources.md#checks)); ``at_least``: the one-sided lower t-bound is >= predicted;
    ``at_most``: the one-sided upper t-bound is <= predicted. With one replicate the point
    estimate is used (no interval).

    Parameters
    ----------
    replicate_slopes : numpy.ndarray
        One fitted exponent or rate per seed (e.g. from :func:`fit_slopes`).
    predicted : float
        The theorem's exponent or rate.
    tol : float, optional
        Half-width of the agreement band (``agree``).
    level : float, optional
        Confidence level of the Student-t interval.
    alternative : {"agree", "at_least", "at_most"}, optional
        The comparison.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        The verdict with the empirical and theoretical values, interval and acceptance
        region.
    """
    v = np.asarray(replicate_slopes, dtype=float).ravel()
    if not np.all(np.isfinite(v)):
        return Check("slope", math.nan, predicted, False, f"{details}; non-finite fit",
                     f"t-interval over seeds ({alternative})", level, v.size)
    if alternative == "agree":
        m, lo, hi = t_interval(v, level)
        if v.size < 2:
            lo = hi = m
        ok = hi >= predicted - tol and lo <= predicted + tol
        ci = f"CI [{lo:.4g}, {hi:.4g}] vs {predicted:g} +- {tol:g}"
        interval, accept = (lo, hi), (predicted - tol, predicted + tol)
    elif alternative in ("at_least", "at_most"):
        upper = alternative == "at_most"
        m, b = t_one_sided(v, level, upper=upper)
        if v.size < 2:
            b = m
        ok = b <= predicted if upper else b >= predicted
        ci = f"one-sided {'upper' if upper else 'lower'} bound {b:.4g} vs {predicted:g}"
        interval = (-math.inf, b) if upper else (b, math.inf)
        accept = (-math.inf, predicted) if upper else (predicted, math.inf)
    else:
        raise ValueError(f"alternative must be agree/at_least/at_most, got {alternative!r}")
    return Check("slope", m, predicted, ok, f"{details}; {ci}".lstrip("; "),
                 f"Student-t over seed replicates ({alternative})", level, v.size,
                 interval=interval, accept=accept)


def diverges(norms: np.ndarray, predicted_factor: float | None = None, *,
             min_growth: float = 1e3,
             rtol: float = 1e-9, details: str = "") -> Check:
    r"""``diverges``: the sequence ``norms`` (e.g. ||x^k||) grows: every step increases it, the
    final/initial ratio is >= ``min_growth``, and the fitted geometric factor (empirical) is
    > 1 (and equals ``predicted_factor`` to ``rtol`` when one is given):

    .. math:: \hat q = \exp\Big(\frac{1}{K}\sum_{k} \ln\frac{r_{k+1}}{r_k}\Big) > 1.

    Parameters
    ----------
    norms : numpy.ndarray
        The positive sequence :math:`r_0, \dots, r_K`.
    predicted_factor : float or None, optional
        The theorem's growth factor, if any.
    min_growth : float, optional
        Smallest accepted :math:`r_K/r_0`.
    rtol : float, optional
        Relative tolerance on the factor.
    details : str, optional
        Text for the report.

    Returns
    -------
    Check
        The verdict with the empirical and theoretical values, interval and acceptance
        region.
    """
    r = np.asarray(norms, dtype=float)
    finite = np.all(np.isfinite(r)) and np.all(r > 0)
    if not finite or r.size < 2:
        return Check("diverges", math.nan, predicted_factor or 1.0, False,
                     f"{details}; non-finite or too short sequence")
    factor = float(np.exp(np.mean(np.diff(np.log(r)))))
    growth = float(r[-1] / r[0])
    ok = bool(np.all(np.diff(r) > 0) and growth >= min_growth and factor > 1)
    if predicted_factor is not None:
        ok = ok and abs(factor - predicted_factor) <= rtol * predicted_factor
    accept = (1.0, math.inf) if predicted_factor is None else (
        predicted_factor * (1 - rtol), predicted_factor * (1 + rtol))
    return Check("diverges", factor, predicted_factor if predicted_factor is not None else 1.0,
                 ok, f"{details}; growth x{growth:.3g} over {r.size - 1} steps".lstrip("; "),
                 accept=accept)


__all__ = ["Band", "Check", "KINDS", "P_FAIL", "VACUOUS_BELOW", "bound", "tight", "law",
           "mean_equals", "slope", "fit_slopes", "diverges", "hoeffding_radius",
           "empirical_bernstein_radius", "is_vacuous", "t_band", "t_halfwidth", "t_interval",
           "t_one_sided", "tightness_of"]
