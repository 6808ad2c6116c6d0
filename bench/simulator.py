"""Speed of the decentralized simulator against two numpy references (not a test; not run by CI).

Usage::

    python bench/simulator.py            # the issue's setting, ~2-4 minutes on one core
    python bench/simulator.py --quick    # smaller scaling sweeps (smoke run)
    python bench/simulator.py --nc       # only the per node-coordinate table (issue 15), ~2 min

Setting (from the issue): n = 64 nodes on a ring (W_ii = W_{i,i+-1} = 1/3), d = 1000,
l2-regularised logistic regression with 100 samples per node (Gaussian features N(0, I/d),
labels drawn from a planted model, lam = 1e-3; built with ``theorytools.problems.logistic``,
which certifies L, mu, x*, f*), stochastic gradients = one sample per node per step (sampling
noise, batch 1), random dithering with s = 16 levels (``dithering[s=16]``: l2 norm sent as a
float32 rounded up, levels floor(s|z_i|/norm) rounded up with probability the fractional part),
DCD-PSGD (gamma = 1) and CHOCO-SGD (gamma = 1, consensus step 0.3), 1000 iterations.

Three implementations of the SAME algorithms (same update equations, same compressor
semantics; the references draw their randomness from ``numpy.random.Generator``, so their
iterates differ from ours and only the final loss is compared):

* ``ours``: ``theorytools.algorithms.dcd_psgd`` / ``choco_sgd`` (Numba kernels, one call runs
  all T iterations for all nodes); traces only at the endpoints ``record=[0, T]``; JIT warmed
  up on a tiny problem first. The timed call includes validation, compressor preparation and
  the two endpoint evaluations of f and grad f (a user pays them). Timed with ``threads=1``
  (the serial kernels: one thread) and with ``threads="all"`` (every node loop split over
  Numba's threads, NUMBA_NUM_THREADS = all CPUs; bit-identical results, checked here).
* ``(a)`` loop: a Python loop over nodes for the gradient, the compression (numpy random
  dithering per node: norm, floor, ``rng.random``) and the mixing with the neighbours, as public
  research code does (DCD in the form of epfml/ChocoSGD ``convex_code``:
  ``x_plus = W x - gamma g; x += Q(x_plus - x)``, which equals Tang's Algorithm 1 because the
  replicas are exact).
* ``(b)`` vectorised: numpy on (n, d) arrays: one fancy-indexed sample per node, dithering
  vectorised over all nodes, mixing with W as a scipy.sparse CSR matrix (``W @ X``) or dense;
  both are timed and the faster is reported.

numpy's BLAS is pinned to one thread (OPENBLAS / MKL_NUM_THREADS = 1, before numpy is
imported): the references (a) and (b) run single-threaded, as numpy code does in practice
(the sparse product and the elementwise work are single-threaded anyway). OMP_NUM_THREADS is
NOT set: Numba's OpenMP threading layer runs ~10x slower with it forced (measured here). Two
tables: all single-threaded (ours with ``threads=1``), and ours on all cores (``threads="all"``)
against the same single-thread references. Rates are iterations per second of the whole network
(all n nodes). The main table runs ``--rounds`` interleaved rounds (each round times every
implementation once, back to back) and reports medians of the rates and the median, minimum
and maximum of the per-round ratios: this shared machine's speed drifts by up to 2x over
minutes, and a ratio within one round compares runs made under the same load; the verdict uses
the median ratio. Scaling cells are the best of ``--repeats`` timed runs. The load
average and the OpenMP wait policy are printed: each iteration synchronises the threads twice,
so the multi-thread figure depends on the cores being free. The simulator sets
OMP_WAIT_POLICY=PASSIVE unless it is set (idle threads sleep: robust on a busy machine, ~5-20%
below spinning on idle cores); ``OMP_WAIT_POLICY=active python bench/simulator.py`` measures
spinning threads.

Scaling tables (ours and (b)): n in {16, 32, 64, 128, 256} at d = 1000 and d in {10^2, 10^3,
10^4, 10^5} at n = 64, with T chosen so that n d T ~ 3e7 node-coordinate updates (at least 10
iterations); ours is reported both per whole call and in steady state (fixed cost of a T = 1
call subtracted), on one thread and (steady state) on all cores. These problems are built
directly as :class:`Problem` objects with the same data model but WITHOUT certification (the
factory's Newton solve and d x d Hessians are impossible at d = 10^5; x* and f* are
placeholders, so the loss is not reported there), and with fewer samples per node where n m d
would exceed 1e8 doubles (with batch 1 a step touches one sample, so the per-iteration cost
does not depend on m; it is reported in the table).

The script exits 0 whatever the numbers: it reports.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from theorytools import algorithms as alg  # noqa: E402
from theorytools.compressors import create  # noqa: E402
from theorytools.problems import Noise, Problem, logistic  # noqa: E402
from theorytools.topology import ring  # noqa: E402

S_LEVELS = 16
LAM = 1e-3
GAMMA = 1.0
CONSENSUS = 0.3
TARGET_A, TARGET_B = 10.0, 2.0


# ------------------------------------------------------------------ data
def make_data(n, d, m, seed=0):
    """Gaussian features N(0, I/d) and labels y = +-1 with P(y = 1) = sigmoid(a . w*),
    w* ~ N(0, 9 I) (a planted model)."""
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n * m, d)) / math.sqrt(d)
    w = 3.0 * rng.standard_normal(d)
    p = 1.0 / (1.0 + np.exp(-(F @ w)))
    y = np.where(rng.random(n * m) < p, 1.0, -1.0)
    return F, y


def timing_problem(n, d, m, seed=0):
    """The same data model as a :class:`Problem`, without certification (timing only)."""
    F, y = make_data(n, d, m, seed)
    F = F.reshape(n, m, d)
    Y = y.reshape(n, m)
    nan = float("nan")
    return Problem(f"timing_logistic[n={n},d={d},m={m}]", n, d, "logistic",
                   {"features": F, "labels": Y, "lam": LAM}, nan, LAM, np.full(n, nan),
                   np.zeros(d), 0.0, nan, nan, Noise("sampling", batch=1), nan,
                   {"all": ("timing only: NOT certified", "placeholder")})


# ------------------------------------------------------------------ numpy references
def _sigmoid(t):
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _norm_up32(norm):
    """The norm as sent on the wire: float32, rounded up (so every |z_i| / norm <= 1)."""
    n32 = np.float32(norm)
    if np.float64(n32) < norm:
        n32 = np.nextafter(n32, np.float32(np.inf))
    return np.float64(n32)


def dither_node(z, s, rng):
    """Random dithering of one vector (numpy, as public research code writes it)."""
    norm = np.linalg.norm(z)
    if norm == 0.0:
        return np.zeros_like(z)
    norm = _norm_up32(norm)
    su = s * (np.abs(z) / norm)
    level = np.floor(su)
    level += rng.random(z.size) < (su - level)
    return np.copysign(norm * (level / s), z)


def dither_rows(Z, s, rng):
    """Random dithering of every row of Z at once (vectorised over nodes)."""
    norms = np.sqrt(np.einsum("ij,ij->i", Z, Z))
    n32 = norms.astype(np.float32)
    low = n32.astype(np.float64) < norms
    n32[low] = np.nextafter(n32[low], np.float32(np.inf))
    norms = n32.astype(np.float64)
    safe = np.where(norms > 0, norms, 1.0)[:, None]
    su = s * (np.abs(Z) / safe)
    level = np.floor(su)
    level += rng.random(Z.shape) < (su - level)
    out = np.copysign(safe * (level / s), Z)
    out[norms == 0] = 0.0
    return out


class LoopRef:
    """(a): a Python loop over nodes (gradient, dithering, mixing with neighbours)."""

    def __init__(self, problem, top, seed=1):
        self.F, self.Y = problem.arrays["features"], problem.arrays["labels"]
        self.lam = problem.arrays["lam"]
        self.n, self.m = self.Y.shape
        self.nbrs = [(top.indices[top.indptr[i]:top.indptr[i + 1]],
                      top.data[top.indptr[i]:top.indptr[i + 1]]) for i in range(self.n)]
        self.rng = np.random.default_rng(seed)

    def grad(self, i, x):
        j = self.rng.integers(self.m)
        a, y = self.F[i, j], self.Y[i, j]
        t = -y * (a @ x)
        return (-y / (1.0 + math.exp(-t)) if t < 700 else -y) * a + self.lam * x

    def mix(self, xs, i):
        idx, w = self.nbrs[i]
        acc = w[0] * xs[idx[0]]
        for k in range(1, len(idx)):
            acc = acc + w[k] * xs[idx[k]]
        return acc

    def dcd(self, X, T, gamma):
        xs = [x.copy() for x in X]
        for _ in range(T):
            new = []
            for i in range(self.n):
                g = self.grad(i, xs[i])
                x_plus = self.mix(xs, i) - gamma * g
                new.append(xs[i] + dither_node(x_plus - xs[i], S_LEVELS, self.rng))
            xs = new
        return np.array(xs)

    def choco(self, X, T, gamma, cs):
        xs = [x.copy() for x in X]
        hat = [x.copy() for x in X]
        for _ in range(T):
            half = []
            for i in range(self.n):
                v = xs[i] - gamma * self.grad(i, xs[i])
                hat[i] = hat[i] + dither_node(v - hat[i], S_LEVELS, self.rng)
                half.append(v)
            xs = [half[i] + cs * (self.mix(hat, i) - hat[i]) for i in range(self.n)]
        return np.array(xs)


class VecRef:
    """(b): numpy on (n, d) arrays; mixing with W dense or scipy.sparse."""

    def __init__(self, problem, top, seed=2, mixing="sparse"):
        self.F, self.Y = problem.arrays["features"], problem.arrays["labels"]
        self.lam = problem.arrays["lam"]
        self.n, self.m = self.Y.shape
        self.W = sp.csr_matrix(np.asarray(top.W)) if mixing == "sparse" else np.asarray(top.W)
        self.rows = np.arange(self.n)
        self.rng = np.random.default_rng(seed)

    def grads(self, X):
        idx = self.rng.integers(0, self.m, self.n)
        A, y = self.F[self.rows, idx], self.Y[self.rows, idx]
        t = np.einsum("ij,ij->i", A, X)
        return (-y * _sigmoid(-y * t))[:, None] * A + self.lam * X

    def dcd(self, X, T, gamma):
        X = X.copy()
        for _ in range(T):
            G = self.grads(X)
            X += dither_rows(self.W @ X - gamma * G - X, S_LEVELS, self.rng)
        return X

    def choco(self, X, T, gamma, cs):
        X = X.copy()
        H = X.copy()
        for _ in range(T):
            V = X - gamma * self.grads(X)
            H += dither_rows(V - H, S_LEVELS, self.rng)
            X = V + cs * (self.W @ H - H)
        return X


# ------------------------------------------------------------------ timing
def ours(method, problem, top, c, T, threads=1):
    rec = np.array([0, T])
    if method == "dcd_psgd":
        return alg.dcd_psgd(problem, top, c, GAMMA, T, record=rec, threads=threads)
    return alg.choco_sgd(problem, top, c, GAMMA, T, consensus_step=CONSENSUS, record=rec,
                         threads=threads)


def time_best(fn, repeats, clock=time.perf_counter):
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = clock()
        out = fn()
        best = min(best, clock() - t0)
    return best, out


def cpu_best(fn, repeats):
    """Best CPU time of this process (``time.process_time``) over ``repeats`` calls: for
    single-threaded code on a shared, overloaded machine it does not count the time other
    jobs held the core (wall time swung 3x between identical cells at load 10 on 2 cores)."""
    return time_best(fn, repeats, time.process_time)


def warm_up(c, threads_list=(1, "all")):
    small = timing_problem(8, 20, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("dcd_psgd", "choco_sgd"):
            for threads in threads_list:
                ours(method, small, ring(8), c, 3, threads)


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def run_ref(ref, method, X0, T):
    if method == "dcd_psgd":
        return ref.dcd(X0, T, GAMMA)
    return ref.choco(X0, T, GAMMA, CONSENSUS)


def _median(v):
    v = sorted(v)
    k = len(v)
    return v[k // 2] if k % 2 else 0.5 * (v[k // 2 - 1] + v[k // 2])


def main_table(args, c):
    """The issue's setting, timed in ``--rounds`` interleaved rounds: each round times ours (one
    thread), ours (all cores), (a), (b) sparse and (b) dense back to back, so that the ratios of
    one round compare runs made under the same machine load (this shared machine's speed drifts
    by up to 2x over minutes). Reported: the median of the per-round rates, and the median,
    minimum and maximum of the per-round ratios; the target verdict uses the median ratio."""
    n, d, m, T = 64, 1000, 100, args.T
    F, y = make_data(n, d, m)
    t0 = time.perf_counter()
    problem = logistic(F, y, n, LAM, batch=1, name="bench_logistic")
    print(f"problem: {problem.name}, d = {d}, m = {m} samples/node, L = {problem.L:.4g}, "
          f"mu = {problem.mu:g}, f* = {problem.f_star:.6f}, f(0) = {problem.f(np.zeros(d)):.6f}"
          f" (factory + certification {time.perf_counter() - t0:.1f} s)")
    top = ring(n)
    X0 = np.zeros((n, d))
    a_T = min(T, args.loop_T)
    nt = numba.config.NUMBA_NUM_THREADS
    rows = []
    for method in ("dcd_psgd", "choco_sgd"):
        per = {"ours": [], "all": [], "a": [], "bs": [], "bd": []}
        same = True
        for _ in range(args.rounds):
            t_o, tr = time_best(lambda: ours(method, problem, top, c, T), 1)
            t_p, tr_par = time_best(lambda: ours(method, problem, top, c, T, "all"), 1)
            same = same and (np.array_equal(tr.X.view(np.uint64), tr_par.X.view(np.uint64)) and
                             np.array_equal(tr.f_gap.view(np.uint64),
                                            tr_par.f_gap.view(np.uint64)))
            t_a, Xa = time_best(lambda: run_ref(LoopRef(problem, top), method, X0, a_T), 1)
            t_bs, Xb = time_best(lambda: run_ref(VecRef(problem, top, mixing="sparse"), method,
                                                 X0, T), 1)
            t_bd, _ = time_best(lambda: run_ref(VecRef(problem, top, mixing="dense"), method,
                                                X0, T), 1)
            per["ours"].append(T / t_o)
            per["all"].append(T / t_p)
            per["a"].append(a_T / t_a)
            per["bs"].append(T / t_bs)
            per["bd"].append(T / t_bd)
        rows.append({"method": method, "per": per, "same": same,
                     "loss": (problem.f(tr.x_bar), problem.f(Xa.mean(axis=0)),
                              problem.f(Xb.mean(axis=0)))})
    a_note = "(a) timed on the same T" if a_T == T else f"(a) timed on {a_T} iterations"
    print(f"\nMain table: n = {n} ring, d = {d}, dithering[s={S_LEVELS}], gamma = {GAMMA}, "
          f"CHOCO consensus step {CONSENSUS}, T = {T} ({a_note}); it/s = iterations of the "
          f"whole network per second, median over {args.rounds} interleaved rounds; ratios: "
          "median [min, max] of the per-round ratios ((b): the faster of sparse and dense in "
          "each round); (a) and (b) are single-threaded numpy in both tables")
    for title, key in ((f"single thread (ours: threads=1) -- {load()}", "ours"),
                       (f"ours on all cores (threads='all' = {nt} Numba threads, "
                        f"{numba.threading_layer()} layer) -- {load()}", "all")):
        print(f"\n{title}")
        head = (f"{'method':<10} {'ours it/s':>10} {'(a) it/s':>9} {'(b) it/s':>9} "
                f"{'ours/(a) med [min, max]':>24} {'ours/(b) med [min, max]':>24}  "
                f"{'>=10x (a)':>9} {'>=2x (b)':>8}")
        print(head)
        print("-" * len(head))
        for r in rows:
            per = r["per"]
            best_b = [max(u, v) for u, v in zip(per["bs"], per["bd"])]
            ra = [o / a for o, a in zip(per[key], per["a"])]
            rb = [o / b for o, b in zip(per[key], best_b)]
            cell = lambda v: f"{_median(v):5.1f}x [{min(v):4.1f}, {max(v):4.1f}]"  # noqa: E731
            print(f"{r['method']:<10} {_median(per[key]):>10.1f} {_median(per['a']):>9.1f} "
                  f"{_median(best_b):>9.1f} {cell(ra):>24} {cell(rb):>24}  "
                  f"{'met' if _median(ra) >= TARGET_A else 'NOT met':>9} "
                  f"{'met' if _median(rb) >= TARGET_B else 'NOT met':>8}")
    print("\nall-cores speed-up over one thread (median of per-round ratios): " + ", ".join(
        f"{r['method']} {_median([p / o for p, o in zip(r['per']['all'], r['per']['ours'])]):.2f}x"
        for r in rows) + "; results bit-identical to one thread in every round: " + ", ".join(
        f"{r['method']} {'yes' if r['same'] else 'NO'}" for r in rows))
    print("(b) mixing variants, median it/s: " + ", ".join(
        f"{r['method']}: sparse {_median(r['per']['bs']):.1f}, dense "
        f"{_median(r['per']['bd']):.1f}" for r in rows))
    print(f"\nLoss after the run, f(x_bar) (f* = {problem.f_star:.6f}; f(0) = "
          f"{problem.f(np.zeros(d)):.6f}); the three use different random streams:")
    for r in rows:
        lo, la, lb = r["loss"]
        print(f"  {r['method']:<10} ours {lo:.6f}   (a) {la:.6f}"
              f"{'' if a_T == T else f' (after {a_T})'}   (b) {lb:.6f}")
    return rows


def scaling(args, c):
    ns = [16, 32, 64] if args.quick else [16, 32, 64, 128, 256]
    ds = [100, 1000, 10000] if args.quick else [100, 1000, 10000, 100000]
    budget = 3e6 if args.quick else 3e7
    for label, configs in (("n (d = 1000)", [(n, 1000) for n in ns]),
                           ("d (n = 64)", [(64, d) for d in ds])):
        print(f"\nScaling in {label}: T = max(10, min(1000, {budget:.0e} / (n d))) iterations. "
              "'call' = T / time of the whole call (incl. the two endpoint evaluations of f and "
              "grad f over all n m samples; one thread); 'ns/nc' = steady-state nanoseconds per "
              "node-coordinate per iteration = (t(T) - t(1)) / ((T - 1) n d), one thread; "
              "'all' = the same on all cores; (b) has no fixed cost; ratio = (b) time / ours "
              f"steady time (one thread) -- {load()}")
        head = (f"{'n':>4} {'d':>7} {'m':>4} {'T':>5} | {'DCD call':>9} {'ns/nc':>6} "
                f"{'all':>5} {'(b) it/s':>9} {'(b)ns/nc':>8} {'ratio':>6} | {'CHOCO call':>10} "
                f"{'ns/nc':>6} {'all':>5} {'(b) it/s':>9} {'(b)ns/nc':>8} {'ratio':>6}")
        print(head)
        print("-" * len(head))
        for n, d in configs:
            m = 100 if n * d * 100 <= 1e8 else max(2, int(1e8 // (n * d)))
            T = int(max(10, min(1000, budget / (n * d))))
            p = timing_problem(n, d, m)
            top = ring(n)
            X0 = np.zeros((n, d))
            cells = []
            for method in ("dcd_psgd", "choco_sgd"):
                t_o, _ = time_best(lambda: ours(method, p, top, c, T), args.repeats)
                t_1, _ = time_best(lambda: ours(method, p, top, c, 1), args.repeats)
                steady = max(t_o - t_1, 1e-12) / (T - 1)
                t_op, _ = time_best(lambda: ours(method, p, top, c, T, "all"), args.repeats)
                t_1p, _ = time_best(lambda: ours(method, p, top, c, 1, "all"), args.repeats)
                steady_p = max(t_op - t_1p, 1e-12) / (T - 1)
                t_b, _ = time_best(lambda: run_ref(VecRef(p, top), method, X0, T),
                                   args.repeats)
                cells.append((T / t_o, 1e9 * steady / (n * d), 1e9 * steady_p / (n * d),
                              T / t_b, 1e9 * t_b / (T * n * d), t_b / T / steady))
            line = f"{n:>4} {d:>7} {m:>4} {T:>5} |"
            for k, (call, nsnc, nsnc_p, b, bnsnc, ratio) in enumerate(cells):
                line += (f" {call:>{9 if k == 0 else 10}.1f} {nsnc:>6.1f} {nsnc_p:>5.1f} "
                         f"{b:>9.1f} {bnsnc:>8.1f} {ratio:>5.2f}x" + (" |" if k == 0 else ""))
            print(line)


def _ours_nc(method, p, top, c, T, record):
    """ours with the given record schedule (``None``: nothing recorded, if supported)."""
    if method == "dcd_psgd":
        return alg.dcd_psgd(p, top, c, GAMMA, T, record=record)
    return alg.choco_sgd(p, top, c, GAMMA, T, consensus_step=CONSENSUS, record=record)


def node_coordinate(args, c):
    """Issue 15, "the simulator on one core": the steady cost per node-coordinate (ns per node
    per coordinate per iteration) of DCD and CHOCO from n = 16 to n = 4096 at d = 1000, each
    next to the vectorised numpy reference (b) measured in the same cell (one sampled gradient
    per node, dithering of all rows, W @ X with scipy.sparse), and the fixed cost of a run.
    Steady = (t(T) - t(1)) / (T - 1) with no trace point inside (record at the two ends);
    fixed = t(1) - steady = setup plus the trace points' loss evaluations over all n m
    samples, as a fraction of a 1000-iteration run. Where the simulator has the switch
    (``decentralized.INTERLEAVE_BYTES``), each cell times both serial schedules, two whole
    passes ("2p") and phase 1 interleaved behind phase 0 ("il"), back to back; "ours" is the
    one the simulator picks."""
    from theorytools.algorithms import decentralized as dec

    ns = [16, 256, 4096] if args.quick else [16, 64, 256, 1024, 4096]
    d, m = 1000, 4
    budget = 4e6 if args.quick else 2e7
    switch = hasattr(dec, "INTERLEAVE_BYTES")
    default_switch = getattr(dec, "INTERLEAVE_BYTES", None)
    modes = (("2p", math.inf), ("il", 0)) if switch else (("ours", None),)
    print(f"\nPer node-coordinate, one thread: d = {d}, m = {m} samples/node, ring, "
          f"dithering[s={S_LEVELS}]; T = max(20, {budget:.0e} / (n d)); ns/nc = steady "
          f"CPU nanoseconds per node-coordinate per iteration (best of {args.repeats}, process CPU "
          f"time); ref = "
          f"numpy (b), same cell; interleave threshold {default_switch} bytes -- {load()}")
    cols = [f"{meth} {mode}" for meth in ("DCD", "CHOCO") for mode, _ in modes]
    head = (f"{'n':>5} {'T':>5} | " + " ".join(f"{c_:>9}" for c_ in cols) +
            f" {'ref DCD':>8} {'ref CHOCO':>9} | {'DCD/CHOCO':>9} {'DCD/ref':>7} "
            f"{'CHOCO/ref':>9}")
    print(head)
    print("-" * len(head))
    first = None
    try:
        for n in ns:
            T = int(max(20, budget / (n * d)))
            p = timing_problem(n, d, m)
            top = ring(n)
            X0 = np.zeros((n, d))
            cell = {}
            for method in ("dcd_psgd", "choco_sgd"):
                rec_T, rec_1 = np.array([0, T]), np.array([0, 1])
                for mode, threshold in modes:
                    if switch:
                        dec.INTERLEAVE_BYTES = threshold
                    t_T, _ = cpu_best(lambda: _ours_nc(method, p, top, c, T, rec_T),
                                       args.repeats)
                    t_1, _ = cpu_best(lambda: _ours_nc(method, p, top, c, 1, rec_1),
                                       args.repeats)
                    cell[(method, mode)] = 1e9 * max(t_T - t_1, 1e-12) / ((T - 1) * n * d)
                t_b, _ = cpu_best(lambda: run_ref(VecRef(p, top), method, X0, T),
                                   args.repeats)
                cell[("ref", method)] = 1e9 * t_b / (T * n * d)
            picked = ("il" if 3 * 8 * n * d >= default_switch else "2p") if switch else "ours"
            # (the "il" cells use the simulator's block size, INTERLEAVE_BLOCK_BYTES)
            dcd, cho = cell[("dcd_psgd", picked)], cell[("choco_sgd", picked)]
            rd, rc = cell[("ref", "dcd_psgd")], cell[("ref", "choco_sgd")]
            print(f"{n:>5} {T:>5} | " + " ".join(
                f"{cell[(meth, mode)]:>9.2f}" for meth in ("dcd_psgd", "choco_sgd")
                for mode, _ in modes) + f" {rd:>8.2f} {rc:>9.2f} | {dcd / cho:>9.2f} "
                f"{dcd / rd:>7.3f} {cho / rc:>9.3f}" + (f"  (ours = {picked})" if switch
                                                         else ""))
            if first is None:
                first = (dcd / rd, cho / rc, dcd, cho)
            last = (dcd / rd, cho / rc, dcd, cho)
    finally:
        if switch:
            dec.INTERLEAVE_BYTES = default_switch
    # the memory floor: one core's streaming bandwidth, measured here with numpy
    big = 2 ** 25                                   # 3 x 256 MB: far beyond the caches
    a_, b_, c_ = np.ones(big), np.ones(big), np.ones(big)      # pages touched before timing
    t_tri, _ = cpu_best(lambda: np.add(a_, b_, out=c_), max(2, args.repeats))
    bw = 3 * 8 * big / t_tri                        # read a, b, write c (bytes/s)
    del a_, b_, c_
    print(f"memory floor: numpy c = a + b over 3 x 256 MB streams {bw / 1e9:.1f} GB/s on one "
          f"core; a step past the caches moves >= 48 bytes per node-coordinate (read and write "
          f"x and aux, write the message, read the sampled feature row) -> "
          f">= {48 / bw * 1e9:.2f} ns/nc")
    print(f"rise n = {ns[0]} -> {ns[-1]} of ours' ns/nc: DCD {last[2] / first[2]:.2f}x, CHOCO "
          f"{last[3] / first[3]:.2f}x; relative to the reference in the same cells: DCD "
          f"{last[0] / first[0]:.2f}x, CHOCO {last[1] / first[1]:.2f}x (1.00 = no rise)")
    # fixed cost of a run
    for n, m_fix in ((64, 100), (256, 100)):
        p = timing_problem(n, d, m_fix)
        top = ring(n)
        T = args.T
        for method in ("dcd_psgd", "choco_sgd"):
            t_T, _ = cpu_best(lambda: _ours_nc(method, p, top, c, T, np.array([0, T])),
                               args.repeats)
            t_1, _ = cpu_best(lambda: _ours_nc(method, p, top, c, 1, np.array([0, 1])),
                               args.repeats)
            steady = (t_T - t_1) / (T - 1)
            line = (f"fixed cost n = {n}, d = {d}, m = {m_fix}, {method}: record=[0, T] "
                    f"{1e3 * (t_1 - steady):.1f} ms = {100 * (t_1 - steady) / t_T:.1f} % of a "
                    f"T = {T} run ({1e3 * t_T:.0f} ms)")
            try:
                t_0n, _ = cpu_best(lambda: _ours_nc(method, p, top, c, 1, None), args.repeats)
                t_Tn, _ = cpu_best(lambda: _ours_nc(method, p, top, c, T, None), args.repeats)
                fixed_n = t_0n - (t_Tn - t_0n) / (T - 1)
                line += (f"; record=None {1e3 * fixed_n:.2f} ms = "
                         f"{100 * fixed_n / t_Tn:.2f} % of a T = {T} run ({1e3 * t_Tn:.0f} ms)")
            except Exception as exc:      # an engine without record=None
                line += f"; record=None not supported ({type(exc).__name__})"
            print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--T", type=int, default=1000)
    ap.add_argument("--loop-T", type=int, default=1000,
                    help="iterations for the Python-loop reference (a) (rates per iteration)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs per cell of the scaling tables (best is reported)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds of the main table (medians are reported)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--nc", action="store_true",
                    help="only the per node-coordinate table and the fixed cost (issue 15)")
    args = ap.parse_args()
    if args.quick:
        args.T, args.loop_T, args.repeats = min(args.T, 200), min(args.loop_T, 100), 1
        args.rounds = min(args.rounds, 2)
    t_start = time.perf_counter()
    print(f"numpy BLAS pinned to one thread (OPENBLAS = MKL = 1); Numba has "
          f"{numba.config.NUMBA_NUM_THREADS} threads; {os.cpu_count()} CPUs; OMP_WAIT_POLICY "
          f"{os.environ.get('OMP_WAIT_POLICY', 'unset (the simulator sets PASSIVE)')}; {load()}")
    c = create(f"dithering[s={S_LEVELS}]")
    t0 = time.perf_counter()
    warm_up(c, (1,) if args.nc else (1, "all"))
    print(f"JIT warm-up {time.perf_counter() - t0:.1f} s; bits per message (d = 1000): "
          f"{c.bits_budget(np.zeros(1000))}")
    if args.nc:
        node_coordinate(args, c)
    else:
        main_table(args, c)
        scaling(args, c)
        node_coordinate(args, c)
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
