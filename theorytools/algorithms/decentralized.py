r"""Decentralized algorithms on a graph: D-PSGD (two forms), naive compressed D-PSGD,
DCD-PSGD, ECD-PSGD, CHOCO-SGD.

Update equations (matrix form, rows = nodes; spec decentralized_localsgd.md §1.3, §3.1):

* ``dpsgd(form="lian")``: :math:`X_{t+1} = W X_t - \gamma G(X_t)` (Lian et al. 2017; gradient at
  the pre-mixing model) — sends the full model.
* ``dpsgd(form="atc")``: :math:`X_{t+1} = W (X_t - \gamma G(X_t))` (adapt-then-combine, as the
  epfml/ChocoSGD "plain" method [REFERENCE-CODE]).
* ``naive_compressed``: :math:`X_{t+1} = W\,C(X_t) - \gamma G(X_t)`: every node sends a compressed
  model; the compression noise does not vanish, so there is an error floor (§1.3.2).
* ``dcd_psgd`` (Tang et al. 2018, Alg. 1 [REFERENCE-CODE]): :math:`Z_t = W\hat X_t - \gamma G_t
  - X_t`, :math:`X_{t+1} = X_t + C(Z_t)`; every node keeps the mixed replicas
  :math:`S = W\hat X` updated by the same compressed differences, so :math:`\hat X = X` exactly.
* ``ecd_psgd`` (Tang et al. 2018, Alg. 2 [REFERENCE-CODE]): :math:`X_{t+1} = W\tilde Y_t - \gamma
  G(X_t)`, :math:`z = (1 - t/2)x_t + (t/2)x_{t+1}`,
  :math:`\tilde Y_{t+1} = (1 - 2/t)\tilde Y_t + (2/t)C(Z)`, t from 1.
* ``choco_sgd`` (Koloskova et al. 2019): :math:`X^{+} = X - \eta G`,
  :math:`\hat X \mathrel{+}= C(X^{+} - \hat X)`, :math:`X_{t+1} = X^{+} + \gamma_c (W - I)\hat X`.

Bits: compressed methods count each node's real message length (codec bit counts, see
:mod:`theorytools.algorithms._batch`); uncompressed ones ``float_bits * d`` per node (32 bits
per coordinate by default, as the papers count).

Threads: every function takes ``threads`` (an int >= 1, ``"all"``, or None = the environment
variable ``THEORYTOOLS_THREADS``, default 1). With more than one thread the node loops of each
iteration run in parallel on Numba's threads; the results are bit-identical to one thread
(see :func:`resolve_threads`).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from theorytools.algorithms import _engine as E
from theorytools.algorithms._batch import prepare
from theorytools.algorithms._common import (check_compressor, check_run, check_seed,
                                             warn_unless_unbiased)
from theorytools.algorithms._oracle import oracle_of
from theorytools.algorithms.cost import NetworkModel
from theorytools.algorithms.trace import Trace
from theorytools.errors import TheorytoolsError, check_real

THREADS_ENV = "THEORYTOOLS_THREADS"


def resolve_threads(threads=None) -> int:
    """The number of threads for the simulator's node loops.

    ``threads``: an int >= 1, ``"all"`` (every thread Numba has: ``numba.config.NUMBA_NUM_THREADS``,
    by default the number of CPUs), or None: the environment variable ``THEORYTOOLS_THREADS``
    (same values), else 1. More threads than Numba has raise (set ``NUMBA_NUM_THREADS`` before
    numba is imported to allow more). The number changes speed only: node i draws from its own
    per-step streams and every cross-node sum runs serially in node order, so any number of
    threads gives the same bits.
    """
    source = "threads"
    if threads is None:
        threads = os.environ.get(THREADS_ENV, "").strip() or 1
        source = THREADS_ENV
    available = numba.config.NUMBA_NUM_THREADS
    if isinstance(threads, str):
        if threads.lower() == "all":
            return available
        try:
            threads = int(threads)
        except ValueError:
            raise TheorytoolsError(f"{source} must be an integer >= 1 or 'all', got "
                                   f"{threads!r}") from None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise TheorytoolsError(f"{source} must be an integer >= 1 or 'all', got {threads!r}")
    if threads > available:
        raise TheorytoolsError(f"{source} = {threads}, but Numba has {available} threads "
                               "(NUMBA_NUM_THREADS); use 'all' or set NUMBA_NUM_THREADS before "
                               "importing numba")
    return int(threads)


def _start_threads():
    """Start Numba's threading layer before the first parallel kernel. Unless the user set
    ``OMP_WAIT_POLICY``, it is set to PASSIVE first (it only matters if the OpenMP runtime is not
    loaded yet): idle threads then sleep instead of spinning. On a machine whose cores are busy
    with other work, spinning threads took the CPU from the ones doing the work and each
    iteration's two synchronisations cost a scheduler time slice: 2 threads ran ~7x SLOWER than
    one (measured at load 3 on 2 cores); passive waiting was 1.2x faster there and ~5% slower
    than spinning on idle cores."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    E.threading_ready(1)


