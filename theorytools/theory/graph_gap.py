r"""What the spectral gap costs: how the decentralized rates of Tang et al. 2018 (D-PSGD /
DCD-PSGD) and of CHOCO-SGD (Koloskova et al., the follow-up) depend on the gossip graph,
checked across graph families with a spread of more than three decades in ``1 - slem``.

Every spectral quantity is a certified attribute of :class:`theorytools.topology.Topology`
under its own name (``slem``, ``slem_sq``, ``spectral_gap``, ``mu_W``, ``beta``); never a bare
rho (docs/topology.md, "Spectral quantities"). The dynamics are linear in every check here,
so every measured number is an exact expectation (stationary solutions of discrete Lyapunov
equations, closed-form sums over the eigenmodes, or spectral radii of exact second-moment
maps), not a Monte Carlo estimate. "Measured" exponents are least-squares slopes on log-log
axes of exact values; their intervals are the 95% ordinary-least-squares t-intervals of the
slope (they say how far the points are from one power law, not a sampling error).

Every check receives the ``laziness`` keyword used by the planted-fault tests: the dynamics
then run with the lazier ``(1 - laziness) W + laziness I`` while the spectra, bounds and
predictions still come from the declared topology (a mixing matrix silently lazier than
declared).

Quantities (each registered under paper ``tang2018``; the report draws each against its
spectral quantity, one curve per graph family):

* :func:`dpsgd_consensus` -- D-PSGD's stationary consensus distance at constant step, noise
  part against ``1 - slem_sq`` and heterogeneity part against ``1 - slem``
  (``tang2018.gap_consensus_distance``).
* :func:`dpsgd_transient` -- the number of iterations after which D-PSGD's
  :math:`\frac1T\sum_t\mathbb{E}\|\nabla f(\bar x_t)\|^2` is within a factor of centralized
  mini-batch SGD's (``tang2018.gap_transient``).
* :func:`dcd_threshold` -- the exact mean-square stability limit of DCD-PSGD's consensus with
  Bernoulli compression against Tang's sufficient condition (``tang2018.gap_dcd_stability``).
* :func:`choco_gossip_rate` -- the exact mean-square rate of CHOCO-SGD's consensus with a
  Bernoulli contraction, at the theorem's consensus step and at the best one
  (``tang2018.gap_choco``).
* :func:`equal_bits_consensus`, :func:`ecd_second_moments` -- ECD-PSGD, DCD-PSGD and
  CHOCO-SGD sending the same Bernoulli-sparsified vector per iteration: consensus distance
  over D-PSGD's as the gap closes (``tang2018.gap_equal_bits``).

Documentation: docs/topology.md, "What the gap costs" (figures from
``docs/_gen_gap_figures.py``).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from theorytools import check


class _one_blas_thread:
    """Limit BLAS to one thread while the checks compute (threadpoolctl when installed): the
    O(n^3) dense linear algebra here is 10-100x slower with OpenBLAS threads on a loaded
    2-core machine (measured: eigh of a 256 x 256 matrix 2.7 s threaded vs 0.02 s single)."""

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:          # pragma: no cover - optional
            self._ctx = None
            return self
        self._ctx = threadpool_limits(1, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.restore_original_limits()
        return False
from theorytools.report import Curve, Series
from theorytools.theory.registry import DERIVED, UNCONFIRMED, Parameter, Theorem, register
from theorytools.topology import Topology

__all__ = ["graph_families", "dynamics_matrix", "declared_eigen", "ols_slope", "slope_check",
           "family_series", "dpsgd_consensus", "transient_problem", "avg_grad_sq",
           "avg_grad_sq_recursion", "avg_grad_sq_centralized", "dpsgd_transient",
           "dcd_transfer_matrix", "dcd_threshold", "choco_gossip_rate", "choco_operator_rate",
           "stationary_second_moment", "equal_bits_consensus", "equal_bits_recursion",
           "ecd_second_moments", "MARKERS"]

# --------------------------------------------------------------------------- graph families
#: marker of each family in the figures
MARKERS = {"ring": "o", "torus": "s", "hypercube": "^", "random_regular": "D",
           "erdos_renyi": "v", "complete": "*", "grid2d_mh": "P", "star_mh": "X",
           "exponential": "h"}


def graph_families(max_n: int = 256) -> dict:
    """The graph families of the gap checks, ``{family: [Topology, ...]}``, every graph with at
    most ``max_n`` nodes: rings (n = 8 ... 256), 2-D tori, hypercubes, random regular
    expanders (degree 3, fixed seeds), Erdős–Rényi graphs with ``p = 2 ln(n)/n`` (twice the
    connectivity threshold; fixed seeds; Metropolis–Hastings weights), complete graphs,
    non-periodic grids and stars with Metropolis–Hastings weights (irregular graphs), and
    exponential graphs. With ``max_n = 256`` the spread of ``1 - slem`` is 2.0e-4 ... 1
    (3.7 decades).

    Parameters
    ----------
    max_n : int, optional
        Largest number of nodes kept.

    Returns
    -------
    dict
        ``{family: [Topology, ...]}``; families without a graph of at most ``max_n`` nodes
        are dropped.
    """
    from theorytools import topology as tp

    fam = {
        "ring": [tp.ring(n) for n in (8, 16, 32, 64, 128, 256)],
        "torus": [tp.torus(k, k) for k in (3, 4, 6, 8, 12, 16)],
        "hypercube": [tp.hypercube(k) for k in (3, 4, 5, 6, 7, 8)],
        "random_regular": [tp.random_regular(n, 3, seed=0) for n in (8, 16, 32, 64, 128, 256)],
        "erdos_renyi": [tp.erdos_renyi(n, min(1.0, 2 * math.log(n) / n), seed=0)
                        for n in (16, 32, 64, 128, 256)],
        "complete": [tp.complete(n) for n in (8, 64)],
        "grid2d_mh": [tp.grid2d(k, k) for k in (3, 4, 6, 8, 12, 16)],
        "star_mh": [tp.star(n) for n in (8, 16, 32, 64)],
        "exponential": [tp.exponential(n) for n in (16, 64, 256)],
    }
    return {k: [t for t in v if t.n <= max_n] for k, v in fam.items()
            if any(t.n <= max_n for t in v)}


def dynamics_matrix(top: Topology, laziness: float = 0.0) -> np.ndarray:
    """The matrix the dynamics run with: ``W`` (``laziness = 0``), or the planted fault
    ``(1 - laziness) W + laziness I`` (the declared spectra stay those of ``W``).

    Parameters
    ----------
    top : Topology
        The declared topology.
    laziness : float, optional
        Planted fault weight in [0, 1); 0 is the declared ``W``.

    Returns
    -------
    numpy.ndarray
        (n, n) matrix the dynamics use.
    """
    if not 0.0 <= laziness < 1.0:
        raise ValueError(f"laziness must be in [0, 1), got {laziness!r}")
    W = np.array(top.W)
    if laziness:
        W = (1.0 - laziness) * W + laziness * np.eye(top.n)
    return W


def declared_eigen(top: Topology) -> tuple:
    """Eigenvalues (descending, the certified ``top.eigenvalues``) and orthonormal
    eigenvectors of the declared ``W`` (``numpy.linalg.eigh``, reordered to match).

    Parameters
    ----------
    top : Topology
        The declared topology.

    Returns
    -------
    tuple
        ``(lam, V)``: (n,) eigenvalues, descending, and (n, n) orthonormal eigenvectors
        (columns).
    """
    lam, V = np.linalg.eigh(top.W)
    return top.eigenvalues, V[:, ::-1]


def ols_slope(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple:
    """Least-squares slope of ``log y`` against ``log x`` with its two-sided t-interval at
    ``level`` (ordinary least squares, ``len(x) - 2`` degrees of freedom): ``(slope, lo,
    hi)``. For exact values the interval measures the departure from one power law.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positive values (a non-positive value gives a nan fit).
    level : float, optional
        Confidence level of the interval.

    Returns
    -------
    tuple
        ``(slope, lo, hi)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):   # a value <= 0 gives a nan fit
        lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
        k = lx.size
        xc = lx - lx.mean()
        b = float(xc @ (ly - ly.mean()) / (xc @ xc))
        if k < 3 or not np.isfinite(b):
            return b, b, b
        resid = ly - ly.mean() - b * xc
    se = math.sqrt(float(resid @ resid) / (k - 2) / float(xc @ xc))
    half = float(stats.t.ppf(0.5 + level / 2.0, k - 2)) * se
    return b, b - half, b + half


def slope_check(x: np.ndarray, y: np.ndarray, predicted: float, *, tol: float = 0.1,
                alternative: str = "agree", details: str = "") -> check.Check:
    """:func:`theorytools.check.slope`'s verdict for an OLS exponent of exact values: the
    t-interval of :func:`ols_slope` must meet ``predicted +- tol`` (``agree``), or its upper
    (lower) end must be ``<= predicted`` (``>= predicted``) for ``at_most`` (``at_least``).

    Parameters
    ----------
    x, y : numpy.ndarray
        Spectral quantity and exact measured values (positive).
    predicted : float
        Predicted exponent.
    tol : float, optional
        Tolerance of ``agree``.
    alternative : {"agree", "at_most", "at_least"}, optional
        Kind of verdict.
    details : str, optional
        Text of the check row.

    Returns
    -------
    theorytools.check.Check
        A ``slope`` check with the OLS interval as ``interval``.
    """
    b, lo, hi = ols_slope(x, y)
    if not np.isfinite(b):
        return check.Check("slope", math.nan, predicted, False, f"{details}; non-finite fit")
    if alternative == "agree":
        ok = hi >= predicted - tol and lo <= predicted + tol
        accept = (predicted - tol, predicted + tol)
        txt = f"OLS 95% interval [{lo:.4g}, {hi:.4g}] vs {predicted:g} +- {tol:g}"
    elif alternative == "at_most":
        ok, accept = hi <= predicted, (-math.inf, predicted)
        txt = f"OLS 95% interval [{lo:.4g}, {hi:.4g}], upper end vs {predicted:g}"
    elif alternative == "at_least":
        ok, accept = lo >= predicted, (predicted, math.inf)
        txt = f"OLS 95% interval [{lo:.4g}, {hi:.4g}], lower end vs {predicted:g}"
    else:
        raise ValueError(f"alternative must be agree/at_most/at_least, got {alternative!r}")
    return check.Check("slope", b, predicted, ok, f"{details}; {txt}".lstrip("; "),
                       f"OLS t-interval of exact values ({alternative})", 0.95, len(x),
                       interval=(lo, hi), accept=accept)


def family_series(points: list, xlabel: str, ylabel: str, *, predicted: float | None = None,
                  anchor: tuple | None = None, lines: tuple = ()) -> Series:
    """The report's :class:`~theorytools.report.Series`: one curve per family (``points`` is a list of
    ``(family, x, y)``), sorted by x, with its marker, and the predicted power law
    ``x**predicted`` drawn through ``anchor`` (default: the geometric mean of the points);
    ``lines``: further ``(label, slope, (x0, y0))`` power laws (e.g. a theorem's bound).

    Parameters
    ----------
    points : list
        ``(family, x, y)`` triples.
    xlabel, ylabel : str
        Axis labels.
    predicted : float, optional
        Predicted slope to draw.
    anchor : tuple, optional
        ``(x0, y0)`` the predicted line goes through.
    lines : tuple, optional
        Further ``(label, slope, (x0, y0))`` lines.

    Returns
    -------
    theorytools.report.Series
        One curve per family and line, log x-axis.
    """
    curves = []
    fams = []
    for f, _, _ in points:
        if f not in fams:
            fams.append(f)
    for f in fams:
        xs = np.array([x for g, x, _ in points if g == f])
        ys = np.array([y for g, _, y in points if g == f])
        o = np.argsort(xs)
        curves.append(Curve(xs[o], ys[o], f, kind="exact", marker=MARKERS.get(f, "o"),
                            ls=":"))
    if predicted is not None:
        X = np.array([x for _, x, _ in points])
        Y = np.array([y for _, _, y in points])
        if anchor is None:
            pos = (X > 0) & (Y > 0)
            anchor = (float(np.exp(np.mean(np.log(X[pos])))),
                      float(np.exp(np.mean(np.log(Y[pos])))))
        xs = np.geomspace(X.min(), X.max(), 20)
        curves.append(Curve(xs, anchor[1] * (xs / anchor[0]) ** predicted,
                            f"predicted slope {predicted:.3g}", kind="exact", ls="--"))
    X = np.array([x for _, x, _ in points])
    for label, slope_, (x0, y0) in lines:
        xs = np.geomspace(X.min(), X.max(), 20)
        curves.append(Curve(xs, y0 * (xs / x0) ** slope_, label, kind="exact", ls="-."))
    return Series(curves, xlabel=xlabel, ylabel=ylabel, logx=True)


