"""Sparsifiers: Top-k, Rand-k (scaled and unscaled), Bernoulli (scaled and unscaled), adaptive.

Wire format of a sparse vector: the support as an enumerative (combinatorial) subset code
(:mod:`theorytools.codecs.enumerative`), then the kept values at ``float_width`` bits. Under
shared randomness (Rand-k, Bernoulli) the receiver regenerates the support from the shared
stream key and only the values are sent.

Sources: compressor table (docs/sources.md#table) rows C1-C6, compressor definitions (docs/sources.md#definitions) (definitions), bit counts (docs/sources.md#bits) (bits), checks (docs/sources.md#checks)
(extremal inputs). Every constant is [DERIVED] (docs/sources.md#table) and re-derived symbolically in
``proofs_check/compressor_constants.py``; the class definitions B1/B2/B3 are [UNCONFIRMED]
readings of P1 (P1's classes B1/B2/B3 (docs/sources.md#classes)).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.codecs.enumerative import read_subset, subset_code_bits, write_subset
from theorytools.compressors import _kernels as K
from theorytools.compressors._wire import read_floats, write_floats
from theorytools.compressors.base import (Compressor, Constant, Extremal, Theory, log2_ceil,
                                          round_values)
from theorytools.compressors.law import Deterministic, Mixture, SubsetLaw
from theorytools.errors import TheorytoolsError, check_int, check_real, raise_if_not_finite

__all__ = ["Adaptive", "Bernoulli", "BernoulliBiased", "RandK", "RandKBiased", "TopK"]

_PROOF = "proofs_check/compressor_constants.py"


def _validate_keeping_float32(self, x, *, finite=True):
    """``Compressor.validate`` that keeps a 1-D C-contiguous float32 ``x`` as it is.

    Top-k and Rand-k read x only at k selected entries (plus, for Top-k, two passes of the
    selection kernel, which compares |x_i| exactly in either dtype), so converting the whole
    vector to float64 first (a fresh 8d-byte array, whose page faults dominate while the
    allocator returns freed large blocks to the OS) made them 2.5-5x slower on float32 input
    than on float64 at d = 10^6 (bench/compressors.py). The checks are the same (finite,
    dimension); the k kept values are converted to float64 in ``_sample`` (float32 ->
    float64 is exact), so the results are bit-identical to converting first. Any other dtype
    (float16, integers, lists, float64) takes the usual path: float64, converted once there.
    """
    if (isinstance(x, np.ndarray) and x.dtype == np.float32 and x.ndim == 1 and x.size > 0
            and x.flags.c_contiguous):
        if finite:
            with np.errstate(over="ignore", invalid="ignore"):
                total = np.add.reduce(x)
            if not np.isfinite(total):
                # NaN/inf propagate through the sum; a finite sum that overflowed float32
                # is checked entry by entry (the message names x's first bad entry)
                raise_if_not_finite(x.astype(np.float64))
        self._check_dimension(x.size)
        self._check_input(x)
        return x
    return Compressor.validate(self, x, finite=finite)


def _kept_values(x, idx, width):
    """x[idx] as float64 (exact for float32 x), rounded to the wire's float width."""
    return round_values(np.asarray(x[idx], dtype=np.float64), width)


def _c(value, where, tight=True, status="derived"):
    return Constant(float(value), f"{where}; derived here ({_PROOF})",
                    status, tight)


_POSTER = "author-poster"   # the memberships on P1's poster (authors' posters of P1/P2 (docs/sources.md#posters)): Top-k, scaled Rand-k


