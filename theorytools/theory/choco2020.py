r"""CHOCO-SGD's explicit non-convex bound (Koloskova, Lin, Stich, Jaggi, ICLR 2020, Theorem 4.1),
registered under the paper key ``tang2018``: CHOCO-SGD is the follow-up of Tang et al.'s
DCD/ECD-PSGD (CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco)) and gives the assertable decentralized bound
B-3 of checks (docs/sources.md#checks).

Statement [SECONDARY: CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco), transcribed from the ICLR 2020 text; not confirmed against the
paper here, so the status is ``unconfirmed`` and every printed constant is a
:class:`~theorytools.theory.registry.Parameter`]. Each :math:`f_i` L-smooth,
:math:`\mathbb{E}\|\nabla F_i(x,\xi) - \nabla f_i(x)\|^2 \le \sigma_i^2`,
:math:`\bar\sigma^2 = \frac1n\sum_i\sigma_i^2`, :math:`\mathbb{E}\|\nabla F_i(x,\xi)\|^2 \le G^2`;
gossip matrix with spectral gap :math:`\rho = 1 - |\lambda_2(W)|` and
:math:`\beta = \|I - W\|_2`; compressor :math:`\mathbb{E}\|Q(x) - x\|^2 \le (1 - \delta)\|x\|^2`.
With :math:`\eta = \sqrt{n}/\sqrt{T+1}`, consensus step
:math:`\gamma = \rho^2\delta/(16\rho + \rho^2 + 4\beta^2 + 2\rho\beta^2 - 8\rho\delta)` and
:math:`T \ge 64nL^2`,

.. math::
   \frac{1}{T+1}\sum_{t=0}^{T}\|\nabla f(\bar x_t)\|^2 \le
   \frac{4(f(\bar x_0) - f^\star) + 4\bar\sigma^2L}{\sqrt{n(T+1)}}
   + \frac{24\,G^2nL}{c^2(T+1)},\qquad c = \frac{\rho^2\delta}{82}.

(The left side is read as an expectation over the algorithm's randomness.)

The check: CHOCO-SGD (:func:`theorytools.algorithms.choco_sgd`) on an l2-regularised logistic
regression over a ring of 8 nodes, with the unscaled Rand-k compressor (a scaled unbiased
compressor :math:`Q = C/(1+\omega)`, :math:`\delta = k/d` exactly), at the theorem's
:math:`\eta` and :math:`\gamma`. Constants evaluated honestly: L = max_i L_i (exact, attained
at 0); :math:`\bar\sigma^2` = the global upper bound :math:`\frac1N\sum_j\|a_j\|^2` of the
single-sample variance (the :math:`\lambda x` term cancels, :math:`|s| < 1`); :math:`G^2` does
not hold globally (the :math:`\lambda x` term is unbounded), so it is the supremum of the
per-sample bound :math:`\max_i\frac1m\sum_j(\|a_{ij}\| + \lambda R)^2` over the ball of radius
:math:`R = \max_{t,i}\|x^i_t\|` that the runs visit, R measured at every step of every run
through :math:`\|x^i_t\| \le \|x^\star\| + \sqrt{n(\mathrm{consensus}_t + \|\bar x_t -
x^\star\|^2)}`.
"""
from __future__ import annotations

import math

import numpy as np

from theorytools import check
from theorytools.check import t_band
from theorytools.report import Curve, Series, thin
from theorytools.theory.common import (BOUND_SCALE_HOOK, cached_runs, run_seeds, scaled_bound,
                                      seeded, t_one_sided_check)
from theorytools.theory.registry import UNCONFIRMED, Parameter, Theorem, register

__all__ = ["SOURCE", "TIGHT_CHOCO", "choco_admissible", "choco_bound", "choco_consensus_step"]

SOURCE = ("Koloskova, Lin, Stich, Jaggi, ICLR 2020, Theorem 4.1 [SECONDARY: "
          "CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco); checks B-3 (docs/sources.md#checks)]")
_NOTE = ("CHOCO-SGD, Koloskova et al. 2019/2020 (docs/sources.md#choco) [SECONDARY]; confirm in Koloskova et al. 2020, "
         "Thm 4.1")


def choco_consensus_step(rho, beta, delta, factor=1.0):
    r"""The theorem's consensus step
    :math:`\gamma = \rho^2\delta/(16\rho + \rho^2 + 4\beta^2 + 2\rho\beta^2 - 8\rho\delta)`
    (times ``factor``, a parameter: the formula is [SECONDARY])."""
    return factor * rho ** 2 * delta / (16 * rho + rho ** 2 + 4 * beta ** 2
                                        + 2 * rho * beta ** 2 - 8 * rho * delta)


