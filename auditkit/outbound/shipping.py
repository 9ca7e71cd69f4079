"""``auditkit ship``: send a trail to the monitoring stack a company already runs.

Four receivers, each in its documented request shape: an OpenTelemetry OTLP/HTTP JSON logs endpoint
(``/v1/logs``; a record is a log record, its fields attributes, its ``event_id`` the
``log.record.uid``), Datadog's logs intake v2, Splunk's HTTP Event Collector, and Elasticsearch's
``_bulk`` API (``create`` with the ``event_id`` as ``_id``, so a record sent twice is stored once).

Delivery is at least once, with no duplicates on the kit's side: a cursor per trail (trail id, seq,
record hash) is advanced in the state file only after the receiver acknowledged a batch, so a second
run sends nothing new and a run killed mid-batch resends at most that batch. The cursor follows the
chain, not a file, so it survives rotation by ``auditkit archive``; a trail whose record at the
cursor has another hash was rewritten, and nothing is sent. Batches are bounded in bytes and records
by each receiver's documented limits; 429 and 5xx are retried with backoff (``Retry-After`` honoured),
any other 4xx stops with the receiver's message. HTTPS only, unless ``insecure`` (a local collector).
Credentials come from environment variables, never from the command line or the trail.

The receiver is not trusted to tell the truth. A redirect is not followed (the credentials would go
with it, perhaps to another host or to plain http): it is a refusal, and the cursor stays. An
acknowledgement is a 2xx from the configured URL whose body reads as that receiver's answer. Each
batch has one deadline for all its tries (``deadline_s``), so a receiver that answers one byte at a
time cannot hold a run. A state file whose cursor names a record the trail does not hold (edited to
a seq past the trail's end, say) is refused, naming the file, before anything is skipped as sent.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from auditkit._version import __version__
from auditkit.custody.pii import Detector, choice
from auditkit.custody.seals import seal_log_path
from auditkit.custody.verify import unchained_format
from auditkit.errors import MissingExtra, ShipError, extra_import
from auditkit.outbound.schemas import SCHEMAS, ecs, ocsf
from auditkit.safe_text import visible
from auditkit.store.files import PathLike, expand, first_record, open_lines
from auditkit.store.names import is_seal_log
from auditkit.trail import format as tf
from auditkit.trail import private_files

#: Environment variables the receivers' credentials are read from.
CREDENTIALS = {
    "otlp": "OTEL_EXPORTER_OTLP_LOGS_HEADERS or OTEL_EXPORTER_OTLP_HEADERS (key=value,... as OpenTelemetry reads them)",
    "datadog": "DD_API_KEY",
    "splunk": "SPLUNK_HEC_TOKEN",
    "elastic": "ELASTIC_API_KEY, or ELASTIC_USERNAME and ELASTIC_PASSWORD",
}


@dataclass(frozen=True)
class Record:
    """One trail record as read: its line (exact bytes), parsed fields, and where it sits in its chain."""

    trail_id: str
    seq: int
    hash: str
    line: bytes
    fields: dict
    #: "record", or "seal": a line of the trail's seal log (a seal, a retirement, a TSA's token), ``seq`` its
    #: line number from 0 and ``hash`` its SHA-256, with a cursor of its own (:attr:`cursor_key`)
    kind: str = "record"

    @property
    def event_id(self) -> str:
        if self.kind == "seal":
            return f"{self.trail_id}:seals:{self.seq}"
        return f"{self.trail_id}:{self.seq}"  # as auditkit.load() names it

    @property
    def cursor_key(self) -> str:
        return self.trail_id if self.kind == "record" else f"{self.trail_id}#seals"


# --- the receivers ---------------------------------------------------------------------------------


class Receiver:
    """A receiver's path, limits, credentials and request body."""

    name = ""
    path = ""
    content_type = "application/json"
    max_batch_bytes = 4 << 20
    max_batch_records = 1000
    max_record_bytes = 1 << 20
    schema = "auditkit"  # the kit's own record shape; "ocsf" or "ecs" maps each record (``--schema``)

    def shaped(self, record: Record) -> dict:
        """The record as this receiver's document in the chosen schema (the kit's own: :func:`_doc`)."""
        return shaped(record, self.max_record_bytes, self.schema)

    def endpoint(self, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        if parts.path in ("", "/"):
            parts = parts._replace(path=self.path)
        return urllib.parse.urlunsplit(parts)

    def headers(self, env: dict) -> dict:
        return {}

    def item(self, record: Record) -> bytes:  # one record's part of the body
        raise NotImplementedError

    def body(self, items: list[bytes]) -> bytes:
        raise NotImplementedError

    def check(self, status: int, body: bytes, sent: int) -> None:
        """Raise when an acknowledged request still refused records (a bulk API's per-item errors)."""

    def accepts(self, batch: list, batch_bytes: int, item: bytes, limit: int) -> bool:
        """Whether ``item`` still fits in ``batch`` (``batch_bytes`` so far) under this receiver's limits."""
        return batch_bytes + len(item) + 64 <= limit and len(batch) < self.max_batch_records

    def size(self, item: bytes) -> int:
        return len(item) + 1


def _doc(record: Record, limit: int) -> dict:
    """The record as a flat document: its fields, and where it sits in the chain. A record longer than
    the receiver takes (``limit`` bytes) is sent as its key fields and the size and SHA-256 of the whole."""
    doc = {k: v for k, v in record.fields.items() if k not in ("v", "prev")}
    doc.update(event_id=record.event_id, trail_id=record.trail_id)
    if len(record.line) > limit:
        keep = (
            "ts",
            "seq",
            "hash",
            "event",
            "session_id",
            "tool_name",
            "tool_use_id",
            "status",
            "user",
            "host",
            "agent",
            "event_id",
            "trail_id",
        )
        doc = {k: doc[k] for k in keep if k in doc}
        doc["auditkit_truncated"] = {"bytes": len(record.line), "sha256": hashlib.sha256(record.line).hexdigest()}
    return doc


def shaped(record: Record, limit: int, schema: str) -> dict:
    """``record`` as one document of ``schema`` (auditkit, ocsf or ecs). A line longer than ``limit`` bytes
    is mapped from its key fields, with its size and SHA-256 in place of the original."""
    doc = _doc(record, limit)
    if schema == "auditkit":
        return doc
    truncated = doc.pop("auditkit_truncated", None)
    fields, raw = (doc, None) if truncated else (record.fields, record.line)
    if schema == "ocsf":
        return ocsf.event(fields, record.event_id, raw, truncated=truncated)
    return ecs.document(fields, record.event_id, record.trail_id, raw, truncated=truncated)


def _ts_ns(ts: str) -> int:
    from datetime import datetime

    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def _otlp_value(value: object) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return {"intValue": str(value)}  # int64 is a string in OTLP JSON
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if value is None:
        return {}
    return {"stringValue": json.dumps(value, ensure_ascii=False, default=str)}  # nested values as JSON text


class Otlp(Receiver):
    """OTLP/HTTP with JSON encoding: ``ExportLogsServiceRequest`` to ``/v1/logs``."""

    name, path = "otlp", "/v1/logs"
    max_batch_bytes = 4 << 20  # the Collector's otlphttp receiver accepts far more; shippers send ~1-5 MB

    def headers(self, env: dict) -> dict:
        raw = env.get("OTEL_EXPORTER_OTLP_LOGS_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or ""
        out = {}
        for pair in filter(None, (p.strip() for p in raw.split(","))):
            key, _, value = pair.partition("=")
            out[urllib.parse.unquote(key.strip())] = urllib.parse.unquote(value.strip())
        return out

    def item(self, record: Record) -> bytes:
        doc = self.shaped(record)
        attributes = [{"key": "log.record.uid", "value": {"stringValue": record.event_id}}]
        if self.schema != "auditkit":  # the mapped document is the body; its schema and class as attributes
            attributes.append({"key": "auditkit.schema", "value": {"stringValue": self.schema}})
            if "class_uid" in doc:
                attributes.append({"key": "ocsf.class_uid", "value": {"intValue": str(doc["class_uid"])}})
            doc = {"_body": orjson.dumps(doc).decode()}
        for key, value in doc.items():
            if key == "_body":
                continue
            if key in ("event_id",) or value is None:
                continue
            attributes.append({"key": f"auditkit.{key}", "value": _otlp_value(value)})
        ts = str(_ts_ns(str(record.fields.get("ts"))))
        failed = record.fields.get("event") in ("PostToolUseFailure", "hook_error")
        log = {
            "timeUnixNano": ts,
            "observedTimeUnixNano": ts,
            "severityNumber": 13 if failed else 9,  # WARN, INFO
            "severityText": "WARN" if failed else "INFO",
            "body": {"stringValue": doc.get("_body") or record.line.decode("utf-8", "replace").rstrip("\n")},
            "attributes": attributes,
        }
        return orjson.dumps(log)

    def body(self, items: list[bytes]) -> bytes:
        resource = {
            "attributes": [
                {"key": "service.name", "value": {"stringValue": "auditkit"}},
                {"key": "service.version", "value": {"stringValue": __version__}},
            ]
        }
        scope = {"name": "auditkit", "version": __version__}
        # {"resourceLogs":[{"resource":...,"scopeLogs":[{"scope":...,"logRecords":[...]}]}]}, records pre-encoded
        return (
            b'{"resourceLogs":[{"resource":'
            + orjson.dumps(resource)
            + b',"scopeLogs":[{"scope":'
            + orjson.dumps(scope)
            + b',"logRecords":['
            + b",".join(items)
            + b"]}]}]}"
        )

    def check(self, status: int, body: bytes, sent: int) -> None:
        doc = _json_object_or_empty(body, "an OTLP collector (an ExportLogsServiceResponse)")
        rejected = int((doc.get("partialSuccess") or {}).get("rejectedLogRecords") or 0)
        if rejected:
            message = (doc.get("partialSuccess") or {}).get("errorMessage") or ""
            raise ShipError(f"the collector rejected {rejected} of {sent} log records: {message}")


class Datadog(Receiver):
    """Datadog logs intake v2: a JSON array; at most 1,000 logs and 5 MB a request, 1 MB a log."""

    name, path = "datadog", "/api/v2/logs"
    max_batch_bytes = 5_000_000 - 4096
    max_batch_records = 1000
    max_record_bytes = 1_000_000 - 4096

    def headers(self, env: dict) -> dict:
        key = env.get("DD_API_KEY")
        if not key:
            raise ShipError("Datadog needs its API key in the DD_API_KEY environment variable")
        return {"DD-API-KEY": key}

    def item(self, record: Record) -> bytes:
        doc = self.shaped(record)
        if self.schema != "auditkit":  # the mapped document at the top level, as Datadog's OCSF/ECS pipelines read it
            host = record.fields.get("host")
            head = {"ddsource": "auditkit", "service": "claude-code", "hostname": host, "date": record.fields.get("ts")}
            head["ddtags"] = f"trail_id:{record.trail_id},event:{record.fields.get('event')},schema:{self.schema}"
            return orjson.dumps({**doc, **head})
        host = doc.get("host")
        out = {
            "ddsource": "auditkit",
            "service": "claude-code",
            "hostname": host,
            "ddtags": f"trail_id:{record.trail_id},event:{doc.get('event')}",
            "message": record.line.decode("utf-8", "replace").rstrip("\n") if "auditkit_truncated" not in doc else "",
            "date": doc.get("ts"),
            "auditkit": doc,
        }
        return orjson.dumps(out)

    def body(self, items: list[bytes]) -> bytes:
        return b"[" + b",".join(items) + b"]"

    def check(self, status: int, body: bytes, sent: int) -> None:
        _json_object_or_empty(body, "Datadog's logs intake (202 and {})")


class Splunk(Receiver):
    """Splunk HTTP Event Collector: concatenated event objects; its default request cap is 1 MB."""

    name, path = "splunk", "/services/collector/event"
    max_batch_bytes = 1_000_000 - 4096
    max_batch_records = 10_000
    max_record_bytes = 1_000_000 - 8192

    def headers(self, env: dict) -> dict:
        token = env.get("SPLUNK_HEC_TOKEN")
        if not token:
            raise ShipError("Splunk HEC needs its token in the SPLUNK_HEC_TOKEN environment variable")
        return {"Authorization": f"Splunk {token}"}

    def item(self, record: Record) -> bytes:
        doc = self.shaped(record)
        event = {
            "time": round(_ts_ns(str(record.fields.get("ts"))) / 1e9, 6),
            "host": record.fields.get("host"),
            "source": f"auditkit:{record.trail_id}",
            "sourcetype": "_json",
            "event": doc,
        }
        return orjson.dumps(event)

    def body(self, items: list[bytes]) -> bytes:
        return b"\n".join(items)

    def check(self, status: int, body: bytes, sent: int) -> None:
        doc = _json_object_or_empty(body, 'Splunk HEC ({"text":"Success","code":0})')
        if "code" not in doc:
            raise ShipError(f"the receiver answered 2xx but not as Splunk HEC does: {body[:200]!r}; no acknowledgement")
        if doc.get("code") != 0:
            raise ShipError(f"Splunk HEC refused the batch: {doc.get('text')} (code {doc.get('code')})")


def _json_object_or_empty(body: bytes, who: str) -> dict:
    """The receiver's answer as a JSON object (empty: ``{}``); anything else (a login page, a proxy's HTML
    answered with 200) is no acknowledgement."""
    if not body.strip():
        return {}
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        raise ShipError(
            f"the receiver answered 2xx but not as {who} does: {body[:200]!r}; "
            "this is no acknowledgement, and the cursor stays before the batch"
        )
    return doc


class Elastic(Receiver):
    """Elasticsearch ``_bulk``: ``create`` actions keyed by ``event_id`` (stored once, however often sent)."""

    name, path = "elastic", "/_bulk"
    content_type = "application/x-ndjson"
    max_batch_bytes = 10 << 20  # Elastic's advice: 5-15 MB a bulk request (http.max_content_length is 100 MB)
    max_batch_records = 5000
    index = "auditkit-trail"

    def headers(self, env: dict) -> dict:
        if env.get("ELASTIC_API_KEY"):
            return {"Authorization": f"ApiKey {env['ELASTIC_API_KEY']}"}
        if env.get("ELASTIC_USERNAME") and env.get("ELASTIC_PASSWORD"):
            pair = f"{env['ELASTIC_USERNAME']}:{env['ELASTIC_PASSWORD']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        raise ShipError(
            "Elasticsearch needs ELASTIC_API_KEY, or ELASTIC_USERNAME and ELASTIC_PASSWORD, in the environment"
        )

    def item(self, record: Record) -> bytes:
        doc = self.shaped(record)
        doc.setdefault("@timestamp", record.fields.get("ts"))
        # one index per shape (the kit's own, OCSF, ECS): their fields would clash in one mapping
        index = self.index if self.schema == "auditkit" else f"auditkit-{self.schema}"
        action = {"create": {"_index": index, "_id": record.event_id}}
        return orjson.dumps(action) + b"\n" + orjson.dumps(doc) + b"\n"

    def body(self, items: list[bytes]) -> bytes:
        return b"".join(items)

    def check(self, status: int, body: bytes, sent: int) -> None:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("items"), list) or "errors" not in doc:
            raise ShipError(
                f"the receiver did not answer as Elasticsearch's bulk API does: {body[:200]!r}; "
                "this is no acknowledgement, and the cursor stays before the batch"
            )
        if not doc.get("errors"):
            return
        failed = []
        retry = False
        for item in doc.get("items", []):
            result = next(iter(item.values()), {})
            code = int(result.get("status", 0))
            if code == 409:  # version conflict: this event_id is stored already (a batch sent again)
                continue
            if code >= 300:
                failed.append(result)
                retry = retry or code == 429 or code >= 500
        if failed:
            first = failed[0].get("error") or {}
            message = f"{len(failed)} of {sent} records refused, first: {first.get('type')}: {first.get('reason')}"
            raise _Retry(message) if retry else ShipError(f"Elasticsearch: {message}")


