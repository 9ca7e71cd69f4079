"""Sigma's field names -> the trail's columns: the event tables rules run over, and the pySigma pipeline.

A frame from :func:`auditkit.load` becomes three kinds of table (a *view*), one per Sigma log source:

- ``product: claude_code`` (any category, ``tool_call`` by convention): every row, with the agent's own
  field names (:data:`NATIVE_FIELDS`);
- ``category: process_creation`` (SigmaHQ's Linux rules, unchanged): one row per Bash call, and one per
  simple command of a compound one (``a && b | c``), with ``CommandLine``, ``Image``, ``CurrentDirectory``,
  ``User``, ``ParentImage``;
- ``category: file_event`` (writes: Write, Edit, MultiEdit, NotebookEdit, FileChanged) and
  ``file_access`` (Read), with ``TargetFilename``.

A tool call is one row in the process and file views (its PreToolUse, or its end when no start was
recorded), so a rule fires once per call, not once for the call's start and again for its end.

``Image`` is the program as the command names it (``curl``, ``./run.sh``, ``/usr/bin/env``), made to
start with ``/`` when it is a bare name, so ``Image|endswith: '/curl'`` matches as on a Linux host; the
real path the shell resolved is not in the trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The agent-native fields (``product: claude_code``) and what each holds.
NATIVE_FIELDS = {
    "event": "hook event (PreToolUse, PostToolUse, PermissionDenied, ConfigChange, SessionStart, ...)",
    "status": "started, ok, error, interrupted, denied or info",
    "tool_name": "tool name (Bash, Read, WebFetch, mcp__server__tool, ...); `tool` is the same",
    "mcp_server": "for an MCP tool (mcp__server__tool), the server's name",
    "mcp_tool_first_seen": "true on the first call of an MCP tool in its project (cwd) in what was read",
    "command": "Bash command, whole",
    "file_path": "file the call reads or writes; for ConfigChange and FileChanged the file named in the event",
    "url": "WebFetch URL",
    "pattern": "Glob/Grep pattern, WebSearch query",
    "prompt": "user prompt",
    "error": "error text of a failed call",
    "input": "the whole tool input, as JSON text",
    "response": "the whole tool response, as JSON text",
    "data": "every other payload field, as JSON text",
    "source": "ConfigChange: which settings changed (user_settings, project_settings, ...)",
    "reason": "PermissionDenied: why",
    "permission_mode": "default, plan, acceptEdits, auto, dontAsk, bypassPermissions",
    "permission_mode_changed": "true where the session's permission mode differs from its previous event",
    "sandbox_disabled": "true when the tool input asks for dangerouslyDisableSandbox",
    "redactions": "secrets redacted from the record (a number)",
    "session_id": "the agent's session id",
    "cwd": "working directory (the project)",
    "user": "OS user",
    "host": "host",
    "agent": "claude-code, codex, gemini",
    "agent_id": "subagent id",
    "agent_type": "subagent type",
    "model": "model",
}

PROCESS_FIELDS = {
    "CommandLine": "the command (the whole Bash command, and each simple command of a compound one)",
    "Image": "the program the command runs, as written (a bare name gets a leading /)",
    "CurrentDirectory": "cwd",
    "User": "OS user",
    "ParentImage": "the agent (/claude-code, /codex, ...)",
}
FILE_FIELDS = {"TargetFilename": "the file written (file_event) or read (file_access)"}

#: Sigma field -> view column, per log source (the pipeline's field mapping).
PROCESS_MAP = {
    "CommandLine": "command",
    "Image": "image",
    "CurrentDirectory": "cwd",
    "User": "user",
    "ParentImage": "parent_image",
}
FILE_MAP = {"TargetFilename": "file_path", "Image": "parent_image", "User": "user"}
NATIVE_ALIASES = {"tool": "tool_name"}

WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")
READ_TOOLS = ("Read",)
CALL_ENDS = ("PostToolUse", "PostToolUseFailure")

#: The log sources a rule may name, as (product, category) -> view name.
PROCESS, FILE_EVENT, FILE_ACCESS, NATIVE = "process_creation", "file_event", "file_access", "claude_code"


def view_for(product: str | None, category: str | None) -> str | None:
    """The view a rule's logsource reads, or None when the kit has no such events."""
    if product in ("claude_code", "claude-code", "auditkit"):
        return NATIVE
    if product in (None, "linux") and category in (PROCESS, FILE_EVENT, FILE_ACCESS):
        return category
    return None


