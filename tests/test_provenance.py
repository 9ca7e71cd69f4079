"""The repository is the attacker: trails, spill files and segments it plants, and links it ships in place of
``.claude``, are never continued, chained or written through. Every attack runs the real hook and the real CLI
in their own processes, on a project folder laid out as a cloned repository would lay it out."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditkit.installer import install
from auditkit.trail import format as tf
from tests.conftest import SAMPLES, payload, read_records, run_hook

TRAIL = Path(".claude") / "logs" / "audit-trail.jsonl"


def cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def event(project: Path, name: str = "Stop", **extra: object) -> subprocess.CompletedProcess:
    """One hook event in ``project``, as Claude Code runs the hook there (its project dir and cwd)."""
    project.mkdir(parents=True, exist_ok=True)
    body = {**payload(name, **extra), "cwd": str(project)}
    return run_hook(body, env={"CLAUDE_PROJECT_DIR": str(project)}, cwd=project)


def forged_chain(records: list[dict], trail_id: str = "0badc0de-0000-4000-8000-000000000000") -> bytes:
    """A well-chained trail as a repository commits it: right genesis, right hashes, no key of ours."""
    created = "2026-11-01T09:00:00.000000Z"
    start = {"event": "trail_start", "status": "info",
             "data": {"trail_id": trail_id, "created": created, "previous_segment": None}}  # fmt: skip
    out, prev = [], tf.genesis_hash(trail_id, created)
    for seq, fields in enumerate([start, *records]):
        line = tf.encode_record(seq, created, prev, fields)
        prev = tf.split_line(line)[1]
        out.append(line)
    return b"".join(out)


ALICE = {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "user": "alice",
         "tool_input": {"command": "psql prod -c 'DROP DATABASE prod'"}}  # fmt: skip


def test_a_planted_well_chained_trail_is_set_aside_never_continued_or_sealed(tmp_path: Path) -> None:
    """The repository ships `.claude/logs/audit-trail.jsonl` ("alice dropped prod"), well chained: the hook does
    not append to it, moves it aside intact (evidence), starts its own trail saying so, and SessionEnd seals
    the new trail, never the forgery; verify says the forgery was not created by this installation."""
    assert cli("keygen").returncode == 0  # a seal key configured: SessionEnd seals
    project = tmp_path / "cloned-repo"
    (project / TRAIL).parent.mkdir(parents=True)
    forged = forged_chain([ALICE])
    (project / TRAIL).write_bytes(forged)

    done = event(project, "SessionEnd", reason="exit")
    assert done.returncode == 0 and "not created by this installation was set aside" in done.stderr.decode()
    (aside,) = (project / TRAIL).parent.glob("audit-trail.jsonl.foreign-*")
    assert aside.read_bytes() == forged  # kept byte for byte
    records = read_records(project / TRAIL)
    assert [r["event"] for r in records] == ["trail_start", "set_aside", "SessionEnd"]
    assert records[1]["data"]["file"] == aside.name and "no provenance mark" in records[1]["data"]["reason"]
    assert "alice" not in (project / TRAIL).read_text() and "DROP DATABASE" not in (project / TRAIL).read_text()

    seal_log = project / ".claude" / "logs" / "audit-trail.seals.jsonl"
    deadline = time.monotonic() + 30
    while not (seal_log.is_file() and seal_log.read_bytes().endswith(b"\n")) and time.monotonic() < deadline:
        time.sleep(0.05)
    (seal,) = [json.loads(line) for line in seal_log.read_text().splitlines()]
    assert seal["trail_id"] == records[0]["data"]["trail_id"] != "0badc0de-0000-4000-8000-000000000000"

    ours = cli("verify", str(project / TRAIL))
    assert ours.returncode == 0 and "created (or adopted) by this installation" in ours.stdout, ours.stdout
    assert "set_aside" in ours.stdout and aside.name in ours.stdout
    theirs = cli("verify", str(aside))
    assert theirs.returncode == 1 and "not created by this installation" in theirs.stdout
    doctor_view = cli("verify", str(aside), env={"XDG_CONFIG_HOME": str(tmp_path / "a-verifier-without-our-key")})
    assert doctor_view.returncode == 0 and "provenance: not checked" in doctor_view.stdout  # the chain alone


def test_a_planted_trail_with_a_made_up_mark_is_set_aside(tmp_path: Path) -> None:
    """A mark the repository made up (any 64 hex digits, or another installation's) is not this installation's."""
    other = run_hook(payload("Stop"), tmp_path / "elsewhere.jsonl", env={"XDG_CONFIG_HOME": str(tmp_path / "other")})
    assert other.returncode == 0
    project = tmp_path / "repo"
    (project / TRAIL).parent.mkdir(parents=True)
    shutil.copy(tmp_path / "elsewhere.jsonl", project / TRAIL)  # marked, but by another installation's key
    assert event(project).returncode == 0
    records = read_records(project / TRAIL)
    assert records[1]["event"] == "set_aside" and "not made with this installation's key" in records[1]["error"]


def test_planted_spill_files_are_set_aside_never_chained(tmp_path: Path) -> None:
    """Files in `.claude/logs/.spill/` named like the hook's: unmarked, with a made-up mark, or a genuine spill
    renamed (its mark binds its name) are never chained as events; each is kept as `….foreign` and named in a
    set_aside record, in verify and in doctor. A genuine spill of this installation is chained."""
    from auditkit.trail import appender

    project = tmp_path / "repo"
    install(project=project)
    assert event(project, "SessionStart").returncode == 0
    trail = project / TRAIL
    spill = trail.parent / ".spill"
    spill.mkdir(mode=0o700)
    plain = {"captured_ns": 1, "fields": {"event": "PostToolUse", "status": "ok", "user": "mallory"}}
    (spill / "audit-trail.jsonl.00000000000000000001-1-aaaaaaaa.json").write_text(json.dumps(plain))
    made_up = json.dumps(plain)[:-1] + ',"mark":"' + "ab" * 32 + '"}'
    (spill / "audit-trail.jsonl.00000000000000000002-1-bbbbbbbb.json").write_text(made_up)
    genuine = appender.spill(str(trail), lambda seq, ts: {"event": "Notification", "status": "info", "user": "me"})
    renamed = spill / "audit-trail.jsonl.00000000000000000003-1-cccccccc.json"
    renamed.write_bytes(Path(genuine.spilled).read_bytes())  # the same bytes under another name
    assert event(project).returncode == 0

    records = read_records(trail)
    assert "mallory" not in trail.read_text()
    chained = [r for r in records if r["event"] == "Notification"]
    assert len(chained) == 1 and chained[0]["spilled"]["file"] == Path(genuine.spilled).name
    aside = sorted(r["data"]["file"] for r in records if r["event"] == "set_aside")
    assert aside == sorted(p.name for p in spill.glob("*.foreign")) and len(aside) == 3
    assert renamed.name + ".foreign" in aside
    assert sorted(p.name for p in spill.iterdir()) == aside  # the genuine one was chained and removed

    shown = cli("verify", str(trail))
    assert shown.returncode == 0 and all(name in shown.stdout for name in aside)
    doctor = cli("doctor", "--project", str(project), cwd=project)
    assert "set aside beside" in doctor.stdout and all(name in doctor.stdout for name in aside), doctor.stdout


def _segment(trail_id: str, first_seq: int, records: list[dict]) -> bytes:
    created = "2026-10-01T00:00:00.000000Z"
    start = {"event": "trail_start", "status": "info",
             "data": {"trail_id": trail_id, "created": created, "previous_segment": None}}  # fmt: skip
    out, prev = [], tf.genesis_hash(trail_id, created)
    for seq, fields in enumerate([start, *records], first_seq):
        line = tf.encode_record(seq, created, prev, fields)
        prev = tf.split_line(line)[1]
        out.append(line)
    return gzip.compress(b"".join(out))


def test_a_planted_segment_is_reported_by_verify_and_set_aside_by_archive(tmp_path: Path) -> None:
    """A gzip segment the repository ships beside the trail (named as rotation names them): verify of the
    folder says it was not created here (not intact); `archive` does not list it in the manifest, renames it
    `….foreign` and records that in the trail; the trail's own chain stays intact."""
    project = tmp_path / "repo"
    for name in ("SessionStart", "Stop"):
        assert event(project, name).returncode == 0
    logs = (project / TRAIL).parent
    planted = logs / "audit-trail.0000000000-0000000001.jsonl.gz"
    planted.write_bytes(_segment("5e9e0000-0000-4000-8000-000000000000", 0, [ALICE]))

    before = cli("verify", str(logs))
    assert before.returncode == 1 and "not created by this installation" in before.stdout
    assert planted.name in before.stdout

    archived = cli("archive", str(project / TRAIL))
    assert archived.returncode == 0, archived.stderr
    assert f"set aside {planted.name}" in archived.stdout
    assert not planted.exists() and (logs / (planted.name + ".foreign")).read_bytes()[:2] == b"\x1f\x8b"
    manifest = json.loads((logs / "audit-trail.manifest.json").read_text())
    assert planted.name not in {s["file"] for s in manifest["segments"]}
    assert any(r["event"] == "set_aside" and r["data"]["what"] == "segment" for r in _all_records(logs))
    after = cli("verify", str(logs))
    assert after.returncode == 0 and planted.name + ".foreign" in after.stdout, after.stdout


def _all_records(logs: Path) -> list[dict]:
    out = []
    for p in sorted(q for q in logs.glob("audit-trail*.jsonl*") if not q.name.endswith((".foreign", "seals.jsonl"))):
        raw = gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        out += [json.loads(line) for line in raw.splitlines() if line.strip()]
    return out


@pytest.mark.parametrize("link", [".claude", ".claude/logs"])
def test_a_linked_claude_or_logs_folder_is_never_written_through(tmp_path: Path, link: str) -> None:
    """Repository B ships `.claude` (or `.claude/logs`) as a link into project A: B's events never land in A's
    trail; the hook refuses, says so on stderr and exits 0; doctor names the link."""
    victim = tmp_path / "victim"
    assert event(victim, "SessionStart").returncode == 0
    before = (victim / TRAIL).read_bytes()
    attacker = tmp_path / "attacker"
    (attacker / link).parent.mkdir(parents=True, exist_ok=True)
    (attacker / link).symlink_to(victim / link)
    done = event(attacker, "UserPromptSubmit", prompt="this is B's prompt")
    assert done.returncode == 0 and done.stdout == b""
    assert "symlink" in done.stderr.decode() and "refusing to write there" in done.stderr.decode()
    assert (victim / TRAIL).read_bytes() == before
    assert not list((victim / TRAIL).parent.glob(".spill/*"))
    from auditkit.installer import provenance_checks

    (check,) = provenance_checks(attacker / TRAIL)
    assert check.level == "fail" and "symlink" in check.message


def test_a_project_reached_through_a_link_is_allowed(tmp_path: Path) -> None:
    """The documented choice: the project root itself may be reached through links (the user's own path, say
    ~/work -> /data/work); only from the project root down are links refused."""
    real = tmp_path / "data" / "app"
    real.mkdir(parents=True)
    (tmp_path / "work").symlink_to(tmp_path / "data")
    assert event(tmp_path / "work" / "app").returncode == 0
    assert [r["event"] for r in read_records(real / TRAIL)] == ["trail_start", "Stop"]


def _without_override(project: Path, name: str, **extra: object) -> subprocess.CompletedProcess:
    """The hook as an ordinary user runs it: the tests run as root, whom mode 0400 does not stop, so the hook's
    process is started without the capabilities that override file modes (setpriv's bounding set)."""
    from tests.conftest import hook_argv

    body = json.dumps({**payload(name, **extra), "cwd": str(project)}).encode()
    argv = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *hook_argv()]
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    return subprocess.run(argv, input=body, capture_output=True, env=env, cwd=project, timeout=60)


