"""`auditkit cost --by day` beside ccusage 20.0.24 (`ccusage claude daily`) on the same transcripts.

The folders (default 200 MB and 1 GB) hold Claude Code transcripts of the real shape (see
benchmarks/transcripts.py), spread over days, with 2.1's progress lines and subagent messages seen
in agent_progress lines. Each command runs as its own process; wall time and peak RSS (of the
process and its children) are medians over --runs, in the same run for both tools, and the token
totals of both are compared. ccusage is installed with npm into a temporary folder when npm is
there (skipped with a note otherwise); it runs with --offline so it never fetches prices.

    .venv/bin/python benchmarks/cost.py [--mb 200 1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.transcripts import _session  # noqa: E402

CCUSAGE = "ccusage@20.0.24"
TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def make_folder(projects: Path, megabytes: int, seed: int = 11) -> int:
    """Sessions over 30 days; every fifth assistant message also appears in an agent_progress line."""
    rng = random.Random(seed)
    project = projects / "-home-dev-app"
    project.mkdir(parents=True)
    written = n = 0
    while written < megabytes << 20:
        sid = f"{rng.getrandbits(32):08x}-aaaa-4bbb-8ccc-{n:012d}"
        day = f"2026-03-{1 + n % 30:02d}"
        out = []
        for i, line in enumerate(_session(rng, sid, rng.randint(200, 600))):
            line = {**line, "timestamp": line["timestamp"].replace("2026-03-11", day), "version": "2.1.130"}
            out.append(line)
            if line["type"] == "assistant" and i % 10 == 1:
                out.append(
                    {
                        "type": "progress",
                        "sessionId": sid,
                        "uuid": f"{line['uuid']}-p",
                        "timestamp": line["timestamp"],
                        "parentToolUseID": "toolu_task",
                        "data": {"type": "bash_progress", "output": "....", "elapsedTimeSeconds": 1},
                    }
                )
        data = b"".join(orjson.dumps(x) + b"\n" for x in out)
        (project / f"{sid}.jsonl").write_bytes(data)
        written += len(data)
        n += 1
    return n


def run(argv: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the process tree, stdout) of one command in a fresh process."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "s = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'s': s, 'rss': rss, 'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-2000:]}))\n"
    )
    got = json.loads(
        subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, check=True).stdout
    )
    if got["rc"] != 0:
        raise SystemExit(f"{argv[0]} failed: {got['err']}")
    return got["s"], got["rss"], got["out"]


def install_ccusage() -> Path | None:
    if not shutil.which("npm"):
        print("npm is not installed: ccusage skipped")
        return None
    where = Path(tempfile.mkdtemp(prefix="ccusage-"))
    proc = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", CCUSAGE], cwd=where, capture_output=True, text=True
    )
    binary = where / "node_modules" / ".bin" / "ccusage"
    if proc.returncode != 0 or not binary.exists():
        print(f"could not install {CCUSAGE} with npm: ccusage skipped ({proc.stderr.strip()[-200:]})")
        return None
    return binary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, nargs="+", default=[200, 1024])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ccusage = install_ccusage()
    auditkit = [str(Path(sys.executable).with_name("auditkit"))]
    for mb in args.mb:
        home = Path(tempfile.mkdtemp(prefix="auditkit-cost-"))
        t0 = time.perf_counter()
        files = make_folder(home / "projects", mb)
        size = sum(p.stat().st_size for p in home.rglob("*.jsonl"))
        print(f"\n{files} transcript files, {size / 1e6:,.0f} MB (made in {time.perf_counter() - t0:.0f} s)")
        env = {**os.environ, "CLAUDE_CONFIG_DIR": str(home), "NO_COLOR": "1"}
        commands = {"auditkit cost --by day": [*auditkit, "cost", str(home / "projects"), "--by", "day", "--json"]}
        if ccusage:
            commands["ccusage claude daily"] = [str(ccusage), "claude", "daily", "--json", "--offline"]
        results = {}
        for name, argv in commands.items():
            runs = [run(argv, env) for _ in range(args.runs)]
            results[name] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                json.loads(runs[0][2]),
            )
        ours = results["auditkit cost --by day"][2]["rows"]
        totals = {
            "auditkit cost --by day": [
                sum(r[k] for r in ours)
                for k in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
            ]
        }
        if ccusage:
            theirs = results["ccusage claude daily"][2]
            rows = theirs.get("daily") or theirs.get("data") or []
            totals["ccusage claude daily"] = [sum(int(r.get(k, 0)) for r in rows) for k in TOKENS]
        print(f"{'command':<26} {'wall':>8} {'peak RSS':>10}   tokens (input, output, cache write, cache read)")
        base = results.get("ccusage claude daily", results["auditkit cost --by day"])[0]
        for name, (s, rss, _) in results.items():
            print(f"{name:<26} {s:7.2f}s {rss:8.0f}MB   {totals[name]}  ({s / base:.2f}x ccusage)")
        if ccusage:
            same = totals["auditkit cost --by day"] == totals["ccusage claude daily"]
            print(f"token totals {'agree' if same else 'DIFFER'}")
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