def choco_bound(f0_gap, sigma_sq, G_sq, L, n, T, rho, delta, *, c_f=4.0, c_sigma=4.0,
                c_consensus=24.0, c_div=82.0, L_power=1.0, terms=False):
    r"""Theorem 4.1's right-hand side

    .. math:: \frac{c_f(f(\bar x_0) - f^\star) + c_\sigma\bar\sigma^2L}{\sqrt{n(T+1)}}
       + \frac{c_{cons}G^2nL^{p}}{c^2(T+1)},\qquad c = \frac{\rho^2\delta}{c_{div}},

    with the printed (SECONDARY) :math:`c_f = c_\sigma = 4`, :math:`c_{cons} = 24`,
    :math:`c_{div} = 82`, :math:`p = 1` as defaults. ``terms=True`` returns the two parts."""
    c = rho ** 2 * delta / c_div
    first = (c_f * f0_gap + c_sigma * sigma_sq * L) / math.sqrt(n * (T + 1))
    third = c_consensus * G_sq * n * L ** L_power / (c ** 2 * (T + 1))
    return (first, third) if terms else first + third


def choco_admissible(T, n, L, eta, gamma, rho, beta, delta, factor=1.0, **_):
    """Theorem 4.1's conditions: T >= 64 n L^2, eta = sqrt(n/(T+1)), gamma = the formula,
    0 < delta <= 1, 0 < rho <= 1."""
    bad = []
    if T < 64 * n * L ** 2:
        bad.append(f"T >= 64 n L^2 = {64 * n * L ** 2:.4g} (T = {T})")
    if abs(eta - math.sqrt(n / (T + 1))) > 1e-12 * eta:
        bad.append(f"eta = sqrt(n/(T+1)) = {math.sqrt(n / (T + 1)):.6g} (eta = {eta:.6g})")
    if not 0 < delta <= 1:
        bad.append(f"0 < delta <= 1 (delta = {delta:g})")
    if not 0 < rho <= 1:
        bad.append(f"0 < rho <= 1 (rho = {rho:g})")
    if not bad:
        want = choco_consensus_step(rho, beta, delta, factor)
        if abs(gamma - want) > 1e-12 * want:
            bad.append(f"gamma = rho^2 delta/(16 rho + rho^2 + 4 beta^2 + 2 rho beta^2 - "
                       f"8 rho delta) = {want:.6g} (gamma = {gamma:.6g})")
    return bad


def _problem():
    """l2-regularised logistic regression, n = 8 nodes x m = 25 samples, d = 10, lam = 1e-3,
    single-sample stochastic gradients (batch 1), random split; planted labels with noise."""
    from theorytools.problems import logistic

    rng = np.random.default_rng(2020)
    n, m, d = 8, 25, 10
    F = rng.standard_normal((n * m, d))
    w = rng.standard_normal(d)
    y = np.where(F @ w + 0.5 * rng.standard_normal(n * m) >= 0, 1.0, -1.0)
    return logistic(F, y, n, 1e-3, batch=1, split="random", seed=0)


def _per_sample_sq(problem, X):
    """max_i E_xi ||grad F_i(x_i, xi)||^2 at the rows x_i of X (batch 1: the mean over node
    i's samples of the per-sample gradient's squared norm), exact."""
    F, Y, lam = (problem.arrays[k] for k in ("features", "labels", "lam"))
    out = 0.0
    for i in range(problem.n):
        t = -Y[i] * (F[i] @ X[i])
        s = np.where(t >= 0, 1.0 / (1.0 + np.exp(-np.abs(t))),
                     np.exp(-np.abs(t)) / (1.0 + np.exp(-np.abs(t))))
        g = (-Y[i] * s)[:, None] * F[i] + lam * X[i]
        out = max(out, float(np.mean(np.sum(g * g, axis=1))))
    return out


