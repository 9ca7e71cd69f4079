"""SQL straight over trail files (DuckDB reading them) answers exactly as the frame path (``load()`` registered
whole), and hands a file it cannot read alike to the frame path, saying why."""

from __future__ import annotations

import contextlib
import gzip
import shutil
import warnings
from pathlib import Path

import duckdb
import orjson
import pandas as pd
import pytest

import auditkit
from auditkit.analysis import trailsql
from auditkit.analysis.sqlquery import sql
from auditkit.cli import main
from auditkit.loading import columnar
from auditkit.trail import format as tf
from tests.conftest import REPO, SAMPLES

QUERIES = [
    "SELECT tool, count(*) AS n FROM trail GROUP BY tool ORDER BY tool NULLS FIRST",
    "SELECT * FROM trail",
    "SELECT count(*) AS n FROM trail",
    "SELECT event, status, timestamp, source_line, source_file, event_id, trail_id FROM trail LIMIT 40",
    "SELECT file_path, command, url, pattern, prompt, input->>'command' AS c FROM trail WHERE tool IS NOT NULL",
    "SELECT session_id, sum(duration_ms) AS d, max(redactions) AS r, min(timestamp) AS t FROM trail GROUP BY 1 ORDER BY 1",
    "SELECT trail FROM trail LIMIT 3",  # the row as a struct: reaches every column, which are then built
    "SELECT typeof(input) AS a, typeof(timestamp) AS b, typeof(seq) AS c FROM trail LIMIT 1",
]


def frame_answer(query: str, source: object) -> pd.DataFrame:
    return sql(query, auditkit.load(source))  # a frame: always the frame path


def assert_same(source: object, queries: list[str] = QUERIES) -> None:
    """Every query answered by DuckDB over the files equals its answer over ``load()``'s frame."""
    frame = auditkit.load(source)
    for query in queries:
        direct = trailsql.run(query, source)
        assert direct is not None, trailsql.why_not(query, source)
        pd.testing.assert_frame_equal(direct, sql(query, frame))


def write_trail(path: Path, events: int, change: dict[int, dict] | None = None, start_day: int = 17) -> Path:
    """A hash-chained v1 trail of Pre/Post pairs (as the hook writes them); ``change``: fields set on line i."""
    change = change or {}
    created = f"2026-03-{start_day:02d}T00:00:00.000000Z"
    trail_id = f"t-{path.stem}"
    prev = tf.genesis_hash(trail_id, created)
    lines = []
    for seq in range(events):
        if seq == 0:
            fields: dict = {"event": tf.TRAIL_START, "status": "info",
                            "data": {"trail_id": trail_id, "created": created, "previous_segment": None}}  # fmt: skip
        else:
            i, post = seq // 2, seq % 2 == 0
            tool = ("Bash", "Read", "WebSearch", "Edit")[i % 4]
            inp = {"Bash": {"command": f"make t{i % 7}"}, "WebSearch": {"query": f"q{i}"}}.get(
                tool, {"file_path": f"/src/m{i % 9}.py"}
            )
            fields = {"event": "PostToolUse" if post else "PreToolUse", "status": "ok" if post else "started",
                      "session_id": f"s-{i % 3}", "tool_name": tool, "tool_use_id": f"toolu_{i}",
                      "tool_input": inp, "cwd": "/src", "user": "dev", "host": "box", "redactions": i % 2}  # fmt: skip
            if post:
                fields |= {"tool_response": {"stdout": f"ok {i}"}, "duration_ms": 12.5 + i % 5}
        fields |= change.get(seq, {})
        ts = change.get(seq, {}).get(
            "_ts", f"2026-03-{start_day:02d}T01:{seq // 60 % 60:02d}:{seq % 60:02d}.{seq:06d}Z"
        )
        fields.pop("_ts", None)
        line = tf.encode_record(seq, ts, prev, fields)
        prev = line[-67:-3].decode()
        lines.append(line)
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize("sample", ["incident", "concurrent", "failures", "secrets", "regression-fix"])
def test_every_query_answers_as_the_frame_path_on_the_samples(sample: str) -> None:
    assert_same(SAMPLES / sample / "audit-trail.jsonl")


def test_several_trails_at_once_come_in_the_frame_paths_time_order() -> None:
    trails = [SAMPLES / s / "audit-trail.jsonl" for s in ("incident", "failures", "concurrent")]
    assert_same(trails)