# --------------------------------------------------------------------------- 1. consensus
def dpsgd_consensus(top: Topology, gamma: float, a: float = 1.0, *, laziness: float = 0.0,
                    heterogeneity: str = "fiedler", seed: int = 0, lyapunov: bool = True) -> dict:
    r"""Stationary consensus distance of D-PSGD (Lian form :math:`X_{t+1} = X_tW - \gamma
    G(X_t)`) at constant step on :math:`f_i(x) = \frac a2(x - c_i)^2` (one coordinate), with
    additive gradient noise of variance ``s``, split into its two exact parts:

    * noise part, **total** over the nodes and per unit :math:`\gamma^2 s`:
      :math:`\mathrm{tr}((I - J)\Sigma)/(\gamma^2 s)` with :math:`\Sigma = B\Sigma B +
      \gamma^2 sI`, :math:`B = W - \gamma aI` (``scipy.linalg.solve_discrete_lyapunov``);
      in the eigenbasis it equals :math:`\sum_{i\ge2}1/(1 - (\lambda_i - \gamma a)^2)`
      [derived here: B is diagonal in W's eigenbasis]; ``lyapunov=False`` solves the same
      equation as :math:`\Sigma = (I - B^2)^{-1}` (B symmetric), faster for large n;
    * heterogeneity part, **per node** and per unit :math:`\gamma^2\zeta^2`,
      :math:`\zeta^2 = \frac{a^2}{n}\|(I - J)c\|^2`: :math:`\|(I - J)m\|^2/(n\gamma^2\zeta^2)`
      with the stationary mean :math:`m = ((1 + \gamma a)I - W)^{-1}\gamma ac`; for ``c``
      along W's slowest mode (``"fiedler"``) it is :math:`1/(1 - \lambda_2 + \gamma a)^2`;
      ``"iid"``: ``c`` has independent standard normal entries (``seed``).

    Returns a dict with ``noise_total`` (Lyapunov, the matrix the dynamics run with),
    ``noise_total_spectral`` (the closed form from the declared eigenvalues),
    ``noise_bound`` (:math:`(n - 1)/(1 - \mathrm{slem}_B^2)`, slem of B from the declared
    spectrum: the Lian-type bound, each mode replaced by the slowest), ``het`` and
    ``het_bound`` (:math:`1/(1 - \lambda_2 + \gamma a)^2`, the slowest mode).

    Parameters
    ----------
    top : Topology
        The declared topology (spectrum, slowest mode).
    gamma : float
        Constant step.
    a : float, optional
        Curvature.
    laziness : float, optional
        Planted fault (:func:`dynamics_matrix`).
    heterogeneity : {"fiedler", "iid"}, optional
        Direction of the centres.
    seed : int, optional
        Seed of the i.i.d. centres.
    lyapunov : bool, optional
        ``solve_discrete_lyapunov`` (True) or the resolvent (False).

    Returns
    -------
    dict
        ``noise_total``, ``noise_total_spectral``, ``noise_bound``, ``het``, ``het_bound``.
    """
    from scipy.linalg import solve_discrete_lyapunov

    n = top.n
    W = dynamics_matrix(top, laziness)
    B = W - gamma * a * np.eye(n)
    P = np.eye(n) - 1.0 / n
    if lyapunov:
        Sigma = solve_discrete_lyapunov(B, np.eye(n))      # per unit gamma^2 s
    else:   # B is symmetric: Sigma = sum_k B^(2k) = (I - B^2)^(-1) [derived here]
        Sigma = np.linalg.solve(np.eye(n) - B @ B, np.eye(n))
    noise = float(np.trace(P @ Sigma))
    lam, V = declared_eigen(top)
    lb = lam[1:] - gamma * a
    spectral = float(np.sum(1.0 / (1.0 - lb ** 2)))
    slem_B = float(np.max(np.abs(lb)))
    if heterogeneity == "fiedler":
        c = math.sqrt(n) * V[:, 1]
    elif heterogeneity == "iid":
        c = np.random.default_rng(seed).standard_normal(n)
    else:
        raise ValueError(f"heterogeneity must be 'fiedler' or 'iid', got {heterogeneity!r}")
    c = c - c.mean()
    zeta_sq = a * a * float(c @ c) / n
    m = np.linalg.solve((1.0 + gamma * a) * np.eye(n) - W, gamma * a * c)
    mc = m - m.mean()
    het = float(mc @ mc) / n / (gamma ** 2 * zeta_sq)
    return {"noise_total": noise, "noise_total_spectral": spectral,
            "noise_bound": (n - 1) / (1.0 - slem_B ** 2), "het": het,
            "het_bound": 1.0 / (1.0 - lam[1] + gamma * a) ** 2}


# --------------------------------------------------------------------------- 2. transient
def transient_problem(top: Topology, *, spread: float = 0.5, zeta: float = 1.0) -> tuple:
    r"""The heterogeneous one-coordinate quadratic of the transient check on ``top``:
    :math:`f_i(x) = \frac{a_i}2(x - c_i)^2` with curvature and centre both along the declared
    slowest mode :math:`v_2` (the worst case of the heterogeneity terms):
    :math:`a_i = 1 + \mathrm{spread}\,v_{2,i}/\max|v_2|`, :math:`c_i = \zeta\sqrt n\,v_{2,i}`.
    A common curvature would make :math:`\bar x_t` exactly centralized SGD for every graph
    (:math:`\bar g = \bar a\bar x - \overline{ac}`), so the curvatures differ.

    Parameters
    ----------
    top : Topology
        The declared topology (its slowest mode).
    spread : float, optional
        Relative spread of the curvatures.
    zeta : float, optional
        Root mean square of the centres.

    Returns
    -------
    tuple
        ``(a, c)``, (n,) curvatures and (n,) centres (mean zero).
    """
    _, V = declared_eigen(top)
    v = V[:, 1]
    a = 1.0 + spread * v / np.max(np.abs(v))
    c = zeta * math.sqrt(top.n) * v
    return a, c - c.mean()


def _geo(mu, T):
    """sum_{t<T} (1 - mu)^t, elementwise, accurate for mu near 0 and for 1 - mu < 0."""
    r = 1.0 - mu
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = -np.expm1(T * np.log1p(-np.minimum(mu, 1.0 - 1e-300))) / mu
    return np.where(r > 0, pos, (1.0 - np.power(r, T)) / mu)


def _stationary_mean(W, a, c, gamma):
    r"""Stationary mean :math:`m_\infty = \bar m\mathbf 1 + y` (:math:`y \perp \mathbf 1`)
    of :math:`m = Wm - \gamma D_a(m - c)`, with the consensus part y solved on
    :math:`\mathbf 1^\perp` (condition number ~ 1/gap, not 1/(gamma a) as for the full
    system): :math:`\mathbf 1^\top D_a(m - c) = 0` gives
    :math:`\bar m = a^\top(c - y)/\sum_ia_i`, and y solves
    :math:`P[(I - W) + \gamma D_a(I - \mathbf 1a^\top/\textstyle\sum a)]y =
    \gamma PD_a(c - \mathbf 1a^\top c/\textstyle\sum a)` [derived here]. Then
    :math:`\nabla f(\bar x_\infty) = -\frac1n\sum_i(a_i - \bar a)y_i`."""
    n = W.shape[0]
    basis = np.linalg.qr(np.column_stack([np.ones(n), np.eye(n)[:, :n - 1]]))[0][:, 1:]
    sa = float(a.sum())
    Op = (np.eye(n) - W) + gamma * (a[:, None] * (np.eye(n) - np.outer(np.ones(n), a) / sa))
    rhs = gamma * a * (c - a @ c / sa)
    z = np.linalg.solve(basis.T @ Op @ basis, basis.T @ rhs)
    y = basis @ z
    return float(a @ (c - y)) / sa, y


def avg_grad_sq(W: np.ndarray, a: np.ndarray, c: np.ndarray, gamma: float, sigma: float,
                T: int) -> float:
    r"""Exact :math:`\frac1T\sum_{t=0}^{T-1}\mathbb{E}(\nabla f(\bar x_t))^2` of D-PSGD
    (:math:`u_{t+1} = Wu_t - \gamma(D_a(u_t - c) + \xi_t)`, :math:`\xi_t \sim N(0,
    \sigma^2I)`, :math:`u_0 = 0`) on :math:`f_i = \frac{a_i}2(x - c_i)^2`, in closed form over
    the eigenmodes of the symmetric :math:`M = I - W + \gamma D_a` [derived here]: with
    :math:`M = Q\,\mathrm{diag}(\mu)Q^\top`, :math:`m_\infty = M^{-1}\gamma D_ac`,
    :math:`\nabla f(\bar x) = \bar a\,\mathbf 1^\top u/n - \overline{ac}`,
    :math:`v = \bar aQ^\top\mathbf 1/n`, :math:`w_i = v_i(Q^\top m_\infty)_i`,
    :math:`\beta_0 = v^\top Q^\top m_\infty - \overline{ac}` and
    :math:`G_1(\mu) = \sum_{t<T}(1 - \mu)^t`:

    .. math::
       \sum_{t<T}\mathbb{E}\nabla f(\bar x_t)^2 = T\beta_0^2 - 2\beta_0\sum_iw_iG_1(\mu_i)
       + \sum_{ij}w_iw_j\frac{1 - ((1-\mu_i)(1-\mu_j))^T}{\mu_i + \mu_j - \mu_i\mu_j}
       + \gamma^2\sigma^2\sum_i\frac{v_i^2}{\mu_i(2 - \mu_i)}\big(T - G_1(\mu_i(2 - \mu_i))\big).

    Needs every :math:`\mu_i \in (0, 2)` (B = I - M stable); checked against the direct
    moment recursion by the check ``closed_form_vs_recursion``.

    Parameters
    ----------
    W : numpy.ndarray
        (n, n) symmetric mixing matrix.
    a, c : numpy.ndarray
        (n,) curvatures and centres.
    gamma : float
        Step.
    sigma : float
        Gradient-noise standard deviation per node.
    T : int
        Horizon.

    Returns
    -------
    float
        :math:`\frac1T\sum_{t<T}\mathbb{E}\nabla f(\bar x_t)^2`.
    """
    n = W.shape[0]
    M = np.eye(n) - W + gamma * np.diag(a)
    mu, Q = np.linalg.eigh(M)
    if not (mu[0] > 0 and mu[-1] < 2):
        raise ValueError(f"gamma = {gamma:g} makes D-PSGD unstable (eigenvalues of I - W + "
                         f"gamma D_a in [{mu[0]:.3g}, {mu[-1]:.3g}], need (0, 2))")
    abar, b = float(a.mean()), float(np.mean(a * c))
    v = abar * Q.sum(axis=0) / n
    mbar, y = _stationary_mean(W, a, c, gamma)
    mt = Q.T @ (mbar + y)
    w = v * mt
    beta0 = -float(np.mean((a - abar) * y))     # = grad f(x_bar_inf), without cancellation
    G1 = _geo(mu, T)
    mix = mu[:, None] + mu[None, :] - mu[:, None] * mu[None, :]
    prod_T = np.outer(1.0 - mu, 1.0 - mu) ** T if np.any(mu >= 1) else \
        np.exp(T * (np.log1p(-mu)[:, None] + np.log1p(-mu)[None, :]))
    mean_part = T * beta0 ** 2 - 2 * beta0 * float(w @ G1) + float(w @ ((1 - prod_T) / mix) @ w)
    q = mu * (2.0 - mu)
    noise_part = gamma ** 2 * sigma ** 2 * float(np.sum(v ** 2 / q * (T - _geo(q, T))))
    return (mean_part + noise_part) / T


