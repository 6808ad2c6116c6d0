"""Spherical compression with a projection (OUR variant ``spherical_projection``,
docs/optimal_compression.md §3b; the authors' ``spherical`` is tested in
tests/test_spherical_authors.py):
sure per-sample distortion, exact law vs the average-case cap formula, exact expected bits vs
sampling (Hoeffding, p_fail 1e-9), the gap to the average-case bound, the fallback path, bad
parameters and planted faults."""
import math

import numpy as np
import pytest

from theorytools.bounds import average_case_bits, average_case_distortion_bits, cap_measure
from theorytools.compressors import create
from theorytools.compressors.contract import check_codec, check_support, hoeffding_radius
from theorytools.compressors.spherical import (SphericalProjection, block_sizes, cap_moments,
                                               default_block)
from theorytools.errors import TheorytoolsError
from theorytools.random import draw_key


@pytest.mark.parametrize("alpha, block", [(0.5, 6), (0.25, 4), (0.9, 30), (0.1, 3)])
def test_distortion_is_sure_per_sample_and_per_block(alpha, block):
    c = SphericalProjection(alpha, block, float_width=64)
    rng = np.random.default_rng(1)
    d = 2 * block + 1
    starts, sizes = c.layout(d)
    for trial in range(5):
        x = rng.standard_normal(d) * (10.0 ** rng.integers(-5, 5))
        for seed in range(10):
            out = c.compress(x, seed)
            for s, b in zip(starts, sizes):
                xj, cj = x[s:s + b], out[s:s + b]
                assert np.sum((cj - xj) ** 2) <= alpha * (xj @ xj) * (1 + 1e-12)


@pytest.mark.parametrize("alpha, b", [(0.5, 2), (0.5, 10), (0.1, 5), (0.9, 3), (0.25, 12)])
def test_cap_moments_match_the_average_case_cell_distortion(alpha, b):
    prob, m2, m4 = cap_moments(alpha, b)
    assert math.isclose(prob, cap_measure(alpha, b), rel_tol=1e-12)
    # 1 - E[t^2 | cap] is D_cap(1/P, b) of P2 average-case lower bound (docs/sources.md#lower-bounds) (bounds.average_case_distortion_bits)
    assert math.isclose(1 - m2, average_case_distortion_bits(-math.log2(prob), b), rel_tol=1e-9)
    assert m2 * m2 <= m4 <= m2 and 1 - m2 <= alpha


def test_sampled_first_hits_match_the_geometric_law_hoeffding():
    """Statistic Z = sum_j min(q_j, 8), q_j the Rice quotient of block j: exact expectation
    from the geometric law, range [0, 8 * blocks], Hoeffding at p_fail 1e-9."""
    c = SphericalProjection(0.5, 8)
    d = 16
    x = np.random.default_rng(0).standard_normal(d)
    _, sizes = c.layout(d)
    exact = 0.0
    for b in sizes:
        k, prob = c.block_constants(b)["rice_k"], c.block_constants(b)["prob"]
        r = (1 - prob) ** (1 << k)
        exact += sum(r ** i for i in range(1, 9))
    samples = 3000
    values = []
    for seed in range(samples):
        _, index, _, _ = c._sample(x, draw_key(seed))
        ks = [c.block_constants(b)["rice_k"] for b in sizes]
        values.append(sum(min((int(i) - 1) >> k, 8) for i, k in zip(index, ks)))
    radius = hoeffding_radius(8 * len(sizes), samples)
    assert abs(np.mean(values) - exact) <= radius


def test_expected_bits_exact_and_gap_to_average_case_bound():
    """E[index bits] - log2(1/P) (= the average-case bound at SC's own average distortion,
    norm excluded on both sides) stays below 3 bits; our derived claim, computed exactly."""
    for alpha, b in [(0.5, 10), (0.25, 8), (0.1, 5), (0.9, 40), (0.75, 20), (0.5, 16)]:
        c = SphericalProjection(alpha, b)
        consts = c.block_constants(b)
        x = np.random.default_rng(b).standard_normal(b)
        assert math.isclose(c.expected_bits(x), 32 + consts["rice_expected"]
                            + consts["fallback"] * 32 * b, rel_tol=1e-12)
        bound = average_case_bits(1 - consts["m2"], b)
        assert math.isclose(bound, -math.log2(consts["prob"]), rel_tol=1e-6)
        gap = c.expected_bits(x) - 32 - bound
        assert 0 < gap < 3, (alpha, b, gap)


def test_explicit_mode_costs_the_64_bit_key_and_roundtrips():
    c = SphericalProjection(0.5, 5)
    x = np.random.default_rng(2).standard_normal(12)
    shared, explicit = c.encode(x, 7, shared=True), c.encode(x, 7)
    assert explicit.nbits == shared.nbits + 64
    assert np.array_equal(c.decode(shared), c.compress(x, 7))
    assert np.array_equal(c.decode(explicit), c.compress(x, 7))


def test_fallback_sends_the_block_raw():
    c = SphericalProjection(0.01, 6, max_index=2, float_width=64)  # P ~ 1e-6: two tries never hit
    x = np.random.default_rng(3).standard_normal(12)
    out = c.compress(x, 1)
    assert np.array_equal(out, x)
    assert not [r for r in check_codec(c, x, "fallback") if not r.passed]
    q = c.block_constants(6)["fallback"]
    assert q > 0.99
    assert c.law(x).moments(x).error < 1e-2 * (x @ x)


def test_blocks_and_defaults():
    assert list(block_sizes(10, 4)) == [4, 3, 3]
    assert list(block_sizes(7, 7)) == [7]
    assert default_block(0.5, 3) == 3
    assert -math.log2(cap_measure(0.5, default_block(0.5, 1000))) <= 10


@pytest.mark.parametrize("spec, match", [
    ("spherical[alpha=0]", "alpha must be > 0"), ("spherical[alpha=1]", "alpha must be < 1"),
    ("spherical[block=1]", "block must be >= 2"), ("spherical[max_index=0]", "max_index"),
])
def test_bad_parameters(spec, match):
    with pytest.raises(TheorytoolsError, match=match):
        create(spec)


# ----------------------------------------------------------------------------- planted faults
class _WideCap(SphericalProjection):
    """Planted: searches a cap of radius 2 alpha but claims alpha (the law says alpha)."""

    def _sample(self, x, key):
        wide = SphericalProjection(min(0.99, 2 * self.params["alpha"]), self.params["block"],
                         self.params["max_index"], self.float_width)
        return wide._sample(x, key)


class _ShortRiceBudget(SphericalProjection):
    def bits_budget(self, x, *, shared=False):
        return self.bits(x, 0, shared=shared) - 1


def test_planted_wide_cap_fails_the_sure_support_check():
    c = _WideCap(0.2, 4, float_width=64)
    x = np.random.default_rng(5).standard_normal(8)
    results = check_support(c, x, "gaussian", seeds=range(40))
    assert any(r.check == "support" and not r.passed for r in results)


def test_planted_short_budget_fails():
    c = _ShortRiceBudget(0.5, 4)
    x = np.random.default_rng(6).standard_normal(8)
    assert any(r.check.startswith("bits<=budget") and not r.passed
               for r in check_codec(c, x, "gaussian", seeds=(0,)))
