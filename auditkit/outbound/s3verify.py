"""``auditkit verify s3://bucket/prefix``: what the bucket's versions and locks say, not only its newest listing.

A bucket is not trusted: whoever can write to it can put a delete marker over a copy (the newest
listing no longer shows it), put an older seal log back over a newer one, add objects `sync` never
wrote, or put keys that are paths (``../x``, ``/etc/x``, ``x/a`` beside ``x/a/b``). So the copies are
read from ``ListObjectVersions``, never from the newest listing alone:

- every version of every key under the prefix is downloaded, hidden ones too, to a name this module
  makes (``k<n>/<name>``): a key is never used as a path; one that is no plain name is reported;
- a delete marker is a finding of its own (an error unless the version it covers had its lock end
  before the marker was placed, as a lifecycle rule would), and what it hides is verified all the same;
- versions of one key must agree: a segment (gzip) is written once, so a second, different version is
  an error; a seal log or plain trail only grows, so each version must begin with the bytes of every
  older one (an older seal log put back over a newer one is an error); every seal in any version is
  checked, and the trail is verified from the original segment;
- every version of a manifest must keep what the older ones listed, and each segment a manifest lists
  must be in the bucket (some version of it, with the manifest's SHA-256): a segment deleted for good
  (possible without a COMPLIANCE lock) is an error even when the seal log went with it;
- each version's retention (``ObjectLockMode``, ``ObjectLockRetainUntilDate``, as ``GetObject`` reports
  them) is reported: a copy with no lock, in GOVERNANCE mode, or with its lock ended is a warning;
- with a public key, seals are required: a trail in the bucket with no valid seal is an error.

The trail itself is then verified by :func:`auditkit.custody.verify.verify` from the downloaded files, and
every local name in its report is given back as its ``s3://`` name.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from auditkit.custody import seals as sealing
from auditkit.custody.seals import seal_log_path
from auditkit.custody.verify import ERROR, WARNING, Finding, VerifyReport, verify
from auditkit.errors import ShipError
from auditkit.outbound.s3sync import s3_client, split_url
from auditkit.safe_text import visible
from auditkit.store.files import PathLike, expand
from auditkit.trail import config
from auditkit.trail import format as tf

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")  # a key's last part used as a local file name as it is
_SEGMENT_GZ = re.compile(r"^.+\.\d{10}-\d{10}\.jsonl\.gz$")
_SHOWN = 5  # keys named in a finding that sums up many


@dataclass
class Version:
    """One version of one key, as listed, downloaded and checked."""

    key: str
    version_id: str
    size: int
    listed_at: datetime
    order: int  # 0 = the newest version of its key (S3 lists a key's versions newest first)
    sha256: str = ""
    lock_mode: str | None = None
    retain_until: datetime | None = None
    local: Path | None = None
    hidden: bool = False  # under a delete marker that is its key's newest entry

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "version_id": self.version_id,
            "size": self.size,
            "listed_at": self.listed_at.isoformat(),
            "sha256": self.sha256,
            "lock_mode": self.lock_mode,
            "retain_until": self.retain_until.isoformat() if self.retain_until else None,
            "hidden": self.hidden,
        }


@dataclass
class Marker:
    key: str
    version_id: str
    placed_at: datetime
    latest: bool


@dataclass
class BucketCopy:
    """What one ``s3://`` URL holds, brought to a local folder, and what was found about its objects."""

    url: str
    bucket: str
    versions: list[Version] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    trails: list[Path] = field(default_factory=list)  # local files verified as trails
    seal_logs: list[Path] = field(default_factory=list)  # every seal log version no other version holds
    findings: list[Finding] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # local path -> s3:// name shown

    def summary(self) -> dict:
        modes: dict[str, int] = {}
        for v in self.versions:
            modes[v.lock_mode or "none"] = modes.get(v.lock_mode or "none", 0) + 1
        ends = [v.retain_until for v in self.versions if v.retain_until is not None]
        return {
            "url": self.url,
            "keys": len({v.key for v in self.versions}),
            "versions": len(self.versions),
            "delete_markers": len(self.markers),
            "locks": modes,
            "earliest_retain_until": min(ends).isoformat() if ends else None,
            "objects": [v.to_dict() for v in self.versions],
        }


def shown(key: str) -> str:
    """A key as text for a terminal or a report: control characters (newlines too) written as escapes."""
    return visible(key).replace("\n", "\\n")


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "") or type(exc).__name__)