class _Sparse(Compressor):
    """Common machinery: parts = (sorted indices, kept values already rounded)."""

    scale_kept = False  # multiply kept values by a known scale at the receiver
    # compress skips check_vector's finiteness pass: the randomised ones test finiteness in
    # _check_input's single pass (with the float32 range); Top-k resets it
    _fused_checks_finite = True

    def _scale(self, d):
        return 1.0

    # the smallest magnitude that float32 rounds to infinity (halfway above FLT_MAX)
    _F32_OVERFLOW = 2.0 ** 128 - 2.0 ** 103

    def _check_input(self, x):
        """A randomised sparsifier refuses an x with an entry beyond the float32 wire range
        whichever coordinates the randomness keeps: refusal depends on x only, never on the
        seed (a deterministic one, Top-k, refuses only what it sends, also seed-free)."""
        if not self.randomized or not x.size:
            return
        if self.float_width == 32:
            # one pass: max|x_i| below float32's overflow and a finite sum of squares prove
            # every entry finite and representable (so compress skips check_vector's pass)
            top, sum_sq = K.max_abs_and_sum_sq(x)
            if not (top < self._F32_OVERFLOW and math.isfinite(sum_sq)):
                raise_if_not_finite(x)
                round_values(x, 32)   # raises naming the first entry beyond the range
        else:
            with np.errstate(over="ignore", invalid="ignore"):   # NaN/inf/overflow: checked
                total = np.add.reduce(x)
            if not np.isfinite(total):
                raise_if_not_finite(x)

    def _reconstruct(self, parts, d):
        idx, values = parts
        return K.scatter(d, idx, values * self._scale(d))

    def _write(self, parts, writer, d, shared):
        idx, values = parts
        if not shared:
            self._write_support(writer, idx, d)
        write_floats(writer, values, self.float_width)

    def _read(self, reader, d, key):
        idx = self._support_from_key(d, key) if key is not None else self._read_support(reader, d)
        return idx, read_floats(reader, idx.size, self.float_width)

    def _write_support(self, writer, idx, d):
        write_subset(writer, idx, d)

    def _read_support(self, reader, d):
        return read_subset(reader, d, self._k(d))

    def _support_from_key(self, d, key):
        raise TheorytoolsError(f"{self.name}: no shared-randomness support")


class TopK(_Sparse):
    r"""Top-k: keep the ``k`` entries of largest magnitude.

    .. math:: C(x) = x_S,\quad S = \text{indices of the } k \text{ largest } |x_i|.

    **Ties.** When several entries share the k-th largest magnitude, the ones with the
    smallest indices are kept: S is the first k indices of a stable sort by decreasing
    :math:`|x_i|` (as ``np.argsort(-np.abs(x), kind="stable")[:k]``). Magnitudes are
    compared exactly (as IEEE bit patterns of :math:`|x_i|`), so :math:`+0` and :math:`-0`
    tie, as do :math:`x_i` and :math:`-x_i`; a float32 x is compared in its own values
    (float32 to float64 is exact). Both selection paths of the kernel (a stable sort below
    d = 2048, radix selection from d = 2048 on) keep the same set. (The authors' reference
    code calls ``torch.topk``, whose documentation does not guarantee which of tied entries'
    indices are returned.)

    float32 input is read as it is (no float64 copy of x; the k kept values are converted).

    Theory (compressor table C1 (docs/sources.md#table), derived): biased; :math:`B_1(k/d, 1)`, :math:`B_2(k/d, 1)`,
    :math:`B_3(d/k)`; equality of the B3 bound at :math:`x = (1,\dots,1)`.
    Bits: :math:`wk + \lceil\log_2\binom{d}{k}\rceil` (enumerative index code).
    """

    name = "top_k"
    param_order = ("k",)
    _fused_checks_finite = False   # deterministic: check_vector's pass, no _check_input

    def __init__(self, k, float_width=32):
        super().__init__(float_width, k=check_int(k, "k", low=1))

    def _k(self, d):
        return self.params["k"]

    def _check_dimension(self, d):
        if self.params["k"] > d:
            raise TheorytoolsError(f"k must be in [1, d] = [1, {d}], got k={self.params['k']}")

    validate = _validate_keeping_float32

    def _sample(self, x, key):
        idx = K.top_k_indices(x, self.params["k"])
        return idx, _kept_values(x, idx, self.float_width)

    def law(self, x):
        x = self.validate(x)
        return Deterministic(self._reconstruct(self._sample(x, None), x.size))

    def theory(self, d):
        k = self.params["k"]
        return Theory(
            unbiased=False, unbiased_source="compressor table C1 (docs/sources.md#table)",
            b1_alpha=_c(k / d, "compressor table C1 (docs/sources.md#table)", status=_POSTER),
            b1_beta=_c(1, "compressor table C1 (docs/sources.md#table)", status=_POSTER),
            b2_gamma=_c(k / d, "compressor table C1 (docs/sources.md#table)", status=_POSTER),
            b2_beta=_c(1, "compressor table C1 (docs/sources.md#table)", status=_POSTER),
            delta=_c(d / k, "compressor table C1 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)", status=_POSTER),
            bits_formula="w*k + subset_code_bits(d,k) (= ceil(log2 C(d,k)) unless the blocked "
                         "code is needed)",
            bits_source="bit counts (docs/sources.md#bits) (Top-k, enumerative index code)")

    def bits_budget(self, x, *, shared=False):
        d = np.asarray(x).size
        return self.float_width * self.params["k"] + subset_code_bits(d, self.params["k"])

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return [Extremal(n, ones, "x = (1,...,1): the kept share of energy is exactly k/d")
                for n in ("delta", "b1_alpha", "b2_gamma", "b1_beta", "b2_beta")]

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        from theorytools.codecs.enumerative import subset_code_is_fixed
        k = self.params["k"]
        return B.fixed_length_kernel(self, B.TOP_K, (k, 1.0, self.float_width), d, shared,
                                     exact=shared or subset_code_is_fixed(d, k))


