"""The hook never breaks the agent: on its own failures it exits 0, is silent on stdout, says why on stderr."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from auditkit.trail import format as tf
from tests.conftest import payload, read_records, run_hook


def assert_fail_open(proc, *, says: str) -> None:
    assert proc.returncode == 0
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("auditkit hook: "), err
    assert says in err


def test_unwritable_trail_folder(tmp_path: Path) -> None:
    """A trail whose folder cannot be created: exit 0, and stderr says nothing could be recorded."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    proc = run_hook(payload("Stop"), blocker / "logs" / "audit-trail.jsonl")
    assert_fail_open(proc, says="nothing could be recorded")


def test_full_disk_keeps_what_was_recorded(full_disk: Path) -> None:
    """A disk that fills up: exit 0, a clear stderr line, and every record already written still verifies."""
    from auditkit.custody.verify import verify

    trail = full_disk / "logs" / "audit-trail.jsonl"
    assert run_hook(payload("SessionStart"), trail).returncode == 0
    before = trail.read_bytes()
    filler = full_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # take every free block
        while True:
            os.write(fd, b"x" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    proc = run_hook(payload("Stop", prompt="y" * 8000), trail)
    assert_fail_open(proc, says="No space left on device")
    assert trail.read_bytes().startswith(before)
    report = verify(trail)
    assert report.intact and report.records == 2, [str(f) for f in report.findings]


@pytest.mark.parametrize(
    ("stdin", "says"),
    [(b"", "empty stdin"), (b"{not json", "not JSON"), (b"[1, 2]", "not an object"), (b"\xff\xfe\x00", "not JSON")],
)
def test_bad_stdin_is_recorded_as_hook_error(tmp_path: Path, stdin: bytes, says: str) -> None:
    """Malformed or empty stdin: exit 0, a stderr line, and a hook_error record (with the input's sha256)."""
    trail = tmp_path / "t.jsonl"
    proc = run_hook(stdin, trail)
    assert_fail_open(proc, says=says)
    rec = read_records(trail)[-1]
    assert rec["event"] == tf.HOOK_ERROR and rec["status"] == "error"
    assert says.lower() in rec["error"].lower()
    assert rec["data"]["stdin_sha256"] == hashlib.sha256(stdin).hexdigest()


def test_five_megabyte_payload_is_recorded_truncated_with_size_and_sha256(tmp_path: Path) -> None:
    """A 5 MB tool response: exit 0, nothing on stdout, the field cut to the cap with its size and sha256."""
    trail = tmp_path / "t.jsonl"
    content = "".join(f"line {i}: " + "abcdefghij" * 10 + "\n" for i in range(48000))
    assert len(content) > 5_000_000
    event = payload(
        "PostToolUse",
        tool_name="Read",
        tool_use_id="toolu_big",
        tool_input={"file_path": "/big.txt"},
        tool_response={"type": "text", "file": {"filePath": "/big.txt", "content": content}},
    )
    proc = run_hook(event, trail)
    assert_fail_open(proc, says="oversized fields cut")
    rec = read_records(trail)[-1]
    [note] = rec["truncated"]
    assert note == {
        "field": "tool_response.file.content",
        "bytes": len(content),
        "sha256": hashlib.sha256(content.encode()).hexdigest(),
    }
    kept = rec["tool_response"]["file"]["content"]
    assert kept.startswith(content[:60000]) and len(kept.encode()) < 65536 + 200
    assert trail.stat().st_size < 100_000


def test_field_cap_is_configurable(tmp_path: Path) -> None:
    """--max-field-bytes (or AUDITKIT_MAX_FIELD_BYTES) sets the cap."""
    trail = tmp_path / "t.jsonl"
    event = payload(
        "PreToolUse", tool_name="Write", tool_use_id="w", tool_input={"file_path": "/a", "content": "y" * 5000}
    )
    run_hook(event, trail, "--max-field-bytes", "2048")
    assert read_records(trail)[-1]["truncated"][0]["bytes"] == 5000
    run_hook(event, trail, env={"AUDITKIT_MAX_FIELD_BYTES": "8192"})
    assert "truncated" not in read_records(trail)[-1]


def test_many_small_strings_still_fit_the_record_cap(tmp_path: Path) -> None:
    """200,000 file names from a Glob stay under the 1 MiB record cap log shippers accept."""
    trail = tmp_path / "t.jsonl"
    names = [f"/repo/src/module_{i:06d}/file.py" for i in range(200_000)]
    event = payload(
        "PostToolUse",
        tool_name="Glob",
        tool_use_id="g",
        tool_input={"pattern": "**/*.py"},
        tool_response={"filenames": names, "numFiles": len(names)},
    )
    proc = run_hook(event, trail)
    assert proc.returncode == 0 and proc.stdout == b""
    line = trail.read_bytes().splitlines()[-1]
    assert len(line) < 1 << 20
    rec = json.loads(line)
    assert rec["tool_response"]["auditkit_truncated"]["bytes"] > 1 << 20


# --- faults: a file cut short, a lock someone else holds --------------------------------------


def test_a_file_holding_only_a_fragment_is_set_aside_and_a_fresh_trail_starts(tmp_path: Path) -> None:
    """A trail that is one partial line with no newline holds no start this installation marked: it is kept
    beside the trail under a foreign name (evidence), and a new trail, which says so, verifies intact."""
    from auditkit.custody.verify import verify

    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b'{"v":1,"seq":0,"ts":"2026-')
    assert run_hook(payload("Stop"), trail).returncode == 0
    (aside,) = tmp_path.glob("audit-trail.jsonl.foreign-*")
    assert aside.read_bytes() == b'{"v":1,"seq":0,"ts":"2026-'
    records = read_records(trail)
    assert [r["event"] for r in records] == ["trail_start", "set_aside", "Stop"]
    assert records[1]["data"]["file"] == aside.name
    report = verify(trail)
    assert report.intact and [f.kind for f in report.findings] == ["set_aside"], [str(f) for f in report.findings]
    assert aside.name in report.findings[0].message


