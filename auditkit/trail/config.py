"""Where auditkit keeps things, and the environment variables that move them: every default, once.

Standard library only (the hook reads it on every call). Files:

    <project>/.claude/logs/audit-trail.jsonl    the trail (DEFAULT_TRAIL, relative to the project)
    $XDG_CONFIG_HOME/auditkit/                  per-user state (default ~/.config/auditkit/):
        seal.key, seal.pub                      Ed25519 seal key pair (or a forward-secure key, its commitment
        seal.leaves                             and its epochs' public keys: ``keygen --forward-secure``)
        tsa-roots.pem                           roots the seals' RFC 3161 tokens must chain to (verify's default)
        fingerprint.key                         HMAC key of redaction fingerprints
        trail.key                               HMAC key of provenance marks (this installation's)
        rules.toml                              custom redaction rules and allowlist
        trusted-project-files.json              project files the user approved (``auditkit trust``)
        allow-env                               guarded variables the user allows (see GUARDED_ENV)
        prices.toml                             model prices overriding the built-in table
        config.toml                             [retention] minimum, [anchor] tsa/ca/timeout, ...
    <project>/.claude/auditkit-rules.toml       project redaction rules      } only once the user approved
    <project>/.claude/auditkit.toml             project settings ([retention]) } them: docs/project-trust.md
    $XDG_CACHE_HOME/auditkit/                   caches: compiled redaction patterns, keyword tries, checked rule
                                                files, the hook's [pii] outcome (pii-*.json), Sigma rule files
                                                parsed to plain data (sigma/) (never inside the project: cache_dir)
"""

from auditkit.trail._startup_os import os

#: The trail's path relative to a project.
TRAIL_NAME = "audit-trail.jsonl"
DEFAULT_TRAIL = os.path.join(".claude", "logs", TRAIL_NAME)
#: Where commands look for trails when given none: the current project's log folder.
DEFAULT_TRAIL_FOLDER = os.path.join(".claude", "logs")

#: Names of the settings files (in the user's config folder, or a project's ``.claude`` folder).
RULES_FILE, PROJECT_RULES_FILE = "rules.toml", "auditkit-rules.toml"
SETTINGS_FILE, PROJECT_SETTINGS_FILE = "config.toml", "auditkit.toml"
PRICES_FILE = "prices.toml"

#: Every environment variable auditkit reads, with what it does.
ENVIRONMENT = {
    "AUDITKIT_TRAIL": "trail file the hook writes (default: <project>/.claude/logs/audit-trail.jsonl); guarded",
    "AUDITKIT_MAX_FIELD_BYTES": "cap for one string field in a record (default 65536); guarded",
    "AUDITKIT_REDACT": "0 switches redaction off (not recommended); guarded",
    "AUDITKIT_SEAL_KEY": "private Ed25519 seal key (default: <config>/seal.key)",
    "AUDITKIT_SEAL_EVERY": "with a seal key, the hook seals every this many records (default 500)",
    "AUDITKIT_FINGERPRINT_KEY": "HMAC key file of redaction fingerprints (default: <config>/fingerprint.key); guarded",
    "AUDITKIT_USER": "the user recorded instead of the OS user; guarded",
    "AUDITKIT_HOST": "the host recorded instead of the machine's name; guarded",
    "AUDITKIT_NOW": "pins the clock (ISO time, UTC): simulations and tests only; records say clock: pinned; guarded",
    "AUDITKIT_TRAIL_ID": "pins a new trail's id: simulations and tests only; guarded",
    "CLAUDE_PROJECT_DIR": "set by Claude Code: the project a relative trail path is resolved against",
    "OTEL_EXPORTER_OTLP_HEADERS": "`auditkit ship --format otlp`: request headers, key=value,... (auth)",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "the same, for the logs signal only (wins over the above)",
    "DD_API_KEY": "`auditkit ship --format datadog`: the Datadog API key",
    "SPLUNK_HEC_TOKEN": "`auditkit ship --format splunk`: the HTTP Event Collector token",
    "ELASTIC_API_KEY": "`auditkit ship --format elastic`: an API key (or ELASTIC_USERNAME and ELASTIC_PASSWORD)",
    "ELASTIC_USERNAME": "`auditkit ship --format elastic`: basic-auth user, with ELASTIC_PASSWORD",
    "ELASTIC_PASSWORD": "`auditkit ship --format elastic`: basic-auth password",
    "XDG_CONFIG_HOME": "base of the per-user config folder (default ~/.config)",
    "XDG_CACHE_HOME": "base of the cache folder (default ~/.cache)",
}


#: Variables that weaken the hook or pin what it records. Claude Code passes a settings file's ``env``
#: block to hooks, a cloned project's too, so each is honoured only when the user's ``allow-env`` file
#: (in the config folder) names it, and records say which were set (``data.auditkit_trust``).
GUARDED_ENV = {
    "AUDITKIT_REDACT": "0 switches redaction off",
    "AUDITKIT_MAX_FIELD_BYTES": "changes how much of each field is kept",
    "AUDITKIT_TRAIL": "moves the trail away from the project",
    "AUDITKIT_NOW": "pins the clock (tests, simulations)",
    "AUDITKIT_TRAIL_ID": "pins a new trail's id (tests, simulations)",
    "AUDITKIT_USER": "records another user",
    "AUDITKIT_HOST": "records another host",
    "AUDITKIT_FINGERPRINT_KEY": "a key file a project could ship makes fingerprints guessable",
    "AUDITKIT_SEAL_KEY": "the hook would seal with a key a project could ship (and sign what it likes)",
    "AUDITKIT_SEAL_EVERY": "changes how often the hook seals (every event: a process per call)",
}


