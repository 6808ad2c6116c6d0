r"""D²: decentralized SGD that corrects for the differences between the nodes' data.

.. math:: X_1 = W\,(X_0 - \gamma_0 G_0),\qquad
          X_{t+1} = W\,\bigl(2X_t - X_{t-1} - \gamma_t G_t + \gamma_{t-1} G_{t-1}\bigr),

rows = nodes, :math:`G_t` = the nodes' stochastic gradients at :math:`X_t`. With
:math:`H_t = X_t - \gamma_t G_t` the bracket is :math:`X_t + H_t - H_{t-1}`: every node keeps
:math:`H_{t-1}` (``aux``) and sends one vector per step. Unlike D-PSGD, its fixed points are
exact: on noiseless heterogeneous quadratics it converges to :math:`x^\star` itself.
Source: Tang, Lian, Yan, Zhang, Liu, "D²: Decentralized Training over Decentralized Data",
ICML 2018, Algorithm 1 [UNCONFIRMED: recalled, not checked against the printed algorithm;
the condition :math:`\lambda_{\min}(W) > -1/3` is checked as a warning only].

This module is the worked example of docs/algorithms.md, "How to add an algorithm": two Numba
node kernels, one registration, one public function (tests/test_howto_algorithm.py).
"""
from __future__ import annotations

import warnings

import numpy as np
from numba import njit

from theorytools.algorithms import (AssumptionWarning, Method, NetworkModel, register_method,
                                    simulate)
from theorytools.algorithms.decentralized import StepSizes
from theorytools.algorithms.kernels import mix_row, node_grad
from theorytools.algorithms.trace import Trace

__all__ = ["d2"]


@njit(cache=True)
def d2_phase0(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """Nodes lo..hi-1: h = x - gamma g(x); message = h (t = 0) or (h + x) - h_prev; h_prev = h.
    Reads only the node's own rows, so any node order gives the same bits."""
    g = st.S[0]
    for i in range(lo, hi):
        x, h_prev, msg = st.X[i], st.aux[i], st.Cm[i]
        node_grad(o, i, x, seed, t, g)
        for k in range(x.size):
            h = x[k] - gamma * g[k]
            msg[k] = h if t == 0 else (h + x[k]) - h_prev[k]
            h_prev[k] = h
        st.step_bits[i] = cc.full_bits          # one uncompressed vector per node


@njit(cache=True)
def d2_phase1(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed):
    """Nodes lo..hi-1: x_i = sum_j W_ij message_j (the neighbours' phase-0 output)."""
    for i in range(lo, hi):
        mix_row(gr, st.Cm, i, st.X[i])


D2 = register_method(Method("d2", compressed=False, phase0=d2_phase0, phase1=d2_phase1))


def d2(problem, topology, gamma: StepSizes, T: int, *, seed: int = 0,
       x0: np.ndarray | None = None, record: str | np.ndarray | None = "log",
       network: NetworkModel | None = None, float_bits: int = 32) -> Trace:
    r"""D²: :math:`X_{t+1} = W(2X_t - X_{t-1} - \gamma_t G_t + \gamma_{t-1} G_{t-1})`.

    The first step is :math:`X_1 = W(X_0 - \gamma_0 G_0)`; every node sends one vector of
    ``float_bits * d`` bits per step. Warns (``AssumptionWarning``) when
    :math:`\lambda_{\min}(W) \le -1/3`.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        The n local objectives :math:`f_i` and their gradient noise.
    topology : theorytools.topology.Topology
        The graph and its mixing matrix :math:`W`.
    gamma : float, sequence of float or callable
        Step sizes :math:`\gamma_t > 0` (a constant, T values, or ``t -> gamma_t``).
    T : int
        Number of iterations (>= 0).
    seed : int, optional
        Seed of the gradient noise (node i at step t: ``node_step_key(seed, i, t)``).
    x0 : numpy.ndarray or None, optional
        Initial model of every node, shape ``(d,)`` (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing).
    network : NetworkModel or None, optional
        Cost model of the modelled wall time.
    float_bits : int, optional
        Bits per transmitted coordinate (32).

    Returns
    -------
    theorytools.algorithms.Trace
        The trace; ``meta["aux"]`` holds :math:`H_{T-1} = X_{T-1} - \gamma_{T-1} G_{T-1}`.

    References
    ----------
    Tang, Lian, Yan, Zhang, Liu, "D²: Decentralized Training over Decentralized Data", ICML
    2018, Algorithm 1 [UNCONFIRMED]; docs/algorithms.md, "How to add an algorithm".
    """
    if topology.lambda_n <= -1.0 / 3.0:
        warnings.warn(f"d2: lambda_min(W) = {topology.lambda_n:.4g} <= -1/3; "
                      "D² assumes lambda_min(W) > -1/3", AssumptionWarning, stacklevel=2)
    return simulate("d2", problem, topology, None, gamma, T, seed=seed, x0=x0, record=record,
                    network=network, float_bits=float_bits)
