"""Forward-secure sealing: a key that moves on with time. Whoever steals it today cannot sign for an earlier
epoch: a forged seal over records sealed before the theft fails ``verify``, where a stolen plain key's passes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.custody import forward
from auditkit.custody import seals as sealing
from auditkit.custody.seals import keygen, seal, seal_log_path
from auditkit.errors import SealError
from auditkit.trail import format as tf
from tests.conftest import REPO, SAMPLES, own_copy

INTERVAL, EPOCHS = 1, 128  # one-second epochs: a test crosses several in a few seconds


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    return own_copy(SAMPLES / "concurrent" / "audit-trail.jsonl", tmp_path / "logs" / "audit-trail.jsonl")


def fs_keys(tmp_path: Path) -> tuple[Path, Path]:
    return keygen(tmp_path / "keys" / "seal.key", forward_secure={"interval": INTERVAL, "epochs": EPOCHS})


def sealed_over_epochs(trail: Path, key: Path, n: int = 3) -> list[dict]:
    out = []
    for _ in range(n):
        out.append(seal(trail, key))
        time.sleep(INTERVAL * 1.1)
    return out


def rewrite_record(trail: Path, seq: int) -> None:
    """The thief's edit of a sealed record, the chain recomputed after it (the chain alone is not keyed)."""
    lines = trail.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]
    out, prev = lines[:seq], records[seq]["prev"]
    for rec in records[seq:]:
        fields = {k: v for k, v in rec.items() if k not in ("v", "seq", "ts", "prev", "hash")}
        if rec["seq"] == seq:
            fields["tool_name"] = "Read"  # what the agent did, told otherwise
        line = tf.encode_record(rec["seq"], rec["ts"], prev, fields).rstrip(b"\n")
        prev = json.loads(line)["hash"]
        out.append(line)
    trail.write_bytes(b"\n".join(out) + b"\n")


def resign_log(trail: Path, key: Path, claim_epoch: bool = False) -> None:
    """Re-sign every seal line with the (stolen) key over the rewritten trail's hashes, keeping each seal's date.

    A plain key signs as it always did. A forward-secure one can sign only with its current epoch's key: the
    thief either says so (``fs.epoch`` the current one) or claims each seal's own, earlier epoch and its path."""
    head = {json.loads(r)["seq"]: json.loads(r)["hash"] for r in trail.read_bytes().splitlines()}
    log = seal_log_path(trail)
    old = [json.loads(sealing.split_seal(r)[0]) for r in log.read_bytes().splitlines()]
    log.unlink()
    signer = sealing._signer(key)
    for body in old:
        body = {k: v for k, v in body.items() if k not in ("prev_seal", "key_id", "fs")}
        body["head_hash"] = head[body["seq"]]
        if not isinstance(signer, forward.ForwardSigner):
            sealing._append_signed(log, body, signer, "sealed_at")
            continue
        current = json.loads(key.read_bytes())["epoch"]
        epoch = signer.commitment.epoch_of(body["sealed_at"]) if claim_epoch else current
        signed, sig = _sign_as_epoch(signer, body, epoch, log)
        with open(log, "ab") as fh:
            fh.write(signed[:-1] + b',"sig":"' + base64.b64encode(sig) + b'"}\n')


def _sign_as_epoch(signer: forward.ForwardSigner, body: dict, epoch: int, log: Path) -> tuple[bytes, bytes]:
    """Sign with the stolen (current) epoch key, naming ``epoch`` and that epoch's committed Merkle path."""
    state = json.loads(signer.path.read_bytes())
    key = forward._epoch_key(base64.b64decode(state["seed"]))
    raw = log.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1] if log.exists() else b""
    body["prev_seal"] = hashlib.sha256(raw).hexdigest() if raw else None
    body["key_id"] = signer.key_id
    body["fs"] = {
        "epoch": epoch,
        "pub": base64.b64encode(forward._raw(key.public_key())).decode(),
        "path": base64.b64encode(b"".join(signer._path(epoch))).decode(),
    }
    signed = json.dumps(body, separators=(",", ":")).encode()
    return signed, key.sign(signed)


def test_forward_secure_seals_verify_against_the_offline_commitment(trail: Path, tmp_path: Path, capsys) -> None:
    key, commitment = fs_keys(tmp_path)
    first_state = key.read_bytes()
    seals = sealed_over_epochs(trail, key)
    epochs = [s["fs"]["epoch"] for s in seals]
    assert epochs == sorted(set(epochs)) and len(epochs) == 3
    report = auditkit.verify(trail, pubkey=commitment)
    assert report.intact and report.seals["valid"] == 3, report.findings
    assert main(["verify", str(trail), "--pubkey", str(commitment)]) == 0
    assert "INTACT" in capsys.readouterr().out
    # the key file moved on: the first epoch's seed is no longer in it
    first_seed = json.loads(first_state)["seed"].encode()
    assert first_seed not in key.read_bytes() and json.loads(key.read_bytes())["epoch"] == epochs[-1]


