"""The compressor contract: explicit randomness, declared theory, exact law, bit-exact codec.

A compressor is a small immutable object built from its parameters. For an input
:math:`x \\in \\mathbb{R}^d` and explicit randomness ``rng`` (an int seed or a
``numpy.random.Generator``; never global state):

* ``compress(x, rng)`` returns :math:`C(x)`;
* ``encode(x, rng)`` returns a :class:`~theorytools.codecs.Message` with the exact bits, and
  ``decode(message)`` returns a vector equal, bit for bit, to ``compress(x, rng)``;
* ``law(x)`` returns the exact distribution of :math:`C(x)` (:mod:`theorytools.compressors.law`);
* ``theory(d)`` declares, with source and status, the classes and constants the compressor
  is claimed to satisfy, and ``bits_budget`` the worst-case bit count;
* ``extremal_inputs(d)`` lists inputs on which each declared constant is attained, so the
  contract suite proves the table tight, not just valid.

How a compressor draws randomness: it takes ONE 64-bit stream key from ``rng`` per call
(:func:`theorytools.random.draw_key`) and uses counter-based uniforms of that stream inside
its Numba kernel. Under shared randomness the receiver is given that key (it travels as
``Message.shared_seed``, side information that is not counted in the bits).

Float widths: the scalars a compressor sends (norms, kept values) travel at ``float_width``
bits (32 by default, as the papers count; 64 available). ``compress`` applies the same
rounding, so that ``decode(encode(x, s)) == compress(x, s)`` holds exactly. The declared
constants are those of the exact-arithmetic operator; the contract suite checks them with
``float_width=64`` and separately bounds the float32 perturbation.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from theorytools.codecs.message import Message
from theorytools.errors import SEED_HIGH, TheorytoolsError, check_int, check_vector
from theorytools.random import draw_key

FLOAT32_TINY = float(np.finfo(np.float32).tiny)
CONFIRMED = "confirmed"
AUTHOR_POSTER = "author-poster"
DERIVED = "derived"
UNCONFIRMED = "unconfirmed"
STATUSES = (CONFIRMED, AUTHOR_POSTER, DERIVED, UNCONFIRMED)


@dataclass(frozen=True)
class Constant:
    """A declared constant with its provenance.

    Attributes
    ----------
    value : float
        The constant (e.g. :math:`\\omega` of :math:`U(\\omega)`).
    source : str
        Where it comes from: paper and equation, docs/sources.md topic, and the proof check.
    status : str
        ``confirmed`` (read in the paper), ``author-poster`` (on the authors' own poster of the
        paper; below the paper, above our derivations), ``derived`` (derived here, with a proof
        check or a test) or ``unconfirmed`` (plausible reading of a paper, kept as a parameter).
    tight : bool
        Whether an input in :meth:`Compressor.extremal_inputs` attains it (tested).
    """

    value: float
    source: str
    status: str = DERIVED
    tight: bool = True

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Constant.status must be one of {STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class Theory:
    """What a compressor claims, each claim with its source and status.

    Classes (compressor classes (docs/sources.md#classes)): :math:`U(\\omega)`: :math:`\\mathbb{E}C(x)=x`,
    :math:`\\mathbb{E}\\|C(x)-x\\|^2 \\le \\omega\\|x\\|^2`;
    :math:`B_1(\\alpha,\\beta)`: :math:`\\alpha\\|x\\|^2 \\le \\mathbb{E}\\|C(x)\\|^2 \\le
    \\beta\\langle \\mathbb{E}C(x), x\\rangle`;
    :math:`B_2(\\gamma,\\beta)`: :math:`\\max\\{\\gamma\\|x\\|^2, \\mathbb{E}\\|C(x)\\|^2/\\beta\\}
    \\le \\langle \\mathbb{E}C(x), x\\rangle`;
    :math:`B_3(\\delta)`: :math:`\\mathbb{E}\\|C(x)-x\\|^2 \\le (1-1/\\delta)\\|x\\|^2`.
    ``in_no_class`` marks a compressor declared in none of the classes (the contract then
    exhibits inputs violating each class). ``abs_variance`` is an absolute bound :math:`\\mathbb{E}\\|C(x)-x\\|^2 \\le V` (grid rounding,
    the noise model of ECD-PSGD). The B1/B2 class definitions are themselves [UNCONFIRMED]
    readings of P1 (P1's classes B1/B2/B3 (docs/sources.md#classes)); every constant below is [DERIVED] under them unless stated.
    """

    unbiased: bool
    unbiased_source: str
    bits_formula: str
    bits_source: str
    omega: Constant | None = None
    delta: Constant | None = None
    b1_alpha: Constant | None = None
    b1_beta: Constant | None = None
    b2_gamma: Constant | None = None
    b2_beta: Constant | None = None
    abs_variance: Constant | None = None
    domain: str = "all x in R^d (float_width=32: nonzero |x_i| >= 2^-126)"
    note: str = ""
    in_no_class: bool = False

    CONSTANT_NAMES: ClassVar[tuple] = (
        "omega", "delta", "b1_alpha", "b1_beta", "b2_gamma", "b2_beta", "abs_variance")

    def constants(self) -> dict:
        """The declared constants by name (absent ones omitted)."""
        return {n: getattr(self, n) for n in self.CONSTANT_NAMES if getattr(self, n) is not None}

    @property
    def zeta(self):
        """:math:`\\zeta = \\omega + 1`, P1's parameter of the unbiased class (notation (docs/sources.md#notation))."""
        return None if self.omega is None else self.omega.value + 1.0


@dataclass(frozen=True)
class Extremal:
    """An input on which the declared constant ``constant`` is attained (equality)."""

    constant: str
    x: np.ndarray
    description: str


def round_scalar(value: float, width: int, *, name: str = "norm", up: bool = False) -> float:
    """Round ``value`` to a float of ``width`` bits (32 or 64), as it travels on the wire.

    ``up=True`` rounds towards :math:`+\\infty` (used for norms, so that the normalised
    coordinates :math:`|x_i|/\\|x\\|` stay in [0, 1]). Raises if the value overflows the width.

    Parameters
    ----------
    value : float
        The value.
    width : int
        32 or 64.
    name : str, optional
        Its name in the overflow error.
    up : bool, optional
        Round towards :math:`+\\infty` instead of to nearest.

    Returns
    -------
    float
        :math:`\\mathrm{fl}_{w}(\\text{value})` as a Python float.
    """
    if width == 64:
        return float(value)
    v32 = np.float32(value)
    if not np.isfinite(v32):
        raise TheorytoolsError(
            f"{name} = {value!r} exceeds the float32 range of the wire format; "
            "use float_width=64")
    if up and float(v32) < value:
        v32 = np.nextafter(v32, np.float32(np.inf))
        if not np.isfinite(v32):
            raise TheorytoolsError(
                f"{name} = {value!r} exceeds the float32 range of the wire format; "
                "use float_width=64")
    return float(v32)


def round_values(values: np.ndarray, width: int, *, name: str = "x") -> np.ndarray:
    """Round an array to ``width``-bit floats (kept values on the wire), checking overflow.

    Parameters
    ----------
    values : numpy.ndarray
        float64 values.
    width : int
        32 or 64 (64: returned unchanged).
    name : str, optional
        Its name in the overflow error.

    Returns
    -------
    numpy.ndarray
        float64 array of values representable in ``width`` bits (round to nearest).
    """
    if width == 64:
        return values
    with np.errstate(over="ignore"):
        v32 = values.astype(np.float32)
    if not np.all(np.isfinite(v32)):
        bad = int(np.flatnonzero(~np.isfinite(v32))[0])
        raise TheorytoolsError(
            f"{name} has an entry {values[bad]!r} beyond the float32 range of the wire format; "
            "use float_width=64")
    return v32.astype(np.float64)


class Compressor:
    """Base class. Subclasses set the class attributes and implement the ``_`` hooks.

    Class attributes
    ----------------
    name : str
        Canonical registry name (e.g. ``"top_k"``).
    randomized : bool
        Whether :math:`C(x)` is random. Deterministic compressors accept ``rng=None``.
    shared_randomness : bool
        Whether the receiver can regenerate the random choices from a shared seed instead of
        receiving them (Rand-k, Bernoulli: the index set). ``encode(..., shared=True)``.
    paper : str
        The paper whose claims about this compressor ``theorytools verify`` checks (a key of
        :data:`theorytools.verify.PAPERS`; ``verify --paper`` selects by it). Default
        ``beznosikov2020`` (its Table 1 of compressors and classes); the ECD noise model's grid
        rounding says ``tang2018``, Sparse Dithering and Spherical Compression
        ``albasyoni2020``.
    """

    name: ClassVar[str] = ""
    paper: ClassVar[str] = "beznosikov2020"
    randomized: ClassVar[bool] = False
    shared_randomness: ClassVar[bool] = False
    param_order: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kwargs):
        """Wrap the subclass's ``theory`` and ``bits_budget`` so that their arguments are
        validated once, here, for every compressor: ``d`` an integer >= 1, ``x`` a real 1-D
        vector (a 2-D array is refused, not flattened)."""
        super().__init_subclass__(**kwargs)
        raw = cls.__dict__.get("theory")
        if raw is not None and not getattr(raw, "_validates_d", False):
            @functools.wraps(raw)
            def theory(self, d, _raw=raw):
                return _raw(self, check_int(d, "d", low=1))
            theory._validates_d = True
            cls.theory = theory
        raw = cls.__dict__.get("bits_budget")
        if raw is not None and not getattr(raw, "_validates_x", False):
            @functools.wraps(raw)
            def bits_budget(self, x, *args, _raw=raw, **kwargs):
                return _raw(self, check_vector(x, "x", finite=False), *args, **kwargs)
            bits_budget._validates_x = True
            cls.bits_budget = bits_budget

    def __init__(self, float_width: int = 32, **params):
        if float_width not in (32, 64):
            raise TheorytoolsError(f"float_width must be 32 or 64, got {float_width!r}")
        self.float_width = int(float_width)
        self.params = params

    # ----------------------------------------------------------------- identity and params
    @property
    def canonical_name(self) -> str:
        """``name[p=v,...]``, the name shared by the CLI, messages and reports."""
        items = [f"{k}={_fmt(self.params[k])}" for k in self.param_order if k in self.params]
        if self.float_width != 32:
            items.append(f"float_width={self.float_width}")
        return f"{self.name}[{','.join(items)}]" if items else self.name

    def __repr__(self):
        return self.canonical_name

    def with_params(self, **changes) -> "Compressor":
        """A copy with some parameters changed."""
        params = dict(self.params, float_width=self.float_width)
        params.update(changes)
        return type(self)(**params)

    # ------------------------------------------------------------------ public contract
    def validate(self, x, *, finite: bool = True) -> np.ndarray:
        """Check ``x`` (finite 1-D) and the parameters against its dimension."""
        x = check_vector(x, finite=finite)
        self._check_dimension(x.size)
        if finite or not self._fused_checks_range:
            self._check_input(x)
        return x

    def compress(self, x, rng=None, *, out=None) -> np.ndarray:
        """Return :math:`C(x)` (float64 vector of the same dimension).

        ``out``: an optional preallocated float64 vector of size d to write into (hot loops
        that compress many vectors reuse one buffer and avoid fresh allocations).
        """
        # a fused kernel that detects NaN/inf itself spares the separate finiteness pass
        x = self.validate(x, finite=not self._fused_checks_finite)
        key = self._key(rng)
        if out is not None:
            if (not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != x.shape
                    or not out.flags.c_contiguous):
                raise TheorytoolsError(
                    f"out must be a C-contiguous float64 array of shape {x.shape}, got "
                    f"{getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}")
        if self._compress_into is not None:  # fused kernel: same bits as _reconstruct(_sample)
            if out is None:
                out = np.empty(x.size)
            self._compress_into(x, key, out)
            return out
        result = self._reconstruct(self._sample(x, key), x.size)
        if out is None:
            return result
        out[...] = result
        return out

    # A compressor may set this to a function (x, key, out) -> None computing C(x) in one fused
    # pass; it must equal _reconstruct(_sample(x, key)) bit for bit (the codec round-trip checks
    # of the contract suite compare the two).
    _compress_into = None
    # True when _compress_into itself raises on NaN/inf (via errors.raise_if_not_finite)
    _fused_checks_finite = False
    # True when _compress_into also performs _check_input's range test in its single pass
    # (compress then skips the separate _check_input pass)
    _fused_checks_range = False

    def encode(self, x, rng=None, *, shared: bool = False) -> Message:
        """Encode :math:`C(x)` as bits; ``shared=True`` uses shared randomness (see class doc)."""
        from theorytools.codecs.bitio import BitWriter

        if shared and not self.shared_randomness:
            raise TheorytoolsError(
                f"shared=True: {self.name} has no randomness the receiver could regenerate")
        x = self.validate(x)
        key = self._key(rng)
        parts = self._sample(x, key)
        writer = BitWriter()
        self._write(parts, writer, x.size, shared)
        return Message(writer.getvalue(), writer.nbits, x.size, self.canonical_name,
                       int(key) if shared else None)

    def decode(self, message: Message) -> np.ndarray:
        """Decode a message produced by :meth:`encode` of an equal compressor."""
        from theorytools.codecs.bitio import BitReader

        if not isinstance(message, Message):
            raise TheorytoolsError(f"message must be a Message, got {type(message).__name__}")
        if message.compressor != self.canonical_name:
            raise TheorytoolsError(
                f"message was encoded by {message.compressor!r}, not {self.canonical_name!r}")
        d = check_int(message.d, "message.d", low=1)
        self._check_dimension(d)
        seed = message.shared_seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or not 0 <= int(seed) <= SEED_HIGH):
            raise TheorytoolsError(
                f"message.shared_seed must be None or an integer in [0, 2^64), got {seed!r}")
        reader = BitReader(message.payload, message.nbits)
        key = None if seed is None else np.uint64(int(seed))
        parts = self._read(reader, d, key)
        reader.expect_end()
        return self._reconstruct(parts, d)

    def bits(self, x, rng=None, *, shared: bool = False) -> int:
        """Exact bit count of ``encode(x, rng, shared=shared)``."""
        return self.encode(x, rng, shared=shared).nbits

    # ------------------------------------------------------------------ subclass hooks
    def _check_dimension(self, d: int) -> None:
        """Raise if the parameters do not fit dimension ``d`` (e.g. k > d)."""

    def _check_input(self, x: np.ndarray) -> None:
        """Raise if ``x`` is outside the operator's representable range."""

    def _sample(self, x, key):
        raise NotImplementedError

    def _reconstruct(self, parts, d) -> np.ndarray:
        raise NotImplementedError

    def _write(self, parts, writer, d, shared) -> None:
        raise NotImplementedError

    def _read(self, reader, d, key):
        raise NotImplementedError

    def law(self, x):
        """The exact law of :math:`C(x)` (:class:`~theorytools.compressors.law.Law`)."""
        raise NotImplementedError

    def theory(self, d: int) -> Theory:
        raise NotImplementedError

    def bits_budget(self, x, *, shared: bool = False) -> int:
        """Worst-case bit count for inputs like ``x`` (most budgets depend on ``d`` only)."""
        raise NotImplementedError

    def extremal_inputs(self, d: int) -> list:
        """Inputs attaining each declared tight constant (list of :class:`Extremal`)."""
        return []

    def p2_classes(self, d: int):
        """P2's classes U(omega), B(alpha), C(alpha) at dimension ``d``, from the declared
        theory (:class:`theorytools.compressors.P2Classes`; authors' poster of P2)."""
        from theorytools.compressors._theory import p2_classes
        return p2_classes(self, d)

    def batch_kernel(self, d: int, shared: bool = False):
        """The simulator's batch kernel for dimension ``d``, or None (the default).

        None: every algorithm (:mod:`theorytools.algorithms`) calls :meth:`compress` per node
        and per step, with the node's stream of that step (same bits and bit counts as a batch
        kernel would give, slower; see ``docs/algorithms.md``). A built-in compressor with a
        Numba kernel in the simulator returns its declaration here; the contract suite
        (:func:`theorytools.compressors.contract.check_batch_kernel`) checks it against
        ``compress`` and ``encode`` bit for bit.
        """
        return None

    def in_domain(self, x: np.ndarray) -> bool:
        r"""Whether the declared claims are made for ``x`` (see ``Theory.domain``).

        Default: with ``float_width=32`` the values sent must be float32 normal numbers
        (nonzero :math:`|x_i| \ge 2^{-126}`); smaller values are flushed towards zero on the
        wire (defined behaviour, outside the claims). With ``float_width=64``, every x.
        """
        if self.float_width == 64:
            return True
        a = np.abs(x)
        return bool(np.all((a == 0) | (a >= FLOAT32_TINY)))

    # ------------------------------------------------------------------ helpers
    def _key(self, rng):
        if not self.randomized:
            return np.uint64(0)
        if rng is None:
            raise TheorytoolsError(
                f"rng: {self.name} is randomised; pass an int seed or a numpy Generator")
        return draw_key(rng)


def _fmt(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    if isinstance(value, (tuple, list, np.ndarray)):
        return "(" + ";".join(_fmt(v) for v in value) + ")"
    return str(value)


def log2_ceil(n: int) -> int:
    """:math:`\\lceil \\log_2 n \\rceil` for an integer ``n >= 1`` (exact, no floats).

    Parameters
    ----------
    n : int
        Positive integer (e.g. a number of codewords).

    Returns
    -------
    int
        Bits of a fixed-length code for ``n`` symbols.
    """
    return (int(n) - 1).bit_length()


__all__ = ["Compressor", "Constant", "Theory", "Extremal", "CONFIRMED", "AUTHOR_POSTER",
           "DERIVED", "UNCONFIRMED", "round_scalar", "round_values", "log2_ceil"]
