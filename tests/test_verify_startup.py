"""``auditkit verify``'s start-up: what a clean check loads, and that what it no longer loads changed nothing.

A verify of 500 MB takes ~0.6 s, so every ms before the first byte is hashed counts (benchmarks/verify.py). orjson
(~10 ms: it loads dataclasses, inspect and uuid) is loaded only for a first line that is not plain JSON
(``store.files.json_value``), and the report's classes are dataclasses to :mod:`dataclasses` without importing it.
Here: the line reader reads every line exactly as orjson reads it (hostile lines too), the classes still answer
``dataclasses``, and a clean verify loads neither.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.custody.verify import ERROR, Finding, VerifyReport
from auditkit.store.files import first_record, json_value
from auditkit.trail import format as tf
from tests.conftest import REPO


def as_orjson_reads(raw: bytes) -> str:
    """What orjson makes of a line: the value's repr (types, key order and all) or that it refuses it."""
    try:
        return "value " + repr(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return "refused"


def as_json_value_reads(raw: bytes) -> str:
    try:
        return "value " + repr(json_value(raw))
    except ValueError:
        return "refused"


HOSTILE_LINES = [
    b"-0",
    b'{"a":-0,"b":0}',
    b'{"a":1,"b":2,"a":3}',  # a later duplicate wins, in the first one's place
    b' \t\r\n{"a":1} \t\r\n',
    b'{"a":1}\x0c',  # a form feed is not JSON whitespace
    b'{"a":1}\x0b',
    b"999999999999999999",
    b"-99999999999999999",
    b"9223372036854775807",
    b"18446744073709551615",
    b"18446744073709551616",  # past 64 bits orjson reads a float
    b"-9223372036854775809",
    b"123456789012345678901234567890",
    b"1.5",
    b"1e400",
    b"1E2",
    b"-1.0e-5",
    b"NaN",
    b"[Infinity]",
    b'{"a":-Infinity}',
    b"\x00{\x00}",  # UTF-16 to the standard library's guess at an encoding
    b'\xef\xbb\xbf{"a":1}',  # a byte order mark
    b'{"a":"\\ud800"}',  # a lone surrogate, escaped
    b'{"a":"\\u00e9"}',
    b'{"a":"\xc3\xa9"}',
    b'{"a":"\xff"}',  # not UTF-8
    b'{"a":"tab\there"}',  # a raw control character in a string
    b'{"a":"nul\x00"}',
    b"[" * 1100 + b"]" * 1100,  # deeper than orjson reads
    b"[" * 500 + b"]" * 500,
    b'{"a":[1,2,{"b":null,"c":true,"d":false}],"e":""}',
    b"",
    b"   ",
    b"{}",
    b"[]",
    b'"text"',
    b"01",
    b"+1",
    b"[1,]",
    b'{"a":1,}',
    b"{'a':1}",
    b'{"a":1}{"b":2}',
    b'{"a":1} x',
    b"true",
    b"nul",
    b'{"v":1,"seq":0,"ts":"2026-03-17T00:00:00.000000Z","prev":"' + b"0" * 64 + b'","event":"trail_start"}',
]


@pytest.mark.parametrize("raw", HOSTILE_LINES, ids=range(len(HOSTILE_LINES)))
def test_a_hostile_line_is_read_as_orjson_reads_it(raw: bytes) -> None:
    assert as_json_value_reads(raw) == as_orjson_reads(raw)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=_values, ascii_only=st.booleans(), spaces=st.sampled_from(["", " ", "\t", "\r\n", " \n "]))
def test_any_json_text_is_read_as_orjson_reads_it(value: object, ascii_only: bool, spaces: str) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(", ", ": ") if spaces else (",", ":"))
    raw = (spaces + text + spaces).encode("utf-8", "surrogatepass")
    assert as_json_value_reads(raw) == as_orjson_reads(raw)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=40) | st.text(alphabet='{}[]",:-0123456789.eEtruefalsn \\u', max_size=30).map(str.encode))