class CloudWatch(Receiver):
    """CloudWatch Logs ``PutLogEvents`` through boto3 (the ``aws`` extra), to ``cloudwatch://GROUP/STREAM``.

    A batch holds at most 10,000 events and 1,048,576 bytes counting 26 bytes per event, spans less than
    24 hours, and goes in time order; an event's message is at most 256 KiB (with its 26 bytes), so a
    longer record goes as its key fields plus its size and SHA-256. A message is the record's exact line
    (the kit's own shape: its hash can be checked against it) or the mapped document (``--schema``). An
    event's timestamp is the record's, kept inside what PutLogEvents takes (not older than 14 days nor
    more than 2 hours ahead, not earlier than the event before it in the batch): the record's own time
    stays in the message. Throttling and 5xx are retried under the batch's deadline; a batch with rejected
    events is not acknowledged."""

    name = "cloudwatch"
    max_batch_bytes = 1_048_576
    max_batch_records = 10_000
    overhead = 26
    max_record_bytes = 256 * 1024 - 26
    max_span_ms = 24 * 3600 * 1000 - 1
    answer_keys = frozenset({"nextSequenceToken", "rejectedLogEventsInfo", "rejectedEntityInfo"})
    retryable = ("ThrottlingException", "ServiceUnavailableException", "LimitExceededException", "RequestLimitExceeded")

    def __init__(self) -> None:
        self.group = self.stream = ""
        self.client: object = None
        self.last_body: bytes | None = None
        self.now_ms = int(time.time() * 1000)

    @staticmethod
    def target(url: str) -> tuple[str, str]:
        """(group, stream) of ``cloudwatch://GROUP/STREAM``; the group may hold slashes (/aws/claude-code)."""
        rest = url[len("cloudwatch://") :]
        group, _, stream = rest.rpartition("/")
        if not group or not stream:
            raise ShipError(f"{url}: give the log group and stream as cloudwatch://GROUP/STREAM")
        return group, stream

    def connect(self, url: str, region: str | None, endpoint_url: str | None, timeout_s: float) -> None:
        try:
            import boto3  # optional extra: only CloudWatch needs it
            from botocore.config import Config  # optional extra, with boto3
        except ImportError:
            raise MissingExtra("CloudWatch Logs", "aws", "boto3") from None
        self.group, self.stream = self.target(url)
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=timeout_s, read_timeout=timeout_s)
        self.client = boto3.client("logs", region_name=region, endpoint_url=endpoint_url, config=config)
        self.client.meta.events.register("before-parse.cloudwatch-logs.PutLogEvents", self._keep_body)  # type: ignore[attr-defined]

    def _keep_body(self, response_dict: dict, **kwargs: object) -> None:
        """The raw answer to PutLogEvents, kept to check it is CloudWatch's (botocore forgives too much)."""
        body = response_dict.get("body")
        self.last_body = body[:65536] if isinstance(body, bytes) and response_dict.get("status_code") == 200 else None

    def ensure(self) -> None:
        """Create the log group and stream where they do not exist and the credentials allow; a refusal here is
        not fatal (they may exist already, made by an administrator): PutLogEvents says if they do not."""
        with extra_import("ship --to cloudwatch://", "aws"):
            from botocore.exceptions import ClientError

        for call, kwargs in (
            ("create_log_group", {"logGroupName": self.group}),
            ("create_log_stream", {"logGroupName": self.group, "logStreamName": self.stream}),
        ):
            try:
                getattr(self.client, call)(**kwargs)
            except ClientError as exc:
                if _aws_code(exc) not in ("ResourceAlreadyExistsException", "AccessDeniedException"):
                    raise ShipError(f"CloudWatch Logs {call}: {_aws_code(exc)}: {_aws_message(exc)}") from None

    def item(self, record: Record) -> bytes:
        if self.schema == "auditkit" and len(record.line) - 1 <= self.max_record_bytes:
            message = record.line.rstrip(b"\n")
        else:
            message = orjson.dumps(shaped(record, self.max_record_bytes, self.schema))
            if len(message) > self.max_record_bytes:  # the mapped document (raw_data beside it) is too long
                message = orjson.dumps(shaped(record, 0, self.schema))
        when = _ts_ns(str(record.fields.get("ts"))) // 1_000_000 if record.fields.get("ts") else self.now_ms
        when = min(max(when, self.now_ms - 14 * 86400_000 + 3600_000), self.now_ms + 3600_000)
        return str(when).encode() + b"\t" + message

    @staticmethod
    def split(item: bytes) -> tuple[int, bytes]:
        when, _, message = item.partition(b"\t")
        return int(when), message

    def size(self, item: bytes) -> int:
        return len(self.split(item)[1]) + self.overhead

    def accepts(self, batch: list, batch_bytes: int, item: bytes, limit: int) -> bool:
        if batch_bytes + self.size(item) > limit or len(batch) >= self.max_batch_records:
            return False
        first = self.split(batch[0])[0] if batch else self.split(item)[0]
        latest = max([self.split(i)[0] for i in batch[-1:]] + [self.split(item)[0]])
        return latest - first <= self.max_span_ms

    def events(self, batch: list[bytes]) -> list[dict]:
        out, latest = [], 0
        for item in batch:
            when, message = self.split(item)
            latest = max(latest, when)  # time order within the batch, as PutLogEvents requires
            out.append({"timestamp": latest, "message": message.decode("utf-8", "replace")})
        return out

    def send(self, batch: list[bytes], retries: int, backoff_s: float, deadline_s: float) -> int:
        with extra_import("ship --to cloudwatch://", "aws"):
            from botocore.exceptions import BotoCoreError, ClientError

        events = self.events(batch)
        at = time.monotonic() + deadline_s
        last = ""
        for attempt in range(retries + 1):
            wait = backoff_s * (2**attempt)
            try:
                answer = self.client.put_log_events(  # type: ignore[attr-defined]
                    logGroupName=self.group, logStreamName=self.stream, logEvents=events
                )
                answer = answer if isinstance(answer, dict) else {}
                # botocore takes a 200 whose body is not JSON (a portal's page) for an empty success: the
                # body itself must be a JSON object with no field CloudWatch Logs does not define
                body, self.last_body = self.last_body, None
                try:
                    doc = json.loads(body) if body else {}
                except ValueError:
                    doc = None
                odd = sorted(set(doc) - self.answer_keys) if isinstance(doc, dict) else ["(not a JSON object)"]
                if odd:
                    raise ShipError(
                        f"the endpoint answered PutLogEvents, not as CloudWatch Logs does ({visible(str(odd[:5]))}: "
                        f"{visible(repr((body or b'')[:120]))}); this is no acknowledgement, and the cursor stays"
                    )
                rejected = answer.get("rejectedLogEventsInfo") or answer.get("rejectedEntityInfo")
                if rejected:
                    raise ShipError(
                        f"CloudWatch Logs rejected events of the batch ({visible(json.dumps(rejected)[:300])}); "
                        "the cursor stays before it"
                    )
                return attempt
            except ClientError as exc:
                code = _aws_code(exc)
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                if code not in self.retryable and status < 500:
                    raise ShipError(
                        f"CloudWatch Logs refused the batch: {code}: {_aws_message(exc)} "
                        f"(group {self.group!r}, stream {self.stream!r}); the cursor stays before it"
                    ) from None
                last = f"{code}: {_aws_message(exc)}"
            except BotoCoreError as exc:  # connection refused or dropped, a read timeout
                last = f"{type(exc).__name__}: {str(exc)[:300]}"
            if attempt < retries and time.monotonic() + wait < at:
                time.sleep(wait)
            else:
                break
        raise ShipError(
            f"CloudWatch Logs did not take the batch within its deadline or tries ({last}); "
            "the cursor stays before it, so the next run sends it again"
        )


