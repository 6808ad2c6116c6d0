r"""Spherical Compression (P2's name; our shared-randomness construction).

P2 (arXiv 2010.03246) names "Spherical Compression" as the compressor that "naturally
achieves" its average-case lower bound [PAPER]; its definition is unknown (spec
compression.md §B.4). Ours: sender and receiver draw the same stream of uniform directions
(shared randomness, :class:`~theorytools.codecs.message.Message.shared_seed`); the sender sends
the index of the first direction inside the cap of angular radius :math:`\arcsin\sqrt\alpha`
around :math:`x/\|x\|` and the projection :math:`\langle x, y\rangle`; the receiver outputs
:math:`\langle x, y\rangle\,y`. Blocks of a stated size keep the search feasible.
Proofs and measurements: ``docs/optimal_compression.md`` §3.
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
class Spherical(Compressor):
    r"""Spherical compression (our shared-randomness construction; P2's name).

    Definition: split x into :math:`\lceil d/B\rceil` blocks of nearly equal sizes
    :math:`b_j \le B`. For each nonzero block, with the block's direction stream
    :math:`g_1, g_2, \dots` (Gaussian vectors from the shared key, Box-Muller), let
    :math:`K_j` be the first index with :math:`\langle g_K, x_j\rangle \ge
    \sqrt{1-\alpha}\,\|g_K\|\|x_j\|`, :math:`y_j = g_{K}/\|g_K\|`, and send
    :math:`\sigma_j = \langle x_j, y_j\rangle` (float) and :math:`K_j` (Rice code with the
    parameter minimising the exact expected length). :math:`C(x)_j = \sigma_j y_j`. If no
    hit within :math:`M` = ``max_index`` directions, the block is sent raw (:math:`K = M+1`).
    Blocks of size 1 (only when d = 1) are sent raw.

    Theory (derived here, ``docs/optimal_compression.md`` §3): surely
    :math:`\|C_j - x_j\|^2 = (1 - t_j^2)\|x_j\|^2 \le \alpha\|x_j\|^2` (orthogonal projection
    on a direction at cosine :math:`t_j \ge \sqrt{1-\alpha}`). In expectation, by rotation
    invariance, :math:`\mathbb{E}\|C(x) - x\|^2 = \sum_j (1-q_j)(1 - m_{2,j})\|x_j\|^2` with
    :math:`m_{2,j} = \mathbb{E}[t^2 \mid \text{cap}]` (:func:`cap_moments`), equal to the
    average-case lower bound's cell distortion :math:`D_{cap}(1/P, b_j)` (spec §C.5.2):
    :math:`B_3(\delta)`, :math:`\delta = 1/(1 - \max_j (1-q_j)(1-m_{2,j}))`, tight on x
    supported on the worst block; :math:`\mathbb{E}\|C\|^2 = \langle \mathbb{E}C, x\rangle`
    so :math:`B_1(\min_j \kappa_j, 1)`, :math:`B_2(\min_j\kappa_j, 1)`,
    :math:`\kappa_j = (1-q_j)m_{2,j} + q_j`. Bits: :math:`w` per block + Rice(K) (+ raw
    block on fallback), + 64 for the key in explicit mode (no shared randomness).

    References
    ----------
    P2 arXiv 2010.03246 (name; "achieves the average-case lower bound" [PAPER]); spec
    compression.md §B.4 (plausible reading UNCONFIRMED), §C.5.2.
    """

    name = "spherical"
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
        src = (f"derived here ({_DOC} §3): E||C-x||^2 = sum_j (1-q_j)(1-m2_j)||x_j||^2, "
               "m2 = E[t^2 | cap] (rotation invariance)")
        one = f"derived here ({_DOC} §3): E||C||^2 = <E C, x> for every x"
        return Theory(
            unbiased=False, unbiased_source=f"biased: E C(x)_j = kappa_j x_j ({_DOC} §3)",
            delta=Constant(1.0 / keep, src), b1_alpha=Constant(keep, src),
            b1_beta=Constant(1.0, one), b2_gamma=Constant(keep, src), b2_beta=Constant(1.0, one),
            bits_formula="(64 if explicit) + sum_j [w + Rice_k(K_j - 1) (+ w b_j if K_j > M)]",
            bits_source=f"derived here ({_DOC} §3)",
            domain="every nonzero block with sqrt(1-alpha)||x_j|| above 4x the smallest normal",
            note=f"shared randomness; blocks of size <= {min(self.params['block'], d)}")

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


def _block_constants(alpha: float, b: int, max_index: int) -> dict:
    key = (alpha, b, max_index)
    if key not in _CACHE:
        prob, m2, m4 = cap_moments(alpha, b)
        rice_k, rice_len = rice_parameter(prob, max_index)
        fallback = math.exp(max_index * math.log1p(-prob))
        _CACHE[key] = {"prob": prob, "m2": m2, "m4": m4, "fallback": fallback,
                       "rice_k": rice_k, "rice_expected": rice_len}
    return _CACHE[key]
