"""The CLI commands `compressors` and `verify`: output shape, exit codes, one-line errors."""
import json
import subprocess
import sys

import pytest

from theorytools.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compressors_json_has_the_documented_keys(capsys):
    code, out, err = _run(capsys, "compressors", "--d", "200", "--json")
    assert code == 0
    rows = json.loads(out)
    from theorytools.compressors import names
    assert [r["name"] for r in rows] == names()
    for r in rows:
        for key in ("name", "params", "unbiased", "omega", "delta", "omega_measured",
                    "delta_measured", "bits_mean", "bits_max", "bits_budget"):
            assert key in r
        assert r["bits_max"] <= r["bits_budget"]
        if r["omega"] is not None:
            assert r["omega_measured"] <= r["omega"] * (1 + 2.0 ** -21) + 2.0 ** -21
    by_name = {r["name"]: r for r in rows}
    assert by_name["top_k"]["delta"] == 200 / 2
    assert abs(by_name["top_k"]["delta_measured"] - 100) <= 100 * 1e-12 * 100  # float32 rounding
    assert by_name["sign"]["omega"] is None and by_name["sign"]["delta"] is None


def test_compressors_param_override_and_table(capsys):
    code, out, _ = _run(capsys, "compressors", "--d", "50", "--param", "k=5", "--only", "top_k",
                        "--only", "rand_k")
    assert code == 0
    assert "top_k[k=5]" in out and "rand_k[k=5]" in out and "natural" not in out


@pytest.mark.parametrize("argv, needle", [
    (["compressors", "--d", "0"], "--d must be >= 1"),
    (["compressors", "--d", "10", "--param", "k=20", "--only", "top_k"], "k must be in [1, d]"),
    (["compressors", "--param", "nokey"], "KEY=VALUE"),
    (["compressors", "--param", "zzz=1"], "no selected compressor has it"),
    (["compressors", "--only", "nosuch"], "unknown compressor"),
    (["verify", "--quick", "--check", "bound.no-such-check"], "matches no check name"),
])
def test_bad_arguments_give_one_line_and_nonzero_exit(capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_argparse_errors_are_one_line():
    proc = subprocess.run([sys.executable, "-m", "theorytools.cli", "compressors", "--d", "x"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_verify_selection_json(capsys):
    code, out, _ = _run(capsys, "verify", "--quick", "--check", "compressor.top_k", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["failed"] == 0 and report["passed"] + report["vacuous"] == len(report["checks"]) > 0
    for row in report["checks"]:
        for key in ("name", "paper", "theorem", "status", "kind", "empirical", "theoretical",
                    "ratio", "verdict"):
            assert key in row


def test_verify_fails_when_a_check_fails(capsys, monkeypatch):
    """A planted wrong constant in the registry turns verify's exit code to 1."""
    from dataclasses import replace

    from theorytools.compressors import REGISTRY
    from theorytools.compressors.base import Constant
    from theorytools.compressors.sparsify import TopK

    class Planted(TopK):
        def theory(self, d):
            return replace(super().theory(d), delta=Constant(d / (self.params["k"] + 1), "planted"))

    monkeypatch.setitem(REGISTRY, "top_k", (Planted, REGISTRY["top_k"][1]))
    code, out, _ = _run(capsys, "verify", "--quick", "--check", "compressor.top_k.delta")
    assert code == 1
    assert "FAIL" in out


def test_verify_list(capsys):
    code, out, _ = _run(capsys, "verify", "--list")
    assert code == 0 and "beznosikov2020" in out


def test_theorem_filters_skip_theorems_that_cannot_match():
    from theorytools.verify import _theorem_selected

    assert _theorem_selected("tang2018.dcd_stability", None, None)
    assert not _theorem_selected("tang2018.dcd_stability", "stich2018", None)
    assert _theorem_selected("tang2018.dcd_stability", None, "theorem.tang2018.dcd")
    assert _theorem_selected("tang2018.dcd_stability", None, "theorem.tang2018.dcd_stability")
    assert _theorem_selected("tang2018.dcd_stability", None,
                             "theorem.tang2018.dcd_stability.threshold")
    assert not _theorem_selected("tang2018.dcd_stability", None, "theorem.stich2018")
    assert not _theorem_selected("tang2018.dcd", None, "theorem.tang2018.dcd_stability")
    # a substring that is not a theorem prefix keeps every theorem (labels are unknown)
    assert _theorem_selected("tang2018.dcd_stability", None, "threshold")
