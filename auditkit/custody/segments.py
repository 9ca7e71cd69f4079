"""Rotate a trail into gzip segments that continue one hash chain, and keep a manifest of them.

``audit-trail.jsonl`` is always the active segment. Rotating it:

1. takes the archive lock (one rotation or retention run at a time) and then the trail's own
   lock, so no hook can append meanwhile;
2. writes the next segment's first record, a ``trail_start`` whose ``prev`` is the head hash and
   whose ``seq`` follows on, naming the segment it continues, to a temporary file;
3. hard-links the current file to its segment name (``audit-trail.<first>-<last>.jsonl``) and
   renames the new file over the trail's path: the path never goes missing;
4. releases the lock. A hook that was waiting for it finds its file is no longer the one at the
   path and re-opens (see :mod:`auditkit.trail.appender`), so no record lands in an archived segment;
5. compresses the segment (the copy is checked against the original's SHA-256 before the plain
   file goes), records it in ``audit-trail.manifest.json`` and, when a seal key is configured,
   seals the trail so that the segment is covered by a signed checkpoint.

A run cut short at any step is finished by the next one: a segment name still linked to the
active file is dropped, a plain segment is compressed, a segment missing from the manifest is
added. ``verify`` checks the segments and the active file as one chain.
"""

from __future__ import annotations

import fcntl
import glob
import gzip
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from auditkit.custody.seals import default_key_path
from auditkit.custody.seals import seal as do_seal
from auditkit.custody.verify import verify
from auditkit.errors import ArchiveError, TrailFormatError, UsageError
from auditkit.store.files import PathLike, file_sha256, first_record, open_lines
from auditkit.store.names import SEGMENT_NAME as _SEGMENT
from auditkit.trail import appender, private_files
from auditkit.trail import format as tf
from auditkit.trail.capture import who

MANIFEST_VERSION = 1
_TEMP = re.compile(r"^\..+\.(rotating|jsonl\.gz|manifest\.json)\.[0-9a-f]{12}\.tmp$")  # private_files.temp_in names


@dataclass
class Segment:
    """One archived segment of a trail, as the manifest lists it."""

    file: str  # name, relative to the trail's folder
    first_seq: int
    last_seq: int
    records: int
    first_ts: str
    last_ts: str
    head_hash: str  # hash of its last record
    bytes: int  # of the .gz file
    sha256: str  # of the .gz file
    plain_sha256: str  # of the uncompressed bytes
    rotated_at: str
    remnant_bytes: int = 0  # a partial last line (a write cut short) carried into the segment as it was

    def path(self, folder: Path) -> Path:
        return folder / self.file


@dataclass
class Manifest:
    """``<stem>.manifest.json``: the trail's archived segments and the ones retention retired."""

    trail: str
    trail_id: str | None = None
    segments: list[Segment] = field(default_factory=list)
    retired: list[dict] = field(default_factory=list)
    version: int = MANIFEST_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2) + b"\n"


def manifest_path(trail: PathLike) -> Path:
    p = Path(trail)
    return p.with_name(f"{_stem(p)}.manifest.json")


def _stem(trail: Path) -> str:
    return trail.name.removesuffix(".gz").removesuffix(".jsonl")


