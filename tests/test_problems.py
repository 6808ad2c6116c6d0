"""Tests of theorytools.problems: every certified constant against an independent computation."""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import scipy.special
import scipy.stats
from hypothesis import given, settings, strategies as st

from theorytools.errors import TheorytoolsError
from theorytools.problems import (
    Noise, bundled_svmlight_path, breast_cancer_logistic, check_constants, diabetes_ridge,
    load_svmlight, logistic, quadratic, quadratic_heterogeneous, ridge, svmlight_problem)
from theorytools.problems import _kernels
from theorytools.problems.quadratic import certify_quadratic

P_FAIL = 1e-9


def _rng(seed=0):
    return np.random.Generator(np.random.PCG64(seed))


def _synthetic_logistic(n=3, m=20, d=4, lam=0.05, seed=0, **kw):
    rng = _rng(seed)
    F = rng.standard_normal((n * m, d))
    y = np.where(F @ np.arange(1.0, d + 1) + rng.standard_normal(n * m) > 0, 1.0, -1.0)
    return logistic(F, y, n, lam, **kw)


FACTORIES = {
    "quadratic": lambda: quadratic(4, 6, 0.1, 10.0, zeta_sq=3.0, sigma=0.5, seed=3),
    "quadratic_zeta0": lambda: quadratic(3, 5, 1.0, 100.0, seed=1),
    "quadratic_linspace": lambda: quadratic(2, 4, 0.5, 2.0, zeta_sq=0.1, spectrum="linspace"),
    "quadratic_heterogeneous": lambda: quadratic_heterogeneous(3, 5, 0.2, 20.0, seed=2),
    "diabetes_ridge": lambda: diabetes_ridge(5, batch=4),
    "diabetes_ridge_additive": lambda: diabetes_ridge(3, sigma=1.5, split="random", seed=4),
    "breast_cancer_logistic": lambda: breast_cancer_logistic(4, batch=8),
    "breast_cancer_sorted": lambda: breast_cancer_logistic(3, split="sorted"),
    "svmlight_logistic": lambda: svmlight_problem(bundled_svmlight_path(), 3, batch=2),
    "svmlight_ridge": lambda: svmlight_problem(bundled_svmlight_path(), 2, kind="ridge",
                                               sigma=1.0),
    "synthetic_logistic_additive": lambda: _synthetic_logistic(sigma=0.3),
}
_CACHE = {}


def make(name):
    if name not in _CACHE:
        _CACHE[name] = FACTORIES[name]()
    return _CACHE[name]


