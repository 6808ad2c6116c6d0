"""Step-size schedules (issue 14): ``gamma`` of every decentralized method and of ``advance`` is a
positive real, a sequence of T positive reals, or a callable ``t -> gamma_t``; centralized
methods and local SGD take the callable form too.

The decentralized runs are checked EXACTLY (bit for bit) against a hand-rolled numpy
re-implementation of each update equation with a decaying schedule (identity compressor at
float64, so C(z) = z; mixing in the CSR row order the kernels use), and the check is shown to
fail on a planted off-by-one schedule.
"""
import warnings

import numpy as np
import pytest

from test_algorithms import quadratic_problem
from theorytools import algorithms as alg
from theorytools.algorithms import _common, decentralized
from theorytools.algorithms._batch import without_batch_kernel
from theorytools.algorithms.decentralized import advance, init_state
from theorytools.compressors import create
from theorytools.errors import TheorytoolsError
from theorytools.topology import complete, ring

EXACT = create("identity", float_width=64)
N, D, T, SEED = 5, 4, 12, 7
METHODS = ["dpsgd_lian", "dpsgd_atc", "naive", "dcd_psgd", "ecd_psgd", "choco_sgd"]


def choco_schedule(t):
    """CHOCO-SGD's experimental form a / (t + b) (Koloskova et al. 2019, Section 5)."""
    return 0.4 / (t + 3.0)


def _mix(topo, src):
    """out_i = sum_p W_ip src[j_p], accumulated from 0.0 in CSR order (the kernels' order)."""
    out = np.empty_like(src)
    for i in range(src.shape[0]):
        acc = np.zeros(src.shape[1])
        for p in range(topo.indptr[i], topo.indptr[i + 1]):
            acc = acc + topo.data[p] * src[topo.indices[p]]
        out[i] = acc
    return out


def reference(method, p, topo, steps, x0, seed, cs=1.0):
    """The update equations in numpy with C = identity (docs/algorithms.md); steps[t] is the
    step size of iteration t (0-based)."""
    X = np.tile(x0, (p.n, 1))
    aux = _mix(topo, X) if method == "dcd_psgd" else X.copy()
    for t, gamma in enumerate(steps):
        G = p.stochastic_grads(X, seed, t)
        if method == "dpsgd_lian":
            X = _mix(topo, X) - gamma * G
        elif method == "dpsgd_atc":
            X = _mix(topo, X - gamma * G)
        elif method == "naive":
            X = _mix(topo, X.copy()) - gamma * G
        elif method == "dcd_psgd":            # z = W xhat - gamma g - x; x += C(z); S += W C(z)
            Z = aux - gamma * G - X
            X = X + Z
            aux = aux + _mix(topo, Z)
        elif method == "ecd_psgd":            # Tang's t = t + 1
            tt = t + 1.0
            xnew = _mix(topo, aux) - gamma * G
            Z = (1.0 - tt / 2.0) * X + (tt / 2.0) * xnew
            X = xnew
            aux = (1.0 - 2.0 / tt) * aux + (2.0 / tt) * Z
        else:                                  # CHOCO: half step, xhat += C(x - xhat), gossip
            X = X - gamma * G
            aux = aux + (X - aux)
            X = X + cs * (_mix(topo, aux) - aux)
    return X, aux


