"""Top-k's tie-breaking, as documented (``TopK`` docstring, docs/compressors.md §4): among
entries of equal magnitude the smallest indices are kept, i.e. S = the first k indices of a
stable sort by decreasing |x_i|; +0 and -0 tie, as do x_i and -x_i. Checked through the public
``compress`` on both sides of the kernel's switch from a stable sort to radix selection
(``TOP_K_SORT_BELOW`` = 2048), for float64 and float32 input; the checker is shown to fail on
a planted fault (ties broken towards the largest index).
"""
import numpy as np
import pytest

from theorytools.compressors import _kernels as K
from theorytools.compressors import create


def documented_support(x, k):
    """The documented rule, written independently of the kernels: sort the indices by
    (-|x_i|, i) with Python's sort and keep the first k."""
    order = sorted(range(len(x)), key=lambda i: (-abs(float(x[i])), i))
    return sorted(order[:k])


def tie_violations(select, x, k):
    """Where select(x, k) (sorted kept indices) differs from the documented rule."""
    got = list(np.asarray(select(x, k)))
    want = documented_support(x, k)
    if got == want:
        return []
    return [(sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])]


def via_compress(x, k):
    """The kept indices of the public compressor (every tie below has nonzero magnitude,
    except the signed-zero case, which is checked on the support of encode)."""
    c = create(f"top_k[k={k}]", float_width=64)
    idx, _ = c._sample(c.validate(x), None)
    y = c.compress(x)
    assert np.array_equal(y[idx], np.asarray(x, dtype=np.float64)[idx])
    assert np.count_nonzero(y) == np.count_nonzero(np.asarray(x)[idx])
    return idx


def tie_inputs(d, rng):
    """Heavy ties: few magnitudes with random signs; all equal; equal with signed zeros;
    equal magnitude of opposite sign interleaved; a few large entries over a tied floor."""
    floor = np.full(d, 2.0)
    floor[rng.choice(d, 5, replace=False)] = 7.0
    return [rng.integers(-3, 4, d).astype(float),
            np.ones(d),
            np.where(rng.random(d) < 0.5, 1.5, -1.5),
            np.where(np.arange(d) % 2 == 0, -0.25, 0.25),
            floor,
            np.where(rng.random(d) < 0.5, 0.0, -0.0)]


@pytest.mark.parametrize("d", [7, 100, K.TOP_K_SORT_BELOW - 1, K.TOP_K_SORT_BELOW, 5000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ties_keep_the_smallest_indices(d, dtype):
    rng = np.random.default_rng(d)
    path = "sort" if d < K.TOP_K_SORT_BELOW else "radix"
    for x in tie_inputs(d, rng):
        x = x.astype(dtype)
        for k in sorted({1, 2, 5, d // 3, d // 2, d - 1, d} - {0}):
            assert not tie_violations(via_compress, x, k), (path, d, k, x[:6])


def test_ties_small_examples():
    c = create("top_k[k=2]", float_width=64)
    assert np.array_equal(c.compress(np.array([1.0, -3.0, 3.0, 2.0, -3.0])),
                          [0.0, -3.0, 3.0, 0.0, 0.0])
    c3 = create("top_k[k=3]", float_width=64)
    assert np.array_equal(c3.compress(np.array([2.0, -2.0, 2.0, -2.0])), [2.0, -2.0, 2.0, 0.0])
    # +0 and -0 tie: the first two indices are the support (visible in the kept values' signs)
    idx, vals = c._sample(np.array([0.0, -0.0, 0.0]), None)
    assert list(idx) == [0, 1] and np.signbit(vals).tolist() == [False, True]


def test_tie_checker_fails_on_a_planted_fault():
    """PLANTED FAULT: ties broken towards the LARGEST index (select on the reversed vector)."""
    def largest_index_first(x, k):
        d = len(x)
        return np.sort(d - 1 - K.top_k_indices(np.ascontiguousarray(x[::-1]), k))

    rng = np.random.default_rng(1)
    for d in (100, 5000):                    # both kernel paths
        found = sum(len(tie_violations(largest_index_first, x, d // 3))
                    for x in tie_inputs(d, rng))
        assert found >= 4, d


@pytest.mark.parametrize("d", [50, 3000])
def test_float32_keys_select_like_float64(d):
    """float32 input is keyed by its own 32 bits (``_kernels._abs_key``): both selection paths
    keep the same set as for the float64 conversion, with ties, signed zeros and subnormals."""
    rng = np.random.default_rng(d)
    x = rng.integers(-4, 5, d).astype(np.float32) * np.float32(0.5)
    x[::5] = np.float32(-0.0)
    x[1::7] = np.float32(1e-42) * rng.integers(1, 4, x[1::7].size)   # float32 subnormals
    x[2::11] = rng.standard_normal(x[2::11].size).astype(np.float32)
    for k in (1, 3, d // 4, d // 2, d - 1, d):
        want = documented_support(x, k)
        for select in (K._top_k_indices_sorted, K._top_k_indices_radix, K.top_k_indices):
            assert list(select(x, k)) == want, (select, k)
            assert list(select(x.astype(np.float64), k)) == want, (select, k)
