"""Each evidence pack as a user waits for it: ``auditkit report NAME sample_logs/ --out DIR``, a fresh process.

Each run is the whole command: its start-up, its Jupyter kernel, papermill, the notebook, the HTML page,
the hashes and the manifest (the evidence is made anew each run: nothing is kept between runs). The
floor beside it is ``auditkit.load()`` of the same trails in a fresh process. Peak memory is the
largest process of the run as the kernel counted it (the kernel, on large trails: the command waits
for it, so its ``ru_maxrss`` is in the command's). Sides run interleaved (harness.py).

Goals (#32): each pack on the samples <= 2 s wall; the compliance pack (load, verify, secret scan,
every control) on 1,000,000 events <= 25 s and <= 2 GB. ``quick``: 100,000 events and fewer runs.

    .venv/bin/python benchmarks/reports.py [--quick] [--runs 5] [--base /tmp/packs-base] [--parts samples,large]

``--base CHECKOUT`` (or ``benchmarks/table.py --before REF``) also runs another checkout of the kit (say,
main in a ``git worktree``) as its own side, interleaved with this one: before and after, in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import Figure, Row, Sample, interleaved, load_average, megabytes, run_once, table  # noqa: E402

PACKS = ("incident", "cost", "compliance", "replay")
SAMPLES_GOAL_S = 2.0
LARGE_GOAL_S, LARGE_GOAL_BYTES = 25.0, 2_000_000_000


def _env(checkout: Path) -> dict[str, str]:
    """The environment that runs ``checkout``'s kit (the venv's console script, this checkout's package)."""
    return {**os.environ, "PYTHONPATH": str(checkout)}


def _cli() -> str:
    return str(Path(sys.executable).with_name("auditkit"))


def _pack_side(name: str, trails: Path, work: Path, checkout: Path) -> Callable[[], Sample]:
    """A side running ``auditkit report NAME TRAILS --out DIR``, each run into a fresh folder."""
    numbers = itertools.count()
    tag = "base" if checkout != ROOT else "kit"

    def run() -> Sample:
        out = work / f"{tag}-{name}-{next(numbers)}"
        sample = run_once([_cli(), "report", name, str(trails), "--out", str(out), "--no-progress"], env=_env(checkout))
        shutil.rmtree(out, ignore_errors=True)
        return sample

    return run


def _load_side(trails: Path) -> Callable[[], Sample]:
    code = f"import auditkit; auditkit.load({str(trails)!r})"
    return lambda: run_once([sys.executable, "-c", code], env=_env(ROOT))


def _row(workload: str, kit: Figure, floor: Figure, goal_s: float, goal_bytes: int | None, base: Figure | None) -> Row:
    met = kit.median <= goal_s and (goal_bytes is None or kit.peak_rss <= goal_bytes)
    goal = f"<= {goal_s:g} s" + (f", <= {megabytes(goal_bytes)}" if goal_bytes else "")
    figure = kit.describe() + (f"; before: {base.describe()}" if base is not None else "")
    return Row(workload, figure, f"load(): {floor.describe()}", kit.median / floor.median, goal, met)


def _measure(
    label: str,
    trails: Path,
    names: tuple[str, ...],
    runs: int,
    warmup: int,
    goal: tuple[float, int | None],
    work: Path,
    base: Path | None,
) -> list[Row]:
    sides: dict[str, Callable[[], Sample]] = {"load": _load_side(trails)}
    for name in names:
        sides[name] = _pack_side(name, trails, work, ROOT)
        if base is not None:
            sides[f"base {name}"] = _pack_side(name, trails, work, base)
    figures = interleaved(sides, runs=runs, warmup=warmup)
    return [
        _row(
            f"{name} pack, {label} ({runs} runs)",
            figures[name],
            figures["load"],
            *goal,
            figures.get(f"base {name}"),
        )
        for name in names
    ]


def rows(quick: bool, runs: int | None = None, base: Path | None = None, parts: str = "samples,large") -> list[Row]:
    """Each pack on the samples (5 runs after a warm-up round; quick: 3) and the compliance pack on 1,000,000
    events (2 runs, no warm-up round: ~30 s each; quick: 100,000 events, 3 runs, the 1M goal beside it)."""
    from benchmarks import before
    from benchmarks.load import make_trail

    base = base or before.tree()  # table.py --before REF: that ref's code as the "before" side
    work = Path(tempfile.mkdtemp(prefix="auditkit-bench-reports-"))
    out: list[Row] = []
    try:
        if "samples" in parts:
            samples_runs = runs or (3 if quick else 5)
            goal = (SAMPLES_GOAL_S, None)
            out += _measure("samples", ROOT / "sample_logs", PACKS, samples_runs, 1, goal, work, base)
        if "large" in parts:
            events = 100_000 if quick else 1_000_000
            big = work / "big" / "audit-trail.jsonl"
            big.parent.mkdir()
            make_trail(big, events)
            goal = (LARGE_GOAL_S, LARGE_GOAL_BYTES)
            out += _measure(f"{events:,} events", big.parent, ("compliance",), 3 if quick else 2, 0, goal, work, base)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events and fewer runs: a smoke run")
    parser.add_argument("--runs", type=int, help="runs of each pack on the samples (default 5; quick 3)")
    parser.add_argument("--base", type=Path, help="another checkout of the kit, run as its own side (before)")
    parser.add_argument("--parts", default="samples,large", help="samples, large, or both (default)")
    args = parser.parse_args()
    before = load_average()
    got = rows(args.quick, args.runs, args.base.resolve() if args.base else None, args.parts)
    print(table(got))
    print(f"\n{before} before, {load_average()} after the run; memory: the run's largest process, median of the runs")


if __name__ == "__main__":
    main()