def _hold_lock(trail: Path, seconds: float) -> subprocess.Popen:
    """Another process that takes the trail's lock and keeps it."""
    code = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); "
        "print('locked', flush=True); time.sleep(float(sys.argv[2]))"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(trail), str(seconds)], stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"locked\n"
    return holder


@pytest.mark.slow  # waits out the lock bound three times
def test_a_held_lock_never_stalls_the_agent_and_loses_no_event(tmp_path: Path) -> None:
    """While another process holds the lock, events are spilled (the hook returns while it still holds it);
    the next writer chains them in capture order, and verify is intact."""
    from auditkit.custody.verify import verify

    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("SessionStart"), trail)
    holder = _hold_lock(trail, 60)
    try:
        for i in range(3):
            proc = run_hook(
                payload("PreToolUse", tool_name="Bash", tool_use_id=f"t{i}", tool_input={"command": f"echo {i}"}), trail
            )
            assert proc.returncode == 0 and proc.stdout == b"" and b"waits in" in proc.stderr
            assert holder.poll() is None  # returned while the other process still held the lock
        spilled = sorted((tmp_path / ".spill").iterdir())
        assert len(spilled) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in spilled)
        assert any(f.kind == "spilled" for f in verify(trail).findings)
    finally:
        holder.kill()
        holder.wait()
    run_hook(payload("PostToolUse", tool_name="Bash", tool_use_id="t0", tool_response={"stdout": "0"}), trail)
    recs = read_records(trail)
    assert [r["event"] for r in recs] == [
        "trail_start",
        "SessionStart",
        "PreToolUse",
        "PreToolUse",
        "PreToolUse",
        "PostToolUse",
    ]
    assert [r["tool_input"]["command"] for r in recs[2:5]] == ["echo 0", "echo 1", "echo 2"]
    assert all(r["spilled"]["captured"] <= r["ts"] for r in recs[2:5])
    assert recs[5]["duration_ms"] > 0 and "pre_seq" not in recs[5]
    assert list((tmp_path / ".spill").iterdir()) == []
    report = verify(trail)
    assert report.intact and not report.findings, [str(f) for f in report.findings]


@pytest.mark.slow
def test_archive_brings_spilled_records_into_the_segment(tmp_path: Path) -> None:
    """A spill waiting when `archive` rotates goes into the archived segment, in the chain."""
    from auditkit.custody import segments
    from auditkit.custody.verify import verify

    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("SessionStart"), trail)
    holder = _hold_lock(trail, 60)
    try:
        run_hook(payload("Stop"), trail)
    finally:
        holder.kill()
        holder.wait()
    rot = segments.archive(trail, seal=False)
    assert rot.rotated is not None and rot.rotated.records == 3
    assert list((tmp_path / ".spill").iterdir()) == [] and verify(tmp_path).intact
