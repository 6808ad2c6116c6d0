r"""EF21: error feedback that compresses the change of each worker's gradient estimate.

.. math:: x^{t+1} = x^t - \gamma_t\,\frac1n\sum_{i=1}^n g_i^t,\qquad
          g_i^{t+1} = g_i^t + C\bigl(\nabla f_i(x^{t+1}) - g_i^t\bigr),

one model :math:`x`, n workers; worker i keeps :math:`g_i` (``aux``) and sends
:math:`C(\nabla f_i - g_i)`. Here :math:`g_i^0 = C(\nabla f_i(x^0))` (the recursion started
from :math:`g_i^{-1} = 0`), so step t computes the gradients at :math:`x^t`, updates
:math:`g_i^t`, then moves :math:`x`. With a contractive :math:`C` (e.g. Top-k) it converges
linearly on strongly convex problems without gradient noise, where compressed gradient
descent without feedback (DCGD) with Top-k stops at a biased point.
Source: Richtárik, Sokolov, Fatkhullin, "EF21: A New, Simpler, Theoretically Better, and
Practically Faster Error Feedback", NeurIPS 2021, arXiv 2106.05203, Algorithm 1
[UNCONFIRMED: written from the published abstract/algorithm box as recalled, not checked
against the paper here; the initialisation :math:`g_i^0 = C(\nabla f_i(x^0))` and the
theorems' step sizes likewise] (docs/sources.md, "Papers").

This module is the worked example of docs/algorithms.md, "How to add an algorithm", for a
centralized method: two Numba kernels, one registration, one public function
(tests/test_howto_central.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from theorytools.algorithms import (CentralMethod, NetworkModel, register_central_method,
                                    simulate_central)
from theorytools.algorithms.centralized import StepSizes
from theorytools.algorithms.kernels import mean_rows, node_grad
from theorytools.algorithms.trace import Trace

if TYPE_CHECKING:                       # annotations only
    from theorytools.compressors.base import Compressor
    from theorytools.problems import Problem

__all__ = ["ef21"]


@njit(cache=True)
def ef21_pre(st, o, cc, gamma, t, seed):
    """Worker i: its gradient at x (stream of step t), and the row to compress
    Z_i = grad f_i(x) - g_i."""
    for i in range(st.aux.shape[0]):
        node_grad(o, i, st.x, seed, t, st.G[i])
        for k in range(st.x.size):
            st.Z[i, k] = st.G[i, k] - st.aux[i, k]


@njit(cache=True)
def ef21_post(st, o, cc, gamma, t, seed):
    """g_i += C(Z_i) (the runner compressed Z into Cm); x -= gamma mean_i g_i."""
    n, d = st.aux.shape
    for i in range(n):
        for k in range(d):
            st.aux[i, k] += st.Cm[i, k]
    gbar = st.S[0]
    mean_rows(st.aux, gbar)
    for k in range(d):
        st.x[k] -= gamma * gbar[k]


EF21 = register_central_method(CentralMethod("ef21", compressed=True, pre=ef21_pre,
                                             post=ef21_post))


def ef21(problem: Problem, compressor: Compressor | str, gamma: StepSizes, T: int, *,
         seed: int = 0, x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
         network: NetworkModel | None = None, shared: bool = False) -> Trace:
    r"""EF21: :math:`x^{t+1} = x^t - \gamma_t \bar g^t`,
    :math:`g_i^{t+1} = g_i^t + C(\nabla f_i(x^{t+1}) - g_i^t)`.

    Starts from :math:`g_i^0 = C(\nabla f_i(x^0))`; every worker sends one compressed vector
    per step, counted at its real encoded length.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The objective :math:`f = \frac1n\sum_i f_i`; its n nodes are the workers (their
        gradient noise, if any, enters :math:`\nabla f_i`).
    compressor : theorytools.compressors.base.Compressor or str
        The compression operator :math:`C` (a contractive one, e.g. ``"top_k[k=1]"``, in the
        theory) applied with worker i's own stream.
    gamma : float, sequence of float or callable
        Step sizes :math:`\gamma_t > 0` (a constant, T values, or ``t -> gamma_t``).
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the random streams (worker i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing).
    network : NetworkModel or None, optional
        Cost model of the modelled wall time.
    shared : bool, optional
        Count bits in the compressor's shared-randomness mode.

    Returns
    -------
    theorytools.algorithms.Trace
        The trace; ``meta["aux"]`` holds the final estimates :math:`g_i` (n, d).

    References
    ----------
    Richtárik, Sokolov, Fatkhullin, "EF21: A New, Simpler, Theoretically Better, and
    Practically Faster Error Feedback", NeurIPS 2021, Algorithm 1 [UNCONFIRMED];
    docs/algorithms.md, "How to add an algorithm".
    """
    return simulate_central("ef21", problem, compressor, gamma, T, seed=seed, x0=x0,
                            record=record, network=network, shared=shared)
