r"""Theorem objects and the REGISTRY (PEPit's pattern: the theory travels with the algorithm).

A :class:`Theorem` says what a paper (or this toolkit) claims about an algorithm or a
compressor: its assumptions, its admissible hyper-parameters, its bound as a function of the
problem constants, its source and status, and how it is checked numerically. Register one
with :func:`register`; ``theorytools verify`` (suite ``theorems``) runs every registered check.

Status (P1/P2 abstracts (docs/sources.md#papers)), strongest first: ``confirmed`` = read in the paper;
``author-poster`` = stated on the authors' own conference poster of the paper (the authors'
summary, not the paper: ranked below ``confirmed``; asserted only where our own derivation
agrees, see ``docs/theorems.md``, "The theorem registry"); ``derived`` = derived here with a
proof check in ``proofs_check/`` or a test; ``unconfirmed`` = a plausible reading of the paper. An
unconfirmed constant is never asserted as the paper's: it is a :class:`Parameter` whose
default is the derived value (or, where none exists, a value chosen here, said so).

Minimal example (see ``docs/verify.md`` for the full template)::

    from theorytools import check
    from theorytools.theory.registry import Theorem, register

    def _checks(th, quick, **params):
        eta = 0.1
        th.require_admissible(eta=eta, L=1.0)
        yield "one_step", check.bound(0.5, th.bound(eta=eta, mu=1.0, L=1.0))

    register(Theorem(
        key="mypaper.gd_rate", paper="mypaper", title="GD contracts",
        source="Paper, Theorem 1", status="derived", statement="F+ <= (1 - eta mu) F",
        assumptions=("L-smooth", "mu-PL"), algorithm="theorytools.algorithms.cgd",
        bound=lambda eta, mu, L: 1 - eta * mu,
        admissible=lambda eta, L: [] if 0 < eta <= 1 / L else ["0 < eta <= 1/L"],
        checks=_checks, proof="proofs_check/cgd_contraction.py::t_b3_contraction"))
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from theorytools.errors import TheorytoolsError

CONFIRMED = "confirmed"
AUTHOR_POSTER = "author-poster"
DERIVED = "derived"
UNCONFIRMED = "unconfirmed"
#: Provenance statuses, strongest first (``author-poster`` sits between ``confirmed`` and
#: ``derived``).
STATUSES = (CONFIRMED, AUTHOR_POSTER, DERIVED, UNCONFIRMED)
#: One line per status, for ``theorytools verify --list`` and the reports.
STATUS_MEANINGS = {
    CONFIRMED: "read in the paper's own text",
    AUTHOR_POSTER: "on the authors' own conference poster of the paper (below the paper, "
                   "above our derivations; asserted where our derivation agrees)",
    DERIVED: "derived here, with a proof check (proofs_check/) or a test",
    UNCONFIRMED: "a plausible reading of the paper; only ever a parameter",
}


@dataclass(frozen=True)
class Parameter:
    """A constant a theorem depends on whose printed value is not confirmed.

    ``value`` is the default used by the checks (the derived value where one exists),
    ``status`` its provenance, ``note`` where in the paper it is to be confirmed."""

    value: float
    status: str
    note: str

    def __post_init__(self):
        if self.status not in STATUSES + ("chosen",):
            raise ValueError(f"Parameter.status must be one of {STATUSES + ('chosen',)}")


@dataclass(frozen=True)
class Theorem:
    """One registered claim.

    Attributes
    ----------
    key : ``"<paper>.<name>"``, e.g. ``"beznosikov2020.cgd_b3"``; check rows are named
        ``theorem.<key>.<label>``.
    paper : a key of :data:`theorytools.verify.PAPERS`.
    title, statement : a one-line title and the bound as text/LaTeX.
    source : the paper's theorem or equation and the docs/sources.md topic.
    status : ``confirmed`` / ``author-poster`` / ``derived`` / ``unconfirmed`` (see module
        docstring).
    assumptions : problem constants and compressor class the claim needs.
    algorithm : dotted name of the algorithm or compressor it speaks of.
    bound : function of the constants (keyword arguments) returning the theoretical value.
    admissible : function of the hyper-parameters and constants returning the list of
        violated conditions (empty = admissible); :meth:`require_admissible` refuses a run
        outside them.
    checks : ``checks(theorem, quick, **params)`` yielding ``(label, Check)`` pairs.
    parameters : unconfirmed constants, name -> :class:`Parameter`; a user overrides them
        through ``run_checks(**params)``.
    proof : the proof check(s) a derived theorem rests on (``proofs_check/...::...``).
    """

    key: str
    paper: str
    title: str
    source: str
    status: str
    statement: str
    checks: Callable
    assumptions: tuple = ()
    algorithm: str = ""
    bound: Callable | None = None
    admissible: Callable | None = None
    parameters: dict = field(default_factory=dict)
    proof: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Theorem.status must be one of {STATUSES}, got {self.status!r}")
        if not self.key.startswith(self.paper + "."):
            raise ValueError(f"Theorem.key {self.key!r} must start with its paper "
                             f"{self.paper!r} and a dot")

    def violations(self, **hyper) -> list:
        """The admissibility conditions ``hyper`` violates (empty when admissible)."""
        return [] if self.admissible is None else list(self.admissible(**hyper))

    def require_admissible(self, force: bool = False, **hyper) -> list:
        """Refuse a run outside the theorem's admissible hyper-parameters; with
        ``force=True`` the run is allowed and the violated conditions are returned (for the
        report: a forced run says so)."""
        bad = self.violations(**hyper)
        if bad and not force:
            raise TheorytoolsError(f"{self.key}: hyper-parameters {hyper} outside the "
                                   f"theorem's conditions: {'; '.join(bad)}")
        return bad

    def parameter_values(self, **overrides) -> dict:
        """The parameters' values, defaults replaced by ``overrides``."""
        unknown = set(overrides) - set(self.parameters)
        if unknown:
            raise TheorytoolsError(f"{self.key}: unknown parameter(s) {sorted(unknown)}; "
                                   f"known: {sorted(self.parameters)}")
        out = {k: p.value for k, p in self.parameters.items()}
        out.update(overrides)
        return out

    def run_checks(self, quick: bool = True, **params) -> list:
        """Run the checks: a list of ``(label, Check)``; ``params`` override parameters and
        reach the check function (e.g. a list of compressors, a planted fault)."""
        return list(self.checks(self, quick, **params))

    def replace(self, **changes) -> "Theorem":
        """A copy with some fields changed (e.g. a planted wrong bound in a test)."""
        return dataclasses.replace(self, **changes)


