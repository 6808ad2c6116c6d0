r"""The bits-versus-distortion frontier: every compressor against the lower bounds.

For each compressor (each at a few parameter values) at dimension d we measure

* the **worst-case distortion after the best fixed rescaling**:
  :math:`\hat\alpha = \min_\lambda \max_x \mathbb{E}\|\lambda C(x) - x\|^2/\|x\|^2`, the max
  over the contract suite's adversarial inputs, the compressor's extremal and own adversarial
  inputs, and Gaussian draws, each expectation EXACT from the law
  (:func:`~theorytools.compressors.contract.exact_quantities`); the objective is a maximum of
  convex quadratics in :math:`\lambda`, minimised by bounded Brent search;
* the **bits**: the maximum of ``encode(x, seed).nbits`` over the same inputs and three seeds
  (explicit mode: no shared randomness; ``spherical`` in its shared mode, flagged);

and compare with :func:`~theorytools.bounds.worst_case_bits` :math:`b_{LB}(\hat\alpha, d)`
(cap covering, norm free; ours, derived), P2's :math:`-\log_2 P + \log_2 d + c`
(:func:`~theorytools.bounds.worst_case_bits_log_d`, authors' poster, c = 0 by default) and the
uncertainty principle :math:`\tfrac d2\log_2(1/\alpha)`. Both P2 constructions and our
variants are on it: ``sparse_dithering_det`` (the authors') beside
``sparse_dithering_det_huffman`` (ours), ``spherical`` (the authors') beside
``spherical_projection`` (ours).
For every compressor without shared randomness, ``bits >= b_LB(distortion)`` is a necessary
condition (checks (docs/sources.md#checks)): a violation means a bit count or a distortion is wrong.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize

from theorytools.bounds import uncertainty_principle_bits, worst_case_bits, worst_case_bits_log_d
from theorytools.compressors import create
from theorytools.compressors.contract import adversarial_inputs, exact_quantities
from theorytools.compressors.spherical import default_block
from theorytools.errors import TheorytoolsError, check_int

__all__ = ["SHARED_MODE", "FrontierPoint", "best_rescaled_distortion", "frontier",
           "frontier_specs", "measure_point", "necessary_condition_violations", "plot", "table"]

#: Compressors measured in their shared-randomness mode (the construction needs it).
SHARED_MODE = ("spherical", "spherical_projection")


def frontier_specs(d: int) -> list:
    """Compressor specs of the frontier at dimension d (each family at a few parameters)."""
    d = check_int(d, "d", low=2)
    ks = sorted({max(1, d // 10), max(1, d // 4), max(1, d // 2)})
    root = max(1, int(math.isqrt(d)))
    specs = ["identity", "natural", "biased_natural", "scaled_sign"]
    specs += [f"top_k[k={k}]" for k in ks] + [f"rand_k_biased[k={k}]" for k in ks[:2]]
    specs += [f"rand_k[k={k}]" for k in ks[:2]]
    specs += [f"dithering[s={s}]" for s in sorted({1, max(1, root // 2), root})]
    specs += [f"dithering[s={root},coding=elias]"]
    specs += [f"natural_dithering[s={s}]" for s in (2, 4, 8)]
    specs += [f"top_k+natural_dithering[k={ks[-1]},s=4]"]
    specs += [f"sparse_dithering[omega={w}]" for w in (0.25, 1.0, 4.0)]
    specs += [f"sparse_dithering_det[nu={v}]" for v in (0.01, 0.05, 0.1, 0.25, 0.5)]
    specs += [f"sparse_dithering_det_huffman[nu={v}]" for v in (0.01, 0.1, 0.5)]
    specs += [f"spherical[alpha={a},block={default_block(a, d)}]" for a in (0.25, 0.5, 0.75)]
    specs += [f"spherical_projection[alpha={a},block={default_block(a, d)}]"
              for a in (0.25, 0.5, 0.75)]
    return specs


@dataclass
class FrontierPoint:
    name: str
    params: dict
    spec: str
    distortion: float          # worst case after the best fixed rescaling
    scale: float               # the best fixed rescaling lambda
    bits: int                  # max measured nbits
    bits_mean: float
    bits_per_coordinate: float
    lower_bound_bits: float    # b_LB(distortion, d)
    lower_bound_log_d_bits: float   # P2: b_LB + log2 d + c, c = 0 (authors' poster)
    uncertainty_bits: float    # (d/2) log2(1/distortion)
    gap_bits: float
    ratio: float
    shared_randomness: bool
    argmax: str = ""
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


def _inputs(compressor, d: int) -> list:
    rng = np.random.Generator(np.random.PCG64(20261126 + d))
    out = [(label, x) for label, x in adversarial_inputs(d) if np.any(x)]
    out += [(f"extremal[{e.constant}]", e.x) for e in compressor.extremal_inputs(d)]
    out += [(f"gaussian#{i}", rng.standard_normal(d)) for i in range(3)]
    if hasattr(compressor, "adversarial_input"):
        out.append(("adversarial (LP)", compressor.adversarial_input(d)))
    if hasattr(compressor, "step"):   # grid midpoints: the largest rounding errors
        out.append(("midpoints", (np.arange(d) % 3 + 0.5) * compressor.step(d)))
    return out


def best_rescaled_distortion(stats: list) -> tuple:
    r""":math:`\min_{\lambda \ge 0}\max_x (\lambda^2 s_x - 2\lambda i_x + 1)` for normalised
    second moments :math:`s_x = \mathbb{E}\|C\|^2/\|x\|^2` and inner products
    :math:`i_x = \langle \mathbb{E}C, x\rangle/\|x\|^2`. Returns (value, lambda)."""
    s = np.array([a for a, _ in stats])
    i = np.array([b for _, b in stats])

    def worst(lam):
        return float(np.max(lam * lam * s - 2 * lam * i + 1.0))

    hi = max(2.0, float(np.max(2 * i / np.where(s > 0, s, 1.0))))
    res = optimize.minimize_scalar(worst, bounds=(0.0, hi), method="bounded",
                                   options={"xatol": 1e-12})
    lam = float(res.x)
    if worst(1.0) <= worst(lam):
        lam = 1.0
    return worst(lam), lam


def measure_point(spec, d: int, seeds=(0, 1, 2)) -> FrontierPoint:
    """Measure one compressor (a spec string, or a compressor object) at dimension d."""
    c = create(spec, float_width=32) if isinstance(spec, str) else spec
    c.validate(np.zeros(d))
    shared = c.name in SHARED_MODE
    stats, bits, worst_label = [], [], ""
    worst_bits = -1
    for label, x in _inputs(c, d):
        try:
            c.validate(x)
        except TheorytoolsError:
            continue
        if not c.in_domain(x):
            continue
        q = exact_quantities(c, x)
        stats.append((q.second / q.norm2, q.inner / q.norm2))
        for seed in seeds if c.randomized else seeds[:1]:
            nb = c.encode(x, seed, shared=shared).nbits
            bits.append(nb)
            if nb > worst_bits:
                worst_bits, worst_label = nb, label
    distortion, lam = best_rescaled_distortion(stats)
    distortion = max(distortion, 0.0)
    bmax = int(max(bits))
    if distortion >= 1.0:
        lower = lower_log_d = 0.0
        upper = 0.0
    else:
        alpha = max(distortion, 1e-300)
        lower = worst_case_bits(alpha, d)
        lower_log_d = worst_case_bits_log_d(alpha, d)
        upper = uncertainty_principle_bits(alpha, d)
    return FrontierPoint(
        name=c.name, params=dict(c.params), spec=c.canonical_name, distortion=distortion,
        scale=lam, bits=bmax, bits_mean=float(np.mean(bits)), bits_per_coordinate=bmax / d,
        lower_bound_bits=lower, lower_bound_log_d_bits=lower_log_d, uncertainty_bits=upper,
        gap_bits=bmax - lower,
        ratio=bmax / lower if lower > 0 else math.inf, shared_randomness=shared,
        argmax=worst_label)


def frontier(d: int, specs=None) -> list:
    """Every frontier point at dimension ``d`` (``d >= 2``)."""
    d = check_int(d, "d", low=2)
    return [measure_point(spec, d) for spec in (specs or frontier_specs(d))]


def necessary_condition_violations(points: list) -> list:
    """Points without shared randomness whose bits fall below b_LB(distortion, d)."""
    return [p for p in points if not p.shared_randomness
            and p.bits < p.lower_bound_bits * (1 - 1e-12)]


def table(points: list, d: int) -> str:
    """A text table: distortion, bits, bits per coordinate, b_LB, gap and ratio."""
    head = (f"{'compressor':<46} {'distortion':>10} {'bits':>8} {'bits/d':>7} {'b_LB':>9} "
            f"{'P2 +log2d':>9} {'gap':>9} {'ratio':>6} shared")
    lines = [f"frontier at d = {d}: worst-case distortion after the best fixed rescaling, "
             "max bits over inputs and seeds", head, "-" * len(head)]
    for p in sorted(points, key=lambda p: p.distortion):
        lines.append(f"{p.spec:<46} {p.distortion:>10.4g} {p.bits:>8d} "
                     f"{p.bits_per_coordinate:>7.3f} {p.lower_bound_bits:>9.2f} "
                     f"{p.lower_bound_log_d_bits:>9.2f} "
                     f"{p.gap_bits:>9.2f} {p.ratio:>6.2f} {'yes' if p.shared_randomness else 'no'}")
    return "\n".join(lines)


_FAMILY_STYLE = {
    "identity": ("k", "x"), "top_k": ("tab:blue", "v"), "rand_k": ("tab:cyan", "<"),
    "rand_k_biased": ("tab:cyan", ">"), "natural": ("tab:brown", "s"),
    "biased_natural": ("tab:brown", "D"), "scaled_sign": ("tab:gray", "P"),
    "dithering": ("tab:olive", "o"), "natural_dithering": ("tab:pink", "o"),
    "top_k+natural_dithering": ("tab:purple", "^"), "sparse_dithering": ("tab:orange", "o"),
    "sparse_dithering_det": ("tab:red", "*"), "spherical": ("tab:green", "h"),
    "sparse_dithering_det_huffman": ("tab:red", "X"), "spherical_projection": ("tab:green", "H"),
}


def _short(p) -> str:
    hidden = {"block": None, "max_index": None, "p": 2.0, "coding": "fixed"}
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in p.params.items()
                    if k not in hidden or (hidden[k] is not None and v != hidden[k]))


def plot(points: list, d: int, path) -> None:
    """Save a PNG: bits per coordinate (log scale) vs distortion (log scale), with the
    worst-case bound b_LB(alpha, d)/d and the uncertainty principle (1/2) log2(1/alpha)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alphas = np.logspace(math.log10(3e-3), math.log10(0.995), 200)
    fig, ax = plt.subplots(figsize=(13, 7.5), dpi=100)
    ax.plot(alphas, [worst_case_bits(a, d) / d for a in alphas], "k-", lw=2,
            label=r"worst-case bound $b_{LB}(\alpha,d)/d$ (norm free; ours)")
    ax.plot(alphas, [worst_case_bits_log_d(a, d) / d for a in alphas], "k-.", lw=1.2,
            label=r"P2: $(-\log_2 P(\alpha,d) + \log_2 d + c)/d$, $c = 0$ (authors' poster)")
    ax.plot(alphas, [uncertainty_principle_bits(a, d) / d for a in alphas], "k--", lw=1.2,
            label=r"uncertainty principle $\frac{1}{2}\log_2(1/\alpha)$")
    seen, off = set(), []
    for p in points:
        if p.distortion < 1e-3 or p.distortion > 1.0:
            off.append(f"{p.spec}: distortion {p.distortion:.2g}, {p.bits_per_coordinate:.3g} bits/coord")
            continue
        color, marker = _FAMILY_STYLE.get(p.name, ("tab:gray", "o"))
        label = p.name if p.name not in seen else None
        seen.add(p.name)
        face = "none" if p.shared_randomness else color
        ax.scatter(p.distortion, p.bits_per_coordinate, color=color, marker=marker, s=70,
                   label=label + (" (shared randomness)" if label and p.shared_randomness else "")
                   if label else None, facecolors=face, edgecolors=color, zorder=3)
        ax.annotate(_short(p), (p.distortion, p.bits_per_coordinate), fontsize=7,
                    xytext=(4, 3), textcoords="offset points", color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(3e-3, 1.05)
    ax.set_ylim(0.5, 50)
    ax.set_xlabel(r"worst-case distortion after the best fixed rescaling  "
                  r"$\min_\lambda\max_x E\|\lambda C(x)-x\|^2/\|x\|^2$")
    ax.set_ylabel("bits per coordinate (max over inputs and seeds, norm included)")
    ax.set_title(f"Bits vs distortion frontier, d = {d}  (hollow marker: shared randomness, "
                 "the covering bound does not apply)", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    if off:
        ax.text(0.01, 0.01, "off the axes: " + "; ".join(off), transform=ax.transAxes,
                fontsize=8, va="bottom")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
