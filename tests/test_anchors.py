"""External timestamps: seals anchored by a real RFC 3161 TSA (``openssl ts -reply`` in its own process on
127.0.0.1, with a test root and a TSA certificate carrying the critical timeStamping key usage), checked
offline by ``auditkit verify --ca`` and by ``openssl ts -verify`` alone, as docs/trail-format.md says."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import auditkit
from auditkit.cli import main
from auditkit.custody import anchors
from auditkit.custody.seals import keygen, seal, seal_log_path
from auditkit.errors import AnchorError
from tests.conftest import REPO, SAMPLES, own_copy, payload, run_hook

HERE = Path(__file__).parent
NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(home: Path, valid_from: dt.datetime | None = None, valid_to: dt.datetime | None = None) -> Path:
    """A test root and a TSA certificate it issued (critical timeStamping EKU) in ``home``; returns the root."""
    home.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(f"auditkit test root {home.name}"))
        .issuer_name(_name(f"auditkit test root {home.name}"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=400))
        .not_valid_after(NOW + dt.timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("auditkit test TSA"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or NOW - dt.timedelta(days=1))
        .not_valid_after(valid_to or NOW + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (home / "root.pem").write_bytes(root.public_bytes(pem))
    (home / "tsa.pem").write_bytes(tsa.public_bytes(pem))
    (home / "chain.pem").write_bytes(tsa.public_bytes(pem))  # the signer alone: the root comes from the verifier
    (home / "tsa.key").write_bytes(
        tsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return home / "root.pem"


def start_tsa(home: Path, mode: str = "ok") -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "tsa_server.py"), str(home), mode], stdout=subprocess.PIPE, text=True
    )
    port = proc.stdout.readline().strip()  # type: ignore[union-attr]
    assert port.isdigit(), "the test TSA did not start"
    return proc, f"http://127.0.0.1:{port}/tsr"


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A running TSA on 127.0.0.1 (its own process) and the root its certificate chains to."""
    root = make_pki(tmp_path / "pki")
    proc, url = start_tsa(tmp_path / "pki")
    yield url, root
    proc.kill()
    proc.wait()


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[Path, tuple[Path, Path]]:
    """A trail this installation wrote, sealed twice with a plain key."""
    (tmp_path / "logs").mkdir()
    trail = own_copy(SAMPLES / "concurrent" / "audit-trail.jsonl", tmp_path / "logs" / "audit-trail.jsonl")
    keys = keygen(tmp_path / "keys" / "seal.key")
    seal(trail, keys[0])
    seal(trail, keys[0])
    return trail, keys


def _entries(trail: Path) -> list[dict]:
    return [json.loads(line) for line in seal_log_path(trail).read_bytes().splitlines()]


def _kinds(report: auditkit.VerifyReport) -> set[str]:
    return {f.kind for f in report.findings if f.severity == "error"}


def test_every_seal_gets_a_token_that_verifies_offline(sealed, tsa, capsys) -> None:
    trail, keys = sealed
    url, root = tsa
    assert main(["anchor", str(trail), "--tsa", url, "--ca", str(root)]) == 0
    assert "2 token(s) added" in capsys.readouterr().out
    tokens = [e for e in _entries(trail) if e["type"] == "auditkit.anchor"]
    assert [t["seal_line"] for t in tokens] == [1, 2] and all(t["tsa"] == url for t in tokens)
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert report.intact, report.findings
    assert report.anchors["valid"] == 2 and report.anchors["unanchored"] == 0
    assert main(["anchor", str(trail), "--tsa", url, "--ca", str(root)]) == 0  # nothing left to anchor
    assert "0 token(s) added, 2 already there" in capsys.readouterr().out
    assert main(["verify", str(trail), "--pubkey", str(keys[1]), "--ca", str(root), "--require-anchors"]) == 0
    assert "anchors: 2/2 token(s) valid" in capsys.readouterr().out


def test_a_seal_without_a_token_is_reported(sealed, tsa) -> None:
    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    seal(trail, keys[0])  # a third seal, not anchored yet
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert report.intact and report.anchors["unanchored"] == 1
    assert any(f.kind == "unanchored" and f.severity == "warning" for f in report.findings)
    assert "unanchored" in _kinds(auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root], require_anchors=True))


