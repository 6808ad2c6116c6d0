"""Real data without network: scikit-learn's bundled sets and an svmlight/LIBSVM loader.

* :func:`breast_cancer_logistic`: Wisconsin breast cancer (569 x 30, bundled with
  scikit-learn), features standardised (z-scores), labels benign +1 / malignant -1.
* :func:`diabetes_ridge`: diabetes (442 x 10, bundled), features and target standardised.
* :func:`load_svmlight`: scikit-learn's ``load_svmlight_file`` (``label idx:val ...`` lines,
  1-based strictly increasing indices, ``#`` starts a comment, ``qid:`` after the label
  ignored) plus finiteness checks; every error names the file and line. :func:`svmlight_problem` turns a file into a problem;
  :func:`bundled_svmlight_path` is the small file shipped with theorytools (``small.svm``).
"""
from __future__ import annotations

import io
import os

import numpy as np

from theorytools.errors import TheorytoolsError, check_int
from theorytools.problems.base import Problem
from theorytools.problems.logistic import logistic
from theorytools.problems.quadratic import ridge

__all__ = ["breast_cancer_logistic", "bundled_svmlight_path", "diabetes_ridge", "load_svmlight",
           "standardise", "svmlight_problem"]


def standardise(X: np.ndarray) -> np.ndarray:
    """Columns to mean 0 and standard deviation 1 (constant columns to 0)."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def breast_cancer_logistic(n: int, lam: float = 1e-2, *, batch: int | None = None,
                           sigma: float = 0.0, split: str = "contiguous",
                           seed: int = 0) -> Problem:
    r"""Logistic regression on scikit-learn's breast cancer data (569 x 30), over ``n`` nodes.

    Features standardised (z-scores), labels benign +1 / malignant -1; the objective is
    :func:`~theorytools.problems.logistic`'s,
    :math:`f_i(x) = \frac1m\sum_j\log(1 + e^{-y_{ij}a_{ij}^\top x}) + \frac\lambda2\|x\|^2`.

    Parameters
    ----------
    n : int
        Number of nodes.
    lam : float, optional
        Regularisation :math:`\lambda > 0`.
    batch : int or None, optional
        Sampling noise: each stochastic gradient averages ``batch`` local samples drawn
        uniformly with replacement (exclusive with ``sigma``).
    sigma : float, optional
        Additive noise :math:`\xi \sim N(0, \frac{\sigma^2}{d}I)`, :math:`\mathbb{E}\|\xi\|^2
        = \sigma^2` (exclusive with ``batch``).
    split : {"contiguous", "random", "sorted"}, optional
        How rows go to nodes (``m = N // n`` each, remainder dropped): in order, shuffled with
        ``seed``, or sorted by label/target (maximally heterogeneous).
    seed : int, optional
        Seed of the ``random`` split.

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    W. H. Wolberg et al., Wisconsin Diagnostic Breast Cancer data (UCI), as bundled with
    scikit-learn (``load_breast_cancer``); docs/problems.md.
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    labels = np.where(data.target == 1, 1.0, -1.0)
    return logistic(standardise(data.data), labels, n, lam, batch=batch, sigma=sigma,
                    split=split, seed=seed, name="breast_cancer_logistic")


def diabetes_ridge(n: int, lam: float = 1e-2, *, batch: int | None = None, sigma: float = 0.0,
                   split: str = "contiguous", seed: int = 0) -> Problem:
    r"""Ridge regression on scikit-learn's diabetes data (442 x 10), over ``n`` nodes.

    Features and target standardised; the objective is :func:`~theorytools.problems.ridge`'s,
    :math:`f_i(x) = \frac{1}{2m}\|X_i x - y_i\|^2 + \frac\lambda2\|x\|^2`.

    Parameters
    ----------
    n : int
        Number of nodes.
    lam : float, optional
        Regularisation :math:`\lambda \ge 0`.
    batch : int or None, optional
        Sampling noise: each stochastic gradient averages ``batch`` local samples drawn
        uniformly with replacement (exclusive with ``sigma``).
    sigma : float, optional
        Additive noise :math:`\xi \sim N(0, \frac{\sigma^2}{d}I)`, :math:`\mathbb{E}\|\xi\|^2
        = \sigma^2` (exclusive with ``batch``).
    split : {"contiguous", "random", "sorted"}, optional
        How rows go to nodes (``m = N // n`` each, remainder dropped): in order, shuffled with
        ``seed``, or sorted by label/target (maximally heterogeneous).
    seed : int, optional
        Seed of the ``random`` split.

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    Efron, Hastie, Johnstone, Tibshirani, "Least Angle Regression", Ann. Statist. 2004 (the
    diabetes data), as bundled with scikit-learn (``load_diabetes``); docs/problems.md.
    """
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    target = standardise(data.target[:, None])[:, 0]
    return ridge(standardise(data.data), target, n, lam, batch=batch, sigma=sigma,
                 split=split, seed=seed, name="diabetes_ridge")


def bundled_svmlight_path() -> str:
    """Path of the small svmlight file shipped with theorytools (no update equation: data).

    Returns
    -------
    str
        ``theorytools/data/small.svm`` (60 rows, 8 sparse features, labels +-1).

    References
    ----------
    docs/problems.md.
    """
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "small.svm")


