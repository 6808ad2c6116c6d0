"""``theorytools frontier``: bits-vs-distortion frontier of every compressor at one d.

Examples::

    theorytools frontier --d 100
    theorytools frontier --d 100 --png docs/frontier_d100.png
    theorytools frontier --d 50 --json

Each compressor (a few parameter values per family) becomes a point (worst-case distortion
after the best fixed rescaling, max measured bits) next to the worst-case bound b_LB(alpha, d)
and the uncertainty principle; the table gives the gap to b_LB in bits and as a ratio
(:mod:`theorytools.frontier`). ``--d`` below 2 or not an integer is refused with a one-line
error (exit 2).
"""
from __future__ import annotations

import sys

from theorytools.errors import TheorytoolsError

__all__ = ["configure", "run", "working_set"]


def working_set(d: int) -> int:
    """Bytes the command needs at dimension d: peak RSS measured 198 MB at d = 800, 202 MB at
    d = 3000, 208 MB at d = 6000 (about 2 kB per coordinate), with a 50% margin:
    200 MB + 3000 d."""
    return 200 * 2 ** 20 + 3000 * d


def configure(parser) -> None:
    from theorytools.commands._common import max_dimension
    parser.add_argument("--d", metavar="D", required=True,
                        help="dimension, an integer (1e4 accepted) from 2 up to the largest d "
                             "whose working set fits in the memory available now (here "
                             f"{max_dimension(working_set, low=2)}; about 200 MB + 3 kB per "
                             "coordinate); the time grows about like d (80 s at d = 6000)")
    parser.add_argument("--png", metavar="PATH", help="also save the plot as a PNG")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="strict-JSON output (list of points; non-finite values are null)")
    out.add_argument("--csv", action="store_true", help="CSV output (one line per point)")
    parser.add_argument("--extra", action="append", default=[], metavar="SPEC|MODULE:OBJECT",
                        help="also place this compressor (a registered spec, e.g. a plugin's, "
                             "or a Compressor given as MODULE:OBJECT) on the frontier "
                             "(repeatable)")


def run(args) -> int:
    from theorytools import frontier as F
    from theorytools.commands._common import csv_text, dumps, parse_dimension, require_fits

    d = parse_dimension(args.d, "d", low=2)
    require_fits(d, working_set, "theorytools frontier", low=2)
    extras = []
    if args.extra:
        from theorytools.commands.check import load_object
        extras = [load_object(e) for e in args.extra]
        bad = [e for e, o in zip(args.extra, extras) if not hasattr(o, "law")]
        if bad:
            raise TheorytoolsError(f"--extra {bad[0]}: the frontier needs a Compressor with "
                                   "law() and encode() (use theorytools check for a function)")
    points = F.frontier(d, F.frontier_specs(d) + extras if extras else None)
    if args.png:
        F.plot(points, d, args.png)
    if args.json:
        sys.stdout.write(dumps([dict(p.as_dict(), d=d) for p in points]) + "\n")
    elif args.csv:
        sys.stdout.write(csv_text([dict(p.as_dict(), d=d) for p in points]))
    else:
        print(F.table(points, d))
        bad = F.necessary_condition_violations(points)
        if bad:
            print("VIOLATION of bits >= b_LB(distortion): " + ", ".join(p.spec for p in bad))
        if args.png:
            print(f"plot saved to {args.png}")
    return 1 if F.necessary_condition_violations(points) else 0
