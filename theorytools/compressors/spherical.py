r"""Spherical Compression (P2): the authors' definition and our projection variant.

P2 (arXiv 2010.03246) names "Spherical Compression" as the compressor that "naturally
achieves" its average-case lower bound [PAPER]; the authors' poster of P2 defines it
[AUTHOR-POSTER]. Both classes share the search: sender and receiver draw the same stream of
uniform directions (shared randomness, :class:`~theorytools.codecs.message.Message.shared_seed`)
and the sender sends the Golomb-Rice code of the index T of the first direction inside the
cap of angular radius :math:`\arcsin\sqrt\alpha` around :math:`x/\|x\|`.

* :class:`Spherical` (``spherical``) -- the AUTHORS' definition: points
  :math:`x^t = \sqrt{1-\alpha}\,y_t` uniform on the sphere of radius :math:`\sqrt{1-\alpha}`,
  stop at the first T with :math:`\|x^T - u\|^2 \le \alpha`, output :math:`\|x\|\,x^T`
  (the norm sent as a float);
* :class:`SphericalProjection` (``spherical_projection``) -- OURS: the same T, but the
  output is the projection :math:`\langle x, y_T\rangle y_T` (smaller expected distortion,
  the same bits).

Blocks of a stated size keep the search feasible. Proofs and measurements:
``docs/optimal_compression.md`` §3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import special

from theorytools.bounds import log2_cap_measure
from theorytools.compressors._wire import read_floats, write_floats
from theorytools.compressors.base import (Compressor, Constant, Extremal, Theory, round_scalar,
                                          round_values)
from theorytools.compressors.law import Law, Moments
from theorytools.errors import TheorytoolsError, check_int, check_real
from theorytools.random import GOLDEN_GAMMA, mix64, uniform

__all__ = ["DEFAULT_MAX_INDEX", "FLOAT32_TINY", "Spherical", "SphericalAuthorsLaw",
           "SphericalLaw", "SphericalProjection", "block_sizes", "cap_first_moment",
           "cap_moments", "default_block", "rice_mean_length", "rice_parameter",
           "rice_parameter_from_p"]

_DOC = "docs/optimal_compression.md"
FLOAT32_TINY = float(np.finfo(np.float32).tiny)
DEFAULT_MAX_INDEX = 1 << 20
_TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _block_key(key, block):
    return mix64(key + (np.uint64(block) + np.uint64(1)) * GOLDEN_GAMMA)


@njit(cache=True)
def _direction(bkey, n, size, out):
    """Gaussian vector number ``n`` of a block's stream (Box-Muller, cosine branch) into out."""
    base = np.uint64(2) * np.uint64(n) * np.uint64(size)
    for i in range(size):
        c = base + np.uint64(2 * i)
        u1 = uniform(bkey, c)
        u2 = uniform(bkey, c + np.uint64(1))
        out[i] = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(_TWO_PI * u2)


@njit(cache=True)
def _search(x, starts, sizes, one_minus_alpha, max_index, key, index_out):
    """For each block, the 1-based index of the first direction g of its stream with
    <g, x_j> > 0 and <g, x_j>^2 >= (1 - alpha) ||g||^2 ||x_j||^2; max_index + 1 if none
    among the first max_index; 0 for a zero block or a block of size 1."""
    g = np.empty(sizes.max() if sizes.size else 1)
    for j in range(starts.size):
        s, b = starts[j], sizes[j]
        xx = 0.0
        for i in range(b):
            xx += x[s + i] * x[s + i]
        if xx == 0.0 or b == 1:
            index_out[j] = 0
            continue
        bkey = _block_key(key, j)
        found = max_index + 1
        for n in range(max_index):
            _direction(bkey, n, b, g)
            dot, gg = 0.0, 0.0
            for i in range(b):
                dot += g[i] * x[s + i]
                gg += g[i] * g[i]
            if dot > 0.0 and dot * dot >= one_minus_alpha * gg * xx:
                found = n + 1
                break
        index_out[j] = found


@njit(cache=True)
def _unit_directions(starts, sizes, index, key, out):
    """The unit direction y_j = g/||g|| of each block's chosen index (zeros elsewhere)."""
    for j in range(starts.size):
        s, b, k = starts[j], sizes[j], index[j]
        for i in range(b):
            out[s + i] = 0.0
        if k <= 0:
            continue
        _direction(_block_key(key, j), k - 1, b, out[s:s + b])
        gg = 0.0
        for i in range(b):
            gg += out[s + i] * out[s + i]
        norm = math.sqrt(gg)
        for i in range(b):
            out[s + i] /= norm


