"""scaled_qsgd: QSGD divided by tau = 1 + min(d/s^2, sqrt(d)/s) (CHOCO-SGD's biased quantiser).

Exact checks use the exact law (no sampling). Planted faults at the end: a tau that is too
small (the declared delta then fails on an exact input), and a decoder that forgets the
division (the bit-exact round trip then fails).
"""
import math

import numpy as np
import pytest

from theorytools.algorithms import choco_sgd, dcd_psgd
from theorytools.compressors import create
from theorytools.compressors.contract import (check_codec, check_theory_at, check_tightness,
                                              exact_quantities, run_contract)
from theorytools.compressors.scaled_qsgd import ScaledQSGD
from theorytools.errors import TheorytoolsError
from theorytools.problems import quadratic
from theorytools.topology import ring


def _failures(results):
    return [str(r) for r in results if not r.passed]


@pytest.mark.parametrize("d,s,tau", [(4, 1, 3.0), (16, 2, 3.0), (16, 4, 2.0), (2, 4, 1.125),
                                     (100, 3, 1.0 + 10.0 / 3.0)])
def test_declared_constants_exactly(d, s, tau):
    th = create(f"scaled_qsgd[s={s}]").theory(d)
    assert create(f"scaled_qsgd[s={s}]").tau(d) == tau
    assert th.delta.value == tau and not th.delta.tight
    assert th.b1_alpha.value == 1.0 / tau ** 2 and th.b1_alpha.tight
    assert th.b2_gamma.value == 1.0 / tau and th.b2_gamma.tight
    assert th.b1_beta.value == th.b2_beta.value == 1.0
    assert not th.unbiased and th.omega is None
    for const in th.constants().values():
        assert const.status == "derived" and "UNCONFIRMED" in const.source


def test_error_identity_against_dithering_exactly():
    """E||C/tau - x||^2 = (1 - 2/tau + (1 + omega(x))/tau^2)||x||^2, omega(x) from dithering's
    exact law: the derivation of the module docstring, at float64."""
    rng = np.random.default_rng(5)
    for d, s in [(3, 1), (8, 2), (20, 3), (50, 7)]:
        q = create(f"scaled_qsgd[s={s},float_width=64]")
        base = create(f"dithering[s={s},float_width=64]")
        tau = q.tau(d)
        for _ in range(10):
            x = rng.standard_normal(d) * rng.uniform(0.1, 10)
            n2 = float(x @ x)
            omega_x = base.law(x).moments(x).error / n2
            err = q.law(x).moments(x).error / n2
            assert math.isclose(err, 1 - 2 / tau + (1 + omega_x) / tau ** 2, rel_tol=1e-12)
            assert err <= 1 - 1 / tau + 1e-12


@pytest.mark.parametrize("d", [1, 2, 4, 9, 16, 25])
def test_s1_exact_worst_case_is_below_the_declared_delta(d):
    """s = 1: omega(x) = ||x||_1/||x||_2 - 1 <= sqrt(d) - 1, attained at equal magnitudes, so
    the sup of the normalised error is 1 - (2 tau - sqrt d)/tau^2 < 1 - 1/tau: the declared
    delta is valid but not attained (declared tight=False)."""
    q = create("scaled_qsgd[s=1,float_width=64]")
    tau = q.tau(d)
    x = np.where(np.arange(d) % 2 == 0, 0.75, -0.75)
    qq = exact_quantities(q, x)
    worst = 1 - (2 * tau - math.sqrt(d)) / tau ** 2
    assert math.isclose(qq.error / qq.norm2, worst, rel_tol=1e-12, abs_tol=1e-15)
    assert worst < 1 - 1 / tau
    rng = np.random.default_rng(1)
    for _ in range(50):   # no input exceeds the equal-magnitude value
        y = rng.standard_normal(d)
        qy = exact_quantities(q, y)
        assert qy.error / qy.norm2 <= worst + 1e-12


