r"""Scaled-down QSGD: the biased quantiser CHOCO-SGD's authors run, :math:`Q(x) = C(x)/\tau`.

Koloskova, Stich, Jaggi, "Decentralized Stochastic Optimization and Gossip Algorithms with
Compressed Communication" (ICML 2019), and Koloskova, Lin, Stich, Jaggi (ICLR 2020), run
CHOCO-SGD with QSGD (random dithering with ``s`` levels, Alistarh et al. 2017) divided by
:math:`\tau = 1 + \min(d/s^2, \sqrt d/s)`, so that the result is a contraction, the class
their theorems assume (CHOCO-SGD (docs/sources.md#choco)). The value of :math:`\tau` is the
QSGD variance bound plus one; that the authors use exactly this :math:`\tau` is
[UNCONFIRMED] (not read in the paper's text here), which is why it is a documented parameter
of the construction (:meth:`ScaledQSGD.tau`) and every constant below is *derived here* from
it.

Derivation (derived here; tested in ``tests/test_scaled_qsgd.py``): for an unbiased
:math:`C \in U(\omega)` and :math:`Q = C/\tau`,

.. math:: \mathbb E\|Q(x) - x\|^2 = \Big(1 - \frac2\tau + \frac{1 + \omega(x)}{\tau^2}\Big)\|x\|^2,
          \qquad \omega(x) = \frac{\mathbb E\|C(x) - x\|^2}{\|x\|^2},

which is :math:`\le (1 - 1/\tau)\|x\|^2` iff :math:`\omega(x) \le \tau - 1`. Dithering's
:math:`\omega \le \min(d/(4s^2), \sqrt d/s) \le \min(d/s^2, \sqrt d/s) = \tau - 1`
(compressor table C11 (docs/sources.md#table); ``proofs_check/compressor_constants.py::
dithering_variance_bound``), so :math:`Q \in B_3(\tau)`: CHOCO's :math:`\delta = 1/\tau` in
the EF21 convention :math:`\mathbb E\|Q(x)-x\|^2 \le (1-\delta)\|x\|^2`. It is valid, never
attained (the dithering bound used for :math:`\tau` is loose by at least 1 at s = 1 and by a
factor 4 in its first branch); the exact worst case for s = 1 is in :meth:`ScaledQSGD.theory`'s
note. Further, with :math:`\mathbb E Q(x) = x/\tau`:
:math:`\langle \mathbb E Q(x), x\rangle = \|x\|^2/\tau` for every x (B2's :math:`\gamma = 1/\tau`,
attained everywhere), :math:`\mathbb E\|Q\|^2 = (1+\omega(x))\|x\|^2/\tau^2 \ge \|x\|^2/\tau^2`
(B1's :math:`\alpha = 1/\tau^2`, attained where C is exact: a one-hot x), and
:math:`\mathbb E\|Q\|^2 \le \langle \mathbb E Q, x\rangle` (B1's and B2's :math:`\beta = 1`,
not attained).

The wire format is dithering's (norm, signs, levels): the receiver knows ``s`` and ``d``, hence
:math:`\tau`, and divides. ``compress`` and ``decode`` perform the same division, so the codec
stays bit-exact. There is no simulator batch kernel (the dithering kernel has no output
scale); the algorithms call ``compress`` per node (``docs/algorithms.md``).
"""
from __future__ import annotations

import math

import numpy as np

from theorytools.compressors.base import Constant, Extremal, Theory
from theorytools.compressors.dithering import Dithering
from theorytools.compressors.law import ProductTwoPoint
from theorytools.errors import TheorytoolsError

CHOCO_SOURCE = ("Koloskova, Stich, Jaggi 2019 (ICML), CHOCO-SGD (docs/sources.md#choco): QSGD "
                "scaled by 1/tau, tau = 1 + min(d/s^2, sqrt(d)/s) [UNCONFIRMED as the paper's "
                "formula]")
_DERIVED = ("derived here (scaled_qsgd module docstring; tests/test_scaled_qsgd.py) from "
            "dithering's omega <= min(d/(4s^2), sqrt(d)/s) <= tau - 1, compressor table C11 "
            "(docs/sources.md#table)")


