"""Exact output laws of compressors: moments at any d, the finite distribution at small d.

A compressor's ``law(x)`` describes the distribution of :math:`C(x)` exactly, from the same
arithmetic that ``compress`` samples from. Five shapes cover every compressor of the papers:

* :class:`Deterministic` -- one output (Top-k, sign, biased rounding, ...);
* :class:`ProductTwoPoint` -- independent coordinates, each ``low_i`` or ``high_i`` with
  probability ``p_i`` of ``high_i`` (natural compression, unbiased rounding, dithering);
* :class:`SubsetLaw` -- ``scale * x_S`` for a random support ``S``: uniform ``k``-subsets
  (Rand-k) or independent Bernoulli marks (Bernoulli sparsification);
* :class:`Mixture` -- a finite mixture (adaptive sparsification, randomised inner stages);
* :class:`Shifted` -- a law plus a fixed vector (the induced compressor
  :math:`C_1(x) + C_2(x - C_1(x))` with deterministic :math:`C_1`).

From a law we compute exactly (no sampling): :math:`\\mathbb{E}C(x)`,
:math:`\\mathbb{E}\\|C(x)\\|^2` and :math:`\\mathbb{E}\\|C(x)-r\\|^2` for any reference ``r``
(:meth:`moments`), the almost-sure range of :math:`\\langle C(x), v\\rangle` and a.s. bound of
:math:`\\|C(x)-r\\|^2` (for Hoeffding tolerances when the sampler is checked against the law), and,
for small ``d``, the finite list of (probability, output) pairs (:meth:`outcomes`). This is the
"exact-expectation engine" of checks (docs/sources.md#checks).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from theorytools.errors import TheorytoolsError

__all__ = ["Deterministic", "Law", "Mixture", "Moments", "ProductTwoPoint", "Shifted",
           "SubsetLaw", "scaled_law"]


@dataclass(frozen=True)
class Moments:
    """Exact first and second moments of :math:`C(x)` against a reference vector ``r``.

    ``mean`` = :math:`\\mathbb{E}C(x)`, ``second`` = :math:`\\mathbb{E}\\|C(x)\\|^2`,
    ``error`` = :math:`\\mathbb{E}\\|C(x)-r\\|^2`.
    """

    mean: np.ndarray
    second: float
    error: float


class Law:
    """Base class of exact output laws. Subclasses implement the four methods below."""

    d: int

    def moments(self, ref: np.ndarray) -> Moments:
        raise NotImplementedError

    def linear_range(self, v: np.ndarray) -> tuple[float, float]:
        """Almost-sure ``(min, max)`` of :math:`\\langle C(x), v\\rangle` (a valid enclosure)."""
        raise NotImplementedError

    def error_bound(self, ref: np.ndarray) -> float:
        """An almost-sure upper bound of :math:`\\|C(x) - r\\|^2`."""
        raise NotImplementedError

    def linear_variance(self, v: np.ndarray) -> float:
        """Exact variance of :math:`\\langle C(x), v\\rangle`."""
        raise NotImplementedError

    def outcome_count(self) -> int:
        """Number of (possibly repeated) outcomes :meth:`outcomes` would list."""
        raise NotImplementedError

    def outcomes(self, limit: int = 1 << 16) -> list[tuple[float, np.ndarray]]:
        """All (probability, output) pairs with positive probability; refuses above ``limit``."""
        raise NotImplementedError

    def _check_limit(self, limit):
        n = self.outcome_count()
        if n > limit:
            raise TheorytoolsError(
                f"the law has {n} outcomes, more than limit={limit}; use moments() instead")

    def shifted(self, shift: np.ndarray) -> "Law":
        return Shifted(self, np.asarray(shift, dtype=np.float64))


@dataclass(frozen=True)
class Deterministic(Law):
    """The point mass at ``value``."""

    value: np.ndarray

    @property
    def d(self):
        return self.value.size

    def moments(self, ref):
        return Moments(self.value.copy(), float(self.value @ self.value),
                       float(np.sum((self.value - ref) ** 2)))

    def linear_range(self, v):
        s = float(self.value @ v)
        return s, s

    def error_bound(self, ref):
        return float(np.sum((self.value - ref) ** 2))

    def linear_variance(self, v):
        return 0.0

    def outcome_count(self):
        return 1

    def outcomes(self, limit=1 << 16):
        return [(1.0, self.value.copy())]


@dataclass(frozen=True)
class ProductTwoPoint(Law):
    """Independent coordinates: :math:`C_i = \\text{high}_i` w.p. :math:`p_i`, else ``low_i``."""

    low: np.ndarray
    high: np.ndarray
    p_high: np.ndarray

    @property
    def d(self):
        return self.low.size

    def moments(self, ref):
        p, lo, hi = self.p_high, self.low, self.high
        mean = lo + p * (hi - lo)
        second = float(np.sum((1 - p) * lo * lo + p * hi * hi))
        error = float(np.sum((1 - p) * (lo - ref) ** 2 + p * (hi - ref) ** 2))
        return Moments(mean, second, error)

    def _random_mask(self):
        return (self.p_high > 0) & (self.p_high < 1) & (self.low != self.high)

    def linear_range(self, v):
        base = np.where(self.p_high >= 1, self.high, self.low)
        a = np.where(self._random_mask(), self.low * v, base * v)
        b = np.where(self._random_mask(), self.high * v, base * v)
        return float(np.sum(np.minimum(a, b))), float(np.sum(np.maximum(a, b)))

    def error_bound(self, ref):
        return float(np.sum(np.maximum((self.low - ref) ** 2, (self.high - ref) ** 2)))

    def linear_variance(self, v):
        jump = (self.high - self.low) * v
        return float(np.sum(self.p_high * (1 - self.p_high) * jump * jump))

    def outcome_count(self):
        return 1 << int(np.count_nonzero(self._random_mask()))

    def outcomes(self, limit=1 << 16):
        self._check_limit(limit)
        random_idx = np.flatnonzero(self._random_mask())
        base = np.where(self.p_high >= 1, self.high, self.low).astype(np.float64)
        result = []
        for bits in itertools.product((0, 1), repeat=random_idx.size):
            out = base.copy()
            prob = 1.0
            for j, b in zip(random_idx, bits):
                if b:
                    out[j] = self.high[j]
                    prob *= self.p_high[j]
                else:
                    out[j] = self.low[j]
                    prob *= 1.0 - self.p_high[j]
            if prob > 0:
                result.append((prob, out))
        return result


@dataclass(frozen=True)
class SubsetLaw(Law):
    """``scale * x_S`` with a random support ``S``.

    ``kind='uniform_k'``: ``S`` uniform among the :math:`\\binom{d}{k}` subsets of size ``k``;
    marginals :math:`\\pi_i = k/d`. ``kind='bernoulli'``: ``i`` in ``S`` independently with
    probability ``p``. Moments need only the marginals:
    :math:`\\mathbb{E}C_i = s\\pi_i x_i`, :math:`\\mathbb{E}\\|C\\|^2 = s^2\\sum_i \\pi_i x_i^2`.
    """

    x: np.ndarray
    scale: float
    kind: str
    k: int = 0
    p: float = 0.0

    @property
    def d(self):
        return self.x.size

    def _marginal(self):
        return self.k / self.d if self.kind == "uniform_k" else self.p

    def moments(self, ref):
        pi, s, x = self._marginal(), self.scale, self.x
        kept = s * x
        mean = pi * kept
        second = float(pi * np.sum(kept * kept))
        error = float(np.sum(pi * (kept - ref) ** 2 + (1 - pi) * ref * ref))
        return Moments(mean, second, error)

    def linear_range(self, v):
        terms = self.scale * self.x * v
        if self.kind == "uniform_k":  # exactly k terms are kept
            ordered = np.sort(terms)
            return float(np.sum(ordered[: self.k])), float(np.sum(ordered[-self.k:])) if self.k else 0.0
        return float(np.sum(np.minimum(terms, 0))), float(np.sum(np.maximum(terms, 0)))

    def error_bound(self, ref):
        return float(np.sum(np.maximum((self.scale * self.x - ref) ** 2, ref * ref)))

    def linear_variance(self, v):
        a = self.scale * self.x * v
        if self.kind == "uniform_k":  # sampling k of d without replacement
            d, k = self.d, self.k
            if d == 1:
                return 0.0
            return float(k * (d - k) / (d * (d - 1)) * np.sum((a - a.mean()) ** 2))
        return float(self.p * (1 - self.p) * np.sum(a * a))

    def outcome_count(self):
        return math.comb(self.d, self.k) if self.kind == "uniform_k" else 1 << self.d

    def outcomes(self, limit=1 << 16):
        self._check_limit(limit)
        d, result = self.d, []
        if self.kind == "uniform_k":
            prob = 1.0 / math.comb(d, self.k)
            for subset in itertools.combinations(range(d), self.k):
                out = np.zeros(d)
                idx = list(subset)
                out[idx] = self.scale * self.x[idx]
                result.append((prob, out))
        else:
            for mask in itertools.product((0, 1), repeat=d):
                m = np.array(mask, dtype=bool)
                prob = self.p ** m.sum() * (1 - self.p) ** (d - m.sum())
                if prob > 0:
                    result.append((prob, np.where(m, self.scale * self.x, 0.0)))
        return result


@dataclass(frozen=True)
class Mixture(Law):
    """A finite mixture: component ``laws[j]`` with probability ``weights[j]``."""

    weights: tuple
    laws: tuple

    @property
    def d(self):
        return self.laws[0].d

    def moments(self, ref):
        mean = np.zeros(self.d)
        second = error = 0.0
        for w, law in zip(self.weights, self.laws):
            m = law.moments(ref)
            mean += w * m.mean
            second += w * m.second
            error += w * m.error
        return Moments(mean, second, error)

    def linear_range(self, v):
        ranges = [law.linear_range(v) for w, law in zip(self.weights, self.laws) if w > 0]
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    def error_bound(self, ref):
        return max(law.error_bound(ref) for w, law in zip(self.weights, self.laws) if w > 0)

    def linear_variance(self, v):
        means = np.array([float(law.moments(np.zeros(self.d)).mean @ v) for law in self.laws])
        variances = np.array([law.linear_variance(v) for law in self.laws])
        w = np.array(self.weights)
        total = float(w @ means)
        return float(w @ (variances + means * means) - total * total)

    def outcome_count(self):
        return sum(law.outcome_count() for w, law in zip(self.weights, self.laws) if w > 0)

    def outcomes(self, limit=1 << 16):
        self._check_limit(limit)
        return [(w * p, out) for w, law in zip(self.weights, self.laws) if w > 0
                for p, out in law.outcomes(limit)]


@dataclass(frozen=True)
class Shifted(Law):
    """``inner + shift``: the law of a fixed vector plus a random one."""

    inner: Law
    shift: np.ndarray

    @property
    def d(self):
        return self.inner.d

    def moments(self, ref):
        m = self.inner.moments(ref - self.shift)
        second = m.second + 2 * float(m.mean @ self.shift) + float(self.shift @ self.shift)
        return Moments(m.mean + self.shift, second, m.error)

    def linear_range(self, v):
        lo, hi = self.inner.linear_range(v)
        s = float(self.shift @ v)
        return lo + s, hi + s

    def error_bound(self, ref):
        return self.inner.error_bound(ref - self.shift)

    def linear_variance(self, v):
        return self.inner.linear_variance(v)

    def outcome_count(self):
        return self.inner.outcome_count()

    def outcomes(self, limit=1 << 16):
        return [(p, out + self.shift) for p, out in self.inner.outcomes(limit)]


def scaled_law(law: Law, exponent: int) -> Law:
    """The law of :math:`2^{e} C(x)` (exact: a power-of-two scaling, barring over/underflow)."""
    factor = exponent
    if isinstance(law, Deterministic):
        return Deterministic(np.ldexp(law.value, factor))
    if isinstance(law, ProductTwoPoint):
        return ProductTwoPoint(np.ldexp(law.low, factor), np.ldexp(law.high, factor), law.p_high)
    if isinstance(law, SubsetLaw):
        return SubsetLaw(np.ldexp(law.x, factor), law.scale, law.kind, law.k, law.p)
    if isinstance(law, Mixture):
        return Mixture(law.weights, tuple(scaled_law(sub, factor) for sub in law.laws))
    if isinstance(law, Shifted):
        return Shifted(scaled_law(law.inner, factor), np.ldexp(law.shift, factor))
    raise TypeError(f"cannot scale a {type(law).__name__}")
