"""Does a 2x wrong constant flip a verdict? The CGD theorems of Beznosikov et al. (P1's
one-step contractions for B1, B2, B3 and U(omega); issue 16). Their checks sit at ratio 1
(the extremal start on kappa = 1 makes the proof's steps equalities), so the contraction
factor made 2x too small (the ``bound_scale`` planted-fault hook, as for the theorems of
tests/test_constant_flips.py) must FAIL rows; at scale 1 every row passes."""
from __future__ import annotations

import pytest

from theorytools.errors import TheorytoolsError
from theorytools.theory import get

KEYS = ("beznosikov2020.cgd_b1", "beznosikov2020.cgd_b2", "beznosikov2020.cgd_b3",
        "beznosikov2020.cgd_unbiased")


@pytest.mark.parametrize("key", KEYS)
def test_halved_contraction_factor_fails_and_the_true_one_passes(key):
    th = get(key)
    assert "bound_scale" in th.hooks
    honest = dict(th.run_checks(True))
    assert honest and all(c.passed for c in honest.values())
    tight = max(c.tightness for c in honest.values() if c.tightness is not None)
    assert tight > 0.5, (key, tight)           # within 2x of the bound somewhere
    planted = dict(th.run_checks(True, bound_scale=0.5))
    failed = [n for n, c in planted.items() if not c.passed]
    assert failed, key


def test_bound_scale_is_validated():
    with pytest.raises(TheorytoolsError, match="bound_scale"):
        dict(get("beznosikov2020.cgd_b3").run_checks(True, bound_scale=0.0))
