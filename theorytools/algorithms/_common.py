"""Validation and setup shared by the algorithm wrappers."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Union

import numpy as np

from theorytools.algorithms.trace import schedule
from theorytools.errors import TheorytoolsError, _short, check_int, check_real, check_seed


#: What a step-size argument accepts: a positive real, a sequence of T positive reals, or a
#: callable ``t -> gamma_t`` of the iteration index (see :func:`step_schedule`).
StepSizes = Union[float, Sequence[float], Callable[[int], float]]


class AssumptionWarning(UserWarning):
    """A run outside a theorem's assumptions (e.g. a biased compressor in DCD-PSGD).

    Turn it into an error with ``warnings.simplefilter("error", AssumptionWarning)``.
    """


def check_run(problem, gamma, T, record, *, topology=None, x0=None, seed=0):
    check_seed(seed)
    gamma = check_real(gamma, "gamma", low=0.0, low_open=True)
    T = check_int(T, "T", low=0)
    if topology is not None and topology.n != problem.n:
        raise TheorytoolsError(f"topology has n={topology.n} nodes but the problem has "
                               f"n={problem.n}")
    if x0 is None:
        x0 = np.zeros(problem.d)
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (problem.d,) or not np.all(np.isfinite(x0)):
        raise TheorytoolsError(f"x0 must be a finite vector of dimension d={problem.d}, "
                               f"got shape {x0.shape}")
    if record is None:                  # no trace point: no loss evaluation at all
        return gamma, T, x0, np.zeros(0, np.int64)
    record_at = record if isinstance(record, np.ndarray) else schedule(T, record)
    record_at = np.asarray(record_at, dtype=np.int64)
    if record_at.ndim != 1 or record_at.size == 0 or np.any(np.diff(record_at) <= 0) or \
            record_at[0] < 0 or record_at[-1] > T:
        raise TheorytoolsError("record must be 'log', 'every', 'final', None or increasing "
                               f"steps within [0, T = {T}], got {_short(record)}")
    return gamma, T, x0, record_at


def step_schedule(stepsize, T, name="gamma", t0=0):
    r"""Step sizes for T steps as a float64 array.

    ``stepsize`` is a positive real (constant steps :math:`\gamma_t = \gamma`), a 1-D sequence
    of T finite positive step sizes :math:`\gamma_{t_0}, \dots, \gamma_{t_0+T-1}` (a schedule,
    e.g. decreasing), or a callable ``t -> step`` evaluated here once per step at the absolute
    iteration index :math:`t = t_0, \dots, t_0 + T - 1` (so a run continued from step
    :math:`t_0` keeps its schedule). Every step must be finite and > 0; an error names
    ``name[t]`` and the value.
    """
    if callable(stepsize):
        steps = np.empty(T, dtype=np.float64)
        for k in range(T):
            t = t0 + k
            try:
                v = stepsize(t)
                steps[k] = float(v)
            except Exception as exc:      # any failure of the user's callable, named
                raise TheorytoolsError(f"{name}[{t}] = {name}({t}) must return a real number, "
                                       f"got {type(exc).__name__}: {exc}") from exc
            if not (math.isfinite(steps[k]) and steps[k] > 0):
                raise TheorytoolsError(f"{name}[{t}] = {name}({t}) must be finite and > 0, got "
                                       f"{_short(v)}")
        return steps
    if isinstance(stepsize, (list, tuple, np.ndarray)):
        try:
            steps = np.array(stepsize, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise TheorytoolsError(f"{name}: a schedule must hold real numbers, got "
                                   f"{_short(stepsize)}") from exc
        if steps.size != T:
            raise TheorytoolsError(f"{name}: a schedule needs T = {T} step sizes, got "
                                   f"{steps.size}")
        bad = ~np.isfinite(steps) | (steps <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise TheorytoolsError(f"{name}[{i}] must be finite and > 0, got {steps[i]}")
        return steps
    return np.full(T, check_real(stepsize, name, low=0.0, low_open=True))


def schedule_meta(stepsize, steps):
    """What a trace records as ``meta["gamma"]``: the float given, else the steps used."""
    if callable(stepsize) or isinstance(stepsize, (list, tuple, np.ndarray)):
        return steps.copy()
    return float(steps[0]) if steps.size else float(check_real(stepsize, "gamma", low=0.0,
                                                                 low_open=True))


def check_compressor(compressor, algorithm: str):
    """The compressor argument of a compressed algorithm: a compressor, or a spec string
    (``"natural"``, ``"top_k[k=10]"``) built with :func:`theorytools.compressors.create`.

    ``None`` is refused: it used to run uncompressed and report 0 bits sent, a silently wrong
    bit count. For uncompressed messages with their real bit count pass ``"identity"``
    (64-bit floats) or use ``dpsgd`` / ``minibatch_sgd`` (``float_bits`` per coordinate)."""
    from theorytools.compressors import Compressor, create

    if isinstance(compressor, Compressor):
        return compressor
    if isinstance(compressor, str):
        return create(compressor)
    if compressor is None:
        raise TheorytoolsError(
            f"{algorithm}: compressor is None; pass a compressor or a spec string (e.g. "
            "'identity' for uncompressed messages with their real bit count)")
    raise TheorytoolsError(f"{algorithm}: compressor must be a Compressor or a spec string such "
                           f"as 'top_k[k=10]', got {type(compressor).__name__} {compressor!r}")


def warn_unless_unbiased(compressor, algorithm, d=2):
    if compressor is not None and not compressor.theory(d).unbiased:
        warnings.warn(f"{algorithm}: {compressor.canonical_name} is biased; the theory of "
                      f"{algorithm} (Tang et al. 2018) assumes unbiased compression",
                      AssumptionWarning, stacklevel=3)
