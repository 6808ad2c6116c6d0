"""l2-regularised logistic regression over ``n`` nodes, with certified constants.

``f_i(x) = (1/m) sum_j log(1 + exp(-y_ij <a_ij, x>)) + lam/2 ||x||^2``, labels in {-1, +1}.
Write ``s(t) = 1/(1 + exp(-t))``; the Hessian is
``grad^2 f(x) = (1/N) sum_j s(t_j)(1 - s(t_j)) a_j a_j^T + lam I`` (``N = n m``, ``t_j = a_j . x``).

Certification (status in ``Problem.provenance``) [derived here]
--------------------------------------------------------------
* ``L = lambda_max(F^T F) / (4N) + lam``: ``s(1-s) <= 1/4`` with equality at ``t = 0``, so
  ``grad^2 f(x) <= grad^2 f(0)`` for every ``x`` and the bound is ATTAINED at ``x = 0``: it is
  the exact smoothness constant, not only an upper bound. Same for each ``L_i`` (with ``m``).
  Computed as the largest eigenvalue of the SMALLER Gram matrix (``F_i F_i^T``, m x m, when
  ``m <= d``; equal to ``lambda_max(F_i^T F_i)`` in exact arithmetic), by LAPACK ``eigvalsh``
  (backward stable: a few ulps, as before; no interval enclosure, then or now).
* ``mu = lam``: the infimum over ``x`` of ``lambda_min(grad^2 f(x))``: along ``x = r v`` with
  ``a_j . v != 0`` for every nonzero ``a_j`` (such ``v`` exist: finitely many hyperplanes), all
  weights ``s(1-s) -> 0`` as ``r -> inf``. Approached, not attained. The local curvature at
  ``x*`` (larger) is ``info["mu_at_star"]``.
* ``x*``: damped Newton from 0, then Newton steps with gradients summed exactly rounded
  (``math.fsum`` over samples); certificate ``||grad f(x*)|| <= 1e-14 * scale`` with
  ``scale = (1/N) sum_j ||a_j|| + lam ||x*||``, checked, else the factory raises.
* ``f*``: ``f(x^)`` with ``log1p``-based softplus and an exactly rounded sum;
  ``0 <= f(x^) - f* <= ||grad f(x^)||^2 / (2 lam)`` (strong convexity), recorded.
* ``zeta_star_sq``: ``(1/n) sum ||grad f_i(x*)||^2`` with exactly rounded sums (certified).
* ``zeta_sup_sq``: UPPER BOUND ``(1/n) sum_i ((1/m) sum_j ||a_ij||)^2`` (the ``lam x`` terms
  cancel in ``grad f_i - grad f``, and ``|s| < 1``); the exact supremum is not computed.
* sampling ``sigma_sq``: exact at ``x*``; ``sigma_sq_sup`` is the UPPER BOUND
  ``(1/b) (1/n) sum_i (1/m) sum_j ||a_ij||^2`` (variance <= second moment, ``|s| < 1``).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.errors import TheorytoolsError, check_real
from theorytools.problems.base import Noise, Problem, exact_dot
from theorytools.problems._validate import check_array, check_noise, split_rows

__all__ = ["CERTIFICATE", "certify_logistic", "logistic"]

CERTIFICATE = 1e-14


def _softplus(t):
    """log(1 + exp(t)) without overflow or cancellation."""
    return np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))


def _sigmoid(t):
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _objective(F, Y, lam, x) -> float:
    """f(x) with an exactly rounded sum of the (correctly computed) terms."""
    N = F.shape[0] * F.shape[1]
    losses = _softplus(-Y * (F @ x)).ravel()
    return math.fsum(losses.tolist()) / N + 0.5 * lam * exact_dot(x, x)


def _node_grads(F, Y, lam, x, exact: bool) -> np.ndarray:
    """(n, d): grad f_i(x); with ``exact`` every coordinate sum is correctly rounded."""
    n, m, d = F.shape
    weights = -Y * _sigmoid(-Y * (F @ x)) / m          # (n, m)
    if not exact:
        return np.einsum("im,imk->ik", weights, F) + lam * x
    terms = weights[:, :, None] * F                     # (n, m, d)
    G = np.empty((n, d))
    for i in range(n):
        for k in range(d):
            G[i, k] = math.fsum(terms[i, :, k].tolist() + [lam * x[k]])
    return G


def _mean_grad(F, Y, lam, x, exact: bool) -> np.ndarray:
    n, m, d = F.shape
    weights = -Y * _sigmoid(-Y * (F @ x)) / (n * m)
    if not exact:
        return np.einsum("im,imk->k", weights, F) + lam * x
    terms = (weights[:, :, None] * F).reshape(n * m, d)
    return np.array([math.fsum(terms[:, k].tolist() + [lam * x[k]]) for k in range(d)])


def _gram_lambda_max(A: np.ndarray) -> np.ndarray:
    r"""Largest eigenvalue of :math:`A_i^T A_i` for each matrix of a stack ``A`` (n, m, d).

    .. math:: \lambda_{\max}(A_i^T A_i) = \lambda_{\max}(A_i A_i^T) = \sigma_{\max}(A_i)^2,

    so the smaller Gram matrix is used: ``(n, m, m)`` when ``m <= d``, else ``(n, d, d)``,
    one batched LAPACK ``syevd`` call (``numpy.linalg.eigvalsh``) instead of one ``d x d``
    eigendecomposition per node. Both Gram matrices are symmetric positive semi-definite and
    ``eigvalsh`` is backward stable, so the value agrees with the ``d x d`` route to a few ulps
    (``tests/test_problems_logistic_gram.py``; ``bench/problems.py`` for the speed).

    Parameters
    ----------
    A : numpy.ndarray
        Float array of shape ``(n, m, d)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``: :math:`\lambda_{\max}(A_i^T A_i)` for each ``i`` (0 for an empty side).
    """
    A = np.asarray(A, dtype=np.float64)
    n, m, d = A.shape
    if m == 0 or d == 0:
        return np.zeros(n)
    At = np.swapaxes(A, 1, 2)
    gram = A @ At if m <= d else At @ A
    return np.linalg.eigvalsh(gram)[:, -1].astype(np.float64)


def _hessian(F, Y, lam, x) -> np.ndarray:
    n, m, d = F.shape
    flat = F.reshape(n * m, d)
    s = _sigmoid((flat @ x))
    w = s * (1.0 - s) / (n * m)
    return (flat * w[:, None]).T @ flat + lam * np.eye(d)


def _newton(F, Y, lam, name: str):
    n, m, d = F.shape
    x = np.zeros(d)
    value = _objective(F, Y, lam, x)
    for _ in range(200):
        g = _mean_grad(F, Y, lam, x, exact=False)
        step = np.linalg.solve(_hessian(F, Y, lam, x), g)
        decrement = float(g @ step)
        if decrement <= 1e-28 * max(1.0, abs(value)):
            break
        t = 1.0
        while t > 1e-12:
            trial = _objective(F, Y, lam, x - t * step)
            if trial <= value - 0.25 * t * decrement or trial <= value:
                break
            t *= 0.5
        x, value = x - t * step, trial
    # polish with exactly rounded gradients (the quadratic regime: full steps)
    scale_data = float(np.mean(np.linalg.norm(F.reshape(n * m, d), axis=1)))
    for _ in range(5):
        g = _mean_grad(F, Y, lam, x, exact=True)
        scale = scale_data + lam * float(np.linalg.norm(x))
        if np.linalg.norm(g) <= 0.1 * CERTIFICATE * scale:
            break
        x = x - np.linalg.solve(_hessian(F, Y, lam, x), g)
    g = _mean_grad(F, Y, lam, x, exact=True)
    gnorm = float(np.linalg.norm(g))
    scale = scale_data + lam * float(np.linalg.norm(x))
    if gnorm > CERTIFICATE * scale:
        raise TheorytoolsError(f"x* of problem {name!r} could not be certified: "
                               f"||grad f|| = {gnorm:.3e} > {CERTIFICATE:g} * {scale:.3e}")
    return x, gnorm, scale


def certify_logistic(name: str, F: np.ndarray, Y: np.ndarray, lam: float, noise: Noise,
                     info: dict | None = None) -> Problem:
    """Build a logistic :class:`Problem` from split data ``F`` (n,m,d), ``Y`` (n,m)."""
    n, m, d = F.shape
    N = n * m
    flat = F.reshape(N, d)
    L = float(_gram_lambda_max(flat[None])[0]) / (4 * N) + lam
    L_i = _gram_lambda_max(F) / (4 * m) + lam
    x, gnorm, scale = _newton(F, Y, lam, name)
    f_star = _objective(F, Y, lam, x)
    G = _node_grads(F, Y, lam, x, exact=True)
    zeta_star = math.fsum((G * G).ravel().tolist()) / n
    row_norms = np.linalg.norm(F, axis=2)               # (n, m)
    zeta_sup = float(np.mean(np.mean(row_norms, axis=1) ** 2))
    mu_at_star = float(np.linalg.eigvalsh(_hessian(F, Y, lam, x))[0])

    if noise.kind == "none":
        sigma_sq, sigma_sup, at = 0.0, 0.0, "all x"
        sigma_how = ("exact gradients", "exact")
    elif noise.kind == "additive":
        sigma_sq = sigma_sup = float(noise.sigma) ** 2
        at = "all x"
        sigma_how = ("additive (sigma/sqrt(d)) N(0, I_d): E||xi||^2 = sigma^2",
                     "exact (by definition)")
    else:
        per_node = []
        for i in range(n):
            w = -Y[i] * _sigmoid(-Y[i] * (F[i] @ x))
            Gi = w[:, None] * F[i]
            centred = Gi - Gi.mean(axis=0)
            per_node.append(math.fsum((centred * centred).ravel().tolist()) / m)
        sigma_sq = float(np.mean(per_node)) / noise.batch
        sigma_sup = float(np.mean(row_norms ** 2)) / noise.batch
        at = "x*"
        sigma_how = ("(1/b)(1/m) sum_j ||grad f_ij(x*) - grad f_i(x*)||^2, mean over nodes, at "
                     "x*; sigma_sq_sup = (1/b) mean ||a_ij||^2 is an upper bound, not attained",
                     "exact computation (sup: upper bound)")
    provenance = {
        "L": ("lambda_max(F^T F)/(4N) + lam = lambda_max(Hessian at x = 0) >= Hessian "
              "everywhere (s(1-s) <= 1/4)", "exact (attained at x = 0)"),
        "mu": ("lam = inf_x lambda_min(Hessian), approached as ||x|| -> inf along a direction "
               "with a_j . v != 0", "exact infimum (not attained)"),
        "L_i": ("lambda_max(F_i^T F_i)/(4m) + lam, attained at x = 0", "exact"),
        "x_star": (f"damped Newton + exactly rounded gradient polish; certificate "
                   f"||grad f(x*)|| = {gnorm:.3e} <= {CERTIFICATE:g} * {scale:.3e}", "certified"),
        "f_star": (f"f(x*) with exactly rounded sum; 0 <= f(x^) - f* <= ||g||^2/(2 lam) = "
                   f"{gnorm ** 2 / (2 * lam):.3e}", "certified"),
        "zeta_star_sq": ("(1/n) sum ||grad f_i(x*)||^2, exactly rounded sums", "certified"),
        "zeta_sup_sq": ("(1/n) sum_i ((1/m) sum_j ||a_ij||)^2 (|s| < 1; lam x cancels)",
                        "upper bound"),
        "sigma_sq": sigma_how,
    }
    info = dict(info or {})
    info["mu_at_star"] = mu_at_star
    return Problem(name=name, n=n, d=d, kind="logistic",
                   arrays={"features": F, "labels": Y, "lam": lam}, L=L, mu=lam, L_i=L_i,
                   x_star=x, f_star=f_star, zeta_star_sq=zeta_star, zeta_sup_sq=zeta_sup,
                   noise=noise, sigma_sq=sigma_sq, provenance=provenance, sigma_sq_at=at,
                   sigma_sq_sup=sigma_sup, info=info)


def logistic(features: np.ndarray, labels: np.ndarray, n: int, lam: float, *,
             batch: int | None = None, sigma: float = 0.0, split: str = "contiguous",
             seed: int = 0, name: str = "logistic") -> Problem:
    r"""l2-regularised logistic regression on rows split over ``n`` nodes, certified.

    .. math:: f_i(x) = \frac1m\sum_{j=1}^m \log(1 + e^{-y_{ij}\langle a_{ij}, x\rangle})
              + \frac\lambda2\|x\|^2,\qquad
              L = \frac{\lambda_{\max}(F^\top F)}{4N} + \lambda,\quad \mu = \lambda,

    ``L`` attained at :math:`x = 0` (computed from the smaller Gram matrix); :math:`x^\star` by
    Newton with a certified gradient norm (see the module docstring).

    Parameters
    ----------
    features : numpy.ndarray
        Rows :math:`a_j`, shape (N, d).
    labels : numpy.ndarray
        Labels in {-1, +1}, shape (N,).
    n : int
        Number of nodes (``m = N // n`` rows each, remainder dropped).
    lam : float
        Regularisation :math:`\lambda > 0`.
    batch : int or None, optional
        Sampling noise: each stochastic gradient averages ``batch`` local samples drawn
        uniformly with replacement (exclusive with ``sigma``).
    sigma : float, optional
        Additive noise :math:`\xi \sim N(0, \frac{\sigma^2}{d}I)`, :math:`\mathbb{E}\|\xi\|^2
        = \sigma^2` (exclusive with ``batch``).
    split : {"contiguous", "random", "sorted"}, optional
        How rows go to nodes (``m = N // n`` each, remainder dropped): in order, shuffled with
        ``seed``, or sorted by label/target (maximally heterogeneous).
    seed : int, optional
        Seed of the ``random`` split.
    name : str, optional
        Name prefix of the problem.

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    docs/problems.md; the constants are derived here (module docstring).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> F = rng.standard_normal((40, 3)); y = np.sign(F[:, 0] + 0.1)
    >>> p = logistic(F, y, 4, 0.1, batch=2)
    >>> p.mu, p.sigma_sq_at
    (0.1, 'x*')
    """
    features = check_array(features, "features", 2)
    labels = check_array(labels, "labels", 1)
    bad = np.flatnonzero((labels != 1.0) & (labels != -1.0))
    if bad.size:
        raise TheorytoolsError(
            f"labels must be -1 or +1, but labels[{bad[0]}] = {float(labels[bad[0]])!r}")
    lam = check_real(lam, "lam", low=0.0, low_open=True)
    F, Y, dropped = split_rows(features, labels, n, split, seed, xname="features",
                               yname="labels")
    noise = check_noise(batch, sigma, F.shape[1])
    return certify_logistic(f"{name}[n={F.shape[0]},lam={lam:g}]", F, Y, lam, noise,
                            info={"m": F.shape[1], "dropped": dropped, "split": split})
