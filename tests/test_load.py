"""load(): files, folders, globs and .gz; every supported format; malformed lines reported, never fatal."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.errors import TrailFormatError
from tests.conftest import SAMPLES, payload

SEED_LINES = [  # the seed article's own examples, in its flat format
    {
        "timestamp": "2026-03-17T14:23:45.123Z",
        "toolName": "readFile",
        "input": {"file_path": "/my/project/package.json"},
        "output": "{}",
        "executionTimeMs": 45,
        "error": False,
        "errorMessage": None,
        "status": "SUCCESS",
    },
    {
        "timestamp": "2026-03-17T14:23:46.456Z",
        "toolName": "bash",
        "input": {"command": "npm test"},
        "output": "FAIL",
        "executionTimeMs": 2341,
        "error": True,
        "errorMessage": "exit 1",
        "status": "FAILED",
    },
    {
        "timestamp": "2026-03-17T14:23:48.789Z",
        "toolName": "writeFile",
        "input": {"file_path": "/my/project/results.txt", "content": "Tests passed!"},
        "output": "Written 14 bytes",
        "executionTimeMs": 12,
        "error": False,
        "errorMessage": None,
        "status": "SUCCESS",
    },
]


def write_jsonl(path: Path, rows: list, gz: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _by_both_readers(trail: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``trail`` loaded by the line reader, then by the columnar path (which must take it)."""
    from auditkit.loading import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    assert columnar.read(trail) is not None  # the columnar path took it
    return slow, auditkit.load(trail)


def test_samples_load_with_no_problems() -> None:
    """The bundled samples load completely: five trails and a transcript, seven sessions, nothing skipped."""
    df = auditkit.load(SAMPLES)
    assert df.attrs["problems"] == []
    assert len(df.attrs["files"]) == 6
    assert df["session_id"].nunique() == 7
    assert set(df["source_format"]) == {"auditkit", "transcript"}
    assert df["event_id"].is_unique


def test_seed_flat_format_reads_as_finished_calls(tmp_path: Path) -> None:
    """The seed's flat lines become finished calls with Claude Code's tool names, durations and failures."""
    df = auditkit.load(write_jsonl(tmp_path / "audit-trail.jsonl", SEED_LINES))
    assert list(df["tool"]) == ["Read", "Bash", "Write"]
    assert list(df["status"]) == ["ok", "error", "ok"]
    assert list(df["duration_ms"]) == [45, 2341, 12]
    assert df.loc[1, "error"] == "exit 1" and df.loc[1, "command"] == "npm test"
    calls = auditkit.tool_calls(df)
    assert calls.loc[calls["tool"] == "Bash", "start"].item().isoformat() == "2026-03-17T14:23:44.115000+00:00"


def test_raw_hook_payloads_are_read(tmp_path: Path) -> None:
    """Payloads dumped by `jq -c . >> log` load with their fields; their time is NaT unless a wrapper added one."""
    rows = [
        payload("PreToolUse", tool_name="Read", tool_use_id="a", tool_input={"file_path": "/x"}),
        {
            **payload(
                "PostToolUse",
                tool_name="Read",
                tool_use_id="a",
                tool_input={"file_path": "/x"},
                tool_response={"type": "text"},
            ),
            "timestamp": "2026-01-02T03:04:05Z",
        },
    ]
    df = auditkit.load(write_jsonl(tmp_path / "raw.jsonl", rows))
    assert list(df["source_format"]) == ["hook_payload", "hook_payload"]
    assert df["timestamp"].isna().sum() == 1
    assert set(df["file_path"]) == {"/x"}


def test_gzip_glob_and_folder_inputs(tmp_path: Path) -> None:
    """A folder is searched recursively for .jsonl and .jsonl.gz; globs and repeated paths load each file once."""
    write_jsonl(tmp_path / "a" / "one.jsonl", SEED_LINES[:1])
    write_jsonl(tmp_path / "a" / "b" / "two.jsonl.gz", SEED_LINES[1:], gz=True)
    (tmp_path / "a" / "notes.txt").write_text("not a trail")
    assert len(auditkit.load(tmp_path / "a")) == 3
    assert len(auditkit.load(str(tmp_path / "a" / "**" / "*.gz"))) == 2
    assert len(auditkit.load([tmp_path / "a", tmp_path / "a" / "one.jsonl"])) == 3


def test_malformed_lines_are_skipped_and_reported_with_file_and_line(tmp_path: Path) -> None:
    """Bad lines do not stop a load: each is listed with file and line, and a warning says so."""
    trail = tmp_path / "t.jsonl"
    shutil.copy(SAMPLES / "incident" / "audit-trail.jsonl", trail)
    good = len(trail.read_text().splitlines())
    with trail.open("a") as fh:
        fh.write("this is not json\n")
        fh.write('["a list"]\n')
        fh.write('{"unknown": "shape"}\n')
        fh.write('{"v":1,"seq":99,"ts":"2026')  # a write cut short
    with pytest.warns(UserWarning, match=rf"4 unreadable line\(s\) skipped; first at .*t\.jsonl:{good + 1}"):
        df = auditkit.load(trail)
    assert len(df) == good
    problems = df.attrs["problems"]
    assert [p["line"] for p in problems] == [good + 1, good + 2, good + 3, good + 4]
    assert all(p["file"] == str(trail) for p in problems)
    assert "partial last line" in problems[-1]["reason"]


def test_strict_load_raises_naming_file_and_line(tmp_path: Path) -> None:
    """strict=True turns the first bad line into a TrailFormatError that names it."""
    trail = write_jsonl(tmp_path / "t.jsonl", SEED_LINES)
    with trail.open("a") as fh:
        fh.write("oops\n")
    with pytest.raises(TrailFormatError, match=r"t\.jsonl:4: "):
        auditkit.load(trail, strict=True)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        auditkit.load(tmp_path / "nope")


def comparable(df) -> list:
    return [
        [None if (v is None or (not isinstance(v, (dict, list)) and pd.isna(v))) else v for v in df[c]]
        for c in df.columns
    ]


