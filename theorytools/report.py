"""Self-contained verification reports: Markdown and HTML, plots, and the results as JSON/CSV.

``write_report(rows, directory)`` writes

* ``results.json`` and ``results.csv`` -- every check row;
* ``summary.png`` -- the tightness ratio empirical/theoretical of every check, by suite, with
  the verdicts (a ratio of 1 is a tight bound; a failed check is drawn in red);
* one PNG per check that carries a ``series`` (curves against iterations and, where recorded,
  against bits sent: the empirical mean with its confidence band and the bound's envelope);
* ``report.md`` and ``report.html`` (plots embedded as data URIs: one file to share).
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import os

import numpy as np

FIELDS = ("name", "paper", "theorem", "status", "kind", "empirical", "theoretical", "ratio",
          "verdict", "details")


def _plot_summary(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suites = sorted({r.name.split(".")[0] for r in rows})
    fig, ax = plt.subplots(figsize=(10, 0.6 + 0.45 * len(suites)))
    for k, suite in enumerate(suites):
        mine = [r for r in rows if r.name.split(".")[0] == suite]
        ratios = np.array([r.ratio if isinstance(r.ratio, (int, float)) and r.ratio is not None
                           and np.isfinite(r.ratio) and r.ratio > 0 else np.nan for r in mine])
        ok = np.array([r.verdict == "PASS" for r in mine])
        jitter = (np.arange(len(mine)) % 7 - 3) * 0.05
        ax.scatter(ratios[ok], k + jitter[ok], s=12, color="tab:blue", alpha=0.6,
                   label="PASS" if k == 0 else None)
        if (~ok).any():
            ax.scatter(ratios[~ok], k + jitter[~ok], s=30, color="tab:red", marker="x",
                       label="FAIL")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(suites)), [f"{s} ({sum(r.name.startswith(s + '.') for r in rows)})"
                                       for s in suites])
    ax.set_xlabel("tightness ratio empirical / theoretical (1 = attained)")
    ax.set_title(f"{len(rows)} checks, {sum(r.verdict != 'PASS' for r in rows)} failed")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_series(row, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = row.series
    panels = [("x", s.get("xlabel", "iteration"))]
    if s.get("bits") is not None:
        panels.append(("bits", "bits sent"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        x = np.asarray(s[key], dtype=float)
        y = np.asarray(s["y"], dtype=float)
        ax.plot(x, y, color="tab:blue", label=s.get("label", "empirical mean"))
        if s.get("lo") is not None and s.get("hi") is not None:
            ax.fill_between(x, s["lo"], s["hi"], color="tab:blue", alpha=0.25,
                            label=s.get("band", "confidence band"))
        if s.get("bound") is not None:
            ax.plot(x, s["bound"], color="tab:red", ls="--", label="theoretical bound")
        if s.get("logy", True):
            ax.set_yscale("log")
        if s.get("logx", False):
            from matplotlib.ticker import NullFormatter
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel(s.get("ylabel", "value"))
        ax.legend(fontsize=8)
    fig.suptitle(f"{row.name}: {row.verdict}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _data_uri(path):
    with open(path, "rb") as fh:
        return "data:image/png;base64," + base64.b64encode(fh.read()).decode()


def write_report(rows, directory: str) -> dict:
    """Write the report files into ``directory`` (created); returns their paths."""
    os.makedirs(directory, exist_ok=True)
    paths = {k: os.path.join(directory, f) for k, f in (
        ("json", "results.json"), ("csv", "results.csv"), ("summary", "summary.png"),
        ("md", "report.md"), ("html", "report.html"))}
    dicts = [r.as_dict() for r in rows]
    failed = sum(r.verdict != "PASS" for r in rows)
    with open(paths["json"], "w") as fh:
        json.dump({"passed": len(rows) - failed, "failed": failed, "checks": dicts}, fh,
                  indent=1)
    with open(paths["csv"], "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(dicts)
    _plot_summary(rows, paths["summary"])
    plots = {}
    for r in rows:
        if getattr(r, "series", None):
            p = os.path.join(directory, "plot_" + "".join(
                ch if ch.isalnum() or ch in "._-" else "_" for ch in r.name) + ".png")
            _plot_series(r, p)
            plots[r.name] = p
    buf = io.StringIO()
    buf.write(f"# theorytools verify report\n\n{len(rows) - failed} passed, {failed} failed.\n\n")
    buf.write("![summary](summary.png)\n\n")
    buf.write("| " + " | ".join(FIELDS[:-1]) + " |\n|" + "---|" * (len(FIELDS) - 1) + "\n")
    for d in dicts:
        buf.write("| " + " | ".join(str(d[f]).replace("|", "/") for f in FIELDS[:-1]) + " |\n")
    for name, p in plots.items():
        buf.write(f"\n## {name}\n\n![{name}]({os.path.basename(p)})\n")
    with open(paths["md"], "w") as fh:
        fh.write(buf.getvalue())
    rows_html = "".join(
        "<tr class='{}'>".format("fail" if d["verdict"] != "PASS" else "pass")
        + "".join(f"<td>{html.escape(str(d[f]))}</td>" for f in FIELDS) + "</tr>"
        for d in dicts)
    figures = "".join(f"<h2>{html.escape(n)}</h2><img src='{_data_uri(p)}'>"
                      for n, p in plots.items())
    with open(paths["html"], "w") as fh:
        fh.write("<!doctype html><meta charset='utf-8'><title>theorytools verify</title>"
                 "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;"
                 "font-size:12px}tr.fail{background:#fdd}table{border-collapse:collapse}</style>"
                 f"<h1>theorytools verify</h1><p>{len(rows) - failed} passed, {failed} failed."
                 f"</p><img src='{_data_uri(paths['summary'])}'><table><tr>"
                 + "".join(f"<th>{f}</th>" for f in FIELDS) + "</tr>" + rows_html
                 + "</table>" + figures)
    paths["plots"] = plots
    return paths
