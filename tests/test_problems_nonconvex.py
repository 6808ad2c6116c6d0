"""logistic_nonconvex: gradients against finite differences, the certified smoothness L
(attained at 0) and curvature bound -lam/2, the simulator's oracle against the Python path,
and planted faults (a wrong L, a wrong regulariser gradient) that the checks catch."""
import math

import numpy as np
import pytest

import theorytools.problems._kernels as PK
from theorytools.algorithms import dpsgd, minibatch_sgd
from theorytools.errors import TheorytoolsError
from theorytools.problems import check_constants, logistic_nonconvex
from theorytools.topology import ring


def _data(N=160, d=6, seed=0):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((N, d))
    y = np.where(F @ rng.standard_normal(d) + 0.3 * rng.standard_normal(N) > 0, 1.0, -1.0)
    return F, y


def _problem(lam=0.3, **kw):
    F, y = _data()
    kw.setdefault("batch", 4)
    return logistic_nonconvex(F, y, 4, lam, **kw)


def _hessian(p, x):
    """The analytic Hessian (independent of the kernels)."""
    F = p.arrays["features"].reshape(-1, p.d)
    y = p.arrays["labels"].ravel()
    s = np.exp(-np.logaddexp(0.0, -y * (F @ x)))
    w = s * (1 - s) / F.shape[0]
    r2 = (2 - 6 * x * x) / (1 + x * x) ** 3
    return (F * w[:, None]).T @ F + p.arrays["reg"] * np.diag(r2)


def _fd_gradient_error(p, x, h=1e-6):
    g = p.grad(x)
    fd = np.array([(p.f(x + h * e) - p.f(x - h * e)) / (2 * h) for e in np.eye(p.d)])
    return float(np.max(np.abs(g - fd)))


def test_gradient_matches_finite_differences():
    p = _problem()
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = 2.0 * rng.standard_normal(p.d)
        # central differences: error O(h^2 f''') + O(eps f / h) ~ 1e-9 here
        assert _fd_gradient_error(p, x) < 1e-7
        for i in range(p.n):   # node gradients too
            gi = p.grad_i(i, x)
            fd = np.array([(p.f_i(i, x + 1e-6 * e) - p.f_i(i, x - 1e-6 * e)) / 2e-6
                           for e in np.eye(p.d)])
            assert np.max(np.abs(gi - fd)) < 1e-7


def test_hessian_formula_matches_finite_differences_of_the_gradient():
    p = _problem()
    x = np.random.default_rng(2).standard_normal(p.d)
    h = 1e-6
    H = np.array([(p.grad(x + h * e) - p.grad(x - h * e)) / (2 * h) for e in np.eye(p.d)])
    assert np.max(np.abs(H - _hessian(p, x))) < 1e-7


def test_L_is_certified_and_attained_at_zero_and_curvature_bounded_below():
    p = _problem()
    lam = p.arrays["reg"]
    assert math.isclose(np.linalg.eigvalsh(_hessian(p, np.zeros(p.d)))[-1], p.L, rel_tol=1e-12)
    rng = np.random.default_rng(3)
    for scale in (0.3, 1.0, 3.0, 30.0):
        for _ in range(20):
            ev = np.linalg.eigvalsh(_hessian(p, scale * rng.standard_normal(p.d)))
            assert ev[-1] <= p.L * (1 + 1e-12) and ev[0] >= -lam / 2 - 1e-12
    assert p.mu == -lam / 2
    # -lam/2 is approached: data curvature ~ 0 far out, one coordinate at 1
    x = 1e4 * np.where(np.arange(p.d) % 2 == 0, 1.0, -1.0)
    x[0] = 1.0
    assert np.linalg.eigvalsh(_hessian(p, x))[0] < -lam / 2 + 1e-6
    assert np.allclose(p.L_i, [np.linalg.eigvalsh(
        Fi.T @ Fi / (4 * Fi.shape[0]))[-1] + 2 * lam for Fi in p.arrays["features"]],
        rtol=1e-12)
    assert all(ok for _, _, ok in check_constants(p).values())


def test_not_convex_and_f_star_is_a_lower_bound():
    p = _problem()
    # midpoint convexity fails along a coordinate where the regulariser dominates
    a, b = np.zeros(p.d), np.zeros(p.d)
    a[0], b[0] = 1.0, 3.0
    pp = _problem(lam=50.0)
    assert pp.f(0.5 * (a + b)) > 0.5 * (pp.f(a) + pp.f(b))
    rng = np.random.default_rng(4)
    assert all(p.f(3 * rng.standard_normal(p.d)) >= p.f_star for _ in range(20))
    assert np.all(np.isnan(p.x_star))


