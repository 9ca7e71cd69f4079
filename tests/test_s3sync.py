"""`auditkit sync` against moto's S3 server on 127.0.0.1: what was sent, and the lock HeadObject reports
back (moto does not enforce every lock, so the tests check the request and the stored retention)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.errors import ShipError
from auditkit.outbound.s3sync import sync
from tests.test_shipping import grow

pytestmark = pytest.mark.slow  # an S3 server in a thread


def archived_trail(tmp_path: Path) -> Path:
    """A trail with two sealed, archived segments and an active part."""
    auditkit.keygen()
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 10)
    auditkit.archive(trail)
    grow(trail, 10)
    auditkit.archive(trail)
    grow(trail, 3)
    return trail


def test_sync_uploads_finished_files_locked_in_compliance_mode_with_their_checksum(s3, s3_endpoint, tmp_path) -> None:
    s3.create_bucket(Bucket="evidence", ObjectLockEnabledForBucket=True)
    trail = archived_trail(tmp_path)
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    result = sync([trail.parent], "s3://evidence/acme", endpoint_url=s3_endpoint, lock_days=400, now=now)
    names = sorted(Path(k).name for k in result.uploaded)
    segments = sorted(p.name for p in trail.parent.glob("audit-trail.*-*.jsonl.gz"))
    assert names == sorted([*segments, "audit-trail.seals.jsonl", "audit-trail.manifest.json"])
    assert "audit-trail.jsonl" not in names  # the active part still changes: not copied
    tid = json.loads(trail.read_text().splitlines()[0])["data"]["trail_id"]
    for key in result.uploaded:
        assert key.startswith(f"acme/{tid}/")
        head = s3.head_object(Bucket="evidence", Key=key, ChecksumMode="ENABLED")
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] == now + timedelta(days=400)
        local = trail.parent / Path(key).name
        digest = hashlib.sha256(local.read_bytes()).digest()
        assert head["Metadata"]["sha256"] == digest.hex()
        assert head.get("ChecksumSHA256") in (None, base64.b64encode(digest).decode())
        assert s3.get_object(Bucket="evidence", Key=key)["Body"].read() == local.read_bytes()


def test_a_second_sync_uploads_nothing_and_a_changed_seal_log_goes_up_as_a_new_version(
    s3, s3_endpoint, tmp_path
) -> None:
    s3.create_bucket(Bucket="evidence2", ObjectLockEnabledForBucket=True)
    trail = archived_trail(tmp_path)
    first = sync([trail], "s3://evidence2", endpoint_url=s3_endpoint, lock_days=1)
    again = sync([trail], "s3://evidence2", endpoint_url=s3_endpoint, lock_days=1)
    assert again.uploaded == [] and sorted(again.skipped) == sorted(first.uploaded)
    grow(trail, 2)
    auditkit.archive(trail)  # a third segment, a new seal, a longer manifest
    third = sync([trail], "s3://evidence2", endpoint_url=s3_endpoint, lock_days=1)
    assert sorted(Path(k).name for k in third.uploaded)[-2:] == ["audit-trail.manifest.json", "audit-trail.seals.jsonl"]
    versions = s3.list_object_versions(Bucket="evidence2")["Versions"]
    manifests = [v for v in versions if v["Key"].endswith("audit-trail.manifest.json")]
    assert len(manifests) == 2  # the old one is still there, locked


def test_a_bucket_without_object_lock_is_refused_unless_told(s3, s3_endpoint, tmp_path, capsys) -> None:
    s3.create_bucket(Bucket="plain")
    trail = archived_trail(tmp_path)
    with pytest.raises(ShipError, match="no Object Lock"):
        sync([trail], "s3://plain/x", endpoint_url=s3_endpoint)
    assert main(["sync", str(trail), "--to", "s3://plain/x", "--endpoint-url", s3_endpoint]) == 2
    assert "--allow-unlocked" in capsys.readouterr().err
    result = sync([trail], "s3://plain/x", endpoint_url=s3_endpoint, allow_unlocked=True)
    assert result.uploaded and not result.locked
    head = s3.head_object(Bucket="plain", Key=result.uploaded[0])
    assert "ObjectLockMode" not in head


def test_verify_reads_a_trail_straight_from_s3(s3, s3_endpoint, tmp_path, capsys) -> None:
    s3.create_bucket(Bucket="evidence3", ObjectLockEnabledForBucket=True)
    trail = archived_trail(tmp_path)
    sync([trail], "s3://evidence3/fleet", endpoint_url=s3_endpoint, lock_days=1)
    assert main(["verify", "s3://evidence3/fleet", "--endpoint-url", s3_endpoint]) == 0
    out = capsys.readouterr().out
    assert "INTACT" in out and "seals: 2/2 valid" in out
    # a copy with one byte changed, in a bucket that allowed it: verify says so
    s3.create_bucket(Bucket="scratch")
    key = next(k["Key"] for k in s3.list_objects_v2(Bucket="evidence3")["Contents"] if k["Key"].endswith(".gz"))
    import gzip

    text = gzip.decompress(s3.get_object(Bucket="evidence3", Key=key)["Body"].read()).replace(b'"Bash"', b'"Read"', 1)
    s3.put_object(Bucket="scratch", Key="t/" + Path(key).name, Body=gzip.compress(text))
    assert main(["verify", "s3://scratch/t", "--endpoint-url", s3_endpoint]) == 1
    assert "NOT INTACT" in capsys.readouterr().out
