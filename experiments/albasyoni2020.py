r"""Albasyoni, Safaryan, Condat, Richtárik (P2): the bits-versus-distortion frontier with the
lower bounds, and the authors' own figure, :math:`\|x^t - x^\star\|^2/\|x^0 - x^\star\|^2`
against bytes communicated, re-enacted on ridge and logistic regression.

What the paper and its poster state, and where:

* the abstract of arXiv 2010.03246: Sparse Dithering (SD) is "very close to the lower bound"
  (worst case), Spherical Compression (SC) "naturally achieves the lower bound" (average case),
  and "our new compression schemes significantly outperform the state of the art", shown by
  numerical experiments;
* the authors' poster of P2 (github.com/mher-safaryan/academic-kickstart,
  ``static/files/poster_on_Optimal_Compression.png``) [author-poster]: the definitions of
  deterministic SD and of SC, the bounds (worst case b >= -log2 P(alpha, d) + log2 d + O(1);
  average case B >= -log2 P(alpha, d)), the headline "deterministic SD at alpha = 1/10 uses
  <= 1.66d + 1.69d + log2 d + 30 bits", "SC: B < -log2 P(alpha, d) + 3", and the experiment:
  relative distance to the optimum against bytes for ridge regression on Body-Fat and
  logistic regression on Breast-Cancer, comparing SC (alpha = 0.15 / 0.2), deterministic SD
  (alpha = 0.1), unbiased SD (alpha = 0.25), the best Top-k over k and "Basic" (32d bits per
  iteration).

The poster does not state the optimisation method or the step sizes. We run single-node
compressed gradient descent (CGD) x^{t+1} = x^t - eta C(grad f(x^t)) from x^0 = 0 with the
step size of the compressor's class in the CGD theorems of Beznosikov et al. (arXiv
2002.12410, T-B3 / T-B2): eta = 1/L for a biased compressor with declared delta (B3), eta =
1/((1 + omega) L) for an unbiased one in U(omega) = B2(1, 1 + omega); L, mu, x* are the
problems' certified constants (theorytools.problems). Every bit is a real encoded bit
(Trace.bits: the length of each message's encoding, summed); bytes = bits / 8.

Outputs: ``frontier_d<d>.png`` (bits per coordinate vs worst-case distortion with the bounds),
``bytes_ridge.png`` / ``bytes_logistic.png`` (the authors' figure), ``iterations_*.png`` (the runs
beside their theorem envelopes), ``bytes_saved.png`` and ``bytes_to_accuracy.csv`` (bytes at
equal accuracy, factors against Basic and the best other family), ``spherical_blocks.png`` (the
exact price of Spherical Compression's blocks), each figure with its data as CSV.

Run: ``python experiments/albasyoni2020.py --quick --out DIR`` (or ``theorytools experiment
albasyoni2020 --quick``). docs/experiments.md, section albasyoni2020, shows the figures.
"""
from __future__ import annotations

import math
import time

import numpy as np

TITLE = "Optimal gradient compression: the bits-distortion frontier and bytes to accuracy"
PAPER = ("A. Albasyoni, M. Safaryan, L. Condat, P. Richtárik, \"Optimal Gradient Compression "
         "for Distributed and Federated Learning\", arXiv 2010.03246 (2020), and the authors' "
         "poster of it (github.com/mher-safaryan/academic-kickstart, "
         "static/files/poster_on_Optimal_Compression.png)")

#: Relative distances ||x^t - x*||^2 / ||x^0 - x*||^2 at which the bytes are compared. Fixed
#: before any run (issue 14 suggests 1e-3 and 1e-6); never chosen from the data.
TARGETS = (1e-3, 1e-6)

#: The l2 regularisation of both problems (P2 does not state its own).
LAM = 1e-2

#: The families drawn in the authors' figure (poster of P2) and the extra ones of issue 14.
PAPER_FAMILIES = ("Basic (32d bits)", "Spherical α=0.15", "Spherical α=0.2",
                  "Sparse Dithering det. α=0.1", "Sparse Dithering unb. α=0.25",
                  "Top-k (best k)")
NEW_FAMILIES = PAPER_FAMILIES[1:5]          # the paper's new compressors
EXTRA_FAMILIES = ("QSGD (best s)", "Natural compression", "Rand-k (best k)")

_STYLE = {
    "Basic (32d bits)": ("k", "-"), "Spherical α=0.15": ("tab:green", "-"),
    "Spherical α=0.2": ("tab:olive", "-"), "Sparse Dithering det. α=0.1": ("tab:red", "-"),
    "Sparse Dithering unb. α=0.25": ("tab:orange", "-"), "Top-k (best k)": ("tab:blue", "-"),
    "QSGD (best s)": ("tab:purple", "--"), "Natural compression": ("tab:brown", "--"),
    "Rand-k (best k)": ("tab:cyan", "--"),
    "Spherical α=0.2, one search": ("darkgreen", "-."),
}


# --------------------------------------------------------------------------- the methods
def methods(d: int, ks, ss, one_search: bool = False) -> list:
    """(family, compressor spec) for every run at dimension d: the paper's six families and
    the three extra ones; a family with several members ("best k") is resolved by the bytes
    each member needs (:func:`bytes_needed`). ``one_search``: also Spherical Compression at
    alpha = 0.2 with ONE search over the whole vector, as the poster defines it, where that
    costs at most 2^14 expected draws per message (d <= 10)."""
    from theorytools.bounds import log2_cap_measure
    from theorytools.compressors.spherical import default_block

    out = [("Basic (32d bits)", "identity")]
    for a in (0.15, 0.2):
        # The poster searches one point for the whole vector; 1/P(alpha, d) draws are out of
        # reach at d = 30 (2^43 at alpha = 0.15), so SC runs on blocks whose search needs
        # <= 2^10 expected draws (docs/optimal_compression.md §3, "Blocks").
        out.append((f"Spherical α={a:g}", f"spherical[alpha={a},block={default_block(a, d)}]"))
    if one_search and -log2_cap_measure(0.2, d) <= 14:
        out.append(("Spherical α=0.2, one search", f"spherical[alpha=0.2,block={d}]"))
    out.append(("Sparse Dithering det. α=0.1", "sparse_dithering_det[nu=0.1]"))
    out.append(("Sparse Dithering unb. α=0.25", "sparse_dithering[omega=0.25]"))
    out += [("Top-k (best k)", f"top_k[k={k}]") for k in ks if k < d]
    out += [("QSGD (best s)", f"dithering[s={s},coding=elias]") for s in ss]
    out.append(("Natural compression", "natural"))
    out += [("Rand-k (best k)", f"rand_k[k={k}]") for k in ks if k < d]
    return out


