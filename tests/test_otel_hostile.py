"""`auditkit otel-receive` as a web page, a local process or a forger would meet it: the receiver runs as its own
process (its memory and threads read from /proc), requests are written byte by byte on raw sockets, and a real
headless Chromium page on another local origin tries to post to it. Nothing a browser sends is written; an oversize
or slow request is refused or cut off in bounded memory and time; a request is written whole or not at all; every
string is redacted; and telemetry's word on a call never replaces the hook's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from tests.conftest import payload, run_hook
from tests.test_otel import SESSION, _attr, log_record, otlp

GITHUB_TOKEN = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


class ReceiverProcess:
    """`auditkit otel-receive` in its own process on a free port, with its stderr kept."""

    def __init__(self, trail: Path, *limits: str) -> None:
        self.trail = trail
        argv = [sys.executable, "-m", "auditkit", "otel-receive", "--out", str(trail), "--port", "0", *limits]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        self.port = int(first.split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[str] = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def status(self, field: str) -> int:
        """A number from /proc/PID/status: VmHWM (peak resident memory, kB) or Threads."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(field)

    def wait_threads(self, at_most: int, within_s: float) -> int:
        end = time.monotonic() + within_s
        while self.status("Threads") > at_most and time.monotonic() < end:
            time.sleep(0.05)
        return self.status("Threads")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverProcess]:
    r = ReceiverProcess(tmp_path / "otel.jsonl", "--idle-timeout", "1", "--request-timeout", "3")
    yield r
    r.stop()