def _data_lines(raw: bytes) -> list[int]:
    """1-based numbers of the lines that hold a sample (not blank, not comment-only): the
    i-th sample scikit-learn returns comes from the i-th of these lines."""
    return [number for number, line in enumerate(raw.split(b"\n"), start=1)
            if line.split(b"#", 1)[0].split()]


def _explain(line: str, n_features) -> str | None:
    """Why one line is rejected, in the words of our errors (only called on a line that
    scikit-learn refused; None if no reason is found here)."""
    tokens = line.split("#", 1)[0].split()
    try:
        float(tokens[0])
    except ValueError:
        return f"label {tokens[0]!r} is not a number"
    last = 0
    for position, token in enumerate(tokens[1:]):
        key, sep, value = token.partition(":")
        if not sep:
            return f"expected index:value, got {token!r}"
        if key == "qid":
            if position:
                return "qid: must come right after the label"
            continue
        if not key.lstrip("+-").isdigit():
            return f"index {key!r} is not a positive integer"
        index = int(key)
        if index < 1:
            return f"indices are 1-based, got {index}"
        if index <= last:
            return f"indices must increase strictly, got {index} after {last}"
        if n_features is not None and index > n_features:
            return f"index {index} exceeds n_features = {n_features}"
        try:
            float(value)
        except ValueError:
            return f"value of index {index} {value!r} is not a number"
        last = index
    return None


def _first_bad_line(raw: bytes, n_features, zero_based: bool) -> tuple[int, str]:
    """The first line scikit-learn refuses and its message, by bisection over prefixes (a
    prefix fails iff it contains a bad line: the parser stops at the first one)."""
    from sklearn.datasets import load_svmlight_file

    lines = raw.split(b"\n")

    def failure(k):
        try:
            load_svmlight_file(io.BytesIO(b"\n".join(lines[:k])), n_features=n_features,
                               zero_based=zero_based)
        except ValueError as exc:
            return str(exc)
        return None

    lo, hi = 0, len(lines)          # prefix lo parses, prefix hi fails
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if failure(mid) is None:
            lo = mid
        else:
            hi = mid
    return hi, failure(hi)