def test_the_columnar_fast_path_gives_the_same_frame_as_the_line_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large clean trails go through DuckDB; forcing that path on every sample must change nothing."""
    from auditkit.loading import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(SAMPLES)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    calls = []
    real = columnar.read
    monkeypatch.setattr(columnar, "read", lambda p, **kw: calls.append(p) or real(p, **kw))
    fast = auditkit.load(SAMPLES)
    assert len(calls) == 6  # every file is offered; the transcript is declined (not an auditkit trail)
    assert list(fast.columns) == list(slow.columns)
    assert comparable(fast) == comparable(slow)
    for col in ("tool", "event", "status"):
        assert isinstance(fast[col].dtype, pd.CategoricalDtype)


def test_a_damaged_large_trail_falls_back_and_reports_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditkit.loading import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    trail = tmp_path / "t.jsonl"
    lines = (SAMPLES / "failures" / "audit-trail.jsonl").read_bytes().splitlines(keepends=True)
    trail.write_bytes(b"".join([*lines[:5], b"not json\n", *lines[5:], lines[3][:30]]))
    assert columnar.read(trail) is None
    with pytest.warns(UserWarning, match="2 unreadable"):
        df = auditkit.load(trail)
    assert [p["line"] for p in df.attrs["problems"]] == [6, len(lines) + 2]
    assert len(df) == len(lines)


def test_a_value_duckdb_cannot_cast_sends_a_large_trail_to_the_line_reader(tmp_path: Path, monkeypatch) -> None:
    """A hostile payload's list where a number belongs (duration_ms), thousands of lines in: DuckDB fails while
    streaming (an Arrow error, not a duckdb one), the fast path gives up and the line reader reads every record
    (found by the 10,000-payload property test)."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    trail = tmp_path / "audit-trail.jsonl"
    ts = "2026-03-17T00:00:00.000000Z"
    lines = [tf.encode_record(0, ts, tf.genesis_hash("t", ts), appender.header_fields("t", ts))]
    for seq in range(1, 12001):
        value = ["\U000e3d52x\ru", "E5u", 25321, None] if seq == 9000 else 12.5
        fields = {
            "event": "PostToolUse",
            "status": "ok",
            "session_id": "s",
            "tool_use_id": f"t{seq}",
            "duration_ms": value,
        }
        lines.append(tf.encode_record(seq, ts, lines[-1][-67:-3].decode(), fields))
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    assert columnar.read(trail) is None
    df = auditkit.load(trail)
    assert len(df) == 12001 and df.attrs["problems"] == [] and auditkit.verify(trail).intact
    durations = df.set_index("tool_use_id")["duration_ms"]
    assert durations["t1"] == durations["t12000"] == 12.5 and durations["t9000"] != durations["t9000"]  # NaN


def test_the_columnar_path_matches_the_line_reader_on_odd_values(tmp_path: Path, monkeypatch) -> None:
    """What the SQL derives (paths, commands, patterns, error text, event ids, categories) on the values real and
    hostile trails hold: errors as strings, objects, lists, numbers and non-ASCII text; tool inputs that are not
    objects, non-string paths, notebooks, WebSearch queries; a second file holding a copy of the first."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    inputs = [
        {"file_path": "/a/b.py"},
        {"notebook_path": "/a/n.ipynb"},
        {"file_path": 7, "notebook_path": "/a/m.ipynb"},
        {"command": "rm -rf build/ — déjà"},
        {"url": "https://example.com/x?q=1"},
        {"pattern": "TODO", "path": "/a"},
        {"query": "auditkit releases"},
        ["not", "an", "object"],
        "a string",
        None,
    ]
    errors = [None, "exit 1: ünïcode", {"code": 2, "msg": "é"}, ["a", 1], 3.5, True, "", None, {"nested": {"x": None}}]
    tools = ["Read", "NotebookEdit", "Read", "Bash", "WebFetch", "Grep", "WebSearch", "mcp__x__y", "Bash", "Task"]
    lines = [tf.encode_record(0, ts, tf.genesis_hash("odd", ts), appender.header_fields("odd", ts))]
    for seq in range(1, 400):
        fields = {
            "event": ("PreToolUse", "PostToolUse", "PostToolUseFailure")[seq % 3],
            "status": ("started", "ok", "error")[seq % 3],
            "session_id": f"s{seq % 4}",
            "tool_name": tools[seq % len(tools)],
            "tool_use_id": f"t{seq}",
            "tool_input": inputs[seq % len(inputs)],
            "error": errors[seq % len(errors)],
            "data": {"prompt": "fix it"} if seq % 11 == 0 else None,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        lines.append(tf.encode_record(seq, ts, lines[-1][-67:-3].decode(), fields))
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "audit-trail.jsonl").write_bytes(b"".join(lines))
    (folder / "copy-of-audit-trail.jsonl").write_bytes(b"".join(lines))
    for target in (folder / "audit-trail.jsonl", folder):
        monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
        slow = auditkit.load(target)
        monkeypatch.setattr(columnar, "MIN_BYTES", 0)
        fast = auditkit.load(target)
        assert len(fast) == 400 and fast.attrs["duplicates"] == slow.attrs["duplicates"]
        assert list(fast.columns) == list(slow.columns)
        assert list(fast.dtypes) == list(slow.dtypes)
        assert comparable(fast) == comparable(slow)
        for col in ("tool", "event", "status"):
            assert list(fast[col].cat.categories) == list(slow[col].cat.categories)


@pytest.mark.parametrize("reader", ["line reader", "columnar"])
def test_integers_past_64_bits_in_nested_values_read_back_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    """An MCP tool's 30-digit id is evidence as written: not 1.2345678901234568e+29 (orjson reads an integer
    past 64 bits as a float), by either reader, in the frame and in its export."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    big, neg = 123456789012345678901234567890, -98765432109876543210
    trail = tmp_path / "audit-trail.jsonl"
    ts = "2026-03-17T00:00:00.000000Z"
    lines = [tf.encode_record(0, ts, tf.genesis_hash("t", ts), appender.header_fields("t", ts))]
    fields = {
        "event": "PostToolUse",
        "status": "ok",
        "session_id": "s",
        "tool_name": "mcp__ledger__get",
        "tool_use_id": "t1",
        "tool_input": {"id": big, "label": "id 12345678901234567890123", "ratio": 0.5},
        "tool_response": [{"balance": neg, "n": 7}],
    }
    lines.append(tf.encode_record(1, ts, lines[-1][-67:-3].decode(), fields))
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 0 if reader == "columnar" else 1 << 60)
    df = auditkit.load(trail)
    row = df.set_index("tool_use_id").loc["t1"]
    assert row["input"] == {"id": big, "label": "id 12345678901234567890123", "ratio": 0.5}
    assert row["response"] == [{"balance": neg, "n": 7}]
    assert str(big) in df["input"].array.texts()[1].as_py()


def test_gzipped_segments_take_the_columnar_path_and_give_the_line_readers_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archived segment is gzipped: DuckDB reads it whole (a million events in seconds, not half a
    minute and 4 GB), and the frame is the line reader's, dtypes included."""
    import gzip

    from auditkit.loading import columnar

    for src in SAMPLES.rglob("audit-trail*.jsonl"):
        (tmp_path / src.parent.name).mkdir(exist_ok=True)
        (tmp_path / src.parent.name / (src.name + ".gz")).write_bytes(gzip.compress(src.read_bytes()))
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(tmp_path)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    taken = []
    real = columnar.read
    monkeypatch.setattr(columnar, "read", lambda p, **kw: taken.append(r := real(p, **kw)) or r)
    fast = auditkit.load(tmp_path)
    assert len(taken) >= 4 and all(t is not None for t in taken)  # every gzipped trail took the fast path
    assert list(fast.dtypes) == list(slow.dtypes) and comparable(fast) == comparable(slow)


