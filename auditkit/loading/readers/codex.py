"""OpenAI Codex CLI rollout files (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``, ``archived_sessions/``).

Newer versions wrap each line as ``{"timestamp", "type", "payload"}`` (``session_meta``, ``turn_context``,
``response_item``, ``event_msg``); older ones write a first ``{"id", "timestamp", "instructions"}``
line and then the response items bare. Either way this reader gives the rows a hook would have:

- ``function_call`` / ``custom_tool_call`` -> PreToolUse (tool name kept; a shell's argv, ``command`` of
  ``shell`` or ``cmd`` of ``exec_command``, joined into ``command``);
- ``function_call_output`` / ``custom_tool_call_output`` and ``exec_command_end`` -> PostToolUse, or
  PostToolUseFailure when the exit code is not 0; paired on ``call_id``; ``duration_ms`` is the
  execution time (``exec_command_end``'s ``duration``, the process's lifetime, or the output's
  metadata), else from the timestamps; the call's end is stamped when its output came back (the
  ``function_call_output``), so ``tool_calls()``'s ``wall_ms`` is the time until the output came back;
- ``web_search_call`` -> a PreToolUse and PostToolUse of tool ``web_search`` (query in ``pattern``);
- the user's messages -> UserPromptSubmit;
- ``token_count`` events -> one ``assistant_message`` row per request: they repeat and their totals are
  cumulative, so a request is counted when the cumulative total grows; cached tokens are inside
  input, so they are moved to ``cache_read_tokens``.
"""

from __future__ import annotations

import json
import shlex

from auditkit.loading.readers.targets import targets
from auditkit.loading.readers.transcript import ms_between
from auditkit.trail import format as tf

NAME = "codex"
AGENT = "codex"
_WRAPPED = frozenset({"session_meta", "turn_context", "response_item", "event_msg", "compacted"})
_ITEMS = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "reasoning",
        "local_shell_call",
        "web_search_call",
    }
)
_SHELLS = frozenset({"shell", "container.exec", "local_shell", "exec_command", "shell_command"})


def matches(obj: dict) -> bool:
    kind = obj.get("type")
    if kind in _WRAPPED and "payload" in obj:
        return True
    if (
        kind in _ITEMS
        and ("call_id" in obj or "role" in obj or kind in ("reasoning", "web_search_call"))
        and "uuid" not in obj
    ):
        return True
    if "record_type" in obj and len(obj) == 1:
        return True  # an older rollout's state marker: carries nothing
    return "instructions" in obj and "id" in obj and "type" not in obj  # an older rollout's first line


def _command(name: str, args: object) -> str | None:
    if not isinstance(args, dict) or name not in _SHELLS:
        return None
    cmd = args.get("command", args.get("cmd"))
    if isinstance(cmd, list) and all(isinstance(c, str) for c in cmd):
        if len(cmd) == 3 and cmd[0] in ("bash", "sh", "zsh") and cmd[1] in ("-lc", "-c"):
            return cmd[2]
        return shlex.join(cmd)
    return cmd if isinstance(cmd, str) else None


def _arguments(text: object) -> object:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return {"arguments": text}


def _ms(a: object, b: object) -> float | None:
    return ms_between(a, b)


def rows(obj: dict, ctx: dict) -> list[dict]:
    state = ctx.setdefault("codex", {"calls": {}, "total": -1})
    ts = obj.get("timestamp")
    if "record_type" in obj and "type" not in obj:
        return []
    if "instructions" in obj and "type" not in obj:  # older rollout: the session's first line, the only time
        state["session"], state["last_ts"] = obj.get("id"), ts
        return []
    kind, item = (obj["type"], obj.get("payload")) if obj.get("type") in _WRAPPED else ("response_item", obj)
    item = item if isinstance(item, dict) else {}
    base = {
        "timestamp": ts or state.get("last_ts"),
        "session_id": state.get("session"),
        "cwd": state.get("cwd"),
        "agent": AGENT,
        "model": state.get("model"),
    }
    state["last_ts"] = ts or state.get("last_ts")
    if kind == "session_meta":
        state["session"], state["cwd"] = item.get("id"), item.get("cwd")
        return []
    if kind == "turn_context":
        state["model"] = item.get("model") or state.get("model")
        state["cwd"] = item.get("cwd") or state.get("cwd")
        return []
    if kind == "event_msg":
        return _event(item, base, state)
    if kind != "response_item":
        return []
    t = item.get("type")
    if t in ("function_call", "custom_tool_call"):
        name = str(item.get("name"))
        args = _arguments(item.get("arguments")) if t == "function_call" else {"input": item.get("input")}
        call_id = item.get("call_id")
        state["calls"][call_id] = (name, ts)
        command = _command(name, args)
        file_path, _, url, pattern = targets(name, args)
        return [
            {
                **base,
                "event": "PreToolUse",
                "status": tf.STATUS_STARTED,
                "tool": name,
                "tool_use_id": call_id,
                "input": args,
                "command": command,
                "file_path": file_path,
                "url": url,
                "pattern": pattern,
                "event_id": f"codex:{call_id}:pre",
            }
        ]
    if t in ("function_call_output", "custom_tool_call_output"):
        out = item.get("output")
        parsed = _arguments(out) if isinstance(out, str) and out.startswith("{") else out
        meta = parsed.get("metadata") if isinstance(parsed, dict) else None
        exit_code = meta.get("exit_code") if isinstance(meta, dict) else None
        seconds = meta.get("duration_seconds") if isinstance(meta, dict) else None
        return [_end(item.get("call_id"), parsed, exit_code, seconds, base, state, output=True)]
    if t == "web_search_call":
        return _web_search(item, base, state)
    if t == "message" and item.get("role") == "user":
        text = "\n".join(c.get("text", "") for c in item.get("content") or [] if isinstance(c, dict))
        if text.strip() and not text.lstrip().startswith(("<environment_context>", "<user_instructions>")):
            return [
                {
                    **base,
                    "event": "UserPromptSubmit",
                    "status": tf.STATUS_INFO,
                    "prompt": text.strip(),
                    "data": {"prompt": text.strip()},
                }
            ]
    return []


