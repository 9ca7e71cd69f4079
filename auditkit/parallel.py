"""Splitting a large plain file's lines between processes: how many CPUs there are to use, and
byte ranges that hold whole lines (``verify`` and ``scan`` hand them to forked workers)."""

from __future__ import annotations

import os
from pathlib import Path


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
