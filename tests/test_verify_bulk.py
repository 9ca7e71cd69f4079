"""The bulk check of a block (``custody.verify._summarize``) takes only what the line walk takes without a finding.

A clean block is taken whole; anything else is walked line by line, which names each problem and its line. So
the bulk check must never pass a record the walk would report, and must end in the state the walk ends in. Here:
odd but valid records (escapes, unicode, a ``"hash"`` member inside a value, long and short lines), hostile ones
(re-hashed and re-linked by a forger: whitespace, key order, seq spelled oddly, capitals, a carriage return, a
NUL in the time), seqs crossing 10**k and 64 bits, and random damage: every report is the same with and without
the bulk check, in this process and in workers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditkit
from auditkit.custody import verify as integrity
from auditkit.trail import format as tf

TRAIL_ID, CREATED = "odd-records", "2026-03-17T00:00:00.000000Z"
HEX = "0123456789abcdef"


def ts_of(i: int) -> str:
    return f"2026-03-17T00:{i // 60_000_000 % 60:02d}:{i // 1_000_000 % 60:02d}.{i % 1_000_000:06d}Z"


def start_line() -> bytes:
    data = {"trail_id": TRAIL_ID, "created": CREATED, "previous_segment": None}
    return tf.encode_record(
        0, CREATED, tf.genesis_hash(TRAIL_ID, CREATED), {"event": tf.TRAIL_START, "status": "info", "data": data}
    )


def plain(i: int) -> dict:
    return {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "tool_input": {"command": f"echo {i}"}}


# records the real writer makes from odd payloads: valid JSON, each verified exactly as any other
ODD_FIELDS = {
    "escapes": {"event": "Stop", "status": "info", "data": {"s": 'quote " backslash \\ tab \t nl \n cr \r nul \0'}},
    "a closing brace and quote in a value": {"event": "Stop", "status": "info", "data": {"s": '"}\n"}', "t": "}"}},
    "a hash member inside a value": {
        "event": "Stop",
        "status": "info",
        "data": {"x": 1, "hash": "ab" * 32, "prev": "cd" * 32, "seq": 7, "ts": "2020-01-01T00:00:00.000000Z"},
    },
    "the record's own closing text inside": {
        "event": "Stop",
        "status": "info",
        "tool_input": {"command": ',"hash":"' + "0" * 64 + '"}'},
    },
    "unicode": {"event": "Stop", "status": "info", "data": {"s": "ü € 😀 \u202e rtl \u200d zwj e\u0301 \ufeff"}},
    "unicode keys": {"event": "Stop", "status": "info", "data": {"clé": 1, "ключ": 2, "😀": 3}},
    "lone surrogates": {"event": "Stop", "status": "info", "data": {"s": "a\ud800b"}},
    "a long line": {"event": "PostToolUse", "status": "ok", "tool_response": {"stdout": "x" * 300_000}},
    "a short record": {},
    "numbers": {"event": "Stop", "status": "info", "data": {"n": [0, -1, 1.5e300, 2**62, -(2**62)]}},
}


def line_with(body: bytes, upper: bool = False) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + tf.HASH_OPEN + (digest.upper() if upper else digest).encode() + b'"}\n'


# bodies a forger writes by hand and hashes: @SEQ@, @TS@ and @PREV@ are filled in, and the chain re-linked after
HOSTILE_BODIES = {
    "whitespace": b'{"v": 1, "seq": @SEQ@, "ts": "@TS@", "prev": "@PREV@", "event": "Stop"}',
    "key order": b'{"seq":@SEQ@,"v":1,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "seq with leading zeros": b'{"v":1,"seq":000@SEQ@,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "seq with a space": b'{"v":1,"seq": @SEQ@,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "seq with an underscore": b'{"v":1,"seq":@SEQ_@,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "seq as a float": b'{"v":1,"seq":@SEQ@.0,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "seq in Arabic-Indic digits": b'{"v":1,"seq":\xd9\xa3,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
    "a NUL in the time": b'{"v":1,"seq":@SEQ@,"ts":"@TS0@","prev":"@PREV@","event":"Stop"}',
    "a shorter time": b'{"v":1,"seq":@SEQ@,"ts":"2026-03-17T00:00:01.5Z","prev":"@PREV@","event":"Stop","x":"0123"}',
    "prev in capitals": b'{"v":1,"seq":@SEQ@,"ts":"@TS@","prev":"@PREVU@","event":"Stop"}',
    "bytes that are not UTF-8": b'{"v":1,"seq":@SEQ@,"ts":"@TS@","prev":"@PREV@","data":"\xff\xfe\x80"}',
    "no other member": b'{"v":1,"seq":@SEQ@,"ts":"@TS@","prev":"@PREV@"}',
    "time going back a year": b'{"v":1,"seq":@SEQ@,"ts":"2025-03-17T00:00:00.000000Z","prev":"@PREV@","event":"Stop"}',
    "time going back a microsecond": b'{"v":1,"seq":@SEQ@,"ts":"@TSBACK@","prev":"@PREV@","event":"Stop"}',
    "v 2": b'{"v":2,"seq":@SEQ@,"ts":"@TS@","prev":"@PREV@","event":"Stop"}',
}


def forged(body: bytes, seq: int, prev: str) -> bytes:
    filled = (
        body.replace(b"@SEQ_@", b"%d_%d" % divmod(seq, 10))
        .replace(b"@SEQ@", b"%d" % seq)
        .replace(b"@TS0@", ts_of(seq).encode()[:-3] + b"\0" + ts_of(seq).encode()[-2:])
        .replace(b"@TS@", ts_of(seq).encode())
        .replace(b"@TSBACK@", ts_of(seq - 2).encode())
        .replace(b"@PREVU@", prev.upper().encode())
        .replace(b"@PREV@", prev.encode())
    )
    return line_with(filled)


def relinked(lines: list[bytes], k: int) -> list[bytes]:
    """Records after ``k`` re-linked to the line before them (their own seq and time kept), as a forger would."""
    out = lines[: k + 1]
    for line in lines[k + 1 :]:
        prev = tf.split_line(out[-1])
        body = tf.split_line(line)[0]
        at = body.index(b'"prev":"') + 8
        out.append(line_with(body[:at] + ((prev[1] if prev else "0" * 64).encode()) + body[at + 64 :]))
    return out


def trail_lines(odd: dict | None = None, hostile: bytes | None = None, at: int = 30, n: int = 60) -> list[bytes]:
    lines = [start_line()]
    for seq in range(1, n):
        prev = tf.split_line(lines[-1])[1]
        if seq == at and hostile is not None:
            lines.append(forged(hostile, seq, prev))
        else:
            lines.append(tf.encode_record(seq, ts_of(seq), prev, odd if seq == at and odd is not None else plain(seq)))
    return relinked(lines, at)


def reports_alike(trail: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """verify's findings and counts with every record walked; asserted equal with the bulk check in this process
    and in workers, in blocks that start at different records."""

    def run(block: int, parallel_min: int) -> list[tuple]:
        monkeypatch.setattr(integrity, "_BLOCK", block)
        monkeypatch.setattr(integrity, "_RANGE", block)
        monkeypatch.setattr(integrity, "_PARALLEL_MIN", parallel_min)
        r = auditkit.verify(trail)
        return [(f.kind, f.severity, f.line, f.seq, f.message) for f in r.findings] + [
            ("records", r.records, r.bytes, json.dumps(r.trails, sort_keys=True))
        ]

    with monkeypatch.context() as walk_only:
        walk_only.setattr(integrity, "_summarize", lambda *args, **kwargs: None)
        walked = run(1 << 30, 1 << 40)
    assert run(1 << 30, 1 << 40) == walked
    for block in (700, 2048, 5000):
        assert run(block, 1 << 40) == walked
        assert run(block, 0) == walked
    return walked


@pytest.mark.parametrize("odd", list(ODD_FIELDS))
def test_odd_but_valid_records_verify_as_the_walk_verifies_them(
    tmp_path: Path, odd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(trail_lines(odd=ODD_FIELDS[odd])))
    walked = reports_alike(trail, monkeypatch)
    assert [f for f in walked[:-1] if f[1] == "error"] == []  # intact: written by the real writer
    assert walked[-1][1] == 60


@pytest.mark.parametrize("hostile", list(HOSTILE_BODIES))
def test_hand_made_records_are_reported_as_the_walk_reports_them(
    tmp_path: Path, hostile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(trail_lines(hostile=HOSTILE_BODIES[hostile])))
    walked = reports_alike(trail, monkeypatch)
    # what the walk lets pass (and the bulk check takes, or leaves to the walk): seq read with int(), a time that
    # does not parse (not reported as a step back), a step back within the tolerance, content the chain does not
    # judge (bytes that are not UTF-8, a record of the four head members alone)
    silent = (
        "seq with leading zeros",
        "seq with a space",
        "seq with an underscore",
        "a NUL in the time",
        "time going back a microsecond",
        "bytes that are not UTF-8",
        "no other member",
    )
    assert (walked[:-1] == []) == (hostile in silent)


@pytest.mark.parametrize(
    "damage",
    [
        "carriage returns",
        "a blank line",
        "a line of spaces",
        "a byte order mark",
        "two records on one line",
        "a record split in two",
        "a NUL line",
    ],
)
def test_damaged_line_breaks_are_reported_as_the_walk_reports_them(
    tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = trail_lines()
    if damage == "carriage returns":
        lines[20:25] = [line[:-1] + b"\r\n" for line in lines[20:25]]
    elif damage == "a blank line":
        lines.insert(20, b"\n")
    elif damage == "a line of spaces":
        lines.insert(20, b"   \t \n")
    elif damage == "a byte order mark":
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    elif damage == "two records on one line":
        lines[20:22] = [lines[20][:-1] + lines[21]]
    elif damage == "a record split in two":
        lines[20:21] = [lines[20][:100] + b"\n", lines[20][100:]]
    else:
        lines.insert(20, b"\0" * 200 + b"\n")
    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes(b"".join(lines))
    walked = reports_alike(trail, monkeypatch)
    assert any(f[1] == "error" for f in walked[:-1]) == (damage not in ("a blank line", "a line of spaces"))


# --- the bulk check on its own: what it takes, the walk takes without a word, and ends where the walk ends ----


def segment(first_seq: int, n: int) -> list[bytes]:
    """``n`` linked records from ``first_seq`` (the middle of some trail), odd ones among them."""
    prev, lines = "ab" * 32, []
    odd = list(ODD_FIELDS.values())
    for i in range(n):
        fields = odd[i % len(odd)] if i % 3 == 1 and "tool_response" not in odd[i % len(odd)] else plain(i)
        lines.append(tf.encode_record(first_seq + i, ts_of(first_seq + i), prev, fields))
        prev = json.loads(lines[-1])["hash"]
    return lines


def walked_from(summary: integrity._Summary, data: bytes, sealed: set[int]):
    """Walk ``data`` line by line from the state the summary says its first record continues."""
    chain = integrity._Chain("t", sealed)
    chain.prev_hash, chain.last_seq, chain.last_ts = summary.first_prev, summary.first_seq - 1, summary.first_ts
    walk = integrity._FileWalk("t", chain)
    walk.first = False
    report = integrity.VerifyReport()
    integrity._walk_block(data, walk, report, 1.0)
    return chain, walk, report


def assert_bulk_agrees_with_walk(data: bytes, sealed: set[int]) -> bool:
    summary = integrity._summarize(data, sealed)
    if summary is None:
        return False
    chain, walk, report = walked_from(summary, data, sealed)
    assert report.findings == [] and walk.pending_bad is None
    assert (walk.records, walk.line_no, walk.offset) == (summary.lines, summary.lines, summary.bytes)
    assert (chain.prev_hash, chain.last_seq, chain.last_ts) == (summary.last2[-1], summary.last_seq, summary.last_ts)
    assert chain.prev2_hash == (summary.last2[0] if len(summary.last2) > 1 else summary.first_prev)
    assert list(chain.seqs) == list(range(summary.first_seq, summary.last_seq + 1))
    assert chain.sealed_hashes == summary.sealed
    return True


FIRST_SEQS = [1, 5, 95, 990, 995, 9_990, 99_999_995, 10**15 - 3, 2**63 - 40, 2**63 - 10]


@pytest.mark.parametrize("first_seq", FIRST_SEQS)
def test_clean_blocks_are_taken_whole_across_every_width_of_seq(first_seq: int) -> None:
    lines = segment(first_seq, 30)
    sealed = {first_seq + 3, first_seq + 29, first_seq + 40}
    taken = assert_bulk_agrees_with_walk(b"".join(lines), sealed)
    assert taken == (first_seq + 29 <= 2**63 - 1)  # past 64 bits no writer numbers: walked, and reported there


def test_the_heads_made_a_thousand_at_a_time_are_the_heads_written_one_by_one() -> None:
    for first in (0, 1, 7, 998, 999, 1000, 1999, 12_345, 999_999, 10**18 - 5):
        for count in (1, 2, 1000, 2500):
            want = b"".join(b'{"v":1,"seq":%d,"ts":"' % s for s in range(first, first + count))
            assert integrity._heads_text(first, count) == want


@st.composite
def damaged_blocks(draw) -> bytes:
    lines = segment(draw(st.sampled_from(FIRST_SEQS[:-1])), draw(st.integers(1, 24)))
    data = bytearray(b"".join(lines))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["byte", "cut", "insert", "swap", "hex", "digit"]))
        if op == "swap" and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 2))
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            data = bytearray(b"".join(lines))
            continue
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "byte":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 120))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif op == "hex" and data[at : at + 1] in [c.encode() for c in HEX]:
            data[at] = ord(draw(st.sampled_from(HEX + "ABCDEF")))
        elif op == "digit" and data[at : at + 1].isdigit():
            data[at] = ord(draw(st.sampled_from("0123456789")))
    return bytes(data)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_blocks())
def test_a_damaged_block_is_taken_whole_only_when_the_walk_finds_nothing(data: bytes) -> None:
    assert_bulk_agrees_with_walk(data, {3, 10**15})


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(1, 40), st.integers(0, 39), st.integers(0, 255), st.integers(0, 600))
def test_one_changed_byte_is_never_taken_whole(n: int, line: int, value: int, column: int) -> None:
    """A block with one byte changed is never taken whole: the hash, the link, or the shape gives it away."""
    lines = segment(12_345, n)
    target = bytearray(lines[line % n])
    at = column % len(target)
    if target[at] == value:
        return
    target[at] = value
    lines[line % n] = bytes(target)
    assert integrity._summarize(b"".join(lines), set()) is None
