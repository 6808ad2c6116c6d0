"""Bit-identity of every algorithm with the engine of main at 93097d4 (before the step-size
schedules, the engine's named-tuple arguments and the simulator speed work of issues 14/15/19).

``tests/data/engine_traces_93097d4.json`` holds the SHA-256 (first 96 bits) of every array of
the traces that commit produced for every method (the six decentralized ones, the four
centralized ones, local SGD), serial and on 2 threads, through the batch kernels and the
per-node (Python compression) path, on a quadratic with
additive noise (the node-gradient path) and a logistic problem with batch-1 sampling (DCD's and
CHOCO's fused gradient path), on a ring (degree 3: the one-pass mixing) and the complete graph
(degree 6: the scratch-row mixing). Every array is compared byte for byte (its dtype, shape
and bytes hashed). "Byte for byte" is on this machine type: a CPU whose floating point or
libm differs (exp/log1p in the logistic loss) may differ in the last bit; then regenerate on
main's commit there first.

Regenerate (only on purpose, e.g. after an intended change of the arithmetic, and say so in
the commit): ``PYTHONPATH=$PWD python tests/test_engine_identity.py --save``.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_algorithms import quadratic_problem  # noqa: E402
from theorytools import algorithms as alg  # noqa: E402
from theorytools.algorithms._batch import without_batch_kernel  # noqa: E402
from theorytools.compressors import create  # noqa: E402
from theorytools.problems import logistic  # noqa: E402
from theorytools.topology import complete, ring  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "engine_traces_93097d4.json")
N, D, T = 6, 9, 30
FIELDS = ("f_gap", "grad_norm_sq", "dist_sq", "consensus", "bits", "wall_time", "x_bar", "X")
META = ("aux", "errors", "virtual_gap")


def _problems():
    rng = np.random.default_rng(11)
    F = rng.standard_normal((48, D))
    y = np.where(F @ rng.standard_normal(D) + 0.3 * rng.standard_normal(48) > 0, 1.0, -1.0)
    return {"quad": quadratic_problem(N, D, sigma=0.3, common_hessian=False),
            "logi": logistic(F, y, N, 0.05, batch=1)}


def digest(a):
    """SHA-256 of an array's dtype, shape and bytes (C order)."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.view(np.uint8).tobytes())
    return h.hexdigest()[:24]


def _record(out, key, tr):
    for f in FIELDS:
        out[f"{key}|{f}"] = digest(np.asarray(getattr(tr, f)))
    for m in META:
        if m in tr.meta:
            out[f"{key}|{m}"] = digest(np.asarray(tr.meta[m]))


