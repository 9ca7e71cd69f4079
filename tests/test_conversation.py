"""The conversation view of a session: prompts, the assistant's text, tool calls with input and result,
coloured diffs, subagents nested, tokens and dollars per message, failures marked; one offline page
made of escaped text, opened in a real Chromium with the network cut off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import auditkit
from auditkit.analysis.conversation import conversation, diff_of, totals
from auditkit.cli import main
from auditkit.present.conversation import conversation_page
from tests.conftest import SAMPLES
from tests.test_browser import browser, requests_made  # noqa: F401 - the real Chromium, offline

SID = "c0ffee00-1111-4222-8333-444455556666"
PROMPT = "Rename the retry constant and explain why"
SAID = "I renamed MAX_RETRY to MAX_RETRIES; the old name was misleading."


def _line(kind: str, uuid: str, ts: str, message: dict, **extra: object) -> str:
    return json.dumps(
        {
            "type": kind,
            "uuid": uuid,
            "sessionId": SID,
            "timestamp": ts,
            "cwd": "/w",
            "message": message,
            "version": "2.1.119",
            **extra,
        }
    )


def _assistant(uuid: str, ts: str, mid: str, content: list, out_tokens: int = 50, **extra: object) -> str:
    usage = {
        "input_tokens": 100,
        "output_tokens": out_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 1000,
    }
    msg = {"id": mid, "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": content, "usage": usage}
    return _line("assistant", uuid, ts, msg, requestId=f"req-{mid}", **extra)


def write_transcript(path: Path, prompt: str = PROMPT, said: str = SAID) -> Path:
    """A small Claude Code transcript: a prompt, an Edit with its structured patch, a failed Bash, a Task whose
    subagent reads a file, and the assistant's closing text (written as two lines of one message, as Claude
    Code does: the text block and then nothing else)."""
    patch = [
        {
            "oldStart": 1,
            "oldLines": 2,
            "newStart": 1,
            "newLines": 2,
            "lines": ["-MAX_RETRY = 3", "+MAX_RETRIES = 3", " TIMEOUT = 10"],
        }
    ]
    lines = [
        _line("user", "u1", "2026-03-18T10:00:00.000Z", {"role": "user", "content": prompt}),
        _assistant("a1", "2026-03-18T10:00:01.000Z", "m1", [{"type": "text", "text": "Looking at the constant."}]),
        _assistant(
            "a1b",
            "2026-03-18T10:00:01.500Z",
            "m1",
            [
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "Edit",
                    "input": {"file_path": "/w/net.py", "old_string": "MAX_RETRY = 3", "new_string": "MAX_RETRIES = 3"},
                }
            ],
        ),
        _line(
            "user",
            "u2",
            "2026-03-18T10:00:02.000Z",
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
            toolUseResult={"filePath": "/w/net.py", "structuredPatch": patch},
        ),
        _assistant(
            "a2",
            "2026-03-18T10:00:03.000Z",
            "m2",
            [{"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": "pytest -q"}}],
        ),
        _line(
            "user",
            "u3",
            "2026-03-18T10:00:04.000Z",
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t2", "is_error": True, "content": "Exit code 1\n1 failed"}
                ],
            },
        ),
        _assistant(
            "a3",
            "2026-03-18T10:00:05.000Z",
            "m3",
            [
                {
                    "type": "tool_use",
                    "id": "t3",
                    "name": "Task",
                    "input": {"subagent_type": "Explore", "description": "find callers", "prompt": "find"},
                }
            ],
        ),
        _assistant(
            "s1",
            "2026-03-18T10:00:06.000Z",
            "m4",
            [{"type": "tool_use", "id": "t4", "name": "Read", "input": {"file_path": "/w/client.py"}}],
            agentId="agent-7",
        ),
        _line(
            "user",
            "s2",
            "2026-03-18T10:00:07.000Z",
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t4", "content": "x = 1"}]},
            agentId="agent-7",
        ),
        _line(
            "user",
            "u4",
            "2026-03-18T10:00:08.000Z",
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t3", "content": "2 callers"}]},
            toolUseResult={"agentId": "agent-7", "content": [{"type": "text", "text": "2 callers"}]},
        ),
        _assistant("a4", "2026-03-18T10:00:09.000Z", "m5", [{"type": "text", "text": said}], out_tokens=400),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def session(tmp_path: Path):
    return auditkit.load(write_transcript(tmp_path / f"{SID}.jsonl"))


def test_conversation_holds_prompt_text_calls_diff_subagent_and_tokens(session) -> None:
    items = conversation(session, SID)
    kinds = [i["kind"] for i in items]
    assert kinds[0] == "prompt" and items[0]["text"] == PROMPT
    said = [i["text"] for i in items if i["kind"] == "assistant"]
    # the first message's text survives though load() keeps its last line (the tool_use block)
    assert "Looking at the constant." in said and SAID in said
    tools = {i["tool"]: i for i in items if i["kind"] == "tool"}
    assert set(tools) == {"Edit", "Bash", "Task"}  # the subagent's Read is nested, not at the top
    assert "-MAX_RETRY = 3\n+MAX_RETRIES = 3" in tools["Edit"]["diff"]
    assert tools["Bash"]["status"] == "error" and tools["Bash"]["outcome"] == "failed"
    nested = tools["Task"]["children"]
    assert [c["tool"] for c in nested if c["kind"] == "tool"] == ["Read"]
    assert any(c["kind"] == "assistant" and c["agent_id"] == "agent-7" for c in nested)
    last = next(i for i in items if i["kind"] == "assistant" and i["text"] == SAID)
    # sonnet 4.5: $3/MTok in, $15 out, $0.30 cache read
    assert last["tokens"]["output_tokens"] == 400 and last["usd"] == pytest.approx(
        (100 * 3 + 400 * 15 + 1000 * 0.3) / 1e6
    )
    t = totals(items)
    assert (t["prompts"], t["messages"], t["tool_calls"], t["failed"]) == (1, 5, 4, 1)


def test_diffs_for_edit_multiedit_and_write_come_from_the_input_without_a_patch() -> None:
    edit = diff_of("Edit", {"file_path": "/a.py", "old_string": "x = 1\n", "new_string": "x = 2\n"}, None)
    assert edit is not None and "-x = 1\n+x = 2" in edit and edit.startswith("--- a/a.py\n+++ b/a.py")
    multi = diff_of("MultiEdit", {"file_path": "/a.py", "edits": [{"old_string": "a", "new_string": "b"}]}, {})
    assert multi is not None and "-a\n+b" in multi
    write = diff_of("Write", {"file_path": "/n.py", "content": "one\ntwo\n"}, {"type": "create"})
    assert write is not None and write.startswith("--- /dev/null") and "+one\n+two" in write
    assert diff_of("Read", {"file_path": "/a.py"}, None) is None


def test_the_page_is_offline_and_escapes_every_recorded_value(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>\x1b]0;pwned\x07 \u202egnp.exe"
    df = auditkit.load(write_transcript(tmp_path / f"{SID}.jsonl", prompt=hostile, said="<img src=x onerror=alert(2)>"))
    page = conversation_page(df, SID[:6], chart=False)  # a unique prefix names the session
    assert (
        f"Session {SID}" in page
        and "<script" not in page
        and "<img" not in page
        and "\x1b" not in page
        and "\u202e" not in page
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b]0;pwned\\x07 \\u202egnp.exe" in page
    assert not re.search(r"(?i)(src|href)=['\"]?(https?:)?//", page)  # nothing to fetch
    assert "default-src 'none'" in page


def test_long_results_are_collapsed_whole_in_details(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / f"{SID}.jsonl")
    text = path.read_text().replace(
        '"content": "x = 1"', '"content": ' + json.dumps("\n".join(f"line {n}" for n in range(500)))
    )
    path.write_text(text)
    page = conversation_page(auditkit.load(path), SID, chart=False)
    m = re.search(r"<details><summary>result: 500 lines[^<]*</summary><pre[^>]*>(.*?)</pre></details>", page, re.S)
    assert m and "line 0\nline 1" in m.group(1) and "line 499" in m.group(1)


def test_cli_replay_html_writes_the_conversation_with_the_chart(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.html"
    assert main(["replay", "5b3f", "--trail", str(SAMPLES), "--html", str(out)]) == 0
    page = out.read_text()
    assert "<svg" in page and "The config parser crashes on URLs" in page and "class='add'" in page
    assert out.stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_browser_shows_prompt_assistant_message_and_coloured_edit_diff(tmp_path: Path, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    page = tmp_path / "replay.html"
    transcript = write_transcript(tmp_path / f"{SID}.jsonl")
    assert main(["replay", SID[:8], "--trail", str(transcript), "--html", str(page)]) == 0
    requests_made(browser)  # forget what earlier tests asked for
    browser.get(page.as_uri())
    assert browser.find_element(By.CSS_SELECTOR, ".item.prompt").text.endswith(PROMPT)
    said = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".item.assistant .text")]
    assert SAID in said
    edit = browser.find_element(By.XPATH, "//div[contains(@class,'tool')][.//b[text()='Edit']]")
    added = edit.find_element(By.CSS_SELECTOR, "pre.diff span.add")
    removed = edit.find_element(By.CSS_SELECTOR, "pre.diff span.del")
    assert added.text == "+MAX_RETRIES = 3" and removed.text == "-MAX_RETRY = 3"
    green = added.value_of_css_property("background-color")
    red = removed.value_of_css_property("background-color")
    assert green == "rgba(230, 255, 236, 1)" and red == "rgba(255, 235, 233, 1)"  # coloured, not plain text
    failed = browser.find_element(By.CSS_SELECTOR, ".tool.failed .badge")
    assert failed.text == "✗ failed"
    assert [u for u in requests_made(browser) if not u.startswith(("file://", "data:"))] == []  # nothing fetched


def test_explorer_opens_on_the_session_with_most_findings_with_real_characters_and_coloured_diffs() -> None:
    from auditkit.present.explorer import findings_by_session

    df = auditkit.load(SAMPLES)
    found = findings_by_session(df)
    # the samples: f0f0 retries a failing build (7 failures) behind a risky command; 9e8d deletes data (3)
    assert found.index[0] == "f0f0f0f0-1111-4222-8333-444455556666" and found.iloc[0] == 8
    tabs = auditkit.explore(df)
    session_pick, _, _timeline, step_pick, step_detail = tabs.children[0].children
    assert session_pick.value == found.index[0]  # not the first session by time (a 2-step one)
    session_pick.value = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
    bash = next(v for label, v in step_pick.options if "rm -rf" in label)
    step_pick.value = bash
    assert "Bash: rm -rf build/ data/ → ok" in step_detail.value and "\\u2192" not in step_detail.value
    session_pick.value = "5b3f1c9e-7a2d-4e8b-9f10-2c4d6e8a0b1c"
    step_pick.value = next(v for label, v in step_pick.options if label.split(": ", 1)[1].startswith("Edit"))
    assert "<span class='add'>+" in step_detail.value and ".auditkit-conversation .add{" in step_detail.value
    file_pick, _, version_pick, diff_view = tabs.children[1].children
    file_pick.value = "/home/dev/acme-api/scripts/deploy.sh"
    version_pick.value = 1
    assert "<span class='add'>+chmod -R 777 /tmp/deploy || true</span>" in diff_view.value


@pytest.mark.slow
def test_browser_shows_the_conversation_in_the_replay_pack(tmp_path: Path, browser) -> None:  # noqa: F811
    """The replay pack's page (nbconvert's HTML, scripts removed) keeps the conversation and its colours."""
    from selenium.webdriver.common.by import By

    from auditkit.present.evidence import report

    transcript = write_transcript(tmp_path / f"{SID}.jsonl")
    out = tmp_path / "pack"
    report("replay", [str(transcript)], out, {"session": SID[:8]}, progress=False)
    requests_made(browser)
    browser.get((out / "replay.html").as_uri())
    convo = browser.find_element(By.CSS_SELECTOR, ".auditkit-conversation")
    assert convo.find_element(By.CSS_SELECTOR, ".item.prompt .text").text == PROMPT
    assert SAID in [e.text for e in convo.find_elements(By.CSS_SELECTOR, ".item.assistant .text")]
    added = convo.find_element(By.CSS_SELECTOR, "pre.diff span.add")
    assert added.text == "+MAX_RETRIES = 3"
    assert added.value_of_css_property("background-color") == "rgba(230, 255, 236, 1)"
    assert [u for u in requests_made(browser) if not u.startswith(("file://", "data:"))] == []  # nothing fetched


def test_the_session_picker_builds_headless_and_redraws_the_conversation(tmp_path: Path) -> None:
    from auditkit.present.conversation import session_picker

    df = auditkit.load([write_transcript(tmp_path / f"{SID}.jsonl"), SAMPLES / "regression-fix"])
    box = session_picker(df, SID)
    pick, view = box.children
    assert pick.value == SID and PROMPT in view.value and "<style>" in view.value
    other = next(v for _, v in pick.options if v != SID)
    pick.value = other
    assert PROMPT not in view.value and f"Session {other}" in view.value
    assert session_picker(df).children[0].value == pick.options[0][1]  # most tool calls first


def test_a_notebook_shows_the_first_items_and_says_where_the_rest_is(session) -> None:
    from auditkit.present.conversation import Conversation

    shown = Conversation(session, SID, limit=2)._repr_html_()
    assert shown.count("class='item ") == 2 and "more item(s)" in shown and f"auditkit replay {SID} --html" in shown
    whole = Conversation(session, SID, limit=None)._repr_html_()
    assert "more item(s)" not in whole and SAID in whole
