"""Wire the hook into Claude Code's settings, take it out again, and check that it really runs.

``install`` merges one command hook per event into a settings file, keeping every other hook and
setting, idempotently, with a backup of the previous file. ``uninstall`` removes exactly the
entries whose command runs auditkit's hook. ``doctor`` answers the question users ask most: is the
hook wired, can it run, and does a test event land in the trail?
"""

from __future__ import annotations

import ast
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from auditkit.errors import AuditkitError, SettingsError, UnsafePath
from auditkit.trail import appender, config, private_files, provenance, trust
from auditkit.trail import format as tf
from auditkit.trail.private_files import loose_modes, write_atomic
from auditkit.trail.redaction import rule_file_warnings, user_rules_file, warm_cache

HOOK_FILE = "auditkit_hook.py"
HOOK_TIMEOUT_S = 10


def hook_script() -> Path:
    """The hook file: ``hook/`` of a source checkout, else the copy shipped inside the wheel."""
    pkg = Path(__file__).resolve().parent
    for candidate in (pkg.parent / "hook" / HOOK_FILE, pkg / "_hook" / HOOK_FILE):
        if candidate.is_file():
            return candidate
    raise AuditkitError(f"cannot find {HOOK_FILE} next to {pkg} (is auditkit installed completely?)")


@dataclass(frozen=True)
class Agent:
    """Where an agent keeps its hooks, and which of its events auditkit registers (tool events get matcher ``*``)."""

    name: str
    folder: str  # the project's (and the user's home's) settings folder
    file: str  # the file in it that holds ``hooks``
    events: tuple[str, ...]
    tool_events: tuple[str, ...]


#: The agents ``install --agent`` knows. Codex and Gemini CLI run command hooks with Claude Code's wire format
#: (JSON on stdin); Gemini's event names are mapped onto the trail's by the hook (``capture.AGENT_EVENTS``).
AGENTS = {
    "claude-code": Agent("claude-code", ".claude", "settings.json", tf.HOOK_EVENTS, tf.TOOL_EVENTS),
    "codex": Agent("codex", ".codex", "hooks.json",
                   ("SessionStart", "PreToolUse", "PermissionRequest", "PostToolUse", "UserPromptSubmit", "Stop",
                    "PreCompact", "PostCompact"), ("PreToolUse", "PermissionRequest", "PostToolUse")),
    "gemini": Agent("gemini", ".gemini", "settings.json",
                    ("SessionStart", "SessionEnd", "BeforeAgent", "AfterAgent", "BeforeModel", "AfterModel",
                     "BeforeTool", "AfterTool", "Notification"), ("BeforeTool", "AfterTool")),
}  # fmt: skip


def hook_command(
    trail: str | None = None, python: str | None = None, agent: str = "claude-code", shared: bool = False
) -> str:
    """The shell command the agent runs: the real interpreter, isolated (-I -S), and the hook. ``shared``: the
    portable form for a committed settings file, ``auditkit-hook [options]``, which each teammate's shell finds
    on their PATH (their own launcher, written by ``auditkit install --shared``: see :func:`write_launcher`)."""
    parts = [LAUNCHER] if shared else [python or sys.executable, "-I", "-S", str(hook_script())]
    if trail:
        parts += ["--trail", trail]
    if agent != "claude-code":
        parts += ["--agent", agent]
    return shlex.join(parts)


