"""One schema table: a field added there is recorded by the hook and shown by load() (both readers), export and sql;
and every default and environment variable lives in one place."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from auditkit.trail import config
from auditkit.trail import format as tf
from tests.conftest import REPO

NEW_FIELD = '    F("ticket", "string", "the ticket the change is for", "ticket", "ticket"),\n'

CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import auditkit
from auditkit.loading import columnar
trail = sys.argv[2]
slow = auditkit.load(trail)
fast = columnar.read(__import__("pathlib").Path(trail))  # the DuckDB reader, asked directly
columnar.MIN_BYTES = 0
via_load = auditkit.load(trail)
auditkit.export(slow, sys.argv[3], format="csv")
print(json.dumps({
    "columns": "ticket" in auditkit.COLUMNS,
    "slow": slow["ticket"].dropna().tolist(),
    "fast": None if fast is None else [t for b in fast for t in b["ticket"].dropna().tolist()],
    "via_load": via_load["ticket"].dropna().tolist(),
    "sql": auditkit.sql("SELECT ticket FROM trail WHERE ticket IS NOT NULL", slow)["ticket"].tolist(),
    "calls_sql": auditkit.sql("SELECT count(*) AS n FROM trail", slow)["n"].tolist(),
}))
"""


def test_a_field_added_to_the_schema_table_alone_reaches_every_layer(tmp_path: Path) -> None:
    """One line in trail_format.SCHEMA: the hook lifts the payload key into the record, and load() (line reader
    and DuckDB reader), export and sql show it as a column; nothing else was edited."""
    kit = tmp_path / "kit"
    shutil.copytree(REPO / "auditkit", kit / "auditkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "hook", kit / "hook")
    source = kit / "auditkit" / "trail" / "format.py"
    text = source.read_text()
    anchor = next(line for line in text.splitlines(keepends=True) if line.lstrip().startswith('F("prompt_id"'))
    source.write_text(text.replace(anchor, anchor + NEW_FIELD, 1))

    trail = tmp_path / "logs" / "audit-trail.jsonl"
    hook = [sys.executable, "-I", "-S", str(kit / "hook" / "auditkit_hook.py"), "--trail", str(trail)]
    event = {"hook_event_name": "PreToolUse", "session_id": "s", "tool_use_id": "t1", "tool_name": "Bash",
             "tool_input": {"command": "ls"}, "ticket": "JIRA-7"}  # fmt: skip
    proc = subprocess.run(hook, input=json.dumps(event).encode(), capture_output=True)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    record = json.loads(trail.read_text().splitlines()[-1])
    assert record["ticket"] == "JIRA-7" and "data" not in record  # lifted, not left under data

    out = tmp_path / "out.csv"
    got = subprocess.run([sys.executable, "-c", CHECK, str(kit), str(trail), str(out)], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    seen = json.loads(got.stdout)
    assert seen["columns"] and seen["slow"] == seen["fast"] == seen["via_load"] == seen["sql"] == ["JIRA-7"]
    header = out.read_text().splitlines()[0].split(",")
    assert "ticket" in header


def test_every_column_is_in_the_schema_with_a_kind_and_a_description() -> None:
    """The frame's columns, their types and the DuckDB projection all come from one table."""
    import auditkit
    from auditkit.loading import columnar

    assert list(auditkit.COLUMNS) == [f.column for f in tf.SCHEMA]
    assert all(
        f.doc and f.kind in {"time", "category", "string", "text", "count", "float", "nested"} for f in tf.SCHEMA
    )
    stored = {f.record for f in tf.SCHEMA if f.record}
    assert set(columnar._COLUMNS) == stored | {"v"}
    assert {"prompt_id", "effort", "duration_ms", "wait_ms"} <= set(auditkit.COLUMNS)


def test_the_byte_layout_constants_match_a_real_record() -> None:
    """The verifiers' fixed offsets are derived from the record layout, and they fit a record the encoder writes."""
    line = tf.encode_record(12345, "2026-11-25T10:52:23.123456Z", "a" * 64, {"event": "Stop"})
    j = line.find(b",", tf.SEQ_AT, tf.SEQ_END_MAX)
    assert line[tf.SEQ_AT : j] == b"12345"
    assert line[j + tf.TS_AT : j + tf.TS_END] == b"2026-11-25T10:52:23.123456Z"
    assert line[j + tf.PREV_AT : j + tf.PREV_END] == b"a" * 64
    body = line.rstrip(b"\n")
    assert body[-tf.HASH_TAIL : -tf.HASH_AT] == tf.HASH_OPEN
    assert tf.sha256(body[: -tf.HASH_TAIL] + b"}").hexdigest().encode() == body[-tf.HASH_AT : -2]


def test_every_environment_variable_and_default_is_defined_once() -> None:
    """Each AUDITKIT_ variable the code reads is listed in config.ENVIRONMENT; the defaults are spelled only there."""
    code = {p: p.read_text() for p in (REPO / "auditkit").rglob("*.py")} | {
        p: p.read_text() for p in (REPO / "hook").glob("*.py")
    }
    used = {v for text in code.values() for v in re.findall(r"\bAUDITKIT_[A-Z_]+\b", text)}
    assert used <= set(config.ENVIRONMENT), used - set(config.ENVIRONMENT)
    for literal in (
        '"audit-trail.jsonl"',
        '"seal.key"',
        '"fingerprint.key"',
        '".config"',
        '"rules.toml"',
        '"prices.toml"',
        '"config.toml"',
        '"auditkit.toml"',
    ):
        homes = [p.name for p, text in code.items() if literal in text]
        assert homes == ["config.py"], (literal, homes)
