"""The cost reader gives exactly what load() then token_usage() give, on every transcript shape."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.loading import usage_scan
from auditkit.loading.usage_scan import scan_usage

FIX = Path(__file__).resolve().parent / "fixtures" / "transcripts"
COLUMNS = [c for c in usage_scan.COLUMNS if c not in ("agent", "message_id", "request_id")]


def _by_message(df: pd.DataFrame) -> pd.DataFrame:
    key = df["message_id"].astype(object).where(df["message_id"].notna(), df["request_id"])
    return df.assign(_key=key.astype(str)).set_index("_key").sort_index()[COLUMNS].astype({"model": object})


@pytest.mark.parametrize("workers", [1, 2])
def test_the_cost_reader_matches_load_on_every_fixture(workers: int) -> None:
    """1.0 inline sidechains, 2.0 agent files, a resumed session, 2.1 progress lines: the same messages, tokens,
    agents and times as the full loader, serial or in worker processes."""
    full = auditkit.token_usage(auditkit.load(FIX))
    fast = scan_usage(FIX, workers=workers)
    assert len(fast) == len(full) == 12 + 5  # the 1.0/2.0/resumed fixtures and the 2.1 one
    pd.testing.assert_frame_equal(_by_message(fast), _by_message(full), check_dtype=False, check_categorical=False)
    with pytest.warns(UserWarning):
        assert auditkit.cost(FIX, by="day").equals(auditkit.cost(auditkit.load(FIX), by="day"))


def test_the_cost_reader_reads_gzipped_transcripts_and_names_damaged_lines(tmp_path: Path) -> None:
    src = FIX / "v2.0-agent-files"
    shutil.copytree(src, tmp_path / "t")
    first = next((tmp_path / "t").rglob("*.jsonl"))
    first.with_suffix(".jsonl.gz").write_bytes(gzip.compress(first.read_bytes()))
    first.unlink()
    broken = tmp_path / "t" / "-home-dev-app" / "broken.jsonl"
    broken.write_text('{"type":"assistant","message":{"id":"msg_x","usage":{"input_tokens":\n')
    fast = scan_usage(tmp_path / "t")
    assert len(fast) == len(auditkit.token_usage(auditkit.load(src)))
    assert fast.attrs["problems"] == [{"file": str(broken), "line": 1, "reason": fast.attrs["problems"][0]["reason"]}]


def test_a_forged_message_id_that_is_no_string_is_counted_as_load_counts_it(tmp_path: Path) -> None:
    """An id that is an object used to end `auditkit cost` with "unhashable type" (found by fuzzing)."""
    import json

    src = next((FIX / "v2.0-agent-files").rglob("22222222-*.jsonl"))
    lines = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    first = next(o for o in lines if o.get("type") == "assistant" and isinstance(o.get("message"), dict))
    first["message"]["id"] = {"forged": [1, 2]}
    folder = tmp_path / "-home-dev-app"
    folder.mkdir()
    (folder / src.name).write_text("\n".join(json.dumps(o) for o in lines) + "\n")
    fast = scan_usage(tmp_path)
    assert len(fast) == len(auditkit.token_usage(auditkit.load(tmp_path)))
    assert fast["output_tokens"].sum() == auditkit.token_usage(auditkit.load(tmp_path))["output_tokens"].sum()


@pytest.mark.parametrize("field", ["model", "sessionId", "requestId"])
def test_a_forged_key_field_that_is_no_string_is_summed_as_load_shows_it(tmp_path: Path, field: str) -> None:
    """A model, session or request id forged as a list or object used to end `auditkit cost` with "unhashable
    type"; it is a group of its own, named by its JSON text as load() shows it, and nothing else changes."""
    import json

    from auditkit.analysis.pricing import usage_summary

    src = next((FIX / "v2.0-agent-files").rglob("22222222-*.jsonl"))
    lines = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    first = next(o for o in lines if o.get("type") == "assistant" and isinstance(o.get("message"), dict))
    for line in lines:  # every copy of that message (one message can span several lines)
        if isinstance(line.get("message"), dict) and line["message"].get("id") == first["message"]["id"]:
            (line["message"] if field == "model" else line)[field] = ["forged", {"x": 1}]
    folder = tmp_path / "-home-dev-app"
    folder.mkdir()
    (folder / src.name).write_text("\n".join(json.dumps(o) for o in lines) + "\n")
    key = {"model": "model", "sessionId": "session", "requestId": "model"}[field]
    groups = usage_summary(tmp_path, [key], workers=1)[0]
    names = [g["session_id" if key == "session" else key] for g in groups]
    if field != "requestId":
        assert '["forged",{"x":1}]' in names
    framed = auditkit.token_usage(auditkit.load(tmp_path))
    assert sum(g["messages"] for g in groups) == len(framed)
    assert sum(g["output_tokens"] for g in groups) == framed["output_tokens"].sum()


def _two_copies(tmp_path: Path) -> Path:
    """Every fixture twice, under two folders (each message in two bundles), the second copy changed: its
    first message in each file with more output tokens (that copy is kept, so the first one is taken out
    of sums it was the first of), and a later message one hour later with the same tokens (a tie: the later
    copy is kept, in another hour and maybe another day)."""
    import json

    root = tmp_path / "home"
    shutil.copytree(FIX, root / "a")
    shutil.copytree(FIX, root / "b")
    for f in sorted((root / "b").rglob("*.jsonl")):
        out, seen = [], 0
        for line in f.read_text().splitlines():
            rec = json.loads(line) if line.strip() else None
            usage = (
                rec.get("message", {}).get("usage")
                if isinstance(rec, dict) and rec.get("type") == "assistant"
                else None
            )
            if isinstance(usage, dict):
                seen += 1
                if seen == 1:
                    usage["output_tokens"] = int(usage.get("output_tokens") or 0) + 1000
                elif seen == 3 and isinstance(rec.get("timestamp"), str):
                    rec["timestamp"] = rec["timestamp"].replace("T1", "T2", 1)
            out.append(json.dumps(rec) if rec is not None else line)
        f.write_text("\n".join(out) + "\n")
    return root


