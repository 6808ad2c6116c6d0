"""``theorytools verify``: run the checks and print a verdict table (exit 0 iff all pass)."""
from __future__ import annotations

import json
import math
import sys

from theorytools.errors import TheorytoolsError


def configure(parser):
    parser.add_argument("--quick", action="store_true",
                        help="smaller dimensions and fewer seeds (a couple of minutes at most)")
    parser.add_argument("--paper", metavar="PAPER",
                        help="only this paper's checks: tang2018, beznosikov2020, "
                             "albasyoni2020, stich2018, or a paper of a theorem plugin")
    parser.add_argument("--check", metavar="NAME", help="only checks whose name contains NAME")
    parser.add_argument("--list", action="store_true", help="list the suites and papers")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, default=0, help="seed (checks use fixed seeds)")
    parser.add_argument("--report", metavar="DIR",
                        help="also write a report (Markdown, HTML, plots, JSON, CSV) into DIR")
    parser.add_argument("--jobs", type=int, default=1,
                        help="run the suites in this many parallel processes")


def _suite_rows(suite, quick, paper, check):
    """One suite's rows, filtered (module level, so a worker process can run it)."""
    from theorytools.verify import SUITES
    rows = SUITES[suite](quick, paper=paper, check=check) if suite == "theorems" \
        else SUITES[suite](quick)
    return [r for r in rows
            if (not paper or r.paper == paper) and (not check or check in r.name)]


def _parallel(args):
    from concurrent.futures import ProcessPoolExecutor

    from theorytools.verify import SUITE_PREFIX, SUITES
    names = [s for s in SUITES if not (args.check and any(
        args.check.startswith(p) for p in SUITE_PREFIX.values())
        and not args.check.startswith(SUITE_PREFIX[s]))]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        parts = list(pool.map(_suite_rows, names, [args.quick] * len(names),
                              [args.paper] * len(names), [args.check] * len(names)))
    return [r for part in parts for r in part]


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf"
        return f"{v:.4g}"
    return str(v)


def run(args):
    from theorytools.verify import PAPERS, SUITES, run_checks

    if args.list:
        print("suites: " + ", ".join(SUITES))
        for key, title in PAPERS.items():
            print(f"  {key}: {title}")
        return 0

    def progress(n, row):
        if not args.json and sys.stderr.isatty():
            sys.stderr.write(f"\r{n} checks ... {row.name[:60]:60s}")
            sys.stderr.flush()

    if args.paper is not None:
        from theorytools.theory import theorems
        known = set(PAPERS) | {t.paper for t in theorems()}
        if args.paper not in known:
            raise TheorytoolsError(f"--paper {args.paper!r}: unknown; known: "
                                   f"{', '.join(sorted(known))}")
    if args.jobs < 1:
        raise TheorytoolsError(f"--jobs must be >= 1, got {args.jobs}")
    if args.jobs > 1:
        rows = _parallel(args)
    else:
        rows = run_checks(quick=args.quick, paper=args.paper, check=args.check,
                          progress=progress)
    if not args.json and sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 80 + "\r")
    if not rows:
        raise TheorytoolsError("no check matches the selection (--paper/--check)")
    failed = [r for r in rows if r.verdict != "PASS"]
    if args.report:
        from theorytools.report import write_report
        paths = write_report(rows, args.report)
        if not args.json:
            print(f"report: {paths['html']} (also report.md, results.json, results.csv)")
    if args.json:
        print(json.dumps({"passed": len(rows) - len(failed), "failed": len(failed),
                          "checks": [r.as_dict() for r in rows]}, indent=1))
    else:
        header = ("check", "theorem / source", "status", "kind", "empirical", "theoretical",
                  "ratio", "verdict")

        def short(text, n=44):
            text = text.replace("spec compression.md ", "spec ")
            return text if len(text) <= n else text[:n - 1] + "…"

        table = [header] + [(r.name, short(f"{r.paper}: {r.theorem}"), r.status, r.kind,
                             _fmt(r.empirical), _fmt(r.theoretical), _fmt(r.ratio), r.verdict)
                            for r in rows]
        widths = [max(len(str(t[i])) for t in table) for i in range(len(header))]
        for t in table:
            print("  ".join(str(c).ljust(w) for c, w in zip(t, widths)).rstrip())
        print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed")
        for r in failed:
            print(f"FAILED {r.name}: {r.details}")
    return 0 if not failed else 1
