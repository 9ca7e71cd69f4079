"""Sigma's field names -> the trail's columns: the event tables rules run over, and the pySigma pipeline.

A frame from :func:`auditkit.load` becomes three kinds of table (a *view*), one per Sigma log source:

- ``product: claude_code`` (any category, ``tool_call`` by convention): every row, with the agent's own
  field names (:data:`NATIVE_FIELDS`);
- ``category: process_creation`` (SigmaHQ's Linux rules, unchanged): one row per shell call (Claude Code's
  Bash, Codex's shell/exec_command, Gemini's run_shell_command: the calls with a ``command``), and one per
  simple command of a compound one (``a && b | c``), with ``CommandLine``, ``Image``, ``CurrentDirectory``,
  ``User``, ``ParentImage``;
- ``category: file_event`` (writes: Write, Edit, MultiEdit, NotebookEdit, FileChanged; Gemini's write_file,
  replace) and ``file_access`` (Read; Gemini's read_file), with ``TargetFilename``.

A tool call is one row in the process and file views (its PreToolUse, or its end when no start was
recorded), so a rule fires once per call, not once for the call's start and again for its end.

``Image`` is the program as the command names it (``curl``, ``./run.sh``, ``/usr/bin/env``), made to
start with ``/`` when it is a bare name, so ``Image|endswith: '/curl'`` matches as on a Linux host; the
real path the shell resolved is not in the trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.analysis.bash_effects import effects
from auditkit.errors import extra_import

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
    "deletes_outside_project": "true when a shell command deletes a tree outside cwd and /tmp (with no cwd "
    "recorded: any absolute path outside /tmp), as auditkit.analysis.bash_effects reads it",
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

WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit", "write_file", "replace")  # Claude Code, Gemini CLI
READ_TOOLS = ("Read", "read_file", "read_many_files")
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
    with extra_import("Sigma rules (auditkit detect)", "detect"):
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
    started_calls: dict = field(default_factory=dict)  # tool_use_id -> None: calls started, not yet ended
    modes: dict = field(default_factory=dict)  # session_id -> last permission_mode

    MAX_CALLS = 100_000  # open calls kept (a call that never ends is forgotten after this many)

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


class View:
    """One log source's table: Arrow columns, taken from the frame's on first use, and the frame row of each row."""

    def __init__(self, name: str, columns: dict[str, pa.Array], rows: np.ndarray, extra: dict | None = None) -> None:
        self.name, self.source, self.rows = name, columns, rows
        self.whole = len(rows) == len(next(iter(columns.values()))) if columns else True
        self._take = None if self.whole else pa.array(rows, type=pa.int64())
        self._cols: dict[str, pa.Array] = dict(extra or {})
        self._lower: dict[str, pa.Array] = {}

    @property
    def columns(self) -> dict[str, pa.Array]:
        return {k: self.column(k) for k in {*self.source, *self._cols}}

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> pa.Array | None:
        col = self._cols.get(name)
        if col is None:
            col = self.source.get(name)
            if col is None:
                return None
            if self._take is not None:
                col = col.take(self._take)
            self._cols[name] = col
        return col

    def lower(self, name: str) -> pa.Array | None:
        if name not in self._lower:
            col = self.column(name)
            if col is None:
                return None
            if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
                col = pc.cast(col, pa.large_string())
            self._lower[name] = pc.utf8_lower(col)
        return self._lower[name]

    def subset(self, positions: np.ndarray) -> Subset:
        return Subset(self, positions)


class Subset(View):
    """Some rows of a view (the candidates left by the first tests of an AND): tests then read only those."""

    def __init__(self, view: View, positions: np.ndarray) -> None:
        base = view.view if isinstance(view, Subset) else view
        self.view: View = base
        self.positions: np.ndarray = view.positions[positions] if isinstance(view, Subset) else positions
        self.rows = base.rows[self.positions]
        self._take = pa.array(self.positions, type=pa.int64())
        self._cols, self._lower = {}, {}

    def column(self, name: str) -> pa.Array | None:
        col = self._cols.get(name)
        if col is None:
            full = self.view.column(name)
            if full is None:
                return None
            col = self._cols[name] = full.take(self._take)
        return col


def _strings(s: pd.Series) -> pa.Array:
    """A text column as an Arrow large_string array (JSON columns as their text), without copying when it can."""
    arr = s.array
    if hasattr(arr, "texts"):
        out = arr.texts()
    else:
        try:
            out = pa.array(arr)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            out = pa.array(s.to_numpy(dtype=object, na_value=None), from_pandas=True)
        if isinstance(out, pa.ChunkedArray):
            out = out.combine_chunks()
        if pa.types.is_dictionary(out.type):
            out = out.dictionary_decode()
    if not pa.types.is_large_string(out.type):
        out = pc.cast(out, pa.large_string())
    return out


def _json_member(texts: pa.Array, mask: np.ndarray, key: str) -> pa.Array:
    """One member of JSON objects, on the rows ``mask`` selects (parsed only there)."""
    import orjson

    out: list = [None] * len(texts)
    if not mask.any():
        return pa.nulls(len(texts), pa.large_string())
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
    return pa.array(out, type=pa.large_string())


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
    server = pa.nulls(n, pa.large_string())
    if is_mcp.any():
        server = pc.extract_regex(tool, r"^mcp__(?P<s>.+?)__").field("s")
        calls = is_mcp & (np.isin(event, ("PreToolUse", *CALL_ENDS)) | pd.isna(event))
        pos = np.flatnonzero(calls)
        keys = pd.DataFrame({"c": pd.Series(cwds[pos], dtype=object).fillna(""), "t": tools[pos]})
        new = ~keys.duplicated().to_numpy()
        for j in np.flatnonzero(new):
            key = (keys["c"].iat[j], keys["t"].iat[j])
            if key not in state.mcp_seen:
                state.mcp_seen.add(key)
                first_seen[pos[j]] = True

    mode_changed = _mode_changes(sessions, modes, state)

    # a call is one row: its start, or its end when its start was never seen
    starts = event == "PreToolUse"
    ends = np.isin(event, CALL_ENDS)
    ids = pd.Series(tool_use, dtype=object)
    started_here = ids[starts & pd.notna(tool_use)]
    end_only = ends & ~ids.isin(set(started_here)).to_numpy()
    if end_only.any() and state.started_calls:
        earlier = ids[end_only].isin(state.started_calls.keys()).to_numpy()
        end_only[np.flatnonzero(end_only)[earlier]] = False
    state.started_calls.update(dict.fromkeys(started_here.tolist()))
    for done in ids[ends & pd.notna(tool_use)].tolist():
        state.started_calls.pop(done, None)
    if len(state.started_calls) > State.MAX_CALLS:
        state.started_calls = dict.fromkeys(list(state.started_calls)[-State.MAX_CALLS :])
    call_rows = starts | end_only | (np.isin(event, ["PermissionDenied"]) & ~pd.notna(tool_use))

    outside = _deletes_outside(_strings(df["command"]), cwds)

    agent = _strings(df["agent"])
    slash, empty = pa.scalar("/", pa.large_string()), pa.scalar("", pa.large_string())
    parent = pc.binary_join_element_wise(slash, pc.fill_null(agent, "claude-code"), empty)
    native = {
        "event": ev,
        "status": _strings(df["status"]),
        "tool_name": tool,
        "mcp_server": pa.array(server, type=pa.large_string()),
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
        "permission_mode": _strings(df["permission_mode"]),
        "permission_mode_changed": pa.array(np.where(mode_changed, "true", "false"), type=pa.string()),
        "sandbox_disabled": pc.if_else(sandbox, "true", "false"),
        "deletes_outside_project": pa.array(np.where(outside, "true", "false"), type=pa.large_string()),
        "redactions": redactions,
        "session_id": _strings(df["session_id"]),
        "cwd": _strings(df["cwd"]),
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
    bash = call_rows & pc.is_valid(commands).to_numpy(zero_copy_only=False)  # shell calls of any agent
    idx = np.flatnonzero(bash)
    whole = commands.take(pa.array(idx, type=pa.int64()))
    compound = np.flatnonzero(_bool_np(pc.match_substring_regex(whole, "[;&|\n]")))
    rows, lines = [idx], [whole]
    if len(compound):
        texts = whole.take(pa.array(compound, type=pa.int64())).to_pylist()
        part_rows, parts = [], []
        for i, c in zip(idx[compound], texts, strict=True):
            simple = split_simple(c)
            if len(simple) > 1:
                part_rows += [i] * len(simple)
                parts += simple
        rows.append(np.asarray(part_rows, dtype=np.int64))
        lines.append(pa.array(parts, type=pa.large_string()))
    rows_all = np.concatenate(rows)
    line_all = pa.concat_arrays(lines)
    order = np.argsort(rows_all, kind="stable")
    line_all = line_all.take(pa.array(order, type=pa.int64()))
    views[PROCESS] = View(PROCESS, native, rows_all[order], {"command": line_all, "image": images_of(line_all)})

    writes = call_rows & np.isin(tools, WRITE_TOOLS) | (event == "FileChanged")
    reads = call_rows & np.isin(tools, READ_TOOLS)
    has_path = pc.is_valid(file_path).to_numpy(zero_copy_only=False)
    views[FILE_EVENT] = _sub(FILE_EVENT, native, np.flatnonzero(writes & has_path), {})
    views[FILE_ACCESS] = _sub(FILE_ACCESS, native, np.flatnonzero(reads & has_path), {})
    return views


def _sub(name: str, native: dict[str, pa.Array], rows: np.ndarray, extra: dict[str, list]) -> View:
    return View(name, native, rows, {k: pa.array(v, type=pa.large_string()) for k, v in extra.items()})


#: A simple command: quoted strings, escapes and any character but an unquoted ; & | or newline.
_SIMPLE = re.compile(r"""(?:'[^']*'?|"(?:\\.|[^"\\])*"?|\\.|[^'"\\;&|\n])+""")


