"""A live view in JupyterLab: tool calls per minute and the latest alerts, updated in place while the agent works.

:func:`live` runs a :class:`~auditkit.detection.follow.Follower` (no sinks; its state and alert trail in a folder
of its own) on a background thread, so the kernel stays free; every ``interval`` seconds it reads what is new
and replaces the chart (SVG drawn offline by vl-convert, nothing fetched) and the table (every value escaped) in
two HTML widgets. Under papermill or ``auditkit report`` (``interactive=False``) it shows nothing and returns None.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from pathlib import Path

import pandas as pd

from auditkit.detection.alerts import read_alerts
from auditkit.detection.engine import Rule, load_rules
from auditkit.detection.follow import Follower, trail_of
from auditkit.errors import extra_import


class Live:
    """The data behind the live view (testable without a browser) and, once started, its widgets."""

    def __init__(
        self, paths: list, rules: list[Rule] | None = None, *, folder: str | None = None, rows: int = 20
    ) -> None:
        trails = [trail_of(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="auditkit-live-"))
        self.follower = Follower(
            trails,
            rules if rules is not None else load_rules(),
            state_path=self.folder / "state.json",
            alerts_path=self.folder / "alerts.jsonl",
            sinks=[],
        )
        self.follower.listeners.append(self._count)
        self.calls: Counter = Counter()  # minute (UTC, ISO) -> tool calls started
        self.rows = rows
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.widget = None

    def _count(self, records: list[dict]) -> None:
        for r in records:
            if r.get("event") == "PreToolUse" and isinstance(r.get("ts"), str):
                self.calls[r["ts"][:16]] += 1

    def poll(self) -> int:
        """Read what is new; the number of alerts it raised."""
        return self.follower.step()

    def calls_per_minute(self) -> pd.DataFrame:
        minutes = sorted(self.calls)
        return pd.DataFrame({"minute": pd.to_datetime(minutes, utc=True), "calls": [self.calls[m] for m in minutes]})

    def alerts(self) -> pd.DataFrame:
        """The latest alerts, newest first: time, level, rule, session, what."""
        found = [f for _, f in read_alerts(self.follower.alerts_path)][-self.rows :][::-1]
        return pd.DataFrame(
            [
                {
                    "time": pd.to_datetime(f.get("time"), unit="ms", utc=True),
                    "level": f.get("severity"),
                    "rule": f["finding_info"]["title"],
                    "session": f["evidences"][0]["data"].get("session_id"),
                    "what": f["evidences"][0]["data"].get("what"),
                }
                for f in found
            ],
            columns=["time", "level", "rule", "session", "what"],
        )

    def chart_svg(self) -> str:
        with extra_import("the live view", "notebooks"):
            import altair as alt
            import vl_convert

        data = self.calls_per_minute()
        chart = (
            alt.Chart(data)
            .mark_bar()
            .encode(x=alt.X("utcyearmonthdatehoursminutes(minute):T", title="minute (UTC)"), y="calls:Q")
            .properties(width=600, height=120, title="tool calls per minute")
        )
        return vl_convert.vegalite_to_svg(chart.to_json())

    def table_html(self) -> str:
        from auditkit.present.notebook import table_html  # only when the view is drawn

        table = self.alerts()
        return table_html(table) if len(table) else "<p>no alerts yet</p>"

    def start(self, interval: float = 1.0):
        """Show the widgets and update them from a background thread; returns the widget."""
        with extra_import("the live view", "notebooks"):
            import ipywidgets as w

        chart, table = w.HTML(), w.HTML()
        self.widget = w.VBox([chart, w.HTML("<b>alerts</b>"), table])

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    if self.poll() or chart.value == "":
                        table.value = self.table_html()
                    chart.value = self.chart_svg()
                except Exception as exc:  # shown in the view; the kernel goes on
                    table.value = f"<pre>live view stopped: {type(exc).__name__}</pre>"
                    return
                self._stop.wait(interval)

        self._thread = threading.Thread(target=loop, daemon=True, name="auditkit-live")
        self._thread.start()
        return self.widget

    def stop(self) -> None:
        self._stop.set()


def live(paths, rules: list[Rule] | None = None, *, interactive: bool = True, interval: float = 1.0) -> Live | None:
    """Tail trails in JupyterLab (see the module docstring); ``interactive=False`` (papermill): None, nothing shown."""
    if not interactive:
        return None
    with extra_import("the live view", "notebooks"):
        from IPython.display import display

    view = Live(paths, rules)
    display(view.start(interval))
    return view
