"""Claude Code's own telemetry as a second capture: a real OTLP/HTTP receiver on 127.0.0.1, fed real-shaped OTLP JSON
and (when installed) the real opentelemetry-sdk exporter; the received trail verifies, loads and joins."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import auditkit
from auditkit.analysis.transcripts import reconcile
from auditkit.outbound.otel import make_server
from tests.conftest import payload, run_hook

SESSION = "5b3f1c9e-7a2d-4e8b-9f10-2c4d6e8a0b1c"


def _attr(key: str, value: object) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # 64-bit integers arrive as strings
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def log_record(name: str, **attrs: object) -> dict:
    common = {
        "event.name": name,
        "session.id": SESSION,
        "prompt.id": "p-1",
        "event.timestamp": "2026-09-01T10:00:00Z",
        "event.sequence": 1,
        "app.version": "2.1.226",
        "user.id": "u-hash",
    }
    return {
        "timeUnixNano": "1788256800000000000",
        "body": {"stringValue": f"claude_code.{name}"},
        "attributes": [_attr(k, v) for k, v in {**common, **attrs}.items()],
    }


def otlp(*records: dict) -> dict:
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [_attr("service.name", "claude-code"), _attr("service.version", "2.1.226")]},
                "scopeLogs": [
                    {
                        "scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.226"},
                        "logRecords": list(records),
                    }
                ],
            }
        ]
    }


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    trail = tmp_path / "otel" / "audit-trail.jsonl"
    server = make_server(trail, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", trail
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, doc: dict) -> dict:
    req = urllib.request.Request(
        f"{url}/v1/logs", data=json.dumps(doc).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def test_otlp_json_becomes_a_chained_redacted_trail_that_loads(receiver: tuple[str, Path]) -> None:
    """tool_result, tool_decision, api_request (cost_usd as a string), user_prompt with a secret,
    hook_execution_complete: each a record; the trail verifies; the rows carry their columns."""
    url, trail = receiver
    post(
        url,
        otlp(
            log_record(
                "user_prompt", prompt="deploy with token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", prompt_length=60
            ),
            log_record("tool_decision", tool_name="Bash", tool_use_id="toolu_1", decision="accept", source="config"),
            log_record(
                "tool_result",
                tool_name="Bash",
                tool_use_id="toolu_1",
                success="true",
                duration_ms="2400",
                decision_source="config",
                tool_parameters=json.dumps({"bash_command": "make"}),
            ),
            log_record(
                "api_request",
                model="claude-opus-4-6",
                request_id="req_1",
                cost_usd="0.0375",
                input_tokens=100,
                output_tokens=50,
                cache_read_tokens=0,
                cache_creation_tokens=0,
                duration_ms=900,
            ),
            log_record(
                "hook_execution_complete",
                hook_event="PreToolUse",
                hook_name="PreToolUse:Bash",
                num_hooks=1,
                num_success=1,
                total_duration_ms=14,
            ),
        ),
    )
    assert post(
        url,
        otlp(
            log_record(
                "tool_result",
                tool_name="Read",
                tool_use_id="toolu_2",
                success="false",
                error_type="file_not_found",
                duration_ms=3,
            )
        ),
    ) == {"partialSuccess": {}}
    assert auditkit.verify(trail).intact
    text = trail.read_text()
    assert "ghp_a1B2" not in text and "[REDACTED:github-pat:" in text
    df = auditkit.load(trail, strict=True).set_index("event")
    assert df.loc["PostToolUse", "duration_ms"] == 2400 and df.loc["PostToolUse", "tool"] == "Bash"
    assert (
        df.loc["PostToolUseFailure", "status"] == "error" and df.loc["PostToolUseFailure", "error"] == "file_not_found"
    )
    assert df.loc["api_request", "cost_usd"] == 0.0375 and df.loc["api_request", "input_tokens"] == 100
    hooks = df.loc["otel.hook_execution_complete", "data"]["attributes"]
    assert hooks["total_duration_ms"] == 14 and set(df["capture"].dropna()) == {"otel"}


def test_telemetry_joins_the_hook_trail_on_tool_use_id_and_reconcile_names_the_gaps(receiver, tmp_path: Path) -> None:
    """The same call seen by both captures is one call (the hook's record kept); a call only one saw is listed."""
    url, otel_trail = receiver
    hook_trail = tmp_path / "hook" / "audit-trail.jsonl"
    for tid in ("toolu_both", "toolu_hook_only"):
        call = {"session_id": SESSION, "tool_name": "Bash", "tool_use_id": tid, "tool_input": {"command": "make"}}
        run_hook(payload("PreToolUse", **call), hook_trail)
        run_hook(payload("PostToolUse", **call, tool_response={"stdout": "ok"}), hook_trail)
    post(
        url,
        otlp(
            log_record("tool_result", tool_name="Bash", tool_use_id="toolu_both", success="true", duration_ms=7),
            log_record("tool_result", tool_name="Bash", tool_use_id="toolu_otel_only", success="true"),
        ),
    )
    hook, otel = auditkit.load(hook_trail), auditkit.load(otel_trail)
    calls = auditkit.tool_calls(auditkit.load([hook_trail, otel_trail])).set_index("tool_use_id")
    assert len(calls) == 3 and calls.loc["toolu_both", "response"] == {"stdout": "ok"}
    gaps = reconcile(hook, otel, names=("trail", "telemetry"))
    assert sorted(zip(gaps["tool_use_id"], gaps["missing_from"], strict=True)) == [
        ("toolu_hook_only", "telemetry"),
        ("toolu_otel_only", "trail"),
    ]


def test_cost_reports_claude_codes_own_figure_beside_the_computed_one(receiver) -> None:
    """api_request's cost_usd joins the transcript's message on the request id."""
    url, otel_trail = receiver
    transcripts = Path(__file__).parent / "fixtures" / "transcripts" / "v2.1-progress"
    post(url, otlp(log_record("api_request", model="claude-opus-4-6", request_id="req_m1", cost_usd=0.031)))
    with pytest.warns(UserWarning):
        table = auditkit.cost(auditkit.load([transcripts, otel_trail]), by="model")
    assert table.loc["claude-opus-4-6", "reported_usd"] == pytest.approx(0.031)
    assert table.loc["claude-opus-4-6", "messages"] == 2  # the telemetry row is not another message


def test_a_real_opentelemetry_sdk_exporter_is_received(receiver) -> None:
    """The OpenTelemetry Python SDK's OTLP/HTTP log exporter (protobuf) against the receiver: the records land."""
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="opentelemetry-sdk is not installed")
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    url, trail = receiver
    provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{url}/v1/logs")))
    logger = provider.get_logger("com.anthropic.claude_code.events")
    logger.emit(
        body="claude_code.tool_result",
        severity_number=SeverityNumber.INFO,
        attributes={
            "event.name": "tool_result",
            "session.id": SESSION,
            "tool_name": "Edit",
            "tool_use_id": "toolu_sdk",
            "success": "true",
            "duration_ms": 12,
        },
    )
    provider.shutdown()
    df = auditkit.load(trail)
    row = df[df["tool_use_id"] == "toolu_sdk"].iloc[0]
    assert row["event"] == "PostToolUse" and row["tool"] == "Edit" and row["duration_ms"] == 12
    assert auditkit.verify(trail).intact


def test_the_otel_receive_command_serves_until_stopped(tmp_path: Path) -> None:
    """`auditkit otel-receive` through the command line: it says where it listens, receives, and stops on a signal."""
    import signal
    import subprocess
    import sys

    trail = tmp_path / "otel.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "otel-receive", "--out", str(trail), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("auditkit otel-receive: OTLP/HTTP logs on http://127.0.0.1:")
        url = first.split(" on ", 1)[1].split("/v1/logs", 1)[0]
        post(url, otlp(log_record("tool_result", tool_name="Bash", tool_use_id="toolu_cli", success="true")))
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    assert auditkit.load(trail)["tool_use_id"].tolist()[-1] == "toolu_cli"


def test_the_receiver_stops_on_sigint_and_sigterm_even_when_its_parent_ignores_sigint(tmp_path: Path) -> None:
    """A service started by nohup or a process manager inherits an ignored SIGINT; it must stop anyway."""
    import signal
    import subprocess
    import sys

    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [sys.executable, "-m", "auditkit", "otel-receive", "--out", str(tmp_path / f"{sig}.jsonl"), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as an ignoring parent leaves it
        )
        assert proc.stdout.readline().startswith("auditkit otel-receive:")
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
