"""Tests written for the mutants that survived bench/mutation.py (issue 16, docs/mutation.md).

Each test pins a quantity by an INDEPENDENT derivation (a proofs_check/ result, an exact
computation written here from the paper's statement, or an event-level count), or plants a
fault near the decision boundary of a checker, so that a small realistic change of the code
(a constant halved, a term dropped, a radius widened) fails it.
"""
import json
import math
import warnings

import numpy as np
import pytest

from theorytools import algorithms as alg
from theorytools import check
from theorytools.algorithms.cost import NetworkModel
from theorytools.compressors import REGISTRY, create
from theorytools.compressors import _kernels as K
from theorytools.compressors.base import Constant
from theorytools.compressors.contract import bernstein_radius, check_sampler, check_theory_at
from theorytools.compressors.elementwise import Natural
from theorytools.compressors.measure import measure
from theorytools.errors import TheorytoolsError
from theorytools.problems import quadratic
from theorytools.topology import complete, ring, star

RNG = np.random.default_rng(20261202)


# ============================================================== (i) theorem constants
def _params(n=6):
    """Random admissible parameter points (a >= 1, T >= 1)."""
    for _ in range(n):
        yield dict(mu=float(RNG.uniform(0.2, 3)), L=float(RNG.uniform(3, 9)),
                   K=int(RNG.integers(1, 20)), T=int(RNG.integers(1, 300)),
                   H=int(RNG.integers(1, 10)), a=float(RNG.uniform(1, 400)),
                   sigma_sq=float(RNG.uniform(0.1, 5)), G_sq=float(RNG.uniform(0.1, 5)),
                   r0=float(RNG.uniform(0.1, 5)))


def test_stich_theorem_2_2_constants_against_the_telescoped_recursion():
    """proofs_check/stich_local_sgd.py telescopes the one-step inequality EXACTLY (sympy
    summation): r0 term mu (a-1)^3/2, noise 4T(T+2a-1)/(mu K), drift 256 T L G^2 H^2/mu^2,
    each divided by S_T. The code's bound must dominate each exact term (a constant made
    smaller fails) and exceed it by no more than the printed looseness (a constant made
    larger fails): drift exactly, noise by (T+2a)/(T+2a-1), r0 by a^3/(a-1)^3."""
    import sympy as sp

    from proofs_check import stich_local_sgd as P
    from theorytools.theory.stich2018 import theorem_2_2_bound

    r0_sym, noise_sym, drift_sym = P._derived_terms()
    syms = (P.a, P.T, P.MU, P.L, P.K, P.G2, P.H)
    noise_f = sp.lambdify(syms, noise_sym)
    drift_f = sp.lambdify(syms, drift_sym)
    r0_f = sp.lambdify(syms, r0_sym)
    for p in _params(8):
        a, T = p["a"], p["T"]
        s_t = sum((a + t) ** 2 for t in range(T))
        args = (a, T, p["mu"], p["L"], p["K"], p["G_sq"], p["H"])
        base = dict(mu=p["mu"], L=p["L"], K=p["K"], T=T, H=p["H"], a=a)
        drift = theorem_2_2_bound(**base, sigma_sq=0.0, G_sq=p["G_sq"], r0=0.0)
        noise = theorem_2_2_bound(**base, sigma_sq=p["sigma_sq"], G_sq=0.0, r0=0.0)
        init = theorem_2_2_bound(**base, sigma_sq=0.0, G_sq=0.0, r0=p["r0"])
        assert drift == pytest.approx(drift_f(*args) / s_t, rel=1e-12, abs=0.0)
        exact_noise = noise_f(*args) * p["sigma_sq"] / s_t
        assert exact_noise <= noise * (1 + 1e-12)
        assert noise <= exact_noise * (T + 2 * a) / (T + 2 * a - 1) * (1 + 1e-12)
        exact_init = r0_f(*args) * p["r0"] / s_t
        assert exact_init <= init * (1 + 1e-12)
        assert init <= exact_init * a ** 3 / (a - 1) ** 3 * (1 + 1e-12) if a > 1.001 else True


