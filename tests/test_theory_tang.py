"""Tang et al. 2018 theorems: registered checks pass; planted faults fail."""
import numpy as np
import pytest

from theorytools.errors import TheorytoolsError
from theorytools.theory import tang2018 as T
from theorytools.theory.registry import REGISTRY


def _run(key, **params):
    results = REGISTRY[key].run_checks(True, **params)
    assert results
    return all(c.passed for _, c in results), results


def _verdicts(key, theorem=None, **params):
    """label -> passed, for the quick checks of ``key`` (or of a planted ``theorem``)."""
    th = theorem or REGISTRY[key]
    return {label: c.passed for label, c in th.run_checks(True, **params)}


def _assert_series(results, exempt=()):
    """Every check with an iteration axis carries a curve for the report (<= 200 points)."""
    for label, c in results:
        if any(label.startswith(e) for e in exempt):
            continue
        from theorytools.report import Series
        s = c.extra.get("series")
        assert isinstance(s, Series), label
        for curve in s.curves:
            x = np.asarray(curve.x)
            assert 1 <= x.size <= 201, label
            for key in ("y", "lo", "hi", "bound", "bits"):
                if getattr(curve, key) is not None:
                    assert np.asarray(getattr(curve, key)).shape == x.shape, (label, key)


@pytest.mark.parametrize("key", ["tang2018.dcd_exact_moments", "tang2018.dcd_stability",
                                 "tang2018.ecd_estimation_error",
                                 "tang2018.naive_compression_floor",
                                 "tang2018.choco_nonconvex_bound"])
def test_registered_checks_pass(key):
    ok, results = _run(key)
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]
    # the thresholds and the contraction constant have no iteration axis
    _assert_series(results, exempt=("complete[", "ring8_threshold", "tang_condition",
                                    "contraction"))


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


def test_planted_faults_fail_the_stability_runs():
    # exact moments for p = 0.6 against runs at p = 0.5
    assert not _verdicts("tang2018.dcd_stability", simulated_p_runs=0.5)["ring8_runs[p=0.6]"]
    # a compressor below the threshold passed as the diverging case
    assert not _verdicts("tang2018.dcd_stability", above_p=0.6)["ring8_exact[p=0.6]"]


def test_planted_wrong_ecd_closed_form_fails():
    ok, _ = _run("tang2018.ecd_estimation_error",
                 closed_form=lambda t, s: s / (t - 1) + s / t)
    assert not ok


def test_leading_term_exponents():
    ok, results = _run("tang2018.leading_term")
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]
    _assert_series(results)
    ok, _ = _run("tang2018.leading_term", predicted_n=-1.0)
    assert not ok


