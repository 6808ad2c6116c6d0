"""The MPI backend (``python -m theorytools.mpi``) against the simulator, with 4 real ranks.

Each test starts ``mpiexec`` as a subprocess (mpi4py and MPICH from PyPI: the ``mpi`` extra).
Bit identity is checked on the raw bytes of the final iterates and exactly on every recorded
trace value and bit count; planted faults (a wrong compressor stream, one decoded message off
by one ulp) must make the comparison fail.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theorytools.errors import TheorytoolsError
from theorytools.runspec import parse, run

ROOT = Path(__file__).resolve().parents[1]

try:
    import mpi4py  # noqa: F401
    HAVE_MPI4PY = True
except ImportError:
    HAVE_MPI4PY = False


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    not HAVE_MPI4PY or _mpiexec() is None,
    reason="the mpi extra is not installed (pip install 'theorytools[mpi]': mpi4py + mpich)")

P = "logistic[n=4,d=6,batch=1]"
SPECS = [
    f"dpsgd[problem={P},gamma=0.1,T=12,float_bits=64]",
    f"dpsgd[problem={P},topology=complete,gamma=0.1,T=12,form=atc,float_bits=64]",
    f"naive_compressed[problem={P},compressor=natural,gamma=0.1,T=12]",
    f"dcd_psgd[problem={P},compressor=dithering[s=4],gamma=0.1,T=12]",
    "ecd_psgd[problem=quadratic[n=4,d=6,sigma=0.1],compressor=dithering[s=8,float_width=64],"
    "gamma=0.05,T=12]",
    f"choco_sgd[problem={P},topology=grid2d[rows=2,cols=2],compressor=top_k[k=2],gamma=0.1,"
    "T=12,consensus_step=0.5]",
    f"choco_sgd[problem={P},compressor=bernoulli[p=0.5],gamma=0.1,T=12]",
    f"ef_sgd[problem={P},compressor=top_k[k=2],gamma=0.1,T=12]",
    f"dcgd[problem={P},compressor=rand_k[k=3],gamma=0.1,T=12]",
    f"ef_sgd[problem={P},compressor=rand_k[k=2],gamma=0.1,T=12,shared=true]",
    f"minibatch_sgd[problem={P},gamma=0.1,T=12,float_bits=64]",
    f"local_sgd[problem={P},gamma=0.1,T=12,H=4,float_bits=64]",
]
FIELDS = ("steps", "f_gap_curve", "consensus_curve", "bits_curve", "wall_model_curve", "f_gap",
          "consensus", "grad_norm_sq", "dist_sq", "bits_total", "bits_max_node", "wall_model",
          "name")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def mpirun(n, args, tmp_path, *, script=None, timeout=600):
    """Run ``python -m theorytools.mpi ARGS`` (or ``python SCRIPT ARGS``) on n ranks; the
    completed process and the records written."""
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}.jsonl"
    cmd = [_mpiexec(), "-n", str(n), sys.executable]
    cmd += [str(script)] if script else ["-m", "theorytools.mpi"]
    cmd += [*args, "--out", str(out), "--iterates", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(),
                          cwd=tmp_path)
    records = ([json.loads(line) for line in out.read_text().splitlines()]
               if out.exists() else [])
    return proc, records


def assert_identical(sim: dict, mpi: dict):
    """The MPI record equals the simulator's bit for bit (iterates as raw bytes)."""
    xs, xm = np.asarray(sim["X"], np.float64), np.asarray(mpi["X"], np.float64)
    assert xs.shape == xm.shape, (xs.shape, xm.shape)
    assert xs.tobytes() == xm.tobytes(), \
        f"{sim['name']}: iterates differ, max |diff| = {np.abs(xs - xm).max():.3g}"
    for key in FIELDS:
        assert sim[key] == mpi[key], f"{sim['name']}: {key} differs"


