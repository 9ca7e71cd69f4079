"""Shared helpers: run the real hook the way Claude Code does, on isolated config and trails."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditkit.installer import hook_script
from auditkit.trail.config import ENVIRONMENT

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_logs"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real ~/.config/auditkit and any ambient auditkit settings."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    for var in ENVIRONMENT:  # every variable auditkit reads, from its one list
        if not var.startswith("XDG_"):
            monkeypatch.delenv(var, raising=False)
    allow_test_overrides(config)
    return config


def allow_test_overrides(config_home: Path) -> Path:
    """Tests pin the clock, trail ids, user and host: the user's allow-env (in the test's own config) lets them.
    Attack tests remove it, or never write one, to run as a real installation does."""
    folder = config_home / "auditkit"
    folder.mkdir(mode=0o700, exist_ok=True)
    allow = folder / "allow-env"
    names = ("AUDITKIT_NOW", "AUDITKIT_TRAIL_ID", "AUDITKIT_USER", "AUDITKIT_HOST", "AUDITKIT_MAX_FIELD_BYTES",
             "AUDITKIT_FINGERPRINT_KEY", "AUDITKIT_TRAIL", "AUDITKIT_REDACT", "AUDITKIT_SEAL_KEY",
             "AUDITKIT_SEAL_EVERY")  # fmt: skip
    allow.write_text("# written by tests/conftest.py\n" + "\n".join(names) + "\n")
    allow.chmod(0o600)
    return allow


def hook_argv(trail: Path | None = None, *extra: str) -> list[str]:
    argv = [sys.executable, "-I", "-S", str(hook_script())]
    if trail is not None:
        argv += ["--trail", str(trail)]
    return [*argv, *extra]


def run_hook(
    payload: dict | bytes | str,
    trail: Path | None = None,
    *extra: str,
    env: dict | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """Pipe one event through the real hook process; return the completed process."""
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return subprocess.run(
        hook_argv(trail, *extra),
        input=payload,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def own_copy(src: Path, dst: Path) -> Path:
    """``src`` (a sample trail, written elsewhere) re-chained into ``dst`` under a start marked with this
    installation's key: a trail this installation made, which the hook continues (it sets unmarked ones aside)."""
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    out, prev = [], None
    for seq, line in enumerate(src.read_bytes().splitlines()):
        rec = json.loads(line)
        fields = {k: v for k, v in rec.items() if k not in ("v", "seq", "ts", "prev", "hash")}
        if prev is None:
            prev = tf.genesis_hash(fields["data"]["trail_id"], fields["data"]["created"])
            appender.mark_start(fields, seq, rec["ts"], prev)
        encoded = tf.encode_record(seq, rec["ts"], prev, fields)
        prev = json.loads(encoded)["hash"]
        out.append(encoded)
    dst.write_bytes(b"".join(out))
    return dst


def read_records(trail: Path) -> list[dict]:
    return [json.loads(line) for line in trail.read_text().splitlines() if line.strip()]


def payload(event: str, session: str = "sess-1", **extra: object) -> dict:
    """A hook payload with the common fields Claude Code always sends."""
    return {
        "session_id": session,
        "transcript_path": f"/home/dev/.claude/projects/-home-dev-app/{session}.jsonl",
        "cwd": "/home/dev/app",
        "permission_mode": "default",
        "hook_event_name": event,
        **extra,
    }


@pytest.fixture
def full_disk(tmp_path: Path):
    """A real, tiny file system (a 64 KiB tmpfs mounted for the test) that a test can fill up."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


#: Credentials moto's server takes (any would do; never real ones).
AWS_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's server (the real S3 protocol) on 127.0.0.1, one per test module: buckets never leak between them."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """A boto3 S3 client of the module's moto server, with test credentials in the environment."""
    import boto3

    for k, v in AWS_TEST_ENV.items():
        monkeypatch.setenv(k, v)
    return boto3.client("s3", endpoint_url=s3_endpoint)


def self_signed_tls(tmp_path: Path) -> ssl.SSLContext:
    """A TLS server context with a throwaway self-signed certificate for 127.0.0.1 (``tmp_path/cert.pem``, which a
    client can be told to trust)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return tls
