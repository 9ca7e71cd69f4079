"""Show the views: plain text for terminals, HTML for Jupyter and files, altair charts.

Nothing here computes anything a test would need: the views are in :mod:`auditkit.analysis.steps` and
:mod:`auditkit.analysis.versions`; this module only draws them.
"""

from __future__ import annotations

import html
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
