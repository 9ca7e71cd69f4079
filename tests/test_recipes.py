"""docs/recipes.md: every SQL recipe equals its pandas form, and its jq form, on the sample logs."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pandas as pd
import pytest

import auditkit
from tests.conftest import REPO, SAMPLES

DOC = REPO / "docs" / "recipes.md"
TRAILS = sorted(str(p) for p in SAMPLES.rglob("audit-trail.jsonl"))


def recipes() -> list[tuple[str, dict[str, str]]]:
    out = []
    for section in DOC.read_text().split("\n### ")[1:]:
        section = section.split("\n## ", 1)[0]
        title = section.splitlines()[0]
        blocks = dict(re.findall(r"```(sql|python|sh)\n(.*?)```", section, flags=re.S))
        out.append((title, blocks))
    return out


RECIPES = recipes()
IDS = [title for title, _ in RECIPES]


def test_the_doc_has_every_seed_recipe_in_three_forms() -> None:
    assert len(RECIPES) == 8
    for title, blocks in RECIPES:
        assert set(blocks) == {"sql", "python", "sh"}, title


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = auditkit.load(TRAILS)  # the trails jq reads (the samples' transcript is not one)
    return df, auditkit.tool_calls(df)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Same values, comparable across engines: objects, None for missing, a fresh index."""
    df = df.reset_index(drop=True).astype(object)
    return df.where(df.notna(), None)


@pytest.mark.parametrize(("title", "blocks"), RECIPES, ids=IDS)
def test_sql_and_pandas_give_the_same_answer(title: str, blocks: dict[str, str], frames) -> None:
    df, calls = frames
    by_sql = auditkit.sql(blocks["sql"], df)
    by_pandas = eval(blocks["python"], {"auditkit": auditkit, "df": df, "calls": calls, "pd": pd})
    assert len(by_sql) > 0, f"{title}: the recipe finds nothing in the samples, so it proves nothing"
    assert list(by_sql.columns) == list(by_pandas.columns)
    pd.testing.assert_frame_equal(_plain(by_sql), _plain(by_pandas), check_dtype=False)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
@pytest.mark.parametrize(("title", "blocks"), RECIPES, ids=IDS)
def test_jq_on_the_raw_trail_agrees_with_sql(title: str, blocks: dict[str, str], frames) -> None:
    df, _ = frames
    argv = shlex.split(blocks["sh"].strip())
    assert argv[0] == "jq" and argv[-1] == ".claude/logs/audit-trail.jsonl"
    out = subprocess.run([*argv[:-1], *TRAILS], capture_output=True, text=True, check=True).stdout
    by_jq = sorted(out.splitlines())
    by_sql = auditkit.sql(blocks["sql"], df)
    width = by_jq[0].count("\t") + 1
    expected = sorted("\t".join(_text(v) for v in row[:width]) for row in by_sql.itertuples(index=False))
    assert by_jq == expected


def _text(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