def _runs(algorithm, comp_spec, T, seeds, gamma_c, seed=0):
    """Runs at horizon T (eta = sqrt(n/(T+1))), cached: per seed the left-hand side
    (1/(T+1)) sum_t ||grad f(x_bar_t)||^2, the largest ||x_t^i|| bound, the thinned curve,
    the mean cumulative bits per node, the exact E||g||^2 at the final iterates, and the
    final X - X_hat rows (inputs for the contraction check)."""
    def make():
        import warnings

        from theorytools import algorithms as alg
        from theorytools.compressors import create
        from theorytools.topology import ring

        problem = _problem()
        top = ring(problem.n)
        comp = create(comp_spec)
        eta = math.sqrt(problem.n / (T + 1))
        xs = float(np.linalg.norm(problem.x_star))
        idx = thin(T + 1)
        lhs, radius, curves, bits, g_final, diffs = [], 0.0, [], [], 0.0, []
        for run_seed in run_seeds(seed, seeds):
            if algorithm == "naive":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tr = alg.naive_compressed(problem, top, comp, eta, T, seed=run_seed,
                                              record="every")
            else:
                tr = alg.choco_sgd(problem, top, comp, eta, T, consensus_step=gamma_c,
                                   seed=run_seed, record="every")
            lhs.append(float(np.mean(tr.grad_norm_sq)))
            radius = max(radius, xs + float(np.max(np.sqrt(
                problem.n * (tr.consensus + tr.dist_sq)))))
            curves.append(tr.grad_norm_sq[idx])
            bits.append(tr.bits[idx].mean(axis=1))
            g_final = max(g_final, _per_sample_sq(problem, tr.X))
            diffs.extend(tr.X - tr.meta["aux"])
        return (np.array(lhs), radius, np.array(curves), np.mean(bits, axis=0), idx, g_final,
                np.array(diffs))

    return cached_runs(("choco", algorithm, comp_spec, T, seeds, gamma_c, seed), make)


class _Logistic:
    """What the guarantees on the logistic ring share: the problem, the compressor and its
    delta, the theorem's steps and the runs at every T (cached), for one run of the checks."""

    def __init__(self, th, quick, seed, params):
        from theorytools.compressors import create
        from theorytools.topology import ring

        self.th, self.params = th, params
        self.consts = th.parameter_values(**{k: v for k, v in params.items()
                                             if k in th.parameters})
        self.factor = self.consts.pop("consensus_step_factor")
        self.problem = problem = _problem()
        self.n, self.d = n, d = problem.n, problem.d
        top = ring(n)
        self.rho, self.beta = rho, beta = top.spectral_gap, top.beta
        self.comp_spec = params.get("compressor", "rand_k_biased[k=5,float_width=64]")
        self.comp = comp = create(self.comp_spec)
        if "delta" in params:
            self.delta = float(params["delta"])
            self.delta_src = "given"
        else:
            b3 = comp.theory(d).delta
            if b3 is None:
                raise ValueError(f"{comp.canonical_name} declares no contraction constant; "
                                 "pass delta=")
            self.delta = 1.0 / b3.value          # B3(delta') of P1 <=> CHOCO delta = 1/delta'
            self.delta_src = f"declared B3 constant {b3.value:g} -> delta = 1/{b3.value:g}"
        self.L = float(np.max(problem.L_i))
        self.gamma_c = choco_consensus_step(rho, beta, self.delta, self.factor)
        self.Ts = params.get("T_list", (300, 1000, 3000) if quick else (300, 1000, 3000, 6000))
        self.seeds = 8 if quick else 16
        self.algorithm = params.get("algorithm", "choco")
        for T in self.Ts:
            th.require_admissible(T=T, n=n, L=self.L, eta=math.sqrt(n / (T + 1)),
                                  gamma=self.gamma_c, rho=rho, beta=beta, delta=self.delta,
                                  factor=self.factor)
        self.runs = {T: _runs(self.algorithm, self.comp_spec, T, self.seeds, self.gamma_c,
                              seed) for T in self.Ts}


def _contraction(s):
    """1. The compressor is a delta-contraction: exact E||Q(x) - x||^2/||x||^2 from its law,
    on adversarial and extremal inputs and on the runs' last differences X - X_hat."""
    from theorytools.compressors.contract import adversarial_inputs, exact_quantities

    inputs = [x for _, x in adversarial_inputs(s.d) if np.any(x)]
    inputs += [e.x for e in s.comp.extremal_inputs(s.d)]
    inputs += [x for x in s.runs[s.Ts[0]][6][:8] if np.any(x)]
    quantities = [exact_quantities(s.comp, np.asarray(x, dtype=float)) for x in inputs]
    worst = max(q.error / q.norm2 for q in quantities)
    yield "contraction", seeded(check.bound(
        worst, 1.0 - s.delta, rtol=1e-12,
        details=f"{s.comp.canonical_name}: worst exact E||Q(x) - x||^2/||x||^2 over "
                f"{len(inputs)} inputs (adversarial, extremal, the runs' X - X_hat) <= "
                f"1 - delta, delta = {s.delta:.4g} ({s.delta_src})"))


