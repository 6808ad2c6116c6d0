"""Shared derivations of class constants (spec compression.md §A.3)."""
from __future__ import annotations

from theorytools.compressors.base import Constant

R_SRC = "spec compression.md §A.3; derived here (proofs_check/class_relations.py)"


def from_unbiased(omega: Constant, *, alpha_tight: bool = True) -> dict:
    r"""Constants implied by :math:`C \in U(\omega)`, :math:`\zeta = \omega + 1`.

    R1: :math:`U(\zeta) \subseteq B_1(1,\zeta)` and :math:`B_2(1,\zeta)`; R8:
    :math:`C \in B_3(1/(2-\zeta))` iff :math:`\zeta < 2`. Tightness of :math:`\beta = \zeta`
    and of :math:`\delta` is inherited from :math:`\omega` (for unbiased C,
    :math:`\mathbb{E}\|C\|^2 = \|x\|^2 + \mathbb{E}\|C-x\|^2` and
    :math:`\langle \mathbb{E}C, x\rangle = \|x\|^2`), the tightness of :math:`\alpha = 1` holds
    iff some x is compressed exactly (given by ``alpha_tight``).
    """
    zeta = omega.value + 1.0
    src = f"{R_SRC} (R1, R8) from omega = {omega.value:g}"
    out = {
        "b1_alpha": Constant(1.0, f"{R_SRC} (R1, Jensen)", omega.status, alpha_tight),
        "b1_beta": Constant(zeta, src, omega.status, omega.tight),
        "b2_gamma": Constant(1.0, f"{R_SRC} (R1, unbiasedness)", omega.status, True),
        "b2_beta": Constant(zeta, src, omega.status, omega.tight),
    }
    if zeta < 2:
        out["delta"] = Constant(1.0 / (2.0 - zeta), src, omega.status, omega.tight)
    return out