def test_a_seal_changed_and_re_signed_after_anchoring_fails(sealed, tsa) -> None:
    """The insider with the seal key re-dates a seal and signs it again: the TSA's token no longer matches."""
    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    log = seal_log_path(trail)
    lines = log.read_bytes().splitlines(keepends=True)
    from auditkit.custody import seals as sealing

    signer = sealing._signer(keys[0])
    body = json.loads(sealing.split_seal(lines[0])[0])
    body["sealed_at"] = "2020-01-01T00:00:00.000000Z"  # the insider's story: sealed long before
    signed, sig = signer.sign_line(body, "sealed_at", lambda: "")
    forged = signed[:-1] + b',"sig":"' + base64.b64encode(sig) + b'"}'
    lines[0] = forged + b"\n"
    old_digest = json.loads(lines[2])["seal_sha256"]
    # the anchor line now names the new seal, as the insider would make it (the token itself cannot change)
    lines[2] = lines[2].replace(old_digest.encode(), __import__("hashlib").sha256(forged).hexdigest().encode())
    log.write_bytes(b"".join(lines))
    report = auditkit.verify(trail, tsa_ca=[root])
    assert "anchor_token" in _kinds(report)
    assert any("message imprint" in f.message for f in report.findings)


def test_a_seal_changed_after_anchoring_leaves_its_token_orphaned(sealed, tsa) -> None:
    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    log = seal_log_path(trail)
    data = log.read_bytes()
    first = data.split(b"\n", 1)[0]
    log.write_bytes(data.replace(first, first.replace(b'"seq":', b'"seq": ', 1), 1))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert {"anchor_orphan", "seal_chain"} <= _kinds(report)


def test_a_token_for_another_seal_is_refused_and_does_not_verify(sealed, tsa, tmp_path: Path) -> None:
    trail, keys = sealed
    url, root = tsa
    other, other_url = start_tsa(tmp_path / "pki", "other")  # same TSA key, answering for other data
    try:
        result = anchors.anchor(trail, [other_url], anchors.Trust.load([root], None))
    finally:
        other.kill()
        other.wait()
    assert not result.anchored and all("message imprint" in why for why in result.failed)
    # a real token of seal 2 copied under seal 1
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    log = seal_log_path(trail)
    lines = log.read_bytes().splitlines(keepends=True)
    a1, a2 = json.loads(lines[2]), json.loads(lines[3])
    lines[2] = (
        lines[2].replace(a1["token"].encode(), a2["token"].encode()).replace(a1["nonce"].encode(), a2["nonce"].encode())
    )
    log.write_bytes(b"".join(lines))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert "anchor_token" in _kinds(report) and report.anchors["unanchored"] == 1


def test_a_token_checked_against_another_root_fails(sealed, tsa, tmp_path: Path) -> None:
    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    stranger = make_pki(tmp_path / "stranger")
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[stranger])
    assert "anchor_token" in _kinds(report) and report.anchors["valid"] == 0
    with pytest.raises(AnchorError, match="does not verify"):
        anchors.request(url, b"x", anchors.Trust.load([stranger], None))


@pytest.mark.parametrize(
    "window",
    [
        (NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1)),  # expired
        (NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30)),  # not yet valid
    ],
    ids=["expired", "not-yet-valid"],
)
def test_a_tsa_certificate_not_valid_at_the_token_time_fails(sealed, tmp_path: Path, window) -> None:
    trail, keys = sealed
    root = make_pki(tmp_path / "pki", *window)
    proc, url = start_tsa(tmp_path / "pki")
    try:
        refused = anchors.anchor(trail, [url], anchors.Trust.load([root], None))
        kept = anchors.anchor(trail, [url], None)  # kept unchecked (no --ca): verify must catch it
    finally:
        proc.kill()
        proc.wait()
    assert not refused.anchored and refused.failed
    assert len(kept.anchored) == 2
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert "anchor_token" in _kinds(report) and report.anchors["valid"] == 0


