"""``load()`` of 1M events beside pyarrow, polars and DuckDB reading the same file into memory.

What a user waits for: each side is a fresh process (start-up and imports included) reading the same
trail into memory; the sides run interleaved (A B C D A B C D ...), several times; medians with their
spread and peak RSS from the OS (``benchmarks/harness.py``). The peers: ``pyarrow.json.read_json`` (an
Arrow table), ``polars.read_ndjson`` (a polars frame) and DuckDB's ``read_json`` fetched as an Arrow
table; ``load()`` also checks and normalises each line and builds typed pandas columns. Goal: <= 1.3x
the fastest of the three, <= 1.0 GB peak.

    .venv/bin/python benchmarks/table.py --only load [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditkit.trail import format as tf  # noqa: E402
from benchmarks import before  # noqa: E402
from benchmarks.harness import Figure, Row, command, interleaved  # noqa: E402

MEASURE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
{body}
took = time.perf_counter() - t0
print(json.dumps({{"s": took, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "n": n}}))
"""

PEERS = {
    "pyarrow.json.read_json": "import sys, pyarrow.json as pj; pj.read_json(sys.argv[1])",
    "polars.read_ndjson": "import sys, polars as pl; pl.read_ndjson(sys.argv[1])",
    "duckdb read_json": "import sys, duckdb; duckdb.read_json(sys.argv[1]).fetch_arrow_table()",
}
LOAD = "import sys, auditkit; auditkit.load(sys.argv[1])"


def trail_file(events: int) -> Path:
    """A hook-shaped trail of ``events`` records (~490 B each), made once and kept in the temp folder."""
    folder = Path(tempfile.gettempdir()) / "auditkit-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"trail-{events}.jsonl"
    if not path.exists():
        part = path.with_suffix(".part")
        make_trail(part, events)
        part.rename(path)
    return path


def rows(quick: bool) -> list[Row]:
    events = 100_000 if quick else 1_000_000
    path = trail_file(events)
    py, name = sys.executable, str(path)
    sides = {"load()": command([py, "-c", LOAD, name], env=before.env(ROOT), cwd=str(ROOT))}
    old = before.tree()
    if old is not None:
        sides[before.label("load()")] = command([py, "-c", LOAD, name], env=before.env(old), cwd=str(old))
    sides |= {label: command([py, "-c", code, name]) for label, code in PEERS.items()}
    figures = interleaved(sides, runs=5)
    fastest = min((figures[p] for p in PEERS), key=lambda f: f.median)
    what = f"load(), {events:,} events ({path.stat().st_size / 1e6:.0f} MB)"
    out = [_row(what, figures["load()"], fastest, figures)]
    if old is not None:
        out.append(_row(before.label(what), figures[before.label("load()")], fastest, figures))
    return out


def _row(what: str, kit: Figure, fastest: Figure, figures: dict[str, Figure]) -> Row:
    ratio = kit.median / fastest.median
    others = "; ".join(f"{p}: {figures[p].describe()}" for p in PEERS if figures[p] is not fastest)
    return Row(
        what,
        kit.describe(),
        f"fastest, {fastest.label}: {fastest.describe()} ({others})",
        ratio,
        "<= 1.3x the fastest, <= 1.0 GB",
        ratio <= 1.3 and kit.peak_rss <= 1.0e9,
    )


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


if __name__ == "__main__":
    from benchmarks.harness import load_average, table

    print(table(rows("--quick" in sys.argv)))
    print(load_average())
