"""The registry of compressors: canonical names, default parameters, and spec parsing.

``create("top_k[k=10]")`` or ``create("top_k", k=10)`` builds a compressor;
``default(name, d)`` builds it at its default parameters for dimension ``d`` (the defaults of
``theorytools compressors``). Canonical names are shared by the CLI, messages and reports.
"""
from __future__ import annotations

import math
import re

from theorytools.compressors.composed import Induced, TopKNatural, TopKNaturalDithering
from theorytools.compressors.dithering import Dithering, NaturalDithering
from theorytools.compressors.elementwise import (BiasedNatural, BiasedRounding, GridRounding,
                                                 Natural, ScaledSign, Sign, UnbiasedRounding)
from theorytools.compressors.identity import Identity
from theorytools.compressors.sparse_dithering import SparseDithering, SparseDitheringDet
from theorytools.compressors.spherical import Spherical, default_block
from theorytools.compressors.sparsify import (Adaptive, Bernoulli, BernoulliBiased, RandK,
                                              RandKBiased, TopK)
from theorytools.errors import TheorytoolsError, check_int


def _k_default(d):
    return max(1, d // 100)


# name -> (class, function d -> default parameters)
REGISTRY = {
    "identity": (Identity, lambda d: {}),
    "top_k": (TopK, lambda d: {"k": _k_default(d)}),
    "rand_k": (RandK, lambda d: {"k": _k_default(d)}),
    "rand_k_biased": (RandKBiased, lambda d: {"k": _k_default(d)}),
    "bernoulli": (Bernoulli, lambda d: {"p": 0.1}),
    "bernoulli_biased": (BernoulliBiased, lambda d: {"p": 0.1}),
    "adaptive_sparsification": (Adaptive, lambda d: {}),
    "natural": (Natural, lambda d: {}),
    "biased_natural": (BiasedNatural, lambda d: {}),
    "unbiased_rounding": (UnbiasedRounding, lambda d: {}),
    "biased_rounding": (BiasedRounding, lambda d: {}),
    "dithering": (Dithering, lambda d: {"s": max(1, int(math.isqrt(d)))}),
    "natural_dithering": (NaturalDithering, lambda d: {"s": 8}),
    "scaled_sign": (ScaledSign, lambda d: {}),
    "sign": (Sign, lambda d: {}),
    "grid_rounding": (GridRounding, lambda d: {"step": 1.0 / 64}),
    "top_k+natural": (TopKNatural, lambda d: {"k": _k_default(d)}),
    "top_k+natural_dithering": (TopKNaturalDithering, lambda d: {"k": _k_default(d), "s": 8}),
    "induced": (Induced, lambda d: {"k": _k_default(d), "c2": "natural"}),
    "sparse_dithering": (SparseDithering, lambda d: {"omega": 1.0}),
    "sparse_dithering_det": (SparseDitheringDet, lambda d: {"nu": 0.1}),
    "spherical": (Spherical, lambda d: {"alpha": 0.5, "block": default_block(0.5, d)}),
}


def names() -> list:
    """Canonical names of every registered compressor."""
    return list(REGISTRY)


def _parse_value(text: str):
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1]
        if "[" in inner or not re.fullmatch(r"[0-9eE.+\-;, ]*", inner):
            return inner  # a nested compressor spec, e.g. c2=(rand_k[k=5])
        return tuple(float(v) for v in re.split(r"[;,]", inner) if v.strip())
    if text.lower() in ("inf", "infinity"):
        return math.inf
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _split_params(body: str) -> list:
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def parse_spec(spec: str) -> tuple:
    """``"top_k[k=10]"`` -> ``("top_k", {"k": 10})``."""
    m = re.fullmatch(r"\s*([A-Za-z_+]+)\s*(?:\[(.*)\])?\s*", spec)
    if not m:
        raise TheorytoolsError(f"compressor spec {spec!r} is not of the form name[p=v,...]")
    params = {}
    for item in _split_params(m.group(2) or ""):
        if "=" not in item:
            raise TheorytoolsError(f"compressor spec {spec!r}: parameter {item!r} lacks '='")
        key, value = item.split("=", 1)
        if key.strip() in params:
            raise TheorytoolsError(
                f"compressor spec {spec!r}: parameter {key.strip()!r} is given twice")
        params[key.strip()] = _parse_value(value)
    return m.group(1), params


def create(spec, **overrides):
    """Build a compressor from a spec string (``name`` or ``name[p=v,...]``) and overrides."""
    if not isinstance(spec, str):
        raise TheorytoolsError(f"compressor spec must be a string such as 'top_k[k=10]', got "
                               f"{type(spec).__name__} {spec!r}")
    name, params = parse_spec(spec)
    if name not in REGISTRY:
        raise TheorytoolsError(f"unknown compressor {name!r}; known: {', '.join(REGISTRY)}")
    params.update(overrides)
    cls = REGISTRY[name][0]
    try:
        return cls(**params)
    except TypeError as exc:
        raise TheorytoolsError(f"compressor {name}: bad parameters {params}: {exc}") from exc


def default(name: str, d: int, **overrides):
    """``name`` at its default parameters for dimension ``d``, with overrides applied."""
    if name not in REGISTRY:
        raise TheorytoolsError(f"unknown compressor {name!r}; known: {', '.join(REGISTRY)}")
    d = check_int(d, "d", low=1)
    cls, defaults = REGISTRY[name]
    params = defaults(d)
    params.update(overrides)
    try:
        return cls(**params)
    except TypeError as exc:
        raise TheorytoolsError(f"compressor {name}: bad parameters {params}: {exc}") from exc