def avg_grad_sq_recursion(W: np.ndarray, a: np.ndarray, c: np.ndarray, gamma: float,
                          sigma: float, T: int) -> float:
    """The same quantity as :func:`avg_grad_sq` by iterating the mean and covariance
    recursions :math:`m_{t+1} = Bm_t + \\gamma D_ac`, :math:`C_{t+1} = BC_tB +
    \\gamma^2\\sigma^2I`, :math:`B = W - \\gamma D_a` (O(T n^2); the reference).

    Parameters
    ----------
    W, a, c, gamma, sigma, T : numpy.ndarray, numpy.ndarray, numpy.ndarray, float, float, int
        As in :func:`avg_grad_sq`.

    Returns
    -------
    float
        The same average.
    """
    n = W.shape[0]
    B = W - gamma * np.diag(a)
    h = gamma * a * c
    m, C = np.zeros(n), np.zeros((n, n))
    abar, b = float(a.mean()), float(np.mean(a * c))
    tot = 0.0
    for _ in range(T):
        g = abar * m.mean() - b
        tot += g * g + abar ** 2 * C.sum() / n ** 2
        m, C = B @ m + h, B @ C @ B + gamma ** 2 * sigma ** 2 * np.eye(n)
    return tot / T


def avg_grad_sq_centralized(a: np.ndarray, c: np.ndarray, gamma: float, sigma: float,
                            n: int, T: int) -> float:
    r"""Exact :math:`\frac1T\sum_{t<T}\mathbb{E}\nabla f(\bar x_t)^2` of centralized
    mini-batch SGD :math:`\bar x_{t+1} = \bar x_t - \gamma(\nabla f(\bar x_t) + \bar\xi_t)`,
    :math:`\bar\xi_t \sim N(0, \sigma^2/n)`, from 0: with :math:`e_t = \bar x_t - x^\star`,
    :math:`\mathbb{E}\nabla f^2 = \bar a^2(r^{2t}x^{\star2} + \gamma^2\frac{\sigma^2}n
    \frac{1 - r^{2t}}{1 - r^2})`, :math:`r = 1 - \gamma\bar a`.

    Parameters
    ----------
    a, c : numpy.ndarray
        (n,) curvatures and centres.
    gamma : float
        Step.
    sigma : float
        Per-node noise standard deviation (the average has variance sigma^2/n).
    n : int
        Number of nodes.
    T : int
        Horizon.

    Returns
    -------
    float
        The centralized average.
    """
    abar = float(np.mean(a))
    xs = float(np.mean(a * c)) / abar
    q = 1.0 - (1.0 - gamma * abar) ** 2
    G = _geo(np.array([q]), T)[0]
    s = gamma ** 2 * sigma ** 2 / n
    return abar ** 2 * (xs ** 2 * G + s / q * (T - G)) / T


def dpsgd_transient(top: Topology, *, c0: float = 0.5, sigma: float = 1.0, ratio: float = 1.5,
                    laziness: float = 0.0, T_max: float = 1e24, **problem) -> float:
    r"""Transient length of D-PSGD on :func:`transient_problem`: the smallest T (real, found
    by bisection in log T) from which on the exact :math:`\frac1T\sum_{t<T}\mathbb{E}\|\nabla
    f(\bar x_t)\|^2` at the step :math:`\gamma_T = \min(c_0\sqrt{n/T}/\sigma, \gamma_{\max})`
    is within ``ratio`` times centralized mini-batch SGD's (same step, same problem, noise
    :math:`\sigma^2/n`) -- the :math:`\sigma/\sqrt{nT}` regime (spec S-3's "transient").
    ``gamma_max = 0.4 (1 + lambda_n)/max a`` keeps D-PSGD stable. Returns ``T*`` (1.0 when
    the ratio is already met at T = 1).

    Parameters
    ----------
    top : Topology
        The declared topology.
    c0 : float, optional
        Step constant.
    sigma : float, optional
        Noise standard deviation.
    ratio : float, optional
        Factor over centralized SGD that ends the transient.
    laziness : float, optional
        Planted fault (:func:`dynamics_matrix`).
    T_max : float, optional
        Largest horizon searched.
    **problem
        Passed to :func:`transient_problem`.

    Returns
    -------
    float
        ``T*``.
    """
    W = dynamics_matrix(top, laziness)
    a, c = transient_problem(top, **problem)
    n = top.n
    g_max = 0.4 * (1.0 + top.lambda_n) / float(a.max())

    def excess(logT):
        T = math.exp(logT)
        Ti = max(1, int(round(T)))
        g = min(c0 * math.sqrt(n / T) / sigma, g_max)
        return (avg_grad_sq(W, a, c, g, sigma, Ti)
                / avg_grad_sq_centralized(a, c, g, sigma, n, Ti)) - ratio

    grid = np.linspace(0.0, math.log(T_max), 40)
    vals = np.array([excess(x) for x in grid])
    above = np.flatnonzero(vals > 0)
    if above.size == 0:
        return 1.0
    k = int(above[-1])
    if k == grid.size - 1:
        raise ValueError(f"{top.name}: the transient exceeds T_max = {T_max:g}")
    lo, hi = grid[k], grid[k + 1]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


# --------------------------------------------------------------------------- 3. DCD stability
def dcd_transfer_matrix(lam: np.ndarray, V: np.ndarray) -> np.ndarray:
    r"""The n x n diagonal-to-diagonal transfer matrix of DCD's consensus second moment with
    Bernoulli compression, from the spectrum ``lam`` (descending, ``lam[0] = 1``) and the
    orthonormal eigenvectors ``V`` of W [derived here]:

    .. math::
       H_{kl} = \sum_{i,j\ge2}V_{ki}V_{kj}V_{li}V_{lj}\,K_{ij},\qquad
       K_{ij} = \frac{(1-\lambda_i)(1-\lambda_j)}{1 - \lambda_i\lambda_j},

    i.e. :math:`H q = \mathrm{diag}(DXD)` where :math:`X = \sum_k (W - J)^kP\,
    \mathrm{Diag}(q)P(W - J)^k` solves :math:`X = WXW + P\mathrm{Diag}(q)P` on the consensus
    space (:math:`D = W - I`, :math:`P = I - J`). K is positive semidefinite
    (:math:`K = \sum_k u_ku_k^\top`, :math:`u_{k,i} = (1 - \lambda_i)\lambda_i^k`), so with
    :math:`K = \sum_r\sigma_rw_rw_r^\top`, :math:`H = \sum_r\sigma_r(V\mathrm{diag}(w_r)
    V^\top)^{\circ2}`: symmetric, entrywise nonnegative. O(n^4).

    Parameters
    ----------
    lam : numpy.ndarray
        (n,) eigenvalues of W, descending.
    V : numpy.ndarray
        (n, n) orthonormal eigenvectors (columns, same order).

    Returns
    -------
    numpy.ndarray
        (n, n) matrix H.
    """
    lam = np.asarray(lam, float)[1:]
    U = np.asarray(V, float)[:, 1:]
    K = np.outer(1 - lam, 1 - lam) / (1 - np.outer(lam, lam))
    sig, Wr = np.linalg.eigh(K)
    keep = sig > 1e-15 * sig.max()
    H = np.zeros((U.shape[0], U.shape[0]))
    for s_r, w in zip(sig[keep], Wr[:, keep].T):
        X = (U * w) @ U.T
        H += s_r * X * X
    return H


def dcd_threshold(lam: np.ndarray, V: np.ndarray) -> float:
    r"""Exact mean-square stability limit of DCD-PSGD's consensus dynamics with the scaled
    Bernoulli(p) sparsifier: the largest :math:`\alpha^2 = 1/p - 1` for which the map
    :math:`M \mapsto P(WMW + \alpha^2\mathrm{Diag}\,\mathrm{diag}(DMD))P` (derived DCD consensus threshold (docs/sources.md#derived); :func:`theorytools.theory.tang2018.consensus_operator`)
    has spectral radius < 1, computed as :math:`1/\lambda_{\max}(H)` with ``H`` of
    :func:`dcd_transfer_matrix`.

    Why [derived here]: both :math:`\mathcal A(M) = WMW` and :math:`\mathcal D(M) =
    P\mathrm{Diag}\,\mathrm{diag}(DMD)P` map positive semidefinite matrices of the consensus
    space to positive semidefinite ones, and :math:`\rho(\mathcal A) = \mathrm{slem}^2 < 1`;
    for such maps :math:`\rho(\mathcal A + \beta\mathcal D) < 1` iff
    :math:`\rho(\beta\mathcal D(I - \mathcal A)^{-1}) < 1` (the small-gain theorem for
    positive operators on a proper cone), and the nonzero spectrum of
    :math:`\mathcal D(I - \mathcal A)^{-1}` is that of H (it maps diagonals to diagonals).
    Checked against the brute-force :math:`n^2 \times n^2` operator (bisection of
    :func:`theorytools.theory.tang2018.stability_threshold`) by the check
    ``spectral_vs_operator``; O(n^4) instead of O(n^6) per radius.

    Parameters
    ----------
    lam, V : numpy.ndarray
        As in :func:`dcd_transfer_matrix` (e.g. ``declared_eigen(top)``).

    Returns
    -------
    float
        The largest mean-square stable :math:`\alpha^2`.
    """
    H = dcd_transfer_matrix(lam, V)
    return 1.0 / float(np.linalg.eigvalsh(H)[-1])


# --------------------------------------------------------------------------- 4. CHOCO gossip
def _choco_modes(lam, V, gamma, p):
    """Eigen-structure of CHOCO-Gossip's mean map on the consensus-error space: W's mode k
    (k >= 2) carries the 2 x 2 block [[1 - gamma p nu, -gamma (1 - p) nu], [p, 1 - p]],
    nu = 1 - lambda_k, on (x, xhat); mode 1 keeps only xhat (eigenvalue 1 - p). Returns the
    2n - 1 eigenvalues, E = R S (n x m; R = [I, -I] reads x - xhat) and F = S^-1 U (m x n;
    U = [gamma (W - I); I] injects the compression noise)."""
    n = lam.size
    nu = 1.0 - lam[1:]
    blocks = np.empty((n - 1, 2, 2))
    blocks[:, 0, 0] = 1.0 - gamma * p * nu
    blocks[:, 0, 1] = -gamma * (1.0 - p) * nu
    blocks[:, 1, 0] = p
    blocks[:, 1, 1] = 1.0 - p
    ev, S = np.linalg.eig(blocks)                          # (n-1, 2), (n-1, 2, 2)
    Sinv = np.linalg.inv(S)
    Vk = V[:, 1:]                                          # (n, n-1)
    # E[:, (k, e)] = (S[k, 0, e] - S[k, 1, e]) v_k;
    # F[(k, e), l] = Sinv[k, e, :] @ (-gamma nu_k, 1) V[l, k]
    rs = S[:, 0, :] - S[:, 1, :]                           # (n-1, 2)
    E = (Vk[:, :, None] * rs[None, :, :]).reshape(n, 2 * (n - 1))
    inj = Sinv[:, :, 0] * (-gamma * nu)[:, None] + Sinv[:, :, 1]      # (n-1, 2)
    F = (inj[:, :, None] * Vk.T[:, None, :]).reshape(2 * (n - 1), n)
    eig = np.concatenate([ev.reshape(-1), [1.0 - p]])
    E = np.concatenate([E, -V[:, :1]], axis=1)             # mode 1: x - xhat = -xhat
    F = np.concatenate([F, V[:, :1].T], axis=0)
    return eig, E.astype(complex), F.astype(complex)


