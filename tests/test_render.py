"""Charts and tables a reader reads: legends, alt text, no red for a tool, long sessions binned, tables whole."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from auditkit.present.notebook import cell_text, table_html
from auditkit.present.render import FAILED, MAX_TIMELINE_STEPS, TOOL_COLOURS, replay_chart, time_by_tool_chart


def steps_frame(n: int, every_s: float, fail_every: int = 7) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-03-17T09:00:00Z")
    start = [t0 + pd.Timedelta(seconds=i * every_s) for i in range(n)]
    tools = ["Bash", "Read", "Edit", "Grep", "Glob"]
    df = pd.DataFrame(
        {
            "step": range(1, n + 1),
            "start": start,
            "end": [s + pd.Timedelta(seconds=every_s / 2) for s in start],
            "tool": [tools[i % len(tools)] for i in range(n)],
            "summary": [f"step {i}" for i in range(n)],
            "status": ["error" if i % fail_every == 0 else "ok" for i in range(n)],
            "duration_ms": [every_s * 500] * n,
        }
    )
    df.attrs["session_id"] = "s-long"
    return df


def layers(chart: object) -> list[dict]:
    return chart.to_dict()["layer"]  # type: ignore[attr-defined]


def test_a_session_of_a_thousand_steps_over_hours_is_binned_not_one_cross() -> None:
    steps = steps_frame(1000, every_s=12)  # 1,000 steps over 3.3 hours
    spec = replay_chart(steps).to_dict()
    bars, marks = spec["layer"]
    assert "counted per" in spec["title"] and spec["description"].startswith("Timeline of session s-long: 1,000 steps")
    datasets = spec["datasets"]
    bar_rows = datasets[bars["data"]["name"]]
    assert 5 * 20 <= len(bar_rows) <= 5 * 120  # one bar per time bin and tool: readable, not 1,000 slivers
    assert sum(r["steps"] for r in bar_rows) == 1000
    assert sum(r["failed"] for r in datasets[marks["data"]["name"]]) == len(range(0, 1000, 7))
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["y"]["stack"] == "zero"


def test_a_short_session_keeps_one_bar_per_step() -> None:
    spec = replay_chart(steps_frame(MAX_TIMELINE_STEPS, every_s=1)).to_dict()
    assert (
        len(spec["datasets"][spec["data"]["name"]]) == MAX_TIMELINE_STEPS and spec["layer"][0]["mark"]["type"] == "bar"
    )


@pytest.mark.parametrize("n", [10, 1000])
def test_every_timeline_has_a_tool_legend_without_red_and_a_legend_for_failures(n: int) -> None:
    spec = replay_chart(steps_frame(n, every_s=12)).to_dict()
    bars, fails = spec["layer"]
    colour = bars["encoding"]["color"]
    assert colour["legend"]["title"] == "tool" and colour["scale"]["range"] == TOOL_COLOURS
    reds = [c for c in TOOL_COLOURS if int(c[1:3], 16) > 0xB0 and int(c[3:5], 16) < 0x70 and int(c[5:7], 16) < 0x70]
    assert FAILED not in TOOL_COLOURS and reds == []  # red means failure on these charts
    assert fails["mark"]["color"] == FAILED and fails["encoding"]["shape"]["scale"]["domain"] == ["failed"]
    assert "Glob" in colour["scale"]["domain"]


def test_charts_carry_alt_text_into_their_svg() -> None:
    """The description becomes the SVG's accessible name, which the evidence page uses as alt text."""
    import altair as alt

    from auditkit.present.notebook import setup

    assert setup(interactive=False) == "svg"
    by_tool = pd.DataFrame({"calls": [3, 1], "total_ms": [2500.0, 40.0]}, index=pd.Index(["Bash", "Read"], name="tool"))
    chart = time_by_tool_chart(by_tool)
    svg = alt.renderers.get()(chart.to_dict())["image/svg+xml"]
    label = re.search(r'^<svg role="img" aria-label="([^"]*)"', svg)
    assert label and label.group(1) == "Total time by tool: Bash 2.5 s, Read 0.0 s"
    assert "<title>Total time by tool" in svg


