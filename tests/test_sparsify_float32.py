"""rand_k and top_k read float32 input without a float64 copy of x (sparsify.py,
``_validate_keeping_float32``). The results must be those of converting first (what the code
did before): compress, encode payloads, decode and law, for float32 and float64 input; bad
float32 input is refused with the same message as its float64 conversion."""
import numpy as np
import pytest

from theorytools.compressors import create
from theorytools.errors import TheorytoolsError

SPECS = ["top_k[k=1]", "top_k[k=37]", "rand_k[k=1]", "rand_k[k=37]", "rand_k_biased[k=200]"]


def _inputs(d, rng):
    x = rng.standard_normal(d).astype(np.float32)
    ties = rng.integers(-3, 4, d).astype(np.float32)
    big = rng.uniform(-3e38, 3e38, d).astype(np.float32)           # float32 sum overflows
    tiny = (rng.standard_normal(d) * 1e-40).astype(np.float32)     # subnormal float32
    return [x, ties, big, tiny, np.where(rng.random(d) < 0.5, np.float32(0), np.float32(-0.0))]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("d", [300, 4099])
@pytest.mark.parametrize("width", [32, 64])
def test_float32_input_equals_converting_first(spec, d, width):
    rng = np.random.default_rng(d)
    c = create(spec, float_width=width)
    for x32 in _inputs(d, rng):
        x64 = x32.astype(np.float64)
        assert c.validate(x32).dtype == np.float32      # no copy: the input itself
        for seed in (0, 3):
            a, b = c.compress(x32, seed), c.compress(x64, seed)
            assert a.dtype == np.float64 and np.array_equal(a.view(np.uint64), b.view(np.uint64))
            ma, mb = c.encode(x32, seed), c.encode(x64, seed)
            assert ma.payload == mb.payload and ma.nbits == mb.nbits
            assert np.array_equal(c.decode(ma), b)
            buf = np.empty(d)
            assert c.compress(x32, seed, out=buf) is buf and np.array_equal(buf, b)
        la, lb = c.law(x32), c.law(x64)
        assert type(la) is type(lb)
        assert la.moments(x64).error == lb.moments(x64).error


@pytest.mark.parametrize("spec", ["top_k[k=3]", "rand_k[k=3]"])
def test_bad_float32_input_refused_like_float64(spec):
    c = create(spec)
    for bad in (np.nan, np.inf, -np.inf):
        x32 = np.ones(10, np.float32)
        x32[4] = bad
        with pytest.raises(TheorytoolsError) as e32:
            c.compress(x32, 0)
        with pytest.raises(TheorytoolsError) as e64:
            c.compress(x32.astype(np.float64), 0)
        assert str(e32.value) == str(e64.value) and "x[4]" in str(e32.value)
    with pytest.raises(TheorytoolsError, match="k must be"):
        c.compress(np.ones(2, np.float32), 0)
    with pytest.raises(TheorytoolsError, match="1-D"):
        c.compress(np.ones((3, 4), np.float32), 0)
    # non-contiguous float32 takes the converting path, same result
    x = np.arange(40, dtype=np.float32)[::2]
    assert np.array_equal(c.compress(x, 1), c.compress(x.astype(np.float64), 1))
