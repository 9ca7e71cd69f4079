"""Codex CLI and Gemini CLI in the same frame, views and reports as Claude Code; their hooks installed like Claude's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import auditkit
from auditkit.analysis import findings as F
from auditkit.installer import install, settings_path, uninstall
from tests.conftest import SAMPLES

AGENTS = Path(__file__).resolve().parent / "fixtures" / "agents"
CODEX_OLD = next((AGENTS / "codex" / "sessions" / "2025").rglob("rollout-*.jsonl"))
CODEX_NEW = next((AGENTS / "codex" / "sessions" / "2026").rglob("rollout-*.jsonl"))
GEMINI_JSON = next(AGENTS.rglob("session-*.json"))
GEMINI_JSONL = next(AGENTS.rglob("session-*.jsonl"))


@pytest.mark.parametrize("path", [CODEX_OLD, CODEX_NEW, GEMINI_JSON, GEMINI_JSONL], ids=lambda p: p.suffix + p.name[:9])
def test_each_agents_log_loads_into_the_columns_of_a_claude_code_trail(path: Path) -> None:
    df = auditkit.load(path, strict=True)
    assert list(df.columns) == list(auditkit.COLUMNS) and df.attrs["problems"] == []
    agent = "codex" if "codex" in str(path) else "gemini"
    assert set(df["agent"]) == {agent} and set(df["source_format"]) == {agent}
    calls = auditkit.tool_calls(df)
    assert len(calls) and (calls["status"] != "unfinished").all()  # every call paired with its end


def test_codex_older_rollouts_join_argv_and_fail_on_a_non_zero_exit() -> None:
    calls = auditkit.tool_calls(auditkit.load(CODEX_OLD)).set_index("tool_use_id")
    assert calls.loc["call_old1", "command"] == "ls -la build"  # bash -lc's script, not the argv
    assert calls.loc["call_old1", "duration_ms"] == 100 and calls.loc["call_old1", "status"] == "ok"
    assert calls.loc["call_old2", "command"] == "rm -r /home/dev/app/build"
    assert calls.loc["call_old2", "status"] == "error" and calls.loc["call_old2", "duration_ms"] == 50
    df = auditkit.load(CODEX_OLD)
    assert df.loc[df["event"] == "UserPromptSubmit", "prompt"].tolist() == ["Clean the build folder"]
    assert set(df["session_id"].dropna()) == {"5f1c2a3b-0000-4000-8000-00000000c0d1"}


def test_codex_newer_rollouts_pair_on_call_id_and_count_each_request_once() -> None:
    """exec_command (cmd), exec_command_end then function_call_output for one call; apply_patch; token_count
    repeated and cumulative, cached inside input."""
    df = auditkit.load(CODEX_NEW)
    calls = auditkit.tool_calls(df).set_index("tool_use_id")
    assert calls.loc["call_a", "command"] == "pytest -q" and calls.loc["call_a", "status"] == "error"
    assert calls.loc["call_a", "duration_ms"] == 2500 and calls.loc["call_b", "tool"] == "apply_patch"
    usage = auditkit.token_usage(df)
    assert usage[["input_tokens", "cache_read_tokens", "output_tokens"]].values.tolist() == [
        [200, 1000, 300],
        [200, 1200, 150],
    ]
    table = auditkit.cost(df, by="model")
    expected = (200 * 1.25 + 300 * 10 + 1000 * 0.125) + (200 * 1.25 + 150 * 10 + 1200 * 0.125)
    assert table.loc["gpt-5-codex", "usd"] == pytest.approx(expected / 1e6)


def test_gemini_sessions_give_prompts_calls_with_status_and_tokens() -> None:
    df = auditkit.load([GEMINI_JSON, GEMINI_JSONL])
    calls = auditkit.tool_calls(df).set_index("tool_use_id")
    assert calls.loc["run_shell_command-1", "status"] == "error"
    assert calls.loc["run_shell_command-1", "command"] == "rm -rf node_modules"
    assert calls.loc["replace-1", "file_path"] == "/home/dev/app/README.md"
    assert df.loc[df["event"] == "UserPromptSubmit", "prompt"].tolist() == ["Fix the README typo", "List the docs"]
    table = auditkit.cost(df, by="model")
    pro = 2000 * 1.25 + (200 + 100) * 10 + 3000 * 0.3125  # cached inside input; thoughts are output
    assert table.loc["gemini-2.5-pro", "usd"] == pytest.approx(pro / 1e6)
    assert table.loc["gemini-2.5-flash", "usd"] == pytest.approx((800 * 0.30 + 50 * 2.50) / 1e6)


def test_a_mixed_folder_of_three_agents_loads_together_and_the_views_work_across_them(tmp_path: Path) -> None:
    """Hook trails, a Claude Code transcript, Codex and Gemini logs in one folder: one frame; replay, history,
    summary and cost by agent and model work across them; the CLI's cost reader agrees with the library."""
    folder = tmp_path / "mixed"
    shutil.copytree(AGENTS, folder / "agents")
    shutil.copytree(SAMPLES / "incident", folder / "hook")
    shutil.copytree(AGENTS.parent / "transcripts" / "v2.1-progress", folder / "claude")
    df = auditkit.load(folder, strict=True)
    assert set(df["agent"].dropna()) == {"claude-code", "codex", "gemini"}
    assert set(auditkit.by_agent(df).index) == {"claude-code", "codex", "gemini"}
    session = auditkit.session_id_for(df, "0199a2b3")  # a unique prefix, as the command line takes it
    assert auditkit.replay(df, session)["tool"].tolist() == ["exec_command", "apply_patch"]
    history = auditkit.history(df, "/home/dev/app/README.md")
    assert history["tool"].tolist() == ["replace"] and history["action"].tolist() == ["edit"]  # Gemini's replace
    risky = F.risky_commands(df)
    assert {"rm -rf node_modules", "rm -r /home/dev/app/build"} <= set(risky["command"])
    with pytest.warns(UserWarning):
        by_agent = auditkit.cost(df, by=["agent", "model"])
    assert {a for a, _ in by_agent.index} == {"claude-code", "codex", "gemini"}
    with pytest.warns(UserWarning):
        fast = auditkit.cost(folder, by=["agent", "model"])
    assert fast["usd"].sum() == pytest.approx(by_agent["usd"].sum())


