"""Throughput of the compressors at d = 10^7, float64, one thread (not a test; not run by CI).

Usage::

    python bench/compressors.py            # d = 10^7, ~1-2 minutes
    python bench/compressors.py --d 1000000 --repeats 3
    python bench/compressors.py --d 1000000 --table ratios --rounds 7   # second table only

Every number is a median of ``--repeats`` timed runs after a warm-up (JIT compiled, arrays
touched). Rates are MB/s of *input* (8 bytes per coordinate). The clock (``--clock``) is
by default the CPU time of the calling thread (``time.thread_time``: user + system time,
so page faults count, but time spent waiting for a core does not): on a machine shared
with other jobs, wall-clock medians swing by 2x while thread CPU times stay within a few
percent, and with one thread and an idle machine the two agree. ``--clock wall`` uses
``time.perf_counter``. Both sides of every ratio use the same clock in the same run.
Columns:

* ``ours``: the public API, ``c.compress(x, seed)`` (validation, allocation of the output and
  its page faults included: that is what a user pays);
* ``kernel``: the compressor's Numba kernel writing into a preallocated, already-touched
  output (the part this package can make faster without changing the API), where one exists;
* ``ref``: the reference: ``np.copyto`` into a preallocated array for deterministic
  element-wise compressors (target: ours >= 40% of the copy rate), otherwise a straightforward
  vectorised numpy implementation written below (target: ours >= 5x numpy for randomised
  element-wise compressors, >= 2x ``np.argpartition`` for top_k at k = d/100);
* ``enc+dec``: ``c.encode`` followed by ``c.decode`` (target >= 200 MB/s of input).

The header also gives ``x.copy()`` (a copy into a fresh array) and the page-fault cost of a
fresh d-vector: no compressor that returns a new vector can beat ``x.copy()``
single-threaded, so a row whose "x numpy" target is missed or close prints the time the
target needs next to ``x.copy()``, the page faults and the ratio into a reused buffer; the
"of copy" rows also print ours against ``x.copy()`` (both with a fresh output).

A second table (``--table ratios``) times pairs whose ratio is the point, in ``--rounds``
interleaved rounds: ``natural_dithering[s=8]`` against ``dithering[s=8]`` (both
``compress``, float64), and ``rand_k`` / ``top_k`` (k = d/100) on float32 input against the
same call on float64 input. In every round each pair runs in a fresh process, both sides
back to back (so a ratio compares runs made under the same machine load, and no pair
inherits another's allocator state: whether a large temporary array page-faults depends on
what the process freed before). It prints the median over rounds of each side's time and
the median [min, max] of the per-round ratios.

The script never fails (exit status 0) whatever the numbers: it reports, CI does not gate on it.
"""
from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from theorytools.compressors import _kernels as K  # noqa: E402
from theorytools.compressors import create  # noqa: E402
from theorytools.random import draw_key  # noqa: E402


# ------------------------------------------------------------------ numpy references
def np_natural(x, rng):
    a = np.abs(x)
    _, e = np.frexp(a)
    lo = np.ldexp(1.0, e - 1)
    p = (a - lo) / lo
    up = rng.random(x.size) < p
    return np.copysign(np.where(up, 2.0 * lo, lo), x) * (a != 0)


def np_biased_natural(x, rng):
    a = np.abs(x)
    _, e = np.frexp(a)
    lo = np.ldexp(1.0, e - 1)
    return np.copysign(np.where(a > 1.5 * lo, 2.0 * lo, lo), x) * (a != 0)


def np_dithering(x, rng, s):
    norm = np.linalg.norm(x)
    su = s * (np.abs(x) / norm)
    level = np.floor(su)
    level += rng.random(x.size) < su - level
    return np.copysign(norm * (level / s), x)


def np_natural_dithering(x, rng, s):
    """Natural dithering (levels 2^(j-s) of |x_i|/||x||_2, unbiased adjacent rounding)."""
    norm = np.linalg.norm(x)
    u = np.abs(x) / norm
    _, e = np.frexp(u)
    below = e - 1 + s <= 0                  # u under the smallest level 2^(1-s): round to 0 or it
    lo = np.where(below, 0.0, np.ldexp(1.0, e - 1))
    hi = np.where(below, 2.0 ** (1 - s), 2.0 * lo)
    hi = np.where(u >= 1.0, 1.0, hi)
    lo = np.where(u >= 1.0, 1.0, lo)
    p = np.divide(u - lo, hi - lo, out=np.zeros_like(u), where=hi > lo)
    up = rng.random(x.size) < p
    return np.copysign(norm * np.where(up, hi, lo), x) * (u != 0)


