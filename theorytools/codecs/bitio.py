r"""Bit-exact writer and reader: fixed-width fields, floats, unary, Elias codes, base 3.

Bits are written most significant bit first. :meth:`BitWriter.getvalue` returns the bits
zero-padded to a whole byte; the exact bit count is :attr:`BitWriter.nbits` and is what a
:class:`~theorytools.codecs.Message` charges. Array methods run in Numba kernels.

References
----------
P. Elias, "Universal codeword sets and representations of the integers", IEEE Trans.
Inform. Theory 21(2):194-203, 1975 (gamma, delta, omega codes).
"""
from __future__ import annotations

import math
import numbers
import struct

import numpy as np

from theorytools.errors import TheorytoolsError
from theorytools.codecs import _kernels as K

__all__ = ["BitWriter", "BitReader", "base3_bits"]

_FLOAT_FORMATS = {16: ">e", 32: ">f", 64: ">d"}
_FLOAT_NP = {16: np.float16, 32: np.float32, 64: np.float64}
_UINT_NP = {16: np.uint16, 32: np.uint32, 64: np.uint64}
_LITTLE = np.little_endian


def _int(value, name, low=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TheorytoolsError(f"{name} must be an integer, got {value!r:.80}")
    value = int(value)
    if low is not None and value < low:
        raise TheorytoolsError(f"{name} must be >= {low}, got {value}")
    return value


def _width(width, name="width"):
    width = _int(width, name, 0)
    if width > 64:
        raise TheorytoolsError(f"{name} must be <= 64, got {width}")
    return width


def _uint_array(values, name, low=0):
    """``values`` as a contiguous 1-D uint64 array (integers >= low), or raise."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise TheorytoolsError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if arr.dtype.kind == "u":
        out = arr                 # the kernels convert each entry to uint64: no copy
    elif arr.dtype.kind == "i":
        if arr.min() < 0:
            bad = int(np.flatnonzero(arr < 0)[0])
            raise TheorytoolsError(f"{name} must be >= {low}, but {name}[{bad}] = {arr[bad]}")
        out = arr
    elif arr.dtype == object or arr.dtype.kind == "f":
        try:
            ints = [int(v) for v in arr.tolist()]
        except (TypeError, ValueError, OverflowError) as exc:
            raise TheorytoolsError(f"{name} must hold integers") from exc
        for i, (v, orig) in enumerate(zip(ints, arr.tolist())):
            if v != orig or v < 0 or v >= 1 << 64:
                raise TheorytoolsError(
                    f"{name} must hold integers in [{low}, 2**64), but {name}[{i}] = {orig!r}")
        out = np.array(ints, dtype=np.uint64)
    else:
        raise TheorytoolsError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if low > 0 and out.min() < low:
        bad = int(np.flatnonzero(out < low)[0])
        raise TheorytoolsError(f"{name} must be >= {low}, but {name}[{bad}] = {int(out[bad])}")
    return np.ascontiguousarray(out)


def base3_bits(m: int) -> int:
    r"""Exact number of bits :meth:`BitWriter.write_base3_array` uses for ``m`` trits.

    Trits are packed in groups of 29 (the first trit is the most significant base-3 digit):
    a full group is a number below :math:`3^{29} < 2^{46}` written in 46 bits, and a final
    group of :math:`r = m \bmod 29` trits is written in :math:`\lceil \log_2 3^r \rceil` bits:

    .. math:: \mathrm{bits}(m) = 46\,\lfloor m/29 \rfloor + \lceil r \log_2 3 \rceil .

    The rate is :math:`46/29 = 1.58621` bits per trit, 0.079 % above :math:`\log_2 3 =
    1.58496`; in total :math:`\mathrm{bits}(m) < m \log_2 3 \cdot 1.00079 + 1`.

    Parameters
    ----------
    m : int
        Number of trits, ``m >= 0``.

    Returns
    -------
    int

    References
    ----------
    T. M. Cover, "Enumerative source encoding", IEEE Trans. Inform. Theory 19(1):73-77,
    1973 (a block of symbols coded by its rank among all blocks).
    """
    m = _int(m, "m", 0)
    full, r = divmod(m, K.TRITS_PER_GROUP)
    return 46 * full + int(K.BASE3_BITS[r])


class BitWriter:
    r"""Append-only bit string, most significant bit first.

    Every ``write_*`` method appends one code; :attr:`nbits` is the exact length so far and
    :meth:`getvalue` the bytes (zero-padded to a whole byte). Code lengths:

    ==================  =====================================================================
    method              bits
    ==================  =====================================================================
    write_bits(v, w)    :math:`w`
    write_float(x, w)   :math:`w` (IEEE-754 binary16/32/64 pattern)
    write_unary(n)      :math:`n + 1`
    write_gamma(n)      :math:`2\lfloor\log_2 n\rfloor + 1`
    write_delta(n)      :math:`\lfloor\log_2 n\rfloor + 2\lfloor\log_2(\lfloor\log_2 n\rfloor+1)\rfloor + 1`
    write_omega(n)      :math:`1 + \sum_j (\lfloor \log_2 n_j \rfloor + 1)`, see :func:`omega_length`
    write_base3_array   :func:`base3_bits`
    ==================  =====================================================================

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """

    def __init__(self):
        self._buf = np.zeros(256, dtype=np.uint64)
        self._pos = 0

    # ------------------------------------------------------------ internals
    def _reserve(self, nbits: int) -> None:
        need = (self._pos + nbits) // 64 + 2
        if need > self._buf.size:
            new = np.zeros(max(need, 2 * self._buf.size), dtype=np.uint64)
            new[: self._buf.size] = self._buf
            self._buf = new

    @property
    def nbits(self) -> int:
        """Exact number of bits written so far."""
        return self._pos

    def getvalue(self) -> bytes:
        """The bits written so far, zero-padded to ``ceil(nbits / 8)`` bytes."""
        nwords = (self._pos + 63) // 64
        return self._buf[:nwords].byteswap().view(np.uint8)[: (self._pos + 7) // 8].tobytes()

    # ------------------------------------------------------------ fixed width
    def write_bits(self, value: int, nbits: int) -> None:
        r"""Append ``value`` as an ``nbits``-bit unsigned integer, MSB first.

        Parameters
        ----------
        value : int
            :math:`0 \le \text{value} < 2^{\text{nbits}}` (any Python int).
        nbits : int
            Field width, ``>= 0`` (may exceed 64).
        """
        nbits = _int(nbits, "nbits", 0)
        value = _int(value, "value", 0)
        if value >> nbits:
            raise TheorytoolsError(f"value must be < 2**nbits = 2**{nbits}, got {value}")
        self._reserve(nbits)
        pos = self._pos
        rem = nbits
        while rem > 64:
            rem -= 64
            pos = K.put_scalar(self._buf, pos, np.uint64((value >> rem) & 0xFFFFFFFFFFFFFFFF), 64)
        pos = K.put_scalar(self._buf, pos, np.uint64(value & ((1 << rem) - 1)), rem)
        self._pos = pos

    def write_array(self, values, width: int) -> None:
        r"""Append every entry of ``values`` as a ``width``-bit field (Numba).

        Parameters
        ----------
        values : array_like of unsigned integers
            Each :math:`< 2^{\text{width}}`.
        width : int
            ``0 <= width <= 64``. Total bits: ``len(values) * width``.
        """
        width = _width(width)
        arr = _uint_array(values, "values")
        if arr.size == 0:
            return
        if width < 64 and int(arr.max()) >> width:
            bad = int(np.flatnonzero(arr.astype(np.uint64) >> np.uint64(width))[0])
            raise TheorytoolsError(
                f"values must be < 2**width = 2**{width}, but values[{bad}] = {int(arr[bad])}")
        if width == 0:
            return
        self._reserve(arr.size * width)
        self._pos = K.write_fixed_w(self._buf, self._pos, arr, width)

    def write_flag_array(self, flags) -> None:
        """Append one bit per entry of ``flags`` (1 for a true/nonzero entry), packed 64 per
        word in Numba: the same bits as ``write_array(flags, 1)`` for a 0/1 array."""
        arr = np.asarray(flags)
        if arr.ndim != 1:
            raise TheorytoolsError(f"flags must be 1-D, got shape {arr.shape}")
        if arr.dtype != np.bool_:
            if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 1)):
                raise TheorytoolsError("flags must be booleans or 0/1 integers")
        if arr.size == 0:
            return
        self._reserve(arr.size)
        self._pos = K.write_flags(self._buf, self._pos, np.ascontiguousarray(arr))

    def write_float(self, value: float, width: int = 32) -> None:
        r"""Append the IEEE-754 bit pattern of ``value`` at ``width`` bits (16, 32 or 64).

        ``value`` must be exactly representable at that width (e.g. ``np.float32(x)`` for
        width 32); otherwise the rounding would be silent, so it is refused.
        """
        width = _int(width, "width")
        if width not in _FLOAT_FORMATS:
            raise TheorytoolsError(f"width must be 16, 32 or 64, got {width}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TheorytoolsError(f"value must be a real number, got {value!r:.80}")
        x = float(value)
        with np.errstate(over="ignore"):
            rounded = float(_FLOAT_NP[width](x))
        if not (rounded == x or (math.isnan(x) and math.isnan(rounded))):
            raise TheorytoolsError(
                f"value must be representable as a {width}-bit float, got {x!r}")
        self.write_bits(int.from_bytes(struct.pack(_FLOAT_FORMATS[width], x), "big"), width)

    def write_float_array(self, values, width: int = 32) -> None:
        """Append the IEEE-754 patterns of a float array (each exactly representable)."""
        width = _int(width, "width")
        if width not in _FLOAT_FORMATS:
            raise TheorytoolsError(f"width must be 16, 32 or 64, got {width}")
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            low = arr.astype(_FLOAT_NP[width])
            ok = (low.astype(np.float64) == arr) | (np.isnan(arr) & np.isnan(low))
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise TheorytoolsError(
                f"values must be representable as {width}-bit floats, but values[{bad}] = "
                f"{arr[bad]!r}")
        self.write_array(low.view(_UINT_NP[width]).astype(np.uint64), width)

    # ------------------------------------------------------------ unary
    def write_unary(self, n: int) -> None:
        """Append ``n >= 0`` in unary: ``n`` ones then a zero (``n + 1`` bits)."""
        n = _int(n, "n", 0)
        self.write_unary_array(np.array([n], dtype=np.uint64))

    def write_unary_array(self, values) -> None:
        """Append every entry (``>= 0``) in unary; total ``sum(values) + len(values)`` bits."""
        arr = _uint_array(values, "values")
        if arr.size == 0:
            return
        approx = float(arr.sum(dtype=np.float64)) + arr.size
        if approx > 2.0 ** 40:
            raise TheorytoolsError(f"values: a unary code of about {approx:.3g} bits is too long")
        self._reserve(int(arr.sum(dtype=np.uint64)) + arr.size)  # < 2**41: no overflow
        self._pos = K.write_unary(self._buf, self._pos, arr)

    # ------------------------------------------------------------ Elias
    def write_gamma(self, n: int) -> None:
        r"""Elias gamma code of ``n >= 1``: :math:`N=\lfloor\log_2 n\rfloor` zeros, then
        ``n`` in :math:`N+1` bits; length :math:`2N+1` (Elias 1975). Any Python int."""
        n = _int(n, "n", 1)
        nb = n.bit_length() - 1
        self.write_bits(0, nb)
        self.write_bits(n, nb + 1)

    def write_delta(self, n: int) -> None:
        r"""Elias delta code of ``n >= 1``: gamma of :math:`N+1`, then the low :math:`N` bits
        of ``n``; length :math:`N + 2\lfloor\log_2(N+1)\rfloor + 1` (Elias 1975)."""
        n = _int(n, "n", 1)
        nb = n.bit_length() - 1
        self.write_gamma(nb + 1)
        self.write_bits(n - (1 << nb), nb)

    def write_omega(self, n: int) -> None:
        r"""Elias omega (recursive) code of ``n >= 1``: the groups :math:`n_j` with
        :math:`n_0 = n`, :math:`n_{j+1} = \lfloor\log_2 n_j\rfloor` while :math:`n_j > 1`,
        written in binary from the last to the first, then a 0 (Elias 1975)."""
        n = _int(n, "n", 1)
        groups = []
        while n > 1:
            groups.append(n)
            n = n.bit_length() - 1
        for g in reversed(groups):
            self.write_bits(g, g.bit_length())
        self.write_bits(0, 1)

    def _write_codes(self, values, kernel, lengths):
        arr = _uint_array(values, "values", low=1)
        if arr.size == 0:
            return
        out = np.empty(arr.size, dtype=np.int64)
        lengths(arr, out)
        self._reserve(int(out.sum()))
        self._pos = kernel(self._buf, self._pos, arr)

    def write_gamma_array(self, values) -> None:
        """Elias gamma code of every entry (uint64, ``>= 1``), Numba."""
        self._write_codes(values, K.write_gamma, K.gamma_lengths)

    def write_delta_array(self, values) -> None:
        """Elias delta code of every entry (uint64, ``>= 1``), Numba."""
        self._write_codes(values, K.write_delta, K.delta_lengths)

    def write_omega_array(self, values) -> None:
        """Elias omega code of every entry (uint64, ``>= 1``), Numba."""
        self._write_codes(values, K.write_omega, K.omega_lengths)

    # ------------------------------------------------------------ base 3
    def write_base3_array(self, trits) -> None:
        """Append symbols in {0, 1, 2}, packed 29 per 46 bits; exactly :func:`base3_bits`."""
        arr = np.asarray(trits).reshape(-1)
        if arr.size == 0:
            return
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and
                                                np.all(arr == np.round(arr))):
            raise TheorytoolsError(f"trits must be integers in {{0, 1, 2}}, got dtype {arr.dtype}")
        bad = np.flatnonzero((arr < 0) | (arr > 2))
        if bad.size:
            raise TheorytoolsError(
                f"trits must be in {{0, 1, 2}}, but trits[{int(bad[0])}] = {arr[bad[0]]!r}")
        t = np.ascontiguousarray(arr.astype(np.uint8))
        self._reserve(base3_bits(t.size))
        self._pos = K.write_base3(self._buf, self._pos, t)


class BitReader:
    """Reads what :class:`BitWriter` wrote, given the bytes and the exact bit count.

    Every read checks the remaining length: running past the end raises
    ``TheorytoolsError("truncated message: ...")``; bits no writer could have produced raise
    ``TheorytoolsError("corrupted message: ...")``. Call :meth:`expect_end` after the last
    field to reject trailing bits.

    Parameters
    ----------
    data : bytes
        The payload, at least ``ceil(nbits / 8)`` bytes.
    nbits : int
        Exact number of valid bits.
    """

    def __init__(self, data: bytes, nbits: int):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TheorytoolsError(f"data must be bytes, got {type(data).__name__}")
        nbits = _int(nbits, "nbits", 0)
        data = bytes(data)
        if 8 * len(data) < nbits:
            raise TheorytoolsError(
                f"truncated message: nbits={nbits} but only {len(data)} bytes of data")
        nwords = (len(data) + 7) // 8 + 2
        buf = np.zeros(nwords, dtype=np.uint64)
        buf.view(np.uint8)[: len(data)] = np.frombuffer(data, dtype=np.uint8)
        self._buf = buf.byteswap(inplace=True) if _LITTLE else buf
        self._end = nbits
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Number of bits not yet read."""
        return self._end - self._pos

    @property
    def position(self) -> int:
        """Number of bits read so far."""
        return self._pos

    def expect_end(self) -> None:
        """Raise ``corrupted message: N trailing bits`` unless every bit has been read."""
        if self._pos != self._end:
            raise TheorytoolsError(f"corrupted message: {self._end - self._pos} trailing bits")

    def _need(self, nbits: int, what: str) -> None:
        if nbits > self._end - self._pos:
            raise TheorytoolsError(
                f"truncated message: {what} needs {nbits} bits at bit {self._pos}, "
                f"only {self._end - self._pos} left")

    def _check(self, code: int, what: str) -> int:
        if code == K.TRUNCATED:
            raise TheorytoolsError(f"truncated message: stream ends inside {what}")
        if code == K.CORRUPTED:
            raise TheorytoolsError(f"corrupted message: invalid {what}")
        return code

    def read_bits(self, nbits: int) -> int:
        """Read an ``nbits``-bit unsigned integer (Python int; ``nbits`` may exceed 64)."""
        nbits = _int(nbits, "nbits", 0)
        self._need(nbits, f"a {nbits}-bit field")
        value = 0
        rem = nbits
        pos = self._pos
        while rem > 0:
            n = min(64, rem)
            value = (value << n) | int(K.get_scalar(self._buf, pos, n))
            pos += n
            rem -= n
        self._pos = pos
        return value

    def read_array(self, count: int, width: int, dtype=np.uint64) -> np.ndarray:
        """Read ``count`` fields of ``width`` bits as an array (Numba).

        ``dtype``: an unsigned integer type with at least ``width`` bits (default uint64);
        a narrow one spares memory traffic for narrow fields.
        """
        count = _int(count, "count", 0)
        width = _width(width)
        dtype = np.dtype(dtype)
        if dtype.kind != "u" or 8 * dtype.itemsize < width:
            raise TheorytoolsError(
                f"dtype must be an unsigned integer type of >= width = {width} bits, "
                f"got {dtype}")
        if count == 0 or width == 0:
            return np.zeros(count, dtype=dtype)
        self._need(count * width, f"{count} fields of {width} bits")
        out = np.empty(count, dtype=dtype)
        self._pos = K.read_fixed_w(self._buf, self._pos, out, width)
        return out

    def read_flag_array(self, count: int) -> np.ndarray:
        """Read ``count`` one-bit fields as a bool array (inverse of write_flag_array)."""
        count = _int(count, "count", 0)
        out = np.empty(count, dtype=np.bool_)
        if count:
            self._need(count, f"{count} one-bit flags")
            self._pos = K.read_flags(self._buf, self._pos, out)
        return out

    def read_float(self, width: int = 32) -> float:
        """Read an IEEE-754 binary16/32/64 bit pattern as a Python float."""
        width = _int(width, "width")
        if width not in _FLOAT_FORMATS:
            raise TheorytoolsError(f"width must be 16, 32 or 64, got {width}")
        bits = self.read_bits(width)
        return struct.unpack(_FLOAT_FORMATS[width], bits.to_bytes(width // 8, "big"))[0]

    def read_float_array(self, count: int, width: int = 32) -> np.ndarray:
        """Read ``count`` IEEE-754 patterns; returns float32/float16/float64 by ``width``."""
        width = _int(width, "width")
        if width not in _FLOAT_FORMATS:
            raise TheorytoolsError(f"width must be 16, 32 or 64, got {width}")
        return self.read_array(count, width, dtype=_UINT_NP[width]).view(_FLOAT_NP[width])

    def read_unary(self) -> int:
        """Read one unary code (ones then a zero)."""
        return int(self.read_unary_array(1)[0])

    def read_unary_array(self, count: int) -> np.ndarray:
        """Read ``count`` unary codes as a uint64 array."""
        count = _int(count, "count", 0)
        out = np.zeros(count, dtype=np.uint64)
        if count:
            self._pos = self._check(K.read_unary(self._buf, self._pos, self._end, out),
                                    "a unary code")
        return out

    def _read_run_zeros(self) -> int:
        return int(K.count_zeros(self._buf, self._pos, self._end))

    def read_gamma(self) -> int:
        """Read one Elias gamma code (any size; Python int)."""
        z = self._read_run_zeros()
        self._need(2 * z + 1, "an Elias gamma code")
        self._pos += z
        return self.read_bits(z + 1)

    def read_delta(self) -> int:
        """Read one Elias delta code (any size; Python int)."""
        ln = self.read_gamma()
        nb = ln - 1
        self._need(nb, "an Elias delta code")
        return (1 << nb) | self.read_bits(nb)

    def read_omega(self) -> int:
        """Read one Elias omega code (any size; Python int)."""
        n = 1
        while True:
            self._need(1, "an Elias omega code")
            if self.read_bits(1) == 0:
                return n
            self._need(n, "an Elias omega code")
            n = (1 << n) | self.read_bits(n)

    def _read_codes(self, count, kernel, what):
        count = _int(count, "count", 0)
        out = np.zeros(count, dtype=np.uint64)
        if count:
            self._pos = self._check(kernel(self._buf, self._pos, self._end, out), what)
        return out

    def read_gamma_array(self, count: int) -> np.ndarray:
        """Read ``count`` Elias gamma codes into uint64 (values >= 2**64 are 'corrupted')."""
        return self._read_codes(count, K.read_gamma, "Elias gamma code")

    def read_delta_array(self, count: int) -> np.ndarray:
        """Read ``count`` Elias delta codes into uint64."""
        return self._read_codes(count, K.read_delta, "Elias delta code")

    def read_omega_array(self, count: int) -> np.ndarray:
        """Read ``count`` Elias omega codes into uint64."""
        return self._read_codes(count, K.read_omega, "Elias omega code")

    def read_base3_array(self, count: int) -> np.ndarray:
        """Read ``count`` trits (uint8 in {0, 1, 2}) written by ``write_base3_array``."""
        count = _int(count, "count", 0)
        out = np.zeros(count, dtype=np.uint8)
        if count:
            self._pos = self._check(K.read_base3(self._buf, self._pos, self._end, out),
                                    "base-3 group")
        return out