@pytest.mark.parametrize("damage", ["cut short", "garbage after the stream"])
def test_a_damaged_gzipped_segment_falls_back_to_the_line_reader_which_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    import gzip

    from auditkit.loading import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    lines = (SAMPLES / "failures" / "audit-trail.jsonl").read_bytes()
    packed = gzip.compress(lines * 1)
    seg = tmp_path / "audit-trail.1-9.jsonl.gz"
    seg.write_bytes(packed[: len(packed) * 2 // 3] if damage == "cut short" else packed + b"not gzip at all")
    assert columnar.read(seg) is None
    with pytest.warns(UserWarning, match="unreadable"):
        df = auditkit.load(seg)
    assert df.attrs["problems"] and "gzip" in df.attrs["problems"][-1]["reason"]


@pytest.mark.parametrize("reader", ["line reader", "columnar"])
def test_forged_values_of_the_wrong_kind_load_and_every_view_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    """Records are not signed: a list where an event name belongs, 1.5 or 10**25 tokens, a duration of 1e30 ms,
    a 30-digit error code. Each used to end load() or tool_calls() with an exception (found by fuzzing)."""
    from auditkit.analysis import findings as F
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    trail = tmp_path / "audit-trail.jsonl"
    ts = "2026-03-17T00:00:00.000000Z"
    lines = [tf.encode_record(0, ts, tf.genesis_hash("t", ts), appender.header_fields("t", ts))]
    odd = [
        {"event": ["PostToolUse", 1], "status": "ok", "session_id": "s", "tool_use_id": "t1"},
        {"event": "PreToolUse", "status": "started", "session_id": "s", "tool_name": "Bash", "tool_use_id": "t2",
         "redactions": 1.5, "input_tokens": 10**25},
        {"event": "PostToolUse", "status": "error", "session_id": "s", "tool_name": "Bash", "tool_use_id": "t3",
         "duration_ms": 1e30, "error": 123456789012345678901234567890},
    ]  # fmt: skip
    for seq, fields in enumerate(odd, 1):
        lines.append(tf.encode_record(seq, ts, lines[-1][-67:-3].decode(), fields))
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 0 if reader == "columnar" else 1 << 60)
    df = auditkit.load(trail).set_index("tool_use_id", drop=False)
    assert df.at["t1", "event"] == '["PostToolUse",1]'
    assert pd.isna(df.at["t2", "redactions"]) and pd.isna(df.at["t2", "input_tokens"])
    assert df.at["t3", "error"] == "123456789012345678901234567890"
    calls = auditkit.tool_calls(df).set_index("tool_use_id")
    assert pd.isna(calls.at["t3", "start"]) and calls.at["t3", "duration_ms"] == 1e30
    for view in (auditkit.sessions, auditkit.summary, F.failures, F.file_changes, F.retry_loops, F.redundant_reads):
        view(df)


@pytest.mark.parametrize(("key", "damaged"), [(b'"seq":', b'"sUq":'), (b'"hash":', b'"hXsh":'), (b'"v":1,', b'"w":1,')])
def test_a_record_with_a_damaged_key_is_reported_by_both_readers_not_loaded_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: bytes, damaged: bytes
) -> None:
    """DuckDB reads a record whose "seq" lost a letter as one without a seq: the fast path used to load it
    silently while the line reader reported it (found by fuzzing). Both now report line 5."""
    from auditkit.loading import columnar

    lines = (SAMPLES / "regression-fix" / "audit-trail.jsonl").read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(key, damaged, 1)
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    seen = []
    for threshold in (1 << 60, 0):
        monkeypatch.setattr(columnar, "MIN_BYTES", threshold)
        with pytest.warns(UserWarning, match="1 unreadable"):
            df = auditkit.load(trail)
        seen.append(([p["line"] for p in df.attrs["problems"]], len(df)))
    assert seen[0] == seen[1] == ([5], len(lines) - 1)


def test_odd_values_in_count_and_text_columns_read_the_same_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same trail gives the same frame whatever its size (found by fuzzing: DuckDB rounded 1.5 tokens to 2
    and showed true, 7 and {"file": 3} in a text column as JSON text, where the line reader kept Python's
    True, 7 and "{'file': 3}")."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    trail = tmp_path / "audit-trail.jsonl"
    ts = "2026-03-17T00:00:00.000000Z"
    lines = [tf.encode_record(0, ts, tf.genesis_hash("t", ts), appender.header_fields("t", ts))]
    values = [1.5, True, "12", 1000.0, 2**63, -(2**63), {"file": 3}, ["a", 1], 7, None, "é"]
    for seq, v in enumerate(values, 1):
        fields = {"event": "Stop", "status": "ok", "session_id": "s", "tool_use_id": f"t{seq}",
                  "redactions": v, "input_tokens": v, "user": v, "tool_name": v, "effort": {"level": v}}  # fmt: skip
        lines.append(tf.encode_record(seq, ts, lines[-1][-67:-3].decode(), fields))
    trail.write_bytes(b"".join(lines))
    frames = []
    for threshold in (1 << 60, 0):
        monkeypatch.setattr(columnar, "MIN_BYTES", threshold)
        frames.append(auditkit.load(trail))
    slow, fast = frames
    assert list(slow.dtypes) == list(fast.dtypes) and comparable(slow) == comparable(fast)
    row = slow.set_index("tool_use_id")
    assert pd.isna(row.at["t1", "redactions"]) and row.at["t4", "input_tokens"] == 1000
    assert row.at["t2", "user"] == "true" and row.at["t7", "tool"] == '{"file":3}'
    # and where every count is an integer (the fast path reads it): an error code of 26 digits stays exact
    lines = [lines[0], tf.encode_record(1, ts, lines[0][-67:-3].decode(), {"event": "Stop", "error": 10**25})]
    trail.write_bytes(b"".join(lines))
    errors = []
    for threshold in (1 << 60, 0):
        monkeypatch.setattr(columnar, "MIN_BYTES", threshold)
        errors.append(auditkit.load(trail)["error"].iloc[-1])
    assert errors == ["1" + "0" * 25] * 2


@pytest.mark.parametrize("reader", ["line reader", "columnar"])
def test_a_trail_start_whose_data_is_no_object_loads_verifies_and_redacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    """A forged trail_start with "data": "x" used to end load() with AttributeError (found by fuzzing); now the
    trail loads without a trail id, verify says the start is wrong, and a redacted copy can still be made."""
    from auditkit.custody.secrets import redact
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = tf.encode_record(0, ts, tf.genesis_hash("t", ts), {"event": "trail_start", "status": "info", "data": "x"})
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(start + tf.encode_record(1, ts, start[-67:-3].decode(), {"event": "Stop", "session_id": "s"}))
    monkeypatch.setattr(columnar, "MIN_BYTES", 0 if reader == "columnar" else 1 << 60)
    df = auditkit.load(trail)
    assert len(df) == 2 and df["trail_id"].isna().all() and df.attrs["problems"] == []
    assert not auditkit.verify(trail).intact
    redact(trail, tmp_path / "copy.jsonl")
    assert len(auditkit.load(tmp_path / "copy.jsonl")) == 2


