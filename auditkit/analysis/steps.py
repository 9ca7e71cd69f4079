"""``replay()``: one session as an ordered timeline of steps, one per tool call.

Each step merges a call's PreToolUse and its Post event: start, end, duration, the idle gap since
the previous step ended, a one-line human summary (``Edit src/parser.py (+3 −1)``, ``Bash: npm test
→ failed``), the subagent it ran in (nested under the Task step that started it), and the user
prompt that started its group of steps.
"""

from __future__ import annotations

import posixpath
from typing import Any

import pandas as pd

from auditkit.analysis.views import UNFINISHED, session_id_for, tool_calls
from auditkit.errors import UsageError
from auditkit.loading.readers.transcript import CONTEXT_MARKS

STEP_COLUMNS = [
    "step",
    "start",
    "end",
    "duration_ms",
    "wall_ms",
    "duration_note",
    "gap_ms",
    "tool",
    "summary",
    "status",
    "depth",
    "parent_step",
    "agent_id",
    "agent_type",
    "prompt_no",
    "prompt",
    "file_path",
    "command",
    "tool_use_id",
    "session_id",
    "start_event_id",
    "end_event_id",
]
_OUTCOME = {"ok": "ok", "error": "failed", "interrupted": "interrupted", UNFINISHED: "no result"}


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _rel(path: object, cwd: object) -> str:
    if not isinstance(path, str):
        return "?"
    if isinstance(cwd, str) and cwd and path.startswith(cwd.rstrip("/") + "/"):
        return posixpath.relpath(path, cwd)
    return path


def _patch_counts(hunks: object) -> tuple[int, int] | None:
    if not isinstance(hunks, list):
        return None
    plus = minus = 0
    for h in hunks:
        for line in h.get("lines", []) if isinstance(h, dict) else []:
            if isinstance(line, str) and line.startswith("+"):
                plus += 1
            elif isinstance(line, str) and line.startswith("-"):
                minus += 1
    return plus, minus


def _lines(text: object) -> int:
    return len(text.splitlines()) if isinstance(text, str) else 0


