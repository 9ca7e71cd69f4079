"""A fresh ``auditkit verify``'s fixed costs: what it loads before the first byte, and how it ends.

A verify of 1M records is held to 1.67x ``openssl dgst -sha256`` (benchmarks/verify.py), so a few ms of start-up
and exit count. Building the parser no longer measures the terminal (argparse's formatter, and with it shutil, bz2
and lzma, is loaded only to show help), and the console script's verify ends with its output flushed and
``os._exit`` instead of the interpreter's teardown. Here: help is still as wide as the terminal, and nothing the
usual exit did is lost: every byte of output, to a pipe, a file or a slow reader, the exit code, and a full disk or
a closed pipe reported as before.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from auditkit.cli import _subparsers, build_parser
from auditkit.trail import format as tf
from tests.conftest import REPO

#: What the console script (``auditkit``) runs; ``{before}`` runs first.
CONSOLE = (
    "{before}\nimport sys\nfrom auditkit.cli import main\nsys.argv = ['auditkit', *sys.argv[1:]]\nsys.exit(main())"
)
#: Registering an atexit handler leaves the interpreter's exit work to do: the usual exit, to compare with.
USUAL_EXIT = "import atexit; atexit.register(lambda: None)"


def write_trails(folder: Path, count: int, records: int = 1) -> Path:
    """``count`` intact trails of ``records`` records each, one file each."""
    folder.mkdir()
    created = "2026-03-17T00:00:00.000000Z"
    for i in range(count):
        tid = f"trail-{i:04d}"
        start = {"event": tf.TRAIL_START, "status": "info", "data": {"trail_id": tid, "created": created}}
        start["data"]["previous_segment"] = None
        lines = [tf.encode_record(0, created, tf.genesis_hash(tid, created), start)]
        for seq in range(1, records):
            prev = lines[-1].rstrip(b"\n")[-tf.HASH_AT : -2].decode()
            lines.append(tf.encode_record(seq, created, prev, {"event": "Stop", "status": "info"}))
        (folder / f"{tid}.jsonl").write_bytes(b"".join(lines))
    return folder


def console(
    tmp_path: Path, *args: str, before: str = "", buffered: bool = True, **run: object
) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "config"))
    if buffered:  # as a user's shell runs it: stdout block-buffered when it is not a terminal
        env.pop("PYTHONUNBUFFERED", None)
    else:
        env["PYTHONUNBUFFERED"] = "1"
    argv = [sys.executable, *run.pop("flags", ()), "-c", CONSOLE.format(before=before), *args]  # type: ignore[misc]
    return subprocess.run(argv, env=env, cwd=tmp_path, check=False, **run)  # type: ignore[call-overload]


def no_addresses(text: bytes) -> bytes:
    return re.sub(rb"0x[0-9a-f]+", b"0x", text)


def test_verifying_a_trail_loads_neither_shutil_nor_bz2_nor_lzma(tmp_path: Path) -> None:
    trails = write_trails(tmp_path / "logs", 1, records=20)
    done = console(tmp_path, "verify", str(trails), flags=["-X", "importtime"], capture_output=True)
    assert done.returncode == 0, done.stderr
    loaded = {line.split(b"|")[-1].strip().decode() for line in done.stderr.splitlines() if b"import time:" in line}
    assert "auditkit.custody.verify" in loaded  # the probe sees what the command loads
    assert not loaded & {"shutil", "bz2", "lzma"}, sorted(loaded & {"shutil", "bz2", "lzma"})


def test_help_is_as_wide_as_the_terminal_when_it_is_shown(tmp_path: Path) -> None:
    for columns in (50, 200):
        env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS=str(columns))
        done = subprocess.run(
            [sys.executable, "-m", "auditkit.cli", "verify", "--help"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        # argparse's formatter is COLUMNS - 2 wide
        expected = _subparsers(build_parser(width=columns - 2))["verify"].format_help()
        assert done.stdout == expected


def test_verify_ends_without_the_interpreters_teardown_only_when_that_has_no_work(tmp_path: Path) -> None:
    trails = write_trails(tmp_path / "logs", 2, records=5)
    after = "import atexit; atexit.register(print, 'atexit handler ran', file=__import__('sys').stderr)"
    fast = console(tmp_path, "verify", str(trails), capture_output=True)
    usual = console(tmp_path, "verify", str(trails), before=after, capture_output=True)
    assert (fast.returncode, usual.returncode) == (0, 0)
    assert fast.stdout == usual.stdout and b"INTACT" in fast.stdout
    assert b"atexit handler ran" in usual.stderr  # an atexit handler registered by anyone still runs
    assert fast.stderr == b""
    probe = "import sys; from auditkit.cli import main; sys.argv = ['auditkit', 'verify', sys.argv[1]]; main()\n"
    probe += "print('the interpreter went on after main()', file=sys.stderr)"
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "config"))
    went_on = subprocess.run(
        [sys.executable, "-c", probe, str(trails)], env=env, cwd=tmp_path, capture_output=True, check=False
    )
    assert went_on.returncode == 0 and b"went on" not in went_on.stderr  # the fast exit is taken


def test_a_broken_trail_keeps_its_exit_code_and_every_line_of_its_report(tmp_path: Path) -> None:
    trails = write_trails(tmp_path / "logs", 1, records=30)
    path = next(trails.iterdir())
    path.write_bytes(path.read_bytes() + b"".join(b"not a record %d\n" % i for i in range(400)))
    for buffered in (True, False):
        fast = console(tmp_path, "verify", str(trails), buffered=buffered, capture_output=True)
        usual = console(tmp_path, "verify", str(trails), before=USUAL_EXIT, buffered=buffered, capture_output=True)
        assert (fast.returncode, usual.returncode) == (1, 1)
        assert fast.stdout == usual.stdout and len(fast.stdout) > 8192  # more than one buffer's worth
        assert fast.stdout.endswith(b"NOT INTACT: first break: corrupt at " + str(path).encode() + b":31\n")


def test_output_just_before_the_end_reaches_a_pipe_a_file_and_a_slow_reader_whole(tmp_path: Path) -> None:
    trails = write_trails(tmp_path / "logs", 300)
    usual = console(tmp_path, "verify", str(trails), "--json", before=USUAL_EXIT, capture_output=True)
    assert usual.returncode == 0 and len(usual.stdout) > 65536  # more than a pipe holds
    piped = console(tmp_path, "verify", str(trails), "--json", capture_output=True)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, usual.stdout, b"")
    with (tmp_path / "out.json").open("wb") as out:
        to_file = console(tmp_path, "verify", str(trails), "--json", stdout=out)
    assert to_file.returncode == 0 and (tmp_path / "out.json").read_bytes() == usual.stdout
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("PYTHONUNBUFFERED", None)
    slow = subprocess.Popen(
        [sys.executable, "-c", CONSOLE.format(before=""), "verify", str(trails), "--json"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
    )
    assert slow.stdout is not None
    time.sleep(1.0)  # the verify is done and blocked on a full pipe before anything is read
    assert slow.stdout.read() == usual.stdout
    assert slow.wait(timeout=60) == 0


def test_a_full_disk_or_a_closed_pipe_is_reported_as_the_usual_exit_reports_it(tmp_path: Path) -> None:
    trails = write_trails(tmp_path / "logs", 3, records=5)
    seen = []
    for buffered in (True, False):
        for args in ((str(trails),), (str(trails), "--json")):
            with open("/dev/full", "wb") as full:
                fast = console(tmp_path, "verify", *args, buffered=buffered, stdout=full, stderr=subprocess.PIPE)
                usual = console(
                    tmp_path, "verify", *args, before=USUAL_EXIT, buffered=buffered, stdout=full, stderr=subprocess.PIPE
                )
            assert fast.returncode == usual.returncode != 0
            assert b"No space left on device" in fast.stderr
            assert no_addresses(fast.stderr) == no_addresses(usual.stderr)
            seen.append(fast.returncode)
            read, write = os.pipe()
            os.close(read)
            try:
                fast = console(tmp_path, "verify", *args, buffered=buffered, stdout=write, stderr=subprocess.PIPE)
                usual = console(
                    tmp_path,
                    "verify",
                    *args,
                    before=USUAL_EXIT,
                    buffered=buffered,
                    stdout=write,
                    stderr=subprocess.PIPE,
                )
            finally:
                os.close(write)
            assert (fast.returncode, no_addresses(fast.stderr)) == (usual.returncode, no_addresses(usual.stderr))
    assert 120 in seen  # buffered output fails only at the end's flush: reported, exit 120, as Python always did
