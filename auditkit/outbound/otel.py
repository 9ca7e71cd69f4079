"""Claude Code's own OpenTelemetry as a second, independent capture, written into a chained auditkit trail.

Point Claude Code at the receiver (``OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318``,
``OTEL_LOGS_EXPORTER=otlp``, ``OTEL_EXPORTER_OTLP_PROTOCOL=http/json``): one Claude Code process
exports every event, no process per event. Each OTLP log record becomes one redacted, hash-chained
record (``capture: "otel"``) that ``load()`` reads like any other:

- ``tool_result`` -> a PostToolUse / PostToolUseFailure row (tool, ``tool_use_id``, duration, the
  decision source under ``data``): it joins the hook's rows of the same call on ``tool_use_id``, so
  ``reconcile`` lists calls one capture saw and the other did not;
- ``api_request`` -> an ``api_request`` row with model, ``request_id`` (= the transcript's
  ``requestId``), tokens and ``cost_usd``: ``cost()`` reports Claude Code's own figure beside its
  computed one, joined on ``request_id``;
- ``user_prompt`` -> UserPromptSubmit; everything else (``tool_decision``, ``api_error``,
  ``hook_execution_complete`` — what hooks really cost in the field —, ``permission_mode_changed``,
  ``retention_sweep``, ...) -> ``otel.<name>`` rows with every attribute under ``data``.

OTLP/HTTP JSON always; protobuf when the ``opentelemetry-proto`` package is installed.

The receiver listens on this machine, where every web page the user opens can send it requests, and
anything able to reach the port can send it anything. So it takes only what an OTLP exporter sends:
``POST /v1/logs`` with an OTLP content type (``application/json`` or ``application/x-protobuf``), a
``Content-Length`` within :data:`MAX_BODY_BYTES`, no ``Origin`` or ``Sec-Fetch-*`` header (only
browsers send those), and, on a loopback address, a loopback ``Host`` (a page that rebinds its own
name to 127.0.0.1 is refused). Each request is bounded in records, in idle time between bytes and in
total time to arrive. Every string of every record is redacted, outside the trail's lock; a request
is written whole, in one append, or not at all (a bad value anywhere refuses all of it, so the
exporter's retry makes no duplicates). Telemetry is another witness, never the record of a call:
see :func:`auditkit.analysis.views.tool_calls` for how the two are shown side by side.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

from auditkit.errors import MissingExtra, ReceiveError, UsageError
from auditkit.trail import appender
from auditkit.trail import format as tf
from auditkit.trail.redaction import Redactor

CAPTURE = "otel"
#: The content types an OTLP/HTTP exporter sends; a browser can send neither without a CORS preflight.
OTLP_TYPES = ("application/json", "application/x-protobuf")
#: Largest request body taken (the OpenTelemetry Collector's otlphttp receiver takes 20 MiB by default).
MAX_BODY_BYTES = 20 << 20
#: Most log records taken in one request (Claude Code's exporter sends batches of at most 512).
MAX_RECORDS = 10_000
#: Longest wait for the next bytes of a request, and for a whole request to arrive.
IDLE_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 60.0
#: Most connections served at once; more are closed unanswered.
MAX_CONNECTIONS = 32
#: Longest wait for the trail's lock before a request is refused (503, nothing written).
LOCK_WAIT_S = 10.0
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_NUMBERS = ("duration_ms", "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")


def any_value(v: object) -> object:
    """An OTLP ``AnyValue`` as a Python value (64-bit integers arrive as strings)."""
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        try:
            n = int(v["intValue"])
        except (TypeError, ValueError):
            return v["intValue"]
        return n if -(2**63) <= n < 2**63 else str(v["intValue"])  # OTLP's int is 64-bit
    if "doubleValue" in v:
        return v["doubleValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "arrayValue" in v:
        values = v["arrayValue"].get("values") if isinstance(v["arrayValue"], dict) else None
        return [any_value(x) for x in values] if isinstance(values, list) else []
    if "kvlistValue" in v:
        return attributes(v["kvlistValue"].get("values") if isinstance(v["kvlistValue"], dict) else None)
    return None


def attributes(items: object) -> dict:
    if not isinstance(items, list):
        return {}
    return {a["key"]: any_value(a.get("value")) for a in items if isinstance(a, dict) and isinstance(a.get("key"), str)}


def _number(value: object) -> float | None:
    try:
        n = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return n if n == n and n not in (float("inf"), float("-inf")) else None


def fields_from_log_record(record: dict, resource: dict) -> dict:
    """One OTLP log record of Claude Code as the fields of an auditkit record."""
    attrs = attributes(record.get("attributes"))
    body = any_value(record.get("body"))
    name = str(attrs.get("event.name") or (body if isinstance(body, str) else "")).removeprefix("claude_code.")
    data = {"otel_event": name, "attributes": attrs, "resource": resource, "time_unix_nano": record.get("timeUnixNano")}
    fields: dict = {"event": f"otel.{name}", "status": tf.STATUS_INFO, "capture": CAPTURE, "agent": tf.AGENT}
    for key, to in (
        ("session.id", "session_id"),
        ("prompt.id", "prompt_id"),
        ("tool_name", "tool_name"),
        ("tool_use_id", "tool_use_id"),
        ("model", "model"),
        ("request_id", "request_id"),
    ):
        if isinstance(attrs.get(key), str):
            fields[to] = attrs[key]
    for key in _NUMBERS:
        n = _number(attrs.get(key))
        if n is not None:
            fields[key] = int(n) if key.endswith("_tokens") else n
    if name == "tool_result":
        ok = str(attrs.get("success", "true")).lower() != "false"
        fields["event"] = "PostToolUse" if ok else "PostToolUseFailure"
        fields["status"] = tf.STATUS_OK if ok else tf.STATUS_ERROR
        if not ok and attrs.get("error_type"):
            fields["error"] = str(attrs["error_type"])
    elif name == "api_request":
        fields["event"] = "api_request"
    elif name == "api_error":
        fields["status"] = tf.STATUS_ERROR
    elif name == "user_prompt":
        fields["event"] = "UserPromptSubmit"
        if isinstance(attrs.get("prompt"), str):
            data["prompt"] = attrs["prompt"]
    elif name == "tool_decision" and str(attrs.get("decision")) == "reject":
        fields["status"] = tf.STATUS_DENIED
    fields["data"] = data
    return fields


def records_from_otlp(doc: dict, max_records: int = MAX_RECORDS) -> list[dict]:
    """Every log record of an OTLP logs request (``{"resourceLogs": [...]}``), as auditkit record fields.

    :class:`Refused` when a part is not of its OTLP type (400) or there are more than ``max_records`` (413)."""

    def items(parent: object, key: str) -> list:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            raise Refused(400, f"{key} is not a list")
        return value

    out: list[dict] = []
    try:
        for rl in items(doc, "resourceLogs"):
            resource = attributes(items((rl or {}).get("resource") if isinstance(rl, dict) else None, "attributes"))
            for sl in items(rl, "scopeLogs"):
                for lr in items(sl, "logRecords"):
                    if not isinstance(lr, dict):
                        raise Refused(400, "a log record is not an object")
                    if len(out) >= max_records:
                        raise Refused(413, f"more than {max_records:,} log records in one request")
                    out.append(fields_from_log_record(lr, resource))
    except (TypeError, AttributeError, RecursionError) as exc:
        raise Refused(400, f"not an OTLP logs request ({type(exc).__name__}: {exc})") from None
    return out


class Refused(ReceiveError):
    """A request the receiver will not take, with the HTTP status that says why; nothing of it is written."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def prepare_records(fields_list: list[dict], redact: bool = True) -> list[dict]:
    """Every record redacted (every string in every field, not only ``data``) and checked to encode as a trail
    record; :class:`Refused` (400) if any one cannot be, so that a request is taken whole or not at all."""
    redactor = None
    if redact:
        redactor = Redactor.default()
    out = []
    for i, fields in enumerate(fields_list):
        try:
            if redactor is not None:
                keyed, named = _redact_keys(fields, redactor)  # an attribute's name is the sender's text too
                clean, n = redactor.redact_value(keyed)
                fields = cast(dict, clean)  # redact_value keeps a dict a dict
                fields["redactions"] = n + named
            tf.encode_record(0, "1970-01-01T00:00:00.000000Z", "0" * tf.HASH_HEX_LEN, fields)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            message = f"log record {i}: {type(exc).__name__}: {exc}; nothing of this request was written"
            raise Refused(400, message) from None
        out.append(fields)
    return out


