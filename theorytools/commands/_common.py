"""Helpers shared by the ``theorytools`` commands: strict JSON, CSV, name resolution with
"did you mean", the memory guard for a dimension ``d``, and progress lines on stderr.

Strict JSON: every ``--json`` output goes through :func:`dumps`, which writes a non-finite
float (NaN, +-inf) as ``null`` and refuses anything else that the JSON standard does not have
(``json.dumps(..., allow_nan=False)``), so strict parsers (``jq``, JavaScript, Go) read it.
"""
from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import sys
import time

from theorytools.errors import TheorytoolsError


# --------------------------------------------------------------------------- strict JSON
def strict(obj):
    """``obj`` with every non-finite float replaced by ``None`` and numpy scalars/arrays,
    tuples and sets turned into plain Python numbers and lists."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int):
        return obj
    if np is not None:
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return strict(float(obj))
        if isinstance(obj, np.ndarray):
            return [strict(v) for v in obj.tolist()]
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [strict(v) for v in obj]
    if hasattr(obj, "_asdict"):
        return strict(obj._asdict())
    return str(obj)


def dumps(obj, indent=1) -> str:
    """Strict JSON text of ``obj`` (non-finite numbers as ``null``; see :func:`strict`)."""
    return json.dumps(strict(obj), indent=indent, allow_nan=False)


def csv_text(rows, fields=None) -> str:
    """CSV of a list of dicts (nested values as strict JSON text; non-finite numbers empty)."""
    rows = [strict(r) for r in rows]
    if fields is None:
        fields = []
        for r in rows:
            fields += [k for k in r if k not in fields]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (json.dumps(v, allow_nan=False) if isinstance(v, (dict, list)) else
                        "" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


# --------------------------------------------------------------------------- names
def did_you_mean(name: str, known, n: int = 3) -> str:
    """``"; did you mean a, b?"`` with the closest names of ``known`` ("" when none is close)."""
    known = list(dict.fromkeys(known))
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    if not close:  # a lower-case or partial match
        low = name.lower()
        close = [k for k in known if low in k.lower() or k.lower() in low][:n]
    if not close and "." in name:  # the names under the longest known dotted prefix
        parts = name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i]) + "."
            close = difflib.get_close_matches(
                name, [k for k in known if k.startswith(prefix)], n=n, cutoff=0.0)
            if close:
                break
    return f"; did you mean {', '.join(close)}?" if close else ""


# --------------------------------------------------------------------------- dimension
def parse_dimension(text, name: str = "d", low: int = 1) -> int:
    """An integer dimension from the command line: ``1000``, ``1e6`` (an integer value
    written as a float) are accepted; anything else is refused naming the argument."""
    from theorytools.errors import check_int
    try:
        value = int(text)
    except (TypeError, ValueError):
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise TheorytoolsError(f"--{name} must be an integer, got {text!r}") from None
        if not math.isfinite(value) or value != int(value):
            raise TheorytoolsError(f"--{name} must be an integer, got {text!r}")
        value = int(value)
    if value < low:
        raise TheorytoolsError(f"--{name} must be >= {low}, got {value}")
    return check_int(value, name, low=low)


# --------------------------------------------------------------------------- memory
def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable`` of /proc/meminfo; else
    physical memory; else 4 GiB)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def max_dimension(bytes_needed, *, low: int = 1) -> int:
    """The largest d with ``bytes_needed(d)`` (an increasing function) within the available
    memory (bisection; at least ``low``)."""
    avail = available_memory()
    if bytes_needed(low) > avail:
        return low - 1
    hi = low
    while bytes_needed(hi * 2) <= avail and hi < 2 ** 62:
        hi *= 2
    lo, hi = hi, hi * 2   # bytes_needed(lo) fits, bytes_needed(hi) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if bytes_needed(mid) <= avail else (lo, mid)
    return lo


def require_fits(d: int, bytes_needed, what: str, *, low: int = 1) -> None:
    """Refuse (one-line :class:`TheorytoolsError`) a ``d`` whose arrays cannot fit in the
    available memory, before anything is allocated. ``bytes_needed(d)``: the measured working
    set of the command at dimension d."""
    need = bytes_needed(d)
    avail = available_memory()
    if need > avail:
        raise TheorytoolsError(
            f"--d {d}: {what} needs about {need / 2**30:.3g} GiB at this d but "
            f"{avail / 2**30:.3g} GiB are available; the largest d that fits here is "
            f"{max_dimension(bytes_needed, low=low)}")


# --------------------------------------------------------------------------- progress
class Progress:
    """Progress lines on stderr that also work when stderr is not a terminal (a log file, a
    CI job): one line per finished unit of work, with counts, elapsed time and an ETA.

    ``total`` units; ``every``: print only every so many units (and the last);
    ``weights`` (optional): unit name -> expected relative duration, so that the ETA of a run
    whose units take very different times is still sensible (it is rescaled by the measured
    speed of the units already done)."""

    def __init__(self, what: str, total: int, *, enabled: bool = True, stream=None,
                 weights: dict | None = None, every: int = 1):
        self.what, self.total, self.enabled = what, int(total), enabled
        self.every = max(1, int(every))
        self.stream = stream if stream is not None else sys.stderr
        self.weights = weights or {}
        self.done = 0
        self.done_weight = 0.0
        self.start = time.monotonic()
        self.remaining = dict(self.weights)

    def step(self, name: str, detail: str = "") -> None:
        self.done += 1
        self.done_weight += self.remaining.pop(name, 0.0)
        if not self.enabled or (self.done % self.every and self.done < self.total):
            return
        elapsed = time.monotonic() - self.start
        left = sum(self.remaining.values())
        if self.done >= self.total:
            eta = "done"
        elif self.done_weight > 0 and left > 0:
            eta = f"ETA {_duration(elapsed / self.done_weight * left)}"
        elif self.done:
            eta = f"ETA {_duration(elapsed / self.done * (self.total - self.done))}"
        else:
            eta = ""
        msg = f"[{self.what} {self.done}/{self.total}] {name}"
        msg += f": {detail}" if detail else ""
        msg += f" ({_duration(elapsed)} elapsed{', ' + eta if eta else ''})"
        try:
            self.stream.write(msg + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.enabled = False


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
