"""The code a change started from, for each row's *before* figure, measured in the same run as *after*.

``benchmarks/table.py --before REF`` (``make bench BEFORE=REF``) sets ``AUDITKIT_BENCH_BEFORE``; :func:`tree`
unpacks ``git archive REF`` once into a temporary folder, and a benchmark runs the same command with
``PYTHONPATH`` pointing there (the same interpreter and packages, only auditkit's code differs).
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def ref() -> str | None:
    """The ref named for the before figures, or None (no before rows)."""
    return os.environ.get("AUDITKIT_BENCH_BEFORE") or None


def tree() -> Path | None:
    """The before code, unpacked (once per commit), or None when no ref is named."""
    name = ref()
    if name is None:
        return None
    sha = subprocess.run(["git", "rev-parse", name], cwd=REPO, capture_output=True, text=True, check=True).stdout
    dest = Path(tempfile.gettempdir()) / f"auditkit-before-{sha.strip()[:12]}"
    if not (dest / "auditkit").is_dir():
        data = subprocess.run(["git", "archive", sha.strip()], cwd=REPO, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
    return dest


def env(root: Path) -> dict[str, str]:
    """The environment that runs auditkit from ``root`` (this checkout or the before tree). Run it with
    ``cwd=root`` too: ``python -m`` and ``python -c`` put the working folder first on the path."""
    return {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}


def label(what: str) -> str:
    return f"{what} (before: {ref()})"
