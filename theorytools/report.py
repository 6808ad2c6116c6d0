"""Verification reports a reader can follow: terminal text, Markdown, HTML, CSV and JSON.

``write_report(rows, directory, metadata=...)`` writes

* ``results.json`` (strict JSON: run metadata, summary, every row) and ``results.csv`` (one
  line per row, the run metadata in ``run_*`` columns);
* ``summary.png`` -- the tightness of every check by paper (log scale, clipped to
  ``[1e-6, 1e2]`` with the clipped points drawn as triangles at the edge, so one outlier does
  not squash the rest; the vacuous region shaded);
* one PNG per group of checks (a compressor, a proof module, a theorem; :func:`group_of`):
  every check of the group on one line, its empirical value with its confidence interval
  against the region that passes, both divided by |theoretical| so that 1 is the theorem's
  value; the plotted numbers in a CSV of the same name;
* one PNG per check that carries a ``series`` (curves against iterations and, where recorded,
  against bits sent: the empirical mean with its confidence band and the bound's envelope;
  ``series["curves"]`` may hold several such curves), with the curves in a CSV of the same
  name;
* ``report.md`` and ``report.html``: run metadata, the failures first, a per-paper summary
  (passed / vacuous / failed, by status), then one section per theorem (group) with its
  claim, formula, source, status, plots and rows. The HTML has a table of contents and links
  the PNGs next to it (keep the directory together).

Every row shows: the claim in words and as a formula, the bound's value, the measurement with
its confidence interval, the acceptance region, the tightness, the verdict in words, the
source and the status (:func:`row_cells`). Numbers are printed by :func:`fmt_number`.
"""
from __future__ import annotations

import csv
import dataclasses
import html
import io
import math
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["FIELDS", "MAX_POINTS", "MD_COLUMNS", "SUMMARY_RANGE", "Curve", "Series",
           "fmt_accept", "fmt_interval", "fmt_number", "group_of", "metadata_lines",
           "row_cells", "row_record", "summary_lines", "thin", "write_report"]

#: CSV/JSON columns of a row, in order
FIELDS = ("name", "paper", "claim", "formula", "kind", "theoretical", "empirical",
          "ci_low", "ci_high", "accept_low", "accept_high", "tightness", "vacuous", "verdict",
          "assessment", "theorem", "status", "seed", "ratio", "details")

#: the summary plot's x range (tightness), points outside are drawn at the edge
SUMMARY_RANGE = (1e-6, 1e2)


# --------------------------------------------------------------------------- series
#: curves handed to the report are thinned to at most this many points (:func:`thin`)
MAX_POINTS = 200


def thin(size: int, points: int = MAX_POINTS, *, log: bool = False) -> np.ndarray:
    """At most ``points`` indices into ``range(size)``, always with the first and the last
    (log-spaced when the curve is drawn on a log x-axis): the one thinning rule of the
    report's curves. ``thin(T + 1)`` thins the iterations 0..T.

    Parameters
    ----------
    size : int
        Length of the curve.
    points : int, optional
        Largest number of indices kept (default :data:`MAX_POINTS`).
    log : bool, optional
        Log-spaced indices (``geomspace(1, size) - 1``) instead of evenly spaced ones.

    Returns
    -------
    numpy.ndarray
        Sorted unique int64 indices.
    """
    if size <= points:
        return np.arange(size, dtype=np.int64)
    grid = (np.geomspace(1, size, points) - 1) if log else np.linspace(0, size - 1, points)
    return np.unique(np.concatenate([[0, size - 1], np.round(grid).astype(np.int64)]))


def _array(v):
    return None if v is None else np.asarray(v)


