"""Vega-Lite to SVG in a process of its own, for the kernel of an ``auditkit report`` (headless) run.

vl-convert, which draws the evidence pages' charts, holds Python's lock for its whole first call (~0.3 s of
starting its JavaScript engine) and for each chart after it: in the kernel, that is time nothing else runs.
Started in a process of its own as the kernel starts, the engine is ready (on the other core) by the time the
notebook draws its first chart, and the kernel only waits for each SVG. Each chart is drawn by the same
vl-convert, with the same arguments, as in the kernel: the SVG is the same, byte for byte.

The kernel talks to it through a pipe each way, one JSON document a line (:class:`SvgWorker`); the worker
exits when its input closes (the kernel stopped, or was killed). Anything wrong with the worker (it did not
start, died, or a chart failed there) and the kernel draws the chart itself, as it would without one.

    python -m auditkit.present.svgworker     # reads {"spec": ..., "vl_version": ...} lines, writes {"svg": ...}
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from typing import IO, Any

from auditkit.errors import extra_import

#: Drawn once as the worker starts: a chart like the kit's (a layered timeline with a time axis, a legend per
#: layer, a title and tooltips), so that the engine has loaded what the first real chart needs.
WARM_UP_SPEC: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "datasets": {
        "warm": [
            {"start": "2026-01-01T10:00:00", "end": "2026-01-01T10:00:02", "tool": "Bash", "failed": False},
            {"start": "2026-01-01T10:00:03", "end": "2026-01-01T10:00:04", "tool": "Edit", "failed": True},
        ]
    },
    "data": {"name": "warm"},
    "layer": [
        {
            "mark": {"type": "bar", "height": 14, "minBandSize": 3},
            "encoding": {"color": {"field": "tool", "type": "nominal", "legend": {"orient": "right"}}},
        },
        {
            "mark": {"type": "point", "color": "#cf222e", "filled": True, "size": 80},
            "encoding": {"shape": {"datum": "failed", "type": "nominal", "legend": {"title": None}}},
            "transform": [{"filter": "datum.failed"}],
        },
    ],
    "encoding": {
        "x": {"field": "start", "type": "temporal", "scale": {"type": "utc"}, "axis": {"format": "%H:%M:%S"}},
        "x2": {"field": "end"},
        "y": {"field": "tool", "type": "nominal", "title": None},
        "tooltip": [{"field": "tool", "type": "nominal"}, {"field": "start", "type": "temporal"}],
    },
    "resolve": {"legend": {"shape": "independent"}},
    "title": "warm-up",
    "width": 800,
    "height": {"step": 22},
}


def draw(request: dict[str, Any]) -> dict[str, str]:
    """One request's answer: ``{"svg": ...}``, or ``{"error": ...}`` when vl-convert refused the chart."""
    with extra_import("auditkit report's charts", "notebooks"):
        import vl_convert  # the worker's one dependency

    try:
        svg = vl_convert.vegalite_to_svg(
            request["spec"],
            vl_version=request["vl_version"],
            format_locale=request.get("format_locale"),
            time_format_locale=request.get("time_format_locale"),
        )
    except Exception as exc:  # said to the kernel, which then draws the chart itself (and fails as it would)
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"svg": svg}


def serve(source: IO[str], sink: IO[str]) -> None:
    """Start the engine (a Vega chart of nothing: no Vega-Lite version needed yet), then answer each request
    line of ``source`` with one line on ``sink``, until ``source`` closes."""
    with extra_import("auditkit report's charts", "notebooks"):
        import vl_convert  # the worker's one dependency

    vl_convert.vega_to_svg({})
    for line in source:
        try:
            request = json.loads(line)
            answer = draw(request) if isinstance(request, dict) else {"error": "not a request"}
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sink.write(json.dumps(answer) + "\n")
        sink.flush()


class SvgWorker:
    """The kernel's side: a worker started at once (its engine starts meanwhile), :meth:`warm` when the Vega-Lite
    version is known, then :meth:`svg` per chart, or :meth:`submit` for each chart as soon as it is made and
    :meth:`answer` when it is shown (the worker draws the next charts while the kernel goes on). Thread-safe;
    :meth:`svg` and :meth:`answer` say None whenever the kernel should draw the chart itself.

    Requests are answered in order, one line each; a thread reads the answers as they come (so that a worker
    with several charts to hand back never waits on a full pipe while the kernel writes the next request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent = 0  # requests written, numbered from 1
        self._received = 0  # answers read off the queue
        self._kept: dict[int, object] = {}  # answers read before they were asked for, by request number
        self._dropped: set[int] = set()  # requests whose answer nobody will ask for (the warm-up's)
        self._answers: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._process: subprocess.Popen[str] | None = subprocess.Popen(
            # -P: nothing from the working folder (the notebooks') on the worker's path
            [sys.executable, "-P", "-m", "auditkit.present.svgworker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True, name="auditkit-svg").start()

    def _read(self, stdout: IO[str] | None) -> None:
        """Each answer line, parsed, onto the queue; None when the worker's output ends (it is gone)."""
        try:
            for line in stdout or ():
                try:
                    self._answers.put(json.loads(line))
                except ValueError:
                    self._answers.put(None)
        except (OSError, ValueError):
            pass
        self._answers.put(None)

    def warm(self, vl_version: str) -> None:
        """Have the worker draw :data:`WARM_UP_SPEC` with ``vl_version`` (the charts' version), without waiting."""
        with self._lock:
            ticket = self._send({"spec": WARM_UP_SPEC, "vl_version": vl_version})
            if ticket:
                self._dropped.add(ticket)

    def submit(self, spec: dict[str, Any], vl_version: str) -> int:
        """Ask for the SVG of ``spec`` now; its :meth:`answer` later. 0: not asked (the worker is gone)."""
        with self._lock:
            return self._send({"spec": spec, "vl_version": vl_version})

    def answer(self, ticket: int) -> str | None:
        """The SVG asked for by :meth:`submit` (``ticket``), or None: not asked, a worker that is gone, or a chart it
        could not draw (the kernel then draws it, and says what is wrong with it)."""
        with self._lock:
            if not ticket:
                return None
            while ticket not in self._kept and self._received < ticket and self._process is not None:
                got = self._answers.get()
                if got is None:  # the worker is gone: every chart from now on is drawn in the kernel
                    self.close()
                    break
                self._received += 1
                if self._received not in self._dropped:
                    self._kept[self._received] = got
                self._dropped.discard(self._received)
            answer = self._kept.pop(ticket, None)
        svg = answer.get("svg") if isinstance(answer, dict) else None
        return svg if isinstance(svg, str) else None

    def svg(self, spec: dict[str, Any], vl_version: str) -> str | None:
        """The SVG of ``spec``, or None: a worker that is gone, or a chart it could not draw (the kernel then
        draws it, and says what is wrong with it)."""
        return self.answer(self.submit(spec, vl_version))

    def _send(self, request: dict[str, Any]) -> int:
        process = self._process
        if process is None or process.stdin is None:
            return 0
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except (OSError, ValueError):
            self.close()
            return 0
        self._sent += 1
        return self._sent

    def close(self) -> None:
        """Stop the worker (closing its input ends it)."""
        process, self._process = self._process, None
        if process is not None:
            try:
                if process.stdin is not None:
                    process.stdin.close()
                process.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                process.kill()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
