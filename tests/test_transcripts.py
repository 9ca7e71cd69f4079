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
from auditkit.cli import main
from auditkit.transcripts import archive_transcripts, reconcile
from tests.conftest import SAMPLES, payload, run_hook
from tests.test_load import SEED_LINES, write_jsonl

FIX = Path(__file__).resolve().parent / "fixtures" / "transcripts"
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
    assert prompts == ["Fix the failing build", "Look at the Makefile"]  # not the interruption notice, not /cost
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
    h = auditkit.file_history(df, "tests/test_api.py")
    assert list(h["action"]) == ["create"] and h.iloc[0]["known"]


def test_a_resumed_session_does_not_count_copied_calls_twice() -> None:
    df = auditkit.load(FIX)
    assert df.attrs["duplicates"] > 0
    calls = auditkit.tool_calls(df)
    assert calls["tool_use_id"].is_unique and len(calls) == 10
    assert list(calls_of(df, S3).index) == ["toolu_edit1"]


def raw_assistant_usage() -> dict[str, int]:
    """The naive sum: every assistant line's usage, as a line-by-line script would add it up."""
    totals = dict.fromkeys(["input_tokens", "output_tokens", "cache_creation_input_tokens"], 0)
    for f in FIX.rglob("*.jsonl"):
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
    usage = auditkit.token_usage(auditkit.load(FIX))
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
    df = auditkit.load(FIX)
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
    assert main(["cost", str(FIX), "--by", "model", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["total_usd"] == pytest.approx(0.038045) and len(doc["rows"]) == 5
    auditkit.load(FIX, progress=True)
    assert "auditkit: loading" in capsys.readouterr().err


def test_gzipped_transcripts_load_like_plain_ones(tmp_path: Path) -> None:
    for f in (FIX / "v2.0-agent-files").rglob("*.jsonl"):
        (tmp_path / (f.name + ".gz")).write_bytes(gzip.compress(f.read_bytes()))
    assert len(auditkit.tool_calls(auditkit.load(tmp_path))) == 4
