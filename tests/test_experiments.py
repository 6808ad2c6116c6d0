"""Every experiment under experiments/ runs at the tiny scale and writes its figures (PNG),
their data (CSV) and a summary with at least one claim; the real verdicts come from the quick
and full sizes (docs/experiments.md)."""
from __future__ import annotations

import json

import pytest

from theorytools.experiment import find_experiments, run_experiment

NAMES = sorted(find_experiments())


def test_there_are_experiments():
    assert {"tang2018", "beznosikov2020", "albasyoni2020", "stich2018"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_experiment_tiny(name, tmp_path):
    ctx = run_experiment(name, out=tmp_path, mode="tiny", progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["claims"], name
    assert summary["scale"]["ours"] and summary["scale"]["paper"], name
    assert ctx.figures, f"{name} saved no figure"
    for stem, _ in ctx.figures:
        assert (tmp_path / f"{stem}.png").stat().st_size > 2000
        assert len((tmp_path / f"{stem}.csv").read_text().splitlines()) >= 2
    md = (tmp_path / "summary.md").read_text()
    assert md.count("| **") == len(summary["claims"])