# ----------------------------------------------------------------------------- cap moments
def cap_moments(alpha: float, b: int) -> tuple:
    r""":math:`(P, m_2, m_4)` for a uniform direction :math:`y` of :math:`S^{b-1}` and the cap
    :math:`t = \langle y, e\rangle \ge \sqrt{1-\alpha}`: :math:`P` its measure,
    :math:`m_j = \mathbb{E}[t^j \mid \text{cap}]`. With :math:`u = 1 - t^2` of density
    :math:`\propto u^{a-1}(1-u)^{-1/2}` on :math:`[0,\alpha]`, :math:`a = (b-1)/2`:
    :math:`\mathbb{E}u^j = B_\alpha(a+j, 1/2)/B_\alpha(a, 1/2)` (derived here).
    """
    a = (b - 1) / 2.0

    def ln_b_inc(p):
        return math.log(special.betainc(p, 0.5, alpha)) + special.betaln(p, 0.5)

    base = ln_b_inc(a)
    eu = math.exp(ln_b_inc(a + 1) - base)
    eu2 = math.exp(ln_b_inc(a + 2) - base)
    prob = 2.0 ** log2_cap_measure(alpha, b)
    return prob, 1.0 - eu, 1.0 - 2.0 * eu + eu2


def rice_parameter(prob: float, max_index: int) -> tuple:
    """(k, expected Rice length) minimising the exact expected length of the Rice code of
    K - 1, K the 1-based first-hit index, geometric(prob) truncated at max_index + 1."""
    best = None
    log_miss = math.log1p(-prob)
    for k in range(0, 48):
        step = 1 << k
        blocks = max_index // step
        r = math.exp(step * log_miss)
        # E floor((K-1)/2^k) = sum_{j=1}^{J} P(K - 1 >= j 2^k) = sum r^j
        tail = r * (1.0 - r ** blocks) / (1.0 - r) if r < 1.0 else float(blocks)
        length = k + 1 + tail
        if best is None or length < best[1] - 1e-15:
            best = (k, length)
    return best


def default_block(alpha: float, d: int, search_bits: float = 10.0) -> int:
    r"""Largest block size :math:`b \le \max(2, d)` whose expected search length
    :math:`1/P(\alpha, b)` is at most :math:`2^{\text{search\_bits}}` (at least 2)."""
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    best = 2
    for b in range(2, max(2, int(d)) + 1):
        if -log2_cap_measure(alpha, b) > search_bits:
            break
        best = b
    return best


