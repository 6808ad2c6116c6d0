r"""A user's own theorem, registered with theorytools (entry point ``theorytools.theorems``).

**Claim** (paper key ``ternarypaper``; derived here, the standard descent-lemma argument for
compressed gradient descent with an unbiased compressor in U(omega)): for an L-smooth,
mu-strongly convex f, CGD :math:`x_{k+1} = x_k - \gamma C(\nabla f(x_k))` with the ternary
compressor and :math:`\gamma = 1/(L(1+\omega))`, :math:`\omega = (\sqrt d - 1)/2`, contracts
in expectation at every step:

.. math:: \mathbb{E}[f(x_{k+1}) - f^\star \mid x_k] \le
          \Big(1 - \frac{\mu}{L(1+\omega)}\Big)(f(x_k) - f^\star),

hence :math:`\mathbb{E}f(x_k) - f^\star \le (1 - \mu/(L(1+\omega)))^k (f(x_0) - f^\star)`.
Proof: :math:`f(x^+) \le f(x) - \gamma\langle g, C(g)\rangle + \frac{L\gamma^2}{2}\|C(g)\|^2`;
take expectations (:math:`\mathbb{E}C(g) = g`, :math:`\mathbb{E}\|C(g)\|^2 \le (1+\omega)\|g\|^2`):
:math:`\mathbb{E}f(x^+) \le f(x) - \|g\|^2/(2L(1+\omega))`, and
:math:`\|g\|^2 \ge 2\mu(f(x) - f^\star)`.

**Check** (exact, no sampling): along a CGD run on a quadratic
:math:`f(x) = \frac12 x^\top A x - b^\top x`, the conditional expectation is computed from
the compressor's exact law (independent two-point coordinates):
:math:`\mathbb{E}f(x - \gamma C) = f(x) - \gamma\langle \nabla f(x), \mathbb{E}C\rangle +
\frac{\gamma^2}{2}(\mathbb{E}C^\top A\,\mathbb{E}C + \sum_i A_{ii}\mathrm{Var}\,C_i)`, and the
ratio to :math:`f(x) - f^\star` is compared with the claimed factor at every visited point.
The planted fault ``step_factor`` (a step larger than the theorem allows) must fail it.
"""
from __future__ import annotations

import math

import numpy as np

from theorytools import algorithms, check
from theorytools.problems import quadratic
from theorytools.theory.registry import Theorem, register

from ternary_example import Ternary

PAPER = "ternarypaper"


def _expected_gap(A, b, x, C, gamma, f_star):
    """E f(x - gamma C(grad f(x))) - f* from the exact law of C(grad f(x))."""
    g = A @ x - b
    law = C.law(g)
    mean = law.low + law.p_high * (law.high - law.low)
    var = law.p_high * (1 - law.p_high) * (law.high - law.low) ** 2
    fx = 0.5 * x @ A @ x - b @ x
    quad = mean @ A @ mean + np.sum(np.diag(A) * var)
    return fx - gamma * (g @ mean) + 0.5 * gamma ** 2 * quad - f_star, fx - f_star


def _checks(th, quick, step_factor=1.0):
    d = 8 if quick else 32
    p = quadratic(1, d, 0.5, 4.0, seed=3)
    C = Ternary(float_width=64)
    omega = C.theory(d).omega.value
    gamma = step_factor / (p.L * (1 + omega))
    factor = th.bound(mu=p.mu, L=p.L, omega=omega)
    A, b = p.arrays["A"][0], p.arrays["b"][0]
    x0 = p.x_star + np.ones(d)
    steps = 30 if quick else 100
    worst = -math.inf
    x = x0.copy()
    for t in range(steps):       # a CGD trajectory, one step (and one stream) at a time
        e_next, gap = _expected_gap(A, b, x, C, gamma, p.f_star)
        if gap > 1e-12:
            worst = max(worst, e_next / gap)
        x = algorithms.cgd(p, C, gamma, 1, seed=1000 + t, x0=x, record="every").x_bar
    yield "one_step_contraction", check.bound(worst, factor, rtol=1e-9,
                                              details=f"max over {steps} iterates "
                                                      f"of E[f(x+) - f*]/(f(x) - f*), d = {d}")


register(Theorem(
    key=f"{PAPER}.cgd_ternary_rate", paper=PAPER, title="CGD with ternary compression",
    source="ternary_example.theorems (derived in its docstring)", status="derived",
    statement="E[f(x+) - f*] <= (1 - mu/(L(1+omega))) (f(x) - f*), gamma = 1/(L(1+omega))",
    assumptions=("L-smooth", "mu-strongly convex", "C in U(omega), omega = (sqrt(d) - 1)/2"),
    algorithm="theorytools.algorithms.cgd",
    bound=lambda mu, L, omega: 1.0 - mu / (L * (1.0 + omega)),
    admissible=lambda **kw: [],
    hooks={"step_factor": "planted fault: the step gamma times this factor (> 1 breaks the "
                          "theorem's step-size condition)"},
    checks=_checks))
