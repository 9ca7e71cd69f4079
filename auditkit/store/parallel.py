"""Splitting a large plain file's lines between processes: how many CPUs there are to use, byte
ranges that hold whole lines, and :func:`in_order`, which has them checked by this process and forked
workers (``verify`` and ``scan``)."""

from __future__ import annotations

import contextlib
import mmap
import os
import select
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def cpus(most: int = 4) -> int:
    """The CPUs this process may run on (a container's affinity, not the machine's count), at most ``most``."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(n, most))


def line_ranges(path: Path, size: int, block: int, start: int = 0) -> list[tuple[int, int]]:
    """``[start, size)`` of a plain file cut into ranges of about ``block`` bytes, each ending just
    after a newline (the last one at ``size``): together, every byte once and in order."""
    out = []
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        while start < size:
            end = min(start + block, size)
            step = 1 << 10  # a line is usually shorter: read that much (one pread), then twice as much each time
            while end < size:  # on to just after the next newline
                piece = os.pread(fd, step, end)
                nl = piece.find(b"\n")
                if nl >= 0:
                    end += nl + 1
                    break
                end = min(end + len(piece), size) if piece else size
                step = min(step * 2, 1 << 20)
            out.append((start, end))
            start = end
    finally:
        os.close(fd)
    return out


#: glibc's mallopt() parameters (malloc.h): serve blocks up to this size from the heap, and give the heap's freed top
#: back to the kernel only past this much
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_HEAP_BLOCKS, _HEAP_KEEP = 32 << 20, 64 << 20


def keep_freed_memory() -> bool:
    """For a process that ends after one large job of block-sized work (``auditkit verify``): have glibc's malloc
    keep the memory each block frees and hand it to the next block, rather than return it to the kernel and map it
    afresh (by default it serves blocks of a MiB from new mappings or trims the heap's top after them, and the
    kernel zeroes every page again: ~40,000 page faults and ~0.1 s of system time per 500 MB checked). Costs no
    memory the job did not use at its peak; the process's exit frees it. True if set; False where there is no
    glibc malloc to ask (another C library, another system) or no way to call it, and nothing changes.

    Called through ``_cffi_backend`` (cffi's core, which ``cryptography`` requires: ~0.4 ms to load, where the
    standard library's ctypes takes ~6 ms)."""
    try:
        import _cffi_backend as ffi  # start-up: only a whole-process verify asks (see above)

        c_int = ffi.new_primitive_type("int")
        mallopt = ffi.load_library(None).load_function(ffi.new_function_type((c_int, c_int), c_int, False), "mallopt")
    except (ImportError, OSError, AttributeError, TypeError):  # no cffi, no C library to open, no mallopt in it
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _HEAP_BLOCKS)) and bool(mallopt(_M_TRIM_THRESHOLD, _HEAP_KEEP))


def read_range(path: str | Path, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(end - start)


TYPE_CHECKING = False  # not typing.TYPE_CHECKING: typing costs a command's start-up ~2 ms
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

#: How long this process waits for the shared counter before it takes the lock as lost (a worker killed
#: while holding it: a few microseconds of every range's work, so this is a safety net, never a pace).
LOCK_WAIT_S = 10.0


class _Shared:
    """``[front, back)``, the indexes nobody has taken: two int64s in memory shared with forked workers, and its
    lock, a pipe holding one byte (whoever reads it holds the lock; writing it back releases it). The standard
    library's multiprocessing does the same with ~15 ms more of imports and set-up."""

    def __init__(self, count: int) -> None:
        self._memory = mmap.mmap(-1, 16)  # anonymous and shared: the workers see this process's writes
        self._cells = memoryview(self._memory).cast("q")
        self._cells[0], self._cells[1] = 0, count
        self._take, self._give = os.pipe()
        os.set_blocking(self._take, False)
        os.write(self._give, b"1")

    def __getitem__(self, i: int) -> int:
        return int(self._cells[i])

    def __setitem__(self, i: int, value: int) -> None:
        self._cells[i] = value

    def get_lock(self) -> _Shared:
        return self

    def acquire(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with contextlib.suppress(BlockingIOError):  # another process read the byte first: wait again
                if os.read(self._take, 1):
                    return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            _readable(self._take, left)

    def release(self) -> None:
        os.write(self._give, b"1")

    def __enter__(self) -> _Shared:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def close(self) -> None:
        os.close(self._take)
        os.close(self._give)


def _readable(fd: int, timeout: float | None) -> bool:
    """Wait until ``fd`` can be read (or ``timeout`` seconds pass); poll, not select, which fails past fd 1023."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000)) + 1))


def in_order(count: int, work: Callable[[int], T], workers: int) -> Iterator[T]:
    """``work(0)``, ``work(1)``, ..., ``work(count - 1)``, yielded in that order, computed by this process
    and ``workers - 1`` forked ones.

    This process takes indexes from the front and yields each result at once; the workers take them
    from the back and hand theirs over at the end. They meet wherever the work does, so nobody waits
    on a share cut in advance. A worker that dies (killed, out of memory, an exception) costs only
    time: whatever it took and did not hand over is done here, so the results are the same.
    """
    shared = _Shared(count)
    procs: list[tuple[int, int]] = []  # (pid, the read end of its results)
    for _ in range(workers - 1):
        recv, send = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a limit on processes, no memory): fewer workers, or none
            os.close(recv)
            os.close(send)
            break
        if pid == 0:  # the worker: never returns into the caller's code
            os.close(recv)
            for _, other in procs:
                os.close(other)
            _from_back(work, shared, send)
            os._exit(0)
        os.close(send)
        procs.append((pid, recv))
    if procs:
        import pickle  # noqa: F401  # start-up: loaded while the workers work (for their results), not before they start
    try:
        lost = False
        while True:
            if not shared.acquire(timeout=LOCK_WAIT_S):
                lost = True  # its holder died: stop sharing, do what is left here
                break
            try:
                front, back = shared[0], shared[1]
                if front < back:
                    shared[0] = front + 1
            finally:
                shared.release()
            if front >= back:
                break
            yield work(front)
        front = shared[0]  # without the lock, which may be lost: nobody takes from the front but this process
        done: dict[int, T] = {}
        for _, recv in procs:
            done.update(_results(recv, LOCK_WAIT_S if lost else None))
        for i in range(front, count):
            yield done[i] if i in done else work(i)
    finally:
        for pid, recv in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done, or given up on: it hands nothing over any more
            os.waitpid(pid, 0)
            os.close(recv)
        shared.close()


def _results(recv: int, timeout: float | None) -> dict:
    """What a worker handed over: everything up to the end of its pipe; nothing if it died while handing over
    (the parent does that work again) or, when ``timeout`` is given, if it says nothing for that long."""
    import pickle  # start-up: loaded by in_order once the workers run

    chunks = []
    while True:
        if timeout is not None and not _readable(recv, timeout):
            return {}
        chunk = os.read(recv, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        out = pickle.loads(b"".join(chunks))
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError):
        return {}  # died while handing over
    return out if isinstance(out, dict) else {}


def _from_back(work: Callable[[int], T], shared: Any, send: int) -> None:
    """A worker: take the last index nobody has taken, until the indexes meet; hand the results over."""
    out = {}
    try:
        import pickle  # start-up: the worker's own, once it runs (its parent loads it meanwhile)

        while True:
            with shared.get_lock():
                front, back = shared[0], shared[1]
                if front >= back:
                    break
                shared[1] = back = back - 1
            out[back] = work(back)
        data = memoryview(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(send, data) :]
        os.close(send)
    except BaseException:  # the parent does this work again, and reports what goes wrong there
        os._exit(1)
