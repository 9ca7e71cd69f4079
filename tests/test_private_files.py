"""Planted links, FIFOs and loose modes never turn the kit's writes against its owner (real hook, real CLI)."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.custody import segments
from tests.conftest import hook_argv, payload, read_records, run_hook

PRECIOUS = b"the user's own file: must never change\n"


def _precious(tmp_path: Path) -> Path:
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_bytes(PRECIOUS)
    return target


def _refused(proc: subprocess.CompletedProcess, says: str = "refusing to write there") -> None:
    assert proc.returncode == 0 and proc.stdout == b""
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and says in err, err


def test_symlink_at_the_trail_path_is_not_followed(tmp_path: Path) -> None:
    """A link planted where the trail goes: the hook refuses, exits 0, and the file it points at is unchanged."""
    target = _precious(tmp_path)
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    trail.parent.mkdir()
    trail.symlink_to(target)
    _refused(run_hook(payload("Stop"), trail), "is a symlink, not a regular file")
    assert target.read_bytes() == PRECIOUS


def test_dangling_symlink_at_the_trail_path_creates_nothing(tmp_path: Path) -> None:
    """A link to a file that does not exist yet: its target is not created."""
    target = tmp_path / "elsewhere" / "new-file"
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    trail.parent.mkdir()
    trail.symlink_to(target)
    _refused(run_hook(payload("Stop"), trail))
    assert not target.exists() and not target.parent.exists()


def test_trail_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    """A cloned repository can ship `.claude/logs` as a link into the user's home: nothing is written through it."""
    home = tmp_path / "home-ssh"
    home.mkdir()
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "logs").symlink_to(home)
    _refused(run_hook(payload("Stop", cwd=str(project)), None, cwd=project), "is a symlink, not a folder")
    assert list(home.iterdir()) == []


def test_fifo_at_the_trail_path_does_not_hang_the_agent(tmp_path: Path) -> None:
    """A FIFO where the trail goes would block a plain open for ever: the hook refuses it at once."""
    trail = tmp_path / "audit-trail.jsonl"
    os.mkfifo(trail)
    _refused(run_hook(payload("Stop"), trail), "is a FIFO")


def test_symlinked_pending_folder_is_neither_written_nor_swept(tmp_path: Path) -> None:
    """`.pending` linked to another folder: PreToolUse writes nothing there, SessionEnd deletes nothing there."""
    victim = tmp_path / "victim"
    victim.mkdir()
    old = victim / "0123456789abcdef0123456789abcdef"  # named like a pending entry, and old
    old.write_bytes(PRECIOUS)
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    run_hook(payload("SessionStart"), trail)
    (trail.parent / ".pending").symlink_to(victim)
    pre = run_hook(payload("PreToolUse", tool_name="Bash", tool_use_id="toolu_1", tool_input={"command": "ls"}), trail)
    assert pre.returncode == 0 and "is a symlink, not a folder" in pre.stderr.decode()
    assert run_hook(payload("SessionEnd", reason="exit"), trail).returncode == 0
    assert sorted(p.name for p in victim.iterdir()) == [old.name] and old.read_bytes() == PRECIOUS
    events = [(r["event"], r.get("error", "")) for r in read_records(trail)][-3:]
    assert [e for e, _ in events] == ["PreToolUse", "hook_error", "SessionEnd"]  # the event kept, the refusal too
    assert "is a symlink" in events[1][1]


