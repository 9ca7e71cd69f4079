"""The hook's SHA-256 and HMAC shim gives exactly what hashlib and hmac give."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from auditkit.trail._startup_hash import hmac_sha256, sha256


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_hmac_matches_the_standard_library(key: bytes, msg: bytes) -> None:
    """Keys shorter and longer than the 64-byte block, any message: the same hex digest as hmac.new."""
    assert hmac_sha256(key, msg) == hmac.new(key, msg, "sha256").hexdigest()
    assert sha256(msg).hexdigest() == hashlib.sha256(msg).hexdigest()