def _choco_H(eig, E, F, p, r):
    """The diagonal-to-diagonal transfer matrix at level r (see :func:`choco_gossip_rate`)."""
    G = 1.0 / (1.0 - np.outer(eig, eig) / r)
    # H_kl = sum_ij E_ki E_kj G_ij F_il F_jl
    Z = np.einsum("kj,ij,jl->kil", E, G, F, optimize=True)
    H = np.einsum("ki,il,kil->kl", E, F, Z, optimize=True)
    return (p * (1.0 - p) / r) * H.real


def choco_gossip_rate(lam: np.ndarray, V: np.ndarray, gamma: float, p: float) -> tuple:
    r"""Exact asymptotic per-step rate of :math:`\mathbb{E}\|e_t\|^2` for CHOCO-Gossip (the
    consensus part of CHOCO-SGD: :math:`\hat x^+ = \hat x + Q(x - \hat x)`,
    :math:`x^+ = x + \gamma(W - I)\hat x^+`, :math:`e = (x - \bar x\mathbf 1, \hat x - \bar
    x\mathbf 1)`) with the unscaled Bernoulli(p) mask :math:`Q(z) = m\circ z` (independent per
    node and coordinate: :math:`\mathbb{E}\|Q(z) - z\|^2 = (1 - p)\|z\|^2`, so CHOCO's
    :math:`\delta = p` exactly), from W's spectrum ``lam`` and eigenvectors ``V``.

    The second moment obeys :math:`\mathcal L(M) = \bar AM\bar A^\top + p(1 - p)U\,
    \mathrm{Diag}\,\mathrm{diag}(RMR^\top)U^\top` [derived here: :math:`A(D) = \bar A +
    U(D - pI)R`]; as in :func:`dcd_threshold`, :math:`\rho(\mathcal L) < r` iff
    :math:`\rho(\bar A)^2 < r` and the n x n transfer matrix
    :math:`H_r = \frac{p(1-p)}{r}\big[\sum_{ij}E_{ki}E_{kj}F_{il}F_{jl}/(1 - \lambda_i
    \lambda_j/r)\big]_{kl}` has spectral radius < 1; the rate is the root of
    :math:`\rho(H_r) = 1` (Brent). Returns ``(rate, stable)``; ``rate`` is 1.0 when
    :math:`\rho(\mathcal L) \ge 1`. Checked against the dense :math:`(2n-1)^2` operator by
    the check ``rate_vs_operator``.

    Parameters
    ----------
    lam, V : numpy.ndarray
        Spectrum and eigenvectors of W (e.g. ``declared_eigen(top)``).
    gamma : float
        Consensus step.
    p : float
        Keep probability of the mask (= delta).

    Returns
    -------
    tuple
        ``(rate, stable)``.
    """
    from scipy.optimize import brentq

    eig, E, F = _choco_modes(np.asarray(lam, float), np.asarray(V, float), gamma, p)
    r0 = float(np.max(np.abs(eig))) ** 2

    def f(r):
        return float(np.max(np.abs(np.linalg.eigvals(_choco_H(eig, E, F, p, r))))) - 1.0

    if r0 >= 1.0 or f(1.0) >= 0.0:
        return 1.0, False
    lo = r0 * (1 + 1e-12) + 1e-300
    if f(lo) <= 0:      # the noise does not matter at this precision
        return r0, True
    return brentq(f, lo, 1.0, xtol=1e-14, rtol=4 * np.finfo(float).eps), True


def choco_operator_rate(W: np.ndarray, gamma: float, p: float) -> float:
    """Reference for :func:`choco_gossip_rate`: the spectral radius of the dense
    (2n - 1)^2 second-moment operator on the consensus-error space (small n only).

    Parameters
    ----------
    W : numpy.ndarray
        (n, n) mixing matrix.
    gamma : float
        Consensus step.
    p : float
        Keep probability.

    Returns
    -------
    float
        The spectral radius (the rate).
    """
    n = W.shape[0]
    I = np.eye(n)
    A0 = np.block([[I + gamma * p * (W - I), gamma * (1 - p) * (W - I)], [p * I, (1 - p) * I]])
    U = np.vstack([gamma * (W - I), I])
    R = np.hstack([I, -I])
    # orthonormal basis of {e : 1^T e_x = 0}
    ones = np.concatenate([np.ones(n), np.zeros(n)]) / math.sqrt(n)
    Qf, _ = np.linalg.qr(np.column_stack([ones, np.eye(2 * n)]))
    Qs = Qf[:, 1:2 * n]
    Ar, Ur, Rr = Qs.T @ A0 @ Qs, Qs.T @ U, R @ Qs
    m = 2 * n - 1
    op = np.kron(Ar, Ar)
    for k in range(n):
        u, w = Ur[:, k], Rr[k]
        op += p * (1 - p) * np.kron(np.outer(u, w), np.outer(u, w))
    return float(np.max(np.abs(np.linalg.eigvals(op))))


# =========================================================================== the checks
_CACHE: dict = {}


def _families(max_n):
    if max_n not in _CACHE:
        with _one_blas_thread():
            _CACHE[max_n] = graph_families(max_n)
    return _CACHE[max_n]


_MEMO: dict = {}


def _memo(key, make):
    """Deterministic exact results, memoised by ``key`` (graph name, method, parameters,
    planted laziness): a planted-fault rerun recomputes only what the fault changes."""
    if key not in _MEMO:
        _MEMO[key] = make()
    return _MEMO[key]


def _all(fams):
    return [(f, t) for f, tops in fams.items() for t in tops]


def _worst_ratio_check(pairs, *, lower=False, details=""):
    """``bound`` on the worst ratio measured/bound over ``pairs`` of ``(name, measured,
    bound)``: <= 1 (``lower``: >= 1), to rounding (rtol 1e-9)."""
    ratios = [(m / b, name) for name, m, b in pairs]
    worst, name = (min if lower else max)(ratios)
    return check.bound(worst, 1.0, lower=lower, rtol=1e-9,
                       details=f"{details}; worst ratio {worst:.6g} on {name}")


# --------------------------------------------------------------------------- 1. consensus
CONSENSUS_GAMMA = 1e-7


def _checks_consensus(th, quick, seed=0, **params):
    lazy = params.get("laziness", 0.0)
    gamma = CONSENSUS_GAMMA
    fams = _families(256)
    out = []
    with _one_blas_thread():
        rows = []
        for f, top in _all(fams):
            r = dpsgd_consensus(top, gamma, laziness=lazy, lyapunov=top.n <= 64)
            ri = dpsgd_consensus(top, gamma, laziness=lazy, heterogeneity="iid",
                                 lyapunov=False)
            rows.append((f, top, r, ri))
    for fam in fams:
        sel = [(t, r) for f, t, r, _ in rows if f == fam]
        res = check.law([r["noise_total"] for _, r in sel],
                        [r["noise_total_spectral"] for _, r in sel], rtol=1e-8,
                        details=f"{fam}: tr((I - J) Sigma) of the dynamics' Lyapunov equation "
                                f"(solve_discrete_lyapunov for n <= 64, (I - B^2)^-1 above) "
                                f"vs sum_(i>=2) 1/(1 - (lambda_i - gamma a)^2) from the "
                                f"declared spectrum, n = {[t.n for t, _ in sel]}")
        res.extra["series"] = family_series(
            [(fam, 1 - t.slem_sq, r["noise_total"]) for t, r in sel], "1 - slem_sq",
            "total noise consensus / (gamma^2 s)")
        out.append((f"lyapunov_vs_spectral[{fam}]", res))
    # the Lian-type bounds, every graph
    res = _worst_ratio_check(
        [(t.name, r["noise_total"] / t.n, (1 - 1 / t.n) * r["noise_bound"] / (t.n - 1))
         for _, t, r, _ in rows],
        details=f"per-node noise consensus <= gamma^2 s (1 - 1/n)/(1 - slem_B^2), slem_B = "
                f"max_(i>=2)|lambda_i - gamma a| (each mode replaced by the slowest), "
                f"{len(rows)} graphs, gamma a = {gamma:g}")
    res.extra["series"] = family_series(
        [(f, 1 - t.slem_sq, r["noise_total"] / t.n) for f, t, r, _ in rows], "1 - slem_sq",
        "per-node noise consensus / (gamma^2 s)", predicted=-1.0,
        anchor=(1.0, 1.0))
    out.append(("noise_bound", res))
    res = _worst_ratio_check(
        [(f"{t.name} ({kind})", rr["het"], rr["het_bound"]) for _, t, r, ri in rows
         for kind, rr in (("fiedler", r), ("iid", ri))],
        details="per-node heterogeneity consensus <= gamma^2 zeta^2/(1 - lambda_2 + gamma a)^2 "
                "<= gamma^2 zeta^2/(1 - slem)^2 (equality for c along the slowest mode), "
                "heterogeneity along the slowest mode and i.i.d.")
    res.extra["series"] = family_series(
        [(f, 1 - t.slem, r["het"]) for f, t, r, _ in rows], "1 - slem",
        "per-node heterogeneity consensus / (gamma^2 zeta^2)", predicted=-2.0,
        anchor=(1.0, 1.0))
    out.append(("heterogeneity_bound", res))
    # exponents
    rings = [(t, r) for f, t, r, _ in rows if f == "ring"]
    x = [1 - t.slem_sq for t, _ in rings]
    per_node = [(1 - t.slem_sq, r["noise_total"] / t.n) for _, t, r, _ in rows]
    b_all, lo_all, hi_all = ols_slope(*zip(*per_node))
    res = slope_check(x, [r["noise_total"] for _, r in rings], params.get("noise_exponent", -1.0),
                      details=f"rings n = {[t.n for t, _ in rings]}: total noise consensus "
                              f"sum_i ||x_i - x_bar||^2/(gamma^2 s) against 1 - slem_sq "
                              f"(spec S-4: C_n gamma^2 s/(1 - slem^2)); all {len(rows)} graphs, "
                              f"per node: exponent {b_all:.3f} [{lo_all:.3f}, {hi_all:.3f}] "
                              f"(the bound's is -1)")
    res.extra["series"] = family_series(
        [(f, 1 - t.slem_sq, r["noise_total"]) for f, t, r, _ in rows], "1 - slem_sq",
        "total noise consensus / (gamma^2 s)", predicted=-1.0,
        anchor=(x[0], rings[0][1]["noise_total"]))
    out.append(("noise_exponent[ring]", res))
    pts = [(f, 1 - t.slem, r["het"]) for f, t, r, _ in rows]
    b_r, lo_r, hi_r = ols_slope([1 - t.slem for t, _ in rings],
                                [ri["het"] for f, t, _, ri in rows if f == "ring"])
    res = slope_check([p[1] for p in pts], [p[2] for p in pts],
                      params.get("het_exponent", -2.0),
                      details=f"all {len(pts)} graphs: per-node heterogeneity consensus "
                              f"(c along the slowest mode) against 1 - slem (spec S-4: "
                              f"gamma^2 zeta^2/(1 - slem)^2); i.i.d. heterogeneity on rings: "
                              f"exponent {b_r:.3f} [{lo_r:.3f}, {hi_r:.3f}] (not -2: i.i.d. "
                              f"centres put 1/n of their energy in the slowest mode)")
    res.extra["series"] = family_series(pts, "1 - slem",
                                        "per-node heterogeneity consensus / (gamma^2 zeta^2)",
                                        predicted=-2.0, anchor=(1.0, 1.0))
    out.append(("heterogeneity_exponent", res))
    yield from out