@pytest.mark.parametrize("agent", ["codex", "gemini"])
def test_install_for_another_agent_keeps_other_settings_and_uninstall_removes_exactly_it(
    tmp_path: Path, agent: str
) -> None:
    project = tmp_path / "app"
    path = settings_path(project, agent=agent)
    path.parent.mkdir(parents=True)
    theirs = {
        "model": "keep-me",
        "hooks": {
            "PreToolUse" if agent == "codex" else "BeforeTool": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/their-guard"}]}
            ]
        },
    }
    path.write_text(json.dumps(theirs))
    first = install(project=project, agent=agent)
    assert first.changed and install(project=project, agent=agent).changed is False  # idempotent
    doc = json.loads(path.read_text())
    assert doc["model"] == "keep-me" and f"--agent {agent}" in json.dumps(doc["hooks"])
    tool_event = "PreToolUse" if agent == "codex" else "BeforeTool"
    assert doc["hooks"][tool_event][0]["hooks"][0]["command"] == "/usr/local/bin/their-guard"
    assert uninstall(project=project, agent=agent).changed
    assert json.loads(path.read_text()) == theirs


def _run(command: str, event: dict, cwd: Path) -> None:
    proc = subprocess.run(
        command,
        shell=True,
        input=json.dumps(event).encode(),
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "CLAUDE_PROJECT_DIR": str(cwd)},
        timeout=30,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def test_codex_and_gemini_hook_payloads_through_the_installed_hook(tmp_path: Path) -> None:
    """The same hook, registered by `install --agent`: the trail records which agent acted; Gemini's event names
    map onto the trail's, the original kept."""
    project = tmp_path / "app"
    project.mkdir()
    for agent in ("codex", "gemini"):
        install(project=project, agent=agent)
    codex = json.loads(settings_path(project, agent="codex").read_text())["hooks"]
    gemini = json.loads(settings_path(project, agent="gemini").read_text())["hooks"]
    call = {
        "session_id": "cx-1",
        "cwd": str(project),
        "tool_name": "shell",
        "tool_use_id": "call_1",
        "tool_input": {"command": ["bash", "-lc", "ls"]},
        "model": "gpt-5-codex",
    }
    _run(codex["PreToolUse"][0]["hooks"][0]["command"], {**call, "hook_event_name": "PreToolUse"}, project)
    _run(
        codex["PostToolUse"][0]["hooks"][0]["command"],
        {**call, "hook_event_name": "PostToolUse", "tool_response": {"exit_code": 0}},
        project,
    )
    _run(
        gemini["BeforeTool"][0]["hooks"][0]["command"],
        {
            "session_id": "gm-1",
            "cwd": str(project),
            "hook_event_name": "BeforeTool",
            "tool_name": "read_file",
            "tool_input": {"file_path": "README.md"},
            "timestamp": "2026-09-03T10:00:00Z",
        },
        project,
    )
    df = auditkit.load(project / ".claude" / "logs" / "audit-trail.jsonl")
    rows = df[df["event"] != "trail_start"]
    assert rows[["event", "agent"]].values.tolist() == [
        ["PreToolUse", "codex"],
        ["PostToolUse", "codex"],
        ["PreToolUse", "gemini"],
    ]
    assert rows.iloc[2]["data"]["agent_event"] == "BeforeTool"
    assert auditkit.tool_calls(rows[rows["agent"] == "codex"])["status"].tolist() == ["ok"]
