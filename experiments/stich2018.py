r"""Stich, "Local SGD Converges Fast and Communicates Little" (ICLR 2019), re-enacted.

Logistic regression on two data sets held IDENTICALLY by all K workers (the paper's setting:
every worker samples from the same data), K in {1, 2, 4, 8, 16}, H in {1, 2, 4, ..., 128}:

1. the speedup in K at a fixed accuracy: the iterations :math:`T_{K,H}(\epsilon)` until Stich's
   weighted average :math:`\hat x_T` reaches :math:`f(\hat x_T) - f^\star \le \epsilon`
   (:math:`\epsilon` fixed in the code before any run), averaged over seeds, and
   :math:`S(K, H) = \bar T_{1,1}(\epsilon) / \bar T_{K,H}(\epsilon)` (the paper's
   experiments plot this speedup against K for several H on w8a; their exact protocol is
   unconfirmed here, docs/sources.md#local-sgd), and again at a second, smaller target on
   breast cancer, where :math:`T(\epsilon)` exceeds the shift :math:`a = 16\kappa` (the
   asymptotic regime of the theorem);
2. the communication rounds :math:`T_{K,H}(\epsilon)/H` needed (abstract: rounds reduced by
   up to a factor :math:`T^{1/2}`; the discussion of Corollary 2.3, as restated in
   docs/sources.md#local-sgd: :math:`H = O(\sqrt{T/(Kb)})` keeps the rate);
3. the theoretical speedup from Theorem 2.2's bound with the problem's certified constants
   (L, mu, :math:`\|x_0 - x^\star\|^2`; :math:`\sigma^2`, :math:`G^2` as the supremum of
   their exact values over the recorded iterates), never fitted, drawn next to the measured
   speedup;
4. local SGD against mini-batch SGD at EQUAL communication rounds R, both computing
   :math:`K H` stochastic gradients per round (Woodworth et al., "Is Local SGD Better than
   Minibatch SGD?", ICML 2020).

Run: ``python experiments/stich2018.py --quick --out DIR`` or ``theorytools experiment
stich2018 --quick``. Everything is from the public API (``theorytools.algorithms.local_sgd``,
``minibatch_sgd``, ``theorytools.problems``, ``theorytools.theory.stich2018``); to try your
own method, pass it as ``algorithm=`` to :func:`run_to_target` (same signature as
``local_sgd``) or replace :func:`minibatch_curve`.

Data. ``breast cancer``: scikit-learn's bundled set (569 x 30, z-scored), lambda = 1/N as in
the paper. ``w8a-like``: :func:`w8a_like`, a synthetic stand-in for LIBSVM's w8a (49 749 x
300 binary features, about 3% positive labels), which cannot be downloaded here.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

TITLE = ("Local SGD: speedup in the number of workers K at fixed accuracy, communication "
         "rounds, Theorem 2.2's speedup, and local vs mini-batch SGD at equal communication")
PAPER = ("Sebastian U. Stich, Local SGD Converges Fast and Communicates Little, ICLR 2019 "
         "(arXiv 1805.09767); the comparison of Woodworth, Patel, Stich, Dai, Bullins, McMahan, "
         "Shamir, Srebro, Is Local SGD Better than Minibatch SGD?, ICML 2020 (arXiv 2002.07839)")

DATASETS = ("breast_cancer", "w8a_like")
LABEL = {"breast_cancer": "breast cancer (569 x 30)", "w8a_like": "w8a-like (synthetic)"}
# The targets, fixed before any run, relative to the initial gap f(0) - f*: small enough that
# the sampling noise (the sigma^2 term, the one that K divides) matters at T(eps), large
# enough that one worker reaches them within the step budget (pilot runs at K = 1 only:
# T_1(eps) ~ 5e4 on breast cancer, ~ 1e5 on the w8a-like set). The paper's own eps (0.005 on
# w8a) is not confirmed and would be reached at our scale before the noise matters.
EPS_REL = {"breast_cancer": 2e-4, "w8a_like": 1e-3}
EPS_REL_TINY = 2e-2
# A second, smaller target on breast cancer only (cheap: d = 30), fixed before any run with it:
# there T(eps) exceeds the shift a = 16 kappa, where the steps decay and the noise term (the
# one K divides) dominates Theorem 2.2's bound: the asymptotic regime of the linear speedup.
EPS_SMALL_REL = 1e-5
EPS_SMALL_REL_TINY = 5e-3
# Criteria fixed before the runs (the verdicts follow from these, never from the numbers).
SPEEDUP_LINEAR = 0.5      # "linear speedup" reproduced: S(16, H) >= 0.5 * 16 at H = 1
SPEEDUP_SOME = 2.0        # partially: S(K_max, 1) >= 2 and increasing in K
KEEP = 1.25               # "H keeps the speedup": T_{K,H}(eps) <= 1.25 T_{K,1}(eps)
# Step multipliers c of the local vs mini-batch comparison: steps c * 4/(mu (a + t)), i.e.
# eta_0 from 1/(4L) (Theorem 2.2's, c = 1) to 2/L; each method is shown with its best c per
# round, as Woodworth et al. compare the methods at their best step sizes.
STEP_MULTS = (1.0, 2.0, 4.0, 8.0)
T_FIRST = 256             # first checkpoint of the T(eps) runs (the targets need T >> 256)


# --------------------------------------------------------------------------- data
def w8a_like(N, d=300, positive=0.03, nnz=11.6, seed=0):
    r"""A synthetic stand-in for LIBSVM's w8a: N rows of ``d`` binary features, about ``nnz``
    nonzeros per row and a fraction ``positive`` of +1 labels.

    Feature j is on independently with probability :math:`q_j`; the :math:`q_j` follow a
    heavy (Pareto) tail scaled so that :math:`\sum_j q_j = ` ``nnz`` (a few frequent features,
    many rare ones; each :math:`q_j \le 0.6`). Labels: :math:`P(y = 1) = s(a^\top w + c)` with
    a sparse :math:`w` (30% nonzero, N(0, 4)) and the intercept c set by bisection so that the
    mean probability is ``positive``. w8a itself: N = 49 749, d = 300, about 11.6 nonzeros
    per row and 3% positive labels (LIBSVM data page, as recalled: not re-checked here); it
    cannot be downloaded here.
    """
    rng = np.random.default_rng(seed)
    p = rng.pareto(1.2, d) + 1.0
    q = np.minimum(p / p.sum() * nnz, 0.6)
    for _ in range(100):                     # restore the mean row count after the cap
        if q.sum() >= nnz * (1 - 1e-6):
            break
        free = q < 0.6
        q[free] = np.minimum(q[free] * (1 + (nnz - q.sum()) / q[free].sum()), 0.6)
    F = (rng.random((N, d)) < q).astype(np.float64)
    w = rng.standard_normal(d) * (rng.random(d) < 0.3) * 2.0
    z = F @ w
    lo, hi = -60.0, 60.0
    for _ in range(100):
        c = 0.5 * (lo + hi)
        if np.mean(1.0 / (1.0 + np.exp(-(z + c)))) > positive:
            hi = c
        else:
            lo = c
    y = np.where(rng.random(N) < 1.0 / (1.0 + np.exp(-(z + c))), 1.0, -1.0)
    return F, y


def make_problem(name, N_w8a, seed):
    """The single-worker problem (n = 1, batch 1), certified by the toolkit's factories."""
    from theorytools.problems import breast_cancer_logistic, logistic

    if name == "breast_cancer":
        return breast_cancer_logistic(1, 1.0 / 569, batch=1)
    F, y = w8a_like(N_w8a, seed=seed)
    return logistic(F, y, 1, 1.0 / N_w8a, batch=1, name="w8a_like")


