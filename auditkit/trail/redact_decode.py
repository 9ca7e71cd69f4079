"""Secrets written another way: ``\\u``/``\\x`` escapes, percent-encoding, a string cut into literals joined
by ``+``, and reversed text. Each finder gives the spans of a text to read back and what they read as; the
Redactor scans that with every rule and redacts the span whole when it holds a secret (reversed text: each
secret in place). Loaded only when a text shows one of these forms (:func:`might_hold`)."""

from auditkit.trail.redact_scan import _REVERSERS, _rx

#: Runs of \\uXXXX / \\xXX escapes, with the token characters between them.
_ESCAPED_RUN = r"(?:\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})|[A-Za-z0-9_+/=.~:-]){12,}"
_ESCAPE = r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))"
#: Runs of percent-encoded text (a form field, a query parameter) holding at least one escape.
_PERCENT_RUN = r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9_.~+-]){12,}"
#: Two or more string literals joined by ``+``, ``.``, ``..``, ``&`` or only space (implicit concatenation).
_JOINED = (
    r"([\"'])[A-Za-z0-9_+/=.~:-]{1,200}\1(?:[ \t]*(?:\+|\.\.?|&)?[ \t]*(?:\\?\r?\n[ \t]*)?"
    r"([\"'])[A-Za-z0-9_+/=.~:-]{1,200}\2)+"
)
_LITERAL = r"[\"']([A-Za-z0-9_+/=.~:-]{1,200})[\"']"
#: Every pattern here, for :func:`auditkit.trail.redaction.warm_cache`.
PATTERNS = (_ESCAPED_RUN, _ESCAPE, _PERCENT_RUN, _JOINED, _LITERAL)


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


def _unescaped(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    esc = _rx(_ESCAPE)
    for m in _rx(_ESCAPED_RUN).finditer(text):
        run = m.group()
        if run.count("\\") < 4:
            continue
        decoded = esc.sub(lambda e: chr(int(e.group(1) or e.group(2), 16)), run)
        out.append(("unicode-escaped", m.start(), m.end(), decoded))
    return out


def _percent_decoded(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    for m in _rx(_PERCENT_RUN).finditer(text):
        run = m.group()
        if run.count("%") < 3:
            continue
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
        out.append(("urlencoded", m.start(), m.end(), raw.decode("utf-8", "replace")))
    return out


def _joined(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    literal = _rx(_LITERAL)
    for m in _rx(_JOINED).finditer(text):
        joined = "".join(p.group(1) for p in literal.finditer(m.group()))
        if len(joined) >= 16:
            out.append(("concatenated", m.start(), m.end(), joined))
    return out
