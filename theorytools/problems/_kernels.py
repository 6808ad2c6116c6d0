"""Numba gradient kernels behind :mod:`theorytools.problems` (private, but the simulator calls them).

Every kernel is vectorised over nodes: row ``i`` of ``X`` is node ``i``'s model and row ``i`` of
``out`` receives its (stochastic) gradient. Node ``i``'s randomness comes ONLY from the stream
``node_step_key(seed, i, step)``, with counters starting at 0, so a process that owns node ``i``
alone reproduces the single-process draws bit for bit.

Noise models
------------
additive  : ``g_i = grad f_i(x_i) + (sigma / sqrt(d)) * xi``, ``xi ~ N(0, I_d)`` by Box–Muller on
            the uniforms of counters ``2k, 2k+1`` (coordinates ``2k, 2k+1``), so
            ``E||g_i - grad f_i||^2 = sigma^2``.
sampling  : ``g_i = (1/b) sum_{s<b} grad f_{i j_s}(x_i)``, the ``j_s`` uniform on ``0..m-1`` with
            replacement, drawn by exact rejection sampling on ``random_u64(key, counter)``: a word
            ``w`` is accepted when ``w >= 2^64 mod m`` and gives ``j = w mod m`` (the accepted range
            holds a multiple of ``m`` words, so ``j`` is exactly uniform); rejected words consume a
            counter.

Dot products (``a_ij . x``, rows of ``A_i x``) use :func:`dot`: four interleaved partial sums
combined as ``(s0 + s1) + (s2 + s3)`` -- a fixed order (deterministic, the same in every caller),
which breaks the add-latency chain of a sequential sum (~4x faster at d = 1000).

Arguments are float64 arrays of the documented shapes and ``seed``/``step`` non-negative ints;
validation happens in the Python layer (:class:`theorytools.problems.Problem`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from theorytools.random import node_step_key, random_u64, uniform

_TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def dot(a, b):
    """sum_k a_k b_k with four interleaved partial sums (element k goes to sum k mod 4, the
    tail to s0), combined as (s0 + s1) + (s2 + s3): a fixed, documented order."""
    n = a.size
    s0 = s1 = s2 = s3 = 0.0
    k = 0
    while k + 4 <= n:
        s0 += a[k] * b[k]
        s1 += a[k + 1] * b[k + 1]
        s2 += a[k + 2] * b[k + 2]
        s3 += a[k + 3] * b[k + 3]
        k += 4
    while k < n:
        s0 += a[k] * b[k]
        k += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, inline="always")
def sigmoid(t):
    """1 / (1 + exp(-t)) without overflow."""
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def _uniform_index(key, counter, m):
    """(index uniform on 0..m-1, next counter) by exact rejection sampling."""
    m64 = np.uint64(m)
    threshold = (np.uint64(0) - m64) % m64  # 2^64 mod m
    while True:
        w = random_u64(key, np.uint64(counter))
        counter += 1
        if w >= threshold:
            return np.int64(w % m64), counter


@njit(cache=True)
def sample_indices(m, batch, seed, node, step):
    """The ``batch`` sample indices node ``node`` draws at ``step`` (for tests and MPI ranks)."""
    key = node_step_key(seed, node, step)
    idx = np.empty(batch, np.int64)
    counter = 0
    for s in range(batch):
        idx[s], counter = _uniform_index(key, counter, m)
    return idx


# -------------------------------------------------------------------- one node (its own stream)
@njit(cache=True)
def _add_noise_node(scale, key, row):
    """Add ``scale * N(0, I_d)`` to ``row`` by Box–Muller on counters (2k, 2k+1)."""
    d = row.shape[0]
    for k in range(0, d, 2):
        u1 = uniform(key, np.uint64(k))
        u2 = uniform(key, np.uint64(k + 1))
        radius = math.sqrt(-2.0 * math.log(1.0 - u1))  # 1 - u1 in (0, 1]
        angle = _TWO_PI * u2
        row[k] += scale * radius * math.cos(angle)
        if k + 1 < d:
            row[k + 1] += scale * radius * math.sin(angle)


@njit(cache=True)
def _quadratic_node(A_i, b_i, x, row):
    d = x.shape[0]
    for k in range(d):
        row[k] = dot(A_i[k], x) - b_i[k]


@njit(cache=True)
def _sampled_quadratic_node(D_i, T_i, lam, x, key, batch, row):
    inv_b = 1.0 / batch
    counter = 0
    for s in range(batch):
        j, w, counter = sample_weight(0, D_i, T_i, x, key, counter, inv_b)
        axpy_into(row, lam, x, w, D_i[j], s == 0)


@njit(cache=True, inline="always")
def sample_weight(kind, F_i, Y_i, x, key, counter, inv_b):
    """One sample of a mini-batch: ``(j, w, next counter)`` with j drawn from ``key`` at
    ``counter`` and ``w`` its weight in the gradient, ``(1/b) grad f_ij(x) = w F_i[j]`` (+ the
    ``lam x`` term): ridge (kind 0) ``w = (1/b)(F_i[j] . x - Y_i[j])``, logistic (kind 1)
    ``w = -Y_i[j] sigmoid(-Y_i[j] F_i[j] . x) (1/b)``. The one definition used by the node
    kernels and by the simulator's fused batch-1 path."""
    j, counter = _uniform_index(key, counter, F_i.shape[0])
    if kind == 0:
        return j, inv_b * (dot(F_i[j], x) - Y_i[j]), counter
    t = dot(F_i[j], x)
    return j, -Y_i[j] * sigmoid(-Y_i[j] * t) * inv_b, counter