@pytest.fixture(scope="module")
def four_ranks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mpi4")
    proc, records = mpirun(4, SPECS, tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return records


@needs_mpi
def test_four_ranks_equal_the_simulator_bit_for_bit(four_ranks):
    assert len(four_ranks) == len(SPECS)
    algorithms = set()
    for text, rec in zip(SPECS, four_ranks):
        sim = run(parse(text), iterates=True)
        assert_identical(sim, rec)
        assert rec["mpi"]["ranks"] == 4
        algorithms.add(rec["algorithm"])
    # the list: D-PSGD, DCD-PSGD, ECD-PSGD, CHOCO-SGD, local SGD, EF-SGD
    assert {"dpsgd", "dcd_psgd", "ecd_psgd", "choco_sgd", "local_sgd", "ef_sgd"} <= algorithms


@needs_mpi
def test_bytes_on_the_wire_are_what_was_sent(four_ranks):
    """DCD with dithering (a fixed-length code) on the ring: each rank sends its message
    (8-byte bit count + ceil(bits/8) payload bytes) to its 2 neighbours every step."""
    rec = four_ranks[3]
    assert rec["algorithm"] == "dcd_psgd"
    T, n = rec["T"], 4
    bits = rec["bits_total"] // (n * T)
    assert bits * n * T == rec["bits_total"]
    assert rec["mpi"]["wire_bytes_per_iteration"] == n * 2 * (8 + (bits + 7) // 8)
    # and the simulator counts the same message length
    from theorytools.compressors import create
    assert bits == create("dithering[s=4]").bits_budget(np.zeros(6))


FAULT = """
import sys
import numpy as np
import theorytools.mpi.backend as B
kind = sys.argv.pop(1)
if kind == "stream":        # a wrong compressor stream tag
    B.COMPRESS_TAG = np.uint64(0x5EED_C0DE_0000_0002)
else:                       # rank 1 decodes every neighbour message one ulp off
    from mpi4py import MPI
    codec = B._codec
    def faulty(*args):
        enc, dec = codec(*args)
        def dec1(*args):
            y = dec(*args)
            if MPI.COMM_WORLD.Get_rank() == 1:
                y[0] = np.nextafter(y[0], np.inf)
            return y
        return enc, dec1
    B._codec = faulty
from theorytools.mpi.__main__ import main
sys.exit(main())
"""


@needs_mpi
@pytest.mark.parametrize("kind", ["stream", "ulp"])
def test_planted_fault_is_detected(tmp_path, kind):
    script = tmp_path / "faulty.py"
    script.write_text(FAULT)
    spec = SPECS[3]
    proc, records = mpirun(4, [kind, spec], tmp_path, script=script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with pytest.raises(AssertionError):
        assert_identical(run(parse(spec), iterates=True), records[0])


@needs_mpi
def test_wrong_number_of_ranks_is_one_line_and_exit_2(tmp_path):
    proc, records = mpirun(2, [SPECS[3]], tmp_path)
    assert proc.returncode != 0 and not records
    assert "mpiexec -n 4" in proc.stderr and "Traceback" not in proc.stderr


@needs_mpi
def test_sweep_on_mpi_futures_equals_in_process(tmp_path):
    """theorytools sweep --mpi under mpiexec -n 3 python -m mpi4py.futures: the stored records
    equal the in-process ones (all but the measured seconds)."""
    from theorytools.sweep import deterministic_part, expand, load_config, load_results
    cfg = tmp_path / "grid.toml"
    cfg.write_text('[[grid]]\nalgorithm = ["dcd_psgd", "choco_sgd"]\n'
                   'problem = "quadratic[n=4,d=5]"\ncompressor = "dithering[s=4]"\n'
                   'gamma = [0.05, 0.1]\nT = 10\n')
    cmd = [_mpiexec(), "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m",
           "theorytools.cli", "sweep", str(cfg), "--mpi", "--out", str(tmp_path / "res"),
           "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_env(),
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    specs = expand(load_config(cfg))
    got = load_results(tmp_path / "res", specs=specs)
    assert len(got) == len(specs) == 4
    for spec, rec in zip(specs, got):
        assert deterministic_part(rec) == deterministic_part(run(spec))


def test_without_mpi4py_a_clear_message(monkeypatch):
    from theorytools.mpi.backend import run_rank
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(TheorytoolsError, match=r"pip install 'theorytools\[mpi\]'"):
        run_rank(SPECS[3])


def test_unsupported_algorithm_is_refused():
    from theorytools.mpi.backend import run_rank
    with pytest.raises(TheorytoolsError, match="synchronous variant only"):
        run_rank("local_sgd[problem=logistic[n=4,d=6,batch=1],T=4,H=2,asynchronous=true,"
                 "gamma=0.1]", comm=_OneRank(4))


class _OneRank:
    """A stand-in communicator (size n) for argument checks that fail before any message."""

    def __init__(self, n):
        self.n = n

    def Get_rank(self):
        return 0

    def Get_size(self):
        return self.n


@needs_mpi
def test_a_diverging_run_stops_every_rank_with_one_message(tmp_path):
    """The simulator refuses this run (compression fails once the iterates leave float32's
    range); on MPI the failing rank stops the job with a one-line error naming the step."""
    spec = "dcd_psgd[problem=quadratic[n=4,d=3],compressor=natural,gamma=50.0,T=200]"
    import re
    with pytest.raises(TheorytoolsError, match="compression failed") as info:
        run(parse(spec))
    proc, records = mpirun(4, [spec], tmp_path, timeout=300)
    assert proc.returncode != 0 and not records
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("theorytools.mpi: error:")]
    assert len(line) == 1 and "dcd_psgd: rank" in line[0]
    step = re.search(r"step (\d+)", str(info.value)).group(1)
    assert f"step {step}:" in line[0]            # the same step as the simulator


def test_module_without_mpi4py_exits_2_with_one_line(tmp_path):
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from theorytools.mpi.__main__ import main\n"
            f"sys.exit(main([{SPECS[3]!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'theorytools[mpi]'" in lines[0], proc.stderr