def _mapping(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: payload fields may hold anything."""
    return value if isinstance(value, dict) else {}


def describe(call: dict[str, Any]) -> str:
    """A one-line summary of a tool call, in the words of someone reading the timeline."""
    tool = str(call.get("tool"))
    inp = _mapping(call.get("input"))
    resp_d = _mapping(call.get("response"))
    status = call.get("status")
    outcome = _OUTCOME.get(str(status), str(status))
    where = _rel(call.get("file_path"), call.get("cwd"))
    failed = f" → {outcome}" if status != "ok" else ""
    if tool in ("Edit", "MultiEdit", "Write"):
        counts = _patch_counts(resp_d.get("structuredPatch"))
        if tool == "Edit" and counts is None:
            counts = (_lines(inp.get("new_string")), _lines(inp.get("old_string")))
        if tool == "Write" and (resp_d.get("type") == "create" or not counts):
            return f"Write {where} ({_lines(inp.get('content'))} lines){failed}"
        extra = f"{len(inp.get('edits') or [])} edits, " if tool == "MultiEdit" else ""
        change = f" ({extra}+{counts[0]} −{counts[1]})" if counts else ""
        return f"{tool} {where}{change}{failed}"
    if tool == "Read":
        n = _mapping(resp_d.get("file")).get("numLines")
        return f"Read {where}" + (f" ({n} lines)" if isinstance(n, int) else "") + failed
    if tool == "NotebookEdit":
        notebook = _rel(inp.get("notebook_path"), call.get("cwd"))
        return f"NotebookEdit {notebook} ({inp.get('edit_mode', 'replace')}){failed}"
    if tool == "Bash":
        return f"Bash: {_short(str(inp.get('command', '')))} → {outcome}"
    if tool in ("Glob", "Grep"):
        n = resp_d.get("numFiles")
        found = f" → {n} files" if isinstance(n, int) else ""
        return f'{tool} "{_short(str(inp.get("pattern", "")), 40)}"{found}{failed}'
    if tool == "WebFetch":
        code = resp_d.get("code")
        return f"WebFetch {_short(str(inp.get('url', '')), 60)}" + (f" → {code}" if code else "") + failed
    if tool == "WebSearch":
        results = resp_d.get("results")
        n = f" → {len(results)} results" if isinstance(results, list) else ""
        return f'WebSearch "{_short(str(inp.get("query", "")), 40)}"{n}{failed}'
    if tool in ("Task", "Agent"):
        return f"{tool} ({inp.get('subagent_type', 'agent')}): {_short(str(inp.get('description', '')), 50)}{failed}"
    if tool == "TodoWrite":
        todos: list[object] = inp["todos"] if isinstance(inp.get("todos"), list) else []
        done = sum(1 for t in todos if isinstance(t, dict) and t.get("status") == "completed")
        return f"TodoWrite: {len(todos)} todos ({done} done)"
    if tool.startswith("mcp__"):
        _, server, name = ([*tool.split("__", 2), "", ""])[:3]
        return f"MCP {server}/{name} → {outcome}"
    return f"{tool}{failed}"


def _injected(prompt: object) -> bool:
    return isinstance(prompt, str) and prompt.lstrip().startswith(CONTEXT_MARKS)


def sessions(df: pd.DataFrame) -> pd.DataFrame:
    """One row per session: first and last event, number of tool calls, failures, user, host."""
    if not df["session_id"].notna().any():
        return pd.DataFrame(columns=["session_id", "start", "end", "events", "tool_calls", "failures", "user", "host"])
    # grouped in place, without copying any event: the events of no session (a trail's start) drop out
    # of the groups, and the calls are only counted (building them whole cost ~0.8 GB on a million events)
    g = df.groupby("session_id", observed=True)
    calls = tool_calls(df, columns=["session_id", "status"])
    failed = calls["status"].isin(["error", "interrupted"]).groupby(calls["session_id"]).sum()
    out = pd.DataFrame(
        {
            "start": g["timestamp"].min(),
            "end": g["timestamp"].max(),
            "events": g.size(),
            "tool_calls": calls.groupby("session_id").size(),
            "failures": failed,
            "user": g["user"].first(),
            "host": g["host"].first(),
        }
    )
    out[["tool_calls", "failures"]] = out[["tool_calls", "failures"]].fillna(0).astype(int)
    return out.reset_index().sort_values("start", kind="stable").reset_index(drop=True)


def replay(df: pd.DataFrame, session_id: str) -> pd.DataFrame:
    """The session's tool calls as ordered steps (see the module docstring); ``attrs`` name the session.

    ``session_id`` is an id or a unique prefix of one, as the command line takes it (:func:`session_id_for`;
    :class:`UsageError` naming the candidates when it matches none or several)."""
    known = [str(s) for s in df["session_id"].dropna().unique()]
    if not any(s.startswith(session_id) for s in known):
        raise UsageError(f"no session {session_id!r} in the trail (sessions include: {', '.join(known[:5])})")
    ses = df[df["session_id"] == session_id_for(df, session_id)]  # several candidates: a UsageError naming them
    calls = tool_calls(ses).reset_index(drop=True)
    calls["summary"] = [describe(c) for c in calls.to_dict(orient="records")]
    calls["step"] = range(1, len(calls) + 1)
    # idle gap: since the previous step ended, or since it started if it is still running (a Task)
    prev_end, prev_start = calls["end"].shift(), calls["start"].shift()
    mark = prev_end.where(prev_end.notna() & (prev_end <= calls["start"]), prev_start)
    calls["gap_ms"] = ((calls["start"] - mark).dt.total_seconds() * 1000).clip(lower=0)
    # nesting: a call inside a subagent belongs to the Task/Agent step that started that subagent: the one
    # whose result names the subagent (``agentId``, as a transcript's toolUseResult and newer hook
    # payloads' tool_response carry it); failing that, the Task step that was running when it started
    calls["depth"], calls["parent_step"] = 0, pd.array([pd.NA] * len(calls), dtype="Int64")
    tasks = calls[calls["tool"].isin(["Task", "Agent"])]
    started_by: dict[str, int] = {}
    for i in tasks.index:
        resp = calls.at[i, "response"]
        agent = resp.get("agentId") if isinstance(resp, dict) else None
        if isinstance(agent, str) and agent:
            started_by.setdefault(agent, i)
    parent: dict[int, int] = {}
    for i in calls.index[calls["agent_id"].notna()]:
        by_id = started_by.get(str(calls.at[i, "agent_id"]))
        if by_id is not None and by_id != i:
            parent[i] = by_id
            continue
        t0 = calls.at[i, "start"]
        running = tasks[(tasks["start"] <= t0) & ((tasks["end"] >= t0) | tasks["end"].isna()) & (tasks.index != i)]
        if not running.empty:
            parent[i] = running.index[-1]
    for i, p in parent.items():
        depth, up, seen = 1, p, {i}
        while up in parent and up not in seen and depth < 16:  # a subagent's subagent (a cycle: forged ids)
            seen.add(up)
            depth, up = depth + 1, parent[up]
        calls.at[i, "parent_step"] = int(calls.at[p, "step"])
        calls.at[i, "depth"] = depth
    # the user prompt each step answers: the latest prompt before it
    # (the main thread's prompts: a subagent's first message is its Task prompt, not the user's)
    asked = ses[(ses["event"] == "UserPromptSubmit") & ses["agent_id"].isna()]
    prompts = asked[["timestamp", "prompt"]].dropna(subset=["timestamp"])
    # text the system injected (a task notification) is context, whoever recorded it: not a prompt
    prompts = prompts[~prompts["prompt"].astype("object").map(_injected, na_action="ignore").fillna(False).astype(bool)]
    prompts = prompts.assign(prompt_no=range(1, len(prompts) + 1)).sort_values("timestamp")
    key = calls["start"].where(calls["start"].notna(), calls["end"])
    if not prompts.empty and key.notna().all():
        merged = pd.merge_asof(
            calls.assign(_k=key).sort_values("_k"), prompts, left_on="_k", right_on="timestamp", direction="backward"
        ).sort_values("step")
        calls["prompt"], calls["prompt_no"] = merged["prompt"].to_numpy(), merged["prompt_no"].to_numpy()
    else:
        calls["prompt"], calls["prompt_no"] = None, pd.NA
    calls["prompt_no"] = pd.array(calls["prompt_no"], dtype="Int64")
    out = calls[STEP_COLUMNS].reset_index(drop=True)
    out.attrs.update(
        session_id=session_id,
        user=ses["user"].dropna().iloc[0] if ses["user"].notna().any() else None,
        host=ses["host"].dropna().iloc[0] if ses["host"].notna().any() else None,
        prompts=prompts["prompt"].tolist(),
    )
    return out