register(Theorem(
    key="tang2018.gap_consensus_distance", paper="tang2018",
    title="D-PSGD at constant step: consensus distance against the spectral gap (noise and "
          "heterogeneity parts)",
    source="checks (docs/sources.md#checks) S-4 [DERIVED]; the Lian-type mode-by-mode "
           "bounds: derived here (theorytools/theory/graph_gap.py::dpsgd_consensus)",
    status=DERIVED,
    statement="sum_i E||x_i - x_bar||^2 = gamma^2 s sum_(i>=2) 1/(1 - (lambda_i - gamma a)^2) "
              "~ C gamma^2 s/(1 - slem^2) on rings; per node, heterogeneity part <= "
              "gamma^2 zeta^2/(1 - slem)^2 with equality along the slowest mode",
    assumptions=("f_i = a/2 (x - c_i)^2, common curvature a", "additive gradient noise s",
                 "D-PSGD Lian form X_t W - gamma G(X_t)", "gamma a << 1 - slem"),
    algorithm="theorytools.algorithms.dpsgd", checks=_checks_consensus,
    hooks={"laziness": "lazy gossip W -> (1 - l) W + l I (default 0)",
           "noise_exponent": "planted fault: a wrong exponent of the noise term in 1 - slem",
           "het_exponent": "planted fault: a wrong exponent of the heterogeneity term"},
    proof="theorytools/theory/graph_gap.py::dpsgd_consensus (docstring); "
          "tests/test_theory_graph.py"))


# --------------------------------------------------------------------------- 2. transient
def _checks_transient(th, quick, seed=0, **params):
    from theorytools import topology as tp

    lazy = params.get("laziness", 0.0)
    max_n = 64 if quick else 256
    fams = _families(256)
    out = []
    with _one_blas_thread():
        for top in (tp.ring(8), tp.star(8)):
            a, c = transient_problem(top)
            W = dynamics_matrix(top, lazy)
            Ts = (1, 2, 50, 300)
            closed = [avg_grad_sq(np.array(top.W), a, c, 0.1, 1.0, T) for T in Ts]
            rec = [avg_grad_sq_recursion(W, a, c, 0.1, 1.0, T) for T in Ts]
            res = check.law(closed, rec, rtol=1e-9,
                            details=f"{top.name}: closed form over the eigenmodes (declared W) "
                                    f"vs the mean/covariance recursion (the dynamics), gamma "
                                    f"= 0.1, T = {Ts}")
            Series(Curve(np.array(Ts), np.array(rec), "recursion", kind="exact",
                         bound=np.array(closed), bound_label="closed form"),
                   xlabel="T", ylabel="(1/T) sum_t E grad f(x_bar_t)^2", logx=True).attach(res)
            out.append((f"closed_form_vs_recursion[{top.name}]", res))
        pts, skipped = [], []
        for f, top in _all(fams):
            if top.n > max_n:
                continue
            Ts = _memo(("transient", top.name, lazy),
                       lambda: dpsgd_transient(top, laziness=lazy))
            if Ts <= 1.0:
                skipped.append(top.name)
                continue
            pts.append((f, 1.0 / (1 - top.slem) ** 2, Ts / top.n ** 3, top.name, Ts))
    predicted = params.get("transient_exponent", 2.0)
    res = slope_check([p[1] for p in pts], [p[2] for p in pts], predicted, tol=0.25,
                      details=f"{len(pts)} graphs (n <= {max_n}; T* <= 1, i.e. no transient: "
                              f"{skipped}): T*/n^3 against 1/(1 - slem)^2, T* = first T from "
                              f"which (1/T) sum_t E||grad f(x_bar_t)||^2 at gamma = 0.5 "
                              f"sqrt(n/T)/sigma is within 1.5x centralized mini-batch SGD's; "
                              f"predicted T* ~ n^3 zeta^4/(sigma^6 (1 - slem)^4) (the bias term "
                              f"gamma^2 zeta^2/(1 - slem)^2 against sigma/sqrt(nT)); tolerance "
                              f"0.25 (chosen: the graphs differ in more than the gap); T* "
                              f"range {min(p[4] for p in pts):.3g} ... "
                              f"{max(p[4] for p in pts):.3g}")
    res.extra["series"] = family_series([p[:3] for p in pts], "1/(1 - slem)^2",
                                        "T* / n^3 (transient length)", predicted=predicted)
    out.append(("transient_exponent", res))
    rings = [p for p in pts if p[0] == "ring"]
    res = slope_check([p[1] for p in rings], [p[2] for p in rings], predicted, tol=0.1,
                      details=f"rings {[p[3] for p in rings]}: T*/n^3 against 1/(1 - slem)^2; "
                              f"T* = {[f'{p[4]:.3g}' for p in rings]}")
    res.extra["series"] = family_series([p[:3] for p in rings], "1/(1 - slem)^2",
                                        "T* / n^3 (transient length)", predicted=predicted)
    out.append(("transient_exponent[ring]", res))
    yield from out


register(Theorem(
    key="tang2018.gap_transient", paper="tang2018",
    title="D-PSGD: transient length until the centralized sigma/sqrt(nT) regime, against "
          "1/(1 - slem)^2",
    source="checks (docs/sources.md#checks) S-3 (transient grows with the gap); the "
           "exponent: derived here from the Lian-type bias term gamma^2 zeta^2/(1 - slem)^2",
    status=DERIVED,
    statement="T* ~ n^3 zeta^4/(sigma^6 (1 - slem)^4), i.e. exponent 2 in 1/(1 - slem)^2",
    assumptions=("f_i = a_i/2 (x - c_i)^2, a and c along the slowest mode",
                 "gamma = 0.5 sqrt(n/T)/sigma", "D-PSGD Lian form"),
    algorithm="theorytools.algorithms.dpsgd", checks=_checks_transient,
    hooks={"laziness": "lazy gossip W -> (1 - l) W + l I (default 0)",
           "transient_exponent": "planted fault: a wrong exponent of the transient time"},
    proof="theorytools/theory/graph_gap.py::avg_grad_sq (closed form; checked against the "
          "recursion by the check closed_form_vs_recursion)"))


# --------------------------------------------------------------------------- 3. DCD
def _checks_dcd(th, quick, seed=0, **params):
    from theorytools import topology as tp
    from theorytools.theory.tang2018 import stability_threshold

    lazy = params.get("laziness", 0.0)
    factor = th.parameter_values(**{k: v for k, v in params.items()
                                    if k in th.parameters})["condition_factor"]
    max_n = 128 if quick else 256
    fams = {f: [t for t in tops if t.n <= max_n] for f, tops in _families(256).items()}
    out = []
    with _one_blas_thread():
        small = [tp.ring(8), tp.complete(6), tp.hypercube(3), tp.star(6), tp.grid2d(2, 3),
                 tp.random_regular(8, 3, seed=0), tp.torus(3, 3)]
        fast = [dcd_threshold(*declared_eigen(t)) for t in small]
        brute = [stability_threshold(dynamics_matrix(t, lazy)) for t in small]
        rows = [(f, t, dcd_threshold(*declared_eigen(t))) for f, t in _all(fams)]
    res = check.law(fast, brute, rtol=1e-8,
                    details=f"1/lambda_max(H) from the declared spectrum vs bisection on the "
                            f"n^2 x n^2 second-moment operator of the dynamics "
                            f"(tang2018.stability_threshold) on {[t.name for t in small]}")
    Series(Curve(np.array([t.n for t in small], float), np.array(brute), "n^2 x n^2 operator",
                 kind="exact", bound=np.array(fast), bound_label="transfer matrix H",
                 marker="o", ls=""),
           xlabel="n", ylabel="alpha^2 threshold").attach(res)
    out.append(("spectral_vs_operator", res))
    comp = [(t, b) for f, t, b in rows if f == "complete"]
    formula = params.get("complete_formula", lambda n: n / (n - 1))
    res = check.law([b for _, b in comp], [formula(t.n) for t, _ in comp], rtol=1e-10,
                    details="complete graphs: threshold n/(n - 1) (derived DCD consensus threshold (docs/sources.md#derived))")
    Series(Curve(np.array([t.n for t, _ in comp], float), np.array([b for _, b in comp]),
                 "1/lambda_max(H)", kind="exact",
                 bound=np.array([t.n / (t.n - 1) for t, _ in comp]), bound_label="n/(n - 1)",
                 marker="*", ls=""),
           xlabel="n", ylabel="alpha^2 threshold", logx=True).attach(res)
    out.append(("complete_n_over_n_minus_1", res))
    tang = [(f, t, b, (factor * tp.tang_dcd_alpha_max(t)) ** 2) for f, t, b in rows]
    res = _worst_ratio_check([(t.name, am, b) for _, t, b, am in tang],
                             details=f"Tang's alpha_max^2 = ((1 - slem)/(2 sqrt2 mu_W))^2 "
                                     f"(UNCONFIRMED, factor {factor:g}) <= exact threshold, "
                                     f"{len(tang)} graphs; conservativeness threshold/alpha_max^2 "
                                     f"from {min(b / am for _, _, b, am in tang):.3g} to "
                                     f"{max(b / am for _, _, b, am in tang):.3g}")
    res.extra["series"] = family_series([(f, 1 - t.slem, b / am) for f, t, b, am in tang],
                                        "1 - slem", "exact threshold / Tang's alpha_max^2",
                                        predicted=-2.0)
    out.append(("tang_condition_is_sufficient", res))
    x = [1 - t.slem for _, t, _ in rows]
    y = [b for _, _, b in rows]
    res = slope_check(x, y, params.get("threshold_exponent", 0.0),
                      details=f"{len(rows)} graphs: exact alpha^2 threshold against 1 - slem, "
                              f"range {min(y):.4g} ... {max(y):.4g} (Tang's condition scales as "
                              f"(1 - slem)^2); derived: D = W - I damps the slow modes, so the "
                              f"threshold is set by the fast ones")
    res.extra["series"] = family_series([(f, 1 - t.slem, b) for f, t, b in rows], "1 - slem",
                                        "exact mean-square threshold alpha^2", predicted=0.0)
    out.append(("threshold_exponent_in_gap", res))
    cons = [(f, 1 - t.slem, b / am) for f, t, b, am in tang]
    res = slope_check([c[1] for c in cons], [c[2] for c in cons],
                      params.get("conservativeness_exponent", -2.0), tol=0.2,
                      details="conservativeness threshold/alpha_max^2 against 1 - slem (flat "
                              "threshold / Tang's (1 - slem)^2/(8 mu_W^2)); tolerance 0.2 "
                              "(chosen: mu_W varies in [1, 1.6] across graphs)")
    res.extra["series"] = family_series(cons, "1 - slem", "exact threshold / Tang's alpha_max^2",
                                        predicted=-2.0)
    out.append(("conservativeness_exponent", res))
    yield from out


register(Theorem(
    key="tang2018.gap_dcd_stability", paper="tang2018",
    title="DCD-PSGD: exact mean-square stability limit per graph vs Tang's sufficient "
          "condition alpha <= (1 - slem)/(2 sqrt2 mu_W)",
    source="Tang et al. 2018, Theorem 1 condition [UNCONFIRMED]; exact threshold: "
           "derived DCD consensus threshold (docs/sources.md#derived) [DERIVED]; transfer-matrix formula: derived here",
    status=DERIVED,
    statement="alpha^2_threshold = 1/lambda_max(H), H_kl = sum_(i,j>=2) V_ki V_kj V_li V_lj "
              "(1 - lambda_i)(1 - lambda_j)/(1 - lambda_i lambda_j); in [1, 1.4] on every graph",
    assumptions=("Bernoulli(p) sparsifier, alpha^2 = 1/p - 1", "pure consensus (gamma = 0)"),
    algorithm="theorytools.algorithms.dcd_psgd", checks=_checks_dcd,
    hooks={"laziness": "lazy gossip W -> (1 - l) W + l I (default 0)",
           "complete_formula": "planted fault: a wrong closed form n -> threshold on complete "
                               "graphs (default n/(n-1))",
           "threshold_exponent": "planted fault: a wrong exponent of the threshold in 1 - slem",
           "conservativeness_exponent": "planted fault: a wrong exponent of Tang's condition "
                                        "over the exact threshold"},
    parameters={"condition_factor": Parameter(1.0, UNCONFIRMED,
                                              "scales Tang's printed condition; confirm "
                                              "Theorem 1 of the paper")},
    proof="theorytools/theory/graph_gap.py::dcd_threshold (docstring); checked against "
          "tang2018.stability_threshold by the check spectral_vs_operator"))


