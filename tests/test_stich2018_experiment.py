"""The pieces of experiments/stich2018.py that its figures rest on: the replicated K-worker
problem equals the toolkit's certified one, the segmented local-SGD run equals one run, the
hitting time, the theorem's iteration count, the w8a-like generator, and the H = 1 identity
of the local vs mini-batch comparison. Each checker is also shown to fail on a planted fault.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from theorytools.algorithms import local_sgd
from theorytools.experiment import load_experiment
from theorytools.problems import breast_cancer_logistic, logistic, quadratic
from theorytools.theory.stich2018 import theorem_2_2_bound

S = load_experiment("stich2018")


def _mismatches(p, q, rtol=1e-12):
    """Names of the constants / arrays in which two problems differ."""
    bad = []
    for name in ("n", "d", "L", "mu", "f_star", "sigma_sq", "sigma_sq_sup", "zeta_sup_sq"):
        if not math.isclose(getattr(p, name), getattr(q, name), rel_tol=rtol, abs_tol=1e-300):
            bad.append(name)
    for name in ("L_i", "x_star"):
        if not np.allclose(getattr(p, name), getattr(q, name), rtol=rtol, atol=1e-14):
            bad.append(name)
    if abs(p.zeta_star_sq - q.zeta_star_sq) > 1e-24:
        bad.append("zeta_star_sq")
    if p.noise != q.noise:
        bad.append("noise")
    for name in ("features", "labels"):
        if not np.array_equal(p.arrays[name], q.arrays[name]):
            bad.append(name)
    return bad


@pytest.fixture(scope="module")
def bc1():
    return breast_cancer_logistic(1, 1.0 / 569, batch=1)


@pytest.mark.parametrize("K,batch", [(3, 1), (2, 4)])
def test_replicate_equals_the_certified_factory(bc1, K, batch):
    ref = breast_cancer_logistic(K, 1.0 / 569, batch=batch, split="replicated")
    assert _mismatches(S.replicate(bc1, K, batch=batch), ref) == []


def test_replicate_checker_catches_an_unscaled_variance(bc1):
    """Planted fault: the batch changes but sigma^2 is not divided by it."""
    import dataclasses

    ref = breast_cancer_logistic(2, 1.0 / 569, batch=4, split="replicated")
    wrong = dataclasses.replace(S.replicate(bc1, 2, batch=4), sigma_sq=bc1.sigma_sq)
    assert "sigma_sq" in _mismatches(wrong, ref)


def _deterministic_pair(K=3):
    """K identical noiseless quadratics (no randomness: a segmented run must equal one run)."""
    pK = quadratic(K, 5, 0.5, 2.0, seed=1)
    p1 = quadratic(1, 5, 0.5, 2.0, seed=1)
    assert np.allclose(pK.x_star, p1.x_star) and pK.zeta_star_sq < 1e-20
    return pK, p1


def test_segmented_run_equals_one_run():
    pK, p1 = _deterministic_pair()
    H, a = 4, max(16 * pK.L / pK.mu, 4) + 1.0
    cps = np.array([8, 24, 40, 80])
    res = S.run_to_target(pK, p1, H, a, cps, np.arange(cps.size), eps=-1.0)
    for T, gap in zip(res["T"], res["gap"]):
        one = local_sgd(pK, int(T), H, a=a, record=np.array([int(T)]))
        assert gap == pytest.approx(one.meta["f_gap_x_hat"], rel=1e-9, abs=1e-15)


def test_segmented_run_checker_catches_a_restarted_schedule():
    """Planted fault: every segment restarts the step sizes and weights at t = 0."""
    pK, p1 = _deterministic_pair()
    H, a = 4, max(16 * pK.L / pK.mu, 4) + 1.0
    cps = np.array([8, 24, 40, 80])

    def restarted(p, T, H_, *, a, **kw):
        return local_sgd(p, T, H_, a=max(16 * p.L / p.mu, 4) + 1.0, **kw)

    res = S.run_to_target(pK, p1, H, a, cps, np.arange(cps.size), eps=-1.0,
                          algorithm=restarted)
    one = local_sgd(pK, 80, H, a=a, record=np.array([80]))
    assert abs(res["gap"][-1] / one.meta["f_gap_x_hat"] - 1) > 1e-3


def test_hitting_time_is_exact_on_a_power_law_and_censors():
    T = np.array([100, 200, 400, 800])
    gap = 1.0 / T                          # log-linear interpolation is exact on 1/T
    assert S.hitting_time(T, gap, 1 / 300) == pytest.approx(300, rel=1e-12)
    assert S.hitting_time(T, gap, 1 / 50) == 100.0
    assert math.isnan(S.hitting_time(T, gap, 1e-4))


@pytest.mark.parametrize("K,H", [(1, 1), (4, 2), (16, 8)])
def test_theory_time_is_the_first_t_below_eps_of_theorem_2_2(K, H):
    mu, L, sigma_sq, G_sq, r0 = 0.5, 2.0, 1.0, 3.0, 4.0
    a = max(16 * L / mu, H) + 1.0
    b = [theorem_2_2_bound(mu, L, K, T, H, a, sigma_sq, G_sq, r0) for T in range(1, 4001)]
    eps = math.sqrt(b[2499] * b[2500])     # strictly between two steps (no ulp ties)
    brute = next(T for T, v in enumerate(b, start=1) if v <= eps)
    assert S.theory_time(eps, mu, L, K, H, a, sigma_sq, G_sq, r0) == brute
    # a wrong coefficient (drift 2x) moves it: the comparison can fail
    b2 = [theorem_2_2_bound(mu, L, K, T, H, a, sigma_sq, G_sq, r0, drift_coef=512.0)
          for T in range(1, 4001)]
    assert next((T for T, v in enumerate(b2, start=1) if v <= eps), None) != brute


def test_w8a_like_shape_sparsity_and_imbalance():
    """Binary 20000 x 300; the mean row count has standard deviation
    sqrt(sum q(1-q)/N) < 0.025 (tolerance 0.58 = 23 sd) and the positive fraction
    sqrt(0.03 * 0.97 / N) = 0.0012 (tolerance 0.01 = 8 sd); a fixed seed, so deterministic."""
    F, y = S.w8a_like(20000, seed=3)
    assert F.shape == (20000, 300) and set(np.unique(F)) <= {0.0, 1.0}
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert abs(F.sum(axis=1).mean() - 11.6) < 0.58
    assert abs(np.mean(y > 0) - 0.03) < 0.01
    assert np.array_equal(F, S.w8a_like(20000, seed=3)[0])


def test_local_h1_equals_minibatch_and_h2_does_not(bc1):
    """Local SGD with H = 1 is mini-batch SGD (same draws); at H = 2 the curves differ."""
    a = max(16 * bc1.L / bc1.mu, 128) + 1.0
    rounds = np.array([1, 5, 20])
    loc, mb = S.minibatch_curve(bc1, 3, 1, a, rounds, seed=11)
    assert np.allclose(loc, mb, rtol=1e-10, atol=1e-15)
    loc2, mb2 = S.minibatch_curve(bc1, 3, 2, a, rounds, seed=11)
    assert not np.allclose(loc2, mb2, rtol=1e-3)


def test_w8a_like_problem_is_certified():
    F, y = S.w8a_like(400, seed=0)
    p = logistic(F, y, 1, 1.0 / 400, batch=1)
    assert p.provenance["x_star"][1] == "certified" and p.mu == pytest.approx(1 / 400)


def test_plain_rows_have_python_numbers(tmp_path):
    # the experiment's rows hold numpy scalars; the framework writes them as plain numbers
    # (this script's own converter was folded into theorytools.experiment)
    from theorytools.experiment import Experiment

    ctx = Experiment("stich2018", tmp_path, mode="tiny", progress=False)
    ctx.save_table("t", [{"a": np.float64(0.5), "b": np.int64(3), "c": "x"}])
    assert (tmp_path / "t.csv").read_text().splitlines() == ["a,b,c", "0.5,3,x"]