@contextmanager
def _numba_threads(k):
    """Run the block with Numba's thread count set to k (restored afterwards)."""
    if k == 1:
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(k)
    try:
        yield
    finally:
        numba.set_num_threads(old)


_METHODS = {"dpsgd_lian": E.DPSGD_LIAN, "dpsgd_atc": E.DPSGD_ATC, "naive": E.NAIVE,
            "dcd_psgd": E.DCD, "ecd_psgd": E.ECD, "choco_sgd": E.CHOCO}


@dataclass
class DecentralizedState:
    """Explicit state of a decentralized run (advance it with :func:`advance`).

    ``X`` (n, d): the nodes' models; ``aux``: DCD's mixed replicas :math:`S = W\\hat X`, ECD's
    estimates :math:`\\tilde Y`, CHOCO's :math:`\\hat X` (a copy of X for D-PSGD); ``t``: the
    number of iterations done; ``bits``: cumulative bits per node.
    """

    method: str
    X: np.ndarray
    aux: np.ndarray
    t: int
    bits: np.ndarray


def init_state(method, problem, topology, x0=None) -> DecentralizedState:
    """The initial state of ``method`` (x_1 = x0 on every node; replicas/estimates = x0)."""
    if method not in _METHODS:
        raise TheorytoolsError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    _, _, x0, _ = check_run(problem, 1.0, 0, "every", topology=topology, x0=x0)
    X = np.tile(x0, (problem.n, 1))
    if method == "dcd_psgd":
        aux = np.empty_like(X)
        E.mix(topology.indptr, topology.indices, topology.data, X, aux)   # S = W X_hat_1
    else:
        aux = X.copy()
    return DecentralizedState(method, X, aux, 0, np.zeros(problem.n, np.int64))


def advance(state, problem, topology, compressor, gamma, steps, *, seed=0, consensus_step=1.0,
            float_bits=32, shared=False, record_at=None, network=None, threads=None):
    """Run ``steps`` iterations from ``state`` in place (same random streams as one long run:
    iteration t always draws from ``node_step_key(seed, i, t)``). Returns the per-step maximum
    message bits and the recorded metrics. ``threads``: see :func:`resolve_threads`."""
    gamma = check_real(gamma, "gamma", low=0.0, low_open=True)
    seed = check_seed(seed)
    if compressor is not None or not state.method.startswith("dpsgd"):
        compressor = check_compressor(compressor, state.method)
    k = resolve_threads(threads)
    n, d = problem.n, problem.d
    if compressor is not None:
        batch = prepare(compressor, d, shared=shared)
        code, cparams, table = batch.code, batch.params, batch.bits_table
    else:
        code, cparams, table = 0, np.array([64.0]), np.zeros(1, np.int64)
    record_at = np.zeros(0, np.int64) if record_at is None else record_at
    r = record_at.size
    f_gap, g_sq, dist_sq, cons = (np.empty(r) for _ in range(4))
    bits_cum = np.zeros((r, n), np.int64)
    step_max = np.zeros(steps, np.int64)
    args = (_METHODS[state.method], state.X, state.aux, topology.indptr, topology.indices,
            topology.data, gamma, consensus_step, state.t, steps, oracle_of(problem), code,
            cparams, table, float_bits * d, np.uint64(seed), record_at, problem.x_star,
            problem.f_star, f_gap, g_sq, dist_sq, cons, state.bits, bits_cum, step_max)
    if k == 1:
        failed = E.run_decentralized(*args)
    else:
        _start_threads()
        with _numba_threads(k):
            failed = E.run_decentralized_parallel(*args, k)
    if failed >= 0:
        raise TheorytoolsError(f"{state.method}: compression failed at step {failed} (values "
                               f"outside the wire format of {compressor.canonical_name}; "
                               "diverging?)")
    state.t += steps
    return step_max, (f_gap, g_sq, dist_sq, cons, bits_cum)


