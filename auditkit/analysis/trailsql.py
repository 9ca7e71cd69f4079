"""SQL straight over auditkit trail files: DuckDB reads each file once, building only the columns a query names.

The view ``trail`` here answers as :mod:`auditkit.analysis.sqlquery`'s frame path does (the same columns,
types, values and row order), without building a pandas frame: each file is read by DuckDB's JSON reader
into a table holding the named columns (and what the checks need), then the query runs over a view of
those tables. A column the query's text does not name is not built; if the query reaches it anyway (as
``SELECT trail FROM trail`` does), it raises and the tables are built again with every column.
:func:`run_text` (``auditkit sql``'s table) gives an answer of plain types as its printed text
(:mod:`auditkit.analysis.answertext`), so that pandas is never imported for it.

It answers only where the answer is certainly the frame path's; :func:`run` returns None (and :func:`why_not`
says why) for a query over ``calls``, a file that is not one clean auditkit trail (first line a v1
``trail_start``, no second one, every line a whole record DuckDB reads, ``seq`` rising, ids unique across
files), or a value the two readers could read differently (a count that is no whole number, NaN or
Infinity, a timestamp outside the plain ISO 8601 form, an ``error`` that is no string).
"""

from __future__ import annotations

import gzip
import importlib
import itertools
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb
import orjson

from auditkit.analysis import answertext
from auditkit.errors import AuditkitError
from auditkit.loading.readers import auditkit_trail
from auditkit.loading.readers.auditkit_trail import RAW_TYPES
from auditkit.store.files import GZIP_ERRORS, PathLike, expand, is_gzip
from auditkit.trail import format as tf

if TYPE_CHECKING:  # pandas is imported beside DuckDB's reading (see run), not before (~0.35 s), or not at all
    import pandas as pd

#: The frame's columns in order, and the kind of each (as :mod:`auditkit.loading.columns` has them).
COLUMNS = [f.column for f in tf.SCHEMA]
KIND = {f.column: f.kind for f in tf.SCHEMA}

#: The message a column that was not built raises when a query reaches it (then all are built).
NOT_BUILT = "auditkit: column not built"

_SQL_TYPES = {"time": "TIMESTAMPTZ", "category": "VARCHAR", "string": "VARCHAR", "text": "VARCHAR",
              "count": "BIGINT", "float": "DOUBLE", "nested": "JSON"}  # fmt: skip