def test_a_trail_made_read_only_spills_the_event_and_records_why(tmp_path: Path) -> None:
    """chmod 0400 on the trail: the event is not dropped; it waits in a spill file (stderr says why), and once
    the trail can be written again a hook_error naming the failure is chained before it. Nothing is lost."""
    project = tmp_path / "proj"
    project.mkdir()
    assert _without_override(project, "SessionStart").returncode == 0
    trail = project / TRAIL
    before = trail.read_bytes()
    trail.chmod(0o400)
    held = _without_override(project, "UserPromptSubmit", prompt="kept while the trail was read-only")
    err = held.stderr.decode()
    assert held.returncode == 0 and "PermissionError" in err and "waits in" in err, err
    assert trail.read_bytes() == before
    assert len(list((trail.parent / ".spill").glob("*.json"))) == 1
    trail.chmod(0o600)
    assert _without_override(project, "Stop").returncode == 0
    events = [(r["event"], r.get("error", "")) for r in read_records(trail)]
    assert [e for e, _ in events] == ["trail_start", "SessionStart", "hook_error", "UserPromptSubmit", "Stop"]
    assert "PermissionError" in events[2][1] and "could not be written" in events[2][1]
    assert read_records(trail)[3]["data"]["prompt"] == "kept while the trail was read-only"
    assert not list((trail.parent / ".spill").glob("*.json"))


