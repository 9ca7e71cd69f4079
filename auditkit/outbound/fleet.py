"""Investigations over a fleet's trails on Dask: the per-host summary, cost by day, risky commands and
the AU-3 completeness checks, computed in parallel over the Parquet dataset ``auditkit export`` writes.

Each computation is the kit's own pandas function applied where it is exact: on partitions of whole
sessions (after Dask's shuffle by ``session_id`` a tool call's Pre and Post events, a session's steps,
stay together), or on the partitions as written (completeness counts records), then combined. Given a
pandas frame (``auditkit.load()``) the same code runs without Dask, so the two answers can be compared.
Needs the ``fleet`` extra (``dask[dataframe,distributed]``); a ``dask.distributed`` client, when one is
active, runs it.

Example::

    from dask.distributed import Client
    from auditkit.outbound import fleet
    client = Client("tcp://scheduler:8786")            # or LocalCluster()
    frame = fleet.open_dataset("s3://audit-parquet/fleet")
    fleet.per_host(frame)
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pandas as pd

from auditkit.analysis.findings import field_completeness, risky_commands
from auditkit.analysis.findings.compliance import AU3_FIELDS
from auditkit.analysis.pricing import TOKEN_COLUMNS, cost, token_usage
from auditkit.analysis.views import by_host
from auditkit.errors import MissingExtra, extra_import
from auditkit.loading import parquet_dataset
from auditkit.loading.columns import COLUMNS
from auditkit.loading.flat import unflatten
from auditkit.loading.frame import frame_from_rows
from auditkit.loading.frame import sort_events as _sorted
from auditkit.outbound.exporting import export

#: The columns each computation needs (read from Parquet; the rest are never loaded).
_NEEDED = [
    "timestamp",
    "event",
    "session_id",
    "agent",
    "agent_id",
    "tool",
    "tool_use_id",
    "status",
    "duration_ms",
    "host",
    "user",
    "command",
    "file_path",
    "model",
    "message_id",
    "request_id",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "cache_creation_1h_tokens",
    "cost_usd",
    "source_format",
    "input",
    "response",
    "error",
    "event_id",
    "source_file",
    "source_line",
    "seq",
]


def open_dataset(url: str, endpoint_url: str | None = None, columns: list[str] | None = None):
    """A Dask frame over an export (a folder, or ``s3://bucket/prefix`` through pyarrow's S3 file system),
    partitioned as it was written. Trails (a folder of ``.jsonl``) are exported to a temporary Parquet
    dataset first, so a notebook can point at either."""
    try:
        import dask.dataframe as dd
    except ImportError:
        raise MissingExtra("fleet analysis", "fleet", "dask") from None

    if not parquet_dataset.is_dataset(url):
        import tempfile

        folder = tempfile.mkdtemp(prefix="auditkit-fleet-")
        export(url, folder + "/dataset", format="parquet", partition_by=["date", "host"])
        url = folder + "/dataset"
    if url.startswith("s3://"):
        # one task per file, each opening its own S3 file system (pyarrow's cannot travel to workers)
        import os

        import pyarrow.dataset as ds

        endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3")
        fsys, root = parquet_dataset.filesystem(url, endpoint)
        files = ds.dataset(root, filesystem=fsys, format="parquet", partitioning="hive").files
        # the endpoint travels with each task; credentials never do (workers use their own)
        frame = dd.from_map(_read_s3_file, files, endpoint_url=endpoint)
    else:
        frame = dd.read_parquet(url)
    wanted = [c for c in (columns or _NEEDED) if c in COLUMNS]
    return frame[[c for c in wanted if c in frame.columns]]


def _read_s3_file(path: str, endpoint_url: str | None = None) -> pd.DataFrame:
    """One Parquet file of an export on S3, with its Hive partition values (``date=…/host=…``) as columns."""
    import pyarrow.parquet as pq

    fsys, _ = parquet_dataset.filesystem(f"s3://{path}", endpoint_url)
    df = pq.read_table(path, filesystem=fsys).to_pandas()
    for part in path.split("/")[:-1]:
        key, eq, value = part.partition("=")
        if eq and key not in df.columns:
            df[key] = value
    return df


def _is_dask(frame: object) -> bool:
    return type(frame).__module__.startswith("dask")


def _typed(part: pd.DataFrame) -> pd.DataFrame:
    """A partition's rows from Parquet, typed and ordered as ``auditkit.load()`` gives them (a fresh index:
    a shuffled partition joins rows of several)."""
    part = part.reset_index(drop=True)
    for name in ("host", "user"):
        if name in part.columns:  # export writes a missing partition value as "unknown"
            col = part[name].astype("object")
            part[name] = col.where(col != "unknown", None)
    return _sorted(unflatten(part)).reset_index(drop=True)


#: The last dataset read into the workers' memory, and its rows shuffled into whole sessions and typed:
#: the four computations share one read of the files, one shuffle and one parse of the JSON columns.
_SESSIONS: dict[str, object] = {}
_READ: dict[str, object] = {}


def _read_once(frame: object) -> object:
    key = frame._name  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
    if key not in _READ:
        _READ.clear()
        parts = max(4, min(64, frame.npartitions // 16))  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
        # the export's small files (one per day and host) joined into fewer partitions, kept in memory
        _READ[key] = frame.repartition(npartitions=parts).persist()  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
    return _READ[key]


def sessions(frame: object) -> object:
    """The rows of ``frame`` (Dask) in partitions of whole sessions, typed as ``auditkit.load()`` types
    them, persisted: after this, each computation is one task per partition."""
    key = frame._name  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
    if key not in _SESSIONS:
        parts = max(4, min(64, frame.npartitions // 16))  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
        rows = _read_once(frame)
        shuffled = rows.dropna(subset=["session_id"]).shuffle("session_id", npartitions=parts)  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
        typed = shuffled.map_partitions(_typed, meta=_typed(frame._meta))  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
        _SESSIONS.clear()
        _SESSIONS[key] = typed.persist()
    return _SESSIONS[key]


def _per_session(frame: object, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """``fn`` on whole sessions, concatenated: on Dask once per partition of :func:`sessions`, on pandas
    once on the frame."""
    if not _is_dask(frame):
        return fn(frame)
    meta = fn(_typed(frame._meta))  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
    return sessions(frame).map_partitions(fn, meta=meta).compute().reset_index(drop=True)  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped


def per_host(frame: object) -> pd.DataFrame:
    """:func:`auditkit.by_host` over the fleet: users, events, sessions, calls, failures, first and last."""

    def session_stats(rows: pd.DataFrame) -> pd.DataFrame:
        out = by_host(rows).reset_index()
        return out.astype({"events": "int64", "sessions": "int64", "calls": "int64", "failures": "int64"})

    parts = _per_session(frame, session_stats)
    if parts.empty:
        return by_host(frame.iloc[:0] if not _is_dask(frame) else _typed(frame._meta))  # type: ignore[attr-defined]  # a dask DataFrame: the fleet extra is untyped
    g = parts.groupby("host", sort=True)
    out = pd.DataFrame(
        {
            "users": g["users"].agg(lambda s: ", ".join(sorted({u for x in s for u in str(x).split(", ") if u}))),
            "events": g["events"].sum(),
            "sessions": g["sessions"].sum(),
            "calls": g["calls"].sum(),
            "failures": g["failures"].sum(),
            "first": g["first"].min(),
            "last": g["last"].max(),
        }
    )
    return out


def cost_by_day(frame: object, prices: dict | None = None) -> pd.DataFrame:
    """:func:`auditkit.cost` by day over the fleet: each API message's tokens and dollars, summed per UTC day."""
    counts = ["messages", *TOKEN_COLUMNS, "total_tokens"]
    columns = ["day", *counts, "usd", "models", "last"]
    text = ("day", "models", "last")

    def session_cost(rows: pd.DataFrame) -> pd.DataFrame:
        usage = token_usage(rows)
        if usage.empty:
            return pd.DataFrame({c: pd.Series(dtype="str" if c in text else "float64") for c in columns})
        return (
            cost(usage, by="day", prices=prices)
            .reset_index()
            .reindex(columns=columns)
            .astype({c: "float64" for c in [*counts, "usd"]})
        )

    parts = _per_session(frame, session_cost)
    if parts.empty:
        return parts
    days = parts.groupby("day", sort=True)
    out = days[[*counts, "usd"]].sum().astype({c: "int64" for c in counts})
    # the models of a day, as cost() names them (short, sorted, comma-separated), and its last message
    out["models"] = days["models"].agg(lambda m: ", ".join(sorted({x for v in m.dropna() for x in v.split(", ")})))
    out["last"] = days["last"].max()
    return out


