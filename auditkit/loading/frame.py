"""``load()``: trails of any supported format -> one pandas DataFrame with documented columns.

This module imports no pandas: ``load()`` begins DuckDB's read of a large auditkit trail (:mod:`.duckread`)
first, then imports pandas (:mod:`.assemble`, which does the rest) while DuckDB reads.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditkit.loading import duckread, parquet_dataset
from auditkit.store.files import PathLike, expand

if TYPE_CHECKING:
    import pandas as pd


def load(paths: PathLike | Iterable[PathLike], *, strict: bool = False, progress: bool | None = None) -> pd.DataFrame:
    """Read trails (files, folders, globs; plain or gzipped; any supported format) into one frame.

    Rows are ordered by time, then by file and line, so equal timestamps keep their recorded order.
    An event seen twice (the same trail copied to two places, a usage line Claude Code repeats, a
    resumed transcript) is kept once, by its ``event_id``; ``df.attrs["duplicates"]`` counts them.
    Malformed lines do not stop a load: they are listed in ``df.attrs["problems"]`` as
    ``{"file", "line", "reason"}`` and summarised in a warning (``strict=True`` raises instead).
    ``progress``: show a progress line on stderr (default: for loads over 64 MB on a terminal). A load that
    imports numpy first sets ``OPENBLAS_THREAD_TIMEOUT`` while it runs, unless the caller set it (numpy's
    BLAS threads would otherwise spin idle beside the read), and takes it out again when it ends.

    Example::

        df = auditkit.load("sample_logs/")
        df[df.tool == "Bash"][["timestamp", "command", "status"]]
    """
    # A load makes few cycles, collected once the collector is back on (the caller's setting kept): its passes
    # over pandas' import and the frame's objects were ~0.1 s of a million-event load.
    collecting = gc.isenabled()
    gc.disable()
    quiet = _quiet_blas()
    try:
        return _load(paths, strict, progress)
    finally:
        if collecting:
            gc.enable()
        if quiet and os.environ.get(_BLAS_SPIN) == _SHORT_SPIN:  # (not a value the caller set meanwhile)
            os.environ.pop(_BLAS_SPIN, None)


#: How long (2**n cycles) each of OpenBLAS's idle threads spins before it sleeps: by default 2**28, ~0.1 s.
_BLAS_SPIN = "OPENBLAS_THREAD_TIMEOUT"
_SHORT_SPIN = "4"  # (OpenBLAS's least)


def _quiet_blas() -> bool:
    """Whether load() set OpenBLAS's spin short for numpy's first import (its own, in this process).

    numpy's OpenBLAS starts a thread per core when it is loaded, each spinning ~0.1 s for work a load never
    gives it (no linear algebra): on a 2-core machine that was a core's worth of DuckDB's read (~5% of a
    million-event load). The variable is read once, when OpenBLAS is loaded: set only when numpy is not yet
    imported and the caller has not set it, and taken out of the environment again when the load ends (a
    process started later inherits nothing). Idle BLAS threads then sleep at once and wake on their next work.
    """
    if "numpy" in sys.modules or _BLAS_SPIN in os.environ:
        return False
    os.environ[_BLAS_SPIN] = _SHORT_SPIN
    return True


def _load(paths: PathLike | Iterable[PathLike], strict: bool, progress: bool | None) -> pd.DataFrame:
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    exports = [p for p in given if parquet_dataset.is_dataset(p)]  # what `auditkit export` wrote
    files = expand([p for p in given if p not in exports]) if len(exports) < len(given) else []
    problems: list[dict] = []
    skipped: dict[str, int] = {}
    total = sum(f.stat().st_size for f in files)
    show = progress if progress is not None else (total > 64 << 20 and sys.stderr.isatty())
    bar = _Progress(total) if show else None
    started = _begin(files)
    try:
        from auditkit.loading import assemble  # pandas (~0.3 s), imported while DuckDB reads the first file

        parts: list[pd.DataFrame] = [parquet_dataset.read(p) for p in exports]
        assemble.read_files(files, parts, problems, skipped, strict, bar, started)
    finally:
        if started is not None:
            started.close()  # (a no-op once the fast path took it)
    if bar:
        bar.close()
    df = assemble.sort_events(assemble.concat(parts))
    before = len(df)
    df = assemble.without_copies(df)
    df.attrs["files"] = [str(f) for f in files] + [str(p) for p in exports]
    df.attrs["problems"] = problems
    df.attrs["skipped"] = skipped
    df.attrs["duplicates"] = before - len(df)
    if problems:
        first = problems[0]
        warnings.warn(
            f"{len(problems)} unreadable line(s) skipped; first at {first['file']}:{first['line']}: "
            f"{first['reason']} (all of them are in df.attrs['problems'])",
            stacklevel=3,
        )
    return df


def _begin(files: list[Path]) -> duckread.Reading | None:
    """DuckDB's read of the first file begun when it is large (the fast path may take it), else None."""
    return duckread.start(files[0]) if files and duckread.large(files[0]) else None


class _Progress:
    """A one-line progress display on stderr (bytes read of the total)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.shown = max(total, 1), 0, -1

    def add(self, n: int) -> None:
        self.done += n
        pct = self.done * 100 // self.total
        if pct != self.shown:
            self.shown = pct
            sys.stderr.write(f"\rauditkit: loading {self.done / 1e6:,.0f} / {self.total / 1e6:,.0f} MB ({pct}%)")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


def __getattr__(name: str) -> Any:
    """``frame_from_rows`` and ``sort_events``, which live in :mod:`.assemble` now, still importable from here."""
    if name in ("frame_from_rows", "sort_events"):
        from auditkit.loading import assemble  # pandas: only when one of them is asked for

        return getattr(assemble, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
