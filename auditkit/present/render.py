"""Show the views: plain text for terminals, HTML for Jupyter and files, altair charts.

Nothing here computes anything a test would need: the views are in :mod:`auditkit.analysis.steps` and
:mod:`auditkit.analysis.versions`; this module only draws them.
"""

from __future__ import annotations

import functools
import html
import math
from pathlib import Path
from typing import cast

import pandas as pd

from auditkit.errors import MissingExtra, extra_import
from auditkit.present.terminal import printable, safe_spec

_MARK = {"ok": "✓", "error": "✗", "interrupted": "⏸", "unfinished": "…"}


def _ms(v: object) -> str:
    if v is None or pd.isna(v):
        return "-"
    ms = float(cast(float, v))  # a duration in ms: a number when not NA
    return f"{ms / 1000:.1f}s" if ms >= 1000 else f"{ms:.0f}ms"


def replay_text(steps: pd.DataFrame) -> str:
    """The timeline as text: prompts as headings, subagent steps indented under their Task."""
    a = steps.attrs
    who = "  ".join(f"{k} {a[k]}" for k in ("user", "host") if isinstance(a.get(k), str) and a.get(k))
    lines = [f"session {a.get('session_id')}  {who + '  ' if who else ''}{len(steps)} steps"]
    t0 = steps["start"].dropna().min() if len(steps) else None
    prompt_no = None
    for s in steps.itertuples(index=False):
        if s.prompt_no is not pd.NA and s.prompt_no != prompt_no and isinstance(s.prompt, str):
            prompt_no = s.prompt_no
            lines.append(f"\n  ▶ prompt {prompt_no}: {printable(' '.join(s.prompt.split())[:100])}")
        at = f"+{(s.start - t0).total_seconds():7.1f}s" if pd.notna(s.start) and t0 is not None else " " * 9
        indent = "    " * int(s.depth)
        lines.append(f"  {s.step:>4} {at} {_ms(s.duration_ms):>7} {_MARK.get(s.status, '?')} {indent}{s.summary}")
    return printable("\n".join(lines))  # an ESC in a tool name must not drive the terminal


def history_text(history: pd.DataFrame, diffs: bool = False) -> str:
    """A file's history as text; with ``diffs``, the unified diff under each new version."""
    out = [f"{history.attrs.get('path')}: {len(history)} events"]
    for h in history.itertuples(index=False):
        sha = (h.sha256 or "")[:12] if isinstance(h.sha256, str) else "unknown"
        when = h.timestamp.strftime("%Y-%m-%d %H:%M:%S") if pd.notna(h.timestamp) else "?"
        out.append(f"  {when}  v{h.version}  {sha:<12}  {h.tool:<9} {h.action:<13} {str(h.session_id)[:8]}  {h.note}")
        if isinstance(h.command, str):
            out.append(f"  {'':20}  $ {h.command}")
        if diffs and isinstance(h.diff, str):
            out += ["      " + line for line in h.diff.rstrip("\n").splitlines()]
    return printable("\n".join(out))


