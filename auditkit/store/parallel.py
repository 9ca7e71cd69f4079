"""Splitting a large plain file's lines between processes: how many CPUs there are to use, byte
ranges that hold whole lines, and :func:`in_order`, which has them checked by this process and forked
workers (``verify`` and ``scan``)."""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar


def cpus(most: int = 4) -> int:
    """The CPUs this process may run on (a container's affinity, not the machine's count), at most ``most``."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(n, most))


def line_ranges(path: Path, size: int, block: int, start: int = 0) -> list[tuple[int, int]]:
    """``[start, size)`` of a plain file cut into ranges of about ``block`` bytes, each ending just
    after a newline (the last one at ``size``): together, every byte once and in order."""
    out = []
    with open(path, "rb") as fh:
        while start < size:
            end = min(start + block, size)
            fh.seek(end)
            while end < size:  # on to just after the next newline
                piece = fh.read(1 << 16)
                nl = piece.find(b"\n")
                if nl >= 0:
                    end += nl + 1
                    break
                end = min(end + len(piece), size) if piece else size
            out.append((start, end))
            start = end
    return out


def read_range(path: str | Path, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(end - start)


T = TypeVar("T")

#: How long this process waits for the shared counter before it takes the lock as lost (a worker killed
#: while holding it: a few microseconds of every range's work, so this is a safety net, never a pace).
LOCK_WAIT_S = 10.0


def in_order(count: int, work: Callable[[int], T], workers: int) -> Iterator[T]:
    """``work(0)``, ``work(1)``, ..., ``work(count - 1)``, yielded in that order, computed by this process
    and ``workers - 1`` forked ones.

    This process takes indexes from the front and yields each result at once; the workers take them
    from the back and hand theirs over at the end. They meet wherever the work does, so nobody waits
    on a share cut in advance. A worker that dies (killed, out of memory, an exception) costs only
    time: whatever it took and did not hand over is done here, so the results are the same.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    shared = ctx.Array("q", [0, count])  # [front, back): the indexes nobody has taken
    lock = shared.get_lock()
    raw: Any = shared.get_obj()  # two int64s, read and written under the lock, taken by hand
    procs = []
    for _ in range(workers - 1):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_from_back, args=(work, shared, send), daemon=True)
        try:
            proc.start()
        except OSError:  # no process to be had (a limit on processes, no memory): fewer workers, or none
            recv.close()
            break
        finally:
            send.close()
        procs.append((proc, recv))
    try:
        lost = False
        while True:
            if not lock.acquire(timeout=LOCK_WAIT_S):
                lost = True  # its holder died: stop sharing, do what is left here
                break
            try:
                front, back = raw[0], raw[1]
                if front < back:
                    raw[0] = front + 1
            finally:
                lock.release()
            if front >= back:
                break
            yield work(front)
        front = raw[0]  # without the lock, which may be lost: nobody takes from the front but this process
        done: dict[int, T] = {}
        for proc, recv in procs:
            wait([recv, proc.sentinel], timeout=LOCK_WAIT_S if lost else None)
            if recv.poll():
                with contextlib.suppress(EOFError, OSError, pickle.UnpicklingError):  # died while handing over
                    done.update(recv.recv())
        for i in range(front, count):
            yield done[i] if i in done else work(i)
    finally:
        for proc, recv in procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
            recv.close()


def _from_back(work: Callable[[int], T], shared: Any, send: Any) -> None:
    """A worker: take the last index nobody has taken, until the indexes meet; hand the results over."""
    out = {}
    try:
        while True:
            with shared.get_lock():
                front, back = shared[0], shared[1]
                if front >= back:
                    break
                shared[1] = back = back - 1
            out[back] = work(back)
        send.send(out)
        send.close()
    except BaseException:  # the parent does this work again, and reports what goes wrong there
        os._exit(1)
