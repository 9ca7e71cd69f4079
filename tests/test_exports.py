"""The public API: every exported name is the documented function or class, whatever was imported before."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import auditkit
from tests.conftest import REPO


def test_every_exported_name_is_an_object_not_a_module() -> None:
    for name in auditkit.__all__:
        value = getattr(auditkit, name)
        assert not isinstance(value, types.ModuleType), f"auditkit.{name} is a module"
    for module in (
        "loading.frame",
        "analysis.views",
        "analysis.steps",
        "analysis.versions",
        "analysis.pricing",
        "custody.verify",
        "custody.seals",
        "custody.secrets",
        "present.render",
        "present.explorer",
        "analysis.transcripts",
        "trail.redaction",
        "custody.segments",
        "custody.retention",
        "outbound.exporting",
        "analysis.sqlquery",
        "loading.flat",
        "loading.usage_scan",
        "_version",
        # the layers themselves: a subpackage named like an export would shadow it (why loading/ is not load/)
        "trail",
        "store",
        "loading",
        "custody",
        "analysis",
        "present",
        "outbound",
    ):
        importlib.import_module(f"auditkit.{module}")  # importing submodules must not shadow an export
    for name in auditkit.__all__:
        assert not isinstance(getattr(auditkit, name), types.ModuleType), f"auditkit.{name} became a module"


def test_importing_auditkit_does_not_import_pandas() -> None:
    """The hook imports auditkit's standard-library modules; the package itself must stay light."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); import auditkit, auditkit.trail.capture; "
        "print(auditkit.__file__.startswith(sys.path[0]), 'pandas' in sys.modules, 'typing' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False", "False"]


@pytest.mark.parametrize("argv", [["--help"], ["summary", "--help"], ["otel-receive", "--help"], ["detect", "--help"]])
def test_the_command_line_starts_without_pandas_or_pyarrow(argv: list[str]) -> None:
    """Every command builds its parser before it runs: that must not load pandas or pyarrow (~0.35 s, and
    pyarrow's allocator threads in a receiver that counts its threads)."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); sys.argv = ['auditkit', *{argv!r}]\n"
        "from auditkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'pandas' in sys.modules, 'pyarrow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED False False"
