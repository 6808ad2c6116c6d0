"""Explicit, counter-based randomness for compressors and simulated nodes.

Every random draw in theorytools comes from a *stream key* (a 64-bit integer) and a counter:
``uniform(key, i)`` is a pure function, so

* a compressor given the same seed returns bit-identical output in any process, with or
  without threads, and a receiver holding the key (shared randomness) can regenerate the draws;
* a simulated node ``j`` at step ``t`` uses ``stream_key(seed, j, t)``, so a run with one MPI
  process per node reproduces the simulator's draws exactly.

The generator is SplitMix64 used as a counter-based generator: the ``i``-th output is
``mix64(key + (i + 1) * 0x9E3779B97F4A7C15)``, where ``mix64`` is Stafford's "Mix13" finaliser
(Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014). Uniform
doubles are the top 53 bits times :math:`2^{-53}`, so ``uniform`` lies in ``[0, 1)`` with
resolution :math:`2^{-53}`.

Status: the generator is standard (confirmed in the cited paper); its use as a counter-based
stream is derived here and tested for uniformity by ``tests/test_random.py``.
"""
from __future__ import annotations


import numpy as np
from numba import njit

from theorytools.errors import check_seed

__all__ = ["GOLDEN_GAMMA", "KeyedGenerator", "as_generator", "draw_key", "mix64",
           "node_step_key", "random_u64", "stream_key", "uniform", "uniforms",
           "word_to_uniform"]

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def mix64(z):
    """Stafford Mix13 finaliser of SplitMix64 (bijective on 64-bit words)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def random_u64(key, counter):
    """The ``counter``-th 64-bit word of stream ``key``.

    Both are converted to uint64 first: Numba types an int64 plus a uint64 as float64, so a key
    that arrives as a Python int below 2^63 (typed int64) would otherwise silently give another
    stream.
    """
    return mix64(np.uint64(key) + (np.uint64(counter) + _ONE) * GOLDEN_GAMMA)


@njit(cache=True, inline="always")
def word_to_uniform(word):
    """The uniform double in [0, 1) made from a 64-bit word: its top 53 bits times 2^-53."""
    return np.float64(word >> _S11) * _INV53


@njit(cache=True, inline="always")
def uniform(key, counter):
    """The ``counter``-th uniform double in [0, 1) of stream ``key``."""
    return word_to_uniform(random_u64(key, counter))


@njit(cache=True)
def uniforms(key, n):
    """``n`` consecutive uniforms of stream ``key`` (counters 0..n-1)."""
    out = np.empty(n, np.float64)
    for i in range(n):
        out[i] = uniform(key, np.uint64(i))
    return out


def as_generator(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng`` (an int seed or a Generator).

    A seed gives a fresh ``Generator(PCG64(seed))``; a Generator is used as it is (its state
    advances). ``None`` is refused: theorytools never draws from global or OS entropy.
    """
    rng = check_seed(rng, "rng", generator=True)
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.Generator(np.random.PCG64(rng))


class KeyedGenerator(np.random.Generator):
    """The stream of one node at one step: a ``numpy.random.Generator`` (Philox keyed by
    ``key``) that also carries the stream key itself.

    :func:`draw_key` returns ``key`` for it, so a :class:`~theorytools.compressors.Compressor`
    given ``KeyedGenerator(node_step_key(seed, i, t))`` uses exactly the stream the simulator's
    batch kernel uses for node i at step t; any other function can draw from it as from a
    Generator. The algorithms pass one to ``compress`` for compressors without a batch kernel.
    """

    def __init__(self, key):
        self.key = np.uint64(key)
        super().__init__(np.random.Philox(key=int(self.key)))


def draw_key(rng) -> np.uint64:
    """Draw one 64-bit stream key from ``rng`` (seed or Generator); a
    :class:`KeyedGenerator` gives its own key (it does not advance)."""
    if isinstance(rng, KeyedGenerator):
        return rng.key
    gen = as_generator(rng)
    return np.uint64(gen.integers(0, 2**64, dtype=np.uint64))


def stream_key(seed: int, *path: int) -> np.uint64:
    """Key of the sub-stream ``path`` (e.g. node, step) of ``seed``, by repeated mixing.

    ``stream_key(s, j, t)`` differs for every (j, t) and depends on nothing else, so a
    process that owns node ``j`` derives the same key as the single-process simulator.
    """
    key = np.uint64(check_seed(seed))
    for part in path:
        key = mix64(np.uint64((int(key) + (int(part) + 1) * 0x9E3779B97F4A7C15)
                              & 0xFFFFFFFFFFFFFFFF))
    return np.uint64(key)


@njit(cache=True)
def node_step_key(seed, node, step):
    """Stream key of ``node`` at ``step`` for run ``seed`` (all uint64-convertible ints).

    Equal to :func:`stream_key` ``(seed, node, step)``, but callable from Numba kernels, so a
    simulator loop over nodes and a process that owns one node (MPI) derive the same key.
    """
    key = np.uint64(seed)
    key = mix64(key + (np.uint64(node) + _ONE) * GOLDEN_GAMMA)
    key = mix64(key + (np.uint64(step) + _ONE) * GOLDEN_GAMMA)
    return key
