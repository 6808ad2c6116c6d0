"""``theorytools verify``: run the checks and print a verdict table (exit 0 iff no check FAILS).

The output, in every format: run metadata; the failures first; a per-paper summary (passed /
vacuous / failed, by status); then the rows. A *vacuous* row passes but its bound is more than
100 times the measurement (``docs/verify.md``, "Reading a verdict"): it is counted apart and
does not change the exit status. Progress goes to stderr, one line per suite (and per theorem)
with counts and an ETA, whether or not stderr is a terminal (``--quiet`` silences it).
"""
from __future__ import annotations

import sys
import time

from theorytools.errors import TheorytoolsError

__all__ = ["NARROW", "WIDE", "configure", "render_text", "run"]


def configure(parser):
    parser.add_argument("--quick", action="store_true",
                        help="smaller dimensions and fewer seeds (about two minutes on two "
                             "cores)")
    parser.add_argument("--paper", metavar="KEY",
                        help="only the checks of this paper: tang2018, beznosikov2020, "
                             "albasyoni2020, stich2018, or the paper of a theorem plugin "
                             "(see --list)")
    parser.add_argument("--check", metavar="NAME",
                        help="only checks whose name contains NAME (checked against the "
                             "known names before anything runs; see --list)")
    parser.add_argument("--list", action="store_true",
                        help="list the papers, the theorems (key, title, statement, source, "
                             "status) and the check names, then exit")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print one strict-JSON object (metadata, summary, checks)")
    out.add_argument("--csv", action="store_true",
                     help="print the rows as CSV (run metadata in run_* columns)")
    out.add_argument("--wide", action="store_true",
                     help="table with the paper, status, source, claim and formula columns")
    out.add_argument("--verbose", action="store_true",
                     help="one block per check: claim, formula, bound, measurement, CI, "
                          "acceptance region, source, status, details")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of the run's random draws, an integer in [0, 2^32) "
                             "(default 0): every check draws with its own seeds derived from S "
                             "and its name; recorded in every output; rows without a random "
                             "draw (exact) say 'seed none'")
    parser.add_argument("--report", metavar="DIR",
                        help="also write a report into DIR: report.html, report.md, "
                             "results.json, results.csv, PNG plots with their data as CSV")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="run the suites and theorems (and draw the report's plots) in N "
                             "parallel processes (default 1)")
    parser.add_argument("--dask", metavar="ADDRESS|local",
                        help="run the suites and theorems on a Dask cluster: a scheduler "
                             "address (tcp://host:8786) or 'local' for a LocalCluster of --jobs "
                             "workers (needs theorytools[dask]); same rows as without")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr")


# --------------------------------------------------------------------------- running
def _tasks(args):
    """The units of work: the suites, with the theorems suite split per theorem."""
    from theorytools.theory import theorems
    from theorytools.verify import _theorem_selected, suites_for

    tasks = []
    for suite in suites_for(args.check):
        if suite == "theorems":
            tasks += [("theorem", th.key) for th in theorems()
                      if _theorem_selected(th.key, args.paper, args.check)]
        else:
            tasks.append(("suite", suite))
    return tasks


def _task_rows(task, quick, paper, check, seed):
    """One unit's rows, filtered (module level, so that a worker process can run it)."""
    from theorytools.verify import suite_rows, theorem_rows
    kind, name = task
    if kind == "suite":
        return suite_rows(name, quick, paper, check, seed)
    rows = theorem_rows(quick, paper=paper, check=check, seed=seed, keys=(name,))
    return [r for r in rows if (not paper or r.paper == paper) and (not check or check in r.name)]


def _weight(task):
    from theorytools.verify import SUITE_SECONDS
    kind, name = task
    return SUITE_SECONDS.get(name, 5.0) if kind == "suite" else 3.0


