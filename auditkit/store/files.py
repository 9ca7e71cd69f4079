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

import orjson

from auditkit.errors import TrailFormatError

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
