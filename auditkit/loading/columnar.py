"""The fast path for whole auditkit trails: DuckDB reads the JSON lines into columns, in C, on every core.

Taken only for a file that is entirely auditkit format v1 and clean: a file whose first record is
not a ``trail_start``, that holds a second trail start, a line DuckDB cannot parse, or a blank or
partial line (the row count differs from the line count) returns None, and ``load()`` reads it
line by line instead, reporting each problem with its line number. The result is the same frame.
A gzipped segment (what ``auditkit archive`` writes) is read the same way, DuckDB inflating it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.loading import duckread
from auditkit.loading.columns import COLUMNS
from auditkit.loading.duckread import _COLUMNS as _COLUMNS  # (tests/test_schema.py reads it here)
from auditkit.loading.jsoncolumn import POOL, JSONArray
from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import GZIP_ERRORS
from auditkit.store.jsontext import record_loads
from auditkit.trail import format as tf

MIN_BYTES = duckread.MIN_BYTES  # below this the line-by-line reader is as fast (a gzipped file: an eighth of it)


def read(path: Path, batch_rows: int = 100000, started: duckread.Reading | None = None) -> list[pd.DataFrame] | None:
    """The file as one frame of the normalised columns in their documented types (as
    :func:`auditkit.loading.columns.typed` gives them), in a list, or None when the fast path does not apply.

    DuckDB hands its rows over in batches of ``batch_rows`` (:class:`.duckread.Reading`, begun here or, by
    ``load()`` before it imported pandas, given as ``started``); each batch's columns are copied (or encoded)
    into the frame's own buffers as it comes, so that DuckDB's batches never pile up.
    """
    reading = started if started is not None and started.path == path else duckread.start(path, batch_rows)
    if reading is None:
        return None
    taken = _Batches()
    try:
        taken.take(reading)
    except (OSError, ValueError):  # (Arrow's errors, taking a batch apart): read by line
        taken.clean = False
    finally:
        reading.close()
    if not taken.clean or reading.failed:
        return None
    try:
        n_lines, ends_nl = reading.counted.result()
    except GZIP_ERRORS:
        return None  # a damaged archive: the line reader says where
    if not ends_nl or taken.rows != n_lines or taken.starts != 1:
        return None  # a blank or partial line (the line reader says which), or a second trail start
    return [taken.frame(reading.trail_id, str(path))]


#: Columns the frame builds without DuckDB (all rows alike, or never filled by an auditkit trail).
_MADE = frozenset({"trail_id", "source_format", "source_file", "source_line"})


class _Batches:
    """DuckDB's batches, taken column by column into buffers of the frame's own as each arrives.

    An Arrow batch imported from DuckDB is freed as a whole, when its last column is: a column kept as it
    came (``host``, ``hash``, ...) would keep every byte of its batch alive, spare capacity and the columns
    converted or dropped included (1M events: 1.30 GB peak, against 1.08). So each kept column is copied
    (names dictionary-encoded, which copies too), and the batch goes; a column that holds nothing in a batch
    (most of a hook trail's, in every batch) is only counted. :meth:`frame` then makes each pandas column
    once, from all its batches.
    """

    def __init__(self) -> None:
        self.rows = self.starts = 0
        self.clean = True  # every batch so far a clean one
        self.sizes: list[int] = []  # each batch's rows
        self.nulls = pa.nulls(0, pa.large_string())
        self.times: list[pd.Series] = []
        self.columns: dict[str, list[pa.Array | None]] = {}  # None: a batch's column held nothing

    def take(self, reading: duckread.Reading) -> None:
        """Take each batch handed over until None; after one that is not clean (``clean`` False) or one that
        raises (raised here at the end), DuckDB is stopped and the rest let go of unread."""
        error: Exception | None = None
        while (batch := reading.next()) is not None:
            if self.clean and error is None:
                try:
                    self.clean = self.add(batch)
                except Exception as exc:  # raised below, once the queue is drained
                    error = exc
                if not self.clean or error is not None:
                    reading.stop()  # the line reader reads the file (or reads it as it reads any value)
        if error is not None:
            raise error

    def add(self, batch: pa.RecordBatch) -> bool:
        """Take one batch; False when a row is not clean (the line reader reads the file)."""
        if pc.any(batch.column("_bad")).as_py():
            return False
        self.starts += int(pc.sum(batch.column("_start")).as_py() or 0)
        for name, col in zip(batch.schema.names, batch.columns, strict=True):
            if name == "timestamp":  # parsed by pandas, as the line reader parses it
                self.times.append(pd.to_datetime(col.to_pandas(), utc=True, errors="coerce", format="ISO8601"))
            elif name not in ("_bad", "_start"):
                self.columns.setdefault(name, []).append(_own(col, _KIND.get(name)))
        self.rows += batch.num_rows
        self.sizes.append(batch.num_rows)
        return True

    def frame(self, trail_id: str | None, source: str) -> pd.DataFrame:
        """The frame's columns, in order, typed as :func:`auditkit.loading.columns.typed` types them."""
        n = self.rows
        self.nulls = pa.nulls(n, pa.large_string())  # what every empty string column holds
        out: dict[str, pd.Series] = {}
        for f in tf.SCHEMA:
            c = f.column
            if f.kind == "time":
                out[c] = pd.concat(self.times, ignore_index=True)
            elif f.kind == "text":
                out[c] = _text(self._take(f"_{c}_text", "string"), self._take(f"_{c}_json", "string"))
            elif c not in _MADE:
                out[c] = self._take(c, f.kind)
        capture = out["capture"]
        words = [auditkit_trail.source_format_of(w) for w in [*capture.cat.categories, None]]
        codes = capture.cat.codes.to_numpy()
        out["source_format"] = _categorical(words, np.where(codes < 0, len(words) - 1, codes))
        out["trail_id"] = _repeat(trail_id, n)
        out["source_file"] = _repeat(source, n)
        out["source_line"] = _series(pd.arrays.IntegerArray(np.arange(1, n + 1, dtype=np.int64), np.zeros(n, bool)))
        return pd.DataFrame({c: out[c] for c in COLUMNS}, copy=False)

    def _take(self, name: str, kind: str) -> pd.Series:
        """Column ``name``'s batches as one pandas column of its kind (let go of here)."""
        taken = self.columns.pop(name, [])
        if all(chunk is None for chunk in taken):  # a column this trail never fills (most, in most trails)
            return _empty(kind, self.rows, self.nulls)
        arrow_type = _NAMES if kind == "category" else _ARROW_TYPES[kind]
        chunks = [pa.nulls(n, arrow_type) if c is None else c for c, n in zip(taken, self.sizes, strict=True)]
        if kind == "category":
            encoded = pa.chunked_array(chunks, _NAMES).unify_dictionaries()
            codes = [pc.fill_null(chunk.indices, -1).to_numpy() for chunk in encoded.iterchunks()]
            return _categorical(encoded.chunk(0).dictionary.to_pylist(), np.concatenate(codes))
        if kind == "count":
            return _series(pd.Int64Dtype().__from_arrow__(pa.chunked_array(chunks, pa.int64())))
        if kind == "nested":
            return _series(JSONArray(pa.chunked_array(chunks, pa.large_string())))
        # (a types_mapper would send strings through Python objects: 1.5 s a million)
        return pa.chunked_array(chunks, _ARROW_TYPES[kind]).to_pandas()


def _series(values: object) -> pd.Series:
    """A column over ``values`` as they are (pandas' constructor copies an array it is given: 0.2 s a load)."""
    return pd.Series(values, copy=False)


def _empty(kind: str, n: int, nulls: pa.Array) -> pd.Series:
    """A column of ``n`` missing values of its kind (string columns share ``nulls``: an Arrow array cannot
    change, and each of these columns is replaced, never written into, when a value is set)."""
    if kind == "category":
        return _categorical([], np.full(n, -1, np.int8))
    if kind == "count":  # (np.zeros takes no memory until written)
        return _series(pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool)))
    if kind == "float":
        return _series(np.full(n, np.nan))
    if kind == "nested":
        return _series(JSONArray(nulls))
    return nulls.to_pandas()