@njit(cache=True, inline="always")
def axpy_into(row, lam, x, w, a, first):
    """row += w a, where row starts as lam x: the first term writes lam x + w a in one pass
    (the same two roundings as writing lam x, then adding w a)."""
    if first:
        for k in range(row.shape[0]):
            row[k] = lam * x[k] + w * a[k]
    else:
        for k in range(row.shape[0]):
            row[k] += w * a[k]


@njit(cache=True)
def _logistic_node(F_i, Y_i, lam, x, row):
    m, d = F_i.shape
    inv_m = 1.0 / m
    for j in range(m):
        t = dot(F_i[j], x)
        w = -Y_i[j] * sigmoid(-Y_i[j] * t) * inv_m
        axpy_into(row, lam, x, w, F_i[j], j == 0)


@njit(cache=True)
def _sampled_logistic_node(F_i, Y_i, lam, x, key, batch, row):
    inv_b = 1.0 / batch
    counter = 0
    for s in range(batch):
        j, w, counter = sample_weight(1, F_i, Y_i, x, key, counter, inv_b)
        axpy_into(row, lam, x, w, F_i[j], s == 0)


# -------------------------------------------------------------------- all nodes (the simulator)
@njit(cache=True)
def quadratic_grads(A, b, X, out):
    """``out[i] = A[i] @ X[i] - b[i]`` for every node (A: (n,d,d), b, X, out: (n,d))."""
    for i in range(X.shape[0]):
        _quadratic_node(A[i], b[i], X[i], out[i])
    return out


@njit(cache=True)
def add_gaussian_noise(sigma, seed, step, out):
    """Add ``(sigma/sqrt(d)) N(0, I_d)`` to every row of ``out`` (node i from its own stream)."""
    scale = sigma / math.sqrt(out.shape[1])
    for i in range(out.shape[0]):
        _add_noise_node(scale, node_step_key(seed, i, step), out[i])
    return out


@njit(cache=True)
def quadratic_stoch_grads(A, b, sigma, X, seed, step, out):
    """Quadratic gradients plus additive Gaussian noise of total variance ``sigma^2``."""
    quadratic_grads(A, b, X, out)
    if sigma > 0.0:
        add_gaussian_noise(sigma, seed, step, out)
    return out


