"""The appender's view of a trail's end: ``read_tail``'s fast path against the full backwards scan.

Every append chains to what ``read_tail`` returns, so a wrong answer here forks the chain. The fast
path (read the last 8 KiB, then only the first bytes of a long last record) must agree with
``scan_tail`` on every shape a trail's end can take: records of every size around the block
boundary, torn writes, lines that are not records, CRLF, files without a newline, and lines longer
than the scan limit.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from auditkit.trail import format as tf

TS = "2026-03-17T15:00:00.000000Z"


def records(sizes: list[int], start: int = 0) -> bytes:
    """Chained records whose ``tool_response`` pads each line to about ``size`` bytes."""
    prev = tf.genesis_hash("tail-test", TS)
    out = []
    for seq, size in enumerate(sizes, start):
        line = tf.encode_record(seq, TS, prev, {"event": "PostToolUse", "tool_response": {"stdout": "x" * size}})
        prev = line[-(tf.HASH_HEX_LEN + 3) : -3].decode()
        out.append(line)
    return b"".join(out)


def both(path: Path, max_scan: int = 8 << 20) -> tuple[tuple, tuple]:
    fd = os.open(path, os.O_RDONLY)
    try:
        fast, full = tf.read_tail(fd, max_scan), tf.scan_tail(fd, max_scan)
    finally:
        os.close(fd)
    as_tuple = lambda t: (t.next_seq, t.hash, t.size, t.torn_bytes)  # noqa: E731
    return as_tuple(fast), as_tuple(full)


SHAPES = {
    "empty": b"",
    "one small record": records([10]),
    "a few records": records([10, 200, 30]),
    "last record 64 KiB": records([10, 65536]),
    "last record 200 KiB": records([10, 20, 200_000]),
    "only one long record": records([100_000]),
    **{f"last record near the 8 KiB block ({n})": records([50, n]) for n in (7990, 8020, 8060, 8100, 8200)},
    "torn after a long record": records([10, 70_000]) + b'{"v":1,"seq":2,"ts":"2026',
    "torn, long fragment": records([10, 20]) + b"y" * 20_000,
    "a line that is not a record last": records([10, 20]) + b"not json at all\n",
    "a long line that is not a record last": records([10, 20]) + b"z" * 30_000 + b"\n",
    "a long line ending like a record but no seq": records([10]) + b"q" * 9000 + records([1])[-100:],
    "CRLF line endings": records([10, 20]).replace(b"\n", b"\r\n"),
    "long record with CRLF": records([10, 30_000]).replace(b"\n", b"\r\n"),
    "no newline at all": b"x" * 5000,
    "only newlines": b"\n\n\n",
    "blank line last": records([10, 20]) + b"\n",
    "seq far from zero": records([10, 9000], start=123_456_789),
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_the_fast_tail_agrees_with_the_full_scan(tmp_path: Path, shape: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(SHAPES[shape])
    fast, full = both(path)
    assert fast == full


def test_a_record_longer_than_the_scan_limit_is_treated_alike(tmp_path: Path) -> None:
    """Past ``max_scan`` neither finds the record: the appender then starts a new chain, in both."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(records([10, 300_000]))
    for limit in (100_000, 299_000, 400_000, 1 << 20):
        fast, full = both(path, max_scan=limit)
        assert fast == full, limit


def test_random_trail_ends_agree(tmp_path: Path) -> None:
    """Random sizes (many around the block boundary), random torn bytes and stray lines."""
    rng = random.Random(7)
    path = tmp_path / "t.jsonl"
    for _ in range(150):
        sizes = [rng.choice([5, 300, 8000, 8100, 8150, 9000, 70_000, rng.randrange(1, 140_000)]) for _ in range(3)]
        data = records(sizes, start=rng.randrange(0, 10**6))
        if rng.random() < 0.3:
            data += rng.choice([b"junk\n", b"\n", b'{"v":1,"seq":', b"w" * rng.randrange(1, 20_000)])
        if rng.random() < 0.2:
            data = data[: rng.randrange(1, len(data))]  # cut anywhere, as a killed writer or a full disk does
        path.write_bytes(data)
        fast, full = both(path)
        assert fast == full, (sizes, len(data))


def test_the_fast_tail_returns_the_last_records_hash_and_next_seq(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    data = records([10, 65536])
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        tail = tf.read_tail(fd)
    finally:
        os.close(fd)
    last = data.splitlines()[-1]
    assert tail.next_seq == 2 and tail.hash == tf.split_line(last)[1] and tail.torn_bytes == 0


def test_a_long_last_record_is_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook pays for the bytes it reads on every event: after a 200 KiB tool response it reads the
    last 8 KiB, the newline before the record and the record's first bytes, not the record."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(records([10, 200_000]))
    read: list[int] = []
    pread = tf.os.pread

    def counting(fd: int, n: int, at: int) -> bytes:
        read.append(n)
        return pread(fd, n, at)

    monkeypatch.setattr(tf.os, "pread", counting)
    fd = os.open(path, os.O_RDONLY)
    try:
        tail = tf.read_tail(fd)
    finally:
        os.close(fd)
    assert tail.next_seq == 2
    assert read[0] == 8192 and read[-1] == 128 and sum(read) < 200_000 + 8192 + 128  # not the doubling scan's 448 KiB
