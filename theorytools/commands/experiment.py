"""``theorytools experiment NAME [--quick | --tiny] [--out DIR]``: re-enact a paper's experiments.

``NAME`` is an experiment script ``experiments/NAME.py`` (``--list`` lists them) or ``all``.
Each writes PNG figures, their data as CSV and a ``summary.md`` with one verdict per claim of
the paper; see docs/experiments.md.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from theorytools.errors import TheorytoolsError

__all__ = ["configure", "run"]


def configure(parser) -> None:
    from theorytools.experiment import add_arguments

    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="experiment to run (see --list), or 'all'")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--dir", metavar="DIR", default=None,
                        help="where the experiment scripts are (default: experiments/ of the "
                             "source checkout, or $THEORYTOOLS_EXPERIMENTS)")
    add_arguments(parser)


def run(args) -> int:
    from theorytools.experiment import (find_experiments, load_experiment, mode_of,
                                        run_experiment, summary_line)

    found = find_experiments(args.dir)
    if args.list:
        for name in found:
            module = load_experiment(name, args.dir)
            print(f"{name:16s} {getattr(module, 'TITLE', '')}")
        return 0
    if not args.name:
        raise TheorytoolsError("give an experiment NAME (or 'all'); --list lists them")
    names = list(found) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in found:
        load_experiment(args.name, args.dir)           # raises with a did-you-mean
    if args.out is not None and args.name == "all":
        outs = {n: Path(args.out) / n for n in names}
    else:
        outs = {n: (args.out if args.out is not None else Path("experiment-output") / n)
                for n in names}
    start = time.monotonic()
    for i, name in enumerate(names, 1):
        if len(names) > 1 and not args.no_progress:
            sys.stderr.write(f"[experiment {i}/{len(names)}] {name} "
                             f"({time.monotonic() - start:.0f} s elapsed)\n")
        ctx = run_experiment(name, out=outs[name], mode=mode_of(args), seed=args.seed,
                             resume=not args.fresh, progress=not args.no_progress,
                             directory=args.dir)
        print(summary_line(ctx))
    return 0
