"""What a trail holds reaches a spreadsheet or a page as inert text: CSV cells never split a row or run as
formulas, whatever control characters and formula prefixes they start with."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditkit
from tests.conftest import SAMPLES

#: Characters a spreadsheet may skip before a formula, and the formula starts themselves.
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\xa0", "\u200b", "\u202e", "\u2028", "\ufeff", " "]
FORMULAS = ["=", "+", "-", "@", "\t", "\r", "\uff1d"]
#: What no cell may start with, after white space and control characters, unless it is neutralised with '.
LIVE = re.compile(r"^[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*[=+\-@\uff1d]")

cell = st.builds(
    lambda lead, formula, body: lead + formula + body,
    st.text(st.sampled_from(CONTROLS), max_size=4),
    st.sampled_from(["", *FORMULAS]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
    | st.sampled_from(["1+1", 'HYPERLINK("http://evil")', "cmd|' /C calc'!A0", "\r=1+1", "\n@SUM(A1)"]),
)


@cache
def _events() -> pd.DataFrame:
    return auditkit.load(SAMPLES / "incident")


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(cell, min_size=3, max_size=3))
def test_csv_cells_keep_their_row_and_never_run_as_formulas(tmp_path: Path, values: list[str]) -> None:
    """Every row stays one row, every value comes back whole, and none starts a live formula."""
    df = _events().copy()
    command, tool, session = values
    for col, value in (("command", command), ("tool", tool), ("session_id", session)):
        df[col] = value
    out = tmp_path / "events.csv"
    result = auditkit.export(df, out, format="csv")
    rows = _rows(out)
    assert len(rows) == result.rows == len(df)
    for row in rows:
        for col, value in (("command", command), ("tool", tool), ("session_id", session)):
            got = row[col]
            assert got in (value, "'" + value), (col, value, got)
            if got != value:  # neutralised: only what a spreadsheet would run
                assert LIVE.match(value) or value[:1] in ("\t", "\r")
            else:
                assert not LIVE.match(got) and got[:1] not in ("\t", "\r")
        assert row["event_id"] in set(df["event_id"])  # the columns after the hostile ones are where they were


def test_a_carriage_return_before_a_formula_is_quoted_and_neutralised(tmp_path: Path) -> None:
    """The reported case: ``\\r=1+1`` is written quoted with a leading ', so the next row starts no formula."""
    df = _events().copy()
    df["command"] = "\r=1+1"
    out = tmp_path / "events.csv"
    auditkit.export(df, out, format="csv")
    assert b'"\'\r=1+1"' in out.read_bytes()
    assert all(r["command"] == "'\r=1+1" for r in _rows(out))
    assert len(pd.read_csv(out)) == len(df)


def test_a_partition_value_cannot_leave_the_export_folder(tmp_path: Path) -> None:
    """A host named like a path is written percent-encoded inside the export folder, never beside it."""
    df = _events().copy()
    df["host"] = "../../../escaped"
    out = tmp_path / "deep" / "export"
    result = auditkit.export(df, out, format="csv", partition_by=["host"])
    assert [Path(f).parent.name for f in result.files] == ["host=..%2F..%2F..%2Fescaped"]
    assert all(Path(f).resolve().is_relative_to(out.resolve()) for f in result.files)
    assert not (tmp_path / "escaped").exists()


#: What a repository can make the agent put in a tool name, a session id, a path or a command.
HOSTILE = [
    "Ba\x1b[31msh\x00",  # ESC and NUL: killed the chart engine, and with it the kernel
    "\x07\x08\x0b\x0c\x7f\x85\x9b",
    "</script><script>alert(1)</script>",
    "{{7*7}} ${{x}} {%raw%}",
    "rm -rf /\u202e\u2066fdp.txt",  # a bidi override: reads as something else
    "\udc80\udcff",  # bytes that were not UTF-8, kept by the hook as lone surrogates
]


