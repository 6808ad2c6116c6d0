"""Numba kernels of ONE node's step (an MPI rank's work), in the simulator's arithmetic.

Each function computes what node i computes in one phase of an iteration of
``theorytools.algorithms`` (docs/algorithms.md): the same operations in the same order, so a
rank reproduces the simulator bit for bit. Mixing rows ``R`` hold, in the CSR order of row i
of W (self included), the vectors the node mixes; :func:`mix_row` accumulates
:math:`\\sum_p W_{ip} R_p` from 0.0 in that order (the simulator's ``_mix_row``). There is no
loop over nodes here.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from theorytools.algorithms._oracle import (QUADRATIC, full_gradient, node_grad,
                                            node_value_grad, objective)


@njit(cache=True)
def mix_row(w, R, out):
    """out = sum_p w[p] R[p], accumulated from 0.0 in order p = 0, 1, ..."""
    d = out.size
    for k in range(d):
        out[k] = 0.0
    for p in range(w.size):
        wp = w[p]
        r = R[p]
        for k in range(d):
            out[k] = out[k] + wp * r[k]


@njit(cache=True)
def grad(o, i, x, seed, t, g):
    """Node i's stochastic gradient at x, step t (node_step_key(seed, i, t))."""
    node_grad(o, i, x, np.uint64(seed), t, g)


@njit(cache=True)
def lian0(o, i, x, w, R, gamma, seed, t, g, m, out):
    """D-PSGD (Lian): out = sum_j W_ij x_j - gamma g_i(x_i)."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    mix_row(w, R, m)
    for k in range(x.size):
        out[k] = m[k] - gamma * g[k]


@njit(cache=True)
def atc0(o, i, x, gamma, seed, t, g, out):
    """D-PSGD (ATC): out = x_i - gamma g_i(x_i) (then mixed)."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    for k in range(x.size):
        out[k] = x[k] - gamma * g[k]


@njit(cache=True)
def naive1(o, i, x, w, R, gamma, seed, t, g, m):
    """Naive: x_i = sum_j W_ij C(x_j) - gamma g_i (gradient at the old x_i)."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    mix_row(w, R, m)
    for k in range(x.size):
        x[k] = m[k] - gamma * g[k]


@njit(cache=True)
def dcd0(o, i, x, a, gamma, seed, t, g, v):
    """DCD: v = a - gamma g - x (a: the mixed replicas sum_j W_ij xhat_j)."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    for k in range(x.size):
        v[k] = a[k] - gamma * g[k] - x[k]


@njit(cache=True)
def add_into(acc, c):
    """acc += c (DCD's x += C(z), CHOCO's xhat += C(x - xhat), the replicas)."""
    for k in range(acc.size):
        acc[k] += c[k]


@njit(cache=True)
def dcd1(a, w, R, m):
    """DCD: a += sum_j W_ij C(z_j)."""
    mix_row(w, R, m)
    for k in range(a.size):
        a[k] += m[k]


