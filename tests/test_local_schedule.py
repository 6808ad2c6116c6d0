"""local_sgd with a step-size schedule (array) and its bad input."""
import numpy as np
import pytest

from theorytools.algorithms import local_sgd
from theorytools.errors import TheorytoolsError
from theorytools.problems import quadratic


@pytest.fixture(scope="module")
def prob():
    return quadratic(4, 4, 1.0, 2.0, sigma=1.0, seed=3)


def test_schedule_equals_the_named_schedules(prob):
    rec = np.array([0, 60])
    const = local_sgd(prob, 60, 4, stepsize=0.1, seed=1, record=rec)
    arr = local_sgd(prob, 60, 4, stepsize=np.full(60, 0.1), seed=1, record=rec)
    assert np.array_equal(const.X, arr.X)
    stich = local_sgd(prob, 60, 4, seed=1, record=rec, asynchronous=True)
    a = stich.meta["a"]
    same = local_sgd(prob, 60, 4, stepsize=4.0 / (prob.mu * (a + np.arange(60))), a=a, seed=1,
                     record=rec, asynchronous=True)
    assert np.array_equal(stich.X, same.X) and np.array_equal(stich.x_bar, same.x_bar)
    assert list(stich.meta["offsets"]) == [0, 1, 2, 3]
    # a different schedule changes the run (the argument is not ignored)
    other = local_sgd(prob, 60, 4, stepsize=np.linspace(0.2, 0.01, 60), seed=1, record=rec)
    assert not np.array_equal(const.X, other.X)


@pytest.mark.parametrize("bad, match", [
    (np.full(59, 0.1), "T = 60"), (np.r_[np.full(59, 0.1), 0.0], r"stepsize\[59\]"),
    (np.r_[np.nan, np.full(59, 0.1)], r"stepsize\[0\]"), ("fast", "stepsize")])
def test_bad_schedules_are_refused(prob, bad, match):
    with pytest.raises(TheorytoolsError, match=match):
        local_sgd(prob, 60, 4, stepsize=bad)
