"""Find secrets that were not redacted, and write redacted copies of old logs.

``scan`` reads trails, Claude Code transcripts and plain text files. JSON lines are walked value by
value (so escaped text is read as the text it is, and values under keys such as ``password`` count
whatever they look like); other lines are scanned as text. A finding names the kind, file, line,
JSON field and the secret's keyed fingerprint: never the secret itself.

``redact`` writes a redacted copy. An auditkit trail cannot keep its hash chain through
redaction, so its copy is a new chain whose ``trail_start`` names the trail it was derived from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson

from auditkit.errors import UsageError
from auditkit.store.files import PathLike, is_gzip, open_lines
from auditkit.store.jsontext import json_line
from auditkit.store.parallel import cpus, in_order, line_ranges, read_range
from auditkit.trail import appender
from auditkit.trail import format as tf
from auditkit.trail.appender import new_trail_id
from auditkit.trail.redaction import Redactor, is_sensitive_key, plausible_value


@dataclass
class SecretFinding:
    """An unredacted secret: what kind, where, and its fingerprint (never the secret)."""

    file: str
    line: int
    kind: str
    fingerprint: str
    field: str | None = None

    def __str__(self) -> str:
        where = f" in {self.field}" if self.field else ""
        return f"{self.file}:{self.line}: {self.kind}{where} (fingerprint {self.fingerprint})"

    def to_dict(self) -> dict:
        return asdict(self)


def scan_files(paths: PathLike | list[PathLike]) -> list[Path]:
    """Files to scan: files as given, folders walked (hidden folders and binary files skipped)."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item).expanduser()
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(Path(root, f) for f in sorted(files))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return [f for f in out if not _binary(f)]


