"""OCSF and ECS shapes (``--schema``): every kind of record the samples hold, mapped and checked by a
maintained OCSF validator (ocsf-emitter's generated OCSF 1.5.0 models and its invariant checks, held
strict here: an attribute the class does not define fails), shipped through the OTLP and Elasticsearch
stubs, and ECS documents held to the index template in docs/ both ways."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from ocsf_emitter import _models as ocsf_models
from ocsf_emitter import defaults as ocsf_defaults
from ocsf_emitter import validate as ocsf_validate
from pydantic import BaseModel

from auditkit.detection.alerts import append_alert, finding
from auditkit.outbound.exporting import export
from auditkit.outbound.schemas import ecs, ocsf
from auditkit.outbound.shipping import ship, trail_records
from auditkit.trail import appender
from tests.conftest import SAMPLES
from tests.test_shipping import KEYS, grow, receiver  # noqa: F401 (the fixture)

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "docs" / "elastic-ecs-template.json"


def sample_lines() -> list[bytes]:
    return [line for f in sorted(SAMPLES.glob("*/audit-trail.jsonl")) for line in f.read_bytes().splitlines()]


def kind_of(rec: dict) -> str:
    return f"{rec.get('event')}:{rec.get('tool_name') or ''}"


def extra_records(tmp_path: Path) -> list[bytes]:
    """Kinds the samples lack: a denial, a settings change, a hook error, a set-aside, a telemetry row with a
    model and tokens, a detection written by ``auditkit detect``'s own alert writer."""
    base = {"v": 1, "ts": "2026-03-17T15:00:00.000000Z", "session_id": "s-x", "user": "dev", "host": "h1"}
    recs = [
        {"event": "PermissionDenied", "status": "denied", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}},
        {"event": "ConfigChange", "status": "info", "permission_mode": "bypassPermissions", "data": {"source": "x"}},
        {"event": "hook_error", "status": "error", "error": "disk full"},
        {"event": "set_aside", "status": "info", "data": {"path": "x"}},
        {"event": "PreToolUse", "status": "started", "tool_name": "WebSearch", "tool_input": {"query": "q"}},
        {"event": "PreToolUse", "status": "started", "tool_name": "NotebookEdit", "tool_input": {"notebook_path": "/a/b.ipynb"}},
        {"event": "PreToolUse", "status": "started", "tool_name": "MultiEdit", "agent_id": "a1", "agent_type": "Explore",
         "tool_input": {"file_path": "/a/c.py"}},
        {"event": "api_request", "status": "info", "model": "claude-opus-4-5", "input_tokens": 10, "output_tokens": 5,
         "prompt_id": "p1", "transcript_path": "/t.jsonl", "cwd": "/a", "tool_response": "plain text"},
    ]  # fmt: skip
    lines = [json.dumps({**base, "seq": 100 + i, **r, "hash": "0" * 64}).encode() for i, r in enumerate(recs)]
    hit = {"rule_id": "r-1", "rule": "Force push", "level": "high", "tags": ["attack.t1565", "attack.impact"],
           "event_id": "t:19", "timestamp": pd.Timestamp("2026-03-17T14:00:33Z"), "what": "git push --force",
           "session_id": "s-x", "seq": 19, "why": "force push to main"}  # fmt: skip
    alerts = tmp_path / "alerts.jsonl"
    append_alert(alerts, finding(hit, "t"))
    lines += alerts.read_bytes().splitlines()
    return lines


def strict(model: BaseModel, where: str = "") -> list[str]:
    """Attributes the OCSF class or object does not define (ocsf-emitter's models allow extras: held strict
    here), outside ``unmapped`` and the free-form ``data`` objects."""
    out = [f"{where}.{k}" for k in (model.model_extra or {})]
    for name in type(model).model_fields:
        if name in ("unmapped", "data"):
            continue
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                out += strict(item, f"{where}.{name}")
    return out


def check_ocsf(event: dict) -> None:
    """The event through ocsf-emitter's validator (the class model's schema checks, then its invariants:
    class and category identity, type_uid, names, schema version), with no attribute outside the class."""
    spec = ocsf_defaults.class_spec_by_uid(event["class_uid"])
    assert spec is not None, f"class {event['class_uid']} is not an OCSF 1.5 class"
    model = getattr(ocsf_models, spec.model_name).model_validate(event)
    ocsf_validate(model)
    # the host profile (declared in metadata.profiles) adds actor and device to classes without them
    profile = {".actor", ".device"} if "host" in (event["metadata"].get("profiles") or []) else set()
    assert [a for a in strict(model) if a not in profile] == [], (
        f"attributes outside OCSF 1.5 {spec.class_name}: {strict(model)}"
    )


