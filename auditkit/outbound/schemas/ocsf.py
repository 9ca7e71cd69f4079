"""Trail records as OCSF 1.5 events (https://schema.ocsf.io/1.5.0/), one class per kind of record.

- Bash: Process Activity (1007), PreToolUse a Launch, its PostToolUse(Failure) a Terminate; a call that
  never ran (denied) has no Terminate.
- Read, Write, Edit/MultiEdit/NotebookEdit: File System Activity (1001), Read, Create, Update.
- WebFetch, WebSearch (Read), ``mcp__*`` and every other tool (Other, ``activity_name`` the tool): API
  Activity (6003).
- PermissionRequest, PermissionDenied (a Failure), ConfigChange: Authorize Session (3003), Other.
- SessionStart/SessionEnd and SubagentStart/SubagentStop: Application Lifecycle (6002), Start/Stop; the
  other session events (prompts, Stop, compaction, notifications) the same class, Other.
- trail_start, set_aside, hook_error: Event Log Activity (1008), Start, Archive, Other.
- detection (``auditkit detect``'s alert trail): Detection Finding (2004), the alert as it was written.

Every event carries ``metadata`` (product auditkit with its version and the agent as its feature,
``uid`` = the record's event id, ``sequence`` = its seq, ``correlation_uid`` = the session), ``actor``
(OS user, session, agent as ``app_name``), ``device`` (host name) and the original record as
``raw_data`` (the exact line; the chain's hash can be checked against it). A record larger than the
receiver takes comes without ``raw_data``, with its size and SHA-256 under ``unmapped``.
"""

from __future__ import annotations

import json
from datetime import datetime

from auditkit._version import __version__

VERSION = "1.5.0"
FILE_TOOLS = {"Read": (2, "Read"), "Write": (1, "Create"), "Edit": (3, "Update"), "MultiEdit": (3, "Update"),
              "NotebookEdit": (3, "Update")}  # fmt: skip
WEB_TOOLS = ("WebFetch", "WebSearch")
SHELL_TOOLS = ("Bash",)
AUTHORIZATION_EVENTS = ("PermissionRequest", "PermissionDenied", "ConfigChange")
CLASSES = {
    1001: ("File System Activity", 1, "System Activity"),
    1007: ("Process Activity", 1, "System Activity"),
    1008: ("Event Log Activity", 1, "System Activity"),
    2004: ("Detection Finding", 2, "Findings"),
    3003: ("Authorize Session", 3, "Identity & Access Management"),
    6002: ("Application Lifecycle", 6, "Application Activity"),
    6003: ("API Activity", 6, "Application Activity"),
}
_STATUS = {"ok": (1, "Success"), "error": (2, "Failure"), "interrupted": (2, "Failure"), "denied": (2, "Failure")}


def time_ms(ts: object) -> int:
    """An ISO timestamp (the trail's ``ts``) as epoch milliseconds, OCSF's timestamp_t; 0 when unreadable."""
    if not isinstance(ts, str):
        return 0
    try:
        when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int(when.timestamp() * 1000)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _input(rec: dict) -> dict:
    value = rec.get("tool_input")
    return value if isinstance(value, dict) else {}


def classify(rec: dict) -> tuple[int, int, str]:
    """(class_uid, activity_id, activity_name) for a record."""
    event, tool = rec.get("event"), rec.get("tool_name")
    if event == "detection":
        return 2004, 1, "Create"
    if event in AUTHORIZATION_EVENTS:
        return 3003, 99, str(event)
    if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure") and isinstance(tool, str):
        started = event == "PreToolUse"
        if tool in SHELL_TOOLS:
            return (1007, 1, "Launch") if started else (1007, 2, "Terminate")
        if tool in FILE_TOOLS:
            return (1001, *FILE_TOOLS[tool])
        if tool in WEB_TOOLS:
            return 6003, 2, "Read"
        return 6003, 99, tool
    if event in ("SessionStart", "SubagentStart"):
        return 6002, 3, "Start"
    if event in ("SessionEnd", "SubagentStop"):
        return 6002, 4, "Stop"
    if event == "trail_start":
        return 1008, 6, "Start"
    if event == "set_aside":
        return 1008, 4, "Archive"
    if event == "hook_error":
        return 1008, 99, "Hook Error"
    return 6002, 99, str(event or "Unknown")