@dataclass(eq=False)   # arrays: compare the fields yourself
class Curve:
    """One curve of a :class:`Series`: values ``y`` at ``x``, optionally with a confidence
    band ``[lo, hi]`` (its name in ``band``), the theorem's envelope or exact value ``bound``
    (its name in ``bound_label``) and the cumulative ``bits`` per node at each x (a second
    panel against bits sent is drawn when every curve has them).

    ``kind``: ``"mean"`` (a mean over seed replicates, with its band), ``"exact"`` (an exact
    computation) or ``"measured"`` (one measured value per x); ``marker``/``ls``: matplotlib
    marker and line style (``ls=""`` for points only)."""

    x: np.ndarray
    y: np.ndarray
    label: str = "empirical mean"
    kind: str = "measured"
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    band: str | None = None
    bound: np.ndarray | None = None
    bound_label: str | None = None
    bits: np.ndarray | None = None
    marker: str | None = None
    ls: str = "-"

    KINDS = ("mean", "exact", "measured")

    def __post_init__(self):
        from theorytools.errors import TheorytoolsError
        if self.kind not in self.KINDS:
            raise TheorytoolsError(f"Curve kind must be one of {self.KINDS}, got {self.kind!r}")
        self.x, self.y = np.asarray(self.x), np.asarray(self.y)
        self.lo, self.hi = _array(self.lo), _array(self.hi)
        self.bound, self.bits = _array(self.bound), _array(self.bits)

    @classmethod
    def of_replicates(cls, x, Y, *, label: str, bound=None, bits=None,
                      bound_label: str | None = None, log: bool = False,
                      geometric: bool = False, level: float = 0.95,
                      points: int = MAX_POINTS) -> "Curve":
        """The mean of the replicate rows ``Y`` (seeds x points) over ``x`` with its Student-t
        band (:func:`theorytools.check.t_band`; none for one row: an exact curve), the
        envelope ``bound`` and the ``bits``, thinned by :func:`thin` (log-spaced if ``log``).
        ``geometric``: geometric mean and band (log space), for curves on log scales."""
        from theorytools.check import t_band

        x = np.asarray(x, dtype=float)
        idx = thin(x.size, points, log=log)
        b = t_band(Y, level, geometric=geometric)
        out = cls(x[idx], b.mean[idx], label,
                  kind="mean" if b.lo is not None else "exact")
        if b.lo is not None:
            out.lo, out.hi = b.lo[idx], b.hi[idx]
            out.band = (f"{level:.0%} Student-t band{' (log scale)' if b.geometric else ''} "
                        f"over {np.atleast_2d(Y).shape[0]} seeds")
        if bound is not None:
            out.bound = np.broadcast_to(np.asarray(bound, dtype=float), x.shape)[idx]
            out.bound_label = bound_label
        if bits is not None:
            out.bits = np.asarray(bits, dtype=float)[idx]
        return out

    def replace(self, **changes) -> "Curve":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(eq=False)   # arrays: compare the fields yourself
class Series:
    """The curves behind one check, for the report (:func:`write_report` draws them against
    x and, when every curve has ``bits``, against bits sent; their numbers go to a CSV next to
    the PNG).

    ``xlabel``/``ylabel`` name the axes with their units (e.g. ``"iteration t"``,
    ``"||x_bar_t - x*||^2"``); ``logx``/``logy`` the scales; ``source`` where the data come
    from (a simulator, an exact recursion, ...; optional). A check carries it in
    ``Check.extra["series"]`` (see :meth:`attach`)."""

    curves: list
    xlabel: str = "iteration"
    ylabel: str = "value"
    logx: bool = False
    logy: bool = True
    source: str = ""

    def __post_init__(self):
        from theorytools.errors import TheorytoolsError
        self.curves = [self.curves] if isinstance(self.curves, Curve) else list(self.curves)
        if not self.curves or not all(isinstance(c, Curve) for c in self.curves):
            raise TheorytoolsError("Series.curves must be one or more Curve objects, got "
                                   f"{self.curves!r:.80}")

    def attach(self, result):
        """Put this series on a check result (``result.extra["series"]``); returns it."""
        result.extra["series"] = self
        return result

    def replace(self, **changes) -> "Series":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def coerce(cls, obj) -> "Series":
        """A :class:`Series` from a Series or from the older dict form (``{"x", "y", ...,
        "xlabel", ...}`` or ``{"curves": [...], "xlabel": ...}``, still accepted from
        plugins)."""
        if isinstance(obj, Series):
            return obj
        if isinstance(obj, Curve):
            return cls([obj])
        axis = {k: obj[k] for k in ("xlabel", "ylabel", "logx", "logy", "source") if k in obj}
        names = {f.name for f in dataclasses.fields(Curve)}
        raw = obj.get("curves") or [obj]
        curves = [Curve(**{k: v for k, v in c.items() if k in names and v is not None})
                  for c in raw]
        return cls(curves, **axis)