def _bound_and_rate(s):
    """2. The bound at each T (one-sided Student-t upper confidence bound over seeds); 3. the
    rate: the left-hand side decays at least like T^(-1/2)."""
    problem, n, d, L, rho, delta = s.problem, s.n, s.d, s.L, s.rho, s.delta
    f0_gap = float(problem.f(np.zeros(d)) - problem.f_star)
    sigma_sq = float(problem.sigma_sq_sup)
    F = problem.arrays["features"]
    lam = problem.arrays["lam"]
    norms = np.linalg.norm(F, axis=2)                       # (n, m)
    radius = max(r[1] for r in s.runs.values())
    G_sq = float(np.max(np.mean((norms + lam * radius) ** 2, axis=1)))
    g_final = max(r[5] for r in s.runs.values())
    c = rho ** 2 * delta / s.consts["c_div"]
    T_useful = s.consts["c_consensus"] * n * L ** s.consts["L_power"] / c ** 2 - 1
    means, firsts, bounds, bits_T = [], [], [], []
    for T in s.Ts:
        lhs, _, curves, bits, idx, _, _ = s.runs[T]
        first, third = choco_bound(f0_gap, sigma_sq, G_sq, L, n, T, rho, delta, terms=True,
                                   **s.consts)
        bound = s.th.bound(f0_gap=f0_gap, sigma_sq=sigma_sq, G_sq=G_sq, L=L, n=n, T=T,
                           rho=rho, delta=delta, **s.consts)
        res = t_one_sided_check(
            lhs, bound, lower=False,
            details=f"(1/(T+1)) sum_t ||grad f(x_bar_t)||^2 of {s.algorithm}, {s.seeds} seeds, "
                    f"T = {T}, eta = {math.sqrt(n / (T + 1)):.4g}, gamma = {s.gamma_c:.4g}; "
                    f"first term {first:.4g} (mean/first = {lhs.mean() / first:.3g}), "
                    f"consensus term {third:.4g}; f(x_0) - f* = {f0_gap:.4g}, sigma^2 = "
                    f"{sigma_sq:.4g} (global bound), L = max L_i = {L:.4g}, rho = {rho:.4g}, "
                    f"beta = {s.beta:.4g}, delta = {delta:.4g}, G^2 = {G_sq:.4g} (sup over the "
                    f"visited ball, R = {radius:.4g}; exact E||g||^2 at the final iterates "
                    f"{g_final:.4g}); Student-t: no a-priori range (lam x unbounded)")
        b = t_band(curves)
        Series([Curve(idx, b.mean, f"||grad f(x_bar_t)||^2, mean of {s.seeds} seeds",
                      kind="mean", lo=b.lo, hi=b.hi, band="95% t-band", bits=bits,
                      bound=np.full(idx.size, bound), bound_label="Theorem 4.1 bound"),
                Curve(idx, np.full(idx.size, first),
                      "first term of the bound (without the consensus term)", kind="exact",
                      bits=bits)],
               xlabel="iteration t", ylabel="||grad f(x_bar_t)||^2").attach(res)
        yield f"bound[T={T}]", seeded(res)
        means.append(lhs)
        firsts.append(first)
        bounds.append(bound)
        bits_T.append(bits[-1])

    Ts = s.Ts
    Y = np.log(np.array(means).T)
    tol = 0.1
    res = check.slope(check.fit_slopes(np.log(Ts), Y), -0.5 + tol, alternative="at_most",
                      details=f"log-log exponent of (1/(T+1)) sum_t ||grad f(x_bar_t)||^2 in T "
                              f"over T = {list(Ts)} ({s.seeds} seeds, eta = sqrt(n/(T+1))): "
                              f"the bound's rate T^(-1/2), tolerance {tol:g}; the bound is "
                              f"vacuous (consensus term >= G^2) until T ~ {T_useful:.3g}")
    b = t_band(np.array(means).T)
    Series([Curve(np.array(Ts), b.mean, "mean over seeds", kind="mean", lo=b.lo, hi=b.hi,
                  band="95% t-band", bits=np.array(bits_T), bound=np.array(bounds),
                  bound_label="Theorem 4.1 bound"),
            Curve(np.array(Ts), np.array(firsts), "first term (T^(-1/2))", kind="exact",
                  bits=np.array(bits_T))],
           xlabel="iterations T", ylabel="(1/(T+1)) sum_t ||grad f(x_bar_t)||^2",
           logx=True).attach(res)
    yield "rate_in_T", seeded(res)