def test_json_written_loosely_reads_alike_by_both_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The columnar path tells a JSON object, string, list or null by the first character of DuckDB's text of it:
    a trail written with spaces everywhere (any writer's JSON, not only the hook's compact form), JSON nulls,
    empty lists and objects, nested strings that look like JSON, gives the line reader's frame."""
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    head = tf.encode_record(0, ts, tf.genesis_hash("loose", ts), appender.header_fields("loose", ts))
    values = [
        {"file_path": "/a b/c.py", "command": " {not json} "},
        {"notebook_path": '"quoted"', "file_path": None},
        {"command": ["ls"], "url": "[1]", "pattern": {"x": 1}},
        {"query": "q", "pattern": None},
        [],
        {},
        '{"file_path": "/in/a/string"}',
        None,
        "  padded  ",
        7,
    ]
    errors = [None, " spaced ", {"e": [1, {"f": None}]}, [], "", '"quoted"', 0, False]
    lines = [head.decode().rstrip("\n")]
    for seq in range(1, 300):
        record = {
            "v": 1,
            "seq": seq,
            "ts": ts,
            "prev": "0" * 64,
            "event": "PreToolUse",
            "status": "started",
            "session_id": "s",
            "tool_name": "WebSearch" if seq % 4 == 3 else "Bash",
            "tool_use_id": f"t{seq}",
            "tool_input": values[seq % len(values)],
            "tool_response": values[(seq + 3) % len(values)],
            "error": errors[seq % len(errors)],
            "truncated": [[], None, [{"field": "tool_response", "bytes": 9}], {}][seq % 4],
            "data": [None, {"prompt": " hi "}, {"prompt": 3}, {}, "text"][seq % 5],
            "hash": f"{seq:064x}",
        }
        lines.append(json.dumps(record, indent=None, separators=(" , ", " : ")))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_text("\n".join(lines) + "\n")
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert comparable(fast) == comparable(slow)
    assert fast["pattern"].notna().any() and fast["error"].notna().any() and fast["truncated"].notna().any()


def test_setting_a_value_in_one_empty_column_leaves_the_others_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """The columnar path builds every string column a trail never fills over one shared Arrow array of nulls:
    setting a value in one of them (as an analyst annotates a frame) changes that column alone."""
    from auditkit.loading import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    df = auditkit.load(SAMPLES / "failures" / "audit-trail.jsonl")
    empty = [c for c in ("message_id", "request_id", "agent_type", "url", "transcript_path") if df[c].isna().all()]
    assert len(empty) >= 2
    df.loc[0, empty[0]] = "set here"
    df[empty[1]] = df[empty[1]].fillna("filled")
    assert df.loc[0, empty[0]] == "set here" and df[empty[0]].iloc[1:].isna().all()
    assert (df[empty[1]] == "filled").all()
    assert all(df[c].isna().all() for c in empty[2:])


@pytest.mark.parametrize("mix", ["some odd", "all odd"])
def test_times_in_any_form_read_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mix: str
) -> None:
    """The columnar path leaves times to pandas, as the line reader does (DuckDB would read 24:00 as the next
    day, where pandas sees no time): the same times and time unit for seconds only, milli- and nanoseconds,
    offsets, a space for the T, leap seconds, 24:00, Feb 30, 1850 and garbage, among the hook's own form."""
    from auditkit.trail import format as tf

    odd = [
        "2026-03-17T00:00:01Z",
        "2026-03-17T00:00:02.5Z",
        "2026-03-17T00:00:03.123456789Z",
        "2026-03-17T02:00:04.000000+02:00",
        "2026-03-17 00:00:05.000000Z",
        "2026-03-17T23:59:60.000000Z",
        "2026-03-17T24:00:00.000000Z",
        "2026-02-30T00:00:00.000000Z",
        "1850-03-17T00:00:06.000000Z",
        "2026-03-17T00:00:07.000000",
        "not a time",
        None,
    ]
    head = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "times"}}
    lines = []
    for seq in range(200):
        canonical = f"2026-03-17T00:{seq // 60:02d}:{seq % 60:02d}.{seq:06d}Z"
        ts = canonical if mix == "some odd" and seq % 3 else odd[seq % len(odd)]
        fields = head if seq == 0 else {"event": "PreToolUse", "status": "started", "tool_use_id": f"t{seq}"}
        record = {"v": 1, "seq": seq, "ts": ts, "prev": "0" * 64, **fields, "hash": f"{seq:064x}"}
        lines.append(json.dumps({k: v for k, v in record.items() if v is not None}) + "\n")
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_text("".join(lines))
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert fast["timestamp"].dtype == slow["timestamp"].dtype
    assert fast["timestamp"].isna().sum() == slow["timestamp"].isna().sum() > 0
    assert comparable(fast) == comparable(slow)


#: Times as a trail may hold them: the hook's shape and its shorter forms, and shapes pandas reads its own way
#: (other units, offsets, days a month has not, junk).
TIME_SHAPES = [
    "2026-03-17T00:00:00.123456Z",
    "2026-03-17T23:59:59Z",
    "2026-03-17T00:00:00.1Z",
    "2026-03-17T00:00:00.123Z",
    "2024-02-29T12:00:00.5Z",
    "1000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2026-03-17T00:00:00.123456789Z",
    "2026-03-17T00:00:00.1234567Z",
    "2026-03-17T00:00:00+00:00",
    "2026-03-17T02:00:00.5+02:00",
    "2026-03-17T00:00:00z",
    "2026-03-17 00:00:00Z",
    "2026-03-17T00:00:00",
    "2026-03-17",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-04-31T00:00:00.000001Z",
    "2026-03-17T24:00:00Z",
    "2026-03-17T23:59:60Z",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "\uff12\uff10\uff12\uff16-03-17T00:00:00Z",  # fullwidth digits
    " 2026-03-17T00:00:00Z",
    "2026-03-17T00:00:00Z\n",
    "",
    "yesterday",
]


@pytest.mark.parametrize("odd", [None, *TIME_SHAPES[7:]])
def test_a_trails_times_read_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str | None
) -> None:
    """A trail of the hook's times in their shorter forms, with one missing or odd time among them: the
    columnar path (which reads its times batch by batch) gives the line reader's timestamps, to the unit."""
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    head = tf.encode_record(0, ts, tf.genesis_hash("times", ts), appender.header_fields("times", ts))
    times = [*TIME_SHAPES[:7], odd]
    lines = [head.decode().rstrip("\n")]
    for seq in range(1, 200):
        record = {"v": 1, "seq": seq, "ts": times[seq % len(times)], "prev": "0" * 64, "event": "PreToolUse",
                  "status": "started", "session_id": "s", "hash": f"{seq:064x}"}  # fmt: skip
        lines.append(json.dumps(record))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_text("\n".join(lines) + "\n")
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert fast["timestamp"].dtype == slow["timestamp"].dtype
    assert list(fast.dtypes) == list(slow.dtypes) and comparable(fast) == comparable(slow)


def test_load_begins_duckdbs_read_before_it_imports_pandas(tmp_path: Path) -> None:
    """``load()``'s module imports no pandas, pyarrow or numpy: DuckDB's read of a large trail begins first and
    pandas is imported while DuckDB reads (~0.3 s of a million-event load)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = "import sys, auditkit.loading.frame; print(sorted({'pandas', 'pyarrow', 'numpy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("given", [None, "9"])
def test_load_shortens_openblas_spin_only_for_its_own_numpy_import_and_leaves_the_environment_as_it_was(
    given: str | None,
) -> None:
    """numpy's OpenBLAS spins a thread per core ~0.1 s when it is loaded: a load that imports numpy first sets
    ``OPENBLAS_THREAD_TIMEOUT`` for it, unless the caller set it, and the environment is as it was after the
    load, a raising one too (a process started later inherits nothing); once numpy is in, loads leave it be."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    code = (
        "import os, subprocess, sys, auditkit.loading.frame as f\n"
        "def var(): return os.environ.get('OPENBLAS_THREAD_TIMEOUT')\n"
        "seen, real = [], f._begin\n"
        "f._begin = lambda files: (seen.append(var()), real(files))[1]\n"
        "try:\n    f.load('/nonexistent/trail.jsonl')\nexcept FileNotFoundError:\n    seen.append(var())\n"
        f"f.load({str(SAMPLES / 'failures')!r})\n"
        "seen.append(var())\n"
        f"f.load({str(SAMPLES / 'failures')!r})\n"
        "child = subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\"OPENBLAS_THREAD_TIMEOUT\"))'],"
        " capture_output=True, text=True).stdout.strip()\n"
        "print(*seen, child)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if given is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = given
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, check=True)
    # after the raising load; during the first whole load; after it; during the second (numpy loaded); a child
    want = ["None", "4", "None", "None", "None"] if given is None else [given] * 5
    assert done.stdout.split() == want, done.stdout + done.stderr


