"""What every benchmark measures the same way: fresh processes, interleaved, medians, peak RSS from the OS.

A user waits for a whole process: start-up, imports, reading the files, the answer. So a side is an argv run
as a fresh process; the sides of a comparison run interleaved (A B A B ..., never A A A then B B B) so that
a noisy neighbour on a shared machine slows both; each figure is the median of the runs with its spread
(min..max); peak memory is the child's ``ru_maxrss`` as the kernel counted it (``os.wait4``), not a sample.

A benchmark module offers ``rows(quick: bool) -> list[Row]``; ``benchmarks/table.py`` (``make bench``) runs
them all and prints one table, each row beside its goal.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    """One fresh-process run: wall seconds, the child's peak resident memory in bytes, and its CPU seconds (user +
    system, as the kernel counted them: steadier than wall time on a machine shared with other work)."""

    wall: float
    peak_rss: int
    cpu: float = 0.0


@dataclass
class Figure:
    """The runs of one side, summarised."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        walls = [s.wall for s in self.samples]
        return min(walls), max(walls)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_rss(self) -> int:
        return int(statistics.median(s.peak_rss for s in self.samples))

    def describe(self) -> str:
        lo, hi = self.spread
        return f"{seconds(self.median)} ({seconds(lo)}..{seconds(hi)}), {megabytes(self.peak_rss)}"


@dataclass(frozen=True)
class Row:
    """One line of ``make bench``'s table: what, the kit's figure, the floor or peer, the ratio and the goal."""

    workload: str
    auditkit: str
    floor: str
    ratio: float | None
    goal: str
    met: bool | None = None

    def cells(self) -> list[str]:
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return [self.workload, self.auditkit, self.floor, ratio, self.goal, met]


# The child is started by a small fresh interpreter, not by this process: Linux carries the parent's peak
# memory into a forked child's ru_maxrss across exec, so a runner that has loaded pandas would report every
# child at >= its own size. The launcher (~10 MB) times spawn..exit and reports the child's own rusage.
_LAUNCHER = """
import json, os, sys, time
report = int(sys.argv[1])
os.set_inheritable(report, False)
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
os.write(report, json.dumps([wall, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), cpu]).encode())
"""


def run_once(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    cwd: str | None = None,
) -> Sample:
    """Run ``argv`` as a fresh process; its wall time and peak RSS. A failing run raises with its stderr."""
    program = shutil.which(argv[0]) or argv[0]
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(write_end), program, *argv[1:]],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        if stdin is not None:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin)
            proc.stdin.close()
        with os.fdopen(read_end, "rb") as report:
            answer = report.read()
        proc.wait()
        err.seek(0)
        message = err.read().decode(errors="replace")[-500:]
    if not answer:
        raise RuntimeError(f"{' '.join(argv)}: the launcher failed: {message}")
    wall, peak, code, cpu = json.loads(answer)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {message}")
    return Sample(wall, peak, cpu)


def interleaved(sides: Mapping[str, Callable[[], Sample]], runs: int = 5, warmup: int = 1) -> dict[str, Figure]:
    """Run every side ``runs`` times, interleaved A B C A B C ...; ``warmup`` rounds first, not counted."""
    figures = {label: Figure(label) for label in sides}
    for round_ in range(warmup + runs):
        for label, side in sides.items():
            sample = side()
            if round_ >= warmup:
                figures[label].samples.append(sample)
    return figures


def command(argv: Sequence[str], **kwargs: object) -> Callable[[], Sample]:
    """A side that runs ``argv`` as a fresh process (keywords as for ``run_once``)."""
    return lambda: run_once(argv, **kwargs)  # type: ignore[arg-type]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, printed with every table so noise is visible."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def megabytes(value: int) -> str:
    return f"{value / 1e6:.0f} MB"


def ratio_row(
    workload: str,
    kit: Figure,
    floor: Figure,
    goal_ratio: float,
    goal: str | None = None,
    memory_goal: float | None = None,
) -> Row:
    """A row comparing the kit's median with a floor's: met when the ratio (and memory ratio, if given) is in goal."""
    ratio = kit.median / floor.median
    met = ratio <= goal_ratio
    if memory_goal is not None:
        met = met and kit.peak_rss <= memory_goal * floor.peak_rss
    return Row(workload, kit.describe(), f"{floor.label}: {floor.describe()}", ratio, goal or f"<= {goal_ratio}x", met)


def table(rows: Sequence[Row]) -> str:
    """Rows as a GitHub-flavoured Markdown table (what the README's performance table is generated from)."""
    head = ["workload", "auditkit", "floor / peer", "ratio", "goal", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)
