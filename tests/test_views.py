"""The forensic views: what happened in a session, and what happened to a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.analysis.bash_effects import effects
from auditkit.analysis.steps import describe, replay, sessions
from auditkit.analysis.versions import history
from auditkit.cli import main
from auditkit.errors import UsageError
from auditkit.present.render import Timeline, replay_text, save_replay_html
from auditkit.simulate import SCENARIOS, VIRTUAL_ROOT
from auditkit.simulate import run as simulate
from tests.conftest import SAMPLES, payload, run_hook


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reconstructed_versions_match_the_real_files_byte_for_byte(tmp_path: Path, scenario: str) -> None:
    """The simulator did real file operations; every version history reconstructs has the sha256 the
    real file had right after that step, every deletion left no file, and the last known version is the
    file on disk at the end."""
    sim = simulate(scenario, tmp_path / "trail.jsonl", keep_workdir=True)
    try:
        df = auditkit.load(sim.trail)
        after = {s.tool_use_id: s.files for s in sim.snapshots}
        final = {
            f"{VIRTUAL_ROOT}/{p.relative_to(sim.workdir).as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sim.workdir.rglob("*")
            if p.is_file()
        }
        paths = set().union(*(s.files for s in sim.snapshots))
        checked = 0
        for path in sorted(paths):
            h = history(df, path)
            for row in h.itertuples(index=False):
                real = after[row.tool_use_id]
                if row.action in ("delete", "move_from"):
                    assert path not in real, (path, row.action)
                elif row.known and not row.redacted:
                    assert real.get(path) == row.sha256, (path, row.version, row.tool, row.note)
                    checked += 1
            known = h[h["known"] & ~h["redacted"]]
            if len(h) and len(known) and known.index[-1] == h.index[-1]:
                assert final.get(path) == known.iloc[-1]["sha256"], path
        assert checked >= {"regression-fix": 4, "incident": 3, "secrets": 1, "concurrent": 5, "failures": 0}[scenario]
    finally:
        sim.cleanup()


def test_deleted_files_are_reported_deleted_by_the_exact_rm_step() -> None:
    """'Did the agent delete data/exports/customers-2026-03.csv?' — yes: this step, this time, this command."""
    df = auditkit.load(SAMPLES / "incident")
    rm = auditkit.tool_calls(df)
    rm = rm[rm["command"] == "rm -rf build/ data/"].iloc[0]
    for name in ("customers-2026-03.csv", "invoices-2026-03.csv"):
        h = history(df, f"data/exports/{name}")
        deleted = h[h["action"] == "delete"]
        assert len(deleted) == 1
        d = deleted.iloc[0]
        assert (d["tool_use_id"], d["session_id"], d["command"]) == (rm["tool_use_id"], rm["session_id"], rm["command"])
        assert d["timestamp"] == rm["end"] and not d["known"]
    steps = replay(df, rm["session_id"])
    assert steps.loc[steps["tool_use_id"] == rm["tool_use_id"], "summary"].item() == "Bash: rm -rf build/ data/ → ok"
    assert history(df, "src/app.py").empty  # not touched by anything the trail can see


def test_versions_diffs_and_notes_for_an_edited_file() -> None:
    h = history(auditkit.load(SAMPLES / "regression-fix"), "src/parser.py")
    assert list(h["action"]) == ["read", "edit", "edit"]
    assert list(h["version"]) == [1, 2, 3] and h["known"].all()
    assert '+        key, value = line.split("=", 1)' in h.iloc[1]["diff"]
    assert h.iloc[0]["note"] == "first seen (read)" and pd.isna(h.iloc[0]["diff"])


def test_a_command_the_trail_cannot_replay_leaves_an_explicit_unknown(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    calls = [
        ("Write", {"file_path": "/p/conf.ini", "content": "a=1\n"}, {"type": "create"}),
        ("Bash", {"command": "sed -i s/1/2/ conf.ini"}, {"stdout": ""}),
        (
            "Read",
            {"file_path": "/p/conf.ini"},
            {"type": "text", "file": {"content": "a=2\n", "numLines": 1, "totalLines": 1}},
        ),
    ]
    for i, (tool, inp, resp) in enumerate(calls):
        call = {"tool_name": tool, "tool_use_id": f"c{i}", "tool_input": inp, "cwd": "/p"}
        run_hook(payload("PreToolUse", **call), trail)
        run_hook(payload("PostToolUse", **call, tool_response=resp), trail)
    h = history(auditkit.load(trail), "/p/conf.ini")
    assert list(zip(h["action"], h["version"], h["known"], strict=True)) == [
        ("create", 1, True),
        ("modify", 2, False),
        ("read", 2, True),
    ]
    assert "cannot replay" in h.iloc[1]["note"] and h.iloc[2]["note"] == "content observed (read)"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("rm -rf build/ data/", [("delete", "/w/build", True), ("delete", "/w/data", True)]),
        ("rm -f /tmp/a.txt", [("delete", "/tmp/a.txt", False)]),
        (
            "mv old.py new.py",
            [("move_to", "/w/new.py", False), ("move_to", "/w/new.py/old.py", False), ("move_from", "/w/old.py", True)],
        ),
        ("cp src/a.py backup/", [("copy_to", "/w/backup/a.py", False)]),
        ("sed -i 's/a/b/' conf.ini && echo done", [("modify", "/w/conf.ini", False)]),
        ("sed -n 1p conf.ini", []),
        ("echo hi >> log.txt 2>&1", [("modify", "/w/log.txt", False)]),
        ("npm test 2> err.log | tee out.log", [("modify", "/w/err.log", False), ("modify", "/w/out.log", False)]),
        ("FOO=1 sudo touch new.txt", [("create", "/w/new.txt", False)]),
        ("git checkout -- src/a.py", [("modify", "/w/src/a.py", True)]),
        ("git reset --hard HEAD~1", [("modify", "/w", True)]),
        ("git -C sub rm -r old", [("delete", "/w/sub/old", True)]),
        ("chmod -R 777 /tmp/deploy || true", [("chmod", "/tmp/deploy", True)]),
        ("python3 tests/run_tests.py", []),
        ("cat notes.txt | grep -c TODO", []),
    ],
)
def test_bash_commands_are_read_for_their_file_effects(command: str, expected: list) -> None:
    assert [(e.action, e.path, e.tree) for e in effects(command, "/w")] == expected


# --- replay ------------------------------------------------------------------------------------


def test_replay_merges_pre_and_post_and_nests_subagent_calls_under_their_task() -> None:
    df = auditkit.load(SAMPLES / "concurrent")
    a = replay(df, "aaaa1111-2222-4333-8444-555566667777")
    assert list(a["step"]) == list(range(1, 9))
    task = a[a["tool"] == "Task"].iloc[0]
    inner = a[a["agent_id"].notna()]
    assert list(inner["parent_step"]) == [task["step"]] * 3 and set(inner["depth"]) == {1}
    assert (inner["start"] >= task["start"]).all() and (inner["end"] <= task["end"]).all()
    assert a["prompt"].str.startswith("Add pagination").all()
    assert (a["duration_ms"] >= 0).all() and a["gap_ms"].iloc[1:].notna().all()


def test_interleaved_sessions_in_one_trail_are_separated() -> None:
    df = auditkit.load(SAMPLES / "concurrent")
    a = replay(df, "aaaa1111-2222-4333-8444-555566667777")
    b = replay(df, "bbbb1111-2222-4333-8444-555566667777")
    assert len(a) + len(b) == len(auditkit.tool_calls(df))
    assert set(a["session_id"]) == {"aaaa1111-2222-4333-8444-555566667777"}
    assert list(b["summary"]) == [
        'Glob "src/api/*.py" → 2 files',
        "Read src/api/users.py (2 lines)",
        "Write docs/api.md (+3 −0)",
        "MCP postgres/query → ok",
    ]
    assert list(sessions(df)["tool_calls"]) == [8, 4]


def test_events_with_equal_timestamps_keep_their_recorded_order(tmp_path: Path) -> None:
    """Several events stamped in the same microsecond replay in sequence order, however the files are given."""
    trail = tmp_path / "a" / "t.jsonl"
    for i in range(6):
        call = {"tool_name": "Bash", "tool_use_id": f"c{i}", "tool_input": {"command": f"step {i}"}}
        for event in ("PreToolUse", "PostToolUse"):
            run_hook(
                payload(event, **call, **({"tool_response": {}} if event == "PostToolUse" else {})),
                trail,
                env={"AUDITKIT_NOW": "2026-03-17T14:00:00Z"},
            )
    other = tmp_path / "b" / "t.jsonl"
    run_hook(payload("Stop", session="other"), other, env={"AUDITKIT_NOW": "2026-03-17T14:00:00Z"})
    for order in ([tmp_path / "a", tmp_path / "b"], [tmp_path / "b", tmp_path / "a"]):
        steps = replay(auditkit.load(order), "sess-1")
        assert list(steps["command"]) == [f"step {i}" for i in range(6)]


@pytest.mark.parametrize(
    ("tool", "inp", "resp", "status", "want"),
    [
        (
            "Edit",
            {"file_path": "/w/src/parser.py", "old_string": "a", "new_string": "b"},
            {"structuredPatch": [{"lines": [" x", "-a", "+b", "+c", "+d"]}]},
            "ok",
            "Edit src/parser.py (+3 −1)",
        ),
        ("Bash", {"command": "npm test"}, None, "error", "Bash: npm test → failed"),
        (
            "Write",
            {"file_path": "/w/notes.md", "content": "a\nb\n"},
            {"type": "create"},
            "ok",
            "Write notes.md (2 lines)",
        ),
        ("Grep", {"pattern": "TODO"}, {"numFiles": 4}, "ok", 'Grep "TODO" → 4 files'),
        ("Task", {"description": "Find callers", "subagent_type": "Explore"}, {}, "ok", "Task (Explore): Find callers"),
        ("mcp__github__create_issue", {}, [], "interrupted", "MCP github/create_issue → interrupted"),
        ("WebFetch", {"url": "https://example.com/a"}, {"code": 200}, "ok", "WebFetch https://example.com/a → 200"),
    ],
)
def test_one_line_summaries(tool: str, inp: dict, resp: object, status: str, want: str) -> None:
    assert (
        describe(
            {
                "tool": tool,
                "input": inp,
                "response": resp,
                "status": status,
                "cwd": "/w",
                "file_path": inp.get("file_path"),
            }
        )
        == want
    )


def test_replay_renders_as_text_html_chart_and_page(tmp_path: Path) -> None:
    df = auditkit.load(SAMPLES / "concurrent")
    steps = replay(df, "aaaa1111-2222-4333-8444-555566667777")
    text = replay_text(steps)
    assert "▶ prompt 1: Add pagination" in text and "\n     3 " in text and "    Read src/api/orders.py" in text
    t = Timeline(steps)
    assert repr(t) == text and "<table>" in t._repr_html_()
    spec = t.chart().to_dict()
    assert spec["layer"][0]["mark"]["type"] == "bar" and spec["layer"][0]["encoding"]["x2"]["field"] == "end"
    page = save_replay_html(steps, tmp_path / "r.html").read_text()
    assert "<svg" in page and "Task (Explore): Survey the API modules" in page


def test_unknown_session_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="no session 'nope'"):
        replay(auditkit.load(SAMPLES / "incident"), "nope")


def test_cli_replay_history_and_sessions(tmp_path: Path, capsys) -> None:
    trail = str(SAMPLES / "incident")
    assert main(["replay", "9e8d", "--trail", trail]) == 0
    assert "Bash: rm -rf build/ data/ → ok" in capsys.readouterr().out
    assert main(["replay", "9e8d", "--trail", trail, "--html", str(tmp_path / "r.html")]) == 0
    assert "<svg" in (tmp_path / "r.html").read_text()
    capsys.readouterr()
    assert main(["history", "customers-2026-03.csv", "--trail", trail]) == 0
    out = capsys.readouterr().out
    assert "/home/dev/acme-api/data/exports/customers-2026-03.csv" in out and "$ rm -rf build/ data/" in out
    assert main(["history", "src/parser.py", "--trail", str(SAMPLES / "regression-fix"), "--diff"]) == 0
    assert "+        if not line or line.startswith" in capsys.readouterr().out
    assert main(["sessions", "--trail", str(SAMPLES)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 7 + 2 and lines[0].split()[:2] == ["session", "start"]
    assert "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" in "\n".join(lines)  # ids are never cut
    assert lines[-1].split() == ["Total:", "7", "session(s)", "47", "8"]
    assert main(["replay", "zzz", "--trail", trail]) == 2


def test_the_explorer_builds_headless_and_follows_selections() -> None:
    """The widget explorer needs no front end to build; picking a step or a file version shows its detail."""
    df = auditkit.load(SAMPLES)
    tabs = auditkit.explore(
        df, session="9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", path="/home/dev/acme-api/scripts/deploy.sh"
    )
    sessions_box, files_box = tabs.children
    session_pick, _, timeline, step_pick, step_detail = sessions_box.children
    assert "rm -rf build/ data/" in timeline.value
    step_pick.value = 4
    assert (
        json.loads(step_detail.value.split(">", 1)[1].rsplit("</pre>", 1)[0].replace("&quot;", '"'))["summary"]
        == "Bash: rm -rf build/ data/ → ok"
    )
    _file_pick, versions, version_pick, diff_view = files_box.children
    assert "edit applied to the last known version" in versions.value
    version_pick.value = 1
    assert "+chmod -R 777 /tmp/deploy || true" in diff_view.value
    session_pick.value = "aaaa1111-2222-4333-8444-555566667777"
    assert "Survey the API modules" in timeline.value


def test_file_history_looks_only_at_calls_that_can_touch_the_file_and_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column-wise pre-selection of calls (a file tool naming the file, a command naming a part of its
    path, a glob or git) changes no history: for every path the samples and simulated sessions know, and for
    paths reached through `..` and `.`, the rows are those of the loop over every call."""
    from auditkit.analysis import versions

    df = auditkit.load(Path(__file__).resolve().parent.parent / "sample_logs")
    extra = pd.DataFrame(
        {
            "event": ["PreToolUse", "PostToolUse"] * 2,
            "tool": ["Read", "Read", "Bash", "Bash"],
            "session_id": "dots",
            "tool_use_id": ["d1", "d1", "d2", "d2"],
            "file_path": ["../app/src/../README.md", "../app/src/../README.md", None, None],
            "command": [None, None, "rm -f ../*.md", "rm -f ../*.md"],  # names no part of the path: a glob
            "cwd": "/home/dev/app/src",
            "status": ["started", "ok", "started", "ok"],
            "timestamp": pd.Timestamp("2026-03-18T00:00:00Z"),
            "event_id": ["dots:1", "dots:2", "dots:3", "dots:4"],
        }
    )
    df = pd.concat([df, extra], ignore_index=True)
    paths = [*sorted(versions.known_paths(df))[:40], "/home/dev/app/README.md", "README.md"]
    calls = auditkit.tool_calls(df)
    fast = {p: versions.history(df, p, calls=calls) for p in paths}
    monkeypatch.setattr(versions, "_candidates", lambda calls, parts: calls)
    for p in paths:
        full = versions.history(df, p)
        pd.testing.assert_frame_equal(fast[p], full, obj=p)
    assert any(len(h) for h in fast.values())


