"""``theorytools proofs``: run the mechanical (sympy) checks of the proofs' algebra.

Runs every check of :mod:`proofs_check` (or those named with ``--only``) and prints one
PASS/FAIL line per check with what was checked, plus any finding (a printed constant found wrong
or loose, with the corrected value). ``--json`` prints a list of objects with ``name``,
``verdict``, ``detail`` (and ``source``, ``status``, ``finding``). Exit status 0 iff all PASS.
"""
from __future__ import annotations

import sys

__all__ = ["configure", "run"]


def configure(parser) -> None:
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print a strict-JSON list of {name, verdict, detail, ...}")
    out.add_argument("--csv", action="store_true", help="print the same records as CSV")
    parser.add_argument("--only", action="append", metavar="NAME", default=None,
                        help="run only this check, function or module (repeatable), "
                             "e.g. natural_compression or ecd_error")


def run(args) -> int:
    import proofs_check

    results = proofs_check.run_all(only=args.only)
    if args.only and not results:
        from theorytools.commands._common import did_you_mean
        names = proofs_check.check_names()
        raise ValueError(f"no proof check matches {args.only}"
                         + (did_you_mean(args.only[0], names + sorted(
                             {n.split("::")[0] for n in names} | {n.split("::")[1] for n in names}))
                            or f"; known: {', '.join(names)}"))
    from theorytools.commands._common import csv_text, did_you_mean, dumps
    if args.json:
        print(dumps([r.to_dict() for r in results], indent=2))
    elif args.csv:
        sys.stdout.write(csv_text([r.to_dict() for r in results]))
    else:
        for result in results:
            print(result.line())
        failed = sum(not r.passed for r in results)
        findings = sum(bool(r.finding) for r in results)
        print(f"{len(results) - failed}/{len(results)} PASS, {findings} finding(s)")
    return 0 if all(r.passed for r in results) else 1
