"""Today's Claude Code (31 events, duration_ms in payloads, prompt_id, effort) through the installed hook."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.installer import doctor, install
from auditkit.trail import format as tf
from tests.conftest import payload, read_records
from tests.test_end_to_end import installed_commands

CURRENT = {"prompt_id": "7c1e4b2a-0000-4000-8000-000000000001", "effort": {"level": "high"}}
EDIT = {
    "tool_name": "Edit",
    "tool_use_id": "toolu_e1",
    "tool_input": {"file_path": "/home/dev/app/src/a.py", "old_string": "x = 1", "new_string": "x = 2"},
}
NEW_EVENTS = [
    payload("ConfigChange", source="project_settings", file_path="/home/dev/app/.claude/settings.json", **CURRENT),
    {**payload("FileChanged", file_path="/home/dev/app/src/a.py", **CURRENT), "event": "change"},
    payload(
        "PermissionDenied",
        tool_name="Bash",
        tool_input={"command": "rm -rf /"},
        tool_use_id="toolu_d1",
        reason="auto mode denied a destructive command",
        **CURRENT,
    ),
    payload("StopFailure", error="rate_limit", error_details="429 from the API", **CURRENT),
    payload("PostToolBatch", tool_calls=[{**EDIT, "tool_response": {"filePath": "/home/dev/app/src/a.py"}}], **CURRENT),
    payload("PostCompact", trigger="auto", compact_summary="Bumped x.", **CURRENT),
    payload("CwdChanged", cwd="/home/dev/app/src", **CURRENT),
    payload("InstructionsLoaded", file_path="/home/dev/app/CLAUDE.md", **CURRENT),
    payload("SubagentStart", agent_id="a1", agent_type="general-purpose", **CURRENT),
    payload("TaskCreated", task_id="t1", subject="Bump x", **CURRENT),
    payload("TaskCompleted", task_id="t1", **CURRENT),
    payload("WorktreeCreate", worktree_path="/home/dev/app-wt", **CURRENT),  # not registered by default: as it comes
    payload("UserPromptExpansion", prompt="/review src/a.py", **CURRENT),  # the hooks reference's current list
    payload("Setup", trigger="init", **CURRENT),
    payload("TeammateIdle", teammate_name="tester", team_name="app", **CURRENT),
]


def _run_installed(project: Path, events: list[dict]) -> Path:
    commands = installed_commands(project)
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    for event in events:
        command = commands.get(event["hook_event_name"], commands["Notification"])  # an unregistered event's way in
        proc = subprocess.run(
            command, shell=True, input=json.dumps(event).encode(), capture_output=True, cwd=project, env=env, timeout=30
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), event["hook_event_name"]
    return project / ".claude" / "logs" / "audit-trail.jsonl"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "app"
    p.mkdir()
    install(project=p)
    return p


def test_install_registers_todays_events_and_each_is_recorded_whole(project: Path) -> None:
    """ConfigChange, FileChanged, PermissionDenied, StopFailure, PostToolBatch, ... registered and recorded with
    every field; prompt_id and effort become columns; an event nobody registered is recorded as it comes."""
    registered = set(installed_commands(project))
    assert registered == set(tf.HOOK_EVENTS) and len(registered) == 25  # the 12 of before, 10, and 3 more
    assert not registered & set(tf.NOT_REGISTERED)  # hooks there act instead of observing
    trail = _run_installed(project, NEW_EVENTS)
    df = auditkit.load(trail, strict=True)
    rows = df[df["event"] != tf.TRAIL_START].reset_index(drop=True)
    assert rows["event"].tolist() == [e["hook_event_name"] for e in NEW_EVENTS]
    assert set(rows["prompt_id"]) == {CURRENT["prompt_id"]} and set(rows["effort"]) == {"high"}
    for sent, rec in zip(NEW_EVENTS, read_records(trail)[1:], strict=True):
        rest = {k: v for k, v in sent.items() if k not in tf.PAYLOAD_KEYS}
        assert (rec.get("data") or {}) == rest, sent["hook_event_name"]
    assert rows.set_index("event").loc["PermissionDenied", "status"] == "denied"


def test_duration_comes_from_the_payload_with_the_wait_beside_it_and_pairing_as_the_fallback(project: Path) -> None:
    """v2.1.119+ sends duration_ms (execution only): it is the duration, the rest of the Pre..Post span is the
    wait; an older payload without it gets the paired span."""
    trail = _run_installed(project, [payload("PreToolUse", **EDIT, **CURRENT)])
    time.sleep(0.3)  # a permission prompt, say
    _run_installed(project, [payload("PostToolUse", **EDIT, tool_response={}, duration_ms=4321, **CURRENT)])
    old = {**EDIT, "tool_use_id": "toolu_old"}
    _run_installed(project, [payload("PreToolUse", **old), payload("PostToolUse", **old, tool_response={})])
    calls = auditkit.tool_calls(auditkit.load(trail)).set_index("tool_use_id")
    assert calls.loc["toolu_e1", "duration_ms"] == 4321
    post = auditkit.load(trail).set_index("tool_use_id")
    post = post[post["event"] == "PostToolUse"]
    assert post.loc["toolu_e1", "wait_ms"] >= 0 and post.loc["toolu_e1", "duration_ms"] == 4321
    assert 0 < calls.loc["toolu_old", "duration_ms"] < 4321 and post["wait_ms"].isna().loc["toolu_old"]


def test_post_tool_batch_is_not_counted_as_calls_and_a_denied_call_is_denied(project: Path) -> None:
    trail = _run_installed(
        project,
        [
            payload("PreToolUse", **EDIT),
            payload("PostToolUse", **EDIT, tool_response={}),
            NEW_EVENTS[4],
            payload("PreToolUse", tool_name="Bash", tool_use_id="toolu_d1", tool_input={"command": "rm -rf /"}),
            NEW_EVENTS[2],
        ],
    )
    calls = auditkit.tool_calls(auditkit.load(trail)).set_index("tool_use_id")
    assert len(calls) == 2 and calls.loc["toolu_d1", "status"] == "denied"
    assert auditkit.summary(auditkit.load(trail)).attrs["totals"]["invocations"] == 2


def test_file_changed_shows_in_the_file_history_as_a_change_outside_the_tools(project: Path) -> None:
    write = {
        "tool_name": "Write",
        "tool_use_id": "w1",
        "tool_input": {"file_path": "/home/dev/app/src/a.py", "content": "x = 1\n"},
    }
    trail = _run_installed(
        project, [payload("PreToolUse", **write), payload("PostToolUse", **write, tool_response={}), NEW_EVENTS[1]]
    )
    history = auditkit.history(auditkit.load(trail), "/home/dev/app/src/a.py")
    assert history["action"].tolist() == ["create", "modify"]
    last = history.iloc[-1]
    assert last["tool"] == "FileChanged" and not last["known"] and "outside the agent's tools" in last["note"]


@pytest.mark.parametrize(
    ("where", "doc", "says"),
    [
        ("settings.local.json", {"disableAllHooks": True}, "disableAllHooks"),
        ("managed", {"allowManagedHooksOnly": True}, "allowManagedHooksOnly"),
        ("settings.local.json", {"hooks": None}, "shadows"),
        ("matcher", {}, "only matches 'Bash'"),
    ],
)
def test_doctor_fails_when_hooks_cannot_run(
    project: Path, tmp_path: Path, where: str, doc: dict, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each way Claude Code's settings switch hooks off is a failure of doctor (exit 1), named with its file."""
    managed = tmp_path / "managed-settings.json"
    if where == "managed":
        managed.write_text(json.dumps(doc))
    elif where == "matcher":
        settings = project / ".claude" / "settings.json"
        d = json.loads(settings.read_text())
        d["hooks"]["PreToolUse"][0]["matcher"] = "Bash"
        settings.write_text(json.dumps(d))
    else:
        (project / ".claude" / where).write_text(json.dumps(doc))
    checks = doctor(project, managed=[managed])
    assert any(c.level == "fail" and says in c.message for c in checks), [c.message for c in checks]
    aside = [c.message for c in checks if c.message.startswith("not observed, on purpose")]
    assert aside and all(e in aside[0] for e in ("WorktreeCreate", "WorktreeRemove", "Elicitation"))
    if where == "matcher":
        assert main(["doctor", "--project", str(project)]) == 1
        assert says in capsys.readouterr().out


