"""The investigations behind the notebooks, on trails written by the real hook."""

from __future__ import annotations

from pathlib import Path

import auditkit
from auditkit.analysis import findings
from tests.conftest import payload, run_hook


def _call(trail: Path, session: str, n: int, tool: str, tool_input: dict, second: int) -> None:
    for event, frac in (("PreToolUse", 0), ("PostToolUse", 5)):
        extra = {"tool_response": {"ok": True}} if event == "PostToolUse" else {}
        run_hook(
            payload(
                event, session=session, tool_name=tool, tool_use_id=f"{session}-{n}", tool_input=tool_input, **extra
            ),
            trail,
            env={"AUDITKIT_NOW": f"2026-03-17T10:00:{second:02d}.{frac}Z"},
        )


def test_a_re_read_counts_only_when_the_file_did_not_change_in_between(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    a, b = {"file_path": "/w/a.py"}, {"file_path": "/w/b.py"}
    _call(trail, "s1", 1, "Read", a, 1)
    _call(trail, "s1", 2, "Read", b, 2)
    _call(trail, "s1", 3, "Read", a, 3)  # redundant: a did not change
    _call(trail, "s1", 4, "Edit", {**b, "old_string": "x", "new_string": "y"}, 4)
    _call(trail, "s1", 5, "Read", b, 5)  # not redundant: b was edited since the last read
    _call(trail, "s1", 6, "Bash", {"command": "sed -i s/a/b/ /w/a.py"}, 6)
    _call(trail, "s1", 7, "Read", a, 7)  # not redundant: sed -i changed a
    _call(trail, "s2", 8, "Read", a, 8)  # another session's first read
    _call(trail, "s1", 9, "Read", a, 9)  # redundant again
    found = findings.redundant_reads(auditkit.load(trail))
    assert found[["session_id", "file_path"]].values.tolist() == [["s1", "/w/a.py"], ["s1", "/w/a.py"]]
    assert [t.second for t in found["timestamp"]] == [3, 9]
    assert [t.second for t in found["previous_read"]] == [1, 7]


def test_a_trail_without_file_changes_gives_empty_tables_with_their_columns(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    run_hook(payload("Notification", message="idle"), trail)
    df = auditkit.load(trail)
    for table in (findings.sensitive_writes(df), findings.outside_project(df), findings.deletions(df)):
        assert table.empty and {"path", "action", "session_id", "timestamp"} <= set(table.columns)


def test_every_finding_answers_the_same_from_the_calls_a_pack_makes_once() -> None:
    """A pack pairs the events into calls once (findings.pack_calls) and hands them to every finding: each
    answer is the one the finding gives pairing the events itself, on every bundled sample and three agents."""
    import pandas as pd

    from auditkit.analysis.findings import verdict
    from tests.conftest import SAMPLES

    df = auditkit.load(SAMPLES)
    calls = findings.pack_calls(df)
    assert len(calls) > 20
    pairs = [
        (lambda c: findings.risky_commands(df, c)),
        (lambda c: findings.failures(df, c)),
        (lambda c: findings.file_changes(df, c)),
        (lambda c: findings.redundant_reads(df, c)),
        (lambda c: findings.retry_loops(df, calls=c)),
        (lambda c: findings.slowest(df, 5, c)),
        *[(lambda c, k=k: findings.time_by(df, k, c)) for k in ("tool", "session_id", "command")],
    ]
    for finding in pairs:
        pd.testing.assert_frame_equal(finding(calls), finding(None))
    changes = findings.file_changes(df)
    pd.testing.assert_frame_equal(findings.deletions(df, changes), findings.deletions(df))
    pd.testing.assert_frame_equal(findings.outside_project(df, changes), findings.outside_project(df))
    for made, fresh in (
        (
            verdict.incident_verdict(df, None, "data/exports/customers-2026-03.csv", calls=calls),
            verdict.incident_verdict(df, None, "data/exports/customers-2026-03.csv"),
        ),
        (verdict.cost_verdict(df, None, calls=calls), verdict.cost_verdict(df, None)),
    ):
        assert made.to_dict() == fresh.to_dict()
