"""Time and peak memory of each evidence pack: on the bundled samples and on a 1,000,000-event trail.

Each run is a whole ``auditkit report`` in a fresh process: its kernel, papermill, the HTML page,
hashing and verification. Peak memory is the largest process of the run (the kernel, on large
trails), read from the wrapper's ``RUSAGE_CHILDREN``. Beside each figure: the goal (samples: 3 s,
the fixed cost of a pack; 1M events: 60 s and 2 GB) and, as the floor, ``load()`` of the same trail.

    .venv/bin/python benchmarks/reports.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditkit.present.evidence import REPORTS  # noqa: E402
from benchmarks.load import make_trail  # noqa: E402

WRAP = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"s": time.perf_counter() - t, "rc": proc.returncode, "err": proc.stderr[-500:],
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measured(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", WRAP, *argv], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if got["rc"]:
        raise SystemExit(f"{' '.join(argv)} failed: {got['err']}")
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-reports-"))
    big = tmp / "big" / "audit-trail.jsonl"
    big.parent.mkdir()
    make_trail(big, args.events)
    cli = [str(Path(sys.executable).with_name("auditkit"))]
    for label, trail, goal_s, goal_mb in (
        ("samples", ROOT / "sample_logs", 3.0, None),
        (f"{args.events:,} events", big, 60.0, 2048.0),
    ):
        floor = measured([sys.executable, "-c", f"import auditkit; auditkit.load({str(trail)!r})"])
        print(f"{label}: load() alone {floor['s']:.2f} s, {floor['peak_mb']:.0f} MB (the floor)")
        for name in REPORTS:
            got = measured([*cli, "report", name, str(trail), "--out", str(tmp / label[:7] / name), "--no-progress"])
            ok = got["s"] <= goal_s and (goal_mb is None or got["peak_mb"] <= goal_mb)
            goal = f"goal <= {goal_s:.0f} s" + (f", <= {goal_mb / 1024:.0f} GB" if goal_mb else "")
            print(f"  {name:<11} {got['s']:6.2f} s {got['peak_mb']:7.0f} MB  ({goal}: {'met' if ok else 'NOT met'})")


if __name__ == "__main__":
    main()
