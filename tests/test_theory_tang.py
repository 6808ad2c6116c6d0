"""Tang et al. 2018 theorems: registered checks pass; planted faults fail."""
import pytest

from theorytools.theory import tang2018 as T
from theorytools.theory.registry import REGISTRY


def _run(key, **params):
    results = REGISTRY[key].run_checks(True, **params)
    assert results
    return all(c.passed for _, c in results), results


@pytest.mark.parametrize("key", ["tang2018.dcd_exact_moments", "tang2018.dcd_stability",
                                 "tang2018.ecd_estimation_error"])
def test_registered_checks_pass(key):
    ok, results = _run(key)
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]


def test_planted_compressor_mismatch_fails_the_simulator_mean():
    """The exact moments for p = 0.6 against a simulator running p = 0.3: detected."""
    ok, results = _run("tang2018.dcd_exact_moments", simulated_p=0.3)
    assert not ok


def test_planted_wrong_threshold_formula_fails():
    ok, _ = _run("tang2018.dcd_stability", complete_formula=1.0)
    assert not ok
    # an unconfirmed constant inflated 30x makes Tang's condition exceed the exact threshold
    ok, _ = _run("tang2018.dcd_stability", condition_factor=30.0)
    assert not ok


def test_planted_wrong_ecd_closed_form_fails():
    ok, _ = _run("tang2018.ecd_estimation_error",
                 closed_form=lambda t, s: s / (t - 1) + s / t)
    assert not ok


def test_leading_term_exponents():
    ok, results = _run("tang2018.leading_term")
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]
    ok, _ = _run("tang2018.leading_term", predicted_n=-1.0)
    assert not ok
