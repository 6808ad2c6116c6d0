"""Laws the simulator must satisfy (spec decentralized_localsgd.md §5.1, compression.md §C.2-C.3),
to 1e-12 unless randomness says otherwise, plus bad input and planted faults."""
import math
import warnings

import numpy as np
import pytest

from theorytools import algorithms as alg
from theorytools.algorithms import _engine as E
from theorytools.algorithms._batch import compress_all, prepare
from theorytools.compressors import create
from theorytools.errors import TheorytoolsError
from theorytools.problems.base import Noise, Problem
from theorytools.random import node_step_key
from theorytools.topology import complete, ring, torus


def quadratic_problem(n, d, *, sigma=0.0, seed=0, common_hessian=True, A_list=None,
                      b_list=None):
    """A small strongly convex quadratic, constants computed here (tests only)."""
    rng = np.random.default_rng(seed)
    if A_list is None:
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        eig = np.linspace(1.0, 4.0, d)
        A0 = Q @ np.diag(eig) @ Q.T
        A_list = np.array([A0 if common_hessian else A0 + np.diag(rng.uniform(0, 1, d))
                           for _ in range(n)])
    if b_list is None:
        b_list = rng.standard_normal((n, d))
    A_list = np.asarray(A_list, dtype=float)
    b_list = np.asarray(b_list, dtype=float)
    Abar, bbar = A_list.mean(axis=0), b_list.mean(axis=0)
    x_star = np.linalg.solve(Abar, bbar)
    f_star = float(0.5 * x_star @ Abar @ x_star - bbar @ x_star)
    eig = np.linalg.eigvalsh(Abar)
    grads = np.einsum("nij,j->ni", A_list, x_star) - b_list
    return Problem("test_quadratic", n, d, "quadratic",
                   {"A": A_list, "b": b_list, "c": np.zeros(n)}, float(eig[-1]), float(eig[0]),
                   np.array([np.linalg.eigvalsh(a)[-1] for a in A_list]), x_star, f_star,
                   float(np.mean(np.sum(grads ** 2, axis=1))), math.inf,
                   Noise("additive", sigma) if sigma else Noise(), sigma ** 2, {})


def counterexample_problem():
    """Spec compression.md §C.2: f_i(x) = <a_i, x>^2 + ||x||^2/4 (three nodes, d = 3)."""
    a = np.array([[-3.0, 2, 2], [2, -3, 2], [2, 2, -3]])
    A = np.array([2 * np.outer(v, v) + 0.5 * np.eye(3) for v in a])
    return quadratic_problem(3, 3, A_list=A, b_list=np.zeros((3, 3)))


EXACT = create("identity", float_width=64)


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b)))


@pytest.mark.parametrize("sigma", [0.0, 0.3])
def test_identity_compression_reduces_dcd_and_ecd_to_dpsgd(sigma):
    p = quadratic_problem(8, 5, sigma=sigma, common_hessian=False)
    top = ring(8)
    ref = alg.dpsgd(p, top, 0.05, 60, seed=3)
    dcd = alg.dcd_psgd(p, top, EXACT, 0.05, 60, seed=3)
    ecd = alg.ecd_psgd(p, top, EXACT, 0.05, 60, seed=3)
    assert _rel(dcd.X, ref.X) <= 1e-12
    assert _rel(ecd.X, ref.X) <= 60 * 1e-14   # ECD cancels terms of size t/2: ~t eps
    assert _rel(ecd.meta["aux"], ecd.X) <= 60 * 1e-14   # Y_tilde = X (I-2)


def test_choco_with_identity_and_unit_step_is_dpsgd_atc():
    p = quadratic_problem(6, 4, sigma=0.2, common_hessian=False)
    top = torus(2, 3) if False else ring(6)
    ref = alg.dpsgd(p, top, 0.05, 50, form="atc", seed=1)
    choco = alg.choco_sgd(p, top, EXACT, 0.05, 50, consensus_step=1.0, seed=1)
    assert _rel(choco.X, ref.X) <= 1e-12


