"""The verdict logic of experiments/albasyoni2020.py: bytes to a target, best member of a
family, the step-size rule, and each claim checker failing on a planted fault."""
from __future__ import annotations

import numpy as np
import pytest

from theorytools.experiment import Experiment, load_experiment


@pytest.fixture(scope="module")
def exp():
    return load_experiment("albasyoni2020")


@pytest.fixture(scope="module")
def ridge():
    from theorytools.problems import diabetes_ridge

    return diabetes_ridge(1)


def _ctx(tmp_path):
    ctx = Experiment("albasyoni2020", tmp_path, mode="tiny", progress=False)
    # the claims cite the experiment's figures; here only the verdict logic is under test
    ctx.figures += [(name, "") for name in ("iterations_logistic", "bytes_logistic",
                                            "bytes_saved")]
    return ctx


def _run(rel, bits, seed=0, q=0.5):
    rel = np.asarray(rel, float)
    return {"spec": "x", "steps": np.arange(rel.size), "rel": rel,
            "bits": np.asarray(bits, np.int64), "q": q, "seed": seed, "T": rel.size - 1}


def test_first_hit_and_median_bytes(exp):
    a = _run([1, 0.1, 1e-3, 1e-4], [0, 80, 160, 240])
    b = _run([1, 1e-3, 1e-4, 1e-5], [0, 400, 800, 1200], seed=1)
    assert exp.first_hit(a, 1e-3) == (20.0, 2)
    assert exp.first_hit(a, 1e-6) == (None, None)
    got = exp.bytes_needed([a, b], 1e-3)
    assert got["bytes"] == np.median([20.0, 50.0]) and got["reached"] == 2
    miss = exp.bytes_needed([a, b], 1e-5)          # a never reaches it: no median
    assert miss["bytes"] is None and miss["reached"] == 1 and miss["sent"] == 150.0


def test_best_member_is_the_cheapest(exp):
    fam = {"top_k[k=1]": [_run([1, 1e-2, 1e-4], [0, 100, 200])],
           "top_k[k=2]": [_run([1, 1e-4, 1e-5], [0, 300, 600])]}
    assert exp.best_member(fam, 1e-3)[0] == "top_k[k=1]"      # 25 B against 37.5 B
    assert exp.best_member(fam, 1e-5)[0] == "top_k[k=2]"      # the only one reaching it


def test_step_size_rule(exp, ridge):
    from theorytools.compressors import create

    eta, q, _ = exp.step_and_rate(create("identity"), ridge)
    assert eta == 1 / ridge.L and q == pytest.approx(1 - ridge.mu / ridge.L)
    eta, q, _ = exp.step_and_rate(create("rand_k[k=2]"), ridge)      # omega = d/k - 1 = 4
    assert eta == pytest.approx(1 / (5 * ridge.L))
    assert q == pytest.approx(1 - ridge.mu / (5 * ridge.L))
    eta, q, _ = exp.step_and_rate(create("top_k[k=2]"), ridge)       # delta = d/k = 5
    assert eta == 1 / ridge.L and q == pytest.approx(1 - ridge.mu / (5 * ridge.L))


def test_envelope_claim_fails_on_a_planted_fault(exp, ridge, tmp_path):
    r = exp.one_run(ridge, "top_k[k=2]", 3000, 0)
    problems = [("ridge", "ridge", ridge)]
    ctx = _ctx(tmp_path)
    exp._envelope_claim(ctx, problems, {"ridge": {"Top-k": {r["spec"]: [r]}}})
    assert ctx.claims[-1].verdict == "reproduced"
    planted = dict(r, q=r["q"] ** 50)      # an envelope contracting far too fast
    exp._envelope_claim(ctx, problems, {"ridge": {"Top-k": {r["spec"]: [planted]}}})
    assert ctx.claims[-1].verdict == "not reproduced"


def test_spherical_claim_fails_on_a_planted_fault(exp, ridge, tmp_path):
    from theorytools.compressors.spherical import default_block

    spec = f"spherical[alpha=0.2,block={default_block(0.2, ridge.d)}]"
    r = exp.one_run(ridge, spec, 60, 0)
    problems = [("ridge", "ridge", ridge)]
    res = {"ridge": {"Spherical α=0.15": {}, "Spherical α=0.2": {r["spec"]: [r]}}}
    ctx = _ctx(tmp_path)
    exp._spherical_claim(ctx, problems, res)
    assert ctx.claims[-1].verdict == "reproduced"
    planted = dict(r, bits=r["bits"] + 8 * r["steps"])     # 8 more bits per message
    res["ridge"]["Spherical α=0.2"] = {r["spec"]: [planted]}
    exp._spherical_claim(ctx, problems, res)
    assert ctx.claims[-1].verdict == "not reproduced"