def test_stich_admissibility_boundary():
    from theorytools.theory.stich2018 import admissible_22
    mu, L, H = 1.0, 2.0, 3
    assert admissible_22(mu, L, H, 16 * L / mu) != []          # a must EXCEED 16 kappa
    assert admissible_22(mu, L, H, 16 * L / mu * 0.6) != []    # 9.6 kappa: refused
    assert admissible_22(mu, L, H, 16 * L / mu + 1e-9) == []
    assert admissible_22(mu, L, 40, 39.0) != []                 # and a > H


def test_stich_shift_is_theorem_2_2s_condition():
    from theorytools.algorithms.local import stich_shift
    p = quadratic(2, 3, 0.5, 4.0, seed=0)
    assert stich_shift(p, 3) == pytest.approx(16 * 4.0 / 0.5, rel=1e-12, abs=0.0)
    assert stich_shift(p, 3) == 16 * p.L / p.mu
    assert stich_shift(p, 500) == 500.0


def _choco_reference(f0_gap, sigma_sq, G_sq, L, n, T, rho, delta):
    """Koloskova, Stich, Jaggi 2019, Theorem 4.1 as printed (SECONDARY): c = rho^2 delta / 82,
    (4(f0 - f*) + 4 sigma^2 L)/sqrt(n(T+1)) + 24 G^2 n L / (c^2 (T+1))."""
    c = rho * rho * delta / 82.0
    return ((4.0 * f0_gap + 4.0 * sigma_sq * L) / math.sqrt(n * (T + 1))
            + 24.0 * G_sq * n * L / (c * c * (T + 1)))


def test_choco_bound_and_consensus_step_constants():
    from theorytools.theory.choco2020 import choco_bound, choco_consensus_step
    for _ in range(20):
        args = dict(f0_gap=RNG.uniform(0.1, 3), sigma_sq=RNG.uniform(0.1, 3),
                    G_sq=RNG.uniform(0.1, 3), L=RNG.uniform(0.5, 4), n=int(RNG.integers(2, 30)),
                    T=int(RNG.integers(10, 10 ** 6)), rho=RNG.uniform(0.01, 1),
                    delta=RNG.uniform(0.01, 1))
        assert choco_bound(**args) == pytest.approx(_choco_reference(**args), rel=1e-12, abs=0.0)
        first, third = choco_bound(**args, terms=True)
        assert first + third == pytest.approx(_choco_reference(**args), rel=1e-12, abs=0.0)
        rho, delta, beta = args["rho"], args["delta"], RNG.uniform(0, 2)
        gamma = rho ** 2 * delta / (16 * rho + rho ** 2 + 4 * beta ** 2 + 2 * rho * beta ** 2
                                    - 8 * rho * delta)
        assert choco_consensus_step(rho, beta, delta) == pytest.approx(gamma, rel=1e-12, abs=0.0)


def test_ef_heterogeneity_bound_constant_by_its_induction():
    """The bound 8 L (1+kappa)^2 delta^2 eta^2 zeta^2 is (L/2)((1+kappa) E)^2 with
    E = 4 delta eta zeta (the docstring's induction): recompute from E."""
    from theorytools.theory.beznosikov2020 import ef_heterogeneity_bound
    for _ in range(10):
        delta, eta, L, mu, z2 = (RNG.uniform(1, 20), RNG.uniform(1e-3, 0.1), RNG.uniform(1, 5),
                                 RNG.uniform(0.1, 1), RNG.uniform(0.1, 4))
        E = 4 * delta * eta * math.sqrt(z2)
        ref = L / 2 * ((1 + L / mu) * E) ** 2
        assert ef_heterogeneity_bound(delta, eta, L, mu, z2) == pytest.approx(ref, rel=1e-12, abs=0.0)


