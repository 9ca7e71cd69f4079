"""What a user waits for on each hook event: the whole hook process, beside the bare interpreter, in the same run.

Claude Code starts the hook once per event, as the installer wrote it into settings.json:
``<python> -I -S hook/auditkit_hook.py`` with the event's JSON on stdin, ``CLAUDE_PROJECT_DIR`` set, and no
``--trail`` (the trail is the project's, ``<project>/.claude/logs/audit-trail.jsonl``). This benchmark runs
it exactly so, as fresh processes (``benchmarks/harness.py``), interleaved with ``python -I -S -c pass``
(A B A B ...), each side fed the same bytes; it reports medians with their spread, peak RSS as the kernel
counted it, and the load average before and after.

Rows: a small Bash PreToolUse (goal <= 1.5x the bare interpreter), a 64 KiB Read (<= 1.8x), and single
payloads up to 10 MB (<= 250 ms each): a Glob listing ~7 MB of paths, one 10 MB string, a 10 MB structure
nested deeper than the trail keeps (2,000 levels), and 200,000 small keys; the small event through the two
command strings ``auditkit install`` writes, run by ``sh -c`` (the absolute form, the shared launcher); and
the small event while another process holds the trail's lock (the hook spills it after its wait bound).

    .venv/bin/python benchmarks/hook_latency.py [--runs 7] [--quick] [--compare OTHER/hook/auditkit_hook.py]

``--compare`` runs another checkout's hook (it finds its own ``auditkit`` beside it) interleaved with this
one on every row, on the same bytes and the same project: before/after figures from the same run. A base checkout:
``git worktree add /tmp/hook-base main`` (``git worktree remove /tmp/hook-base`` when done).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import Figure, Row, Sample, command, interleaved, load_average, seconds, table  # noqa: E402

PY = sys.executable  # what `auditkit install` writes into settings.json (installer.hook_command)
HOOK = str(REPO / "hook" / "auditkit_hook.py")
BIG_GOAL_S = 0.25


def base(event: str, cwd: str, **extra: object) -> dict:
    return {
        "session_id": "bench",
        "transcript_path": "/home/dev/.claude/projects/x/bench.jsonl",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": event,
        **extra,
    }


def small_event(cwd: str, scale: float = 1.0) -> dict:
    return base(
        "PreToolUse",
        cwd,
        tool_name="Bash",
        tool_use_id="toolu_b",
        tool_input={"command": "npm test", "description": "Run the tests"},
    )


def read_64k(cwd: str, scale: float = 1.0) -> dict:
    """A Read of a ~64 KiB config-like file with a few secrets in it: redaction has real work to do."""
    lines: list[str] = []
    i = size = 0
    while size < 64 * 1024 - 200:
        lines.append(f"setting_{i} = value-{i * 7919 % 104729}  # https://docs.example.com/s/{i}")
        if i % 97 == 0:
            lines.append(f"api_token = tok_{i:08d}abcdef{i:06d}")
        size += len(lines[-1]) + 1
        i += 1
    content = "\n".join(lines)
    return base(
        "PostToolUse",
        cwd,
        tool_name="Read",
        tool_use_id="toolu_64",
        tool_input={"file_path": f"{cwd}/settings.ini"},
        tool_response={"type": "text", "file": {"filePath": f"{cwd}/settings.ini", "content": content,
                                                "numLines": len(lines), "startLine": 1, "totalLines": len(lines)}},
    )  # fmt: skip


def glob_paths(n_bytes: int, seed: int = 7) -> list[str]:
    """Paths as a Glob of a big monorepo lists them (``node_modules`` included), ``n_bytes`` of them in all."""
    rng = random.Random(seed)
    dirs = ["src", "lib", "tests", "node_modules/foo/dist", "packages/core/src", "docs/api"]
    out: list[str] = []
    size = 0
    while size < n_bytes:
        i = len(out)
        stem = rng.choice(["index", "util", "main", "types"])
        out.append(f"/home/dev/app/{rng.choice(dirs)}/module_{i}/{stem}_{i}.{rng.choice(['ts', 'js', 'py', 'md'])}")
        size += len(out[-1]) + 4
    return out


def glob_event(cwd: str, scale: float = 1.0) -> dict:
    files = glob_paths(int(7_000_000 * scale))
    return base(
        "PostToolUse",
        cwd,
        tool_name="Glob",
        tool_use_id="toolu_glob",
        tool_input={"pattern": "**/*"},
        tool_response={"filenames": files, "durationMs": 120, "numFiles": len(files), "truncated": False},
    )


def one_string(cwd: str, scale: float = 1.0) -> dict:
    """One 10 MB string: a build log with ``key = value`` lines (no secret)."""
    rng = random.Random(8)
    words = ["alpha", "beta", "gamma", "delta", "config", "value", "path", "=", "\n", "  ", "/usr/lib"]
    text = " ".join(rng.choice(words) for _ in range(int(10_000_000 * scale / 5.3)))
    return base(
        "PostToolUse",
        cwd,
        tool_name="Bash",
        tool_use_id="toolu_s",
        tool_input={"command": "cat build.log"},
        tool_response={"stdout": text, "stderr": "", "interrupted": False},
    )


def deep_structure(cwd: str, scale: float = 1.0, levels: int = 2000) -> dict:
    """A structure nested ``levels`` deep, each level holding a few small records: 10 MB of JSON (as text:
    ``json.dumps`` cannot nest that deep, so :func:`encode` splices it in)."""
    per_level = max(1, int(10_000_000 * scale) // levels // 78)
    parts = []
    for d in range(levels):
        items = [{"id": d * per_level + i, "name": f"item-{i}", "tags": ["a", f"t{i % 7}"], "path": f"/srv/{d}/{i}"}
                 for i in range(per_level)]  # fmt: skip
        parts.append(f'{{"depth":{d},"items":{json.dumps(items)},"child":')
    nested = "".join(parts) + '{"leaf":true}' + "}" * levels
    return base(
        "PostToolUse",
        cwd,
        tool_name="mcp__db__tree",
        tool_use_id="toolu_d",
        tool_input={"q": "tree"},
        tool_response=_Spliced(nested),
    )


class _Spliced(str):
    """JSON text to put in a payload as it is (see :func:`encode`)."""


def encode(payload: dict) -> bytes:
    """A payload's JSON bytes, a :class:`_Spliced` value inserted as raw JSON text."""
    spliced = {k: v for k, v in payload.items() if isinstance(v, _Spliced)}
    text = json.dumps({k: (f"@@{k}@@" if k in spliced else v) for k, v in payload.items()})
    for k, v in spliced.items():
        text = text.replace(json.dumps(f"@@{k}@@"), v, 1)
    return text.encode()