def is_ours(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    command = str(entry.get("command", ""))
    return HOOK_FILE in command or command.split(" ", 1)[0] == LAUNCHER


# --- the portable form: a launcher on each teammate's PATH ------------------------------------------

#: The command a shared (committed) settings file names; each machine's own launcher answers to it.
LAUNCHER = "auditkit-hook"
#: Linux reads at most this many bytes of a ``#!`` line (older kernels: 127).
_SHEBANG_MAX = 255


def launcher_text(python: str, root: str) -> str:
    """The launcher's whole text: ``#!<python> -IS`` (isolated, no site: what the hook's start-up budget
    allows, and no ``PYTHONPATH`` from a project's settings ``env`` can put another ``auditkit`` first),
    then the hook's few lines with the ``auditkit`` it runs named by absolute path."""
    return (
        f"#!{python} -IS\n"
        f"# {LAUNCHER}: auditkit's hook for this machine, written by `auditkit install --shared`. A project's\n"
        f"# committed settings name `{LAUNCHER}`; each teammate's shell finds their own launcher on PATH.\n"
        "import gc\n"
        "gc.disable()  # one event a process: the cycle collector would only cost time\n"
        "import posix\n"
        "import sys\n"
        f"sys.path.insert(0, {root!r})\n"
        "for name in ('auditkit', 'auditkit.trail'):  # the packages without their __init__, as the hook file\n"
        "    package = type(sys)(name)\n"
        f"    package.__path__ = [{root!r} + '/' + name.replace('.', '/')]\n"
        "    sys.modules[name] = package\n"
        "try:\n"
        "    from auditkit.trail.capture import main\n"
        "except BaseException as exc:  # a broken install must not break the agent either\n"
        f'    sys.stderr.write(f"{LAUNCHER}: cannot load auditkit: {{exc}} (nothing recorded)\\n")\n'
        "    sys.exit(0)\n"
        "status = main()\n"
        "for stream in (sys.stdout, sys.stderr):\n"
        "    try:\n"
        "        stream.flush()\n"
        "    except BaseException:\n"
        "        pass\n"
        "posix._exit(status)\n"
    )


def parse_launcher(text: str) -> tuple[str, str] | None:
    """(python, root) of a launcher exactly as :func:`launcher_text` writes it, else None (a shim, a script
    someone else wrote, an older launcher): doctor runs only what it recognises."""
    first = text.split("\n", 1)[0]
    if not first.startswith("#!") or not first.endswith(" -IS"):
        return None
    python = first[2:-4]
    marker = "sys.path.insert(0, "
    at = text.find(marker)
    if at < 0:
        return None
    try:  # the literal is parsed, never run
        root = ast.literal_eval(text[at + len(marker) : text.index(")\n", at)])
    except (ValueError, SyntaxError):
        return None
    if not isinstance(root, str) or launcher_text(python, root) != text:
        return None
    return python, root


def package_root() -> Path:
    """The folder holding the ``auditkit`` package that is running (a checkout or site-packages)."""
    return Path(__file__).resolve().parent.parent


def write_launcher(bin_dir: str | os.PathLike[str] | None = None, python: str | None = None) -> Path:
    """Write ``auditkit-hook`` into ``bin_dir`` (default: the folder of the ``auditkit`` command that runs, as
    found on PATH, e.g. pipx's ``~/.local/bin``; else this interpreter's scripts folder), running this auditkit
    with ``python`` (default: this interpreter)."""
    ran = sys.argv[0] if sys.argv and os.path.basename(sys.argv[0]) == "auditkit" else ""
    folder = Path(bin_dir or (os.path.dirname(ran) if os.path.isabs(ran) else sysconfig.get_path("scripts")))
    python = python or sys.executable
    if not os.path.isabs(python) or any(c.isspace() for c in python) or len(python) + 6 > _SHEBANG_MAX:
        raise SettingsError(
            f"{python!r} cannot start a #! line (relative, a space in it, or longer than {_SHEBANG_MAX - 6} "
            "characters): use `auditkit install --local`, which writes the absolute form for this machine only"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LAUNCHER
    write_atomic(str(folder.resolve() / LAUNCHER), launcher_text(python, str(package_root())).encode(), 0o755)
    return path


def settings_path(
    project: str | os.PathLike[str] | None = None, user: bool = False, agent: str = "claude-code", local: bool = False
) -> Path:
    """The file that holds the agent's hooks: ``<project>/.claude/settings.json``, ``.codex/hooks.json``, ...;
    ``local``: Claude Code's ``.claude/settings.local.json`` (this machine's, not committed)."""
    a = _agent(agent)
    base = Path.home() if user else Path(project or os.getcwd()).resolve()
    if local:
        if agent != "claude-code" or user:
            raise SettingsError("--local is Claude Code's project file .claude/settings.local.json")
        return base / a.folder / "settings.local.json"
    return base / a.folder / a.file


def _agent(name: str) -> Agent:
    if name not in AGENTS:
        raise SettingsError(f"unknown agent {name!r}: use one of {', '.join(AGENTS)}")
    return AGENTS[name]


def read_settings(path: Path) -> dict:
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); fix or move it, then retry") from exc
    if not isinstance(doc, dict):
        raise SettingsError(f"{path}:1: settings must be a JSON object")
    return doc


def _write_settings(path: Path, doc: dict) -> Path | None:
    """Write atomically, keeping a timestamped backup of the previous file; return the backup."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = path.with_name(f"{path.name}.auditkit-backup-{stamp}")
        shutil.copy2(path, backup)

    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644  # settings keep their mode
    real = path.parent.resolve() / path.name  # a linked settings folder (dotfiles) is fine; a linked temp file is not
    write_atomic(str(real), (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(), mode)
    return backup


@dataclass
class Change:
    """What install or uninstall did to one settings file."""

    path: Path
    changed: bool
    backup: Path | None = None
    events: list[str] = field(default_factory=list)
    launcher: Path | None = None  # install --shared: the auditkit-hook written for this machine


def merge_hooks(doc: dict, command: str, agent: str = "claude-code") -> tuple[dict, list[str]]:
    """Return ``doc`` with auditkit's hook on every event of the agent, and the events that changed."""
    a = _agent(agent)
    hooks = doc.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsError("'hooks' in the settings is not an object")
    changed: list[str] = []
    for event in a.events:
        groups = hooks.setdefault(event, [])
        ours = [h for g in groups if isinstance(g, dict) for h in g.get("hooks", []) if is_ours(h)]
        if ours and all(h.get("command") == command for h in ours):
            continue
        if ours:  # installed before with another interpreter or trail: update in place
            for h in ours:
                h["command"] = command
                h.setdefault("type", "command")
                h.setdefault("timeout", HOOK_TIMEOUT_S)
        else:
            group: dict = {"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}]}
            if event in a.tool_events:
                group = {"matcher": "*", **group}
            groups.append(group)
        changed.append(event)
    return doc, changed


def remove_hooks(doc: dict) -> tuple[dict, list[str]]:
    """Return ``doc`` without auditkit's hook entries (and the containers they alone filled)."""
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        return doc, []
    changed: list[str] = []
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for g in groups:
            if not isinstance(g, dict) or not any(is_ours(h) for h in g.get("hooks", [])):
                kept_groups.append(g)
                continue
            rest = [h for h in g["hooks"] if not is_ours(h)]
            if rest:
                kept_groups.append({**g, "hooks": rest})
        if len(kept_groups) != len(groups) or kept_groups != groups:
            changed.append(event)
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
    if changed and not hooks:
        del doc["hooks"]
    return doc, changed


def install(
    project: str | os.PathLike[str] | None = None,
    user: bool = False,
    trail: str | None = None,
    python: str | None = None,
    agent: str = "claude-code",
    local: bool = False,
    shared: bool = False,
    bin_dir: str | os.PathLike[str] | None = None,
) -> Change:
    """Merge auditkit's hook into the project's (or the user's) settings of ``agent`` (claude-code, codex,
    gemini); idempotent, keeps every other setting.

    The default writes this machine's absolute interpreter and hook paths: right for ``user`` settings and
    ``local`` (``.claude/settings.local.json``, not committed), wrong for a committed file a teammate clones.
    ``shared`` writes the portable ``auditkit-hook`` command instead, and this machine's launcher for it into
    ``bin_dir`` (each teammate runs ``auditkit install --shared`` once; ``auditkit doctor`` says if it resolves)."""
    if shared and local:
        raise SettingsError("--shared and --local exclude each other: the local file is this machine's")
    path = settings_path(project, user, agent, local)
    launcher = write_launcher(bin_dir, python) if shared else None
    doc = read_settings(path)
    doc, events = merge_hooks(doc, hook_command(trail, python, agent, shared), agent)
    if python in (None, sys.executable):  # the hook's interpreter can use what this one compiles
        warm_cache()
    if not events:
        return Change(path, False, launcher=launcher)
    return Change(path, True, _write_settings(path, doc), events, launcher)


def uninstall(
    project: str | os.PathLike[str] | None = None, user: bool = False, agent: str = "claude-code", local: bool = False
) -> Change:
    """Remove exactly the hook entries auditkit added to the agent's settings."""
    path = settings_path(project, user, agent, local)
    if not path.exists():
        return Change(path, False)
    doc, events = remove_hooks(read_settings(path))
    if not events:
        return Change(path, False)
    return Change(path, True, _write_settings(path, doc), events)


# --- doctor ------------------------------------------------------------------------------------


@dataclass
class Check:
    level: str  # ok, warn, fail
    message: str


def _settings_files(project: Path) -> list[Path]:
    return [
        Path.home() / ".claude" / "settings.json",
        project / ".claude" / "settings.json",
        project / ".claude" / "settings.local.json",
    ]


def _hook_trail(command: str, project: Path) -> Path:
    """Where a registered hook command writes: its own ``--trail`` (read from its argv, not the command string's
    characters), else the project's trail."""
    argv, _ = recognise_hook(command, project)
    return _trail_of(argv or [], project)


def _trail_of(argv: list[str], project: Path) -> Path:
    """Where the hook writes, as doctor runs it: its ``--trail``, else the project's trail (doctor passes no
    guarded variable, ``AUDITKIT_TRAIL`` included)."""
    trail = None
    for i, arg in enumerate(argv):
        if arg == "--trail" and i + 1 < len(argv):
            trail = argv[i + 1]
        elif arg.startswith("--trail="):
            trail = arg.split("=", 1)[1]
    return Path(config.resolve_trail(trail, str(project)))


def _inside(path: str, folder: Path) -> bool:
    real = os.path.realpath(path)
    root = str(folder.resolve())
    return real == root or real.startswith(root.rstrip("/") + "/")


#: The options the hook takes (``capture.parse_options``): each with whether it takes a value.
_HOOK_OPTIONS = {"--trail": True, "--agent": True, "--max-field-bytes": True, "--no-redact": False}


def recognise_hook(command: str, project: Path) -> tuple[list[str] | None, str]:
    """The argv of a settings command that is auditkit's hook as ``install`` writes it, or None and why not.

    ``<python> -I -S <.../auditkit_hook.py> [--trail P] [--agent A] [--max-field-bytes N] [--no-redact]``,
    split as a shell would (``shlex``) but never given to one: anything else (``;``, ``&&``, ``$(...)``,
    redirections, other words) is refused, and so is an interpreter or hook file inside the project (a
    repository could ship a ``python`` or an ``auditkit`` package of its own beside a copied hook file).
    """
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return None, f"cannot split it as the shell would ({exc})"
    if argv[:1] == [LAUNCHER]:  # the portable form: its options are checked below, the launcher by resolve_launcher
        why = _hook_options(argv[1:])
        return (None, why) if why else (argv, "")
    if len(argv) < 4 or argv[1:3] != ["-I", "-S"] or not argv[3].endswith("/" + HOOK_FILE):
        return None, f"not `<python> -I -S <path>/{HOOK_FILE} [options]`"
    interpreter, script = argv[0], argv[3]
    if not os.path.isabs(interpreter) or not os.path.basename(interpreter).startswith("python"):
        return None, f"the interpreter {interpreter!r} is not an absolute path to a python"
    for what, path in (("interpreter", interpreter), ("hook file", script)):
        if _inside(path, project):
            return None, f"the {what} {path} is inside the project: a repository could have shipped it"
    why = _hook_options(argv[4:])
    return (None, why) if why else (argv, "")


def _hook_options(rest: list[str]) -> str:
    """Why ``rest`` is not a list of the hook's own options ("" when it is)."""
    i = 0
    while i < len(rest):
        name = rest[i].split("=", 1)[0]
        if name not in _HOOK_OPTIONS:
            return f"{rest[i]!r} is not an option of the hook"
        i += 1 if "=" in rest[i] or not _HOOK_OPTIONS[name] else 2
    if i > len(rest):
        return f"{rest[-1]!r} needs a value"
    return ""


def resolve_launcher(project: Path, path_env: str | None = None) -> tuple[list[str] | None, list[Check]]:
    """Does ``auditkit-hook`` resolve on this machine, as Claude Code's shell would find it on ``PATH``? Each
    step is checked by reading files, never by running them: the command found (not inside the project, not a
    version-manager shim or another script), its interpreter (there, a real one), and the ``auditkit`` it runs.
    Returns the launcher's argv prefix to run (the interpreter, -I -S, the launcher) when every step holds."""
    found = shutil.which(LAUNCHER, path=os.environ.get("PATH", os.defpath) if path_env is None else path_env)
    if found is None:
        return None, [
            Check(
                "fail",
                f"`{LAUNCHER}` (the project's shared hook command) is not on your PATH: Claude Code would record "
                f"nothing for you. Run `auditkit install --shared --project {project}` (it writes your own "
                f"launcher beside your `auditkit`), and make sure that folder is on PATH",
            )
        ]
    found = os.path.abspath(found)
    if _inside(found, project):
        return None, [
            Check("fail", f"`{LAUNCHER}` resolves to {found}, inside the project: a repository could ship it")
        ]
    try:
        with open(found, "rb") as fh:
            text = fh.read(8192).decode("utf-8", errors="replace")
    except OSError as exc:
        return None, [Check("fail", f"`{LAUNCHER}` resolves to {found}, which cannot be read: {exc}")]
    parsed = parse_launcher(text)
    if parsed is None:
        first = text.split("\n", 1)[0][:120]
        shim = "sh" in first.rsplit("/", 1)[-1] or "env" in first
        return None, [
            Check(
                "fail",
                f"`{LAUNCHER}` resolves to {found} ({first!r}), not a launcher `auditkit install --shared` wrote"
                + (" (a version-manager shim? ~100 ms per call)" if shim else "")
                + f": not run. Run `auditkit install --shared --project {project}`",
            )
        ]
    python, root = parsed
    out = [Check("ok", f"`{LAUNCHER}` resolves to {found} on your PATH")]
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        return None, [*out, Check("fail", f"{found} starts {python}, which is missing or not executable: "
                                          "run `auditkit install --shared` again")]  # fmt: skip
    with open(python, "rb") as fh:
        if fh.read(2) == b"#!":
            return None, [*out, Check("fail", f"{found} starts {python}, a script, not an interpreter")]
    if not os.path.isfile(os.path.join(root, "auditkit", "trail", "capture.py")):
        return None, [*out, Check("fail", f"{found} runs the auditkit in {root}, which is not there (moved or "
                                          "uninstalled?): run `auditkit install --shared` again")]  # fmt: skip
    if _inside(root, project) or _inside(python, project):
        return None, [*out, Check("fail", f"{found} runs a python or an auditkit inside the project")]
    out.append(Check("ok", f"its interpreter {python} is there, and auditkit is importable from {root}"))
    return [python, "-I", "-S", found], out


def settings_env(path: Path, doc: dict) -> list[Check]:
    """What a settings file's ``env`` block would hand the hook: Claude Code passes it to hooks. A guarded
    variable there is ignored by the hook unless the user's ``allow-env`` names it; doctor never passes it."""
    env = doc.get("env")
    if not isinstance(env, dict):
        return []
    out = []
    for name, value in env.items():
        if name in config.GUARDED_ENV:
            out.append(
                Check(
                    "warn",
                    f"{path}: env sets {name}={str(value)[:80]!r} ({config.GUARDED_ENV[name]}): Claude Code passes "
                    "it to the hook, which ignores it unless your allow-env names it and records that it was set; "
                    "doctor does not pass it",
                )
            )
        elif name == "PATH":
            out.append(
                Check(
                    "warn",
                    f"{path}: env sets PATH={str(value)[:80]!r}: Claude Code's shell looks up `{LAUNCHER}` there; "
                    "doctor resolves it on your own PATH",
                )
            )
        elif name in ("XDG_CONFIG_HOME", "HOME", "CLAUDE_PROJECT_DIR"):
            out.append(
                Check(
                    "warn",
                    f"{path}: env sets {name}={str(value)[:80]!r}: where auditkit looks for your settings; a config "
                    "folder inside the project is never used for approvals, allow-env or your rules",
                )
            )
    return out


def trust_checks(project: Path) -> list[Check]:
    """The project's auditkit files and whether they apply (approved as they are), the user's allow-env, and
    rules shaped for catastrophic backtracking."""
    out = []
    for path in trust.project_files(str(project)):
        ok, said = trust.status(path, str(project))
        out.append(Check("ok" if ok else "warn", said if ok else f"ignored: {said}"))
        out += [Check("warn", w) for w in rule_file_warnings(path) if path.endswith(config.PROJECT_RULES_FILE)]
    user_rules = user_rules_file(str(project))
    if user_rules:
        out += [Check("warn", w) for w in rule_file_warnings(user_rules)]
    allowed = trust.allowed_env(str(project))
    allow_file = os.path.join(trust.user_dir(str(project)), trust.ALLOW_ENV_FILE)
    if os.path.lexists(allow_file) and not allowed:
        out.append(
            Check(
                "warn",
                f"{allow_file} allows nothing: it names no guarded variable, or it is a link, not yours, or "
                "writable by others (chmod 600 it)",
            )
        )
    if allowed:
        folder = trust.user_dir(str(project))
        out.append(
            Check(
                "warn",
                f"{folder}/{trust.ALLOW_ENV_FILE} lets these variables change the hook: {', '.join(sorted(allowed))} "
                "(records name them under data.auditkit_trust.overrides)",
            )
        )
    return out


#: Where Claude Code reads managed (enterprise) settings, which can forbid user and project hooks.
MANAGED_SETTINGS = (
    Path("/etc/claude-code/managed-settings.json"),
    Path("/Library/Application Support/ClaudeCode/managed-settings.json"),
)


def doctor(
    project: str | os.PathLike[str] | None = None, managed: list[str | os.PathLike[str]] | None = None
) -> list[Check]:
    """Is the hook wired for every event, runnable, fast, and does a test event land? And can it run at all:
    ``disableAllHooks`` in any settings file, managed ``allowManagedHooksOnly``, a matcher that skips tools,
    or a settings file whose ``hooks`` is not an object are failures (``auditkit doctor`` exits 1).
    ``managed``: managed settings files (default :data:`MANAGED_SETTINGS`)."""
    proj = Path(project or os.getcwd()).resolve()
    checks: list[Check] = []
    commands: dict[str, set[str]] = {}
    managed_files = [Path(p) for p in (managed if managed is not None else MANAGED_SETTINGS)]
    ours_managed = False
    for path in [*_settings_files(proj), *managed_files]:
        is_managed = path in managed_files
        try:
            doc = read_settings(path)
        except SettingsError as exc:
            checks.append(Check("fail", str(exc)))
            continue
        checks += settings_env(path, doc)
        if doc.get("disableAllHooks") is True:
            checks.append(Check("fail", f"{path}: disableAllHooks is true: no hook runs, auditkit's neither"))
        if is_managed and doc.get("allowManagedHooksOnly") is True:
            checks.append(
                Check(
                    "fail",
                    f"{path}: allowManagedHooksOnly is true: only managed hooks run (put "
                    "auditkit's hook in the managed settings)",
                )
            )
        if "hooks" in doc and not isinstance(doc["hooks"], dict):
            checks.append(
                Check(
                    "fail",
                    f"{path}: 'hooks' is {type(doc['hooks']).__name__}, not an object: it shadows "
                    "the hooks of every other settings file",
                )
            )
        hooks = hooks_raw if isinstance(hooks_raw := doc.get("hooks"), dict) else {}
        for event, groups in hooks.items():
            for g in groups if isinstance(groups, list) else []:
                for h in g.get("hooks", []) if isinstance(g, dict) else []:
                    if is_ours(h):
                        ours_managed = ours_managed or is_managed
                        commands.setdefault(h["command"], set()).add(event)
                        if event in tf.TOOL_EVENTS and g.get("matcher") not in (None, "", "*"):
                            checks.append(
                                Check(
                                    "fail",
                                    f"{path}: {event} only matches {g.get('matcher')!r}: "
                                    "calls of other tools are not recorded",
                                )
                            )
    if ours_managed:
        checks = [c for c in checks if "allowManagedHooksOnly" not in c.message]
    checks += trust_checks(proj)
    if not commands:
        checks.append(
            Check("fail", f"no auditkit hook in {', '.join(map(str, _settings_files(proj)))}: run `auditkit install`")
        )
        return checks
    wired = set().union(*commands.values())
    missing = [e for e in tf.HOOK_EVENTS if e not in wired]
    if missing:
        checks.append(Check("warn", f"hook not registered for: {', '.join(missing)} (run `auditkit install`)"))
    else:
        checks.append(Check("ok", f"hook registered for all {len(tf.HOOK_EVENTS)} events"))
    aside = "; ".join(f"{e} ({why})" for e, why in tf.NOT_REGISTERED.items() if e not in wired)
    if aside:
        checks.append(Check("ok", f"not observed, on purpose: {aside}"))
    for command in commands:
        checks.extend(provenance_checks(_hook_trail(command, proj)))  # before the test event: the hook acts on it
        checks.extend(_check_command(command, proj))
    return checks


def provenance_checks(trail: Path) -> list[Check]:
    """Is the trail this installation's? A link on the way to it, a trail or segment without this installation's
    mark, and files already set aside as foreign (trails, spill files, segments) are named."""
    out: list[Check] = []
    try:
        os.close(private_files.open_dir(str(trail.parent), create=False))
    except UnsafePath as exc:
        return [Check("fail", f"{exc}: the hook refuses to write there (a repository's link into another trail?)")]
    except OSError:
        return out  # no trail folder yet: the hook makes one
    key = appender.installation_key(create=False)
    try:
        fd = private_files.open_file(str(trail), os.O_RDONLY)
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            head = tf.first_line(fd) if os.fstat(fd).st_size else None
        finally:
            os.close(fd)
        if head is None:
            why = None
        elif key is None:
            why = "there is no installation key yet, so this installation has written no trail"
        else:
            why = appender.foreign_reason(key, head)
        if why:
            out.append(
                Check(
                    "warn",
                    f"{trail} was not created by this installation ({why}): the hook will not continue it; it "
                    f"sets it aside and starts a new trail. If it is yours (written before marks), run "
                    f"`auditkit adopt {trail}` first",
                )
            )
        elif head is not None and key is not None:
            out.append(Check("ok", f"{trail} was created by this installation (its start carries its mark)"))
    aside = provenance.set_aside_trails(str(trail)) + [f".spill/{n}" for n in provenance.foreign_spills(str(trail))]
    stem = trail.name.removesuffix(".jsonl")
    aside += sorted(p.name for p in trail.parent.glob(f"{glob.escape(stem)}.*.jsonl*.foreign"))
    if aside:
        out.append(
            Check(
                "warn",
                f"set aside beside {trail} as not created by this installation (kept as evidence, never chained): "
                + ", ".join(aside),
            )
        )
    return out


def _check_command(command: str, project: Path) -> list[Check]:
    out: list[Check] = []
    argv, why = recognise_hook(command, project)
    if argv is None:
        return [Check("fail", f"not run: {command!r} is not auditkit's hook as `auditkit install` writes it: {why}")]
    if argv[0] == LAUNCHER:
        prefix, said = resolve_launcher(project)
        if prefix is None:
            return said
        out += said
        argv = [*prefix, *argv[1:]]
    interpreter, script = argv[0], argv[3]
    if not (os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)):
        return [
            Check(
                "fail",
                f"interpreter {interpreter} is missing or not executable: reinstall the hook (settings committed "
                "from another machine? `auditkit install --shared` writes a form every teammate can use)",
            )
        ]
    with open(interpreter, "rb") as fh:
        if fh.read(2) == b"#!":
            out.append(
                Check(
                    "warn",
                    f"{interpreter} is a script (a version-manager shim?): ~100 ms per call; "
                    "reinstall with the real interpreter",
                )
            )
    if not os.path.isfile(script):
        return [*out, Check("fail", f"hook file {script} is missing: reinstall the hook")]
    trail = _trail_of(argv, project)
    stripped = sorted(n for n in config.GUARDED_ENV if n in os.environ)
    if stripped:
        out.append(Check("warn", f"your environment sets {', '.join(stripped)}: doctor ran the hook without them"))
    with tempfile.TemporaryDirectory(prefix="auditkit-doctor-") as scratch:
        out += _test_event(argv, project, Path(scratch) / "doctor.jsonl")
    out += _writable(trail)
    out += [Check("warn", problem) for problem in loose_modes(str(trail))]
    return out


def _test_event(argv: list[str], project: Path, scratch: Path) -> list[Check]:
    """Run the hook as the settings say, on one test event, into a scratch trail (the last ``--trail`` wins):
    the real trail never holds doctor's event, so sessions, replay and summary never show it."""
    out: list[Check] = []
    marker = f"auditkit-doctor-{os.getpid()}-{time.time_ns()}"
    payload = {
        "session_id": marker,
        "transcript_path": "",
        "cwd": str(project),
        "permission_mode": "default",
        "hook_event_name": "Notification",
        "message": "auditkit doctor test event",
    }
    env = {k: v for k, v in os.environ.items() if k not in config.GUARDED_ENV}
    env["CLAUDE_PROJECT_DIR"] = str(project)
    started = time.perf_counter()
    proc = subprocess.run(  # an argv, never a shell: a settings file is the project's, not the user's
        [*argv, "--trail", str(scratch)],
        input=json.dumps(payload).encode(),
        capture_output=True,
        cwd=project,
        env=env,
        timeout=HOOK_TIMEOUT_S,
    )
    ms = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        out.append(Check("fail", f"hook exited {proc.returncode}: {proc.stderr.decode(errors='replace').strip()}"))
    if proc.stdout:
        out.append(Check("fail", "hook printed on stdout (Claude Code would read it)"))
    if proc.stderr:
        out.append(Check("warn", f"hook said: {proc.stderr.decode(errors='replace').strip()}"))
    if scratch.is_file() and marker.encode() in scratch.read_bytes()[-65536:]:
        out.append(Check("ok", f"test event recorded in a scratch trail ({ms:.0f} ms for the whole hook process)"))
    else:
        out.append(Check("fail", "test event was not recorded: the hook ran but recorded nothing"))
    return out


def _writable(trail: Path) -> list[Check]:
    """Can the hook write the real trail? Its folder (or the nearest one that exists, which the hook would
    create it in) must be a writable folder; nothing is written to find out."""
    folder = trail.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if trail.exists() and not os.access(trail, os.W_OK):
        return [Check("fail", f"the trail {trail} is not writable: the hook would record nothing")]
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return [Check("fail", f"the hook cannot create {trail}: {folder} is not a writable folder")]
    return [Check("ok", f"the hook writes {trail} (doctor left it untouched)")]
