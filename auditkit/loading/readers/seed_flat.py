"""The seed article's flat format: one completed call per line.

``{"timestamp", "toolName", "input", "output", "executionTimeMs", "error", "errorMessage", "status"}``.
It has no session, no call id and no Pre/Post split: each line is one finished call.
"""

from __future__ import annotations

from auditkit.loading.readers.targets import targets
from auditkit.trail import format as tf

NAME = "seed"

#: The article's tool names, as Claude Code names the same tools.
TOOL_NAMES = {
    "readFile": "Read",
    "writeFile": "Write",
    "editFile": "Edit",
    "bash": "Bash",
    "glob": "Glob",
    "grep": "Grep",
    "webFetch": "WebFetch",
}


def matches(obj: dict) -> bool:
    return "toolName" in obj


def rows(obj: dict, ctx: dict) -> list[dict]:
    tool = obj.get("toolName")
    tool = TOOL_NAMES.get(tool, tool) if isinstance(tool, str) else None
    failed = bool(obj.get("error")) or str(obj.get("status", "")).upper() == "FAILED"
    tool_input = obj.get("input")
    file_path, command, url, pattern = targets(tool, tool_input)
    known = {"timestamp", "toolName", "input", "output", "executionTimeMs", "error", "errorMessage", "status"}
    extra = {k: v for k, v in obj.items() if k not in known}
    duration = obj.get("executionTimeMs")
    return [
        {
            "timestamp": obj.get("timestamp"),
            "event": "PostToolUseFailure" if failed else "PostToolUse",
            "status": tf.STATUS_ERROR if failed else tf.STATUS_OK,
            "tool": tool,
            "duration_ms": duration if isinstance(duration, (int, float)) else None,
            "file_path": file_path,
            "command": command,
            "url": url,
            "pattern": pattern,
            "input": tool_input,
            "response": obj.get("output"),
            "error": obj.get("errorMessage") if failed else None,
            "data": extra or None,
        }
    ]