def _sealed_trail(tmp_path: Path) -> tuple[Path, Path]:
    assert cli("keygen").returncode == 0
    project = tmp_path / "proj"
    for i in range(6):
        assert event(project, "Notification", message=f"n{i}").returncode == 0
    trail = project / TRAIL
    assert cli("seal", str(trail)).returncode == 0
    pub = Path(os.environ["XDG_CONFIG_HOME"]) / "auditkit" / "seal.pub"
    return trail, pub


def test_a_cut_inside_the_sealed_part_with_the_seal_log_removed_fails_verify_with_a_key(tmp_path: Path) -> None:
    """Cut the trail inside what was sealed and delete the seal log: with `--pubkey` (and with the configured
    public key) verify fails, because a key means seals are required. A verifier without any key sees only a
    consistent chain: the documented limit of an unsealed chain."""
    trail, pub = _sealed_trail(tmp_path)
    lines = trail.read_bytes().splitlines(keepends=True)
    trail.write_bytes(b"".join(lines[:4]))  # seq 0..3 of a trail sealed at seq 6
    (trail.parent / "audit-trail.seals.jsonl").unlink()
    given = cli("verify", str(trail), "--pubkey", str(pub))
    assert given.returncode == 1 and "seals are required" in given.stdout and "NOT INTACT" in given.stdout
    configured = cli("verify", str(trail))
    assert configured.returncode == 1 and "seals are required" in configured.stdout
    elsewhere = cli("verify", str(trail), env={"XDG_CONFIG_HOME": str(tmp_path / "no-keys")})
    assert elsewhere.returncode == 0


