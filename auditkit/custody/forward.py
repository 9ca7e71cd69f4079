"""Forward-secure sealing: a seal key that moves on with time, so today's key cannot sign for an earlier period.

Like journald's Forward Secure Sealing, time is cut into epochs of ``interval`` seconds from ``t0``. At
set-up (``auditkit keygen --forward-secure``) a random seed ``s_0`` is drawn and the epoch seeds follow by
a one-way function, ``s_{e+1} = SHA-256("auditkit-fs-next" || s_e)``; epoch ``e`` signs with the Ed25519
key whose private bytes are ``SHA-256("auditkit-fs-key" || s_e)``. All ``epochs`` public keys are computed
once, and their Merkle root (leaf ``SHA-256(0x00 || pub)``, node ``SHA-256(0x01 || left || right)``) is
the commitment the verifier keeps offline, with ``t0``, ``interval`` and ``epochs`` (``seal.pub``, a small
JSON document). The private key file holds only the current epoch and its seed; the public keys are kept
beside it (``seal.leaves``, public) to build each seal's Merkle path.

Signing a seal dated ``sealed_at`` first moves the key to ``epoch(sealed_at)`` — the file is overwritten
in place with the new seed and synced before anything is signed, so the older seeds are gone — then
signs with that epoch's key. The seal carries ``fs``: its epoch, the epoch public key and the Merkle
path. A verifier holding the commitment checks that the epoch is the one of the seal's own date, that
the public key is the committed leaf of that epoch, and the signature.

What it protects: whoever takes the key file at a time in epoch ``e`` holds ``s_e`` and can derive the
seeds of epochs ``e, e+1, …`` only. Every seal dated before the start of epoch ``e`` was signed by a key
that no longer exists; no one can forge, alter or re-sign it, and a rewritten trail cannot be sealed
again under those dates. What it does not: the thief signs freely from epoch ``e`` on (the current
epoch included, so up to ``interval`` seconds back), can truncate or fork the trail and its seal log
from now on, and can delete the seal log altogether and seal a rewritten trail with seals dated after
the theft; only a copy kept elsewhere (``auditkit sync``, ``ship``, RFC 3161 tokens) or the verifier's
knowledge that seals existed earlier shows that. A seed erased from the file may survive in the
filesystem's journal, a snapshot, a backup or an SSD's spare blocks. The key moves on only when it
signs (or ``auditkit keygen --evolve`` from cron): between seals it stays at the epoch of the last one.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditkit.errors import SealError
from auditkit.trail import private_files

KEY_TYPE = "auditkit.fs-key"
COMMITMENT_TYPE = "auditkit.fs-commitment"
DEFAULT_INTERVAL = 900  # fifteen minutes, journald's default
DEFAULT_EPOCHS = 1 << 17  # with 15-minute epochs: 3.7 years, then a new key (and a new commitment to hand over)
_KEY_WIDTH = 512  # the key file is rewritten in place at this fixed size, so no old bytes stay in its tail


def _next_seed(seed: bytes) -> bytes:
    return hashlib.sha256(b"auditkit-fs-next" + seed).digest()


def _epoch_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"auditkit-fs-key" + seed).digest())


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _leaf(pub: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + pub).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        row = levels[-1]
        levels.append([_node(row[i], row[i + 1]) for i in range(0, len(row), 2)])
    return levels


def _parse_time(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Commitment:
    """What the verifier keeps offline: the Merkle root of every epoch's public key, and the epochs' clock."""

    root: bytes
    t0: int
    interval: int
    epochs: int

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.root).hexdigest()[:16]

    def epoch_of(self, when: object) -> int | None:
        """The epoch of an ISO time (a seal's ``sealed_at``), None when it is no time or outside the key's life."""
        t = _parse_time(when)
        if t is None or t < self.t0:
            return None
        e = int((t - self.t0) // self.interval)
        return e if e < self.epochs else None

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "type": COMMITMENT_TYPE,
                "v": 1,
                "root": self.root.hex(),
                "t0": self.t0,
                "interval": self.interval,
                "epochs": self.epochs,
                "key_id": self.key_id,
            },
            option=orjson.OPT_APPEND_NEWLINE,
        )

    def check(self, body: dict, signed: bytes, sig: bytes) -> str | None:
        """Why a seal (or retirement) line does not verify under this commitment; None when it does."""
        fs = body.get("fs")
        if not isinstance(fs, dict):
            return "no forward-secure proof (fs): signed with a plain key, not the forward-secure one"
        epoch = fs.get("epoch")
        when = body.get("sealed_at", body.get("retired_at"))
        if not isinstance(epoch, int) or isinstance(epoch, bool) or not 0 <= epoch < self.epochs:
            return "fs.epoch is not an epoch of this key"
        if self.epoch_of(when) != epoch:
            return f"dated {when}, which is not in epoch {epoch}: a key of a later epoch signed for an earlier time"
        try:
            pub = base64.b64decode(fs.get("pub", ""), validate=True)
            path = base64.b64decode(fs.get("path", ""), validate=True)
        except (ValueError, TypeError):
            return "fs.pub or fs.path is not base64"
        depth = int(math.log2(self.epochs))
        if len(pub) != 32 or len(path) != 32 * depth:
            return "fs.pub or fs.path has the wrong size"
        node, index = _leaf(pub), epoch
        for i in range(depth):
            sibling = path[32 * i : 32 * i + 32]
            node = _node(sibling, node) if index & 1 else _node(node, sibling)
            index >>= 1
        if node != self.root:
            return f"fs.pub is not epoch {epoch}'s committed key: signed by a key this commitment does not hold"
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(sig, signed)
        except InvalidSignature:
            return "the signature does not verify under the epoch's key"
        return None


def load_commitment(data: bytes, where: str = "the public key") -> Commitment | None:
    """The commitment in ``data`` (a ``seal.pub`` of a forward-secure key), None when it is not one."""
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        doc = orjson.loads(data[:4096])
        kind = doc["type"]
        root = bytes.fromhex(doc["root"])
        t0, interval, epochs = int(doc["t0"]), int(doc["interval"]), int(doc["epochs"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise SealError(f"{where}: not a forward-secure commitment ({exc})") from None
    if kind != COMMITMENT_TYPE:
        raise SealError(f"{where}: a JSON document, but not a forward-secure commitment ({kind!r})")
    if len(root) != 32 or interval < 1 or epochs < 2 or epochs & (epochs - 1):
        raise SealError(f"{where}: a forward-secure commitment with impossible values")
    return Commitment(root, t0, interval, epochs)


def is_forward_key(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(64).lstrip().startswith(b'{"type":"' + KEY_TYPE.encode())
    except OSError:
        return False


def keygen(
    priv: Path, interval: int = DEFAULT_INTERVAL, epochs: int = DEFAULT_EPOCHS, now: float | None = None
) -> tuple[Path, Path]:
    """Write a forward-secure key (``priv``, 0600), its public keys (``.leaves``) and the commitment (``.pub``)."""
    if epochs < 2 or epochs & (epochs - 1) or interval < 1:
        raise SealError("--epochs must be a power of two (>= 2) and --interval at least one second")
    seed = os.urandom(32)
    t0 = int(now if now is not None else datetime.now(UTC).timestamp())
    pubs, s = [], seed
    for _ in range(epochs):
        pubs.append(_raw(_epoch_key(s).public_key()))
        s = _next_seed(s)
    root = _levels([_leaf(p) for p in pubs])[-1][0]
    commitment = Commitment(root, t0, interval, epochs)
    state = _state_bytes(commitment, 0, seed)
    outputs = (
        (priv, state, private_files.FILE_MODE),
        (priv.with_suffix(".leaves"), b"".join(pubs), private_files.PUBLIC_MODE),
        (priv.with_suffix(".pub"), commitment.to_bytes(), private_files.PUBLIC_MODE),
    )
    for path, data, mode in outputs:
        try:
            private_files.write_new(str(path), data, mode)
        except FileExistsError:
            raise SealError(f"{path} exists already: remove it first or choose another path") from None
    return priv, priv.with_suffix(".pub")


def _state_bytes(c: Commitment, epoch: int, seed: bytes) -> bytes:
    doc = {
        "type": KEY_TYPE,
        "v": 1,
        "epoch": epoch,
        "seed": base64.b64encode(seed).decode(),
        "root": c.root.hex(),
        "t0": c.t0,
        "interval": c.interval,
        "epochs": c.epochs,
    }
    return orjson.dumps(doc).ljust(_KEY_WIDTH - 1) + b"\n"


def _read_state(fd: int, where: str) -> tuple[Commitment, int, bytes]:
    data = os.pread(fd, _KEY_WIDTH + 1, 0)
    try:
        doc = orjson.loads(data)
        c = Commitment(bytes.fromhex(doc["root"]), int(doc["t0"]), int(doc["interval"]), int(doc["epochs"]))
        seed = base64.b64decode(doc["seed"], validate=True)
        epoch = int(doc["epoch"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise SealError(f"{where}: not a readable forward-secure key ({exc})") from None
    if len(seed) != 32:
        raise SealError(f"{where}: the forward-secure key's seed is not 32 bytes")
    return c, epoch, seed


class ForwardSigner:
    """Signs seal lines with a forward-secure key file, moving it to each line's epoch first (under a lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            self.commitment = _read_state(fd, str(path))[0]
        finally:
            os.close(fd)
        self.key_id = self.commitment.key_id

    def sign_line(self, body: dict, date_field: str, now: Callable[[], str]) -> tuple[bytes, bytes]:
        """Date ``body`` (``date_field``, unless set) and add ``fs`` for that date's epoch; return (signed bytes,
        signature). The date is taken under the key's lock, so concurrent sealers never step back an epoch."""
        fd = private_files.open_file(str(self.path), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            when = body[date_field] = body.get(date_field) or now()
            epoch = self.commitment.epoch_of(when)
            if epoch is None:
                raise SealError(f"{self.path}: {when} is outside this forward-secure key's life; make a new key")
            c, current, seed = _read_state(fd, str(self.path))
            if epoch < current:
                raise SealError(
                    f"{self.path}: the key is at epoch {current}, past {when} (epoch {epoch}): the clock went back, "
                    "or the key was moved on; the older epochs' keys are gone"
                )
            seed = _advance(fd, c, current, epoch, seed)
            key = _epoch_key(seed)
            pub = _raw(key.public_key())
            body["fs"] = {
                "epoch": epoch,
                "pub": base64.b64encode(pub).decode(),
                "path": base64.b64encode(b"".join(self._path(epoch))).decode(),
            }
            signed = orjson.dumps(body)
            return signed, key.sign(signed)
        finally:
            os.close(fd)

    def _path(self, epoch: int) -> list[bytes]:
        leaves_file = self.path.with_suffix(".leaves")
        raw = leaves_file.read_bytes()
        if len(raw) != 32 * self.commitment.epochs:
            raise SealError(f"{leaves_file}: not the {self.commitment.epochs} public keys of this forward-secure key")
        levels = _levels([_leaf(raw[i : i + 32]) for i in range(0, len(raw), 32)])
        if levels[-1][0] != self.commitment.root:
            raise SealError(f"{leaves_file}: its public keys do not give the key's commitment")
        path, index = [], epoch
        for row in levels[:-1]:
            path.append(row[index ^ 1])
            index >>= 1
        return path


def _advance(fd: int, c: Commitment, current: int, epoch: int, seed: bytes) -> bytes:
    """Move the key file from epoch ``current`` to ``epoch``: overwrite the seed in place and sync it."""
    if epoch == current:
        return seed
    for _ in range(epoch - current):
        seed = _next_seed(seed)
    os.pwrite(fd, _state_bytes(c, epoch, seed), 0)
    os.fsync(fd)
    return seed


def evolve(path: str | os.PathLike[str], now: datetime | None = None) -> int:
    """Move a forward-secure key to the epoch of ``now`` (from cron, between seals); return that epoch."""
    fd = private_files.open_file(str(path), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        c, current, seed = _read_state(fd, str(path))
        when = (now or datetime.now(UTC)).isoformat()
        epoch = c.epoch_of(when)
        if epoch is None:
            raise SealError(f"{path}: {when} is outside this forward-secure key's life; make a new key")
        if epoch > current:
            _advance(fd, c, current, epoch, seed)
        return max(epoch, current)
    finally:
        os.close(fd)
