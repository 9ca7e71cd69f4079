"""Right answers on more real data (issue 29): each shape here is built from the formats' public descriptions
(spec/claude-code-hooks.md, spec/other-agents.md), never copied from a real file; tested through load() and
through the CLI in its own process where a command is named."""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import auditkit
from tests.conftest import payload

S = "5e1f0000-0000-4000-8000-000000000001"


def cli(*argv: str) -> subprocess.CompletedProcess:
    """The real command, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def cli_json(*argv: str) -> dict:
    return json.loads(cli(*argv, "--json").stdout)


# --- transcript shapes ---------------------------------------------------------------------------------------


def _line(kind: str, ts: str, uuid: str, **extra: object) -> dict:
    return {
        "type": kind,
        "sessionId": S,
        "uuid": uuid,
        "timestamp": ts,
        "cwd": "/home/dev/app",
        "version": "2.1.0",
        "isSidechain": False,
        "userType": "external",
        **extra,
    }


def _assistant(ts: str, n: int, model: str, blocks: list, out: int = 50) -> dict:
    usage = {
        "input_tokens": 100 * n,
        "output_tokens": out,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    msg = {
        "id": f"msg_{n:03d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "usage": usage,
    }
    return _line("assistant", ts, f"a-{n}", message=msg, requestId=f"req_{n:03d}")


def _user(ts: str, uuid: str, content: object, **extra: object) -> dict:
    return _line("user", ts, uuid, message={"role": "user", "content": content}, **extra)


def transcript(model: str = "claude-sonnet-4-5-20250929") -> list[dict]:
    """A session: a prompt, a Task that starts subagent ``agent-7``, a task notification, a slash command
    and its local output, then a Bash call after the slash command."""
    return [
        _user("2026-03-01T10:00:00.000Z", "u1", "Find the flaky test"),
        _assistant(
            "2026-03-01T10:00:02.000Z",
            1,
            model,
            [
                {
                    "type": "tool_use",
                    "id": "toolu_task",
                    "name": "Task",
                    "input": {"description": "hunt", "prompt": "look", "subagent_type": "general-purpose"},
                }
            ],
        ),
        _user(
            "2026-03-01T10:00:30.000Z",
            "u2",
            [{"type": "tool_result", "tool_use_id": "toolu_task", "content": "done"}],
            toolUseResult={
                "content": [{"type": "text", "text": "done"}],
                "agentId": "agent-7",
                "totalDurationMs": 28000,
            },
        ),
        _user(
            "2026-03-01T10:00:40.000Z",
            "u3",
            "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n</task-notification>",
        ),
        _assistant("2026-03-01T10:00:41.000Z", 2, model, [{"type": "text", "text": "noted"}]),
        _user(
            "2026-03-01T10:01:00.000Z",
            "u4",
            "<command-message>review:pr is running…</command-message>\n<command-name>/review:pr</command-name>\n"
            "<command-args>12</command-args>",
        ),
        _user("2026-03-01T10:01:00.500Z", "u5", "<local-command-stdout>ok</local-command-stdout>"),
        _assistant(
            "2026-03-01T10:01:02.000Z",
            3,
            model,
            [{"type": "tool_use", "id": "toolu_bash", "name": "Bash", "input": {"command": "gh pr view 12"}}],
        ),
        _user(
            "2026-03-01T10:01:03.000Z",
            "u6",
            [{"type": "tool_result", "tool_use_id": "toolu_bash", "content": "PR"}],
            toolUseResult={"stdout": "PR", "stderr": "", "interrupted": False},
        ),
    ]


def subagent_lines(model: str = "claude-sonnet-4-5-20250929") -> list[dict]:
    """The subagent's own file (``<session>/subagents/agent-agent-7.jsonl``)."""
    lines = [
        _assistant(
            "2026-03-01T10:00:05.000Z",
            10,
            model,
            [{"type": "tool_use", "id": "toolu_sub_grep", "name": "Grep", "input": {"pattern": "flaky"}}],
        ),
        _user(
            "2026-03-01T10:00:06.000Z",
            "s2",
            [{"type": "tool_result", "tool_use_id": "toolu_sub_grep", "content": "a.py"}],
        ),
    ]
    return [{**r, "isSidechain": True, "agentId": "agent-7"} for r in lines]


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# --- 1. lone surrogates ---------------------------------------------------------------------------------------