# --------------------------------------------------------------------------- numbers
def fmt_number(v, digits: int = 4) -> str:
    """A number as a reader wants it: integers below 10^6 as integers (``15.000000000000002``
    -> ``15``), otherwise ``digits`` significant digits (``8.606e7``); ``inf`` as ``∞``;
    missing (None, NaN) as ``–``."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    r = float(f"{v:.{digits}g}")
    if r == int(r) and abs(r) < 1e6 and (abs(r) >= 1 or r == 0):
        return str(int(r))
    text = f"{r:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def fmt_interval(interval) -> str:
    """A confidence interval as ``[low, high]`` (:func:`fmt_number`), ``exact`` for None."""
    if interval is None:
        return "exact"
    lo, hi = interval
    return f"[{fmt_number(lo)}, {fmt_number(hi)}]"


def fmt_accept(accept) -> str:
    """The acceptance region as ``≤ b``, ``≥ b``, ``= b`` or ``[a, b]``."""
    if accept is None:
        return "–"
    lo, hi = (float(v) for v in accept)
    if lo == hi:
        return f"= {fmt_number(lo)}"
    if math.isinf(lo) and lo < 0 and math.isfinite(hi):
        return f"≤ {fmt_number(hi)}"
    if math.isinf(hi) and hi > 0 and math.isfinite(lo):
        return f"≥ {fmt_number(lo)}"
    return f"[{fmt_number(lo)}, {fmt_number(hi)}]"


def row_cells(row) -> dict:
    """The display strings of a row (terminal, Markdown, HTML)."""
    return {
        "name": row.name, "paper": row.paper, "claim": row.claim or "–",
        "formula": row.formula or "–", "kind": row.kind,
        "bound": fmt_number(row.theoretical),
        "measured": fmt_number(row.empirical),
        "ci": fmt_interval(row.interval),
        "accept": fmt_accept(row.accept),
        "tightness": fmt_number(row.tightness, 3),
        "verdict": row.assessment, "outcome": row.status_label,
        "source": row.theorem or "–", "status": row.status,
        "seed": "none (exact)" if row.seed is None else str(row.seed),
        "details": row.details,
    }


def row_record(row, metadata=None) -> dict:
    """One CSV line: :data:`FIELDS` plus the run metadata as ``run_*`` columns."""
    d = row.as_dict()
    ci = d.get("interval") or [d["empirical"], d["empirical"]]
    acc = d.get("accept") or [None, None]
    rec = {k: d.get(k) for k in FIELDS}
    rec.update(ci_low=ci[0], ci_high=ci[1], accept_low=acc[0], accept_high=acc[1])
    if row.interval is not None:  # one-sided intervals: keep the infinite end readable
        rec["ci_low"], rec["ci_high"] = (_csv_float(v) for v in row.interval)
    if row.accept is not None:
        rec["accept_low"], rec["accept_high"] = (_csv_float(v) for v in row.accept)
    for k, v in (metadata or {}).items():
        rec[f"run_{k}"] = v
    return rec


def _csv_float(v):
    v = float(v)
    if math.isnan(v):
        return None
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


# --------------------------------------------------------------------------- grouping
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


def _safe(name):
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


# --------------------------------------------------------------------------- plots
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _plot_summary(rows, path):
    """Tightness of every check, one line per paper, log scale clipped to SUMMARY_RANGE."""
    plt = _plt()
    papers = sorted({r.paper for r in rows})
    lo_x, hi_x = SUMMARY_RANGE
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.5 * len(papers)))
    ax.axvspan(lo_x / 3, 1e-2, color="0.9", zorder=0)
    ax.text(math.sqrt(lo_x / 3 * 1e-2), len(papers) - 0.45, "vacuous (< 1e-2)", fontsize=7,
            ha="center", va="bottom", color="0.35")
    labels_done = set()
    for k, paper in enumerate(papers):
        mine = [r for r in rows if r.paper == paper]
        t = np.array([r.tightness if _finite(r.tightness) and r.tightness > 0 else np.nan
                      for r in mine])
        jitter = ((np.arange(len(mine)) * 0.618) % 1 - 0.5) * 0.5
        for outcome, color, marker in (("PASS", "tab:blue", "o"), ("VACUOUS", "0.45", "o"),
                                       ("FAIL", "tab:red", "X")):
            sel = np.array([r.status_label == outcome for r in mine]) & np.isfinite(t)
            if not sel.any():
                continue
            x = t[sel]
            inside = (x >= lo_x) & (x <= hi_x)
            lab = outcome.lower() if outcome not in labels_done else None
            labels_done.add(outcome)
            ax.scatter(x[inside], k + jitter[sel][inside], s=14 if outcome != "FAIL" else 40,
                       color=color, marker=marker, alpha=0.7, label=lab, zorder=3)
            for edge, m in ((x < lo_x, "<"), (x > hi_x, ">")):
                if edge.any():
                    ax.scatter(np.full(edge.sum(), lo_x if m == "<" else hi_x),
                               k + jitter[sel][edge], s=30, color=color, marker=m, zorder=3)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    _no_minor(ax.xaxis)
    ax.set_xlim(lo_x / 3, hi_x * 3)
    ax.set_ylim(-0.6, len(papers) - 0.2)
    ax.set_yticks(range(len(papers)), [f"{p} ({sum(r.paper == p for r in rows)})"
                                       for p in papers])
    ax.set_xlabel("tightness (measured/bound for a one-sided bound, else measured/theoretical; "
                  "1 = attained; ◀ ▶ clipped)", fontsize=8)
    failed = sum(r.status_label == "FAIL" for r in rows)
    vac = sum(r.status_label == "VACUOUS" for r in rows)
    ax.set_title(f"{len(rows)} checks: {len(rows) - failed - vac} passed, {vac} vacuous, "
                 f"{failed} failed", fontsize=10)
    if ax.get_legend_handles_labels()[0]:   # a summary with no labelled points has no legend
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _group_lines(rows):
    lines, values = [], []
    for i, r in enumerate(rows):
        scale = abs(r.theoretical) if _finite(r.theoretical) and r.theoretical != 0 else 1.0
        emp = r.empirical / scale if _finite(r.empirical) else math.nan
        ci = tuple(v / scale for v in r.interval) if r.interval else None
        acc = tuple(v / scale for v in r.accept) if r.accept else None
        lines.append((i, r, emp, ci, acc, scale))
        values += [v for v in (emp,) + (ci or ()) + (acc or ()) if math.isfinite(v)]
    return lines, values


def _plot_group(group, rows, path):
    """Forest plot: each check's empirical value (point), its confidence interval (black bar)
    and the region that passes (green), all divided by |theoretical|. The plotted numbers go
    to a CSV of the same name."""
    plt = _plt()
    lines, values = _group_lines(rows)
    with open(os.path.splitext(path)[0] + ".csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["check", "scale_theoretical", "empirical_scaled", "ci_low_scaled",
                    "ci_high_scaled", "accept_low_scaled", "accept_high_scaled", "outcome"])
        for i, r, emp, ci, acc, scale in lines:
            w.writerow([r.name, scale, emp] + list(ci or ("", "")) + list(acc or ("", ""))
                       + [r.status_label])
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.25 * len(rows)))
    values = np.array(values) if values else np.array([1.0])
    positive = bool(np.all(values > 0))
    lo_v, hi_v = float(values.min()), float(values.max())
    if positive:
        left, right = lo_v / 3.0, hi_v * 3.0
    else:
        pad = max(hi_v - lo_v, 1.0) * 0.2
        left, right = lo_v - pad, hi_v + pad
    for i, r, emp, ci, acc, _ in lines:
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
            outcome = r.status_label
            ax.plot([emp], [i], marker="X" if outcome == "FAIL" else "o",
                    ms=8 if outcome == "FAIL" else 5, ls="none",
                    color={"PASS": "tab:blue", "VACUOUS": "0.45", "FAIL": "tab:red"}[outcome])
    ax.set_xlim(left, right)
    ax.set_xscale("log" if positive else "symlog", **({} if positive else {"linthresh": 1e-2}))
    _no_minor(ax.xaxis)
    ax.axvline(1.0, color="0.5", lw=0.6, ls=":")
    ax.set_yticks(range(len(rows)), [_short(r.name, group) for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("value / |theoretical|   (point: empirical, grey = vacuous; bar: confidence "
                  "interval; green: passes)", fontsize=8)
    failed = sum(r.verdict != "PASS" for r in rows)
    ax.set_title(f"{group}: {len(rows)} checks, {failed} failed", fontsize=10)
    fig.subplots_adjust(left=0.3, right=0.98, top=1 - 0.35 / (1.0 + 0.25 * len(rows)),
                        bottom=0.55 / (1.0 + 0.25 * len(rows)))
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _short(name, group):
    label = name[len(group):].lstrip(".:") or name
    return label if len(label) <= 56 else label[:55] + "…"


def _series_csv(row, path):
    """The curves behind a series plot: one line per (curve, point)."""
    s = Series.coerce(row.series)
    keys = ("x", "y", "lo", "hi", "bound", "bits")
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["curve"] + list(keys))
        for c in s.curves:
            n = len(np.atleast_1d(c.y))
            cols = [np.broadcast_to(np.asarray(getattr(c, k), dtype=float), (n,))
                    if getattr(c, k) is not None else [""] * n for k in keys]
            for j in range(n):
                w.writerow([c.label] + [
                    ("" if isinstance(col[j], str) else repr(float(col[j]))) for col in cols])


def _plot_series(row, path):
    plt = _plt()
    s = Series.coerce(row.series)
    curves = s.curves
    panels = [("x", s.xlabel)]
    if all(c.bits is not None for c in curves):
        panels.append(("bits", "bits sent"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (key, label) in zip(axes[0], panels):
        for k, c in enumerate(curves):
            color = colors[k % len(colors)]
            x = np.asarray(getattr(c, key), dtype=float)
            y = np.asarray(c.y, dtype=float)
            ax.plot(x, y, color=color, label=c.label, marker=c.marker, ls=c.ls)
            if c.lo is not None and c.hi is not None:
                ax.fill_between(x, c.lo, c.hi, color=color, alpha=0.25,
                                label=(c.band or "confidence band") if k == 0 else None)
            if c.bound is not None:
                ax.plot(x, c.bound, color=color if len(curves) > 1 else "tab:red", ls="--",
                        label=c.bound_label or "theoretical bound")
        if s.logy:
            ax.set_yscale("log")
            _no_minor(ax.yaxis)
        if s.logx:
            ax.set_xscale("log")
            _no_minor(ax.xaxis)
            xs = np.unique(np.concatenate([np.asarray(getattr(c, key), dtype=float)
                                           for c in curves]))
            xs = xs[xs > 0]
            if xs.size and xs.max() < 10 * xs.min():   # less than a decade: label the data
                ticks = xs if xs.size <= 8 else np.geomspace(xs.min(), xs.max(), 6)
                ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
        ax.set_xlabel(label)
        ax.set_ylabel(s.ylabel)
        ax.legend(fontsize=8)
    fig.suptitle(f"{row.name}: {row.assessment}", fontsize=10)
    # fixed margins: tight_layout would lay out (and so format) every tick twice, half the
    # time of a report
    fig.subplots_adjust(left=0.09 if len(panels) > 1 else 0.16, right=0.98, top=0.88,
                        bottom=0.13, wspace=0.25)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _no_minor(axis):
    """No minor ticks on a log axis: matplotlib builds and formats each of them (hundreds per
    figure), which was most of a report's time."""
    from matplotlib.ticker import NullLocator
    axis.set_minor_locator(NullLocator())


