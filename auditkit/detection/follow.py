"""``auditkit detect --follow``: tail a live trail, check its chain as it reads, and raise alerts as events land.

A :class:`Tailer` keeps the active file open and reads whole new lines from its last offset every
``poll_s`` (0.1 s). When ``auditkit archive`` rotates the trail, the path names a new file: the old
one (still open) is read to its end first, then the new one from its start; its ``trail_start``
continues the chain. Every record is checked against the chain (its ``prev`` is the hash of the
record before, its own hash is recomputed); a break is raised as a critical alert of its own.

The cursor (trail id, next seq, head hash, file identity and offset), what the views remember
(MCP tools seen, open calls, permission modes), correlation windows and each sink's delivered
position are saved after each batch in a state file. A restart resumes from it: from the offset
when the file is the same, else from the archived segments (gzipped too) at the next seq. The alert
trail is the record of what was raised: an alert whose id is already there is never raised again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import orjson

from auditkit.custody import segments
from auditkit.detection.alerts import alert_uid, alerted_uids, append_alert, finding, read_alerts
from auditkit.detection.engine import Rule, run_rules
from auditkit.detection.pipeline import State
from auditkit.detection.sinks import Delivery, make_sink
from auditkit.errors import UsageError
from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import first_record, open_lines
from auditkit.store.names import active_trail
from auditkit.trail import format as tf
from auditkit.trail import private_files
from auditkit.trail.config import TRAIL_NAME

POLL_S = 0.05
MAX_BATCH = 50_000  # records handled per step (a first run over a long trail goes in steps)
READ_BUDGET = 32 << 20  # bytes read from the live file per step
CHAIN_RULE = "auditkit.chain_broken"


def trail_of(path: str | os.PathLike) -> Path:
    """The active trail a PATH names: the file, or the trail file in a folder."""
    p = Path(path).expanduser()
    if p.is_dir():
        return p / TRAIL_NAME
    return active_trail(p)


def default_state(trail: Path) -> Path:
    return trail.parent / ".detect" / f"{trail.name}.state.json"


def default_alerts(trail: Path) -> Path:
    return trail.parent / ".detect" / "alerts.jsonl"


class Tailer:
    """New, chain-checked records of one trail, across rotations, from a cursor."""

    def __init__(self, trail: Path, cursor: dict | None = None) -> None:
        self.trail = trail
        c = cursor or {}
        self.trail_id: str | None = c.get("trail_id")
        self.next_seq: int = int(c.get("next_seq", 0))
        self.prev: str | None = c.get("prev")
        self.fd: int | None = None
        self.ino: tuple | None = None
        self.offset = 0
        self.buf = b""
        self.breaks: list[dict] = []
        self._start(c)

    def cursor(self) -> dict:
        return {
            "trail_id": self.trail_id,
            "next_seq": self.next_seq,
            "prev": self.prev,
            "ino": list(self.done[0]) if self.done and self.done[0] else None,
            "offset": self.done[1] if self.done else 0,
        }

    def _start(self, c: dict) -> None:
        self.pending: list[tuple] = []
        self.done: tuple | None = None  # (file identity, offset) after the last line handled
        ends_at = self._trail_end()
        if self.next_seq and ends_at is not None and ends_at < self.next_seq:
            self._break(
                str(self.trail),
                0,
                f"the saved cursor is at seq {self.next_seq} but the trail ends before it (next seq {ends_at}): "
                "records were removed, the trail replaced or the state edited; reading the trail again from its start",
            )
            self.next_seq, self.prev, c = 0, None, {}
        ident = self._identity()
        if c.get("ino") and ident and list(ident) == c["ino"] and os.path.getsize(self.trail) >= c.get("offset", 0):
            self._open()
            self.offset = int(c.get("offset", 0))
            self.done = (self.ino, self.offset)
            return
        if self.next_seq or not c:  # rotated while we were away: the missing records are in segments
            for seg in segments.segment_files(self.trail):
                for n, line in enumerate(open_lines(seg), 1):
                    seq = tf.line_seq(line)
                    if seq is None or seq >= self.next_seq:
                        self.pending.append((line, str(seg), n, None))
        self._open()
        self.offset = 0

    def _trail_end(self) -> int | None:
        """The seq the trail's next record will have (None when there is no trail yet)."""
        try:
            fd = os.open(self.trail, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return tf.read_tail(fd).next_seq
        finally:
            os.close(fd)

    def _identity(self) -> tuple | None:
        try:
            st = os.stat(self.trail)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def _open(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            self.fd = os.open(self.trail, os.O_RDONLY)
        except FileNotFoundError:
            self.ino = None
            return
        st = os.fstat(self.fd)
        self.ino, self.offset, self.buf, self.line_no = (st.st_dev, st.st_ino), 0, b"", 0

    def _read_fd(self, budget: int = READ_BUDGET) -> tuple[list[tuple], bool]:
        """Whole new lines of the open file (at most ``budget`` bytes), each with (file identity, end offset);
        and whether the end of the file was reached."""
        out: list[tuple] = []
        if self.fd is None:
            return out, True
        eof = False
        while len(self.buf) < budget:
            chunk = os.pread(self.fd, 1 << 20, self.offset + len(self.buf))
            if not chunk:
                eof = True
                break
            self.buf += chunk
        lines = self.buf.split(b"\n")
        self.buf = lines.pop()  # a torn last line waits for its end
        for line in lines:
            self.offset += len(line) + 1
            out.append((line + b"\n", str(self.trail), 0, (self.ino, self.offset)))
        return out, eof

    def poll(self) -> list[dict]:
        """Records that arrived since the last call, checked against the chain, in order (a batch at most)."""
        if not self.pending:
            if self.fd is None:
                self._open()
            lines, eof = self._read_fd()
            ident = self._identity()
            if eof and ident is not None and ident != self.ino:  # rotated: finish the old file, take the new one
                lines += self._read_fd(1 << 62)[0]
                self._open()
                lines += self._read_fd()[0]
            self.pending = lines
        batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
        out = []
        for line, where, n, pos in batch:
            rec = self._check(line, where, n)
            if pos is not None:
                self.done = pos
            if rec is not None:
                out.append(rec)
        return out

    def _check(self, line: bytes, where: str, n: int) -> dict | None:
        if not line.strip():
            return None
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            self._break(where, n, "a line that is not JSON in the trail")
            return None
        seq = rec.get("seq") if isinstance(rec, dict) else None
        if not isinstance(seq, int):
            self._break(where, n, "a record without a sequence number")
            return None
        if seq < self.next_seq:
            return None  # read before (a segment and the live file overlap)
        split = tf.split_line(line)
        if split is None or hashlib.sha256(split[0]).hexdigest() != split[1]:
            self._break(where, n, f"record {seq}: its hash does not match its content (edited?)")
        elif seq != self.next_seq and self.prev is not None:
            self._break(where, n, f"records {self.next_seq}..{seq - 1} are missing (deleted?)")
        elif rec.get("event") == tf.TRAIL_START and self.prev is None:
            pass  # the first record of the trail: its prev is the genesis hash
        elif self.prev is not None and rec.get("prev") != self.prev:
            self._break(where, n, f"record {seq}: does not chain to record {seq - 1} (inserted or replaced?)")
        if rec.get("event") == tf.TRAIL_START:
            named = tf.trail_id_of(rec)
            self.trail_id = named if isinstance(named, str) else self.trail_id
        self.next_seq = seq + 1
        self.prev = split[1] if split else rec.get("hash")
        rec["_trail"], rec["_file"], rec["_line"] = self.trail_id, where, n or None
        return rec

    def _break(self, where: str, n: int, what: str) -> None:
        self.breaks.append({"file": where, "line": n, "what": what, "seq": self.next_seq})


def frame_of(records: list[dict]):
    """A few trail records as the columns the rules read, without load()'s typing and sorting (records
    arrive in order): ~1 ms for a handful of records where :func:`auditkit.loading.frame.frame_from_rows` takes ~35."""
    import pandas as pd

    from auditkit.loading.columns import COLUMNS, NESTED  # pandas and pyarrow: only once records are matched
    from auditkit.loading.jsoncolumn import JSONArray  # pandas and pyarrow: only once records are matched

    cols = auditkit_trail.columns(records)
    n = len(records)
    out = {}
    for c in COLUMNS:
        values = cols.get(c, [None] * n)
        if c in NESTED:
            out[c] = pd.Series(JSONArray.from_values(values))
        elif c == "timestamp":
            out[c] = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601")
        else:
            out[c] = pd.Series(values, dtype=object)
    return pd.DataFrame(out)


class Follower:
    """One follow run: tailers, rules, the alert trail and the deliveries."""

    def __init__(
        self,
        trails: list[Path],
        rules: list[Rule],
        *,
        state_path: Path,
        alerts_path: Path,
        sinks: list[str],
        per_minute: int = 10,
    ) -> None:
        self.rules, self.state_path, self.alerts_path = rules, state_path, alerts_path
        saved = orjson.loads(state_path.read_bytes()) if state_path.exists() else {}
        self.view_state = State.from_json(saved.get("views", {}))
        self.corr_state: dict = saved.get("correlations", {})
        self.tailers = [Tailer(t, saved.get("trails", {}).get(str(t))) for t in trails]
        self.seen = alerted_uids(alerts_path)
        cursors = saved.get("sinks", {})
        last = max((s for s in [self._last_alert_seq()] if s is not None), default=-1)
        self.deliveries = []
        for spec in sinks:
            sink = make_sink(spec)
            start = cursors.get(sink.spec, last if spec == "stderr" and not saved else -1)
            self.deliveries.append(Delivery(sink, alerts_path, int(start), per_minute))
        self.raised = 0
        self._dirty = True
        self._sink_cursors: list[int] | None = None
        self.listeners: list = []  # callables given each batch of records (the live view counts calls)
        self._warm_up()

    def _warm_up(self) -> None:
        """Import and run everything once on a throw-away record, so the first real event pays no start-up."""
        rec = {"v": 1, "seq": 0, "ts": "2026-01-01T00:00:00.000000Z", "event": "PreToolUse", "tool_name": "Bash"}
        rec.update({"tool_input": {"command": "true"}, "hash": "", "_trail": None, "_file": None, "_line": None})
        run_rules(frame_of([rec]), self.rules, State(), {})

    def _last_alert_seq(self) -> int | None:
        got = read_alerts(self.alerts_path)
        return got[-1][0] if got else None

    def step(self) -> int:
        """Read what is new, raise its alerts; the number of alerts raised."""
        raised = 0
        for t in self.tailers:
            records = t.poll()
            self._dirty = self._dirty or bool(records or t.breaks)
            for b in t.breaks:
                raised += self._raise(self._chain_hit(t, b), t.trail_id)
            t.breaks = []
            if not records:
                continue
            for listen in self.listeners:
                listen(records)
            df = frame_of(records)
            hits = run_rules(df, self.rules, self.view_state, self.corr_state)
            for hit in hits.to_dict("records"):
                raised += self._raise(hit, t.trail_id)
        if raised:
            for d in self.deliveries:
                d.wake.set()
        self.save()
        self.raised += raised
        return raised

    def _chain_hit(self, t: Tailer, b: dict) -> dict:
        return {
            "rule_id": CHAIN_RULE,
            "rule": "Trail chain broken while following",
            "level": "critical",
            "timestamp": None,
            "session_id": None,
            "seq": b["seq"],
            "event_id": f"{t.trail_id}:{b['seq']}:{b['file']}:{b['line']}:{b['what']}",
            "what": f"{b['file']}:{b['line']}",
            "why": b["what"],
            "tags": ["attack.defense-evasion", "attack.t1070"],
            "events": [],
        }

    def _raise(self, hit: dict, trail_id: str | None) -> int:
        uid = alert_uid(hit["rule_id"], str(hit["event_id"]))
        if uid in self.seen:
            return 0
        append_alert(self.alerts_path, finding(hit, trail_id))
        self.seen.add(uid)
        return 1

    def save(self) -> None:
        """Write the state file when something moved (records read, alerts delivered)."""
        cursors = [d.cursor for d in self.deliveries]
        if not self._dirty and cursors == self._sink_cursors:
            return
        self._dirty, self._sink_cursors = False, cursors
        state = {
            "trails": {str(t.trail): t.cursor() for t in self.tailers},
            "views": self.view_state.to_json(),
            "correlations": self.corr_state,
            "sinks": {d.sink.spec: d.cursor for d in self.deliveries},
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        private_files.write_atomic(str(self.state_path), orjson.dumps(state, default=str))

    def drain(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for d in self.deliveries:
            d.flush(deadline)
        self.save()


def follow(
    paths: list[str],
    rules: list[Rule],
    *,
    sinks: list[str],
    state: str | None = None,
    alerts: str | None = None,
    per_minute: int = 10,
    once: bool = False,
    poll_s: float = POLL_S,
) -> int:
    """Follow trails until interrupted (SIGINT/SIGTERM), raising alerts; ``once``: one pass, then stop."""
    trails = [trail_of(p) for p in paths]
    for t in trails:
        first = first_record(t) if t.exists() else None
        if first is not None and not auditkit_trail.matches(first):
            raise UsageError(
                f"{t}: not an auditkit trail (no hash chain to follow); run `auditkit detect {t}` without --follow"
            )
    f = Follower(
        trails,
        rules,
        state_path=Path(state) if state else default_state(trails[0]),
        alerts_path=Path(alerts) if alerts else default_alerts(trails[0]),
        sinks=sinks,
        per_minute=per_minute,
    )
    if once:
        f.step()
        while any(t.pending for t in f.tailers):
            f.step()
        f.drain()
        print(f"auditkit detect: {f.raised} alert(s) raised; alert trail {f.alerts_path}", file=sys.stderr)
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    for d in f.deliveries:
        d.start()
    print(f"auditkit detect: following {', '.join(map(str, trails))}; alerts in {f.alerts_path}", file=sys.stderr)
    while not stop.is_set():
        f.step()
        if not any(t.pending for t in f.tailers):
            stop.wait(poll_s)
    for d in f.deliveries:
        d.stopping.set()
    f.save()
    return 0
