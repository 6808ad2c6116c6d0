"""The experiment framework (theorytools.experiment, `theorytools experiment`): summaries,
figures with their data, verdict validation, resume from the cache, discovery and the CLI."""
from __future__ import annotations

import json
import pickle
import textwrap

import pytest

from theorytools.cli import main
from theorytools.errors import TheorytoolsError
from theorytools.experiment import (Experiment, find_experiments, run_experiment)

SCRIPT = textwrap.dedent('''
    """A toy experiment for the framework tests."""
    TITLE = "toy: a sum"
    PAPER = "Nobody, A toy paper, 2026"
    CALLS = []

    def run(ctx):
        import matplotlib.pyplot as plt
        ctx.scale(ours=f"n = {ctx.pick(100, 10, 3)}", paper="n = 10^6")
        ctx.dataset("synthetic: the integers")
        n = ctx.pick(100, 10, 3)
        total = ctx.cached(f"sum[n={n}]", lambda: CALLS.append(n) or sum(range(n)))
        fig, ax = plt.subplots()
        ax.plot(range(n), range(n))
        ctx.save_figure(fig, "line", [{"x": i, "y": i} for i in range(n)], caption="a line")
        ctx.claim("the sum of 0..n-1 is n(n-1)/2 (Gauss)", f"sum = {total}",
                  total == n * (n - 1) // 2, figure="line")
''')


@pytest.fixture()
def exp_dir(tmp_path):
    d = tmp_path / "exps"
    d.mkdir()
    (d / "toy.py").write_text(SCRIPT)
    (d / "helper_not_an_experiment.py").write_text("X = 1\n")
    return d


def test_run_writes_summary_figure_data_and_resumes(exp_dir, tmp_path):
    out = tmp_path / "out"
    ctx = run_experiment("toy", out=out, mode="tiny", directory=exp_dir, progress=False)
    assert ctx.verdict_counts() == {"reproduced": 1, "partially reproduced": 0,
                                    "not reproduced": 0}
    assert (out / "line.png").stat().st_size > 1000
    assert (out / "line.csv").read_text().splitlines()[:2] == ["x,y", "0,0"]
    md = (out / "summary.md").read_text()
    assert "Tiny mode" in md and "**reproduced**" in md and "n = 10^6" in md
    assert "git_commit" in md and "numba" in md
    js = json.loads((out / "summary.json").read_text())
    assert js["claims"][0]["figure"] == "line" and js["mode"] == "tiny"
    assert ctx.cache_misses == 1 and ctx.cache_hits == 0
    ctx2 = run_experiment("toy", out=out, mode="tiny", directory=exp_dir, progress=False)
    assert ctx2.cache_hits == 1 and ctx2.cache_misses == 0
    ctx3 = run_experiment("toy", out=out, mode="tiny", directory=exp_dir, progress=False,
                          resume=False)
    assert ctx3.cache_misses == 1


def test_damaged_cache_entry_is_recomputed_not_loaded(exp_dir, tmp_path):
    out = tmp_path / "out"
    run_experiment("toy", out=out, mode="tiny", directory=exp_dir, progress=False)
    (entry,) = (out / ".cache").glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:5])               # a truncated file
    ctx = run_experiment("toy", out=out, mode="tiny", directory=exp_dir, progress=False)
    assert ctx.cache_misses == 1
    with open(entry, "rb") as fh:
        assert pickle.load(fh) == ("sum[n=3]", 3)


def test_cache_keys_separate_modes_and_seeds(tmp_path):
    a = Experiment("e", tmp_path, mode="tiny", progress=False)
    b = Experiment("e", tmp_path, mode="quick", progress=False)
    c = Experiment("e", tmp_path, mode="tiny", seed=1, progress=False)
    assert a.cached("k", lambda: 1) == 1
    assert b.cached("k", lambda: 2) == 2 and c.cached("k", lambda: 3) == 3
    assert a.cached("k", lambda: 4) == 1


def test_bad_verdicts_and_uncited_figures_are_refused(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ctx = Experiment("e", tmp_path, mode="tiny", progress=False)
    with pytest.raises(TheorytoolsError, match="verdict must be one of"):
        ctx.claim("c", "m", "mostly")
    with pytest.raises(TheorytoolsError, match="was not saved"):
        ctx.claim("c", "m", "reproduced", figure="nope")
    fig, _ = plt.subplots()
    with pytest.raises(TheorytoolsError, match="data drawn in it is required"):
        ctx.save_figure(fig, "f", [])
    with pytest.raises(TheorytoolsError, match="mode must be one of"):
        Experiment("e", tmp_path, mode="huge")


def test_discovery_and_unknown_names(exp_dir):
    assert list(find_experiments(exp_dir)) == ["toy"]
    with pytest.raises(TheorytoolsError, match=r"did you mean toy\?"):
        run_experiment("tyo", directory=exp_dir)
    with pytest.raises(TheorytoolsError, match="not found"):
        find_experiments(exp_dir / "missing")


def test_cli_list_run_and_errors(exp_dir, tmp_path, capsys):
    assert main(["experiment", "--dir", str(exp_dir), "--list"]) == 0
    assert "toy: a sum" in capsys.readouterr().out
    out = tmp_path / "o"
    assert main(["experiment", "toy", "--tiny", "--dir", str(exp_dir), "--out", str(out),
                 "--no-progress"]) == 0
    assert "1 claims (1 reproduced" in capsys.readouterr().out
    assert main(["experiment", "all", "--tiny", "--dir", str(exp_dir), "--out", str(out),
                 "--no-progress"]) == 0
    assert (out / "toy" / "summary.md").exists()
    assert main(["experiment", "nosuch", "--dir", str(exp_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown experiment 'nosuch'" in err


def test_experiment_without_a_claim_is_an_error(tmp_path):
    d = tmp_path / "e"
    d.mkdir()
    (d / "empty.py").write_text("TITLE = 'x'\ndef run(ctx):\n    pass\n")
    with pytest.raises(TheorytoolsError, match="recorded no claim"):
        run_experiment("empty", out=tmp_path / "o", directory=d, progress=False)


def test_script_runs_directly(exp_dir, tmp_path):
    import subprocess
    import sys

    script = exp_dir / "toy.py"
    script.write_text(SCRIPT + "\nif __name__ == '__main__':\n    from theorytools.experiment "
                      "import main\n    raise SystemExit(main(run, __file__))\n")
    out = tmp_path / "direct"
    r = subprocess.run([sys.executable, str(script), "--tiny", "--out", str(out),
                        "--no-progress"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "toy: 1 claims" in r.stdout and (out / "summary.md").exists()


def test_numpy_scalars_are_written_as_plain_numbers(tmp_path):
    import numpy as np

    ctx = Experiment("e", tmp_path, mode="tiny", progress=False)
    ctx.save_table("t", [{"a": np.float64(0.5), "b": np.int64(3), "c": np.float32(np.nan)}])
    assert (tmp_path / "t.csv").read_text().splitlines() == ["a,b,c", "0.5,3,"]
