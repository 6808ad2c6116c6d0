"""Regenerate the table block of ``docs/compressors.md`` from the compressor registry.

Every number in the block is computed here from the code: ``theory(d)``, ``bits_budget`` and
the registry defaults. Nothing is typed by hand, so the doc cannot drift from the code.

Usage::

    python docs/_gen_compressor_table.py            # rewrite the block in docs/compressors.md
    python docs/_gen_compressor_table.py --check    # exit 1 if the block is out of date
    python docs/_gen_compressor_table.py --print    # print the block to stdout

Only the text between ``<!-- BEGIN GENERATED TABLE -->`` and ``<!-- END GENERATED TABLE -->``
is rewritten; the rest of the file is left byte for byte as it is.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from theorytools.compressors import create, default, names

BEGIN = "<!-- BEGIN GENERATED TABLE -->"
END = "<!-- END GENERATED TABLE -->"
DOC = Path(__file__).resolve().parent / "compressors.md"

#: Dimension of every row.
D = 100
#: Input on which the bit budget is evaluated. Every budget depends on d only, except
#: grid_rounding's, which grows with max|x_i|/step; x = (1,...,1) fixes max|x_i| = 1.
BUDGET_INPUT = np.ones(D)
#: Illustrative parameter rows, after the registry defaults.
ILLUSTRATIVE = [
    "top_k[k=10]",
    "rand_k[k=10]",
    "rand_k[k=60]",
    "rand_k_biased[k=10]",
    "bernoulli[p=0.7]",
    "dithering[s=1]",
    "dithering[s=10,coding=elias]",
    "dithering[s=4,p=inf]",
    "natural_dithering[s=4]",
    "unbiased_rounding[levels=(0.1;0.3;1.0;5.0)]",
    "biased_rounding[levels=(1;3;9)]",
    "top_k+natural[k=10]",
    "top_k+natural_dithering[k=10,s=4]",
    "induced[k=10,c2=(rand_k[k=10])]",
    "grid_rounding[step=0.1]",
]

SYMBOLS = {"omega": "ω", "b1_alpha": "α", "b1_beta": "β₁", "b2_gamma": "γ", "b2_beta": "β₂",
           "delta": "δ", "abs_variance": "V"}
MAX_DENOMINATOR = 1000


def fmt(value: float) -> str:
    """An integer, a fraction p/q (q <= 1000) equal to ``value`` to 1e-12 relative, or 6
    significant digits."""
    if value == math.inf:
        return "∞"
    if float(value).is_integer():
        return str(int(value))
    frac = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    if abs(float(frac) - value) <= 1e-12 * abs(value):
        if frac.denominator == 1:
            return str(frac.numerator)
        return f"{frac.numerator}/{frac.denominator}"
    return f"{value:.6g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _const(theory, name):
    c = theory.constants().get(name)
    return None if c is None else c


def _value(theory, name) -> str:
    c = _const(theory, name)
    return "—" if c is None else fmt(c.value)


def _pair(theory, a, b) -> str:
    ca, cb = _const(theory, a), _const(theory, b)
    if ca is None and cb is None:
        return "—"
    return f"({_value(theory, a)}, {_value(theory, b)})"


def _tight(theory) -> str:
    consts = theory.constants()
    if not consts:
        return "—"
    tight = [n for n, c in consts.items() if c.tight]
    if len(tight) == len(consts):
        return "all"
    if not tight:
        return "none"
    return "only " + ", ".join(SYMBOLS[n] for n in tight)


def _status(theory) -> str:
    statuses = sorted({c.status for c in theory.constants().values()})
    return ", ".join(statuses) if statuses else "—"


def _source(theory) -> str:
    """Short source: the rows (C-ids) of the compressor table of docs/sources.md#table and the
    class relations (R-ids, docs/sources.md#relations) the declared constants cite, or another
    docs/sources.md topic (decentralized papers)."""
    texts = [theory.unbiased_source] + [c.source for c in theory.constants().values()]
    rows, rels, others = [], [], []
    for t in texts:
        for m in re.findall(r"\bC\d+b?\b", t):
            if m not in rows:
                rows.append(m)
        for m in re.findall(r"\bR\d\b", t):
            if m not in rels:
                rels.append(m)
        for m in re.findall(r"(?:Tang et al\.|Stich 2019|CHOCO-SGD|derived )[^;()]*"
                            r"\(docs/sources\.md#[a-z-]+\)", t):
            if m not in others:
                others.append(m)
    parts = []
    if rows:
        parts.append("docs/sources.md#table rows " + ", ".join(rows))
    if rels:
        parts.append("docs/sources.md#relations " + ", ".join(sorted(rels)))
    parts += others
    return "; ".join(parts) if parts else "derived here"


def _bits(compressor) -> str:
    explicit = compressor.bits_budget(BUDGET_INPUT)
    if compressor.shared_randomness:
        return f"{explicit}; shared: {compressor.bits_budget(BUDGET_INPUT, shared=True)}"
    return str(explicit)


def rows() -> list:
    """(compressor, origin) for every registry default at d = D, then the illustrative rows."""
    out = [(default(n, D), "default") for n in names()]
    out += [(create(spec), "illustrative") for spec in ILLUSTRATIVE]
    return out


HEADER = ("| compressor | unbiased | ω | B1 (α, β) | B2 (γ, β) | B3 δ | abs. variance V | tight? "
          "| bit budget (w = float_width) | worst-case bits, d = 100 | status | source |")
RULE = "|" + "---|" * 12


def table_row(compressor) -> str:
    t = compressor.theory(D)
    cells = [f"`{compressor.canonical_name}`", "yes" if t.unbiased else "no",
             _value(t, "omega"), _pair(t, "b1_alpha", "b1_beta"), _pair(t, "b2_gamma", "b2_beta"),
             _value(t, "delta"), _value(t, "abs_variance"), _tight(t), f"`{t.bits_formula}`",
             _bits(compressor), _status(t), _source(t)]
    if t.note:
        cells[-1] += f"; note: {t.note}"
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def provenance(compressor) -> str:
    """One bullet per default compressor: its declared constants grouped by (source, status,
    tightness), each group with its full source string."""
    t = compressor.theory(D)
    lines = [f"- `{compressor.canonical_name}`: unbiased = {t.unbiased} ({t.unbiased_source}); "
             f"domain: {t.domain}; bits: {t.bits_source}."]
    groups = {}
    for n, c in t.constants().items():
        groups.setdefault((c.source, c.status, c.tight), []).append(f"{SYMBOLS[n]} = {fmt(c.value)}")
    for (source, status, tight), items in groups.items():
        lines.append(f"  - {', '.join(items)} [{status}, {'tight' if tight else 'not tight'}]: "
                     f"{source}")
    if t.note:
        lines.append(f"  - note: {t.note}")
    return "\n".join(lines)


def render_block() -> str:
    """The generated block, markers included."""
    all_rows = rows()
    defaults = [c for c, origin in all_rows if origin == "default"]
    extra = [c for c, origin in all_rows if origin == "illustrative"]
    parts = [
        BEGIN,
        "<!-- generated by docs/_gen_compressor_table.py: do not edit by hand -->",
        "",
        f"All rows at d = {D}, float_width = 32 (w = 32). Constants are those returned by "
        f"`theory({D})`; a fraction is printed when the float equals p/q (q ≤ "
        f"{MAX_DENOMINATOR}) to 1e-12. Bits are `bits_budget(x)` (an upper bound on "
        "`encode(x, ...).nbits` for every x of this dimension, checked by the contract suite); "
        "for compressors with shared randomness also `bits_budget(x, shared=True)`. "
        "grid_rounding's budget grows with max|x_i|/step: it is given at max|x_i| = 1. "
        "\"tight?\": which declared constants are attained on a listed extremal input "
        "(β₁ = B1's β, β₂ = B2's β).",
        "",
        f"**Registry defaults** (`default(name, {D})`):",
        "",
        HEADER,
        RULE,
        *[table_row(c) for c in defaults],
        "",
        "**Illustrative parameters** (`create(spec)`):",
        "",
        HEADER,
        RULE,
        *[table_row(c) for c in extra],
        "",
        f"**Provenance of every declared constant** (registry defaults, d = {D}):",
        "",
        *[provenance(c) for c in defaults],
        END,
    ]
    return "\n".join(parts)


def replace_block(text: str, block: str) -> str:
    """``text`` with the block between the markers (markers included) replaced by ``block``."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"expected exactly one {BEGIN!r} and one {END!r}")
    start = text.index(BEGIN)
    stop = text.index(END) + len(END)
    if stop < start:
        raise ValueError("END marker precedes BEGIN marker")
    return text[:start] + block + text[stop:]


def current_block(text: str) -> str:
    start = text.index(BEGIN)
    return text[start:text.index(END) + len(END)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true",
                       help="exit 1 (and change nothing) if the file is out of date")
    group.add_argument("--print", action="store_true", help="print the block and exit")
    parser.add_argument("--path", type=Path, default=DOC, help="the markdown file (default: %(default)s)")
    args = parser.parse_args(argv)
    block = render_block()
    if args.print:
        print(block)
        return 0
    text = args.path.read_text(encoding="utf-8")
    new = replace_block(text, block)
    if args.check:
        if new != text:
            print(f"{args.path}: the generated table is out of date; "
                  "run python docs/_gen_compressor_table.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        args.path.write_text(new, encoding="utf-8")
        print(f"{args.path}: table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
