"""Stich 2019 theorems: exact expectations, the bound, planted faults, and the exact
propagation against Monte Carlo with a rigorous Gaussian-chaos tolerance; the asynchronous
variant (exact propagation under staggered synchronisation, the derived drift constant) and
the largest H that keeps the rate on logistic regression."""
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from theorytools import check
from theorytools.algorithms import local_sgd, minibatch_sgd
from theorytools.problems import quadratic
from theorytools.theory import stich2018 as S
from theorytools.theory.registry import REGISTRY

SERIES_LABELS = ("bound[", "exponent_in_K", "drift_lemma", "excess_over_synchronous",
                 "rate_kept", "h_crit_exponent")


def _all_pass(key, **params):
    results = REGISTRY[key].run_checks(True, **params)
    assert results
    return all(c.passed for _, c in results), results


def _first(key, n, **params):
    """The first n (label, Check) pairs of a theorem's quick checks (the generator stops)."""
    th = REGISTRY[key]
    return list(itertools.islice(th.checks(th, True, **params), n))


def _assert_series(results):
    """Checks with a natural x-axis carry curves for the report, with matching lengths."""
    for label, c in results:
        s = c.extra.get("series")
        if not label.startswith(SERIES_LABELS):
            continue
        assert s and s.xlabel and s.ylabel, f"{label}: no series"
        for curve in s.curves:
            n = len(curve.x)
            assert 0 < n == len(curve.y) <= 200, label
            for key in ("lo", "hi", "bound", "bits"):
                if getattr(curve, key) is not None:
                    assert len(getattr(curve, key)) == n, (label, key)
            assert np.all(np.isfinite(curve.y)), label


@pytest.mark.parametrize("key", ["stich2018.theorem_2_2", "stich2018.linear_speedup",
                                 "stich2018.h_independence_quadratic",
                                 "stich2018.asynchronous", "stich2018.h_crit"])
def test_registered_checks_pass(key):
    ok, results = _all_pass(key)
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]
    _assert_series(results)


def test_planted_wrong_constant_fails_the_bound():
    # a noise coefficient 1000x too small makes the bound smaller than the exact error
    ok, _ = _all_pass("stich2018.theorem_2_2", noise_coef=0.004, drift_coef=0.0, init_coef=0.0)
    assert not ok


def test_planted_wrong_speedup_exponent_fails():
    ok, _ = _all_pass("stich2018.linear_speedup", predicted=-0.5)
    assert not ok


def test_admissibility_is_enforced():
    th = REGISTRY["stich2018.theorem_2_2"]
    assert th.violations(mu=1.0, L=2.0, H=8, a=20.0)          # 16 kappa = 32
    assert not th.violations(mu=1.0, L=2.0, H=8, a=33.0)


def test_exact_propagation_matches_monte_carlo():
    """x_hat - x* = (1/S_T) sum_t w_t e_t is Gaussian; its exact E f(x_hat) - f* is compared with
    the mean of R independent samples of the same recursion. Tolerance (rigorous, p_fail 1e-9):
    with Q = 0.5 z^T A z, z ~ N(m, C): Q - EQ = l^T g + g^T M g - tr M with l = C^{1/2} A m,
    M = 0.5 C^{1/2} A C^{1/2}; the mean of R copies deviates by at most
    sqrt(2 l^T l x / R) (Gaussian) + 2 sqrt(tr(M^2) x / R) + 2 ||M|| x / R (Laurent-Massart),
    each with probability <= e^-x (x = ln(6/1e-9), two-sided union)."""
    rng = np.random.default_rng(0)
    eig = np.array([1.0, 3.0])
    e0 = np.array([1.0, -0.5])
    sigma, K, T, H = 0.8, 2, 60, 4
    a = max(16 * 3.0, H) + 1.0
    exact, _, _ = S.exact_local_sgd(eig, e0, sigma, K, T, H, a)
    R = 200_000
    eta = 4.0 / (1.0 * (a + np.arange(T)))
    w = (a + np.arange(T)) ** 2
    e = np.tile(e0, (R, 1))
    y = np.zeros((R, 2))
    for t in range(T):
        y += w[t] * e
        e = (1 - eta[t] * eig) * e - eta[t] * rng.standard_normal((R, 2)) * sigma / math.sqrt(2 * K)
    z = y / w.sum()
    values = 0.5 * np.sum(eig * z * z, axis=1)
    # exact mean and variance of z per eigen-coordinate: E z_j from the noise-free run (the
    # step factors 1 - eta a stay positive here, so the sign is that of e0), Var = E z^2 - (E z)^2
    mean_z = []
    var_z = []
    for j in range(2):
        _, s0, _ = S.exact_local_sgd(eig[j:j + 1], e0[j:j + 1], 0.0, K, T, H, a)
        _, ss, _ = S.exact_local_sgd(eig[j:j + 1], e0[j:j + 1], sigma / math.sqrt(2), K, T, H,
                                      a)
        mean_z.append(math.sqrt(s0) * np.sign(e0[j]))
        var_z.append(ss - s0)
    mean_z, var_z = np.array(mean_z), np.array(var_z)
    x = math.log(6 / 1e-9)
    l_vec = np.sqrt(var_z) * eig * mean_z
    M = 0.5 * var_z * eig
    radius = (math.sqrt(2 * (l_vec @ l_vec) * x / R) + 2 * math.sqrt(np.sum(M ** 2) * x / R)
              + 2 * M.max() * x / R)
    assert abs(values.mean() - exact) <= radius, (values.mean(), exact, radius)
    assert radius < 0.05 * exact        # the tolerance is informative, not vacuous


