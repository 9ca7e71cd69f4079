"""Cost questions: where tool time went, the slowest calls, retry loops, re-reads of files that had not changed."""

from __future__ import annotations

import pandas as pd

from auditkit.analysis.findings.incident import calls_of, file_changes


def time_by(df: pd.DataFrame, key: str, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls and time (total, mean, p95 in ms) grouped by ``tool``, ``session_id`` or ``command``. ``calls``:
    :func:`~auditkit.analysis.findings.incident.pack_calls` of ``df`` (so for every ``calls=`` below)."""
    c = calls_of(df, [key, "duration_ms"], calls)
    c = c[c[key].notna()]
    g = c.groupby(c[key].astype(str))
    out = pd.DataFrame(
        {
            "calls": g.size(),
            "total_ms": g["duration_ms"].sum(),
            "mean_ms": g["duration_ms"].mean(),
            "p95_ms": g["duration_ms"].quantile(0.95),
        }
    )
    return out.sort_values("total_ms", ascending=False)


def slowest(df: pd.DataFrame, n: int = 10, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``n`` longest calls."""
    cols = ["start", "session_id", "tool", "duration_ms", "status", "command", "file_path"]
    return calls_of(df, cols, calls).nlargest(n, "duration_ms")[cols].reset_index(drop=True)


def retry_loops(df: pd.DataFrame, min_runs: int = 2, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """The same command run again and again in a session: runs, failures, time spent, whether it ended ok."""
    c = calls_of(df, ["kind", "session_id", "command", "status", "duration_ms"], calls)
    c = c[(c["kind"] == "Bash") & c["command"].notna()]
    rows = []
    for (session, command), g in c.groupby([c["session_id"].astype(str), c["command"].astype(str)]):
        if len(g) >= min_runs:
            failed = int(g["status"].isin(["error", "interrupted"]).sum())
            rows.append(
                {
                    "session_id": session,
                    "command": command,
                    "runs": len(g),
                    "failures": failed,
                    "total_ms": float(g["duration_ms"].sum()),
                    "last_status": g["status"].iloc[-1],
                }
            )
    return pd.DataFrame(rows, columns=["session_id", "command", "runs", "failures", "total_ms", "last_status"])


def redundant_reads(df: pd.DataFrame, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reads of a file in a session that had not changed since the session last read it."""
    from bisect import bisect_right

    c = calls_of(df, ["tool", "status", "session_id", "file_path", "start", "end"], calls)
    ok_reads = (c["tool"] == "Read") & (c["status"] == "ok") & c["session_id"].notna() & c["file_path"].notna()
    reads = c.loc[ok_reads, ["session_id", "file_path", "start", "end"]]
    del c  # without calls given, file_changes makes its own: not both at once
    columns = ["session_id", "file_path", "timestamp", "previous_read"]
    if reads.empty:
        return pd.DataFrame(columns=columns)
    changed = file_changes(df, calls)
    writes: dict[tuple[str, str], list] = {}
    for session, path, time in zip(
        changed["session_id"].astype(str), changed["path"], changed["timestamp"], strict=True
    ):
        writes.setdefault((session, path), []).append(time)
    for times in writes.values():
        times.sort()
    rows = []
    last_read: dict[tuple[str, str], pd.Timestamp] = {}
    for session, path, start, end in zip(
        reads["session_id"].astype(str), reads["file_path"], reads["start"], reads["end"], strict=True
    ):
        key = (session, path)
        seen = last_read.get(key)
        if seen is not None:
            times = writes.get(key, [])
            if bisect_right(times, start) == bisect_right(times, seen):  # no change in (seen, start]
                rows.append({"session_id": session, "file_path": path, "timestamp": start, "previous_read": seen})
        last_read[key] = end
    return pd.DataFrame(rows, columns=columns)
