"""Issue 11 (verdicts, report, CLI) and issue 16's CLI cases: vacuous checks, bits over the
randomness, --seed, paper labels, strict JSON, closed pipes, name resolution before running,
the memory guard, --debug/--version, progress lines and the report's content."""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from theorytools.cli import main
from theorytools.verify import VACUOUS_BELOW, CheckRow

ENV = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*argv, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "theorytools.cli", *argv], capture_output=True,
                          text=True, timeout=timeout, env=ENV, **kw)


def _strict(text):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- vacuous
def test_tightness_and_vacuity_of_rows():
    upper_vac = CheckRow("theorem.x.a", "tang2018", "s", "derived", "bound", 0.01155, 8.606e7,
                         None, "PASS", accept=(-math.inf, 8.606e7))
    upper_ok = CheckRow("theorem.x.b", "tang2018", "s", "derived", "bound", 0.5, 1.0, None,
                        "PASS", accept=(-math.inf, 1.0))
    lower_vac = CheckRow("theorem.x.c", "tang2018", "s", "derived", "bound", 1e4, 1.0, None,
                         "PASS", accept=(1.0, math.inf))
    failing = CheckRow("theorem.x.d", "tang2018", "s", "derived", "bound", 1e-9, 1.0, None,
                       "FAIL", accept=(2.0, math.inf))
    two_sided = CheckRow("theorem.x.e", "tang2018", "s", "derived", "law", 1e-4, 1.0, None,
                         "PASS", accept=(0.0, 2.0))
    assert upper_vac.vacuous and upper_vac.tightness == pytest.approx(0.01155 / 8.606e7)
    assert upper_vac.assessment == "holds, vacuous (bound 10^9 x measured)"
    assert upper_vac.status_label == "VACUOUS"
    assert not upper_ok.vacuous and upper_ok.assessment == "holds" and upper_ok.tightness == 0.5
    assert lower_vac.vacuous and lower_vac.tightness == pytest.approx(1e-4)
    assert lower_vac.assessment == "holds, vacuous (measured 10^4 x bound)"
    assert not failing.vacuous and failing.assessment == "FAILS"
    assert not two_sided.vacuous and two_sided.side is None
    # the threshold is the documented one: a bound 99x the measurement is not vacuous
    edge = CheckRow("theorem.x.f", "tang2018", "s", "derived", "bound", 1.0, 99.0, None, "PASS",
                    accept=(-math.inf, 99.0))
    assert VACUOUS_BELOW == 1e-2 and not edge.vacuous


def _planted_theorem(monkeypatch, key, checks):
    from theorytools.theory import registry
    registry._load()
    th = registry.Theorem(key=key, paper="tang2018", title="planted claim",
                          source="planted (test)", status="derived",
                          statement="‖x_T − x*‖² ≤ B", checks=checks)
    monkeypatch.setitem(registry.REGISTRY, key, th)
    return th


def test_verify_counts_a_planted_vacuous_check_apart(monkeypatch, capsys):
    from theorytools import check

    def checks(th, quick):
        yield "vacuous", check.bound(1e-5, 1.0)     # bound 10^5 x measured: cannot fail
        yield "tested", check.bound(0.5, 1.0)       # within 100x: a real test

    _planted_theorem(monkeypatch, "tang2018.planted_vacuity", checks)
    code = main(["verify", "--quick", "--check", "theorem.tang2018.planted_vacuity", "--json"])
    out = _strict(capsys.readouterr().out)
    assert code == 0   # vacuous rows pass: the exit status is 0 iff no FAIL
    assert (out["passed"], out["vacuous"], out["failed"]) == (1, 1, 0)
    by = {r["name"].rsplit(".", 1)[1]: r for r in out["checks"]}
    assert by["vacuous"]["vacuous"] and by["vacuous"]["outcome"] == "VACUOUS"
    assert by["vacuous"]["assessment"] == "holds, vacuous (bound 10^5 x measured)"
    assert not by["tested"]["vacuous"] and by["tested"]["assessment"] == "holds"
    assert out["summary"]["papers"]["tang2018"]["vacuous"] == 1
    # the terminal summary shows it too
    code = main(["verify", "--quick", "--check", "theorem.tang2018.planted_vacuity", "--quiet"])
    text = capsys.readouterr().out
    assert code == 0 and "1 passed, 1 vacuous, 0 failed" in text
    assert "holds, vacuous (bound 10^5 x measured)" in text


