"""The two slips on P1's poster (docs/theorems.md "Poster slips"): each proof check computes the
counterexample that refutes the slip and confirms the kept relation; a planted coefficient at
which the slip would be true makes it FAIL."""
from fractions import Fraction

from proofs_check.poster_slips import b1_in_b2_slip, unbiased_rescaling_slip


def test_slips_are_refuted():
    for run in (b1_in_b2_slip, unbiased_rescaling_slip):
        result = run()
        assert result.verdict == "PASS", result.detail


def test_planted_cases_where_the_slip_would_hold_fail():
    # C = I: B1(1, 1) and B2(1, 1) coincide, the slip is not refuted there
    assert b1_in_b2_slip(lam=Fraction(1)).verdict == "FAIL"
    # zeta = 1 (k = d, C = identity): B3(1/zeta) = B3(1) holds, no refutation
    assert unbiased_rescaling_slip(d=2, k=2).verdict == "FAIL"
