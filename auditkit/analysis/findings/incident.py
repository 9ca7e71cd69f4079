"""Incident questions: what ran in a window, which commands were risky, what failed, what was deleted or moved,
what was written outside the project."""

from __future__ import annotations

import posixpath

import pandas as pd

from auditkit.analysis.bash_effects import effects, risks
from auditkit.analysis.versions import history, known_paths
from auditkit.analysis.views import CALL_COLUMNS, scope, tool_calls

_READ = {"session_id", "tool_use_id", "tool", "kind", "start", "end", "duration_ms", "status", "file_path", "command"}
#: The call columns the findings read: :func:`pack_calls` makes them once per pack, and every finding given
#: them (``calls=``) reads them instead of pairing the events again.
PACK_CALL_COLUMNS = [c for c in CALL_COLUMNS if c in _READ | {"error", "cwd"}]


def pack_calls(df: pd.DataFrame) -> pd.DataFrame:
    """Every tool call of ``df`` with the columns the findings read (:data:`PACK_CALL_COLUMNS`): made once per
    pack and handed to each finding as ``calls=`` (the answers are the same as each pairing its own)."""
    return tool_calls(df, columns=PACK_CALL_COLUMNS)


def calls_of(df: pd.DataFrame, columns: list[str], calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """``tool_calls(df, columns=columns)``, taken from ``calls`` (:func:`pack_calls` of ``df``) when given."""
    if calls is None:
        return tool_calls(df, columns=columns)
    wanted = set(columns)
    return calls[[c for c in CALL_COLUMNS if c in wanted]]


def in_window(
    df: pd.DataFrame, start: str | None = None, end: str | None = None, session: str | None = None
) -> pd.DataFrame:
    """Rows within [start, end) (ISO times, UTC when no zone) and of one session (id or unique prefix)."""
    return scope(df, start, end, session)


def risky_commands(df: pd.DataFrame, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bash calls matching a risk pattern: time, session, risk, command, status. ``calls``: :func:`pack_calls`."""
    calls = calls_of(df, ["kind", "start", "session_id", "command", "status", "tool_use_id"], calls)
    calls = calls[calls["kind"] == "Bash"]
    rows = []
    for c in calls.itertuples(index=False):
        if not isinstance(c.command, str):
            continue
        for risk in risks(c.command):
            rows.append(
                {
                    "timestamp": c.start,
                    "session_id": c.session_id,
                    "risk": risk,
                    "command": c.command,
                    "status": c.status,
                    "tool_use_id": c.tool_use_id,
                }
            )
    return pd.DataFrame(rows, columns=["timestamp", "session_id", "risk", "command", "status", "tool_use_id"])


_WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")


def file_changes(df: pd.DataFrame, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every file a call wrote, edited, created, moved or deleted (Bash effects included), one row each.
    ``calls``: :func:`pack_calls` of ``df``."""
    cols = ["end", "session_id", "tool", "kind", "file_path", "command", "cwd", "tool_use_id"]
    c = calls_of(df, [*cols, "status"], calls)
    c = c.loc[c["status"] == "ok", cols]
    rows: list[tuple] = []
    parsed: dict[tuple[str, str], list] = {}  # the same command in the same folder is read once
    joined: dict[tuple[str, str], str] = {}  # and the same file in the same folder joined once
    for end, session, tool, kind, file_path, command, cwd, tool_use_id in zip(
        *(c[k].tolist() for k in cols), strict=True
    ):
        cwd = cwd if isinstance(cwd, str) else "/"
        if kind in _WRITE_TOOLS and isinstance(file_path, str):
            path = joined.get((cwd, file_path))
            if path is None:
                path = joined[(cwd, file_path)] = posixpath.normpath(posixpath.join(cwd, file_path))
            rows.append((end, session, tool, "write", path, False, None, cwd, tool_use_id))
        elif kind == "Bash" and isinstance(command, str):
            found = parsed.get((command, cwd))
            if found is None:
                found = parsed[(command, cwd)] = [e for e in effects(command, cwd) if e.action != "chmod"]
            for e in found:
                rows.append((end, session, tool, e.action, e.path, e.tree, command, cwd, tool_use_id))
    return pd.DataFrame(
        rows, columns=["timestamp", "session_id", "tool", "action", "path", "tree", "command", "cwd", "tool_use_id"]
    )


def deletions(df: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Files and folders deleted or moved away, with the command that did it. ``changes``: :func:`file_changes`
    of ``df``, when made already."""
    ch = file_changes(df) if changes is None else changes
    return ch[ch["action"].isin(["delete", "move_from"])].reset_index(drop=True)


def outside_project(df: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Changes to paths outside the session's working directory (and not under /tmp). ``changes``:
    :func:`file_changes` of ``df``, when made already."""
    ch = file_changes(df) if changes is None else changes
    inside = [
        p == cwd or p.startswith(cwd.rstrip("/") + "/") or p.startswith(("/tmp/", "/var/tmp/"))
        for p, cwd in zip(ch["path"], ch["cwd"], strict=True)
    ]
    return ch[~pd.Series(inside, index=ch.index, dtype=bool)].reset_index(drop=True)


def failures(df: pd.DataFrame, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls that ended in an error or were interrupted. ``calls``: :func:`pack_calls` of ``df``."""
    cols = ["start", "session_id", "tool", "status", "command", "file_path", "error"]
    c = calls_of(df, cols, calls)
    return c[c["status"].isin(["error", "interrupted"])][cols].reset_index(drop=True)


def config_changes(df: pd.DataFrame) -> pd.DataFrame:
    """Settings files that changed mid-session (ConfigChange): someone may have switched hooks off."""
    ev = df[df["event"] == "ConfigChange"]
    rows = [
        {
            "timestamp": r.timestamp,
            "session_id": r.session_id,
            "file_path": (r.data or {}).get("file_path") if isinstance(r.data, dict) else None,
            "source": (r.data or {}).get("source") if isinstance(r.data, dict) else None,
        }
        for r in ev.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["timestamp", "session_id", "file_path", "source"])


def permission_denials(df: pd.DataFrame) -> pd.DataFrame:
    """Tool calls Claude Code's permission system refused (PermissionDenied), with the reason given."""
    ev = df[df["event"] == "PermissionDenied"]
    rows = [
        {
            "timestamp": r.timestamp,
            "session_id": r.session_id,
            "tool": r.tool,
            "command": r.command,
            "file_path": r.file_path,
            "reason": (r.data or {}).get("reason") if isinstance(r.data, dict) else None,
        }
        for r in ev.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["timestamp", "session_id", "tool", "command", "file_path", "reason"])


#: How strongly the trail says a file was deleted, strongest first.
DELETED_SEEN = "yes: deleted after the trail saw it"
DELETED_WITH_FOLDER = "probably: a folder holding it was deleted, but the trail never saw the file itself"
MOVED_AWAY = "moved away, not deleted"
NO_DELETION = "no deletion of it is in the trail"


def was_deleted(df: pd.DataFrame, path: str) -> dict:
    """Did the agent delete ``path``? An answer with the evidence's real strength, never a bare yes.

    ``answer`` is one of :data:`DELETED_SEEN` (a delete of a file the trail had read, written or listed
    before), :data:`DELETED_WITH_FOLDER` (only a recursive delete of a folder above it: the file may never
    have existed), :data:`MOVED_AWAY`, or :data:`NO_DELETION`; ``evidence`` is the rows of the file's
    history behind it, ``path`` the absolute path asked about.
    """
    events = history(df, path)
    target = events.attrs["path"]
    gone = events[events["action"].isin(["delete", "move_from"])]
    cols = ["timestamp", "session_id", "tool_use_id", "action", "command", "note"]
    if gone.empty:
        return {"path": target, "answer": NO_DELETION, "evidence": gone[cols]}
    first_gone = gone["timestamp"].min()
    seen_before = events[(events["timestamp"] < first_gone) & ~events["action"].isin(["delete", "move_from"])]
    seen = not seen_before.empty or target in known_paths(df[df["timestamp"] < first_gone])
    if (gone["action"] == "move_from").all():
        answer = MOVED_AWAY
    else:
        named = any(
            any(e.path == target and e.action == "delete" for e in effects(cmd, _cwd_of(df, tid)))
            for cmd, tid in zip(gone["command"], gone["tool_use_id"], strict=True)
            if isinstance(cmd, str)
        )
        answer = DELETED_SEEN if (named or seen) else DELETED_WITH_FOLDER
    return {"path": target, "answer": answer, "evidence": gone[cols]}


def _cwd_of(df: pd.DataFrame, tool_use_id: object) -> str:
    rows = df[df["tool_use_id"] == tool_use_id]["cwd"].dropna()
    return str(rows.iloc[0]) if len(rows) else "/"
