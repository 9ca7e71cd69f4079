"""auditkit's own trail, format v1 (see docs/trail-format.md)."""

from __future__ import annotations

from auditkit import trail_format as tf
from auditkit.sources.targets import targets

NAME = "auditkit"


def matches(obj: dict) -> bool:
    return "v" in obj and "seq" in obj and "hash" in obj


def rows(obj: dict, ctx: dict) -> list[dict]:
    if obj.get("v") != tf.SCHEMA_VERSION:
        raise ValueError(f"trail format version {obj.get('v')!r} is not supported (this auditkit reads v1)")
    event = obj.get("event")
    if event == tf.TRAIL_START:
        data = obj.get("data") or {}
        ctx["trail_id"] = data.get("trail_id")
    tool = obj.get("tool_name")
    tool_input = obj.get("tool_input")
    file_path, command, url, pattern = targets(tool, tool_input)
    data = obj.get("data")
    trail_id = ctx.get("trail_id")
    return [
        {
            "timestamp": obj.get("ts"),
            "event": event,
            "status": obj.get("status"),
            "tool": tool,
            "session_id": obj.get("session_id"),
            "tool_use_id": obj.get("tool_use_id"),
            "duration_ms": obj.get("duration_ms"),
            "file_path": file_path,
            "command": command,
            "url": url,
            "pattern": pattern,
            "prompt": data.get("prompt") if isinstance(data, dict) else None,
            "input": tool_input,
            "response": obj.get("tool_response"),
            "error": obj.get("error"),
            "cwd": obj.get("cwd"),
            "transcript_path": obj.get("transcript_path"),
            "permission_mode": obj.get("permission_mode"),
            "user": obj.get("user"),
            "host": obj.get("host"),
            "agent": obj.get("agent"),
            "agent_id": obj.get("agent_id"),
            "agent_type": obj.get("agent_type"),
            "redactions": obj.get("redactions"),
            "truncated": obj.get("truncated") or [],
            "data": data,
            "seq": obj.get("seq"),
            "trail_id": trail_id,
            "hash": obj.get("hash"),
            "event_id": f"{trail_id}:{obj.get('seq')}" if trail_id else obj.get("hash"),
        }
    ]
