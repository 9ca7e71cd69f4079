"""``history()``: every event that touched one file, with its versions reconstructed.

Versions come from what the trail holds: Write content; Edit and MultiEdit applied to the last
known version (``replace_all`` honoured), or to the ``originalFile`` Claude Code reports; Reads as
observations (a Read that shows other content than the last known version means the file changed
outside the trail). Each version carries the SHA-256 of its bytes (UTF-8), and consecutive known
versions a unified diff. Where a Bash command changed the file in a way the trail cannot replay
(``sed -i``, ``> file``, ``git checkout``), the version is explicitly unknown.
"""

from __future__ import annotations

import hashlib
import posixpath

import pandas as pd

from auditkit.analysis.bash_effects import effects
from auditkit.analysis.patches import unified_diff
from auditkit.analysis.views import tool_calls
from auditkit.errors import UsageError

COLUMNS = [
    "timestamp",
    "session_id",
    "tool_use_id",
    "tool",
    "action",
    "status",
    "command",
    "version",
    "known",
    "sha256",
    "size",
    "redacted",
    "note",
    "diff",
    "content",
    "event_id",
]
_FILE_TOOLS = ("Read", "Write", "Edit", "MultiEdit", "NotebookEdit")
_FAILED = ("error", "interrupted", "unfinished")


def _norm(path: object, cwd: object) -> str | None:
    if not isinstance(path, str) or not path:
        return None
    base = cwd if isinstance(cwd, str) and cwd else "/"
    return posixpath.normpath(path if posixpath.isabs(path) else posixpath.join(base, path))


def _matcher(target: str):
    target = posixpath.normpath(target)
    if posixpath.isabs(target):
        return lambda p: p == target
    suffix = "/" + target
    return lambda p: p == target or p.endswith(suffix)


class _State:
    """The file as far as the trail shows it."""

    def __init__(self) -> None:
        self.version = 0
        self.content: str | None = None  # None: unknown (or absent, see exists)
        self.sha: str | None = None
        self.exists: bool | None = None

    def set(self, content: str | None, sha: str | None = None, exists: bool | None = True) -> None:
        self.content, self.exists = content, exists
        self.sha = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest() if content is not None else sha


def _truncated_sha(row: dict, field: str) -> str | None:
    for t in row.get("truncated") or []:
        if t.get("field") == field:
            return t.get("sha256")
    return None