def replay_html(steps: pd.DataFrame) -> str:
    """The timeline as an HTML table (Jupyter's rich display and standalone pages use it)."""
    a = steps.attrs
    rows = []
    for s in steps.itertuples(index=False):
        colour = {"ok": "#1a7f37", "error": "#cf222e", "interrupted": "#9a6700"}.get(s.status, "#57606a")
        pad = 18 * int(s.depth)
        prompt = html.escape(printable(" ".join(str(s.prompt).split())[:200])) if isinstance(s.prompt, str) else ""
        rows.append(
            f"<tr title='{prompt}'><td>{s.step}</td><td>{s.start:%H:%M:%S}</td><td>{_ms(s.duration_ms)}</td>"
            f"<td>{_ms(s.gap_ms)}</td><td style='color:{colour}'>{html.escape(str(s.status))}</td>"
            f"<td style='padding-left:{pad}px'>{html.escape(printable(s.summary))}</td></tr>"
        )
    who = "".join(
        f" · {k} {html.escape(printable(a[k]))}" for k in ("user", "host") if isinstance(a.get(k), str) and a.get(k)
    )
    head = f"<p><b>Session</b> {html.escape(printable(a.get('session_id')))}{who} · {len(steps)} steps</p>"
    return (
        head + "<table><thead><tr><th>#</th><th>start</th><th>took</th><th>idle</th><th>status</th>"
        "<th>step</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


#: Tool colours: no red, which means failure on these charts.
TOOL_COLOURS = [
    "#4c78a8",
    "#72b7b2",
    "#54a24b",
    "#b279a2",
    "#9d755d",
    "#eeca3b",
    "#79706e",
    "#88d27a",
    "#83bcb6",
    "#bab0ac",
]
FAILED = "#cf222e"
#: Above this many steps a timeline is drawn as counts per time bin, not one bar per step.
MAX_TIMELINE_STEPS = 300
_BINS = (1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)  # seconds


def _fails_legend():
    with extra_import("charts", "notebooks"):
        import altair as alt

    return alt.Shape("outcome:N", scale=alt.Scale(domain=["failed"], range=["cross"]), legend=alt.Legend(title=None))


def replay_chart(steps: pd.DataFrame, max_steps: int = MAX_TIMELINE_STEPS):
    """A Gantt-like timeline: one bar per step, coloured by tool (legend), failures as red crosses,
    the summary in the tooltip. A session longer than ``max_steps`` steps is drawn as steps per
    time bin by tool, with the failed ones per bin, so 1,000 steps over hours stay readable.
    The chart's ``description`` is its alt text."""
    with extra_import("charts", "notebooks"):
        import altair as alt

    sid = steps.attrs.get("session_id", "")
    data = steps[["step", "start", "end", "tool", "summary", "status", "duration_ms"]].copy()
    data = data[data["start"].notna()]
    data["failed"] = data["status"].isin(["error", "interrupted", "unfinished"])
    data["tool"] = data["tool"].astype(str)
    tools = sorted(set(data["tool"]))
    colour = alt.Color(
        "tool:N", scale=alt.Scale(domain=tools, range=TOOL_COLOURS), legend=alt.Legend(title="tool", orient="right")
    )
    n_failed = int(data["failed"].sum())
    span = (data["start"].max() - data["start"].min()) if len(data) else pd.Timedelta(0)
    if len(data) > max_steps:
        return _binned_timeline(data, sid, colour, n_failed, span)
    data["end"] = data["end"].where(data["end"].notna(), data["start"] + pd.Timedelta(milliseconds=1))
    data["status"] = data["status"].astype(str)
    data["outcome"] = "failed"
    base = alt.Chart(data).encode(
        x=alt.X("start:T", title="time (UTC)", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M:%S")),
        x2="end:T",
        y=alt.Y("tool:N", title=None),
        tooltip=["step:Q", "summary:N", "status:N", alt.Tooltip("duration_ms:Q", title="ms")],
    )
    bars = base.mark_bar(minBandSize=3, height=14).encode(color=colour)
    fails = (
        base.transform_filter("datum.failed")
        .mark_point(color=FAILED, size=80, filled=True)
        .encode(shape=_fails_legend())
    )
    description = (
        f"Timeline of session {sid}: {len(data)} steps by {len(tools)} tool(s) ({', '.join(tools)}) over "
        f"{_span_text(span)}; {n_failed} failed, marked with red crosses."
    )
    return (
        (bars + fails)
        .properties(width=800, height=alt.Step(22), title=f"session {sid}", description=description)
        .resolve_legend(shape="independent")
    )


def timeline_spec(steps: pd.DataFrame, max_steps: int = MAX_TIMELINE_STEPS) -> dict:
    """The Vega-Lite spec of :func:`replay_chart` (``replay_chart(steps).to_dict()``, the same dict in the same
    order), built without altair: what a headless report draws (:func:`auditkit.present.notebook.timelines`),
    where importing altair (~0.25 s) and validating each chart against its schema was most of the timeline's
    cost. A session binned by :func:`replay_chart` (more than ``max_steps`` steps) is built by altair."""
    sid = steps.attrs.get("session_id", "")
    data = steps[["step", "start", "end", "tool", "summary", "status", "duration_ms"]].copy()
    data = data[data["start"].notna()]
    if len(data) > max_steps:
        return cast(dict, replay_chart(steps, max_steps).to_dict())
    data["failed"] = data["status"].isin(["error", "interrupted", "unfinished"])
    data["tool"] = data["tool"].astype(str)
    tools = sorted(set(data["tool"]))
    n_failed = int(data["failed"].sum())
    span = (data["start"].max() - data["start"].min()) if len(data) else pd.Timedelta(0)
    data["end"] = data["end"].where(data["end"].notna(), data["start"] + pd.Timedelta(milliseconds=1))
    data["status"] = data["status"].astype(str)
    data["outcome"] = "failed"
    try:
        values = chart_values(data)
    except TypeError:  # a column of a kind only altair converts: altair builds the chart
        return cast(dict, replay_chart(steps, max_steps).to_dict())
    description = (
        f"Timeline of session {sid}: {len(data)} steps by {len(tools)} tool(s) ({', '.join(tools)}) over "
        f"{_span_text(span)}; {n_failed} failed, marked with red crosses."
    )
    shared = {
        "tooltip": [
            {"field": "step", "type": "quantitative"},
            {"field": "summary", "type": "nominal"},
            {"field": "status", "type": "nominal"},
            {"field": "duration_ms", "title": "ms", "type": "quantitative"},
        ],
        "x": {
            "axis": {"format": "%H:%M:%S"},
            "field": "start",
            "scale": {"type": "utc"},
            "title": "time (UTC)",
            "type": "temporal",
        },
        "x2": {"field": "end"},
        "y": {"field": "tool", "title": None, "type": "nominal"},
    }
    colour = {
        "field": "tool",
        "legend": {"orient": "right", "title": "tool"},
        "scale": {"domain": tools, "range": list(TOOL_COLOURS)},
        "type": "nominal",
    }
    shape = {
        "field": "outcome",
        "legend": {"title": None},
        "scale": {"domain": ["failed"], "range": ["cross"]},
        "type": "nominal",
    }
    name = dataset_name(values)
    schema_url, _ = vega_lite_schema()
    return {
        "config": {"view": {"continuousWidth": 300, "continuousHeight": 300}},
        "layer": [
            {"mark": {"type": "bar", "height": 14, "minBandSize": 3}, "encoding": {"color": colour, **shared}},
            {
                "mark": {"type": "point", "color": FAILED, "filled": True, "size": 80},
                "encoding": {"shape": shape, **shared},
                "transform": [{"filter": "datum.failed"}],
            },
        ],
        "data": {"name": name},
        "description": description,
        "height": {"step": 22},
        "resolve": {"legend": {"shape": "independent"}},
        "title": f"session {sid}",
        "width": 800,
        "$schema": schema_url,
        "datasets": {name: values},
    }


def chart_values(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as altair puts them in a spec (``altair.utils.core.sanitize_pandas_dataframe``): numbers as
    Python numbers (a missing or infinite float as None), times as ISO text (a missing one as ""), text and
    categories as text or None."""
    import numpy as np

    columns: dict[str, list] = {}
    for name in frame.columns:
        col = frame[name]
        kind = str(col.dtype)
        numpy_kind = col.dtype if isinstance(col.dtype, np.dtype) else None
        if kind.startswith(("datetime", "timestamp")):
            columns[name] = ["" if v is pd.NaT else v.isoformat() for v in col]
        elif kind == "bool":
            columns[name] = [bool(v) for v in col.to_numpy()]
        elif numpy_kind is not None and np.issubdtype(numpy_kind, np.integer):
            columns[name] = col.to_numpy().tolist()
        elif numpy_kind is not None and np.issubdtype(numpy_kind, np.floating):
            columns[name] = [v if math.isfinite(v) else None for v in col.to_numpy().tolist()]
        elif kind in ("category", "string", "str", "object", "boolean") or kind in _NULLABLE_NUMBERS:
            # altair's own steps, whatever they leave (pandas keeps a NaN in an object column as it is)
            col = col.astype(object)
            if kind == "object":
                col = col.apply(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)
            columns[name] = col.where(col.notnull(), None).tolist()
        else:  # what altair converts otherwise (arrays, time spans): altair's own dict
            raise TypeError(f"column {name!r} of type {kind}: not drawn without altair")
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


_NULLABLE_NUMBERS = frozenset(
    ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64")
)


def dataset_name(values: list[dict]) -> str:
    """The name altair gives a chart's inline rows (``altair.vegalite.v6.api._dataset_name``)."""
    import hashlib
    import json

    if values == [{}]:
        return "empty"
    return "data-" + hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


@functools.cache
def vega_lite_schema() -> tuple[str, str]:
    """The Vega-Lite version the installed altair writes its charts in: (its ``$schema`` URL, the version as
    vl-convert takes it, ``v6_4``). Read from altair's own files, not imported (~0.25 s a headless report's kernel
    spends only to draw its charts); when they do not say it plainly, from altair itself."""
    import re
    from importlib.util import find_spec

    try:
        spec = find_spec("altair")
        folder = Path(next(iter(spec.submodule_search_locations or []))) / "vegalite" if spec else None
        major = re.search(r"^from \.(v\d+) import \*$", (folder / "__init__.py").read_text(), re.M) if folder else None
        text = (folder / major.group(1) / "schema" / "__init__.py").read_text() if folder and major else ""
        version = re.search(r'^SCHEMA_VERSION = "(v[\d.]+)"$', text, re.M)
        url = re.search(r'^SCHEMA_URL = "(https://[^"]+)"$', text, re.M)
    except (OSError, ImportError, ValueError, StopIteration):
        version = url = None
    if version and url:
        return url.group(1), "_".join(version.group(1).split(".")[:2])
    with extra_import("charts", "notebooks"):
        import altair as alt

    return alt.SCHEMA_URL, "_".join(alt.SCHEMA_VERSION.split(".")[:2])


def _span_text(span: pd.Timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _binned_timeline(data: pd.DataFrame, sid: str, colour: object, n_failed: int, span: pd.Timedelta):
    with extra_import("charts", "notebooks"):
        import altair as alt

    width = next((b for b in _BINS if span.total_seconds() / b <= 120), _BINS[-1])
    data = data.assign(bin=data["start"].dt.floor(f"{width}s"))
    counts = data.groupby(["bin", "tool"], observed=True).size().rename("steps").reset_index()
    fails = data[data["failed"]].groupby("bin").size().rename("failed").reset_index()
    fails["outcome"] = "failed"
    x = alt.X("bin:T", title=f"time (UTC), {width:,}-second bins", scale=alt.Scale(type="utc"))
    bars = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("steps:Q", title="steps", stack="zero"),
            color=colour,
            tooltip=[alt.Tooltip("bin:T", format="%H:%M:%S"), "tool:N", "steps:Q"],
        )
    )
    marks = (
        alt.Chart(fails)
        .mark_point(color=FAILED, size=70, filled=True)
        .encode(x=x, y=alt.Y("failed:Q"), shape=_fails_legend(), tooltip=["failed:Q"])
    )
    description = (
        f"Timeline of session {sid}: {len(data):,} steps over {_span_text(span)}, counted per {width:,}-second bin "
        f"and stacked by tool; {n_failed} failed, marked with red crosses at the number failed in each bin."
    )
    title = f"session {sid}: {len(data):,} steps, counted per {width:,} s"
    return (
        (bars + marks)
        .properties(width=800, height=220, title=title, description=description)
        .resolve_legend(shape="independent")
    )


def time_by_tool_chart(by_tool: pd.DataFrame):
    """Total tool time per tool, as bars coloured by tool with a legend; ``by_tool`` is
    :func:`auditkit.analysis.findings.time_by` on ``"tool"``."""
    with extra_import("charts", "notebooks"):
        import altair as alt

    data = by_tool.reset_index()
    tools = data["tool"].astype(str).tolist()
    description = "Total time by tool: " + ", ".join(
        f"{t} {ms / 1000:,.1f} s" for t, ms in zip(tools, data["total_ms"], strict=True)
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("total_ms:Q", title="total ms"),
            y=alt.Y("tool:N", sort="-x", title=None),
            color=alt.Color(
                "tool:N", scale=alt.Scale(domain=sorted(tools), range=TOOL_COLOURS), legend=alt.Legend(title="tool")
            ),
            tooltip=["tool:N", "calls:Q", "total_ms:Q"],
        )
        .properties(width=600, title="time by tool", description=description)
    )


def time_by_tool_spec(by_tool: pd.DataFrame) -> dict:
    """The Vega-Lite spec of :func:`time_by_tool_chart` (its ``to_dict()``, the same dict in the same order),
    built without altair, as :func:`timeline_spec` is."""
    data = by_tool.reset_index()
    try:
        values = chart_values(data)
    except TypeError:  # a column of a kind only altair converts: altair builds the chart
        return cast(dict, time_by_tool_chart(by_tool).to_dict())
    tools = data["tool"].astype(str).tolist()
    description = "Total time by tool: " + ", ".join(
        f"{t} {ms / 1000:,.1f} s" for t, ms in zip(tools, data["total_ms"], strict=True)
    )
    name = dataset_name(values)
    return {
        "config": {"view": {"continuousWidth": 300, "continuousHeight": 300}},
        "data": {"name": name},
        "mark": {"type": "bar"},
        "description": description,
        "encoding": {
            "color": {
                "field": "tool",
                "legend": {"title": "tool"},
                "scale": {"domain": sorted(tools), "range": list(TOOL_COLOURS)},
                "type": "nominal",
            },
            "tooltip": [
                {"field": "tool", "type": "nominal"},
                {"field": "calls", "type": "quantitative"},
                {"field": "total_ms", "type": "quantitative"},
            ],
            "x": {"field": "total_ms", "title": "total ms", "type": "quantitative"},
            "y": {"field": "tool", "sort": "-x", "title": None, "type": "nominal"},
        },
        "title": "time by tool",
        "width": 600,
        "$schema": vega_lite_schema()[0],
        "datasets": {name: values},
    }


def save_replay_html(steps: pd.DataFrame, path: str | Path, chart: bool = True) -> Path:
    """A standalone page: the chart (rendered offline, no CDN) above the table."""
    path = Path(path)
    body = ""
    if chart:
        try:  # an optional extra, imported only for a page with a chart
            import vl_convert as vlc
        except ImportError:
            raise MissingExtra("replay --html's chart", "notebooks", "vl_convert") from None

        body = vlc.vegalite_to_svg(cast(dict, safe_spec(replay_chart(steps).to_dict())))  # a dict stays a dict
    page = (
        f"<!doctype html><meta charset='utf-8'><title>auditkit replay</title>"
        f"<style>body{{font:14px system-ui}}td,th{{padding:2px 8px;text-align:left}}</style>"
        f"{body}{replay_html(steps)}"
    )
    path.write_text(page, encoding="utf-8")
    return path


class Timeline:
    """A session's replay that shows itself: text in a terminal, HTML in Jupyter, ``.chart()``."""

    def __init__(self, steps: pd.DataFrame) -> None:
        self.steps = steps

    def __repr__(self) -> str:
        return replay_text(self.steps)

    def _repr_html_(self) -> str:
        return replay_html(self.steps)

    def chart(self):
        return replay_chart(self.steps)

    def save(self, path: str | Path) -> Path:
        return save_replay_html(self.steps, path)
