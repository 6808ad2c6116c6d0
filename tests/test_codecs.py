"""Tests of theorytools.codecs: round trips, exact lengths, enumerative bijection, bounds,
truncated/corrupted input, argument validation, and planted faults showing the checks bite."""
from __future__ import annotations

import itertools
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theorytools.errors import TheorytoolsError
from theorytools.codecs import (
    BitReader, BitWriter, Message, base3_bits, delta_length, delta_lengths, gamma_length,
    gamma_lengths, omega_length, omega_lengths, read_subset, subset_code_bits,
    subset_code_bits_of, subset_code_overhead, subset_rank, subset_unrank, write_subset,
    EXACT_RANK_MAX_BITS)
from theorytools.codecs import elias, enumerative

SETTINGS = dict(derandomize=True, deadline=None)
U64MAX = 2 ** 64 - 1


def reader_of(w: BitWriter) -> BitReader:
    return BitReader(w.getvalue(), w.nbits)


# ------------------------------------------------------------------ reference formulas
def floor_log2(n: int) -> int:
    """floor(log2 n) computed independently of bit_length (repeated halving)."""
    k = 0
    while n >= 2:
        n //= 2
        k += 1
    return k


def ref_gamma(n):
    return 2 * floor_log2(n) + 1


def ref_delta(n):
    N = floor_log2(n)
    return N + 2 * floor_log2(N + 1) + 1


def ref_omega(n):
    total = 1
    while n > 1:
        total += floor_log2(n) + 1
        n = floor_log2(n)
    return total


def lengths_match(write, length, values) -> bool:
    """True iff writing each value alone gives exactly length(value) bits."""
    for v in values:
        w = BitWriter()
        write(w, v)
        if w.nbits != length(v):
            return False
    return True


ELIAS = [("gamma", ref_gamma), ("delta", ref_delta), ("omega", ref_omega)]
EDGE_N = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
          2 ** 63 - 1, 2 ** 63, U64MAX]


# ------------------------------------------------------------------ bits and arrays
@settings(max_examples=200, **SETTINGS)
@given(st.lists(st.integers(0, 300).flatmap(
    lambda w: st.tuples(st.integers(0, 2 ** w - 1), st.just(w))), max_size=20))
def test_write_bits_round_trip(fields):
    w = BitWriter()
    for v, n in fields:
        w.write_bits(v, n)
    assert w.nbits == sum(n for _, n in fields)
    data = w.getvalue()
    assert len(data) == (w.nbits + 7) // 8
    r = BitReader(data, w.nbits)
    assert [r.read_bits(n) for _, n in fields] == [v for v, _ in fields]
    r.expect_end()


def test_msb_first_and_zero_padding():
    w = BitWriter()
    w.write_bits(0b101, 3)
    assert w.getvalue() == bytes([0b10100000]) and w.nbits == 3
    w.write_bits(0xABCD, 16)
    assert w.getvalue() == bytes([0b10110101, 0b01111001, 0b10100000])
    Message(payload=w.getvalue(), nbits=w.nbits, d=1, compressor="test")


@pytest.mark.parametrize("offset", [0, 1, 7, 31, 63])
@pytest.mark.parametrize("width", list(range(65)))
def test_array_round_trip_every_width(width, offset):
    rng = np.random.default_rng(width * 100 + offset)
    top = U64MAX if width == 64 else (1 << width) - 1
    vals = rng.integers(0, 2 ** 63, 300, dtype=np.uint64)
    if width < 64:
        vals &= np.uint64(top)
    vals[:4] = [0, top, 0, top]
    w = BitWriter()
    w.write_bits(1, offset) if offset else None
    w.write_array(vals, width)
    w.write_bits(1, 1)
    assert w.nbits == offset + 300 * width + 1
    r = reader_of(w)
    r.read_bits(offset)
    got = r.read_array(300, width)
    assert got.dtype == np.uint64 and np.array_equal(got, vals)
    assert r.read_bits(1) == 1
    r.expect_end()


@settings(max_examples=60, **SETTINGS)
@given(st.integers(1, 64), st.lists(st.integers(0, U64MAX), max_size=100),
       st.integers(0, 70))
def test_array_matches_scalar_writes(width, raw, offset):
    vals = np.array([v & ((1 << width) - 1) for v in raw], dtype=np.uint64)
    a, b = BitWriter(), BitWriter()
    a.write_bits(0, offset)
    b.write_bits(0, offset)
    a.write_array(vals, width)
    for v in vals.tolist():
        b.write_bits(int(v), width)
    assert a.nbits == b.nbits and a.getvalue() == b.getvalue()


def test_floats_round_trip():
    w = BitWriter()
    xs32 = [0.0, -0.0, 1.5, float(np.float32(0.1)), float(np.finfo(np.float32).max),
            float(np.finfo(np.float32).tiny), math.inf, -math.inf]
    for x in xs32:
        w.write_float(x, 32)
    w.write_float(0.1, 64)
    w.write_float(-2.5e-300, 64)
    w.write_float(0.5, 16)
    w.write_float(math.nan, 32)
    assert w.nbits == 32 * len(xs32) + 64 + 64 + 16 + 32
    r = reader_of(w)
    for x in xs32:
        got = r.read_float(32)
        assert got == x and math.copysign(1, got) == math.copysign(1, x)
    assert r.read_float(64) == 0.1 and r.read_float(64) == -2.5e-300
    assert r.read_float(16) == 0.5
    assert math.isnan(r.read_float(32))
    r.expect_end()
    # the pattern is the IEEE one
    w = BitWriter()
    w.write_float(1.5, 32)
    assert w.getvalue() == struct.pack(">f", 1.5)


