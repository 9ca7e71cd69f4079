"""The command line: `auditkit summary` prints the seed's analysis as a table or JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "mcp__github__create_issue" in out and "Total tool invocations: 47" in out  # 45 hooked, 2 in the transcript


def test_console_script_reports_missing_trail_clearly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", "summary", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr


@pytest.mark.slow  # eight CLI processes
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


def _commands() -> dict:
    from auditkit.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices


def test_every_command_is_documented_in_the_readme_and_has_help() -> None:
    """Each command has a help line, and the README shows it in use."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name, parser in _commands().items():
        assert parser.description, name
        assert f"auditkit {name}" in readme, f"README never shows `auditkit {name}`"


def test_every_command_is_a_twin_of_the_exported_library_function_of_its_name() -> None:
    """The library is the product: ``auditkit VERB`` calls ``auditkit.VERB`` (``-`` as ``_``), one name for one
    thing, and the handler's own code calls it (so a verb cannot drift onto another function)."""
    import inspect

    import auditkit
    from auditkit.cli import COMMANDS

    for name, cmd in COMMANDS.items():
        twin = name.replace("-", "_")
        assert callable(getattr(auditkit, twin)), name
        assert cmd.twin == twin, name
        assert f"{twin}(" in inspect.getsource(cmd.handler), f"auditkit {name} does not call auditkit.{twin}"


def test_commands_that_read_trails_take_positional_paths(tmp_path: Path, capsys) -> None:
    """summary, verify, sessions, cost, replay, history, sql, export and report all take PATHS after their own
    arguments, and --trail still works as an alias."""
    trail = str(SAMPLES / "incident")
    runs = {
        "summary": ["summary", trail],
        "verify": ["verify", trail],
        "sessions": ["sessions", trail, "--json"],
        "cost": ["cost", str(Path(__file__).parent / "fixtures" / "transcripts"), "--by", "day"],
        "replay": ["replay", "9e8d", trail],
        "history": ["history", "customers-2026-03.csv", trail],
        "sql": ["sql", "SELECT count(*) AS n FROM calls", trail, "--format", "json"],
        "export": ["export", trail, "--format", "csv", "--out", str(tmp_path / "x.csv")],
    }
    for name, argv in runs.items():
        assert main(argv) == 0, name
        assert capsys.readouterr().out, name
    assert main(["sessions", "--trail", trail, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_install_doctor_uninstall_redact_and_archive_transcripts_through_the_cli(tmp_path: Path, capsys) -> None:
    """The commands a user runs once: each through the real command line."""
    project = tmp_path / "project"
    project.mkdir()
    assert main(["install", "--project", str(project)]) == 0
    assert "auditkit hook installed" in capsys.readouterr().out
    assert main(["doctor", "--project", str(project)]) == 0
    assert "test event recorded in a scratch trail" in capsys.readouterr().out
    assert main(["uninstall", "--project", str(project)]) == 0
    assert "auditkit hook removed" in capsys.readouterr().out
    src = tmp_path / "old.log"
    src.write_text("export GITHUB_TOKEN=ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + "\n")
    assert main(["redact", str(src), str(tmp_path / "clean.log")]) == 0
    assert "1 secret(s) redacted" in capsys.readouterr().out and "ghp_" not in (tmp_path / "clean.log").read_text()
    source = Path(__file__).parent / "fixtures" / "transcripts"
    assert main(["archive-transcripts", "--source", str(source), "--dest", str(tmp_path / "kept")]) == 0
    assert "6 new" in capsys.readouterr().out


def test_the_parser_loads_no_pandas() -> None:
    """`auditkit --help` and every command's parser start in the time of a native tool: no pandas, numpy,
    pyarrow or duckdb (each command loads what it needs when it runs)."""
    code = (
        "import sys; from auditkit.cli import build_parser; build_parser();"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'duckdb') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
