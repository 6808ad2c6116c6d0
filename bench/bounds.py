"""Benchmark of theorytools.bounds (a script, not a test): speed and measured accuracy.

Run:  python bench/bounds.py  [--no-accuracy]

Prints
* the time of one ``worst_case_bits(alpha, d)`` call (median over repeats) for d up to 10^8 and
  alpha across (0, 1), against the 1 ms target;
* the time of ``average_case_bits`` and of the full default ``bounds_table()`` (target < 1 s);
* the largest relative error in bits against mpmath at 50 digits over a grid (target 1e-10).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorytools import bounds  # noqa: E402

DS = (2, 3, 4, 10, 100, 1000, 10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7, 10 ** 8)
ALPHAS = (1e-300, 1e-10, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12)


def median_seconds(function, *arguments, repeats=200):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*arguments)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def mpmath_bits(alpha, d):
    import mpmath
    with mpmath.workdps(50):
        a = mpmath.mpf(d - 1) / 2
        x = mpmath.mpf(alpha)
        if d <= 10 ** 4 or alpha < 0.5 or a * (1 - x) < 10:
            value = mpmath.betainc(a, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2
            return -float(mpmath.log(value, 2))
        j = mpmath.quad(lambda u: mpmath.exp(-u) * (1 - x * mpmath.exp(-u / a)) ** -0.5,
                        [0, 1, 10, 100, mpmath.inf])
        ln_p = (a * mpmath.log(x) - mpmath.log(a) + mpmath.log(j)
                - mpmath.log(mpmath.beta(a, mpmath.mpf(1) / 2)) - mpmath.log(2))
        return -float(ln_p / mpmath.log(2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-accuracy", action="store_true", help="skip the mpmath comparison")
    args = parser.parse_args(argv)

    print("worst_case_bits(alpha, d): median / max time per call over 200 calls")
    slowest = 0.0
    for d in DS:
        cells = []
        for alpha in ALPHAS:
            median, worst = median_seconds(bounds.worst_case_bits, alpha, d)
            slowest = max(slowest, median)
            cells.append(f"{median * 1e6:6.1f}")
        print(f"  d={d:>9}: " + " ".join(cells) + "  us")
    print(f"  slowest median: {slowest * 1e3:.3f} ms (target < 1 ms): "
          f"{'OK' if slowest < 1e-3 else 'TOO SLOW'}")

    median, _ = median_seconds(bounds.average_case_bits, 0.01, 10 ** 6, repeats=20)
    print(f"average_case_bits(0.01, 10^6): {median * 1e3:.2f} ms")
    median, _ = median_seconds(bounds.average_case_distortion_bits, 1e6, 10 ** 3, repeats=20)
    print(f"average_case_distortion_bits(10^6, 1000): {median * 1e3:.2f} ms")

    start = time.perf_counter()
    rows = bounds.bounds_table()
    elapsed = time.perf_counter() - start
    print(f"bounds_table() ({len(rows)} rows): {elapsed * 1e3:.1f} ms (target < 1 s): "
          f"{'OK' if elapsed < 1.0 else 'TOO SLOW'}")

    if not args.no_accuracy:
        worst_error, where = 0.0, None
        for d in DS:
            for alpha in ALPHAS:
                reference = mpmath_bits(alpha, d)
                error = abs(bounds.worst_case_bits(alpha, d) - reference) / reference
                if error > worst_error:
                    worst_error, where = error, (d, alpha)
        print(f"max relative error in bits vs mpmath (50 digits), {len(DS) * len(ALPHAS)} "
              f"points: {worst_error:.2e} at d, alpha = {where} (target 1e-10): "
              f"{'OK' if worst_error <= 1e-10 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
