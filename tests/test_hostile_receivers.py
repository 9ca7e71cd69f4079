"""`auditkit ship` against receivers that lie, stall or redirect: real HTTP servers on 127.0.0.1, the sender
through its command line in its own process where the exit and the message matter. A redirect is a refusal
(the key never reaches the other server, the cursor stays), a dripping receiver is cut off at the batch's
deadline, a 2xx that is not the receiver's answer acknowledges nothing, and an edited cursor is refused."""

from __future__ import annotations

import json
import os
import socket
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
from auditkit.errors import ShipError
from auditkit.outbound.shipping import ship
from tests.conftest import self_signed_tls
from tests.test_shipping import KEYS, grow, sample_trail

SECRET = "dd-key-that-must-stay-home"


class Server:
    """A local HTTP server whose ``answer(handler, body)`` writes the reply; every request is kept."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, bytes], None]) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append({"method": self.command, "headers": headers, "body": body})
                answer(self, body)
                self.close_connection = True

            do_POST = do_GET = do_PUT = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"{}", **headers: str) -> None:
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    made: list[Server] = []

    def make(answer: Callable[[BaseHTTPRequestHandler, bytes], None]) -> Server:
        made.append(Server(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def ship_cli(trail: Path, url: str, fmt: str, state: Path, *extra: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "auditkit", "ship", str(trail), "--to", url, "--format", fmt, "--insecure"]
    env = {**os.environ, **KEYS, "DD_API_KEY": SECRET, "SPLUNK_HEC_TOKEN": SECRET}
    return subprocess.run([*argv, "--state", str(state), *extra], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_refusal_and_the_key_never_reaches_the_other_server(code: int, servers, tmp_path: Path) -> None:
    """The receiver answers a redirect to another port (another origin) that would say 200 to anything:
    the command exits non-zero and says a redirect is not followed, the other server never sees a request
    (so never the key), and no cursor is written."""
    trail = sample_trail(tmp_path)
    elsewhere = servers(lambda h, b: reply(h, 202))
    moved = servers(lambda h, b: reply(h, code, b"", Location=f"{elsewhere.url}/api/v2/logs"))
    state = tmp_path / "state.json"
    done = ship_cli(trail, moved.url, "datadog", state)
    assert done.returncode == 2, done.stderr
    assert f"answered HTTP {code}" in done.stderr and "a redirect is not followed" in done.stderr
    assert "cursor stays" in done.stderr and elsewhere.url in done.stderr
    assert len(moved.requests) == 1 and moved.requests[0]["headers"]["dd-api-key"] == SECRET  # it was asked
    assert elsewhere.requests == []  # and the key went nowhere else
    assert not state.exists()


def test_a_redirect_after_acknowledged_batches_leaves_the_cursor_where_it_was(servers, tmp_path: Path) -> None:
    """Two batches acknowledged, then the receiver starts redirecting: the cursor stays after the second
    batch, and a later run, the receiver honest again, sends exactly the rest."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 30, size=300)
    elsewhere = servers(lambda h, b: reply(h, 200, b'{"text":"Success","code":0}'))
    answers = [200, 200, 302]

    def flaky(h: BaseHTTPRequestHandler, body: bytes) -> None:
        code = answers.pop(0) if answers else 200
        if code == 302:
            return reply(h, 302, b"", Location=f"{elsewhere.url}/services/collector/event")
        reply(h, 200, b'{"text":"Success","code":0}')

    r = servers(flaky)
    state = tmp_path / "state.json"
    done = ship_cli(trail, r.url, "splunk", state, "--batch-bytes", "4000")
    assert done.returncode == 2 and "a redirect is not followed" in done.stderr
    cursor = json.loads(state.read_text())["trails"]
    first_two = sum(len(q["body"].splitlines()) for q in r.requests[:2])
    assert [at["seq"] for at in cursor.values()] == [first_two - 1]  # seqs 0.. in the first two batches
    assert elsewhere.requests == []
    result = ship([trail], r.url, "splunk", insecure=True, env=KEYS, state=state)  # answering honestly now
    assert result.skipped == first_two and result.sent == len(auditkit.load(trail)) - first_two


