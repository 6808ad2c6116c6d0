"""Counter-based random streams: uniformity (Hoeffding, p_fail 1e-9), determinism, keys."""
import math
import subprocess
import sys

import numpy as np
import pytest

from theorytools.errors import TheorytoolsError
from theorytools.random import as_generator, draw_key, stream_key, uniforms


def test_uniform_moments_within_hoeffding():
    n = 1_000_000
    u = uniforms(np.uint64(12345), n)
    radius = math.sqrt(math.log(2 / 1e-9) / (2 * n))   # values in [0, 1]
    assert abs(u.mean() - 0.5) <= radius
    assert abs((u * u).mean() - 1 / 3) <= radius
    # bucket frequencies: each indicator is in [0, 1]; Bonferroni over 16 buckets
    counts = np.bincount((u * 16).astype(int), minlength=16) / n
    assert np.all(np.abs(counts - 1 / 16) <= math.sqrt(math.log(2 * 16 / 1e-9) / (2 * n)))
    assert u.min() >= 0.0 and u.max() < 1.0


def test_planted_biased_stream_fails_the_same_test():
    n = 1_000_000
    u = uniforms(np.uint64(12345), n) ** 1.02   # a slightly non-uniform stream (mean 1/2.02)
    radius = math.sqrt(math.log(2 / 1e-9) / (2 * n))
    assert abs(u.mean() - 0.5) > radius


def test_stream_keys_distinct_and_deterministic():
    keys = {int(stream_key(7, node, step)) for node in range(50) for step in range(50)}
    assert len(keys) == 2500
    assert stream_key(7, 3, 4) == stream_key(7, 3, 4)
    assert stream_key(7, 3, 4) != stream_key(8, 3, 4)


def test_same_results_in_another_process():
    code = ("import numpy as np; from theorytools.compressors import create;"
            "x=np.linspace(-1,1,37); print(create('natural').compress(x, 99).tobytes().hex())")
    here = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout
    from theorytools.compressors import create
    assert here.strip() == create("natural").compress(np.linspace(-1, 1, 37), 99).tobytes().hex()


def test_rng_arguments():
    assert draw_key(5) == draw_key(5)
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    for bad in (None, -1, 1.5, "seed", True):
        with pytest.raises(TheorytoolsError, match="rng"):
            as_generator(bad)


def test_node_step_key_matches_stream_key():
    from theorytools.random import node_step_key
    for seed, node, step in [(0, 0, 0), (7, 3, 11), (2**63 + 5, 1000, 10**6)]:
        assert int(node_step_key(np.uint64(seed), node, step)) == int(stream_key(seed, node, step))


def test_keys_as_python_ints_give_the_same_stream():
    """A key below 2^63 passed as a Python int (typed int64 by Numba) must not change the
    stream (planted: the unconverted arithmetic would promote to float64)."""
    from theorytools.random import random_u64
    for key in (7331856711605115733, 2**62 + 12345, 1):   # Python ints below 2^63
        assert random_u64(key, 5) == random_u64(np.uint64(key), np.uint64(5))
