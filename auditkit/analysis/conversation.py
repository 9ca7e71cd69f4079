"""``conversation()``: one session as the conversation it was, in order: the user's prompts, the
assistant's text (from the Claude Code transcript loaded beside the trail), each tool call with its
input, result and, for Edit/Write/MultiEdit, the unified diff it made; subagents' calls and messages
nested under the Task step that started them; tokens and dollars per assistant message.

Items are plain dicts (``kind``: ``prompt``, ``assistant`` or ``tool``); :mod:`auditkit.present.conversation`
draws them. Nothing here makes text safe to show: the page does.
"""

from __future__ import annotations

import pandas as pd

from auditkit.analysis.patches import structured_patch
from auditkit.analysis.pricing import summarize
from auditkit.analysis.steps import replay
from auditkit.analysis.views import tool_calls
from auditkit.loading.readers.transcript import CONTEXT_MARKS

#: A call's status, as the conversation names it (a call with no result was denied, interrupted or is running).
OUTCOME = {
    "ok": "ok",
    "error": "failed",
    "interrupted": "interrupted",
    "denied": "denied",
    "unfinished": "no result (denied, interrupted or still running)",
}
FILE_TOOLS = ("Edit", "MultiEdit", "Write")


def _hunks_text(hunks: list) -> str:
    out = []
    for h in hunks:
        if not isinstance(h, dict):
            continue
        old, new = (
            f"{h.get('oldStart', '?')},{h.get('oldLines', '?')}",
            f"{h.get('newStart', '?')},{h.get('newLines', '?')}",
        )
        out.append(f"@@ -{old} +{new} @@")
        out += [str(line) for line in h.get("lines") or [] if isinstance(line, str)]
    return "\n".join(out)


def diff_of(tool: object, inp: object, response: object) -> str | None:
    """The unified diff an Edit, MultiEdit or Write made: Claude Code's ``structuredPatch`` when the
    result carries one, else computed from the call's input (a new file: every line added)."""
    if tool not in FILE_TOOLS or not isinstance(inp, dict):
        return None
    path = str(inp.get("file_path") or "?")
    head = f"--- a{path}\n+++ b{path}\n" if path.startswith("/") else f"--- a/{path}\n+++ b/{path}\n"
    patch = response.get("structuredPatch") if isinstance(response, dict) else None
    if isinstance(patch, list) and patch:
        return head + _hunks_text(patch)
    if tool == "Edit":
        old, new = inp.get("old_string"), inp.get("new_string")
        if isinstance(old, str) and isinstance(new, str):
            return head + _hunks_text(structured_patch(old, new))
    if tool == "MultiEdit":
        hunks = []
        for e in inp.get("edits") or []:
            if isinstance(e, dict) and isinstance(e.get("old_string"), str) and isinstance(e.get("new_string"), str):
                hunks += structured_patch(e["old_string"], e["new_string"])
        return head + _hunks_text(hunks) if hunks else None
    if tool == "Write" and isinstance(inp.get("content"), str):
        return f"--- /dev/null\n+++ b{path}\n" + _hunks_text(structured_patch("", inp["content"]))
    return None