def replicate(p1, K, batch=None):
    r"""The K-worker problem in which EVERY worker holds all of ``p1``'s data (Stich's
    identical-data setting), each sampling ``batch`` rows with replacement per step.

    Equal to ``logistic(F, y, K, lam, batch=batch, split="replicated")`` (tested:
    tests/test_stich2018_experiment.py) without re-running its certification (seconds per K
    on the w8a-like set): replication leaves f, hence L, mu, x*, f*, unchanged
    (:math:`f = \frac1K\sum_k f_k` with every :math:`f_k = f`), every :math:`L_k = L`, and
    the sampling variance of a mean of b i.i.d. draws is the single-draw variance over b.
    """
    from theorytools.problems import Noise

    b0 = int(p1.noise.batch)
    batch = b0 if batch is None else int(batch)
    arr = p1.arrays
    F = np.ascontiguousarray(np.broadcast_to(arr["features"][0],
                                             (K,) + arr["features"].shape[1:]))
    Y = np.ascontiguousarray(np.broadcast_to(arr["labels"][0], (K,) + arr["labels"].shape[1:]))
    prov = dict(p1.provenance)
    prov["replicated"] = (f"every one of the {K} workers holds all {F.shape[1]} rows of the "
                          "certified n = 1 problem; constants unchanged, sigma^2 scaled by "
                          f"{b0}/{batch}", "derived (identical data)")
    return dataclasses.replace(
        p1, name=f"{p1.name}[K={K},b={batch}]", n=K,
        arrays={"features": F, "labels": Y, "lam": arr["lam"]}, L_i=np.full(K, p1.L_i[0]),
        zeta_star_sq=float(np.sum(p1.grad(p1.x_star) ** 2)),
        noise=Noise(kind="sampling", batch=batch), sigma_sq=p1.sigma_sq * b0 / batch,
        sigma_sq_sup=p1.sigma_sq_sup * b0 / batch, provenance=prov)


# --------------------------------------------------------------------------- runs
def checkpoints(H, T_min, T_max, ratio=2 ** 0.25):
    """Multiples of H on a geometric grid (ratio ``ratio``) from about T_min to T_max."""
    g = np.geomspace(T_min, T_max, int(np.ceil(np.log(T_max / T_min) / np.log(ratio))) + 1)
    return np.unique(np.ceil(g / H).astype(np.int64) * H)


def run_to_target(pK, p1, H, a, cps, seeds, eps, *, algorithm=None):
    r"""Local SGD (Stich's steps :math:`\eta_t = 4/(\mu(a+t))`, Theorem 2.2) on the K-worker
    problem ``pK``, with Stich's weighted average :math:`\hat x_T` evaluated at every
    checkpoint T in ``cps`` (multiples of H) until :math:`f(\hat x_T) - f^\star \le` ``eps``.

    The run is one call of :func:`~theorytools.algorithms.local_sgd` per segment
    :math:`[T_{j-1}, T_j)`: a segment ends right after a synchronisation, so the workers share
    one model, which starts the next segment; the shift ``a + T_{j-1}`` continues the global
    step sizes :math:`4/(\mu(a+t))` and weights :math:`(a+t)^2`, and :math:`\hat x_T` is the
    :math:`S`-weighted mean of the segments' averages. Segment j draws its samples from
    ``seeds[j]`` (fresh, independent randomness: the same law as one run, not the same
    draws). Returns the checkpoints reached, :math:`f(\hat x_T) - f^\star` and
    :math:`f(x_T) - f^\star` there, and the synchronised models' iterates (for the constants).
    ``algorithm``: a replacement for ``local_sgd`` with its signature (your own method, or a
    planted fault in the tests).
    """
    from theorytools.algorithms import local_sgd

    algorithm = algorithm or local_sgd
    d = p1.d
    x = np.zeros(d)
    acc = np.zeros(d)
    S = 0.0
    t0 = 0
    gaps, last, models = [], [], []
    for j, T in enumerate(cps):
        C = int(T - t0)
        tr = algorithm(pK, C, H, a=a + t0, seed=int(seeds[j]), x0=x, record=np.array([C]))
        acc += tr.meta["S_T"] * tr.x_bar
        S += tr.meta["S_T"]
        if not np.array_equal(tr.X, np.broadcast_to(tr.X[0], tr.X.shape)):
            raise AssertionError("a segment must end at a synchronisation (T multiple of H)")
        x = tr.X[0].copy()
        gaps.append(p1.f(acc / S) - p1.f_star)
        last.append(p1.f(x) - p1.f_star)
        models.append(x)
        t0 = int(T)
        if gaps[-1] <= eps:
            break
    return {"T": np.asarray(cps[:len(gaps)]), "gap": np.array(gaps), "last": np.array(last),
            "models": np.array(models)}


