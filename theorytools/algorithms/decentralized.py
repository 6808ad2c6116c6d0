r"""Decentralized algorithms on a graph: D-PSGD (two forms), naive compressed D-PSGD,
DCD-PSGD, ECD-PSGD, CHOCO-SGD.

Update equations (matrix form, rows = nodes; Tang et al. 2018, Algorithms 1-2 (docs/sources.md#tang); CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco)):

* ``dpsgd(form="lian")``: :math:`X_{t+1} = W X_t - \gamma G(X_t)` (Lian et al. 2017; gradient at
  the pre-mixing model) — sends the full model.
* ``dpsgd(form="atc")``: :math:`X_{t+1} = W (X_t - \gamma G(X_t))` (adapt-then-combine, as the
  epfml/ChocoSGD "plain" method [REFERENCE-CODE]).
* ``naive_compressed``: :math:`X_{t+1} = W\,C(X_t) - \gamma G(X_t)`: every node sends a compressed
  model; the compression noise does not vanish, so there is an error floor (Tang et al. 2018, naive compression (docs/sources.md#tang)).
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

Step sizes: ``gamma`` is a positive real (constant), a sequence of T positive reals
:math:`\gamma_0, \dots, \gamma_{T-1}`, or a callable ``t -> gamma_t`` evaluated once per step
before the run (all validated: finite and > 0), so that the papers' decaying schedules run as
written, e.g. CHOCO-SGD's :math:`\gamma_t = a/(t + b)` (Koloskova et al. 2019, Section 5);
in the update equations above :math:`\gamma` is then :math:`\gamma_t` of iteration t
(0-based). ``meta["steps"]`` holds the steps used; a constant gives the same bits as before
schedules existed.

Threads: every function takes ``threads`` (an int >= 1, ``"all"``, or None = the environment
variable ``THEORYTOOLS_THREADS``, default 1). With more than one thread the node loops of each
iteration run in parallel on Numba's threads; the results are bit-identical to one thread
(see :func:`resolve_threads`).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from theorytools.algorithms import _engine as E
from theorytools.algorithms._batch import kernel_or_per_node
from theorytools.algorithms._common import (StepSizes, check_compressor, check_run, check_seed,
                                             schedule_meta, step_schedule, warn_unless_unbiased)
from theorytools.algorithms._oracle import oracle_of
from theorytools.algorithms.cost import NetworkModel
from theorytools.algorithms.trace import Trace
from theorytools.errors import TheorytoolsError, check_int, check_real

__all__ = ["METHODS", "DecentralizedState", "Method", "advance", "choco_sgd", "dcd_psgd", "dpsgd",
           "ecd_psgd", "init_state", "naive_compressed", "register_method", "resolve_threads",
           "simulate"]

if TYPE_CHECKING:                       # annotations only (no import cycle at run time)
    from theorytools.compressors.base import Compressor
    from theorytools.problems import Problem
    from theorytools.topology import Topology

THREADS_ENV = "THEORYTOOLS_THREADS"

#: The serial kernel runs phase 1 of each node right after the phase 0 of its last neighbour
#: (:func:`theorytools.algorithms._engine.graph_of`) when the three (n, d) arrays a step sweeps
#: (X, aux, messages) hold at least this many bytes, else two whole passes over the nodes
#: (the same bits either way; an execution setting measured by bench/simulator.py --nc).
INTERLEAVE_BYTES = 8 * 2 ** 20
#: ... in blocks of nodes whose three rows hold about this many bytes (L2-resident).
INTERLEAVE_BLOCK_BYTES = 256 * 2 ** 10


def resolve_threads(threads: int | str | None = None) -> int:
    """The number of threads for the simulator's node loops.

    More threads than Numba has raise (set ``NUMBA_NUM_THREADS`` before numba is imported to
    allow more). The number changes speed only: node i draws from its own per-step streams and
    every cross-node sum runs serially in node order, so any number of threads gives the same
    bits (no update equation: this is an execution setting).

    Parameters
    ----------
    threads : int, "all" or None, optional
        An int >= 1, ``"all"`` (every thread Numba has: ``numba.config.NUMBA_NUM_THREADS``, by
        default the number of CPUs), or None: the environment variable
        ``THEORYTOOLS_THREADS`` (same values), else 1.

    Returns
    -------
    int
        The number of threads, >= 1.

    References
    ----------
    docs/algorithms.md, "Performance and threads".
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


