"""External timestamps: RFC 3161 tokens from Time-Stamping Authorities over seals, kept in the seal log.

A seal is signed by a key on the machine whose trail it seals; whoever holds that key can re-seal a
rewritten history with any date. A Time-Stamping Authority (TSA) holds its own key: its token says,
under its signature, that a given SHA-256 existed at ``genTime``. ``auditkit anchor`` sends each seal
line (its exact bytes, without the newline) to one or more TSAs and appends each token to the seal log
as an anchor line, chained by ``prev_seal`` like every other line::

    {"type":"auditkit.anchor","v":1,"trail_id":…,"seq":…,"seal_line":3,"seal_sha256":"<hex>",
     "tsa":"https://…","nonce":"<decimal>","gen_time":"…","token":"<base64 DER TimeStampResp>",
     "prev_seal":"<hex>"}

The token's message imprint is ``seal_sha256``, the SHA-256 of the seal line: the same digest the next
line's ``prev_seal`` names. ``verify --ca ROOT`` checks each token offline: the imprint is that seal
line's, the nonce is the one sent, the TSA's certificate chains to the given root, carries the critical
timeStamping extended key usage and was valid at ``genTime`` (:mod:`rfc3161_client`), and ``genTime`` is
not before the seal's own date. Seals with no valid token are reported.

Everything the TSA sends is attacker-controlled: the answer is read up to :data:`MAX_RESPONSE` bytes (32 KiB),
within a timeout, without following redirects, and a token is kept only when it is granted, carries the
nonce sent and the seal's imprint (and, with ``--ca``, verifies). A TSA that does not answer leaves the
seal without its token; the next run asks again. Nothing here runs on the hook's path.

``rfc3161-client`` is the ``anchor`` extra: ``pip install 'auditkit[anchor]'``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditkit.custody import packs
from auditkit.custody import seals as sealing
from auditkit.errors import AnchorError, MissingExtra
from auditkit.store.files import PathLike, expand
from auditkit.store.names import is_seal_log
from auditkit.trail import config
from auditkit.trail import format as tf

#: A token with its certificates is a few KiB. Base64 in an anchor line, it must leave the line under the 64 KiB a
#: seal log's writer reads back to chain the next line (``seals._append``).
MAX_RESPONSE = 32 * 1024
DEFAULT_TIMEOUT = 10.0
_USER_AGENT = "auditkit-anchor"


def _rfc3161() -> Any:
    try:
        import rfc3161_client
    except ImportError:
        raise MissingExtra("RFC 3161 timestamps", "anchor", "rfc3161-client") from None
    return rfc3161_client


def _certificates(paths: Iterable[PathLike] | None) -> list:
    from cryptography import x509  # only where certificates are read: the verify command without --ca never does

    out = []
    for p in paths or []:
        data = Path(p).read_bytes()
        try:
            out += (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise AnchorError(f"{p}: not a PEM or DER certificate ({exc})") from None
    return out


def configured() -> tuple[list[str], list[str], float]:
    """The TSAs the user's ``config.toml`` names for ``auditkit seal`` to anchor each new seal with, in its own
    (detached) process: ``[anchor] tsa = ["https://…"]``, ``ca = ["…/root.pem"]``, ``timeout = 10``. Only the
    user's own file counts: a repository's settings do not choose where a seal's hash is sent."""
    import tomllib  # only where config.toml is read: verify never reads it

    path = Path(config.user_file(config.SETTINGS_FILE))
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AnchorError(f"{path}: {exc}") from None
    section = doc.get("anchor")
    if not isinstance(section, dict):
        section = {}

    def strings(value: object) -> list[str]:
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v for v in items if isinstance(v, str) and v]

    timeout = section.get("timeout", DEFAULT_TIMEOUT)
    ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and 0 < timeout <= 60
    return strings(section.get("tsa")), strings(section.get("ca")), float(timeout) if ok else DEFAULT_TIMEOUT