@njit(cache=True)
def ecd0(o, i, x, w, Y, gamma, seed, t, g, m, v):
    """ECD (t 0-based; Tang's t = t + 1): x_new = sum_j W_ij ytilde_j - gamma g;
    v = (1 - tt/2) x + (tt/2) x_new; x = x_new."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    mix_row(w, Y, m)
    tt = t + 1.0
    for k in range(x.size):
        xnew = m[k] - gamma * g[k]
        v[k] = (1.0 - tt / 2.0) * x[k] + (tt / 2.0) * xnew
        x[k] = xnew


@njit(cache=True)
def ecd1(Y, C, t):
    """ECD: every replica ytilde_j = (1 - 2/tt) ytilde_j + (2/tt) C(z_j)."""
    tt = t + 1.0
    for p in range(Y.shape[0]):
        y, c = Y[p], C[p]
        for k in range(y.size):
            y[k] = (1.0 - 2.0 / tt) * y[k] + (2.0 / tt) * c[k]


@njit(cache=True)
def choco0(o, i, x, a, gamma, seed, t, g, v):
    """CHOCO: x = x - gamma g (the half step); v = x - xhat_i."""
    node_grad(o, i, x, np.uint64(seed), t, g)
    for k in range(x.size):
        h = x[k] - gamma * g[k]
        x[k] = h
        v[k] = h - a[k]


@njit(cache=True)
def choco1(x, w, XH, self_pos, cs, m):
    """CHOCO: x = x + gamma_c (sum_j W_ij xhat_j - xhat_i)."""
    mix_row(w, XH, m)
    a = XH[self_pos]
    for k in range(x.size):
        x[k] = x[k] + cs * (m[k] - a[k])


@njit(cache=True)
def mean_rows(X, out):
    """out = (1/n) sum_i X[i], column by column in node order."""
    n, d = X.shape
    for j in range(d):
        s = 0.0
        for i in range(n):
            s += X[i, j]
        out[j] = s / n


@njit(cache=True)
def axpy_step(x, step, g):
    """x -= step g (local SGD's local step, SGD's step)."""
    for k in range(x.size):
        x[k] -= step * g[k]


@njit(cache=True)
def ef_pre(e, g, gamma, v):
    """EF: v = e + gamma g."""
    for k in range(v.size):
        v[k] = e[k] + gamma * g[k]


@njit(cache=True)
def ef_post(e, v, c):
    """EF: e = v - C(v)."""
    for k in range(e.size):
        e[k] = v[k] - c[k]


@njit(cache=True)
def x_minus_mean(x, C, scale, gbar):
    """x -= scale * mean_i C[i] (the mean column by column in node order)."""
    mean_rows(C, gbar)
    for k in range(x.size):
        x[k] -= scale * gbar[k]


@njit(cache=True)
def x_minus_mean_ef(x, C, gbar):
    """EF: x -= mean_i C[i]."""
    mean_rows(C, gbar)
    for k in range(x.size):
        x[k] -= gbar[k]


@njit(cache=True)
def trace_point(o, X, xstar, fstar):
    """The simulator's decentralized trace point from all rows X (n, d): (f_gap, ||grad||^2,
    ||xbar - x*||^2, consensus), the node values and gradients at xbar reduced in node order."""
    n, d = X.shape
    xbar = np.zeros(d)
    for i in range(n):
        xbar += X[i]
    xbar /= n
    grads = np.empty((n, d))
    values = np.empty(n)
    for i in range(n):
        values[i] = node_value_grad(o, i, xbar, grads[i])
    total = 0.0
    for i in range(n):
        total += values[i]
    if o.kind != QUADRATIC:
        total += n * 0.5 * o.lam * (xbar @ xbar)
    gbar = np.empty(d)
    mean_rows(grads, gbar)
    return (total / n - fstar,) + _rest(X, xbar, xstar, gbar)


@njit(cache=True)
def _rest(X, xbar, xstar, gbar):
    n, d = X.shape
    g_sq = gbar @ gbar
    diff = xbar - xstar
    dist_sq = diff @ diff
    c = 0.0
    for i in range(n):
        for j in range(d):
            t = X[i, j] - xbar[j]
            c += t * t
    return g_sq, dist_sq, c / n


@njit(cache=True)
def trace_point_mean(o, X, xstar, fstar):
    """Local SGD's trace point: f and grad f at the plain average of the rows (the
    simulator's objective / full_gradient arithmetic)."""
    n, d = X.shape
    xbar = np.empty(d)
    mean_rows(X, xbar)
    f_gap = objective(o, xbar) - fstar
    rows = np.empty((n, d))
    grads = np.empty((n, d))
    gbar = np.empty(d)
    full_gradient(o, xbar, rows, grads, gbar)
    return (f_gap,) + _rest(X, xbar, xstar, gbar)


@njit(cache=True)
def trace_point_central(o, x, n, xstar, fstar):
    """The centralized trace point at the one model x (consensus 0)."""
    d = x.size
    f_gap = objective(o, x) - fstar
    rows = np.empty((n, d))
    grads = np.empty((n, d))
    gbar = np.empty(d)
    full_gradient(o, x, rows, grads, gbar)
    diff = x - xstar
    return f_gap, gbar @ gbar, diff @ diff, 0.0