# ------------------------------------------------------------------ contract over every factory
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_check_constants_passes(name):
    result = check_constants(make(name))
    assert all(ok for (_, _, ok) in result.values()), result


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_contract_shapes_and_consistency(name):
    p = make(name)
    assert p.kind in ("quadratic", "logistic")
    assert p.L_i.shape == (p.n,) and p.x_star.shape == (p.d,)
    assert 0 < p.mu <= p.L and p.zeta_star_sq >= 0 and p.sigma_sq >= 0
    assert p.zeta_sup_sq >= p.zeta_star_sq * (1 - 1e-12)
    assert p.sigma_sq_sup >= p.sigma_sq * (1 - 1e-12)
    for key in ("L", "mu", "L_i", "x_star", "f_star", "zeta_star_sq", "zeta_sup_sq", "sigma_sq"):
        how, status = p.provenance[key]
        assert how and status
    x = _rng(1).standard_normal(p.d)
    # grad = mean of grad_i; f = mean of f_i; grads consistent with f by central differences
    G = p.grads(np.tile(x, (p.n, 1)))
    np.testing.assert_allclose(p.grad(x), G.mean(axis=0), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(p.grad_i(1 % p.n, x), G[1 % p.n], rtol=1e-14, atol=1e-14)
    h = 1e-6
    fd = np.array([(p.f(x + h * e) - p.f(x - h * e)) / (2 * h) for e in np.eye(p.d)])
    np.testing.assert_allclose(fd, p.grad(x), rtol=1e-6, atol=1e-6 * (1 + np.abs(fd).max()))
    # f* is the minimum: f(x* + small perturbation) >= f*
    for _ in range(5):
        assert p.f(p.x_star + 1e-3 * _rng(_).standard_normal(p.d)) >= p.f_star


# ------------------------------------------------------------------ quadratic: L, mu, zeta
@given(n=st.integers(1, 6), d=st.integers(2, 8), log_kappa=st.floats(0, 6),
       seed=st.integers(0, 10**6), spectrum=st.sampled_from(["loguniform", "linspace"]))
@settings(max_examples=40)
def test_quadratic_spectrum_is_prescribed(n, d, log_kappa, seed, spectrum):
    mu, L = 0.5, 0.5 * 10 ** log_kappa
    p = quadratic(n, d, mu, L, seed=seed, spectrum=spectrum)
    eig = scipy.linalg.eigh(p.arrays["A"][0], eigvals_only=True, driver="evd")
    assert abs(eig[0] - mu) <= 1e-13 * L and abs(eig[-1] - L) <= 1e-13 * L
    assert abs(p.mu - mu) <= 1e-13 * L and abs(p.L - L) <= 1e-13 * L
    assert np.all(eig >= mu - 1e-13 * L) and np.all(eig <= L * (1 + 1e-13))
    assert np.allclose(p.L_i, p.L, rtol=0, atol=0)


def exact_heterogeneity(b) -> Fraction:
    """(1/n) sum_i ||b_i - bbar||^2 in exact rational arithmetic (equal A_i: this is zeta*^2,
    because grad f_i(x*) = A x* - b_i = bbar - b_i)."""
    n, d = b.shape
    rows = [[Fraction(float(v)) for v in row] for row in b]
    means = [sum(row[k] for row in rows) / n for k in range(d)]
    return sum((row[k] - means[k]) ** 2 for row in rows for k in range(d)) / n


def zeta_relative_error(problem, zeta_sq) -> float:
    """Relative error of the stored problem's exact zeta*^2 against the prescribed one."""
    exact = exact_heterogeneity(problem.arrays["b"])
    return float(abs(exact - Fraction(zeta_sq)) / Fraction(zeta_sq))


@given(n=st.integers(2, 8), d=st.integers(1, 6), zeta_sq=st.floats(1e-3, 1e3),
       seed=st.integers(0, 10**6))
@settings(max_examples=60)
def test_prescribed_zeta_is_exact(n, d, zeta_sq, seed):
    mu = 0.3 if d > 1 else 4.0
    p = quadratic(n, d, mu, 4.0, zeta_sq=zeta_sq, seed=seed)
    assert zeta_relative_error(p, zeta_sq) <= 1e-12
    assert abs(p.zeta_star_sq - zeta_sq) <= 1e-12 * zeta_sq
    assert p.zeta_sup_sq == p.zeta_star_sq
    # heterogeneity is constant in x (equal Hessians): evaluate at a random far point
    x = 5 * _rng(seed).standard_normal(d)
    G = p.grads(np.tile(x, (n, 1)))
    het = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    assert abs(het - zeta_sq) <= 1e-9 * zeta_sq + 1e-12 * np.abs(G).max() ** 2


def test_zeta_zero_is_exactly_zero():
    p = quadratic(5, 4, 1.0, 3.0, zeta_sq=0.0, seed=9)
    assert p.zeta_star_sq == 0.0 and p.zeta_sup_sq == 0.0
    assert exact_heterogeneity(p.arrays["b"]) == 0


def test_planted_fault_wrong_zeta_generator_is_detected():
    """A generator that normalises sum_i ||v_i||^2 (instead of the mean) to zeta^2, so the
    heterogeneity is n times too small, is caught by the exact check."""
    n, d, zeta_sq = 4, 3, 2.0
    good = quadratic(n, d, 0.5, 5.0, zeta_sq=zeta_sq, seed=0)
    A, centre = good.arrays["A"], good.arrays["A"][0] @ good.x_star
    V = _rng(0).standard_normal((n, d))
    V -= V.mean(axis=0)
    V *= math.sqrt(zeta_sq / np.sum(V * V))              # the planted bug: sum, not mean
    bad = certify_quadratic("planted", A, centre + V, np.zeros(n), Noise())
    assert zeta_relative_error(good, zeta_sq) <= 1e-12
    assert zeta_relative_error(bad, zeta_sq) > 0.5       # detected (1 - 1/n)


def test_planted_fault_wrong_constants_are_detected():
    p = make("quadratic")
    for field, factor in [("L", 1.001), ("mu", 0.999), ("zeta_star_sq", 2.0), ("f_star", 1.0001)]:
        bad = dataclasses.replace(p, **{field: getattr(p, field) * factor})
        assert not check_constants(bad)[field][2], field
    bad = dataclasses.replace(p, x_star=p.x_star + 1e-6)
    assert not check_constants(bad)["x_star"][2]
    q = make("breast_cancer_logistic")
    bad = dataclasses.replace(q, sigma_sq=q.sigma_sq * 1.01, L_i=q.L_i * 1.001)
    result = check_constants(bad)
    assert not result["sigma_sq"][2] and not result["L_i"][2]


def test_heterogeneous_quadratic_has_infinite_zeta_sup():
    p = make("quadratic_heterogeneous")
    assert p.zeta_sup_sq == math.inf
    for A in p.arrays["A"]:
        eig = np.linalg.eigvalsh(A)
        assert abs(eig[0] - 0.2) <= 1e-12 * 20 and abs(eig[-1] - 20.0) <= 1e-12 * 20
    # the heterogeneity grows without bound along x
    G = p.grads(np.tile(1e6 * np.ones(p.d), (p.n, 1)))
    assert np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)) > 1e6 * p.zeta_star_sq


