r"""Local SGD (Stich 2019): K workers, H local steps between averagings.

Each worker takes :math:`x^k_{t+1} = x^k_t - \eta_t g^k_t` and, at synchronisation times,
all workers average their models after the local step. Step sizes: Stich's
:math:`\eta_t = 4/(\mu(a+t))` with :math:`a > \max\{16\kappa, H\}` (Theorem 2.2 [SECONDARY +
DERIVED, Stich 2019, local SGD (docs/sources.md#local-sgd); Stich 2019, Theorem 2.2 (docs/sources.md#local-sgd)]) or a constant. Output: Stich's weighted
average :math:`\hat x_T = \frac{1}{S_T}\sum_{t=0}^{T-1} w_t \bar x_t`, :math:`w_t = (a+t)^2`
(over all workers' iterates; ``Trace.x_bar``).

Asynchronous variant (``asynchronous=True``): worker k synchronises at its own times
:math:`t + 1 + o_k \equiv 0 \pmod H` (offsets :math:`o_k = kH/K`, so gaps are exactly H),
replacing its model by the average of all workers' current models [the paper's asynchronous
setting is UNCONFIRMED; this is our documented variant]. A partial average moves the
workers' mean, so, unlike the synchronous case, the asynchronous average :math:`\bar x_t` is
NOT mini-batch SGD even on quadratics with additive noise (``stich2018.asynchronous``
propagates its moments exactly). The offsets are in ``Trace.meta["offsets"]``.
The mini-batch b is the problem's (``Noise(kind="sampling", batch=b)``); the K workers are the
problem's n nodes, which must share the same data for Stich's setting (heterogeneity 0).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from theorytools.algorithms import _engine as E
from theorytools.algorithms._common import StepSizes, check_run, step_schedule
from theorytools.algorithms._oracle import oracle_of
from theorytools.algorithms.cost import NetworkModel
from theorytools.algorithms.trace import Trace
from theorytools.errors import TheorytoolsError, check_int, check_real

__all__ = ["local_sgd", "stich_shift"]

if TYPE_CHECKING:                       # annotations only (no import cycle at run time)
    from theorytools.problems import Problem


def stich_shift(problem: Problem, H: int) -> float:
    r"""The smallest shift allowed by Theorem 2.2: :math:`a = \max\{16\kappa, H\}`.

    The step sizes are :math:`\eta_t = 4/(\mu(a + t))` and the theorem needs
    :math:`a > \max\{16\kappa, H\}`, :math:`\kappa = L/\mu`.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        Gives the certified ``L`` and ``mu``.
    H : int
        Local steps between averagings.

    Returns
    -------
    float
        :math:`\max\{16 L/\mu, H\}`.

    References
    ----------
    Stich, "Local SGD Converges Fast and Communicates Little", ICLR 2019, Theorem 2.2 and
    Corollary 2.3; docs/algorithms.md.
    """
    return max(16.0 * problem.L / problem.mu, float(H))


def local_sgd(problem: Problem, T: int, H: int, *, stepsize: str | StepSizes = "stich",
              a: float | None = None, seed: int = 0, x0: np.ndarray | None = None,
              record: str | np.ndarray | None = "log", asynchronous: bool = False,
              network: NetworkModel | None = None, float_bits: int = 32) -> Trace:
    r"""Local SGD: K = n workers, H local steps between averagings.

    .. math:: y^k = x^k_t - \eta_t g^k_t,\qquad
              x^k_{t+1} = \begin{cases}\frac1K\sum_{k'} y^{k'} & (t+1) \equiv 0 \pmod H\\
              y^k & \text{otherwise,}\end{cases}

    with Stich's :math:`\eta_t = 4/(\mu(a+t))` or a given constant/schedule. Output (``x_bar``)
    is Stich's weighted average :math:`\hat x_T = \frac1{S_T}\sum_{t=0}^{T-1} w_t\bar x_t`,
    :math:`w_t = (a+t)^2`; ``meta["f_gap_x_hat"]`` is its gap.

    Parameters
    ----------
    problem : theorytools.problems.Problem
        Identical data on every node for Stich's setting (heterogeneity 0); its mini-batch is
        the problem's ``Noise(kind="sampling", batch=b)``.
    T : int
        Number of iterations.
    H : int
        Local steps between averagings (>= 1).
    stepsize : "stich", float, sequence of float or callable, optional
        ``"stich"``: :math:`4/(\mu(a+t))` (refuses :math:`a \le \max\{16\kappa, H\}`); else a
        constant, T step sizes, or a callable ``t -> eta_t`` evaluated once for t = 0..T-1.
    a : float or None, optional
        Shift of the steps and weights (default :func:`stich_shift`).
    seed : int, optional
        Seed of the random streams.
    x0 : numpy.ndarray or None, optional
        Initial model (default 0).
    record : {"log", "every", "final"}, numpy.ndarray or None, optional
        Steps at which the trace records (None: nothing, no loss evaluation).
    asynchronous : bool, optional
        Worker k synchronises when :math:`t + 1 + o_k \equiv 0 \pmod H`,
        :math:`o_k = \lfloor kH/K\rfloor` (our documented variant, UNCONFIRMED as the paper's).
    network : NetworkModel or None, optional
        Cost model of the modelled wall time.
    float_bits : int, optional
        Bits per transmitted coordinate (32).

    Returns
    -------
    theorytools.algorithms.Trace
        Metrics at the plain average of the current models; ``x_bar`` = :math:`\hat x_T`.

    References
    ----------
    Stich, "Local SGD Converges Fast and Communicates Little", ICLR 2019 (arXiv 1805.09767),
    Algorithm 1 and Theorem 2.2; docs/algorithms.md.
    """
    H = check_int(H, "H", low=1)
    _, T, x0, record_at = check_run(problem, 1.0, T, record, x0=x0, seed=seed)
    n, d = problem.n, problem.d
    if a is None:
        a = stich_shift(problem, H)
    a = check_real(a, "a", low=0.0)
    if isinstance(stepsize, str) and stepsize == "stich":
        if a <= max(16 * problem.L / problem.mu, H) - 1e-12 * a:
            raise TheorytoolsError(f"a = {a} violates Theorem 2.2's condition a > max(16 kappa, H)"
                                   f" = {max(16 * problem.L / problem.mu, H)}")
        steps = 4.0 / (problem.mu * (a + np.arange(T)))
    else:
        steps = step_schedule(stepsize, T, "stepsize")
    weights = (a + np.arange(T, dtype=np.float64)) ** 2
    offsets = (np.arange(n) * H // n if asynchronous else np.zeros(n)).astype(np.int64)
    X = np.tile(x0, (n, 1))
    rec = E.new_record(record_at, problem, n)
    xhat = np.zeros(d)
    E.run_local_sgd(X, T, H, offsets, steps, weights, oracle_of(problem), np.uint64(seed),
                    float_bits * d, rec, xhat)
    s_t = float(weights.sum()) if T else 1.0
    x_hat = xhat / s_t if T else x0.copy()
    synced = ((np.arange(T)[:, None] + 1 + offsets[None, :]) % H == 0).any(axis=1)
    rounds = np.where(synced, float_bits * d, 0).astype(np.int64)
    network = network or NetworkModel()
    wall = network.wall_times(rounds, record_at, "allreduce", n)
    return Trace("local_sgd", record_at, rec.f_gap, rec.g_sq, rec.dist_sq, rec.cons,
                 rec.bits_cum, wall, x_hat, X,
                 True, {"H": H, "a": a, "T": T, "seed": seed, "asynchronous": asynchronous,
                        "offsets": offsets, "steps": steps, "S_T": s_t, "problem": problem.name,
                        "f_gap_x_hat": problem.f(x_hat) - problem.f_star})
