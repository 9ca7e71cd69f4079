"""Append records to a trail: one ``write()`` on an ``O_APPEND`` file under an exclusive ``flock``.

Standard library only (the hook's path). Under the lock the appender reads the tail in O(1),
takes the timestamp (so time and sequence agree), builds the record, chains it and writes it.
A new trail starts with a ``trail_start`` record whose ``prev`` is the genesis hash.

Rotation (``auditkit archive``) swaps a new segment in at the trail's path while holding the old
file's lock; a writer that was waiting for that lock sees, once it has it, that its file is no
longer the one at the path, and re-opens. So no record lands in a segment after it was archived.
"""

import fcntl
import time

from auditkit.trail import _startup_json, private_files
from auditkit.trail import format as tf
from auditkit.trail._startup_os import os

TYPE_CHECKING = False  # typing costs ~9 ms at start-up on the hook's path
if TYPE_CHECKING:
    from collections.abc import Callable

    #: Build the record's fields once the sequence number and time are known: (seq, ts_ns) -> fields.
    Builder = Callable[[int, int], dict]


def now_ns() -> int:
    """The clock the hook stamps records with; ``AUDITKIT_NOW`` (ISO, UTC) pins it for simulations."""
    pinned = os.environ.get("AUDITKIT_NOW")
    if pinned:
        from auditkit.trail import trust  # guarded: honoured only when the user's allow-env names it

        pinned = trust.env("AUDITKIT_NOW")
    if pinned:
        from datetime import datetime

        return int(datetime.fromisoformat(pinned.replace("Z", "+00:00")).timestamp() * 1_000_000) * 1000
    return time.time_ns()


def new_trail_id() -> str:
    """A random UUID (version 4) without importing :mod:`uuid`; ``AUDITKIT_TRAIL_ID`` pins it."""
    pinned = os.environ.get("AUDITKIT_TRAIL_ID")
    if pinned:
        from auditkit.trail import trust  # guarded, as AUDITKIT_NOW

        pinned = trust.env("AUDITKIT_TRAIL_ID")
    if pinned:
        return pinned
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ensure_dir(path: str) -> None:
    """Create the trail's folder (and any missing parent) with mode 0700; refuse a link or a foreign folder."""
    os.close(private_files.open_dir(os.path.dirname(path) or "."))


def open_trail(path: str) -> int:
    """Open a trail for appending (created 0600 in a 0700 folder); never through a symlink, FIFO or device."""
    return private_files.open_file(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)


def header_fields(trail_id: str, created: str, previous: dict | None = None) -> dict:
    """The fields of a ``trail_start`` record."""
    return {
        "event": tf.TRAIL_START,
        "status": tf.STATUS_INFO,
        "data": {"trail_id": trail_id, "created": created, "previous_segment": previous},
    }


class Appended:
    """Where a record landed (``seq`` -1 and ``spilled`` set: it waits in a spill file)."""

    __slots__ = ("hash", "seq", "spilled", "ts", "ts_ns")

    def __init__(self, seq: int, ts_ns: int, ts: str, hash: str, spilled: str | None = None) -> None:
        self.seq, self.ts_ns, self.ts, self.hash, self.spilled = seq, ts_ns, ts, hash, spilled


#: How often a writer re-opens a trail that ``auditkit archive`` rotated while it waited.
_REOPEN_TRIES = 50
#: How long a writer waits for the trail's lock before it spills its record (see :func:`spill`).
LOCK_WAIT_S = 1.0


def append(path: str, build: "Builder", *, fd: int | None = None) -> Appended:
    """Append one record built by ``build`` to the trail at ``path``; return where it landed.

    Waits at most ``LOCK_WAIT_S`` for the trail's lock; past that the record is spilled (kept in a
    file of its own that the next writer brings into the chain) and ``Appended.spilled`` names it.
    """
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            return _append_locked(fd, path, build)  # type: ignore[return-value]
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    deadline = time.monotonic() + LOCK_WAIT_S
    for _ in range(_REOPEN_TRIES):
        fd = open_trail(path)
        try:
            if not _lock(fd, deadline):
                return spill(path, build)
            if _still_at(fd, path):
                try:
                    return _append_locked(fd, path, build)  # type: ignore[return-value]
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    raise OSError(f"{path}: the trail kept being replaced while waiting for its lock")


def append_batch(path: str, records: list[dict], wait_s: float) -> Appended:
    """Append ``records`` (fields, as a builder returns them) in one write: all of them, contiguous, or none.

    Waits up to ``wait_s`` for the lock and never spills (a batch has no one file to wait in): past
    that, ``TimeoutError``, and nothing was written. Not on the hook's path (``auditkit otel-receive``).
    """
    deadline = time.monotonic() + wait_s
    for _ in range(_REOPEN_TRIES):
        fd = open_trail(path)
        try:
            if not _lock(fd, deadline):
                raise TimeoutError(f"{path}: the trail stayed locked for {wait_s:g} s; nothing was written")
            if _still_at(fd, path):
                try:
                    return _append_locked(fd, path, lambda seq, ts_ns: records)  # type: ignore[arg-type,return-value]  # a batch: a list where one record goes
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    raise OSError(f"{path}: the trail kept being replaced while waiting for its lock")


def _lock(fd: int, deadline: float) -> bool:
    """Take the exclusive lock, polling until ``deadline``; False if another process still holds it."""
    delay = 0.0002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.005)


