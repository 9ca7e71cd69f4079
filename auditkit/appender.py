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

from auditkit import trail_format as tf
from auditkit._os import os

TYPE_CHECKING = False  # typing costs ~9 ms at start-up on the hook's path
if TYPE_CHECKING:
    from collections.abc import Callable

    #: Build the record's fields once the sequence number and time are known: (seq, ts_ns) -> fields.
    Builder = Callable[[int, int], dict]


def now_ns() -> int:
    """The clock the hook stamps records with; ``AUDITKIT_NOW`` (ISO, UTC) pins it for simulations."""
    pinned = os.environ.get("AUDITKIT_NOW")
    if pinned:
        from datetime import datetime

        return int(datetime.fromisoformat(pinned.replace("Z", "+00:00")).timestamp() * 1_000_000) * 1000
    return time.time_ns()


def new_trail_id() -> str:
    """A random UUID (version 4) without importing :mod:`uuid`; ``AUDITKIT_TRAIL_ID`` pins it."""
    pinned = os.environ.get("AUDITKIT_TRAIL_ID")
    if pinned:
        return pinned
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ensure_dir(path: str) -> None:
    """Create the trail's folder (mode 0700) if it is missing."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)


def open_trail(path: str) -> int:
    """Open a trail for appending (created with mode 0600)."""
    ensure_dir(path)
    return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)


def header_fields(trail_id: str, created: str, previous: dict | None = None) -> dict:
    """The fields of a ``trail_start`` record."""
    return {
        "event": tf.TRAIL_START,
        "status": tf.STATUS_INFO,
        "data": {"trail_id": trail_id, "created": created, "previous_segment": previous},
    }


class Appended:
    """Where a record landed."""

    __slots__ = ("hash", "seq", "ts", "ts_ns")

    def __init__(self, seq: int, ts_ns: int, ts: str, hash: str) -> None:
        self.seq, self.ts_ns, self.ts, self.hash = seq, ts_ns, ts, hash


#: How often a writer re-opens a trail that ``auditkit archive`` rotated while it waited.
_REOPEN_TRIES = 50


def append(path: str, build: "Builder", *, fd: int | None = None) -> Appended:
    """Append one record built by ``build`` to the trail at ``path``; return where it landed."""
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            return _append_locked(fd, build)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    for _ in range(_REOPEN_TRIES):
        fd = open_trail(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _still_at(fd, path):
                try:
                    return _append_locked(fd, build)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    raise OSError(f"{path}: the trail kept being replaced while waiting for its lock")


def _still_at(fd: int, path: str) -> bool:
    """Whether the locked file is still the one at ``path`` (rotation swaps in a new file under the lock)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_ino, own.st_dev) == (st.st_ino, st.st_dev)


def _append_locked(fd: int, build: "Builder") -> Appended:
    tail = tf.read_tail(fd)
    ts_ns = now_ns()
    ts = tf.format_ts(ts_ns)
    parts: list[bytes] = []
    if tail.torn_bytes:
        parts.append(b"\n")  # isolate the partial line a crashed writer left behind
    seq, prev = tail.next_seq, tail.hash
    if prev is None:
        trail_id = new_trail_id()
        note = None if tail.size == 0 else "no chainable record at the end of a non-empty file"
        fields = header_fields(trail_id, ts)
        if note:
            fields["data"]["note"] = note
        line = tf.encode_record(seq, ts, tf.genesis_hash(trail_id, ts), fields)
        parts.append(line)
        prev = line[-(tf.HASH_HEX_LEN + 3) : -3].decode()
        seq += 1
    fields = build(seq, ts_ns)
    if tail.torn_bytes:
        fields["recovered"] = {"torn_bytes": tail.torn_bytes, "at_offset": tail.size - tail.torn_bytes}
    line = tf.encode_record(seq, ts, prev, fields)
    parts.append(line)
    data = b"".join(parts)
    written = os.write(fd, data)
    while written < len(data):  # regular files write fully; a short write is finished under the lock
        written += os.write(fd, data[written:])
    return Appended(seq, ts_ns, ts, line[-(tf.HASH_HEX_LEN + 3) : -3].decode())