def test_openblas_spin_set_by_the_caller_while_a_load_runs_is_kept() -> None:
    """A value of ``OPENBLAS_THREAD_TIMEOUT`` the caller sets while a load runs (another thread of theirs, or
    code called during the load) is theirs: load() used to take the variable out at its end whatever it held."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    code = (
        "import os, auditkit.loading.frame as f\n"
        "real = f._begin\n"
        "def begin(files):\n"
        "    os.environ['OPENBLAS_THREAD_TIMEOUT'] = '9'\n"
        "    return real(files)\n"
        "f._begin = begin\n"
        f"f.load({str(SAMPLES / 'failures')!r})\n"
        "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, check=True)
    assert done.stdout.split() == ["9"], done.stdout + done.stderr


def test_a_read_begun_early_is_the_one_the_fast_path_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read ``load()`` begins is the one the columnar path takes (DuckDB reads the file once), and its
    frame is the line reader's."""
    from auditkit.loading import columnar, duckread

    trail = SAMPLES / "failures" / "audit-trail.jsonl"
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    begun: list[duckread.Reading | None] = []
    real = duckread.start
    monkeypatch.setattr(duckread, "start", lambda p, *a: begun.append(r := real(p, *a)) or r)
    monkeypatch.setattr(duckread, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    fast = auditkit.load(trail)
    assert len(begun) == 1 and begun[0] is not None and begun[0]._closed
    assert list(fast.dtypes) == list(slow.dtypes) and comparable(fast) == comparable(slow)


#: Values JSON has not (DuckDB and Python's json read them) and counts a 64-bit integer or a double does not
#: hold exactly, written raw into the field of each kind the columnar path checks batch by batch.
RAW_ODD_VALUES = ["NaN", "Infinity", "-Infinity", "1.5", "9007199254740993", "1e300", '"NaN"', '"-Infinity"']


@pytest.mark.parametrize("field", ["tool_name", "status", "user", "hash", "redactions", "seq", "duration_ms"])
@pytest.mark.parametrize("raw", [None, *RAW_ODD_VALUES])
def test_a_value_json_has_not_or_a_count_no_double_holds_reads_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, raw: str | None
) -> None:
    """The columnar path checks each DuckDB batch as a whole (v 1, a seq and a hash, whole counts below 2**53,
    no NaN or Infinity where a number or a name belongs): a batch holding such a value in a name, a string, a
    count or a float column gives the line reader's frame; a trail without one takes the columnar path."""
    from auditkit.loading import columnar
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    lines = [tf.encode_record(0, ts, tf.genesis_hash("odd", ts), appender.header_fields("odd", ts)).decode().strip()]
    for seq in range(1, 300):
        record = {"v": 1, "seq": seq, "ts": ts, "prev": "0" * 64, "event": "PostToolUse", "status": "ok",
                  "tool_name": "Bash", "user": "dev", "redactions": 0, "duration_ms": 2.5, "hash": f"{seq:064x}"}  # fmt: skip
        line = json.dumps(record)
        if raw is not None and seq == 150:
            value = json.dumps(record[field])
            line = line.replace(f'"{field}": {value}', f'"{field}": {raw}', 1)
            assert raw in line
        lines.append(line)
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    taken = columnar.read(trail)
    fast = auditkit.load(trail)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert str(comparable(fast)) == str(comparable(slow))  # (str: a NaN equals a NaN)
    assert fast.attrs["problems"] == slow.attrs["problems"]
    if raw is None:
        assert taken is not None and len(fast) == 300


#: Times of the hook's own shape (27 bytes, digits where it has digits) that are no time, or a time numpy and
#: pandas could read differently: a day the month has not, hour 24, second 60, year 0, a signed year, a
#: letter among the digits, a lower-case t or z, a time that is fine.
HOOK_SHAPED = [
    "2024-02-29T12:00:00.500000Z",
    "2025-02-29T00:00:00.000000Z",
    "2026-04-31T00:00:00.000001Z",
    "2026-03-17T24:00:00.000000Z",
    "2026-03-17T23:59:60.000000Z",
    "0000-01-01T00:00:00.000000Z",
    "0001-01-01T00:00:00.000000Z",
    "-001-01-01T00:00:00.000000Z",
    "2026-03-17T00:00:00.00000aZ",
    "2026-03-17t00:00:00.000000z",
    "2026-03-17T00:00:00+000000Z",
    "2026-1a-17T00:00:00.000000Z",
]


@pytest.mark.parametrize("odd", HOOK_SHAPED)
def test_times_of_the_hooks_shape_read_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    """A trail of the hook's own times (which the columnar path parses with numpy, batch by batch) with one
    odd time of the same shape among them: the columnar path takes it and gives the line reader's times, to
    the unit; a batch numpy declines is parsed by pandas as the line reader parses it."""
    from auditkit.trail import appender
    from auditkit.trail import format as tf

    start = "2026-03-17T00:00:00.000000Z"
    head = tf.encode_record(0, start, tf.genesis_hash("times", start), appender.header_fields("times", start))
    lines = [head.decode().rstrip("\n")]
    for seq in range(1, 300):
        ts = odd if seq == 150 else f"2026-03-17T00:{seq // 60:02d}:{seq % 60:02d}.{seq * 1001:06d}Z"
        record = {"v": 1, "seq": seq, "ts": ts, "prev": "0" * 64, "event": "PreToolUse", "status": "started",
                  "hash": f"{seq:064x}"}  # fmt: skip
        lines.append(json.dumps(record))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_text("\n".join(lines) + "\n")
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert fast["timestamp"].dtype == slow["timestamp"].dtype == "datetime64[us, UTC]"
    assert fast["timestamp"].isna().equals(slow["timestamp"].isna())
    assert fast["timestamp"].dropna().tolist() == slow["timestamp"].dropna().tolist()
    assert comparable(fast) == comparable(slow)