def test_session_end_with_a_seal_key_fits_claude_codes_budget(project: Path) -> None:
    """SessionEnd hooks share a 1.5 s budget: the hook hands the seal to a detached process and returns."""
    auditkit.keygen()
    trail = _run_installed(project, [payload("SessionStart")])
    command = installed_commands(project)["SessionEnd"]
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        command,
        shell=True,
        input=json.dumps(payload("SessionEnd", reason="exit")).encode(),
        capture_output=True,
        cwd=project,
        env=env,
        timeout=30,
    )
    took = time.perf_counter() - t0
    assert proc.returncode == 0 and proc.stdout == b""
    print(f"SessionEnd with a seal key: {took * 1000:.0f} ms")
    assert took < 1.5, f"{took:.2f} s is over Claude Code's SessionEnd budget"
    seals = trail.with_name("audit-trail.seals.jsonl")
    for _ in range(100):  # the detached seal lands on its own
        if seals.exists() and seals.read_text():
            break
        time.sleep(0.1)
    assert auditkit.verify(trail).seals["valid"] == 1


def test_settings_changed_mid_session_and_refused_calls_are_findings(project: Path) -> None:
    """ConfigChange and PermissionDenied reach the incident findings, and the compliance checklist fails AU-5."""
    import pandas as pd

    from auditkit.analysis import findings as F

    trail = _run_installed(project, [payload("SessionStart"), NEW_EVENTS[0], NEW_EVENTS[2]])
    df = auditkit.load(trail)
    changes, denied = F.config_changes(df), F.permission_denials(df)
    assert changes["file_path"].tolist() == ["/home/dev/app/.claude/settings.json"]
    assert denied[["tool", "command", "reason"]].values.tolist() == [
        ["Bash", "rm -rf /", "auto mode denied a destructive command"]
    ]
    checks = F.checklist(df, auditkit.verify(trail), [], pd.DataFrame({"ok": [True]}), F.retention_coverage(df, 1))
    row = checks.set_index("control").loc["NIST AU-5 / AU-12(3)"]
    assert row["status"] == "fail" and "/home/dev/app/.claude/settings.json" in row["evidence"]


def test_doctor_names_the_events_older_settings_do_not_register(project: Path) -> None:
    """Settings written by an older install lack today's events: doctor says which, and how to add them."""
    settings = project / ".claude" / "settings.json"
    d = json.loads(settings.read_text())
    for event in ("UserPromptExpansion", "Setup", "TeammateIdle"):
        del d["hooks"][event]
    settings.write_text(json.dumps(d))
    warned = [c.message for c in doctor(project) if c.level == "warn" and "not registered" in c.message]
    assert warned == ["hook not registered for: UserPromptExpansion, Setup, TeammateIdle (run `auditkit install`)"]
    install(project=project)
    assert not [c for c in doctor(project) if "not registered for" in c.message]
