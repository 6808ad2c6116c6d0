"""The theorem registry: each paper's claims as :class:`Theorem` objects with their checks.

``theorems()`` lists them, ``get(key)`` returns one, ``theorem.run_checks(quick)`` checks it;
``theorytools verify`` runs them all (suite ``theorems``). Adding a paper or a theorem: write
``theorytools/theory/<paper>.py`` calling :func:`register` (and its test); every module of this
package is imported here, the built-in papers first in :data:`BUILTIN` order, then any other
module in name order (``docs/theorems.md``, "How to add a theorem").
"""
import importlib
import pkgutil

__all__ = ["BUILTIN", "CONFIRMED", "DERIVED", "UNCONFIRMED", "REGISTRY", "Parameter", "Theorem",
           "derive_seed", "get", "register", "theorems"]

from theorytools.theory.registry import (CONFIRMED, DERIVED, REGISTRY, UNCONFIRMED,  # noqa: F401
                                         Parameter, Theorem, derive_seed, get, register,
                                         theorems)

#: the built-in paper modules, in the order their rows appear in ``theorytools verify``
BUILTIN = ("beznosikov2020", "albasyoni2020", "tang2018", "choco2020", "graph_gap", "stich2018")
#: modules of this package that hold no theorems
_HELPERS = {"registry", "common"}


def _import_all():
    for name in BUILTIN:
        importlib.import_module(f"{__name__}.{name}")
    others = sorted(m.name for m in pkgutil.iter_modules(__path__)
                    if m.name not in BUILTIN and m.name not in _HELPERS
                    and not m.name.startswith("_"))
    for name in others:
        importlib.import_module(f"{__name__}.{name}")


_import_all()
