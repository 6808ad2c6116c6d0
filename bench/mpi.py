"""MPI backend: measured time per iteration and bytes on the wire for 2, 4, 8 ranks, against
the simulator's prediction from its network cost model (issue 15).

Usage::

    python bench/mpi.py [--ranks 2 4 8] [--d 1000] [--T 300]

For each number of ranks n it runs, with ``mpiexec -n n python -m theorytools.mpi``, DCD-PSGD
with random dithering (16 levels, as QSGD's 16-level setting) and uncompressed D-PSGD on a
ring of n nodes (n = 2: the one-edge graph; logistic regression, d features, batch-1 gradients), and prints:

* bytes on the wire per iteration: measured (what the ranks handed to MPI: payload plus the
  8-byte bit count, times the number of neighbours) and predicted from the simulator's bit
  counts of the same run (sum over nodes of degree x message bits / 8; the cost model's
  ``neighbors`` pattern sends each message to each neighbour);
* seconds per iteration: measured (slowest rank, mean over steps 1..T-1) and the cost model's
  ``c + l + Delta b / B`` (:class:`theorytools.algorithms.NetworkModel`) with l and B
  calibrated here by an MPI ping-pong between 2 ranks (8 bytes and 1 MiB messages) and c the
  ranks' measured compute time per iteration (the part outside MPI calls).

The machine's cores are shared, and n > cores means oversubscribed ranks: the measured times
include scheduling waits that the alpha-beta model does not describe; the table says how many
cores there are. The simulator's own time per iteration (all n nodes in one process, one
thread, the same spec; best of two runs after a warm-up, recording included) is printed as
the reference.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def pingpong():
    """Run under mpiexec -n 2: half round-trip times of 8-byte and 1 MiB messages."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    out = {}
    for size, reps in ((8, 2000), (1 << 20, 50)):
        buf = np.zeros(size, np.uint8)
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(reps):
            if rank == 0:
                comm.Send(buf, 1)
                comm.Recv(buf, 1)
            else:
                comm.Recv(buf, 0)
                comm.Send(buf, 0)
        out[size] = (MPI.Wtime() - t0) / (2 * reps)
    if rank == 0:
        latency = out[8]
        bandwidth = 8 * (1 << 20) / max(out[1 << 20] - latency, 1e-12)
        print(json.dumps({"latency": latency, "bandwidth": bandwidth}))


def mpi_run(n, spec, tmp):
    out = Path(tmp) / f"r{n}.jsonl"
    cmd = [_mpiexec(), "-n", str(n), sys.executable, "-m", "theorytools.mpi", spec, "--out",
           str(out), "--quiet"]
    subprocess.run(cmd, check=True, env=_env(), timeout=1800)
    return json.loads(out.read_text().splitlines()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--T", type=int, default=300)
    ap.add_argument("--pingpong", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pingpong:
        return pingpong()
    if _mpiexec() is None:
        sys.exit("bench/mpi.py needs the mpi extra: pip install 'theorytools[mpi]'")
    from theorytools.algorithms import NetworkModel
    from theorytools.runspec import build_topology, parse, run

    cal = subprocess.run([_mpiexec(), "-n", "2", sys.executable, __file__, "--pingpong"],
                         check=True, capture_output=True, text=True, env=_env())
    cal = json.loads(cal.stdout.strip().splitlines()[-1])
    print(f"machine: {os.cpu_count()} CPUs (shared); MPI ping-pong: latency "
          f"{cal['latency'] * 1e6:.1f} us, bandwidth {cal['bandwidth'] / 8e9:.2f} GB/s "
          f"({cal['bandwidth'] / 1e9:.1f} Gbit/s)")
    print(f"d = {args.d}, T = {args.T}, ring (n = 2: one edge), logistic (batch 1); times: mean over steps 1..T-1,"
          " slowest rank")
    head = ("algorithm", "ranks", "bytes/it meas", "bytes/it pred", "ratio", "s/it meas",
            "s/it model", "ratio", "comm s/it", "sim s/it")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.ranks:
            problem = f"logistic[n={n},d={args.d},m=20,batch=1]"
            for alg, extra in (("dcd_psgd", "compressor=dithering[s=16],"),
                               ("dpsgd", "float_bits=64,")):
                graph = "ring" if n >= 3 else "complete"     # a ring needs 3 nodes
                spec = parse(f"{alg}[problem={problem},topology={graph},{extra}gamma=0.05,"
                             f"T={args.T}]")
                mpi = mpi_run(n, spec.name, tmp)
                sim = run(spec)             # builds the problem, loads the kernels
                sim_s = min(run(spec)["elapsed"] for _ in range(2)) / args.T
                assert sim["bits_curve"] == mpi["bits_curve"], "bits differ from the simulator"
                top = build_topology(spec.topology, n)
                deg = top.degrees
                # predicted bytes: each node's messages to each neighbour (simulator's bits)
                per_node_bits = np.asarray(sim["bits_curve"][-1]) / (n * args.T)
                pred_bytes = float(deg.sum() * per_node_bits / 8)
                m = mpi["mpi"]
                compute = m["seconds_per_iteration"] - m["comm_seconds_per_iteration"]
                model = NetworkModel(latency=cal["latency"], bandwidth=cal["bandwidth"],
                                     compute=max(compute, 0.0))
                b = sim["bits_max_node"] / args.T
                pred_s = float(model.step_times(np.array([b]), "neighbors", n,
                                                top.max_degree)[0])
                rows.append((alg, n, f"{m['wire_bytes_per_iteration']:.0f}",
                             f"{pred_bytes:.0f}",
                             f"{m['wire_bytes_per_iteration'] / pred_bytes:.3f}",
                             f"{m['seconds_per_iteration'] * 1e3:.3f} ms",
                             f"{pred_s * 1e3:.3f} ms",
                             f"{m['seconds_per_iteration'] / pred_s:.2f}",
                             f"{m['comm_seconds_per_iteration'] * 1e3:.3f} ms",
                             f"{sim_s * 1e3:.3f} ms"))
                print("  ".join(str(c) for c in rows[-1]), flush=True)
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    print()
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


if __name__ == "__main__":
    main()