# ------------------------------------------------------------------ x* and f* in high precision
def _mp_quadratic_optimum(p):
    mpmath.mp.dps = 50
    n = p.n
    A = mpmath.matrix(p.d, p.d)
    b = mpmath.matrix(p.d, 1)
    for i in range(n):
        for k in range(p.d):
            b[k] += mpmath.mpf(float(p.arrays["b"][i, k])) / n
            for l in range(p.d):
                A[k, l] += mpmath.mpf(float(p.arrays["A"][i, k, l])) / n
    x = mpmath.lu_solve(A, b)
    c = sum(mpmath.mpf(float(v)) for v in p.arrays["c"]) / n
    f = c - (b.T * x)[0] / 2
    return x, f


@pytest.mark.parametrize("name", ["quadratic", "quadratic_zeta0", "quadratic_heterogeneous",
                                  "diabetes_ridge", "svmlight_ridge"])
def test_quadratic_optimum_matches_mpmath(name):
    p = make(name)
    x, f = _mp_quadratic_optimum(p)
    assert abs(float(f) - p.f_star) <= 1e-12 * abs(float(f))
    err = max(abs(float(x[k]) - p.x_star[k]) for k in range(p.d))
    assert err <= 1e-12 * (p.L / p.mu) * float(mpmath.norm(x))


@pytest.mark.parametrize("name", ["breast_cancer_logistic", "svmlight_logistic"])
def test_logistic_optimum_matches_mpmath(name):
    """f(x*) and ||grad f(x*)|| evaluated in 40-digit arithmetic; strong convexity turns the
    gradient into a bound on f(x*) - f*."""
    p = make(name)
    mpmath.mp.dps = 40
    F = p.arrays["features"].reshape(-1, p.d)
    Y = p.arrays["labels"].ravel()
    lam = mpmath.mpf(p.arrays["lam"])
    x = [mpmath.mpf(float(v)) for v in p.x_star]
    N = F.shape[0]
    value = mpmath.mpf(0)
    grad = [lam * xk for xk in x]
    for row, y in zip(F, Y):
        t = mpmath.fsum(mpmath.mpf(float(a)) * xk for a, xk in zip(row, x))
        value += mpmath.log1p(mpmath.exp(-y * t)) / N
        w = -y / (1 + mpmath.exp(y * t)) / N
        for k in range(p.d):
            grad[k] += w * mpmath.mpf(float(row[k]))
    value += lam / 2 * mpmath.fsum(xk ** 2 for xk in x)
    gnorm = float(mpmath.sqrt(mpmath.fsum(g ** 2 for g in grad)))
    scale = float(np.mean(np.linalg.norm(F, axis=1))) + float(lam) * np.linalg.norm(p.x_star)
    assert gnorm <= 1e-14 * scale
    f_true = value - gnorm ** 2 / (2 * float(lam))   # lower bound on f*
    assert abs(float(value) - p.f_star) <= 1e-12 * abs(float(value))
    assert abs(float(f_true) - p.f_star) <= 1e-12 * abs(float(value))


def test_logistic_optimum_matches_scipy():
    p = make("svmlight_logistic")
    res = scipy.optimize.minimize(p.f, np.zeros(p.d), jac=p.grad, method="BFGS",
                                  options={"gtol": 1e-12})
    assert np.linalg.norm(res.x - p.x_star) <= 1e-7
    assert abs(res.fun - p.f_star) <= 1e-12 * abs(p.f_star)


# ------------------------------------------------------------------ logistic L and mu
def _logistic_hessian(p, x):
    F = p.arrays["features"].reshape(-1, p.d)
    s = scipy.special.expit(F @ x)
    return (F * (s * (1 - s))[:, None]).T @ F / F.shape[0] + p.arrays["lam"] * np.eye(p.d)


