"""`auditkit ship --to cloudwatch://GROUP/STREAM` against moto's CloudWatch Logs server on 127.0.0.1.

What moto does not do is done by a thin proxy on 127.0.0.1 in front of it, and said so: answering a
PutLogEvents with ThrottlingException (moto never throttles), and holding one unanswered while the sender
is killed. Everything a test reads back comes from moto's GetLogEvents."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import auditkit
from auditkit.errors import ShipError
from auditkit.outbound.shipping import CloudWatch, Record, ship, trail_records
from tests.conftest import AWS_TEST_ENV
from tests.test_shipping import grow
from tests.test_siem_schemas import append_big, check_ocsf

pytestmark = pytest.mark.slow  # a CloudWatch Logs server in a thread

AWS = AWS_TEST_ENV


@pytest.fixture(scope="module")
def moto_url(s3_endpoint: str) -> str:
    """moto's server of this module (conftest's: it serves CloudWatch Logs as well as S3)."""
    return s3_endpoint


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in AWS.items():
        monkeypatch.setenv(k, v)


class Proxy:
    """Forwards every request to moto; ``meddle(n, target)`` (n: the how-many-th PutLogEvents) may answer
    instead: ("throttle",) or ("hang",). Keeps each PutLogEvents body it saw."""

    def __init__(self, upstream: str, meddle: Callable[[int, str], str | None]) -> None:
        self.puts: list[dict] = []
        host, port = upstream.removeprefix("http://").split(":")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                what = None
                if target.endswith("PutLogEvents"):
                    outer.puts.append(json.loads(body))
                    what = meddle(len(outer.puts), target)
                if what == "hang":
                    time.sleep(30)
                    self.close_connection = True
                    return
                if what == "portal":  # a captive portal's page, 200
                    data = b"<html><title>Sign in</title>\x1b]0;owned\x07</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if what in ("throttle", "deny"):
                    kind = "ThrottlingException" if what == "throttle" else "AccessDeniedException"
                    message = "Rate exceeded" if what == "throttle" else "not allowed\x1b[2J"
                    data = json.dumps({"__type": kind, "message": message}).encode()
                    self.send_response(400)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("X-Amzn-ErrorType", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request("POST", self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(moto_url: str) -> Iterator[Callable[..., Proxy]]:
    made: list[Proxy] = []

    def make(meddle: Callable[[int, str], str | None] = lambda n, t: None) -> Proxy:
        made.append(Proxy(moto_url, meddle))
        return made[-1]

    yield make
    for p in made:
        p.close()


def stored(moto_url: str, group: str, stream: str) -> list[dict]:
    """Every event moto holds in the stream, oldest first, through GetLogEvents' pages."""
    import boto3

    logs = boto3.client("logs", endpoint_url=moto_url, region_name="us-east-1")
    out, token = [], None
    while True:
        kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        out += page["events"]
        if not page["events"] or page["nextForwardToken"] == token:
            return out
        token = page["nextForwardToken"]


def ids_of(events: list[dict], trail: Path) -> list[str]:
    """The event id of each stored event: its message is a record's exact line, or names the id."""
    by_line = {r.line.rstrip(b"\n").decode(): r.event_id for r in trail_records([trail.parent])}
    return [by_line.get(e["message"]) or json.loads(e["message"])["event_id"] for e in events]


def expected_ids(trail: Path) -> list[str]:
    return [r.event_id for r in trail_records([trail.parent])]


def test_every_record_arrives_once_in_order_across_rotation(moto_url: str, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 20)
    state, to = tmp_path / "state.json", "cloudwatch:///auditkit/claude-code/dev-laptop"
    first = ship([trail.parent], to, endpoint_url=moto_url, state=state)
    auditkit.archive(trail)  # the shipped records move into a compressed segment
    grow(trail, 5)
    second = ship([trail.parent], to, endpoint_url=moto_url, state=state)
    again = ship([trail.parent], to, endpoint_url=moto_url, state=state)
    events = stored(moto_url, "/auditkit/claude-code", "dev-laptop")
    assert ids_of(events, trail) == expected_ids(trail)  # each once, in chain order
    assert first.sent == 21 and second.sent == 6 and again.sent == 0 and len(events) == 27
    lines = {r.event_id: r.line for r in trail_records([trail.parent])}
    assert all((e["message"] + "\n").encode() == lines[i] for e, i in zip(events, ids_of(events, trail), strict=True))


