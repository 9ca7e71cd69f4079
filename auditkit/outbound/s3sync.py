"""``auditkit sync``: write-once copies in S3 (Object Lock, COMPLIANCE mode) that no one can change.

What is copied is what no longer changes: the archived segments (``audit-trail.<first>-<last>.jsonl.gz``),
and, as new versions of the same keys, the seal log and the manifest. Keys are
``<prefix>/<trail id>/<file name>``, so trails of many machines share a bucket without colliding.
Every upload carries its SHA-256 (S3 checks it on arrival, ``x-amz-checksum-sha256``) and a COMPLIANCE
retention until ``now + lock_days`` (default: the configured retention minimum, six months unless
set), which not even the account's root user can shorten. An object already there with the same
SHA-256 is skipped, so a second run uploads nothing. A bucket without Object Lock is refused unless
``allow_unlocked``. The seal log goes up only as far as the segments reach (see :func:`files_to_keep`).
``auditkit verify s3://...`` reads the copies back, every version of them: see :mod:`auditkit.outbound.s3verify`.

boto3 is an optional extra: ``pip install 'auditkit[s3]'``.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from auditkit.custody.pii import Detector, choice, minimised_segment
from auditkit.custody.retention import MAX_MINIMUM, configured_minimum
from auditkit.custody.seals import seal_log_path
from auditkit.custody.segments import archive_lock, manifest_path, segment_files
from auditkit.errors import MissingExtra, ShipError
from auditkit.store.files import PathLike, expand, first_record
from auditkit.store.names import SEGMENT_NAME, active_trail, is_seal_log
from auditkit.trail import format as tf


def s3_client(endpoint_url: str | None):
    """A boto3 S3 client (``endpoint_url``: MinIO, a test server), or MissingExtra naming the ``s3`` extra."""
    try:
        import boto3
    except ImportError:
        raise MissingExtra("S3", "s3", "boto3") from None
    return boto3.client("s3", endpoint_url=endpoint_url)


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix``)."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise ShipError(f"{url}: not an s3://bucket/prefix URL")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix.strip("/")


@dataclass
class SyncResult:
    destination: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    retain_until: str = ""
    locked: bool = True
    #: seal logs uploaded without their newest seals, which cover records only the live trail holds yet
    held_back: list[str] = field(default_factory=list)
    #: the personal-data choice (--pii or [pii] outbound) and, per segment, what was found
    pii: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _trails(paths: PathLike | list[PathLike]) -> list[tuple[str, Path]]:
    """(trail id, active trail path) of every trail in ``paths``."""
    trails: dict[Path, str] = {}
    for f in expand(paths):
        trail = active_trail(f)
        if is_seal_log(f) or f.name.endswith(".manifest.json") or trail in trails:
            continue
        first = first_record(trail if trail.is_file() else f) or {}
        tid = tf.trail_id_of(first)
        if tid:
            trails[trail] = tid
    return sorted(((tid, trail) for trail, tid in trails.items()), key=lambda t: str(t[1]))


def files_to_keep(paths: PathLike | list[PathLike]) -> list[tuple[str, Path, bytes | None]]:
    """(trail id, file, bytes to upload or None for the file as it is) for every file that no longer changes.

    Per trail, in upload order: its gzipped segments, then its seal log, then its manifest. The manifest
    is read first (a rotation meanwhile adds a segment it does not list, never the other way round), and
    the seal log is cut before the first seal of a record no segment holds yet: a seal of the live trail
    (``auditkit seal``, a session's end) covers records a copy in the bucket cannot show, and would read
    there as a cut tail. Such seals go up with the segment that archives their records. Each upload of the
    seal log is thus a whole-line prefix of the one after it, as ``verify s3://`` requires.
    """
    out: list[tuple[str, Path, bytes | None]] = []
    for tid, trail in _trails(paths):
        with _archive_lock_if_possible(trail):  # a rotation seals its segment under this lock: seen whole
            manifest = manifest_path(trail)
            manifest_bytes = manifest.read_bytes() if manifest.is_file() else None
            segments = [s for s in segment_files(trail) if s.name.endswith(".gz")]
            log = seal_log_path(trail)
            log_bytes = log.read_bytes() if log.is_file() else b""
        out += [(tid, seg, None) for seg in segments]
        kept = covered_seals(log_bytes, tid, max((_last_seq(seg) for seg in segments), default=-1))
        if kept:
            out.append((tid, log, kept))
        if manifest_bytes is not None:
            out.append((tid, manifest, manifest_bytes))
    return out


@contextmanager
def _archive_lock_if_possible(trail: Path) -> Iterator[None]:
    """The trail's archive lock, or nothing where it cannot be taken (a read-only copy of a trail's folder)."""
    try:
        lock = archive_lock(trail)
        lock.__enter__()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def _last_seq(segment: Path) -> int:
    m = SEGMENT_NAME.match(segment.name)
    return int(m["last"]) if m else -1


def covered_seals(log: bytes, trail_id: str, archived: int) -> bytes:
    """The seal log's whole lines up to (not including) the first seal of ``trail_id`` past seq ``archived``."""
    kept = 0
    for line in log.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # being written
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict) and body.get("type") == tf.SEAL_TYPE and body.get("trail_id") == trail_id:
            seq = body.get("seq")
            if not isinstance(seq, int) or seq > archived:
                break
        kept += len(line)
    return log[:kept]


