"""Element-wise compressors: natural compression, rounding on level sets, signs, grid.

Sources: compressor table (docs/sources.md#table) (rows C7-C10, C13, C14), compressor definitions (docs/sources.md#definitions) (definitions), bit counts (docs/sources.md#bits) (bits),
checks (docs/sources.md#checks) (extremal inputs); Horváth et al. 2019, "Natural compression for distributed deep
learning" (arXiv 1905.10988) for natural compression; Tang et al. 2018 (ECD-PSGD's
unbiased bounded-variance compression) for grid rounding.
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.codecs.elias import gamma_length
from theorytools.compressors import _kernels as K
from theorytools.compressors._theory import from_unbiased
from theorytools.compressors._wire import (read_scalar, read_signs, write_scalar, write_signs)
from theorytools.compressors.base import (FLOAT32_TINY, Compressor, Constant, Extremal, Theory, log2_ceil,
                                          round_scalar)
from theorytools.compressors.law import Deterministic, ProductTwoPoint
from theorytools.errors import TheorytoolsError, check_real, check_vector, raise_if_not_finite

__all__ = ["BiasedNatural", "BiasedRounding", "GridRounding", "NAT_RANGE", "NAT_TINY", "Natural",
           "ScaledSign", "Sign", "UnbiasedRounding"]

_PROOF = "proofs_check/compressor_constants.py"
NAT_RANGE = math.ldexp(1.0, K.NAT_MAX_EXP)
NAT_TINY = math.ldexp(1.0, K.NAT_MIN_EXP)


def _c(value, where, tight=True, status="derived"):
    return Constant(float(value), f"{where}; derived here ({_PROOF})", status, tight)


class _PowerOfTwoCode(Compressor):
    """9-bit wire format: 1 sign bit + 8-bit exponent code (0 = zero, e + 127 for 2^e).

    Representable magnitudes: :math:`2^e`, :math:`-126 \\le e \\le 128`. Inputs with
    :math:`|x_i| \\ge 2^{128}` are refused (TheorytoolsError naming ``x``); inputs below
    :math:`2^{-126}` (float32's smallest normal) are rounded between 0 and :math:`2^{-126}`
    (unbiasedly for ``natural``, to the nearest for ``biased_natural``): defined, but outside
    the domain where the class constants are claimed.
    """

    # The range check |x_i| < 2^128 is fused into the sampling kernels (they return the first
    # offending index); law() checks explicitly.
    _fused_checks_finite = True   # a NaN or inf fails the kernels' range test

    @staticmethod
    def _range_error(x, i):
        if i >= 0:
            raise_if_not_finite(x)
            raise TheorytoolsError(
                f"x[{i}] = {x[i]!r} is beyond the 9-bit natural-compression range (|x_i| < 2^128)")

    def _check_input_explicit(self, x):
        self._range_error(x, K.first_at_least(x, NAT_RANGE))

    def in_domain(self, x):
        a = np.abs(x)
        return bool(np.all((a == 0) | (a >= NAT_TINY)))

    def _reconstruct(self, parts, d):
        return parts

    def _write(self, parts, writer, d, shared):
        codes = np.empty(d, np.uint64)
        K.power_of_two_codes(parts, codes)
        writer.write_array(codes, 9)

    def _read(self, reader, d, key):
        codes = reader.read_array(d, 9)
        out = np.empty(d)
        if not K.power_of_two_values(codes, out):
            raise TheorytoolsError("corrupted message: invalid 9-bit natural code (negative zero)")
        return out

    def bits_budget(self, x, *, shared=False):
        return 9 * np.asarray(x).size

    DOMAIN = "nonzero |x_i| in [2^-126, 2^128) (float32 normal exponents)"


class Natural(_PowerOfTwoCode):
    r"""Natural compression :math:`C_{nat}`: unbiased random rounding to a power of two.

    For :math:`2^e \le |t| < 2^{e+1}`: :math:`\mathrm{sign}(t)2^{e+1}` with probability
    :math:`(|t|-2^e)/2^e`, else :math:`\mathrm{sign}(t)2^e` (exponent via ``frexp``).

    Theory (compressor table C8 (docs/sources.md#table); 9/8 [SECONDARY] Horváth et al. 2019, derived here):
    :math:`U(1/8)`, attained at :math:`|x_i| = \frac43 2^{e_i}`; :math:`B_1(1, 9/8)`,
    :math:`B_2(1, 9/8)`, :math:`B_3(8/7)` (R8). Bits: :math:`9d`.
    """

    name = "natural"
    randomized = True

    def __init__(self, float_width=32):
        super().__init__(float_width)

    def _sample(self, x, key):
        out = np.empty_like(x)
        self._range_error(x, K.natural_sample_kernel(x, key, out))
        return out

    def _compress_into(self, x, key, out):
        self._range_error(x, K.natural_sample_kernel(x, key, out))

    def law(self, x):
        x = self.validate(x)
        self._check_input_explicit(x)
        low, high, p = np.empty_like(x), np.empty_like(x), np.empty_like(x)
        K.natural_law_kernel(x, low, high, p)
        return ProductTwoPoint(low, high, p)

    def theory(self, d):
        omega = _c(1 / 8, "compressor table C8 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) (worst |t| = (4/3) 2^e)")
        return Theory(unbiased=True, unbiased_source="compressor definitions (docs/sources.md#definitions)", omega=omega,
                      **from_unbiased(omega), bits_formula="9*d",
                      bits_source="bit counts (docs/sources.md#bits) (1 sign + 8 exponent bits; Horváth et al. 2019)",
                      domain=self.DOMAIN)

    def extremal_inputs(self, d):
        signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
        worst = signs * (4 / 3) * np.exp2(np.arange(d) % 7 - 3)
        pow2 = signs * np.exp2(np.arange(d) % 5 - 2)
        out = [Extremal(n, worst, "x_i = ±(4/3) 2^{e_i}")
               for n in ("omega", "b1_beta", "b2_beta", "delta")]
        out += [Extremal(n, pow2, "powers of two are fixed points") for n in ("b1_alpha", "b2_gamma")]
        return out

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.fixed_length_kernel(self, B.NATURAL, (self.float_width,), d, shared)


class BiasedNatural(_PowerOfTwoCode):
    r"""Biased natural compression: round :math:`|t|` to the nearest power of two
    (threshold at the arithmetic midpoint :math:`\frac32 2^e`, ties down).

    Theory (compressor table C10 (docs/sources.md#table), derived): :math:`B_1(4/9, 4/3)`, :math:`B_2(2/3, 4/3)`,
    :math:`B_3(9/8)`. :math:`\delta`, :math:`\alpha`, :math:`\gamma` are attained at
    :math:`|x_i| = \frac32 2^{e_i}`; :math:`\beta = 4/3` is approached from above the midpoint
    (the extremal input is :math:`\frac32(1+2^{-45})2^{e}`, within 1e-13). Bits: :math:`9d`.
    """

    name = "biased_natural"

    def __init__(self, float_width=32):
        super().__init__(float_width)

    def _sample(self, x, key):
        out = np.empty_like(x)
        self._range_error(x, K.biased_natural_kernel(x, out))
        return out

    def _compress_into(self, x, key, out):
        self._range_error(x, K.biased_natural_kernel(x, out))

    def law(self, x):
        return Deterministic(self._sample(self.validate(x), None))

    def theory(self, d):
        return Theory(unbiased=False, unbiased_source="compressor table C10 (docs/sources.md#table)",
                      b1_alpha=_c(4 / 9, "compressor table C10 (docs/sources.md#table)"), b1_beta=_c(4 / 3, "compressor table C10 (docs/sources.md#table)"),
                      b2_gamma=_c(2 / 3, "compressor table C10 (docs/sources.md#table)"), b2_beta=_c(4 / 3, "compressor table C10 (docs/sources.md#table)"),
                      delta=_c(9 / 8, "compressor table C10 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) (midpoint error 1/9)"),
                      bits_formula="9*d", bits_source="bit counts (docs/sources.md#bits)", domain=self.DOMAIN)

    def extremal_inputs(self, d):
        signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
        scales = np.exp2(np.arange(d) % 7 - 3)
        mid = signs * 1.5 * scales
        above = signs * 1.5 * (1 + 2.0 ** -45) * scales
        out = [Extremal(n, mid, "x_i = ±(3/2) 2^{e_i} (midpoint, rounds down)")
               for n in ("delta", "b1_alpha", "b2_gamma")]
        out += [Extremal(n, above, "approached: x_i = ±(3/2)(1+2^-45) 2^{e_i}")
                for n in ("b1_beta", "b2_beta")]
        return out

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.fixed_length_kernel(self, B.BIASED_NATURAL, (self.float_width,), d, shared)


def _check_levels(levels):
    arr = check_vector(levels, "levels")
    if np.any(arr <= 0):
        raise TheorytoolsError(f"levels must be positive, got {arr.tolist()}")
    if np.any(np.diff(arr) <= 0):
        raise TheorytoolsError(f"levels must be strictly increasing, got {arr.tolist()}")
    return tuple(float(v) for v in arr)


class _LevelSet(Compressor):
    """Rounding of |x_i| on a user level set :math:`0 < a_1 < \\dots < a_m` (0 is implicit).

    Inputs with :math:`|x_i| > a_m` are refused: the level set must cover the input. The
    class constants are claimed on the domain where every nonzero :math:`|x_i| \\in [a_1, a_m]`
    (below :math:`a_1` the rounding is between 0 and :math:`a_1`, whose relative error is
    unbounded). Wire: a sign bit and the level index in :math:`\\lceil\\log_2(m+1)\\rceil` bits.
    """

    param_order = ("levels",)

    def __init__(self, levels=(0.25, 0.5, 1.0, 2.0, 4.0), float_width=32):
        super().__init__(float_width, levels=_check_levels(levels))
        self._grid = np.array((0.0,) + self.params["levels"])

    def _check_input(self, x):
        top = self.params["levels"][-1]
        big = np.abs(x) > top
        if big.any():
            i = int(np.flatnonzero(big)[0])
            raise TheorytoolsError(
                f"x[{i}] = {x[i]!r} exceeds the largest level {top!r} of levels")

    def in_domain(self, x):
        a = np.abs(x)
        return bool(np.all((a == 0) | (a >= self.params["levels"][0])))

    def _reconstruct(self, parts, d):
        neg, idx = parts
        out = np.empty(d)
        K.levels_reconstruct(neg, idx, self._grid, 1.0, out)
        return out

    def _width(self):
        return log2_ceil(len(self.params["levels"]) + 1)

    def _write(self, parts, writer, d, shared):
        neg, idx = parts
        write_signs(writer, neg & (idx > 0))
        writer.write_array(idx, self._width())

    def _read(self, reader, d, key):
        neg = read_signs(reader, d)
        idx = reader.read_array(d, self._width()).astype(np.int64)
        if np.any(idx >= self._grid.size):
            raise TheorytoolsError("corrupted message: level index out of range")
        if np.any(neg & (idx == 0)):
            raise TheorytoolsError("corrupted message: negative zero level")
        return neg, idx

    def bits_budget(self, x, *, shared=False):
        return np.asarray(x).size * (1 + self._width())

    def _pairs(self):
        a = np.array(self.params["levels"])
        return a[:-1], a[1:]

    def _domain_text(self):
        a = self.params["levels"]
        return f"nonzero |x_i| in [{a[0]:g}, {a[-1]:g}]"


class UnbiasedRounding(_LevelSet):
    r"""General unbiased rounding on a level set (compressor definitions (docs/sources.md#definitions)): for :math:`a_j \le |t| \le
    a_{j+1}`, :math:`\mathrm{sign}(t)a_j` w.p. :math:`(a_{j+1}-|t|)/(a_{j+1}-a_j)`, else
    :math:`\mathrm{sign}(t)a_{j+1}`.

    Theory (compressor table C7 (docs/sources.md#table), derived): :math:`U(\omega)` with
    :math:`\omega = \max_j (a_{j+1}-a_j)^2/(4a_ja_{j+1})`, attained at
    :math:`|t| = 2a_ja_{j+1}/(a_j+a_{j+1})` on the worst interval; B1/B2/B3 by R1/R8.
    """

    name = "unbiased_rounding"
    randomized = True

    def _sample(self, x, key):
        idx = np.empty(x.size, np.int64)
        K.levels_sample_kernel(x, 1.0, self._grid, key, idx)
        return (x < 0) & (idx > 0), idx

    def law(self, x):
        x = self.validate(x)
        low_idx, p = np.empty(x.size, np.int64), np.empty(x.size)
        K.levels_law_kernel(x, 1.0, self._grid, low_idx, p)
        sgn = np.where(x < 0, -1.0, 1.0)
        high_idx = np.minimum(low_idx + 1, self._grid.size - 1)
        return ProductTwoPoint(sgn * self._grid[low_idx], sgn * self._grid[high_idx], p)

    def _worst(self):
        lo, hi = self._pairs()
        if lo.size == 0:
            return 0.0, None
        ratios = (hi - lo) ** 2 / (4 * lo * hi)
        j = int(np.argmax(ratios))
        return float(ratios[j]), 2 * lo[j] * hi[j] / (lo[j] + hi[j])

    def theory(self, d):
        omega_value, _ = self._worst()
        omega = _c(omega_value, "compressor table C7 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) (worst |t| = 2ab/(a+b))")
        return Theory(unbiased=True, unbiased_source="compressor definitions (docs/sources.md#definitions)", omega=omega,
                      **from_unbiased(omega),
                      bits_formula="d*(1 + ceil(log2(m+1)))", bits_source="derived here",
                      domain=self._domain_text())

    def extremal_inputs(self, d):
        _, t = self._worst()
        a1 = self.params["levels"][0]
        signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
        exact = signs * a1
        out = [Extremal(n, exact, "levels are fixed points") for n in ("b1_alpha", "b2_gamma")]
        if t is not None:
            out += [Extremal(n, signs * t, "|x_i| = 2ab/(a+b) on the worst interval")
                    for n in ("omega", "b1_beta", "b2_beta", "delta")]
        return out


class BiasedRounding(_LevelSet):
    r"""General biased rounding on a level set (compressor definitions (docs/sources.md#definitions)): round :math:`|t|` to the nearest
    level, threshold at the arithmetic midpoint :math:`(a_j+a_{j+1})/2`, ties down.

    Theory (compressor table C9 (docs/sources.md#table), derived): with :math:`\gamma = \min_j 2a_j/(a_j+a_{j+1})` and
    :math:`\beta = \max_j 2a_{j+1}/(a_j+a_{j+1})`: :math:`B_1(\gamma^2, \beta)`,
    :math:`B_2(\gamma, \beta)`, :math:`B_3(\delta)` with
    :math:`\delta = \max_j (a_j+a_{j+1})^2/(4a_ja_{j+1})`. :math:`\beta` is approached (not
    attained) just above a midpoint.
    """

    name = "biased_rounding"

    def _sample(self, x, key):
        idx = np.empty(x.size, np.int64)
        K.levels_nearest_kernel(x, self._grid, idx)
        return (x < 0) & (idx > 0), idx

    def law(self, x):
        x = self.validate(x)
        return Deterministic(self._reconstruct(self._sample(x, None), x.size))

    def _consts(self):
        lo, hi = self._pairs()
        if lo.size == 0:
            return 1.0, 1.0, 1.0, 0, 0
        g = 2 * lo / (lo + hi)
        b = 2 * hi / (lo + hi)
        dl = (lo + hi) ** 2 / (4 * lo * hi)
        return float(g.min()), float(b.max()), float(dl.max()), int(np.argmin(g)), int(np.argmax(b))

    def theory(self, d):
        g, b, dl, _, _ = self._consts()
        return Theory(unbiased=False, unbiased_source="compressor table C9 (docs/sources.md#table)",
                      b1_alpha=_c(g * g, "compressor table C9 (docs/sources.md#table)"), b1_beta=_c(b, "compressor table C9 (docs/sources.md#table)"),
                      b2_gamma=_c(g, "compressor table C9 (docs/sources.md#table)"), b2_beta=_c(b, "compressor table C9 (docs/sources.md#table)"),
                      delta=_c(dl, "compressor table C9 (docs/sources.md#table) (consistent with the group's code: 1/delta = 4b/(b+1)^2)"),
                      bits_formula="d*(1 + ceil(log2(m+1)))", bits_source="derived here",
                      domain=self._domain_text())

    def extremal_inputs(self, d):
        lo, hi = self._pairs()
        signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
        if lo.size == 0:
            exact = signs * self.params["levels"][0]
            return [Extremal(n, exact, "single level: exact")
                    for n in ("delta", "b1_alpha", "b2_gamma", "b1_beta", "b2_beta")]
        _, _, _, jg, jb = self._consts()
        dl = (lo + hi) ** 2 / (4 * lo * hi)
        jd = int(np.argmax(dl))
        mid_g = signs * (lo[jg] + hi[jg]) / 2
        mid_d = signs * (lo[jd] + hi[jd]) / 2
        above = signs * (lo[jb] + hi[jb]) / 2 * (1 + 2.0 ** -45)
        return ([Extremal("delta", mid_d, "midpoint of the worst interval")]
                + [Extremal(n, mid_g, "midpoint (rounds down)") for n in ("b1_alpha", "b2_gamma")]
                + [Extremal(n, above, "approached just above a midpoint")
                   for n in ("b1_beta", "b2_beta")])


class Sign(Compressor):
    r"""Plain sign: :math:`C(x)_i = \mathrm{sign}(x_i)`, with the convention
    :math:`\mathrm{sign}(0) := +1` (so one bit per coordinate suffices).

    Theory (compressor table C14 (docs/sources.md#table), derived): in **none** of the classes: :math:`\|\mathrm{sign}(x)\|^2 = d`
    does not scale with :math:`\|x\|`, so no :math:`\alpha, \gamma > 0` or :math:`\delta` can
    hold for all x (the contract suite exhibits violating inputs). Bits: :math:`d`.
    """

    name = "sign"

    def __init__(self, float_width=32):
        super().__init__(float_width)

    def _sample(self, x, key):
        return x < 0

    def _reconstruct(self, parts, d):
        out = np.empty(d)
        K.signed_fill(parts, 1.0, out)
        return out

    @staticmethod
    def _compress_into(x, key, out):
        K.sign_of(x, 1.0, out)

    def _write(self, parts, writer, d, shared):
        write_signs(writer, parts)

    def _read(self, reader, d, key):
        return read_signs(reader, d)

    def law(self, x):
        return Deterministic(self.compress(x))

    def theory(self, d):
        return Theory(unbiased=False, unbiased_source="compressor table C14 (docs/sources.md#table)", bits_formula="d",
                      bits_source="bit counts (docs/sources.md#bits) (packed signs)",
                      note="in none of the classes U, B1, B2, B3 (fails scale invariance)",
                      in_no_class=True, domain="all x in R^d")

    def bits_budget(self, x, *, shared=False):
        return np.asarray(x).size

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.fixed_length_kernel(self, B.SIGN, (self.float_width,), d, shared)


class ScaledSign(Compressor):
    r"""Scaled sign: :math:`C(x) = \frac{\|x\|_1}{d}\mathrm{sign}(x)`, sign(0) := +1.

    The norm :math:`\|x\|_1` travels at ``float_width`` bits (rounded to nearest).
    Theory (compressor table C13 (docs/sources.md#table) with sign(0) := +1, derived): :math:`B_1(1/d, 1)`,
    :math:`B_2(1/d, 1)`, :math:`B_3(d)`, attained at :math:`x = e_1`;
    :math:`\|C(x)\|^2 = \langle C(x), x\rangle = \|x\|_1^2/d` for every x. Bits: :math:`w + d`.
    """

    name = "scaled_sign"

    def __init__(self, float_width=32):
        super().__init__(float_width)

    def in_domain(self, x):
        tiny = FLOAT32_TINY if self.float_width == 32 else float(np.finfo(np.float64).tiny)
        a = np.abs(x)
        return bool(np.all((a == 0) | (a >= tiny * x.size)))

    def _sample(self, x, key):
        return self._scale(x), x < 0

    def _scale(self, x):
        return round_scalar(float(K.abs_sum(x)) / x.size, self.float_width, name="||x||_1/d")

    def _compress_into(self, x, key, out):
        K.sign_of(x, self._scale(x), out)

    def _reconstruct(self, parts, d):
        scale, neg = parts
        out = np.empty(d)
        K.signed_fill(neg, scale, out)
        return out

    def _write(self, parts, writer, d, shared):
        write_scalar(writer, parts[0], self.float_width)
        write_signs(writer, parts[1])

    def _read(self, reader, d, key):
        return read_scalar(reader, self.float_width, "scale"), read_signs(reader, d)

    def law(self, x):
        return Deterministic(self.compress(x))

    def theory(self, d):
        return Theory(unbiased=False, unbiased_source="compressor table C13 (docs/sources.md#table)",
                      b1_alpha=_c(1 / d, "compressor table C13 (docs/sources.md#table) (sign(0) := +1)"), b1_beta=_c(1, "compressor table C13 (docs/sources.md#table)"),
                      b2_gamma=_c(1 / d, "compressor table C13 (docs/sources.md#table)"), b2_beta=_c(1, "compressor table C13 (docs/sources.md#table)"),
                      delta=_c(d, "compressor table C13 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions) (attained at e_1 with sign(0) := +1; "
                                  "proofs_check/compressor_constants.py::scaled_sign_plus_one)"),
                      bits_formula="w + d", bits_source="bit counts (docs/sources.md#bits) (32 + d)")

    def bits_budget(self, x, *, shared=False):
        return self.float_width + np.asarray(x).size

    def extremal_inputs(self, d):
        e1 = np.zeros(d)
        e1[0] = 1.0
        ones = np.ones(d)
        return ([Extremal(n, e1, "x = e_1") for n in ("delta", "b1_alpha", "b2_gamma")]
                + [Extremal(n, ones, "||C||^2 = <C,x> for every x") for n in ("b1_beta", "b2_beta")])

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.fixed_length_kernel(self, B.SCALED_SIGN, (self.float_width,), d, shared)


class GridRounding(Compressor):
    r"""Stochastic rounding on the fixed grid :math:`\Delta\mathbb{Z}` (absolute noise).

    .. math:: C(x)_i = \Delta(\lfloor x_i/\Delta\rfloor + \xi_i),\quad
       \xi_i \sim \text{Bernoulli}(x_i/\Delta - \lfloor x_i/\Delta\rfloor).

    This is the unbiased, bounded-variance compression that ECD-PSGD's assumption needs
    (Tang et al. 2018, Assumption 1: :math:`\mathbb{E}C(z) = z`,
    :math:`\mathbb{E}\|C(z)-z\|^2 \le \tilde\sigma^2`; docs/sources.md#tang).
    Theory (derived here): unbiased; :math:`\mathbb{E}\|C(x)-x\|^2 \le d\Delta^2/4`, attained at
    :math:`x = (\Delta/2)\mathbf{1}`; in no relative class (the noise does not shrink with x).
    Wire: per coordinate, the grid index :math:`m_i` zig-zag mapped and Elias-gamma coded;
    budget :math:`d\,\ell_\gamma(2M+1)` with :math:`M = \lfloor\|x\|_\infty/\Delta\rfloor + 1`.
    """

    name = "grid_rounding"
    paper = "tang2018"  # theorytools verify labels its rows with this paper
    randomized = True
    param_order = ("step",)

    def __init__(self, step=1.0 / 64, float_width=32):
        super().__init__(float_width, step=check_real(step, "step", low=0.0, low_open=True))

    def in_domain(self, x):
        return True

    def _check_input(self, x):
        if np.abs(x).max() / self.params["step"] >= 2.0 ** 52:
            raise TheorytoolsError(
                f"x: max|x_i|/step = {np.abs(x).max() / self.params['step']:.3g} exceeds 2^52; "
                "grid indices would lose integrality")

    def _sample(self, x, key):
        m = np.empty(x.size, np.int64)
        K.grid_sample(x, self.params["step"], key, m)
        return m

    def _reconstruct(self, parts, d):
        return parts.astype(np.float64) * self.params["step"]

    def _write(self, parts, writer, d, shared):
        zz = np.where(parts >= 0, 2 * parts, -2 * parts - 1).astype(np.uint64)
        writer.write_gamma_array(zz + np.uint64(1))

    def _read(self, reader, d, key):
        zz = reader.read_gamma_array(d) - np.uint64(1)
        m = zz.astype(np.int64)
        return np.where(m % 2 == 0, m // 2, -(m + 1) // 2)

    def law(self, x):
        x = self.validate(x)
        step = self.params["step"]
        q = x / step
        f = np.floor(q)
        return ProductTwoPoint(f * step, (f + 1) * step, q - f)

    def theory(self, d):
        step = self.params["step"]
        return Theory(unbiased=True, unbiased_source="derived here (E[floor(q)+xi] = q)",
                      abs_variance=_c(d * step * step / 4,
                                      "Tang et al. 2018, Assumption 1 (docs/sources.md#tang) (ECD noise model); "
                                      "per coordinate (q-f)(1-(q-f)) step^2 <= step^2/4"),
                      bits_formula="sum_i gamma_len(zigzag(m_i)+1) <= d*gamma_len(2M+1), "
                                   "M = floor(max|x|/step)+1",
                      bits_source="derived here", note="absolute-noise compressor",
                      domain="all x in R^d with max|x_i|/step < 2^52")

    def bits_budget(self, x, *, shared=False):
        x = np.asarray(x, dtype=float)
        big_m = int(np.abs(x).max() // self.params["step"]) + 1 if x.size else 1
        return x.size * gamma_length(2 * big_m + 1)

    def extremal_inputs(self, d):
        return [Extremal("abs_variance", np.full(d, self.params["step"] / 2), "x = (step/2) 1")]

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.Kernel(B.GRID, (self.params["step"],))  # bits: in the kernel
