"""Laws the simulator must satisfy (checks (docs/sources.md#checks), P1 divergence example (docs/sources.md#divergence); P1 EF-SGD theorem (docs/sources.md#ef)),
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
    """Spec P1 divergence example (docs/sources.md#divergence): f_i(x) = <a_i, x>^2 + ||x||^2/4 (three nodes, d = 3)."""
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
    """Derived local-SGD facts (docs/sources.md#derived) / I-6: identical quadratics + additive noise: the average equals
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


def test_centralized_step_size_schedules():
    """gamma as a schedule (P1 EF-SGD theorem (docs/sources.md#ef)'s eta_k): a constant schedule gives the scalar's bits;
    with exact gradients and the identity compressor, EF / DCGD / mini-batch SGD with a
    decreasing schedule are gradient descent x_{t+1} = x_t - gamma_t grad f(x_t), computed
    here in numpy (an off-by-one or an ignored schedule fails this); EF's virtual iterate
    follows SGD with the schedule; bad schedules are rejected naming the entry."""
    p = quadratic_problem(3, 5, common_hessian=False)
    T = 40
    steps = 0.3 / (1.0 + 0.2 * np.arange(T))
    for run in (alg.ef_sgd, alg.dcgd):
        a = run(p, create("top_k[k=2]", float_width=64), 0.05, T, seed=3)
        b = run(p, create("top_k[k=2]", float_width=64), np.full(T, 0.05), T, seed=3)
        assert np.array_equal(a.x_bar.view(np.uint64), b.x_bar.view(np.uint64))
        assert np.array_equal(b.meta["steps"], np.full(T, 0.05))
    A, bvec = p.arrays["A"].mean(axis=0), p.arrays["b"].mean(axis=0)
    x = np.zeros(p.d)
    for g in steps:
        x = x - g * (A @ x - bvec)
    for tr in (alg.ef_sgd(p, EXACT, steps, T), alg.dcgd(p, EXACT, steps, T),
               alg.minibatch_sgd(p, steps, T)):
        assert _rel(tr.x_bar, x) <= 1e-12, tr.algorithm
    noisy = quadratic_problem(4, 6, sigma=0.3, common_hessian=False)
    tr = alg.ef_sgd(noisy, create("top_k[k=2]", float_width=64), steps, T, seed=5)
    assert np.max(tr.meta["virtual_gap"]) <= 1e-12 * (1 + np.linalg.norm(noisy.x_star))
    for bad, msg in ((steps[:-1], "needs T = 40"), (np.r_[steps[:-1], -1.0], r"gamma\[39\]"),
                     (np.r_[np.nan, steps[1:]], r"gamma\[0\]"), (0.0, "gamma")):
        with pytest.raises(TheorytoolsError, match=msg):
            alg.ef_sgd(p, EXACT, bad, T)


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
    (Tang et al. 2018, Algorithm 2 (ECD-PSGD) (docs/sources.md#tang); to ~t eps)."""
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
    """x_bar_{t+1} = x_bar_t - gamma g_bar_t + mean_i q_t^(i) (checks I-4 (docs/sources.md#checks))."""
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


# ------------------------------------------------------------------ speed paths (exactness)
@pytest.mark.parametrize("s", [1, 2, 3, 7, 16, 255, 256])
@pytest.mark.parametrize("width", [32, 64])
def test_batch_dithering_equals_the_compressor_on_long_rows(s, width):
    """The vectorised dithering row (``compressors._kernels.dither_row``: float levels, counter
    advanced by addition, level * (norm / s) for s a power of two) is the compressor's
    arithmetic bit for bit: long rows (vector loop + tail), exact level boundaries, signed
    zeros, a spike (|x_i| = norm: level s), tiny and large scales."""
    rng = np.random.default_rng(s * 100 + width)
    d = 1003
    spike = np.zeros(d)
    spike[17] = -3.5
    X = np.array([rng.standard_normal(d), rng.standard_normal(d) * 1e-100,
                  rng.standard_normal(d) * 1e30, np.zeros(d),
                  np.where(rng.random(d) < 0.5, 0.0, -0.0), spike,
                  rng.integers(-s, s + 1, d) / s,
                  rng.standard_normal(d) * (rng.random(d) < 0.05), np.full(d, 0.25)])
    c = create(f"dithering[s={s}]", float_width=width)
    batch = prepare(c, d)
    for step in (0, 5):
        out, _ = compress_all(batch, X, 42, step)
        for i in range(X.shape[0]):
            key = np.uint64(node_step_key(np.uint64(42), i, step))
            expected = c._reconstruct(c._sample(X[i], key), d)
            assert np.array_equal(out[i].view(np.uint64), expected.view(np.uint64)), (i, step)


def _csr_mix(top, M):
    """sum_p W_ip M[j_p] in CSR order from 0.0, in Python (the engine's arithmetic)."""
    out = np.zeros_like(M)
    for i in range(top.n):
        acc = np.zeros(M.shape[1])
        for p in range(top.indptr[i], top.indptr[i + 1]):
            acc = acc + top.data[p] * M[top.indices[p]]
        out[i] = acc
    return out


def _node_compress(c, Z, seed, t):
    from theorytools.algorithms._engine import COMPRESS_TAG
    cseed = np.uint64(seed) ^ COMPRESS_TAG
    return np.array([c._reconstruct(c._sample(Z[i], np.uint64(node_step_key(cseed, i, t))),
                                    Z.shape[1]) for i in range(Z.shape[0])])


def _small_logistic(n, d, m, batch):
    rng = np.random.default_rng(7)
    F = rng.standard_normal((n, m, d)) / math.sqrt(d)
    Y = np.where(rng.random((n, m)) < 0.5, 1.0, -1.0)
    nan = float("nan")
    return Problem("t_logistic", n, d, "logistic", {"features": F, "labels": Y, "lam": 0.01},
                   nan, 0.01, np.full(n, nan), np.zeros(d), 0.0, nan, nan,
                   Noise("sampling", batch=batch), nan, {})


def _small_ridge(n, d, m, batch):
    rng = np.random.default_rng(8)
    D = rng.standard_normal((n, m, d))
    T = rng.standard_normal((n, m))
    nan = float("nan")
    return Problem("t_ridge", n, d, "quadratic",
                   {"A": np.zeros((n, d, d)), "b": np.zeros((n, d)), "c": np.zeros(n),
                    "features": D, "targets": T, "lam": 0.05}, nan, 0.05, np.full(n, nan),
                   np.zeros(d), 0.0, nan, nan, Noise("sampling", batch=batch), nan, {})


@pytest.mark.parametrize("make", [lambda: _small_logistic(9, 23, 6, 1),
                                  lambda: _small_ridge(9, 23, 6, 1),
                                  lambda: _small_logistic(9, 23, 6, 2)])
def test_one_step_of_dcd_and_choco_equals_the_update_from_the_parts(make):
    """One DCD and one CHOCO step equal, bit for bit, the update assembled from the public
    parts: ``Problem.stochastic_grads`` (node i's stream), the compressor with node i's key, and
    CSR-order mixing. Batch-1 sampling takes the engine's fused path (the gradient
    lam x + w a_j formed on the fly, never written), batch 2 the node kernel; the star's centre
    (8 neighbours + itself) takes the chunked mixing path."""
    from theorytools.algorithms.decentralized import advance, init_state
    from theorytools.topology import star
    p = make()
    top = star(p.n)
    c = create("dithering[s=16]")
    gamma, seed, t = 0.3, 5, 3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((p.n, p.d))
    # DCD from (X, S) at step t
    st = init_state("dcd_psgd", p, top)
    st.X[:] = X
    st.aux[:] = _csr_mix(top, X) + 0.01 * rng.standard_normal(X.shape)
    S0 = st.aux.copy()
    st.t = t
    advance(st, p, top, c, gamma, 1, seed=seed)
    G = p.stochastic_grads(X, seed, t)
    CZ = _node_compress(c, S0 - gamma * G - X, seed, t)
    assert np.array_equal(st.X, X + CZ)
    assert np.array_equal(st.aux, S0 + _csr_mix(top, CZ))
    # CHOCO from (X, Xhat) at step t
    st = init_state("choco_sgd", p, top)
    st.X[:] = X
    H = X + 0.01 * rng.standard_normal(X.shape)
    st.aux[:] = H
    st.t = t
    advance(st, p, top, c, gamma, 1, seed=seed, consensus_step=0.4)
    V = X - gamma * G
    H1 = H + _node_compress(c, V - H, seed, t)
    assert np.array_equal(st.aux, H1)
    assert np.array_equal(st.X, V + 0.4 * (_csr_mix(top, H1) - H1))


def _run_all(threads):
    """Every decentralized method on problems that cover the fused gradient path, the node
    kernels and additive noise, with compressors that cover every kernel family."""
    from theorytools.topology import star
    out = {}
    probs = {"logistic1": _small_logistic(9, 13, 5, 1), "ridge3": _small_ridge(9, 13, 5, 3),
             "quad": quadratic_problem(9, 6, sigma=0.3, common_hessian=False)}
    comps = ["dithering[s=16]", "grid_rounding[step=0.01]", "rand_k[k=3]", "bernoulli[p=0.4]"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        for pn, p in probs.items():
            for top in (ring(9), star(9)):
                g = 0.02
                for form in ("lian", "atc"):
                    out[pn, top.name, form] = alg.dpsgd(p, top, g, 8, form=form, seed=3,
                                                        record="every", threads=threads)
                for cs in comps:
                    c = create(cs, float_width=64)
                    for name, fn in (("naive", alg.naive_compressed), ("dcd", alg.dcd_psgd),
                                     ("ecd", alg.ecd_psgd)):
                        out[pn, top.name, name, cs] = fn(p, top, c, g, 8, seed=5,
                                                         record="every", threads=threads)
                    out[pn, top.name, "choco", cs] = alg.choco_sgd(
                        p, top, c, g, 8, consensus_step=0.4, seed=5, record="every",
                        threads=threads)
    return out


def _bits_of(tr):
    return [np.ascontiguousarray(a).view(np.uint8) for a in
            (tr.X, tr.meta["aux"], tr.f_gap, tr.grad_norm_sq, tr.dist_sq, tr.consensus,
             tr.bits)]


def test_parallel_runs_are_bit_identical_to_serial_runs():
    """threads=2 (prange over node blocks; 9 nodes -> uneven blocks) gives the serial bits for
    every method, compressor family, problem kind and both mixing paths."""
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here (NUMBA_NUM_THREADS)")
    serial, parallel = _run_all(1), _run_all(2)
    for key, tr in serial.items():
        assert parallel[key].meta["threads"] == 2
        for a, b in zip(_bits_of(tr), _bits_of(parallel[key])):
            assert np.array_equal(a, b), key


def test_same_seed_same_bits_in_another_process_with_threads(tmp_path):
    """A separate process, threads from the THEORYTOOLS_THREADS variable, reproduces the
    in-process serial run bit for bit."""
    import os
    import subprocess
    import sys
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here (NUMBA_NUM_THREADS)")
    code = (
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})\n"
        "from test_algorithms import _small_logistic\n"
        "from theorytools import algorithms as alg\n"
        "from theorytools.compressors import create\n"
        "from theorytools.topology import ring\n"
        "p = _small_logistic(9, 13, 5, 1)\n"
        "tr = alg.choco_sgd(p, ring(9), create('dithering[s=16]'), 0.02, 20,"
        " consensus_step=0.4, seed=4, record='every')\n"
        "assert tr.meta['threads'] == 2\n"
        f"np.save({str(tmp_path / 'x.npy')!r}, np.concatenate([tr.X.ravel(), tr.f_gap]))\n")
    env = dict(os.environ, THEORYTOOLS_THREADS="2")
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    tr = alg.choco_sgd(_small_logistic(9, 13, 5, 1), ring(9), create("dithering[s=16]"), 0.02,
                       20, consensus_step=0.4, seed=4, record="every", threads=1)
    other = np.load(tmp_path / "x.npy")
    assert np.array_equal(other.view(np.uint64),
                          np.concatenate([tr.X.ravel(), tr.f_gap]).view(np.uint64))


def test_threads_switch_bad_input(monkeypatch):
    import numba
    from theorytools.algorithms.decentralized import THREADS_ENV, resolve_threads
    p = quadratic_problem(4, 3)
    for bad in (0, -1, 2.5, "two", True, [2]):
        with pytest.raises(TheorytoolsError, match="threads must be an integer >= 1 or 'all'"):
            alg.dpsgd(p, ring(4), 0.1, 3, threads=bad)
    too_many = numba.config.NUMBA_NUM_THREADS + 1
    with pytest.raises(TheorytoolsError, match="NUMBA_NUM_THREADS"):
        alg.dcd_psgd(p, ring(4), create("natural"), 0.1, 3, threads=too_many)
    assert resolve_threads("all") == numba.config.NUMBA_NUM_THREADS
    assert resolve_threads(1) == 1
    monkeypatch.setenv(THREADS_ENV, "zero")
    with pytest.raises(TheorytoolsError, match=THREADS_ENV):
        alg.dpsgd(p, ring(4), 0.1, 3)
    monkeypatch.setenv(THREADS_ENV, "0")
    with pytest.raises(TheorytoolsError, match=THREADS_ENV):
        alg.dpsgd(p, ring(4), 0.1, 3)
    monkeypatch.setenv(THREADS_ENV, "all")
    assert resolve_threads() == numba.config.NUMBA_NUM_THREADS
    assert alg.dpsgd(p, ring(4), 0.1, 3).meta["threads"] == numba.config.NUMBA_NUM_THREADS
    monkeypatch.delenv(THREADS_ENV)
    assert resolve_threads() == 1


def test_trace_points_are_the_oracle_values_at_the_average_model():
    """A trace point (f and grad f from one pass over each node's samples) equals
    ``objective`` and ``full_gradient`` at the sequential node average, bit for bit, and
    the problem's numpy f to rounding."""
    from theorytools.algorithms._oracle import full_gradient, objective, oracle_of
    p = _small_logistic(9, 13, 5, 1)
    p = __import__("dataclasses").replace(p, f_star=0.25)
    for threads in (1, 2) if __import__("numba").config.NUMBA_NUM_THREADS >= 2 else (1,):
        tr = alg.dcd_psgd(p, ring(9), create("dithering[s=16]"), 0.05, 7, seed=2,
                          record=np.array([0, 7]), threads=threads)
        xbar = np.zeros(p.d)
        for i in range(p.n):
            xbar += tr.X[i]
        xbar /= p.n
        o = oracle_of(p)
        n, d = p.n, p.d
        gbar = np.empty(d)
        full_gradient(o, xbar, np.empty((n, d)), np.empty((n, d)), gbar)
        assert tr.f_gap[-1] == objective(o, xbar) - 0.25
        assert tr.grad_norm_sq[-1] == gbar @ gbar
        assert abs(tr.f_gap[-1] + 0.25 - p.f(xbar)) <= 1e-14


def test_prepare_is_cached_per_compressor_and_dimension():
    c = create("dithering[s=16]")
    assert prepare(c, 50) is prepare(create("dithering[s=16]"), 50)
    assert prepare(c, 50) is not prepare(c, 51)
    assert prepare(c, 50) is not prepare(create("dithering[s=8]"), 50)
    assert prepare(c, 50) is not prepare(create("dithering[s=16]", float_width=64), 50)
