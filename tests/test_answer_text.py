"""``auditkit sql`` prints an answer of plain types without pandas (``answertext.text``), byte for byte as pandas
prints it (``answertext.frame_text``); any other answer is left to pandas."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from auditkit.analysis import answertext, trailsql
from tests.conftest import REPO
from tests.test_sql_direct import write_trail

INTEGERS = {
    "TINYINT": (-128, 127),
    "SMALLINT": (-32768, 32767),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
    "UTINYINT": (0, 255),
    "USMALLINT": (0, 65535),
    "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
}
#: Text that pandas escapes, cuts, pads or strips, or could read as something else.
STRINGS = [
    "", " ", "a", "Read", "NaN", "None", "<NA>", "nan", "null", "True", "1", "-0", "1e5", " lead", "trail ",
    "two\nlines", "tab\there", "cr\rhere", "crlf\r\n", "\\n escaped already", "quote ' and \" marks",
    "日本語のテキスト", "emoji 🎉🎉", "e\u0301 combining", "\u3000ideographic space", "\x0bvt", "\x0cff", "\x1cfs",
    "\x85nel", "\xa0nbsp", "\u200bzero width", "ＦＵＬＬ", "x" * 77, "y" * 78, "z" * 79, "w" * 80, "v" * 81,
    "u" * 200, "日" * 79, "日" * 81, "\t" * 30, "\n" * 41, "a\tb" * 30,
]  # fmt: skip
NAMES = [
    "n", "tool", "count_star()", "a b", "  lead", " x", "\tt", "new\nline", "日本", "N" * 90, "name with 'q'",
    "UPPER", "ünïcödé", "\u3000wide",
]  # fmt: skip


def both(con: duckdb.DuckDBPyConnection, query: str) -> tuple[str | None, str]:
    """The answer as text() lays it out (None when its types are not plain) and as pandas prints it."""
    rel = con.sql(query)
    mine = answertext.text(rel.columns, rel.types, rel.fetchall()) if answertext.plain(rel.columns, rel.types) else None
    return mine, answertext.frame_text(con.sql(query).df())


def table(con: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], rows: list[tuple]) -> str:
    con.execute("DROP TABLE IF EXISTS t")
    con.execute(f"CREATE TABLE t ({', '.join(f'{duckdb_name(n)} {t}' for n, t in columns)})")
    if rows:
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(columns))})", rows)
    return "SELECT * FROM t"


def duckdb_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    return c


@pytest.mark.parametrize("kind", [*INTEGERS, "BOOLEAN", "VARCHAR"])
def test_each_plain_type_prints_as_pandas_prints_it_with_and_without_nulls(
    con: duckdb.DuckDBPyConnection, kind: str
) -> None:
    if kind in INTEGERS:
        low, high = INTEGERS[kind]
        values: list[object] = [low, high, 0, 1, low // 2, high // 3, 7]
    elif kind == "BOOLEAN":
        values = [True, False, True]
    else:
        values = list(STRINGS)
    for with_null in (False, True):
        rows = [(v,) for v in values] + ([(None,)] if with_null else [])
        for name in ("v", "a_rather_longer_column_name", "N" * 90):
            mine, theirs = both(con, table(con, [(name, kind)], rows))
            assert mine == theirs, (kind, with_null, name)
    mine, theirs = both(con, table(con, [("v", kind)], [(None,), (None,)]))  # all NULL
    assert mine == theirs


def test_every_string_under_every_header_prints_as_pandas_prints_it(con: duckdb.DuckDBPyConnection) -> None:
    for name in NAMES:
        for s in STRINGS:
            mine, theirs = both(con, table(con, [(name, "VARCHAR"), ("count", "BIGINT")], [(s, 1), ("b", 22)]))
            assert mine == theirs, (name, s)


def test_headers_are_trimmed_together_as_pandas_trims_them(con: duckdb.DuckDBPyConnection) -> None:
    for names in ([" a", " b"], ["  a", " bb", "   c"], ["\u3000a", "\u3000b"], ["\ta", " b"], [" x", "y"]):
        columns = [(n, "VARCHAR" if i % 2 else "INTEGER") for i, n in enumerate(names)]
        rows = [tuple("s" if i % 2 else 5 for i in range(len(names)))]
        mine, theirs = both(con, table(con, columns, rows))
        assert mine == theirs, names


def test_random_answers_of_plain_types_print_as_pandas_prints_them(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(32)
    kinds = [*INTEGERS, "BOOLEAN", "VARCHAR", "VARCHAR"]
    for _ in range(150):
        width = rng.randint(1, 6)
        names = rng.sample(NAMES + [f"c{i}" for i in range(10)], width)
        if len({n.casefold() for n in names}) < width:
            continue
        columns = [(n, rng.choice(kinds)) for n in names]
        rows = [tuple(random_value(rng, t) for _, t in columns) for _ in range(rng.randint(1, 30))]
        mine, theirs = both(con, table(con, columns, rows))
        assert mine == theirs, (columns, rows)


def random_value(rng: random.Random, kind: str) -> object:
    if rng.random() < 0.15:
        return None
    if kind in INTEGERS:
        low, high = INTEGERS[kind]
        return rng.choice([low, high, rng.randint(low, high), rng.randint(-9, 9) if low < 0 else rng.randint(0, 9)])
    if kind == "BOOLEAN":
        return rng.random() < 0.5
    return rng.choice(STRINGS) + rng.choice(["", "x", "日本", "\n", " "]) * rng.randint(0, 3)


def test_a_long_answer_prints_every_row_as_pandas_does(con: duckdb.DuckDBPyConnection) -> None:
    query = "SELECT i, i % 7 = 0 AS b, repeat('ab', (i % 50)::INT) AS s FROM range(-3000, 3000) t(i)"
    mine, theirs = both(con, query)
    assert mine == theirs
    assert mine is not None and len(mine.splitlines()) == 6001
    # NULL through the first chunks DuckDB hands over, text after them; and a long column of nothing but NULL
    for query in (
        "SELECT CASE WHEN i >= 5000 THEN 'x' || i END AS s, i FROM range(6000) t(i)",
        "SELECT NULL::VARCHAR AS s, i FROM range(6000) t(i)",
    ):
        mine, theirs = both(con, query)
        assert mine == theirs


def test_an_empty_answer_says_its_columns_as_before(con: duckdb.DuckDBPyConnection) -> None:
    mine, theirs = both(con, "SELECT 'x' AS tool, 1 AS n WHERE false")
    assert mine == theirs == "(no rows; columns: tool, n)"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1.5::DOUBLE AS x UNION ALL SELECT 'nan'::DOUBLE UNION ALL SELECT '-inf'::DOUBLE UNION ALL SELECT -0.0",
        "SELECT 1.5::FLOAT AS x",
        "SELECT sum(i) AS s FROM range(3) t(i)",  # HUGEINT: a float in the frame
        "SELECT 1.25::DECIMAL(5, 2) AS d",
        "SELECT TIMESTAMPTZ '2026-03-17 01:02:03.456+02' AS t",
        "SELECT TIMESTAMP '2026-03-17 01:02:03' AS t, DATE '2026-03-17' AS d",
        "SELECT '{\"a\": 1}'::JSON AS j",
        "SELECT [1, 2] AS l",
        "SELECT {'a': 1} AS s",
        "SELECT 'ab'::BLOB AS b",
        "SELECT INTERVAL 3 DAY AS i",
        "SELECT gen_random_uuid() AS u",
        "SELECT 'a'::ENUM('a', 'b') AS e",
        "SELECT 1 AS a, 2 AS a",  # the frame names the second a_1
        "SELECT 1 AS a, 2 AS A",
        "SELECT 'x' AS tool, 2.5 AS n",  # one column that is not plain is enough
    ],
)
def test_an_answer_of_other_types_is_left_to_pandas(con: duckdb.DuckDBPyConnection, query: str) -> None:
    rel = con.sql(query)
    assert not answertext.plain(rel.columns, rel.types)
    frame = trailsql.answer_text(con, query)
    assert not isinstance(frame, str)
    assert list(frame.columns) == list(con.sql(query).df().columns)


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\nfrom auditkit.cli import main\ncode = main(sys.argv[1:])\n"
        "print('pandas imported:', 'pandas' in sys.modules, file=sys.stderr)\nsys.exit(code)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO, check=True, timeout=120
    )


@pytest.mark.parametrize(
    ("query", "pandas"),
    [
        ("SELECT tool, count(*) AS n FROM trail GROUP BY tool ORDER BY tool NULLS FIRST", False),
        ("SELECT event, tool, command, seq, session_id FROM trail ORDER BY seq DESC LIMIT 50", False),
        ("SELECT tool, count(*) AS n, sum(duration_ms) AS d FROM trail GROUP BY tool ORDER BY tool", True),
        ("SELECT tool, min(timestamp) AS t FROM trail GROUP BY tool ORDER BY tool", True),
    ],
)
def test_cli_sql_prints_a_plain_answer_without_pandas_as_the_frame_path_prints_it(
    tmp_path: Path, query: str, pandas: bool
) -> None:
    path = write_trail(tmp_path / "t.jsonl", 4000)
    assert path.stat().st_size >= 1 << 20  # the CLI reads it in DuckDB
    direct = cli("sql", query, "--trail", str(path))
    assert f"pandas imported: {pandas}" in direct.stderr
    # --since before the trail: the frame path (a window is applied to the frame), the same rows
    framed = cli("sql", query, "--trail", str(path), "--since", "2026-01-01")
    assert direct.stdout == framed.stdout
    assert direct.stdout.count("\n") > 4


def test_the_early_guess_binds_one_select_over_trail_and_never_a_file(tmp_path: Path) -> None:
    """Whether pandas is imported beside the reading is guessed by binding the query over an empty trail; a
    query that names a file or a table function is not bound (binding could read it, as read_csv sniffs)."""
    csv = tmp_path / "x.csv"
    csv.write_text("a\n1\n2\n")
    con = duckdb.connect()
    assert trailsql._plain_answer(con, "SELECT tool, count(*) AS n FROM trail GROUP BY tool")
    assert trailsql._plain_answer(con, "WITH a AS (SELECT seq, event FROM TRAIL) SELECT * FROM a")
    assert not trailsql._plain_answer(con, "SELECT tool, sum(duration_ms) AS d FROM trail GROUP BY tool")
    assert con.sql(f"SELECT a FROM read_csv('{csv}')").types == ["BIGINT"]  # plain, were it bound
    for query in (
        f"SELECT a FROM read_csv('{csv}')",
        f"SELECT a FROM '{csv}'",
        f"SELECT tool FROM trail WHERE seq IN (SELECT a FROM read_csv('{csv}'))",
        "SELECT 1 AS a; SELECT 2 AS b",
        "CREATE TABLE t AS SELECT 1 AS a",
    ):
        assert not trailsql._plain_answer(con, query), query
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'trail'").fetchone() == (0,)


@pytest.mark.parametrize("events", [40, 4000], ids=["frame path", "DuckDB over the file"])
def test_cli_sql_shows_recorded_control_characters_as_escapes_never_sends_them_to_the_terminal(
    tmp_path: Path, events: int
) -> None:
    """A command recorded with ESC sequences (retitle, clear screen), a C1 CSI or a bidi override is printed
    by ``auditkit sql`` as visible escapes on both paths (the stream guard, now that a plain answer skips
    pandas); json keeps it as exact (escaped) data."""
    hostile = "echo \x1b]0;owned\x07\x1b[2J\x9b31m \u202egnp.exe"
    path = write_trail(tmp_path / "t.jsonl", events, change={3: {"tool_input": {"command": hostile}}})
    query = "SELECT seq, command FROM trail WHERE command LIKE 'echo%'"
    shown = cli("sql", query, "--trail", str(path)).stdout
    assert not set(shown) & {"\x1b", "\x07", "\x9b", "\u202e"}, shown
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u009b31m \\u202egnp.exe" in shown
    as_json = cli("sql", query, "--trail", str(path), "--format", "json").stdout
    assert json.loads(as_json) == [{"seq": 3, "command": hostile}]
