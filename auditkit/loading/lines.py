"""Read a trail file line by line, detecting each line's format (the readers in :mod:`auditkit.loading.readers`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from auditkit.errors import TrailFormatError
from auditkit.loading.readers import FORMATS
from auditkit.loading.readers.auditkit_trail import source_format_of
from auditkit.store.files import open_lines
from auditkit.store.jsontext import compact_json, record_loads
from auditkit.trail import format as tf


def read_file(
    path: Path,
    problems: list[dict],
    strict: bool = False,
    on_bytes: Callable[[int], None] | None = None,
    fast: list | None = None,
    skipped: dict | None = None,
) -> Iterator[dict]:
    """Every event row of one file, streamed; unreadable lines go to ``problems`` (or raise when ``strict``).

    With ``fast`` given, auditkit-trail records are appended to it as parsed (with ``_line``,
    ``_trail`` and ``_file``) instead of being yielded as rows: ``load()`` turns them into columns in bulk.
    Lines of known kinds that carry no event (a transcript's progress and snapshot lines) are counted
    by kind in ``skipped``, not reported as problems. A file holding one JSON array (payloads kept as
    ``jq`` writes them, pretty-printed) is read element by element; its "line" is the element's number.
    """
    name = str(path)
    ctx: dict = {}
    try:
        yield from _read_lines(path, name, problems, strict, on_bytes, fast, ctx)
    except TrailFormatError as exc:  # the file itself is damaged (a gzip stream cut short): keep what was read
        if strict:
            raise
        problems.append({"file": exc.path, "line": exc.line, "reason": exc.reason})
    if skipped is not None:
        for kind, n in ctx.get("skipped", {}).items():
            skipped[kind] = skipped.get(kind, 0) + n


def _json_units(path: Path) -> list | None:
    """The records of a file that is one JSON document rather than JSON Lines, else None: an array
    (payloads kept by ``jq``, a transcript copied as ``chat.json``), or a Gemini CLI session
    (``{sessionId, ..., messages: [...]}``: its header, then each message with the session's id and project
    hash), pretty-printed or on one line. Any document the standard library reads is read (lone
    surrogates and NaN kept in their marked forms, :func:`auditkit.store.jsontext.record_loads`)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(0)
        first_line = fh.readline(1 << 20)
    start = head.lstrip()[:1]
    if head[:2] == b"\x1f\x8b" or start not in (b"[", b"{"):
        return None
    if start == b"{":
        try:
            first = record_loads(first_line)
        except (ValueError, RecursionError):
            first = None
        if first is not None and not _session_document(first):
            return None  # the first line is a whole record: JSON Lines
    try:
        doc = record_loads(Path(path).read_bytes())
    except (ValueError, RecursionError):  # (nested deeper than Python's json reads: each line says so)
        return None  # not one document: read it line by line, and say which lines are bad
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and _session_document(doc):
        header = {k: v for k, v in doc.items() if k != "messages"}
        tag = {"sessionId": doc.get("sessionId"), "projectHash": doc.get("projectHash")}
        return [header, *({**m, **tag} for m in doc["messages"] if isinstance(m, dict))]
    return [doc] if isinstance(doc, dict) else None


def _session_document(obj: object) -> bool:
    """A Gemini CLI session written whole (its messages inside it), on one line or many."""
    return isinstance(obj, dict) and isinstance(obj.get("messages"), list) and "sessionId" in obj


def _units(path: Path) -> Iterator[tuple[int, bytes, object]]:
    """(line number, line, None) of a JSON Lines file, or (element number, its compact JSON, the element)
    of a one-document JSON file."""
    elements = _json_units(path)
    if elements is None:
        for n, line in enumerate(open_lines(path), 1):
            yield n, line, None
        return
    for n, element in enumerate(elements, 1):
        yield n, compact_json(element).encode("utf-8", "surrogatepass") + b"\n", element


def _read_lines(
    path: Path,
    name: str,
    problems: list[dict],
    strict: bool,
    on_bytes: Callable[[int], None] | None,
    fast: list | None,
    ctx: dict,
) -> Iterator[dict]:
    done = 0
    loads = record_loads
    seen = ctx.setdefault("seen", {})
    for line_no, raw, element in _units(path):
        done += len(raw)
        if on_bytes is not None and not line_no % 20000:
            on_bytes(done)
            done = 0
        try:
            obj = loads(raw) if element is None else element
            if fast is not None and type(obj) is dict and "hash" in obj and "seq" in obj and obj.get("v") == 1:
                if obj.get("event") == "trail_start":
                    ctx["trail_id"] = tf.trail_id_of(obj)
                obj["_line"], obj["_trail"], obj["_file"] = line_no, ctx.get("trail_id"), name
                fast.append(obj)
                continue
            if not isinstance(obj, dict):
                raise ValueError(f"a JSON {type(obj).__name__}, not an object")
            if obj.get("type") in tf.NON_EVENT_TYPES:
                continue
            fmt = next((f for f in FORMATS if f.matches(obj)), None)
            if fmt is None:
                raise ValueError(
                    "not a record of any known format (auditkit trail, seed, hook payload, Claude Code transcript, "
                    "Codex rollout, Gemini session)"
                )
            new = fmt.rows(obj, ctx)
        except (ValueError, TypeError, RecursionError) as exc:  # (a value nested deeper than Python's json reads)
            if not raw.strip():
                continue
            reason = str(exc) or type(exc).__name__
            if not raw.endswith(b"\n"):
                reason = f"partial last line, a write cut short? ({reason})"
            if strict:
                raise TrailFormatError(name, line_no, reason) from exc
            problems.append({"file": name, "line": line_no, "reason": reason})
            continue
        cid = None
        for row in new:
            row["source_format"] = source_format_of(row.get("capture"), fmt.NAME)  # an ingest's rows: its own
            row["source_file"] = name
            row["source_line"] = line_no
            if not row.get("event_id"):
                cid = cid or _content_id(raw if element is not None else _compact(obj), seen)
                row["event_id"] = cid
            yield row
    if on_bytes is not None:
        on_bytes(done)


def _compact(obj: object) -> bytes:
    """A line's record as the compact JSON a document's element is hashed as: a payload kept as a JSON Lines
    line (``jq -c``, or ``json.dumps`` with its spaces) and in a JSON array has one id. (The readers build
    new rows and leave the record they read as it was.)"""
    return compact_json(obj).encode("utf-8", "surrogatepass") + b"\n"


def _content_id(raw: bytes, seen: dict[str, int]) -> str:
    """The id of a record that carries none (a hook payload, a seed line): its content's hash, and for
    the n-th record of equal content in the same file, that hash with ``:n``.

    Two equal payloads in one log are two events (47 identical "waiting for your input" notices are 47
    notices); the same log loaded twice (a copy, a file and its gzipped archive, JSON Lines and a JSON
    array) gives the same ids, in the same order, and ``load()`` keeps one of each."""
    digest = hashlib.sha256(raw.strip()).hexdigest()[:32]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return f"{digest}:{n}" if n else digest