def _plot_job(job):
    """One plot (module level, so that a process pool can run it)."""
    kind, args = job
    {"summary": _plot_summary, "group": _plot_group, "series": _plot_series}[kind](*args)
    return kind


# --------------------------------------------------------------------------- text
def summary_lines(summary) -> list:
    """The per-paper summary as text lines."""
    out = []
    t = summary["total"]
    out.append(f"{t['checks']} checks: {t['passed']} passed, {t['vacuous']} vacuous "
               f"(pass but bound > 100 x measured: not evidence), {t['failed']} failed")
    for p, c in summary["papers"].items():
        status = ", ".join(f"{k} {v}" for k, v in sorted(c["by_status"].items()))
        out.append(f"  {p:15s} {c['checks']:4d} checks: {c['passed']} passed, {c['vacuous']} "
                   f"vacuous, {c['failed']} failed; by status: {status}")
    return out


def metadata_lines(meta) -> list:
    """The run metadata as ``key: value`` lines."""
    return [f"{k}: {fmt_number(v) if isinstance(v, float) else ('–' if v is None else v)}"
            for k, v in meta.items()]


def _md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


MD_COLUMNS = (("check", "name"), ("bound", "bound"), ("measured", "measured"),
              ("CI", "ci"), ("passes if", "accept"), ("tightness", "tightness"),
              ("verdict", "verdict"))