@njit(cache=True)
def sampled_quadratic_grads(D, T, lam, X, seed, step, batch, out):
    """Ridge mini-batch gradients: rows of the per-node design ``D`` (n,m,d), targets ``T`` (n,m).

    ``f_ij(x) = 1/2 (D[i,j] . x - T[i,j])^2 + lam/2 ||x||^2``; ``out[i]`` is the mean of
    ``grad f_ij(X[i])`` over ``batch`` indices drawn with replacement.
    """
    for i in range(X.shape[0]):
        _sampled_quadratic_node(D[i], T[i], lam, X[i], node_step_key(seed, i, step), batch,
                                out[i])
    return out


@njit(cache=True)
def logistic_grads(F, Y, lam, X, out):
    """``out[i] = -(1/m) sum_j y_ij a_ij sigmoid(-y_ij a_ij . x_i) + lam x_i`` (F: (n,m,d))."""
    for i in range(X.shape[0]):
        _logistic_node(F[i], Y[i], lam, X[i], out[i])
    return out


@njit(cache=True)
def logistic_stoch_grads(F, Y, lam, X, seed, step, batch, out):
    """Logistic mini-batch gradients: ``batch`` samples per node, uniform with replacement."""
    for i in range(X.shape[0]):
        _sampled_logistic_node(F[i], Y[i], lam, X[i], node_step_key(seed, i, step), batch, out[i])
    return out


@njit(cache=True)
def logistic_additive_grads(F, Y, lam, sigma, X, seed, step, out):
    """Logistic gradients plus additive Gaussian noise of total variance ``sigma^2``."""
    logistic_grads(F, Y, lam, X, out)
    if sigma > 0.0:
        add_gaussian_noise(sigma, seed, step, out)
    return out


# -------------------------------------------------------------------- one node, by index (MPI)
@njit(cache=True)
def node_stoch_grad(kind, noise, A_i, b_i, F_i, Y_i, lam, sigma, batch, x, seed, node, step,
                    row):
    """Node ``node``'s stochastic gradient alone, bit-identical to row ``node`` of the
    vectorised kernels. ``kind``: 0 quadratic, 1 logistic; ``noise``: 0 none, 1 additive,
    2 sampling (``F_i``, ``Y_i`` hold the per-sample rows and targets/labels)."""
    key = node_step_key(seed, node, step)
    if noise == 2:
        if kind == 0:
            _sampled_quadratic_node(F_i, Y_i, lam, x, key, batch, row)
        else:
            _sampled_logistic_node(F_i, Y_i, lam, x, key, batch, row)
        return row
    if kind == 0:
        _quadratic_node(A_i, b_i, x, row)
    else:
        _logistic_node(F_i, Y_i, lam, x, row)
    if noise == 1 and sigma > 0.0:
        _add_noise_node(sigma / math.sqrt(x.shape[0]), key, row)
    return row


# -------------------------------------------------------------------- non-convex regulariser
@njit(cache=True, inline="always")
def nonconvex_reg_value(x):
    """sum_k x_k^2 / (1 + x_k^2) (the regulariser of ``logistic_nonconvex``, without lam)."""
    s = 0.0
    for k in range(x.shape[0]):
        u = x[k] * x[k]
        s += u / (1.0 + u)
    return s


@njit(cache=True, inline="always")
def nonconvex_reg_grad_add(reg, x, row):
    """row += reg * 2 x_k / (1 + x_k^2)^2, the gradient of reg * sum_k x_k^2/(1 + x_k^2)."""
    for k in range(x.shape[0]):
        q = 1.0 + x[k] * x[k]
        row[k] += reg * (2.0 * x[k] / (q * q))


@njit(cache=True)
def nonconvex_reg_grads_add(reg, X, out):
    """Every node: ``out[i] += reg * grad r(X[i])`` (:func:`nonconvex_reg_grad_add`)."""
    for i in range(X.shape[0]):
        nonconvex_reg_grad_add(reg, X[i], out[i])
    return out
