r"""Centralized algorithms: SGD / mini-batch SGD over n workers, compressed GD (CGD, n = 1),
distributed compressed SGD without error feedback (DCGD), and error-feedback SGD (EF).

* ``minibatch_sgd``: :math:`x_{t+1} = x_t - \gamma\frac1n\sum_i g_i(x_t)` (all-reduce);
* ``dcgd``: :math:`x_{t+1} = x_t - \gamma\frac1n\sum_i C(g_i(x_t))` (spec compression.md
  §C.2; biased C can diverge: the 3-node Top-1 example);
* ``ef_sgd``: :math:`v_i = C(e_i + \gamma_t g_i)`, :math:`e_i \mathrel{+}= \gamma_t g_i - v_i`,
  :math:`x \mathrel{-}= \frac1n\sum_i v_i` (spec §C.3, the standard EF form [UNCONFIRMED as
  P1's exact form]); its virtual iterate :math:`x - \bar e` follows plain SGD exactly, which
  the trace records as ``meta["virtual_gap"]`` (an identity, ~1e-15).

``gamma`` is a positive real (constant steps) or a sequence of T positive step sizes
:math:`\gamma_0, \dots, \gamma_{T-1}` (a schedule: spec §C.3 writes EF with :math:`\eta_k`;
P1's own schedule and weights are [UNCONFIRMED] in the spec, so none is built in). A constant
schedule gives the same bits as the scalar. ``meta["steps"]`` holds the step sizes used.
"""
from __future__ import annotations

import numpy as np

from theorytools.algorithms import _engine as E
from theorytools.algorithms._batch import prepare
from theorytools.algorithms._common import check_compressor, check_run, step_schedule
from theorytools.algorithms._oracle import oracle_of
from theorytools.algorithms.cost import NetworkModel
from theorytools.algorithms.trace import Trace
from theorytools.errors import TheorytoolsError


def _run(method, name, problem, compressor, gamma, T, *, seed, x0, record, network,
         float_bits=32, shared=False, pattern="parameter_server"):
    _, T, x0, record_at = check_run(problem, 1.0, T, record, x0=x0, seed=seed)
    if method != E.SGD:
        compressor = check_compressor(compressor, name)
    steps = step_schedule(gamma, T)
    gamma = steps.copy() if isinstance(gamma, (list, tuple, np.ndarray)) else float(gamma)
    n, d = problem.n, problem.d
    if compressor is not None:
        batch = prepare(compressor, d, shared=shared)
        code, cparams, table, exact = batch.code, batch.params, batch.bits_table, batch.bits_exact
    else:
        code, cparams, table, exact = 0, np.array([64.0]), np.zeros(1, np.int64), True
    x = x0.copy()
    err = np.zeros((n, d))
    r = record_at.size
    f_gap, g_sq, dist_sq, vgap = (np.empty(r) for _ in range(4))
    bits_cum = np.zeros((r, n), np.int64)
    step_max = np.zeros(T, np.int64)
    failed = E.run_centralized(method, x, err, steps, T, oracle_of(problem), n, code, cparams,
                               table, float_bits * d, np.uint64(seed), record_at, problem.x_star,
                               problem.f_star, f_gap, g_sq, dist_sq, vgap, bits_cum, step_max)
    if failed >= 0:
        raise TheorytoolsError(f"{name}: compression failed at step {failed} (values outside "
                               f"the wire format of {compressor.canonical_name}; diverging?)")
    network = network or NetworkModel()
    wall = network.wall_times(step_max, record_at, pattern, n)
    return Trace(name, record_at, f_gap, g_sq, dist_sq, np.zeros(r), bits_cum, wall, x.copy(),
                 np.tile(x, (n, 1)), exact,
                 {"gamma": gamma, "steps": steps, "T": T, "seed": seed, "problem": problem.name,
                  "compressor": None if compressor is None else compressor.canonical_name,
                  "virtual_gap": vgap, "errors": err})


def minibatch_sgd(problem, gamma, T, *, seed=0, x0=None, record="log", network=None,
                  float_bits=32):
    """Mini-batch SGD with the problem's n workers (one stochastic gradient each)."""
    return _run(E.SGD, "minibatch_sgd", problem, None, gamma, T, seed=seed, x0=x0, record=record,
                network=network, float_bits=float_bits, pattern="allreduce")


def dcgd(problem, compressor, gamma, T, *, seed=0, x0=None, record="log", network=None,
         shared=False):
    """Distributed compressed SGD without error feedback (CGD when the problem has n = 1)."""
    return _run(E.DCGD, "dcgd", problem, compressor, gamma, T, seed=seed, x0=x0, record=record,
                network=network, shared=shared)


def cgd(problem, compressor, gamma, T, **kwargs):
    """Single-node compressed gradient descent: :math:`x_{t+1} = x_t - \\gamma C(\\nabla f(x_t))`."""
    if problem.n != 1:
        raise TheorytoolsError(f"cgd needs a single-node problem (n=1), got n={problem.n}; "
                               "use dcgd for n workers")
    return dcgd(problem, compressor, gamma, T, **kwargs)


def ef_sgd(problem, compressor, gamma, T, *, seed=0, x0=None, record="log", network=None,
           shared=False):
    """Error-feedback SGD (spec compression.md §C.3)."""
    return _run(E.EF, "ef_sgd", problem, compressor, gamma, T, seed=seed, x0=x0, record=record,
                network=network, shared=shared)