# --------------------------------------------------------------------------- 4. CHOCO
CHOCO_DELTA = 0.5


def _best_step(lam, V, p):
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda lg: choco_gossip_rate(lam, V, math.exp(lg), p)[0],
                          bounds=(math.log(1e-4), 0.0), method="bounded",
                          options={"xatol": 1e-3})
    return math.exp(res.x), float(res.fun)


def _checks_choco(th, quick, seed=0, **params):
    """CHOCO's gossip rate on the graph families: one function per guarantee over the exact
    rates of :func:`_choco_rates` (no random draw)."""
    s = _choco_rates(th, quick, params)
    for guarantee in CHOCO_GUARANTEES:
        yield from guarantee(s)


def _choco_rates(th, quick, params):
    """The exact rates every CHOCO guarantee reads: on small graphs the transfer matrix and
    the dense operator at three consensus steps; on every family graph (n <= 64) the rate at
    the theorem's step and (n <= 16 quick, 32 full) at the best step."""
    from types import SimpleNamespace

    from theorytools import topology as tp
    from theorytools.theory.choco2020 import choco_consensus_step

    lazy = params.get("laziness", 0.0)
    consts = th.parameter_values(**{k: v for k, v in params.items() if k in th.parameters})
    c_div, factor = consts["c_div"], consts["consensus_step_factor"]
    p = CHOCO_DELTA
    max_n, best_n = (64, 16) if quick else (64, 32)
    fams = _families(256)
    with _one_blas_thread():
        small = [tp.ring(6), tp.complete(4), tp.star(5), tp.grid2d(2, 3)]
        fast, dense = [], []
        for t in small:
            for g in (0.05, 0.3, 0.8):
                fast.append(choco_gossip_rate(*declared_eigen(t), g, p)[0])
                dense.append(choco_operator_rate(dynamics_matrix(t, lazy), g, p))
        rows = []
        for f, t in _all(fams):
            if t.n > max_n:
                continue
            lam, V = declared_eigen(t)
            if lazy:
                lam, V = np.linalg.eigh(dynamics_matrix(t, lazy))
                lam, V = lam[::-1], V[:, ::-1]
            g_thm = choco_consensus_step(t.spectral_gap, t.beta, p, factor)
            r_thm = _memo(("choco_rate", t.name, lazy, g_thm, p),
                          lambda: choco_gossip_rate(lam, V, g_thm, p)[0])
            best = _memo(("choco_best", t.name, lazy, p), lambda: _best_step(lam, V, p)) \
                if t.n <= best_n else (math.nan, math.nan)
            rows.append((f, t, g_thm, r_thm) + best)
    x = [t.spectral_gap for _, t, _, _, _, _ in rows]
    first = [2 * g * (1 - t.lambda2) for _, t, g, _, _, _ in rows]
    return SimpleNamespace(rows=rows, fast=fast, dense=dense, small=small, p=p, c_div=c_div,
                           max_n=max_n, best_n=best_n, x=x, first=first, params=params)


def _choco_rate_vs_operator(s):
    """The n x n transfer matrix's rate equals the dense operator's (an identity)."""
    fast, dense, small, p = s.fast, s.dense, s.small, s.p
    out = []
    res = check.law(fast, dense, rtol=1e-9,
                    details=f"rate from the n x n transfer matrix (declared spectrum) vs the "
                            f"dense (2n - 1)^2 operator of the dynamics, {[t.name for t in small]}"
                            f", consensus steps 0.05 / 0.3 / 0.8, delta = p = {p:g}")
    Series(Curve(np.arange(len(fast), dtype=float), 1 - np.array(dense), "dense operator",
                 kind="exact", bound=1 - np.array(fast), bound_label="transfer matrix",
                 marker="o", ls=""),
           xlabel="case", ylabel="1 - rate").attach(res)
    out.append(("rate_vs_operator", res))
    return out


def _choco_claim_refuted(s):
    """FINDING: the transcribed rate rho^2 delta/c_div fails at the prescribed step."""
    rows, p, c_div = s.rows, s.p, s.c_div
    out = []
    max_n = s.max_n
    claimed = [(t.name, 1 - r, t.spectral_gap ** 2 * p / c_div) for _, t, _, r, _, _ in rows]
    failures = [n for n, m, b in claimed if m < b]
    worst, worst_name = min((m / b, n) for n, m, b in claimed)
    # FINDING (derived here, not the paper's claim): the SECONDARY transcription of the
    # theorem (step and rate) is refuted by a counterexample. The row passes iff the
    # counterexample is established (worst exact contraction / claimed < 1); asserting the
    # transcribed rate itself would hard-code an unconfirmed claim.
    res = check.bound(worst, 1.0, rtol=0.0,
                      details=f"FINDING (counterexample to the transcribed claim): exact "
                              f"per-step contraction 1 - rate of E||e_t||^2 at the theorem's "
                              f"consensus step gamma = rho^2 delta/(16 rho + rho^2 + 4 beta^2 + "
                              f"2 rho beta^2 - 8 rho delta) [SECONDARY] against the claimed "
                              f"rho^2 delta/{c_div:g} [SECONDARY] (rho = spectral_gap, delta = p "
                              f"= {p:g}), {len(rows)} graphs (n <= {max_n}); the row passes iff "
                              f"the claim fails somewhere (worst ratio {worst:.6g} on "
                              f"{worst_name} < 1). The step is ~ rho^2 delta/(4 beta^2) for small "
                              f"rho and the contraction ~ 2 gamma rho, so the claim needs rho >~ "
                              f"4 beta^2/(2 {c_div:g}); confirm against Koloskova et al. 2019, "
                              f"Theorem 2; failures: {failures}")
    res.extra["series"] = family_series([(f, t.spectral_gap, 1 - r) for f, t, _, r, _, _ in rows],
                                        "spectral_gap", "1 - rate at the theorem's step",
                                        lines=[(f"claimed rho^2 delta/{c_div:g}", 2.0,
                                                (1.0, p / c_div))])
    out.append(("prescribed_step_claim_refuted", res))
    return out


def _choco_first_order(s):
    """1 - rate at the theorem's step is its first-order value 2 gamma (1 - lambda_2)."""
    rows = s.rows
    out = []
    first = s.first
    ratios = [(1 - r) / fo for (_, _, _, r, _, _), fo in zip(rows, first)]
    res = check.tight(max(ratios, key=lambda q: abs(q - 1)), 1.0, (0.97, 1.03),
                      details=f"1 - rate at the theorem's step against the first-order value "
                              f"2 gamma_thm (1 - lambda_2) (derived here: for a small "
                              f"consensus step the slowest mode contracts by 1 - gamma "
                              f"(1 - lambda_2) and x_hat tracks x), worst of {len(rows)} graphs;"
                              f" ratios {min(ratios):.4f} ... {max(ratios):.4f}; band "
                              f"(0.97, 1.03) chosen")
    res.extra["series"] = family_series([(f, t.spectral_gap, q) for (f, t, *_), q in
                                         zip(rows, ratios)], "spectral_gap",
                                        "(1 - rate) / (2 gamma_thm (1 - lambda_2))")
    out.append(("prescribed_step_first_order", res))
    return out


def _choco_prescribed_exponent(s):
    """The exponent of 1 - rate in the spectral gap at the theorem's step."""
    rows, p, c_div = s.rows, s.p, s.c_div
    out = []
    x, first, params = s.x, s.first, s.params
    pred = params.get("prescribed_exponent", ols_slope(x, first)[0])
    res = slope_check(x, [1 - r for _, _, _, r, _, _ in rows], pred, tol=0.1,
                      details=f"{len(rows)} graphs: 1 - rate at the theorem's step against the "
                              f"spectral gap rho; predicted: the exponent {pred:.3f} of the "
                              f"first-order 2 gamma_thm (1 - lambda_2) over the same graphs "
                              f"(gamma_thm ~ rho^2 delta/(4 beta^2) for small rho: exponent "
                              f"-> 3); the theorem's claimed rate rho^2 delta/{c_div:g} has "
                              f"exponent 2")
    res.extra["series"] = family_series([(f, t.spectral_gap, 1 - r)
                                         for f, t, _, r, _, _ in rows], "spectral_gap",
                                        "1 - rate at the theorem's step", predicted=pred,
                                        lines=[(f"claimed rho^2 delta/{c_div:g}", 2.0,
                                                (1.0, p / c_div))])
    out.append(("prescribed_step_exponent", res))
    return out


def _choco_best_step(s):
    """At the best consensus step: the exponent in the gap is at most 2, and the best step
    is at least the theorem's."""
    rows, p, c_div = s.rows, s.p, s.c_div
    out = []
    best_n, params = s.best_n, s.params
    best = [(f, t, g, gb, rb) for f, t, g, _, gb, rb in rows if np.isfinite(rb)]
    gossip = [(1 - rb) / (1 - t.slem_sq) for _, t, _, _, rb in best]
    bb, blo, bhi = ols_slope([t.spectral_gap for _, t, _, _, _ in best],
                             [1 - rb for *_, rb in best])
    res = slope_check([t.spectral_gap for _, t, _, _, _ in best], [1 - rb for *_, rb in best],
                      params.get("best_step_bound_exponent", 2.0), alternative="at_most",
                      details=f"{len(best)} graphs (n <= {best_n}): 1 - rate at the best "
                              f"consensus step (bounded search of log gamma over [1e-4, 1]) "
                              f"against the gap: exponent {bb:.3f} [{blo:.3f}, {bhi:.3f}], at "
                              f"most the theorem's 2 (its rate rho^2 delta/{c_div:g}, if it held "
                              f"at its step, bounds the best step's); best step / theorem's "
                              f"step from {min(gb / g for _, _, g, gb, _ in best):.3g} to "
                              f"{max(gb / g for _, _, g, gb, _ in best):.3g}; (1 - rate_best)/"
                              f"(1 - slem^2) (uncompressed gossip) from {min(gossip):.3g} to "
                              f"{max(gossip):.3g}")
    res.extra["series"] = family_series([(f, t.spectral_gap, 1 - rb) for f, t, _, _, rb in best],
                                        "spectral_gap", "1 - rate at the best consensus step",
                                        lines=[(f"claimed rho^2 delta/{c_div:g}", 2.0,
                                                (1.0, p / c_div)),
                                               ("uncompressed gossip 2 rho", 1.0, (1.0, 2.0))])
    out.append(("best_step_exponent", res))
    res = check.bound(min(gb / g for _, _, g, gb, _ in best), 1.0, lower=True,
                      details="best consensus step >= the theorem's step on every graph (the "
                              "prescribed step is smaller than the best one)")
    res.extra["series"] = family_series([(f, t.spectral_gap, gb / g) for f, t, g, gb, _ in best],
                                        "spectral_gap", "best step / theorem's step",
                                        predicted=-2.0)
    out.append(("best_over_prescribed_step", res))
    return out


#: the CHOCO gossip-rate guarantees, one function each, in report order
CHOCO_GUARANTEES = (_choco_rate_vs_operator, _choco_claim_refuted, _choco_first_order,
                    _choco_prescribed_exponent, _choco_best_step)