def test_a_token_dated_before_the_seal_it_covers_fails(tmp_path: Path, tsa) -> None:
    """A seal dated after its TSA token (the host's clock, or the insider's story, ahead of the TSA's) is caught."""
    url, root = tsa
    (tmp_path / "logs").mkdir()
    trail = own_copy(SAMPLES / "concurrent" / "audit-trail.jsonl", tmp_path / "logs" / "audit-trail.jsonl")
    keys = keygen(tmp_path / "keys" / "seal.key")
    from auditkit.custody import seals as sealing

    future = (NOW + dt.timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    body = {"type": "auditkit.seals", "v": 1, "trail_id": None, "seq": 0, "records": 0, "head_hash": None}
    tid, seq, head = sealing._head(trail)
    body.update(trail_id=tid, seq=seq, records=seq + 1, head_hash=head, sealed_at=future)
    sealing._append_signed(seal_log_path(trail), body, sealing._signer(keys[0]), "sealed_at")
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert "anchor_time" in _kinds(report)


def test_a_tsa_that_is_down_leaves_seals_for_a_later_run(sealed, tmp_path: Path, capsys) -> None:
    trail, keys = sealed
    root = make_pki(tmp_path / "pki")
    down = "http://127.0.0.1:9/tsr"  # discard port: nothing listens
    started = time.monotonic()
    assert main(["anchor", str(trail), "--tsa", down, "--ca", str(root), "--timeout", "2"]) == 1
    assert time.monotonic() - started < 5  # one wait for a dead TSA, not one per seal
    assert "did not answer" in capsys.readouterr().err
    assert not [e for e in _entries(trail) if e["type"] == "auditkit.anchor"]
    proc, url = start_tsa(tmp_path / "pki")
    try:
        assert main(["anchor", str(trail), "--tsa", url, "--ca", str(root)]) == 0
    finally:
        proc.kill()
        proc.wait()
    assert auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root], require_anchors=True).intact


def test_the_hook_is_never_slowed_by_anchoring(tmp_path: Path, isolated_config: Path) -> None:
    """A SessionEnd with a seal key and a configured TSA that accepts and never answers (5 s timeout): the hook
    returns at once; the seal and its anchoring happen in the process it starts detached."""
    import socket

    keys = keygen(tmp_path / "keys" / "seal.key")
    trail = tmp_path / "t.jsonl"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        _config_tsa(isolated_config, f"http://127.0.0.1:{silent.getsockname()[1]}/tsr", make_pki(tmp_path / "pki"))
        started = time.monotonic()
        done = run_hook(payload("SessionEnd", reason="other"), trail, env={"AUDITKIT_SEAL_KEY": str(keys[0])})
        took = time.monotonic() - started
    finally:
        silent.close()
    assert done.returncode == 0 and took < 2.5, (took, done.stderr)
    hook_source = (REPO / "auditkit" / "trail" / "capture.py").read_text()
    assert "anchor" not in hook_source and "rfc3161" not in hook_source


@pytest.mark.parametrize("mode", ["redirect", "huge", "drip"])
def test_a_hostile_tsa_answer_is_refused_unread(sealed, tmp_path: Path, mode: str) -> None:
    trail, _ = sealed
    make_pki(tmp_path / "pki")
    proc, url = start_tsa(tmp_path / "pki", mode)
    started = time.monotonic()
    try:
        result = anchors.anchor(trail, [url], None, timeout=1)
    finally:
        proc.kill()
        proc.wait()
    assert not result.anchored and time.monotonic() - started < 6  # a dripping TSA is one bounded wait per run
    said = {"redirect": "HTTP 302", "huge": "over 32768 bytes", "drip": "longer than twice the timeout"}[mode]
    assert result.failed and all(said in why for why in result.failed), result.failed


def test_several_tsas_each_give_a_token(sealed, tmp_path: Path) -> None:
    trail, keys = sealed
    roots, procs, urls = [], [], []
    for name in ("a", "b"):
        roots.append(make_pki(tmp_path / name))
        proc, url = start_tsa(tmp_path / name)
        procs.append(proc)
        urls.append(url)
    try:
        result = anchors.anchor(trail, urls, anchors.Trust.load(roots, None))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert len(result.anchored) == 4
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=roots)
    assert report.intact and report.anchors["valid"] == 4 and report.anchors["tsas"] == {"CN=auditkit test TSA": 4}