def _reference_pairs(df: pd.DataFrame) -> set[tuple]:
    """Which Pre and which end event each call gets, as tool_calls chose them by copying frames (the plain
    way: the events, their Pres and ends, deduplicated and aligned by key)."""
    from auditkit.analysis import views

    ev = df[df["event"].isin(views._CALL_EVENTS)]
    key = ev["session_id"].fillna("").astype(str) + "\x00" + ev["tool_use_id"].fillna("").astype(str)
    no_id = ev["tool_use_id"].isna()
    if no_id.any():
        key = key.where(~no_id, views._shape_keys(ev[no_id]))
    pre = ev[ev["event"] == "PreToolUse"].assign(_key=key).drop_duplicates("_key").set_index("_key")
    # the end: the hook's last one; telemetry's (capture otel) only for a call the hook recorded nothing of
    hooked = set(key[ev["capture"] != "otel"])
    ends = ev[ev["event"].isin(views._ENDS)].assign(_key=key)
    ends = ends[(ends["capture"] != "otel") | ~ends["_key"].isin(hooked)]
    end = ends.drop_duplicates("_key", keep="last").set_index("_key")
    keys = pd.Index(key.drop_duplicates())
    return set(zip(pre.reindex(keys)["event_id"], end.reindex(keys)["event_id"], strict=True))


