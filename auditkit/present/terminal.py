"""Text for a terminal: control characters shown, never obeyed.

A command, a file name or a tool's output recorded in a trail may hold escape sequences (ESC, OSC,
BEL, CR, BS, the C1 controls) or bidirectional overrides that would clear the screen, rewrite what
was printed before, or reorder what the reader sees. Everything auditkit prints goes through
:func:`visible`: newlines and tabs stay, every other control character is written as an escape
(``\\x1b``, ``\\r``, ``\\u009b``, ``\\u202e``), which is also valid inside a JSON string.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from auditkit.safe_text import printable, visible

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: typing costs every command's start-up ~2 ms
if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["guard_std_streams", "printable", "safe_spec", "text_table", "visible"]


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


# --- tables for the terminal -------------------------------------------------------------------

#: How a table cell is written: thousands separators for counts, dollars, durations, UTC times.
_CELL: dict[str, Callable[[Any], str]] = {
    "int": lambda v: f"{int(v):,}",
    "usd": lambda v: f"${float(v):,.2f}",
    "ms": lambda v: f"{float(v) / 1000:.1f}s" if float(v) >= 1000 else f"{float(v):.0f}ms",
    "time": lambda v: f"{v:%Y-%m-%d %H:%M}",
    "pct": lambda v: f"{float(v) * 100:.1f}%",
    "text": str,
}


def text_table(
    rows: list[dict], columns: list[tuple[str, str, str]], total: dict | None = None, width: int = 100
) -> str:
    """Rows as an aligned table: ``columns`` are (key, header, kind); kinds are int, usd, ms, time, pct, text.

    Numbers are right-aligned with thousands separators, text left-aligned; missing values are blank;
    text columns are cut with "…" so the table fits ``width`` columns; ``total`` becomes a last row.
    No rows (an empty trail, a filter that matched nothing) give the header and ``(none)``.
    """

    def cell(value: object, kind: str) -> str:
        if value is None or value != value or type(value).__name__ in ("NaTType", "NAType"):  # None, NaN, NaT, NA
            return ""
        return _CELL[kind](value)

    body = [[cell(r.get(k), kind) for k, _, kind in columns] for r in rows]
    tail = [[cell(total.get(k), kind) for k, _, kind in columns]] if total else []
    widths = [max([len(h), *(len(line[i]) for line in body + tail)]) for i, (_, h, _) in enumerate(columns)]
    over = sum(widths) + 2 * (len(columns) - 1) - width
    while over > 0:  # narrow the widest text column, a character at a time (a cut id still works as a prefix)
        texts = [i for i, (_, h, kind) in enumerate(columns) if kind == "text" and widths[i] > max(len(h), 12)]
        if not texts:
            break
        widths[max(texts, key=lambda j: widths[j])] -= 1
        over -= 1

    def line(cells: list[str]) -> str:
        out = []
        for (_, _, kind), w, c in zip(columns, widths, cells, strict=True):
            c = c if len(c) <= w else c[: w - 1] + "…"
            out.append(c.ljust(w) if kind == "text" else c.rjust(w))
        return "  ".join(out).rstrip()

    rule = "  ".join("─" * w for w in widths)
    lines = [line([h for _, h, _ in columns]), rule, *(line(c) for c in body)]
    if not body:
        lines.append("(none)")
    if tail:
        lines += [rule, line(tail[0])]
    return "\n".join(lines)


def safe_spec(spec: object) -> object:
    """A chart specification with every string in it (titles, descriptions, data values, field
    names) passed through :func:`printable`: the chart engine sees no control character."""
    if isinstance(spec, str):
        return printable(spec)
    if isinstance(spec, dict):
        return {printable(k): safe_spec(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [safe_spec(v) for v in spec]
    return spec