def _web_search(item: dict, base: dict, state: dict) -> list[dict]:
    """A ``web_search_call`` item: a tool call Codex ran on the server side, as a PreToolUse and its end
    (one item, one time: no duration). Its id is the item's, else the session's n-th search."""
    state["searches"] = n = state.get("searches", 0) + 1
    call_id = item.get("id") or item.get("call_id") or f"web_search:{base['session_id']}:{n}"
    action = action_raw if isinstance(action_raw := item.get("action"), dict) else {}
    query = action.get("query") if isinstance(action.get("query"), str) else None
    status = str(item.get("status") or "completed").lower()
    failed = status in ("failed", "error", "incomplete")
    call = {**base, "tool": "web_search", "tool_use_id": call_id, "input": action or None, "pattern": query}
    return [
        {**call, "event": "PreToolUse", "status": tf.STATUS_STARTED, "event_id": f"codex:{call_id}:pre"},
        {
            **call,
            "event": "PostToolUseFailure" if failed else "PostToolUse",
            "status": tf.STATUS_ERROR if failed else tf.STATUS_OK,
            "response": {"status": status},
            "error": f"web search {status}" if failed else None,
            "event_id": f"codex:{call_id}:post",
        },
    ]


def _event(item: dict, base: dict, state: dict) -> list[dict]:
    t = item.get("type")
    if t == "exec_command_end":
        duration = item.get("duration")
        seconds = duration.get("secs", 0) + duration.get("nanos", 0) / 1e9 if isinstance(duration, dict) else None
        response = {
            "stdout": item.get("stdout"),
            "stderr": item.get("stderr"),
            "aggregated_output": item.get("aggregated_output"),
            "exit_code": item.get("exit_code"),
        }
        return [_end(item.get("call_id"), response, item.get("exit_code"), seconds, base, state)]
    if t == "token_count":
        info = info_raw if isinstance(info_raw := item.get("info"), dict) else {}
        total = (info.get("total_token_usage") or {}).get("total_tokens")
        last = info.get("last_token_usage") or {}
        if not isinstance(total, int) or total <= state["total"]:
            return []  # the same count repeated: the request was counted already
        state["total"] = total
        cached = int(last.get("cached_input_tokens") or 0)
        return [
            {
                **base,
                "event": "assistant_message",
                "status": tf.STATUS_INFO,
                "input_tokens": max(0, int(last.get("input_tokens") or 0) - cached),
                "output_tokens": int(last.get("output_tokens") or 0),
                "cache_read_tokens": cached,
                "cache_creation_tokens": 0,
                "message_id": f"codex:{base['session_id']}:{total}",
                "event_id": f"codex:{base['session_id']}:tokens:{total}",
            }
        ]
    return []


def _end(
    call_id: object,
    response: object,
    exit_code: object,
    seconds: object,
    base: dict,
    state: dict,
    output: bool = False,
) -> dict:
    """A call's end. Newer versions end a shell call twice (exec_command_end and function_call_output, in
    either order: a long command's output can come back before its process ends): both rows share an
    event id and load() keeps the last, so each carries what either one knew, and is stamped with the
    time the output came back once it has."""
    known = state.setdefault("ends", {}).setdefault(call_id, {})
    if output and base["timestamp"]:
        known["output_ts"] = base["timestamp"]
    base = {**base, "timestamp": known.get("output_ts") or base["timestamp"]}
    exit_code = exit_code if exit_code is not None else known.get("exit_code")
    seconds = seconds if seconds is not None else known.get("seconds")
    known.update(exit_code=exit_code, seconds=seconds)
    name, started = state["calls"].get(call_id, (None, None))
    failed = isinstance(exit_code, int) and exit_code != 0
    duration = round(seconds * 1000, 3) if isinstance(seconds, int | float) else _ms(started, base["timestamp"])
    return {
        **base,
        "event": "PostToolUseFailure" if failed else "PostToolUse",
        "status": tf.STATUS_ERROR if failed else tf.STATUS_OK,
        "tool": name,
        "tool_use_id": call_id,
        "response": response,
        "duration_ms": duration,
        "error": f"exit code {exit_code}" if failed else None,
        "event_id": f"codex:{call_id}:post",
    }
