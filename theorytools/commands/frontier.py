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

import json
import sys

from theorytools.errors import TheorytoolsError, check_int


def configure(parser) -> None:
    parser.add_argument("--d", metavar="D", required=True, help="dimension, integer >= 2")
    parser.add_argument("--png", metavar="PATH", help="also save the plot as a PNG")
    parser.add_argument("--json", action="store_true", help="JSON output (list of points)")
    parser.add_argument("--extra", action="append", default=[], metavar="SPEC|MODULE:OBJECT",
                        help="also place this compressor (a registered spec, e.g. a plugin's, "
                             "or a Compressor given as MODULE:OBJECT) on the frontier "
                             "(repeatable)")


def run(args) -> int:
    from theorytools import frontier as F

    try:
        d = int(args.d)
    except ValueError:
        raise TheorytoolsError(f"d must be an integer, got {args.d!r}") from None
    d = check_int(d, "d", low=2)
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
        json.dump([dict(p.as_dict(), d=d) for p in points], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(F.table(points, d))
        bad = F.necessary_condition_violations(points)
        if bad:
            print("VIOLATION of bits >= b_LB(distortion): " + ", ".join(p.spec for p in bad))
        if args.png:
            print(f"plot saved to {args.png}")
    return 1 if F.necessary_condition_violations(points) else 0