SAMPLE_KINDS = {kind_of(json.loads(line)): line for line in sample_lines()}


@pytest.mark.parametrize("kind", sorted(SAMPLE_KINDS))
def test_every_kind_of_sample_record_is_a_valid_ocsf_event(kind: str) -> None:
    line = SAMPLE_KINDS[kind]
    rec = json.loads(line)
    event = ocsf.event(rec, f"t:{rec['seq']}", line + b"\n")
    check_ocsf(event)
    assert event["metadata"]["uid"] == f"t:{rec['seq']}" and event["raw_data"].encode() == line
    assert event["metadata"]["product"]["name"] == "auditkit"
    if rec.get("user"):
        assert event["actor"]["user"]["name"] == rec["user"] and event["device"]["hostname"] == rec["host"]


def test_each_tool_lands_in_the_class_the_issue_names(tmp_path: Path) -> None:
    got = {}
    for line in sample_lines() + extra_records(tmp_path):
        rec = json.loads(line)
        got[kind_of(rec)] = (ocsf.event(rec, "t:1")["class_uid"], ocsf.event(rec, "t:1")["activity_id"])
    assert got["PreToolUse:Bash"] == (1007, 1) and got["PostToolUse:Bash"] == (1007, 2)
    assert got["PostToolUseFailure:Bash"] == (1007, 2) and got["PermissionDenied:Bash"][0] == 3003
    assert got["PreToolUse:Read"] == (1001, 2) and got["PreToolUse:Write"] == (1001, 1)
    assert got["PreToolUse:Edit"] == got["PreToolUse:MultiEdit"] == got["PreToolUse:NotebookEdit"] == (1001, 3)
    assert got["PreToolUse:WebFetch"][0] == got["PreToolUse:WebSearch"][0] == 6003
    assert got["PreToolUse:mcp__postgres__query"][0] == 6003
    assert got["PermissionRequest:Bash"][0] == got["ConfigChange:"][0] == 3003
    assert got["SessionStart:"] == (6002, 3) and got["SessionEnd:"] == (6002, 4)
    assert got["detection:"] == (2004, 1)


def test_the_kinds_the_samples_lack_are_valid_too_and_a_detection_keeps_the_alert(tmp_path: Path) -> None:
    for line in extra_records(tmp_path):
        rec = json.loads(line)
        event = ocsf.event(rec, f"t:{rec['seq']}", line)
        check_ocsf(event)
    detection = ocsf.event(rec, "alerts:1")
    assert detection["finding_info"]["analytic"]["uid"] == "r-1" and detection["severity_id"] == 4
    assert detection["finding_info"]["attacks"] == [{"technique": {"uid": "T1565"}, "tactics": [{"name": "impact"}]}]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e.pop("process"),  # a Process Activity without its process
        lambda e: e.update(type_uid=100799),  # type_uid not class*100+activity
        lambda e: e["metadata"].update(version="1.1.0"),
        lambda e: e["process"].update(command="x"),  # an attribute OCSF does not define
        lambda e: e.update(time="yesterday"),
    ],
)
def test_the_validator_refuses_a_spoiled_event(spoil) -> None:
    rec = json.loads(SAMPLE_KINDS["PreToolUse:Bash"])
    event = ocsf.event(rec, "t:1")
    check_ocsf(event)
    spoil(event)
    with pytest.raises(Exception):  # noqa: B017 (pydantic's, ocsf-emitter's, or the strict check's)
        check_ocsf(event)