def split_simple(command: str) -> list[str]:
    """The simple commands of a shell line, split at unquoted ``; && || | & newline`` (no subshell parsing)."""
    return [p for p in (m.strip() for m in _SIMPLE.findall(command)) if p]


def _bool_np(arr) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


_IMAGE = r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*['\"(]*(?:\./)?(?P<w>[^\s'\"()]+)"


def images_of(commands: pa.Array) -> pa.Array:
    """:func:`image_of` over a column."""
    word = pc.extract_regex(commands, _IMAGE).field("w")
    slash = pc.fill_null(pc.starts_with(word, "/"), True)
    prefixed = pc.binary_join_element_wise(pa.scalar("/", pa.large_string()), word, pa.scalar("", pa.large_string()))
    found = pc.fill_null(pc.match_substring_regex(commands, _IMAGE), False)
    return pc.if_else(found, pc.if_else(slash, word, prefixed), pa.scalar("", pa.large_string()))


def image_of(command: str) -> str:
    """The program a simple command runs: its first word after ``VAR=value`` assignments, as a path."""
    for word in command.split():
        if "=" in word and not word.startswith(("/", ".", "=")) and word.split("=", 1)[0].isidentifier():
            continue
        word = word.strip("'\"()")
        return word if word.startswith("/") else "/" + word.removeprefix("./")
    return ""


def _mode_changes(sessions: np.ndarray, modes: np.ndarray, state: State) -> np.ndarray:
    """True where a session's permission mode differs from its previous event's (or the state's last)."""
    frame = pd.DataFrame({"s": sessions, "m": modes}).dropna()
    if frame.empty:
        return np.zeros(len(modes), dtype=bool)
    prev = frame.groupby("s", sort=False)["m"].shift()
    first = prev.isna()
    if state.modes:
        prev[first] = frame.loc[first, "s"].map(state.modes)
    changed = np.zeros(len(modes), dtype=bool)
    changed[frame.index.to_numpy()] = (frame["m"] != prev).to_numpy()
    last = frame.groupby("s", sort=False)["m"].last()
    state.modes.update({str(k): str(v) for k, v in last.items()})
    return changed


def _deletes_outside(commands: pa.Array, cwds: np.ndarray) -> np.ndarray:
    """True where a command deletes a tree outside its cwd (:func:`auditkit.analysis.bash_effects.effects`)."""
    out = np.zeros(len(commands), dtype=bool)
    rm = np.flatnonzero(
        pc.fill_null(pc.match_substring_regex(commands, r"\brm\s|rmtree|rimraf"), False).to_numpy(zero_copy_only=False)
    )
    if not len(rm):
        return out
    texts = commands.take(pa.array(rm, type=pa.int64())).to_pylist()
    for i, command in zip(rm, texts, strict=True):
        cwd = cwds[i] if isinstance(cwds[i], str) and cwds[i].startswith("/") else None
        root = cwd.rstrip("/") + "/" if cwd else None
        try:
            found = effects(command, cwd or "/nonexistent-cwd")
        except (ValueError, IndexError):
            continue
        for e in found:
            if e.action != "delete" or not e.tree:
                continue
            path = e.path.rstrip("/") + "/"
            if path.startswith(("/tmp/", "/var/tmp/")) and path not in ("/tmp/", "/var/tmp/"):
                continue  # scratch space, never the project's or the user's
            if (root and not path.startswith(root)) or (not root and not path.startswith("/nonexistent-cwd/")):
                out[i] = True
    return out