def _md_row_table(rows, group=None):
    head = "| " + " | ".join(h for h, _ in MD_COLUMNS) + " |\n|" + "---|" * len(MD_COLUMNS) + "\n"
    body = ""
    for r in rows:
        c = row_cells(r)
        if group:
            c["name"] = _short(r.name, group)
        c["verdict"] = ("**FAILS**" if r.verdict != "PASS" else c["verdict"])
        body += "| " + " | ".join(_md_escape(c[k]) for _, k in MD_COLUMNS) + " |\n"
    return head + body


def _md_full_row(r) -> str:
    c = row_cells(r)
    return (f"- **{_md_escape(r.name)}** — {c['verdict']}\n"
            f"  - claim: {c['claim']}\n  - formula: `{c['formula']}`\n"
            f"  - bound {c['bound']}, measured {c['measured']} (CI {c['ci']}), passes if "
            f"{c['accept']}, tightness {c['tightness']}\n"
            f"  - source: {c['source']} ({c['status']}); paper {r.paper}; seed {c['seed']}\n"
            f"  - details: {_md_escape(c['details'])}\n")


def _sections(rows):
    """[(paper, [(group, rows)])] in paper order, groups in run order."""
    from theorytools.verify import PAPERS

    groups = {}
    for r in rows:
        groups.setdefault(group_of(r.name), []).append(r)
    by_paper = {}
    for g, members in groups.items():
        by_paper.setdefault(members[0].paper, []).append((g, members))
    order = sorted(by_paper, key=lambda p: (list(PAPERS).index(p) if p in PAPERS else 99, p))
    return [(p, by_paper[p]) for p in order]