def read_manifest(trail: PathLike) -> Manifest:
    """The trail's manifest (an empty one when nothing was archived yet)."""
    trail = Path(trail)
    path = manifest_path(trail)
    if path.is_symlink():
        raise ArchiveError(f"{path}: is a symlink, not the manifest; refusing to read or replace it (remove it)")
    if not path.exists():
        return Manifest(trail=trail.name)
    try:
        doc = orjson.loads(path.read_bytes())
        segs = [Segment(**s) for s in doc.get("segments", [])]
        return Manifest(
            trail=doc["trail"],
            trail_id=doc.get("trail_id"),
            segments=segs,
            retired=list(doc.get("retired", [])),
            version=doc.get("version", 1),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ArchiveError(f"{path}: not a readable manifest ({exc})") from exc


def write_manifest(trail: PathLike, manifest: Manifest) -> Path:
    """Replace the manifest atomically (a fresh temporary file, fsync, rename; never through a link)."""
    path = manifest_path(trail)
    private_files.write_atomic(str(path), manifest.to_json())
    return path


def segment_files(trail: PathLike) -> list[Path]:
    """The trail's segment files in its folder (plain or gzipped), in chain order."""
    trail = Path(trail)
    stem = _stem(trail)
    found = []
    for p in trail.parent.iterdir() if trail.parent.is_dir() else []:
        m = _SEGMENT.match(p.name)
        if m and m["stem"] == stem and not p.is_symlink():  # a link named like a segment is not one
            found.append((int(m["first"]), p.name.endswith(".gz"), p))
    return [p for _, _, p in sorted(found)]


@contextmanager
def archive_lock(trail: PathLike) -> Iterator[None]:
    """One rotation or retention run per trail at a time (hooks never take this lock)."""
    trail = Path(trail)
    path = trail.with_name(f"{_stem(trail)}.archive.lock")
    fd = private_files.open_file(str(path), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass
class Rotation:
    """What ``archive`` did."""

    trail: str
    rotated: Segment | None  # the new segment, or None when nothing was due
    reason: str
    sealed: dict | None = None
    recovered: list[str] = field(default_factory=list)  # leftovers of an interrupted run, finished

    def __str__(self) -> str:
        lines = [f"recovered: {r}" for r in self.recovered]
        if self.rotated is None:
            lines.append(f"{self.trail}: not rotated ({self.reason})")
        else:
            s = self.rotated
            lines.append(
                f"{self.trail}: rotated seq {s.first_seq}..{s.last_seq} ({s.records} records, "
                f"{s.bytes:,} bytes gzipped) into {s.file} ({self.reason})"
            )
        if self.sealed:
            lines.append(f"sealed at seq {self.sealed['seq']} in {self.sealed['seal_log']}")
        return "\n".join(lines)


def archive(
    trail: PathLike,
    *,
    max_bytes: int | None = None,
    max_age: timedelta | None = None,
    now: datetime | None = None,
    seal: bool | None = None,
) -> Rotation:
    """Rotate the active trail into a gzip segment when it is over ``max_bytes`` or older than ``max_age``.

    Without either threshold it rotates now. ``seal``: seal the trail after rotating (default:
    when a seal key is configured). Safe while hooks append: see the module's docstring.
    """
    trail = Path(trail)
    if not trail.is_file():
        raise ArchiveError(f"{trail}: no such trail")
    now = now or datetime.now(UTC)
    with archive_lock(trail):
        recovered = _finish_interrupted(trail)
        due, reason = _due(trail, max_bytes, max_age, now)
        segment = None
        if due:
            plain = _swap(trail, now)
            if plain is None:
                reason = "the active segment holds no record after its start"
            else:
                segment = _compress(plain, now)
                _add_to_manifest(trail, segment)
        result = Rotation(str(trail), segment, reason, recovered=recovered)
        if segment is not None and _should_seal(seal):  # under the archive lock: `sync` never sees it unsealed
            result.sealed = do_seal(trail, upto=(segment.last_seq, segment.head_hash))  # the segment on its own
    return result


def _should_seal(seal: bool | None) -> bool:
    if seal is not None:
        return seal
    return default_key_path().is_file()


def _due(trail: Path, max_bytes: int | None, max_age: timedelta | None, now: datetime) -> tuple[bool, str]:
    if max_bytes is None and max_age is None:
        return True, "rotation asked for"
    size = trail.stat().st_size
    if max_bytes is not None and size >= max_bytes:
        return True, f"{size:,} bytes >= {max_bytes:,}"
    if max_age is not None:
        first = first_record(trail)
        started = parse_utc(first.get("ts")) if first else None
        if started is not None and now - started >= max_age:
            return True, f"started {started:%Y-%m-%d %H:%M}Z, older than {_days(max_age)}"
    limits = [
        f"{size:,} bytes < {max_bytes:,}" if max_bytes is not None else "",
        f"younger than {_days(max_age)}" if max_age is not None else "",
    ]
    return False, ", ".join(x for x in limits if x)


def _days(d: timedelta) -> str:
    return f"{d.days}d" if d.seconds == 0 else str(d)


def _swap(trail: Path, now: datetime, adopted: dict | None = None) -> Path | None:
    """Under the trail's lock, link it to its segment name and put a continuing segment in its place.

    The new start carries this installation's mark, which vouches for the chain it continues: so a trail
    whose start has no valid mark is never rotated (it may be a repository's forgery), unless ``adopted``
    (the user's explicit ``auditkit adopt``) is given, which the new start records."""
    fd = private_files.open_file(str(trail), os.O_RDWR | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        key = appender.installation_key()
        foreign = appender.foreign_reason(key, tf.first_line(fd))  # type: ignore[arg-type]
        if foreign and adopted is None:
            raise ArchiveError(
                f"{trail}: not created by this installation ({foreign}); not archived. The hook sets such a "
                f"trail aside at its next event; if it is yours, run `auditkit adopt {trail}`"
            )
        if not foreign and adopted is not None:
            raise ArchiveError(f"{trail}: already this installation's trail (its start is marked): nothing to adopt")
        if adopted is not None:
            adopted["reason"] = foreign
        appender.drain(fd, str(trail))  # records spilled while the lock was held go into this segment
        tail = tf.read_tail(fd)
        first = first_record(trail)  # the archive lock keeps this path on the file just locked
        if tail.hash is None or first is None or not isinstance(first.get("seq"), int):
            raise ArchiveError(f"{trail}: no chained record to continue from; run `auditkit verify {trail}`")
        first_seq, last_seq = first["seq"], tail.next_seq - 1
        if last_seq <= first_seq:
            return None
        trail_id = tf.trail_id_of(first)
        plain = trail.with_name(f"{_stem(trail)}.{first_seq:010d}-{last_seq:010d}.jsonl")
        ts = tf.format_ts(appender.now_ns())
        previous = {"file": plain.name + ".gz", "first_seq": first_seq, "last_seq": last_seq, "last_hash": tail.hash}
        fields = appender.header_fields(trail_id, ts, previous)
        if tail.torn_bytes:  # a write cut short at the very end: it stays in the segment, named here
            fields["recovered"] = {"torn_bytes": tail.torn_bytes, "in_segment": plain.name + ".gz"}
        if adopted is not None:
            fields["data"]["adopted"] = adopted
        appender.mark_start(fields, last_seq + 1, ts, tail.hash, key)
        line = tf.encode_record(last_seq + 1, ts, tail.hash, fields)
        dfd = private_files.open_dir(str(trail.parent))
        try:
            tfd, tmp = private_files.temp_in(dfd, trail.name + ".rotating", where=str(trail.parent))
            try:
                os.write(tfd, line)
                os.fsync(tfd)
            finally:
                os.close(tfd)
            os.fsync(fd)
            try:
                os.link(trail.name, plain.name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            except FileExistsError:
                os.unlink(tmp, dir_fd=dfd)
                raise ArchiveError(
                    f"{plain}: something is there already; refusing to replace it (move it away, "
                    "then run archive again)"
                ) from None
            os.replace(tmp, trail.name, src_dir_fd=dfd, dst_dir_fd=dfd)
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return plain
    finally:
        os.close(fd)  # releases the lock: waiting writers re-open the new file


def _scan_lines(lines) -> tuple[int, bytes | None, bytes | None, str, int]:
    """(records, first record, last record, SHA-256 of all bytes, bytes of a partial last line) of a segment."""
    raw = hashlib.sha256()
    records, first, last, torn = 0, None, None, 0
    for line in lines:
        raw.update(line)
        if line.endswith(b"\n") and tf.line_seq(line) is not None and tf.split_line(line) is not None:
            records += 1
            first = first or line
            last = line
        elif not line.endswith(b"\n"):
            torn = len(line)
    return records, first, last, raw.hexdigest(), torn


def _compress(plain: Path, now: datetime) -> Segment:
    """Gzip a plain segment, check the copy, drop the plain file; return its manifest entry."""
    gz = plain.with_name(plain.name + ".gz")
    folder = str(plain.parent)
    dfd = private_files.open_dir(folder)
    try:
        fd, tmp = private_files.temp_in(dfd, gz.name, where=folder)
        with open(plain, "rb") as src, open(fd, "wb") as dst:
            with gzip.GzipFile(filename="", mode="wb", fileobj=dst, mtime=0) as z:

                def copied():
                    for line in src:
                        z.write(line)
                        yield line

                records, first, last, plain_sha, torn = _scan_lines(copied())
            dst.flush()
            os.fsync(dst.fileno())
        check = hashlib.sha256()
        for line in open_lines(plain.parent / tmp):
            check.update(line)
        if check.hexdigest() != plain_sha:
            os.unlink(tmp, dir_fd=dfd)
            raise ArchiveError(f"{gz}: the compressed copy does not match {plain}; the plain segment was kept")
        os.replace(tmp, gz.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        os.unlink(plain.name, dir_fd=dfd)
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return _entry(gz, first, last, records, plain_sha, iso_utc(now), torn)


def _add_to_manifest(trail: Path, segment: Segment) -> None:
    manifest = read_manifest(trail)
    manifest.segments = [s for s in manifest.segments if s.file != segment.file] + [segment]
    manifest.segments.sort(key=lambda s: s.first_seq)
    if manifest.trail_id is None:
        first = first_record(trail)
        manifest.trail_id = tf.trail_id_of(first)
    write_manifest(trail, manifest)


def _finish_interrupted(trail: Path) -> list[str]:
    """Complete what a rotation cut short: stale links, uncompressed segments, manifest entries.

    Only the kit's own leftovers are removed: regular files, owned by this user, with the names
    rotation gives its temporary files (a link planted under such a name is left alone).
    """
    done = []
    stem = _stem(trail)
    for stray in sorted(trail.parent.glob(f".{glob.escape(stem)}.*.tmp")):
        if _TEMP.match(stray.name) and private_files.remove_own_file(str(stray)):
            done.append(f"removed {stray.name} (a rotation or compression that stopped part way)")
    active = trail.stat()
    for p in segment_files(trail):
        if p.name.endswith(".gz") or not p.exists():
            continue
        st = p.stat()
        if (st.st_ino, st.st_dev) == (active.st_ino, active.st_dev):
            private_files.remove_own_file(str(p))  # linked but never swapped: the active file is still that segment
            done.append(f"removed {p.name}, a second name of the active trail")
            continue
        _add_to_manifest(trail, _compress(p, datetime.now(UTC)))  # (re)writes the .gz from the plain copy
        done.append(f"compressed {p.name}")
    listed = {s.file for s in read_manifest(trail).segments}
    for p in segment_files(trail):
        if p.name not in listed:
            why = _foreign_segment(trail, p)
            if why:
                done.append(_set_segment_aside(trail, p, why))
                continue
            _add_to_manifest(trail, describe_segment(p))
            done.append(f"added {p.name} to the manifest")
    return done


def _foreign_segment(trail: Path, segment: Path) -> str | None:
    """Why a segment the manifest does not list was not made here (None: it was). A segment is this
    installation's when its start is marked, or when the active trail's marked start names it as the segment
    it continues (an adopted trail's first segment)."""
    key = appender.installation_key()
    try:
        head = next(iter(open_lines(segment)), b"").rstrip(b"\n")
    except (TrailFormatError, OSError, EOFError) as exc:
        return f"unreadable ({exc})"
    why = appender.foreign_reason(key, head)  # type: ignore[arg-type]
    if why is None:
        return None
    try:
        fd = private_files.open_file(str(trail), os.O_RDONLY)
        try:
            active = tf.first_line(fd)
        finally:
            os.close(fd)
    except OSError:
        return why
    if appender.foreign_reason(key, active) is None:  # type: ignore[arg-type]
        data = orjson.loads(active).get("data") or {}
        previous = data.get("previous_segment") if isinstance(data, dict) else None
        if isinstance(previous, dict) and previous.get("file") in (segment.name, segment.name + ".gz"):
            return None
    return why


def _set_segment_aside(trail: Path, segment: Path, why: str) -> str:
    """Rename a foreign segment to ``<name>.foreign`` (kept: it may be evidence) and say so in the trail."""
    aside = segment.with_name(segment.name + ".foreign")
    dfd = private_files.open_dir(str(segment.parent), create=False)
    try:
        os.rename(segment.name, aside.name, src_dir_fd=dfd, dst_dir_fd=dfd)
    finally:
        os.close(dfd)
    note = {"what": "segment", "file": aside.name, "bytes": aside.stat().st_size, "sha256": file_sha256(aside),
            "reason": why}  # fmt: skip
    fields = appender.provenance_fields(note)
    with suppress(OSError):  # the trail itself refused too: the rename above and the line returned remain
        appender.append(str(trail), lambda seq, ts: fields)
    return f"set aside {segment.name} as {aside.name}: not created by this installation ({why}); not added"


@dataclass
class Adoption:
    """What ``adopt`` did."""

    trail: str
    segment: Segment
    reason: str

    def __str__(self) -> str:
        s = self.segment
        return (
            f"{self.trail}: adopted ({self.reason}): seq {s.first_seq}..{s.last_seq} archived as {s.file}; "
            f"the trail continues from it under a start marked by this installation, which records the adoption"
        )


def adopt(trail: PathLike) -> Adoption:
    """Make a trail this installation did not mark (one written before marks existed) this installation's own,
    at the user's explicit request: its chain must verify; it is archived as a segment and continued by a
    marked ``trail_start`` whose ``data.adopted`` says who adopted it, when, and why it was not marked."""
    trail = Path(trail)
    if not trail.is_file():
        raise ArchiveError(f"{trail}: no such trail")
    report = verify([trail, *segment_files(trail)], seals=[])
    broken = [f for f in report.findings if f.severity == "error" and f.kind not in ("foreign", "unsealed")]
    if broken:
        raise ArchiveError(f"{trail}: its chain does not verify ({broken[0]}); not adopted")
    now = datetime.now(UTC)
    user, host = who()
    adopted = {"by": user, "host": host, "at": iso_utc(now), "records": report.records}
    with archive_lock(trail):
        plain = _swap(trail, now, adopted)
        if plain is None:
            raise ArchiveError(f"{trail}: it holds no record after its start: nothing to adopt (move it away)")
        segment = _compress(plain, now)
        _add_to_manifest(trail, segment)
    return Adoption(str(trail), segment, str(adopted.get("reason")))


def describe_segment(gz: Path) -> Segment:
    """A segment's entry, read from its own records (never from the manifest); damage raises ArchiveError."""
    try:
        records, first, last, plain_sha, torn = _scan_lines(open_lines(gz))
    except TrailFormatError as exc:
        raise ArchiveError(f"{exc}; run `auditkit verify {gz}`") from exc
    return _entry(gz, first, last, records, plain_sha, iso_utc(datetime.fromtimestamp(gz.stat().st_mtime, UTC)), torn)


def _entry(
    gz: Path, first: bytes | None, last: bytes | None, records: int, plain_sha256: str, when: str, torn: int = 0
) -> Segment:
    a, b = orjson.loads(first or b"{}"), orjson.loads(last or b"{}")
    return Segment(
        file=gz.name,
        first_seq=a.get("seq", -1),
        last_seq=b.get("seq", -1),
        records=records,
        first_ts=a.get("ts", ""),
        last_ts=b.get("ts", ""),
        head_hash=b.get("hash", ""),
        bytes=gz.stat().st_size,
        sha256=file_sha256(gz),
        plain_sha256=plain_sha256,
        rotated_at=when,
        remnant_bytes=torn,
    )


def parse_utc(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


_UNITS = {"d": 1, "w": 7, "y": 365}
_BYTES = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}


def parse_age(text: str) -> timedelta:
    """``365d``, ``26w``, ``1y`` (365 days) or ``12h`` -> a timedelta."""
    m = re.fullmatch(r"\s*(\d+)\s*([hdwy])\s*", text.lower())
    if not m:
        raise UsageError(f"{text!r} is not an age: use a number and h, d, w or y (e.g. 365d)")
    n, unit = int(m[1]), m[2]
    return timedelta(hours=n) if unit == "h" else timedelta(days=n * _UNITS[unit])


def parse_size(text: str) -> int:
    """``100M``, ``1G``, ``500k`` or a byte count -> bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmg]?b?)\s*", text.lower())
    if not m:
        raise UsageError(f"{text!r} is not a size: use a number with k, M or G (e.g. 100M)")
    return int(m[1]) * _BYTES[m[2]]
