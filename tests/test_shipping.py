"""`auditkit ship` against receivers on 127.0.0.1 that check each vendor's documented request: shape,
auth header, batching; the cursor (a second run sends nothing, a kill mid-batch resends at most that
batch, rotation between runs); retries; TLS; and OTLP JSON parsed by OpenTelemetry's own proto classes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.errors import ShipError
from auditkit.outbound.shipping import ship
from auditkit.trail import capture
from tests.conftest import SAMPLES, payload, self_signed_tls

KEYS = {"DD_API_KEY": "dd-test-key", "SPLUNK_HEC_TOKEN": "hec-test-token", "ELASTIC_API_KEY": "es-test-key"}


class Receiver:
    """An HTTP receiver: keeps every request; ``respond(handler, body)`` picks the answer (default: the
    vendor's success reply; Elasticsearch remembers ids and answers 409 for one it holds)."""

    def __init__(self, fmt: str, respond: Callable | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.fmt, self.requests, self.ids = fmt, [], set()
        self.respond = respond or self.ok
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, reply = outer.respond(self, body)
                if status is None:  # drop the connection, no answer
                    self.close_connection = True
                    return
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ok(self, handler: object, body: bytes) -> tuple[int, object]:
        if self.fmt == "splunk":
            return 200, {"text": "Success", "code": 0}
        if self.fmt == "datadog":
            return 202, {}
        if self.fmt == "elastic":
            items = []
            lines = body.splitlines()
            for action in lines[0::2]:
                _id = json.loads(action)["create"]["_id"]
                items.append({"create": {"_id": _id, "status": 409 if _id in self.ids else 201}})
                self.ids.add(_id)
            return 200, {"took": 1, "errors": any(i["create"]["status"] != 201 for i in items), "items": items}
        return 200, {}

    def records(self) -> list[dict]:
        """Every record received, in order, as {event_id}."""
        return [x for r in self.requests for x in self.decode(self.fmt, r["body"])]

    @staticmethod
    def decode(fmt: str, body: bytes) -> list[dict]:
        """The records of one request body, decoded the way the vendor reads it."""
        out = []
        if fmt == "otlp":
            for rl in json.loads(body)["resourceLogs"]:
                for sl in rl["scopeLogs"]:
                    for log in sl["logRecords"]:
                        attrs = {a["key"]: a["value"] for a in log["attributes"]}
                        out.append({"event_id": attrs["log.record.uid"]["stringValue"]})
        elif fmt == "datadog":
            out += [{"event_id": d["auditkit"]["event_id"]} for d in json.loads(body)]
        elif fmt == "splunk":
            dec, text, i = json.JSONDecoder(), body.decode(), 0
            while i < len(text):
                obj, i = dec.raw_decode(text, i)
                out.append({"event_id": obj["event"]["event_id"]})
                while i < len(text) and text[i].isspace():
                    i += 1
        else:
            out += [{"event_id": json.loads(a)["create"]["_id"]} for a in body.splitlines()[0::2]]
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(fmt: str, respond: Callable | None = None, tls: ssl.SSLContext | None = None) -> Receiver:
        made.append(Receiver(fmt, respond, tls))
        return made[-1]

    yield make
    for r in made:
        r.close()


def sample_trail(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(SAMPLES / "concurrent" / "audit-trail.jsonl", folder / "audit-trail.jsonl")
    return folder / "audit-trail.jsonl"


def grow(trail: Path, n: int, size: int = 200) -> None:
    """Append ``n`` events through the hook's own path (in this process, redaction off for speed)."""
    opts = capture.Options(str(trail), capture.DEFAULT_MAX_FIELD_BYTES, False)
    for i in range(n):
        event = payload("PreToolUse", tool_name="Bash", tool_use_id=f"g{i}", tool_input={"command": "x" * size})
        capture.record(json.dumps(event).encode(), opts)


def event_ids(trail: Path) -> list[str]:
    return list(auditkit.load(trail)["event_id"])


@pytest.mark.parametrize("fmt", ["otlp", "datadog", "splunk", "elastic"])
def test_each_receiver_gets_every_record_once_in_its_documented_shape(fmt: str, receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = receiver(fmt)
    result = ship([trail], r.url, fmt, insecure=True, env=KEYS)
    assert sorted(x["event_id"] for x in r.records()) == sorted(event_ids(trail))
    assert result.sent == len(event_ids(trail)) and result.batches == len(r.requests) == 1
    req = r.requests[0]
    expect = {
        "otlp": ("/v1/logs", "application/json", None),
        "datadog": ("/api/v2/logs", "application/json", ("Dd-Api-Key", "dd-test-key")),
        "splunk": ("/services/collector/event", "application/json", ("Authorization", "Splunk hec-test-token")),
        "elastic": ("/_bulk", "application/x-ndjson", ("Authorization", "ApiKey es-test-key")),
    }[fmt]
    assert req["path"] == expect[0] and req["headers"]["Content-Type"] == expect[1]
    if expect[2]:
        assert req["headers"][expect[2][0]] == expect[2][1]
    if fmt == "elastic":
        assert req["body"].endswith(b"\n")  # the bulk API needs the final newline


def test_otlp_json_is_a_valid_export_logs_service_request(receiver, tmp_path: Path) -> None:
    """Parsed by OpenTelemetry's own protobuf classes, as a collector would: every field known and typed."""
    from google.protobuf.json_format import Parse
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    trail = sample_trail(tmp_path)
    r = receiver("otlp")
    ship(
        [trail],
        r.url,
        "otlp",
        insecure=True,
        env={"OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme,authorization=Bearer%20t0k"},
    )
    message = Parse(r.requests[0]["body"], ExportLogsServiceRequest(), ignore_unknown_fields=False)
    logs = message.resource_logs[0].scope_logs[0].log_records
    assert len(logs) == len(event_ids(trail))
    first = logs[0]
    attrs = {a.key: a.value for a in first.attributes}
    assert attrs["log.record.uid"].string_value == event_ids(trail)[0] and attrs["auditkit.seq"].int_value == 0
    assert first.time_unix_nano > 1_700_000_000 * 10**9 and first.severity_text in ("INFO", "WARN")
    assert r.requests[0]["headers"]["X-Tenant"] == "acme" and r.requests[0]["headers"]["Authorization"] == "Bearer t0k"


def test_a_second_run_sends_nothing_and_the_state_holds_no_credential(receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = receiver("datadog")
    first = ship([trail], r.url, "datadog", insecure=True, env=KEYS)
    again = ship([trail], r.url, "datadog", insecure=True, env=KEYS)
    assert again.sent == 0 and again.skipped == first.sent and len(r.requests) == 1
    state = Path(first.state).read_text()
    assert "dd-test-key" not in state and oct(Path(first.state).stat().st_mode)[-3:] == "600"


def test_batches_stay_within_the_receivers_limits(receiver, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 1200, size=100)
    r = receiver("datadog")
    result = ship([trail], r.url, "datadog", insecure=True, env=KEYS)
    sizes = [len(json.loads(q["body"])) for q in r.requests]
    assert result.batches == 2 and max(sizes) == 1000 and sum(sizes) == 1201  # Datadog: 1,000 logs a request
    r2 = receiver("splunk")
    ship([trail], r2.url, "splunk", insecure=True, env=KEYS, max_batch_bytes=50_000)
    assert len(r2.requests) > 5 and max(len(q["body"]) for q in r2.requests) <= 50_000
    assert sorted(x["event_id"] for x in r2.records()) == sorted(event_ids(trail))


def test_429_and_5xx_are_retried_and_a_4xx_stops_with_the_receivers_message(receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    answers = iter([(429, {"errors": ["slow down"]}), (503, {}), None])

    def flaky(handler: object, body: bytes) -> tuple[int, object]:
        answer = next(answers)
        return answer if answer else (202, {})

    r = receiver("datadog", flaky)
    result = ship([trail], r.url, "datadog", insecure=True, env=KEYS, backoff_s=0.01)
    assert result.retries == 2 and result.sent == len(event_ids(trail)) and len(r.requests) == 3
    bad = receiver("datadog", lambda h, b: (403, {"errors": ["Forbidden: invalid API key"]}))
    with pytest.raises(ShipError, match=r"HTTP 403.*invalid API key"):
        ship([trail], bad.url, "datadog", insecure=True, env=KEYS, state=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()  # nothing acknowledged, nothing recorded


def test_elasticsearch_stores_a_resent_batch_once_and_a_refused_item_stops(receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = receiver("elastic")
    ship([trail], r.url, "elastic", insecure=True, env=KEYS, state=tmp_path / "a.json")
    ship([trail], r.url, "elastic", insecure=True, env=KEYS, state=tmp_path / "b.json")  # a lost cursor: all again
    assert len(r.ids) == len(event_ids(trail))  # 409s for the second time: stored once, and the run succeeded

    def refuse(handler: object, body: bytes) -> tuple[int, object]:
        item = {"create": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "bad field"}}}
        return 200, {"errors": True, "items": [item]}

    with pytest.raises(ShipError, match="mapper_parsing_exception: bad field"):
        ship([trail], receiver("elastic", refuse).url, "elastic", insecure=True, env=KEYS, state=tmp_path / "c.json")


def test_a_run_killed_mid_batch_resends_at_most_that_batch(receiver, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 60, size=300)
    seen = threading.Event()

    def hang_on_the_third(handler: object, body: bytes) -> tuple[int | None, object]:
        if len(r.requests) == 3:
            seen.set()
            time.sleep(30)  # the batch is here; the sender is killed before any answer
            return None, None
        return 200, {"text": "Success", "code": 0}

    r = receiver("splunk", hang_on_the_third)
    state = tmp_path / "ship-state.json"
    argv = [sys.executable, "-m", "auditkit", "ship", str(trail), "--to", r.url, "--format", "splunk", "--insecure"]
    argv += ["--state", str(state), "--batch-bytes", "8000"]
    proc = subprocess.Popen(argv, env={**os.environ, **KEYS}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert seen.wait(60)
    proc.send_signal(signal.SIGKILL)  # killed while the receiver holds the third batch, unanswered
    proc.wait()
    in_flight = len(Receiver.decode("splunk", r.requests[2]["body"]))
    acknowledged = len(Receiver.decode("splunk", r.requests[0]["body"])) + len(
        Receiver.decode("splunk", r.requests[1]["body"])
    )
    result = ship([trail], r.url, "splunk", insecure=True, env=KEYS, state=state)  # the same receiver, answering again
    received = [x["event_id"] for x in r.records()]
    assert sorted(set(received)) == sorted(event_ids(trail))  # nothing lost
    assert result.skipped == acknowledged  # the cursor stood after the two acknowledged batches
    assert len(received) - len(set(received)) == in_flight  # resent: exactly the batch in flight, no more


def test_the_cursor_survives_archive_between_runs(receiver, tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 20)
    r = receiver("otlp")
    state = tmp_path / "state.json"
    first = ship([trail.parent], r.url, "otlp", insecure=True, state=state)
    auditkit.archive(trail)  # the shipped records move into a compressed segment
    grow(trail, 5)
    second = ship([trail.parent], r.url, "otlp", insecure=True, state=state)
    assert second.sent == 6  # the new segment's start record and five events
    ids = [x["event_id"] for x in r.records()]
    assert len(ids) == len(set(ids)) == first.sent + second.sent and set(ids) == set(event_ids(trail.parent))


def test_a_trail_rewritten_under_the_cursor_is_not_shipped(receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = receiver("datadog")
    ship([trail], r.url, "datadog", insecure=True, env=KEYS)
    lines = trail.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[-1])
    record["hash"] = "0" * 64  # a forged last record
    trail.write_bytes(b"".join(lines[:-1]) + json.dumps(record).encode() + b"\n")
    with pytest.raises(ShipError, match="rewritten"):
        ship([trail], r.url, "datadog", insecure=True, env=KEYS)


def test_plain_http_needs_insecure_and_credentials_come_from_the_environment(tmp_path: Path, capsys) -> None:
    trail = sample_trail(tmp_path)
    with pytest.raises(ShipError, match="plain http sends the trail in clear"):
        ship([trail], "http://127.0.0.1:9/", "otlp")
    with pytest.raises(ShipError, match="DD_API_KEY"):
        ship([trail], "https://http-intake.logs.example/", "datadog", env={})
    assert main(["ship", str(trail), "--to", "http://127.0.0.1:9", "--format", "splunk"]) == 2
    assert "--insecure" in capsys.readouterr().err


def test_https_with_the_receivers_ca_and_a_clear_error_without_it(receiver, tmp_path: Path) -> None:
    tls = self_signed_tls(tmp_path)
    r = receiver("otlp", tls=tls)
    trail = sample_trail(tmp_path)
    with pytest.raises(ShipError, match=r"not trusted.*--ca-bundle"):
        ship([trail], r.url, "otlp", state=tmp_path / "s1.json")
    result = ship([trail], r.url, "otlp", ca_bundle=tmp_path / "cert.pem", state=tmp_path / "s2.json")
    assert result.sent == len(event_ids(trail))


def test_a_receiver_answering_garbage_is_refused_clearly_and_nothing_is_acknowledged(receiver, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = receiver("elastic", lambda h, b: (200, "<html>not a bulk answer</html>"))
    with pytest.raises(ShipError, match="did not answer as Elasticsearch's bulk API"):
        ship([trail], r.url, "elastic", insecure=True, env=KEYS, state=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()
