"""Atomic file writes, shared by the experiment outputs and cache (theorytools.experiment) and
the sweep results (theorytools.sweep): a reader never sees a partial file."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_open"]


@contextlib.contextmanager
def atomic_open(path, mode: str = "w"):
    """Open a temporary file ``.NAME.*.tmp`` next to ``path`` for writing; on a clean exit
    flush, fsync and :func:`os.replace` it onto ``path`` (atomic on POSIX and Windows); on an
    error remove it. An interrupted write (Ctrl-C, a kill) leaves at most the temporary file,
    which no reader loads (theorytools.sweep removes stale ones). Text modes write UTF-8
    without newline translation."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    kw = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    try:
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except Exception:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