def test_compress_is_dithering_divided_by_tau_bit_for_bit():
    x = np.random.default_rng(2).standard_normal(30)
    for width in (32, 64):
        q = create(f"scaled_qsgd[s=4,float_width={width}]")
        base = create(f"dithering[s=4,float_width={width}]")
        for seed in range(5):
            expected = base.compress(x, seed) / q.tau(30)
            assert np.array_equal(q.compress(x, seed).view(np.uint64), expected.view(np.uint64))
            msg = q.encode(x, seed)
            assert msg.nbits == base.encode(x, seed).nbits == q.bits_budget(x)
            assert np.array_equal(q.decode(msg).view(np.uint64), expected.view(np.uint64))


@pytest.mark.parametrize("spec", ["scaled_qsgd[s=1]", "scaled_qsgd[s=2]", "scaled_qsgd[s=7]",
                                  "scaled_qsgd[s=3,coding=elias]"])
@pytest.mark.parametrize("d", [1, 5, 16])
def test_contract_other_parameters(spec, d):
    for width in (64, 32):
        c = create(spec, float_width=width)
        assert not _failures(run_contract(c, d, support=d <= 8))


def test_bad_parameters_are_refused():
    with pytest.raises(TheorytoolsError, match="p"):
        ScaledQSGD(s=2, p=1.0)
    with pytest.raises(TheorytoolsError, match="s"):
        create("scaled_qsgd[s=0]")


def test_runs_in_the_algorithms_through_compress_per_node():
    """No batch kernel: the algorithms call compress per node; the bits per message are
    dithering's fixed length."""
    problem = quadratic(n=4, d=6, mu=1.0, L=4.0, seed=0)
    q = create("scaled_qsgd[s=2]")
    assert q.batch_kernel(6) is None
    tr = choco_sgd(problem, ring(4), q, 0.05, 200, consensus_step=0.5, seed=1)
    assert tr.f_gap[-1] < 1e-3 * tr.f_gap[0]
    per_message = q.bits_budget(np.zeros(6))
    assert np.all(tr.bits[-1] == 200 * per_message)
    with pytest.warns(Warning):
        dcd_psgd(problem, ring(4), q, 0.05, 10, seed=1)


# ----------------------------------------------------------------- planted faults
class _TauTooSmall(ScaledQSGD):
    """Planted fault: half the dithering bound in tau (then omega(x) > tau - 1 is possible)."""

    name = "scaled_qsgd"

    @staticmethod
    def tau_of(d, s):
        return 1.0 + 0.5 * min(d / (s * s), math.sqrt(d) / s)


class _DecodeForgetsTau(ScaledQSGD):
    """Planted fault: the receiver does not divide by tau."""

    name = "scaled_qsgd"

    def decode(self, message):
        return super().decode(message) * self.tau(message.d)


def test_planted_fault_tau_too_small_is_caught():
    c = _TauTooSmall(s=1, float_width=64)
    x = np.where(np.arange(16) % 2 == 0, 1.0, -1.0)   # omega(x) = 3 > tau - 1 = 2
    failed = [r for r in check_theory_at(c, x, "equal magnitudes") if not r.passed]
    assert any(r.check == "delta" for r in failed)
    # the real one passes on the same input
    assert not _failures(check_theory_at(ScaledQSGD(s=1, float_width=64), x, "equal"))


def test_planted_fault_decoder_without_division_is_caught():
    x = np.random.default_rng(0).standard_normal(9)
    assert _failures(check_codec(_DecodeForgetsTau(s=2), x, "gaussian"))
    assert not _failures(check_codec(ScaledQSGD(s=2), x, "gaussian"))


def test_planted_fault_wrong_tightness_claim_is_caught():
    """Declaring delta tight would fail: no extremal input attains it."""
    class _ClaimsTight(ScaledQSGD):
        name = "scaled_qsgd"

        def theory(self, d):
            import dataclasses
            th = super().theory(d)
            return dataclasses.replace(th, delta=dataclasses.replace(th.delta, tight=True))

        def extremal_inputs(self, d):
            return super().extremal_inputs(d) + [
                type(super().extremal_inputs(d)[0])("delta", np.ones(d), "equal magnitudes")]

    assert _failures(check_tightness(_ClaimsTight(s=1, float_width=64), 9))
