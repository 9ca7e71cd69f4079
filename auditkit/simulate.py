"""A scripted Claude Code stand-in that produces realistic, reproducible trails.

It performs real file and shell operations in a temporary project, builds the exact payloads
Claude Code sends (``../shared/spec``), and pipes each one through the real hook process. The
project is reported under a fixed virtual root (``/home/dev/acme-api``) and the clock is pinned,
so the same script gives the same trail, byte for byte.

``python -m auditkit.simulate sample_logs/`` regenerates the bundled samples. Tests use
:class:`Simulator` directly: after every tool call it keeps a snapshot of the project's files
(``Simulator.snapshots``), the ground truth a reconstructed file history is checked against.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditkit.analysis.patches import structured_patch
from auditkit.installer import hook_script
from auditkit.trail.config import TRAIL_NAME

VIRTUAL_ROOT = "/home/dev/acme-api"
START = datetime(2026, 3, 17, 14, 0, 0, tzinfo=UTC)


@dataclass
class Snapshot:
    """The project's files right after one tool call: virtual path -> sha256 (None: absent)."""

    tool_use_id: str
    files: dict[str, str]


@dataclass
class Simulator:
    """One temporary project and one trail; sessions act on both."""

    trail: Path
    name: str = "sample"
    clock: datetime = START
    user: str = "dev"
    host: str = "dev-laptop"
    payload_log: Path | None = None  # also dump raw payloads here, as a `jq -c . >> log` hook would
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="auditkit-sim-")))
    snapshots: list[Snapshot] = field(default_factory=list)
    key_file: Path | None = None
    _ids: int = 0

    def __post_init__(self) -> None:
        self.trail = self.trail.resolve()
        self.trail.parent.mkdir(parents=True, exist_ok=True)
        if self.key_file is None:
            self.key_file = self.workdir.parent / f"{self.workdir.name}.fingerprint.key"
            self.key_file.write_bytes(hashlib.sha256(b"auditkit sample fingerprint key").digest())
        self._rng = random.Random(self.name)

    # --- plumbing ------------------------------------------------------------------------
    def real(self, virtual: str) -> Path:
        """Where a virtual project path lives on disk."""
        rel = os.path.relpath(virtual, VIRTUAL_ROOT) if os.path.isabs(virtual) else virtual
        return self.workdir / rel

    def virtual(self, text: str) -> str:
        return text.replace(str(self.workdir), VIRTUAL_ROOT)

    def tick(self, ms: float) -> None:
        self.clock += timedelta(milliseconds=ms)

    def next_id(self, prefix: str = "toolu_") -> str:
        self._ids += 1
        digest = hashlib.sha256(f"{self.name}:{self._ids}".encode()).hexdigest()
        return prefix + digest[:24]

    def token(self, alphabet: str, n: int) -> str:
        """Deterministic fake secret material (never a real credential)."""
        return "".join(self._rng.choice(alphabet) for _ in range(n))

    def emit(self, payload: dict) -> None:
        """Pipe one payload through the real hook, exactly as Claude Code runs it."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AUDITKIT_NOW": self.clock.isoformat().replace("+00:00", "Z"),
            "AUDITKIT_USER": self.user,
            "AUDITKIT_HOST": self.host,
            "AUDITKIT_TRAIL_ID": str(_uuid_from(self.name)),
            "AUDITKIT_FINGERPRINT_KEY": str(self.key_file),
            "CLAUDE_PROJECT_DIR": VIRTUAL_ROOT,
            "HOME": str(self.workdir.parent),
            "XDG_CONFIG_HOME": str(self.config_home()),
        }
        raw = json.dumps(payload).encode()
        cmd = [sys.executable, "-I", "-S", str(hook_script()), "--trail", str(self.trail)]
        proc = subprocess.run(cmd, input=raw, capture_output=True, env=env, check=False)
        if proc.returncode != 0 or proc.stdout or proc.stderr:
            raise RuntimeError(f"hook misbehaved on {payload.get('hook_event_name')}: {proc.stderr.decode()}")
        if self.payload_log is not None:
            with open(self.payload_log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(payload, separators=(",", ":")) + "\n")

    def config_home(self) -> Path:
        """The hook's own config folder, beside the work folder: its ``allow-env`` lets the pinned clock, trail
        id, user, host and fingerprint key through (guarded variables: see :mod:`auditkit.trail.trust`)."""
        home = self.workdir.parent / f"{self.workdir.name}.config"
        folder = home / "auditkit"
        if not folder.is_dir():
            folder.mkdir(parents=True, mode=0o700)
            allow = folder / "allow-env"
            names = ("AUDITKIT_NOW", "AUDITKIT_TRAIL_ID", "AUDITKIT_USER", "AUDITKIT_HOST", "AUDITKIT_FINGERPRINT_KEY")
            allow.write_text("\n".join(names) + "\n")
            allow.chmod(0o600)
        return home

    def snapshot(self, tool_use_id: str) -> None:
        files = {}
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file():
                virtual = f"{VIRTUAL_ROOT}/{path.relative_to(self.workdir).as_posix()}"
                files[virtual] = hashlib.sha256(path.read_bytes()).hexdigest()
        self.snapshots.append(Snapshot(tool_use_id, files))

    def session(self, session_id: str, permission_mode: str = "default") -> Session:
        return Session(self, session_id, permission_mode)

    def seed_files(self, files: dict[str, str]) -> None:
        """Files that exist before any session starts (not recorded: nobody's tool call made them)."""
        for rel, text in files.items():
            path = self.workdir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        shutil.rmtree(self.workdir.parent / f"{self.workdir.name}.config", ignore_errors=True)
        if self.key_file:
            self.key_file.unlink(missing_ok=True)


def _uuid_from(name: str) -> str:
    h = hashlib.sha256(f"auditkit-sample-trail:{name}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass
class Session:
    """One Claude Code session (or, with ``agent``, a subagent inside one)."""

    sim: Simulator
    session_id: str
    permission_mode: str = "default"
    agent: tuple[str, str] | None = None  # (agent_id, agent_type) inside a subagent

    def base(self, event: str) -> dict:
        slug = VIRTUAL_ROOT.replace("/", "-")
        payload = {
            "session_id": self.session_id,
            "transcript_path": f"/home/{self.sim.user}/.claude/projects/{slug}/{self.session_id}.jsonl",
            "cwd": VIRTUAL_ROOT,
            "permission_mode": self.permission_mode,
            "hook_event_name": event,
        }
        if self.agent:
            payload["agent_id"], payload["agent_type"] = self.agent
        return payload

    def event(self, event: str, gap_ms: float = 200, **extra: object) -> None:
        self.sim.tick(gap_ms)
        self.sim.emit({**self.base(event), **extra})

    # --- session events -------------------------------------------------------------------
    def start(self, source: str = "startup") -> None:
        self.event("SessionStart", source=source)

    def prompt(self, text: str) -> None:
        self.event("UserPromptSubmit", gap_ms=4000, prompt=text)

    def stop(self) -> None:
        self.event("Stop", gap_ms=1500, stop_hook_active=False)

    def end(self, reason: str = "prompt_input_exit") -> None:
        self.event("SessionEnd", gap_ms=3000, reason=reason)

    def notify(self, message: str) -> None:
        self.event("Notification", message=message)

    def compact(self, trigger: str = "auto") -> None:
        self.event("PreCompact", trigger=trigger, custom_instructions="")

    # --- tool calls -----------------------------------------------------------------------
    def call(
        self,
        tool: str,
        tool_input: dict,
        run: Callable[[], dict],
        ms: float,
        think_ms: float = 1200,
        ask_permission: bool = False,
    ) -> dict | str:
        """Pre, the real operation, then Post (or PostToolUseFailure when ``run`` raises Failed)."""
        tool_use_id = self.sim.next_id()
        self.sim.tick(think_ms)
        if ask_permission:
            self.sim.emit({**self.base("PermissionRequest"), "tool_name": tool, "tool_input": tool_input})
            self.sim.tick(2500)
        pre = {**self.base("PreToolUse"), "tool_name": tool, "tool_input": tool_input, "tool_use_id": tool_use_id}
        self.sim.emit(pre)
        try:
            response: dict | str = run()
            post = {
                **self.base("PostToolUse"),
                "tool_name": tool,
                "tool_input": tool_input,
                "tool_response": response,
                "tool_use_id": tool_use_id,
            }
        except Failed as exc:
            response = exc.error
            post = {
                **self.base("PostToolUseFailure"),
                "tool_name": tool,
                "tool_input": tool_input,
                "tool_use_id": tool_use_id,
                "error": exc.error,
                "is_interrupt": exc.interrupt,
            }
        self.sim.tick(ms)
        self.sim.emit(post)
        self.sim.snapshot(tool_use_id)
        return response

    def read(self, path: str, ms: float = 40) -> dict | str:
        def run() -> dict:
            real = self.sim.real(path)
            if not real.is_file():
                raise Failed("File does not exist.")
            text = real.read_text()
            n = len(text.splitlines())
            return {
                "type": "text",
                "file": {"filePath": path, "content": text, "numLines": n, "startLine": 1, "totalLines": n},
            }

        return self.call("Read", {"file_path": path}, run, ms)

    def write(self, path: str, content: str, ms: float = 15) -> dict | str:
        def run() -> dict:
            real = self.sim.real(path)
            original = real.read_text() if real.is_file() else None
            real.parent.mkdir(parents=True, exist_ok=True)
            real.write_text(content)
            return {
                "type": "update" if original is not None else "create",
                "filePath": path,
                "content": content,
                "structuredPatch": structured_patch(original, content) if original is not None else [],
                "originalFile": original,
            }

        return self.call("Write", {"file_path": path, "content": content}, run, ms)

    def edit(self, path: str, old: str, new: str, replace_all: bool = False, ms: float = 20) -> dict | str:
        def run() -> dict:
            real = self.sim.real(path)
            if not real.is_file():
                raise Failed("File does not exist.")
            original = real.read_text()
            if old not in original:
                raise Failed(f"String to replace not found in file.\nString: {old}")
            if not replace_all and original.count(old) > 1:
                raise Failed(
                    f"Found {original.count(old)} matches of the string to replace, but replace_all is "
                    "false. To replace all occurrences, set replace_all to true."
                )
            updated = original.replace(old, new) if replace_all else original.replace(old, new, 1)
            real.write_text(updated)
            return {
                "filePath": path,
                "oldString": old,
                "newString": new,
                "originalFile": original,
                "structuredPatch": structured_patch(original, updated),
                "userModified": False,
                "replaceAll": replace_all,
            }

        tool_input: dict[str, object] = {"file_path": path, "old_string": old, "new_string": new}
        if replace_all:
            tool_input["replace_all"] = True
        return self.call("Edit", tool_input, run, ms)

    def multi_edit(self, path: str, edits: list[dict], ms: float = 25) -> dict | str:
        def run() -> dict:
            real = self.sim.real(path)
            original = text = real.read_text()
            for e in edits:
                if e["old_string"] not in text:
                    raise Failed(f"String to replace not found in file.\nString: {e['old_string']}")
                count = -1 if e.get("replace_all") else 1
                text = text.replace(e["old_string"], e["new_string"], count)
            real.write_text(text)
            return {
                "filePath": path,
                "edits": edits,
                "originalFileContents": original,
                "structuredPatch": structured_patch(original, text),
            }

        return self.call("MultiEdit", {"file_path": path, "edits": edits}, run, ms)

    def bash(
        self, command: str, description: str = "", ms: float | None = None, interrupt: bool = False, **kw: object
    ) -> dict | str:
        def run() -> dict:
            if interrupt:
                raise Failed(
                    "The user doesn't want to proceed with this tool use. The tool use was rejected "
                    "(eg. if it was a file edit, the new_string was NOT written to the file).",
                    interrupt=True,
                )
            real_cmd = command.replace(VIRTUAL_ROOT, str(self.sim.workdir))
            path = os.pathsep.join((os.path.dirname(sys.executable), os.environ.get("PATH", "/usr/bin:/bin")))
            env = {"PATH": path, "HOME": str(self.sim.workdir), "LC_ALL": "C", "PYTHONDONTWRITEBYTECODE": "1"}
            proc = subprocess.run(
                ["bash", "-c", real_cmd], cwd=self.sim.workdir, capture_output=True, text=True, env=env, timeout=60
            )
            out, err = self.sim.virtual(proc.stdout), self.sim.virtual(proc.stderr)
            if proc.returncode != 0:
                raise Failed(f"Exit code {proc.returncode}\n{(out + err).rstrip()}")
            return {"stdout": out.rstrip("\n"), "stderr": err.rstrip("\n"), "interrupted": False, "isImage": False}

        tool_input: dict = {"command": command}
        if description:
            tool_input["description"] = description
        tool_input.update(kw)
        duration = ms if ms is not None else 300 + self.sim._rng.random() * 900
        return self.call("Bash", tool_input, run, duration)

    def glob(self, pattern: str, ms: float = 30) -> dict | str:
        def run() -> dict:
            names = sorted(
                f"{VIRTUAL_ROOT}/{p.relative_to(self.sim.workdir).as_posix()}"
                for p in self.sim.workdir.glob(pattern)
                if p.is_file()
            )
            return {"filenames": names, "durationMs": int(ms), "numFiles": len(names), "truncated": False}

        return self.call("Glob", {"pattern": pattern}, run, ms)

    def grep(self, pattern: str, ms: float = 60) -> dict | str:
        def run() -> dict:
            hits = []
            for p in sorted(self.sim.workdir.rglob("*")):
                if p.is_file() and pattern in p.read_text(errors="replace"):
                    hits.append(f"{VIRTUAL_ROOT}/{p.relative_to(self.sim.workdir).as_posix()}")
            return {"mode": "files_with_matches", "filenames": hits, "numFiles": len(hits)}

        return self.call("Grep", {"pattern": pattern, "output_mode": "files_with_matches"}, run, ms)

    def web_fetch(self, url: str, prompt: str, result: str, ms: float = 1800) -> dict | str:
        def run() -> dict:
            return {
                "bytes": len(result.encode()),
                "code": 200,
                "codeText": "OK",
                "result": result,
                "durationMs": int(ms),
                "url": url,
            }

        return self.call("WebFetch", {"url": url, "prompt": prompt}, run, ms)

    def web_search(self, query: str, results: list[dict], ms: float = 2500) -> dict | str:
        return self.call(
            "WebSearch",
            {"query": query},
            lambda: {"query": query, "results": results, "durationSeconds": ms / 1000},
            ms,
        )

    def mcp(
        self, server: str, tool: str, tool_input: dict, response: object, ms: float = 700, error: str | None = None
    ) -> dict | str:
        def run() -> dict:
            if error:
                raise Failed(error)
            return response  # type: ignore[return-value]

        return self.call(f"mcp__{server}__{tool}", tool_input, run, ms)

    def todo(self, todos: list[dict]) -> dict | str:
        return self.call("TodoWrite", {"todos": todos}, lambda: {"oldTodos": [], "newTodos": todos}, 5)

    def denied(self, tool: str, tool_input: dict) -> None:
        """Claude asked, the user said no: a PermissionRequest and a PreToolUse with no Post event."""
        self.sim.tick(1000)
        self.sim.emit({**self.base("PermissionRequest"), "tool_name": tool, "tool_input": tool_input})
        self.sim.tick(3000)
        pre = {
            **self.base("PreToolUse"),
            "tool_name": tool,
            "tool_input": tool_input,
            "tool_use_id": self.sim.next_id(),
        }
        self.sim.emit(pre)

    @contextmanager
    def task(self, description: str, prompt: str, subagent_type: str = "general-purpose") -> Iterator[Session]:
        """A Task call; the block's calls run inside the subagent (their records carry its id and type)."""
        tool_use_id = self.sim.next_id()
        tool_input = {"description": description, "prompt": prompt, "subagent_type": subagent_type}
        self.sim.tick(1000)
        self.sim.emit(
            {**self.base("PreToolUse"), "tool_name": "Task", "tool_input": tool_input, "tool_use_id": tool_use_id}
        )
        agent_id = "agent_" + tool_use_id[-12:]
        inner = Session(self.sim, self.session_id, self.permission_mode, (agent_id, subagent_type))
        inner.event("SubagentStart", gap_ms=100)
        started = self.sim.clock
        yield inner
        inner.event("SubagentStop", gap_ms=800, stop_hook_active=False)
        took = (self.sim.clock - started).total_seconds() * 1000
        self.sim.tick(50)
        response = {
            "content": [{"type": "text", "text": f"Done: {description}."}],
            "totalDurationMs": int(took),
            "totalTokens": 18234,
            "totalToolUseCount": 3,
            "usage": {"input_tokens": 1200, "output_tokens": 840},
        }
        self.sim.emit(
            {
                **self.base("PostToolUse"),
                "tool_name": "Task",
                "tool_input": tool_input,
                "tool_response": response,
                "tool_use_id": tool_use_id,
            }
        )
        self.sim.snapshot(tool_use_id)


class Failed(Exception):
    """Raised inside a simulated tool to make it end in PostToolUseFailure."""

    def __init__(self, error: str, interrupt: bool = False) -> None:
        super().__init__(error)
        self.error, self.interrupt = error, interrupt


# --- the bundled scenarios -------------------------------------------------------------------

PARSER_V1 = '''"""Parse "key=value" lines into a dict."""


def parse(text):
    result = {}
    for line in text.splitlines():
        key, value = line.split("=")
        result[key.strip()] = value.strip()
    return result
'''

TESTS = """import sys

sys.path.insert(0, "src")
from parser import parse  # noqa: E402

CASES = [
    ("a=1", {"a": "1"}),
    ("a = 1\\nb = 2", {"a": "1", "b": "2"}),
    ("url=http://x/?q=1", {"url": "http://x/?q=1"}),
    ("# comment\\na=1", {"a": "1"}),
    ("\\na=1\\n\\n", {"a": "1"}),
]
passed = failed = 0
for text, want in CASES:
    try:
        got = parse(text)
    except Exception as exc:
        got = f"{type(exc).__name__}: {exc}"
    if got == want:
        passed += 1
    else:
        failed += 1
        print(f"FAIL parse({text!r}) = {got!r}, want {want!r}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
"""


def regression_fix(sim: Simulator) -> None:
    """Read a parser, tests fail, edit, tests pass."""
    sim.seed_files(
        {
            "src/parser.py": PARSER_V1,
            "tests/run_tests.py": TESTS,
            "README.md": "# acme-api\n\nConfig parser and HTTP API.\n",
        }
    )
    s = sim.session("5b3f1c9e-7a2d-4e8b-9f10-2c4d6e8a0b1c")
    s.start()
    s.prompt("The config parser crashes on URLs with '=' in them and on comments. Fix it and run the tests.")
    s.grep("def parse")
    s.read(f"{VIRTUAL_ROOT}/src/parser.py")
    s.read(f"{VIRTUAL_ROOT}/tests/run_tests.py")
    s.bash("python3 tests/run_tests.py", "Run the parser tests", ms=420)
    s.edit(
        f"{VIRTUAL_ROOT}/src/parser.py",
        '        key, value = line.split("=")\n',
        '        line = line.strip()\n        if not line or line.startswith("#"):\n            continue\n'
        '        key, value = line.split("=", 1)\n',
    )
    s.bash("python3 tests/run_tests.py", "Run the parser tests again", ms=410)
    s.edit(
        f"{VIRTUAL_ROOT}/src/parser.py",
        '"""Parse "key=value" lines into a dict."""',
        '"""Parse "key=value" lines into a dict; blank lines and # comments are skipped."""',
    )
    s.bash("python3 tests/run_tests.py", "Final test run", ms=400)
    s.stop()
    s.end()


def incident(sim: Simulator) -> None:
    """A clean-up whose `rm -rf` deletes data someone later misses."""
    sim.seed_files(
        {
            "build/app.bundle.js": "console.log('bundle');\n" * 20,
            "build/app.bundle.js.map": '{"version":3}\n',
            "data/exports/customers-2026-03.csv": "id,name,email\n1,Ada Example,ada@example.com\n"
            "2,Bob Example,bob@example.com\n",
            "data/exports/invoices-2026-03.csv": "id,customer,amount\n1,1,120.00\n2,2,75.50\n",
            "data/cache/tmp-1.json": "{}\n",
            "scripts/deploy.sh": "#!/bin/sh\nset -e\necho deploying\n",
            "src/app.py": "print('app')\n",
        }
    )
    s = sim.session("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", permission_mode="bypassPermissions")
    s.start()
    s.prompt("The repo is huge. Clean up build artifacts and caches so the Docker context is small.")
    s.bash("find build data src scripts -type f | sort", "List what takes space", ms=120)
    s.glob("data/**/*")
    s.read(f"{VIRTUAL_ROOT}/scripts/deploy.sh")
    s.bash("rm -rf build/ data/", "Remove build output and cached data", ms=230)
    s.bash("ls -1A", "Check what is left", ms=60)
    s.write(f"{VIRTUAL_ROOT}/.dockerignore", "build/\ndata/\n*.map\n")
    s.edit(
        f"{VIRTUAL_ROOT}/scripts/deploy.sh", "echo deploying\n", "echo deploying\nchmod -R 777 /tmp/deploy || true\n"
    )
    s.bash("git status --short 2>/dev/null || echo 'not a git repository'", "Show changes", ms=80)
    s.stop()
    s.end()


def secrets(sim: Simulator) -> None:
    """Secrets in commands, file contents and web responses; all must be redacted in the trail."""
    ghp = "ghp_" + sim.token(string.ascii_letters + string.digits, 36)
    akia = "AKIA" + sim.token(string.ascii_uppercase + "234567", 16)
    aws_secret = sim.token(string.ascii_letters + string.digits + "+/", 40)
    stripe = "sk_live_" + sim.token(string.ascii_letters + string.digits, 24)
    db_pw = sim.token(string.ascii_letters + string.digits, 16)
    slack = (
        "xoxb-"
        + sim.token(string.digits, 12)
        + "-"
        + sim.token(string.digits, 12)
        + "-"
        + sim.token(string.ascii_letters + string.digits, 24)
    )
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkRldiJ9." + sim.token(
        string.ascii_letters + string.digits + "_-", 43
    )
    env_file = (
        f"DATABASE_URL=postgres://app:{db_pw}@db.internal:5432/app\nSTRIPE_SECRET_KEY={stripe}\n"
        f"AWS_ACCESS_KEY_ID={akia}\nAWS_SECRET_ACCESS_KEY={aws_secret}\nDEBUG=false\n"
    )
    sim.seed_files(
        {
            ".env": env_file,
            "src/billing.py": "import os\n\nKEY = os.environ['STRIPE_SECRET_KEY']\n",
            "scripts/gh-issue.sh": '#!/bin/sh\necho \'{"number": 42, "title": "Billing fails in staging"}\'\n',
            "scripts/db-check.sh": '#!/bin/sh\necho "db.internal:5432 - accepting connections (user app)"\n',
        }
    )
    s = sim.session("3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a99")
    s.start()
    s.prompt("Why does billing fail in staging? Check the config and the GitHub issue.")
    s.read(f"{VIRTUAL_ROOT}/.env")
    s.read(f"{VIRTUAL_ROOT}/src/billing.py")
    s.bash(
        f'export GITHUB_TOKEN={ghp} && sh scripts/gh-issue.sh 42 --header "Authorization: Bearer {ghp}"',
        "Fetch the issue",
        ms=900,
    )
    s.web_fetch(
        "https://staging.acme.example/debug/config",
        "Show the effective config",
        f"Effective config:\nslack_token: {slack}\nsession: {jwt}\nstripe={stripe}\n",
    )
    s.bash(f"PGPASSWORD={db_pw} sh scripts/db-check.sh", "Check the DB", ms=300)
    s.mcp(
        "slack",
        "post_message",
        {"channel": "#ops", "text": f"staging token is {slack}"},
        [{"type": "text", "text": "posted"}],
    )
    s.write(
        f"{VIRTUAL_ROOT}/config/staging.json",
        json.dumps(
            {
                "stripe": {"api_key": stripe},
                "db": {"password": db_pw, "host": "db.internal"},
                "card_on_file": "4111 1111 1111 1111",
                "order_id": "1234567812345678",
            },
            indent=2,
        )
        + "\n",
    )
    s.stop()
    s.end()


def concurrent(sim: Simulator) -> None:
    """Two sessions at once in one trail, one of them delegating to a subagent and using MCP tools."""
    sim.seed_files(
        {
            "src/api/users.py": "def list_users():\n    return []\n",
            "src/api/orders.py": "def list_orders():\n    return []\n",
            "docs/api.md": "# API\n",
        }
    )
    a = sim.session("aaaa1111-2222-4333-8444-555566667777")
    b = sim.session("bbbb1111-2222-4333-8444-555566667777")
    a.start()
    b.start()
    a.prompt("Add pagination to the users endpoint and open a GitHub issue for the orders endpoint.")
    b.prompt("Document the API.")
    a.read(f"{VIRTUAL_ROOT}/src/api/users.py")
    b.glob("src/api/*.py")
    with a.task("Survey the API modules", "List every endpoint and how it paginates.", "Explore") as sub:
        sub.read(f"{VIRTUAL_ROOT}/src/api/orders.py")
        b.read(f"{VIRTUAL_ROOT}/src/api/users.py")
        sub.grep("def list_")
        sub.bash("wc -l src/api/*.py", "Count lines", ms=50)
    a.edit(
        f"{VIRTUAL_ROOT}/src/api/users.py",
        "def list_users():\n    return []\n",
        "def list_users(page=1, per_page=50):\n    return []\n",
    )
    b.write(f"{VIRTUAL_ROOT}/docs/api.md", "# API\n\n- `list_users(page, per_page)`\n- `list_orders()`\n")
    a.mcp(
        "github",
        "create_issue",
        {"owner": "acme", "repo": "api", "title": "Paginate orders"},
        [{"type": "text", "text": '{"number": 43, "url": "https://github.com/acme/api/issues/43"}'}],
    )
    b.mcp("postgres", "query", {"sql": "select count(*) from users"}, [{"type": "text", "text": "count: 1204"}])
    a.todo(
        [
            {"content": "Paginate users", "status": "completed", "activeForm": "Paginating users"},
            {"content": "Issue for orders", "status": "completed", "activeForm": "Opening issue"},
        ]
    )
    b.stop()
    a.stop()
    b.end()
    a.end()


def failures(sim: Simulator) -> None:
    """Failures, an interrupted call, a denied call, and a retry loop."""
    sim.seed_files(
        {
            "Makefile": "test:\n\t@test -f .ready || (echo 'not ready' && exit 2)\n\t@echo ok\n",
            "src/flaky.py": "print('flaky')\n",
        }
    )
    s = sim.session("f0f0f0f0-1111-4222-8333-444455556666", permission_mode="acceptEdits")
    s.start()
    s.prompt("Get the test suite green.")
    s.read(f"{VIRTUAL_ROOT}/src/missing.py")
    for _ in range(3):
        s.bash("make test", "Run the tests", ms=800)
    s.edit(f"{VIRTUAL_ROOT}/src/flaky.py", "print('nope')", "print('flaky')")
    s.bash("touch .ready", "Mark the environment ready", ms=20)
    s.bash("make test", "Run the tests", ms=780)
    s.bash("sleep 600", "Wait for the deploy", interrupt=True, ms=15000)
    s.denied("Bash", {"command": "git push --force origin main", "description": "Force-push the fix"})
    s.notify("Claude needs your permission to use Bash")
    s.compact("auto")
    s.mcp("jira", "get_issue", {"key": "OPS-1"}, None, error="MCP error -32603: connection refused")
    s.stop()
    s.end(reason="logout")


SCENARIOS: dict[str, Callable[[Simulator], None]] = {
    "regression-fix": regression_fix,
    "incident": incident,
    "secrets": secrets,
    "concurrent": concurrent,
    "failures": failures,
}


def run(name: str, trail: Path, payload_log: Path | None = None, keep_workdir: bool = False) -> Simulator:
    """Play one scenario into ``trail``; the returned simulator holds its file snapshots."""
    if trail.exists():
        trail.unlink()
    sim = Simulator(trail=trail, name=name, payload_log=payload_log)
    try:
        SCENARIOS[name](sim)
    finally:
        if not keep_workdir:
            sim.cleanup()
    return sim


#: The transcript-only sample: a session from before the hook was installed, kept by Claude Code alone.
TRANSCRIPT_SESSION = "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"


def transcript_sample(out: Path) -> Path:
    """A small Claude Code transcript (format 2.1: user and assistant lines, ``tool_use`` and ``tool_result``
    blocks, ``usage`` on every API message): a question answered from two files, with no hook trail.
    It gives the cost report tokens and dollars on the bundled samples."""
    slug = VIRTUAL_ROOT.replace("/", "-")
    path = out / "transcripts" / slug / f"{TRANSCRIPT_SESSION}.jsonl"
    base = {
        "cwd": VIRTUAL_ROOT,
        "sessionId": TRANSCRIPT_SESSION,
        "version": "2.1.119",
        "gitBranch": "main",
        "userType": "external",
        "isSidechain": False,
    }
    model = "claude-sonnet-4-5-20250929"
    lines: list[dict] = []

    def add(kind: str, at: str, message: dict, **extra: object) -> None:
        uuid = f"{TRANSCRIPT_SESSION[:8]}-{len(lines):04d}"
        parent = lines[-1]["uuid"] if lines else None
        lines.append(
            {**base, "type": kind, "uuid": uuid, "parentUuid": parent, "timestamp": at, "message": message, **extra}
        )

    def usage(inp: int, out_: int, created: int, read: int) -> dict:
        return {
            "input_tokens": inp,
            "output_tokens": out_,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
            "service_tier": "standard",
        }

    add("user", "2026-03-16T16:00:00.000Z", {"role": "user", "content": "How does the config parser treat comments?"})
    calls = [("toolu_t1", "src/parser.py"), ("toolu_t2", "README.md")]
    for n, (tool_id, rel) in enumerate(calls, 1):
        add(
            "assistant",
            f"2026-03-16T16:00:0{2 * n}.000Z",
            {
                "id": f"msg_sample{n}",
                "model": model,
                "role": "assistant",
                "type": "message",
                "content": [
                    {"type": "tool_use", "id": tool_id, "name": "Read", "input": {"file_path": f"{VIRTUAL_ROOT}/{rel}"}}
                ],
                "stop_reason": "tool_use",
                "usage": usage(12, 96, 9_800 if n == 1 else 0, 0 if n == 1 else 9_800),
            },
            requestId=f"req_sample{n}",
        )
        text = PARSER_V1 if rel == "src/parser.py" else "# acme-api\n\nConfig parser and HTTP API.\n"
        add(
            "user",
            f"2026-03-16T16:00:0{2 * n + 1}.000Z",
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": text}]},
            toolUseResult={"type": "text", "file": {"filePath": f"{VIRTUAL_ROOT}/{rel}", "content": text}},
        )
    add(
        "assistant",
        "2026-03-16T16:00:09.000Z",
        {
            "id": "msg_sample3",
            "model": model,
            "role": "assistant",
            "type": "message",
            "content": [{"type": "text", "text": "It does not skip them: a line starting with # is split on '=' too."}],
            "stop_reason": "end_turn",
            "usage": usage(20, 410, 1_200, 9_800),
        },
        requestId="req_sample3",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines), encoding="utf-8")
    return path


def generate(out: Path) -> list[Path]:
    """Regenerate every bundled sample under ``out`` (deterministic)."""
    written = []
    for name in SCENARIOS:
        trail = out / name / TRAIL_NAME
        run(name, trail)
        for stale in (trail.parent / ".pending",):
            shutil.rmtree(stale, ignore_errors=True)
        written.append(trail)
    written.append(transcript_sample(out))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "sample_logs")
    for path in generate(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
