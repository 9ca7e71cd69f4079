"""Text for a terminal: control characters shown, never obeyed.

A command, a file name or a tool's output recorded in a trail may hold escape sequences (ESC, OSC,
BEL, CR, BS, the C1 controls) or bidirectional overrides that would clear the screen, rewrite what
was printed before, or reorder what the reader sees. Everything auditkit prints goes through
:func:`visible`: newlines and tabs stay, every other control character is written as an escape
(``\\x1b``, ``\\r``, ``\\u009b``, ``\\u202e``), which is also valid inside a JSON string.
"""

from __future__ import annotations

import sys
from typing import TextIO

_TABLE = {c: f"\\x{c:02x}" for c in range(0x20) if c not in (0x09, 0x0A)}
_TABLE[0x0D] = "\\r"
_TABLE.update({c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible(text: str) -> str:
    """``text`` with every control character except newline and tab written as a visible escape."""
    return text.translate(_TABLE)


class VisibleStream:
    """A text stream that writes what it is given through :func:`visible`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def guard_std_streams() -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`VisibleStream` (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, VisibleStream):
            setattr(sys, name, VisibleStream(stream))
