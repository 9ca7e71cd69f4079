"""auditkit.trail._startup_import: the hook loads its own modules straight from cached bytecode only when
importlib itself would accept that bytecode; otherwise importlib loads the source, exactly as before."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, payload, read_records

SOURCE = "auditkit/trail/config.py"  # a module every event loads


def _checkout(tmp_path: Path) -> Path:
    """A copy of the hook and its package with every module's bytecode compiled (as after a first run)."""
    kit = tmp_path / "kit"
    shutil.copytree(
        REPO / "auditkit" / "trail", kit / "auditkit" / "trail", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "auditkit" / "errors.py", kit / "auditkit" / "errors.py")
    (kit / "hook").mkdir()
    shutil.copy(REPO / "hook" / "auditkit_hook.py", kit / "hook" / "auditkit_hook.py")
    for source in (kit / "auditkit" / "trail").glob("*.py"):
        py_compile.compile(str(source), doraise=True)  # timestamp-based, in __pycache__, as importlib writes them
    return kit


def _run(kit: Path, trail: Path) -> subprocess.CompletedProcess:
    event = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "npm test"})
    return subprocess.run(
        [sys.executable, "-I", "-S", str(kit / "hook" / "auditkit_hook.py"), "--trail", str(trail)],
        input=json.dumps(event).encode(),
        capture_output=True,
        timeout=60,
        env=os.environ.copy(),
    )


def _marked(kit: Path, marker: str) -> None:
    """Make config.py announce itself on stderr when it runs (a different size from its compiled bytecode)."""
    source = kit / SOURCE
    source.write_text(source.read_text() + f"\nimport sys as _s\n_s.stderr.write({marker!r})\n")


def test_a_module_edited_after_its_bytecode_was_written_runs_as_edited(tmp_path: Path) -> None:
    kit = _checkout(tmp_path)
    _marked(kit, "EDITED-SOURCE-RAN\n")
    done = _run(kit, tmp_path / "trail.jsonl")
    assert done.returncode == 0 and "EDITED-SOURCE-RAN" in done.stderr.decode()
    assert read_records(tmp_path / "trail.jsonl")[-1]["event"] == "PreToolUse"


