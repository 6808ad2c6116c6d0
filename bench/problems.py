"""Benchmark of the logistic problem's smoothness constants (a script, not a test).

Run:  python bench/problems.py  [--n 64] [--m 100] [--d 1000] [--repeats 3]

``logistic`` certifies ``L = lambda_max(F^T F)/(4N) + lam`` and one ``L_i`` per node. Before
(issue 11) each ``L_i`` came from a full ``d x d`` eigendecomposition of ``F_i^T F_i`` (one
LAPACK call per node, O(n d^3)); now from the smaller Gram matrix, one batched ``eigvalsh``
call over ``(n, m, m)`` (O(n (m^2 d + m^3)) when ``m <= d``). In exact arithmetic both give the
same number (``lambda_max(A^T A) = lambda_max(A A^T) = sigma_max(A)^2``).

Prints, measured in the same run on the same random data:
* the time of the old per-node ``d x d`` route and of the new route (median over repeats), and
  their ratio;
* the largest relative difference of the ``L_i`` between the two routes and against
  ``scipy.linalg.svdvals`` (an independent SVD route);
* the time of the whole ``logistic(...)`` factory with the new route (Newton for ``x*``,
  exactly rounded gradients, etc. included), for scale.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorytools.problems import logistic  # noqa: E402
from theorytools.problems.logistic import _gram_lambda_max  # noqa: E402


def old_route(F):
    """The code before issue 11: one d x d eigendecomposition per node."""
    return np.array([float(np.linalg.eigvalsh(F[i].T @ F[i])[-1]) for i in range(F.shape[0])])


def median_seconds(function, argument, repeats):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function(argument)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="nodes (default 64)")
    parser.add_argument("--m", type=int, default=100, help="rows per node (default 100)")
    parser.add_argument("--d", type=int, default=1000, help="dimension (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    parser.add_argument("--no-factory", action="store_true",
                        help="skip timing the whole logistic() factory")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    F = rng.standard_normal((args.n, args.m, args.d)) / np.sqrt(args.d)
    print(f"L_i of logistic data: n = {args.n}, m = {args.m}, d = {args.d}; "
          f"median of {args.repeats} runs")
    t_old, old = median_seconds(old_route, F, args.repeats)
    t_new, new = median_seconds(_gram_lambda_max, F, args.repeats)
    svd = np.array([scipy.linalg.svdvals(F[i])[0] ** 2 for i in range(args.n)])
    print(f"  old (per node d x d eigvalsh):      {t_old:9.4f} s")
    print(f"  new (batched smaller-Gram eigvalsh): {t_new:9.4f} s")
    print(f"  ratio old/new: {t_old / t_new:.1f}x")
    print(f"  max relative difference new vs old: {np.max(np.abs(new - old) / old):.2e}")
    print(f"  max relative difference new vs SVD: {np.max(np.abs(new - svd) / svd):.2e}")
    if not args.no_factory:
        y = np.where(rng.standard_normal(args.n * args.m) > 0, 1.0, -1.0)
        start = time.perf_counter()
        logistic(F.reshape(args.n * args.m, args.d), y, args.n, 1e-2)
        print(f"  whole logistic() factory (new route): {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
