"""What a tool call points at: the file, command, URL or pattern, pulled out of its input."""

from __future__ import annotations

_PATH_KEYS = ("file_path", "notebook_path")


def targets(tool: object, tool_input: object) -> tuple[str | None, str | None, str | None, str | None]:
    """(file_path, command, url, pattern) of one call; None where the tool has no such thing."""
    if not isinstance(tool_input, dict):
        return None, None, None, None
    file_path = next((v for k in _PATH_KEYS if isinstance(v := tool_input.get(k), str)), None)
    command = tool_input.get("command") if isinstance(tool_input.get("command"), str) else None
    url = tool_input.get("url") if isinstance(tool_input.get("url"), str) else None
    pattern = tool_input.get("pattern")
    if not isinstance(pattern, str):
        pattern = tool_input.get("query") if tool == "WebSearch" else None
    return file_path, command, url, pattern if isinstance(pattern, str) else None
