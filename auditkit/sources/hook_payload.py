"""Raw Claude Code hook payloads, as simple hooks dump them (``jq -c . >> log``).

They carry no time of their own; a ``timestamp``/``ts``/``time`` member added by a wrapper is used.
"""

from __future__ import annotations

from auditkit import trail_format as tf
from auditkit.sources.targets import targets

NAME = "hook_payload"
_TIME_KEYS = ("timestamp", "ts", "time")


def matches(obj: dict) -> bool:
    return isinstance(obj.get("hook_event_name"), str)


def rows(obj: dict, ctx: dict) -> list[dict]:
    fields = tf.fields_from_payload(obj)
    data = fields.get("data") or {}
    stamp = next((data.pop(k) for k in _TIME_KEYS if isinstance(data.get(k), str)), None)
    tool = fields.get("tool_name")
    tool_input = fields.get("tool_input")
    file_path, command, url, pattern = targets(tool, tool_input)
    return [
        {
            "timestamp": stamp,
            "event": fields["event"],
            "status": fields["status"],
            "tool": tool,
            "session_id": fields.get("session_id"),
            "tool_use_id": fields.get("tool_use_id"),
            "file_path": file_path,
            "command": command,
            "url": url,
            "pattern": pattern,
            "prompt": data.get("prompt") if isinstance(data.get("prompt"), str) else None,
            "input": tool_input,
            "response": fields.get("tool_response"),
            "error": fields.get("error"),
            "cwd": fields.get("cwd"),
            "transcript_path": fields.get("transcript_path"),
            "permission_mode": fields.get("permission_mode"),
            "agent": tf.AGENT,
            "agent_id": fields.get("agent_id"),
            "agent_type": fields.get("agent_type"),
            "data": data or None,
        }
    ]
