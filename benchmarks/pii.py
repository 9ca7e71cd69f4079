"""Personal data (PII): quality on the labelled corpus, false positives on real code, speed at export time and
the hook's cost with its subset on.

1. The labelled corpus (tests/pii_corpus.py): fake values of every kind placed in commands, outputs, file
   contents, JSON keys and values, CSV rows and SQL results, and look-alikes that are none (order numbers,
   versions, timestamps, hashes, phone-shaped ids, UUIDs, port lists...). Recall: positives whose value is
   gone after ``redact`` (outside markers, in any spacing); precision: findings that are the planted value
   of the right kind, over all findings on positives and negatives. Goal: both >= 98%.
2. Real code (the standard library and pandas, line by line, as a trail holds files the agent read): every
   finding of a default kind but e-mail counts as a false positive; e-mail addresses in code are real
   addresses (authors, maintainers) and are counted apart; so are IPs (an option, off by default). Goal:
   <= 0.5 per MB.
3. Speed of the whole set at export time: ``Detector.record`` over trail-like records (commands, outputs,
   file contents, JSON) and over the standard library's files, MB/s. Goal: >= 5 MB/s.
4. The hook's small event (a Bash PreToolUse) with ``[pii] hook = true``, beside ``python -I -S -c pass``
   and beside the hook without a [pii] table, fresh processes interleaved. Goal: <= 1.5x the bare interpreter.

    .venv/bin/python benchmarks/pii.py [--quick]
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditkit.custody.pii import Detector, _strings  # noqa: E402
from auditkit.trail.redaction import Redactor  # noqa: E402
from benchmarks.harness import Row, command, interleaved, ratio_row  # noqa: E402
from tests.pii_corpus import REGIONS, leaked, negatives, positives  # noqa: E402

_NOT_COUNTED = ("pii-email", "pii-ipv4", "pii-ipv6")


def detector(mode: str = "redact", ip: bool = True) -> Detector:
    return Detector(mode, regions=REGIONS, ip=ip, redactor=Redactor(key=b"k" * 32))


def _findings(d: Detector, item: object) -> list[tuple[str, int, int, str]]:
    if isinstance(item, str):
        return d.findings(item)
    return [f for _, context, text in _strings(item, "") for f in d.findings(text, context)]


def corpus() -> tuple[float, float, int, int, dict[str, int]]:
    """(recall, precision, positives, negatives, misses by kind)."""
    d = detector()
    pos, neg = positives(), negatives()
    missed: collections.Counter[str] = collections.Counter()
    tp = fp = 0
    for kind, _, item, value in pos:
        if leaked(value, d.apply_value(item)[0]):
            missed[kind] += 1
        for rid, _, _, found in _findings(d, item):
            same = "".join(c for c in found if c.isalnum()) in "".join(c for c in value if c.isalnum())
            if same and rid == f"pii-{kind}":
                tp += 1
            else:
                fp += 1
    fp += sum(len(_findings(d, item)) for _, item in neg)
    return 1 - sum(missed.values()) / len(pos), tp / max(tp + fp, 1), len(pos), len(neg), dict(missed)


def real_code(quick: bool) -> tuple[float, collections.Counter[str], float]:
    """(MB read, findings by kind, seconds) over the standard library and pandas, line by line."""
    d = detector("report")
    roots = [Path(sysconfig.get_paths()["stdlib"])]
    if not quick:
        roots.append(Path(importlib.util.find_spec("pandas").origin).parent)  # type: ignore[union-attr,arg-type]
    found: collections.Counter[str] = collections.Counter()
    size, spent = 0, 0.0
    for root in roots:
        files = sorted(root.glob("*.py")) if quick else sorted(root.rglob("*.py"))
        for f in files:
            if "site-packages" in f.parts and root.name != "pandas":
                continue
            text = f.read_text(errors="replace")
            size += len(text.encode())
            t0 = time.perf_counter()
            for line in text.splitlines():
                for rid, _, _, _ in d.findings(line):
                    found[rid] += 1
            spent += time.perf_counter() - t0
    return size / 1e6, found, spent


def records(n: int) -> list[dict]:
    """Trail-like records: commands, outputs and file contents (code), JSON results; a few corpus values."""
    code = (REPO / "auditkit" / "loading" / "frame.py").read_text()
    pos = positives()
    out = []
    for i in range(n):
        _, _, item, _ = pos[i % len(pos)]
        out.append(
            {
                "event": "PostToolUse",
                "tool_input": {"command": f"pytest -q tests/test_{i}.py -k 'case_{i}'", "description": "run"},
                "tool_response": {
                    "stdout": f"collected {i} items\n" + "." * 60 + f"\n{i} passed in 0.{i % 97}s\n",
                    "file": {"content": code[(i * 997) % 20000 :][:4000]},
                    "result": item if isinstance(item, dict) else {"text": item},
                },
            }
        )
    return out


def export_speed(quick: bool) -> tuple[float, float]:
    """(MB/s over trail-like records with Detector.record, MB/s over whole standard-library files)."""
    d = detector("redact", ip=False)
    recs = records(300 if quick else 3000)
    size = sum(len(json.dumps(r)) for r in recs)
    t0 = time.perf_counter()
    for r in recs:
        d.record(r)
    rec_speed = size / 1e6 / (time.perf_counter() - t0)
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[: 40 if quick else None]
    texts = [f.read_text(errors="replace") for f in files]
    size = sum(len(t.encode()) for t in texts)
    t0 = time.perf_counter()
    for t in texts:
        d.apply_text(t)
    return rec_speed, size / 1e6 / (time.perf_counter() - t0)


def hook_rows(quick: bool) -> list[Row]:
    from auditkit.installer import hook_script
    from auditkit.trail.redaction import warm_cache

    py = os.path.realpath(sys.executable)
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-pii-bench-"))
    envs = {}
    for name, rules in (("off", None), ("on", "[pii]\nhook = true\n")):
        cfg = tmp / name / "cfg" / "auditkit"
        cfg.mkdir(parents=True, mode=0o700)
        (cfg / "fingerprint.key").write_bytes(b"k" * 32)
        (cfg / "fingerprint.key").chmod(0o600)
        if rules:
            (cfg / "config.toml").write_text(rules)  # config.toml: the hook reads it without tomllib
        envs[name] = {
            **os.environ,
            "XDG_CONFIG_HOME": str(tmp / name / "cfg"),
            "XDG_CACHE_HOME": str(tmp / "cache"),
            "USER": os.environ.get("USER") or "bench",
        }
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    warm_cache()  # as `auditkit install` does
    project = tmp / "project"  # beside the config and cache folders: one inside the project is not the user's
    project.mkdir()
    event = {
        "session_id": "bench",
        "transcript_path": "/home/dev/.claude/projects/x/bench.jsonl",
        "cwd": str(project),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_use_id": "toolu_b",
        "tool_input": {"command": "npm test", "description": "Run the tests"},
    }
    stdin = json.dumps(event).encode()
    hook = [py, "-I", "-S", str(hook_script())]
    sides = {
        "python -I -S -c pass": command([py, "-I", "-S", "-c", "pass"], env=envs["off"]),
        "hook, no [pii]": command([*hook, "--trail", str(tmp / "off.jsonl")], env=envs["off"], stdin=stdin),
        "hook, [pii] hook = true": command([*hook, "--trail", str(tmp / "on.jsonl")], env=envs["on"], stdin=stdin),
    }
    figs = interleaved(sides, runs=15 if quick else 60, warmup=3)
    base, off, on = figs["python -I -S -c pass"], figs["hook, no [pii]"], figs["hook, [pii] hook = true"]
    return [
        ratio_row("pii: hook small event, [pii] hook = true", on, base, 1.5),
        ratio_row("pii: hook small event, no [pii] table", off, base, 1.5),
    ]


_ADDED = """
import time
from auditkit.trail import config
t0 = time.perf_counter()
if MODE == "plain":
    from auditkit.trail.redaction import Redactor
    Redactor.default("/nonexistent").redact_value(EVENT)