def test_a_2mb_record_goes_as_key_fields_with_size_and_sha256(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 3)
    append_big(trail, 2_000_000)
    grow(trail, 2)
    big = next(r for r in trail_records([trail]) if len(r.line) > 2_000_000)
    p = proxy()
    ship([trail], "cloudwatch://g2/s", endpoint_url=p.url)
    events = stored(moto_url, "g2", "s")
    assert len(events) == 7
    cut = json.loads(events[4]["message"])
    assert cut["auditkit_truncated"] == {"bytes": len(big.line), "sha256": hashlib.sha256(big.line).hexdigest()}
    assert cut["event_id"] == big.event_id and cut["tool_name"] == "Bash" and "tool_input" not in cut
    for put in p.puts:  # PutLogEvents' limits, counted as AWS counts them
        assert sum(len(e["message"].encode()) + 26 for e in put["logEvents"]) <= 1_048_576
        assert all(len(e["message"].encode()) + 26 <= 262_144 for e in put["logEvents"])


def test_batches_stay_within_the_byte_count_and_time_limits(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 30, size=60_000)  # ~60 KB a record: 1 MiB a batch takes 17
    p = proxy()
    result = ship([trail], "cloudwatch://g3/s", endpoint_url=p.url)
    sizes = [sum(len(e["message"].encode()) + 26 for e in put["logEvents"]) for put in p.puts]
    assert result.batches == len(p.puts) >= 2 and max(sizes) <= 1_048_576 and max(sizes) > 900_000
    assert ids_of(stored(moto_url, "g3", "s"), trail) == expected_ids(trail)
    # the 24-hour span and the time order, on items of the kind the sender builds
    cw, now = CloudWatch(), int(time.time() * 1000)
    day = [f"{now - 23 * 3600_000}\t{{}}".encode(), f"{now - 3600_000}\t{{}}".encode()]
    assert cw.accepts(day[:1], 30, day[1], 1 << 20)  # 22 hours apart: one batch
    assert not cw.accepts(day[:1], 30, f"{now + 3600_000}\t{{}}".encode(), 1 << 20)  # 24 hours: another
    assert [e["timestamp"] for e in cw.events([b"5\tx", b"3\ty", b"7\tz"])] == [5, 5, 7]  # never backwards


def test_an_old_trail_is_taken_with_times_clamped_and_kept_in_the_message(moto_url: str, tmp_path: Path) -> None:
    from tests.conftest import SAMPLES

    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "audit-trail.jsonl").write_bytes((SAMPLES / "incident" / "audit-trail.jsonl").read_bytes())
    result = ship([folder], "cloudwatch://g4/s", endpoint_url=moto_url, schema="ocsf")
    events = stored(moto_url, "g4", "s")
    assert result.sent == len(events) == 21
    for event in events:
        doc = json.loads(event["message"])
        check_ocsf(doc)  # the OCSF event, whole, as the message
        assert doc["metadata"]["original_time"].startswith("2026-03-17")  # its own time stays in the message
        assert event["timestamp"] > time.time() * 1000 - 14 * 86400_000  # PutLogEvents takes nothing older


def test_a_throttled_call_is_retried_and_nothing_is_sent_twice(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 10)
    p = proxy(lambda n, target: "throttle" if n == 1 else None)  # moto never throttles: the proxy does, once
    result = ship([trail], "cloudwatch://g5/s", endpoint_url=p.url, backoff_s=0.05)
    assert result.retries == 1 and len(p.puts) == 2 and p.puts[0] == p.puts[1]
    assert ids_of(stored(moto_url, "g5", "s"), trail) == expected_ids(trail)


