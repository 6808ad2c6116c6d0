"""``mpiexec -n N python -m theorytools.mpi RUNSPEC [RUNSPEC ...] [--out FILE] [--iterates]``.

Runs each run spec (a canonical name, ``docs/scale-out.md``) in turn with one MPI rank per
node (every spec must have n = N nodes). Rank 0 writes one JSON record per line to FILE (or
stdout) and a summary line per run to stderr. Exit
status 0 on success, 2 on bad input (one line on stderr, no traceback) or when mpi4py is not
installed.
"""
from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m theorytools.mpi",
        description="run a RunSpec with one MPI process per node (under mpiexec -n N)")
    parser.add_argument("specs", metavar="RUNSPEC", nargs="+",
                        help="canonical run name, e.g. 'dcd_psgd[problem=quadratic[n=4,d=8],"
                             "compressor=dithering[s=4],gamma=0.05,T=100]'")
    parser.add_argument("--out", metavar="FILE",
                        help="write rank 0's JSON records (one per line) to FILE")
    parser.add_argument("--iterates", action="store_true",
                        help="include the final iterates X (n x d) in the record")
    parser.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    args = parser.parse_args(argv)
    from theorytools.errors import TheorytoolsError
    try:
        from theorytools.mpi.backend import run_rank
        records = [run_rank(spec, iterates=args.iterates) for spec in args.specs]
    except TheorytoolsError as exc:
        rank = 0
        try:
            from mpi4py import MPI
            rank = MPI.COMM_WORLD.Get_rank()
        except ImportError:
            pass
        if rank == 0:
            sys.stderr.write(f"theorytools.mpi: error: {exc}\n")
        return 2
    if records[0] is None:
        return 0
    text = "".join(json.dumps(rec, allow_nan=True) + "\n" for rec in records)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    for rec in records if not args.quiet else ():
        m = rec["mpi"]
        sys.stderr.write(f"theorytools.mpi: {rec['name']}: {m['ranks']} ranks, f_gap "
                         f"{rec['f_gap']:.6g}, {rec['bits_total']} bits, "
                         f"{m['seconds_per_iteration'] * 1e6:.1f} us/iteration "
                         f"({m['comm_seconds_per_iteration'] * 1e6:.1f} in communication), "
                         f"{m['wire_bytes_per_iteration']:.0f} bytes/iteration on the wire\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