def surrogate_log(path: Path) -> Path:
    """Payloads kept by ``jq`` as one pretty-printed array; one tool response holds a broken character."""
    rows = []
    for i in range(6):
        call = {"tool_name": "Bash", "tool_use_id": f"toolu_{i}", "tool_input": {"command": f"cat f{i}"}}
        rows.append(payload("PreToolUse", **call))
        rows.append(payload("PostToolUse", **call, tool_response={"stdout": "caf\udc90" if i == 2 else "ok"}))
    path.write_text(json.dumps(rows, indent=2))  # ensure_ascii: the surrogate is written "\udc90"
    assert "\\udc90" in path.read_text()
    return path


def test_a_payload_log_with_a_lone_surrogate_loads_every_payload_with_the_character_marked(tmp_path: Path) -> None:
    log = surrogate_log(tmp_path / "payloads.json")
    df = auditkit.load(log)
    assert len(df) == 12 and df.attrs["problems"] == []
    calls = auditkit.tool_calls(df)
    broken = calls.loc[calls["tool_use_id"] == "toolu_2", "response"].item()["stdout"]
    assert broken == {"auditkit_nonjson": "string", "text": "caf\ufffd", "surrogates": [[3, "dc90"]]}
    # the same payloads as JSON Lines (one per line), and the command on both
    lines = write_jsonl(tmp_path / "payloads.jsonl", json.loads(log.read_text()))
    assert len(auditkit.load(lines)) == 12 and auditkit.load(lines).attrs["problems"] == []
    for f in (log, lines):
        doc = cli_json("summary", str(f))
        assert doc["totals"]["invocations"] == 6 and doc["problems"] == []


# --- 2. equal events in one source -----------------------------------------------------------------------------


def test_equal_payloads_in_one_log_are_separate_events_and_a_copy_of_the_log_adds_none(tmp_path: Path) -> None:
    waiting = payload("Notification", message="Claude is waiting for your input", notification_type="idle_prompt")
    stop = payload("Stop", stop_hook_active=False)
    rows = [waiting] * 47 + [stop] * 3
    log = tmp_path / "logs" / "payloads.json"
    log.parent.mkdir()
    log.write_text(json.dumps(rows, indent=2))
    df = auditkit.load(log)
    assert (df["event"] == "Notification").sum() == 47 and (df["event"] == "Stop").sum() == 3
    assert df.attrs["duplicates"] == 0
    # the same log given twice, copied, or archived gzipped: the same 50 events
    (tmp_path / "logs" / "copy.json").write_bytes(log.read_bytes())
    jsonl = write_jsonl(tmp_path / "logs" / "payloads.jsonl", rows)
    (tmp_path / "logs" / "payloads.jsonl.gz").write_bytes(gzip.compress(jsonl.read_bytes()))
    again = auditkit.load([tmp_path / "logs", log])
    assert len(again) == 50 and again.attrs["duplicates"] == 150
    assert cli_json("summary", str(tmp_path / "logs"))["totals"]["events"] == 50


# --- 3 and 4. Gemini: one line, durations -------------------------------------------------------------------


def gemini_session() -> dict:
    """A Gemini CLI session whose tool calls are stamped after the message that holds them (the message's
    time is when it was started), one of them by 315 seconds."""
    calls = [
        {
            "id": f"call-{i}",
            "name": "run_shell_command",
            "args": {"command": f"make t{i}"},
            "status": "success",
            "timestamp": f"2026-03-02T09:0{i}:{'15' if i == 1 else '01'}.000Z",
            "result": [{"text": "ok"}],
        }
        for i in range(3)
    ]
    return {
        "sessionId": "gem-1",
        "projectHash": "ab" * 32,
        "startTime": "2026-03-02T09:00:00.000Z",
        "lastUpdated": "2026-03-02T09:10:00.000Z",
        "messages": [
            {"id": "m1", "timestamp": "2026-03-02T09:00:00.000Z", "type": "user", "content": "run the tests"},
            {
                "id": "m2",
                "timestamp": "2026-03-02T08:55:00.000Z",
                "type": "gemini",
                "content": "running",
                "model": "gemini-2.5-pro",
                "toolCalls": calls,
                "tokens": {"input": 1200, "output": 80, "cached": 200, "thoughts": 20, "tool": 0, "total": 1300},
            },
        ],
    }