def test_current_bytecode_is_what_runs_as_importlib_would_run_it(tmp_path: Path) -> None:
    """The bytecode importlib would accept for the source (same mtime and size in its header) is run: here a
    pyc compiled from an edited source and given the original source's header, the marker shows."""
    kit = _checkout(tmp_path)
    pyc = kit / "auditkit" / "trail" / "__pycache__" / f"config.{sys.implementation.cache_tag}.pyc"
    header = pyc.read_bytes()[:16]
    original = (kit / SOURCE).read_bytes()
    stat = (kit / SOURCE).stat()
    _marked(kit, "CACHED-BYTECODE-RAN\n")
    py_compile.compile(str(kit / SOURCE), doraise=True)
    pyc.write_bytes(header + pyc.read_bytes()[16:])
    (kit / SOURCE).write_bytes(original)
    os.utime(kit / SOURCE, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    done = _run(kit, tmp_path / "trail.jsonl")
    assert done.returncode == 0 and "CACHED-BYTECODE-RAN" in done.stderr.decode()


def test_damaged_or_foreign_bytecode_falls_back_to_the_source(tmp_path: Path) -> None:
    """A pyc with another magic number, or a hash-based one: the source is what runs."""
    kit = _checkout(tmp_path)
    pyc = kit / "auditkit" / "trail" / "__pycache__" / f"config.{sys.implementation.cache_tag}.pyc"
    good = pyc.read_bytes()
    _marked(kit, "")  # the source changes size: an ordinary stale pyc, then the forged ones below
    stat = (kit / SOURCE).stat()
    forged_header = (
        good[:8] + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + stat.st_size.to_bytes(4, "little")
    )
    for name, data in {
        "other magic": b"\0\0\0\0" + forged_header[4:] + good[16:],
        "hash-based": forged_header[:4] + b"\1\0\0\0" + forged_header[8:] + good[16:],
    }.items():
        pyc.write_bytes(data)
        os.utime(kit / SOURCE, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        trail = tmp_path / f"{name}.jsonl"
        done = _run(kit, trail)
        assert done.returncode == 0, name
        assert read_records(trail)[-1]["event"] == "PreToolUse", (name, done.stderr)


def test_the_hook_puts_nothing_of_its_install_on_sys_path(tmp_path: Path) -> None:
    """The package is found through its own __path__: no folder of the install is searched for other modules
    (a json.py beside the package is never imported in place of the standard library's)."""
    kit = _checkout(tmp_path)
    (kit / "fcntl.py").write_text("raise SystemExit('the install folder was searched')\n")
    (kit / "hook" / "fcntl.py").write_text("raise SystemExit('the hook folder was searched')\n")
    trail = tmp_path / "trail.jsonl"
    done = _run(kit, trail)
    assert done.returncode == 0 and b"searched" not in done.stderr
    assert read_records(trail)[-1]["event"] == "PreToolUse"


def test_truncated_current_bytecode_fails_open_as_importlib_does(tmp_path: Path) -> None:
    """A pyc whose header is current but whose code is cut short: importlib itself raises on it (it does not
    recompile), so the hook does as it always did: says why on stderr, records nothing, exits 0."""
    kit = _checkout(tmp_path)
    pyc = kit / "auditkit" / "trail" / "__pycache__" / f"config.{sys.implementation.cache_tag}.pyc"
    pyc.write_bytes(pyc.read_bytes()[:100])
    done = _run(kit, tmp_path / "trail.jsonl")
    assert done.returncode == 0 and "auditkit hook: cannot load auditkit" in done.stderr.decode()


def test_extension_modules_are_the_files_importlib_finds(tmp_path: Path) -> None:
    """The standard library's extension modules the finder names directly are the very files importlib loads
    in the hook's interpreter (-I -S), and it leaves them alone on any other sys.path."""
    probe = (
        "import sys\n"
        f"root = {str(REPO)!r}\n"
        "for name in ('auditkit', 'auditkit.trail'):\n"
        "    sys.modules[name] = p = type(sys)(name); p.__path__ = [root + '/' + name.replace('.', '/')]\n"
        "from auditkit.trail import _startup_import\n"
        "if sys.argv[2] == 'other-path': sys.path.insert(0, root)\n"
        "if sys.argv[1] == 'finder': _startup_import.install()\n"
        "import _json, fcntl, binascii\n"
        "from auditkit.trail._startup_hash import sha256\n"
        "mods = [sys.modules[n] for n in ('_json', 'fcntl', 'binascii', sha256.__module__)]\n"
        "answered = [isinstance(m.__spec__.loader, type(_json.__spec__.loader)) for m in mods]\n"
        "print(json.dumps([[m.__file__ for m in mods], bool(_startup_import._dynload), answered]))\n"
    ).replace("import sys\n", "import json, sys\n", 1)

    def files(*argv: str) -> list:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", probe, *argv], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    plain, used, _ = files("plain", "hook-path")
    assert not used and all("/lib-dynload/" in f for f in plain)
    assert files("finder", "hook-path") == [plain, True, [True] * 4]  # named directly, the same files
    assert files("finder", "other-path")[:2] == [plain, False]  # another sys.path: importlib's own search


def test_the_hooks_modules_load_through_the_package_as_importlib_sets_them_up(tmp_path: Path) -> None:
    """In the hook's process ``from auditkit.trail import x`` is answered by the package (its ``__getattr__``): each
    module comes from its current bytecode with the attributes importlib's loader gives (in the same order), sits in
    ``sys.modules`` and on the package, and importlib's search never runs for it; under ``-X importtime`` importlib
    loads them, so its report lists them all. A module whose bytecode is stale still comes from its source."""
    kit = _checkout(tmp_path)
    _marked(kit, "EDITED-SOURCE-RAN\n")
    probe = (
        "import json, sys\n"
        f"root = {str(kit)!r}\n"
        "for name in ('auditkit', 'auditkit.trail'):\n"
        "    sys.modules[name] = p = type(sys)(name); p.__path__ = [root + '/' + name.replace('.', '/')]\n"
        "from auditkit.trail import _startup_import\n"
        "import importlib._bootstrap as b\n"
        "searched = []\n"
        "find = b._find_and_load\n"
        "b._find_and_load = lambda name, imp: searched.append(name) or find(name, imp)\n"
        "_startup_import.install()\n"
        "from auditkit.trail import _startup_hash, _startup_os, capture, redaction  # as _startup_import.run\n"
        "redaction.Redactor().findings('x' * 5000 + ' token=' + 'Ab1' * 9)\n"
        "pkg = sys.modules['auditkit.trail']\n"
        "out = {}\n"
        "for name, m in sys.modules.items():\n"
        "    if name.startswith('auditkit.trail.'):\n"
        "        leaf = name.rsplit('.', 1)[1]\n"
        "        out[leaf] = [list(vars(m))[:8], m.__spec__.name == name, m.__file__, m.__cached__ == m.__spec__.cached,\n"
        "                     m.__loader__ is m.__spec__.loader, m.__package__, getattr(pkg, leaf, None) is m]\n"
        "print(json.dumps([out, [n for n in searched if n.startswith('auditkit')]]))\n"
    )

    def run(*flags: str) -> tuple[dict, list, str]:
        done = subprocess.run([sys.executable, "-I", "-S", *flags, "-c", probe], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return (*json.loads(done.stdout), done.stderr)

    modules, searched, stderr = run()
    assert "EDITED-SOURCE-RAN" in stderr and searched == ["auditkit.trail.config"]  # stale: importlib, its source
    assert {"capture", "redaction", "redact_checks", "redact_scan", "_startup_re", "config"} <= set(modules)
    folder = str(kit / "auditkit" / "trail")
    reference = modules["_startup_import"][0]  # loaded by importlib, as every module was before
    for leaf, (keys, named, file, cached, loader, package, on_package) in modules.items():
        assert keys == reference and named and cached and loader and on_package, leaf
        assert file == f"{folder}/{leaf}.py" and package == "auditkit.trail", leaf
    _, searched, stderr = run("-X", "importtime")
    assert "auditkit.trail.capture" in stderr and "auditkit.trail.redact_checks" in stderr
