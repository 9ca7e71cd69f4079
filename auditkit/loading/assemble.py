"""What ``load()`` does once pandas is imported: each file's rows into frames (the columnar fast path for
large auditkit trails, the line reader for the rest), joined, ordered, and each event kept once."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from auditkit.loading import columnar, duckread
from auditkit.loading.columns import CATEGORIES as _CATEGORIES
from auditkit.loading.columns import COLUMNS
from auditkit.loading.columns import typed as _typed
from auditkit.loading.jsoncolumn import JSONArray, JSONDtype
from auditkit.loading.lines import read_file
from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import is_gzip


class _Progress(Protocol):
    def add(self, n: int) -> None: ...


def read_files(
    files: list[Path],
    parts: list[pd.DataFrame],
    problems: list[dict],
    skipped: dict[str, int],
    strict: bool,
    bar: _Progress | None,
    started: duckread.Reading | None = None,
) -> None:
    """Each file's frames onto ``parts``: a large auditkit trail by the columnar path, any other line by line
    (auditkit trail records turned into columns in bulk, every ``_CHUNK`` rows). ``started``: DuckDB's read of
    one of the files, begun by ``load()`` before pandas was imported."""
    rows: list[dict] = []  # other formats, row by row
    fast: list[dict] = []  # auditkit trail records, turned into columns in bulk
    for f in files:
        if _read_columnar(f, parts, bar, started):
            continue
        for row in read_file(f, problems, strict=strict, on_bytes=bar.add if bar else None, fast=fast, skipped=skipped):
            rows.append(row)
            if len(rows) >= _CHUNK:
                parts.append(frame_from_rows(rows, sort=False))
                rows = []
            if len(fast) >= _CHUNK:
                parts.append(frame_from_rows(auditkit_trail.columns(fast), sort=False))
                fast.clear()
        if len(fast) >= _CHUNK:
            parts.append(frame_from_rows(auditkit_trail.columns(fast), sort=False))
            fast.clear()
    if fast:
        parts.append(frame_from_rows(auditkit_trail.columns(fast), sort=False))
    if rows or not parts:
        parts.append(frame_from_rows(rows, sort=False))
    fast.clear()


def _read_columnar(
    f: Path, parts: list[pd.DataFrame], bar: _Progress | None, started: duckread.Reading | None = None
) -> bool:
    """A large file read by the columnar path onto ``parts``; False when it is small or not a plain trail."""
    if f.stat().st_size < (columnar.MIN_BYTES // 8 if is_gzip(f) else columnar.MIN_BYTES):  # gzip: ~8x
        return False
    batches = columnar.read(f, started=started)  # typed as _typed types them (started: if it is f's read)
    if batches is None:
        return False
    parts.extend(batches)
    if bar:
        bar.add(f.stat().st_size)
    return True


def without_copies(df: pd.DataFrame) -> pd.DataFrame:
    """One row per ``event_id`` (the last; of an API message's copies, the final one)."""
    df = _final_copies_first(df)
    if not _ids_unique(df):
        dup = df["event_id"].duplicated(keep="last")
        if dup.any():  # copying a large frame costs its size again: only when there is something to drop
            df = df[~dup].reset_index(drop=True)
    return df


def _ids_unique(df: pd.DataFrame) -> bool:
    """True when no ``event_id`` can repeat without hashing a million strings to find out: one auditkit
    trail file, one trail id, ``seq`` rising (an event's id there is ``<trail id>:<seq>``)."""
    if df.empty or _distinct(df["source_file"]) != 1 or (df["source_format"] != auditkit_trail.NAME).any():
        return False
    seq = df["seq"]
    if _distinct(df["trail_id"], dropna=False) != 1 or not seq.notna().all():
        return False
    at = seq.to_numpy(np.int64)  # (no missing value: plain integers; pandas' masked diff took ~25 ms a million)
    return bool((at[1:] > at[:-1]).all())


def _distinct(values: pd.Series, dropna: bool = True) -> int:
    """``values.nunique(dropna)``, as 0, 1 or 2 (two or more), without hashing a million strings when none is
    missing: each is compared with the first (~4x faster; load() asks it of a large trail's file names and
    trail ids once the read is done)."""
    if values.hasnans:
        return min(values.nunique(dropna=dropna), 2)
    return 0 if values.empty else 1 if (values == values.iloc[0]).all() else 2


def _final_copies_first(df: pd.DataFrame) -> pd.DataFrame:
    """Among copies of one API message (content-block lines, a subagent's message seen in the parent's
    ``agent_progress`` and in its own file), make the copy with the most output tokens the one kept.

    ``load()`` keeps the last row of each ``event_id``; early copies hold streaming placeholders.
    """
    msgs = df["event"] == "assistant_message"
    if not msgs.any():
        return df
    ids = df.loc[msgs, "event_id"]
    repeated = ids[ids.duplicated(keep=False)]
    if repeated.empty:
        return df
    rows = df.loc[repeated.index, ["event_id", "output_tokens"]].assign(_n=range(len(repeated)))
    best = rows.sort_values(["event_id", "output_tokens", "_n"], na_position="first").drop_duplicates(
        "event_id", keep="last"
    )
    drop = repeated.index.difference(best.index)
    return df.drop(index=drop).reset_index(drop=True)


_CHUNK = 200_000


def frame_from_rows(columns: dict[str, list] | list[dict], sort: bool = True) -> pd.DataFrame:
    """Columns (or rows) with the normalised keys -> the typed frame (ordered unless ``sort=False``)."""
    if isinstance(columns, list):
        present: set[str] = set()
        for r in columns:
            present.update(r)
        columns = {c: [r.get(c) for r in columns] for c in COLUMNS if c in present}  # _typed adds the rest
    df = pd.DataFrame({c: pd.Series(v, dtype="object") for c, v in columns.items() if c in COLUMNS})
    df = _typed(df)
    return sort_events(df) if sort else df


def concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0]
    # column by column, each part's column let go once joined: concatenating whole frames would hold
    # every row twice at the peak
    columns = list(parts[0].columns)
    pieces = [{c: p[c] for c in columns} for p in parts]
    parts.clear()
    out = {}
    for col in columns:
        series = [p.pop(col) for p in pieces]
        if col in _CATEGORIES and all(_string_categories(s) for s in series):
            # parts with different categories would concatenate as object and be factorised again
            series = [s if s.cat.categories.dtype == "str" else s.cat.set_categories(s.cat.categories.astype("str"))
                      for s in series]  # fmt: skip
            joined = pd.Series(union_categoricals(series, sort_categories=True))
        elif all(isinstance(s.dtype, JSONDtype) for s in series):  # pd.concat takes 15x longer to do this
            joined = pd.Series(JSONArray._concat_same_type([s.array for s in series]))
        else:
            joined = pd.concat(series, ignore_index=True)
            if col in _CATEGORIES and not isinstance(joined.dtype, pd.CategoricalDtype):
                joined = joined.astype("category")
        del series
        out[col] = joined
    return pd.DataFrame(out, copy=False)


def _string_categories(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) and s.cat.categories.inferred_type in ("string", "empty")


def sort_events(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in time order, then by file and line (equal timestamps keep their recorded order)."""
    ts = df["timestamp"]
    if (
        ts.notna().all()
        and ts.is_monotonic_increasing
        and _distinct(df["source_file"]) <= 1
        and df["source_line"].is_monotonic_increasing
    ):
        return df.reset_index(drop=True)  # one trail, already in order: nothing to sort
    keys = df[["timestamp", "source_file", "source_line"]].reset_index(drop=True)
    order = keys.sort_values(list(keys.columns), kind="stable", na_position="last").index.to_numpy()
    # reorder column by column, letting each old column go as its new one is made: sorting a large
    # frame whole would hold two copies of it at once
    out = {}
    for col in list(df.columns):
        out[col] = df.pop(col).take(order).reset_index(drop=True)
    return pd.DataFrame(out, copy=False)
