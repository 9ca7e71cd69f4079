"""`auditkit detect --follow` against the real hook writing in other processes, with `auditkit archive`
rotating in between, the follower killed and restarted, and real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import payload, run_hook

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditkit", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def start_follow(trail: Path, *sinks: str) -> subprocess.Popen:
    argv = cli("detect", "--follow", str(trail))
    for s in sinks:
        argv += ["--sink", s]
    return subprocess.Popen(argv, env=env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def dangerous(i: int, tail: str = "") -> dict:
    cmd = f"git reset --hard HEAD~{i}{tail}"
    return payload("PreToolUse", tool_name="Bash", tool_input={"command": cmd}, tool_use_id=f"d{i}")


def harmless(i: int) -> dict:
    return payload("PreToolUse", tool_name="Bash", tool_input={"command": f"ls -la src/{i}"}, tool_use_id=f"h{i}")


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    return check()


def jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alert_commands(path: Path) -> list[str]:
    return [r["finding"]["evidences"][0]["data"]["what"] for r in jsonl(path) if "finding" in r]


def test_follow_alerts_each_matching_event_once_in_order_across_rotation_and_a_kill(tmp_path: Path) -> None:
    """Hook writes, archive rotates, follower is SIGKILLed and restarted: every dangerous call alerts once, in order."""
    logs = tmp_path / "logs"
    trail = logs / "audit-trail.jsonl"
    out = tmp_path / "alerts-out.jsonl"
    expected = []
    proc = start_follow(trail, f"jsonl:{out}")
    try:
        n = 0
        for round_ in range(3):
            for _ in range(3):
                assert run_hook(dangerous(n), trail).returncode == 0
                expected.append(f"git reset --hard HEAD~{n}")
                assert run_hook(harmless(n), trail).returncode == 0
                n += 1
            if round_ == 0:
                subprocess.run(
                    cli("archive", str(trail), "--no-seal"), env=env(), cwd=REPO, check=True, capture_output=True
                )
            if round_ == 1:  # killed without warning, then records land while it is down, then a rotation
                assert wait_for(lambda: len(alert_commands(out)) >= len(expected))
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                for _ in range(2):
                    assert run_hook(dangerous(n), trail).returncode == 0
                    expected.append(f"git reset --hard HEAD~{n}")
                    n += 1
                subprocess.run(
                    cli("archive", str(trail), "--no-seal"), env=env(), cwd=REPO, check=True, capture_output=True
                )
                proc = start_follow(trail, f"jsonl:{out}")
        assert wait_for(lambda: len(alert_commands(out)) >= len(expected))
        time.sleep(0.5)  # nothing more arrives
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert alert_commands(out) == expected, err.decode()
    verify = subprocess.run(
        cli("verify", str(logs / ".detect" / "alerts.jsonl")), env=env(), cwd=REPO, capture_output=True, text=True
    )
    assert verify.returncode == 0 and "INTACT" in verify.stdout, verify.stdout
    assert len(list(logs.glob("audit-trail.*.jsonl.gz"))) == 2


class Receiver(BaseHTTPRequestHandler):
    bodies: list
    fail_first: int

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        if server.fail_left > 0:
            server.fail_left -= 1
            self.send_response(500)
            self.end_headers()
            return
        server.bodies.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def receiver(fail: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.bodies, server.fail_left = [], fail
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_webhook_and_slack_receivers_get_alerts_and_a_failing_one_gets_them_later(tmp_path: Path) -> None:
    """A webhook gets OCSF findings, a Slack URL gets {"text"}, and a receiver answering 500 gets them after retries."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    hook, slack, flaky = receiver(), receiver(), receiver(fail=3)
    url = lambda s: f"http://127.0.0.1:{s.server_address[1]}/in"  # noqa: E731
    proc = start_follow(trail, f"webhook:{url(hook)}", f"slack:{url(slack)}", f"webhook:{url(flaky)}")
    try:
        for i in range(3):
            assert run_hook(dangerous(i, " # <!channel> <https://evil.example|click>"), trail).returncode == 0
        assert wait_for(lambda: len(hook.bodies) >= 3 and len(slack.bodies) >= 3)
        assert wait_for(lambda: len(flaky.bodies) >= 3, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        for s in (hook, slack, flaky):
            s.shutdown()
    assert [b["finding_info"]["title"] for b in hook.bodies] == ["Destructive git command"] * 3
    assert (
        hook.bodies[0]["class_uid"] == 2004
        and hook.bodies[0]["finding_info"]["attacks"][0]["technique"]["uid"] == "T1485"
    )
    assert all("git reset --hard" in b["text"] for b in slack.bodies)
    assert all("<" not in b["text"] for b in slack.bodies)  # the command's "<!channel>" is text, not a mention
    assert [b["alert_seq"] for b in flaky.bodies] == [b["alert_seq"] for b in hook.bodies]
    assert flaky.fail_left == 0


def test_rate_limit_sends_n_a_minute_per_rule_and_a_summary_of_the_rest(tmp_path: Path) -> None:
    """With --per-minute 2, five alerts of one rule send two messages; the alert trail keeps all five."""
    from auditkit.detection.alerts import read_alerts
    from auditkit.detection.sinks import Delivery, JsonlSink

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    for i in range(5):
        run_hook(dangerous(i), trail)
    subprocess.run(
        cli("detect", "--follow", str(trail), "--once", "--sink", "jsonl:/dev/null"),
        env=env(),
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    alerts = trail.parent / ".detect" / "alerts.jsonl"
    assert len(read_alerts(alerts)) == 5
    out = tmp_path / "out.jsonl"
    d = Delivery(JsonlSink(str(out)), alerts, -1, per_minute=2, window_s=0.3)
    assert d.flush()
    assert len(alert_commands(out)) == 2
    time.sleep(0.35)
    d.flush()
    summaries = [r["summary"] for r in jsonl(out) if "summary" in r]
    assert summaries == [
        {
            "rule_id": "a9d1c0de-0000-4000-8000-000000000004",
            "rule": "Destructive git command",
            "suppressed": 3,
            "window_s": 0.3,
        }
    ]


def test_follow_raises_a_critical_alert_when_a_new_record_was_edited(tmp_path: Path) -> None:
    """The follower checks the chain as it reads: a record whose text changed after hashing is an alert."""
    from auditkit.detection.alerts import read_alerts

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    once = cli("detect", "--follow", str(trail), "--once", "--sink", "jsonl:/dev/null")
    run_hook(harmless(0), trail)
    subprocess.run(once, env=env(), cwd=REPO, check=True, capture_output=True)
    run_hook(harmless(1), trail)
    trail.write_text(trail.read_text().replace("ls -la src/1", "ls -la src/X"))
    subprocess.run(once, env=env(), cwd=REPO, check=True, capture_output=True)
    found = [f for _, f in read_alerts(trail.parent / ".detect" / "alerts.jsonl")]
    assert [(f["severity"], f["finding_info"]["analytic"]["uid"]) for f in found] == [
        ("Critical", "auditkit.chain_broken")
    ]
    assert "hash does not match" in found[0]["finding_info"]["desc"]


def chained(start_seq: int, prev: str, commands: list[str]) -> tuple[bytes, str]:
    """Records continuing a chain, as the appender writes them."""
    from auditkit.trail import format as tf

    out = []
    for i, cmd in enumerate(commands):
        fields = {"event": "PreToolUse", "status": "started", "tool_name": "Bash", "session_id": "s1"}
        fields.update(tool_use_id=f"c{start_seq + i}", tool_input={"command": cmd}, cwd="/home/dev/app")
        line = tf.encode_record(start_seq + i, "2026-03-17T14:00:00.000000Z", prev, fields)
        prev = line[-(tf.HASH_HEX_LEN + 3) : -3].decode()
        out.append(line)
    return b"".join(out), prev


def test_follow_in_small_batches_and_restart_from_the_cursor_alerts_each_event_once(
    tmp_path: Path, monkeypatch
) -> None:
    """A long trail is read in batches; a second follower resumes at the saved offset: no repeats, none missed."""
    from auditkit.detection import follow as fo
    from auditkit.detection.alerts import read_alerts
    from auditkit.detection.engine import load_rules
    from auditkit.trail import format as tf

    monkeypatch.setattr(fo, "MAX_BATCH", 7)
    trail = tmp_path / "audit-trail.jsonl"
    start = {"event": "trail_start", "status": "info", "data": {"trail_id": "T", "created": "x"}}
    head = tf.encode_record(0, "2026-03-17T14:00:00.000000Z", tf.genesis_hash("T", "x"), start)
    cmds = [f"git reset --hard HEAD~{i}" if i % 5 == 0 else f"ls {i}" for i in range(60)]
    body, prev = chained(1, head[-(tf.HASH_HEX_LEN + 3) : -3].decode(), cmds)
    trail.write_bytes(head + body)
    rules = load_rules()
    kw = dict(state_path=tmp_path / "state.json", alerts_path=tmp_path / "alerts.jsonl", sinks=[])
    f = fo.Follower([trail], rules, **kw)
    steps = 0
    while True:
        f.step()
        steps += 1
        if not f.tailers[0].pending:
            break
    assert steps >= 60 // 7
    more, _ = chained(61, prev, [f"git reset --hard HEAD~{i}" if i % 2 else "pwd" for i in range(10)])
    with open(trail, "ab") as fh:
        fh.write(more)
    g = fo.Follower([trail], rules, **kw)
    assert g.tailers[0].offset == len(head + body)  # resumed at the cursor, not from the start
    g.step()
    while g.tailers[0].pending:
        g.step()
    whats = [f["evidences"][0]["data"]["what"] for _, f in read_alerts(tmp_path / "alerts.jsonl")]
    expected = [c for c in cmds if "reset" in c] + [f"git reset --hard HEAD~{i}" for i in range(1, 10, 2)]
    assert whats == expected


def test_follow_refuses_a_file_that_is_not_an_auditkit_trail(tmp_path: Path) -> None:
    """A transcript has no chain to follow: the command says so and points to detect without --follow."""
    transcript = next((REPO / "sample_logs" / "transcripts").rglob("*.jsonl"))
    proc = subprocess.run(
        cli("detect", "--follow", str(transcript), "--once"), env=env(), cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "not an auditkit trail" in proc.stderr


def test_a_cursor_moved_past_the_trail_is_an_alert_and_nothing_is_skipped(tmp_path: Path) -> None:
    """Someone edits the state to jump ahead (or cuts the trail): the follower says so and reads the trail again."""
    from auditkit.detection.alerts import read_alerts

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    once = cli("detect", "--follow", str(trail), "--once", "--sink", "jsonl:/dev/null")
    run_hook(dangerous(0), trail)
    subprocess.run(once, env=env(), cwd=REPO, check=True, capture_output=True)
    state = trail.parent / ".detect" / "audit-trail.jsonl.state.json"
    doc = json.loads(state.read_text())
    doc["trails"][str(trail)]["next_seq"] = 10**6
    state.write_text(json.dumps(doc))
    run_hook(dangerous(1), trail)
    subprocess.run(once, env=env(), cwd=REPO, check=True, capture_output=True)
    found = [f for _, f in read_alerts(trail.parent / ".detect" / "alerts.jsonl")]
    titles = [f["finding_info"]["title"] for f in found]
    assert titles == ["Destructive git command", "Trail chain broken while following", "Destructive git command"]
    assert "saved cursor" in found[1]["finding_info"]["desc"]
    assert [f["evidences"][0]["data"]["what"] for f in found if "git" in f["finding_info"]["title"].lower()] == [
        "git reset --hard HEAD~0",
        "git reset --hard HEAD~1",
    ]


def test_live_view_counts_calls_per_minute_and_lists_alerts_newest_first(tmp_path: Path) -> None:
    """The live view's data as the hook writes: calls per minute, alerts newest first, an SVG chart drawn offline;
    switched off (None) when not interactive."""
    from auditkit.present.live import Live, live

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    run_hook(harmless(0), trail)
    view = Live([str(trail)], folder=str(tmp_path / "live"))
    view.poll()
    assert view.calls_per_minute()["calls"].sum() == 1 and view.alerts().empty
    run_hook(dangerous(1), trail)
    run_hook(dangerous(2, " <script>x</script>"), trail)
    assert view.poll() == 2
    assert view.calls_per_minute()["calls"].sum() == 3
    assert view.alerts()["what"].tolist() == ["git reset --hard HEAD~2 <script>x</script>", "git reset --hard HEAD~1"]
    assert "<script>" not in view.table_html() and view.chart_svg().lstrip().startswith("<svg")
    assert live([str(trail)], interactive=False) is None
    running = Live([str(trail)], folder=str(tmp_path / "live2"))
    widget = running.start(interval=0.1)  # a background thread: this (the kernel's) thread stays free
    try:
        run_hook(dangerous(3), trail)
        assert wait_for(lambda: "HEAD~3" in widget.children[2].value, timeout=20)
        assert widget.children[0].value.lstrip().startswith("<svg")
    finally:
        running.stop()
