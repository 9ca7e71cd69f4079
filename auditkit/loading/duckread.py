"""DuckDB's read of a whole auditkit trail, begun before pandas is imported (``load()``'s fast path,
:mod:`.columnar`, takes its batches): the checks that say whether the file may go that way, the SQL, and
:class:`Reading`, which pulls DuckDB's Arrow batches on a thread of its own.

This module imports neither pandas nor pyarrow (DuckDB imports pyarrow when it first hands a batch
over): ``load()`` starts the read of a large trail here, then imports pandas (~0.3 s, the GIL held)
while DuckDB reads on the other cores.
"""

from __future__ import annotations

import gzip
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import GZIP_ERRORS, is_gzip
from auditkit.store.jsontext import record_loads
from auditkit.trail import format as tf

MIN_BYTES = 8 << 20  # below this the line-by-line reader is as fast (a gzipped file: an eighth of it)

_COLUMNS = auditkit_trail.RAW_TYPES


def large(path: Path) -> bool:
    """A file the fast path would take by its size (a gzipped one is ~8x larger once inflated)."""
    return path.stat().st_size >= (MIN_BYTES // 8 if is_gzip(path) else MIN_BYTES)


def _first_record(path: Path, gz: bool) -> dict | None:
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            line = fh.readline(1 << 20)
        obj = record_loads(line)  # (as the line reader reads it: a trail id of 30 digits is that integer)
    except (ValueError, RecursionError, *GZIP_ERRORS):
        return None
    return obj if isinstance(obj, dict) else None


def _lines(path: Path, gz: bool) -> tuple[int, bool]:
    """(newline count, ends with a newline), counted by numpy (and inflated by zlib), which let go of
    the GIL: :func:`read` runs this in a thread beside its own work. A damaged gzip stream raises.

    The file is read into one buffer, compared into another, again and again: a new 8 MB block and its
    comparison each time cost the kernel ~1 GB of fresh pages to zero over a 489 MB trail."""
    import numpy as np  # (pyarrow's and pandas' dependency: loaded beside DuckDB's read, not before it)

    block = bytearray(1 << 20)
    text, newline = np.frombuffer(block, np.uint8), np.empty(len(block), np.bool_)
    count, last = 0, 10
    with (gzip.open if gz else open)(path, "rb") as fh:
        while size := fh.readinto(block):
            count += int(np.count_nonzero(np.equal(text[:size], 10, out=newline[:size])))
            last = block[size - 1]
    return count, last == 10


def _query(trail_id: object, gz: bool) -> str:
    """The SQL giving the frame's columns as DuckDB can make them (named as in the frame), with what the
    columnar path needs to say whether a batch's rows are whole v1 records the line reader reads alike: ``v``,
    the counts as the doubles DuckDB read, and ``_twice`` (an object holding a read key twice: DuckDB's paths
    read the first, Python the last).

    Those checks are made on each Arrow batch as a whole (``columnar._clean``): a column that holds nothing in
    a batch costs nothing there, and a name column is checked by its few distinct words, where checks per row
    in SQL cost ~0.3 s of DuckDB's time on 1M events."""
    common = [f'{sql} as "{name}"' for f in tf.SCHEMA if f.column not in RARE for name, sql in _outputs(f, trail_id)]
    return f"""
        select {", ".join(common)}, {_PACKED}, v, coalesce(_twice, false) as _twice
        from (select *, {_EXTRACTED}
              from read_json($path, format='newline_delimited', columns={_COLUMN_TYPES}, maximum_object_size=16777216,
                             compression='{"gzip" if gz else "none"}'))
    """


_COLUMN_TYPES = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"


#: The tool input's keys load() derives columns from, taken out of each input in one parse (``_keys``, a struct: its
#: fields are read in place, where a list's elements cost DuckDB ~0.1 s a million events more).
_INPUT = "tool_input"
_KEYS = auditkit_trail.READ_KEYS[_INPUT]


def _string(value: str) -> str:
    """A JSON value (DuckDB's compact text) as its string when it is one, else NULL."""
    return f"case when starts_with({value}, '\"') then {value}->>'$' end"


def _key(key: str) -> str:
    return _string(f'_keys."{key}"')


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
    "case when starts_with(tool_input, '{') then json_transform(tool_input, '{"
    + ", ".join(f'"{k}": "JSON"' for k in _KEYS)
    + "}') end as _keys, case when starts_with(data, '{') then json_extract(data, '$.prompt') end as _prompt, "
    + " or ".join(auditkit_trail.key_twice_sql(r, keys) for r, keys in auditkit_trail.READ_KEYS.items() if r != _INPUT)
    + " as _twice"
)  # (tool_input's own check is made by Arrow on each batch's input column: columnar._input_twice)


