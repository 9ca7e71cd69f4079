"""Claude Code session transcripts (``~/.claude/projects/<project>/<session>.jsonl``).

Each line is one record of the conversation. This reader turns them into the same events the hook
records, so one frame holds both (a PostToolUse row carries its tool and duration, as a hook trail's does):

- an assistant line's ``tool_use`` blocks -> ``PreToolUse`` rows (tool, input, id, time);
- a user line's ``tool_result`` blocks -> ``PostToolUse`` / ``PostToolUseFailure`` rows (the
  structured ``toolUseResult`` as the response, ``is_error`` and interruptions as the status);
- a user line with plain text -> ``UserPromptSubmit``: what the user typed, a slash command as typed
  (``/name:command args``); not what the system injected (task notifications, reminders, command
  output, interruption notices: :data:`CONTEXT_MARKS`);
- each assistant line -> one ``assistant_message`` row with the model and token usage. Claude Code
  writes one line per content block and repeats the message's usage on each, and a resumed session
  copies earlier messages again: these rows share an ``event_id`` built from the message id and
  request id, so ``load()`` keeps one of them (the last, with the final figures); its ``data["text"]``
  holds the message's text blocks, gathered from the lines before it.

Calls inside a subagent carry its ``agent_id`` (the ``agentId`` of newer versions' separate
``agent-*.jsonl`` files, or ``sidechain`` for older versions' inline sidechains).
"""

from __future__ import annotations

from auditkit.loading.readers.targets import targets
from auditkit.trail import format as tf

NAME = "transcript"
#: Line types that carry events for the frame.
TYPES = frozenset({"user", "assistant", "progress"})
#: Line types Claude Code writes that carry nothing for the frame: skipped quietly, counted in ``df.attrs``.
QUIET = frozenset(
    {"system", "summary", "file-history-snapshot", "queue-operation", "turn_end", "attachment", "last-prompt",
     "custom-title", "pr-link", "tag", "agent-name"}
)  # fmt: skip
#: ``progress`` lines carry ``data.type``: only ``agent_progress`` holds anything (a subagent's message).
_INTERRUPTED = ("[Request interrupted by user", "The user doesn't want to proceed with this tool use")
#: Text Claude Code puts in a user message that the user did not type: context, not a prompt (a background
#: task's notice, a reminder, a command's output, the caveat before it, an interruption notice).
CONTEXT_MARKS = (
    "[Request interrupted by user",
    "<task-notification>",
    "<system-reminder>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<user-prompt-submit-hook>",
    "<command-stdout>",
    "Caveat: ",
)
_TAG = r"<{0}>(.*?)</{0}>"


def prompt_of(text: str) -> str | None:
    """What the user asked in a user message's text: the text itself, a slash command as the user typed
    it (``/review:pr 12`` from the ``<command-name>`` and ``<command-args>`` wrappers), or None for
    text the system injected (:data:`CONTEXT_MARKS`)."""
    import re

    text = text.strip()
    if "<command-name>" in text[:2000]:
        name = re.search(_TAG.format("command-name"), text, re.S)
        args = re.search(_TAG.format("command-args"), text, re.S)
        if name:
            return " ".join(p for p in (name.group(1).strip(), args.group(1).strip() if args else "") if p) or None
    if not text or text.startswith(CONTEXT_MARKS) or text.startswith("<command-message>"):
        return None
    return text


def _text_so_far(ctx: dict, mid: object, now: str) -> str:
    """A message's text blocks up to this line (Claude Code writes a line per block; load() keeps the last)."""
    texts = ctx.setdefault("texts", {})
    key = mid if isinstance(mid, str) else None  # a forged id may be an object: no key then, never a crash
    before = texts.get(key) if key else None
    said = before if before and now and before.endswith(now) else "\n\n".join(t for t in (before, now) if t)
    if key and said:
        texts[key] = said
    return said


def matches(obj: dict) -> bool:
    """A transcript line: a string ``type`` and the ids every transcript line has (known type or not)."""
    kind = obj.get("type")
    return (
        isinstance(kind, str)
        and (kind in TYPES or kind in QUIET or "sessionId" in obj or "uuid" in obj or "leafUuid" in obj)
        and "hook_event_name" not in obj
    )


def _skip(ctx: dict, what: str) -> list[dict]:
    skipped = ctx.setdefault("skipped", {})
    skipped[what] = skipped.get(what, 0) + 1
    return []


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _common(obj: dict) -> dict:
    agent = obj.get("agentId") or ("sidechain" if obj.get("isSidechain") else None)
    mode = obj.get("permissionMode")
    return {
        "timestamp": obj.get("timestamp"),
        "session_id": obj.get("sessionId"),
        "cwd": obj.get("cwd"),
        "agent": tf.AGENT,
        "agent_id": agent,
        "permission_mode": mode if isinstance(mode, str) else None,
    }