def post(url: str, body: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """POST a timestamp query; the answer's body, bounded, or AnchorError. No redirect is followed. ``timeout``
    bounds each wait, and twice it the whole exchange: a TSA answering a byte at a time cannot hold a run."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AnchorError(f"{url}: a TSA URL is http:// or https://")
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(
            "POST",
            urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, "")),
            body=body,
            headers={"Content-Type": "application/timestamp-query", "User-Agent": _USER_AGENT},
        )
        resp = conn.getresponse()
        data = _read_within(resp, time.monotonic() + 2 * timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise AnchorError(
            f"{url}: the TSA did not answer ({type(exc).__name__}: {exc}); the seal is anchored later"
        ) from None
    finally:
        conn.close()
    if resp.status != 200:
        raise AnchorError(f"{url}: the TSA answered HTTP {resp.status} (redirects are not followed)")
    if len(data) > MAX_RESPONSE:
        raise AnchorError(f"{url}: the answer is over {MAX_RESPONSE} bytes; refused")
    return data


def _read_within(resp: http.client.HTTPResponse, deadline: float) -> bytes:
    """The body, up to ``MAX_RESPONSE + 1`` bytes, read in pieces until ``deadline`` (then TimeoutError)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_RESPONSE:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took longer than twice the timeout")
        piece = resp.read1(min(8192, MAX_RESPONSE + 1 - size))
        if not piece:
            break
        chunks.append(piece)
        size += len(piece)
    return b"".join(chunks)


@dataclass
class Trust:
    """What a token is checked against: the roots (``--ca``) and, optionally, the TSA's own certificates."""

    roots: list = field(default_factory=list)
    tsa_certs: list = field(default_factory=list)

    @classmethod
    def load(cls, ca: Iterable[PathLike] | None, tsa_cert: Iterable[PathLike] | None) -> Trust:
        return cls(_certificates(ca), _certificates(tsa_cert))


def check_token(token: bytes, line: bytes, nonce: int | None, trust: Trust | None) -> datetime:
    """``genTime`` of a DER TimeStampResp over ``line``, or AnchorError saying what is wrong. Without roots,
    only the status, imprint and nonce are checked (the signature and chain are not)."""
    r = _rfc3161()
    try:
        resp = r.decode_timestamp_response(token)
    except ValueError as exc:
        raise AnchorError(f"not a timestamp response ({exc})") from None
    try:
        granted = r.PKIStatus(resp.status) == r.PKIStatus.GRANTED
        info = resp.tst_info if granted else None
        imprint = info.message_imprint.message if info is not None else b""
    except (ValueError, TypeError, AttributeError) as exc:
        raise AnchorError(f"not a timestamp token ({exc})") from None
    if info is None:
        raise AnchorError(f"the TSA did not grant the timestamp (status {resp.status})")
    if imprint != hashlib.new(_hash_name(info), line).digest():
        raise AnchorError("the token's message imprint is not this seal line's hash: a token for something else")
    if nonce is not None and info.nonce != nonce:
        raise AnchorError("the token's nonce is not the one sent: a replayed or substituted answer")
    if trust is None or not trust.roots:
        return _utc(info.gen_time)
    errors = []
    for tsa in trust.tsa_certs or [None]:
        builder = r.VerifierBuilder(roots=list(trust.roots), nonce=nonce)
        if tsa is not None:
            builder = builder.tsa_certificate(tsa)
        try:
            builder.build().verify_message(resp, line)
            return _utc(info.gen_time)
        except (r.VerificationError, ValueError) as exc:
            errors.append(str(exc))
    raise AnchorError(f"the token does not verify: {'; '.join(errors)}")


def signer(token: bytes) -> str:
    """The subject of the certificate that signed a token (as the token's SignerInfo names it), or "unknown".
    Say this, not the URL an anchor line claims: the line is not signed, the token is."""
    from cryptography import x509  # only where a token's signer is named

    r = _rfc3161()
    try:
        resp = r.decode_timestamp_response(token)
        si = next(iter(resp.signed_data.signer_infos))
        for der in resp.signed_data.certificates:
            cert = x509.load_der_x509_certificate(der)
            if cert.issuer == si.issuer and cert.serial_number == si.serial_number:
                return cert.subject.rfc4514_string()
    except (ValueError, TypeError, StopIteration):
        pass
    return "unknown"


def _hash_name(info: Any) -> str:
    names = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}
    name = names.get(info.message_imprint.hash_algorithm.dotted_string)
    if name is None:
        raise AnchorError(f"the token's hash algorithm {info.message_imprint.hash_algorithm.dotted_string} is not used")
    return name


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def request(
    url: str, line: bytes, trust: Trust | None, timeout: float = DEFAULT_TIMEOUT
) -> tuple[bytes, int, datetime]:
    """Ask ``url`` for a token over ``line``; (token, nonce, genTime) once it is checked."""
    r = _rfc3161()
    query = r.TimestampRequestBuilder(
        data=line, hash_algorithm=r.HashAlgorithm.SHA256, nonce=True, cert_req=True
    ).build()
    token = post(url, query.as_bytes(), timeout)
    try:
        when = check_token(token, line, query.nonce, trust)
    except AnchorError as exc:
        raise AnchorError(f"{url}: {exc}; not kept") from None
    return token, query.nonce, when


