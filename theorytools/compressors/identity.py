"""The identity compressor (no compression): the baseline of every comparison."""
from __future__ import annotations

import numpy as np

from theorytools.compressors.base import Compressor, Constant, Extremal, Theory, round_values
from theorytools.compressors._wire import read_floats, write_floats
from theorytools.compressors.law import Deterministic

__all__ = ["Identity"]

_SRC = "compressor table (docs/sources.md#table) row C0; derived here (trivial)"


class Identity(Compressor):
    r"""Identity :math:`C(x) = x`, sent as ``float_width``-bit floats.

    Theory: :math:`U(0)`, :math:`B_1(1,1)`, :math:`B_2(1,1)`, :math:`B_3(1)`; bits
    :math:`w d` (:math:`w` = ``float_width``; 32d as the papers count).
    Reference: compressor table (docs/sources.md#table) (C0), bit counts (docs/sources.md#bits).
    """

    name = "identity"

    def _sample(self, x, key):
        return round_values(x, self.float_width)

    def _reconstruct(self, parts, d):
        return np.array(parts, dtype=np.float64)

    def _write(self, parts, writer, d, shared):
        write_floats(writer, parts, self.float_width)

    def _read(self, reader, d, key):
        return read_floats(reader, d, self.float_width)

    def law(self, x):
        return Deterministic(self._sample(self.validate(x), None))

    def theory(self, d):
        c = lambda v: Constant(v, _SRC)  # noqa: E731
        return Theory(unbiased=True, unbiased_source=_SRC, omega=c(0.0), delta=c(1.0),
                      b1_alpha=c(1.0), b1_beta=c(1.0), b2_gamma=c(1.0), b2_beta=c(1.0),
                      bits_formula="w*d", bits_source="bit counts (docs/sources.md#bits) (identity: 32d)")

    def bits_budget(self, x, *, shared=False):
        return self.float_width * np.asarray(x).size

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return [Extremal(n, ones, "every x attains these") for n in
                ("omega", "delta", "b1_alpha", "b1_beta", "b2_gamma", "b2_beta")]

    def batch_kernel(self, d, shared=False):
        """The simulator's batch kernel (:meth:`Compressor.batch_kernel`)."""
        from theorytools.algorithms import _batch as B
        return B.fixed_length_kernel(self, B.IDENTITY, (self.float_width,), d, shared)