def _outputs(f: tf.Field, trail_id: object) -> list[tuple[str, str]]:
    """One column of the frame as (name, SQL) over read_json's raw columns (none for one made in Python; two
    for a text column: its strings, and any other JSON value, re-serialised in Python)."""
    r, c = f.record, f.column
    if r is None:
        if c in _DERIVED:
            return [(c, _DERIVED[c])]
        if c == "event_id":  # <trail id>:<seq> is written by Arrow, batch by batch (columnar._event_ids: a
            return [] if trail_id else [(c, "hash")]  # fraction of DuckDB's cost of this concatenation)
        return []  # trail_id, source_*, and the columns auditkit trails never fill: made in Python
    if f.sub:  # an object shown by one of its keys
        return [(c, f"coalesce({r}->>'$.{f.sub}', {r}->>'$')")]
    if f.kind == "text":  # a JSON string as its text (in SQL); any other JSON value re-serialised in Python
        return [(f"_{c}_text", _string(r)), (f"_{c}_json", f"case when not starts_with({r}, '\"') then {r} end")]
    if f.kind == "nested":  # JSON text (parsed when read); JSON null is a missing value (DuckDB's NULL), and
        # truncated is a non-empty list or nothing (as the line reader makes them)
        if r == "truncated":
            return [(c, f"case when starts_with({r}, '[') and {r} <> '[]' then {r} end")]
        return [(c, f"nullif({r}, 'null')")]
    # as read; a count as the double DuckDB read (the line reader sees no count in 1.5 or NaN, where DuckDB's cast
    return [(c, r)]  # to BIGINT would round): checked and cast batch by batch


#: The frame's columns most records leave empty (a hook trail's tool calls fill none of them): DuckDB hands
#: them over packed in one column, ``_rare``, a list holding one struct for each row that has any of them
#: (else NULL), so that a row without them costs one list offset, where writing out ~15 columns of nulls
#: cost DuckDB ~0.15 s of a million-event read. :func:`auditkit.loading.columnar._unpack` takes them apart.
RARE = frozenset({"wait_ms", "prompt_id", "effort", "error", "agent_id", "agent_type", "truncated", "model",
                  "request_id", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                  "cost_usd"})  # fmt: skip
_RARE_FIELDS = [f for f in tf.SCHEMA if f.column in RARE]
#: What ``_rare``'s structs hold: the columns (as the other columns are named), in the schema's order.
RARE_OUTPUTS = tuple(name for f in _RARE_FIELDS for name, _ in _outputs(f, None))
_PACKED = (
    f"case when {' or '.join(f'{f.record} is not null' for f in _RARE_FIELDS)} then "
    f"[struct_pack({', '.join(f'{name} := {sql}' for f in _RARE_FIELDS for name, sql in _outputs(f, None))})] "
    "end as _rare"
)


class Reading:
    """DuckDB reading one trail: its Arrow batches come one by one (:meth:`next`) from a thread of its own,
    and the file's lines are counted on another; :meth:`close` stops both.

    ``failed``: DuckDB (or Arrow) raised, e.g. on a hostile payload's list where a number belongs; the line
    reader then reads the file. At most ``ahead`` batches wait to be taken (a load imports pandas meanwhile).
    """

    def __init__(self, path: Path, gz: bool, trail_id: object, batch_rows: int, ahead: int = 4) -> None:
        import duckdb  # (read() imports it: an optional package, looked for only when a trail is large)

        self.path, self.trail_id, self.failed, self.stopped = path, trail_id, False, False
        self._batches: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self._duckdb = duckdb
        self._pool = ThreadPoolExecutor(2)
        # numpy and zlib let go of the GIL: the count runs beside DuckDB's threads
        self.counted: Future[tuple[int, bool]] = self._pool.submit(_lines, path, gz)
        self._pulled = self._pool.submit(self._pull, _query(trail_id, gz), batch_rows)
        self._ended = self._closed = False

    def _pull(self, sql: str, batch_rows: int) -> None:
        duckdb = self._duckdb
        con = duckdb.connect(config={"preserve_insertion_order": True})
        try:
            con.execute("SET enable_progress_bar = false")  # load() shows its own progress
            con.execute("SET arrow_large_buffer_size = true")  # large_string: what pandas stores str columns as
            for batch in con.sql(sql, params={"path": str(self.path)}).to_arrow_reader(batch_rows):
                if self.stopped:
                    break  # the taker found a row that is not clean: the line reader reads the file
                self._batches.put(batch)
        except (duckdb.Error, OSError, ValueError):  # DuckDB's errors reach us as duckdb or Arrow (OSError,
            self.failed = True  # ArrowInvalid) exceptions
        finally:
            self._batches.put(None)
            con.close()

    def next(self) -> Any:
        """The next Arrow batch, waiting for it; None after the last."""
        if self._ended:
            return None
        batch = self._batches.get()
        self._ended = batch is None
        return batch

    def stop(self) -> None:
        """Ask for no more batches (those already read are still handed over, then ``None``)."""
        self.stopped = True

    def close(self) -> None:
        """Stop reading, let go of every batch not yet taken, and wait for DuckDB's thread to end."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        while self.next() is not None:
            pass
        self._pulled.result()
        self._pool.shutdown(wait=False, cancel_futures=True)


def start(path: Path, batch_rows: int = 100000) -> Reading | None:
    """DuckDB's read of ``path`` begun, or None when the file is not a v1 auditkit trail (by its first record)
    or DuckDB is not installed: the line reader reads it."""
    gz = is_gzip(path)  # an archived segment: DuckDB inflates it as it reads
    first = _first_record(path, gz)
    if not first or first.get("v") != tf.SCHEMA_VERSION or first.get("event") != tf.TRAIL_START:
        return None
    try:
        return Reading(path, gz, tf.trail_id_of(first), batch_rows)
    except ImportError:
        return None
