"""The cost reader gives exactly what load() then token_usage() give, on every transcript shape."""

from __future__ import annotations

import gzip
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
