"""Start-up shim: JSON for the hook's path through CPython's C accelerator, without importing :mod:`json`.

One of the hook's start-up shims; the table of all four, with what each saves, is in
:mod:`auditkit.trail._startup_hash`.

``import json`` costs ~7 ms at interpreter start (it pulls in ``re`` and ``enum``), as much as the
whole interpreter. ``_json`` holds the same C scanner and encoder the ``json`` module uses, so the
results are identical; where ``_json`` is missing (another Python), this falls back to ``json``.
"""

import sys

try:
    import _json

    _scanner_new = _json.make_scanner
    _encoder_new = _json.make_encoder
except (ImportError, AttributeError):  # pragma: no cover - non-CPython
    _json = None  # type: ignore[assignment]  # no C accelerator: the fallbacks below

_WS = " \t\n\r"
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


def _ctx(
    parse_float: object = float, parse_int: object = int, parse_constant: object = _CONSTANTS.__getitem__
) -> object:
    """What the C scanner reads once, when it is made, of its context: these attributes, on a module object (a class
    holding them cost ~20 us of every hook start-up to make)."""
    ctx = type(sys)("_ctx")
    ctx.__dict__.update(strict=True, object_hook=None, object_pairs_hook=None, parse_float=parse_float)
    ctx.__dict__.update(parse_int=parse_int, parse_constant=parse_constant)
    return ctx


def _default(obj: object) -> object:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


if _json is not None:
    _scan = _scanner_new(_ctx())  # type: ignore[arg-type]  # the C scanner reads only these attributes
    # allow_nan=False: NaN and Infinity are not JSON (RFC 8259), so encoding one is an error, never a bare token
    _enc_utf8 = _encoder_new(None, _default, _json.encode_basestring, None, ":", ",", False, False, False)
    _enc_ascii = _encoder_new(None, _default, _json.encode_basestring_ascii, None, ":", ",", False, False, False)


def make_loads(parse_float: object, parse_int: object, parse_constant: object) -> object:
    """A :func:`loads` whose numbers and constants go through the given functions (see ``capture.parse``)."""
    # not a class made for them (~30 us of every hook event): see _ctx
    scan = _scanner_new(_ctx(parse_float, parse_int, parse_constant)) if _json is not None else None  # type: ignore[arg-type]  # the C scanner reads only these attributes

    def loads_with(data: bytes | str) -> object:
        return loads(data, scan)

    return loads_with


def loads(data: bytes | str, scan: object = None) -> object:
    """Parse one JSON document (raises ValueError on anything else)."""
    text = data.decode("utf-8", "surrogatepass") if isinstance(data, bytes) else data
    if _json is None:  # pragma: no cover
        import json

        return json.loads(text)
    scanner = scan or _scan
    n = len(text)
    i = 0
    while i < n and text[i] in _WS:
        i += 1
    try:
        obj, end = scanner(text, i)  # type: ignore[operator]  # the C scanner, an object to type checkers
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    except SystemError:
        # CPython 3.11's scanner looks JSONDecodeError up in an already imported json.decoder and
        # fails without it; only malformed input gets here, so let json say what is wrong.
        import json

        return json.loads(text)
    while end < n and text[end] in _WS:
        end += 1
    if end != n:
        raise ValueError(f"Extra data: char {end}")
    return obj


def dumps(obj: object, ensure_ascii: bool = False) -> str:
    """Serialise compactly (``separators=(",", ":")``), keys in insertion order; NaN and Infinity raise."""
    if _json is None:  # pragma: no cover
        import json

        return json.dumps(obj, ensure_ascii=ensure_ascii, separators=(",", ":"), allow_nan=False)
    return "".join((_enc_ascii if ensure_ascii else _enc_utf8)(obj, 0))