def test_the_hooks_times_parsed_by_numpy_are_pandas_times() -> None:
    """numpy's parse of a batch of the hook's times gives what pandas' ISO 8601 parse gives, to the unit, over
    a span of dates (leap days, the year 1, 9999) and every microsecond digit; any other shape is left to
    pandas (None)."""
    import numpy as np
    import pyarrow as pa

    from auditkit.loading import columnar

    rng = np.random.default_rng(7)
    us = rng.integers(np.datetime64("0001-01-01", "us").astype(np.int64),
                      np.datetime64("9999-12-31T23:59:59.999999", "us").astype(np.int64), 20000)  # fmt: skip
    texts = [f"{t}Z" for t in us.astype("M8[us]").astype(str)] + ["2024-02-29T23:59:59.999999Z"]
    column = pa.array(texts, pa.large_string())
    got = columnar._hook_times(column)
    want = pd.to_datetime(column.to_pandas(), utc=True, errors="coerce", format="ISO8601")
    assert got is not None and got.dtype == want.dtype and got.equals(want)
    assert columnar._hook_times(column.slice(5, 100)).equals(want[5:105].reset_index(drop=True))
    for odd in ["2026-03-17T00:00:00.123Z", None, "2026-03-17T00:00:00.000000+00:00", "2026-02-30T00:00:00.000000Z"]:
        assert columnar._hook_times(pa.array([texts[0], odd], pa.large_string())) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_load_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    """``load()`` turns the collector off while it reads (its passes cost ~0.1 s of a large load) and back to
    what it was after, a load that raises included."""
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        assert len(auditkit.load(SAMPLES / "failures" / "audit-trail.jsonl")) > 0
        assert gc.isenabled() is enabled
        with pytest.raises(FileNotFoundError):
            auditkit.load(tmp_path / "nothing-here.jsonl")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20])