def _binary(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    return b"\0" in head and not head.startswith(b"\x1f\x8b")


KEY = "\0key"  # the "sensitive key" _walk gives an object key: not a key name, a marker


def _walk(value: object, path: str, under: str = "") -> Iterator[tuple[str, str, str]]:
    """(json path, text, sensitive key it sits under) for every string in a JSON value; an object key
    long enough to be a token comes as its own text, under the marker ``KEY``."""
    out: list[tuple[str, str, str]] = []
    _walk_into(value, path, under, out, {})
    yield from out


def _walk_into(value: object, path: str, under: str, out: list, sensitive: dict[str, bool]) -> None:
    """:func:`_walk` into ``out`` (no generator per level: a scan walks millions of values); ``sensitive``
    remembers :func:`is_sensitive_key` per key name (a trail's keys are few and repeat on every line)."""
    if isinstance(value, str):
        out.append((path, value, under))
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if len(key) >= 16:
                out.append((f"{path}{{key}}" if path else "{key}", key, KEY))
            if not under:
                known = sensitive.get(key)
                if known is None:
                    known = sensitive[key] = is_sensitive_key(key)
                sub = key if known else ""
            else:
                sub = under
            where = f"{path}.{key}" if path else key
            if type(v) is str:
                out.append((where, v, sub))
            else:
                _walk_into(v, where, sub, out, sensitive)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_into(v, f"{path}[{i}]", under, out, sensitive)
    elif under and isinstance(value, (int, float)) and not isinstance(value, bool):
        out.append((path, str(value), under))


def _digest(value: object) -> bool:
    """A SHA-256 as a trail writes one: 64 lowercase hex digits."""
    return type(value) is str and len(value) == 64 and not value.strip("0123456789abcdef")


def scan(paths: PathLike | list[PathLike], redactor: Redactor | None = None) -> list[SecretFinding]:
    """Every unredacted secret in the files, as findings that name kind, file, line and fingerprint.

    Built for millions of records: a JSON line is parsed and each string in it checked once per
    distinct value (session ids, paths and commands repeat all through a trail), its keyword parts
    found by one trie scan (:meth:`Redactor.keywords_in`); a trail's chain digests are skipped. On
    every CPU: a large plain file is cut into ranges of whole lines, and other files (gzipped
    segments, small files) are shared out whole, when there is enough of them.
    """
    r = redactor or Redactor.default()
    files = scan_files(paths)
    workers = cpus()
    sizes = [f.stat().st_size for f in files]
    cut = {i for i, f in enumerate(files) if workers > 1 and sizes[i] >= _PARALLEL_MIN and not is_gzip(f)}
    whole = [i for i in range(len(files)) if i not in cut]

    def scan_one(i: int) -> list[SecretFinding]:
        return _Scanner(r, str(files[i])).lines(open_lines(files[i]))

    by_file = {}  # files scanned whole by this process and workers, when there is enough of them
    shared = workers > 1 and len(whole) > 1 and sum(sizes[i] for i in whole) >= _PARALLEL_MIN
    if shared:
        by_file = dict(zip(whole, in_order(len(whole), lambda k: scan_one(whole[k]), workers), strict=True))
    found: list[SecretFinding] = []
    for i, f in enumerate(files):
        if i in cut:
            found += _scan_parallel(f, sizes[i], r, workers)
        else:
            found += by_file[i] if shared else scan_one(i)
    return found


_PARALLEL_MIN = 16 << 20  # below this, starting workers costs more than it saves
_RANGE = 8 << 20


def _scan_parallel(path: Path, size: int, r: Redactor, workers: int) -> list[SecretFinding]:
    """The file's ranges scanned by this process and forked workers (:func:`auditkit.store.parallel.in_order`),
    each range's lines numbered from 1 and moved after those of the ranges before it."""
    ranges = line_ranges(path, size, _RANGE)
    scanner = _Scanner(r, str(path))  # inherited by the forked workers, redactor and all
    found: list[SecretFinding] = []
    before = 0
    for hits, lines in in_order(len(ranges), lambda i: _scan_range(scanner, *ranges[i]), workers):
        found += [replace(h, line=h.line + before) for h in hits]
        before += lines
    return found


def _scan_range(scanner: _Scanner, start: int, end: int) -> tuple[list[SecretFinding], int]:
    """The findings in one range of whole lines (numbered from 1 in it), and its line count."""
    parts = read_range(scanner.name, start, end).split(b"\n")
    last = parts.pop()  # b"" when the range ends with a newline; else the file's last line, without one
    lines = [part + b"\n" for part in parts] + ([last] if last else [])  # as open_lines gives them
    return scanner.lines(lines), len(lines)


class _Scanner:
    """The scan of one file's lines, with what it learnt of repeated strings and keys."""

    #: Lines read before their new strings are checked together (:meth:`Redactor.quiet_strings`).
    BATCH = 4096
    #: Strings (and keys) remembered at most; then forgotten and learnt again.
    MEMORY = 100_000

    def __init__(self, r: Redactor, name: str) -> None:
        self.r, self.name = r, name
        self.seen: dict[str, list[tuple[str, str]]] = {}  # string -> (kind, secret) found in it
        self.dirty: set[str] = set()  # the strings of ``seen`` that hold something
        self.sensitive: dict[str, bool] = {}  # key name -> is_sensitive_key(name), for _walk_into
        self.shapes: dict[tuple, bool] = {}  # an object's keys -> whether they are all plain (_plain_key)

    def lines(self, lines: Iterable[bytes]) -> list[SecretFinding]:
        """Every finding of ``lines`` (numbered from 1), in line order and, within a line, in walk order."""
        found: list[SecretFinding] = []
        batch: list[tuple[int, bytes]] = []
        for n, raw in enumerate(lines, 1):
            batch.append((n, raw))
            if len(batch) >= self.BATCH:
                found += self._batch(batch)
                batch = []
        return found + self._batch(batch) if batch else found

    def _batch(self, batch: list[tuple[int, bytes]]) -> list[SecretFinding]:
        """The batch's JSON lines parsed and their strings gathered; the strings not met before cleared in one
        pass by :meth:`Redactor.quiet_strings` (most strings of a trail hold nothing), the rest checked one by
        one. A line whose strings all hold nothing, with no key that is sensitive or a token, has no finding;
        every other line is walked whole, value by value, as :func:`_walk` gives them: the same findings, in
        the same order, as checking each string of each line as it comes."""
        lines: list[tuple[int, object, list[str] | None]] = []  # (line, its text or JSON, its plain strings)
        everything: set[str] = set()
        for n, raw in batch:
            if not raw.strip():
                continue
            obj = json_line(raw)
            if obj is None:
                lines.append((n, raw, None))
                continue
            if isinstance(obj, dict) and "seq" in obj:  # an auditkit record: its chain links are digests
                for link in ("prev", "hash"):
                    if _digest(obj.get(link)):
                        del obj[link]
            strings: list[str] = []
            plain = self._plain(obj, strings)
            lines.append((n, obj, strings if plain else None))
            if plain:
                everything.update(strings)
        self._learn(everything)
        found: list[SecretFinding] = []
        dirty = self.dirty
        for n, item, plain_strings in lines:
            if isinstance(item, bytes):
                found += self._line(n, item)
            elif plain_strings is None or not dirty.isdisjoint(plain_strings):
                walked: list[tuple[str, str, str]] = []
                _walk_into(item, "", "", walked, self.sensitive)
                found += self._strings(n, walked)
        return found

    def _plain(self, value: object, out: list[str]) -> bool:
        """The strings of a JSON value into ``out``; False (and ``out`` partial) when the value holds what only
        a walk value by value judges: a sensitive key (its values count whatever they look like), or a key
        long enough to be a token that the rules do not clear. Each set of keys is judged once."""
        if isinstance(value, str):
            out.append(value)
            return True
        if isinstance(value, dict):
            keys = tuple(value)
            plain = self.shapes.get(keys)
            if plain is None:
                plain = self.shapes[keys] = all(self._plain_key(k) for k in keys)
            if not plain:
                return False
            items: Iterable[object] = value.values()
        elif isinstance(value, list):
            items = value
        else:
            return True  # a number, boolean or null outside sensitive keys: nothing to find
        for v in items:
            if type(v) is str:
                out.append(v)
            elif isinstance(v, (dict, list)) and not self._plain(v, out):
                return False
        return True

    def _plain_key(self, key: str) -> bool:
        """A key neither sensitive nor a token the rules do not clear."""
        if is_sensitive_key(key):
            return False
        return len(key) < 16 or self.r.redact_key(key)[0] == key

    def _learn(self, texts: set[str]) -> None:
        """What each string not met before holds: nothing, for those :meth:`Redactor.quiet_strings` clears at
        once. Past :data:`MEMORY`, what was learnt is forgotten first (and the batch's strings learnt again)."""
        r, seen, dirty = self.r, self.seen, self.dirty
        if len(seen) + len(texts) > self.MEMORY or len(self.sensitive) + len(self.shapes) > self.MEMORY:
            seen.clear()
            dirty.clear()
            self.sensitive.clear()
            self.shapes.clear()
        new = [t for t in texts if t not in seen]
        quiet = r.quiet_strings(new) if len(new) > 1 else set()
        for text in new:
            if id(text) in quiet:
                seen[text] = []
                continue
            # its keyword parts found by one trie scan, not hundreds of substring tests
            hits = seen[text] = [(kind, secret) for kind, _, _, secret in r.findings_or_timeout(text, trie=True)]
            if hits:
                dirty.add(text)

    def _line(self, n: int, raw: bytes) -> list[SecretFinding]:
        """A line that is not JSON, scanned as text."""
        r, line = self.r, raw.decode("utf-8", "replace")
        if not r.could_hold_secret(line):
            return []
        return [SecretFinding(self.name, n, kind, r.fingerprint(s)) for kind, _, _, s in r.findings_or_timeout(line)]

    def _strings(self, n: int, strings: list[tuple[str, str, str]]) -> list[SecretFinding]:
        """The findings of one JSON line's strings, in walk order."""
        r, name, seen = self.r, self.name, self.seen
        found: list[SecretFinding] = []
        for field, text, under in strings:
            if under == KEY:
                clean, _ = r.redact_key(text)
                if clean != text:
                    kinds = [k for k, _, _, _ in r.findings_or_timeout(text)] or ["high-entropy-key"]
                    found.append(SecretFinding(name, n, kinds[0], r.fingerprint(text), field))
                continue
            if under and text and not text.startswith("[REDACTED:") and plausible_value(text, under):
                found.append(SecretFinding(name, n, "sensitive-key", r.fingerprint(text), field))
                continue
            hits = seen.get(text)
            if hits is None:  # a string of a line walked whole (its strings were not gathered), or under a key
                hits = [(kind, secret) for kind, _, _, secret in r.findings_or_timeout(text, trie=True)]
                if len(seen) < self.MEMORY:
                    seen[text] = hits
                    if hits:
                        self.dirty.add(text)
            found += [SecretFinding(name, n, kind, r.fingerprint(secret), field) for kind, secret in hits]
        return found


def redact(src: PathLike, dst: PathLike, redactor: Redactor | None = None) -> dict:
    """Write a redacted copy of a trail, transcript or text file; return counts.

    Lines that are JSON stay JSON with the same structure; other lines are redacted as text. An
    auditkit trail is written as a new, valid chain whose ``trail_start`` names its source.
    """
    r = redactor or Redactor.default()
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise UsageError(f"{dst}: write the redacted copy to another file; the original stays as evidence")
    lines, redactions, chained = 0, 0, False
    out: list[bytes] = []
    prev: str | None = None
    source: dict = {}
    for raw in open_lines(src):
        stripped = raw.strip()
        if not stripped:
            continue
        lines += 1
        try:
            obj = orjson.loads(stripped) if stripped[:1] in (b"{", b"[") else None
        except orjson.JSONDecodeError:
            obj = None
        if obj is None:
            text, n = r.redact_text(raw.decode("utf-8", "replace").rstrip("\n"))
            redactions += n
            out.append(text.encode() + b"\n")
            continue
        if isinstance(obj, dict) and obj.get("v") == tf.SCHEMA_VERSION and "seq" in obj and "hash" in obj:
            chained = True
            fields = {k: v for k, v in obj.items() if k not in ("v", "seq", "ts", "prev", "hash")}
            if fields.get("event") == tf.TRAIL_START and prev is None:
                data = dict(fields["data"]) if isinstance(fields.get("data"), dict) else {}
                source = {"trail_id": data.get("trail_id"), "created": data.get("created")}

                data.update(
                    trail_id=new_trail_id(),
                    created=obj["ts"],
                    previous_segment=None,
                    derived_from={**source, "reason": "redacted copy"},
                )
                fields["data"] = data
                prev = tf.genesis_hash(data["trail_id"], data["created"])
                data.pop("mark", None)  # a copy of a trail this installation did not create stays unmarked
                key = appender.installation_key(create=False)
                if key is not None and appender.foreign_reason(key, stripped) is None:
                    appender.mark_start(fields, obj["seq"], obj["ts"], prev, key)
            else:
                for name in ("tool_input", "tool_response", "error", "data"):
                    if name in fields:
                        fields[name], n = r.redact_value(fields[name])
                        fields["redactions"] = int(fields.get("redactions") or 0) + n
                        redactions += n
            line = tf.encode_record(obj["seq"], obj["ts"], prev or obj.get("prev", ""), fields)
            prev = line[-67:-3].decode()
            out.append(line)
            source["head_hash"] = obj.get("hash")
            continue
        clean, n = r.redact_value(obj)
        redactions += n
        out.append(orjson.dumps(clean) + b"\n")
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.writelines(out)
    return {"lines": lines, "redactions": redactions, "rechained": chained, "source": source or None}