def _group_header(members):
    """(claim, formula, source, status) common to a group (first row's; the rows say more)."""
    r = members[0]
    if r.name.startswith("theorem."):
        return r.claim, r.formula, r.theorem, r.status
    return None


def _anchor(text):
    return "s-" + _safe(text).replace(".", "-")


# --------------------------------------------------------------------------- write
def write_report(rows, directory: str, metadata: dict | None = None, *, progress=None,
                 jobs: int = 1) -> dict:
    """Write the report files into ``directory`` (created); returns their paths.

    ``progress(unit)`` is called after each plot; ``jobs > 1`` draws the plots in that many
    processes."""
    from theorytools.commands._common import dumps
    from theorytools.verify import order_rows, summarize

    os.makedirs(directory, exist_ok=True)
    metadata = dict(metadata or {})
    paths = {k: os.path.join(directory, f) for k, f in (
        ("json", "results.json"), ("csv", "results.csv"), ("summary", "summary.png"),
        ("md", "report.md"), ("html", "report.html"))}
    rows = list(rows)
    ordered = order_rows(rows)
    summary = summarize(rows)
    with open(paths["json"], "w", encoding="utf-8") as fh:
        fh.write(dumps({"metadata": metadata, "summary": summary,
                        "passed": summary["total"]["passed"],
                        "vacuous": summary["total"]["vacuous"],
                        "failed": summary["total"]["failed"],
                        "checks": [r.as_dict() for r in ordered]}))
    records = [row_record(r, metadata) for r in ordered]
    with open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(records[0]) if records else list(FIELDS),
                           extrasaction="ignore")
        w.writeheader()
        for rec in records:
            w.writerow({k: ("" if v is None else v) for k, v in rec.items()})

    def png(prefix, name):
        return os.path.join(directory, prefix + _safe(name) + ".png")

    sections = _sections(rows)
    jobs_list = [("summary", (rows, paths["summary"]))]
    group_plots, plots = {}, {}
    for _, groups in sections:
        for g, members in groups:
            group_plots[g] = png("group_", g)
            jobs_list.append(("group", (g, members, group_plots[g])))
            for r in members:
                if getattr(r, "series", None):
                    plots[r.name] = png("plot_", r.name)
                    _series_csv(r, plots[r.name][:-4] + ".csv")
                    jobs_list.append(("series", (r, plots[r.name])))
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for kind in pool.map(_plot_job, jobs_list, chunksize=4):
                if progress:
                    progress(kind)
    else:
        for job in jobs_list:
            _plot_job(job)
            if progress:
                progress(job[0])

    _write_markdown(paths["md"], ordered, sections, summary, metadata, group_plots, plots)
    _write_html(paths["html"], ordered, sections, summary, metadata, group_plots, plots)
    paths["plots"] = plots
    paths["group_plots"] = group_plots
    return paths


