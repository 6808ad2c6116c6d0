"""The compressor contract checks: one set of checks for every registered compressor.

Each check returns :class:`ContractResult` (empirical, theoretical, verdict, detail), in the
shape of the theorem checkers: the test suite asserts ``passed`` and, with planted faults,
asserts that a check FAILS.

Statistics:

* Exact checks use the compressor's exact law (:mod:`theorytools.compressors.law`): no
  sampling, tolerance :math:`10^{-12}` relative for ``float_width=64`` (float64 rounding), or
  :math:`2^{-21}` for ``float_width=32`` (the wire's float32 rounding of norms and values
  perturbs each moment by a few units of :math:`2^{-24}`; 8 units are allowed).
* The sampler check ties ``compress`` to the law by Monte Carlo with Hoeffding's inequality:
  for a statistic :math:`Z \\in [a, b]` a.s. and :math:`R` i.i.d. samples,
  :math:`P(|\\bar Z - \\mathbb{E}Z| \\ge (b-a)\\sqrt{\\ln(2/p)/(2R)}) \\le p`, with the
  false-failure probability :math:`p = 10^{-9}` per assertion and fixed seeds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theorytools.check import P_FAIL, Check, hoeffding_radius  # noqa: F401  (one Hoeffding radius)
from theorytools.compressors.law import scaled_law
from theorytools.errors import TheorytoolsError

__all__ = ["ContractResult", "Quantities", "adversarial_inputs", "bernstein_radius",
           "check_batch_kernel", "check_codec", "check_no_class", "check_sampler",
           "check_support", "check_theory_at", "check_tightness", "constant_check",
           "exact_quantities", "run_contract", "tolerance"]


class ContractResult(Check):
    """One contract row: a :class:`theorytools.check.Check` (kind ``law``: an identity or a
    concentration statement that can fail either way) naming the contract check, the
    compressor (``subject``) and the input (``input_label``); the one result type of
    :mod:`theorytools.check` with the contract's constructor
    ``ContractResult(check, compressor, input_label, empirical, theoretical, passed, detail)``.
    """

    def __init__(self, check: str, compressor: str, input_label: str, empirical: float,
                 theoretical: float, passed: bool, detail: str = ""):
        super().__init__("law", empirical, theoretical, passed, detail, name=check,
                         subject=compressor, input_label=input_label,
                         source="docs/compressors.md §5 (the contract)", status="derived")

    @property
    def check(self) -> str:
        """The contract check's name (``name``)."""
        return self.name

    @property
    def compressor(self) -> str:
        """The compressor's canonical name (``subject``)."""
        return self.subject

    @property
    def detail(self) -> str:
        """The details (``details``)."""
        return self.details

    def __str__(self):
        return (f"{self.verdict} {self.name} {self.subject} on {self.input_label}: "
                f"empirical={self.empirical:.6g} theoretical={self.theoretical:.6g} "
                f"{self.details}")


def tolerance(compressor) -> float:
    """The exact checks' relative tolerance: 1e-12 for ``float_width=64``, 2^-21 for 32."""
    return 1e-12 if compressor.float_width == 64 else 2.0 ** -21


def bernstein_radius(variance: float, value_range: float, samples: int,
                     p_fail: float = P_FAIL) -> float:
    r"""Bernstein half-width for the mean of R i.i.d. samples with known variance
    :math:`\sigma^2` and :math:`|Z - \mathbb{E}Z| \le b`: solving
    :math:`2\exp(-R t^2/(2\sigma^2 + 2bt/3)) = p` gives
    :math:`t = \frac{bL}{3R} + \sqrt{(\frac{bL}{3R})^2 + \frac{2\sigma^2 L}{R}}`,
    :math:`L = \ln(2/p)`."""
    big_l = math.log(2.0 / p_fail)
    lin = value_range * big_l / (3.0 * samples)
    return lin + math.sqrt(lin * lin + 2.0 * max(variance, 0.0) * big_l / samples)


