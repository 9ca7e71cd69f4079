"""Secrets written another way: ``\\u``/``\\x`` escapes, percent-encoding, a string cut into literals joined
by ``+``, and reversed text. Each finder gives the spans of a text to read back and what they read as; the
Redactor scans that with every rule and redacts the span whole when it holds a secret (reversed text: each
secret in place). Loaded only when a text shows one of these forms
(:func:`auditkit.trail.redact_scan.written_another_way`)."""

from auditkit.trail.redact_scan import _REVERSERS, _rx

#: Runs of four or more \\uXXXX / \\xXX escapes with the token characters between them, found from their
#: backslash (a literal the engine searches for at C speed); the token characters before the first one are
#: added by :func:`_back_to`.
_ESCAPED_RUN = (
    r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})(?:[A-Za-z0-9_+/=.~:-]*\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})){3,}"
    r"[A-Za-z0-9_+/=.~:-]*"
)
_ESCAPE = r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))"
_ESCAPED_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+/=.~:-")
#: Runs of percent-encoded text (a form field, a query parameter) with three escapes or more, from the first "%".
_PERCENT_RUN = r"%[0-9A-Fa-f]{2}(?:[A-Za-z0-9_.~+-]*%[0-9A-Fa-f]{2}){2,}[A-Za-z0-9_.~+-]*"
_PERCENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~+-")
#: Two or more string literals joined by ``+``, ``.``, ``..``, ``&`` or only space (implicit concatenation) ...
_JOINED = (
    r"([\"'])[A-Za-z0-9_+/=.~:-]{1,200}\1(?:[ \t]*(?:\+|\.\.?|&)?[ \t]*(?:\\?\r?\n[ \t]*)?"
    r"([\"'])[A-Za-z0-9_+/=.~:-]{1,200}\2)+"
)
#: ... looked for only around a joint (a quote, then ``+`` or a line's end, then a quote), found from its ``+`` or
#: newline: scanning all of a file of code for a quote at every position costs ~1 ms per 30 KB.
_JOINT = r"[+\n](?:(?<=[\"'][ \t]\+)|(?<=[\"']\+)|(?<=[\"']\n)|(?<=[\"']\r\n))[ \t]*[\"']"
_LITERAL = r"[\"']([A-Za-z0-9_+/=.~:-]{1,200})[\"']"
#: Every pattern here, for :func:`auditkit.trail.redaction.warm_cache`.
PATTERNS = (_ESCAPED_RUN, _ESCAPE, _PERCENT_RUN, _JOINED, _JOINT, _LITERAL)


def spans(text: str, low: str) -> list[tuple[str, int, int, str]]:
    """(form, start, end, the span read back) for every span of ``text`` written in one of the forms."""
    out: list[tuple[str, int, int, str]] = []
    if "\\u" in text or "\\x" in text:
        out += _unescaped(text)
    if "%" in text:
        out += _percent_decoded(text)
    if '"' in text or "'" in text:
        out += _joined(text)
    if any(r in low for r in _REVERSERS):
        out.append(("reversed", 0, len(text), text[::-1]))
    return out


def _back_to(text: str, start: int, chars: frozenset[str]) -> int:
    """``start`` moved back over the characters of ``chars`` before it (at most 256)."""
    stop = max(0, start - 256)
    while start > stop and text[start - 1] in chars:
        start -= 1
    return start


def _unescaped(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    esc = _rx(_ESCAPE)
    for m in _rx(_ESCAPED_RUN).finditer(text):
        start = _back_to(text, m.start(), _ESCAPED_CHARS)
        decoded = esc.sub(lambda e: chr(int(e.group(1) or e.group(2), 16)), text[start : m.end()])
        out.append(("unicode-escaped", start, m.end(), decoded))
    return out


def _percent_decoded(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    for m in _rx(_PERCENT_RUN).finditer(text):
        start = _back_to(text, m.start(), _PERCENT_CHARS)
        run = text[start : m.end()]
        raw = bytearray()
        i = 0
        while i < len(run):
            c = run[i]
            if c == "%":
                raw.append(int(run[i + 1 : i + 3], 16))
                i += 3
                continue
            raw += b" " if c == "+" else c.encode()
            i += 1
        out.append(("urlencoded", start, m.end(), raw.decode("utf-8", "replace")))
    return out


def _joined(text: str) -> list[tuple[str, int, int, str]]:
    """Joined literals, looked for in the lines around each joint (consecutive lines' joints make one window)."""
    windows: list[list[int]] = []
    for j in _rx(_JOINT).finditer(text):
        lo = text.rfind("\n", 0, max(0, j.start() - 1)) + 1
        hi = text.find("\n", j.end())
        hi = len(text) if hi < 0 else hi
        if windows and lo <= windows[-1][1] + 1:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    out = []
    literal, joined = _rx(_LITERAL), _rx(_JOINED)
    for lo, hi in windows:
        for m in joined.finditer(text, lo, hi):
            whole = "".join(p.group(1) for p in literal.finditer(m.group()))
            if len(whole) >= 16:
                out.append(("concatenated", m.start(), m.end(), whole))
    return out