def _copy_of_models(X, topology):
    """aux_1 = X_1 (ECD's estimates, CHOCO's public copies, a copy for the others)."""
    return X.copy()


def _mixed_models(X, topology):
    """aux_1 = W X_1 (DCD's mixed replicas S = W X_hat)."""
    aux = np.empty_like(X)
    E.mix(topology.indptr, topology.indices, topology.data, X, aux)
    return aux


@dataclass(frozen=True)
class Method:
    r"""One decentralized method the simulator runs: an entry of :data:`METHODS`.

    A built-in names its branch of the fused engine kernels (``engine``); a method added with
    :func:`register_method` brings its own two Numba node kernels ``phase0`` and ``phase1``,
    each ``(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed) -> None`` looping over the nodes
    ``lo..hi-1`` (see docs/algorithms.md, "How to add an algorithm", and
    :mod:`theorytools.algorithms.kernels`).

    Parameters
    ----------
    name : str
        The method's name (``init_state(name, ...)``, ``simulate(name, ...)``, traces).
    compressed : bool
        Whether it takes a compressor (else it sends ``float_bits * d`` bits per node, which
        its kernels write into ``st.step_bits``).
    init_aux : callable, optional
        ``(X, topology) -> aux``: the second state array from the initial models ``X`` (n, d)
        (default: a copy of X).
    engine : int or None, optional
        A built-in's branch of the engine kernels (None for a registered method).
    phase0, phase1 : callable or None, optional
        A registered method's node kernels (Numba functions).
    """

    name: str
    compressed: bool
    init_aux: Callable = _copy_of_models
    engine: int | None = None
    phase0: Callable | None = None
    phase1: Callable | None = None


#: Every method the simulator runs, by name: the six built-ins, then registered ones.
METHODS: dict = {}


def register_method(method: Method) -> Method:
    r"""Add a decentralized method to :data:`METHODS` (docs/algorithms.md, "How to add an
    algorithm").

    After registration ``init_state``, ``advance`` and ``simulate`` run it by name (one
    thread; compressors with a batch kernel). No update equation: a registry.

    Parameters
    ----------
    method : Method
        The method, with its ``phase0`` and ``phase1`` node kernels.

    Returns
    -------
    Method
        The method (so a module can write ``D2 = register_method(Method(...))``).

    References
    ----------
    docs/algorithms.md, "How to add an algorithm".
    """
    if not isinstance(method, Method):
        raise TheorytoolsError(f"register_method needs a Method, got {type(method).__name__}")
    if not isinstance(method.name, str) or not method.name.isidentifier():
        raise TheorytoolsError(f"method name must be an identifier, got {method.name!r}")
    known = METHODS.get(method.name)
    if known is not None and known != method:
        raise TheorytoolsError(f"a method named {method.name!r} is already registered")
    if method.engine is None and not (callable(method.phase0) and callable(method.phase1)):
        raise TheorytoolsError(f"method {method.name!r} needs its node kernels phase0 and "
                               "phase1 (Numba functions)")
    if not callable(method.init_aux):
        raise TheorytoolsError(f"method {method.name!r}: init_aux must be callable")
    METHODS[method.name] = method
    return method


for _m in (Method("dpsgd_lian", False, engine=E.DPSGD_LIAN),
           Method("dpsgd_atc", False, engine=E.DPSGD_ATC),
           Method("naive", True, engine=E.NAIVE),
           Method("dcd_psgd", True, _mixed_models, engine=E.DCD),
           Method("ecd_psgd", True, engine=E.ECD),
           Method("choco_sgd", True, engine=E.CHOCO)):
    register_method(_m)
