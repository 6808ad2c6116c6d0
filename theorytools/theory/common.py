r"""Helpers shared by the paper modules of :mod:`theorytools.theory` (one copy each).

* :func:`cached_runs` -- memoised simulator runs (a planted-fault test that repeats a
  configuration reuses them);
* :func:`t_one_sided_check` -- a ``bound`` check on the mean of replicate values with a
  one-sided Student-t confidence bound (for replicates with no a-priori range);
* :func:`run_seeds` -- the seeds a check draws with in a run (``theorytools verify --seed``);
* :func:`seeded` -- mark a result as depending on the run's draws.

The curves for the report are :class:`theorytools.report.Series` / :class:`~theorytools.report.
Curve` (with :func:`theorytools.report.thin` and :func:`theorytools.check.t_band`).
"""
from __future__ import annotations

from theorytools import check

__all__ = ["BOUND_SCALE_HOOK", "cached_runs", "check_bound_scale", "run_seeds", "scaled_bound",
           "seeded", "t_one_sided_check"]

_RUN_CACHE: dict = {}
#: at most this many configurations are kept by :func:`cached_runs`
CACHE_SIZE = 32


def cached_runs(key, make):
    """``make()``, memoised under ``key`` (a hashable description of the configuration,
    including its seeds: the runs are deterministic). At most :data:`CACHE_SIZE`
    configurations are kept (the oldest is dropped first).

    Parameters
    ----------
    key : hashable
        The configuration (algorithm, sizes, seeds, ...).
    make : callable
        Runs it; called once per key.

    Returns
    -------
    object
        ``make()``'s value.
    """
    if key not in _RUN_CACHE:
        if len(_RUN_CACHE) >= CACHE_SIZE:
            _RUN_CACHE.pop(next(iter(_RUN_CACHE)))
        _RUN_CACHE[key] = make()
    return _RUN_CACHE[key]


def t_one_sided_check(values, theoretical, *, lower, level=1.0 - check.P_FAIL, details=""):
    r"""``bound`` on the mean of replicate values with a ONE-sided Student-t confidence bound
    at ``level`` (``check.bound(method="t")``):

    .. math:: \bar v \mp t_{r-1,\,\text{level}}\, s/\sqrt r \;\gtrless\; b,

    for replicates that are averages of many steps, where the quantity has no a-priori range
    so Hoeffding/Bernstein do not apply (approximate: it assumes near-Gaussian replicates).

    Parameters
    ----------
    values : array_like
        One value per seed.
    theoretical : float
        The bound b.
    lower : bool
        A lower bound (the mean must be at least b).
    level : float, optional
        One-sided confidence level (default 1 - 1e-9).
    details : str, optional
        Text for the report.

    Returns
    -------
    theorytools.check.Check
        Kind ``bound``.
    """
    return check.bound(None, theoretical, lower=lower, rtol=0.0, samples=values,
                       p_fail=1.0 - level, method="t", details=details)


def run_seeds(seed: int, count: int, start: int = 0) -> range:
    """The seeds ``seed + start, ..., seed + start + count - 1``: a check's replicates in a
    run whose draw offset is ``seed`` (:func:`theorytools.theory.registry.derive_seed`; 0 at
    the default run seed, so the replicates are ``start, start + 1, ...``)."""
    return range(seed + start, seed + start + count)


def seeded(result, flag: bool = True):
    """Mark ``result`` (a :class:`theorytools.check.Check`) as depending on the run's random
    draws (``theorytools verify`` records the run's seed on its row); returns it."""
    result.seeded = bool(flag)
    return result


#: the meaning of the ``bound_scale`` planted-fault hook, declared by every theorem whose
#: checks accept it (``Theorem.hooks``; tests/test_constant_flips.py, docs/theorems.md,
#: "Does a 2x wrong constant flip a verdict?")
BOUND_SCALE_HOOK = ("planted fault: the theorem's bound multiplied by this factor (1/2 for an "
                    "upper bound, 2 for a lower bound: a constant 2x too tight)")


def check_bound_scale(scale) -> float:
    """The ``bound_scale`` hook's value as a float; a TheorytoolsError naming it unless it is
    a finite number > 0."""
    import math

    from theorytools.errors import TheorytoolsError

    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise TheorytoolsError(f"bound_scale must be a number > 0, got {scale!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise TheorytoolsError(f"bound_scale must be a finite number > 0, got {scale!r}")
    return value


def scaled_bound(theorem, scale: float = 1.0):
    r"""``theorem`` with its bound multiplied by ``scale`` (the ``bound_scale`` planted fault).

    .. math:: b_{\text{planted}}(\cdot) = s\, b(\cdot)

    Parameters
    ----------
    theorem : theorytools.theory.registry.Theorem
        The theorem whose ``bound`` the checks evaluate.
    scale : float
        The factor s > 0 (1: the theorem unchanged).

    Returns
    -------
    Theorem
        ``theorem`` itself at s = 1, else a copy whose ``bound`` is s times the original.
    """
    scale = check_bound_scale(scale)
    if scale == 1.0 or theorem.bound is None:
        return theorem
    original = theorem.bound
    return theorem.replace(bound=lambda *a, **k: scale * original(*a, **k))
