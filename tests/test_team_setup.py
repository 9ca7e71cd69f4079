"""Ready for a team (#31): a portable install a teammate's clone can use, doctor per machine and in a scratch
trail, plain answers on empty trails, one behaviour for missing extras, ccusage's cost views, JSON columns
as text. Each through the real `auditkit` command (or the hook as Claude Code runs it) in its own process."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from auditkit.installer import LAUNCHER
from auditkit.loading.jsoncolumn import JSONArray
from tests.conftest import REPO, payload

SITE = next(p for p in sys.path if p.endswith("site-packages"))  # the main venv's packages (pandas, ...)


def cli(*argv: str, env: dict, python: str = sys.executable, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`auditkit ...` in its own process, with exactly ``env``; run from HOME (``-m`` puts the current folder
    first on sys.path: from this checkout it would import this checkout's auditkit, not the machine's)."""
    return subprocess.run(
        [python, "-m", "auditkit", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or env.get("HOME"),
        env=env,
        timeout=120,
    )


def machine(home: Path, kit: Path, bin_dir: Path) -> dict:
    """The environment of one person's machine: their HOME, their PATH, their auditkit (at ``kit``)."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": f"{kit}:{SITE}",
        "LANG": "C.UTF-8",
    }


def claude_runs(project: Path, command: str, event: dict, env: dict) -> subprocess.CompletedProcess:
    """A settings command run as Claude Code runs it: by a shell, in the project, with CLAUDE_PROJECT_DIR."""
    return subprocess.run(
        ["/bin/sh", "-c", command],
        input=json.dumps(event).encode(),
        capture_output=True,
        cwd=project,
        env={**env, "CLAUDE_PROJECT_DIR": str(project)},
        timeout=60,
    )


def trail_of(project: Path) -> Path:
    return project / ".claude" / "logs" / "audit-trail.jsonl"


def git(*argv: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# --- the portable install ------------------------------------------------------------------------


def test_a_teammates_clone_of_shared_settings_records_with_their_own_auditkit(tmp_path: Path) -> None:
    """Alice installs the shared form and commits it; Bob clones the project into another home, with auditkit
    copied to another path and a venv of his own: `auditkit install --shared` once, and the hook Claude Code
    runs from the committed settings records into his clone's trail; doctor says it resolves on his machine."""
    alice_home, bob_home = tmp_path / "alice", tmp_path / "bob"
    alice = machine(alice_home, REPO, alice_home / "bin")
    project = alice_home / "work" / "app"
    project.mkdir(parents=True)
    done = cli("install", "--shared", "--project", str(project), "--bin", str(alice_home / "bin"), env=alice)
    assert done.returncode == 0, done.stderr
    settings = (project / ".claude" / "settings.json").read_text()
    assert str(tmp_path) not in settings and str(REPO) not in settings  # no path of Alice's machine is committed
    commands = {h["command"] for gs in json.loads(settings)["hooks"].values() for g in gs for h in g["hooks"]}
    assert commands == {LAUNCHER}
    git("init", "-q", cwd=project)
    git("add", ".claude/settings.json", cwd=project)
    git("commit", "-qm", "audit hook", cwd=project)

    clone = bob_home / "src" / "app"
    clone.parent.mkdir(parents=True)
    git("clone", "-q", str(project), str(clone), cwd=tmp_path)
    kit = bob_home / "opt" / "kit"
    shutil.copytree(REPO / "auditkit", kit / "auditkit", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bob_home / "venv")], check=True)
    bob_python = str(bob_home / "venv" / "bin" / "python")
    bob = machine(bob_home, kit, bob_home / "bin")

    before = cli("doctor", "--project", str(clone), env=bob, python=bob_python)  # cloned, not set up yet
    assert before.returncode == 1
    assert f"`{LAUNCHER}` (the project's shared hook command) is not on your PATH" in before.stdout
    missed = claude_runs(clone, LAUNCHER, payload("PreToolUse", tool_name="Bash", tool_input={"command": "ls"}), bob)
    assert not trail_of(clone).exists()  # what the issue reports: nothing recorded for Bob ...
    assert missed.returncode == 127  # ... and here the shell says why, where the old form exited 0

    done = cli(
        "install", "--shared", "--project", str(clone), "--bin", str(bob_home / "bin"), env=bob, python=bob_python
    )
    assert done.returncode == 0, done.stderr
    assert "nothing changed" in done.stdout  # the committed settings were right already
    launcher = (bob_home / "bin" / LAUNCHER).read_text()
    assert launcher.startswith(f"#!{bob_python} -IS\n") and repr(str(kit)) in launcher

    ran = claude_runs(
        clone, LAUNCHER, payload("PreToolUse", tool_name="Bash", tool_input={"command": "make test"}), bob
    )
    assert ran.returncode == 0 and ran.stdout == b"" and ran.stderr == b"", ran.stderr
    records = [json.loads(line) for line in trail_of(clone).read_text().splitlines()]
    assert records[-1]["tool_input"] == {"command": "make test"}

    after = cli("doctor", "--project", str(clone), env=bob, python=bob_python)
    assert after.returncode == 0, after.stdout
    assert f"`{LAUNCHER}` resolves to {bob_home / 'bin' / LAUNCHER} on your PATH" in after.stdout
    assert f"its interpreter {bob_python} is there, and auditkit is importable from {kit}" in after.stdout