@pytest.mark.parametrize("name", ["breast_cancer_logistic", "svmlight_logistic"])
def test_logistic_L_attained_at_zero_and_mu_is_infimum(name):
    p = make(name)
    assert abs(np.linalg.eigvalsh(_logistic_hessian(p, np.zeros(p.d)))[-1] - p.L) <= 1e-12 * p.L
    rng = _rng(5)
    for _ in range(20):
        x = rng.standard_normal(p.d) * rng.uniform(0.1, 10)
        eig = np.linalg.eigvalsh(_logistic_hessian(p, x))
        assert eig[-1] <= p.L * (1 + 1e-12) and eig[0] >= p.mu * (1 - 1e-12)
    v = rng.standard_normal(p.d)
    far = np.linalg.eigvalsh(_logistic_hessian(p, 1e3 * v / np.linalg.norm(v)))
    assert far[0] - p.mu <= 1e-3 * (p.L - p.mu)       # approached
    assert p.info["mu_at_star"] > p.mu


# ------------------------------------------------------------------ sigma^2 by Monte Carlo
def _bernstein_halfwidth(variance_bound, range_bound, R):
    log_term = math.log(2 / P_FAIL)
    return math.sqrt(2 * variance_bound * log_term / R) + 2 * range_bound * log_term / (3 * R)


@pytest.mark.parametrize("name", ["diabetes_ridge", "breast_cancer_logistic",
                                  "svmlight_logistic"])
def test_sampling_variance_monte_carlo(name):
    """||g_i - grad f_i(x*)||^2 over R steps and n nodes: R n independent variables in [0, B]
    with B = max_ij ||grad f_ij - grad f_i||^2 (a batch mean is no farther than its farthest
    sample) and mean sigma^2; Bernstein at p_fail 1e-9 with sum Var <= B * sum E."""
    p = make(name)
    X = np.tile(p.x_star, (p.n, 1))
    G = p.grads(X)
    B = max(float(np.max(np.sum((p.sample_grads(i, p.x_star) - G[i]) ** 2, axis=1)))
            for i in range(p.n))
    R = 40000
    total = 0.0
    out = np.empty_like(X)
    for step in range(R):
        S = p.stochastic_grads(X, 77, step, out=out)
        total += float(np.sum((S - G) ** 2))
    estimate = total / (R * p.n)
    half = _bernstein_halfwidth(B * p.sigma_sq, B, R * p.n)
    assert abs(estimate - p.sigma_sq) <= half
    assert abs(estimate - 2.0 * p.sigma_sq) > half       # a factor-2 error would be detected
    assert p.sampling_variance(p.x_star) == pytest.approx(p.sigma_sq, rel=1e-12)


@pytest.mark.parametrize("name", ["quadratic", "diabetes_ridge_additive",
                                  "synthetic_logistic_additive"])
def test_additive_variance_chi_square(name):
    """sum over R steps and n nodes of ||xi||^2 d / sigma^2 is chi^2 with R n d degrees."""
    p = make(name)
    X = np.tile(p.x_star, (p.n, 1)) + 0.1
    G = p.grads(X)
    R, total = 3000, 0.0
    for step in range(R):
        S = p.stochastic_grads(X, 5, step)
        total += float(np.sum((S - G) ** 2))
    dof = R * p.n * p.d
    stat = total * p.d / p.noise.sigma ** 2
    lo, hi = scipy.stats.chi2.ppf([P_FAIL / 2, 1 - P_FAIL / 2], dof)
    assert lo <= stat <= hi
    assert not lo <= stat / 1.1 <= hi                     # a 10 % error would be detected
    assert p.sigma_sq == p.noise.sigma ** 2


def test_sampling_variance_exact_by_enumeration():
    """With batch b the variance is (1/b) times the one-sample variance: enumerate j."""
    p = _synthetic_logistic(n=2, m=5, batch=3)
    x = _rng(3).standard_normal(p.d)
    for i in range(p.n):
        Gi = p.sample_grads(i, x)
        mean = Gi.mean(axis=0)
        np.testing.assert_allclose(mean, p.grad_i(i, x), rtol=1e-13, atol=1e-15)
        one = np.mean([np.sum((g - mean) ** 2) for g in Gi])
        assert p.sampling_variance(x, per_node=True)[i] == pytest.approx(one / 3, rel=1e-12)


