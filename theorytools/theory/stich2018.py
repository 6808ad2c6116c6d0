r"""Stich, "Local SGD Converges Fast and Communicates Little" (ICLR 2019): registered theorems.

Checks rest on EXACT expectations: on an identical strongly convex quadratic
:math:`f_k = f = \frac12 x^\top A x - b^\top x` with additive Gaussian gradient noise
(:math:`\mathbb{E}\|\xi\|^2 = \sigma^2`, isotropic), local SGD's average
:math:`\bar x_t` follows :math:`e_{t+1} = (I - \eta_t A)e_t - \eta_t\bar\xi_t`,
:math:`\bar\xi_t \sim N(0, \frac{\sigma^2}{dK}I)` for every H (synchronisation preserves the
mean; derived local-SGD facts (docs/sources.md#derived) [DERIVED]), and Stich's output
:math:`\hat x_T - x^\star = \frac{1}{S_T}\sum_t w_t e_t` is Gaussian with a mean and covariance
propagated exactly in A's eigenbasis (:func:`exact_local_sgd`). The workers' drift
:math:`\delta^k = x^k - \bar x` is independent of :math:`\bar x` (its noise
:math:`\xi^k - \bar\xi` is uncorrelated with :math:`\bar\xi`), with per-coordinate variance
:math:`v_{t+1} = (1-\eta_t a)^2 v_t + \eta_t^2\frac{\sigma^2}{d}(1 - \frac1K)`, reset to 0 at a
synchronisation; so the theorem's :math:`G^2 = \sup_t \mathbb{E}\|g^k_t\|^2` over the iterates
is exact too: :math:`G^2_t = \sum_j a_j^2(\mathbb{E}e_{t,j}^2 + v_{t,j}) + \sigma^2`.

Asynchronous (staggered) synchronisation breaks the first fact: a partial average moves the
mean, so :func:`exact_local_sgd_schedule` propagates the workers' full K x K covariance per
eigen-coordinate instead (any schedule; equal to :func:`exact_local_sgd` for the synchronous
one), and :func:`drift_constant` derives the drift lemma's constant for a schedule
(``stich2018.asynchronous``). The largest H that keeps the rate cannot be seen on quadratics
(H has no effect there): ``stich2018.h_crit`` measures it on identical-data logistic
regression (:func:`logistic_identical`) with the simulator, by Monte Carlo with common random
numbers (checks (docs/sources.md#checks) S-2).

Sources: Stich, ICLR 2019 (arXiv 1805.09767), Theorem 2.2, Corollary 2.3 and the abstract,
through Stich 2019 (docs/sources.md#local-sgd) (constants SECONDARY + re-derived); the improved
local-SGD bounds (drift linear in H) of improved local SGD bounds (docs/sources.md#local-sgd) [SECONDARY/UNCONFIRMED].
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy import stats

from theorytools import check
from theorytools.report import Curve, Series
from theorytools.theory.common import BOUND_SCALE_HOOK, scaled_bound, seeded
from theorytools.theory.registry import DERIVED, UNCONFIRMED, Parameter, Theorem, register

__all__ = ["ASYNC_SOURCE", "HCRIT_SOURCE", "SOURCE_22", "TIGHT_22", "admissible_22", "drift_constant",
           "exact_local_sgd", "exact_local_sgd_schedule", "h_crit", "h_sweep",
           "logistic_identical", "minibatch_reference", "replay_local_sgd", "sync_offsets",
           "sync_schedule", "theorem_2_2_bound"]

SOURCE_22 = ("Stich 2019, Theorem 2.2 [SECONDARY + DERIVED: docs/sources.md#local-sgd, "
             "constants re-derived; proofs_check/stich_local_sgd.py::theorem_2_2_terms]")


def theorem_2_2_bound(mu, L, K, T, H, a, sigma_sq, G_sq, r0, *, init_coef=0.5, noise_coef=4.0,
                      drift_coef=256.0):
    r"""Stich's Theorem 2.2 with :math:`\eta_t = 4/(\mu(a+t))`, :math:`w_t = (a+t)^2`:

    .. math:: \mathbb{E}f(\hat x_T) - f^\star \le \frac{\mu a^3}{2 S_T}\|x_0 - x^\star\|^2
       + \frac{4T(T+2a)}{\mu K S_T}\sigma^2 + \frac{256\,T}{\mu^2 S_T}G^2H^2L,
       \quad S_T = \sum_{t=0}^{T-1}(a+t)^2.

    The three coefficients are keyword arguments (defaults: the theorem's 1/2, 4, 256) so a test
    can plant a wrong one."""
    s_t = float(np.sum((a + np.arange(T, dtype=float)) ** 2))
    return (init_coef * mu * a ** 3 * r0 / s_t + noise_coef * T * (T + 2 * a) * sigma_sq
            / (mu * K * s_t) + drift_coef * T * G_sq * H ** 2 * L / (mu ** 2 * s_t))


def admissible_22(mu, L, H, a):
    """Theorem 2.2's condition a > max(16 kappa, H)."""
    need = max(16 * L / mu, H)
    return [] if a > need else [f"a = {a:g} must exceed max(16 kappa, H) = {need:g}"]


def exact_local_sgd(eig, x0_minus_xstar, sigma, K, T, H, a, *, steps=None):
    """Exact E f(x_hat_T) - f*, E||x_hat_T - x*||^2 and sup_t G_t^2 (see module docstring),
    in A's eigenbasis: ``eig`` the eigenvalues, ``x0_minus_xstar`` the initial error in that
    basis. ``steps``: the step sizes (default Stich's 4/(mu (a + t)))."""
    eig = np.asarray(eig, dtype=float)
    d = eig.size
    mu = float(eig.min())
    t_idx = np.arange(T, dtype=float)
    eta = 4.0 / (mu * (a + t_idx)) if steps is None else np.asarray(steps, dtype=float)
    w = (a + t_idx) ** 2
    s_t = float(w.sum())
    q = sigma ** 2 / (d * K)                   # per-coordinate variance of the averaged noise
    qd = sigma ** 2 / d * (1.0 - 1.0 / K)      # ... of a worker's deviation noise
    m_e = np.asarray(x0_minus_xstar, dtype=float).copy()   # E e_t
    v_ee = np.zeros(d)                          # Var e_t
    m_y = np.zeros(d)                           # E y_t, y_t = sum_{s<t} w_s e_s
    v_yy = np.zeros(d)
    c_ey = np.zeros(d)                          # Cov(e_t, y_t)
    v_dev = np.zeros(d)                         # Var delta_t^k
    g_sup = 0.0
    for t in range(T):
        g_t = float(np.sum(eig ** 2 * (m_e ** 2 + v_ee + v_dev))) + sigma ** 2
        g_sup = max(g_sup, g_t)
        m = 1.0 - eta[t] * eig
        # y_{t+1} = y_t + w_t e_t ; e_{t+1} = m e_t - eta xi
        m_y, v_yy = m_y + w[t] * m_e, v_yy + 2 * w[t] * c_ey + w[t] ** 2 * v_ee
        c_ey = m * (c_ey + w[t] * v_ee)
        v_ee = m * m * v_ee + eta[t] ** 2 * q
        m_e = m * m_e
        v_dev = m * m * v_dev + eta[t] ** 2 * qd
        if (t + 1) % H == 0:
            v_dev = np.zeros(d)
    err_sq = (m_y ** 2 + v_yy) / s_t ** 2
    return 0.5 * float(np.sum(eig * err_sq)), float(np.sum(err_sq)), g_sup


def _problem(quick):
    from theorytools.problems import quadratic
    return quadratic(8 if quick else 16, 4, 1.0, 2.0, sigma=1.0, seed=3)


def _eigen_setup(problem, x0):
    A = problem.arrays["A"][0]
    eig, Q = np.linalg.eigh(A)
    return eig, Q.T @ (x0 - problem.x_star)


def _checks_22(th, quick, seed=0, **params):
    """Theorem 2.2 against exact expectations (no random draw), then where it is tight.
    ``bound_scale`` (planted fault): the bound multiplied by this factor."""
    th = scaled_bound(th, params.pop("bound_scale", 1.0))
    coefs = {k: params[k] for k in ("init_coef", "noise_coef", "drift_coef") if k in params}
    p = _problem(quick)
    x0 = np.zeros(p.d)
    eig, e0 = _eigen_setup(p, x0)
    sigma = math.sqrt(p.sigma_sq)
    for K, T, H in ((4, 400, 8), (8, 800, 16)) if quick else \
            ((4, 400, 8), (8, 800, 16), (16, 2000, 4), (2, 1000, 32)):
        a = max(16 * p.L / p.mu, H) + 1.0
        th.require_admissible(mu=p.mu, L=p.L, H=H, a=a)
        exact, _, g_sup = exact_local_sgd(eig, e0, sigma, K, T, H, a)
        b = th.bound(mu=p.mu, L=p.L, K=K, T=T, H=H, a=a, sigma_sq=p.sigma_sq, G_sq=g_sup,
                     r0=float(e0 @ e0), **coefs)
        result = check.bound(exact, b, details=f"exact E f(x_hat) - f* (Gaussian "
                                               f"propagation); G^2 = {g_sup:.4g} = sup over "
                                               f"the iterates (exact), sigma^2 = {p.sigma_sq:g}")
        # the whole curve in T, for the report: exact error and bound against T and bits
        Ts = np.unique(np.geomspace(max(2, H), T, 12).astype(int))
        curve = [exact_local_sgd(eig, e0, sigma, K, int(t), H, a) for t in Ts]
        Series(Curve(Ts, np.array([c[0] for c in curve]), "exact expectation (no sampling)",
                     kind="exact",
                     bound=np.array([th.bound(mu=p.mu, L=p.L, K=K, T=int(t), H=H, a=a,
                                              sigma_sq=p.sigma_sq, G_sq=c[2],
                                              r0=float(e0 @ e0), **coefs)
                                     for t, c in zip(Ts, curve)]),
                     bits=Ts // H * 32 * p.d * K),
               xlabel="iterations T", ylabel="E f(x_hat_T) - f*", logx=True).attach(result)
        yield f"bound[K={K},T={T},H={H}]", result
    yield from _checks_22_tight(th, quick, **params)
    # the simulator's x_hat equals the exact mean trajectory when sigma = 0 (an identity)
    from theorytools.algorithms import local_sgd
    from theorytools.problems import quadratic
    q = quadratic(4, 4, 1.0, 2.0, seed=3)
    eig_q, e0_q = _eigen_setup(q, np.zeros(4))
    a = max(16 * q.L / q.mu, 4) + 1.0
    tr = local_sgd(q, 200, 4, a=a, record=np.array([0, 200]))
    predicted, _, _ = exact_local_sgd(eig_q, e0_q, 0.0, 4, 200, 4, a)
    yield "simulator_x_hat_noiseless", check.law(tr.meta["f_gap_x_hat"], predicted, rtol=1e-9,
                                                 atol=1e-15, details="x_hat of the simulator "
                                                 "vs the exact recursion, sigma = 0")


# Where the bound is tight (issue 11: every configuration above is vacuous, exact / bound
# 7e-5 .. 3e-4, because the drift term 256 T G^2 H^2 L/(mu^2 S_T) ~ 768 G^2 H^2 kappa/(mu T^2)
# dominates at T <= 2000). The noise term 4T(T+2a) sigma^2/(mu K S_T) ~ 12 sigma^2/(mu K T)
# decays only like 1/T, so at small H and long T the bound is within 30x of the exact error
# (docs/theorems.md, "Vacuous bound checks").
TIGHT_22 = (2, 20000, 2)          # (K, T, H): exact / bound = 0.043 on _problem's quadratic


def _checks_22_tight(th, quick, **params):
    """Theorem 2.2 at (K, T, H) = :data:`TIGHT_22` on the same quadratic (kappa = 2, d = 4,
    x0 = 0, a = 16 kappa + 1, admissible), exact expectation. Planted faults (``params``):
    ``init_coef``/``noise_coef``/``drift_coef``; ``planted_steps`` ``(T, a, mu) -> eta``
    replaces Stich's step sizes (a worse algorithm)."""
    coefs = {k: params[k] for k in ("init_coef", "noise_coef", "drift_coef") if k in params}
    p = _problem(quick)
    eig, e0 = _eigen_setup(p, np.zeros(p.d))
    K, T, H = TIGHT_22
    a = max(16 * p.L / p.mu, H) + 1.0
    th.require_admissible(mu=p.mu, L=p.L, H=H, a=a)
    planted = params.get("planted_steps")
    steps = None if planted is None else planted(T, a, p.mu)
    exact, _, g_sup = exact_local_sgd(eig, e0, math.sqrt(p.sigma_sq), K, T, H, a, steps=steps)
    b = th.bound(mu=p.mu, L=p.L, K=K, T=T, H=H, a=a, sigma_sq=p.sigma_sq, G_sq=g_sup,
                 r0=float(e0 @ e0), **coefs)
    yield f"bound_tight[K={K},T={T},H={H}]", check.bound(exact, b, details=(
        f"exact E f(x_hat) - f* at small H and long T, where the noise term "
        f"12 sigma^2/(mu K T) dominates the bound; G^2 = {g_sup:.4g} (exact sup), "
        f"sigma^2 = {p.sigma_sq:g}"))


register(Theorem(
    key="stich2018.theorem_2_2", paper="stich2018",
    title="Local SGD: E f(x_hat_T) - f* bound with explicit constants",
    source=SOURCE_22, status=DERIVED,
    statement="E f(x_hat_T) - f* <= mu a^3/(2 S_T) r0 + 4T(T+2a) sigma^2/(mu K S_T) "
              "+ 256 T G^2 H^2 L/(mu^2 S_T)",
    assumptions=("L-smooth", "mu-strongly convex", "identical data", "E||g - grad f||^2 <= "
                 "sigma^2", "E||g||^2 <= G^2 along the iterates"),
    algorithm="theorytools.algorithms.local_sgd", bound=theorem_2_2_bound,
    admissible=admissible_22, checks=_checks_22,
    hooks={"init_coef": "planted fault: a wrong coefficient of the initial-distance term",
           "noise_coef": "planted fault: a wrong coefficient of the noise term",
           "drift_coef": "planted fault: a wrong coefficient of the drift term",
           "planted_steps": "planted fault: (T, a, mu) -> step sizes replacing Stich's",
           "bound_scale": BOUND_SCALE_HOOK},
    proof="proofs_check/stich_local_sgd.py::theorem_2_2_terms"))


def _checks_speedup(th, quick, seed=0, **params):
    """Linear speedup: with the noise term dominant, E f(x_hat_T) - f* is proportional to
    1/K (exact values; fitted exponent in K, predicted -1)."""
    p = _problem(quick)
    eig, e0 = _eigen_setup(p, np.zeros(p.d))
    T, H = (4000, 8) if quick else (20000, 8)
    a = max(16 * p.L / p.mu, H) + 1.0
    Ks = np.array([1, 2, 4, 8, 16])
    errs = np.array([exact_local_sgd(eig, e0, math.sqrt(p.sigma_sq), int(K), T, H, a)[0]
                     for K in Ks])
    fitted = float(np.polyfit(np.log(Ks), np.log(errs), 1)[0])
    result = check.slope([fitted], params.get("predicted", -1.0), tol=0.05,
                         details=f"exact errors {np.array2string(errs, precision=3)} at T={T}, "
                                 f"H={H}")
    result.extra["series"] = _speedup_series(Ks, errs, fitted,
                                             "synchronous local SGD, exact expectation")
    yield "exponent_in_K", result


def _speedup_series(Ks, errs, fitted, label):
    """Report curve of a linear-speedup check: exact errors against K, with the predicted
    1/K line through the K = 1 value as the envelope (every worker sends the same T/H
    messages of 32d bits whatever K, so there is no bits axis)."""
    return Series(Curve(np.asarray(Ks), np.asarray(errs),
                        f"{label} (fitted exponent {fitted:.3f})", kind="exact",
                        bound=errs[0] * Ks[0] / np.asarray(Ks, dtype=float),
                        bound_label="predicted 1/K (through K = 1)"),
                  xlabel="workers K", ylabel="E f(x_hat_T) - f*", logx=True)


register(Theorem(
    key="stich2018.linear_speedup", paper="stich2018",
    title="Local SGD: linear speedup in the number of workers K",
    source="Stich 2019, abstract and Corollary 2.3 [PAPER (abstract) + DERIVED]",
    status=DERIVED, statement="E f(x_hat_T) - f* = O(sigma^2/(mu K T)) when the noise dominates",
    assumptions=("identical data", "noise-dominated regime"),
    algorithm="theorytools.algorithms.local_sgd", checks=_checks_speedup,
    hooks={"predicted": "planted fault: a wrong exponent of K (default -1)"},
    proof="theorytools/theory/stich2018.py::exact_local_sgd, validated by "
          "tests/test_theory_stich.py::test_exact_propagation_matches_monte_carlo"))


def _checks_h(th, quick, seed=0, **params):
    """Identical quadratics + additive noise: the workers' average is mini-batch SGD pathwise
    for every H (derived local-SGD facts (docs/sources.md#derived), I-6): a law on the simulator."""
    from theorytools.algorithms import local_sgd, minibatch_sgd
    p = _problem(True)
    mb = minibatch_sgd(p, 0.05, 100, seed=5 + seed, record=np.array([0, 100]))
    for H in (1, 4, 16):
        loc = local_sgd(p, 100, H, stepsize=0.05, seed=5 + seed, record=np.array([0, 100]))
        yield f"average_equals_minibatch[H={H}]", seeded(check.law(
            loc.X.mean(axis=0), mb.x_bar, rtol=1e-12, atol=1e-14))


register(Theorem(
    key="stich2018.h_independence_quadratic", paper="stich2018",
    title="Quadratics with additive noise: the local-SGD average does not depend on H",
    source="derived local-SGD facts (docs/sources.md#derived); checks I-6 (docs/sources.md#checks) [DERIVED]; cf. Woodworth et al. "
           "2020 [SECONDARY]", status=DERIVED,
    statement="x_bar_t(H) = x_t(mini-batch SGD) for every H",
    algorithm="theorytools.algorithms.local_sgd", checks=_checks_h,
    proof="tests/test_algorithms.py::"
          "test_local_sgd_average_is_independent_of_h_on_quadratics_with_additive_noise"))


# =========================================================================== schedules
def sync_offsets(K, H, asynchronous=False):
    r"""The workers' synchronisation offsets of :func:`theorytools.algorithms.local_sgd`:
    :math:`o_k = \lfloor kH/K \rfloor` (asynchronous) or 0 (synchronous); worker k averages
    after the local step of iteration t iff :math:`(t + 1 + o_k) \bmod H = 0`."""
    k = np.arange(K, dtype=np.int64)
    return k * H // K if asynchronous else np.zeros(K, np.int64)


def sync_schedule(K, T, H, asynchronous=False):
    """Boolean (T, K): ``[t, k]`` is True iff worker k synchronises after step t."""
    off = sync_offsets(K, H, asynchronous)
    return (np.arange(T, dtype=np.int64)[:, None] + 1 + off[None, :]) % H == 0


def replay_local_sgd(problem, T, H, a, seed, asynchronous=False):
    r"""Local SGD re-implemented in numpy from its definition (Stich's steps
    :math:`\eta_t = 4/(\mu(a+t))`, weights :math:`(a+t)^2`, the schedule of
    :func:`sync_schedule`; a synchronising worker's model becomes the mean of ALL workers'
    current models after the local step), drawing the same stochastic gradients as the
    simulator (``problem.stochastic_grads(X, seed, t)``). Returns :math:`\hat x_T`.

    Used to check, as an identity, that the simulator does what the exact propagation
    (:func:`exact_local_sgd_schedule`) assumes."""
    K, d = problem.n, problem.d
    sched = sync_schedule(K, T, H, asynchronous)
    t_idx = np.arange(T, dtype=float)
    eta = 4.0 / (problem.mu * (a + t_idx))
    w = (a + t_idx) ** 2
    X = np.zeros((K, d))
    xhat = np.zeros(d)
    for t in range(T):
        xhat += w[t] * X.mean(axis=0)
        X = X - eta[t] * problem.stochastic_grads(X, seed, t)
        if sched[t].any():
            X[sched[t]] = X.mean(axis=0)
    return xhat / w.sum()


def exact_local_sgd_schedule(eig, x0_minus_xstar, sigma, K, T, H, a, *, asynchronous=False,
                             schedule=None, steps=None):
    r"""Exact moments of local SGD under any synchronisation schedule, on an identical
    quadratic with additive isotropic Gaussian noise (:math:`\xi^k_t \sim N(0,
    \frac{\sigma^2}{d}I)`, independent over workers and steps).

    In A's eigenbasis every coordinate j evolves independently; the workers' errors
    :math:`e_t \in \mathbb{R}^K` (coordinate j) follow

    .. math:: e_{t+1} = P_t\big((1 - \eta_t\lambda_j)e_t - \eta_t\xi_t\big),

    :math:`P_t` the synchronisation matrix of step t (row k replaced by
    :math:`\mathbf 1^\top/K` when worker k synchronises; :math:`P_t\mathbf 1 = \mathbf 1`), so
    :math:`\mathbb{E}e_t = \prod_s(1-\eta_s\lambda_j)e_{0,j}\mathbf 1` and the covariance
    :math:`C_{t+1} = P_t((1-\eta_t\lambda_j)^2C_t + \eta_t^2\frac{\sigma^2}{d}I)P_t^\top`.
    :math:`\hat x_T - x^\star = \frac1{S_T}\sum_t w_t\bar e_t`, :math:`\bar e_t =
    \mathbf 1^\top e_t/K`, is Gaussian; its mean and variance are propagated jointly with
    :math:`\mathrm{Cov}(e_t, \sum_{s<t}w_s\bar e_s)`. With the synchronous schedule this is
    :func:`exact_local_sgd` (tested). Under the asynchronous schedule
    :math:`\bar e_{t+1} \ne (1-\eta_t\lambda)\bar e_t - \eta_t\bar\xi_t`: a partial
    synchronisation moves the mean by :math:`-\frac1K\sum_{k\in S_t}(y^k - \bar y)`, so the
    average is NOT mini-batch SGD (derived local-SGD facts (docs/sources.md#derived) holds for the
    synchronous schedule only).

    Returns a dict: ``f_gap`` = :math:`\mathbb{E}f(\hat x_T) - f^\star`, ``dist_sq``,
    ``g_sup`` = :math:`\sup_{t<T,k}\mathbb{E}\|g^k_t\|^2` (Stich's :math:`G^2` along the
    iterates, exact), ``g_t`` (T,) = :math:`\max_k\mathbb{E}\|g^k_t\|^2`, ``drift`` (T,) =
    :math:`\mathbb{E}\frac1K\sum_k\|x^k_t - \bar x_t\|^2` (before step t), ``eta``,
    ``mean_z``/``var_z`` (mean and variance of :math:`\hat x_T - x^\star` per eigen-coordinate),
    ``syncs`` (synchronisations of each worker).

    ``schedule``: a boolean (T, K) array replacing the (a)synchronous one (e.g. a planted
    "never synchronise"); ``steps``: step sizes replacing :math:`4/(\mu(a+t))`.
    """
    eig = np.asarray(eig, dtype=float)
    d = eig.size
    mu = float(eig.min())
    t_idx = np.arange(T, dtype=float)
    eta = 4.0 / (mu * (a + t_idx)) if steps is None else np.asarray(steps, dtype=float)
    w = (a + t_idx) ** 2
    s_t = float(w.sum())
    sched = sync_schedule(K, T, H, asynchronous) if schedule is None else np.asarray(schedule)
    m_y, v_y, g_t, drift = _propagate_schedule(
        eig, np.asarray(x0_minus_xstar, dtype=float).copy(), float(sigma) ** 2, eta, w,
        np.ascontiguousarray(sched, dtype=np.bool_), K)
    mean_z, var_z = m_y / s_t, v_y / s_t ** 2
    return {"f_gap": 0.5 * float(np.sum(eig * (mean_z ** 2 + var_z))),
            "dist_sq": float(np.sum(mean_z ** 2 + var_z)), "g_sup": float(g_t.max()),
            "g_t": g_t, "drift": drift, "eta": eta, "mean_z": mean_z, "var_z": var_z,
            "syncs": sched.sum(axis=0)}


@njit(cache=True)
def _propagate_schedule(eig, m_e, sigma_sq, eta, w, sched, K):
    """Kernel of :func:`exact_local_sgd_schedule`: per eigen-coordinate j, the workers' error
    covariance C_j (K x K), Cov(e_t, y_t) and the moments of y_t = sum_{s<t} w_s ebar_s."""
    d = eig.size
    T = eta.size
    q = sigma_sq / d
    C = np.zeros((d, K, K))
    c_ey = np.zeros((d, K))
    m_y = np.zeros(d)
    v_y = np.zeros(d)
    g_t = np.empty(T)
    drift = np.empty(T)
    row = np.empty(K)
    col = np.empty(K)
    for t in range(T):
        gmax = 0.0
        for k in range(K):
            g = 0.0
            for j in range(d):
                g += eig[j] * eig[j] * (m_e[j] * m_e[j] + C[j, k, k])
            gmax = max(gmax, g)
        g_t[t] = gmax + sigma_sq
        dr = 0.0
        for j in range(d):
            tot = 0.0
            tr = 0.0
            cs = 0.0
            for k in range(K):
                r = 0.0
                for l in range(K):
                    r += C[j, k, l]
                row[k] = r
                tot += r
                tr += C[j, k, k]
                cs += c_ey[j, k]
            dr += tr - tot / K
            # y_{t+1} = y_t + w_t ebar_t
            v_y[j] += 2.0 * w[t] * cs / K + w[t] * w[t] * tot / (K * K)
            for k in range(K):
                c_ey[j, k] += w[t] * row[k] / K
            m_y[j] += w[t] * m_e[j]
            # e_{t+1} = P_t (m e_t - eta xi_t)
            m = 1.0 - eta[t] * eig[j]
            for k in range(K):
                for l in range(K):
                    C[j, k, l] *= m * m
                C[j, k, k] += eta[t] * eta[t] * q
                c_ey[j, k] *= m
            m_e[j] *= m
            n_s = 0
            for k in range(K):
                if sched[t, k]:
                    n_s += 1
            if n_s > 0:
                for l in range(K):               # rows of the synchronising workers
                    s = 0.0
                    for k in range(K):
                        s += C[j, k, l]
                    col[l] = s / K
                for k in range(K):
                    if sched[t, k]:
                        for l in range(K):
                            C[j, k, l] = col[l]
                for k in range(K):               # then their columns
                    s = 0.0
                    for l in range(K):
                        s += C[j, k, l]
                    row[k] = s / K
                for l in range(K):
                    if sched[t, l]:
                        for k in range(K):
                            C[j, k, l] = row[k]
                s = 0.0
                for k in range(K):
                    s += c_ey[j, k]
                for k in range(K):
                    if sched[t, k]:
                        c_ey[j, k] = s / K
        drift[t] = dr / K
    return m_y, v_y, g_t, drift


def drift_constant(K, H, a, T, asynchronous=False, *, schedule=None, tol=1e-15):
    r"""The constant c of the drift lemma :math:`\mathbb{E}\frac1K\sum_k\|x^k_t-\bar x_t\|^2
    \le 4\eta_t^2G^2(cH)^2` for a synchronisation schedule [DERIVED here].

    Derivation. Stack the models in :math:`X_t \in \mathbb{R}^{K\times d}`; then
    :math:`X_{t+1} = P_t(X_t - \eta_tG_t)` and, the start being identical,
    :math:`(I-J)X_t = -\sum_{s<t}\eta_s(I-J)\Phi(t,s)G_s` with
    :math:`\Phi(t,s) = P_{t-1}\cdots P_s`, :math:`J = \mathbf 1\mathbf 1^\top/K`. Every
    :math:`P` is row-stochastic, so :math:`(I-J)\Phi J = 0` and
    :math:`\|(I-J)\Phi(t,s)G_s\|_F \le q_{t,s}\|G_s\|_F` with
    :math:`q_{t,s} = \|(I-J)\Phi(t,s)\|_2`. Cauchy-Schwarz with weights
    :math:`\eta_sq_{t,s}` and :math:`\mathbb{E}\|G_s\|_F^2 \le KG^2` give

    .. math:: \mathbb{E}\tfrac1K\|(I-J)X_t\|_F^2 \le \Big(\sum_{s<t}\eta_sq_{t,s}\Big)^2G^2
       = 4\eta_t^2G^2\big(c(t)H\big)^2,\qquad c(t) = \frac{\sum_{s<t}\eta_sq_{t,s}}{2H\eta_t}.

    Synchronous schedule: :math:`q_{t,s} = 1` back to the last synchronisation and 0 before,
    so :math:`c(t) \le (H-1)\eta_{t-H+1}/(2H\eta_t) < 1`: Stich's lemma (his
    :math:`\eta_{t-H} \le 2\eta_t`). Staggered schedule: no :math:`\Phi` is rank one, but a
    partial averaging never increases :math:`\|(I-J)v\|` (it lowers
    :math:`\sum_k\|v_k-\bar v\|^2` by :math:`(1+1/K)\|v_k-\bar v\|^2` per synchronising
    worker), so q is non-increasing in the lag and decays geometrically, by the window
    factor :math:`\rho_w = \max_p q_{p,H}` per H steps. Returns
    ``(c_star, c_t, q, rho_w)``: :math:`c^\star = \max_{t<T}c(t)`, c(t), the table
    :math:`q[p, \ell]` (p = t mod H, lag :math:`\ell`; the schedule has period H) and
    :math:`\rho_w`. q is computed exactly up to lag 3H and bounded beyond by
    :math:`q_{p,2H+r+nH} \le q_{p,2H+r}\rho_w^n` (so c* is an upper bound, not an estimate);
    ``schedule``: one period (H, K) of a schedule replacing the (a)synchronous one.
    """
    per = sync_schedule(K, H, H, asynchronous) if schedule is None else np.asarray(schedule)
    period = per.shape[0]
    P = []
    for p in range(period):
        M = np.eye(K)
        M[per[p], :] = 1.0 / K
        P.append(M)
    IJ = np.eye(K) - 1.0 / K
    exact = min(T, 3 * period)          # lags computed exactly; beyond: geometric extension
    q = np.zeros((period, max(T, 1) + 1))
    for p in range(period):             # t = p (mod period); lag l: (I - J) P_{t-1}..P_{t-l}
        M = IJ.copy()
        q[p, 0] = 1.0
        for ell in range(1, exact + 1):
            M = M @ P[(p - ell) % period]
            q[p, ell] = np.linalg.norm(M, 2)
            if q[p, ell] < tol:           # q is non-increasing in the lag: keep it as a bound
                q[p, ell:exact + 1] = q[p, ell]
                break
    rho_w = float(q[:, min(period, exact)].max())
    if T > exact:
        # q(p, 2P + r + nP) <= q(p, 2P + r) rho_w^n (submultiplicativity over n windows)
        ell = np.arange(exact + 1, T + 1)
        base = 2 * period + (ell - 2 * period) % period
        n = (ell - base) // period
        q[:, exact + 1:] = q[:, base] * rho_w ** n[None, :]
    t_idx = np.arange(T, dtype=float)
    eta = 4.0 / (a + t_idx)             # mu cancels in the ratios
    c_t = np.zeros(T)
    for t in range(1, T):               # sum_{l=1..t} eta_{t-l} q[t mod P, l]
        c_t[t] = float(eta[t - 1::-1] @ q[t % period, 1:t + 1]) / (2 * H * eta[t])
    return float(c_t.max()), c_t, q, rho_w


# =========================================================================== asynchronous
ASYNC_SOURCE = ("Stich 2019, abstract: the conclusions extend to asynchronous implementations "
                "[PAPER]; setting and constant [UNCONFIRMED] (docs/sources.md#local-sgd, "
                "decentralized open item 10, docs/sources.md#open-items); drift lemma for staggered synchronisation [DERIVED here: "
                "stich2018.drift_constant]")


def _async_configs(quick):
    return ((4, 400, 8), (8, 800, 16), (16, 2000, 4)) if quick else \
        ((4, 400, 8), (8, 800, 16), (16, 2000, 4), (2, 1000, 32))


def _plot_times(T):
    return np.unique(np.geomspace(1, T - 1, 40).astype(int))


def _checks_async(th, quick, seed=0, **params):
    """Asynchronous (staggered) local SGD, as :func:`theorytools.algorithms.local_sgd`
    implements it, against the synchronous theory: (1) the simulator does what the exact
    propagation assumes (pathwise identity with :func:`replay_local_sgd`); (2) the drift lemma
    with the derived constant c* of :func:`drift_constant` holds exactly at every t; (3)
    Theorem 2.2 with H replaced by c H (``async_h_factor``, UNCONFIRMED) bounds the exact
    error; (4) linear speedup in K: exponent -1 +- 0.05 of the exact errors for K >= H, and the
    asynchronous / synchronous error ratio below ``async_rate_factor`` for every K (the ratio
    grows with min(K, H), so a fit over K < H is flatter: -0.92 over K = 1..16, reported).

    Planted faults (``params``): ``algorithm`` (a replacement for local_sgd), ``schedule``
    (``(K, T, H) -> (T, K)`` booleans replacing the staggered schedule), ``drift_factor``
    (replaces c*), ``init_coef``/``noise_coef``/``drift_coef`` (Theorem 2.2's coefficients),
    ``predicted``."""
    from types import SimpleNamespace

    from theorytools.algorithms import local_sgd

    th = scaled_bound(th, params.pop("bound_scale", 1.0))
    s = SimpleNamespace(
        th=th, quick=quick, seed=seed, params=params,
        c_h=th.parameter_values(**{k: params[k] for k in th.parameters if k in params})[
            "async_h_factor"],
        algorithm=params.get("algorithm", local_sgd),
        schedule_of=params.get("schedule"),            # planted: (K, T, H) -> (T, K) booleans
        drift_factor=params.get("drift_factor"),       # planted: replaces the derived c*
        coefs={k: params[k] for k in ("init_coef", "noise_coef", "drift_coef") if k in params})
    p = _problem(quick)
    s.p, (s.eig, s.e0) = p, _eigen_setup(p, np.zeros(p.d))
    s.sigma, s.r0 = math.sqrt(p.sigma_sq), float(s.e0 @ s.e0)
    yield from _async_replay(s)
    yield from _async_drift_and_bound(s)
    yield from _checks_async_tight(th, quick, c_h=s.c_h, **params)
    yield from _async_speedup(s)


def _async_replay(s):
    """(1) The simulator's asynchronous run is the recursion the exact propagation models."""
    from theorytools.problems import quadratic

    algorithm, seed = s.algorithm, s.seed
    K1, T1, H1 = 4, 120, 8
    q1 = quadratic(K1, 4, 1.0, 2.0, sigma=1.0, seed=3)
    a1 = max(16 * q1.L / q1.mu, H1) + 1.0
    sim = algorithm(q1, T1, H1, a=a1, seed=7 + seed, asynchronous=True,
                    record=np.array([0, T1]))
    ref = replay_local_sgd(q1, T1, H1, a1, 7 + seed, asynchronous=True)
    yield f"simulator_replay[K={K1},H={H1}]", seeded(check.law(
        sim.x_bar, ref, rtol=1e-10, atol=1e-13,
        details="x_hat of local_sgd(asynchronous=True) vs a numpy replay of the staggered "
                "schedule o_k = floor(kH/K) (same stochastic gradients)"))



def _async_drift_and_bound(s):
    """(2) The drift lemma with the derived c*, exact, at every t; (3) Theorem 2.2 with
    H -> c H against the exact error, at every configuration of :func:`_async_configs`."""
    th, quick, p, eig, e0, sigma, r0 = s.th, s.quick, s.p, s.eig, s.e0, s.sigma, s.r0
    schedule_of, drift_factor, coefs, c_h = s.schedule_of, s.drift_factor, s.coefs, s.c_h
    for K, T, H in _async_configs(quick):
        a = max(16 * p.L / p.mu, H) + 1.0
        th.require_admissible(mu=p.mu, L=p.L, H=H, a=a)
        sched = None if schedule_of is None else schedule_of(K, T, H)
        ex = exact_local_sgd_schedule(eig, e0, sigma, K, T, H, a, asynchronous=True,
                                      schedule=sched)
        sync = exact_local_sgd_schedule(eig, e0, sigma, K, T, H, a)
        g_sq = ex["g_sup"]
        # (2) drift lemma, exact, at every t
        c_star, _, _, rho_w = drift_constant(K, H, a, T, True)
        c_sync = drift_constant(K, H, a, T)[0]
        c_used = c_star if drift_factor is None else drift_factor
        env = 4 * ex["eta"] ** 2 * g_sq * (c_used * H) ** 2
        ratio = ex["drift"] / env
        worst = int(np.argmax(ratio))
        res = check.bound(float(ratio[worst]), 1.0, details=(
            f"max_t exact drift / (4 eta_t^2 G^2 (c H)^2) at t={worst}; c = {c_used:.4f} "
            f"(derived c* for this staggered schedule; synchronous schedule: {c_sync:.4f}; "
            f"window contraction rho_w = {rho_w:.3f}); "
            f"G^2 = {g_sq:.4g} exact sup over t, k"))
        ts = _plot_times(T)
        syncs_cum = np.cumsum((sched if sched is not None else
                               sync_schedule(K, T, H, True))[:, 0])
        Series(Curve(ts, ex["drift"][ts], "asynchronous, exact expectation", kind="exact",
                     bound=env[ts], bound_label="4 eta_t^2 G^2 (c* H)^2 (derived drift lemma)",
                     bits=np.maximum(syncs_cum[ts - 1], 0) * 32 * p.d),
               xlabel="iteration t", ylabel="E (1/K) sum_k ||x_t^k - x_bar_t||^2",
               logx=True).attach(res)
        yield f"drift_lemma[K={K},T={T},H={H}]", res
        # (3) Theorem 2.2 with H -> c H, exact
        b = th.bound(mu=p.mu, L=p.L, K=K, T=T, H=c_h * H, a=a, sigma_sq=p.sigma_sq, G_sq=g_sq,
                     r0=r0, **coefs)
        res = check.bound(ex["f_gap"], b, details=(
            f"exact E f(x_hat) - f* of asynchronous local SGD vs Theorem 2.2 with H -> "
            f"{c_h:g} H; asynchronous / synchronous exact error = "
            f"{ex['f_gap'] / sync['f_gap']:.4f}"))
        Ts = np.unique(np.geomspace(max(2, H), T, 10).astype(int))
        curve = [exact_local_sgd_schedule(eig, e0, sigma, K, int(t), H, a, asynchronous=True)
                 for t in Ts]
        Series(Curve(Ts, np.array([c["f_gap"] for c in curve]),
                     "asynchronous, exact expectation", kind="exact",
                     bound=np.array([th.bound(mu=p.mu, L=p.L, K=K, T=int(t), H=c_h * H, a=a,
                                              sigma_sq=p.sigma_sq, G_sq=c["g_sup"], r0=r0,
                                              **coefs) for t, c in zip(Ts, curve)]),
                     bound_label=f"Theorem 2.2 with H -> {c_h:g} H", bits=Ts // H * 32 * p.d),
               xlabel="iterations T", ylabel="E f(x_hat_T) - f*", logx=True).attach(res)
        yield f"bound[K={K},T={T},H={H}]", res



def _async_speedup(s):
    """(4) Linear speedup in K (exponent -1 for K >= H) and the asynchronous / synchronous
    error ratio below ``async_rate_factor`` for every K."""
    th, quick, params, p, eig, e0, sigma = s.th, s.quick, s.params, s.p, s.eig, s.e0, s.sigma
    schedule_of = s.schedule_of
    # (4) linear speedup in K. The staggering has min(K, H) phases; the asynchronous error
    # exceeds the synchronous one by a factor that grows with min(K, H) (the mean's jumps) and
    # is constant once K >= H: the exponent is fitted there, the factor is bounded separately.
    T, H = (4000, 8) if quick else (20000, 8)
    a = max(16 * p.L / p.mu, H) + 1.0

    def err(K, asynchronous=True):
        sched = None if (schedule_of is None or not asynchronous) else schedule_of(K, T, H)
        return exact_local_sgd_schedule(eig, e0, sigma, K, T, H, a, asynchronous=asynchronous,
                                        schedule=sched)["f_gap"]

    Ks_all = np.array([1, 2, 4, 8, 16, 32, 64])
    e_async = np.array([err(int(K)) for K in Ks_all])
    e_sync = np.array([err(int(K), False) for K in Ks_all])
    big = Ks_all >= H
    fitted = float(np.polyfit(np.log(Ks_all[big]), np.log(e_async[big]), 1)[0])
    small = Ks_all <= 16
    fitted_all = float(np.polyfit(np.log(Ks_all[small]), np.log(e_async[small]), 1)[0])
    res = check.slope([fitted], params.get("predicted", -1.0), tol=0.05, details=(
        f"exact errors at K = {Ks_all[big].tolist()} (K >= H = {H}) "
        f"{np.array2string(e_async[big], precision=3)}, T={T}; the fit over K = 1..16 gives "
        f"{fitted_all:.3f} (the asynchronous excess grows with min(K, H), see "
        f"excess_over_synchronous)"))
    res.extra["series"] = _speedup_series(Ks_all, e_async, fitted,
                                          "asynchronous local SGD, exact expectation")
    yield f"exponent_in_K[K>={H}]", res
    factor = th.parameter_values(**{k: params[k] for k in th.parameters if k in params})[
        "async_rate_factor"]
    ratio = e_async / e_sync
    res = check.bound(float(ratio.max()), factor, details=(
        f"max over K = {Ks_all.tolist()} of exact E f(x_hat) - f*, asynchronous / synchronous "
        f"(T={T}, H={H}): {np.array2string(ratio, precision=4)}"))
    Series(Curve(Ks_all, ratio, f"exact expectations, T={T}, H={H}", kind="exact",
                 bound=np.full(Ks_all.size, factor), bound_label="async_rate_factor"),
           xlabel="workers K", ylabel="E f(x_hat_T) - f*: asynchronous / synchronous",
           logx=True, logy=False).attach(res)
    yield "excess_over_synchronous", res



def _checks_async_tight(th, quick, c_h, **params):
    """Theorem 2.2 with H -> c H against the exact asynchronous error at (K, T, H) =
    :data:`TIGHT_22`, where the bound is not vacuous (see :func:`_checks_22_tight`). Planted
    faults: ``init_coef``/``noise_coef``/``drift_coef``, ``planted_steps``, ``schedule``."""
    coefs = {k: params[k] for k in ("init_coef", "noise_coef", "drift_coef") if k in params}
    p = _problem(quick)
    eig, e0 = _eigen_setup(p, np.zeros(p.d))
    K, T, H = TIGHT_22
    a = max(16 * p.L / p.mu, H) + 1.0
    th.require_admissible(mu=p.mu, L=p.L, H=H, a=a)
    planted = params.get("planted_steps")
    schedule_of = params.get("schedule")
    ex = exact_local_sgd_schedule(
        eig, e0, math.sqrt(p.sigma_sq), K, T, H, a, asynchronous=True,
        schedule=None if schedule_of is None else schedule_of(K, T, H),
        steps=None if planted is None else planted(T, a, p.mu))
    b = th.bound(mu=p.mu, L=p.L, K=K, T=T, H=c_h * H, a=a, sigma_sq=p.sigma_sq,
                 G_sq=ex["g_sup"], r0=float(e0 @ e0), **coefs)
    yield f"bound_tight[K={K},T={T},H={H}]", check.bound(ex["f_gap"], b, details=(
        f"exact E f(x_hat) - f* of asynchronous local SGD at small H and long T vs Theorem 2.2 "
        f"with H -> {c_h:g} H (noise term dominant); G^2 = {ex['g_sup']:.4g}"))


register(Theorem(
    key="stich2018.asynchronous", paper="stich2018",
    title="Asynchronous (staggered) local SGD: drift lemma, Theorem 2.2 with H -> cH, "
          "linear speedup",
    source=ASYNC_SOURCE, status=UNCONFIRMED,
    statement="E (1/K) sum_k ||x^k_t - x_bar_t||^2 <= 4 eta_t^2 G^2 (c* H)^2 (c* derived per "
              "schedule, < 1 here); E f(x_hat_T) - f* <= Theorem 2.2 with H -> c H; "
              "E f(x_hat_T) - f* ~ 1/K",
    assumptions=("identical quadratic, additive Gaussian noise (exact expectations)",
                 "each worker synchronises every H steps at its own offset floor(kH/K), "
                 "averaging all workers' current models"),
    algorithm="theorytools.algorithms.local_sgd(asynchronous=True)", bound=theorem_2_2_bound,
    admissible=admissible_22, checks=_checks_async,
    hooks={"algorithm": "planted fault: a replacement for local_sgd",
           "schedule": "planted fault: (K, T, H) -> (T, K) booleans replacing the staggered "
                       "schedule",
           "drift_factor": "planted fault: replaces the derived drift constant c*",
           "init_coef": "planted fault: a wrong coefficient of the initial-distance term",
           "noise_coef": "planted fault: a wrong coefficient of the noise term",
           "drift_coef": "planted fault: a wrong coefficient of the drift term",
           "planted_steps": "planted fault: (T, a, mu) -> step sizes replacing Stich's",
           "predicted": "planted fault: a wrong exponent of K (default -1)",
           "bound_scale": BOUND_SCALE_HOOK},
    parameters={"async_rate_factor": Parameter(
        2.0, "chosen",
        "bound on the asynchronous / synchronous error ratio: the abstract's 'same conclusions' "
        "read as 'the same rate up to a constant factor' [PAPER: abstract; factor chosen here, "
        "not the paper's]"),
                "async_h_factor": Parameter(
        1.0, "unconfirmed",
        "c in 'H replaced by cH' for asynchronous implementations (Stich 2019, Theorem 2.2 (docs/sources.md#local-sgd): the paper's "
        "constant, e.g. 2, is UNCONFIRMED). Default 1: the drift lemma holds with c* < 1 for "
        "every staggered schedule checked (drift_constant, DERIVED); the proof's other step, "
        "the virtual sequence, does not carry over (a partial synchronisation moves the mean), "
        "so the bound for the asynchronous run is not derived here")},
    proof="theorytools/theory/stich2018.py::drift_constant (derivation in its docstring); "
          "tests/test_theory_stich.py::test_drift_constant_*, "
          "::test_exact_schedule_propagation_matches_monte_carlo"))


# =========================================================================== largest H
HCRIT_SOURCE = ("Stich 2019 (as restated by a published summary; the section is not "
                "confirmed): H = O(sqrt(T/(Kb))) keeps the rate sigma^2/(mu b K T) "
                "[SECONDARY: Stich 2019, Theorem 2.2 (docs/sources.md#local-sgd)]; 'keeps the rate' read as "
                "'E f(x_hat_T) - f* within a factor of its H = 1 value' [UNCONFIRMED reading]; "
                "checks (docs/sources.md#checks) S-2 (fit the exponent of H_crit in T)")


def logistic_identical(K, *, d=20, m=40, kappa=5.0, batch=1, seed=0, split="contiguous"):
    r""":math:`\ell_2`-regularised logistic regression on ONE data set of m samples held by
    all K workers (Stich's identical-data setting: every worker samples from the same m
    points, ``batch`` per step, with replacement).

    Features :math:`a_j \sim N(0, I_d)`, labels :math:`y_j = \pm1` with
    :math:`P(y_j = 1) = s(a_j^\top w)`, :math:`w \sim N(0, I_d/d)`; :math:`\lambda` is set so
    that :math:`\kappa = L/\mu = (L_0 + \lambda)/\lambda` equals ``kappa``
    (:math:`L_0 = \lambda_{max}(F^\top F)/(4m)`). Every node holds exactly the m points
    (``split="replicated"``; ``zeta_star_sq`` = 0 to rounding);
    ``split="sorted"`` instead deals the tiled rows by label (heterogeneous: a planted
    violation of the identical-data assumption)."""
    from theorytools.problems import logistic

    rng = np.random.default_rng(seed)
    F = rng.standard_normal((m, d))
    w = rng.standard_normal(d) / math.sqrt(d)
    y = np.where(rng.random(m) < 1.0 / (1.0 + np.exp(-F @ w)), 1.0, -1.0)
    L0 = float(np.linalg.eigvalsh(F.T @ F)[-1]) / (4 * m)
    if split == "contiguous":   # every worker holds the whole data set
        return logistic(F, y, K, L0 / (kappa - 1.0), batch=batch, split="replicated",
                        name=f"logistic_identical[d={d},m={m},kappa={kappa:g}]")
    return logistic(np.tile(F, (K, 1)), np.tile(y, K), K, L0 / (kappa - 1.0), batch=batch,
                    split=split, name=f"logistic_identical[d={d},m={m},kappa={kappa:g}]")


def minibatch_reference(problem, T, a, seed):
    r"""Mini-batch SGD with batch bK and Stich's steps and weights, written from its definition
    (:math:`x_{t+1} = x_t - \eta_t\frac1K\sum_k g_k(x_t)`, the K gradients drawn as the
    simulator draws them): local SGD with H = 1 must equal it (checks I-5 (docs/sources.md#checks))."""
    K, d = problem.n, problem.d
    t_idx = np.arange(T, dtype=float)
    eta = 4.0 / (problem.mu * (a + t_idx))
    w = (a + t_idx) ** 2
    x = np.zeros(d)
    xhat = np.zeros(d)
    for t in range(T):
        xhat += w[t] * x
        x = x - eta[t] * problem.stochastic_grads(np.tile(x, (K, 1)), seed, t).mean(axis=0)
    return xhat / w.sum()


def h_sweep(problem, Ts, Hs, a, seeds, *, algorithm=None, **kwargs):
    """E[i, j, r] = f(x_hat_T) - f* of ``algorithm`` (default local_sgd, Stich's steps with the
    shift ``a`` fixed for every H) at T = Ts[i], H = Hs[j], seed seeds[r] (common random
    numbers: the same seeds, hence the same sample draws, for every H and T)."""
    from theorytools.algorithms import local_sgd

    algorithm = algorithm or local_sgd
    E = np.empty((len(Ts), len(Hs), len(seeds)))
    for i, T in enumerate(Ts):
        rec = np.array([0, T])
        for j, H in enumerate(Hs):
            for r, s in enumerate(seeds):
                E[i, j, r] = algorithm(problem, int(T), int(H), a=a, seed=int(s), record=rec,
                                       **kwargs).meta["f_gap_x_hat"]
    return E


def h_crit(ratios, Hs, factor):
    r"""Largest H keeping the error within ``factor`` of the H = 1 error, from the curve
    ``ratios`` (ratio of mean errors at each grid H, first entry H = 1): the crossing of the
    curve with ``factor``, interpolated linearly in log H between the last grid H whose ratio
    (and every smaller H's) is within the factor and the next one. Returns
    ``(value, censored)``: censored (value = max(Hs)) when every grid H is within the factor."""
    Hs = np.asarray(Hs, dtype=float)
    j = 0
    while j + 1 < Hs.size and ratios[j + 1] <= factor:
        j += 1
    if j + 1 == Hs.size:
        return float(Hs[-1]), True
    frac = (factor - ratios[j]) / (ratios[j + 1] - ratios[j])
    return float(Hs[j] * (Hs[j + 1] / Hs[j]) ** frac), False


def _hcrit_exponent(E, Ts, Hs, factor, groups):
    """H_crit(T) from the pooled means, its log-log exponent in T, and delete-a-group
    jackknife pseudo-values (exponent and log H_crit per T).

    The exponent is the least-squares slope over the T up to the first censored one
    (inclusive): a censored H_crit is only known to be >= H_max, so it enters as H_max (a lower
    bound, which can only lower the slope), and later censored T (a flat run of H_max that
    carries no information) are left out. Returns ``(hc, censored, theta, pseudo, pseudo_log,
    n_fit)``."""
    Ts = np.asarray(Ts, dtype=float)

    def curve(Es):
        m = Es.mean(axis=-1)
        hc = np.array([h_crit(m[i] / m[i, 0], Hs, factor) for i in range(len(Ts))])
        return hc[:, 0], hc[:, 1].astype(bool)

    hc, censored = curve(E)
    n_fit = int(np.argmax(censored)) + 1 if censored.any() else len(Ts)
    n_fit = max(n_fit, 2)

    def stats_of(Es):
        h, c = curve(Es)
        return h, c, float(np.polyfit(np.log(Ts[:n_fit]), np.log(h[:n_fit]), 1)[0])

    hc, censored, theta = stats_of(E)
    R = E.shape[-1]
    G = len(groups)
    pseudo, pseudo_log = [], []
    for g in groups:
        keep = np.setdiff1d(np.arange(R), g)
        hc_g, _, th_g = stats_of(E[..., keep])
        pseudo.append(G * theta - (G - 1) * th_g)
        pseudo_log.append(G * np.log(hc) - (G - 1) * np.log(hc_g))
    return hc, censored, theta, np.array(pseudo), np.array(pseudo_log), n_fit


def _hcrit_setup(quick):
    kappa = 5.0
    a = 16 * kappa + 1.0                        # a = max(16 kappa, H_max) + 1, fixed for all H
    Ts = tuple(int(4 * a * 2 ** j) for j in range(2 if quick else 3))   # 4a, 8a (, 16a)
    Hs = (1, 2, 4, 8, 16, 32, 64)
    # the exponent is fitted at K = 16 only: at K = 4 the excess over H = 1 is smaller and
    # H_crit(1.1) reaches H_max = 64 by T = 8a, leaving one uncensored T (not identifiable)
    if quick:
        return dict(kappa=kappa, a=a, Ts=Ts, Hs=Hs, Ks=(16,), exponent_Ks=(16,),
                    seeds=tuple(range(1000, 1040)), groups=10)
    return dict(kappa=kappa, a=a, Ts=Ts, Hs=Hs, Ks=(4, 16), exponent_Ks=(16,),
                seeds=tuple(range(1000, 1120)), groups=10)


def _checks_hcrit(th, quick, seed=0, **params):
    r"""The largest H that keeps the rate, on identical-data logistic regression (on quadratics
    with additive noise H has no effect at all: ``h_independence_quadratic``).

    For each K and each T on the grid :math:`T = 4a, 8a, 16a` (quick: 4a, 8a), local SGD with
    Stich's steps and the shift :math:`a = \max(16\kappa, H_{max}) + 1` FIXED for every H (so
    that only H varies, not the step sizes) is run for :math:`H \in \{1, 2, \dots, 64\}` with
    the same seeds (common random numbers). Checks:

    * ``h1_is_minibatch`` (law): H = 1 is mini-batch SGD with batch bK, pathwise (I-5); it
      anchors the reference of the ratios;
    * ``rate_kept`` (bound): at :math:`H_T` = the largest grid H :math:`\le c\sqrt{T/(Kb)}`,
      what Stich's condition guarantees, :math:`\mathbb{E}f(\hat x_T) - f^\star \le
      \rho\,(\text{its } H = 1 \text{ value})`: the one-sided 95% Student-t upper bound of
      the mean of the paired differences :math:`e_{H_T,r} - \rho e_{1,r}` over seeds r must be
      :math:`\le 0` (a test of the ratio of expectations; approximate, CLT);
    * ``h_crit_exponent`` (slope, at_least): :math:`H_{crit}(T)` (:func:`h_crit` at
      ``hcrit_factor``; censored at :math:`H_{max}`, fitted up to the first censored T, which
      can only lower the exponent) grows at least like :math:`T^{1/2}` (at K = 16; at K = 4
      H_crit is censored from T = 8a on, see the last ``rate_kept`` row); the delete-a-group
      jackknife (10 groups of seeds) gives the standard error of the plug-in exponent for a
      one-sided 95% Student-t bound; the details report the exponent, its two-sided CI, and
      whether 1/2 (Stich) and 1 (drift linear in H, improved local SGD bounds (docs/sources.md#local-sgd)) lie in it.

    Planted faults (``params``): ``algorithm`` (a replacement for local_sgd), ``split``
    (``"sorted"``: heterogeneous data), ``stepsize`` (a constant step), ``predicted``.
    """
    from types import SimpleNamespace

    from theorytools.algorithms import local_sgd

    cfg = _hcrit_setup(quick)
    vals = th.parameter_values(**{k: params[k] for k in th.parameters if k in params})
    c_h, rho, rho_c = vals["c_h"], vals["factor"], vals["hcrit_factor"]
    algorithm = params.get("algorithm", local_sgd)
    split = params.get("split", "contiguous")
    run_kw = {"stepsize": params["stepsize"]} if "stepsize" in params else {}
    a, Ts, Hs = cfg["a"], np.array(cfg["Ts"]), np.array(cfg["Hs"])
    seeds = np.array(cfg["seeds"], dtype=np.int64) + seed
    groups = np.array_split(np.arange(seeds.size), cfg["groups"])
    s = SimpleNamespace(th=th, params=params, cfg=cfg, c_h=c_h, rho=rho, rho_c=rho_c,
                        algorithm=algorithm, run_kw=run_kw, a=a, Ts=Ts, Hs=Hs, seeds=seeds,
                        groups=groups)
    for K in cfg["Ks"]:
        p = logistic_identical(K, kappa=cfg["kappa"], split=split)
        th.require_admissible(mu=p.mu, L=p.L, H=int(Hs.max()), a=a)
        yield from _hcrit_anchor(s, K, p)
        hc, censored, theta, pseudo, pseudo_log, n_fit = yield from _hcrit_rate_kept(s, K, p)
        if K in cfg["exponent_Ks"]:
            yield from _hcrit_exponent_check(s, K, hc, censored, theta, pseudo, pseudo_log,
                                             n_fit)


def _hcrit_anchor(s, K, p):
    """H = 1 is mini-batch SGD with batch bK, pathwise (the anchor of the ratios)."""
    algorithm, a, Ts, seeds, run_kw = s.algorithm, s.a, s.Ts, s.seeds, s.run_kw
    b = p.noise.batch
    # the H = 1 anchor: mini-batch SGD with batch bK (identity, pathwise)
    T0 = int(Ts[0])
    sim = algorithm(p, T0, 1, a=a, seed=int(seeds[0]), record=np.array([0, T0]), **run_kw)
    yield f"h1_is_minibatch[K={K}]", seeded(check.law(
        sim.x_bar, minibatch_reference(p, T0, a, int(seeds[0])), rtol=1e-10, atol=1e-13,
        details=f"x_hat of local SGD with H = 1 vs mini-batch SGD (batch bK = {b * K}, "
                f"Stich's steps), T = {T0}"))


def _hcrit_rate_kept(s, K, p):
    """At H_T = the largest grid H <= c sqrt(T/(Kb)) the error stays within ``factor`` of its
    H = 1 value (paired one-sided Student-t); returns the H_crit fit of :func:`_hcrit_exponent`
    for :func:`_hcrit_exponent_check`."""
    algorithm, a, Ts, Hs, seeds, run_kw = s.algorithm, s.a, s.Ts, s.Hs, s.seeds, s.run_kw
    c_h, rho, rho_c, groups = s.c_h, s.rho, s.rho_c, s.groups
    b = p.noise.batch
    R = seeds.size
    t975 = float(stats.t.ppf(0.975, R - 1))
    E = np.empty((Ts.size, Hs.size, R))
    for i, T in enumerate(Ts):          # one T at a time: its row is reported at once
        E[i] = h_sweep(p, [T], Hs, a, seeds, algorithm=algorithm, **run_kw)[0]
        e1 = E[:, 0, :]
        m = E[i].mean(axis=-1)
        ratios = m / m[0]
        se = np.array([np.std(E[i, j] - ratios[j] * e1[i], ddof=1) for j in range(Hs.size)]
                      ) / (math.sqrt(R) * m[0])
        target = c_h * math.sqrt(T / (K * b))
        j_t = int(np.flatnonzero(Hs <= target).max())
        diff = E[i, j_t] - rho * e1[i]
        mean_diff, upper = check.t_one_sided(diff, 0.95, upper=True)
        res = check.Check(
            "bound", float(ratios[j_t]), rho, upper <= 0.0,
            f"E f(x_hat_T) at H = {Hs[j_t]} (largest grid H <= c sqrt(T/(Kb)) = "
            f"{target:.3g}) / at H = 1 = {ratios[j_t]:.4f}; paired differences e_H - "
            f"{rho:g} e_1: mean {mean_diff:.3g}, one-sided 95% upper bound {upper:.3g} "
            f"(must be <= 0); ratios at H = {Hs.tolist()}: "
            f"{np.array2string(ratios, precision=3)}",
            "paired Student-t over seeds (one-sided, approximate), common random numbers",
            0.95, R, interval=(-math.inf, float(ratios[j_t] + upper / m[0] - mean_diff / m[0]
                                                )), accept=(-math.inf, rho), seeded=True)
        Series(Curve(Hs, ratios, f"K={K}, T={T}, {R} seeds (checked at H = {Hs[j_t]})",
                     kind="mean", lo=ratios - t975 * se, hi=ratios + t975 * se,
                     band="95% t-band (paired, delta method)",
                     bound=np.full(Hs.size, rho), bound_label=f"factor {rho:g}",
                     bits=(T // Hs) * 32 * p.d),
               xlabel="local steps H", ylabel="E f(x_hat_T) - f*, relative to H = 1",
               logx=True, logy=False).attach(res)
        if i + 1 < Ts.size:
            yield f"rate_kept[K={K},T={T}]", res
    hc, censored, theta, pseudo, pseudo_log, n_fit = _hcrit_exponent(E, Ts, Hs, rho_c,
                                                                     groups)
    res.details += (f"; H_crit(T) at factor {rho_c:g}: {np.array2string(hc, precision=3)} "
                    f"at T = {Ts.tolist()} (censored at {Hs.max()}: {censored.tolist()})")
    yield f"rate_kept[K={K},T={Ts[-1]}]", res
    return hc, censored, theta, pseudo, pseudo_log, n_fit


def _hcrit_exponent_check(s, K, hc, censored, theta, pseudo, pseudo_log, n_fit):
    """H_crit(T) grows at least like T^(1/2) (jackknife over groups of seeds)."""
    params, Ts, Hs, rho_c = s.params, s.Ts, s.Hs, s.rho_c
    predicted = params.get("predicted", 0.5)
    # jackknife standard error around the plug-in exponent (no bias correction: the
    # interpolated crossing is not smooth enough for it)
    pseudo = pseudo - pseudo.mean() + theta
    _, lo, hi = check.t_interval(pseudo, 0.95)
    res = check.slope(pseudo, predicted, alternative="at_least", details=(
        f"H_crit(T) at factor {rho_c:g} = {np.array2string(hc, precision=3)} at T = "
        f"{Ts.tolist()} (censored at H_max = {Hs.max()}: {censored.tolist()}); exponent "
        f"over the first {n_fit} T {theta:.3f}, jackknife 95% CI [{lo:.3f}, {hi:.3f}]: "
        f"1/2 (Stich) {'inside' if lo <= 0.5 <= hi else 'outside'}, 1 (drift linear in "
        f"H) {'inside' if lo <= 1.0 <= hi else 'outside'}"
        + ("; a censored H_crit enters as H_max: the exponent is a lower bound"
           if censored[:n_fit].any() else "")))
    half = check.t_halfwidth(pseudo_log, 0.95)     # one pseudo-value row per group of seeds
    Series(Curve(Ts, hc, f"H_crit at factor {rho_c:g}, K={K}, T = {Ts.tolist()} "
                         f"(censored at {Hs.max()})", kind="mean",
                 lo=hc * np.exp(-half), hi=hc * np.exp(half), band="95% jackknife band",
                 bound=hc[0] * np.sqrt(Ts / Ts[0]),
                 bound_label="Stich's growth T^(1/2), through the first point"),
           xlabel="iterations T", ylabel="H_crit", logx=True).attach(res)
    yield f"h_crit_exponent[K={K}]", seeded(res)




register(Theorem(
    key="stich2018.h_crit", paper="stich2018",
    title="Local SGD keeps the rate for H up to c sqrt(T/(Kb)); the exponent of H_crit in T",
    source=HCRIT_SOURCE, status=UNCONFIRMED,
    statement="H <= c sqrt(T/(Kb)) => E f(x_hat_T) - f* <= rho (E f(x_hat_T) - f* at H = 1); "
              "H_crit(T) grows at least like T^(1/2)",
    assumptions=("identical data (every worker samples from the same data set)",
                 "l2-regularised logistic regression: L-smooth, mu-strongly convex",
                 "Stich's steps 4/(mu(a+t)) with a = max(16 kappa, H_max) + 1 fixed over H"),
    algorithm="theorytools.algorithms.local_sgd", admissible=admissible_22,
    checks=_checks_hcrit,
    hooks={"algorithm": "planted fault: a replacement for local_sgd",
           "split": "planted fault: 'sorted' gives heterogeneous data",
           "stepsize": "planted fault: a constant step instead of Stich's",
           "predicted": "planted fault: a wrong exponent of H_crit in T (default 1/2)"},
    parameters={
        "c_h": Parameter(4.0, "chosen",
                         "c in H = c sqrt(T/(Kb)): the O-constant is not given (and hides kappa "
                         "and G/sigma); 4 is the largest power of two keeping c sqrt(T/(Kb)) < a "
                         "on the grid (K >= 4, T <= 16a)"),
        "factor": Parameter(1.5, "chosen",
                            "'keeps the rate' read as: within this factor of the H = 1 error"),
        "hcrit_factor": Parameter(1.1, "chosen",
                                  "factor defining H_crit for the exponent fit; at 1.5 H_crit "
                                  "exceeds the admissible H < a at every T on this problem, so "
                                  "no exponent could be fitted")},
    proof="tests/test_theory_stich.py (planted faults: heterogeneous data, constant steps, "
          "no synchronisation, a wrong exponent)"))
