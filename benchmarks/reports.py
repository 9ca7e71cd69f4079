"""Time to produce each evidence pack: on the bundled samples and on a 100,000-event trail.

Each run is a whole ``auditkit report``: a fresh kernel, papermill, the HTML rendering, hashing and
verification. The baseline is loading the same trail with ``auditkit.load()`` in this process.

    .venv/bin/python benchmarks/reports.py [--events 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditkit.evidence import REPORTS, run_report  # noqa: E402
from auditkit.frame import load  # noqa: E402
from benchmarks.load import make_trail  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-reports-"))
    big = tmp / "big" / "audit-trail.jsonl"
    big.parent.mkdir()
    make_trail(big, args.events)
    for label, trail in (("samples (123 events)", ROOT / "sample_logs"), (f"{args.events:,} events", big.parent)):
        t0 = time.perf_counter()
        load(trail)
        base = time.perf_counter() - t0
        print(f"{label}: load() alone {base:.2f} s")
        for name in REPORTS:
            t0 = time.perf_counter()
            m = run_report(name, [str(trail)], tmp / label.split()[0] / name)
            print(f"  {name:<11} {time.perf_counter() - t0:6.2f} s  (notebook {m['seconds']:.2f} s)")


if __name__ == "__main__":
    main()
