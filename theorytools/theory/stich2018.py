r"""Stich, "Local SGD Converges Fast and Communicates Little" (ICLR 2019): registered theorems.

Checks rest on EXACT expectations: on an identical strongly convex quadratic
:math:`f_k = f = \frac12 x^\top A x - b^\top x` with additive Gaussian gradient noise
(:math:`\mathbb{E}\|\xi\|^2 = \sigma^2`, isotropic), local SGD's average
:math:`\bar x_t` follows :math:`e_{t+1} = (I - \eta_t A)e_t - \eta_t\bar\xi_t`,
:math:`\bar\xi_t \sim N(0, \frac{\sigma^2}{dK}I)` for every H (synchronisation preserves the
mean; spec decentralized_localsgd.md §4.5 [DERIVED]), and Stich's output
:math:`\hat x_T - x^\star = \frac{1}{S_T}\sum_t w_t e_t` is Gaussian with a mean and covariance
propagated exactly in A's eigenbasis (:func:`exact_local_sgd`). The workers' drift
:math:`\delta^k = x^k - \bar x` is independent of :math:`\bar x` (its noise
:math:`\xi^k - \bar\xi` is uncorrelated with :math:`\bar\xi`), with per-coordinate variance
:math:`v_{t+1} = (1-\eta_t a)^2 v_t + \eta_t^2\frac{\sigma^2}{d}(1 - \frac1K)`, reset to 0 at a
synchronisation; so the theorem's :math:`G^2 = \sup_t \mathbb{E}\|g^k_t\|^2` over the iterates
is exact too: :math:`G^2_t = \sum_j a_j^2(\mathbb{E}e_{t,j}^2 + v_{t,j}) + \sigma^2`.
"""
from __future__ import annotations

import math

import numpy as np

from theorytools import check
from theorytools.theory.registry import DERIVED, Theorem, register

SOURCE_22 = ("Stich 2019, Theorem 2.2 [SECONDARY + DERIVED: spec decentralized_localsgd.md "
             "§2.3, constants re-derived; proofs_check/stich_local_sgd.py]")


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


def _checks_22(th, quick, **params):
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
        result.extra["series"] = {
            "x": Ts, "xlabel": "iterations T", "logx": True, "ylabel": "E f(x_hat_T) - f*",
            "y": np.array([c[0] for c in curve]),
            "bound": np.array([th.bound(mu=p.mu, L=p.L, K=K, T=int(t), H=H, a=a,
                                        sigma_sq=p.sigma_sq, G_sq=c[2], r0=float(e0 @ e0),
                                        **coefs) for t, c in zip(Ts, curve)]),
            "bits": Ts // H * 32 * p.d * K, "label": "exact expectation (no sampling)"}
        yield f"bound[K={K},T={T},H={H}]", result
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
    proof="proofs_check/stich_local_sgd.py::theorem_2_2_terms"))


def _checks_speedup(th, quick, **params):
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
    yield "exponent_in_K", check.slope([fitted], params.get("predicted", -1.0), tol=0.05,
                                       details=f"exact errors {np.array2string(errs, precision=3)}"
                                               f" at T={T}, H={H}")


register(Theorem(
    key="stich2018.linear_speedup", paper="stich2018",
    title="Local SGD: linear speedup in the number of workers K",
    source="Stich 2019, abstract and Corollary 2.3 [PAPER (abstract) + DERIVED]",
    status=DERIVED, statement="E f(x_hat_T) - f* = O(sigma^2/(mu K T)) when the noise dominates",
    assumptions=("identical data", "noise-dominated regime"),
    algorithm="theorytools.algorithms.local_sgd", checks=_checks_speedup,
    proof="theorytools/theory/stich2018.py::exact_local_sgd, validated by "
          "tests/test_theory_stich.py::test_exact_propagation_matches_monte_carlo"))


def _checks_h(th, quick, **params):
    """Identical quadratics + additive noise: the workers' average is mini-batch SGD pathwise
    for every H (spec §4.5, I-6): a law on the simulator."""
    from theorytools.algorithms import local_sgd, minibatch_sgd
    p = _problem(True)
    mb = minibatch_sgd(p, 0.05, 100, seed=5, record=np.array([0, 100]))
    for H in (1, 4, 16):
        loc = local_sgd(p, 100, H, stepsize=0.05, seed=5, record=np.array([0, 100]))
        yield f"average_equals_minibatch[H={H}]", check.law(loc.X.mean(axis=0), mb.x_bar,
                                                            rtol=1e-12, atol=1e-14)


register(Theorem(
    key="stich2018.h_independence_quadratic", paper="stich2018",
    title="Quadratics with additive noise: the local-SGD average does not depend on H",
    source="spec decentralized_localsgd.md §4.5, §5.1 I-6 [DERIVED]; cf. Woodworth et al. "
           "2020 [SECONDARY]", status=DERIVED,
    statement="x_bar_t(H) = x_t(mini-batch SGD) for every H",
    algorithm="theorytools.algorithms.local_sgd", checks=_checks_h,
    proof="tests/test_algorithms.py::"
          "test_local_sgd_average_is_independent_of_h_on_quadratics_with_additive_noise"))
