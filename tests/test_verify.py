"""Tamper evidence: every mutation of a trail written by the real hook is detected, with the right reason."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.custody.seals import keygen, seal, seal_log_path
from auditkit.trail import appender
from auditkit.trail import format as tf
from tests.conftest import SAMPLES, own_copy, payload, run_hook

SOURCE = SAMPLES / "concurrent" / "audit-trail.jsonl"  # 35 records written by the real hook


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "audit-trail.jsonl"
    path.parent.mkdir()
    return own_copy(SOURCE, path)  # as this installation wrote it: the hook continues it


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return keygen(tmp_path / "keys" / "seal.key")


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def rechain(records: list[dict], trail_id: str, created: str) -> list[bytes]:
    """Re-encode records as a fresh, self-consistent chain: what an attacker with write access can do."""
    out, prev = [], tf.genesis_hash(trail_id, created)
    for seq, rec in enumerate(records):
        fields = {k: v for k, v in rec.items() if k not in ("v", "seq", "ts", "prev", "hash")}
        if fields.get("event") == tf.TRAIL_START:
            fields["data"] = {**fields["data"], "trail_id": trail_id, "created": created}
        line = tf.encode_record(seq, rec["ts"], prev, fields)
        prev = json.loads(line)["hash"]
        out.append(line)
    return out


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in lines_of(path)]


# --- the chain alone ------------------------------------------------------------------------


def test_an_untouched_trail_is_intact(trail: Path) -> None:
    report = auditkit.verify(trail)
    assert report.intact and report.findings == []
    assert report.records == 35 and report.trails[records_of(trail)[0]["data"]["trail_id"]]["last_seq"] == 34


def test_one_changed_byte_is_reported_as_edited_at_its_seq(trail: Path) -> None:
    lines = lines_of(trail)
    lines[10] = lines[10].replace(b'"host":"dev-laptop"', b'"host":"dev-laptoq"')
    write_lines(trail, lines)
    brk = auditkit.verify(trail).first_break
    assert (brk.kind, brk.seq, brk.line) == ("edited", 10, 11)


def test_a_deleted_middle_record_is_reported_as_deleted(trail: Path) -> None:
    lines = lines_of(trail)
    del lines[17]
    write_lines(trail, lines)
    brk = auditkit.verify(trail).first_break
    assert brk.kind == "deleted" and brk.seq == 18 and "seq 17..17 are missing" in brk.message


def test_an_inserted_forged_record_with_a_recomputed_hash_is_reported_as_inserted(trail: Path) -> None:
    lines = lines_of(trail)
    before = json.loads(lines[12])
    forged = tf.encode_record(
        13,
        before["ts"],
        before["hash"],
        {"event": "PostToolUse", "status": "ok", "tool_name": "Bash", "tool_input": {"command": "echo all good"}},
    )
    write_lines(trail, [*lines[:13], forged, *lines[13:]])
    brk = auditkit.verify(trail).first_break
    assert (brk.kind, brk.seq, brk.line) == ("inserted", 13, 14)


def test_two_swapped_records_are_reported_as_reordered(trail: Path) -> None:
    lines = lines_of(trail)
    lines[20], lines[21] = lines[21], lines[20]
    write_lines(trail, lines)
    report = auditkit.verify(trail)
    assert report.first_break.kind == "reordered"
    assert {f.kind for f in report.findings if f.severity == "error"} == {"reordered"}


def test_a_repeated_record_is_reported_as_duplicated(trail: Path) -> None:
    lines = lines_of(trail)
    write_lines(trail, [*lines[:9], lines[8], *lines[9:]])
    brk = auditkit.verify(trail).first_break
    assert (brk.kind, brk.seq) == ("duplicated", 8)


def test_a_record_rewritten_with_a_recomputed_hash_is_reported_as_replaced(trail: Path) -> None:
    lines = lines_of(trail)
    rec = json.loads(lines[15])
    fields = {k: v for k, v in rec.items() if k not in ("v", "seq", "ts", "prev", "hash")}
    fields["user"] = "someone-else"
    lines[15] = tf.encode_record(15, rec["ts"], rec["prev"], fields)
    write_lines(trail, lines)
    brk = auditkit.verify(trail).first_break
    assert (brk.kind, brk.seq) == ("replaced", 15)


def test_the_chain_alone_cannot_see_a_cut_tail_or_a_rewritten_trail(
    trail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented limit: without seals both look intact to a verifier without this installation's key; the
    seal tests below catch them. On this installation the rewrite lacks the start's keyed mark: foreign."""
    write_lines(trail, lines_of(trail)[:-5])
    assert auditkit.verify(trail).intact
    recs = records_of(trail)
    write_lines(trail, rechain(recs, "11111111-2222-4333-8444-555555555555", recs[0]["ts"]))
    here = auditkit.verify(trail)
    assert here.provenance == "checked" and [f.kind for f in here.findings] == ["foreign"]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another-machine"))
    elsewhere = auditkit.verify(trail)
    assert elsewhere.intact and elsewhere.provenance == "unchecked" and not elsewhere.findings