REGISTRY: dict = {}


def register(theorem: Theorem) -> Theorem:
    """Add ``theorem`` to :data:`REGISTRY` (its key must be new).

    Parameters
    ----------
    theorem : Theorem
        The claim, its bound, admissibility, checks and source.

    Returns
    -------
    Theorem
        The same object (so a module can write ``X = register(Theorem(...))``).

    References
    ----------
    docs/theorems.md, docs/verify.md ("Registering a theorem").
    """
    if theorem.key in REGISTRY:
        raise ValueError(f"theorem {theorem.key!r} is already registered")
    REGISTRY[theorem.key] = theorem
    return theorem


def get(key: str) -> Theorem:
    """The registered theorem ``key`` (e.g. ``"stich2018.theorem_2_2"``).

    Parameters
    ----------
    key : str
        ``"<paper>.<name>"``.

    Returns
    -------
    Theorem
        Its statement, bound, source and checks (``run_checks(quick)``).

    References
    ----------
    docs/theorems.md (the table of theorems, with the paper's theorem or equation).
    """
    _load()
    try:
        return REGISTRY[key]
    except KeyError:
        raise TheorytoolsError(f"unknown theorem {key!r}; known: {', '.join(REGISTRY)}") from None


def theorems(paper: str | None = None) -> list:
    """Every registered theorem, or those of one paper.

    Parameters
    ----------
    paper : str or None, optional
        A paper key (``"tang2018"``, ``"beznosikov2020"``, ``"albasyoni2020"``,
        ``"stich2018"``); None for all.

    Returns
    -------
    list of Theorem
        In registration order.

    References
    ----------
    docs/theorems.md.
    """
    _load()
    return [t for t in REGISTRY.values() if paper is None or t.paper == paper]


ENTRY_POINT_GROUP = "theorytools.theorems"
_plugins_loaded = False


def _load():
    import theorytools.theory  # noqa: F401  (imports the paper modules, which register)
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        load_entry_points()


def load_entry_points() -> list:
    """Load the theorems of installed packages: each entry point of the group
    ``theorytools.theorems`` names a module that registers its :class:`Theorem` objects when
    imported (or a function that does so when called, or a Theorem). Returns the names loaded;
    a broken plugin raises a TheorytoolsError naming it."""
    from theorytools._plugins import entry_point_objects

    loaded = []
    for name, obj in entry_point_objects(ENTRY_POINT_GROUP, "theorem"):
        if isinstance(obj, Theorem):
            if obj.key not in REGISTRY:
                register(obj)
        elif callable(obj):
            obj()
        loaded.append(name)
    return loaded