def test_tables_show_values_whole_without_index_and_with_blanks_for_missing() -> None:
    long = "requirement: " + "x" * 400 + "\nsecond line"
    df = pd.DataFrame(
        {
            "text": [long, None],
            "count": [1234567, 2],
            "usd": [0.0041, float("nan")],
            "when": [pd.Timestamp("2026-03-17T14:00:05Z"), pd.NaT],
            "ok": [True, False],
        },
        index=[10, 11],
    )
    page = table_html(df)
    assert "<th" in page and ">10<" not in page and ">11<" not in page  # no index column
    cells = re.findall(r"<td style='([^']*)'>([^<]*)</td>", page)
    values = [v for _, v in cells]
    assert values[0] == json.loads(json.dumps(long.replace("\n", "\n")))  # whole, newline kept (shown by pre-wrap)
    assert values[1:5] == ["1,234,567", "$0.0041", "2026-03-17 14:00:05 UTC", "yes"]  # dollars as currency
    assert values[5:] == ["", "2", "", "", "no"]
    assert "NaN" not in page and "None" not in page and "NaT" not in page and "…" not in page
    aligns = [re.search(r"text-align:(\w+)", s).group(1) for s, _ in cells[:5]]
    assert aligns == ["left", "right", "right", "left", "left"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
        (12.0, "12"),
        (1234.5, "1,234.50"),
        ({"a": 1}, '{"a": 1}'),
        ("a<b", "a<b"),
    ],
)
def test_each_value_is_written_for_a_reader(value: object, text: str) -> None:
    assert cell_text(value) == text


def _sample_steps() -> list[pd.DataFrame]:
    import warnings

    import auditkit
    from tests.conftest import SAMPLES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = auditkit.load([str(SAMPLES)])
    return [auditkit.replay(df, sid) for sid in auditkit.sessions(df)["session_id"]]


def _awkward_steps() -> pd.DataFrame:
    """Steps with every kind of value a replay can hold: categories, a missing end, duration and summary, an
    infinite duration, a step without a start (left off the chart), a hostile tool name."""
    steps = steps_frame(20, every_s=0.3)
    steps.loc[3, "end"] = pd.NaT
    steps.loc[4, "duration_ms"] = float("nan")
    steps.loc[5, "duration_ms"] = float("inf")
    steps.loc[6, "tool"] = "Bash</svg><script>alert(1)</script>\x1b[31m\u202e"
    steps.loc[7, "summary"] = None
    steps.loc[8, "start"] = pd.NaT
    steps["status"] = steps["status"].astype("category")
    steps["tool"] = steps["tool"].astype("category")
    return steps


def test_the_timeline_spec_built_without_altair_is_altairs_own_dict_in_its_order() -> None:
    """What a headless incident pack draws (no altair in its kernel) is the spec altair writes of the same chart,
    key for key in the same order, data rows and dataset name included: the SVG is the same."""
    from auditkit.present.render import timeline_spec

    awkward = _awkward_steps()
    as_objects = awkward.assign(summary=awkward["summary"].astype(object))
    cases = [*_sample_steps(), awkward, as_objects]
    cases += [steps_frame(n, every_s=12) for n in (1, 10, MAX_TIMELINE_STEPS, MAX_TIMELINE_STEPS + 1, 1000)]
    for steps in cases:
        assert json.dumps(timeline_spec(steps)) == json.dumps(replay_chart(steps).to_dict())


def test_the_vega_lite_version_read_from_altairs_files_is_the_one_altair_writes() -> None:
    import altair as alt

    from auditkit.present.render import vega_lite_schema

    assert vega_lite_schema() == (alt.SCHEMA_URL, "_".join(alt.SCHEMA_VERSION.split(".")[:2]))


def test_the_time_by_tool_spec_built_without_altair_is_altairs_own_dict_in_its_order() -> None:
    import warnings

    import auditkit
    from auditkit.analysis import findings as F
    from auditkit.present.render import time_by_tool_spec
    from tests.conftest import SAMPLES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = auditkit.load([str(SAMPLES)])
    one = df[df["session_id"] == df["session_id"].dropna().iloc[0]]
    frames = [F.time_by(d, "tool", F.pack_calls(d)) for d in (df, one)]
    index = pd.Index(["Bash", "Re<ad\x1b"], name="tool")
    frames.append(pd.DataFrame({"calls": [3, 1], "total_ms": [2500.0, float("nan")]}, index=index))
    for by_tool in frames:
        assert json.dumps(time_by_tool_spec(by_tool)) == json.dumps(time_by_tool_chart(by_tool).to_dict())
