"""Append records to a trail: one ``write()`` on an ``O_APPEND`` file under an exclusive ``flock``.

Standard library only (the hook's path). Under the lock the appender reads the tail in O(1),
takes the timestamp (so time and sequence agree), builds the record, chains it and writes it.
A new trail starts with a ``trail_start`` record whose ``prev`` is the genesis hash.

Rotation (``auditkit archive``) swaps a new segment in at the trail's path while holding the old
file's lock; a writer that was waiting for that lock sees, once it has it, that its file is no
longer the one at the path, and re-opens. So no record lands in a segment after it was archived.

Provenance: every ``trail_start`` carries a mark (HMAC-SHA256 under this installation's key, see
:func:`installation_key`) and so does every spill file. Under the lock, before appending, the writer
checks the trail's first line: a trail without a valid mark (planted by a repository, copied from
elsewhere, or written before marks existed) is never continued. It is renamed beside itself
(``<name>.foreign-<time>-<hex>``, kept as evidence) and a new trail starts whose first records say
so (``set_aside``). A spill file without a valid mark is never chained: it is renamed ``….foreign``
and a ``set_aside`` record names it. A trail that cannot be opened or written (mode 0400, EACCES,
ENOSPC) costs no event: the record is spilled and, when it is chained, a ``hook_error`` says why.
"""

import fcntl
import time
from errno import EACCES, EDQUOT, EFBIG, EIO, ENOSPC, EPERM, EROFS

from auditkit.trail import format as tf
from auditkit.trail import private_files
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


#: Errors of opening or writing a trail after which the record is spilled instead (nothing is lost).
_SPILL_ON = frozenset({EACCES, EPERM, ENOSPC, EDQUOT, EROFS, EFBIG, EIO})
_keys: dict[str, bytes] = {}  # per path: the library may be used under several config folders (tests)


def installation_key(create: bool = True) -> bytes | None:
    """This installation's secret key for provenance marks (``trail.key`` in the user's config folder, 0600,
    32 random bytes as hex), created on first use; None when it does not exist and ``create`` is False."""
    from auditkit.trail import config  # the hook has loaded it already; here only for the key path

    path = config.trail_key_path()
    if path in _keys:
        return _keys[path]
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # one open, never through a link
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            return None
        from auditkit.trail.provenance import create_key  # the cold part: only when a key is made or a file set aside

        create_key(path)
        fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o170000 != 0o100000 or st.st_uid != os.geteuid():
            raise ValueError(f"{path}: not a regular file of this user's; move it away to make a new key")
        raw = os.read(fd, 256)
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (ValueError, UnicodeDecodeError):
        key = b""
    if len(key) < 32:
        raise ValueError(f"{path}: not an auditkit installation key (64 hex digits); move it away to make a new one")
    _keys[path] = key
    return key


def foreign_reason(key: bytes, first_line: bytes) -> str | None:
    """Why a trail (or segment) whose first line this is was not made by this installation; None if it was."""
    got = tf.start_line_mark(first_line)
    if got is None:
        return "its first line is not a trail_start record"
    if not isinstance(got[3], str):
        return "its trail_start has no provenance mark (written before marks existed, or by someone else)"
    if not tf.same_digest(got[3], tf.start_mark(key, got[0], got[1], got[2])):
        return "its trail_start's mark was not made with this installation's key"
    return None


def provenance_fields(note: dict) -> dict:
    from auditkit.trail.provenance import set_aside_fields  # the cold part: only when a key is made or a file set aside

    return set_aside_fields(note)


def ensure_dir(path: str) -> None:
    """Create the trail's folder (and any missing parent) with mode 0700; refuse a link or a foreign folder."""
    os.close(private_files.open_dir(os.path.dirname(path) or "."))


def open_trail(path: str) -> int:
    """Open a trail for appending (created 0600 in a 0700 folder); never through a symlink, FIFO or device."""
    return private_files.open_file(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)


