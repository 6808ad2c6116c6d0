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

    def _checks(th, quick, seed=0, **params):
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

__all__ = ["AUTHOR_POSTER", "CONFIRMED", "DERIVED", "ENTRY_POINT_GROUP", "REGISTRY", "SEED_UNIT",
           "STATUSES", "STATUS_MEANINGS", "UNCONFIRMED", "Parameter", "Theorem", "derive_seed",
           "get", "load_entry_points", "register", "takes_seed", "theorems"]

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
    checks : ``checks(theorem, quick, *, seed=0, **params)`` yielding ``(label, Check)``
        pairs; ``seed`` is this theorem's draw offset (:func:`derive_seed`: 0 at run seed 0),
        added to every seed the checks draw with.
    parameters : unconfirmed constants, name -> :class:`Parameter`; a user overrides them
        through ``run_checks(**params)``.
    hooks : the other keyword arguments the checks accept, name -> meaning: planted faults
        (a wrong formula, a wrong constant, a broken algorithm: a test passes one and asserts
        that a check FAILS) and configuration overrides. :meth:`run_checks` refuses any key
        that is neither a hook nor a parameter, naming it (a typo must not be ignored).
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
    hooks: dict = field(default_factory=dict)
    proof: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Theorem.status must be one of {STATUSES}, got {self.status!r}")
        if not self.key.startswith(self.paper + "."):
            raise ValueError(f"Theorem.key {self.key!r} must start with its paper "
                             f"{self.paper!r} and a dot")
        clash = set(self.hooks) & set(self.parameters)
        if clash or "seed" in self.hooks or "seed" in self.parameters:
            raise ValueError(f"Theorem {self.key!r}: hook names {sorted(clash | {'seed'})} "
                             "clash with a parameter or with the run's seed")

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

    def check_params(self, params) -> None:
        """Refuse a keyword that is neither a declared hook nor a parameter, naming it and
        the closest declared names."""
        known = set(self.hooks) | set(self.parameters)
        unknown = sorted(set(params) - known)
        if unknown:
            import difflib
            hints = [m for u in unknown for m in difflib.get_close_matches(u, known, 3, 0.6)]
            raise TheorytoolsError(
                f"{self.key}: unknown keyword argument(s) {', '.join(map(repr, unknown))}"
                + (f"; did you mean {', '.join(map(repr, dict.fromkeys(hints)))}?" if hints
                   else "")
                + f"; declared hooks: {', '.join(sorted(self.hooks)) or 'none'}; parameters: "
                + f"{', '.join(sorted(self.parameters)) or 'none'}")

    def run_checks(self, quick: bool = True, *, seed: int = 0, **params) -> list:
        """Run the checks: a list of ``(label, Check)``.

        ``params`` override parameters or set declared hooks (planted faults, configuration;
        :attr:`hooks`); any other key raises a TheorytoolsError naming it. ``seed`` is the
        run's seed S (``theorytools verify --seed``): the checks draw with the offset
        :func:`derive_seed` ``(S, key)`` added to each of their seeds (S = 0: the historical
        fixed seeds). Each result records the source and status of its theorem unless the
        check set its own, and whether it depends on the draws (``Check.seeded``)."""
        from theorytools.errors import check_seed

        self.check_params(params)
        seed = check_seed(seed, "seed")
        if takes_seed(self.checks):
            params["seed"] = derive_seed(seed, self.key)
        out = []
        for label, c in self.checks(self, quick, **params):
            if not c.source:
                c.source = self.source
            if not c.status:
                c.status = self.status
            if not c.name:
                c.name = f"theorem.{self.key}.{label}"
            out.append((label, c))
        return out

    def replace(self, **changes) -> "Theorem":
        """A copy with some fields changed (e.g. a planted wrong bound in a test)."""
        return dataclasses.replace(self, **changes)


def takes_seed(checks) -> bool:
    """Whether a check function takes a ``seed`` keyword (every built-in one does; a
    plugin's may not, and then its draws keep their own seeds)."""
    import inspect
    try:
        sig = inspect.signature(checks)
    except (TypeError, ValueError):
        return False
    return "seed" in sig.parameters


#: offsets of the draws of a run with seed S != 0 are multiples of 2^32, so that they never
#: meet the fixed seeds (< 2^32) the checks add them to
SEED_UNIT = 2 ** 32


def derive_seed(run_seed: int, name: str) -> int:
    r"""The draw offset of the check ``name`` in a run with seed ``run_seed``.

    .. math:: o(S, \text{name}) = 0 \text{ if } S = 0, \text{ else }
              (1 + h(S, \text{name}) \bmod 2^{30})\cdot 2^{32},

    with :math:`h` the first word of ``numpy.random.SeedSequence([S, crc32(name)])``. A check
    adds it to each seed it draws with: S = 0 keeps the historical fixed seeds (the default
    output does not move), another S gives every check its own streams, deterministic in
    (S, name), disjoint from the fixed ones and below 2^63 (safe in an int64 kernel argument).

    Parameters
    ----------
    run_seed : int
        The run's seed S (``theorytools verify --seed``), in [0, 2^64).
    name : str
        The check's name (a theorem key).

    Returns
    -------
    int
        The offset.
    """
    import zlib

    import numpy as np

    from theorytools.errors import check_seed

    run_seed = check_seed(run_seed, "run_seed")
    if run_seed == 0:
        return 0
    word = int(np.random.SeedSequence([run_seed, zlib.crc32(name.encode())])
               .generate_state(1, np.uint32)[0])
    return (1 + word % 2 ** 30) * SEED_UNIT


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
