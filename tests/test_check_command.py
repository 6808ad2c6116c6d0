"""theorytools check MODULE:OBJECT on planted faulty compressors: each fault is caught, and a
correct compressor passes (issue 13 item 3)."""
import json
import sys

import numpy as np
import pytest

from theorytools.cli import main
from theorytools.commands.check import check_compressor, parse_claims
from theorytools.errors import TheorytoolsError

PLANTED = '''
import numpy as np
from theorytools.compressors import create

def rand_k_unscaled(x, seed, k=2):
    """Rand-k WITHOUT its d/k scale: biased."""
    rng = np.random.default_rng(seed)
    y = np.zeros_like(x)
    idx = rng.choice(x.size, k, replace=False)
    y[idx] = x[idx]
    return y

def rand_k(x, seed, k=2):
    return rand_k_unscaled(x, seed, k) * (x.size / k)

U = np.random.default_rng(12345).standard_normal(8)
U /= np.linalg.norm(U)

def shrink_quantiser(x, seed):
    """Error ratio 0.5 <x/||x||, u>^16 for a fixed generic direction u: below 0.003 on every
    adversarial family, 0.5 at x = u (only the optimiser finds it)."""
    c = (x @ U) / np.linalg.norm(x)
    return x * (1 - np.sqrt(0.5) * c ** 8)
shrink_quantiser.randomized = False

top2 = create("top_k[k=2]")
enc = top2.encode

def bad_dec(message):
    return -top2.decode(message)
'''


@pytest.fixture
def planted(tmp_path, monkeypatch):
    (tmp_path / "planted_cmp.py").write_text(PLANTED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _check(args, capsys):
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rand_k_without_its_scale_claimed_unbiased_is_caught(planted, capsys):
    code, out, _ = _check(["planted_cmp:rand_k_unscaled", "--claim", "unbiased", "--d", "6",
                           "--samples", "2000", "--max-norm-ratio", "1", "--search-samples",
                           "16", "--starts", "2"], capsys)
    assert code == 1 and "unbiased       d=6     violated" in out and "input x (d = 6)" in out


def test_scaled_rand_k_claimed_unbiased_passes(planted, capsys):
    code, out, _ = _check(["planted_cmp:rand_k", "--claim", "unbiased", "--d", "6",
                           "--samples", "2000", "--max-norm-ratio", "3", "--search-samples",
                           "16", "--starts", "2"], capsys)
    assert code == 0 and "all claims hold" in out


def test_top_k_with_a_too_small_delta_is_caught_and_the_right_one_holds(planted, capsys):
    code, out, _ = _check(["planted_cmp:top2", "--claim", "delta=3.5", "--d", "8"], capsys)
    assert code == 1 and "delta=3.5      d=8     violated" in out
    code, out, _ = _check(["planted_cmp:top2", "--claim", "delta=4", "--claim", "omega=1",
                           "--d", "8"], capsys)
    assert code == 0
    assert "delta=4        d=8     holds" in out and "omega=1        d=8     holds, not tight" \
        in out


def test_the_optimiser_finds_a_worst_case_the_families_miss(planted):
    sys_mod = __import__("planted_cmp")
    rep = check_compressor(sys_mod.shrink_quantiser, [8], parse_claims(["delta=1.0101"]))
    worst = rep["dimensions"]["8"]["worst"]["error"]
    assert worst["adversarial_families_best"] < 0.01 < 0.49 < worst["value"]
    assert worst["found_by"].startswith("optimiser")
    assert not rep["passed"] and rep["claims"][0]["verdict"] == "violated"
    x = np.array(rep["claims"][0]["witness"])
    assert abs(abs(x @ sys_mod.U) / np.linalg.norm(x) - 1) < 1e-3     # the witness is +-u
    # with no optimiser starts the same claim is (wrongly) accepted: the search is needed
    rep0 = check_compressor(sys_mod.shrink_quantiser, [8], parse_claims(["delta=1.0101"]),
                            starts=0)
    assert rep0["passed"]


def test_json_and_report(planted, capsys, tmp_path):
    code, out, _ = _check(["top_k[k=2]", "--claim", "delta=2.5", "--d", "5", "--json",
                           "--report", str(tmp_path / "rep")], capsys)
    data = json.loads(out)
    assert code == 0 and data["passed"] and data["claims"][0]["verdict"] == "holds"
    assert data["dimensions"]["5"]["bits"]["roundtrip"]
    assert (tmp_path / "rep" / "report.html").exists()


def test_bad_arguments(planted, capsys):
    with pytest.raises(TheorytoolsError, match="unknown claim 'omeg'"):
        parse_claims(["omeg=1"])
    with pytest.raises(TheorytoolsError, match="delta"):
        parse_claims(["delta=0.5"])
    code, _, err = _check(["planted_cmp:nothing"], capsys)
    assert code == 2 and "no attribute" in err


def test_class_claims_b1_b2_on_rand_k(planted, capsys):
    # scaled Rand-k (k = 2, d = 6) is in B1(3, 3) and B2(1, 3), exactly (from its law)
    code, out, _ = _check(["rand_k[k=2]", "--d", "6", "--claim", "b1_alpha=3",
                           "--claim", "b1_beta=3", "--claim", "b2_gamma=1", "--claim",
                           "b2_beta=3"], capsys)
    assert code == 0 and out.count(" holds") == 4, out
    code, out, _ = _check(["rand_k[k=2]", "--d", "6", "--claim", "b1_beta=2.5"], capsys)
    assert code == 1 and "b1_beta=2.5" in out and "violated" in out


def test_all_constants_are_measured(planted):
    rep = check_compressor(__import__("planted_cmp").top2, [6], [], all_constants=True)
    c = rep["dimensions"]["6"]["implied_constants"]
    # Top-2 at d = 6: worst error 1 - k/d = 2/3 (delta = 3), least E||C||^2/||x||^2 = 1/3
    assert c["omega >="] == pytest.approx(2 / 3) and c["delta >="] == pytest.approx(3.0)
    assert c["b1_alpha <="] == pytest.approx(1 / 3) and c["beta >="] == pytest.approx(1.0)
    assert rep["passed"] and rep["claims"] == []


def test_encoder_and_decoder_arguments(planted, capsys):
    code, out, _ = _check(["planted_cmp:top2", "--d", "5", "--encoder", "planted_cmp:enc",
                           "--decoder", "planted_cmp:bad_dec"], capsys)
    assert code == 0 and "round trip FAILED" in out       # reported; no claim was made
    code, out, _ = _check(["planted_cmp:top2", "--d", "5", "--encoder", "planted_cmp:enc"],
                          capsys)
    assert "round trip ok" in out and "max 68" in out     # bits_budget of top_k[k=2], d = 5