def tiny_keys(cwd: str, scale: float = 1.0) -> dict:
    return base(
        "PostToolUse",
        cwd,
        tool_name="mcp__kv__dump",
        tool_use_id="toolu_k",
        tool_input={"q": "all"},
        tool_response={f"k{i}": i for i in range(int(200_000 * scale))},
    )


#: (workload, payload builder, goal as a ratio to the bare interpreter or None, absolute goal in s or None)
WORKLOADS: list[tuple[str, Callable[[str, float], dict], float | None, float | None]] = [
    ("hook: small Bash PreToolUse", small_event, 1.5, None),
    ("hook: 64 KiB Read PostToolUse", read_64k, 1.8, None),
    ("hook: Glob listing ~7 MB of paths", glob_event, None, BIG_GOAL_S),
    ("hook: one 10 MB string", one_string, None, BIG_GOAL_S),
    ("hook: 10 MB structure, 2,000 levels deep", deep_structure, None, BIG_GOAL_S),
    ("hook: 200,000 small keys", tiny_keys, None, BIG_GOAL_S),
]


class Setup:
    """A user's configuration folder (fingerprint key, pattern cache warmed as `auditkit install` warms it) and
    a project folder, whose trail the hooks write."""

    def __init__(self, root: Path) -> None:
        self.root = root
        cfg = root / "cfg" / "auditkit"
        cfg.mkdir(parents=True, mode=0o700)
        (cfg / "fingerprint.key").write_bytes(b"k" * 32)
        (cfg / "fingerprint.key").chmod(0o600)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "USER": os.environ.get("USER") or "bench",
            "XDG_CONFIG_HOME": str(root / "cfg"),
            "XDG_CACHE_HOME": str(root / "cache"),
        }
        self._warm()

    def _warm(self) -> None:
        """Compile the rules into the cache the hook reads, as `auditkit install` does (in a child: its env)."""
        code = "from auditkit.trail.redaction import warm_cache; warm_cache()"
        import subprocess

        env = {**self.env, "PYTHONPATH": str(REPO)}
        subprocess.run([PY, "-c", code], env=env, check=True)

    def project(self, name: str) -> tuple[str, dict[str, str]]:
        """A project folder and the environment Claude Code gives a hook run in it."""
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        return str(folder), {**self.env, "CLAUDE_PROJECT_DIR": str(folder)}


