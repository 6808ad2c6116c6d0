"""Natural dithering (Horváth et al. 2019, "Natural compression for distributed deep learning").

1. The authors' public reference code (SamuelHorvath/Compressed_SGD_PyTorch, quant/quant.py,
   ``random_dithering_opt(..., natural=True)``) builds natural dithering in two steps: random
   dithering with 2^(s-1) uniform levels, then natural compression of the level. Built here
   from that definition (our own code, exact rational arithmetic), its exact law equals
   ``natural_dithering``'s ``law(x)`` (direct rounding between the two adjacent levels
   2^(j-s)) on many (u, s), including u at, just below and just above powers of two. The
   comparison is shown to fail on three planted faults.
2. The fused compress kernel (``_kernels.natural_dither_row``) and the rewritten sampling kernel
   give the same bits as the kernels they replaced (kept verbatim below as ``_old_*``):
   outputs, levels, signs and encodings, on many inputs and seeds; the integer form of the
   "go up" test agrees with the float form on words at the exact threshold (a planted
   off-by-one in the threshold fails).
"""
from fractions import Fraction
import math

import numpy as np
import pytest
from numba import njit

from theorytools.codecs.bitio import BitWriter
from theorytools.compressors import _kernels as K
from theorytools.compressors import create
from theorytools.random import uniform, word_to_uniform


# ------------------------------------------------------------------ 1. the two-step law
def _pow2_floor(f: Fraction) -> Fraction:
    """The largest power of two <= f (f > 0), exactly."""
    e = f.numerator.bit_length() - f.denominator.bit_length()
    lo = Fraction(2) ** e
    if lo > f:
        lo /= 2
    elif 2 * lo <= f:
        lo *= 2
    assert lo <= f < 2 * lo
    return lo


def _natural_law(f: Fraction) -> dict:
    """Natural compression of f >= 0 (Horváth et al. 2019): for 2^e <= f < 2^(e+1), 2^(e+1)
    with probability (f - 2^e)/2^e, else 2^e; 0 stays 0."""
    if f == 0:
        return {Fraction(0): Fraction(1)}
    lo = _pow2_floor(f)
    p = (f - lo) / lo
    return {lo: 1 - p, 2 * lo: p}


def _biased_natural_law(f: Fraction) -> dict:
    """PLANTED FAULT: the nearest power of two instead of natural compression."""
    if f == 0:
        return {Fraction(0): Fraction(1)}
    lo = _pow2_floor(f)
    return {2 * lo if f > Fraction(3, 2) * lo else lo: Fraction(1)}


def two_step_law(u: Fraction, s: int, *, levels_exp=None, second=_natural_law) -> dict:
    """The reference code's construction, from its definition: random dithering of u in [0, 1]
    with S = 2^(s-1) uniform levels (l = floor(S u), l + 1 with probability S u - l), then
    natural compression of l / S. Returns {value: probability}, zero probabilities dropped.
    ``levels_exp`` (default s - 1) and ``second`` exist to plant faults."""
    S = 2 ** (s - 1 if levels_exp is None else levels_exp)
    v = S * u
    l = math.floor(v)
    p1 = v - l
    out = {}
    for level, q in ((l, 1 - p1), (l + 1, p1)):
        if q == 0:
            continue
        for value, r in second(Fraction(level, S)).items():
            out[value] = out.get(value, Fraction(0)) + q * r
    return {v: p for v, p in out.items() if p != 0}


def toolkit_laws(us, s, *, p="inf", perturb=False):
    """natural_dithering's law(x) at x = (1, u_1, ..., u_m) under the inf-norm (norm 1, so
    |x_i|/norm = u_i exactly): one {value: probability} per u_i. ``perturb`` (a planted fault)
    moves every probability of going up by one ulp."""
    c = create(f"natural_dithering[s={s},p={p}]", float_width=64)
    x = np.array([1.0] + [float(u) for u in us])
    law = c.law(x)
    p_high = np.nextafter(law.p_high, 2.0) if perturb else law.p_high
    out = []
    for i in range(1, x.size):
        d = {}
        ph = Fraction(float(p_high[i]))
        for value, q in ((Fraction(float(law.low[i])), 1 - ph), (Fraction(float(law.high[i])), ph)):
            d[value] = d.get(value, Fraction(0)) + q
        out.append({v: q for v, q in d.items() if q != 0})
    return out


def u_values(s, rng):
    """u in [0, 1]: 0, 1, every power of two from 1 down past the smallest level 2^(1-s), each
    with its neighbours just below and just above, the grid k/2^(s-1) of the first step and
    its neighbours, uniform and log-uniform draws, and subnormals."""
    us = {0.0, 1.0, 5e-324, 2.0 ** -1074 * 3, 2.0 ** -1022, np.nextafter(2.0 ** -1022, 0.0)}
    for a in range(0, min(s + 4, 1074)):
        t = 2.0 ** -a
        us |= {t, float(np.nextafter(t, 0.0)), float(np.nextafter(t, 2.0))}
    S = 2 ** (s - 1)
    for k in list(range(0, min(S, 40) + 1)) + [int(S * f) for f in rng.random(20)]:
        t = k / S
        us |= {t, float(np.nextafter(t, 0.0)), float(np.nextafter(t, 2.0))}
    us |= set(rng.random(40).tolist())
    us |= set((10.0 ** (-rng.random(40) * min(3 * s, 300))).tolist())
    return sorted(u for u in us if 0.0 <= u <= 1.0)