@dataclass(frozen=True)
class Quantities:
    """Normalised exact moments of C(x): everything the class inequalities need."""

    norm2: float      # ||x||^2
    error: float      # E||C(x) - x||^2
    second: float     # E||C(x)||^2
    inner: float      # <E C(x), x>
    bias: float       # ||E C(x) - x||
    exponent: int     # the quantities are those of 2^exponent x (exact rescaling)

    def unscaled(self, value: float, power: int = 2) -> float:
        """Undo the rescaling of a quantity homogeneous of degree ``power`` in x."""
        return math.ldexp(value, -power * self.exponent)


def exact_quantities(compressor, x: np.ndarray) -> Quantities:
    """Exact moments of :math:`C(x)` from the law, computed on :math:`2^{-e}x` with
    :math:`2^{e-1} \\le \\max|x_i| < 2^e` (exact rescaling: huge and tiny inputs do not
    overflow or underflow the squares). Returned values are those of the rescaled pair
    :math:`(2^{-e}x, 2^{-e}C(x))`; every check is scale-free."""
    law = compressor.law(x)
    m = float(np.abs(x).max())
    # absolute-noise compressors (grid) are not scale-equivariant: their outputs live on a
    # fixed scale, so they are evaluated as they are
    absolute = compressor.theory(x.size).abs_variance is not None
    exponent = -math.frexp(m)[1] if m > 0 and not absolute else 0
    with np.errstate(over="ignore"):
        # a law without a finite shape (spherical) scales itself
        scaled = law.scaled(exponent) if hasattr(law, "scaled") else scaled_law(law, exponent)
        probe = scaled.moments(np.ldexp(x, exponent))
    if exponent and not (np.isfinite(probe.second) and np.all(np.isfinite(probe.mean))):
        exponent = 0  # outputs live on a scale of their own (e.g. sign): no rescaling
        scaled = law
    xs = np.ldexp(x, exponent)
    law = scaled
    mo = law.moments(xs)
    return Quantities(float(xs @ xs), mo.error, mo.second, float(mo.mean @ xs),
                      float(np.linalg.norm(mo.mean - xs)), exponent)


def constant_check(name: str, value: float, q: Quantities, tol: float):
    """(empirical, theoretical, slack) for one declared constant; slack >= -tol is valid,
    |slack| <= tol is tight. All quantities are normalised by ||x||^2. The class inequalities
    are those of :func:`theorytools.testing.claim_slack` (one implementation, shared with the
    public assertions a user runs on their own compressor)."""
    from theorytools.testing import claim_slack

    n2 = q.norm2
    if name == "abs_variance":  # an absolute bound: undo the rescaling
        emp, theo = q.unscaled(q.error), value
        return emp, theo, (theo - emp) / theo if theo > 0 else -emp
    if name not in ("omega", "delta", "b1_alpha", "b1_beta", "b2_gamma", "b2_beta"):
        raise ValueError(f"unknown constant {name!r}")
    return claim_slack(name, value, q.error / n2, q.second / n2, q.inner / n2)


def check_theory_at(compressor, x: np.ndarray, label: str) -> list:
    """Every declared claim (unbiasedness and each constant) at input ``x``, exactly."""
    d = x.size
    theory = compressor.theory(d)
    tol = tolerance(compressor)
    results = []
    if not np.any(x):
        c = compressor.compress(x, 0)
        results.append(ContractResult("zero_maps_to_zero", compressor.canonical_name, label,
                                      float(np.abs(c).max()), 0.0,
                                      bool(not np.any(c)) or theory.in_no_class, "C(0) = 0"))
        return results
    if not compressor.in_domain(x):
        return results  # claims are made on the declared domain only (Theory.domain)
    q = exact_quantities(compressor, x)
    if theory.unbiased:
        # relative to ||x||; an absolute-noise compressor (grid) also gets its noise scale,
        # since its rounding probabilities carry an absolute float error
        scale = math.sqrt(q.norm2)
        if theory.abs_variance is not None:
            scale = math.sqrt(q.norm2) + math.ldexp(math.sqrt(theory.abs_variance.value),
                                                    q.exponent)
        rel = q.bias / scale
        results.append(ContractResult("unbiased", compressor.canonical_name, label, rel, 0.0,
                                      rel <= tol, "||E C(x) - x|| / scale"))
    for name, const in theory.constants().items():
        emp, theo, slack = constant_check(name, const.value, q, tol)
        results.append(ContractResult(name, compressor.canonical_name, label, emp, theo,
                                      slack >= -tol, f"slack={slack:.3g}"))
    return results