def test_a_gemini_session_written_on_one_line_loads_as_the_same_session_pretty_printed(tmp_path: Path) -> None:
    one = tmp_path / "one" / "session-2026-03-02T09-00-gem1.json"
    pretty = tmp_path / "pretty" / "session-2026-03-02T09-00-gem1.json"
    for f, indent in ((one, None), (pretty, 2)):
        f.parent.mkdir()
        f.write_text(json.dumps(gemini_session(), indent=indent))
    assert len(one.read_text().splitlines()) == 1
    a, b = auditkit.load(one), auditkit.load(pretty)
    assert len(a) == len(b) == 1 + 1 + 2 * 3 and a.attrs["problems"] == []
    assert a.drop(columns="source_file").equals(b.drop(columns="source_file"))
    assert cli_json("summary", str(one))["totals"]["invocations"] == 3


def test_a_gemini_call_stamped_after_its_message_has_no_negative_duration_and_says_why(tmp_path: Path) -> None:
    f = tmp_path / "session-gem.json"
    f.write_text(json.dumps(gemini_session()))
    calls = auditkit.tool_calls(auditkit.load(f))
    assert len(calls) == 3 and calls["duration_ms"].isna().all() and calls["wall_ms"].isna().all()
    assert set(calls["duration_note"]) == {"the end is stamped before the start: the sources disagree"}
    steps = auditkit.replay(auditkit.load(f), "gem-1")
    assert steps["duration_ms"].isna().all() and steps["duration_note"].notna().all()
    doc = cli_json("summary", str(f))
    assert doc["totals"]["total_ms"] == 0 and doc["tools"]["run_shell_command"]["total_ms"] is None


def test_a_recorded_negative_duration_is_no_duration(tmp_path: Path) -> None:
    call = {"tool_name": "Read", "tool_use_id": "r1", "tool_input": {"file_path": "/a"}}
    rows = [payload("PreToolUse", **call), payload("PostToolUse", **call, tool_response={}, duration_ms=-40)]
    calls = auditkit.tool_calls(auditkit.load(write_jsonl(tmp_path / "p.jsonl", rows)))
    assert math.isnan(calls["duration_ms"].item())
    assert calls["duration_note"].item() == "a negative duration was recorded"


# --- 5 and the parity of `auditkit cost` with the library --------------------------------------------------


def test_auditkit_cost_prices_a_transcript_copied_as_a_json_array(tmp_path: Path) -> None:
    chat = tmp_path / "hooks" / "chat.json"
    chat.parent.mkdir()
    chat.write_text(json.dumps(transcript(), indent=2))
    lib = auditkit.cost(auditkit.load(chat), by="session_id")
    assert lib["messages"].sum() == 3 and lib["usd"].sum() > 0
    doc = cli_json("cost", str(chat), "--by", "session")
    assert doc["total_usd"] == pytest.approx(float(lib["usd"].sum()))
    assert [r["messages"] for r in doc["rows"]] == [3]
    # the copy beside its transcript: each message once, by both
    write_jsonl(tmp_path / "hooks" / f"{S}.jsonl", transcript())
    both = cli_json("cost", str(tmp_path / "hooks"), "--by", "session")
    assert both["rows"][0]["messages"] == 3
    assert auditkit.cost(auditkit.load(tmp_path / "hooks"), by="session_id")["messages"].sum() == 3