def _run(name, problem, topology, compressor, gamma, T, *, seed, x0, record, network,
         consensus_step=1.0, float_bits=32, shared=False, threads=None):
    gamma, T, x0, record_at = check_run(problem, gamma, T, record, topology=topology, x0=x0,
                                        seed=seed)
    if not name.startswith("dpsgd"):
        compressor = check_compressor(compressor, name)
    threads = resolve_threads(threads)
    state = init_state(name, problem, topology, x0)
    exact = True if compressor is None else prepare(compressor, problem.d,
                                                     shared=shared).bits_exact
    step_max, (f_gap, g_sq, dist_sq, cons, bits_cum) = advance(
        state, problem, topology, compressor, gamma, T, seed=seed,
        consensus_step=consensus_step, float_bits=float_bits, shared=shared,
        record_at=record_at, threads=threads)
    network = network or NetworkModel()
    wall = network.wall_times(step_max, record_at, "neighbors", problem.n, topology.max_degree)
    X = state.X
    return Trace(name, record_at, f_gap, g_sq, dist_sq, cons, bits_cum, wall, X.mean(axis=0), X,
                 exact, {"gamma": gamma, "T": T, "seed": seed, "topology": topology.name,
                         "compressor": None if compressor is None else compressor.canonical_name,
                         "problem": problem.name, "aux": state.aux, "state": state,
                         "threads": threads})


def dpsgd(problem, topology, gamma, T, *, form="lian", seed=0, x0=None, record="log",
          network=None, float_bits=32, threads=None):
    """D-PSGD: ``form="lian"`` (:math:`X_{t+1} = WX_t - \\gamma G(X_t)`) or ``"atc"``."""
    if form not in ("lian", "atc"):
        raise TheorytoolsError(f"form must be 'lian' or 'atc', got {form!r}")
    return _run(f"dpsgd_{form}", problem, topology, None, gamma, T, seed=seed, x0=x0,
                record=record, network=network, float_bits=float_bits, threads=threads)


def naive_compressed(problem, topology, compressor, gamma, T, *, seed=0, x0=None,
                     record="log", network=None, threads=None):
    """D-PSGD exchanging compressed models (no difference compression): has an error floor."""
    return _run("naive", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def dcd_psgd(problem, topology, compressor, gamma, T, *, seed=0, x0=None, record="log",
             network=None, threads=None):
    """DCD-PSGD (Tang et al. 2018, Algorithm 1). Warns (AssumptionWarning) for a biased C."""
    compressor = check_compressor(compressor, "dcd_psgd")
    warn_unless_unbiased(compressor, "DCD-PSGD", problem.d)
    return _run("dcd_psgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def ecd_psgd(problem, topology, compressor, gamma, T, *, seed=0, x0=None, record="log",
             network=None, threads=None):
    """ECD-PSGD (Tang et al. 2018, Algorithm 2). Warns (AssumptionWarning) for a biased C."""
    compressor = check_compressor(compressor, "ecd_psgd")
    warn_unless_unbiased(compressor, "ECD-PSGD", problem.d)
    return _run("ecd_psgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def choco_sgd(problem, topology, compressor, gamma, T, *, consensus_step=1.0, seed=0, x0=None,
              record="log", network=None, threads=None):
    """CHOCO-SGD (Koloskova, Stich, Jaggi 2019) with SGD step ``gamma`` and consensus step
    :math:`\\gamma_c` = ``consensus_step`` in (0, 1]; with the identity compressor and
    :math:`\\gamma_c = 1` it equals ``dpsgd(form="atc")``."""
    consensus_step = check_real(consensus_step, "consensus_step", low=0.0, high=1.0,
                                low_open=True)
    return _run("choco_sgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, consensus_step=consensus_step, threads=threads)
