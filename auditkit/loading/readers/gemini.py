"""Gemini CLI sessions (``~/.gemini/tmp/<project hash>/chats/session-*.json``, newer versions JSON Lines).

A session file is one JSON document ``{sessionId, projectHash, startTime, lastUpdated, messages: [...]}``
(``auditkit.store.files`` hands its messages over one by one, each with the session's id and project
hash), or JSON Lines with that header first and a message per line. Each message becomes rows a hook
would have written: ``user`` -> UserPromptSubmit; ``gemini`` -> an ``assistant_message`` with the model
and its tokens (cached tokens are inside input: moved to ``cache_read_tokens``; thoughts are output),
and each of its ``toolCalls`` -> PreToolUse and PostToolUse (or PostToolUseFailure) with the result
and status; ``error`` -> an error row.
"""

from __future__ import annotations

from auditkit.loading.readers.targets import targets
from auditkit.trail import format as tf

NAME = "gemini"
AGENT = "gemini"
_TYPES = frozenset({"user", "gemini", "error", "info"})


def matches(obj: dict) -> bool:
    if "projectHash" in obj:
        return True
    kind = obj.get("type")
    return kind == "gemini" or (
        kind in _TYPES and "id" in obj and "content" in obj and "uuid" not in obj and "message" not in obj
    )


def rows(obj: dict, ctx: dict) -> list[dict]:
    if "messages" in obj or ("projectHash" in obj and "type" not in obj):  # the session's header
        ctx["gemini_session"] = obj.get("sessionId")
        return []
    session = obj.get("sessionId") or ctx.get("gemini_session")
    base = {"timestamp": obj.get("timestamp"), "session_id": session, "agent": AGENT, "model": obj.get("model")}
    kind = obj.get("type")
    content = obj.get("content")
    text = (
        content
        if isinstance(content, str)
        else " ".join(p.get("text", "") for p in content or [] if isinstance(p, dict))
        if isinstance(content, list)
        else ""
    )
    mid = obj.get("id")
    if kind == "user":
        return [
            {
                **base,
                "event": "UserPromptSubmit",
                "status": tf.STATUS_INFO,
                "prompt": text,
                "data": {"prompt": text},
                "event_id": f"gemini:{session}:{mid}",
            }
        ]
    if kind == "error":
        return [
            {
                **base,
                "event": "gemini_error",
                "status": tf.STATUS_ERROR,
                "error": text,
                "event_id": f"gemini:{session}:{mid}",
            }
        ]
    if kind != "gemini":
        return []
    tokens = tokens_raw if isinstance(tokens_raw := obj.get("tokens"), dict) else {}
    cached = int(tokens.get("cached") or 0)
    out = [
        {
            **base,
            "event": "assistant_message",
            "status": tf.STATUS_INFO,
            "message_id": f"gemini:{mid}",
            "input_tokens": max(0, int(tokens.get("input") or 0) - cached),
            "output_tokens": int(tokens.get("output") or 0) + int(tokens.get("thoughts") or 0),
            "cache_read_tokens": cached,
            "cache_creation_tokens": 0,
            "event_id": f"gemini:{session}:{mid}",
        }
    ]
    for call in obj.get("toolCalls") or []:
        if not isinstance(call, dict):
            continue
        name, args, cid = call.get("name"), call.get("args"), call.get("id")
        file_path, command, url, pattern = targets(name, args)
        if command is None and isinstance(args, dict) and isinstance(args.get("command"), str):
            command = args["command"]  # run_shell_command
        status = str(call.get("status") or "success").lower()
        failed = status in ("error", "cancelled", "canceled")
        started = call.get("timestamp") or obj.get("timestamp")
        common = {
            **base,
            "tool": name,
            "tool_use_id": cid,
            "input": args,
            "file_path": file_path,
            "command": command,
            "url": url,
            "pattern": pattern,
        }
        out.append(
            {
                **common,
                "timestamp": started,
                "event": "PreToolUse",
                "status": tf.STATUS_STARTED,
                "event_id": f"gemini:{cid}:pre",
            }
        )
        out.append(
            {
                **common,
                "event": "PostToolUseFailure" if failed else "PostToolUse",
                "status": (tf.STATUS_INTERRUPTED if status.startswith("cancel") else tf.STATUS_ERROR)
                if failed
                else tf.STATUS_OK,
                "response": call.get("result"),
                "error": str(call.get("resultDisplay") or status) if failed else None,
                "event_id": f"gemini:{cid}:post",
            }
        )
    return out
