"""The fast path for whole auditkit trails: DuckDB reads the JSON lines into columns, in C, on every core.

Taken only for a file that is entirely auditkit format v1 and clean: a file whose first record is
not a ``trail_start``, that holds a second trail start, a line DuckDB cannot parse, or a blank or
partial line (the row count differs from the line count) returns None, and ``load()`` reads it
line by line instead, reporting each problem with its line number. The result is the same frame.
A gzipped segment (what ``auditkit archive`` writes) is read the same way, DuckDB inflating it.
"""

from __future__ import annotations

import gzip
import queue
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.loading.columns import COLUMNS
from auditkit.loading.jsoncolumn import POOL, JSONArray
from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import GZIP_ERRORS, is_gzip
from auditkit.store.jsontext import record_loads
from auditkit.trail import format as tf

MIN_BYTES = 8 << 20  # below this the line-by-line reader is as fast (a gzipped file: an eighth of it)

_COLUMNS = auditkit_trail.RAW_TYPES


def _first_record(path: Path, gz: bool) -> dict | None:
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            line = fh.readline(1 << 20)
        obj = orjson.loads(line)
    except (orjson.JSONDecodeError, *GZIP_ERRORS):
        return None
    return obj if isinstance(obj, dict) else None


def _lines(path: Path, gz: bool) -> tuple[int, bool]:
    """(newline count, ends with a newline), counted by numpy (and inflated by zlib), which let go of
    the GIL: :func:`read` runs this in a thread beside its own work. A damaged gzip stream raises."""
    import numpy as np

    count, last = 0, b"\n"
    with (gzip.open if gz else open)(path, "rb") as fh:
        while block := fh.read(8 << 20):
            count += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
            last = block[-1:]
    return count, last == b"\n"


def read(path: Path, batch_rows: int = 100000) -> list[pd.DataFrame] | None:
    """The file as one frame of the normalised columns in their documented types (as
    :func:`auditkit.loading.columns.typed` gives them), in a list, or None when the fast path does not apply.

    DuckDB hands its rows over in batches of ``batch_rows``; each batch's columns are copied (or encoded)
    into the frame's own buffers as it comes, so that DuckDB's batches never pile up.
    """
    gz = is_gzip(path)  # an archived segment: DuckDB inflates it as it reads
    first = _first_record(path, gz)
    if not first or first.get("v") != tf.SCHEMA_VERSION or first.get("event") != tf.TRAIL_START:
        return None
    trail_id = tf.trail_id_of(first)
    try:
        import duckdb
    except ImportError:
        return None
    pool = ThreadPoolExecutor(2)
    counted = pool.submit(_lines, path, gz)  # beside DuckDB's threads: numpy and zlib let go of the GIL
    con = duckdb.connect(config={"preserve_insertion_order": True})
    taken = _Batches()
    handed: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=2)
    took = pool.submit(taken.take, handed)  # on a thread of its own: this one runs DuckDB's work as it hands over
    try:
        con.execute("SET enable_progress_bar = false")  # load() shows its own progress
        con.execute("SET arrow_large_buffer_size = true")  # large_string: what pandas stores str columns as
        params = {"path": str(path)} | ({"trail": str(trail_id)} if trail_id else {})
        for batch in con.sql(_query(trail_id, gz), params=params).to_arrow_reader(batch_rows):
            handed.put(batch)
            if not taken.clean:
                break  # the line reader reports it, or reads it as it reads any value
    except (duckdb.Error, OSError, ValueError):  # DuckDB's errors reach us as duckdb or Arrow (OSError,
        taken.clean = False  # ArrowInvalid) exceptions: e.g. a hostile payload's list where a number belongs
    finally:
        handed.put(None)
        try:
            took.result()
        except (OSError, ValueError):  # (Arrow's errors, taking a batch apart): read by line
            taken.clean = False
        con.close()
        pool.shutdown(wait=False, cancel_futures=True)
    if not taken.clean:
        return None
    try:
        n_lines, ends_nl = counted.result()
    except GZIP_ERRORS:
        return None  # a damaged archive: the line reader says where
    if not ends_nl or taken.rows != n_lines or taken.starts != 1:
        return None  # a blank or partial line (the line reader says which), or a second trail start
    return [taken.frame(trail_id, str(path))]


