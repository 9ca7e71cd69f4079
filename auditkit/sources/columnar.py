"""The fast path for whole auditkit trails: DuckDB reads the JSON lines into columns, in C, on every core.

Taken only for a file that is entirely auditkit format v1 and clean: a file whose first record is
not a ``trail_start``, that holds a second trail start, a line DuckDB cannot parse, or a blank or
partial line (the row count differs from the line count) returns None, and ``load()`` reads it
line by line instead, reporting each problem with its line number. The result is the same frame.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pandas as pd

from auditkit import trail_format as tf
from auditkit.sources import auditkit_trail

MIN_BYTES = 8 << 20  # below this the line-by-line reader is as fast

_DUCKDB_TYPES = {"time": "VARCHAR", "category": "VARCHAR", "string": "VARCHAR", "text": "JSON", "count": "BIGINT",
                 "float": "DOUBLE", "nested": "JSON"}  # fmt: skip
#: What DuckDB reads of each line: the schema's stored fields (and ``v``), typed by their kind.
_COLUMNS = {"v": "BIGINT"} | {
    f.record: "JSON" if f.sub else _DUCKDB_TYPES[f.kind] for f in auditkit_trail.STORED if f.record
}


def _first_record(path: Path) -> dict | None:
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            return None  # gzip: the line count check below would need a full decompression; use the slow path
        fh.seek(0)
        line = fh.readline(1 << 20)
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _lines(path: Path) -> tuple[int, bool]:
    """(newline count, ends with a newline)."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count, last == b"\n"


def read(
    path: Path, batch_rows: int = 50000, finish: Callable[[pd.DataFrame], pd.DataFrame] | None = None
) -> list[pd.DataFrame] | None:
    """The file as normalised column batches (JSON fields parsed), or None when the fast path does not apply.

    ``finish`` is applied to each batch as soon as it is read (``load()`` gives its column types
    there, so that untyped batches never pile up).
    """
    first = _first_record(path)
    if not first or first.get("v") != tf.SCHEMA_VERSION or first.get("event") != tf.TRAIL_START:
        return None
    trail_id = (first.get("data") or {}).get("trail_id")
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")  # load() shows its own progress
    con.execute("SET arrow_large_buffer_size = true")  # large_string: what pandas stores str columns as
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"
    escaped = str(path).replace("'", "''")
    subs = "".join(
        f"coalesce({f.record}->>'$.{f.sub}', {f.record}->>'$') as _{f.column}, " for f in auditkit_trail.STORED if f.sub
    )
    query = f"""
        select *, {subs}
               tool_input->>'$.file_path' as _file_path, tool_input->>'$.notebook_path' as _notebook_path,
               tool_input->>'$.command' as _command, tool_input->>'$.url' as _url,
               tool_input->>'$.pattern' as _pattern, tool_input->>'$.query' as _query, data->>'$.prompt' as _prompt,
               json_type(tool_input) as _input_type
        from read_json('{escaped}', format='newline_delimited', columns={cols}, maximum_object_size=16777216)
    """
    parts: list[pd.DataFrame] = []
    rows = starts = 0
    try:
        for batch in con.sql(query).to_arrow_reader(batch_rows):
            parsed = {name: _parse(batch.column(name)) for name in _PARSED}
            raw = _owned(batch).to_pandas()
            if (raw["v"] != tf.SCHEMA_VERSION).any():
                return None
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
    n_lines, ends_nl = _lines(path)
    if not ends_nl or rows != n_lines or starts != 1:
        return None
    return parts


#: Raw JSON text: parsed into Python values, then dropped.
_PARSED = frozenset(f.record for f in auditkit_trail.STORED if f.kind in ("nested", "text") and not f.sub)
#: Objects shown by one of their keys (``sub``): DuckDB extracts the key; the object itself is dropped.
_SUBS = frozenset(f.record for f in auditkit_trail.STORED if f.sub)
#: Columns load() turns into new arrays anyway (categories, times) or only reads: no copy needed.
_REBUILT = frozenset(
    {"v", "_input_type"}
    | {f"_{f.column}" if f.sub else f.record for f in auditkit_trail.STORED if f.kind in ("time", "category")}
)


def _owned(batch):  # pyarrow.RecordBatch -> pyarrow.RecordBatch
    """The batch with every kept column copied out of DuckDB's export.

    An Arrow batch imported from DuckDB is freed as a whole, when its last column is: a column that
    outlives the batch (``host``, ``hash``, ...) would otherwise keep every byte of it alive, the raw
    JSON text included, roughly doubling the memory of a load.
    """
    import pyarrow as pa

    names = [n for n in batch.schema.names if n not in _PARSED and n not in _SUBS]
    cols = [batch.column(n) if n in _REBUILT else _copy(batch.column(n)) for n in names]
    return pa.RecordBatch.from_arrays(cols, names=names)


def _copy(array):  # pyarrow.Array -> the same values in new buffers
    import pyarrow as pa

    return pa.concat_arrays([array, array.slice(0, 0)])  # concatenating always allocates; one array alone may not


def _parse(values) -> list:  # pyarrow.Array of JSON text -> Python values (None for null)
    loads = orjson.loads
    return [None if v is None else loads(v) for v in values.to_pylist()]


def _normalise(raw: pd.DataFrame, parsed: dict[str, list], trail_id: str | None, source: str) -> pd.DataFrame:
    """The batch as the frame's columns: stored fields by the schema, then the derived ones (as
    :func:`auditkit.sources.auditkit_trail.columns` makes them)."""
    obj_input = raw["_input_type"] == "OBJECT"
    n = len(raw)
    const = lambda value: pd.Series(value, index=raw.index, dtype="str")  # noqa: E731
    out: dict[str, object] = {}
    for f in auditkit_trail.STORED:
        if f.sub:
            out[f.column] = raw[f"_{f.column}"]
        elif f.kind == "text":
            out[f.column] = pd.Series([auditkit_trail.stored_value(f, v) for v in parsed[f.record]], index=raw.index,
                                      dtype="str")  # fmt: skip
        elif f.record in parsed:
            out[f.column] = parsed[f.record]
        else:
            out[f.column] = raw[f.record]
    out |= {
        "file_path": raw["_file_path"].where(obj_input).fillna(raw["_notebook_path"].where(obj_input)),
        "command": raw["_command"].where(obj_input),
        "url": raw["_url"].where(obj_input),
        "pattern": raw["_pattern"]
        .where(obj_input)
        .fillna(raw["_query"].where(obj_input & (raw["tool_name"] == "WebSearch"))),
        "prompt": raw["_prompt"],
        "trail_id": const(trail_id) if trail_id else [None] * n,
        "event_id": (f"{trail_id}:" + raw["seq"].astype(str)) if trail_id else raw["hash"],
        "source_format": auditkit_trail.NAME,
        "source_file": const(source),
        "source_line": raw["_line"],
    }
    return pd.DataFrame(out)