def _openssl_recipe() -> list[str]:
    """The shell lines of docs/trail-format.md's token recipe, as written there."""
    doc = (REPO / "docs" / "trail-format.md").read_text()
    block = re.search(r"<!-- tsa-recipe -->\n```sh\n(.*?)```", doc, re.S)
    assert block, "docs/trail-format.md has no tsa-recipe block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_openssl_alone_verifies_a_token_as_documented(sealed, tsa, tmp_path: Path) -> None:
    assert shutil.which("openssl"), "openssl is needed to check what docs/trail-format.md tells auditors to run"
    trail, _ = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    work = tmp_path / "auditor"
    work.mkdir()
    shutil.copy(seal_log_path(trail), work / "audit-trail.seals.jsonl")
    shutil.copy(root, work / "tsa-root.pem")

    def run() -> subprocess.CompletedProcess:
        script = "set -e\n" + "\n".join(_openssl_recipe())
        return subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True)

    done = run()
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    log = work / "audit-trail.seals.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"seq":', b'"seq": ', 1))  # the anchored seal, changed
    done = run()
    assert done.returncode != 0 and "Verification: OK" not in done.stdout
    assert shlex.split(_openssl_recipe()[-1])[0] == "openssl"


def _controls(trail: Path, report: auditkit.VerifyReport):
    from auditkit.analysis import findings as F

    df = auditkit.load(trail)
    return F.controls(
        df, report, [], F.file_permissions([]), F.retention_coverage(df, 1), auditkit.detect(df)
    ).set_index("control")


def test_the_compliance_rows_say_what_vouches_for_the_trail(sealed, tsa, tmp_path: Path) -> None:
    """AU-9/AU-10 and the evidence header: "sealed by a key on this host" vs "timestamped by TSA X at T" vs
    "forward-secure", from what verify found."""
    trail, keys = sealed
    url, root = tsa
    plain = _controls(trail, auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root]))
    assert "sealed by a key on this host" in plain.loc["NIST AU-10", "evidence"]
    assert "no external timestamp" in plain.loc["NIST AU-9", "evidence"]
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    stamped = _controls(trail, report)
    latest = report.anchors["latest"]
    said = f"timestamped by TSA CN=auditkit test TSA at {latest['gen_time']}"  # the token's signer, not a URL
    assert said in stamped.loc["NIST AU-10", "evidence"] and said in stamped.loc["NIST AU-9", "evidence"]
    assert stamped.loc["NIST AU-10", "result"] == "pass"
    fs_trail = tmp_path / "fs" / "audit-trail.jsonl"
    fs_trail.parent.mkdir()
    own_copy(SAMPLES / "concurrent" / "audit-trail.jsonl", fs_trail)
    fs_key, commitment = keygen(tmp_path / "fskeys" / "seal.key", forward_secure={"interval": 60, "epochs": 8})
    seal(fs_trail, fs_key)
    forward = _controls(fs_trail, auditkit.verify(fs_trail, pubkey=commitment))
    assert "forward-secure (1/1 seals" in forward.loc["NIST AU-10", "evidence"]


def test_the_evidence_header_says_what_vouches_for_the_inputs(sealed, tsa, tmp_path: Path) -> None:
    pytest.importorskip("nbformat", reason="the notebooks extra writes evidence packs")
    import nbformat

    from auditkit.present.evidence import _add_header

    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("verdict")]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    _add_header(path, "incident", "2026-12-05T00:00:00Z", [], report, {})
    header = nbformat.read(str(path), as_version=4).cells[0].source.replace("\\", "")  # Markdown escapes
    assert "| custody | sealed by a key on this host" in header and "timestamped by TSA CN=auditkit test TSA" in header


def _pack(folder: Path, key: Path) -> Path:
    """A small evidence pack: one output listed in a manifest signed with the (plain) seal key."""
    from auditkit.custody.packs import sign_pack

    folder.mkdir()
    (folder / "report.html").write_text("<p>what happened</p>")
    data = (folder / "report.html").read_bytes()
    import hashlib

    out = {"path": "report.html", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"created": NOW.isoformat(timespec="seconds"), "outputs": [out]}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    sign_pack(folder, key)
    return folder


