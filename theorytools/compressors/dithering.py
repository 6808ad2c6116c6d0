"""Random dithering (QSGD) and natural dithering, relative to a p-norm.

Sources: compressor table (docs/sources.md#table) rows C11-C12, compressor definitions (docs/sources.md#definitions); bit counts (docs/sources.md#bits); Alistarh et al. 2017 (QSGD);
Horváth et al. 2019 (natural dithering).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.codecs.elias import gamma_length
from theorytools.compressors import _kernels as K
from theorytools.compressors._theory import from_unbiased
from theorytools.compressors._wire import read_scalar, read_signs, write_scalar, write_signs
from theorytools.compressors.base import (Compressor, Constant, Extremal, Theory, log2_ceil,
                                          round_scalar)
from theorytools.compressors.law import ProductTwoPoint
from theorytools.errors import TheorytoolsError, check_int, check_real, raise_if_not_finite

__all__ = ["Dithering", "FLOAT32_TINY", "NaturalDithering", "natural_dithering_omega",
           "norm_ratio_bound", "p_norm"]

_PROOF = "proofs_check/compressor_constants.py"
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def _check_p(p):
    if isinstance(p, str) and p.lower() in ("inf", "infinity"):
        return math.inf
    if isinstance(p, (int, float)) and not isinstance(p, bool) and p == math.inf:
        return math.inf
    return check_real(p, "p", low=1.0)


def p_norm(x: np.ndarray, p: float, _max_and_sum_sq=None) -> float:
    """:math:`\\|x\\|_p` without overflow or underflow (exact power-of-two prescaling).

    With :math:`2^{e-1} \\le \\max|x_i| < 2^e`, the norm of :math:`2^{-e}x` is computed and
    scaled back; the result is at least :math:`\\max|x_i|`, so every :math:`|x_i|/\\|x\\|_p \\le 1`.
    """
    if p == 2:
        m, total = K.max_abs_and_sum_sq(x) if _max_and_sum_sq is None else _max_and_sum_sq
        if 2.0 ** -400 <= m <= 2.0 ** 400:
            # one pass; no square of an entry that matters can under- or overflow here, so
            # prescaling (below) is not needed. compress and law both call p_norm, so they
            # always agree on the norm.
            return max(math.sqrt(total), m)
    m = float(K.max_abs(x))
    if m == 0.0:
        return 0.0
    e = math.frexp(m)[1]
    if p == math.inf:
        return m
    if -1021 <= -e <= 1023 and p == 2:       # one fused pass, no temporary array
        ns = math.sqrt(K.scaled_sum_sq(x, math.ldexp(1.0, -e)))
    else:
        xs = np.ldexp(x, -e)
        if p == 2:
            ns = float(np.sqrt(xs @ xs))
        elif p == 1:
            ns = float(np.abs(xs).sum())
        else:
            ns = float(np.sum(np.abs(xs) ** p) ** (1.0 / p))
    with np.errstate(over="ignore"):
        return max(math.ldexp(ns, e), m)


def norm_ratio_bound(d: int, p: float) -> float:
    r""":math:`c_p = \sup_x \|x\|_p/\|x\|_2 = \max(1, d^{1/p-1/2})` (Hölder)."""
    return 1.0 if p >= 2 else d ** (1.0 / p - 0.5)


class _Dither(Compressor):
    """Common parts = (norm, negative signs, level indices 0..s)."""

    randomized = True
    param_order = ("s", "p", "coding")

    def __init__(self, s=16, p=2.0, coding="fixed", float_width=32):
        if coding not in ("fixed", "elias"):
            raise TheorytoolsError(f"coding must be 'fixed' or 'elias', got {coding!r}")
        super().__init__(float_width, s=check_int(s, "s", low=1), p=_check_p(p), coding=coding)

    def in_domain(self, x):
        tiny = FLOAT32_TINY if self.float_width == 32 else float(np.finfo(np.float64).tiny)
        n = p_norm(x, self.params["p"])
        return n == 0.0 or n >= tiny

    def _norm(self, x, _max_and_sum_sq=None):
        return round_scalar(p_norm(x, self.params["p"], _max_and_sum_sq), self.float_width,
                            name="||x||_p", up=True)

    def _level_dtype(self):
        """Levels 0..s are stored as uint16 when they fit (a quarter of int64's traffic)."""
        return np.uint16 if self.params["s"] < 1 << 16 else np.int64

    _fused_checks_finite = True   # the norm is finite iff every entry is (or an overflow)

    def _compress_into(self, x, key, out):
        """The fused kernel ``_compress_kernel(x, norm, s, key, out)``: bit for bit
        ``_reconstruct(_sample(x, key))`` (same norm, same levels, same stream)."""
        stats = None
        if self.params["p"] == 2:
            stats = K.max_abs_and_sum_sq(x)
            if not math.isfinite(stats[1]):
                raise_if_not_finite(x)   # else an overflow of finite entries: p_norm rescales
        else:
            raise_if_not_finite(x)
        norm = self._norm(x, stats)
        if norm > 0:
            self._compress_kernel(x, norm, self.params["s"], key, out)
        else:
            out[:] = 0.0

    def _sample(self, x, key):
        norm = self._norm(x)
        if norm > 0:
            level = np.empty(x.size, self._level_dtype())
            neg = np.empty(x.size, np.bool_)
            self._sample_kernel(x, norm, self.params["s"], key, level, neg)
        else:
            level, neg = np.zeros(x.size, self._level_dtype()), np.zeros(x.size, np.bool_)
        return norm, neg, level

    def _reconstruct(self, parts, d):
        norm, neg, level = parts
        out = np.empty(d)
        self._reconstruct_kernel(neg, level, norm, self.params["s"], out)
        return out

    def law(self, x):
        x = self.validate(x)
        norm, s = self._norm(x), self.params["s"]
        low_level, p = np.zeros(x.size, np.int64), np.zeros(x.size)
        if norm > 0:
            self._law_kernel(x, norm, s, low_level, p)
        neg = x < 0
        low, high = np.empty(x.size), np.empty(x.size)
        self._reconstruct_kernel(neg, low_level, norm, s, low)
        self._reconstruct_kernel(neg, np.minimum(low_level + 1, s), norm, s, high)
        return ProductTwoPoint(low, high, p)

    def _width(self):
        return log2_ceil(self.params["s"] + 1)

    def _write(self, parts, writer, d, shared):
        norm, neg, level = parts
        write_scalar(writer, norm, self.float_width)
        if self.params["coding"] == "fixed":
            write_signs(writer, neg & (level > 0))
            writer.write_array(level, self._width())
        else:
            writer.write_gamma_array(level.astype(np.uint64) + np.uint64(1))
            write_signs(writer, neg[level > 0])

    def _read(self, reader, d, key):
        norm = read_scalar(reader, self.float_width)
        s = self.params["s"]
        if self.params["coding"] == "fixed":
            neg = read_signs(reader, d)
            level = reader.read_array(d, self._width(), dtype=self._read_dtype())
        else:
            level = (reader.read_gamma_array(d) - np.uint64(1)).astype(np.int64)
            neg = np.zeros(d, np.bool_)
            neg[level > 0] = read_signs(reader, int(np.count_nonzero(level)))
        bad = K.levels_check(neg, level, s)
        if bad == 1:
            raise TheorytoolsError(f"corrupted message: a level exceeds s = {s}")
        if bad == 2:
            raise TheorytoolsError("corrupted message: negative zero level")
        return norm, neg, level

    def _read_dtype(self):
        """The narrowest unsigned type holding a level field (the field may exceed s)."""
        w = self._width()
        return np.uint16 if w <= 16 else np.uint64

    def bits_budget(self, x, *, shared=False):
        d, w = np.asarray(x).size, self.float_width
        if self.params["coding"] == "fixed":
            return w + d * (1 + self._width())
        return w + d * (gamma_length(self.params["s"] + 1) + 1)

    def _bits_formula(self):
        return ("w + d*(1 + ceil(log2(s+1)))" if self.params["coding"] == "fixed"
                else "w + sum_i [gamma_len(l_i+1) + 1{l_i>0}] <= w + d*(gamma_len(s+1)+1)")


class Dithering(_Dither):
    r"""Random dithering / QSGD with ``s`` uniform levels relative to :math:`\|x\|_p`.

    :math:`u_i = |x_i|/\|x\|_p`, :math:`l_i = \lfloor s u_i\rfloor`, :math:`\xi_i = (l_i+1)/s`
    w.p. :math:`s u_i - l_i`, else :math:`l_i/s`; :math:`C(x)_i = \|x\|_p\,\mathrm{sign}(x_i)\xi_i`.
    The norm travels at ``float_width`` bits, rounded *up* so that :math:`u_i \le 1`.

    Theory (derived here; compressor table C11 (docs/sources.md#table); compression open item 4 (docs/sources.md#open-items)): unbiased. With
    :math:`c_p = \max(1, d^{1/p-1/2})`:

    * :math:`s = 1`: :math:`\mathbb{E}\|C\|^2 = \|x\|_p\|x\|_1`, so
      :math:`\omega = c_p\sqrt d - 1`, attained at :math:`x = \mathbf 1` when :math:`p \le 2`
      (for p = 2, :math:`\sqrt d - 1` as in compressor table (docs/sources.md#table));
    * :math:`s \ge 2`: per coordinate the variance is at most
      :math:`\min(1/(4s^2), u_i/s)\|x\|_p^2`, so
      :math:`\omega = \min(d c_p^2/(4s^2), c_p\sqrt d/s)` (valid, not tight in general; the
      QSGD form :math:`\min(d/s^2, \sqrt d/s)` is looser).

    B1/B2/B3 by R1/R8. Bits: fixed code :math:`w + d(1+\lceil\log_2(s+1)\rceil)`; Elias code
    :math:`w + \sum_i [\ell_\gamma(l_i+1) + 1_{l_i>0}]`.
    """

    name = "dithering"

    _compress_kernel = staticmethod(K.uniform_dither_compress)
    _sample_kernel = staticmethod(K.uniform_dither_sample)
    _law_kernel = staticmethod(K.uniform_dither_law)
    _reconstruct_kernel = staticmethod(K.dither_reconstruct)

    def theory(self, d):
        s, p = self.params["s"], self.params["p"]
        cp = norm_ratio_bound(d, p)
        if s == 1:
            omega = Constant(cp * math.sqrt(d) - 1.0,
                             "compressor table C11 (docs/sources.md#table) (s = 1: sqrt(d) - 1 for p = 2); derived "
                             f"here: E||C||^2 = ||x||_p ||x||_1 ({_PROOF}::dithering_s1; "
                             "Hölder for p != 2)", tight=p <= 2)
        else:
            omega = Constant(min(d * cp * cp / (4 * s * s), cp * math.sqrt(d) / s),
                             "compressor table C11 (docs/sources.md#table) tighter form min(d/(4s^2), sqrt(d)/s), "
                             f"generalised to p by Hölder; derived here ({_PROOF}::dithering_variance_bound)",
                             tight=False)
        return Theory(unbiased=True, unbiased_source="compressor definitions (docs/sources.md#definitions)", omega=omega,
                      **from_unbiased(omega), bits_formula=self._bits_formula(),
                      bits_source="bit counts (docs/sources.md#bits) (fixed-length; QSGD-style Elias)",
                      domain="||x||_p zero or at least the smallest normal of the float width")

    def extremal_inputs(self, d):
        e1 = np.zeros(d)
        e1[0] = -2.5
        out = [Extremal(n, e1, "one-hot: compressed exactly") for n in ("b1_alpha", "b2_gamma")]
        if self.params["s"] == 1 and self.params["p"] <= 2:
            signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
            out += [Extremal(n, signs, "equal magnitudes") for n in ("omega", "b1_beta", "b2_beta", "delta")]
        return out

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`): p = 2 with fixed
        coding; other forms have none (the algorithms call ``compress`` per node)."""
        from theorytools.algorithms import _batch as B
        if self.params["p"] != 2 or self.params["coding"] != "fixed":
            return None
        return B.fixed_length_kernel(self, B.DITHERING, (self.params["s"], self.float_width), d,
                                     shared)


class NaturalDithering(_Dither):
    r"""Natural dithering (Horváth et al. 2019, "Natural compression for distributed deep
    learning"): levels :math:`\{0, 2^{1-s}, \dots, 1/2, 1\}` of :math:`u_i = |x_i|/\|x\|_p`,
    rounded unbiasedly to the two adjacent levels; the level index
    :math:`j \leftrightarrow 2^{j-s}` is sent.

    .. math:: C(x)_i = \|x\|_p\,\mathrm{sign}(x_i)\,\xi_i,\quad
              \xi_i = \begin{cases} b_i & \text{w.p. } (u_i - a_i)/(b_i - a_i)\\
              a_i & \text{otherwise,}\end{cases}

    with :math:`[a_i, b_i]` the bracket of :math:`u_i`: :math:`[2^{j-s}, 2^{j+1-s}]` for
    :math:`2^{j-s} \le u_i < 2^{j+1-s}`, :math:`[0, 2^{1-s}]` below the smallest level, and
    :math:`\xi_i = 1` at :math:`u_i = 1`.

    The authors' public reference code (Compressed_SGD_PyTorch, ``quant/quant.py``,
    ``random_dithering_opt(..., natural=True)``) builds it in two steps: random dithering
    with :math:`2^{s-1}` uniform levels, then natural compression of the level. That is the
    same operator: the dithered level and its neighbour lie in :math:`[a_i, b_i]` (whose ends
    are multiples of :math:`2^{1-s}`), natural compression maps that bracket onto its ends,
    and an unbiased law on two given points is unique; so the two have the same law and the
    same variance (derived here; the exact laws are compared in
    ``tests/test_natural_dithering.py``).

    Theory (derived here; the C12 formula [UNCONFIRMED as P1's] is proved valid): for
    :math:`u \ge 2^{1-s}` the variance is at most :math:`u^2/8` (natural rounding), below it
    at most :math:`u\,2^{1-s}`, so with :math:`r = \min(p, 2)`
    :math:`\omega = 1/8 + d^{1/r}2^{1-s}\min(1, d^{1/r}2^{1-s})` (not tight). B1/B2/B3 by R1/R8.
    ``compress`` is one fused kernel (:func:`~theorytools.compressors._kernels.natural_dither_row`),
    bit for bit equal to sampling the levels and reconstructing.
    """

    name = "natural_dithering"
    _compress_kernel = staticmethod(K.natural_dither_compress)
    _sample_kernel = staticmethod(K.natural_dither_sample)
    _law_kernel = staticmethod(K.natural_dither_law)
    _reconstruct_kernel = staticmethod(K.natural_dither_reconstruct)

    def __init__(self, s=8, p=2.0, coding="fixed", float_width=32):
        super().__init__(s, p, coding, float_width)

    def theory(self, d):
        omega = Constant(natural_dithering_omega(d, self.params["s"], self.params["p"]),
                         "compressor table C12 (docs/sources.md#table) (formula UNCONFIRMED as the paper's); "
                         f"derived here as a valid bound ({_PROOF}::natural_dithering_bound)",
                         tight=False)
        return Theory(unbiased=True, unbiased_source="compressor definitions (docs/sources.md#definitions)", omega=omega,
                      **from_unbiased(omega), bits_formula=self._bits_formula(),
                      bits_source="bit counts (docs/sources.md#bits) (natural dithering, fixed-length)",
                      domain="||x||_p zero or at least the smallest normal of the float width")

    def extremal_inputs(self, d):
        e1 = np.zeros(d)
        e1[-1] = 3.0
        return [Extremal(n, e1, "one-hot: compressed exactly") for n in ("b1_alpha", "b2_gamma")]


def natural_dithering_omega(d: int, s: int, p: float) -> float:
    r""":math:`1/8 + d^{1/r}2^{1-s}\min(1, d^{1/r}2^{1-s})`, :math:`r = \min(p,2)` (see class doc)."""
    r = min(p, 2.0)
    t = d ** (1.0 / r) * 2.0 ** (1 - s)
    return 1.0 / 8.0 + t * min(1.0, t)
