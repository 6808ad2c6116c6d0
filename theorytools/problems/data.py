"""Real data without network: scikit-learn's bundled sets and an svmlight/LIBSVM loader.

* :func:`breast_cancer_logistic`: Wisconsin breast cancer (569 x 30, bundled with
  scikit-learn), features standardised (z-scores), labels benign +1 / malignant -1.
* :func:`diabetes_ridge`: diabetes (442 x 10, bundled), features and target standardised.
* :func:`load_svmlight`: our own parser of ``label idx:val idx:val ...`` lines (1-based,
  strictly increasing indices, ``#`` starts a comment, ``qid:`` tokens ignored); every error
  names the file and line. :func:`svmlight_problem` turns a file into a problem;
  :func:`bundled_svmlight_path` is the small file shipped with theorytools (``small.svm``).
"""
from __future__ import annotations

import math
import os

import numpy as np

from theorytools.errors import TheorytoolsError, check_int
from theorytools.problems.base import Problem
from theorytools.problems.logistic import logistic
from theorytools.problems.quadratic import ridge


def standardise(X: np.ndarray) -> np.ndarray:
    """Columns to mean 0 and standard deviation 1 (constant columns to 0)."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def breast_cancer_logistic(n, lam=1e-2, *, batch=None, sigma=0.0, split="contiguous",
                           seed=0) -> Problem:
    """Logistic regression on scikit-learn's breast cancer data, split over ``n`` nodes."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    labels = np.where(data.target == 1, 1.0, -1.0)
    return logistic(standardise(data.data), labels, n, lam, batch=batch, sigma=sigma,
                    split=split, seed=seed, name="breast_cancer_logistic")


def diabetes_ridge(n, lam=1e-2, *, batch=None, sigma=0.0, split="contiguous",
                   seed=0) -> Problem:
    """Ridge regression on scikit-learn's diabetes data, split over ``n`` nodes."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    target = standardise(data.target[:, None])[:, 0]
    return ridge(standardise(data.data), target, n, lam, batch=batch, sigma=sigma,
                 split=split, seed=seed, name="diabetes_ridge")


def bundled_svmlight_path() -> str:
    """Path of ``theorytools/data/small.svm`` (60 rows, 8 features, labels +-1)."""
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "small.svm")


def _parse_number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TheorytoolsError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise TheorytoolsError(f"{where}: {what} must be finite, got {text!r}")
    return value


def load_svmlight(path, n_features=None):
    """Read an svmlight/LIBSVM file: returns dense ``X`` (N, d) and labels ``y`` (N,).

    ``d`` is the largest index, or ``n_features`` if given (an index above it is an error).
    Blank and comment-only lines are skipped. Errors name ``path:line``.
    """
    path = os.fspath(path)
    if n_features is not None:
        n_features = check_int(n_features, "n_features", low=1)
    labels, rows = [], []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise TheorytoolsError(f"path {path!r} cannot be read: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            tokens = line.split("#", 1)[0].split()
            if not tokens:
                continue
            labels.append(_parse_number(tokens[0], "label", where))
            entries, last = {}, 0
            for token in tokens[1:]:
                key, sep, value = token.partition(":")
                if not sep:
                    raise TheorytoolsError(f"{where}: expected index:value, got {token!r}")
                if key == "qid":
                    continue
                if not key.isdigit():
                    raise TheorytoolsError(f"{where}: index {key!r} is not a positive integer")
                index = int(key)
                if index < 1:
                    raise TheorytoolsError(f"{where}: indices are 1-based, got {index}")
                if index <= last:
                    raise TheorytoolsError(
                        f"{where}: indices must increase strictly, got {index} after {last}")
                if n_features is not None and index > n_features:
                    raise TheorytoolsError(
                        f"{where}: index {index} exceeds n_features = {n_features}")
                entries[index] = _parse_number(value, f"value of index {index}", where)
                last = index
            rows.append(entries)
    if not rows:
        raise TheorytoolsError(f"path {path!r} holds no data lines")
    d = n_features or max((max(r) for r in rows if r), default=0)
    if d == 0:
        raise TheorytoolsError(f"path {path!r} has no features")
    X = np.zeros((len(rows), d))
    for r, entries in enumerate(rows):
        for index, value in entries.items():
            X[r, index - 1] = value
    return X, np.array(labels)


def svmlight_problem(path, n, lam=1e-2, *, kind="logistic", batch=None, sigma=0.0,
                     split="contiguous", seed=0, n_features=None) -> Problem:
    """A logistic (labels must be +-1; 0/1 are mapped to -1/+1) or ridge problem from a file."""
    X, y = load_svmlight(path, n_features)
    name = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    if kind == "logistic":
        if set(np.unique(y)) <= {0.0, 1.0}:
            y = 2.0 * y - 1.0
        return logistic(X, y, n, lam, batch=batch, sigma=sigma, split=split, seed=seed,
                        name=f"svmlight:{name}")
    if kind == "ridge":
        return ridge(X, y, n, lam, batch=batch, sigma=sigma, split=split, seed=seed,
                     name=f"svmlight:{name}")
    raise TheorytoolsError(f"kind must be 'logistic' or 'ridge', got {kind!r}")
