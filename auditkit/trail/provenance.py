"""Provenance, the cold part: what the hook needs only when something is wrong (or on first use).

:mod:`auditkit.trail.appender` checks every trail's start mark on its hot path (``installation_key``,
``foreign_reason``); this module holds the rest, imported only when needed so that the hook's every call does
not pay for loading it: making the installation key, setting a foreign trail aside, the marks of spill files
and the ``set_aside`` records. Standard library only (the hook's path, when something is set aside).
"""

import time

from auditkit.trail import _startup_json, private_files
from auditkit.trail import format as tf
from auditkit.trail._startup_os import os

MARK_SPILL = b"auditkit/v1 spill "
SPILL_MARK_OPEN = b',"mark":"'
SPILL_MARK_TAIL = len(SPILL_MARK_OPEN) + tf.HASH_HEX_LEN + 2  # ,"mark":"<hex>"} ends a marked spill file


def create_key(path: str) -> None:
    """Write a new key under a temporary name and link it into place: never replaces a key another process made."""
    folder, name = os.path.dirname(path), path.rsplit("/", 1)[-1]
    dfd = private_files.open_dir(folder)
    try:
        fd, tmp = private_files.temp_in(dfd, name, where=folder)
        try:
            os.write(fd, os.urandom(32).hex().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            os.unlink(tmp, dir_fd=dfd)
    finally:
        os.close(dfd)


def set_aside_trail(path: str, fd: int, reason: str) -> dict | None:
    """Rename the locked foreign trail to ``<name>.foreign-<time>-<hex>`` beside it (never deleted: it may be
    evidence); None if the file at ``path`` is no longer the locked one (someone else moved it)."""
    folder, name = os.path.dirname(path) or ".", path.rsplit("/", 1)[-1]
    own = os.fstat(fd)
    head = tf.first_line(fd)
    stamp = tf.format_ts(time.time_ns())[:19].replace("-", "").replace(":", "")
    aside = f"{name}.foreign-{stamp}Z-{os.urandom(3).hex()}"
    dfd = private_files.open_dir(folder, create=False)
    try:
        os.link(name, aside, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
        st = os.stat(aside, dir_fd=dfd, follow_symlinks=False)
        if (st.st_ino, st.st_dev) != (own.st_ino, own.st_dev):
            os.unlink(aside, dir_fd=dfd)
            return None
        os.unlink(name, dir_fd=dfd)
    finally:
        os.close(dfd)
    return {
        "what": "trail",
        "file": aside,
        "bytes": own.st_size,
        "first_line_sha256": tf.sha256(head).hexdigest(),
        "reason": reason,
    }


def set_aside_fields(note: dict) -> dict:
    """The record that says a file was set aside as not made by this installation."""
    return {
        "event": tf.SET_ASIDE,
        "status": tf.STATUS_ERROR,
        "error": f"a {note['what']} not created by this installation was set aside as {note['file']}: "
        f"{note['reason']}; it was not continued or chained",
        "data": note,
    }


def mark_spill(key: bytes, name: str, body: bytes) -> bytes:
    """A spill file's bytes: its JSON object with a last member ``mark`` binding its name and content."""
    mark = tf.hmac_hex(key, MARK_SPILL + name.encode() + b"\n" + body)
    return b"".join((body[:-1], SPILL_MARK_OPEN, mark.encode(), b'"}'))


def spill_body(key: bytes, name: str, raw: bytes) -> bytes | None:
    """The JSON object a spill file holds without its mark, if its mark is valid for this name; else None."""
    cut = len(raw) - SPILL_MARK_TAIL
    if cut <= 0 or not raw.endswith(b'"}') or raw[cut : cut + len(SPILL_MARK_OPEN)] != SPILL_MARK_OPEN:
        return None
    body = raw[:cut] + b"}"
    stated = raw[cut + len(SPILL_MARK_OPEN) : -2].decode("ascii", "replace")
    return body if tf.same_digest(stated, tf.hmac_hex(key, MARK_SPILL + name.encode() + b"\n" + body)) else None


def foreign_spills(path: str) -> list[str]:
    """Names of spill files set aside as not made by this installation (``verify`` and ``doctor`` report them)."""
    try:
        names = os.listdir(tf.spill_dir(path))
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(tf.spill_prefix(path)) and n.endswith(".json.foreign"))


def set_aside_trails(path: str) -> list[str]:
    """Trails that were found at ``path`` without this installation's mark and renamed beside it."""
    folder, name = os.path.dirname(path) or ".", path.rsplit("/", 1)[-1]
    try:
        return sorted(n for n in os.listdir(folder) if n.startswith(name + ".foreign-"))
    except OSError:
        return []


def take_spill_file(dfd: int, name: str, raw: bytes, note: dict, key: bytes) -> list[tuple[str | None, dict]]:
    """One spill file's records to chain, as (file name or None, fields): its record, preceded by a
    ``hook_error`` when it carries the reason the trail could not be written, and by ``set_aside`` records of
    trails set aside before that; or, for a file without this installation's valid mark (planted, renamed,
    or cut short by a crash), only a ``set_aside`` record: the file is renamed ``<name>.foreign``, never chained."""
    body = spill_body(key, name, raw)
    doc: dict | None = None
    if body is not None:
        try:
            loaded = _startup_json.loads(body)
            if not isinstance(loaded, dict):
                raise TypeError("not an object")
            fields = loaded["fields"]
            note["captured"] = tf.format_ts(int(loaded["captured_ns"]))
            if not isinstance(fields, dict):
                raise TypeError("fields")
            doc = loaded
        except (ValueError, KeyError, TypeError):
            doc = None
    if doc is None:
        os.rename(name, name + ".foreign", src_dir_fd=dfd, dst_dir_fd=dfd)
        why = "no valid mark of this installation (planted, copied, or cut short by a crash)"
        return [(None, set_aside_fields({"what": "spill file", **note, "file": name + ".foreign", "reason": why}))]
    out: list[tuple[str | None, dict]] = []
    for aside in doc.get("set_aside") or ():
        if isinstance(aside, dict) and "file" in aside and "reason" in aside:
            out.append((None, set_aside_fields({"what": "trail", **aside})))
    if doc.get("reason"):
        out.append((None, {
            "event": tf.HOOK_ERROR,
            "status": tf.STATUS_ERROR,
            "error": f"the trail could not be written ({doc['reason']}): the next record was kept in "
                     f"{name} and is chained here",
            "data": {"spilled_file": name},
        }))  # fmt: skip
    fields["spilled"] = note
    out.append((name, fields))
    return out