def _nan_as_text(value: object) -> object:
    """The same structure with NaN (an unpriced model's dollars, never equal to itself) as "nan"."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, dict):
        return {k: _nan_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_as_text(v) for v in value]
    return value


OPTIONS = [
    {"keys": ["day"]},
    {"keys": ["session"]},
    {"keys": ["model"]},
    {"keys": ["subagent", "model"]},
    {"keys": ["agent"]},
    {"keys": ["week"], "tz": "Asia/Kolkata"},
    {"keys": ["month"], "breakdown": True},
    {"keys": ["day"], "breakdown": True, "tz": "America/Los_Angeles"},
    {"keys": ["session"], "last": 2},
    {"keys": ["day"], "since": "2026-01-01", "until": "2026-12-31T23:59:59Z"},
    {"keys": ["session", "model"], "since": "2025-06-01T10:00:03Z"},
]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_cost_summed_where_it_is_read_equals_the_message_rows_summed(
    tmp_path: Path, options: dict, workers: int
) -> None:
    """`auditkit cost` sums each file's messages where they are read, then takes out the copies of a message
    found in other files; the groups, their order, tokens, dollars and latest times are those of one row per
    message (usage_rows) summed, whichever copy is kept and whether it was the first or latest of its sum."""
    from auditkit.analysis.pricing import summarize, usage_summary

    root = _two_copies(tmp_path)
    opts = dict(options)
    keys = opts.pop("keys")
    window = {k: opts.pop(k) for k in ("since", "until") if k in opts}
    rows, problems, _ = usage_scan.usage_rows(root, 1, **window)
    expected = summarize(rows, keys, **opts)
    got = usage_summary(root, keys, **opts, **window, workers=workers)
    assert _nan_as_text(got) == _nan_as_text((*expected, problems))
    assert expected[0]
    if not window and "last" not in opts:  # each message once, the changed copies kept
        assert sum(g["messages"] for g in expected[0]) == len(rows)
        single = usage_scan.usage_rows(FIX, 1)[0]
        assert len(rows) == len(single)
        assert sum(r["output_tokens"] for r in rows) > sum(r["output_tokens"] for r in single)


def test_cost_names_each_damaged_line_in_file_and_line_order(tmp_path: Path) -> None:
    """Line numbers as a split at \\n counts them (a damaged line after others, a last line without a newline,
    CRLF line ends), in file order, whether the file is read in this process or a worker."""
    from auditkit.analysis.pricing import usage_summary

    folder = tmp_path / "-home-dev-app"
    shutil.copytree(FIX / "v2.0-agent-files" / "-home-dev-app", folder)
    good = (folder / "22222222-aaaa-4bbb-8ccc-000000000002.jsonl").read_text().splitlines()
    broken = '{"type":"assistant","message":{"id":"msg_x","usage":{"input_tokens":'
    body = [*good, broken, '{"type":"user","message":{"content":"no usage here"}}', *good, broken]
    (folder / "0-broken.jsonl").write_bytes("\r\n".join(body).encode())
    (folder / "1-broken.jsonl").write_bytes(f"{good[0]}\n{broken}\n".encode())
    n = len(good)
    for workers in (1, 2):
        groups, _, problems = usage_summary(tmp_path, ["day"], workers=workers)
        assert [(Path(p["file"]).name, p["line"]) for p in problems] == [
            ("0-broken.jsonl", n + 1),
            ("0-broken.jsonl", 2 * n + 3),
            ("1-broken.jsonl", 2),
        ]
        assert sum(g["messages"] for g in groups) == len(usage_scan.usage_rows(folder, 1)[0])


def test_a_bundle_read_again_for_a_repeated_message_is_summed_from_what_it_holds_now(tmp_path: Path) -> None:
    """A bundle's messages are not kept (nor handed back from a worker): when one of its ids is in another
    bundle too, its files are read again. A file changed in between is summed as it is then, with its new
    ids, and every message is still counted once, as usage_rows counts the files as they are at the end."""
    from auditkit.analysis import pricing

    root = tmp_path / "home"
    for copy in ("a", "b"):  # the same messages in two bundles: both are read again
        shutil.copytree(FIX / "v2.0-agent-files", root / copy)
    _, jobs, _, total = usage_scan.plan(root)
    sums = pricing._ScanSums(["day"], pricing.zone("UTC"), None)
    found = usage_scan.scan_files(jobs, total, 1, sums.of_file)
    assert all(f.kept is None for f in found)
    for f in (root / "b").rglob("*.jsonl"):  # b's copy now holds other messages, with more output tokens
        text = f.read_text().replace('"msg_', '"msg_new_')
        f.write_text(re.sub(r'"output_tokens":\s*(?=\d)', '"output_tokens": 1', text))
    merged = pricing._merged(found, sums)
    rows = usage_scan.usage_rows(root, 1)[0]
    assert len({r["message_id"] for r in rows if r["message_id"].startswith("msg_new_")}) > 0
    assert sum(sub[0] for sub in merged.values()) == len(rows)
    assert sum(sub[2] for sub in merged.values()) == sum(r["output_tokens"] for r in rows)
    assert sum(sub[1] for sub in merged.values()) == sum(r["input_tokens"] for r in rows)
