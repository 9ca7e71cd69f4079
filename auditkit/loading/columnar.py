"""The fast path for whole auditkit trails: DuckDB reads the JSON lines into columns, in C, on every core.

Taken only for a file that is entirely auditkit format v1 and clean: a file whose first record is
not a ``trail_start``, that holds a second trail start, a line DuckDB cannot parse, or a blank or
partial line (the row count differs from the line count) returns None, and ``load()`` reads it
line by line instead, reporting each problem with its line number. The result is the same frame.
A gzipped segment (what ``auditkit archive`` writes) is read the same way, DuckDB inflating it.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def read(
    path: Path, batch_rows: int = 100000, finish: Callable[[pd.DataFrame], pd.DataFrame] | None = None
) -> list[pd.DataFrame] | None:
    """The file as normalised column batches (JSON fields parsed), or None when the fast path does not apply.

    ``finish`` is applied to each batch as soon as it is read (``load()`` gives its column types
    there, so that untyped batches never pile up).
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
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")  # load() shows its own progress
    con.execute("SET arrow_large_buffer_size = true")  # large_string: what pandas stores str columns as
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"
    subs = "".join(
        f"coalesce({f.record}->>'$.{f.sub}', {f.record}->>'$') as _{f.column}, " for f in auditkit_trail.STORED if f.sub
    )
    # a text column: a JSON string as its text (in SQL); any other JSON value re-serialised in Python
    texts = "".join(
        f"case when json_type({f.record}) = 'VARCHAR' then {f.record}->>'$' end as _{f.column}_text, "
        f"case when json_type({f.record}) <> 'VARCHAR' then {f.record} end as _{f.column}_json, "
        for f in auditkit_trail.STORED
        if f.kind == "text" and not f.sub
    )

    # nested values stay JSON text (parsed when read); JSON null is a missing value, and truncated is a
    # non-empty list or nothing (as the line reader makes them)
    nested = "".join(
        f"case when json_type({r}) <> 'NULL' {trunc} then {r} end as _{r}_value, "
        for r in sorted(_PARSED)
        for trunc in [f"and json_type({r}) = 'ARRAY' and json_array_length({r}) > 0" if r == "truncated" else ""]
    )

    # what load() derives from tool_input, done here in parallel (as auditkit_trail.columns does it by
    # line: a key's value only when the input is an object and the value a string)
    def string(column: str, key: str) -> str:
        return f"case when json_type({column}, '$.{key}') = 'VARCHAR' then {column}->>'$.{key}' end"

    obj = "json_type(tool_input) = 'OBJECT'"
    # counts are read as doubles and cast here: DuckDB's own cast to BIGINT rounds 1.5 to 2, where the line
    # reader sees no count; a file with any count that is not a whole number below 2**53 is left to it
    counts = ["v", *(f.record for f in auditkit_trail.STORED if f.kind == "count")]
    as_int = ", ".join(f"{c}::BIGINT as {c}" for c in counts)
    odd = " or ".join(f"coalesce({c} <> trunc({c}) or abs({c}) >= 9007199254740992, false)" for c in counts)
    # NaN and Infinity, which DuckDB reads and Python's json reads but JSON has not: where a number or a
    # name belongs they go to the line reader, which keeps them marked (a float column's NaN, or a name's
    # "NaN" text, is all DuckDB leaves of them)
    floats = [c for c, t in _COLUMNS.items() if t == "DOUBLE" and c not in counts]
    names = [c for c, t in _COLUMNS.items() if t == "VARCHAR"]
    odd += "".join(f" or coalesce(isnan({c}) or isinf({c}), false)" for c in [*counts, *floats])
    odd += "".join(f" or coalesce({c} in ('NaN', 'Infinity', '-Infinity'), false)" for c in names)
    query = f"""
        select * exclude ({", ".join(sorted(_PARSED | _DROPPED))}) replace ({as_int}),  -- raw JSON: not exported
               ({odd}) as _odd_count, {subs} {texts} {nested}
               case when {obj} then coalesce({string("tool_input", "file_path")},
                                             {string("tool_input", "notebook_path")}) end as _file_path,
               case when {obj} then {string("tool_input", "command")} end as _command,
               case when {obj} then {string("tool_input", "url")} end as _url,
               case when {obj} then coalesce({string("tool_input", "pattern")},
                                             case when tool_name = 'WebSearch' then {string("tool_input", "query")} end)
                    end as _pattern,
               case when json_type(data) = 'OBJECT' then {string("data", "prompt")} end as _prompt,
               {"$trail || ':' || seq::BIGINT" if trail_id else "hash"} as _event_id
        from read_json($path, format='newline_delimited', columns={cols}, maximum_object_size=16777216,
                       compression='{"gzip" if gz else "none"}')
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    counted = pool.submit(_lines, path, gz)  # on the core DuckDB leaves idle while Python builds each batch
    parts: list[pd.DataFrame] = []
    rows = starts = 0
    try:
        params = {"path": str(path)} | ({"trail": str(trail_id)} if trail_id else {})
        for batch in con.sql(query, params=params).to_arrow_reader(batch_rows):
            parsed = {name: JSONArray(_copy(batch.column(f"_{name}_value"))) for name in _PARSED}
            raw = _owned(batch).to_pandas(types_mapper=_INT64.get, memory_pool=POOL)  # counts: Int64 at once
            if (
                (raw["v"] != tf.SCHEMA_VERSION).any()
                or raw[["v", "seq", "hash"]].isna().any(axis=None)  # no whole record (a key damaged)
                or raw.pop("_odd_count").any()  # a count that is no JSON integer
            ):
                return None  # the line reader reports it, or reads it as it reads any value
            starts += int((raw["event"] == tf.TRAIL_START).sum())
            raw["_line"] = range(rows + 1, rows + 1 + len(raw))  # insertion order is kept; checked below
            rows += len(raw)
            part = _normalise(raw, parsed, trail_id, str(path))
            del raw, parsed
            parts.append(finish(part) if finish else part)
    except (duckdb.Error, OSError, ValueError):  # DuckDB's errors reach us as duckdb or Arrow (OSError,
        return None  # ArrowInvalid) exceptions: e.g. a hostile payload's list where a number belongs; read by line
    finally:
        con.close()
        pool.shutdown(wait=False, cancel_futures=True)
    try:
        n_lines, ends_nl = counted.result()
    except GZIP_ERRORS:
        return None  # a damaged archive: the line reader says where
    if not ends_nl or rows != n_lines or starts != 1:
        return None
    return parts


#: Nested JSON values: kept as text (``_<name>_value``, nulls normalised); the raw column is dropped.
_PARSED = frozenset(f.record for f in auditkit_trail.STORED if f.kind == "nested" and not f.sub)
_VALUES = frozenset(f"_{r}_value" for r in _PARSED)
#: Text columns: shown by SQL as ``_<column>_text`` (strings) and ``_<column>_json`` (anything else).
_TEXTS = tuple(f for f in auditkit_trail.STORED if f.kind == "text" and not f.sub)
#: Raw columns not kept: objects shown by one of their keys (``sub``; DuckDB extracts the key) and text
#: columns (shown through their two derived ones).
_DROPPED = frozenset(f.record for f in auditkit_trail.STORED if f.sub) | {f.record for f in _TEXTS}
#: Category columns, as they come out of DuckDB: dictionary-encoded in Arrow, not factorised by pandas.
_CATEGORIES = frozenset(f"_{f.column}" if f.sub else f.record for f in auditkit_trail.STORED if f.kind == "category")
#: Columns load() turns into new arrays anyway (times) or only reads: no copy needed.
_REBUILT = frozenset({"v"} | {f.record for f in auditkit_trail.STORED if f.kind == "time"})


#: Arrow's int64 as pandas' nullable Int64 (the count columns' type) when a batch becomes a frame.
_INT64 = {pa.int64(): pd.Int64Dtype()}


def _owned(batch):  # pyarrow.RecordBatch -> pyarrow.RecordBatch
    """The batch with every kept column copied out of DuckDB's export (categories dictionary-encoded,
    which copies too).

    An Arrow batch imported from DuckDB is freed as a whole, when its last column is: a column that
    outlives the batch (``host``, ``hash``, ...) would otherwise keep every byte of it alive, spare
    capacity and columns that pandas converts included (1M events: 1.30 GB peak, against 1.08).
    """
    names = [n for n in batch.schema.names if n not in _PARSED and n not in _DROPPED and n not in _VALUES]
    cols = [
        pc.dictionary_encode(batch.column(n), memory_pool=POOL)
        if n in _CATEGORIES
        else batch.column(n)
        if n in _REBUILT
        else _copy(batch.column(n))
        for n in names
    ]
    return pa.RecordBatch.from_arrays(cols, names=names)


def _copy(array):  # pyarrow.Array -> the same values in new buffers
    return pa.concat_arrays([array, array.slice(0, 0)], memory_pool=POOL)  # concatenating always allocates


def _normalise(raw: pd.DataFrame, parsed: dict[str, JSONArray], trail_id: str | None, source: str) -> pd.DataFrame:
    """The batch as the frame's columns: stored fields by the schema, then the derived ones (as
    :func:`auditkit.loading.readers.auditkit_trail.columns` makes them; the SQL in :func:`read` derives most)."""
    out: dict[str, object] = {}
    for f in auditkit_trail.STORED:
        if f.sub:
            out[f.column] = raw[f"_{f.column}"]
        elif f.kind == "text":
            out[f.column] = _text(raw[f"_{f.column}_text"], raw[f"_{f.column}_json"])
        elif f.record in parsed:
            out[f.column] = parsed[f.record]
        else:
            out[f.column] = raw[f.record]
        if isinstance(out[f.column], pd.Series) and isinstance(out[f.column].dtype, pd.CategoricalDtype):
            cat = out[f.column]
            out[f.column] = cat.cat.reorder_categories(sorted(cat.cat.categories))  # as pandas orders them
    out |= {
        "file_path": raw["_file_path"],
        "command": raw["_command"],
        "url": raw["_url"],
        "pattern": raw["_pattern"],
        "prompt": raw["_prompt"],
        "trail_id": pd.Series(trail_id, index=raw.index, dtype="str") if trail_id else [None] * len(raw),
        "event_id": raw["_event_id"],
        "source_format": pd.Series(out["capture"], index=raw.index)
        .astype(object)
        .map(auditkit_trail.CAPTURE_FORMATS)
        .fillna(auditkit_trail.NAME)
        .astype(object),
        "source_file": pd.Series(source, index=raw.index, dtype="str"),
        "source_line": raw["_line"],
    }
    return pd.DataFrame(out)


def _text(strings: pd.Series, other: pd.Series) -> pd.Series:
    """A text column: JSON strings as they are, any other JSON value as compact JSON text."""
    if other.isna().all():
        return strings
    strings = strings.copy()
    where = other.notna()
    # 30 digits stay exact; NaN and Infinity (DuckDB reads them) marked as the line reader marks them
    strings[where] = [auditkit_trail.text_of(record_loads(v)) for v in other[where]]
    return strings