def np_bernoulli(x, rng, p):
    keep = rng.random(x.size) < p
    return np.where(keep, x / p, 0.0)


def np_sign(x, rng):
    return np.where(x < 0, -1.0, 1.0)


def np_scaled_sign(x, rng):
    return (np.abs(x).sum() / x.size) * np.where(x < 0, -1.0, 1.0)


def np_top_k(x, rng, k):
    idx = np.argpartition(np.abs(x), x.size - k)[x.size - k:]
    out = np.zeros(x.size)
    out[idx] = x[idx]
    return out


# ------------------------------------------------------------------ kernels, preallocated
def kernel_runner(name, c, x):
    """A zero-argument function running the compressor's kernel into preallocated outputs."""
    d = x.size
    key = draw_key(1)
    out = np.zeros(d)
    lev = np.zeros(d, np.int64)
    neg = np.zeros(d, np.bool_)
    if name == "natural":
        return lambda: K.natural_sample_kernel(x, key, out)
    if name == "biased_natural":
        return lambda: K.biased_natural_kernel(x, out)
    if name == "dithering":
        s = c.params["s"]
        norm = c._norm(x)
        return lambda: K.uniform_dither_sample(x, norm, s, key, lev, neg)
    if name == "natural_dithering":
        s = c.params["s"]
        norm = c._norm(x)
        compress = getattr(K, "natural_dither_compress", None)
        if compress is None:                 # the code before the fused kernel: sample only
            return lambda: K.natural_dither_sample(x, norm, s, key, lev, neg)
        return lambda: compress(x, norm, s, key, out)
    if name == "sign":
        return lambda: (np.less(x, 0, out=neg), K.signed_fill(neg, 1.0, out))
    if name == "scaled_sign":
        return lambda: (np.less(x, 0, out=neg), K.signed_fill(neg, float(np.abs(x).sum()) / d, out))
    if name == "bernoulli":
        p = c.params["p"]
        return lambda: K.bernoulli_compress_checked(x, p, 1.0 / p, key, False, out)
    if name == "top_k":
        return lambda: K.top_k_indices(x, c.params["k"])
    return None


# ------------------------------------------------------------------ timing
CLOCK = time.thread_time