def codex_rollout(path: Path) -> Path:
    """A Codex rollout (wrapped lines): an exec_command whose output comes back after 1.23 s while its process
    runs 5.088 s, and a web search."""

    def at(ms: int) -> str:
        return f"2026-03-03T12:00:{ms // 1000:02d}.{ms % 1000:03d}Z"

    def item(ms: int, kind: str, body: dict) -> dict:
        return {"timestamp": at(ms), "type": kind, "payload": body}

    tokens = {"input_tokens": 2000, "cached_input_tokens": 500, "output_tokens": 300, "total_tokens": 2300}
    rows = [
        item(0, "session_meta", {"id": "codex-1", "cwd": "/home/dev/app", "cli_version": "0.128.0"}),
        item(10, "turn_context", {"model": "gpt-5.2-codex", "cwd": "/home/dev/app"}),
        item(
            20,
            "response_item",
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "check the build"}]},
        ),
        item(
            1000,
            "response_item",
            {
                "type": "function_call",
                "name": "exec_command",
                "call_id": "call_exec",
                "arguments": json.dumps({"cmd": "make", "yield_time_ms": 1000}),
            },
        ),
        item(
            2230,
            "response_item",
            {
                "type": "function_call_output",
                "call_id": "call_exec",
                "output": "Chunk ID: 1\nWall time: 1.0 seconds\nProcess running",
            },
        ),
        item(
            3000,
            "response_item",
            {"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "make error 2"}},
        ),
        item(
            6088,
            "event_msg",
            {
                "type": "exec_command_end",
                "call_id": "call_exec",
                "exit_code": 0,
                "duration": {"secs": 5, "nanos": 88000000},
                "aggregated_output": "built",
            },
        ),
        item(
            6100,
            "event_msg",
            {"type": "token_count", "info": {"total_token_usage": tokens, "last_token_usage": tokens}},
        ),
    ]
    return write_jsonl(path, rows)


def test_codex_web_searches_are_tool_calls_and_a_shell_call_has_execution_and_wall_time(tmp_path: Path) -> None:
    f = codex_rollout(tmp_path / "rollout-2026-03-03T12-00-00-codex-1.jsonl")
    calls = auditkit.tool_calls(auditkit.load(f)).set_index("tool_use_id")
    assert len(calls) == 2
    search = calls[calls["tool"] == "web_search"].iloc[0]
    assert search["status"] == "ok" and search["kind"] == "WebSearch" and search["pattern"] == "make error 2"
    exec_ = calls.loc["call_exec"]
    assert exec_["duration_ms"] == 5088 and exec_["wall_ms"] == 1230  # the process ran 5.088 s; output at 1.23 s
    assert exec_["response"]["aggregated_output"] == "built"
    doc = cli_json("summary", str(f))
    assert doc["totals"]["invocations"] == 2 and doc["tools"]["web_search"]["invocations"] == 1


# --- 6. subagents nested by id ---------------------------------------------------------------------------------


def test_subagent_calls_from_timeless_hook_payloads_nest_under_the_task_that_started_them(tmp_path: Path) -> None:
    task = {
        "tool_name": "Task",
        "tool_use_id": "toolu_task",
        "tool_input": {"description": "hunt", "prompt": "look", "subagent_type": "general-purpose"},
    }
    inner = {"tool_name": "Grep", "tool_use_id": "toolu_in", "tool_input": {"pattern": "x"}}
    other = {"tool_name": "Read", "tool_use_id": "toolu_rd", "tool_input": {"file_path": "/a"}}
    rows = [
        payload("UserPromptSubmit", prompt="go"),
        payload("PreToolUse", **task),
        payload("SubagentStart", agent_id="agent-9", agent_type="general-purpose"),
        payload("PreToolUse", **inner, agent_id="agent-9", agent_type="general-purpose"),
        payload("PostToolUse", **inner, tool_response={"numFiles": 1}, agent_id="agent-9"),
        payload("SubagentStop", agent_id="agent-9", agent_type="general-purpose", stop_hook_active=False),
        payload(
            "PostToolUse",
            **task,
            tool_response={"content": [{"type": "text", "text": "ok"}], "agentId": "agent-9", "totalDurationMs": 900},
        ),
        payload("PreToolUse", **other),
        payload("PostToolUse", **other, tool_response={}),
    ]
    df = auditkit.load(write_jsonl(tmp_path / "payloads.jsonl", rows))
    assert df["timestamp"].isna().all()
    steps = auditkit.replay(df, "sess-1").set_index("tool_use_id")
    assert (
        steps.loc["toolu_in", "depth"] == 1 and steps.loc["toolu_in", "parent_step"] == steps.loc["toolu_task", "step"]
    )
    assert steps.loc["toolu_rd", "depth"] == 0 and steps.loc["toolu_task", "depth"] == 0
    text = cli("replay", "sess-1", str(tmp_path / "payloads.jsonl")).stdout
    assert "    Grep" in text


