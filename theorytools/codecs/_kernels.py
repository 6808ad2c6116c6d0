"""Numba kernels behind :mod:`theorytools.codecs` (private).

The bit stream is a ``uint64`` word buffer, most significant bit first: stream bit ``i`` is
bit ``63 - i % 64`` of word ``i // 64``. Writers only OR into a zero-initialised buffer, so
unwritten bits stay zero. Every kernel takes the current bit position and returns the new one.
Readers take ``end`` (the exact number of valid bits) and return a negative code on bad input:
``TRUNCATED`` (-1) when the stream ends inside a codeword, ``CORRUPTED`` (-2) when the bits
cannot be the output of the matching writer (value too large for ``uint64``, a base-3 group
>= 3**r, a rank >= its radix). The Python layer turns these codes into ``TheorytoolsError``.

All shift amounts stay in ``0..63`` (shifting a 64-bit word by 64 is undefined in LLVM).
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

TRUNCATED = -1
CORRUPTED = -2

U0 = np.uint64(0)
U1 = np.uint64(1)
ALL = np.uint64(0xFFFFFFFFFFFFFFFF)

# base-3 packing: 29 trits per group in 46 bits (3**29 < 2**46; 46/29 = 1.5862 bits/trit,
# 0.079 % above log2(3) = 1.58496). BASE3_BITS[r] = ceil(log2(3**r)).
TRITS_PER_GROUP = 29
BASE3_BITS = np.array([0] + [(3 ** r - 1).bit_length() for r in range(1, 30)], dtype=np.int64)
POW3 = np.array([3 ** r for r in range(30)], dtype=np.uint64)

# binomial table C(n, j) for 0 <= n, j <= 64 (C(64, 32) < 2**64)
_BINOM = np.zeros((65, 65), dtype=np.uint64)
for _n in range(65):
    for _j in range(_n + 1):
        import math as _math
        _BINOM[_n, _j] = _math.comb(_n, _j)
BINOM = _BINOM


@njit(cache=True, inline="always")
def bitlen(x):
    """Number of bits of the uint64 ``x`` (0 for 0)."""
    x = np.uint64(x)
    n = 0
    if x >> np.uint64(32):
        x >>= np.uint64(32)
        n += 32
    if x >> np.uint64(16):
        x >>= np.uint64(16)
        n += 16
    if x >> np.uint64(8):
        x >>= np.uint64(8)
        n += 8
    if x >> np.uint64(4):
        x >>= np.uint64(4)
        n += 4
    if x >> np.uint64(2):
        x >>= np.uint64(2)
        n += 2
    if x >> np.uint64(1):
        x >>= np.uint64(1)
        n += 1
    return n + np.int64(x)


@njit(cache=True, inline="always")
def mask(n):
    """Low ``n`` bits set, 0 <= n <= 64."""
    if n >= 64:
        return ALL
    return (U1 << np.uint64(n)) - U1


@njit(cache=True, inline="always")
def put(buf, pos, v, n):
    """OR the low ``n`` (0..64) bits of ``v`` (already < 2**n) at ``pos``; return pos + n."""
    if n == 0:
        return pos
    w = pos >> 6
    off = pos & 63
    free = 64 - off
    v = np.uint64(v)
    if n <= free:
        buf[w] |= v << np.uint64(free - n)
    else:
        r = n - free
        buf[w] |= v >> np.uint64(r)
        buf[w + 1] |= v << np.uint64(64 - r)
    return pos + n


@njit(cache=True, inline="always")
def get(buf, pos, n):
    """The ``n`` (0..64) bits at ``pos`` as a uint64 (caller checks bounds)."""
    if n == 0:
        return U0
    w = pos >> 6
    off = pos & 63
    free = 64 - off
    if n <= free:
        return (buf[w] << np.uint64(off)) >> np.uint64(64 - n)
    r = n - free
    first = buf[w] & ((U1 << np.uint64(free)) - U1)
    return (first << np.uint64(r)) | (buf[w + 1] >> np.uint64(64 - r))


@njit(cache=True)
def put_scalar(buf, pos, v, n):
    return put(buf, pos, v, n)


@njit(cache=True)
def get_scalar(buf, pos, n):
    return get(buf, pos, n)


@njit(cache=True)
def count_zeros(buf, pos, end):
    """Number of consecutive 0 bits from ``pos`` (stops at the first 1 or at ``end``)."""
    p = pos
    while p < end:
        n = min(64, end - p)
        v = get(buf, p, n)
        if v != U0:
            return p - pos + (n - bitlen(v))
        p += n
    return end - pos


@njit(cache=True)
def count_ones(buf, pos, end):
    """Number of consecutive 1 bits from ``pos`` (stops at the first 0 or at ``end``)."""
    p = pos
    while p < end:
        n = min(64, end - p)
        v = (~get(buf, p, n)) & mask(n)
        if v != U0:
            return p - pos + (n - bitlen(v))
        p += n
    return end - pos


# ---------------------------------------------------------------- fixed width
@njit(cache=True)
def write_fixed(buf, pos, values, width):
    for i in range(values.size):
        pos = put(buf, pos, values[i], width)
    return pos


@njit(cache=True)
def read_fixed(buf, pos, out, width):
    for i in range(out.size):
        out[i] = get(buf, pos, width)
        pos += width
    return pos


@njit(cache=True)
def write_fixed_w(buf, pos, values, width):
    """Fast path for 1 <= width <= 64: accumulate into a 64-bit word, store whole words.
    ``values``: any non-negative integer array (each entry converted to uint64)."""
    w = pos >> 6
    off = pos & 63
    acc = buf[w]  # already holds the first ``off`` bits
    fill = off    # number of valid bits in acc (MSB-first)
    for i in range(values.size):
        v = np.uint64(values[i])
        free = 64 - fill
        if width < free:
            acc |= v << np.uint64(free - width)
            fill += width
        else:
            r = width - free
            if r == 0:
                acc |= v
                buf[w] = acc
                w += 1
                acc = U0
                fill = 0
            else:
                acc |= v >> np.uint64(r)
                buf[w] = acc
                w += 1
                acc = v << np.uint64(64 - r)
                fill = r
    if fill > 0:
        buf[w] = acc
    return pos + values.size * width


@njit(cache=True)
def read_fixed_w(buf, pos, out, width):
    """Fast path for 1 <= width <= 64; ``out`` any unsigned array wide enough."""
    w = pos >> 6
    off = pos & 63
    cur = buf[w] << np.uint64(off)   # remaining bits, left aligned
    avail = 64 - off
    m = mask(width)
    for i in range(out.size):
        if width <= avail:
            out[i] = (cur >> np.uint64(64 - width)) & m
            avail -= width
            if avail == 0:
                w += 1
                cur = buf[w]
                avail = 64
            else:
                cur = cur << np.uint64(width)
        else:
            r = width - avail
            hi = cur >> np.uint64(64 - avail) if avail > 0 else U0
            w += 1
            nxt = buf[w]
            out[i] = (hi << np.uint64(r)) | (nxt >> np.uint64(64 - r))
            cur = nxt << np.uint64(r)
            avail = 64 - r
    return pos + out.size * width


# ---------------------------------------------------------------- one-bit flags
@njit(cache=True)
def write_flags(buf, pos, flags):
    """One bit per entry (1 for nonzero), MSB first, 64 entries per stored word."""
    n = flags.size
    i = 0
    while i + 64 <= n:
        w = U0
        for j in range(64):
            w = (w << U1) | np.uint64(flags[i + j] != 0)
        pos = put(buf, pos, w, 64)
        i += 64
    if i < n:
        w = U0
        for j in range(i, n):
            w = (w << U1) | np.uint64(flags[j] != 0)
        pos = put(buf, pos, w, n - i)
    return pos


@njit(cache=True)
def read_flags(buf, pos, out):
    """Inverse of :func:`write_flags` into a bool array (caller checks bounds)."""
    n = out.size
    i = 0
    while i + 64 <= n:
        w = get(buf, pos, 64)
        pos += 64
        for j in range(64):
            out[i + j] = ((w >> np.uint64(63 - j)) & U1) != U0
        i += 64
    if i < n:
        r = n - i
        w = get(buf, pos, r)
        pos += r
        for j in range(r):
            out[i + j] = ((w >> np.uint64(r - 1 - j)) & U1) != U0
    return pos


# ---------------------------------------------------------------- unary
@njit(cache=True)
def put_ones(buf, pos, n):
    while n >= 64:
        pos = put(buf, pos, ALL, 64)
        n -= 64
    return put(buf, pos, mask(n), n)


@njit(cache=True)
def write_unary(buf, pos, values):
    for i in range(values.size):
        pos = put_ones(buf, pos, np.int64(values[i]))
        pos += 1  # the terminating 0
    return pos


@njit(cache=True)
def read_unary(buf, pos, end, out):
    for i in range(out.size):
        n = count_ones(buf, pos, end)
        if pos + n >= end:
            return TRUNCATED
        out[i] = n
        pos += n + 1
    return pos


# ---------------------------------------------------------------- Elias
@njit(cache=True)
def gamma_lengths(values, out):
    for i in range(values.size):
        out[i] = 2 * bitlen(values[i]) - 1


@njit(cache=True)
def delta_lengths(values, out):
    for i in range(values.size):
        nb = bitlen(values[i]) - 1
        out[i] = nb + 2 * (bitlen(np.uint64(nb + 1)) - 1) + 1


@njit(cache=True, inline="always")
def _omega_len(v):
    total = 1
    while v > U1:
        b = bitlen(v)
        total += b
        v = np.uint64(b - 1)
    return total


@njit(cache=True)
def omega_lengths(values, out):
    for i in range(values.size):
        out[i] = _omega_len(values[i])


@njit(cache=True)
def write_gamma(buf, pos, values):
    for i in range(values.size):
        b = bitlen(values[i])
        pos += b - 1
        pos = put(buf, pos, values[i], b)
    return pos


@njit(cache=True)
def write_delta(buf, pos, values):
    for i in range(values.size):
        v = values[i]
        nb = bitlen(v) - 1
        ln = np.uint64(nb + 1)
        b = bitlen(ln)
        pos += b - 1
        pos = put(buf, pos, ln, b)
        pos = put(buf, pos, v & mask(nb), nb)
    return pos


@njit(cache=True)
def write_omega(buf, pos, values):
    stack = np.empty(8, dtype=np.uint64)
    for i in range(values.size):
        v = values[i]
        depth = 0
        while v > U1:
            stack[depth] = v
            depth += 1
            v = np.uint64(bitlen(v) - 1)
        for j in range(depth - 1, -1, -1):
            pos = put(buf, pos, stack[j], bitlen(stack[j]))
        pos += 1  # final 0
    return pos


@njit(cache=True)
def read_gamma(buf, pos, end, out):
    for i in range(out.size):
        z = count_zeros(buf, pos, end)
        if pos + 2 * z + 1 > end:
            return TRUNCATED
        if z >= 64:
            return CORRUPTED
        out[i] = get(buf, pos + z, z + 1)
        pos += 2 * z + 1
    return pos


@njit(cache=True)
def read_delta(buf, pos, end, out):
    for i in range(out.size):
        z = count_zeros(buf, pos, end)
        if pos + 2 * z + 1 > end:
            return TRUNCATED
        if z >= 7:
            return CORRUPTED
        ln = np.int64(get(buf, pos + z, z + 1))
        pos += 2 * z + 1
        if ln > 64:
            return CORRUPTED
        nb = ln - 1
        if pos + nb > end:
            return TRUNCATED
        out[i] = (U1 << np.uint64(nb)) | get(buf, pos, nb)
        pos += nb
    return pos


@njit(cache=True)
def read_omega(buf, pos, end, out):
    for i in range(out.size):
        v = U1
        while True:
            if pos >= end:
                return TRUNCATED
            if get(buf, pos, 1) == U0:
                pos += 1
                break
            if v >= np.uint64(64):
                return CORRUPTED
            nb = np.int64(v)
            if pos + nb + 1 > end:
                return TRUNCATED
            v = get(buf, pos, nb + 1)
            pos += nb + 1
        out[i] = v
    return pos


# ---------------------------------------------------------------- base 3
@njit(cache=True)
def write_base3(buf, pos, trits):
    m = trits.size
    g = TRITS_PER_GROUP
    i = 0
    while i < m:
        r = min(g, m - i)
        v = U0
        for j in range(r):
            v = v * np.uint64(3) + np.uint64(trits[i + j])
        pos = put(buf, pos, v, BASE3_BITS[r])
        i += r
    return pos


@njit(cache=True)
def read_base3(buf, pos, end, out):
    m = out.size
    g = TRITS_PER_GROUP
    i = 0
    while i < m:
        r = min(g, m - i)
        nb = BASE3_BITS[r]
        if pos + nb > end:
            return TRUNCATED
        v = get(buf, pos, nb)
        pos += nb
        if v >= POW3[r]:
            return CORRUPTED
        for j in range(r - 1, -1, -1):
            out[i + j] = np.uint8(v % np.uint64(3))
            v = v // np.uint64(3)
        i += r
    return pos


# ---------------------------------------------------------------- blocked enumerative code
# Positions are cut into blocks of SUBSET_BLOCK = 32 (C(32, 16) < 2**30) and blocks into
# groups of SUBSET_GROUP = 512 blocks. A group's block ranks are the digits of one
# mixed-radix number (radix C(B_b, k_b), first block most significant), written in
# ceil(log2 prod_b C(B_b, k_b)) bits. The production conversion is the divide-and-conquer
# one below (radix trees on 64-bit limbs); the simple one (32-bit limbs, one multiply-add or
# short division of the whole number per block) is kept as its tested reference.
SUBSET_BLOCK = 32
SUBSET_GROUP = 512
BINOM_T = np.ascontiguousarray(BINOM[:SUBSET_BLOCK, :SUBSET_BLOCK + 1].T)  # [i, c] = C(c, i)
_LIMB = np.uint64(0xFFFFFFFF)
_MAXLIMBS = SUBSET_GROUP + 4  # 512 radices < 2**30 -> < 15360 bits = 480 limbs


@njit(cache=True)
def block_ranks(idx, nb, counts, ranks):
    """Per-block count and colex rank sum_i C(c_i, i+1) of the local positions c_i."""
    for b in range(nb):
        counts[b] = 0
        ranks[b] = U0
    for t in range(idx.size):
        b = idx[t] >> 5
        c = idx[t] & 31
        i = counts[b]
        ranks[b] += BINOM[c, i + 1]
        counts[b] = i + 1


@njit(cache=True, inline="always")
def _mul_add(L, nl, R, a):
    carry = np.uint64(a)
    R = np.uint64(R)
    for j in range(nl):
        t = L[j] * R + carry
        L[j] = t & _LIMB
        carry = t >> np.uint64(32)
    while carry != U0:
        L[nl] = carry & _LIMB
        carry >>= np.uint64(32)
        nl += 1
    return nl


@njit(cache=True, inline="always")
def _bits_of_pminus1(P, nl, tmp):
    """ceil(log2 P) = bitlen(P - 1) for the multiword P >= 1."""
    for j in range(nl):
        tmp[j] = P[j]
    j = 0
    while tmp[j] == U0:
        tmp[j] = _LIMB
        j += 1
    tmp[j] -= U1
    top = nl - 1
    while top >= 0 and tmp[top] == U0:
        top -= 1
    if top < 0:
        return 0
    return 32 * top + bitlen(tmp[top])


@njit(cache=True)
def _block_size(b, nb, n):
    return SUBSET_BLOCK if b < nb - 1 else n - SUBSET_BLOCK * (nb - 1)


@njit(cache=True)
def write_block_ranks_simple(buf, pos, n, counts, ranks):
    """Reference: the simple conversion (one multiply-add per block, O(n L)), the same
    bits as :func:`write_block_ranks` (tested against it)."""
    nb = counts.size
    V = np.zeros(_MAXLIMBS, dtype=np.uint64)
    P = np.zeros(_MAXLIMBS, dtype=np.uint64)
    tmp = np.zeros(_MAXLIMBS, dtype=np.uint64)
    g0 = 0
    while g0 < nb:
        g1 = min(nb, g0 + SUBSET_GROUP)
        for j in range(_MAXLIMBS):
            V[j] = U0
            P[j] = U0
        P[0] = U1
        nv = 1
        npl = 1
        for b in range(g0, g1):
            R = BINOM[_block_size(b, nb, n), counts[b]]
            if R > U1:
                nv = _mul_add(V, nv, R, ranks[b])
                npl = _mul_add(P, npl, R, U0)
        width = _bits_of_pminus1(P, npl, tmp)
        if width > 0:
            hi = (width - 1) // 32
            pos = put(buf, pos, V[hi], width - 32 * hi)
            for j in range(hi - 1, -1, -1):
                pos = put(buf, pos, V[j], 32)
        g0 = g1
    return pos


@njit(cache=True)
def read_block_ranks_simple(buf, pos, end, n, counts, out):
    """Reference: the simple decoder (one short division of the whole group value per
    block, O(n L) hardware divisions); same result as :func:`read_block_ranks`."""
    nb = counts.size
    V = np.zeros(_MAXLIMBS, dtype=np.uint64)
    P = np.zeros(_MAXLIMBS, dtype=np.uint64)
    tmp = np.zeros(_MAXLIMBS, dtype=np.uint64)
    ranks = np.zeros(SUBSET_GROUP, dtype=np.uint64)
    t = 0
    g0 = 0
    while g0 < nb:
        g1 = min(nb, g0 + SUBSET_GROUP)
        for j in range(_MAXLIMBS):
            V[j] = U0
            P[j] = U0
        P[0] = U1
        npl = 1
        for b in range(g0, g1):
            R = BINOM[_block_size(b, nb, n), counts[b]]
            if R > U1:
                npl = _mul_add(P, npl, R, U0)
        width = _bits_of_pminus1(P, npl, tmp)
        if pos + width > end:
            return TRUNCATED
        if width > 0:
            hi = (width - 1) // 32
            V[hi] = get(buf, pos, width - 32 * hi)
            pos += width - 32 * hi
            for j in range(hi - 1, -1, -1):
                V[j] = get(buf, pos, 32)
                pos += 32
        # V < P ?
        nv = npl
        less = False
        for j in range(nv - 1, -1, -1):
            if V[j] != P[j]:
                less = V[j] < P[j]
                break
        if not less:
            return CORRUPTED
        # digits, last block first
        top = nv - 1
        for b in range(g1 - 1, g0 - 1, -1):
            R = BINOM[_block_size(b, nb, n), counts[b]]
            if R > U1:
                rem = U0
                for j in range(top, -1, -1):
                    x = (rem << np.uint64(32)) | V[j]
                    q = x // R
                    V[j] = q
                    rem = x - q * R
                while top > 0 and V[top] == U0:
                    top -= 1
                ranks[b - g0] = rem
            else:
                ranks[b - g0] = U0
        # unrank each block (colex): largest c with C(c, i) <= r, i = k_b .. 1
        for b in range(g0, g1):
            k = counts[b]
            r = ranks[b - g0]
            c = _block_size(b, nb, n)
            base = t
            for i in range(k, 0, -1):
                c -= 1
                while BINOM[c, i] > r:
                    c -= 1
                r -= BINOM[c, i]
                out[base + i - 1] = SUBSET_BLOCK * b + c
            t += k
        g0 = g1
    return pos


# ---------------------------------------------------------------- multiword integers
# Little-endian arrays of 64-bit limbs (uint64) with an explicit length: a number is
# (array, offset, length) with no leading zero limb (0 has length 0). Products and
# borrows go through 128-bit LLVM integers (two intrinsics); the one 128-by-64 division
# that Knuth's algorithm needs per quotient limb is done on 32-bit half-words
# (`udiv i128` would need a runtime-library call that Numba does not link).
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_B32 = np.uint64(1 << 32)


@intrinsic
def _mac(typingctx, c, a, b, carry):
    """(lo, hi) of c + a * b + carry for uint64 operands: exact, since the sum is at most
    (2^64 - 1)^2 + 2 (2^64 - 1) = 2^128 - 1."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64,
                                          types.uint64)

    def codegen(context, builder, signature, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        c_, a_, b_, k_ = [builder.zext(v, i128) for v in args]
        t = builder.add(builder.add(builder.mul(a_, b_), c_), k_)
        lo = builder.trunc(t, i64)
        hi = builder.trunc(builder.lshr(t, ir.Constant(i128, 64)), i64)
        return context.make_tuple(builder, signature.return_type, (lo, hi))

    return sig, codegen


@intrinsic
def _sub_borrow(typingctx, a, b, borrow):
    """(a - b - borrow mod 2^64, 1 if that wrapped else 0), for borrow in {0, 1}."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        a_, b_, k_ = [builder.zext(v, i128) for v in args]
        t = builder.sub(builder.sub(a_, b_), k_)
        lo = builder.trunc(t, i64)
        hi = builder.and_(builder.trunc(builder.lshr(t, ir.Constant(i128, 64)), i64),
                          ir.Constant(i64, 1))
        return context.make_tuple(builder, signature.return_type, (lo, hi))

    return sig, codegen


@njit(cache=True, inline="always")
def div2by1(u1, u0, v):
    """(q, r): q = (u1 2^64 + u0) // v and the remainder, for a normalized v (top bit set)
    and u1 < v (so q < 2^64). Hacker's Delight ``divlu``: two steps on 32-bit half-words,
    each a 64-by-32 estimate corrected at most twice."""
    vn1 = v >> _S32
    vn0 = v & _M32
    un1 = u0 >> _S32
    un0 = u0 & _M32
    q1 = u1 // vn1
    rhat = u1 - q1 * vn1
    while q1 >= _B32 or q1 * vn0 > ((rhat << _S32) | un1):
        q1 -= U1
        rhat += vn1
        if rhat >= _B32:
            break
    un21 = ((u1 << _S32) | un1) - q1 * v        # exact modulo 2^64: the value is < v
    q0 = un21 // vn1
    rhat = un21 - q0 * vn1
    while q0 >= _B32 or q0 * vn0 > ((rhat << _S32) | un0):
        q0 -= U1
        rhat += vn1
        if rhat >= _B32:
            break
    r = ((un21 << _S32) | un0) - q0 * v
    return (q1 << _S32) | q0, r


@njit(cache=True, inline="always")
def reciprocal(v):
    """floor((2^128 - 1) / v) - 2^64 for a normalized v (top bit set): the constant of
    :func:`div2by1_preinv` (one slow division, then only multiplications)."""
    q, r = div2by1(ALL - v, ALL, v)
    return q


@njit(cache=True, inline="always")
def div2by1_preinv(u1, u0, v, vinv):
    """(q, r) as :func:`div2by1`, with vinv = reciprocal(v): Moller and Granlund,
    "Improved division by invariant integers", IEEE Trans. Computers 60(2), 2011, Alg. 4
    (two multiplications and at most two corrections instead of two hardware divisions)."""
    q0, q1 = _mac(u0, vinv, u1, U0)       # vinv u1 + u0, as (low, high)
    q1 += u1 + U1                         # + (u1 + 1) 2^64
    r = u0 - q1 * v
    if r > q0:
        q1 -= U1
        r += v
    if r >= v:
        q1 += U1
        r -= v
    return q1, r


@njit(cache=True, inline="always")
def mw_cmp(A, ao, la, B, bo, lb):
    """Sign of A - B for trimmed multiwords."""
    if la != lb:
        return 1 if la > lb else -1
    for j in range(la - 1, -1, -1):
        if A[ao + j] != B[bo + j]:
            return 1 if A[ao + j] > B[bo + j] else -1
    return 0


@njit(cache=True, inline="always")
def mw_mul(A, ao, la, B, bo, lb, C, co):
    """C = A * B, schoolbook (C must not overlap A or B); returns the trimmed length."""
    if la == 0 or lb == 0:
        return 0
    for j in range(la + lb):
        C[co + j] = U0
    for i in range(la):
        a = A[ao + i]
        carry = U0
        ci = co + i
        for j in range(lb):
            lo, carry = _mac(C[ci + j], a, B[bo + j], carry)
            C[ci + j] = lo
        C[ci + lb] = carry
    n = la + lb
    while n > 0 and C[co + n - 1] == U0:
        n -= 1
    return n


@njit(cache=True, inline="always")
def mw_add_into(A, ao, la, B, bo, lb):
    """A += B in place (A has room for max(la, lb) + 1 limbs); returns the new length."""
    n = max(la, lb)
    carry = U0
    for j in range(n):
        a = A[ao + j] if j < la else U0
        b = B[bo + j] if j < lb else U0
        lo, carry = _mac(a, b, U1, carry)
        A[ao + j] = lo
    if carry != U0:
        A[ao + n] = carry
        n += 1
    return n


@njit(cache=True, inline="always")
def mw_sub_into(A, la, B, lb):
    """A -= B in place for A >= B (offsets 0); returns the trimmed length."""
    borrow = U0
    for j in range(la):
        b = B[j] if j < lb else U0
        t, borrow = _sub_borrow(A[j], b, borrow)
        A[j] = t
    n = la
    while n > 0 and A[n - 1] == U0:
        n -= 1
    return n


@njit(cache=True, inline="always")
def mw_divmod(U, uo, lu, V, vo, lv, Q, qo, R, ro, un, vn):
    """Q = U // V and R = U % V for trimmed U (lu limbs) and V (lv >= 1 limbs).

    Knuth's algorithm D (TAOCP vol. 2, 4.3.1) on 64-bit limbs: normalise V so its top bit
    is set, estimate each quotient limb from the top two limbs of the running remainder
    (:func:`div2by1`), correct it with the next divisor limb (at most twice), multiply and
    subtract, and add back in the rare case the estimate was still one too large. Q needs
    room for lu - lv + 1 limbs, R for lv, the scratch un for lu + 1, vn for lv; Q and R
    must not overlap U or V. Returns the trimmed lengths (lq, lr).
    """
    if lu < lv or (lu == lv and mw_cmp(U, uo, lu, V, vo, lv) < 0):
        for j in range(lu):
            R[ro + j] = U[uo + j]
        return 0, lu
    if lv == 1:
        d = V[vo]
        if lu == 1:
            q = U[uo] // d
            Q[qo] = q
            R[ro] = U[uo] - q * d
            return (1 if q != U0 else 0), (1 if R[ro] != U0 else 0)
        s = np.uint64(64 - bitlen(d))
        dn = d << s
        preinv = lu > 2             # the reciprocal costs about two plain 2-by-1 divisions
        dinv = reciprocal(dn) if preinv else U0
        cs = np.uint64(64) - s
        rem = U[uo + lu - 1] >> cs if s != U0 else U0
        for j in range(lu - 1, -1, -1):
            lo = U[uo + j] << s
            if j > 0 and s != U0:
                lo |= U[uo + j - 1] >> cs
            if preinv:
                q, rem = div2by1_preinv(rem, lo, dn, dinv)
            else:
                q, rem = div2by1(rem, lo, dn)
            Q[qo + j] = q
        rem >>= s
        R[ro] = rem
        lq = lu
        while lq > 0 and Q[qo + lq - 1] == U0:
            lq -= 1
        return lq, (1 if rem != U0 else 0)
    s = np.uint64(64 - bitlen(V[vo + lv - 1]))
    if s != U0:
        cs = np.uint64(64) - s
        for i in range(lv - 1, 0, -1):
            vn[i] = (V[vo + i] << s) | (V[vo + i - 1] >> cs)
        vn[0] = V[vo] << s
        un[lu] = U[uo + lu - 1] >> cs
        for i in range(lu - 1, 0, -1):
            un[i] = (U[uo + i] << s) | (U[uo + i - 1] >> cs)
        un[0] = U[uo] << s
    else:
        for i in range(lv):
            vn[i] = V[vo + i]
        un[lu] = U0
        for i in range(lu):
            un[i] = U[uo + i]
    vtop = vn[lv - 1]
    vnext = vn[lv - 2]
    preinv = lu - lv > 1
    vinv = reciprocal(vtop) if preinv else U0
    for j in range(lu - lv, -1, -1):
        u2 = un[j + lv]
        u1 = un[j + lv - 1]
        u0 = un[j + lv - 2]
        if u2 >= vtop:              # then u2 == vtop and the estimate is 2^64 - 1
            qhat = ALL
            rhat = u1 + vtop
            check = rhat >= vtop    # rhat did not wrap: it is < 2^64 and the test applies
        else:
            if preinv:
                qhat, rhat = div2by1_preinv(u2, u1, vtop, vinv)
            else:
                qhat, rhat = div2by1(u2, u1, vtop)
            check = True
        while check:                # qhat vnext > rhat 2^64 + u0: qhat is too large
            plo, phi = _mac(U0, qhat, vnext, U0)
            if phi > rhat or (phi == rhat and plo > u0):
                qhat -= U1
                nr = rhat + vtop
                check = nr >= rhat  # stop once rhat >= 2^64
                rhat = nr
            else:
                check = False
        carry = U0                  # un[j:j+lv+1] -= qhat vn, one carry chain
        for i in range(lv):
            plo, phi = _mac(U0, qhat, vn[i], carry)
            t = un[i + j]
            un[i + j] = t - plo
            carry = phi + (U1 if t < plo else U0)
        t = un[j + lv]
        un[j + lv] = t - carry
        if t < carry:               # one V too many was subtracted: add it back
            qhat -= U1
            c = U0
            for i in range(lv):
                lo, c = _mac(un[i + j], vn[i], U1, c)
                un[i + j] = lo
            un[j + lv] = un[j + lv] + c
        Q[qo + j] = qhat
    if s != U0:
        cs = np.uint64(64) - s
        for i in range(lv - 1):
            R[ro + i] = (un[i] >> s) | (un[i + 1] << cs)
        R[ro + lv - 1] = un[lv - 1] >> s
    else:
        for i in range(lv):
            R[ro + i] = un[i]
    lq = lu - lv + 1
    while lq > 0 and Q[qo + lq - 1] == U0:
        lq -= 1
    lr = lv
    while lr > 0 and R[ro + lr - 1] == U0:
        lr -= 1
    return lq, lr


@njit(cache=True)
def mw_divmod_kernel(U, lu, V, lv, Q, R):
    """:func:`mw_divmod` with its own scratch (for tests)."""
    un = np.zeros(lu + 2, np.uint64)
    vn = np.zeros(lv + 2, np.uint64)
    return mw_divmod(U, 0, lu, V, 0, lv, Q, 0, R, 0, un, vn)


@njit(cache=True)
def mw_mul_kernel(A, la, B, lb, C):
    """:func:`mw_mul` (for tests)."""
    return mw_mul(A, 0, la, B, 0, lb, C, 0)


@njit(cache=True)
def write_limbs(buf, pos, A, ao, la, width):
    """Put the multiword A (< 2^width) in ``width`` bits, most significant first."""
    if width > 0:
        hi = (width - 1) // 64
        pos = put(buf, pos, A[ao + hi] if hi < la else U0, width - 64 * hi)
        for j in range(hi - 1, -1, -1):
            pos = put(buf, pos, A[ao + j] if j < la else U0, 64)
    return pos


@njit(cache=True)
def read_limbs(buf, pos, width, A, ao):
    """Get ``width`` bits as a multiword into A[ao:] (caller checks bounds); returns
    (new position, trimmed length)."""
    if width == 0:
        return pos, 0
    hi = (width - 1) // 64
    A[ao + hi] = get(buf, pos, width - 64 * hi)
    pos += width - 64 * hi
    for j in range(hi - 1, -1, -1):
        A[ao + j] = get(buf, pos, 64)
        pos += 64
    n = hi + 1
    while n > 0 and A[ao + n - 1] == U0:
        n -= 1
    return pos, n


# ---------------------------------------------------------------- radix trees
# Divide-and-conquer mixed-radix conversion. The radices r_0..r_{N-1} (first most
# significant) are cut greedily into runs whose product fits in 64 bits: the leaves, one
# limb each. A balanced binary tree over the leaves holds at every node the product P of its
# radices (built bottom-up, schoolbook products) and a value X < P, the mixed-radix number
# of its digits, with X(node) = X(left) P(right) + X(right). Encoding builds X bottom-up
# (one product and one addition per node); decoding splits the root value top-down with
# one division per node: X(left), X(right) = divmod(X(node), P(right)). The cost is
# dominated by the top nodes: about L^2 / 2 limb products for an L-limb group value (and as
# many for the division), against N L / 2 dependent hardware divisions for the simple
# decoder (N radices, about 2.5 per 32-bit limb at k/d = 0.1): the group decode is ~10x
# faster at d = 10^7, k = 10^6 (0.42 s -> 0.05 s for the top-level ranks).
@njit(cache=True)
def tree_shape(n):
    """Offsets of a balanced binary tree over n >= 1 one-limb leaves, level by level.

    Level t has cnt[t] nodes; node i of level t (global index base[t] + i) covers the
    leaves [i 2^t, (i+1) 2^t), has children 2i and 2i + 1 of level t - 1 (the last node
    of a level may have only the first) and owns 2^t + 2 limbs from off[base[t] + i] in
    the value and product stores (a product of 2^t one-limb leaves has <= 2^t limbs; the
    quotient written by Knuth's algorithm may take one limb more)."""
    levels = 1
    c = n
    while c > 1:
        c = (c + 1) >> 1
        levels += 1
    cnt = np.empty(levels, np.int64)
    base = np.empty(levels + 1, np.int64)
    c = n
    base[0] = 0
    for t in range(levels):
        cnt[t] = c
        base[t + 1] = base[t] + c
        c = (c + 1) >> 1
    off = np.empty(base[levels] + 1, np.int64)
    o = 0
    for t in range(levels):
        stride = (1 << t) + 2
        for i in range(cnt[t]):
            off[base[t] + i] = o
            o += stride
    off[base[levels]] = o
    return cnt, base, off


@njit(cache=True)
def pack_leaves(radix, nr, digits, P, PL, X, XL, first):
    """Cut radix[:nr] (each >= 2) into maximal runs whose product fits in 64 bits (greedy,
    in order): run i is leaf i, at limb 3 i (the level-0 stride), with its product in P
    and, if ``digits`` is nonempty, its mixed-radix value in X (< the product).
    first[i] = index of the first radix of leaf i, first[m] = nr. Returns m."""
    m = 0
    prod = U1
    val = U0
    first[0] = 0
    withdigits = digits.size > 0
    for j in range(nr):
        r = radix[j]
        if prod > ALL // r:
            P[3 * m] = prod
            PL[m] = 1
            X[3 * m] = val
            XL[m] = 1 if val != U0 else 0
            m += 1
            first[m] = j
            prod = U1
            val = U0
        prod *= r
        if withdigits:
            val = val * r + digits[j]
    P[3 * m] = prod
    PL[m] = 1
    X[3 * m] = val
    XL[m] = 1 if val != U0 else 0
    m += 1
    first[m] = nr
    return m


@njit(cache=True)
def build_products(cnt, base, off, P, PL):
    """Product tree over the leaves already in P: node = product of its children."""
    for t in range(1, cnt.size):
        for i in range(cnt[t]):
            node = base[t] + i
            a = base[t - 1] + 2 * i
            o = off[node]
            if 2 * i + 1 < cnt[t - 1]:
                b = a + 1
                PL[node] = mw_mul(P, off[a], PL[a], P, off[b], PL[b], P, o)
            else:
                for j in range(PL[a]):
                    P[o + j] = P[off[a] + j]
                PL[node] = PL[a]


@njit(cache=True)
def value_from_digits(cnt, base, off, P, PL, X, XL):
    """Bottom-up: X(node) = X(left) P(right) + X(right); the leaves hold their values."""
    for t in range(1, cnt.size):
        for i in range(cnt[t]):
            node = base[t] + i
            a = base[t - 1] + 2 * i
            o = off[node]
            if 2 * i + 1 < cnt[t - 1]:
                b = a + 1
                ln = mw_mul(X, off[a], XL[a], P, off[b], PL[b], X, o)
                XL[node] = mw_add_into(X, o, ln, X, off[b], XL[b])
            else:
                for j in range(XL[a]):
                    X[o + j] = X[off[a] + j]
                XL[node] = XL[a]


@njit(cache=True)
def digits_from_value(cnt, base, off, P, PL, X, XL, un, vn):
    """Top-down remainder tree: the root value (< the root product) is split at every
    node into X(left) = X // P(right) and X(right) = X % P(right)."""
    for t in range(cnt.size - 1, 0, -1):
        for i in range(cnt[t]):
            node = base[t] + i
            a = base[t - 1] + 2 * i
            o = off[node]
            if 2 * i + 1 < cnt[t - 1]:
                b = a + 1
                lq, lr = mw_divmod(X, o, XL[node], P, off[b], PL[b], X, off[a], X, off[b],
                                   un, vn)
                XL[a] = lq
                XL[b] = lr
            else:
                for j in range(XL[node]):
                    X[off[a] + j] = X[o + j]
                XL[a] = XL[node]


@njit(cache=True)
def _pminus1_bits(P, po, lp):
    """ceil(log2 P) = bitlen(P - 1) for the trimmed multiword P >= 1 (not modified)."""
    j = 0
    while P[po + j] == U0:
        j += 1
    if j == lp - 1 and P[po + j] == U1:
        return 64 * j
    if j == lp - 1:
        return 64 * j + bitlen(P[po + j] - U1)
    return 64 * (lp - 1) + bitlen(P[po + lp - 1])


@njit(cache=True)
def _tree_store(nleaves):
    cnt, base, off = tree_shape(nleaves)
    size = off[-1]
    return (np.zeros(size, np.uint64), np.zeros(base[-1], np.int64),
            np.zeros(size, np.uint64), np.zeros(base[-1], np.int64))


@njit(cache=True)
def mixed_radix_value(radix, digits, V):
    """V = the mixed-radix number of ``digits`` (radices >= 2, first most significant),
    by the radix tree; returns (its limb count, ceil(log2 prod radix)). V needs
    len(radix) + 2 limbs. (The conversion of :func:`write_block_ranks`, for tests.)"""
    nr = radix.size
    if nr == 0:
        return 0, 0
    P, PL, X, XL = _tree_store(nr)
    first = np.empty(nr + 1, np.int64)
    m = pack_leaves(radix, nr, digits, P, PL, X, XL, first)
    cnt, base, off = tree_shape(m)
    build_products(cnt, base, off, P, PL)
    value_from_digits(cnt, base, off, P, PL, X, XL)
    root = base[cnt.size - 1]
    for j in range(XL[root]):
        V[j] = X[off[root] + j]
    return XL[root], _pminus1_bits(P, off[root], PL[root])


@njit(cache=True)
def mixed_radix_digits(radix, V, lv, digits):
    """Inverse of :func:`mixed_radix_value` by the remainder tree; returns False if
    V >= prod radix. (The conversion of :func:`read_block_ranks`, for tests.)"""
    nr = radix.size
    if nr == 0:
        return lv == 0
    P, PL, X, XL = _tree_store(nr)
    un = np.zeros(nr + 8, np.uint64)
    vn = np.zeros(nr + 8, np.uint64)
    first = np.empty(nr + 1, np.int64)
    m = pack_leaves(radix, nr, np.empty(0, np.uint64), P, PL, X, XL, first)
    cnt, base, off = tree_shape(m)
    build_products(cnt, base, off, P, PL)
    root = base[cnt.size - 1]
    o = off[root]
    if mw_cmp(V, 0, lv, P, o, PL[root]) >= 0:
        return False
    for j in range(lv):
        X[o + j] = V[j]
    XL[root] = lv
    digits_from_value(cnt, base, off, P, PL, X, XL, un, vn)
    _leaf_digits(radix, m, first, X, XL, digits)
    return True


@njit(cache=True, inline="always")
def _leaf_digits(radix, m, first, X, XL, digits):
    """Each leaf's value (< 2^64) to its digits, last first."""
    for i in range(m):
        v = X[3 * i] if XL[i] > 0 else U0
        for j in range(first[i + 1] - 1, first[i] - 1, -1):
            r = radix[j]
            q = v // r
            digits[j] = v - q * r
            v = q


@njit(cache=True)
def write_block_ranks(buf, pos, n, counts, ranks):
    """Write the block ranks group by group: each group's ranks of blocks with
    C(B_b, k_b) > 1 as one mixed-radix number in ceil(log2 prod C(B_b, k_b)) bits."""
    nb = counts.size
    P, PL, X, XL = _tree_store(SUBSET_GROUP)
    radix = np.empty(SUBSET_GROUP, np.uint64)
    digit = np.empty(SUBSET_GROUP, np.uint64)
    first = np.empty(SUBSET_GROUP + 1, np.int64)
    g0 = 0
    while g0 < nb:
        g1 = min(nb, g0 + SUBSET_GROUP)
        nr = 0
        for b in range(g0, g1):
            R = BINOM[_block_size(b, nb, n), counts[b]]
            if R > U1:
                radix[nr] = R
                digit[nr] = ranks[b]
                nr += 1
        if nr > 0:
            m = pack_leaves(radix, nr, digit[:nr], P, PL, X, XL, first)
            cnt, base, off = tree_shape(m)
            build_products(cnt, base, off, P, PL)
            value_from_digits(cnt, base, off, P, PL, X, XL)
            root = base[cnt.size - 1]
            width = _pminus1_bits(P, off[root], PL[root])
            pos = write_limbs(buf, pos, X, off[root], XL[root], width)
        g0 = g1
    return pos


@njit(cache=True)
def read_block_ranks(buf, pos, end, n, counts, out):
    """Decode the groups written by write_block_ranks; write sorted positions into out."""
    nb = counts.size
    P, PL, X, XL = _tree_store(SUBSET_GROUP)
    un = np.zeros(SUBSET_GROUP + 8, np.uint64)
    vn = np.zeros(SUBSET_GROUP + 8, np.uint64)
    radix = np.empty(SUBSET_GROUP, np.uint64)
    digit = np.empty(SUBSET_GROUP, np.uint64)
    first = np.empty(SUBSET_GROUP + 1, np.int64)
    nodigits = np.empty(0, np.uint64)
    t = 0
    g0 = 0
    while g0 < nb:
        g1 = min(nb, g0 + SUBSET_GROUP)
        nr = 0
        for b in range(g0, g1):
            R = BINOM[_block_size(b, nb, n), counts[b]]
            if R > U1:
                radix[nr] = R
                nr += 1
        if nr > 0:
            m = pack_leaves(radix, nr, nodigits, P, PL, X, XL, first)
            cnt, base, off = tree_shape(m)
            build_products(cnt, base, off, P, PL)
            root = base[cnt.size - 1]
            o = off[root]
            lp = PL[root]
            width = _pminus1_bits(P, o, lp)
            if pos + width > end:
                return TRUNCATED
            pos, lv = read_limbs(buf, pos, width, X, o)
            if mw_cmp(X, o, lv, P, o, lp) >= 0:
                return CORRUPTED
            XL[root] = lv
            digits_from_value(cnt, base, off, P, PL, X, XL, un, vn)
            _leaf_digits(radix, m, first, X, XL, digit)
        # unrank each block (colex): c_{i-1} = largest c with C(c, i) <= r, i = k_b .. 1.
        # As r < C(c_i, i) at every step (r < C(B_b, k_b) at the start: the digit is a
        # remainder), that c is the number of c' in [0, 32) with C(c', i) <= r, minus one:
        # a branch-free count over a row of the transposed table.
        j = 0
        for b in range(g0, g1):
            k = counts[b]
            if BINOM[_block_size(b, nb, n), k] > U1:
                r = digit[j]
                j += 1
            else:
                r = U0
            base_t = t
            for i in range(k, 0, -1):
                row = BINOM_T[i]
                cnt = 0
                for cc in range(SUBSET_BLOCK):
                    cnt += np.int64(row[cc] <= r)
                c = cnt - 1
                r -= row[c]
                out[base_t + i - 1] = SUBSET_BLOCK * b + c
            t += k
        g0 = g1
    return pos


# ---------------------------------------------------------------- exact colex rank
# The exact regime's rank sum_i C(c_i, i+1) (< C(n, m) <= 2^4096) on 64-bit limbs. One
# binomial B = C(c, j) follows the elements; its updates are ratios of small integers,
# C(c, j+1) = C(c, j) (c - j)/(j + 1) and C(c+1, j) = C(c, j) (c + 1)/(c + 1 - j), batched
# into 64-bit numerator and denominator products and applied by one exact multiply-divide
# pass (the quotient is an integer: it is the binomial at the end of the batch).
@njit(cache=True, inline="always")
def _inv64(d):
    """d^-1 mod 2^64 for odd d (Newton: each step doubles the number of correct bits)."""
    x = d                               # correct to 3 bits: d d = 1 mod 8 for odd d
    for _ in range(5):
        x *= np.uint64(2) - d * x
    return x


@njit(cache=True, inline="always")
def _mul_div_exact(B, lb, num, den):
    """B <- B num / den in place, for a quotient known to be an integer; num, den >= 1.
    B needs lb + 1 limbs. Returns the trimmed length.

    One pass from the lowest limb: the product limb by limb, divided exactly by the odd
    part of den with its inverse mod 2^64 (Jebelean's exact division, as GMP's
    divexact_1), then a right shift by den's power of two."""
    if lb == 0:
        return 0
    s = np.uint64(0)
    while (den & U1) == U0:
        den >>= U1
        s += U1
    inv = _inv64(den)
    carry = U0          # of the product
    c = U0              # of the exact division
    for j in range(lb + 1):
        a = B[j] if j < lb else U0
        p, carry = _mac(U0, a, num, carry)
        l, cbit = _sub_borrow(p, c, U0)
        q = l * inv
        qlo, qhi = _mac(U0, q, den, U0)
        c = qhi + cbit
        B[j] = q
    n = lb + 1
    if s != U0:
        cs = np.uint64(64) - s
        for j in range(n - 1):
            B[j] = (B[j] >> s) | (B[j + 1] << cs)
        B[n - 1] >>= s
    while n > 0 and B[n - 1] == U0:
        n -= 1
    return n


@njit(cache=True, inline="always")
def _fits(a, b):
    """a b < 2^64 (conservative, by bit lengths)."""
    return bitlen(a) + bitlen(b) <= 64


@njit(cache=True)
def _binom_from_scratch(B, c, j):
    """B = C(c, j) for 0 <= j <= c: prod_{t=1..j} (c - j + t)/t; returns the length."""
    B[0] = U1
    lb = 1
    num = U1
    den = U1
    for t in range(1, j + 1):
        f = np.uint64(c - j + t)
        g = np.uint64(t)
        if not (_fits(num, f) and _fits(den, g)):
            lb = _mul_div_exact(B, lb, num, den)
            num = U1
            den = U1
        num *= f
        den *= g
    return _mul_div_exact(B, lb, num, den)


@njit(cache=True)
def colex_rank(idx, cap):
    """(limbs, length) of sum_i C(idx[i], i + 1), for sorted distinct 0 <= idx < 2^32.

    ``cap`` limbs must hold the rank and every binomial on the way (C(c, j) <= C(n, m) for
    j <= m <= n/2, so ceil(log2 C(n, m) / 64) + 1 is enough). A gap longer than j
    recomputes C(c, j) from scratch (j factors) instead of walking it."""
    m = idx.size
    R = np.zeros(cap + 2, np.uint64)
    B = np.zeros(cap + 2, np.uint64)
    c = idx[0]
    j = 1
    B[0] = np.uint64(c)
    lb = 1 if c > 0 else 0
    lr = mw_add_into(R, 0, 0, B, 0, lb)
    for i in range(1, m):
        ct = idx[i]
        jt = i + 1
        if ct < jt:                     # C(ct, jt) = 0: the prefix 0..i is full
            c = ct
            j = jt
            lb = 0
            continue
        if lb == 0 or c == j or ct - c > jt:
            c = ct                      # from a zero, C(c, j+1) = 0, or a long gap
            j = jt
            lb = _binom_from_scratch(B, c, j)
        else:
            num = np.uint64(c - j)      # C(c, j+1) = C(c, j) (c - j)/(j + 1)
            den = np.uint64(j + 1)
            j += 1
            while c < ct:               # C(c+1, j) = C(c, j) (c + 1)/(c + 1 - j)
                f = np.uint64(c + 1)
                g = np.uint64(c + 1 - j)
                if not (_fits(num, f) and _fits(den, g)):
                    lb = _mul_div_exact(B, lb, num, den)
                    num = U1
                    den = U1
                num *= f
                den *= g
                c += 1
            lb = _mul_div_exact(B, lb, num, den)
        lr = mw_add_into(R, 0, lr, B, 0, lb)
    return R, lr


@njit(cache=True, inline="always")
def _log2_mw(A, la):
    """log2 of the multiword A (-inf for 0), from its top two limbs."""
    if la == 0:
        return -np.inf
    if la == 1:
        return math.log2(np.float64(A[0]))
    x = np.float64(A[la - 1]) * 18446744073709551616.0 + np.float64(A[la - 2])
    return math.log2(x) + 64.0 * (la - 2)


@njit(cache=True, inline="always")
def _lg_binom(c, i):
    """Float log2 C(c, i) for 0 <= i <= c (lgamma)."""
    return (math.lgamma(c + 1.0) - math.lgamma(i + 1.0)
            - math.lgamma(c - i + 1.0)) / math.log(2.0)


# Float margin (bits) above which log2 C(c, i) > log2 r is taken as certain: the float
# errors (top-two-limb logs, products of at most ~64 ratios) are below 1e-12 bits.
_LOG_MARGIN = 1e-9


@njit(cache=True)
def colex_unrank(rank, lrank, n, m, cap, out):
    """Inverse of :func:`colex_rank`: the m-subset of range(n) (n < 2^32) of colex rank
    ``rank`` (lrank limbs) into ``out``, sorted. Returns False iff rank >= C(n, m).

    For i = m..1, c_{i-1} is the largest c < c_i with C(c, i) <= r; then r -= C(c, i).
    The exact B = C(c, i) walks down (C(c-1, i) = C(c, i)(c - i)/c, batched as in
    colex_rank) while a float log2 C(c, i) is certainly above log2 r, and is compared
    exactly only near the answer; the next element continues from C(c-1, i-1) =
    C(c, i) i/c. A far target (sparse sets) is reached by a float bisection on lgamma,
    C(c0, i) from scratch at c0 = estimate + 8, and the same exact walk (up if needed).
    Invalid ranks end with r != 0: the greedy leaves r >= C(c_i, i) at every step."""
    R = np.zeros(cap + 2, np.uint64)
    B = np.zeros(cap + 2, np.uint64)
    T = np.zeros(cap + 2, np.uint64)
    for j in range(lrank):
        R[j] = rank[j]
    lr = lrank
    while lr > 0 and R[lr - 1] == U0:
        lr -= 1
    c = n - 1
    lb = 0
    num = U1
    den = U1
    known = False            # whether B num / den = C(c, i)
    for i in range(m, 0, -1):
        if lr == 0:          # the rest is 0..i-1 (c >= i - 1 here)
            for t in range(i):
                out[t] = t
            return True
        ctop = c
        lR = _log2_mw(R, lr)
        if not known:
            lBt = np.inf
        elif lb == 0:
            lBt = -np.inf
        else:
            lBt = _log2_mw(B, lb) + math.log2(np.float64(num)) - math.log2(np.float64(den))
        dec = math.log2(np.float64(c) / np.float64(c - i)) if c > i else np.inf
        if not known or (lBt - lR) > dec * (2.0 * i + 32.0):
            lo = i - 1
            hi = c
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _lg_binom(mid, i) <= lR:
                    lo = mid
                else:
                    hi = mid
            c = min(lo + 8, ctop)
            lb = _binom_from_scratch(B, c, i)
            num = U1
            den = U1
            known = True
            if c < ctop and mw_cmp(B, 0, lb, R, 0, lr) <= 0:
                while c < ctop:        # the estimate was low: walk up
                    for j in range(lb):
                        T[j] = B[j]
                    lt = _mul_div_exact(T, lb, np.uint64(c + 1), np.uint64(c + 1 - i))
                    if mw_cmp(T, 0, lt, R, 0, lr) > 0:
                        break
                    for j in range(lt):
                        B[j] = T[j]
                    lb = lt
                    c += 1
            lBt = _log2_mw(B, lb)
        while True:
            if not lBt > lR + _LOG_MARGIN:
                lb = _mul_div_exact(B, lb, num, den)
                num = U1
                den = U1
                if mw_cmp(B, 0, lb, R, 0, lr) <= 0:
                    break
                lBt = _log2_mw(B, lb)
            f = np.uint64(c - i)       # C(c, i) > r: C(c-1, i) = C(c, i)(c - i)/c
            g = np.uint64(c)
            if f == U0:                # C(i-1, i) = 0 <= r
                lb = 0
                num = U1
                den = U1
                c -= 1
                break
            if not (_fits(num, f) and _fits(den, g)):
                lb = _mul_div_exact(B, lb, num, den)
                num = U1
                den = U1
            num *= f
            den *= g
            c -= 1
            lBt += math.log2(np.float64(f) / np.float64(g))
        out[i - 1] = c
        lr = mw_sub_into(R, lr, B, lb)
        if c == 0 or lb == 0:
            known = False
            lb = 0
        else:                          # C(c-1, i-1) = C(c, i) i / c
            num = np.uint64(i)
            den = np.uint64(c)
        c -= 1
    return lr == 0

# ---------------------------------------------------------------- index-set helpers
@njit(cache=True)
def complement(idx, n):
    """The sorted complement in range(n) of the sorted distinct int64 ``idx``."""
    out = np.empty(n - idx.size, np.int64)
    c = 0
    j = 0
    for i in range(n):
        if j < idx.size and idx[j] == i:
            j += 1
        else:
            out[c] = i
            c += 1
    return out


@njit(cache=True)
def first_not_increasing(idx):
    """The first i with idx[i + 1] <= idx[i], or -1 (idx strictly increasing)."""
    for i in range(idx.size - 1):
        if idx[i + 1] <= idx[i]:
            return i
    return -1


@njit(cache=True)
def chain_levels(counts, levels):
    """The profile chain S_j = {b : counts[b] >= j}, j = 1..levels, each as positions in
    S_{j-1} (S_0 = all blocks): level j is flat[start[j-1]:start[j]]."""
    nb = counts.size
    total = 0
    for b in range(nb):
        total += min(counts[b], levels)
    flat = np.empty(total, np.int64)
    start = np.zeros(levels + 1, np.int64)
    cur = np.arange(nb)
    ncur = nb
    o = 0
    for j in range(1, levels + 1):
        nxt = 0
        for q in range(ncur):
            b = cur[q]
            if counts[b] >= j:
                flat[o] = q
                o += 1
                cur[nxt] = b
                nxt += 1
        ncur = nxt
        start[j] = o
    return flat, start


@njit(cache=True)
def append_bits(dst, dpos, src, nbits):
    """Copy the first ``nbits`` bits of the word buffer ``src`` to ``dst`` at ``dpos``."""
    p = 0
    while nbits - p >= 64:
        dpos = put(dst, dpos, src[p >> 6], 64)
        p += 64
    r = nbits - p
    if r > 0:
        dpos = put(dst, dpos, src[p >> 6] >> np.uint64(64 - r), r)
    return dpos