def exact_gradient_problem(p1):
    """``p1`` with exact gradients (no sampling): local SGD on it, for any K and H, is
    deterministic gradient descent with Stich's steps, the K -> infinity limit of mini-batch
    SGD (H = 1); its T(eps) caps every measured speedup of that method at T_1(eps) / T(eps)."""
    from theorytools.problems import Noise

    return dataclasses.replace(p1, name=f"{p1.name}[exact gradients]",
                               noise=Noise(kind="none"), sigma_sq=0.0, sigma_sq_sup=0.0)


def hitting_time(T, gap, eps):
    """First T with gap <= eps, interpolated linearly in (log T, log gap) between the last
    checkpoint above eps and the first one below; NaN if eps was not reached (censored)."""
    below = np.flatnonzero(gap <= eps)
    if below.size == 0:
        return math.nan
    j = int(below[0])
    if j == 0:
        return float(T[0])
    x0, x1 = math.log(T[j - 1]), math.log(T[j])
    y0, y1 = math.log(gap[j - 1]), math.log(gap[j])
    return float(math.exp(x0 + (math.log(eps) - y0) * (x1 - x0) / (y1 - y0)))


def minibatch_curve(p1, K, H, a, rounds, seed, c=1.0):
    r"""Local SGD with H local steps and mini-batch SGD with batch K H per round (K workers,
    H samples each), at equal communication rounds R, both with the step rule
    :math:`c \cdot 4/(\mu(a+t))` (c = 1: Theorem 2.2's; t counting each method's own
    updates: local steps, resp. rounds), both measured at the model after round R (the
    synchronised model, resp. the iterate). Returns the two f - f* curves over ``rounds``.

    (The step sizes are passed as a sequence: ``gamma``/``stepsize`` accept one; a callable
    schedule would replace ``steps(n)`` by ``lambda t: c * 4 / (mu * (a + t))``.)"""
    from theorytools.algorithms import local_sgd, minibatch_sgd

    R = int(rounds[-1])

    def steps(n):
        return c * 4.0 / (p1.mu * (a + np.arange(n)))

    loc = local_sgd(replicate(p1, K), R * H, H, stepsize=steps(R * H), a=a, seed=seed,
                    record=np.asarray(rounds) * H)
    mb = minibatch_sgd(replicate(p1, K, batch=H), steps(R), R, seed=seed,
                       record=np.asarray(rounds))
    return np.asarray(loc.f_gap), np.asarray(mb.f_gap)


# --------------------------------------------------------------------------- theory
def stich_bound(mu, L, K, T, H, a, sigma_sq, G_sq, r0):
    r"""Theorem 2.2 of Stich (ICLR 2019), with :math:`S_T = \sum_{t<T}(a+t)^2` in closed form
    (so that T can reach 1e12):

    .. math:: \frac{\mu a^3}{2S_T}r_0 + \frac{4T(T+2a)}{\mu K S_T}\sigma^2
       + \frac{256\,T}{\mu^2 S_T}G^2H^2L.

    Checked against ``theorytools.theory.stich2018.theorem_2_2_bound`` at every crossing
    found by :func:`theory_time`."""
    T = np.asarray(T, dtype=float)
    s_t = T * a * a + a * T * (T - 1) + (T - 1) * T * (2 * T - 1) / 6.0
    return (0.5 * mu * a ** 3 * r0 + 4 * T * (T + 2 * a) * sigma_sq / (mu * K)
            + 256 * T * G_sq * H * H * L / mu ** 2) / s_t


def theory_time(eps, mu, L, K, H, a, sigma_sq, G_sq, r0, T_max=10 ** 13):
    """Smallest integer T with Theorem 2.2's bound <= eps (the bound decreases in T for
    T >= 1 here); NaN if beyond T_max."""
    from theorytools.theory.stich2018 import theorem_2_2_bound

    args = (mu, L, K)
    rest = (H, a, sigma_sq, G_sq, r0)
    if stich_bound(*args, T_max, *rest) > eps:
        return math.nan
    lo, hi = 0, T_max                        # bound(lo) > eps >= bound(hi)
    if stich_bound(*args, 1, *rest) <= eps:
        return 1.0
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if stich_bound(*args, mid, *rest) <= eps:
            hi = mid
        else:
            lo = mid
    if hi <= 2 * 10 ** 6:                    # the toolkit's own bound (an O(T) sum) agrees
        for T, side in ((hi, True), (lo, False)):
            ref = theorem_2_2_bound(mu, L, K, T, H, a, sigma_sq, G_sq, r0)
            if (ref <= eps) != side and not math.isclose(ref, eps, rel_tol=1e-9):
                raise AssertionError(f"closed-form bound disagrees with theorem_2_2_bound at "
                                     f"T = {T}")
    return float(hi)


