"""theorytools.testing: the public assertions on plain callables and Compressor objects, each
shown to pass on a correct compressor and to FAIL on a planted fault."""
import math

import numpy as np
import pytest
from hypothesis import given

import theorytools.testing as tt
from theorytools.compressors import create
from theorytools.compressors.contract import run_contract
from theorytools.errors import TheorytoolsError
from theorytools.testing.strategies import KINDS, dimensions, vectors

X = np.array([1.0, -2.0, 0.5, 3.0, 0.0, 1.0])


def rand_k_unscaled(x, seed, k=2):
    rng = np.random.default_rng(seed)
    y = np.zeros_like(x)
    idx = rng.choice(x.size, k, replace=False)
    y[idx] = x[idx]
    return y


def rand_k(x, seed, k=2):
    return rand_k_unscaled(x, seed, k) * (x.size / k)


def test_unbiased_passes_and_the_unscaled_rand_k_fails():
    est = tt.assert_unbiased(rand_k, X, max_norm_ratio=3.0, samples=3000)
    assert est.samples == 3000 and est.value < 0.2
    with pytest.raises(AssertionError) as info:
        tt.assert_unbiased(rand_k_unscaled, X, max_norm_ratio=1.0, samples=3000)
    msg = str(info.value)
    # the message names the compressor, the direction, the estimate with its interval, the input
    assert "rand_k_unscaled" in msg and "confidence interval" in msg and "input x (d = 6)" in msg
    assert "unbiased" in msg and "3000 samples" in msg


def test_variance_bound_passes_at_the_truth_and_fails_below_it():
    # scaled Rand-k: E||C(x)-x||^2 = (d/k - 1)||x||^2 = 2||x||^2 at d = 6, k = 2
    tt.assert_variance_at_most(rand_k, X, 2.0, max_norm_ratio=3.0, samples=4000)
    # the Hoeffding half-width at range (1 + K)^2 = 16 and 4000 samples is 0.83
    with pytest.raises(AssertionError, match=r"omega = 1\n"):
        tt.assert_variance_at_most(rand_k, X, 1.0, max_norm_ratio=3.0, samples=4000)


def test_sample_size_comes_from_the_range():
    small = tt.estimate(rand_k, X, max_norm_ratio=3.0, resolution=2.0)["error"]
    large = tt.estimate(rand_k, X, max_norm_ratio=3.0, resolution=1.0)["error"]
    assert large.samples > 3 * small.samples
    half = (small.high - small.low) / 2
    assert math.isclose(half, 16 * math.sqrt(math.log(2 / (1e-9 / 3)) / (2 * small.samples)))


def test_without_a_declared_range_the_message_says_pilot():
    est = tt.estimate(rand_k, X, samples=500)["second"]
    assert "pilot" in est.range_source and "NOT a proven bound" in est.range_source


def test_exceeding_the_declared_range_is_reported():
    with pytest.raises(AssertionError, match="max_norm_ratio"):
        tt.assert_unbiased(rand_k, X, max_norm_ratio=1.0, samples=200)


def test_exact_path_for_a_compressor_with_a_law():
    c = create("top_k[k=2]")
    est = tt.assert_contraction(c, np.ones(6), 3)          # attained: 1 - k/d = 2/3
    assert est.samples == 0 and math.isclose(est.value, 2 / 3)
    with pytest.raises(AssertionError, match="delta = 2.9"):
        tt.assert_contraction(c, np.ones(6), 2.9)
    tt.assert_b1(create("rand_k[k=2]"), X, 3.0, 3.0)       # B1(d/k, d/k), exactly
    with pytest.raises(AssertionError, match="b1_alpha"):
        tt.assert_b1(create("rand_k[k=2]"), X, 3.5, 3.0)


def test_sampled_b2_on_a_deterministic_callable():
    def halve(x, seed):
        return x / 2            # <C(x), x> = ||x||^2/2, ||C||^2 = ||x||^2/4
    halve.randomized = False    # one call decides
    tt.assert_b2(halve, X, 0.5, 0.5)
    with pytest.raises(AssertionError, match="b2_gamma"):
        tt.assert_b2(halve, X, 0.6, 0.5)
    with pytest.raises(AssertionError, match="b2_beta"):
        tt.assert_b2(halve, X, 0.5, 0.4)


def test_deterministic_distortion():
    def shrink(x, seed):        # ||C(x) - x||^2 = 0.01 ||x||^2 except with seed 17
        return x * (0.9 if seed != 17 else 0.5)
    tt.assert_deterministic_distortion(shrink, X, 0.01, seeds=range(10))
    with pytest.raises(AssertionError, match="seed 17"):
        tt.assert_deterministic_distortion(shrink, X, 0.01, seeds=range(32))
    est = tt.estimate(shrink, X, samples=50)["error"]      # randomised by default: sampled
    assert est.samples == 50
    tt.assert_deterministic_distortion(create("spherical[alpha=0.5,block=6]"), X, 0.5)


def test_roundtrip():
    c = create("rand_k[k=2]")
    tt.assert_roundtrip(c.encode, c.decode, c, X, seed=3)

    def flip(message):
        y = c.decode(message)
        return -y
    with pytest.raises(AssertionError, match="decode\\(encode\\(x\\)\\) != compress"):
        tt.assert_roundtrip(c.encode, flip, c, X, seed=3)


def test_bits_against_the_lower_bound():
    lb = tt.assert_bits_at_least_lower_bound(10, 3, 0.75)
    assert lb == pytest.approx(2.0)
    with pytest.raises(AssertionError, match="worst-case lower bound"):
        tt.assert_bits_at_least_lower_bound(1, 3, 0.75)
    tt.assert_bits_at_least_lower_bound(6, 10, 0.5, case="average")   # bound 5.74
    with pytest.raises(TheorytoolsError, match="case"):
        tt.assert_bits_at_least_lower_bound(5, 10, 0.5, case="typical")


def test_bad_arguments_are_named():
    with pytest.raises(TheorytoolsError, match="x must be"):
        tt.assert_unbiased(rand_k, [1.0, math.nan])
    with pytest.raises(TheorytoolsError, match="delta must be >= 1"):
        tt.assert_contraction(rand_k, X, 0.5)
    with pytest.raises(TheorytoolsError, match="omega must be a finite number"):
        tt.assert_variance_at_most(rand_k, X, math.inf)
    with pytest.raises(TheorytoolsError, match="callable"):
        tt.assert_unbiased(42, X)


def test_contract_suite_decides_with_the_public_claim_slack(monkeypatch):
    """One implementation: breaking testing.claim_slack breaks the contract suite's verdicts."""
    c = create("top_k[k=2]")
    assert all(r.passed for r in run_contract(c, 6))
    monkeypatch.setattr(tt, "claim_slack", lambda name, v, e, s, i: (e, v, -1.0))
    assert any(not r.passed for r in run_contract(c, 6))


@given(vectors(d=dimensions(1, 12), kind="any"))
def test_strategies_give_finite_vectors_and_builtins_pass(x):
    assert x.dtype == np.float64 and x.ndim == 1 and 1 <= x.size <= 12
    assert np.all(np.isfinite(x))
    if np.any(x):
        tt.assert_contraction(create("top_k[k=1]", float_width=64), x, x.size)


@pytest.mark.parametrize("kind", KINDS)
def test_each_family(kind):
    from hypothesis import find
    x = find(vectors(d=5, kind=kind), lambda v: True)
    assert x.shape == (5,) and np.all(np.isfinite(x))
    with pytest.raises(TheorytoolsError, match="kind"):
        vectors(d=5, kind="gaussian")