def test_any_bytes_are_read_or_refused_as_orjson_does(raw: bytes) -> None:
    assert as_json_value_reads(raw) == as_orjson_reads(raw)


def test_a_first_record_is_what_orjson_made_of_it(tmp_path: Path) -> None:
    for i, raw in enumerate(HOSTILE_LINES):
        path = tmp_path / f"{i}.jsonl"
        path.write_bytes(raw + b"\n" + b'{"second":1}\n')
        try:
            want = orjson.loads(raw) if raw.strip() else {"second": 1}
        except orjson.JSONDecodeError:
            want = None
        assert repr(first_record(path)) == repr(want if isinstance(want, dict) else None), raw


def test_the_report_classes_are_still_dataclasses_to_the_dataclasses_module() -> None:
    finding = Finding("edited", ERROR, "the record's bytes do not match its hash", "t.jsonl", 3, 2)
    report = VerifyReport(files=["t.jsonl"], records=4, findings=[finding])
    assert dataclasses.is_dataclass(report) and dataclasses.is_dataclass(Finding)
    assert [f.name for f in dataclasses.fields(Finding)] == ["kind", "severity", "message", "file", "line", "seq"]
    for cls in (Finding, VerifyReport):  # the field list, __init__ and match order are one list, in one order
        names = [f.name for f in dataclasses.fields(cls)]
        assert list(inspect.signature(cls.__init__).parameters)[1:] == names == list(cls.__match_args__)
    assert [f.name for f in dataclasses.fields(report)] == [
        *("files", "records", "bytes", "trails", "seals", "anchors", "findings", "unchained", "provenance")
    ]
    assert dataclasses.asdict(finding) == {
        "kind": "edited",
        "severity": ERROR,
        "message": "the record's bytes do not match its hash",
        "file": "t.jsonl",
        "line": 3,
        "seq": 2,
    }
    out = report.to_dict()
    assert out["findings"] == [dataclasses.asdict(finding)] and out["first_break"] == dataclasses.asdict(finding)
    assert out["intact"] is False and out["seals"] == {
        "logs": [],
        "checked": 0,
        "valid": 0,
        "failed": 0,
        "latest": None,
    }
    assert dataclasses.replace(finding, line=9) == Finding("edited", ERROR, finding.message, "t.jsonl", 9, 2)
    assert finding != dataclasses.replace(finding, seq=3) and report == VerifyReport(["t.jsonl"], 4, findings=[finding])
    assert repr(finding) == (
        "Finding(kind='edited', severity='error', message=\"the record's bytes do not match its hash\", "
        "file='t.jsonl', line=3, seq=2)"
    )
    assert VerifyReport().seals is not VerifyReport().seals and VerifyReport().findings is not VerifyReport().findings
    with pytest.raises(TypeError):
        hash(finding)


def test_verifying_a_clean_trail_loads_neither_orjson_nor_dataclasses_nor_typing(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    created = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": created}}
    start["data"]["previous_segment"] = None
    lines = [tf.encode_record(0, created, tf.genesis_hash("t", created), start)]
    for seq in range(1, 50):
        prev = lines[-1].rstrip(b"\n")[-tf.HASH_AT : -2].decode()
        lines.append(tf.encode_record(seq, created, prev, {"event": "Stop", "status": "info"}))
    trail.write_bytes(b"".join(lines))
    # the console script's process, whose verify ends in os._exit: what it loaded is read from -X importtime
    probe = (
        "import sys; from auditkit.cli import main; sys.argv = ['auditkit', 'verify', sys.argv[1]]; sys.exit(main())"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe, str(trail)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "50 records" in done.stdout, done.stdout
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "auditkit.custody.verify" in loaded, done.stderr
    assert [m for m in ("orjson", "dataclasses", "inspect", "uuid", "typing") if m in loaded] == [], done.stderr
    assert done.returncode == 0, done.stderr
