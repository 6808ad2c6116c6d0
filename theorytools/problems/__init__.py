"""Test problems with certified constants (quadratic, ridge, logistic), split over ``n`` nodes.

Every problem is a :class:`Problem` (``f = (1/n) sum_i f_i``) carrying ``L``, ``mu``, ``L_i``,
``x*``, ``f*``, the heterogeneity ``zeta*^2`` and its supremum, and the stochastic gradient
variance ``sigma^2``, each with its certificate in ``provenance``. See ``docs/problems.md``.

Factories: :func:`quadratic` (prescribed spectrum, heterogeneity and noise),
:func:`quadratic_heterogeneous`, :func:`ridge`, :func:`logistic`, :func:`logistic_nonconvex`
(non-convex), :func:`breast_cancer_logistic`,
:func:`diabetes_ridge`, :func:`svmlight_problem`; loader :func:`load_svmlight`;
independent re-check :func:`check_constants`.
"""
from theorytools.problems.base import Noise, Problem, check_constants, exact_dot  # noqa: F401
from theorytools.problems.quadratic import quadratic, quadratic_heterogeneous, ridge  # noqa: F401
from theorytools.problems.logistic import logistic  # noqa: F401
from theorytools.problems.nonconvex import logistic_nonconvex  # noqa: F401
from theorytools.problems.data import (  # noqa: F401
    breast_cancer_logistic, bundled_svmlight_path, diabetes_ridge, load_svmlight,
    svmlight_problem)

__all__ = ["Noise", "Problem", "check_constants", "exact_dot", "quadratic",
           "quadratic_heterogeneous", "ridge", "logistic", "logistic_nonconvex", "breast_cancer_logistic",
           "diabetes_ridge", "load_svmlight", "svmlight_problem", "bundled_svmlight_path"]