def test_sampled_indices_uniform_chi_square():
    m, draws = 7, 70000
    counts = np.zeros(m)
    for step in range(draws // 10):
        counts += np.bincount(_kernels.sample_indices(m, 10, 3, 1, step), minlength=m)
    stat = float(np.sum((counts - draws / m) ** 2 / (draws / m)))
    assert stat <= scipy.stats.chi2.ppf(1 - P_FAIL, m - 1)


# ------------------------------------------------------------------ determinism, node locality
@pytest.mark.parametrize("name", ["quadratic", "diabetes_ridge", "diabetes_ridge_additive",
                                  "breast_cancer_logistic", "synthetic_logistic_additive",
                                  "quadratic_zeta0"])
def test_stochastic_grads_deterministic_and_node_local(name):
    p = make(name)
    X = _rng(2).standard_normal((p.n, p.d))
    first = p.stochastic_grads(X, 123, 45)
    assert np.array_equal(first, p.stochastic_grads(X, 123, 45))
    for i in range(p.n):
        assert np.array_equal(first[i], p.stochastic_grad_i(i, X[i], 123, 45))
    # moving another node's model does not change node 0's draw
    Y = X.copy()
    Y[1:] += 1.0
    assert np.array_equal(first[0], p.stochastic_grads(Y, 123, 45)[0])
    if p.noise.kind != "none":
        assert not np.array_equal(first, p.stochastic_grads(X, 123, 46))
        assert not np.array_equal(first, p.stochastic_grads(X, 124, 45))


def test_sampled_gradient_is_mean_of_drawn_samples():
    p = make("breast_cancer_logistic")
    X = _rng(4).standard_normal((p.n, p.d)) * 0.1
    S = p.stochastic_grads(X, 9, 17)
    for i in range(p.n):
        idx = _kernels.sample_indices(p.arrays["features"].shape[1], p.noise.batch, 9, i, 17)
        expected = p.sample_grads(i, X[i])[idx].mean(axis=0)
        np.testing.assert_allclose(S[i], expected, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ data sets and svmlight
def test_bundled_datasets():
    p = make("breast_cancer_logistic")
    assert (p.n, p.d, p.info["m"], p.info["dropped"]) == (4, 30, 142, 1)
    assert set(np.unique(p.arrays["labels"])) == {-1.0, 1.0}
    q = make("diabetes_ridge")
    assert (q.n, q.d, q.info["m"], q.info["dropped"]) == (5, 10, 88, 2)


def test_load_svmlight_matches_scikit_learn():
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight(bundled_svmlight_path())
    Xs, ys = load_svmlight_file(bundled_svmlight_path(), n_features=8)
    assert X.shape == (60, 8)
    np.testing.assert_array_equal(X, Xs.toarray())
    np.testing.assert_array_equal(y, ys)
    X12, _ = load_svmlight(bundled_svmlight_path(), n_features=12)
    assert X12.shape == (60, 12) and np.array_equal(X12[:, :8], X)


@pytest.mark.parametrize("line, message", [
    ("+1 1:0.5 2:x", "value of index 2"),
    ("+1 0:1", "1-based"),
    ("+1 3:1 2:1", "increase strictly"),
    ("+1 2:1 2:1", "increase strictly"),
    ("abc 1:1", "label"),
    ("+1 1:nan", "finite"),
    ("+1 5", "index:value"),
    ("+1 a:1", "positive integer"),
])
def test_load_svmlight_malformed_lines(tmp_path, line, message):
    path = tmp_path / "bad.svm"
    path.write_text("# header\n-1 1:1 2:2\n" + line + "\n")
    with pytest.raises(TheorytoolsError, match=message) as info:
        load_svmlight(path)
    assert "bad.svm:3" in str(info.value)


def test_load_svmlight_other_errors(tmp_path):
    with pytest.raises(TheorytoolsError, match="path"):
        load_svmlight(tmp_path / "missing.svm")
    empty = tmp_path / "empty.svm"
    empty.write_text("# nothing\n\n")
    with pytest.raises(TheorytoolsError, match="no data"):
        load_svmlight(empty)
    wide = tmp_path / "wide.svm"
    wide.write_text("1 9:1\n")
    with pytest.raises(TheorytoolsError, match="wide.svm:1.*n_features"):
        load_svmlight(wide, n_features=8)
    with pytest.raises(TheorytoolsError, match="kind"):
        svmlight_problem(bundled_svmlight_path(), 2, kind="poisson")


def test_bundled_file_is_small():
    import os
    assert os.path.getsize(bundled_svmlight_path()) < 20_000


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, message", [
    (lambda: quadratic(0, 3, 1, 2), "n must be >= 1"),
    (lambda: quadratic(2, 0, 1, 2), "d must be >= 1"),
    (lambda: quadratic(2, 3, 0.0, 2), "mu must be > 0"),
    (lambda: quadratic(2, 3, -1.0, 2), "mu must be > 0"),
    (lambda: quadratic(2, 3, 3.0, 2.0), "mu must be <= L"),
    (lambda: quadratic(2, 3, 1.0, float("nan")), "L must be finite"),
    (lambda: quadratic(2, 3, 1.0, 2.0, zeta_sq=-1.0), "zeta_sq must be >= 0"),
    (lambda: quadratic(1, 3, 1.0, 2.0, zeta_sq=1.0), "zeta_sq must be 0"),
    (lambda: quadratic(2, 1, 1.0, 2.0), "mu must equal L"),
    (lambda: quadratic(2, 3, 1.0, 2.0, spectrum="cubic"), "spectrum"),
    (lambda: quadratic(2, 3, 1.0, 2.0, sigma=-0.1), "sigma must be >= 0"),
    (lambda: quadratic(2, 3, 1.0, 2.0, zeta_sq=1e-40), "too small"),
    (lambda: ridge(np.ones((5, 2)), np.ones(4), 2, 0.1), "same number of rows"),
    (lambda: ridge(np.ones((5, 2)), np.ones(5), 6, 0.1), "n must be <= 5"),
    (lambda: ridge(np.ones((5, 2)), np.ones(5), 1, 0.0), "positive definite"),
    (lambda: ridge(np.ones((5, 2)), np.ones(5), 1, -1.0), "lam must be >= 0"),
    (lambda: ridge([[1.0, float("nan")]], [1.0], 1, 0.1), r"X must be finite.*\[0, 1\]"),
    (lambda: ridge(np.ones(5), np.ones(5), 1, 0.1), "X must be 2-D"),
    (lambda: ridge(np.eye(4), np.ones(4), 2, 0.1, split="zigzag"), "split"),
    (lambda: ridge(np.eye(4), np.ones(4), 2, 0.1, batch=0), "batch must be >= 1"),
    (lambda: ridge(np.eye(4), np.ones(4), 2, 0.1, batch=1, sigma=1.0), "either batch"),
    (lambda: logistic(np.eye(4), np.array([1, -1, 0, 1.0]), 2, 0.1), r"labels\[2\] = 0.0"),
    (lambda: logistic(np.eye(4), np.ones(4), 2, 0.0), "lam must be > 0"),
    (lambda: logistic(np.eye(4), np.ones(3), 2, 0.1), "same number of rows"),
    (lambda: breast_cancer_logistic(0), "n must be >= 1"),
])
def test_bad_input_raises_naming_argument(call, message):
    with pytest.raises(TheorytoolsError, match=message):
        call()


