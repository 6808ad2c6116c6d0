"""Parameter sweeps: a grid of :class:`~theorytools.runspec.RunSpec` runs on any executor,
each result stored atomically, resumable, loadable as one table.

A sweep configuration is a TOML file (or YAML when PyYAML is installed) with one or more
``[[grid]]`` tables (a single ``[grid]`` table also works). In a grid, a list expands to one
run per element and several lists to their cartesian product; ``seeds`` (top level, or
``seed`` inside a grid) is one more axis::

    seeds = [0, 1, 2]

    [[grid]]
    algorithm = ["dcd_psgd", "choco_sgd"]
    problem = "quadratic[n=8,d=10]"
    topology = "ring"
    compressor = ["dithering[s=4]", "top_k[k=2]"]
    gamma = [0.05, 0.1]
    T = 100

Storage (``docs/scale-out.md``): one JSON file per run under ``OUT/runs/``, named by a hash of
the run's canonical name (which includes the seed), written to a temporary file and moved into
place with :func:`os.replace` (atomic on POSIX and Windows), so a killed sweep never leaves a
half-written result. Each file holds the record and the SHA-256 of its canonical JSON text; a
file that does not parse, whose checksum or name does not match, is reported and run again,
never loaded. A run that raises is recorded with its error (``status = "failed"``) and the
others continue; re-running a sweep skips every run that has a valid file (``retry_failed``
re-runs the failed ones).

Executors: any :class:`concurrent.futures.Executor`. :func:`open_executor` makes the usual
ones: a :class:`~concurrent.futures.ProcessPoolExecutor` (``jobs``), a Dask client's executor
(``dask="local"`` for a ``LocalCluster`` or a scheduler address; the ``dask`` extra) or
:class:`mpi4py.futures.MPIPoolExecutor` (``mpi=True``; the ``mpi`` extra). A run's record is
the same bits whatever executes it: only ``elapsed`` (measured seconds) differs.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

from theorytools._files import atomic_open
from theorytools.errors import TheorytoolsError

__all__ = ["SweepSummary", "deterministic_part", "execute", "expand", "load_config",
           "load_results", "open_executor", "parse_seeds", "read_result", "result_path",
           "run_sweep", "to_csv", "to_dataframe", "write_result"]

FORMAT = "theorytools-sweep-result/1"
DASK_HINT = "pip install 'theorytools[dask]' (or: pip install 'dask[distributed]')"
MPI_HINT = "pip install 'theorytools[mpi]' (or: pip install mpi4py mpich)"


# --------------------------------------------------------------------------- configuration
def load_config(path: str | os.PathLike) -> dict:
    """Read a sweep configuration (TOML; ``.yaml``/``.yml`` with PyYAML installed).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict
        The parsed table (validated by :func:`expand`).
    """
    path = Path(path)
    if not path.is_file():
        raise TheorytoolsError(f"sweep config {str(path)!r} does not exist")
    text = path.read_bytes()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise TheorytoolsError(f"sweep config {path.name}: YAML needs PyYAML (pip install "
                                   "pyyaml); or write the config in TOML") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TheorytoolsError(f"sweep config {path.name}: not valid YAML "
                                   f"({' '.join(str(exc).split())})") from None
    else:
        try:
            import tomllib
        except ImportError:  # Python < 3.11
            import tomli as tomllib
        try:
            data = tomllib.loads(text.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise TheorytoolsError(f"sweep config {path.name}: not valid TOML ({exc})") from None
    if not isinstance(data, dict):
        raise TheorytoolsError(f"sweep config {path.name}: the top level must be a table")
    return data


def _seeds(value, what):
    from theorytools.runspec import _coerce
    values = value if isinstance(value, list) else [value]
    if not values:
        raise TheorytoolsError(f"{what}: an empty list of seeds")
    return [_coerce(v, int, what) for v in values]


def parse_seeds(items: list) -> list:
    """Seeds from the command line: integers and inclusive ranges ``a-b`` (``0-9``).

    Parameters
    ----------
    items : list of str
        E.g. ``["0-3", "7", "9,10"]``.

    Returns
    -------
    list of int
        The seeds, in order.
    """
    seeds = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)-(\d+)", part)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise TheorytoolsError(f"--seeds: empty range {part!r}")
                seeds += list(range(lo, hi + 1))
            elif re.fullmatch(r"\d+", part):
                seeds.append(int(part))
            else:
                raise TheorytoolsError(f"--seeds: {part!r} is not an integer or a range a-b")
    return seeds


def expand(config: dict, seeds: list | None = None) -> list:
    """The runs of a configuration, in grid order, without duplicates.

    Parameters
    ----------
    config : dict
        ``{"seeds": [...], "grid": table or [tables]}`` (see the module docstring).
    seeds : list of int or None, optional
        Replaces the configuration's seeds (the ``--seeds`` option).

    Returns
    -------
    list of theorytools.runspec.RunSpec
        One per point of each grid's cartesian product times the seeds.
    """
    from theorytools.runspec import RunSpec

    unknown = set(config) - {"seeds", "grid"}
    if unknown:
        raise TheorytoolsError(f"sweep config: unknown top-level key(s) {sorted(unknown)}; "
                               "expected 'seeds' and [[grid]] tables")
    grids = config.get("grid")
    if grids is None:
        raise TheorytoolsError("sweep config: no [[grid]] table")
    if isinstance(grids, dict):
        grids = [grids]
    if not isinstance(grids, list) or not all(isinstance(g, dict) for g in grids):
        raise TheorytoolsError("sweep config: 'grid' must be a table or an array of tables")
    top_seeds = _seeds(config["seeds"], "sweep config: seeds") if "seeds" in config else None
    specs, seen = [], set()
    for gi, grid in enumerate(grids):
        grid = dict(grid)
        for key, value in grid.items():
            if isinstance(value, list) and not value:
                raise TheorytoolsError(f"sweep config: grid {gi + 1}: {key} is an empty list")
        run_seeds = (seeds if seeds is not None else
                     _seeds(grid.pop("seed"), f"grid {gi + 1}: seed") if "seed" in grid else
                     top_seeds if top_seeds is not None else [0])
        grid.pop("seed", None)
        keys = list(grid)
        axes = [grid[k] if isinstance(grid[k], list) else [grid[k]] for k in keys]
        for point in itertools.product(*axes):
            for seed in run_seeds:
                table = dict(zip(keys, point), seed=seed)
                try:
                    spec = RunSpec.from_dict(table)
                except TheorytoolsError as exc:
                    raise TheorytoolsError(f"sweep config: grid {gi + 1}: {exc}") from None
                if spec.name not in seen:
                    seen.add(spec.name)
                    specs.append(spec)
    return specs


# --------------------------------------------------------------------------- storage
def result_path(out: str | os.PathLike, name: str) -> Path:
    """Where the result of the run ``name`` (a canonical name, seed included) is stored:
    ``OUT/runs/<algorithm>-<first 20 hex digits of sha256(name)>.json``.

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output directory.
    name : str
        The run's canonical name (:attr:`theorytools.runspec.RunSpec.name`).

    Returns
    -------
    pathlib.Path
        The file.
    """
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:20]
    return Path(out) / "runs" / f"{name.split('[', 1)[0]}-{digest}.json"


def _canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=True)


def write_result(out: str | os.PathLike, record: dict) -> Path:
    """Write a record atomically (temporary file in the same directory, fsync,
    :func:`os.replace`). The file has two lines: a JSON header (format, name, SHA-256 of the
    second line's bytes) and the record's JSON text.

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output directory.
    record : dict
        A record of :func:`theorytools.runspec.run` (or a failed one).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = result_path(out, record["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    body = _canonical(record).encode("utf-8")
    head = json.dumps({"format": FORMAT, "name": record["name"],
                       "sha256": hashlib.sha256(body).hexdigest()}).encode("utf-8")
    with atomic_open(path, "wb") as fh:
        fh.write(head + b"\n" + body + b"\n")
    return path


def read_result(path: str | os.PathLike, name: str | None = None) -> dict:
    """The record stored in ``path``, verified: the header parses and has this module's
    format, the SHA-256 of the record's bytes matches (any altered byte is detected), the
    record parses and its name is the header's (and ``name`` when given) and hashes to this
    file's name.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    name : str or None, optional
        The canonical name it must hold.

    Returns
    -------
    dict
        The record.

    Raises
    ------
    TheorytoolsError
        Saying what is wrong with the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TheorytoolsError(f"{path.name}: unreadable ({exc})") from None
    lines = raw.split(b"\n")
    if len(lines) != 3 or lines[2] != b"":
        raise TheorytoolsError(f"{path.name}: not a {FORMAT} file (truncated or altered)")
    try:
        head = json.loads(lines[0])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TheorytoolsError(f"{path.name}: not a {FORMAT} file (bad header)") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise TheorytoolsError(f"{path.name}: not a {FORMAT} file")
    if hashlib.sha256(lines[1]).hexdigest() != head.get("sha256"):
        raise TheorytoolsError(f"{path.name}: checksum mismatch (the file was altered or "
                               "damaged)")
    try:
        rec = json.loads(lines[1])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TheorytoolsError(f"{path.name}: the record does not parse") from None
    if not isinstance(rec, dict) or rec.get("name") != head.get("name") or (
            name is not None and rec.get("name") != name):
        raise TheorytoolsError(f"{path.name}: holds {rec.get('name')!r}, not {name!r}")
    if result_path(path.parent.parent, rec["name"]).name != path.name:
        raise TheorytoolsError(f"{path.name}: its name does not hash to this file")
    return rec


def load_results(out: str | os.PathLike, *, specs: list | None = None,
                 warn: object = sys.stderr) -> list:
    """The verified records stored under ``out`` (all of them, or those of ``specs``).

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output directory.
    specs : list of RunSpec or None, optional
        Only these runs (in this order; the ones without a valid file are left out).
    warn : file or None, optional
        Where to report invalid files (skipped, never loaded).

    Returns
    -------
    list of dict
        One flat record per run (see :func:`theorytools.runspec.run`; failed runs have
        ``status = "failed"`` and ``error``).
    """
    out = Path(out)
    if specs is not None:
        paths = [(result_path(out, s.name), s.name) for s in specs]
        paths = [(p, n) for p, n in paths if p.exists()]
    else:
        paths = [(p, None) for p in sorted((out / "runs").glob("*.json"))]
    records = []
    for path, name in paths:
        try:
            records.append(read_result(path, name))
        except TheorytoolsError as exc:
            if warn is not None:
                warn.write(f"sweep: skipping invalid result file: {exc}\n")
    return records


def deterministic_part(record: dict) -> dict:
    """The record without the fields that legitimately differ between two executions of one
    run (``elapsed``, the measured seconds): what must be bit-identical.

    Parameters
    ----------
    record : dict
        A result record.

    Returns
    -------
    dict
        A copy without ``elapsed``.
    """
    return {k: v for k, v in record.items() if k != "elapsed"}


SCALAR_FIELDS = ("name", "config", "status", "error", "algorithm", "problem", "topology",
                 "compressor", "gamma", "T", "seed", "f_gap", "grad_norm_sq", "dist_sq",
                 "consensus", "bits_total", "bits_max_node", "bits_exact", "wall_model",
                 "elapsed", "f_gap_x_hat")


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v, allow_nan=True)
    return v


def to_csv(records: list, file: object = None, *, curves: bool = False) -> str:
    """The records as CSV: one row per run, the scalar fields (and the spec's options) as
    columns. Floats are written exactly (``repr``: ``inf``, ``nan`` included).

    Parameters
    ----------
    records : list of dict
        From :func:`load_results`.
    file : file or None, optional
        Also write the text there.
    curves : bool, optional
        Add the curves as JSON lists.

    Returns
    -------
    str
        The CSV text.
    """
    import csv

    fields = [f for f in SCALAR_FIELDS if any(f in r for r in records)]
    from theorytools.runspec import RESULT_CURVES
    for r in records:
        fields += [k for k in r if k not in fields and k not in RESULT_CURVES and k != "X"]
    if curves:
        fields += [c for c in RESULT_CURVES if any(c in r for r in records)]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({k: _cell(r.get(k)) for k in fields})
    text = buf.getvalue()
    if file is not None:
        file.write(text)
    return text


def to_dataframe(records: list, *, curves: bool = False) -> "pandas.DataFrame":  # noqa: F821
    """The records as a pandas DataFrame (needs pandas; without it use :func:`to_csv`).

    Parameters
    ----------
    records : list of dict
        From :func:`load_results`.
    curves : bool, optional
        Add the curves (as JSON text).

    Returns
    -------
    pandas.DataFrame
        One row per run.
    """
    try:
        import pandas as pd
    except ImportError:
        raise TheorytoolsError("to_dataframe needs pandas (pip install pandas); to_csv "
                               "works without it") from None
    return pd.read_csv(io.StringIO(to_csv(records, curves=curves)))


# --------------------------------------------------------------------------- executing
def execute(name: str) -> dict:
    """Run one spec (by canonical name); an exception becomes a failed record. Module level,
    so any executor (processes, Dask, MPI) can run it.

    Parameters
    ----------
    name : str
        The run's canonical name.

    Returns
    -------
    dict
        The record of :func:`theorytools.runspec.run`, or ``status = "failed"`` with
        ``error`` (the exception's type and message) and the spec's fields.
    """
    from theorytools.runspec import parse, run
    t0 = time.perf_counter()
    try:
        spec = parse(name)
        return run(spec)
    except Exception as exc:  # noqa: BLE001 -- recorded, the sweep goes on
        rec = {"name": name, "status": "failed",
               "error": f"{type(exc).__name__}: {' '.join(str(exc).split())}",
               "elapsed": time.perf_counter() - t0}
        try:
            spec = parse(name)
            rec = {"name": name, "config": spec.config, **rec, **spec.as_dict()}
        except Exception:  # noqa: BLE001
            pass
        return rec


@contextlib.contextmanager
def open_executor(*, jobs: int = 1, dask: str | None = None,
                  mpi: bool = False) -> "contextlib.AbstractContextManager":
    """An executor for a sweep (or ``verify``), closed on exit.

    Parameters
    ----------
    jobs : int, optional
        Local worker processes (``ProcessPoolExecutor``), or the workers of a Dask
        ``LocalCluster``; 1 without ``dask``/``mpi``: None (run in this process).
    dask : str or None, optional
        ``"local"`` (a ``LocalCluster`` of ``jobs`` single-threaded worker processes) or a
        scheduler address such as ``"tcp://10.0.0.1:8786"``; needs the ``dask`` extra.
    mpi : bool, optional
        ``mpi4py.futures.MPIPoolExecutor`` (run under ``mpiexec -n N python -m mpi4py.futures
        ...``, or it spawns ``jobs`` workers); needs the ``mpi`` extra.

    Yields
    ------
    concurrent.futures.Executor or None
    """
    if jobs < 1:
        raise TheorytoolsError(f"jobs must be >= 1, got {jobs}")
    if dask is not None and mpi:
        raise TheorytoolsError("choose one of dask and mpi, not both")
    if dask is not None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise TheorytoolsError(f"--dask needs the dask extra: {DASK_HINT}") from None
        if dask == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            cluster = None
            import asyncio
            try:
                client = Client(dask, timeout="20s")
            except (OSError, asyncio.TimeoutError, ValueError) as exc:
                raise TheorytoolsError(f"--dask {dask}: cannot reach the scheduler ({exc})") \
                    from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if mpi:
        try:
            from mpi4py.futures import MPIPoolExecutor
        except ImportError:
            raise TheorytoolsError(f"--mpi needs the mpi extra: {MPI_HINT}") from None
        pool = MPIPoolExecutor(max_workers=jobs if jobs > 1 else None)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True)
        return
    if jobs == 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield pool


class SweepSummary(dict):
    """What :func:`run_sweep` did: ``total``, ``skipped`` (already done), ``ran``, ``ok``
    (among those run now), ``failed`` (run now or recorded before and not retried), ``lost``
    (the executor lost them: nothing stored, they run next time),
    ``invalid`` (result files that were invalid and run again), ``out``."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _status(out, spec, retry_failed, warn):
    """``"done"``, ``"failed"`` (recorded failure), ``"invalid"`` or ``"todo"``."""
    path = result_path(out, spec.name)
    if not path.exists():
        return "todo"
    try:
        rec = read_result(path, spec.name)
    except TheorytoolsError as exc:
        if warn is not None:
            warn.write(f"sweep: {exc}; running it again\n")
        return "invalid"
    if rec.get("status") == "failed":
        return "todo" if retry_failed else "failed"
    return "done"


def run_sweep(specs: list | dict | str | os.PathLike, out: str | os.PathLike, *,
              executor: object = None, retry_failed: bool = False, progress: bool = True,
              stream: object = None, runner: object = execute) -> SweepSummary:
    """Run every spec not yet done, storing each result as soon as it finishes.

    Parameters
    ----------
    specs : list of RunSpec, or a configuration dict / path
        The runs (a dict or a path is expanded with :func:`expand`).
    out : str or os.PathLike
        The output directory (created).
    executor : concurrent.futures.Executor or None, optional
        Where to run (None: in this process, one after the other). See :func:`open_executor`.
    retry_failed : bool, optional
        Also re-run the runs recorded as failed.
    progress : bool, optional
        One line per finished run on ``stream`` with counts and an ETA.
    stream : file or None, optional
        Where progress and warnings go (default stderr).
    runner : callable, optional
        ``runner(name) -> record`` (default :func:`execute`), a module-level function.

    Returns
    -------
    SweepSummary
        The counts.
    """
    from theorytools.commands._common import Progress

    if isinstance(specs, (str, os.PathLike)):
        specs = expand(load_config(specs))
    elif isinstance(specs, dict):
        specs = expand(specs)
    stream = stream if stream is not None else sys.stderr
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for stale in (out / "runs").glob(".*.tmp"):   # a write interrupted by a kill
        with contextlib.suppress(OSError):
            stale.unlink()
    states = [_status(out, s, retry_failed, stream) for s in specs]
    todo = [s for s, st in zip(specs, states) if st in ("todo", "invalid")]
    summary = SweepSummary(total=len(specs), skipped=len(specs) - len(todo), ran=0, ok=0,
                           failed=states.count("failed"), lost=0,
                           invalid=states.count("invalid"), out=str(out))
    if progress and summary.skipped:
        stream.write(f"sweep: {summary.skipped} of {len(specs)} runs already done "
                     f"({states.count('failed')} recorded as failed), {len(todo)} to run\n")
    bar = Progress("sweep", len(todo), enabled=progress, stream=stream)

    def finish(spec, rec):
        write_result(out, rec)
        summary["ran"] += 1
        if rec.get("status") == "ok":
            summary["ok"] += 1
            detail = f"f_gap {rec['f_gap']:.3g}, {rec['bits_total']} bits"
        else:
            summary["failed"] += 1
            detail = f"FAILED: {rec.get('error')}"
        bar.step(spec.name, detail)

    def lose(spec, exc):
        summary["lost"] += 1
        bar.step(spec.name, f"LOST (the executor raised {type(exc).__name__}: {exc}; not "
                            "stored, it runs next time)")

    if executor is None:
        for spec in todo:
            finish(spec, runner(spec.name))
        return summary
    from concurrent.futures import as_completed
    futures = {}
    for spec in todo:
        futures[executor.submit(runner, spec.name)] = spec
    for fut in as_completed(futures):
        spec = futures[fut]
        try:
            rec = fut.result()
        except Exception as exc:  # noqa: BLE001 -- an executor failure, not the run's
            lose(spec, exc)
            continue
        finish(spec, rec)
    return summary