def hook_side(hook: str, payload: bytes, env: dict[str, str], cwd: str) -> Callable[[], Sample]:
    return command([PY, "-I", "-S", hook], stdin=payload, env=env, cwd=cwd)


def measure(
    runs: int, quick: bool, compare: str | None = None, only: list[str] | None = None
) -> list[tuple[str, dict[str, Figure], float | None, float | None]]:
    """Every workload's figures: the bare interpreter, this hook, and (``compare``) the other hook."""
    out = []
    with tempfile.TemporaryDirectory(prefix="auditkit-hookbench-") as tmp:
        setup = Setup(Path(tmp))
        here, env = setup.project("project")
        floor = command([PY, "-I", "-S", "-c", "pass"], stdin=b"", env=setup.env, cwd=here)
        for name, build, goal_ratio, goal_s in WORKLOADS:
            if only and not any(o in name for o in only):
                continue
            scale = 0.1 if quick and goal_s else 1.0
            mine = encode(build(here, scale))
            if scale != 1.0:
                name = f"{name} at a tenth ({len(mine) / 1e6:.1f} MB, --quick)"
            sides = {"python -I -S -c pass": floor, "hook": hook_side(HOOK, mine, env, here)}
            if compare:  # the same bytes, the same project and trail (one installation, as after an upgrade)
                sides["compare"] = hook_side(compare, mine, env, here)
            print(f"  {name} ({len(mine) / 1e6:.2f} MB) ...", file=sys.stderr, flush=True)
            out.append((name, interleaved(sides, runs=runs), goal_ratio, goal_s))
        small = encode(small_event(here))
        # through sh -c, the floor goes through sh -c too: the shell's start is Claude Code's cost, not the hook's
        sh_floor = command(["/bin/sh", "-c", f"{PY} -I -S -c pass"], stdin=b"", env=setup.env, cwd=here)
        for name, side in forms(setup, small, env, here).items():
            if only and not any(o in name for o in only):
                continue
            print(f"  {name} ...", file=sys.stderr, flush=True)
            sides = {"sh -c 'python -I -S -c pass'": sh_floor, "hook": side}
            out.append((name, interleaved(sides, runs=runs), 1.5, None))
    return out


def forms(setup: Setup, small: bytes, env: dict[str, str], cwd: str) -> dict[str, Callable[[], Sample]]:
    """The small event through the command strings ``auditkit install`` writes, run by ``sh -c`` as Claude Code
    runs a settings.json command: the absolute form, and the shared form (``auditkit-hook`` found on PATH)."""
    from auditkit.installer import hook_command, write_launcher

    launcher = write_launcher(setup.root / "bin", PY)
    on_path = {**env, "PATH": f"{launcher.parent}:{env['PATH']}"}
    return {
        "hook: small event, absolute form through sh -c": command(
            ["/bin/sh", "-c", hook_command(None, PY)], stdin=small, env=env, cwd=cwd
        ),
        "hook: small event, shared form (auditkit-hook launcher) through sh -c": command(
            ["/bin/sh", "-c", hook_command(shared=True)], stdin=small, env=on_path, cwd=cwd
        ),
    }


