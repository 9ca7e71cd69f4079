"""The cost reader: from transcripts, only the lines and fields that cost needs, on every core.

``load()`` builds some forty columns for every line, tool results included, to answer any question;
cost needs, per API message, its id, model, time, session, subagent and token counts. This reader
parses only assistant lines and ``agent_progress`` lines (a byte search finds them; user lines with
tool results, often most of a transcript, are never parsed) and returns the same frame as
:func:`token_usage` on a loaded frame, with the same rules: one row per message id,
the copy with the most output tokens kept, a subagent's messages found in its own file or in the
parent's ``agent_progress`` lines counted once. ``tests/test_usage_scan.py`` holds the two equal.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from auditkit.errors import UsageError
from auditkit.loading.readers import transcript
from auditkit.store.files import PathLike, expand, first_record, is_gzip
from auditkit.store.parallel import cpus, in_order

if TYPE_CHECKING:
    import pandas as pd

_WANTED = (b'"assistant"', b'"agent_progress"')  # any spacing: written by JSON.stringify or by hand
#: Token columns of the frame, in the order of the rates in :func:`auditkit.analysis.pricing.rates`.
TOKEN_COLUMNS = ["input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"]
#: The columns of a usage row (as :func:`token_usage` gives them).
COLUMNS = [
    "timestamp",
    "session_id",
    "agent",
    "agent_id",
    "model",
    "message_id",
    "request_id",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_creation_1h_tokens",
    "cache_read_tokens",
    "cache_5m_tokens",
    "day",
]
_PARALLEL_MIN = 32 << 20  # below this, starting worker processes costs more than it saves


_LAST = "\uffff"  # sorts after every time: rows without one go last, as load() puts them


def _text(value: object) -> object:
    """A key field as load() writes it: a string (or nothing) as it is, a forged list or object as its JSON text,
    so it can key a sum (a list cannot) and reads as the same value load() shows."""
    if value is None or type(value) is str:
        return value
    return orjson.dumps(value).decode()


def _row(rec: dict, agent: object, file_no: int, at: int) -> tuple | None:
    """(sortable UTC time, file, where its line starts, message id, output tokens, time, session, agent, model,
    request id, input, cache write, of it 1-hour, cache read): a message's usage, in an order tuples sort by."""
    msg = rec.get("message")
    if type(msg) is not dict:
        return None
    usage = msg.get("usage")
    if type(usage) is dict:
        caching = usage.get("cache_creation")
        hour = caching.get("ephemeral_1h_input_tokens") if type(caching) is dict else 0
        out, inp = usage.get("output_tokens"), usage.get("input_tokens")
        write, read = usage.get("cache_creation_input_tokens"), usage.get("cache_read_input_tokens")
    else:
        hour = out = inp = write = read = 0
    mid = msg.get("id") or f"uuid:{rec.get('uuid')}"
    if type(mid) is not str:
        mid = str(mid)  # a forged id (an object, a list) keys as load() writes it
    ts = rec.get("timestamp")
    when = ts[:-1] if type(ts) is str and ts.endswith("Z") else (_utc(ts)[1] or _LAST)
    session, model, rid = rec.get("sessionId"), msg.get("model"), rec.get("requestId")
    return (  # each count an int or 0 (as _int: a bool, a float, a string count nothing); _text only if needed
        when,
        file_no,
        at,
        mid,
        out if type(out) is int else 0,
        ts,
        session if session is None or type(session) is str else _text(session),
        agent,
        model if model is None or type(model) is str else _text(model),
        rid if rid is None or type(rid) is str else _text(rid),
        inp if type(inp) is int else 0,
        write if type(write) is int else 0,
        hour if type(hour) is int else 0,
        read if type(read) is int else 0,
    )