@dataclass
class AnchorResult:
    anchored: list[dict] = field(default_factory=list)  # {log, line, tsa, gen_time}
    already: int = 0
    failed: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)  # the seal logs looked at

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def seal_logs_of(paths: PathLike | list[PathLike]) -> list[Path]:
    """The seal logs of the trails in ``paths`` (seal logs given as they are)."""
    logs: set[Path] = set()
    for f in expand(paths):
        log = f if is_seal_log(f) else sealing.seal_log_path(f)
        if log.is_file() and not log.name.endswith(".gz"):
            logs.add(log)
    return sorted(logs)


def _lines(log: Path) -> dict[str, bytes]:
    return {hashlib.sha256(raw).hexdigest(): raw for raw in log.read_bytes().splitlines() if raw.strip()}


def anchor(
    paths: PathLike | list[PathLike],
    tsas: list[str],
    trust: Trust | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AnchorResult:
    """Get a token from each TSA in ``tsas`` for every seal of the trails in ``paths`` that has none from it."""
    _rfc3161()
    result = AnchorResult()
    down: set[str] = set()
    for folder in [p for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths) if packs.is_pack(p)]:
        _anchor_pack(Path(folder), tsas, trust, timeout, result, down)
    paths = [p for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths) if not packs.is_pack(p)]
    for log in seal_logs_of(paths):
        result.logs.append(str(log))
        raw = _lines(log)
        entries = sealing.read_seals(log, None)
        have = {(e.get("seal_sha256"), e.get("tsa")) for e in entries if e.get("type") == tf.ANCHOR_TYPE}
        for s in entries:
            if s.get("type") != tf.SEAL_TYPE or "error" in s:
                continue
            for url in tsas:
                if (s["sha256"], url) in have:
                    result.already += 1
                    continue
                if url in down:
                    continue
                try:
                    token, nonce, when = request(url, raw[s["sha256"]], trust, timeout)
                except AnchorError as exc:
                    result.failed.append(str(exc))
                    if "did not answer" in str(exc):
                        down.add(url)  # one wait per TSA and run, not one per seal
                    continue
                sealing.append_anchor(
                    log,
                    {
                        "v": 1,
                        "trail_id": s.get("trail_id"),
                        "seq": s.get("seq"),
                        "seal_line": s["line"],
                        "seal_sha256": s["sha256"],
                        "tsa": url,
                        "nonce": str(nonce),
                        "gen_time": when.isoformat().replace("+00:00", "Z"),
                        "token": base64.b64encode(token).decode(),
                    },
                )
                result.anchored.append({"log": str(log), "line": s["line"], "tsa": url, "gen_time": str(when)})
    return result