def step_and_rate(compressor, problem) -> tuple:
    r"""(eta, q, rule): the CGD step size of the compressor's declared class and the theorem's
    one-step factor q of :math:`\mathbb{E}f(x^{t+1}) - f^\star \le q\,(f(x^t) - f^\star)`.

    Biased with declared :math:`\delta` (B3): :math:`\eta = 1/L`, :math:`q = 1 - \mu/(\delta L)`
    (T-B3); unbiased :math:`U(\omega) = B_2(1, 1+\omega)`: :math:`\eta = 1/((1+\omega)L)`,
    :math:`q = 1 - \mu/((1+\omega)L)` (T-B2); Beznosikov et al., arXiv 2002.12410, the CGD
    theorems (docs/theorems.md, ``beznosikov2020.cgd_b3`` / ``cgd_unbiased``).
    """
    from theorytools.theory.beznosikov2020 import rate_b3, rate_unbiased

    th = compressor.theory(problem.d)
    L, mu = problem.L, problem.mu
    if th.unbiased and th.omega is not None:
        omega = th.omega.value
        eta = 1.0 / ((1.0 + omega) * L)
        return eta, rate_unbiased(omega, mu, L, eta), f"1/((1+ω)L), ω = {omega:.4g} (T-B2)"
    if th.delta is None:
        raise ValueError(f"{compressor.canonical_name}: no declared delta or omega")
    eta = 1.0 / L
    return eta, rate_b3(th.delta.value, mu, L, eta), f"1/L, δ = {th.delta.value:.4g} (T-B3)"


def envelope_start(problem) -> float:
    r""":math:`\|x^t - x^\star\|^2 \le \frac2\mu(f(x^t) - f^\star)` (strong convexity), so the
    relative distance is at most :math:`\frac{2(f(x^0) - f^\star)}{\mu\|x^0 - x^\star\|^2}\,q^t`;
    this is that constant at :math:`x^0 = 0`."""
    x0 = np.zeros(problem.d)
    return 2.0 * (problem.f(x0) - problem.f_star) / (problem.mu * float(problem.x_star @
                                                                           problem.x_star))


def record_steps(T: int) -> np.ndarray:
    """Recorded steps: ~600 points, log- and linearly spaced (the crossing of a target is
    located to within ~2 % of its step)."""
    pts = np.concatenate([[0, T], np.round(np.geomspace(1, max(T, 1), 300)),
                          np.round(np.linspace(0, T, 300))])
    return np.unique(pts.astype(np.int64))


def one_run(problem, spec, T, seed) -> dict:
    """One CGD run: relative distance, cumulative bits, the step size and the theorem's
    factor (a plain dict, cached by the experiment)."""
    from theorytools.algorithms import cgd
    from theorytools.compressors import create

    c = create(spec)
    eta, q, rule = step_and_rate(c, problem)
    start = time.perf_counter()
    # Constant steps; a schedule would be gamma=<sequence or callable> here (one argument).
    tr = cgd(problem, c, eta, T, seed=seed, record=record_steps(T),
             shared=c.shared_randomness)
    seconds = time.perf_counter() - start
    rel = tr.dist_sq / tr.dist_sq[0]
    return {"spec": c.canonical_name, "steps": tr.steps.copy(), "rel": rel,
            "bits": tr.bits_total().astype(np.int64), "eta": eta, "q": q, "rule": rule,
            "T": T, "seed": seed, "seconds": seconds, "exact_bits": bool(tr.bits_exact),
            "randomized": bool(c.randomized)}


def horizon(q: float, env0: float, target: float, cap: int) -> int:
    """Iterations after which the theorem's envelope env0 q^t is below ``target`` (at most
    ``cap``): the run is long enough for the theory to guarantee the target in expectation."""
    need = math.log(env0 / target) / -math.log(q) if q < 1 else math.inf
    return int(min(cap, max(1, math.ceil(need))))


def first_hit(run: dict, target: float):
    """(bytes, iteration) when the relative distance first is <= target, else (None, None)."""
    hit = np.nonzero(run["rel"] <= target)[0]
    if hit.size == 0:
        return None, None
    i = int(hit[0])
    return run["bits"][i] / 8.0, int(run["steps"][i])


def bytes_needed(runs: list, target: float) -> dict:
    """Median over seeds of the bytes to reach ``target`` (None if a seed never reached it)."""
    hits = [first_hit(r, target) for r in runs]
    if any(b is None for b, _ in hits):
        reached = sum(b is not None for b, _ in hits)
        return {"bytes": None, "iters": None, "reached": reached, "seeds": len(runs),
                "sent": max(r["bits"][-1] for r in runs) / 8.0}
    return {"bytes": float(np.median([b for b, _ in hits])),
            "iters": float(np.median([t for _, t in hits])), "reached": len(runs),
            "seeds": len(runs), "sent": max(r["bits"][-1] for r in runs) / 8.0}


def best_member(family_runs: dict, target: float) -> tuple:
    """(spec, result) of the member needing the fewest bytes to reach ``target`` (members that
    never reach it lose to any that does; among those, the one that sent the most wins the
    'not reached' row)."""
    scored = [(spec, bytes_needed(runs, target)) for spec, runs in family_runs.items()]
    reached = [s for s in scored if s[1]["bytes"] is not None]
    if reached:
        return min(reached, key=lambda s: s[1]["bytes"])
    return max(scored, key=lambda s: s[1]["sent"])