def _scan_file(job: tuple[int, str], once: bool = True) -> tuple[list[tuple], list[dict]]:
    """Usage rows of one transcript file (one per message id, the copy kept as load() keeps it; every copy
    unless ``once``), and its damaged lines."""
    file_no, name = job
    with open(name, "rb") as fh:
        data = fh.read()
    if is_gzip(name):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            return [], [{"file": name, "line": 1, "reason": f"the gzip stream is damaged ({exc})"}]
    found: list[tuple] = []
    problems: list[dict] = []
    loads = orjson.loads
    # the lines (split at \n) holding either needle, found by searching the whole text in C: no bytes object
    # is made for any other line. A message is placed by where its line starts (the order of its lines); only
    # a damaged line is numbered, counting the newlines since the last damaged one (once over the file).
    find, rfind, count = data.find, data.rfind, data.count
    view = memoryview(data)  # a line parsed where it lies, not copied out first
    needle_a, needle_b = _WANTED
    next_a, next_b = find(needle_a), find(needle_b)
    pos = 0  # the start of the line after the last one read
    counted, line_no = 0, 1  # the line starting at counted is numbered line_no
    while next_a >= 0 or next_b >= 0:
        hit = next_a if next_b < 0 or 0 <= next_a < next_b else next_b
        start = rfind(b"\n", pos, hit) + 1 or pos
        end = find(b"\n", hit)
        if end < 0:
            end = len(data)
        line = view[start:end]
        pos = end + 1
        if 0 <= next_a < pos:
            next_a = find(needle_a, pos)
        if 0 <= next_b < pos:
            next_b = find(needle_b, pos)
        try:
            obj = loads(line)
        except orjson.JSONDecodeError as exc:
            line_no += count(b"\n", counted, start)
            counted = start
            problems.append({"file": name, "line": line_no, "reason": str(exc)})
            continue
        row = _message(obj, file_no, start) if type(obj) is dict else None
        if row is not None:
            found.append(row)
    return (_best_copies(found) if once else found), problems


def _message(obj: dict, file_no: int, at: int) -> tuple | None:
    """The usage row of a transcript line: an assistant line's message, or the subagent's message a parent's
    ``agent_progress`` line embeds (its session and time from the line when it has none)."""
    kind = obj.get("type")
    if kind == "assistant":
        return _row(obj, obj.get("agentId") or ("sidechain" if obj.get("isSidechain") else None), file_no, at)
    if kind != "progress":
        return None
    data = data_raw if type(data_raw := obj.get("data")) is dict else {}
    inner = data.get("message")
    if data.get("type") != "agent_progress" or type(inner) is not dict or inner.get("type") != "assistant":
        return None
    rec = {
        **inner,
        "sessionId": inner.get("sessionId") or obj.get("sessionId"),
        "timestamp": inner.get("timestamp") or obj.get("timestamp"),
    }
    return _row(rec, data.get("agentId") or inner.get("agentId") or "subagent", file_no, at)


def _best_copies(rows: list[tuple]) -> list[tuple]:
    """One row per message id: the most output tokens, the last of those in time, file and line order."""
    best: dict[str, tuple] = {}
    get = best.get
    for r in rows:  # one pass (a tuple's time, file and line are never equal to another's: no sort needed)
        kept = get(r[3])
        if kept is None or r[4] > kept[4] or (r[4] == kept[4] and r > kept):
            best[r[3]] = r
    return list(best.values())


def token_usage(df: pd.DataFrame) -> pd.DataFrame:
    """One row per API message (already counted once by ``load``): time, session, subagent, model, tokens.

    The frame counterpart of :func:`usage_rows` (one rule for both; ``auditkit.token_usage`` is this)."""
    import pandas as pd  # noqa: F401 - the frame's methods need it loaded; `auditkit cost` never comes here

    msgs = df[df["event"] == "assistant_message"]
    cols = ["timestamp", "session_id", "agent", "agent_id", "model", "message_id", "request_id", "cost_usd"]
    out = msgs[[c for c in cols if c in msgs] + TOKEN_COLUMNS + ["cache_creation_1h_tokens"]].copy()
    tokens = [*TOKEN_COLUMNS, "cache_creation_1h_tokens"]
    out[tokens] = out[tokens].fillna(0).astype("int64")
    out["cache_5m_tokens"] = (out["cache_creation_tokens"] - out["cache_creation_1h_tokens"]).clip(lower=0)
    out["model"] = out["model"].astype("object")
    out["agent"] = out["agent"].astype("object").fillna("claude-code")
    out["agent_id"] = out["agent_id"].fillna("main")
    out["day"] = out["timestamp"].dt.strftime("%Y-%m-%d")
    reported = df[df["event"] == "api_request"] if "cost_usd" in df else df.iloc[:0]
    if len(reported):  # Claude Code's own figure, joined on the request id
        by_request = dict(zip(reported["request_id"].astype(str), reported["cost_usd"], strict=True))
        out["reported_usd"] = out["request_id"].astype(str).map(by_request).astype("float64")
    return out.reset_index(drop=True)