def header_fields(trail_id: str, created: str, previous: dict | None = None) -> dict:
    """The fields of a ``trail_start`` record (:func:`mark_start` adds its mark once its seq and prev are known)."""
    return {
        "event": tf.TRAIL_START,
        "status": tf.STATUS_INFO,
        "data": {"trail_id": trail_id, "created": created, "previous_segment": previous},
    }


def mark_start(fields: dict, seq: int, ts: str, prev: str, key: bytes | None = None) -> dict:
    """A ``trail_start``'s fields with this installation's mark in ``data.mark``."""
    fields["data"]["mark"] = tf.start_mark(key or installation_key(), seq, ts, prev)  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
    return fields


class Appended:
    """Where a record landed (``seq`` -1 and ``spilled`` set: it waits in a spill file)."""

    __slots__ = ("hash", "reason", "seq", "set_aside", "spilled", "ts", "ts_ns")

    def __init__(
        self, seq: int, ts_ns: int, ts: str, hash: str, spilled: str | None = None, reason: str | None = None
    ) -> None:
        self.seq, self.ts_ns, self.ts, self.hash, self.spilled = seq, ts_ns, ts, hash, spilled
        self.reason = reason  # why it was spilled (None: the lock was held too long)
        self.set_aside: list[dict] = []  # foreign trails and spill files set aside on the way


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
            reason = os.fstat(fd).st_size and foreign_reason(installation_key(), tf.first_line(fd))  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
            if reason:
                raise OSError(f"{path}: not created by this installation ({reason}); not continued")
            return _append_locked(fd, path, build)  # type: ignore[return-value]  # with a build: an Appended (an int only when draining)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    key = installation_key()
    deadline = time.monotonic() + LOCK_WAIT_S
    notes: list[dict] = []
    for _ in range(_REOPEN_TRIES):
        try:
            fd = open_trail(path)
        except OSError as exc:
            if exc.errno not in _SPILL_ON:
                raise
            return _spill_noted(path, build, exc, notes)
        try:
            if not _lock(fd, deadline):
                return spill(path, build)
            if _still_at(fd, path):
                try:
                    reason = os.fstat(fd).st_size and foreign_reason(key, tf.first_line(fd))  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
                    if reason:
                        # the cold part: only when a file is set aside
                        from auditkit.trail.provenance import set_aside_trail

                        note = set_aside_trail(path, fd, reason)
                        if note is not None:
                            notes.append(note)
                        continue  # a new trail at the path: opened on the next turn
                    try:
                        at = _append_locked(fd, path, build, notes)
                    except OSError as exc:
                        if exc.errno not in _SPILL_ON:
                            raise
                        return _spill_noted(path, build, exc, notes)
                    at.set_aside = notes  # type: ignore[union-attr]  # with a build: an Appended (an int only when draining)
                    return at  # type: ignore[return-value]  # as above
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    raise OSError(f"{path}: the trail kept being replaced while waiting for its lock")


def append_batch(path: str, records: list[dict], wait_s: float) -> Appended:
    """Append ``records`` (fields, as a builder returns them) in one write: all of them, contiguous, or none.

    Waits up to ``wait_s`` for the lock and never spills (a batch has no one file to wait in): past
    that, ``TimeoutError``, and nothing was written. A trail this installation did not create is not
    continued (``OSError``). Not on the hook's path (``auditkit otel-receive``).
    """
    key = installation_key()
    deadline = time.monotonic() + wait_s
    for _ in range(_REOPEN_TRIES):
        fd = open_trail(path)
        try:
            if not _lock(fd, deadline):
                raise TimeoutError(f"{path}: the trail stayed locked for {wait_s:g} s; nothing was written")
            if _still_at(fd, path):
                try:
                    reason = os.fstat(fd).st_size and foreign_reason(key, tf.first_line(fd))  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
                    if reason:
                        raise OSError(f"{path}: not created by this installation ({reason}); not continued")
                    # a batch: a list where one record goes (_append_locked writes it whole)
                    return _append_locked(fd, path, lambda seq, ts_ns: records)  # type: ignore[arg-type,return-value]  # a batch: a list where one record goes (Builder says dict); an Appended as above
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    raise OSError(f"{path}: the trail kept being replaced while waiting for its lock")


