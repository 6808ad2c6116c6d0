"""Wire helpers shared by the compressors' codecs (floats, signs, sparse supports)."""
from __future__ import annotations

import numpy as np

from theorytools.errors import TheorytoolsError


def write_floats(writer, values: np.ndarray, width: int) -> None:
    """Write already-rounded floats at ``width`` bits each (IEEE bit patterns)."""
    if width == 32:
        patterns = values.astype(np.float32).view(np.uint32)
    else:
        patterns = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    writer.write_array(patterns, width)


def read_floats(reader, count: int, width: int) -> np.ndarray:
    if width == 32:
        values = reader.read_array(count, 32, dtype=np.uint32).view(np.float32)
        values = values.astype(np.float64)
    else:
        values = reader.read_array(count, 64).view(np.float64)   # a fresh array: no copy
    if not np.all(np.isfinite(values)):
        raise TheorytoolsError("corrupted message: a transmitted value is not finite")
    return values


def write_signs(writer, negative: np.ndarray) -> None:
    """Packed signs: one bit per entry, 1 = negative."""
    writer.write_flag_array(negative)


def read_signs(reader, count: int) -> np.ndarray:
    return reader.read_flag_array(count)


def write_scalar(writer, value: float, width: int) -> None:
    writer.write_float(value, width)


def read_scalar(reader, width: int, name: str = "norm") -> float:
    value = reader.read_float(width)
    if not np.isfinite(value) or value < 0:
        raise TheorytoolsError(f"corrupted message: the transmitted {name} is {value!r}")
    return float(value)