class ScaledQSGD(Dithering):
    r"""QSGD with ``s`` levels (l2 norm) divided by :math:`\tau = 1 + \min(d/s^2, \sqrt d/s)`.

    .. math:: Q(x) = \frac{1}{\tau}\,\|x\|_2\,\mathrm{sign}(x)\circ\xi,\qquad
              Q \in B_3(\tau):\ \mathbb E\|Q(x) - x\|^2 \le (1 - 1/\tau)\|x\|^2,

    with :math:`\xi` dithering's unbiased rounding of :math:`|x_i|/\|x\|_2` to the levels
    :math:`\{0, 1/s, \dots, 1\}` (:class:`~theorytools.compressors.dithering.Dithering`).
    Biased (:math:`\mathbb E Q(x) = x/\tau`). Constants derived here (module docstring):
    :math:`\delta = \tau` (valid, not attained), :math:`B_1(1/\tau^2, 1)`,
    :math:`B_2(1/\tau, 1)`.

    Parameters
    ----------
    s : int
        Quantisation levels (``s >= 1``); b bits per coordinate on the fixed code is
        :math:`1 + \lceil\log_2(s+1)\rceil` (sign and level).
    coding : {"fixed", "elias"}
        Dithering's wire codes.
    float_width : {32, 64}
        Width of the norm on the wire.

    References
    ----------
    Koloskova, Stich, Jaggi, ICML 2019 (CHOCO-SGD; the scaled QSGD, tau [UNCONFIRMED]);
    Alistarh et al. 2017 (QSGD); docs/compressors.md §4.
    """

    name = "scaled_qsgd"
    paper = "tang2018"
    param_order = ("s", "coding")

    def __init__(self, s=16, coding="fixed", float_width=32, p=2.0):
        if p not in (2, 2.0):
            raise TheorytoolsError(f"p: scaled_qsgd is defined for the l2 norm only (p = 2), "
                                   f"got {p!r}")
        super().__init__(s, 2.0, coding, float_width)

    @staticmethod
    def tau_of(d: int, s: int) -> float:
        r""":math:`\tau = 1 + \min(d/s^2, \sqrt d/s)` (CHOCO-SGD's scaling; see module doc)."""
        return 1.0 + min(d / (s * s), math.sqrt(d) / s)

    def tau(self, d: int) -> float:
        r"""This compressor's :math:`\tau` at dimension ``d``."""
        return self.tau_of(int(d), self.params["s"])

    # the same dithering draws, then one division (compress, decode and law alike)
    def _compress_into(self, x, key, out):
        super()._compress_into(x, key, out)
        out /= self.tau(x.size)

    def _reconstruct(self, parts, d):
        out = super()._reconstruct(parts, d)
        out /= self.tau(d)
        return out

    def law(self, x):
        base = super().law(x)
        tau = self.tau(np.asarray(x).size)
        return ProductTwoPoint(base.low / tau, base.high / tau, base.p_high)

    def theory(self, d):
        s = self.params["s"]
        tau = self.tau_of(d, s)
        note = f"tau = {tau:g}; biased: E Q(x) = x/tau"
        if s == 1:
            worst = 1.0 - (2.0 * tau - math.sqrt(d)) / (tau * tau)
            note += (f"; exact sup E||Q(x)-x||^2/||x||^2 = 1 - (2 tau - sqrt d)/tau^2 = "
                     f"{worst:.6g} (equal magnitudes) < 1 - 1/delta = {1 - 1 / tau:.6g}")
        src = f"{CHOCO_SOURCE}; {_DERIVED}"
        return Theory(
            unbiased=False, unbiased_source=f"E Q(x) = x/tau ({_DERIVED})",
            delta=Constant(tau, src, tight=False),
            b1_alpha=Constant(1.0 / (tau * tau), f"{src} (attained where C(x) = x: one-hot x)"),
            b1_beta=Constant(1.0, f"{src} (E||Q||^2 = (1+omega(x))||x||^2/tau^2 <= ||x||^2/tau)",
                             tight=False),
            b2_gamma=Constant(1.0 / tau, f"{src} (<E Q(x), x> = ||x||^2/tau for every x)"),
            b2_beta=Constant(1.0, f"{src} (as B1's beta)", tight=False),
            bits_formula=self._bits_formula(),
            bits_source="bit counts (docs/sources.md#bits) (dithering's codes; tau is known to "
                        "the receiver)",
            domain="||x||_2 zero or at least the smallest normal of the float width",
            note=note)

    def extremal_inputs(self, d):
        e1 = np.zeros(d)
        e1[0] = -2.5
        signs = np.where(np.arange(d) % 2 == 0, 1.5, -1.5)
        return [Extremal("b1_alpha", e1, "one-hot: C(x) = x"),
                Extremal("b2_gamma", e1, "one-hot (<EQ, x> = ||x||^2/tau for every x)"),
                Extremal("b2_gamma", signs, "equal magnitudes")]

    def batch_kernel(self, d, shared=False):
        """None: the dithering batch kernel has no output scale; the algorithms call
        :meth:`compress` per node (bit-identical, slower)."""
        return None


__all__ = ["ScaledQSGD"]
