"""`auditkit verify s3://` against a bucket that is the attacker: moto's S3 server on 127.0.0.1, the kit's
CLI and hook each in their own process, the attacker's requests made with boto3 as anyone with write
access to the bucket would make them (delete markers, older versions put back, keys that are paths,
objects without a lock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, payload, run_hook

pytestmark = pytest.mark.slow  # an S3 server in a thread, the CLI in processes


def cli(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    """The auditkit CLI in its own process (config, credentials and trails as the test set them)."""
    argv = [sys.executable, "-m", "auditkit", *args]
    if args[0] in ("sync", "verify"):
        argv += ["--endpoint-url", endpoint]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, cwd=REPO)


def events(trail: Path, n: int, tag: str) -> None:
    """``n`` tool calls through the real hook process."""
    for i in range(n):
        done = run_hook(
            payload("PreToolUse", tool_name="Bash", tool_use_id=f"{tag}{i}", tool_input={"command": f"echo {tag}{i}"}),
            trail,
        )
        assert done.returncode == 0, done.stderr


def verify(endpoint: str, url: str, *extra: str) -> tuple[int, str, dict]:
    """Run verify twice, as text and as JSON; return the exit code, the text and the JSON report."""
    text = cli(endpoint, "verify", url, *extra)
    assert "Traceback" not in text.stderr, text.stderr
    as_json = cli(endpoint, "verify", url, "--json", *extra)
    assert as_json.returncode == text.returncode, (text.stdout, as_json.stdout)
    return text.returncode, text.stdout + text.stderr, json.loads(as_json.stdout)


def kinds(report: dict, severity: str | None = None) -> set[str]:
    return {f["kind"] for f in report["findings"] if severity is None or f["severity"] == severity}


@pytest.fixture
def keyed(s3_endpoint: str, s3) -> Path:
    """A seal key made by the CLI in this test's config; its public key's path."""
    made = cli(s3_endpoint, "keygen")
    assert made.returncode == 0, made.stderr
    return Path(os.environ["XDG_CONFIG_HOME"]) / "auditkit" / "seal.pub"


def two_syncs(endpoint: str, tmp_path: Path, url: str, *sync_args: str) -> Path:
    """events, archive, sync; events, archive, sync: two segments, each sealed, and two seal log versions."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    for tag in ("a", "b"):
        events(trail, 4, tag)
        assert cli(endpoint, "archive", str(trail)).returncode == 0
        synced = cli(endpoint, "sync", str(trail), "--to", url, "--lock-days", "1", *sync_args)
        assert synced.returncode == 0, synced.stderr
    return trail


def keys(s3, bucket: str) -> list[dict]:
    return s3.list_object_versions(Bucket=bucket).get("Versions", [])


def versions_of(s3, bucket: str, suffix: str) -> list[dict]:
    """The versions of the one key ending in ``suffix``, newest first."""
    return [v for v in keys(s3, bucket) if v["Key"].endswith(suffix)]


# --- the normal cycle --------------------------------------------------------------------------------


