"""Pure views over a loaded frame: each takes a DataFrame and returns a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from auditkit.errors import UsageError
from auditkit.trail import format as tf

_ENDS = ("PostToolUse", "PostToolUseFailure", "PermissionDenied")  # a denied call ends there, status "denied"
_CALL_EVENTS = ("PreToolUse", *_ENDS)
#: Status of a call whose PreToolUse has no Post event (denied, interrupted, or still running).
UNFINISHED = "unfinished"
#: Other agents' tools, as the Claude Code tool that does the same (what ``kind`` says): the views that
#: recognise Bash commands and file writes (history, deletions, risky commands) read ``kind``.
TOOL_KINDS = {
    "shell": "Bash",
    "exec_command": "Bash",
    "local_shell": "Bash",
    "container.exec": "Bash",
    "shell_command": "Bash",
    "run_shell_command": "Bash",
    "replace": "Edit",
    "write_file": "Write",
    "read_file": "Read",
    "web_search": "WebSearch",
    "google_web_search": "WebSearch",
}

CALL_COLUMNS = [
    "session_id",
    "tool_use_id",
    "tool",
    "kind",
    "start",
    "end",
    "duration_ms",
    "wall_ms",
    "duration_note",
    "status",
    "file_path",
    "command",
    "url",
    "pattern",
    "input",
    "response",
    "error",
    "agent_id",
    "agent_type",
    "user",
    "host",
    "cwd",
    "start_event_id",
    "end_event_id",
    "telemetry_status",
]


def window(df: pd.DataFrame, since: object = None, until: object = None) -> pd.DataFrame:
    """The rows with ``since <= timestamp < until``: dates or times (strings or datetimes), naive ones in UTC.

    The one time window every view, command and notebook uses; a bad bound raises :class:`UsageError`.
    """
    keep = pd.Series(True, index=df.index)
    for bound, cmp in ((since, "ge"), (until, "lt")):
        if bound is None or bound == "":
            continue
        try:
            ts = pd.Timestamp(bound)
        except ValueError as exc:
            raise UsageError(f"{bound!r} is not a date or time (use 2026-03-01 or 2026-03-01T12:00Z)") from exc
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        keep &= getattr(df["timestamp"], cmp)(ts).fillna(False)
    return df if bool(keep.all()) else df[keep]


def session_id_for(df: pd.DataFrame, wanted: str) -> str:
    """The one session whose id is ``wanted`` or starts with it; :class:`UsageError` listing the candidates
    when there is none or more than one (the rule every command and notebook uses)."""
    ids = sorted({str(s) for s in df["session_id"].dropna().unique()})
    hits = [s for s in ids if s == wanted] or [s for s in ids if s.startswith(wanted)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise UsageError(f"{len(hits)} sessions start with {wanted!r}: {', '.join(hits[:10])}; give more of the id")
    raise UsageError(f"no session starts with {wanted!r}; sessions: {', '.join(ids[:10]) or 'none'}")


def scope(df: pd.DataFrame, since: object = None, until: object = None, session: str | None = None) -> pd.DataFrame:
    """The rows in a time window and, given a session id or unique prefix, of that session only."""
    out = window(df, since, until)
    if session:
        out = out[out["session_id"] == session_id_for(df, session)]
    return out


_LONGEST_MS = 9e15  # ~285 years: pandas' timedeltas end at ~292


def tool_calls(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per tool call: PreToolUse and its PostToolUse/PostToolUseFailure merged.

    ``status`` is ok, error, interrupted, or ``unfinished`` (a Pre with no Post: denied,
    interrupted before a result, or still running). With Claude Code's telemetry loaded beside the hook's
    trail, ``status`` and the end stay the hook's: telemetry's ``tool_result`` ends only a call the hook
    never saw, and what it claims about each call is ``telemetry_status`` (None: it said nothing), so a
    forged or mistaken report shows beside the hook's record, never in its place. ``duration_ms`` is the
    recorded execution time (the hook's ``duration_ms``, Codex's ``exec_command_end`` duration, a seed
    line's ``executionTimeMs``), else end minus start; ``wall_ms`` is always end minus start: from the
    call's start event to the time its result came back. A duration is never negative: where the recorded
    one is, or the end is stamped before the start (the sources disagree), it is NaN and
    ``duration_note`` says why. ``columns``: only these of :data:`CALL_COLUMNS`, in that order (the others
    are not built: on a million events, the inputs and responses alone hold ~0.5 GB).
    """
    wanted = CALL_COLUMNS if columns is None else [c for c in CALL_COLUMNS if c in set(columns)]
    # rows are picked by position and each column taken once, for the Pre and the end event of every
    # call: copying the events first (then the Pres, the ends, and both aligned) held ~0.8 GB more at
    # the peak for a million events
    paired = _paired(df)
    if paired is None:
        return _empty_calls()[wanted]
    p, e, told = paired

    def first(col: str) -> pd.Series:
        return e[col].combine_first(p[col]) if col in e else p[col]

    start = p["timestamp"]
    # a seed line is a finished call stamped at its end: start = end - duration
    finish = e["timestamp"]
    wall = (finish - start).dt.total_seconds() * 1000
    recorded = e["duration_ms"]
    duration = recorded.where(recorded.notna(), wall)
    note = pd.Series(None, index=duration.index, dtype="object")
    note = note.mask(wall < 0, "the end is stamped before the start: the sources disagree")
    note = note.mask(recorded < 0, "a negative duration was recorded")
    duration, wall = duration.mask(duration < 0), wall.mask(wall < 0)
    # (a duration past ~290 years is no duration pandas can subtract: the start stays unknown)
    spans = e["duration_ms"].where(e["duration_ms"].abs() < _LONGEST_MS)
    start = start.where(start.notna(), finish - pd.to_timedelta(spans, unit="ms"))
    tool = first("tool").astype("object") if {"tool", "kind"} & set(wanted) else None
    made = {
        "tool": lambda: tool,
        # tool is set whenever kind is wanted
        "kind": lambda: cast(pd.Series, tool).map(lambda t: TOOL_KINDS.get(t, t)).astype("object"),
        "start": lambda: start,
        "end": lambda: finish,
        "duration_ms": lambda: duration.astype("float64"),
        "wall_ms": lambda: wall.astype("float64"),
        "duration_note": lambda: note,
        "status": lambda: e["status"].astype("object").where(e["status"].notna(), UNFINISHED),
        "input": lambda: p["input"].where(p["input"].notna(), e["input"]),
        "response": lambda: e["response"],
        "error": lambda: e["error"],
        "start_event_id": lambda: p["event_id"],
        "end_event_id": lambda: e["event_id"],
        "telemetry_status": lambda: (
            told["status"].astype("object") if "status" in told else pd.Series(None, index=told.index, dtype=object)
        ),
    }
    out = pd.DataFrame({c: made[c]() if c in made else first(c) for c in wanted})
    for c in ("tool", "status"):
        if c in out:
            out[c] = out[c].astype("category")
    out = out.assign(_order=start.where(start.notna(), finish)).sort_values("_order", kind="stable", na_position="last")
    return out.drop(columns="_order").reset_index(drop=True)