def _redact_keys(value: object, redactor: Redactor) -> tuple[object, int]:
    """``value`` with every dict key redacted (the rules leave keys alone: in the hook's payloads they are
    Claude Code's; here they are whatever the sender named its attributes); and how many were replaced."""
    if isinstance(value, dict):
        out, count = {}, 0
        for key, item in value.items():
            key, n = redactor.redact_value(key) if isinstance(key, str) else (key, 0)
            out[key], m = _redact_keys(item, redactor)
            count += n + m
        return out, count
    if isinstance(value, list):
        pairs = [_redact_keys(item, redactor) for item in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    return value, 0


def append_records(trail: str | Path, fields_list: list[dict], redact: bool = True) -> int:
    """Redact and append records to the trail, all in one write (chained, under its lock); return how many."""
    records = prepare_records(fields_list, redact)
    if records:
        appender.append_batch(str(trail), records, LOCK_WAIT_S)
    return len(records)


#: How many objects, lists or messages a request may hold per record it may hold (Claude Code's records have
#: ~10-25 attributes, each two or three objects). Decoded, each is a Python object: without a bound, 20 MiB of
#: ``{},`` becomes 7 million dicts (555 MB) and 20 MiB of empty protobuf messages 723 MB.
_PARTS_PER_RECORD = 64

# which fields of which OTLP logs message are messages (opentelemetry/proto/logs/v1, common/v1, resource/v1)
_PB_MESSAGES = {
    "request": {1: "resource_logs"},
    "resource_logs": {1: "resource", 2: "scope_logs"},
    "resource": {1: "key_value"},
    "scope_logs": {1: "scope", 2: "log_record"},
    "scope": {3: "key_value"},
    "log_record": {5: "any_value", 6: "key_value"},
    "key_value": {2: "any_value"},
    "any_value": {5: "array", 6: "key_value_list"},
    "array": {1: "any_value"},
    "key_value_list": {1: "key_value"},
}


def _parts_budget(max_records: int) -> int:
    return _PARTS_PER_RECORD * max_records + 1024


def _check_json_parts(body: bytes, budget: int) -> None:
    """Refuse (413) a JSON body with more objects and lists than ``budget`` (a bound: brackets in strings count)."""
    if body.count(b"{") + body.count(b"[") > budget:
        raise Refused(413, f"more than {budget:,} JSON objects and lists in one request")


def _check_protobuf_parts(body: bytes, budget: int) -> None:
    """Walk the protobuf wire format (no object made) and refuse (413) a body of more than ``budget`` messages,
    or (400) one that is not well formed."""

    def varint(i: int, end: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            if i >= end or shift > 63:
                raise Refused(400, "not an OTLP protobuf ExportLogsServiceRequest (a cut varint)")
            byte = body[i]
            value |= (byte & 0x7F) << shift
            i, shift = i + 1, shift + 7
            if byte < 0x80:
                return value, i

    count = 0
    stack = [("request", 0, len(body))]
    while stack:
        kind, i, end = stack.pop()
        messages = _PB_MESSAGES.get(kind, {})
        while i < end:
            key, i = varint(i, end)
            wire = key & 7
            if wire == 0:
                i = varint(i, end)[1]
            elif wire in (1, 5):
                i += 8 if wire == 1 else 4
            elif wire == 2:
                n, i = varint(i, end)
                if key >> 3 in messages:
                    count += 1
                    if count > budget:
                        raise Refused(413, f"more than {budget:,} protobuf messages in one request")
                    stack.append((messages[key >> 3], i, i + n))
                i += n
            else:
                raise Refused(400, f"not an OTLP protobuf ExportLogsServiceRequest (wire type {wire})")
        if i != end:
            raise Refused(400, "not an OTLP protobuf ExportLogsServiceRequest (a field runs past its message)")


def _decode(body: bytes, content_type: str, max_records: int = MAX_RECORDS) -> dict:
    if content_type == "application/x-protobuf":
        _check_protobuf_parts(body, _parts_budget(max_records))
        try:
            from google.protobuf.json_format import MessageToDict
            from google.protobuf.message import DecodeError
            from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
        except ImportError as exc:
            extra = MissingExtra("OTLP protobuf (or send http/json)", "otel", "opentelemetry-proto")
            raise Refused(415, str(extra)) from exc
        request = logs_service_pb2.ExportLogsServiceRequest()
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise Refused(400, f"not an OTLP protobuf ExportLogsServiceRequest ({exc})") from None
        return MessageToDict(request)
    _check_json_parts(body, _parts_budget(max_records))
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise Refused(400, f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise Refused(400, "an OTLP logs request is a JSON object with resourceLogs")
    return doc


def refusal(headers: object, loopback: bool) -> Refused | None:
    """Why a request is refused before its body is read, from its headers alone (None: read it)."""
    get = headers.get  # type: ignore[attr-defined]
    browser = any(str(k).lower().startswith("sec-fetch-") for k in headers)  # type: ignore[attr-defined]
    if browser or get("Origin") is not None:
        return Refused(403, "a request from a web browser (Origin or Sec-Fetch header): only OTLP exporters are taken")
    if loopback:
        host = (get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]", 1)[0] + "]"
        if name not in _LOOPBACK_HOSTS:
            return Refused(403, f"Host {host!r} is not this machine's loopback name (a rebound web page?)")
    kind = (get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if kind not in OTLP_TYPES:
        return Refused(415, f"Content-Type {kind or 'none'!r} is not OTLP's ({' or '.join(OTLP_TYPES)})")
    if (get("Content-Encoding") or "identity").strip().lower() != "identity":
        return Refused(415, "compressed requests are not taken: send them uncompressed")
    if get("Transfer-Encoding") is not None:
        return Refused(411, "a Content-Length is needed (no chunked requests)")
    return None


def body_length(headers: object, max_body_bytes: int) -> int:
    """The request's ``Content-Length``, or :class:`Refused`: missing (411), not a whole number >= 0 (400),
    larger than ``max_body_bytes`` (413)."""
    raw = headers.get_all("Content-Length") or []  # type: ignore[attr-defined]
    if not raw:
        raise Refused(411, "a Content-Length is needed")
    if len(raw) > 1 or not raw[0].strip().isdigit() or not raw[0].strip().isascii():
        raise Refused(400, f"Content-Length {', '.join(raw)!r} is not one whole number")
    length = int(raw[0])
    if length > max_body_bytes:
        raise Refused(413, f"{length:,} bytes is more than the {max_body_bytes:,} taken in one request")
    return length


class Receiver(ThreadingHTTPServer):
    """The OTLP/HTTP server: a thread per connection, at most ``max_connections`` at once."""

    daemon_threads = True
    max_connections = MAX_CONNECTIONS
    request_queue_size = 64  # the listen backlog: connections past the cap are accepted and closed, not left waiting

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._active = 0
        self._count = threading.Lock()

    def process_request(self, request: object, client_address: object) -> None:
        with self._count:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            self.shutdown_request(request)  # type: ignore[arg-type]
            return
        super().process_request(request, client_address)  # type: ignore[arg-type]

    def process_request_thread(self, request: object, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[arg-type]
        finally:
            with self._count:
                self._active -= 1


def make_server(
    trail: str | Path,
    host: str = "127.0.0.1",
    port: int = 4318,
    redact: bool = True,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_records: int = MAX_RECORDS,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    request_timeout_s: float = REQUEST_TIMEOUT_S,
) -> Receiver:
    """An OTLP/HTTP logs receiver (``POST /v1/logs``) appending to ``trail``; call ``serve_forever()`` on it.

    See the module docstring for what it refuses; the limits are its keyword arguments."""
    limits = (max_body_bytes, max_records, idle_timeout_s, request_timeout_s)
    if not all(isinstance(x, (int, float)) and x > 0 for x in limits):
        raise UsageError(f"the receiver's limits must be positive numbers, not {limits}")
    lock = threading.Lock()
    loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")

    class Handler(BaseHTTPRequestHandler):
        timeout = idle_timeout_s  # the socket's: no wait for the next bytes is longer

        def setup(self) -> None:
            super().setup()
            # the whole request must arrive in time, however slowly its bytes trickle in
            self._cutoff = threading.Timer(request_timeout_s, self._cut_off)
            self._cutoff.daemon = True
            self._cutoff.start()

        def _cut_off(self) -> None:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def finish(self) -> None:
            self._cutoff.cancel()
            with contextlib.suppress(OSError):
                super().finish()

        def do_POST(self) -> None:
            self.close_connection = True  # one request a connection: limits and deadline are per request
            try:
                if not self.path.rstrip("/").endswith("/v1/logs"):
                    raise Refused(404, "only /v1/logs is received here")
                refused = refusal(self.headers, loopback)
                if refused:
                    raise refused
                length = body_length(self.headers, max_body_bytes)
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the client went away (or was cut off): nothing to answer, nothing written
                self._cutoff.cancel()  # it arrived; what follows is the receiver's own time
                kind = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                records = prepare_records(records_from_otlp(_decode(body, kind, max_records), max_records), redact)
                del body
                with lock:
                    if records:
                        appender.append_batch(str(trail), records, LOCK_WAIT_S)
            except Refused as exc:
                return self._reply(exc.status, {"error": str(exc)})
            except TimeoutError as exc:
                if "locked" not in str(exc):
                    raise
                return self._reply(503, {"error": str(exc)})
            self._reply(200, {"partialSuccess": {}})

        def do_OPTIONS(self) -> None:  # a browser's CORS preflight: no CORS headers, so no request follows
            self.close_connection = True
            self._reply(403, {"error": "no cross-origin requests"})

        def _reply(self, code: int, doc: dict) -> None:
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"auditkit otel-receive: {self.address_string()} {format % args}\n")

    return Receiver((host, port), Handler)


def otel_receive(
    trail: str | Path,
    host: str = "127.0.0.1",
    port: int = 4318,
    redact: bool = True,
    *,
    listening: Callable[[str, int], None] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_records: int = MAX_RECORDS,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    request_timeout_s: float = REQUEST_TIMEOUT_S,
) -> None:
    """Receive OTLP/HTTP logs into ``trail`` until interrupted (``KeyboardInterrupt``), then close the socket.

    ``auditkit otel-receive``'s twin: :func:`make_server` (the limits are its keyword arguments) served in the
    calling thread; ``listening(host, port)`` is called once the socket is bound (port 0 picks a free one).
    Stopping on signals is the caller's choice: the command line turns SIGINT and SIGTERM into an interrupt."""
    server = make_server(
        trail,
        host,
        port,
        redact,
        max_body_bytes=max_body_bytes,
        max_records=max_records,
        idle_timeout_s=idle_timeout_s,
        request_timeout_s=request_timeout_s,
    )
    try:
        bound_host, bound_port = server.server_address[:2]
        if listening is not None:
            listening(str(bound_host), int(bound_port))
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
