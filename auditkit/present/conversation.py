"""A session as a conversation page: prompts, the assistant's text, each tool call with its input and
result, coloured diffs, subagents nested, tokens and dollars per message, failures and denials marked.

The page is one self-contained file: no script, no request to any server, styles inline. A long input
or result is collapsed in a ``<details>`` element (the browser opens it: no script needed) and held
whole. Every recorded value passes through :func:`auditkit.safe_text.printable` and is HTML-escaped.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

import pandas as pd

from auditkit.analysis.conversation import conversation, totals
from auditkit.analysis.steps import replay, sessions
from auditkit.analysis.views import session_id_for
from auditkit.errors import MissingExtra, extra_import
from auditkit.present.render import replay_chart
from auditkit.present.terminal import safe_spec
from auditkit.safe_text import printable

#: Above this many lines (or characters), an input or result is collapsed, whole inside ``<details>``.
COLLAPSE_LINES = 12
COLLAPSE_CHARS = 1200

CSS = """
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:16px 24px;color:#1f2328}
h1{font-size:20px;margin:0 0 4px} .meta{color:#57606a;margin-bottom:16px}
.item{border:1px solid #d0d7de;border-radius:6px;margin:10px 0;padding:8px 12px}
.prompt{background:#ddf4ff;border-color:#54aeff} .assistant{background:#f6f8fa}
.tool{background:#fff} .tool.failed{border-left:5px solid #cf222e} .tool.denied{border-left:5px solid #9a6700}
.who{font-weight:600;margin-right:8px} .when{color:#57606a;font-size:12px} .cost{color:#57606a;font-size:12px}
.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;font-weight:600;margin-left:6px}
.badge.ok{background:#dafbe1;color:#1a7f37} .badge.failed{background:#ffebe9;color:#cf222e}
.badge.denied{background:#fff8c5;color:#9a6700}
.text{white-space:pre-wrap;word-wrap:break-word}
pre{white-space:pre-wrap;word-wrap:break-word;font:12px/1.4 ui-monospace,monospace;background:#f6f8fa;
  padding:6px 8px;margin:4px 0;border-radius:4px;max-width:100%;overflow-x:auto}
pre.diff{background:#fff;border:1px solid #d0d7de;padding:0}
pre.diff span{display:block;padding:0 8px}
.add{background:#e6ffec;color:#116329} .del{background:#ffebe9;color:#82071e}
.hunk{background:#ddf4ff;color:#0550ae} .file{color:#57606a;font-weight:600}
details>summary{cursor:pointer;color:#0969da}
.children{margin-left:22px;border-left:3px solid #d8b9ff;padding-left:10px}
.label{font-size:12px;color:#57606a;margin-top:4px}
.chart svg{max-width:100%;height:auto}
"""


def _e(value: object) -> str:
    return escape(printable(value), quote=True)


def _dump(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _block(label: str, text: str, cls: str = "") -> str:
    """A labelled preformatted block; a long one collapsed, whole inside ``<details>``."""
    lines = text.count("\n") + 1
    pre = f"<pre class='{cls}'>{_e(text)}</pre>"
    if lines <= COLLAPSE_LINES and len(text) <= COLLAPSE_CHARS:
        return f"<div class='label'>{label}</div>{pre}"
    return f"<details><summary>{label}: {lines:,} lines, {len(text):,} characters (show)</summary>{pre}</details>"


def diff_html(diff: str) -> str:
    """A unified diff, each line coloured: added green, removed red, hunk headers blue."""
    rows = []
    for line in diff.split("\n"):
        cls = (
            "file"
            if line.startswith(("--- ", "+++ "))
            else "hunk"
            if line.startswith("@@")
            else "add"
            if line.startswith("+")
            else "del"
            if line.startswith("-")
            else "ctx"
        )
        rows.append(f"<span class='{cls}'>{_e(line) or '&#8203;'}</span>")
    body = "".join(rows)
    n = len(rows)
    pre = f"<pre class='diff'>{body}</pre>"
    if n <= 60:
        return pre
    return f"<details open><summary>diff: {n:,} lines (hide)</summary>{pre}</details>"


def _time(ts: object) -> str:
    return f"{ts:%Y-%m-%d %H:%M:%S} UTC" if isinstance(ts, pd.Timestamp) else "time not recorded"


def _result_text(item: dict) -> str | None:
    resp, err = item["response"], item["error"]
    if err is not None:
        return _dump(err) if resp is None else _dump(err) + "\n\n" + _dump(resp)
    if isinstance(resp, dict) and ("stdout" in resp or "stderr" in resp):
        parts = [str(resp.get("stdout") or ""), str(resp.get("stderr") or "")]
        return "\n".join(p for p in parts if p) or "(no output)"
    if isinstance(resp, dict) and isinstance(resp.get("file"), dict) and "content" in resp["file"]:
        return str(resp["file"]["content"])
    if isinstance(resp, dict) and item["diff"] and "structuredPatch" in resp:
        return None  # the diff shows it
    return None if resp is None else _dump(resp)


def _input_text(item: dict) -> str | None:
    inp = item["input"]
    if item["diff"] and isinstance(inp, dict):  # the diff shows the strings: the rest of the input
        inp = {k: v for k, v in inp.items() if k not in ("old_string", "new_string", "content", "edits")}
    if isinstance(inp, dict) and item["tool"] == "Bash" and isinstance(inp.get("command"), str):
        rest = {k: v for k, v in inp.items() if k != "command"}
        return "$ " + inp["command"] + ("\n" + _dump(rest) if rest else "")
    return None if inp in (None, {}) else _dump(inp)


def _tokens(item: dict) -> str:
    t = item["tokens"]
    usd = f"${item['usd']:,.4f}" if item["usd"] is not None else "no price for this model"
    return (
        f"in {t['input_tokens']:,} · out {t['output_tokens']:,} · cache write {t['cache_creation_tokens']:,} · "
        f"cache read {t['cache_read_tokens']:,} · {usd}"
    )


def _item(item: dict) -> str:
    when = f"<span class='when'>{_e(_time(item['time']))}</span>"
    if item["kind"] == "prompt":
        return (
            f"<div class='item prompt'><span class='who'>User</span>{when}"
            f"<div class='text'>{_e(item['text'])}</div></div>"
        )
    if item["kind"] == "assistant":
        text = (
            f"<div class='text'>{_e(item['text'])}</div>"
            if item["text"]
            else "<div class='label'>(no text in this message: tool calls only, or its transcript was not loaded)</div>"
        )
        sub = f" · subagent {_e(item['agent_id'])}" if item["agent_id"] else ""
        model = _e(item["model"] or "model not recorded")
        return (
            f"<div class='item assistant'><span class='who'>Assistant</span>{when} "
            f"<span class='cost'>{model}{sub} · {_e(_tokens(item))}</span>{text}</div>"
        )
    status = item["status"]
    cls = "ok" if status == "ok" else "denied" if status in ("denied", "unfinished") else "failed"
    badge = "✓ ok" if cls == "ok" else ("⊘ " if cls == "denied" else "✗ ") + item["outcome"]
    took = f" · {item['duration_ms'] / 1000:.1f} s" if isinstance(item["duration_ms"], (int, float)) else ""
    parts = [
        f"<div class='item tool {cls}' data-step='{item['step']}' data-status='{_e(status)}'>"
        f"<span class='who'>Tool #{item['step']}</span><b>{_e(item['tool'])}</b> "
        f"<span class='badge {cls}'>{_e(badge)}</span> {when}<span class='when'>{took}</span>"
        f"<div class='text'>{_e(item['summary'])}</div>"
    ]
    inp = _input_text(item)
    if inp:
        parts.append(_block("input", inp))
    if item["diff"]:
        parts.append(diff_html(item["diff"]))
    result = _result_text(item)
    if result:
        parts.append(_block("error" if item["error"] is not None else "result", result))
    if item["children"]:
        parts.append(
            f"<div class='children'><div class='label'>subagent: {len(item['children'])} item(s)</div>"
            + "".join(_item(c) for c in item["children"])
            + "</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def conversation_html(
    items: list[dict], session_id: str, attrs: dict | None = None, chart: str = "", limit: int | None = None
) -> str:
    """The conversation as an HTML fragment (a page's body, or Jupyter's rich display); with ``limit``, only
    the first ``limit`` top-level items, and a line saying how to see the rest (the totals count them all)."""
    attrs = attrs or {}
    t = totals(items)
    who = "".join(f" · {k} {_e(attrs[k])}" for k in ("user", "host") if isinstance(attrs.get(k), str) and attrs[k])
    times = [i["time"] for i in items if i["time"] is not None]
    period = f"{_time(min(times))} to {_time(max(times))}" if times else "no times recorded"
    unpriced = f" ({t['unpriced']} message(s) of unpriced models left out)" if t["unpriced"] else ""
    head = (
        f"<h1>Session {_e(session_id)}</h1><div class='meta'>{_e(period)}{who}<br>"
        f"{t['prompts']} prompt(s) · {t['messages']} assistant message(s) · {t['tool_calls']} tool call(s), "
        f"{t['failed']} failed or denied · tokens in {t['input_tokens']:,}, out {t['output_tokens']:,}, "
        f"cache write {t['cache_creation_tokens']:,}, cache read {t['cache_read_tokens']:,} · "
        f"${t['usd']:,.4f}{unpriced}</div>"
    )
    if not t["messages"]:
        head += (
            "<div class='meta'>No assistant messages: the session's Claude Code transcript was not loaded beside "
            "the trail (load it too to see what the assistant said and the tokens it used).</div>"
        )
    shown = items if limit is None else items[:limit]
    rest = (
        f"<div class='meta'>… and {len(items) - len(shown):,} more item(s): the whole conversation is in "
        f"<code>auditkit replay {_e(session_id)} --html FILE</code></div>"
        if len(shown) < len(items)
        else ""
    )
    return f"<div class='auditkit-conversation'>{head}{chart}{''.join(_item(i) for i in shown)}{rest}</div>"


def chart_engine_missing() -> MissingExtra | None:
    """Why the timeline chart would be left out of the page (the ``notebooks`` extra's vl-convert is not
    installed), or None: the page is whole without its chart, and says so."""
    try:
        with extra_import("replay --html's timeline chart", "notebooks"):
            import vl_convert  # noqa: F401
    except MissingExtra as exc:
        return exc
    return None


def timeline_svg(df: pd.DataFrame, session_id: str) -> str:
    """The session's timeline chart as an inline SVG; without the ``notebooks`` extra, a line saying so."""
    missing = chart_engine_missing()
    if missing is not None:
        return f"<p class='meta'>{_e(str(missing))}</p>"
    with extra_import("replay --html's timeline chart", "notebooks"):
        import vl_convert as vlc

    steps = replay(df, session_id)
    if steps["start"].notna().sum() == 0:
        return ""
    spec = safe_spec(replay_chart(steps).to_dict())
    return str(vlc.vegalite_to_svg(spec if isinstance(spec, dict) else {}))


def conversation_page(df: pd.DataFrame, session_id: str, prices: dict | None = None, chart: bool = True) -> str:
    """A whole standalone page for one session (see the module docstring), the timeline chart on top."""
    session_id = session_id_for(df, session_id)  # a unique prefix names it too
    items = conversation(df, session_id, prices)
    svg = f"<div class='chart'>{timeline_svg(df, session_id)}</div>" if chart else ""
    ses = df[df["session_id"] == session_id]
    attrs = {k: ses[k].dropna().iloc[0] for k in ("user", "host") if ses[k].notna().any()}
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f"<title>auditkit replay {_e(session_id)}</title><style>{CSS}</style></head><body>"
        f"{conversation_html(items, session_id, attrs, svg)}</body></html>"
    )


def save_conversation(
    df: pd.DataFrame, session_id: str, path: str | Path, prices: dict | None = None, chart: bool = True
) -> Path:
    """Write :func:`conversation_page` to ``path`` (mode 0600: it holds what the session did)."""
    path = Path(path)
    data = conversation_page(df, session_id, prices, chart).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def scoped_css() -> str:
    """The page's styles limited to the conversation's own element, for a notebook's output."""
    rules = []
    for rule in CSS.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        if selectors.strip() == "body":
            selectors, body = "", body.replace("max-width:1100px;margin:0 auto;padding:16px 24px;", "")
        scoped = ",".join(f".auditkit-conversation {s.strip()}".rstrip() for s in selectors.split(","))
        rules.append(f"{scoped}{{{body}}}")
    return "".join(rules)


#: How many top-level items a notebook shows (a pack's page stays readable; the CLI page is whole).
NOTEBOOK_LIMIT = 500


class Conversation:
    """A session's conversation that shows itself in Jupyter (styles scoped to it, no script); the first
    ``limit`` top-level items of it."""

    def __init__(
        self, df: pd.DataFrame, session_id: str, prices: dict | None = None, limit: int | None = NOTEBOOK_LIMIT
    ) -> None:
        self.limit = limit
        self.session_id = session_id = session_id_for(df, session_id)
        self.items = conversation(df, session_id, prices)
        ses = df[df["session_id"] == session_id]
        self.attrs = {k: ses[k].dropna().iloc[0] for k in ("user", "host") if ses[k].notna().any()}

    def _repr_html_(self) -> str:
        body = conversation_html(self.items, self.session_id, self.attrs, limit=self.limit)
        return f"<style>{scoped_css()}</style>{body}"


def session_picker(df: pd.DataFrame, chosen: str | None = None):  # -> ipywidgets.VBox
    """A session dropdown (most tool calls first, each with its start, calls and failures) above the
    chosen session's conversation; picking another redraws it. Nothing waits on the widget."""
    with extra_import("the session picker", "notebooks"):
        import ipywidgets as w

    table = sessions(df).sort_values(["tool_calls", "start"], ascending=[False, True], kind="stable")
    options = [
        (
            printable(f"{s.session_id} · {s.start:%Y-%m-%d %H:%M} · {s.tool_calls} calls, {s.failures} failed"),
            str(s.session_id),
        )
        for s in table.itertuples(index=False)
    ]
    ids = [v for _, v in options]
    pick = w.Dropdown(
        options=options, value=chosen if chosen in ids else (ids[0] if ids else None), description="session",
        layout=w.Layout(width="90%"),
    )  # fmt: skip
    view = w.HTML()

    def show(_: object = None) -> None:
        view.value = Conversation(df, pick.value)._repr_html_() if pick.value else "<p>No session.</p>"

    pick.observe(show, names="value")
    show()
    return w.VBox([pick, view])