def history(df: pd.DataFrame, path: str, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every event touching ``path`` (absolute, or a path suffix such as ``src/parser.py``).

    One row per event, in time order: ``action`` (read, create, write, edit, delete, move_from,
    move_to, copy_to, modify, chmod, or ``failed_<tool>``), the ``version`` after it, whether that
    version's content is ``known``, its ``sha256`` and ``size``, ``diff`` against the previous
    known version, and a ``note`` saying how it was reconstructed or why it is unknown.
    ``redacted`` marks content that holds redaction markers (its sha256 cannot match the real file).
    ``calls``: ``auditkit.tool_calls(df)``, when the history of several files is wanted (made once).
    """
    path = resolve_path(df, path)
    match = _matcher(path)
    # a cheap filter before parsing a command (shlex costs ~50 us): it must name a part of the path,
    # use a glob, or be git (which can rewrite files it does not name)
    parts = [c for c in posixpath.normpath(path).split("/") if c and c not in (".", "..")]
    calls = _candidates(tool_calls(df) if calls is None else calls, parts)
    ids = set(calls["end_event_id"].dropna())
    ends = df.loc[df["event_id"].isin(ids), ["event_id", "truncated"]] if "truncated" in df else df.iloc[:0]
    truncated = dict(zip(ends["event_id"], ends["truncated"], strict=True))
    state = _State()
    rows: list[dict] = []
    outside = _outside_changes(df, match)  # FileChanged events: writes no tool call shows
    for tup in calls.itertuples(index=False):
        call = tup._asdict()
        when = call["start"] if pd.notna(call["start"]) else call["end"]
        while outside and pd.notna(when) and outside[0]["timestamp"] <= when:
            rows.append(_changed_outside(outside.pop(0), state))
        cwd = call["cwd"] if isinstance(call["cwd"], str) else None
        target = _norm(call["file_path"], cwd)
        time = call["end"] if pd.notna(call["end"]) else call["start"]
        base = {
            "timestamp": time,
            "session_id": call["session_id"],
            "tool_use_id": call["tool_use_id"],
            "tool": call["tool"],
            "status": call["status"],
            "command": call["command"],
            "event_id": call["end_event_id"] if isinstance(call["end_event_id"], str) else call["start_event_id"],
        }
        call["truncated"] = truncated.get(base["event_id"]) or []
        if call["kind"] in _FILE_TOOLS and target and match(target):
            rows.append(_file_tool({**call, "tool": call["kind"]}, state, base))
        elif (
            call["kind"] == "Bash"
            and isinstance(call["command"], str)
            and (any(c in call["command"] for c in parts) or "*" in call["command"] or "git" in call["command"])
        ):
            for eff in effects(call["command"], cwd or "/"):
                hit = match(eff.path) if not eff.tree and not any(c in eff.path for c in "*?[") else None
                if hit is None:
                    hit = _touches_target(eff, path, cwd)
                if hit:
                    rows.append(_bash(eff, call, state, base))
                    break  # one row per command, at its first effect on the file
    rows += [_changed_outside(ev, state) for ev in outside]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["version"] = out["version"].astype("Int64")
    out.attrs["path"] = path
    return out


def _candidates(calls: pd.DataFrame, parts: list[str]) -> pd.DataFrame:
    """The calls that can touch a file whose path has these parts, found column-wise: the loop in
    :func:`history` then looks at thousands of calls instead of every call of a large trail.

    A file tool's path must hold the file's name (or climb with ``..`` or be ``.``, which can end
    anywhere); a command must name a part of the path, use a glob, or be git, as the loop asks.
    """
    if not parts or calls.empty:
        return calls
    kind, file_path, command = calls["kind"], calls["file_path"].astype("str"), calls["command"].astype("str")
    named = file_path.str.contains(parts[-1], regex=False) | file_path.str.contains("..", regex=False)
    tools = kind.isin(_FILE_TOOLS) & calls["file_path"].notna() & (named | file_path.eq("."))
    cmd = command.str.contains("*", regex=False) | command.str.contains("git", regex=False)
    for part in parts:
        cmd |= command.str.contains(part, regex=False)
    bash = kind.eq("Bash") & calls["command"].notna() & cmd
    return calls[(tools | bash).to_numpy(dtype=bool, na_value=False)]


def known_paths(df: pd.DataFrame) -> set[str]:
    """Every absolute file path the trail names: file tools' paths and Glob/Grep results."""
    paths = {p for p in df["file_path"].dropna().astype(str) if posixpath.isabs(p)}
    for resp in df.loc[df["tool"].isin(["Glob", "Grep"]) & df["event"].eq("PostToolUse"), "response"]:
        if isinstance(resp, dict) and isinstance(resp.get("filenames"), list):
            paths.update(f for f in resp["filenames"] if isinstance(f, str) and posixpath.isabs(f))
    return paths


def resolve_path(df: pd.DataFrame, path: str) -> str:
    """A relative path or bare file name, resolved to the one absolute path in the trail that ends with
    it; unchanged when there is none. Several (the same file in two worktrees or checkouts) are
    different files, never one history: :class:`UsageError` lists them."""
    if posixpath.isabs(path):
        return posixpath.normpath(path)
    suffix = "/" + posixpath.normpath(path)
    hits = sorted(p for p in known_paths(df) if p.endswith(suffix))
    if len(hits) > 1:
        listed = ", ".join(hits[:10]) + (f" and {len(hits) - 10} more" if len(hits) > 10 else "")
        raise UsageError(f"{path!r} is ambiguous: {len(hits)} files end with it ({listed}); give one of them")
    return hits[0] if hits else path


def _touches_target(eff, path: str, cwd: str | None) -> bool:
    target = posixpath.normpath(path)
    if not posixpath.isabs(target):  # a path suffix: read it against the command's working directory
        return bool(cwd) and eff.touches(posixpath.normpath(posixpath.join(cwd or "", target)))
    return eff.touches(target)


def _row(base: dict, action: str, state: _State, note: str, previous: str | None) -> dict:
    content = state.content
    diff = None
    if previous is not None and content is not None and previous != content:
        diff = unified_diff(previous, content, f"v{state.version - 1}", f"v{state.version}")
    return {
        **base,
        "action": action,
        "version": state.version,
        "known": content is not None,
        "sha256": state.sha,
        "size": len(content.encode("utf-8", "surrogatepass")) if content is not None else None,
        "redacted": content is not None and "[REDACTED:" in content,
        "note": note,
        "diff": diff,
        "content": content,
    }


def _file_tool(call: dict, state: _State, base: dict) -> dict:
    tool, status = call["tool"], call["status"]
    inp = call["input"] if isinstance(call["input"], dict) else {}
    resp = call["response"] if isinstance(call["response"], dict) else {}
    if status in _FAILED:
        return _row(base, f"failed_{tool.lower()}", state, f"{tool} {status}: the file is unchanged", None)
    if tool == "Read":
        return _read(call, inp, resp, state, base)
    if tool == "Write":
        return _write(call, inp, resp, state, base)
    if tool in ("Edit", "MultiEdit"):
        return _edit(tool, inp, resp, state, base)
    state.version += 1  # NotebookEdit
    state.set(None)
    return _row(base, "edit", state, "notebook cell edit: the new content is not replayed", None)


def _read(call: dict, inp: dict, resp: dict, state: _State, base: dict) -> dict:
    """A Read: the content observed (first seen, unchanged, or changed outside the trail), or only its sha256
    (over the size cap), or nothing (partial or not text)."""
    previous = state.content
    f = resp.get("file")
    f = f if isinstance(f, dict) else {}
    content = f.get("content")
    lines, total = f.get("numLines"), f.get("totalLines")
    partial = (
        inp.get("offset") or inp.get("limit") or (isinstance(lines, int) and isinstance(total, int) and lines < total)
    )
    cut = _truncated_sha(call, "tool_response.file.content")
    if not isinstance(content, str) or partial:
        return _row(base, "read", state, "partial or non-text read: observed, not reconstructed", None)
    if cut:
        if state.sha != cut:
            state.version += 1 if state.version == 0 or state.content is not None else 0
            state.set(None, sha=cut)
        return _row(base, "read", state, "read a file over the size cap: its sha256 is known, its content is not", None)
    if state.content is None:
        first = state.version == 0
        state.version = max(state.version, 1)
        state.set(content)
        return _row(base, "read", state, "first seen (read)" if first else "content observed (read)", None)
    if content == state.content:
        return _row(base, "read", state, "unchanged", None)
    state.version += 1
    state.set(content)
    return _row(base, "read", state, "changed outside the trail (seen on read)", previous)


def _write(call: dict, inp: dict, resp: dict, state: _State, base: dict) -> dict:
    """A Write: a new version with the content written (or only its sha256, over the size cap)."""
    previous = state.content
    content = inp.get("content")
    state.version += 1
    created = resp.get("type") == "create" or state.exists is False or state.version == 1
    cut = _truncated_sha(call, "tool_input.content")
    if isinstance(content, str) and not cut:
        state.set(content)
        return _row(base, "create" if created else "write", state, "content written", previous)
    state.set(None, sha=cut)
    return _row(base, "create" if created else "write", state, "written content over the size cap", None)


def _edit(tool: str, inp: dict, resp: dict, state: _State, base: dict) -> dict:
    """An Edit or MultiEdit replayed on the original Claude Code reported, or else the last known version."""
    previous = state.content
    original = resp.get("originalFile") if tool == "Edit" else resp.get("originalFileContents")
    note = "edit applied to the last known version"
    start = state.content
    if isinstance(original, str) and original != start:
        note = "edit applied to the original Claude Code reported" + (
            " (it differs from the last known version: the file changed outside the trail)" if start else ""
        )
        start = original
    edits = [inp] if tool == "Edit" else [e for e in inp.get("edits") or [] if isinstance(e, dict)]
    state.version += 1
    content = _replay(start, edits)
    if content is None:
        state.set(None)
        return _row(base, "edit", state, "edited, but the content before the edit is unknown", None)
    state.set(content)
    return _row(base, "edit", state, note, previous if previous is not None else start)


def _replay(content: str | None, edits: list[dict]) -> str | None:
    """``content`` with each edit's ``old_string`` replaced, or None when the content or an edit is unknown."""
    for e in edits:
        old, new = e.get("old_string"), e.get("new_string")
        if content is None or not isinstance(old, str) or not isinstance(new, str) or old not in content:
            return None
        content = content.replace(old, new) if e.get("replace_all") else content.replace(old, new, 1)
    return content


#: FileChanged's ``event`` -> the action a history shows.
_OUTSIDE = {"change": "modify", "add": "create", "unlink": "delete"}


def _outside_changes(df: pd.DataFrame, match) -> list[dict]:
    """FileChanged events on the file, in time order (Claude Code watched it change, no tool call did it)."""
    ev = df[df["event"] == "FileChanged"]
    out = []
    for r in ev.itertuples(index=False):
        data = r.data if isinstance(r.data, dict) else {}
        path = _norm(data.get("file_path"), r.cwd)
        if path and match(path):
            base = {
                "timestamp": r.timestamp,
                "session_id": r.session_id,
                "tool_use_id": None,
                "tool": "FileChanged",
                "status": "ok",
                "command": None,
                "event_id": r.event_id,
            }
            out.append({**base, "kind": data.get("event")})
    return sorted(out, key=lambda e: e["timestamp"])


def _changed_outside(ev: dict, state: _State) -> dict:
    action = _OUTSIDE.get(str(ev.pop("kind")), "modify")
    state.version += 1
    state.set(None, exists=action != "delete")
    return _row(ev, action, state, "changed outside the agent's tools (FileChanged): content unknown", None)


def _bash(eff, call: dict, state: _State, base: dict) -> dict:
    command = call["command"]
    if call["status"] in _FAILED:
        return _row(base, f"failed_{eff.action}", state, f"command {call['status']}: effect uncertain", None)
    if eff.action == "chmod":
        return _row(base, "chmod", state, "permissions changed; content unchanged", None)
    if eff.action == "create":
        if state.exists is False or state.version == 0:
            state.version += 1
            state.set("")
            return _row(base, "create", state, "created empty by touch", None)
        return _row(base, "touch", state, "timestamp touched; content unchanged", None)
    state.version += 1
    if eff.action in ("delete", "move_from"):
        state.set(None, exists=False)
        verb = "deleted" if eff.action == "delete" else "moved away"
        return _row(base, eff.action, state, f"{verb} by: {command}", None)
    if eff.action in ("move_to", "copy_to"):
        state.set(None)
        return _row(base, eff.action, state, f"replaced by {eff.source} (its content is not replayed)", None)
    state.set(None)
    return _row(base, "modify", state, "changed by a command the trail cannot replay: content unknown", None)