# --------------------------------------------------------------- asynchronous local SGD
def _mc_schedule(eig, e0, sigma, K, T, H, a, asynchronous, R, rng):
    """R independent paths of the recursion exact_local_sgd_schedule models (numpy):
    per-path (x_hat - x*) in the eigenbasis and the drift before the last step."""
    d = eig.size
    sched = S.sync_schedule(K, T, H, asynchronous)
    eta = 4.0 / (eig.min() * (a + np.arange(T)))
    w = (a + np.arange(T)) ** 2
    e = np.tile(e0, (R, K, 1))
    y = np.zeros((R, d))
    drift = None
    for t in range(T):
        if t == T - 1:
            drift = np.sum((e - e.mean(axis=1, keepdims=True)) ** 2, axis=(1, 2)) / K
        y += w[t] * e.mean(axis=1)
        e = (1 - eta[t] * eig) * e - eta[t] * sigma / math.sqrt(d) * rng.standard_normal(e.shape)
        if sched[t].any():
            e[:, sched[t], :] = e.mean(axis=1, keepdims=True)
    return y / w.sum(), drift


def test_exact_schedule_propagation_synchronous_equals_exact_local_sgd():
    eig = np.array([1.0, 1.5, 3.0])
    e0 = np.array([0.4, -0.2, 0.7])
    for K, T, H in ((1, 50, 4), (3, 120, 8), (8, 300, 16)):
        a = max(48.0, H) + 1.0
        f, dist, g = S.exact_local_sgd(eig, e0, 0.9, K, T, H, a)
        ex = S.exact_local_sgd_schedule(eig, e0, 0.9, K, T, H, a)
        assert ex["f_gap"] == pytest.approx(f, rel=1e-12)
        assert ex["dist_sq"] == pytest.approx(dist, rel=1e-12)
        assert ex["g_sup"] == pytest.approx(g, rel=1e-12)


def test_exact_drift_matches_the_closed_form():
    """Derived local-SGD facts (docs/sources.md#derived) [DERIVED]: A = mu I, constant eta, s local steps since the last average:
    E (1/K) sum_k ||x^k - x_bar||^2 = (1 - 1/K) eta^2 sigma^2 (1 - m^{2s}) / (1 - m^2),
    m = 1 - eta mu."""
    mu, eta, sigma, K, H, T = 0.5, 0.1, 1.3, 4, 8, 40
    ex = S.exact_local_sgd_schedule(np.full(3, mu), np.ones(3), sigma, K, T, H, 1.0,
                                    steps=np.full(T, eta))
    m = 1 - eta * mu
    s = np.arange(T) % H
    closed = (1 - 1 / K) * eta ** 2 * sigma ** 2 * (1 - m ** (2 * s)) / (1 - m ** 2)
    np.testing.assert_allclose(ex["drift"], closed, rtol=1e-12, atol=1e-16)


def test_exact_schedule_propagation_matches_monte_carlo():
    """Asynchronous schedule: the exact E f(x_hat) - f* (Gaussian-chaos radius as in
    test_exact_propagation_matches_monte_carlo, with the propagated mean and variance of
    x_hat - x*) and the exact drift before the last step (Student-t at level 1 - 1e-9 over
    50 000 paths) against a numpy sampler of the staggered recursion."""
    rng = np.random.default_rng(1)
    eig = np.array([1.0, 3.0])
    e0 = np.array([1.0, -0.5])
    sigma, K, T, H = 0.8, 3, 60, 4
    a = max(16 * 3.0, H) + 1.0
    ex = S.exact_local_sgd_schedule(eig, e0, sigma, K, T, H, a, asynchronous=True)
    R = 50_000
    z, drift = _mc_schedule(eig, e0, sigma, K, T, H, a, True, R, rng)
    values = 0.5 * np.sum(eig * z * z, axis=1)
    x = math.log(6 / 1e-9)
    l_vec = np.sqrt(ex["var_z"]) * eig * ex["mean_z"]
    M = 0.5 * ex["var_z"] * eig
    radius = (math.sqrt(2 * (l_vec @ l_vec) * x / R) + 2 * math.sqrt(np.sum(M ** 2) * x / R)
              + 2 * M.max() * x / R)
    assert abs(values.mean() - ex["f_gap"]) <= radius, (values.mean(), ex["f_gap"], radius)
    assert radius < 0.05 * ex["f_gap"]
    res = check.mean_equals(drift, ex["drift"][T - 1], value_range=1.0, method="t")
    assert res.passed, res.details
    # the asynchronous average is not the synchronous one (nor mini-batch SGD)
    sync = S.exact_local_sgd_schedule(eig, e0, sigma, K, T, H, a)
    assert ex["f_gap"] > sync["f_gap"] * (1 + 1e-6)