def test_float_array_round_trip():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(np.float32)
    w = BitWriter()
    w.write_float_array(x, 32)
    w.write_float_array(x.astype(np.float64), 64)
    assert w.nbits == 1000 * 96
    r = reader_of(w)
    assert np.array_equal(r.read_float_array(1000, 32), x)
    assert np.array_equal(r.read_float_array(1000, 64), x.astype(np.float64))
    r.expect_end()
    with pytest.raises(TheorytoolsError, match="values"):
        BitWriter().write_float_array([0.1], 32)


def test_float_not_representable_raises():
    with pytest.raises(TheorytoolsError, match="value"):
        BitWriter().write_float(0.1, 32)
    with pytest.raises(TheorytoolsError, match="value"):
        BitWriter().write_float(1e300, 32)
    with pytest.raises(TheorytoolsError, match="width"):
        BitWriter().write_float(1.0, 24)


# ------------------------------------------------------------------ unary and Elias
@settings(max_examples=50, **SETTINGS)
@given(st.lists(st.integers(0, 300), max_size=50))
def test_unary_round_trip_and_length(values):
    w = BitWriter()
    for v in values:
        w.write_unary(v)
    w.write_unary_array(np.array(values, dtype=np.uint64))
    assert w.nbits == 2 * (sum(values) + len(values))
    r = reader_of(w)
    assert [r.read_unary() for _ in values] == values
    assert r.read_unary_array(len(values)).tolist() == values
    r.expect_end()


@pytest.mark.parametrize("name,ref", ELIAS)
def test_elias_scalar_edges_and_lengths(name, ref):
    huge = [2 ** 64, 2 ** 100 + 12345, 3 ** 200]
    values = EDGE_N + huge
    w = BitWriter()
    total = 0
    for n in values:
        before = w.nbits
        getattr(w, f"write_{name}")(n)
        assert w.nbits - before == ref(n) == getattr(elias, f"{name}_length")(n)
        total += ref(n)
    assert w.nbits == total
    r = reader_of(w)
    assert [getattr(r, f"read_{name}")() for _ in values] == values
    r.expect_end()


def test_elias_known_codewords():
    def bits(write, n):
        w = BitWriter()
        write(w, n)
        return format(int.from_bytes(w.getvalue(), "big") >> (8 * len(w.getvalue()) - w.nbits),
                      f"0{w.nbits}b")
    assert bits(BitWriter.write_gamma, 1) == "1"
    assert bits(BitWriter.write_gamma, 5) == "00101"
    assert bits(BitWriter.write_delta, 1) == "1"
    assert bits(BitWriter.write_delta, 10) == "00100010"
    assert bits(BitWriter.write_omega, 1) == "0"
    assert bits(BitWriter.write_omega, 2) == "100"
    assert bits(BitWriter.write_omega, 16) == "10100100000"
    assert omega_length(U64MAX) == 1 + 64 + 6 + 3 + 2


@pytest.mark.parametrize("name,ref", ELIAS)
@settings(max_examples=40, **SETTINGS)
@given(values=st.lists(st.one_of(st.integers(1, U64MAX), st.sampled_from(EDGE_N)),
                       max_size=60))
def test_elias_array_round_trip_and_lengths(name, ref, values):
    arr = np.array(values, dtype=np.uint64)
    w = BitWriter()
    w.write_bits(1, 3)
    getattr(w, f"write_{name}_array")(arr)
    lens = getattr(elias, f"{name}_lengths")(arr)
    assert lens.tolist() == [ref(v) for v in values]
    assert w.nbits == 3 + sum(ref(v) for v in values)
    # the array code is the scalar code
    s = BitWriter()
    s.write_bits(1, 3)
    for v in values:
        getattr(s, f"write_{name}")(v)
    assert s.getvalue() == w.getvalue()
    r = reader_of(w)
    r.read_bits(3)
    assert np.array_equal(getattr(r, f"read_{name}_array")(len(values)), arr)
    r.expect_end()


def test_elias_lengths_vectorised_on_edges():
    arr = np.array(EDGE_N, dtype=np.uint64)
    assert gamma_lengths(arr).tolist() == [gamma_length(n) for n in EDGE_N]
    assert delta_lengths(arr).tolist() == [delta_length(n) for n in EDGE_N]
    assert omega_lengths(arr).tolist() == [omega_length(n) for n in EDGE_N]


def test_planted_fault_length_check_fails(monkeypatch):
    """A perturbed length formula (off by one above 2**20) is caught by the same check."""
    good = gamma_length
    assert lengths_match(BitWriter.write_gamma, good, EDGE_N)
    monkeypatch.setattr(elias, "gamma_length", lambda n: good(n) + (n > 2 ** 20))
    assert not lengths_match(BitWriter.write_gamma, elias.gamma_length, EDGE_N)
    # a wrong delta formula (log2 N instead of log2(N+1)) is caught too
    wrong_delta = lambda n: floor_log2(n) + 2 * floor_log2(max(floor_log2(n), 1)) + 1  # noqa
    assert not lengths_match(BitWriter.write_delta, wrong_delta, EDGE_N)


