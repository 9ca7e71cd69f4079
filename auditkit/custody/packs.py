"""Evidence packs kept and proven intact: ``manifest.json`` signed with the seal key, files private.

A pack (see :mod:`auditkit.present.evidence`) is a folder whose ``manifest.json`` lists every output
with its SHA-256. :func:`sign_pack` signs the manifest's exact bytes with the Ed25519 seal key and
writes the raw 64-byte signature to ``manifest.json.sig``, which ``openssl`` checks on its own::

    openssl pkeyutl -verify -pubin -inkey seal.pub -rawin -in manifest.json -sigfile manifest.json.sig

:func:`verify_pack` checks the signature with a public key the verifier holds (never one the pack
carries: whoever rewrote a pack could ship their own), then every file against the manifest, and that
the folder holds no file the manifest does not name. Pack files are 0600 and the folder 0700 unless the
caller asks for another mode (:func:`protect`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auditkit.custody.forward import is_forward_key
from auditkit.custody.seals import default_key_path, key_id, load_private, load_public
from auditkit.errors import SealError
from auditkit.store.names import PACK_MANIFEST
from auditkit.store.names import is_pack as is_pack  # where anchors and older callers look for it

MANIFEST = PACK_MANIFEST
SIGNATURE = "manifest.json.sig"
#: RFC 3161 tokens over ``manifest.json`` (``auditkit anchor PACK``): added after the pack was made, so not listed
ANCHORS = "manifest.anchors.jsonl"
#: Pack file mode by default; the folder gets the same with search (x) bits where read bits are.
FILE_MODE = 0o600


def folder_mode(file_mode: int) -> int:
    """The folder mode that goes with a file mode: each read bit also grants search (0600 -> 0700, 0644 -> 0755)."""
    return file_mode | ((file_mode & 0o444) >> 2)


def protect(folder: str | os.PathLike[str], file_mode: int = FILE_MODE) -> None:
    """Set every file in the pack folder to ``file_mode`` and the folder to :func:`folder_mode` of it."""
    folder = Path(folder)
    for p in folder.iterdir():
        if p.is_file() and not p.is_symlink():
            os.chmod(p, file_mode)
    os.chmod(folder, folder_mode(file_mode))


def signing_key(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The seal key a pack is signed with: ``path``, else the seal key (``AUDITKIT_SEAL_KEY`` or
    ``<config>/seal.key``) when it exists and is a plain Ed25519 key; None when there is none (the pack stays
    unsigned: a forward-secure seal key signs seals only, so such a user signs packs with ``--seal-key``, or
    anchors them with a TSA)."""
    if path:
        return Path(path)
    default = default_key_path()
    return default if default.is_file() and not is_forward_key(default) else None


def signature_block(key_path: str | os.PathLike[str]) -> dict:
    """What the manifest says about its own signature, written into it before it is signed."""
    key = load_private(key_path)
    return {"algorithm": "Ed25519", "key_id": key_id(key.public_key()), "file": SIGNATURE}


def sign_pack(folder: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> Path:
    """Sign ``folder/manifest.json``'s bytes; the raw signature goes to ``manifest.json.sig`` (0600)."""
    folder = Path(folder)
    key = load_private(key_path)
    sig = key.sign((folder / MANIFEST).read_bytes())
    out = folder / SIGNATURE
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(sig)
    return out


@dataclass
class PackReport:
    folder: str
    signed: bool = False
    signature_valid: bool | None = None
    key_id: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # name -> "ok" or what is wrong
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.signature_valid is True and not self.problems

    def to_dict(self) -> dict:
        return {
            "folder": self.folder,
            "intact": self.intact,
            "signed": self.signed,
            "signature_valid": self.signature_valid,
            "key_id": self.key_id,
            "files": self.files,
            "problems": self.problems,
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_pack(folder: str | os.PathLike[str], pubkey: str | os.PathLike[str] | None = None) -> PackReport:
    """Check a pack: the manifest's signature with ``pubkey`` (default: ``seal.pub`` beside the seal key),
    each output's SHA-256 and size against the manifest, and no file the manifest does not list.
    ``intact`` only when the signature is valid and nothing else is wrong."""
    folder = Path(folder)
    report = PackReport(str(folder))
    raw = (folder / MANIFEST).read_bytes()
    sig_path = folder / SIGNATURE
    report.signed = sig_path.is_file()
    public_path = Path(pubkey) if pubkey else default_key_path().with_suffix(".pub")
    public: Ed25519PublicKey | None = None
    if not report.signed:
        report.problems.append(f"{SIGNATURE} is missing: the manifest is not signed, anyone could have rewritten it")
    elif not public_path.is_file():
        report.problems.append(f"no public key to check the signature with ({public_path}): pass --pubkey")
    else:
        try:
            public = load_public(public_path)
        except SealError as exc:
            report.problems.append(str(exc))
    if public is not None:
        report.key_id = key_id(public)
        try:
            public.verify(sig_path.read_bytes(), raw)
            report.signature_valid = True
        except InvalidSignature:
            report.signature_valid = False
            report.problems.append(f"{MANIFEST}: the signature does not match (key {report.key_id})")
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        report.problems.append(f"{MANIFEST} is not JSON: {exc}")
        return report
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(outputs, list):
        report.problems.append(f"{MANIFEST} lists no outputs")
        outputs = []
    listed = set()
    for o in outputs:
        name = o.get("path") if isinstance(o, dict) else None
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            report.problems.append(f"{MANIFEST}: an output entry without a plain file name: {o!r}"[:300])
            continue
        listed.add(name)
        p = folder / name
        if not p.is_file() or p.is_symlink():
            report.files[name] = "missing"
        elif p.stat().st_size != o.get("bytes") or _sha256(p) != o.get("sha256"):
            report.files[name] = "changed: its SHA-256 or size differs from the manifest"
        else:
            report.files[name] = "ok"
    for name, state in report.files.items():
        if state != "ok":
            report.problems.append(f"{name}: {state}")
    for p in sorted(folder.iterdir()):
        if p.name not in listed and p.name not in (MANIFEST, SIGNATURE, ANCHORS):
            report.files[p.name] = "not in the manifest"
            report.problems.append(f"{p.name}: not in the manifest (added after the pack was made)")
    return report


def seal_pack(
    folder: str | os.PathLike[str], key_path: str | os.PathLike[str] | None = None, file_mode: int = FILE_MODE
) -> dict:
    """Finish a written pack: name the signature in its manifest and sign it (with ``key_path``, else the
    seal key when there is one), then set the modes (:func:`protect`). Returns the manifest as written."""
    folder = Path(folder)
    path = folder / MANIFEST
    manifest = json.loads(path.read_bytes())
    key = signing_key(key_path)
    if key is not None:
        manifest["signature"] = signature_block(key)
        path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        sign_pack(folder, key)
    protect(folder, file_mode)
    return manifest


def parse_mode(text: str) -> int:
    """A pack file mode given as octal (``0600``, ``640``): read and write for the owner, no execute bits."""
    try:
        mode = int(text, 8)
    except ValueError:
        raise SealError(f"--mode {text!r}: not an octal file mode such as 0600 or 0640") from None
    if mode & ~0o666 or mode & 0o600 != 0o600:
        raise SealError(f"--mode {text}: a pack file mode must give the owner read and write and no execute bits")
    return mode