@pytest.mark.parametrize("where", ["status line", "body", "body of a 503"])
def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_batch_deadline(where: str, servers, tmp_path: Path) -> None:
    """One byte every 0.3 s (each read well inside the 5 s socket timeout): the batch is abandoned at its
    2 s deadline, the run ends within a bounded time, and the cursor does not move."""
    status = b"503 Service Unavailable" if where == "body of a 503" else b"200 OK"
    answer = (
        b"HTTP/1.1 "
        + status
        + b'\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"text":"Success","code":0}            '
    )

    def drip(h: BaseHTTPRequestHandler, body: bytes) -> None:
        head = answer.index(b"\r\n\r\n") + 4 if where.startswith("body") else 0
        h.wfile.write(answer[:head])
        h.wfile.flush()
        for i in range(head, len(answer)):
            time.sleep(0.3)
            h.wfile.write(answer[i : i + 1])
            h.wfile.flush()

    r = servers(drip)
    trail = sample_trail(tmp_path)
    state = tmp_path / "state.json"
    started = time.monotonic()
    with pytest.raises(ShipError, match=r"not acknowledged within its deadline of 2 s"):
        ship([trail], r.url, "splunk", insecure=True, env=KEYS, state=state, timeout_s=5, deadline_s=2, backoff_s=0.1)
    took = time.monotonic() - started
    assert took < 4.0, took  # the whole answer would take ~25 s
    assert not state.exists()