@pytest.mark.parametrize("ending", ["\n", "", "\n\n"])
def test_the_line_count_the_columnar_path_compares_is_exact_at_every_block_edge(
    tmp_path: Path, size: int, ending: str
) -> None:
    """The columnar path counts a file's newlines (a blank or partial line sends it to the line reader) one
    block at a time: the count and whether the file ends with a newline are exact with lines that end at,
    before and after a block's edge, plain and gzipped."""
    from auditkit.loading import duckread

    text = ("x" * 99 + "\n") * (size // 100) + "y" * (size % 100) + ending
    for gz in (False, True):
        path = write_jsonl(tmp_path / f"t{gz}.jsonl", [], gz=gz)
        path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
        assert duckread._lines(path, gz) == (text.count("\n"), not text or text.endswith("\n"))


def test_a_value_set_in_a_one_value_column_changes_that_row_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columnar path builds ``trail_id`` and ``source_file`` as slices of one array (one value in every row):
    setting a row, or filling a column from another, changes that row alone, in every batch."""
    from auditkit.loading import columnar

    lines = (SAMPLES / "failures" / "audit-trail.jsonl").read_bytes().splitlines(keepends=True)
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar.duckread, "MIN_BYTES", 0)
    reading = columnar.duckread.start(trail, batch_rows=3)
    assert reading is not None
    df = columnar.read(trail, batch_rows=3, started=reading)[0]
    assert df["source_file"].array._pa_array.num_chunks > 1  # (several batches, sharing one array)
    n = len(df)
    df.loc[1, "source_file"] = "elsewhere"
    df.loc[n - 1, "trail_id"] = "other"
    assert df["source_file"].tolist() == [str(trail), "elsewhere", *[str(trail)] * (n - 2)]
    assert df["trail_id"].tolist()[:-1] == [df["trail_id"].iloc[0]] * (n - 1) and df["trail_id"].iloc[-1] == "other"
    again = columnar.read(trail, batch_rows=3)[0]
    assert again["source_file"].tolist() == [str(trail)] * n and again["trail_id"].nunique() == 1


@pytest.mark.parametrize("dtype", ["str", object, "category"])
def test_the_quick_count_of_distinct_values_is_pandas_own(dtype: object) -> None:
    """load() asks whether a frame holds one file and one trail by comparing each value with the first when
    none is missing (no hashing of a million strings): the answer is ``nunique``'s, two standing for more."""
    import numpy as np

    from auditkit.loading.assemble import _distinct

    cases = [[], [None], [None, None], ["a"], ["a", "a"], ["a", "b"], ["a", None], ["a", None, "b"], [np.nan, "a"],
             ["b", "a", "a"], ["a", "a", "c"]]  # fmt: skip
    for values in cases:
        series = pd.Series(values, dtype=dtype)
        for dropna in (True, False):
            assert _distinct(series, dropna) == min(series.nunique(dropna=dropna), 2), (values, dropna)


@pytest.mark.parametrize("batch_rows", [1, 4, 1000])
def test_fields_most_records_lack_read_alike_by_both_readers_in_any_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    """DuckDB hands the fields most records lack (errors, subagents, tokens, cost, model, effort, cuts ...) over
    packed in one column: in batches holding none, some or all of them, one field or every one, each of every
    kind (text and JSON errors, counts, floats, names, nested), the frame is the line reader's."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:{:02d}.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts.format(0)}}
    every = {"error": "boom", "agent_id": "a1", "agent_type": "explore", "input_tokens": 12, "output_tokens": 3,
             "cache_creation_tokens": 5, "cache_read_tokens": 7, "cost_usd": 0.25, "wait_ms": 12.5,
             "model": "claude-x", "request_id": "req_1", "prompt_id": "p-1", "effort": {"level": "high"},
             "truncated": [{"field": "tool_response", "bytes": 9, "sha256": "0" * 64}]}  # fmt: skip
    extra = [{}, {}, {"error": {"code": 7, "why": ["x"]}}, {}, every, {"model": "claude-y"}, {}, {}, {"wait_ms": 3.0},
             {"effort": "low", "truncated": []}, {}, {"error": 12}, {}, {}, {}, {}, {"agent_id": "a2"}, {}]  # fmt: skip
    lines = [tf.encode_record(0, ts.format(0), "0" * 64, start)]
    for i, fields in enumerate(extra, 1):
        record = {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "tool_input": {"command": f"ls {i}"}}
        lines.append(tf.encode_record(i, ts.format(i), "0" * 64, record | fields))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    fast = columnar.read(trail, batch_rows=batch_rows)
    assert fast is not None  # (the fast path took it)
    assert list(fast[0].dtypes) == list(slow.dtypes)
    assert comparable(fast[0]) == comparable(slow.reset_index(drop=True))
    assert slow["model"].iloc[5:7].tolist() == ["claude-x", "claude-y"] and slow["cost_usd"].iloc[5] == 0.25


def test_event_ids_written_by_arrow_are_pythons_text_of_trail_and_seq() -> None:
    """The columnar path writes ``<trail id>:<seq>`` itself (no longer DuckDB's SQL): every width of number, both
    signs, the largest whole number a double holds exactly, non-ASCII trail ids, and a batch of no rows."""
    import numpy as np

    from auditkit.loading.columnar import _event_ids

    seqs = [0, 1, -1, 9, 10, -10, 99, 100, 12345, -987654321, 2**53 - 1, -(2**53 - 1), 10**15, 10**15 - 1, 7]
    for trail in ("bench", "", "déjà-vu 🦆", "a:b", "x" * 300):
        got = _event_ids(f"{trail}:", np.array(seqs, np.int64)).to_pylist()
        assert got == [f"{trail}:{s}" for s in seqs]
    assert _event_ids("t:", np.array([], np.int64)).to_pylist() == []


@pytest.mark.parametrize("trail_id", ["odd ünï:cödé 🦆", 12, ["a", 1], 0, "", {"x": None}])
def test_event_ids_of_odd_seqs_and_trail_ids_read_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trail_id: object
) -> None:
    """A forged trail may hold any trail id (text, a number, a list; one that is false: ids are then the hashes)
    and seqs of any size and sign, out of order: the trail ids and event ids the columnar path gives are the line
    reader's, in several batches (a trail id that was no string made the columnar path raise)."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": trail_id, "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    seqs = [1, -1, 2**53 - 1, -(2**53 - 1), 10, 9, 100, 99, -1000, 123456789012345, 5, 5]
    for i, seq in enumerate(seqs * 3):
        lines.append(tf.encode_record(seq, ts, "0" * 64, {"event": "PreToolUse", "tool_name": "Bash", "n": i}))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    fast = columnar.read(trail, batch_rows=5)
    assert fast is not None  # (the fast path took it)
    again = auditkit.load(trail)
    for col in ("event_id", "trail_id"):  # (load() keeps one row of each event id)
        assert again[col].tolist() == slow[col].tolist()
    assert fast[0]["trail_id"].tolist() == [str(trail_id)] * len(fast[0])
    assert len(slow) == (1 + len(seqs) - 1 if trail_id else len(fast[0]))  # (a seq twice: one event)
    ids = [f"{trail_id}:{s}" for s in [0, *seqs * 3]] if trail_id else fast[0]["hash"].tolist()
    assert fast[0]["event_id"].tolist() == ids


def test_the_arrow_check_for_a_read_key_given_twice_answers_as_the_sql_check() -> None:
    """load() checks each batch's tool inputs for a read key given twice with Arrow (not DuckDB's SQL): on objects
    holding a key twice (read or not, beside two read keys' names), nested objects, arrays, strings quoting keys,
    escapes, deep nesting, it answers as ``auditkit_trail.key_twice_sql`` does over the same compact text."""
    import duckdb
    import pyarrow as pa

    from auditkit.loading.columnar import _input_twice
    from auditkit.loading.readers import auditkit_trail

    texts = [
        '{"command":"ls","command":"rm -rf /"}',
        '{"file_path":"/a","url":"u","x":1,"x":2}',
        '{"x":1,"x":2,"command":"ls"}',
        '{"file_path":"/a","pattern":"TODO","notebook_path":"/n"}',
        '{"command":"ls","opts":{"command":"nested","url":"u"}}',
        '{"command":"echo \\"command\\": \\"url\\":","url":"https://x"}',
        '["\\"command\\":","\\"url\\":"]',
        '"\\"query\\": \\"query\\":"',
        '{"query":1,"\\u0071uery":2}',
        '{"url":"a","opts":[{"url":"b"}],"url":"c"}',
        '{"a":' * 300 + '{"command":"x","command":"y"}' + "}" * 300,
        '{"pattern":null,"pattern":{}}',
        "null",
        "{}",
    ]
    con = duckdb.connect()
    sql = auditkit_trail.key_twice_sql("t", auditkit_trail.READ_KEYS["tool_input"])
    for text in texts:
        compact = con.execute("select ?::JSON::VARCHAR", [text]).fetchone()[0]  # DuckDB's text, as a batch holds it
        expected = bool(con.execute(f"select coalesce({sql}, false) from (select ?::JSON as t)", [text]).fetchone()[0])
        assert _input_twice(pa.array([None, compact, "{}"], pa.large_string())) is expected, text
    assert _input_twice(pa.nulls(3, pa.large_string())) is False


def test_count_columns_joined_from_batches_are_pandas_own_conversion() -> None:
    """The columnar path writes a count column's batches into one ``Int64`` array itself (not pandas'
    ``__from_arrow__``): batches with and without missing values, wholly missing, empty, large and negative."""
    import pyarrow as pa

    from auditkit.loading.columnar import _integers

    chunks = [pa.array([1, None, -3], pa.int64()), pa.nulls(2, pa.int64()), pa.array([], pa.int64()),
              pa.array([2**53 - 1, 0], pa.int64()), pa.array([None], pa.int64())]  # fmt: skip
    got = pd.Series(_integers(chunks, 8))
    expected = pd.Series(pd.Int64Dtype().__from_arrow__(pa.chunked_array(chunks, pa.int64())))
    assert got.dtype == expected.dtype == "Int64"
    assert got.tolist() == expected.tolist() == [1, pd.NA, -3, pd.NA, pd.NA, 2**53 - 1, 0, pd.NA]
    assert got.isna().tolist() == expected.isna().tolist()


def test_a_seq_written_as_a_whole_float_gives_one_event_id_whichever_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged ``"seq":5.0`` (or ``-0.0``) is the seq 5 (0) to both readers: the line reader once wrote its event
    id ``t:5.0`` where DuckDB's path wrote ``t:5``, so one record had two ids depending on the file's size."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for i, seq in enumerate([1, 2, 3, 4]):
        lines.append(tf.encode_record(seq, ts, "0" * 64, {"event": "PreToolUse", "tool_name": "Bash", "n": i}))
    text = b"".join(lines).replace(b'"seq":2,', b'"seq":5.0,').replace(b'"seq":3,', b'"seq":-0.0,')
    assert b'"seq":5.0,' in text and b'"seq":-0.0,' in text
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(text)
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    assert columnar.read(trail) is not None  # (the fast path takes the file)
    fast = auditkit.load(trail)
    # (-0.0 is the seq 0, the trail start's: one event id, kept once, as any repeated seq)
    assert slow["event_id"].tolist() == fast["event_id"].tolist() == ["t:1", "t:5", "t:0", "t:4"]
    assert slow["seq"].tolist() == fast["seq"].tolist() == [1, 5, 0, 4]


#: What DuckDB's JSON reader (yyjson) takes that Python's refuses or writes another way: NaN and Infinity in any
#: case and sign (Python reads NaN, Infinity and -Infinity only), objects or lists holding what DuckDB writes as
#: it read it (NaN inside, a number past a double's range, a key given twice, an escape in capitals), and numbers
#: of more digits than Python's json converts to an integer (4300).
DUCKDB_OWN_WAY = ["nan", "-nan", "inf", "-INF", "Infinity", "-InFiNiTy", "NAN", '{"a":NaN}', "[1e400]",
                  '{"a":1,"a":2}', '["\\u001F"]', '{"level":-Infinity}', '{"level":"nan"}', '"inf"', "9" * 4301,
                  "-" + "1" * 5000]  # fmt: skip


@pytest.mark.filterwarnings("ignore:1 unreadable line")
@pytest.mark.parametrize("field", ["error", "tool_name", "user", "model", "agent_id", "effort", "ts", "hash"])
@pytest.mark.parametrize("raw", DUCKDB_OWN_WAY)
def test_words_and_objects_duckdb_reads_its_own_way_read_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, raw: str
) -> None:
    """A forged record holding ``"error": nan`` made the columnar path raise (load() ended in JSONDecodeError), and
    ``"model": -INF``, ``"effort": NaN`` or ``"user": {"a":NaN}`` loaded as DuckDB wrote them where the line
    reader reported the line or wrote the value its own way: the frame and the problems are now the line
    reader's, in a text, name, string, time or hash field, one of the fields most records lack or not."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for seq in range(1, 8):
        record = {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "user": "dev", "model": "m",
                  "tool_input": {"command": f"ls {seq}"}}  # fmt: skip
        odd = seq == 4 and field not in ("ts", "hash")
        line = tf.encode_record(seq, ts, "0" * 64, record | ({field: "@odd@"} if odd else {}))
        if seq == 4:  # (the record's own ts and hash: their values replaced)
            line = line.replace(b'"@odd@"', raw.encode())
            if field == "ts":
                line = line.replace(f'"ts":"{ts}"'.encode(), b'"ts":' + raw.encode())
            if field == "hash":
                line = line[:-68] + raw.encode() + b"}\n"
        lines.append(line)
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    assert raw.encode() in lines[4]
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    for batch_rows in (100000, 1, 3):
        columnar.read(trail, batch_rows=batch_rows)  # (declines or reads; never raises)
    fast = auditkit.load(trail)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert str(comparable(fast)) == str(comparable(slow))  # (str: a NaN equals a NaN)
    assert fast.attrs["problems"] == slow.attrs["problems"]


@pytest.mark.parametrize("trail_id", [2**70, -(2**65), 123456789012345678901234567890])
def test_a_trail_id_past_64_bits_names_the_events_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trail_id: int
) -> None:
    """The columnar path read the trail start with orjson, which reads an integer past 64 bits as a float: a
    forged trail id of 2**70 named every event ``1.1805916207174113e+21:<seq>`` there, where the line reader
    wrote ``1180591620717411303424:<seq>``."""
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": trail_id, "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for seq in range(1, 6):
        lines.append(tf.encode_record(seq, ts, "0" * 64, {"event": "PreToolUse", "tool_name": "Bash"}))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert fast["trail_id"].tolist() == slow["trail_id"].tolist() == [str(trail_id)] * 6
    assert fast["event_id"].tolist() == slow["event_id"].tolist() == [f"{trail_id}:{s}" for s in range(6)]


@pytest.mark.parametrize("raw", ["true", "false"])
def test_a_seq_of_true_or_false_names_its_event_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    """DuckDB reads ``"seq": true`` as the number 1 (the seq both readers show): the line reader named the event
    ``t:True``, where the columnar path named it ``t:1`` and kept one of it and the real seq 1 (a row fewer)."""
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for seq in range(1, 5):
        line = tf.encode_record(seq, ts, "0" * 64, {"event": "PreToolUse", "tool_name": "Bash"})
        lines.append(line.replace(b'"seq":3,', f'"seq":{raw},'.encode()) if seq == 3 else line)
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    slow, fast = _by_both_readers(trail, monkeypatch)
    assert slow["event_id"].tolist() == fast["event_id"].tolist()
    assert slow["seq"].tolist() == fast["seq"].tolist() and len(slow) == 4
    assert list(fast.dtypes) == list(slow.dtypes) and comparable(fast) == comparable(slow)


@pytest.mark.parametrize("field", ["tool_name", "status", "model", "effort", "permission_mode"])
@pytest.mark.parametrize(
    "raw",
    ["1e400", "-1.5E+0999", '{"level":1e400}', "1e300", "1E2", "0.5", "-0", "-0.0", "12345678901234567890123", "-7"],
)
def test_a_number_in_a_name_reads_alike_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, raw: str
) -> None:
    """A number where a name belongs (forged): DuckDB left ``1e400`` as it was, where the line reader reads
    infinity and shows ``null``, and wrote effort's ``1e300`` and ``-0`` as read, where the line reader shows
    ``1e+300`` and ``0``. A batch holding a number in a name column other than an integer in Python's digits
    goes to the line reader; an integer is read alike by the columnar path."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for seq in range(1, 6):
        record = {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "model": "m", "effort": "high"}
        line = tf.encode_record(seq, ts, "0" * 64, record | ({field: "@odd@"} if seq == 3 else {}))
        lines.append(line.replace(b'"@odd@"', raw.encode()))
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    monkeypatch.setattr(columnar, "MIN_BYTES", 1 << 60)
    slow = auditkit.load(trail)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    fast = auditkit.load(trail)
    assert list(fast.dtypes) == list(slow.dtypes) and comparable(fast) == comparable(slow)
    if raw in ("12345678901234567890123", "-7"):
        assert columnar.read(trail) is not None  # (an integer: the columnar path takes it)


@pytest.mark.parametrize("depth", [1100, 100000])
@pytest.mark.parametrize("document", [False, True])
def test_a_value_nested_deeper_than_pythons_json_reads_is_a_reported_line_not_the_end_of_the_load(
    tmp_path: Path, depth: int, document: bool
) -> None:
    """A forged tool input nested 1100 (or 100000) lists deep: orjson stops at 1024 levels, Python's json at ~1000,
    and its RecursionError ended load() for any trail the line reader reads (every trail under 8 MB). The line is
    now reported, the other records loaded; a file of one JSON document so nested is read line by line (and its
    one line reported)."""
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    lines = [tf.encode_record(0, ts, "0" * 64, start)]
    for seq in range(1, 5):
        fields = {"event": "PreToolUse", "tool_name": "Bash", "tool_input": "@deep@" if seq == 2 else {"command": "ls"}}
        lines.append(tf.encode_record(seq, ts, "0" * 64, fields))
    lines[2] = lines[2].replace(b'"@deep@"', b'{"command":"x","d":' + b"[" * depth + b"]" * depth + b"}")
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"[" + b",".join(line.rstrip(b"\n") for line in lines) + b"]" if document else b"".join(lines))
    with pytest.warns(UserWarning, match="unreadable"):
        df = auditkit.load(trail)
    if document:  # (one line holding the whole array: that line is reported)
        assert [p["line"] for p in df.attrs["problems"]] == [1] and df.empty
    else:
        assert [p["line"] for p in df.attrs["problems"]] == [3]
        assert len(df) == 4 and df["command"].tolist().count("ls") == 3