# --------------------------------------------------------------------------- the experiment
def run(ctx):
    import matplotlib.pyplot as plt

    from theorytools.problems import breast_cancer_logistic, diabetes_ridge

    ks_full, ks_quick = (1, 2, 3, 4, 6, 8, 12, 16), (1, 3, 8, 16)
    ks = ctx.pick(ks_full, ks_quick, (1, 4))
    ss = ctx.pick((1, 2, 4, 6), (2, 6), (2,))
    n_seeds = ctx.pick(3, 1, 1)
    cap = ctx.pick(400_000, 200_000, 60)
    frontier_ds = ctx.pick((30, 100, 1000), (30, 100), (10,))
    problems = [("ridge", "ridge regression, diabetes (442 × 10)", diabetes_ridge(1, lam=LAM)),
                ("logistic", "logistic regression, breast cancer (569 × 30)",
                 breast_cancer_logistic(1, lam=LAM))]

    ctx.scale(ours=(f"single node, d = {problems[0][2].d} (ridge) and d = "
                    f"{problems[1][2].d} (logistic), λ = {LAM:g}; CGD run "
                    f"until its theorem guarantees relative distance ≤ 1e-6 (at most {cap} "
                    f"iterations); Top-k/Rand-k over k ∈ {list(ks)}, QSGD over s ∈ {list(ss)}; "
                    f"{n_seeds} seed(s) per randomized compressor (median); frontier at "
                    f"d ∈ {list(frontier_ds)}"),
              paper=("poster of P2: Body-Fat (252 × 14) ridge regression and Breast-Cancer "
                     "(569 × 30) logistic regression, relative distance vs bytes; number of "
                     "nodes, λ, step sizes and horizon not stated"))
    ctx.dataset("scikit-learn's bundled diabetes set (442 × 10, features and target "
                f"standardised), ridge λ = {LAM:g}: REPLACES the paper's Body-Fat (LIBSVM, "
                "252 × 14; not available offline)")
    ctx.dataset("scikit-learn's bundled breast cancer set (569 × 30, standardised, labels ±1), "
                f"logistic λ = {LAM:g}: the paper's Breast-Cancer")
    ctx.note("The poster does not state the optimisation method or the step sizes; we run "
             "single-node compressed GD x⁺ = x − η C(∇f(x)) from x⁰ = 0 with the step of the "
             "compressor's class in Beznosikov et al.'s CGD theorems: η = 1/L (biased, B3(δ)), "
             "η = 1/((1+ω)L) (unbiased, U(ω) = B2(1, 1+ω)).")
    from theorytools.bounds import log2_cap_measure
    from theorytools.compressors import create
    from theorytools.compressors.spherical import default_block

    d_big = max(p.d for _, _, p in problems)
    omega_d = create("sparse_dithering[omega=0.25]").theory(d_big).omega.value
    ctx.note("'Unbiased Sparse Dithering α = 0.25' is run as sparse_dithering[omega=0.25]: "
             "the poster defines only its expected bits (log₂3 + 1/(2√ω))d + log₂d + 30; the "
             "construction (random dithering with ⌈√d/(2√ω)⌉ levels, ternary + unary code) is "
             f"the toolkit's (docs/optimal_compression.md §1); at d = {d_big} its declared ω is "
             f"{omega_d:.3f}.")
    ctx.note("Spherical Compression searches one point per block of ≤ default_block(α, d) "
             "coordinates (" + ", ".join(f"{default_block(a, d_big)} at α = {a:g}"
                                         for a in (0.15, 0.2))
             + "; ≤ 2^10 expected draws each), each block sending its own 32-bit norm: the "
             f"poster's single search over d = {d_big} would need "
             + " / ".join(f"2^{-log2_cap_measure(a, d_big):.1f} (α = {a:g})" for a in (0.15, 0.2))
             + " draws per message" + (" (at full size, SC α = 0.2 also runs with one search "
                                      "where that needs ≤ 2^14 draws: the ridge problem)"
                                      if not ctx.quick else "")
             + ". Spherical and Rand-k use shared randomness (the seed is not sent); every "
             "other compressor sends all it needs.")
    ctx.note("'Basic' is uncompressed GD (η = 1/L), 32 bits per coordinate. Bytes = the real "
             "encoded bits of every message up to the step, / 8 (Trace.bits). 'Best k' / "
             "'best s': the member needing the fewest bytes at each target.")

    # ---------------------------------------------------------------- A. the frontier
    frontier_points = {}
    for d in frontier_ds:
        frontier_points[d] = ctx.cached(f"frontier[d={d}]", lambda d=d: _frontier(d))
        _frontier_figure(ctx, plt, d, frontier_points[d])
    _frontier_claims(ctx, frontier_points)

    # ---------------------------------------------------------------- B. the authors' figure
    plan = []
    for key, _, problem in problems:
        env0 = envelope_start(problem)
        for family, spec in methods(problem.d, ks, ss, one_search=not ctx.quick):
            c = create(spec)
            _, q, _ = step_and_rate(c, problem)
            T = horizon(q, env0, min(TARGETS), cap)
            for j in range(n_seeds if c.randomized else 1):
                plan.append((key, problem, family, spec, T, ctx.seed + j))
    bar = ctx.progress(len(plan), "albasyoni2020 runs")
    results = {key: {} for key, _, _ in problems}
    for key, problem, family, spec, T, seed in plan:
        r = ctx.cached(f"cgd[{problem.name},{spec},T={T},seed={seed}]",
                       lambda: one_run(problem, spec, T, seed))
        results[key].setdefault(family, {}).setdefault(r["spec"], []).append(r)
        bar.step(f"{key} {spec} seed {seed}", f"T={T}, {r['seconds']:.1f}s")

    rows = _bytes_table(ctx, problems, results)
    for key, label, problem in problems:
        _bytes_figure(ctx, plt, key, label, problem, results[key])
        _iterations_figure(ctx, plt, key, label, problem, results[key])
    _saved_figure(ctx, plt, rows, problems)
    _blocks_figure(ctx, plt, problems, results)
    _figure_claims(ctx, rows, problems)
    _envelope_claim(ctx, problems, results)
    _spherical_claim(ctx, problems, results)
    _sd_bits_claim(ctx, problems, results)


# --------------------------------------------------------------------------- frontier
def _frontier_specs(d: int) -> list:
    from theorytools.compressors.spherical import default_block
    from theorytools.frontier import frontier_specs

    specs = list(frontier_specs(d))
    specs += [f"spherical[alpha={a},block={default_block(a, d)}]" for a in (0.15, 0.2)]
    specs += [f"top_k[k={k}]" for k in (1, 3) if k < d]
    seen, out = set(), []
    for s in specs:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def _frontier(d: int) -> list:
    from theorytools.frontier import frontier

    return [p.as_dict() for p in frontier(d, _frontier_specs(d))]


_FAMILY_COLOURS = {
    "identity": "k", "top_k": "tab:blue", "rand_k": "tab:cyan", "rand_k_biased": "tab:cyan",
    "natural": "tab:brown", "biased_natural": "tab:brown", "scaled_sign": "tab:gray",
    "dithering": "tab:purple", "natural_dithering": "tab:pink",
    "top_k+natural_dithering": "tab:pink", "sparse_dithering": "tab:orange",
    "sparse_dithering_det": "tab:red", "sparse_dithering_det_huffman": "darkred",
    "spherical": "tab:green", "spherical_projection": "darkgreen",
}


_RUN_TAGS = {("spherical", 0.15): "SC α=0.15", ("spherical", 0.2): "SC α=0.2",
             ("sparse_dithering_det", 0.1): "SD det. α=0.1",
             ("sparse_dithering", 0.25): "SD unb. ω=0.25"}