def _query(trail_id: str | None, gz: bool) -> str:
    """The SQL giving the frame's columns as DuckDB can make them (named as in the frame), and per row
    ``_bad`` (not a whole v1 record, or a value the line reader reads differently) and ``_start``."""
    select = [_select(f, trail_id) for f in tf.SCHEMA]
    # counts are read as doubles and cast here: DuckDB's own cast to BIGINT rounds 1.5 to 2, where the line
    # reader sees no count; a file with any count that is not a whole number below 2**53 is left to it
    counts = ["v", *(f.record for f in auditkit_trail.STORED if f.kind == "count")]
    odd = [f"coalesce({c} <> trunc({c}) or abs({c}) >= 9007199254740992, false)" for c in counts]
    # NaN and Infinity, which DuckDB reads and Python's json reads but JSON has not: where a number or a
    # name belongs they go to the line reader, which keeps them marked (a float column's NaN, or a name's
    # "NaN" text, is all DuckDB leaves of them)
    floats = [c for c, t in _COLUMNS.items() if t == "DOUBLE" and c not in counts]
    names = [c for c, t in _COLUMNS.items() if t == "VARCHAR"]
    odd += [f"coalesce(isnan({c}) or isinf({c}), false)" for c in [*counts, *floats]]
    odd += [f"coalesce({c} in ('NaN', 'Infinity', '-Infinity'), false)" for c in names]
    # no whole record (a key damaged), or another version
    whole = f"v is null or seq is null or hash is null or v <> {tf.SCHEMA_VERSION} or coalesce(_twice, false)"
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"
    return f"""
        select {", ".join(s for s in select if s)},
               coalesce({whole} or {" or ".join(odd)}, true) as _bad,
               coalesce(event = '{tf.TRAIL_START}', false) as _start
        from (select *, {_EXTRACTED}
              from read_json($path, format='newline_delimited', columns={cols}, maximum_object_size=16777216,
                             compression='{"gzip" if gz else "none"}'))
    """


#: The tool input's keys load() derives columns from, taken out of each input in one parse (``_keys``).
_KEYS = auditkit_trail.READ_KEYS["tool_input"]


def _string(value: str) -> str:
    """A JSON value (DuckDB's compact text) as its string when it is one, else NULL."""
    return f"case when starts_with({value}, '\"') then {value}->>'$' end"


def _key(key: str) -> str:
    return _string(f"_keys[{_KEYS.index(key) + 1}]")


#: What load() derives from tool_input and data, done here in parallel (as auditkit_trail.columns does it by
#: line: a key's value only when the input is an object and the value a string). DuckDB keeps a JSON value
#: as compact text: an object starts with "{", a string with a quote.
_DERIVED = {
    "file_path": f"coalesce({_key('file_path')}, {_key('notebook_path')})",
    "command": _key("command"),
    "url": _key("url"),
    "pattern": f"coalesce({_key('pattern')}, case when tool_name = 'WebSearch' then {_key('query')} end)",
    "prompt": _string("_prompt"),
}
_EXTRACTED = (
    "case when starts_with(tool_input, '{') then json_extract(tool_input, ["
    + ", ".join(f"'$.{k}'" for k in _KEYS)
    + "]) end as _keys, case when starts_with(data, '{') then json_extract(data, '$.prompt') end as _prompt, "
    + " or ".join(auditkit_trail.key_twice_sql(r, keys) for r, keys in auditkit_trail.READ_KEYS.items())
    + " as _twice"
)


def _select(f: tf.Field, trail_id: str | None) -> str:
    """One column of the frame as SQL over read_json's raw columns ("" for one made in Python)."""
    r, c = f.record, f.column
    if r is None:
        if c in _DERIVED:
            return f'{_DERIVED[c]} as "{c}"'
        if c == "event_id":
            return ("$trail || ':' || seq::BIGINT" if trail_id else "hash") + ' as "event_id"'
        return ""  # trail_id, source_*, and the columns auditkit trails never fill: made in Python
    if f.sub:  # an object shown by one of its keys
        return f"coalesce({r}->>'$.{f.sub}', {r}->>'$') as \"{c}\""
    if f.kind == "text":  # a JSON string as its text (in SQL); any other JSON value re-serialised in Python
        return f"{_string(r)} as _{c}_text, case when not starts_with({r}, '\"') then {r} end as _{c}_json"
    if f.kind == "nested":  # JSON text (parsed when read); JSON null is a missing value (DuckDB's NULL), and
        # truncated is a non-empty list or nothing (as the line reader makes them)
        if r == "truncated":
            return f"case when starts_with({r}, '[') and {r} <> '[]' then {r} end as \"{c}\""
        return f"nullif({r}, 'null') as \"{c}\""
    if f.kind == "count":
        return f'{r}::BIGINT as "{c}"'
    return f'{r} as "{c}"'


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

    def take(self, batches: queue.Queue[pa.RecordBatch | None]) -> None:
        """Take each batch handed over until None; after one that is not clean (``clean`` False) or one that
        raises (raised here at the end), the rest are let go of unread, so that the hand never waits."""
        error: Exception | None = None
        while (batch := batches.get()) is not None:
            if self.clean and error is None:
                try:
                    self.clean = self.add(batch)
                except Exception as exc:  # raised below, once the queue is drained
                    error = exc
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
