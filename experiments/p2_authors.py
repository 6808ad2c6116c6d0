"""Tables of docs/optimal_compression.md §2 and §3 for the AUTHORS' constructions (P2's poster):
deterministic Sparse Dithering's exact worst case against the poster's formulas and the lower
bounds, and Spherical Compression's Rice code of T against -log2 P + 3. Everything is exact
(no sampling).

    PYTHONPATH=. python experiments/p2_authors.py            # markdown tables (~1 minute)
"""
from __future__ import annotations

import math

from theorytools.bounds import (log2_cap_measure, uncertainty_principle_bits, worst_case_bits,
                                worst_case_bits_log_d)
from theorytools.compressors.sparse_dithering import SparseDitheringDet
from theorytools.compressors.spherical import (Spherical, SphericalProjection, default_block,
                                               rice_mean_length, rice_parameter_from_p)


def sd_table(ds=(10, 100, 1000, 10 ** 4, 10 ** 5), nu=0.1):
    c = SparseDitheringDet(nu)
    rows = ["| d | exact worst bits, ideal zero-set code | per coord | m* nonzeros (τ*) | "
            "toolkit codec: proven bound / constructed input | poster formula at τ* | "
            "poster formula max over τ | headline 1.66d+1.69d+log2 d+30 | headline met? | "
            "b_LB(ν,d) | P2 −log2P+log2 d | (d/2)log2(1/ν) | gap to P2 bound per coord |",
            "|" + "---|" * 13]
    for d in ds:
        ideal, m, _, _ = c.worst_case_profile(d, ideal_subset_code=True)
        bound = c.worst_case_bound(d)
        attained = c.encode(c.adversarial_input(d)).nbits
        n0 = d - m
        at_tau = SparseDitheringDet.poster_formula(d, nu, n0)
        fmax = max(SparseDitheringDet.poster_formula(d, nu, k) for k in range(d))
        head = SparseDitheringDet.headline_bits(d)
        lb, lbd = worst_case_bits(nu, d), worst_case_bits_log_d(nu, d)
        up = uncertainty_principle_bits(nu, d)
        rows.append(f"| {d} | {ideal:.0f} | {ideal / d:.4f} | {m} ({n0 / d:.3f}) | "
                    f"{bound:.0f} / {attained} | {at_tau:.1f} | {fmax:.1f} ({fmax / d:.3f}d) | "
                    f"{head:.1f} | {'yes' if ideal <= head else 'NO'} ({ideal - head:+.1f}) | "
                    f"{lb:.1f} | {lbd:.1f} | {up:.1f} | {(ideal - lbd) / d:.4f} |")
    return "\n".join(rows)


def sc_table(ds=(2, 3, 5, 10, 20, 40, 100), alphas=(0.1, 0.25, 0.5, 0.75, 0.9),
             max_search_bits=20.0):
    rows = ["| d | α | −log2 P | Rice k (chosen / proof) | mean Rice bits of T | "
            "− (−log2 P) | "
            "E distortion, authors' | E distortion, projection (ours) |",
            "|---|---|---|---|---|---|---|---|"]
    for d in ds:
        for a in alphas:
            lp = log2_cap_measure(a, d)
            if -lp > max_search_bits:
                continue
            c = Spherical(a, d)
            k = c.block_constants(d)["rice_k"]
            mean = rice_mean_length(2.0 ** lp, k)
            proj = 1 - 1 / SphericalProjection(a, d).theory(d).delta.value
            rows.append(f"| {d} | {a:g} | {-lp:.3f} | {k} / {rice_parameter_from_p(2.0 ** lp)}"
                        f" | {mean:.3f} | {mean + lp:.3f} | {c.expected_distortion(d):.5f} | "
                        f"{proj:.5f} |")
    return "\n".join(rows)


def block_table(cases=((0.5, 100), (0.5, 1000), (0.25, 100), (0.75, 1000))):
    rows = ["| α | d | block (default) | blocks | mean bits, blocked (norms + Rice) | "
            "−log2 P(α,d) + 3 + w (one search) | price of the blocks (bits) |",
            "|---|---|---|---|---|---|---|"]
    for a, d in cases:
        c = Spherical(a, default_block(a, d))
        _, sizes = c.layout(d)
        blocked = sum(32 + c.block_constants(b)["rice_expected"] for b in sizes)
        one = 32 - log2_cap_measure(a, d) + 3
        rows.append(f"| {a:g} | {d} | {c.params['block']} | {len(sizes)} | {blocked:.1f} | "
                    f"{one:.1f} | {c.block_price(d):.1f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(sd_table())
    print()
    print(sc_table())
    print()
    print(block_table())
