r"""Paper reproductions: the framework behind ``theorytools experiment`` and ``experiments/*.py``.

An experiment is a plain Python script ``experiments/<name>.py`` that imports only the public
API and defines

* ``TITLE`` (one line) and ``PAPER`` (the full reference of the paper it re-enacts);
* ``run(ctx)``, which receives an :class:`Experiment` and, through it, states the scale it runs
  at next to the paper's (:meth:`Experiment.scale`), saves every figure together with the data
  drawn in it (:meth:`Experiment.save_figure`: ``NAME.png`` and ``NAME.csv``), caches long runs
  so that an interrupted experiment resumes (:meth:`Experiment.cached`), reports progress
  (:meth:`Experiment.progress`) and records one verdict per claim of the paper
  (:meth:`Experiment.claim`: reproduced, partially reproduced, not reproduced, with the
  numbers);
* ``if __name__ == "__main__": raise SystemExit(main(run, __file__))`` so that
  ``python experiments/<name>.py --quick --out DIR`` works without the CLI.

:func:`run_experiment` (and ``theorytools experiment NAME [--quick] [--out DIR]``) runs one,
then writes ``summary.md`` (and ``summary.json``): the scale, one line per claim (claim, what
was measured, verdict), the figures, and the run's metadata (toolkit version, git commit,
date, mode, seed, library versions, machine).

Three sizes: ``"full"`` (the default of the CLI; minutes to an hour on 2 cores), ``"quick"``
(every experiment in a few minutes: ``theorytools experiment all --quick``) and ``"tiny"``
(seconds: what the test suite runs to check that each experiment writes its figures, data and
summary; its verdicts are not evidence and the summary says so). :meth:`Experiment.pick`
chooses a size-dependent value.

References
----------
docs/experiments.md (what each figure demonstrates, and how to write an experiment).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import math
import os
import pickle
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from theorytools._files import atomic_open as _atomic
from theorytools.errors import TheorytoolsError

__all__ = ["Claim", "Experiment", "MODES", "VERDICTS", "experiments_dir", "find_experiments",
           "load_experiment", "main", "run_experiment"]

VERDICTS = ("reproduced", "partially reproduced", "not reproduced")
MODES = ("full", "quick", "tiny")
_CACHE_VERSION = 1


@dataclass(frozen=True)
class Claim:
    """One claim of the paper and what this run found.

    ``claim``: the paper's statement in words, with its source (figure, section, theorem);
    ``measured``: what was measured, with the numbers; ``verdict``: one of :data:`VERDICTS`;
    ``figure``: the figure that shows it (file stem) or ``None``.
    """

    claim: str
    measured: str
    verdict: str
    figure: str | None = None


class Experiment:
    r"""The context an experiment's ``run(ctx)`` works through.

    Parameters
    ----------
    name : str
        The experiment's name (its file stem, e.g. ``"tang2018"``).
    out : str or pathlib.Path
        Output directory (created): figures, CSV, ``summary.md``, ``summary.json`` and a
        ``.cache/`` of finished runs.
    mode : {"full", "quick", "tiny"}, optional
        The size to run at.
    seed : int, optional
        Base seed; every random draw of the experiment derives from it.
    resume : bool, optional
        Reuse finished runs from ``out/.cache`` (default); ``False`` recomputes them.
    progress : bool, optional
        Print progress lines (with an ETA) on stderr.
    title, paper : str, optional
        Shown in the summary.

    References
    ----------
    docs/experiments.md.
    """

    def __init__(self, name: str, out, *, mode: str = "full", seed: int = 0,
                 resume: bool = True, progress: bool = True, title: str = "",
                 paper: str = ""):
        from theorytools.errors import check_seed

        if mode not in MODES:
            raise TheorytoolsError(f"mode must be one of {MODES}, got {mode!r}")
        self.name, self.mode, self.seed = name, mode, check_seed(seed)
        self.title, self.paper = title, paper
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.resume, self.show_progress = bool(resume), bool(progress)
        self.claims: list[Claim] = []
        self.figures: list[tuple[str, str]] = []
        self.tables: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.scale_ours: str | None = None
        self.scale_paper: str | None = None
        self.datasets: list[str] = []
        self.cache_hits = 0
        self.cache_misses = 0
        self.started = time.monotonic()

    # ------------------------------------------------------------------ sizes
    @property
    def quick(self) -> bool:
        """True in the ``"quick"`` and ``"tiny"`` modes."""
        return self.mode != "full"

    def pick(self, full, quick, tiny=None):
        """The value for the current mode (``tiny`` defaults to ``quick``)."""
        return {"full": full, "quick": quick, "tiny": quick if tiny is None else tiny}[self.mode]

    # ------------------------------------------------------------------ what is recorded
    def scale(self, ours: str, paper: str) -> None:
        """State the scale this run uses and the paper's (both shown in the summary)."""
        self.scale_ours, self.scale_paper = str(ours), str(paper)

    def dataset(self, text: str) -> None:
        """Name a dataset the experiment uses (and, if it replaces the paper's, say so)."""
        self.datasets.append(str(text))

    def note(self, text: str) -> None:
        """A remark for the summary (a deviation from the paper's protocol, a caveat)."""
        self.notes.append(str(text))

    def claim(self, claim: str, measured: str, verdict: str, *,
              figure: str | None = None) -> Claim:
        """Record one claim of the paper, what was measured, and the verdict.

        ``verdict`` is one of :data:`VERDICTS` (``True`` / ``False`` are accepted for
        "reproduced" / "not reproduced").
        """
        if verdict is True:
            verdict = "reproduced"
        elif verdict is False:
            verdict = "not reproduced"
        if verdict not in VERDICTS:
            raise TheorytoolsError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        if figure is not None and figure not in {f for f, _ in self.figures}:
            raise TheorytoolsError(f"claim {claim!r}: figure {figure!r} was not saved (save it "
                                   "with save_figure before citing it)")
        c = Claim(str(claim), str(measured), verdict, figure)
        self.claims.append(c)
        return c

    # ------------------------------------------------------------------ files
    def path(self, filename: str) -> Path:
        """A path inside the output directory."""
        return self.out / filename

    def save_table(self, name: str, rows: Iterable[dict], caption: str = "") -> Path:
        """Write ``rows`` (dicts with the same keys) as ``NAME.csv``."""
        rows = list(rows)
        if not rows:
            raise TheorytoolsError(f"table {name!r}: no rows")
        path = self.path(f"{_stem(name)}.csv")
        fields = list(rows[0])
        for r in rows[1:]:
            fields += [k for k in r if k not in fields]
        with _atomic(path, "w") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for r in rows:
                w.writerow({k: _cell(r.get(k)) for k in fields})
        self.tables.append((path.stem, caption))
        return path

    def save_figure(self, fig, name: str, data: Iterable[dict], caption: str = "") -> Path:
        """Save a matplotlib figure as ``NAME.png`` and the data drawn in it as ``NAME.csv``.

        ``data``: one dict per plotted point (long format, e.g. ``{"series": "DCD-PSGD 4 bit",
        "epoch": 3, "loss": 0.41}``); a figure without its data is refused. The figure is closed.
        """
        import matplotlib.pyplot as plt

        rows = list(data)
        if not rows:
            raise TheorytoolsError(f"figure {name!r}: the data drawn in it is required (one "
                                   "dict per plotted point)")
        stem = _stem(name)
        png = self.path(f"{stem}.png")
        with _atomic(png, "wb") as fh:
            fig.savefig(fh, dpi=110, bbox_inches="tight", format="png")
        plt.close(fig)
        self.save_table(stem, rows)
        self.tables.pop()                      # listed with its figure, not as a table
        self.figures.append((stem, caption))
        return png

    # ------------------------------------------------------------------ resume
    def cached(self, key: str, compute: Callable[[], Any]):
        """``compute()``, or its result from an earlier run of the same experiment, mode and
        seed (``out/.cache``; written atomically, so an interrupted run resumes where it
        stopped and never reads a partial file). ``key`` names the run uniquely within the
        experiment (e.g. ``"dcd_psgd[bits=4,seed=0]"``); results must be picklable."""
        digest = hashlib.sha256(f"{_CACHE_VERSION}|{self.name}|{self.mode}|{self.seed}|{key}"
                                .encode()).hexdigest()[:20]
        path = self.out / ".cache" / f"{_stem(key)[:60]}-{digest}.pkl"
        if self.resume and path.exists():
            try:
                with open(path, "rb") as fh:
                    stored_key, value = pickle.load(fh)
                if stored_key == key:
                    self.cache_hits += 1
                    return value
            except Exception:  # noqa: BLE001 - a damaged cache entry is recomputed
                pass
        value = compute()
        path.parent.mkdir(exist_ok=True)
        with _atomic(path, "wb") as fh:
            pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.cache_misses += 1
        return value

    def progress(self, total: int, what: str | None = None):
        """A progress reporter: call ``.step(name, detail)`` after each of ``total`` units; one
        line per unit on stderr with counts, elapsed time and an ETA (works in logs, too)."""
        from theorytools.commands._common import Progress

        return Progress(what or self.name, total, enabled=self.show_progress)

    # ------------------------------------------------------------------ summary
    def verdict_counts(self) -> dict:
        """How many claims got each verdict."""
        return {v: sum(c.verdict == v for c in self.claims) for v in VERDICTS}

    def write_summary(self, metadata: dict | None = None) -> Path:
        """Write ``summary.md`` and ``summary.json`` (called by :func:`run_experiment`)."""
        meta = dict(metadata or {})
        meta.setdefault("runtime_s", round(time.monotonic() - self.started, 1))
        meta.setdefault("cache", f"{self.cache_hits} runs reused, {self.cache_misses} computed")
        counts = self.verdict_counts()
        lines = [f"# {self.name}: {self.title}".rstrip(": "), ""]
        if self.paper:
            lines += [f"Paper: {self.paper}", ""]
        if self.mode == "tiny":
            lines += ["**Tiny mode: a smoke run of the pipeline. The verdicts below are not "
                      "evidence; run with `--quick` or at full size.**", ""]
        lines += [f"Mode: **{self.mode}**, seed {self.seed}.", ""]
        if self.scale_ours or self.scale_paper:
            lines += ["## Scale", "", f"- This run: {self.scale_ours or '–'}",
                      f"- The paper: {self.scale_paper or '–'}", ""]
        if self.datasets:
            lines += ["## Data", ""] + [f"- {d}" for d in self.datasets] + [""]
        lines += ["## Claims", "",
                  f"{len(self.claims)} claims: " + ", ".join(f"{n} {v}" for v, n in
                                                             counts.items()), "",
                  "| # | claim | measured | verdict | figure |", "|---|---|---|---|---|"]
        for i, c in enumerate(self.claims, 1):
            fig = f"[{c.figure}]({c.figure}.png)" if c.figure else "–"
            lines.append(f"| {i} | {_md(c.claim)} | {_md(c.measured)} | **{c.verdict}** | "
                         f"{fig} |")
        lines.append("")
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        if self.figures:
            lines += ["## Figures", ""]
            for stem, caption in self.figures:
                lines += [f"### {stem}", "", caption, "", f"![{stem}]({stem}.png)", "",
                          f"Data: [{stem}.csv]({stem}.csv)", ""]
        if self.tables:
            lines += ["## Tables", ""] + [f"- [{s}.csv]({s}.csv){': ' + c if c else ''}"
                                          for s, c in self.tables] + [""]
        lines += ["## Run", ""] + [f"- {k}: {'–' if v is None else v}" for k, v in meta.items()]
        path = self.path("summary.md")
        with _atomic(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        record = {"name": self.name, "title": self.title, "paper": self.paper,
                  "mode": self.mode, "seed": self.seed,
                  "scale": {"ours": self.scale_ours, "paper": self.scale_paper},
                  "datasets": self.datasets, "claims": [asdict(c) for c in self.claims],
                  "counts": counts, "figures": [s for s, _ in self.figures],
                  "tables": [s for s, _ in self.tables], "notes": self.notes, "metadata": meta}
        with _atomic(self.path("summary.json"), "w") as fh:
            json.dump(record, fh, indent=1, default=str)
        return path


# --------------------------------------------------------------------------- discovery
def experiments_dir(directory=None) -> Path:
    """Where the experiment scripts are: ``directory``, else ``$THEORYTOOLS_EXPERIMENTS``, else
    ``experiments/`` next to the installed package (a source checkout)."""
    if directory is None:
        directory = os.environ.get("THEORYTOOLS_EXPERIMENTS")
    if directory is None:
        import theorytools
        directory = Path(theorytools.__file__).resolve().parents[1] / "experiments"
    path = Path(directory)
    if not path.is_dir():
        raise TheorytoolsError(
            f"experiments directory {str(path)!r} not found: the experiments are scripts in the "
            "source checkout (experiments/); pass --dir DIR or set THEORYTOOLS_EXPERIMENTS")
    return path


def find_experiments(directory=None) -> dict:
    """Name -> path of every experiment script (a file defining ``run(ctx)``)."""
    found = {}
    for path in sorted(experiments_dir(directory).glob("*.py")):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^def run\(ctx", text, re.M):
            found[path.stem] = path
    return found


def load_experiment(name: str, directory=None):
    """Import ``experiments/<name>.py`` and return the module (with ``run``, ``TITLE``)."""
    found = find_experiments(directory)
    if name not in found:
        from theorytools.commands._common import did_you_mean
        raise TheorytoolsError(f"unknown experiment {name!r}{did_you_mean(name, found)} "
                               f"(known: {', '.join(found) or 'none'})")
    spec = importlib.util.spec_from_file_location(f"theorytools_experiment_{name}", found[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_experiment(name: str, *, out=None, mode: str = "full", seed: int = 0,
                   resume: bool = True, progress: bool = True, directory=None) -> Experiment:
    """Run one experiment and write its figures, CSV data and ``summary.md`` under ``out``
    (default ``experiment-output/<name>``). Returns the finished :class:`Experiment`."""
    module = load_experiment(name, directory)
    return _run_module(module, name, out=out, mode=mode, seed=seed, resume=resume,
                       progress=progress)


def _run_module(module_or_run, name, *, out=None, mode="full", seed=0, resume=True,
                progress=True):
    import matplotlib
    matplotlib.use("Agg")
    from theorytools.verify import run_metadata

    run = getattr(module_or_run, "run", module_or_run)
    title = getattr(module_or_run, "TITLE", "")
    paper = getattr(module_or_run, "PAPER", "")
    out = Path(out) if out is not None else Path("experiment-output") / name
    ctx = Experiment(name, out, mode=mode, seed=seed, resume=resume, progress=progress,
                     title=title, paper=paper)
    run(ctx)
    if not ctx.claims:
        raise TheorytoolsError(f"experiment {name!r} recorded no claim")
    meta = run_metadata(quick=mode != "full", seed=seed)
    meta["mode"] = mode
    for k in ("paper", "check", "jobs", "vacuous_below"):
        meta.pop(k, None)
    ctx.write_summary(meta)
    return ctx


def main(run: Callable, file: str, argv=None) -> int:
    """Command line of a script run directly: ``python experiments/NAME.py [--quick | --tiny]
    [--out DIR] [--seed S] [--fresh]``; the module's ``TITLE`` / ``PAPER`` are read from the
    caller's globals."""
    name = Path(file).stem
    parser = argparse.ArgumentParser(prog=f"python {file}")
    add_arguments(parser)
    args = parser.parse_args(argv)
    caller = sys.modules.get("__main__")
    ctx = _run_module(caller if getattr(caller, "run", None) is run else run, name,
                      out=args.out, mode=mode_of(args), seed=args.seed,
                      resume=not args.fresh, progress=not args.no_progress)
    print(summary_line(ctx))
    return 0


def add_arguments(parser) -> None:
    """The options shared by ``theorytools experiment`` and a script's own command line."""
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="small sizes: every experiment in a few minutes on 2 cores")
    size.add_argument("--tiny", action="store_true",
                      help="smoke-test sizes (seconds; verdicts are not evidence)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="output directory (default experiment-output/NAME)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--fresh", action="store_true",
                        help="recompute every run instead of resuming from DIR/.cache")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")


def mode_of(args) -> str:
    """``"tiny"``, ``"quick"`` or ``"full"`` from parsed arguments."""
    return "tiny" if args.tiny else ("quick" if args.quick else "full")


def summary_line(ctx: Experiment) -> str:
    """One line: where the summary is and the verdict counts."""
    counts = ", ".join(f"{n} {v}" for v, n in ctx.verdict_counts().items())
    return f"{ctx.name}: {len(ctx.claims)} claims ({counts}); {ctx.path('summary.md')}"


# --------------------------------------------------------------------------- helpers
def _stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._")
    if not stem:
        raise TheorytoolsError(f"name {name!r} gives an empty file name")
    return stem


def _cell(v):
    import numpy as np

    if isinstance(v, np.generic):         # numpy scalars as plain numbers, not np.float64(...)
        v = v.item()
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    return "" if v is None else v


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
