"""``theorytools sweep CONFIG``: run a grid of runs (a TOML or YAML file) on local processes,
a Dask cluster or MPI; every result is stored atomically as soon as it finishes, re-running
skips what is done, ``--table`` prints the results as one CSV table (``docs/scale-out.md``).

Exit status: 0 when every run is stored and none failed; 1 when a run failed (recorded with
its error) or was lost by the executor (not stored: it runs next time); 2 on bad input or a
missing extra (``--dask`` needs ``theorytools[dask]``, ``--mpi`` needs ``theorytools[mpi]``).
"""
from __future__ import annotations

import sys
from pathlib import Path

from theorytools.errors import TheorytoolsError

__all__ = ["configure", "default_out", "run"]


def configure(parser):
    parser.add_argument("config", metavar="CONFIG",
                        help="the sweep: a TOML file (YAML with PyYAML) of [[grid]] tables; "
                             "lists expand to cartesian products")
    parser.add_argument("--out", metavar="DIR",
                        help="where results are stored (default: CONFIG's name with "
                             "'-results', next to it)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="N local worker processes (default 1: in this process); with "
                             "--dask local, the number of Dask workers")
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument("--dask", metavar="ADDRESS|local",
                         help="run on a Dask cluster: a scheduler address "
                              "(tcp://host:8786) or 'local' for a LocalCluster (needs "
                              "theorytools[dask])")
    backend.add_argument("--mpi", action="store_true",
                         help="run on mpi4py.futures.MPIPoolExecutor, e.g. under mpiexec -n N "
                              "python -m mpi4py.futures -m theorytools.cli sweep CONFIG --mpi "
                              "(needs theorytools[mpi])")
    parser.add_argument("--seeds", nargs="+", metavar="S",
                        help="replace the config's seeds: integers and ranges a-b (0-9)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="also re-run the runs recorded as failed")
    parser.add_argument("--table", action="store_true",
                        help="run nothing: print the stored results of CONFIG as CSV (one row "
                             "per run; missing runs are counted on stderr)")
    parser.add_argument("--curves", action="store_true",
                        help="with --table: add the curves (steps, f_gap, consensus, bits, "
                             "modelled time) as JSON lists")
    parser.add_argument("--list", action="store_true",
                        help="run nothing: print the canonical names of the runs")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def default_out(config) -> Path:
    config = Path(config)
    return config.with_name(config.stem + "-results")


def run(args):
    from theorytools.sweep import (expand, load_config, load_results, open_executor,
                                   parse_seeds, run_sweep, to_csv)

    if args.jobs < 1:
        raise TheorytoolsError(f"--jobs must be >= 1, got {args.jobs}")
    seeds = parse_seeds(args.seeds) if args.seeds else None
    specs = expand(load_config(args.config), seeds)
    out = Path(args.out) if args.out else default_out(args.config)
    if args.list:
        for s in specs:
            print(s.name)
        return 0
    if args.table:
        records = load_results(out, specs=specs)
        to_csv(records, sys.stdout, curves=args.curves)
        missing = len(specs) - len(records)
        if missing:
            sys.stderr.write(f"sweep: {missing} of {len(specs)} runs have no stored result in "
                             f"{out}\n")
        return 0
    with open_executor(jobs=args.jobs, dask=args.dask, mpi=args.mpi) as executor:
        summary = run_sweep(specs, out, executor=executor, retry_failed=args.retry_failed,
                            progress=not args.quiet)
    if not args.quiet:
        sys.stderr.write(f"sweep: {summary.total} runs: {summary.skipped} already done, "
                         f"{summary.ok} ok, {summary.failed} failed, {summary.lost} lost; "
                         f"results in {out} (theorytools sweep {args.config} --table)\n")
    return 0 if summary.failed == 0 and summary.lost == 0 else 1
