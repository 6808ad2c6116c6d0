"""The worked example of docs/algorithms.md, "How to add an algorithm" (issue 19): D² added as
one module (``theorytools/algorithms/d2.py``) plus this test.

* the module listing in the docs is the module, byte for byte (the how-to cannot go stale);
* D² equals a hand-written numpy version of its update equations exactly (ring and complete
  graph, a decaying schedule), and the check fails on a planted fault (the first step written
  like the others);
* its defining law: on noiseless heterogeneous quadratics it converges to x* itself, where
  D-PSGD stays at a biased point; the law fails on a planted fault (no correction term);
* the registry's checks.
"""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from test_algorithms import quadratic_problem
from theorytools import algorithms as alg
from theorytools.algorithms.d2 import d2, d2_phase1
from theorytools.algorithms.decentralized import (METHODS, Method, advance, init_state,
                                                  register_method, simulate)
from theorytools.algorithms.kernels import compress_row_add, mix_row, node_grad, node_step_key
from theorytools.compressors import create
from theorytools.errors import TheorytoolsError
from theorytools.topology import complete, ring

ROOT = Path(__file__).resolve().parents[1]
N, D, T = 5, 4, 15


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _mix(topo, src):
    out = np.empty_like(src)
    for i in range(src.shape[0]):
        acc = np.zeros(src.shape[1])
        for p in range(topo.indptr[i], topo.indptr[i + 1]):
            acc = acc + topo.data[p] * src[topo.indices[p]]
        out[i] = acc
    return out


X0 = np.linspace(-1.3, 0.7, D)


def reference(p, topo, steps, seed):
    """D² in numpy from x0 = X0: H_t = X_t - gamma_t G_t; X_{t+1} = W H_0 (t = 0), else
    W ((H_t + X_t) - H_{t-1})."""
    X = np.tile(X0, (p.n, 1))
    H_prev = X.copy()
    for t, gamma in enumerate(steps):
        G = p.stochastic_grads(X, seed, t)
        H = X - gamma * G
        M = H if t == 0 else (H + X) - H_prev
        H_prev = H
        X = _mix(topo, M)
    return X, H_prev


def schedule(t):
    return 0.3 / (t + 2.0)


@pytest.fixture(scope="module")
def problem():
    return quadratic_problem(N, D, sigma=0.3, common_hessian=False)


def test_the_docs_listing_is_the_module():
    text = (ROOT / "docs" / "algorithms.md").read_text()
    section = text[text.index("## How to add an algorithm"):]
    blocks = re.findall(r"^```python3\n(.*?)^```$", section, re.S | re.M)
    assert blocks, "no python3 listing in the how-to"
    assert blocks[0] == (ROOT / "theorytools" / "algorithms" / "d2.py").read_text()


@pytest.mark.parametrize("topo", [ring(N), complete(N)], ids=["ring", "complete"])
def test_d2_equals_its_update_equations_in_numpy(problem, topo):
    tr = d2(problem, topo, schedule, T, seed=4, record="every", x0=X0)
    X, H = reference(problem, topo, [schedule(t) for t in range(T)], 4)
    assert _same(tr.X, X) and _same(tr.meta["aux"], H)
    assert np.array_equal(tr.bits[-1], np.full(N, 32 * D * T))      # one vector per step
    assert tr.algorithm == "d2" and tr.meta["threads"] == 1


