"""JSON text read and written exactly: integers past 64 bits stay integers (orjson alone reads them as
floats and refuses to write them). Used wherever auditkit turns recorded JSON into values and back."""

from __future__ import annotations

import orjson

from auditkit.trail import format as tf

_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # every ASCII digit as 0, anything else a space
_LONG_NUMBER = b"0" * 20  # 20 digits in a row: an integer that may be past 64 bits


def exact_loads(raw: bytes | str) -> object:
    """One JSON value, parsed exactly: orjson, or the standard library where orjson would not be exact.

    orjson reads an integer past 64 bits as a float (123456789012345678901234567890 becomes
    1.2345678901234568e+29) and refuses a few things the standard library reads; a text with 20
    digits in a row (found in C, by ``translate``) or that orjson refuses is parsed by ``json``.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    if _LONG_NUMBER not in data.translate(_DIGITS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    import json

    return json.loads(data)


def record_loads(raw: bytes | str) -> object:
    """One recorded value as load() reads it: :func:`exact_loads`, and what only the standard library
    reads kept in the marked forms the hook writes (:mod:`auditkit.trail.format`): a string holding a
    lone UTF-16 surrogate (``"\\udc90"``, valid JSON) as ``{"auditkit_nonjson": "string", ...}``, NaN and
    Infinity as ``{"auditkit_nonjson": "number", ...}``. orjson's fast path is taken whenever it reads the text."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _LONG_NUMBER not in data.translate(_DIGITS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    import json

    value = json.loads(data, parse_constant=tf.nonjson_number)
    if b"\\u" in data or b"\xed" in data:  # an escaped surrogate, maybe lone, or one written as UTF-8 bytes
        value = tf.mark_surrogates(value)  # (json reads those bytes as the surrogate, orjson refuses them)
    return value


def json_line(raw: bytes) -> object | None:
    """A stored line's JSON object or array (orjson), or None for a blank line, text, or JSON orjson refuses:
    how the secret and personal-data scans tell a record from a line of plain text."""
    stripped = raw.strip()
    if stripped[:1] not in (b"{", b"["):
        return None
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None


def compact_json(value: object) -> str:
    """One value as compact JSON text: orjson, or the standard library for an integer past 64 bits
    (which orjson does not write); anything else JSON has no type for as its ``str``."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
