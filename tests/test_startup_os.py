"""auditkit.trail._startup_os: the hook's os without importing os, agreeing with the real os module."""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, hook_argv, payload

PATHS = [
    "",
    "a",
    "/a",
    "a/b",
    "a/b/",
    "/a//b/../c/./d",
    "//a/b",
    "///a",
    "../x",
    "a/../../b",
    "~",
    "~/x",
    "~root/x",
    "~nobody-such-user/x",
    "/",
    "./",
    "..",
]
JOINS = [["a", "b"], ["a/", "b"], ["a", "/b"], ["", "b"], ["/x", "y", "z/"], ["a", ""]]


def _in_fresh_hook_interpreter(code: str, env: dict | None = None) -> dict:
    prog = f"import sys, json\nsys.path.insert(0, {str(REPO)!r})\nfrom auditkit.trail._startup_os import os\n{code}"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, check=True, env=env
    ).stdout
    return json.loads(out)


def test_the_hook_path_never_imports_os() -> None:
    got = _in_fresh_hook_interpreter(
        "import auditkit.trail.capture, auditkit.trail.redaction, auditkit.trail._startup_re\n"
        "print(json.dumps({'os': 'os' in sys.modules, 'lite': type(os).__name__}))"
    )
    assert got == {"os": False, "lite": "_Os"}


def test_path_functions_agree_with_posixpath(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    env = {"HOME": "/home/someone", "PATH": os.environ.get("PATH", "")}
    code = (
        f"P = {PATHS!r}\nJ = {JOINS!r}\nt = {str(tmp_path)!r}\n"
        "print(json.dumps({'dirname': [os.path.dirname(p) for p in P], 'normpath': [os.path.normpath(p) for p in P],"
        " 'isabs': [os.path.isabs(p) for p in P], 'expanduser': [os.path.expanduser(p) for p in P],"
        " 'join': [os.path.join(*j) for j in J], 'abspath': [os.path.abspath(p) for p in P if p],"
        " 'isfile': [os.path.isfile(t + '/f'), os.path.isfile(t), os.path.isfile(t + '/nope')],"
        " 'isdir': [os.path.isdir(t + '/f'), os.path.isdir(t), os.path.isdir(t + '/nope')],"
        " 'home': os.environ.get('HOME')}))"
    )
    got = _in_fresh_hook_interpreter(code, env={**env, "PWD": str(tmp_path)})
    saved = os.environ.get("HOME")
    os.environ["HOME"] = "/home/someone"
    try:
        want = {
            "dirname": [posixpath.dirname(p) for p in PATHS],
            "normpath": [posixpath.normpath(p) for p in PATHS],
            "isabs": [posixpath.isabs(p) for p in PATHS],
            "expanduser": [posixpath.expanduser(p) for p in PATHS],
            "join": [posixpath.join(*j) for j in JOINS],
        }
    finally:
        if saved is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = saved
    for key, values in want.items():
        assert got[key] == values, key
    assert got["isfile"] == [True, False, False] and got["isdir"] == [False, True, False]
    assert got["home"] == "/home/someone"
    assert all(a.startswith("/") and a == posixpath.normpath(a) for a in got["abspath"])


def test_makedirs_makes_parents_and_gives_the_leaf_its_mode(tmp_path: Path) -> None:
    leaf = tmp_path / "a" / "b" / "c"
    _in_fresh_hook_interpreter(
        f"os.makedirs({str(leaf)!r}, mode=0o700, exist_ok=True)\n"
        f"os.makedirs({str(leaf)!r}, mode=0o700, exist_ok=True)\nprint('{{}}')"
    )
    assert leaf.is_dir() and leaf.stat().st_mode & 0o777 == 0o700
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(REPO)!r})\nfrom auditkit.trail._startup_os import os\nos.makedirs({str(leaf)!r})",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "FileExistsError" in proc.stderr


def test_the_hook_still_flushes_its_stderr_line_when_it_exits_early(tmp_path: Path) -> None:
    """The hook leaves with os._exit: its one stderr line about a failure must still get out."""
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    proc = subprocess.run(
        hook_argv(blocked / "t.jsonl"), input=json.dumps(payload("Stop")).encode(), capture_output=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == b""
    assert proc.stderr.decode().startswith("auditkit hook: ") and proc.stderr.endswith(b"\n")
