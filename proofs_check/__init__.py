"""Mechanical checks of the algebra behind the registered theorems.

Each topic module holds small functions, each checking one step a theorem rests on --
symbolically with sympy where possible, else by exact rational arithmetic or high-precision
interval-style evaluation -- and returning a :class:`~proofs_check._framework.Check` record
(``name``, ``verdict`` "PASS"/"FAIL", ``detail``). A theorem whose status is "derived here"
cites its check as ``proofs_check/<module>.py::<function>``.

Modules
-------
compressor_constants : second moments and worst cases of the compressors (compressor table (docs/sources.md#table)).
class_relations      : relations R1-R8 between U, B1, B2, B3 (class relations R1-R8 (docs/sources.md#relations)).
cgd_contraction      : one-step contraction of compressed GD under B1, B2, B3 (P1 CGD rates (docs/sources.md#cgd)).
divergence_example   : the 3-node Top-1 counterexample (P1 divergence example (docs/sources.md#divergence)) and the EF virtual iterate (P1 EF-SGD theorem (docs/sources.md#ef)).
ecd_error            : ECD-PSGD's estimation-error recursion (Tang et al. 2018, Algorithm 2 (ECD-PSGD) (docs/sources.md#tang); derived ECD error (docs/sources.md#derived)).
stich_local_sgd      : Stich's Theorem 2.2 for local SGD (Stich 2019, Theorem 2.2 (docs/sources.md#local-sgd)).
lower_bounds         : cap measure P(alpha, d), its expansion, and D_cap (P2 lower bounds (docs/sources.md#lower-bounds)).
poster_slips         : the two slips on P1's poster, each refuted by a counterexample.

Usage
-----
>>> from proofs_check import run_all
>>> all(check.verdict == "PASS" for check in run_all())
True

Planted errors: ``run_all(planted={"compressor_constants::natural_compression":
{"worst_ratio": sympy.Rational(10, 9)}})`` runs that check with a changed coefficient.
"""
from __future__ import annotations

import importlib

from proofs_check._framework import REGISTRY, Check, run_module

__all__ = ["MODULES", "Check", "run_all", "run_module", "check_names", "load"]

#: the topic modules, in reporting order
MODULES = (
    "compressor_constants",
    "class_relations",
    "cgd_contraction",
    "divergence_example",
    "ecd_error",
    "stich_local_sgd",
    "lower_bounds",
    "poster_slips",
)


def load() -> None:
    """Import every topic module, which registers its checks."""
    for module in MODULES:
        importlib.import_module(f"proofs_check.{module}")


def check_names() -> list[str]:
    """Names ``"<module>::<function>"`` of every registered check, in reporting order."""
    load()
    return [name for module in MODULES for name, entry in REGISTRY.items()
            if entry.module == module]


def run_all(planted: dict | None = None, only=None) -> list[Check]:
    """Run every check and return the records.

    Parameters
    ----------
    planted : dict, optional
        ``{check_name: {coefficient: value}}``: run those checks with changed coefficients
        (a planted error must turn PASS into FAIL).
    only : iterable of str, optional
        Restrict to checks whose name, function name or module name is listed.
    """
    load()
    wanted = set(only) if only else None
    results = []
    for module in MODULES:
        for name, entry in REGISTRY.items():
            if entry.module != module:
                continue
            if wanted is not None and not wanted & {name, name.split("::")[1], module}:
                continue
            results.append(entry.function(**(planted or {}).get(name, {})))
    return results

