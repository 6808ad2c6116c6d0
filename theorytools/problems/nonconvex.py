r"""Logistic regression with a non-convex regulariser over ``n`` nodes, with certified smoothness.

.. math:: f_i(x) = \frac1m\sum_{j=1}^m \log\big(1 + e^{-y_{ij}\langle a_{ij}, x\rangle}\big)
          + \lambda\sum_{k=1}^d \frac{x_k^2}{1 + x_k^2},

the standard non-convex benchmark of the variance-reduction literature (e.g. Reddi et al.
2016, "Stochastic variance reduction for nonconvex optimization", §5; the regulariser is
smooth, bounded, and non-convex for every :math:`\lambda > 0`). Tang et al. 2018 state their
rates for non-convex objectives on :math:`\|\nabla f(\bar x_t)\|^2` (Tang et al. 2018,
Theorems 1-2 (docs/sources.md#tang)); this is the smallest such model a CPU runs in seconds.

Certification (derived here; ``tests/test_problems_nonconvex.py``)
------------------------------------------------------------------
With :math:`r(u) = u^2/(1+u^2)`: :math:`r'(u) = 2u/(1+u^2)^2`,
:math:`r''(u) = (2 - 6u^2)/(1+u^2)^3 \in [-1/2, 2]` (maximum 2 at :math:`u = 0`, minimum
:math:`-1/2` at :math:`u^2 = 1`). The Hessian is
:math:`\frac1N\sum_j s_j(1-s_j)a_ja_j^\top + \lambda\,\mathrm{diag}(r''(x_k))` with
:math:`s_j(1-s_j) \le 1/4`, so

* ``L`` :math:`= \lambda_{\max}(F^\top F)/(4N) + 2\lambda`, **attained at** :math:`x = 0`
  (both terms are maximal there), hence the exact smoothness constant; likewise ``L_i`` with
  ``m``; and :math:`\nabla^2 f \succeq -(\lambda/2) I`;
* ``mu`` :math:`= -\lambda/2`: **not convex**; this is the lower curvature bound (f is
  :math:`\lambda/2`-weakly convex), attained where the data curvature vanishes (approached
  as :math:`\|x\| \to \infty` along a direction, with one coordinate at :math:`\pm 1`);
* ``f_star`` :math:`= 0`: a **lower bound** (both terms are non-negative), not the minimum,
  which is unknown; so a trace's ``f_gap`` is the loss :math:`f(\bar x_t)` itself;
* ``x_star``: unknown (all NaN, so ``dist_sq`` in a trace is NaN); ``zeta_star_sq`` NaN;
* ``zeta_sup_sq``, ``sigma_sq_sup``: the logistic problem's upper bounds, unchanged (the
  regulariser is the same on every node and in every sample, so it cancels in both);
  ``sigma_sq`` is set to the upper bound ``sigma_sq_sup`` (``sigma_sq_at = "sup over x"``).

The simulator's mini-batch-of-one fast path forms :math:`\lambda x + w a_j` (the convex
regulariser's gradient) without calling the oracle, so ``batch=1`` is refused here.
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.errors import TheorytoolsError, check_real
from theorytools.problems._validate import check_array, check_noise, split_rows
from theorytools.problems.base import Problem
from theorytools.problems.logistic import _gram_lambda_max

__all__ = ["KIND", "check_nonconvex_constants", "logistic_nonconvex", "regulariser"]

KIND = "logistic_nonconvex"


def regulariser(x: np.ndarray) -> float:
    r""":math:`\sum_k x_k^2/(1 + x_k^2)` (without the factor :math:`\lambda`)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(x * x / (1.0 + x * x)))


