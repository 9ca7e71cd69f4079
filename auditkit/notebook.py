"""Helpers for the investigation notebooks: record results, show tables, pick a chart renderer.

``record(name, value)`` displays a JSON output under auditkit's own MIME type; ``read_results``
reads those back from an executed notebook. That is all papermill evidence needs from
scrapbook (unmaintained since 2022), in a few lines.
"""

from __future__ import annotations

import json
from pathlib import Path

MIME = "application/vnd.auditkit.result+json"


def _plain(value: object) -> object:
    """JSON-safe: frames become lists of records, timestamps ISO strings."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", date_format="iso", default_handler=str))
    if isinstance(value, pd.Series):
        return json.loads(value.to_json(date_format="iso", default_handler=str))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return json.loads(json.dumps(value, default=str))


def record(name: str, value: object) -> None:
    """Record a named result in the notebook's outputs (read back by ``read_results``)."""
    from IPython.display import display

    display({MIME: {"name": name, "value": _plain(value)}, "text/plain": f"{name} = {value!r}"[:300]}, raw=True)


def read_results(path: str | Path) -> dict:
    """Every value ``record`` wrote into an executed notebook, by name."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if MIME in data:
                out[data[MIME]["name"]] = data[MIME]["value"]
    return out


def setup(interactive: bool) -> None:
    """Charts as inline SVG when headless (the HTML evidence shows them offline), interactive otherwise."""
    import altair as alt

    alt.data_transformers.disable_max_rows()
    if not interactive:
        alt.renderers.enable("svg")


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~>"} | {"<": "&lt;", "&": "&amp;", "\n": " "})


def md(value: object) -> str:
    """Data made inert in Markdown: HTML and Markdown syntax escaped, one line. Wrap every data value in ``say``."""
    return str(value).translate(_MD_SPECIAL)


def show(df: object, title: str | None = None, rows: int = 50) -> None:
    """A table under a heading (escaped: titles often hold data), capped at ``rows`` rows (with a note when cut)."""
    import pandas as pd
    from IPython.display import Markdown, display

    if title:
        display(Markdown(f"**{md(title)}**"))
    if isinstance(df, pd.DataFrame) and df.empty:
        display(Markdown("_none_"))
        return
    if isinstance(df, pd.DataFrame) and len(df) > rows:
        display(Markdown(f"_{len(df)} rows; the first {rows} shown_"))
        df = df.head(rows)
    display(df)


def say(text: str) -> None:
    """A conclusion, as Markdown built from the data (each data value passed through :func:`md`)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_text(text: str) -> None:
    """Preformatted text (a diff, a command's output) shown exactly as it is, never interpreted."""
    import html

    from IPython.display import HTML, display

    display(HTML(f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"))