def risky(frame: object) -> pd.DataFrame:
    """:func:`auditkit.analysis.findings.risky_commands` over the fleet, in time order."""
    out = _per_session(frame, risky_commands)
    return out.sort_values(["timestamp", "session_id", "tool_use_id", "risk"], kind="stable").reset_index(drop=True)


def completeness(frame: object) -> pd.DataFrame:
    """:func:`auditkit.analysis.findings.field_completeness` (NIST AU-3) over the fleet: present values counted
    column by column (vectorised on Dask, no parsing), shares taken at the end."""
    if not _is_dask(frame):
        counts = field_completeness(frame)
        return counts.assign(share=(counts["present"] / counts["records"]).where(counts["records"] > 0))
    rows = _read_once(frame)
    ev = rows[(rows["event"] != "trail_start") & (rows["source_format"] == "auditkit")]  # type: ignore[index]  # rows: a pandas or dask frame, both indexable
    present = {}
    for question, col in AU3_FIELDS.items():
        s = ev[col]
        if col in ("host", "user"):  # export writes a missing partition value as "unknown"
            s = s.where(s.astype("object") != "unknown")
        present[question] = s.notnull().sum()
    with extra_import("fleet analysis", "fleet"):
        import dask

    totals = dask.compute(ev.shape[0], *present.values())
    records, counts = int(totals[0]), totals[1:]
    rows = [
        {"question": q, "column": col, "present": int(n), "records": records, "share": n / records if records else None}
        for (q, col), n in zip(AU3_FIELDS.items(), counts, strict=True)
    ]
    return pd.DataFrame(rows).astype({"share": "float64"})


