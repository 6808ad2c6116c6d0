"""Kill tests for the survivors of the second mutation round (bench/mutation.py, mutants of
the newer code; docs/mutation.md). Each test states the property the mutant broke."""
from __future__ import annotations

import math

import numpy as np
import pytest

from theorytools.compressors.sparse_dithering import SparseDitheringDet, SparseDitheringDetHuffman
from theorytools.compressors.spherical import rice_mean_length, rice_parameter_from_p


@pytest.mark.parametrize("cls", [SparseDitheringDet, SparseDitheringDetHuffman])
@pytest.mark.parametrize("d", [10, 100, 1000])
@pytest.mark.parametrize("nu", [0.1, 0.3])
def test_det_sparse_dithering_sure_distortion_at_the_half_step_input(cls, d, nu):
    r"""Deterministic Sparse Dithering (both codings) rounds v_i = |x_i|/(||x|| Delta) to the nearest
    integer, so ||C(x) - x||^2 <= d Delta^2/4 ||x||^2, and its class C(nu) needs
    d Delta^2/4 <= nu. The worst input puts d - 1 coordinates just below half a step (they
    round to 0, error (Delta/2)^2 each) and the rest of the norm on one coordinate: the
    distortion is then nu (d - 1)/d up to 1e-5 and must stay <= nu. A grid 10 % too coarse
    (mutant sd-det-step-wide) gives 1.21 nu (d - 1)/d > nu."""
    comp = cls(nu, float_width=64)
    step = comp.step(d)
    small = (0.5 - 1e-7) * step
    x = np.full(d, small)
    x[0] = math.sqrt(1.0 - (d - 1) * small * small)
    x *= 3.0
    dist = float(np.sum((comp.compress(x) - x) ** 2) / (x @ x))
    assert dist <= nu * (1 + 1e-12)
    assert dist >= nu * (d - 1) / d * (1 - 1e-5)


@pytest.mark.parametrize("prob", [0.9, 0.6, 0.3, 0.2, 0.1, 0.07, 1e-2, 3e-3, 1e-4, 2e-7])
def test_rice_parameter_is_the_floor_of_log2_one_over_p(prob):
    """The documented parameter k = max(0, floor(log2(1/p))) (docs/optimal_compression.md §3,
    the one whose proof gives p 2^k in (1/2, 1]); a ceiling (mutant
    spherical-rice-parameter-ceil) puts p 2^k in [1, 2) and leaves the proof."""
    k = rice_parameter_from_p(prob)
    expected = 0
    while 2.0 ** -(expected + 1) >= prob:      # largest k with 2^-k >= p, counted exactly
        expected += 1
    assert k == expected
    if k > 0:
        assert 0.5 < prob * 2 ** k <= 1.0
    assert rice_mean_length(prob, k) < -math.log2(prob) + 3


def test_a_schedule_of_the_wrong_length_is_refused_both_ways():
    """A schedule must hold exactly T step sizes: a longer one (silently truncated by mutant
    step-schedule-short-accepted) is refused like a shorter one, naming T and the length."""
    from theorytools.algorithms._common import step_schedule
    from theorytools.errors import TheorytoolsError

    assert step_schedule([0.1] * 5, 5).shape == (5,)
    for n in (4, 6):
        with pytest.raises(TheorytoolsError, match=rf"T = 5 step sizes, got {n}"):
            step_schedule([0.1] * n, 5)


def test_deterministic_distortion_above_alpha_fails():
    """Top-1 of d = 4 at x = (1, 1, 1, 1) has distortion 3/4 for every seed: the claim
    alpha = 1/2 must fail (mutant testing-deterministic-alpha-doubled accepted up to 2 alpha)
    and alpha = 3/4 must hold."""
    import theorytools.testing as T
    from theorytools.compressors import create

    comp, x = create("top_k[k=1]"), np.ones(4)
    with pytest.raises(AssertionError):
        T.assert_deterministic_distortion(comp, x, 0.5)
    assert T.assert_deterministic_distortion(comp, x, 0.75).value == pytest.approx(0.75)


def test_check_command_calls_a_sampled_attained_delta_tight(tmp_path, monkeypatch, capsys):
    """Rand-2 of d = 6 without its scale has E||C(x) - x||^2 = (1 - 2/6)||x||^2 at EVERY x:
    delta = 3 is attained. Measured by sampling (a plain function has no law), the upper end
    of the confidence interval is above 2/3, so the gap to 1 - 1/delta is <= 0 and the claim
    is tight ("holds"); measuring the gap from the lower end (mutant
    check-cmd-delta-gap-low-end) calls it "holds, not tight"."""
    from theorytools.cli import main

    (tmp_path / "planted_rk.py").write_text(
        "import numpy as np\n"
        "def rand2(x, seed):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    y = np.zeros_like(x)\n"
        "    idx = rng.choice(x.size, 2, replace=False)\n"
        "    y[idx] = x[idx]\n"
        "    return y\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["check", "planted_rk:rand2", "--claim", "delta=3", "--d", "6", "--samples",
                 "2000", "--max-norm-ratio", "1", "--search-samples", "16", "--starts", "2"])
    out = capsys.readouterr().out
    line = [ln for ln in out.splitlines() if ln.strip().startswith("delta=3")]
    assert code == 0 and len(line) == 1, out
    assert line[0].rstrip().endswith("holds") and "not tight" not in line[0], line[0]