# --------------------------------------------------------------------------- bits
def _rare_long_topk(budget_long: bool, p_long: float):
    """A planted Top-k whose message is 1 bit, except with probability ``p_long`` 64 d bits;
    it declares a worst-case budget of 64 d bits (``budget_long``) or of 1 bit."""
    from theorytools.codecs.message import Message
    from theorytools.compressors.sparsify import TopK

    class RareLong(TopK):
        randomized = True

        def encode(self, x, rng=None, *, shared=False):
            x = self.validate(x)
            key = int(self._key(rng))
            u = (key >> 11) * 2.0 ** -53
            nbits = 64 * x.size if u < p_long else 1
            return Message(bytes((nbits + 7) // 8), nbits, x.size, self.canonical_name, None)

        def bits_budget(self, x, *, shared=False):
            return 64 * np.asarray(x).size if budget_long else 1

    return RareLong


def _bits_row(monkeypatch, cls):
    from theorytools.compressors import REGISTRY
    from theorytools.verify import bound_rows
    monkeypatch.setitem(REGISTRY, "top_k", (cls, REGISTRY["top_k"][1]))
    rows = [r for r in bound_rows(True, check="bound.top_k.")]
    assert len(rows) == 1
    return rows[0]


def test_bits_of_a_compressor_whose_long_messages_are_rare(monkeypatch):
    """Old code (seed 0 only) false-FAILs it; the worst case over the randomness is its
    declared budget, which meets the lower bound: PASS."""
    from theorytools.compressors import default
    from theorytools.compressors.contract import adversarial_inputs

    cls = _rare_long_topk(budget_long=True, p_long=1e-9)
    row = _bits_row(monkeypatch, cls)
    assert row.verdict == "PASS", row.details
    assert "declared worst-case budget" in row.details
    assert row.interval[0] == 1 and row.interval[1] == 64 * 16
    # the old measurement: one encoder seed (0) per input, max over inputs: 1 bit < b_LB
    comp = default("top_k", 16, float_width=32)
    old = max(comp.encode(x, 0).nbits for _, x in adversarial_inputs(16))
    assert old == 1 < row.theoretical


def test_bits_long_messages_seen_in_many_draws_pass_without_the_budget(monkeypatch):
    cls = _rare_long_topk(budget_long=True, p_long=0.05)   # seen in 200 draws per input
    row = _bits_row(monkeypatch, cls)
    assert row.verdict == "PASS" and "longest message seen reaches the bound" in row.details


def test_bits_of_an_invalid_compressor_fail(monkeypatch):
    # declares (honestly) 1 bit in the worst case: below b_LB, whatever the draws
    row = _bits_row(monkeypatch, _rare_long_topk(budget_long=False, p_long=0.0))
    assert row.verdict == "FAIL" and "below the bound" in row.details
    # declares 1 bit but sends 64 d bits now and then: the declaration is caught
    row = _bits_row(monkeypatch, _rare_long_topk(budget_long=False, p_long=0.05))
    assert row.verdict == "FAIL" and "exceeds the declared budget" in row.details


# --------------------------------------------------------------------------- seed
def test_seed_reaches_seeded_checks_and_is_recorded(monkeypatch, capsys):
    from theorytools import check
    from theorytools.theory.common import seeded as mark_seeded
    from theorytools.theory.registry import derive_seed

    def seeded(th, quick, seed=0):   # seed: the draw offset derived from (S, key)
        yield "draw", mark_seeded(check.bound(np.random.default_rng(seed).random(), 1.0))

    def fixed(th, quick):            # a plugin that takes no seed: its draws stay fixed
        yield "draw", check.bound(np.random.default_rng(3).random(), 1.0)

    _planted_theorem(monkeypatch, "tang2018.planted_seeded", seeded)
    _planted_theorem(monkeypatch, "tang2018.planted_fixed", fixed)

    def run(seed):
        assert main(["verify", "--quick", "--check", "theorem.tang2018.planted_", "--json",
                     "--seed", str(seed), "--quiet"]) == 0
        out = _strict(capsys.readouterr().out)
        assert out["metadata"]["seed"] == seed
        return {r["name"]: r for r in out["checks"]}

    a, b, a2 = run(0), run(5), run(0)
    s, f = "theorem.tang2018.planted_seeded.draw", "theorem.tang2018.planted_fixed.draw"
    assert a[s]["empirical"] == np.random.default_rng(0).random()   # S = 0: offset 0
    offset = derive_seed(5, "tang2018.planted_seeded")
    assert offset % 2 ** 32 == 0 and offset > 0
    assert b[s]["empirical"] == np.random.default_rng(offset).random() != a[s]["empirical"]
    assert a[s]["seed"] == 0 and b[s]["seed"] == 5
    assert a[f]["seed"] is None and a[f]["empirical"] == b[f]["empirical"]   # says "none"
    assert a == a2   # the same seed: the same rows


def test_seed_changes_the_compressor_suite_draws():
    from theorytools.compressors import default
    from theorytools.compressors.contract import adversarial_inputs
    from theorytools.verify import bits_worst_case

    g0 = dict(adversarial_inputs(16, seed=7))["gaussian"]
    g1 = dict(adversarial_inputs(16, seed=8))["gaussian"]
    assert not np.array_equal(g0, g1)
    comp = default("sparse_dithering", 64, float_width=32)
    x = [np.random.default_rng(1).standard_normal(64)]
    draws = [bits_worst_case(comp, x, draws=30, seed=s).observed for s in range(4)]
    assert len(set(draws)) > 1   # the encoder's draws follow the seed
    assert bits_worst_case(comp, x, draws=30, seed=2).observed == draws[2]


# --------------------------------------------------------------------------- papers
def test_compressors_declare_their_paper():
    from theorytools.compressors import REGISTRY
    from theorytools.verify import PAPERS

    papers = {name: cls.paper for name, (cls, _) in REGISTRY.items()}
    assert set(papers.values()) <= set(PAPERS)
    for name in ("sparse_dithering", "sparse_dithering_det", "spherical"):
        assert papers[name] == "albasyoni2020"
    assert papers["grid_rounding"] == "tang2018"
    assert papers["top_k"] == papers["natural"] == "beznosikov2020"


def test_paper_filter_keeps_albasyoni_compressors(capsys):
    code = main(["verify", "--quick", "--paper", "albasyoni2020", "--check",
                 "compressor.sparse_dithering_det.", "--json", "--quiet"])
    out = _strict(capsys.readouterr().out)
    assert code == 0 and out["checks"]
    assert {r["paper"] for r in out["checks"]} == {"albasyoni2020"}


# --------------------------------------------------------------------------- names
def test_unknown_check_fails_fast_with_did_you_mean():
    t = time.monotonic()
    proc = _cli("verify", "--check", "NO_SUCH_NAME", timeout=120)
    assert proc.returncode == 2 and "matches no check name" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = _cli("verify", "--check", "compressor.top_kk", timeout=120)
    assert proc.returncode == 2 and "did you mean compressor.top_k" in proc.stderr
    proc = _cli("verify", "--paper", "albasyoni", timeout=120)
    assert proc.returncode == 2 and "did you mean albasyoni2020" in proc.stderr
    # three CLI starts, nothing measured (a run of the suites takes minutes)
    assert time.monotonic() - t < 90


def test_theorem_labels_and_substrings_are_accepted():
    from theorytools.verify import resolve_check
    for name in ("theorem.tang2018.dcd_stability", "theorem.tang2018.dcd_stability.any_label",
                 "top_k", "bound.", "proof.ecd_error", "contract"):
        resolve_check(name)


# --------------------------------------------------------------------------- JSON/CSV
@pytest.mark.parametrize("argv", [
    # identity declares omega = 0: its ratio measured/declared is NaN in the raw data
    ["compressors", "--d", "8", "--only", "sign", "--only", "identity", "--json"],
    ["bounds", "--table", "--ds", "2,10", "--alphas", "0.01,0.5", "--json"],
    ["bounds", "--d", "2", "--alpha", "0.999", "--json"],
    ["frontier", "--d", "4", "--json"],
    ["verify", "--list", "--json"],
    ["verify", "--quick", "--check", "compressor.sign.", "--json", "--quiet"],
])
def test_every_json_output_is_strict(capsys, argv):
    main(argv)
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    _strict(out)


def test_compressors_json_writes_null_for_missing_values(capsys):
    assert main(["compressors", "--d", "8", "--only", "sign", "--json"]) == 0
    row = _strict(capsys.readouterr().out)[0]
    assert row["omega"] is None and row["delta"] is None


@pytest.mark.parametrize("argv, column", [
    (["compressors", "--d", "8", "--only", "top_k", "--csv"], "canonical_name"),
    (["frontier", "--d", "4", "--csv"], "spec"),
    (["verify", "--quick", "--check", "compressor.top_k.delta", "--csv", "--quiet"],
     "assessment"),
])
def test_csv_wherever_there_is_json(capsys, argv, column):
    import csv
    import io
    assert main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and column in rows[0]


# --------------------------------------------------------------------------- pipes, errors
@pytest.mark.parametrize("argv", [["proofs", "--json", "--only", "ecd_error"],
                                  ["bounds", "--table", "--json"]])
def test_closed_pipe_gives_no_traceback(argv):
    proc = subprocess.Popen([sys.executable, "-m", "theorytools.cli", *argv], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()    # the reader is gone before the first write: EPIPE, always
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 141


def test_closed_pipe_through_head():
    cmd = (f"{sys.executable} -m theorytools.cli bounds --table --json | head -1")
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.stdout.strip() == "[" and "Traceback" not in proc.stderr


def test_debug_shows_the_traceback_the_one_line_error_hides(capsys):
    from theorytools.errors import TheorytoolsError
    assert main(["compressors", "--d", "0"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(TheorytoolsError, match="--d must be >= 1"):
        main(["compressors", "--d", "0", "--debug"])
    with pytest.raises(TheorytoolsError):
        main(["--debug", "compressors", "--d", "0"])


def test_version():
    proc = _cli("--version", timeout=120)
    from theorytools import __version__
    assert proc.returncode == 0 and proc.stdout.strip() == f"theorytools {__version__}"


def test_every_flag_has_help():
    import argparse

    from theorytools.cli import build_parser
    parser = build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]
    for name, sub in [("theorytools", parser)] + list(subs.choices.items()):
        for action in sub._actions:
            if action.option_strings:
                assert action.help and action.help != argparse.SUPPRESS, \
                    f"{name} {action.option_strings} has no help"


@pytest.mark.parametrize("argv", [["compressors", "--d", "1000000000000"],
                                  ["frontier", "--d", "1e12"]])
def test_huge_d_is_refused_before_allocating(argv):
    t = time.monotonic()
    proc = _cli(*argv, timeout=120)
    assert proc.returncode == 2
    assert "largest d that fits here" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert time.monotonic() - t < 60


def test_help_states_the_supported_range():
    for cmd in ("compressors", "frontier"):
        proc = _cli(cmd, "--help", timeout=120)
        assert "fits in the memory available" in " ".join(proc.stdout.split())


# --------------------------------------------------------------------------- progress
def test_progress_lines_when_stderr_is_not_a_terminal(capsys):
    assert main(["verify", "--quick", "--check", "bound.top_k."]) == 0
    err = capsys.readouterr().err
    assert "[verify 1/1] suite bounds: 1 checks, 1 passed, 0 vacuous, 0 failed" in err
    assert "done" in err


def test_progress_with_jobs(capsys):
    assert main(["verify", "--quick", "--check", "bound.top_k", "--jobs", "2", "--json"]) == 0
    assert "[verify 1/1]" in capsys.readouterr().err


# --------------------------------------------------------------------------- report
def _rows():
    x = np.arange(1, 11)
    rows = [
        CheckRow("theorem.tang2018.demo.fails", "tang2018", "Tang 2018, Thm 1", "derived",
                 "bound", 2.0, 1.0, 2.0, "FAIL", "planted failure", accept=(-math.inf, 1.0),
                 claim="demo claim", formula="E‖x_T − x*‖² ≤ B"),
        CheckRow("theorem.tang2018.demo.vacuous", "tang2018", "Tang 2018, Thm 1", "derived",
                 "bound", 15.000000000000002, 8.606e7, None, "PASS", "",
                 interval=(-math.inf, 16.0), accept=(-math.inf, 8.606e7),
                 claim="demo claim", formula="E‖x_T − x*‖² ≤ B"),
        CheckRow("compressor.top_k.delta[d=16]", "beznosikov2020", "Table 1", "derived",
                 "tight", 16.0, 16.0, 1.0, "PASS", accept=(16.0, 16.0),
                 claim="top_k: contraction", formula="E‖C(x) − x‖² ≤ (1 − 1/δ)‖x‖²"),
    ]
    rows[1].series = {"x": x, "y": 1 / x, "lo": 0.8 / x, "hi": 1.2 / x, "bound": 2 / x}
    return rows


def test_report_reads_well(tmp_path):
    from theorytools.report import fmt_number, write_report
    from theorytools.verify import run_metadata

    meta = run_metadata(quick=True, seed=3)
    paths = write_report(_rows(), str(tmp_path), meta)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # metadata in every output
    for key in ("toolkit", "date", "mode", "seed", "python", "numpy", "numba", "machine"):
        assert f"{key}:" in md and f"<td>{key}</td>" in html
    data = _strict((tmp_path / "results.json").read_text())
    assert data["metadata"]["seed"] == 3 and data["failed"] == 1 and data["vacuous"] == 1
    csv_text = (tmp_path / "results.csv").read_text(encoding="utf-8")
    assert "run_seed" in csv_text.splitlines()[0]
    # failures first, then the summary, then the sections
    assert md.index("## Failures") < md.index("theorem.tang2018.demo.fails") < \
        md.index("## Summary") < md.index("## Checks")
    assert "holds, vacuous (bound 10^6 x measured)" in md
    # readable numbers, no None, the norm rendered as UTF-8
    assert "15.000000000000002" not in md and "None" not in md and "None" not in html
    assert fmt_number(15.000000000000002) == "15" and fmt_number(None) == "–"
    assert "<meta charset='utf-8'>" in html and "‖x_T − x*‖²" in html
    # a table of contents and a section per theorem, with its plot and the curves as CSV
    assert "<nav>" in html and "href='#s-theorem-tang2018-demo'" in html
    assert "id='s-theorem-tang2018-demo'" in html
    plot = paths["plots"]["theorem.tang2018.demo.vacuous"]
    assert os.path.getsize(plot) > 0 and os.path.exists(plot[:-4] + ".csv")
    curves = (open(plot[:-4] + ".csv").read().splitlines())
    assert curves[0] == "curve,x,y,lo,hi,bound,bits" and len(curves) == 11
    for g in paths["group_plots"].values():
        assert os.path.exists(g[:-4] + ".csv")


def test_summary_plot_clips_outliers(tmp_path):
    from theorytools.report import SUMMARY_RANGE, _plot_summary
    rows = _rows() + [CheckRow("theorem.tang2018.demo.huge", "tang2018", "s", "derived",
                               "bound", 1e-30, 1.0, None, "PASS", accept=(-math.inf, 1.0))]
    _plot_summary(rows, str(tmp_path / "s.png"))
    assert SUMMARY_RANGE[0] > 1e-30 and (tmp_path / "s.png").stat().st_size > 0


def test_terminal_output_has_failures_first_and_full_verdicts():
    from theorytools.commands.verify import render_text
    from theorytools.verify import run_metadata
    text = render_text(_rows(), run_metadata(quick=True, seed=0))
    assert text.index("FAILURES (1)") < text.index("SUMMARY") < text.index("check ")
    assert "holds, vacuous (bound 10^6 x measured)" in text
    wide = render_text(_rows(), run_metadata(quick=True, seed=0), wide=True)
    assert "E‖C(x) − x‖² ≤ (1 − 1/δ)‖x‖²" in wide and "Tang 2018, Thm 1" in wide
    verbose = render_text(_rows(), run_metadata(quick=True, seed=0), verbose=True)
    assert "claim:" in verbose and "passes if ≤ 8.606e7" in verbose


def test_every_compressor_has_rows_labelled_with_its_own_paper():
    """Without filters the compressor suite measures every registered compressor, each row
    carrying the paper of the compressor's class (a planted shadowing of the filter variable
    once dropped every compressor after the first whose paper differed)."""
    from theorytools.compressors import REGISTRY
    from theorytools.verify import compressor_rows
    rows = list(compressor_rows(True))
    seen = {r.name.split(".")[1]: r.paper for r in rows}
    assert set(seen) == set(REGISTRY)
    assert all(seen[n] == cls.paper for n, (cls, _) in REGISTRY.items())


def test_report_plots_in_two_processes_give_the_same_files(tmp_path):
    from theorytools.report import write_report
    one = write_report(_rows(), str(tmp_path / "one"), {"seed": 0}, jobs=1)
    two = write_report(_rows(), str(tmp_path / "two"), {"seed": 0}, jobs=2)
    assert sorted(os.listdir(tmp_path / "one")) == sorted(os.listdir(tmp_path / "two"))
    assert (tmp_path / "one" / "report.md").read_text(encoding="utf-8") == \
        (tmp_path / "two" / "report.md").read_text(encoding="utf-8")
    assert [os.path.basename(p) for p in one["plots"].values()] == \
        [os.path.basename(p) for p in two["plots"].values()]
