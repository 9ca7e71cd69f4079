"""Loading what users already have: transcripts of several Claude Code versions, older formats, mixtures."""

from __future__ import annotations

import gzip
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.analysis.transcripts import archive_transcripts, reconcile
from auditkit.cli import main
from tests.conftest import SAMPLES, payload, run_hook
from tests.test_load import SEED_LINES, write_jsonl

FIX = Path(__file__).resolve().parent / "fixtures" / "transcripts"
#: The 1.0 and 2.0 shapes and a resumed session (the 2.1 shapes have tests of their own below).
OLDER = [FIX / "v1.0-inline-sidechain", FIX / "v2.0-agent-files", FIX / "resumed"]
S1, S2, S3 = (
    "11111111-aaaa-4bbb-8ccc-000000000001",
    "22222222-aaaa-4bbb-8ccc-000000000002",
    "33333333-aaaa-4bbb-8ccc-000000000003",
)


def calls_of(df: pd.DataFrame, session: str) -> pd.DataFrame:
    c = auditkit.tool_calls(df)
    return c[c["session_id"] == session].set_index("tool_use_id")


def test_a_1_0_transcript_joins_tool_use_and_result_with_errors_interruptions_and_an_inline_subagent() -> None:
    df = auditkit.load(FIX / "v1.0-inline-sidechain")
    assert df.attrs["problems"] == [] and set(df["source_format"]) == {"transcript"}
    c = calls_of(df, S1)
    assert list(c.index) == ["toolu_read1", "toolu_bash1", "toolu_task1", "toolu_grep1", "toolu_bash2"]
    assert c.loc["toolu_read1", "duration_ms"] == 120 and c.loc["toolu_bash1", "duration_ms"] == 3250
    assert list(c["status"]) == ["ok", "error", "ok", "ok", "interrupted"]
    assert c.loc["toolu_bash1", "error"].startswith("Exit code 2")
    assert c.loc["toolu_read1", "response"]["file"]["content"] == "print('hi')\n"  # the structured toolUseResult
    assert c.loc["toolu_grep1", "agent_id"] == "sidechain" and pd.isna(c.loc["toolu_read1", "agent_id"])
    prompts = df.loc[df["event"] == "UserPromptSubmit", "prompt"].tolist()
    # not the interruption notice nor the command's output; the slash command the user typed is a prompt
    assert prompts == ["Fix the failing build", "Look at the Makefile", "/cost"]
    steps = auditkit.replay(df, S1)
    assert steps.loc[steps["tool"] == "Grep", "parent_step"].item() == 3


def test_a_2_0_transcript_with_a_separate_subagent_file() -> None:
    df = auditkit.load(FIX / "v2.0-agent-files")
    c = calls_of(df, S2)
    assert set(c.index) == {"toolu_task2", "toolu_write1", "toolu_glob1", "toolu_read2"}
    assert c.loc["toolu_glob1", "agent_id"] == "7f3a" and c.loc["toolu_read2", "status"] == "error"
    assert c.loc["toolu_write1", "file_path"] == "/home/dev/app/tests/test_api.py"
    steps = auditkit.replay(df, S2)
    inner = steps[steps["agent_id"] == "7f3a"]
    assert len(inner) == 2 and set(inner["parent_step"]) == {steps.loc[steps["tool"] == "Task", "step"].item()}
    h = auditkit.history(df, "tests/test_api.py")
    assert list(h["action"]) == ["create"] and h.iloc[0]["known"]


def test_a_resumed_session_does_not_count_copied_calls_twice() -> None:
    df = auditkit.load(OLDER)
    assert df.attrs["duplicates"] > 0
    calls = auditkit.tool_calls(df)
    assert calls["tool_use_id"].is_unique and len(calls) == 10
    assert list(calls_of(df, S3).index) == ["toolu_edit1"]