# --- seals --------------------------------------------------------------------------------------


def test_a_sealed_untouched_trail_verifies_with_its_seals(trail: Path, keys: tuple[Path, Path]) -> None:
    s = seal(trail, keys[0])
    assert s["seq"] == 34 and s["records"] == 35
    report = auditkit.verify(trail, pubkey=keys[1])
    assert report.intact and report.findings == []
    assert report.seals["valid"] == report.seals["checked"] == 1


def test_a_cut_tail_is_detected_below_the_latest_seal(trail: Path, keys: tuple[Path, Path]) -> None:
    seal(trail, keys[0])
    write_lines(trail, lines_of(trail)[:-5])
    brk = auditkit.verify(trail, pubkey=keys[1]).first_break
    assert brk.kind == "truncated" and "ends at seq 29" in brk.message and "up to seq 34" in brk.message


def test_a_whole_file_rewritten_as_a_new_consistent_chain_is_detected(trail: Path, keys: tuple[Path, Path]) -> None:
    seal(trail, keys[0])
    recs = records_of(trail)
    recs[5]["tool_input"] = {"command": "rm -rf /"}
    write_lines(trail, rechain(recs, recs[0]["data"]["trail_id"], recs[0]["data"]["created"]))
    brk = auditkit.verify(trail, pubkey=keys[1]).first_break
    assert brk.kind == "rewritten" and "seq 34" in brk.message


def test_a_rewrite_under_a_new_trail_id_is_detected(trail: Path, keys: tuple[Path, Path]) -> None:
    seal(trail, keys[0])
    recs = records_of(trail)
    write_lines(trail, rechain(recs, "11111111-2222-4333-8444-555555555555", recs[0]["ts"]))
    found = {f.kind: f for f in auditkit.verify(trail, pubkey=keys[1]).findings}
    assert "no given file holds that trail" in found["rewritten"].message
    assert "seals are required" in found["unsealed"].message  # the rewritten chain has no seal of its own
    assert "not created by this installation" in found["foreign"].message  # and no mark this installation made


def test_an_altered_seal_fails_its_signature(trail: Path, keys: tuple[Path, Path]) -> None:
    seal(trail, keys[0])
    log = seal_log_path(trail)
    log.write_bytes(log.read_bytes().replace(b'"seq":34', b'"seq":30'))
    brk = auditkit.verify(trail, pubkey=keys[1]).first_break
    assert brk.kind == "seal_signature"


def test_a_removed_seal_breaks_the_seal_chain(trail: Path, keys: tuple[Path, Path]) -> None:
    for _ in range(3):
        seal(trail, keys[0])
    log = seal_log_path(trail)
    log.write_bytes(b"".join(lines_of(log)[:1] + lines_of(log)[2:]))
    assert auditkit.verify(trail, pubkey=keys[1]).first_break.kind == "seal_chain"


