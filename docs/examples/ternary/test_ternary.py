"""A complete user test file for an invented compressor (docs/testing.md). Copy it next to
your own compressor: it needs theorytools (with its dev extra: pytest, hypothesis) and nothing
else; the pytest plugin comes with theorytools."""
import numpy as np
import pytest
from hypothesis import given, settings

from theorytools.compressors import create
from theorytools.pytest_plugin import compressor_contract
from theorytools.testing import (assert_bits_at_least_lower_bound, assert_roundtrip,
                                 assert_unbiased, assert_variance_at_most)
from theorytools.testing.strategies import vectors

from ternary_example import Ternary

# 1. The whole contract, at four dimensions, as parametrised tests with readable ids
#    (test_ternary_contract[ternary-d=8-theory], ...), plus a user-given extremal input.
test_ternary_contract = compressor_contract(
    Ternary(), dims=(1, 3, 8, 40),
    extremal={"omega": [np.array([2.0, 2 / (np.sqrt(3) + 1), -2 / (np.sqrt(3) + 1)])]})


# 2. The same through the marker, for the float64 wire format.
@pytest.mark.compressor_contract(Ternary(float_width=64), dims=(2, 5))
def test_ternary_float64(contract_case):
    contract_case.check()


# 3. Black-box assertions on a plain function (no Compressor needed): sampled, with
#    Hoeffding intervals at p_fail = 1e-9 and the sure range ||C(x)|| <= sqrt(d) ||x||.
def ternary(x, seed):
    return Ternary(float_width=64).compress(x, seed)


@settings(derandomize=True, deadline=None, max_examples=10)   # reproducible; no timing
@given(vectors(d=6, kind="adversarial"))
def test_unbiased_and_variance_on_adversarial_inputs(x):
    if not np.any(x) or np.max(np.abs(x)) > 1e300 or np.max(np.abs(x)) < 1e-300:
        return                       # zero, or squares outside the float64 range
    K = np.sqrt(x.size)
    assert_unbiased(ternary, x, max_norm_ratio=K, samples=2000)
    assert_variance_at_most(ternary, x, (np.sqrt(6) - 1) / 2, max_norm_ratio=K, samples=2000)


def test_roundtrip_and_bits():
    c = Ternary()
    x = np.random.default_rng(1).standard_normal(50)
    message = assert_roundtrip(c.encode, c.decode, c, x, seed=7)
    assert message.nbits == 32 + 2 * 50
    # distortion (sqrt(d) - 1)/2 >= 1 at d = 50: the lower bounds are trivial there; at d = 3
    # the claim omega = 0.366 < 1 makes the worst-case bound non-trivial (1.1 bits)
    assert_bits_at_least_lower_bound(c.bits_budget(np.zeros(3)), 3, (np.sqrt(3) - 1) / 2)


def test_registered_through_the_entry_point():
    c = create("ternary[float_width=64]")
    assert isinstance(c, Ternary) and c.canonical_name == "ternary[float_width=64]"
