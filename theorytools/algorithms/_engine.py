"""Numba kernels of the algorithms: one call runs T iterations for all n nodes.

Conventions (Tang et al. 2018, Algorithms 1-2 (docs/sources.md#tang), theorems of P1/P2 (docs/sources.md#cgd)): rows of X are the nodes'
models; mixing uses W in CSR form (row i: sum_j W_ij X[j]); gradients come from
``node_grads`` with the problem stream ``seed``; compressor randomness from the separate stream
``seed ^ COMPRESS_TAG`` (common random numbers: every algorithm run with one seed sees the
same gradient noise and the same compressor draws at each (node, step)).
Iteration t (0-based in the loop) is Tang's t + 1.

Arguments are bundled (issue 19): :class:`Graph` (W in CSR and the serial phase schedule),
:class:`CompressorCode` (the batch kernel's code, parameters, bit table, uncompressed bits),
:class:`Record` (the steps to record and the trace arrays), the problem's ``Oracle``, and
``steps`` (the step size of each iteration); registered methods get :class:`Buffers`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import get_thread_id, njit, prange

from theorytools.algorithms._batch import (GRID, IDENTITY, compress_row, compress_row_add,
                                           compress_rows)
from theorytools.algorithms._oracle import (NOISE_SAMPLING, QUADRATIC, full_gradient, node_grad,
                                            node_grads, node_value_grad, objective)
from theorytools.problems import _kernels as PK
from theorytools.random import node_step_key

COMPRESS_TAG = np.uint64(0x5EED_C0DE_0000_0001)


class Graph(NamedTuple):
    """The mixing matrix W in CSR form (``Topology.indptr/indices/data``): row i is
    ``sum_p data[p] X[indices[p]]`` for p in ``indptr[i]:indptr[i + 1]``; and the serial
    kernels' schedule of phase 1 (see :func:`graph_of`): node j's phase 1 may run as soon as
    the phase 0 of node ``ready[j]`` is done; ``order`` lists the nodes by ``ready``; phase 0
    runs in blocks of ``block`` nodes."""
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    ready: np.ndarray
    order: np.ndarray
    block: int


def graph_of(topology, interleave=True, block=1):
    """The :class:`Graph` of a topology. ``ready[j]`` = the largest index among j, the nodes j
    reads (row j of W) and the nodes that read j (column j): once phase 0 has run for nodes
    0..ready[j], every value node j's phase 1 reads is final and nothing that phase 0 still
    has to read is overwritten by it. For a ring, ready[j] = j + 1 (except nodes 0 and n - 1):
    phase 1 follows phase 0 one block behind, while the rows are still in cache. Phase 0 runs
    in blocks of ``block`` nodes. With ``interleave`` False the schedule is two whole passes:
    one block of n nodes, then phase 1 of nodes 0..n-1."""
    indptr = np.ascontiguousarray(topology.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(topology.indices, dtype=np.int64)
    n = indptr.size - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    ready = np.arange(n, dtype=np.int64)
    np.maximum.at(ready, rows, indices)
    np.maximum.at(ready, indices, rows)
    if not interleave:
        ready = np.full(n, n - 1, np.int64)
        block = n
    order = np.argsort(ready, kind="stable").astype(np.int64)
    return Graph(indptr, indices, np.ascontiguousarray(topology.data, dtype=np.float64), ready,
                 order, max(1, int(block)))


class CompressorCode(NamedTuple):
    """A compressor's batch kernel (``_batch.prepare``): its ``code`` (the kernel branch),
    parameters ``cparams``, bit-count ``table``, and ``full_bits`` = the bits of an uncompressed
    message (``float_bits * d``, D-PSGD and mini-batch SGD)."""
    code: int
    cparams: np.ndarray
    table: np.ndarray
    full_bits: int


class Record(NamedTuple):
    """The trace arrays a kernel fills at the steps ``record_at`` (row r = step record_at[r]):
    f(x_bar) - f*, ||grad f(x_bar)||^2, ||x_bar - x*||^2, ``cons`` (the consensus error; for
    the centralized kernels EF's virtual gap), cumulative bits per node."""
    record_at: np.ndarray
    xstar: np.ndarray
    fstar: float
    f_gap: np.ndarray
    g_sq: np.ndarray
    dist_sq: np.ndarray
    cons: np.ndarray
    bits_cum: np.ndarray


def new_record(record_at, problem, n):
    """A :class:`Record` with empty metric arrays for the steps ``record_at`` of ``problem``."""
    r = record_at.size
    return Record(record_at, problem.x_star, float(problem.f_star), np.empty(r), np.empty(r),
                  np.empty(r), np.empty(r), np.zeros((r, n), np.int64))

DPSGD_LIAN, DPSGD_ATC, NAIVE, DCD, ECD, CHOCO = range(6)
SGD, DCGD, EF = range(3)


@njit(cache=True)
def mix(indptr, indices, data, X, out):
    n, d = X.shape
    for i in range(n):
        for j in range(d):
            out[i, j] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            w = data[p]
            src = X[indices[p]]
            for j in range(d):
                out[i, j] += w * src[j]


@njit(cache=True)
def _mean_rows(X, out):
    """out = (1/n) sum_i X[i] (column means; sequential order)."""
    n, d = X.shape
    for j in range(d):
        s = 0.0
        for i in range(n):
            s += X[i, j]
        out[j] = s / n


@njit(cache=True)
def _add_bits(step_bits, bits):
    """bits += step_bits; returns the largest message of the step (for the cost model)."""
    mx = 0
    for i in range(step_bits.size):
        bits[i] += step_bits[i]
        if step_bits[i] > mx:
            mx = step_bits[i]
    return mx


@njit(cache=True)
def _record(o, X, xstar, fstar, rows, grads, gbar, r, f_gap, g_sq, dist_sq, cons):
    xbar = np.empty(X.shape[1])
    _mean_rows(X, xbar)
    f_gap[r] = objective(o, xbar) - fstar
    full_gradient(o, xbar, rows, grads, gbar)
    _record_rest(X, xbar, xstar, gbar, r, g_sq, dist_sq, cons)


@njit(cache=True)
def _record_rest(X, xbar, xstar, gbar, r, g_sq, dist_sq, cons):
    """The trace entries every recorder shares: ||grad f||^2, ||x_bar - x*||^2 and the
    consensus error (1/n) sum_i ||x_i - x_bar||^2 (serial, node order)."""
    n, d = X.shape
    g_sq[r] = gbar @ gbar
    diff = xbar - xstar
    dist_sq[r] = diff @ diff
    c = 0.0
    for i in range(n):
        for j in range(d):
            t = X[i, j] - xbar[j]
            c += t * t
    cons[r] = c / n


# ---------------------------------------------------------------- decentralized: node phases
# One iteration = two or three phases; within a phase every node's work reads only what no
# other node writes in that phase, so the node loop can run in any order, or in parallel
# (``prange``), with bit-identical results. Everything that combines nodes (bits, the first
# failure, the trace reductions) is done afterwards, serially, in node order.

@njit(cache=True)
def _mix_row(indptr, indices, data, src, i, out):
    """out = sum_p W_ip src[j_p]: row i of W in CSR order, accumulated from 0.0 (the
    arithmetic of :func:`mix`), up to four neighbours (self included) per pass over the row."""
    d = out.size
    start, stop = indptr[i], indptr[i + 1]
    if start == stop:
        for k in range(d):
            out[k] = 0.0
        return
    p = start
    first = True
    while p < stop:
        cnt = min(stop - p, 4)
        w0 = data[p]
        s0 = src[indices[p]]
        if first:
            if cnt == 1:
                for k in range(d):
                    out[k] = 0.0 + w0 * s0[k]
            elif cnt == 2:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                for k in range(d):
                    out[k] = (0.0 + w0 * s0[k]) + w1 * s1[k]
            elif cnt == 3:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                w2, s2 = data[p + 2], src[indices[p + 2]]
                for k in range(d):
                    out[k] = ((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]
            else:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                w2, s2 = data[p + 2], src[indices[p + 2]]
                w3, s3 = data[p + 3], src[indices[p + 3]]
                for k in range(d):
                    out[k] = (((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]) + w3 * s3[k]
            first = False
        else:
            if cnt == 1:
                for k in range(d):
                    out[k] = out[k] + w0 * s0[k]
            elif cnt == 2:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                for k in range(d):
                    out[k] = (out[k] + w0 * s0[k]) + w1 * s1[k]
            elif cnt == 3:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                w2, s2 = data[p + 2], src[indices[p + 2]]
                for k in range(d):
                    out[k] = ((out[k] + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]
            else:
                w1, s1 = data[p + 1], src[indices[p + 1]]
                w2, s2 = data[p + 2], src[indices[p + 2]]
                w3, s3 = data[p + 3], src[indices[p + 3]]
                for k in range(d):
                    out[k] = (((out[k] + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]) + w3 * s3[k]
        p += cnt


@njit(cache=True)
def _mix_combine(choco, indptr, indices, data, src, i, dst, a, cs, scratch):
    """With m = sum_p W_ip src[j_p] (the arithmetic of :func:`_mix_row`): dst += m (DCD's
    replicas), or with ``choco`` dst = dst + cs (m - a). Rows of up to four neighbours are
    mixed and combined in one pass; longer ones go through ``scratch``."""
    d = dst.size
    start, stop = indptr[i], indptr[i + 1]
    deg = stop - start
    if deg == 0 or deg > 4:
        _mix_row(indptr, indices, data, src, i, scratch)
        if choco:
            for k in range(d):
                dst[k] = dst[k] + cs * (scratch[k] - a[k])
        else:
            for k in range(d):
                dst[k] += scratch[k]
        return
    w0, s0 = data[start], src[indices[start]]
    if deg == 1:
        if choco:
            for k in range(d):
                dst[k] = dst[k] + cs * ((0.0 + w0 * s0[k]) - a[k])
        else:
            for k in range(d):
                dst[k] += 0.0 + w0 * s0[k]
        return
    w1, s1 = data[start + 1], src[indices[start + 1]]
    if deg == 2:
        if choco:
            for k in range(d):
                dst[k] = dst[k] + cs * (((0.0 + w0 * s0[k]) + w1 * s1[k]) - a[k])
        else:
            for k in range(d):
                dst[k] += (0.0 + w0 * s0[k]) + w1 * s1[k]
        return
    w2, s2 = data[start + 2], src[indices[start + 2]]
    if deg == 3:
        if choco:
            for k in range(d):
                dst[k] = dst[k] + cs * ((((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]) - a[k])
        else:
            for k in range(d):
                dst[k] += ((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]
        return
    w3, s3 = data[start + 3], src[indices[start + 3]]
    if choco:
        for k in range(d):
            dst[k] = dst[k] + cs * (((((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]) +
                                     w3 * s3[k]) - a[k])
    else:
        for k in range(d):
            dst[k] += (((0.0 + w0 * s0[k]) + w1 * s1[k]) + w2 * s2[k]) + w3 * s3[k]


@njit(cache=True)
def _gradient(o, i, x, seed, t, g):
    """Node i's stochastic gradient at x. Batch-1 sampling (logistic or ridge) returns
    (True, w, j): g = lam x + w F[i, j] is then formed on the fly by the caller (the same two
    roundings as the node kernel, without writing g); otherwise writes g and returns
    (False, 0.0, 0)."""
    if o.noise == NOISE_SAMPLING and o.batch == 1:
        j, w, _ = PK.sample_weight(o.kind, o.F[i], o.Y[i], x, node_step_key(seed, i, t), 0,
                                   1.0)
        return True, w, j
    node_grad(o, i, x, seed, t, g)
    return False, 0.0, 0


@njit(cache=True)
def _compressed(i, bits, step_bits, fail):
    if bits < 0:
        fail[i] = 1
    else:
        step_bits[i] = bits


# One function per (method, phase), each looping over the nodes lo..hi-1 with only the arrays
# it needs (a single generic node function with the method switch inside measured 5-40%
# slower per phase).

@njit(cache=True)
def _lian0(lo, hi, X, Cm, S, gr, gamma, t, o, seed):
    """D-PSGD (Lian): Cm[i] = sum_j W_ij x_j - gamma g_i (copied into X in phase 1)."""
    g, mrow = S[0], S[2]
    for i in range(lo, hi):
        c = Cm[i]
        node_grad(o, i, X[i], seed, t, g)
        _mix_row(gr.indptr, gr.indices, gr.data, X, i, mrow)
        for k in range(c.size):
            c[k] = mrow[k] - gamma * g[k]


@njit(cache=True)
def _copy_rows(lo, hi, src, dst):
    for i in range(lo, hi):
        s, r = src[i], dst[i]
        for k in range(r.size):
            r[k] = s[k]


@njit(cache=True)
def _atc0(lo, hi, X, Cm, S, gamma, t, o, seed):
    """D-PSGD (ATC): Cm[i] = x_i - gamma g_i (mixed into X in phase 1)."""
    g = S[0]
    for i in range(lo, hi):
        x, c = X[i], Cm[i]
        node_grad(o, i, x, seed, t, g)
        for k in range(c.size):
            c[k] = x[k] - gamma * g[k]


@njit(cache=True)
def _mix_into(lo, hi, src, dst, gr):
    """dst[i] = sum_j W_ij src[j] (ATC's phase 1)."""
    for i in range(lo, hi):
        _mix_row(gr.indptr, gr.indices, gr.data, src, i, dst[i])


@njit(cache=True)
def _naive0(lo, hi, X, Cm, gi, t, cc, cseed, step_bits, fail):
    """Naive: Cm[i] = C(x_i)."""
    for i in range(lo, hi):
        _compressed(i, compress_row(cc.code, cc.cparams, cc.table, X[i],
                                    node_step_key(cseed, i, t), Cm[i], gi), step_bits, fail)


@njit(cache=True)
def _naive1(lo, hi, X, Cm, S, gr, gamma, t, o, seed):
    """Naive: x_i = sum_j W_ij C(x_j) - gamma g_i (g at the old x_i)."""
    g, mrow = S[0], S[2]
    for i in range(lo, hi):
        x = X[i]
        node_grad(o, i, x, seed, t, g)
        _mix_row(gr.indptr, gr.indices, gr.data, Cm, i, mrow)
        for k in range(x.size):
            x[k] = mrow[k] - gamma * g[k]


@njit(cache=True)
def _dcd0(lo, hi, X, aux, Cm, S, gi, gamma, t, o, cc, seed, cseed, step_bits, fail):
    """DCD: z = sum_j W_ij xhat_j - gamma g - x (aux holds the mixed replicas); Cm[i] = C(z);
    x += C(z)."""
    g, v = S[0], S[1]
    lam = o.lam
    for i in range(lo, hi):
        x, a, c = X[i], aux[i], Cm[i]
        fused, w, j = _gradient(o, i, x, seed, t, g)
        if fused:
            f = o.F[i, j]
            for k in range(x.size):
                v[k] = a[k] - gamma * (lam * x[k] + w * f[k]) - x[k]
        else:
            for k in range(x.size):
                v[k] = a[k] - gamma * g[k] - x[k]
        _compressed(i, compress_row_add(cc.code, cc.cparams, cc.table, v,
                                        node_step_key(cseed, i, t), c, gi, x), step_bits, fail)


@njit(cache=True)
def _dcd1(lo, hi, aux, Cm, S, gr):
    """DCD: the mixed replicas follow the messages, aux_i += sum_j W_ij C(z_j)."""
    mrow = S[2]
    for i in range(lo, hi):
        a = aux[i]
        _mix_combine(False, gr.indptr, gr.indices, gr.data, Cm, i, a, a, 0.0, mrow)


@njit(cache=True)
def _ecd0(lo, hi, X, aux, Cm, S, gi, gr, gamma, t, o, cc, seed, cseed, step_bits, fail):
    """ECD: x_new = sum_j W_ij ytilde_j - gamma g; z = (1 - t/2) x + (t/2) x_new; Cm[i] = C(z)."""
    g, v, mrow = S[0], S[1], S[2]
    tt = t + 1.0
    for i in range(lo, hi):
        x = X[i]
        node_grad(o, i, x, seed, t, g)
        _mix_row(gr.indptr, gr.indices, gr.data, aux, i, mrow)
        for k in range(x.size):
            xnew = mrow[k] - gamma * g[k]
            v[k] = (1.0 - tt / 2.0) * x[k] + (tt / 2.0) * xnew
            x[k] = xnew
        _compressed(i, compress_row(cc.code, cc.cparams, cc.table, v,
                                    node_step_key(cseed, i, t), Cm[i], gi), step_bits, fail)


@njit(cache=True)
def _ecd1(lo, hi, aux, Cm, t):
    """ECD: ytilde_i = (1 - 2/t) ytilde_i + (2/t) C(z_i)."""
    tt = t + 1.0
    for i in range(lo, hi):
        a, c = aux[i], Cm[i]
        for k in range(a.size):
            a[k] = (1.0 - 2.0 / tt) * a[k] + (2.0 / tt) * c[k]


@njit(cache=True)
def _choco0(lo, hi, X, aux, Cm, S, gi, gamma, t, o, cc, seed, cseed, step_bits, fail):
    """CHOCO: x <- x - gamma g (the half step, kept in X); Cm[i] = C(x - xhat); xhat += it."""
    g, v = S[0], S[1]
    lam = o.lam
    for i in range(lo, hi):
        x, a, c = X[i], aux[i], Cm[i]
        fused, w, j = _gradient(o, i, x, seed, t, g)
        if fused:
            f = o.F[i, j]
            for k in range(x.size):
                h = x[k] - gamma * (lam * x[k] + w * f[k])
                x[k] = h
                v[k] = h - a[k]
        else:
            for k in range(x.size):
                h = x[k] - gamma * g[k]
                x[k] = h
                v[k] = h - a[k]
        _compressed(i, compress_row_add(cc.code, cc.cparams, cc.table, v,
                                        node_step_key(cseed, i, t), c, gi, a), step_bits, fail)


@njit(cache=True)
def _choco1(lo, hi, X, aux, S, gr, cs):
    """CHOCO: x = x_half + gamma_c (sum_j W_ij xhat_j - xhat_i)."""
    mrow = S[2]
    for i in range(lo, hi):
        _mix_combine(True, gr.indptr, gr.indices, gr.data, aux, i, X[i], aux[i], cs, mrow)


@njit(cache=True)
def _phase_block(phase, lo, hi, method, X, aux, Cm, S, gi, gr, gamma, cs, t, o, cc, seed, cseed,
                 step_bits, fail):
    """Nodes lo..hi-1: their part of phase 0 or 1 of iteration t (see run_decentralized).
    ``S`` (3, d) is the calling thread's scratch (gradient, vector to compress, mixed row;
    L1-resident), ``gi`` its int64 row for grid rounding's indices (length 0 otherwise); ``Cm``
    (n, d) holds what the neighbours read in the next phase (messages C(.), or D-PSGD's rows).
    """
    if method == DPSGD_LIAN or method == DPSGD_ATC:
        for i in range(lo, hi):
            step_bits[i] = cc.full_bits
    if phase == 0:
        if method == DPSGD_LIAN:
            _lian0(lo, hi, X, Cm, S, gr, gamma, t, o, seed)
        elif method == DPSGD_ATC:
            _atc0(lo, hi, X, Cm, S, gamma, t, o, seed)
        elif method == NAIVE:
            _naive0(lo, hi, X, Cm, gi, t, cc, cseed, step_bits, fail)
        elif method == DCD:
            _dcd0(lo, hi, X, aux, Cm, S, gi, gamma, t, o, cc, seed, cseed, step_bits, fail)
        elif method == ECD:
            _ecd0(lo, hi, X, aux, Cm, S, gi, gr, gamma, t, o, cc, seed, cseed, step_bits, fail)
        else:
            _choco0(lo, hi, X, aux, Cm, S, gi, gamma, t, o, cc, seed, cseed, step_bits, fail)
    else:
        if method == DPSGD_LIAN:
            _copy_rows(lo, hi, Cm, X)
        elif method == DPSGD_ATC:
            _mix_into(lo, hi, Cm, X, gr)
        elif method == NAIVE:
            _naive1(lo, hi, X, Cm, S, gr, gamma, t, o, seed)
        elif method == DCD:
            _dcd1(lo, hi, aux, Cm, S, gr)
        elif method == ECD:
            _ecd1(lo, hi, aux, Cm, t)
        else:
            _choco1(lo, hi, X, aux, S, gr, cs)


@njit(cache=True, parallel=True)
def _phase_parallel(phase, method, X, aux, Cm, S, GI, gr, gamma, cs, t, o, cc, seed, cseed,
                    step_bits, fail):
    """The nodes in S.shape[0] contiguous blocks, one per thread (``prange``)."""
    n = X.shape[0]
    nb = S.shape[0]
    for b in prange(nb):
        tid = get_thread_id()
        _phase_block(phase, b * n // nb, (b + 1) * n // nb, method, X, aux, Cm, S[tid], GI[tid],
                     gr, gamma, cs, t, o, cc, seed, cseed, step_bits, fail)


@njit(cache=True, parallel=True)
def threading_ready(n):
    """A trivial parallel kernel, called from Python before the engine: loading a cached
    kernel that calls parallel kernels needs Numba's threading layer to be running (its
    scheduler symbols), which only a direct call of a parallel kernel guarantees."""
    acc = np.zeros(n, np.int64)
    for i in prange(n):
        acc[i] = i
    return acc.sum()


@njit(cache=True)
def _values_serial(o, x, grads, values):
    for i in range(grads.shape[0]):
        values[i] = node_value_grad(o, i, x, grads[i])


@njit(cache=True, parallel=True)
def _values_parallel(o, x, grads, values):
    for i in prange(grads.shape[0]):
        values[i] = node_value_grad(o, i, x, grads[i])


@njit(cache=True)
def _trace_point(o, X, xbar, xstar, fstar, grads, values, gbar, r, f_gap, g_sq, dist_sq, cons):
    """Trace point r from the nodes' values and gradients at the average model ``xbar``
    (:func:`node_value_grad`), reduced serially in node order: the arithmetic of
    :func:`objective` and :func:`full_gradient`, whatever computed the nodes' parts."""
    n = X.shape[0]
    total = 0.0
    for i in range(n):
        total += values[i]
    if o.kind != QUADRATIC:
        total += n * 0.5 * o.lam * (xbar @ xbar)
    f_gap[r] = total / n - fstar
    _mean_rows(grads, gbar)
    _record_rest(X, xbar, xstar, gbar, r, g_sq, dist_sq, cons)


@njit(cache=True)
def _node_mean(X):
    n, d = X.shape
    xbar = np.zeros(d)
    for i in range(n):
        xbar += X[i]
    xbar /= n
    return xbar


@njit(cache=True, inline="always")
def _run(method, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec, bits, step_max_bits,
         parallel, nthreads):
    """The body of :func:`run_decentralized` (``parallel`` False) and
    :func:`run_decentralized_parallel` (True). Inlined with ``parallel`` a constant, so the
    serial kernel holds no parallel code (it loads from the cache without Numba's threading
    layer)."""
    n, d = X.shape
    Cm = np.empty((n, d))
    S = np.empty((nthreads, 3, d))       # per-thread scratch rows
    GI = np.empty((nthreads, d if cc.code == GRID else 0), np.int64)
    step_bits = np.zeros(n, np.int64)
    fail = np.zeros(n, np.int8)
    useed = np.uint64(seed)
    cseed = useed ^ COMPRESS_TAG
    record_at = rec.record_at
    r = 0
    while r < record_at.size and record_at[r] < t0:
        r += 1
    for t in range(t0, t0 + T + 1):
        if r < record_at.size and record_at[r] == t:
            _trace_point_at(o, X, rec, r, parallel)
            rec.bits_cum[r] = bits
            r += 1
        if t == t0 + T:
            break
        gamma = steps[t - t0]
        if parallel:
            for phase in range(2):
                _phase_parallel(phase, method, X, aux, Cm, S, GI, gr, gamma, consensus_step, t,
                                o, cc, useed, cseed, step_bits, fail)
                for i in range(n):
                    if fail[i]:
                        return t
        else:
            # phase 1 of node j right after phase 0 of node ready[j] (while the rows it reads
            # are in cache), in the order gr.order; the same arithmetic per node as two whole
            # passes (see graph_of), so the same bits. Blocks of gr.block nodes amortise the
            # calls; runs of consecutive ready nodes share one phase-1 call. (Two whole passes
            # are the case block = n: one phase-0 call, then one phase-1 call for 0..n-1.)
            q = 0
            for lo in range(0, n, gr.block):
                hi = min(lo + gr.block, n)
                _phase_block(0, lo, hi, method, X, aux, Cm, S[0], GI[0], gr, gamma,
                             consensus_step, t, o, cc, useed, cseed, step_bits, fail)
                for i in range(lo, hi):
                    if fail[i]:
                        return t
                while q < n and gr.ready[gr.order[q]] < hi:
                    j0 = gr.order[q]
                    j1 = j0 + 1
                    q += 1
                    while q < n and gr.order[q] == j1 and gr.ready[j1] < hi:
                        j1 += 1
                        q += 1
                    _phase_block(1, j0, j1, method, X, aux, Cm, S[0], GI[0], gr, gamma,
                                 consensus_step, t, o, cc, useed, cseed, step_bits, fail)
        step_max_bits[t - t0] = _add_bits(step_bits, bits)
    return -1


@njit(cache=True, inline="always")
def _trace_point_at(o, X, rec, r, parallel):
    """Trace point r of ``rec`` at the nodes' average model (the nodes' values and gradients
    in parallel or serially, reduced serially in node order)."""
    n, d = X.shape
    grads = np.empty((n, d))
    values = np.empty(n)
    gbar = np.empty(d)
    xbar = _node_mean(X)
    if parallel:
        _values_parallel(o, xbar, grads, values)
    else:
        _values_serial(o, xbar, grads, values)
    _trace_point(o, X, xbar, rec.xstar, rec.fstar, grads, values, gbar, r, rec.f_gap, rec.g_sq,
                 rec.dist_sq, rec.cons)


@njit(cache=True)
def run_decentralized(method, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec, bits,
                      step_max_bits):
    """Run T iterations in place on X (n, d) and the method's auxiliary state ``aux``:
    DCD: S = W X_hat (the mixed replicas), ECD: the estimates Y_tilde, CHOCO: X_hat.

    ``gr`` is the mixing matrix as a :class:`Graph` (CSR), ``cc`` the compressor as a
    :class:`CompressorCode`, ``rec`` the trace arrays as a :class:`Record` (``record_at`` holds
    absolute step counts). Iterations t0 .. t0 + T - 1 are run (so a run can be continued step
    by step with the same random streams), iteration t with the step size ``steps[t - t0]``
    (``steps``: T float64); ``bits`` (per node, cumulative) is updated in place. Returns -1, or
    the step at which a compression failed.

    Each iteration runs node by node in two phases (:func:`_phase_block`): 0 = the gradient and
    all that reads only the previous state (DCD: z, C(z), x += C(z); CHOCO: the half step,
    C(x - xhat), xhat += C; ECD: mixing, x, C(z); D-PSGD: the new rows), 1 = what reads the
    neighbours' phase-0 output (DCD/CHOCO/naive/ATC mixing, ECD's estimates, Lian's copy back).
    One thread; :func:`run_decentralized_parallel` is the same on Numba's threads."""
    return _run(method, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec, bits,
                step_max_bits, False, 1)


@njit(cache=True)
def run_decentralized_parallel(method, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec,
                               bits, step_max_bits, nthreads):
    """:func:`run_decentralized` with each phase run as ``nthreads`` contiguous blocks of nodes
    under ``prange`` (``nthreads`` = Numba's active thread count: thread ids index the scratch
    rows) and the trace points' per-node passes in parallel. Bit-identical to the serial kernel:
    within a phase no node reads what another writes, and every cross-node reduction (bits, the
    first failure, the trace sums) runs serially in node order. Call
    :func:`threading_ready` from Python first (a cached kernel that calls parallel kernels needs
    the threading layer running)."""
    return _run(method, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec, bits,
                step_max_bits, True, nthreads)


def run_decentralized_per_node(method, X, aux, gr, steps, consensus_step, t0, T, o,
                               compress_rows_py, seed, rec, bits, step_max_bits):
    """:func:`run_decentralized` for a compressor without a batch kernel (a Python loop over
    steps; arguments as there, with ``compress_rows_py(Z, cseed, t, Cm, step_bits)`` in place
    of the kernel: it writes C(z_i) into Cm[i] with node i's stream
    ``node_step_key(cseed, i, t)`` and returns -1 or a failing row).

    Each step runs the serial kernels' phase 0 with the identity at float64 as the compressor
    (an exact copy of every vector to compress into ``Cm``; DCD and CHOCO also add it into
    their state x or x_hat, which is therefore saved first), then compresses the rows in
    Python and redoes the addition from the saved state (state + C(z), the arithmetic of the
    batch kernel's ``acc += C(z)``), then phase 1. Same bits as the batch kernel for a
    compressor that has one (tested for every built-in)."""
    n, d = X.shape
    Cm = np.empty((n, d))
    S = np.empty((3, d))
    gi = np.empty(0, np.int64)
    step_bits = np.zeros(n, np.int64)
    fail = np.zeros(n, np.int8)
    useed = np.uint64(seed)
    cseed = useed ^ COMPRESS_TAG
    copy = CompressorCode(IDENTITY, np.array([64.0]), np.zeros(1, np.int64), 0)
    acc = X if method == DCD else (aux if method == CHOCO else None)
    saved = np.empty((n, d)) if acc is not None else None
    record_at = rec.record_at
    r = 0
    while r < record_at.size and record_at[r] < t0:
        r += 1
    for t in range(t0, t0 + T + 1):
        if r < record_at.size and record_at[r] == t:
            _trace_point_serial(o, X, rec, r)
            rec.bits_cum[r] = bits
            r += 1
        if t == t0 + T:
            break
        gamma = steps[t - t0]
        if acc is not None:
            saved[...] = acc
        _phase_block(0, 0, n, method, X, aux, Cm, S, gi, gr, gamma, consensus_step, t, o, copy,
                     useed, cseed, step_bits, fail)
        if fail.any():
            return t
        if compress_rows_py(Cm.copy(), cseed, t, Cm, step_bits) >= 0:
            return t
        if acc is not None:
            np.add(saved, Cm, out=acc)
        _phase_block(1, 0, n, method, X, aux, Cm, S, gi, gr, gamma, consensus_step, t, o, copy,
                     useed, cseed, step_bits, fail)
        step_max_bits[t - t0] = _add_bits(step_bits, bits)
    return -1


@njit(cache=True)
def _trace_point_serial(o, X, rec, r):
    _trace_point_at(o, X, rec, r, False)


# ---------------------------------------------------------------- registered methods
class Buffers(NamedTuple):
    """What a registered method's node kernels read and write (see :func:`run_registered`):
    ``X`` (n, d) the models, ``aux`` (n, d) the method's second state, ``Cm`` (n, d) the rows
    the neighbours read in phase 1 (messages), ``S`` (3, d) scratch rows, ``gi`` int64 scratch
    for grid rounding's indices, ``step_bits`` (n,) the bits each node sends this step,
    ``fail`` (n,) int8: set to 1 when node i's compression failed."""
    X: np.ndarray
    aux: np.ndarray
    Cm: np.ndarray
    S: np.ndarray
    gi: np.ndarray
    step_bits: np.ndarray
    fail: np.ndarray


@njit(cache=True)
def mix_row(gr, src, i, out):
    """out = sum_p W_ip src[j_p] (row i of W src, CSR order, accumulated from 0.0)."""
    _mix_row(gr.indptr, gr.indices, gr.data, src, i, out)


def run_registered(phase0, phase1, X, aux, gr, steps, consensus_step, t0, T, o, cc, seed, rec,
                   bits, step_max_bits):
    """:func:`run_decentralized` for a method registered with its own node kernels
    (``theorytools.algorithms.decentralized.register_method``): a Python loop over steps that
    calls ``phase0(0, n, st, gr, o, cc, gamma, cs, t, seed, cseed)`` then ``phase1(...)`` with
    the :class:`Buffers` ``st`` (one thread; Numba-compiled node loops). Returns -1 or the
    step at which a compression failed."""
    n, d = X.shape
    st = Buffers(X, aux, np.empty((n, d)), np.empty((3, d)),
                 np.empty(d if cc.code == GRID else 0, np.int64), np.zeros(n, np.int64),
                 np.zeros(n, np.int8))
    useed = np.uint64(seed)
    cseed = useed ^ COMPRESS_TAG
    record_at = rec.record_at
    r = 0
    while r < record_at.size and record_at[r] < t0:
        r += 1
    for t in range(t0, t0 + T + 1):
        if r < record_at.size and record_at[r] == t:
            _trace_point_serial(o, X, rec, r)
            rec.bits_cum[r] = bits
            r += 1
        if t == t0 + T:
            break
        gamma = steps[t - t0]
        phase0(0, n, st, gr, o, cc, gamma, consensus_step, t, useed, cseed)
        if st.fail.any():
            return t
        phase1(0, n, st, gr, o, cc, gamma, consensus_step, t, useed, cseed)
        step_max_bits[t - t0] = _add_bits(st.step_bits, bits)
    return -1


@njit(cache=True)
def _central_pre(method, x, E, X, G, V, gamma, t, o, seed, x_sgd, gbar):
    """Centralized step t up to the compression: the n gradients at x (G), plain SGD's shadow
    iterate, SGD's own step; returns the rows to compress (DCGD: G, EF: V = E + gamma G), or an
    empty matrix for SGD."""
    n, d = G.shape
    for i in range(n):
        X[i] = x
    node_grads(o, X, np.uint64(seed), t, G)
    _mean_rows(G, gbar)
    for j in range(d):
        x_sgd[j] -= gamma * gbar[j]
    if method == SGD:
        for j in range(d):
            x[j] -= gamma * gbar[j]
        return G[:0]
    if method == DCGD:
        return G
    for i in range(n):
        for j in range(d):
            V[i, j] = E[i, j] + gamma * G[i, j]
    return V


@njit(cache=True)
def _central_post(method, x, E, V, Cm, gamma, gbar):
    """Centralized step t after the compression Cm = C(rows): x -= gamma mean C(g_i) (DCGD),
    or EF's e_i = v_i - C(v_i), x -= mean C(v_i)."""
    n, d = Cm.shape
    if method == DCGD:
        _mean_rows(Cm, gbar)
        for j in range(d):
            x[j] -= gamma * gbar[j]
    elif method == EF:
        for i in range(n):
            for j in range(d):
                E[i, j] = V[i, j] - Cm[i, j]
        _mean_rows(Cm, gbar)
        for j in range(d):
            x[j] -= gbar[j]


@njit(cache=True)
def _central_record(o, x, E, x_sgd, xstar, fstar, rows, grads, gbar, r, f_gap, g_sq, dist_sq,
                    virtual_gap):
    n, d = E.shape
    f_gap[r] = objective(o, x) - fstar
    full_gradient(o, x, rows, grads, gbar)
    g_sq[r] = gbar @ gbar
    diff = x - xstar
    dist_sq[r] = diff @ diff
    vg = 0.0
    for j in range(d):
        ebar = 0.0
        for i in range(n):
            ebar += E[i, j]
        dv = x[j] - ebar / n - x_sgd[j]
        vg += dv * dv
    virtual_gap[r] = math.sqrt(vg)


@njit(cache=True)
def run_centralized(method, x, E, steps, T, o, n, cc, seed, rec, step_max_bits):
    """One model x, n workers: SGD / mini-batch SGD (mean of the n gradients), DCGD
    (mean of C(g_i)), EF (v_i = C(e_i + gamma g_i), e_i += gamma g_i - v_i, x -= mean v_i).
    ``virtual_gap[r]`` records ||x_tilde - x_sgd|| where x_tilde = x - mean(e) is EF's virtual
    iterate and x_sgd the plain-SGD iterate driven by the same gradients (an identity).
    ``rec.cons[r]`` records ||x_tilde - x_sgd|| where x_tilde = x - mean(e) is EF's virtual
    iterate and x_sgd the plain-SGD iterate driven by the same gradients (an identity); ``cc``
    the compressor (:class:`CompressorCode`), ``rec`` the trace arrays (:class:`Record`).
    ``steps[t]`` is the step size gamma of step t. A step is :func:`_central_pre`, the
    compression of its rows, :func:`_central_post` (:func:`run_centralized_per_node` runs the
    same steps with the compression in Python)."""
    d = x.size
    X = np.empty((n, d))
    G = np.empty((n, d))
    V = np.empty((n, d))
    Cm = np.empty((n, d))
    rows = np.empty((n, d))
    grads = np.empty((n, d))
    gbar = np.empty(d)
    bits = np.zeros(n, np.int64)
    step_bits = np.empty(n, np.int64)
    cseed = np.uint64(seed) ^ COMPRESS_TAG
    x_sgd = x.copy()
    r = 0
    for t in range(-1, T):
        if t >= 0:
            gamma = steps[t]
            Z = _central_pre(method, x, E, X, G, V, gamma, t, o, seed, x_sgd, gbar)
            if method == SGD:
                for i in range(n):
                    step_bits[i] = cc.full_bits
            else:
                if compress_rows(cc.code, cc.cparams, cc.table, Z, cseed, t, Cm, step_bits) >= 0:
                    return t
                _central_post(method, x, E, V, Cm, gamma, gbar)
            step_max_bits[t] = _add_bits(step_bits, bits)
        if r < rec.record_at.size and rec.record_at[r] == t + 1:
            _central_record(o, x, E, x_sgd, rec.xstar, rec.fstar, rows, grads, gbar, r,
                            rec.f_gap, rec.g_sq, rec.dist_sq, rec.cons)
            rec.bits_cum[r] = bits
            r += 1
    return -1


def run_centralized_per_node(method, x, E, steps, T, o, n, compress_rows_py, full_bits, seed,
                             rec, step_max_bits):
    """:func:`run_centralized` for a compressor without a batch kernel (Python loop over steps):
    the same :func:`_central_pre` / :func:`_central_post` kernels, with the compression done by
    ``compress_rows_py(Z, cseed, t, Cm, step_bits)`` (node i with stream
    ``node_step_key(cseed, i, t)``; returns -1 or a failing row). Same bits as the batch kernel
    for a compressor that has one (tested)."""
    d = x.size
    X, G, V, Cm, rows, grads = (np.empty((n, d)) for _ in range(6))
    gbar = np.empty(d)
    bits = np.zeros(n, np.int64)
    step_bits = np.empty(n, np.int64)
    cseed = np.uint64(seed) ^ COMPRESS_TAG
    x_sgd = x.copy()
    r = 0
    for t in range(-1, T):
        if t >= 0:
            gamma = steps[t]
            Z = _central_pre(method, x, E, X, G, V, gamma, t, o, seed, x_sgd, gbar)
            if method == SGD:
                step_bits[:] = full_bits
            else:
                if compress_rows_py(Z, cseed, t, Cm, step_bits) >= 0:
                    return t
                _central_post(method, x, E, V, Cm, gamma, gbar)
            step_max_bits[t] = _add_bits(step_bits, bits)
        if r < rec.record_at.size and rec.record_at[r] == t + 1:
            _central_record(o, x, E, x_sgd, rec.xstar, rec.fstar, rows, grads, gbar, r,
                            rec.f_gap, rec.g_sq, rec.dist_sq, rec.cons)
            rec.bits_cum[r] = bits
            r += 1
    return -1


@njit(cache=True)
def run_local_sgd(X, T, H, offsets, steps, weights, o, seed, full_bits, rec, xhat):
    """Local SGD (Stich): K = n workers, step sizes ``steps[t]``; worker k averages all
    workers' models after its local step whenever (t + 1 + offsets[k]) % H == 0 (synchronous:
    all offsets 0, the average is then over the updated models). ``xhat`` accumulates
    sum_t weights[t] * mean_k x_t^k (the caller divides by sum weights)."""
    n, d = X.shape
    G = np.empty((n, d))
    rows = np.empty((n, d))
    grads = np.empty((n, d))
    gbar = np.empty(d)
    avg = np.empty(d)
    bits = np.zeros(n, np.int64)
    r = 0
    if rec.record_at.size and rec.record_at[0] == 0:
        _record(o, X, rec.xstar, rec.fstar, rows, grads, gbar, 0, rec.f_gap, rec.g_sq,
                rec.dist_sq, rec.cons)
        rec.bits_cum[0] = bits
        r = 1
    for t in range(T):
        _mean_rows(X, avg)
        for j in range(d):
            xhat[j] += weights[t] * avg[j]
        node_grads(o, X, np.uint64(seed), t, G)
        for i in range(n):
            for j in range(d):
                X[i, j] -= steps[t] * G[i, j]
        any_sync = False
        for i in range(n):
            if (t + 1 + offsets[i]) % H == 0:
                any_sync = True
        if any_sync:
            _mean_rows(X, avg)
            for i in range(n):
                if (t + 1 + offsets[i]) % H == 0:
                    X[i] = avg
                    bits[i] += full_bits
        if r < rec.record_at.size and rec.record_at[r] == t + 1:
            _record(o, X, rec.xstar, rec.fstar, rows, grads, gbar, r, rec.f_gap, rec.g_sq,
                    rec.dist_sq, rec.cons)
            rec.bits_cum[r] = bits
            r += 1


# ---------------------------------------------------------------- registered centralized methods
class CentralBuffers(NamedTuple):
    """What a registered centralized method's kernels read and write (see
    :func:`run_central_registered`): ``x`` (d,) the model, ``aux`` (n, d) the workers' state
    (EF's errors, EF21's gradient estimates), ``G`` (n, d) scratch rows (the gradients),
    ``Z`` (n, d) the rows ``pre`` asks to compress (row i with worker i's stream), ``Cm`` (n, d)
    their compressions, ``S`` (3, d) scratch rows, ``step_bits`` (n,) the bits each worker
    sends this step (the runner writes them for a compressed method)."""
    x: np.ndarray
    aux: np.ndarray
    G: np.ndarray
    Z: np.ndarray
    Cm: np.ndarray
    S: np.ndarray
    step_bits: np.ndarray


@njit(cache=True)
def mean_rows(X, out):
    """out = (1/n) sum_i X[i]: column sums in row order from 0.0, then / n (the built-ins'
    mean of the workers' messages, bit for bit)."""
    _mean_rows(X, out)


@njit(cache=True)
def _central_point(o, x, rec, r, rows, grads, gbar):
    """Trace row r at the model x: the first four entries of :func:`_central_record`, with the
    same operations (so a registered re-expression of a built-in records the same bits)."""
    rec.f_gap[r] = objective(o, x) - rec.fstar
    full_gradient(o, x, rows, grads, gbar)
    rec.g_sq[r] = gbar @ gbar
    diff = x - rec.xstar
    rec.dist_sq[r] = diff @ diff


def run_central_registered(pre, post, compressed, x, aux, steps, T, o, cc, seed, rec,
                           step_max_bits, compress_rows_py=None):
    """:func:`run_centralized` for a method registered with its own kernels
    (``theorytools.algorithms.centralized.register_central_method``): a Python loop over steps
    that calls ``pre(st, o, cc, gamma, t, seed)``, compresses the rows ``st.Z`` into ``st.Cm``
    with the batch kernel (worker i: stream ``node_step_key(seed ^ COMPRESS_TAG, i, t)``, as
    :func:`run_centralized`) when ``compressed``, then ``post(...)``, with the
    :class:`CentralBuffers` ``st``. Records at step t + 1 after step t, as the built-ins.
    For a compressor without a batch kernel ``compress_rows_py(Z, cseed, t, Cm, step_bits)``
    compresses instead (``_batch.PerNode``: the same keys). Returns -1 or the step at which a
    compression failed."""
    n, d = aux.shape
    st = CentralBuffers(x, aux, np.empty((n, d)), np.empty((n, d)), np.empty((n, d)),
                        np.empty((3, d)), np.zeros(n, np.int64))
    rows, grads, gbar = np.empty((n, d)), np.empty((n, d)), np.empty(d)
    bits = np.zeros(n, np.int64)
    useed = np.uint64(seed)
    cseed = useed ^ COMPRESS_TAG
    r = 0
    for t in range(-1, T):
        if t >= 0:
            gamma = steps[t]
            pre(st, o, cc, gamma, t, useed)
            if compressed:
                if compress_rows_py is not None:
                    failed = compress_rows_py(st.Z, cseed, t, st.Cm, st.step_bits)
                else:
                    failed = compress_rows(cc.code, cc.cparams, cc.table, st.Z, cseed, t, st.Cm,
                                           st.step_bits)
                if failed >= 0:
                    return t
            post(st, o, cc, gamma, t, useed)
            step_max_bits[t] = _add_bits(st.step_bits, bits)
        if r < rec.record_at.size and rec.record_at[r] == t + 1:
            _central_point(o, x, rec, r, rows, grads, gbar)
            rec.bits_cum[r] = bits
            r += 1
    return -1
