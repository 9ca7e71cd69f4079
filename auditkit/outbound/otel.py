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
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from auditkit.errors import MissingExtra, ReceiveError
from auditkit.trail import appender
from auditkit.trail import format as tf
from auditkit.trail.redaction import Redactor

CAPTURE = "otel"
_NUMBERS = ("duration_ms", "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")


def any_value(v: object) -> object:
    """An OTLP ``AnyValue`` as a Python value (64-bit integers arrive as strings)."""
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return v["intValue"]
    if "doubleValue" in v:
        return v["doubleValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "arrayValue" in v:
        return [any_value(x) for x in (v["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in v:
        return attributes((v["kvlistValue"] or {}).get("values", []))
    return None


def attributes(items: object) -> dict:
    return {a["key"]: any_value(a.get("value")) for a in items or [] if isinstance(a, dict) and "key" in a}


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


def records_from_otlp(doc: dict) -> list[dict]:
    """Every log record of an OTLP logs request (``{"resourceLogs": [...]}``), as auditkit record fields."""
    out = []
    for rl in doc.get("resourceLogs") or []:
        resource = attributes(((rl or {}).get("resource") or {}).get("attributes"))
        for sl in (rl or {}).get("scopeLogs") or []:
            for lr in (sl or {}).get("logRecords") or []:
                if isinstance(lr, dict):
                    out.append(fields_from_log_record(lr, resource))
    return out


def append_records(trail: str | Path, fields_list: list[dict], redact: bool = True) -> int:
    """Redact and append records to the trail (chained, under its lock); return how many."""
    redactor = None
    if redact:
        redactor = Redactor.default()
    for fields in fields_list:
        if redactor is not None:
            fields["data"], n = redactor.redact_value(fields["data"])
            fields["redactions"] = n
        appender.append(str(trail), lambda seq, ts, f=fields: f)
    return len(fields_list)


def _decode(body: bytes, content_type: str) -> dict:
    if "protobuf" in content_type:
        try:
            from google.protobuf.json_format import MessageToDict
            from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
        except ImportError as exc:
            raise MissingExtra("OTLP protobuf (or send http/json)", "otel", "opentelemetry-proto") from exc
        request = logs_service_pb2.ExportLogsServiceRequest()
        request.ParseFromString(body)
        return MessageToDict(request)
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ReceiveError("an OTLP logs request is a JSON object with resourceLogs")
    return doc


def make_server(
    trail: str | Path, host: str = "127.0.0.1", port: int = 4318, redact: bool = True
) -> ThreadingHTTPServer:
    """An OTLP/HTTP logs receiver (``POST /v1/logs``) appending to ``trail``; call ``serve_forever()`` on it."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/v1/logs"):
                return self._reply(404, {"error": "only /v1/logs is received here"})
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                records = records_from_otlp(_decode(body, self.headers.get("Content-Type", "")))
            except (ValueError, MissingExtra) as exc:
                return self._reply(400 if "JSON" in str(exc) or "object" in str(exc) else 415, {"error": str(exc)})
            with lock:
                append_records(trail, records, redact)
            self._reply(200, {"partialSuccess": {}})

        def _reply(self, code: int, doc: dict) -> None:
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"auditkit otel-receive: {self.address_string()} {format % args}\n")

    return ThreadingHTTPServer((host, port), Handler)
