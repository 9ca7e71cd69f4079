"""auditkit's own trail, format v1 (see docs/trail-format.md), and the one mapping record -> row.

:func:`columns` turns records into the frame's columns, reading the record keys from
:data:`auditkit.trail.format.SCHEMA`; the raw hook payload reader and ``rows`` use it too, and the
DuckDB fast path (:mod:`.columnar`) derives its projection from the same table.
"""

from __future__ import annotations

from auditkit.store.jsontext import compact_json
from auditkit.trail import format as tf

NAME = "auditkit"
#: Fields read straight from the record (the others are derived below).
#: Records another source wrote into a trail of ours (an ingest), by their ``capture``: they load as that
#: source's format, so a frame says where each row came from (``auditkit ingest compliance-api``).
CAPTURE_FORMATS = {"compliance-api": "compliance-api"}


def source_format_of(capture: object, default: str = NAME) -> str:
    """The ``source_format`` of a record with this ``capture`` (``default``: the reader's own format)."""
    return CAPTURE_FORMATS.get(capture, default) if isinstance(capture, str) else default


STORED = tuple(f for f in tf.SCHEMA if f.record)

#: The keys of nested record values that columns show: the tool input's (file_path, command, ...), data's
#: prompt and effort's level (DuckDB reads them in :mod:`auditkit.loading.columnar` and SQL over the files).
READ_KEYS: dict[str, tuple[str, ...]] = {
    "tool_input": ("file_path", "notebook_path", "command", "url", "pattern", "query"),
    "data": ("prompt",),
    "effort": ("level",),
}


def key_twice_sql(record: str, keys: tuple[str, ...]) -> str:
    """SQL true when the JSON object in column ``record`` holds one of ``keys`` twice: DuckDB's paths read the
    first, Python (the input column, the line reader) the last, so DuckDB must not answer for that file. A
    pattern finds the few objects naming two of them (the text ``"key":`` is a key: a quote inside a string
    is escaped); only their keys are then compared."""
    named = "|".join(keys)
    return (
        f'case when regexp_matches({record}, \'"(?:{named})":.*"(?:{named})":\') '
        f"then len(json_keys({record})) <> len(list_distinct(json_keys({record}))) end"
    )


_DUCKDB_TYPES = {"time": "VARCHAR", "category": "VARCHAR", "string": "VARCHAR", "text": "JSON", "count": "DOUBLE",
                 "float": "DOUBLE", "nested": "JSON"}  # fmt: skip
#: What DuckDB's JSON reader reads of each line (:mod:`auditkit.loading.columnar`, and SQL straight over the
#: files, :mod:`auditkit.analysis.trailsql`): the schema's stored fields (and ``v``), typed by their kind.
RAW_TYPES: dict[str, str] = {"v": "DOUBLE"} | {
    f.record: "JSON" if f.sub else _DUCKDB_TYPES[f.kind] for f in STORED if f.record
}


def matches(obj: dict) -> bool:
    return "v" in obj and "seq" in obj and "hash" in obj


def rows(obj: dict, ctx: dict) -> list[dict]:
    """One record as a row (the line-by-line path; ``load()`` takes :func:`columns` in bulk)."""
    if obj.get("v") != tf.SCHEMA_VERSION:
        raise ValueError(f"trail format version {obj.get('v')!r} is not supported (this auditkit reads v1)")
    if obj.get("event") == tf.TRAIL_START:
        ctx["trail_id"] = tf.trail_id_of(obj)
    cols = columns([{**obj, "_trail": ctx.get("trail_id"), "_file": None, "_line": None}])
    row = {k: v[0] for k, v in cols.items()}
    for k in ("source_format", "source_file", "source_line"):
        del row[k]  # read_file fills these
    return [row]


def text_of(value: object) -> str | None:
    """A value as a text column shows it: a string as it is, anything else as compact JSON."""
    return value if value is None or type(value) is str else compact_json(value)


#: Kinds of column that hold text: a value of another JSON type is shown as its compact JSON text
#: (``true``, ``7``, ``{"file":3}``), as DuckDB shows it on the columnar path.
TEXT_KINDS = frozenset({"text", "string", "category"})


def stored_value(field: tf.Field, value: object) -> object:
    """A record's value as its column shows it: ``sub`` of an object (the object itself when it has no
    such key, as SQL's ``coalesce(col->>'$.sub', col->>'$')``); JSON text in a text column."""
    if field.sub and type(value) is dict:
        inner = value.get(field.sub)
        value = inner if inner is not None else value
    return text_of(value) if field.kind in TEXT_KINDS else value


def columns(objs: list[dict]) -> dict[str, list]:
    """Many records at once, column by column: the schema's stored fields, then the derived ones.

    Each ``obj`` carries ``_line``, ``_trail`` and ``_file`` (added by the reader).
    """
    out: dict[str, list] = {}
    for f in STORED:
        key = f.record
        if f.sub or f.kind in TEXT_KINDS:
            out[f.column] = [stored_value(f, o.get(key)) for o in objs]
        else:
            out[f.column] = [o.get(key) for o in objs]
    datas, tools = out["data"], out["tool"]
    trails = [o["_trail"] for o in objs]
    out["prompt"] = [p if type(d) is dict and type(p := d.get("prompt")) is str else None for d in datas]
    out["trail_id"] = trails
    out["event_id"] = [
        f"{t}:{_seq_text(q)}" if t else h for t, q, h in zip(trails, out["seq"], out["hash"], strict=True)
    ]
    out["source_format"] = list(map(source_format_of, out["capture"]))
    out["source_file"] = [o["_file"] for o in objs]
    out["source_line"] = [o["_line"] for o in objs]
    dicts = [i if type(i) is dict else None for i in out["input"]]
    path = [d.get("file_path") if d else None for d in dicts]
    out["file_path"] = [
        p if type(p) is str else (d.get("notebook_path") if d and type(d.get("notebook_path")) is str else None)
        for p, d in zip(path, dicts, strict=True)
    ]
    out["command"] = [c if type(c := (d.get("command") if d else None)) is str else None for d in dicts]
    out["url"] = [u if type(u := (d.get("url") if d else None)) is str else None for d in dicts]
    out["pattern"] = [
        p
        if type(p := (d.get("pattern") if d else None)) is str
        else (q if t == "WebSearch" and type(q := d.get("query") if d else None) is str else None)
        for d, t in zip(dicts, tools, strict=True)
    ]
    return out


def _seq_text(seq: object) -> str:
    """A seq as an event id writes it: a whole float (``5.0``, ``-0.0``, forged) or a boolean (``true``) as the
    integer the seq column holds (``5``, ``0``, ``1``), as DuckDB's reading gives it; anything else as its text."""
    if (type(seq) is float and seq.is_integer()) or type(seq) is bool:
        return str(int(seq))
    return str(seq)
