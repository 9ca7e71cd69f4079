"""Verify throughput (MB/s) beside raw hashlib.sha256 over the same bytes, in the same run.

Two trails: one with realistic record sizes (Reads and Edits carry file contents, so records
average a few KiB), and one of small records only (~350 bytes), where per-record overhead weighs
most. Medians of several runs; goal: verify at >= 50% of the raw hash rate.

    .venv/bin/python benchmarks/verify.py [--records 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditkit import trail_format as tf
from auditkit.integrity import verify

WORDS = [
    "def",
    "return",
    "import",
    "self",
    "value",
    "result",
    "error",
    "config",
    "parse",
    "token",
    "file",
    "path",
    "data",
    "None",
    "True",
]


def text(rng: random.Random, size: int) -> str:
    out, n = [], 0
    while n < size:
        line = "    " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        out.append(line)
        n += len(line) + 1
    return "\n".join(out)


def realistic(rng: random.Random, i: int) -> dict:
    kind = rng.random()
    base = {
        "session_id": f"s{i // 400}",
        "cwd": "/home/dev/app",
        "permission_mode": "default",
        "user": "dev",
        "host": "dev-laptop",
        "agent": "claude-code",
        "redactions": 0,
        "tool_use_id": f"toolu_{i:08d}",
    }
    path = f"/home/dev/app/src/module_{rng.randint(0, 300)}.py"
    if kind < 0.5:  # PreToolUse of anything: small
        return {
            **base,
            "event": "PreToolUse",
            "status": "started",
            "tool_name": "Bash",
            "tool_input": {"command": f"pytest tests/test_{i % 50}.py -q", "description": "Run tests"},
        }
    if kind < 0.75:  # Read with the file's content
        return {
            **base,
            "event": "PostToolUse",
            "status": "ok",
            "tool_name": "Read",
            "tool_input": {"file_path": path},
            "tool_response": {"type": "text", "file": {"filePath": path, "content": text(rng, rng.randint(500, 8000))}},
            "duration_ms": 40.0,
        }
    if kind < 0.85:  # Edit with the original file and a patch
        return {
            **base,
            "event": "PostToolUse",
            "status": "ok",
            "tool_name": "Edit",
            "tool_input": {"file_path": path, "old_string": "a = 1", "new_string": "a = 2"},
            "tool_response": {
                "filePath": path,
                "originalFile": text(rng, rng.randint(1000, 6000)),
                "structuredPatch": [
                    {"oldStart": 3, "oldLines": 1, "newStart": 3, "newLines": 1, "lines": ["-a = 1", "+a = 2"]}
                ],
            },
            "duration_ms": 20.0,
        }
    return {
        **base,
        "event": "PostToolUse",
        "status": "ok",
        "tool_name": "Bash",
        "tool_input": {"command": "pytest -q"},
        "tool_response": {"stdout": text(rng, rng.randint(50, 1500)), "stderr": ""},
        "duration_ms": 900.0,
    }


def small(rng: random.Random, i: int) -> dict:
    return {
        "event": "PostToolUse",
        "status": "ok",
        "session_id": "s",
        "tool_name": "Bash",
        "tool_input": {"command": "make"},
        "tool_response": {"stdout": "ok"},
    }


def make_trail(path: Path, records: int, shape) -> int:
    rng = random.Random(7)
    created = "2026-01-01T00:00:00.000000Z"
    start = tf.encode_record(
        0,
        created,
        tf.genesis_hash("bench", created),
        {
            "event": tf.TRAIL_START,
            "status": "info",
            "data": {"trail_id": "bench", "created": created, "previous_segment": None},
        },
    )
    prev = start[-67:-3].decode()
    with open(path, "wb") as fh:
        fh.write(start)
        for seq in range(1, records):
            line = tf.encode_record(seq, created, prev, shape(rng, seq))
            prev = line[-67:-3].decode()
            fh.write(line)
    return path.stat().st_size


def measure(path: Path, runs: int) -> tuple[float, float, int]:
    """Median raw-hash and verify throughput (MB/s) over the same file, and the records verified."""
    data = path.read_bytes()  # also warms the page cache for verify
    raw = []
    for _ in range(runs):
        t0 = time.perf_counter()
        hashlib.sha256(data).hexdigest()
        raw.append(time.perf_counter() - t0)
    size = len(data) / 1e6
    del data  # verify streams the file itself; a big buffer held here would only slow its workers' fork
    ver = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = verify(path)
        ver.append(time.perf_counter() - t0)
        assert report.intact, report.findings[:3]
    return size / statistics.median(raw), size / statistics.median(ver), report.records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-verify-bench-"))
    print(f"{'trail':<34} {'size':>9} {'avg rec':>8} {'sha256 raw':>12} {'verify':>11} {'ratio':>6}")
    for name, shape in (("realistic sizes", realistic), ("small records only", small)):
        path = tmp / f"{name.split()[0]}.jsonl"
        size = make_trail(path, args.records, shape)
        raw, ver, n = measure(path, args.runs)
        print(
            f"{name + f' ({n:,} records)':<34} {size / 1e6:7.1f}MB {size / n:7.0f}B {raw:9.0f}MB/s "
            f"{ver:8.0f}MB/s {ver / raw:5.0%}"
        )
        path.unlink()
    print(
        f"goal: verify >= 50% of the raw SHA-256 rate over the same bytes (medians of {args.runs} runs, same process)"
    )


if __name__ == "__main__":
    main()