def test_partial_averaging_never_increases_the_disagreement():
    """The step of the drift derivation: replacing the models of a set S of workers by the mean
    lowers sum_k ||v_k - v_bar||^2 (by (1 + 1/K)||v_k - v_bar||^2 when S = {k})."""
    rng = np.random.default_rng(2)
    for _ in range(200):
        K = int(rng.integers(2, 9))
        v = rng.standard_normal((K, 3))
        S_ = rng.random(K) < 0.5
        new = v.copy()
        new[S_] = v.mean(axis=0)

        def dis(u):
            return float(np.sum((u - u.mean(axis=0)) ** 2))
        assert dis(new) <= dis(v) + 1e-12
        k = int(rng.integers(K))
        one = v.copy()
        one[k] = v.mean(axis=0)
        assert dis(one) == pytest.approx(
            dis(v) - (1 + 1 / K) * float(np.sum((v[k] - v.mean(axis=0)) ** 2)), rel=1e-10)


def test_drift_constant_synchronous_recovers_stich_and_staggered_stays_below_one():
    for K, H in ((2, 2), (4, 8), (8, 16), (16, 4), (2, 32), (16, 16)):
        a = max(81.0, H) + 1.0
        c_sync = S.drift_constant(K, H, a, 1500)[0]
        c_async, _, _, rho_w = S.drift_constant(K, H, a, 1500, True)
        assert c_sync < 1.0                 # Stich's 4 eta_t^2 G^2 H^2
        assert c_async < 1.0                # the same lemma under staggered synchronisation
        assert 0 < rho_w <= 0.25 + 1e-12    # one window contracts the disagreement


def test_drift_constant_against_brute_force_products():
    """c* from the periodic table with the geometric extension is an upper bound of (and
    close to) the sum over all explicit products P_{t-1} ... P_s."""
    K, H, T, a = 3, 4, 60, 50.0
    sched = S.sync_schedule(K, T, H, True)
    IJ = np.eye(K) - 1 / K
    eta = 4.0 / (a + np.arange(T))
    best = 0.0
    for t in range(1, T):
        M = IJ.copy()
        total = 0.0
        for s in range(t - 1, -1, -1):
            P = np.eye(K)
            P[sched[s], :] = 1 / K
            M = M @ P
            total += eta[s] * np.linalg.norm(M, 2)
        best = max(best, total / (2 * H * eta[t]))
    c_star = S.drift_constant(K, H, a, T, True)[0]
    assert best <= c_star + 1e-12
    assert c_star <= 1.01 * best        # the geometric extension is an upper bound, and close


def test_async_replay_fails_when_the_simulator_ignores_asynchrony():
    def synchronous(problem, T, H, **kw):
        return local_sgd(problem, T, H, **{**kw, "asynchronous": False})
    (label, c), = _first("stich2018.asynchronous", 1, algorithm=synchronous)
    assert label.startswith("simulator_replay") and not c.passed


def test_async_drift_lemma_fails_without_synchronisation():
    """Without synchronisation the drift grows like eta_t sigma^2/mu while the lemma's envelope
    decays like eta_t^2 H^2: the envelope is crossed once t >~ H^2 (here at K=16, T=2000,
    H=4; at H = 8, 16 the quick horizons are too short to see it)."""
    results = dict(_first("stich2018.asynchronous", 6,
                          schedule=lambda K, T, H: np.zeros((T, K), bool)))
    assert not results["drift_lemma[K=16,T=2000,H=4]"].passed
    assert results["drift_lemma[K=4,T=400,H=8]"].passed


def test_async_bound_fails_with_a_wrong_constant():
    label, c = _first("stich2018.asynchronous", 3, noise_coef=0.004, drift_coef=0.0,
                      init_coef=0.0)[2]
    assert label.startswith("bound[") and not c.passed


def test_async_speedup_and_excess_fail_on_planted_faults():
    results = dict(REGISTRY["stich2018.asynchronous"].run_checks(
        True, predicted=-0.5, async_rate_factor=1.1))
    assert not results["exponent_in_K[K>=8]"].passed          # a wrong exponent
    assert not results["excess_over_synchronous"].passed       # a wrong constant (1.1 < 1.26)
    assert results["drift_lemma[K=4,T=400,H=8]"].passed