def test_tool_calls_pairs_each_call_as_copying_the_events_did(tmp_path: Path) -> None:
    """tool_calls picks rows by position: on the samples, every simulated session, and hand-made edge cases
    (a Pre seen twice, two ends, telemetry's copy of an end before and after the hook's, an end without a Pre,
    seed-format rows without ids, ends without a session), each call gets the same Pre and end event as the
    plain way; the sessions' call and failure counts are those of the calls."""
    from auditkit.analysis import views

    frames = [auditkit.load(Path(__file__).resolve().parent.parent / "sample_logs")]
    for scenario in SCENARIOS:
        simulate(scenario, tmp_path / f"{scenario}.jsonl")
        frames.append(auditkit.load(tmp_path / f"{scenario}.jsonl"))
    t = pd.Timestamp("2026-03-18T00:00:00Z")
    edge = pd.DataFrame(
        {
            "event": [
                "PreToolUse",
                "PreToolUse",
                "PostToolUse",
                "PostToolUse",
                "PostToolUse",
                "PostToolUse",
                "PostToolUseFailure",
                "PreToolUse",
                "PostToolUse",
            ],
            "tool": "Bash",
            "session_id": "edge",
            "tool_use_id": ["a", "a", "a", "b", "b", "b", "c", None, None],
            "capture": [None, None, "otel", "otel", None, "otel", None, None, None],
            "command": "make",
            "input": [{"command": "make"}] * 9,
            "status": ["started", "started", "ok", "ok", "ok", "ok", "error", "started", "ok"],
            "timestamp": [t + pd.Timedelta(seconds=i) for i in range(9)],
            "event_id": [f"edge:{i}" for i in range(9)],
        }
    )
    frames.append(pd.concat([frames[0], edge], ignore_index=True))
    frames.append(frames[-1].assign(session_id=frames[-1]["session_id"].where(frames[-1]["event"] != "PostToolUse")))
    for df in frames:
        calls = auditkit.tool_calls(df)
        for cols in (["status"], ["command", "kind", "session_id"], ["input", "end", "start"], ["tool", "error"]):
            pd.testing.assert_frame_equal(  # only the columns asked for, as the whole frame has them
                auditkit.tool_calls(df, columns=cols), calls[[c for c in views.CALL_COLUMNS if c in cols]]
            )
        # what sessions() counts: the calls' own counts
        sessions = auditkit.sessions(df).set_index("session_id")
        for sid, own in calls.groupby(calls["session_id"].astype(object)):
            assert sessions.at[sid, "tool_calls"] == len(own)
            assert sessions.at[sid, "failures"] == own["status"].isin(["error", "interrupted"]).sum()
        pairs = set(zip(calls["start_event_id"], calls["end_event_id"], strict=True))
        assert len(calls) == len(pairs) == len(_reference_pairs(df))
        assert {tuple(None if pd.isna(v) else v for v in p) for p in pairs} == {
            tuple(None if pd.isna(v) else v for v in p) for p in _reference_pairs(df)
        }