_METHODS = {name: m.engine for name, m in METHODS.items()}     # the built-ins' engine codes


def _method(name):
    if name not in METHODS:
        raise TheorytoolsError(f"method must be one of {sorted(METHODS)}, got {name!r}")
    return METHODS[name]


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


def init_state(method: str, problem: Problem, topology: Topology,
               x0: np.ndarray | None = None) -> DecentralizedState:
    r"""The initial state of a decentralized method: :math:`x^{(i)}_1 = x_0` on every node.

    DCD's ``aux`` is :math:`S_1 = W X_1`; ECD's :math:`\tilde Y_1 = X_1`; CHOCO's
    :math:`\hat X_1 = X_1`; D-PSGD keeps a copy of :math:`X`.

    Parameters
    ----------
    method : str
        One of ``"dpsgd_lian"``, ``"dpsgd_atc"``, ``"naive"``, ``"dcd_psgd"``, ``"ecd_psgd"``,
        ``"choco_sgd"``, or a method added with :func:`register_method` (:data:`METHODS`).
    problem : theorytools.problems.Problem
        The problem (gives n and d).
    topology : theorytools.topology.Topology
        The graph (``topology.n == problem.n``).
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).

    Returns
    -------
    DecentralizedState
        ``X`` (n, d), ``aux``, ``t = 0`` and zero bits, to be advanced with :func:`advance`.

    References
    ----------
    Tang et al. 2018, Algorithms 1-2 (initialisation); Koloskova et al. 2019, Algorithm 2;
    docs/algorithms.md, "State objects".
    """
    m = _method(method)
    _, _, x0, _ = check_run(problem, 1.0, 0, "every", topology=topology, x0=x0)
    X = np.tile(x0, (problem.n, 1))
    aux = np.ascontiguousarray(m.init_aux(X, topology), dtype=np.float64)
    if aux.shape != X.shape:
        raise TheorytoolsError(f"{method}: init_aux returned shape {aux.shape}, expected "
                               f"{X.shape}")
    return DecentralizedState(method, X, aux, 0, np.zeros(problem.n, np.int64))