def _frontier_figure(ctx, plt, d, points) -> None:
    from theorytools.bounds import (uncertainty_principle_bits, worst_case_bits,
                                    worst_case_bits_log_d)

    alphas = np.logspace(-3, math.log10(0.99), 120)
    fig, ax = plt.subplots(figsize=(10, 6.2))
    data = []
    for fn, style, label in (
            (worst_case_bits, "k-",
             r"lower bound $-\log_2 P(\alpha,d)\,/\,d$ (cap covering)"),
            (worst_case_bits_log_d, "k-.",
             r"P2 worst case $(-\log_2 P(\alpha,d) + \log_2 d)\,/\,d$ (+O(1), taken 0)"),
            (uncertainty_principle_bits, "k:",
             r"uncertainty principle $\frac{1}{2}\log_2(1/\alpha)$")):
        ys = [fn(a, d) / d for a in alphas]
        ax.plot(alphas, ys, style, lw=1.6, label=label)
        data += [{"series": label, "distortion": float(a), "bits_per_coordinate": float(y)}
                 for a, y in zip(alphas, ys)]
    seen = set()
    for p in points:
        if not (1e-3 <= p["distortion"] < 1.0):
            continue
        colour = _FAMILY_COLOURS.get(p["name"], "tab:gray")
        name = p["name"] + (" (shared randomness)" if p["shared_randomness"] else "")
        ax.scatter(p["distortion"], p["bits_per_coordinate"], s=46, color=colour,
                   facecolors="none" if p["shared_randomness"] else colour, zorder=3,
                   label=name if name not in seen else None)
        seen.add(name)
        tag = _RUN_TAGS.get((p["name"], p["params"].get("alpha", p["params"].get(
            "nu", p["params"].get("omega")))))
        if p["name"] == "top_k":
            tag = f"k={p['params']['k']}"
        if tag:   # the configurations of the authors' figure
            ax.scatter(p["distortion"], p["bits_per_coordinate"], s=160, marker="o",
                       facecolors="none", edgecolors="k", lw=0.8, zorder=4)
            ax.annotate(tag, (p["distortion"], p["bits_per_coordinate"]), fontsize=7.5,
                        xytext=(6, 4), textcoords="offset points", color=colour)
        data.append({"series": p["spec"], "distortion": p["distortion"],
                     "bits_per_coordinate": p["bits_per_coordinate"], "bits": p["bits"],
                     "lower_bound_bits": p["lower_bound_bits"],
                     "shared_randomness": p["shared_randomness"]})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(2e-3, 1.05)
    shown = [p["bits_per_coordinate"] for p in points if 1e-3 <= p["distortion"] < 1.0]
    ax.set_ylim(min([0.3] + [0.7 * b for b in shown]), 30)
    ax.set_xlabel(r"distortion: worst case over inputs of $E\|\lambda C(x)-x\|^2/\|x\|^2$, "
                  r"best fixed rescaling $\lambda$")
    ax.set_ylabel("bits per coordinate (max over inputs and seeds; norm included)")
    ax.set_title(f"Bits vs distortion at d = {d}: compressors against the lower bounds\n"
                 "(hollow: shared randomness, outside the covering bound's model; "
                 "ringed: the configurations of P2's figure)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    ctx.save_figure(fig, f"frontier_d{d}", data,
                    f"Bits per coordinate against worst-case distortion at d = {d}, with the "
                    "cap-covering lower bound, P2's −log₂P + log₂d and the uncertainty "
                    "principle (theorytools.frontier).")


def _frontier_claims(ctx, frontier_points) -> None:
    from theorytools.bounds import worst_case_bits_log_d
    from theorytools.compressors import create

    # (1) the bounds are necessary conditions: nothing without shared randomness below b_LB.
    worst, violations, count = None, [], 0
    for d, points in frontier_points.items():
        for p in points:
            if p["shared_randomness"] or not (0 < p["distortion"] < 1):
                continue
            count += 1
            slack = p["bits"] - p["lower_bound_bits"]
            if slack < 0:
                violations.append(f"{p['spec']} at d = {d}")
            if worst is None or slack / d < worst[0]:
                worst = (slack / d, p["spec"], d)
    ctx.claim("P2 (abstract; poster): every compressor with distortion α needs at least "
              "−log₂P(α, d) bits (tight lower bounds, worst case)",
              f"{count} compressors (no shared randomness) on the frontier at d ∈ "
              f"{list(frontier_points)}: {len(violations)} below b_LB"
              + (f" ({', '.join(violations)})" if violations else "")
              + (f"; smallest margin {worst[0]:.3f} bits/coordinate ({worst[1]}, d = {worst[2]})"
                 if worst else "")
              + ". Criterion: no point below the bound.",
              "reproduced" if not violations and count else "not reproduced",
              figure=f"frontier_d{max(frontier_points)}")

    # (2) the poster's headline for deterministic SD at nu = 1/10, exact worst case.
    sd = create("sparse_dithering_det[nu=0.1]")
    met, parts, gaps = 0, [], []
    for d in frontier_points:
        worst_bits, m, _, _ = sd.worst_case_profile(d, ideal_subset_code=True)
        head = sd.headline_bits(d)
        gap = (worst_bits - worst_case_bits_log_d(0.1, d)) / d
        gaps.append((d, gap))
        met += worst_bits <= head
        parts.append(f"d = {d}: exact worst case {worst_bits:.0f} bits vs headline {head:.1f} "
                     f"({'met' if worst_bits <= head else 'NOT met'})")
    ctx.claim("P2 poster: deterministic Sparse Dithering at α = 1/10 uses at most "
              "1.66d + 1.69d + log₂d + 30 bits (worst case)",
              "; ".join(parts) + " (exact maximum over all inputs, ideal zero-set code). "
              "Criterion: exact worst case ≤ headline at every d.",
              "reproduced" if met == len(parts) else
              ("partially reproduced" if met else "not reproduced"),
              figure=f"frontier_d{max(frontier_points)}")
    within = [g <= 1.69 for _, g in gaps]
    ctx.claim("P2 (abstract; poster): Sparse Dithering is very close to the worst-case lower "
              "bound, within 1.69d bits of −log₂P(α, d) + log₂d at α = 1/10",
              "gap per coordinate: " + ", ".join(f"{g:.3f} (d = {d})" for d, g in gaps)
              + " (the gap shrinks with d; the 1.69 is the large-d constant 3.35 − ½log₂10). "
              "Criterion: gap ≤ 1.69 bits/coordinate at every d.",
              "reproduced" if all(within) else
              ("partially reproduced" if any(within) else "not reproduced"),
              figure=f"frontier_d{max(frontier_points)}")