def _spill_noted(path: str, build: "Builder", exc: OSError, notes: list[dict]) -> Appended:
    """Spill a record the trail could not take (``exc``); the reason goes with it into the chain later."""
    at = spill(path, build, reason=f"{type(exc).__name__}: {exc}", notes=notes)
    at.set_aside = notes
    return at


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


def spill(path: str, build: "Builder", reason: str | None = None, notes: list[dict] | None = None) -> Appended:
    """Keep a record in its own file under ``.spill/`` (0600, never through a link) for the next writer.

    The record is built as it would have been (its time is the capture time); the writer that next
    holds the lock appends spilled records first, in capture order, each with ``spilled`` naming
    its file and that file's SHA-256, then removes the files. ``archive`` does the same.
    """
    ts_ns = now_ns()
    fields = build(-1, ts_ns)
    doc: dict = {"captured_ns": ts_ns, "fields": fields}
    if reason:
        doc["reason"] = reason
    if notes:
        doc["set_aside"] = notes  # trails set aside before the trail turned out unwritable
    folder = tf.spill_dir(path)
    name = f"{tf.spill_prefix(path)}{ts_ns:020d}-{os.getpid()}-{os.urandom(4).hex()}.json"
    from auditkit.trail import provenance  # the cold part: only when a key is made or a file set aside

    body = provenance.mark_spill(installation_key(), name, tf._dumps(doc))  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
    dfd = private_files.open_dir(folder)
    try:
        fd = private_files.open_in(dfd, name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, where=folder)
        try:
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)
    return Appended(-1, ts_ns, tf.format_ts(ts_ns), "", spilled=os.path.join(folder, name), reason=reason)


def _take_spilled(path: str) -> tuple[int, list[tuple[str | None, dict]]]:
    """The spilled records of this trail in capture order, as (file name, fields); and the open folder.

    A file without this installation's valid mark is not chained: it is renamed ``<name>.foreign`` and
    a ``set_aside`` record (file name None: nothing to remove) takes its place. A spill that carries the
    reason the trail could not be written is preceded by a ``hook_error`` record saying so."""
    folder = tf.spill_dir(path)
    try:
        os.stat(folder)  # the usual case: no spill folder; one stat, not a walk from the project root
        dfd = private_files.open_dir(folder, create=False)
    except OSError:  # none yet, or not a real folder of ours: nothing to take
        return -1, []
    prefix = tf.spill_prefix(path)
    from auditkit.trail import provenance  # the cold part: only when a key is made or a file set aside

    out: list[tuple[str | None, dict]] = []
    key = installation_key()
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
            out += provenance.take_spill_file(dfd, name, raw, note, key)  # type: ignore[arg-type]  # installation_key() creates the key: bytes here
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
        names = os.listdir(tf.spill_dir(path))
    except OSError:
        return []
    prefix = tf.spill_prefix(path)
    return sorted(n for n in names if n.startswith(prefix) and n.endswith(".json"))


def drain(fd: int, path: str) -> int:
    """With the trail's lock held on ``fd``: append its spilled records; return how many."""
    return _append_locked(fd, path, None) or 0  # type: ignore[return-value]  # draining (no build): an int


def _append_locked(fd: int, path: str, build: "Builder | None", notes: list[dict] | None = None) -> "Appended | int":
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
    asides = [provenance_fields(n) for n in notes or ()]
    pending: list[dict | None] = [*([fields] if fields else []), *asides, *(f for _, f in spilled)]
    if build is not None:
        pending.append(None)  # this writer's own record, built last with its final seq
    for item in pending:
        if item is None:
            item = build(seq, ts_ns)  # type: ignore[misc]  # None is queued only when build is given
        elif item is fields:
            mark_start(item, seq, ts, prev)
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
            if name is not None:
                os.unlink(name, dir_fd=spill_fd)
    finally:
        if spill_fd >= 0:
            os.close(spill_fd)
    if build is None:
        return sum(name is not None for name, _ in spilled)
    return Appended(seq - 1, ts_ns, ts, prev)
