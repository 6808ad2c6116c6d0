r"""Exact first and second moments of DCD-PSGD / D-PSGD iterates on separable quadratics.

Setting (derived exact moments (docs/sources.md#derived) [DERIVED, checked numerically there]):
:math:`f_i(x) = \frac12 (x - c_i)^\top A (x - c_i)` with a shared diagonal
:math:`A = \mathrm{diag}(a_1,\dots,a_d)`, additive gradient noise :math:`N(0, sI)` with
:math:`s = \sigma^2/d`, and DCD-PSGD with the scaled Bernoulli(p) sparsifier (independent masks
per node, coordinate and step) — a compressor whose second moment is linear in
:math:`zz^\top`: :math:`\mathbb{E}[(C(z)-z)(C(z)-z)^\top] = \beta\,\mathrm{Diag}(z_i^2)`,
:math:`\beta = 1/p - 1`. Coordinates decouple; per coordinate (scalar a, centres
:math:`c \in \mathbb{R}^n` across nodes), with :math:`B = W - \gamma a I`,
:math:`N = W - I - \gamma a I`, :math:`h = \gamma a c`:

.. math::
   m_{t+1} = B m_t + h,\qquad
   P_{t+1} = B P_t B^\top + B m_t h^\top + h m_t^\top B^\top + h h^\top + \gamma^2 s I
   + \beta\,\mathrm{Diag}\,\mathrm{diag}(N P_t N^\top + N m_t h^\top + h m_t^\top N^\top
   + h h^\top + \gamma^2 s I).

Outputs: :math:`\mathbb{E}(\bar x_t - x^\star)^2 = \mathbf 1^\top P_t\mathbf 1/n^2 - 2\bar c\,
\mathbf 1^\top m_t/n + \bar c^2` and the consensus error
:math:`\frac1n\mathrm{tr}((I - J)P_t)`, summed over coordinates. :math:`\beta = 0` gives
D-PSGD in the Lian form. Derivation: :math:`u_{t+1} = u_t + C(Z_t)` with
:math:`Z_t = N u_t + h - \gamma\xi_t`, so :math:`u_{t+1} = B u_t + h - \gamma\xi_t + q_t`
with :math:`\mathbb{E}[q_t q_t^\top \mid Z_t] = \beta\,\mathrm{Diag}(Z_t^2)` (derived here; the
tests check it against exact enumeration of the masks and against the simulator).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from theorytools.errors import TheorytoolsError, check_int, check_real

__all__ = ["MomentPrediction", "dcd_bernoulli_enumeration", "dcd_bernoulli_moments"]


@dataclass(frozen=True)
class MomentPrediction:
    """Exact E||x_bar_t - x*||^2 and E consensus error for t = 0..T."""

    dist_sq: np.ndarray
    consensus: np.ndarray


def _check(W, a, centres, gamma, p):
    W = np.asarray(W, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    n = W.shape[0]
    if W.shape != (n, n):
        raise TheorytoolsError(f"W must be square, got shape {W.shape}")
    if centres.shape != (n, a.size):
        raise TheorytoolsError(f"centres must have shape (n, d) = ({n}, {a.size}), got "
                               f"{centres.shape}")
    check_real(gamma, "gamma", low=0.0, low_open=True)
    check_real(p, "p", low=0.0, high=1.0, low_open=True)
    return W, a, centres


def dcd_bernoulli_moments(W: np.ndarray, a: np.ndarray, centres: np.ndarray, gamma: float,
                          p: float, T: int, *, sigma: float = 0.0, x0: np.ndarray | None = None,
                          weights: np.ndarray | None = None) -> MomentPrediction:
    r"""Exact first and second moments of DCD-PSGD with the scaled Bernoulli(p) sparsifier.

    Per coordinate (curvature a, centres c across nodes), :math:`B = W - \gamma aI`,
    :math:`N = W - I - \gamma aI`, :math:`h = \gamma a c`, :math:`\beta = 1/p - 1`:

    .. math::
       m_{t+1} = B m_t + h,\qquad
       P_{t+1} = B P_t B^\top + B m_t h^\top + h m_t^\top B^\top + h h^\top + \gamma^2 s I
       + \beta\,\mathrm{Diag}\,\mathrm{diag}(N P_t N^\top + N m_t h^\top + h m_t^\top N^\top
       + h h^\top + \gamma^2 s I),

    :math:`s = \sigma^2/d`; ``p = 1`` is D-PSGD (Lian form).

    Parameters
    ----------
    W : numpy.ndarray
        Mixing matrix (n, n).
    a : numpy.ndarray
        Diagonal of the shared Hessian A, shape (d,).
    centres : numpy.ndarray
        Rows :math:`c_i`, shape (n, d): :math:`f_i(x) = \frac12(x - c_i)^\top A(x - c_i)`.
    gamma : float
        Step size.
    p : float
        Bernoulli keep probability in (0, 1].
    T : int
        Horizon.
    sigma : float, optional
        Additive gradient noise, :math:`\mathbb{E}\|\xi\|^2 = \sigma^2`.
    x0 : numpy.ndarray or None, optional
        Common initial model (default 0).
    weights : numpy.ndarray or None, optional
        Per-coordinate weights of ``dist_sq`` (``a**2`` gives
        :math:`\mathbb{E}\|\nabla f(\bar x_t)\|^2`); default 1.

    Returns
    -------
    MomentPrediction
        ``dist_sq[t]`` = weighted :math:`\mathbb{E}\|\bar x_t - x^\star\|^2` and
        ``consensus[t]`` = :math:`\mathbb{E}\frac1n\sum_i\|x_i - \bar x\|^2`, t = 0..T.

    References
    ----------
    Tang et al., NeurIPS 2018, Algorithm 1 (DCD-PSGD); the recursion is derived here (module
    docstring; tested against enumeration and the simulator, tests/test_exact_moments.py).
    """
    W, a, centres = _check(W, a, centres, gamma, p)
    T = check_int(T, "T", low=0)
    n, d = centres.shape
    beta = 1.0 / p - 1.0
    s = sigma ** 2 / d
    x0 = np.zeros(d) if x0 is None else np.asarray(x0, dtype=np.float64)
    weights = np.ones(d) if weights is None else np.asarray(weights, dtype=np.float64)
    eye = np.eye(n)
    centre = np.eye(n) - np.full((n, n), 1.0 / n)
    dist = np.zeros(T + 1)
    cons = np.zeros(T + 1)
    for k in range(d):
        B = W - gamma * a[k] * eye
        Nm = W - eye - gamma * a[k] * eye
        h = gamma * a[k] * centres[:, k]
        m = np.full(n, x0[k])
        P = np.outer(m, m)
        cbar = centres[:, k].mean()
        for t in range(T + 1):
            dist[t] += weights[k] * (P.sum() / n ** 2 - 2 * cbar * m.sum() / n + cbar ** 2)
            cons[t] += np.trace(centre @ P) / n
            if t == T:
                break
            noise = gamma ** 2 * s * eye
            inner = Nm @ P @ Nm.T + np.outer(Nm @ m, h) + np.outer(h, Nm @ m) + np.outer(h, h) \
                + noise
            P = (B @ P @ B.T + np.outer(B @ m, h) + np.outer(h, B @ m) + np.outer(h, h) + noise
                 + beta * np.diag(np.diag(inner)))
            m = B @ m + h
    return MomentPrediction(dist, cons)


def dcd_bernoulli_enumeration(W: np.ndarray, a: np.ndarray, centres: np.ndarray, gamma: float,
                              p: float, T: int, *, x0: np.ndarray | None = None) -> tuple:
    r"""Exact moments of DCD-PSGD with Bernoulli(p) masks by enumerating every mask path.

    No gradient noise; :math:`2^{ndT}` paths (``n d T <= 16``), each with probability
    :math:`\prod p^{\#\text{kept}}(1-p)^{\#\text{dropped}}`, run through the DCD update
    :math:`X_{t+1} = X_t + C(W X_t - \gamma\nabla F(X_t) - X_t)`.

    Parameters
    ----------
    W : numpy.ndarray
        Mixing matrix (n, n).
    a : numpy.ndarray
        Diagonal of the shared Hessian, (d,).
    centres : numpy.ndarray
        Rows :math:`c_i`, (n, d).
    gamma : float
        Step size.
    p : float
        Bernoulli keep probability.
    T : int
        Horizon.
    x0 : numpy.ndarray or None, optional
        Common initial model (default 0).

    Returns
    -------
    tuple
        ``(MomentPrediction, ranges)``: the exact expectations and the (min, max) of
        ``dist_sq`` and ``consensus`` over all paths at each t (for rigorous Hoeffding
        tolerances of the simulator's mean).

    References
    ----------
    Tang et al., NeurIPS 2018, Algorithm 1; tests/test_exact_moments.py.
    """
    W, a, centres = _check(W, a, centres, gamma, p)
    n, d = centres.shape
    if n * d * T > 16:
        raise TheorytoolsError(f"enumeration of 2^(n d T) = 2^{n * d * T} paths is too large")
    x0 = np.zeros(d) if x0 is None else np.asarray(x0, dtype=np.float64)
    xstar = centres.mean(axis=0)
    hess = np.diag(a)
    dist = np.zeros(T + 1)
    cons = np.zeros(T + 1)
    lo = np.full((2, T + 1), np.inf)
    hi = np.full((2, T + 1), -np.inf)
    for masks in itertools.product((0, 1), repeat=n * d * T):
        mk = np.array(masks, dtype=float).reshape(T, n, d)
        prob = p ** mk.sum() * (1 - p) ** (mk.size - mk.sum())
        X = np.tile(x0, (n, 1))
        for t in range(T + 1):
            xbar = X.mean(axis=0)
            ds = float(np.sum((xbar - xstar) ** 2))
            cs = float(np.sum((X - xbar) ** 2)) / n
            dist[t] += prob * ds
            cons[t] += prob * cs
            lo[:, t] = np.minimum(lo[:, t], (ds, cs))
            hi[:, t] = np.maximum(hi[:, t], (ds, cs))
            if t == T:
                break
            G = (X - centres) @ hess
            Z = W @ X - gamma * G - X
            X = X + mk[t] * Z / p
    return MomentPrediction(dist, cons), (lo, hi)