def _paired(df: pd.DataFrame) -> tuple[_Taken, _Taken, _Taken] | None:
    """Each call's PreToolUse, its end event and telemetry's last word on it (row positions, -1: none), or
    None when there are no calls."""
    rows = np.flatnonzero(df["event"].isin(_CALL_EVENTS).to_numpy(dtype=bool, na_value=False))
    if not len(rows):
        return None
    ids = df["tool_use_id"].take(rows)
    # a call is keyed by session and tool_use_id; events without an id (seed format) stand alone
    key = df["session_id"].take(rows).fillna("").astype(str) + "\x00" + ids.fillna("").astype(str)
    no_id = ids.isna()
    if no_id.any():
        key = key.where(~no_id, _shape_keys(df.iloc[rows[no_id.to_numpy()]]))
    codes, uniques = pd.factorize(key.to_numpy(dtype=object), sort=False)  # calls in order of first event
    event = df["event"].take(rows).astype("object").to_numpy()
    n = len(uniques)
    # each call's PreToolUse: the first one
    pre_at = np.full(n, -1, dtype=np.int64)
    is_pre = np.flatnonzero(event == "PreToolUse")
    first_pre = is_pre[np.unique(codes[is_pre], return_index=True)[1]]
    pre_at[codes[first_pre]] = rows[first_pre]
    # and its end: the last one the hook recorded. Telemetry (capture "otel") is another witness: it ends
    # only a call the hook never saw; for any other call its claim is kept apart (telemetry_status), so a
    # forged or mistaken tool_result can neither replace the hook's end nor finish a call the hook left open
    if "capture" in df:  # compared as the category it is (as objects: 0.72 -> 1.02 s on 200k events)
        otel = df["capture"].take(rows).eq("otel").to_numpy(dtype=bool, na_value=False)
    else:
        otel = np.zeros(len(rows), dtype=bool)
    hooked = np.zeros(n, dtype=bool)
    hooked[codes[~otel]] = True
    is_end = np.flatnonzero(np.isin(event, _ENDS))
    own = is_end[~(otel[is_end] & hooked[codes[is_end]])]
    end_at, told_at = _last_of_each(codes, rows, own, n), _last_of_each(codes, rows, is_end[otel[is_end]], n)
    index = pd.Index(uniques, dtype=object)
    return _Taken(df, pre_at, index), _Taken(df, end_at, index), _Taken(df, told_at, index)


