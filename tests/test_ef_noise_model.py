"""P1's EF-SGD noise model E||g_i - grad f_i||^2 <= B ||grad f_i||^2 + C (authors' poster of P1):
the problems certify (B, C) for their own oracles (exact for additive noise and for quadratic
sampling with replacement, where the bound is an equality at the certified point), the step-size
condition eta <= 1/(14 (2 delta + B) L) refuses runs unless forced, and the weights
w_k = (1 - mu eta/2)^-(k+1), k = 0..K (x^K included)."""
import math

import numpy as np
import pytest

from theorytools.errors import TheorytoolsError
from theorytools.problems import quadratic, ridge
from theorytools.theory import get
from theorytools.theory.beznosikov2020 import (ef_reference_run, ef_stepsize_bound, ef_weights,
                                               ef_weighted_average)


def _ridge(batch=2, lam=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((24, 4))
    y = X @ rng.standard_normal(4) + 0.3 * rng.standard_normal(24)
    return ridge(X, y, 3, lam, batch=batch)


def _gap(prob, cert, x):
    """max_i [V_i(x) - B ||grad f_i(x)||^2 - C] with every node at x (exact variance)."""
    V = prob.sampling_variance(x, per_node=True)
    G = np.array([prob.grad_i(i, x) for i in range(prob.n)])
    return float(np.max(V - cert["B"] * np.sum(G * G, axis=1) - cert["C"]))


@pytest.mark.parametrize("batch", [1, 3])
def test_quadratic_sampling_certificate_holds_everywhere_and_is_attained(batch):
    prob = _ridge(batch)
    cert = prob.ef_noise_constants()
    assert cert["status"] == "exact" and cert["B"] == 2 * cert["B_min"] > 0
    rng = np.random.default_rng(1)
    scale = 1 + float(np.abs(prob.x_star).max())
    for _ in range(200):
        x = prob.x_star + scale * 10.0 ** rng.uniform(-3, 3) * rng.standard_normal(prob.d)
        assert _gap(prob, cert, x) <= 1e-9 * (1 + cert["C"])
    # equality at the certified point of the node with the largest C_i
    i = int(np.argmax(cert["C_per_node"]))
    x = cert["attaining"][i]
    V = prob.sampling_variance(x, per_node=True)[i]
    g = prob.grad_i(i, x)
    assert math.isclose(V, cert["B"] * float(g @ g) + cert["C"], rel_tol=1e-9)


def test_planted_smaller_c_is_violated():
    prob = _ridge(2)
    cert = prob.ef_noise_constants()
    planted = dict(cert, C=0.99 * cert["C"])
    i = int(np.argmax(cert["C_per_node"]))
    assert _gap(prob, planted, cert["attaining"][i]) > 0


def test_b_at_or_below_its_minimum_is_refused():
    prob = _ridge(2)
    b_min = prob.ef_noise_constants()["B_min"]
    with pytest.raises(TheorytoolsError, match="B must exceed B_min"):
        prob.ef_noise_constants(B=b_min)
    larger = prob.ef_noise_constants(B=4 * b_min)
    assert larger["C"] < prob.ef_noise_constants()["C"]   # C(B) decreases in B


def test_additive_and_none():
    p = quadratic(3, 5, 1.0, 4.0, sigma=0.7, seed=1)
    cert = p.ef_noise_constants()
    assert cert["B"] == 0.0 and cert["C"] == 0.7 ** 2 and cert["status"] == "exact"
    q = quadratic(3, 5, 1.0, 4.0, seed=1)
    assert q.ef_noise_constants()["C"] == 0.0


def test_weights_include_x_K_and_match_the_formula():
    mu, eta, K = 1.0, 0.05, 7
    w = ef_weights(mu, eta, K)
    assert w.size == K + 1
    direct = (1 - mu * eta / 2) ** -(np.arange(K + 1) + 1.0)
    assert np.allclose(w / w.sum(), direct / direct.sum(), rtol=1e-14)
    xs = np.arange(K + 1, dtype=float)[:, None] * np.ones((1, 2))
    avg = ef_weighted_average(xs, mu, eta)
    assert np.allclose(avg, (direct[:, None] * xs).sum(axis=0) / direct.sum(), rtol=1e-14)
    # planted: dropping x^K (k = 0..K-1) gives another average
    assert not np.allclose(avg, (direct[:-1, None] * xs[:-1]).sum(axis=0) / direct[:-1].sum())


def test_stepsize_condition_refuses_unless_forced():
    th = get("beznosikov2020.ef_theorem")
    bound = ef_stepsize_bound(delta=2.0, B=0.5, L=3.0)
    assert bound == 1 / (14 * (2 * 2.0 + 0.5) * 3.0)
    th.require_admissible(delta=2.0, B=0.5, L=3.0, eta=bound)
    with pytest.raises(TheorytoolsError, match=r"14 \(2 delta \+ B\) L"):
        th.require_admissible(delta=2.0, B=0.5, L=3.0, eta=1.01 * bound)
    assert th.require_admissible(delta=2.0, B=0.5, L=3.0, eta=1.01 * bound, force=True)
    prob = quadratic(2, 4, 1.0, 2.0, seed=0)
    from theorytools.compressors import create
    top = create("top_k[k=2]", float_width=64)
    with pytest.raises(TheorytoolsError, match="outside"):
        ef_reference_run(prob, top, 0.5, 5, theorem=th)
    xs = ef_reference_run(prob, top, 0.5, 5, theorem=th, force=True)
    assert xs.shape == (6, 4)


def test_reference_run_equals_ef_sgd_with_full_gradients():
    from theorytools import algorithms as alg
    from theorytools.compressors import create
    prob = quadratic(3, 6, 1.0, 3.0, zeta_sq=0.5, seed=2)
    top = create("top_k[k=2]", float_width=64)
    eta, K = 0.01, 40
    xs = ef_reference_run(prob, top, eta, K, x0=np.ones(6))
    tr = alg.ef_sgd(prob, top, eta, K, x0=np.ones(6), record="every")
    gaps = np.array([prob.f(x) - prob.f_star for x in xs])
    assert np.allclose(gaps, tr.f_gap, rtol=1e-10, atol=1e-14)


def test_ef_theorem_checks_pass_and_a_planted_rate_fails():
    th = get("beznosikov2020.ef_theorem")
    rows = th.run_checks(quick=True)
    assert rows and all(c.passed for _, c in rows), [(l, c.details) for l, c in rows
                                                     if not c.passed]
    assert th.status == "author-poster"
    bad = th.run_checks(quick=True, rate_constant=3.0)
    assert any(not c.passed for _, c in bad)