def usage_rows(
    paths: PathLike | Iterable[PathLike], workers: int | None = None, since: str | None = None, until: str | None = None
) -> tuple[list[dict], list[dict], list[str]]:
    """(one dict per API message, damaged lines, files): the plain-Python core of :func:`scan_usage`.

    ``since``/``until`` keep messages with ``since <= time < until`` (ISO dates or times, UTC).
    """
    files, jobs, priced, total = plan(paths)
    results = scan_files(jobs, total, workers)
    problems = in_file_order([p for _, found in results for p in found], jobs)
    keep = sorted(_best_copies([r for rows, _ in results for r in rows]))
    extra, more_problems = _other_agents_rows(priced) if priced else ([], [])
    problems += more_problems
    lo, hi = _bound(since), _bound(until)
    rows = [_usage_row(k) for k in keep if _kept(k[0], lo, hi)]
    extra = [r for r in extra if _within(r["timestamp"], lo, hi)]
    if extra and rows:  # a message in a transcript and in a copy of it (chat.json) is counted once, as load() does
        best: dict = {}
        for r in rows + extra:
            kept = best.get(r["message_id"])
            if kept is None or r["output_tokens"] >= kept["output_tokens"]:
                best[r["message_id"]] = r
        return list(best.values()), problems, [str(f) for f in files]
    return rows + extra, problems, [str(f) for f in files]


def plan(paths: PathLike | Iterable[PathLike]) -> tuple[list[Path], list[tuple[int, str]], list[Path], int]:
    """(every file under ``paths``, the Claude Code transcripts as numbered jobs for :func:`scan_files`, the
    other agents' files that may hold token counts (left to ``load()``), the bytes of all the files)."""
    files = expand(paths)
    others = [f for f in files if _other_agent(f)]  # anything but transcript lines: read by load() itself
    priced = [f for f in others if _may_hold_tokens(f)]  # a trail of tool calls alone is not loaded for nothing
    jobs = list(enumerate(str(f) for f in files if f not in others))
    return files, jobs, priced, sum(f.stat().st_size for f in files)


def scan_files(
    jobs: list[tuple[int, str]],
    total: int,
    workers: int | None = None,
    after: Callable[[list[tuple], list[dict], list[tuple[int, str]]], Any] | None = None,
) -> list:
    """The message tuples (one per message id) and damaged lines of the transcript jobs, a bundle of them at a
    time (see :func:`_bundled`), or what ``after(tuples, damaged, bundle)`` makes of each bundle's where it was
    read: in worker processes for a large input of several files, each bundle's result handed back whole."""
    workers = workers or (cpus(8) if total >= _PARALLEL_MIN and len(jobs) > 1 else 1)
    bundles = _bundled(jobs, total // (2 * workers) if workers > 1 else None)

    def work(i: int) -> Any:
        found = scan_bundle(bundles[i])
        return after(*found, bundles[i]) if after else found

    with no_collection():
        if workers > 1:
            return list(in_order(len(bundles), work, workers))  # a killed worker: no hang
        return [work(i) for i in range(len(bundles))]


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a scan and its sums make no reference cycles, and collecting while
    they allocate hundreds of thousands of tuples (then once over all of them) costs ~10% for nothing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _bundled(jobs: list[tuple[int, str]], most: int | None) -> list[list[tuple[int, str]]]:
    """The jobs in bundles read together, largest first: a project folder's files (a resumed session's copies
    of earlier messages, a subagent's file beside its parent's progress lines: each message's copies within
    one bundle), or each session's (its file and its subagents' files) in a folder larger than ``most``
    bytes, so that the workers share the work."""
    sizes = {name: os.stat(name).st_size for _, name in jobs}
    dirname, basename = os.path.dirname, os.path.basename  # the names are str(Path): no pathlib needed to split

    def session(name: str) -> str:
        parent = dirname(name)
        if basename(parent) == "subagents":
            return dirname(parent)
        return os.path.join(parent, basename(name).split(".", 1)[0])

    by_folder: dict[str, list[tuple[int, str]]] = {}
    for job in jobs:
        by_folder.setdefault(dirname(session(job[1])), []).append(job)
    bundles = []
    for folder in by_folder.values():
        if most is None or sum(sizes[name] for _, name in folder) <= most:
            bundles.append(folder)
            continue
        by_session: dict[str, list[tuple[int, str]]] = {}
        for job in folder:
            by_session.setdefault(session(job[1]), []).append(job)
        bundles.extend(by_session.values())
    bundles.sort(key=lambda b: -sum(sizes[name] for _, name in b))  # the largest first: the workers end together
    return bundles


def scan_bundle(jobs: list[tuple[int, str]]) -> tuple[list[tuple], list[dict]]:
    """:func:`_scan_file` of several files: each message id once among them."""
    if len(jobs) == 1:
        return _scan_file(jobs[0])
    rows: list[tuple] = []
    problems: list[dict] = []
    for job in jobs:
        found, damaged = _scan_file(job, once=False)  # once among them all
        rows += found
        problems += damaged
    return _best_copies(rows), problems


def in_file_order(problems: list[dict], jobs: list[tuple[int, str]]) -> list[dict]:
    """Damaged lines in the order of the files (as found), then of the lines."""
    order = {name: n for n, name in jobs}
    return sorted(problems, key=lambda p: (order.get(p["file"], len(order)), p["line"]))


def window(since: str | None, until: str | None) -> Callable[[str], bool]:
    """Whether a message tuple's sortable time (its first item) is within ``since <= time < until``."""
    lo, hi = _bound(since), _bound(until)
    return lambda when: _kept(when, lo, hi)


def _kept(when: str, lo: str | None, hi: str | None) -> bool:
    """Whether a message's time is within ``lo <= time < hi`` (a message with no time is kept without bounds)."""
    return not ((lo and (when == _LAST or when < lo)) or (hi and (when == _LAST or when >= hi)))


def _usage_row(k: tuple) -> dict:
    """One usage row from a kept message tuple (see :func:`_best_copies`)."""
    when, _, _, mid, out, ts, session, agent, model, rid, inp, cw, cw1h, cr = k
    return {
        "timestamp": ts,
        "session_id": session,
        "agent": "claude-code",
        "agent_id": agent or "main",
        "model": model,
        "message_id": mid,
        "request_id": rid,
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_tokens": cw,
        "cache_creation_1h_tokens": cw1h,
        "cache_read_tokens": cr,
        "cache_5m_tokens": max(0, cw - cw1h),
        "day": _utc(ts)[0] if when != _LAST else None,
    }


def _other_agent(path: Path) -> bool:
    """A file this reader does not read itself, left to ``load()``: anything whose first line is not a
    Claude Code transcript line. A Codex rollout, a Gemini CLI session, a transcript copied as one JSON
    array (``chat.json``), a hook-payload log, an auditkit trail: ``auditkit cost`` and
    ``auditkit.cost(auditkit.load(...))`` agree on every input ``load()`` reads."""
    if path.name.startswith(("rollout-", "session-")):
        return True
    first = first_record(path)
    return first is None or not transcript.matches(first) or "projectHash" in first


def _may_hold_tokens(path: Path) -> bool:
    """False for a plain file in which no reader could find a token count (no ``_tokens`` key, no Gemini
    ``"tokens"``): an auditkit trail or a payload log of tool calls alone, which load() would read in
    full for no usage row. A gzipped file is read (its bytes say nothing)."""
    import mmap

    if is_gzip(path):
        return True
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b"_tokens") >= 0 or data.find(b'"tokens"') >= 0
    except (OSError, ValueError):  # empty (mmap refuses 0 bytes) or unreadable: load() says what is wrong
        return True


