"""Errors and argument validation shared by every public function.

Every check raises :class:`TheorytoolsError` (a ``ValueError``) whose message names the
argument and shows the offending value, so that the CLI can print it as a one-line message.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["SEED_HIGH", "TheorytoolsError", "check_int", "check_real", "check_seed",
           "check_vector", "raise_if_not_finite"]


class TheorytoolsError(ValueError):
    """Bad input to a theorytools function; the message names the argument and the value."""


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_vector(x, name: str = "x", *, allow_empty: bool = False,
                 finite: bool = True) -> np.ndarray:
    """Return ``x`` as a finite 1-D float64 array, or raise naming ``name``.

    ``finite=False`` skips the finiteness test: only for callers whose next pass detects NaN
    and inf itself and then calls :func:`raise_if_not_finite` (fused kernels).
    """
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind not in "biuf":
        # complex (numpy would drop the imaginary part with a mere ComplexWarning), strings,
        # objects, datetimes: refused, naming the dtype
        raise TheorytoolsError(f"{name} must be a real vector, got dtype {np.dtype(dtype)}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TheorytoolsError(f"{name} must be a real vector, got {_short(x)}") from exc
    if arr.ndim != 1:
        raise TheorytoolsError(f"{name} must be a 1-D vector, got an array of shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise TheorytoolsError(f"{name} must not be empty")
    # a finite sum proves every entry finite (NaN and inf propagate); only when the sum is not
    # finite (an overflow, or a bad entry) is the element-wise test needed
    if finite and not np.isfinite(np.add.reduce(arr)):
        raise_if_not_finite(arr, name)
    return np.ascontiguousarray(arr)


def raise_if_not_finite(arr: np.ndarray, name: str = "x") -> None:
    """Raise naming the first NaN or infinite entry of ``arr``, if there is one."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise TheorytoolsError(f"{name} must be finite, but {name}[{bad}] = {float(arr[bad])!r}")


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]`` (either end optional), or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                and float(value).is_integer()):
            value = int(value)
        else:
            raise TheorytoolsError(f"{name} must be an integer, got {_short(value)}")
    value = int(value)
    if low is not None and value < low:
        raise TheorytoolsError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise TheorytoolsError(f"{name} must be <= {high}, got {value}")
    return value


def check_real(value, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite float in the stated interval, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TheorytoolsError(f"{name} must be a real number, got {_short(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise TheorytoolsError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise TheorytoolsError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise TheorytoolsError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


SEED_HIGH = 2 ** 64 - 1


def check_seed(seed, name: str = "seed", *, generator: bool = False):
    """Return ``seed`` as a Python int in :math:`[0, 2^{64})`, or raise naming ``name``.

    The one validator of seeds used by every entry point that takes one (simulators,
    problem and topology factories, compressors' ``rng``). Accepted: a Python or numpy
    integer (not a bool) in :math:`[0, 2^{64} - 1]`; with ``generator=True`` also a
    ``numpy.random.Generator``, returned as it is. Refused with a :class:`TheorytoolsError`
    naming the argument and the value: floats (even 1.0: a float seed is usually a slip, and
    1.5 must never silently equal 1), bools, strings, negative or too large integers, None.
    """
    if generator and isinstance(seed, np.random.Generator):
        return seed
    kinds = "an integer in [0, 2^64)" + (" or a numpy.random.Generator" if generator else "")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TheorytoolsError(f"{name} must be {kinds}, got {_short(seed)} "
                               f"({type(seed).__name__})")
    value = int(seed)
    if not 0 <= value <= SEED_HIGH:
        raise TheorytoolsError(f"{name} must be {kinds}, got {value}")
    return value
