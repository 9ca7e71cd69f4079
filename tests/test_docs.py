"""The documentation's promises hold: its stand-alone verifiers work, its commands exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES

FORMAT_DOC = (REPO / "docs" / "trail-format.md").read_text()


def code_block(doc: str, lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", doc, re.S).group(1)


def tampered(tmp_path: Path) -> Path:
    """A sample trail with one byte of one field changed."""
    lines = (SAMPLES / "regression-fix" / "audit-trail.jsonl").read_bytes().splitlines(keepends=True)
    assert b'"user":"dev"' in lines[5]
    lines[5] = lines[5].replace(b'"user":"dev"', b'"user":"eve"', 1)
    out = tmp_path / "tampered.jsonl"
    out.write_bytes(b"".join(lines))
    return out


@pytest.mark.parametrize("runner", ["python", "node"])
def test_twenty_line_verifiers_in_the_format_doc_work(tmp_path: Path, runner: str) -> None:
    """A third party's verifier, copied from docs/trail-format.md, accepts a real trail and rejects a tampered one."""
    if runner == "node" and not shutil.which("node"):
        pytest.skip("node is not installed")
    script = tmp_path / ("verify.py" if runner == "python" else "verify.js")
    script.write_text(code_block(FORMAT_DOC, runner if runner == "python" else "js"))
    argv = [sys.executable if runner == "python" else "node", str(script)]
    sample = SAMPLES / "regression-fix" / "audit-trail.jsonl"
    ok = subprocess.run([*argv, str(sample)], capture_output=True, text=True)
    n = len(sample.read_text().splitlines())
    assert ok.returncode == 0 and ok.stdout.strip() == f"intact up to seq {n - 1}", ok.stderr
    bad = subprocess.run([*argv, str(tampered(tmp_path))], capture_output=True, text=True)
    assert bad.returncode != 0 and "line 6: hash mismatch" in bad.stderr
