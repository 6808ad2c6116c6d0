"""Regenerate the figures of docs/topology.md, "What the gap costs", from the registered checks'
curves (``python docs/_gen_gap_figures.py [--full]``; the default is the quick suite's
graphs, ``--full`` the full suite's). One PNG per quantity: the measured value against its
spectral quantity on log-log axes, one marker per graph family, the predicted slope dashed.
"""
from __future__ import annotations

import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

# (file, theorem key, check label(s), title)
FIGURES = [
    ("gap_consensus_noise.png", "tang2018.gap_consensus_distance", ["noise_exponent[ring]"],
     "D-PSGD: noise part of the consensus distance"),
    ("gap_consensus_heterogeneity.png", "tang2018.gap_consensus_distance",
     ["heterogeneity_exponent"], "D-PSGD: heterogeneity part (slowest mode), per node"),
    ("gap_transient.png", "tang2018.gap_transient", ["transient_exponent"],
     "D-PSGD: transient length until the centralized regime"),
    ("gap_dcd_threshold.png", "tang2018.gap_dcd_stability",
     ["threshold_exponent_in_gap", "tang_condition_is_sufficient"],
     "DCD-PSGD: exact stability limit, and its ratio to Tang's condition"),
    ("gap_choco.png", "tang2018.gap_choco",
     ["prescribed_step_exponent", "best_step_exponent"],
     "CHOCO consensus: 1 - rate at the theorem's step and at the best step"),
    ("gap_equal_bits.png", "tang2018.gap_equal_bits",
     ["dcd_inflation_exponent", "choco_inflation_exponent", "ecd_diverges"],
     "Equal bits (Bernoulli p = 0.6): consensus distance over D-PSGD's (DCD, CHOCO); "
     "ECD's divergence rate"),
]


def _panel(ax, check, title):
    s = check.extra["series"]
    for c in s["curves"]:
        x, y = np.asarray(c["x"], float), np.asarray(c["y"], float)
        if c.get("marker"):
            ax.plot(x, y, marker=c["marker"], ls=":", lw=0.8, label=c["label"])
        else:
            ax.plot(x, y, c.get("ls", "--"), color="k", lw=1.2, label=c["label"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(s["xlabel"])
    ax.set_ylabel(s["ylabel"])
    lo, hi = check.interval if check.interval else (check.empirical, check.empirical)
    ax.set_title(f"{title}\n{check.kind} {check.verdict}: measured {check.empirical:.3g}"
                 + (f" [{lo:.3g}, {hi:.3g}]" if check.kind == "slope" else ""), fontsize=8)
    ax.legend(fontsize=6, ncol=2)


def main(argv=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from theorytools.theory import get

    argv = sys.argv[1:] if argv is None else argv
    quick = "--full" not in argv
    results = {}
    for name, key, labels, title in FIGURES:
        if key not in results:
            results[key] = dict(get(key).run_checks(quick=quick))
        fig, axes = plt.subplots(1, len(labels), figsize=(6 * len(labels), 4.6), squeeze=False)
        for ax, label in zip(axes[0], labels):
            _panel(ax, results[key][label], label)
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        fig.savefig(HERE / name, dpi=90)
        plt.close(fig)
        print("wrote", HERE / name)
    return results


if __name__ == "__main__":
    main()
