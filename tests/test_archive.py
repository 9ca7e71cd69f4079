"""Rotation into gzip segments: one chain across segments, nothing lost while hooks write."""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.custody import segments
from auditkit.store.files import file_sha256
from auditkit.trail import capture
from auditkit.trail import format as tf
from tests.conftest import payload, run_hook

WRITERS, EVENTS_EACH = 6, 300


def _writer(trail: str, writer: int) -> None:
    for i in range(EVENTS_EACH):
        event = payload(
            "PreToolUse",
            session=f"w{writer}",
            tool_name="Bash",
            tool_use_id=f"t{writer}-{i}",
            tool_input={"command": f"echo {writer} {i}"},
        )
        capture.main(["--trail", trail], stdin=io.BytesIO(json.dumps(event).encode()))


def _rotator(trail: str, stop: float) -> None:
    while time.monotonic() < stop:
        segments.archive(trail, seal=False)
        time.sleep(0.01)


def _all_records(folder: Path) -> list[dict]:
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.endswith((".jsonl", ".jsonl.gz")) and ".seals." not in p.name:
            opener = gzip.open if p.name.endswith(".gz") else open
            with opener(p, "rb") as fh:
                out.extend(json.loads(line) for line in fh)
    return out


@pytest.mark.slow
def test_rotating_while_hooks_write_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """6 writers x 300 events while `archive` rotates every 10 ms: all 1,800 present once, one intact chain."""
    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("SessionStart"), trail)
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_writer, args=(str(trail), w)) for w in range(WRITERS)]
    rotator = ctx.Process(target=_rotator, args=(str(trail), time.monotonic() + 600))
    rotator.start()
    for p in writers:
        p.start()
    for p in writers:
        p.join(timeout=300)
        assert p.exitcode == 0
    rotator.terminate()
    rotator.join()
    segments.archive(trail, seal=False)  # finishes whatever the killed rotator left half done

    segs = segments.segment_files(trail)
    assert len(segs) >= 5, "the rotator should have cut several segments during the writes"
    assert all(p.name.endswith(".jsonl.gz") for p in segs)
    records = _all_records(tmp_path)
    calls = [r["tool_use_id"] for r in records if r["event"] == "PreToolUse"]
    assert len(calls) == WRITERS * EVENTS_EACH and len(set(calls)) == len(calls)
    assert sorted(r["seq"] for r in records) == list(range(len(records)))

    report = auditkit.verify(tmp_path)
    assert report.intact, report.findings
    assert report.records == len(records) and len(report.trails) == 1
    manifest = segments.read_manifest(trail)
    assert [s.file for s in manifest.segments] == [p.name for p in segs]
    for s in manifest.segments:  # the manifest matches the files on disk
        assert s.sha256 == file_sha256(tmp_path / s.file)
    df = auditkit.load(tmp_path)
    assert (df["event"] == "PreToolUse").sum() == WRITERS * EVENTS_EACH


def test_segments_continue_the_chain_and_verify_finds_a_missing_one(tmp_path: Path) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    for round_ in range(3):
        for i in range(4):
            run_hook(payload("Notification", message=f"r{round_} n{i}"), trail)
        rot = segments.archive(trail, seal=False)
        assert rot.rotated is not None
    run_hook(payload("Stop"), trail)
    first = json.loads(trail.read_bytes().splitlines()[0])
    assert first["event"] == tf.TRAIL_START and first["data"]["previous_segment"]["file"].endswith(".jsonl.gz")
    assert auditkit.verify(tmp_path).intact
    middle = segments.segment_files(trail)[1]
    middle.unlink()
    report = auditkit.verify(tmp_path)
    assert not report.intact
    assert report.first_break.kind == "deleted"


def test_thresholds_decide_when_to_rotate(tmp_path: Path) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail)
    assert segments.archive(trail, max_bytes=10 << 20).rotated is None
    later = datetime.now(UTC) + timedelta(days=31)
    assert segments.archive(trail, max_age=timedelta(days=30), now=datetime.now(UTC)).rotated is None
    rot = segments.archive(trail, max_age=timedelta(days=30), now=later)
    assert rot.rotated is not None and rot.rotated.records == 4
    assert segments.archive(trail).rotated is None  # only the new segment's start: nothing to archive


def test_an_interrupted_rotation_is_finished_by_the_next_run(tmp_path: Path) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail)
    # a run that linked the segment name and died before swapping the new file in
    os.link(trail, tmp_path / "audit-trail.0000000000-0000000003.jsonl")
    rot = segments.archive(trail)
    assert any("second name of the active trail" in r for r in rot.recovered)
    assert rot.rotated is not None
    assert auditkit.verify(tmp_path).intact