# --------------------------------------------------------------------------- plotting
def _log2_axis(axis):
    """Base-2 log scale with plain integer tick labels (1, 2, 4, ...)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=2))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _colors(n):
    import matplotlib.pyplot as plt
    cmap = plt.get_cmap("viridis")
    return [cmap(0.9 * i / max(1, n - 1)) for i in range(n)]


def _speedup_figure(ctx, ds, Ks, Hs, S_mean, S_lo, S_hi, S_th, eps, S_cap, name=None):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    cols = _colors(len(Hs))
    rows = []
    Kx = np.array(Ks, dtype=float)
    for ax in axes:
        ax.plot(Kx, Kx, color="0.6", lw=1, ls=":", label="linear speedup S = K")
    if np.isfinite(S_cap):
        axes[0].axhline(S_cap, color="k", lw=1, ls="-.",
                        label=f"cap as K → ∞ (exact gradients): {S_cap:.2f}")
    for j, H in enumerate(Hs):
        m = S_mean[:, j]
        axes[0].errorbar(Kx * (1 + 0.025 * (j - len(Hs) / 2)), m,
                         yerr=[m - S_lo[:, j], S_hi[:, j] - m], color=cols[j], marker="o",
                         ms=4, capsize=2, lw=1.2, label=f"H = {H}")
        axes[1].plot(Kx, S_th[:, j], color=cols[j], marker="s", ms=4, lw=1.2, ls="--",
                     label=f"H = {H}")
        for i, K in enumerate(Ks):
            rows.append({"dataset": ds, "K": K, "H": H, "speedup_measured": m[i],
                         "speedup_min": S_lo[i, j], "speedup_max": S_hi[i, j],
                         "speedup_theorem_2_2": S_th[i, j], "speedup_cap_exact_gradients":
                         S_cap, "eps": eps})
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        _log2_axis(ax.xaxis)
        _log2_axis(ax.yaxis)
        ax.set_xlabel("workers K")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(r"speedup $T_{1,1}(\epsilon)\,/\,T_{K,H}(\epsilon)$ (iterations)")
    axes[0].set_title(f"measured (mean over seeds, bars: min-max)", fontsize=10)
    axes[1].set_title("Theorem 2.2's bound, certified constants (not fitted)", fontsize=10)
    axes[0].legend(fontsize=7, ncol=2, loc="upper left")
    axes[1].legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle(f"Local SGD speedup at fixed accuracy, {LABEL[ds]}: "
                 f"$f(\\hat x_T) - f^\\star \\leq \\epsilon = {eps:.2g}$", fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig, name or f"speedup_{ds}", rows, caption=(
        f"{LABEL[ds]}: speedup in K at the fixed target eps = {eps:.3g} (iterations per "
        "worker to reach it, relative to one worker), one curve per H. Left: measured "
        "(mean T over seeds; bars: the min and max over seeds of the per-seed speedups). "
        "Right: the same ratio for the iterations Theorem 2.2's bound needs, with the "
        "problem's certified L, mu, ||x0 - x*||^2 and sigma^2, G^2 taken as the supremum of "
        "their exact values over the recorded iterates. Dotted: linear speedup. Dash-dotted: "
        "the largest speedup any K can give mini-batch SGD (H = 1) at this eps, T_1(eps) over "
        "the iterations of the same method with exact gradients."))


def _rounds_figure(ctx, ds, Ks, Hs, T_mean, T_lo, T_hi, eps):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    cols = _colors(len(Ks))
    Hx = np.array(Hs, dtype=float)
    rows = []
    for i, K in enumerate(Ks):
        Hk = Hx if K > 1 else Hx[:1]
        m, lo, hi = T_mean[i, :Hk.size], T_lo[i, :Hk.size], T_hi[i, :Hk.size]
        for ax, div in ((axes[0], 1.0), (axes[1], Hk)):
            ax.errorbar(Hk, m / div, yerr=[(m - lo) / div, (hi - m) / div], color=cols[i],
                        marker="o", ms=4, capsize=2, lw=1.2,
                        label=f"K = {K}" + (" (H irrelevant)" if K == 1 else ""))
        for j, H in enumerate(Hk):
            rows.append({"dataset": ds, "K": K, "H": int(H), "iterations_mean": m[j],
                         "iterations_min": lo[j], "iterations_max": hi[j],
                         "rounds_mean": m[j] / H, "eps": eps})
    for ax in axes:
        ax.set_xscale("log", base=2)
        _log2_axis(ax.xaxis)
        ax.set_yscale("log")
        ax.set_xlabel("local steps between averagings H")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(r"iterations per worker $T_{K,H}(\epsilon)$")
    axes[1].set_ylabel(r"communication rounds $T_{K,H}(\epsilon)/H$")
    axes[0].set_title("iterations to the target (mean, bars: min-max over seeds)",
                      fontsize=10)
    axes[1].set_title("communication rounds to the target", fontsize=10)
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Local SGD, {LABEL[ds]}: cost of reaching $\\epsilon = {eps:.2g}$",
                 fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig, f"rounds_{ds}", rows, caption=(
        f"{LABEL[ds]}: iterations per worker (left) and communication rounds (right) until "
        f"f(x_hat_T) - f* <= {eps:.3g}, against H, one curve per K (K = 1 is plain SGD: "
        "a single point). Flat iterations in H mean that the rounds fall like 1/H at no cost "
        "in iterations."))


def _compare_figure(ctx, ds, K, Hs_cmp, rounds, curves):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    cols = _colors(len(Hs_cmp))
    rows = []
    for j, H in enumerate(Hs_cmp):
        cv = curves[H]
        for ax, lk, mk in ((axes[0], "local", "minibatch"), (axes[1], "local_c1",
                                                               "minibatch_c1")):
            ax.plot(rounds, cv[lk], color=cols[j], lw=1.6, label=f"local SGD, H = {H}")
            ax.plot(rounds, cv[mk], color=cols[j], lw=1.6, ls="--",
                    label=f"mini-batch SGD, batch K·H = {K * H}")
        for i, r in enumerate(rounds):
            rows.append({"dataset": ds, "K": K, "H": H, "round": int(r),
                         "f_gap_local_best": float(cv["local"][i]),
                         "c_local_best": float(cv["c_local"][i]),
                         "f_gap_minibatch_best": float(cv["minibatch"][i]),
                         "c_minibatch_best": float(cv["c_minibatch"][i]),
                         "f_gap_local_c1": float(cv["local_c1"][i]),
                         "f_gap_minibatch_c1": float(cv["minibatch_c1"][i])})
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("communication rounds R")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(r"$f(x) - f^\star$ after round R (mean over seeds)")
    axes[0].set_title(r"each method at its best step $c\cdot 4/(\mu(a+t))$, "
                      f"c in {{{', '.join(f'{c:g}' for c in STEP_MULTS)}}} (per R)",
                      fontsize=10)
    axes[1].set_title(r"Theorem 2.2's step $4/(\mu(a+t))$ for both (c = 1)", fontsize=10)
    axes[1].legend(fontsize=7, ncol=1)
    fig.suptitle(f"{LABEL[ds]}, K = {K}: local vs mini-batch SGD at equal communication and "
                 "equal gradients per round", fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig, f"local_vs_minibatch_{ds}", rows, caption=(
        f"{LABEL[ds]}, K = {K} workers: f - f* after R communication rounds for local SGD "
        "with H local steps (solid) and mini-batch SGD whose K workers each average H "
        "samples per round (dashed): the same K H stochastic gradients and one "
        "communication per round (Woodworth et al. 2020's comparison). Left: each method "
        "with its best step multiplier c at each R (steps c 4/(mu (a + t)), t counting each "
        "method's own updates); right: Theorem 2.2's rule c = 1 for both."))


def _sweep(ctx, prog, ds, di, p1, a, eps, Ks, Hs, R, T_cap):
    """T_{K,H}(eps) for every (K, H) and R seeds, the exact-gradient cap, and Theorem 2.2's
    iteration counts; returns a dict of the arrays the figures and claims use."""
    T = {}
    models = [np.zeros(p1.d)]
    for K in Ks:
        pK = replicate(p1, K)
        for H in (Hs if K > 1 else (1,)):
            cps = checkpoints(H, T_FIRST, T_cap)
            for r in range(R):
                seeds = np.random.SeedSequence(
                    [ctx.seed, 2018, di, K, H, r]).generate_state(cps.size)
                key = (f"{ds}[K={K},H={H},seed={r},eps={eps:.6g},grid={T_FIRST}-"
                       f"{T_cap}]")
                res = ctx.cached(key, lambda: run_to_target(pK, p1, H, a, cps, seeds, eps))
                T[K, H, r] = hitting_time(res["T"], res["gap"], eps)
                models.append(res["models"][:: max(1, len(res["models"]) // 8)])
                prog.step(key, f"T(eps) = {T[K, H, r]:.0f}")
    # --- the K -> infinity limit (exact gradients): the cap of the speedup at H = 1
    cps1 = checkpoints(1, T_FIRST, T_cap)
    det = ctx.cached(f"{ds}[exact gradients,eps={eps:.6g},grid={T_FIRST}-{T_cap}]",
                     lambda: run_to_target(exact_gradient_problem(p1), p1, 1, a, cps1,
                                           np.zeros(cps1.size, np.int64), eps))
    T_det = hitting_time(det["T"], det["gap"], eps)
    prog.step(f"{ds}[exact gradients]", f"T(eps) = {T_det:.0f}")
    # --- speedup and rounds (seed means; K = 1 has no H)
    T1 = np.array([T[1, 1, r] for r in range(R)])
    Tm = np.full((len(Ks), len(Hs)), np.nan)
    Tlo, Thi = Tm.copy(), Tm.copy()
    S_mean, S_lo, S_hi = Tm.copy(), Tm.copy(), Tm.copy()
    for i, K in enumerate(Ks):
        for j, H in enumerate(Hs):
            if K == 1 and H != 1:
                continue
            v = np.array([T[K, H if K > 1 else 1, r] for r in range(R)])
            Tm[i, j], Tlo[i, j], Thi[i, j] = v.mean(), v.min(), v.max()
            per_seed = T1 / v
            S_mean[i, j] = T1.mean() / v.mean()
            S_lo[i, j], S_hi[i, j] = per_seed.min(), per_seed.max()
    S_mean[0, :], S_lo[0, :], S_hi[0, :] = S_mean[0, 0], S_lo[0, 0], S_hi[0, 0]
    censored = [k for k, v in T.items() if math.isnan(v)]
    if censored:
        ctx.note(f"{LABEL[ds]}: {len(censored)} runs did not reach eps within {T_cap} "
                 f"iterations (censored; their (K, H) get no mean): {censored[:8]}")
    # --- theory: Theorem 2.2 with certified L, mu, r0; sigma^2, G^2 = sup of their exact
    # values over the recorded iterates (x0 = 0 and the synchronised models)
    X = np.vstack(models)
    var = np.array([p1.sampling_variance(x) for x in X])
    gsq = var + np.array([float(np.sum(p1.grad(x) ** 2)) for x in X])
    sigma_sq, G_sq = float(var.max()), float(gsq.max())
    r0 = float(np.sum(p1.x_star ** 2))
    T_th = np.array([[theory_time(eps, p1.mu, p1.L, K, H, a, sigma_sq, G_sq, r0)
                      for H in Hs] for K in Ks])
    T_th[0, :] = theory_time(eps, p1.mu, p1.L, 1, 1, a, sigma_sq, G_sq, r0)
    S_th = T_th[0, 0] / T_th
    S_cap = T1.mean() / T_det
    return dict(T=T, Tm=Tm, Tlo=Tlo, Thi=Thi, S=S_mean, S_lo=S_lo, S_hi=S_hi, T_th=T_th,
                S_th=S_th, T_det=T_det, S_cap=S_cap, sigma_sq=sigma_sq, G_sq=G_sq, r0=r0,
                n_models=X.shape[0], eps=eps)


# --------------------------------------------------------------------------- experiment
class _one_blas_thread:
    """BLAS on one thread while the experiment runs (threadpoolctl, when installed): the
    many small matrix-vector products of the objective are 10-30x slower with OpenBLAS
    threads on a loaded 2-core machine (measured: 2000 x 300 product 0.75 ms vs 26 ms)."""

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


def run(ctx):
    with _one_blas_thread():
        _run(ctx)


def _run(ctx):
    from theorytools.algorithms import stich_shift
    from theorytools.theory.stich2018 import admissible_22

    Ks = ctx.pick((1, 2, 4, 8, 16), (1, 2, 4, 8, 16), (1, 2, 4))
    Hs = ctx.pick((1, 2, 4, 8, 16, 32, 64, 128), (1, 2, 4, 8, 16, 32, 64, 128), (1, 4))
    H_max = 128                                   # a is the same for every H on the grid
    N_w8a = ctx.pick(4000, 2000, 300)
    n_seeds = {"breast_cancer": ctx.pick(8, 3, 1), "w8a_like": ctx.pick(5, 2, 1)}
    T_cap = ctx.pick(2 ** 20, 2 ** 19, 2 ** 14)
    K_cmp = ctx.pick(8, 8, 2)
    Hs_cmp = ctx.pick((4, 16, 64), (4, 16, 64), (4,))
    R_cmp = ctx.pick(2048, 512, 64)
    cmp_seeds = ctx.pick(4, 2, 1)
    eps_rel = EPS_REL if ctx.mode != "tiny" else dict.fromkeys(DATASETS, EPS_REL_TINY)
    eps_small_rel = EPS_SMALL_REL if ctx.mode != "tiny" else EPS_SMALL_REL_TINY
    Hs_small = ctx.pick((1, 8, 64), (1, 8, 64), (1, 4))
    n_small = ctx.pick(4, 3, 1)
    T_cap_small = ctx.pick(2 ** 23, 2 ** 23, 2 ** 15)

    ctx.scale(
        ours=(f"K in {list(Ks)}, H in {list(Hs)}; breast cancer (569 x 30) and a w8a-like "
              f"synthetic set ({N_w8a} x 300); batch b = 1 per worker step; up to {T_cap} "
              f"iterations; seeds {n_seeds['breast_cancer']} / {n_seeds['w8a_like']}; "
              f"local vs mini-batch at K = {K_cmp}, H in {list(Hs_cmp)}, up to {R_cmp} "
              f"rounds, {cmp_seeds} seeds"),
        paper=("w8a (49 749 x 300) and epsilon (400 000 x 2000), lambda = 1/n, K up to 16 "
               "(and more), H from 1 to several hundred, mini-batches b >= 1, step sizes "
               "tuned over a theory-shaped family [the paper's protocol details are not "
               "confirmed here]"))
    ctx.dataset("breast cancer: scikit-learn's bundled Wisconsin diagnostic set, 569 x 30, "
                "z-scored features, labels +-1, lambda = 1/569 (the paper's lambda = 1/n)")
    ctx.dataset(f"w8a-like: synthetic ({N_w8a} x 300 binary features, ~11.6 nonzeros per row, "
                "~3% positive labels from a sparse logistic model; experiments/stich2018.py::"
                f"w8a_like), lambda = 1/{N_w8a}; it REPLACES LIBSVM's w8a (49 749 x 300), "
                "which cannot be downloaded here; the paper's second set, epsilon, is not "
                "re-enacted")
    ctx.note("Identical data: every worker holds the whole data set and samples one row per "
             "step uniformly with replacement (Stich's setting); the K-worker problem is the "
             "certified single-worker problem replicated (replicate()).")
    ctx.note("Step sizes: Theorem 2.2's eta_t = 4/(mu (a + t)) with ONE shift a = max(16 kappa, "
             f"{H_max}) + 1 for every (K, H) (admissible: a > max(16 kappa, H)), so that only K "
             "and H vary; the paper tuned its step sizes instead. With lambda = 1/N, 16 kappa "
             "exceeds the iteration counts, so eta_t stays near 1/(4L) over the runs.")
    ctx.note("Measured iterate: Stich's weighted average x_hat_T (weights (a+t)^2 over all "
             "workers' iterates), evaluated at checkpoints on a geometric grid (ratio 2^(1/4), "
             "multiples of H) by running local SGD in segments that end at a synchronisation "
             "(run_to_target); T(eps) is interpolated between the two checkpoints around the "
             "crossing. The paper took the best of several averages [unconfirmed].")

    prog = ctx.progress(sum(n_seeds[ds] * (1 + (len(Ks) - 1) * len(Hs)) + 1 for ds in DATASETS)
                        + n_small * (1 + (len(Ks) - 1) * len(Hs_small)) + 1
                        + len(DATASETS) * len(Hs_cmp) * len(STEP_MULTS) * cmp_seeds,
                        "stich2018")
    results = {}
    for di, ds in enumerate(DATASETS):
        p1 = ctx.cached(f"problem[{ds},N={N_w8a}]",
                        lambda: make_problem(ds, N_w8a, seed=ctx.seed))
        kappa = p1.L / p1.mu
        a = stich_shift(p1, H_max) + 1.0       # max(16 kappa, H_max) + 1: Theorem 2.2's a
        problems_with_a = admissible_22(p1.mu, p1.L, H_max, a)
        if problems_with_a:
            raise AssertionError(problems_with_a)
        gap0 = p1.f(np.zeros(p1.d)) - p1.f_star
        eps = eps_rel[ds] * gap0
        sw = _sweep(ctx, prog, ds, di, p1, a, eps, Ks, Hs, n_seeds[ds], T_cap)
        Tm, S_mean, S_th, T_th = sw["Tm"], sw["S"], sw["S_th"], sw["T_th"]
        sigma_sq, G_sq, r0, T_det, S_cap = (sw[k] for k in ("sigma_sq", "G_sq", "r0", "T_det",
                                                             "S_cap"))
        T, X_n = sw["T"], sw["n_models"]
        Tlo, Thi, S_lo, S_hi = sw["Tlo"], sw["Thi"], sw["S_lo"], sw["S_hi"]
        results[ds] = dict(Tm=Tm, S=S_mean, S_th=S_th, T_th=T_th, eps=eps, a=a, kappa=kappa,
                           sigma_sq=sigma_sq, G_sq=G_sq, r0=r0, T=T, T_det=T_det, S_cap=S_cap)
        _speedup_figure(ctx, ds, Ks, Hs, S_mean, S_lo, S_hi, S_th, eps, S_cap)
        if ds == "breast_cancer":
            eps_s = eps_small_rel * gap0
            sm = _sweep(ctx, prog, ds, di, p1, a, eps_s, Ks, Hs_small, n_small, T_cap_small)
            _speedup_figure(ctx, ds, Ks, Hs_small, sm["S"], sm["S_lo"], sm["S_hi"], sm["S_th"],
                            eps_s, sm["S_cap"], name=f"speedup_small_eps_{ds}")
            results[ds + "_small"] = dict(sm, a=a, Hs=Hs_small)
            ctx.note(f"{LABEL[ds]}, small target eps = {eps_small_rel:g} (f(0) - f*) = "
                     f"{eps_s:.4g}: H in {list(Hs_small)}, {n_small} seeds, up to {T_cap_small} "
                     f"iterations; sigma^2 = {sm['sigma_sq']:.4g}, G^2 = {sm['G_sq']:.4g}.")
        _rounds_figure(ctx, ds, Ks, Hs, Tm, Tlo, Thi, eps)
        ctx.note(f"{LABEL[ds]}: kappa = L/mu = {kappa:.4g} (L = {p1.L:.4g} certified, attained "
                 f"at x = 0; mu = lambda = {p1.mu:.4g}), a = {a:.6g}, f(0) - f* = {gap0:.4g}, "
                 f"eps = {eps_rel[ds]:g} (f(0) - f*) = {eps:.4g}; Theorem 2.2's constants: "
                 f"r0 = ||x*||^2 = {r0:.4g}, sigma^2 = {sigma_sq:.4g} and G^2 = {G_sq:.4g} "
                 f"(sup of the exact values over {X_n} recorded iterates; the certified "
                 f"global upper bound of sigma^2 is {p1.sigma_sq_sup:.4g}; at x* sigma^2 = "
                 f"{p1.sigma_sq:.4g}).")

        # --- local vs mini-batch SGD at equal communication (Woodworth et al. 2020): each
        # method with each step multiplier c; per round, the best c of each method (means
        # over seeds) and Theorem 2.2's own rule (c = 1)
        rounds = np.unique(np.geomspace(1, R_cmp, 25).astype(np.int64))
        curves = {}
        for H in Hs_cmp:
            per_c = {}
            for c in STEP_MULTS:
                acc = []
                for r in range(cmp_seeds):
                    seed = int(np.random.SeedSequence([ctx.seed, 2020, di, H, r])
                               .generate_state(1)[0])
                    key = f"cmp[{ds},K={K_cmp},H={H},R={R_cmp},c={c},seed={r}]"
                    acc.append(ctx.cached(key, lambda: minibatch_curve(
                        p1, K_cmp, H, a, rounds, seed, c)))
                    prog.step(key)
                per_c[c] = (np.mean([v[0] for v in acc], axis=0),
                            np.mean([v[1] for v in acc], axis=0))
            loc_all = np.array([per_c[c][0] for c in STEP_MULTS])
            mb_all = np.array([per_c[c][1] for c in STEP_MULTS])
            curves[H] = {"local": loc_all.min(axis=0), "minibatch": mb_all.min(axis=0),
                         "c_local": np.array(STEP_MULTS)[loc_all.argmin(axis=0)],
                         "c_minibatch": np.array(STEP_MULTS)[mb_all.argmin(axis=0)],
                         "local_c1": per_c[1.0][0], "minibatch_c1": per_c[1.0][1]}
        results[ds]["cmp"] = (rounds, curves)
        _compare_figure(ctx, ds, K_cmp, Hs_cmp, rounds, curves)

    _claims(ctx, Ks, Hs, results, K_cmp, Hs_cmp)


def _claims(ctx, Ks, Hs, results, K_cmp, Hs_cmp):
    Kmax = Ks[-1]
    # 1. linear speedup in K (H = 1 and the largest H)
    parts, verdicts = [], []
    for ds, r in ((d, results[d]) for d in DATASETS):
        s = r["S"][:, 0]
        s_allH = r["S"][-1]
        parts.append(f"{LABEL[ds]} (eps = {r['eps']:.3g}): S(K, H=1) = "
                     + ", ".join(f"{v:.2f}" for v in s) + f" at K = {list(Ks)}; S({Kmax}, H) = "
                     + ", ".join(f"{v:.2f}" for v in s_allH) + f" at H = {list(Hs)}; the "
                     f"exact-gradient method (K -> infinity) needs T = {r['T_det']:.0f} vs "
                     f"T_1 = {r['Tm'][0, 0]:.0f}: no K can exceed S = {r['S_cap']:.2f} here")
        if s[-1] >= SPEEDUP_LINEAR * Kmax:
            verdicts.append(2)
        elif s[-1] >= SPEEDUP_SOME and np.all(np.diff(s) > 0):
            verdicts.append(1)
        else:
            verdicts.append(0)
    ctx.claim(
        "Local SGD (and mini-batch SGD, its H = 1 case) speeds up linearly in the number of "
        "workers K: the iterations to a fixed accuracy fall like 1/K (Stich 2019, abstract "
        "and Corollary 2.3 [as restated, docs/sources.md#local-sgd]; its experiments plot this "
        "speedup against K on w8a). Criterion fixed before the "
        f"runs: reproduced if S({Kmax}, H = 1) >= {SPEEDUP_LINEAR} * {Kmax} on both sets; "
        f"partially if S increases in K and S({Kmax}, 1) >= {SPEEDUP_SOME}.",
        "; ".join(parts),
        _verdict(verdicts), figure=f"speedup_{DATASETS[0]}")
    # 1b. the same claim at the small target (breast cancer), where T(eps) > a
    if "breast_cancer_small" in results:
        r = results["breast_cancer_small"]
        s = r["S"][:, 0]
        level = (2 if s[-1] >= SPEEDUP_LINEAR * Kmax else
                 1 if s[-1] >= SPEEDUP_SOME and np.all(np.diff(s) > 0) else 0)
        ctx.claim(
            "The same linear speedup in K, in the asymptotic regime of Theorem 2.2 (T(eps) "
            "beyond the shift a = 16 kappa, where the noise term dominates the bound): breast "
            f"cancer at the smaller target eps = {r['eps']:.3g}. Criterion fixed before the "
            f"runs: as above, reproduced if S({Kmax}, 1) >= {SPEEDUP_LINEAR} * {Kmax}; partially "
            f"if S increases in K and S({Kmax}, 1) >= {SPEEDUP_SOME}.",
            f"S(K, H=1) = " + ", ".join(f"{v:.2f}" for v in s) + f" at K = {list(Ks)}; "
            f"S({Kmax}, H) = " + ", ".join(f"{v:.2f}" for v in r["S"][-1]) + " at H = "
            f"{[int(h) for h in r['Hs']]}; T_1(eps) = {r['Tm'][0, 0]:.0f} vs a = {r['a']:.0f}; "
            f"exact-gradient cap {r['S_cap']:.2f} (T = {r['T_det']:.0f}); Theorem 2.2's "
            "speedup at K = " f"{Kmax}: " + ", ".join(f"{v:.2f}" for v in r["S_th"][-1]),
            ("reproduced", "partially reproduced", "not reproduced")[2 - level],
            figure="speedup_small_eps_breast_cancer")
    # 2. communication: H up to ~ sqrt(T/K) keeps the iterations
    parts, verdicts = [], []
    for ds, r in ((d, results[d]) for d in DATASETS):
        Tm = r["Tm"]
        ok = []
        for i, K in enumerate(Ks):
            if K == 1:
                continue
            keep = Tm[i] <= KEEP * Tm[i, 0]
            j = 0
            while j + 1 < len(Hs) and keep[j + 1]:
                j += 1
            H_star = Hs[j]
            H_stich = math.sqrt(Tm[i, 0] / K)
            ok.append(H_star >= min(H_stich, Hs[-1]) / 2 ** 0.5)
            parts.append(f"{LABEL[ds]} K = {K}: H* = {H_star} (sqrt(T_K1/K) = {H_stich:.1f}), "
                         f"rounds {Tm[i, 0]:.0f} at H = 1 -> {Tm[i, j] / H_star:.0f} at H*")
        verdicts.append(2 if all(ok) else (1 if any(ok) else 0))
    ctx.claim(
        "Local SGD keeps mini-batch SGD's iterations for H up to about sqrt(T/(Kb)), so the "
        "communication rounds fall by up to a factor T^(1/2) (Stich 2019: the factor T^(1/2) "
        "is the abstract's; H = O(sqrt(T/(Kb))) is the discussion of Corollary 2.3 as "
        "restated, docs/sources.md#local-sgd). Criterion fixed before the runs: H* = the largest "
        f"grid H with T_(K,H') <= {KEEP} T_(K,1) for every H' <= H; reproduced if H* >= "
        "sqrt(T_(K,1)/K) (within a grid step, capped at the largest H) for every K >= 2 on "
        "both sets; partially if for some.",
        "; ".join(parts), _verdict(verdicts), figure=f"rounds_{DATASETS[0]}")
    # 3. Theorem 2.2 bounds the iterations; its predicted speedup next to the measured one
    parts, verdicts = [], []
    for ds, r in ((d, results[d]) for d in DATASETS):
        Tm, Tth = r["Tm"], r["T_th"]
        mask = np.isfinite(Tm)
        holds = bool(np.all(Tth[mask] >= Tm[mask]))
        ratio = Tth[mask] / Tm[mask]
        parts.append(f"{LABEL[ds]}: T_theorem / T_measured in [{np.nanmin(ratio):.3g}, "
                     f"{np.nanmax(ratio):.3g}] over (K, H) (the bound holds: {holds}); "
                     f"theorem's speedup at K = {Kmax}: "
                     + ", ".join(f"{v:.2f}" for v in r["S_th"][-1]) + f" at H = {list(Hs)} vs "
                     "measured " + ", ".join(f"{v:.2f}" for v in r["S"][-1]))
        verdicts.append(2 if holds else 0)
    ctx.claim(
        "Theorem 2.2 (Stich 2019; as restated and re-derived, docs/sources.md#local-sgd): "
        "E f(x_hat_T) - f* <= mu a^3 r0/(2 S_T) + 4T(T+2a) sigma^2/"
        "(mu K S_T) + 256 T G^2 H^2 L/(mu^2 S_T); the iterations it needs for eps upper-bound "
        "the measured ones and give a theoretical speedup. Criterion fixed before the runs: "
        "reproduced if T_theorem(K, H) >= T_measured(K, H) for every (K, H) on both sets "
        "(the predicted speedups are reported next to the measured ones, not judged).",
        "; ".join(parts), _verdict(verdicts), figure=f"speedup_{DATASETS[-1]}")
    # 4. local vs mini-batch SGD at equal communication (Woodworth et al. 2020)
    parts = []
    local_better = mb_better = False
    for ds, r in ((d, results[d]) for d in DATASETS):
        rounds, curves = r["cmp"]
        for H in Hs_cmp:
            cv = curves[H]
            ratio = cv["minibatch"] / cv["local"]
            ratio1 = cv["minibatch_c1"] / cv["local_c1"]
            local_better |= bool(np.any(ratio > 1.1))
            mb_better |= bool(np.any(ratio < 1 / 1.1))
            mid = len(ratio) // 2
            parts.append(f"{LABEL[ds]} H = {H}: f_minibatch / f_local (best c each) = "
                         f"{ratio[0]:.3g} / {ratio[mid]:.3g} / {ratio[-1]:.3g} after "
                         f"{rounds[0]} / {rounds[mid]} / {rounds[-1]} rounds (with c = 1 for "
                         f"both: {ratio1[0]:.3g} / {ratio1[mid]:.3g} / {ratio1[-1]:.3g})")
    verdict = ("reproduced" if local_better and mb_better else
               "partially reproduced" if local_better else "not reproduced")
    ctx.claim(
        "At equal communication rounds (and K H gradients per round) neither method "
        "dominates in general: local SGD dominates mini-batch SGD on quadratics, and for "
        "general convex objectives there are cases where it is worse (Woodworth et al. 2020, "
        "abstract). Criterion fixed before the runs, on the best-step curves (a ratio beyond "
        "1.1 counts): reproduced if both orderings occur among the (data set, H, R) "
        "compared; partially if only local SGD is ever better (the quadratic-like case; the "
        "bad case was not met); not reproduced if only mini-batch SGD is. "
        f"K = {K_cmp}.",
        "; ".join(parts), verdict, figure=f"local_vs_minibatch_{DATASETS[0]}")


def _verdict(levels):
    return ("reproduced" if min(levels) == 2 else
            "not reproduced" if max(levels) == 0 else "partially reproduced")


if __name__ == "__main__":
    from theorytools.experiment import main
    raise SystemExit(main(run, __file__))
