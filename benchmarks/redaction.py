"""Redaction quality and speed: precision and recall on the labelled corpus, false positives on real code.

1. The labelled corpus (tests/secret_corpus.py): every rule's positives and tricky negatives.
   Recall: planted secrets that no longer appear after redaction. Precision: findings that cover a
   planted secret, over all findings. Goal: recall 100%, precision >= 98%.
2. Real code with no live secrets: the Python standard library's own source (not its tests).
   Every finding there is counted as a false positive; the figure is findings per MB.
3. Speed: redacting that code, MB/s, beside a plain ``str.lower()`` pass over the same text.

    .venv/bin/python benchmarks/redaction.py
"""

from __future__ import annotations

import collections
import statistics
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditkit.redaction import Redactor  # noqa: E402
from tests.secret_corpus import negatives, positives  # noqa: E402


def corpus(r: Redactor) -> None:
    tp = fp = caught = 0
    missed = []
    pos = positives()
    for rule, text, secret in pos:
        out, _ = r.redact_text(text)
        if secret not in out:
            caught += 1
        else:
            missed.append(rule)
        for _, _, _, found in r.findings(text):
            if found in secret or secret in found:
                tp += 1
            else:
                fp += 1
    neg = negatives()
    fp_neg = [(label, f[0]) for label, text in neg for f in r.findings(text)]
    fp += len(fp_neg)
    print(f"labelled corpus: {len(pos)} positives over {len({p[0] for p in pos})} rules, {len(neg)} negatives")
    print(f"  recall    {caught}/{len(pos)} = {caught / len(pos):.1%}" + (f"  missed: {missed}" if missed else ""))
    print(f"  precision {tp}/{tp + fp} = {tp / (tp + fp):.1%}" + (f"  false positives: {fp_neg}" if fp_neg else ""))


def real_code(r: Redactor) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py"))[:400]
    texts = [p.read_text(errors="replace") for p in files]
    size = sum(len(t.encode()) for t in texts) / 1e6
    kinds: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    for path, text in zip(files, texts, strict=True):
        for kind, start, end, _ in r.findings(text):
            kinds[kind] += 1
            examples.setdefault(kind, f"{path.name}: {text[max(0, start - 30) : end + 10]!r}")
    total = sum(kinds.values())
    print(f"\nreal code without secrets: {len(files)} standard-library modules, {size:.1f} MB")
    print(f"  {total} findings = {total / size:.1f} false positives per MB")
    for kind, n in kinds.most_common(6):
        print(f"    {n:4d} {kind:28s} e.g. {examples[kind][:90]}")

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
