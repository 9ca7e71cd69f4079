"""The frame's nested columns hold JSON text and give Python values when read: everything a user does
with ``df.input`` (read a value, filter, sort, join, map, export, SQL) sees dicts and lists, as before."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.loading.jsoncolumn import JSONArray, JSONDtype
from tests.conftest import SAMPLES

VALUES = [
    {"command": "rm -rf build/", "description": "clean"},
    None,
    ["a", 1, None, {"b": 2.5}],
    "plain string",
    12,
    {"déjà": "vu", "emoji": "\U0001f600"},
    {"big": 2**70},
    True,
]


@pytest.fixture
def column() -> pd.Series:
    return pd.Series(JSONArray.from_values(VALUES))


def test_values_come_back_as_they_went_in(column: pd.Series) -> None:
    assert column.dtype == JSONDtype() and str(column.dtype) == "json"
    assert column.tolist() == VALUES
    assert list(column) == VALUES
    assert [column.iloc[i] for i in range(len(VALUES))] == VALUES
    assert column.astype(object).tolist() == VALUES
    assert pickle.loads(pickle.dumps(column)).tolist() == VALUES


def test_missing_values_are_missing(column: pd.Series) -> None:
    assert column.isna().tolist() == [v is None for v in VALUES]
    assert column.dropna().tolist() == [v for v in VALUES if v is not None]
    filled = column.where(column.notna(), "x")
    assert filled.tolist() == [("x" if v is None else v) for v in VALUES]


def test_rows_move_without_losing_values(column: pd.Series) -> None:
    df = pd.DataFrame({"n": range(len(VALUES)), "input": column})
    back = df.sort_values("n", ascending=False)
    assert back["input"].tolist() == VALUES[::-1]
    assert df[df.n % 2 == 0]["input"].tolist() == VALUES[::2]
    assert pd.concat([df, df], ignore_index=True)["input"].tolist() == VALUES * 2
    assert df.merge(df, on="n")["input_x"].tolist() == VALUES
    assert df.loc[0, "input"]["command"] == "rm -rf build/"
    assert [r.input for r in df.itertuples()] == VALUES
    assert df.to_dict("records")[2]["input"] == VALUES[2]
    assert df.reindex([0, 99])["input"].tolist() == [VALUES[0], None]


def test_map_and_apply_give_ordinary_columns(column: pd.Series) -> None:
    is_dict = column.apply(lambda v: isinstance(v, dict))
    assert is_dict.dtype == bool and is_dict.tolist() == [isinstance(v, dict) for v in VALUES]
    commands = column.map(lambda v: v.get("command") if isinstance(v, dict) else None)
    assert commands.iloc[0] == "rm -rf build/" and commands.iloc[1:].isna().all()


def test_values_can_be_set(column: pd.Series) -> None:
    changed = column.copy()
    changed[1] = {"new": [1, 2]}  # (iloc with a dict value is pandas' own quirk, for object columns too)
    changed[changed.isna()] = "was missing"
    assert changed.iloc[1] == {"new": [1, 2]} and column.iloc[1] is None  # the copy, not the original


def test_the_text_is_compact_json(column: pd.Series) -> None:
    texts = column.array.texts().to_pylist()
    assert texts[0] == '{"command":"rm -rf build/","description":"clean"}' and texts[1] is None
    assert texts[6] == '{"big":1180591620717411303424}'  # past 64 bits: still exact


def test_a_loaded_frame_holds_json_columns_that_read_as_before() -> None:
    df = auditkit.load(SAMPLES)
    for col in ("input", "response", "data", "truncated"):
        assert isinstance(df[col].dtype, JSONDtype), col
    bash = df[(df.tool == "Bash") & df.input.notna()]
    assert all(isinstance(v, dict) and v["command"] == c for v, c in zip(bash.input, bash.command, strict=True))
    assert df.memory_usage(deep=True)["input"] < sum(len(str(v)) for v in df.input if v is not None) * 2


def test_export_and_sql_see_the_same_values(tmp_path: Path) -> None:
    df = auditkit.load(SAMPLES)
    auditkit.export(df, tmp_path / "out.parquet", format="parquet")
    back = pd.read_parquet(tmp_path / "out.parquet")  # what other tools see: JSON text
    assert back["input"].dropna().iloc[0] == df["input"].dropna().array.texts()[0].as_py()
    via_sql = auditkit.sql("SELECT input->>'command' AS c FROM trail WHERE tool = 'Bash' AND input IS NOT NULL", df)
    assert sorted(via_sql["c"].dropna()) == sorted(df[(df.tool == "Bash") & df.input.notna()].command.dropna())