def columns_of(view: str) -> dict[str, str]:
    """Sigma field -> view column for a view."""
    if view == NATIVE:
        return {**{f: f for f in NATIVE_FIELDS}, **NATIVE_ALIASES}
    common = {f: f for f in NATIVE_FIELDS}  # session_id, tool_name, ... are there too
    return {**common, **(PROCESS_MAP if view == PROCESS else FILE_MAP)}


def sigma_pipeline():
    """A pySigma ProcessingPipeline mapping SigmaHQ's Linux field names to the views' columns."""
    from sigma.processing.conditions import LogsourceCondition
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import FieldMappingTransformation

    items = [
        ProcessingItem(
            identifier=f"auditkit_{category}",
            transformation=FieldMappingTransformation(mapping),
            rule_conditions=[LogsourceCondition(category=category)],
        )
        for category, mapping in ((PROCESS, PROCESS_MAP), (FILE_EVENT, FILE_MAP), (FILE_ACCESS, FILE_MAP))
    ]
    items.append(
        ProcessingItem(
            identifier="auditkit_native_aliases",
            transformation=FieldMappingTransformation(NATIVE_ALIASES),
            rule_conditions=[LogsourceCondition(product="claude_code")],
        )
    )
    return ProcessingPipeline(name="auditkit: Sigma fields to trail columns", priority=20, items=items)


@dataclass
class State:
    """What the views remember between batches while following: seen MCP tools, calls, modes."""

    mcp_seen: set = field(default_factory=set)  # (cwd, tool)
    started_calls: dict = field(default_factory=dict)  # tool_use_id -> None, insertion-ordered, bounded
    modes: dict = field(default_factory=dict)  # session_id -> last permission_mode

    MAX_CALLS = 200_000

    def to_json(self) -> dict:
        return {
            "mcp_seen": sorted(list(k) for k in self.mcp_seen),
            "started_calls": list(self.started_calls)[-self.MAX_CALLS :],
            "modes": self.modes,
        }

    @classmethod
    def from_json(cls, obj: dict) -> State:
        s = cls()
        s.mcp_seen = {tuple(k) for k in obj.get("mcp_seen", []) if isinstance(k, list) and len(k) == 2}
        s.started_calls = dict.fromkeys(str(k) for k in obj.get("started_calls", []))
        s.modes = {str(k): str(v) for k, v in (obj.get("modes") or {}).items()}
        return s


@dataclass
class View:
    """One log source's table: columns (Arrow arrays) and the frame row each table row came from."""

    name: str
    columns: dict[str, pa.Array]
    rows: np.ndarray  # positions in the frame
    _lower: dict[str, pa.Array] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> pa.Array | None:
        return self.columns.get(name)

    def lower(self, name: str) -> pa.Array | None:
        if name not in self._lower:
            col = self.columns.get(name)
            if col is None:
                return None
            if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
                col = pc.cast(col, pa.string())
            self._lower[name] = pc.utf8_lower(col)
        return self._lower[name]