@pytest.mark.parametrize("claim_epoch", [False, True], ids=["under-the-old-dates", "claiming-the-old-epochs"])
def test_a_stolen_current_key_cannot_reseal_earlier_records(trail: Path, tmp_path: Path, claim_epoch: bool) -> None:
    key, commitment = fs_keys(tmp_path)
    sealed_over_epochs(trail, key)
    stolen = tmp_path / "thief" / "seal.key"
    stolen.parent.mkdir()
    stolen.write_bytes(key.read_bytes())
    stolen.with_suffix(".leaves").write_bytes(key.with_suffix(".leaves").read_bytes())
    rewrite_record(trail, 3)
    resign_log(trail, stolen, claim_epoch)
    report = auditkit.verify(trail, pubkey=commitment)
    assert not report.intact
    assert {f.kind for f in report.findings if f.severity == "error"} == {"seal_signature"}
    reasons = " ".join(f.message for f in report.findings)
    assert ("not epoch" in reasons) if claim_epoch else ("not in epoch" in reasons)


def test_a_stolen_plain_key_reseals_earlier_records_unseen(trail: Path, tmp_path: Path) -> None:
    """What forward security adds: with a plain key, the same theft rewrites history and verify cannot tell."""
    key, pub = keygen(tmp_path / "plain" / "seal.key")
    sealed_over_epochs(trail, key)
    rewrite_record(trail, 3)
    resign_log(trail, key)
    assert auditkit.verify(trail, pubkey=pub).intact


def test_a_stolen_key_adding_a_seal_over_rewritten_records_is_caught_by_the_earlier_seals(
    trail: Path, tmp_path: Path
) -> None:
    key, commitment = fs_keys(tmp_path)
    sealed_over_epochs(trail, key, 2)
    rewrite_record(trail, 3)
    seal(trail, key)  # the thief's new seal, valid in its own epoch
    kinds = {f.kind for f in auditkit.verify(trail, pubkey=commitment).findings if f.severity == "error"}
    assert "rewritten" in kinds


def test_an_old_copy_of_the_key_signing_after_a_newer_seal_is_caught(trail: Path, tmp_path: Path) -> None:
    key, commitment = fs_keys(tmp_path)
    kept = key.read_bytes()  # a backup of the key, taken at set-up
    seals = sealed_over_epochs(trail, key, 2)
    key.write_bytes(kept)  # restored
    body = {"type": tf.SEAL_TYPE, "v": 1, "trail_id": seals[0]["trail_id"], "seq": seals[0]["seq"]}
    body |= {"records": seals[0]["seq"] + 1, "head_hash": seals[0]["head_hash"], "sealed_at": seals[0]["sealed_at"]}
    sealing._append_signed(seal_log_path(trail), body, sealing._signer(key), "sealed_at")
    kinds = {f.kind for f in auditkit.verify(trail, pubkey=commitment).findings if f.severity == "error"}
    assert kinds == {"seal_epoch"}


def test_the_key_refuses_to_sign_for_a_past_epoch_and_evolves_from_cron(trail: Path, tmp_path: Path) -> None:
    key, _ = fs_keys(tmp_path)
    s = seal(trail, key)
    time.sleep(INTERVAL * 1.1)
    assert main(["keygen", "--key", str(key), "--evolve"]) == 0
    assert json.loads(key.read_bytes())["epoch"] > s["fs"]["epoch"]
    body = {"type": tf.SEAL_TYPE, "v": 1, "trail_id": s["trail_id"], "seq": s["seq"], "records": s["records"]}
    body |= {"head_hash": s["head_hash"], "sealed_at": s["sealed_at"]}
    with pytest.raises(SealError, match="older epochs' keys are gone"):
        sealing._append_signed(seal_log_path(trail), body, sealing._signer(key), "sealed_at")
    with pytest.raises(SealError, match="forward-secure"):
        sealing.load_private(key)  # packs and other signatures need a plain key


def test_the_command_the_hook_starts_seals_with_a_forward_secure_key(trail: Path, tmp_path: Path) -> None:
    """The hook starts ``auditkit seal TRAIL --key KEY --quiet`` detached whatever the key: the same command, in
    its own process, seals with a forward-secure key (the hook itself is unchanged and imports nothing new)."""
    key, commitment = fs_keys(tmp_path)
    argv = [sys.executable, "-m", "auditkit", "seal", str(trail), "--key", str(key), "--quiet"]
    done = subprocess.run(argv, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "fs" in json.loads(seal_log_path(trail).read_bytes().splitlines()[0])
    assert auditkit.verify(trail, pubkey=commitment).intact
    hook = (REPO / "auditkit" / "trail" / "capture.py").read_text()
    assert '"seal", trail, "--key", key, "--quiet"' in hook and "forward" not in hook