def test_a_segment_left_uncompressed_or_unlisted_is_finished(tmp_path: Path) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    for round_ in range(2):
        for i in range(3):
            run_hook(payload("Notification", message=f"{round_}/{i}"), trail)
        segments.archive(trail, seal=False)
    first, second = segments.segment_files(trail)
    plain = first.with_name(first.name.removesuffix(".gz"))
    plain.write_bytes(gzip.decompress(first.read_bytes()))  # stopped after the swap, before compressing
    first.unlink()
    segments.write_manifest(trail, segments.Manifest(trail=trail.name))  # and before the manifest was written
    rot = segments.archive(trail, max_bytes=1 << 30)
    assert rot.rotated is None
    assert rot.recovered == [f"compressed {plain.name}", f"added {second.name} to the manifest"]
    assert [s.file for s in segments.read_manifest(trail).segments] == [first.name, second.name]
    assert not plain.exists() and auditkit.verify(tmp_path).intact


def test_rotation_seals_when_a_key_is_configured(tmp_path: Path) -> None:
    auditkit.keygen()
    trail = tmp_path / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail)
    rot = segments.archive(trail)
    # the seal covers the segment itself, so the segment and the seal log verify without the active part
    assert rot.sealed is not None and rot.sealed["seq"] == rot.rotated.last_seq
    assert rot.sealed["head_hash"] == rot.rotated.head_hash
    report = auditkit.verify(tmp_path)
    assert report.intact and report.seals["valid"] == 1
    alone = auditkit.verify([tmp_path / rot.rotated.file, tmp_path / "audit-trail.seals.jsonl"])
    assert alone.intact and alone.seals["valid"] == 1


