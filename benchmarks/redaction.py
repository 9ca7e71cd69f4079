"""Redaction quality and speed: recall and precision on the labelled corpus, false positives on real code.

1. The labelled corpus (tests/secret_corpus.py). Recall: every positive placed where secrets occur
   in a tool call (command, stdout, Write/MultiEdit content, MCP JSON, a JSON key, base64 in a
   Kubernetes Secret, a value over 1 MiB), put through the hook's own path (``capture.shape``:
   trim, redact, cap), counted caught when the secret is nowhere in the record. Precision: findings
   on the positives' texts that cover the planted secret, over all findings on positives and negatives.
   Goal: recall >= 99%, precision >= 99%.
2. Real code with no live secrets: the standard library's modules and two large installed packages
   (pandas, numpy). Every finding there is counted as a false positive. Goal: <= 0.5 per MB.
3. Speed: redacting the standard-library modules, MB/s, beside a plain ``str.lower()`` pass.

    .venv/bin/python benchmarks/redaction.py
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
from tests.secret_corpus import leaked, negatives, placed, positives  # noqa: E402


def corpus(r: Redactor) -> None:
    opts = capture.Options(None, capture.DEFAULT_MAX_FIELD_BYTES, True)
    cases = placed()
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


def _package_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py"))


def real_code(r: Redactor) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py"))[:400]
    texts = [p.read_text(errors="replace") for p in files]
    size = sum(len(t.encode()) for t in texts) / 1e6
    print("\nreal code without secrets (every finding counted as a false positive):")
    all_found = all_mb = 0.0
    for label, paths in (
        (f"{len(files)} standard-library modules", files),
        ("pandas (all its .py files)", _package_files("pandas")),
        ("numpy (all its .py files)", _package_files("numpy")),
    ):
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


def main() -> None:
    r = Redactor(key=b"benchmark fingerprint key.......")
    corpus(r)
    real_code(r)


if __name__ == "__main__":
    main()
