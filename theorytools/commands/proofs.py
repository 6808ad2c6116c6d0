"""``theorytools proofs``: run the mechanical (sympy) checks of the proofs' algebra.

Runs every check of :mod:`proofs_check` (or those named with ``--only``) and prints one
PASS/FAIL line per check with what was checked, plus any finding (a printed constant found wrong
or loose, with the corrected value). ``--json`` prints a list of objects with ``name``,
``verdict``, ``detail`` (and ``source``, ``status``, ``finding``). Exit status 0 iff all PASS.
"""
from __future__ import annotations

import json


def configure(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list of {name, verdict, detail, ...}")
    parser.add_argument("--only", action="append", metavar="NAME", default=None,
                        help="run only this check, function or module (repeatable), "
                             "e.g. natural_compression or ecd_error")


def run(args) -> int:
    import proofs_check

    results = proofs_check.run_all(only=args.only)
    if args.only and not results:
        raise ValueError(f"no proof check matches {args.only}; known: {', '.join(proofs_check.check_names())}")
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for result in results:
            print(result.line())
        failed = sum(not r.passed for r in results)
        findings = sum(bool(r.finding) for r in results)
        print(f"{len(results) - failed}/{len(results)} PASS, {findings} finding(s)")
    return 0 if all(r.passed for r in results) else 1