def _checks(th, quick, seed=0, **params):
    th = scaled_bound(th, params.pop("bound_scale", 1.0))     # planted fault (hooks)
    s = _Logistic(th, quick, seed, params)
    yield from _contraction(s)
    yield from _bound_and_rate(s)
    yield from _checks_tight(th, quick, seed, **params)


# Where the bound is within 100x (issue 11). On the logistic ring above the consensus term
# 24 G^2 n L/(c^2 (T+1)), c = rho^2 delta/82, is ~1e7 times the measurement; with gradient
# noise it stays > 6 n^1.5/(c^2 sqrt(T)) times the first term for every L (docs/theorems.md,
# "Vacuous bound checks"), so the tight configuration has sigma = 0, a complete graph (rho = 1)
# and L = 1/sqrt(nT), where the theorem's own step eta = sqrt(n/(T+1)) makes eta L T ~ 1.
TIGHT_CHOCO = {"n": 4, "d": 10, "T": 10000, "seeds": 8}


def _tight_problem(T, n, d):
    """Identical quadratics f_i = (L/2)||x - x*||^2, L = mu = 1/sqrt(nT), exact gradients."""
    from theorytools.problems import quadratic
    L = 1.0 / math.sqrt(n * T)
    return quadratic(n, d, L, L, seed=1)


def _checks_tight(th, quick, seed=0, **params):
    """Theorem 4.1 where the bound is not vacuous: CHOCO-SGD, the unscaled Rand-5 of d = 10
    (delta = 1/2), complete graph of n = 4 (rho = beta = 1), exact gradients (sigma = 0),
    identical quadratics with L = 1/sqrt(nT), x0 = 0, T = 10^4, the theorem's eta and gamma
    (admissible: T >= 64 n L^2 = 0.0256). G^2 = L^2 R^2 with R >= max_{t,i}||x^i_t - x*|| over
    every run (||x^i - x*|| <= ||x_bar - x*|| + sqrt(n consensus)), an upper bound of
    ||grad F_i||^2 on the visited points. One-sided Student-t over seeds. Planted faults:
    ``algorithm="naive"``, the theorem's constants (parameters), ``compressor``/``delta``."""
    import warnings

    from theorytools import algorithms as alg
    from theorytools.compressors import create
    from theorytools.topology import complete

    consts = th.parameter_values(**{k: v for k, v in params.items() if k in th.parameters})
    factor = consts.pop("consensus_step_factor")
    n, d, T, seeds = (TIGHT_CHOCO[k] for k in ("n", "d", "T", "seeds"))
    problem = _tight_problem(T, n, d)
    L = float(np.max(problem.L_i))
    top = complete(n)
    rho, beta = top.spectral_gap, top.beta
    comp = create(params.get("compressor", "rand_k_biased[k=5,float_width=64]"))
    delta = float(params["delta"]) if "delta" in params else 1.0 / comp.theory(d).delta.value
    eta, gamma_c = math.sqrt(n / (T + 1)), choco_consensus_step(rho, beta, delta, factor)
    th.require_admissible(T=T, n=n, L=L, eta=eta, gamma=gamma_c, rho=rho, beta=beta,
                          delta=delta, factor=factor)
    algorithm = params.get("algorithm", "choco")
    lhs, radius, curves, bits = [], 0.0, [], []
    idx = thin(T + 1)
    for run_seed in run_seeds(seed, seeds):
        if algorithm == "naive":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tr = alg.naive_compressed(problem, top, comp, eta, T, seed=run_seed,
                                          record="every")
        else:
            tr = alg.choco_sgd(problem, top, comp, eta, T, consensus_step=gamma_c,
                               seed=run_seed, record="every")
        lhs.append(float(np.mean(tr.grad_norm_sq)))
        radius = max(radius, float(np.max(np.sqrt(tr.dist_sq) + np.sqrt(n * tr.consensus))))
        curves.append(np.cumsum(tr.grad_norm_sq)[idx] / (idx + 1))
        bits.append(tr.bits[idx].mean(axis=1))
    f0_gap = float(problem.f(np.zeros(d)) - problem.f_star)
    G_sq = L ** 2 * radius ** 2
    first, third = choco_bound(f0_gap, 0.0, G_sq, L, n, T, rho, delta, terms=True, **consts)
    bound = th.bound(f0_gap=f0_gap, sigma_sq=0.0, G_sq=G_sq, L=L, n=n, T=T, rho=rho,
                     delta=delta, **consts)
    lhs = np.array(lhs)
    res = t_one_sided_check(
        lhs, bound, lower=False,
        details=f"(1/(T+1)) sum_t ||grad f(x_bar_t)||^2 of {algorithm}, {seeds} seeds, "
                f"identical quadratics L = mu = {L:.4g} = 1/sqrt(nT), sigma = 0, complete "
                f"graph (rho = beta = 1), {comp.canonical_name} (delta = {delta:g}), eta = "
                f"{eta:.4g}, gamma = {gamma_c:.4g}; first term {first:.4g} (mean/first = "
                f"{lhs.mean() / first:.3g}), consensus term {third:.4g}; G^2 = L^2 R^2 = "
                f"{G_sq:.4g}, R = {radius:.4g}; Student-t over seeds")
    b = t_band(curves)
    Series(Curve(idx, b.mean, f"running mean (1/(t+1)) sum_s ||grad f(x_bar_s)||^2, {seeds} "
                              "seeds", kind="mean", lo=b.lo, hi=b.hi, band="95% t-band",
                 bits=np.mean(bits, axis=0), bound=np.full(idx.size, bound),
                 bound_label=f"Theorem 4.1 bound at T = {T}"),
           xlabel="iteration t", ylabel="(1/(t+1)) sum_s ||grad f(x_bar_s)||^2").attach(res)
    yield f"bound_tight[complete,n={n},T={T}]", seeded(res)


