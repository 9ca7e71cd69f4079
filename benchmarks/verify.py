"""Verify throughput (MB/s) beside the single-core SHA-256 floor over the same bytes, in the same run.

Two trails: records of ~500 bytes (the hook's PreToolUse events and short results: per-record work
weighs most) and records of ~2 KB on average (Reads and Edits carry file contents). Two floors:
``hashlib.sha256`` over the whole file in one call, and ``openssl speed -evp sha256`` (16 KiB
blocks, the SHA-NI rate where the CPU has it). Goal: verify at >= 50% of both, on both trails.
Medians of several runs.

    .venv/bin/python benchmarks/verify.py [--records 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditkit.custody.verify import verify
from auditkit.trail import format as tf

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
    """A short Bash call as the hook records it: ~500 bytes with the chain's fields."""
    return {
        "event": "PostToolUse",
        "status": "ok",
        "session_id": f"s{i // 400}",
        "tool_name": "Bash",
        "tool_use_id": f"toolu_{i:08d}",
        "tool_input": {"command": f"make test-{i % 7}", "description": "Run the unit tests"},
        "tool_response": {"stdout": f"{rng.randint(10, 99)} passed in 0.{rng.randint(10, 99)}s", "stderr": ""},
        "cwd": "/home/dev/app",
        "user": "dev",
        "host": "dev-laptop",
        "agent": "claude-code",
        "duration_ms": 812.0,
    }


def openssl_floor() -> float | None:
    """``openssl speed -evp sha256`` at 16 KiB blocks, MB/s (None without openssl)."""
    try:
        out = subprocess.run(
            ["openssl", "speed", "-evp", "sha256", "-seconds", "2", "-bytes", "16384"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    last = out.strip().splitlines()[-1].split()
    return float(last[-1].rstrip("k")) * 1000 / 1e6 if last and last[0] == "sha256" else None


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
    ossl = openssl_floor()
    print(f"floor: openssl speed -evp sha256 (16 KiB blocks): {f'{ossl:.0f} MB/s' if ossl else 'openssl not found'}")
    print(
        f"{'trail':<34} {'size':>8} {'avg rec':>8} {'hashlib 1 call':>15} {'verify':>10} {'vs hashlib':>11} {'vs openssl':>11}"
    )
    for name, shape in (("~500-byte records", small), ("~2 KB records", realistic)):
        path = tmp / f"{name.strip('~').split()[0]}.jsonl"
        size = make_trail(path, args.records, shape)
        raw, ver, n = measure(path, args.runs)
        vs_ossl = f"{ver / ossl:10.0%}" if ossl else f"{'-':>10}"
        print(
            f"{name + f' ({n:,})':<34} {size / 1e6:6.1f}MB {size / n:7.0f}B {raw:11.0f}MB/s "
            f"{ver:6.0f}MB/s {ver / raw:10.0%} {vs_ossl}"
        )
        path.unlink()
    print(
        f"goal: verify >= 50% of the single-core SHA-256 floor on both trails (medians of {args.runs} runs, {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
