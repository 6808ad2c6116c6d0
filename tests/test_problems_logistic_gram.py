"""problems.logistic: L and L_i from the smaller Gram matrix (issue 11) equal the d x d route.

lambda_max(A^T A) = lambda_max(A A^T) = sigma_max(A)^2; the factory now takes the m x m side
when m <= d (one batched eigvalsh) instead of one d x d eigendecomposition per node. Speed:
bench/problems.py (ratios measured in one run), never a timed test.
"""
import numpy as np
import pytest
import scipy.linalg

from theorytools.problems import logistic
from theorytools.problems.logistic import _gram_lambda_max


@pytest.mark.parametrize("m,d", [(5, 40), (40, 5), (7, 7), (1, 9), (9, 1)])
def test_gram_route_equals_the_d_by_d_route_and_the_svd(m, d):
    rng = np.random.default_rng(m * 100 + d)
    A = rng.standard_normal((6, m, d)) * rng.uniform(0.1, 10.0, size=(6, 1, 1))
    new = _gram_lambda_max(A)
    old = np.array([np.linalg.eigvalsh(A[i].T @ A[i])[-1] for i in range(6)])
    svd = np.array([scipy.linalg.svdvals(A[i])[0] ** 2 for i in range(6)])
    np.testing.assert_allclose(new, old, rtol=1e-13, atol=0)
    np.testing.assert_allclose(new, svd, rtol=1e-13, atol=0)


def test_factory_L_and_L_i_match_the_definition_when_m_is_smaller_than_d():
    rng = np.random.default_rng(3)
    n, m, d, lam = 4, 6, 30, 1e-2
    F = rng.standard_normal((n * m, d))
    y = np.where(rng.standard_normal(n * m) > 0, 1.0, -1.0)
    p = logistic(F, y, n, lam)
    L = np.linalg.eigvalsh(F.T @ F)[-1] / (4 * n * m) + lam
    L_i = [np.linalg.eigvalsh(F[i * m:(i + 1) * m].T @ F[i * m:(i + 1) * m])[-1] / (4 * m) + lam
           for i in range(n)]
    assert p.L == pytest.approx(L, rel=1e-13)
    np.testing.assert_allclose(p.L_i, L_i, rtol=1e-13)
    # attained at x = 0: the Hessian there has exactly this largest eigenvalue
    H0 = F.T @ F / (4 * n * m) + lam * np.eye(d)
    assert np.linalg.eigvalsh(H0)[-1] == pytest.approx(p.L, rel=1e-13)


def test_a_planted_wrong_side_is_detected():
    """The smallest Gram eigenvalue (a plausible slip) differs from lambda_max: the comparison
    above is not vacuous."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 5, 40))
    wrong = np.linalg.eigvalsh(A @ np.swapaxes(A, 1, 2))[:, 0]
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, _gram_lambda_max(A), rtol=1e-13)