def test_the_dripping_receiver_through_the_command_line(servers, tmp_path: Path) -> None:
    """`--batch-deadline 1.5`: the command exits 2 within a few seconds and says why."""

    def drip(h: BaseHTTPRequestHandler, body: bytes) -> None:
        for byte in b"HTTP/1.1 202 Accepted\r\n\r\n":
            time.sleep(0.4)
            h.wfile.write(bytes([byte]))
            h.wfile.flush()

    r = servers(drip)
    started = time.monotonic()
    done = ship_cli(sample_trail(tmp_path), r.url, "datadog", tmp_path / "s.json", "--batch-deadline", "1.5")
    assert done.returncode == 2 and "deadline of 1.5 s" in done.stderr
    assert time.monotonic() - started < 8.0  # the process start included; the answer would take ~10 s
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    ("fmt", "lie"),
    [
        ("otlp", b"<html><body>Welcome! Please sign in</body></html>"),
        ("datadog", b"<html>proxy login</html>"),
        ("splunk", b"[]"),
        ("splunk", b'{"status":"fine"}'),
        ("elastic", b'{"took":1}'),
    ],
)
def test_a_2xx_that_is_not_the_receivers_answer_acknowledges_nothing(fmt: str, lie: bytes, servers, tmp_path) -> None:
    """A login page or a proxy's page answered with 200 (or JSON that is not the vendor's reply) is no
    acknowledgement: the run fails saying so and no cursor is written."""
    r = servers(lambda h, b: reply(h, 200, lie, **{"Content-Type": "text/html"}))
    with pytest.raises(ShipError, match=r"not as .* does|did not answer as Elasticsearch"):
        ship([sample_trail(tmp_path)], r.url, fmt, insecure=True, env=KEYS, state=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def _forge(state: Path, **at: object) -> None:
    doc = json.loads(state.read_text())
    (tid,) = doc["trails"]
    doc["trails"][tid].update(at)
    state.write_text(json.dumps(doc))


def test_a_cursor_edited_past_the_trails_end_is_refused_naming_the_state_file(servers, tmp_path: Path) -> None:
    """The state says a huge seq was acknowledged: the next run does not take the new records as sent; it
    exits 2 naming the state file, and the receiver gets nothing."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 10)
    r = servers(lambda h, b: reply(h, 202))
    state = tmp_path / "state.json"
    assert ship_cli(trail, r.url, "datadog", state).returncode == 0
    _forge(state, seq=10**15)
    grow(trail, 5)
    before = len(r.requests)
    done = ship_cli(trail, r.url, "datadog", state)
    assert done.returncode == 2, done.stderr
    assert str(state) in done.stderr and "holds no record at seq 1000000000000000" in done.stderr
    assert "the trail ends before it" in done.stderr
    assert len(r.requests) == before
    assert json.loads(state.read_text())["trails"][next(iter(json.loads(state.read_text())["trails"]))]["seq"] == 10**15


def test_a_cursor_naming_a_seq_the_trail_lacks_is_refused(servers, tmp_path: Path) -> None:
    """The record at the cursor is missing from the middle of the trail: refused, nothing sent."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 10)
    r = servers(lambda h, b: reply(h, 202))
    state = tmp_path / "state.json"
    ship([trail], r.url, "datadog", insecure=True, env=KEYS, state=state)
    lines = trail.read_bytes().splitlines(keepends=True)
    _forge(state, seq=4, hash=json.loads(lines[4])["hash"])
    trail.write_bytes(b"".join(lines[:4] + lines[5:]))
    before = len(r.requests)
    with pytest.raises(ShipError, match=r"state.json: .*no record at seq 4 \(the trail goes from seq 0 to 5"):
        ship([trail], r.url, "datadog", insecure=True, env=KEYS, state=state)
    assert len(r.requests) == before


@pytest.mark.parametrize("at", [{"seq": "9e99"}, {"seq": -1}, {"seq": 3, "hash": None}, {"seq": True}])
def test_a_cursor_that_is_no_seq_and_hash_is_refused(at: dict, servers, tmp_path: Path) -> None:
    trail = sample_trail(tmp_path)
    r = servers(lambda h, b: reply(h, 202))
    state = tmp_path / "state.json"
    ship([trail], r.url, "datadog", insecure=True, env=KEYS, state=state)
    _forge(state, **at)
    with pytest.raises(ShipError, match=r"state.json: the cursor of trail .* is not a seq and a hash"):
        ship([trail], r.url, "datadog", insecure=True, env=KEYS, state=state)


def test_a_cursor_before_the_first_record_held_still_ships_the_rest(servers, tmp_path: Path) -> None:
    """Segments retired after shipping (the cursor's record is gone, but nothing after it is): the run
    sends what the trail holds past the cursor, as before."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 20)
    r = servers(lambda h, b: reply(h, 202))
    state = tmp_path / "state.json"
    first = ship([trail.parent], r.url, "datadog", insecure=True, env=KEYS, state=state)
    auditkit.archive(trail)
    grow(trail, 5)
    for segment in trail.parent.glob("audit-trail.*.jsonl.gz"):
        segment.unlink()
    second = ship([trail.parent], r.url, "datadog", insecure=True, env=KEYS, state=state)
    assert first.sent == 21 and second.sent == 6 and second.skipped == 0


def tls_for_localhost(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the certificate (its own CA) a client is given to trust it."""
    tls = self_signed_tls(tmp_path)
    return tls, tmp_path / "cert.pem"


def test_an_https_receiver_redirecting_to_plain_http_never_gets_the_key_sent_in_clear(servers, tmp_path: Path) -> None:
    """The configured receiver is https (its CA given); it redirects to an http:// server on another port: the
    key never travels in clear, the run says a redirect is not followed, nothing is acknowledged."""
    tls, ca = tls_for_localhost(tmp_path)
    clear = servers(lambda h, b: reply(h, 202))
    secure = servers(lambda h, b: reply(h, 302, b"", Location=f"{clear.url}/api/v2/logs"))
    secure.server.socket = tls.wrap_socket(secure.server.socket, server_side=True)
    url = secure.url.replace("http://", "https://")
    state = tmp_path / "state.json"
    with pytest.raises(ShipError, match=r"answered HTTP 302 .*a redirect is not followed"):
        ship(
            [sample_trail(tmp_path)],
            url,
            "datadog",
            env={"DD_API_KEY": SECRET},
            ca_bundle=ca,
            state=state,
        )
    assert len(secure.requests) == 1 and clear.requests == [] and not state.exists()


def test_a_receiver_dripping_its_tls_handshake_is_cut_off_at_the_batch_deadline(tmp_path: Path) -> None:
    """Before any HTTP: the receiver answers the TLS ClientHello with a record header announcing 16 KiB, then one
    byte every 0.3 s. The handshake is abandoned at the 2 s deadline too, and nothing is acknowledged."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)  # the ClientHello
            try:
                conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB ...
                while not stop.is_set():
                    time.sleep(0.3)
                    conn.sendall(b"\x02")  # ... arriving a byte at a time
            except OSError:
                pass

    threading.Thread(target=drip, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}"
    started = time.monotonic()
    try:
        with pytest.raises(ShipError, match=r"not acknowledged within its deadline of 2 s"):
            ship(
                [sample_trail(tmp_path)], url, "datadog", env=KEYS, state=tmp_path / "s.json", timeout_s=5, deadline_s=2
            )
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 4.0
    assert not (tmp_path / "s.json").exists()


def test_an_https_receiver_dripping_its_answer_is_cut_off_at_the_batch_deadline(servers, tmp_path: Path) -> None:
    """After the handshake, a byte of the answer every 0.3 s through TLS: the batch ends at its 2 s deadline."""
    tls, ca = tls_for_localhost(tmp_path)

    def drip(h: BaseHTTPRequestHandler, body: bytes) -> None:
        for byte in b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}":
            time.sleep(0.3)
            h.wfile.write(bytes([byte]))
            h.wfile.flush()

    r = servers(drip)
    r.server.socket = tls.wrap_socket(r.server.socket, server_side=True)
    started = time.monotonic()
    with pytest.raises(ShipError, match=r"not acknowledged within its deadline of 2 s"):
        url = r.url.replace("http://", "https://")
        ship([sample_trail(tmp_path)], url, "datadog", env=KEYS, ca_bundle=ca, state=tmp_path / "s.json", deadline_s=2)
    assert time.monotonic() - started < 4.0 and not (tmp_path / "s.json").exists()