def block_sizes(d: int, block: int) -> np.ndarray:
    """ceil(d/block) blocks of nearly equal sizes (differing by at most one), largest first."""
    count = -(-d // block)
    sizes = np.full(count, d // count, np.int64)
    sizes[: d % count] += 1
    return sizes


# ----------------------------------------------------------------------------- the law
@dataclass(frozen=True)
class SphericalLaw(Law):
    r"""Exact law of spherical compression: independent blocks; block j (size
    :math:`b_j \ge 2`, nonzero) is :math:`\|x_j\| t\,(t\hat x_j + \sqrt{1-t^2}\,z)` with
    :math:`t` the cap-conditional cosine and :math:`z` uniform on the unit sphere orthogonal
    to :math:`\hat x_j`, with probability :math:`1-q_j`, else (search exhausted) :math:`x_j`
    itself (:math:`q_j = (1-P_j)^M`). Continuous, so :meth:`outcomes` is refused; moments,
    ranges and variances are exact (idealised arithmetic: uniform directions, exact norms).
    """

    x: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    m2: np.ndarray          # E t^2 on a hit, per block
    m4: np.ndarray          # E t^4 on a hit, per block
    fallback: np.ndarray    # q_j
    alpha: float
    finite: bool = False

    @property
    def d(self):
        return self.x.size

    def _blocks(self):
        for j, (s, b) in enumerate(zip(self.starts, self.sizes)):
            yield j, slice(int(s), int(s + b)), int(b)

    def _keep(self, j):
        """E <C_j, x_j>/||x_j||^2 = E||C_j||^2/||x_j||^2."""
        return (1.0 - self.fallback[j]) * self.m2[j] + self.fallback[j]

    def moments(self, ref):
        mean = np.zeros(self.d)
        second = 0.0
        for j, sl, _ in self._blocks():
            keep = self._keep(j)
            mean[sl] = keep * self.x[sl]
            second += keep * float(self.x[sl] @ self.x[sl])
        error = second - 2.0 * float(mean @ ref) + float(ref @ ref)
        return Moments(mean, second, max(error, 0.0))

    def linear_range(self, v):
        total = 0.0
        for _, sl, _ in self._blocks():
            total += math.sqrt(float(self.x[sl] @ self.x[sl])) * math.sqrt(float(v[sl] @ v[sl]))
        return -total, total

    def error_bound(self, ref):
        total = 0.0
        for _, sl, _ in self._blocks():
            nx = math.sqrt(float(self.x[sl] @ self.x[sl]))
            total += (math.sqrt(self.alpha) * nx + float(np.linalg.norm(self.x[sl] - ref[sl]))) ** 2
        return total

    def linear_variance(self, v):
        var = 0.0
        for j, sl, b in self._blocks():
            xx = float(self.x[sl] @ self.x[sl])
            if xx == 0.0 or b == 1:
                continue
            xhat = self.x[sl] / math.sqrt(xx)
            a = float(xhat @ v[sl])
            perp2 = max(float(v[sl] @ v[sl]) - a * a, 0.0)
            q = self.fallback[j]
            hit2 = xx * (a * a * self.m4[j] + (self.m2[j] - self.m4[j]) * perp2 / (b - 1))
            first = math.sqrt(xx) * a * self._keep(j)
            second = (1.0 - q) * hit2 + q * xx * a * a
            var += max(second - first * first, 0.0)
        return var

    def scaled(self, exponent: int) -> "SphericalLaw":
        """The law of :math:`2^e C(x)` (used by the contract's exact rescaling)."""
        return SphericalLaw(np.ldexp(self.x, exponent), self.starts, self.sizes, self.m2,
                            self.m4, self.fallback, self.alpha)

    def in_support(self, output, tol: float = 1e-9) -> bool:
        r"""Whether ``output`` is a possible value: per block zero (x_j = 0), x_j itself
        (fallback), or within the sure distortion :math:`\|C_j - x_j\|^2 \le \alpha\|x_j\|^2`
        and parallel to a direction inside the cap."""
        m = float(np.abs(self.x).max())
        if m == 0.0:
            return not np.any(output)
        for _, sl, _ in self._blocks():
            xj, cj = self.x[sl] / m, output[sl] / m   # scale-free, no underflow
            xx = float(xj @ xj)
            if xx == 0.0:
                if np.any(cj):
                    return False
                continue
            err = float(np.sum((cj - xj) ** 2))
            if err > (self.alpha + tol) * xx * (1 + 1e-6):
                return False
        return True

    def outcome_count(self):
        return math.inf

    def outcomes(self, limit=1 << 16):
        raise TheorytoolsError("the spherical law is continuous: it has no finite outcome list; "
                               "use moments(), or in_support() per sample")


# ----------------------------------------------------------------------------- compressor
class SphericalProjection(Compressor):
    r"""Spherical compression with a projection (OUR variant; the authors' definition is
    :class:`Spherical`).

    Definition: split x into :math:`\lceil d/B\rceil` blocks of nearly equal sizes
    :math:`b_j \le B`. For each nonzero block, with the block's direction stream
    :math:`g_1, g_2, \dots` (Gaussian vectors from the shared key, Box-Muller), let
    :math:`K_j` be the first index with :math:`\langle g_K, x_j\rangle \ge
    \sqrt{1-\alpha}\,\|g_K\|\|x_j\|`, :math:`y_j = g_{K}/\|g_K\|`, and send
    :math:`\sigma_j = \langle x_j, y_j\rangle` (float) and :math:`K_j` (Rice code with the
    parameter minimising the exact expected length). :math:`C(x)_j = \sigma_j y_j`. If no
    hit within :math:`M` = ``max_index`` directions, the block is sent raw (:math:`K = M+1`).
    Blocks of size 1 (only when d = 1) are sent raw.

    Theory (derived here, ``docs/optimal_compression.md`` §3b): surely
    :math:`\|C_j - x_j\|^2 = (1 - t_j^2)\|x_j\|^2 \le \alpha\|x_j\|^2` (orthogonal projection
    on a direction at cosine :math:`t_j \ge \sqrt{1-\alpha}`). In expectation, by rotation
    invariance, :math:`\mathbb{E}\|C(x) - x\|^2 = \sum_j (1-q_j)(1 - m_{2,j})\|x_j\|^2` with
    :math:`m_{2,j} = \mathbb{E}[t^2 \mid \text{cap}]` (:func:`cap_moments`), equal to the
    average-case lower bound's cell distortion :math:`D_{cap}(1/P, b_j)` (P2 average-case lower bound (docs/sources.md#lower-bounds)):
    :math:`B_3(\delta)`, :math:`\delta = 1/(1 - \max_j (1-q_j)(1-m_{2,j}))`, tight on x
    supported on the worst block; :math:`\mathbb{E}\|C\|^2 = \langle \mathbb{E}C, x\rangle`
    so :math:`B_1(\min_j \kappa_j, 1)`, :math:`B_2(\min_j\kappa_j, 1)`,
    :math:`\kappa_j = (1-q_j)m_{2,j} + q_j`. Bits: :math:`w` per block + Rice(K) (+ raw
    block on fallback), + 64 for the key in explicit mode (no shared randomness).

    References
    ----------
    P2 arXiv 2010.03246 (name; "achieves the average-case lower bound" [PAPER]); P2's compressors (docs/sources.md#posters) (plausible reading UNCONFIRMED), P2 average-case lower bound (docs/sources.md#lower-bounds).
    """

    name = "spherical_projection"
    paper = "albasyoni2020"  # theorytools verify labels its rows with this paper
    randomized = True
    shared_randomness = True
    finite_law = False
    param_order = ("alpha", "block", "max_index")

    def __init__(self, alpha=0.5, block=10, max_index=DEFAULT_MAX_INDEX, float_width=32):
        alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
        super().__init__(float_width, alpha=alpha, block=check_int(block, "block", low=2),
                         max_index=check_int(max_index, "max_index", low=1, high=1 << 40))

    # ------------------------------------------------------------------ structure
    def layout(self, d: int):
        sizes = block_sizes(d, min(self.params["block"], d))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return starts, sizes

    def block_constants(self, b: int) -> dict:
        """P, m2, m4, fallback q, Rice k and exact expected Rice length for a block of size b."""
        return _block_constants(self.params["alpha"], int(b), self.params["max_index"])

    def in_domain(self, x):
        tiny = FLOAT32_TINY if self.float_width == 32 else float(np.finfo(np.float64).tiny)
        starts, sizes = self.layout(x.size)
        scale = math.sqrt(1.0 - self.params["alpha"])
        m = float(np.abs(x).max()) if x.size else 0.0
        if m == 0.0:
            return True
        xs = x / m
        for s, b in zip(starts, sizes):
            n = math.sqrt(float(xs[s:s + b] @ xs[s:s + b])) * m
            if n != 0.0 and n * scale < tiny * 4:
                return False
        return True

    # ------------------------------------------------------------------ sampling
    def _sample(self, x, key):
        starts, sizes = self.layout(x.size)
        index = np.zeros(sizes.size, np.int64)
        m = float(np.abs(x).max())
        xs = x / m if m > 0 else x
        _search(xs, starts, sizes, 1.0 - self.params["alpha"], self.params["max_index"],
                np.uint64(key), index)
        y = np.empty(x.size)
        _unit_directions(starts, sizes, np.where(index <= self.params["max_index"], index, 0),
                         np.uint64(key), y)
        sigma = np.zeros(sizes.size)
        raw = np.zeros(x.size)
        for j, (s, b) in enumerate(zip(starts, sizes)):
            sl = slice(s, s + b)
            if b == 1:
                raw[sl] = round_values(x[sl], self.float_width)
                index[j] = -1
            elif index[j] == 0:
                continue
            elif index[j] > self.params["max_index"]:
                raw[sl] = round_values(x[sl], self.float_width)
                sigma[j] = round_scalar(max(float(np.abs(x[sl]).max()), FLOAT32_TINY),
                                        self.float_width, name="block norm")
            else:
                sigma[j] = round_scalar(float(x[sl] @ y[sl]), self.float_width,
                                        name="<x_j, y_j>")
                if sigma[j] == 0.0:
                    index[j] = 0
        return np.uint64(key), index, sigma, raw

    def _reconstruct(self, parts, d):
        key, index, sigma, raw = parts
        starts, sizes = self.layout(d)
        y = np.empty(d)
        _unit_directions(starts, sizes,
                         np.where((index > 0) & (index <= self.params["max_index"]), index, 0),
                         np.uint64(key), y)
        out = np.zeros(d)
        for j, (s, b) in enumerate(zip(starts, sizes)):
            sl = slice(s, s + b)
            if index[j] == -1 or index[j] > self.params["max_index"]:
                out[sl] = raw[sl]
            elif index[j] > 0:
                out[sl] = sigma[j] * y[sl]
        return out

    # ------------------------------------------------------------------ codec
    def _write(self, parts, writer, d, shared):
        key, index, sigma, raw = parts
        if not shared:
            writer.write_bits(int(key), 64)  # explicit mode: the seed travels, counted
        starts, sizes = self.layout(d)
        for j, (s, b) in enumerate(zip(starts, sizes)):
            if b == 1:
                write_floats(writer, raw[s:s + b], self.float_width)
                continue
            writer.write_float(float(sigma[j]), self.float_width)
            if index[j] == 0:
                continue
            k = self.block_constants(b)["rice_k"]
            n = int(index[j]) - 1
            writer.write_unary(n >> k)
            if k:
                writer.write_bits(n & ((1 << k) - 1), k)
            if index[j] > self.params["max_index"]:
                write_floats(writer, raw[s:s + b], self.float_width)

    def _read(self, reader, d, key):
        if key is None:
            key = np.uint64(reader.read_bits(64))
        starts, sizes = self.layout(d)
        index = np.zeros(sizes.size, np.int64)
        sigma = np.zeros(sizes.size)
        raw = np.zeros(d)
        for j, (s, b) in enumerate(zip(starts, sizes)):
            if b == 1:
                raw[s:s + b] = read_floats(reader, b, self.float_width)
                index[j] = -1
                continue
            sigma[j] = reader.read_float(self.float_width)
            if not math.isfinite(sigma[j]):
                raise TheorytoolsError("corrupted message: a block projection is not finite")
            if sigma[j] == 0.0:
                continue
            k = self.block_constants(b)["rice_k"]
            q = reader.read_unary()
            n = (q << k) | (reader.read_bits(k) if k else 0)
            if n > self.params["max_index"]:
                raise TheorytoolsError("corrupted message: direction index beyond max_index + 1")
            index[j] = n + 1
            if index[j] > self.params["max_index"]:
                raw[s:s + b] = read_floats(reader, b, self.float_width)
        return np.uint64(key), index, sigma, raw

    def bits_budget(self, x, *, shared=False):
        d = np.asarray(x).size
        _, sizes = self.layout(d)
        w, m = self.float_width, self.params["max_index"]
        total = 0 if shared else 64
        for b in sizes:
            if b == 1:
                total += w
                continue
            k = self.block_constants(b)["rice_k"]
            total += w + (m >> k) + 1 + k + w * int(b)
        return int(total)

    def expected_bits(self, x, *, shared=True) -> float:
        """Exact E[bits] at ``x`` (geometric law of each first-hit index, no sampling)."""
        x = self.validate(x)
        starts, sizes = self.layout(x.size)
        w = self.float_width
        total = 0.0 if shared else 64.0
        for s, b in zip(starts, sizes):
            if b == 1:
                total += w
                continue
            total += w
            if np.any(x[s:s + b]):
                c = self.block_constants(b)
                total += c["rice_expected"] + c["fallback"] * w * int(b)
        return total

    # ------------------------------------------------------------------ law and theory
    def law(self, x):
        x = self.validate(x)
        starts, sizes = self.layout(x.size)
        consts = [self.block_constants(b) if b > 1 else None for b in sizes]
        m2 = np.array([1.0 if c is None else c["m2"] for c in consts])
        m4 = np.array([1.0 if c is None else c["m4"] for c in consts])
        q = np.array([1.0 if c is None else c["fallback"] for c in consts])
        return SphericalLaw(x.copy(), starts, sizes, m2, m4, q, self.params["alpha"])

    def _keeps(self, d):
        _, sizes = self.layout(d)
        keeps = []
        for b in sizes:
            if b == 1:
                keeps.append(1.0)
            else:
                c = self.block_constants(b)
                keeps.append((1.0 - c["fallback"]) * c["m2"] + c["fallback"])
        return np.array(keeps)

    def theory(self, d):
        keep = float(self._keeps(d).min())
        src = (f"derived here ({_DOC} §3b): E||C-x||^2 = sum_j (1-q_j)(1-m2_j)||x_j||^2, "
               "m2 = E[t^2 | cap] (rotation invariance)")
        one = f"derived here ({_DOC} §3b): E||C||^2 = <E C, x> for every x"
        return Theory(
            unbiased=False, unbiased_source=f"biased: E C(x)_j = kappa_j x_j ({_DOC} §3b)",
            delta=Constant(1.0 / keep, src), b1_alpha=Constant(keep, src),
            b1_beta=Constant(1.0, one), b2_gamma=Constant(keep, src), b2_beta=Constant(1.0, one),
            bits_formula="(64 if explicit) + sum_j [w + Rice_k(K_j - 1) (+ w b_j if K_j > M)]",
            bits_source=f"derived here ({_DOC} §3b)",
            domain="every nonzero block with sqrt(1-alpha)||x_j|| above 4x the smallest normal",
            note=f"shared randomness; blocks of size <= {min(self.params['block'], d)}")

    def sure_distortion(self, d: int) -> Constant:
        r"""Every draw: :math:`\|C_j - x_j\|^2 \le \alpha\|x_j\|^2` in every block (a hit
        lies in the cap; a fallback block is sent raw): P2's class :math:`C(\alpha)` per
        draw. Tight as the cap boundary is approached (not attained with probability > 0)."""
        return Constant(self.params["alpha"],
                        "derived here: the projection on a direction at cosine t >= sqrt(1-alpha) "
                        f"errs by (1 - t^2)||x_j||^2 <= alpha ||x_j||^2 ({_DOC} §3b)", "derived",
                        tight=False)

    def extremal_inputs(self, d):
        starts, sizes = self.layout(d)
        j = int(np.argmin(self._keeps(d)))
        x = np.zeros(d)
        x[starts[j]:starts[j] + sizes[j]] = np.linspace(1.0, 2.0, sizes[j])
        out = [Extremal(n, x, "supported on the worst block")
               for n in ("delta", "b1_alpha", "b2_gamma")]
        g = np.cos(np.arange(d) + 0.5)
        out += [Extremal(n, g, "any x: E||C||^2 = <EC, x>") for n in ("b1_beta", "b2_beta")]
        return out


_CACHE: dict = {}
_M1_CACHE: dict = {}


def _block_constants(alpha: float, b: int, max_index: int) -> dict:
    key = (alpha, b, max_index)
    if key not in _CACHE:
        prob, m2, m4 = cap_moments(alpha, b)
        rice_k, rice_len = rice_parameter(prob, max_index)
        fallback = math.exp(max_index * math.log1p(-prob))
        _CACHE[key] = {"prob": prob, "m2": m2, "m4": m4, "fallback": fallback,
                       "rice_k": rice_k, "rice_expected": rice_len}
    return _CACHE[key]


# ----------------------------------------------------------------------------- the authors'
def cap_first_moment(alpha: float, b: int) -> float:
    r""":math:`m_1 = \mathbb{E}[t \mid \text{cap}]`, :math:`t = \langle y, e\rangle`, y uniform on
    :math:`S^{b-1}`, cap :math:`t \ge \sqrt{1-\alpha}`. With :math:`u = 1 - t^2` of density
    :math:`\propto u^{a-1}(1-u)^{-1/2}` on :math:`[0, \alpha]`, :math:`a = (b-1)/2`:
    :math:`\mathbb{E}t = \int_0^\alpha u^{a-1}du / B_\alpha(a, 1/2) = (\alpha^a/a)/B_\alpha(a,
    \tfrac12)` (derived here; b = 2 gives :math:`\sqrt\alpha/\arcsin\sqrt\alpha`, tested)."""
    a = (b - 1) / 2.0
    ln_b_inc = log2_cap_measure(alpha, b) * math.log(2.0) + special.betaln(a, 0.5) \
        + math.log(2.0)
    return math.exp(a * math.log(alpha) - math.log(a) - ln_b_inc)


def rice_mean_length(prob: float, k: int) -> float:
    r"""Exact mean length of the Rice code with parameter k of :math:`T - 1`,
    :math:`T \sim \mathrm{Geometric}(p)` on :math:`\{1, 2, \dots\}` (untruncated):
    :math:`k + 1 + \mathbb{E}\lfloor (T-1)/2^k\rfloor = k + 1 + r/(1-r)`,
    :math:`r = (1-p)^{2^k}` (derived here)."""
    r = math.exp((1 << k) * math.log1p(-prob))
    return k + 1 + r / (1.0 - r)


def rice_parameter_from_p(prob: float) -> int:
    r"""The Rice parameter :math:`k = \max(0, \lfloor\log_2(1/p)\rfloor)`, for which the mean
    length is below :math:`\log_2(1/p) + 3` for every p (docs/optimal_compression.md §3:
    :math:`p 2^k \in (1/2, 1]` gives :math:`r \le e^{-1/2}` and
    :math:`r/(1-r) \le 1/(e^{1/2} - 1) < 1.55`; for :math:`p > 1/2`, k = 0 and the length is
    :math:`1 + (1-p)/p < 2`)."""
    return max(0, int(math.floor(-math.log2(prob))))


@dataclass(frozen=True)
class SphericalAuthorsLaw(SphericalLaw):
    r"""Exact law of the authors' spherical compression: block j (size :math:`b_j \ge 2`,
    nonzero) is :math:`\|x_j\|\sqrt{1-\alpha}\,(t\hat x_j + \sqrt{1-t^2}\,z)` on a hit
    (probability :math:`1 - q_j`; t the cap-conditional cosine, z uniform on the unit sphere
    orthogonal to :math:`\hat x_j`), else :math:`x_j` itself. ``m1`` = E[t | cap]."""

    m1: np.ndarray = None

    def _mean_factor(self, j):
        return (1.0 - self.fallback[j]) * math.sqrt(1.0 - self.alpha) * self.m1[j] \
            + self.fallback[j]

    def _second_factor(self, j):
        return (1.0 - self.fallback[j]) * (1.0 - self.alpha) + self.fallback[j]

    def moments(self, ref):
        mean = np.zeros(self.d)
        second = 0.0
        for j, sl, b in self._blocks():
            if b == 1:
                mean[sl] = self.x[sl]
                second += float(self.x[sl] @ self.x[sl])
                continue
            mean[sl] = self._mean_factor(j) * self.x[sl]
            second += self._second_factor(j) * float(self.x[sl] @ self.x[sl])
        error = second - 2.0 * float(mean @ ref) + float(ref @ ref)
        return Moments(mean, second, max(error, 0.0))

    def linear_variance(self, v):
        var = 0.0
        for j, sl, b in self._blocks():
            xx = float(self.x[sl] @ self.x[sl])
            if xx == 0.0 or b == 1:
                continue
            xhat = self.x[sl] / math.sqrt(xx)
            a = float(xhat @ v[sl])
            perp2 = max(float(v[sl] @ v[sl]) - a * a, 0.0)
            q = self.fallback[j]
            hit2 = xx * (1.0 - self.alpha) * (a * a * self.m2[j]
                                               + (1.0 - self.m2[j]) * perp2 / (b - 1))
            first = math.sqrt(xx) * a * self._mean_factor(j)
            second = (1.0 - q) * hit2 + q * xx * a * a
            var += max(second - first * first, 0.0)
        return var

    def scaled(self, exponent: int) -> "SphericalAuthorsLaw":
        return SphericalAuthorsLaw(np.ldexp(self.x, exponent), self.starts, self.sizes,
                                   self.m2, self.m4, self.fallback, self.alpha, m1=self.m1)


class Spherical(SphericalProjection):
    r"""Spherical Compression, the AUTHORS' definition (P2's poster [AUTHOR-POSTER];
    ``docs/optimal_compression.md`` §3).

    Definition: for a unit vector u, sender and receiver draw (shared seed) i.i.d. points
    :math:`x^1, x^2, \dots` uniform on the sphere of radius :math:`\sqrt{1-\alpha}`
    (:math:`x^t = \sqrt{1-\alpha}\,g_t/\|g_t\|`, :math:`g_t` Gaussian); the sender stops at the
    first T with :math:`\|x^T - u\|^2 \le \alpha` and sends T (Golomb-Rice code, parameter
    below); :math:`C(x) = \|x\|\,x^T` for a general x, the norm sent as a float of
    ``float_width`` bits (stated separately from T's bits). The decoder regenerates
    :math:`x^T` from the seed and T alone.

    Since :math:`\|x^T\|^2 = 1 - \alpha`, :math:`\|x^T - u\|^2 \le \alpha` is the cap
    :math:`\langle x^T/\|x^T\|, u\rangle \ge \sqrt{1-\alpha}`, so T is geometric with success
    probability :math:`P(\alpha, d)` (:func:`~theorytools.bounds.cap_measure`), and
    :math:`\|C(x) - x\|^2 \le \alpha\|x\|^2` for every draw: the sure (per-draw) class
    :math:`C(\alpha)`. In expectation :math:`\mathbb{E}\|C(x) - x\|^2 = (2 - \alpha -
    2\sqrt{1-\alpha}\,m_1)\|x\|^2` (:func:`cap_first_moment`), tight for every x.

    Blocks: when :math:`1/P(\alpha, d)` is too large to search, x is cut into blocks of size
    at most ``block`` (default :func:`default_block`: :math:`1/P \le 2^{10}`), each with its
    own norm and T; the distortion bound holds per block, hence overall. The price in bits of
    the blocks over one search: :meth:`block_price`.

    Rice parameter: k minimising the exact mean length of the Rice code of T - 1 under the
    geometric law (:func:`rice_parameter`); the mean is below :math:`-\log_2 P + 3`, proved
    with :func:`rice_parameter_from_p`'s k. Safety cap: after ``max_index`` draws without a
    hit the block is sent raw (probability :math:`(1-P)^M \le e^{-1024}` at the defaults).
    """

    name = "spherical"

    def _sample(self, x, key):
        key, index, sigma, raw = super()._sample(x, key)
        starts, sizes = self.layout(x.size)
        for j, (s, b) in enumerate(zip(starts, sizes)):
            if 0 < index[j] <= self.params["max_index"]:   # a hit: send the norm instead
                xj = x[s:s + b]
                m = float(np.abs(xj).max())   # scaled: no underflow of the squares
                sigma[j] = round_scalar(m * float(np.linalg.norm(xj / m)), self.float_width,
                                        name="block norm")
        return key, index, sigma, raw

    def _reconstruct(self, parts, d):
        key, index, sigma, raw = parts
        out = super()._reconstruct(parts, d)
        starts, sizes = self.layout(d)
        scale = math.sqrt(1.0 - self.params["alpha"])
        for j, (s, b) in enumerate(zip(starts, sizes)):
            if 0 < index[j] <= self.params["max_index"]:
                out[s:s + b] *= scale
        return out

    def sure_distortion(self, d: int) -> Constant:
        r"""Every draw: :math:`\|x^T - u\|^2 \le \alpha` in every block (P2's poster: class
        :math:`C(\alpha)`); a fallback block is sent raw."""
        return Constant(self.params["alpha"],
                        "P2 poster [AUTHOR-POSTER]: the first point with ||x^T - u||^2 <= alpha; "
                        f"per draw ({_DOC} §3; tests/test_spherical_authors.py)",
                        "author-poster", tight=False)

    def point(self, key, T: int, b: int, block: int = 0) -> np.ndarray:
        r"""The shared point :math:`x^T = \sqrt{1-\alpha}\,g_T/\|g_T\|` of block number
        ``block`` (size b), regenerated from the seed and T alone (what the decoder does)."""
        g = np.empty(int(b))
        _direction(np.uint64(_block_key(np.uint64(key), int(block))), int(T) - 1, int(b), g)
        return math.sqrt(1.0 - self.params["alpha"]) * g / np.linalg.norm(g)

    # ------------------------------------------------------------------ law and theory
    def block_constants(self, b: int) -> dict:
        """The parent's constants and ``m1`` = E[t | cap] (:func:`cap_first_moment`)."""
        key = (self.params["alpha"], int(b), self.params["max_index"])
        if key not in _M1_CACHE:
            _M1_CACHE[key] = dict(super().block_constants(b),
                                  m1=cap_first_moment(self.params["alpha"], int(b)))
        return _M1_CACHE[key]

    def law(self, x):
        x = self.validate(x)
        starts, sizes = self.layout(x.size)
        consts = [self.block_constants(b) if b > 1 else None for b in sizes]
        m1 = np.array([1.0 if c is None else c["m1"] for c in consts])
        m2 = np.array([1.0 if c is None else c["m2"] for c in consts])
        m4 = np.array([1.0 if c is None else c["m4"] for c in consts])
        q = np.array([1.0 if c is None else c["fallback"] for c in consts])
        return SphericalAuthorsLaw(x.copy(), starts, sizes, m2, m4, q, self.params["alpha"],
                                   m1=m1)

    def _factors(self, d):
        """Per block: (E||C_j||^2, <E C_j, x_j>, E||C_j - x_j||^2) over ||x_j||^2."""
        _, sizes = self.layout(d)
        a = self.params["alpha"]
        out = []
        for b in sizes:
            if b == 1:
                out.append((1.0, 1.0, 0.0))
                continue
            c = self.block_constants(b)
            q = c["fallback"]
            second = (1 - q) * (1 - a) + q
            inner = (1 - q) * math.sqrt(1 - a) * c["m1"] + q
            out.append((second, inner, second - 2 * inner + 1))
        return np.array(out)

    def expected_distortion(self, d: int) -> float:
        r"""The worst block's exact :math:`\mathbb{E}\|C_j - x_j\|^2/\|x_j\|^2 =
        2 - \alpha - 2\sqrt{1-\alpha}\,m_1` (q = 0), at most :math:`\alpha`."""
        return float(self._factors(d)[:, 2].max())

    def block_price(self, d: int) -> float:
        r"""Extra bits of the blocked code over one search of the whole vector, in mean:
        :math:`\sum_j (\text{Rice}_j + w) - (\text{Rice}_d + w)`, each Rice length exact
        (:func:`rice_mean_length` with its best parameter); ``inf`` when one search of
        :math:`1/P(\alpha, d)` draws is beyond any budget (the whole-vector Rice length is
        then taken as :math:`-\log_2 P(\alpha, d) + 3`, an upper bound)."""
        _, sizes = self.layout(d)
        w = self.float_width
        blocked = sum(w + self.block_constants(b)["rice_expected"] for b in sizes)
        whole = w - log2_cap_measure(self.params["alpha"], d) + 3.0 if d > 1 else w
        return blocked - whole

    def theory(self, d):
        f = self._factors(d)
        src = (f"derived here ({_DOC} §3): E||C_j||^2 = (1-alpha)||x_j||^2, E C_j = "
               "sqrt(1-alpha) m1 x_j, m1 = E[t | cap] (rotation invariance)")
        sure = ("P2 poster [AUTHOR-POSTER]: ||x^T - u||^2 <= alpha for every draw (class "
                f"C(alpha)); in expectation derived here ({_DOC} §3)")
        beta = float(np.max(f[:, 0] / f[:, 1]))
        return Theory(
            unbiased=False, unbiased_source=f"biased: E C(x)_j = sqrt(1-alpha) m1 x_j "
                                            f"({_DOC} §3)",
            delta=Constant(1.0 / (1.0 - float(f[:, 2].max())), sure),
            b1_alpha=Constant(float(f[:, 0].min()), src),
            b1_beta=Constant(beta, src), b2_gamma=Constant(float(f[:, 1].min()), src),
            b2_beta=Constant(beta, src),
            bits_formula="(64 if explicit) + sum_j [w (norm) + Rice_k(T_j - 1) "
                         "(+ w b_j if T_j > M)]",
            bits_source=f"P2 poster [AUTHOR-POSTER] (T Golomb-Rice, norm a float); exact mean "
                        f"derived here ({_DOC} §3)",
            domain="every nonzero block with sqrt(1-alpha)||x_j|| above 4x the smallest normal",
            note=f"the authors' definition (P2's poster); shared randomness; blocks of size "
                 f"<= {min(self.params['block'], d)}; sure distortion <= alpha")

    def extremal_inputs(self, d):
        starts, sizes = self.layout(d)
        f = self._factors(d)
        out = []
        for name, j in (("delta", int(np.argmax(f[:, 2]))), ("b1_alpha", int(np.argmin(f[:, 0]))),
                        ("b2_gamma", int(np.argmin(f[:, 1]))),
                        ("b1_beta", int(np.argmax(f[:, 0] / f[:, 1]))),
                        ("b2_beta", int(np.argmax(f[:, 0] / f[:, 1])))):
            x = np.zeros(d)
            x[starts[j]:starts[j] + sizes[j]] = np.linspace(1.0, 2.0, sizes[j])
            out.append(Extremal(name, x, f"supported on block {j} (worst for {name})"))
        return out
