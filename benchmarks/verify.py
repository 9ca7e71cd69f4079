"""``auditkit verify`` of 1M records of ~500 B beside ``openssl dgst -sha256`` over the same file.

What a user waits for: a fresh ``auditkit verify`` process (start-up, imports, every record's hash, its
links, sequence and time order) against OpenSSL hashing the same bytes once, run interleaved with
medians, spread and peak RSS from the OS (``benchmarks/harness.py``). Goal: >= 60% of OpenSSL's
throughput on the same file, i.e. <= 1/0.6 = 1.67x its time.

    .venv/bin/python benchmarks/table.py --only verify [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import before  # noqa: E402
from benchmarks.harness import Row, command, interleaved, ratio_row  # noqa: E402
from benchmarks.load import trail_file  # noqa: E402

KIT = "auditkit verify"
PEER = "openssl dgst -sha256"
GOAL = ">= 60% of its throughput (<= 1.67x its time)"


def rows(quick: bool) -> list[Row]:
    events = 100_000 if quick else 1_000_000
    path = trail_file(events)
    argv = [sys.executable, "-m", "auditkit", "verify", str(path)]
    sides = {KIT: command(argv, env=before.env(ROOT), cwd=str(ROOT))}
    old = before.tree()
    if old is not None:
        sides[before.label(KIT)] = command(argv, env=before.env(old), cwd=str(old))
    sides[PEER] = command(["openssl", "dgst", "-sha256", str(path)])
    figures = interleaved(sides, runs=15)  # (~2 s a round: its margin to the goal is within 5 runs' spread)
    size = path.stat().st_size
    what = f"verify, {events:,} records of ~{size // events} B ({size / 1e6:.0f} MB)"
    out = [ratio_row(what, figures[KIT], figures[PEER], 1 / 0.6, GOAL)]
    if old is not None:
        out.append(ratio_row(before.label(what), figures[before.label(KIT)], figures[PEER], 1 / 0.6, GOAL))
    return out


if __name__ == "__main__":
    from benchmarks.harness import load_average, table

    print(table(rows("--quick" in sys.argv)))
    print(load_average())
