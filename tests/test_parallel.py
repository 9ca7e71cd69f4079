"""The work split between this process and forked workers: every result, in order, whatever the workers do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import auditkit
from auditkit.store import parallel


def squares(parent: int, die_at: int | None = None, how: str = "kill"):
    def work(i: int) -> int:
        if i == die_at and os.getpid() != parent:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
            raise RuntimeError("a worker's bug")
        return i * i

    return work


@pytest.mark.parametrize("count", [0, 1, 2, 7, 60])
@pytest.mark.parametrize("workers", [2, 3])
def test_every_result_comes_in_order(count: int, workers: int) -> None:
    assert list(parallel.in_order(count, squares(os.getpid()), workers)) == [i * i for i in range(count)]


@pytest.mark.parametrize("how", ["kill", "raise"])
def test_a_worker_that_dies_costs_time_not_results(how: str) -> None:
    """Killed (SIGKILL) or failing on an index it took: that index, and whatever else it held, is done here."""
    results = list(parallel.in_order(40, squares(os.getpid(), die_at=38, how=how), 3))
    assert results == [i * i for i in range(40)]


def test_work_that_fails_everywhere_fails_here() -> None:
    def work(i: int) -> int:
        if i == 5:
            raise ValueError("bad range 5")
        return i

    with pytest.raises(ValueError, match="bad range 5"):
        list(parallel.in_order(12, work, 2))


def dies_holding_the_lock(work, shared, send) -> None:
    """A worker that takes the shared counter's lock and is killed before it lets go."""
    shared.get_lock().acquire()
    os.kill(os.getpid(), signal.SIGKILL)


def slow(i: int) -> int:
    time.sleep(0.02)  # the parent is still at work when the worker dies
    return i * i


def test_a_worker_killed_while_holding_the_shared_counter_does_not_hang_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "_from_back", dies_holding_the_lock)
    monkeypatch.setattr(parallel, "LOCK_WAIT_S", 0.5)
    assert list(parallel.in_order(30, slow, 2)) == [i * i for i in range(30)]


def test_verify_with_a_killed_worker_reports_what_one_process_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auditkit verify`` never hangs on a worker the system killed, and finds the same."""
    from auditkit.custody import verify as integrity
    from tests.test_verify import MUTATIONS, SOURCE, lines_of, write_lines

    trail = tmp_path / "audit-trail.jsonl"
    write_lines(trail, MUTATIONS["edit"](lines_of(SOURCE)))
    monkeypatch.setattr(integrity, "_BLOCK", 2048)
    monkeypatch.setattr(integrity, "_RANGE", 2048)
    monkeypatch.setattr(integrity, "_PARALLEL_MIN", 1 << 40)
    one = [(f.kind, f.line, f.seq) for f in auditkit.verify(trail).findings]
    parent, real = os.getpid(), integrity._summarize_range

    def killed_in_a_worker(path: str, start: int, end: int, sealed: set[int]):
        if os.getpid() != parent and start > 4000:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, start, end, sealed)

    monkeypatch.setattr(integrity, "_summarize_range", killed_in_a_worker)
    monkeypatch.setattr(integrity, "_PARALLEL_MIN", 0)
    report = auditkit.verify(trail)
    assert [(f.kind, f.line, f.seq) for f in report.findings] == one and one[0][0] == "edited"


def test_no_process_to_be_had_means_the_work_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """fork() refused (a limit on processes, no memory): every result all the same, from this process."""

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    assert list(parallel.in_order(9, squares(os.getpid()), 3)) == [i * i for i in range(9)]


def test_a_process_holding_many_files_still_waits_on_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """With over a thousand files open (a notebook, a server) the counter's lock and the workers' pipes are past
    descriptor 1023, where select() fails: the wait for a lock its holder took to its death still times out."""

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        monkeypatch.setattr(parallel, "_from_back", dies_holding_the_lock)
        monkeypatch.setattr(parallel, "LOCK_WAIT_S", 0.3)
        assert list(parallel.in_order(30, slow, 2)) == [i * i for i in range(30)]
    finally:
        for fd in held:
            os.close(fd)


BLOCKS = """
import resource, sys
import auditkit.cli, auditkit.custody.verify  # the heap as auditkit verify's process has it (a bare script's
# heap can happen to keep a MiB block under glibc's default thresholds; verify's does not)
from auditkit.store.parallel import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):  # as verify's bulk check works: a MiB read, slices and joins a sixth of its size, all freed
    block = bytes(1 << 20)
    head, tail = block[1:170_000], block[2:150_000]
    joined, rest = head + tail, block[3:]
    del block, head, tail, joined, rest
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_kept_freed_memory_is_reused_by_the_next_block_not_faulted_in_again() -> None:
    """``auditkit verify``'s process asks glibc to keep what each block frees: without that, every MiB block of
    work is mapped (or the heap grown) afresh and each page faulted in and zeroed again by the kernel."""
    env = {**os.environ, "PYTHONPATH": str(Path(auditkit.__file__).parent.parent)}
    runs = {}
    for how in ("keep", "default"):
        out = subprocess.run([sys.executable, "-c", BLOCKS, how], env=env, capture_output=True, text=True, check=True)
        kept, faults = out.stdout.split()
        runs[how] = (kept, int(faults))
    assert runs["keep"][0] == "True"
    assert runs["keep"][1] * 10 < runs["default"][1]  # the same work: ~1,000 page faults against ~120,000


@pytest.mark.parametrize("block", [1, 100, 1000, 4096, 1 << 16])
@pytest.mark.parametrize("tail", [b"", b"no newline at the end"])
def test_line_ranges_cover_every_byte_once_each_ending_after_the_first_newline_past_its_block(
    tmp_path: Path, block: int, tail: bytes
) -> None:
    """Lines shorter and longer than a block and than the first read at a cut (1 KiB, then doubling)."""
    lengths = [0, 1, 5, 500, 1023, 1024, 1025, 3000, 70_000, 5, (1 << 20) + 7, 9, 0, 2049]
    data = b"".join(b"x" * n + b"\n" for n in lengths) + tail
    path = tmp_path / "lines.txt"
    path.write_bytes(data)
    for start in (0, 3):
        ranges = parallel.line_ranges(path, len(data), block, start)
        assert [a for a, _ in ranges] == [start] + [b for _, b in ranges[:-1]] and ranges[-1][1] == len(data)
        for a, b in ranges:
            cut = min(a + block, len(data))
            newline = data.find(b"\n", cut)
            assert b == (newline + 1 if newline >= 0 else len(data))