elif MODE == "check":
    config.mentions_pii("/nonexistent")
else:
    from auditkit.trail.redaction import Redactor
    config.mentions_pii("/nonexistent")
    from auditkit.trail import pii_hook
    pii_hook.hook_redactor("/nonexistent").redact_value(EVENT)
print((time.perf_counter() - t0) * 1e6)
"""


def added_cost(runs: int) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Medians, in microseconds, in fresh interpreters (-I -S, the hook's flags), interleaved: the hook's
    redaction step on a small event without [pii] (the secret rules); with ``[pii] hook = true`` (the test
    whether a settings file mentions pii, the policy, its module, the same rules plus the hook's kinds); the
    test alone (what every event pays when no file mentions pii). Each as (median, fastest): on a loaded
    machine the fastest run is the better estimate of the work itself."""
    import statistics
    import subprocess

    tmp = Path(tempfile.mkdtemp(prefix="auditkit-pii-added-"))
    envs = {}
    for name, rules in (("plain", ""), ("check", ""), ("pii", "[pii]\nhook = true\n")):
        cfg = tmp / name / "auditkit"
        cfg.mkdir(parents=True, mode=0o700)
        if rules:
            (cfg / "config.toml").write_text(rules)
        (cfg / "fingerprint.key").write_bytes(b"k" * 32)
        (cfg / "fingerprint.key").chmod(0o600)
        envs[name] = {**os.environ, "XDG_CONFIG_HOME": str(tmp / name), "XDG_CACHE_HOME": str(tmp / "cache")}
    event = {"command": "npm test", "description": "Run the tests"}
    got: dict[str, list[float]] = {name: [] for name in envs}
    for _ in range(runs):
        for name, env in envs.items():
            code = f"import sys; sys.path.insert(0, {str(REPO)!r}); EVENT = {event!r}; MODE = {name!r}" + _ADDED
            out = subprocess.run([sys.executable, "-I", "-S", "-c", code], env=env, capture_output=True, text=True)
            got[name].append(float(out.stdout))
    return tuple((statistics.median(got[k]), min(got[k])) for k in ("plain", "check", "pii"))  # type: ignore[return-value]


