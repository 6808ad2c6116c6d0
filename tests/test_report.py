"""verify --report and --jobs."""
import json
import os

import numpy as np

from theorytools.cli import main
from theorytools.report import write_report
from theorytools.verify import CheckRow


def test_report_files(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["verify", "--quick", "--check", "compressor.top_k", "--report", str(out)])
    assert code == 0
    for name in ("report.html", "report.md", "results.json", "results.csv", "summary.png"):
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "results.json").read_text())
    assert data["failed"] == 0 and data["passed"] == len(data["checks"]) > 0
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "compressor.top_k" in html


def test_series_rows_get_their_own_plot(tmp_path):
    row = CheckRow("theorem.demo", "stich2018", "Thm 2.2", "derived", "bound", 0.5, 1.0, 0.5,
                   "PASS")
    x = np.arange(1, 11)
    row.series = {"x": x, "y": 1 / x, "lo": 0.8 / x, "hi": 1.2 / x, "bound": 2 / x,
                  "bits": 32 * x, "ylabel": "f - f*"}
    paths = write_report([row], str(tmp_path))
    assert len(paths["plots"]) == 1 and os.path.getsize(paths["plots"]["theorem.demo"]) > 0


def test_jobs_give_the_same_rows(capsys):
    args = ["verify", "--quick", "--check", "bound.top_k", "--json"]
    assert main(args) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(args + ["--jobs", "2"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert one == two
    assert main(["verify", "--jobs", "0"]) == 2