# --------------------------------------------------------------------------- bytes to accuracy
def _bytes_table(ctx, problems, results) -> list:
    """One row per (problem, target, family): bytes needed (best member), ratios to Basic and
    to the best other family; saved as ``bytes_to_accuracy.csv``."""
    rows = []
    for key, label, _ in problems:
        for target in TARGETS:
            best = {fam: best_member(runs, target) for fam, runs in results[key].items()}
            for fam, (spec, res) in best.items():
                others = [r["bytes"] for f, (_, r) in best.items()
                          if f != fam and r["bytes"] is not None]
                basic = best["Basic (32d bits)"][1]["bytes"]
                b = res["bytes"]
                rows.append({
                    "problem": key, "target": target, "family": fam, "best_member": spec,
                    "in_paper_figure": fam in PAPER_FAMILIES, "bytes": b,
                    "iterations": res["iters"], "seeds_reached": f"{res['reached']}/{res['seeds']}",
                    "bytes_sent_if_not_reached": None if b is not None else res["sent"],
                    "basic_over_this": (basic / b) if (b and basic) else None,
                    "best_other_over_this": (min(others) / b) if (b and others) else None,
                })
    ctx.save_table("bytes_to_accuracy", rows,
                   "Bytes each method needed to first reach relative distance ≤ target "
                   f"(targets {', '.join(f'{t:g}' for t in TARGETS)}, fixed before the runs): "
                   "best member of each family, the factor saved against Basic "
                   "(basic_over_this) and against the best other family "
                   "(best_other_over_this > 1: this family needs the fewest bytes).")
    return rows


def _families(present) -> list:
    """The families in ``present``: the paper's and the extra ones in their order, then any
    added to :func:`methods` by a user."""
    known = PAPER_FAMILIES + EXTRA_FAMILIES
    return [f for f in known if f in present] + [f for f in present if f not in known]


def _style(fam: str) -> tuple:
    return _STYLE.get(fam, ("tab:gray", "-."))


def _legend(fam: str, spec: str) -> str:
    if "best" in fam:
        return f"{fam}: {spec}"
    if fam.startswith("Spherical"):
        return f"{fam} (blocks of ≤ {spec.split('block=')[1].split(',')[0]})"
    return fam


def _curve_of(runs: list) -> dict:
    return runs[0]       # the first seed is drawn; the table uses the median over seeds


