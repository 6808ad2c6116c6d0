"""Compositions: Top-k followed by an unbiased quantiser, and the induced compressor.

Sources: compressor table (docs/sources.md#table) rows C15 (P1's "Top-k + natural dithering", v1 abstract
[SECONDARY]) and C16 (Horváth & Richtárik 2020, "A better alternative to error feedback for
communication-efficient distributed learning", arXiv 2006.11077), compressor definitions (docs/sources.md#definitions); checks (docs/sources.md#checks).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from theorytools.codecs.enumerative import read_subset, subset_code_bits, write_subset
from theorytools.compressors import _kernels as K
from theorytools.compressors.base import Compressor, Constant, Extremal, Theory, log2_ceil
from theorytools.compressors.dithering import NaturalDithering, natural_dithering_omega
from theorytools.compressors.elementwise import Natural
from theorytools.compressors.law import ProductTwoPoint
from theorytools.errors import TheorytoolsError, check_int

__all__ = ["Induced", "TopKNatural", "TopKNaturalDithering"]

_PROOF = "proofs_check/compressor_constants.py"


def _c(value, where, tight=True):
    return Constant(float(value), f"{where}; derived here ({_PROOF})",
                    tight=tight)


def _top_k_theory(d, k, zeta, omega_tight, bits_formula, name, domain):
    """Compressor table C15 (docs/sources.md#table): Top-k then C' in U(zeta'): B1(k/d, zeta'), B2(k/d, zeta'),
    B3(d/(k(2 - zeta'))) if zeta' < 2."""
    delta = (_c(d / (k * (2 - zeta)), "compressor table C15 (docs/sources.md#table)", tight=omega_tight) if zeta < 2 else None)
    return Theory(unbiased=False, unbiased_source="compressor table C15 (docs/sources.md#table)",
                  b1_alpha=_c(k / d, "compressor table C15 (docs/sources.md#table)", tight=omega_tight),
                  b1_beta=_c(zeta, "compressor table C15 (docs/sources.md#table)", tight=omega_tight),
                  b2_gamma=_c(k / d, "compressor table C15 (docs/sources.md#table)", tight=omega_tight),
                  b2_beta=_c(zeta, "compressor table C15 (docs/sources.md#table)", tight=omega_tight),
                  delta=delta, bits_formula=bits_formula,
                  bits_source=f"bit counts (docs/sources.md#bits) ({name})", domain=domain)


class _TopKThen(Compressor):
    """Top-k, then an element-wise unbiased quantiser ``self._inner`` on the k kept values.

    Wire: the support by the enumerative subset code, then the inner message for the k-vector.
    Law: the inner law on the kept coordinates (a product of two-point laws), 0 elsewhere.
    """

    randomized = True

    def _check_dimension(self, d):
        if self.params["k"] > d:
            raise TheorytoolsError(f"k must be in [1, d] = [1, {d}], got k={self.params['k']}")

    def in_domain(self, x):
        return self._inner.in_domain(x)

    def _sample(self, x, key):
        idx = K.top_k_indices(x, self.params["k"])
        return idx, self._inner._sample(x[idx], key)

    def _reconstruct(self, parts, d):
        idx, inner_parts = parts
        return K.scatter(d, idx, self._inner._reconstruct(inner_parts, idx.size))

    def _write(self, parts, writer, d, shared):
        write_subset(writer, parts[0], d)
        self._inner._write(parts[1], writer, parts[0].size, shared)

    def _read(self, reader, d, key):
        idx = read_subset(reader, d, self.params["k"])
        return idx, self._inner._read(reader, idx.size, key)

    def law(self, x):
        x = self.validate(x)
        idx = K.top_k_indices(x, self.params["k"])
        inner = self._inner.law(x[idx])
        low, high, p = np.zeros(x.size), np.zeros(x.size), np.zeros(x.size)
        low[idx], high[idx], p[idx] = inner.low, inner.high, inner.p_high
        return ProductTwoPoint(low, high, p)


class TopKNatural(_TopKThen):
    r"""Top-k followed by natural compression of the k kept values: :math:`C_{nat}(\mathrm{Top}_k(x))`.

    Theory (compressor table C15 (docs/sources.md#table) with :math:`\zeta' = 9/8`, derived): :math:`B_1(k/d, 9/8)`,
    :math:`B_2(k/d, 9/8)`, :math:`B_3(8d/(7k))`; attained at :math:`x = \frac43\mathbf 1`
    (error :math:`(1 - \frac78\frac kd)\|x\|^2`, checks (docs/sources.md#checks)) and :math:`x = \mathbf 1`.
    Bits: :math:`9k + \lceil\log_2\binom dk\rceil`.
    """

    name = "top_k+natural"
    param_order = ("k",)

    def __init__(self, k, float_width=32):
        super().__init__(float_width, k=check_int(k, "k", low=1))
        self._inner = Natural(float_width)

    def theory(self, d):
        return _top_k_theory(d, self.params["k"], 9 / 8, True,
                             "9*k + subset_code_bits(d,k) (= ceil(log2 C(d,k)) unless the "
                             "blocked code is needed)", "Top-k + natural compression",
                             Natural.DOMAIN)

    def bits_budget(self, x, *, shared=False):
        return 9 * self.params["k"] + subset_code_bits(np.asarray(x).size, self.params["k"])

    def extremal_inputs(self, d):
        ones = np.ones(d)
        return ([Extremal(n, (4 / 3) * ones, "x = (4/3) 1 (checks (docs/sources.md#checks))")
                 for n in ("delta", "b1_beta", "b2_beta")]
                + [Extremal(n, ones, "x = 1") for n in ("b1_alpha", "b2_gamma")])


class TopKNaturalDithering(_TopKThen):
    r"""Top-k followed by natural dithering of the k-sparse vector (P1's new compressor).

    The norm is that of the kept vector; natural dithering is applied to the k kept values.
    Theory (compressor table C15 (docs/sources.md#table), derived): with :math:`\zeta' = 1 + \omega_{nd}(k, s, p)` (the
    natural-dithering bound with d replaced by k): :math:`B_1(k/d, \zeta')`,
    :math:`B_2(k/d, \zeta')`, :math:`B_3(d/(k(2-\zeta')))` if :math:`\zeta' < 2`; not tight.
    Bits: :math:`w + k(1 + \lceil\log_2(s+1)\rceil) + \lceil\log_2\binom dk\rceil`.
    """

    name = "top_k+natural_dithering"
    param_order = ("k", "s", "p")

    def __init__(self, k, s=8, p=2.0, float_width=32):
        inner = NaturalDithering(s, p, "fixed", float_width)
        super().__init__(float_width, k=check_int(k, "k", low=1), s=inner.params["s"],
                         p=inner.params["p"])
        self._inner = inner

    def theory(self, d):
        k = self.params["k"]
        zeta = 1 + natural_dithering_omega(k, self.params["s"], self.params["p"])
        th = _top_k_theory(d, k, zeta, False,
                           "w + k*(1 + ceil(log2(s+1))) + subset_code_bits(d,k)",
                           "Top-k + natural dithering",
                           "||x_S||_p zero or at least the smallest normal of the float width")
        if self._exact_on_ones(k):
            # x = 1: Top-k keeps k equal entries (||x_S||^2 = (k/d)||x||^2) and natural
            # dithering sends them exactly (k^(-1/p) is one of its levels), so
            # E||C||^2 = <EC, x> = (k/d)||x||^2: alpha = gamma = k/d attained (derived here)
            th = replace(th, b1_alpha=replace(th.b1_alpha, tight=True),
                         b2_gamma=replace(th.b2_gamma, tight=True))
        return th

    def _exact_on_ones(self, k):
        inner = NaturalDithering(self.params["s"], self.params["p"], "fixed", 64)
        ones = np.ones(k)
        return bool(inner.law(ones).moments(ones).error == 0.0)

    def extremal_inputs(self, d):
        if not self._exact_on_ones(self.params["k"]):
            return []
        return [Extremal(n, np.ones(d), "x = 1 (k^(-1/p) is a level: sent exactly)")
                for n in ("b1_alpha", "b2_gamma")]

    def bits_budget(self, x, *, shared=False):
        d, k = np.asarray(x).size, self.params["k"]
        return (self.float_width + k * (1 + log2_ceil(self.params["s"] + 1))
                + subset_code_bits(d, k))


class Induced(Compressor):
    r"""Induced compressor (Horváth & Richtárik 2020): :math:`C(x) = C_1(x) + C_2(x - C_1(x))`
    with :math:`C_1 = \mathrm{Top}_k \in B_3(d/k)` and an unbiased :math:`C_2 \in U(\omega_2)`.

    Theory (compressor table C16 (docs/sources.md#table), derived): unbiased, :math:`U(\omega_2(1 - k/d))`, since
    :math:`\mathbb{E}\|C_2(r) - r\|^2 \le \omega_2\|r\|^2 \le \omega_2(1 - k/d)\|x\|^2`; B1/B2/B3 by
    R1/R8. Attained at equal magnitudes when :math:`C_2`'s own :math:`\omega` is attained at the
    equal-magnitude residual (natural at :math:`\frac43\mathbf 1`, rand_k, bernoulli).
    Bits: the sum of both messages.
    """

    name = "induced"
    randomized = True
    param_order = ("k", "c2")
    compressor_params = ("c2",)   # the registry builds c2 from a spec string ("(natural)")

    def __init__(self, k, c2: Compressor | None = None, float_width=32):
        """``c2``: an unbiased Compressor object (default: natural compression at
        ``float_width``); ``create("induced[k=10,c2=(rand_k[k=5])]")`` builds it from a spec."""
        inner = Natural(float_width=float_width) if c2 is None else c2
        if not isinstance(inner, Compressor):
            raise TheorytoolsError(f"c2 must be a Compressor object (a spec string goes through "
                                   f"create('induced[k=...,c2=(natural)]')), got {c2!r}")
        if not inner.theory(2).unbiased:
            raise TheorytoolsError(f"c2 must be an unbiased compressor, got {inner.canonical_name}")
        super().__init__(float_width, k=check_int(k, "k", low=1), c2=inner.canonical_name)
        from theorytools.compressors.sparsify import TopK
        self._c1 = TopK(self.params["k"], float_width)
        self._c2 = inner

    @property
    def canonical_name(self):
        base = super().canonical_name
        return base.replace(f"c2={self.params['c2']}", f"c2=({self.params['c2']})")

    def _check_dimension(self, d):
        self._c1._check_dimension(d)
        self._c2._check_dimension(d)

    def _check_input(self, x):
        self._c2._check_input(x)

    def in_domain(self, x):
        return self._c2.in_domain(x - self._c1.compress(x))

    def _sample(self, x, key):
        p1 = self._c1._sample(x, None)
        residual = x - self._c1._reconstruct(p1, x.size)
        self._c2._check_input(residual)
        return p1, self._c2._sample(residual, key)

    def _reconstruct(self, parts, d):
        return self._c1._reconstruct(parts[0], d) + self._c2._reconstruct(parts[1], d)

    def _write(self, parts, writer, d, shared):
        self._c1._write(parts[0], writer, d, False)
        self._c2._write(parts[1], writer, d, shared)

    def _read(self, reader, d, key):
        return self._c1._read(reader, d, None), self._c2._read(reader, d, key)

    @property
    def shared_randomness(self):
        return self._c2.shared_randomness

    def law(self, x):
        x = self.validate(x)
        c1 = self._c1.compress(x)
        return self._c2.law(x - c1).shifted(c1)

    def theory(self, d):
        from theorytools.compressors._theory import from_unbiased
        k = self.params["k"]
        inner = self._c2.theory(d).omega
        if inner is None:
            raise TheorytoolsError(f"c2 = {self.params['c2']} declares no omega")
        tight = inner.tight and self._c2.name in ("natural", "rand_k", "bernoulli")
        omega = Constant(inner.value * (1 - k / d),
                         f"compressor table C16 (docs/sources.md#table); derived here ({_PROOF}) from "
                         f"omega_2 = {inner.value:g} and Top-k's B3(d/k)", inner.status, tight)
        return Theory(unbiased=True, unbiased_source="compressor table C16 (docs/sources.md#table)", omega=omega,
                      **from_unbiased(omega, alpha_tight=True),
                      bits_formula=f"bits(top_k[k={k}]) + bits({self.params['c2']})",
                      bits_source="derived here (concatenated messages)",
                      domain=f"x - Top_k(x) in the domain of {self.params['c2']}: "
                             f"{self._c2.theory(d).domain}")

    def bits_budget(self, x, *, shared=False):
        return self._c1.bits_budget(x) + self._c2.bits_budget(x, shared=shared)

    def extremal_inputs(self, d):
        e1 = np.zeros(d)
        e1[0] = 1.0
        out = [Extremal(n, e1, "one-hot: Top-k is exact, the residual is 0")
               for n in ("b1_alpha", "b2_gamma")]
        if self.theory(d).omega.tight:
            worst = [e.x for e in self._c2.extremal_inputs(d) if e.constant == "omega"][0]
            x = np.full(d, abs(worst[0]))
            names = ["omega", "b1_beta", "b2_beta"] + (["delta"] if "delta" in
                                                         self.theory(d).constants() else [])
            out += [Extremal(n, x, "equal magnitudes at C2's worst case") for n in names]
        return out