def _anchor_pack(
    folder: Path, tsas: list[str], trust: Trust | None, timeout: float, result: AnchorResult, down: set[str]
) -> None:
    """Tokens over an evidence pack's ``manifest.json`` (its exact bytes), kept in ``manifest.anchors.jsonl``."""
    log = folder / packs.ANCHORS
    manifest = (folder / packs.MANIFEST).read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()
    result.logs.append(str(log))
    have = {e.get("tsa") for e in _pack_anchors(log) if e.get("seal_sha256") == digest}
    for url in tsas:
        if url in have:
            result.already += 1
            continue
        if url in down:
            continue
        try:
            token, nonce, when = request(url, manifest, trust, timeout)
        except AnchorError as exc:
            result.failed.append(str(exc))
            if "did not answer" in str(exc):
                down.add(url)
            continue
        body = {"v": 1, "subject": packs.MANIFEST, "seal_sha256": digest, "tsa": url, "nonce": str(nonce)}
        body |= {"gen_time": when.isoformat().replace("+00:00", "Z"), "token": base64.b64encode(token).decode()}
        sealing.append_anchor(log, body)
        result.anchored.append({"log": str(log), "line": 0, "tsa": url, "gen_time": str(when)})


def _pack_anchors(log: Path) -> list[dict]:
    return [e for e in sealing.read_seals(log, None) if e.get("type") == tf.ANCHOR_TYPE] if log.is_file() else []


def check_pack(folder: PathLike, trust: Trust | None) -> tuple[dict, list[str]]:
    """The TSA tokens over a pack's manifest (``manifest.anchors.jsonl``): (summary, problems). Without roots
    they are counted, not checked."""
    folder = Path(folder)
    manifest = (folder / packs.MANIFEST).read_bytes()
    entries = _pack_anchors(folder / packs.ANCHORS)
    summary: dict = {"tokens": len(entries), "valid": 0, "checked": bool(trust and trust.roots), "latest": None}
    problems: list[str] = []
    for e in entries:
        where = f"{packs.ANCHORS}:{e.get('line')}"
        if not e.get("chained"):
            problems.append(f"{where}: does not name the line before it (a line was removed or altered)")
        if not summary["checked"]:
            continue
        try:
            when = check_token(
                base64.b64decode(str(e.get("token")), validate=True), manifest, int(str(e.get("nonce"))), trust
            )
        except (AnchorError, ValueError) as exc:
            problems.append(f"{where}: {e.get('tsa')}: {exc}")
            continue
        summary["valid"] += 1
        token = base64.b64decode(str(e.get("token")))
        summary["latest"] = {"tsa": signer(token), "url": str(e.get("tsa")), "gen_time": when.isoformat()}
    return summary, problems