def _aws_code(exc: Exception) -> str:
    """The error code of an AWS answer, as the endpoint wrote it: shown with its controls escaped."""
    error = getattr(exc, "response", {}).get("Error", {})
    return visible(str(error.get("Code") or "")[:100])


def _aws_message(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return visible(str(error.get("Message") or "")[:300])


RECEIVERS: dict[str, Callable[[], Receiver]] = {
    "otlp": Otlp,
    "datadog": Datadog,
    "splunk": Splunk,
    "elastic": Elastic,
    "cloudwatch": CloudWatch,
}


_MAX_REPLY = 4 << 20


class _Retry(Exception):
    """A refusal worth sending again (429, 5xx, a dropped connection)."""


# --- reading trails in chain order -------------------------------------------------------------------


def trail_records(paths: PathLike | list[PathLike]) -> Iterator[Record]:
    """Every record of the auditkit trails among ``paths`` (segments too), trail by trail in chain order.
    Files of other formats (transcripts, seed logs) carry no chain to keep a cursor on: they are skipped."""
    heads = []
    for f in expand(paths):
        if is_seal_log(f) or unchained_format(f):
            continue
        first = first_record(f) or {}
        tid = tf.trail_id_of(first) if first.get("event") == tf.TRAIL_START else None
        if tid is None:
            continue  # not the start of a chain we can name: verify reports it
        heads.append((tid, first.get("seq") if isinstance(first.get("seq"), int) else 0, f))
    heads.sort(key=lambda h: (h[0], h[1], str(h[2])))
    yield from _records_of(heads)
    logs = {(tid, seal_log_path(f)) for tid, _, f in heads}
    for tid, log in sorted(logs, key=lambda t: (t[0], str(t[1]))):
        if log.is_file():
            yield from seal_records(tid, log)


def seal_records(trail_id: str, log: Path) -> Iterator[Record]:
    """The whole lines of a trail's seal log, as records of their own (``kind`` "seal"): each carries ``ts``
    (its date) and ``event`` (its type), so a receiver files it beside the trail's records. A seal log only
    grows, so its own cursor (line number and a running SHA-256 over every line so far) shows one rewritten
    anywhere before the cursor after it was shipped."""
    running = b""
    for n, line in enumerate(log.read_bytes().splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            return  # being written
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            body = {"type": "unreadable", "sha256": hashlib.sha256(line).hexdigest()}  # shipped, said so
        when = body.get("sealed_at") or body.get("retired_at") or body.get("gen_time")
        fields = {**body, "ts": when if isinstance(when, str) else None, "event": str(body.get("type"))}
        running = hashlib.sha256(running + hashlib.sha256(line.rstrip(b"\n")).digest()).digest()
        yield Record(trail_id, n, running.hex(), line, fields, "seal")


def _records_of(heads: list[tuple[str, int, Path]]) -> Iterator[Record]:
    for tid, _, f in heads:
        for line in open_lines(f):
            if not line.strip():
                continue
            try:
                fields = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a torn last line: verify names it; it is not a record to send
            if not isinstance(fields, dict) or "seq" not in fields or "hash" not in fields:
                continue
            yield Record(
                tid, int(fields["seq"]), str(fields["hash"]), line if line.endswith(b"\n") else line + b"\n", fields
            )


# --- the cursor ----------------------------------------------------------------------------------------


@dataclass
class Cursor:
    """Where shipping to one destination got to, per trail: the last acknowledged seq and its hash."""

    path: Path
    destination: str
    trails: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, destination: str) -> Cursor:
        if not path.exists():
            return cls(path, destination)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShipError(f"{path}: cannot read the shipping state ({exc})") from exc
        if not isinstance(doc, dict):
            raise ShipError(f"{path}: the shipping state is not a JSON object; move it aside to start again")
        if doc.get("destination") != destination:
            raise ShipError(
                f"{path}: this state belongs to {doc.get('destination')!r}, not {destination!r} "
                "(each destination keeps its own --state file)"
            )
        trails = doc.get("trails") or {}
        if not isinstance(trails, dict):
            raise ShipError(f"{path}: 'trails' is not an object; the shipping state was not written by auditkit")
        for tid, at in trails.items():
            seq = at.get("seq") if isinstance(at, dict) else None
            if type(seq) is not int or seq < 0 or not isinstance(at.get("hash"), str):
                raise ShipError(
                    f"{path}: the cursor of trail {tid!r} is not a seq and a hash ({at!r}); "
                    "the shipping state was edited; check it, or move it aside to send the trail again"
                )
        return cls(path, destination, dict(trails))

    def save(self) -> None:
        doc = {"destination": self.destination, "trails": self.trails, "updated": time.time()}
        private_files.write_atomic(str(self.path), json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")


def default_state(paths: list[str], destination: str) -> Path:
    """``.auditkit-ship-<hash>.json`` beside the first trail: one per destination, kept with the trail."""
    files = expand(paths)
    folder = files[0].parent if files else Path(".")
    return folder / f".auditkit-ship-{hashlib.sha256(destination.encode()).hexdigest()[:12]}.json"


# --- sending --------------------------------------------------------------------------------------------


@dataclass
class ShipResult:
    destination: str
    sent: int = 0
    batches: int = 0
    skipped: int = 0  # already acknowledged before this run
    retries: int = 0
    state: str = ""
    cursor: dict = field(default_factory=dict)
    pii: dict = field(default_factory=dict)  # the personal-data choice (--pii or [pii] outbound) and its counts

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def minimised(record: Record, detector: Detector, counts: Counter) -> Record:
    """``record`` with its payload minimised by a :class:`auditkit.custody.pii.Detector` (``report``: as it
    was); its line re-written from the new fields (OCSF's ``raw_data``, ECS's ``event.original``), which say
    ``auditkit_pii``: the mode. Its chain links (``hash``, ``prev``) are left out: each is the SHA-256 of an
    original record, on which a guessed value (a phone number, an SSN) could be checked. The cursor keeps
    the hash, on this machine."""
    fields, _ = detector.record(record.fields, counts)
    if detector.mode == "report":
        return record
    for link in ("hash", "prev"):  # a plain SHA-256 of the original record: a guessed value could be checked on it
        fields.pop(link, None)
    fields["auditkit_pii"] = detector.mode
    return Record(record.trail_id, record.seq, record.hash, orjson.dumps(fields) + b"\n", fields)


def ship(
    paths: PathLike | list[PathLike],
    to: str,
    format: str | None = None,
    *,
    insecure: bool = False,
    state: PathLike | None = None,
    ca_bundle: PathLike | None = None,
    env: dict | None = None,
    max_batch_bytes: int | None = None,
    retries: int = 5,
    backoff_s: float = 0.5,
    timeout_s: float = 30.0,
    deadline_s: float = 120.0,
    gzip_body: bool = False,
    schema: str = "auditkit",
    region: str | None = None,
    endpoint_url: str | None = None,
    pii: str | None = None,
) -> ShipResult:
    """Send every record of the trails in ``paths`` not yet acknowledged by ``to``; see the module docstring.

    ``timeout_s`` bounds each wait on the socket, ``deadline_s`` each batch, all its tries together.
    ``pii``: redact, mask or report personal data in what is sent (default: ``[pii] outbound``, off)."""
    detector, said = choice(pii)  # the pii extra loads only when a policy (or --pii) asks for it
    if format is None and to.startswith("cloudwatch://"):
        format = "cloudwatch"
    if (format == "cloudwatch") != to.startswith("cloudwatch://"):
        raise ShipError(f"{to}: CloudWatch Logs is cloudwatch://GROUP/STREAM, and such a URL is CloudWatch's only")
    if format is None:
        raise ShipError(
            f"{to}: say the receiver's format (--format {', '.join(f for f in RECEIVERS if f != 'cloudwatch')})"
        )
    if format not in RECEIVERS:
        raise ShipError(f"unknown format {format!r}: use one of {', '.join(RECEIVERS)}")
    if schema not in SCHEMAS:
        raise ShipError(f"unknown schema {schema!r}: use one of {', '.join(SCHEMAS)}")
    receiver = RECEIVERS[format]()
    receiver.schema = schema
    if not deadline_s > 0 or not timeout_s > 0:
        raise ShipError(
            f"the batch deadline and the socket timeout must be positive seconds ({deadline_s}, {timeout_s})"
        )
    if isinstance(receiver, CloudWatch):
        CloudWatch.target(to)  # a malformed target is said before anything is read
        cw = receiver

        def put(batch: list[bytes]) -> int:
            return cw.send(batch, retries, backoff_s, deadline_s)

        def setup() -> None:
            cw.connect(to, region, endpoint_url, timeout_s)
            cw.ensure()

        return _ship(paths, cw, f"cloudwatch {to}", state, max_batch_bytes, schema, put, setup, (detector, said))
    parts = urllib.parse.urlsplit(to)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ShipError(f"{to}: not an http(s) URL")
    if parts.scheme == "http" and not insecure:
        raise ShipError(f"{to}: plain http sends the trail in clear; use https, or --insecure for a local collector")
    env = dict(os.environ if env is None else env)
    headers = {"Content-Type": receiver.content_type, "User-Agent": f"auditkit/{__version__}", **receiver.headers(env)}
    if gzip_body:
        headers["Content-Encoding"] = "gzip"
    url = receiver.endpoint(to)
    context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)

    def post(batch: list[bytes]) -> int:
        body = receiver.body(batch)
        return _post(
            url, body, headers, context, receiver, len(batch), retries, backoff_s, timeout_s, deadline_s, gzip_body
        )

    return _ship(paths, receiver, f"{format} {url}", state, max_batch_bytes, schema, post, None, (detector, said))


def _ship(
    paths: PathLike | list[PathLike],
    receiver: Receiver,
    destination: str,
    state: PathLike | None,
    max_batch_bytes: int | None,
    schema: str,
    send: Callable[[list[bytes]], int],
    setup: Callable[[], object] | None = None,
    pii: tuple[Detector | None, dict] = (None, {}),
) -> ShipResult:
    """The loop every target shares: records past the cursor, in batches within the receiver's limits, each
    handed to ``send`` (which returns its retries once acknowledged, or raises); the cursor saved after each."""
    destination += "" if schema == "auditkit" else f" {schema}"  # one cursor per shape
    path_list = [str(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    cursor = Cursor.load(Path(state) if state else default_state(path_list, destination), destination)
    limit = min(max_batch_bytes or receiver.max_batch_bytes, receiver.max_batch_bytes)
    result = ShipResult(destination, state=str(cursor.path), pii=dict(pii[1]))
    ready = setup is None
    found: Counter = Counter()

    batch: list[bytes] = []
    batch_bytes = 0
    marks: dict[str, dict] = {}  # the cursor this batch moves to, per trail

    def flush() -> None:
        nonlocal batch, batch_bytes, marks
        nonlocal ready
        if not batch:
            return
        if not ready and setup is not None:
            setup()  # (CloudWatch: the client, the group and the stream) only when there is something to send
            ready = True
        result.retries += send(batch)
        cursor.trails.update(marks)
        cursor.save()  # only now: the receiver has the batch
        result.sent += len(batch)
        result.batches += 1
        batch, batch_bytes, marks = [], 0, {}

    lowest: dict[str, int] = {}  # per trail with a cursor: the first seq held at or below the cursor
    reached: set[str] = set()  # trails whose record at the cursor was found (and has the shipped hash)
    for record in trail_records(path_list):
        key = record.cursor_key  # the trail's id, or "<id>#seals" for its seal log's lines
        at = cursor.trails.get(key)
        if at is not None and record.seq <= at["seq"]:
            if record.seq == at["seq"]:
                if record.hash != at["hash"]:
                    raise ShipError(
                        f"trail {key}: the {'line' if record.kind == 'seal' else 'record'} at seq {record.seq} is "
                        f"not the one shipped before (hash {record.hash[:12]}… vs {str(at['hash'])[:12]}…): it was "
                        "rewritten; nothing more is sent"
                    )
                reached.add(key)
            lowest.setdefault(key, record.seq)
            result.skipped += 1
            continue
        if at is not None and key in lowest and key not in reached:
            why = f"the trail goes from seq {lowest[key]} to {record.seq} without it"
            raise _unheld_cursor(cursor.path, key, at["seq"], why)
        if pii[0] is not None and record.kind != "seal":  # a seal line holds digests, no payload
            record = minimised(record, pii[0], found)
        item = receiver.item(record)
        if batch and not receiver.accepts(batch, batch_bytes, item, limit):
            flush()
        batch.append(item)
        batch_bytes += receiver.size(item)
        marks[key] = {"seq": record.seq, "hash": record.hash}
    unheld = sorted(set(lowest) - reached)  # every record was skipped as sent, yet the cursor's is not held
    if unheld:
        raise _unheld_cursor(cursor.path, unheld[0], cursor.trails[unheld[0]]["seq"], "the trail ends before it")
    flush()
    result.cursor = dict(cursor.trails)
    if pii[0] is not None:
        result.pii["found"] = dict(found)
    return result


def _unheld_cursor(state: Path, trail_id: str, seq: int, why: str) -> ShipError:
    return ShipError(
        f"{state}: the shipping state says trail {trail_id} was acknowledged up to seq {seq}, but the trail holds "
        f"no record at seq {seq} ({why}): the state file was edited, or belongs to another copy of the trail. "
        "Nothing more is sent and nothing is taken as acknowledged; check the file, or move it aside to send "
        "the trail again"
    )


class _Deadline:
    """One batch's deadline: every connection opened for it is shut when it passes, so no read or write
    waits past it however slowly a receiver sends (a socket timeout bounds one wait, not their sum)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.passed = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def left(self) -> float:
        return self.at - time.monotonic()

    def connection(self, cls: type) -> Callable[..., http.client.HTTPConnection]:
        watch = self._watch

        class Watched(cls):  # type: ignore[misc,valid-type]
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, **kwargs)
                connect = self._create_connection

                def create(*a: object, **k: object) -> socket.socket:
                    return watch(connect(*a, **k))

                self._create_connection = create

        return Watched

    def _watch(self, sock: socket.socket) -> socket.socket:
        # a duplicate of the TCP socket, taken before TLS wraps (and detaches) it: shutting it down ends the
        # connection under the TLS handshake and under the answer, which urllib reads through its own file
        with self.lock:
            if self.passed:
                sock.close()
                raise TimeoutError("the batch deadline passed while connecting")
            self.sockets.append(sock.dup())
        return sock

    def _expire(self) -> None:
        with self.lock:
            self.passed = True
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv or send

    def cancel(self) -> None:
        self.timer.cancel()
        with self.lock:
            for sock in self.sockets:
                sock.close()
            self.sockets.clear()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered, never followed: the request's credentials would go with it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(context: ssl.SSLContext, deadline: _Deadline) -> urllib.request.OpenerDirector:
    class Http(urllib.request.HTTPHandler):
        def do_open(self, http_class: type, req: urllib.request.Request, **kw: object) -> object:
            return super().do_open(deadline.connection(http_class), req, **kw)

    class Https(urllib.request.HTTPSHandler):
        def do_open(self, http_class: type, req: urllib.request.Request, **kw: object) -> object:
            return super().do_open(deadline.connection(http_class), req, **kw)

    return urllib.request.build_opener(Http(), Https(context=context), _NoRedirect())


def _post(
    url: str,
    body: bytes,
    headers: dict,
    context: ssl.SSLContext,
    receiver: Receiver,
    sent: int,
    retries: int,
    backoff_s: float,
    timeout_s: float,
    deadline_s: float,
    gzip_body: bool,
) -> int:
    """POST one batch until acknowledged, within ``deadline_s`` for all tries; return how many retries it took."""
    data = gzip.compress(body) if gzip_body else body
    last = ""
    deadline = _Deadline(deadline_s)
    opener = _opener(context, deadline)
    try:
        for attempt in range(retries + 1):
            wait = backoff_s * (2**attempt)
            try:
                request = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with opener.open(request, timeout=max(0.05, min(timeout_s, deadline.left()))) as response:
                    reply = response.read(_MAX_REPLY)  # a receiver's answer is small; a hostile one is not read whole
                    if not 200 <= response.status < 300 or response.geturl() != request.full_url:
                        raise ShipError(  # (urllib raises for the others; said here so it never slips through)
                            f"{url}: HTTP {response.status} from {response.geturl()} is no acknowledgement"
                        )
                    if deadline.passed:
                        raise TimeoutError("the batch deadline passed while the answer was read")
                    receiver.check(response.status, reply, sent)
                    return attempt
            except urllib.error.HTTPError as exc:
                if 300 <= exc.code < 400:
                    where = (exc.headers.get("Location") or "")[:300] if exc.headers else None
                    raise ShipError(
                        f"{url} answered HTTP {exc.code} {exc.reason}, redirecting to {where!r}: a redirect is "
                        "not followed (the credentials would go with it) and is no acknowledgement; the cursor "
                        "stays before the batch. If the receiver moved, give its new URL with --to"
                    ) from None
                try:  # the refusal's text, if it comes in time (a dripping one is cut off with the rest)
                    reply = exc.read(2000) if not deadline.passed else b""
                except (OSError, http.client.HTTPException):
                    reply = b""
                text = reply.decode("utf-8", "replace").strip()
                if exc.code == 429 or exc.code >= 500:
                    last = f"HTTP {exc.code}: {text[:300]}"
                    after = exc.headers.get("Retry-After") if exc.headers else None
                    if after and after.strip().isdigit():
                        wait = min(float(after), 30.0)
                else:
                    raise ShipError(f"{url} refused the batch: HTTP {exc.code} {exc.reason}: {text[:300]}") from None
            except _Retry as exc:
                last = str(exc)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, ssl.SSLCertVerificationError):
                    raise ShipError(
                        f"{url}: the server's certificate is not trusted ({reason.verify_message}); "
                        "give its CA with --ca-bundle"
                    ) from None
                last = f"{type(reason).__name__}: {reason}"
            if deadline.passed or (attempt < retries and deadline.left() <= wait):
                raise ShipError(
                    f"{url}: the batch was not acknowledged within its deadline of {deadline_s:g} s "
                    f"({attempt + 1} tr{'y' if attempt == 0 else 'ies'}, last: {last}); the cursor stays before it, "
                    "so the next run sends it again"
                )
            if attempt < retries:
                time.sleep(wait)
    finally:
        deadline.cancel()
    raise ShipError(
        f"{url}: the batch was not acknowledged after {retries + 1} tries ({last}); "
        "the cursor stays before it, so the next run sends it again"
    )
