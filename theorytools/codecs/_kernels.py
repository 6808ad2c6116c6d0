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

import numpy as np
from numba import njit

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
    """Fast path for 1 <= width <= 64: accumulate into a 64-bit word, store whole words."""
    w = pos >> 6
    off = pos & 63
    acc = buf[w]  # already holds the first ``off`` bits
    fill = off    # number of valid bits in acc (MSB-first)
    uw = np.uint64(width)
    for i in range(values.size):
        v = values[i]
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
    """Fast path for 1 <= width <= 64."""
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
# Positions are cut into blocks of SUBSET_BLOCK = 32 (C(32, 16) < 2**30, so a block rank
# times a 32-bit limb fits in uint64) and blocks into groups of SUBSET_GROUP = 512 blocks.
# A group's block ranks are the digits of one mixed-radix number (radix C(B_b, k_b), first
# block most significant), written in ceil(log2 prod_b C(B_b, k_b)) bits. Multiword numbers
# are little-endian arrays of 32-bit limbs stored in uint64.
SUBSET_BLOCK = 32
SUBSET_GROUP = 512
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
def write_block_ranks(buf, pos, n, counts, ranks):
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
def read_block_ranks(buf, pos, end, n, counts, out):
    """Decode the groups written by write_block_ranks; write sorted positions into out."""
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
