"""Where alerts go: stderr, a JSON Lines file, a webhook (the finding as JSON) or Slack (``{"text": ...}``).

The alert trail is the outbox: a :class:`Delivery` thread per sink reads alerts from it after the sink's
cursor, in order, and moves the cursor only when the sink took the message. A sink that fails is
retried with exponential backoff (0.5 s doubling to 30 s) and keeps its place, so alerts arrive late
but in order and none is skipped; after a restart delivery resumes from the saved cursor (a message
sent just before a crash may be sent again: receivers can drop repeats by ``finding_info.uid``). At
most ``per_minute`` messages a minute go out per rule; the rest are counted and a summary message
follows when the minute is over (every alert stays in the alert trail).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from auditkit.detection.alerts import read_alerts
from auditkit.errors import UsageError
from auditkit.safe_text import visible

BACKOFF_START_S, BACKOFF_MAX_S = 0.5, 30.0


class Sink:
    spec = "sink"

    def send(self, seq: int, finding: dict) -> None:
        raise NotImplementedError

    def send_summary(self, rule_id: str, title: str, suppressed: int, window_s: float) -> None:
        raise NotImplementedError

    def resume_after(self) -> int | None:
        """The last alert seq this sink holds by its own record, when it keeps one (a file)."""
        return None


def _line(f: dict) -> str:
    data = f.get("evidences", [{}])[0].get("data", {})
    what = data.get("what") or ""
    return (
        f"[{f.get('severity', '?').upper()}] {f['finding_info']['title']}: {str(what)[:200]} "
        f"(session {data.get('session_id')}, seq {data.get('seq')}; why: {str(f['finding_info'].get('desc'))[:200]})"
    )


class StderrSink(Sink):
    spec = "stderr"

    def send(self, seq: int, finding: dict) -> None:
        print(f"auditkit detect: {visible(_line(finding))}", file=sys.stderr, flush=True)

    def send_summary(self, rule_id, title, suppressed, window_s) -> None:
        print(
            f"auditkit detect: {suppressed} more alert(s) of {title!r} in {window_s:g} s", file=sys.stderr, flush=True
        )


class JsonlSink(Sink):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.spec = f"jsonl:{path}"

    def _write(self, obj: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as fh:
            fh.write(json.dumps(obj, separators=(",", ":"), default=str).encode() + b"\n")

    def send(self, seq: int, finding: dict) -> None:
        self._write({"alert_seq": seq, "finding": finding})

    def send_summary(self, rule_id, title, suppressed, window_s) -> None:
        self._write({"summary": {"rule_id": rule_id, "rule": title, "suppressed": suppressed, "window_s": window_s}})

    def resume_after(self) -> int | None:
        if not self.path.exists():
            return None
        last = None
        with open(self.path, "rb") as fh:
            for line in fh:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict) and isinstance(obj.get("alert_seq"), int):
                    last = obj["alert_seq"]
        return last


class HttpSink(Sink):
    """POST JSON to a URL; a 2xx answer is delivery, anything else (or no answer) is retried."""

    def __init__(self, url: str, slack: bool = False, timeout: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"sink URL {url!r}: give an http:// or https:// URL")
        self.url, self.slack, self.timeout = url, slack, timeout
        self.spec = f"{'slack' if slack else 'webhook'}:{url}"

    def _post(self, body: dict) -> None:
        req = urllib.request.Request(
            self.url,
            data=json.dumps(body, default=str).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "auditkit-detect"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            resp.read(65536)
            if not 200 <= resp.status < 300:
                raise OSError(f"{self.url} answered {resp.status}")

    def send(self, seq: int, finding: dict) -> None:
        if self.slack:
            self._post({"text": slack_escape(_line(finding))})
        else:
            self._post({"alert_seq": seq, **finding})

    def send_summary(self, rule_id, title, suppressed, window_s) -> None:
        text = f"{suppressed} more alert(s) of {title!r} in the last {window_s:g} s were not sent (see the alert trail)"
        if self.slack:
            self._post({"text": slack_escape(text)})
        else:
            self._post({"summary": {"rule_id": rule_id, "rule": title, "suppressed": suppressed, "window_s": window_s}})


def slack_escape(text: str) -> str:
    """Text from the trail as Slack shows it, never as markup: ``<!channel>``, ``<url|label>`` and mentions are
    the agent's (or an attacker's) words, so ``& < >`` are escaped as Slack's message formatting asks."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def make_sink(spec: str) -> Sink:
    """``stderr``, ``jsonl:FILE``, ``webhook:URL`` or ``slack:URL``."""
    kind, _, arg = spec.partition(":")
    if kind == "stderr" and not arg:
        return StderrSink()
    if kind == "jsonl" and arg:
        return JsonlSink(arg)
    if kind in ("webhook", "slack") and arg:
        return HttpSink(arg, slack=kind == "slack")
    raise UsageError(f"--sink {spec!r}: give stderr, jsonl:FILE, webhook:URL or slack:URL")


class Delivery(threading.Thread):
    """Sends the alert trail's alerts to one sink, in order, with retries and a per-rule rate limit."""

    def __init__(self, sink: Sink, alerts: Path, cursor: int, per_minute: int, window_s: float = 60.0) -> None:
        super().__init__(daemon=True, name=f"auditkit-detect {sink.spec}")
        own = sink.resume_after()
        self.sink, self.alerts, self.per_minute, self.window_s = sink, alerts, per_minute, window_s
        self.cursor = max(cursor, own) if own is not None else cursor
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.windows: dict[str, list] = {}  # rule id -> [window start, sent, suppressed, title]
        self.failures = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(0.1)
            self.wake.clear()
            self.flush()

    def flush(self, deadline: float | None = None) -> bool:
        """Deliver what is waiting; True when nothing is left (False: a sink failed, retry later)."""
        self._summaries()
        for seq, f in read_alerts(self.alerts, self.cursor):
            rule_id = f.get("finding_info", {}).get("analytic", {}).get("uid", "?")
            title = f.get("finding_info", {}).get("title", "?")
            now = time.monotonic()
            w = self.windows.setdefault(rule_id, [now, 0, 0, title])
            if w[1] >= self.per_minute and now - w[0] < self.window_s:
                w[2] += 1
                self.cursor = seq
                continue
            if not self._try(lambda s=seq, f=f: self.sink.send(s, f), deadline):
                return False
            w[1] += 1
            self.cursor = seq
        return True

    def _summaries(self) -> None:
        now = time.monotonic()
        for rule_id, w in list(self.windows.items()):
            if now - w[0] >= self.window_s:
                if w[2] and not self._try(lambda r=rule_id, w=w: self.sink.send_summary(r, w[3], w[2], self.window_s)):
                    return
                del self.windows[rule_id]

    def _try(self, send, deadline: float | None = None) -> bool:
        delay = BACKOFF_START_S
        while not self.stopping.is_set():
            try:
                send()
                self.failures = 0
                return True
            except (OSError, urllib.error.URLError, ValueError) as exc:
                self.failures += 1
                if self.failures == 1 or self.failures % 10 == 0:
                    print(f"auditkit detect: {self.sink.spec}: {exc}; retrying", file=sys.stderr, flush=True)
                if deadline is not None and time.monotonic() + delay > deadline:
                    return False
                self.stopping.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
        return False