def test_complete_graph_dpsgd_is_minibatch_sgd():
    p = quadratic_problem(5, 4, sigma=0.4, common_hessian=False)
    top = complete(5)
    atc = alg.dpsgd(p, top, 0.05, 40, form="atc", seed=2)
    mb = alg.minibatch_sgd(p, 0.05, 40, seed=2)
    assert _rel(atc.X, np.tile(mb.x_bar, (5, 1))) <= 1e-12
    # Lian form: the average equals mini-batch SGD when the Hessians are shared (linear grads)
    p2 = quadratic_problem(5, 4, sigma=0.4, common_hessian=True)
    lian = alg.dpsgd(p2, top, 0.05, 40, form="lian", seed=2)
    assert _rel(lian.x_bar, alg.minibatch_sgd(p2, 0.05, 40, seed=2).x_bar) <= 1e-12


def test_local_sgd_with_h1_is_minibatch_sgd():
    p = quadratic_problem(4, 3, sigma=0.5, common_hessian=True)
    loc = alg.local_sgd(p, 30, 1, stepsize=0.05, seed=4)
    mb = alg.minibatch_sgd(p, 0.05, 30, seed=4)
    assert _rel(loc.X, np.tile(mb.x_bar, (4, 1))) <= 1e-12


def test_local_sgd_average_is_independent_of_h_on_quadratics_with_additive_noise():
    """Spec §4.5 / I-6: identical quadratics + additive noise: the average equals
    mini-batch SGD pathwise for every H."""
    p = quadratic_problem(4, 3, sigma=0.5, common_hessian=True, b_list=np.tile(
        np.array([1.0, -2.0, 0.5]), (4, 1)))
    mb = alg.minibatch_sgd(p, 0.05, 40, seed=9)
    for H in (2, 5, 8):
        loc = alg.local_sgd(p, 40, H, stepsize=0.05, seed=9)
        assert _rel(loc.X.mean(axis=0), mb.x_bar) <= 1e-12


def test_ef_virtual_iterate_follows_sgd():
    p = quadratic_problem(4, 6, sigma=0.3, common_hessian=False)
    for spec in ("top_k[k=2]", "scaled_sign", "rand_k[k=3]"):
        tr = alg.ef_sgd(p, create(spec, float_width=64), 0.02, 80, seed=5)
        assert np.max(tr.meta["virtual_gap"]) <= 1e-12 * (1 + np.linalg.norm(p.x_star))


@pytest.mark.parametrize("eta", [0.01, 0.1, 0.5])
def test_top1_counterexample_diverges_without_ef_and_converges_with_it(eta):
    p = counterexample_problem()
    assert math.isclose(p.mu, 7 / 6, rel_tol=1e-12) and math.isclose(p.L, 103 / 6, rel_tol=1e-12)
    top1 = create("top_k[k=1]", float_width=64)
    x0 = np.ones(3)
    K = 50
    tr = alg.dcgd(p, top1, eta, K, x0=x0, record="every")
    expected = (1 + 11 * eta / 6) ** np.arange(K + 1)
    got = np.sqrt(tr.dist_sq / 3)            # x^k = c_k (1,1,1), ||x^k||^2 = 3 c_k^2
    assert np.max(np.abs(got / expected - 1)) <= 1e-12


@pytest.mark.parametrize("eta", [0.01, 0.05, 0.1])
def test_counterexample_with_error_feedback_converges(eta):
    p = counterexample_problem()
    tr = alg.ef_sgd(p, create("top_k[k=1]", float_width=64), eta, 2000, x0=np.ones(3))
    assert math.sqrt(tr.dist_sq[-1]) <= 1e-8


def test_dcd_replicas_equal_the_mixed_models():
    p = quadratic_problem(8, 6, sigma=0.2, common_hessian=False)
    top = ring(8)
    tr = alg.dcd_psgd(p, top, create("rand_k[k=3]", float_width=64), 0.02, 100, seed=6)
    mixed = top.W @ tr.X
    assert _rel(tr.meta["aux"], mixed) <= 1e-12
    # planted: a replica state one step stale is detected by the same comparison
    stale = alg.dcd_psgd(p, top, create("rand_k[k=3]", float_width=64), 0.02, 99, seed=6)
    assert _rel(stale.meta["aux"], mixed) > 1e-6


def test_naive_compression_has_an_error_floor_where_dcd_converges():
    p = quadratic_problem(8, 5, common_hessian=True)
    top = ring(8)
    c = create("natural", float_width=64)
    naive = alg.naive_compressed(p, top, c, 0.05, 3000, seed=1)
    dcd = alg.dcd_psgd(p, top, c, 0.05, 3000, seed=1)
    assert dcd.dist_sq[-1] < 1e-12
    assert naive.dist_sq[-1] > 1e3 * dcd.dist_sq[-1]