def test_a_transcripts_subagent_nests_by_the_agent_id_its_task_result_names(tmp_path: Path) -> None:
    root = tmp_path / "-home-dev-app"
    write_jsonl(root / f"{S}.jsonl", transcript())
    write_jsonl(root / S / "subagents" / "agent-agent-7.jsonl", subagent_lines())
    steps = auditkit.replay(auditkit.load(tmp_path), S).set_index("tool_use_id")
    assert steps.loc["toolu_sub_grep", "depth"] == 1
    assert steps.loc["toolu_sub_grep", "parent_step"] == steps.loc["toolu_task", "step"]


# --- 8. replay prompts --------------------------------------------------------------------------------------------


def test_replay_prompts_are_what_the_user_typed_slash_commands_included_injected_text_not(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / f"{S}.jsonl", transcript())
    df = auditkit.load(f)
    assert df.loc[df["event"] == "UserPromptSubmit", "prompt"].tolist() == ["Find the flaky test", "/review:pr 12"]
    steps = auditkit.replay(df, S).set_index("tool_use_id")
    assert steps.loc["toolu_task", "prompt_no"] == 1 and steps.loc["toolu_bash", "prompt"] == "/review:pr 12"
    assert steps.attrs["prompts"] == ["Find the flaky test", "/review:pr 12"]
    text = cli("replay", S, str(f)).stdout
    assert "prompt 2: /review:pr 12" in text and "task-notification" not in text
    # a hook trail's prompt that the system injected is context too
    rows = [
        payload("UserPromptSubmit", prompt="<task-notification>done</task-notification>", timestamp=t)
        for t in ["2026-03-01T10:00:00Z"]
    ]
    rows.append(
        payload(
            "PreToolUse",
            tool_name="Bash",
            tool_use_id="b",
            tool_input={"command": "ls"},
            timestamp="2026-03-01T10:00:01Z",
        )
    )
    hook = auditkit.replay(auditkit.load(write_jsonl(tmp_path / "h.jsonl", rows)), "sess-1")
    assert hook.attrs["prompts"] == [] and hook["prompt"].isna().all()


# --- 9. provider ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("global.anthropic.claude-opus-4-7-v1", "claude-opus-4-7"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("publishers/anthropic/models/claude-opus-4-6", "claude-opus-4-6"),
        ("gpt-5.2-codex", "gpt-5.2-codex"),
        ("gemini-3-pro-preview", "gemini-3-pro-preview"),
    ],
)
def test_a_provider_model_id_is_priced_as_the_family_it_names(model: str, family: str) -> None:
    from auditkit.analysis.pricing import PRICES, _price, price_table

    table = price_table()
    assert family in PRICES and _price(model, table) == table[family]


def test_auditkit_cost_prices_bedrock_ids_in_a_transcript(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / f"{S}.jsonl", transcript("converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0"))
    doc = cli_json("cost", str(f), "--by", "model")
    assert doc["unpriced_models"] == [] and doc["total_usd"] > 0
    # 600 input, 150 output, 600 cache writes (5 min), 3000 cache reads at Haiku 4.5's $1 / $5
    assert doc["total_usd"] == pytest.approx((600 * 1 + 150 * 5 + 600 * 1.25 + 3000 * 0.1) / 1e6)


# --- 10. summary --json -------------------------------------------------------------------------------------------


