"""The spine end to end: install the hook, feed it every event as Claude Code would, load it back."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd

import auditkit
from auditkit.installer import install
from auditkit.trail import format as tf
from tests.conftest import payload, read_records

TOOL_CALL = {
    "tool_name": "Edit",
    "tool_use_id": "toolu_01ABC",
    "tool_input": {"file_path": "/home/dev/app/src/a.py", "old_string": "x = 1", "new_string": "x = 2"},
}
EVENTS = [
    payload("SessionStart", source="startup"),
    payload("UserPromptSubmit", prompt="Bump x to 2 please"),
    payload("PermissionRequest", tool_name="Edit", tool_input=TOOL_CALL["tool_input"]),
    payload("PreToolUse", **TOOL_CALL),
    payload(
        "PostToolUse",
        **TOOL_CALL,
        tool_response={
            "filePath": "/home/dev/app/src/a.py",
            "oldString": "x = 1",
            "newString": "x = 2",
            "originalFile": "x = 1\n",
            "structuredPatch": [
                {"oldStart": 1, "oldLines": 1, "newStart": 1, "newLines": 1, "lines": ["-x = 1", "+x = 2"]}
            ],
            "userModified": False,
            "replaceAll": False,
        },
    ),
    payload("PreToolUse", tool_name="mcp__github__create_issue", tool_use_id="toolu_02", tool_input={"title": "t"}),
    payload(
        "PostToolUseFailure",
        tool_name="mcp__github__create_issue",
        tool_use_id="toolu_02",
        tool_input={"title": "t"},
        error="MCP error: rate limited",
        is_interrupt=False,
    ),
    payload("SubagentStart", agent_id="agent_7", agent_type="Explore"),
    payload(
        "PreToolUse",
        tool_name="Bash",
        tool_use_id="toolu_03",
        tool_input={"command": "sleep 100"},
        agent_id="agent_7",
        agent_type="Explore",
    ),
    payload(
        "PostToolUseFailure",
        tool_name="Bash",
        tool_use_id="toolu_03",
        tool_input={"command": "sleep 100"},
        error="Interrupted by user",
        is_interrupt=True,
        agent_id="agent_7",
        agent_type="Explore",
    ),
    payload(
        "SubagentStop",
        stop_hook_active=False,
        agent_id="agent_7",
        agent_transcript_path="/home/dev/.claude/projects/x/agent_7.jsonl",
    ),
    payload("Notification", message="Claude needs your permission to use Bash", notification_type="permission"),
    payload("PreCompact", trigger="manual", custom_instructions="keep the diff"),
    payload("Stop", stop_hook_active=False),
    payload("SessionEnd", reason="prompt_input_exit", some_future_field={"nested": [1, 2]}),
]


def same(loaded: object, sent: object) -> bool:
    """Equal, where a missing field loads as NA."""
    if sent is None:
        return loaded is None or bool(pd.isna(loaded))
    return loaded == sent


def installed_commands(project: Path) -> dict[str, str]:
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    return {event: groups[-1]["hooks"][0]["command"] for event, groups in settings["hooks"].items()}


def test_every_event_type_survives_install_hook_and_load(tmp_path: Path) -> None:
    """What Claude Code sends on each of the 12 events comes back from load() intact."""
    project = tmp_path / "app"
    project.mkdir()
    install(project=project)
    commands = installed_commands(project)
    assert set(commands) == set(tf.HOOK_EVENTS)
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    for event in EVENTS:
        proc = subprocess.run(
            commands[event["hook_event_name"]],
            shell=True,
            input=json.dumps(event).encode(),
            capture_output=True,
            cwd=project,
            env=env,
            timeout=30,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), event["hook_event_name"]

    trail = project / ".claude" / "logs" / "audit-trail.jsonl"
    assert oct(trail.stat().st_mode & 0o777) == "0o600"
    assert oct(trail.parent.stat().st_mode & 0o777) == "0o700"
    df = auditkit.load(trail)
    assert df.attrs["problems"] == []
    rows = df[df["event"] != tf.TRAIL_START].reset_index(drop=True)
    assert len(rows) == len(EVENTS)
    assert list(df["seq"]) == list(range(len(EVENTS) + 1))
    assert str(df["timestamp"].dt.tz) == "UTC" and df["timestamp"].notna().all()
    for sent, row in zip(EVENTS, rows.to_dict(orient="records"), strict=True):
        assert row["event"] == sent["hook_event_name"]
        for name in ("session_id", "transcript_path", "cwd", "permission_mode"):
            assert row[name] == sent[name]
        for column, field in (
            ("tool", "tool_name"),
            ("input", "tool_input"),
            ("response", "tool_response"),
            ("error", "error"),
            ("agent_id", "agent_id"),
            ("agent_type", "agent_type"),
        ):
            assert same(row[column], sent.get(field)), (sent["hook_event_name"], column)
        lifted = tf.PAYLOAD_KEYS
        rest = {k: v for k, v in sent.items() if k not in lifted}
        assert (row["data"] or {}) == rest, f"payload fields lost on {sent['hook_event_name']}"
        assert row["user"] and row["host"] and row["agent"] == "claude-code"
    by_event = rows.set_index(["event", "tool_use_id"])
    assert by_event.loc[("PostToolUse", "toolu_01ABC"), "status"] == "ok"
    assert by_event.loc[("PostToolUseFailure", "toolu_02"), "status"] == "error"
    assert by_event.loc[("PostToolUseFailure", "toolu_03"), "status"] == "interrupted"
    assert (rows.loc[rows["event"].isin(["PostToolUse", "PostToolUseFailure"]), "duration_ms"] >= 0).all()
    assert rows.loc[rows["event"] == "UserPromptSubmit", "prompt"].item() == "Bump x to 2 please"
    assert rows.loc[rows["tool"] == "Edit", "file_path"].dropna().unique().tolist() == ["/home/dev/app/src/a.py"]
    assert rows.loc[rows["tool"] == "Bash", "command"].dropna().unique().tolist() == ["sleep 100"]


def test_duration_is_derived_by_pairing_pre_and_post(tmp_path: Path) -> None:
    """Claude Code sends no duration: the Post record carries the time since its PreToolUse."""
    from tests.conftest import run_hook

    trail = tmp_path / "t.jsonl"
    call = {"tool_name": "Bash", "tool_use_id": "toolu_X", "tool_input": {"command": "make"}}
    run_hook(payload("PreToolUse", **call), trail, env={"AUDITKIT_NOW": "2026-03-17T14:00:00Z"})
    run_hook(
        payload("PostToolUse", **call, tool_response={"stdout": ""}),
        trail,
        env={"AUDITKIT_NOW": "2026-03-17T14:00:02.345Z"},
    )
    post = read_records(trail)[-1]
    assert post["duration_ms"] == 2345.0
    assert post["pre_seq"] == 1
    assert not (trail.parent / ".pending").exists() or not any((trail.parent / ".pending").iterdir())


def test_same_tool_use_id_in_two_sessions_pairs_within_each_session(tmp_path: Path) -> None:
    """Durations pair on (session, tool_use_id), so concurrent sessions never steal each other's start."""
    from tests.conftest import run_hook

    trail = tmp_path / "t.jsonl"
    call = {"tool_name": "Read", "tool_use_id": "toolu_same", "tool_input": {"file_path": "/x"}}
    run_hook(payload("PreToolUse", session="A", **call), trail, env={"AUDITKIT_NOW": "2026-01-01T00:00:00Z"})
    run_hook(payload("PreToolUse", session="B", **call), trail, env={"AUDITKIT_NOW": "2026-01-01T00:00:05Z"})
    run_hook(payload("PostToolUse", session="A", **call), trail, env={"AUDITKIT_NOW": "2026-01-01T00:00:06Z"})
    run_hook(payload("PostToolUse", session="B", **call), trail, env={"AUDITKIT_NOW": "2026-01-01T00:00:07Z"})
    posts = [r for r in read_records(trail) if r["event"] == "PostToolUse"]
    assert [(r["session_id"], r["duration_ms"]) for r in posts] == [("A", 6000.0), ("B", 2000.0)]


def test_loaded_frame_has_documented_columns_and_types() -> None:
    """Every documented column is there, with tz-aware UTC times and categorical tool/event/status."""
    from tests.conftest import SAMPLES

    df = auditkit.load(SAMPLES)
    assert list(df.columns) == list(auditkit.COLUMNS)
    assert isinstance(df["timestamp"].dtype, pd.DatetimeTZDtype)
    for col in ("tool", "event", "status"):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert df["timestamp"].is_monotonic_increasing
