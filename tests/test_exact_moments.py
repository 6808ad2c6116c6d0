"""The exact DCD/Bernoulli moment recursion (derived exact moments (docs/sources.md#derived)) against exact enumeration and against
the simulator's mean (Hoeffding, p_fail 1e-9, ranges from the enumeration)."""
import math

import numpy as np
import pytest

from theorytools import algorithms as alg
from theorytools.algorithms.exact_moments import (dcd_bernoulli_enumeration,
                                                  dcd_bernoulli_moments)
from theorytools.compressors import create
from theorytools.compressors.contract import hoeffding_radius
from theorytools.problems import Noise
from theorytools.problems.quadratic import certify_quadratic
from theorytools.topology import complete, from_matrix, ring

W3 = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]])


def _problem(a, centres, sigma=0.0):
    n, d = centres.shape
    A = np.tile(np.diag(a), (n, 1, 1))
    b = centres * a
    c = 0.5 * np.sum(centres ** 2 * a, axis=1)
    noise = Noise("additive", sigma) if sigma else Noise()
    return certify_quadratic("separable", A, b, c, noise)


@pytest.mark.parametrize("p", [1.0, 0.7, 0.4])
def test_recursion_equals_enumeration(p):
    a = np.array([1.0, 3.0])
    centres = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.0]])
    rec = dcd_bernoulli_moments(W3, a, centres, 0.2, p, 2, x0=np.array([0.3, 0.1]))
    enum, _ = dcd_bernoulli_enumeration(W3, a, centres, 0.2, p, 2, x0=np.array([0.3, 0.1]))
    assert np.allclose(rec.dist_sq, enum.dist_sq, rtol=1e-12, atol=1e-14)
    assert np.allclose(rec.consensus, enum.consensus, rtol=1e-12, atol=1e-14)


def test_planted_wrong_recursion_fails_against_enumeration():
    """Dropping the beta term (treating the compressor as exact) must disagree."""
    a = np.array([2.0])
    centres = np.array([[1.0], [0.0], [-2.0]])
    enum, _ = dcd_bernoulli_enumeration(W3, a, centres, 0.2, 0.5, 4)
    wrong = dcd_bernoulli_moments(W3, a, centres, 0.2, 1.0, 4)
    assert not np.allclose(wrong.consensus, enum.consensus, rtol=1e-6)


def test_simulator_mean_matches_the_exact_moments():
    a = np.array([1.0, 3.0])
    centres = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.0]])
    p, gamma, T = 0.6, 0.2, 2
    problem = _problem(a, centres)
    top = from_matrix(W3)
    exact, (lo, hi) = dcd_bernoulli_enumeration(W3, a, centres, gamma, p, T)
    R = 4000
    dist = np.zeros(T + 1)
    cons = np.zeros(T + 1)
    c = create(f"bernoulli[p={p}]", float_width=64)
    for seed in range(R):
        tr = alg.dcd_psgd(problem, top, c, gamma, T, seed=seed, record="every")
        dist += tr.dist_sq
        cons += tr.consensus
    dist /= R
    cons /= R
    for t in range(T + 1):
        # union bound over the 2 (T + 1) assertions keeps the total false-failure <= 1e-9
        pf = 1e-9 / (2 * (T + 1))
        assert abs(dist[t] - exact.dist_sq[t]) <= hoeffding_radius(hi[0, t] - lo[0, t], R, pf) \
            + 1e-12
        assert abs(cons[t] - exact.consensus[t]) <= hoeffding_radius(hi[1, t] - lo[1, t], R, pf) \
            + 1e-12


def test_d_psgd_moments_with_gradient_noise_are_deterministic_at_p_one():
    """p = 1, sigma = 0: the recursion is the deterministic D-PSGD trajectory (an identity)."""
    rng = np.random.default_rng(2)
    a = rng.uniform(0.5, 2.0, 4)
    centres = rng.standard_normal((8, 4))
    top = ring(8)
    rec = dcd_bernoulli_moments(top.W, a, centres, 0.1, 1.0, 30)
    tr = alg.dpsgd(_problem(a, centres), top, 0.1, 30, record="every")
    assert np.allclose(tr.dist_sq, rec.dist_sq, rtol=1e-10, atol=1e-15)
    assert np.allclose(tr.consensus, rec.consensus, rtol=1e-10, atol=1e-15)


def test_bad_input():
    from theorytools.errors import TheorytoolsError
    with pytest.raises(TheorytoolsError, match="centres"):
        dcd_bernoulli_moments(W3, np.ones(2), np.ones((2, 2)), 0.1, 0.5, 3)
    with pytest.raises(TheorytoolsError, match="p must be"):
        dcd_bernoulli_moments(W3, np.ones(1), np.ones((3, 1)), 0.1, 1.5, 3)
    with pytest.raises(TheorytoolsError, match="too large"):
        dcd_bernoulli_enumeration(W3, np.ones(2), np.ones((3, 2)), 0.1, 0.5, 5)
