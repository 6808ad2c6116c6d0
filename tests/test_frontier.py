"""The frontier (theorytools.frontier, ``theorytools frontier``): the necessary condition
bits_max >= b_LB(measured distortion, d) for every compressor without shared randomness
(checks (docs/sources.md#checks)), the best-rescaling distortion on known cases, the CLI (table,
JSON keys, PNG, one-line errors) and a planted fault that the condition must catch."""
import json
import math

import numpy as np
import pytest

from theorytools import frontier as F
from theorytools.bounds import worst_case_bits
from theorytools.cli import main
from theorytools.compressors.law import Deterministic
from theorytools.compressors.sparse_dithering import SparseDitheringDet


@pytest.fixture(scope="module")
def points_24():
    return F.frontier(24)


def test_necessary_condition_holds_for_every_unshared_compressor(points_24):
    assert len(points_24) >= 25
    for p in points_24:
        if not p.shared_randomness:
            assert p.bits >= p.lower_bound_bits, p.spec
    assert not F.necessary_condition_violations(points_24)


def test_necessary_condition_at_d_100_for_sparse_dithering():
    for spec in ("sparse_dithering_det[nu=0.1]", "sparse_dithering_det[nu=0.01]",
                 "sparse_dithering_det_huffman[nu=0.1]",
                 "sparse_dithering[omega=1.0]", "top_k[k=10]", "dithering[s=10,coding=elias]"):
        p = F.measure_point(spec, 100)
        assert p.bits >= worst_case_bits(p.distortion, 100), spec


def test_best_rescaling_on_known_cases():
    # scaled rand-k: E||C||^2 = (d/k)||x||^2, <EC,x> = ||x||^2: lambda = k/d, 1 - k/d
    p = F.measure_point("rand_k[k=5]", 20)
    assert math.isclose(p.distortion, 0.75, rel_tol=1e-6)
    assert math.isclose(p.scale, 0.25, rel_tol=1e-4)
    # top-k: already best at lambda = 1, worst case 1 - k/d at equal magnitudes
    p = F.measure_point("top_k[k=5]", 20)
    assert math.isclose(p.distortion, 0.75, rel_tol=1e-9) and p.scale == 1.0
    # two inputs: 2l^2 - 2l + 1 and l^2/2 - l + 1 cross at l = 2/3, where the max is least
    value, lam = F.best_rescaled_distortion([(2.0, 1.0), (0.5, 0.5)])
    assert math.isclose(lam, 2 / 3, rel_tol=1e-6) and math.isclose(value, 5 / 9, rel_tol=1e-6)


def test_sparse_dithering_det_distortion_within_nu(points_24):
    for p in points_24:
        if p.name == "sparse_dithering_det":
            assert p.distortion <= p.params["nu"] * (1 + 2.0 ** -21)


class _PerfectLiar(SparseDitheringDet):
    """Planted: the law claims a perfect reconstruction (distortion 0) that the bits cannot
    carry; the necessary condition must flag it."""

    def law(self, x):
        return Deterministic(self.validate(x).copy())


def test_planted_wrong_distortion_violates_the_necessary_condition():
    p = F.measure_point(_PerfectLiar(0.1), 24)
    assert p.bits < p.lower_bound_bits
    assert F.necessary_condition_violations([p]) == [p]


def test_cli_table_json_and_png(tmp_path, capsys):
    png = tmp_path / "frontier.png"
    assert main(["frontier", "--d", "12", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "b_LB" in out and "sparse_dithering_det[nu=0.1]" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["frontier", "--d", "12", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = {"name", "params", "distortion", "bits", "bits_per_coordinate", "lower_bound_bits",
            "gap_bits", "ratio", "shared_randomness"}
    assert all(keys <= set(row) for row in data)
    assert any(row["shared_randomness"] for row in data)


@pytest.mark.parametrize("value, match", [("1", "d must be >= 2"), ("x", "d must be an integer"),
                                          ("-5", "d must be >= 2")])
def test_cli_bad_d(value, match, capsys):
    assert main(["frontier", "--d", value]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_frontier_rejects_small_d():
    from theorytools.errors import TheorytoolsError
    with pytest.raises(TheorytoolsError, match="d must be >= 2"):
        F.frontier(1)


def test_frontier_shows_authors_and_ours_and_the_p2_bound(points_24):
    names = {p.name for p in points_24}
    assert {"sparse_dithering_det", "sparse_dithering_det_huffman", "spherical",
            "spherical_projection"} <= names
    for p in points_24:
        if 0 < p.distortion < 1:
            assert math.isclose(p.lower_bound_log_d_bits - p.lower_bound_bits, math.log2(24),
                                rel_tol=1e-12)