def advance(state: DecentralizedState, problem: Problem, topology: Topology,
            compressor: Compressor | None, gamma: StepSizes, steps: int, *, seed: int = 0,
            consensus_step: float = 1.0, float_bits: int = 32, shared: bool = False,
            record_at: np.ndarray | None = None, network: NetworkModel | None = None,
            threads: int | str | None = None) -> tuple:
    r"""Run ``steps`` iterations of ``state.method`` from ``state``, in place.

    The update is the method's (see :func:`dcd_psgd`, :func:`ecd_psgd`, :func:`choco_sgd`,
    :func:`dpsgd`, :func:`naive_compressed`); iteration t always draws from
    ``node_step_key(seed, i, t)``, so advancing in pieces equals one long run bit for bit.

    Parameters
    ----------
    state : DecentralizedState
        From :func:`init_state` or a previous call; updated in place (``state.t += steps``).
    problem : theorytools.problems.Problem
        The problem.
    topology : theorytools.topology.Topology
        The graph and mixing matrix.
    compressor : theorytools.compressors.base.Compressor or None
        :math:`C` (None for the uncompressed methods).
    gamma : float, sequence of float or callable
        Step sizes of this call's iterations: a positive real, ``steps`` positive reals
        (iteration t uses ``gamma[t - state.t]``), or a callable of the ABSOLUTE iteration
        index t (``state.t <= t < state.t + steps``), so that advancing in pieces with one
        callable equals one run.
    steps : int
        Number of iterations to run.
    seed : int, optional
        Seed of the random streams.
    consensus_step : float, optional
        CHOCO's :math:`\gamma_c`.
    float_bits : int, optional
        Bits per coordinate of uncompressed messages.
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode.
    record_at : numpy.ndarray or None, optional
        Absolute steps at which to record the metrics.
    network : NetworkModel or None, optional
        Unused here (kept for symmetry with the run functions).
    threads : int, "all" or None, optional
        See :func:`resolve_threads`.

    Returns
    -------
    tuple
        ``(step_max, (f_gap, grad_norm_sq, dist_sq, consensus, bits_cum))``: the per-step
        maximum message bits and the recorded metrics.

    References
    ----------
    docs/algorithms.md, "State objects: init_state / advance".
    """
    steps = check_int(steps, "steps", low=0)
    step_sizes = step_schedule(gamma, steps, "gamma", t0=state.t)
    seed = check_seed(seed)
    m = _method(state.method)
    if compressor is not None or m.compressed:
        compressor = check_compressor(compressor, state.method)
    k = resolve_threads(threads)
    n, d = problem.n, problem.d
    per_node = None
    if compressor is not None:
        code, cparams, table, per_node, _ = kernel_or_per_node(compressor, d, shared)
    else:
        code, cparams, table = 0, np.array([64.0]), np.zeros(1, np.int64)
    record_at = np.zeros(0, np.int64) if record_at is None else record_at
    rec = E.new_record(record_at, problem, n)
    step_max = np.zeros(steps, np.int64)
    graph = E.graph_of(topology, interleave=3 * 8 * n * d >= INTERLEAVE_BYTES,
                       block=INTERLEAVE_BLOCK_BYTES // (3 * 8 * d))
    head = (m.engine, state.X, state.aux, graph, step_sizes, consensus_step, state.t, steps,
            oracle_of(problem))
    tail = (np.uint64(seed), rec, state.bits, step_max)
    if m.engine is None:       # a registered method: its own node kernels, one thread
        if per_node is not None:
            raise TheorytoolsError(f"{state.method}: a registered method needs a compressor "
                                   f"with a batch kernel; {compressor.canonical_name} has none")
        failed = E.run_registered(m.phase0, m.phase1, *head[1:],
                                  E.CompressorCode(code, cparams, table, float_bits * d), *tail)
    elif per_node is not None:   # no batch kernel: compress per node (one thread)
        failed = E.run_decentralized_per_node(*head, per_node, *tail)
    else:
        cc = E.CompressorCode(code, cparams, table, float_bits * d)
        if k == 1:
            failed = E.run_decentralized(*head, cc, *tail)
        else:
            _start_threads()
            with _numba_threads(k):
                failed = E.run_decentralized_parallel(*head, cc, *tail, k)
    if failed >= 0:
        why = per_node.error if per_node is not None and per_node.error else None
        raise TheorytoolsError(f"{state.method}: compression failed at step {failed} (values "
                               f"outside the wire format of {compressor.canonical_name}; "
                               f"diverging?{f' {why}' if why else ''})")
    state.t += steps
    return step_max, (rec.f_gap, rec.g_sq, rec.dist_sq, rec.cons, rec.bits_cum)


def _run(name, problem, topology, compressor, gamma, T, *, seed, x0, record, network,
         consensus_step=1.0, float_bits=32, shared=False, threads=None):
    _, T, x0, record_at = check_run(problem, 1.0, T, record, topology=topology, x0=x0,
                                    seed=seed)
    steps = step_schedule(gamma, T)
    if _method(name).compressed:
        compressor = check_compressor(compressor, name)
    threads = resolve_threads(threads) if _method(name).engine is not None else 1
    state = init_state(name, problem, topology, x0)
    exact = True if compressor is None else kernel_or_per_node(compressor, problem.d,
                                                                shared)[4]
    step_max, (f_gap, g_sq, dist_sq, cons, bits_cum) = advance(
        state, problem, topology, compressor, steps, T, seed=seed,
        consensus_step=consensus_step, float_bits=float_bits, shared=shared,
        record_at=record_at, threads=threads)
    network = network or NetworkModel()
    wall = network.wall_times(step_max, record_at, "neighbors", problem.n, topology.max_degree)
    X = state.X
    return Trace(name, record_at, f_gap, g_sq, dist_sq, cons, bits_cum, wall, X.mean(axis=0), X,
                 exact, {"gamma": schedule_meta(gamma, steps), "steps": steps, "T": T,
                         "seed": seed, "topology": topology.name,
                         "compressor": None if compressor is None else compressor.canonical_name,
                         "problem": problem.name, "aux": state.aux, "state": state,
                         "threads": threads})


def simulate(method: str, problem: Problem, topology: Topology, compressor: Compressor | None,
             gamma: StepSizes, T: int, *, seed: int = 0, x0: np.ndarray | None = None,
             record: str | np.ndarray | None = "log", network: NetworkModel | None = None,
             consensus_step: float = 1.0, float_bits: int = 32, shared: bool = False,
             threads: int | str | None = None) -> Trace:
    r"""Run any method of :data:`METHODS` by name (a built-in or a registered one) for T
    iterations from :math:`x^{(i)}_1 = x_0` and return its trace.

    The update equations are the method's (:func:`dcd_psgd` etc. for the built-ins; a
    registered method's own, see docs/algorithms.md, "How to add an algorithm"); the named
    functions (``dcd_psgd(...)``) are this call plus their checks and warnings.

    Parameters
    ----------
    method : str
        A name in :data:`METHODS`.
    problem : theorytools.problems.Problem
        The n local objectives and their gradient noise.
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W`.
    compressor : theorytools.compressors.base.Compressor, str or None
        :math:`C` for a compressed method (None for an uncompressed one).
    gamma : float, sequence of float or callable
        Step sizes :math:`\gamma_t` (see :func:`dcd_psgd`).
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams (node i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model of every node (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing).
    network : NetworkModel or None, optional
        Cost model of the modelled wall time.
    consensus_step : float, optional
        CHOCO's :math:`\gamma_c` (passed to every method's kernels as ``cs``).
    float_bits : int, optional
        Bits per coordinate of uncompressed messages.
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode.
    threads : int, "all" or None, optional
        Threads of the built-ins' node loops (registered methods run on one thread).

    Returns
    -------
    theorytools.algorithms.Trace
        The run's trace; the final state in ``meta["state"]``.

    References
    ----------
    docs/algorithms.md, "How to add an algorithm".
    """
    return _run(method, problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, consensus_step=consensus_step,
                float_bits=float_bits, shared=shared, threads=threads)


def dpsgd(problem: Problem, topology: Topology, gamma: StepSizes, T: int, *, form: str = "lian",
          seed: int = 0, x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
          network: NetworkModel | None = None, float_bits: int = 32,
          threads: int | str | None = None) -> Trace:
    r"""D-PSGD, uncompressed decentralized SGD, in one of two forms.

    .. math:: X_{t+1} = W X_t - \gamma\, G(X_t) \quad (\texttt{form="lian"}), \qquad
              X_{t+1} = W\,(X_t - \gamma\, G(X_t)) \quad (\texttt{form="atc"}),

    rows of :math:`X` are the nodes' models, :math:`G(X)` stacks their stochastic gradients.
    Every node sends its full model (``float_bits * d`` bits per iteration).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise (``problem.noise``).
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W` (``topology.n == problem.n``).
    gamma : float, sequence of float or callable
        Step size :math:`\gamma_t > 0` of iteration :math:`t = 0, \dots, T-1`: a positive
        real (constant), T positive reals (a schedule), or a callable ``t -> gamma_t``
        evaluated once per step before the run (e.g. CHOCO-SGD's
        :math:`\gamma_t = a/(t + b)`, Koloskova et al. 2019, Section 5);
        ``meta["steps"]`` holds the steps used.
    T : int
        Number of iterations (>= 0).
    form : {"lian", "atc"}, optional
        ``"lian"``: gradient at the pre-mixing model (Lian et al. 2017); ``"atc"``:
        adapt-then-combine (epfml/ChocoSGD "plain" method).
    seed : int, optional
        Seed of every random draw: node i at step t uses ``node_step_key(seed, i, t)``
        (gradient noise) and ``seed ^ COMPRESS_TAG`` (compressor); the same seed gives the
        same bits.
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (``schedule(T, record)`` or increasing steps in
        ``[0, T]``); None records nothing (no loss evaluation over the samples: the fastest
        run when only the final state is needed, ``Trace.X``).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    float_bits : int, optional
        Bits per transmitted coordinate (32, as the papers count).
    threads : int, "all" or None, optional
        Threads for the node loops (see :func:`resolve_threads`); results are bit-identical
        for any number.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(\bar x_t) - f^\star`, :math:`\|\nabla f(\bar x_t)\|^2`,
        :math:`\|\bar x_t - x^\star\|^2`, the consensus error
        :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, cumulative bits per node and modelled
        wall time at the recorded steps; the final state in ``meta["state"]``.

    References
    ----------
    Lian, Zhang, Zhang, Hsieh, Zhang, Liu, "Can Decentralized Algorithms Outperform
    Centralized Algorithms?", NeurIPS 2017, Algorithm 1 (D-PSGD); docs/algorithms.md.
    """
    if form not in ("lian", "atc"):
        raise TheorytoolsError(f"form must be 'lian' or 'atc', got {form!r}")
    return _run(f"dpsgd_{form}", problem, topology, None, gamma, T, seed=seed, x0=x0,
                record=record, network=network, float_bits=float_bits, threads=threads)


def naive_compressed(problem: Problem, topology: Topology, compressor: Compressor,
                     gamma: StepSizes, T: int, *, seed: int = 0, x0: np.ndarray | None = None,
                     record: str | np.ndarray | None = "log", network: NetworkModel | None = None,
                     threads: int | str | None = None) -> Trace:
    r"""D-PSGD exchanging compressed models (no difference compression).

    .. math:: X_{t+1} = W\,C(X_t) - \gamma\, G(X_t).

    The mean follows :math:`\bar x_{t+1} = \bar x_t - \gamma\bar g_t + \bar q_t` with the
    compression error :math:`q`, which scales with :math:`\|x\|` and does not vanish: an error
    floor (the baseline DCD/ECD-PSGD improve on).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise (``problem.noise``).
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W` (``topology.n == problem.n``).
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C`, applied row-wise with the node's own key;
        every message is counted at its real encoded length.
    gamma : float, sequence of float or callable
        Step size :math:`\gamma_t > 0` of iteration :math:`t = 0, \dots, T-1`: a positive
        real (constant), T positive reals (a schedule), or a callable ``t -> gamma_t``
        evaluated once per step before the run (e.g. CHOCO-SGD's
        :math:`\gamma_t = a/(t + b)`, Koloskova et al. 2019, Section 5);
        ``meta["steps"]`` holds the steps used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of every random draw: node i at step t uses ``node_step_key(seed, i, t)``
        (gradient noise) and ``seed ^ COMPRESS_TAG`` (compressor); the same seed gives the
        same bits.
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (``schedule(T, record)`` or increasing steps in
        ``[0, T]``); None records nothing (no loss evaluation over the samples: the fastest
        run when only the final state is needed, ``Trace.X``).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    threads : int, "all" or None, optional
        Threads for the node loops (see :func:`resolve_threads`); results are bit-identical
        for any number.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(\bar x_t) - f^\star`, :math:`\|\nabla f(\bar x_t)\|^2`,
        :math:`\|\bar x_t - x^\star\|^2`, the consensus error
        :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, cumulative bits per node and modelled
        wall time at the recorded steps; the final state in ``meta["state"]``.

    References
    ----------
    Tang, Gan, Zhang, Zhang, Liu, "Communication Compression for Decentralized Training",
    NeurIPS 2018, introduction (the naive approach fails to converge) [PAPER]; its error floor: docs/sources.md#tang [DERIVED]; docs/algorithms.md.
    """
    return _run("naive", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def dcd_psgd(problem: Problem, topology: Topology, compressor: Compressor,
             gamma: StepSizes, T: int, *, seed: int = 0, x0: np.ndarray | None = None,
             record: str | np.ndarray | None = "log", network: NetworkModel | None = None,
             threads: int | str | None = None) -> Trace:
    r"""DCD-PSGD: difference-compressed decentralized SGD.

    .. math:: Z_t = W\hat X_t - \gamma\, G(X_t) - X_t,\qquad X_{t+1} = X_t + C(Z_t),\qquad
              S_{t+1} = S_t + W\,C(Z_t),

    with the replicas kept as :math:`S = W\hat X` (exact: :math:`\hat X = X`). Warns
    (``AssumptionWarning``) for a biased :math:`C`: the theory assumes unbiased compression.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise (``problem.noise``).
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W` (``topology.n == problem.n``).
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C`, applied row-wise with the node's own key;
        every message is counted at its real encoded length.
    gamma : float, sequence of float or callable
        Step size :math:`\gamma_t > 0` of iteration :math:`t = 0, \dots, T-1`: a positive
        real (constant), T positive reals (a schedule), or a callable ``t -> gamma_t``
        evaluated once per step before the run (e.g. CHOCO-SGD's
        :math:`\gamma_t = a/(t + b)`, Koloskova et al. 2019, Section 5);
        ``meta["steps"]`` holds the steps used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of every random draw: node i at step t uses ``node_step_key(seed, i, t)``
        (gradient noise) and ``seed ^ COMPRESS_TAG`` (compressor); the same seed gives the
        same bits.
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (``schedule(T, record)`` or increasing steps in
        ``[0, T]``); None records nothing (no loss evaluation over the samples: the fastest
        run when only the final state is needed, ``Trace.X``).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    threads : int, "all" or None, optional
        Threads for the node loops (see :func:`resolve_threads`); results are bit-identical
        for any number.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(\bar x_t) - f^\star`, :math:`\|\nabla f(\bar x_t)\|^2`,
        :math:`\|\bar x_t - x^\star\|^2`, the consensus error
        :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, cumulative bits per node and modelled
        wall time at the recorded steps; the final state in ``meta["state"]``.

    References
    ----------
    Tang, Gan, Zhang, Zhang, Liu, "Communication Compression for Decentralized Training",
    NeurIPS 2018, Algorithm 1 (DCD-PSGD); docs/algorithms.md.
    """
    compressor = check_compressor(compressor, "dcd_psgd")
    warn_unless_unbiased(compressor, "DCD-PSGD", problem.d)
    return _run("dcd_psgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def ecd_psgd(problem: Problem, topology: Topology, compressor: Compressor,
             gamma: StepSizes, T: int, *, seed: int = 0, x0: np.ndarray | None = None,
             record: str | np.ndarray | None = "log", network: NetworkModel | None = None,
             threads: int | str | None = None) -> Trace:
    r"""ECD-PSGD: extrapolation-compressed decentralized SGD (Tang's t counts from 1).

    .. math:: X_{t+1} = W\tilde Y_t - \gamma\, G(X_t),\quad
              Z_t = (1 - t/2)X_t + (t/2)X_{t+1},\quad
              \tilde Y_{t+1} = (1 - 2/t)\tilde Y_t + (2/t)\,C(Z_t),

    :math:`\tilde Y_1 = X_1 = x_0`. Warns (``AssumptionWarning``) for a biased :math:`C`.
    Rounding grows like t·eps (use ``float_width=64`` compressors to verify).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise (``problem.noise``).
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W` (``topology.n == problem.n``).
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C`, applied row-wise with the node's own key;
        every message is counted at its real encoded length.
    gamma : float, sequence of float or callable
        Step size :math:`\gamma_t > 0` of iteration :math:`t = 0, \dots, T-1`: a positive
        real (constant), T positive reals (a schedule), or a callable ``t -> gamma_t``
        evaluated once per step before the run (e.g. CHOCO-SGD's
        :math:`\gamma_t = a/(t + b)`, Koloskova et al. 2019, Section 5);
        ``meta["steps"]`` holds the steps used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of every random draw: node i at step t uses ``node_step_key(seed, i, t)``
        (gradient noise) and ``seed ^ COMPRESS_TAG`` (compressor); the same seed gives the
        same bits.
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (``schedule(T, record)`` or increasing steps in
        ``[0, T]``); None records nothing (no loss evaluation over the samples: the fastest
        run when only the final state is needed, ``Trace.X``).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    threads : int, "all" or None, optional
        Threads for the node loops (see :func:`resolve_threads`); results are bit-identical
        for any number.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(\bar x_t) - f^\star`, :math:`\|\nabla f(\bar x_t)\|^2`,
        :math:`\|\bar x_t - x^\star\|^2`, the consensus error
        :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, cumulative bits per node and modelled
        wall time at the recorded steps; the final state in ``meta["state"]``.

    References
    ----------
    Tang, Gan, Zhang, Zhang, Liu, "Communication Compression for Decentralized Training",
    NeurIPS 2018, Algorithm 2 (ECD-PSGD); docs/algorithms.md.
    """
    compressor = check_compressor(compressor, "ecd_psgd")
    warn_unless_unbiased(compressor, "ECD-PSGD", problem.d)
    return _run("ecd_psgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, threads=threads)


def choco_sgd(problem: Problem, topology: Topology, compressor: Compressor,
              gamma: StepSizes, T: int, *, consensus_step: float = 1.0, seed: int = 0,
              x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
              network: NetworkModel | None = None,
              threads: int | str | None = None) -> Trace:
    r"""CHOCO-SGD: decentralized SGD with compressed gossip on public copies.

    .. math:: X^{+} = X_t - \gamma\, G(X_t),\quad
              \hat X \mathrel{+}= C(X^{+} - \hat X),\quad
              X_{t+1} = X^{+} + \gamma_c\,(W - I)\hat X,

    :math:`\hat X_1 = x_0`. With the identity compressor and :math:`\gamma_c = 1` it equals
    ``dpsgd(form="atc")``. The theory needs a contractive :math:`C`.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise (``problem.noise``).
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W` (``topology.n == problem.n``).
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C`, applied row-wise with the node's own key;
        every message is counted at its real encoded length.
    gamma : float, sequence of float or callable
        Step size :math:`\gamma_t > 0` of iteration :math:`t = 0, \dots, T-1`: a positive
        real (constant), T positive reals (a schedule), or a callable ``t -> gamma_t``
        evaluated once per step before the run (e.g. CHOCO-SGD's
        :math:`\gamma_t = a/(t + b)`, Koloskova et al. 2019, Section 5);
        ``meta["steps"]`` holds the steps used.
    T : int
        Number of iterations (>= 0).
    consensus_step : float, optional
        The consensus step :math:`\gamma_c \in (0, 1]`.
    seed : int, optional
        Seed of every random draw: node i at step t uses ``node_step_key(seed, i, t)``
        (gradient noise) and ``seed ^ COMPRESS_TAG`` (compressor); the same seed gives the
        same bits.
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (``schedule(T, record)`` or increasing steps in
        ``[0, T]``); None records nothing (no loss evaluation over the samples: the fastest
        run when only the final state is needed, ``Trace.X``).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    threads : int, "all" or None, optional
        Threads for the node loops (see :func:`resolve_threads`); results are bit-identical
        for any number.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(\bar x_t) - f^\star`, :math:`\|\nabla f(\bar x_t)\|^2`,
        :math:`\|\bar x_t - x^\star\|^2`, the consensus error
        :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, cumulative bits per node and modelled
        wall time at the recorded steps; the final state in ``meta["state"]``.

    References
    ----------
    Koloskova, Stich, Jaggi, "Decentralized Stochastic Optimization and Gossip Algorithms with
    Compressed Communication", ICML 2019, Algorithm 2 (CHOCO-SGD); Koloskova, Lin, Stich,
    Jaggi, ICLR 2020, Theorem 4.1 (non-convex rate); docs/algorithms.md.
    """
    consensus_step = check_real(consensus_step, "consensus_step", low=0.0, high=1.0,
                                low_open=True)
    return _run("choco_sgd", problem, topology, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, consensus_step=consensus_step, threads=threads)