def config_dir(home: str | None = None) -> str:
    """Per-user auditkit state: ``$XDG_CONFIG_HOME/auditkit`` (default ``~/.config/auditkit``); with ``home``,
    the default folder under that home whatever the environment says."""
    if home is not None:
        return os.path.join(home, ".config", "auditkit")
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "auditkit")


def cache_dir() -> str:
    """Per-user caches: ``$XDG_CACHE_HOME/auditkit`` (default ``~/.cache/auditkit``), unless that lies inside
    the project (then the one under the account's home).

    The cache holds compiled redaction programs the hook runs: a project's settings ``env`` (which Claude Code
    hands to hooks) could point ``XDG_CACHE_HOME`` or ``HOME`` into the repository, which would ship programs
    that match nothing. A folder inside the project is never read or written, as for the config folder
    (:func:`auditkit.trail.trust.user_dir`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.abspath(os.path.join(base, "auditkit"))
    project = os.path.abspath(os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd())
    if not inside(folder, project):
        return folder
    home = account_home()
    return folder if inside(os.path.abspath(home), project) else os.path.join(home, ".cache", "auditkit")


def inside(path: str, folder: str) -> bool:
    """Whether absolute ``path`` is ``folder`` or lies under it (by name: callers pass absolute paths)."""
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder if folder == "/" else folder + "/")


def account_home() -> str:
    """The account's home from the password database: ``HOME`` is an environment variable a project can set."""
    import pwd  # only when a folder from the environment lies inside the project

    return pwd.getpwuid(os.geteuid()).pw_dir


def seal_key_path() -> str:
    """The seal key the command line uses: ``AUDITKIT_SEAL_KEY`` (the user's own shell), else the default. The
    hook honours the variable only when the user's allow-env names it (``capture.maybe_seal``)."""
    return os.environ.get("AUDITKIT_SEAL_KEY") or default_seal_key_path()


def default_seal_key_path() -> str:
    """``<config>/seal.key``: the key the hook seals with unless the user allows ``AUDITKIT_SEAL_KEY``."""
    return os.path.join(config_dir(), "seal.key")


def seal_pubkey_path() -> str:
    """The public key beside the private one (``seal.key`` -> ``seal.pub``)."""
    key = seal_key_path()
    return (key[: -len(".key")] if key.endswith(".key") else key) + ".pub"


def tsa_roots_path() -> str:
    """``<config>/tsa-roots.pem``: the TSA roots ``verify`` and ``anchor`` check tokens against by default."""
    return os.path.join(config_dir(), "tsa-roots.pem")


def default_fingerprint_key_path() -> str:
    """``<config>/fingerprint.key``: the fingerprint key unless the user allows ``AUDITKIT_FINGERPRINT_KEY``
    (see :func:`auditkit.trail.redaction.fingerprint_key_path`)."""
    return os.path.join(config_dir(), "fingerprint.key")


def trail_key_path() -> str:
    """This installation's key for the provenance marks of trails and spill files (no variable moves it:
    a project's settings could otherwise hand the hook a key the repository knows)."""
    return os.path.join(config_dir(), "trail.key")


def user_file(name: str) -> str:
    """A file in the per-user config folder (``rules.toml``, ``prices.toml``, ``config.toml``)."""
    return os.path.join(config_dir(), name)


def project_file(project: str, name: str) -> str:
    """A file in a project's ``.claude`` folder (``auditkit-rules.toml``, ``auditkit.toml``)."""
    return os.path.join(project, ".claude", name)


def mentions_pii(project: str) -> bool:
    """Whether the user's ``rules.toml`` or ``config.toml``, or the project's ``auditkit-rules.toml`` or
    ``auditkit.toml``, holds the word ``pii``: the hook's cheap test before it loads the ``[pii]`` policy
    (:mod:`auditkit.trail.pii_hook`, which decides, and applies a project's file only once approved)."""
    return pii_files(project) is not None


def pii_files(project: str) -> "dict[str, bytes | None] | None":
    """What :func:`mentions_pii` read: each of the four files by path, its first MiB (None: not readable), when one
    holds the word ``pii``; else None. The policy is then read from these bytes, not from a second read."""
    read: dict[str, bytes | None] = {}
    for path in (
        user_file(RULES_FILE),
        user_file(SETTINGS_FILE),
        project_file(project, PROJECT_RULES_FILE),
        project_file(project, PROJECT_SETTINGS_FILE),
    ):
        try:
            with open(path, "rb") as fh:
                read[path] = fh.read(1 << 20)
        except OSError:
            read[path] = None
    return read if any(b"pii" in data for data in read.values() if data is not None) else None


def project_dir(cwd: object = None) -> str:
    """The project a hook event belongs to: ``CLAUDE_PROJECT_DIR``, else the event's ``cwd``, else ours."""
    return os.environ.get("CLAUDE_PROJECT_DIR") or (cwd if isinstance(cwd, str) and cwd else os.getcwd())


def resolve_trail(path: str | None, project: str) -> str:
    """A trail path as given (``~`` expanded; relative to ``project``), or the project's default trail."""
    path = os.path.expanduser(path or DEFAULT_TRAIL)
    return path if os.path.isabs(path) else os.path.join(project, path)


def project_of_trail(trail: str) -> str | None:
    """The project a trail at its default place belongs to (``<project>/.claude/logs/<file>``), else None."""
    folder = os.path.dirname(os.path.abspath(trail))
    claude = os.path.dirname(folder)
    if folder.rsplit("/", 1)[-1] == "logs" and claude.rsplit("/", 1)[-1] == ".claude":
        return os.path.dirname(claude)
    return None