def test_cli_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail)
    assert main(["archive", str(trail), "--max-size", "1M"]) == 0
    assert "not rotated" in capsys.readouterr().out
    assert main(["archive", str(trail)]) == 0
    out = capsys.readouterr().out
    assert "rotated seq 0..3" in out and "audit-trail.0000000000-0000000003.jsonl.gz" in out
    assert main(["archive", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such trail" in capsys.readouterr().err


# --- retention -------------------------------------------------------------------------------


def _month_of_segments(trail: Path, monkeypatch: pytest.MonkeyPatch, month: int, seal: bool) -> None:
    """Four events stamped in 2024-<month>, then a rotation (sealed or not)."""
    for day in range(1, 5):
        now = f"2024-{month:02d}-{day:02d}T12:00:00Z"
        run_hook(payload("Notification", message=f"{month}/{day}"), trail, env={"AUDITKIT_NOW": now})
    monkeypatch.setenv("AUDITKIT_NOW", f"2024-{month:02d}-28T00:00:00Z")
    segments.archive(trail, seal=seal)
    monkeypatch.delenv("AUDITKIT_NOW")


@pytest.fixture
def archived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Segments for Jan, Feb (sealed after Feb) and Mar (no seal covers it), plus the active trail."""
    auditkit.keygen()
    trail = tmp_path / "audit-trail.jsonl"
    _month_of_segments(trail, monkeypatch, 1, seal=False)
    _month_of_segments(trail, monkeypatch, 2, seal=True)
    _month_of_segments(trail, monkeypatch, 3, seal=False)
    run_hook(payload("Stop"), trail, env={"AUDITKIT_NOW": "2024-04-01T00:00:00Z"})
    return trail


LATER = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.slow  # ends with a compliance evidence pack
def test_retention_deletes_sealed_intact_segments_and_keeps_an_unsealed_one(archived: Path) -> None:
    from auditkit.custody.retention import retention

    before = sorted(p.name for p in archived.parent.iterdir())
    dry = retention(archived, "365d", dry_run=True, now=LATER)
    assert sorted(p.name for p in archived.parent.iterdir()) == before  # a dry run deletes nothing
    assert [d.action for d in dry.decisions] == ["delete", "delete", "keep"]
    assert "not sealed" in dry.decisions[2].reason and "ends at seq 14" in dry.decisions[2].reason
    assert archived.name not in [d.file for d in dry.decisions]  # the active trail is never a candidate

    plan = retention(archived, "365d", now=LATER)
    assert plan.deleted == [d.file for d in dry.decisions[:2]]
    assert [p.name for p in segments.segment_files(archived)] == [dry.decisions[2].file]
    manifest = segments.read_manifest(archived)
    assert [r["file"] for r in manifest.retired] == plan.deleted
    assert all(
        r["policy"] == "365d" and r["sealed_by_seq"] == 9 for r in manifest.retired
    )  # the Feb segment's last record
    report = auditkit.verify(archived.parent)  # what remains is still one intact chain
    assert report.intact, report.findings
    start = next(
        f for f in report.findings if f.kind == "retired"
    )  # the missing start is covered by a signed statement
    assert "deleted by retention on 2025-06-01 under a 365d policy, as a signed statement" in start.message

    from auditkit.present.evidence import report  # the compliance evidence shows what was archived and retired

    pack = report("compliance", [str(archived.parent)], archived.parent.parent / "pack", {"keep_days": 183})
    assert pack["results"]["segments"] == {"archived": 1, "retired": 2}
    assert pack["verify"]["intact"] is True


def test_retention_keeps_a_broken_segment_and_everything_after_it(archived: Path) -> None:
    from auditkit.custody.retention import retention

    feb = segments.segment_files(archived)[1]
    lines = gzip.decompress(feb.read_bytes()).splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"2/2"', b'"2/X"')  # one byte of a recorded event changed
    feb.write_bytes(gzip.compress(b"".join(lines)))
    auditkit.seal(archived)  # a fresh seal covers everything: only verify can stop the deletion now
    plan = retention(archived, "365d", now=LATER)
    assert [d.action for d in plan.decisions] == ["delete", "keep", "keep"]
    assert plan.decisions[1].reason.startswith("verify: edited at line 3")
    assert "hole in the chain" in plan.decisions[2].reason
    assert feb.exists()


def test_retention_without_a_public_key_deletes_nothing(archived: Path, tmp_path: Path) -> None:
    from auditkit.custody.retention import retention
    from auditkit.trail.config import config_dir

    (Path(config_dir()) / "seal.pub").unlink()
    plan = retention(archived, "365d", now=LATER)
    assert plan.deleted == [] and all("not sealed" in d.reason for d in plan.decisions)


def test_a_policy_below_the_minimum_is_refused(archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditkit.custody.retention import RetentionError, retention
    from auditkit.trail.config import config_dir

    before = sorted(p.name for p in archived.parent.iterdir())
    with pytest.raises(RetentionError, match="below the minimum of 183d"):
        retention(archived, "90d", now=LATER)
    (Path(config_dir()) / "config.toml").write_text('[retention]\nminimum = "1y"\n')
    assert main(["retention", str(archived), "--keep", "300d"]) == 2
    assert "below the minimum of 365d" in capsys.readouterr().err
    assert sorted(p.name for p in archived.parent.iterdir()) == before
    (Path(config_dir()) / "config.toml").write_text('[retention]\nminimum = "forever"\n')
    with pytest.raises(RetentionError, match=r"config.toml: \[retention\] minimum"):
        retention(archived, "400d", now=LATER)


def test_cli_retention_dry_run(archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", str(archived), "--keep", "183d", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "[dry run: nothing is deleted]" in out and "would delete" in out
    assert len(segments.segment_files(archived)) == 3


def test_sizes_and_ages_are_read_or_refused_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert segments.parse_size("100M") == 100 << 20 and segments.parse_size("1g") == 1 << 30
    assert segments.parse_size("512") == 512 and segments.parse_size("500kb") == 500 << 10
    assert segments.parse_age("365d") == timedelta(days=365) and segments.parse_age("1y") == timedelta(days=365)
    assert segments.parse_age("26w") == timedelta(weeks=26) and segments.parse_age("12h") == timedelta(hours=12)
    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("Stop"), trail)
    assert main(["archive", str(trail), "--max-size", "lots"]) == 2
    assert "'lots' is not a size" in capsys.readouterr().err
    assert main(["archive", str(trail), "--max-age", "6 months"]) == 2
    assert "'6 months' is not an age" in capsys.readouterr().err
    assert main(["retention", str(trail), "--keep", "forever"]) == 2
    assert "'forever' is not an age" in capsys.readouterr().err


# --- retention and verify believe only what is signed ------------------------------------------


def test_a_forged_manifest_cannot_make_retention_delete_a_young_unsealed_segment(archived: Path) -> None:
    """Manifest says March is old and sealed; its own records say otherwise: it stays, whatever the index claims."""
    from auditkit.custody.retention import retention

    manifest = archived.with_name("audit-trail.manifest.json")
    doc = json.loads(manifest.read_text())
    march = doc["segments"][2]
    march.update(last_ts="2023-01-01T00:00:00.000000Z", last_seq=0, first_seq=0)  # "old, and covered by the seal"
    manifest.write_text(json.dumps(doc))
    plan = retention(archived, "365d", now=datetime(2024, 12, 31, tzinfo=UTC))  # March 2024 is younger
    assert [d.action for d in plan.decisions] == ["keep", "keep", "keep"]
    assert "younger than the policy" in plan.decisions[2].reason and plan.decisions[2].last_seq == 14
    assert all(p.exists() for p in segments.segment_files(archived))
    plan = retention(archived, "365d", now=LATER)  # old enough now, but still not sealed: kept
    assert plan.decisions[2].action == "keep" and "not sealed" in plan.decisions[2].reason


def test_deleting_the_oldest_segment_by_hand_is_a_break(archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No signed retirement statement: a trail whose first present record is not its genesis is NOT intact."""
    oldest = segments.segment_files(archived)[0]
    oldest.unlink()
    manifest = archived.with_name("audit-trail.manifest.json")
    doc = json.loads(manifest.read_text())
    doc["retired"] = [{"file": oldest.name, "deleted_at": "2025-06-01", "policy": "365d"}]  # unsigned: proves nothing
    manifest.write_text(json.dumps(doc))
    report = auditkit.verify(archived.parent)
    assert not report.intact
    assert report.first_break.kind == "deleted" and "no signed retirement statement" in report.first_break.message
    assert main(["verify", str(archived.parent)]) == 1
    assert "NOT INTACT" in capsys.readouterr().out


def test_retention_signs_what_it_retires_and_a_forged_statement_fails(archived: Path) -> None:
    """Retention's statement is signed with the seal key; an edited one no longer covers the missing start."""
    from auditkit.custody.retention import retention

    plan = retention(archived, "365d", now=LATER)
    assert len(plan.deleted) == 2
    log = archived.with_name("audit-trail.seals.jsonl")
    statement = json.loads(log.read_text().splitlines()[-1])
    assert statement["type"] == "auditkit.retirement" and [r["file"] for r in statement["retired"]] == plan.deleted
    assert auditkit.verify(archived.parent).intact
    log.write_text(log.read_text().replace('"policy":"365d"', '"policy":"999d"'))
    report = auditkit.verify(archived.parent)
    assert {f.kind for f in report.findings if f.severity == "error"} >= {"seal_signature", "deleted"}


def test_retention_without_the_private_seal_key_deletes_nothing(archived: Path) -> None:
    """The statement cannot be signed without the key, so nothing is deleted."""
    from auditkit.custody.retention import retention
    from auditkit.custody.seals import default_key_path

    default_key_path().rename(default_key_path().with_name("moved.key"))
    plan = retention(archived, "365d", now=LATER)
    assert plan.deleted == [] and all("no seal key" in d.reason for d in plan.decisions[:2])


def test_a_torn_last_line_is_carried_into_the_segment_and_archiving_goes_on(tmp_path: Path) -> None:
    """A write cut short at the end: archive rotates it (twice), reports it, retention and verify still work."""
    from auditkit.custody.retention import retention

    auditkit.keygen()
    trail = tmp_path / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail, env={"AUDITKIT_NOW": f"2024-01-0{i + 1}T00:00:00Z"})
    with open(trail, "ab") as fh:
        fh.write(b'{"v":1,"seq":4,"ts":"2024-01-0')  # a crash mid-append
    first = segments.archive(trail)
    assert first.rotated is not None and first.rotated.remnant_bytes == 30
    run_hook(payload("Stop"), trail)
    second = segments.archive(trail)
    assert second.rotated is not None
    report = auditkit.verify(tmp_path)
    assert report.intact and [f.kind for f in report.findings if f.kind == "partial_line"] == ["partial_line"]
    plan = retention(trail, "183d", now=LATER)
    assert plan.decisions[0].action == "delete", plan.decisions[0].reason


def test_interrupted_rotation_leftovers_are_removed_only_if_they_are_the_kits(tmp_path: Path) -> None:
    """A stray temporary file of the kit is removed; a link with the same kind of name is left alone."""
    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("Stop"), trail)
    stray = tmp_path / ".audit-trail.jsonl.rotating.0123456789ab.tmp"
    stray.write_text("half a rotation")
    target = tmp_path / "precious"
    target.write_text("keep")
    link = tmp_path / ".audit-trail.manifest.json.ba9876543210.tmp"
    link.symlink_to(target)
    rot = segments.archive(trail, max_bytes=1 << 30)
    assert not stray.exists() and link.is_symlink() and target.read_text() == "keep"
    assert any(stray.name in r for r in rot.recovered)
