"""Export to CSV/Parquet, SQL over trails, and trails merged from several machines."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

import auditkit
from auditkit.cli import main
from auditkit.errors import ExportError, UsageError
from tests.conftest import SAMPLES, payload, run_hook


def _machine(trail: Path, host: str, user: str, session: str, day: str, calls: int) -> None:
    """A trail written by the real hook on ``host``: ``calls`` Bash calls on ``day``, one failing."""
    for i in range(calls):
        env = {"AUDITKIT_HOST": host, "AUDITKIT_USER": user, "AUDITKIT_NOW": f"{day}T10:00:{i:02d}Z"}
        cmd = {"command": '=HYPERLINK("http://evil")' if i == 0 else f"make step-{i}"}
        run_hook(
            payload("PreToolUse", session=session, tool_name="Bash", tool_use_id=f"{host}-{i}", tool_input=cmd),
            trail,
            env=env,
        )
        end = "PostToolUseFailure" if i == 1 else "PostToolUse"
        extra = {"error": "exit 2"} if i == 1 else {"tool_response": {"stdout": "ok"}}
        env["AUDITKIT_NOW"] = f"{day}T10:00:{i:02d}.5Z"
        run_hook(
            payload(end, session=session, tool_name="Bash", tool_use_id=f"{host}-{i}", tool_input=cmd, **extra),
            trail,
            env=env,
        )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Two machines' trails, on two days, and one of them copied again from a backup."""
    root = tmp_path / "collected"
    _machine(root / "laptop" / "audit-trail.jsonl", "laptop-7", "ana", "s-laptop", "2026-03-16", 4)
    _machine(root / "ci" / "audit-trail.jsonl", "ci-runner-2", "ci", "s-ci", "2026-03-17", 3)
    shutil.copytree(root / "laptop", root / "backup-of-laptop")
    return root


def test_the_same_trail_from_two_places_counts_each_event_once(fleet: Path) -> None:
    df = auditkit.load(fleet)
    once = auditkit.load([fleet / "laptop", fleet / "ci"])
    assert len(df) == len(once) and df.attrs["duplicates"] == len(auditkit.load(fleet / "laptop"))
    hosts = auditkit.by_host(df)
    assert hosts.loc["laptop-7", ["calls", "failures", "sessions"]].tolist() == [4, 1, 1]
    assert hosts.loc["ci-runner-2", ["calls", "failures", "sessions"]].tolist() == [3, 1, 1]
    assert hosts.loc["laptop-7", "users"] == "ana"
    per_host = auditkit.sql("SELECT host, count(*) AS n FROM calls GROUP BY host ORDER BY host", fleet)
    assert per_host.values.tolist() == [["ci-runner-2", 3], ["laptop-7", 4]]


def test_partitioned_parquet_is_one_dataset_for_duckdb_and_pyarrow(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    result = auditkit.export(fleet, out, partition_by=["date", "host"])
    dirs = sorted(str(p.parent.relative_to(out)) for p in out.rglob("*.parquet"))
    assert "date=2026-03-16/host=laptop-7" in dirs and "date=2026-03-17/host=ci-runner-2" in dirs
    df = auditkit.load(fleet)
    assert result.rows == len(df)
    counts = duckdb.sql(
        f"SELECT host, count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
        "WHERE event = 'PostToolUse' GROUP BY host ORDER BY host"
    ).fetchall()
    assert counts == [("ci-runner-2", 2), ("laptop-7", 3)]
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(df)
    back = pd.read_parquet(out)
    row = back[back["event_id"] == df["event_id"].iloc[3]].iloc[0]
    assert json.loads(row["input"]) == df["input"].iloc[3]
    assert str(back["timestamp"].dtype) == "datetime64[us, UTC]"
    auditkit.export(fleet, out, partition_by=["host"])  # exporting again replaces the earlier export
    assert sum(1 for _ in out.rglob("*.parquet")) == 3


def test_csv_a_spreadsheet_can_open_safely(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "range.csv"
    result = auditkit.export(fleet, out, format="csv", since="2026-03-17", until="2026-03-18")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == result.rows == len(auditkit.load(fleet / "ci"))
    assert {r["host"] for r in rows} == {"ci-runner-2", ""}  # trail_start records carry no host
    assert rows[1]["timestamp"].startswith("2026-03-17T10:00:00") and rows[1]["timestamp"].endswith("Z")
    formula = next(r for r in rows if r["command"].startswith("'="))
    assert formula["command"] == '\'=HYPERLINK("http://evil")'
    assert json.loads(formula["input"]) == {"command": '=HYPERLINK("http://evil")'}
    auditkit.export(fleet, out, format="csv", since="2026-03-17", escape_formulas=False)
    with open(out, newline="", encoding="utf-8") as fh:
        assert any(r["command"].startswith("=") for r in csv.DictReader(fh))
    parts = auditkit.export(fleet, tmp_path / "by-host", format="csv", partition_by=["host"])
    names = sorted(str(Path(f).relative_to(tmp_path / "by-host")) for f in parts.files)
    assert names == ["host=ci-runner-2/part-0.csv", "host=laptop-7/part-0.csv", "host=unknown/part-0.csv"]
    assert sum(len(pd.read_csv(f)) for f in parts.files) == parts.rows


def test_export_errors_are_clear(fleet: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot partition by 'colour'"):
        auditkit.export(fleet, tmp_path / "x", partition_by=["colour"])
    with pytest.raises(UsageError, match="'yesterday-ish' is not a date"):
        auditkit.export(fleet, tmp_path / "x.csv", format="csv", since="yesterday-ish")
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    with pytest.raises(ExportError, match="not an earlier export"):
        auditkit.export(fleet, keep, partition_by=["date"])
    assert (keep / "notes.txt").read_text() == "precious"


def test_sql_views_hold_json_and_utc_times() -> None:
    r = auditkit.sql(
        "SELECT input->>'file_path' AS path, typeof(input) AS t, typeof(start) AS ts FROM calls "
        "WHERE tool = 'Write' ORDER BY start LIMIT 1",
        SAMPLES,
    )
    assert r["t"][0] == "JSON" and r["ts"][0] == "TIMESTAMP WITH TIME ZONE" and r["path"][0].startswith("/home/dev")
    events = auditkit.sql("SELECT count(*) AS n FROM trail", SAMPLES)["n"][0]
    assert events == len(auditkit.load(SAMPLES))


def test_cli_sql_and_export(fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "SELECT host, count(*) AS calls FROM calls GROUP BY host ORDER BY host"
    assert main(["sql", q, "--trail", str(fleet), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["host,calls", "ci-runner-2,3", "laptop-7,4"]
    assert main(["sql", "SELECT nope FROM calls", "--trail", str(fleet)]) == 2
    assert "SQL: Binder Error" in capsys.readouterr().err
    out = tmp_path / "p"
    assert main(["export", "--trail", str(fleet), "--out", str(out), "--partition-by", "date,host"]) == 0
    assert "exported" in capsys.readouterr().out and any(out.rglob("*.parquet"))
    assert main(["summary", str(fleet)]) == 0
    text = capsys.readouterr().out
    assert "Per-Host Breakdown" in text and "laptop-7" in text and "ci-runner-2" in text