def raw_assistant_usage() -> dict[str, int]:
    """The naive sum: every assistant line's usage, as a line-by-line script would add it up."""
    totals = dict.fromkeys(["input_tokens", "output_tokens", "cache_creation_input_tokens"], 0)
    for f in (f for folder in OLDER for f in folder.rglob("*.jsonl")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("type") == "assistant":
                for k in totals:
                    totals[k] += rec["message"]["usage"][k]
    return totals


def test_usage_is_counted_once_per_api_message() -> None:
    """Content blocks repeat a message's usage and a resumed session repeats messages: naive sums are wrong;
    auditkit's totals equal the hand-computed figures of the 12 distinct API messages."""
    naive = raw_assistant_usage()
    usage = auditkit.token_usage(auditkit.load(OLDER))
    assert len(usage) == 12
    truth = {
        "input_tokens": 100 + 10 + 12 + 800 + 900 + 15 + 20 + 3 + 5 + 0 + 1500 + 1600,
        "output_tokens": 50 + 20 + 30 + 40 + 60 + 25 + 40 + 200 + 90 + 0 + 30 + 25,
        "cache_creation_tokens": 1000 + 5000,
    }
    assert (
        {k: int(usage[k].sum()) for k in truth}
        == truth
        == {"input_tokens": 4965, "output_tokens": 610, "cache_creation_tokens": 6000}
    )
    assert naive == {"input_tokens": 5278, "output_tokens": 980, "cache_creation_input_tokens": 14000}


def test_dollar_cost_by_session_model_subagent_and_day_with_overridable_prices() -> None:
    df = auditkit.load(OLDER)
    by_model = auditkit.cost(df, by="model")
    # by hand, USD per MTok (input, output, cache write, cache read):
    sonnet4 = (157 * 3 + 165 * 15 + 1000 * 3.75 + 5100 * 0.30) / 1e6  # msgs A B C F K
    haiku35 = (1700 * 0.80 + 100 * 4) / 1e6  # D E (the inline subagent)
    sonnet45 = (8 * 3 + 290 * 15 + 5000 * 3.75 + 5200 * 0.30) / 1e6  # G H
    haiku45 = (3100 * 1 + 55 * 5) / 1e6  # I J (the subagent file)
    assert by_model.loc["claude-sonnet-4-20250514", "usd"] == pytest.approx(sonnet4)
    assert by_model.loc["claude-3-5-haiku-20241022", "usd"] == pytest.approx(haiku35)
    assert by_model.attrs["total_usd"] == pytest.approx(sonnet4 + haiku35 + sonnet45 + haiku45)
    by_agent = auditkit.cost(df, by=["session_id", "agent_id"])
    assert by_agent.loc[(S2, "7f3a"), "usd"] == pytest.approx(haiku45)
    assert set(auditkit.cost(df, by="day").index) == {"2026-03-10", "2026-03-11", "2026-03-12"}
    cheaper = auditkit.cost(df, by="model", prices={"claude-sonnet-4-5": [0, 0, 0, 0]})
    assert cheaper.loc["claude-sonnet-4-5-20250929", "usd"] == 0
    assert auditkit.cost(df, by="model").attrs["unpriced_models"] == []


def test_an_unknown_model_is_reported_not_priced_at_zero(tmp_path: Path) -> None:
    src = FIX / "v2.0-agent-files" / "-home-dev-app" / "agent-7f3a.jsonl"
    (tmp_path / "t.jsonl").write_text(src.read_text().replace("claude-haiku-4-5-20251001", "claude-future-9"))
    table = auditkit.cost(auditkit.load(tmp_path), by="model")
    assert table.attrs["unpriced_models"] == ["claude-future-9"] and math.isnan(table.loc["claude-future-9", "usd"])


def test_a_mixed_folder_loads_into_one_frame_and_reports_bad_lines(tmp_path: Path) -> None:
    """Own trail, seed format, raw payloads, transcripts and a .gz in one folder; bad lines named by file:line."""
    shutil.copy(SAMPLES / "incident" / "audit-trail.jsonl", tmp_path / "trail.jsonl")
    write_jsonl(tmp_path / "legacy" / "audit-trail.jsonl.gz", SEED_LINES, gz=True)
    write_jsonl(
        tmp_path / "raw.jsonl",
        [payload("PreToolUse", tool_name="Bash", tool_use_id="r1", tool_input={"command": "ls"})],
    )
    shutil.copytree(FIX / "v2.0-agent-files", tmp_path / "transcripts")
    with (tmp_path / "raw.jsonl").open("a") as fh:
        fh.write("{broken json\n")
        fh.write('{"hook_event_name": "Stop", "session_id": "x"')  # truncated by a crash
    with pytest.warns(UserWarning, match="2 unreadable"):
        df = auditkit.load(tmp_path)
    assert set(df["source_format"]) == {"auditkit", "seed", "hook_payload", "transcript"}
    assert [(Path(p["file"]).name, p["line"]) for p in df.attrs["problems"]] == [("raw.jsonl", 2), ("raw.jsonl", 3)]
    assert "partial last line" in df.attrs["problems"][1]["reason"]
    assert df["timestamp"].dropna().is_monotonic_increasing


def test_archive_transcripts_is_idempotent_verified_and_never_loses_a_version(tmp_path: Path) -> None:
    src, dest = tmp_path / "projects", tmp_path / "kept"
    shutil.copytree(FIX / "v1.0-inline-sidechain", src)
    first = archive_transcripts(src, dest)
    assert len(first.copied) == 1 and not first.updated
    assert archive_transcripts(src, dest).unchanged == first.copied  # idempotent
    transcript = next(src.rglob("*.jsonl"))
    with transcript.open("a") as fh:  # Claude Code appends as the session goes on
        fh.write(json.dumps({"type": "summary", "summary": "later", "leafUuid": "z"}) + "\n")
    assert archive_transcripts(src, dest).updated == first.copied
    kept = dest / first.copied[0]
    assert kept.read_bytes() == transcript.read_bytes() and oct(kept.stat().st_mode & 0o777) == "0o600"
    transcript.write_text(transcript.read_text().replace("Fix the failing build", "Something else"))  # rewritten
    diverged = archive_transcripts(src, dest)
    assert diverged.kept_apart == first.copied
    assert len(list(kept.parent.glob("*.jsonl"))) == 2 and "Fix the failing build" in kept.read_text()


def test_reconcile_finds_calls_missing_from_either_side(tmp_path: Path) -> None:
    """The hook recorded some of session 2's calls (and one the transcript lacks): each gap is named."""
    trail = tmp_path / "trail.jsonl"
    for tid, tool in (("toolu_task2", "Task"), ("toolu_write1", "Write"), ("toolu_extra", "Bash")):
        for event in ("PreToolUse", "PostToolUse"):
            run_hook(
                payload(
                    event,
                    session=S2,
                    tool_name=tool,
                    tool_use_id=tid,
                    tool_input={},
                    **({"tool_response": {}} if event == "PostToolUse" else {}),
                ),
                trail,
            )
    gaps = reconcile(auditkit.load(trail), auditkit.load(FIX / "v2.0-agent-files"))
    assert sorted(zip(gaps["missing_from"], gaps["tool_use_id"], strict=True)) == [
        ("trail", "toolu_glob1"),
        ("trail", "toolu_read2"),
        ("transcripts", "toolu_extra"),
    ]
    assert main(["reconcile", "--trail", str(trail), "--transcripts", str(FIX / "v2.0-agent-files")]) == 1


def test_cost_cli_and_progress_line(capsys) -> None:
    assert main(["cost", *map(str, OLDER), "--by", "model", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["total_usd"] == pytest.approx(0.038045) and len(doc["rows"]) == 5
    auditkit.load(FIX, progress=True)
    assert "auditkit: loading" in capsys.readouterr().err


def test_gzipped_transcripts_load_like_plain_ones(tmp_path: Path) -> None:
    for f in (FIX / "v2.0-agent-files").rglob("*.jsonl"):
        (tmp_path / (f.name + ".gz")).write_bytes(gzip.compress(f.read_bytes()))
    assert len(auditkit.tool_calls(auditkit.load(tmp_path))) == 4


# --- Claude Code 2.1 on real shapes: progress lines, agent_progress-only subagents, 1-hour cache ----

V21 = FIX / "v2.1-progress"
V21_SESSION = "55555555-aaaa-4bbb-8ccc-000000000005"


def test_progress_and_other_known_lines_are_not_damage_and_strict_mode_loads_them() -> None:
    """hook/bash/agent progress, snapshots, system and last-prompt lines: counted in attrs, never problems."""
    df = auditkit.load(V21, strict=True)
    assert df.attrs["problems"] == []
    assert df.attrs["skipped"] == {"progress:hook_progress": 1, "progress:bash_progress": 1,
                                   "progress:waiting_for_task": 1, "system": 1, "compact_summary": 1,
                                   "file-history-snapshot": 1, "last-prompt": 1}  # fmt: skip


def test_cost_prices_each_model_by_its_own_family_and_one_hour_cache_writes_at_twice_input() -> None:
    """claude-opus-4-6 at 5/25 (not Opus 4's 15/75), 1-hour writes at 2x, 5-minute at 1.25x, reads at 0.1x; a
    subagent seen in agent_progress and in its own file counts once; one only in agent_progress still counts;
    the unknown model is unpriced with a warning. Totals worked out by hand from the fixture."""
    df = auditkit.load(V21)
    with pytest.warns(UserWarning, match="no price for claude-nova-1"):
        by_model = auditkit.cost(df, by="model")
    opus = 100 * 5 + 50 * 25 + 1000 * 6.25 + 2000 * 10 + 4000 * 0.5 + 10 * 5 + 80 * 25 + 5000 * 0.5
    haiku = (20 * 1 + 200 * 5 + 1000 * 0.1) + (30 * 1 + 300 * 5)
    assert by_model.loc["claude-opus-4-6", "usd"] == pytest.approx(opus / 1e6)
    assert by_model.loc["claude-haiku-4-5-20251001", "usd"] == pytest.approx(haiku / 1e6)
    assert by_model.attrs["unpriced_models"] == ["claude-nova-1"] and by_model.attrs["prices_as_of"]
    assert by_model.attrs["total_usd"] == pytest.approx((opus + haiku) / 1e6)
    with pytest.warns(UserWarning):
        by_agent = auditkit.cost(df, by="agent_id")
    assert by_agent.loc["a1b2c3d4", "messages"] == 1 and by_agent.loc["a1b2c3d4", "output_tokens"] == 200
    assert by_agent.loc["b9e8f7a6", "messages"] == 1  # its file is missing: the agent_progress copy counts
    assert by_model.loc["claude-opus-4-6", "output_tokens"] == 130  # the split message's final figure, once


def test_a_model_missing_from_the_table_is_never_priced_as_an_older_relative() -> None:
    """A newer family is unpriced, not matched by prefix to an older one; dated ids map to their family."""
    from auditkit.analysis.pricing import _price, family, price_table

    table = price_table()
    assert (
        family("claude-opus-4-6-20260101") == "claude-opus-4-6"
        and family("claude-sonnet-4-5[1m]") == "claude-sonnet-4-5"
    )
    assert _price("claude-opus-4-6", table)[:2] == (5.0, 25.0)
    assert _price("claude-opus-4-20250514", table)[:2] == (15.0, 75.0)
    assert _price("claude-opus-4-9", table) is None and _price("claude-sonnet-5", table) is None


def test_replay_keeps_subagent_prompts_and_compaction_summaries_out_of_the_users_prompts() -> None:
    """The Task prompt and the post-compaction summary are not user prompts; later main-thread steps are not
    hung under a subagent."""
    steps = auditkit.replay(auditkit.load(V21), V21_SESSION)
    assert steps.attrs["prompts"] == ["Find why the import job is slow", "Fix it and run the tests"]
    rows = steps.set_index("tool")
    assert rows.loc["Read", "depth"] == 1 and rows.loc["Read", "parent_step"] == rows.loc["Task", "step"]
    assert rows.loc["Bash", "depth"] == 0 and rows.loc["Bash", "prompt_no"] == 2


def test_transcript_rows_carry_tool_duration_and_permission_mode_like_a_hook_trail() -> None:
    df = auditkit.load(V21)
    post = df[df["event"] == "PostToolUse"].set_index("tool_use_id")
    assert post.loc["toolu_bash1", "tool"] == "Bash" and post.loc["toolu_bash1", "duration_ms"] == 4000
    assert post.loc["toolu_task1", "duration_ms"] == 7000 and post.loc["toolu_read1", "agent_id"] == "a1b2c3d4"
    assert post.loc["toolu_bash1", "permission_mode"] == "acceptEdits"


def test_sessions_and_replay_of_a_transcript_show_no_nan_or_none(capsys: pytest.CaptureFixture[str]) -> None:
    from auditkit.cli import main

    assert main(["sessions", str(V21)]) == 0
    assert main(["replay", V21_SESSION[:8], str(V21)]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out and "None" not in out


def test_a_pretty_printed_array_of_payloads_loads_from_a_file_and_a_folder(tmp_path: Path) -> None:
    """logs/post_tool_use.json as jq writes it: one pretty-printed array, read element by element."""
    logs = tmp_path / "logs"
    logs.mkdir()
    events = [{"session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_use_id": f"t{i}",
               "tool_input": {"command": f"echo {i}"}, "tool_response": {"stdout": str(i)}} for i in range(3)]  # fmt: skip
    (logs / "post_tool_use.json").write_text(json.dumps(events, indent=2))
    (logs / "settings.json").write_text('{"hooks": {}}')  # an object, not a log: left alone in a folder
    for source in (logs / "post_tool_use.json", logs):
        df = auditkit.load(source, strict=True)
        assert df["command"].tolist() == ["echo 0", "echo 1", "echo 2"] and df.attrs["problems"] == []


def test_payloads_without_tool_use_id_pair_by_session_tool_and_input_in_order(tmp_path: Path) -> None:
    """Before tool_use_id existed: each Pre pairs with the next Post of the same session, tool and input."""

    def ev(event: str, command: str, at: str) -> dict:
        return {"session_id": "old", "hook_event_name": event, "tool_name": "Bash", "tool_input": {"command": command},
                "timestamp": f"2025-03-01T10:00:{at}Z"}  # fmt: skip

    rows = [ev("PreToolUse", "make", "01"), ev("PostToolUse", "make", "03"), ev("PreToolUse", "ls", "04"),
            ev("PreToolUse", "make", "05"), ev("PostToolUse", "make", "09"), ev("PostToolUse", "ls", "10")]  # fmt: skip
    (tmp_path / "payloads.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    calls = auditkit.tool_calls(auditkit.load(tmp_path))
    assert sorted(zip(calls["command"], calls["duration_ms"], calls["status"], strict=True)) == [
        ("ls", 6000.0, "ok"), ("make", 2000.0, "ok"), ("make", 4000.0, "ok")]  # fmt: skip


def test_history_of_a_path_in_two_worktrees_is_ambiguous_not_merged(tmp_path: Path, capsys) -> None:
    """The same relative path in two checkouts is two files: history lists them instead of interleaving."""
    from auditkit.cli import main
    from tests.conftest import payload, run_hook

    trail = tmp_path / "t.jsonl"
    for i, wt in enumerate(["/home/dev/wt-a", "/home/dev/wt-b", "/home/dev/wt-a"]):
        call = {"tool_name": "Write", "tool_use_id": f"w{i}", "cwd": wt,
                "tool_input": {"file_path": f"{wt}/src/app.py", "content": f"v{i}\n"}}  # fmt: skip
        run_hook(payload("PreToolUse", **call), trail)
        run_hook(payload("PostToolUse", **call, tool_response={"type": "create"}), trail)
    df = auditkit.load(trail)
    with pytest.raises(auditkit.UsageError, match="2 files end with it"):
        auditkit.history(df, "src/app.py")
    assert len(auditkit.history(df, "/home/dev/wt-a/src/app.py")) == 2
    assert main(["history", "src/app.py", str(trail)]) == 2
    assert "/home/dev/wt-a/src/app.py, /home/dev/wt-b/src/app.py" in capsys.readouterr().err