def test_ocsf_shipped_through_otlp_and_elastic_arrives_valid_and_keyed(receiver, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "logs"
    folder.mkdir()
    trail = folder / "audit-trail.jsonl"
    trail.write_bytes((SAMPLES / "incident" / "audit-trail.jsonl").read_bytes())
    lines = {r.event_id: r.line for r in trail_records([trail])}
    otlp, es = receiver("otlp"), receiver("elastic")
    ship([trail], otlp.url, "otlp", insecure=True, schema="ocsf", state=tmp_path / "o.json")
    ship([trail], es.url, "elastic", insecure=True, schema="ocsf", env=KEYS, state=tmp_path / "e.json")
    from_otlp = []
    for log in json.loads(otlp.requests[0]["body"])["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:
        attrs = {a["key"]: a["value"] for a in log["attributes"]}
        event = json.loads(log["body"]["stringValue"])
        assert attrs["log.record.uid"]["stringValue"] == event["metadata"]["uid"]
        assert attrs["ocsf.class_uid"]["intValue"] == str(event["class_uid"])
        from_otlp.append(event)
    body = es.requests[0]["body"].splitlines()
    assert {json.loads(a)["create"]["_index"] for a in body[0::2]} == {"auditkit-ocsf"}
    from_es = [json.loads(d) for d in body[1::2]]
    for event in from_otlp + [{k: v for k, v in d.items() if k != "@timestamp"} for d in from_es]:
        check_ocsf(event)
        assert (event["raw_data"] + "\n").encode() == lines[event["metadata"]["uid"]]
    assert [e["metadata"]["uid"] for e in from_otlp] == [e["metadata"]["uid"] for e in from_es] == list(lines)


def test_a_record_too_large_for_the_receiver_is_sent_as_key_fields_size_and_hash(receiver, tmp_path: Path) -> None:  # noqa: F811
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    grow(trail, 1)
    append_big(trail, 1_200_000)  # one Bash call larger than Datadog's 1 MB a log
    big = list(trail_records([trail]))[-1]
    dd = receiver("datadog")
    ship([trail], dd.url, "datadog", insecure=True, schema="ocsf", env=KEYS)
    sent = json.loads(dd.requests[0]["body"])[-1]
    check_ocsf({k: v for k, v in sent.items() if k not in ("ddsource", "service", "hostname", "ddtags", "date")})
    assert "raw_data" not in sent and sent["class_uid"] == 1007 and len(dd.requests[0]["body"]) < 1_000_000
    assert sent["unmapped"]["auditkit_truncated"] == {
        "bytes": len(big.line),
        "sha256": hashlib.sha256(big.line).hexdigest(),
    }


def append_big(trail: Path, size: int) -> None:
    """A Bash call of about ``size`` bytes, written by the kit's appender (the hook itself keeps a record under
    1 MiB; a trail from elsewhere, or an older kit, may not)."""

    def build(seq: int, ts_ns: int) -> dict:
        return {"event": "PreToolUse", "status": "started", "session_id": "s-big", "tool_name": "Bash",
                "tool_use_id": "big", "tool_input": {"command": "x" * size}, "user": "dev", "host": "h1"}  # fmt: skip

    appender.append(str(trail), build)


def template_fields() -> dict[str, str]:
    """Every leaf field of the index template, dotted, with its type."""
    out: dict[str, str] = {}

    def walk(props: dict, prefix: str) -> None:
        for name, spec in props.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            else:
                out[prefix + name] = spec["type"]

    walk(json.loads(TEMPLATE.read_text())["template"]["mappings"]["properties"], "")
    return out


def leaves(doc: dict, prefix: str = "", flattened: frozenset = frozenset()) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        name = prefix + key
        if isinstance(value, dict) and name not in flattened:
            out.update(leaves(value, name + ".", flattened))
        else:
            out[name] = value
    return out


def check_ecs(doc: dict, fields: dict[str, str]) -> set[str]:
    flat = leaves(doc, flattened=frozenset(k for k, t in fields.items() if t == "flattened"))
    for name, value in flat.items():
        assert name in fields, f"{name} is sent but not in the template (dynamic: strict would refuse the document)"
        kind = fields[name]
        values = value if isinstance(value, list) else [value]
        for v in values:
            if kind == "long":
                assert isinstance(v, int) and not isinstance(v, bool), (name, v)
            elif kind == "date":
                assert pd.Timestamp(v).tzinfo is not None, (name, v)
            elif kind == "flattened":
                assert isinstance(v, dict), (name, v)
            else:
                assert isinstance(v, str), (name, v)
    return set(flat)


def test_ecs_documents_match_the_index_template_both_ways(tmp_path: Path) -> None:
    fields = template_fields()
    template = json.loads(TEMPLATE.read_text())
    assert template["template"]["mappings"]["dynamic"] == "strict" and template["index_patterns"] == ["auditkit-ecs*"]
    sent: set[str] = set()
    for line in sample_lines() + extra_records(tmp_path):
        rec = json.loads(line)
        doc = ecs.document(rec, f"t:{rec['seq']}", "t", line)
        sent |= check_ecs(doc, fields)
        assert doc["ecs"]["version"] == ecs.VERSION and doc["event"]["id"] == f"t:{rec['seq']}"
    truncated = ecs.document({"event": "PreToolUse", "ts": "2026-03-17T15:00:00Z"}, "t:1", "t", None,
                             truncated={"bytes": 5, "sha256": "ab"})  # fmt: skip
    sent |= check_ecs(truncated, fields)
    assert set(fields) - sent == set(), "the template maps fields that are never sent"


def test_ecs_names_what_the_issue_lists() -> None:
    rec = json.loads(SAMPLE_KINDS["PostToolUse:Bash"])
    doc = ecs.document(rec, "t:4", "t")
    assert doc["process"]["command_line"] == rec["tool_input"]["command"] and doc["process"]["name"] == "bash"
    assert doc["process"]["working_directory"] == rec["cwd"] and doc["user"]["name"] == rec["user"]
    assert doc["event"]["category"] == ["process"] and doc["event"]["type"] == ["end"]
    assert doc["event"]["outcome"] == "success" and doc["event"]["duration"] == int(rec["duration_ms"] * 1e6)
    assert doc["host"]["name"] == rec["host"] and doc["gen_ai"]["agent"]["name"] == "claude-code"
    web = ecs.document(json.loads(SAMPLE_KINDS["PreToolUse:WebFetch"]), "t:5", "t")
    assert web["url"]["full"].startswith("http") and web["event"]["category"] == ["web"]
    read = json.loads(SAMPLE_KINDS["PreToolUse:Read"])
    assert ecs.document(read, "t:6", "t")["file"]["path"] == read["tool_input"]["file_path"]


def test_ecs_shipped_to_elastic_goes_to_its_own_index_and_fits_the_template(receiver, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "logs"
    folder.mkdir()
    trail = folder / "audit-trail.jsonl"
    trail.write_bytes((SAMPLES / "concurrent" / "audit-trail.jsonl").read_bytes())
    es = receiver("elastic")
    result = ship([trail], es.url, "elastic", insecure=True, schema="ecs", env=KEYS)
    body = es.requests[0]["body"].splitlines()
    assert {json.loads(a)["create"]["_index"] for a in body[0::2]} == {"auditkit-ecs"}
    fields = template_fields()
    for doc in body[1::2]:
        check_ecs(json.loads(doc), fields)
    assert result.sent == len(body) // 2 == len(list(trail_records([trail])))
    assert result.destination.endswith(" ecs")  # its own cursor: the kit's own shape to the same URL is another


def test_export_writes_ocsf_and_ecs_json_lines_from_trails(tmp_path: Path) -> None:
    trail = SAMPLES / "incident" / "audit-trail.jsonl"
    n = len(list(trail_records([trail])))
    result = export([trail], tmp_path / "o.jsonl", format="jsonl", schema="ocsf")
    events = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert result.rows == len(events) == n
    for event in events:
        check_ocsf(event)
    late = export([trail], tmp_path / "e.jsonl", format="jsonl", schema="ecs", since="2026-03-17T14:00:10Z")
    docs = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert 0 < late.rows == len(docs) < n and all(d["@timestamp"] >= "2026-03-17T14:00:10" for d in docs)


def test_the_cli_exports_ocsf_json_lines_and_refuses_a_frame_format(tmp_path: Path, capsys) -> None:
    from auditkit.cli import main

    trail = SAMPLES / "failures" / "audit-trail.jsonl"
    assert main(["export", str(trail), "--schema", "ocsf", "--out", str(tmp_path / "f.jsonl")]) == 0
    assert "as jsonl (ocsf)" in capsys.readouterr().out
    events = [json.loads(line) for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert [e["metadata"]["uid"] for e in events] == [r.event_id for r in trail_records([trail])]
    for event in events:
        check_ocsf(event)
    with pytest.raises(Exception, match="JSON lines"):
        export([trail], tmp_path / "x.parquet", format="parquet", schema="ecs")