def test_seals_from_another_key_fail(trail: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    seal(trail, keys[0])
    _, other_pub = keygen(tmp_path / "other" / "seal.key")
    assert auditkit.verify(trail, pubkey=other_pub).first_break.kind == "seal_signature"


def test_records_after_the_latest_seal_are_reported(trail: Path, keys: tuple[Path, Path]) -> None:
    seal(trail, keys[0])
    run_hook(payload("Stop"), trail)
    report = auditkit.verify(trail, pubkey=keys[1])
    assert report.intact
    assert [f.kind for f in report.findings] == ["unsealed_tail"]


def test_keygen_refuses_to_put_the_private_key_in_the_trail_folder(trail: Path) -> None:
    with pytest.raises(auditkit.AuditkitError, match="must not live in the trail's folder"):
        keygen(trail.parent / "seal.key", trail_dirs=[trail.parent])


def test_the_hook_seals_on_session_end_and_every_n_records(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    """With a key configured, the hook starts `auditkit seal` detached: every 4 records and at SessionEnd."""
    trail = tmp_path / "t.jsonl"
    env = {"AUDITKIT_SEAL_KEY": str(keys[0]), "AUDITKIT_SEAL_EVERY": "4"}
    for i in range(5):
        assert run_hook(payload("Notification", message=f"m{i}"), trail, env=env).returncode == 0
    run_hook(payload("SessionEnd", reason="other"), trail, env=env)
    log = seal_log_path(trail)
    deadline = time.time() + 30
    while time.time() < deadline and (not log.exists() or len(lines_of(log)) < 2):
        time.sleep(0.1)
    seals = [json.loads(line) for line in lines_of(log)]
    # a detached sealer signs the head as it finds it: at least up to the record that triggered it
    assert len(seals) == 2 and all(s["seq"] >= 4 for s in seals) and max(s["seq"] for s in seals) == 6
    report = auditkit.verify(trail, pubkey=keys[1])
    assert report.intact and report.seals["valid"] == 2


# --- crashes, segments, time -------------------------------------------------------------------

CRASHER = """
import fcntl, os, sys, time
sys.path.insert(0, {root!r})
from auditkit.trail import appender, format as tf
fd = appender.open_trail({trail!r})
fcntl.flock(fd, fcntl.LOCK_EX)
tail = tf.read_tail(fd)
line = tf.encode_record(tail.next_seq, "2026-03-17T15:00:00.000000Z", tail.hash, {{"event": "Stop", "status": "info"}})
os.write(fd, line[: len(line) // 2])
print("half written", flush=True)
time.sleep(60)
"""


def test_a_writer_killed_mid_append_leaves_a_partial_line_and_the_chain_continues(trail: Path) -> None:
    """SIGKILL during an append: verify calls the remnant a crash, and the next append continues a valid chain."""
    root = str(Path(auditkit.__file__).resolve().parent.parent)
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER.format(root=root, trail=str(trail))], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "half written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    report = auditkit.verify(trail)
    assert report.intact and [f.kind for f in report.findings] == ["partial_line"]

    assert run_hook(payload("Notification", message="after the crash"), trail).returncode == 0
    report = auditkit.verify(trail)
    assert report.intact and [(f.kind, f.line) for f in report.findings] == [("crash_remnant", 36)]
    last = records_of_lenient(trail)[-1]
    assert last["seq"] == 35 and last["prev"] == json.loads(lines_of(trail)[34])["hash"]
    assert last["recovered"]["torn_bytes"] > 0
    with pytest.warns(UserWarning, match=r"audit-trail\.jsonl:36"):
        assert auditkit.load(trail).iloc[-1]["data"] == {"message": "after the crash"}


def records_of_lenient(path: Path) -> list[dict]:
    out = []
    for line in lines_of(path):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def test_garbage_in_the_middle_is_corruption_not_a_crash(trail: Path) -> None:
    lines = lines_of(trail)
    write_lines(trail, [*lines[:7], b"garbage that no crash wrote\n", *lines[7:]])
    brk = auditkit.verify(trail).first_break
    assert (brk.kind, brk.line) == ("corrupt", 8)


def test_rotated_and_gzipped_segments_verify_as_one_chain(trail: Path) -> None:
    """A second segment that starts by naming the first one's head continues the same chain."""
    recs = records_of(trail)
    first, last = recs[0], recs[-1]
    start = tf.encode_record(
        35,
        "2026-03-17T15:00:00.000000Z",
        last["hash"],
        {
            "event": tf.TRAIL_START,
            "status": "info",
            "data": {
                "trail_id": first["data"]["trail_id"],
                "created": "2026-03-17T15:00:00.000000Z",
                "previous_segment": {"file": trail.name, "last_seq": 34, "last_hash": last["hash"]},
                "mark": tf.start_mark(appender.installation_key(), 35, "2026-03-17T15:00:00.000000Z", last["hash"]),
            },
        },
    )
    nxt = tf.encode_record(
        36, "2026-03-17T15:00:01.000000Z", json.loads(start)["hash"], {"event": "Stop", "status": "info"}
    )
    old = trail.with_name("audit-trail.0001.jsonl.gz")
    old.write_bytes(gzip.compress(trail.read_bytes()))
    trail.write_bytes(start + nxt)
    report = auditkit.verify(trail.parent)
    assert report.intact and report.records == 37 and len(report.trails) == 1
    old.unlink()
    report = auditkit.verify(trail)
    assert report.intact and [f.kind for f in report.findings] == ["starts_mid_trail"]


def test_time_stepping_back_beyond_the_tolerance_is_reported(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    for now in ("2026-03-17T14:00:05Z", "2026-03-17T14:00:04.5Z", "2026-03-17T14:00:01Z"):
        run_hook(payload("Stop"), trail, env={"AUDITKIT_NOW": now})
    report = auditkit.verify(trail, tolerance_s=1.0)
    assert report.intact
    assert [(f.kind, f.seq) for f in report.findings] == [("time_backwards", 3)]


def test_cli_exit_status_and_json(trail: Path, capsys) -> None:
    assert main(["verify", str(trail)]) == 0
    assert "INTACT" in capsys.readouterr().out
    lines = lines_of(trail)
    del lines[3]
    write_lines(trail, lines)
    assert main(["verify", str(trail), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["intact"] is False and doc["first_break"]["kind"] == "deleted"


# --- the fast paths say exactly what the line-by-line walk says ---------------------------------

MUTATIONS = {
    "none": lambda lines: lines,
    "edit": lambda lines: [
        *lines[:25],
        lines[25].replace(b'"agent":"claude-code"', b'"agent":"claude-codf"'),
        *lines[26:],
    ],
    "delete": lambda lines: lines[:18] + lines[19:],
    "swap": lambda lines: [*lines[:27], lines[28], lines[27], *lines[29:]],
    "duplicate": lambda lines: [*lines[:30], lines[29], *lines[30:]],
    "garbage": lambda lines: [*lines[:22], b"not a record\n", *lines[22:]],
    "partial tail": lambda lines: [*lines, lines[5][:40]],
    # a forger who re-hashes and re-links everything after the change: odd but self-consistent bytes
    "seq with a leading zero": lambda lines: reforged(lines, 12, lambda b: b.replace(b'"seq":12,', b'"seq":012,')),
    "seq with a plus sign": lambda lines: reforged(lines, 12, lambda b: b.replace(b'"seq":12,', b'"seq":+12,')),
    "hash in capitals": lambda lines: reforged(lines, 14, lambda b: b, upper=True),
    "seq renumbered past a power of ten": lambda lines: reforged(
        lines, 10, lambda b: b.replace(b'"seq":10,', b'"seq":100,')
    ),
    "seq not widened at ten": lambda lines: reforged(lines, 10, lambda b: b.replace(b'"seq":10,', b'"seq":1,')),
    "seq with a letter": lambda lines: reforged(lines, 12, lambda b: b.replace(b'"seq":12,', b'"seq":1a,')),
    "seq repeated": lambda lines: reforged(lines, 13, lambda b: b.replace(b'"seq":13,', b'"seq":12,')),
    "record re-hashed, not re-linked": lambda lines: [
        *lines[:20],
        *reforged(lines[:21], 20, lambda b: b.replace(b'"agent":"claude-code"', b'"agent":"claude-codf"'))[20:],
        *lines[21:],
    ],
    "time going back": lambda lines: reforged(
        lines, 16, lambda b: b[: b.index(b'"ts":"') + 6] + b"2020" + b[b.index(b'"ts":"') + 10 :]
    ),
}


def reforged(lines: list[bytes], k: int, edit, upper: bool = False) -> list[bytes]:
    """Record ``k`` edited by ``edit`` (its canonical bytes), then it and every later record re-hashed and
    re-linked, as someone with write access and the format's description would."""
    out = lines[:k]
    prev = tf.split_line(out[-1])[1].encode()
    for i, line in enumerate(lines[k:]):
        body = tf.split_line(line)[0][:-1]
        body = edit(body) if i == 0 else body
        at = body.index(b'"prev":"') + 8
        body = body[:at] + prev + body[at + 64 :]
        digest = hashlib.sha256(body + b"}").hexdigest().encode()
        prev = digest.upper() if upper and i == 0 else digest
        out.append(body + b',"hash":"' + prev + b'"}\n')
    return out


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_bulk_and_parallel_paths_report_what_the_line_walk_reports(
    trail: Path, mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean blocks are taken whole (in this process or in workers); any block with a problem is walked line by
    line, so every mode finds the same things at the same lines."""
    from auditkit.custody import verify as integrity

    write_lines(trail, MUTATIONS[mutation](lines_of(trail)))

    def run(block: int, parallel_min: int) -> list[tuple]:
        monkeypatch.setattr(integrity, "_BLOCK", block)
        monkeypatch.setattr(integrity, "_RANGE", block)
        monkeypatch.setattr(integrity, "_PARALLEL_MIN", parallel_min)
        r = auditkit.verify(trail)
        return [(f.kind, f.severity, f.line, f.seq) for f in r.findings] + [("records", r.records, r.bytes)]

    with monkeypatch.context() as walk_only:  # no block is ever taken whole: every record walked line by line
        walk_only.setattr(integrity, "_summarize", lambda *args, **kwargs: None)
        line_walk = run(1 << 30, 1 << 40)
    assert run(1 << 30, 1 << 40) == line_walk  # one block in this process: all but its first line in bulk
    for block in (1500, 2048, 3000):  # blocks of a few records, starting at different records
        assert run(block, 1 << 40) == line_walk  # summarized in bulk in this process
        assert run(block, 0) == line_walk  # summarized by worker processes
    intact = all(f[1] == "warning" for f in line_walk[:-1])
    assert intact == (
        mutation in ("none", "partial tail", "seq with a leading zero", "seq with a plus sign", "time going back")
    )


# --- nothing checked is not a pass; damaged inputs are findings, never tracebacks -------------


@pytest.mark.parametrize("what", ["empty folder", "empty file", "blank lines"])
def test_nothing_to_check_is_not_intact(tmp_path: Path, what: str, capsys) -> None:
    """A folder with no trail, an empty file or a file of blank lines: exit non-zero, 'no records found'."""
    target = tmp_path / "logs"
    target.mkdir()
    if what != "empty folder":
        target = target / "audit-trail.jsonl"
        target.write_bytes(b"" if what == "empty file" else b"\n\n")
    report = auditkit.verify(target)
    assert not report.intact and report.first_break.kind == "no_records"
    assert main(["verify", str(target)]) == 1
    out = capsys.readouterr().out
    assert "no records found" in out and "NOT INTACT" in out


@pytest.mark.parametrize("damage", ["truncated", "trailing garbage", "corrupt block"])
def test_a_damaged_gzip_segment_is_a_finding_with_file_and_line(trail: Path, damage: str, capsys) -> None:
    """A cut-short, garbage-tailed or corrupted .gz: verify names the file and line; load keeps what it read."""
    gz = trail.with_name("audit-trail.0000000000-0000000034.jsonl.gz")
    data = gzip.compress(trail.read_bytes())
    trail.unlink()
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "trailing garbage":
        data += b"not gzip at all"
    else:
        data = data[:40] + bytes(b ^ 0xFF for b in data[40:60]) + data[60:]
    gz.write_bytes(data)
    assert main(["verify", str(gz)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and f"{gz}:" in captured.out and "damaged" in captured.out
    with pytest.warns(UserWarning, match="gzip stream is damaged"):
        df = auditkit.load(gz)
    assert any(p["file"] == str(gz) and "damaged" in p["reason"] for p in df.attrs["problems"])


@pytest.mark.parametrize("edit", [{"seq": "10"}, {"seq": None}, {"head_hash": 7}, {"trail_id": ["x"]}, {"seq": True}])
def test_a_seal_line_with_wrong_types_is_a_finding(trail: Path, keys: tuple[Path, Path], edit: dict, capsys) -> None:
    """A seal whose fields have the wrong types: a seal_format error with the log's line, no traceback."""
    seal(trail, keys[0])
    log = seal_log_path(trail)
    doc = json.loads(log.read_text())
    log.write_text(json.dumps({**doc, **edit}) + "\n")
    report = auditkit.verify(trail, pubkey=keys[1])
    bad = [f for f in report.findings if f.kind == "seal_format"]
    assert bad and bad[0].file == str(log) and bad[0].line == 1 and not report.intact
    assert main(["verify", str(trail), "--pubkey", str(keys[1])]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_raise_if_broken_raises_chain_broken_at_the_first_break(trail: Path) -> None:
    """Scripts can stop on a broken trail: ChainBroken names the file, line and seq of the first break."""
    assert auditkit.verify(trail).raise_if_broken().intact
    lines = lines_of(trail)
    lines[7] = lines[7].replace(b'"status":"started"', b'"status":"finished"', 1)
    write_lines(trail, lines)
    with pytest.raises(auditkit.ChainBroken) as caught:
        auditkit.verify(trail).raise_if_broken()
    assert caught.value.path == str(trail) and caught.value.line == 8 and "edited" in caught.value.reason


def test_parallel_ranges_cover_the_file_in_whole_lines(tmp_path: Path) -> None:
    """Workers get byte ranges that start and end at line boundaries, long lines included: together,
    every byte once and in order."""
    from auditkit.custody import verify as integrity

    rng = random.Random(5)
    lengths = [rng.choice([10, 300, 5000, 70_000, 200_000]) for _ in range(80)]
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(b"x" * n + b"\n" for n in lengths))
    size = path.stat().st_size
    newline_after = set(itertools.accumulate(n + 1 for n in lengths))
    for block in (1000, 65_536, 100_000, 1 << 20):
        ranges = integrity._ranges(path, size, block)
        assert ranges[0] == (0, lengths[0] + 1)  # the first line on its own
        assert [a for a, _ in ranges[1:]] == [b for _, b in ranges[:-1]] and ranges[-1][1] == size
        assert all(b in newline_after for _, b in ranges)


# --- forged lines: a finding, never a traceback or a hang --------------------------------------

FORGED_STARTS = {
    "previous segment as a string": "seg-0",
    "previous segment as a number": 7,
    "previous segment as a list": ["a"],
    "file as a number": {"file": 5},
    "file as a path out of the folder": {"file": "../../etc/passwd"},
    "file empty": {"file": ""},
}


@pytest.mark.parametrize("previous", list(FORGED_STARTS))
@pytest.mark.parametrize("alone", [True, False])
def test_a_segment_start_naming_its_predecessor_oddly_is_a_finding(tmp_path: Path, previous: str, alone: bool) -> None:
    """The trail_start of a segment is not signed: whatever it says about the segment before it, verify reports
    the chain, it does not crash (a string here used to end verify with AttributeError)."""
    segment = tmp_path / "logs" / "audit-trail.40-41.jsonl"
    segment.parent.mkdir()
    ts = "2026-12-01T00:00:00.000000Z"
    start = tf.encode_record(
        40,
        ts,
        "ab" * 32,
        {"event": "trail_start", "status": "info", "data": {"trail_id": "t", "created": ts,
                                                              "previous_segment": FORGED_STARTS[previous]}},
    )  # fmt: skip
    segment.write_bytes(start + tf.encode_record(41, ts, start[-67:-3].decode(), {"event": "Stop", "status": "ok"}))
    given = [segment] if alone else [SOURCE, segment]
    report = auditkit.verify(given)
    assert not report.intact and report.first_break is not None
    assert all("/etc/passwd" not in f.message for f in report.findings)


@pytest.mark.parametrize(
    ("seq", "linked"),
    [(10**15, False), (10**15, True), (10**25, False), (10**25, True), (-5, True), (2**63, True)],
)
def test_a_forged_seq_far_off_or_past_64_bits_is_a_finding_at_once(tmp_path: Path, seq: int, linked: bool) -> None:
    """One line anyone can append (its hash is no secret): a seq of 10**15 after a broken link used to make
    verify walk every number up to it (hanging for ever), one past 64 bits ended it with OverflowError."""
    lines = lines_of(SOURCE)
    prev = tf.split_line(lines[-1])[1] if linked else "ab" * 32
    forged = tf.encode_record(seq, "2026-12-01T00:00:00.000000Z", prev, {"event": "Stop", "status": "ok"})
    trail = tmp_path / "audit-trail.jsonl"
    write_lines(trail, [*lines, forged])
    # the command as a user runs it, in its own process: a hang ends the test (TimeoutExpired), not CI
    done = subprocess.run(
        [sys.executable, "-m", "auditkit", "verify", str(trail), "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["intact"] is False and doc["first_break"]["line"] == len(lines) + 1


def test_random_damage_is_reported_alike_by_every_path_and_never_crashes(
    trail: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes changed, cut, inserted and lines swapped at random (seeded): the bulk and parallel paths report what
    the walk of every line reports, and nothing raises (a damaged byte in the last hash used to end verify with
    UnicodeDecodeError)."""
    from auditkit.custody import verify as integrity

    rng = random.Random(2026)
    source = trail.read_bytes()

    def run(block: int, parallel_min: int) -> list[tuple]:
        monkeypatch.setattr(integrity, "_BLOCK", block)
        monkeypatch.setattr(integrity, "_RANGE", block)
        monkeypatch.setattr(integrity, "_PARALLEL_MIN", parallel_min)
        r = auditkit.verify(trail)
        json.dumps(r.to_dict())  # the report serialises, whatever the bytes were
        return [(f.kind, f.severity, f.line, f.seq) for f in r.findings] + [("records", r.records, r.bytes)]

    for _ in range(40):
        damaged = bytearray(source)
        for _ in range(rng.randint(1, 3)):
            at, op = rng.randrange(len(damaged)), rng.random()
            if op < 0.4:
                damaged[at] = rng.randrange(256)
            elif op < 0.6:
                del damaged[at : at + rng.randint(1, 200)]
            elif op < 0.8:
                damaged[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
            else:
                lines = bytes(damaged).split(b"\n")
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                damaged = bytearray(b"\n".join(lines))
        trail.write_bytes(bytes(damaged))
        with monkeypatch.context() as walk_only:
            walk_only.setattr(integrity, "_summarize", lambda *args, **kwargs: None)
            walked = run(1 << 30, 1 << 40)
        assert run(1500, 1 << 40) == walked
        assert run(1500, 0) == walked


def test_a_non_utf8_byte_in_the_last_hash_is_a_finding(trail: Path, capsys) -> None:
    lines = lines_of(trail)
    lines[-1] = lines[-1][:-10] + b"\xa0" + lines[-1][-9:]
    write_lines(trail, lines)
    assert main(["verify", str(trail), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["intact"] is False and doc["first_break"]["kind"] == "edited"