def test_a_trail_of_this_installation_keeps_working_across_hooks_rotation_and_sealing(tmp_path: Path) -> None:
    """The normal life of a trail: hook calls, `archive` (rotation, which seals), more calls, a seal; verify with
    the public key is intact, says the trail is this installation's, and nothing was set aside."""
    trail, pub = _sealed_trail(tmp_path)
    project = trail.parent.parent.parent
    archived = cli("archive", str(trail))
    assert archived.returncode == 0 and "rotated seq 0..6" in archived.stdout, archived.stdout
    for i in range(3):
        assert event(project, "Notification", message=f"after {i}").returncode == 0
    assert cli("seal", str(trail)).returncode == 0
    shown = cli("verify", str(trail.parent), "--pubkey", str(pub))
    assert shown.returncode == 0 and "INTACT" in shown.stdout, shown.stdout
    assert "created (or adopted) by this installation" in shown.stdout and "set_aside" not in shown.stdout
    records = _all_records(trail.parent)
    assert [r["seq"] for r in records] == list(range(len(records))) and len(records) == 11
    assert not [r for r in records if r["event"] in ("set_aside", "hook_error")]


def test_a_trail_written_before_marks_is_set_aside_unless_the_user_adopts_it(tmp_path: Path) -> None:
    """A trail from before marks is indistinguishable from a planted one: never adopted silently. After an
    explicit `auditkit adopt`, recorded in the new start, the hook continues the same chain."""
    old = SAMPLES / "concurrent" / "audit-trail.jsonl"  # 35 records written by an earlier hook
    left, adopted = tmp_path / "left", tmp_path / "adopted"
    for project in (left, adopted):
        (project / TRAIL).parent.mkdir(parents=True)
        shutil.copy(old, project / TRAIL)
    assert event(left).returncode == 0
    assert read_records(left / TRAIL)[1]["event"] == "set_aside"

    done = cli("adopt", str(adopted / TRAIL))
    assert done.returncode == 0 and "adopted" in done.stdout, done.stderr
    assert event(adopted).returncode == 0
    records = read_records(adopted / TRAIL)
    assert [r["event"] for r in records] == ["trail_start", "Stop"] and records[0]["seq"] == 35
    assert records[0]["data"]["adopted"]["reason"].startswith("its trail_start has no provenance mark")
    shown = cli("verify", str((adopted / TRAIL).parent))
    assert shown.returncode == 0 and "created (or adopted)" in shown.stdout, shown.stdout
    again = cli("adopt", str(adopted / TRAIL))
    assert again.returncode != 0 and "nothing to adopt" in again.stderr