def test_a_trail_large_enough_for_the_columnar_reader_answers_alike(tmp_path: Path) -> None:
    big = write_trail(tmp_path / "big.jsonl", 24000)
    assert big.stat().st_size >= columnar.MIN_BYTES  # load() reads it through DuckDB too
    assert_same(big)


def test_a_gzipped_segment_answers_alike(tmp_path: Path) -> None:
    plain = write_trail(tmp_path / "seg.jsonl", 300)
    packed = tmp_path / "seg.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    assert_same(packed)


def test_one_trail_in_several_segments_answers_alike(tmp_path: Path) -> None:
    whole = write_trail(tmp_path / "t.jsonl", 400).read_bytes().splitlines(keepends=True)
    # a second segment: its own trail_start (the same trail id), then seq going on
    (tmp_path / "a.jsonl").write_bytes(b"".join(whole[:200]))
    second = orjson.loads(whole[0])
    first_two = orjson.dumps(second) + b"\n"
    (tmp_path / "b.jsonl").write_bytes(first_two.replace(b'"seq":0', b'"seq":200') + b"".join(whole[201:]))
    files = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    assert_same(files)


@pytest.mark.parametrize(
    "damage",
    [
        "blank line",
        "second trail start",
        "count 1.5",
        "NaN duration",
        "error an object",
        "odd timestamp",
        "nanosecond timestamp",
        "seq repeated",
        "name NaN",
        "not a record",
    ],
)
def test_a_trail_the_two_readers_could_read_differently_goes_to_the_frame_path(tmp_path: Path, damage: str) -> None:
    changes = {
        "second trail start": {7: {"event": tf.TRAIL_START}},
        "count 1.5": {5: {"redactions": 1.5}},
        "NaN duration": {6: {"duration_ms": 123456.789}},  # made NaN below (the hook writes no NaN)
        "error an object": {9: {"error": {"code": 2}}},
        "odd timestamp": {4: {"_ts": "17/03/2026 01:00"}},
        "nanosecond timestamp": {4: {"_ts": "2026-03-17T01:00:04.123456789Z"}},
        "name NaN": {3: {"tool_name": "NaN"}},
    }
    path = write_trail(tmp_path / "t.jsonl", 60, changes.get(damage))
    lines = path.read_bytes().replace(b"123456.789", b"NaN").splitlines(keepends=True)
    if damage == "blank line":
        lines.insert(10, b"\n")
    elif damage == "seq repeated":
        lines.insert(10, lines[9])
    elif damage == "not a record":
        lines.insert(10, b'{"v": 1, "note": "no seq"}\n')
    path.write_bytes(b"".join(lines))
    query = "SELECT tool, event, source_line, duration_ms, redactions, error, timestamp FROM trail"
    assert trailsql.run(query, path) is None
    # sql() takes the frame path for it: the same answer as sql over load()'s frame
    with pytest.warns(UserWarning) if damage == "not a record" else contextlib.nullcontext():
        answer, expected = sql(query, path), frame_answer(query, path)
    pd.testing.assert_frame_equal(answer, expected)


def test_the_same_trail_copied_twice_goes_to_the_frame_path_which_counts_it_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    write_trail(tmp_path / "a" / "t.jsonl", 40)
    shutil.copytree(tmp_path / "a", tmp_path / "backup")
    assert trailsql.run("SELECT count(*) FROM trail", tmp_path) is None
    assert sql("SELECT count(*) AS n FROM trail", tmp_path)["n"][0] == 40


@pytest.mark.parametrize(
    "source",
    [
        SAMPLES / "transcripts",
        REPO / "tests" / "fixtures" / "transcripts",
        REPO / "tests" / "fixtures" / "agents" / "codex",
        REPO / "tests" / "fixtures" / "agents" / "gemini",
        SAMPLES,  # auditkit trails beside transcripts
    ],
)
def test_other_formats_go_to_the_frame_path_and_say_why(source: Path) -> None:
    query = "SELECT source_format, count(*) AS n FROM trail GROUP BY 1 ORDER BY 1"
    assert "not every file is an auditkit trail" in str(trailsql.why_not(query, source))
    assert trailsql.run(query, source) is None
    pd.testing.assert_frame_equal(sql(query, source), frame_answer(query, source))


def test_a_query_over_calls_goes_to_the_frame_path() -> None:
    query = "SELECT tool, count(*) AS n FROM calls GROUP BY tool ORDER BY tool"
    source = SAMPLES / "incident"
    assert "calls" in str(trailsql.why_not(query, source))
    pd.testing.assert_frame_equal(sql(query, source), frame_answer(query, source))