def _progress(obj: dict, ctx: dict) -> list[dict]:
    """An ``agent_progress`` line: the subagent's message it embeds, as that subagent's own rows.

    Its usage is counted once with the same message in the subagent's own file (the rows share an
    ``event_id``); when that file is missing, this is the only record of the subagent's API calls.
    """
    data = got if isinstance(got := obj.get("data"), dict) else {}
    inner = data.get("message")
    if data.get("type") != "agent_progress" or not isinstance(inner, dict) or inner.get("type") not in TYPES:
        return _skip(ctx, f"progress:{data.get('type')}")
    record = {**inner, "isMeta": True,  # its text is the subagent's prompt or results, never the user's prompt
              "sessionId": inner.get("sessionId") or obj.get("sessionId"),
              "timestamp": inner.get("timestamp") or obj.get("timestamp"),
              "agentId": data.get("agentId") or inner.get("agentId") or "subagent", "cwd": obj.get("cwd")}  # fmt: skip
    return rows(record, ctx)


def rows(obj: dict, ctx: dict) -> list[dict]:
    kind = obj.get("type")
    if kind not in TYPES:
        return _skip(ctx, kind if kind in QUIET else f"unknown:{kind}")
    if kind == "progress":
        return _progress(obj, ctx)
    msg = got if isinstance(got := obj.get("message"), dict) else {}
    content = msg.get("content")
    out: list[dict] = []
    started = ctx.setdefault("tool_uses", {})  # tool_use_id -> (tool, start time), to complete the Post rows
    if kind == "assistant":
        base = _common(obj)
        usage = got if isinstance(got := msg.get("usage"), dict) else {}
        caching = got if isinstance(got := usage.get("cache_creation"), dict) else {}
        mid, rid = msg.get("id"), obj.get("requestId")
        # the message's text so far: Claude Code writes one line per content block, and load() keeps the last
        # line of a message, so each line carries the text of the blocks before it too (the conversation view)
        said = _text_so_far(ctx, mid, _text(content))
        out.append(
            {
                **base,
                "event": "assistant_message",
                "status": tf.STATUS_INFO,
                "model": msg.get("model"),
                "message_id": mid,
                "request_id": rid,
                "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens"),
                "cache_creation_tokens": usage.get("cache_creation_input_tokens"),
                "cache_creation_1h_tokens": caching.get("ephemeral_1h_input_tokens"),
                "cache_read_tokens": usage.get("cache_read_input_tokens"),
                "data": {"version": obj.get("version"), "uuid": obj.get("uuid"), **({"text": said} if said else {})},
                "event_id": f"msg:{mid}" if mid else f"uuid:{obj.get('uuid')}",
            }
        )
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                tool, inp = block.get("name"), block.get("input")
                started[block.get("id")] = (tool, obj.get("timestamp"))
                file_path, command, url, pattern = targets(tool, inp)
                out.append(
                    {
                        **base,
                        "event": "PreToolUse",
                        "status": tf.STATUS_STARTED,
                        "tool": tool,
                        "tool_use_id": block.get("id"),
                        "input": inp,
                        "file_path": file_path,
                        "command": command,
                        "url": url,
                        "pattern": pattern,
                        "model": msg.get("model"),
                        "event_id": f"tool:{block.get('id')}:pre",
                    }
                )
    elif kind == "user":
        base = _common(obj)
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        for block in results:
            text = _text(block.get("content"))
            failed = bool(block.get("is_error"))
            interrupted = failed and text.startswith(_INTERRUPTED)
            structured = obj.get("toolUseResult") if len(results) == 1 else None
            response = structured if structured is not None and not failed else block.get("content")
            tool, start = started.get(block.get("tool_use_id"), (None, None))
            out.append(
                {
                    **base,
                    "tool": tool,
                    "duration_ms": ms_between(start, obj.get("timestamp")),
                    "event": "PostToolUseFailure" if failed else "PostToolUse",
                    "status": tf.STATUS_INTERRUPTED if interrupted else tf.STATUS_ERROR if failed else tf.STATUS_OK,
                    "tool_use_id": block.get("tool_use_id"),
                    "response": response,
                    "error": text if failed else None,
                    "event_id": f"tool:{block.get('tool_use_id')}:post",
                }
            )
        if obj.get("isCompactSummary"):
            return _skip(ctx, "compact_summary")  # the summary written after a compaction: not a prompt
        if not results and not obj.get("isMeta"):
            prompt = prompt_of(_text(content))
            if prompt:
                out.append(
                    {
                        **base,
                        "event": "UserPromptSubmit",
                        "status": tf.STATUS_INFO,
                        "prompt": prompt,
                        "event_id": f"uuid:{obj.get('uuid')}",
                    }
                )
    return out


def ms_between(start: object, end: object) -> float | None:
    """Milliseconds from one ISO time to another (None when either is missing or unreadable)."""
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    from datetime import datetime

    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round((b - a).total_seconds() * 1000, 3)