def rows(quick: bool) -> list[Row]:
    recall, precision, npos, nneg, missed = corpus()
    out = [
        Row(
            f"pii: corpus, {npos} positives / {nneg} look-alikes, 18 kinds x 7 placements",
            f"recall {recall:.1%}, precision {precision:.1%}" + (f" (missed: {missed})" if missed else ""),
            "-",
            None,
            ">= 98% each",
            recall >= 0.98 and precision >= 0.98,
        )
    ]
    mb, found, spent = real_code(quick)
    fps = sum(n for k, n in found.items() if k not in _NOT_COUNTED)
    per_mb = fps / mb
    apart = ", ".join(f"{k} {found[k] / mb:.1f}/MB" for k in _NOT_COUNTED if found[k])
    what = "standard library" + ("" if quick else " + pandas")
    out.append(
        Row(
            f"pii: false positives on real code ({what}, {mb:.0f} MB, line by line)",
            f"{per_mb:.2f} per MB ({fps}: {dict((k, n) for k, n in found.items() if k not in _NOT_COUNTED)}); "
            f"apart: {apart}; {mb / spent:.1f} MB/s",
            "-",
            None,
            "<= 0.5 per MB",
            per_mb <= 0.5,
        )
    )
    rec, whole = export_speed(quick)
    out.append(
        Row(
            "pii: whole set at export time (Detector.record on trail-like records; whole files)",
            f"{rec:.1f} MB/s records; {whole:.1f} MB/s files",
            "-",
            None,
            ">= 5 MB/s",
            min(rec, whole) >= 5,
        )
    )
    (plain, plain_min), (check, _), (pii, pii_min) = added_cost(10 if quick else 40)
    out.append(
        Row(
            "pii: the hook's redaction step on a small event, [pii] hook = true (fresh -I -S interpreters)",
            f"median {pii:.0f} µs ({pii - plain:+.0f} µs over the secret rules alone), fastest {pii_min:.0f} µs "
            f"({pii_min - plain_min:+.0f} µs); without [pii] every event pays {check:.0f} µs for the test",
            f"the secret rules alone: median {plain:.0f} µs, fastest {plain_min:.0f} µs",
            pii / plain,
            "adds under 1 ms (a tenth of python -I -S -c pass)",
            pii_min - plain_min < 1000,
        )
    )
    out += hook_rows(quick)
    return out


if __name__ == "__main__":
    from benchmarks.harness import table

    print(table(rows("--quick" in sys.argv)))