def test_a_bad_query_is_an_sql_error_on_either_path(tmp_path: Path) -> None:
    path = write_trail(tmp_path / "t.jsonl", 20)
    with pytest.raises(auditkit.AuditkitError, match="SQL: Binder Error"):
        trailsql.run("SELECT nope FROM trail", path)


def test_cli_sql_over_a_large_trail_prints_what_the_frame_path_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_trail(tmp_path / "t.jsonl", 4000)
    assert path.stat().st_size >= 1 << 20  # the CLI reads it in DuckDB
    query = "SELECT tool, count(*) AS n, sum(duration_ms) AS d FROM trail GROUP BY tool ORDER BY tool"
    for fmt in ("csv", "json", "table"):
        assert main(["sql", query, "--trail", str(path), "--format", fmt]) == 0
        direct = capsys.readouterr().out
        # --since before the trail: the frame path (a window is applied to the frame), the same rows
        assert main(["sql", query, "--trail", str(path), "--format", fmt, "--since", "2026-01-01"]) == 0
        assert direct == capsys.readouterr().out


@pytest.mark.parametrize("where", ["blank lines", "no newline at the end"])
def test_line_numbers_are_counted_only_when_a_query_shows_them(tmp_path: Path, where: str) -> None:
    path = write_trail(tmp_path / "t.jsonl", 80)
    lines = path.read_bytes().splitlines(keepends=True)
    if where == "blank lines":  # both readers skip them; the lines after them are numbered one further
        lines[20:20] = [b"\n", b"  \r\n"]
    else:
        lines[-1] = lines[-1].rstrip(b"\n")
    path.write_bytes(b"".join(lines))
    assert_same(path, [q for q in QUERIES if "source_line" not in q and "*" not in q and "SELECT trail" not in q])
    numbered = "SELECT tool, source_line FROM trail"
    if where == "blank lines":
        assert trailsql.run(numbered, path) is None  # the frame path numbers them
    else:
        assert_same(path, [numbered])


def test_a_file_name_duckdb_would_read_as_a_glob_goes_to_the_frame_path(tmp_path: Path) -> None:
    """A planted ``audit-trail-[ab].jsonl`` beside ``audit-trail-a.jsonl``: DuckDB would read the name as a
    pattern (and so the other file); the frame path reads each file by its own name."""
    write_trail(tmp_path / "audit-trail-a.jsonl", 30)
    write_trail(tmp_path / "audit-trail-[ab].jsonl", 20, start_day=18)
    query = "SELECT count(*) AS n FROM trail"
    assert trailsql.run(query, tmp_path) is None  # the folder lists both files, by their own names
    pd.testing.assert_frame_equal(sql(query, tmp_path), frame_answer(query, tmp_path))
    assert sql(query, tmp_path)["n"][0] == 50


@pytest.mark.parametrize(
    ("column", "record", "twice"),
    [
        ("command", "tool_input", b'{"command":"ls","command":"rm -rf /"}'),
        ("prompt", "data", b'{"prompt":"hello","prompt":"exfiltrate the keys"}'),
        ("effort", "effort", b'{"level":"low","level":"high"}'),
    ],
)
def test_an_object_holding_a_key_twice_is_answered_by_the_frame_path(
    tmp_path: Path, column: str, record: str, twice: bytes
) -> None:
    """A forged line whose tool input says "command" twice: DuckDB's key path reads the first ("ls"), Python and
    the input column the last ("rm -rf /"). Neither SQL over the files nor load()'s DuckDB reader answers for
    such a file; both answer as the line reader does, the value the input shows."""
    path = write_trail(tmp_path / "t.jsonl", 60, {5: {record: {"placeholder": 1}}})
    path.write_bytes(path.read_bytes().replace(b'{"placeholder":1}', twice))
    query = f"SELECT seq, {column} FROM trail WHERE seq = 5"
    assert trailsql.run(query, path) is None
    assert sql(query, path)[column].tolist() == [orjson.loads(twice)[twice.split(b'"')[1].decode()]]
    old = columnar.MIN_BYTES
    try:
        columnar.MIN_BYTES = 0
        assert columnar.read(path) is None
    finally:
        columnar.MIN_BYTES = old