def check_tightness(compressor, d: int) -> list:
    """Each constant declared tight is attained (|slack| <= tol) on a declared extremal input,
    and every tight constant has one."""
    theory = compressor.theory(d)
    tol = tolerance(compressor)
    results = []
    extremals = compressor.extremal_inputs(d)
    for name, const in theory.constants().items():
        if not const.tight:
            continue
        mine = [e for e in extremals if e.constant == name]
        if not mine:
            results.append(ContractResult(f"tight:{name}", compressor.canonical_name, "-",
                                          math.nan, const.value, False,
                                          "declared tight but no extremal input is listed"))
            continue
        for e in mine:
            q = exact_quantities(compressor, e.x)
            emp, theo, slack = constant_check(name, const.value, q, tol)
            results.append(ContractResult(f"tight:{name}", compressor.canonical_name,
                                          e.description, emp, theo, abs(slack) <= tol,
                                          f"slack={slack:.3g}"))
    return results


def check_no_class(compressor, d: int) -> list:
    """For a compressor declared in none of the classes: exhibit the violations. At
    :math:`x = t\\mathbf 1` the normalised error must exceed any :math:`1 - 1/\\delta < 1` for
    some t, and :math:`\\mathbb{E}\\|C\\|^2/\\|x\\|^2` and
    :math:`\\langle \\mathbb{E}C, x\\rangle/\\|x\\|^2` must fall below :math:`10^{-20}`
    (so no :math:`\\alpha, \\gamma > 10^{-20}`)."""
    worst_err, least_second, least_inner = 0.0, math.inf, math.inf
    for t in (1e-12, 1e-3, 1.0, 1e3, 1e30):
        x = np.full(d, t)
        c = compressor.law(x).moments(x)
        n2 = float(x @ x)
        worst_err = max(worst_err, c.error / n2)
        least_second = min(least_second, c.second / n2)
        least_inner = min(least_inner, float(c.mean @ x) / n2)
    name = compressor.canonical_name
    return [ContractResult("not_B3", name, "x = t 1", worst_err, 1.0, worst_err > 1.0,
                           "sup error/||x||^2 must exceed 1"),
            ContractResult("not_B1_B2", name, "x = t 1", max(least_second, least_inner), 1e-20,
                           max(least_second, least_inner) < 1e-20,
                           "inf E||C||^2/||x||^2 and <EC,x>/||x||^2 must vanish"),
            ContractResult("not_U", name, "x = 1", 0.0, 0.0,
                           not compressor.theory(d).unbiased, "declared biased")]


def check_codec(compressor, x: np.ndarray, label: str, seeds=(0, 1, 2)) -> list:
    """decode(encode(x, s)) equals compress(x, s) bit for bit, and bits <= the budget, in the
    explicit mode and (where supported) the shared-randomness mode."""
    results = []
    modes = [False] + ([True] if compressor.shared_randomness else [])
    for shared in modes:
        mode = "shared" if shared else "explicit"
        budget = compressor.bits_budget(x, shared=shared)
        for seed in seeds if compressor.randomized else seeds[:1]:
            expected = compressor.compress(x, seed)
            message = compressor.encode(x, seed, shared=shared)
            decoded = compressor.decode(message)
            same = decoded.shape == expected.shape and np.array_equal(
                decoded.view(np.uint64), expected.view(np.uint64))
            results.append(ContractResult(f"roundtrip[{mode}]", compressor.canonical_name, label,
                                          float(same), 1.0, bool(same), f"seed={seed}"))
            results.append(ContractResult(f"bits<=budget[{mode}]", compressor.canonical_name,
                                          label, message.nbits, budget, message.nbits <= budget,
                                          f"seed={seed}"))
    return results


