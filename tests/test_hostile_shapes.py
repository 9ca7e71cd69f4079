"""Whatever shape a tool's response takes, the hook redacts and records it in bounded time (not a benchmark:
a generous bound, far from today's figures, that the old super-linear rules broke by seconds)."""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import hook_argv, payload, read_records

MIB = 1 << 20
#: CPU seconds the hook may spend on one ~4 MiB event (CPU time, so that a busy machine does not fail it).
BOUND_S = 2.0


def _response(shape: str) -> str:
    """The JSON text of a ~4 MiB ``tool_response`` of one hostile shape."""
    n = 4 * MIB
    if shape == "deep-nesting":
        return "[" * 10_000 + '"x"' + "]" * 10_000
    value: object
    if shape in ("eq-a-run", "eq-a-run-whole"):
        value = {"stdout": "=a" * (n // 2)}
    elif shape == "one-character":
        value = {"stdout": "a" * n}
    elif shape == "equals-run":
        value = {"stdout": "=" * n}
    elif shape == "dash-slash-lines":
        value = {"stdout": "".join(c * 4000 + "\n" for c in "-=/" * (n // 12003))}
    elif shape == "base64-run":
        value = {"stdout": base64.b64encode(os.urandom(n * 3 // 4)).decode()}
    elif shape == "hex-run":
        value = {"stdout": os.urandom(n // 2).hex()}
    elif shape == "tiny-strings":
        value = {"lines": ["a=b"] * 200_000 + [base64.b64encode(os.urandom(15)).decode() for _ in range(100_000)]}
    elif shape == "tiny-keys":
        value = {f"k{i}": "v=1" for i in range(200_000)}
    elif shape == "keyword-runs":  # every built-in rule that once read to the end of the text from each keyword
        value = {
            k: k * (n // 8 // len(k)) for k in ("passwdx", "osql ", "curl/", "://aA", "mysql\t", "token=", "ldapa.")
        }
    else:
        raise AssertionError(shape)
    return json.dumps(value)


SHAPES = [
    "eq-a-run",
    "eq-a-run-whole",  # with the field cap raised past it: all 4 MiB redacted (7.7 s of CPU before)
    "one-character",
    "equals-run",
    "dash-slash-lines",
    "base64-run",
    "hex-run",
    "tiny-strings",
    "tiny-keys",
    "keyword-runs",
    "deep-nesting",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_hook_records_a_hostile_4_mib_response_in_bounded_time(tmp_path: Path, shape: str) -> None:
    """The real hook, in its own process, on one adversarial response: exit 0, nothing on stdout, one record
    (the response whole, cut with its sha256, or nested too deep kept as marked JSON text), under BOUND_S."""
    trail = tmp_path / "audit-trail.jsonl"
    event = payload("PostToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "cat big"})
    raw = json.dumps(event)[:-1] + f', "tool_response": {_response(shape)}}}'
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "AUDITKIT_MAX_FIELD_BYTES": str(8 * MIB)} if shape.endswith("-whole") else None
    proc = subprocess.run(hook_argv(trail), input=raw.encode(), capture_output=True, timeout=120, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0 and proc.stdout == b"", proc.stderr
    assert cpu < BOUND_S, f"{shape}: {cpu:.2f} s of CPU ({wall:.2f} s wall)"
    records = [r for r in read_records(trail) if r["event"] == "PostToolUse"]
    assert len(records) == 1
    response = records[0]["tool_response"]
    if shape == "deep-nesting":  # kept, as JSON text marked as too deep to nest, not lost and not a crash
        assert "deep" in json.dumps(response) and "x" in json.dumps(response)
    elif records[0].get("truncated"):  # cut: the sha256 of the whole is kept, and the hook said so
        assert all(len(t["sha256"]) == 64 for t in records[0]["truncated"]) and b"cut" in proc.stderr


def test_many_strings_cleared_in_one_pass_are_redacted_exactly_as_one_by_one() -> None:
    """:meth:`Redactor.quiet_strings` only skips work: a list of the labelled corpus's secrets and clean texts,
    with strings that lowercase to another length, comes out as redacting each string alone gives."""
    import random

    from auditkit.trail.redaction import Redactor
    from tests.secret_corpus import negatives, positives

    r = Redactor(key=b"k" * 32)
    pool = [t for _, t, _ in positives()] + [t for _, t in negatives()] + ["a=b", "İstanbul token=abc123", "x" * 40]
    rnd = random.Random(25)
    for i in range(6):
        items = [rnd.choice(pool) for _ in range(300)]
        if i % 2:  # without it, the one pass runs (with it, offsets would not line up: one by one)
            items = [t for t in items if "İ" not in t]
        redacted, count = r.redact_value({"lines": items})
        alone = [r.redact_text(t) for t in items]
        assert redacted == {"lines": [t for t, _ in alone]} and count == sum(n for _, n in alone)
        assert count > 0