def _listing(s3: object, bucket: str, prefix: str, url: str) -> tuple[list[Version], list[Marker]]:
    versions, markers = [], []
    try:
        pages = s3.get_paginator("list_object_versions").paginate(  # type: ignore[attr-defined]
            Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""
        )
        seen: dict[str, int] = {}
        for page in pages:
            for v in page.get("Versions", []):
                n = seen[v["Key"]] = seen.get(v["Key"], -1) + 1
                versions.append(Version(v["Key"], v.get("VersionId") or "null", v.get("Size", 0), v["LastModified"], n))
            for m in page.get("DeleteMarkers", []):
                markers.append(
                    Marker(m["Key"], m.get("VersionId") or "null", m["LastModified"], bool(m.get("IsLatest")))
                )
    except ShipError:
        raise
    except Exception as exc:  # botocore's ClientError: no bucket, no access, no ListObjectVersions
        raise ShipError(f"{url}: cannot list the bucket's object versions ({_code(exc)})") from None
    return versions, markers


def _download(s3: object, bucket: str, v: Version, target: Path) -> None:
    try:
        got = s3.get_object(Bucket=bucket, Key=v.key, VersionId=v.version_id)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ShipError(
            f"s3://{bucket}/{shown(v.key)} (version {v.version_id}): cannot be read ({_code(exc)})"
        ) from None
    v.lock_mode = got.get("ObjectLockMode") or None
    until = got.get("ObjectLockRetainUntilDate")
    v.retain_until = until.astimezone(UTC) if isinstance(until, datetime) else None
    h = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out, got["Body"] as body:
        for block in iter(lambda: body.read(1 << 20), b""):
            h.update(block)
            out.write(block)
    v.sha256 = h.hexdigest()
    v.local = target


def _is_prefix(older: Path, newer: Path) -> bool:
    """The bytes of ``older`` begin ``newer``."""
    if older.stat().st_size > newer.stat().st_size:
        return False
    with open(older, "rb") as a, open(newer, "rb") as b:
        while block := a.read(1 << 20):
            if b.read(len(block)) != block:
                return False
    return True


def fetch(
    url: str, folder: Path, *, endpoint_url: str | None = None, client: object = None, now: datetime | None = None
) -> BucketCopy:
    """Download every version of every object under ``url`` into ``folder`` and judge what the versions,
    delete markers and locks say (see the module's docstring)."""
    bucket, prefix = split_url(url)
    s3 = client or s3_client(endpoint_url)
    now = now or datetime.now(UTC)
    copy = BucketCopy(url, bucket)
    copy.versions, copy.markers = _listing(s3, bucket, prefix, url)
    if not copy.versions:
        raise ShipError(f"{url}: no objects found" + (" (only delete markers)" if copy.markers else ""))

    by_key: dict[str, list[Version]] = {}
    for v in copy.versions:
        by_key.setdefault(v.key, []).append(v)
    dirs: dict[str, Path] = {}
    odd_keys: list[str] = []
    for n, (key, versions) in enumerate(sorted(by_key.items())):
        rel = key[len(prefix) + 1 :] if prefix else key
        name = rel.rpartition("/")[2]
        if not all(_SAFE.fullmatch(p) for p in rel.split("/")):  # '', '.' and '..' are no plain names either
            odd_keys.append(key)
        # one folder per key "directory" as written ('/x/' and 'x/' apart), one file per name in it; a name that
        # is no plain one gets the key's number, in a form no plain name has (they begin with a letter or digit)
        home = dirs.setdefault(rel[: len(rel) - len(name)], folder / f"k{len(dirs)}")
        local_name = name if _SAFE.fullmatch(name) else f"_object-{n}"
        versions.sort(key=lambda v: -v.order)  # oldest first
        for i, v in enumerate(versions):
            where = home if i == 0 else home.with_name(f"{home.name}.v{i}")
            where.mkdir(exist_ok=True)
            _download(s3, bucket, v, where / local_name)
            label = f"s3://{bucket}/{shown(key)}"
            copy.names[str(v.local)] = label if len(versions) == 1 else f"{label} (version {v.version_id})"
        _judge_key(copy, key, local_name, versions)
    if odd_keys:
        copy.findings.append(
            Finding(
                "s3_key_name",
                WARNING,
                f"{len(odd_keys)} key(s) are no plain name below the prefix (a '..', '.' or empty part, or "
                f"characters sync never writes): {', '.join(shown(k) for k in odd_keys[:_SHOWN])}; "
                "each was read under a name of the kit's own, never as a path, and verified as what it holds",
                url,
            )
        )
    unversioned = [v.key for v in copy.versions if v.version_id == "null"]
    if unversioned:
        copy.findings.append(
            Finding(
                "s3_unversioned",
                WARNING,
                f"{len(unversioned)} object(s) were written while the bucket kept no versions: an overwrite or a "
                f"delete of them leaves nothing to compare: {', '.join(shown(k) for k in unversioned[:_SHOWN])}",
                url,
            )
        )
    _judge_markers(copy, by_key)
    _judge_manifests(copy, by_key)
    _judge_locks(copy, now)
    return copy


