"""The verdict a pack opens with, the reconciliation of its counts, and the controls computed from evidence."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.analysis import findings as F
from auditkit.analysis.findings.verdict import AFTER_BREAK, UNVERIFIABLE
from auditkit.present.notebook import money, table_html, verdict_html, with_keys
from tests.conftest import SAMPLES

DELETED = "data/exports/customers-2026-03.csv"
TRANSCRIPT_SESSION = "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"


def load(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auditkit.load([str(path)])


@pytest.fixture(scope="module")
def samples() -> tuple[pd.DataFrame, object]:
    return load(SAMPLES), auditkit.verify([str(SAMPLES)])


def test_the_incident_verdict_answers_with_its_evidence_rows_and_the_prompt_behind_them(samples) -> None:
    df, report = samples
    v = F.incident_verdict(df, report, DELETED)
    deleted, risky = v.answers
    assert deleted.answer == "Yes: deleted after the trail saw it (by `rm -rf build/ data/`)."
    assert deleted.strength == "strong" and deleted.caveats == []
    assert deleted.prompt and deleted.prompt.startswith("The repo is huge. Clean up build artifacts and caches")
    row = deleted.evidence.iloc[0]
    assert (row["record"], row["seq"], row["file:line"]) == ("PostToolUse Bash", "10", "incident/audit-trail.jsonl:11")
    assert risky.answer == "Yes: 2 risky command(s) (force push, recursive delete)."
    assert set(risky.evidence["detail"]) == {"rm -rf build/ data/", "git push --force origin main"}
    assert risky.prompts[1] == "Get the test suite green."  # each session's own prompt, not the first one's
    assert v.status.startswith("INTACT: 123 records") and v.trustworthy


def test_an_answer_resting_on_records_after_a_chain_break_says_so_and_is_weakened(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "incident", tmp_path / "incident")
    trail = tmp_path / "incident" / "audit-trail.jsonl"
    lines = trail.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b"bypassPermissions", b"acceptEdits")  # line 5, before the rm -rf at line 11
    trail.write_bytes(b"".join(lines))
    df, report = load(tmp_path), auditkit.verify([str(tmp_path)])
    assert not report.intact and report.first_break.line == 5
    v = F.incident_verdict(df, report, DELETED)
    deleted = v.answers[0]
    assert deleted.answer.startswith("Yes: deleted after the trail saw it")  # what the records say...
    assert deleted.strength == "moderate"  # ...one step weaker
    assert any(AFTER_BREAK in c and ":5" in c for c in deleted.caveats)
    assert list(deleted.evidence["caveat"]) == [AFTER_BREAK]
    assert v.status.startswith("NOT INTACT") and not v.trustworthy
    page = verdict_html(v)
    assert page.count("Integrity of the inputs: NOT INTACT") == len(v.answers)  # beside every answer
    assert "\\" not in page  # plain text, no Markdown escapes


def test_an_answer_resting_on_a_transcript_only_is_weakened_as_unverifiable(samples) -> None:
    df, report = samples
    tokens = F.cost_verdict(df, report).answers[-1]
    assert tokens.question == "What did the tokens cost?" and tokens.answer.startswith("$0.0563 over 3 API message")
    assert tokens.strength == "moderate" and set(tokens.evidence["caveat"]) == {UNVERIFIABLE}
    assert tokens.caveats and "transcript" in tokens.caveats[0]


def test_the_transcript_only_sessions_calls_are_missing_from_the_hook_trail(samples) -> None:
    df, report = samples
    missing = F.hook_coverage(df)
    calls = missing[missing["tool_use_id"].notna()]
    assert list(calls["tool_use_id"]) == ["toolu_t1", "toolu_t2"]
    assert set(missing["session_id"]) == {TRANSCRIPT_SESSION} and not missing["hook_saw_session"].any()
    assert set(calls["source_line"]) == {2, 5} or set(calls["source_line"]) == {2, 4}
    controls = F.controls(
        df, report, [], F.file_permissions([]), F.retention_coverage(df, 365), auditkit.detect(df), missing
    ).set_index("control")
    assert controls.loc["NIST AU-2", "result"] == "partial" and controls.loc["NIST AU-12", "result"] == "partial"
    assert (
        "toolu_t1" in controls.loc["NIST AU-2", "evidence"]
        and TRANSCRIPT_SESSION in controls.loc["NIST AU-2", "evidence"]
    )


def test_with_only_the_hook_trail_completeness_cannot_be_shown(samples) -> None:
    """No second recorder of the sessions: AU-2 is not passed on "more than zero events"."""
    df = load(SAMPLES / "incident")
    controls = F.controls(
        df,
        auditkit.verify([str(SAMPLES / "incident")]),
        [],
        F.file_permissions([]),
        F.retention_coverage(df, 1),
        auditkit.detect(df),
    ).set_index("control")
    assert controls.loc["NIST AU-2", "result"] == "partial"
    assert "no transcript or telemetry" in controls.loc["NIST AU-2", "evidence"]


def test_each_framework_row_is_as_strong_as_the_nist_rows_it_rests_on(samples) -> None:
    df, report = samples
    controls = F.controls(
        df, report, ["a secret"], F.file_permissions([]), F.retention_coverage(df, 365), auditkit.detect(df)
    ).set_index("control")
    assert controls.loc["Secrets", "result"] == "fail" and controls.loc["SOC 2 CC6.1", "result"] == "fail"
    assert controls.loc["ISO 27001:2022 A.8.17", "result"] == controls.loc["NIST AU-8", "result"] == "pass"
    assert controls.loc["SOC 2 CC7.3", "result"] == "pending review"
    assert controls.loc["NIST AU-10", "result"] == "fail"  # the samples carry no signed seal
    for control, _, rests_on in F.MAPPINGS:
        assert controls.loc[control, "evidence"] == "; ".join(f"{c}: {controls.loc[c, 'result']}" for c in rests_on)


def test_a_record_earlier_than_the_one_before_it_fails_au8(samples) -> None:
    df = samples[0].copy()
    assert F.clock_order(df)["backward_steps"] == 0
    row = df.index[(df["source_file"].str.endswith("incident/audit-trail.jsonl")) & (df["source_line"] == 8)][0]
    df.loc[row, "timestamp"] = df.loc[row, "timestamp"] - pd.Timedelta(hours=2)
    clock = F.clock_order(df)
    assert clock["backward_steps"] == 1 and clock["where"].endswith("incident/audit-trail.jsonl:8")


def test_the_reconciliation_explains_every_count_and_states_the_period(samples) -> None:
    df, report = samples
    scope = F.in_window(df, None, None, "9e8d7c6b")
    counts = F.reconciliation(df, scope, report).set_index("count")
    assert counts["value"].to_dict() == {
        "events loaded": 131,
        "from hash-chained trails": 123,
        "records verified": 123,
        "records checked for completeness (AU-3)": 118,
        "events in scope": len(scope),
    }
    assert "8 transcript" in counts.loc["from hash-chained trails", "explanation"]
    assert "5 trail start(s)" in counts.loc["records checked for completeness (AU-3)", "explanation"]
    assert f"{131 - len(scope)} event(s) outside" in counts.loc["events in scope", "explanation"]
    period = F.reconciliation(df, scope, report).attrs["period"]
    assert period["time_zone"] == "UTC" and period["first"].startswith("2026-03-17T14:00")


def test_a_group_key_index_is_shown_as_a_labelled_key_column() -> None:
    by = pd.DataFrame({"model": ["a", "b"], "usd": [0.056292, 12.3456]}).set_index("model")
    shown = with_keys(by)
    assert list(shown.columns) == ["model", "usd"] and shown.attrs["keys"] == ["model"]
    page = table_html(shown)
    assert "<th style='" in page and "data-key='1'>model</th>" in page
    assert "$0.0563" in page and "$12.35" in page
    two = pd.DataFrame({"a": [1], "b": [2], "n": [3]}).set_index(["a", "b"])
    assert with_keys(two).attrs["keys"] == ["a", "b"]
    rows = pd.DataFrame({"x": [1, 2, 3]}).iloc[[2, 0]]  # row numbers left by a filter: not a key
    assert list(with_keys(rows).columns) == ["x"]


@pytest.mark.parametrize(
    ("usd", "text"), [(0.056292, "$0.0563"), (0.004, "$0.0040"), (1234.5, "$1,234.50"), (None, "")]
)
def test_dollars_show_four_decimals_below_a_dollar_and_cents_above(usd: float | None, text: str) -> None:
    assert money(usd) == text


def test_a_call_only_telemetry_recorded_is_missing_from_the_hook_trail(samples) -> None:
    """Claude Code's telemetry (``auditkit otel-receive``) is hash-chained like the hook's trail but is another
    witness: a call only it holds is listed, as recorded by telemetry."""
    df = samples[0].copy()
    row = df.index[(df["event"] == "PostToolUse") & (df["source_format"] == "auditkit")][0]
    df["capture"] = df["capture"].astype(object)
    df.loc[row, ["capture", "tool_use_id"]] = ["otel", "toolu_otel_only"]
    missing = F.hook_coverage(df)
    otel = missing[missing["tool_use_id"] == "toolu_otel_only"]
    assert list(otel["recorded_by"]) == ["otel telemetry"] and bool(otel["hook_saw_session"].iloc[0])


def test_the_replay_verdict_says_what_the_session_did_and_which_steps_failed_with_their_records() -> None:
    """The replay pack opens with its answers too: the session's prompts, calls and changed files, then the calls
    that did not succeed, each with its record (file:line, seq) and the prompt before it."""
    df, report = auditkit.load(SAMPLES), auditkit.verify(SAMPLES)
    failing = "f0f0f0f0-1111-4222-8333-444455556666"
    did, wrong = F.replay_verdict(df, report, failing).answers
    assert did.answer.startswith("1 prompt(s), 10 tool call(s)") and did.prompts == ["Get the test suite green."]
    assert wrong.answer.startswith("8 of 10 call(s)") and len(wrong.evidence) == 5
    assert wrong.evidence["file:line"].str.startswith("failures/audit-trail.jsonl:").all()
    calls = auditkit.tool_calls(df)
    fine = calls.groupby("session_id", observed=True)["status"].agg(lambda s: (s.astype(str) == "ok").all())
    calm = F.replay_verdict(df, report, fine[fine].index[0])  # the samples hold sessions without a failure
    assert calm.answers[1].answer == "Every call it made succeeded." and calm.answers[1].evidence.empty
    assert F.replay_verdict(df, report, None).answers[0].answer == "No session is in scope."
