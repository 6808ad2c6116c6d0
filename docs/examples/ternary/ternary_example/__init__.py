r"""An invented compressor, written as a user would: public imports only.

Ternary compression (in the spirit of TernGrad, Wen et al. 2017): with
:math:`m = \max_i |x_i|` (sent as a float32 rounded up, :math:`\tilde m \ge m`),

.. math:: C(x)_i = \tilde m\,\mathrm{sign}(x_i)\,b_i, \qquad
          b_i \sim \mathrm{Bernoulli}(|x_i|/\tilde m) \text{ independent}.

Theory (derived for this example, checked by its own contract): unbiased, and
:math:`\mathbb{E}\|C(x)-x\|^2 = \sum_i (\tilde m|x_i| - x_i^2) \le \omega\|x\|^2` with
:math:`\omega = (\sqrt d - 1)/2`, attained at :math:`x = (1, t, \dots, t)`,
:math:`t = 1/(\sqrt d + 1)` (maximise :math:`(d-1)(t - t^2)/(1 + (d-1)t^2)` over t).
Bits: 32 for :math:`\tilde m` and 2 per coordinate (0, +, -): :math:`32 + 2d`.

Installing this package registers ``ternary`` through the entry point group
``theorytools.compressors`` (see ``pyproject.toml``); importing the module registers it too
(``theorytools --plugin ternary_example ...``).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.compressors import Compressor, Constant, Extremal, Theory, register
from theorytools.compressors.base import round_scalar
from theorytools.compressors.law import ProductTwoPoint
from theorytools.random import uniforms

SOURCE = "docs/examples/ternary (derived for this example; checked by its contract)"


class Ternary(Compressor):
    """Ternary compression: C(x)_i = m sign(x_i) Bernoulli(|x_i|/m), m = max |x_i|."""

    name = "ternary"
    randomized = True

    def __init__(self, float_width=32):
        super().__init__(float_width)

    # -- sampling and reconstruction: parts = what the wire carries
    def _sample(self, x, key):
        a = np.abs(x)
        m = a.max()
        if m == 0.0:
            return 0.0, np.zeros(x.size, np.int64)
        m = round_scalar(m, self.float_width, name="max |x_i|", up=True)  # m >= max |x_i|
        keep = uniforms(key, x.size) < a / m
        codes = np.where(keep, np.where(x < 0, 2, 1), 0)
        return m, codes.astype(np.int64)

    def _reconstruct(self, parts, d):
        m, codes = parts
        out = np.zeros(d)
        out[codes == 1] = m
        out[codes == 2] = -m
        return out

    # -- codec: the float, then 2 bits per coordinate
    def _write(self, parts, writer, d, shared):
        m, codes = parts
        writer.write_float(m, self.float_width)
        writer.write_array(codes.astype(np.uint64), 2)

    def _read(self, reader, d, key):
        m = reader.read_float(self.float_width)
        return m, reader.read_array(d, 2).astype(np.int64)

    # -- the exact law: independent two-point coordinates
    def law(self, x):
        x = self.validate(x)
        m, _ = self._sample(x, np.uint64(0))
        if m == 0.0:
            return ProductTwoPoint(np.zeros(x.size), np.zeros(x.size), np.zeros(x.size))
        return ProductTwoPoint(np.zeros(x.size), np.copysign(m, x) * (x != 0),
                               np.abs(x) / m)

    # -- declared theory
    def theory(self, d):
        omega = Constant((math.sqrt(d) - 1) / 2, SOURCE, status="derived", tight=True)
        return Theory(unbiased=True, unbiased_source=SOURCE, omega=omega,
                      bits_formula="w + 2d", bits_source=SOURCE)

    def bits_budget(self, x, *, shared=False):
        return self.float_width + 2 * np.asarray(x).size

    def extremal_inputs(self, d):
        x = np.full(d, 1.0 / (math.sqrt(d) + 1))
        x[0] = 1.0
        return [Extremal("omega", x, "x = (1, t, ..., t), t = 1/(sqrt(d) + 1)")]


register("ternary", Ternary)