# --------------------------------------------------------------------------- exact moments
def test_bernoulli_moments_equal_the_dcd_recursion_and_the_enumeration():
    from theorytools.algorithms.exact_moments import dcd_bernoulli_moments
    from theorytools.topology import ring

    W = ring(8).W
    a = np.array([1.0, 2.0, 4.0])
    c = np.random.default_rng(0).standard_normal((8, 3))
    x0 = np.array([0.3, -1.0, 2.0])
    for p in (1.0, 0.6):
        ref = dcd_bernoulli_moments(W, a, c, 0.05, p, 200, sigma=0.7, weights=a ** 2, x0=x0)
        dist, cons = T.bernoulli_moments("dcd", W, a, c, 0.05, p, 200, sigma=0.7,
                                         weights=a ** 2, x0=x0)
        assert np.allclose(dist, ref.dist_sq, rtol=1e-12, atol=1e-15)
        assert np.allclose(cons, ref.consensus, rtol=1e-12, atol=1e-15)
    # batched p's equal one p at a time
    both, _ = T.bernoulli_moments("naive", W, a, c, 0.05, np.array([0.9, 0.7]), 50)
    for k, p in enumerate((0.9, 0.7)):
        assert np.allclose(both[k], T.bernoulli_moments("naive", W, a, c, 0.05, p, 50)[0],
                           rtol=1e-13, atol=0)
    # naive recursion vs the enumeration of every mask path, another instance
    W3 = np.array([[0.6, 0.4, 0.0], [0.4, 0.2, 0.4], [0.0, 0.4, 0.6]])
    a3, c3 = np.array([0.5, 2.0]), np.array([[2.0, 1.0], [-1.0, 0.5], [0.0, -3.0]])
    rec = T.bernoulli_moments("naive", W3, a3, c3, 0.3, 0.7, 2)
    enum = T.naive_bernoulli_enumeration(W3, a3, c3, 0.3, 0.7, 2)
    assert np.allclose(rec, enum, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- naive floor
def test_naive_floor_lower_bound_formula():
    assert T.naive_floor_lower_bound(0.1, 8, 2.0, 0.64) == pytest.approx(0.2 / (8 * 0.36 - 0.1))
    assert T.naive_floor_lower_bound(3.0, 8, 2.0, 0.64) == float("inf")


def test_planted_faults_fail_the_naive_floor():
    key = "tang2018.naive_compression_floor"
    # the DCD recursion passed as the naive one: the enumeration disagrees
    assert not _verdicts(key, recursion="dcd")["recursion_vs_enumeration"]
    # a wrong bound (the 1/n dropped) exceeds the exact and the simulated floor
    wrong = REGISTRY[key].replace(
        bound=lambda omega, n, x_star_sq, rho_min: omega * x_star_sq / (1 - rho_min - omega))
    v = _verdicts(key, theorem=wrong)
    assert not v["exact_floor_lower_bound[omega=0.1]"] and not v["floor_positive[omega=0.1]"]
    # the exact floor of omega = 0.1 against runs at omega = 0.05
    assert not _verdicts(key, simulated_omega=0.05)["simulator_floor[omega=0.1]"]
    # DCD passed where the naive method is expected: no floor
    assert not _verdicts(key, naive_algorithm="dcd")["floor_positive[omega=0.1]"]
    # a wrong exponent in omega
    assert not _verdicts(key, predicted_exponent=2.0)["floor_exponent_in_omega"]
    # the naive method passed where DCD / CHOCO are expected
    v = _verdicts(key, dcd_algorithm="naive", choco_algorithm="naive")
    assert not v["dcd_beats_naive[omega=0.1]"] and not v["choco_beats_naive[omega=0.1]"]
    # a compressor with a floor (omega = 0.1) passed as the diverging case
    assert not _verdicts(key, diverging_omega=0.1)["exact_diverges[omega=0.1]"]


# --------------------------------------------------------------------------- CHOCO bound
def test_choco_bound_and_step_formulas():
    from theorytools.theory import choco2020 as C

    rho, beta, delta = 0.2, 4 / 3, 0.5
    gamma = C.choco_consensus_step(rho, beta, delta)
    assert gamma == pytest.approx(rho ** 2 * delta / (16 * rho + rho ** 2 + 4 * beta ** 2
                                                      + 2 * rho * beta ** 2 - 8 * rho * delta))
    first, third = C.choco_bound(1.0, 2.0, 3.0, 0.5, 8, 99, rho, delta, terms=True)
    c = rho ** 2 * delta / 82
    assert first == pytest.approx((4 + 4 * 2.0 * 0.5) / np.sqrt(800))
    assert third == pytest.approx(24 * 3.0 * 8 * 0.5 / (c ** 2 * 100))
    assert C.choco_admissible(T=99, n=8, L=0.3, eta=np.sqrt(8 / 100), gamma=gamma, rho=rho,
                              beta=beta, delta=delta) == []
    bad = C.choco_admissible(T=99, n=8, L=1.0, eta=0.1, gamma=2 * gamma, rho=rho, beta=beta,
                             delta=delta)
    assert len(bad) == 2        # T < 64 n L^2 and eta != sqrt(n/(T+1))


def test_planted_faults_fail_the_choco_bound():
    key = "tang2018.choco_nonconvex_bound"
    # the naive method passed where CHOCO is expected: its gradient norm does not decay
    assert not _verdicts(key, algorithm="naive")["rate_in_T"]
    # a compressor declared with a wrong delta (Rand-5 of 10 is a 1/2-, not a 1-contraction)
    assert not _verdicts(key, delta=1.0)["contraction"]
    # wrong constants: the consensus term dropped and the first term 100x too small
    v = _verdicts(key, c_consensus=0.0, c_f=0.04, c_sigma=0.04)
    assert not any(ok for label, ok in v.items() if label.startswith("bound["))
    # outside the theorem's conditions (T < 64 n L^2): refused, no run
    with pytest.raises(TheorytoolsError, match="64 n L"):
        REGISTRY[key].run_checks(True, T_list=(100, 300))


def test_every_tang_theorem_is_listed_in_the_docs():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "theorems.md").read_text()
    keys = [key for key, th in REGISTRY.items() if th.paper == "tang2018"]
    assert "tang2018.naive_compression_floor" in keys
    assert "tang2018.choco_nonconvex_bound" in keys
    for key in keys:
        assert f"`{key}`" in docs, key
