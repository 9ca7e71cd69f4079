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


def columns(objs: list[dict]) -> dict[str, list]:
    """Many records at once, column by column (the fast path ``load()`` takes for this format).

    Each ``obj`` carries ``_line``, ``_trail`` and ``_file`` (added by the reader). Same result as
    :func:`rows` on each, without building a dict per row.
    """

    def col(key: str) -> list:
        return [o.get(key) for o in objs]

    inputs = col("tool_input")
    datas = col("data")
    trails = [o["_trail"] for o in objs]
    seqs = col("seq")
    tools = col("tool_name")
    out = {
        "timestamp": col("ts"),
        "event": col("event"),
        "status": col("status"),
        "tool": tools,
        "session_id": col("session_id"),
        "tool_use_id": col("tool_use_id"),
        "duration_ms": col("duration_ms"),
        "prompt": [d.get("prompt") if type(d) is dict else None for d in datas],
        "input": inputs,
        "response": col("tool_response"),
        "error": col("error"),
        "cwd": col("cwd"),
        "transcript_path": col("transcript_path"),
        "permission_mode": col("permission_mode"),
        "user": col("user"),
        "host": col("host"),
        "agent": col("agent"),
        "agent_id": col("agent_id"),
        "agent_type": col("agent_type"),
        "redactions": col("redactions"),
        "truncated": col("truncated"),
        "data": datas,
        "seq": seqs,
        "trail_id": trails,
        "hash": col("hash"),
        "event_id": [f"{t}:{q}" if t else h for t, q, h in zip(trails, seqs, col("hash"), strict=True)],
        "source_format": [NAME] * len(objs),
        "source_file": [o["_file"] for o in objs],
        "source_line": [o["_line"] for o in objs],
    }
    dicts = [i if type(i) is dict else None for i in inputs]
    path = [d.get("file_path") if d else None for d in dicts]
    out["file_path"] = [
        p if type(p) is str else (d.get("notebook_path") if d and type(d.get("notebook_path")) is str else None)
        for p, d in zip(path, dicts, strict=True)
    ]
    out["command"] = [c if type(c := (d.get("command") if d else None)) is str else None for d in dicts]
    out["url"] = [u if type(u := (d.get("url") if d else None)) is str else None for d in dicts]
    out["pattern"] = [
        p
        if type(p := (d.get("pattern") if d else None)) is str
        else (q if t == "WebSearch" and type(q := d.get("query") if d else None) is str else None)
        for d, t in zip(dicts, tools, strict=True)
    ]
    return out
