"""load() on trails of 100k, 1M and 3M events: time and peak RSS, beside pyarrow's raw JSON parse of the same file.

Each measurement runs in a fresh subprocess (so peak RSS is its own), several times; medians printed.
pyarrow.json.read_json parses the lines into Arrow columns with several threads and no checks;
load() also detects each line's format, normalises it and builds typed pandas columns (nested
values stay JSON text until read). Goals, at 1M events: <= 1.5x pyarrow's time, <= 1.2 GB peak;
and time linear in events. The 1M trail is also read gzipped, as ``auditkit archive`` leaves a segment.

    .venv/bin/python benchmarks/load.py [--events 100000,1000000,3000000] [--runs 3] [--no-gzip]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditkit.trail import format as tf  # noqa: E402

MEASURE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
{body}
took = time.perf_counter() - t0
print(json.dumps({{"s": took, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "n": n}}))
"""
BODIES = {
    "pyarrow.json.read_json (baseline)": "import pyarrow.json as pj\nn = pj.read_json({path!r}).num_rows",
    "auditkit.load()": "import warnings, auditkit\nn = len(auditkit.load({path!r}))",
    "python: orjson.loads per line": "import orjson\nn = sum(1 for line in open({path!r}, 'rb') if orjson.loads(line))",
}


def measure(bodies: dict[str, str], path: Path, runs: int, baseline: str) -> dict[str, tuple[float, float, int]]:
    """Run each body in fresh subprocesses ``runs`` times; print and return median (seconds, peak MB, rows)."""
    results = {}
    for name, body in bodies.items():
        code = MEASURE.format(root=str(ROOT), body=body.format(path=str(path)))
        got = [
            json.loads(
                subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            for _ in range(runs)
        ]
        results[name] = (
            statistics.median(r["s"] for r in got),
            statistics.median(r["rss_mb"] for r in got),
            got[0]["n"],
        )
    base_s = results[baseline][0]
    print(f"{'reader':<36} {'time':>8} {'peak RSS':>10} {'rows':>11} {'vs baseline':>12}")
    for name, (s, rss, n) in results.items():
        print(f"{name:<36} {s:7.2f}s {rss:8.0f}MB {n:>11,} {s / base_s:11.2f}x")
    return results


def make_trail(path: Path, events: int) -> None:
    """Hook-shaped records: Pre/Post pairs of Bash, Read and Edit calls over 50 sessions.

    As in a real trail, the trail_start comes first in time too (records are stamped under the lock).
    """
    created = "2026-03-17T00:00:00.000000Z"
    prev = tf.genesis_hash("bench", created)
    with open(path, "wb") as fh:
        line = tf.encode_record(
            0,
            created,
            prev,
            {
                "event": tf.TRAIL_START,
                "status": "info",
                "data": {"trail_id": "bench", "created": created, "previous_segment": None},
            },
        )
        fh.write(line)
        prev, buf = line[-67:-3].decode(), []
        for seq in range(1, events):
            i = seq // 2
            post = seq % 2 == 0
            tool = ("Bash", "Read", "Edit")[i % 3]
            inp = (
                {"command": f"pytest tests/test_{i % 40}.py -q"}
                if tool == "Bash"
                else {"file_path": f"/home/dev/app/src/m{i % 200}.py"}
            )
            fields = {
                "event": "PostToolUse" if post else "PreToolUse",
                "status": "ok" if post else "started",
                "session_id": f"session-{i % 50:03d}",
                "tool_name": tool,
                "tool_use_id": f"toolu_{i:09d}",
                "tool_input": inp,
                "cwd": "/home/dev/app",
                "user": "dev",
                "host": "laptop",
                "agent": "claude-code",
                "redactions": 0,
            }
            if post:
                fields.update(
                    tool_response={"stdout": "12 passed"} if tool == "Bash" else {"type": "text"}, duration_ms=412.5
                )
            secs = seq // 10
            ts = f"2026-03-{17 + secs // 86400:02d}T{secs // 3600 % 24:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{seq % 1000:03d}000Z"
            line = tf.encode_record(seq, ts, prev, fields)
            prev = line[-67:-3].decode()
            buf.append(line)
            if len(buf) >= 20000:
                fh.write(b"".join(buf))
                buf.clear()
        fh.write(b"".join(buf))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", default="100000,1000000,3000000", help="comma-separated trail sizes")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-gzip", action="store_true", help="skip the gzipped copy of the 1M trail")
    args = ap.parse_args()
    sizes = [int(n) for n in args.events.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-load-"))
    summary = []
    summary_gz = None
    for events in sizes:
        path = tmp / f"trail-{events}.jsonl"
        make_trail(path, events)
        print(f"\ntrail: {events:,} events, {path.stat().st_size / 1e6:.0f} MB")
        results = measure(BODIES, path, args.runs, baseline="pyarrow.json.read_json (baseline)")
        base_s, base_rss, _ = results["pyarrow.json.read_json (baseline)"]
        s, rss, _ = results["auditkit.load()"]
        summary.append((events, s, rss, base_s, base_rss))
        if events == 1_000_000 and not args.no_gzip:  # as `auditkit archive` leaves a segment
            packed = path.with_suffix(".jsonl.gz")
            with open(path, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 8 << 20)
            print(f"\nthe same trail gzipped (an archived segment): {packed.stat().st_size / 1e6:.0f} MB")
            gz = measure({k: v for k, v in BODIES.items() if "orjson" not in k}, packed, args.runs,
                         baseline="pyarrow.json.read_json (baseline)")  # fmt: skip
            summary_gz = (gz["auditkit.load()"], gz["pyarrow.json.read_json (baseline)"])
            packed.unlink()
        path.unlink()
    print(f"\n{'events':>10} {'load()':>8} {'per 1M':>8} {'peak':>9} {'pyarrow':>8} {'its peak':>9} {'ratio':>7}")
    for events, s, rss, base_s, base_rss in summary:
        print(
            f"{events:>10,} {s:7.2f}s {s / events * 1e6:7.2f}s {rss / 1024:7.2f}GB {base_s:7.2f}s "
            f"{base_rss / 1024:7.2f}GB {s / base_s:6.2f}x"
        )
    for events, s, rss, base_s, _ in summary:
        if events == 1_000_000:
            print(
                f"goals at 1M events: <= 1.5x pyarrow's time -> {s / base_s:.2f}x; <= 1.2 GB peak -> {rss / 1024:.2f} GB"
            )
            if summary_gz:
                (gs, grss, _), (gbase, _, _) = summary_gz
                print(f"  gzipped: {gs:.2f}s and {grss / 1024:.2f} GB, {gs / gbase:.2f}x pyarrow's {gbase:.2f}s")


if __name__ == "__main__":
    main()
