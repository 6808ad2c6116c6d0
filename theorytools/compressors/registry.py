"""The registry of compressors: canonical names, default parameters, and spec parsing.

``create("top_k[k=10]")`` or ``create("top_k", k=10)`` builds a compressor;
``default(name, d)`` builds it at its default parameters for dimension ``d`` (the defaults of
``theorytools compressors``). Canonical names are shared by the CLI, messages and reports.
"""
from __future__ import annotations

import math
import re
from typing import Callable

from theorytools.compressors.base import Compressor
from theorytools.compressors.composed import Induced, TopKNatural, TopKNaturalDithering
from theorytools.compressors.dithering import Dithering, NaturalDithering
from theorytools.compressors.elementwise import (BiasedNatural, BiasedRounding, GridRounding,
                                                 Natural, ScaledSign, Sign, UnbiasedRounding)
from theorytools.compressors.identity import Identity
from theorytools.compressors.scaled_qsgd import ScaledQSGD
from theorytools.compressors.sparse_dithering import (SparseDithering, SparseDitheringDet,
                                                     SparseDitheringDetHuffman)
from theorytools.compressors.spherical import Spherical, SphericalProjection, default_block
from theorytools.compressors.sparsify import (Adaptive, Bernoulli, BernoulliBiased, RandK,
                                              RandKBiased, TopK)
from theorytools.errors import TheorytoolsError, check_int

__all__ = ["ENTRY_POINT_GROUP", "REGISTRY", "create", "default", "load_entry_points", "names",
           "parse_spec", "register", "split_top"]


def _k_default(d):
    return max(1, d // 100)


ENTRY_POINT_GROUP = "theorytools.compressors"


class _Registry(dict):
    """name -> (class, function d -> default parameters). The first lookup also loads the
    compressors that installed packages declare under the entry point group
    ``theorytools.compressors`` (:func:`load_entry_points`)."""

    _loaded = False

    def _load(self):
        if not _Registry._loaded:
            _Registry._loaded = True
            load_entry_points()

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key):
        self._load()
        return super().__contains__(key)

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def keys(self):
        self._load()
        return super().keys()

    def items(self):
        self._load()
        return super().items()

    def values(self):
        self._load()
        return super().values()

    def get(self, key, default=None):
        self._load()
        return super().get(key, default)


# name -> (class, function d -> default parameters)
REGISTRY = _Registry({
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
    "scaled_qsgd": (ScaledQSGD, lambda d: {"s": max(1, int(math.isqrt(d)))}),
    "scaled_sign": (ScaledSign, lambda d: {}),
    "sign": (Sign, lambda d: {}),
    "grid_rounding": (GridRounding, lambda d: {"step": 1.0 / 64}),
    "top_k+natural": (TopKNatural, lambda d: {"k": _k_default(d)}),
    "top_k+natural_dithering": (TopKNaturalDithering, lambda d: {"k": _k_default(d), "s": 8}),
    "induced": (Induced, lambda d: {"k": _k_default(d), "c2": "natural"}),
    "sparse_dithering": (SparseDithering, lambda d: {"omega": 1.0}),
    "sparse_dithering_det": (SparseDitheringDet, lambda d: {"nu": 0.1}),
    "sparse_dithering_det_huffman": (SparseDitheringDetHuffman, lambda d: {"nu": 0.1}),
    "spherical": (Spherical, lambda d: {"alpha": 0.5, "block": default_block(0.5, d)}),
    "spherical_projection": (SphericalProjection,
                             lambda d: {"alpha": 0.5, "block": default_block(0.5, d)}),
})


_BUILTIN = frozenset(dict.keys(REGISTRY))


