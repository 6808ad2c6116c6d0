"""hypothesis strategies for compressor inputs (in the manner of ``hypothesis.extra.numpy``).

``vectors(d=..., kind=...)`` draws float64 vectors of the adversarial families the toolkit's
contract suite uses (``docs/compressors.md`` §5) or random ones; ``dimensions()`` draws d.

Kinds: ``"random"`` (finite floats in +-1e6, no subnormals), ``"one_hot"``,
``"equal_magnitudes"`` (one magnitude, mixed signs), ``"geometric"`` (entries r^i with
r in (0, 1), random signs), ``"ties"`` (few distinct magnitudes), ``"heavy_tailed"`` (Cauchy-like
ratios of two draws), ``"near_subnormal"`` (magnitudes near 2^-1022 and below),
``"near_overflow"`` (magnitudes near 2^1000), ``"single_huge"`` (one entry 10^k times the
others), ``"adversarial"`` (any of the above) and ``"any"`` (adversarial or random).

Requires hypothesis (``pip install theorytools[dev]``).
"""
from __future__ import annotations

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - hypothesis is a dev extra
    raise ImportError("theorytools.testing.strategies needs hypothesis: "
                      "pip install 'theorytools[dev]'") from exc

from theorytools.errors import TheorytoolsError

KINDS = ("random", "one_hot", "equal_magnitudes", "geometric", "ties", "heavy_tailed",
         "near_subnormal", "near_overflow", "single_huge")


def dimensions(min_d: int = 1, max_d: int = 64):
    """Dimensions d in [min_d, max_d] (shrinking towards min_d)."""
    if not (isinstance(min_d, int) and isinstance(max_d, int) and 1 <= min_d <= max_d):
        raise TheorytoolsError(f"need 1 <= min_d <= max_d, got min_d={min_d!r}, max_d={max_d!r}")
    return st.integers(min_d, max_d)


def _signs(d):
    return st.lists(st.sampled_from([-1.0, 1.0]), min_size=d, max_size=d).map(np.array)


def _family(kind, d):
    if kind == "random":
        return st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
                        min_size=d, max_size=d).map(lambda v: np.array(v, dtype=np.float64))
    if kind == "one_hot":
        return st.tuples(st.integers(0, d - 1),
                         st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3)).map(
            lambda t: np.where(np.arange(d) == t[0], t[1], 0.0))
    if kind == "equal_magnitudes":
        return st.tuples(st.floats(1e-3, 1e3), _signs(d)).map(lambda t: t[0] * t[1])
    if kind == "geometric":
        return st.tuples(st.floats(0.05, 0.95), _signs(d)).map(
            lambda t: t[1] * t[0] ** np.arange(d, dtype=np.float64))
    if kind == "ties":
        return st.tuples(st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=d, max_size=d),
                         _signs(d)).map(lambda t: np.array(t[0]) * t[1])
    if kind == "heavy_tailed":
        return st.lists(st.tuples(st.floats(-1, 1), st.floats(1e-6, 1)), min_size=d,
                        max_size=d).map(lambda v: np.array([a / b for a, b in v]))
    if kind == "near_subnormal":
        return st.tuples(st.lists(st.integers(1, 2 ** 20), min_size=d, max_size=d),
                         st.integers(-1074, -1000), _signs(d)).map(
            lambda t: np.ldexp(np.array(t[0], dtype=np.float64), t[1]) * t[2])
    if kind == "near_overflow":
        return st.tuples(st.lists(st.floats(0.5, 1.0), min_size=d, max_size=d), _signs(d)).map(
            lambda t: np.ldexp(np.array(t[0]), 1000) * t[1])
    if kind == "single_huge":
        return st.tuples(st.integers(0, d - 1), st.integers(3, 30), _signs(d)).map(
            lambda t: t[2] * np.where(np.arange(d) == t[0], 10.0 ** t[1], 1.0))
    raise TheorytoolsError(f"kind must be one of {KINDS + ('adversarial', 'any')}, got {kind!r}")


def vectors(d=None, kind: str = "any"):
    """Float64 vectors of dimension ``d`` (an int, a strategy of ints, or None:
    :func:`dimensions`) from the family ``kind`` (see the module docstring)."""
    if kind not in KINDS + ("adversarial", "any"):
        raise TheorytoolsError(f"kind must be one of {KINDS + ('adversarial', 'any')}, "
                               f"got {kind!r}")
    if d is None:
        dims = dimensions()
    elif isinstance(d, int):
        if d < 1:
            raise TheorytoolsError(f"d must be >= 1, got {d!r}")
        dims = st.just(d)
    else:
        dims = d
    kinds = (KINDS[1:] if kind == "adversarial" else KINDS if kind == "any" else (kind,))
    return dims.flatmap(lambda n: st.one_of(*[_family(k, n) for k in kinds]))


__all__ = ["vectors", "dimensions", "KINDS"]