register(Theorem(
    key="tang2018.gap_choco", paper="tang2018",
    title="CHOCO-SGD's consensus (follow-up of Tang et al.): exact rate against the gap at the "
          "prescribed and at the best consensus step",
    source="Koloskova, Stich, Jaggi 2019 (CHOCO-Gossip) / Koloskova et al. ICLR 2020, the "
           "consensus step and c = rho^2 delta/82 [SECONDARY: CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco), as registered in "
           "tang2018.choco_nonconvex_bound]; abstract: consensus in O(1/(rho^2 delta) log 1/eps) "
           "[PAPER]; exact rates: derived here",
    status=UNCONFIRMED,
    statement="E||e_t||^2 contracts per step by at least rho^2 delta/82 at gamma = rho^2 delta/"
              "(16 rho + rho^2 + 4 beta^2 + 2 rho beta^2 - 8 rho delta)",
    assumptions=("Bernoulli(p) mask Q (delta = p exactly)", "pure consensus (no gradients)"),
    algorithm="theorytools.algorithms.choco_sgd", checks=_checks_choco,
    hooks={"laziness": "lazy gossip W -> (1 - l) W + l I (default 0)",
           "prescribed_exponent": "planted fault: a wrong exponent of the rate at the "
                                  "prescribed consensus step",
           "best_step_bound_exponent": "planted fault: a wrong exponent of the best-step rate "
                                       "bound"},
    parameters={"c_div": Parameter(82.0, UNCONFIRMED, "c = rho^2 delta / c_div; CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco) "
                                   "[SECONDARY]; confirm in Koloskova et al. 2019, Thm 2"),
                "consensus_step_factor": Parameter(
                    1.0, UNCONFIRMED, "gamma = factor x rho^2 delta/(16 rho + rho^2 + 4 beta^2 "
                    "+ 2 rho beta^2 - 8 rho delta); CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco) [SECONDARY]; confirm in "
                    "Koloskova et al. 2019, Thm 2")},
    proof="none (SECONDARY statement); exact rates: graph_gap.py::choco_gossip_rate, checked "
          "against the dense operator (rate_vs_operator)"))


# --------------------------------------------------------------------------- 5. equal bits
def stationary_second_moment(Abar: np.ndarray, abar: np.ndarray, U: np.ndarray, R: np.ndarray,
                             coef: float, s: float, gamma: float) -> tuple:
    r"""Stationary second moment P of the linear system with Bernoulli multiplicative noise

    .. math:: z^+ = \bar Az + \bar a\xi + U(D - p)\,(Rz - \gamma\xi)/c_0,

    :math:`\xi \sim N(0, sI)`, D a diagonal of independent Bernoulli(p) masks, i.e. [derived
    here] :math:`P = \bar AP\bar A^\top + s\bar a\bar a^\top + \mathrm{coef}\cdot
    U\,\mathrm{Diag}(\mathrm{diag}(RPR^\top) + \gamma^2s)U^\top` with ``coef`` =
    :math:`p(1 - p)/c_0^2`. Solved exactly: with :math:`\mathcal L(F) = \sum_k\bar A^kF
    \bar A^{\top k}` (eigenvectors S of :math:`\bar A`), :math:`q = \mathrm{diag}(RPR^\top)`
    solves :math:`(I - \mathrm{coef}\,H)q = \mathrm{diag}(R\mathcal L(F_0)R^\top)`,
    :math:`F_0 = s\bar a\bar a^\top + \mathrm{coef}\,\gamma^2sUU^\top`,
    :math:`H_{kl} = \mathrm{diag}(R\mathcal L(Ue_le_l^\top U^\top)R^\top)_k` (as in
    :func:`choco_gossip_rate` with r = 1). Returns ``(P, stable)``; ``stable`` is
    :math:`\rho(\bar A) < 1` and :math:`\mathrm{coef}\,\rho(H) < 1` (mean-square stability,
    the small-gain condition of :func:`dcd_threshold`).

    Parameters
    ----------
    Abar : numpy.ndarray
        (m, m) mean map.
    abar : numpy.ndarray
        (m, n) noise input of the mean map.
    U : numpy.ndarray
        (m, n) input of the mask fluctuation.
    R : numpy.ndarray
        (n, m) read-out of the masked vector.
    coef : float
        :math:`p(1 - p)/c_0^2` (0: no masks).
    s : float
        Noise variance.
    gamma : float
        Noise gain inside the masked vector.

    Returns
    -------
    tuple
        ``(P, stable)``; ``P`` is None when not stable.
    """
    lam, S = np.linalg.eig(Abar)
    if np.max(np.abs(lam)) >= 1:
        return None, False
    Sinv = np.linalg.inv(S)
    G = 1.0 / (1.0 - np.outer(lam, lam))

    def lyap(F):
        Ft = Sinv @ F @ Sinv.T
        return (S @ (Ft * G) @ S.T).real

    E = R @ S
    Fm = Sinv @ U
    Z = np.einsum("kj,ij,jl->kil", E, G, Fm, optimize=True)
    H = np.einsum("ki,il,kil->kl", E, Fm, Z, optimize=True).real
    if coef and coef * float(np.max(np.abs(np.linalg.eigvals(H)))) >= 1:
        return None, False
    F0 = s * abar @ abar.T + coef * gamma ** 2 * s * U @ U.T
    q0 = np.diag(R @ lyap(F0) @ R.T)
    q = np.linalg.solve(np.eye(H.shape[0]) - coef * H, q0)
    P = lyap(F0 + coef * U @ np.diag(q) @ U.T)
    return P, True


def equal_bits_consensus(top: Topology, method: str, p: float, gamma: float, a: float = 1.0,
                         s: float = 1.0, consensus_step: float | None = None) -> float:
    r"""Exact stationary per-node consensus distance :math:`\frac1n\mathbb{E}\sum_i\|x_i -
    \bar x\|^2` (one coordinate) on :math:`f_i = \frac a2x^2` with additive gradient noise of
    variance s, SGD step ``gamma``, of

    * ``"dpsgd"``: D-PSGD (Lian form, full precision; ``p`` ignored);
    * ``"dcd"``: DCD-PSGD with the scaled Bernoulli(p) sparsifier (:math:`\alpha^2 = 1/p - 1`):
      :math:`x^+ = x + D z/p`, :math:`z = (W - I - \gamma aI)x - \gamma\xi`;
    * ``"choco"``: CHOCO-SGD with the unscaled Bernoulli(p) mask (:math:`\delta = p`) and
      consensus step ``consensus_step``: :math:`x_{1/2} = (1 - \gamma a)x - \gamma\xi`,
      :math:`\hat x^+ = \hat x + D(x_{1/2} - \hat x)`, :math:`x^+ = x_{1/2} +
      \gamma_c(W - I)\hat x^+` (the toolkit's ``choco_sgd``).

    Both compressed methods send one Bernoulli(p)-sparsified vector per node per iteration:
    equal bits. Returns ``inf`` when the method is not mean-square stable. Uses the declared
    ``top.W`` (the recursion :func:`equal_bits_recursion` runs the dynamics' matrix).

    Parameters
    ----------
    top : Topology
        The declared topology.
    method : {"dpsgd", "dcd", "choco"}
        Algorithm.
    p : float
        Keep probability of the masks.
    gamma : float
        SGD step.
    a : float, optional
        Curvature.
    s : float, optional
        Noise variance.
    consensus_step : float, optional
        CHOCO's consensus step.

    Returns
    -------
    float
        Per-node stationary consensus distance (``inf`` if unstable).
    """
    n = top.n
    W = np.array(top.W)
    I = np.eye(n)
    if method in ("dpsgd", "dcd"):
        B = W - gamma * a * I
        coef = 0.0 if method == "dpsgd" else (1.0 - p) / p
        P, ok = stationary_second_moment(B, -gamma * I, I, B - I, coef, s, gamma)
        X = P if ok else None
    elif method == "choco":
        gc = consensus_step
        Uc = np.vstack([gc * (W - I), I])
        R = np.hstack([(1.0 - gamma * a) * I, -I])
        A0 = np.block([[(1.0 - gamma * a) * I, gc * (W - I)], [np.zeros((n, n)), I]])
        a0 = np.vstack([-gamma * I, np.zeros((n, n))])
        Abar = A0 + p * Uc @ R
        abar = a0 - p * gamma * Uc
        P, ok = stationary_second_moment(Abar, abar, Uc, R, p * (1.0 - p), s, gamma)
        X = P[:n, :n] if ok else None
    else:
        raise ValueError(f"method must be 'dpsgd', 'dcd' or 'choco', got {method!r}")
    if X is None:
        return math.inf
    return float(np.trace(X) - X.sum() / n) / n


def equal_bits_recursion(top: Topology, method: str, p: float, gamma: float, a: float = 1.0,
                         s: float = 1.0, consensus_step: float | None = None, T: int = 4000,
                         *, laziness: float = 0.0) -> float:
    """The consensus distance at step T by iterating the second-moment recursion from 0 (the
    reference for :func:`equal_bits_consensus`; small n).

    Parameters
    ----------
    top, method, p, gamma, a, s, consensus_step : see :func:`equal_bits_consensus`
        As there.
    T : int, optional
        Number of steps.
    laziness : float, optional
        Planted fault (:func:`dynamics_matrix`).

    Returns
    -------
    float
        Per-node consensus distance at step T.
    """
    n = top.n
    W = dynamics_matrix(top, laziness)
    I = np.eye(n)
    if method in ("dpsgd", "dcd"):
        A, ab, U, R = W - gamma * a * I, -gamma * I, I, W - gamma * a * I - I
        coef = 0.0 if method == "dpsgd" else (1.0 - p) / p
    else:
        gc = consensus_step
        U = np.vstack([gc * (W - I), I])
        R = np.hstack([(1.0 - gamma * a) * I, -I])
        A = np.block([[(1.0 - gamma * a) * I, gc * (W - I)], [np.zeros((n, n)), I]]) + p * U @ R
        ab = np.vstack([-gamma * I, np.zeros((n, n))]) - p * gamma * U
        coef = p * (1.0 - p)
    P = np.zeros_like(A)
    for _ in range(T):
        q = np.diag(R @ P @ R.T) + gamma ** 2 * s
        P = A @ P @ A.T + s * ab @ ab.T + coef * U @ np.diag(q) @ U.T
    X = P[:n, :n]
    return float(np.trace(X) - X.sum() / n) / n


EQUAL_BITS_P, EQUAL_BITS_GAMMA = 0.6, 1e-3


def _checks_equal_bits(th, quick, seed=0, **params):
    """Equal bits per iteration: one function per guarantee over the exact stationary
    consensus distances of :func:`_equal_bits_setup` (no random draw)."""
    s = _equal_bits_setup(quick, params)
    for guarantee in EQUAL_BITS_GUARANTEES:
        yield from guarantee(s)


def _equal_bits_setup(quick, params):
    """Stationary consensus distances: the transfer-matrix solve against the recursion on
    small graphs; D-PSGD, DCD, CHOCO (theorem's and a fixed step) on the family graphs."""
    from types import SimpleNamespace

    from theorytools import topology as tp
    from theorytools.theory.choco2020 import choco_consensus_step

    lazy = params.get("laziness", 0.0)
    p, g = EQUAL_BITS_P, EQUAL_BITS_GAMMA
    gc_fixed = 0.5
    fams = _families(256)
    with _one_blas_thread():
        small = [tp.ring(6), tp.star(5), tp.grid2d(2, 3)]
        exact, rec = [], []
        for t in small:
            for m, gc in (("dpsgd", None), ("dcd", None), ("choco", 0.5)):
                exact.append(equal_bits_consensus(t, m, p, 0.05, consensus_step=gc))
                rec.append(equal_bits_recursion(t, m, p, 0.05, consensus_step=gc, T=6000,
                                                laziness=lazy))
        rows = []
        for f, t in _all(fams):
            if t.n > 64:
                continue
            def make(t=t):
                d = equal_bits_consensus(t, "dpsgd", p, g)
                gt = choco_consensus_step(t.spectral_gap, t.beta, p)
                return (equal_bits_consensus(t, "dcd", p, g) / d,
                        equal_bits_consensus(t, "choco", p, g, consensus_step=gt) / d,
                        equal_bits_consensus(t, "choco", p, g, consensus_step=gc_fixed) / d)
            rows.append((f, t) + _memo(("equal_bits", t.name, p, g, gc_fixed), make))
    x = [t.spectral_gap for _, t, *_ in rows]
    head = (f"{len(rows)} graphs (n <= 64), equal bits: one Bernoulli(p = {p:g}) vector per node "
            f"per iteration, SGD step {g:g}, noise only; stationary consensus distance over "
            f"D-PSGD's (full precision)")
    return SimpleNamespace(exact=exact, rec=rec, small=small, rows=rows, x=x, head=head, p=p,
                           g=g, gc_fixed=gc_fixed, fams=fams, lazy=lazy, params=params)


