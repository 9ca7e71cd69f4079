"""Signed checkpoints ("seals") of a trail's head, kept in a separate seal log.

A seal says, under an Ed25519 signature: trail ``trail_id`` had ``records`` records, the last one
``seq`` with hash ``head_hash``, at ``sealed_at``. Seals are chained (``prev_seal`` is the SHA-256 of
the previous seal line), like CloudTrail's digest files. With the public key, a seal kept anywhere
else (another host, a WORM bucket, a printout) reveals what the hash chain alone cannot: a
truncated tail, or a whole trail rewritten as a new, self-consistent chain.

The private key stays outside the trail's folder (mode 0600); only the public key travels.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditkit.custody import forward
from auditkit.errors import SealError
from auditkit.store.names import seal_log_path as seal_log_path  # its home; seals' callers find it here too
from auditkit.trail import config, private_files
from auditkit.trail import format as tf
from auditkit.trail.appender import foreign_reason, installation_key

_SIG_OPEN = b',"sig":"'


def default_key_path() -> Path:
    return Path(config.seal_key_path())


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def keygen(
    private_path: str | os.PathLike[str] | None = None,
    trail_dirs: list[Path] | None = None,
    forward_secure: dict | None = None,
) -> tuple[Path, Path]:
    """Make an Ed25519 key pair: private key (0600) and ``.pub`` beside it. Never inside a trail folder.

    ``forward_secure`` (``{}`` or ``{"interval": s, "epochs": n}``) makes a forward-secure key instead
    (:mod:`auditkit.custody.forward`): the ``.pub`` is then its commitment, for the verifier to keep offline.
    """
    priv = Path(private_path) if private_path else default_key_path()
    priv = Path(os.path.abspath(priv.expanduser()))  # the name itself is never followed: it may not be a link
    real = priv.parent.resolve() / priv.name
    for d in trail_dirs or []:
        if real.is_relative_to(Path(d).resolve()):
            raise SealError(f"{priv}: the private key must not live in the trail's folder {d}")
    if os.path.lexists(priv):
        raise SealError(f"{priv} exists already: remove it first or choose another path")
    if forward_secure is not None:
        return forward.keygen(priv, **forward_secure)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pub = priv.with_suffix(".pub")
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for path, data, mode in ((priv, pem, private_files.FILE_MODE), (pub, public, private_files.PUBLIC_MODE)):
        try:
            private_files.write_new(str(path), data, mode)
        except FileExistsError:
            raise SealError(f"{path} exists already: remove it first or choose another path") from None
    return priv, pub


def load_private(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    if forward.is_forward_key(path):
        raise SealError(
            f"{path}: a forward-secure key signs seals only (its epoch key changes); sign this with a plain key"
        )
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SealError(f"{path}: cannot read the private seal key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SealError(f"{path}: not an Ed25519 private key")
    return key


def load_public(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path`` (a ``.pub``, or a private key file). A forward-secure commitment is
    refused here: :func:`load_verifier` takes both."""
    data = Path(path).read_bytes()
    if forward.load_commitment(data, str(path)) is not None:
        raise SealError(f"{path}: a forward-secure commitment checks seals only, not a plain Ed25519 signature")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:  # a private key file also gives its public key
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except ValueError as exc:
            raise SealError(f"{path}: not a PEM Ed25519 public (or private) key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SealError(f"{path}: not an Ed25519 key")
    return key


#: What checks a seal log's signatures: a plain Ed25519 public key, or a forward-secure key's commitment.
Verifier = Ed25519PublicKey | forward.Commitment


def load_verifier(path: str | os.PathLike[str]) -> Verifier:
    """The public half of a seal key: a forward-secure commitment (``keygen --forward-secure``) or an Ed25519 key."""
    commitment = forward.load_commitment(Path(path).read_bytes(), str(path))
    return commitment if commitment is not None else load_public(path)


def verifier_id(public: Verifier) -> str:
    return public.key_id if isinstance(public, forward.Commitment) else key_id(public)


class _PlainSigner:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.key = load_private(path)
        self.key_id = key_id(self.key.public_key())

    def sign_line(self, body: dict, date_field: str, now: Callable[[], str]) -> tuple[bytes, bytes]:
        body[date_field] = body.get(date_field) or now()
        signed = orjson.dumps(body)
        return signed, self.key.sign(signed)


def _signer(path: str | os.PathLike[str]) -> _PlainSigner | forward.ForwardSigner:
    """What signs seal lines with the key file at ``path``: forward-secure or plain, by its content."""
    if forward.is_forward_key(path):
        return forward.ForwardSigner(path)
    return _PlainSigner(path)


def _head(trail: Path) -> tuple[str, int, str]:
    """(trail id, head seq, head hash) of a trail, read in O(1) under a shared lock."""
    fd = os.open(trail, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        tail = tf.read_tail(fd)
        first = os.pread(fd, 65536, 0).split(b"\n", 1)[0]
    finally:
        os.close(fd)
    if tail.hash is None:
        raise SealError(f"{trail}: no record to seal")
    try:
        head = orjson.loads(first)
        trail_id = head["data"]["trail_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SealError(f"{trail}:1: the first line is not a trail_start record") from exc
    foreign = foreign_reason(installation_key(), first)  # type: ignore[arg-type]
    if foreign:  # a seal would vouch for a chain this installation never wrote (a repository's forgery)
        raise SealError(
            f"{trail}: not created by this installation ({foreign}); not sealed (`auditkit adopt` it if it is yours)"
        )
    return trail_id, tail.next_seq - 1, tail.hash


def split_seal(line: bytes) -> tuple[bytes, bytes] | None:
    """(signed bytes, raw signature) of a seal line: the line without its final ``,"sig":"…"``."""
    line = line.rstrip(b"\r\n")
    cut = line.rfind(_SIG_OPEN)
    if cut < 0 or not line.endswith(b'"}'):
        return None
    try:
        sig = base64.b64decode(line[cut + len(_SIG_OPEN) : -2], validate=True)
    except ValueError:
        return None
    return line[:cut] + b"}", sig


def _append(log: Path, make: Callable[[str | None], bytes]) -> bytes:
    """Append the line ``make(prev_seal)`` returns to a seal log under its lock; return that line."""
    fd = private_files.open_file(str(log), os.O_RDWR | os.O_APPEND | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        last = os.pread(fd, min(size, 65536), max(0, size - 65536)).rstrip(b"\n").rsplit(b"\n", 1)[-1]
        line = make(hashlib.sha256(last).hexdigest() if last else None)
        prefix = b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b""  # a torn last line stays apart
        os.write(fd, prefix + line + b"\n")
    finally:
        os.close(fd)
    return line


def _append_signed(log: Path, body: dict, signer: _PlainSigner | forward.ForwardSigner, date_field: str) -> bytes:
    """Append one signed line to a seal log, chained to the line before it, dated (``date_field``) under the
    log's lock unless the body has its date already; return the signature."""
    sigs: list[bytes] = []

    def make(prev: str | None) -> bytes:
        body["prev_seal"] = prev
        body["key_id"] = signer.key_id
        signed, raw_sig = signer.sign_line(body, date_field, _now)
        sigs.append(base64.b64encode(raw_sig))
        return signed[:-1] + _SIG_OPEN + sigs[0] + b'"}'

    _append(log, make)
    return sigs[0]


def append_anchor(log: str | os.PathLike[str], body: dict) -> bytes:
    """Append an anchor line (a TSA's token over a seal line; unsigned here) to a seal log, chained; return it."""

    def make(prev: str | None) -> bytes:
        return orjson.dumps({**body, "type": tf.ANCHOR_TYPE, "prev_seal": prev})

    return _append(Path(log), make)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def seal(
    trail: str | os.PathLike[str],
    key_path: str | os.PathLike[str] | None = None,
    seal_log: str | os.PathLike[str] | None = None,
    upto: tuple[int, str] | None = None,
) -> dict:
    """Append a signed checkpoint of the trail's head to its seal log; return the seal.

    ``upto`` (seq, hash) seals an earlier record of the chain instead: the last record of a segment
    just archived, so the segment and its seal verify on their own (a copy in S3 holds no active part).
    """
    trail = Path(trail)
    signer = _signer(key_path or default_key_path())
    trail_id, seq, head_hash = _head(trail)
    if upto is not None:
        seq, head_hash = upto
    log = Path(seal_log) if seal_log else seal_log_path(trail)
    body = {
        "type": tf.SEAL_TYPE,
        "v": 1,
        "trail_id": trail_id,
        "seq": seq,
        "records": seq + 1,
        "head_hash": head_hash,
        "sealed_at": None,
        "trail_path": str(trail.resolve()),
    }
    sig = _append_signed(log, body, signer, "sealed_at")
    return {**body, "sig": sig.decode(), "seal_log": str(log)}


def retire(
    trail_id: str,
    segments: list[dict],
    policy: str,
    seal_log: str | os.PathLike[str],
    key_path: str | os.PathLike[str] | None = None,
    retired_at: str | None = None,
) -> dict:
    """Sign, in the seal log, that retention is deleting these segments (each: file, first_seq, last_seq,
    head_hash, last_ts, sha256). ``verify`` accepts a trail whose start is missing only under such a statement.
    """
    signer = _signer(key_path or default_key_path())
    body = {
        "type": tf.RETIRE_TYPE,
        "v": 1,
        "trail_id": trail_id,
        "retired": segments,
        "policy": policy,
        "retired_at": retired_at,
    }
    sig = _append_signed(Path(seal_log), body, signer, "retired_at")
    return {**body, "sig": sig.decode(), "seal_log": str(seal_log)}


def _shape_error(body: dict) -> str | None:
    """What is wrong with the types of a seal or retirement line (None when they are right)."""

    def is_int(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    def is_hash(v: object) -> bool:
        return isinstance(v, str) and len(v) == 64 and not v.strip("0123456789abcdef")

    if not isinstance(body.get("trail_id"), str):
        return "trail_id is not a string"
    if body.get("type") == tf.SEAL_TYPE:
        if not is_int(body.get("seq")):
            return f"seq is {type(body.get('seq')).__name__}, not a whole number"
        if not is_hash(body.get("head_hash")):
            return "head_hash is not 64 hex digits"
        if not isinstance(body.get("sealed_at"), str):
            return "sealed_at is not a string"
        return None
    retired = body.get("retired")
    if not isinstance(retired, list) or not retired:
        return "retired is not a list of segments"
    for r in retired:
        if (
            not isinstance(r, dict)
            or not is_int(r.get("first_seq"))
            or not is_int(r.get("last_seq"))
            or not is_hash(r.get("head_hash"))
        ):
            return "a retired segment lacks whole-number first_seq/last_seq or a head_hash"
    return None


def _signature_error(public: Verifier, body: dict, signed: bytes, sig: bytes) -> str | None:
    if isinstance(public, forward.Commitment):
        return public.check(body, signed, sig)
    try:
        public.verify(sig, signed)
    except InvalidSignature:
        return "the signature does not verify"
    return None


def read_seals(path: str | os.PathLike[str], public: Verifier | None) -> list[dict]:
    """Every line of a seal log: seals, retirement statements and anchors (RFC 3161 tokens), each with ``line``,
    ``valid`` (signature; None without a key, and for anchors, whose token :mod:`auditkit.custody.anchors`
    checks), ``chained`` and ``sha256`` (of the line: what the next line's ``prev_seal`` and an anchor's token
    name); a line that is not one, or has wrong types, carries ``error``; a bad signature ``why``.
    """
    seals: list[dict] = []
    prev_line: bytes | None = None
    for n, raw in enumerate(Path(path).read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        parts = split_seal(raw)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        expected_prev = hashlib.sha256(prev_line).hexdigest() if prev_line is not None else None
        prev_line = raw
        digest = hashlib.sha256(raw).hexdigest()
        if isinstance(body, dict) and body.get("type") == tf.ANCHOR_TYPE:
            chained = body.get("prev_seal") == expected_prev
            seals.append({**body, "line": n, "valid": None, "chained": chained, "sha256": digest})
            continue
        if parts is None or not isinstance(body, dict) or body.get("type") not in (tf.SEAL_TYPE, tf.RETIRE_TYPE):
            seals.append({"line": n, "valid": False, "chained": False, "error": "not a seal line"})
            continue
        problem = _shape_error(body)
        if problem:
            seals.append({"line": n, "valid": False, "chained": False, "error": f"wrong types: {problem}"})
            continue
        why = _signature_error(public, body, *parts) if public is not None else None
        entry = {**body, "line": n, "valid": None if public is None else why is None, "sha256": digest}
        entry["chained"] = body.get("prev_seal") == expected_prev
        if why:
            entry["why"] = why
        seals.append(entry)
    return seals