def test_bad_evaluation_input():
    p = make("quadratic")
    with pytest.raises(TheorytoolsError, match="length d = 6"):
        p.f(np.ones(5))
    with pytest.raises(TheorytoolsError, match=r"shape \(n, d\) = \(4, 6\)"):
        p.grads(np.ones((3, 6)))
    with pytest.raises(TheorytoolsError, match="finite"):
        p.stochastic_grads(np.full((4, 6), np.nan), 0, 0)
    with pytest.raises(TheorytoolsError, match="i must be <= 3"):
        p.grad_i(4, np.ones(6))
    with pytest.raises(TheorytoolsError, match=r"seed must be an integer in \[0, 2\^64\), got -1"):
        p.stochastic_grads(np.ones((4, 6)), -1, 0)


def test_replicated_split_gives_every_node_the_whole_data_set():
    from theorytools.problems import logistic

    rng = np.random.default_rng(2)
    F = rng.standard_normal((30, 4))
    y = np.where(F[:, 0] > 0, 1.0, -1.0)
    p = logistic(F, y, 5, 0.1, batch=1, split="replicated")
    one = logistic(F, y, 1, 0.1, batch=1)
    assert p.n == 5 and p.info["m"] == 30 and p.info["dropped"] == 0
    assert abs(p.zeta_star_sq) < 1e-20
    assert np.allclose(p.x_star, one.x_star, rtol=1e-12, atol=1e-14)
    assert abs(p.f_star - one.f_star) <= 1e-12 * abs(one.f_star)
    # more nodes than rows is fine when every node holds all rows
    assert logistic(F[:3], y[:3], 7, 0.1, split="replicated").n == 7
