"""Text that is safe to show: control characters written as escapes, never obeyed (standard library only).

A command, a file name, a bucket key or a tool's output recorded in a trail may hold escape sequences
(ESC, OSC, BEL, CR, BS, the C1 controls), bidirectional overrides or invisible characters that would
clear a screen, rewrite what was printed before, reorder what the reader sees, or crash a chart
engine. Two views of one idea, used by every layer that shows recorded text:

- :func:`visible`, for terminals and one-line messages: newlines and tabs stay, every other control
  character is written as an escape (``\\x1b``, ``\\r``, ``\\u009b``, ``\\u202e``), valid inside a
  JSON string too;
- :func:`printable`, for pages and charts: also zero-width characters, the BOM and lone surrogates.
"""

from __future__ import annotations

_TABLE = {c: f"\\x{c:02x}" for c in range(0x20) if c not in (0x09, 0x0A)}
_TABLE[0x0D] = "\\r"
_TABLE.update({c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible(text: str) -> str:
    """``text`` with every control character except newline and tab written as a visible escape."""
    return text.translate(_TABLE)


#: Characters shown as escapes wherever data reaches a chart or a page: C0 controls (but tab and line
#: feed), DEL, C1 controls, and the invisible format characters that reorder or hide text (bidi
#: overrides and isolates, zero-width characters, the BOM). The chart engine aborts the whole kernel
#: on a C0 control (vl-convert panics), a terminal or page would act on ESC sequences, and a bidi
#: override makes ``rm -rf /`` read as something else.
_UNSAFE = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0xAD, 0x061C, 0x180E]
_UNSAFE += [*range(0x200B, 0x2010), *range(0x2028, 0x202F), *range(0x2060, 0x2070), 0xFEFF]
_SHOWN = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE}


def printable(value: object) -> str:
    """``value`` as text that is safe to draw: every control, invisible format character and lone
    surrogate written as its escape (``\\x1b``, ``\\u202e``, ``\\udc80``); tabs, line feeds and all other
    text unchanged. The one place every string bound for a chart or a page passes through."""
    text = str(value).translate(_SHOWN)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8, kept by the hook as such
        text = "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text
