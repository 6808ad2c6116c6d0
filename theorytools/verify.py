"""``theorytools verify``: every available check, one table, an honest verdict.

A check row carries the claim (in words and as a formula), the measured value with its
confidence interval, the theoretical value, the region of the measurement that passes, the
verdict, a *tightness* figure and whether the check is *vacuous*; plus where the claim comes
from (paper, theorem or equation) and its status. The rows come from *suites*:

* ``compressors`` -- for every registered compressor, each declared constant measured exactly
  on adversarial and extremal inputs (kind ``tight`` when declared attained, else ``bound``),
  plus the whole contract (codec round trips, bit budgets, unbiasedness; kind ``law``);
  see ``docs/compressors.md`` §5;
* ``proofs`` -- the mechanical sympy checks of ``proofs_check/`` (kind ``law``);
* ``bounds`` -- the necessary condition of the rate-distortion lower bound: a compressor
  without shared randomness whose measured worst-case distortion after the best rescaling is
  :math:`\\hat\\alpha` must be able to send at least :math:`b_{LB}(\\hat\\alpha, d)` bits
  (``docs/bounds.md``, worst-case bound); the bits are the worst case over the inputs AND
  over the randomness (:func:`bits_worst_case`);
* ``theorems`` -- every theorem of the registry (:mod:`theorytools.theory`): its checks
  (kinds ``bound``, ``tight``, ``slope``, ``law``, ``diverges``; :mod:`theorytools.check`),
  one row each, named ``theorem.<paper>.<theorem>.<label>``.

Tightness and vacuity (``docs/verify.md``, "Reading a verdict"): for a one-sided ``bound``
check, ``tightness = measured / bound`` (upper bound) or ``bound / measured`` (lower bound),
so 1 means the bound is attained and a small value means it is loose. A passing bound check
with ``tightness < VACUOUS_BELOW`` (1e-2: the bound is more than 100 times the measurement) is
**vacuous**: at that configuration no plausible error in the code or in a constant could make
it fail, so it is not evidence for the theorem. It still passes (the exit status is 0 iff no
row FAILS) but it is labelled ``holds, vacuous (bound 10^k x measured)`` (a lower bound:
``measured 10^k x bound``) and counted separately. Two-sided checks (``tight``, ``law``,
``slope``, ``diverges``) can always fail and are never vacuous; their tightness is the plain
ratio measured/theoretical.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from theorytools import check as _check

__all__ = ["BITS_DRAWS", "CONSTANT_CLAIMS", "PAPERS", "SUITES", "SUITE_PREFIX",
           "SUITE_SECONDS", "VACUOUS_BELOW", "BitsWorstCase", "CheckRow", "bits_worst_case",
           "bound_rows", "check_catalogue", "compressor_dims", "compressor_paper",
           "compressor_rows", "order_rows", "proof_rows", "resolve_check", "resolve_paper",
           "run_checks", "run_metadata", "suite_rows", "suites_for", "summarize", "takes_seed",
           "theorem_rows", "tightness_of"]

PAPERS = {
    "tang2018": "Tang et al. 2018, Communication Compression for Decentralized Training",
    "beznosikov2020": "Beznosikov, Horváth, Richtárik, Safaryan, On Biased Compression for "
                      "Distributed Learning",
    "albasyoni2020": "Albasyoni, Safaryan, Condat, Richtárik, Optimal Gradient Compression for "
                     "Distributed and Federated Learning",
    "stich2018": "Stich, Local SGD Converges Fast and Communicates Little",
}

#: a passing one-sided bound whose tightness is below this is reported as vacuous (defined
#: with the result type, :data:`theorytools.check.VACUOUS_BELOW`)
VACUOUS_BELOW = _check.VACUOUS_BELOW
tightness_of = _check.tightness_of


@dataclass
class CheckRow:
    """One row of the verdict table (see the module docstring for ``tightness``/``vacuous``).

    ``verdict`` is ``PASS`` or ``FAIL``; :attr:`assessment` is the verdict in words
    (``holds``, ``holds, vacuous (bound 10^k x measured)``, ``FAILS``)."""

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
    claim: str = ""                # the claim in words
    formula: str = ""              # the claim as a formula (plain text with Unicode)
    seed: int | None = None        # the run's seed if this row's draws depend on it
    tightness: float | None = field(default=None, init=False)
    side: str | None = field(default=None, init=False)
    vacuous: bool = field(default=False, init=False)

    def __post_init__(self):
        self.tightness, self.side = tightness_of(self.kind, self.empirical, self.theoretical,
                                                 self.accept)
        self.vacuous = _check.is_vacuous(self.verdict == "PASS", self.side, self.tightness)

    @property
    def looseness_exponent(self) -> int | None:
        """k in "bound 10^k x measured" (None when not vacuous or the measurement is 0)."""
        if not self.vacuous or not self.tightness or self.tightness <= 0:
            return None
        return int(math.floor(-math.log10(self.tightness)))

    @property
    def assessment(self) -> str:
        """``holds``; ``holds, vacuous (bound 10^k x measured)`` for an upper bound,
        ``holds, vacuous (measured 10^k x bound)`` for a lower bound; ``FAILS``."""
        if self.verdict != "PASS":
            return "FAILS"
        if not self.vacuous:
            return "holds"
        k = self.looseness_exponent
        if k is None:
            return "holds, vacuous (measured <= 0 against a positive bound)" \
                if self.side == "upper" else "holds, vacuous (bound <= 0)"
        if self.side == "lower":
            return f"holds, vacuous (measured 10^{k} x bound)"
        return f"holds, vacuous (bound 10^{k} x measured)"

    @property
    def status_label(self) -> str:
        """``PASS``, ``VACUOUS`` (a pass that is not evidence) or ``FAIL``."""
        return "FAIL" if self.verdict != "PASS" else "VACUOUS" if self.vacuous else "PASS"

    def as_dict(self):
        """The row as strict-JSON-ready data (non-finite numbers become ``None``: in
        ``accept``/``interval`` an unbounded end)."""
        out = asdict(self)
        out.pop("series", None)
        for key in ("empirical", "theoretical", "ratio", "tightness"):
            out[key] = _json_number(out[key])
        for key in ("interval", "accept"):
            if out[key] is not None:
                out[key] = [_json_number(float(v)) for v in out[key]]
        out["assessment"] = self.assessment
        out["outcome"] = self.status_label
        return out


def _json_number(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# --------------------------------------------------------------------------- compressors
#: claim in words and formula of each declared compressor constant (docs/compressors.md §2)
CONSTANT_CLAIMS = {
    "omega": ("variance of an unbiased compressor, class U(ω)",
              "E‖C(x) − x‖² ≤ ω‖x‖²"),
    "delta": ("contraction, class B3(δ)", "E‖C(x) − x‖² ≤ (1 − 1/δ)‖x‖²"),
    "b1_alpha": ("second moment from below, class B1(α, β)", "α‖x‖² ≤ E‖C(x)‖²"),
    "b1_beta": ("second moment against the correlation, class B1(α, β)",
                "E‖C(x)‖² ≤ β⟨E C(x), x⟩"),
    "b2_gamma": ("correlation from below, class B2(γ, β)", "γ‖x‖² ≤ ⟨E C(x), x⟩"),
    "b2_beta": ("second moment against the correlation, class B2(γ, β)",
                "E‖C(x)‖²/β ≤ ⟨E C(x), x⟩"),
    "abs_variance": ("absolute variance bound (ECD-PSGD noise model)",
                     "E‖C(x) − x‖² ≤ V"),
}


_SYMBOL = {"omega": "ω", "delta": "δ", "b1_alpha": "α", "b1_beta": "β", "b2_gamma": "γ",
           "b2_beta": "β", "abs_variance": "V"}


def compressor_paper(cls) -> str:
    """The paper a compressor class declares (its ``paper`` class attribute)."""
    return getattr(cls, "paper", "beznosikov2020")


def _compressor_selected(name, cls, prefix, paper, check) -> bool:
    """Whether compressor ``name`` can yield a row ``<prefix>.<name>....`` that the
    ``--paper``/``--check`` filters keep (so that unselected compressors are not measured)."""
    if paper and compressor_paper(cls) != paper:
        return False
    if check and any(check.startswith(p) for p in SUITE_PREFIX.values()):
        mine = f"{prefix}.{name}."
        return mine.startswith(check) or check.startswith(mine)
    return True


def compressor_dims(quick: bool) -> tuple:
    """The dimensions d of the compressor suite (quick: 16 and 100)."""
    return (16, 100) if quick else (3, 16, 100, 1000)


def compressor_rows(quick: bool, seed: int = 0, progress=None, paper=None, check=None):
    """Every registered compressor's declared constants measured exactly on adversarial and
    extremal inputs, and its whole contract, at each of :func:`compressor_dims`."""
    from theorytools.compressors import REGISTRY, default
    from theorytools.compressors.measure import LOWER_TYPE, measure

    for d in compressor_dims(quick):
        for name in REGISTRY:
            if not _compressor_selected(name, REGISTRY[name][0], "compressor", paper, check):
                continue
            comp = default(name, d, float_width=64)
            base = 3 * seed
            m = measure(comp, d, seeds=(base,) if quick else (base, base + 1, base + 2),
                        input_seed=7 + seed)
            row_paper = compressor_paper(type(comp))
            for cname, c in m.constants.items():
                ok = c.valid and (c.attained or not c.tight_declared)
                kind = "tight" if c.tight_declared else "bound"
                accept = ((c.declared, c.declared) if c.tight_declared else
                          (c.declared, math.inf) if cname in LOWER_TYPE else
                          (-math.inf, c.declared))
                words, formula = CONSTANT_CLAIMS.get(cname, (cname, cname))
                tight_words = " (declared attained)" if c.tight_declared else ""
                yield CheckRow(f"compressor.{name}.{cname}[d={d}]", row_paper,
                               c.source.split(";")[0], c.status, kind, c.measured, c.declared,
                               c.ratio, "PASS" if ok else "FAIL",
                               f"{comp.canonical_name}; worst input: {c.argmax}; exact (from "
                               "the compressor's law), worst case over the adversarial and "
                               "extremal inputs",
                               accept=accept,
                               claim=f"{comp.canonical_name}: {words}{tight_words}",
                               formula=f"{formula} with {_SYMBOL.get(cname, cname)} = "
                                       f"{_num(c.declared)}, d = {d}",
                               seed=seed)
            total = m.contract_passed + m.contract_failed
            yield CheckRow(f"compressor.{name}.contract[d={d}]", row_paper,
                           "docs/compressors.md §5 (the contract)", "derived", "law",
                           float(m.contract_passed), float(total),
                           m.contract_passed / total if total else None,
                           "PASS" if m.contract_failed == 0 else "FAIL",
                           "; ".join(m.failures[:3]) or f"{total} contract checks",
                           accept=(float(total), float(total)),
                           claim=f"{comp.canonical_name} keeps its whole contract (codec round "
                                 "trips, bit budget, declared class identities) at every "
                                 "adversarial input",
                           formula="contract checks passed = contract checks run",
                           seed=seed)
            if progress:
                progress(f"compressor {name} [d={d}]")


def proof_rows(quick: bool, seed: int = 0, progress=None, paper=None, check=None):
    """The sympy checks of ``proofs_check/`` (symbolic: no random draw, so every seed gives
    the same rows, which say ``seed = None``)."""
    import importlib

    import proofs_check

    for c in proofs_check.run_all():
        module = c.name.split("::")[0]
        # each proof module names the paper whose claims it checks (its PAPER attribute)
        row_paper = getattr(importlib.import_module(f"proofs_check.{module}"), "PAPER",
                            "beznosikov2020")
        status = (c.status or "derived").split(";")[0].split()[0].lower()
        if c.finding:
            status += "+finding"
        yield CheckRow(f"proof.{c.name}", row_paper,
                       c.source, status, "law",
                       1.0 if c.passed else 0.0, 1.0, 1.0 if c.passed else 0.0, c.verdict,
                       (c.finding + " | " if c.finding else "") + c.detail, accept=(1.0, 1.0),
                       claim=f"the algebra of {c.name} holds symbolically (sympy)",
                       formula=c.detail.split(";")[0][:200], seed=None)
    if progress:
        progress("proofs")


# --------------------------------------------------------------------------- bits
#: encoder draws per input for the randomised compressors' bit counts (quick, full)
BITS_DRAWS = (200, 1000)


@dataclass
class BitsWorstCase:
    """The worst-case message length of a compressor over inputs AND randomness.

    ``observed``: the longest message seen (every input, ``draws`` encoder draws each for a
    randomised compressor); ``budget``: the declared worst case (``bits_budget``, maximum over
    the inputs); ``exceeded``: the budget is a lie (a message longer than it was seen).
    The worst case lies in ``[observed, budget]``; a deterministic compressor has ``observed``
    exact. ``rare_mass``: with probability >= 1 - p_fail a message longer than ``observed``
    has probability at most ``ln(1/p_fail)/draws`` per input (the rule of three's exact form)."""

    observed: int
    budget: int | None
    draws: int
    randomized: bool
    rare_mass: float | None

    @property
    def exceeded(self) -> bool:
        return self.budget is not None and self.observed > self.budget

    @property
    def interval(self) -> tuple:
        if not self.randomized:
            return (float(self.observed), float(self.observed))
        hi = math.inf if self.budget is None else float(max(self.budget, self.observed))
        return (float(self.observed), hi)


def bits_worst_case(comp, inputs, *, draws: int, seed: int = 0, p_fail: float = 1e-9):
    """:class:`BitsWorstCase` of ``comp`` over ``inputs`` (arrays it accepts)."""
    import numpy as np

    observed, budget = 0, None
    for i, x in enumerate(inputs):
        if comp.randomized:
            rng = np.random.default_rng([seed, x.size, i])
            for _ in range(draws):
                observed = max(observed, comp.encode(x, rng).nbits)
        else:
            observed = max(observed, comp.encode(x).nbits)
        try:
            b = int(comp.bits_budget(x))
        except NotImplementedError:
            b = None
        if b is not None:
            budget = b if budget is None else max(budget, b)
    rare = math.log(1.0 / p_fail) / draws if comp.randomized else None
    return BitsWorstCase(observed, budget, draws if comp.randomized else 1, comp.randomized, rare)


def bound_rows(quick: bool, seed: int = 0, progress=None, paper=None, check=None):
    """bits >= b_LB(alpha_hat, d) for every compressor's encoding without shared randomness.

    The claim is about the worst case over the inputs and the randomness, so the bits are
    :func:`bits_worst_case`: exact for a deterministic compressor; for a randomised one the
    interval [longest message seen in many draws, declared budget]. Verdict: PASS when the
    longest message seen reaches the bound (certain); FAIL when even the declared budget is
    below it, or when a message exceeds the declared budget (a false declaration); otherwise
    PASS resting on the declared budget (said in the details)."""
    from theorytools.bounds import worst_case_bits
    from theorytools.compressors import REGISTRY, default
    from theorytools.compressors.contract import adversarial_inputs, exact_quantities
    from theorytools.errors import TheorytoolsError

    draws = BITS_DRAWS[0] if quick else BITS_DRAWS[1]
    if paper and paper != "albasyoni2020":
        return
    for d in ((16,) if quick else (16, 100)):
        for name in REGISTRY:
            if not _compressor_selected(name, None, "bound", None, check):
                continue
            comp = default(name, d, float_width=32)
            theory = comp.theory(d)
            scale = None
            if theory.delta is not None:
                scale = 1.0
            elif theory.b2_beta is not None:
                scale = 1.0 / theory.b2_beta.value   # (1/beta) C in B3(beta/gamma), R5
            if scale is None:
                continue
            worst, accepted = 0.0, []
            for _, x in adversarial_inputs(d, seed=7 + seed):
                try:
                    comp.validate(x)
                except TheorytoolsError:
                    continue
                accepted.append(x)
                if not x.any() or not comp.in_domain(x):
                    continue
                q = exact_quantities(comp, x)
                # distortion of scale * C: E||sC - x||^2 = s^2 m2 - 2 s <EC,x> + ||x||^2
                dist = (scale * scale * q.second - 2 * scale * q.inner + q.norm2) / q.norm2
                worst = max(worst, dist)
            if not 0 < worst < 1:
                continue
            bound = worst_case_bits(worst, d)
            bw = bits_worst_case(comp, accepted, draws=draws, seed=seed)
            lo, hi = bw.interval
            how = (f"deterministic: {bw.observed} bits exact" if not bw.randomized else
                   f"randomised without shared seed: longest of {bw.draws} draws per input "
                   f"{bw.observed} bits, declared budget "
                   f"{'none' if bw.budget is None else bw.budget} bits; a longer message has "
                   f"probability <= {bw.rare_mass:.2g} per input (p_fail 1e-9)")
            if bw.exceeded:
                ok, why = False, f"a message of {bw.observed} bits exceeds the declared budget " \
                                 f"{bw.budget}"
            elif lo >= bound:
                ok, why = True, "the longest message seen reaches the bound"
            elif hi < bound:
                ok, why = False, "even the worst case allowed is below the bound"
            else:
                ok, why = True, ("holds by the declared worst-case budget (longest message "
                                 "seen below the bound: long messages are rare)")
            value = float(hi) if (bw.randomized and math.isfinite(hi) and not bw.exceeded) \
                else float(lo)
            yield CheckRow(f"bound.{name}.bits_vs_lower_bound[d={d}]", "albasyoni2020",
                           "Albasyoni et al. 2020, worst-case lower bound (docs/bounds.md, "
                           "worst-case bound; necessary condition)", "derived",
                           "bound", value, bound, value / bound if bound else None,
                           "PASS" if ok else "FAIL",
                           f"{why}; measured distortion {worst:.4g} after rescaling by "
                           f"{scale:.4g}; {how}",
                           interval=(lo, hi) if bw.randomized else None,
                           accept=(bound, math.inf),
                           claim=f"{comp.canonical_name} (worst-case distortion α̂ = "
                                 f"{_num(worst)}) sends, in the worst case over inputs and "
                                 f"randomness, at least the lower bound's bits",
                           formula=f"max bits ≥ b_LB(α̂, d) = −log₂ P(α̂, d), d = {d}",
                           seed=seed if bw.randomized else None)
            if progress:
                progress(f"bound {name} [d={d}]")


def _num(v) -> str:
    """A readable number (4 significant digits, integers as integers)."""
    from theorytools.report import fmt_number
    return fmt_number(v)


# --------------------------------------------------------------------------- theorems
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


def takes_seed(theorem) -> bool:
    """Whether a theorem's check function takes a ``seed`` keyword (then ``verify --seed``
    reaches its random draws; every built-in theorem's does)."""
    from theorytools.theory.registry import takes_seed as _takes
    return _takes(theorem.checks)


def theorem_rows(quick: bool, paper: str | None = None, check: str | None = None,
                 seed: int = 0, progress=None, keys=None):
    """The checks of every registered theorem (``theorytools.theory``); a check that raises
    is reported as a FAIL row, not swallowed. ``paper``/``check`` skip theorems that cannot
    yield a selected row (the rows are filtered again by the caller). ``seed`` is the run's
    seed S: each theorem draws with its own offset derived from (S, its key)
    (:func:`theorytools.theory.registry.derive_seed`); a row records S when its measurement
    depends on the draws (``Check.seeded``) and ``seed = None`` when it is exact (no random
    draw). The source and status of a row are its check's (by default its theorem's).
    ``keys``: only these theorems."""
    from theorytools.theory import theorems

    for th in theorems():
        if keys is not None and th.key not in keys:
            continue
        if not _theorem_selected(th.key, paper, check):
            continue
        claim, formula = th.title, th.statement
        try:
            results = th.run_checks(quick, seed=seed)
        except Exception as exc:  # a broken check must show up in the table
            yield CheckRow(f"theorem.{th.key}", th.paper, th.source, th.status, "law",
                           None, None, None, "FAIL", f"check raised {type(exc).__name__}: {exc}",
                           claim=claim, formula=formula, seed=seed if takes_seed(th) else None)
            if progress:
                progress(f"theorem {th.key}")
            continue
        for label, c in results:
            row = CheckRow(f"theorem.{th.key}.{label}", th.paper, c.source, c.status, c.kind,
                           c.empirical, c.theoretical, c.ratio, c.verdict, c.describe(),
                           interval=c.interval, accept=c.accept, claim=c.claim or claim,
                           formula=c.formula or formula, seed=seed if c.seeded else None)
            if c.extra.get("series"):   # curves for the report (theorytools.report.Series)
                row.series = c.extra["series"]
            yield row
        if progress:
            progress(f"theorem {th.key}")


SUITES = {"compressors": compressor_rows, "bounds": bound_rows, "proofs": proof_rows,
          "theorems": theorem_rows}
SUITE_PREFIX = {"compressors": "compressor.", "bounds": "bound.", "proofs": "proof.",
                "theorems": "theorem."}
#: measured wall time of each suite in quick mode (seconds, 2-core machine, 2026-12-02):
#: the weights of the progress lines' ETA
SUITE_SECONDS = {"compressors": 25.0, "bounds": 5.0, "proofs": 10.0, "theorems": 70.0}


# --------------------------------------------------------------------------- names
def check_catalogue(quick: bool = True) -> list:
    """Every check name known before running: the compressor, bound and proof rows by their
    full names (without the ``[d=...]`` suffix) and the theorems as ``theorem.<key>`` (their
    labels are known only once they run). Cheap: nothing is measured."""
    from theorytools.compressors import REGISTRY, default
    from theorytools.theory import theorems

    names = []
    d = compressor_dims(quick)[-1]
    for name in REGISTRY:
        try:
            consts = default(name, d, float_width=64).theory(d).constants()
        except Exception:  # noqa: BLE001 - a compressor that cannot be built still has a name
            consts = {}
        names += [f"compressor.{name}.{c}" for c in consts]
        names += [f"compressor.{name}.contract", f"bound.{name}.bits_vs_lower_bound"]
    try:
        import proofs_check
        names += [f"proof.{n}" for n in proofs_check.check_names()]
    except ImportError:
        pass
    names += [f"theorem.{th.key}" for th in theorems()]
    return names


def resolve_check(check: str | None, quick: bool = True) -> None:
    """Refuse a ``--check NAME`` that cannot select any row, before anything runs: NAME must
    be a substring of a known check name (:func:`check_catalogue`), or name a theorem's rows
    (``theorem.<key>.<label>``). The error lists the closest names ("did you mean")."""
    from theorytools.commands._common import did_you_mean
    from theorytools.errors import TheorytoolsError

    if not check:
        return
    names = check_catalogue(quick)
    if any(check in n for n in names) or any(check.startswith(n + ".") for n in names
                                             if n.startswith("theorem.")):
        return
    raise TheorytoolsError(f"--check {check!r} matches no check name"
                           + (did_you_mean(check, names) or
                              "; theorytools verify --list shows them"))


def resolve_paper(paper: str | None) -> None:
    """Refuse an unknown ``--paper`` key with the closest keys (the built-in papers and the
    papers of registered theorems, plugins included)."""
    from theorytools.commands._common import did_you_mean
    from theorytools.errors import TheorytoolsError

    if not paper or paper in PAPERS:
        return
    from theorytools.theory import theorems
    known = list(PAPERS) + sorted({t.paper for t in theorems()} - set(PAPERS))
    if paper not in known:
        raise TheorytoolsError(f"--paper {paper!r} is not a known paper"
                               + (did_you_mean(paper, known) or f"; known: {', '.join(known)}"))


def suites_for(check: str | None) -> list:
    """The suites a ``--check`` name can select rows from."""
    prefixes = [p for p in SUITE_PREFIX.values() if check and check.startswith(p)]
    return [s for s in SUITES if not prefixes or check.startswith(SUITE_PREFIX[s])]


def suite_rows(suite, quick, paper=None, check=None, seed=0, progress=None):
    """One suite's rows, filtered by ``paper`` and ``check`` (module level, so that a worker
    process can run it)."""
    rows = SUITES[suite](quick, paper=paper, check=check, seed=seed, progress=progress)
    return [r for r in rows
            if (not paper or r.paper == paper) and (not check or check in r.name)]


def run_checks(*, quick: bool = True, paper: str | None = None, check: str | None = None,
               seed: int = 0, progress=None, suite_done=None):
    """Every selected row. ``progress(unit)`` is called after each unit of work (a compressor
    at one d, a theorem, ...); ``suite_done(suite, rows)`` after each suite."""
    rows = []
    for suite in suites_for(check):
        mine = suite_rows(suite, quick, paper, check, seed, progress)
        rows += mine
        if suite_done:
            suite_done(suite, mine)
    return rows


# --------------------------------------------------------------------------- metadata
def run_metadata(*, quick: bool, seed: int, paper=None, check=None, jobs: int = 1) -> dict:
    """What a reader needs to reproduce the run: toolkit version, git commit (when the
    package sits in a git checkout), date, mode, seed, selection, Python/numpy/numba/scipy
    versions, machine."""
    import datetime
    import os
    import platform
    import subprocess

    import numpy

    import theorytools

    def version(mod):
        try:
            return __import__(mod).__version__
        except Exception:  # noqa: BLE001
            return None

    commit = None
    try:
        here = os.path.dirname(os.path.abspath(theorytools.__file__))
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            commit = out.stdout.strip()
            dirty = subprocess.run(["git", "-C", here, "status", "--porcelain",
                                    "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=5)
            if dirty.returncode == 0 and dirty.stdout.strip():
                commit += "+modified"
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "toolkit": f"theorytools {theorytools.__version__}",
        "git_commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "mode": "quick" if quick else "full",
        "seed": seed,
        "paper": paper, "check": check, "jobs": jobs,
        "python": platform.python_version(),
        "numpy": numpy.__version__, "numba": version("numba"), "scipy": version("scipy"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
                   f"{platform.node()}",
        "vacuous_below": VACUOUS_BELOW,
    }


def summarize(rows) -> dict:
    """Counts: overall and per paper, passed / vacuous / failed and by status."""
    def counts(rs):
        out = {"checks": len(rs), "passed": sum(r.status_label == "PASS" for r in rs),
               "vacuous": sum(r.status_label == "VACUOUS" for r in rs),
               "failed": sum(r.status_label == "FAIL" for r in rs), "by_status": {}}
        for r in rs:
            out["by_status"][r.status] = out["by_status"].get(r.status, 0) + 1
        return out

    papers = {}
    for r in rows:
        papers.setdefault(r.paper, []).append(r)
    return {"total": counts(rows),
            "papers": {p: counts(papers[p]) for p in sorted(papers, key=lambda k: (
                list(PAPERS).index(k) if k in PAPERS else len(PAPERS), k))}}


def order_rows(rows) -> list:
    """Failures first, then the rest in run order."""
    return [r for r in rows if r.verdict != "PASS"] + [r for r in rows if r.verdict == "PASS"]
