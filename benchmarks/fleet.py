"""A fleet on Dask: 200 hosts x 5,000 events -> partitioned Parquet -> the fleet investigations on a
LocalCluster (two workers), beside the same investigations in pandas on one process.

    .venv/bin/python benchmarks/fleet.py [--hosts 200] [--events 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import auditkit
from auditkit.analysis import findings
from auditkit.outbound import fleet


def timed(label: str, fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    seconds = time.perf_counter() - t0
    print(f"  {label:<34} {seconds:8.1f} s")
    return out, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="auditkit-fleet-bench-") as tmp:
        print(f"fleet: {args.hosts} hosts x {args.events:,} events")
        df, _ = timed("simulate", fleet.simulate, args.hosts, args.events)
        out = Path(tmp) / "dataset"
        result, _ = timed(
            "export parquet by date,host",
            lambda: auditkit.export(df, out, format="parquet", partition_by=["date", "host"]),
        )
        mb = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1e6
        print(f"  -> {result.rows:,} events, {len(result.files):,} files, {mb:.0f} MB")
        print("pandas, one process:")
        pandas_total = 0.0
        for label, fn in (
            ("by_host", auditkit.by_host),
            ("cost by day", lambda d: auditkit.cost(d, by="day")),
            ("risky commands", findings.risky_commands),
            ("completeness", findings.field_completeness),
        ):
            _, s = timed(label, fn, df)
            pandas_total += s
        df = None  # let the frame go before the cluster starts
        with (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0") as cluster,
            Client(cluster),
        ):
            print(f"Dask, LocalCluster of {args.workers} workers:")
            frame = fleet.open_dataset(str(out))
            dask_total = 0.0
            for label, fn in (
                ("per host", fleet.per_host),
                ("cost by day", fleet.cost_by_day),
                ("risky commands", fleet.risky),
                ("completeness", fleet.completeness),
            ):
                _, s = timed(label, fn, frame)
                dask_total += s
        print(
            f"total: pandas {pandas_total:.1f} s (data already in memory), Dask {dask_total:.1f} s (from Parquet), "
            f"ratio {dask_total / pandas_total:.2f}x"
        )


if __name__ == "__main__":
    main()