_FIELDS = {f.column: f for f in auditkit_trail.STORED}
_CALLS = re.compile(r"\bcalls\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STAR = re.compile(r"\*|\bcolumns\s*\(", re.IGNORECASE)
_COUNT_STAR = re.compile(r"\bcount\s*\(\s*\*\s*\)", re.IGNORECASE)
#: Timestamps both readers parse alike (pandas' ISO 8601 in nanoseconds, DuckDB's TIMESTAMPTZ in
#: microseconds): plain dates of 1900-2099, at most six decimals, Z or an offset or nothing.
_ISO = (
    r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?"
)
#: DuckDB's threads (one a core on the 2-core machine measured; one thread held ~60 MB less of read buffers
#: but took longer whenever the other core was free).
THREADS = 2
#: DuckDB's allocator gives memory back once a task freed this much: the JSON reader's buffers are returned
#: before pandas is imported and the answer built (1M events: 270 MB at the peak, not 340).
_FLUSH = "4MB"
_COUNT_LIMIT = 9007199254740992  # 2**53: past it a double is no exact count
_Answer = TypeVar("_Answer")


@dataclass
class _File:
    path: Path
    gz: bool
    trail_id: str


def run(query: str, source: PathLike | Iterable[PathLike]) -> pd.DataFrame | None:
    """The query's answer over the trail files in ``source``, or None when the frame path must answer."""
    return _run(query, source, answer, warm=True)


def run_text(query: str, source: PathLike | Iterable[PathLike]) -> str | pd.DataFrame | None:
    """As :func:`run`, but an answer :func:`auditkit.analysis.answertext.plain` lays out comes back as the
    table ``auditkit sql`` prints (without pandas, never imported then); any other answer as its frame."""
    return _run(query, source, answer_text, warm=None)


def _run(
    query: str,
    source: PathLike | Iterable[PathLike],
    answering: Callable[[duckdb.DuckDBPyConnection, str], _Answer],
    *,
    warm: bool | None,
) -> _Answer | None:
    """``warm``: import pandas beside the reading (None: when the answer's types, seen on a cursor beside the
    reading, are not plain, :func:`_plain_answer`)."""
    if why_not(query) is not None:
        return None
    files = _trail_files(source)
    if files is None:
        return None
    named = _named(query)
    con = duckdb.connect(config={"preserve_insertion_order": True, "threads": THREADS})
    try:
        con.execute("SET TimeZone = 'UTC'")
        # give the JSON reader's buffers back as each read ends: pandas, imported later, then adds to less
        con.execute(f"SET allocator_flush_threshold = '{_FLUSH}'")
        con.execute(f"SET allocator_bulk_deallocation_flush_threshold = '{_FLUSH}'")
        con.execute("SET enable_progress_bar = false")
        # pandas (the answer's type, ~0.35 s to import) loads on this thread while DuckDB's threads read
        if warm:
            threading.Thread(target=importlib.import_module, args=("pandas",), daemon=True).start()
        elif warm is None:  # (a cursor: a connection of its own, to the same database)
            threading.Thread(target=_warm_unless_plain, args=(con.cursor(), query), daemon=True).start()
        if not _build(con, files, named):
            return None
        try:
            return answering(con, query)
        except AuditkitError as exc:
            if named is None or NOT_BUILT not in str(exc):
                raise
        if not _build(con, files, None):  # the query reached a column its text does not name
            return None
        return answering(con, query)
    finally:
        con.close()


def _warm_unless_plain(cursor: duckdb.DuckDBPyConnection, query: str) -> None:
    """pandas imported unless the answer is plain (on a thread of its own, beside the reading)."""
    try:
        plain = _plain_answer(cursor, query)
        cursor.close()
    except duckdb.Error:  # the connection closed under it: the answer is given already
        return
    if not plain:
        importlib.import_module("pandas")


def _plain_answer(con: duckdb.DuckDBPyConnection, query: str) -> bool:
    """Whether the query's answer is of types :mod:`~auditkit.analysis.answertext` lays out, as DuckDB binds it
    over an empty ``trail`` (a guess that only says whether pandas is worth importing early). Only one SELECT
    reading nothing but ``trail`` is bound (never run): a table function or a file named as a table could
    read at binding (``read_csv('/dev/stdin')``); anything else, or an error, says no."""
    try:
        statements = con.extract_statements(query)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            return False
        if {t.lower() for t in con.get_table_names(query)} - {"trail"}:
            return False
        parsed = con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
        if parsed is None or "TABLE_FUNCTION" in str(parsed[0]) or '"error":true' in str(parsed[0]):
            return False
        empty = ", ".join(f'NULL::{_SQL_TYPES[KIND[c]]} AS "{c}"' for c in COLUMNS)
        con.execute(f"CREATE TEMP VIEW trail AS SELECT {empty} WHERE false")
        try:
            rel = con.sql(query)
            return answertext.plain(rel.columns, rel.types)
        finally:
            con.execute("DROP VIEW temp.trail")
    except duckdb.Error:
        return False


def answer(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """The query's result as a frame; DuckDB's error as an :class:`AuditkitError` saying ``SQL: ...``."""
    try:
        return con.sql(query).df()
    except duckdb.Error as exc:
        raise AuditkitError(f"SQL: {exc}") from exc


def answer_text(con: duckdb.DuckDBPyConnection, query: str) -> str | pd.DataFrame:
    """As :func:`answer`, but the table ``auditkit sql`` prints when :mod:`~auditkit.analysis.answertext` lays
    the answer out (its types are plain): the query runs once either way."""
    try:
        rel = con.sql(query)
        if rel is not None and answertext.plain(rel.columns, rel.types):
            return answertext.text(rel.columns, rel.types, rel.fetchall())
        return rel.df()
    except duckdb.Error as exc:
        raise AuditkitError(f"SQL: {exc}") from exc


def why_not(query: str, source: PathLike | Iterable[PathLike] | None = None) -> str | None:
    """Why the query (over ``source``, if given) goes to the frame path, or None when DuckDB reads the files.

    (A file can still turn out unclean while it is read; then :func:`run` returns None too.)
    """
    if _CALLS.search(query):
        return "the query names the view calls (tool calls are paired in pandas)"
    if source is not None and _trail_files(source) is None:
        return "not every file is an auditkit trail whose first line is a v1 trail_start with a trail id"
    return None


def _trail_files(source: PathLike | Iterable[PathLike]) -> list[_File] | None:
    try:
        paths = expand(source)
    except (OSError, ValueError):
        return None  # the frame path says what is wrong
    files = []
    for path in paths:
        if any(c in str(path) for c in "*?[{") or ":" in str(path):
            return None  # DuckDB would read the name as a glob or a URL: a planted name could add files
        gz = is_gzip(path)
        first = _first_record(path, gz)
        if not first or first.get("v") != tf.SCHEMA_VERSION or first.get("event") != tf.TRAIL_START:
            return None
        trail_id = tf.trail_id_of(first)
        if not isinstance(trail_id, str) or not auditkit_trail.matches(first):
            return None
        files.append(_File(path, gz, trail_id))
    return files or None


def _first_record(path: Path, gz: bool) -> dict | None:
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            obj = orjson.loads(fh.readline(1 << 20))
    except (OSError, orjson.JSONDecodeError, *GZIP_ERRORS):
        return None
    return obj if isinstance(obj, dict) else None


def _named(query: str) -> set[str] | None:
    """The trail columns the query's text names, or None (all) when it says ``*`` or ``COLUMNS(...)``."""
    if _STAR.search(_COUNT_STAR.sub("count()", query)):
        return None
    words = {w.lower() for w in _WORD.findall(query)}
    return {c for c in COLUMNS if c in words}


# -- one column as SQL over read_json's raw columns (RAW_TYPES), and what the checks need of it


def _string(column: str, key: str) -> str:
    return f"case when json_type({column}, '$.{key}') = 'VARCHAR' then {column}->>'$.{key}' end"


_OBJECT = "json_type(tool_input) = 'OBJECT'"
_DERIVED = {  # as auditkit_trail.columns derives them (and columnar's query)
    "file_path": (
        f"case when {_OBJECT} then coalesce({_string('tool_input', 'file_path')}, "
        f"{_string('tool_input', 'notebook_path')}) end",
        {"tool_input"},
    ),
    "command": (f"case when {_OBJECT} then {_string('tool_input', 'command')} end", {"tool_input"}),
    "url": (f"case when {_OBJECT} then {_string('tool_input', 'url')} end", {"tool_input"}),
    "pattern": (
        f"case when {_OBJECT} then coalesce({_string('tool_input', 'pattern')}, case when tool_name = 'WebSearch' "
        f"then {_string('tool_input', 'query')} end) end",
        {"tool_input", "tool_name"},
    ),
    "prompt": (f"case when json_type(data) = 'OBJECT' then {_string('data', 'prompt')} end", {"data"}),
    "source_format": (
        "case "
        + "".join(f"when capture = '{k}' then '{v}' " for k, v in auditkit_trail.CAPTURE_FORMATS.items())
        + f"else '{auditkit_trail.NAME}' end",
        {"capture"},
    ),
    "event_id": ("$trail || ':' || seq::BIGINT", {"seq"}),
    "trail_id": ("$trail", set()),
    "source_file": ("$file", set()),
}


def _odd_count(c: str) -> str:
    return f"coalesce({c} <> trunc({c}) or abs({c}) >= {_COUNT_LIMIT} or isnan({c}) or isinf({c}), false)"


def _twice(raw: set[str]) -> str | None:
    """SQL true where a nested object read by a key path holds that key twice (DuckDB reads the first, the frame
    path the last), or None when the column reads no such object."""
    checks = [
        auditkit_trail.key_twice_sql(r, auditkit_trail.READ_KEYS[r])
        for r in sorted(raw & auditkit_trail.READ_KEYS.keys())
    ]
    return " or ".join(f"coalesce({c}, false)" for c in checks) or None


def _column(column: str) -> tuple[str, set[str], str | None]:
    """(SQL giving the column as the frame path registers it, the raw columns read, SQL true where the
    two readers could disagree, or None)."""
    kind, sql_type = KIND[column], _SQL_TYPES[KIND[column]]
    if column in _DERIVED:
        expr, raw = _DERIVED[column]
        return f"({expr})::{sql_type}", raw, _twice(raw)
    field = _FIELDS.get(column)
    if field is None:  # a column auditkit trails never fill (message_id, ...)
        return f"NULL::{sql_type}", set(), None
    r = str(field.record)  # (every field in _FIELDS has one)
    if field.sub:
        return f"coalesce({r}->>'$.{field.sub}', {r}->>'$')", {r}, _twice({r})
    if kind == "time":
        return f"try_cast({r} AS TIMESTAMPTZ)", {r}, f"({r} is not null and not regexp_full_match({r}, '{_ISO}'))"
    if kind == "count":
        return f"{r}::BIGINT", {r}, _odd_count(r)
    if kind == "float":
        return r, {r}, f"coalesce(isnan({r}) or isinf({r}), false)"
    if kind == "text":  # a JSON string as its text; any other value is JSON text the frame path writes itself
        return f"{r}->>'$'", {r}, f"coalesce(json_type({r}) not in ('VARCHAR', 'NULL'), false)"
    if kind == "nested":
        trunc = f" and json_type({r}) = 'ARRAY' and json_array_length({r}) > 0" if column == "truncated" else ""
        return f"case when json_type({r}) <> 'NULL'{trunc} then {r} end", {r}, None
    return r, {r}, f"coalesce({r} in ('NaN', 'Infinity', '-Infinity'), false)"  # a name


#: Read of every line whatever the query: what says the line is a whole v1 record, and its time and order.
_ALWAYS = {"v", "seq", "hash", "event", "ts"}
#: (A time outside the plain ISO 8601 form is odd whatever the query names: the rows are in the order of their
#: times, and a time one reader reads and the other does not, as "2026-03-17T01:00:04 UTC", moves its row.)
_ROW_ODD = (
    f"(v is null or v <> {tf.SCHEMA_VERSION} or seq is null or hash is null "
    f"or {_odd_count('v')} or {_odd_count('seq')} or coalesce(not regexp_full_match(ts, '{_ISO}'), false))"
)


def _build(con: duckdb.DuckDBPyConnection, files: list[_File], named: set[str] | None) -> bool:
    """The tables and the view ``trail`` over them; False when a file is not clean (the frame path answers)."""
    built = list(COLUMNS) if named is None else [c for c in COLUMNS if c in named]
    con.execute("DROP VIEW IF EXISTS trail")
    selects, spans = [], []
    for i, f in enumerate(files):
        span = _read_file(con, i, f, built)
        if span is None:
            return False
        spans.append(span)
        sentinel = f"case when _seq is not null then error('{NOT_BUILT}') end"
        cols = [
            "(rowid + 1)::BIGINT AS source_line"
            if c == "source_line"
            else f'"{c}"'
            if c in built
            else f'{sentinel}::{_SQL_TYPES[KIND[c]]} AS "{c}"'
            for c in COLUMNS
        ]
        selects.append(f"SELECT {', '.join(cols)}, _ts FROM _t{i}")
    if not _ids_unique(spans):
        return False
    order = "" if len(files) == 1 and spans[0].in_order else " ORDER BY _ts NULLS LAST, source_file, source_line"
    union = " UNION ALL ".join(selects)
    con.execute(f"CREATE VIEW trail AS SELECT * EXCLUDE (_ts) FROM ({union}){order}")
    return True


@dataclass
class _Span:
    trail_id: str
    low: int
    high: int
    in_order: bool


def _read_file(con: duckdb.DuckDBPyConnection, i: int, f: _File, built: list[str]) -> _Span | None:
    """File ``i`` as table ``_t{i}`` with the ``built`` columns; None when it is not clean."""
    exprs, odd, raw = [], [_ROW_ODD], set(_ALWAYS)
    for c in built:
        if c == "source_line":
            continue
        expr, needs, check = _column(c)
        exprs.append(f'{expr} AS "{c}"')
        raw |= needs
        if check:
            odd.append(check)
    raw_types = "{" + ", ".join(f"'{k}': '{t}'" for k, t in RAW_TYPES.items() if k in raw) + "}"
    query = f"""
        CREATE OR REPLACE TABLE _t{i} AS
        SELECT {"".join(e + ", " for e in exprs)}try_cast(ts AS TIMESTAMPTZ) AS _ts, seq::BIGINT AS _seq,
               ({" or ".join(odd)}) AS _odd, coalesce(event = '{tf.TRAIL_START}', false) AS _start
        FROM read_json($path, format='newline_delimited', columns={raw_types}, maximum_object_size=16777216,
                       compression='{"gzip" if f.gz else "none"}')
    """
    params = {"path": str(f.path)}
    if "$trail" in query:
        params["trail"] = f.trail_id
    if "$file" in query:
        params["file"] = str(f.path)
    # Blank lines (which both readers skip) shift the numbers of the lines after them: counted only when
    # the query shows line numbers (a row's position keeps their order; DuckDB refuses any other line
    # the line reader would not read as one record, e.g. two objects on a line or split by a lone CR)
    numbered = "source_line" in built
    with ThreadPoolExecutor(1) as pool:
        counted = pool.submit(_lines, f.path, f.gz) if numbered else None  # on a core DuckDB leaves idle
        try:
            con.execute(query, params)
        except (duckdb.Error, OSError, ValueError):  # a line DuckDB cannot read: the line reader says which
            return None
        try:
            lines = counted.result() if counted else None
        except (OSError, *GZIP_ERRORS):
            return None
    return _judge(con, i, f, lines)


def _judge(con: duckdb.DuckDBPyConnection, i: int, f: _File, lines: int | None) -> _Span | None:
    """Table ``_t{i}``'s checks, on its rows in file order (a table keeps the order rows went in, as its
    ``rowid``): one trail start, on the first line; no odd row; seq rising; the line count, when it was taken.

    In DuckDB, not numpy (the answer may be printed without pandas, and numpy costs ~0.1 s to import). Each
    row is paired with the next by a positional join (two scans, ~10 ms for 1M rows); every pair is checked
    to be rows ``r`` and ``r + 1`` by ``rowid``, so a join that paired rows any other way is caught, and the
    checks are then taken by a window over ``rowid`` (a sort, ~0.1 s) instead."""
    for pairs in (_PAIRED, _WINDOWED):
        rows, aligned, odd, starts, first, rising, in_order, low, high = (
            con.execute(_JUDGE.format(pairs=pairs.format(i=i))).fetchone() or (0,) * 9
        )
        if aligned or not rows:
            break
    if not rows or odd or starts != 1 or not first or (lines is not None and rows != lines) or not rising:
        return None
    return _Span(f.trail_id, int(low), int(high), bool(in_order))


_NO_TIME = -(2**63)  # a missing or unreadable time, in the checks' time column
_ROW = f"rowid AS _r, _seq, coalesce(_odd, true) AS _odd, _start, coalesce(epoch_us(_ts), {_NO_TIME}) AS _t"
#: Each row of table _t{i} (p) beside the next one (c_r, c_seq, c_t; NULL beside the last row).
_PAIRED = (
    f"(SELECT {_ROW} FROM _t{{i}}) p POSITIONAL JOIN "
    f"(SELECT rowid AS c_r, _seq AS c_seq, coalesce(epoch_us(_ts), {_NO_TIME}) AS c_t FROM _t{{i}} WHERE rowid > 0) c"
)
_WINDOWED = (
    "(SELECT *, lead(_r) OVER w AS c_r, lead(_seq) OVER w AS c_seq, lead(_t) OVER w AS c_t "
    f"FROM (SELECT {_ROW} FROM _t{{i}}) WINDOW w AS (ORDER BY _r)) p"
)
_JUDGE = f"""
    SELECT count(p._r), count(c_r) = count(p._r) - 1 AND coalesce(bool_and(c_r = p._r + 1), true),
           coalesce(bool_or(p._odd), false), count(*) FILTER (WHERE p._start),
           coalesce(bool_or(p._start AND p._r = 0), false), coalesce(bool_and(c_seq > p._seq), true),
           coalesce(bool_and(p._t <> {_NO_TIME}) AND coalesce(bool_and(c_t >= p._t), true), true),
           arg_min(p._seq, p._r), arg_max(p._seq, p._r)
    FROM {{pairs}}
"""


def _ids_unique(spans: list[_Span]) -> bool:
    """No event id (``<trail id>:<seq>``) in two files: one trail's files hold seq ranges that do not meet."""
    by_trail: dict[str, list[_Span]] = {}
    for s in spans:
        by_trail.setdefault(s.trail_id, []).append(s)
    for group in by_trail.values():
        group.sort(key=lambda s: s.low)
        if any(a.high >= b.low for a, b in itertools.pairwise(group)):
            return False
    return True


def _lines(path: Path, gz: bool) -> int:
    """The number of lines (a last one without its newline counts), while DuckDB's threads read the file."""
    count, last = 0, b"\n"
    with (gzip.open if gz else open)(path, "rb") as fh:
        while block := fh.read(8 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