def _last_of_each(codes: np.ndarray, rows: np.ndarray, picked: np.ndarray, n: int) -> np.ndarray:
    """Per call (``codes``), the row position of the last of the ``picked`` events (-1: none)."""
    at = np.full(n, -1, dtype=np.int64)
    if len(picked):
        order = np.lexsort((picked, codes[picked]))  # by call, then position
        last = order[np.r_[codes[picked][order][1:] != codes[picked][order][:-1], True]]
        at[codes[picked][last]] = rows[picked][last]
    return at


class _Taken:
    """One event per call (a row position each, -1: none), its columns taken from the frame on first use."""

    def __init__(self, df: pd.DataFrame, at: np.ndarray, index: pd.Index) -> None:
        self.df, self.at, self.index = df, at, index
        self.cache: dict[str, pd.Series] = {}

    def __contains__(self, col: str) -> bool:
        return col in self.df.columns

    def __getitem__(self, col: str) -> pd.Series:
        got = self.cache.get(col)
        if got is None:
            values = take(self.df[col].array, self.at, allow_fill=True)
            got = self.cache[col] = pd.Series(values, index=self.index, name=col)
        return got


#: The event columns :func:`tool_calls` reads (a view that narrows the rows first copies only these).
CALL_SOURCE = (
    "event", "timestamp", "session_id", "tool_use_id", "tool", "duration_ms", "status", "file_path", "command",
    "url", "pattern", "input", "response", "error", "agent_id", "agent_type", "user", "host", "cwd", "event_id",
    "capture",
)  # fmt: skip


def _shape_keys(ev: pd.DataFrame) -> pd.Series:
    """Keys for calls recorded before ``tool_use_id`` existed: the n-th PreToolUse of a session, tool and
    input pairs with the n-th Post event of the same session, tool and input, in time order."""
    import orjson

    def canonical(value: object) -> str:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()

    shape = (
        ev["session_id"].fillna("").astype(str)
        + "\x00"
        + ev["tool"].astype("object").fillna("").astype(str)
        + "\x00"
        + pd.Series([canonical(v) for v in ev["input"].tolist()], index=ev.index)
    )
    started = ev["event"].eq("PreToolUse")
    order = ev["timestamp"].rank(method="first").fillna(0) if ev["timestamp"].notna().any() else None
    ranked = ev.assign(_shape=shape, _started=started, _order=order if order is not None else range(len(ev)))
    nth = ranked.sort_values("_order", kind="stable").groupby(["_shape", "_started"], sort=False).cumcount()
    return "\x01" + shape + "\x00" + nth.reindex(ev.index).astype(str)