def _strings(s: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (JSON columns as their text)."""
    arr = s.array
    if hasattr(arr, "texts"):
        return arr.texts()
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string(), from_pandas=True)


def _json_member(texts: pa.Array, mask: np.ndarray, key: str) -> pa.Array:
    """One member of JSON objects, on the rows ``mask`` selects (parsed only there)."""
    import orjson

    out: list = [None] * len(texts)
    for i in np.flatnonzero(mask):
        t = texts[i].as_py()
        if not t:
            continue
        try:
            obj = orjson.loads(t)
        except orjson.JSONDecodeError:
            continue
        v = obj.get(key) if isinstance(obj, dict) else None
        out[i] = v if v is None or isinstance(v, str) else str(v)
    return pa.array(out, type=pa.string())


def build_views(df: pd.DataFrame, state: State | None = None) -> dict[str, View]:
    """The frame as the tables Sigma rules read (see the module docstring); ``state`` carries over batches."""
    state = state if state is not None else State()
    n = len(df)
    event = df["event"].astype(object).to_numpy(dtype=object, na_value=None) if n else np.array([], dtype=object)
    tool = _strings(df["tool"])
    ev = pa.array(event, type=pa.string())
    data = _strings(df["data"])
    inp = _strings(df["input"])
    file_path = _strings(df["file_path"])
    named = np.isin(event, ["ConfigChange", "FileChanged"])
    if named.any():
        file_path = pc.coalesce(file_path, _json_member(data, named, "file_path"))
    source = _json_member(data, event == "ConfigChange", "source")
    reason = _json_member(data, np.isin(event, ["PermissionDenied", "PermissionRequest"]), "reason")
    redactions = pa.array(
        pd.to_numeric(df["redactions"], errors="coerce").astype("float64").to_numpy(), type=pa.float64()
    )
    redactions = pc.if_else(pc.is_nan(redactions), pa.scalar(None, pa.float64()), redactions)
    sandbox = pc.fill_null(pc.match_substring(inp, '"dangerouslyDisableSandbox":true'), False)

    tools = tool.to_numpy(zero_copy_only=False)
    cwds = df["cwd"].to_numpy(dtype=object, na_value=None)
    sessions = df["session_id"].to_numpy(dtype=object, na_value=None)
    tool_use = df["tool_use_id"].to_numpy(dtype=object, na_value=None)
    modes = df["permission_mode"].astype(object).to_numpy(dtype=object, na_value=None)

    is_mcp = pc.fill_null(pc.starts_with(tool, "mcp__"), False).to_numpy(zero_copy_only=False)
    first_seen = np.zeros(n, dtype=bool)
    server: list = [None] * n
    for i in np.flatnonzero(is_mcp):
        name = tools[i]
        parts = name.split("__")
        server[i] = parts[1] if len(parts) > 2 else None
        if event[i] in CALL_ENDS or event[i] == "PreToolUse" or event[i] is None:
            key = (cwds[i] or "", name)
            if key not in state.mcp_seen:
                state.mcp_seen.add(key)
                first_seen[i] = True

    mode_changed = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(pd.notna(modes) & pd.notna(sessions)):
        s, m = sessions[i], modes[i]
        if state.modes.get(s) != m:
            mode_changed[i] = True
            state.modes[s] = m

    # a call is one row: its start, or its end when its start was never seen
    starts = event == "PreToolUse"
    for i in np.flatnonzero(starts & pd.notna(tool_use)):
        state.started_calls[tool_use[i]] = None
    ends = np.isin(event, CALL_ENDS)
    end_only = ends.copy()
    for i in np.flatnonzero(ends):
        end_only[i] = tool_use[i] is None or tool_use[i] not in state.started_calls
    if len(state.started_calls) > 2 * State.MAX_CALLS:
        state.started_calls = dict.fromkeys(list(state.started_calls)[-State.MAX_CALLS :])
    call_rows = starts | end_only | np.isin(event, ["PermissionDenied"]) & ~pd.notna(tool_use)

    agent = _strings(df["agent"])
    parent = pc.binary_join_element_wise(pa.scalar("/"), pc.fill_null(agent, "claude-code"), "")
    native = {
        "event": ev,
        "status": _strings(df["status"]),
        "tool_name": tool,
        "mcp_server": pa.array(server, type=pa.string()),
        "mcp_tool_first_seen": pa.array(np.where(first_seen, "true", "false"), type=pa.string()),
        "command": _strings(df["command"]),
        "file_path": file_path,
        "url": _strings(df["url"]),
        "pattern": _strings(df["pattern"]),
        "prompt": _strings(df["prompt"]),
        "error": _strings(df["error"]),
        "input": inp,
        "response": _strings(df["response"]),
        "data": data,
        "source": source,
        "reason": reason,
        "permission_mode": pa.array(modes, type=pa.string()),
        "permission_mode_changed": pa.array(np.where(mode_changed, "true", "false"), type=pa.string()),
        "sandbox_disabled": pc.if_else(sandbox, "true", "false"),
        "redactions": redactions,
        "session_id": pa.array(sessions, type=pa.string()),
        "cwd": pa.array(cwds, type=pa.string()),
        "user": _strings(df["user"]),
        "host": _strings(df["host"]),
        "agent": agent,
        "agent_id": _strings(df["agent_id"]),
        "agent_type": _strings(df["agent_type"]),
        "model": _strings(df["model"]),
        "parent_image": parent,
    }
    views = {NATIVE: View(NATIVE, native, np.arange(n))}

    # process_creation: Bash calls, whole and split into simple commands
    commands = native["command"]
    bash = call_rows & pc.fill_null(pc.equal(tool, "Bash"), False).to_numpy(zero_copy_only=False)
    bash &= pc.is_valid(commands).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(bash)
    cmds = commands.take(pa.array(idx)).to_pylist() if len(idx) else []
    rows, lines, images = [], [], []
    for i, c in zip(idx, cmds, strict=True):
        rows.append(i)
        lines.append(c)
        images.append(image_of(c))
        if any(ch in c for ch in ";&|\n"):
            parts = split_simple(c)
            if len(parts) > 1:
                for part in parts:
                    rows.append(i)
                    lines.append(part)
                    images.append(image_of(part))
    views[PROCESS] = _sub(PROCESS, native, np.asarray(rows, dtype=np.int64), {"command": lines, "image": images})

    writes = call_rows & np.isin(tools, WRITE_TOOLS) | (event == "FileChanged")
    reads = call_rows & np.isin(tools, READ_TOOLS)
    has_path = pc.is_valid(file_path).to_numpy(zero_copy_only=False)
    views[FILE_EVENT] = _sub(FILE_EVENT, native, np.flatnonzero(writes & has_path), {})
    views[FILE_ACCESS] = _sub(FILE_ACCESS, native, np.flatnonzero(reads & has_path), {})
    return views


def _sub(name: str, native: dict[str, pa.Array], rows: np.ndarray, extra: dict[str, list]) -> View:
    take = pa.array(rows, type=pa.int64())
    cols = {k: v.take(take) for k, v in native.items()}
    for k, v in extra.items():
        cols[k] = pa.array(v, type=pa.string())
    return View(name, cols, rows)


_SEPARATORS = ("&&", "||", ";", "|", "&", "\n")


def split_simple(command: str) -> list[str]:
    """The simple commands of a shell line, split at unquoted ``; && || | & newline`` (no subshell parsing)."""
    parts, cur, quote, i = [], [], None, 0
    while i < len(command):
        ch = command[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(command):
                cur.append(command[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "\\" and i + 1 < len(command):
            cur.append(command[i : i + 2])
            i += 1
        else:
            sep = next((s for s in _SEPARATORS if command.startswith(s, i)), None)
            if sep:
                parts.append("".join(cur).strip())
                cur = []
                i += len(sep)
                continue
            cur.append(ch)
        i += 1
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def image_of(command: str) -> str:
    """The program a simple command runs: its first word after ``VAR=value`` assignments, as a path."""
    for word in command.split():
        if "=" in word and not word.startswith(("/", ".", "=")) and word.split("=", 1)[0].isidentifier():
            continue
        word = word.strip("'\"()")
        return word if word.startswith("/") else "/" + word.removeprefix("./")
    return ""