def _results(exp, basic_bits_per_step):
    """Every family one member reaching 1e-6 at step 10; the new ones at 50 bits per step,
    the rest at 200, Basic at ``basic_bits_per_step``."""
    rel = np.geomspace(1, 1e-7, 12)
    out = {}
    for fam in exp.PAPER_FAMILIES + exp.EXTRA_FAMILIES:
        per = (basic_bits_per_step if fam.startswith("Basic") else
               50 if fam in exp.NEW_FAMILIES else 200)
        out[fam] = {fam: [_run(rel, per * np.arange(rel.size))]}
    return out


def test_figure_claims_follow_the_bytes(exp, tmp_path):
    problems = [("p", "problem", None)]
    ctx = _ctx(tmp_path)
    rows = exp._bytes_table(ctx, problems, {"p": _results(exp, 320)})
    exp._figure_claims(ctx, rows, problems)
    assert [c.verdict for c in ctx.claims] == ["reproduced"] * 3
    # planted: Basic cheaper than every compressor -> all three claims fail
    ctx = _ctx(tmp_path)
    rows = exp._bytes_table(ctx, problems, {"p": _results(exp, 10)})
    exp._figure_claims(ctx, rows, problems)
    assert [c.verdict for c in ctx.claims] == ["not reproduced"] * 3


def test_rate_check_alone_fails_on_a_planted_fault(exp, ridge, tmp_path):
    """A theorem claiming a rate faster than the run's, whose envelope still holds (the
    envelope's start is loose): only the fitted-rate criterion catches it."""
    r = exp.one_run(ridge, "top_k[k=2]", 3000, 0)
    k = exp.measured_rate(r) / -np.log(r["q"])
    assert k > 1.5
    planted = dict(r, q=float(np.exp(np.log(r["q"]) * 1.25 * k)))   # 25 % faster than run
    ctx = _ctx(tmp_path)
    exp._envelope_claim(ctx, [("ridge", "ridge", ridge)],
                        {"ridge": {"Top-k": {r["spec"]: [planted]}}})
    assert ctx.claims[-1].verdict == "not reproduced"
    assert "0 above their envelope" in ctx.claims[-1].measured
    assert "1 slower than" in ctx.claims[-1].measured


def test_spherical_message_bits_matches_the_compressor(exp):
    """The block-size curve's exact expectation equals Spherical.expected_bits where the search
    cap is irrelevant, and one search obeys the poster's bound -log2 P + 3 (+ the norm)."""
    from theorytools.bounds import log2_cap_measure
    from theorytools.compressors import create

    for alpha, d, block in ((0.5, 8, 4), (0.2, 10, 7), (0.15, 30, 6)):
        c = create(f"spherical[alpha={alpha},block={block}]")
        bits, draws = exp.spherical_message_bits(alpha, d, block)
        assert bits == pytest.approx(c.expected_bits(np.ones(d)), rel=1e-9)
        assert draws > 1
    for alpha, d in ((0.15, 30), (0.2, 10), (0.5, 100)):
        bits, _ = exp.spherical_message_bits(alpha, d, d)
        assert 32 - log2_cap_measure(alpha, d) <= bits < 32 - log2_cap_measure(alpha, d) + 3


def test_sd_bits_claim_fails_on_a_planted_fault(exp, ridge, tmp_path):
    r = exp.one_run(ridge, "sparse_dithering[omega=0.25]", 60, 0)
    problems = [("ridge", "ridge", ridge)]
    ctx = _ctx(tmp_path)
    exp._sd_bits_claim(ctx, problems, {"ridge": {"Sparse Dithering unb. α=0.25": {
        r["spec"]: [r]}}})
    assert ctx.claims[-1].verdict == "reproduced"
    planted = dict(r, bits=r["bits"] + 8 * r["steps"])     # 8 more bits per message
    exp._sd_bits_claim(ctx, problems, {"ridge": {"Sparse Dithering unb. α=0.25": {
        r["spec"]: [planted]}}})
    assert ctx.claims[-1].verdict == "not reproduced"
