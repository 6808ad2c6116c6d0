"""What the spectral gap costs (theorytools/theory/graph_gap.py): the exact computations agree
with independent references, the registered checks pass where the statement is derived, and
every check FAILS on a planted fault: a mixing matrix silently lazier than declared
((1 - k) W + k I in the dynamics, the declared spectrum unchanged), a wrong exponent, a
looser Tang condition."""
import math

import networkx as nx
import numpy as np
import pytest

from theorytools import topology as tp
from theorytools.errors import TheorytoolsError
from theorytools.theory import get
from theorytools.theory import graph_gap as gg
from theorytools.theory.tang2018 import stability_threshold

KEYS = ("tang2018.gap_consensus_distance", "tang2018.gap_transient",
        "tang2018.gap_dcd_stability", "tang2018.gap_choco", "tang2018.gap_equal_bits")
_RUNS: dict = {}


def _run(key, **params):
    k = (key, tuple(sorted(params.items())))
    if k not in _RUNS:
        _RUNS[k] = dict(get(key).run_checks(quick=True, **params))
    return _RUNS[k]


# ------------------------------------------------------------------------- the suite
@pytest.mark.parametrize("key", KEYS)
def test_quick_checks_pass_and_carry_series(key):
    res = _run(key)
    bad = {label: c.details for label, c in res.items() if not c.passed
           }
    assert res and not bad, bad
    for label, c in res.items():
        s = c.extra.get("series")
        assert s and s.xlabel and s.ylabel, label
        for curve in s.curves:
            assert 0 < len(curve.x) == len(curve.y) <= 200, label


def test_choco_prescribed_step_claim_fails_on_small_gaps():
    """The finding: at the transcribed consensus step the exact contraction is
    2 gamma (1 - lambda_2) ~ rho^3 delta/(2 beta^2), below the claimed rho^2 delta/82 once
    rho < ~4 beta^2/164 (ring n >= 32); on the large-gap graphs the claim holds."""
    c = _run("tang2018.gap_choco")["prescribed_step_claim_refuted"]
    assert c.passed and c.empirical < 1 and "ring[n=32]" in c.details and "ring[n=8]" not in c.details.split(
        "failures:")[1]
    from theorytools.theory.choco2020 import choco_consensus_step
    for n, holds in ((8, True), (16, True), (32, False)):
        top = tp.ring(n)
        g = choco_consensus_step(top.spectral_gap, top.beta, 0.5)
        rate, _ = gg.choco_gossip_rate(*gg.declared_eigen(top), g, 0.5)
        assert ((1 - rate) >= top.spectral_gap ** 2 * 0.5 / 82) == holds
    # without compression (delta = 1, x_hat = x): plain gossip with step gamma, whose slowest
    # mode contracts exactly by (1 - gamma (1 - lambda_2))^2 per step
    top = tp.ring(32)
    g = choco_consensus_step(top.spectral_gap, top.beta, 1.0)
    rate, _ = gg.choco_gossip_rate(*gg.declared_eigen(top), g, 1.0)
    assert rate == pytest.approx((1 - g * (1 - top.lambda2)) ** 2, rel=1e-12)
    assert 1 - rate < top.spectral_gap ** 2 / 82


LAZY = {"tang2018.gap_consensus_distance": ("lyapunov_vs_spectral[ring]", "noise_bound",
                                            "heterogeneity_bound"),
        "tang2018.gap_transient": ("closed_form_vs_recursion[ring[n=8]]",
                                   "closed_form_vs_recursion[star[n=8]]"),
        "tang2018.gap_dcd_stability": ("spectral_vs_operator",),
        "tang2018.gap_choco": ("rate_vs_operator", "prescribed_step_first_order"),
        "tang2018.gap_equal_bits": ("stationary_vs_recursion",)}


