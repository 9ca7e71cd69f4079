"""Find trail files and read them line by line, detecting each line's format."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import orjson

from auditkit.errors import TrailFormatError
from auditkit.loading.readers import FORMATS
from auditkit.store.jsontext import exact_loads
from auditkit.trail import format as tf

#: File names a folder is searched for.
TRAIL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
#: Records that describe a trail rather than an event (seals); read by ``verify``, skipped by ``load``.
NON_EVENT_TYPES = frozenset({"auditkit.seals", "auditkit.retirement"})

PathLike = str | os.PathLike[str]


def expand(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Files, folders (searched recursively, hidden folders skipped) and globs -> sorted files.

    In folders: JSON Lines (``.jsonl``, ``.ndjson``, gzipped too), ``.json`` files holding an array, and Gemini
    CLI sessions (``session-*.json``).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for item in paths:
        text = os.fspath(item)
        if any(c in text for c in "*?["):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            if not matches:
                raise FileNotFoundError(f"no file matches {text!r}")
            found.extend(Path(m) for m in matches if os.path.isfile(m))
            continue
        p = Path(text).expanduser()
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(
                    Path(root, f)
                    for f in sorted(files)
                    if f.endswith(TRAIL_SUFFIXES) or (f.endswith(".json") and _json_log(Path(root, f)))
                )
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"{text}: no such file or folder")
    unique: dict[Path, None] = {}
    for f in found:
        unique.setdefault(f, None)
    return list(unique)


def _json_log(path: Path) -> bool:
    """A ``.json`` file in a folder that holds records: an array (payload logs kept by ``jq``) or a Gemini CLI
    session (``session-*.json``), not a settings or manifest file."""
    if path.name.startswith("session-"):
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(256).lstrip().startswith(b"[")
    except OSError:
        return False


def file_sha256(path: PathLike) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def first_record(path: PathLike) -> dict | None:
    """The first non-blank line of a plain or gzipped file as a JSON object, or None."""
    try:
        for raw in open_lines(Path(path)):
            if raw.strip():
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return None
                return obj if isinstance(obj, dict) else None
    except TrailFormatError:
        return None
    return None


#: What reading a damaged gzip stream raises.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def is_gzip(path: PathLike) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_lines(path: Path) -> Iterator[bytes]:
    """The raw lines of a plain or gzipped file (gzip is detected by its magic bytes).

    A damaged gzip stream (cut short, trailing garbage, corrupt data) raises :class:`TrailFormatError`
    naming the line where reading stopped; the lines before it are yielded first.
    """
    gz = is_gzip(path)
    n = 0
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            for n, line in enumerate(fh, 1):  # noqa: B007 - n is read after the loop
                yield line
    except GZIP_ERRORS as exc:
        why = str(exc) or type(exc).__name__
        raise TrailFormatError(str(path), n + 1, f"the gzip stream is damaged after line {n} ({why})") from None


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
    """The records of a file that is one JSON document rather than JSON Lines, else None: a pretty-printed
    array (payloads kept by ``jq``), or a Gemini CLI session (``{sessionId, ..., messages: [...]}``: its
    header, then each message with the session's id and project hash)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(0)
        first_line = fh.readline(1 << 20)
    start = head.lstrip()[:1]
    if head[:2] == b"\x1f\x8b" or start not in (b"[", b"{"):
        return None
    if start == b"{":
        try:
            orjson.loads(first_line)
            return None  # the first line is a whole record: JSON Lines
        except orjson.JSONDecodeError:
            pass
    try:
        doc = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError:
        return None  # not one document: read it line by line, and say which lines are bad
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        header = {k: v for k, v in doc.items() if k != "messages"}
        tag = {"sessionId": doc.get("sessionId"), "projectHash": doc.get("projectHash")}
        return [header, *({**m, **tag} for m in doc["messages"] if isinstance(m, dict))]
    return [doc] if isinstance(doc, dict) else None


def _units(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a JSON Lines file, or (element number, element) of a one-document JSON file."""
    elements = _json_units(path)
    if elements is None:
        yield from enumerate(open_lines(path), 1)
        return
    for n, element in enumerate(elements, 1):
        yield n, orjson.dumps(element) + b"\n"


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
    loads = exact_loads
    for line_no, raw in _units(path):
        done += len(raw)
        if on_bytes is not None and not line_no % 20000:
            on_bytes(done)
            done = 0
        try:
            obj = loads(raw)
            if fast is not None and type(obj) is dict and "hash" in obj and "seq" in obj and obj.get("v") == 1:
                if obj.get("event") == "trail_start":
                    ctx["trail_id"] = tf.trail_id_of(obj)
                obj["_line"], obj["_trail"], obj["_file"] = line_no, ctx.get("trail_id"), name
                fast.append(obj)
                continue
            if not isinstance(obj, dict):
                raise ValueError(f"a JSON {type(obj).__name__}, not an object")
            if obj.get("type") in NON_EVENT_TYPES:
                continue
            fmt = next((f for f in FORMATS if f.matches(obj)), None)
            if fmt is None:
                raise ValueError(
                    "not a record of any known format (auditkit trail, seed, hook payload, Claude Code transcript, "
                    "Codex rollout, Gemini session)"
                )
            new = fmt.rows(obj, ctx)
        except (ValueError, TypeError) as exc:
            if not raw.strip():
                continue
            reason = str(exc) or type(exc).__name__
            if not raw.endswith(b"\n"):
                reason = f"partial last line, a write cut short? ({reason})"
            if strict:
                raise TrailFormatError(name, line_no, reason) from exc
            problems.append({"file": name, "line": line_no, "reason": reason})
            continue
        for row in new:
            row["source_format"] = fmt.NAME
            row["source_file"] = name
            row["source_line"] = line_no
            if not row.get("event_id"):
                row["event_id"] = hashlib.sha256(raw.strip()).hexdigest()[:32]
            yield row
    if on_bytes is not None:
        on_bytes(done)