S_VALUES = list(range(1, 13)) + [16, 24, 31, 53, 60, 64, 100]


def law_mismatches(s, rng, **kw):
    """(u, two-step law, toolkit law) for every u where the two differ."""
    us = u_values(s, rng)
    faults = {k: kw.pop(k) for k in ("levels_exp", "second") if k in kw}
    ours = toolkit_laws(us, s, **kw)
    bad = []
    for u, law in zip(us, ours):
        ref = two_step_law(Fraction(u), s, **faults)
        if ref != law:
            bad.append((u, ref, law))
    return bad, len(us)


@pytest.mark.parametrize("s", S_VALUES)
def test_two_step_reference_construction_has_the_same_exact_law(s):
    """Dithering with 2^(s-1) uniform levels followed by natural compression of the level IS
    natural dithering: both roundings stay inside the power-of-two bracket of u, and an
    unbiased two-point law on a bracket is unique. Exact rational probabilities, every u."""
    bad, n = law_mismatches(s, np.random.default_rng(s))
    assert n > 90
    assert not bad, bad[:3]


def test_two_step_law_also_equal_under_the_2_norm():
    """Same comparison with a 2-norm: u_i = |x_i|/norm as the toolkit computes it (one float
    division by the rounded-up wire norm)."""
    rng = np.random.default_rng(11)
    for s in (2, 3, 5, 8):
        c = create(f"natural_dithering[s={s}]")
        x = np.concatenate([rng.standard_normal(200), -(2.0 ** -np.arange(12)), [0.0, -0.0]])
        law = c.law(x)
        norm = c._norm(x)
        for i in range(x.size):
            u = abs(x[i]) / norm
            ref = two_step_law(Fraction(u), s)
            sign = -1 if x[i] < 0 else 1
            ph = Fraction(float(law.p_high[i]))
            ours = {}
            for value, q in ((law.low[i], 1 - ph), (law.high[i], ph)):
                key = Fraction(float(value)) * sign / Fraction(norm)
                ours[key] = ours.get(key, Fraction(0)) + q
            assert {v: q for v, q in ours.items() if q != 0} == ref, (s, i, x[i])


@pytest.mark.parametrize("fault", ["2^s levels", "biased second step", "p_up + 1 ulp"])
def test_law_comparison_fails_on_planted_faults(fault):
    rng = np.random.default_rng(3)
    kw = {"2^s levels": {"levels_exp": 5}, "biased second step": {"second": _biased_natural_law},
          "p_up + 1 ulp": {"perturb": True}}[fault]
    bad, n = law_mismatches(5, rng, **kw)
    assert len(bad) > 10, fault


# ------------------------------------------------------------------ 2. same bits as before
# The kernels as they were before the fused kernel (commit 90665dc), verbatim: the
# definition the new kernels must reproduce bit for bit.
@njit(cache=True)
def _old_sample(x, norm, s, key, level_out, neg_out):
    for i in range(x.size):
        u = abs(x[i]) / norm
        neg_out[i] = False
        if u == 0.0:
            level_out[i] = 0
            continue
        if u >= 1.0:
            level_out[i] = s
            neg_out[i] = x[i] < 0
            continue
        m, e = math.frexp(u)
        j = e - 1 + s
        if j <= 0:
            j = 0
            p = u / math.ldexp(1.0, 1 - s)
        else:
            lo = math.ldexp(1.0, e - 1)
            p = (u - lo) / lo
        lv = j + 1 if uniform(key, np.uint64(i)) < p else j
        level_out[i] = lv
        neg_out[i] = x[i] < 0 and lv > 0


@njit(cache=True)
def _old_reconstruct(neg, level, norm, s, out):
    table = np.empty(s + 1)
    table[0] = 0.0
    for j in range(1, s + 1):
        table[j] = norm * math.ldexp(1.0, j - s)
    for i in range(level.size):
        v = table[level[i]]
        out[i] = -v if neg[i] else v


def _old_level(u, s, word):
    """The old kernel's level decision at u in [0, 1] with the stream word ``word``."""
    if u == 0.0:
        return 0
    if u >= 1.0:
        return s
    m, e = math.frexp(u)
    j = e - 1 + s
    if j <= 0:
        j = 0
        p = u / math.ldexp(1.0, 1 - s)
    else:
        lo = math.ldexp(1.0, e - 1)
        p = (u - lo) / lo
    return j + 1 if word_to_uniform(np.uint64(word)) < p else j