def event(rec: dict, event_id: str, raw: bytes | None = None, *, truncated: dict | None = None) -> dict:
    """One record (trail field names) as an OCSF event. ``raw`` is the exact line (kept as ``raw_data``);
    ``truncated`` ({bytes, sha256}) says the line was too large to send and is given in its place."""
    class_uid, activity_id, activity_name = classify(rec)
    class_name, category_uid, category_name = CLASSES[class_uid]
    agent = str(rec.get("agent") or "claude-code")
    session_id = rec.get("session_id")
    status_id, status = _STATUS.get(str(rec.get("status")), (0, "Unknown"))
    out: dict = {
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "time": time_ms(rec.get("ts")),
        "severity_id": 1,
        "severity": "Informational",
        "status_id": status_id,
        "status": status,
        "metadata": {
            "version": VERSION,
            "uid": event_id,
            "product": {
                "name": "auditkit",
                "vendor_name": "auditkit",
                "version": __version__,
                "feature": {"name": agent},
            },
            "log_name": "auditkit trail",
            "profiles": ["host"],  # actor and device, on every class (the host profile adds them where needed)
            "event_code": str(rec.get("event")),
            "original_time": _text(rec.get("ts")),
        },
    }
    if isinstance(rec.get("seq"), int):
        out["metadata"]["sequence"] = rec["seq"]
    if session_id:
        out["metadata"]["correlation_uid"] = str(session_id)
    user = {"name": str(rec["user"])} if rec.get("user") else {}
    actor: dict = {"app_name": agent}
    if user:
        actor["user"] = user
    if session_id:
        actor["session"] = {"uid": str(session_id)}
    if rec.get("agent_id"):
        actor["invoked_by"] = str(rec.get("agent_type") or rec["agent_id"])
    out["actor"] = actor
    out["device"] = {"type_id": 0, "type": "Unknown"}
    if rec.get("host"):
        out["device"]["hostname"] = str(rec["host"])
    if rec.get("error"):
        out["status_detail"] = _text(rec["error"])
    if isinstance(rec.get("duration_ms"), (int, float)):
        out["duration"] = int(rec["duration_ms"])
    tin = _input(rec)
    if class_uid == 1007:
        process = {"name": "bash", "cmd_line": _text(tin.get("command") or rec.get("command") or "")}
        if rec.get("cwd"):
            process["working_directory"] = str(rec["cwd"])
        if rec.get("tool_use_id"):
            process["uid"] = str(rec["tool_use_id"])
        out["process"] = process
        response = rec.get("tool_response")
        if activity_id == 2 and isinstance(response, dict) and isinstance(response.get("exit_code"), int):
            out["exit_code"] = response["exit_code"]
    elif class_uid == 1001:
        path = str(tin.get("file_path") or tin.get("notebook_path") or rec.get("file_path") or "")
        out["file"] = {"name": path.rsplit("/", 1)[-1] or path, "path": path, "type_id": 1, "type": "Regular File"}
    elif class_uid == 6003:
        tool = str(rec.get("tool_name"))
        api: dict = {"operation": tool}
        if tool.startswith("mcp__"):
            server = tool.split("__")[1] if tool.count("__") >= 2 else tool
            api["service"] = {"name": server}
        if rec.get("tool_use_id"):
            api["request"] = {"uid": str(rec["tool_use_id"])}
        if rec.get("error"):
            api["response"] = {"error": _text(rec["error"])[:1000]}  # type: ignore[index]
        out["api"] = api
        out["src_endpoint"] = {"hostname": str(rec["host"])} if rec.get("host") else {}
        url = tin.get("url") or rec.get("url")
        if isinstance(url, str):
            out["http_request"] = {"url": {"url_string": url}}
        elif isinstance(tin.get("query"), str):
            out["http_request"] = {"url": {"query_string": tin["query"]}}
    elif class_uid == 3003:
        out["user"] = user or {"name": "unknown"}
        if rec.get("event") == "PermissionDenied":
            out["status_id"], out["status"] = 2, "Failure"
        if rec.get("tool_name"):
            out["message"] = f"{rec.get('event')} for {rec.get('tool_name')}"
        if rec.get("permission_mode"):
            out.setdefault("unmapped", {})["permission_mode"] = rec["permission_mode"]
    elif class_uid == 6002:
        app = {"name": agent}
        if rec.get("event") in ("SubagentStart", "SubagentStop"):
            app = {"name": str(rec.get("agent_type") or "subagent"), "uid": str(rec.get("agent_id") or "")}
        elif session_id:
            app["uid"] = str(session_id)
        out["app"] = app
    elif class_uid == 2004:
        data = rec.get("data")
        finding: dict = data if isinstance(data, dict) else {}
        for key in ("finding_info", "evidences", "severity_id", "severity", "status_id", "status"):
            if key in finding:
                out[key] = finding[key]
        out.setdefault("finding_info", {"uid": event_id, "title": "detection"})
        info = out["finding_info"] = dict(out["finding_info"])
        tactics = [{"name": str(t)} for t in info.pop("tactics", None) or []]  # not a finding_info attribute
        if tactics:  # OCSF 1.5 carries ATT&CK tactics in each attack object
            attacks = [dict(a) for a in info.get("attacks") or [] if isinstance(a, dict)]
            info["attacks"] = [{**a, "tactics": tactics} for a in attacks] or [{"tactics": tactics}]
        if finding.get("time"):
            out["time"] = finding["time"]
    if raw is not None:
        out["raw_data"] = raw.decode("utf-8", "replace").rstrip("\n")
    if truncated is not None:
        out.setdefault("unmapped", {})["auditkit_truncated"] = truncated
    return out
