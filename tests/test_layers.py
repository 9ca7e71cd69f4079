"""The layers hold: the installed hook loads only the standard library and ``auditkit.trail``; the import
contracts of ``pyproject.toml`` are kept, and an upward import breaks them; a function-level import inside
the package says why it is there (start-up time or an optional extra, never a circle)."""

from __future__ import annotations

import ast
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from auditkit.installer import install, settings_path
from tests.conftest import REPO, payload, read_records

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _installed_hook(project: Path, trail: Path) -> list[str]:
    """The command ``auditkit install`` wrote into the project's settings, as argv."""
    install(project=project, trail=str(trail))
    doc = json.loads(settings_path(project, False, "claude-code").read_text())
    commands = {h["command"] for entries in doc["hooks"].values() for e in entries for h in e.get("hooks", [])}
    (command,) = commands
    return shlex.split(command)


def _imported(stderr: str) -> list[str]:
    """The modules ``-X importtime`` reports, in import order."""
    return [
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and not line.rstrip().endswith("imported package")
    ]


def _outside_the_hooks_world(module: str) -> bool:
    if module == "auditkit" or module == "auditkit.trail" or module.startswith("auditkit.trail."):
        return False
    return module.split(".")[0] not in sys.stdlib_module_names


def test_the_installed_hook_loads_only_the_standard_library_and_auditkit_trail(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    argv = _installed_hook(tmp_path, trail)
    assert argv[1:3] == ["-I", "-S"] and argv[3].endswith("auditkit_hook.py")
    event = payload(
        "PostToolUse",
        tool_name="Bash",
        tool_use_id="toolu_1",
        tool_input={"command": "git status", "description": "status"},
        tool_response={"stdout": "On branch main\nnothing to commit", "stderr": "", "interrupted": False},
    )
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        input=json.dumps(event).encode(),
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0
    modules = _imported(done.stderr.decode())
    assert "auditkit.trail.capture" in modules and "auditkit.trail.redaction" in modules  # it did its work
    assert [r["event"] for r in read_records(trail)][-1] == "PostToolUse"
    assert [m for m in modules if _outside_the_hooks_world(m)] == []


def test_the_hook_import_check_names_a_module_from_outside(tmp_path: Path) -> None:
    """The check above can fail: a hook that imports a third-party package or another layer is caught."""
    stderr = "import time:       120 |        120 | auditkit.loading.frame\nimport time:  3 |  3 | orjson\n"
    assert [m for m in _imported(stderr) if _outside_the_hooks_world(m)] == ["auditkit.loading.frame", "orjson"]
    assert not any(_outside_the_hooks_world(m) for m in ("posix", "encodings.utf_8", "auditkit.trail"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300, env={"PATH": ""}
    )


def test_the_import_contracts_are_kept() -> None:
    done = _lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    """A copy of the package where the trail (the hook's world) reaches up into the frame layer."""
    shutil.copytree(REPO / "auditkit", tmp_path / "auditkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    appender = tmp_path / "auditkit" / "trail" / "appender.py"
    appender.write_text(appender.read_text() + "\nfrom auditkit.loading.frame import load  # noqa\n")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert "auditkit.trail.appender -> auditkit.loading.frame" in done.stdout
    assert "The hook's world (auditkit.trail) imports no third-party package BROKEN" in done.stdout


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("auditkit")) or (
                isinstance(node, ast.Import) and node.names[0].name.startswith("auditkit")
            ):
                pass
            else:
                continue
            said = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith("#")
            if not said:
                found.append((node.lineno, lines[node.lineno - 1].strip()))
    return found


def test_every_function_level_import_inside_the_package_says_why() -> None:
    unexplained = {
        str(p.relative_to(REPO)): found
        for p in sorted((REPO / "auditkit").rglob("*.py"))
        if (found := _function_level_imports(p))
    }
    assert unexplained == {}


def test_the_module_map_and_the_architecture_doc_show_every_module() -> None:
    """README's layout names every module of a layer and every folder (a folder inside a layer, such as
    ``readers/``, is described as a whole); docs/architecture.md names every layer."""
    readme = (REPO / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    architecture = (REPO / "docs" / "architecture.md").read_text()
    for path in sorted((REPO / "auditkit").rglob("*.py")):
        rel = path.relative_to(REPO / "auditkit")
        if path.name == "__init__.py" and len(rel.parts) > 1:
            assert f"  {rel.parts[-2]}/" in layout, f"README's layout misses {rel.parent}/"
            if len(rel.parts) == 2:
                assert f"`{rel.parts[0]}/`" in architecture, f"docs/architecture.md misses {rel.parent}/"
        elif len(rel.parts) <= 2 and not path.name.startswith("_startup_") and path.name != "__main__.py":
            assert f"  {path.name} " in layout, f"README's layout misses {rel}"


def test_no_module_inside_the_package_imports_the_package_root() -> None:
    """``auditkit/__init__.py`` (the public names, loaded lazily from every layer) sits above every layer: a
    module importing it reaches up past import-linter's layers (``__version__`` is ``auditkit._version``)."""
    reaching = []
    for path in sorted((REPO / "auditkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.ImportFrom) and node.module == "auditkit" and not node.level) or (
                isinstance(node, ast.Import) and any(a.name == "auditkit" for a in node.names)
            ):
                reaching.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert reaching == []