def test_archive_more_events_seal_sync_verify_is_intact_from_the_bucket_at_every_step(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="cycle", ObjectLockEnabledForBucket=True)
    url = "s3://cycle/team"
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    events(trail, 5, "a")
    assert cli(s3_endpoint, "archive", str(trail)).returncode == 0
    events(trail, 3, "b")
    first = cli(s3_endpoint, "sync", str(trail), "--to", url, "--lock-days", "1")  # a sync in between
    assert first.returncode == 0, first.stderr
    events(trail, 3, "c")
    assert cli(s3_endpoint, "seal", str(trail)).returncode == 0  # a seal of the live trail: seq past the segment
    second = cli(s3_endpoint, "sync", str(trail), "--to", url, "--lock-days", "1")
    assert second.returncode == 0 and "they go up once archived" in second.stdout, second.stdout
    for extra in ((), ("--pubkey", str(keyed))):
        code, out, report = verify(s3_endpoint, url, *extra)
        assert code == 0 and "INTACT" in out and "NOT INTACT" not in out, out
        assert not kinds(report, "error") and "truncated" not in kinds(report)
        assert report["seals"]["valid"] == report["seals"]["checked"] == 1
    # the live part archived and synced: its seal goes up with its segment, as a longer seal log
    events(trail, 2, "d")
    assert cli(s3_endpoint, "archive", str(trail)).returncode == 0
    third = cli(s3_endpoint, "sync", str(trail), "--to", url, "--lock-days", "1")
    assert third.returncode == 0 and "they go up once archived" not in third.stdout
    code, out, report = verify(s3_endpoint, url, "--pubkey", str(keyed))
    assert code == 0 and not kinds(report, "error"), out
    assert report["seals"]["valid"] == report["seals"]["checked"] == 3  # archive, seal, archive
    (tid,) = report["trails"]
    assert report["trails"][tid]["last_seq"] == 14  # a start, 5 events, a start, 3 + 3 + 2 events: seq 0..14
    logs = versions_of(s3, "cycle", "audit-trail.seals.jsonl")
    bodies = [s3.get_object(Bucket="cycle", Key=v["Key"], VersionId=v["VersionId"])["Body"].read() for v in logs]
    assert len(bodies) == 2 and bodies[0].startswith(bodies[1]) and len(bodies[0]) > len(bodies[1])
    assert all(o["lock_mode"] == "COMPLIANCE" for o in report["buckets"][0]["objects"])


# --- delete markers and seal logs put back ------------------------------------------------------------


def test_a_delete_marker_on_the_newest_segment_and_an_older_seal_log_put_back_are_not_intact(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="hide", ObjectLockEnabledForBucket=True)
    two_syncs(s3_endpoint, tmp_path, "s3://hide/p")
    segments = sorted(v["Key"] for v in keys(s3, "hide") if v["Key"].endswith(".gz"))
    newest = segments[-1]
    seal_versions = versions_of(s3, "hide", ".seals.jsonl")
    assert len(seal_versions) == 2
    older = seal_versions[-1]
    old_log = s3.get_object(Bucket="hide", Key=older["Key"], VersionId=older["VersionId"])["Body"].read()
    # the attacker: hide the newest segment, put the seal log of before it back on top
    s3.delete_object(Bucket="hide", Key=newest)
    s3.put_object(Bucket="hide", Key=older["Key"], Body=old_log)
    assert s3.list_objects_v2(Bucket="hide")["KeyCount"] == 3  # the newest listing: one segment, consistent

    code, out, report = verify(s3_endpoint, "s3://hide/p", "--pubkey", str(keyed))
    assert code == 1 and "NOT INTACT" in out
    assert {"s3_delete_marker", "s3_rewound"} <= kinds(report, "error")
    marker = next(f for f in report["findings"] if f["kind"] == "s3_delete_marker")
    assert marker["file"] == f"s3://hide/{newest}" and "someone tried to delete evidence" in marker["message"]
    assert "an older or other seal log was put over a newer one" in out
    # what the marker hides was verified all the same: both segments, both seals
    (trail,) = report["trails"].values()
    assert len(trail["files"]) == 2 and f"s3://hide/{newest}" in trail["files"]
    assert report["seals"]["valid"] == report["seals"]["checked"] == 2


def test_a_stale_seal_log_put_over_a_newer_one_is_not_intact_and_the_newer_seals_still_count(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="stale", ObjectLockEnabledForBucket=True)
    two_syncs(s3_endpoint, tmp_path, "s3://stale/p")
    older = versions_of(s3, "stale", ".seals.jsonl")[-1]
    old_log = s3.get_object(Bucket="stale", Key=older["Key"], VersionId=older["VersionId"])["Body"].read()
    s3.put_object(
        Bucket="stale",
        Key=older["Key"],
        Body=old_log,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=older["LastModified"].replace(year=older["LastModified"].year + 1),
    )
    for extra in ((), ("--pubkey", str(keyed))):
        code, out, report = verify(s3_endpoint, "s3://stale/p", *extra)
        assert code == 1 and kinds(report, "error") == {"s3_rewound"}, out
        assert report["seals"]["checked"] == 2  # the newer version's seals, read from its version
    assert "s3_unlocked" not in kinds(report)  # the stale copy came with a lock: only its content betrays it