def _bytes_figure(ctx, plt, key, label, problem, res) -> None:
    fig, ax = plt.subplots(figsize=(9.5, 5.8))
    data = []
    target = min(TARGETS)
    basic_bytes = None
    for fam in _families(res):
        spec, _ = best_member(res[fam], target)
        r = _curve_of(res[fam][spec])
        colour, ls = _style(fam)
        x = r["bits"] / 8.0
        keep = r["rel"] > 0
        ax.plot(x[keep], r["rel"][keep], ls, color=colour,
                lw=1.8 if fam in PAPER_FAMILIES else 1.2, label=_legend(fam, spec))
        if fam.startswith("Basic"):
            basic_bytes = bytes_needed(res[fam][spec], target)["bytes"]
        data += [{"series": fam, "member": spec, "seed": r["seed"], "step": int(t),
                  "bytes": float(b), "relative_distance": float(v)}
                 for t, b, v in zip(r["steps"], x, r["rel"])]
    for t in TARGETS:
        ax.axhline(t, color="gray", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_ylim(max(1e-9, min(TARGETS) / 30), 2.0)
    if basic_bytes:
        ax.set_xlim(0, 1.15 * basic_bytes)
    ax.set_xlabel("bytes communicated (real encoded bits / 8, cumulative)")
    ax.set_ylabel(r"$\|x^t - x^\star\|^2 / \|x^0 - x^\star\|^2$")
    ax.set_title(f"Compressed GD, {label}:\nrelative distance vs bytes (dotted: the targets "
                 f"{', '.join(f'{t:g}' for t in TARGETS)})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper right")
    fig.tight_layout()
    ctx.save_figure(fig, f"bytes_{key}", data,
                    f"The authors' figure on {label}: relative squared distance to x* against "
                    "bytes sent (solid: the methods of P2's figure; dashed: the extra ones). "
                    "Top-k, Rand-k and QSGD: the member needing the fewest bytes at "
                    f"{min(TARGETS):g}.")


def _iterations_figure(ctx, plt, key, label, problem, res) -> None:
    env0 = envelope_start(problem)
    fig, ax = plt.subplots(figsize=(9.5, 5.8))
    data = []
    tmax = 0
    for fam in PAPER_FAMILIES:
        spec, _ = best_member(res[fam], min(TARGETS))
        r = _curve_of(res[fam][spec])
        colour, _ = _style(fam)
        keep = r["rel"] > 0
        ax.plot(r["steps"][keep], r["rel"][keep], "-", color=colour, lw=1.6,
                label=_legend(fam, spec))
        env = env0 * r["q"] ** r["steps"].astype(float)
        ax.plot(r["steps"], env, "--", color=colour, lw=1.0)
        hit = first_hit(r, min(TARGETS))[1]
        tmax = max(tmax, hit if hit is not None else r["T"])
        data += [{"series": fam, "member": spec, "step": int(t), "relative_distance": float(v),
                  "theorem_envelope": float(e), "eta": r["eta"], "q": r["q"]}
                 for t, v, e in zip(r["steps"], r["rel"], env)]
    ax.set_yscale("log")
    ax.set_ylim(max(1e-9, min(TARGETS) / 30), 10 * env0)
    ax.set_xlim(0, 1.3 * tmax)
    ax.set_xlabel("iterations t")
    ax.set_ylabel(r"$\|x^t - x^\star\|^2 / \|x^0 - x^\star\|^2$")
    ax.set_title(f"Compressed GD, {label}: runs (solid) and the CGD theorem's envelope "
                 r"$\frac{2(f(x^0)-f^\star)}{\mu\|x^0-x^\star\|^2}q^t$ (dashed)"
                 f"\nL = {problem.L:.4g}, μ = {problem.mu:.4g} (certified)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper right")
    fig.tight_layout()
    ctx.save_figure(fig, f"iterations_{key}", data,
                    f"{label}: the runs of P2's figure against iterations, each with its "
                    "theorem envelope (T-B3 for biased, T-B2 for unbiased compressors; "
                    "q from the declared δ or ω and the certified L, μ).")


def _saved_figure(ctx, plt, rows, problems) -> None:
    fig, axes = plt.subplots(len(TARGETS), len(problems), figsize=(12, 4.2 * len(TARGETS)))
    axes = np.asarray(axes).reshape(len(TARGETS), len(problems))
    data = []
    for col, (key, label, _) in enumerate(problems):
        fams = _families({r["family"]: None for r in rows if r["problem"] == key})
        for j, target in enumerate(TARGETS):
            ax = axes[j, col]
            got = [_row(rows, key, target, fam) for fam in fams]
            vals = [r["bytes"] if r["bytes"] is not None else 0.0 for r in got]
            colours = [_style(f)[0] for f in fams]
            ax.bar(np.arange(len(fams)), vals, 0.7, color=colours,
                   hatch=None, edgecolor="k", lw=0.5)
            top = max(vals) if any(vals) else 1.0
            for i, r in enumerate(got):
                text = ("not reached" if r["bytes"] is None else
                        f"×{r['basic_over_this']:.1f}" if r["basic_over_this"] else "")
                ax.text(i, vals[i] + 0.02 * top, text, ha="center", va="bottom", fontsize=7.5)
                data.append({"problem": key, "target": target, "family": fams[i],
                             "member": r["best_member"], "bytes": r["bytes"],
                             "basic_over_this": r["basic_over_this"]})
            ax.set_ylim(0, 1.15 * top)
            ax.set_xticks(np.arange(len(fams)))
            ax.set_xticklabels(fams if j == len(TARGETS) - 1 else [""] * len(fams),
                               rotation=50, ha="right", fontsize=8)
            ax.set_ylabel("bytes to reach it")
            ax.set_title(f"{label}: relative distance {target:g}", fontsize=9.5)
            ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Bytes needed at equal accuracy (label: factor saved against Basic; "
                 "median over seeds)", fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig, "bytes_saved", data,
                    "Bytes each family needed to reach the fixed targets, both problems, with "
                    "the factor saved against Basic (the table bytes_to_accuracy.csv also has "
                    "the factor against the best other family).")


def spherical_message_bits(alpha: float, d: int, block: int, float_width: int = 32) -> tuple:
    r"""(expected bits, expected draws) of one Spherical Compression message of a nonzero
    d-vector cut into blocks of at most ``block``, with an unlimited search: per block a norm
    (``float_width`` bits) and the Rice code of :math:`T - 1`,
    :math:`T \sim \mathrm{Geometric}(P(\alpha, b))`, at the Rice parameter minimising the exact
    mean (docs/optimal_compression.md §3); draws :math:`\sum_j 1/P(\alpha, b_j)`."""
    from theorytools.bounds import cap_measure
    from theorytools.compressors.spherical import block_sizes, rice_mean_length

    bits = draws = 0.0
    for b in block_sizes(d, min(block, d)):
        prob = cap_measure(alpha, int(b))
        bits += float_width + min(rice_mean_length(prob, k) for k in range(64))
        draws += 1.0 / prob
    return bits, draws


def _blocks_figure(ctx, plt, problems, results) -> None:
    """What the blocks cost Spherical Compression: expected bits per message against the
    block size, with the single-search bound and the measured bits of deterministic SD."""
    from theorytools.bounds import log2_cap_measure

    fig, axes = plt.subplots(1, len(problems), figsize=(12, 4.8))
    data, notes = [], []
    for ax, (key, label, problem) in zip(np.atleast_1d(axes), problems):
        d = problem.d
        sd_runs = [r for runs in results[key]["Sparse Dithering det. α=0.1"].values()
                   for r in runs]
        sd_bits = (sum(float(r["bits"][-1]) for r in sd_runs)
                   / max(1, sum(int(r["steps"][-1]) for r in sd_runs)))
        ax2 = ax.twinx()
        for a, colour in ((0.15, "tab:green"), (0.2, "tab:olive")):
            bs = np.arange(2, d + 1)
            vals = [spherical_message_bits(a, d, int(b)) for b in bs]
            ax.plot(bs, [v[0] for v in vals], "-o", ms=3, color=colour,
                    label=f"SC α={a:g}: expected bits per message")
            ax2.plot(bs, [v[1] for v in vals], ":", color=colour,
                     label=f"SC α={a:g}: expected draws per message")
            lb = 32 - log2_cap_measure(a, d)
            ax.axhline(lb + 3, color=colour, lw=0.8, ls="--")
            fam = f"Spherical α={a:g}"
            used = [r for runs in results[key][fam].values() for r in runs]
            spec = next(iter(results[key][fam]))
            used_b = int(spec.split("block=")[1].split(",")[0])
            meas = (sum(float(r["bits"][-1]) for r in used)
                    / max(1, sum(int(r["steps"][-1]) for r in used)))
            ax.scatter([used_b], [meas], s=90, marker="*", color=colour, zorder=4,
                       label=f"SC α={a:g}: measured in the run (block {used_b})")
            data += [{"problem": key, "alpha": a, "block": int(b), "bits": v[0],
                      "draws": v[1]} for b, v in zip(bs, vals)]
            data.append({"problem": key, "alpha": a, "block": used_b, "bits": meas,
                         "draws": None, "series": "measured"})
            hit = bytes_needed(used, min(TARGETS))
            sd_need = bytes_needed(sd_runs, min(TARGETS))["bytes"] or float("nan")
            if hit["iters"] is not None:
                one = vals[-1][0]
                notes.append(f"{key}, α = {a:g}: one search over all {d} coordinates would "
                             f"cost {one:.1f} expected bits per message ({vals[-1][1]:.3g} "
                             f"draws) against {meas:.1f} measured with blocks of {used_b}; "
                             f"at the run's {hit['iters']:.0f} iterations to "
                             f"{min(TARGETS):g} that is ≈ {hit['iters'] * one / 8:,.0f} B "
                             f"against deterministic SD's measured "
                             f"{sd_need:,.0f} B")
        ax.axhline(sd_bits, color="tab:red", lw=1.2,
                   label=f"SD det. α=0.1: measured {sd_bits:.0f} bits per message")
        ax.plot([], [], "k--", lw=0.8, label=r"one search: $-\log_2 P(\alpha,d) + 3 + 32$")
        ax.set_xlabel("Spherical Compression block size b (coordinates)")
        ax.set_ylabel("bits per message (norms + Rice codes)")
        ax2.set_yscale("log")
        ax2.set_ylabel("expected draws per message (search cost)")
        ax.set_title(f"{label}, d = {d}", fontsize=10)
        ax.grid(True, alpha=0.3)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper center",
                  bbox_to_anchor=(0.56, 1.0))
    fig.suptitle("The price of Spherical Compression's blocks: fewer, larger blocks save the "
                 "32-bit norms but need exponentially more draws", fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig, "spherical_blocks", data,
                    "Expected bits per Spherical Compression message against the block size "
                    "(exact, geometric law of T, unlimited search), with the draws a message "
                    "costs, the runs' measured bits (stars) and deterministic SD's measured "
                    "bits per message.")
    for n in notes:
        ctx.note("Projection, not a measurement: " + n + ".")