def check_sampler(compressor, x: np.ndarray, label: str, samples: int = 4000,
                  seed: int = 20261126) -> list:
    """``compress`` samples from ``law``: the sample means of :math:`\\langle C(x), v\\rangle`
    for two fixed directions (a Gaussian v and v = x) lie within Bernstein radii of their
    exact values (exact variance from the law, a.s. range from the law), and the mean of
    :math:`\\|C(x) - x\\|^2` within a Hoeffding radius; false-failure probability 1e-9 each."""
    if not compressor.randomized:
        return []
    law = compressor.law(x)
    directions = [("<C,v>", np.random.Generator(np.random.PCG64(seed)).standard_normal(x.size)),
                  ("<C,x>", x.copy())]
    outputs = np.array([compressor.compress(x, seed + 1 + r) for r in range(samples)])
    exact = law.moments(x)
    name = compressor.canonical_name
    results = []
    for stat, v in directions:
        lo, hi = law.linear_range(v)
        values = outputs @ v
        expected = float(exact.mean @ v)
        radius = bernstein_radius(law.linear_variance(v), hi - lo, samples)
        slack = 1e-9 * (abs(hi) + abs(lo)) + 1e-300  # float summation of the exact values
        results.append(ContractResult(
            f"sampler_mean{stat}", name, label, float(values.mean()), expected,
            abs(values.mean() - expected) <= radius + slack,
            f"Bernstein radius {radius:.3g} (p_fail 1e-9, R={samples})"))
    err = np.sum((outputs - x) ** 2, axis=1)
    err_hi = law.error_bound(x)
    r_err = hoeffding_radius(err_hi, samples)
    results.append(ContractResult(
        "sampler_error", name, label, float(err.mean()), exact.error,
        abs(err.mean() - exact.error) <= r_err + 1e-9 * err_hi,
        f"Hoeffding radius {r_err:.3g} (p_fail 1e-9, R={samples})"))
    return results


def check_support(compressor, x: np.ndarray, label: str, seeds=range(20)) -> list:
    """For small d: every sampled output is an outcome of the exact finite law."""
    if not compressor.randomized:
        return []
    law = compressor.law(x)
    if not getattr(law, "finite", True):
        # a continuous law (spherical): each sampled output must satisfy the law's sure
        # per-sample property (law.in_support); there is no outcome list to compare with
        # (on the declared domain only, as for the class constants)
        if not compressor.in_domain(x):
            return []
        missing = sum(not law.in_support(compressor.compress(x, s)) for s in seeds)
        return [ContractResult("support", compressor.canonical_name, label, float(missing), 0.0,
                               missing == 0, "sampled outputs violating the sure property")]
    outcomes = law.outcomes()
    # (v + 0.0) maps -0.0 to +0.0: equal values, whatever the sign of a zero
    table = {(o + 0.0).tobytes() for _, o in outcomes}
    total = sum(p for p, _ in outcomes)
    missing = sum((compressor.compress(x, s) + 0.0).tobytes() not in table for s in seeds)
    return [ContractResult("support", compressor.canonical_name, label, float(missing), 0.0,
                           missing == 0, "sampled outputs outside the law's support"),
            ContractResult("law_total_probability", compressor.canonical_name, label, total, 1.0,
                           abs(total - 1.0) <= 1e-12, "sum of outcome probabilities")]


