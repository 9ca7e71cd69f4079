"""``auditkit sync``: write-once copies in S3 (Object Lock, COMPLIANCE mode) that no one can change.

What is copied is what no longer changes: the archived segments (``audit-trail.<first>-<last>.jsonl.gz``),
and, as new versions of the same keys, the seal log and the manifest. Keys are
``<prefix>/<trail id>/<file name>``, so trails of many machines share a bucket without colliding.
Every upload carries its SHA-256 (S3 checks it on arrival, ``x-amz-checksum-sha256``) and a COMPLIANCE
retention until ``now + lock_days`` (default: the configured retention minimum, six months unless
set), which not even the account's root user can shorten. An object already there with the same
SHA-256 is skipped, so a second run uploads nothing. A bucket without Object Lock is refused unless
``allow_unlocked``. ``fetch`` brings a prefix back to a folder, for ``auditkit verify s3://...``.

boto3 is an optional extra: ``pip install 'auditkit[s3]'``.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditkit.custody.retention import configured_minimum
from auditkit.custody.seals import seal_log_path
from auditkit.custody.segments import manifest_path, segment_files
from auditkit.errors import MissingExtra, ShipError
from auditkit.store.files import PathLike, expand, first_record
from auditkit.store.names import active_trail, is_seal_log
from auditkit.trail import format as tf


def _client(endpoint_url: str | None):
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

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def files_to_keep(paths: PathLike | list[PathLike]) -> list[tuple[str, Path]]:
    """(trail id, file) for every file that no longer changes: archived segments, seal logs, manifests."""
    trails: dict[Path, str] = {}
    for f in expand(paths):
        trail = active_trail(f)
        if is_seal_log(f) or f.name.endswith(".manifest.json") or trail in trails:
            continue
        first = first_record(trail if trail.is_file() else f) or {}
        tid = tf.trail_id_of(first)
        if tid:
            trails[trail] = tid
    out = []
    for trail, tid in sorted(trails.items(), key=lambda t: str(t[0])):
        for seg in segment_files(trail):
            if seg.name.endswith(".gz"):
                out.append((tid, seg))
        for extra in (seal_log_path(trail), manifest_path(trail)):
            if extra.is_file():
                out.append((tid, extra))
    return out


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
) -> SyncResult:
    """Copy the finished files of the trails in ``paths`` to ``to`` (``s3://bucket/prefix``), locked."""
    bucket, prefix = split_url(to)
    s3 = client or _client(endpoint_url)
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
    days = lock_days if lock_days is not None else configured_minimum()[0].days
    until = (now or datetime.now(UTC)) + timedelta(days=days)
    result.retain_until = until.isoformat(timespec="seconds")
    for tid, path in files_to_keep(paths):
        key = "/".join(p for p in (prefix, tid, path.name) if p)
        digest = _sha256(path)
        if _same(s3, bucket, key, digest):
            result.skipped.append(key)
            continue
        extra = {}
        if result.locked:
            extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
        with open(path, "rb") as body:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(digest).decode(),
                Metadata={"sha256": digest.hex(), "trail-id": tid},
                **extra,
            )
        result.uploaded.append(key)
    return result


def _same(s3: object, bucket: str, key: str, digest: bytes) -> bool:
    try:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")  # type: ignore[attr-defined]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if str(code) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise ShipError(f"s3://{bucket}/{key}: cannot be checked ({code or exc})") from None
    held = head.get("ChecksumSHA256") or ""
    meta = (head.get("Metadata") or {}).get("sha256", "")
    return held == base64.b64encode(digest).decode() or meta == digest.hex()


def fetch(url: str, folder: PathLike, *, endpoint_url: str | None = None, client: object = None) -> list[Path]:
    """Download every object under ``url`` into ``folder`` (keys below the prefix kept as paths)."""
    bucket, prefix = split_url(url)
    s3 = client or _client(endpoint_url)
    folder = Path(folder)
    out = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "")
    for page in pages:
        for obj in page.get("Contents", []):
            rel = obj["Key"][len(prefix) :].lstrip("/") if prefix else obj["Key"]
            if not rel or ".." in Path(rel).parts:
                continue
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            out.append(target)
    if not out:
        raise ShipError(f"{url}: no objects found")
    return out


@contextmanager
def local_copies(paths: list[str], *, endpoint_url: str | None = None) -> Iterator[list[str]]:
    """``paths`` with each ``s3://`` URL replaced by a temporary folder holding its objects (removed after)."""
    if not any(p.startswith("s3://") for p in paths):
        yield paths
        return
    with tempfile.TemporaryDirectory(prefix="auditkit-s3-") as tmp:
        local = []
        for i, p in enumerate(paths):
            if p.startswith("s3://"):
                fetch(p, Path(tmp) / str(i), endpoint_url=endpoint_url)
                p = str(Path(tmp) / str(i))
            local.append(p)
        yield local