# ============================================================== (ii) network cost model
def _link_makespan(messages, latency, bandwidth):
    """Time of a synchronous communication pattern counted message by message: in each round
    every node's link carries the bits it sends (outgoing) and, full duplex, the bits it
    receives (incoming); the round lasts (largest per-link bit count)/B plus one latency
    (messages of equal size: by König's edge-colouring theorem the sends can be scheduled so
    that no link waits more than its own bit count). Rounds run one after another.
    Independent of cost.py: it only counts messages and bits per node."""
    total = 0.0
    for r in sorted({m[3] for m in messages}):
        out_bits, in_bits = {}, {}
        for s, d, bits, rr in messages:
            if rr == r:
                out_bits[s] = out_bits.get(s, 0.0) + bits
                in_bits[d] = in_bits.get(d, 0.0) + bits
        total += max(max(out_bits.values()), max(in_bits.values())) / bandwidth + latency
    return total


def _gossip_messages(top, b):
    return [(i, j, b, 0) for i in range(top.n) for j in top.neighbors(i)]


def _ring_allreduce_messages(n, b):
    """Reduce-scatter then all-gather on a ring: 2(n-1) rounds, each node sends a chunk of
    b/n bits to its successor."""
    return [(i, (i + 1) % n, b / n, r) for r in range(2 * (n - 1)) for i in range(n)]


def _parameter_server_messages(n, b):
    server = n
    return ([(i, server, b, 0) for i in range(n)]            # uploads: one link at the server
            + [(server, i, b, 1) for i in range(n)])         # downloads


@pytest.mark.parametrize("latency,bandwidth", [(0.0, 1e6), (1e-3, 1e6), (0.2, 3e4)])
def test_network_cost_model_against_an_event_level_count(latency, bandwidth):
    net = NetworkModel(latency=latency, bandwidth=bandwidth, compute=0.0)
    b = 4096.0
    for top in (ring(5), star(6), complete(4)):
        counted = _link_makespan(_gossip_messages(top, b), latency, bandwidth)
        # a node sends its Delta messages one after another over its own link, the star's hub
        # also receives Delta messages on its link: Delta b/B + one latency
        modelled = net.step_times(np.array([b]), "neighbors", top.n, top.max_degree)[0]
        assert modelled == pytest.approx(counted, rel=1e-12, abs=0.0), top.name
    for n in (2, 3, 5, 8):
        counted = _link_makespan(_ring_allreduce_messages(n, b), latency, bandwidth)
        modelled = net.step_times(np.array([b]), "allreduce", n)[0]
        assert modelled == pytest.approx(counted, rel=1e-12, abs=0.0), n
        counted = _link_makespan(_parameter_server_messages(n, b), latency, bandwidth)
        modelled = net.step_times(np.array([b]), "parameter_server", n)[0]
        assert modelled == pytest.approx(counted, rel=1e-12, abs=0.0), n
    # compute adds once per iteration; wall times accumulate the steps
    net2 = NetworkModel(latency=latency, bandwidth=bandwidth, compute=0.5)
    steps = np.array([b, 2 * b, 0.0])
    times = net2.step_times(steps, "allreduce", 4)
    assert np.allclose(times - 0.5, [_link_makespan(_ring_allreduce_messages(4, v), latency,
                                                    bandwidth) for v in steps], rtol=1e-12)
    assert np.allclose(net2.wall_times(steps, [0, 1, 3], "allreduce", 4),
                       [0.0, times[0], times.sum()], rtol=1e-12)


# ============================================================== (iii) planted tightness fault
class _LooseNatural(Natural):
    """Natural compression declaring omega = 1/4 (valid: 1/8 <= 1/4) AS TIGHT: no input
    attains it, so verify must FAIL the row."""

    name = "planted_loose_natural"

    def theory(self, d):
        th = super().theory(d)
        from dataclasses import replace
        return replace(th, omega=Constant(0.25, "planted", tight=True))


