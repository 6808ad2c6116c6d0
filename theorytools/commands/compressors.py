"""``theorytools compressors``: declared vs measured constants and bits of every compressor."""
from __future__ import annotations

import math
import sys

from theorytools.errors import TheorytoolsError

__all__ = ["configure", "rows", "run", "working_set"]


def working_set(d: int) -> int:
    """Bytes the command needs at dimension d: measured 212 MB at d = 1000 and 1.2 GB at
    d = 8000 (peak RSS; the exact laws of the sparsifiers hold d outcomes of dimension d, so
    16 d^2 bytes), with a 50% margin: 200 MB + 24 d^2."""
    return 200 * 2 ** 20 + 24 * d * d


def configure(parser):
    from theorytools.commands._common import max_dimension
    parser.add_argument("--d", default="1000", metavar="D",
                        help="dimension, an integer from 1 up to the largest d whose working "
                             "set (about 200 MB + 24 d^2 bytes) fits in the memory available "
                             f"now (here {max_dimension(working_set)}); default 1000; the time "
                             "grows like d^2 (about a minute at d = 8000)")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter of every compressor that has it "
                             "(repeatable), e.g. --param k=10 --param s=4")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="only these compressors (repeatable)")
    parser.add_argument("--float-width", type=int, default=32, choices=(32, 64),
                        help="bits per float on the wire, 32 (default, as the papers count) "
                             "or 64")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print a strict-JSON list, one object per compressor (a missing or "
                          "non-finite value is null)")
    out.add_argument("--csv", action="store_true",
                     help="print the same rows as CSV (nested values as JSON text)")


def _params(items):
    from theorytools.compressors.registry import _parse_value
    out = {}
    for item in items:
        if "=" not in item:
            raise TheorytoolsError(f"--param must be KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = _parse_value(value)
    return out


def rows(d, overrides=None, only=(), float_width=32):
    """One dict per compressor (the JSON rows)."""
    from theorytools.compressors import REGISTRY, default
    from theorytools.compressors.measure import measure

    overrides = overrides or {}
    unknown = [n for n in only if n not in REGISTRY]
    if unknown:
        raise TheorytoolsError(f"--only: unknown compressor {unknown[0]!r}")
    used = set()
    result = []
    for name in only or list(REGISTRY):
        cls = REGISTRY[name][0]
        mine = {k: v for k, v in overrides.items() if k in cls.param_order}
        used |= set(mine)
        comp = default(name, d, float_width=float_width, **mine)
        m = measure(comp, d, contract=False)
        theory = comp.theory(d)

        def val(n, attr):
            c = m.constants.get(n)
            if c is None:
                return None
            v = getattr(c, attr)
            return None if (isinstance(v, float) and math.isnan(v)) else v

        result.append({
            "name": name, "canonical_name": comp.canonical_name,
            "params": {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in comp.params.items()},
            "float_width": comp.float_width,
            "unbiased": theory.unbiased,
            "omega": val("omega", "declared"), "delta": val("delta", "declared"),
            "omega_measured": val("omega", "measured"), "delta_measured": val("delta", "measured"),
            "b1": ([val("b1_alpha", "declared"), val("b1_beta", "declared")]
                   if "b1_alpha" in m.constants else None),
            "b2": ([val("b2_gamma", "declared"), val("b2_beta", "declared")]
                   if "b2_gamma" in m.constants else None),
            "abs_variance": val("abs_variance", "declared"),
            "abs_variance_measured": val("abs_variance", "measured"),
            "constants": {n: {"declared": c.declared, "measured": c.measured,
                              "ratio": c.ratio, "valid": c.valid, "tight": c.tight_declared,
                              "attained": c.attained, "status": c.status, "source": c.source}
                          for n, c in m.constants.items()},
            "measurement": "exact (from the law) worst case over adversarial and extremal inputs",
            "bits_mean": m.bits_mean, "bits_max": m.bits_max, "bits_budget": m.bits_budget,
            "bits_formula": m.bits_formula,
            "shared_randomness": bool(comp.shared_randomness),
            "bits_budget_shared": (comp.bits_budget([0.0] * d, shared=True)
                                   if comp.shared_randomness else None),
            "note": theory.note,
        })
    unused = set(overrides) - used
    if unused:
        raise TheorytoolsError(f"--param {sorted(unused)[0]}: no selected compressor has it")
    return result


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "inf" if v == math.inf else f"{v:.4g}"
    return str(v)


def run(args):
    from theorytools.commands._common import csv_text, dumps, parse_dimension, require_fits

    args.d = parse_dimension(args.d, "d", low=1)
    require_fits(args.d, working_set, "theorytools compressors")
    table = rows(args.d, _params(args.param), args.only, args.float_width)
    if args.json:
        print(dumps(table))
        return 0
    if args.csv:
        sys.stdout.write(csv_text(table))
        return 0
    header = ("compressor", "unb", "omega", "omega_meas", "delta", "delta_meas",
              "bits_mean", "bits_max", "budget")
    lines = [header]
    for r in table:
        lines.append((r["canonical_name"], "yes" if r["unbiased"] else "no",
                      _fmt(r["omega"]), _fmt(r["omega_measured"]), _fmt(r["delta"]),
                      _fmt(r["delta_measured"]), _fmt(r["bits_mean"]), _fmt(r["bits_max"]),
                      _fmt(r["bits_budget"])))
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    for row in lines:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    print(f"\nd = {args.d}; measured = exact worst case over adversarial and extremal inputs "
          "(from each compressor's exact law); bits over 3 seeds per input.")
    return 0
