"""Self-contained verification reports: Markdown and HTML, plots, and the results as JSON/CSV.

``write_report(rows, directory)`` writes

* ``results.json`` and ``results.csv`` -- every check row;
* ``summary.png`` -- the tightness ratio empirical/theoretical of every check, by suite, with
  the verdicts (a ratio of 1 is a tight bound; a failed check is drawn in red);
* one PNG per group of checks (a compressor, a proof module, a theorem; :func:`group_of`):
  every check of the group on one line, its empirical value with its confidence interval
  (when the verdict is statistical) against the region that passes, both divided by
  |theoretical| so that 1 is the theorem's value;
* one PNG per check that carries a ``series`` (curves against iterations and, where recorded,
  against bits sent: the empirical mean with its confidence band and the bound's envelope;
  ``series["curves"]`` may hold several such curves, e.g. one per configuration);
* ``report.md`` and ``report.html`` (plots embedded as data URIs: one file to share).
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
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


def group_of(name: str) -> str:
    """The group a check row is drawn with: ``compressor.<name>``, ``bound``,
    ``proof.<module>``, ``theorem.<paper>.<theorem>``."""
    suite, _, rest = name.partition(".")
    if suite == "compressor":
        return "compressor." + rest.split(".")[0]
    if suite == "proof":
        return "proof." + rest.split("::")[0]
    if suite == "theorem":
        return "theorem." + ".".join(rest.split(".")[:2])
    return suite


def _finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _plot_group(group, rows, path):
    """Forest plot: each check's empirical value (point), its confidence interval (black bar)
    and the region that passes (green), all divided by |theoretical|."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.28 * len(rows)), layout="constrained")
    values = []
    lines = []
    for i, r in enumerate(rows):
        scale = abs(r.theoretical) if _finite(r.theoretical) and r.theoretical != 0 else 1.0
        emp = r.empirical / scale if _finite(r.empirical) else math.nan
        ci = tuple(v / scale for v in r.interval) if r.interval else None
        acc = tuple(v / scale for v in r.accept) if r.accept else None
        lines.append((i, r, emp, ci, acc))
        values += [v for v in (emp,) + (ci or ()) + (acc or ()) if math.isfinite(v)]
    values = np.array(values) if values else np.array([1.0])
    positive = bool(np.all(values > 0))
    lo_v, hi_v = float(values.min()), float(values.max())
    if positive:
        left, right = lo_v / 3.0, hi_v * 3.0
    else:
        pad = max(hi_v - lo_v, 1.0) * 0.2
        left, right = lo_v - pad, hi_v + pad
    for i, r, emp, ci, acc in lines:
        if acc is not None:
            a, b = (min(max(v, left), right) for v in acc)
            if a == b:
                ax.plot([a, a], [i - 0.35, i + 0.35], color="tab:green", lw=2.5)
            else:
                ax.plot([a, b], [i, i], color="tab:green", lw=7, alpha=0.25,
                        solid_capstyle="butt")
        if ci is not None:
            a, b = (min(max(v, left), right) for v in ci)
            ax.plot([a, b], [i, i], color="k", lw=1.2)
            for v, end in ((ci[0], a), (ci[1], b)):
                if math.isfinite(v):
                    ax.plot([end, end], [i - 0.2, i + 0.2], color="k", lw=1.2)
        if math.isfinite(emp):
            ok = r.verdict == "PASS"
            ax.plot([emp], [i], marker="o" if ok else "X", ms=5 if ok else 8,
                    color="tab:blue" if ok else "tab:red", ls="none")
    ax.set_xlim(left, right)
    ax.set_xscale("log" if positive else "symlog", **({} if positive else {"linthresh": 1e-2}))
    ax.axvline(1.0, color="0.5", lw=0.6, ls=":")
    ax.set_yticks(range(len(rows)), [_short(r.name, group) for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("value / |theoretical|   (point: empirical; bar: confidence interval; "
                  "green: passes)", fontsize=8)
    failed = sum(r.verdict != "PASS" for r in rows)
    ax.set_title(f"{group}: {len(rows)} checks, {failed} failed", fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _short(name, group):
    label = name[len(group):].lstrip(".:") or name
    return label if len(label) <= 56 else label[:55] + "…"


def _plot_series(row, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = row.series
    curves = s.get("curves") or [s]
    panels = [("x", s.get("xlabel", "iteration"))]
    if all(c.get("bits") is not None for c in curves):
        panels.append(("bits", "bits sent"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (key, label) in zip(axes[0], panels):
        for k, c in enumerate(curves):
            color = colors[k % len(colors)]
            x = np.asarray(c[key], dtype=float)
            y = np.asarray(c["y"], dtype=float)
            ax.plot(x, y, color=color, label=c.get("label", "empirical mean"),
                    marker=c.get("marker"), ls=c.get("ls", "-"))
            if c.get("lo") is not None and c.get("hi") is not None:
                ax.fill_between(x, c["lo"], c["hi"], color=color, alpha=0.25,
                                label=c.get("band", "confidence band") if k == 0 else None)
            if c.get("bound") is not None:
                ax.plot(x, c["bound"], color=color if len(curves) > 1 else "tab:red", ls="--",
                        label=c.get("bound_label", "theoretical bound"))
        if s.get("logy", True):
            ax.set_yscale("log")
        if s.get("logx", False):
            from matplotlib.ticker import NullFormatter
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            xs = np.unique(np.concatenate([np.asarray(c[key], dtype=float) for c in curves]))
            xs = xs[xs > 0]
            if xs.size and xs.max() < 10 * xs.min():   # less than a decade: label the data
                ticks = xs if xs.size <= 8 else np.geomspace(xs.min(), xs.max(), 6)
                ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
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

    def png(prefix, name):
        return os.path.join(directory, prefix + "".join(
            ch if ch.isalnum() or ch in "._-" else "_" for ch in name) + ".png")

    groups = {}
    for r in rows:
        groups.setdefault(group_of(r.name), []).append(r)
    group_plots = {}
    for g, members in groups.items():
        group_plots[g] = png("group_", g)
        _plot_group(g, members, group_plots[g])
    plots = {}
    for r in rows:
        if getattr(r, "series", None):
            plots[r.name] = png("plot_", r.name)
            _plot_series(r, plots[r.name])
    buf = io.StringIO()
    buf.write(f"# theorytools verify report\n\n{len(rows) - failed} passed, {failed} failed.\n\n")
    buf.write("![summary](summary.png)\n\n")
    buf.write("| " + " | ".join(FIELDS[:-1]) + " |\n|" + "---|" * (len(FIELDS) - 1) + "\n")
    for d in dicts:
        buf.write("| " + " | ".join(str(d[f]).replace("|", "/") for f in FIELDS[:-1]) + " |\n")
    for g, p in group_plots.items():
        buf.write(f"\n## {g}\n\n![{g}]({os.path.basename(p)})\n")
        for r in groups[g]:
            if r.name in plots:
                buf.write(f"\n### {r.name}\n\n![{r.name}]({os.path.basename(plots[r.name])})\n")
    with open(paths["md"], "w") as fh:
        fh.write(buf.getvalue())
    rows_html = "".join(
        "<tr class='{}'>".format("fail" if d["verdict"] != "PASS" else "pass")
        + "".join(f"<td>{html.escape(str(d[f]))}</td>" for f in FIELDS) + "</tr>"
        for d in dicts)
    figures = "".join(
        f"<h2>{html.escape(g)}</h2><img src='{_data_uri(p)}'>" + "".join(
            f"<h3>{html.escape(r.name)}</h3><img src='{_data_uri(plots[r.name])}'>"
            for r in groups[g] if r.name in plots)
        for g, p in group_plots.items())
    with open(paths["html"], "w") as fh:
        fh.write("<!doctype html><meta charset='utf-8'><title>theorytools verify</title>"
                 "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;"
                 "font-size:12px}tr.fail{background:#fdd}table{border-collapse:collapse}</style>"
                 f"<h1>theorytools verify</h1><p>{len(rows) - failed} passed, {failed} failed."
                 f"</p><img src='{_data_uri(paths['summary'])}'><table><tr>"
                 + "".join(f"<th>{f}</th>" for f in FIELDS) + "</tr>" + rows_html
                 + "</table>" + figures)
    paths["plots"] = plots
    paths["group_plots"] = group_plots
    return paths
