"""load() on a folder of Claude Code transcripts (default 1 GB): time, peak RSS and rows, beside a plain parse.

The folder holds transcript files of the real shape (see tests/fixtures/transcripts/): a prompt,
then assistant messages whose usage repeats on each content-block line, tool_use and tool_result
lines (Read results carry a few KiB of file content, as real ones do), and a subagent file now
and then. Each measurement runs in a fresh subprocess, so its peak RSS is its own. The baseline is
``orjson.loads`` of every line of the same files, in the same run.

    .venv/bin/python benchmarks/transcripts.py [--mb 1024] [--runs 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import measure  # noqa: E402

BODIES = {
    "orjson.loads per line (baseline)": "import orjson, pathlib\nn = sum(1 for p in pathlib.Path({path!r}).rglob("
    "'*.jsonl') for line in open(p, 'rb') if orjson.loads(line))",
    "auditkit.load()": "import warnings, auditkit\nwarnings.simplefilter('ignore')\nn = len(auditkit.load({path!r}))",
}


def _session(rng: random.Random, sid: str, calls: int) -> list[dict]:
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/dev/app",
        "sessionId": sid,
        "version": "2.0.49",
        "gitBranch": "main",
    }
    lines: list[dict] = [
        {
            **base,
            "type": "user",
            "uuid": f"{sid}-u0",
            "timestamp": "2026-03-11T10:00:00.000Z",
            "message": {"role": "user", "content": "Fix the failing tests in src/"},
        }
    ]
    for i in range(calls):
        ts = f"2026-03-11T{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        tool = rng.choice(["Read", "Bash", "Edit", "Grep"])
        inp = {"file_path": f"/home/dev/app/src/m{i % 90}.py"} if tool in ("Read", "Edit") else {"command": "pytest -q"}
        if tool == "Edit":
            inp |= {"old_string": "x = 1", "new_string": "x = 2"}
        usage = {
            "input_tokens": rng.randint(1, 50),
            "output_tokens": rng.randint(20, 400),
            "cache_creation_input_tokens": rng.randint(0, 3000),
            "cache_read_input_tokens": rng.randint(0, 90000),
        }
        msg = {
            "id": f"msg_{sid[:8]}_{i}",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "stop_reason": None,
            "usage": usage,
        }
        tid = f"toolu_{sid[:8]}_{i}"
        for block in (
            {"type": "text", "text": "Let me look at that."},
            {"type": "tool_use", "id": tid, "name": tool, "input": inp},
        ):
            lines.append(
                {
                    **base,
                    "type": "assistant",
                    "uuid": f"{sid}-a{i}-{block['type']}",
                    "timestamp": ts,
                    "requestId": f"req_{sid[:8]}_{i}",
                    "message": {**msg, "content": [block]},
                }
            )
        body = "\n".join(f"    line_{k} = compute({k}, {i})" for k in range(rng.randint(20, 160)))
        lines.append(
            {
                **base,
                "type": "user",
                "uuid": f"{sid}-r{i}",
                "timestamp": ts,
                "message": {
                    "role": "user",
                    "content": [
                        {"tool_use_id": tid, "type": "tool_result", "content": body, "is_error": rng.random() < 0.05}
                    ],
                },
                "toolUseResult": {"stdout": body[:2000], "stderr": "", "interrupted": False},
            }
        )
    return lines


def make_folder(folder: Path, megabytes: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    project = folder / "-home-dev-app"
    project.mkdir(parents=True)
    written = n = 0
    while written < megabytes << 20:
        sid = f"{rng.getrandbits(32):08x}-aaaa-4bbb-8ccc-{n:012d}"
        data = b"".join(orjson.dumps(line) + b"\n" for line in _session(rng, sid, rng.randint(200, 600)))
        (project / f"{sid}.jsonl").write_bytes(data)
        written += len(data)
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="auditkit-transcripts-"))
    files = make_folder(folder, args.mb)
    size = sum(p.stat().st_size for p in folder.rglob("*.jsonl"))
    print(f"transcripts: {files} files, {size / 1e6:,.0f} MB")
    measure(BODIES, folder, args.runs, baseline="orjson.loads per line (baseline)")
    for p in folder.rglob("*.jsonl"):
        p.unlink()


if __name__ == "__main__":
    main()
