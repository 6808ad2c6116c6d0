"""``theorytools verify``: every available check, one table, an honest verdict.

A check row carries (empirical, theoretical, ratio, verdict) plus where the claim comes from
(paper, theorem or equation) and its status. The rows come from *suites*:

* ``compressors`` -- for every registered compressor, each declared constant measured exactly
  on adversarial and extremal inputs (kind ``tight`` when declared attained, else ``bound``),
  plus the whole contract (codec round trips, bit budgets, unbiasedness; kind ``law``);
* ``proofs`` -- the mechanical sympy checks of ``proofs_check/`` (kind ``law``);
* ``bounds`` -- the necessary condition of the rate-distortion lower bound: a compressor
  without shared randomness whose measured worst-case distortion after the best rescaling is
  :math:`\\hat\\alpha` must be able to send at least :math:`b_{LB}(\\hat\\alpha, d)` bits
  (spec compression.md §E.4).

* ``theorems`` -- every theorem of the registry (:mod:`theorytools.theory`): its checks
  (kinds ``bound``, ``tight``, ``slope``, ``law``, ``diverges``; :mod:`theorytools.check`),
  one row each, named ``theorem.<paper>.<theorem>.<label>``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

PAPERS = {
    "tang2018": "Tang et al. 2018, Communication Compression for Decentralized Training",
    "beznosikov2020": "Beznosikov, Horváth, Richtárik, Safaryan, On Biased Compression for "
                      "Distributed Learning",
    "albasyoni2020": "Albasyoni, Safaryan, Condat, Richtárik, Optimal Gradient Compression for "
                     "Distributed and Federated Learning",
    "stich2018": "Stich, Local SGD Converges Fast and Communicates Little",
}


@dataclass
class CheckRow:
    name: str
    paper: str
    theorem: str
    status: str
    kind: str
    empirical: float | None
    theoretical: float | None
    ratio: float | None
    verdict: str
    details: str = ""
    series: dict | None = None   # optional curves for the report (see theorytools.report)
    interval: tuple | None = None  # confidence interval of ``empirical`` (None: exact)
    accept: tuple | None = None    # the region of ``empirical`` that passes (for the plots)

    def as_dict(self):
        out = asdict(self)
        out.pop("series", None)
        for key in ("empirical", "theoretical", "ratio"):
            out[key] = _json_number(out[key])
        for key in ("interval", "accept"):
            if out[key] is not None:
                out[key] = [_json_number(float(v)) for v in out[key]]
        return out


def _json_number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


_COMPRESSOR_PAPER = {
    "natural": "beznosikov2020", "biased_natural": "beznosikov2020",
    "grid_rounding": "tang2018",
}


def compressor_rows(quick: bool, check: str | None = None):
    """Rows of the compressors suite; ``check`` (a ``--check`` name) skips the compressors
    whose rows cannot match it (rows are named ``compressor.<name>.<constant>[d=...]``)."""
    from theorytools.compressors import REGISTRY, default
    from theorytools.compressors.measure import LOWER_TYPE, measure

    dims = (16, 100) if quick else (3, 16, 100, 1000)
    for d in dims:
        for name in REGISTRY:
            if check and check.startswith("compressor.") and not (
                    f"compressor.{name}.".startswith(check)
                    or check.startswith(f"compressor.{name}.")):
                continue
            comp = default(name, d, float_width=64)
            m = measure(comp, d, seeds=(0,) if quick else (0, 1, 2))
            paper = _COMPRESSOR_PAPER.get(name, "beznosikov2020")
            for cname, c in m.constants.items():
                ok = c.valid and (c.attained or not c.tight_declared)
                kind = "tight" if c.tight_declared else "bound"
                accept = ((c.declared, c.declared) if c.tight_declared else
                          (c.declared, math.inf) if cname in LOWER_TYPE else
                          (-math.inf, c.declared))
                yield CheckRow(f"compressor.{name}.{cname}[d={d}]", paper,
                               c.source.split(";")[0], c.status, kind, c.measured, c.declared,
                               c.ratio, "PASS" if ok else "FAIL",
                               f"{comp.canonical_name}; worst input: {c.argmax}",
                               accept=accept)
            total = m.contract_passed + m.contract_failed
            yield CheckRow(f"compressor.{name}.contract[d={d}]", paper,
                           "spec compression.md §E.1-§E.4", "derived", "law",
                           float(m.contract_passed), float(total),
                           m.contract_passed / total if total else None,
                           "PASS" if m.contract_failed == 0 else "FAIL",
                           "; ".join(m.failures[:3]) or f"{total} contract checks",
                           accept=(float(total), float(total)))


_PROOF_PAPER = {
    "compressor_constants": "beznosikov2020", "class_relations": "beznosikov2020",
    "cgd_contraction": "beznosikov2020", "divergence_example": "beznosikov2020",
    "ecd_error": "tang2018", "stich_local_sgd": "stich2018", "lower_bounds": "albasyoni2020",
}


def proof_rows(quick: bool):
    import proofs_check

    for c in proofs_check.run_all():
        module = c.name.split("::")[0]
        status = (c.status or "derived").split(";")[0].split()[0].lower()
        if c.finding:
            status += "+finding"
        yield CheckRow(f"proof.{c.name}", _PROOF_PAPER.get(module, "beznosikov2020"),
                       c.source, status, "law",
                       1.0 if c.passed else 0.0, 1.0, 1.0 if c.passed else 0.0, c.verdict,
                       (c.finding + " | " if c.finding else "") + c.detail, accept=(1.0, 1.0))


def bound_rows(quick: bool):
    """bits_max >= b_LB(alpha_hat, d) for deterministic and unshared-randomness compressors."""
    from theorytools.bounds import worst_case_bits
    from theorytools.compressors import REGISTRY, default
    from theorytools.compressors.contract import adversarial_inputs, exact_quantities
    from theorytools.errors import TheorytoolsError

    for d in ((16,) if quick else (16, 100)):
        for name in REGISTRY:
            comp = default(name, d, float_width=32)
            theory = comp.theory(d)
            scale = None
            if theory.delta is not None:
                scale = 1.0
            elif theory.b2_beta is not None:
                scale = 1.0 / theory.b2_beta.value   # (1/beta) C in B3(beta/gamma), R5
            if scale is None:
                continue
            worst, bits_max = 0.0, 0
            for _, x in adversarial_inputs(d):
                try:
                    comp.validate(x)
                except TheorytoolsError:
                    continue
                bits_max = max(bits_max, comp.encode(x, 0).nbits)
                if not x.any() or not comp.in_domain(x):
                    continue
                q = exact_quantities(comp, x)
                # distortion of scale * C: E||sC - x||^2 = s^2 m2 - 2 s <EC,x> + ||x||^2
                dist = (scale * scale * q.second - 2 * scale * q.inner + q.norm2) / q.norm2
                worst = max(worst, dist)
            if not 0 < worst < 1:
                continue
            bound = worst_case_bits(worst, d)
            yield CheckRow(f"bound.{name}.bits_vs_lower_bound[d={d}]", "albasyoni2020",
                           "spec compression.md §C.5.1, §E.4 (necessary condition)", "derived",
                           "bound", float(bits_max), bound, bits_max / bound if bound else None,
                           "PASS" if bits_max >= bound else "FAIL",
                           f"measured distortion {worst:.4g} after rescaling by {scale:.4g}"
                           + ("; randomised without shared seed" if comp.randomized else ""),
                           accept=(bound, math.inf))


def _theorem_selected(key: str, paper: str | None, check: str | None) -> bool:
    """Whether theorem ``key`` can yield a row that the ``--paper``/``--check`` filters keep
    (row names are ``theorem.<key>.<label>``, so a ``check`` that starts with ``theorem.``
    can only match rows of theorems whose prefix it shares)."""
    if paper and not key.startswith(paper + "."):
        return False
    if check and check.startswith("theorem."):
        prefix = f"theorem.{key}."
        return prefix.startswith(check) or check.startswith(prefix)
    return True


def theorem_rows(quick: bool, paper: str | None = None, check: str | None = None):
    """The checks of every registered theorem (``theorytools.theory``); a check that raises
    is reported as a FAIL row, not swallowed. ``paper``/``check`` skip theorems that cannot
    yield a selected row (the rows are filtered again by the caller)."""
    from theorytools.theory import theorems

    for th in theorems():
        if not _theorem_selected(th.key, paper, check):
            continue
        try:
            results = th.run_checks(quick)
        except Exception as exc:  # a broken check must show up in the table
            yield CheckRow(f"theorem.{th.key}", th.paper, th.source, th.status, "law",
                           None, None, None, "FAIL", f"check raised {type(exc).__name__}: {exc}")
            continue
        for label, c in results:
            row = CheckRow(f"theorem.{th.key}.{label}", th.paper, th.source, th.status, c.kind,
                           c.empirical, c.theoretical, c.ratio, c.verdict, c.describe(),
                           interval=c.interval, accept=c.accept)
            if c.extra.get("series"):   # curves for the report (theorytools.report)
                row.series = c.extra["series"]
            yield row


SUITES = {"compressors": compressor_rows, "bounds": bound_rows, "proofs": proof_rows,
          "theorems": theorem_rows}
SUITE_PREFIX = {"compressors": "compressor.", "bounds": "bound.", "proofs": "proof.",
                "theorems": "theorem."}


def run_checks(*, quick: bool = True, paper: str | None = None, check: str | None = None,
               progress=None):
    rows = []
    for suite, producer in SUITES.items():
        prefixes = [p for p in SUITE_PREFIX.values() if check and check.startswith(p)]
        if prefixes and not check.startswith(SUITE_PREFIX[suite]):
            continue  # a check name that names another suite: skip this one entirely
        rows_of = producer(quick, paper=paper, check=check) if suite == "theorems" \
            else producer(quick, check=check) if suite == "compressors" else producer(quick)
        for row in rows_of:
            if paper and row.paper != paper:
                continue
            if check and check not in row.name:
                continue
            rows.append(row)
            if progress:
                progress(len(rows), row)
    return rows
