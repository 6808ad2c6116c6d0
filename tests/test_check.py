"""The checkers of theorytools.check: each kind passes on a true claim and FAILS on a planted
fault (a wrong constant, a missing scale, a biased compressor declared unbiased)."""
import math

import numpy as np
import pytest

from theorytools import check
from theorytools.compressors import create


def test_check_shape_and_ratio():
    c = check.bound(0.5, 1.0)
    assert c.as_tuple() == (0.5, 1.0, "PASS", "")
    assert c.ratio == 0.5 and c.kind == "bound" and c.method == "exact"
    with pytest.raises(ValueError):
        check.Check("nonsense", 1.0, 1.0, True)
    assert math.isnan(check.bound(0.0, 0.0).ratio)


def test_bound_exact_and_lower():
    assert check.bound(1.0 + 1e-14, 1.0).passed            # rounding allowance
    assert not check.bound(1.0 + 1e-6, 1.0).passed         # planted: bound too small
    assert check.bound(2.0, 1.0, lower=True).passed
    assert not check.bound(0.9, 1.0, lower=True).passed


def test_bound_statistical_uses_one_sided_hoeffding():
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 1, 20000)                           # mean 0.5
    ok = check.bound(None, 0.53, samples=z, value_range=1.0)
    assert ok.passed and ok.replicates == 20000 and "Hoeffding" in ok.method
    # the mean is below 0.5 + radius but the one-sided bound must clear the claim
    assert not check.bound(None, 0.5, samples=z, value_range=1.0).passed
    with pytest.raises(ValueError):
        check.bound(None, 1.0, samples=z)


def test_tight_band():
    assert check.tight(0.99, 1.0, (0.98, 1.0)).passed
    assert not check.tight(0.9, 1.0, (0.98, 1.0)).passed   # planted: missing 10% scale


def test_law_identity_to_rounding():
    x = np.linspace(1, 2, 7)
    assert check.law(x * (1 + 1e-15), x).passed
    bad = check.law(x * (1 + 1e-9), x)                     # planted: a wrong digit
    assert not bad.passed and bad.kind == "law"
    assert check.law(1e-17, 0.0, atol=1e-12).passed
    assert not check.law(np.nan, 1.0).passed


@pytest.mark.parametrize("method", ["hoeffding", "empirical-bernstein", "t"])
def test_mean_equals_and_a_biased_compressor_declared_unbiased(method):
    """Unbiasedness by sampling along a fixed direction v (checks (docs/sources.md#checks)): Rand-k scaled passes;
    the unscaled (biased) Rand-k, planted as if unbiased, fails."""
    d, k, samples = 20, 5, 4000
    x = np.random.default_rng(1).standard_normal(d)
    v = x / np.linalg.norm(x)
    for name, should_pass in (("rand_k", True), ("rand_k_biased", False)):
        comp = create(name, k=k, float_width=64)
        z = np.array([comp.compress(x, s) @ v for s in range(samples)])
        lo, hi = comp.law(x).linear_range(v)
        c = check.mean_equals(z, float(x @ v), value_range=hi - lo, method=method)
        assert c.passed is should_pass, (name, c.details)
    with pytest.raises(ValueError):
        check.mean_equals(z, 0.0, value_range=1.0, method="bernstein")


def test_slope_agree_and_one_sided():
    rng = np.random.default_rng(2)
    x = np.log(np.geomspace(1, 100, 8))
    Y = np.array([1.0 * x + 0.3 + 0.01 * rng.standard_normal(8) for _ in range(10)])
    slopes = check.fit_slopes(x, Y)
    assert np.allclose(slopes, 1.0, atol=0.02)
    assert check.slope(slopes, 1.0).passed
    assert not check.slope(slopes, 2.0).passed             # planted: wrong exponent
    assert not check.slope(slopes, 0.5).passed             # planted: missing scale
    c = check.slope(slopes, 0.9, alternative="at_least")
    assert c.passed and c.level == 0.95 and c.replicates == 10
    assert not check.slope(slopes, 1.1, alternative="at_least").passed
    assert check.slope(slopes, 1.1, alternative="at_most").passed
    assert not check.slope([np.nan, 1.0], 1.0).passed
    with pytest.raises(ValueError):
        check.slope(slopes, 1.0, alternative="sideways")


def test_diverges():
    seq = 2.0 * 1.5 ** np.arange(30)
    c = check.diverges(seq, 1.5, rtol=1e-12)
    assert c.passed and math.isclose(c.empirical, 1.5, rel_tol=1e-12)
    assert not check.diverges(seq, 1.6).passed             # planted: wrong factor
    assert not check.diverges(0.9 ** np.arange(30)).passed  # converges: not a divergence
    assert not check.diverges([1.0, np.inf]).passed


def test_radii():
    assert math.isclose(check.hoeffding_radius(1.0, 100, 1e-9),
                        math.sqrt(math.log(2e9) / 200))
    assert check.hoeffding_radius(1.0, 100, two_sided=False) < check.hoeffding_radius(1.0, 100)
    z = np.random.default_rng(0).uniform(0, 1, 1000)
    assert 0 < check.empirical_bernstein_radius(z, 1.0) < 1
    m, lo, hi = check.t_interval([1.0, 2.0, 3.0])
    assert lo < m == 2.0 < hi


def test_bound_with_a_student_t_bound_passes_and_fails_where_it_should():
    import numpy as np

    from theorytools import check

    z = np.random.default_rng(0).normal(1.0, 0.1, 400)
    ok = check.bound(None, 1.1, samples=z, method="t")
    assert ok.passed and ok.interval[1] < 1.1 and "Student-t" in ok.describe()
    assert not check.bound(None, 1.0, samples=z, method="t").passed   # the mean sits at 1
    assert check.bound(None, 0.9, samples=z, method="t", lower=True).passed
    assert not check.bound(None, 1.1, samples=z[:3], method="t").passed  # too few: huge bound
    import pytest
    with pytest.raises(ValueError, match="method"):
        check.bound(None, 1.0, samples=z, method="bootstrap")