def _run(method, p, topo, gamma, T_, *, threads=1, compressor=EXACT, seed=SEED, cs=0.6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        if method.startswith("dpsgd"):
            return alg.dpsgd(p, topo, gamma, T_, form=method[6:], seed=seed, record="every",
                             threads=threads)
        f = {"naive": alg.naive_compressed, "dcd_psgd": alg.dcd_psgd, "ecd_psgd": alg.ecd_psgd,
             "choco_sgd": alg.choco_sgd}[method]
        kw = {"consensus_step": cs} if method == "choco_sgd" else {}
        return f(p, topo, compressor, gamma, T_, seed=seed, record="every", threads=threads,
                 **kw)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.fixture(scope="module")
def problem():
    return quadratic_problem(N, D, sigma=0.3, common_hessian=False)


@pytest.mark.parametrize("threshold, block_bytes", [(0, 1), (0, 2 * 24 * 9), (float("inf"), 1)],
                         ids=["interleaved-block1", "interleaved-block2", "two-pass"])
@pytest.mark.parametrize("topo", [ring(N), complete(N)], ids=["ring", "complete"])
@pytest.mark.parametrize("method", METHODS)
def test_a_decaying_schedule_matches_the_numpy_reference_exactly(problem, method, topo,
                                                                 threshold, block_bytes,
                                                                 monkeypatch):
    monkeypatch.setattr(decentralized, "INTERLEAVE_BYTES", threshold)
    monkeypatch.setattr(decentralized, "INTERLEAVE_BLOCK_BYTES", block_bytes)
    steps = np.array([choco_schedule(t) for t in range(T)])
    tr = _run(method, problem, topo, choco_schedule, T)
    X, aux = reference(method, problem, topo, steps, np.zeros(D), SEED, cs=0.6)
    assert _same(tr.X, X), np.max(np.abs(tr.X - X))
    if not method.startswith("dpsgd"):
        assert _same(tr.meta["aux"], aux)
    assert _same(tr.meta["steps"], steps) and _same(tr.meta["gamma"], steps)


@pytest.mark.parametrize("method", METHODS)
def test_planted_fault_a_schedule_off_by_one_step_is_detected(problem, method, monkeypatch):
    """The exact comparison can fail: the engine fed the schedule one step late (iteration t
    using gamma_{t-1}, the first step repeated) no longer matches the reference."""
    original = _common.step_schedule

    def late(stepsize, T_, name="gamma", t0=0):
        s = original(stepsize, T_, name, t0)
        return np.concatenate([s[:1], s[:-1]]) if s.size else s

    monkeypatch.setattr(decentralized, "step_schedule", late)
    tr = _run(method, problem, ring(N), choco_schedule, T)
    X, _ = reference(method, problem, ring(N), [choco_schedule(t) for t in range(T)],
                     np.zeros(D), SEED, cs=0.6)
    assert not _same(tr.X, X)


@pytest.mark.parametrize("method", METHODS)
def test_callable_sequence_and_constant_forms_agree(problem, method):
    seq = [choco_schedule(t) for t in range(T)]
    a = _run(method, problem, ring(N), choco_schedule, T)
    for other in (seq, tuple(seq), np.array(seq)):
        b = _run(method, problem, ring(N), other, T)
        assert _same(a.X, b.X) and _same(a.f_gap, b.f_gap) and _same(a.bits, b.bits)
    # a constant schedule gives the bits of the scalar (the scalar's meta stays a float)
    c = _run(method, problem, ring(N), 0.05, T)
    d = _run(method, problem, ring(N), [0.05] * T, T)
    e = _run(method, problem, ring(N), lambda t: 0.05, T)
    assert _same(c.X, d.X) and _same(c.X, e.X) and _same(c.meta["aux"], e.meta["aux"])
    assert c.meta["gamma"] == 0.05 and _same(c.meta["steps"], np.full(T, 0.05))


@pytest.mark.parametrize("method", ["dcd_psgd", "ecd_psgd", "choco_sgd", "naive"])
def test_threads_and_the_per_node_path_follow_the_schedule(problem, method):
    c = create("dithering[s=4]")
    one = _run(method, problem, complete(N), choco_schedule, T, compressor=c)
    two = _run(method, problem, complete(N), choco_schedule, T, compressor=c, threads=2)
    slow = _run(method, problem, complete(N), choco_schedule, T,
                compressor=without_batch_kernel(c))
    for other in (two, slow):
        assert _same(one.X, other.X) and _same(one.meta["aux"], other.meta["aux"])
        assert _same(one.bits, other.bits) and _same(one.consensus, other.consensus)


@pytest.mark.parametrize("method", METHODS)
def test_advance_in_pieces_with_a_callable_equals_one_run(problem, method):
    """The callable sees the absolute iteration index, so pieces of 5 + 1 + 6 steps equal
    one run of 12; a sequence given to one call covers that call's steps."""
    topo = ring(N)
    c = None if method.startswith("dpsgd") else EXACT
    one = init_state(method, problem, topo)
    advance(one, problem, topo, c, choco_schedule, T, seed=SEED)
    pieces = init_state(method, problem, topo)
    for k in (5, 1, 6):
        advance(pieces, problem, topo, c, choco_schedule, k, seed=SEED)
    assert pieces.t == T and _same(one.X, pieces.X) and _same(one.aux, pieces.aux)
    seq = init_state(method, problem, topo)
    advance(seq, problem, topo, c, [choco_schedule(t) for t in range(7)], 7, seed=SEED)
    advance(seq, problem, topo, c, [choco_schedule(t) for t in range(7, T)], T - 7, seed=SEED)
    assert _same(one.X, seq.X) and _same(one.aux, seq.aux)


@pytest.mark.parametrize("bad, message", [
    (lambda t: 0.1 if t < 4 else 0.0, r"gamma\[4\] = gamma\(4\) must be finite and > 0, got 0.0"),
    (lambda t: -1.0, r"gamma\[0\] = gamma\(0\) must be finite and > 0, got -1.0"),
    (lambda t: float("nan") if t == 7 else 1.0, r"gamma\[7\] .*got nan"),
    (lambda t: "fast", r"gamma\[0\] = gamma\(0\) must return a real number"),
    (lambda t: 1.0 / abs(t - 2), r"gamma\[2\] = gamma\(2\) must return a real number, got "
                              r"ZeroDivisionError"),
    ([0.1] * (T - 1), r"gamma: a schedule needs T = 12 step sizes, got 11"),
    ([0.1] * 5 + [np.inf] + [0.1] * 6, r"gamma\[5\] must be finite and > 0, got inf"),
    (["a"] * T, r"gamma: a schedule must hold real numbers"),
    (0.0, r"gamma"),
])
def test_bad_schedules_are_named(problem, bad, message):
    for method in ("dcd_psgd", "dpsgd_lian"):
        with pytest.raises(TheorytoolsError, match=message):
            _run(method, problem, ring(N), bad, T)


def test_advance_names_the_absolute_step_of_a_bad_callable(problem):
    st = init_state("choco_sgd", problem, ring(N))
    advance(st, problem, ring(N), EXACT, 0.1, 3)
    with pytest.raises(TheorytoolsError, match=r"gamma\[4\] = gamma\(4\)"):
        advance(st, problem, ring(N), EXACT, lambda t: 0.1 if t != 4 else -0.1, 3)
    assert st.t == 3                                  # refused before any step ran
    with pytest.raises(TheorytoolsError, match="steps"):
        advance(st, problem, ring(N), EXACT, 0.1, -1)


@pytest.mark.parametrize("name", ["minibatch_sgd", "cgd", "dcgd", "ef_sgd"])
def test_centralized_methods_take_the_callable_form(problem, name):
    f = getattr(alg, name)
    args = (problem,) if name == "minibatch_sgd" else (problem, create("dithering[s=4]"))
    if name == "cgd":
        args = (quadratic_problem(1, D, sigma=0.3), create("dithering[s=4]"))
    a = f(*args, choco_schedule, T, seed=2, record="every")
    b = f(*args, [choco_schedule(t) for t in range(T)], T, seed=2, record="every")
    assert _same(a.x_bar, b.x_bar) and _same(a.f_gap, b.f_gap)
    assert _same(a.meta["steps"], b.meta["steps"])
    with pytest.raises(TheorytoolsError, match=r"gamma\[3\]"):
        f(*args, lambda t: 0.1 if t != 3 else 0.0, T)


def test_local_sgd_takes_the_callable_form():
    p = quadratic_problem(4, D, sigma=0.3)
    a = alg.local_sgd(p, T, 3, stepsize=choco_schedule, seed=1, record="every")
    b = alg.local_sgd(p, T, 3, stepsize=[choco_schedule(t) for t in range(T)], seed=1,
                      record="every")
    assert _same(a.X, b.X) and _same(a.x_bar, b.x_bar)
    with pytest.raises(TheorytoolsError, match=r"stepsize\[0\]"):
        alg.local_sgd(p, T, 3, stepsize=lambda t: -1.0)
