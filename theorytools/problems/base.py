"""The :class:`Problem` record shared by every test problem, its noise model, and its checks.

A problem is ``f(x) = (1/n) sum_i f_i(x)`` split over ``n`` nodes, of one of three kinds:

* ``"quadratic"`` (also ridge regression): ``f_i(x) = 1/2 x^T A_i x - b_i^T x + c_i``;
* ``"logistic"``: ``f_i(x) = (1/m) sum_j log(1 + exp(-y_ij <a_ij, x>)) + lam/2 ||x||^2``.
* ``"logistic_nonconvex"``: the logistic loss plus ``reg sum_k x_k^2/(1 + x_k^2)`` (non-convex;
  ``arrays["lam"] = 0`` and ``arrays["reg"]`` the weight; :mod:`theorytools.problems.nonconvex`).

Every constant is computed once, at construction, by the factories in
:mod:`theorytools.problems.quadratic` and :mod:`theorytools.problems.logistic`; ``provenance``
records for each constant how it was certified and its status (``exact``, ``certified``,
``upper bound``). :func:`check_constants` recomputes them independently, so a wrong constant
(or a wrong generator) is reported as a failure.

Exact arithmetic helpers: :func:`exact_dot` returns the correctly rounded value of a dot product
of float vectors (Dekker's error-free product, then ``math.fsum``), which is what the residual
and ``f*`` certificates need.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theorytools.errors import TheorytoolsError, check_int, check_seed, check_vector
from theorytools.problems import _kernels

__all__ = ["NOISE_KINDS", "Noise", "Problem", "check_constants", "exact_dot", "exact_matvec",
           "exact_mean"]

NOISE_KINDS = ("none", "additive", "sampling")
_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp splitting of a double


@dataclass(frozen=True)
class Noise:
    """Stochastic gradient model: ``kind`` in ``none``, ``additive`` (std of the norm
    ``sigma``: ``E||xi||^2 = sigma^2``), ``sampling`` (mini-batch of ``batch`` local samples
    drawn uniformly with replacement)."""
    kind: str = "none"
    sigma: float = 0.0
    batch: int = 0


def _two_prod(a: np.ndarray, b: np.ndarray):
    """Error-free product: ``a*b = p + e`` exactly (Dekker), element-wise."""
    p = a * b
    ca = _SPLITTER * a
    ah = ca - (ca - a)
    al = a - ah
    cb = _SPLITTER * b
    bh = cb - (cb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def exact_dot(a: np.ndarray, b: np.ndarray) -> float:
    r"""The correctly rounded value of :math:`\sum_k a_k b_k` (no over/underflow assumed).

    Each product is split exactly, :math:`a_k b_k = p_k + e_k` (TwoProduct with FMA-free
    Dekker splitting), and all :math:`p_k, e_k` are summed by ``math.fsum`` (Shewchuk).

    Parameters
    ----------
    a : numpy.ndarray
        Any shape (flattened).
    b : numpy.ndarray
        Same number of entries.

    Returns
    -------
    float
        :math:`\mathrm{fl}(\sum_k a_k b_k)`, correctly rounded.

    References
    ----------
    T. J. Dekker, "A floating-point technique for extending the available precision", Numer.
    Math. 1971 (TwoProduct); J. R. Shewchuk 1997 (exact summation, ``math.fsum``).
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    p, e = _two_prod(a, b)
    return math.fsum(np.concatenate([p, e]).tolist())


def exact_matvec(A, x) -> np.ndarray:
    """``A @ x`` with every entry correctly rounded."""
    return np.array([exact_dot(row, x) for row in np.asarray(A)])


def exact_mean(arr, axis: int = 0) -> np.ndarray:
    """Mean along ``axis`` from correctly rounded sums, with one residual correction."""
    arr = np.moveaxis(np.asarray(arr, dtype=np.float64), axis, 0)
    flat = arr.reshape(arr.shape[0], -1)
    count = arr.shape[0]
    means = np.array([math.fsum(flat[:, k].tolist()) for k in range(flat.shape[1])]) / count
    # one correction step: equal entries give back their value exactly (x - mean is exact
    # by Sterbenz's lemma for entries close to the mean)
    corrections = np.array([math.fsum((flat[:, k] - means[k]).tolist())
                            for k in range(flat.shape[1])]) / count
    return (means + corrections).reshape(arr.shape[1:])