def _judge_key(copy: BucketCopy, key: str, name: str, versions: list[Version]) -> None:
    """Decide which versions of one key are verified, and report versions that disagree."""
    label = f"s3://{copy.bucket}/{shown(key)}"
    if name.endswith(".manifest.json"):
        return  # judged as a whole by _judge_manifests
    distinct: list[Version] = []
    for v in versions:
        if all(v.sha256 != d.sha256 for d in distinct):
            distinct.append(v)
    if name.endswith(".gz") or _SEGMENT_GZ.match(name):
        if len(distinct) > 1:
            copy.findings.append(
                Finding(
                    "s3_rewritten",
                    ERROR,
                    f"{len(distinct)} different versions of a copy written once "
                    f"({', '.join(f'{d.version_id} of {d.listed_at:%Y-%m-%d %H:%M:%S}Z' for d in distinct)}): "
                    "it was replaced after sync wrote it; the first is verified",
                    label,
                )
            )
        copy.trails.append(distinct[0].local)  # type: ignore[arg-type]
        return
    # a seal log or a plain file only grows: every version must begin with the one before it (so with all older)
    for older, newer in itertools.pairwise(versions):
        if older.sha256 != newer.sha256 and not _is_prefix(older.local, newer.local):  # type: ignore[arg-type]
            what = "seal log" if name.endswith(".seals.jsonl") else "file"
            copy.findings.append(
                Finding(
                    "s3_rewound",
                    ERROR,
                    f"version {newer.version_id} ({newer.listed_at:%Y-%m-%d %H:%M:%S}Z) of this {what} does "
                    f"not continue the version before it, {older.version_id}: "
                    + (
                        "an older or other seal log was put over a newer one (every version's seals are checked)"
                        if what == "seal log"
                        else "it was rewritten, not appended to"
                    ),
                    label,
                )
            )
    kept = [
        v
        for v in distinct
        if not any(o is not v and o.size >= v.size and _is_prefix(v.local, o.local) for o in distinct)  # type: ignore[arg-type]
    ]
    if name.endswith(".seals.jsonl"):
        copy.seal_logs.extend(v.local for v in kept)  # type: ignore[misc]
    else:
        copy.trails.append(kept[0].local)  # type: ignore[arg-type]


def _judge_markers(copy: BucketCopy, by_key: dict[str, list[Version]]) -> None:
    for m in copy.markers:
        label = f"s3://{copy.bucket}/{shown(m.key)}"
        below = [v for v in by_key.get(m.key, []) if v.listed_at <= m.placed_at] or by_key.get(m.key, [])
        if m.latest:
            for v in by_key.get(m.key, []):
                v.hidden = True
        if not below:
            copy.findings.append(
                Finding(
                    "s3_delete_marker",
                    WARNING,
                    f"a delete marker ({m.placed_at:%Y-%m-%d %H:%M:%S}Z) with no version below it: whatever it "
                    "hid is gone for good (possible only without a COMPLIANCE lock)",
                    label,
                )
            )
            continue
        expired = all(v.retain_until is not None and v.retain_until <= m.placed_at for v in below)
        hides = "hides the key from the newest listing" if m.latest else "was placed over it (a newer version follows)"
        copy.findings.append(
            Finding(
                "s3_delete_marker",
                WARNING if expired else ERROR,
                f"a delete marker of {m.placed_at:%Y-%m-%d %H:%M:%S}Z {hides}; "
                + (
                    "its versions' locks had ended (a lifecycle rule does this)"
                    if expired
                    else f"its {len(below)} version(s) are still there, and were verified: someone tried to delete "
                    "evidence"
                ),
                label,
            )
        )