@pytest.mark.parametrize("field", ["tool_input", "user", "tool_name", "error", "data"])
@pytest.mark.parametrize("threshold", [1 << 60, 0])
def test_a_surrogate_written_as_utf8_bytes_loads_as_the_escaped_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, threshold: int
) -> None:
    """A lone surrogate written as raw bytes (ED A0 80, not UTF-8: orjson refuses the line, Python's json reads it
    as the surrogate) ended load() with UnicodeEncodeError when the frame was built, whatever the file's size (the
    columnar path declines such a file). It loads as the escaped surrogate "\\ud800" does: in its marked form."""
    from auditkit.loading import columnar
    from auditkit.trail import format as tf

    ts = "2026-03-17T00:00:00.000000Z"
    start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": "t", "created": ts}}
    frames = []
    for written in (b'"a\\ud800b"', b'"a\xed\xa0\x80b"'):
        lines = [tf.encode_record(0, ts, "0" * 64, start)]
        for seq in range(1, 4):
            fields = {"event": "PreToolUse", "tool_name": "Bash", "user": "dev"}
            lines.append(tf.encode_record(seq, ts, "0" * 64, fields | ({field: "@odd@"} if seq == 2 else {})))
        lines[2] = lines[2].replace(b'"@odd@"', written)
        trail = tmp_path / "audit-trail.jsonl"
        trail.write_bytes(b"".join(lines))
        monkeypatch.setattr(columnar, "MIN_BYTES", threshold)
        frames.append(auditkit.load(trail))
    escaped, raw = frames
    assert raw.attrs["problems"] == escaped.attrs["problems"] == []
    assert list(raw.dtypes) == list(escaped.dtypes) and comparable(raw) == comparable(escaped)