def _hostile_trail(trail: Path) -> None:
    """A session written by the real hook, every hostile string in a tool name, session id, path and command."""
    from tests.conftest import payload, run_hook

    for i, bad in enumerate(HOSTILE):
        sid = f"s{i}-{bad}"
        events = [
            payload("SessionStart", sid, source="startup"),
            payload("UserPromptSubmit", sid, prompt=f"do {bad}"),
            payload("PreToolUse", sid, tool_name=bad, tool_use_id=f"t{i}", tool_input={"command": f"echo {bad}"}),
            payload(
                "PostToolUse",
                sid,
                tool_name=bad,
                tool_use_id=f"t{i}",
                tool_input={"command": f"rm -rf {bad}", "file_path": f"/app/{bad}"},
                tool_response={"stdout": bad * 20000},  # a huge value too: cut by the hook, sha256 kept
            ),
            payload("PreToolUse", sid, tool_name="Write", tool_use_id=f"w{i}", tool_input={"file_path": f"/app/{bad}"}),
            payload("PostToolUseFailure", sid, tool_name="Write", tool_use_id=f"w{i}", error=f"denied {bad}"),
            payload("SessionEnd", sid, reason="exit"),
        ]
        for event in events:
            raw = json.dumps(event).encode()  # lone surrogates as \udc80 escapes, as Claude Code could send
            proc = run_hook(raw, trail)
            assert proc.returncode == 0, proc.stderr


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditkit", *argv], capture_output=True, text=True, timeout=300)


def _check_outputs(pack: Path, manifest: dict) -> None:
    for out in manifest["outputs"]:
        path = pack / out["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == out["sha256"] and path.stat().st_size == out["bytes"]


@pytest.mark.slow
def test_a_pack_from_a_trail_of_control_characters_and_markup_is_written_whole(tmp_path: Path) -> None:
    """ESC, NUL, bidi overrides, ``</script>`` and ``{{`` in tool names, session ids, paths and commands: the
    incident and replay reports exit 0 with a manifest, and their pages hold no control character and no script."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    _hostile_trail(trail)
    for name in ("incident", "replay"):
        pack = tmp_path / name
        proc = _cli("report", name, str(trail), "--out", str(pack))
        assert proc.returncode == 0, proc.stderr
        manifest = json.loads((pack / "manifest.json").read_text())
        assert manifest["status"] == "ok" and manifest["trustworthy"] is True
        _check_outputs(pack, manifest)
        page = (pack / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e\u2066]", page)
        assert "<script" not in page.lower()
        assert "\\x1b[31m" in page  # the ESC is shown, as an escape, not dropped


def test_a_control_character_in_a_chart_no_longer_aborts_the_process() -> None:
    """The chart engine aborted the whole process on a C0 control (a Rust panic): charts are drawn from
    :func:`auditkit.present.notebook.safe_spec`. Run in its own process, as the kernel is."""
    code = (
        "from auditkit.present.notebook import _described_svg\n"
        "bad = 'Ba\\x1bsh\\x00\\ud800'\n"
        "spec = {'$schema': 'https://vega.github.io/schema/vega-lite/v5.json', 'title': bad, 'description': bad,\n"
        "        'data': {'values': [{'tool': bad}]}, 'mark': 'point', 'encoding': {'x': {'field': 'tool', 'type': 'nominal'}}}\n"
        "svg = _described_svg(spec)['image/svg+xml']\n"
        "assert '\\\\x1b' in svg and '\\x00' not in svg, svg[:300]\n"
        "print('drawn')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "drawn", proc.stderr[-2000:]


@pytest.mark.slow
def test_a_failed_notebook_still_leaves_a_manifest_saying_what_failed(tmp_path: Path) -> None:
    """A run that fails mid-notebook exits non-zero with one line; the pack holds the executed notebook up to
    the failing cell, ``error.txt`` and a manifest with status failed, the error and every file's hash."""
    pack = tmp_path / "pack"
    proc = _cli("report", "cost", str(SAMPLES / "incident"), "--out", str(pack), "-p", "start", "\x1b[2Jnever")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "cost: cell" in proc.stderr and "manifest.json says what failed" in proc.stderr
    assert "\x1b" not in proc.stderr  # the hostile parameter is quoted escaped
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed"] == "notebook" and manifest["trustworthy"] is False
    assert "UsageError" in manifest["error"] and manifest["error"] in proc.stderr
    assert {o["path"] for o in manifest["outputs"]} == {"cost.ipynb", "error.txt"}
    assert manifest["inputs"] and manifest["verify"]["intact"] is True
    _check_outputs(pack, manifest)
    assert "UsageError" in (pack / "error.txt").read_text()
    again = _cli("report", "cost", str(SAMPLES / "incident"), "--out", str(pack))
    assert again.returncode == 2 and "holds an evidence pack already" in again.stderr  # a failed pack is kept too