def _write_markdown(path, ordered, sections, summary, metadata, group_plots, plots):
    failed = [r for r in ordered if r.verdict != "PASS"]
    buf = io.StringIO()
    buf.write("# theorytools verify report\n\n")
    buf.write("\n".join(f"- {line}" for line in metadata_lines(metadata)) + "\n\n")
    buf.write("## Failures\n\n")
    buf.write("".join(_md_full_row(r) for r in failed) if failed else "None.\n")
    buf.write("\n## Summary\n\n")
    t = summary["total"]
    buf.write(f"{t['checks']} checks: {t['passed']} passed, {t['vacuous']} vacuous (pass, but "
              f"the bound is more than 100 × the measurement: not evidence), {t['failed']} "
              "failed.\n\n| paper | checks | passed | vacuous | failed | by status |\n"
              "|---|---|---|---|---|---|\n")
    for p, c in summary["papers"].items():
        status = ", ".join(f"{k} {v}" for k, v in sorted(c["by_status"].items()))
        buf.write(f"| {p} | {c['checks']} | {c['passed']} | {c['vacuous']} | {c['failed']} | "
                  f"{status} |\n")
    buf.write("\n![summary](summary.png)\n\n## Checks\n")
    for paper, groups in sections:
        buf.write(f"\n### {paper}\n")
        for g, members in groups:
            buf.write(f"\n#### {g}\n\n")
            head = _group_header(members)
            if head:
                claim, formula, source, status = head
                buf.write(f"{claim}\n\n`{formula}`\n\nSource: {source} ({status}).\n\n")
            buf.write(f"![{g}]({os.path.basename(group_plots[g])}) "
                      f"([data]({os.path.basename(group_plots[g])[:-4]}.csv))\n\n")
            buf.write(_md_row_table(members, g))
            for r in members:
                if not head:
                    pass
                if r.name in plots:
                    base = os.path.basename(plots[r.name])
                    buf.write(f"\n![{r.name}]({base}) ([curves]({base[:-4]}.csv))\n")
            if not head:
                buf.write("\n<details><summary>claims and sources</summary>\n\n")
                buf.write("".join(_md_full_row(r) for r in members))
                buf.write("\n</details>\n")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:auto;padding:0 1em}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;vertical-align:top}"
        "table{border-collapse:collapse;margin:.5em 0}tr.FAIL{background:#fdd}"
        "tr.VACUOUS{background:#eee;color:#555}code{background:#f4f4f4}"
        "img{max-width:100%}nav li{font-size:13px}.meta td{border:none}"
        "details{margin:.3em 0}")
_HTML_COLUMNS = (("check", "name"), ("claim", "claim"), ("formula", "formula"),
                 ("bound", "bound"), ("measured", "measured"), ("CI", "ci"),
                 ("passes if", "accept"), ("tightness", "tightness"), ("verdict", "verdict"),
                 ("source", "source"), ("status", "status"))


def _html_rows(rows, group=None, compact=False):
    """A table of rows; ``compact``: without the claim/formula/source/status columns (a
    theorem's section states them once above its table)."""
    e = html.escape
    columns = [c for c in _HTML_COLUMNS
               if not compact or c[1] not in ("claim", "formula", "source", "status")]
    out = "<table><tr>" + "".join(f"<th>{h}</th>" for h, _ in columns) + "</tr>"
    for r in rows:
        c = row_cells(r)
        if group:
            c["name"] = _short(r.name, group)
        out += (f"<tr class='{r.status_label}' title='{e(c['details'])}'>"
                + "".join(f"<td>{'<code>' + e(c[k]) + '</code>' if k == 'formula' else e(c[k])}"
                          "</td>" for _, k in columns) + "</tr>")
    return out + "</table>"