def median_time(fn, repeats):
    fn()                                   # warm-up: JIT, caches, first-touch of buffers
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    times.sort()
    return times[len(times) // 2]


def _ratio_pairs(d, seed):
    x = np.random.default_rng(seed).standard_normal(d)
    x32 = x.astype(np.float32)
    k = max(1, d // 100)
    return [  # label, spec, input, reference label, reference spec, reference input
        ("natural_dithering[s=8]", "natural_dithering[s=8]", x,
         "dithering[s=8]", "dithering[s=8]", x),
        (f"rand_k[k={k}] float32", f"rand_k[k={k}]", x32,
         "same, float64 input", f"rand_k[k={k}]", x),
        (f"top_k[k={k}] float32", f"top_k[k={k}]", x32,
         "same, float64 input", f"top_k[k={k}]", x),
    ]


def time_pair(d, seed, which, repeats):
    """(ours, reference) median times of pair ``which``, in this process."""
    label, spec, xin, rlabel, rspec, rin = _ratio_pairs(d, seed)[which]
    c, r = create(spec), create(rspec)
    ours = (lambda: c.compress(xin, 1))
    ref = (lambda: r.compress(rin, 1))
    ours()
    ref()                                     # JIT warm-up
    return median_time(ours, repeats), median_time(ref, repeats)


def ratio_table(d, seed, rounds, repeats, clock_name):
    """The pairs of the second table (module docstring), in interleaved rounds. Each pair is
    timed in a fresh process: the cost of a large temporary array depends on what the process
    allocated before (glibc returns freed large blocks to the OS, and the next one page-faults,
    until its dynamic mmap threshold has risen), so timing every pair in one process would
    measure the pairs' allocation history, not what a program calling one compressor pays."""
    import subprocess
    import sys
    pairs = _ratio_pairs(d, seed)
    times = [([], []) for _ in pairs]
    for _ in range(rounds):
        for which, (to, tr) in enumerate(times):
            res = subprocess.run([sys.executable, __file__, "--d", str(d), "--seed", str(seed),
                                  "--repeats", str(repeats), "--clock", clock_name,
                                  "--pair", str(which)],
                                 capture_output=True, text=True, check=True)
            a, b = map(float, res.stdout.split()[-2:])
            to.append(a)
            tr.append(b)
    clock = "thread CPU time" if clock_name == "cpu" else "wall clock"
    print(f"d = {d:,}  1 thread  {rounds} interleaved rounds (each pair in a fresh process per "
          f"round; each side the median of {repeats} runs), {clock}; c.compress(x, seed)")
    hdr = f"{'compressor':<28}{'ms':>8}{'reference':>24}{'ms':>8}   ratio: median [min, max]"
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for (label, _, _, rlabel, _, _), (to, tr) in zip(pairs, times):
        ratios = sorted(a / b for a, b in zip(to, tr))
        med = ratios[len(ratios) // 2]
        print(f"{label:<28}{np.median(to) * 1e3:8.2f}{rlabel:>24}{np.median(tr) * 1e3:8.2f}   "
              f"{med:5.2f}x [{ratios[0]:.2f}, {ratios[-1]:.2f}]")
        rows.append((label, float(np.median(to)), float(np.median(tr)), med, ratios[0], ratios[-1]))
    print("ms: median over rounds; ratio = ours / reference time within a round "
          "(below 1: ours is faster)")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=10**7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="cpu: CPU time of this thread (default); wall: perf_counter")
    ap.add_argument("--table", choices=("main", "ratios", "both"), default="both",
                    help="main: the throughput table; ratios: the paired table; both (default)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds of the ratios table (medians are reported)")
    ap.add_argument("--pair", type=int, default=None, help=argparse.SUPPRESS)  # one pair, internal
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter
    if args.pair is not None:
        print(*time_pair(args.d, args.seed, args.pair, args.repeats))
        return None
    if args.table == "ratios":
        return ratio_table(args.d, args.seed, args.rounds, args.repeats, args.clock)
    rows = main_table(args)
    if args.table == "both":
        print()
        ratio_table(args.d, args.seed, args.rounds, args.repeats, args.clock)
    return rows


def main_table(args):
    d, reps = args.d, args.repeats
    mb = 8.0 * d / 1e6

    x = np.random.default_rng(args.seed).standard_normal(d)
    dst = np.empty_like(x)
    dst[:] = 1.0                           # touch the destination before timing the copy
    t_copy = median_time(lambda: np.copyto(dst, x), reps)
    copy_rate = mb / t_copy
    # the cost of a fresh output: a copy into a new array, and its page faults alone
    # (filling a new array minus filling a touched one)
    t_copy_fresh = median_time(lambda: x.copy(), reps)
    t_faults = max(0.0, median_time(lambda: np.empty(d).fill(0.0), reps)
                   - median_time(lambda: dst.fill(0.0), reps))

    k = max(1, d // 100)
    s = max(1, math.isqrt(d))
    cases = [  # name, spec, reference fn, target kind, target value
        ("natural", "natural", np_natural, "x numpy", 5.0),
        ("dithering", f"dithering[s={s}]", lambda x, r: np_dithering(x, r, s), "x numpy", 5.0),
        ("natural_dithering", "natural_dithering[s=8]",
         lambda x, r: np_natural_dithering(x, r, 8), "x numpy", 5.0),
        ("bernoulli", "bernoulli[p=0.1]", lambda x, r: np_bernoulli(x, r, 0.1), "x numpy", 5.0),
        ("sign", "sign", np_sign, "of copy", 0.4),
        ("scaled_sign", "scaled_sign", np_scaled_sign, "of copy", 0.4),
        ("biased_natural", "biased_natural", np_biased_natural, "of copy", 0.4),
        ("top_k", f"top_k[k={k}]", lambda x, r: np_top_k(x, r, k), "x argpart", 2.0),
    ]

    clock = "thread CPU time" if args.clock == "cpu" else "wall clock"
    print(f"d = {d:,}  float64  1 thread  median of {reps}, {clock}  "
          f"(rates: MB/s of input, 8 B/coord)")
    print(f"np.copyto (preallocated, touched): {t_copy * 1e3:8.1f} ms  {copy_rate:8.0f} MB/s")
    print(f"x.copy() (fresh output array):     {t_copy_fresh * 1e3:8.1f} ms  "
          f"{mb / t_copy_fresh:8.0f} MB/s   <- floor for any compressor returning a new "
          f"d-vector")
    print(f"page faults of a fresh {mb:.0f} MB array: {t_faults * 1e3:.1f} ms "
          f"(np.empty(d).fill(0) minus filling a touched array)")
    print()
    hdr = (f"{'compressor':<18}{'ours':>9}{'out=':>9}{'kernel':>9}{'ref':>9}{'ratio':>8}"
           f"{'target':>14}{'':>9}{'enc+dec':>9}{'(>=200)':>9}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for name, spec, ref_fn, kind, target in cases:
        c = create(spec, float_width=64)
        rng = np.random.default_rng(1)
        c.compress(x[:1000] if name != "top_k" else x, 1)      # JIT warm-up
        t_ours = median_time(lambda: c.compress(x, 1), reps)
        buf = np.empty_like(x)
        t_out = median_time(lambda: c.compress(x, 1, out=buf), reps)
        kr = kernel_runner(name, c, x)
        t_kernel = median_time(kr, reps) if kr is not None else float("nan")
        if kind == "of copy":
            t_ref_np = median_time(lambda: ref_fn(x, rng), reps)
            ref_rate = copy_rate
            ratio = (mb / t_out) / copy_rate   # preallocated output, like the copy
        else:
            t_ref_np = median_time(lambda: ref_fn(x, rng), reps)
            ref_rate = mb / t_ref_np
            ratio = t_ref_np / t_ours
        msg = c.encode(x, 1)
        c.decode(msg)
        t_enc = median_time(lambda: c.encode(x, 1), max(3, reps // 2 + 1))
        t_dec = median_time(lambda: c.decode(msg), max(3, reps // 2 + 1))
        encdec = mb / (t_enc + t_dec)
        met = ratio >= target
        tstr = f">= {target:g}{'x' if kind != 'of copy' else ''} {kind.split()[-1]}"
        if kind == "of copy":
            tstr = f">= {target:.0%} copy"
        print(f"{name:<18}{mb / t_ours:9.0f}{mb / t_out:9.0f}{mb / t_kernel:9.0f}"
              f"{ref_rate:9.0f}{ratio:8.2f}"
              f"{tstr:>14}{'met' if met else 'NOT met':>9}{encdec:9.0f}"
              f"{'met' if encdec >= 200 else 'NOT met':>9}")
        rows.append((name, mb / t_ours, ref_rate, ratio, met, encdec))
        if kind == "of copy":
            print(f"{'':<18}(numpy implementation: {mb / t_ref_np:.0f} MB/s; ours = "
                  f"{t_ref_np / t_ours:.2f}x numpy; fresh output: ours = "
                  f"{t_copy_fresh / t_ours:.0%} of x.copy()'s rate)")
        elif not met or ratio < 1.1 * target:
            print(f"{'':<18}(target needs ours <= {t_ref_np / target * 1e3:.1f} ms; ours = "
                  f"{t_ours * 1e3:.1f} ms = {t_ours / t_copy_fresh:.2f} x.copy(), of which "
                  f"{t_faults * 1e3:.0f} ms page faults; into a reused buffer "
                  f"{t_ref_np / t_out:.2f}x)")
    print()
    print("ours = c.compress(x, seed) incl. validation and a fresh output array (page faults); "
          "out= = c.compress(x, seed, out=buf) into a reused buffer; kernel = kernel only; "
          "ratio = out=/copy for 'of copy' rows (both write into a touched buffer), "
          "t_numpy/t_ours otherwise (both allocate). A compressor that returns a new d-vector "
          "cannot beat x.copy() (first line): a 'x numpy' target below that floor is out of "
          "reach single-threaded, whatever the kernel.")
    return rows


if __name__ == "__main__":
    main()