def _seal_time(seal: dict) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(seal.get("sealed_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return _utc(when)


def check_anchors(entries: list[dict], trust: Trust | None, tolerance_s: float = 1.0) -> tuple[dict, list[tuple]]:
    """Check every anchor line of seal-log ``entries`` (with ``log``) against its seal; (summary, problems).

    A problem is (kind, severity, message, log, line). Seals with no valid token are counted (``unanchored``).
    """
    lines_of: dict[str, dict[str, bytes]] = {}
    by_digest = {(str(e.get("log")), e.get("sha256")): e for e in entries if e.get("type") == tf.SEAL_TYPE}
    summary: dict = {"tokens": 0, "valid": 0, "failed": 0, "unchecked": 0, "unanchored": 0, "tsas": {}, "latest": None}
    problems: list[tuple] = []
    anchored: set[tuple] = set()
    for a in entries:
        if a.get("type") != tf.ANCHOR_TYPE:
            continue
        summary["tokens"] += 1
        log, where = a.get("log"), a.get("line")
        seal = by_digest.get((str(log), str(a.get("seal_sha256"))))
        if seal is None:
            summary["failed"] += 1
            problems.append(
                (
                    "anchor_orphan",
                    "error",
                    "the token names no seal line of this log: the seal was changed after it was anchored, or the "
                    "token was copied from another log",
                    log,
                    where,
                )
            )
            continue
        name = str(log)
        if name not in lines_of:
            lines_of[name] = _lines(Path(name))
        problem = _check_one(a, seal, lines_of[name][seal["sha256"]], trust, tolerance_s)
        if problem:
            summary["failed"] += 1
            problems.append((*problem, log, where))
            continue
        if trust is None or not trust.roots:
            summary["unchecked"] += 1
            continue
        summary["valid"] += 1
        anchored.add((str(log), seal["sha256"]))
        tsa_name = signer(base64.b64decode(str(a.get("token"))))  # the token's signer, not the line's claimed URL
        summary["tsas"][tsa_name] = summary["tsas"].get(tsa_name, 0) + 1
        if summary["latest"] is None or str(a.get("gen_time")) >= str(summary["latest"]["gen_time"]):
            latest = {"trail_id": a.get("trail_id"), "seq": a.get("seq"), "tsa": tsa_name, "url": str(a.get("tsa"))}
            summary["latest"] = {**latest, "gen_time": a.get("gen_time")}
    if trust is not None and trust.roots:
        summary["unanchored"] = sum(1 for key in by_digest if key not in anchored)
    return summary, problems


def _check_one(
    a: dict, seal: dict, line: bytes, trust: Trust | None, tolerance_s: float
) -> tuple[str, str, str] | None:
    try:
        token = base64.b64decode(str(a.get("token")), validate=True)
        nonce = int(str(a.get("nonce")))
    except ValueError:
        return ("anchor_format", "error", "the token or nonce is not readable: the anchor line was edited")
    if len(token) > MAX_RESPONSE:
        return ("anchor_format", "error", f"the token is over {MAX_RESPONSE} bytes")
    try:
        when = check_token(token, line, nonce, trust)
    except AnchorError as exc:
        return ("anchor_token", "error", f"{a.get('tsa')}: {exc}")
    sealed = _seal_time(seal)
    if sealed is not None and (when - sealed).total_seconds() < -max(tolerance_s, 1.0):
        return (
            "anchor_time",
            "error",
            f"the TSA dates the seal at {when.isoformat()}, before the seal's own date {seal.get('sealed_at')}: "
            "the seal's date (and the records' times it vouches for) are not what the host claimed",
        )
    stated = str(a.get("gen_time", ""))
    if stated and stated.replace("Z", "+00:00") != when.isoformat():
        return ("anchor_format", "error", f"gen_time says {stated}, the token {when.isoformat()}: the line was edited")
    return None


def token_file(log: PathLike, line: int, out: PathLike) -> Path:
    """Write the token of the anchor at ``line`` of ``log`` to ``out`` (DER), for ``openssl ts -verify``."""
    for e in sealing.read_seals(log, None):
        if e.get("line") == line and e.get("type") == tf.ANCHOR_TYPE:
            data = base64.b64decode(str(e.get("token")), validate=True)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return Path(out)
    raise AnchorError(f"{log}:{line}: not an anchor line")


def custody_statement(report: object) -> str:
    """What vouches for a verified trail beyond its own hash chain, in words an auditor reads: "sealed by a key
    on this host", "forward-secure", "timestamped by TSA X at T" (the compliance pack's AU-9/AU-10 rows and
    the evidence header say it). ``report``: a :class:`~auditkit.custody.verify.VerifyReport`."""
    seals = getattr(report, "seals", {}) or {}
    tokens = getattr(report, "anchors", {}) or {}
    if not seals.get("checked"):
        return "not sealed: the hash chain alone (a rewrite from scratch or a cut tail would not show)"
    if not seals.get("valid"):
        return "seals present but not checked (no public key) or not valid"
    fs = seals.get("forward_secure", 0)
    if fs:
        parts = [f"forward-secure ({fs}/{seals['valid']} seals: a key taken today cannot sign for an earlier epoch)"]
    else:
        parts = ["sealed by a key on this host (whoever holds it could re-seal a rewritten trail)"]
    latest = tokens.get("latest") or {}
    if tokens.get("valid"):
        parts.append(
            f"timestamped by TSA {latest.get('tsa')} at {latest.get('gen_time')} ({tokens['valid']} valid token(s), "
            f"{tokens.get('unanchored', 0)} seal(s) without)"
        )
    elif tokens.get("tokens") and not tokens.get("checked"):
        parts.append(f"{tokens['tokens']} TSA token(s), not checked (no TSA root given)")
    else:
        parts.append("no external timestamp")
    return "; ".join(parts)
