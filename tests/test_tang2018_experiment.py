"""The helpers of experiments/tang2018.py: the piecewise schedule emulation is one run bit for
bit, a diverging run is cut at its failing step with the same trajectory, and the verdict
helpers say "not reproduced" / "diverged" on planted bad runs."""
import math

import numpy as np
import pytest

from theorytools.algorithms import dcd_psgd, ecd_psgd
from theorytools.compressors import create
from theorytools.experiment import load_experiment
from theorytools.problems import logistic
from theorytools.topology import ring

T = 60


@pytest.fixture(scope="module")
def mod():
    return load_experiment("tang2018")


@pytest.fixture(scope="module")
def problem(mod):
    F, y = mod.synthetic_logistic(400, 6, 0)
    return logistic(F, y, 8, 0.05, batch=4, split="random", seed=0)


def test_pieces_equal_one_run_at_constant_step(mod, problem):
    q = create("dithering[s=7]")
    record = np.arange(0, T + 1, 5)
    for method, algo in (("dcd_psgd", dcd_psgd), ("ecd_psgd", ecd_psgd)):
        a = mod.decentralized(method, problem, ring(8), q, T, seed=3, constant=True)(T, record)
        b = algo(problem, ring(8), q, mod.step_size(problem), T, seed=3, record=record)
        assert np.array_equal(a["f_gap"], b.f_gap) and np.array_equal(a["bits"], b.bits)
        assert np.array_equal(a["steps"], record)


def test_schedule_is_the_documented_step_decay(mod):
    g = mod.gammas(2.0, 8)
    assert g.tolist() == [2.0] * 4 + [0.2] * 2 + [0.02] * 2


def test_a_diverging_run_is_cut_at_its_failure_with_the_same_trajectory(mod, problem):
    q = create("dithering[s=1]")            # 2 bits: DCD's messages leave the wire format
    # the --quick problem, where DCD-PSGD with 2-bit QSGD fails at step 441 (summary.md)
    big = logistic(*mod.synthetic_logistic(4000, 50, 0), 8, 0.05, batch=16, split="random")
    fn = mod.decentralized("dcd_psgd", big, ring(8), q, 1000, seed=1, constant=True)
    record = np.arange(0, 1001, 10)
    out = mod._run(fn, 1000, record)
    k = out["failed_at"]
    assert k == 441
    again = fn(k - 1, record[record <= k - 1])
    n = again["steps"].size
    assert np.array_equal(out["f_gap"][:n], again["f_gap"])
    assert math.isinf(mod.final(out)) and mod.diverged(out, 1e300)


def _fake(values, failed=None):
    v = np.asarray(values, dtype=float)
    return {"steps": np.arange(v.size), "f_gap": v, "g_sq": v, "failed_at": failed,
            "bits": np.tile(np.arange(v.size)[:, None] * 10, (1, 2))}


def test_planted_bad_runs_get_the_bad_verdicts(mod):
    ref = mod.final(_fake([1.0] * 10))
    good, bad = _fake([1.0] * 10), _fake([1.0] * 8 + [2.0, 2.0])
    r = mod._tracks({"good": good, "bad": bad}, ref, ["good", "bad"])
    assert r["good"] <= mod.TRACK < r["bad"]
    assert mod._verdict([v <= mod.TRACK for v in r.values()]) == "partially reproduced"
    assert mod._verdict([False, False]) == "not reproduced"
    assert mod.diverged(_fake([1.0, 5.0, 5.0]), 1.0) and not mod.diverged(good, 2.0)
    assert mod.diverged(_fake([0.1], failed=3), 1.0)
    assert mod._time_to_target(_fake([3.0, 2.0, 1.0]), 1.5) == 2.0
    assert math.isinf(mod._time_to_target(_fake([3.0, 2.0]), 1.5))
    assert mod.bits_per_step(_fake([1.0] * 4)) == 10.0
    uneven = _fake([1.0] * 4)
    uneven["bits"][2, 1] += 1
    with pytest.raises(ValueError, match="fixed-length"):
        mod.bits_per_step(uneven)