def _other_agents_rows(files: list[Path]) -> tuple[list[dict], list[dict]]:
    """(usage rows, damaged lines) of the files left to the full readers."""
    import warnings

    from auditkit.loading.frame import load  # pandas only when Codex or Gemini files are among the paths

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = load(files)
    usage = token_usage(df)
    usage["timestamp"] = usage["timestamp"].map(lambda t: t.isoformat().replace("+00:00", "Z") if t == t else None)
    return usage[COLUMNS].to_dict(orient="records"), df.attrs["problems"]


def _within(ts: object, lo: str | None, hi: str | None) -> bool:
    when = _utc(ts)[1]
    return not ((lo and (when is None or when < lo)) or (hi and (when is None or when >= hi)))


def _utc(ts: object) -> tuple[str | None, str | None]:
    """(day, sortable UTC time) of an ISO timestamp; Claude Code writes ``...Z``, others may give an offset."""
    if not isinstance(ts, str) or len(ts) < 10:
        return None, None
    if ts.endswith("Z"):
        return ts[:10], ts[:-1]
    from datetime import UTC, datetime

    try:
        t = datetime.fromisoformat(ts)
    except ValueError:
        return None, None
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return t.strftime("%Y-%m-%d"), t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _bound(value: str | None) -> str | None:
    if not value:
        return None
    when = _utc(value if len(value) > 10 or "T" in value else value + "T00:00:00Z")[1]
    if when is None:
        raise UsageError(f"{value!r} is not a date or time (use 2026-03-01 or 2026-03-01T12:00Z)")
    return when


def scan_usage(paths: PathLike | Iterable[PathLike], workers: int | None = None) -> pd.DataFrame:
    """One row per API message in the transcripts under ``paths``, as :func:`token_usage`
    gives.

    ``df.attrs["problems"]`` lists damaged lines (file and line). ``workers``: processes (default: the
    cores, when the files are large enough to be worth it).
    """
    import pandas as pd

    rows, problems, files = usage_rows(paths, workers)
    df = pd.DataFrame.from_records(rows, columns=COLUMNS)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="ISO8601")
    tokens = [c for c in COLUMNS if c.endswith("_tokens")]
    df[tokens] = df[tokens].astype("int64")
    df.attrs["problems"] = problems
    df.attrs["files"] = files
    return df