class RandK(_Sparse):
    r"""Rand-k, scaled (unbiased random sparsification): :math:`C(x) = \frac{d}{k} x_S`.

    ``S`` is uniform among the :math:`\binom{d}{k}` subsets of size ``k`` (Floyd's algorithm
    with exact rejection sampling on the stream).

    Theory (compressor table C2 (docs/sources.md#table), derived): unbiased, :math:`U(d/k - 1)`; :math:`\mathbb{E}\|C(x)\|^2
    = \frac{d}{k}\|x\|^2` for every x, so :math:`B_1(d/k, d/k)` and :math:`B_2(1, d/k)` are
    attained everywhere (the table's :math:`B_1(1, d/k)` is the looser inclusion R1);
    :math:`C \in B_3(k/(2k-d))` iff :math:`k > d/2`.
    Bits: :math:`wk + \lceil\log_2\binom{d}{k}\rceil`; with a shared seed :math:`wk`.

    float32 input is read as it is (no float64 copy of x; the k kept values are converted).
    """

    name = "rand_k"
    param_order = ("k",)
    randomized = True
    shared_randomness = True
    scaled = True

    def __init__(self, k, float_width=32):
        super().__init__(float_width, k=check_int(k, "k", low=1))

    _k = TopK._k
    _check_dimension = TopK._check_dimension

    def _scale(self, d):
        return d / self.params["k"] if self.scaled else 1.0

    def _support_from_key(self, d, key):
        return K.rand_k_indices(d, self.params["k"], key)

    validate = _validate_keeping_float32

    def _sample(self, x, key):
        idx = K.rand_k_indices(x.size, self.params["k"], key)
        return idx, _kept_values(x, idx, self.float_width)

    def law(self, x):
        x = np.asarray(self.validate(x), dtype=np.float64)   # the law needs every x_i
        return SubsetLaw(round_values(x, self.float_width), self._scale(x.size), "uniform_k",
                         k=self.params["k"])

    def theory(self, d):
        k = self.params["k"]
        if not self.scaled:
            return Theory(
                unbiased=False, unbiased_source="compressor table C3 (docs/sources.md#table)",
                b1_alpha=_c(k / d, "compressor table C3 (docs/sources.md#table)"), b1_beta=_c(1, "compressor table C3 (docs/sources.md#table)"),
                b2_gamma=_c(k / d, "compressor table C3 (docs/sources.md#table)"), b2_beta=_c(1, "compressor table C3 (docs/sources.md#table)"),
                delta=_c(d / k, "compressor table C3 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) identity E||C-x||^2 = (1-k/d)||x||^2"),
                bits_formula="w*k + ceil(log2 C(d,k)); shared seed: w*k",
                bits_source="bit counts (docs/sources.md#bits) (Rand-k)")
        delta = _c(k / (2 * k - d), "compressor table C2 (docs/sources.md#table) (R8)") if 2 * k > d else None
        return Theory(
            unbiased=True, unbiased_source="compressor table C2 (docs/sources.md#table)",
            omega=_c(d / k - 1, "compressor table C2 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) identity E||C||^2 = (d/k)||x||^2",
                     status=_POSTER),
            b1_alpha=_c(d / k, "compressor definitions (docs/sources.md#definitions) identity E||C||^2 = (d/k)||x||^2 (tighter than the compressor table's 1, docs/sources.md#table)"),
            b1_beta=_c(d / k, "compressor table C2 (docs/sources.md#table)"), b2_gamma=_c(1, "compressor table C2 (docs/sources.md#table)"), b2_beta=_c(d / k, "compressor table C2 (docs/sources.md#table)"),
            delta=delta,
            bits_formula="w*k + ceil(log2 C(d,k)); shared seed: w*k",
            bits_source="bit counts (docs/sources.md#bits) (Rand-k; shared seed: the group's code counts 32k)")

    def bits_budget(self, x, *, shared=False):
        d, k = np.asarray(x).size, self.params["k"]
        return self.float_width * k + (0 if shared else subset_code_bits(d, k))

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return [Extremal(n, ones, "identities hold for every x")
                for n in self.theory(d).constants()]

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`); the scale is d/k,
        or 1 for :class:`RandKBiased`."""
        from theorytools.algorithms import _batch as B
        from theorytools.codecs.enumerative import subset_code_is_fixed
        k = self.params["k"]
        scale = 1.0 if isinstance(self, RandKBiased) else d / k
        return B.fixed_length_kernel(self, B.RAND_K, (k, scale, self.float_width), d, shared,
                                     exact=shared or subset_code_is_fixed(d, k))


class RandKBiased(RandK):
    r"""Rand-k, unscaled (biased random sparsification): :math:`C(x) = x_S`.

    Theory (compressor table C3 (docs/sources.md#table), derived): :math:`B_1(k/d, 1)`, :math:`B_2(k/d, 1)`, :math:`B_3(d/k)`,
    each attained for every x (:math:`\mathbb{E}\|C(x)-x\|^2 = (1-k/d)\|x\|^2`).
    """

    name = "rand_k_biased"
    scaled = False


class Bernoulli(_Sparse):
    r"""Bernoulli sparsification: keep each coordinate independently w.p. ``p``, scaled 1/p.

    .. math:: C(x)_i = \frac{\xi_i}{p} x_i,\quad \xi_i \sim \text{Bernoulli}(p) \text{ i.i.d.}

    Theory (compressor table C5 (docs/sources.md#table) with :math:`p_i = p`, derived): unbiased, :math:`U(1/p - 1)`;
    :math:`\mathbb{E}\|C\|^2 = \|x\|^2/p` for every x, so :math:`B_1(1/p, 1/p)`,
    :math:`B_2(1, 1/p)`; :math:`B_3(p/(2p-1))` iff :math:`p > 1/2`.
    Bits: the count :math:`m` in :math:`\lceil\log_2(d+1)\rceil` bits, the support's subset
    code, :math:`wm` for the values; budget = max over m. Shared seed: :math:`wm` (max
    :math:`wd`).
    """

    name = "bernoulli"
    param_order = ("p",)
    randomized = True
    shared_randomness = True
    scaled = True

    def __init__(self, p, float_width=32):
        super().__init__(float_width, p=check_real(p, "p", low=0.0, high=1.0, low_open=True))

    def _scale(self, d):
        return 1.0 / self.params["p"] if self.scaled else 1.0

    def _support_from_key(self, d, key):
        return K.bernoulli_indices(d, self.params["p"], key)

    def _write_support(self, writer, idx, d):
        writer.write_bits(idx.size, log2_ceil(d + 1))
        write_subset(writer, idx, d)

    def _read_support(self, reader, d):
        m = reader.read_bits(log2_ceil(d + 1))
        if m > d:
            raise TheorytoolsError(f"corrupted message: support size {m} > d = {d}")
        return read_subset(reader, d, m)

    def _sample(self, x, key):
        idx = K.bernoulli_indices(x.size, self.params["p"], key)
        return idx, round_values(x[idx], self.float_width)

    _fused_checks_finite = True   # the fused kernel detects NaN/inf in the same pass
    _fused_checks_range = True    # ... and float32 overflow of every entry, kept or not

    def _compress_into(self, x, key, out):
        bad, _ = K.bernoulli_compress_checked(x, self.params["p"], self._scale(x.size), key,
                                              self.float_width == 32, out)
        if bad == -2:
            raise_if_not_finite(x)
        if bad >= 0:
            round_values(x[bad:bad + 1], 32)  # raises the wire-overflow error naming x

    def law(self, x):
        x = self.validate(x)
        return SubsetLaw(round_values(x, self.float_width), self._scale(x.size), "bernoulli",
                         p=self.params["p"])

    def theory(self, d):
        p = self.params["p"]
        bits = "ceil(log2(d+1)) + max_m [ceil(log2 C(d,m)) + w*m]; shared seed: w*m <= w*d"
        if not self.scaled:
            return Theory(
                unbiased=False, unbiased_source="compressor table C4 (docs/sources.md#table)",
                b1_alpha=_c(p, "compressor table C4 (docs/sources.md#table) (q = p)"), b1_beta=_c(1, "compressor table C4 (docs/sources.md#table)"),
                b2_gamma=_c(p, "compressor table C4 (docs/sources.md#table)"), b2_beta=_c(1, "compressor table C4 (docs/sources.md#table)"),
                delta=_c(1 / p, "compressor table C4 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)"),
                bits_formula=bits, bits_source="derived here (own accounting, bit counts (docs/sources.md#bits) style)")
        return Theory(
            unbiased=True, unbiased_source="compressor table C5 (docs/sources.md#table)",
            omega=_c(1 / p - 1, "compressor table C5 (docs/sources.md#table) (q = p), compressor definitions (docs/sources.md#definitions) E||C||^2 = sum x_i^2/p_i"),
            b1_alpha=_c(1 / p, "compressor definitions (docs/sources.md#definitions) identity E||C||^2 = ||x||^2/p (tighter than the compressor table's 1, docs/sources.md#table)"),
            b1_beta=_c(1 / p, "compressor table C5 (docs/sources.md#table)"), b2_gamma=_c(1, "compressor table C5 (docs/sources.md#table)"), b2_beta=_c(1 / p, "compressor table C5 (docs/sources.md#table)"),
            delta=_c(p / (2 * p - 1), "class relations R1-R8 R8 (docs/sources.md#relations)") if p > 0.5 else None,
            bits_formula=bits, bits_source="derived here (own accounting, bit counts (docs/sources.md#bits) style)")

    def bits_budget(self, x, *, shared=False):
        d, w = np.asarray(x).size, self.float_width
        if shared:
            return w * d
        return log2_ceil(d + 1) + _max_support_bits(d, w)

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return [Extremal(n, ones, "identities hold for every x")
                for n in self.theory(d).constants()]

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`); the scale is 1/p,
        or 1 for :class:`BernoulliBiased`."""
        from theorytools.algorithms import _batch as B
        scale = 1.0 if isinstance(self, BernoulliBiased) else 1.0 / self.params["p"]
        return B.bernoulli_kernel(self, scale, d, shared)


def _max_support_bits(d, w):
    """max over m in [0, d] of subset_code_bits(d, m) + w m (exact)."""
    best = 0
    # log2 C(d, m) + w m is unimodal in m with its maximum at m ~ d 2^w/(1+2^w) ~ d; scan
    # a window around the continuous maximiser and the ends (exact integer evaluation).
    from math import lgamma, log

    def approx(m):
        return (lgamma(d + 1) - lgamma(m + 1) - lgamma(d - m + 1)) / log(2) + w * m

    lo, hi = 0, d
    while hi - lo > 64:
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if approx(m1) < approx(m2):
            lo = m1
        else:
            hi = m2
    candidates = set(range(max(0, lo - 64), min(d, hi + 64) + 1)) | {0, d}
    for m in candidates:
        best = max(best, subset_code_bits(d, m) + w * m)
    return best


class BernoulliBiased(Bernoulli):
    r"""Bernoulli sparsification without the 1/p scale: :math:`C(x) = x_S`.

    Theory (compressor table C4 (docs/sources.md#table) with :math:`q = p`, derived): :math:`B_1(p,1)`, :math:`B_2(p,1)`,
    :math:`B_3(1/p)`, attained for every x.
    """

    name = "bernoulli_biased"
    scaled = False


class Adaptive(Compressor):
    r"""Adaptive random sparsification: one coordinate, chosen with probability
    :math:`|x_i|/\|x\|_1`.

    .. math:: C(x) = x_i e_i \text{ w.p. } |x_i|/\|x\|_1 .

    Theory (compressor table C6 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions), derived): :math:`\mathbb{E}\|C(x)-x\|^2 = \|x\|^2 -
    \|x\|_3^3/\|x\|_1 \le (1-1/d)\|x\|^2` (Chebyshev's sum inequality), so :math:`B_3(d)`,
    :math:`B_1(1/d, 1)`, :math:`B_2(1/d, 1)`, attained at :math:`x = (1,\dots,1)`.
    Bits: :math:`w + \lceil\log_2 d\rceil`.
    """

    name = "adaptive_sparsification"
    randomized = True

    def __init__(self, float_width=32):
        super().__init__(float_width)

    def _sample(self, x, key):
        from theorytools.random import uniform
        l1 = np.abs(x)
        total = float(l1.sum())
        if total == 0.0:
            return -1, 0.0
        cdf = np.cumsum(l1)
        u = uniform(key, np.uint64(0)) * cdf[-1]
        i = int(np.searchsorted(cdf, u, side="right"))
        i = min(i, x.size - 1)
        while l1[i] == 0.0:  # u landed on a flat part caused by rounding: move to the next mass
            i -= 1
        return i, float(round_values(np.array([x[i]]), self.float_width)[0])

    def _reconstruct(self, parts, d):
        i, value = parts
        out = np.zeros(d)
        if i >= 0:
            out[i] = value
        return out

    def _write(self, parts, writer, d, shared):
        i, value = parts
        # index d (one past the end) encodes the zero vector
        writer.write_bits(d if i < 0 else i, log2_ceil(d + 1))
        if i >= 0:
            write_floats(writer, np.array([value]), self.float_width)

    def _read(self, reader, d, key):
        i = reader.read_bits(log2_ceil(d + 1))
        if i == d:
            return -1, 0.0
        if i > d:
            raise TheorytoolsError(f"corrupted message: index {i} >= d = {d}")
        return i, float(read_floats(reader, 1, self.float_width)[0])

    def law(self, x):
        x = self.validate(x)
        xr = round_values(x, self.float_width)
        l1 = np.abs(x)
        total = l1.sum()
        if total == 0:
            return Deterministic(np.zeros(x.size))
        weights, laws = [], []
        for i in np.flatnonzero(l1):
            out = np.zeros(x.size)
            out[i] = xr[i]
            weights.append(l1[i] / total)
            laws.append(Deterministic(out))
        return Mixture(tuple(weights), tuple(laws))

    def theory(self, d):
        return Theory(
            unbiased=False, unbiased_source="compressor table C6 (docs/sources.md#table)",
            b1_alpha=_c(1 / d, "compressor table C6 (docs/sources.md#table)"), b1_beta=_c(1, "compressor table C6 (docs/sources.md#table)"),
            b2_gamma=_c(1 / d, "compressor table C6 (docs/sources.md#table)"), b2_beta=_c(1, "compressor table C6 (docs/sources.md#table)"),
            delta=_c(d, "compressor table C6 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) (Chebyshev)"),
            bits_formula="w + ceil(log2(d+1)) (index d marks the zero vector)",
            bits_source="bit counts (docs/sources.md#bits) (32 + ceil(log2 d)); +1 index value for x = 0, derived here")

    def bits_budget(self, x, *, shared=False):
        return self.float_width + log2_ceil(np.asarray(x).size + 1)

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return [Extremal(n, ones, "x = (1,...,1)")
                for n in ("delta", "b1_alpha", "b2_gamma", "b1_beta", "b2_beta")]