@pytest.mark.parametrize("key", KEYS)
def test_lazier_mixing_matrix_than_declared_fails(key):
    """Planted fault: the dynamics run with 0.7 W + 0.3 I while the spectra, bounds and
    closed forms use the declared W."""
    res = _run(key, laziness=0.3)
    for label in LAZY[key]:
        assert label in res and not res[label].passed, (label, res[label].details)
    assert _run(key)[LAZY[key][0]].passed


@pytest.mark.parametrize("key,param,value,label", [
    ("tang2018.gap_consensus_distance", "noise_exponent", -2.0, "noise_exponent[ring]"),
    ("tang2018.gap_consensus_distance", "het_exponent", -1.0, "heterogeneity_exponent"),
    ("tang2018.gap_transient", "transient_exponent", 1.0, "transient_exponent"),
    ("tang2018.gap_transient", "transient_exponent", 1.0, "transient_exponent[ring]"),
    ("tang2018.gap_dcd_stability", "threshold_exponent", 2.0, "threshold_exponent_in_gap"),
    ("tang2018.gap_dcd_stability", "condition_factor", 10.0, "tang_condition_is_sufficient"),
    ("tang2018.gap_equal_bits", "dcd_exponent", -1.0, "dcd_inflation_exponent"),
    ("tang2018.gap_equal_bits", "ecd_p", 1.0, "ecd_diverges"),   # compressor = identity
    ("tang2018.gap_equal_bits", "choco_bound_exponent", 0.5, "choco_inflation_exponent"),
    ("tang2018.gap_dcd_stability", "conservativeness_exponent", -1.0,
     "conservativeness_exponent"),
    ("tang2018.gap_choco", "prescribed_exponent", 2.0, "prescribed_step_exponent"),  # claimed
    ("tang2018.gap_choco", "best_step_bound_exponent", 0.3, "best_step_exponent"),
    ("tang2018.gap_choco", "consensus_step_factor", 1e4, "best_over_prescribed_step"),
])

def test_wrong_prediction_fails(key, param, value, label):
    assert _run(key)[label].passed
    assert not _run(key, **{param: value})[label].passed


def test_wrong_complete_graph_formula_fails():
    assert _run("tang2018.gap_dcd_stability")["complete_n_over_n_minus_1"].passed
    bad = get("tang2018.gap_dcd_stability").run_checks(
        quick=True, complete_formula=lambda n: (n + 1) / n)
    assert not dict(bad)["complete_n_over_n_minus_1"].passed


def test_slope_check_fails_off_prediction_and_honours_alternatives():
    x = np.geomspace(1e-3, 1, 8)
    y = 3.0 * x ** -1.5 * (1 + 0.01 * np.sin(np.arange(8)))
    assert gg.slope_check(x, y, -1.5).passed
    assert not gg.slope_check(x, y, -1.0).passed
    assert gg.slope_check(x, y, -1.0, alternative="at_most").passed
    assert not gg.slope_check(x, y, -2.0, alternative="at_most").passed
    assert gg.slope_check(x, y, -2.0, alternative="at_least").passed
    b, lo, hi = gg.ols_slope(x, y)
    assert lo < b < hi and abs(b + 1.5) < 0.02


# ------------------------------------------------------------------------- exact pieces
SMALL = [tp.ring(5), tp.star(6), tp.grid2d(2, 3), tp.hypercube(3), tp.complete(5),
         tp.erdos_renyi(7, 0.6, seed=1), tp.random_regular(8, 3, seed=2), tp.torus(3, 3)]


@pytest.mark.parametrize("top", SMALL, ids=lambda t: t.name)
def test_dcd_threshold_equals_bruteforce_operator(top):
    fast = gg.dcd_threshold(*gg.declared_eigen(top))
    assert fast == pytest.approx(stability_threshold(top.W), rel=1e-8)
    # planted: a lazier W in the operator gives another threshold
    lazy = gg.dynamics_matrix(top, 0.3)
    assert abs(fast / stability_threshold(lazy) - 1) > 1e-3