@njit(cache=True)
def _planted_phase0(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """D²'s phase 0 with the first step written like the others ((h + x) - h_prev with
    h_prev = x at t = 0: equal in exact arithmetic, not in floating point)."""
    g = st.S[0]
    for i in range(lo, hi):
        x, h_prev, msg = st.X[i], st.aux[i], st.Cm[i]
        node_grad(o, i, x, seed, t, g)
        for k in range(x.size):
            h = x[k] - gamma * g[k]
            msg[k] = (h + x[k]) - h_prev[k]
            h_prev[k] = h
        st.step_bits[i] = cc.full_bits


@njit(cache=True)
def _uncorrected_phase0(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """Planted fault: the message is h alone (D-PSGD adapt-then-combine, no correction)."""
    g = st.S[0]
    for i in range(lo, hi):
        x, msg = st.X[i], st.Cm[i]
        node_grad(o, i, x, seed, t, g)
        for k in range(x.size):
            msg[k] = x[k] - gamma * g[k]
        st.step_bits[i] = cc.full_bits


PLANTED = register_method(Method("d2_planted_first_step", False, phase0=_planted_phase0,
                                 phase1=d2_phase1))
UNCORRECTED = register_method(Method("d2_planted_uncorrected", False,
                                     phase0=_uncorrected_phase0, phase1=d2_phase1))


def test_planted_fault_in_the_first_step_is_detected(problem):
    steps = [schedule(t) for t in range(T)]
    bad = simulate(PLANTED.name, problem, ring(N), None, schedule, T, seed=4, record="final",
                   x0=X0)
    good = simulate("d2", problem, ring(N), None, schedule, T, seed=4, record="final", x0=X0)
    X, _ = reference(problem, ring(N), steps, 4)
    assert _same(good.X, X) and not _same(bad.X, X)


def _dist_after(name, T_=400):
    p = quadratic_problem(N, D, sigma=0.0, common_hessian=False, seed=3)
    tr = simulate(name, p, ring(N), None, 0.2, T_, record="final")
    return float(tr.dist_sq[-1]), p


def test_d2_converges_to_x_star_where_dpsgd_is_biased():
    """Noiseless heterogeneous quadratics: D²'s fixed point is consensus at x* (the
    correction makes W(X + H - H_prev) = X force sum_i grad f_i = 0 at consensus), so the
    mean's distance to x* falls to rounding; D-PSGD's fixed point is biased by O(gamma
    zeta)."""
    dist_d2, p = _dist_after("d2")
    dist_dpsgd, _ = _dist_after("dpsgd_atc")
    assert dist_d2 < 1e-24
    assert dist_dpsgd > 1e-6


def test_planted_fault_without_the_correction_the_law_fails():
    dist, _ = _dist_after(UNCORRECTED.name)
    assert not dist < 1e-24


def test_advance_in_pieces_and_threads(problem):
    one = init_state("d2", problem, ring(N))
    advance(one, problem, ring(N), None, schedule, T, seed=1)
    pieces = init_state("d2", problem, ring(N))
    for k in (4, 1, 10):
        advance(pieces, problem, ring(N), None, schedule, k, seed=1)
    assert _same(one.X, pieces.X) and _same(one.aux, pieces.aux)
    a = simulate("d2", problem, ring(N), None, 0.05, T, seed=1, threads=2)
    b = simulate("d2", problem, ring(N), None, 0.05, T, seed=1, threads=1)
    assert _same(a.X, b.X) and a.meta["threads"] == 1


def test_the_registry_refuses_bad_entries():
    assert METHODS["d2"].phase0 is not None and METHODS["dcd_psgd"].engine is not None
    with pytest.raises(TheorytoolsError, match="already registered"):
        register_method(Method("d2", False, phase0=_planted_phase0, phase1=d2_phase1))
    with pytest.raises(TheorytoolsError, match="node kernels"):
        register_method(Method("no_kernels", False))
    with pytest.raises(TheorytoolsError, match="identifier"):
        register_method(Method("not a name", False, phase0=_planted_phase0, phase1=d2_phase1))
    with pytest.raises(TheorytoolsError, match="method must be one of"):
        init_state("d3", quadratic_problem(3, 2), ring(3))


def test_d2_warns_outside_its_assumption():
    p = quadratic_problem(4, D)
    with pytest.warns(alg.AssumptionWarning, match="lambda_min"):
        d2(p, ring(4), 0.1, 2)                          # ring(4): lambda_min = -1/3
    with warnings.catch_warnings():
        warnings.simplefilter("error", alg.AssumptionWarning)
        d2(quadratic_problem(N, D), ring(N), 0.1, 2)


@njit(cache=True)
def _choco_phase0(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """CHOCO-SGD's phase 0 from the public building blocks: x <- x - gamma g; the message
    C(x - xhat) with node i's compressor stream; xhat += C(x - xhat)."""
    g, v = st.S[0], st.S[1]
    for i in range(lo, hi):
        x, a = st.X[i], st.aux[i]
        node_grad(o, i, x, seed, t, g)
        for k in range(x.size):
            h = x[k] - gamma * g[k]
            x[k] = h
            v[k] = h - a[k]
        bits = compress_row_add(cc.code, cc.cparams, cc.table, v, node_step_key(cseed, i, t),
                                st.Cm[i], st.gi, a)
        if bits < 0:
            st.fail[i] = 1
        else:
            st.step_bits[i] = bits


@njit(cache=True)
def _choco_phase1(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """x <- x + gamma_c (sum_j W_ij xhat_j - xhat_i)."""
    m = st.S[2]
    for i in range(lo, hi):
        mix_row(gr, st.aux, i, m)
        x, a = st.X[i], st.aux[i]
        for k in range(x.size):
            x[k] = x[k] + cs * (m[k] - a[k])


CHOCO_AGAIN = register_method(Method("choco_from_building_blocks", True,
                                     phase0=_choco_phase0, phase1=_choco_phase1))


@pytest.mark.parametrize("spec", ["dithering[s=4]", "top_k[k=2]", "grid_rounding"])
def test_a_registered_compressed_method_reproduces_the_built_in_bit_for_bit(problem, spec):
    """The registry path with compression: CHOCO-SGD written with the public building blocks
    equals the fused built-in kernel (iterates, public copies, bits, trace)."""
    c = create(spec)
    a = alg.choco_sgd(problem, ring(N), c, schedule, T, seed=2, consensus_step=0.6,
                      record="every")
    b = simulate(CHOCO_AGAIN.name, problem, ring(N), c, schedule, T, seed=2,
                 consensus_step=0.6, record="every")
    for field in ("X", "f_gap", "consensus", "bits", "wall_time"):
        assert _same(getattr(a, field), getattr(b, field)), field
    assert _same(a.meta["aux"], b.meta["aux"])


def test_a_registered_method_refuses_a_compressor_without_batch_kernel(problem):
    with pytest.raises(TheorytoolsError, match="batch kernel"):
        simulate(CHOCO_AGAIN.name, problem, ring(N), create("natural_dithering[s=4]"), 0.1, 2)
