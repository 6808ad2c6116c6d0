r"""Centralized algorithms: SGD / mini-batch SGD over n workers, compressed GD (CGD, n = 1),
distributed compressed SGD without error feedback (DCGD), and error-feedback SGD (EF).

* ``minibatch_sgd``: :math:`x_{t+1} = x_t - \gamma\frac1n\sum_i g_i(x_t)` (all-reduce);
* ``dcgd``: :math:`x_{t+1} = x_t - \gamma\frac1n\sum_i C(g_i(x_t))` (
  P1 divergence example (docs/sources.md#divergence); biased C can diverge: the 3-node Top-1 example);
* ``ef_sgd``: :math:`v_i = C(e_i + \gamma_t g_i)`, :math:`e_i \mathrel{+}= \gamma_t g_i - v_i`,
  :math:`x \mathrel{-}= \frac1n\sum_i v_i` (P1 EF-SGD theorem (docs/sources.md#ef), the standard EF form [UNCONFIRMED as
  P1's exact form]); its virtual iterate :math:`x - \bar e` follows plain SGD exactly, which
  the trace records as ``meta["virtual_gap"]`` (an identity, ~1e-15).

``gamma`` is a positive real (constant steps), a sequence of T positive step sizes
:math:`\gamma_0, \dots, \gamma_{T-1}`, or a callable ``t -> gamma_t`` evaluated once for
t = 0..T-1 (a schedule: P1 EF-SGD theorem (docs/sources.md#ef) writes EF with :math:`\eta_k`;
P1's own schedule and weights are [UNCONFIRMED], so none is built in). A constant
schedule gives the same bits as the scalar. ``meta["steps"]`` holds the step sizes used.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from theorytools.algorithms import _engine as E
from theorytools.algorithms._batch import kernel_or_per_node
from theorytools.algorithms._common import (StepSizes, check_compressor, check_run,
                                             schedule_meta, step_schedule)
from theorytools.algorithms._oracle import oracle_of
from theorytools.algorithms.cost import NetworkModel
from theorytools.algorithms.trace import Trace
from theorytools.errors import TheorytoolsError

__all__ = ["CENTRAL_METHODS", "CentralMethod", "cgd", "dcgd", "ef_sgd", "minibatch_sgd",
           "register_central_method", "simulate_central"]

if TYPE_CHECKING:                       # annotations only (no import cycle at run time)
    from theorytools.compressors.base import Compressor
    from theorytools.problems import Problem


def _run(method, name, problem, compressor, gamma, T, *, seed, x0, record, network,
         float_bits=32, shared=False, pattern="parameter_server"):
    _, T, x0, record_at = check_run(problem, 1.0, T, record, x0=x0, seed=seed)
    if method != E.SGD:
        compressor = check_compressor(compressor, name)
    steps = step_schedule(gamma, T)
    gamma = schedule_meta(gamma, steps)
    n, d = problem.n, problem.d
    per_node = None
    if compressor is not None:
        code, cparams, table, per_node, exact = kernel_or_per_node(compressor, d, shared)
    else:
        code, cparams, table, exact = 0, np.array([64.0]), np.zeros(1, np.int64), True
    x = x0.copy()
    err = np.zeros((n, d))
    rec = E.new_record(record_at, problem, n)
    step_max = np.zeros(T, np.int64)
    if per_node is None:
        cc = E.CompressorCode(code, cparams, table, float_bits * d)
        failed = E.run_centralized(method, x, err, steps, T, oracle_of(problem), n, cc,
                                   np.uint64(seed), rec, step_max)
    else:   # no batch kernel: compress per node
        failed = E.run_centralized_per_node(method, x, err, steps, T, oracle_of(problem), n,
                                            per_node, float_bits * d, np.uint64(seed), rec,
                                            step_max)
    if failed >= 0:
        why = f" {per_node.error}" if per_node is not None and per_node.error else ""
        raise TheorytoolsError(f"{name}: compression failed at step {failed} (values outside "
                               f"the wire format of {compressor.canonical_name}; "
                               f"diverging?{why})")
    network = network or NetworkModel()
    wall = network.wall_times(step_max, record_at, pattern, n)
    return Trace(name, record_at, rec.f_gap, rec.g_sq, rec.dist_sq, np.zeros(record_at.size),
                 rec.bits_cum, wall, x.copy(),
                 np.tile(x, (n, 1)), exact,
                 {"gamma": gamma, "steps": steps, "T": T, "seed": seed, "problem": problem.name,
                  "compressor": None if compressor is None else compressor.canonical_name,
                  "virtual_gap": rec.cons, "errors": err})


def minibatch_sgd(problem: Problem, gamma: StepSizes, T: int, *, seed: int = 0,
                  x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
                  network: NetworkModel | None = None, float_bits: int = 32) -> Trace:
    r"""Mini-batch SGD over the problem's n workers (one stochastic gradient each, all-reduce).

    .. math:: x_{t+1} = x_t - \gamma_t\,\frac1n\sum_{i=1}^n g_i(x_t).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The objective :math:`f = \frac1n\sum_i f_i`; its n nodes are the workers.
    gamma : float, sequence of float or callable
        A positive step size, T positive step sizes :math:`\gamma_0, \dots, \gamma_{T-1}`
        (a schedule), or a callable ``t -> gamma_t`` evaluated once for t = 0..T-1;
        ``meta["steps"]`` holds the ones used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams (node i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing, no loss evaluation).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    float_bits : int, optional
        Bits per transmitted coordinate (32).

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(x_t) - f^\star`, :math:`\|\nabla f(x_t)\|^2`, :math:`\|x_t - x^\star\|^2`,
        cumulative bits per worker and modelled wall time at the recorded steps.

    References
    ----------
    Robbins and Monro 1951; Stich, "Local SGD Converges Fast and Communicates Little", ICLR
    2019 (the mini-batch baseline of Theorem 2.2); docs/algorithms.md.
    """
    return _run(E.SGD, "minibatch_sgd", problem, None, gamma, T, seed=seed, x0=x0, record=record,
                network=network, float_bits=float_bits, pattern="allreduce")


def dcgd(problem: Problem, compressor: Compressor, gamma: StepSizes, T: int, *,
         seed: int = 0, x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
         network: NetworkModel | None = None, shared: bool = False) -> Trace:
    r"""Distributed compressed SGD without error feedback (CGD when n = 1).

    .. math:: x_{t+1} = x_t - \gamma_t\,\frac1n\sum_{i=1}^n C(g_i(x_t)).

    A biased :math:`C` can diverge (the 3-node Top-1 example:
    :math:`x^k = (1 + 11\eta/6)^k x^0`).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The objective :math:`f = \frac1n\sum_i f_i`; its n nodes are the workers.
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C` applied to each worker's message.
    gamma : float, sequence of float or callable
        A positive step size, T positive step sizes :math:`\gamma_0, \dots, \gamma_{T-1}`
        (a schedule), or a callable ``t -> gamma_t`` evaluated once for t = 0..T-1;
        ``meta["steps"]`` holds the ones used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams (node i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing, no loss evaluation).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode (receiver regenerates the
        random choices).

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(x_t) - f^\star`, :math:`\|\nabla f(x_t)\|^2`, :math:`\|x_t - x^\star\|^2`,
        cumulative bits per worker and modelled wall time at the recorded steps.

    References
    ----------
    Beznosikov, Horváth, Richtárik, Safaryan, "On Biased Compression for Distributed
    Learning", arXiv 2002.12410 (P1), CGD/DCGD and the divergence example; docs/algorithms.md.
    """
    return _run(E.DCGD, "dcgd", problem, compressor, gamma, T, seed=seed, x0=x0, record=record,
                network=network, shared=shared)


def cgd(problem: Problem, compressor: Compressor, gamma: StepSizes, T: int,
        **kwargs) -> Trace:
    r"""Single-node compressed gradient descent.

    .. math:: x_{t+1} = x_t - \gamma_t\, C(\nabla f(x_t)).

    Parameters
    ----------
    problem : theorytools.problems.Problem
        A single-node problem (``n == 1``; else use :func:`dcgd`).
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C` applied to each worker's message.
    gamma : float, sequence of float or callable
        A positive step size, T positive step sizes :math:`\gamma_0, \dots, \gamma_{T-1}`
        (a schedule), or a callable ``t -> gamma_t`` evaluated once for t = 0..T-1;
        ``meta["steps"]`` holds the ones used.
    T : int
        Number of iterations (>= 0).
    **kwargs
        ``seed``, ``x0``, ``record``, ``network``, ``shared`` as in :func:`dcgd`.

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(x_t) - f^\star`, :math:`\|\nabla f(x_t)\|^2`, :math:`\|x_t - x^\star\|^2`,
        cumulative bits per worker and modelled wall time at the recorded steps.

    References
    ----------
    Beznosikov et al., arXiv 2002.12410 (P1), the CGD theorems for B1/B2/B3 (registered as
    ``beznosikov2020.cgd_*``); docs/algorithms.md.
    """
    if problem.n != 1:
        raise TheorytoolsError(f"cgd needs a single-node problem (n=1), got n={problem.n}; "
                               "use dcgd for n workers")
    return dcgd(problem, compressor, gamma, T, **kwargs)


def ef_sgd(problem: Problem, compressor: Compressor, gamma: StepSizes, T: int, *,
           seed: int = 0, x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
           network: NetworkModel | None = None, shared: bool = False) -> Trace:
    r"""Error-feedback SGD (distributed, one error memory per worker).

    .. math:: v_i = C(e_i + \gamma_t g_i),\qquad e_i \mathrel{+}= \gamma_t g_i - v_i,\qquad
              x_{t+1} = x_t - \frac1n\sum_i v_i,\qquad e_i^0 = 0.

    The virtual iterate :math:`x - \bar e` follows plain SGD on the same gradients exactly;
    its distance to that SGD run is ``meta["virtual_gap"]`` (~1e-15); ``meta["errors"]`` holds
    the final :math:`e_i`.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The objective :math:`f = \frac1n\sum_i f_i`; its n nodes are the workers.
    compressor : theorytools.compressors.base.Compressor
        The compression operator :math:`C` applied to each worker's message.
    gamma : float, sequence of float or callable
        A positive step size, T positive step sizes :math:`\gamma_0, \dots, \gamma_{T-1}`
        (a schedule), or a callable ``t -> gamma_t`` evaluated once for t = 0..T-1;
        ``meta["steps"]`` holds the ones used.
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams (node i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing, no loss evaluation).
    network : theorytools.algorithms.NetworkModel or None, optional
        Cost model of the modelled wall time (default ``NetworkModel()``).
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode (receiver regenerates the
        random choices).

    Returns
    -------
    theorytools.algorithms.Trace
        :math:`f(x_t) - f^\star`, :math:`\|\nabla f(x_t)\|^2`, :math:`\|x_t - x^\star\|^2`,
        cumulative bits per worker and modelled wall time at the recorded steps.

    References
    ----------
    Beznosikov et al., arXiv 2002.12410 (P1), error-feedback theorem (the standard EF form;
    P1's exact form unconfirmed); Stich and Karimireddy 2019 (virtual iterate);
    docs/algorithms.md.
    """
    return _run(E.EF, "ef_sgd", problem, compressor, gamma, T, seed=seed, x0=x0, record=record,
                network=network, shared=shared)


@dataclass(frozen=True)
class CentralMethod:
    r"""One centralized method (one model x, n workers): an entry of :data:`CENTRAL_METHODS`.

    A built-in names its branch of the fused kernel ``_engine.run_centralized`` (``engine``);
    a method added with :func:`register_central_method` brings two Numba kernels ``pre`` and
    ``post``, each ``(st, o, cc, gamma, t, seed) -> None``: ``pre`` computes the workers'
    gradients at ``st.x`` (``theorytools.algorithms.kernels.node_grad``) and writes the rows to
    send into ``st.Z``; the runner compresses row i with worker i's stream into ``st.Cm`` (when
    ``compressed``); ``post`` updates ``st.x`` and the workers' state ``st.aux`` from them
    (see docs/algorithms.md, "How to add an algorithm", and
    :mod:`theorytools.algorithms.kernels`).

    Parameters
    ----------
    name : str
        The method's name (``simulate_central(name, ...)``, traces).
    compressed : bool
        Whether it takes a compressor (else its kernels write ``cc.full_bits`` into
        ``st.step_bits``).
    engine : int or None, optional
        A built-in's branch of the fused kernel (None for a registered method).
    pre, post : callable or None, optional
        A registered method's kernels (Numba functions).
    pattern : str, optional
        The communication pattern of the cost model (``"parameter_server"`` or
        ``"allreduce"``, see :class:`theorytools.algorithms.NetworkModel`).
    """

    name: str
    compressed: bool
    engine: int | None = None
    pre: Callable | None = None
    post: Callable | None = None
    pattern: str = "parameter_server"


#: Every centralized method :func:`simulate_central` runs, by name: the built-ins, then
#: registered ones.
CENTRAL_METHODS: dict = {}


def register_central_method(method: CentralMethod) -> CentralMethod:
    r"""Add a centralized method to :data:`CENTRAL_METHODS` (docs/algorithms.md, "How to add an
    algorithm").

    After registration :func:`simulate_central` runs it by name (a Python loop over steps
    calling its two Numba kernels; any compressor: one without a batch kernel compresses per
    worker in Python with the same keys). No update equation: a registry.

    Parameters
    ----------
    method : CentralMethod
        The method, with its ``pre`` and ``post`` kernels.

    Returns
    -------
    CentralMethod
        The method (so a module can write ``EF21 = register_central_method(...)``).

    References
    ----------
    docs/algorithms.md, "How to add an algorithm".
    """
    if not isinstance(method, CentralMethod):
        raise TheorytoolsError("register_central_method needs a CentralMethod, got "
                               f"{type(method).__name__}")
    if not isinstance(method.name, str) or not method.name.isidentifier():
        raise TheorytoolsError(f"method name must be an identifier, got {method.name!r}")
    known = CENTRAL_METHODS.get(method.name)
    if known is not None and known != method:
        raise TheorytoolsError(f"a centralized method named {method.name!r} is already "
                               "registered")
    if method.engine is None and not (callable(method.pre) and callable(method.post)):
        raise TheorytoolsError(f"method {method.name!r} needs its kernels pre and post (Numba "
                               "functions)")
    if method.pattern not in ("parameter_server", "allreduce"):
        raise TheorytoolsError(f"method {method.name!r}: pattern must be 'parameter_server' or "
                               f"'allreduce', got {method.pattern!r}")
    CENTRAL_METHODS[method.name] = method
    return method


for _m in (CentralMethod("minibatch_sgd", False, engine=E.SGD, pattern="allreduce"),
           CentralMethod("dcgd", True, engine=E.DCGD),
           CentralMethod("ef_sgd", True, engine=E.EF)):
    register_central_method(_m)


def _run_registered(m, problem, compressor, gamma, T, *, seed, x0, record, network, float_bits,
                    shared):
    _, T, x0, record_at = check_run(problem, 1.0, T, record, x0=x0, seed=seed)
    if m.compressed:
        compressor = check_compressor(compressor, m.name)
    elif compressor is not None:
        raise TheorytoolsError(f"{m.name} takes no compressor, got {compressor!r}")
    steps = step_schedule(gamma, T)
    n, d = problem.n, problem.d
    if compressor is not None:
        code, cparams, table, per_node, exact = kernel_or_per_node(compressor, d, shared)
    else:
        code, cparams, table, exact = 0, np.array([64.0]), np.zeros(1, np.int64), True
        per_node = None
    x = x0.copy()
    aux = np.zeros((n, d))
    rec = E.new_record(record_at, problem, n)
    step_max = np.zeros(T, np.int64)
    failed = E.run_central_registered(m.pre, m.post, m.compressed, x, aux, steps, T,
                                      oracle_of(problem),
                                      E.CompressorCode(code, cparams, table, float_bits * d),
                                      seed, rec, step_max, per_node)
    if failed >= 0:
        why = f" {per_node.error}" if per_node is not None and per_node.error else ""
        raise TheorytoolsError(f"{m.name}: compression failed at step {failed} (values outside "
                               f"the wire format of {compressor.canonical_name}; "
                               f"diverging?{why})")
    wall = (network or NetworkModel()).wall_times(step_max, record_at, m.pattern, n)
    return Trace(m.name, record_at, rec.f_gap, rec.g_sq, rec.dist_sq, np.zeros(record_at.size),
                 rec.bits_cum, wall, x.copy(), np.tile(x, (n, 1)), exact,
                 {"gamma": schedule_meta(gamma, steps), "steps": steps, "T": T, "seed": seed,
                  "problem": problem.name,
                  "compressor": None if compressor is None else compressor.canonical_name,
                  "aux": aux})


def simulate_central(method: str, problem: Problem, compressor: Compressor | None,
                     gamma: StepSizes, T: int, *, seed: int = 0, x0: np.ndarray | None = None,
                     record: str | np.ndarray | None = "log",
                     network: NetworkModel | None = None, float_bits: int = 32,
                     shared: bool = False) -> Trace:
    r"""Run any method of :data:`CENTRAL_METHODS` by name (a built-in or a registered one) for
    T iterations from :math:`x_0` and return its trace.

    The update equations are the method's (:func:`dcgd` etc. for the built-ins, which this
    call runs through their fused kernel; a registered method's own, see docs/algorithms.md,
    "How to add an algorithm"). Worker i's stochastic gradient at step t uses the stream
    ``node_step_key(seed, i, t)`` and its compression ``node_step_key(seed ^ COMPRESS_TAG, i,
    t)`` for every method (common random numbers).

    Parameters
    ----------
    method : str
        A name in :data:`CENTRAL_METHODS`.
    problem : theorytools.problems.Problem
        The objective :math:`f = \frac1n\sum_i f_i`; its n nodes are the workers.
    compressor : theorytools.compressors.base.Compressor, str or None
        :math:`C` for a compressed method (None for an uncompressed one).
    gamma : float, sequence of float or callable
        Step sizes :math:`\gamma_t > 0` (a constant, T values, or ``t -> gamma_t``).
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams.
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing).
    network : NetworkModel or None, optional
        Cost model of the modelled wall time.
    float_bits : int, optional
        Bits per coordinate of uncompressed messages (32).
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode.

    Returns
    -------
    theorytools.algorithms.Trace
        The run's trace; for a registered method ``meta["aux"]`` holds the workers' final
        state (n, d).

    References
    ----------
    docs/algorithms.md, "How to add an algorithm".
    """
    if method not in CENTRAL_METHODS:
        raise TheorytoolsError(f"method must be one of {sorted(CENTRAL_METHODS)}, got "
                               f"{method!r}")
    m = CENTRAL_METHODS[method]
    if m.engine is None:
        return _run_registered(m, problem, compressor, gamma, T, seed=seed, x0=x0, record=record,
                               network=network, float_bits=float_bits, shared=shared)
    if not m.compressed and compressor is not None:
        raise TheorytoolsError(f"{m.name} takes no compressor, got {compressor!r}")
    return _run(m.engine, m.name, problem, compressor, gamma, T, seed=seed, x0=x0,
                record=record, network=network, float_bits=float_bits, shared=shared,
                pattern=m.pattern)