def test_a_refusal_is_one_clear_error_and_the_cursor_stays(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 3)
    with pytest.raises(ShipError, match="cloudwatch://GROUP/STREAM"):
        ship([trail], "cloudwatch://only-a-group", endpoint_url=moto_url)
    state = tmp_path / "state.json"
    p = proxy(lambda n, target: "deny")  # moto checks no IAM: the proxy answers as AWS does for a denied key
    with pytest.raises(ShipError, match=r"AccessDeniedException: not allowed\\x1b\[2J.*the cursor stays") as err:
        ship([trail], "cloudwatch://g6/s", endpoint_url=p.url, state=state)
    assert not state.exists() and len(p.puts) == 1  # not retried: a refusal is not throttling
    assert "\x1b" not in str(err.value)  # the endpoint's text reaches the terminal with its controls escaped


def test_a_200_that_is_not_cloudwatchs_answer_acknowledges_nothing(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 3)
    state = tmp_path / "state.json"
    p = proxy(lambda n, target: "portal")  # botocore reads the page as {"message": ...}: not an acknowledgement
    with pytest.raises(ShipError, match="not as CloudWatch Logs does") as err:
        ship([trail], "cloudwatch://g10/s", endpoint_url=p.url, state=state)
    assert not state.exists() and "\x1b" not in str(err.value)
    result = ship([trail], "cloudwatch://g10/s", endpoint_url=moto_url, state=state)  # the real one, later
    assert result.skipped == 0 and result.sent == 4


def test_a_killed_run_resends_exactly_the_unacknowledged_batch(moto_url: str, proxy, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 40, size=300)
    seen = threading.Event()

    def hang_third(n: int, target: str) -> str | None:
        if n == 3:
            seen.set()
            return "hang"  # the batch reached the proxy; moto never gets it; the sender is killed waiting
        return None

    p = proxy(hang_third)
    state = tmp_path / "state.json"
    argv = [sys.executable, "-m", "auditkit", "ship", str(trail), "--to", "cloudwatch://g7/s", "--endpoint-url", p.url]
    argv += ["--state", str(state), "--batch-bytes", "6000"]
    env = {**os.environ, **AWS, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert seen.wait(60)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    in_flight = [e["message"] for e in p.puts[2]["logEvents"]]
    result = ship([trail], "cloudwatch://g7/s", endpoint_url=p.url, state=state, max_batch_bytes=6000)
    assert [e["message"] for e in p.puts[3]["logEvents"]] == in_flight  # resent first: exactly that batch
    acknowledged = len(p.puts[0]["logEvents"]) + len(p.puts[1]["logEvents"])
    assert result.skipped == acknowledged
    assert ids_of(stored(moto_url, "g7", "s"), trail) == expected_ids(trail)  # every record once, in order


def test_records_are_the_exact_lines_so_their_hashes_can_be_checked(moto_url: str, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 4)
    ship([trail], "cloudwatch://g8/s", endpoint_url=moto_url)
    records = list(trail_records([trail]))
    for event, record in zip(stored(moto_url, "g8", "s"), records, strict=True):
        assert isinstance(record, Record) and (event["message"] + "\n").encode() == record.line


def test_the_cli_ships_to_cloudwatch_with_a_schema_and_says_where(moto_url: str, tmp_path: Path, capsys) -> None:
    from auditkit.cli import main

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 3)
    argv = ["ship", str(trail), "--to", "cloudwatch://g9/s", "--endpoint-url", moto_url, "--schema", "ocsf"]
    assert main([*argv, "--region", "eu-west-1"]) == 0
    assert "shipped 4 record(s) in 1 batch(es) to cloudwatch cloudwatch://g9/s ocsf" in capsys.readouterr().out
    import boto3

    logs = boto3.client("logs", endpoint_url=moto_url, region_name="eu-west-1")  # the region given was used
    events = logs.get_log_events(logGroupName="g9", logStreamName="s", startFromHead=True)["events"]
    assert [json.loads(e["message"])["metadata"]["uid"] for e in events] == expected_ids(trail)