def test_install_shared_puts_the_launcher_beside_the_auditkit_command_on_path(tmp_path: Path) -> None:
    """pipx and `pip install --user` put `auditkit` in a folder on PATH other than the interpreter's: the
    launcher goes beside the command the user ran, so the shell that found one finds the other."""
    home = tmp_path / "home"
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "auditkit").write_text(
        f"#!{sys.executable}\nimport sys\nfrom auditkit.cli import main\nsys.exit(main())\n"
    )
    (bin_dir / "auditkit").chmod(0o755)
    env = machine(home, REPO, bin_dir)
    project = tmp_path / "app"
    done = subprocess.run(
        ["/bin/sh", "-c", f"auditkit install --shared --project {project}"],
        capture_output=True, text=True, cwd=home, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"launcher for this machine: {bin_dir / LAUNCHER}" in done.stdout
    assert cli("doctor", "--project", str(project), env=env).returncode == 0


def test_doctor_on_a_clone_of_another_machines_absolute_settings_points_at_shared(tmp_path: Path) -> None:
    """What the issue saw: settings committed with Alice's absolute paths; Bob's doctor fails and says why."""
    home = tmp_path / "bob"
    env = machine(home, REPO, home / "bin")
    project = tmp_path / "app"
    alices = "/home/alice/.venv/bin/python"
    assert cli("install", "--project", str(project), "--python", alices, env=env).returncode == 0
    shown = cli("doctor", "--project", str(project), env=env)
    assert shown.returncode == 1
    assert f"interpreter {alices} is missing" in shown.stdout and "`auditkit install --shared`" in shown.stdout


def test_doctor_refuses_to_run_an_auditkit_hook_it_did_not_write(tmp_path: Path) -> None:
    """A version-manager shim (or anything else) answering to `auditkit-hook` on PATH: doctor says so and never
    runs it; one inside the project is refused too."""
    home = tmp_path / "home"
    env = machine(home, REPO, home / "bin")
    project = tmp_path / "app"
    project.mkdir()
    assert cli("install", "--shared", "--project", str(project), "--bin", str(home / "bin"), env=env).returncode == 0
    ran = tmp_path / "RAN"
    shim = home / "bin" / LAUNCHER
    shim.write_text(f'#!/usr/bin/env bash\ntouch {ran}\nexec pyenv exec auditkit-hook "$@"\n')
    shown = cli("doctor", "--project", str(project), env=env)
    assert shown.returncode == 1
    assert "not a launcher `auditkit install --shared` wrote (a version-manager shim? ~100 ms per call)" in shown.stdout
    assert not ran.exists()

    (project / "bin").mkdir()
    shutil.copy(REPO / "hook" / "auditkit_hook.py", project / "bin" / LAUNCHER)
    (project / "bin" / LAUNCHER).chmod(0o755)
    shown = cli("doctor", "--project", str(project), env={**env, "PATH": f"{project / 'bin'}:/usr/bin:/bin"})
    assert shown.returncode == 1 and "inside the project: a repository could ship it" in shown.stdout


def test_install_local_writes_this_machines_settings_local_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = machine(home, REPO, home / "bin")
    project = tmp_path / "app"
    done = cli("install", "--local", "--project", str(project), env=env)
    assert done.returncode == 0, done.stderr
    local = json.loads((project / ".claude" / "settings.local.json").read_text())
    assert str(REPO / "hook" / "auditkit_hook.py") in json.dumps(local)
    assert not (project / ".claude" / "settings.json").exists()
    shown = cli("doctor", "--project", str(project), env=env)
    assert shown.returncode == 0 and "test event recorded in a scratch trail" in shown.stdout, shown.stdout
    gone = cli("uninstall", "--local", "--project", str(project), env=env)
    assert gone.returncode == 0 and "hooks" not in json.loads((project / ".claude" / "settings.local.json").read_text())
    both = cli("install", "--local", "--shared", "--project", str(project), env=env)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_doctors_test_event_never_reaches_the_real_trail(tmp_path: Path) -> None:
    """doctor tests in a scratch trail: sessions and summary show only the real session afterwards."""
    home = tmp_path / "home"
    env = machine(home, REPO, home / "bin")
    project = tmp_path / "app"
    assert cli("install", "--project", str(project), env=env).returncode == 0
    command = json.loads((project / ".claude" / "settings.json").read_text())["hooks"]["PreToolUse"][0]["hooks"][0]
    event = payload("PreToolUse", session="real-session", tool_name="Bash", tool_input={"command": "ls"})
    assert claude_runs(project, command["command"], event, env).returncode == 0
    before = trail_of(project).read_bytes()
    shown = cli("doctor", "--project", str(project), env=env)
    assert shown.returncode == 0, shown.stdout
    assert "test event recorded in a scratch trail" in shown.stdout
    assert f"the hook writes {trail_of(project)} (doctor left it untouched)" in shown.stdout
    assert trail_of(project).read_bytes() == before
    sessions = cli("sessions", str(trail_of(project)), env=env)
    assert "real-session" in sessions.stdout and "auditkit-doctor" not in sessions.stdout
    summary = json.loads(cli("summary", "--json", str(trail_of(project)), env=env).stdout)
    assert summary["totals"]["sessions"] == 1


# --- empty trails ---------------------------------------------------------------------------------


def test_summary_right_after_archive_prints_empty_tables(tmp_path: Path) -> None:
    """The README's cron job archives the trail; `summary` on what is left answers plainly, in one line."""
    home = tmp_path / "home"
    env = machine(home, REPO, home / "bin")
    project = tmp_path / "app"
    assert cli("install", "--project", str(project), env=env).returncode == 0
    command = json.loads((project / ".claude" / "settings.json").read_text())["hooks"]["PreToolUse"][0]["hooks"][0]
    event = payload("PreToolUse", tool_name="Bash", tool_input={"command": "ls"})
    assert claude_runs(project, command["command"], event, env).returncode == 0
    archived = cli("archive", str(trail_of(project)), env=env)
    assert archived.returncode == 0, archived.stderr
    shown = cli("summary", str(trail_of(project)), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert shown.stdout.strip().splitlines() == [f"auditkit summary: no events in {trail_of(project)}"]


# --- optional extras ------------------------------------------------------------------------------

OPTIONAL = ("altair", "vl_convert", "ipywidgets", "anywidget", "IPython", "papermill", "nbformat", "nbconvert",
            "jupyter_client", "jupyter_core", "sigma", "dask", "distributed", "boto3", "botocore", "opentelemetry")  # fmt: skip


def test_replay_html_without_the_notebooks_extra_says_so_in_one_line(tmp_path: Path) -> None:
    """The chart engine hidden from a real `auditkit replay --html` process: the page is written, and the missing
    extra is named in one line on stderr and in the page."""
    hide = "; ".join(f"sys.modules[{m!r}] = None" for m in ("altair", "vl_convert"))
    code = f"import sys; {hide}; from auditkit.cli import main; sys.exit(main(sys.argv[1:]))"
    trail = REPO / "sample_logs" / "incident"
    sessions = cli("sessions", "--json", str(trail), env={**os.environ, "PYTHONPATH": str(REPO)})
    sid = json.loads(sessions.stdout)[0]["session_id"]
    done = subprocess.run(
        [sys.executable, "-c", code, "replay", sid, str(trail), "--html", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    # the conversation is whole without its chart: written, and the missing extra named in one line, there too
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "needs the notebooks extra" in done.stderr and "pip install 'auditkit[notebooks]'" in done.stderr
    assert "pip install &#x27;auditkit[notebooks]&#x27;" in (tmp_path / "r.html").read_text() or (
        "auditkit[notebooks]" in (tmp_path / "r.html").read_text()
    )


def _unguarded_optional_imports(path: Path) -> list[str]:
    """Imports of an optional extra's module outside ``with extra_import(...)``, a ``try`` (that answers with
    MissingExtra or a fallback) or ``if TYPE_CHECKING``."""
    found = []

    def visit(node: ast.AST, guarded: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = guarded or isinstance(child, ast.Try)
            if isinstance(child, ast.With) and any("extra_import" in ast.unparse(i.context_expr) for i in child.items):
                inside = True
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inside = True
            if isinstance(child, (ast.Import, ast.ImportFrom)) and not guarded:
                names = [child.module or ""] if isinstance(child, ast.ImportFrom) else [a.name for a in child.names]
                if any(n.split(".")[0] in OPTIONAL for n in names):
                    found.append(f"{path.relative_to(REPO)}:{child.lineno}: {ast.unparse(child)}")
            visit(child, inside)

    visit(ast.parse(path.read_text()), False)
    return found


def test_every_optional_import_raises_missing_extra() -> None:
    unguarded = [f for p in sorted((REPO / "auditkit").rglob("*.py")) for f in _unguarded_optional_imports(p)]
    assert unguarded == []


# --- cost views -----------------------------------------------------------------------------------


def _assistant(n: int, ts: str, model: str, session: str = "s1", out: int = 100) -> dict:
    return {
        "type": "assistant",
        "sessionId": session,
        "timestamp": ts,
        "uuid": f"u{n}",
        "requestId": f"req_{n}",
        "cwd": "/home/dev/app",
        "version": "2.1.200",
        "message": {
            "id": f"msg_{n}",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "ok"}],
            "usage": {"input_tokens": 1000, "output_tokens": out, "cache_read_input_tokens": 0,
                      "cache_creation_input_tokens": 0},
        },
    }  # fmt: skip


@pytest.fixture
def transcripts(tmp_path: Path) -> Path:
    """Messages over two weeks and two months: 23:30 UTC on Sunday 2026-11-29 is Monday in Berlin; a 6-hour
    gap and the 5-hour limit start new blocks."""
    folder = tmp_path / "projects" / "-home-dev-app"
    folder.mkdir(parents=True)
    lines = [
        _assistant(1, "2026-11-29T23:30:00.000Z", "claude-opus-4-6-20260101"),
        _assistant(2, "2026-12-01T09:10:00.000Z", "claude-sonnet-4-5-20250929"),
        _assistant(3, "2026-12-01T13:00:00.000Z", "claude-opus-4-6-20260101"),
        _assistant(4, "2026-12-01T14:20:00.000Z", "claude-sonnet-4-5-20250929"),  # 5 h 10 m after the block began
        _assistant(5, "2026-12-01T21:00:00.000Z", "claude-sonnet-4-5-20250929", session="s2"),  # after a gap
    ]
    (folder / "s1.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder


def cost(transcripts: Path, *flags: str) -> dict:
    done = cli("cost", str(transcripts), *flags, "--json", env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cost_by_week_month_and_block_follow_the_time_zone(transcripts: Path) -> None:
    weeks = [r["week"] for r in cost(transcripts, "--by", "week")["rows"]]
    assert weeks == ["2026-11-23", "2026-11-30"]
    assert [r["week"] for r in cost(transcripts, "--by", "week", "--timezone", "Europe/Berlin")["rows"]] == [
        "2026-11-30"
    ]
    months = {r["month"]: r["messages"] for r in cost(transcripts, "--by", "month")["rows"]}
    assert months == {"2026-11": 1, "2026-12": 4}
    blocks = {r["block"]: r["messages"] for r in cost(transcripts, "--by", "block")["rows"]}
    assert blocks == {"2026-11-29 23:00": 1, "2026-12-01 09:00": 2, "2026-12-01 14:00": 1, "2026-12-01 21:00": 1}


def test_cost_breakdown_last_and_total_tokens(transcripts: Path) -> None:
    doc = cost(transcripts, "--by", "day", "--breakdown", "--last", "1")
    assert {(r["day"], r["model"]) for r in doc["rows"]} == {("2026-12-01", "opus-4-6"), ("2026-12-01", "sonnet-4-5")}
    assert all(r["total_tokens"] == r["messages"] * 1100 for r in doc["rows"])
    assert doc["total_usd"] == pytest.approx(sum(r["usd"] for r in doc["rows"]))
    latest = cost(transcripts, "--by", "session", "--last", "1")["rows"]
    assert [r["session_id"] for r in latest] == ["s2"]
    shown = cli("cost", str(transcripts), "--by", "month", env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "total tokens" in shown.stdout and "models" in shown.stdout and "opus-4-6" in shown.stdout
    wrong = cli("cost", str(transcripts), "--timezone", "Mars/Olympus", env={**os.environ, "PYTHONPATH": str(REPO)})
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "is not a time zone" in wrong.stderr


# --- JSON columns as text ---------------------------------------------------------------------------


def test_str_on_a_json_column_works_on_its_json_text() -> None:
    col = pd.Series(JSONArray.from_values([{"command": "rm -rf /"}, {"command": "ls"}, None]), index=[7, 8, 9])
    assert col.str.contains("rm -rf").tolist() == [True, False, pd.NA]
    assert col.str.len().tolist() == [22, 16, pd.NA]
    assert col.str.extract(r'"command":"(\w+)')[0].tolist() == ["rm", "ls", pd.NA]
    assert list(col.str.upper().index) == [7, 8, 9]
    assert col.iloc[0] == {"command": "rm -rf /"}  # a value read is still the parsed value


def test_str_on_a_loaded_frame_in_its_own_process() -> None:
    code = (
        "import auditkit, sys; df = auditkit.load(sys.argv[1]);"
        "hits = df[df.input.str.contains('run_tests', na=False)];"
        "print(len(hits), hits.input.iloc[0] if len(hits) else '')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "sample_logs" / "regression-fix")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    count, command = done.stdout.strip().split(" ", 1)
    assert int(count) > 0 and "run_tests" in command


def test_the_library_cost_of_a_loaded_frame_agrees_with_the_command(transcripts: Path) -> None:
    import auditkit

    table = auditkit.cost(auditkit.load(transcripts), by="block", breakdown=True, tz="Europe/Berlin", last=2)
    shown = cost(transcripts, "--by", "block", "--breakdown", "--timezone", "Europe/Berlin", "--last", "2")["rows"]
    assert table.index.names == ["block", "model"]
    assert [(b, m, n) for (b, m), n in table["total_tokens"].items()] == [
        (r["block"], r["model"], r["total_tokens"]) for r in shown
    ]
    assert [r["block"] for r in shown] == ["2026-12-01 15:00", "2026-12-01 22:00"]  # Berlin's hours, the last two
