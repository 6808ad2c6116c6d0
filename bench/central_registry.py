"""Cost of the registered centralized path (``simulate_central`` of a method added with
``register_central_method``: a Python loop over steps calling its Numba kernels) against the
fused built-in kernel, and the fused built-ins before/after a change (not a test; not run by
CI).

Usage::

    python bench/central_registry.py                       # registered vs fused, ~1 minute
    python bench/central_registry.py --compare /work/main  # also: the fused built-ins of
                                                           # another checkout

Setting: ``bench/simulator.py``'s timing problem (n = 64 workers, d = 1000, logistic
regression with 100 samples per worker, one sample per worker per step), ``dithering[s=16]``,
one thread, gamma = 0.1.

* ``fused``: ``dcgd`` / ``ef_sgd`` (the built-ins' one-call kernel ``_engine.run_centralized``);
* ``registered``: the same methods re-expressed as registered kernels
  (``tests/test_howto_central.py``: bit-identical results, checked here on the timed runs),
  and EF21 (``theorytools/algorithms/ef21.py``, no fused version).

Rates are iterations per second; ``--rounds`` interleaved rounds, medians of the rates and of
the per-round ratios (this shared machine's speed drifts). ``--compare DIR``: the fused
``dcgd`` / ``ef_sgd`` / ``minibatch_sgd`` rates in this checkout and in ``DIR``, each in a fresh
subprocess (warm JIT cache, best of 3), alternated per round. The script exits 0 whatever the
numbers: it reports.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from simulator import timing_problem  # noqa: E402
from test_howto_central import DCGD_AGAIN, EF_AGAIN  # noqa: E402

from theorytools import algorithms as alg  # noqa: E402
from theorytools.algorithms.centralized import simulate_central  # noqa: E402
from theorytools.algorithms.ef21 import ef21  # noqa: E402
from theorytools.compressors import create  # noqa: E402

GAMMA = 0.1

_CHILD = r"""
import sys, time, numpy as np
sys.path.insert(0, {bench!r})
from simulator import timing_problem
from theorytools import algorithms as alg
from theorytools.compressors import create
p, c, T = timing_problem(64, 1000, 100), create("dithering[s=16]"), {T}
def go(m, T):
    rec = np.array([0, T])
    if m == "minibatch_sgd":
        return alg.minibatch_sgd(p, 0.1, T, record=rec)
    return getattr(alg, m)(p, c, 0.1, T, record=rec)
for m in ("dcgd", "ef_sgd", "minibatch_sgd"):
    go(m, 3)
    best = min((lambda t0: (go(m, T), time.perf_counter() - t0)[1])(time.perf_counter())
               for _ in range(3))
    print(m, T / best)
"""


def child_rates(checkout, T):
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run([sys.executable, "-c", _CHILD.format(bench=str(HERE), T=T)],
                         env=env, capture_output=True, text=True, check=True, cwd=checkout)
    return {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--T", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compare", metavar="DIR", help="another checkout: fused before/after")
    args = ap.parse_args()
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    p, c = timing_problem(64, 1000, 100), create("dithering[s=16]")
    cases = {"dcgd": (lambda T, rec: alg.dcgd(p, c, GAMMA, T, record=rec),
                      lambda T, rec: simulate_central(DCGD_AGAIN.name, p, c, GAMMA, T,
                                                      record=rec)),
             "ef_sgd": (lambda T, rec: alg.ef_sgd(p, c, GAMMA, T, record=rec),
                        lambda T, rec: simulate_central(EF_AGAIN.name, p, c, GAMMA, T,
                                                        record=rec)),
             "ef21": (None, lambda T, rec: ef21(p, c, GAMMA, T, record=rec))}
    for name, (fused, registered) in cases.items():       # warm-up and bit-identity
        b = registered(5, np.array([0, 5]))
        if fused is not None:
            a = fused(5, np.array([0, 5]))
            assert np.array_equal(a.x_bar, b.x_bar) and np.array_equal(a.bits, b.bits), name
    rates = {}
    rec = np.array([0, args.T])
    for _ in range(args.rounds):
        for name, (fused, registered) in cases.items():
            row = []
            for fn in (fused, registered):
                if fn is None:
                    row.append(float("nan"))
                    continue
                t0 = time.perf_counter()
                fn(args.T, rec)
                row.append(args.T / (time.perf_counter() - t0))
            rates.setdefault(name, []).append(row)
    print(f"\nn = 64, d = 1000, dithering[s=16], one thread, T = {args.T}; {args.rounds} rounds "
          "(medians; ratio range)")
    print(f"{'method':8s} {'fused it/s':>11s} {'registered it/s':>16s} {'fused/registered':>17s}")
    for name, v in rates.items():
        fused = float(np.median([r[0] for r in v]))
        reg = float(np.median([r[1] for r in v]))
        ratios = [r[0] / r[1] for r in v]
        txt = (f"{np.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
               if not np.isnan(fused) else "-")
        print(f"{name:8s} {fused:11.1f} {reg:16.1f} {txt:>17s}")
    if args.compare:
        mine, theirs = {}, {}
        for r in range(args.rounds):
            order = [(HERE.parent, mine), (pathlib.Path(args.compare), theirs)]
            for checkout, store in (order if r % 2 == 0 else order[::-1]):
                for m, v in child_rates(checkout, args.T).items():
                    store.setdefault(m, []).append(v)
        print(f"\nfused built-ins, T = {args.T}: this checkout vs {args.compare} (best of 3 per "
              f"round, {args.rounds} rounds alternated; medians)")
        for m in mine:
            ratios = [a / b for a, b in zip(mine[m], theirs[m])]
            print(f"{m:14s} this {np.median(mine[m]):8.1f} it/s   other "
                  f"{np.median(theirs[m]):8.1f} it/s   ratio {np.median(ratios):.3f} (range "
                  f"{min(ratios):.3f}-{max(ratios):.3f})")
    print("\n" + "load average %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