def _row(rows, key, target, fam):
    return next(r for r in rows if r["problem"] == key and r["target"] == target
                and r["family"] == fam)


def _new(rows, key) -> list:
    """The paper's new compressors present for problem ``key`` (Spherical, Sparse Dithering,
    in any configuration)."""
    return [f for f in _families({r["family"]: None for r in rows if r["problem"] == key})
            if f.startswith(("Spherical", "Sparse Dithering"))]


def _short(fam: str) -> str:
    return (fam.replace("Sparse Dithering", "SD").replace("Spherical", "SC")
            .replace(" α=", " "))


def _rank(rows, key, target, fam):
    """1 = fewest bytes among the families of (key, target); '–' if it never got there."""
    mine = _row(rows, key, target, fam)["bytes"]
    if mine is None:
        return "–"
    return 1 + sum(r["bytes"] is not None and r["bytes"] < mine for r in rows
                   if r["problem"] == key and r["target"] == target)


def _fmt(b):
    return "not reached" if b is None else f"{b:,.0f} B"


def _figure_claims(ctx, rows, problems) -> None:
    cells = [(key, t) for key, _, _ in problems for t in TARGETS]

    # (4) the new compressors beat the comparison of the authors' figure.
    wins, parts = 0, []
    for key, t in cells:
        base = [_row(rows, key, t, f)["bytes"] for f in ("Top-k (best k)", "Basic (32d bits)")]
        base = min((b for b in base if b is not None), default=None)
        new = {f: _row(rows, key, t, f)["bytes"] for f in _new(rows, key)}
        ok = all(b is not None and (base is None or b < base) for b in new.values())
        wins += ok
        parts.append(f"{key} @ {t:g}: best of Top-k/Basic {_fmt(base)}; "
                     + ", ".join(f"{f.split(' α')[0].replace('Sparse Dithering', 'SD')}"
                                 f"{f[f.find(' α'):] if ' α' in f else ''} {_fmt(b)}"
                                 for f, b in new.items()))
    ctx.claim("P2 (abstract; poster's figure): the new compressors (Spherical α = 0.15/0.2, "
              "Sparse Dithering det. α = 0.1 and unb. α = 0.25) reach a given accuracy with "
              "fewer bytes than the best Top-k and than Basic",
              "; ".join(parts) + f". Criterion: every new compressor below both, in each of "
              f"the {len(cells)} (problem, target) cells: {wins}/{len(cells)} cells.",
              "reproduced" if wins == len(cells) else
              ("partially reproduced" if wins else "not reproduced"), figure="bytes_saved")

    # (5) ... and than the wider state of the art (QSGD, natural compression, Rand-k).
    wins, parts = 0, []
    for key, t in cells:
        new = {f: _row(rows, key, t, f) for f in _new(rows, key)}
        bestnew = min((r for r in new.values() if r["bytes"] is not None),
                      key=lambda r: r["bytes"], default=None)
        others = [_row(rows, key, t, f)
                  for f in _families({r["family"]: None for r in rows if r["problem"] == key})
                  if f not in new]
        bestother = min((r for r in others if r["bytes"] is not None),
                        key=lambda r: r["bytes"], default=None)
        ok = bestnew is not None and (bestother is None or bestnew["bytes"] < bestother["bytes"])
        wins += ok
        other_name = (f"{bestother['family']} {bestother['best_member']}" if bestother
                      else "–")
        parts.append(f"{key} @ {t:g}: best new {bestnew['family'] if bestnew else '–'} "
                     f"{_fmt(bestnew['bytes'] if bestnew else None)} vs best other "
                     f"{other_name} {_fmt(bestother['bytes'] if bestother else None)}"
                     + (f" (×{bestother['bytes'] / bestnew['bytes']:.2f})"
                        if bestnew and bestother else "")
                     + f" [rank of each new one among {len(others) + len(new)} families: "
                     + ", ".join(f"{_short(f)} {_rank(rows, key, t, f)}" for f in new) + "]")
    ctx.claim("P2 (abstract): \"our new compression schemes significantly outperform the state "
              "of the art\" — here against QSGD (best s), natural compression and Rand-k "
              "(best k) too",
              "; ".join(parts) + f". Criterion: the best new compressor needs the fewest bytes "
              f"of all families, per cell: {wins}/{len(cells)} cells.",
              "reproduced" if wins == len(cells) else
              ("partially reproduced" if wins else "not reproduced"), figure="bytes_saved")

    # (6) bits saved at equal accuracy against Basic.
    ok, parts = 0, []
    for key, t in cells:
        basic = _row(rows, key, t, "Basic (32d bits)")["bytes"]
        new = [_row(rows, key, t, f) for f in _new(rows, key)]
        best = min((r for r in new if r["bytes"] is not None), key=lambda r: r["bytes"],
                   default=None)
        factor = basic / best["bytes"] if (best and basic) else None
        ok += factor is not None and factor >= 2
        parts.append(f"{key} @ {t:g}: Basic {_fmt(basic)}, {best['family'] if best else '–'} "
                     f"{_fmt(best['bytes'] if best else None)}"
                     + (f" (saves ×{factor:.1f})" if factor else ""))
    ctx.claim("P2 (abstract): compression worsens the iteration complexity but the total "
              "communication can improve significantly",
              "; ".join(parts) + f". Criterion fixed before the runs: the best new compressor "
              f"needs at most half of Basic's bytes, per cell: {ok}/{len(cells)}.",
              "reproduced" if ok == len(cells) else
              ("partially reproduced" if ok else "not reproduced"), figure="bytes_saved")


def measured_rate(run: dict):
    r"""Least-squares slope of :math:`-\ln` (relative distance) per iteration over the recorded
    steps between 1e-2 and the first hit of the smallest target (the linear phase), or None
    when fewer than 3 recorded points lie there."""
    hit = first_hit(run, min(TARGETS))[1]
    stop = hit if hit is not None else run["steps"][-1]
    sel = (run["rel"] <= 1e-2) & (run["rel"] > 0) & (run["steps"] <= stop)
    if sel.sum() < 3:
        return None
    slope = np.polyfit(run["steps"][sel].astype(float), np.log(run["rel"][sel]), 1)[0]
    return float(-slope)


