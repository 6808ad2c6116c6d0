"""The theorem registry: each paper's claims as :class:`Theorem` objects with their checks.

``theorems()`` lists them, ``get(key)`` returns one, ``theorem.run_checks(quick)`` checks it;
``theorytools verify`` runs them all (suite ``theorems``). Adding a paper: write
``theorytools/theory/<paper>.py`` calling :func:`register` and import it below
(``docs/verify.md``, "Registering a theorem").
"""
__all__ = ["CONFIRMED", "DERIVED", "UNCONFIRMED", "REGISTRY", "Parameter", "Theorem", "get",
           "register", "theorems"]

from theorytools.theory.registry import (CONFIRMED, DERIVED, REGISTRY, UNCONFIRMED,  # noqa: F401
                                         Parameter, Theorem, get, register, theorems)
from theorytools.theory import beznosikov2020  # noqa: F401,E402
from theorytools.theory import albasyoni2020  # noqa: F401,E402
from theorytools.theory import tang2018  # noqa: F401,E402
from theorytools.theory import choco2020  # noqa: F401,E402
from theorytools.theory import graph_gap  # noqa: F401,E402
from theorytools.theory import stich2018  # noqa: F401,E402
