"""Trace schedules that make the fixed cost of a run optional (issue 15): ``record=None`` (no
trace point: no loss evaluation over the samples) and ``record="final"`` (t = T only). The
iterates do not depend on what is recorded; the recorded values are those of a full trace."""
import warnings

import numpy as np
import pytest

from test_algorithms import quadratic_problem
from theorytools import algorithms as alg
from theorytools.compressors import create
from theorytools.errors import TheorytoolsError
from theorytools.topology import ring

N, D, T = 5, 6, 20


def _same(a, b):
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    return a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _runs(record):
    p = quadratic_problem(N, D, sigma=0.2)
    c = create("dithering[s=4]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        return [alg.dcd_psgd(p, ring(N), c, 0.05, T, seed=1, record=record),
                alg.choco_sgd(p, ring(N), c, 0.05, T, seed=1, record=record,
                              consensus_step=0.5),
                alg.dpsgd(p, ring(N), 0.05, T, seed=1, record=record, threads=2),
                alg.ef_sgd(p, c, 0.05, T, seed=1, record=record),
                alg.local_sgd(p, T, 4, stepsize=0.05, seed=1, record=record)]


@pytest.fixture(scope="module")
def every():
    return _runs("every")


def test_record_none_runs_the_same_iterates_and_records_nothing(every):
    for full, bare in zip(every, _runs(None)):
        assert _same(full.X, bare.X) and _same(full.x_bar, bare.x_bar), full.algorithm
        assert bare.steps.size == 0 and bare.f_gap.size == 0 and bare.bits.shape[0] == 0


def test_record_final_is_the_last_point_of_a_full_trace(every):
    for full, last in zip(every, _runs("final")):
        assert list(last.steps) == [T]
        for field in ("f_gap", "grad_norm_sq", "dist_sq", "consensus", "bits", "wall_time"):
            assert _same(getattr(last, field)[-1], getattr(full, field)[-1]), field
        assert _same(full.X, last.X)


def test_planted_fault_the_comparison_sees_one_ulp(every):
    bad = every[0].X.copy()
    bad[1, 2] = np.nextafter(bad[1, 2], -np.inf)
    assert not _same(every[0].X, bad)


def test_schedule_final_and_bad_records():
    assert list(alg.schedule(7, "final")) == [7]
    p = quadratic_problem(N, D)
    for bad in ("last", np.array([3, 2]), np.array([0, T + 1]), np.zeros((2, 2), int)):
        with pytest.raises(TheorytoolsError, match="record must be|schedule kind must be"):
            alg.dpsgd(p, ring(N), 0.05, T, record=bad)