def _empty_calls() -> pd.DataFrame:
    """No calls, with the same column types as when there are some."""
    out = pd.DataFrame({c: pd.Series(dtype="object") for c in CALL_COLUMNS})
    out["start"] = out["end"] = pd.Series(dtype="datetime64[us, UTC]")
    out["duration_ms"] = out["wall_ms"] = pd.Series(dtype="float64")
    out["tool"] = out["tool"].astype("category")
    out["status"] = out["status"].astype("category")
    return out


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per tool: invocations, total/mean/p95 time, failures and failure rate (the seed's analyze-audit.js).

    Totals over all tools are in ``result.attrs["totals"]``. A failure is a call that ended in
    error or was interrupted.
    """
    calls = tool_calls(df, columns=["tool", "duration_ms", "status", "session_id"])
    failed = calls["status"].isin([tf.STATUS_ERROR, tf.STATUS_INTERRUPTED])
    calls = calls.assign(failed=failed)
    g = calls.groupby("tool", observed=True)
    out = pd.DataFrame(
        {
            "invocations": g.size(),
            "total_ms": g["duration_ms"].sum(min_count=1),
            "mean_ms": g["duration_ms"].mean(),
            "p95_ms": g["duration_ms"].quantile(0.95),
            "failures": g["failed"].sum().astype("int64"),
        }
    )
    out["failure_rate"] = out["failures"] / out["invocations"]
    out = out.sort_values(["invocations", "total_ms"], ascending=False)
    out.index = out.index.astype(str)
    out.index.name = "tool"
    n = len(calls)
    out.attrs["totals"] = {
        "invocations": n,
        "total_ms": float(calls["duration_ms"].sum()),
        "failures": int(failed.sum()),
        "failure_rate": float(failed.sum() / n) if n else 0.0,
        "unfinished": int((calls["status"] == UNFINISHED).sum()),
        "sessions": int(calls["session_id"].nunique()),
        "events": len(df),
    }
    return out


def by_host(df: pd.DataFrame) -> pd.DataFrame:
    """Per host (and the users seen there): events, sessions, tool calls, failures, first and last event.

    Trails merged from several machines are told apart by the ``host`` each record was written on;
    rows without one (transcripts, seed logs, auditkit's own ``trail_start``) count under ``unknown``.
    """
    cols = ["users", "events", "sessions", "calls", "failures", "first", "last"]
    # only the columns read here (a copy of every column of a million events costs ~0.5 GB); a trail's
    # start is no call, so the calls are those of the whole frame
    events = df.loc[df["event"] != tf.TRAIL_START, ["host", "user", "session_id", "timestamp"]]
    if events.empty:
        return pd.DataFrame(columns=cols).rename_axis("host")
    host = events["host"].astype("object").fillna("unknown")
    calls = tool_calls(df, columns=["host", "status"])
    calls = calls.assign(
        host=calls["host"].astype("object").fillna("unknown"),
        failed=calls["status"].isin([tf.STATUS_ERROR, tf.STATUS_INTERRUPTED]),
    )
    g = events.assign(host=host).groupby("host", sort=True)
    out = pd.DataFrame(
        {
            "users": g["user"].agg(lambda s: ", ".join(sorted(set(s.dropna())))),
            "events": g.size(),
            "sessions": g["session_id"].nunique(),
            "first": g["timestamp"].min(),
            "last": g["timestamp"].max(),
        }
    )
    cg = calls.groupby("host")
    out["calls"] = cg.size().reindex(out.index, fill_value=0).astype("int64")
    out["failures"] = cg["failed"].sum().reindex(out.index, fill_value=0).astype("int64")
    return out[cols]


def by_agent(df: pd.DataFrame) -> pd.DataFrame:
    """Per agent (claude-code, codex, gemini): events, sessions, tool calls, failures, first and last event."""
    cols = ["events", "sessions", "calls", "failures", "first", "last"]
    read = ["agent", "session_id", "timestamp", "event", "tool_use_id", "event_id", "status"]
    events = df.loc[df["event"] != tf.TRAIL_START, read]  # only the columns read here
    events = events.assign(agent=events["agent"].astype("object").fillna("unknown"))
    if events.empty:
        return pd.DataFrame(columns=cols).rename_axis("agent")
    g = events.groupby("agent", sort=True)
    out = pd.DataFrame(
        {
            "events": g.size(),
            "sessions": g["session_id"].nunique(),
            "first": g["timestamp"].min(),
            "last": g["timestamp"].max(),
        }
    )
    calls = events[events["event"].isin(_CALL_EVENTS)]
    call = calls["session_id"].astype(str) + "\x00" + calls["tool_use_id"].astype(object).fillna(calls["event_id"])
    calls = calls.assign(_call=call)
    failed = calls[calls["status"].isin([tf.STATUS_ERROR, tf.STATUS_INTERRUPTED])]
    out["calls"] = calls.groupby("agent")["_call"].nunique().reindex(out.index, fill_value=0).astype("int64")
    out["failures"] = failed.groupby("agent")["_call"].nunique().reindex(out.index, fill_value=0).astype("int64")
    return out[cols]