def _sha256(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def sync(
    paths: PathLike | list[PathLike],
    to: str,
    *,
    endpoint_url: str | None = None,
    lock_days: int | None = None,
    allow_unlocked: bool = False,
    now: datetime | None = None,
    client: object = None,
    pii: str | None = None,
) -> SyncResult:
    """Copy the finished files of the trails in ``paths`` to ``to`` (``s3://bucket/prefix``), locked.

    ``pii`` (default: ``[pii] outbound``, off): with ``redact`` or ``mask``, each segment goes up as its
    minimised copy (``<segment>.pii-<mode>.jsonl.gz``, a new chain naming its source) instead of itself; with
    ``report``, as it is. Either way its object's metadata says the mode and what it held (``pii-*``)."""
    detector, said = choice(pii)  # the pii extra loads only when a policy (or --pii) asks for it
    days = lock_days if lock_days is not None else configured_minimum()[0].days
    if not 1 <= days <= MAX_MINIMUM.days:
        raise ShipError(
            f"--lock-days {days}: use 1 .. {MAX_MINIMUM.days} (ten years); a COMPLIANCE lock cannot be undone"
        )
    bucket, prefix = split_url(to)
    s3 = client or s3_client(endpoint_url)
    result = SyncResult(to)
    try:
        conf = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        result.locked = conf.get("ObjectLockEnabled") == "Enabled"
    except Exception as exc:  # botocore's ClientError: no configuration, no bucket, no access
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        if code not in ("ObjectLockConfigurationNotFoundError", "InvalidRequest"):
            raise ShipError(f"{to}: cannot read the bucket's Object Lock configuration ({code})") from None
        result.locked = False
    if not result.locked and not allow_unlocked:
        raise ShipError(
            f"{to}: the bucket has no Object Lock, so its copies could be deleted or replaced; "
            "create it with Object Lock enabled, or pass --allow-unlocked"
        )
    until = (now or datetime.now(UTC)) + timedelta(days=days)
    result.retain_until = until.isoformat(timespec="seconds")
    result.pii = said
    with tempfile.TemporaryDirectory(prefix="auditkit-sync-") as tmp:
        meta: dict[str, dict[str, str]] = {}
        files = files_to_keep(paths)
        if detector is not None:
            files = _minimised(files, detector, Path(tmp), meta)
        for tid, path, data in files:
            _upload(s3, bucket, prefix, tid, path, data, result, until, meta.get(path.name, {}))
    return result


def _minimised(
    files: list[tuple[str, Path, bytes | None]], detector: Detector, tmp: Path, meta: dict[str, dict[str, str]]
) -> list[tuple[str, Path, bytes | None]]:
    """``files`` with each segment replaced by its minimised copy (``report``: kept); ``meta`` gets, per file
    name, what its object's metadata says: the mode, the source's SHA-256 and the counts by kind (no file
    beside it: ``verify s3://`` reads every other object as a trail)."""
    out: list[tuple[str, Path, bytes | None]] = []
    for tid, path, data in files:
        if data is None and path.name.endswith(".gz"):
            copy, manifest = minimised_segment(path, detector, tmp / tid)
            chosen = copy or path
            meta[chosen.name] = {
                "pii-mode": detector.mode,
                "pii-source": manifest["source"],
                "pii-source-sha256": manifest["source_sha256"],
                "pii-found": orjson.dumps(manifest["found"], option=orjson.OPT_SORT_KEYS).decode()[:1500],
            }
            out.append((tid, chosen, None if copy is None else copy.read_bytes()))
            continue
        out.append((tid, path, data))
    return out


def _upload(
    s3: object,
    bucket: str,
    prefix: str,
    tid: str,
    path: Path,
    data: bytes | None,
    result: SyncResult,
    until: datetime,
    meta: dict[str, str],
) -> None:
    """Put one file (``data``: its bytes to upload, or None for the file as it is) unless the bucket has it."""
    key = "/".join(p for p in (prefix, tid, path.name) if p)
    digest = _sha256(path) if data is None else hashlib.sha256(data).digest()
    if data is not None and path.name.endswith(".seals.jsonl") and len(data) < path.stat().st_size:
        result.held_back.append(key)
    if _same(s3, bucket, key, None if meta.get("pii-mode") in ("redact", "mask") else digest) or (
        path.name.endswith(".seals.jsonl") and data is not None and _holds_more(s3, bucket, key, path, data)
    ):
        result.skipped.append(key)
        return
    extra = {}
    if result.locked:
        extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
    with open(path, "rb") if data is None else nullcontext(data) as body:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(digest).decode(),
            Metadata={"sha256": digest.hex(), "trail-id": tid, **meta},
            **extra,
        )
    result.uploaded.append(key)


def _same(s3: object, bucket: str, key: str, digest: bytes | None) -> bool:
    """Whether the bucket holds ``key`` with this SHA-256 (``digest`` None: at all; a minimised copy is made
    anew each run, with a new trail id, and goes up once)."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")  # type: ignore[attr-defined]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if str(code) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise ShipError(f"s3://{bucket}/{key}: cannot be checked ({code or exc})") from None
    if digest is None:
        return True
    held = head.get("ChecksumSHA256") or ""
    meta = (head.get("Metadata") or {}).get("sha256", "")
    return held == base64.b64encode(digest).decode() or meta == digest.hex()


def _holds_more(s3: object, bucket: str, key: str, log: Path, cut: bytes) -> bool:
    """The bucket's newest seal log already holds ``cut`` and more of the local log (a copy an earlier sync
    made whole): a shorter upload would read as the log going backwards, so none is made."""
    try:
        there = s3.get_object(Bucket=bucket, Key=key)["Body"].read(log.stat().st_size + 1)  # type: ignore[attr-defined]
    except Exception:
        return False  # no copy (or a delete marker): the cut goes up
    return len(there) >= len(cut) and log.read_bytes().startswith(there)