def _inputs(rng, s, width):
    d = 1003
    big = 300 if width == 64 else 30
    spike = np.zeros(d)
    spike[17] = -3.5
    levels = np.ldexp(rng.choice([-1.0, 1.0], d), -rng.integers(0, s + 3, d))
    xs = [rng.standard_normal(d), rng.standard_normal(d) * 10.0 ** rng.integers(-big, big),
          np.zeros(d), np.where(rng.random(d) < 0.5, 0.0, -0.0), spike,
          levels, np.nextafter(levels, 0.0), np.nextafter(levels, 2 * levels),
          rng.standard_normal(d) * (rng.random(d) < 0.05), np.full(d, -0.25),
          rng.standard_cauchy(d)]
    if width == 64:   # |x_i|/norm subnormal, and a norm so small that norm * 2^(l-s) underflows
        tiny = rng.standard_normal(d) * 1e-310
        tiny[0] = 1.0
        xs += [tiny, rng.standard_normal(d) * 1e-305]
    return xs


@pytest.mark.parametrize("s", [1, 2, 3, 7, 8, 16, 60, 1021, 1022, 1023, 1030, 1100])
@pytest.mark.parametrize("width", [32, 64])
def test_same_bits_as_the_previous_kernels(s, width):
    """compress (the fused kernel), _sample (levels and signs) and encode (the payload) equal
    the previous kernels' results bit for bit, for p = 2, 1, inf and several seeds."""
    rng = np.random.default_rng(s * 7 + width)
    checked = 0
    for p in ("2", "1", "inf"):
        c = create(f"natural_dithering[s={s},p={p}]", float_width=width)
        for x in _inputs(rng, s, width):
            for seed in (0, 1, 12345):
                key = c._key(seed)
                norm = c._norm(x)
                level = np.zeros(x.size, np.int64)
                neg = np.zeros(x.size, np.bool_)
                if norm > 0:
                    _old_sample(x, norm, s, key, level, neg)
                old = np.empty(x.size)
                _old_reconstruct(neg, level, norm, s, old)
                new = c.compress(x, seed)
                assert np.array_equal(new.view(np.uint64), old.view(np.uint64)), (p, seed)
                n2, neg2, level2 = c._sample(x, key)
                assert n2 == norm and np.array_equal(level2, level) and np.array_equal(neg2, neg)
                msg = c.encode(x, seed)
                w = BitWriter()
                c._write((norm, neg, level), w, x.size, False)
                assert msg.nbits == w.nbits and msg.payload == w.getvalue()
                dec = c.decode(msg)
                assert np.array_equal(dec.view(np.uint64), old.view(np.uint64))
                checked += 1
    assert checked == 3 * 3 * len(_inputs(rng, s, width))


@pytest.mark.parametrize("s", [1, 4, 1022, 1100])
def test_fused_row_accumulates(s):
    """natural_dither_row with accumulate: acc_i + out_i, and out as without accumulating."""
    rng = np.random.default_rng(s)
    x = rng.standard_normal(777)
    x[3] = 1e-320
    c = create(f"natural_dithering[s={s}]", float_width=64)
    norm, key = c._norm(x), np.uint64(99)
    out = np.empty(x.size)
    K.natural_dither_compress(x, norm, s, key, out)
    acc0 = rng.standard_normal(x.size)
    acc, out2 = acc0.copy(), np.empty(x.size)
    K.natural_dither_row(x, norm, s, key, out2, acc, True)
    assert np.array_equal(out2, out) and np.array_equal(acc, acc0 + out)


def level_threshold_mismatches(level_fn, shift_k=0):
    """Words whose top 53 bits k sit at the exact threshold ceil(p_up 2^53) - 1, +0, +1 (and
    at 0 and 2^53 - 1), with random low bits: where ``level_fn(u, s, word)`` disagrees with
    the old float test ``word_to_uniform(word) < p_up``. ``shift_k`` plants an off-by-one."""
    rng = np.random.default_rng(5)
    bad = []
    for s in (1, 2, 3, 8, 30, 53, 54, 60, 61, 64, 200, 1022):
        for u in u_values(min(s, 64), rng):
            if 0.0 < u < 2.0 ** -1022:
                continue   # subnormal u: the separate function (tested with every kernel)
            m, e = math.frexp(u) if u > 0 else (0.0, 0)
            if u == 0.0 or u >= 1.0:
                ks = [0, 2 ** 53 - 1]
            else:
                j = e - 1 + s
                lo = Fraction(2) ** (e - 1)
                p = Fraction(u) * 2 ** (s - 1) if j <= 0 else (Fraction(u) - lo) / lo
                t = math.ceil(p * 2 ** 53)
                ks = [k for k in (0, t - 1, t, t + 1, 2 ** 53 - 1) if 0 <= k < 2 ** 53]
            for k in ks:
                word = (k << 11) | int(rng.integers(0, 2 ** 11))
                kk = min(k + shift_k, 2 ** 53 - 1)
                got = level_fn(u, s, np.uint64((kk << 11) | (word & 2047)))
                if got != _old_level(u, s, word):
                    bad.append((s, u, k))
    return bad


def test_integer_threshold_equals_the_float_test():
    assert not level_threshold_mismatches(K._natural_dither_level)
    assert not level_threshold_mismatches(K._natural_dither_level_subnormal)


def test_threshold_check_fails_on_a_planted_off_by_one():
    assert len(level_threshold_mismatches(K._natural_dither_level, shift_k=1)) > 10