def test_a_redacted_copy_of_a_planted_trail_is_not_laundered_into_this_installations(tmp_path: Path) -> None:
    """`auditkit redact` re-chains a trail: the copy carries this installation's mark only when the source did,
    so a planted trail cannot come back marked through a redacted copy. Away from a project's trail folder a
    trail from elsewhere is a warning (a colleague's trail examined here), not a break."""
    ours = tmp_path / "ours"
    assert event(ours, "SessionStart").returncode == 0
    planted = tmp_path / "planted.jsonl"
    planted.write_bytes(forged_chain([ALICE]))
    good, bad = tmp_path / "ours.copy.jsonl", tmp_path / "planted.copy.jsonl"
    for src, dst in ((ours / TRAIL, good), (planted, bad)):
        assert cli("redact", str(src), str(dst)).returncode == 0
    assert "mark" in read_records(good)[0]["data"] and "mark" not in read_records(bad)[0]["data"]
    assert "created (or adopted) by this installation" in cli("verify", str(good)).stdout
    shown = cli("verify", str(bad))
    assert (
        shown.returncode == 0
        and "WARNING foreign" in shown.stdout
        and "not created by this installation" in (shown.stdout)
    )


def test_doctor_checks_the_trail_the_hooks_own_trail_option_names(tmp_path: Path) -> None:
    """A hook installed with ``--trail`` writes there: doctor checks that trail's provenance, not the project's
    default one (it once read the command string character by character and never found the option)."""
    project = tmp_path / "repo"
    elsewhere = tmp_path / "trails" / "team.jsonl"
    install(project=project, trail=str(elsewhere))
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(forged_chain([ALICE]))
    shown = cli("doctor", "--project", str(project), cwd=project)
    assert "was not created by this installation" in shown.stdout and str(elsewhere) in shown.stdout, shown.stdout


def test_doctor_says_a_planted_trail_is_not_this_installations(tmp_path: Path) -> None:
    """`auditkit doctor` in a cloned repository that ships a trail: it says the trail was not created by this
    installation; its own test event goes to a scratch trail, so the planted one is left as it is (the hook
    sets it aside on the first real event)."""
    project = tmp_path / "repo"
    install(project=project)
    (project / TRAIL).parent.mkdir(parents=True, exist_ok=True)
    (project / TRAIL).write_bytes(forged_chain([ALICE]))
    shown = cli("doctor", "--project", str(project), cwd=project)
    assert "was not created by this installation" in shown.stdout and "auditkit adopt" in shown.stdout, shown.stdout
    assert "test event recorded in a scratch trail" in shown.stdout
    assert (project / TRAIL).read_bytes() == forged_chain([ALICE])
