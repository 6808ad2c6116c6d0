"""Quadratic problems with certified constants: prescribed spectrum, prescribed heterogeneity, ridge.

``f_i(x) = 1/2 x^T A_i x - b_i^T x + c_i`` and ``f = (1/n) sum_i f_i`` with mean Hessian
``Abar = (1/n) sum_i A_i``, ``bbar``, ``cbar`` likewise.

Certification (status in ``Problem.provenance``)
-----------------------------------------------
* ``L``, ``mu``: extreme eigenvalues of ``Abar`` (``numpy.linalg.eigvalsh``; backward stable, so
  exact up to ``d * eps * L``). ``L_i``: largest eigenvalue of ``A_i``. Exact computation.
* ``x*``: ``Abar x = bbar`` by a dense solve and iterative refinement with residuals computed
  exactly rounded (:func:`~theorytools.problems.base.exact_matvec`); certificate
  ``||Abar x - bbar|| <= 1e-14 (L ||x|| + ||bbar||)``, checked, else the factory raises.
* ``f*``: ``f(x^) = cbar - 1/2 bbar^T x^ - 1/2 x^T r`` with ``r = Abar x^ - bbar``, every sum
  exactly rounded; ``0 <= f(x^) - f* <= ||r||^2 / (2 mu)`` (strong convexity), recorded.
* ``zeta_star_sq``: equal Hessians: ``grad f_i(x*) = bbar - b_i`` exactly (because
  ``Abar x* = bbar``), so ``zeta*^2 = (1/n) sum_i ||b_i - bbar||^2``, a closed form in the stored
  data, with ``bbar`` correctly rounded (its rounding error enters only at second order since
  the exact deviations sum to zero). Different Hessians: ``(1/n) sum ||A_i x^ - b_i||^2`` with
  exactly rounded mat-vecs.
* ``zeta_sup_sq``: ``grad f_i - grad f = (A_i - Abar) x - (b_i - bbar)``: constant
  (``= zeta*^2``) when all ``A_i`` are equal, unbounded (``inf``) otherwise. Derived here.

Prescribed heterogeneity (:func:`quadratic`): ``b_i = A x0 + v_i`` with ``sum_i v_i = 0`` and
``(1/n) sum ||v_i||^2 = zeta^2``; then ``bbar = A x0`` so ``x* = x0`` and
``grad f_i(x*) = -v_i``, hence ``zeta*^2 = zeta^2`` [derived here]. In floating point the stored
``b_i`` are rounded; the realised ``zeta*^2`` of the stored data is computed as above and the
factory checks it equals ``zeta_sq`` to relative ``1e-12`` (it rerolls the draw a few times and
otherwise raises: ``zeta_sq`` far below ``(eps ||A x0||)^2`` cannot be stored).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.errors import TheorytoolsError, check_int, check_real, check_seed
from theorytools.problems.base import Noise, Problem, exact_dot, exact_matvec, exact_mean
from theorytools.problems._validate import check_array, check_noise, split_rows

__all__ = ["CERTIFICATE", "SPECTRA", "certify_quadratic", "quadratic", "quadratic_heterogeneous",
           "ridge"]

SPECTRA = ("loguniform", "linspace")
CERTIFICATE = 1e-14


def _spectrum(d: int, mu: float, L: float, kind: str, rng) -> np.ndarray:
    if kind not in SPECTRA:
        raise TheorytoolsError(f"spectrum must be one of {SPECTRA}, got {kind!r}")
    if d == 1:
        if mu != L:
            raise TheorytoolsError(f"d = 1 holds one eigenvalue, so mu must equal L; got "
                                   f"mu={mu!r}, L={L!r}")
        return np.array([L])
    if kind == "linspace":
        eig = np.linspace(mu, L, d)
    else:
        inner = np.exp(rng.uniform(math.log(mu), math.log(L), d - 2))
        eig = np.concatenate([[mu], np.sort(inner), [L]])
    eig[0], eig[-1] = mu, L
    return eig


def _random_orthogonal(d: int, rng) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


def _symmetric_from_spectrum(eig, Q) -> np.ndarray:
    A = (Q * eig) @ Q.T
    return 0.5 * (A + A.T)


def _deviation_sq(b: np.ndarray, bbar: np.ndarray) -> float:
    """(1/n) sum_i ||b_i - bbar||^2 with a correctly rounded outer sum."""
    dev = b - bbar
    return math.fsum((dev * dev).ravel().tolist()) / b.shape[0]


def certify_quadratic(name: str, A: np.ndarray, b: np.ndarray, c: np.ndarray, noise: Noise,
                      *, extra_arrays: dict | None = None, info: dict | None = None) -> Problem:
    """Build a :class:`Problem` of kind ``quadratic`` from stored (A, b, c), certifying every
    constant (see the module docstring). ``A``: (n,d,d) symmetric, ``b``: (n,d), ``c``: (n,)."""
    n, d = b.shape
    shared = bool(all(np.array_equal(A[0], A[i]) for i in range(1, n)))
    mean_A = A[0].copy() if shared else exact_mean(A)
    eig = np.linalg.eigvalsh(mean_A)
    L, mu = float(eig[-1]), float(eig[0])
    if not mu > 0.0:
        raise TheorytoolsError(
            f"the mean Hessian of problem {name!r} must be positive definite, but its smallest "
            f"eigenvalue is {mu!r}")
    L_i = (np.full(n, L) if shared
           else np.array([float(np.linalg.eigvalsh(A[i])[-1]) for i in range(n)]))
    bbar = exact_mean(b)
    cbar = math.fsum(c.tolist()) / n

    x = np.linalg.solve(mean_A, bbar)
    scale = L * float(np.linalg.norm(x)) + float(np.linalg.norm(bbar))
    for _ in range(10):
        residual = exact_matvec(mean_A, x) - bbar
        if np.linalg.norm(residual) <= 0.01 * CERTIFICATE * scale:
            break
        x = x - np.linalg.solve(mean_A, residual)
    residual = np.array([exact_dot(np.append(row, -1.0), np.append(x, bk))
                         for row, bk in zip(mean_A, bbar)])
    res_norm = float(np.linalg.norm(residual))
    scale = L * float(np.linalg.norm(x)) + float(np.linalg.norm(bbar))
    if res_norm > CERTIFICATE * scale:
        raise TheorytoolsError(
            f"x* of problem {name!r} could not be certified: residual {res_norm:.3e} > "
            f"{CERTIFICATE:g} * {scale:.3e} (condition number {L / mu:.3e} too large)")
    f_star = math.fsum([cbar, -0.5 * exact_dot(bbar, x), -0.5 * exact_dot(x, residual)])
    f_gap_bound = res_norm ** 2 / (2.0 * mu)

    if shared:
        zeta_star = _deviation_sq(b, bbar)
        zeta_sup = zeta_star
        zeta_how = ("closed form (1/n) sum ||b_i - bbar||^2 (equal A_i, so grad f_i(x*) = "
                    "bbar - b_i exactly), correctly rounded sums", "exact")
        sup_how = ("grad f_i - grad f = bbar - b_i is constant in x (equal A_i): sup = zeta*^2",
                   "exact (derived here)")
    else:
        G = np.array([exact_matvec(A[i], x) for i in range(n)]) - b
        zeta_star = math.fsum((G * G).ravel().tolist()) / n
        zeta_sup = math.inf
        zeta_how = ("(1/n) sum ||A_i x* - b_i||^2 with exactly rounded mat-vecs at the "
                    "certified x*", "certified")
        sup_how = ("(A_i - Abar) x grows without bound for some A_i != Abar", "exact (derived here)")

    arrays = {"A": A, "b": b, "c": c}
    arrays.update(extra_arrays or {})
    sigma_sq, sigma_sup, sigma_at, sigma_how = _quadratic_noise(noise, arrays, x, n)
    provenance = {
        "L": ("largest eigenvalue of the mean Hessian (numpy eigvalsh)", "exact"),
        "mu": ("smallest eigenvalue of the mean Hessian (numpy eigvalsh)", "exact"),
        "L_i": ("largest eigenvalue of each A_i (numpy eigvalsh)", "exact"),
        "x_star": (f"solve + iterative refinement with exactly rounded residuals; certificate "
                   f"||grad f(x*)|| = {res_norm:.3e} <= {CERTIFICATE:g} * {scale:.3e}",
                   "certified"),
        "f_star": (f"f(x*) with exactly rounded sums; 0 <= f(x^) - f* <= ||r||^2/(2 mu) = "
                   f"{f_gap_bound:.3e}", "certified"),
        "zeta_star_sq": zeta_how,
        "zeta_sup_sq": sup_how,
        "sigma_sq": sigma_how,
    }
    return Problem(name=name, n=n, d=d, kind="quadratic", arrays=arrays, L=L, mu=mu,
                   L_i=L_i, x_star=x, f_star=f_star, zeta_star_sq=zeta_star,
                   zeta_sup_sq=zeta_sup, noise=noise, sigma_sq=sigma_sq, provenance=provenance,
                   sigma_sq_at=sigma_at, sigma_sq_sup=sigma_sup, info=dict(info or {}))


def _quadratic_noise(noise: Noise, arrays: dict, x_star: np.ndarray, n: int):
    """(sigma_sq, sigma_sq_sup, where, provenance) of the noise model."""
    if noise.kind == "none":
        return 0.0, 0.0, "all x", ("exact gradients", "exact")
    if noise.kind == "additive":
        s2 = float(noise.sigma) ** 2
        return s2, s2, "all x", ("additive (sigma/sqrt(d)) N(0, I_d): E||xi||^2 = sigma^2",
                                 "exact (by definition)")
    F, T, lam = arrays["features"], arrays["targets"], float(arrays["lam"])
    per_node = []
    constant = True
    for i in range(n):
        residual = F[i] @ x_star - T[i]
        G = residual[:, None] * F[i] + lam * x_star
        centred = G - G.mean(axis=0)
        per_node.append(math.fsum((centred * centred).ravel().tolist()) / F.shape[1])
        outer = F[i][:, :, None] * F[i][:, None, :]
        constant &= bool(np.all(outer == outer[0]))
    s2 = float(np.mean(per_node)) / noise.batch
    sup = s2 if constant else math.inf
    how = ("(1/b)(1/m) sum_j ||grad f_ij(x*) - grad f_i(x*)||^2, mean over nodes, at x* "
           "(sampling with replacement); sup over x is infinite unless every node's rows have "
           "equal outer products", "exact computation")
    return s2, sup, "x*", how


def quadratic(n: int, d: int, mu: float, L: float, *, zeta_sq: float = 0.0, sigma: float = 0.0,
              seed: int = 0, spectrum: str = "loguniform") -> Problem:
    r"""Strongly convex quadratic split over ``n`` nodes with prescribed constants.

    .. math:: f_i(x) = \tfrac12 x^\top A x - b_i^\top x, \qquad A = Q\,\mathrm{diag}(\lambda)Q^\top,
              \qquad b_i = A x^\star + v_i,\quad \sum_i v_i = 0,\quad
              \tfrac1n\sum_i\|v_i\|^2 = \zeta^2,

    eigenvalues :math:`\lambda \in [\mu, L]` including both ends, a random orthogonal Q, and
    :math:`x^\star` a random unit vector; the heterogeneity
    :math:`\frac1n\sum_i\|\nabla f_i(x)-\nabla f(x)\|^2 = \zeta^2` at every x (equal
    Hessians).

    Parameters
    ----------
    n : int
        Number of nodes (>= 1).
    d : int
        Dimension (>= 1; ``d = 1`` needs ``mu == L``).
    mu : float
        Strong convexity, ``0 < mu <= L``.
    L : float
        Smoothness.
    zeta_sq : float, optional
        Heterogeneity :math:`\zeta^2 >= 0` (0 when ``n = 1``).
    sigma : float, optional
        Additive gradient noise, :math:`\mathbb{E}\|\xi\|^2 = \sigma^2`.
    seed : int, optional
        Seed of Q, :math:`x^\star` and the :math:`v_i`.
    spectrum : {"loguniform", "linspace"}, optional
        Inner eigenvalues log-uniform or evenly spaced.

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    Test problem of the toolkit (docs/problems.md); the constants' roles follow Tang et al.
    2018 (:math:`\zeta^2`, :math:`\sigma^2`) and Stich 2019 (:math:`L`, :math:`\mu`).

    Example
    -------
    >>> p = quadratic(4, 5, 0.1, 10.0, zeta_sq=2.0, sigma=0.5, seed=1)
    >>> abs(p.zeta_star_sq - 2.0) <= 1e-12 * 2.0, p.L, p.sigma_sq
    (True, 10.0..., 0.25)
    """
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    mu = check_real(mu, "mu", low=0.0, low_open=True)
    L = check_real(L, "L", low=0.0, low_open=True)
    if mu > L:
        raise TheorytoolsError(f"mu must be <= L, got mu={mu!r} > L={L!r}")
    zeta_sq = check_real(zeta_sq, "zeta_sq", low=0.0)
    seed = check_seed(seed)
    if n == 1 and zeta_sq > 0.0:
        raise TheorytoolsError(f"a single node has no heterogeneity; zeta_sq must be 0 for n = 1, "
                               f"got {zeta_sq!r}")
    noise = check_noise(None, sigma, None)
    rng = np.random.Generator(np.random.PCG64(seed))
    eig = _spectrum(d, mu, L, spectrum, rng)
    A = _symmetric_from_spectrum(eig, _random_orthogonal(d, rng))
    x0 = rng.standard_normal(d)
    x0 /= np.linalg.norm(x0)
    centre = A @ x0
    A_all = np.ascontiguousarray(np.broadcast_to(A, (n, d, d)))
    c = np.zeros(n)
    for attempt in range(8):
        if zeta_sq == 0.0:
            b = np.tile(centre, (n, 1))
            break
        V = rng.standard_normal((n, d))
        V -= V.mean(axis=0)
        V *= math.sqrt(zeta_sq / (np.sum(V * V) / n))
        b = centre + V
        realised = _deviation_sq(b, exact_mean(b))
        if abs(realised - zeta_sq) <= 1e-13 * zeta_sq:
            break
    else:
        raise TheorytoolsError(
            f"zeta_sq = {zeta_sq!r} is too small to be stored exactly next to ||A x*|| = "
            f"{np.linalg.norm(centre):.3e} (relative error {abs(realised / zeta_sq - 1):.1e})")
    problem = certify_quadratic(f"quadratic[n={n},d={d},mu={mu:g},L={L:g},zeta_sq={zeta_sq:g}]",
                                A_all, b, c, noise, info={"spectrum": eig, "seed": seed})
    return problem


def quadratic_heterogeneous(n: int, d: int, mu: float, L: float, *, sigma: float = 0.0,
                            seed: int = 0, spectrum: str = "loguniform") -> Problem:
    r"""Quadratic with a different Hessian on each node (``zeta_sup_sq = inf``).

    .. math:: f_i(x) = \tfrac12 x^\top A_i x - b_i^\top x,\qquad
              A_i = Q_i\,\mathrm{diag}(\lambda_i)\,Q_i^\top,\quad \lambda_i \in [\mu, L],

    :math:`b_i` standard normal; :math:`f`'s ``L`` and ``mu`` (of the mean Hessian, inside
    :math:`[\mu, L]`) are computed exactly.

    Parameters
    ----------
    n : int
        Number of nodes.
    d : int
        Dimension.
    mu : float
        Smallest eigenvalue of every :math:`A_i`.
    L : float
        Largest eigenvalue of every :math:`A_i`.
    sigma : float, optional
        Additive gradient noise.
    seed : int, optional
        Seed of the :math:`Q_i` and :math:`b_i`.
    spectrum : {"loguniform", "linspace"}, optional
        Inner eigenvalues.

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    docs/problems.md (a test problem of the toolkit).
    """
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    mu = check_real(mu, "mu", low=0.0, low_open=True)
    L = check_real(L, "L", low=0.0, low_open=True)
    if mu > L:
        raise TheorytoolsError(f"mu must be <= L, got mu={mu!r} > L={L!r}")
    seed = check_seed(seed)
    noise = check_noise(None, sigma, None)
    rng = np.random.Generator(np.random.PCG64(seed))
    A = np.stack([_symmetric_from_spectrum(_spectrum(d, mu, L, spectrum, rng),
                                           _random_orthogonal(d, rng)) for _ in range(n)])
    b = rng.standard_normal((n, d))
    return certify_quadratic(f"quadratic_heterogeneous[n={n},d={d},mu={mu:g},L={L:g}]",
                             A, b, np.zeros(n), noise, info={"seed": seed})


def ridge(X: np.ndarray, y: np.ndarray, n: int, lam: float, *, batch: int | None = None,
          sigma: float = 0.0, split: str = "contiguous", seed: int = 0,
          name: str = "ridge") -> Problem:
    r"""Ridge regression over ``n`` nodes.

    .. math:: f_i(x) = \frac{1}{2m}\|X_i x - y_i\|^2 + \frac\lambda2\|x\|^2,\qquad
              A_i = X_i^\top X_i/m + \lambda I,\quad b_i = X_i^\top y_i/m,

    stored as a quadratic; the per-sample data feed the sampling model
    :math:`f_{ij}(x) = \frac12(x_{ij}\cdot x - y_{ij})^2 + \frac\lambda2\|x\|^2`.

    Parameters
    ----------
    X : numpy.ndarray
        Features (N, d).
    y : numpy.ndarray
        Targets (N,).
    n : int
        Number of nodes (``m = N // n`` rows each; remainder in ``info["dropped"]``).
    lam : float
        Regularisation :math:`\lambda \ge 0`.
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
    docs/problems.md.
    """
    X = check_array(X, "X", 2)
    y = check_array(y, "y", 1)
    lam = check_real(lam, "lam", low=0.0)
    F, T, dropped = split_rows(X, y, n, split, seed)
    n, m, d = F.shape
    noise = check_noise(batch, sigma, m)
    A = np.einsum("imk,iml->ikl", F, F) / m + lam * np.eye(d)
    A = 0.5 * (A + np.transpose(A, (0, 2, 1)))
    b = np.einsum("imk,im->ik", F, T) / m
    c = np.einsum("im,im->i", T, T) / (2 * m)
    return certify_quadratic(f"{name}[n={n},lam={lam:g}]", np.ascontiguousarray(A), b, c, noise,
                             extra_arrays={"features": F, "targets": T, "lam": lam},
                             info={"m": m, "dropped": dropped, "split": split})
