"""P2's classes U(omega), B(alpha), C(alpha) declared by every compressor (authors' poster of
P2; docs/optimal_compression.md §0) and the uncertainty principle alpha 4^(b/d) >= 1 over
every compressor: the registered checks pass, and each fails on a planted fault."""
import math

import pytest

from theorytools.compressors import REGISTRY, Constant, P2Classes, create, default
from theorytools.theory import get


def _verdicts(rows):
    return {label: c.passed for label, c in rows}


def test_every_compressor_declares_its_p2_classes():
    for name in REGISTRY:
        c = default(name, 16)
        cls = c.p2_classes(16)
        th = c.theory(16)
        if th.delta is not None:
            assert math.isclose(cls.alpha.value, 1 - 1 / th.delta.value, rel_tol=1e-15)
            if not c.randomized:   # deterministic compressors declare C(alpha)
                assert cls.sure_alpha is not None and cls.sure_alpha.value == cls.alpha.value
        if th.unbiased and th.omega is not None:
            assert cls.omega.value == th.omega.value
    assert create("spherical[alpha=0.3,block=4]").p2_classes(8).sure_alpha.value == 0.3
    assert create("sign").p2_classes(8).describe() == "none of U, B, C"


def test_registered_class_and_up_checks_pass():
    for key in ("albasyoni2020.p2_classes", "albasyoni2020.uncertainty_principle"):
        rows = get(key).run_checks(quick=True)
        assert rows and all(c.passed for _, c in rows), [l for l, c in rows if not c.passed]
        assert get(key).status == "author-poster"


def test_planted_wrong_declarations_fail():
    th = get("albasyoni2020.p2_classes")

    def lie(comp, d):      # top_k claims B(0.5) and C(0.5) instead of 1 - k/d
        return P2Classes(None, Constant(0.5, "planted"), Constant(0.5, "planted"))
    v = _verdicts(th.run_checks(quick=True, compressors=["top_k"], declared=lie))
    assert not v["B(alpha)[top_k,d=16]"] and not v["C(alpha)[top_k,d=16]"]

    def sure_in_mean(comp, d):   # Rand-k (biased) meets 1 - k/d in mean only, not per draw
        cls = comp.p2_classes(d)
        return P2Classes(None, cls.alpha, cls.alpha)
    v = _verdicts(th.run_checks(quick=True, compressors=["rand_k_biased"],
                                declared=sure_in_mean))
    assert v["B(alpha)[rand_k_biased,d=16]"] and not v["C(alpha)[rand_k_biased,d=16]"]

    def biased(comp, d):     # natural compression claimed unbiased with a too-small omega
        return P2Classes(Constant(0.01, "planted"), None, None)
    v = _verdicts(th.run_checks(quick=True, compressors=["natural"], declared=biased))
    assert not v["U(omega)[natural,d=16]"]


def test_planted_too_small_alpha_violates_the_uncertainty_principle():
    th = get("albasyoni2020.uncertainty_principle")
    v = _verdicts(th.run_checks(quick=True, compressors=["top_k", "natural"],
                                alpha_of=lambda c, d: 1e-6))
    assert not v["top_k[d=16]"] and not v["natural[d=16]"]


@pytest.mark.parametrize("name", ["sparse_dithering_det", "spherical", "top_k", "natural"])
def test_up_margin_is_reported(name):
    rows = get("albasyoni2020.uncertainty_principle").run_checks(quick=True, compressors=[name])
    (label, c), = rows
    assert c.passed and "alpha 4^(b/d)" in c.details


def test_verify_list_shows_the_statuses(capsys):
    from theorytools.cli import main
    from theorytools.theory.registry import STATUSES

    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    assert STATUSES == ("confirmed", "author-poster", "derived", "unconfirmed")
    assert all(f"  {s}: " in out for s in STATUSES)