@pytest.mark.parametrize("spec", ["identity", "natural", "biased_natural", "dithering[s=4]",
                                  "rand_k[k=3]", "rand_k_biased[k=2]", "top_k[k=2]",
                                  "bernoulli[p=0.4]", "bernoulli_biased[p=0.6]", "sign",
                                  "scaled_sign", "grid_rounding[step=0.1]"])
@pytest.mark.parametrize("width", [64, 32])
def test_batch_rows_equal_the_compressor_with_the_node_key(spec, width):
    c = create(spec, float_width=width)
    X = np.random.default_rng(0).standard_normal((5, 9))
    batch = prepare(c, 9)
    out, bits = compress_all(batch, X, 42, 7)
    for i in range(5):
        key = np.uint64(node_step_key(np.uint64(42), i, 7))
        expected = c._reconstruct(c._sample(X[i], key), 9)
        assert np.array_equal(out[i].view(np.uint64), expected.view(np.uint64)), i
        # the bit count is the real codec length: encode with the same key
        from theorytools.codecs.bitio import BitWriter
        w = BitWriter()
        c._write(c._sample(X[i], key), w, 9, False)
        assert bits[i] == w.nbits


def test_same_seed_same_trace_bits():
    p = quadratic_problem(6, 4, sigma=0.3)
    c = create("dithering[s=3]")
    a = alg.choco_sgd(p, ring(6), c, 0.05, 40, consensus_step=0.5, seed=11)
    b = alg.choco_sgd(p, ring(6), c, 0.05, 40, consensus_step=0.5, seed=11)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.bits, b.bits)
    other = alg.choco_sgd(p, ring(6), c, 0.05, 40, consensus_step=0.5, seed=12)
    assert not np.array_equal(a.X, other.X)


def test_bits_and_wall_time_are_recorded():
    p = quadratic_problem(8, 10)
    c = create("top_k[k=2]")
    tr = alg.dcd_psgd(p, ring(8), c, 0.05, 20, record="every", network=alg.NetworkModel(
        latency=1e-3, bandwidth=1e6, compute=1e-4)) if False else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        tr = alg.dcd_psgd(p, ring(8), c, 0.05, 20, record="every",
                          network=alg.NetworkModel(latency=1e-3, bandwidth=1e6, compute=1e-4))
    per_msg = c.bits_budget(np.zeros(10))
    assert np.all(tr.bits[-1] == 20 * per_msg)
    step = 1e-4 + 1e-3 + 2 * per_msg / 1e6      # ring: max degree 2
    assert np.allclose(tr.wall_time, step * tr.steps, rtol=1e-12)