def _categorical(words: list[str | None], codes: np.ndarray) -> pd.Series:
    """A pandas categorical of ``words[code]`` (-1, or a word that is None: missing) whose categories are
    sorted, as pandas' ``astype("category")`` makes them."""
    cats = sorted({w for w in words if w is not None})
    place = {w: i for i, w in enumerate(cats)}
    remap = np.array([place.get(w, -1) if w is not None else -1 for w in words] + [-1], dtype=np.int32)
    return _series(pd.Categorical.from_codes(remap[codes], dtype=pd.CategoricalDtype(pd.Index(cats, dtype="str"))))


def _repeat(value: str | None, n: int) -> pd.Series:
    """A str column holding one value (or none) in all ``n`` rows."""
    if value is None:
        return pa.nulls(n, pa.large_string()).to_pandas()
    text = value.encode()  # (built from its buffers: pa.repeat takes 4x as long)
    offsets = np.arange(n + 1, dtype=np.int64) * len(text)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text * n)).to_pandas()


_NAMES = pa.dictionary(pa.int32(), pa.large_string())
_KIND = {f.column: f.kind for f in tf.SCHEMA}
_ARROW_TYPES = {"string": pa.large_string(), "text": pa.large_string(), "nested": pa.large_string(),
                "category": pa.large_string(), "count": pa.int64(), "float": pa.float64()}  # fmt: skip


def _own(column: pa.Array, kind: str | None) -> pa.Array | None:
    """A batch's column in buffers of its own (names dictionary-encoded), or None when it holds nothing."""
    if column.null_count == len(column):
        return None
    return pc.dictionary_encode(column, memory_pool=POOL) if kind == "category" else _copy(column)


def _copy(array: pa.Array) -> pa.Array:
    """The same values in new buffers."""
    return pa.concat_arrays([array, array.slice(0, 0)], memory_pool=POOL)  # concatenating always allocates


def _text(strings: pd.Series, other: pd.Series) -> pd.Series:
    """A text column: JSON strings as they are, any other JSON value as compact JSON text."""
    if other.isna().all():
        return strings
    strings = strings.copy()
    where = other.notna()
    # 30 digits stay exact; NaN and Infinity (DuckDB reads them) marked as the line reader marks them
    strings[where] = [auditkit_trail.text_of(record_loads(v)) for v in other[where]]
    return strings
