"""An ipywidgets explorer for JupyterLab: pick a session -> timeline -> step detail; pick a file ->
versions -> diff.

It only arranges what :func:`auditkit.replay`, :func:`auditkit.history` and
:mod:`auditkit.present.render` already compute. Building it needs no front end (tests build it headless);
nothing waits on a widget, so notebooks that create it still run under papermill.
"""

from __future__ import annotations

import html
import json

import pandas as pd

from auditkit.analysis.conversation import diff_of
from auditkit.analysis.findings import incident
from auditkit.analysis.steps import replay, sessions
from auditkit.analysis.versions import history, known_paths
from auditkit.analysis.views import tool_calls
from auditkit.errors import extra_import
from auditkit.present.conversation import diff_html, scoped_css
from auditkit.present.render import replay_chart, replay_html
from auditkit.safe_text import printable

#: What counts as a finding of a session: the incident notebook's questions.
FINDINGS = (
    incident.risky_commands,
    incident.deletions,
    incident.outside_project,
    incident.failures,
    incident.config_changes,
    incident.permission_denials,
)


def _pre(text: str) -> str:
    return f"<pre style='white-space:pre-wrap;font-size:12px'>{html.escape(printable(text))}</pre>"


def _diff(text: str) -> str:
    """A unified diff coloured as the conversation page colours it (its styles scoped to it)."""
    return f"<style>{scoped_css()}</style><div class='auditkit-conversation'>{diff_html(text)}</div>"


def findings_by_session(df: pd.DataFrame) -> pd.Series:
    """How many findings (:data:`FINDINGS`) each session has, most first; sessions without any left out."""
    counts = [f(df)["session_id"].astype("object").value_counts() for f in FINDINGS]
    total = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype="int64")
    return total[total > 0].sort_values(ascending=False, kind="stable").astype("int64")


def first_session(df: pd.DataFrame, table: pd.DataFrame) -> str | None:
    """The session to open on: the one with the most findings, then the most tool calls."""
    if table.empty:
        return None
    found = findings_by_session(df)
    ranked = table.assign(_found=table["session_id"].astype(str).map(found).fillna(0))
    ranked = ranked.sort_values(["_found", "tool_calls"], ascending=False, kind="stable")
    return str(ranked["session_id"].iloc[0])


def explore(df: pd.DataFrame, session: str | None = None, path: str | None = None):
    """Two tabs over a loaded trail: sessions (timeline, chart, step detail) and files (versions, diff)."""
    with extra_import("the explorer", "notebooks"):
        import ipywidgets as w

    table = sessions(df)
    ids = table["session_id"].astype(str).tolist()
    found = findings_by_session(df)
    labels = [(printable(f"{i} ({int(found.get(i, 0))} findings)"), i) for i in ids]
    session_pick = w.Dropdown(
        options=labels,
        value=session if session in ids else first_session(df, table),
        description="session",
        layout=w.Layout(width="60%"),
    )
    timeline, chart_out = w.HTML(), w.Output()
    step_pick = w.Dropdown(description="step", options=[])
    step_detail = w.HTML()
    state: dict = {}

    def show_session(_: object = None) -> None:
        if not session_pick.value:
            return
        steps = replay(df, session_pick.value)
        state["steps"] = steps
        timeline.value = replay_html(steps)
        chart_out.clear_output()
        with chart_out, extra_import("the explorer", "notebooks"):
            from IPython.display import display

            display(replay_chart(steps))
        step_pick.options = [(f"{s.step}: {s.summary}", int(s.step)) for s in steps.itertuples(index=False)]

    def show_step(_: object = None) -> None:
        steps = state.get("steps")
        if steps is None or step_pick.value is None:
            return
        s = steps[steps["step"] == step_pick.value].iloc[0]
        calls = df[(df["session_id"] == s["session_id"]) & (df["tool_use_id"] == s["tool_use_id"])]
        detail = {
            "step": int(s["step"]),
            "tool": str(s["tool"]),
            "status": str(s["status"]),
            "summary": s["summary"],
            "input": calls["input"].dropna().iloc[0] if calls["input"].notna().any() else None,
            "response": calls["response"].dropna().iloc[-1] if calls["response"].notna().any() else None,
            "error": calls["error"].dropna().iloc[-1] if calls["error"].notna().any() else None,
        }
        # real characters (→, é), not \u escapes; control characters shown as escapes by _pre
        shown = _pre(json.dumps(detail, indent=2, default=str, ensure_ascii=False))
        diff = diff_of(detail["tool"], detail["input"], detail["response"])
        step_detail.value = (_diff(diff) if diff else "") + shown

    session_pick.observe(show_session, names="value")
    step_pick.observe(show_step, names="value")

    files = sorted(known_paths(df))
    file_pick = w.Dropdown(
        options=files,
        value=path if path in files else (files[0] if files else None),
        description="file",
        layout=w.Layout(width="80%"),
    )
    versions, diff_view = w.HTML(), w.HTML()
    version_pick = w.Dropdown(description="event", options=[])

    def show_file(_: object = None) -> None:
        if not file_pick.value:
            return
        if "calls" not in state:  # made once, on the first file shown: each file's history reads them
            state["calls"] = tool_calls(df)
        h = history(df, file_pick.value, calls=state["calls"])
        state["history"] = h
        cols = ["timestamp", "session_id", "tool", "action", "version", "known", "sha256", "note"]
        versions.value = h[cols].assign(sha256=h["sha256"].str[:12]).to_html(index=False)
        version_pick.options = [(f"{i}: v{r.version} {r.action} ({r.tool})", i) for i, r in enumerate(h.itertuples())]

    def show_diff(_: object = None) -> None:
        h = state.get("history")
        if h is None or version_pick.value is None:
            return
        row = h.iloc[version_pick.value]
        command = _pre(f"$ {row['command']}") if isinstance(row["command"], str) else ""
        diff_view.value = (
            _diff(row["diff"]) if isinstance(row["diff"], str) else _pre(f"(no diff: {row['note']})")
        ) + command

    file_pick.observe(show_file, names="value")
    version_pick.observe(show_diff, names="value")
    show_session()
    show_file()
    tabs = w.Tab(
        children=[
            w.VBox([session_pick, chart_out, timeline, step_pick, step_detail]),
            w.VBox([file_pick, versions, version_pick, diff_view]),
        ]
    )
    tabs.set_title(0, "sessions")
    tabs.set_title(1, "files")
    return tabs