def test_bad_input():
    p = quadratic_problem(4, 3)
    with pytest.raises(TheorytoolsError, match="gamma"):
        alg.dpsgd(p, ring(4), 0.0, 10)
    with pytest.raises(TheorytoolsError, match="n=5"):
        alg.dpsgd(p, ring(5), 0.1, 10)
    with pytest.raises(TheorytoolsError, match="H must be >= 1"):
        alg.local_sgd(p, 10, 0)
    with pytest.raises(TheorytoolsError, match="x0"):
        alg.dpsgd(p, ring(4), 0.1, 10, x0=np.ones(2))
    with pytest.raises(TheorytoolsError, match="no batch kernel"):
        alg.dcd_psgd(p, ring(4), create("natural_dithering"), 0.1, 10)
    with pytest.raises(TheorytoolsError, match="Theorem 2.2"):
        alg.local_sgd(p, 10, 2, a=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", alg.AssumptionWarning)
        with pytest.raises(alg.AssumptionWarning, match="biased"):
            alg.dcd_psgd(p, ring(4), create("top_k[k=1]"), 0.1, 10)


def _stepper(method, p, top, c, gamma, T, seed):
    from theorytools.algorithms.decentralized import advance, init_state
    state = init_state(method, p, top)
    history = [(state.X.copy(), state.aux.copy())]
    for _ in range(T):
        advance(state, p, top, c, gamma, 1, seed=seed)
        history.append((state.X.copy(), state.aux.copy()))
    return state, history


def test_advancing_step_by_step_equals_one_run():
    p = quadratic_problem(6, 5, sigma=0.3, common_hessian=False)
    top = ring(6)
    c = create("rand_k[k=2]", float_width=64)
    state, _ = _stepper("choco_sgd", p, top, c, 0.05, 25, 8)
    whole = alg.choco_sgd(p, top, c, 0.05, 25, seed=8)
    assert np.array_equal(state.X, whole.X)


def test_ecd_estimation_error_recursion():
    """e_{t+1} = (1 - 2/t) e_t + (2/t) q_t with e = Y_tilde - X and q_t = C(z_t) - z_t
    (spec decentralized_localsgd.md §1.3.4; to ~t eps)."""
    from theorytools.algorithms._engine import COMPRESS_TAG
    p = quadratic_problem(5, 4, sigma=0.2, common_hessian=False)
    top = ring(5)
    c = create("grid_rounding[step=0.05]", float_width=64)
    batch = prepare(c, 4)
    _, hist = _stepper("ecd_psgd", p, top, c, 0.05, 30, 3)
    for t in range(1, 31):                       # Tang's t: the t-th iteration
        X_t, Y_t = hist[t - 1]
        X_next, Y_next = hist[t]
        Z = (1 - t / 2) * X_t + (t / 2) * X_next
        CZ, _ = compress_all(batch, Z, np.uint64(3) ^ COMPRESS_TAG, t - 1)
        e_t, e_next = Y_t - X_t, Y_next - X_next
        predicted = (1 - 2 / t) * e_t + (2 / t) * (CZ - Z)
        assert np.max(np.abs(e_next - predicted)) <= 50 * t * 2.0 ** -52 * (1 + np.abs(Z).max())


def test_dcd_average_follows_the_averaged_update():
    """x_bar_{t+1} = x_bar_t - gamma g_bar_t + mean_i q_t^(i) (spec §5.1 I-4)."""
    from theorytools.algorithms._engine import COMPRESS_TAG
    p = quadratic_problem(6, 4, sigma=0.3, common_hessian=False)
    top = ring(6)
    c = create("natural", float_width=64)
    batch = prepare(c, 4)
    gamma = 0.05
    _, hist = _stepper("dcd_psgd", p, top, c, gamma, 20, 4)
    for t in range(20):
        X_t, S_t = hist[t]
        X_next, _ = hist[t + 1]
        G = p.stochastic_grads(X_t, 4, t)
        Z = S_t - gamma * G - X_t
        CZ, _ = compress_all(batch, Z, np.uint64(4) ^ COMPRESS_TAG, t)
        lhs = X_next.mean(axis=0) - (X_t.mean(axis=0) - gamma * G.mean(axis=0))
        assert np.max(np.abs(lhs - (CZ - Z).mean(axis=0))) <= 1e-12 * (1 + np.abs(X_t).max())


@pytest.mark.parametrize("make", [
    lambda: __import__("theorytools.problems", fromlist=["x"]).quadratic(8, 6, 0.5, 4.0,
                                                                          zeta_sq=0.3, sigma=0.2),
    lambda: __import__("theorytools.problems", fromlist=["x"]).breast_cancer_logistic(8, batch=2),
    lambda: __import__("theorytools.problems", fromlist=["x"]).diabetes_ridge(8, batch=3),
])
def test_every_algorithm_runs_on_the_certified_problems(make):
    """Integration: the simulator's oracle drives every problem kind and noise model, and its
    stochastic gradients are the problem's own (same streams)."""
    p = make()
    top = ring(8)
    X = np.random.default_rng(0).standard_normal((8, p.d)) * 0.1
    from theorytools.algorithms._oracle import node_grads, oracle_of
    G = np.empty_like(X)
    node_grads(oracle_of(p), X, np.uint64(5), 3, G)
    assert np.array_equal(G, p.stochastic_grads(X, 5, 3))
    gamma = 0.5 / p.L
    c = create("dithering[s=8]")
    runs = [alg.dpsgd(p, top, gamma, 30), alg.dcd_psgd(p, top, c, gamma, 30),
            alg.ecd_psgd(p, top, create("grid_rounding[step=0.01]"), gamma, 30),
            alg.choco_sgd(p, top, c, gamma, 30, consensus_step=0.5),
            alg.minibatch_sgd(p, gamma, 30), alg.dcgd(p, c, gamma, 30),
            alg.ef_sgd(p, create("top_k[k=2]"), gamma, 30)]
    for tr in runs:
        assert np.all(np.isfinite(tr.f_gap)) and tr.f_gap[-1] < tr.f_gap[0], tr.algorithm
        assert np.all(tr.f_gap >= -1e-9 * max(1.0, abs(p.f_star))), tr.algorithm
