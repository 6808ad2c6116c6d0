"""Compression of all nodes' vectors in one Numba call (the simulator's hot path).

Each compressor declares its batch kernel itself (``Compressor.batch_kernel(d, shared)``: a
:class:`Kernel` naming one of the kernels below with its parameters, or None). It is translated
once into ``(code, params)``; ``compress_rows`` then
compresses every row of an (n, d) matrix with node i's stream key ``node_step_key(seed, i, t)``
and returns, per row, the exact number of bits of its message. Row i of the result is bit for
bit ``compressor._reconstruct(compressor._sample(X[i], key_i), d)`` -- the same arithmetic as
``compressor.compress`` with that key (tested in ``tests/test_algorithms.py``), so a process
that owns one node (MPI) reproduces the simulator.

Bits: fixed-length codes give a constant per message (taken from the codec by encoding, and
checked); Bernoulli sparsification's length depends on the kept count m (a table over m from
the enumerative code); grid rounding's on the Elias-gamma lengths of its indices (computed in
the kernel). ``bits_exact`` is False only where the subset code is in its blocked regime, whose
length is bounded, not fixed (the table then holds the proven bound).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from theorytools.compressors import _kernels as K
from theorytools.errors import TheorytoolsError
from theorytools.random import node_step_key

IDENTITY, NATURAL, BIASED_NATURAL, DITHERING, RAND_K, TOP_K, BERNOULLI, SIGN, SCALED_SIGN, \
    GRID = range(10)


@dataclass(frozen=True)
class Kernel:
    """A compressor's declaration of its batch kernel (:meth:`Compressor.batch_kernel`).

    ``code``: one of the kernels of :func:`compress_row` (IDENTITY ... GRID); ``params``: its
    float64 parameters; ``bits_table``: int64 bits per message (index 0), per kept count m
    (Bernoulli), or unused (grid: computed in the kernel); ``bits_exact``: False where the table
    holds a proven bound rather than the exact length (the subset code's blocked regime).
    Built by :func:`fixed_length_kernel` and :func:`bernoulli_kernel` below."""

    code: int
    params: tuple
    bits_table: object = (0,)      # a sequence of ints or an int64 array
    bits_exact: bool = True


def fixed_length_kernel(compressor, code, params, d, shared, *, exact=True) -> Kernel:
    """A kernel whose messages all have the length ``compressor.bits_budget`` (checked on a
    probe message when ``exact``)."""
    bits = compressor.bits_budget(np.zeros(d), shared=shared)
    if exact:
        probe = np.random.default_rng(0).standard_normal(d)
        measured = compressor.encode(probe, 0, shared=shared).nbits
        if measured != bits:
            raise TheorytoolsError(f"{compressor.canonical_name}: codec length {measured} is not "
                                   f"the fixed length {bits}")
    return Kernel(code, tuple(float(v) for v in params), (int(bits),), bool(exact))


def bernoulli_kernel(compressor, scale, d, shared) -> Kernel:
    """Bernoulli sparsification: the length depends on the kept count m (enumerative code)."""
    from theorytools.codecs.enumerative import subset_code_bits, subset_code_is_fixed
    from theorytools.compressors.base import log2_ceil

    w = compressor.float_width
    if shared:
        table, exact = w * np.arange(d + 1, dtype=np.int64), True
    else:
        table = np.array([log2_ceil(d + 1) + subset_code_bits(d, m) + w * m
                          for m in range(d + 1)], dtype=np.int64)
        exact = subset_code_is_fixed(d, d // 2)   # the largest C(d, m)
    return Kernel(BERNOULLI, (compressor.params["p"], scale, w), table, exact)


@dataclass(frozen=True)
class BatchCompressor:
    """A compressor prepared for :func:`compress_rows` at dimension d."""

    compressor: object
    code: int
    params: np.ndarray        # float64 parameters of the kernel
    bits_table: np.ndarray    # int64: bits per message (index 0), or per kept count m (Bernoulli)
    bits_exact: bool
    shared: bool

    @property
    def name(self):
        return self.compressor.canonical_name


_PREPARED: dict = {}


def prepare(compressor, d: int, *, shared: bool = False):
    """Translate ``compressor`` for the batch kernel at dimension ``d``: a
    :class:`BatchCompressor`, or None when the compressor declares no batch kernel
    (``compressor.batch_kernel(d, shared)`` is None; the algorithms then call its ``compress``
    per node and step, :mod:`theorytools.algorithms._fallback`).

    The result is cached per (compressor class, canonical name, d, shared): the translation
    encodes a probe message (milliseconds at d = 1000), which a loop of short ``advance`` calls
    would otherwise pay every call.
    """
    cls = type(compressor)
    key = (cls.__module__, cls.__qualname__, compressor.canonical_name, int(d), bool(shared))
    if key in _PREPARED:
        return _PREPARED[key]
    batch = _prepare(compressor, d, shared)
    if len(_PREPARED) >= 256:
        _PREPARED.clear()
    _PREPARED[key] = batch
    return batch


def _prepare(compressor, d, shared):
    if shared and not compressor.shared_randomness:
        raise TheorytoolsError(f"shared=True: {compressor.canonical_name} has no shared seed mode")
    compressor.validate(np.zeros(d))   # parameters that do not fit d raise here
    declare = getattr(compressor, "batch_kernel", None)
    kernel = declare(d, shared) if declare is not None else None
    if kernel is None:
        return None
    if not isinstance(kernel, Kernel) or kernel.code not in range(GRID + 1):
        raise TheorytoolsError(f"{compressor.canonical_name}.batch_kernel returned {kernel!r}, "
                               "not a Kernel of theorytools.algorithms._batch (or None)")
    return BatchCompressor(compressor, kernel.code, np.array(kernel.params, dtype=np.float64),
                           np.array(kernel.bits_table, dtype=np.int64), kernel.bits_exact,
                           shared)


@njit(cache=True)
def _round(v, width):
    if width == 32.0:
        return np.float64(np.float32(v))
    return v


@njit(cache=True)
def _gamma_len(n):
    # 2 floor(log2 n) + 1 for n >= 1
    bits = 0
    while n > 1:
        n >>= 1
        bits += 1
    return 2 * bits + 1


@njit(cache=True)
def wire_norm(x, width):
    """The l2 norm of x as dithering sends it: one pass (max |x_i|, sum x_i^2) with the
    compressor's own kernel, max(sqrt(sum), max) (so every |x_i| / norm <= 1), rounded UP to
    float32 when ``width`` is 32. The same arithmetic as ``compressors.dithering.p_norm(x, 2)``
    followed by ``round_scalar(..., up=True)`` (tested bit for bit through the compressor).
    Returns 0.0 for x = 0, and -1.0 outside the one-pass range (max |x_i| outside
    [2^-400, 2^400]) or when the rounded norm overflows float32 (the Python path raises)."""
    m, total = K.max_abs_and_sum_sq(x)
    if m == 0.0:
        return 0.0
    if not (2.0 ** -400 <= m <= 2.0 ** 400):
        return -1.0
    norm = max(math.sqrt(total), m)
    if width == 32.0:
        n32 = np.float32(norm)
        if not np.isfinite(n32):
            return -1.0
        if np.float64(n32) < norm:
            n32 = np.nextafter(n32, np.float32(np.inf))
        norm = np.float64(n32)
    return norm


@njit(cache=True)
def compress_row(code, params, bits_table, x, key, o, grid_index):
    """Compress one row x with stream key ``key`` into ``o``; returns the bits of the message,
    or -1 if its values fall outside the wire format (the caller raises). ``grid_index`` is an
    int64 work row of length d (grid rounding only)."""
    d = x.size
    if code == IDENTITY:
        w = params[0]
        for j in range(d):
            v = _round(x[j], w)
            if not math.isfinite(v):
                return -1
            o[j] = v
        return bits_table[0]
    elif code == NATURAL:
        if K.natural_sample_kernel(x, key, o) >= 0:
            return -1
        return bits_table[0]
    elif code == BIASED_NATURAL:
        if K.biased_natural_kernel(x, o) >= 0:
            return -1
        return bits_table[0]
    elif code == DITHERING:
        norm = wire_norm(x, params[1])
        if norm < 0.0:
            return -1          # outside the one-pass norm range: use the Python path
        if norm == 0.0:
            for j in range(d):
                o[j] = 0.0
        else:
            K.dither_row(x, norm, np.int64(params[0]), key, o, o, False)
        return bits_table[0]
    elif code == RAND_K or code == TOP_K:
        k = np.int64(params[0])
        scale = params[1]
        if code == RAND_K:
            idx = K.rand_k_indices(d, k, key)
        else:
            idx = K.top_k_indices(x, k)
        for j in range(d):
            o[j] = 0.0
        for j in range(k):
            v = _round(x[idx[j]], params[2])
            if not math.isfinite(v):
                return -1
            o[idx[j]] = v * scale
        return bits_table[0]
    elif code == BERNOULLI:
        bad, kept = K.bernoulli_compress(x, params[0], params[1], key, params[2] == 32.0, o)
        if bad >= 0:
            return -1
        return bits_table[kept]
    elif code == SIGN:
        K.sign_of(x, 1.0, o)
        return bits_table[0]
    elif code == SCALED_SIGN:
        scale = _round(K.abs_sum(x) / d, params[0])
        if not math.isfinite(scale):
            return -1
        K.sign_of(x, scale, o)
        return bits_table[0]
    else:  # GRID
        stepsize = params[0]
        K.grid_sample(x, stepsize, key, grid_index)   # the compressor's own kernel
        total_bits = 0
        for j in range(d):
            mm = grid_index[j]
            o[j] = mm * stepsize
            zz = 2 * mm if mm >= 0 else -2 * mm - 1
            total_bits += _gamma_len(zz + 1)
        return total_bits


@njit(cache=True)
def compress_row_add(code, params, bits_table, x, key, o, grid_index, acc):
    """:func:`compress_row`, then acc += o when it succeeded (DCD's x += C(z), CHOCO's
    xhat += C(x - xhat)); dithering does the addition in its own pass."""
    if code == DITHERING:
        norm = wire_norm(x, params[1])
        if norm < 0.0:
            return -1
        if norm == 0.0:
            for j in range(x.size):
                o[j] = 0.0
                acc[j] += 0.0
        else:
            K.dither_row(x, norm, np.int64(params[0]), key, o, acc, True)
        return bits_table[0]
    bits = compress_row(code, params, bits_table, x, key, o, grid_index)
    if bits >= 0:
        for j in range(x.size):
            acc[j] += o[j]
    return bits


@njit(cache=True)
def compress_rows(code, params, bits_table, X, seed, step, out, bits_out):
    """Compress every row of X with its node's key; write rows into ``out`` and the bits of
    each message into ``bits_out``. Returns -1, or the index of a row whose values fall outside
    the wire format (the caller raises)."""
    n, d = X.shape
    grid_index = np.empty(d if code == GRID else 0, np.int64)
    for i in range(n):
        b = compress_row(code, params, bits_table, X[i], node_step_key(seed, i, step), out[i],
                         grid_index)
        if b < 0:
            return i
        bits_out[i] = b
    return -1


def compress_all(batch: BatchCompressor, X, seed, step, out=None, bits_out=None):
    """Python wrapper: compress the rows of X (n, d); returns (out, bits per row)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    out = np.empty_like(X) if out is None else out
    bits_out = np.empty(X.shape[0], np.int64) if bits_out is None else bits_out
    bad = compress_rows(batch.code, batch.params, batch.bits_table, X, np.uint64(seed), step,
                        out, bits_out)
    if bad >= 0:
        # reproduce the compressor's own error message for that row
        batch.compressor.compress(X[bad], 0)
        raise TheorytoolsError(f"row {bad}: values outside the simulator's batch path for "
                               f"{batch.name}")
    return out, bits_out


class PerNode:
    """The compression step of a compressor without a batch kernel: ``compress`` per node.

    Called as ``per_node(Z, cseed, t, out, bits_out)``: row i of ``out`` becomes
    ``compressor.compress(Z[i], KeyedGenerator(node_step_key(cseed, i, t)))`` (node i's stream
    of step t, the key the batch kernel uses), and ``bits_out[i]`` the length of
    ``encode(Z[i], <same stream>, shared=shared)``. A compressor whose ``encode`` is not
    implemented is counted at its ``bits_budget`` (then ``bits_exact`` is False). Returns -1,
    or the row whose compression failed (the error is kept in ``error``)."""

    def __init__(self, compressor, d, shared=False):
        from theorytools.random import KeyedGenerator

        self.compressor, self.shared, self._gen = compressor, bool(shared), KeyedGenerator
        self.error = None
        from theorytools.compressors.base import Compressor

        cls = type(compressor)
        # encode() works when the class writes a codec (or overrides encode itself)
        self.encodes = (getattr(cls, "_write", None) is not Compressor._write
                        or getattr(cls, "encode", None) is not Compressor.encode)
        if not self.encodes and getattr(cls, "bits_budget", None) is Compressor.bits_budget:
            raise TheorytoolsError(
                f"{compressor.canonical_name}: the algorithms count bits with encode() or "
                "bits_budget(); it implements neither")
        self.bits_exact = self.encodes

    def __call__(self, Z, cseed, t, out, bits_out):
        c, gen = self.compressor, self._gen
        for i in range(Z.shape[0]):
            key = node_step_key(cseed, i, t)
            try:
                y = np.asarray(c.compress(Z[i], gen(key)), dtype=np.float64)
                if y.shape != Z[i].shape or not np.all(np.isfinite(y)):
                    raise TheorytoolsError(f"compress returned {y.shape} values "
                                           f"{'(not all finite)' if y.shape == Z[i].shape else ''}"
                                           f"for an input of shape {Z[i].shape}")
                out[i] = y
                if self.encodes:
                    bits_out[i] = c.encode(Z[i], gen(key), shared=self.shared).nbits
                else:
                    bits_out[i] = c.bits_budget(Z[i], shared=self.shared)
            except TheorytoolsError as exc:
                self.error = exc
                return i
        return -1


def kernel_or_per_node(compressor, d, shared=False):
    """What the algorithms compress with: ``(code, params, bits_table, per_node, bits_exact)``
    with ``per_node`` None when the compressor declares a batch kernel (:func:`prepare`),
    else a :class:`PerNode` (code and tables are then dummies)."""
    batch = prepare(compressor, d, shared=shared)
    if batch is not None:
        return batch.code, batch.params, batch.bits_table, None, batch.bits_exact
    per_node = PerNode(compressor, d, shared)
    return IDENTITY, np.array([64.0]), np.zeros(1, np.int64), per_node, per_node.bits_exact


def without_batch_kernel(compressor):
    """The same compressor (same parameters, same ``compress``) declaring no batch kernel: the
    algorithms then run it through ``compress`` per node and step. For comparing the two paths
    (``bench/simulator.py``, ``tests/test_per_node.py``)."""
    cls = type(compressor)
    sub = _NO_BATCH.get(cls)
    if sub is None:
        sub = type(cls.__name__, (cls,), {"batch_kernel": lambda self, d, shared=False: None,
                                          "__module__": cls.__module__,
                                          "__qualname__": cls.__qualname__ + "[per node]"})
        _NO_BATCH[cls] = sub
    clone = object.__new__(sub)
    clone.__dict__.update(compressor.__dict__)
    return clone


_NO_BATCH: dict = {}
