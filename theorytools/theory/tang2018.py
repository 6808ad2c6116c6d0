r"""Tang, Gan, Zhang, Zhang, Liu, "Communication Compression for Decentralized Training"
(NeurIPS 2018): registered theorems.

The paper's explicit constants are not available (spec decentralized_localsgd.md §0, §1.4:
Theorems 1-2 [UNCONFIRMED], only the O-form is known), so the checks rest on exact, derived
statements: the exact moment recursion of DCD-PSGD with Bernoulli sparsification (§4.4), the
mean-square stability threshold of DCD's consensus dynamics (§4.3) next to Tang's sufficient
condition (a parameter, [UNCONFIRMED]), the O(sigma/sqrt(nT)) leading term with its exponents
in n and T computed from exact moments, and ECD's estimation-error variance (§4.2).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools import check
from theorytools.theory.registry import DERIVED, UNCONFIRMED, Parameter, Theorem, register


# --------------------------------------------------------------------------- moments
def _checks_moments(th, quick, **params):
    from theorytools import algorithms as alg
    from theorytools.algorithms.exact_moments import (dcd_bernoulli_enumeration,
                                                      dcd_bernoulli_moments)
    from theorytools.compressors import create
    from theorytools.compressors.contract import hoeffding_radius
    from theorytools.problems import Noise
    from theorytools.problems.quadratic import certify_quadratic
    from theorytools.topology import from_matrix

    W = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]])
    a = np.array([1.0, 3.0])
    centres = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.0]])
    p, gamma, T = params.get("p", 0.6), 0.2, 2
    rec = dcd_bernoulli_moments(W, a, centres, gamma, p, T)
    enum, (lo, hi) = dcd_bernoulli_enumeration(W, a, centres, gamma, p, T)
    yield "recursion_vs_enumeration", check.law(
        np.concatenate([rec.dist_sq, rec.consensus]),
        np.concatenate([enum.dist_sq, enum.consensus]), rtol=1e-12, atol=1e-15,
        details="spec §4.4 recursion vs exact enumeration of the 2^(n d T) mask paths")
    n, d = centres.shape
    problem = certify_quadratic("separable", np.tile(np.diag(a), (n, 1, 1)), centres * a,
                                0.5 * np.sum(centres ** 2 * a, axis=1), Noise())
    top = from_matrix(W)
    R = 1000 if quick else 4000
    c = create(f"bernoulli[p={params.get('simulated_p', p)}]", float_width=64)
    runs = [alg.dcd_psgd(problem, top, c, gamma, T, seed=s, record="every") for s in range(R)]
    sims = np.array([tr.dist_sq for tr in runs])
    cons = np.array([tr.consensus for tr in runs])
    pf = 1e-9 / (2 * T)          # union bound over the 2 T assertions below
    for t in range(1, T + 1):
        yield f"simulator_mean_dist[t={t}]", check.mean_equals(
            sims[:, t], float(enum.dist_sq[t]), value_range=float(hi[0, t] - lo[0, t]),
            p_fail=pf, details="E||x_bar_t - x*||^2: simulator mean vs exact (Hoeffding, range "
                               "from the enumeration)")
        yield f"simulator_mean_consensus[t={t}]", check.mean_equals(
            cons[:, t], float(enum.consensus[t]), value_range=float(hi[1, t] - lo[1, t]),
            p_fail=pf, details="consensus error: simulator mean vs exact (Hoeffding)")


register(Theorem(
    key="tang2018.dcd_exact_moments", paper="tang2018",
    title="DCD-PSGD with Bernoulli sparsification: exact first and second moments",
    source="spec decentralized_localsgd.md §4.4 [DERIVED]; Tang et al. 2018, Alg. 1 "
           "[REFERENCE-CODE]", status=DERIVED,
    statement="m_{t+1} = B m_t + h; P_{t+1} = B P B^T + ... + beta Diag diag(N P N^T + ...)",
    assumptions=("separable quadratic, shared diagonal Hessian", "Bernoulli(p) masks"),
    algorithm="theorytools.algorithms.dcd_psgd", checks=_checks_moments,
    proof="tests/test_exact_moments.py::test_recursion_equals_enumeration"))


# --------------------------------------------------------------------------- stability
def consensus_operator(W, beta):
    r"""The linear map :math:`M \mapsto P(WMW + \beta\,\mathrm{Diag}\,\mathrm{diag}(DMD))P`
    (:math:`D = W - I`, :math:`P = I - J`) on n x n matrices, as an n^2 x n^2 matrix: the
    second-moment dynamics of DCD's consensus error with Bernoulli(p) sparsification,
    :math:`\beta = 1/p - 1` (spec §4.3 [DERIVED])."""
    n = W.shape[0]
    D = W - np.eye(n)
    P = np.eye(n) - np.full((n, n), 1.0 / n)
    op = np.empty((n * n, n * n))
    for k in range(n * n):
        M = np.zeros(n * n)
        M[k] = 1.0
        M = M.reshape(n, n)
        out = W @ M @ W + beta * np.diag(np.diag(D @ M @ D))
        op[:, k] = (P @ out @ P).ravel()
    return op


def stability_threshold(W, *, tol=1e-10):
    """The largest beta = alpha^2 for which the consensus operator's spectral radius is < 1
    (bisection; the radius increases with beta)."""
    def radius(beta):
        return float(np.max(np.abs(np.linalg.eigvals(consensus_operator(W, beta)))))

    lo, hi = 0.0, 1.0
    while radius(hi) < 1.0:
        hi *= 2.0
    while hi - lo > tol * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if radius(mid) < 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _checks_stability(th, quick, **params):
    from theorytools.topology import complete, ring, tang_dcd_alpha_max

    for n in (4, 8):
        top = complete(n)
        yield f"complete[n={n}]_threshold", check.law(
            stability_threshold(top.W), params.get("complete_formula", n / (n - 1)),
            rtol=1e-8, details="complete graph: the threshold is exactly n/(n-1) (spec §4.3)")
    top = ring(8)
    beta = stability_threshold(top.W)
    yield "ring8_threshold", check.tight(
        beta, 1.366, (0.995, 1.005),
        details="spec §4.3: alpha^2 ~ 1.366 for a ring of 8 (DERIVED numerically there)")
    alpha_max = tang_dcd_alpha_max(top) * th.parameter_values(**{
        k: v for k, v in params.items() if k == "condition_factor"})["condition_factor"]
    yield "tang_condition_is_sufficient", check.bound(
        alpha_max ** 2, beta, details=f"Tang's alpha_max^2 = {alpha_max ** 2:.3g} (UNCONFIRMED "
                                      "constant) lies below the exact threshold; ratio shows "
                                      "how conservative it is")


register(Theorem(
    key="tang2018.dcd_stability", paper="tang2018",
    title="DCD-PSGD: mean-square stability threshold vs Tang's sufficient condition",
    source="Tang et al. 2018, Theorem 1 condition alpha <= (1-rho)/(2 sqrt2 mu_W) "
           "[UNCONFIRMED]; exact threshold: spec decentralized_localsgd.md §4.3 [DERIVED]",
    status=DERIVED, statement="spectral radius of M -> P(WMW + beta Diag diag(DMD))P < 1",
    assumptions=("Bernoulli(p) sparsifier, beta = 1/p - 1", "pure consensus (gamma = 0)"),
    algorithm="theorytools.algorithms.dcd_psgd",
    parameters={"condition_factor": Parameter(1.0, UNCONFIRMED,
                                              "scales Tang's printed condition; confirm "
                                              "Theorem 1 of the paper")},
    checks=_checks_stability,
    proof="theorytools/theory/tang2018.py::consensus_operator (the second-moment map, exact); "
          "tests/test_theory_tang.py"))


# --------------------------------------------------------------------------- leading term
def _avg_grad_sq(n, T, p, *, c=0.5, sigma=1.0):
    from theorytools.algorithms.exact_moments import dcd_bernoulli_moments
    from theorytools.topology import ring

    a = np.array([1.0, 2.0, 4.0])
    centres = np.tile(np.array([1.0, -1.0, 0.5]), (n, 1))
    gamma = min(c * math.sqrt(n / T) / sigma, 0.1)
    r = dcd_bernoulli_moments(ring(n).W, a, centres, gamma, p, T, sigma=sigma, weights=a ** 2)
    return float(r.dist_sq[:T].mean())


def _checks_rate(th, quick, **params):
    T = 4000 if quick else 16000
    ns = np.array([4, 8, 16, 32])
    for label, p in (("dpsgd", 1.0), ("dcd_bernoulli_0.9", 0.9)):
        vals = np.array([_avg_grad_sq(int(n), T, p) for n in ns])
        exp_n = float(np.polyfit(np.log(ns), np.log(vals), 1)[0])
        yield f"{label}_exponent_in_n", check.slope(
            [exp_n], params.get("predicted_n", -0.5), tol=0.05,
            details=f"(1/T) sum_t E||grad f(x_bar_t)||^2 (exact moments) at T={T}, gamma = "
                    f"0.5 sqrt(n/T)/sigma: {np.array2string(vals, precision=4)}")
    Ts = np.array([1000, 4000, 16000]) if quick else np.array([1000, 4000, 16000, 64000])
    vals = np.array([_avg_grad_sq(8, int(T_), 1.0) for T_ in Ts])
    exp_t = float(np.polyfit(np.log(Ts), np.log(vals), 1)[0])
    yield "dpsgd_exponent_in_T", check.slope([exp_t], -0.5, tol=0.05,
                                             details=f"n = 8: {np.array2string(vals, precision=4)}")


register(Theorem(
    key="tang2018.leading_term", paper="tang2018",
    title="D-PSGD / DCD-PSGD: the O(sigma/sqrt(nT)) leading term (linear speedup in n)",
    source="Tang et al. 2018, abstract O(1/sqrt(nT)) [PAPER]; Corollaries 1-2 [UNCONFIRMED "
           "constants]; exponents from exact moments (spec §4.4) [DERIVED]", status=DERIVED,
    statement="(1/T) sum_t E||grad f(x_bar_t)||^2 ~ sigma/sqrt(nT) with gamma ~ sqrt(n/T)",
    assumptions=("noise-dominated regime", "zeta = 0"),
    algorithm="theorytools.algorithms.dcd_psgd", checks=_checks_rate,
    proof="theorytools/algorithms/exact_moments.py::dcd_bernoulli_moments "
          "(tests/test_exact_moments.py)"))


# --------------------------------------------------------------------------- ECD error
def ecd_error_closed_form(t, s):
    """E||e_{t+1}||^2 = (2s/3)(1/(t-1) + 1/t) for t >= 2 (spec §4.2 [DERIVED])."""
    return 2.0 * s / 3.0 * (1.0 / (t - 1) + 1.0 / t)


def _checks_ecd(th, quick, **params):
    s = 1.0
    v = 0.0                       # E||e_1||^2 = 0
    exact, closed = [], []
    for t in range(1, 201):       # e_{t+1} = (1 - 2/t) e_t + (2/t) q_t, independent q
        v = (1 - 2 / t) ** 2 * v + (2 / t) ** 2 * s
        if t >= 2:
            exact.append(v)
            closed.append(params.get("closed_form", ecd_error_closed_form)(t, s))
    yield "closed_form", check.law(np.array(exact), np.array(closed), rtol=1e-12,
                                   details="variance recursion vs (2s/3)(1/(t-1)+1/t), t<=200")
    T = 200
    h = np.cumsum(1.0 / np.arange(1, T + 1))
    total = sum(exact[:T - 1])
    yield "harmonic_total", check.law(total, 2 * s / 3 * (h[T - 2] + h[T - 1] - 1), rtol=1e-12,
                                      details="sum_{t=2}^{T} E||e_{t+1}||^2 = (2s/3)(H_{T-1} + "
                                              "H_T - 1): the log T term")


register(Theorem(
    key="tang2018.ecd_estimation_error", paper="tang2018",
    title="ECD-PSGD: estimation-error variance (2s/3)(1/(t-1) + 1/t) and its log T total",
    source="Tang et al. 2018, Alg. 2 [REFERENCE-CODE]; spec §1.3.4, §4.2 [DERIVED]; "
           "proofs_check/ecd_error.py", status=DERIVED,
    statement="E||e_{t+1}||^2 = (2s/3)(1/(t-1) + 1/t)", algorithm="theorytools.algorithms.ecd_psgd",
    checks=_checks_ecd, proof="proofs_check/ecd_error.py::ecd_error_closed_form"))