def test_objects_naming_several_read_keys_once_each_stay_on_the_direct_path(tmp_path: Path) -> None:
    """The check for a repeated key must not send ordinary inputs away: a Grep's pattern beside a file path, a
    key of the same name nested deeper, a string value quoting a key."""
    inputs = {
        5: {"tool_input": {"file_path": "/a.py", "pattern": "TODO", "notebook_path": "/n.ipynb"}},
        7: {"tool_input": {"command": "ls", "opts": {"command": "nested", "url": "u"}}},
        9: {"tool_input": {"command": 'echo "command": "url":', "url": "https://x"}},
        11: {"data": {"prompt": "p", "more": {"prompt": "q"}}},
    }
    path = write_trail(tmp_path / "t.jsonl", 60, inputs)
    assert_same(path, ["SELECT seq, file_path, command, url, pattern, prompt, effort FROM trail ORDER BY seq"])
    old = columnar.MIN_BYTES
    try:
        columnar.MIN_BYTES = 0
        assert columnar.read(path) is not None
    finally:
        columnar.MIN_BYTES = old


def judged(
    con: duckdb.DuckDBPyConnection, seq: str, ts: str, rows: int = 300_000, start: str = "rowid = 0"
) -> tuple | None:
    """The checks over a table of ``rows`` rows (several of DuckDB's row groups) with seq and time given as SQL."""
    con.execute(
        f"CREATE OR REPLACE TABLE _t0 AS SELECT ({seq})::BIGINT AS _seq, "
        f"TIMESTAMPTZ '2026-03-17 00:00:00+00' + to_microseconds(({ts})::BIGINT) AS _ts, "
        f"false AS _odd, {start} AS _start FROM range({rows}) t(rowid)"
    )
    span = trailsql._judge(con, 0, trailsql._File(Path("t.jsonl"), False, "t"), None)
    return None if span is None else (span.low, span.high, span.in_order)


@pytest.mark.parametrize("pairing", ["positional join", "window (a pairing caught out of line)"])
def test_the_order_checks_find_one_step_back_deep_in_a_large_trail(
    pairing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """seq rising and time in order are judged on every pair of neighbouring rows, past the first row groups;
    if the positional join ever paired rows other than r and r + 1, the window over rowid judges instead."""
    if pairing.startswith("window"):  # a pairing that skips a row: caught by the rowid check, not trusted
        monkeypatch.setattr(trailsql, "_PAIRED", trailsql._PAIRED.replace("rowid > 0", "rowid > 1"))
    con = duckdb.connect(config={"preserve_insertion_order": True, "threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    n = 300_000
    assert judged(con, "rowid + 5", "rowid") == (5, n + 4, True)
    assert judged(con, "rowid * 3", "rowid / 2") == (0, 3 * (n - 1), True)  # gaps, equal times
    assert judged(con, "CASE WHEN rowid = 250001 THEN 250000 ELSE rowid END", "rowid") is None  # seq repeated
    assert judged(con, "CASE WHEN rowid = 250001 THEN 1 ELSE rowid END", "rowid") is None  # seq falls back
    assert judged(con, "rowid", "CASE WHEN rowid = 250001 THEN 7 ELSE rowid END") == (0, n - 1, False)
    assert judged(con, "rowid", "rowid", start="rowid = 0 OR rowid = 200000") is None  # a second start
    assert judged(con, "rowid", "rowid", start="rowid = 1") is None  # the start not on the first line


@pytest.mark.parametrize(
    "ts",
    [
        "2026-03-17T01:00:04 UTC",  # DuckDB reads it, in its place; pandas does not (its row goes last)
        "2026-03-17T01:00:04 Europe/Paris",
        "\t2026-03-17T01:00:04.000004Z",
        "2026-03-17T 1:00:04.000004Z",
        "2026-03-17T24:00:00Z",
        "epoch",
        "2026-03-17T01:00:04.000004+00:00",  # plain ISO 8601: both read it alike
    ],
)
def test_a_time_the_readers_could_read_differently_never_reorders_rows(tmp_path: Path, ts: str) -> None:
    """The rows come in the order of their times; a time outside the plain ISO 8601 form sends the trail to the
    frame path even when the query names no time (the two readers would place its row differently)."""
    path = write_trail(tmp_path / "t.jsonl", 30, {4: {"_ts": ts}})
    query = "SELECT seq, tool FROM trail"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(sql(query, path), frame_answer(query, path))
    direct = trailsql.run(query, path)
    assert (direct is None) == ("+00:00" not in ts)
