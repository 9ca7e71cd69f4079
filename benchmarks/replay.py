"""Replay a 5,000-step session: load, build the timeline, render it as text and as a chart.

Figures are medians of a few runs; the baseline is loading the same trail, measured in the same run.

    .venv/bin/python benchmarks/replay.py [--steps 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditkit.analysis.steps import replay
from auditkit.analysis.versions import history
from auditkit.loading.frame import load
from auditkit.present.render import replay_chart, replay_text
from auditkit.trail import format as tf

TOOLS = ["Read", "Edit", "Bash", "Grep", "Write"]


def make_session(path: Path, steps: int) -> None:
    """A trail holding one session of ``steps`` tool calls (Pre and Post each), written directly."""
    created = "2026-03-17T14:00:00.000000Z"
    line = tf.encode_record(
        0,
        created,
        tf.genesis_hash("bench", created),
        {
            "event": tf.TRAIL_START,
            "status": "info",
            "data": {"trail_id": "bench", "created": created, "previous_segment": None},
        },
    )
    prev, seq, out = line[-67:-3].decode(), 1, [line]
    base = {"session_id": "bench-session", "cwd": "/w", "user": "dev", "host": "h", "agent": "claude-code"}
    for i in range(steps):
        tool = TOOLS[i % len(TOOLS)]
        inp = (
            {"command": f"make step{i}"}
            if tool == "Bash"
            else {"file_path": f"/w/src/m{i % 50}.py", "old_string": "a", "new_string": "b", "content": "x\n"}
        )
        for event, status, extra in (
            ("PreToolUse", "started", {}),
            ("PostToolUse", "ok" if i % 17 else "error", {"duration_ms": 120.0}),
        ):
            secs = i * 2 + (1 if event == "PostToolUse" else 0)
            ts = f"2026-03-17T{14 + secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.000000Z"
            fields = {
                **base,
                "event": event if status != "error" else "PostToolUseFailure",
                "status": status,
                "tool_name": tool,
                "tool_use_id": f"t{i}",
                "tool_input": inp,
                **extra,
            }
            line = tf.encode_record(seq, ts, prev, fields)
            prev, seq = line[-67:-3].decode(), seq + 1
            out.append(line)
    path.write_bytes(b"".join(out))


def timed(fn, runs: int = 3) -> tuple[float, object]:
    xs, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        xs.append(time.perf_counter() - t0)
    return statistics.median(xs), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5000)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp()) / "trail.jsonl"
    make_session(path, args.steps)
    t_load, df = timed(lambda: load(path))
    t_replay, steps = timed(lambda: replay(df, "bench-session"))
    t_text, text = timed(lambda: replay_text(steps))
    t_chart, spec = timed(lambda: replay_chart(steps).to_dict())
    import vl_convert as vlc

    t_svg, svg = timed(lambda: vlc.vegalite_to_svg(spec), runs=1)
    t_hist, hist = timed(lambda: history(df, "/w/src/m1.py"))
    print(f"session of {len(steps):,} steps ({len(df):,} events, {path.stat().st_size / 1e6:.1f} MB), medians:")
    print(f"  load the trail (baseline)        {t_load:6.2f} s")
    print(f"  replay() -> timeline frame       {t_replay:6.2f} s")
    print(f"  render as text                   {t_text:6.2f} s  ({len(text.splitlines()):,} lines)")
    print(f"  render as altair chart (spec)    {t_chart:6.2f} s")
    print(f"  chart to SVG, offline            {t_svg:6.2f} s  ({len(svg) / 1e6:.1f} MB)")
    print(f"  history() of one file       {t_hist:6.2f} s  ({len(hist)} events)")
    total = t_replay + t_text + t_chart + t_svg
    print(f"replay + text + chart + SVG: {total:.2f} s ({total / t_load:.1f}x the load)")


if __name__ == "__main__":
    main()
