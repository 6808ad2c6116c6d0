"""Numba kernels of the compressors: one pass, no Python loop per coordinate.

Every random kernel takes a stream key and uses ``uniform(key, i)`` for coordinate ``i`` (or a
running counter for rejection sampling), so results do not depend on threading or call order.
Two-point rounding convention, used by every kernel AND by the exact laws: go to the upper
point iff ``u < p_up``, with ``u`` uniform on the 2^-53 grid of [0, 1).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from theorytools.random import GOLDEN_GAMMA, mix64, random_u64, uniform, word_to_uniform

# --------------------------------------------------------------------------- natural
NAT_MIN_EXP = -126      # smallest power of two with a 9-bit code (float32's smallest normal)
NAT_MAX_EXP = 128       # largest power of two with a 9-bit code (code 255)


@njit(cache=True)
def natural_law_kernel(x, low, high, p_up):
    """Two-point law of natural compression per coordinate (compressor definitions (docs/sources.md#definitions)).

    For :math:`2^e \\le |t| < 2^{e+1}`: :math:`2^e` or :math:`2^{e+1}` with
    :math:`P(\\text{up}) = (|t| - 2^e)/2^e`. Below :math:`2^{-126}` the lower level is 0.
    Exponents come from ``frexp`` (exact, subnormal-safe), never from ``floor(log2)``.
    """
    tiny = math.ldexp(1.0, NAT_MIN_EXP)
    for i in range(x.size):
        t = x[i]
        a = abs(t)
        sgn = -1.0 if t < 0 else 1.0
        if a == 0.0:
            low[i] = 0.0
            high[i] = 0.0
            p_up[i] = 0.0
        elif a < tiny:
            low[i] = 0.0
            high[i] = sgn * tiny
            p_up[i] = a / tiny
        else:
            m, e = math.frexp(a)          # a = m 2^e, m in [0.5, 1)
            lo = math.ldexp(1.0, e - 1)
            low[i] = sgn * lo
            high[i] = sgn * 2.0 * lo
            p_up[i] = (a - lo) / lo       # exact: Sterbenz and a power-of-two divisor


# IEEE-754 binary64 fields, for exact power-of-two arithmetic on the bit patterns.
_SIGN_EXP = np.uint64(0xFFF0000000000000)   # sign and exponent: the bits of sgn * 2^floor(log2|t|)
_EXP = np.uint64(0x7FF0000000000000)
_MANT = np.uint64(0x000FFFFFFFFFFFFF)
_EXP_ONE = np.uint64(0x0010000000000000)    # adding it doubles a normal magnitude
_HALF_MANT = np.uint64(0x0008000000000000)  # mantissa field of 1.5 * 2^e
_SHIFT52 = np.uint64(52)
_SHIFT11 = np.uint64(11)
_ONE_U = np.uint64(1)
_DBL_MAX = 1.7976931348623157e308
_NAT_RANGE = 2.0 ** NAT_MAX_EXP   # first magnitude without a 9-bit code
_SMALLEST_NORMAL = 2.2250738585072014e-308


@njit(cache=True)
def natural_sample_kernel(x, key, out):
    """Sample natural compression (the law of :func:`natural_law_kernel`), u = uniform(key, i).

    For a finite normal |t| >= 2^-126 the lower level 2^e is the bit pattern of |t| with the
    mantissa cleared, p_up = (|t| - 2^e)/2^e = mantissa / 2^52 exactly, and
    ``u < p_up`` <=> ``(r >> 11) < 2 * mantissa`` with u = (r >> 11) 2^-53 (exact integer
    comparison); the result's bits are sign|exponent, plus one in the exponent to go up. This
    is bit-identical to the frexp/ldexp formulation kept for the other inputs (zero, below
    2^-126, and non-finite values).
    """
    tiny = math.ldexp(1.0, NAT_MIN_EXP)
    bad = -1
    for i in range(x.size):
        t = x[i]
        a = abs(t)
        if a >= tiny and a < _NAT_RANGE:
            b = np.float64(t).view(np.uint64)
            r = random_u64(key, np.uint64(i)) >> _SHIFT11
            up = r < ((b & _MANT) << _ONE_U)
            o = (b & _SIGN_EXP) + (_EXP_ONE if up else np.uint64(0))
            out[i] = np.uint64(o).view(np.float64)
            continue
        if a == 0.0:
            out[i] = 0.0
            continue
        if not a < _NAT_RANGE:         # beyond the 9-bit code (or NaN): reported, not coded
            if bad < 0:
                bad = i
            out[i] = 0.0
            continue
        sgn = -1.0 if t < 0 else 1.0
        if a < tiny:
            lo = 0.0
            hi = tiny
            p = a / tiny
        else:
            m, e = math.frexp(a)
            lo = math.ldexp(1.0, e - 1)
            hi = 2.0 * lo
            p = (a - lo) / lo
        v = hi if uniform(key, np.uint64(i)) < p else lo
        out[i] = sgn * v if v != 0.0 else 0.0   # +0 on the wire: the 9-bit code has no -0
    return bad


@njit(cache=True)
def biased_natural_kernel(x, out):
    """Nearest power of two with the arithmetic-midpoint threshold (1.5 * 2^e), ties down.

    Normal |t| >= 2^-126: |t| > 1.5 * 2^e <=> mantissa field > 2^51 (exact), and the result
    is sign|exponent (+1 exponent to go up), as in :func:`natural_sample_kernel`.
    """
    tiny = math.ldexp(1.0, NAT_MIN_EXP)
    bad = -1
    for i in range(x.size):
        t = x[i]
        a = abs(t)
        if a >= tiny and a < _NAT_RANGE:
            b = np.float64(t).view(np.uint64)
            up = (b & _MANT) > _HALF_MANT
            o = (b & _SIGN_EXP) + (_EXP_ONE if up else np.uint64(0))
            out[i] = np.uint64(o).view(np.float64)
            continue
        sgn = -1.0 if t < 0 else 1.0
        if a == 0.0:
            out[i] = 0.0
        elif not a < _NAT_RANGE:       # beyond the 9-bit code (or NaN): reported, not coded
            if bad < 0:
                bad = i
            out[i] = 0.0
        elif a < tiny:
            out[i] = sgn * tiny if a > 0.5 * tiny else 0.0
        else:
            m, e = math.frexp(a)
            lo = math.ldexp(1.0, e - 1)
            out[i] = sgn * (2.0 * lo if a > 1.5 * lo else lo)
    return bad


@njit(cache=True)
def power_of_two_codes(values, codes):
    """9-bit codes of values in {0} U {+-2^e : -126 <= e <= 128}: sign<<8 | (e + 127), 0 for 0.

    For a normal value the frexp exponent minus one is the biased exponent minus 1023, so the
    code is (biased exponent - 896); zero, subnormal and non-finite values take frexp.
    """
    for i in range(values.size):
        v = values[i]
        b = np.float64(v).view(np.uint64)
        be = np.int64((b & _EXP) >> _SHIFT52)
        if be != 0 and be != 0x7FF:
            c = np.uint64(be - 896)
            codes[i] = (np.uint64(256) | c) if v < 0 else c
        elif v == 0.0:
            codes[i] = 0
        else:
            m, e = math.frexp(abs(v))
            c = np.uint64(e - 1 + 127)
            codes[i] = (np.uint64(256) | c) if v < 0 else c


@njit(cache=True)
def power_of_two_values(codes, out):
    """Inverse of :func:`power_of_two_codes`; returns False on an invalid code (-0 code).

    2^(ecode - 127) for ecode in 1..255 is the normal double with biased exponent ecode + 896.
    """
    for i in range(codes.size):
        c = codes[i]
        ecode = c & np.uint64(255)
        if ecode == 0:
            if c != 0:
                return False
            out[i] = 0.0
        else:
            o = (ecode + np.uint64(896)) << _SHIFT52
            if (c >> np.uint64(8)) != 0:
                o |= np.uint64(0x8000000000000000)
            out[i] = np.uint64(o).view(np.float64)
    return True


# --------------------------------------------------------------------------- level sets
@njit(cache=True)
def level_index(levels, a):
    """Largest j with levels[j] <= a (levels[0] = 0 sorted increasing); a <= levels[-1]."""
    lo = 0
    hi = levels.size - 1
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if levels[mid] <= a:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True)
def levels_law_kernel(x, scale, levels, low_idx, p_up):
    """Unbiased rounding of |x_i|/scale between adjacent levels (levels[0] = 0)."""
    for i in range(x.size):
        a = abs(x[i]) / scale
        j = level_index(levels, a)
        if levels[j] == a or j == levels.size - 1:
            low_idx[i] = j
            p_up[i] = 0.0
        else:
            low_idx[i] = j
            p_up[i] = (a - levels[j]) / (levels[j + 1] - levels[j])


@njit(cache=True)
def levels_sample_kernel(x, scale, levels, key, idx_out):
    """Sample unbiased level rounding; writes the level index of each coordinate."""
    for i in range(x.size):
        a = abs(x[i]) / scale
        j = level_index(levels, a)
        if levels[j] == a or j == levels.size - 1:
            idx_out[i] = j
        else:
            p = (a - levels[j]) / (levels[j + 1] - levels[j])
            idx_out[i] = j + 1 if uniform(key, np.uint64(i)) < p else j


@njit(cache=True)
def levels_nearest_kernel(x, levels, idx_out):
    """Biased rounding: nearest level, threshold at the arithmetic midpoint, ties down."""
    for i in range(x.size):
        a = abs(x[i])
        j = level_index(levels, a)
        if j < levels.size - 1 and a > 0.5 * (levels[j] + levels[j + 1]):
            idx_out[i] = j + 1
        else:
            idx_out[i] = j


@njit(cache=True)
def levels_reconstruct(x_sign_neg, idx, levels, scale, out):
    for i in range(idx.size):
        v = scale * levels[idx[i]]
        out[i] = -v if x_sign_neg[i] else v


# --------------------------------------------------------------------------- dithering
@njit(cache=True)
def uniform_dither_law(x, norm, s, low, p_up):
    """Random dithering (QSGD): u = |x_i|/norm, level l = floor(s u), up w.p. s u - l."""
    for i in range(x.size):
        su = s * (abs(x[i]) / norm)
        level = math.floor(su)
        if level >= s:
            level = s
            p_up[i] = 0.0
        else:
            p_up[i] = su - level
        low[i] = level


@njit(cache=True, inline="always")
def _dither_level(t, norm, s, key, i):
    """The sampled level of coordinate i (the law of :func:`uniform_dither_law`): the one
    definition shared by the sampling kernel and the fused compress kernel.

    l = floor(s u) goes up iff uniform(key, i) < s u - l, and is capped at s; written
    without branches (min, and a comparison as an integer), so the loops vectorise. The
    cap only acts when s u = s (then s u - l = 0 and nothing goes up), as a branch did."""
    su = s * (abs(t) / norm)
    level = math.floor(su)
    return min(level + np.int64(uniform(key, np.uint64(i)) < su - level), s)


@njit(cache=True)
def uniform_dither_sample(x, norm, s, key, level_out, neg_out):
    """Sample random dithering; also writes the sign mask (negative AND nonzero level)."""
    for i in range(x.size):
        t = x[i]
        lv = _dither_level(t, norm, s, key, i)
        level_out[i] = lv
        neg_out[i] = (t < 0) & (lv > 0)


@njit(cache=True)
def dither_reconstruct(neg, level, norm, s, out):
    """out_i = +-norm * (level_i / s) (the sign as a factor -1 or 1, exact: no branch)."""
    for i in range(level.size):
        v = norm * (level[i] / s)
        out[i] = v * (1.0 - 2.0 * neg[i])


@njit(cache=True)
def levels_check(neg, level, top):
    """0 if every level is in [0, top] and no zero level is negative; else 1 (a level out
    of range, reported first) or 2 (a negative zero). One pass (the decoders' check)."""
    over = False
    negzero = False
    for i in range(level.size):
        lv = level[i]
        over |= (lv > top) | (lv < 0)
        negzero |= neg[i] & (lv == 0)
    return 1 if over else (2 if negzero else 0)


@njit(cache=True)
def natural_dither_law(x, norm, s, low, p_up):
    """Natural dithering: levels {0, 2^(1-s), ..., 1/2, 1} of u = |x_i|/norm; index j <-> 2^(j-s)."""
    for i in range(x.size):
        u = abs(x[i]) / norm
        if u == 0.0:
            low[i] = 0
            p_up[i] = 0.0
            continue
        if u >= 1.0:
            low[i] = s
            p_up[i] = 0.0
            continue
        m, e = math.frexp(u)      # u = m 2^e, 2^(e-1) <= u < 2^e, e <= 0
        j = e - 1 + s             # index of 2^(e-1)
        if j <= 0:
            low[i] = 0
            bottom = math.ldexp(1.0, 1 - s)
            p_up[i] = u / bottom
        else:
            lo = math.ldexp(1.0, e - 1)
            low[i] = j
            p_up[i] = (u - lo) / lo


@njit(cache=True, inline="always")
def _natural_dither_level(u, s, word):
    """The sampled level (0..s) of natural dithering at u = |x_i|/norm in [0, 1], from the
    64-bit word ``word`` of coordinate i's stream (the law of :func:`natural_dither_law`,
    going up iff ``word_to_uniform(word) < p_up``), for u zero or a normal number; the one
    definition shared by the sampling kernel and the fused compress kernel. A subnormal u
    (only when |x_i|/norm < 2^-1022) returns the level of 0 here: the kernels recompute
    those coordinates with :func:`_natural_dither_level_subnormal`.

    Exact integer arithmetic on the bits of u instead of frexp/ldexp, without branches (the
    loops vectorise). For a normal u < 1 with biased exponent E and mantissa field m,
    u = M 2^(E-1075) with M = 2^52 + m, 2^(E-1023) <= u < 2^(E-1022), and the lower level
    2^(E-1023) has the index j = E - 1023 + s. With k = word >> 11 (the uniform is k 2^-53):

    * j > 0: p_up = (u - 2^(j-s))/2^(j-s) = m 2^-52, and k 2^-53 < m 2^-52 <=> k < 2m;
    * j <= 0 (u below the smallest level 2^(1-s), lower level 0): p_up = u 2^(s-1) =
      M 2^(j-53), and k < M 2^j <=> k < ceil(M / 2^-j) = (M + 2^-j - 1) >> -j, the shift
      capped at 60 (from -j = 53 on M < 2^-j, so the ceiling is 1 either way).

    u >= 1 (E >= 1023) is the top level s; u = 0 (E = 0) level 0.
    """
    b = np.float64(u).view(np.uint64)
    be = np.int64(b >> _SHIFT52)               # u >= 0: no sign bit
    k = word >> _SHIFT11
    mant = b & _MANT
    j = be - 1023 + s
    sh = np.uint64(min(max(-j, np.int64(0)), np.int64(60)))
    thr_low = ((mant | _EXP_ONE) + (_ONE_U << sh) - _ONE_U) >> sh
    thr = (mant << _ONE_U) if j > 0 else thr_low
    lv = max(j, np.int64(0)) + np.int64(k < thr)
    lv = np.int64(s) if be >= 1023 else lv
    return np.int64(0) if be == 0 else lv


@njit(cache=True)
def _natural_dither_level_subnormal(u, s, word):
    """:func:`_natural_dither_level` for any u in [0, 1] by the frexp formulation of
    :func:`natural_dither_law` (used for subnormal u)."""
    if u == 0.0:
        return np.int64(0)
    if u >= 1.0:
        return np.int64(s)
    m, e = math.frexp(u)
    j = e - 1 + s
    if j <= 0:
        j = 0
        p = u / math.ldexp(1.0, 1 - s)
    else:
        lo = math.ldexp(1.0, e - 1)
        p = (u - lo) / lo
    return np.int64(j) + np.int64(word_to_uniform(word) < p)


@njit(cache=True)
def natural_dither_sample(x, norm, s, key, level_out, neg_out):
    """Sample natural dithering; also writes the sign mask (negative AND nonzero level)."""
    sub = False
    for i in range(x.size):
        t = x[i]
        u = abs(t) / norm
        sub |= (u > 0.0) & (u < _SMALLEST_NORMAL)
        lv = _natural_dither_level(u, s, random_u64(key, np.uint64(i)))
        level_out[i] = lv
        neg_out[i] = (t < 0) & (lv > 0)
    if sub:
        for i in range(x.size):
            t = x[i]
            u = abs(t) / norm
            if (u > 0.0) & (u < _SMALLEST_NORMAL):
                lv = _natural_dither_level_subnormal(u, s, random_u64(key, np.uint64(i)))
                level_out[i] = lv
                neg_out[i] = (t < 0) & (lv > 0)


@njit(cache=True)
def natural_dither_table(norm, s):
    """The s + 1 output magnitudes: 0, then norm * 2^(j - s) for the level index j = 1..s."""
    table = np.empty(s + 1)
    table[0] = 0.0
    for j in range(1, s + 1):
        table[j] = norm * math.ldexp(1.0, j - s)
    return table


@njit(cache=True)
def natural_dither_reconstruct(neg, level, norm, s, out):
    """out_i = +-norm * 2^(level_i - s) (0 for level 0), through a table of the s + 1 values."""
    table = natural_dither_table(norm, s)
    for i in range(level.size):
        v = table[level[i]]
        out[i] = -v if neg[i] else v


@njit(cache=True)
def natural_dither_row(x, norm, s, key, out, acc, accumulate):
    """Natural dithering of x (p-norm ``norm``, levels 2^(j-s), stream ``key``) into ``out``,
    bit for bit ``natural_dither_reconstruct(natural_dither_sample(x))``: the level l of
    :func:`_natural_dither_level`, out_i = -table[l] for a negative x_i with l > 0, else
    table[l], table[l] = norm * 2^(l - s) (:func:`natural_dither_table`). With ``accumulate``
    also acc_i += out_i (the compressor passes acc = out and accumulate False).

    Written for the vectoriser: the stream's counter word key + (i+1) GOLDEN_GAMMA is advanced
    by addition, as in :func:`dither_row`; for s <= 1022 the factor 2^(l - s) is a normal
    number, built from its exponent bits (the same double as ``ldexp(1.0, l - s)``), so
    norm * 2^(l - s) is the table's product without a gather from the table (which the
    compiler cannot prove independent of ``out``); copysign gives -v for a negative x_i,
    and level 0 gives +0.0. Larger s reads the table. Coordinates with a subnormal
    |x_i|/norm are redone in a second pass (before any accumulation).
    Requires 0 < norm and |x_i| <= norm."""
    ctr = np.uint64(key)
    sub = False
    if s <= 1022:
        for i in range(x.size):
            ctr += GOLDEN_GAMMA
            t = x[i]
            u = abs(t) / norm
            sub |= (u > 0.0) & (u < _SMALLEST_NORMAL)
            lv = _natural_dither_level(u, s, mix64(ctr))
            pw = np.uint64(np.uint64(lv - s + 1023) << _SHIFT52).view(np.float64)
            v = math.copysign(norm * pw, t)
            out[i] = 0.0 if lv == 0 else v
    else:
        table = natural_dither_table(norm, s)
        for i in range(x.size):
            ctr += GOLDEN_GAMMA
            t = x[i]
            u = abs(t) / norm
            sub |= (u > 0.0) & (u < _SMALLEST_NORMAL)
            lv = _natural_dither_level(u, s, mix64(ctr))
            v = table[lv]
            out[i] = -v if (t < 0) & (lv > 0) else v
    if sub:
        table = natural_dither_table(norm, s)
        for i in range(x.size):
            t = x[i]
            u = abs(t) / norm
            if (u > 0.0) & (u < _SMALLEST_NORMAL):
                lv = _natural_dither_level_subnormal(u, s, random_u64(key, np.uint64(i)))
                v = table[lv]
                out[i] = -v if (t < 0) & (lv > 0) else v
    if accumulate:
        for i in range(x.size):
            acc[i] += out[i]


@njit(cache=True)
def natural_dither_compress(x, norm, s, key, out):
    """Fused :func:`natural_dither_sample` + :func:`natural_dither_reconstruct`:
    :func:`natural_dither_row` (same bits). Requires 0 < norm and |x_i| <= norm."""
    natural_dither_row(x, norm, s, key, out, out, False)


# --------------------------------------------------------------------------- grid
@njit(cache=True)
def grid_sample(x, step, key, m_out):
    """Stochastic rounding to step * Z: m = floor(x/step) (+1 w.p. frac)."""
    for i in range(x.size):
        q = x[i] / step
        f = math.floor(q)
        m_out[i] = np.int64(f) + (1 if uniform(key, np.uint64(i)) < q - f else 0)


# --------------------------------------------------------------------------- sparsifiers
@njit(cache=True)
def bounded_u64(key, counter, n):
    """Exactly uniform integer in [0, n) by rejection; returns (value, next counter)."""
    n64 = np.uint64(n)
    limit = np.uint64(0xFFFFFFFFFFFFFFFF) - (np.uint64(0xFFFFFFFFFFFFFFFF) % n64 + np.uint64(1)) % n64
    while True:
        r = random_u64(key, counter)
        counter += np.uint64(1)
        if r <= limit:
            return np.int64(r % n64), counter


@njit(cache=True)
def rand_k_indices(d, k, key):
    """Sorted uniform k-subset of range(d): Floyd's algorithm (exactly uniform)."""
    mark = np.zeros(d, np.bool_)
    counter = np.uint64(0)
    for j in range(d - k, d):
        t, counter = bounded_u64(key, counter, j + 1)
        if mark[t]:
            mark[j] = True
        else:
            mark[t] = True
    out = np.empty(k, np.int64)
    c = 0
    for i in range(d):
        if mark[i]:
            out[c] = i
            c += 1
    return out


_KEEP_CHUNK = 4096


@njit(cache=True)
def bernoulli_indices(d, p, key):
    """Sorted indices kept independently with probability p (u_i < p).

    Chunks of 4096 coordinates: first the keep decisions (a loop without branches, which
    the compiler vectorises, 64-bit multiplies included), then a branch-free compaction
    (``out[c] = i; c += keep``). The buffer starts near the expected size d p (plus 8
    standard deviations) and doubles if needed, instead of allocating d indices.
    """
    cap = min(d, np.int64(d * p + 8.0 * math.sqrt(d * p) + 64.0)) + _KEEP_CHUNK
    return bernoulli_indices_cap(d, p, key, cap)


@njit(cache=True)
def bernoulli_indices_cap(d, p, key, cap):
    """:func:`bernoulli_indices` with the initial buffer size ``cap`` (>= 1; tests use a
    small one to exercise the growth)."""
    thr = keep_threshold(p)
    cap = max(cap, 1)
    out = np.empty(cap, np.int64)
    keep = np.empty(_KEEP_CHUNK, np.uint8)
    c = 0
    for start in range(0, d, _KEEP_CHUNK):
        end = min(start + _KEEP_CHUNK, d)
        for i in range(start, end):
            keep[i - start] = (random_u64(key, np.uint64(i)) >> _SHIFT11) < thr  # u_i < p
        if c + _KEEP_CHUNK > out.size:
            grown = np.empty(max(2 * out.size, c + _KEEP_CHUNK), np.int64)
            grown[:c] = out[:c]
            out = grown
        for i in range(start, end):
            out[c] = i
            c += np.int64(keep[i - start])
    return out[:c].copy()


def _abs_key(v):
    """A uint64 that orders like |v| (equal iff |v| is equal): the IEEE bit pattern of |v|.
    Jitted by type (the overload below): float64 uses its 64 bits; float32 its own 32 bits
    shifted to the top (no conversion, and the radix buckets see 8 exponent and 7 mantissa
    bits); the two orders, hence the selected sets, are the same."""
    raise NotImplementedError("_abs_key is used inside Numba kernels only")


@overload(_abs_key, inline="always")
def _abs_key_impl(v):
    if v == types.float32:
        def key32(v):
            return np.uint64(np.float32(v).view(np.uint32) & np.uint32(0x7FFFFFFF)) << np.uint64(32)
        return key32

    def key64(v):
        return np.float64(v).view(np.uint64) & np.uint64(0x7FFFFFFFFFFFFFFF)
    return key64


TOP_K_SORT_BELOW = 2048


@njit(cache=True)
def _top_k_indices_sorted(x, k):
    """top_k_indices by a stable sort (small d): keys complemented so that ascending order
    is descending |x_i|, equal keys keep ascending index order."""
    d = x.size
    neg = np.empty(d, np.uint64)
    for i in range(d):
        neg[i] = ~_abs_key(x[i])
    order = np.argsort(neg, kind="mergesort")
    out = np.sort(order[:k])
    return out.astype(np.int64)


@njit(cache=True)
def top_k_indices(x, k):
    """Indices (sorted) of the k largest |x_i|; ties broken by the smallest index.

    Radix selection on the IEEE bit patterns of |x_i| (which order like the values): a
    16-bit histogram pass finds the bucket of the k-th largest; a second pass collects the
    indices at or above that bucket and the keys in it (the candidates), which are sorted
    to find the exact threshold; the selection then runs over the collected indices only.
    O(d) time, two passes over x, no full sort. The keys are recomputed from x in each
    pass (no d-sized key array); four interleaved histograms avoid a store-to-load
    dependency when many keys share a bucket. Below ``TOP_K_SORT_BELOW`` entries the
    histogram's fixed cost (4 x 65536 counters) dominates, so a stable sort of the
    complemented keys (descending |x_i|, ascending index on ties) selects instead: the same
    set, tested against the radix path.
    """
    if x.size < TOP_K_SORT_BELOW:
        return _top_k_indices_sorted(x, k)
    return _top_k_indices_radix(x, k)


@njit(cache=True)
def _top_k_indices_radix(x, k):
    """top_k_indices by radix selection (any d; used from ``TOP_K_SORT_BELOW`` on)."""
    d = x.size
    s48 = np.uint64(48)
    hist4 = np.zeros((4, 65536), np.int64)
    d4 = d - d % 4
    for i in range(0, d4, 4):
        hist4[0, np.int64(_abs_key(x[i]) >> s48)] += 1
        hist4[1, np.int64(_abs_key(x[i + 1]) >> s48)] += 1
        hist4[2, np.int64(_abs_key(x[i + 2]) >> s48)] += 1
        hist4[3, np.int64(_abs_key(x[i + 3]) >> s48)] += 1
    for i in range(d4, d):
        hist4[0, np.int64(_abs_key(x[i]) >> s48)] += 1
    hist = np.empty(65536, np.int64)
    for j in range(65536):
        hist[j] = hist4[0, j] + hist4[1, j] + hist4[2, j] + hist4[3, j]
    remaining = k
    bucket = 65535
    while bucket >= 0:
        if hist[bucket] >= remaining:
            break
        remaining -= hist[bucket]
        bucket -= 1
    # one pass collects the indices of every entry at or above the threshold bucket (at
    # most k + the bucket's size): the entries above it are kept, the bucket's entries are
    # the candidates; the final selection then runs over this list, not over x again
    nsel = (k - remaining) + hist[bucket]
    sel = np.empty(nsel, np.int64)
    cand = np.empty(hist[bucket], np.uint64)
    c = 0
    n = 0
    b64 = np.uint64(bucket)
    for i in range(d):
        key = _abs_key(x[i])
        top = key >> s48
        if top >= b64:
            sel[n] = i
            n += 1
            if top == b64:
                cand[c] = key
                c += 1
    cand.sort()
    threshold = cand[cand.size - remaining]
    above = 0
    for i in range(cand.size):
        if cand[i] > threshold:
            above += 1
    ties_needed = remaining - above   # how many entries equal to threshold to keep
    out = np.empty(k, np.int64)
    c = 0
    for j in range(nsel):
        i = sel[j]
        key = _abs_key(x[i])
        if key > threshold:
            out[c] = i
            c += 1
        elif key == threshold and ties_needed > 0:
            out[c] = i
            c += 1
            ties_needed -= 1
    return out


@njit(cache=True)
def _scatter_into(out, idx, values):
    for j in range(idx.size):
        out[idx[j]] = values[j]


def scatter(d, idx, values):
    """Zero vector of dimension d with out[idx] = values.

    The zeros come from numpy (calloc: pages zeroed lazily by the OS, huge pages where
    available), which is much cheaper at large d than Numba's malloc + memset.
    """
    out = np.zeros(d)
    _scatter_into(out, idx, values)
    return out


@njit(cache=True)
def sign_bits(x, out):
    """1 for negative, 0 for >= 0 (the convention sign(0) := +1)."""
    for i in range(x.size):
        out[i] = 1 if x[i] < 0 else 0


@njit(cache=True)
def signed_fill(neg, magnitude, out):
    for i in range(neg.size):
        out[i] = -magnitude if neg[i] else magnitude


# --------------------------------------------------------------------------- reductions
@njit(cache=True)
def max_abs(x):
    """max |x_i| in one pass, without a temporary array."""
    m = 0.0
    for i in range(x.size):
        a = abs(x[i])
        if a > m:
            m = a
    return m


@njit(cache=True)
def first_at_least(x, bound):
    """Index of the first |x_i| >= bound, or -1."""
    for i in range(x.size):
        if abs(x[i]) >= bound:
            return i
    return -1


@njit(cache=True)
def abs_sum(x):
    """sum |x_i| with four interleaved partial sums (fixed order: deterministic; the one
    definition used by every scaled-sign path)."""
    n = x.size
    s0 = s1 = s2 = s3 = 0.0
    i = 0
    while i + 4 <= n:
        s0 += abs(x[i])
        s1 += abs(x[i + 1])
        s2 += abs(x[i + 2])
        s3 += abs(x[i + 3])
        i += 4
    while i < n:
        s0 += abs(x[i])
        i += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def sign_of(x, magnitude, out):
    """out_i = -magnitude if x_i < 0 else +magnitude (sign(0) := +1), fused."""
    for i in range(x.size):
        out[i] = -magnitude if x[i] < 0 else magnitude


@njit(cache=True)
def scaled_sum_sq(x, scale):
    """sum (scale x_i)^2 in one pass (sequential order), no temporary array."""
    total = 0.0
    for i in range(x.size):
        v = scale * x[i]
        total += v * v
    return total


@njit(cache=True)
def dither_row(x, norm, s, key, out, acc, accumulate):
    """Random dithering of x (p-norm ``norm``, ``s`` levels, stream ``key``) into ``out``, bit
    for bit ``_reconstruct(_sample(x, key))``: level floor(s|x_i|/norm), plus one when
    ``uniform(key, i)`` is below the fractional part; out_i = +-norm * (level / s) (+0.0 for a
    zero level). With ``accumulate`` also acc_i += out_i in the same pass (the simulator's
    x += C(z)); the compressor passes acc = out and accumulate False.

    Written for the vectoriser (about 1.5x the throughput of the per-coordinate
    :func:`_dither_level` loop, same bits; tested on long rows, exact level boundaries, signed
    zeros, spikes, tiny and huge scales): the uniform's counter word key + (i+1) GOLDEN_GAMMA is
    advanced by addition (:func:`theorytools.random.uniform`'s word); the level stays a float;
    the cap at s of :func:`_dither_level` is dropped: it needs |x_i| <= norm (every caller's
    norm is at least max |x_i|), so s (|x_i|/norm) <= s, and su = s has no fractional part.
    For s a power of two, norm * (level / s) is computed as level * (norm / s) when norm / s is
    a normal number: then level / s and norm / s are exact and both forms round the same real
    number once. Requires 0 < norm and |x_i| <= norm."""
    sf = np.float64(s)
    ctr = np.uint64(key)
    scale = norm * (1.0 / sf)
    pow2 = (s & (s - 1)) == 0 and scale >= _SMALLEST_NORMAL
    for i in range(x.size):
        ctr += GOLDEN_GAMMA
        t = x[i]
        su = s * (abs(t) / norm)
        level = np.floor(su)
        u = word_to_uniform(mix64(ctr))
        lv = level + (1.0 if u < su - level else 0.0)
        # branch-free sign (random signs defeat branch prediction); + 0.0 turns the -0 of a
        # zero level into +0, as in dither_reconstruct (neg is set only for nonzero levels)
        if pow2:
            v = math.copysign(lv * scale, t) + 0.0
        else:
            v = math.copysign(norm * (lv / sf), t) + 0.0
        out[i] = v
        if accumulate:
            acc[i] += v


@njit(cache=True)
def uniform_dither_compress(x, norm, s, key, out):
    """Fused :func:`uniform_dither_sample` + :func:`dither_reconstruct`: :func:`dither_row`
    (same bits). Requires 0 < norm and |x_i| <= norm."""
    dither_row(x, norm, s, key, out, out, False)


@njit(cache=True)
def max_abs_and_sum_sq(x):
    """(max |x_i|, sum x_i^2) in one pass. Four interleaved partial sums (combined as
    (s0 + s1) + (s2 + s3)) break the add-latency chain; the order is fixed, so the result is
    deterministic, and every caller (compress, law, the simulator) uses this one function."""
    n = x.size
    m0 = m1 = m2 = m3 = 0.0
    s0 = s1 = s2 = s3 = 0.0
    i = 0
    while i + 4 <= n:
        a0 = abs(x[i])
        a1 = abs(x[i + 1])
        a2 = abs(x[i + 2])
        a3 = abs(x[i + 3])
        s0 += a0 * a0
        s1 += a1 * a1
        s2 += a2 * a2
        s3 += a3 * a3
        m0 = max(m0, a0)
        m1 = max(m1, a1)
        m2 = max(m2, a2)
        m3 = max(m3, a3)
        i += 4
    while i < n:
        a0 = abs(x[i])
        s0 += a0 * a0
        m0 = max(m0, a0)
        i += 1
    return max(max(m0, m1), max(m2, m3)), (s0 + s1) + (s2 + s3)


@njit(cache=True)
def keep_threshold(p):
    """The integer t with  uniform(key, i) < p  <=>  (random_u64(key, i) >> 11) < t:
    u = k 2^-53 < p  <=>  k < p 2^53  <=>  k < ceil(p 2^53) (p 2^53 is exact), so the test is
    an integer comparison with the same outcome bit for bit."""
    return np.uint64(math.ceil(p * 9007199254740992.0))


@njit(cache=True, inline="always")
def _bernoulli_pass(x, p, scale, key, float32, out):
    """The fused Bernoulli pass, without branches (vectorised): out_i = r(x_i) * scale if
    u_i < p else 0, r = the float32 rounding of the wire when ``float32``. Returns
    (whether some x_i is NaN or infinite, whether some kept r(x_i) is, the kept count)."""
    thr = keep_threshold(p)
    kept = 0
    nonfinite = np.uint64(0)
    bad_kept = np.uint64(0)
    for i in range(x.size):
        keep = (random_u64(key, np.uint64(i)) >> _SHIFT11) < thr   # == uniform(key, i) < p
        v = x[i]
        nonfinite |= np.uint64((np.float64(v).view(np.uint64) & _EXP) == _EXP)
        if float32:
            v = np.float64(np.float32(v))
            # every entry, kept or not: refusal depends on x only, never on the seed
            bad_kept |= np.uint64((np.float64(v).view(np.uint64) & _EXP) == _EXP)
        w = v * scale
        out[i] = w if keep else 0.0
        kept += np.int64(keep)
    return nonfinite != 0, bad_kept != 0, kept


@njit(cache=True)
def _first_bad_kept(x, p, key):
    """First index whose float32 rounding is not finite, kept or not (the slow path of an
    error: refusal depends on x only)."""
    for i in range(x.size):
        if not math.isfinite(np.float64(np.float32(x[i]))):
            return i
    return -1


@njit(cache=True)
def bernoulli_compress(x, p, scale, key, float32, out):
    """Fused Bernoulli sparsification: out_i = r(x_i) * scale if u_i < p else 0, with r the
    float32 rounding of the wire when ``float32`` (same bits as :func:`bernoulli_indices` +
    rounding + :func:`scatter`). Returns (the first kept index whose float32 rounding is
    not finite, or -1; the number of kept coordinates, which fixes the message length)."""
    nonfinite, bad_kept, kept = _bernoulli_pass(x, p, scale, key, float32, out)
    return (_first_bad_kept(x, p, key) if bad_kept else -1), kept


@njit(cache=True)
def bernoulli_compress_checked(x, p, scale, key, float32, out):
    """:func:`bernoulli_compress` that also checks every x_i in the same pass (the public
    compress path validates x here instead of in a separate pass): returns -2 if some x_i
    is NaN or infinite (the caller names it), else what bernoulli_compress returns."""
    nonfinite, bad_kept, kept = _bernoulli_pass(x, p, scale, key, float32, out)
    if nonfinite:
        return -2, kept
    return (_first_bad_kept(x, p, key) if bad_kept else -1), kept