def test_a_seal_log_hidden_by_a_delete_marker_is_reported_and_its_seals_still_checked(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="hidelog", ObjectLockEnabledForBucket=True)
    two_syncs(s3_endpoint, tmp_path, "s3://hidelog/p")
    log_key = versions_of(s3, "hidelog", ".seals.jsonl")[0]["Key"]
    s3.delete_object(Bucket="hidelog", Key=log_key)
    for extra in ((), ("--pubkey", str(keyed))):
        code, out, report = verify(s3_endpoint, "s3://hidelog/p", *extra)
        assert code == 1 and "NOT INTACT" in out
        assert kinds(report, "error") == {"s3_delete_marker"}, out
        assert report["seals"]["checked"] == 2
        hidden = [o for o in report["buckets"][0]["objects"] if o["hidden"]]
        assert {o["key"] for o in hidden} == {log_key}


def test_a_seal_log_deleted_for_good_from_an_unlocked_bucket_fails_with_a_key_and_is_reported_without(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="nolock")
    s3.put_bucket_versioning(Bucket="nolock", VersioningConfiguration={"Status": "Enabled"})
    two_syncs(s3_endpoint, tmp_path, "s3://nolock/p", "--allow-unlocked")
    for v in versions_of(s3, "nolock", ".seals.jsonl"):  # no lock: every version can go, and no marker is left
        s3.delete_object(Bucket="nolock", Key=v["Key"], VersionId=v["VersionId"])
    assert not versions_of(s3, "nolock", ".seals.jsonl") and not s3.list_object_versions(Bucket="nolock").get(
        "DeleteMarkers"
    )
    code, out, report = verify(s3_endpoint, "s3://nolock/p", "--pubkey", str(keyed))
    assert code == 1 and kinds(report, "error") == {"s3_unsealed"}, out
    assert "seals are required" in out
    keyed.rename(keyed.with_suffix(".kept"))  # a verifier with no key: only the chain, and a warning
    code, out, report = verify(s3_endpoint, "s3://nolock/p")
    assert code == 0 and "INTACT (with warnings)" in out
    assert {"s3_unsealed", "s3_unlocked"} <= kinds(report, "warning")
    assert "a cut tail or a trail rewritten as a new chain cannot be seen" in out


def test_a_segment_deleted_for_good_with_its_seals_is_caught_by_the_manifest_versions(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="rollback")
    s3.put_bucket_versioning(Bucket="rollback", VersioningConfiguration={"Status": "Enabled"})
    two_syncs(s3_endpoint, tmp_path, "s3://rollback/p", "--allow-unlocked")
    newest = sorted(v["Key"] for v in keys(s3, "rollback") if v["Key"].endswith(".gz"))[-1]
    doomed = [v for v in keys(s3, "rollback") if v["Key"] == newest]
    doomed.append(versions_of(s3, "rollback", ".seals.jsonl")[0])  # the seal log's newest version
    for v in doomed:
        s3.delete_object(Bucket="rollback", Key=v["Key"], VersionId=v["VersionId"])
    code, out, report = verify(s3_endpoint, "s3://rollback/p", "--pubkey", str(keyed))
    assert code == 1 and kinds(report, "error") == {"s3_missing"}, out
    assert newest.rsplit("/", 1)[1] in next(f["message"] for f in report["findings"] if f["kind"] == "s3_missing")
    # the whole rollback (the newest manifest version too) leaves an older bucket that is consistent: it
    # verifies, and says its copies carry no lock, which is why sync refuses such a bucket unless told
    manifest = versions_of(s3, "rollback", ".manifest.json")[0]
    s3.delete_object(Bucket="rollback", Key=manifest["Key"], VersionId=manifest["VersionId"])
    code, out, report = verify(s3_endpoint, "s3://rollback/p", "--pubkey", str(keyed))
    assert code == 0 and "s3_unlocked" in kinds(report, "warning"), out