def test_summary_json_holds_the_per_agent_table(tmp_path: Path) -> None:
    codex_rollout(tmp_path / "rollout-2026-03-03T12-00-00-codex-1.jsonl")
    (tmp_path / "session-gem.json").write_text(json.dumps(gemini_session()))
    write_jsonl(tmp_path / f"{S}.jsonl", transcript())
    doc = cli_json("summary", str(tmp_path))
    assert set(doc["agents"]) == {"claude-code", "codex", "gemini"}
    assert doc["agents"]["codex"]["calls"] == 2 and doc["agents"]["gemini"]["calls"] == 3
    assert doc["agents"]["claude-code"]["sessions"] == 1
    assert "Per-Agent Breakdown" in cli("summary", str(tmp_path)).stdout


# --- `auditkit cost` equals auditkit.cost(auditkit.load()) on every fixture of every format -------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _write_fixture(name: str, root: Path) -> Path:
    if name.startswith("fixtures/"):
        return FIXTURES / name.removeprefix("fixtures/")
    if name == "sample_logs":
        return Path(__file__).resolve().parent.parent / "sample_logs"
    f = root / name
    f.parent.mkdir(parents=True, exist_ok=True)
    if name == "chat.json":
        f.write_text(json.dumps(transcript(), indent=2))
    elif name == "one-line-array.json":
        f.write_text(json.dumps(transcript()))
    elif name == "transcript.jsonl":
        write_jsonl(f, transcript("us.anthropic.claude-sonnet-4-5-20250929-v1:0"))
    elif name == "transcript.jsonl.gz":
        f.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in transcript()).encode()))
    elif name == "rollout.jsonl":
        codex_rollout(f)
    elif name == "session-one-line.json":
        f.write_text(json.dumps(gemini_session()))
    elif name == "session-pretty.json":
        f.write_text(json.dumps(gemini_session(), indent=2))
    elif name == "payloads.json":
        surrogate_log(f)
    elif name == "mixed":
        write_jsonl(f / "a.jsonl", transcript())
        (f / "copy" / "chat.json").parent.mkdir(parents=True)
        (f / "copy" / "chat.json").write_text(json.dumps(transcript()))
        codex_rollout(f / "rollout-x.jsonl")
    return f


@pytest.mark.parametrize(
    "name",
    [
        "fixtures/transcripts",
        "fixtures/transcripts/v1.0-inline-sidechain",
        "fixtures/transcripts/v2.0-agent-files",
        "fixtures/transcripts/v2.1-progress",
        "fixtures/transcripts/resumed",
        "fixtures/agents/codex",
        "fixtures/agents/gemini",
        "sample_logs",
        "chat.json",
        "one-line-array.json",
        "transcript.jsonl",
        "transcript.jsonl.gz",
        "rollout.jsonl",
        "session-one-line.json",
        "session-pretty.json",
        "payloads.json",
        "mixed",
    ],
)
def test_auditkit_cost_equals_the_librarys_cost_of_load(name: str, tmp_path: Path) -> None:
    target = _write_fixture(name, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unpriced model is named in a warning: compared below, not here
        lib = auditkit.cost(auditkit.load(target), by=["session_id", "model"])
    doc = cli_json("cost", str(target), "--by", "session", "model")
    got = {
        (r["session_id"], r["model"]): (
            r["messages"],
            r["input_tokens"],
            r["output_tokens"],
            r["cache_read_tokens"],
            r["cache_creation_tokens"],
        )
        for r in doc["rows"]
    }
    want = {
        (r["session_id"], r["model"]): (
            r["messages"],
            r["input_tokens"],
            r["output_tokens"],
            r["cache_read_tokens"],
            r["cache_creation_tokens"],
        )
        for r in lib.reset_index().to_dict(orient="records")
    }
    assert got == want
    assert doc["total_usd"] == pytest.approx(float(lib["usd"].sum(min_count=1) if len(lib) else 0.0))


# --- property: whatever Python's json reads loads, record for record, by both readers ---------------------------

_SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
_TEXT = st.text(st.one_of(st.characters(), _SURROGATE), max_size=12)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**25, -(2**64), "\udc90", "NaN"]),
    _TEXT,
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=12,
)
_EVENTS = st.sampled_from(["PreToolUse", "PostToolUse", "Notification", "Stop", "UserPromptSubmit"])


