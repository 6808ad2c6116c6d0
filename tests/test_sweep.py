"""Sweeps: grid expansion, atomic storage, resume, failures, corrupted files, kills,
determinism across executors (in-process, local processes, Dask LocalCluster), the CLI."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from theorytools.cli import main

# the grids deliberately include a biased compressor (top_k) in DCD-PSGD; the run records the
# AssumptionWarning (tested below), the suite's output need not repeat it
pytestmark = pytest.mark.filterwarnings("ignore::theorytools.algorithms.AssumptionWarning")
from theorytools.errors import TheorytoolsError
from theorytools.sweep import (deterministic_part, execute, expand, load_config, load_results,
                               open_executor, parse_seeds, read_result, result_path, run_sweep,
                               to_csv, write_result)

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """
seeds = [0, 1]

[[grid]]
algorithm = ["dcd_psgd", "choco_sgd"]
problem = "quadratic[n=4,d=5]"
compressor = ["dithering[s=4]", "top_k[k=2]"]
gamma = 0.05
T = 12

[[grid]]
algorithm = "ef_sgd"
problem = "quadratic[n=3,d=4]"
compressor = "top_k[k=1]"
gamma = [0.05, 0.1]
T = 8
seed = 5
"""
#: diverges: the iterates leave float32's range and the natural compressor's wire format
FAILING = """
[[grid]]
algorithm = "dcd_psgd"
problem = "quadratic[n=4,d=3]"
compressor = "natural"
gamma = [0.05, 50.0]
T = 200
"""


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(CONFIG)
    return path


def test_expand_is_the_cartesian_product(cfg):
    specs = expand(load_config(cfg))
    assert len(specs) == 2 * 2 * 2 + 2          # (alg x compressor x seeds) + EF's gammas
    assert [s.seed for s in specs[:2]] == [0, 1]
    assert {s.seed for s in specs[8:]} == {5}
    assert len({s.name for s in specs}) == len(specs)
    assert len(expand(load_config(cfg), seeds=[7])) == 4 + 2
    doubled = {"grid": [load_config(cfg)["grid"][0]] * 2}
    assert len(expand(doubled)) == 4              # duplicates dropped


@pytest.mark.parametrize("config, match", [
    ({"grid": {"algorithm": "dcd_psgd", "gamma": []}}, "empty list"),
    ({"grids": []}, "unknown top-level"),
    ({"seeds": [0]}, "no \\[\\[grid\\]\\]"),
    ({"grid": {"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3]", "T": 5,
               "gamma": 0.1}}, "grid 1: .*compressor"),
    ({"seeds": ["a"], "grid": {}}, "seeds"),
])
def test_bad_configs(config, match):
    with pytest.raises(TheorytoolsError, match=match):
        expand(config)


def test_parse_seeds():
    assert parse_seeds(["0-3", "7", "9,10"]) == [0, 1, 2, 3, 7, 9, 10]
    with pytest.raises(TheorytoolsError, match="'x'"):
        parse_seeds(["x"])


def test_yaml_config(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "g.yaml"
    path.write_text("seeds: [0, 1]\ngrid:\n  algorithm: dpsgd\n  problem: quadratic[n=4,d=3]\n"
                    "  gamma: [0.1, 0.2]\n  T: 5\n")
    assert len(expand(load_config(path))) == 4


def test_run_store_resume_and_table(cfg, tmp_path):
    out = tmp_path / "out"
    log = io.StringIO()
    s1 = run_sweep(expand(load_config(cfg)), out, stream=log)
    assert (s1.total, s1.ran, s1.ok, s1.failed) == (10, 10, 10, 0)
    assert "[sweep 10/10]" in log.getvalue() and "done" in log.getvalue()
    files = sorted((out / "runs").glob("*.json"))
    assert len(files) == 10 and not list((out / "runs").glob(".*"))
    stamps = {f: f.stat().st_mtime_ns for f in files}
    s2 = run_sweep(cfg, out, stream=io.StringIO())
    assert (s2.skipped, s2.ran) == (10, 0)
    assert stamps == {f: f.stat().st_mtime_ns for f in files}     # nothing rewritten
    records = load_results(out)
    assert len(records) == 10 and all(r["status"] == "ok" for r in records)
    text = to_csv(records)
    assert text.count("\n") == 11 and text.startswith("name,config,status,")
    with_curves = to_csv(records, curves=True)
    assert "f_gap_curve" in with_curves.splitlines()[0]


def test_failed_run_is_recorded_and_the_others_go_on(tmp_path):
    out = tmp_path / "out"
    specs = expand({"grid": {"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3]",
                             "compressor": "natural", "gamma": [0.05, 50.0], "T": 200}})
    summary = run_sweep(specs, out, stream=io.StringIO())
    assert (summary.ok, summary.failed) == (1, 1)
    bad = read_result(result_path(out, specs[1].name), specs[1].name)
    assert bad["status"] == "failed" and "compression failed" in bad["error"]
    assert bad["gamma"] == 50.0 and bad["config"] == specs[1].config
    again = run_sweep(specs, out, stream=io.StringIO())
    assert (again.ran, again.failed) == (0, 1)            # recorded: not re-run ...
    retry = run_sweep(specs, out, stream=io.StringIO(), retry_failed=True)
    assert (retry.ran, retry.failed) == (1, 1)            # ... unless asked


@pytest.mark.parametrize("damage", ["truncate", "digit", "swap", "garbage"])
def test_corrupted_result_file_is_detected_and_rerun(cfg, tmp_path, damage):
    out = tmp_path / "out"
    specs = expand(load_config(cfg))[:3]
    run_sweep(specs, out, stream=io.StringIO())
    victim = result_path(out, specs[1].name)
    good = read_result(victim)
    text = victim.read_text()
    if damage == "truncate":                     # a partial write
        victim.write_text(text[: len(text) // 2])
    elif damage == "digit":                      # one digit of f_gap altered
        value = repr(good["f_gap"])
        i = text.index(value) + len(value) - 1
        victim.write_text(text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:])
    elif damage == "swap":                       # another run's (valid) file under this name
        os.replace(result_path(out, specs[0].name), victim)
    else:
        victim.write_bytes(b"\x00\xff" * 10)
    with pytest.raises(TheorytoolsError):
        read_result(victim, specs[1].name)
    warn = io.StringIO()
    assert specs[1].name not in [r["name"] for r in load_results(out, warn=warn)]
    assert "invalid" in warn.getvalue()
    log = io.StringIO()
    summary = run_sweep(specs, out, stream=log)
    assert summary.invalid == 1 and "running it again" in log.getvalue()
    assert deterministic_part(read_result(victim, specs[1].name)) == deterministic_part(good)


def _same(a, b):
    """The determinism check: equal record sets, all fields but the measured seconds."""
    a = {r["name"]: deterministic_part(r) for r in a}
    b = {r["name"]: deterministic_part(r) for r in b}
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], f"{name}: results differ between executors"


def perturbing_runner(name):
    """A planted fault: the run whose seed is 1 and compressor top_k comes back with its final
    f_gap one ulp off."""
    import math
    rec = execute(name)
    if "seed=1]" in name and "top_k" in name and "dcd_psgd" in name:
        rec["f_gap"] = math.nextafter(rec["f_gap"], math.inf)
    return rec


def test_same_results_in_process_and_on_processes(cfg, tmp_path):
    specs = expand(load_config(cfg))
    run_sweep(specs, tmp_path / "a", stream=io.StringIO())
    with ProcessPoolExecutor(max_workers=2) as pool:
        run_sweep(specs, tmp_path / "b", executor=pool, stream=io.StringIO())
    a, b = load_results(tmp_path / "a"), load_results(tmp_path / "b")
    assert len(a) == len(specs)
    _same(a, b)
    # the planted fault: one result perturbed by one ulp must fail the check (fork: the
    # workers inherit this test module, which defines the faulty runner)
    import multiprocessing
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) \
            as pool:
        run_sweep(specs, tmp_path / "c", executor=pool, stream=io.StringIO(),
                  runner=perturbing_runner)
    with pytest.raises(AssertionError, match="differ"):
        _same(a, load_results(tmp_path / "c"))


def test_same_results_on_a_dask_local_cluster(cfg, tmp_path):
    pytest.importorskip("distributed", reason="the dask extra is not installed "
                        "(pip install 'theorytools[dask]')")
    specs = expand(load_config(cfg))
    run_sweep(specs, tmp_path / "a", stream=io.StringIO())
    with open_executor(jobs=2, dask="local") as ex:
        run_sweep(specs, tmp_path / "d", executor=ex, stream=io.StringIO())
    _same(load_results(tmp_path / "a"), load_results(tmp_path / "d"))


SLOW = """
import sys, time
from theorytools.sweep import execute, run_sweep
def slow(name):
    time.sleep(0.4)
    return execute(name)