def load_svmlight(path: str | os.PathLike,
                  n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Read an svmlight/LIBSVM file into a dense matrix and a label vector.

    Parsing is scikit-learn's :func:`sklearn.datasets.load_svmlight_file` (``zero_based=False``:
    indices are 1-based); this function adds the checks and messages of the toolkit. Each
    non-blank line is ``label idx:val idx:val ...`` with strictly increasing indices; ``#``
    starts a comment; a ``qid:`` token right after the label is ignored. A sample's row is

    .. math:: X_{r,\,\mathrm{idx}-1} = \mathrm{val}, \qquad y_r = \mathrm{label}.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    n_features : int or None, optional
        Number of columns ``d``; default: the largest index in the file. An index above it is
        an error.

    Returns
    -------
    X : numpy.ndarray
        Dense float64 array ``(N, d)``, one row per data line, in file order.
    y : numpy.ndarray
        Float64 labels ``(N,)``.

    Raises
    ------
    TheorytoolsError
        Naming ``path:line`` for a bad label, a bad or non-finite value (NaN, inf, overflow),
        index 0, a non-increasing index, a token without ``:``, an index above
        ``n_features``; naming ``path`` for an unreadable file, no data line, no feature.

    References
    ----------
    T. Joachims, SVMlight (the file format); scikit-learn ``load_svmlight_file``.
    """
    from sklearn.datasets import load_svmlight_file

    path = os.fspath(path)
    if n_features is not None:
        n_features = check_int(n_features, "n_features", low=1)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise TheorytoolsError(f"path {path!r} cannot be read: {exc.strerror}") from None
    numbers = _data_lines(raw)
    if not numbers:
        raise TheorytoolsError(f"path {path!r} holds no data lines")
    try:
        Xs, y = load_svmlight_file(io.BytesIO(raw), n_features=n_features, zero_based=False)
    except ValueError:
        number, message = _first_bad_line(raw, n_features, zero_based=False)
        text = raw.split(b"\n")[number - 1].decode("utf-8", errors="replace")
        reason = _explain(text, n_features) or message
        raise TheorytoolsError(f"{path}:{number}: {reason}") from None
    if Xs.indices.size == 0 and n_features is None:
        raise TheorytoolsError(f"path {path!r} has no features")
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise TheorytoolsError(f"{path}:{numbers[bad[0]]}: label must be finite, got "
                               f"{float(y[bad[0]])!r}")
    X = Xs.toarray().astype(np.float64, copy=False)
    bad_rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad_rows.size:
        r = bad_rows[0]
        c = int(np.flatnonzero(~np.isfinite(X[r]))[0])
        raise TheorytoolsError(f"{path}:{numbers[r]}: value of index {c + 1} must be finite, "
                               f"got {float(X[r, c])!r}")
    return X, np.asarray(y, dtype=np.float64)


def svmlight_problem(path: str | os.PathLike, n: int, lam: float = 1e-2, *, kind: str = "logistic",
                     batch: int | None = None, sigma: float = 0.0, split: str = "contiguous",
                     seed: int = 0, n_features: int | None = None) -> Problem:
    r"""A logistic or ridge problem from an svmlight/LIBSVM file.

    Reads with :func:`load_svmlight`; ``kind="logistic"`` maps 0/1 labels to -1/+1 and builds
    :func:`~theorytools.problems.logistic`
    (:math:`f_i(x) = \frac1m\sum_j\log(1 + e^{-y_{ij}a_{ij}^\top x}) + \frac\lambda2\|x\|^2`),
    ``kind="ridge"`` builds :func:`~theorytools.problems.ridge`.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    n : int
        Number of nodes.
    lam : float, optional
        Regularisation.
    kind : {"logistic", "ridge"}, optional
        The model.
    batch : int or None, optional
        Sampling noise: each stochastic gradient averages ``batch`` local samples drawn
        uniformly with replacement (exclusive with ``sigma``).
    sigma : float, optional
        Additive noise :math:`\xi \sim N(0, \frac{\sigma^2}{d}I)`, :math:`\mathbb{E}\|\xi\|^2
        = \sigma^2` (exclusive with ``batch``).
    split : {"contiguous", "random", "sorted"}, optional
        How rows go to nodes (``m = N // n`` each, remainder dropped): in order, shuffled with
        ``seed``, or sorted by label/target (maximally heterogeneous).
    seed : int, optional
        Seed of the ``random`` split.
    n_features : int or None, optional
        Number of columns (default: the largest index).

    Returns
    -------
    Problem
        With certified ``L``, ``mu``, ``L_i``, ``x_star``, ``f_star``, ``zeta_star_sq``,
        ``zeta_sup_sq``, ``sigma_sq`` and each certificate in ``provenance``.

    References
    ----------
    docs/problems.md.
    """
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