def test_a_segment_given_a_second_different_version_is_not_intact(s3, s3_endpoint, keyed, tmp_path) -> None:
    import gzip

    s3.create_bucket(Bucket="rewrite", ObjectLockEnabledForBucket=True)
    two_syncs(s3_endpoint, tmp_path, "s3://rewrite/p")
    first = sorted(v["Key"] for v in keys(s3, "rewrite") if v["Key"].endswith(".gz"))[0]
    text = gzip.decompress(s3.get_object(Bucket="rewrite", Key=first)["Body"].read())
    assert b"echo a1" in text
    s3.put_object(Bucket="rewrite", Key=first, Body=gzip.compress(text.replace(b"echo a1", b"echo a9")))
    code, out, report = verify(s3_endpoint, "s3://rewrite/p", "--pubkey", str(keyed))
    assert code == 1 and kinds(report, "error") == {"s3_rewritten"}, out
    assert "edited" not in kinds(report)  # the first version, the one sync wrote, is the one verified


def test_a_segment_added_after_the_latest_seal_fails_with_a_key_and_is_an_unsealed_tail_without(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    from datetime import UTC, datetime, timedelta

    from auditkit.custody.segments import archive

    s3.create_bucket(Bucket="append", ObjectLockEnabledForBucket=True)
    trail = two_syncs(s3_endpoint, tmp_path, "s3://append/p")
    # the chain is not keyed: records that continue it can be made by anyone; here, archived without a seal
    events(trail, 3, "forged")
    forged = archive(trail, seal=False).rotated
    tid = json.loads(trail.read_text().splitlines()[0])["data"]["trail_id"]
    s3.put_object(
        Bucket="append",
        Key=f"p/{tid}/{forged.file}",
        Body=(trail.parent / forged.file).read_bytes(),
        ObjectLockMode="COMPLIANCE",  # locked like the others: the lock says nothing about who wrote it
        ObjectLockRetainUntilDate=datetime.now(UTC) + timedelta(days=1),
    )
    code, out, report = verify(s3_endpoint, "s3://append/p", "--pubkey", str(keyed))
    assert code == 1 and kinds(report, "error") == {"s3_unsealed_records"}, out
    assert f"records seq {forged.first_seq}..{forged.last_seq} of trail {tid}" in out
    code, out, report = verify(s3_endpoint, "s3://append/p")  # the configured key counts as given
    assert code == 1 and kinds(report, "error") == {"s3_unsealed_records"}, out
    keyed.rename(keyed.with_suffix(".kept"))  # a verifier with no key: only the chain, and a warning
    code, out, report = verify(s3_endpoint, "s3://append/p")
    assert code == 0 and "unsealed_tail" in kinds(report, "warning"), out


# --- keys the attacker chose ---------------------------------------------------------------------------


def plain_trail(endpoint: str, folder: Path, tag: str) -> tuple[bytes, str]:
    trail = folder / "audit-trail.jsonl"
    events(trail, 2, tag)
    data = trail.read_bytes()
    return data, json.loads(data.splitlines()[0])["data"]["trail_id"]


def test_nested_keys_x_a_and_x_a_b_are_both_verified(s3, s3_endpoint, tmp_path) -> None:
    s3.create_bucket(Bucket="nested", ObjectLockEnabledForBucket=True)
    one, tid_one = plain_trail(s3_endpoint, tmp_path / "one", "n")
    two, tid_two = plain_trail(s3_endpoint, tmp_path / "two", "m")
    s3.put_object(Bucket="nested", Key="p/x/a", Body=one)
    s3.put_object(Bucket="nested", Key="p/x/a/b", Body=two)  # a key that is also the other's folder
    code, out, report = verify(s3_endpoint, "s3://nested/p")
    assert code == 0 and not kinds(report, "error"), out
    assert set(report["trails"]) == {tid_one, tid_two}
    assert report["trails"][tid_one]["files"] == ["s3://nested/p/x/a"]
    assert report["trails"][tid_two]["files"] == ["s3://nested/p/x/a/b"]
    assert report["records"] == 6  # each: its start and two events


def test_keys_with_dot_dot_or_an_empty_part_are_read_under_the_kits_own_names_never_as_paths(
    s3, s3_endpoint, tmp_path
) -> None:
    s3.create_bucket(Bucket="escape", ObjectLockEnabledForBucket=True)
    data, tid = plain_trail(s3_endpoint, tmp_path / "t", "e")
    target = tmp_path / "pwned.jsonl"
    depth = "../" * (len(Path(os.environ.get("TMPDIR", "/tmp")).parts) + 8)
    climbing = f"p/{depth}{str(target).lstrip('/')}"
    rooted = f"p//{str(tmp_path / 'rooted.jsonl').lstrip('/')}"
    odd = (climbing, rooted, "p/..", "p//same.jsonl", "p/_object-4")
    for key in (*odd, "p/same.jsonl"):  # the last beside its twin with an empty part: one name, two keys
        s3.put_object(Bucket="escape", Key=key, Body=data)
    code, out, report = verify(s3_endpoint, "s3://escape/p")
    assert "never as a path" in out
    assert not target.exists() and not (tmp_path / "rooted.jsonl").exists()
    assert not list(tmp_path.rglob("pwned*")) and not list(Path("/").glob("pwned*"))
    named = next(f for f in report["findings"] if f["kind"] == "s3_key_name")
    assert named["severity"] == "warning" and "5 key(s)" in named["message"] and "never as a path" in named["message"]
    # the content is verified all the same: six copies of one trail, which verify calls duplicates
    assert tid in report["trails"] and report["records"] == 18
    assert {f"s3://escape/{k}" for k in (*odd, "p/same.jsonl")} == set(report["files"])
    assert code == 1 and "duplicated" in kinds(report, "error")


# --- locks ---------------------------------------------------------------------------------------------


def test_an_object_without_a_lock_or_in_governance_mode_is_reported(s3, s3_endpoint, keyed, tmp_path) -> None:
    s3.create_bucket(Bucket="locks", ObjectLockEnabledForBucket=True)
    two_syncs(s3_endpoint, tmp_path, "s3://locks/p")
    manifest = versions_of(s3, "locks", ".manifest.json")[0]
    body = s3.get_object(Bucket="locks", Key=manifest["Key"])["Body"].read()
    s3.put_object(Bucket="locks", Key=manifest["Key"], Body=body)  # the same bytes again, no lock
    code, out, report = verify(s3_endpoint, "s3://locks/p", "--pubkey", str(keyed))
    assert code == 0 and "INTACT (with warnings)" in out, out
    (unlocked,) = [f for f in report["findings"] if f["kind"] == "s3_unlocked"]
    assert unlocked["message"].startswith("1 object version(s) carry no Object Lock retention")
    assert manifest["Key"] in unlocked["message"]
    assert report["buckets"][0]["locks"] == {"COMPLIANCE": 6, "none": 1}
    assert "locks: 6 COMPLIANCE, 1 none" in out
    until = manifest["LastModified"].replace(year=manifest["LastModified"].year + 1)
    s3.put_object(
        Bucket="locks", Key="p/governed.jsonl", Body=b"", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )
    code, out, report = verify(s3_endpoint, "s3://locks/p")
    assert "GOVERNANCE mode only" in out and "p/governed.jsonl" in out


def test_a_segment_retention_retired_and_a_lifecycle_rule_removed_verifies_under_its_signed_statement(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    from datetime import timedelta

    from auditkit.custody.retention import retention
    from auditkit.custody.segments import parse_utc, read_manifest

    s3.create_bucket(Bucket="retire")
    s3.put_bucket_versioning(Bucket="retire", VersioningConfiguration={"Status": "Enabled"})
    trail = two_syncs(s3_endpoint, tmp_path, "s3://retire/p", "--allow-unlocked")
    first, second = read_manifest(trail).segments
    cutoff = parse_utc(first.last_ts) + (parse_utc(second.first_ts) - parse_utc(first.last_ts)) / 2
    plan = retention(trail, "30d", now=cutoff + timedelta(days=30), minimum=timedelta(0))
    assert [Path(d).name for d in plan.deleted] == [first.file], str(plan)
    assert not (trail.parent / first.file).exists() and (trail.parent / second.file).exists()
    synced = cli(s3_endpoint, "sync", str(trail), "--to", "s3://retire/p", "--lock-days", "1", "--allow-unlocked")
    assert synced.returncode == 0, synced.stderr
    # the copy's lock has ended and a lifecycle rule removes it, every version
    for v in keys(s3, "retire"):
        if v["Key"].endswith(first.file):
            s3.delete_object(Bucket="retire", Key=v["Key"], VersionId=v["VersionId"])
    code, out, report = verify(s3_endpoint, "s3://retire/p", "--pubkey", str(keyed))
    assert code == 0 and not kinds(report, "error"), out
    assert "retired" in kinds(report, "warning") and "s3_missing" not in kinds(report)
    # the same segment gone without a retirement in any manifest version is deleted evidence
    for v in versions_of(s3, "retire", ".manifest.json")[:1]:
        s3.delete_object(Bucket="retire", Key=v["Key"], VersionId=v["VersionId"])
    code, out, report = verify(s3_endpoint, "s3://retire/p", "--pubkey", str(keyed))
    assert code == 1 and "s3_missing" in kinds(report, "error"), out


def test_a_bucket_an_earlier_sync_gave_a_live_seal_is_never_given_a_shorter_seal_log_and_heals_on_archive(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="earlier", ObjectLockEnabledForBucket=True)
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    events(trail, 3, "a")
    assert cli(s3_endpoint, "archive", str(trail)).returncode == 0
    events(trail, 2, "b")
    assert cli(s3_endpoint, "seal", str(trail)).returncode == 0
    assert cli(s3_endpoint, "sync", str(trail), "--to", "s3://earlier/p", "--lock-days", "1").returncode == 0
    log = versions_of(s3, "earlier", ".seals.jsonl")[0]["Key"]
    whole = (trail.parent / "audit-trail.seals.jsonl").read_bytes()
    s3.put_object(Bucket="earlier", Key=log, Body=whole)  # what sync used to upload: the live trail's seal too
    again = cli(s3_endpoint, "sync", str(trail), "--to", "s3://earlier/p", "--lock-days", "1")
    assert again.returncode == 0 and "0 file(s) uploaded" in again.stdout, again.stdout
    code, out, report = verify(s3_endpoint, "s3://earlier/p", "--pubkey", str(keyed))
    assert code == 1 and "truncated" in kinds(report, "error") and "s3_rewound" not in kinds(report), out
    events(trail, 1, "c")
    assert cli(s3_endpoint, "archive", str(trail)).returncode == 0
    healed = cli(s3_endpoint, "sync", str(trail), "--to", "s3://earlier/p", "--lock-days", "1")
    assert healed.returncode == 0 and log in healed.stdout
    code, out, report = verify(s3_endpoint, "s3://earlier/p", "--pubkey", str(keyed))
    assert code == 0 and not kinds(report, "error") and "s3_unlocked" in kinds(report, "warning"), out


def test_copies_in_a_bucket_without_versions_or_locks_are_verified_and_say_what_they_cannot_show(
    s3, s3_endpoint, keyed, tmp_path
) -> None:
    s3.create_bucket(Bucket="bare")
    two_syncs(s3_endpoint, tmp_path, "s3://bare/p", "--allow-unlocked")
    code, out, report = verify(s3_endpoint, "s3://bare/p", "--pubkey", str(keyed))
    assert code == 0 and not kinds(report, "error"), out
    assert {"s3_unversioned", "s3_unlocked"} <= kinds(report, "warning")
    assert report["buckets"][0]["locks"] == {"none": 4}  # two segments, one seal log, one manifest: no history


def test_a_delete_marker_placed_after_the_lock_ended_is_a_warning_and_what_it_hides_is_still_verified(
    s3, s3_endpoint, tmp_path
) -> None:
    from datetime import UTC, datetime, timedelta

    s3.create_bucket(Bucket="expired", ObjectLockEnabledForBucket=True)
    data, tid = plain_trail(s3_endpoint, tmp_path / "t", "x")
    past = datetime.now(UTC) - timedelta(days=1)  # as a lifecycle rule finds it: the lock over
    s3.put_object(
        Bucket="expired",
        Key="p/audit-trail.jsonl",
        Body=data,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=past,
    )
    s3.delete_object(Bucket="expired", Key="p/audit-trail.jsonl")
    code, out, report = verify(s3_endpoint, "s3://expired/p")
    assert code == 0 and not kinds(report, "error"), out
    (marker,) = [f for f in report["findings"] if f["kind"] == "s3_delete_marker"]
    assert marker["severity"] == "warning" and "locks had ended" in marker["message"]
    assert tid in report["trails"] and report["records"] == 3
    assert "had their lock end" in out