def _envelope_claim(ctx, problems, results) -> None:
    """Every run below its CGD theorem's envelope, and its linear rate at least the
    theorem's."""
    total, above, worst, slack, slow, rates = 0, [], 0.0, [], [], []
    for key, _, problem in problems:
        env0 = envelope_start(problem)
        for fam, members in results[key].items():
            for spec, runs in members.items():
                for r in runs:
                    total += 1
                    env = env0 * r["q"] ** r["steps"].astype(float)
                    ratio = float(np.max(r["rel"] / env))
                    worst = max(worst, ratio)
                    _, hit = first_hit(r, min(TARGETS))
                    if hit is not None:
                        i = int(np.searchsorted(r["steps"], hit))
                        slack.append(env[i] / r["rel"][i])
                    if ratio > 1.0:
                        above.append(f"{key} {spec} seed {r['seed']} (×{ratio:.3g})")
                    rate = measured_rate(r)
                    if rate is not None:
                        k = rate / -math.log(r["q"])
                        rates.append((k, f"{key} {spec}"))
                        if k < 1.0:
                            slow.append(f"{key} {spec} seed {r['seed']} (×{k:.3g})")
    lo = min(rates) if rates else None
    hi = max(rates) if rates else None
    ctx.claim("Beznosikov et al. (arXiv 2002.12410), the CGD theorems P2's comparison rests on: "
              "f(x^t) − f* ≤ q^t (f(x⁰) − f*) with q = 1 − μ/(δL) (η = 1/L, B3) or "
              "1 − μ/((1+ω)L) (η = 1/((1+ω)L), U(ω)); hence relative distance ≤ "
              "2(f(x⁰) − f*)/(μ‖x⁰ − x*‖²)·q^t",
              f"{total} runs, {len(above)} above their envelope at some recorded step"
              + (f" ({'; '.join(above[:5])})" if above else "")
              + f" (largest ratio run/envelope {worst:.3g}); {len(rates)} runs with a fitted "
              f"linear rate, {len(slow)} slower than −ln q"
              + (f" ({'; '.join(slow[:5])})" if slow else "")
              + (f"; measured rate / theorem's rate from ×{lo[0]:.2f} ({lo[1]}) to "
                 f"×{hi[0]:.1f} ({hi[1]})" if rates else "")
              + (f"; where a run first reaches {min(TARGETS):g} the envelope is ×"
                 f"{min(slack):.3g} to ×{max(slack):.3g} above it (a worst-case bound; GD's "
                 "distance contracts like q², hence the square-root slack)" if slack else "")
              + ". Criterion: every run below its envelope at every recorded step, and every "
              "fitted rate ≥ −ln q (for randomized compressors the theorem bounds the "
              "expectation; a single run violating it is reported, not excused).",
              "reproduced" if not above and not slow and rates else "not reproduced",
              figure="iterations_logistic")


def _spherical_claim(ctx, problems, results) -> None:
    """Mean Rice bits of T per block along the runs against the poster's -log2 P + 3."""
    from theorytools.bounds import log2_cap_measure
    from theorytools.compressors import create

    parts, ok, n = [], 0, 0
    for key, _, problem in problems:
        for fam in [f for f in results[key] if f.startswith("Spherical")]:
            for spec, runs in results[key][fam].items():
                c = create(spec)
                _, sizes = c.layout(problem.d)
                alpha = c.params["alpha"]
                bound = sum(-log2_cap_measure(alpha, int(b)) + 3 for b in sizes)
                exact = sum(c.block_constants(int(b))["rice_expected"] for b in sizes)
                bits = sum(float(r["bits"][-1]) for r in runs)
                iters = sum(int(r["steps"][-1]) for r in runs)
                if iters == 0:
                    continue
                rice = bits / iters - c.float_width * len(sizes)   # norms: one float a block
                whole = -log2_cap_measure(alpha, problem.d) + 3 + c.float_width
                n += 1
                ok += rice < bound
                parts.append(f"{key}, α = {alpha:g}, {len(sizes)} blocks: {rice:.2f} Rice bits "
                             f"per iteration (exact mean {exact:.2f}) vs Σ(−log₂P + 3) = "
                             f"{bound:.2f}; with the norms {bits / iters:.1f} bits/iteration, "
                             f"where one search over d = {problem.d} would cost < {whole:.1f}")
    ctx.claim("P2 poster: Spherical Compression's expected code length of T is below "
              "−log₂P(α, d) + 3 (it achieves the average-case lower bound −log₂P up to 3 bits)",
              "; ".join(parts) + ". Measured on the training runs (every message encoded). "
              "Criterion: measured mean < the bound summed over the blocks. The blocks' norms "
              "(32 bits each) are the price of a feasible search and why SC pays more than the "
              "bound for the whole vector.",
              "reproduced" if n and ok == n else ("partially reproduced" if ok else
                                                  "not reproduced"),
              figure="bytes_logistic")


def _sd_bits_claim(ctx, problems, results) -> None:
    """Mean bits per message of unbiased SD along the runs against the poster's figure."""
    parts, ok, n = [], 0, 0
    for key, _, problem in problems:
        d = problem.d
        for spec, runs in results[key]["Sparse Dithering unb. α=0.25"].items():
            iters = sum(int(r["steps"][-1]) for r in runs)
            if iters == 0:
                continue
            omega = 0.25
            poster = (math.log2(3) + 1 / (2 * math.sqrt(omega))) * d + math.log2(d) + 30
            mean = sum(float(r["bits"][-1]) for r in runs) / iters
            n += 1
            ok += mean <= poster
            parts.append(f"{key} (d = {d}): {mean:.1f} bits per message on average over "
                         f"{iters} messages vs the poster's {poster:.1f}")
    ctx.claim("P2 poster: randomized (unbiased) Sparse Dithering uses at most "
              "(log₂3 + 1/(2√ω))d + log₂d + 30 bits in expectation (here ω = 0.25)",
              "; ".join(parts) + ". Our construction of it (the poster gives only this "
              "figure): docs/optimal_compression.md §1. Criterion: the mean over the run's "
              "messages ≤ the figure, per problem.",
              "reproduced" if n and ok == n else ("partially reproduced" if ok else
                                                  "not reproduced"),
              figure="bytes_logistic")


if __name__ == "__main__":
    from theorytools.experiment import main

    raise SystemExit(main(run, __file__))