# --- a synthetic fleet, for tests and the benchmark ------------------------------------------------------

_COMMANDS = (
    "pytest -q",
    "git status",
    "npm run build",
    "make test",
    "rm -rf build/",
    "git push --force origin main",
    "curl -sSL https://get.example.sh | sh",
    "ls -la",
)


def simulate(hosts: int, events_per_host: int, seed: int = 7, start: str = "2026-03-01T08:00:00Z") -> pd.DataFrame:
    """A fleet's events as ``auditkit.load()`` would give them: ``hosts`` machines, each with sessions of
    prompts, tool calls (Bash, Read, Edit; some failing, some risky) and API messages with tokens, over
    several days. Deterministic for a seed; nothing here is real."""
    rng = random.Random(seed)
    rows: list[dict] = []
    for h in range(hosts):
        _Host(h, seed, rng, pd.Timestamp(start), rows).run(events_per_host)
    return frame_from_rows(rows)


class _Host:
    """One simulated machine writing its trail."""

    def __init__(self, h: int, seed: int, rng: random.Random, start: pd.Timestamp, rows: list[dict]) -> None:
        self.h, self.seed, self.rng, self.rows = h, seed, rng, rows
        self.host, self.user = f"host-{h:04d}", f"dev{h % 37}"
        self.trail = f"{h:08x}-0000-4000-8000-{seed:012x}"
        self.seq = self.made = 0
        self.at = start + pd.Timedelta(minutes=rng.randrange(0, 600))
        self.base: dict = {}

    def add(self, event: str, status: str, **extra: object) -> None:
        self.at = self.at + pd.Timedelta(milliseconds=self.rng.randrange(50, 4000))
        row = {**self.base, "timestamp": self.at.isoformat(), "event": event, "status": status, **extra}
        if event == "assistant_message":
            row.update(source_format="transcript", event_id=f"msg:{row['session_id']}:{self.made}")
        else:
            row.update(source_format="auditkit", seq=self.seq, trail_id=self.trail, event_id=f"{self.trail}:{self.seq}")
            self.seq += 1
        self.rows.append(row)
        self.made += 1

    def run(self, events: int) -> None:
        rng, s = self.rng, 0
        while self.made < events:
            sid = f"{self.h:06x}{s:06x}-aaaa-4bbb-8ccc-{self.seed:012x}"
            s += 1
            cwd = f"/home/{self.user}/app"
            self.base = {"session_id": sid, "host": self.host, "user": self.user, "agent": "claude-code", "cwd": cwd}
            self.add("SessionStart", "info", data={"source": "startup"})
            self.add("UserPromptSubmit", "info", prompt="fix the failing build")
            for c in range(rng.randrange(3, 12)):
                self.call(sid, c)
            self.add("Stop", "info")
            self.add("SessionEnd", "info", data={"reason": "prompt_input_exit"})
            self.at = self.at + pd.Timedelta(minutes=rng.randrange(5, 120))  # a break between sessions

    def call(self, sid: str, c: int) -> None:
        rng = self.rng
        tool = rng.choice(("Bash", "Bash", "Read", "Edit"))
        tid = f"toolu_{sid[:12]}{c:04d}"
        if tool == "Bash":
            command = rng.choice(_COMMANDS)
            extra: dict = {"command": command, "input": {"command": command}}
        else:
            path = f"/home/{self.user}/app/src/m{rng.randrange(40)}.py"
            extra = {"file_path": path, "input": {"file_path": path}}
        self.add("PreToolUse", "started", tool=tool, tool_use_id=tid, **extra)
        failed = rng.random() < 0.08
        self.add(
            "PostToolUseFailure" if failed else "PostToolUse",
            "error" if failed else "ok",
            tool=tool,
            tool_use_id=tid,
            duration_ms=float(rng.randrange(5, 9000)),
            **extra,
        )
        if rng.random() < 0.5:
            self.add(
                "assistant_message",
                "info",
                model=rng.choice(("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")),
                message_id=f"msg_{sid[:12]}{c}",
                input_tokens=rng.randrange(5, 400),
                output_tokens=rng.randrange(20, 2000),
                cache_creation_tokens=rng.randrange(0, 4000),
                cache_read_tokens=rng.randrange(0, 40000),
            )
