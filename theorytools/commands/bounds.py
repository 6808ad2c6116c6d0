"""``theorytools bounds``: rate-distortion lower bounds at one (d, alpha), or the whole table.

Examples::

    theorytools bounds --d 1000 --alpha 0.1 --json
    theorytools bounds --table --markdown
    theorytools bounds --table --csv --ds 2,10,100 --alphas 0.1,0.5

Bad values (alpha outside (0, 1), d < 2, non-numbers) and a missing ``--d``/``--alpha``
without ``--table`` raise :class:`~theorytools.errors.TheorytoolsError`; the dispatcher turns
it into a one-line message and exit status 2.
"""
from __future__ import annotations

import math
import sys

from theorytools.errors import TheorytoolsError, check_int, check_real

__all__ = ["MODELS", "configure", "run"]

MODELS = {
    "worst_case_bits": "cap covering: N = 2^b fixed directions, fixed-length code, no shared "
                       "randomness, norm not counted, every x (spec C.5.1, derived)",
    "worst_case_bits_log_d": "P2's worst-case bound -log2 P(alpha, d) + log2 d + c (authors' "
                             "poster, status author-poster; c = --log-d-constant, default 0)",
    "average_case_bits": "cap rearrangement: x uniform on the sphere, codebook of 2^b "
                         "directions, nonnegative reconstruction, norm not counted, no shared "
                         "randomness (spec C.5.2, derived)",
    "uncertainty_principle_bits": "ball covering alpha*4^(b/d) >= 1: norm counted, fixed-length "
                                  "code, no shared randomness (spec A.4; paper statement "
                                  "unconfirmed)",
}


def configure(parser) -> None:
    """Add the ``bounds`` arguments to ``parser`` (an argparse subparser)."""
    parser.add_argument("--d", metavar="D", help="dimension, integer >= 2")
    parser.add_argument("--alpha", metavar="A", help="normalised distortion, 0 < A < 1")
    parser.add_argument("--table", action="store_true",
                        help="print the table over --ds x --alphas instead of one point")
    parser.add_argument("--ds", metavar="D1,D2,...",
                        help="dimensions of the table (default 2,3,4,10,...,10^6)")
    parser.add_argument("--alphas", metavar="A1,A2,...",
                        help="distortions of the table (default 0.01,0.05,...,0.99)")
    parser.add_argument("--log-d-constant", metavar="C", default="0",
                        help="the unknown O(1) of P2's -log2 P + log2 d + O(1) (default 0)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON output")
    output.add_argument("--csv", action="store_true", help="CSV output")
    output.add_argument("--markdown", action="store_true", help="Markdown table output")


def _parse_d(text: str, name: str = "d") -> int:
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise TheorytoolsError(f"{name} must be an integer, got {text!r}") from None
    return check_int(value, name, low=2)


def _parse_alpha(text: str, name: str = "alpha") -> float:
    try:
        value = float(text)
    except ValueError:
        raise TheorytoolsError(f"{name} must be a real number, got {text!r}") from None
    return check_real(value, name, low=0.0, high=1.0, low_open=True, high_open=True)


def _parse_c(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TheorytoolsError(f"log-d-constant must be a real number, got {text!r}") from None
    return check_real(value, "log-d-constant")


def _parse_list(text, parse, name):
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise TheorytoolsError(f"{name} must be a comma-separated list, got {text!r}")
    return tuple(parse(item, name) for item in items)


def _finite_or_none(value: float):
    return value if math.isfinite(value) else None


def run(args) -> int:
    """Compute and print; returns the exit status (0)."""
    from theorytools import bounds

    if args.table:
        if args.d is not None or args.alpha is not None:
            raise TheorytoolsError("--d/--alpha cannot be combined with --table "
                                   "(use --ds/--alphas)")
        ds = bounds.DEFAULT_DS if args.ds is None else _parse_list(args.ds, _parse_d, "ds")
        alphas = (bounds.DEFAULT_ALPHAS if args.alphas is None
                  else _parse_list(args.alphas, _parse_alpha, "alphas"))
        rows = bounds.bounds_table(ds, alphas, _parse_c(args.log_d_constant))
        if args.json:
            from theorytools.commands._common import dumps
            text = dumps([row._asdict() for row in rows]) + "\n"
        elif args.csv:
            text = bounds.table_to_csv(rows)
        else:
            text = bounds.table_to_markdown(rows)
        sys.stdout.write(text)
        return 0

    if args.ds is not None or args.alphas is not None:
        raise TheorytoolsError("--ds/--alphas need --table")
    missing = [flag for flag, value in (("--d", args.d), ("--alpha", args.alpha)) if value is None]
    if missing:
        raise TheorytoolsError(f"missing {' and '.join(missing)} (or use --table)")
    row = bounds.bounds_row(_parse_alpha(args.alpha), _parse_d(args.d),
                            _parse_c(args.log_d_constant))
    if args.json:
        record = {key: _finite_or_none(value) if isinstance(value, float) else value
                  for key, value in row._asdict().items()}
        record["models"] = MODELS
        from theorytools.commands._common import dumps
        sys.stdout.write(dumps(record) + "\n")
    elif args.csv:
        sys.stdout.write(bounds.table_to_csv([row]))
    elif args.markdown:
        sys.stdout.write(bounds.table_to_markdown([row]))
    else:
        width = max(len(name) for name in row._fields)
        for name, value in row._asdict().items():
            sys.stdout.write(f"{name:<{width}}  {value}\n")
    return 0