def _manifest_entries(path: Path) -> tuple[dict[str, str], set[str], set[str]] | None:
    """(listed segment file -> its sha256, every file the manifest names, the retired ones), or None when
    unreadable."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("segments", []), list):
        return None
    listed: dict[str, str] = {}
    for s in doc.get("segments", []):
        if isinstance(s, dict) and isinstance(s.get("file"), str):
            listed[s["file"]] = s["sha256"] if isinstance(s.get("sha256"), str) else ""
    retired = {
        r["file"]
        for r in (doc.get("retired") or [] if isinstance(doc.get("retired"), list) else [])
        if isinstance(r, dict) and isinstance(r.get("file"), str)
    }
    return listed, set(listed) | retired, retired


def _judge_manifests(copy: BucketCopy, by_key: dict[str, list[Version]]) -> None:
    for key, versions in sorted(by_key.items()):
        if not key.endswith(".manifest.json"):
            continue
        label = f"s3://{copy.bucket}/{shown(key)}"
        parent = key.rpartition("/")[0]
        earlier: set[str] = set()
        read = [(v, _manifest_entries(v.local) if v.local else None) for v in versions]  # oldest first
        # a segment retention retired (a later manifest says so) may be gone once its lock ended: verify
        # accepts the missing records only under the signed retirement statement in the seal log
        retired = {f for _, e in read if e is not None for f in e[2]}
        missing: set[str] = set()
        for v, entries in read:
            if entries is None:
                copy.findings.append(
                    Finding("s3_manifest", ERROR, f"version {v.version_id} is not a readable manifest", label)
                )
                continue
            listed, named, _ = entries
            dropped = sorted(earlier - named)
            if dropped:
                copy.findings.append(
                    Finding(
                        "s3_manifest_rewound",
                        ERROR,
                        f"version {v.version_id} no longer names {len(dropped)} segment(s) an older version "
                        f"listed ({', '.join(shown(d) for d in dropped[:_SHOWN])}): an older manifest was put back",
                        label,
                    )
                )
            earlier |= named
            for file, sha in sorted(listed.items()):
                held = by_key.get(f"{parent}/{file}" if parent else file, [])
                if "/" in file or not held:
                    if file in retired or file in missing:
                        continue
                    missing.add(file)
                    copy.findings.append(
                        Finding(
                            "s3_missing",
                            ERROR,
                            f"manifest version {v.version_id} lists segment {shown(file)}, which the bucket holds "
                            "in no version: it was deleted for good (possible only without a COMPLIANCE lock)",
                            label,
                        )
                    )
                elif sha and all(h.sha256 != sha for h in held):
                    copy.findings.append(
                        Finding(
                            "s3_mismatch",
                            ERROR,
                            f"manifest version {v.version_id} gives segment {shown(file)} a SHA-256 no version of "
                            "it in the bucket has: the segment was replaced",
                            label,
                        )
                    )


def _judge_locks(copy: BucketCopy, now: datetime) -> None:
    groups: dict[str, list[Version]] = {"none": [], "GOVERNANCE": [], "ended": []}
    for v in copy.versions:
        if v.lock_mode is None or v.retain_until is None:
            groups["none"].append(v)
        elif v.retain_until <= now:
            groups["ended"].append(v)
        elif v.lock_mode != "COMPLIANCE":
            groups["GOVERNANCE"].append(v)
    why = {
        "none": "carry no Object Lock retention (none set, or no s3:GetObjectRetention permission to see it): "
        "whoever can write to the bucket could have deleted or replaced them, so an older state of the bucket "
        "would verify too",
        "GOVERNANCE": "are locked in GOVERNANCE mode only: anyone allowed s3:BypassGovernanceRetention can "
        "delete or replace them",
        "ended": "had their lock end: they can be deleted or replaced now",
    }
    for kind, vs in groups.items():
        if vs:
            names = ", ".join(shown(v.key) for v in vs[:_SHOWN]) + (", ..." if len(vs) > _SHOWN else "")
            copy.findings.append(
                Finding("s3_unlocked", WARNING, f"{len(vs)} object version(s) {why[kind]}: {names}", copy.url)
            )


@dataclass
class Copies:
    """The paths to verify (``s3://`` URLs replaced by their downloaded trail files) and the buckets read."""

    paths: list[str]
    buckets: list[BucketCopy]

    def seal_logs(self, given: list[str] | str | None) -> list[str] | str | None:
        """The seal logs verify reads: the ones given, or (with a bucket) every bucket's seal log versions plus
        the default ones beside local trails."""
        if not self.buckets:
            return given
        logs = [given] if isinstance(given, str) else list(given or [])
        if not logs:
            local = [p for p in self.paths if not any(p in b.names for b in self.buckets)]
            logs += sorted(
                {str(seal_log_path(f)) for f in expand(local) if seal_log_path(f).is_file()} if local else []
            )
        return logs + [str(p) for b in self.buckets for p in b.seal_logs]

    def judge(self, report: VerifyReport, pubkey: str | None) -> VerifyReport:
        """Add the buckets' findings to ``report``, require seals when a key is given, and name every
        downloaded file by its ``s3://`` name."""
        if not self.buckets:
            return report
        # the key verify itself uses: given, or configured beside the seal key (then seals are required too)
        configured = Path(config.seal_pubkey_path())
        key_file = Path(pubkey) if pubkey else configured if configured.is_file() else None
        public = sealing.load_verifier(key_file) if key_file else None
        names = {k: v for b in self.buckets for k, v in b.names.items()}
        sealed: dict[str, int] = {}  # trail id -> the highest seq a good seal covers
        for b in self.buckets:
            for log in b.seal_logs:
                for s in sealing.read_seals(log, public):
                    good = s.get("valid") is True or (public is None and s.get("valid") is None)
                    if s.get("type") == tf.SEAL_TYPE and "error" not in s and good:
                        sealed[s["trail_id"]] = max(sealed.get(s["trail_id"], -1), s["seq"])
            report.findings.extend(b.findings)
        for tid, t in report.trails.items():
            if not any(f in names for f in t["files"]):
                continue
            where = next(names[f] for f in t["files"] if f in names)
            if tid in sealed:
                last = t["last_seq"]
                if public is not None and all(f in names for f in t["files"]) and last > sealed[tid]:
                    report.findings.append(
                        Finding(
                            "s3_unsealed_records",
                            ERROR,
                            f"records seq {sealed[tid] + 1}..{last} of trail {tid} in the bucket come after its "
                            "latest valid seal: the chain is not keyed, so anyone who can write to the bucket could "
                            "have added them (a seal key when archiving seals each segment; archive and sync again)",
                            where,
                        )
                    )
                continue
            if public is not None:
                report.findings.append(
                    Finding(
                        "s3_unsealed",
                        ERROR,
                        f"a public key was given, so seals are required, but the bucket holds no valid seal of "
                        f"trail {tid}: its seal log is missing (deleted, or never synced), so a cut or rewritten "
                        "trail would pass",
                        where,
                    )
                )
            else:
                report.findings.append(
                    Finding(
                        "s3_unsealed",
                        WARNING,
                        f"the bucket holds no seal of trail {tid}: a cut tail or a trail rewritten as a new "
                        "chain cannot be seen (with --pubkey this is an error)",
                        where,
                    )
                )
        # one cause, one finding: where the bucket holds no seal of a trail, its own finding says so
        # (verify's generic "unsealed" for the same files would repeat it without naming the bucket)
        bucketed = {f.file for f in report.findings if f.kind == "s3_unsealed" and f.severity == ERROR}
        if bucketed:
            unsealed_trails = [t["files"] for t in report.trails.values() if bucketed & set(map(names.get, t["files"]))]
            covered = {f for files in unsealed_trails for f in files}
            report.findings = [f for f in report.findings if not (f.kind == "unsealed" and f.file in covered)]
        _rename(report, names)
        order = {ERROR: 0, WARNING: 1}
        report.findings.sort(key=lambda f: (order[f.severity], f.file or "", f.line or 0))
        return report


def _rename(report: VerifyReport, names: dict[str, str]) -> None:
    def name(p: object) -> object:
        return names.get(p, p) if isinstance(p, str) else p

    report.files = [name(f) for f in report.files]  # type: ignore[misc]
    for f in report.findings:
        f.file = name(f.file)  # type: ignore[assignment]
    for t in report.trails.values():
        t["files"] = [name(f) for f in t["files"]]
    report.seals["logs"] = [name(f) for f in report.seals["logs"]]
    if report.seals.get("latest"):
        report.seals["latest"]["log"] = name(report.seals["latest"].get("log"))
    report.unchained = {name(k): v for k, v in report.unchained.items()}  # type: ignore[misc]


@contextmanager
def bucket_copies(paths: list[str], *, endpoint_url: str | None = None, client: object = None) -> Iterator[Copies]:
    """``paths`` with each ``s3://`` URL replaced by the trail files of its every object version, in a private
    temporary folder (removed after), with what the bucket's versions, markers and locks say."""
    if not any(p.startswith("s3://") for p in paths):
        yield Copies(list(paths), [])
        return
    with tempfile.TemporaryDirectory(prefix="auditkit-s3-") as tmp:
        local: list[str] = []
        buckets = []
        for i, p in enumerate(paths):
            if p.startswith("s3://"):
                folder = Path(tmp) / str(i)
                folder.mkdir()
                b = fetch(p, folder, endpoint_url=endpoint_url, client=client)
                buckets.append(b)
                local += [str(t) for t in b.trails]
            else:
                local.append(p)
        yield Copies(local, buckets)


def verify_copies(
    paths: list[str],
    *,
    endpoint_url: str | None = None,
    seals: list[str] | str | None = None,
    pubkey: str | None = None,
    tolerance_s: float = 1.0,
    client: object = None,
    tsa_ca: list[PathLike] | None = None,
    tsa_cert: list[PathLike] | None = None,
    require_anchors: bool = False,
    against: str | None = None,
) -> tuple[VerifyReport, list[BucketCopy]]:
    """:func:`auditkit.custody.verify.verify` for paths that may be ``s3://`` URLs: each bucket's every object version,
    delete marker and lock judged too (see the module's docstring). Returns the report and the buckets read.
    ``against`` (``s3://bucket/prefix``): compare the local seal logs with their synced copies there
    (:func:`compare_seal_logs`)."""
    with bucket_copies(paths, endpoint_url=endpoint_url, client=client) as copies:
        given: list[PathLike] = [*copies.paths]
        logs = copies.seal_logs(seals)
        report = verify(
            given,
            seals=[*logs] if isinstance(logs, list) else logs,
            pubkey=pubkey,
            tolerance_s=tolerance_s,
            tsa_ca=tsa_ca,
            tsa_cert=tsa_cert,
            require_anchors=require_anchors,
        )
        copies.judge(report, pubkey)
    if against:
        local = [Path(p) for p in report.seals["logs"] if not str(p).startswith("s3://") and Path(p).is_file()]
        for finding in compare_seal_logs(local, against, client or s3_client(endpoint_url)):
            report.findings.append(finding)
    return report, copies.buckets


_MAX_LOG = 64 << 20  # a seal log copy read back from a bucket (attacker-controlled): at most this many bytes


def compare_seal_logs(logs: list[Path], against: str, s3: object) -> list[Finding]:
    """The bucket is the witness: each local seal log must still begin with the bytes of its newest copy in
    ``against`` (``auditkit sync`` uploads it under ``<prefix>/<trail id>/<name>``; a seal log only grows).
    A local log that no longer does was rewritten, cut or re-sealed after it was synced: an error."""
    bucket, prefix = split_url(against)
    out: list[Finding] = []
    for log in logs:
        data = log.read_bytes()
        tids = sorted({s["trail_id"] for s in sealing.read_seals(log, None) if isinstance(s.get("trail_id"), str)})
        for tid in tids:
            key = "/".join(p for p in (prefix, tid, log.name) if p)
            try:
                body = s3.get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[attr-defined]
                there = body.read(min(len(data), _MAX_LOG) + 1)
            except Exception as exc:  # botocore's ClientError: no such key, no access
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
                out.append(
                    Finding(
                        "s3_seal_log_missing",
                        WARNING,
                        f"s3://{bucket}/{key}: no copy to compare with ({code}): sync has not carried this seal log",
                        str(log),
                    )
                )
                continue
            if not data.startswith(there):
                out.append(
                    Finding(
                        "s3_seal_log_mismatch",
                        ERROR,
                        f"the local seal log no longer begins with its copy in s3://{bucket}/{key}: its seals or "
                        "anchors were rewritten, removed or cut after they were synced",
                        str(log),
                    )
                )
    return out