# ------------------------------------------------------------------ base 3
@settings(max_examples=60, **SETTINGS)
@given(st.lists(st.integers(0, 2), max_size=200), st.integers(0, 9))
def test_base3_round_trip_and_length(trits, offset):
    w = BitWriter()
    w.write_bits(0, offset)
    w.write_base3_array(np.array(trits, dtype=np.int64))
    assert w.nbits == offset + base3_bits(len(trits))
    r = reader_of(w)
    r.read_bits(offset)
    assert r.read_base3_array(len(trits)).tolist() == trits
    r.expect_end()


def test_base3_bits_formula_and_rate():
    for m in range(0, 200):
        q, r = divmod(m, 29)
        assert base3_bits(m) == 46 * q + (math.ceil(r * math.log2(3)) if r else 0)
        assert base3_bits(m) >= m * math.log2(3)
    m = 29 * 10 ** 5
    assert base3_bits(m) / (m * math.log2(3)) < 1.001
    w = BitWriter()
    w.write_base3_array(np.full(m, 2))
    assert w.nbits == base3_bits(m)


def test_base3_corrupted_group():
    w = BitWriter()
    w.write_bits(3 ** 29, 46)  # a 46-bit value that is not a base-3 group of 29 trits
    with pytest.raises(TheorytoolsError, match="corrupted"):
        reader_of(w).read_base3_array(29)


def test_base3_invalid_trits():
    with pytest.raises(TheorytoolsError, match="trits"):
        BitWriter().write_base3_array([0, 1, 3])
    with pytest.raises(TheorytoolsError, match="trits"):
        BitWriter().write_base3_array([-1])


# ------------------------------------------------------------------ truncation / trailing
def _writers():
    arr = np.array([1, 5, 300, U64MAX], dtype=np.uint64)
    return [
        ("bits", lambda w: w.write_bits(2 ** 70 - 1, 70), lambda r: r.read_bits(70)),
        ("array", lambda w: w.write_array(arr, 64), lambda r: r.read_array(4, 64)),
        ("float", lambda w: w.write_float(1.5, 64), lambda r: r.read_float(64)),
        ("unary", lambda w: w.write_unary(20), lambda r: r.read_unary()),
        ("unary_array", lambda w: w.write_unary_array([3, 70]), lambda r: r.read_unary_array(2)),
        ("gamma", lambda w: w.write_gamma(U64MAX), lambda r: r.read_gamma()),
        ("delta", lambda w: w.write_delta(U64MAX), lambda r: r.read_delta()),
        ("omega", lambda w: w.write_omega(U64MAX), lambda r: r.read_omega()),
        ("gamma_array", lambda w: w.write_gamma_array(arr), lambda r: r.read_gamma_array(4)),
        ("delta_array", lambda w: w.write_delta_array(arr), lambda r: r.read_delta_array(4)),
        ("omega_array", lambda w: w.write_omega_array(arr), lambda r: r.read_omega_array(4)),
        ("base3", lambda w: w.write_base3_array([2] * 40), lambda r: r.read_base3_array(40)),
        ("subset_exact", lambda w: write_subset(w, [3, 50, 99], 100),
         lambda r: read_subset(r, 100, 3)),
        ("subset_blocked", lambda w: write_subset(w, np.arange(0, 100000, 7), 100000),
         lambda r: read_subset(r, 100000, len(range(0, 100000, 7)))),
    ]


