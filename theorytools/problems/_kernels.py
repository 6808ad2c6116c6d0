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
def _sigmoid(t):
    """1 / (1 + exp(-t)) without overflow."""
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


@njit(cache=True)
def quadratic_grads(A, b, X, out):
    """``out[i] = A[i] @ X[i] - b[i]`` for every node (A: (n,d,d), b, X, out: (n,d))."""
    n, d = X.shape
    for i in range(n):
        for k in range(d):
            acc = 0.0
            for l in range(d):
                acc += A[i, k, l] * X[i, l]
            out[i, k] = acc - b[i, k]
    return out


@njit(cache=True)
def add_gaussian_noise(sigma, seed, step, out):
    """Add ``(sigma/sqrt(d)) N(0, I_d)`` to every row of ``out`` (node i from its own stream)."""
    n, d = out.shape
    scale = sigma / math.sqrt(d)
    for i in range(n):
        key = node_step_key(seed, i, step)
        for k in range(0, d, 2):
            u1 = uniform(key, np.uint64(k))
            u2 = uniform(key, np.uint64(k + 1))
            radius = math.sqrt(-2.0 * math.log(1.0 - u1))  # 1 - u1 in (0, 1]
            angle = _TWO_PI * u2
            out[i, k] += scale * radius * math.cos(angle)
            if k + 1 < d:
                out[i, k + 1] += scale * radius * math.sin(angle)
    return out


@njit(cache=True)
def quadratic_stoch_grads(A, b, sigma, X, seed, step, out):
    """Quadratic gradients plus additive Gaussian noise of total variance ``sigma^2``."""
    quadratic_grads(A, b, X, out)
    if sigma > 0.0:
        add_gaussian_noise(sigma, seed, step, out)
    return out


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


@njit(cache=True)
def sampled_quadratic_grads(D, T, lam, X, seed, step, batch, out):
    """Ridge mini-batch gradients: rows of the per-node design ``D`` (n,m,d), targets ``T`` (n,m).

    ``f_ij(x) = 1/2 (D[i,j] . x - T[i,j])^2 + lam/2 ||x||^2``; ``out[i]`` is the mean of
    ``grad f_ij(X[i])`` over ``batch`` indices drawn with replacement.
    """
    n, m, d = D.shape
    inv_b = 1.0 / batch
    for i in range(n):
        key = node_step_key(seed, i, step)
        for k in range(d):
            out[i, k] = lam * X[i, k]
        counter = 0
        for s in range(batch):
            j, counter = _uniform_index(key, counter, m)
            r = -T[i, j]
            for k in range(d):
                r += D[i, j, k] * X[i, k]
            for k in range(d):
                out[i, k] += inv_b * r * D[i, j, k]
    return out


@njit(cache=True)
def logistic_grads(F, Y, lam, X, out):
    """``out[i] = -(1/m) sum_j y_ij a_ij sigmoid(-y_ij a_ij . x_i) + lam x_i`` (F: (n,m,d))."""
    n, m, d = F.shape
    inv_m = 1.0 / m
    for i in range(n):
        for k in range(d):
            out[i, k] = lam * X[i, k]
        for j in range(m):
            t = 0.0
            for k in range(d):
                t += F[i, j, k] * X[i, k]
            w = -Y[i, j] * _sigmoid(-Y[i, j] * t) * inv_m
            for k in range(d):
                out[i, k] += w * F[i, j, k]
    return out


@njit(cache=True)
def logistic_stoch_grads(F, Y, lam, X, seed, step, batch, out):
    """Logistic mini-batch gradients: ``batch`` samples per node, uniform with replacement."""
    n, m, d = F.shape
    inv_b = 1.0 / batch
    for i in range(n):
        key = node_step_key(seed, i, step)
        for k in range(d):
            out[i, k] = lam * X[i, k]
        counter = 0
        for s in range(batch):
            j, counter = _uniform_index(key, counter, m)
            t = 0.0
            for k in range(d):
                t += F[i, j, k] * X[i, k]
            w = -Y[i, j] * _sigmoid(-Y[i, j] * t) * inv_b
            for k in range(d):
                out[i, k] += w * F[i, j, k]
    return out


@njit(cache=True)
def logistic_additive_grads(F, Y, lam, sigma, X, seed, step, out):
    """Logistic gradients plus additive Gaussian noise of total variance ``sigma^2``."""
    logistic_grads(F, Y, lam, X, out)
    if sigma > 0.0:
        add_gaussian_noise(sigma, seed, step, out)
    return out