def _value(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    return v


def _count(v: object) -> int:
    v = _value(v)
    return int(v) if isinstance(v, (int, float)) else 0


def _when(ts: object) -> pd.Timestamp | None:
    return ts if isinstance(ts, pd.Timestamp) and not pd.isna(ts) else None


def _messages(ses: pd.DataFrame, prices: dict | None) -> list[dict]:
    msgs = ses[ses["event"] == "assistant_message"]
    out = []
    for m in msgs.to_dict(orient="records"):
        data = m.get("data") if isinstance(m.get("data"), dict) else {}
        tokens = {c: _count(m.get(c)) for c in ("input_tokens", "output_tokens", "cache_read_tokens")}
        written, hour = _count(m.get("cache_creation_tokens")), _count(m.get("cache_creation_1h_tokens"))
        row = {
            "model": m.get("model"),
            "k": 0,
            "input_tokens": tokens["input_tokens"],
            "output_tokens": tokens["output_tokens"],
            "cache_5m_tokens": max(written - hour, 0),
            "cache_creation_1h_tokens": hour,
            "cache_read_tokens": tokens["cache_read_tokens"],
        }
        usd = summarize([row], ["k"], prices)[0][0]["usd"]
        out.append(
            {
                "kind": "assistant",
                "time": _when(m.get("timestamp")),
                "text": data.get("text") if isinstance(data.get("text"), str) else None,
                "model": _value(m.get("model")),
                "agent_id": _value(m.get("agent_id")),
                "tokens": {**tokens, "cache_creation_tokens": written},
                "usd": None if usd != usd else usd,
                "source": f"{m.get('source_file')}:{m.get('source_line')}",
            }
        )
    return out


def _prompts(ses: pd.DataFrame) -> list[dict]:
    asked = ses[(ses["event"] == "UserPromptSubmit") & ses["agent_id"].isna()]
    out: list[dict] = []
    for p in asked.to_dict(orient="records"):
        text = p.get("prompt")
        if not isinstance(text, str) or text.lstrip().startswith(CONTEXT_MARKS):  # injected context: not a prompt
            continue
        when = _when(p.get("timestamp"))
        # the hook and the transcript both record a prompt: shown once (same text within a minute)
        if any(
            q["text"] == text and (q["time"] is None or when is None or abs(q["time"] - when) < pd.Timedelta(minutes=1))
            for q in out
        ):
            continue
        out.append(
            {"kind": "prompt", "time": when, "text": text, "source": f"{p.get('source_file')}:{p.get('source_line')}"}
        )
    return out


def conversation(df: pd.DataFrame, session_id: str, prices: dict | None = None) -> list[dict]:
    """The session as conversation items in time order (see the module docstring). A tool item has
    ``step``, ``tool``, ``summary``, ``status``, ``outcome``, ``input``, ``response``, ``error``, ``diff``
    and ``children`` (a Task's subagent: its calls and messages); a subagent's items are only there."""
    steps = replay(df, session_id)  # raises UsageError for an unknown session
    session_id = steps.attrs["session_id"]  # the whole id, when a unique prefix was given
    ses = df[df["session_id"] == session_id]
    calls = tool_calls(ses, columns=["input", "response", "error", "start_event_id", "end_event_id"])
    by_ids = {(c["start_event_id"], c["end_event_id"]): c for c in calls.to_dict(orient="records")}
    tools: dict[int, dict] = {}
    for s in steps.to_dict(orient="records"):
        c = by_ids.get((s["start_event_id"], s["end_event_id"]), {})
        inp, resp = _value(c.get("input")), _value(c.get("response"))
        tools[int(s["step"])] = {
            "kind": "tool",
            "time": _when(s["start"]) or _when(s["end"]),
            "step": int(s["step"]),
            "tool": str(s["tool"]),
            "summary": s["summary"],
            "status": str(s["status"]),
            "outcome": OUTCOME.get(str(s["status"]), str(s["status"])),
            "duration_ms": _value(s["duration_ms"]),
            "input": inp,
            "response": resp,
            "error": _value(c.get("error")),
            "diff": diff_of(s["tool"], inp, resp),
            "agent_id": _value(s["agent_id"]),
            "parent_step": _value(s["parent_step"]),
            "children": [],
        }
    # a subagent's messages go under the Task step that its calls are nested under
    agent_parent = {t["agent_id"]: t["parent_step"] for t in tools.values() if t["agent_id"] and t["parent_step"]}
    top: list[dict] = [*_prompts(ses)]
    for m in _messages(ses, prices):
        parent = agent_parent.get(m["agent_id"]) if m["agent_id"] else None
        (tools[int(parent)]["children"] if parent in tools else top).append(m)
    for t in tools.values():
        parent = t["parent_step"]
        (tools[int(parent)]["children"] if parent is not None and int(parent) in tools else top).append(t)

    def order(item: dict) -> tuple:
        when = item["time"]
        rank = {"prompt": 0, "assistant": 1, "tool": 2}[item["kind"]]
        return (when is None, when if when is not None else pd.Timestamp(0, tz="UTC"), rank, item.get("step", 0))

    for t in tools.values():
        t["children"].sort(key=order)
    top.sort(key=order)
    return top


def totals(items: list[dict]) -> dict:
    """Tokens, dollars, calls, failures and prompts over a conversation, its subagents included."""
    out = {"prompts": 0, "messages": 0, "tool_calls": 0, "failed": 0, "usd": 0.0, "unpriced": 0}
    out.update(dict.fromkeys(("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"), 0))
    stack = list(items)
    while stack:
        it = stack.pop()
        if it["kind"] == "prompt":
            out["prompts"] += 1
        elif it["kind"] == "assistant":
            out["messages"] += 1
            for k, v in it["tokens"].items():
                out[k] += v
            if it["usd"] is None:
                out["unpriced"] += 1
            else:
                out["usd"] += it["usd"]
        else:
            out["tool_calls"] += 1
            out["failed"] += it["status"] != "ok"
            stack += it["children"]
    return out