def _write_html(path, ordered, sections, summary, metadata, group_plots, plots):
    e = html.escape
    failed = [r for r in ordered if r.verdict != "PASS"]
    t = summary["total"]
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width'>"
             f"<title>theorytools verify report</title><style>{_CSS}</style></head><body>",
             "<h1>theorytools verify report</h1><table class='meta'>"
             + "".join(f"<tr><td>{e(k)}</td><td>{e('–' if v is None else str(v))}</td></tr>"
                       for k, v in metadata.items()) + "</table>"
             "<p>Data: <a href='results.json'>results.json</a> (strict JSON), "
             "<a href='results.csv'>results.csv</a>, <a href='report.md'>report.md</a>; "
             "each plot's numbers in the CSV next to it.</p>"]
    toc = ["<li><a href='#failures'>Failures</a> (" + str(len(failed)) + ")</li>",
           "<li><a href='#summary'>Summary</a></li>"]
    for paper, groups in sections:
        toc.append(f"<li>{e(paper)}<ul>" + "".join(
            f"<li><a href='#{_anchor(g)}'>{e(g)}</a> ({len(m)} checks"
            + (f", <b>{sum(r.verdict != 'PASS' for r in m)} failed</b>"
               if any(r.verdict != "PASS" for r in m) else "")
            + (f", {sum(r.vacuous for r in m)} vacuous" if any(r.vacuous for r in m) else "")
            + ")</li>" for g, m in groups) + "</ul></li>")
    parts.append("<nav><h2>Contents</h2><ul>" + "".join(toc) + "</ul></nav>")
    parts.append("<h2 id='failures'>Failures</h2>"
                 + (_html_rows(failed) + "<ul>" + "".join(
                     f"<li><b>{e(r.name)}</b>: {e(r.details)}</li>" for r in failed) + "</ul>"
                    if failed else "<p>None.</p>"))
    parts.append(f"<h2 id='summary'>Summary</h2><p>{t['checks']} checks: {t['passed']} passed, "
                 f"{t['vacuous']} vacuous (pass, but the bound is more than 100 × the "
                 f"measurement: not evidence), {t['failed']} failed.</p><table><tr><th>paper"
                 "</th><th>checks</th><th>passed</th><th>vacuous</th><th>failed</th>"
                 "<th>by status</th></tr>" + "".join(
                     f"<tr><td>{e(p)}</td><td>{c['checks']}</td><td>{c['passed']}</td>"
                     f"<td>{c['vacuous']}</td><td>{c['failed']}</td><td>"
                     + e(", ".join(f"{k} {v}" for k, v in sorted(c["by_status"].items())))
                     + "</td></tr>" for p, c in summary["papers"].items())
                 + "</table><img src='summary.png' alt='tightness of every check'>")
    for paper, groups in sections:
        parts.append(f"<h2>{e(paper)}</h2>")
        for g, members in groups:
            parts.append(f"<section id='{_anchor(g)}'><h3>{e(g)}</h3>")
            head = _group_header(members)
            if head:
                claim, formula, source, status = head
                parts.append(f"<p>{e(claim)}</p><p><code>{e(formula)}</code></p>"
                             f"<p>Source: {e(source)} ({e(status)}).</p>")
            base = os.path.basename(group_plots[g])
            parts.append(f"<img loading='lazy' src='{e(base)}' alt='{e(g)}'> "
                         f"<a href='{e(base[:-4])}.csv'>data</a>")
            parts.append(_html_rows(members, g, compact=bool(head)))
            parts.append("<details><summary>details of each check</summary><ul>" + "".join(
                f"<li><b>{e(r.name)}</b> (seed {e(row_cells(r)['seed'])}): {e(r.details)}</li>"
                for r in members) + "</ul></details>")
            for r in members:
                if r.name in plots:
                    pb = os.path.basename(plots[r.name])
                    parts.append(f"<h4>{e(r.name)}</h4><img loading='lazy' src='{e(pb)}' "
                                 f"alt='{e(r.name)}'> <a href='{e(pb[:-4])}.csv'>curves</a>")
            parts.append("</section>")
    parts.append("</body></html>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(parts))