def test_asynchronous_average_is_not_minibatch_sgd():
    """Synchronous local SGD's average is mini-batch SGD for every H on quadratics with
    additive noise (I-6); with staggered synchronisation a partial average moves the mean."""
    p = quadratic(4, 4, 1.0, 2.0, sigma=1.0, seed=3)
    mb = minibatch_sgd(p, 0.05, 100, seed=5, record=np.array([0, 100]))
    sync = local_sgd(p, 100, 8, stepsize=0.05, seed=5, record=np.array([0, 100]))
    asyn = local_sgd(p, 100, 8, stepsize=0.05, seed=5, record=np.array([0, 100]),
                     asynchronous=True)
    np.testing.assert_allclose(sync.X.mean(axis=0), mb.x_bar, rtol=1e-12, atol=1e-14)
    assert np.linalg.norm(asyn.X.mean(axis=0) - mb.x_bar) > 1e-3 * np.linalg.norm(mb.x_bar)


# ------------------------------------------------------------------ the largest H (logistic)
def _never_sync(problem, T, H, *, a, seed, record=None, **kw):
    """A faulty local SGD whose workers never average (same steps and sample draws)."""
    K, d = problem.n, problem.d
    eta = 4.0 / (problem.mu * (a + np.arange(T)))
    w = (a + np.arange(T, dtype=float)) ** 2
    X = np.zeros((K, d))
    xhat = np.zeros(d)
    for t in range(T):
        xhat += w[t] * X.mean(axis=0)
        X = X - eta[t] * problem.stochastic_grads(X, seed, t)
    xhat /= w.sum()
    return SimpleNamespace(x_bar=xhat, meta={"f_gap_x_hat": problem.f(xhat) - problem.f_star})


def test_logistic_problem_has_identical_data():
    p = S.logistic_identical(4)
    F = p.arrays["features"]
    assert all(np.array_equal(F[0], F[k]) for k in range(4))
    assert p.zeta_star_sq <= 1e-20 and p.L / p.mu == pytest.approx(5.0, rel=1e-12)
    assert S.logistic_identical(4, split="sorted").zeta_star_sq > 1e-3


def test_hcrit_anchor_fails_without_synchronisation():
    (label, c), = _first("stich2018.h_crit", 1, algorithm=_never_sync)
    assert label == "h1_is_minibatch[K=16]" and not c.passed


def test_hcrit_rate_fails_on_heterogeneous_data():
    results = _first("stich2018.h_crit", 2, split="sorted")
    assert results[0][1].passed                     # H = 1 is still mini-batch SGD
    label, c = results[1]
    assert label == "rate_kept[K=16,T=324]" and not c.passed, c.details


def test_hcrit_fails_with_constant_steps():
    """A wrong step-size schedule (a constant eta = 4/(mu a) instead of 4/(mu(a+t))): H = 1
    is no longer Stich's mini-batch SGD, local steps cost more than the factor, and H_crit
    stops growing with T."""
    p = S.logistic_identical(16)
    results = dict(REGISTRY["stich2018.h_crit"].run_checks(True, stepsize=4.0 / (p.mu * 81.0)))
    assert not results["h1_is_minibatch[K=16]"].passed
    assert not results["rate_kept[K=16,T=324]"].passed
    assert not results["h_crit_exponent[K=16]"].passed


def test_hcrit_exponent_estimator_and_a_wrong_exponent():
    """Noise-free ratio curves linear in log H crossing 1.1 at H = 3 (T = 100) and 12
    (T = 200), exponent 2, and beyond the grid at T = 400 (censored at 64): the estimator
    returns them, the fit runs up to the censored T (a lower bound), and a predicted exponent
    above the data fails."""
    Hs = np.array([1, 2, 4, 8, 16, 32, 64])
    Ts = np.array([100, 200, 400])
    h0 = np.array([3.0, 12.0, 1000.0])
    ratio = 1 + 0.1 * np.log(Hs)[None, :] / np.log(h0)[:, None]
    E = ratio[:, :, None] * np.linspace(1, 2, 20)[None, None, :]
    groups = np.array_split(np.arange(20), 10)
    hc, censored, theta, pseudo, _, n_fit = S._hcrit_exponent(E, Ts, Hs, 1.1, groups)
    np.testing.assert_allclose(hc, [3.0, 12.0, 64.0], rtol=1e-9)
    assert censored.tolist() == [False, False, True] and n_fit == 3
    assert theta == pytest.approx(np.polyfit(np.log(Ts), np.log([3, 12, 64]), 1)[0])
    assert check.slope(pseudo, 0.5, alternative="at_least").passed
    assert not check.slope(pseudo, 2.5, alternative="at_least").passed