def _pack_recipe() -> list[str]:
    doc = (REPO / "docs" / "anchoring.md").read_text()
    block = re.search(r"<!-- pack-tsa-recipe -->\n```sh\n(.*?)```", doc, re.S)
    assert block, "docs/anchoring.md has no pack-tsa-recipe block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_an_evidence_packs_manifest_is_anchored_and_checked(tmp_path: Path, tsa, capsys) -> None:
    url, root = tsa
    key, pub = keygen(tmp_path / "keys" / "seal.key")
    pack = _pack(tmp_path / "pack", key)
    assert main(["anchor", str(pack), "--tsa", url, "--ca", str(root)]) == 0
    capsys.readouterr()
    assert main(["verify", str(pack), "--pubkey", str(pub), "--ca", str(root), "--require-anchors"]) == 0
    out = capsys.readouterr().out
    assert "anchors: 1/1 TSA token(s) valid; latest: timestamped by TSA CN=auditkit test TSA" in out
    assert "INTACT" in out
    # openssl alone, as docs/anchoring.md says
    script = "set -e\n" + "\n".join(_pack_recipe())
    shutil.copy(root, pack / ".." / "tsa-root.pem")
    done = subprocess.run(["bash", "-c", script], cwd=pack, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    # the manifest rewritten (and re-signed by whoever holds the key): the TSA's token no longer matches
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["created"] = "2020-01-01T00:00:00+00:00"
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    from auditkit.custody.packs import sign_pack

    sign_pack(pack, key)
    assert main(["verify", str(pack), "--pubkey", str(pub), "--ca", str(root)]) == 1
    assert "message imprint" in capsys.readouterr().out
    done = subprocess.run(["bash", "-c", script], cwd=pack, capture_output=True, text=True)
    assert done.returncode != 0


def _config_tsa(config_home: Path, url: str, root: Path, timeout: float = 5) -> None:
    (config_home / "auditkit" / "config.toml").write_text(
        f'[anchor]\ntsa = ["{url}"]\nca = ["{root}"]\ntimeout = {timeout}\n'
    )


def _seal_command(trail: Path, key: Path) -> subprocess.CompletedProcess:
    """``auditkit seal TRAIL --key KEY --quiet``: the command the hook starts detached, in its own process."""
    import os

    argv = [sys.executable, "-m", "auditkit", "seal", str(trail), "--key", str(key), "--quiet"]
    return subprocess.run(argv, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=60)


def test_the_background_seal_anchors_with_the_users_tsas(sealed, tsa, isolated_config: Path) -> None:
    trail, keys = sealed
    url, root = tsa
    _config_tsa(isolated_config, url, root)
    assert _seal_command(trail, keys[0]).returncode == 0
    tokens = [e for e in _entries(trail) if e["type"] == "auditkit.anchor"]
    assert len(tokens) == 3  # the new seal's, and the two earlier ones that had none
    assert auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root], require_anchors=True).intact


def test_a_tsa_that_never_answers_delays_only_the_background_seal(sealed, tmp_path: Path, isolated_config) -> None:
    """A TSA that accepts and then says nothing: the detached seal is written, waits its timeout, exits 0."""
    import socket

    trail, keys = sealed
    root = make_pki(tmp_path / "pki")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        _config_tsa(isolated_config, f"http://127.0.0.1:{silent.getsockname()[1]}/tsr", root, timeout=1)
        started = time.monotonic()
        done = _seal_command(trail, keys[0])
        assert done.returncode == 0 and time.monotonic() - started < 10, done.stderr
    finally:
        silent.close()
    entries = _entries(trail)
    assert [e["type"] for e in entries].count("auditkit.seals") == 3
    assert not [e for e in entries if e["type"] == "auditkit.anchor"]  # left for the next `auditkit anchor`


@pytest.mark.parametrize(
    "edit",
    [
        {"seal_sha256": ["not", "a", "hash"]},
        {"token": "not base64!"},
        {"token": base64.b64encode(b"\x30\x03\x02\x01\x00").decode()},
        {"nonce": "9" * 5000},
        {"nonce": None, "token": None},
        {"gen_time": "yesterday"},
    ],
    ids=["digest-list", "token-text", "token-der-garbage", "nonce-huge", "nulls", "gen-time"],
)
def test_a_hostile_anchor_line_is_a_finding_never_a_crash(sealed, tsa, edit: dict) -> None:
    """Anchor lines are read from a seal log anyone with write access could edit: every shape is reported."""
    trail, keys = sealed
    url, root = tsa
    anchors.anchor(trail, [url], anchors.Trust.load([root], None))
    log = seal_log_path(trail)
    lines = log.read_bytes().splitlines(keepends=True)
    body = json.loads(lines[-1])
    body.update(edit)
    lines[-1] = json.dumps(body, separators=(",", ":")).encode() + b"\n"
    log.write_bytes(b"".join(lines))
    report = auditkit.verify(trail, pubkey=keys[1], tsa_ca=[root])
    assert not report.intact
    assert _kinds(report) & {"anchor_orphan", "anchor_format", "anchor_token"}
