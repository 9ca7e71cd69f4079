"""Trail records as Elastic Common Schema documents (ECS 9.0; ``gen_ai.*`` as ECS defines it, beta).

``docs/elastic-ecs-template.json`` is the index template for them (``PUT _index_template/auditkit-ecs``);
its mapping is ``dynamic: strict`` and a test holds it to exactly the fields sent here. What ECS has no
field for stays under ``auditkit.*`` (the session, the chain's seq and hash, the tool's input and
response as ``flattened``).
"""

from __future__ import annotations

import json

from auditkit.outbound.schemas.ocsf import FILE_TOOLS, SHELL_TOOLS, WEB_TOOLS

VERSION = "9.0.0"
_OUTCOME = {"ok": "success", "error": "failure", "interrupted": "failure", "denied": "failure"}
_FILE_TYPE = {"Read": "access", "Write": "creation", "Edit": "change", "MultiEdit": "change", "NotebookEdit": "change"}


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _category(rec: dict) -> tuple[str, list[str], list[str]]:
    """(event.kind, event.category, event.type)."""
    event, tool = rec.get("event"), rec.get("tool_name")
    failed = rec.get("status") in ("error", "interrupted", "denied")
    if event == "detection":
        return "alert", ["intrusion_detection"], ["info"]
    if event in ("PermissionRequest", "PermissionDenied"):
        return "event", ["iam"], ["info"]  # a denial says so in event.outcome (failure)
    if event == "ConfigChange":
        return "event", ["configuration"], ["change"]
    if event in ("SessionStart", "SessionEnd"):
        return "event", ["session"], ["start" if event == "SessionStart" else "end"]
    if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure") and isinstance(tool, str):
        if tool in SHELL_TOOLS:
            return "event", ["process"], ["start" if event == "PreToolUse" else "end"]
        if tool in FILE_TOOLS:
            return "event", ["file"], [_FILE_TYPE[tool]]
        if tool in WEB_TOOLS:
            return "event", ["web"], ["access"]
        return "event", ["api"], ["error" if failed else "info"]
    return "event", ["host"], ["info"]


def document(
    rec: dict, event_id: str, trail_id: str, raw: bytes | None = None, *, truncated: dict | None = None
) -> dict:
    """One record (trail field names) as an ECS document; ``raw`` is kept as ``event.original``."""
    kind, category, types = _category(rec)
    given = rec.get("tool_input")
    tin: dict = given if isinstance(given, dict) else {}
    action = str(rec.get("event"))
    if rec.get("tool_name"):
        action += f":{rec['tool_name']}"
    ev: dict = {"kind": kind, "category": category, "type": types, "action": action, "id": event_id}
    ev["outcome"] = (
        "failure" if rec.get("event") == "PermissionDenied" else _OUTCOME.get(str(rec.get("status")), "unknown")
    )
    ev["dataset"] = "auditkit.trail"
    ev["module"] = "auditkit"
    if isinstance(rec.get("duration_ms"), (int, float)):
        ev["duration"] = int(rec["duration_ms"] * 1_000_000)  # nanoseconds
    if isinstance(rec.get("seq"), int):
        ev["sequence"] = rec["seq"]
    if rec.get("hash"):
        ev["hash"] = str(rec["hash"])
    if raw is not None:
        ev["original"] = raw.decode("utf-8", "replace").rstrip("\n")
    doc: dict = {"@timestamp": rec.get("ts"), "ecs": {"version": VERSION}, "event": ev}
    if rec.get("user"):
        doc["user"] = {"name": str(rec["user"])}
    if rec.get("host"):
        doc["host"] = {"name": str(rec["host"])}
    tool = rec.get("tool_name")
    if tool in SHELL_TOOLS:
        command = tin.get("command") or rec.get("command")
        doc["process"] = {"name": "bash"}
        if command is not None:
            doc["process"]["command_line"] = _text(command)
        if rec.get("cwd"):
            doc["process"]["working_directory"] = str(rec["cwd"])
    elif tool in FILE_TOOLS:
        path = tin.get("file_path") or tin.get("notebook_path") or rec.get("file_path")
        if isinstance(path, str):
            doc["file"] = {"path": path}
    url = tin.get("url") or rec.get("url")
    if isinstance(url, str):
        doc["url"] = {"full": url}
    gen_ai: dict = {"system": "anthropic", "agent": {"name": str(rec.get("agent") or "claude-code")}}
    if rec.get("agent_id"):
        gen_ai["agent"]["id"] = str(rec["agent_id"])
    if tool:
        gen_ai["operation"] = {"name": "execute_tool"}
    if rec.get("model"):
        gen_ai["request"] = {"model": {"id": str(rec["model"])}}
    usage = {k: rec[f"{k}_tokens"] for k in ("input", "output") if isinstance(rec.get(f"{k}_tokens"), int)}
    if usage:
        gen_ai["usage"] = {f"{k}_tokens": v for k, v in usage.items()}
    doc["gen_ai"] = gen_ai
    kit: dict = {"trail_id": trail_id}
    for key in ("session_id", "tool_use_id", "prompt_id", "permission_mode", "agent_type", "transcript_path"):
        if rec.get(key):
            kit[key] = str(rec[key])
    if tool:
        kit["tool"] = str(tool)
    if rec.get("cwd"):
        kit["cwd"] = str(rec["cwd"])
    for key, name in (("tool_input", "input"), ("tool_response", "response"), ("data", "data")):
        value = rec.get(key)
        if isinstance(value, dict) and value:
            kit[name] = value
        elif value is not None and not isinstance(value, dict):
            kit[name] = {"value": _text(value)}
    if rec.get("error"):
        kit["error"] = _text(rec["error"])
    if truncated is not None:
        kit["truncated"] = truncated
    doc["auditkit"] = kit
    return doc