@st.composite
def _payload(draw) -> dict:
    obj = {"session_id": draw(st.sampled_from(["s1", "s2"])), "hook_event_name": draw(_EVENTS)}
    obj |= {"tool_name": draw(st.sampled_from(["Bash", "Read", "mcp__x__y"])), "tool_use_id": draw(_TEXT)}
    obj |= {"tool_input": draw(_VALUE), "tool_response": draw(_VALUE), "message": draw(_TEXT)}
    return obj


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_payload(), min_size=1, max_size=8), as_array=st.booleans(), pretty=st.booleans())
def test_any_payload_file_pythons_json_reads_loads_with_every_record(
    records: list[dict], as_array: bool, pretty: bool, tmp_path: Path
) -> None:
    """Lone surrogates, integers past 64 bits, NaN and Infinity, any unicode; equal records included."""
    f = tmp_path / ("p.json" if as_array else "p.jsonl")
    if as_array:
        text = json.dumps(records, indent=2 if pretty else None)
    else:
        text = "".join(json.dumps(r) + "\n" for r in records)
    f.write_text(text)
    assert len(json.loads(text) if as_array else [json.loads(x) for x in text.splitlines()]) == len(records)
    df = auditkit.load(f)
    assert len(df) == len(records) and df.attrs["problems"] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_VALUE, min_size=1, max_size=8))
@example(values=[1, "a", float("nan"), float("inf")])  # what DuckDB reads into a float and a name column
@example(values=[{"k": [1.5, -(10**25)]}, "é", float("-inf")])
def test_any_trail_line_pythons_json_reads_loads_by_both_readers(
    values: list, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An auditkit trail whose payload fields hold what only the standard library reads: the DuckDB columnar
    path (or its fall-back) and the line reader give every record, the same number."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    first = tf.encode_record(0, ts, tf.genesis_hash("p", ts), appender.header_fields("p", ts))
    lines = [first.decode()]
    for seq, v in enumerate(values, 1):
        rec = {
            "v": 1,
            "seq": seq,
            "ts": ts,
            "prev": "0" * 64,
            "event": "PostToolUse",
            "status": "ok",
            "session_id": "s",
            "tool_name": "Bash",
            "tool_use_id": f"t{seq}",
            "tool_input": v,
            "tool_response": v,
            "error": v if seq % 2 else None,
            "hash": f"{seq:064x}",
            "duration_ms": v if seq % 3 == 0 else 12.5,
            "agent_id": v if seq % 4 == 0 else None,
        }
        lines.append(json.dumps(rec) + "\n")
    trail = tmp_path_factory.mktemp("trail") / "audit-trail.jsonl"
    trail.write_text("".join(lines))
    counts, values_read = [], []
    for threshold in (1 << 60, 0):
        old = columnar.MIN_BYTES
        columnar.MIN_BYTES = threshold
        try:
            df = auditkit.load(trail)
        finally:
            columnar.MIN_BYTES = old
        assert df.attrs["problems"] == []
        counts.append(len(df))
        values_read.append(
            [df[c].astype("object").tolist() for c in ("input", "response", "error", "duration_ms", "agent_id")]
        )
    assert counts == [len(values) + 1] * 2
    assert str(values_read[0]) == str(values_read[1])  # and the same values, marked alike (str: NaN == NaN)
    shutil.rmtree(trail.parent)


def test_the_marked_forms_are_what_the_hook_writes(tmp_path: Path) -> None:
    """load() keeps a lone surrogate and NaN as the hook records them (capture.parse), not in a form of its own."""
    from auditkit.trail import capture

    raw = json.dumps(
        payload(
            "PostToolUse",
            tool_name="Bash",
            tool_use_id="x",
            tool_input={"n": float("nan")},
            tool_response={"stdout": "a\udc90"},
        )
    )
    hook = capture.parse(raw.encode())
    df = auditkit.load(write_jsonl(tmp_path / "p.jsonl", [json.loads(raw)]))
    assert df["response"].iloc[0] == hook["tool_response"] and df["input"].iloc[0] == hook["tool_input"]