def check_batch_kernel(compressor, d: int, seed: int = 11, step: int = 3) -> list:
    """For a compressor that declares a batch kernel (``batch_kernel(d, shared)`` not None):
    the simulator's batch kernel gives, on each adversarial input x_i (as node i), exactly
    ``compress(x_i, KeyedGenerator(node_step_key(seed, i, step)))`` (the stream the per-node
    path uses) and a bit count equal to ``encode``'s (at most it, where the kernel declares its
    table a bound), in the explicit and (if declared) the shared-randomness mode. A compressor
    without a batch kernel gives no rows."""
    from theorytools.algorithms._batch import compress_row, prepare
    from theorytools.random import KeyedGenerator, node_step_key

    results = []
    modes = [False] + ([True] if compressor.shared_randomness else [])
    rows = []
    for label, x in adversarial_inputs(d):
        try:
            compressor.validate(x)
            compressor.compress(x, 0)
        except TheorytoolsError:
            continue        # refused inputs are tested elsewhere
        rows.append((label, x))
    if not rows:
        return results
    name = compressor.canonical_name
    for shared in modes:
        batch = prepare(compressor, d, shared=shared)
        if batch is None:
            return results
        mode = "shared" if shared else "explicit"
        for i, (label, x) in enumerate(rows):
            key = np.uint64(node_step_key(np.uint64(seed), i, step))
            out = np.empty(d)
            nb = compress_row(batch.code, batch.params, batch.bits_table, x, key, out,
                              np.empty(d, np.int64))
            if nb < 0:
                continue    # outside the kernel's range: the simulator raises (tested there)
            expected = compressor.compress(x, KeyedGenerator(key))
            same = bool(np.array_equal(out.view(np.uint64), expected.view(np.uint64)))
            results.append(ContractResult(f"batch_kernel=compress[{mode}]", name, label,
                                          float(same), 1.0, same, f"node {i}, step {step}"))
            nbits = compressor.encode(x, KeyedGenerator(key), shared=shared).nbits
            ok = nb == nbits if batch.bits_exact else nb >= nbits
            results.append(ContractResult(f"batch_kernel_bits[{mode}]", name, label,
                                          float(nb), float(nbits), bool(ok),
                                          "== encode" if batch.bits_exact else
                                          ">= encode (declared bound)"))
    return results


def adversarial_inputs(d: int, seed: int = 7) -> list:
    """(label, x) pairs: zeros, one-hot, ties, equal magnitudes, huge, tiny, subnormal,
    Gaussian, heavy-tailed, sparse, dyadic (checks (docs/sources.md#checks))."""
    rng = np.random.Generator(np.random.PCG64(seed))
    one_hot = np.zeros(d)
    one_hot[d // 2] = -3.0
    ties = np.where(np.arange(d) % 3 == 0, 2.0, 1.0) * np.where(np.arange(d) % 2 == 0, 1, -1)
    sparse = np.zeros(d)
    sparse[rng.choice(d, size=max(1, d // 4), replace=False)] = rng.standard_normal(max(1, d // 4))
    dyadic = rng.integers(-8, 9, size=d) * np.exp2(rng.integers(-4, 5, size=d).astype(float))
    subnormal = rng.integers(1, 50, size=d) * 5e-324
    return [
        ("zeros", np.zeros(d)),
        ("one-hot", one_hot),
        ("ties", ties.astype(float)),
        ("equal magnitudes", np.where(np.arange(d) % 2 == 0, 1.5, -1.5)),
        ("gaussian", rng.standard_normal(d)),
        ("cauchy", rng.standard_cauchy(d)),
        ("sparse", sparse),
        ("dyadic", dyadic.astype(float)),
        ("huge", 1e30 * rng.standard_normal(d)),
        ("tiny", 1e-30 * rng.standard_normal(d)),
        ("subnormal", subnormal),
    ]


def run_contract(compressor, d: int, *, sampler_samples: int = 0, support: bool = False,
                 seed: int = 0) -> list:
    """All exact checks at dimension d (theory on adversarial and extremal inputs, tightness,
    codec, the batch kernel against ``compress`` where one is declared); optionally the sampler
    and support checks. ``seed`` shifts the seeds of the random inputs and of the codec's
    draws (0: the defaults)."""
    results = []
    theory = compressor.theory(d)
    inputs = adversarial_inputs(d, seed=7 + seed) + [(f"extremal[{e.constant}]", e.x)
                                      for e in compressor.extremal_inputs(d)]
    for label, x in inputs:
        try:
            compressor.validate(x)
        except TheorytoolsError:
            continue  # refused with a clear error: defined behaviour, tested separately
        if not theory.in_no_class:
            results += check_theory_at(compressor, x, label)
        results += check_codec(compressor, x, label, seeds=(seed, seed + 1, seed + 2))
        if support and x.size <= 8 and np.any(x):
            results += check_support(compressor, x, label)
    if sampler_samples:
        x = adversarial_inputs(d)[4][1]  # gaussian
        results += check_sampler(compressor, x, "gaussian", sampler_samples)
    results += check_batch_kernel(compressor, d)
    if theory.in_no_class:
        results += check_no_class(compressor, d)
    else:
        results += check_tightness(compressor, d)
    return results