def test_verify_fails_a_declared_tight_constant_that_is_not_attained(monkeypatch):
    from theorytools import verify
    monkeypatch.setitem(REGISTRY, "planted_loose_natural", (_LooseNatural, lambda d: {}))
    rows = [r for r in verify.compressor_rows(True, check="compressor.planted_loose_natural.")
            if r.name.startswith("compressor.planted_loose_natural.omega")]
    assert rows and all(r.verdict == "FAIL" and r.kind == "tight" for r in rows)
    m = measure(_LooseNatural(float_width=64), 16, contract=False)
    assert m.constants["omega"].valid and not m.constants["omega"].attained
    # the same constant declared NOT tight passes (valid bound)
    loose = Constant(0.25, "planted", tight=False)

    class _Honest(_LooseNatural):
        name = "planted_honest_natural"

        def theory(self, d):
            from dataclasses import replace
            return replace(Natural.theory(self, d), omega=loose)

    monkeypatch.setitem(REGISTRY, "planted_honest_natural", (_Honest, lambda d: {}))
    rows = [r for r in verify.compressor_rows(True, check="compressor.planted_honest_natural.")
            if r.name.startswith("compressor.planted_honest_natural.omega")]
    assert rows and all(r.verdict == "PASS" and r.kind == "bound" for r in rows)


def test_measure_takes_the_worst_case_of_lower_type_constants():
    m = measure(create("top_k[k=4]", float_width=64), 16, contract=False)
    g = m.constants["b2_gamma"]
    assert g.measured == pytest.approx(4 / 16, rel=1e-12, abs=0.0) and g.valid and g.attained
    a = m.constants["b1_alpha"]
    assert a.measured == pytest.approx(4 / 16, rel=1e-12, abs=0.0) and a.valid and a.attained


# ============================================================== (iv) sampler faults in verify
class _SlowNatural(Natural):
    """Natural compression whose SAMPLER rounds up with half the right probability (the law
    is the correct one): the issue's natural-compression mutant, planted."""

    name = "planted_slow_natural"

    def _sample(self, x, key):
        out = np.empty_like(x)
        u = np.array([K.uniform(key, np.uint64(i)) for i in range(x.size)])
        low, high, p = np.empty_like(x), np.empty_like(x), np.empty_like(x)
        K.natural_law_kernel(x, low, high, p)
        out[:] = np.where(u < p / 2, high, low)
        return out

    _compress_into = None


def test_verify_compressor_suite_catches_a_sampler_fault(monkeypatch):
    from theorytools import verify
    monkeypatch.setitem(REGISTRY, "planted_slow_natural", (_SlowNatural, lambda d: {}))
    rows = list(verify.compressor_rows(True, check="compressor.planted_slow_natural."))
    contract = [r for r in rows if r.name.startswith("compressor.planted_slow_natural.contract")]
    assert contract and all(r.verdict == "FAIL" for r in contract)
    assert all("sampler_mean" in r.details for r in contract)
    # the same suite passes the real natural compression
    rows = [r for r in verify.compressor_rows(True, check="compressor.natural.")
            if ".contract" in r.name]
    assert rows and all(r.verdict == "PASS" for r in rows)


class _ScaledNatural(Natural):
    """Natural compression whose samples are multiplied by (1 + eps): E<C, x> is off by
    eps ||x||^2, chosen as 3 Bernstein radii (so a check with 10x the radius misses it)."""

    name = "planted_scaled_natural"
    eps = 0.0

    def _sample(self, x, key):
        return Natural._sample(self, x, key) * (1.0 + self.eps)

    _compress_into = None


