"""Cost of the per-node path (a compressor without a batch kernel) against the batch kernel,
and the batch path before/after a change (not a test; not run by CI).

Usage::

    python bench/per_node.py                       # per-node vs batch, ~1-2 minutes
    python bench/per_node.py --compare /work/main  # also: the batch path of another checkout

Setting: the one of ``bench/simulator.py`` (n = 64 nodes on a ring, d = 1000, logistic
regression with 100 samples per node, one sample per node per step, ``timing_problem``: built
without certification, timing only), DCD-PSGD and CHOCO-SGD (gamma = 1, consensus step 0.3)
and DCGD (n = 64 workers), one thread.

* ``batch``: the compressor's Numba batch kernel (``dithering[s=16]``, ``rand_k[k=10]``);
* ``per node``: the same compressor through
  ``theorytools.algorithms._batch.without_batch_kernel`` -- ``compress`` and ``encode`` per node
  and per step from Python (the path every compressor without a kernel takes; bit-identical
  results, checked here on the timed runs);
* ``natural_dithering[s=8]``: a built-in without a batch kernel (per node only).

Rates are iterations per second of the whole network; the per-node path is timed on fewer
iterations (its cost per iteration is constant). ``--rounds`` interleaved rounds; medians of
the rates and of the per-round ratios are reported (this shared machine's speed drifts).

``--compare DIR``: the batch path's DCD-PSGD / CHOCO-SGD / DCGD rate with ``dithering[s=16]`` in this
checkout and in ``DIR`` (another checkout of theorytools, e.g. main before this change), each
in a fresh subprocess (warm JIT cache, best of 3), alternated per round: the ratio shows
whether the batch path slowed down.

The script exits 0 whatever the numbers: it reports.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from simulator import CONSENSUS, GAMMA, timing_problem  # noqa: E402

from theorytools import algorithms as alg  # noqa: E402
from theorytools.algorithms._batch import without_batch_kernel  # noqa: E402
from theorytools.compressors import create  # noqa: E402
from theorytools.topology import ring  # noqa: E402


def run(method, problem, top, c, T):
    rec = np.array([0, T])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "dcd_psgd":
            return alg.dcd_psgd(problem, top, c, GAMMA, T, record=rec)
        if method == "choco_sgd":
            return alg.choco_sgd(problem, top, c, GAMMA, T, consensus_step=CONSENSUS,
                                 record=rec)
        return alg.dcgd(problem, c, 0.1, T, record=rec)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median(v):
    return float(np.median(v))


_CHILD = r"""
import sys, time, warnings, numpy as np
sys.path.insert(0, {bench!r})
from simulator import CONSENSUS, GAMMA, timing_problem
from theorytools import algorithms as alg
from theorytools.compressors import create
from theorytools.topology import ring
p, top, c, T = timing_problem(64, 1000, 100), ring(64), create("dithering[s=16]"), {T}
warnings.simplefilter("ignore")
def go(method, T):
    rec = np.array([0, T])
    if method == "dcd_psgd":
        return alg.dcd_psgd(p, top, c, GAMMA, T, record=rec)
    if method == "dcgd":
        return alg.dcgd(p, c, 0.1, T, record=rec)
    return alg.choco_sgd(p, top, c, GAMMA, T, consensus_step=CONSENSUS, record=rec)
for m in ("dcd_psgd", "choco_sgd", "dcgd"):
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
    ap.add_argument("--T", type=int, default=200, help="iterations of the batch runs")
    ap.add_argument("--per-node-T", type=int, default=10, help="iterations of per-node runs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compare", metavar="DIR", help="another checkout: batch path before/after")
    args = ap.parse_args()
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    p, top = timing_problem(64, 1000, 100), ring(64)
    cases = [("dcd_psgd", "dithering[s=16]"), ("choco_sgd", "dithering[s=16]"),
             ("dcgd", "dithering[s=16]"), ("dcd_psgd", "rand_k[k=10]")]
    for method, spec in cases:           # JIT warm-up, and the bit-identity of the two paths
        c = create(spec)
        a, b = run(method, p, top, c, 3), run(method, p, top, without_batch_kernel(c), 3)
        assert np.array_equal(a.X, b.X) and np.array_equal(a.bits, b.bits), (method, spec)
    run("dcd_psgd", p, top, create("natural_dithering[s=8]"), 2)
    rates = {}
    for _ in range(args.rounds):
        for method, spec in cases:
            c = create(spec)
            tb, _ = timed(lambda: run(method, p, top, c, args.T))
            tp, _ = timed(lambda: run(method, p, top, without_batch_kernel(c), args.per_node_T))
            rates.setdefault((method, spec), []).append((args.T / tb, args.per_node_T / tp))
        tn, _ = timed(lambda: run("dcd_psgd", p, top, create("natural_dithering[s=8]"),
                                  args.per_node_T))
        rates.setdefault(("dcd_psgd", "natural_dithering[s=8]"), []).append(
            (math.nan, args.per_node_T / tn))
    print(f"\nn = 64, d = 1000, one thread; {args.rounds} rounds (medians; ratio range)")
    print(f"{'method':10s} {'compressor':24s} {'batch it/s':>11s} {'per node it/s':>14s} "
          f"{'slowdown':>9s} {'range':>13s}")
    for (method, spec), v in rates.items():
        batch, per = median([r[0] for r in v]), median([r[1] for r in v])
        ratios = [r[0] / r[1] for r in v]
        rng_txt = (f"{min(ratios):.0f}-{max(ratios):.0f}x" if not math.isnan(batch) else "-")
        slow = f"{median(ratios):.0f}x" if not math.isnan(batch) else "-"
        print(f"{method:10s} {spec:24s} {batch:11.1f} {per:14.2f} {slow:>9s} {rng_txt:>13s}")
    if args.compare:
        here = HERE.parent
        mine, theirs = {}, {}
        for r in range(args.rounds):
            order = [(here, mine), (pathlib.Path(args.compare), theirs)]
            for checkout, store in (order if r % 2 == 0 else order[::-1]):
                for m, v in child_rates(checkout, args.T).items():
                    store.setdefault(m, []).append(v)
        print(f"\nbatch path, dithering[s=16], T = {args.T}: this checkout vs {args.compare} "
              f"(best of 3 per round, {args.rounds} rounds alternated; medians)")
        for m in mine:
            ratios = [a / b for a, b in zip(mine[m], theirs[m])]
            print(f"{m:10s} this {median(mine[m]):8.1f} it/s   other {median(theirs[m]):8.1f} "
                  f"it/s   ratio {median(ratios):.3f} (range {min(ratios):.3f}-"
                  f"{max(ratios):.3f})")
    print("\n" + "load average %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
