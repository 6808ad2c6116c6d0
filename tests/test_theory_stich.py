"""Stich 2019 theorems: exact expectations, the bound, planted faults, and the exact
propagation against Monte Carlo with a rigorous Gaussian-chaos tolerance."""
import math

import numpy as np
import pytest

from theorytools.theory import stich2018 as S
from theorytools.theory.registry import REGISTRY


def _all_pass(key, **params):
    results = REGISTRY[key].run_checks(True, **params)
    assert results
    return all(c.passed for _, c in results), results


@pytest.mark.parametrize("key", ["stich2018.theorem_2_2", "stich2018.linear_speedup",
                                 "stich2018.h_independence_quadratic"])
def test_registered_checks_pass(key):
    ok, results = _all_pass(key)
    assert ok, [(label, c.describe()) for label, c in results if not c.passed]


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
