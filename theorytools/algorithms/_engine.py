"""Numba kernels of the algorithms: one call runs T iterations for all n nodes.

Conventions (spec decentralized_localsgd.md §1.3, compression.md §C): rows of X are the nodes'
models; mixing uses W in CSR form (row i: sum_j W_ij X[j]); gradients come from
``node_grads`` with the problem stream ``seed``; compressor randomness from the separate stream
``seed ^ COMPRESS_TAG`` (common random numbers: every algorithm run with one seed sees the
same gradient noise and the same compressor draws at each (node, step)).
Iteration t (0-based in the loop) is Tang's t + 1.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from theorytools.algorithms._batch import compress_rows
from theorytools.algorithms._oracle import full_gradient, node_grads, objective

COMPRESS_TAG = np.uint64(0x5EED_C0DE_0000_0001)

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
    n, d = X.shape
    xbar = np.zeros(d)
    for i in range(n):
        xbar += X[i]
    xbar /= n
    f_gap[r] = objective(o, xbar) - fstar
    full_gradient(o, xbar, rows, grads, gbar)
    g_sq[r] = gbar @ gbar
    diff = xbar - xstar
    dist_sq[r] = diff @ diff
    c = 0.0
    for i in range(n):
        for j in range(d):
            t = X[i, j] - xbar[j]
            c += t * t
    cons[r] = c / n


@njit(cache=True)
def run_decentralized(method, X, aux, indptr, indices, data, gamma, consensus_step, t0, T, o,
                      code, cparams, bits_table, full_bits, seed, record_at, xstar, fstar,
                      f_gap, g_sq, dist_sq, cons, bits, bits_cum, step_max_bits):
    """Run T iterations in place on X (n, d) and the method's auxiliary state ``aux``:
    DCD: S = W X_hat (the mixed replicas), ECD: the estimates Y_tilde, CHOCO: X_hat.
    Iterations t0 .. t0 + T - 1 are run (so a run can be continued step by step with the same
    random streams); ``bits`` (per node, cumulative) is updated in place; ``record_at`` holds
    absolute step counts. Returns -1, or the step at which a compression failed."""
    n, d = X.shape
    G = np.empty((n, d))
    V = np.empty((n, d))
    Cm = np.empty((n, d))
    M = np.empty((n, d))
    rows = np.empty((n, d))
    grads = np.empty((n, d))
    gbar = np.empty(d)
    step_bits = np.empty(n, np.int64)
    cseed = np.uint64(seed) ^ COMPRESS_TAG
    r = 0
    while r < record_at.size and record_at[r] < t0:
        r += 1
    if r < record_at.size and record_at[r] == t0:
        _record(o, X, xstar, fstar, rows, grads, gbar, r, f_gap, g_sq, dist_sq, cons)
        bits_cum[r] = bits
        r += 1
    for t in range(t0, t0 + T):
        node_grads(o, X, np.uint64(seed), t, G)
        if method == DPSGD_LIAN:
            mix(indptr, indices, data, X, M)
            for i in range(n):
                for j in range(d):
                    X[i, j] = M[i, j] - gamma * G[i, j]
            for i in range(n):
                step_bits[i] = full_bits
        elif method == DPSGD_ATC:
            for i in range(n):
                for j in range(d):
                    V[i, j] = X[i, j] - gamma * G[i, j]
            mix(indptr, indices, data, V, X)
            for i in range(n):
                step_bits[i] = full_bits
        elif method == NAIVE:
            if compress_rows(code, cparams, bits_table, X, cseed, t, Cm, step_bits) >= 0:
                return t
            mix(indptr, indices, data, Cm, M)
            for i in range(n):
                for j in range(d):
                    X[i, j] = M[i, j] - gamma * G[i, j]
        elif method == DCD:
            # v = sum_j W_ij xhat_j - gamma g; z = v - x; x += C(z); replicas: S += W C
            for i in range(n):
                for j in range(d):
                    V[i, j] = aux[i, j] - gamma * G[i, j] - X[i, j]
            if compress_rows(code, cparams, bits_table, V, cseed, t, Cm, step_bits) >= 0:
                return t
            for i in range(n):
                for j in range(d):
                    X[i, j] += Cm[i, j]
            mix(indptr, indices, data, Cm, M)
            for i in range(n):
                for j in range(d):
                    aux[i, j] += M[i, j]
        elif method == ECD:
            tt = t + 1.0
            mix(indptr, indices, data, aux, M)
            for i in range(n):
                for j in range(d):
                    xnew = M[i, j] - gamma * G[i, j]
                    V[i, j] = (1.0 - tt / 2.0) * X[i, j] + (tt / 2.0) * xnew
                    X[i, j] = xnew
            if compress_rows(code, cparams, bits_table, V, cseed, t, Cm, step_bits) >= 0:
                return t
            for i in range(n):
                for j in range(d):
                    aux[i, j] = (1.0 - 2.0 / tt) * aux[i, j] + (2.0 / tt) * Cm[i, j]
        else:  # CHOCO
            for i in range(n):
                for j in range(d):
                    V[i, j] = X[i, j] - gamma * G[i, j]
                    M[i, j] = V[i, j] - aux[i, j]
            if compress_rows(code, cparams, bits_table, M, cseed, t, Cm, step_bits) >= 0:
                return t
            for i in range(n):
                for j in range(d):
                    aux[i, j] += Cm[i, j]
            mix(indptr, indices, data, aux, M)
            for i in range(n):
                for j in range(d):
                    X[i, j] = V[i, j] + consensus_step * (M[i, j] - aux[i, j])
        step_max_bits[t - t0] = _add_bits(step_bits, bits)
        if r < record_at.size and record_at[r] == t + 1:
            _record(o, X, xstar, fstar, rows, grads, gbar, r, f_gap, g_sq, dist_sq, cons)
            bits_cum[r] = bits
            r += 1
    return -1


@njit(cache=True)
def run_centralized(method, x, E, gamma, T, o, n, code, cparams, bits_table, full_bits, seed,
                    record_at, xstar, fstar, f_gap, g_sq, dist_sq, virtual_gap, bits_cum,
                    step_max_bits):
    """One model x, n workers: SGD / mini-batch SGD (mean of the n gradients), DCGD
    (mean of C(g_i)), EF (v_i = C(e_i + gamma g_i), e_i += gamma g_i - v_i, x -= mean v_i).
    ``virtual_gap[r]`` records ||x_tilde - x_sgd|| where x_tilde = x - mean(e) is EF's virtual
    iterate and x_sgd the plain-SGD iterate driven by the same gradients (an identity)."""
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
            for i in range(n):
                X[i] = x
            node_grads(o, X, np.uint64(seed), t, G)
            _mean_rows(G, gbar)
            for j in range(d):
                x_sgd[j] -= gamma * gbar[j]
            if method == SGD:
                for j in range(d):
                    x[j] -= gamma * gbar[j]
                for i in range(n):
                    step_bits[i] = full_bits
            elif method == DCGD:
                if compress_rows(code, cparams, bits_table, G, cseed, t, Cm, step_bits) >= 0:
                    return t
                _mean_rows(Cm, gbar)
                for j in range(d):
                    x[j] -= gamma * gbar[j]
            else:  # EF
                for i in range(n):
                    for j in range(d):
                        V[i, j] = E[i, j] + gamma * G[i, j]
                if compress_rows(code, cparams, bits_table, V, cseed, t, Cm, step_bits) >= 0:
                    return t
                for i in range(n):
                    for j in range(d):
                        E[i, j] = V[i, j] - Cm[i, j]
                _mean_rows(Cm, gbar)
                for j in range(d):
                    x[j] -= gbar[j]
            step_max_bits[t] = _add_bits(step_bits, bits)
        if r < record_at.size and record_at[r] == t + 1:
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
            bits_cum[r] = bits
            r += 1
    return -1


@njit(cache=True)
def run_local_sgd(X, T, H, offsets, steps, weights, o, seed, full_bits, record_at, xstar, fstar,
                  f_gap, g_sq, dist_sq, cons, bits_cum, xhat):
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
    if record_at[0] == 0:
        _record(o, X, xstar, fstar, rows, grads, gbar, 0, f_gap, g_sq, dist_sq, cons)
        bits_cum[0] = bits
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
        if r < record_at.size and record_at[r] == t + 1:
            _record(o, X, xstar, fstar, rows, grads, gbar, r, f_gap, g_sq, dist_sq, cons)
            bits_cum[r] = bits
            r += 1
