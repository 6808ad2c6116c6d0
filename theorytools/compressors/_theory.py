"""Shared derivations of class constants (class relations R1-R8 (docs/sources.md#relations))."""
from __future__ import annotations

from dataclasses import dataclass

from theorytools.compressors.base import Compressor, Constant

R_SRC = "class relations R1-R8 (docs/sources.md#relations); derived here (proofs_check/class_relations.py)"


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


# ------------------------------------------------------------------ P2's classes
P2_CLASS_SOURCE = ("P2 poster [AUTHOR-POSTER]: U(omega): E C(x) = x, E||C(x) - x||^2 <= omega "
                   "||x||^2; B(alpha): E||C(x) - x||^2 <= alpha ||x||^2; C(alpha): "
                   "||C(x) - x||^2 <= alpha ||x||^2 for every x (no expectation)")


@dataclass(frozen=True)
class P2Classes:
    r"""A compressor's memberships in P2's three classes (authors' poster of P2
    [AUTHOR-POSTER]; ``docs/optimal_compression.md`` §0):

    * :math:`U(\omega)`: :math:`\mathbb{E}C(x) = x`, :math:`\mathbb{E}\|C(x)-x\|^2 \le
      \omega\|x\|^2` (``omega``);
    * :math:`B(\alpha)`: :math:`\mathbb{E}\|C(x)-x\|^2 \le \alpha\|x\|^2` (``alpha``; the
      toolkit's :math:`B_3(\delta)` with :math:`\alpha = 1 - 1/\delta`);
    * :math:`C(\alpha)`: :math:`\|C(x)-x\|^2 \le \alpha\|x\|^2` for every x and every draw
      (``sure_alpha``): every deterministic compressor with a :math:`B(\alpha)` constant, and
      randomised ones whose every draw obeys the bound (spherical compression).

    Each field is a :class:`~theorytools.compressors.base.Constant` (None when not a member);
    its value's status is that of the constant it comes from, the class definitions are
    ``author-poster``. ``up_alpha`` is the alpha at which the uncertainty principle applies:
    ``alpha`` if declared, else :math:`\omega/(\omega+1)` (the rescaled :math:`C/(\omega+1)
    \in B(\omega/(\omega+1))`, same bits; class relation R5, docs/sources.md#relations).
    """

    omega: Constant | None
    alpha: Constant | None
    sure_alpha: Constant | None

    @property
    def up_alpha(self) -> float | None:
        if self.alpha is not None:
            return self.alpha.value
        if self.omega is not None:
            return self.omega.value / (self.omega.value + 1.0)
        return None

    def describe(self) -> str:
        parts = []
        if self.omega is not None:
            parts.append(f"U({self.omega.value:.6g})")
        if self.alpha is not None:
            parts.append(f"B({self.alpha.value:.6g})")
        if self.sure_alpha is not None:
            parts.append(f"C({self.sure_alpha.value:.6g})")
        return ", ".join(parts) or "none of U, B, C"


def p2_classes(compressor: Compressor, d: int) -> P2Classes:
    r"""P2's classes of ``compressor`` at dimension ``d``, from its declared theory.

    U(ω): :math:`\mathbb E\,C(x) = x`, :math:`\mathbb E\|C(x) - x\|^2 \le \omega\|x\|^2`;
    B(α): :math:`\mathbb E\|C(x) - x\|^2 \le \alpha\|x\|^2` (α = 1 − 1/δ from B3(δ));
    C(α): :math:`\|C(x) - x\|^2 \le \alpha\|x\|^2` for every draw (Albasyoni, Safaryan,
    Condat, Richtárik, poster of "Optimal Gradient Compression"; see :class:`P2Classes`).
    Compressors with a sure per-draw bound declare it by a method ``sure_distortion(d)``
    returning a Constant; a deterministic compressor's B(α) bound is its C(α) bound.

    Parameters
    ----------
    compressor : Compressor
        Any compressor with ``theory(d)``.
    d : int
        The dimension.

    Returns
    -------
    P2Classes
        ``(omega, alpha, sure)``, each a Constant or None where the class does not apply.
    """
    th = compressor.theory(d)
    omega = th.omega if th.unbiased and th.omega is not None else None
    alpha = None
    if th.delta is not None:
        alpha = Constant(1.0 - 1.0 / th.delta.value,
                         f"alpha = 1 - 1/delta from {th.delta.source}", th.delta.status,
                         th.delta.tight)
    sure = None
    if hasattr(compressor, "sure_distortion"):
        sure = compressor.sure_distortion(d)
    elif not compressor.randomized and alpha is not None:
        sure = Constant(alpha.value, "deterministic: the B(alpha) bound holds for every x "
                        f"({alpha.source})", alpha.status, alpha.tight)
    return P2Classes(omega, alpha, sure)