def test_sweep_removes_only_the_hooks_own_stale_entries(tmp_path: Path) -> None:
    """Inside a real `.pending`: an old entry goes; a link with a pending name and other files stay."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    run_hook(payload("SessionStart"), trail)
    pending = trail.parent / ".pending"
    pending.mkdir(mode=0o700)
    target = _precious(tmp_path)
    stale = pending / ("a" * 32)
    stale.write_text("1 2")
    link = pending / ("b" * 32)
    link.symlink_to(target)
    other = pending / "notes.txt"
    other.write_text("not the hook's")
    for p in (stale, other):
        os.utime(p, (time.time() - 3 * 86400,) * 2)
    os.utime(link, (time.time() - 3 * 86400,) * 2, follow_symlinks=False)
    assert run_hook(payload("SessionEnd", reason="exit"), trail).returncode == 0
    assert sorted(p.name for p in pending.iterdir()) == sorted([link.name, other.name])
    assert target.read_bytes() == PRECIOUS


def test_archive_never_writes_through_links_planted_at_its_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links at the manifest, its old temporary name, the rotation temp and a segment name: no target changes."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    for i in range(3):
        run_hook(payload("Notification", message=f"n{i}"), trail)
    target = _precious(tmp_path)
    for name in ("audit-trail.manifest.json.tmp", "audit-trail.jsonl.rotating", ".audit-trail.manifest.json.tmp"):
        (trail.parent / name).symlink_to(target)  # the names earlier versions used for temporary files
    assert main(["archive", str(trail)]) == 0
    assert target.read_bytes() == PRECIOUS
    assert [s.file for s in segments.read_manifest(trail).segments] == ["audit-trail.0000000000-0000000003.jsonl.gz"]
    manifest = trail.parent / "audit-trail.manifest.json"
    manifest.unlink()
    manifest.symlink_to(target)  # a link in place of the manifest itself: refused, not read, not replaced
    run_hook(payload("Stop"), trail)
    assert main(["archive", str(trail)]) == 2
    assert "is a symlink, not the manifest" in capsys.readouterr().err
    assert target.read_bytes() == PRECIOUS
    manifest.unlink()
    # a link named like the next segment: the rotation refuses rather than linking over it
    run_hook(payload("Stop"), trail)
    planted = trail.parent / "audit-trail.0000000004-0000000006.jsonl"
    planted.symlink_to(target)
    assert main(["archive", str(trail)]) == 2
    assert "something is there already; refusing to replace it" in capsys.readouterr().err
    assert target.read_bytes() == PRECIOUS
    planted.unlink()
    assert auditkit.verify(trail.parent).intact and main(["archive", str(trail)]) == 0


def test_seal_log_that_is_a_symlink_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Seals are never appended to the file a planted seal-log link points at."""
    auditkit.keygen()
    trail = tmp_path / "audit-trail.jsonl"
    run_hook(payload("Stop"), trail)
    target = _precious(tmp_path)
    (tmp_path / "audit-trail.seals.jsonl").symlink_to(target)
    assert main(["seal", str(trail)]) == 2
    assert "is a symlink, not a regular file" in capsys.readouterr().err
    assert target.read_bytes() == PRECIOUS


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode) for p in sorted(root.rglob("*"))}


def test_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    """Under umask 000: every folder the kit makes (intermediate ones too) is 0700, every file 0600, seal.pub 0644."""
    root = tmp_path / "a"
    trail = root / "b" / "c" / "audit-trail.jsonl"
    config = tmp_path / "config"
    env = {"XDG_CONFIG_HOME": str(config)}
    script = f"""
import os, subprocess, sys
os.umask(0)
hook = {hook_argv(trail)!r}
def run(event):
    subprocess.run(hook, input=event.encode(), check=True)
run('{{"hook_event_name":"SessionStart","session_id":"s"}}')
run('{{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t1","tool_name":"X","tool_input":{{"password":"hunter2-abc"}}}}')
run('{{"hook_event_name":"Stop","session_id":"s"}}')
subprocess.run([sys.executable, "-m", "auditkit", "keygen"], check=True, capture_output=True)
subprocess.run([sys.executable, "-m", "auditkit", "archive", {str(trail)!r}], check=True, capture_output=True)
"""
    subprocess.run([os.sys.executable, "-c", script], check=True, env={**os.environ, **env})
    modes = _modes(root)
    assert {k: oct(v) for k, v in modes.items() if (root / k).is_dir()} == {
        k: "0o700" for k in ("b", "b/c", "b/c/.pending")
    }
    files = {k: v for k, v in modes.items() if not (root / k).is_dir()}
    assert files and all(v == 0o600 for v in files.values()), {k: oct(v) for k, v in files.items()}
    assert {p.name for p in trail.parent.iterdir()} >= {
        "audit-trail.jsonl",
        "audit-trail.manifest.json",
        "audit-trail.seals.jsonl",
    }
    keys = _modes(config)
    assert keys == {
        "auditkit": 0o700,
        "auditkit/fingerprint.key": 0o600,
        "auditkit/seal.key": 0o600,
        "auditkit/seal.pub": 0o644,
        "auditkit/trail.key": 0o600,
    } | {k: v for k, v in keys.items() if "sre" in k}


def test_doctor_and_compliance_report_a_loose_trail_folder(tmp_path: Path) -> None:
    """A pre-existing trail folder open to others is named by `doctor` and by the compliance checks."""
    from auditkit.analysis.findings import file_permissions
    from auditkit.installer import doctor, install

    project = tmp_path / "project"
    logs = project / ".claude" / "logs"
    logs.mkdir(parents=True)
    os.chmod(logs, 0o755)
    install(project)
    checks = doctor(project)
    assert any(c.level == "warn" and "0o755" in c.message and "others can read" in c.message for c in checks)
    run_hook(payload("PreToolUse"), logs / "audit-trail.jsonl")  # doctor's own test event goes to a scratch trail
    perms = file_permissions([str(logs / "audit-trail.jsonl")])
    assert not perms["ok"].iloc[0] and "0o755" in perms["note"].iloc[0]