def logistic_nonconvex(features: np.ndarray, labels: np.ndarray, n: int, lam: float, *,
                       batch: int | None = None, sigma: float = 0.0, split: str = "contiguous",
                       seed: int = 0, name: str = "logistic_nonconvex") -> Problem:
    r"""Logistic regression with the non-convex regulariser
    :math:`\lambda\sum_k x_k^2/(1+x_k^2)`, rows split over ``n`` nodes.

    .. math:: f_i(x) = \frac1m\sum_{j} \log(1 + e^{-y_{ij}\langle a_{ij}, x\rangle})
              + \lambda\sum_k \frac{x_k^2}{1 + x_k^2},\qquad
              L = \frac{\lambda_{\max}(F^\top F)}{4N} + 2\lambda\ \text{(attained at 0)},\quad
              \nabla^2 f \succeq -\frac\lambda2 I.

    Parameters
    ----------
    features : numpy.ndarray
        Rows :math:`a_j`, shape (N, d).
    labels : numpy.ndarray
        Labels in {-1, +1}, shape (N,).
    n : int
        Number of nodes (``m = N // n`` rows each, remainder dropped).
    lam : float
        Weight :math:`\lambda > 0` of the non-convex regulariser.
    batch : int or None, optional
        Sampling noise: each stochastic gradient averages ``batch >= 2`` local samples drawn
        uniformly with replacement (exclusive with ``sigma``). ``batch=1`` is refused (see the
        module docstring).
    sigma : float, optional
        Additive noise :math:`\xi \sim N(0, \frac{\sigma^2}{d}I)` (exclusive with ``batch``).
    split : {"contiguous", "random", "sorted"}, optional
        How rows go to nodes, as in :func:`theorytools.problems.logistic`.
    seed : int, optional
        Seed of the ``random`` split.
    name : str, optional
        Name prefix.

    Returns
    -------
    Problem
        ``kind = "logistic_nonconvex"``; certified ``L``, ``L_i``; ``mu = -lam/2`` (lower
        curvature bound); ``f_star = 0`` (a lower bound); ``x_star`` unknown (NaN).

    References
    ----------
    Reddi, Hefny, Sra, Póczos, Smola 2016 (the non-convex regulariser); docs/problems.md;
    constants derived here (module docstring).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> F = rng.standard_normal((40, 3)); y = np.sign(F[:, 0] + 0.1)
    >>> p = logistic_nonconvex(F, y, 4, 0.1, batch=2)
    >>> p.kind, p.mu, p.f_star
    ('logistic_nonconvex', -0.05, 0.0)
    """
    features = check_array(features, "features", 2)
    labels = check_array(labels, "labels", 1)
    bad = np.flatnonzero((labels != 1.0) & (labels != -1.0))
    if bad.size:
        raise TheorytoolsError(
            f"labels must be -1 or +1, but labels[{bad[0]}] = {float(labels[bad[0]])!r}")
    lam = check_real(lam, "lam", low=0.0, low_open=True)
    if batch is not None and batch == 1:
        raise TheorytoolsError(
            "batch must be >= 2 for logistic_nonconvex, got 1 (the simulator's batch-1 fast "
            "path forms the convex regulariser's gradient lam*x + w*a_j)")
    F, Y, dropped = split_rows(features, labels, n, split, seed, xname="features",
                               yname="labels")
    noise = check_noise(batch, sigma, F.shape[1])
    nn, m, d = F.shape
    N = nn * m
    L = float(_gram_lambda_max(F.reshape(N, d)[None])[0]) / (4 * N) + 2.0 * lam
    L_i = _gram_lambda_max(F) / (4 * m) + 2.0 * lam
    row_norms = np.linalg.norm(F, axis=2)
    zeta_sup = float(np.mean(np.mean(row_norms, axis=1) ** 2))
    if noise.kind == "none":
        sigma_sq = sigma_sup = 0.0
        sigma_how = ("exact gradients", "exact")
    elif noise.kind == "additive":
        sigma_sq = sigma_sup = float(noise.sigma) ** 2
        sigma_how = ("additive (sigma/sqrt(d)) N(0, I_d): E||xi||^2 = sigma^2", "exact")
    else:
        sigma_sq = sigma_sup = float(np.mean(row_norms ** 2)) / noise.batch
        sigma_how = ("(1/b) mean ||a_ij||^2 >= sampling variance at every x (the regulariser "
                     "cancels in the centring; |s| < 1)", "upper bound")
    provenance = {
        "L": ("lambda_max(F^T F)/(4N) + 2 lam = lambda_max(Hessian at x = 0) (s(1-s) <= 1/4, "
              "r'' <= 2 with equality at 0)", "exact (attained at x = 0)"),
        "mu": ("-lam/2: lower curvature bound (r'' >= -1/2 at x_k^2 = 1); NOT convex",
               "lower bound (weak convexity)"),
        "L_i": ("lambda_max(F_i^T F_i)/(4m) + 2 lam, attained at x = 0", "exact"),
        "x_star": ("unknown (non-convex): NaN", "unknown"),
        "f_star": ("0: both terms are non-negative; the minimum is unknown", "lower bound"),
        "zeta_star_sq": ("undefined without x*: NaN", "unknown"),
        "zeta_sup_sq": ("(1/n) sum_i ((1/m) sum_j ||a_ij||)^2 (the regulariser cancels)",
                        "upper bound"),
        "sigma_sq": sigma_how,
    }
    return Problem(name=f"{name}[n={nn},lam={lam:g}]", n=nn, d=d, kind=KIND,
                   arrays={"features": F, "labels": Y, "lam": 0.0, "reg": lam}, L=L,
                   mu=-0.5 * lam, L_i=L_i, x_star=np.full(d, np.nan), f_star=0.0,
                   zeta_star_sq=math.nan, zeta_sup_sq=zeta_sup, noise=noise, sigma_sq=sigma_sq,
                   provenance=provenance, sigma_sq_at="sup over x (upper bound)",
                   sigma_sq_sup=sigma_sup, info={"m": m, "dropped": dropped, "split": split})


def check_nonconvex_constants(problem: Problem, *, rtol: float = 1e-10) -> dict:
    r"""Independent re-check of ``L`` and ``L_i`` (scipy SVDs) and of the sampling-variance
    upper bound at a few points (used by :func:`theorytools.problems.check_constants`)."""
    import scipy.linalg

    arr, lam = problem.arrays, float(problem.arrays["reg"])
    F = np.asarray(arr["features"])
    flat = F.reshape(-1, problem.d)
    top = scipy.linalg.svdvals(flat)[0] ** 2 / (4 * flat.shape[0]) + 2 * lam
    local = np.array([scipy.linalg.svdvals(Fi)[0] ** 2 / (4 * F.shape[1]) + 2 * lam for Fi in F])
    out = {"L": (problem.L, top, abs(problem.L - top) <= rtol * top),
           "mu": (problem.mu, -0.5 * lam, problem.mu == -0.5 * lam),
           "L_i": (float(np.max(np.abs(problem.L_i - local))), 0.0,
                   bool(np.allclose(problem.L_i, local, rtol=rtol, atol=0.0)))}
    if problem.noise.kind == "sampling":
        rng = np.random.Generator(np.random.PCG64(12345))
        worst = max(problem.sampling_variance(3.0 * rng.standard_normal(problem.d))
                    for _ in range(3))
        out["sigma_sq"] = (problem.sigma_sq, worst, worst <= problem.sigma_sq * (1 + rtol))
    return out
