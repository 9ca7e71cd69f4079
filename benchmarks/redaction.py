"""Redaction quality and speed: recall and precision on the labelled corpus, false positives on real code.

1. The labelled corpus (tests/secret_corpus.py). Recall: every positive placed where secrets occur
   in a tool call (command, stdout, Write/MultiEdit content, MCP JSON, a JSON key, base64 in a
   Kubernetes Secret, a value over 1 MiB), put through the hook's own path (``capture.shape``:
   trim, redact, cap), counted caught when the secret is nowhere in the record. Precision: findings
   on the positives' texts that cover the planted secret, over all findings on positives and negatives.
   Goal: 100% both (every positive is a secret in a shape the rules know; every negative a look-alike).
2. Real code with no live secrets: the standard library's modules and two large installed packages
   (pandas, numpy). Every finding there is counted as a false positive. Goal: <= 0.5 per MB.
3. Secrets in shapes no rule listed before issue #30 (tests/secret_adversarial.py, generated per seed), each
   piped through the real hook as a subprocess: how many reach the trail whole or in part. Goal: none.
4. Speed: redacting the standard-library modules, MB/s, beside a plain ``str.lower()`` pass.

``rows(quick)`` gives the first three as rows of ``make bench``'s table (benchmarks/table.py); ``--quick``
takes a quarter of the placed positives, the standard library only and one seed.

    .venv/bin/python benchmarks/redaction.py [--quick]
"""

from __future__ import annotations

import collections
import importlib.util
import statistics
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditkit.trail import capture  # noqa: E402
from auditkit.trail.redaction import Redactor  # noqa: E402
from benchmarks.harness import Row  # noqa: E402
from tests.secret_adversarial import cases as adversarial_cases  # noqa: E402
from tests.secret_adversarial import hook_leaks  # noqa: E402
from tests.secret_corpus import leaked, negatives, placed, positives  # noqa: E402

HOOK = str(REPO / "hook" / "auditkit_hook.py")


def corpus(r: Redactor, quick: bool = False) -> dict[str, float]:
    """Recall over the placed positives (through ``capture.shape``), precision over positives and negatives."""
    opts = capture.Options(None, capture.DEFAULT_MAX_FIELD_BYTES, True)
    cases = placed()[:: 4 if quick else 1]
    missed: collections.Counter[str] = collections.Counter()
    by_place: collections.Counter[str] = collections.Counter()
    for rule, placement, payload, secret in cases:
        fields = capture.shape(payload, opts, len(str(payload)), r)
        if leaked(secret, fields):
            missed[f"{rule}@{placement}"] += 1
        by_place[placement] += 1
    caught = len(cases) - sum(missed.values())
    tp = fp = 0
    pos = positives()
    for _rule, text, secret in pos:
        for _, _, _, found in r.findings(text):
            if found in secret or secret in found:
                tp += 1
            else:
                fp += 1
    neg = negatives()
    fp_neg = [(label, f[0]) for label, text in neg for f in r.findings(text)]
    fp += len(fp_neg)
    rules = {p[0] for p in pos}
    print(
        f"labelled corpus: {len(pos)} secrets over {len(rules)} rule ids, {len(cases)} placed positives, {len(neg)} negatives"
    )
    print("  placements: " + ", ".join(f"{k} {v}" for k, v in sorted(by_place.items())))
    print(
        f"  recall    {caught}/{len(cases)} = {caught / len(cases):.1%}"
        + (f"  missed: {dict(missed)}" if missed else "")
    )
    print(f"  precision {tp}/{tp + fp} = {tp / (tp + fp):.1%}" + (f"  false positives: {fp_neg}" if fp_neg else ""))
    return {
        "placed": len(cases),
        "caught": caught,
        "rule_ids": len({c[0] for c in cases}),
        "tp": tp,
        "fp": fp,
        "negatives": len(neg),
    }


def _package_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py"))