@pytest.mark.parametrize("top", SMALL[:4], ids=lambda t: t.name)
def test_choco_rate_equals_dense_operator(top):
    for g, p in ((0.1, 0.3), (0.6, 0.7), (1.0, 1.0)):
        rate, stable = gg.choco_gossip_rate(*gg.declared_eigen(top), g, p)
        assert stable and rate == pytest.approx(gg.choco_operator_rate(top.W, g, p), rel=1e-9)


def test_choco_uncompressed_rate_is_gossip():
    """p = 1 (no compression), gamma = 1: CHOCO-Gossip is plain gossip, rate slem^2."""
    top = tp.ring(9)
    rate, _ = gg.choco_gossip_rate(*gg.declared_eigen(top), 1.0, 1.0)
    assert rate == pytest.approx(top.slem_sq, rel=1e-10)


def test_transient_closed_form_equals_recursion_and_is_stable():
    top = tp.grid2d(2, 3)
    a, c = gg.transient_problem(top)
    for T in (1, 3, 40, 250):
        assert gg.avg_grad_sq(np.array(top.W), a, c, 0.2, 0.7, T) == pytest.approx(
            gg.avg_grad_sq_recursion(np.array(top.W), a, c, 0.2, 0.7, T), rel=1e-10)
    # the centralized reference is the complete graph with one shared curvature's average x
    # (W = J makes x_bar follow centralized SGD only with a common curvature): check its own
    # recursion instead
    abar, xs = a.mean(), np.mean(a * c) / a.mean()
    g, s2, n, T = 0.1, 1.0, top.n, 60
    e, v, tot = -xs, 0.0, 0.0
    for _ in range(T):
        tot += abar ** 2 * (e * e + v)
        e, v = (1 - g * abar) * e, (1 - g * abar) ** 2 * v + g * g * s2 / n
    assert gg.avg_grad_sq_centralized(a, c, g, 1.0, n, T) == pytest.approx(tot / T, rel=1e-12)
    with pytest.raises(ValueError, match="unstable"):
        gg.avg_grad_sq(np.array(top.W), a, c, 5.0, 1.0, 10)


@pytest.mark.parametrize("top", [tp.ring(5), tp.star(6)], ids=lambda t: t.name)
def test_equal_bits_stationary_equals_recursion(top):
    for method, gc in (("dpsgd", None), ("dcd", None), ("choco", 0.3), ("choco", 1.0)):
        assert gg.equal_bits_consensus(top, method, 0.7, 0.1, consensus_step=gc) == \
            pytest.approx(gg.equal_bits_recursion(top, method, 0.7, 0.1, consensus_step=gc,
                                                  T=4000), rel=1e-9)
    # DCD beyond its mean-square limit: not stable
    assert gg.equal_bits_consensus(top, "dcd", 0.2, 0.1) == math.inf
    with pytest.raises(ValueError, match="method"):
        gg.equal_bits_consensus(top, "ecd", 0.5, 0.1)