register(Theorem(
    key="tang2018.choco_nonconvex_bound", paper="tang2018",
    title="CHOCO-SGD (follow-up of Tang et al.): explicit non-convex bound, ICLR 2020 Thm 4.1",
    source=SOURCE, status=UNCONFIRMED,
    statement="(1/(T+1)) sum_t ||grad f(x_bar_t)||^2 <= (4(f(x_bar_0) - f*) + 4 sigma^2 L)"
              "/sqrt(n(T+1)) + 24 G^2 n L/(c^2 (T+1)), c = rho^2 delta/82",
    assumptions=("f_i L-smooth", "E||grad F_i - grad f_i||^2 <= sigma_i^2",
                 "E||grad F_i||^2 <= G^2 (here: sup over the visited region)",
                 "E||Q(x) - x||^2 <= (1 - delta)||x||^2", "rho = 1 - |lambda_2|, "
                 "beta = ||I - W||_2", "eta = sqrt(n/(T+1)), T >= 64 n L^2, gamma = formula"),
    algorithm="theorytools.algorithms.choco_sgd", bound=choco_bound,
    admissible=choco_admissible, checks=_checks,
    hooks={"compressor": "the compressor Q (spec string; default rand_k_biased[k=5])",
           "delta": "planted fault: a delta other than the compressor's declared one",
           "T_list": "the horizons T of the bound and rate checks",
           "algorithm": "planted fault: 'naive' runs naive compressed D-PSGD instead",
           "bound_scale": BOUND_SCALE_HOOK},
    parameters={
        "c_f": Parameter(4.0, UNCONFIRMED, f"coefficient of f(x_0) - f*; {_NOTE}"),
        "c_sigma": Parameter(4.0, UNCONFIRMED, f"coefficient of sigma^2 L; {_NOTE}"),
        "c_consensus": Parameter(24.0, UNCONFIRMED, f"coefficient of G^2 n L/c^2; {_NOTE}"),
        "c_div": Parameter(82.0, UNCONFIRMED, f"c = rho^2 delta / c_div; {_NOTE}"),
        "L_power": Parameter(1.0, UNCONFIRMED,
                             "power of L in the consensus term: the restated theorem prints L; a "
                             f"descent-lemma derivation gives L^2 (L^2 <= L here); {_NOTE}"),
        "consensus_step_factor": Parameter(1.0, UNCONFIRMED,
                                           "gamma = factor x rho^2 delta/(16 rho + rho^2 + "
                                           f"4 beta^2 + 2 rho beta^2 - 8 rho delta); {_NOTE}")},
    proof="none (SECONDARY statement, checked numerically only)"))