def real_code(r: Redactor, quick: bool = False, speed: bool = True) -> dict[str, float]:
    """Findings on the standard library, pandas and numpy (every one a false positive), and the speed."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py"))[:400]
    texts = [p.read_text(errors="replace") for p in files]
    size = sum(len(t.encode()) for t in texts) / 1e6
    print("\nreal code without secrets (every finding counted as a false positive):")
    all_found = all_mb = 0.0
    sources = [(f"{len(files)} standard-library modules", files)]
    if not quick:
        sources += [
            ("pandas (all its .py files)", _package_files("pandas")),
            ("numpy (all its .py files)", _package_files("numpy")),
        ]
    for label, paths in sources:
        kinds: collections.Counter[str] = collections.Counter()
        examples: dict[str, str] = {}
        mb = 0.0
        for path in paths:
            text = path.read_text(errors="replace")
            mb += len(text.encode()) / 1e6
            for kind, start, end, _ in r.findings(text):
                kinds[kind] += 1
                examples.setdefault(kind, f"{path.name}: {text[max(0, start - 30) : end + 10]!r}")
        total = sum(kinds.values())
        all_found += total
        all_mb += mb
        print(f"  {label}: {mb:.1f} MB, {total} findings = {total / max(mb, 1e-9):.2f} per MB")
        for kind, n in kinds.most_common(4):
            print(f"    {n:4d} {kind:28s} e.g. {examples[kind][:90]}")
    print(
        f"  all: {all_mb:.1f} MB, {all_found:.0f} findings = {all_found / all_mb:.2f} false positives per MB (goal <= 0.5)"
    )
    figures = {"findings": all_found, "mb": all_mb, "sources": len(sources)}
    if not speed:
        return figures

    runs_r, runs_l = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        for t in texts:
            r.redact_text(t)
        runs_r.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in texts:
            t.lower()
        runs_l.append(time.perf_counter() - t0)
    red, low = statistics.median(runs_r), statistics.median(runs_l)
    print(
        f"\nspeed over the same {size:.1f} MB (median of 5): redact_text {size / red:.0f} MB/s, "
        f"str.lower {size / low:.0f} MB/s ({red / low:.0f}x)"
    )
    print("hook latency with and without redaction on a 64 KiB payload: benchmarks/hook_latency.py")
    return figures


def adversarial(seeds: list[int]) -> dict[str, int]:
    """The adversarial set through the real hook (a subprocess per case): cases, and those leaked whole or in part."""
    whole = part = n = 0
    for seed in seeds:
        got = hook_leaks(HOOK, seed)
        n += len(adversarial_cases(seed))
        whole += len(got["whole"])
        part += len(got["part"])
        print(
            f"adversarial set, seed {seed}: {len(got['whole'])} whole, {len(got['part'])} in part"
            + "".join(f"\n  {x}" for x in got["whole"] + got["part"])
        )
    return {"cases": n, "whole": whole, "part": part}


def rows(quick: bool) -> list[Row]:
    """``make bench``'s rows: corpus recall and precision, false positives per MB of real code, the adversarial set."""
    r = Redactor(key=b"benchmark fingerprint key.......")
    c = corpus(r, quick)
    code = real_code(r, quick, speed=False)
    adv = adversarial([7] if quick else [7, 8])
    recall = c["caught"] / c["placed"]
    precision = c["tp"] / (c["tp"] + c["fp"])
    per_mb = code["findings"] / code["mb"]
    where = "standard library" if quick else "standard library, pandas, numpy"
    leaks = adv["whole"] + adv["part"]
    return [
        Row(
            f"redaction recall: {c['placed']} placed positives over {c['rule_ids']} rule ids",
            f"{c['caught']}/{c['placed']} = {recall:.1%}",
            "-",
            None,
            "100%",
            recall == 1.0,
        ),
        Row(
            f"redaction precision: positives and {c['negatives']} look-alike negatives",
            f"{c['tp']}/{c['tp'] + c['fp']} = {precision:.1%}",
            "-",
            None,
            "100%",
            precision == 1.0,
        ),
        Row(
            f"false positives on real code ({where}, {code['mb']:.1f} MB)",
            f"{code['findings']:.0f} = {per_mb:.2f} per MB",
            "-",
            None,
            "<= 0.5 per MB",
            per_mb <= 0.5,
        ),
        Row(
            f"unlisted shapes through the real hook ({adv['cases']} cases, issue #30)",
            f"{adv['whole']} whole, {adv['part']} in part",
            "-",
            None,
            "none",
            leaks == 0,
        ),
    ]


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a quarter of the corpus, the standard library only")
    args = ap.parse_args()
    r = Redactor(key=b"benchmark fingerprint key.......")
    corpus(r, args.quick)
    real_code(r, args.quick)


if __name__ == "__main__":
    main()