run_sweep(sys.argv[1], sys.argv[2], runner=slow)
"""


def test_killing_a_sweep_loses_nothing_that_finished(cfg, tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script), str(cfg), str(out)], env=env,
                            stderr=subprocess.PIPE, text=True)
    runs = out / "runs"
    deadline = time.monotonic() + 300
    while len(list(runs.glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    done = {r["name"] for r in load_results(out, warn=None)}
    assert 3 <= len(done) < 10
    specs = expand(load_config(cfg))
    summary = run_sweep(specs, out, stream=io.StringIO())
    assert summary.skipped == len(done) and summary.ran == 10 - len(done)
    assert len(load_results(out)) == 10


def test_cli_sweep_table_and_exit_codes(tmp_path, capsys):
    cfg = tmp_path / "fails.toml"
    cfg.write_text(FAILING)
    out = tmp_path / "res"
    assert main(["sweep", str(cfg), "--out", str(out)]) == 1     # one run failed
    err = capsys.readouterr().err
    assert "FAILED" in err and "1 ok, 1 failed" in err and "(" in err
    assert main(["sweep", str(cfg), "--out", str(out), "--table"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 3 and "failed" in table[2]
    assert main(["sweep", str(cfg), "--list"]) == 0
    assert capsys.readouterr().out.count("dcd_psgd[") == 2
    assert (tmp_path / "fails-results").exists() is False
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[[grid]]\nalgorithm = 'dcd_psgd'\ngamma = [\n")
    assert main(["sweep", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_cli_default_out_dir_and_seeds(tmp_path, capsys):
    cfg = tmp_path / "g.toml"
    cfg.write_text('[[grid]]\nalgorithm = "dpsgd"\nproblem = "quadratic[n=4,d=3]"\n'
                   'gamma = 0.1\nT = 4\n')
    assert main(["sweep", str(cfg), "--seeds", "0-2", "--quiet"]) == 0
    assert len(list((tmp_path / "g-results" / "runs").glob("*.json"))) == 3


def test_missing_extras_say_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.futures", None)
    with pytest.raises(TheorytoolsError, match=r"pip install 'theorytools\[dask\]'"):
        with open_executor(dask="local"):
            pass
    cfg = tmp_path / "g.toml"
    cfg.write_text('[[grid]]\nalgorithm = "dpsgd"\nproblem = "quadratic[n=4,d=3]"\n'
                   'gamma = 0.1\nT = 4\n')
    assert main(["sweep", str(cfg), "--dask", "local"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "theorytools[dask]" in err[0]
    assert main(["sweep", str(cfg), "--mpi"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "theorytools[mpi]" in err[0]


def test_write_is_atomic(tmp_path, monkeypatch):
    """A write interrupted before os.replace leaves only a temporary file, which is never
    loaded and is cleaned up by the next sweep."""
    rec = execute("dpsgd[problem=quadratic[n=4,d=3],gamma=0.1,T=3]")

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_result(tmp_path, rec)
    monkeypatch.undo()
    assert not result_path(tmp_path, rec["name"]).exists()
    assert load_results(tmp_path) == []
    assert len(list((tmp_path / "runs").glob(".*.tmp"))) == 1
    run_sweep([], tmp_path, stream=io.StringIO())
    assert not list((tmp_path / "runs").glob(".*.tmp"))
    path = write_result(tmp_path, rec)
    assert json.loads(path.read_text().splitlines()[1]) == rec


def test_verify_on_dask_gives_the_same_rows(capsys):
    """``theorytools verify --dask local`` runs the same checks through a Dask client's
    executor (the path of --jobs) and prints the same rows."""
    pytest.importorskip("distributed", reason="the dask extra is not installed "
                        "(pip install 'theorytools[dask]')")
    args = ["verify", "--quick", "--check", "compressor.identity", "--json", "--quiet"]
    assert main(args) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(args + ["--dask", "local", "--jobs", "2"]) == 0
    dask = json.loads(capsys.readouterr().out)
    assert local["checks"] and local["checks"] == dask["checks"]


def test_dataframe_needs_pandas_and_says_so(monkeypatch):
    from theorytools.sweep import to_dataframe
    rec = execute("dpsgd[problem=quadratic[n=4,d=3],gamma=0.1,T=3]")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(TheorytoolsError, match="pip install pandas"):
        to_dataframe([rec])


def test_dataframe_with_pandas():
    from theorytools.sweep import to_dataframe
    pd = pytest.importorskip("pandas")
    rec = execute("dpsgd[problem=quadratic[n=4,d=3],gamma=0.1,T=3]")
    frame = to_dataframe([rec, execute(rec["name"].replace("seed=0", "seed=1"))])
    assert isinstance(frame, pd.DataFrame) and list(frame["seed"]) == [0, 1]
    assert frame["f_gap"][0] == rec["f_gap"]                # floats written exactly


def test_csv_writes_floats_exactly_and_curves_on_request(tmp_path, capsys):
    import csv
    rec = execute("dpsgd[problem=quadratic[n=4,d=3],gamma=0.1,T=3]")
    rows = list(csv.DictReader(io.StringIO(to_csv([rec]))))
    assert float(rows[0]["f_gap"]) == rec["f_gap"] and "f_gap_curve" not in rows[0]
    rows = list(csv.DictReader(io.StringIO(to_csv([rec], curves=True))))
    assert json.loads(rows[0]["f_gap_curve"]) == rec["f_gap_curve"]


def dying_runner(name):
    """A worker that dies (as killed by the OOM killer) on the runs with seed 1."""
    if "seed=1]" in name:
        os._exit(1)
    return execute(name)


def test_a_dead_worker_loses_its_runs_and_nothing_else(cfg, tmp_path):
    import multiprocessing
    specs = expand(load_config(cfg))
    out = tmp_path / "out"
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) \
            as pool:
        summary = run_sweep(specs, out, executor=pool, stream=io.StringIO(),
                            runner=dying_runner)
    assert summary.lost >= 1 and summary.ok + summary.lost == len(specs)
    stored = load_results(out)
    assert len(stored) == summary.ok and all(r["status"] == "ok" for r in stored)
    again = run_sweep(specs, out, stream=io.StringIO())
    assert again.skipped == summary.ok and again.ran == summary.lost and again.lost == 0
    assert len(load_results(out)) == len(specs)