def _run_tasks(args, tasks, progress):
    results = [None] * len(tasks)
    dask = getattr(args, "dask", None)
    if args.jobs > 1 or dask:
        from concurrent.futures import as_completed

        from theorytools.sweep import open_executor
        with open_executor(jobs=args.jobs, dask=dask) as pool:   # processes, or Dask
            futures = {pool.submit(_task_rows, t, args.quick, args.paper, args.check,
                                   args.seed): i for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                progress.step(_label(tasks[i]), _counts(results[i]))
    else:
        for i, t in enumerate(tasks):
            results[i] = _task_rows(t, args.quick, args.paper, args.check, args.seed)
            progress.step(_label(t), _counts(results[i]))
    return [r for part in results for r in part]


def _label(task):
    kind, name = task
    return f"suite {name}" if kind == "suite" else f"theorem {name}"


def _counts(rows):
    fail = sum(r.verdict != "PASS" for r in rows)
    vac = sum(r.vacuous for r in rows)
    return f"{len(rows)} checks, {len(rows) - fail - vac} passed, {vac} vacuous, {fail} failed"


# --------------------------------------------------------------------------- output
def _table(lines):
    widths = [max(len(str(t[i])) for t in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(t, widths)).rstrip()
                     for t in lines)


NARROW = (("check", "name"), ("bound", "bound"), ("measured", "measured"), ("CI", "ci"),
          ("passes if", "accept"), ("tightness", "tightness"), ("verdict", "verdict"))
WIDE = NARROW + (("paper", "paper"), ("status", "status"), ("source", "source"),
                 ("claim", "claim"), ("formula", "formula"))


def _block(row):
    from theorytools.report import row_cells
    c = row_cells(row)
    return "\n".join([
        f"{row.name}: {c['verdict']}",
        f"  claim:     {c['claim']}",
        f"  formula:   {c['formula']}",
        f"  bound {c['bound']}; measured {c['measured']} (CI {c['ci']}); passes if "
        f"{c['accept']}; tightness {c['tightness']}",
        f"  source:    {c['source']} ({c['status']}; paper {row.paper}; seed {c['seed']})",
        f"  details:   {c['details']}"])


def render_text(rows, metadata, *, wide=False, verbose=False) -> str:
    """The terminal form: metadata line, failures (full blocks), summary, rows."""
    from theorytools.report import row_cells, summary_lines
    from theorytools.verify import order_rows, summarize

    ordered = order_rows(rows)
    failed = [r for r in ordered if r.verdict != "PASS"]
    m = metadata
    out = [f"theorytools verify: {m['toolkit']} (git {m['git_commit'] or 'n/a'}), {m['date']}, "
           f"{m['mode']} mode, seed {m['seed']}; Python {m['python']}, numpy {m['numpy']}, "
           f"numba {m['numba']}; {m['machine']}", ""]
    if failed:
        out += [f"FAILURES ({len(failed)})"] + [_block(r) for r in failed] + [""]
    out += ["SUMMARY"] + summary_lines(summarize(rows)) + [""]
    if verbose:
        out += ["CHECKS"] + [_block(r) for r in ordered]
    else:
        cols = WIDE if wide else NARROW
        out += [_table([tuple(h for h, _ in cols)] + [
            tuple(row_cells(r)[k] for _, k in cols) for r in ordered])]
    fixed = sum(r.seed is None for r in rows)
    if fixed:
        out += ["", f"seed {m['seed']} reached the {len(rows) - fixed} rows that draw at random; "
                    f"{fixed} rows are exact (no random draw: seed 'none' in --verbose)"]
    t = summarize(rows)["total"]
    out += ["", f"{t['passed']} passed, {t['vacuous']} vacuous, {t['failed']} failed"
            + (" (vacuous: the bound is more than 100x the measurement; see --verbose and "
               "docs/verify.md)" if t["vacuous"] else "")]
    return "\n".join(out)


def _list(args):
    from theorytools.commands._common import dumps
    from theorytools.theory import theorems
    from theorytools.theory.registry import STATUS_MEANINGS
    from theorytools.verify import PAPERS, SUITES, VACUOUS_BELOW, check_catalogue

    ths = [{"key": th.key, "paper": th.paper, "title": th.title, "statement": th.statement,
            "source": th.source, "status": th.status} for th in theorems()
           if not args.paper or th.paper == args.paper]
    names = [n for n in check_catalogue(args.quick) if not n.startswith("theorem.")]
    if args.json:
        print(dumps({"suites": list(SUITES), "papers": PAPERS, "statuses": STATUS_MEANINGS,
                     "theorems": ths, "checks": names, "vacuous_below": VACUOUS_BELOW}))
        return 0
    print("suites: " + ", ".join(SUITES))
    print("papers:")
    for key, title in PAPERS.items():
        print(f"  {key}: {title}")
    print("statuses (strongest first):")
    for key, meaning in STATUS_MEANINGS.items():
        print(f"  {key}: {meaning}")
    print(f"\ntheorems ({len(ths)}; their checks are named theorem.<key>.<label>):")
    for th in ths:
        print(f"  {th['key']}  [{th['status']}]  {th['title']}\n"
              f"      statement: {th['statement']}\n      source:    {th['source']}")
    print(f"\nother checks ({len(names)}; the rows add [d=...]):")
    for n in names:
        print(f"  {n}")
    return 0


def run(args):
    from theorytools.commands._common import Progress, csv_text, dumps
    from theorytools.verify import resolve_check, resolve_paper, run_metadata

    if args.jobs < 1:
        raise TheorytoolsError(f"--jobs must be >= 1, got {args.jobs}")
    if not 0 <= args.seed < 2 ** 32:
        raise TheorytoolsError(f"--seed must be an integer in [0, 2^32), got {args.seed}")
    resolve_paper(args.paper)
    if args.list:
        return _list(args)
    resolve_check(args.check, args.quick)   # before anything runs: exit 2 at once if unknown

    tasks = _tasks(args)
    if not tasks:
        raise TheorytoolsError("no check matches the selection (--paper/--check)")
    progress = Progress("verify", len(tasks), enabled=not args.quiet,
                        weights={_label(t): _weight(t) for t in tasks})
    rows = _run_tasks(args, tasks, progress)
    if not rows:
        raise TheorytoolsError("no check matches the selection (--paper/--check)")
    meta = run_metadata(quick=args.quick, seed=args.seed, paper=args.paper, check=args.check,
                        jobs=args.jobs)
    failed = [r for r in rows if r.verdict != "PASS"]
    if args.report:
        from theorytools.report import write_report
        t0 = time.monotonic()
        from theorytools.report import group_of
        plots = 1 + len({group_of(r.name) for r in rows}) + sum(bool(r.series) for r in rows)
        rep = Progress("report", plots, enabled=not args.quiet, every=20)

        def report_step(kind):
            rep.step("plots", f"last drawn: {kind}")

        paths = write_report(rows, args.report, meta, progress=report_step, jobs=args.jobs)
        if not args.quiet:
            sys.stderr.write(f"report written in {time.monotonic() - t0:.0f} s: "
                             f"{paths['html']}\n")
    from theorytools.report import row_record
    from theorytools.verify import order_rows, summarize
    if args.json:
        s = summarize(rows)
        print(dumps({"metadata": meta, "summary": s, "passed": s["total"]["passed"],
                     "vacuous": s["total"]["vacuous"], "failed": s["total"]["failed"],
                     "checks": [r.as_dict() for r in order_rows(rows)]}))
    elif args.csv:
        sys.stdout.write(csv_text([row_record(r, meta) for r in order_rows(rows)]))
    else:
        print(render_text(rows, meta, wide=args.wide, verbose=args.verbose))
        if args.report:
            print(f"report: {paths['html']} (also report.md, results.json, results.csv)")
    return 0 if not failed else 1