def test_sampler_check_fails_a_bias_of_three_radii():
    x = np.random.default_rng(7).standard_normal(16)
    R = 4000
    law = Natural(float_width=64).law(x)
    lo, hi = law.linear_range(x)
    radius = bernstein_radius(law.linear_variance(x), hi - lo, R)
    comp = _ScaledNatural(float_width=64)
    comp.eps = 3.0 * radius / float(x @ x)
    results = {r.check: r for r in check_sampler(comp, x, "gaussian", R)}
    # the mean of <C, x> is off by 3 radii, minus at most 1 radius of noise (p 1e-9): FAIL
    assert not results["sampler_mean<C,x>"].passed
    comp.eps = 0.0
    assert all(r.passed for r in check_sampler(comp, x, "gaussian", R))


class _BiasedNatural(Natural):
    """Declared unbiased, but the law's mean is x (1 + 1e-6): a bias far below any constant's
    resolution but far above float rounding; the contract's unbiasedness check must FAIL."""

    name = "planted_biased_natural"

    def law(self, x):
        law = Natural.law(self, x)
        return type(law)(law.low * (1 + 1e-6), law.high * (1 + 1e-6), law.p_high)


def test_unbiasedness_check_resolves_a_small_bias():
    x = np.random.default_rng(3).standard_normal(16)
    comp = _BiasedNatural(float_width=64)
    unbiased = [r for r in check_theory_at(comp, x, "gaussian") if r.check == "unbiased"]
    assert unbiased and not unbiased[0].passed
    honest = [r for r in check_theory_at(Natural(float_width=64), x, "gaussian")
              if r.check == "unbiased"]
    assert honest[0].passed


# ============================================================== checkers near their boundary
def test_mean_equals_fails_between_one_and_two_radii():
    z = np.zeros(10_000)
    z[:5000] = 1.0
    rad = check.hoeffding_radius(1.0, z.size)
    assert check.mean_equals(z, 0.5 + 0.5 * rad, value_range=1.0, method="hoeffding").passed
    assert not check.mean_equals(z, 0.5 + 1.5 * rad, value_range=1.0,
                                 method="hoeffding").passed
    assert not check.mean_equals(z, 0.5 - 1.5 * rad, value_range=1.0,
                                 method="hoeffding").passed


def test_law_fails_at_twice_the_allowed_deviation():
    assert check.law(1.0 + 0.5e-9, 1.0, rtol=1e-9).passed
    assert not check.law(1.0 + 2e-9, 1.0, rtol=1e-9).passed
    assert not check.law([1.0, 3.0 + 2e-6], [1.0, 3.0], atol=1e-6).passed
    assert check.law([1.0, 3.0 + 0.5e-6], [1.0, 3.0], atol=1e-6).passed


# ============================================================== algorithms' arguments
def test_record_steps_beyond_the_horizon_are_refused():
    p = quadratic(2, 3, 1.0, 2.0, seed=0)
    with pytest.raises(TheorytoolsError, match="record"):
        alg.minibatch_sgd(p, 0.1, 5, record=np.array([0, 6]))
    with pytest.raises(TheorytoolsError, match="record"):
        alg.dpsgd(p, ring(3) if p.n == 3 else complete(2), 0.1, 5, record=np.array([0, 6]))
    tr = alg.minibatch_sgd(p, 0.1, 5, record=np.array([0, 5]))
    assert list(tr.steps) == [0, 5]