def _still_at(fd: int, path: str) -> bool:
    """Whether the locked file is still the one at ``path`` (rotation swaps in a new file under the lock)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_ino, own.st_dev) == (st.st_ino, st.st_dev)


# --- spilling: a record that could not get the lock in time ----------------------------------


def spill_dir(path: str) -> str:
    """Where records wait that could not get the trail's lock in time (``<folder>/.spill``)."""
    return os.path.join(os.path.dirname(path) or ".", ".spill")


def _spill_prefix(path: str) -> str:
    return path.rsplit("/", 1)[-1] + "."


def spill(path: str, build: "Builder") -> Appended:
    """Keep a record in its own file under ``.spill/`` (0600, never through a link) for the next writer.

    The record is built as it would have been (its time is the capture time); the writer that next
    holds the lock appends spilled records first, in capture order, each with ``spilled`` naming
    its file and that file's SHA-256, then removes the files. ``archive`` does the same.
    """
    ts_ns = now_ns()
    fields = build(-1, ts_ns)
    body = tf._dumps({"captured_ns": ts_ns, "fields": fields})
    folder = spill_dir(path)
    dfd = private_files.open_dir(folder)
    try:
        name = f"{_spill_prefix(path)}{ts_ns:020d}-{os.getpid()}-{os.urandom(4).hex()}.json"
        fd = private_files.open_in(dfd, name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, where=folder)
        try:
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)
    return Appended(-1, ts_ns, tf.format_ts(ts_ns), "", spilled=os.path.join(folder, name))


def _take_spilled(path: str) -> tuple[int, list[tuple[str, dict]]]:
    """The spilled records of this trail in capture order, as (file name, fields); and the open folder."""
    try:
        dfd = private_files.open_dir(spill_dir(path), create=False)
    except OSError:  # none yet (the usual case), or not a real folder of ours: nothing to take
        return -1, []
    prefix = _spill_prefix(path)
    out = []
    try:
        names = sorted(e.name for e in os.scandir(dfd) if e.name.startswith(prefix) and e.name.endswith(".json"))
        for name in names:
            if not private_files.is_own_file(dfd, name):
                continue  # never another's file, and never one named like ours through a link
            fd = private_files.open_in(dfd, name, os.O_RDONLY)
            try:
                chunks = []
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
            finally:
                os.close(fd)
            raw = b"".join(chunks)
            note = {"file": name, "bytes": len(raw), "sha256": tf.sha256(raw).hexdigest()}
            try:
                doc = _startup_json.loads(raw)
                fields = doc["fields"]  # type: ignore[index]  # any JSON: a wrong shape is the TypeError below
                note["captured"] = tf.format_ts(int(doc["captured_ns"]))  # type: ignore[index]  # as above
            except (ValueError, KeyError, TypeError):  # a spill cut short (crash, full disk): keep what is there
                fields = {
                    "event": tf.HOOK_ERROR,
                    "status": tf.STATUS_ERROR,
                    "error": "a spilled record is unreadable",
                    "data": {"text": raw[:65536].decode("utf-8", "replace")},
                }
            fields["spilled"] = note
            out.append((name, fields))
    except BaseException:
        os.close(dfd)
        raise
    if not out:
        os.close(dfd)
        return -1, []
    return dfd, out


def pending_spills(path: str) -> list[str]:
    """Names of this trail's spilled records not yet in the chain (``verify`` reports them)."""
    try:
        names = os.listdir(spill_dir(path))
    except OSError:
        return []
    prefix = _spill_prefix(path)
    return sorted(n for n in names if n.startswith(prefix) and n.endswith(".json"))


def drain(fd: int, path: str) -> int:
    """With the trail's lock held on ``fd``: append its spilled records; return how many."""
    return _append_locked(fd, path, None) or 0  # type: ignore[return-value]


def _append_locked(fd: int, path: str, build: "Builder | None") -> "Appended | int":
    tail = tf.read_tail(fd)
    ts_ns = now_ns()
    ts = tf.format_ts(ts_ns)
    parts: list[bytes] = []
    recovered = None
    if tail.torn_bytes:
        parts.append(b"\n")  # isolate the partial line a crashed writer left behind
        recovered = {"torn_bytes": tail.torn_bytes, "at_offset": tail.size - tail.torn_bytes}
    seq, prev = tail.next_seq, tail.hash
    if prev is None:
        trail_id = new_trail_id()
        fields = header_fields(trail_id, ts)
        if tail.size:
            fields["data"]["note"] = "no chainable record at the end of a non-empty file"
        prev = tf.genesis_hash(trail_id, ts)
    else:
        fields = None
    spill_fd, spilled = _take_spilled(path)
    if build is None and not spilled:
        return 0  # nothing to drain: leave the file exactly as it is
    pending: list[dict | None] = [*([fields] if fields else []), *(f for _, f in spilled)]
    if build is not None:
        pending.append(None)  # this writer's own record, built last with its final seq
    for item in pending:
        if item is None:
            item = build(seq, ts_ns)  # type: ignore[misc]
        for one in item if isinstance(item, list) else (item,):  # a list: a batch, written whole
            if recovered is not None:
                one["recovered"], recovered = recovered, None
            line = tf.encode_record(seq, ts, prev, one)
            parts.append(line)
            prev = line[-(tf.HASH_HEX_LEN + 3) : -3].decode()
            seq += 1
    data = b"".join(parts)
    try:
        if data:
            written = os.write(fd, data)
            while written < len(data):  # regular files write fully; a short write is finished under the lock
                written += os.write(fd, data[written:])
        for name, _ in spilled:  # only once they are in the chain
            os.unlink(name, dir_fd=spill_fd)
    finally:
        if spill_fd >= 0:
            os.close(spill_fd)
    if build is None:
        return len(spilled)
    return Appended(seq - 1, ts_ns, ts, prev)
