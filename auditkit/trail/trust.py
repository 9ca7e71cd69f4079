"""What a project may change, and the user's recorded approval of the files it ships (standard library only).

A repository the agent works in is written by someone else, so nothing it ships is configuration the user
chose (the policy in full: ``docs/project-trust.md``):

- a project's ``.claude/auditkit-rules.toml`` and ``.claude/auditkit.toml`` take effect only when the user
  approved that exact file (its sha256) with ``auditkit trust``; a changed file has lost its approval;
- a project's allowlist never applies: a project can add redaction, never remove it;
- the hook's environment variables that weaken it or pin what it records (:data:`GUARDED`) are honoured
  only when the user's ``allow-env`` file names them, and every record says which were set.

The approvals and ``allow-env`` live in the user's config folder, never in a folder inside the project:
a project's settings ``env`` could point ``XDG_CONFIG_HOME`` into the repository itself.

The hook imports this module only when a project file exists or a guarded variable is set.
"""

from auditkit.trail import _startup_json as json
from auditkit.trail import config, private_files
from auditkit.trail._startup_hash import sha256
from auditkit.trail._startup_os import os

#: The user's approvals of project files: ``{real path: {"sha256", "approved_at", "project"}}``.
TRUST_FILE = "trusted-project-files.json"
#: Names of guarded environment variables the user allows (one a line, ``#`` comments).
ALLOW_ENV_FILE = "allow-env"
GUARDED = config.GUARDED_ENV
_MAX_FILE = 1 << 20


def is_set(name: str, env: object = None) -> bool:
    """Whether a guarded variable is in force-worthy form: set and non-empty (``AUDITKIT_REDACT`` only as ``0``)."""
    value = (env if env is not None else os.environ).get(name)  # type: ignore[attr-defined]  # os: the start-up shim (environ a dict)
    return bool(value) and (name != "AUDITKIT_REDACT" or value == "0")


def _realpath(path: str) -> str:
    import posixpath  # the start-up shim has no realpath; only projects that ship auditkit files get here

    return posixpath.realpath(path)


def user_dir(project: str | None = None) -> str:
    """The user's config folder, unless it lies inside the project (then the one under the account's home).

    ``project``: the project the caller works for (default ``CLAUDE_PROJECT_DIR``, else the current folder).
    A project whose folder holds the user's home (the home itself, ``/``) does not count as one here.
    """
    folder = os.path.abspath(config.config_dir())
    project = project or os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
    root = os.path.abspath(project)
    if not config.inside(folder, root):
        return folder
    home = config.account_home()
    if config.inside(os.path.abspath(home), root):
        return folder
    return config.config_dir(home)


# --- guarded environment variables ----------------------------------------------------------------

_verdicts: dict[tuple, tuple[dict[str, str], dict[str, str]]] = {}


def allowed_env(project: str | None = None) -> set[str]:
    """The guarded variables the user's ``allow-env`` names (empty when it is missing, a link or not theirs)."""
    raw = private_files.read_own(os.path.join(user_dir(project), ALLOW_ENV_FILE))
    if raw is None:
        return set()
    names = set()
    for line in raw.decode("utf-8", "replace").splitlines():
        name = line.split("#", 1)[0].strip()
        if name in GUARDED:
            names.add(name)
    return names


def overrides(project: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The guarded variables set now: (honoured, ignored), each name -> value (values cut at 200 characters)."""
    env = os.environ
    found = {n: env[n][:200] for n in GUARDED if is_set(n, env)}
    if not found:
        return {}, {}
    key = (tuple(found.items()), env.get("XDG_CONFIG_HOME"), env.get("HOME"), project, env.get("CLAUDE_PROJECT_DIR"))
    got = _verdicts.get(key)
    if got is None:
        allowed = allowed_env(project)
        got = _verdicts[key] = (
            {n: v for n, v in found.items() if n in allowed},
            {n: v for n, v in found.items() if n not in allowed},
        )
    return got


def env(name: str) -> str | None:
    """A guarded variable's value when it is set and the user allows it; None otherwise."""
    if not is_set(name):
        return None
    return os.environ[name] if name in overrides()[0] else None


# --- approvals of project files -------------------------------------------------------------------


def project_files(project: str) -> list[str]:
    """The auditkit files a project ships that exist: its rules, then its settings."""
    names = (config.PROJECT_RULES_FILE, config.PROJECT_SETTINGS_FILE)
    return [p for p in (config.project_file(project, n) for n in names) if os.path.isfile(p)]


def read_file(path: str) -> bytes | None:
    """A project file's bytes (up to 1 MiB), never through a link: a link could change what is approved."""
    return private_files.read_own(path, _MAX_FILE, owned=False)


def file_digest(path: str, data: bytes | None = None) -> str | None:
    """The sha256 of a project file (of ``data``, its bytes already read)."""
    data = read_file(path) if data is None else data
    return None if data is None else sha256(data).hexdigest()


def _approvals(project: str | None = None) -> dict:
    raw = private_files.read_own(os.path.join(user_dir(project), TRUST_FILE))
    if raw is None:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    files = doc.get("files") if isinstance(doc, dict) else None
    return files if isinstance(files, dict) else {}


def status(path: str, project: str | None = None, data: bytes | None = None) -> tuple[bool, str]:
    """Whether the user approved this project file as it is now (``data``: its bytes, already read), and a
    sentence saying so."""
    real = _realpath(path)
    entry = _approvals(project).get(real)
    if not isinstance(entry, dict):
        return False, f"{path} is not approved (run `auditkit trust` to review and approve it)"
    digest = file_digest(path, data)
    if digest is None or entry.get("sha256") != digest:
        return False, f"{path} changed since it was approved on {entry.get('approved_at')} (review it again)"
    return True, f"{path} approved on {entry.get('approved_at')} (sha256 {digest[:12]}…)"


def approved(path: str, project: str | None = None) -> bool:
    return status(path, project)[0]


def approve(path: str, project: str, data: bytes | None = None) -> str:
    """Record the user's approval of a project file as it is now (``data``: the bytes the user was shown);
    returns its sha256."""
    import time

    digest = file_digest(path, data)
    if digest is None:
        raise OSError(f"{path}: cannot read it (a link, or gone)")
    files = _approvals(project)
    files[_realpath(path)] = {
        "sha256": digest,
        "approved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "project": _realpath(project),
    }
    _write(files, project)
    return digest


def revoke(path: str, project: str) -> bool:
    """Forget the approval of a project file; True if there was one."""
    files = _approvals(project)
    if files.pop(_realpath(path), None) is None:
        return False
    _write(files, project)
    return True


def _write(files: dict, project: str) -> None:
    import json as std_json  # the CLI's path, not the hook's

    doc = {"version": 1, "files": files}
    path = os.path.join(user_dir(project), TRUST_FILE)
    private_files.write_atomic(path, (std_json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
