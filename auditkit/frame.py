"""``load()``: trails of any supported format -> one pandas DataFrame with documented columns."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable

import pandas as pd

from auditkit.sources.files import PathLike, expand, read_file

#: The normalised columns, in order, with what each holds.
COLUMNS: dict[str, str] = {
    "timestamp": "when the event was recorded: tz-aware UTC (NaT where the source has no time)",
    "event": "hook event (PreToolUse, PostToolUse, PostToolUseFailure, UserPromptSubmit, ...), categorical",
    "status": "started, ok, error, interrupted or info; categorical",
    "tool": "tool name as Claude Code names it (Bash, Read, Edit, mcp__server__tool, ...), categorical",
    "session_id": "Claude Code session id",
    "tool_use_id": "id pairing a call's PreToolUse with its PostToolUse/PostToolUseFailure",
    "duration_ms": "call duration in ms, on the event that ends a call (derived by pairing)",
    "file_path": "file the call reads or writes (file_path / notebook_path of the input)",
    "command": "Bash command",
    "url": "WebFetch URL",
    "pattern": "Glob/Grep pattern or WebSearch query",
    "prompt": "user prompt (UserPromptSubmit)",
    "input": "full tool input (dict), as recorded",
    "response": "full tool response, as recorded",
    "error": "error text of a failed call or a hook error",
    "cwd": "working directory of the session",
    "transcript_path": "Claude Code transcript of the session",
    "permission_mode": "default, plan, acceptEdits, bypassPermissions, ...",
    "user": "OS user the hook ran as",
    "host": "host the hook ran on",
    "agent": "agent that acted (claude-code)",
    "agent_id": "subagent id, inside a subagent",
    "agent_type": "subagent type, inside a subagent",
    "redactions": "secrets redacted from this record",
    "truncated": "fields cut to the size cap, as [{field, bytes, sha256}] (empty list when none)",
    "data": "every other payload field (dict), kept as recorded",
    "model": "model that answered (transcripts)",
    "message_id": "API message id (transcripts' assistant_message rows)",
    "request_id": "API request id (transcripts' assistant_message rows)",
    "input_tokens": "input tokens of the API message, counted once per message (transcripts)",
    "output_tokens": "output tokens of the API message (transcripts)",
    "cache_creation_tokens": "tokens written to the prompt cache (transcripts)",
    "cache_read_tokens": "tokens read from the prompt cache (transcripts)",
    "seq": "sequence number in its trail (auditkit trails)",
    "trail_id": "id of the trail the record belongs to",
    "hash": "record hash in the chain (auditkit trails)",
    "event_id": "stable id of the event (trail_id:seq, tool:<id>:pre|post, msg:<id>:<request>, or a hash of the "
                "source line): load() keeps one row per id",
    "source_format": "auditkit, seed, hook_payload or transcript",
    "source_file": "file the row was read from",
    "source_line": "line number in that file (1-based)",
}

_CATEGORIES = ("event", "status", "tool", "source_format", "agent", "permission_mode", "model")
_COUNTS = ("redactions", "seq", "source_line", "input_tokens", "output_tokens", "cache_creation_tokens",
           "cache_read_tokens")
_STRINGS = (
    "session_id", "tool_use_id", "file_path", "command", "url", "pattern", "prompt", "error", "cwd",
    "transcript_path", "user", "host", "agent_id", "agent_type", "trail_id", "hash", "event_id", "source_file",
    "message_id", "request_id",
)  # fmt: skip


def load(paths: PathLike | Iterable[PathLike], *, strict: bool = False, progress: bool | None = None) -> pd.DataFrame:
    """Read trails (files, folders, globs; plain or gzipped; any supported format) into one frame.

    Rows are ordered by time, then by file and line, so equal timestamps keep their recorded order.
    An event seen twice (the same trail copied to two places, a usage line Claude Code repeats, a
    resumed transcript) is kept once, by its ``event_id``; ``df.attrs["duplicates"]`` counts them.
    Malformed lines do not stop a load: they are listed in ``df.attrs["problems"]`` as
    ``{"file", "line", "reason"}`` and summarised in a warning (``strict=True`` raises instead).
    ``progress``: show a progress line on stderr (default: for loads over 64 MB on a terminal).

    Example::

        df = auditkit.load("sample_logs/")
        df[df.tool == "Bash"][["timestamp", "command", "status"]]
    """
    files = expand(paths)
    problems: list[dict] = []
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    appenders = [(c, columns[c].append) for c in COLUMNS]
    total = sum(f.stat().st_size for f in files)
    show = progress if progress is not None else (total > 64 << 20 and sys.stderr.isatty())
    bar = _Progress(total) if show else None
    for f in files:
        for row in read_file(f, problems, strict=strict, on_bytes=bar.add if bar else None):
            get = row.get
            for c, append in appenders:
                append(get(c))
    if bar:
        bar.close()
    df = frame_from_rows(columns)
    before = len(df)
    df = df[~df["event_id"].duplicated(keep="last")].reset_index(drop=True)
    df.attrs["files"] = [str(f) for f in files]
    df.attrs["problems"] = problems
    df.attrs["duplicates"] = before - len(df)
    if problems:
        first = problems[0]
        warnings.warn(
            f"{len(problems)} unreadable line(s) skipped; first at {first['file']}:{first['line']}: "
            f"{first['reason']} (all of them are in df.attrs['problems'])",
            stacklevel=2,
        )
    return df


class _Progress:
    """A one-line progress display on stderr (bytes read of the total)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.shown = max(total, 1), 0, -1

    def add(self, n: int) -> None:
        self.done += n
        pct = self.done * 100 // self.total
        if pct != self.shown:
            self.shown = pct
            sys.stderr.write(f"\rauditkit: loading {self.done / 1e6:,.0f} / {self.total / 1e6:,.0f} MB ({pct}%)")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


def frame_from_rows(columns: dict[str, list] | list[dict]) -> pd.DataFrame:
    """Columns (or rows) with the normalised keys -> the typed, ordered frame."""
    if isinstance(columns, list):
        columns = {c: [r.get(c) for r in columns] for c in COLUMNS}
    df = pd.DataFrame({c: pd.Series(columns[c], dtype="object") for c in COLUMNS})
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="ISO8601")
    for col in _CATEGORIES:
        df[col] = df[col].astype("category")
    for col in _STRINGS:
        df[col] = df[col].astype("string")
    df["duration_ms"] = pd.to_numeric(df["duration_ms"], errors="coerce").astype("float64")
    for col in _COUNTS:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    df["truncated"] = [t if isinstance(t, list) else [] for t in df["truncated"]]
    df = df.sort_values(["timestamp", "source_file", "source_line"], kind="stable", na_position="last")
    return df.reset_index(drop=True)