def traces(threads_list=(1, 2)):
    """Every run of the golden file, as {run|field: sha256 of the array}."""
    out = {}
    compressors = {"dith": create("dithering[s=4]"), "topk": create("top_k[k=3]"),
                   "grid": create("grid_rounding"),
                   "dith_pn": without_batch_kernel(create("dithering[s=4]")),
                   "natdith_pn": create("natural_dithering[s=4]")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        for pname, p in _problems().items():
            gamma = 0.05 if pname == "quad" else 0.5
            for gname, g in (("ring", ring(N)), ("complete", complete(N))):
                for th in threads_list:
                    for form in ("lian", "atc"):
                        _record(out, f"{pname}|{gname}|dpsgd_{form}|none|{th}",
                                alg.dpsgd(p, g, gamma, T, form=form, seed=3, record="every",
                                          threads=th))
                    for cname, c in compressors.items():
                        if th > 1 and cname.endswith("_pn"):
                            continue          # the per-node path is serial
                        for f in (alg.naive_compressed, alg.dcd_psgd, alg.ecd_psgd,
                                  alg.choco_sgd):
                            kw = {"consensus_step": 0.5} if f is alg.choco_sgd else {}
                            _record(out, f"{pname}|{gname}|{f.__name__}|{cname}|{th}",
                                    f(p, g, c, gamma, T, seed=3, record="every", threads=th,
                                      **kw))
            _record(out, f"{pname}|minibatch_sgd", alg.minibatch_sgd(p, gamma, T, seed=4,
                                                                     record="every"))
            for cname, c in compressors.items():
                for f in (alg.dcgd, alg.ef_sgd):
                    _record(out, f"{pname}|{f.__name__}|{cname}",
                            f(p, c, gamma, T, seed=4, record="every"))
                    sched = gamma / (1.0 + 0.1 * np.arange(T))
                    _record(out, f"{pname}|{f.__name__}|{cname}|sched",
                            f(p, c, sched, T, seed=4, record="every"))
            _record(out, f"{pname}|local_sgd|sync",
                    alg.local_sgd(p, T, 4, stepsize=gamma, seed=5, record="every"))
            _record(out, f"{pname}|local_sgd|async",
                    alg.local_sgd(p, T, 4, stepsize=gamma, seed=5, record="every",
                                  asynchronous=True))
    return out


@pytest.fixture(scope="module")
def golden():
    with open(GOLDEN) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def now():
    return traces()


def test_every_golden_run_is_reproduced_bit_for_bit(golden, now):
    assert sorted(golden) == sorted(now)
    diff = [k for k in golden if golden[k] != now[k]]
    assert not diff, f"{len(diff)} arrays differ from main 93097d4, e.g. {diff[:5]}"


@pytest.mark.parametrize("threshold, block_bytes", [(0, 1), (0, 2 * 24 * 9), (float("inf"), 1)],
                         ids=["interleaved-block1", "interleaved-block2", "two-pass"])
def test_both_serial_schedules_are_bit_identical(golden, threshold, block_bytes, monkeypatch):
    """The serial kernel runs phase 1 of each node right behind phase 0 (large problems) or
    as a second whole pass (small ones, as here by default): both give main's bits."""
    from theorytools.algorithms import decentralized
    monkeypatch.setattr(decentralized, "INTERLEAVE_BYTES", threshold)
    monkeypatch.setattr(decentralized, "INTERLEAVE_BLOCK_BYTES", block_bytes)
    now1 = traces(threads_list=(1,))
    serial = [k for k in now1 if k.count("|") == 5 and k.split("|")[4] == "1"]
    assert len(serial) > 500
    diff = [k for k in now1 if golden[k] != now1[k]]
    assert not diff, f"{len(diff)} arrays differ from main 93097d4, e.g. {diff[:5]}"


def test_the_golden_file_covers_every_method_and_path(golden):
    runs = {k.rsplit("|", 1)[0] for k in golden}
    for m in ("dpsgd_lian", "dpsgd_atc", "naive_compressed", "dcd_psgd", "ecd_psgd",
              "choco_sgd"):
        for path in ("dith|1", "dith|2", "grid|1", "grid|2", "dith_pn|1", "natdith_pn|1"):
            if m.startswith("dpsgd"):
                path = "none|" + path.split("|")[1]
            assert f"logi|complete|{m}|{path}" in runs and f"quad|ring|{m}|{path}" in runs
    for m in ("minibatch_sgd", "dcgd|dith", "ef_sgd|dith_pn", "local_sgd|async"):
        assert f"quad|{m}" in runs


def test_planted_fault_one_ulp_in_one_iterate_is_detected(golden):
    """The comparison can fail: one coordinate of one node's final iterate moved by one unit
    in the last place changes the digest."""
    p = _problems()["quad"]
    tr = alg.choco_sgd(p, ring(N), create("dithering[s=4]"), 0.05, T, seed=3, record="every",
                       threads=2, consensus_step=0.5)
    key = "quad|ring|choco_sgd|dith|2|X"
    assert digest(tr.X) == golden[key]
    bad = tr.X.copy()
    bad[2, 3] = np.nextafter(bad[2, 3], np.inf)
    assert digest(bad) != golden[key]


if __name__ == "__main__":
    if "--save" in sys.argv:
        os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
        out = traces()
        with open(GOLDEN, "w") as fh:
            json.dump(out, fh, indent=0, sort_keys=True)
        print(f"saved {len(out)} arrays to {GOLDEN}")


def _scale_run(method, topo, monkeypatch_graph=None):
    from theorytools.problems import Noise, Problem

    n, d, m = topo.n, 1000, 2
    rng = np.random.default_rng(5)
    F = rng.standard_normal((n, m, d)) / np.sqrt(d)
    Y = np.where(rng.random((n, m)) < 0.5, 1.0, -1.0)
    nan = float("nan")
    p = Problem("scale", n, d, "logistic", {"features": F, "labels": Y, "lam": 1e-3}, nan, 1e-3,
                np.full(n, nan), np.zeros(d), 0.0, nan, nan, Noise("sampling", batch=1), nan,
                {"all": ("timing only", "placeholder")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        f = {"dcd_psgd": alg.dcd_psgd, "ecd_psgd": alg.ecd_psgd}[method]
        return f(p, topo, create("dithering[s=4]"), 0.5, 3, seed=2, record=None)


@pytest.mark.parametrize("method", ["dcd_psgd", "ecd_psgd"])
def test_planted_fault_phase1_before_the_neighbours_phase0_is_detected(method, monkeypatch):
    """The at-scale comparison can fail: a schedule that runs node j's phase 1 right after its
    OWN phase 0 (ignoring its neighbours, ready[j] = j) gives other bits than two passes."""
    from theorytools.algorithms import _engine as E
    from theorytools.algorithms import decentralized

    topo = ring(360)
    good = _scale_run(method, topo)
    original = E.graph_of

    def too_early(topology, interleave=True, block=1):
        g = original(topology, interleave, block)
        early = np.arange(topology.n, dtype=np.int64)
        return g._replace(ready=early, order=early)

    monkeypatch.setattr(E, "graph_of", too_early)
    bad = _scale_run(method, topo)
    assert digest(bad.X) != digest(good.X)
    monkeypatch.setattr(decentralized, "INTERLEAVE_BYTES", float("inf"))
    assert digest(_scale_run(method, topo).X) == digest(good.X)   # two passes ignore ready


@pytest.mark.parametrize("name", ["ring", "torus", "star", "erdos_renyi"])
@pytest.mark.parametrize("method", ["dcd_psgd", "choco_sgd", "ecd_psgd", "dpsgd_lian",
                                    "dpsgd_atc", "naive"])
def test_the_default_interleaved_schedule_at_scale_equals_two_passes(name, method, monkeypatch):
    """A problem past the 8 MB threshold (n d = 3.6e5: the simulator interleaves, blocks of 10
    nodes at d = 1000) on graphs whose phase-1 order is not the node order (the ring's and the
    torus's wrap-around, the star's hub, a random graph) gives the bits of two whole passes."""
    from theorytools.algorithms import decentralized
    from theorytools.problems import Noise, Problem
    from theorytools.topology import erdos_renyi, star, torus

    n, d, m = 360, 1000, 2
    assert 3 * 8 * n * d >= decentralized.INTERLEAVE_BYTES
    rng = np.random.default_rng(5)
    F = rng.standard_normal((n, m, d)) / np.sqrt(d)
    Y = np.where(rng.random((n, m)) < 0.5, 1.0, -1.0)
    nan = float("nan")
    p = Problem("scale", n, d, "logistic", {"features": F, "labels": Y, "lam": 1e-3}, nan, 1e-3,
                np.full(n, nan), np.zeros(d), 0.0, nan, nan, Noise("sampling", batch=1), nan,
                {"all": ("timing only", "placeholder")})
    topo = {"ring": lambda: ring(n), "torus": lambda: torus(18, 20), "star": lambda: star(n),
            "erdos_renyi": lambda: erdos_renyi(n, 0.02, 3)}[name]()
    c = create("dithering[s=4]")

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", alg.AssumptionWarning)
            if method.startswith("dpsgd"):
                return alg.dpsgd(p, topo, 0.5, 3, form=method[6:], seed=2, record=None)
            f = {"naive": alg.naive_compressed, "dcd_psgd": alg.dcd_psgd,
                 "ecd_psgd": alg.ecd_psgd, "choco_sgd": alg.choco_sgd}[method]
            return f(p, topo, c, 0.5, 3, seed=2, record=None)

    interleaved = run()
    monkeypatch.setattr(decentralized, "INTERLEAVE_BYTES", float("inf"))
    two_pass = run()
    assert digest(interleaved.X) == digest(two_pass.X)
    assert digest(interleaved.meta["aux"]) == digest(two_pass.meta["aux"])
