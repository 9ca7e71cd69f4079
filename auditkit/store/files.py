"""Find trail files and open them: folders and globs expanded, gzip detected, first records and digests.

Reading the lines as events of a format is :mod:`auditkit.loading.lines` (one layer up, beside the readers)."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditkit.errors import TrailFormatError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: typing costs a command's start-up ~2 ms
if TYPE_CHECKING:
    import json
    from typing import Any

#: File names a folder is searched for.
TRAIL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")

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
                    obj = json_value(raw)
                except ValueError:
                    return None
                return obj if isinstance(obj, dict) else None
    except TrailFormatError:
        return None
    return None


class _NotPlain(Exception):
    """A number or constant the standard library's scanner and orjson may read differently."""


def _not_plain(text: str) -> object:
    raise _NotPlain(text)


def _small_int(text: str) -> int:
    if len(text) > 18:  # 18 characters with the sign: inside 64 bits, where orjson keeps an int (past them, a float)
        raise _NotPlain(text)
    return int(text)


_plain: list[json.JSONDecoder] = []  # the standard library's decoder, every number but a small integer handed back


def json_value(raw: bytes) -> Any:
    """``orjson.loads(raw)``, with orjson loaded only where it is needed (its import takes ~10 ms: it loads
    dataclasses and uuid; ``auditkit verify`` parses one line per file and nothing else as JSON). Raises ValueError
    (orjson's JSONDecodeError) for what orjson refuses.

    A plain line (ASCII without a backslash: no escapes, no encodings, no surrogates) whose numbers are integers of
    at most 18 characters, with no NaN or Infinity, is read by the standard library's C scanner, which reads such
    text exactly as orjson does (later duplicate keys win, in the first one's place, in both); anything else, and
    anything the scanner refuses, is orjson's to read or refuse.
    """
    if raw.isascii() and b"\\" not in raw:
        if not _plain:
            import json  # start-up: the command line has it loaded already; a library caller pays it once

            _plain.append(json.JSONDecoder(parse_float=_not_plain, parse_int=_small_int, parse_constant=_not_plain))
        try:
            return _plain[0].decode(raw.decode("ascii"))
        except (_NotPlain, ValueError, RecursionError):
            pass
    import orjson  # start-up: only a line that is not plain (see above)

    return orjson.loads(raw)


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