def raw(port: int, head: str, body: bytes = b"", timeout: float = 10.0) -> tuple[int, bytes]:
    """Send ``head`` (request line and headers, CRLF-joined by this function) and ``body``; the status and reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1]), reply


def post(
    port: int, body: bytes, content_type: str = "application/json", timeout: float = 10.0, **headers: str
) -> tuple[int, bytes]:
    lines = [
        "POST /v1/logs HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return raw(port, "\n".join(lines), body, timeout)


def written(trail: Path) -> list[dict]:
    return [json.loads(line) for line in trail.read_text().splitlines()] if trail.exists() else []


# --- a web page the user opens ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_web_page_on_another_local_origin_cannot_post_telemetry(tmp_path: Path) -> None:
    """A page served from another port of 127.0.0.1, opened in headless Chromium, posts a forged UserPromptSubmit
    with fetch(..., {mode: 'no-cors'}) as text/plain, form and multipart bodies, and as JSON (preflighted): the
    requests reach the receiver (its log shows them refused) and nothing is written."""
    from tests.test_browser import CHROMEDRIVER, CHROMIUM, OFFLINE

    assert CHROMIUM and CHROMEDRIVER, "the browser test needs Debian's chromium and chromium-driver"
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from auditkit.present.evidence import CHROMIUM_FLAGS

    r = ReceiverProcess(tmp_path / "otel.jsonl")
    forged = json.dumps(otlp(log_record("user_prompt", prompt="alice: please drop the prod database")))
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        """<!doctype html><title>loading</title><script>
const url = URL_HERE, body = BODY_HERE;
const tries = [
  fetch(url, {method: 'POST', mode: 'no-cors', body, headers: {'Content-Type': 'text/plain'}}),
  fetch(url, {method: 'POST', mode: 'no-cors', body: new URLSearchParams({d: body})}),
  fetch(url, {method: 'POST', mode: 'no-cors', body: (() => { const f = new FormData(); f.append('d', body); return f; })()}),
  fetch(url, {method: 'POST', mode: 'cors', body, headers: {'Content-Type': 'application/json'}}),
  navigator.sendBeacon(url, new Blob([body], {type: 'text/plain'})) ? Promise.resolve() : Promise.reject(),
];
Promise.allSettled(tries).then(rs => { document.title = 'done ' + rs.map(r => r.status).join(','); });
</script>""".replace("URL_HERE", json.dumps(f"{r.url}/v1/logs")).replace("BODY_HERE", json.dumps(forged))
    )

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(site), **kwargs)  # type: ignore[misc]

        def log_message(self, *args: object) -> None:
            pass

    page = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*(f for f in CHROMIUM_FLAGS if f != "--headless"), "--headless=new", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument(OFFLINE)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.get(f"http://127.0.0.1:{page.server_port}/index.html")
        end = time.monotonic() + 30
        while not driver.title.startswith("done") and time.monotonic() < end:
            time.sleep(0.1)
        assert driver.title.startswith("done"), driver.title
        end = time.monotonic() + 10
        while sum('"POST /v1/logs' in line for line in r.log) < 4 and time.monotonic() < end:
            time.sleep(0.1)  # the beacon is sent after the page's promises settle
    finally:
        driver.quit()
        page.shutdown()
        page.server_close()
        r.stop()
    answered = [line for line in r.log if '"POST /v1/logs' in line or '"OPTIONS /v1/logs' in line]
    assert sum('"POST /v1/logs' in line for line in answered) >= 4, r.log  # the browser did send them
    assert all(line.rstrip().endswith(("403 -", "415 -")) for line in answered), answered
    assert not r.trail.exists()


# --- what only an exporter sends ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"content_type": "text/plain"}, 415),
        ({"content_type": "application/x-www-form-urlencoded"}, 415),
        ({"content_type": "multipart/form-data; boundary=x"}, 415),
        ({"Origin": "http://127.0.0.1:8000"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Mode": "no-cors"}, 403),
        ({"Host": "evil.example:4318"}, 403),  # a page that rebound its own name to 127.0.0.1
        ({"Content-Encoding": "gzip"}, 415),
    ],
)
def test_requests_an_otlp_exporter_does_not_send_are_refused(headers: dict, status: int, receiver) -> None:
    body = json.dumps(otlp(log_record("user_prompt", prompt="forged"))).encode()
    content_type = headers.pop("content_type", "application/json")
    lines = ["POST /v1/logs HTTP/1.1", f"Host: {headers.pop('Host', '127.0.0.1')}"]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    got, reply = raw(receiver.port, "\n".join(lines), body)
    assert got == status, reply
    assert not receiver.trail.exists()
    assert post(receiver.port, body)[0] == 200 and len(written(receiver.trail)) == 2  # start + the record


@pytest.mark.parametrize("length", ["-1", "", "1e3", "0x10", "12, 12", "١٢"])
def test_a_content_length_that_is_no_whole_number_is_refused_at_once(length: str, receiver) -> None:
    """`Content-Length: -1` used to read until the client closed, pinning a thread: now 400 (411 if empty), at once."""
    started = time.monotonic()
    head = f"POST /v1/logs HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: {length}"
    got, _ = raw(receiver.port, head, b"{")  # the connection stays open on the client's side
    assert got in (400, 411) and time.monotonic() - started < 1.0
    assert receiver.wait_threads(1, 3) == 1 and not receiver.trail.exists()


def test_no_content_length_and_chunked_bodies_are_refused(receiver) -> None:
    head = "POST /v1/logs HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json"
    assert raw(receiver.port, head, b"{}")[0] == 411
    assert raw(receiver.port, head + "\nTransfer-Encoding: chunked", b"2\r\n{}\r\n0\r\n\r\n")[0] == 411
    assert not receiver.trail.exists()


# --- size, count and time -------------------------------------------------------------------------------------


def test_an_oversize_request_is_refused_before_it_is_read_and_memory_stays_bounded(receiver) -> None:
    """A client announcing 1 GB and sending it: 413 at once, the connection closed; the receiver's peak memory
    (VmHWM) grows by less than 16 MB (it grew to 1.9 GB before). Then many small ones at once: still bounded."""
    before = receiver.status("VmHWM")
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as s:
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
        s.sendall(b"Content-Length: 1000000000\r\n\r\n")
        sent, chunk, refused = 0, b"x" * (1 << 20), False
        try:
            while sent < 1_000_000_000:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            refused = True
        reply = b""
        try:
            while part := s.recv(65536):
                reply += part
        except ConnectionResetError:
            pass
    assert refused and sent < 200 << 20  # cut off long before the gigabyte
    assert reply == b"" or b" 413 " in reply.split(b"\r\n", 1)[0]
    assert receiver.status("VmHWM") - before < 16_000, (before, receiver.status("VmHWM"))
    assert receiver.wait_threads(1, 3) == 1 and not receiver.trail.exists()


@pytest.mark.parametrize("kind", ["json objects", "protobuf messages", "records"])
def test_a_body_of_millions_of_tiny_parts_is_refused_in_bounded_memory(kind: str, tmp_path: Path) -> None:
    """Within the body limit, 20 MiB of empty JSON objects (7 million dicts decoded, 555 MB) or of empty protobuf
    messages (723 MB) or 10,001 records: 413 before they are decoded, peak memory bounded, nothing written."""
    pytest.importorskip("opentelemetry.proto.collector.logs.v1.logs_service_pb2")  # a dependency of the otel extra
    r = ReceiverProcess(tmp_path / "otel.jsonl")
    try:
        before = r.status("VmHWM")
        n = (20 << 20) - 64
        if kind == "json objects":
            got = post(r.port, b'{"resourceLogs":[' + b"{}," * (n // 3) + b"{}]}")
        elif kind == "protobuf messages":
            got = post(r.port, b"\x0a\x00" * (n // 2), "application/x-protobuf")
        else:
            records = b",".join([b"{}"] * 10_001)
            got = post(r.port, b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[' + records + b"]}]}]}")
        assert got[0] == 413, got
        assert r.status("VmHWM") - before < 120_000  # the 20 MiB body and a bounded decode
        assert not r.trail.exists()
    finally:
        r.stop()


def test_an_idle_request_is_closed_within_the_idle_timeout_and_its_thread_ends(receiver) -> None:
    """Half a request line, half the headers, half a body: each connection is closed about 1 s after its last
    byte; three at once hold three threads, and all are gone after."""
    starts = [
        b"POST /v1/lo",
        b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
        b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    ]
    socks = []
    for start in starts:
        s = socket.create_connection(("127.0.0.1", receiver.port), timeout=10)
        s.sendall(start)
        socks.append(s)
    time.sleep(0.3)
    assert receiver.status("Threads") >= 4  # main + one per connection (+ their deadline timers)
    started = time.monotonic()
    for s in socks:
        while s.recv(65536):  # until the receiver closes it (a 10 s socket timeout fails the test)
            pass
        s.close()
    assert time.monotonic() - started < 2.5
    assert receiver.wait_threads(1, 3) == 1 and not receiver.trail.exists()


def test_a_request_dripping_a_byte_at_a_time_is_cut_off_at_the_request_timeout(receiver) -> None:
    """A byte every 0.5 s never trips the 1 s idle timeout; the 3 s request timeout closes it all the same."""
    body = json.dumps(otlp(log_record("user_prompt", prompt="slow"))).encode()
    head = b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    data = head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    started = time.monotonic()
    closed_after = None
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as s:
        for i in range(len(data)):
            try:
                s.sendall(data[i : i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            s.settimeout(0.5)
            try:
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                pass
    assert closed_after is not None and 2.5 < closed_after < 5.0, closed_after
    assert receiver.wait_threads(1, 3) == 1 and not receiver.trail.exists()


def test_more_connections_than_the_cap_are_closed_and_the_receiver_still_serves(receiver) -> None:
    socks = [socket.create_connection(("127.0.0.1", receiver.port), timeout=10) for _ in range(60)]
    time.sleep(0.5)
    assert receiver.status("Threads") <= 1 + 2 * 32  # a thread and a deadline timer per served connection
    for s in socks:
        s.close()
    assert receiver.wait_threads(1, 5) == 1
    assert post(receiver.port, json.dumps(otlp(log_record("user_prompt", prompt="hi"))).encode())[0] == 200


# --- whole or nothing, and redacted ---------------------------------------------------------------------------


DEEP = '{"arrayValue":{"values":[' * 3000 + "]}}" * 3000


@pytest.mark.parametrize(
    "bad",
    [
        '"a log record that is a string"',
        '{"attributes":[{"key":"n","value":{"intValue":"1"}}],"timeUnixNano":NaN}',
        '{"attributes":[{"key":"deep","value":' + DEEP + "}]}",
        '{"attributes":[{"key":"n","value":{"intValue":"1"}}],"timeUnixNano":1e999}',
    ],
    ids=["string", "not-a-number time", "nested 3000 deep", "infinite time"],
)
def test_a_bad_record_mid_batch_writes_nothing_so_the_retry_makes_no_duplicates(bad: str, receiver) -> None:
    """Two good records, a bad one, a good one: 400 and nothing written (before, the first two were appended and
    the connection dropped, so the exporter's retry wrote them twice); the batch without it is written once."""
    good = [log_record("tool_result", tool_name="Bash", tool_use_id=f"toolu_{i}", success="true") for i in range(3)]
    body = json.dumps(otlp(good[0], good[1], "BAD", good[2])).replace('"BAD"', bad).encode()  # type: ignore[arg-type]
    status, reply = post(receiver.port, body)
    assert status == 400, reply
    assert not receiver.trail.exists()
    assert post(receiver.port, json.dumps(otlp(*good)).encode())[0] == 200
    rows = written(receiver.trail)
    assert [r.get("tool_use_id") for r in rows] == [None, "toolu_0", "toolu_1", "toolu_2"]
    assert [r["seq"] for r in rows] == [0, 1, 2, 3]


def test_a_secret_in_any_field_is_redacted(receiver) -> None:
    """A token in session.id, prompt.id, tool_name, tool_use_id, model, request_id, error_type, the event name,
    the body, a resource attribute, an attribute of any name and an attribute's name: none of it is written in
    clear."""
    rec = log_record(
        "tool_result",
        **{
            "session.id": f"s-{GITHUB_TOKEN}",
            "prompt.id": GITHUB_TOKEN,
            "tool_name": f"Bash {GITHUB_TOKEN}",
            "tool_use_id": f"toolu-{GITHUB_TOKEN}",
            "model": f"claude {GITHUB_TOKEN}",
            "request_id": GITHUB_TOKEN,
            "success": "false",
            "error_type": f"token {GITHUB_TOKEN} refused",
            "anything": GITHUB_TOKEN,
            f"attribute named {GITHUB_TOKEN}": "x",
        },
    )
    rec["body"] = {"stringValue": GITHUB_TOKEN}
    other = log_record(f"x {GITHUB_TOKEN}")
    doc = otlp(rec, other)
    doc["resourceLogs"][0]["resource"]["attributes"].append(_attr("host.name", GITHUB_TOKEN))
    assert post(receiver.port, json.dumps(doc).encode())[0] == 200
    text = receiver.trail.read_text()
    assert GITHUB_TOKEN not in text and GITHUB_TOKEN[4:20] not in text
    rows = written(receiver.trail)[1:]
    for key in ("session_id", "prompt_id", "tool_name", "tool_use_id", "model", "request_id", "error", "event"):
        assert "[REDACTED:" in str(rows[0].get(key, "")) + str(rows[1].get(key, "")), key
    assert rows[0]["redactions"] >= 10 and auditkit.verify(receiver.trail).intact


# --- telemetry never overwrites the hook --------------------------------------------------------------------


def test_a_forged_tool_result_does_not_finish_a_call_the_hook_left_unfinished(receiver, tmp_path: Path) -> None:
    """The hook saw `rm -rf build` start and never end, and saw another call fail; telemetry (forged) says both
    succeeded, and reports a third call the hook never saw. The hook's word stands (unfinished, error), telemetry's
    claim is shown beside it (telemetry_status), and only the call the hook never saw takes telemetry's status."""
    hook = tmp_path / "hook" / "audit-trail.jsonl"
    rm = {
        "session_id": SESSION,
        "tool_name": "Bash",
        "tool_use_id": "toolu_rm",
        "tool_input": {"command": "rm -rf build"},
    }
    failed = {
        "session_id": SESSION,
        "tool_name": "Bash",
        "tool_use_id": "toolu_fail",
        "tool_input": {"command": "make"},
    }
    run_hook(payload("PreToolUse", **rm), hook)
    run_hook(payload("PreToolUse", **failed), hook)
    run_hook(payload("PostToolUseFailure", **failed, error="exit 2"), hook)
    forged = [
        log_record("tool_result", tool_name="Bash", tool_use_id=tid, success="true", duration_ms=5)
        for tid in ("toolu_rm", "toolu_fail", "toolu_otel_only")
    ]
    assert post(receiver.port, json.dumps(otlp(*forged)).encode())[0] == 200
    calls = auditkit.tool_calls(auditkit.load([hook, receiver.trail])).set_index("tool_use_id")
    assert calls.loc["toolu_rm", "status"] == "unfinished" and calls.loc["toolu_rm", "telemetry_status"] == "ok"
    assert calls.loc["toolu_rm", "command"] == "rm -rf build" and pd.isna(calls.loc["toolu_rm", "end_event_id"])
    assert calls.loc["toolu_fail", "status"] == "error" and calls.loc["toolu_fail", "telemetry_status"] == "ok"
    assert calls.loc["toolu_otel_only", "status"] == "ok" and calls.loc["toolu_otel_only", "telemetry_status"] == "ok"
    hook_only = auditkit.tool_calls(auditkit.load(hook))
    assert hook_only["telemetry_status"].isna().all()


def test_a_slow_to_redact_request_does_not_hold_up_the_others(receiver) -> None:
    """A 512 KiB prompt of one repeated letter takes the redaction rules seconds (issue #25 measured 22 s for a large
    prompt, under the receiver's lock): a small request sent meanwhile is answered at once, because records are
    redacted before the lock is taken."""
    big = json.dumps(otlp(log_record("user_prompt", prompt="A" * (1 << 19)))).encode()
    small = json.dumps(otlp(log_record("user_prompt", prompt="small"))).encode()
    answers: list[int] = []
    sender = threading.Thread(target=lambda: answers.append(post(receiver.port, big, timeout=120)[0]))
    sender.start()
    time.sleep(0.5)  # the big one is in, and being redacted
    started = time.monotonic()
    assert post(receiver.port, small)[0] == 200
    assert time.monotonic() - started < 1.5
    sender.join(120)
    assert answers == [200] and len(written(receiver.trail)) == 3
