"""An SQL answer as the table ``auditkit sql`` prints, laid out without pandas when its types are plain.

``auditkit sql`` prints an answer as pandas does (``DataFrame.to_string(index=False)`` with
``display.max_rows`` and ``display.max_columns`` None: :func:`frame_text`). Importing pandas costs ~0.35 s
of CPU, more than a GROUP BY over 1M events takes in DuckDB, so :func:`text` lays out an answer whose
every column is an integer, a boolean or a ``VARCHAR`` (DuckDB's types whose cells pandas prints as
``str(value)``) by the same steps pandas takes for those types (``pandas.io.formats.format``: each cell as
text, ``\\t \\r \\n`` escaped, NULL as ``<NA>`` or, for text, ``NaN`` (``None`` in a column of nothing
else); right-justified under a header that numeric columns pad with a space, no cell cut; columns joined
by a space). :func:`plain` says which answers those are; any other answer (floats, times, JSON, lists,
repeated column names) is printed by pandas. ``tests/test_answer_text.py`` holds the two printers to the
same bytes over answers of every type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only for an answer text() does not lay out (~0.35 s to import)
    import pandas as pd

#: DuckDB's types (as ``str(type)`` names them) whose cells pandas prints as ``str(value)``.
INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"})
PLAIN = INTEGERS | {"BOOLEAN", "VARCHAR"}
#: pandas' ``display.max_colwidth`` as ``auditkit sql`` has always set it (``to_string`` overrides it: no cell is cut).
MAX_COLWIDTH = 80
_ESCAPES = (("\t", r"\t"), ("\r", r"\r"), ("\n", r"\n"))


def plain(columns: Sequence[str], types: Sequence[object]) -> bool:
    """Whether :func:`text` lays out an answer with these column names and DuckDB types as pandas does: at
    least one column, each of a :data:`PLAIN` type, no two names alike but for case (DuckDB's frame renames
    the second)."""
    names = {c.casefold() for c in columns}
    return bool(columns) and len(names) == len(columns) and all(str(t) in PLAIN for t in types)


def text(columns: Sequence[str], types: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """The answer as ``auditkit sql`` prints it (for :func:`plain` columns and types; ``rows`` as DuckDB's
    ``fetchall`` gives them)."""
    if not rows:
        return _no_rows(columns)
    labels = _trim_front([" " + _escape(c) for c in columns])
    strcols = []
    for i, (label, kind) in enumerate(zip(labels, map(str, types), strict=True)):
        header = label if kind == "VARCHAR" else " " + label  # pandas pads a numeric column's header
        values = [row[i] for row in rows]
        cells = [_escape(str(v)) if v is not None else _missing(kind, values) for v in values]
        strcols.append(_column(header, cells))
    return _adjoin(strcols)


def frame_text(frame: pd.DataFrame) -> str:
    """A frame as ``auditkit sql`` prints it, by pandas (any answer; :func:`text` for plain ones)."""
    import pandas as pd  # start-up: only an answer text() does not lay out needs pandas

    if not len(frame):
        return _no_rows(frame.columns)
    options = ("display.max_rows", None, "display.max_columns", None, "display.width", 200)
    with pd.option_context(*options, "display.max_colwidth", MAX_COLWIDTH):
        return frame.to_string(index=False)


def _no_rows(columns: Sequence[str]) -> str:
    """An empty answer: its columns said, as no table would show them."""
    return f"(no rows; columns: {', '.join(columns)})"


def _missing(kind: str, values: list[object]) -> str:
    """How pandas prints NULL in a column: ``<NA>`` in an integer or boolean one; in text ``NaN``, or ``None``
    when the whole column is NULL (the frame's column then holds Python objects, not strings)."""
    if kind != "VARCHAR":
        return "<NA>"
    return "None" if all(v is None for v in values) else "NaN"


def _escape(s: str) -> str:
    for char, escaped in _ESCAPES:
        s = s.replace(char, escaped)
    return s


def _trim_front(strings: list[str]) -> list[str]:
    """pandas' ``trim_front``: the leading white space all the strings share, cut."""
    cut = min(len(s) - len(s.lstrip()) for s in strings)
    return [s[cut:] for s in strings] if cut > 0 else strings


def _column(header: str, cells: list[str]) -> list[str]:
    """One column's lines (header first), as pandas' ``_get_strcols_without_index`` makes them: the cells
    right-justified to the widest cell or the header (``to_string`` cuts no cell: it sets ``max_colwidth``
    None whatever the display option says), the header to the same width."""
    width = max(len(header), *map(len, cells))
    return [header.rjust(width), *(c.rjust(width) for c in cells)]


def _adjoin(strcols: list[list[str]]) -> str:
    """pandas' ``adjoin(1, ...)``: each column but the last left-justified to its width and a space."""
    widths = [max(map(len, col)) + 1 for col in strcols[:-1]] + [max(map(len, strcols[-1]))]
    padded = [[line.ljust(w) for line in col] for col, w in zip(strcols, widths, strict=True)]
    return "\n".join("".join(line) for line in zip(*padded, strict=True))