@dataclass(frozen=True)
class Problem:
    """A finite-sum problem over ``n`` nodes with certified constants.

    Attributes
    ----------
    L, mu : smoothness and strong-convexity constants of ``f`` (global, over all ``x``).
    L_i : (n,) smoothness constant of each ``f_i``.
    x_star, f_star : minimiser and minimum of ``f``.
    zeta_star_sq : ``(1/n) sum_i ||grad f_i(x*)||^2``.
    zeta_sup_sq : ``sup_x (1/n) sum_i ||grad f_i(x) - grad f(x)||^2`` (``math.inf`` when
        unbounded; for logistic a finite upper bound, see ``provenance``).
    noise : the stochastic gradient model.
    sigma_sq : ``(1/n) sum_i E||g_i(x) - grad f_i(x)||^2``. Additive noise: ``sigma^2`` at every
        ``x``. Sampling: the value at ``x*`` (``sigma_sq_at == "x*"``); it depends on ``x``, see
        :meth:`sampling_variance`, and its supremum is ``sigma_sq_sup``.
    sigma_sq_sup : supremum over ``x`` of the same variance (``math.inf`` when unbounded; an
        upper bound for logistic sampling, see ``provenance``).
    provenance : constant name -> (how certified, status).
    """
    name: str
    n: int
    d: int
    kind: str
    arrays: dict
    L: float
    mu: float
    L_i: np.ndarray
    x_star: np.ndarray
    f_star: float
    zeta_star_sq: float
    zeta_sup_sq: float
    noise: Noise
    sigma_sq: float
    provenance: dict
    sigma_sq_at: str = "all x"
    sigma_sq_sup: float = 0.0
    info: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ evaluation
    def _x(self, x, name: str = "x") -> np.ndarray:
        x = check_vector(x, name)
        if x.shape[0] != self.d:
            raise TheorytoolsError(f"{name} must have length d = {self.d}, got {x.shape[0]}")
        return x

    def _node(self, i) -> int:
        return check_int(i, "i", low=0, high=self.n - 1)

    def _stack(self, X, name: str = "X") -> np.ndarray:
        try:
            X = np.ascontiguousarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TheorytoolsError(f"{name} must be a real (n, d) array") from exc
        if X.shape != (self.n, self.d):
            raise TheorytoolsError(
                f"{name} must have shape (n, d) = ({self.n}, {self.d}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise TheorytoolsError(f"{name} must be finite, got a NaN or infinite entry")
        return X

    def f_i(self, i, x) -> float:
        """Local objective ``f_i(x)``."""
        i, x = self._node(i), self._x(x)
        if self.kind == "quadratic":
            A, b, c = self.arrays["A"][i], self.arrays["b"][i], self.arrays["c"][i]
            return float(0.5 * x @ A @ x - b @ x + c)
        F, Y, lam = self.arrays["features"][i], self.arrays["labels"][i], self.arrays["lam"]
        reg = float(self.arrays.get("reg", 0.0))   # logistic_nonconvex: reg sum x^2/(1+x^2)
        extra = reg * float(np.sum(x * x / (1.0 + x * x))) if reg else 0.0
        return float(np.mean(np.logaddexp(0.0, -Y * (F @ x))) + 0.5 * lam * (x @ x) + extra)

    def f(self, x) -> float:
        """Global objective ``f(x) = (1/n) sum_i f_i(x)``."""
        x = self._x(x)
        return float(np.mean([self.f_i(i, x) for i in range(self.n)]))

    def grads(self, X, out=None) -> np.ndarray:
        """Row ``i`` = ``grad f_i(X[i])`` (one Numba kernel over all nodes)."""
        X = self._stack(X)
        out = np.empty((self.n, self.d)) if out is None else out
        if self.kind == "quadratic":
            return _kernels.quadratic_grads(self.arrays["A"], self.arrays["b"], X, out)
        return self._add_nonconvex(X, _kernels.logistic_grads(
            self.arrays["features"], self.arrays["labels"], float(self.arrays["lam"]), X, out))

    def _add_nonconvex(self, X, out):
        """``logistic_nonconvex``: add the regulariser's gradient to every row (else ``out``)."""
        reg = float(self.arrays.get("reg", 0.0))
        return _kernels.nonconvex_reg_grads_add(reg, X, out) if reg else out

    def grad_i(self, i, x) -> np.ndarray:
        """``grad f_i(x)``."""
        i, x = self._node(i), self._x(x)
        X = np.zeros((self.n, self.d))
        X[i] = x
        return self.grads(X)[i].copy()

    def grad(self, x) -> np.ndarray:
        """``grad f(x)``."""
        x = self._x(x)
        return self.grads(np.tile(x, (self.n, 1))).mean(axis=0)

    def stochastic_grads(self, X, seed, step, out=None) -> np.ndarray:
        """One stochastic gradient per node; node ``i`` draws only from
        ``node_step_key(seed, i, step)`` (see :mod:`theorytools.problems._kernels`)."""
        X = self._stack(X)
        seed = np.uint64(check_seed(seed))
        step = np.uint64(check_int(step, "step", low=0, high=2**64 - 1))
        out = np.empty((self.n, self.d)) if out is None else out
        kind, arr = self.noise.kind, self.arrays
        if kind == "none":
            return self.grads(X, out)
        if kind == "additive":
            sigma = float(self.noise.sigma)
            if self.kind == "quadratic":
                return _kernels.quadratic_stoch_grads(arr["A"], arr["b"], sigma, X, seed,
                                                      step, out)
            return self._add_nonconvex(X, _kernels.logistic_additive_grads(
                arr["features"], arr["labels"], float(arr["lam"]), sigma, X, seed, step, out))
        batch = int(self.noise.batch)
        if self.kind == "quadratic":
            return _kernels.sampled_quadratic_grads(arr["features"], arr["targets"],
                                                    float(arr["lam"]), X, seed, step, batch, out)
        return self._add_nonconvex(X, _kernels.logistic_stoch_grads(
            arr["features"], arr["labels"], float(arr["lam"]), X, seed, step, batch, out))

    def stochastic_grad_i(self, i, x, seed, step) -> np.ndarray:
        """Node ``i``'s stochastic gradient computed alone (a process owning one node): equal,
        bit for bit, to row ``i`` of :meth:`stochastic_grads` with the same ``(seed, step)``."""
        i, x = self._node(i), self._x(x)
        seed = np.uint64(check_seed(seed))
        step = np.uint64(check_int(step, "step", low=0, high=2**64 - 1))
        arr, noise = self.arrays, self.noise
        kind = 0 if self.kind == "quadratic" else 1
        code = {"none": 0, "additive": 1, "sampling": 2}[noise.kind]
        empty2, empty3 = np.zeros((1, 1)), np.zeros((1, 1, 1))
        A = arr["A"][i] if kind == 0 else empty3[0]
        b = arr["b"][i] if kind == 0 else empty2[0]
        if "features" in arr:
            F = arr["features"][i]
            Y = arr["targets"][i] if kind == 0 else arr["labels"][i]
        else:
            F, Y = empty2, empty2[0]
        lam = float(arr.get("lam", 0.0))
        row = _kernels.node_stoch_grad(kind, code, A, b, F, Y, lam, float(noise.sigma),
                                       int(noise.batch), x, seed, np.uint64(i), step,
                                       np.empty(self.d))
        return self._add_nonconvex(x[None], row[None])[0]

    # ------------------------------------------------------------------ per-sample structure
    def sample_grads(self, i, x) -> np.ndarray:
        """(m, d): ``grad f_ij(x)`` for every local sample ``j`` of node ``i`` (sampling models)."""
        i, x = self._node(i), self._x(x)
        if "features" not in self.arrays:
            raise TheorytoolsError(f"problem {self.name!r} has no per-sample structure")
        F, lam = self.arrays["features"][i], float(self.arrays["lam"])
        if self.kind == "quadratic":
            residual = F @ x - self.arrays["targets"][i]
            return residual[:, None] * F + lam * x
        Y = self.arrays["labels"][i]
        weight = -Y * _sigmoid(-Y * (F @ x))
        G = weight[:, None] * F + lam * x
        reg = float(self.arrays.get("reg", 0.0))
        return G + reg * 2.0 * x / (1.0 + x * x) ** 2 if reg else G

    def sampling_variance(self, x, per_node: bool = False):
        """Exact ``E||g_i(x) - grad f_i(x)||^2`` with every node at ``x``; mean over nodes
        (or the (n,) array if ``per_node``). Sampling with replacement, batch ``b``:
        ``(1/b) (1/m) sum_j ||grad f_ij(x) - grad f_i(x)||^2``."""
        x = self._x(x)
        if self.noise.kind == "none":
            values = np.zeros(self.n)
        elif self.noise.kind == "additive":
            values = np.full(self.n, float(self.noise.sigma) ** 2)
        else:
            values = np.empty(self.n)
            for i in range(self.n):
                G = self.sample_grads(i, x)
                centred = G - G.mean(axis=0)
                values[i] = np.mean(np.sum(centred * centred, axis=1)) / self.noise.batch
        return values if per_node else float(np.mean(values))


    # ------------------------------------------------------------------ P1's noise model
    def ef_noise_constants(self, B: float | None = None) -> dict:
        r"""Certified constants of P1's noise model for EF-SGD (authors' poster of P1):

        .. math:: \mathbb{E}\|g_i(x) - \nabla f_i(x)\|^2 \le B\|\nabla f_i(x)\|^2 + C
                  \quad\text{for every node } i \text{ and every } x.

        How (derived here, ``docs/theorems.md`` "EF-SGD"):

        * no noise: B = C = 0; additive noise: B = 0, C = sigma^2 (equality at every x);
        * quadratic sampling with replacement (batch b): with :math:`G_j = a_ja_j^T + \lambda I`,
          :math:`h_j = t_j a_j`, :math:`g_{ij}(x) = G_jx - h_j`, the variance is the exact
          quadratic :math:`V_i(x) = \frac{1}{bm}\sum_j\|(G_j - \bar G)x - (h_j - \bar h)\|^2`.
          In :math:`w = \nabla f_i(x) = \bar Gx - \bar h` it reads
          :math:`w^TS_iw + 2s_i^Tw + V_i^0`, so the smallest C for a given
          :math:`B > \lambda_{\max}(S_i)` is :math:`C_i(B) = V_i^0 + s_i^T(BI - S_i)^{-1}s_i`,
          attained at :math:`w^\star = (BI - S_i)^{-1}s_i` (exact up to the eigensolver's
          rounding). Default :math:`B = 2\max_i\lambda_{\max}(S_i)`; C = max_i C_i(B);
        * logistic sampling: B = 0 and C = ``sigma_sq_sup`` (an upper bound, not attained).

        Parameters
        ----------
        B : float, optional
            The multiplicative constant; must exceed ``B_min`` = max_i lambda_max(S_i) for
            quadratic sampling (C is infinite at or below it). Default as above.

        Returns
        -------
        dict
            ``B``, ``C``, ``B_min``, ``C_per_node`` (n,), ``attaining`` ((n, d) points where
            node i's bound is an equality, or None), ``status`` (``exact`` / ``upper bound``),
            ``how``.
        """
        kind = self.noise.kind
        zeros = np.zeros(self.n)
        if kind == "none":
            return dict(B=0.0 if B is None else float(B), C=0.0, B_min=0.0, C_per_node=zeros,
                        attaining=None, status="exact", how="no noise")
        if kind == "additive":
            s2 = float(self.noise.sigma) ** 2
            return dict(B=0.0 if B is None else float(B), C=s2, B_min=0.0,
                        C_per_node=np.full(self.n, s2), attaining=None, status="exact",
                        how="additive noise: E||xi||^2 = sigma^2 at every x (equality)")
        if self.kind != "quadratic":
            return dict(B=0.0 if B is None else float(B), C=float(self.sigma_sq_sup), B_min=0.0,
                        C_per_node=np.full(self.n, float(self.sigma_sq_sup)), attaining=None,
                        status="upper bound",
                        how="logistic sampling: C = sigma_sq_sup (upper bound, not attained)")
        F, T = np.asarray(self.arrays["features"]), np.asarray(self.arrays["targets"])
        lam, batch = float(self.arrays["lam"]), int(self.noise.batch)
        parts = []
        for i in range(self.n):
            A, t = F[i], T[i]
            m = A.shape[0]
            G = np.einsum("jk,jl->jkl", A, A) + lam * np.eye(self.d)
            h = t[:, None] * A
            Gbar, hbar = G.mean(axis=0), h.mean(axis=0)
            if np.linalg.matrix_rank(Gbar) < self.d:
                raise TheorytoolsError(f"problem {self.name!r}: node {i}'s Hessian is singular; "
                                       "P1's B is infinite")
            Ginv = np.linalg.inv(Gbar)
            xi_star = Ginv @ hbar
            K = np.einsum("jkl,lm->jkm", G - Gbar, Ginv)            # (G_j - Gbar) Gbar^-1
            e = np.einsum("jkl,l->jk", G - Gbar, xi_star) - (h - hbar)
            S = np.einsum("jkl,jkm->lm", K, K) / (batch * m)
            S = 0.5 * (S + S.T)
            svec = np.einsum("jkl,jk->l", K, e) / (batch * m)
            V0 = float(np.sum(e * e)) / (batch * m)
            parts.append((S, svec, V0, Ginv, xi_star))
        b_min = max(float(np.linalg.eigvalsh(S)[-1]) for S, *_ in parts)
        if B is None:
            B = 2.0 * b_min
        B = float(B)
        if not B > b_min:
            raise TheorytoolsError(f"B must exceed B_min = {b_min!r} (the largest eigenvalue of "
                                   f"the noise's quadratic form in grad f_i), got {B!r}")
        c_nodes, points = np.empty(self.n), np.empty((self.n, self.d))
        for i, (S, svec, V0, Ginv, xi_star) in enumerate(parts):
            w = np.linalg.solve(B * np.eye(self.d) - S, svec)
            c_nodes[i] = V0 + float(svec @ w)
            points[i] = Ginv @ w + xi_star
        return dict(B=B, C=float(c_nodes.max()), B_min=b_min, C_per_node=c_nodes,
                    attaining=points, status="exact",
                    how="quadratic sampling with replacement: V_i is an exact quadratic in "
                        "grad f_i; C_i(B) = V_i^0 + s_i^T (B I - S_i)^-1 s_i (sup, attained)")


def _sigmoid(t):
    return np.exp(-np.logaddexp(0.0, -t))


# ---------------------------------------------------------------------- independent checks
def check_constants(problem: Problem, *, rtol: float = 1e-10) -> dict:
    r"""Recompute the constants of ``problem`` independently of its factory.

    Other code paths (scipy eigensolvers and SVDs instead of numpy, the Numba gradient kernels
    instead of closed forms, per-sample loops), in float arithmetic, so a constant passes when
    :math:`|r - c| \le \mathrm{rtol}\max(|r|, |c|) + 10^{-12}\,\mathrm{scale}`.

    Parameters
    ----------
    problem : Problem
        Any problem of the factories.
    rtol : float, optional
        Relative tolerance (default 1e-10).

    Returns
    -------
    dict
        ``{name: (reported, independent, ok)}``; ``all(v[2] for v in result.values())`` is
        the verdict.

    References
    ----------
    docs/problems.md ("Certification").
    """
    import scipy.linalg

    out = {}
    p, arr = problem, problem.arrays
    if p.kind == "logistic_nonconvex":
        from theorytools.problems.nonconvex import check_nonconvex_constants
        return check_nonconvex_constants(p, rtol=rtol)

    def close(a, b, scale=0.0):
        return bool(abs(a - b) <= rtol * max(abs(a), abs(b)) + 1e-12 * scale)

    if p.kind == "quadratic":
        hessians = np.asarray(arr["A"])
        mean_hessian = hessians.mean(axis=0)
        eig = scipy.linalg.eigh(mean_hessian, eigvals_only=True, driver="evr")
        local = np.array([scipy.linalg.eigh(h, eigvals_only=True, driver="evr")[-1]
                          for h in hessians])
    else:
        F = np.asarray(arr["features"]).reshape(-1, p.d)
        lam = float(arr["lam"])
        top = scipy.linalg.svdvals(F)[0] ** 2 / (4 * F.shape[0]) + lam
        eig = np.array([lam, top])
        m = arr["features"].shape[1]
        local = np.array([scipy.linalg.svdvals(Fi)[0] ** 2 / (4 * m) + lam
                          for Fi in arr["features"]])
    scale_L = float(eig[-1])
    out["L"] = (p.L, float(eig[-1]), close(p.L, float(eig[-1])))
    out["mu"] = (p.mu, float(eig[0]), close(p.mu, float(eig[0]), scale_L))
    out["L_i"] = (float(np.max(np.abs(p.L_i - local))), 0.0,
                  bool(np.allclose(p.L_i, local, rtol=rtol, atol=1e-12 * scale_L)))

    stacked = np.tile(p.x_star, (p.n, 1))
    G = p.grads(stacked)
    gnorm = float(np.linalg.norm(G.mean(axis=0)))
    gscale = float(np.mean(np.linalg.norm(G, axis=1))) + scale_L * float(np.linalg.norm(p.x_star))
    out["x_star"] = (gnorm, 1e-12 * gscale, gnorm <= 1e-12 * max(gscale, 1e-300))
    fx = p.f(p.x_star)
    out["f_star"] = (p.f_star, fx, close(p.f_star, fx, abs(fx)))
    zeta = float(np.mean(np.sum(G * G, axis=1)))
    out["zeta_star_sq"] = (p.zeta_star_sq, zeta, close(p.zeta_star_sq, zeta, gscale ** 2))
    if math.isfinite(p.zeta_sup_sq):
        # the heterogeneity at a far point must not exceed the claimed supremum
        rng = np.random.Generator(np.random.PCG64(12345))
        far = p.x_star + 10.0 * rng.standard_normal(p.d)
        Gf = p.grads(np.tile(far, (p.n, 1)))
        het = float(np.mean(np.sum((Gf - Gf.mean(axis=0)) ** 2, axis=1)))
        out["zeta_sup_sq"] = (p.zeta_sup_sq, het,
                              het <= p.zeta_sup_sq * (1 + rtol) + 1e-12 * gscale ** 2
                              and p.zeta_star_sq <= p.zeta_sup_sq * (1 + rtol) + 1e-300)
    if p.noise.kind == "sampling":
        total = 0.0
        for i in range(p.n):  # plain loop over samples, independent of sampling_variance
            Gi = p.sample_grads(i, p.x_star)
            mean_g = Gi.mean(axis=0)
            total += sum(float((g - mean_g) @ (g - mean_g)) for g in Gi) / len(Gi)
        sigma_sq = total / p.n / p.noise.batch
        out["sigma_sq"] = (p.sigma_sq, sigma_sq, close(p.sigma_sq, sigma_sq, gscale ** 2))
    else:
        expected = float(p.noise.sigma) ** 2 if p.noise.kind == "additive" else 0.0
        out["sigma_sq"] = (p.sigma_sq, expected, p.sigma_sq == expected)
    return out
