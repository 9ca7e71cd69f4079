"""The command line: `auditkit summary` prints the seed's analysis as a table or JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from auditkit.cli import main
from tests.conftest import SAMPLES, run_hook
from tests.conftest import payload as hook_payload


def make_trail(tmp_path: Path) -> Path:
    """Three Bash calls (100, 200, 300 ms; the last fails) and one Read (40 ms)."""
    trail = tmp_path / "t.jsonl"
    t = 0

    def at(ms: int) -> dict:
        return {"AUDITKIT_NOW": f"2026-03-17T14:00:{ms // 1000:02d}.{ms % 1000:03d}Z"}

    for i, (tool, ms, ok) in enumerate(
        [("Bash", 100, True), ("Bash", 200, True), ("Bash", 300, False), ("Read", 40, True)]
    ):
        call = {"tool_name": tool, "tool_use_id": f"c{i}", "tool_input": {"command": "x"}}
        run_hook(hook_payload("PreToolUse", **call), trail, env=at(t))
        t += ms
        end = (
            hook_payload("PostToolUse", **call, tool_response={})
            if ok
            else hook_payload("PostToolUseFailure", **call, error="Exit code 1")
        )
        run_hook(end, trail, env=at(t))
        t += 1000
    return trail


def test_summary_json_has_per_tool_figures(tmp_path: Path, capsys) -> None:
    """Invocations, total, mean, p95, failures and rate per tool, and totals, computed from the trail."""
    assert main(["summary", str(make_trail(tmp_path)), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    bash = doc["tools"]["Bash"]
    assert bash["invocations"] == 3 and bash["total_ms"] == 600 and bash["mean_ms"] == 200
    assert bash["p95_ms"] == 290  # linear interpolation between 200 and 300
    assert bash["failures"] == 1 and abs(bash["failure_rate"] - 1 / 3) < 1e-9
    assert doc["tools"]["Read"]["invocations"] == 1
    assert doc["totals"]["invocations"] == 4 and doc["totals"]["failures"] == 1
    assert doc["totals"]["total_ms"] == 640


def test_summary_table_on_the_samples(capsys) -> None:
    assert main(["summary", str(SAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "=== Per-Tool Breakdown ===" in out
    assert "mcp__github__create_issue" in out and "Total tool invocations: 45" in out


def test_console_script_reports_missing_trail_clearly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", "summary", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr


def test_escape_sequences_in_a_trail_never_reach_the_terminal(tmp_path: Path) -> None:
    """A command and a file name holding ESC/OSC/BEL/CR/BS and C1 controls: replay, history, summary and
    sessions print them as visible escapes, never as the bytes a terminal would obey."""
    trail = tmp_path / "t.jsonl"
    nasty = "/home/dev/app/\x1b]0;pwned\x07\x1b[2J\r\bname\u009b\u202e.txt"
    calls = [
        ("Bash", {"command": "echo hi\x1b[2J\x1b]8;;http://evil\x07click\r"}, {"stdout": "\x1b[31mred"}),
        ("Write", {"file_path": nasty, "content": "x\n"}, {"filePath": nasty}),
    ]
    for i, (tool, tool_input, response) in enumerate(calls):
        call = {"session_id": "sess-\x1b[2Jx", "tool_name": tool, "tool_use_id": f"c{i}", "tool_input": tool_input}
        run_hook(hook_payload("PreToolUse", **call), trail)
        run_hook(hook_payload("PostToolUse", **call, tool_response=response), trail)
    runs = [
        ["summary", str(trail)],
        ["sessions", "--trail", str(trail)],
        ["replay", "sess-", "--trail", str(trail)],
        ["history", nasty, "--trail", str(trail), "--diff"],
    ]
    for argv in runs:
        proc = subprocess.run([sys.executable, "-m", "auditkit", *argv], capture_output=True)
        assert proc.returncode == 0, (argv, proc.stderr)
        out = proc.stdout + proc.stderr
        controls = [
            c for c in out.decode() if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c == "\u202e"
        ]
        assert controls == [], (argv, out)
    replay = subprocess.run(
        [sys.executable, "-m", "auditkit", "replay", "sess-", "--trail", str(trail)], capture_output=True, text=True
    ).stdout
    assert "\\x1b[2J" in replay
