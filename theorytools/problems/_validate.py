"""Argument checks shared by the problem factories (private)."""
from __future__ import annotations

import math

import numpy as np

from theorytools.errors import TheorytoolsError, check_int, check_real, check_seed
from theorytools.problems.base import Noise

SPLITS = ("contiguous", "random", "sorted", "replicated")


def check_array(value, name: str, ndim: int) -> np.ndarray:
    """``value`` as a finite float64 array with ``ndim`` dimensions, or raise naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TheorytoolsError(f"{name} must be a real array, got {type(value).__name__}") from exc
    if arr.ndim != ndim:
        raise TheorytoolsError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise TheorytoolsError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
        raise TheorytoolsError(f"{name} must be finite, but {name}{list(bad)} = {float(arr[bad])!r}")
    return np.ascontiguousarray(arr)


def check_noise(batch, sigma, m: int | None) -> Noise:
    """The noise model from the factory keywords (``batch`` and ``sigma`` are exclusive)."""
    sigma = check_real(sigma, "sigma", low=0.0)
    if batch is not None:
        if m is None:
            raise TheorytoolsError("batch requires per-sample data; this problem has none")
        batch = check_int(batch, "batch", low=1)
        if sigma > 0.0:
            raise TheorytoolsError(
                f"give either batch (sampling noise) or sigma (additive noise), got batch={batch}"
                f" and sigma={sigma!r}")
        return Noise("sampling", 0.0, batch)
    if sigma > 0.0:
        return Noise("additive", sigma, 0)
    return Noise("none", 0.0, 0)


def split_rows(X: np.ndarray, y: np.ndarray, n, split: str, seed, *, xname="X", yname="y"):
    """Split rows of ``X``, ``y`` over ``n`` nodes: (n, m, d), (n, m), number dropped.

    ``m = N // n`` rows per node; the last ``N mod n`` rows (after ordering) are dropped, so
    every node holds the same number of samples. ``contiguous`` keeps the file order,
    ``random`` permutes with ``seed``, ``sorted`` orders by ``y`` (maximally heterogeneous).
    ``replicated`` gives EVERY node all N rows (m = N; Stich's identical-data setting, where
    every worker samples from the same data set: heterogeneity exactly 0).
    """
    seed = check_seed(seed)
    if X.shape[0] != y.shape[0]:
        raise TheorytoolsError(
            f"{xname} and {yname} must have the same number of rows, got {X.shape[0]} and "
            f"{y.shape[0]}")
    N = X.shape[0]
    if split not in SPLITS:
        raise TheorytoolsError(f"split must be one of {SPLITS}, got {split!r}")
    if split == "replicated":
        n = check_int(n, "n", low=1)
        return (np.ascontiguousarray(np.broadcast_to(X, (n,) + X.shape)),
                np.ascontiguousarray(np.broadcast_to(y, (n,) + y.shape)), 0)
    n = check_int(n, "n", low=1, high=N)
    if split == "random":
        order = np.random.Generator(np.random.PCG64(seed)).permutation(N)
    elif split == "sorted":
        order = np.argsort(y, kind="stable")
    else:
        order = np.arange(N)
    m = N // n
    order = order[: n * m]
    return (np.ascontiguousarray(X[order].reshape(n, m, X.shape[1])),
            np.ascontiguousarray(y[order].reshape(n, m)), N - n * m)