def held_lock(runs: int = 5) -> Row:
    """The small event while another process holds the trail's lock for good: the hook spills the event and
    returns after its wait bound, instead of making the agent wait; the next write chains what was spilled."""
    import subprocess

    from auditkit.trail.appender import LOCK_WAIT_S

    with tempfile.TemporaryDirectory(prefix="auditkit-hookbench-") as tmp:
        setup = Setup(Path(tmp))
        here, env = setup.project("project")
        small = encode(small_event(here))
        hook = command([PY, "-I", "-S", HOOK], stdin=small, env=env, cwd=here)
        hook()  # the trail exists
        trail = Path(here) / ".claude" / "logs" / "audit-trail.jsonl"
        code = "import fcntl,os,sys,time; fd=os.open(sys.argv[1],os.O_RDWR); fcntl.flock(fd,fcntl.LOCK_EX); print(1,flush=True); time.sleep(3600)"
        holder = subprocess.Popen([PY, "-c", code, str(trail)], stdout=subprocess.PIPE)
        assert holder.stdout is not None
        holder.stdout.readline()
        try:
            held = Figure("held lock", [hook() for _ in range(runs)])
        finally:
            holder.kill()
            holder.wait()
        hook()  # chains the spilled events
        lines = len(trail.read_bytes().splitlines())
    goal = LOCK_WAIT_S + 0.1
    return Row(f"hook: small event, trail locked by another process ({lines} records after, {runs + 3} expected)",
               held.describe(), "-", None, f"<= {seconds(goal)}", held.median <= goal and lines == runs + 3)  # fmt: skip


def described(figure: Figure) -> str:
    """A side's figure: median wall time (spread), peak RSS, and median CPU time (steadier when the machine is busy)."""
    return f"{figure.describe()}, CPU {seconds(figure.cpu)}"


def to_rows(figures: list[tuple[str, dict[str, Figure], float | None, float | None]]) -> list[Row]:
    rows = []
    for name, figs, goal_ratio, goal_s in figures:
        kit = figs["hook"]
        floor = next(f for label, f in figs.items() if label not in ("hook", "compare"))  # the bare interpreter
        where = f"{floor.label}: {described(floor)}"
        if goal_ratio is not None:
            met = kit.median / floor.median <= goal_ratio
            rows.append(Row(name, described(kit), where, kit.median / floor.median, f"<= {goal_ratio}x", met))
        else:
            assert goal_s is not None
            rows.append(Row(name, described(kit), where, kit.median / floor.median, f"<= {seconds(goal_s)}",
                            kit.median <= goal_s))  # fmt: skip
        if "compare" in figs:
            other = figs["compare"]
            said = f"this hook: {kit.median / other.median:.2f}x it (CPU {kit.cpu / other.cpu:.2f}x)"
            rows.append(Row(f"{name}, compared hook", described(other), where, other.median / floor.median, said, None))
    return rows


def rows(quick: bool) -> list[Row]:
    """``make bench``'s rows (``quick``: big payloads at a tenth of their size, 5 runs)."""
    return [*to_rows(measure(5 if quick else 7, quick)), held_lock()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per side and row (at least 5)")
    ap.add_argument("--quick", action="store_true", help="big payloads at a tenth of their size (a smoke run)")
    ap.add_argument("--compare", metavar="HOOK", help="another checkout's hook/auditkit_hook.py, run interleaved")
    ap.add_argument("--only", nargs="+", metavar="WORD", help="only the rows whose name holds one of these words")
    args = ap.parse_args()
    before = load_average()
    figures = measure(max(args.runs, 5), args.quick, args.compare and os.path.abspath(args.compare), args.only)
    found = to_rows(figures)
    if not args.only or any("lock" in o for o in args.only):
        found.append(held_lock())
    print(table(found))
    print(f"\n{PY} -I -S {HOOK}; {max(args.runs, 5)} runs a side, interleaved, 1 warm-up round not counted;")
    print(f"{before} before, {load_average()} after the run.")


if __name__ == "__main__":
    main()