@pytest.mark.parametrize("name,write,read", _writers(), ids=[x[0] for x in _writers()])
def test_truncated_raises_and_trailing_caught(name, write, read):
    w = BitWriter()
    write(w)
    n = w.nbits
    data = w.getvalue()
    # full message reads back and ends exactly
    r = BitReader(data, n)
    read(r)
    r.expect_end()
    # every truncation point (a sample for long codes) raises "truncated"
    cuts = sorted(set(list(range(0, min(n, 80))) + [n // 2, n - 2, n - 1]))
    for cut in cuts:
        if 0 <= cut < n:
            with pytest.raises(TheorytoolsError, match="truncated"):
                read(BitReader(data, cut))
    # trailing bits
    w.write_bits(0, 5)
    r = reader_of(w)
    read(r)
    with pytest.raises(TheorytoolsError, match="corrupted message: 5 trailing bits"):
        r.expect_end()


def test_short_data_is_truncated():
    with pytest.raises(TheorytoolsError, match="truncated"):
        BitReader(b"\x00", 9)


def test_corrupted_elias_arrays():
    w = BitWriter()
    w.write_gamma(2 ** 64)  # too large for the uint64 array reader
    with pytest.raises(TheorytoolsError, match="corrupted"):
        reader_of(w).read_gamma_array(1)
    w = BitWriter()
    w.write_omega(2 ** 64)
    with pytest.raises(TheorytoolsError, match="corrupted"):
        reader_of(w).read_omega_array(1)
    w = BitWriter()
    w.write_delta(2 ** 70)
    with pytest.raises(TheorytoolsError, match="corrupted"):
        reader_of(w).read_delta_array(1)


# ------------------------------------------------------------------ invalid arguments
@pytest.mark.parametrize("call,arg", [
    (lambda: BitWriter().write_bits(8, 3), "value"),
    (lambda: BitWriter().write_bits(-1, 3), "value"),
    (lambda: BitWriter().write_bits(1, -1), "nbits"),
    (lambda: BitWriter().write_bits(1.5, 3), "value"),
    (lambda: BitWriter().write_array([4], 2), "values"),
    (lambda: BitWriter().write_array([-1], 8), "values"),
    (lambda: BitWriter().write_array([1], 65), "width"),
    (lambda: BitWriter().write_unary(-1), "n"),
    (lambda: BitWriter().write_gamma(0), "n"),
    (lambda: BitWriter().write_delta(0), "n"),
    (lambda: BitWriter().write_omega(0), "n"),
    (lambda: BitWriter().write_gamma(-3), "n"),
    (lambda: BitWriter().write_gamma_array([1, 0]), "values"),
    (lambda: BitWriter().write_delta_array([0]), "values"),
    (lambda: BitWriter().write_omega_array([0]), "values"),
    (lambda: gamma_length(0), "n"),
    (lambda: delta_lengths(np.array([0], dtype=np.uint64)), "values"),
    (lambda: base3_bits(-1), "m"),
    (lambda: BitReader(b"", -1), "nbits"),
    (lambda: BitReader(b"\x00", 8).read_bits(-1), "nbits"),
    (lambda: BitReader(b"\x00", 8).read_array(1, 65), "width"),
    (lambda: write_subset(BitWriter(), [3, 1], 5), "indices"),
    (lambda: write_subset(BitWriter(), [1, 1], 5), "indices"),
    (lambda: write_subset(BitWriter(), [1, 5], 5), "indices"),
    (lambda: write_subset(BitWriter(), [-1, 2], 5), "indices"),
    (lambda: write_subset(BitWriter(), [0.5], 5), "indices"),
    (lambda: write_subset(BitWriter(), [1], -1), "d"),
    (lambda: subset_rank([2, 1], 5), "indices"),
    (lambda: subset_unrank(10, 5, 2), "rank"),
    (lambda: subset_unrank(0, 5, 6), "k"),
    (lambda: subset_code_bits(5, 6), "k"),
    (lambda: read_subset(BitReader(b"", 0), 5, -1), "k"),
])
def test_invalid_arguments_name_the_argument(call, arg):
    with pytest.raises(TheorytoolsError) as info:
        call()
    assert str(info.value).startswith(arg + " ") or f" {arg} " in str(info.value) \
        or str(info.value).startswith(arg)


# ------------------------------------------------------------------ enumerative: exact
@pytest.mark.parametrize("d", range(0, 11))
def test_rank_is_a_bijection_by_enumeration(d):
    for k in range(d + 1):
        total = math.comb(d, k)
        ranks = []
        for comb in itertools.combinations(range(d), k):
            rk = subset_rank(comb, d)
            ranks.append(rk)
            assert subset_unrank(rk, d, k).tolist() == list(comb)
        assert sorted(ranks) == list(range(total))
        # colex order: the i-th combination in colex order has rank i
        colex = sorted(itertools.combinations(range(d), k), key=lambda c: c[::-1])
        assert [subset_rank(c, d) for c in colex] == list(range(total))


@pytest.mark.parametrize("d", range(0, 10))
def test_write_read_all_subsets_exact_length(d):
    for k in range(d + 1):
        bits = subset_code_bits(d, k)
        assert bits == (math.comb(d, k) - 1).bit_length() == math.ceil(math.log2(math.comb(d, k)))
        assert subset_code_overhead(d, k) == 0
        payloads = set()
        for comb in itertools.combinations(range(d), k):
            w = BitWriter()
            write_subset(w, comb, d)
            assert w.nbits == bits
            payloads.add(w.getvalue())
            r = reader_of(w)
            assert read_subset(r, d, k).tolist() == list(comb)
            r.expect_end()
        assert len(payloads) == math.comb(d, k)


@settings(max_examples=80, **SETTINGS)
@given(st.integers(1, 3000).flatmap(
    lambda d: st.tuples(st.just(d), st.sets(st.integers(0, d - 1), max_size=min(d, 400)))))
def test_subset_round_trip_random(case):
    d, s = case
    idx = np.array(sorted(s), dtype=np.int64)
    w = BitWriter()
    write_subset(w, idx, d)
    assert w.nbits <= subset_code_bits(d, idx.size)
    assert w.nbits == subset_code_bits_of(idx, d)
    r = reader_of(w)
    assert np.array_equal(read_subset(r, d, idx.size), idx)
    r.expect_end()
    if d <= 400:
        assert subset_unrank(subset_rank(idx, d), d, idx.size).tolist() == idx.tolist()


def test_huge_rank_unrank():
    d, k = 10 ** 6, 300
    rng = np.random.default_rng(3)
    idx = np.sort(rng.choice(d, k, replace=False))
    rk = subset_rank(idx, d)
    assert rk < math.comb(d, k)
    assert np.array_equal(subset_unrank(rk, d, k), idx)
    assert np.array_equal(subset_unrank(math.comb(d, k) - 1, d, k), np.arange(d - k, d))
    assert np.array_equal(subset_unrank(0, d, k), np.arange(k))


def test_k0_and_kd():
    for d in (0, 1, 5, 10 ** 6):
        for k in (0, d):
            w = BitWriter()
            write_subset(w, np.arange(k), d)
            assert w.nbits == 0 == subset_code_bits(d, k)
            assert read_subset(reader_of(w), d, k).tolist() == list(range(k))
    assert subset_rank([], 5) == 0 and subset_unrank(0, 5, 0).size == 0


def test_exact_corrupted_rank():
    d, k = 10, 3          # C(10, 3) = 120 -> 7 bits; 127 is not a rank
    w = BitWriter()
    w.write_bits(127, 7)
    with pytest.raises(TheorytoolsError, match="corrupted"):
        read_subset(reader_of(w), d, k)


# ------------------------------------------------------------------ enumerative: blocked
def _adversarial(d, k, rng):
    return {
        "random": np.sort(rng.choice(d, k, replace=False)),
        "first": np.arange(k),
        "last": np.arange(d - k, d),
        "spread": np.linspace(0, d - 1, k).astype(np.int64),
        "every_block": (np.arange(k) * (d // k)).astype(np.int64),
        "clusters": np.sort(np.unique(np.concatenate(
            [np.arange(s, min(s + 40, d)) for s in rng.choice(d, k // 40 + 1)]))[:k]),
    }


@pytest.mark.parametrize("d,k", [(10 ** 5, 1000), (10 ** 5, 5 * 10 ** 4),
                                 (10 ** 5, 9 * 10 ** 4), (10 ** 6, 10 ** 4),
                                 (20000, 3000), (4160, 2080)])
def test_blocked_bound_against_real_encodings(d, k):
    rng = np.random.default_rng(d + k)
    bound = subset_code_bits(d, k)
    optimum = (math.comb(d, k) - 1).bit_length()
    assert bound >= optimum
    for name, idx in _adversarial(d, k, rng).items():
        if idx.size != k:
            continue
        w = BitWriter()
        write_subset(w, idx, d)
        assert w.nbits <= bound, name
        assert w.nbits == subset_code_bits_of(idx, d)
        r = reader_of(w)
        assert np.array_equal(read_subset(r, d, k), idx), name
        r.expect_end()
        if name == "random":   # near-optimal on typical sets: < 0.05 bits per index
            assert w.nbits - optimum < 0.05 * min(k, d - k) + 64


def test_blocked_regime_threshold():
    d = 10 ** 6
    k_exact = max(k for k in range(1, 400) if enumerative._uses_exact(d, k))
    assert enumerative._log2_binom(d, k_exact) <= EXACT_RANK_MAX_BITS
    assert subset_code_overhead(d, k_exact) == 0
    assert subset_code_overhead(d, k_exact + 1) > 0  # blocked: bound > optimum


def test_blocked_fallback_path(monkeypatch):
    """Force the stars-and-bars description (flag 1): it decodes and respects the bound."""
    d, k = 10 ** 5, 2000
    rng = np.random.default_rng(7)
    idx = np.sort(rng.choice(d, k, replace=False))
    bound = subset_code_bits(d, k)
    monkeypatch.setattr(enumerative, "_bound_bars", lambda n, m: -1)
    w = BitWriter()
    write_subset(w, idx, d)
    monkeypatch.undo()
    assert w.getvalue()[0] >> 7 == 1            # the flag bit
    assert w.nbits <= bound
    r = reader_of(w)
    assert np.array_equal(read_subset(r, d, k), idx)
    r.expect_end()


def test_blocked_corrupted_counts():
    d, k = 10 ** 5, 2000
    w = BitWriter()
    write_subset(w, np.arange(0, 2000 * 50, 50), d)
    data = bytearray(w.getvalue())
    errors = 0
    for flip in range(0, min(len(data), 300), 7):
        bad = bytearray(data)
        bad[flip] ^= 0xFF
        try:
            out = read_subset(BitReader(bytes(bad), w.nbits), d, k)
            # a flip may decode to another valid subset; it must still be a valid one
            assert out.size == k and np.all(np.diff(out) > 0) and out[-1] < d
        except TheorytoolsError as exc:
            assert "corrupted" in str(exc) or "truncated" in str(exc)
            errors += 1
    assert errors > 0


def test_planted_fault_bound_check_fails(monkeypatch):
    """Shrinking the bound by one bit is caught by the real encodings (exact regime)."""
    d, k = 200, 20
    idx = np.arange(k)

    def bound_holds():
        w = BitWriter()
        write_subset(w, idx, d)
        return w.nbits <= enumerative.subset_code_bits(d, k)

    assert bound_holds()
    good = enumerative.subset_code_bits
    monkeypatch.setattr(enumerative, "subset_code_bits", lambda d, k: good(d, k) - 1)
    assert not bound_holds()


def test_message_integration():
    d, k = 1000, 10
    idx = np.array([0, 5, 17, 100, 101, 102, 500, 998, 999, 3])
    idx.sort()
    w = BitWriter()
    write_subset(w, idx, d)
    w.write_float_array(np.ones(k, dtype=np.float32), 32)
    msg = Message(payload=w.getvalue(), nbits=w.nbits, d=d, compressor="top_k[k=10]")
    assert msg.nbits == subset_code_bits(d, k) + 32 * k
    r = BitReader(msg.payload, msg.nbits)
    assert np.array_equal(read_subset(r, d, k), idx)
    assert np.array_equal(r.read_float_array(k, 32), np.ones(k, dtype=np.float32))
    r.expect_end()


# ------------------------------------------------------------------ fuzz: garbage in
_FUZZ_READERS = {
    "gamma_array": lambda r: r.read_gamma_array(40),
    "delta_array": lambda r: r.read_delta_array(40),
    "omega_array": lambda r: r.read_omega_array(40),
    "unary_array": lambda r: r.read_unary_array(40),
    "base3": lambda r: r.read_base3_array(100),
    "gamma": lambda r: r.read_gamma(),
    "delta": lambda r: r.read_delta(),
    "omega": lambda r: r.read_omega(),
    "array": lambda r: r.read_array(20, 13),
    "subset_exact": lambda r: read_subset(r, 300, 30),
    "subset_blocked": lambda r: read_subset(r, 10 ** 5, 2000),
    "subset_dense": lambda r: read_subset(r, 10 ** 4, 5000),
}


@pytest.mark.parametrize("name", sorted(_FUZZ_READERS))
@settings(max_examples=150, **SETTINGS)
@given(data=st.binary(max_size=600), cut=st.integers(0, 7))
def test_garbage_input_raises_only_theorytools_error(name, data, cut):
    """Random payloads decode to something or raise TheorytoolsError (never IndexError,
    never a crash: this test found an out-of-bounds read in the omega array reader)."""
    nbits = max(0, 8 * len(data) - cut)
    try:
        _FUZZ_READERS[name](BitReader(data, nbits))
    except TheorytoolsError as exc:
        assert str(exc).startswith(("truncated message", "corrupted message"))


def test_omega_array_group_beyond_uint64_is_corrupted():
    """Regression: omega(2**64-1) with its final 0 turned into a 1 announces a group of
    2**64-1 bits; the uint64 reader must call it corrupted (it once read out of bounds)."""
    w = BitWriter()
    w.write_omega(U64MAX)
    bits = w.nbits
    value = int.from_bytes(w.getvalue(), "big") >> (8 * len(w.getvalue()) - bits)
    bad = BitWriter()
    bad.write_bits(value | 1, bits)      # final 0 -> 1
    bad.write_bits(0, 9)                 # a buggy reader would return 1 here
    with pytest.raises(TheorytoolsError, match="corrupted"):
        reader_of(bad).read_omega_array(1)


@pytest.mark.parametrize("d,k", [(10 ** 5, 1000), (10 ** 5, 99000), (3 * 10 ** 5, 40000),
                                 (10 ** 4, 100), (5000, 2500)])
def test_overhead_is_bound_minus_optimum(d, k):
    optimum = (math.comb(d, k) - 1).bit_length()
    assert subset_code_overhead(d, k) == subset_code_bits(d, k) - optimum >= 0


def test_subset_code_is_fixed_matches_the_regime():
    from theorytools.codecs import BitWriter
    from theorytools.codecs.enumerative import (subset_code_bits, subset_code_is_fixed,
                                                write_subset)
    assert subset_code_is_fixed(10_000, 100) and subset_code_is_fixed(5, 0)
    assert not subset_code_is_fixed(100_000, 1_000)
    rng = np.random.default_rng(0)
    for d, k in ((10_000, 100), (300, 150)):
        for _ in range(3):
            w = BitWriter()
            write_subset(w, np.sort(rng.choice(d, k, replace=False)), d)
            assert w.nbits == subset_code_bits(d, k)


# ------------------------------------------------------------------ multiword kernels
from theorytools.codecs import _kernels as CK  # noqa: E402

_LIMB_EDGES = [0, 1, 2, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 2, U64MAX]


def _to_limbs(v: int, n: int) -> np.ndarray:
    out = np.zeros(max(n, 1), dtype=np.uint64)
    for i in range(n):
        out[i] = (v >> (64 * i)) & U64MAX
    return out


def _from_limbs(a, n) -> int:
    return sum(int(a[i]) << (64 * i) for i in range(n))


def _nlimbs(v: int) -> int:
    return (v.bit_length() + 63) // 64


_limb_lists = st.lists(st.one_of(st.sampled_from(_LIMB_EDGES), st.integers(0, U64MAX)),
                       max_size=9)


def _check_divmod(u: int, v: int):
    lu, lv = _nlimbs(u), _nlimbs(v)
    U, V = _to_limbs(u, lu + 1), _to_limbs(v, lv + 1)
    Q, R = np.zeros(lu + 2, np.uint64), np.zeros(lv + 2, np.uint64)
    lq, lr = CK.mw_divmod_kernel(U, lu, V, lv, Q, R)
    q, r = divmod(u, v)
    assert (_from_limbs(Q, lq), _from_limbs(R, lr)) == (q, r)
    assert (lq, lr) == (_nlimbs(q), _nlimbs(r))          # trimmed lengths
    C = np.zeros(lu + lv + 1, np.uint64)
    lc = CK.mw_mul_kernel(U, lu, V, lv, C)
    assert _from_limbs(C, lc) == u * v and lc == _nlimbs(u * v)


@settings(max_examples=300, **SETTINGS)
@given(_limb_lists, _limb_lists.filter(lambda a: any(a)), st.integers(0, 3))
def test_multiword_divmod_and_mul_match_python_ints(ul, vl, shape):
    """Knuth's algorithm D on 64-bit limbs (and the schoolbook product) against Python ints,
    on limb patterns that hit the rare branches (all-ones limbs: a quotient estimate of
    2^64 - 1, the add-back step; single-limb divisors; a dividend below the divisor)."""
    u = sum(x << (64 * i) for i, x in enumerate(ul))
    v = sum(x << (64 * i) for i, x in enumerate(vl))
    if shape == 1:                 # an exact multiple plus a remainder at the edge
        u = u * v + (v - 1)
    elif shape == 2:               # quotient limbs all ones
        u = v * ((1 << (64 * (len(ul) % 4 + 1))) - 1) + u % v
    _check_divmod(u, v)


@pytest.mark.parametrize("top", [2 ** 63, 2 ** 63 + 1, U64MAX, 2 ** 64 - 2])
def test_multiword_divmod_estimate_edges(top):
    """Divisors whose top limb is (near) a power of two or all ones, dividends equal to
    multiples of them minus one: the quotient estimate is corrected or added back."""
    rng = np.random.default_rng(top % 1000)
    for lv in (2, 3, 5):
        v = (top << (64 * (lv - 1))) + int(rng.integers(0, 2 ** 63)) * 3
        for q in (1, U64MAX, (1 << 128) - 1, (1 << 192) - 2):
            for r in (0, 1, v - 1):
                _check_divmod(q * v + r, v)
                _check_divmod(max(q * v - 1, 0), v)


def _mixed_radix(radix, digits) -> int:
    value = 0
    for r, dgt in zip(radix, digits):
        value = value * r + dgt
    return value


@settings(max_examples=200, **SETTINGS)
@given(st.lists(st.tuples(st.one_of(st.integers(2, 2 ** 30), st.sampled_from(
    [2, 3, 2 ** 30, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 63, U64MAX])),
    st.floats(0, 1, allow_nan=False)), max_size=300))
def test_radix_tree_conversion_matches_python_ints(pairs):
    """The divide-and-conquer mixed-radix conversion (product tree; bottom-up values;
    top-down remainder tree) against the plain Horner evaluation in Python ints: the value,
    its width ceil(log2 prod r), the digits back, and the refusal of value >= prod r."""
    radix = np.array([r for r, _ in pairs], dtype=np.uint64)
    digits = np.array([min(int(f * r), r - 1) for r, f in pairs], dtype=np.uint64)
    value = _mixed_radix(radix.tolist(), digits.tolist())
    prod = math.prod(int(r) for r in radix.tolist())
    V = np.zeros(radix.size + 3, np.uint64)
    lv, width = CK.mixed_radix_value(radix, digits, V)
    assert _from_limbs(V, lv) == value and lv == _nlimbs(value)
    assert width == (prod - 1).bit_length()
    back = np.zeros(radix.size, np.uint64)
    assert CK.mixed_radix_digits(radix, V, lv, back)
    assert np.array_equal(back, digits)
    for bad in (prod, prod + value, 2 * prod - 1):
        n = _nlimbs(bad)
        assert not CK.mixed_radix_digits(radix, _to_limbs(bad, n + 1), n, back)


def _block_case(n, k, rng, kind="random"):
    if kind == "random":
        idx = np.sort(rng.choice(n, k, replace=False))
    elif kind == "dense_blocks":           # whole blocks full, radix 1, mixed with others
        idx = np.unique(np.concatenate([np.arange(0, min(n, 64)), rng.choice(n, k, replace=False)]))[:k]
        idx = np.sort(idx)
    else:                                  # every block at the largest radix C(32, 16)
        idx = np.array([b * 32 + j for b in range(-(-n // 32)) for j in range(16)
                        if b * 32 + j < n][:k])
    idx = idx.astype(np.int64)
    nb = -(-n // 32)
    counts = np.empty(nb, np.int64)
    ranks = np.empty(nb, np.uint64)
    CK.block_ranks(idx, nb, counts, ranks)
    return idx, counts, ranks


@pytest.mark.parametrize("n,k,kind", [
    (1, 1, "random"), (33, 2, "random"), (100, 50, "random"), (16384, 8000, "random"),
    (16384 * 2 + 5, 3000, "random"), (10 ** 5, 10 ** 4, "random"),
    (10 ** 5, 5 * 10 ** 4, "random"), (5000, 800, "dense_blocks"),
    (16384 * 3, 16384 * 3 // 2, "half"), (10 ** 6, 10 ** 5, "random")])
def test_block_ranks_divide_and_conquer_equals_the_simple_conversion(n, k, kind):
    """write/read_block_ranks (radix trees, 64-bit limbs) give the same bits and the same
    positions as the simple O(n L) conversion kept as the reference (32-bit limbs, one
    multiply-add / short division of the whole group value per block)."""
    rng = np.random.default_rng(n + k)
    idx, counts, ranks = _block_case(n, k, rng, kind)
    k = idx.size
    size = n // 2 + 256
    fast, simple = np.zeros(size, np.uint64), np.zeros(size, np.uint64)
    p_fast = CK.write_block_ranks(fast, 0, n, counts, ranks)
    p_simple = CK.write_block_ranks_simple(simple, 0, n, counts, ranks)
    assert p_fast == p_simple and np.array_equal(fast, simple)
    out_fast, out_simple = np.empty(k, np.int64), np.empty(k, np.int64)
    assert CK.read_block_ranks(fast, 0, p_fast, n, counts, out_fast) == p_fast
    assert CK.read_block_ranks_simple(fast, 0, p_fast, n, counts, out_simple) == p_fast
    assert np.array_equal(out_fast, idx) and np.array_equal(out_simple, idx)
    if p_fast > 0:
        assert CK.read_block_ranks(fast, 0, p_fast - 1, n, counts, out_fast) == CK.TRUNCATED
        top = fast.copy()                  # the first group's value set to all ones
        top[0] = np.uint64(U64MAX)
        code = CK.read_block_ranks(top, 0, p_fast, n, counts, out_fast)
        assert code == CK.read_block_ranks_simple(top, 0, p_fast, n, counts, out_simple)


@settings(max_examples=120, **SETTINGS)
@given(st.integers(1, 3000).flatmap(
    lambda d: st.tuples(st.just(d), st.sets(st.integers(0, d - 1), min_size=1,
                                            max_size=min(d, 300)))))
def test_colex_kernels_equal_the_python_reference(case):
    """The exact-regime rank/unrank kernels (64-bit limbs) equal the Python big-int ones,
    and an out-of-range rank is refused (the greedy leaves a nonzero remainder)."""
    d, s = case
    idx = np.array(sorted(s), dtype=np.int64)
    k = idx.size
    cap = enumerative._log2_cap(d, k)
    limbs, n = CK.colex_rank(idx, cap)
    rank = enumerative._colex_rank(idx)
    assert _from_limbs(limbs, n) == rank
    out = np.empty(k, np.int64)
    assert CK.colex_unrank(_to_limbs(rank, cap), cap, d, k, cap, out)
    assert np.array_equal(out, idx)
    assert np.array_equal(out, enumerative._colex_unrank(rank, d, k))
    total = math.comb(d, k)
    for bad in (total, total + rank, 2 * total - 1):
        if _nlimbs(bad) <= cap:
            assert not CK.colex_unrank(_to_limbs(bad, cap), cap, d, k, cap, out)


@pytest.mark.parametrize("d,k", [(10 ** 7, 240), (10 ** 7, 250), (2 ** 31, 60), (2 ** 32 - 1, 40),
                                 (10 ** 6, 300), (9300, 558), (3594, 1577)])
def test_colex_kernels_large_and_dense(d, k):
    """Sparse sets in huge ranges (float bisection, C(c, i) from scratch, walks up and
    down) and dense ones (long exact walks), against the Python reference."""
    rng = np.random.default_rng(k)
    for idx in (np.sort(rng.choice(d, k, replace=False)), np.arange(k), np.arange(d - k, d),
                np.linspace(0, d - 1, k).astype(np.int64)):
        idx = idx.astype(np.int64)
        rank = enumerative._colex_rank(idx)
        assert subset_rank(idx, d) == rank
        assert np.array_equal(subset_unrank(rank, d, k), idx)
        w = BitWriter()
        write_subset(w, idx, d)
        assert w.nbits <= subset_code_bits(d, k)
        if enumerative.subset_code_is_fixed(d, k):
            assert w.nbits == (math.comb(d, k) - 1).bit_length()
        assert np.array_equal(read_subset(reader_of(w), d, k), idx)


def test_subset_rank_beyond_the_kernel_range_uses_python_ints():
    d = 2 ** 33
    idx = np.array([5, 2 ** 32 + 7, d - 1])
    rank = subset_rank(idx, d)
    assert rank == math.comb(5, 1) + math.comb(2 ** 32 + 7, 2) + math.comb(d - 1, 3)
    assert subset_unrank(rank, d, 3).tolist() == idx.tolist()


@pytest.mark.parametrize("offset", [0, 1, 63, 64, 65])
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000])
def test_flag_arrays_equal_one_bit_fields(n, offset):
    rng = np.random.default_rng(n + offset)
    flags = rng.random(n) < 0.5
    a, b = BitWriter(), BitWriter()
    a.write_bits((1 << offset) - 1, offset)
    b.write_bits((1 << offset) - 1, offset)
    a.write_flag_array(flags)
    b.write_array(flags.astype(np.uint64), 1)
    assert a.nbits == b.nbits == offset + n and a.getvalue() == b.getvalue()
    r = reader_of(a)
    r.read_bits(offset)
    assert np.array_equal(r.read_flag_array(n), flags)
    r.expect_end()
    with pytest.raises(TheorytoolsError, match="truncated"):
        reader_of(a).read_flag_array(offset + n + 1)
    with pytest.raises(TheorytoolsError, match="flags"):
        BitWriter().write_flag_array(np.array([0, 2]))


def test_read_array_into_narrow_dtypes():
    values = np.arange(1000, dtype=np.uint64) * 37 % 4096
    w = BitWriter()
    w.write_array(values.astype(np.uint16), 12)        # narrow input: same bits
    w2 = BitWriter()
    w2.write_array(values, 12)
    assert w.getvalue() == w2.getvalue()
    for dtype in (np.uint16, np.uint32, np.uint64):
        out = reader_of(w).read_array(1000, 12, dtype=dtype)
        assert out.dtype == dtype and np.array_equal(out, values)
    with pytest.raises(TheorytoolsError, match="dtype"):
        reader_of(w).read_array(1000, 12, dtype=np.uint8)
    with pytest.raises(TheorytoolsError, match="dtype"):
        reader_of(w).read_array(1000, 12, dtype=np.int64)