def register(name: str, cls: type, defaults: dict | Callable | None = None, *,
             replace: bool = False) -> type:
    """Register a compressor class under ``name``, so that ``create("name[p=v]")``,
    ``default(name, d)``, ``theorytools compressors``, ``frontier`` and ``verify`` see it.

    Parameters
    ----------
    name : str
        The canonical name: letters, digits after the first character, ``_`` and ``+``; it
        must equal ``cls.name`` (the name a compressor reports in messages and reports).
    cls : type
        A subclass of :class:`theorytools.compressors.Compressor`.
    defaults : dict or callable, optional
        Default parameters: a dict, or a function ``d -> dict`` of the dimension (as the
        built-ins' ``k = max(1, d // 100)``). None: no parameters.
    replace : bool
        Allow replacing a registered user compressor (a built-in is never replaced).

    Returns
    -------
    type
        ``cls`` (so that it can be used as ``register("name", MyCompressor)`` at the end of a
        module).

    Raises
    ------
    TheorytoolsError
        Naming the argument on a bad name, class or defaults, or on a name already taken.
    """
    from theorytools.compressors.base import Compressor

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_+]+", name):
        raise TheorytoolsError(f"register: name must consist of letters, '_' and '+' (the "
                               f"spec syntax name[p=v]), got {name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Compressor)):
        raise TheorytoolsError(f"register: cls must be a subclass of "
                               f"theorytools.compressors.Compressor, got {cls!r}")
    if cls.name != name:
        raise TheorytoolsError(f"register: {cls.__name__}.name is {cls.name!r}, not {name!r}; "
                               "set the class attribute name to the registered name")
    if defaults is None:
        fn = lambda d: {}  # noqa: E731
    elif isinstance(defaults, dict):
        frozen = dict(defaults)
        fn = lambda d: dict(frozen)  # noqa: E731
    elif callable(defaults):
        fn = defaults
    else:
        raise TheorytoolsError(f"register: defaults must be a dict or a function d -> dict, "
                               f"got {defaults!r}")
    if name in _BUILTIN:
        raise TheorytoolsError(f"register: {name!r} is a built-in compressor")
    if dict.__contains__(REGISTRY, name) and not replace and REGISTRY[name][0] is not cls:
        raise TheorytoolsError(f"register: {name!r} is already registered (by "
                               f"{REGISTRY[name][0].__module__}); pass replace=True")
    dict.__setitem__(REGISTRY, name, (cls, fn))
    return cls


def load_entry_points() -> list:
    """Register the compressors of installed packages: each entry point of the group
    ``theorytools.compressors`` names a Compressor subclass (registered under the entry
    point's name, with the class's ``default_params(d)`` if it defines one), or a module or
    function that registers its compressors itself when loaded/called. Returns the names of
    the entry points loaded. A broken plugin raises a TheorytoolsError naming it."""
    from theorytools._plugins import entry_point_objects
    from theorytools.compressors.base import Compressor

    loaded = []
    for name, obj in entry_point_objects(ENTRY_POINT_GROUP, "compressor"):
        if isinstance(obj, type) and issubclass(obj, Compressor):
            register(name, obj, getattr(obj, "default_params", None), replace=True)
        elif callable(obj):
            obj()
        loaded.append(name)
    return loaded


def names() -> list:
    """Canonical names of every registered compressor (no update equation: a registry).

    Returns
    -------
    list of str
        The registry's keys, in registration order.

    References
    ----------
    docs/compressors.md (the table of compressors and their sources).
    """
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


def split_top(body: str, what: str | None = None) -> list:
    """Split ``body`` at the commas outside brackets and parentheses (the parameters of a
    spec ``name[p=v,q=w[x=1]]``). With ``what`` (the text naming the spec in messages),
    unbalanced brackets raise a TheorytoolsError; without it they are left to the caller."""
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0 and what is not None:
                raise TheorytoolsError(f"{what}: unbalanced ']' or ')' in {body!r}")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if depth != 0 and what is not None:
        raise TheorytoolsError(f"{what}: unbalanced '[' or '(' in {body!r}")
    if cur.strip():
        parts.append(cur)
    return parts


def parse_spec(spec: str) -> tuple:
    """``"top_k[k=10]"`` -> ``("top_k", {"k": 10})``."""
    m = re.fullmatch(r"\s*([A-Za-z_+]+)\s*(?:\[(.*)\])?\s*", spec)
    if not m:
        raise TheorytoolsError(f"compressor spec {spec!r} is not of the form name[p=v,...]")
    params = {}
    for item in split_top(m.group(2) or ""):
        if "=" not in item:
            raise TheorytoolsError(f"compressor spec {spec!r}: parameter {item!r} lacks '='")
        key, value = item.split("=", 1)
        if key.strip() in params:
            raise TheorytoolsError(
                f"compressor spec {spec!r}: parameter {key.strip()!r} is given twice")
        params[key.strip()] = _parse_value(value)
    return m.group(1), params


def _nested(cls, params: dict) -> dict:
    """``params`` with every parameter the class declares as a compressor
    (``cls.compressor_params``, e.g. Induced's ``c2``) built from its spec string, at the
    outer compressor's float width: the registry parses specs, the classes take objects."""
    out = dict(params)
    for key in getattr(cls, "compressor_params", ()):
        if isinstance(out.get(key), str):
            out[key] = create(out[key], float_width=out.get("float_width", 32))
    return out


def create(spec: str, **overrides) -> Compressor:
    r"""Build a compressor :math:`C: \mathbb{R}^d \to \mathbb{R}^d` from a spec string.

    Parameters
    ----------
    spec : str
        ``name`` or ``name[p=v,...]`` (e.g. ``"top_k[k=10]"``, ``"dithering[s=8]"``); a value
        in parentheses is a tuple or a nested compressor spec.
    **overrides
        Parameters that replace the spec's (e.g. ``float_width=64``).

    Returns
    -------
    Compressor
        With ``compress(x, seed)``, ``encode``/``decode``, ``law(x)`` and ``theory(d)``.

    References
    ----------
    docs/compressors.md (each compressor's definition, paper and equation).
    """
    if not isinstance(spec, str):
        raise TheorytoolsError(f"compressor spec must be a string such as 'top_k[k=10]', got "
                               f"{type(spec).__name__} {spec!r}")
    name, params = parse_spec(spec)
    if name not in REGISTRY:
        raise TheorytoolsError(f"unknown compressor {name!r}; known: {', '.join(REGISTRY)}")
    params.update(overrides)
    cls = REGISTRY[name][0]
    try:
        return cls(**_nested(cls, params))
    except TypeError as exc:
        raise TheorytoolsError(f"compressor {name}: bad parameters {params}: {exc}") from exc


def default(name: str, d: int, **overrides) -> Compressor:
    """``name`` at its default parameters for dimension ``d`` (e.g. ``k = max(1, d // 100)``).

    Parameters
    ----------
    name : str
        A registered name (see :func:`names`).
    d : int
        The dimension the defaults are chosen for.
    **overrides
        Parameters that replace the defaults.

    Returns
    -------
    Compressor
        The compressor.

    References
    ----------
    docs/compressors.md.
    """
    if name not in REGISTRY:
        raise TheorytoolsError(f"unknown compressor {name!r}; known: {', '.join(REGISTRY)}")
    d = check_int(d, "d", low=1)
    cls, defaults = REGISTRY[name]
    params = defaults(d)
    params.update(overrides)
    try:
        return cls(**_nested(cls, params))
    except TypeError as exc:
        raise TheorytoolsError(f"compressor {name}: bad parameters {params}: {exc}") from exc
