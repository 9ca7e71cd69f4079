"""Whole-process latency of the hook, beside the bare interpreter, measured in the same run.

Claude Code starts the hook once per event, so what matters is the whole process: interpreter
start, imports, redaction, the locked append. Variants are sampled in rounds, each round in a
fresh random order (so machine noise, and the caches a heavy neighbour evicts, hit all of them
alike), and reported as medians and as ratios to ``python -I -S -c pass``.

    .venv/bin/python benchmarks/hook_latency.py [--runs 200] [--big-trail 1000000] [--compare OTHER/hook/auditkit_hook.py]

``--compare`` samples another checkout's hook (which finds its own ``auditkit`` beside it) in the same
rounds, for before/after figures of a change measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditkit.installer import LAUNCHER, hook_command, hook_script, write_launcher
from auditkit.trail import format as tf

PY = os.path.realpath(sys.executable)
HOOK = str(hook_script())

CODE = (Path(__file__).resolve().parent.parent / "auditkit" / "loading" / "frame.py").read_text()[:2048]


def base(event: str, **extra: object) -> dict:
    return {
        "session_id": "bench",
        "transcript_path": "/home/dev/.claude/projects/x/bench.jsonl",
        "cwd": "/home/dev/app",
        "permission_mode": "default",
        "hook_event_name": event,
        **extra,
    }


def big_response(kib: int = 64) -> dict:
    """A Read of a ~64 KiB config-like file with a few secrets in it: redaction has real work to do."""
    lines = []
    i = 0
    while sum(len(x) + 1 for x in lines) < kib * 1024 - 200:
        lines.append(f"setting_{i} = value-{i * 7919 % 104729}  # https://docs.example.com/s/{i}")
        if i % 97 == 0:
            lines.append(f"api_token = tok_{i:08d}abcdef{i:06d}")
        i += 1
    content = "\n".join(lines)
    return {
        "type": "text",
        "file": {
            "filePath": "/home/dev/app/settings.ini",
            "content": content,
            "numLines": len(lines),
            "startLine": 1,
            "totalLines": len(lines),
        },
    }


EVENTS = {
    "Bash PreToolUse (small)": base(
        "PreToolUse",
        tool_name="Bash",
        tool_use_id="toolu_b",
        tool_input={"command": "npm test", "description": "Run the tests"},
    ),
    "Bash PreToolUse (git with flags)": base(
        "PreToolUse",
        tool_name="Bash",
        tool_use_id="toolu_g",
        tool_input={
            "command": "git commit -m 'fix: the parser drops a trailing newline' && git push origin main --tags",
            "description": "Commit and push the fix",
        },
    ),
    "Read PostToolUse (2 KiB of code)": base(
        "PostToolUse",
        tool_name="Read",
        tool_use_id="toolu_r",
        tool_input={"file_path": "/home/dev/app/frame.py"},
        tool_response={"type": "text", "file": {"filePath": "/x", "content": CODE}},
    ),
    "Read PostToolUse (64 KiB)": base(
        "PostToolUse",
        tool_name="Read",
        tool_use_id="toolu_64",
        tool_input={"file_path": "/home/dev/app/settings.ini"},
        tool_response=big_response(),
    ),
}


def make_big_trail(path: Path, records: int) -> None:
    """A trail of ``records`` chained records, written directly (the hook would take hours)."""
    fields = {
        "event": "PostToolUse",
        "status": "ok",
        "session_id": "old",
        "tool_name": "Bash",
        "tool_input": {"command": "make"},
        "tool_response": {"stdout": "ok"},
    }
    from auditkit.trail import appender

    ts = "2026-01-01T00:00:00.000000Z"
    prev = tf.genesis_hash("bench", ts)
    start = appender.mark_start(appender.header_fields("bench", ts), 0, ts, prev)  # this installation's trail
    with open(path, "wb") as fh:
        buf = []
        for seq in range(records):
            line = tf.encode_record(seq, ts, prev, start if seq == 0 else fields)
            prev = line[-(tf.HASH_HEX_LEN + 3) : -3].decode()
            buf.append(line)
            if len(buf) == 10000:
                fh.write(b"".join(buf))
                buf.clear()
        fh.write(b"".join(buf))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=150)
    ap.add_argument("--big-trail", type=int, default=1_000_000, help="records in the large trail (0: skip)")
    ap.add_argument("--held-runs", type=int, default=10, help="hook runs while another process holds the lock")
    ap.add_argument("--compare", metavar="HOOK", help="another checkout's hook/auditkit_hook.py, sampled alongside")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-bench-"))
    key = tmp / "cfg" / "auditkit" / "fingerprint.key"  # where the hook looks (AUDITKIT_FINGERPRINT_KEY is guarded)
    key.parent.mkdir(parents=True, mode=0o700)
    key.write_bytes(b"k" * 32)
    key.chmod(0o600)
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp / "cfg"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "USER": os.environ.get("USER") or "bench",
    }
    os.environ["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"]
    os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]  # the installation key the hook marks with
    from auditkit.trail.redaction import warm_cache

    warm_cache()  # as `auditkit install` does for the interpreter the hook runs with

    variants: dict[str, tuple[list[str], bytes | None, dict]] = {
        "python -I -S -c pass (baseline)": ([PY, "-I", "-S", "-c", "pass"], None, env),
        "python -c pass": ([PY, "-c", "pass"], None, env),
    }
    for name, event in EVENTS.items():
        variants[f"hook: {name}"] = (
            [PY, "-I", "-S", HOOK, "--trail", str(tmp / "t.jsonl")],
            json.dumps(event).encode(),
            env,
        )
    if args.compare:
        for name in ("Bash PreToolUse (small)", "Read PostToolUse (2 KiB of code)"):
            variants[f"compare: {name}"] = (
                [PY, "-I", "-S", args.compare, "--trail", str(tmp / "c.jsonl")],
                json.dumps(EVENTS[name]).encode(),
                env,
            )
    big = EVENTS["Read PostToolUse (64 KiB)"]
    variants["hook: Read 64 KiB, redaction off"] = (
        [PY, "-I", "-S", HOOK, "--trail", str(tmp / "t.jsonl"), "--no-redact"],
        json.dumps(big).encode(),
        env,
    )
    small = json.dumps(EVENTS["Bash PreToolUse (small)"]).encode()
    # the portable form (`install --shared`): `auditkit-hook`, this machine's launcher found on PATH. Claude Code
    # runs either form through a shell; sampled both exec'd directly and through `sh -c` as settings say
    launcher = write_launcher(tmp / "bin", PY)
    on_path = {**env, "PATH": f"{tmp / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"}
    trail_opt = ["--trail", str(tmp / "t.jsonl")]
    variants["shared: auditkit-hook launcher, Bash Pre (small)"] = ([str(launcher), *trail_opt], small, env)
    variants["sh -c: absolute form, Bash Pre (small)"] = (
        ["/bin/sh", "-c", hook_command(str(tmp / "t.jsonl"), PY)],
        small,
        env,
    )
    variants["sh -c: auditkit-hook on PATH, Bash Pre (small)"] = (
        ["/bin/sh", "-c", hook_command(str(tmp / "t.jsonl"), shared=True)],
        small,
        on_path,
    )
    assert hook_command(shared=True) == LAUNCHER
    variants["hook: Bash Pre, trail of 10 records"] = (
        [PY, "-I", "-S", HOOK, "--trail", str(tmp / "ten.jsonl")],
        small,
        env,
    )
    if args.big_trail:
        t0 = time.perf_counter()
        make_big_trail(tmp / "big.jsonl", args.big_trail)
        size = (tmp / "big.jsonl").stat().st_size
        print(f"(made a trail of {args.big_trail:,} records, {size / 1e6:.0f} MB, in {time.perf_counter() - t0:.1f} s)")
        variants[f"hook: Bash Pre, trail of {args.big_trail:,} records"] = (
            [PY, "-I", "-S", HOOK, "--trail", str(tmp / "big.jsonl")],
            small,
            env,
        )
    make_big_trail(tmp / "ten.jsonl", 10)

    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(3):  # warm the page cache and the .pyc files
        for argv, stdin, e in variants.values():
            subprocess.run(argv, input=stdin, capture_output=True, env=e)
    order = list(variants)
    shuffle = random.Random(17).shuffle
    for _ in range(args.runs):
        # A fresh order each round: a variant that always ran right after a heavy one (python -c
        # pass, the 64 KiB event) would pay for the caches that one evicted, in every sample.
        shuffle(order)
        for name in order:
            argv, stdin, e = variants[name]
            t0 = time.perf_counter()
            proc = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
            samples[name].append((time.perf_counter() - t0) * 1000)
            if proc.returncode != 0 or (proc.stderr and "pass" not in name):
                raise SystemExit(f"{name} failed: {proc.stderr.decode()}")

    baseline = statistics.median(samples["python -I -S -c pass (baseline)"])
    print(f"\nhook latency: {args.runs} runs each, rounds in random order, interpreter {PY}")
    print(f"{'variant':<48} {'median':>9} {'p90':>9} {'ratio':>7}")
    for name, xs in samples.items():
        xs.sort()
        med, p90 = statistics.median(xs), xs[int(len(xs) * 0.9)]
        print(f"{name:<48} {med:7.2f}ms {p90:7.2f}ms {med / baseline:6.2f}x")
    red = statistics.median(samples["hook: Read PostToolUse (64 KiB)"])
    nored = statistics.median(samples["hook: Read 64 KiB, redaction off"])
    print(f"\nredaction on a 64 KiB payload costs {red - nored:+.2f} ms ({red / nored:.2f}x the hook without it)")
    if args.big_trail:
        small_t = statistics.median(samples["hook: Bash Pre, trail of 10 records"])
        big_t = statistics.median(samples[f"hook: Bash Pre, trail of {args.big_trail:,} records"])
        print(f"append to a {args.big_trail:,}-record trail vs a 10-record one: {big_t / small_t:.2f}x")
    goal = statistics.median(samples["hook: Bash PreToolUse (small)"]) / baseline
    print(f"goal: typical event <= 1.5x the bare interpreter -> {goal:.2f}x")
    shared = statistics.median(samples["shared: auditkit-hook launcher, Bash Pre (small)"]) / baseline
    print(f"goal, shared form (auditkit-hook launcher): <= 1.5x -> {shared:.2f}x")
    if args.held_runs:
        held_lock(tmp, env, small, args.held_runs, statistics.median(samples["hook: Bash PreToolUse (small)"]))


def held_lock(tmp: Path, env: dict, event: bytes, runs: int, free_ms: float) -> None:
    """The hook's wall time while another process holds the trail's lock (it spills after the bound)."""
    from auditkit.trail.appender import LOCK_WAIT_S

    trail = tmp / "held.jsonl"
    argv = [PY, "-I", "-S", HOOK, "--trail", str(trail)]
    subprocess.run(argv, input=event, capture_output=True, env=env, check=True)
    code = "import fcntl,os,sys,time; fd=os.open(sys.argv[1],os.O_RDWR); fcntl.flock(fd,fcntl.LOCK_EX); print(1,flush=True); time.sleep(3600)"
    holder = subprocess.Popen([PY, "-c", code, str(trail)], stdout=subprocess.PIPE)
    holder.stdout.readline()
    times = []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(argv, input=event, capture_output=True, env=env, check=True)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        holder.kill()
        holder.wait()
    spilled = len(list((tmp / ".spill").glob("held.jsonl.*.json")))
    subprocess.run(argv, input=event, capture_output=True, env=env, check=True)  # the next writer chains them
    left = len(list((tmp / ".spill").glob("held.jsonl.*.json")))
    lines = len(trail.read_bytes().splitlines())
    held = statistics.median(times)
    print(f"\nheld lock ({runs} runs while another process holds it for good; wait bound {LOCK_WAIT_S:g} s):")
    print(
        f"  hook wall time median {held:.1f} ms, max {max(times):.1f} ms; free lock {free_ms:.2f} ms "
        f"({held / free_ms:.0f}x); {spilled} event(s) spilled, {left} left after the next write, "
        f"trail holds {lines} records (expected {runs + 3})"
    )


if __name__ == "__main__":
    main()