def test_sigma_sq_is_an_upper_bound():
    p = _problem()
    rng = np.random.default_rng(5)
    for _ in range(10):
        assert p.sampling_variance(3 * rng.standard_normal(p.d)) <= p.sigma_sq


def test_simulator_oracle_equals_python_path():
    p = _problem()
    x0 = np.random.default_rng(6).standard_normal(p.d)
    tr = minibatch_sgd(p, 0.1, 0, x0=x0, record=np.array([0]))
    assert math.isclose(tr.f_gap[0], p.f(x0), rel_tol=1e-12)
    assert math.isclose(tr.grad_norm_sq[0], float(p.grad(x0) @ p.grad(x0)), rel_tol=1e-10)
    X = np.tile(x0, (p.n, 1)) + 0.1 * np.arange(p.n)[:, None]
    G = p.stochastic_grads(X, 7, 3)
    for i in range(p.n):
        assert np.array_equal(p.stochastic_grad_i(i, X[i], 7, 3), G[i])
    # the sampled gradients average to the full gradient (exact expectation over indices)
    for i in range(p.n):
        assert np.allclose(p.sample_grads(i, X[i]).mean(axis=0), p.grads(X)[i], atol=1e-14)
    tr = dpsgd(p, ring(4), 0.5 / p.L, 300, seed=1, record=np.array([0, 300]))
    assert tr.f_gap[-1] < tr.f_gap[0] and tr.grad_norm_sq[-1] < tr.grad_norm_sq[0]


def test_bad_input_is_refused():
    F, y = _data()
    with pytest.raises(TheorytoolsError, match="batch"):
        logistic_nonconvex(F, y, 4, 0.1, batch=1)
    with pytest.raises(TheorytoolsError, match="lam"):
        logistic_nonconvex(F, y, 4, 0.0, batch=2)
    with pytest.raises(TheorytoolsError, match="labels"):
        logistic_nonconvex(F, np.zeros_like(y), 4, 0.1)


# ----------------------------------------------------------------- planted faults
def test_planted_fault_wrong_L_is_caught():
    """r'' <= 1 instead of 2 (L smaller by lam): check_constants and the Hessian check fail."""
    import dataclasses
    p = _problem()
    bad = dataclasses.replace(p, L=p.L - p.arrays["reg"])
    assert not check_constants(bad)["L"][2]
    assert np.linalg.eigvalsh(_hessian(p, np.zeros(p.d)))[-1] > bad.L * (1 + 1e-9)


def test_planted_fault_wrong_regulariser_gradient_is_caught(monkeypatch):
    """A kernel with the derivative 2x/(1+x^2) (missing a square) fails the finite differences."""
    p = _problem()
    x = np.random.default_rng(8).standard_normal(p.d)
    assert _fd_gradient_error(p, x) < 1e-7

    def wrong(reg, X, out):
        out += reg * 2.0 * X / (1.0 + X * X)
        return out

    monkeypatch.setattr(PK, "nonconvex_reg_grads_add", wrong)
    assert _fd_gradient_error(p, x) > 1e-3


def test_simulator_oracle_rows_equal_the_problem_bit_for_bit():
    """The simulator's oracle (node_grads, node_grad, node_value_grad, objective,
    full_gradient) adds the regulariser exactly as Problem does."""
    from theorytools.algorithms import _oracle as O

    for kw in ({"batch": 3}, {"sigma": 0.5, "batch": None}, {"batch": None}):
        p = _problem(**kw)
        o = O.oracle_of(p)
        assert o.reg == p.arrays["reg"] and o.lam == 0.0
        X = np.random.default_rng(9).standard_normal((p.n, p.d))
        out = np.empty_like(X)
        O.node_grads(o, X, np.uint64(5), np.uint64(2), out)
        assert np.array_equal(out, p.stochastic_grads(X, 5, 2))
        for i in range(p.n):
            row = np.empty(p.d)
            O.node_grad(o, i, X[i], np.uint64(5), np.uint64(2), row)
            assert np.array_equal(row, out[i])
        x = X[0]
        rows, grads, g = np.empty_like(X), np.empty_like(X), np.empty(p.d)
        O.full_gradient(o, x, rows, grads, g)
        assert np.allclose(g, p.grad(x), rtol=1e-13, atol=1e-15)
        assert math.isclose(O.objective(o, x), p.f(x), rel_tol=1e-13)
        vals = [O.node_value_grad(o, i, x, rows[i]) for i in range(p.n)]
        assert math.isclose(sum(vals) / p.n, p.f(x), rel_tol=1e-13)
        assert np.allclose(rows.mean(axis=0), p.grad(x), rtol=1e-13, atol=1e-15)
