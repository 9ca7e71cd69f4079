"""``auditkit cost --by day`` beside ccusage 20.0.24 (``ccusage daily``) on 215 MB and 1 GB of transcripts.

The transcripts are copies of the real-shaped files in ``tests/fixtures/transcripts`` and
``sample_logs/transcripts`` (Claude Code 1.0's inline sidechains, 2.0's agent files, 2.1's progress lines and
subagent folders, a resumed session), each copy with fresh ids (session, message, request, tool use,
agent, line uuids: nothing in one copy repeats another) and its own day, each file holding its lines
``TURNS`` times over with fresh message ids (real sessions' sizes), so the totals grow with the copies. Both tools are fresh processes run interleaved with medians, spread and peak RSS from the OS
(``benchmarks/harness.py``); their token totals are compared in the same run. ccusage is installed with
npm into a temporary folder (``--prefer-offline``: npm's cache first) and runs with ``--offline``.
Goal: <= 0.7x ccusage's wall time, and the same tokens: input, cache-write and cache-read totals equal to
ccusage's; output tokens equal to :func:`last_copies` (a message written over several lines repeats its id
and request id, and only its last line has the final output count; ccusage counts the first copy, so its
output total is lower by design, and the row says by how much).

    .venv/bin/python benchmarks/table.py --only cost [--quick]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import before  # noqa: E402
from benchmarks.harness import Figure, Row, command, interleaved  # noqa: E402

CCUSAGE = "ccusage@20.0.24"
SOURCES = [ROOT / "tests" / "fixtures" / "transcripts", ROOT / "sample_logs" / "transcripts"]
TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
OURS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
KIT, PEER = "auditkit cost --by day", "ccusage daily"
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIXED = re.compile(rb"\b(msg_|req_|toolu_)([A-Za-z0-9_]+)")
_LINE_IDS = re.compile(rb'"(uuid|parentUuid|leafUuid|promptId|sourceToolAssistantUUID)":"([^"]+)"')
_AGENT = re.compile(rb'("agentId":"|agent-)([0-9a-f]+)')
_DAY = re.compile(rb"\d{4}-\d\d-\d\d(?=T\d\d:\d\d)")


def _fixtures() -> list[tuple[str, bytes]]:
    """Every transcript file of the real-shaped fixtures: (path below a projects folder, bytes)."""
    out = []
    for src in SOURCES:
        for f in sorted(src.rglob("*.jsonl")):
            rel = f.relative_to(src)
            parts = rel.parts[1:] if src.name == "transcripts" and src.parent.name == "fixtures" else rel.parts
            # as Claude Code writes them (JSON.stringify: no spaces); some fixtures are pretty-printed by hand
            lines = f.read_bytes().splitlines()
            out.append(("/".join(parts), b"".join(orjson.dumps(orjson.loads(x)) + b"\n" for x in lines if x.strip())))
    return out


def _fresh(data: bytes, k: int, r: int = 0) -> bytes:
    """Copy ``k``'s bytes, its turn ``r``: session and agent ids made new for the copy, message, request, tool
    use and line ids for the turn (the same id within a copy and turn stays the same), one day a copy."""
    data = _UUID.sub(lambda m: m.group()[:24] + b"%012x" % (int(m.group()[24:], 16) ^ (k << 20)), data)
    data = _AGENT.sub(lambda m: m.group(1) + m.group(2) + b"%06x" % k, data)
    data = _PREFIXED.sub(lambda m: m.group(1) + m.group(2) + b"k%dr%d" % (k, r), data)
    data = _LINE_IDS.sub(lambda m: b'"%s":"%s-k%dr%d"' % (m.group(1), m.group(2), k, r), data)
    day = b"2026-%02d-%02d" % (1 + k // 28 % 12, 1 + k % 28)
    return _DAY.sub(day, data)


#: Turns per session file: each file holds its fixture's lines this many times over (fresh ids each
#: time), so that files have the sizes of real sessions (~100 KB to ~1 MB), not a few KB each.
TURNS = 60


def transcripts(megabytes: int) -> Path:
    """A CLAUDE_CONFIG_DIR whose ``projects`` holds ~``megabytes`` MB of copies, made once and kept."""
    home = Path(tempfile.gettempdir()) / "auditkit-bench" / f"claude-{megabytes}mb-t{TURNS}"
    if (home / "done").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    files, written, k = _fixtures(), 0, 0
    while written < megabytes * 1_000_000:
        for rel, data in files:
            project, _, rest = _fresh(rel.encode(), k).decode().partition("/")
            path = home / "projects" / f"{project}-{k % 40}" / rest  # 40 projects, as on a busy machine
            path.parent.mkdir(parents=True, exist_ok=True)
            body = b"".join(_fresh(data, k, r) for r in range(TURNS))
            path.write_bytes(body)
            written += len(body)
        k += 1
    (home / "done").write_text(str(k))
    return home


def install_ccusage() -> Path | None:
    """ccusage in a temporary folder (once), or None when npm is missing or cannot fetch it."""
    where = Path(tempfile.gettempdir()) / "auditkit-bench" / "ccusage"
    binary = where / "node_modules" / ".bin" / "ccusage"
    if binary.exists():
        return binary
    if not shutil.which("npm"):
        print("npm is not installed: ccusage skipped", file=sys.stderr)
        return None
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefer-offline", CCUSAGE],
        cwd=where,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not binary.exists():
        print(f"could not install {CCUSAGE} with npm: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return binary


def last_copies(projects: Path) -> list[int]:
    """Token totals counted without auditkit, in the order of ``OURS``: every assistant message once per message
    id and request id, with the usage of its last line (files in path order, lines in order). A subagent's
    message copied into a parent's ``agent_progress`` line counts only when no line of its own holds it (the
    spec: the only copy when the subagent's file is missing; the copy is a snapshot taken while it ran)."""
    own: dict[tuple, dict] = {}
    copied: dict[tuple, dict] = {}
    for f in sorted(projects.rglob("*.jsonl")):
        for line in f.read_bytes().splitlines():
            if b'"assistant"' not in line:  # every line counted below holds it
                continue
            rec, into = orjson.loads(line), own
            if rec.get("type") == "progress" and (rec.get("data") or {}).get("type") == "agent_progress":
                rec, into = rec["data"].get("message") or {}, copied
            msg = rec.get("message")
            if rec.get("type") == "assistant" and isinstance(msg, dict) and isinstance(msg.get("usage"), dict):
                into[(msg.get("id"), rec.get("requestId"))] = msg["usage"]
    names = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    usage = [*{**copied, **own}.values()]
    return [sum(int(u.get(k) or 0) for u in usage) for k in names]


