"""Concurrent sessions append to one trail without interleaving, tearing or reusing a sequence number."""

from __future__ import annotations

import io
import json
import multiprocessing
import subprocess
from pathlib import Path

import pytest

from auditkit.trail import capture
from auditkit.trail import format as tf
from tests.conftest import hook_argv, payload

WRITERS, EVENTS_EACH = 8, 500


def _writer(trail: str, writer: int) -> None:
    for i in range(EVENTS_EACH):
        event = payload(
            "PreToolUse",
            session=f"writer-{writer}",
            tool_name="Bash",
            tool_use_id=f"t{writer}-{i}",
            tool_input={"command": f"echo {writer} {i} " + "x" * (i % 97) * 40},
        )
        capture.main(["--trail", trail], stdin=io.BytesIO(json.dumps(event).encode()))


@pytest.mark.slow
def test_eight_processes_times_500_events_give_4000_whole_lines_with_gapless_seq(tmp_path: Path) -> None:
    """8 writers x 500 events -> exactly 4,000 parseable event lines, seq unique and gapless, chain intact."""
    trail = tmp_path / "audit-trail.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(trail), w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    lines = trail.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses: nothing torn or interleaved
    events = [r for r in records if r["event"] != tf.TRAIL_START]
    assert len(events) == WRITERS * EVENTS_EACH
    assert [r["seq"] for r in records] == list(range(len(records)))
    for w in range(WRITERS):  # each writer's events keep their order
        mine = [int(r["tool_use_id"].split("-")[1]) for r in events if r["session_id"] == f"writer-{w}"]
        assert mine == list(range(EVENTS_EACH))
    prev = None
    for line, rec in zip(lines, records, strict=True):
        body, stated = tf.split_line(line)
        assert tf.sha256(body).hexdigest() == stated == rec["hash"]
        if prev is not None:
            assert rec["prev"] == prev
        prev = stated


@pytest.mark.slow
def test_real_hook_processes_started_at_once_do_not_collide(tmp_path: Path) -> None:
    """The same holds for whole hook processes started together, as parallel matching hooks are."""
    trail = tmp_path / "audit-trail.jsonl"
    procs = [
        subprocess.Popen(hook_argv(trail), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(24)
    ]
    for i, p in enumerate(procs):
        out, err = p.communicate(json.dumps(payload("Notification", message=f"n{i}")).encode(), timeout=60)
        assert (p.returncode, out, err) == (0, b"", b"")
    records = [json.loads(line) for line in trail.read_bytes().splitlines()]
    assert sorted(r["seq"] for r in records) == list(range(25))
    assert sorted(r["data"]["message"] for r in records[1:]) == sorted(f"n{i}" for i in range(24))
