"""The shipper configurations in docs/shipping.md parse, and set what the trail needs: its path, JSON
parsing, `ts` as the timestamp, a line limit above the hook's 1 MiB record cap, one record per line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from auditkit.trail.capture import MAX_RECORD_BYTES

DOC = (Path(__file__).resolve().parent.parent / "docs" / "shipping.md").read_text()


def block(heading: str, lang: str) -> str:
    section = DOC.split(f"### {heading}", 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*([KMG]i?B)?", str(text)).groups()
    scale = {"KB": 1024, "KiB": 1024, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30, "GiB": 1 << 30, None: 1}
    return int(number) * scale[unit]


def test_the_opentelemetry_collector_filelog_receiver() -> None:
    conf = yaml.safe_load(block("OpenTelemetry Collector", "yaml"))
    rx = conf["receivers"]["filelog/auditkit"]
    assert rx["include"][0].endswith(".claude/logs/audit-trail.jsonl") and size(rx["max_log_size"]) > MAX_RECORD_BYTES
    parser = rx["operators"][0]
    assert parser["type"] == "json_parser" and parser["timestamp"]["parse_from"] == "attributes.ts"
    assert conf["service"]["pipelines"]["logs"]["receivers"] == ["filelog/auditkit"]


def test_vector_file_source() -> None:
    conf = tomllib.loads(block("Vector", "toml"))
    source = conf["sources"]["auditkit"]
    assert source["type"] == "file" and source["max_line_bytes"] > MAX_RECORD_BYTES
    assert source["fingerprint"]["strategy"] == "checksum"
    assert (
        "parse_json!" in conf["transforms"]["auditkit_parse"]["source"]
        and ".ts" in conf["transforms"]["auditkit_parse"]["source"]
    )


def test_fluent_bit_tail_input() -> None:
    conf = yaml.safe_load(block("Fluent Bit", "yaml"))
    tail = conf["pipeline"]["inputs"][0]
    assert tail["name"] == "tail" and size(tail["buffer_max_size"]) > MAX_RECORD_BYTES
    assert tail["multiline.parser"] == "" and tail["parser"] == "auditkit"
    parser = conf["parsers"][0]
    assert parser["format"] == "json" and parser["time_key"] == "ts"