def _totals(argv: list[str], env: dict[str, str], kit: bool, cwd: Path = ROOT) -> list[int]:
    out = json.loads(subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=True).stdout)
    if kit:
        return [sum(int(r[k]) for r in out["rows"]) for k in OURS]
    days = out.get("daily") or out.get("data") or []
    return [sum(int(r.get(k, 0)) for r in days) for k in TOKENS]


def rows(quick: bool) -> list[Row]:
    ccusage = install_ccusage()
    out = []
    for mb in [20] if quick else [215, 1024]:
        home = transcripts(mb)
        projects = str(home / "projects")
        env = {**before.env(ROOT), "CLAUDE_CONFIG_DIR": str(home)}
        ours = [sys.executable, "-m", "auditkit", "cost", projects, "--by", "day", "--json"]
        sides = {KIT: command(ours, env=env, cwd=str(ROOT))}
        old = before.tree()
        old_env = {**env, "PYTHONPATH": str(old)}
        if old is not None:
            sides[before.label(KIT)] = command(ours, env=old_env, cwd=str(old))
        theirs = [str(ccusage), "daily", "--json", "--offline"] if ccusage else []
        if ccusage:
            sides[PEER] = command(theirs, env=env)
        figures = interleaved(sides, runs=5)
        size = sum(f.stat().st_size for f in (home / "projects").rglob("*.jsonl"))
        what = f"auditkit cost --by day, {size / 1e6:,.0f} MB of transcripts"
        peer_totals = _totals(theirs, env, kit=False) if ccusage else None
        counted = last_copies(home / "projects")
        out.append(_row(what, figures[KIT], figures.get(PEER), _totals(ours, env, kit=True), peer_totals, counted))
        if old is not None:
            kit, totals = figures[before.label(KIT)], _totals(ours, old_env, kit=True, cwd=old)
            out.append(_row(before.label(what), kit, figures.get(PEER), totals, peer_totals, counted))
    return out


def _row(
    what: str, kit: Figure, peer: Figure | None, totals: list[int], peer_totals: list[int] | None, counted: list[int]
) -> Row:
    if peer is None or peer_totals is None:
        return Row(what, kit.describe(), "ccusage: not installed (npm could not fetch it)", None, GOAL, None)
    ratio = kit.median / peer.median
    return Row(f"{what}; {agreement(totals, peer_totals, counted)}", kit.describe(), f"{peer.label}: {peer.describe()}",
               ratio, GOAL, ratio <= 0.7 and agree(totals, peer_totals, counted))  # fmt: skip


GOAL = "<= 0.7x; input and cache totals = ccusage's, output = last copies"


def agree(totals: list[int], peer_totals: list[int], counted: list[int]) -> bool:
    """Input, cache-write and cache-read totals equal to ccusage's; output equal to the last-copy count."""
    return totals[1] == counted[1] and all(totals[i] == peer_totals[i] for i in (0, 2, 3))


def agreement(totals: list[int], peer_totals: list[int], counted: list[int]) -> str:
    """The row's words on the totals: what differs, and how far ccusage's first-copy output is from the last
    copies'."""
    differ = [
        f"{OURS[i]} {totals[i]:,} vs ccusage {peer_totals[i]:,}" for i in (0, 2, 3) if totals[i] != peer_totals[i]
    ]
    if totals[1] != counted[1]:
        differ.append(f"output_tokens {totals[1]:,} vs {counted[1]:,} counted from last copies")
    gap = peer_totals[1] - counted[1]
    first = f"ccusage's output (first copies) {gap:+,} ({gap / counted[1]:+.1%})" if counted[1] else "no output"
    return (
        "totals differ: " + ", ".join(differ) if differ else "input and cache totals equal, output = last copies"
    ) + (f"; {first}")


if __name__ == "__main__":
    from benchmarks.harness import load_average, table

    print(table(rows("--quick" in sys.argv)))
    print(load_average())
