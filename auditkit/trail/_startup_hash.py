"""Start-up shim: SHA-256 and HMAC-SHA256 for the hook without importing :mod:`hashlib` or :mod:`hmac`.

One of the hook's start-up shims (``auditkit/_startup_*.py``), each of which exists only because the
hook is a new Python process on every tool call; the figures are from ``benchmarks/hook_latency.py``:

| shim | what it avoids | saved per hook call |
|---|---|---|
| ``_startup_os``   | ``import os`` (with ``stat``, ``posixpath``, ``_collections_abc``) | ~1.4 ms |
| ``_startup_json`` | ``import json`` (which pulls in ``re`` and ``enum``) | ~7 ms |
| ``_startup_re``   | compiling the redaction rules' patterns in every process | most of the rules' compile time |
| ``_startup_hash`` | ``hashlib`` (OpenSSL bindings) and ``hmac`` | ~1.7 ms |
| ``_startup_import`` | importlib's path search, locks and module set-up; compiling the hook file's logic | ~0.8 ms |

Each gives results identical to the module it replaces (tested in ``tests/test_startup_*.py``); do not
"simplify" them into the ordinary imports, and do not copy them into code that is not on the hook's path.
"""

import sys

__all__ = ["hmac_sha256", "sha256", "sha256_hex"]

# The builtin SHA-256 starts faster than hashlib's OpenSSL one; digests are identical.
try:
    if sys.version_info >= (3, 12):
        from _sha2 import sha256  # type: ignore[import-not-found]  # 3.12+: typeshed may not list it
    else:
        from _sha256 import sha256
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import sha256  # type: ignore[assignment,unused-ignore]  # hashlib's has the same methods


#: From this many bytes, OpenSSL's SHA-256 (SHA-NI: ~6x the builtin's speed) is worth loading it (~1.5 ms).
BIG_DIGEST_BYTES = 1 << 20


def sha256_hex(data: bytes) -> str:
    """``sha256(data).hexdigest()``; OpenSSL's for big data (a 10 MB payload: ~10 ms instead of ~60 ms)."""
    if len(data) >= BIG_DIGEST_BYTES:
        try:
            from _hashlib import openssl_sha256  # only for megabytes: the usual event never loads OpenSSL
        except ImportError:  # pragma: no cover - an interpreter without it
            pass
        else:
            return openssl_sha256(data).hexdigest()
    return sha256(data).hexdigest()


def hmac_sha256(key: bytes, msg: bytes) -> str:
    """HMAC-SHA256 (RFC 2104) on the builtin hash, hex; identical to ``hmac.new(key, msg, "sha256").hexdigest()``."""
    if len(key) > 64:
        key = sha256(key).digest()
    k = int.from_bytes(key.ljust(64, b"\0"), "big")
    inner = sha256((k ^ _IPAD).to_bytes(64, "big") + msg).digest()
    return sha256((k ^ _OPAD).to_bytes(64, "big") + inner).hexdigest()


_IPAD = int.from_bytes(b"\x36" * 64, "big")
_OPAD = int.from_bytes(b"\x5c" * 64, "big")
