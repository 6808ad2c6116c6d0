"""Numba-side first-order oracle of a :class:`theorytools.problems.Problem`.

``Oracle`` packs a problem's arrays for the kernels; ``node_grads`` gives one (stochastic)
gradient per node and ``node_grad`` node i's alone (the same row, bit for bit), drawing node i's
randomness from ``node_step_key(seed, i, step)`` through the problem's own kernels (so the
simulator and ``Problem.stochastic_grads`` are the same code); ``objective`` and
``full_gradient`` evaluate f = (1/n) sum_i f_i and its gradient at one point, and
``node_value_grad`` gives node i's share of both in one pass over its samples (the traces).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from theorytools.problems import _kernels as PK

QUADRATIC, LOGISTIC = 0, 1
NOISE_NONE, NOISE_ADDITIVE, NOISE_SAMPLING = 0, 1, 2


class Oracle(NamedTuple):
    kind: int
    noise: int
    A: np.ndarray       # (n, d, d) quadratic Hessians (dummy (n, 1, 1) for logistic)
    b: np.ndarray       # (n, d)
    c: np.ndarray       # (n,)
    F: np.ndarray       # (n, m, d) features (logistic; ridge's design rows); dummy (n, 1, 1)
    Y: np.ndarray       # (n, m) labels (logistic) or targets (ridge); dummy (n, 1)
    lam: float
    sigma: float
    batch: int
    reg: float = 0.0    # weight of the non-convex regulariser (logistic_nonconvex), else 0


def oracle_of(problem) -> Oracle:
    arr = problem.arrays
    n, d = problem.n, problem.d
    noise = {"none": NOISE_NONE, "additive": NOISE_ADDITIVE, "sampling": NOISE_SAMPLING}[
        problem.noise.kind]
    sigma = float(getattr(problem.noise, "sigma", 0.0) or 0.0)
    batch = int(getattr(problem.noise, "batch", 0) or 0)
    dummy3 = np.zeros((n, 1, 1))
    if problem.kind == "quadratic":
        has_data = "features" in arr and "targets" in arr
        return Oracle(QUADRATIC, noise, np.ascontiguousarray(arr["A"], dtype=np.float64),
                      np.ascontiguousarray(arr["b"], dtype=np.float64),
                      np.ascontiguousarray(arr.get("c", np.zeros(n)), dtype=np.float64),
                      np.ascontiguousarray(arr["features"], dtype=np.float64) if has_data
                      else dummy3,
                      np.ascontiguousarray(arr["targets"], dtype=np.float64) if has_data
                      else np.zeros((n, 1)),
                      float(arr.get("lam", 0.0)), sigma, batch)
    return Oracle(LOGISTIC, noise, dummy3, np.zeros((n, d)), np.zeros(n),
                  np.ascontiguousarray(arr["features"], dtype=np.float64),
                  np.ascontiguousarray(arr["labels"], dtype=np.float64),
                  float(arr["lam"]), sigma, batch, float(arr.get("reg", 0.0)))


@njit(cache=True)
def node_grads(o, X, seed, step, out):
    """Row i of ``out``: node i's (stochastic) gradient at X[i]."""
    if o.kind == QUADRATIC:
        if o.noise == NOISE_ADDITIVE:
            PK.quadratic_stoch_grads(o.A, o.b, o.sigma, X, seed, step, out)
        elif o.noise == NOISE_SAMPLING:
            PK.sampled_quadratic_grads(o.F, o.Y, o.lam, X, seed, step, o.batch, out)
        else:
            PK.quadratic_grads(o.A, o.b, X, out)
    else:
        if o.noise == NOISE_SAMPLING:
            PK.logistic_stoch_grads(o.F, o.Y, o.lam, X, seed, step, o.batch, out)
        elif o.noise == NOISE_ADDITIVE:
            PK.logistic_additive_grads(o.F, o.Y, o.lam, o.sigma, X, seed, step, out)
        else:
            PK.logistic_grads(o.F, o.Y, o.lam, X, out)
        if o.reg != 0.0:
            PK.nonconvex_reg_grads_add(o.reg, X, out)


@njit(cache=True)
def node_grad(o, i, x, seed, step, row):
    """Node i's (stochastic) gradient at x into ``row``: row i of :func:`node_grads` bit for bit
    (the problem's one-node kernel, the one an MPI rank owning node i calls)."""
    PK.node_stoch_grad(o.kind, o.noise, o.A[i], o.b[i], o.F[i], o.Y[i], o.lam, o.sigma,
                       o.batch, x, seed, i, step, row)
    if o.reg != 0.0:
        PK.nonconvex_reg_grad_add(o.reg, x, row)


@njit(cache=True)
def node_value_grad(o, i, x, row):
    """f_i(x) without the regulariser (logistic: the mean log-loss; quadratic: the whole f_i),
    and grad f_i(x) into ``row``, in one pass over node i's samples (each dot product once).
    ``objective`` = (1/n) (sum_i value_i [+ n lam/2 ||x||^2]); ``full_gradient`` = the mean
    of the rows."""
    if o.kind == QUADRATIC:
        d = x.size
        q = 0.0
        for r in range(d):
            s = PK.dot(o.A[i, r], x)
            row[r] = s - o.b[i, r]
            q += x[r] * (0.5 * s - o.b[i, r])
        return q + o.c[i]
    F, Y = o.F[i], o.Y[i]
    m = F.shape[0]
    inv_m = 1.0 / m
    loss = 0.0
    for j in range(m):
        t = PK.dot(F[j], x)
        z = Y[j] * t
        # log(1 + exp(-z)) without overflow
        loss += math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z))
        w = -Y[j] * PK.sigmoid(-Y[j] * t) * inv_m
        PK.axpy_into(row, o.lam, x, w, F[j], j == 0)
    if o.reg != 0.0:
        PK.nonconvex_reg_grad_add(o.reg, x, row)
        return loss / m + o.reg * PK.nonconvex_reg_value(x)
    return loss / m


@njit(cache=True)
def objective(o, x):
    """f(x) = (1/n) sum_i f_i(x) (the same arithmetic as :func:`node_value_grad`)."""
    n = o.b.shape[0] if o.kind == QUADRATIC else o.F.shape[0]
    total = 0.0
    if o.kind == QUADRATIC:
        d = x.size
        for i in range(n):
            q = 0.0
            for r in range(d):
                s = PK.dot(o.A[i, r], x)
                q += x[r] * (0.5 * s - o.b[i, r])
            total += q + o.c[i]
    else:
        m = o.F.shape[1]
        for i in range(n):
            loss = 0.0
            for j in range(m):
                z = o.Y[i, j] * PK.dot(o.F[i, j], x)
                # log(1 + exp(-z)) without overflow
                loss += math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z))
            if o.reg != 0.0:
                total += loss / m + o.reg * PK.nonconvex_reg_value(x)
            else:
                total += loss / m
        total += n * 0.5 * o.lam * (x @ x)
    return total / n


@njit(cache=True)
def full_gradient(o, x, rows, grads, out):
    """grad f(x) = (1/n) sum_i grad f_i(x); ``rows`` and ``grads`` are (n, d) work arrays."""
    n = rows.shape[0]
    for i in range(n):
        rows[i] = x
    if o.kind == QUADRATIC:
        PK.quadratic_grads(o.A, o.b, rows, grads)
    else:
        PK.logistic_grads(o.F, o.Y, o.lam, rows, grads)
        if o.reg != 0.0:
            PK.nonconvex_reg_grads_add(o.reg, rows, grads)
    for j in range(x.size):
        s = 0.0
        for i in range(n):
            s += grads[i, j]
        out[j] = s / n
