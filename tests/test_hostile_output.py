"""What a trail holds reaches a spreadsheet or a page as inert text: CSV cells never split a row or run as
formulas, whatever control characters and formula prefixes they start with."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditkit
from tests.conftest import SAMPLES

#: Characters a spreadsheet may skip before a formula, and the formula starts themselves.
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\xa0", "\u200b", "\u202e", "\u2028", "\ufeff", " "]
FORMULAS = ["=", "+", "-", "@", "\t", "\r", "\uff1d"]
#: What no cell may start with, after white space and control characters, unless it is neutralised with '.
LIVE = re.compile(r"^[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*[=+\-@\uff1d]")

cell = st.builds(
    lambda lead, formula, body: lead + formula + body,
    st.text(st.sampled_from(CONTROLS), max_size=4),
    st.sampled_from(["", *FORMULAS]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
    | st.sampled_from(["1+1", 'HYPERLINK("http://evil")', "cmd|' /C calc'!A0", "\r=1+1", "\n@SUM(A1)"]),
)


@cache
def _events() -> pd.DataFrame:
    return auditkit.load(SAMPLES / "incident")


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(cell, min_size=3, max_size=3))
def test_csv_cells_keep_their_row_and_never_run_as_formulas(tmp_path: Path, values: list[str]) -> None:
    """Every row stays one row, every value comes back whole, and none starts a live formula."""
    df = _events().copy()
    command, tool, session = values
    for col, value in (("command", command), ("tool", tool), ("session_id", session)):
        df[col] = value
    out = tmp_path / "events.csv"
    result = auditkit.export(df, out, format="csv")
    rows = _rows(out)
    assert len(rows) == result.rows == len(df)
    for row in rows:
        for col, value in (("command", command), ("tool", tool), ("session_id", session)):
            got = row[col]
            assert got in (value, "'" + value), (col, value, got)
            if got != value:  # neutralised: only what a spreadsheet would run
                assert LIVE.match(value) or value[:1] in ("\t", "\r")
            else:
                assert not LIVE.match(got) and got[:1] not in ("\t", "\r")
        assert row["event_id"] in set(df["event_id"])  # the columns after the hostile ones are where they were


def test_a_carriage_return_before_a_formula_is_quoted_and_neutralised(tmp_path: Path) -> None:
    """The reported case: ``\\r=1+1`` is written quoted with a leading ', so the next row starts no formula."""
    df = _events().copy()
    df["command"] = "\r=1+1"
    out = tmp_path / "events.csv"
    auditkit.export(df, out, format="csv")
    assert b'"\'\r=1+1"' in out.read_bytes()
    assert all(r["command"] == "'\r=1+1" for r in _rows(out))
    assert len(pd.read_csv(out)) == len(df)


def test_a_partition_value_cannot_leave_the_export_folder(tmp_path: Path) -> None:
    """A host named like a path is written percent-encoded inside the export folder, never beside it."""
    df = _events().copy()
    df["host"] = "../../../escaped"
    out = tmp_path / "deep" / "export"
    result = auditkit.export(df, out, format="csv", partition_by=["host"])
    assert [Path(f).parent.name for f in result.files] == ["host=..%2F..%2F..%2Fescaped"]
    assert all(Path(f).resolve().is_relative_to(out.resolve()) for f in result.files)
    assert not (tmp_path / "escaped").exists()