def test_ecd_second_moments_match_the_simulator():
    """The exact ECD recursion against ``ecd_psgd``'s Monte Carlo mean (Student-t at 1e-9 per
    time, union over the T times); a planted lazier W in the recursion is rejected."""
    import warnings

    from theorytools import algorithms as alg
    from theorytools import check
    from theorytools.compressors import create
    from theorytools.problems import Noise
    from theorytools.problems.quadratic import certify_quadratic

    n, T, R, p, gamma = 4, 8, 3000, 0.6, 0.1
    top = tp.ring(n)
    prob = certify_quadratic("separable", np.ones((n, 1, 1)), np.zeros((n, 1)), np.zeros(n),
                             Noise("additive", 1.0))
    comp = create("bernoulli", p=p, float_width=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cons = np.array([alg.ecd_psgd(prob, top, comp, gamma, T, seed=s,
                                      record="every").consensus for s in range(R)])
    exact, _ = gg.ecd_second_moments(top, p, gamma, T)
    lazy, _ = gg.ecd_second_moments(top, p, gamma, T, laziness=0.3)
    ok = [check.mean_equals(cons[:, t], exact[t], value_range=math.inf, method="t",
                            p_fail=1e-9 / T).passed for t in range(1, T + 1)]
    bad = [check.mean_equals(cons[:, t], lazy[t], value_range=math.inf, method="t",
                             p_fail=1e-9 / T).passed for t in range(1, T + 1)]
    assert all(ok) and not all(bad)


def test_consensus_parts_closed_forms():
    top = tp.ring(16)
    r = gg.dpsgd_consensus(top, 1e-3)
    lam = tp.ring_eigenvalues(16)[1:] - 1e-3
    assert r["noise_total"] == pytest.approx(np.sum(1 / (1 - lam ** 2)), rel=1e-9)
    assert r["het"] == pytest.approx(1 / (1 - top.lambda2 + 1e-3) ** 2, rel=1e-9)
    r2 = gg.dpsgd_consensus(top, 1e-3, lyapunov=False)
    assert r2["noise_total"] == pytest.approx(r["noise_total"], rel=1e-10)
    with pytest.raises(ValueError, match="heterogeneity"):
        gg.dpsgd_consensus(top, 1e-3, heterogeneity="bad")
    with pytest.raises(ValueError, match="laziness"):
        gg.dynamics_matrix(top, 1.0)


def test_families_span_three_decades_with_certified_names():
    fams = gg.graph_families(256)
    gaps = [1 - t.slem for tops in fams.values() for t in tops]
    assert math.log10(max(gaps) / min(gaps)) > 3.0
    assert set(fams) >= {"ring", "torus", "hypercube", "random_regular", "erdos_renyi",
                         "complete", "grid2d_mh", "star_mh"}
    assert all(t.weights == "metropolis_hastings" for t in fams["grid2d_mh"] + fams["star_mh"])
    assert [t.n for t in fams["ring"]] == [8, 16, 32, 64, 128, 256]


# ------------------------------------------------------------------------- random_regular
def test_random_regular_is_regular_connected_deterministic():
    for n, d, seed in ((8, 3, 0), (64, 3, 5), (30, 4, 1), (12, 5, 2)):
        top = tp.random_regular(n, d, seed)
        assert np.all(top.degrees == d) and nx.is_connected(top.graph)
        assert top.name == f"random_regular[n={n},degree={d},seed={seed}]"
        assert np.array_equal(top.W, tp.random_regular(n, d, seed).W)
        assert np.allclose(top.W, (np.eye(n) + nx.to_numpy_array(top.graph,
                                                                 nodelist=range(n))) / (d + 1))
    assert not np.array_equal(tp.random_regular(64, 3, 0).W, tp.random_regular(64, 3, 1).W)


def test_random_regular_bad_input_names_the_argument():
    with pytest.raises(TheorytoolsError, match="n \\* degree must be even"):
        tp.random_regular(7, 3, 0)
    with pytest.raises(TheorytoolsError, match="degree"):
        tp.random_regular(5, 5, 0)
    with pytest.raises(TheorytoolsError, match="seed"):
        tp.random_regular(8, 3, -1)
    with pytest.raises(TheorytoolsError, match="max_tries"):
        tp.random_regular(40, 7, 0, max_tries=3)


def test_docs_section_example_runs_and_figures_exist():
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[1] / "docs"
    text = (root / "topology.md").read_text()
    section = text[text.index("## What the gap costs"):]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/topology.md", "exec"), {})
    for png in re.findall(r"\]\((gap_[a-z_]+\.png)\)", section):
        assert (root / png).is_file(), png


def test_choco_claim_refuted_row_fails_when_the_claim_holds():
    """Planted: a claimed rate 20x weaker (c_div = 82 * 20) holds on every graph, so the
    counterexample row must FAIL (it asserts the refutation, not the transcribed claim)."""
    c = _run("tang2018.gap_choco", c_div=82.0 * 20)["prescribed_step_claim_refuted"]
    assert not c.passed and c.empirical > 1
