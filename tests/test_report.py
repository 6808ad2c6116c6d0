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
    assert data["failed"] == 0 and data["passed"] + data["vacuous"] == len(data["checks"]) > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "compressor.top_k" in html
    import re
    images = re.findall(r"<img loading='lazy' src='([^']+)'", html)
    assert images and all((out / name).stat().st_size > 0 for name in images)


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
    assert one["checks"] == two["checks"] and one["summary"] == two["summary"]
    assert (one["metadata"]["jobs"], two["metadata"]["jobs"]) == (1, 2)
    assert main(["verify", "--jobs", "0"]) == 2


def test_every_check_is_drawn_in_its_group_with_interval_and_accept_region(tmp_path):
    from theorytools import check
    from theorytools.report import group_of

    c_slope = check.slope([-0.98, -1.02, -1.01, -0.97], -1.0, tol=0.1)
    c_bound = check.bound(None, 2.0, samples=np.full(50, 0.5), value_range=1.0)
    c_fail = check.slope([-0.5, -0.52, -0.49], -1.0, tol=0.1)
    assert c_slope.interval[0] < -1.0 < c_slope.interval[1]
    assert c_slope.accept == (-1.1, -0.9)
    assert c_bound.interval[0] == -np.inf and c_bound.interval[1] > 0.5
    assert c_bound.accept[1] >= 2.0 and not c_fail.passed
    rows = [CheckRow(f"theorem.demo.thm.{k}", "stich2018", "Thm", "derived", c.kind,
                     c.empirical, c.theoretical, c.ratio, c.verdict, c.describe(),
                     interval=c.interval, accept=c.accept)
            for k, c in (("slope", c_slope), ("bound", c_bound), ("fail", c_fail))]
    rows.append(CheckRow("proof.mod::thing", "stich2018", "src", "derived", "law", 1.0, 1.0, 1.0,
                         "PASS", accept=(1.0, 1.0)))
    assert group_of(rows[0].name) == "theorem.demo.thm"
    assert group_of(rows[-1].name) == "proof.mod"
    assert group_of("compressor.top_k.omega[d=3]") == "compressor.top_k"
    paths = write_report(rows, str(tmp_path))
    assert set(paths["group_plots"]) == {"theorem.demo.thm", "proof.mod"}
    assert all(os.path.getsize(p) > 0 for p in paths["group_plots"].values())
    data = json.loads((tmp_path / "results.json").read_text())
    by_name = {d["name"]: d for d in data["checks"]}
    assert by_name["theorem.demo.thm.bound"]["interval"][0] is None   # strict JSON: unbounded
    csv_rows = {r["name"]: r for r in __import__("csv").DictReader(
        open(tmp_path / "results.csv", encoding="utf-8"))}
    assert csv_rows["theorem.demo.thm.bound"]["ci_low"] == "-inf"
    assert by_name["theorem.demo.thm.fail"]["verdict"] == "FAIL"
    md = (tmp_path / "report.md").read_text()
    assert "#### theorem.demo.thm" in md and "group_theorem.demo.thm.png" in md


def test_series_with_several_curves(tmp_path):
    row = CheckRow("theorem.demo.multi", "beznosikov2020", "T", "derived", "slope", -1.0, -1.0,
                   1.0, "PASS")
    x = np.arange(1, 20)
    row.series = {"xlabel": "iterations", "curves": [
        {"x": x, "y": 1 / x, "lo": 0.9 / x, "hi": 1.1 / x, "bits": 10 * x, "label": "k=1"},
        {"x": x, "y": 2 / x, "bound": 3 / x, "bits": 20 * x, "label": "k=2"}]}
    paths = write_report([row], str(tmp_path))
    assert os.path.getsize(paths["plots"]["theorem.demo.multi"]) > 0


def test_log_x_axis_shorter_than_a_decade_gets_labels(tmp_path):
    row = CheckRow("theorem.demo.short", "stich2018", "T", "derived", "bound", 1.0, 2.0, 0.5,
                   "PASS")
    x = np.array([300.0, 600.0, 1200.0])
    row.series = {"x": x, "y": 1 / x, "logx": True, "bits": 8 * x}
    paths = write_report([row], str(tmp_path))
    assert os.path.getsize(paths["plots"]["theorem.demo.short"]) > 0