def test_biased_compressor_in_dcd_warns():
    p = quadratic(4, 5, 1.0, 2.0, seed=1)
    with pytest.warns(alg.AssumptionWarning, match="biased"):
        alg.dcd_psgd(p, ring(4), "top_k[k=2]", 0.1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", alg.AssumptionWarning)
        alg.dcd_psgd(p, ring(4), "natural", 0.1, 2)


# ============================================================== report and JSON
def test_report_group_titles_count_the_failures(tmp_path, monkeypatch):
    import matplotlib.axes

    from theorytools.report import write_report
    from theorytools.verify import CheckRow

    titles = []
    real = matplotlib.axes.Axes.set_title
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title",
                        lambda self, label, *a, **k: (titles.append(label), real(self, label, *a, **k))[1])
    rows = [CheckRow("compressor.x.omega[d=3]", "tang2018", "t", "derived", "bound", 1.0, 2.0,
                     0.5, "PASS"),
            CheckRow("compressor.x.delta[d=3]", "tang2018", "t", "derived", "bound", 3.0, 2.0,
                     1.5, "FAIL")]
    write_report(rows, str(tmp_path))
    from theorytools.report import group_of
    group = group_of(rows[0].name)
    assert group == group_of(rows[1].name)
    assert f"{group}: 2 checks, 1 failed" in titles, titles       # the group's figure
    assert any(t.startswith("2 checks:") and "1 failed" in t for t in titles), titles  # summary


def test_json_rows_are_strict_json():
    from theorytools.verify import CheckRow
    row = CheckRow("compressor.x.omega[d=3]", "tang2018", "t", "derived", "bound", math.nan,
                   math.inf, math.nan, "FAIL", interval=(-math.inf, math.nan))
    text = json.dumps(row.as_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["empirical"] is None and back["ratio"] is None


# ============================================================== topology, problems, schedules
def test_slem_and_slem_sq_against_the_operator_norm():
    from theorytools.topology import hypercube, torus
    for top in (ring(5), ring(8), star(6), complete(4), torus(3, 4), hypercube(3)):
        W = top.W.toarray() if hasattr(top.W, "toarray") else np.asarray(top.W)
        slem = float(np.linalg.norm(W - np.full_like(W, 1.0 / top.n), 2))
        assert top.slem == pytest.approx(slem, rel=1e-10, abs=1e-14), top.name
        assert top.slem_sq == pytest.approx(slem * slem, rel=1e-10, abs=1e-14), top.name


def test_quadratic_certificate_is_the_strong_convexity_bound():
    """f(x^) - f* <= ||grad f(x^)||^2/(2 mu): the certificate printed in the provenance of
    f_star must be the printed residual norm squared over 2 mu."""
    import re
    for seed in range(6):
        p = quadratic(4, 30, 1e-3, 10.0, seed=seed)
        res = float(re.search(r"\|\|grad f\(x\*\)\|\| = ([0-9.e+-]+)",
                              p.provenance["x_star"][0]).group(1))
        gap = float(re.search(r"= ([0-9.e+-]+)$", p.provenance["f_star"][0]).group(1))
        if res > 0:
            assert gap == pytest.approx(res * res / (2 * p.mu), rel=5e-3, abs=0.0)
            return
    pytest.fail("every residual was exactly 0: pick other problems")


def test_step_schedule_refuses_zero_and_negative_steps():
    from theorytools.algorithms._common import step_schedule
    assert np.array_equal(step_schedule([0.1, 0.2], 2), [0.1, 0.2])
    for bad in ([0.1, 0.0], [0.1, -0.2], [np.nan, 0.1]):
        with pytest.raises(TheorytoolsError, match=r"gamma\[\d\] must be finite and > 0"):
            step_schedule(bad, 2)
    with pytest.raises(TheorytoolsError, match="gamma"):
        step_schedule(0.0, 2)


def test_tight_fails_above_the_band():
    assert check.tight(1.0, 1.0, (0.5, 2.0)).passed
    assert not check.tight(2.5, 1.0, (0.5, 2.0)).passed     # above the band
    assert not check.tight(0.4, 1.0, (0.5, 2.0)).passed     # below it


def test_diverges_needs_growth():
    slow = 1.001 ** np.arange(50)            # increasing, but grows by 5 %, not 1e3
    assert not check.diverges(slow).passed
    fast = 1.5 ** np.arange(50)
    assert check.diverges(fast).passed
    assert check.diverges(fast, 1.5).passed and not check.diverges(fast, 1.2).passed
