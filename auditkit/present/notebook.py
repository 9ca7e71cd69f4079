"""Helpers for the investigation notebooks: record results, show tables, pick a chart renderer.

``record(name, value)`` displays a JSON output under auditkit's own MIME type; ``read_results``
reads those back from an executed notebook. That is all papermill evidence needs from
scrapbook (unmaintained since 2022), in a few lines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from auditkit.errors import extra_import
from auditkit.present.terminal import printable, safe_spec

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
    """Record a named result in the notebook's outputs (read back by ``read_results``).

    The value itself is not shown (the tables above it are what a reader reads): nothing is printed,
    and the HTML evidence page leaves the output out; ``manifest.json`` holds it.
    """
    with extra_import("the notebook helpers", "notebooks"):
        from IPython.display import display

    # no text: JupyterLab shows an empty output, the HTML page leaves it out (the manifest holds the value)
    display({MIME: {"name": name, "value": _plain(value)}, "text/plain": ""}, raw=True)


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


def skip_iri_grammar() -> None:
    """Keep this process from building rfc3987-syntax's IRI grammar, ~0.9 s on every import of jsonschema.

    papermill, nbformat and altair import jsonschema, which imports ``rfc3987_syntax`` when it is
    installed (jupyter-events asks for ``jsonschema[format-nongpl]``, which installs it) to check the
    ``iri`` string format, and that module compiles its grammar at import (python-jsonschema#1428).
    Nothing here validates an ``iri``; with the import refused, jsonschema skips that one format
    check. Only for processes auditkit runs headless: ``auditkit report`` and its kernels.
    """
    if "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # None makes the import fail


#: What the ``auditkit report`` process imports and never uses (:func:`skip_unused_checks`): jsonschema's checkers
#: of string formats (``uri``, ``duration``, ``color``...: isoduration brings arrow), imported with papermill, and
#: bs4's CSS selectors (soupsieve, which compiles its grammar as it is imported).
UNUSED_IN_A_REPORT = ("isoduration", "rfc3986_validator", "rfc3339_validator", "webcolors", "uri_template", "soupsieve")


def skip_unused_checks() -> None:
    """Keep the ``auditkit report`` process (it ends with the report) from importing :data:`UNUSED_IN_A_REPORT`:
    ~120 ms of CPU beside the kernel, on a machine whose other core it shares. No format is checked there (nbformat
    validates a notebook with ``Draft4Validator(schema)``, no format checker, and its schema names no format; with
    the modules refused, jsonschema leaves those formats unchecked, as with them uninstalled), and the evidence
    page is made with ``find_all``, never a CSS selector (bs4 without soupsieve says so in a warning, kept quiet)."""
    import warnings

    for module in UNUSED_IN_A_REPORT:
        if module not in sys.modules:
            sys.modules[module] = None  # type: ignore[assignment]  # None makes the import fail
    warnings.filterwarnings("ignore", "The soupsieve package is not installed", UserWarning)


def setup(interactive: bool, charts: bool = True) -> str:
    """Pick the chart renderer; return its name. Nothing is ever fetched from the network.

    Headless (papermill, ``auditkit report``): static SVG, which the HTML evidence embeds. In JupyterLab:
    interactive charts through altair's ``JupyterChart`` widget in offline mode, its JavaScript taken
    from the installed ``vl-convert-python`` (air-gapped workstations render every chart); without
    ``anywidget`` installed, static SVG. ``charts=False``: a notebook that draws none (the compliance
    pack's) neither imports the chart library nor starts its engine ("none"); so does a headless notebook whose
    only charts are :func:`timelines` and :func:`tool_time_chart` (the incident, replay and cost packs'), drawn
    from their Vega-Lite specs without altair.
    """
    if not interactive:
        skip_iri_grammar()
    global _renderer
    if not charts:
        import pandas as pd

        pd.set_option("display.max_colwidth", None)  # evidence is shown whole, never cut with "…"
        _renderer = "none"
        return "none"
    with extra_import("the notebook helpers", "notebooks"):
        import altair as alt
    import pandas as pd

    alt.data_transformers.disable_max_rows()
    pd.set_option("display.max_colwidth", None)  # evidence is shown whole, never cut with "…"
    if interactive:
        try:
            import anywidget  # noqa: F401 - the widget JupyterChart is built on

            alt.renderers.enable("jupyter", offline=True)
            _renderer = "jupyter"
            return "jupyter"
        except ImportError:
            pass
    if "auditkit-svg" not in alt.renderers.names():
        alt.renderers.register("auditkit-svg", _described_svg)
    alt.renderers.enable("auditkit-svg")
    _warm_svg_engine()
    _renderer = "svg"
    return "svg"


def warm_kernel(charts: bool = True, altair: bool = True) -> None:
    """What a headless kernel does as it starts, for ``auditkit report``: refuse the IRI grammar, import
    what every investigation notebook imports, and start the chart engine in a process of its own
    (:mod:`auditkit.present.svgworker`; ``charts``: for a notebook that draws; ``altair``: with altair, for a
    notebook that draws altair charts, not only :func:`timelines`). Only imports: the notebook itself still runs
    from its first cell, with nothing defined."""
    skip_iri_grammar()
    # the widget library of altair's JupyterChart (anywidget, ipywidgets: ~45 ms of altair's import): a headless
    # kernel draws static SVG (setup(interactive=False)), and altair without it puts a stand-in in its place
    sys.modules.setdefault("anywidget", None)  # type: ignore[arg-type]  # None makes the import fail
    if charts:
        _start_svg_worker()  # first: its engine starts on the other core while this kernel imports the rest
    import pandas  # noqa: F401

    # the point of this function: import now, while the kernel starts, what every notebook imports
    import auditkit.analysis.findings

    if charts:
        if altair:
            with extra_import("the notebook helpers", "notebooks"):
                import altair as _altair  # noqa: F401
        import auditkit.present.render  # noqa: F401

        _warm_svg_worker()


_warming = False  # the warm-up runs once per process
_renderer = ""  # what setup() chose: "jupyter", "svg" (altair draws the charts) or "none" (altair not imported)
_svg_worker: Any = None  # an auditkit.present.svgworker.SvgWorker, in the kernel of an `auditkit report` run


def _start_svg_worker() -> None:
    """Start the chart engine in a process of its own (:class:`~auditkit.present.svgworker.SvgWorker`), used by
    :func:`_described_svg`: this process neither starts the engine nor waits for it."""
    global _svg_worker, _warming
    if _svg_worker is not None:
        return
    from auditkit.present.svgworker import SvgWorker  # a report's kernel only

    try:
        _svg_worker = SvgWorker()
    except OSError:  # only a head start: the kernel then draws the charts itself
        return
    _warming = True  # the engine warms up there, not in this process


def _warm_svg_worker() -> None:
    """The worker warms up with the charts' Vega-Lite version; a vl-convert that altair refuses (missing, too old;
    without altair: missing) stops the worker, and the charts are refused in the kernel as before."""
    global _svg_worker
    if _svg_worker is None:
        return
    try:
        if "altair" in sys.modules:
            from altair.utils._importers import import_vl_convert

            import_vl_convert()  # the check altair makes before each chart
        else:  # the charts are drawn without altair (:func:`timelines`): vl-convert itself, as they are drawn
            import vl_convert  # noqa: F401
    except Exception:  # said by the first chart, drawn in the kernel
        _svg_worker.close()
        _svg_worker = None
        return
    _svg_worker.warm(_vl_version())


def _warm_svg_engine() -> None:
    """Start vl-convert's JavaScript engine (~0.4 s before the first chart) on another core, while the
    notebook imports and loads its trails; it lets go of the GIL, so nothing else waits for it."""
    import threading

    global _warming
    if _warming:
        return
    _warming = True

    def warm() -> None:
        try:
            from altair.utils._importers import import_vl_convert, vl_version_for_vl_convert

            import_vl_convert().vegalite_to_svg({"mark": "point"}, vl_version=vl_version_for_vl_convert())
        except Exception:  # only a warm-up: the first chart then starts the engine itself
            pass

    threading.Thread(target=warm, daemon=True, name="auditkit-svg-warm-up").start()


def _described_svg(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """altair's SVG renderer, with the chart's ``description`` as the image's accessible name
    (``role="img"``, ``aria-label`` and a ``<title>``): the alt text of the chart in the evidence page."""
    safe = safe_spec(spec)  # a control character in a tool name killed the kernel
    assert isinstance(safe, dict)  # safe_spec keeps the shape it is given
    return _labelled(safe, _worker_svg(safe, metadata), metadata)


def _labelled(safe: dict[str, Any], svg: str | None, metadata: dict[str, Any]) -> dict[str, Any]:
    """The SVG of ``safe`` (drawn by the worker; None: drawn here, by altair as its renderer would), with its
    ``description`` as its accessible name."""
    import html

    if svg is not None:
        data: dict[str, Any] = {"image/svg+xml": svg}
    else:
        with extra_import("the notebook helpers", "notebooks"):
            import altair as alt
            from altair.utils.mimebundle import spec_to_mimebundle

        bundle = spec_to_mimebundle(
            safe,
            format="svg",
            mode="vega-lite",
            vega_version=alt.VEGA_VERSION,
            vegaembed_version=alt.VEGAEMBED_VERSION,
            vegalite_version=alt.VEGALITE_VERSION,
            **metadata,
        )
        data = bundle[0] if isinstance(bundle, tuple) else bundle
    description = safe.get("description")
    svg = data.get("image/svg+xml")
    if isinstance(description, str) and isinstance(svg, str) and svg.startswith("<svg"):
        label = html.escape(description, quote=True)
        head_end = svg.index(">") + 1
        svg = f'<svg role="img" aria-label="{label}"' + svg[4:head_end] + f"<title>{label}</title>" + svg[head_end:]
        data = {**data, "image/svg+xml": svg}
    return data


def _vl_version() -> str:
    """The charts' Vega-Lite version as vl-convert takes it (``v6_4``): altair's, read without importing altair."""
    from auditkit.present.render import vega_lite_schema  # imports pandas: a chart's, not every helper's

    return vega_lite_schema()[1]


def _worker_takes(metadata: dict[str, Any]) -> bool:
    """Whether the worker draws a chart as altair would here: altair draws a chart with
    ``vl_convert.vegalite_to_svg(spec, vl_version, format_locale, time_format_locale)``; the worker makes that same
    call, so it takes only the charts whose locales altair leaves unset (no embed options), that it does not hand
    to VegaFusion, and that no renderer option changes (altair not imported: none of these is set)."""
    if _svg_worker is None or metadata:
        return False
    alt = sys.modules.get("altair")
    return alt is None or not (
        alt.renderers.options.get("embed_options") or alt.data_transformers.active == "vegafusion"
    )


def _worker_svg(spec: dict[str, Any], metadata: dict[str, Any]) -> str | None:
    """The SVG the worker draws of ``spec`` (None: no worker, or not a chart it draws as altair would here)."""
    if not _worker_takes(metadata):
        return None
    svg: str | None = _svg_worker.svg(spec, _vl_version())
    return svg


class Drawn:
    """A Vega-Lite chart (its spec, as altair writes it) shown as a headless kernel shows the altair chart
    (:func:`_described_svg`: the same SVG, with its alt text), without altair: the chart engine's process
    (:mod:`auditkit.present.svgworker`) is asked for the SVG as soon as the chart is made, and draws it while
    the kernel goes on; displaying it waits for that SVG (without a worker, it is drawn then, by altair)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        safe = safe_spec(spec)  # a control character in a tool name killed the kernel
        assert isinstance(safe, dict)  # safe_spec keeps the shape it is given
        self._safe = safe
        self._ticket = _svg_worker.submit(safe, _vl_version()) if _worker_takes({}) else 0
        self._shown: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The chart's Vega-Lite spec (as altair's ``to_dict()``)."""
        return self.spec

    def __repr__(self) -> str:
        """The text altair shows for the same chart (the notebook's plain-text form of the output)."""
        return "alt.LayerChart(...)" if "layer" in self.spec else "alt.Chart(...)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        if self._shown is None:  # the worker answers a chart once: shown again, it is the same image
            worker, ticket, self._ticket = _svg_worker, self._ticket, 0
            svg = worker.answer(ticket) if worker is not None and ticket else None
            self._shown = _labelled(self._safe, svg, {})
        return self._shown


def _altair_draws() -> bool:
    """Whether :func:`setup` chose an altair renderer (JupyterLab's widget, or altair's SVG): then the notebook's
    charts are altair's; else (headless, ``charts=False``) a :class:`Drawn` of the same spec."""
    return _renderer in ("jupyter", "svg")


def tool_time_chart(by_tool: Any) -> Any:
    """The time-by-tool chart (:func:`auditkit.present.render.time_by_tool_chart`), or headless without altair a
    :class:`Drawn` of its spec (:func:`auditkit.present.render.time_by_tool_spec`): the same image."""
    from auditkit.present.render import time_by_tool_chart, time_by_tool_spec  # imports pandas, as its data does

    return time_by_tool_chart(by_tool) if _altair_draws() else Drawn(time_by_tool_spec(by_tool))


def timelines(scope: Any, session_ids: Any) -> list[tuple[str, Any, Any]]:
    """Each session's replay (:func:`auditkit.analysis.steps.replay`) and its timeline chart, all made before the
    first is shown: ``[(session_id, steps, chart), ...]``. Where :func:`setup` chose an altair renderer, the chart
    is ``Timeline(steps).chart()``; headless without altair (``setup(..., charts=False)``), a :class:`Drawn` of
    the same spec (:func:`auditkit.present.render.timeline_spec`), whose SVG the chart engine draws while the
    kernel replays the next session."""
    from auditkit.analysis.steps import replay  # a notebook helper: pandas and the analysis, imported when used
    from auditkit.present.render import Timeline, timeline_spec  # imports pandas, as replay does

    out = []
    for sid in session_ids:
        steps = replay(scope, sid)
        chart = Timeline(steps).chart() if _altair_draws() else Drawn(timeline_spec(steps))
        out.append((str(sid), steps, chart))
    return out


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~>"} | {"<": "&lt;", "&": "&amp;", "\n": " "})


def md(value: object) -> str:
    """Data made inert in Markdown: HTML and Markdown syntax escaped, one line. Wrap every data value in ``say``."""
    return printable(value).translate(_MD_SPECIAL)


def with_keys(df: object) -> object:
    """A frame with its index as labelled column(s) first (the group key of a ``groupby``: "by session",
    "by model", "by day"...), marked as keys in ``attrs["keys"]``; an unnamed index of row numbers is dropped."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        return df
    index = df.index
    # an unnamed index of integers is row numbers (0..n-1, or what a sort or a filter left of them): no key
    if index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(index.dtype):
        return df
    names = [
        n if n is not None else ("key" if index.nlevels == 1 else f"key {i + 1}") for i, n in enumerate(index.names)
    ]
    names = [f"{n} (key)" if n in df.columns else str(n) for n in names]
    out = df.copy()
    out.index = out.index.set_names(names)
    attrs = dict(df.attrs)
    out = out.reset_index()
    out.attrs = {**attrs, "keys": names}
    return out


def show(df: object, title: str | None = None, rows: int = 50) -> None:
    """A table under a heading (escaped: titles often hold data), capped at ``rows`` rows (with a note when cut).

    Tables are drawn by :func:`table_html`: the index, when it is a key (a ``groupby``'s), as labelled
    column(s) first; text left-aligned and shown whole, blanks for missing values, thousands separators,
    dollars as currency (:func:`money`).
    """
    import pandas as pd

    with extra_import("the notebook helpers", "notebooks"):
        from IPython.display import Markdown, display

    if title:
        display(Markdown(f"**{md(title)}**"))
    if isinstance(df, pd.Series):
        df = df.to_frame()
    df = with_keys(df)
    if isinstance(df, pd.DataFrame) and df.empty:
        display(Markdown("_none_"))
        return
    if not isinstance(df, pd.DataFrame):
        display(df)
        return
    shown = df.head(rows)
    if len(df) > rows:
        display(Markdown(f"_{len(df):,} rows; the first {rows} shown_"))
    display({"text/html": table_html(shown), "text/plain": shown.to_string(index=False, na_rep="")}, raw=True)


def is_money(column: object) -> bool:
    """Columns holding dollars: ``usd``, ``cost_usd``, ``reported_usd``, ``usd_total``..."""
    name = str(column).lower()
    return name == "usd" or name.endswith("_usd") or name.startswith("usd_")


def money(value: object) -> str:
    """Dollars as currency, one rule everywhere: four decimals below a dollar (``$0.0563``: a sub-cent cost
    stays visible), cents from a dollar up (``$1,234.57``); blank when unknown."""
    import math

    if value is None or isinstance(value, str):
        return "" if value is None else value
    try:
        usd = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return cell_text(value)
    if math.isnan(usd):
        return ""
    return f"${usd:,.4f}" if abs(usd) < 1 else f"${usd:,.2f}"


def cell_text(value: object, column: object = None) -> str:
    """One value as a reader should see it: blank when missing, numbers with thousands separators,
    dollars as :func:`money` (in a :func:`is_money` ``column``), times in UTC to the second, structures
    as JSON, text as it is."""
    import math

    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if column is not None and is_money(column) and not isinstance(value, (bool, str)):
        return money(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if value.tzinfo else "")
    if isinstance(value, pd.Timedelta):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
        if isinstance(value, bool):
            return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, (dict, list, tuple)):
        return printable(json.dumps(value, default=str, ensure_ascii=False))
    return printable(value)


_TABLE_CSS = "border-collapse:collapse;margin:4px 0 12px 0;font-size:13px"
_TD = "padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:top;white-space:pre-wrap"


def table_html(df: object) -> str:
    """A frame as a readable HTML table: every value escaped and whole (line breaks kept), numbers
    right-aligned, text left-aligned. The index is not drawn: :func:`show` makes a key index a labelled
    column first (``attrs["keys"]``), whose headers carry ``data-key``."""
    import html

    import pandas as pd

    frame = df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)
    types = pd.api.types
    numeric = {c for c in frame.columns if types.is_numeric_dtype(frame[c]) and not types.is_bool_dtype(frame[c])}
    th = "padding:3px 8px;border-bottom:2px solid #d0d7de;text-align:left;vertical-align:bottom"
    keys = set(frame.attrs.get("keys", []))
    marked = " data-key='1'"
    head = "".join(
        f"<th style='{th}'{marked if c in keys else ''}>{html.escape(printable(c))}</th>" for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            align = "right" if col in numeric else "left"
            style = f"{_TD};text-align:{align}"
            cells.append(f"<td style='{style}'>{html.escape(cell_text(value, col))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='auditkit-table' style='{_TABLE_CSS}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def say(text: str) -> None:
    """A conclusion, as Markdown built from the data (each data value passed through :func:`md`)."""
    with extra_import("the notebook helpers", "notebooks"):
        from IPython.display import Markdown, display

    display(Markdown(text))


def show_text(text: str) -> None:
    """Preformatted text (a diff, a command's output) shown exactly as it is, never interpreted."""
    import html

    with extra_import("the notebook helpers", "notebooks"):
        from IPython.display import HTML, display

    display(HTML(f"<pre style='white-space:pre-wrap'>{html.escape(printable(text))}</pre>"))


_STRENGTH_COLOURS = {"strong": "#1a7f37", "moderate": "#9a6700", "weak": "#cf222e"}


def status_line(status: str) -> str:
    """The inputs' one-line integrity status as HTML (plain text, escaped): beside every conclusion."""
    import html

    bad = not status.startswith("INTACT")
    colour = "#cf222e" if bad else "#57606a"
    return (
        f"<div class='auditkit-status' style='font-size:12px;color:{colour};margin:2px 0'>"
        f"Integrity of the inputs: {html.escape(printable(status))}</div>"
    )


def verdict_html(verdict: object) -> str:
    """A :class:`~auditkit.analysis.findings.verdict.Verdict` as the block a pack opens with: each question,
    its answer in one sentence with its strength and caveats, the integrity status, the user prompt that
    led to it and its evidence rows (record, seq, file:line). Every value escaped."""
    import html

    def esc(value: object) -> str:
        return html.escape(printable(value))

    parts = [
        "<section class='auditkit-verdict' style='border:2px solid #0969da;border-radius:6px;padding:8px 14px;"
        "margin:4px 0 12px 0'>",
        f"<h2 style='margin:2px 0 4px 0;font-size:20px'>Verdict: {esc(verdict.title)}</h2>",  # type: ignore[attr-defined]
    ]
    for a in verdict.answers:  # type: ignore[attr-defined]
        colour = _STRENGTH_COLOURS.get(a.strength, "#57606a")
        caveats = "".join(
            f" <span class='auditkit-caveat' style='color:#cf222e;font-weight:600'>⚠ {esc(c)}</span>" for c in a.caveats
        )
        parts.append(
            "<div class='auditkit-answer' style='margin:6px 0 8px 0'>"
            f"<div class='auditkit-question' style='font-weight:600'>{esc(a.question)}</div>"
            f"<div><span class='auditkit-answer-text' style='font-size:15px'>{esc(a.answer)}</span> "
            f"<span class='auditkit-strength' data-strength='{esc(a.strength)}' style='border:1px solid {colour};"
            f"color:{colour};border-radius:4px;padding:0 5px;font-size:12px'>strength: {esc(a.strength)}</span>"
            f"{caveats}</div>"
            + status_line(verdict.status)  # type: ignore[attr-defined]
            + (
                f"<div class='auditkit-prompt' style='font-size:13px'>"
                f"{'Prompt that led to it' if len(a.prompts) <= 1 else 'Prompts that led to them'}: "
                + "; ".join(f"<q>{esc(p)}</q>" for p in (a.prompts or [a.prompt]))
                + "</div>"
                if a.prompt
                else ""
            )
            + (
                table_html(a.evidence).replace("auditkit-table'", "auditkit-table auditkit-evidence'", 1)
                if len(a.evidence)
                else "<div style='font-size:12px;color:#57606a'>No record is the evidence: see the tables below.</div>"
            )
            + "</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def show_verdict(verdict: object) -> None:
    """Display :func:`verdict_html` (the text form lists the answers)."""
    with extra_import("the notebook display", "notebooks"):
        from IPython.display import display

    text = "\n".join(
        f"{a.question} {a.answer} ({a.strength}{'; ' + '; '.join(a.caveats) if a.caveats else ''})"
        for a in verdict.answers  # type: ignore[attr-defined]
    )
    display({"text/html": verdict_html(verdict), "text/plain": printable(text)}, raw=True)


def show_status(status: str) -> None:
    """The integrity status line alone, beside a conclusion."""
    with extra_import("the notebook display", "notebooks"):
        from IPython.display import display

    display({"text/html": status_line(status), "text/plain": f"Integrity of the inputs: {printable(status)}"}, raw=True)