def _equal_bits_stationary(s):
    """The transfer-matrix solve equals the second-moment recursion (an identity)."""
    exact, rec, small, p = s.exact, s.rec, s.small, s.p
    out = []
    res = check.law(exact, rec, rtol=1e-9,
                    details=f"stationary consensus distance (transfer-matrix solve, declared W) "
                            f"vs 6000 steps of the second-moment recursion (the dynamics) for "
                            f"D-PSGD / DCD / CHOCO (gamma_c = 0.5) on {[t.name for t in small]}, "
                            f"p = {p:g}, gamma = 0.05")
    Series(Curve(np.arange(len(exact), dtype=float), np.array(rec), "recursion", kind="exact",
                 bound=np.array(exact), bound_label="stationary solve", marker="o", ls=""),
           xlabel="case", ylabel="(1/n) E sum_i (x_i - x_bar)^2").attach(res)
    out.append(("stationary_vs_recursion", res))
    return out


def _equal_bits_dcd(s):
    """DCD's inflation of the consensus distance does not grow as the gap closes."""
    rows, x, head, p, params = s.rows, s.x, s.head, s.p, s.params
    out = []
    dcd = [r[2] for r in rows]
    res = slope_check(x, dcd, params.get("dcd_exponent", 0.0),
                      details=f"{head}: DCD-PSGD (alpha^2 = {1 / p - 1:.3g}) inflation "
                              f"{min(dcd):.3g} ... {max(dcd):.3g} against the gap; derived: D = W "
                              f"- I damps the slow modes (as for the stability limit), so the "
                              f"inflation does not grow as the gap closes; Tang's Theorem 1 "
                              f"condition alpha <= (1 - slem)/(2 sqrt2 mu_W) fails on every graph "
                              f"here (it predicts nothing)")
    res.extra["series"] = family_series([(f, t.spectral_gap, r) for f, t, r, _, _ in rows],
                                        "spectral_gap", "DCD consensus / D-PSGD consensus",
                                        predicted=0.0)
    out.append(("dcd_inflation_exponent", res))
    return out


def _equal_bits_choco(s):
    """CHOCO's inflation grows no faster than its bound's rho^-4."""
    rows, x, head, gc_fixed, params = s.rows, s.x, s.head, s.gc_fixed, s.params
    out = []
    ch = [r[3] for r in rows]
    chf = [r[4] for r in rows]
    b, lo, hi = ols_slope(x, chf)
    res = slope_check(x, ch, params.get("choco_bound_exponent", -4.0), alternative="at_least",
                      details=f"{head}: CHOCO-SGD at the theorem's consensus step, inflation "
                              f"{min(ch):.3g} ... {max(ch):.3g}; the bound's consensus term "
                              f"G^2 n L/(c^2 T), c = rho^2 delta/82, grows as rho^-4: the "
                              f"measured exponent must not be steeper; at a fixed consensus step "
                              f"{gc_fixed:g}: inflation {min(chf):.3g} ... {max(chf):.3g}, "
                              f"exponent {b:.3f} [{lo:.3f}, {hi:.3f}]; smallest gap "
                              f"({rows[int(np.argmin(x))][1].name}): DCD "
                              f"{rows[int(np.argmin(x))][2]:.3g}x, CHOCO (theorem's step) "
                              f"{rows[int(np.argmin(x))][3]:.3g}x, CHOCO (step {gc_fixed:g}) "
                              f"{rows[int(np.argmin(x))][4]:.3g}x")
    res.extra["series"] = family_series([(f, t.spectral_gap, r) for f, t, _, r, _ in rows],
                                        "spectral_gap",
                                        "CHOCO (theorem's step) consensus / D-PSGD consensus",
                                        lines=[("bound's rho^-4 (through the largest gap)", -4.0,
                                                (max(x), ch[int(np.argmax(x))]))])
    out.append(("choco_inflation_exponent", res))
    return out


def _equal_bits_ecd(s):
    """ECD-PSGD with a relative compressor diverges (exact second moments)."""
    p, g, fams, lazy, params = s.p, s.g, s.fams, s.lazy, s.params
    out = []
    # ECD-PSGD with the same scaled Bernoulli(p): exact second moments over t
    p_ecd = params.get("ecd_p", p)
    T_ecd = 400
    with _one_blas_thread():
        ecd = []
        for f, t in _all(fams):
            if t.n > 16:
                continue
            cons, msq = _memo(("ecd", t.name, p_ecd, g, T_ecd, lazy),
                              lambda: ecd_second_moments(t, p_ecd, g, T_ecd, laziness=lazy))
            tot = cons + msq
            ecd.append((f, t, tot, float(np.log(tot[T_ecd] / tot[T_ecd // 2]) / (T_ecd // 2))))
    slowest = min(ecd, key=lambda r: r[3])
    res = check.diverges(slowest[2][T_ecd // 2:],
                         details=f"ECD-PSGD, scaled Bernoulli(p = {p_ecd:g}) (equal bits), step "
                                 f"{g:g}: exact (1/n) E sum_i x_i^2 over t in [{T_ecd // 2}, "
                                 f"{T_ecd}] on the graph where it grows slowest "
                                 f"({slowest[1].name}); log-growth per step on the {len(ecd)} "
                                 f"graphs with n <= 16: {min(r[3] for r in ecd):.3g} ... "
                                 f"{max(r[3] for r in ecd):.3g}, not ordered by the gap. Tang's "
                                 f"Theorem 2 assumes bounded absolute compression noise; a "
                                 f"relative compressor's noise scales with ||z_t|| ~ (t/2)||x_(t+1)"
                                 f" - x_t|| (derived ECD error (docs/sources.md#derived)), and x_(t+1) - x_t contains W e_t, so the "
                                 f"estimate error feeds back and the second moment grows "
                                 f"geometrically")
    gb_, glo, ghi = ols_slope([r[1].spectral_gap for r in ecd], [r[3] for r in ecd])
    res.details += (f"; log-growth rate against the gap: exponent {gb_:.3f} [{glo:.3f}, "
                    f"{ghi:.3f}] (reported)")
    res.extra["series"] = family_series([(f, t.spectral_gap, r) for f, t, _, r in ecd],
                                        "spectral_gap",
                                        "ECD: log-growth of E x^2 per step, t in [200, 400]")
    out.append(("ecd_diverges", res))
    return out


#: the equal-bits guarantees, one function each, in report order
EQUAL_BITS_GUARANTEES = (_equal_bits_stationary, _equal_bits_dcd, _equal_bits_choco,
                         _equal_bits_ecd)


register(Theorem(
    key="tang2018.gap_equal_bits", paper="tang2018",
    title="ECD-PSGD vs DCD-PSGD vs CHOCO-SGD at equal bits per iteration as the gap closes: "
          "consensus distance over D-PSGD's",
    source="Tang et al. 2018 Theorem 1 (DCD) [UNCONFIRMED]; Koloskova et al. 2020 Thm 4.1 "
           "(CHOCO) [SECONDARY]; exact stationary second moments: derived here "
           "(graph_gap.py::stationary_second_moment)",
    status=DERIVED,
    statement="DCD's inflation over D-PSGD is flat in the gap; CHOCO's (theorem's step) grows "
              "no faster than the bound's rho^-4; ECD with the same relative compressor "
              "diverges on every graph",
    assumptions=("f_i = a/2 x^2, additive gradient noise", "Bernoulli(p) masks, p = 0.6",
                 "constant SGD step 1e-3"),
    algorithm="theorytools.algorithms.dcd_psgd", checks=_checks_equal_bits,
    hooks={"laziness": "lazy gossip W -> (1 - l) W + l I (default 0)",
           "dcd_exponent": "planted fault: a wrong exponent of DCD's stationary error",
           "choco_bound_exponent": "planted fault: a wrong exponent of CHOCO's bound",
           "ecd_p": "planted fault: ECD's compression p differs from the others'"},
    proof="theorytools/theory/graph_gap.py::stationary_second_moment (docstring); checked "
          "against the recursion by the check stationary_vs_recursion"))


def ecd_second_moments(top: Topology, p: float, gamma: float, T: int, a: float = 1.0,
                       s: float = 1.0, *, laziness: float = 0.0) -> tuple:
    r"""Exact per-node consensus distance :math:`\frac1n\mathbb{E}\sum_i(x_{t,i} - \bar x_t)^2`
    and :math:`\mathbb{E}\bar x_t^2`, t = 1..T+1, of ECD-PSGD (Tang et al. 2018, Algorithm 2, docs/sources.md#tang) with the scaled Bernoulli(p) sparsifier on :math:`f_i = \frac a2x^2` with additive
    gradient noise of variance s, from :math:`x_1 = \tilde y_1 = 0`. With the estimate error
    :math:`e_t = \tilde y_t - x_t` (the identity of Tang et al. 2018, Algorithm 2 (ECD-PSGD), docs/sources.md#tang: :math:`e_{t+1} = (1 - 2/t)e_t +
    (2/t)q_t`), :math:`w = (x, e)` obeys [derived here]

    .. math::
       x_{t+1} = (W - \gamma aI)x_t + We_t - \gamma\xi_t,\quad
       z_t = (1 - \tfrac t2)x_t + \tfrac t2x_{t+1},\quad
       q_t = (D_t/p - I)z_t,

    so :math:`P_{t+1} = A_tP_tA_t^\top + \gamma^2s\,\mathrm{blkdiag}(I, 0) + \frac4{t^2}
    \frac{1-p}p\,\mathrm{blkdiag}(0, \mathrm{Diag}(\mathrm{diag}(Z_tP_tZ_t^\top) +
    \frac{t^2}4\gamma^2s))` with :math:`A_t = [[W - \gamma aI, W], [0, (1 - 2/t)I]]`,
    :math:`Z_t = [(1 - \frac t2)I + \frac t2(W - \gamma aI), \frac t2W]`. Checked against the
    simulator (``theorytools.algorithms.ecd_psgd``) in tests/test_theory_graph.py.

    Parameters
    ----------
    top : Topology
        The topology.
    p : float
        Keep probability of the scaled Bernoulli sparsifier.
    gamma : float
        Step.
    T : int
        Number of steps.
    a : float, optional
        Curvature.
    s : float, optional
        Noise variance.
    laziness : float, optional
        Planted fault (:func:`dynamics_matrix`).

    Returns
    -------
    tuple
        ``(consensus, mean_sq)``, arrays of length T + 1 (t = 1 .. T + 1).
    """
    n = top.n
    W = dynamics_matrix(top, laziness)
    I = np.eye(n)
    B = W - gamma * a * I
    beta = (1.0 - p) / p
    P = np.zeros((2 * n, 2 * n))
    cons = np.empty(T + 1)
    mean_sq = np.empty(T + 1)
    for t in range(1, T + 2):
        X = P[:n, :n]
        cons[t - 1] = float(np.trace(X) - X.sum() / n) / n
        mean_sq[t - 1] = float(X.sum()) / n ** 2
        if t == T + 1:
            break
        A = np.block([[B, W], [np.zeros((n, n)), (1.0 - 2.0 / t) * I]])
        Z = np.hstack([(1.0 - t / 2.0) * I + (t / 2.0) * B, (t / 2.0) * W])
        q = np.einsum("ij,jk,ik->i", Z, P, Z) + (t / 2.0) ** 2 * gamma ** 2 * s
        P = A @ P @ A.T
        P[:n, :n] += gamma ** 2 * s * I
        P[n:, n:] += (4.0 / t ** 2) * beta * np.diag(q)
    return cons, mean_sq
