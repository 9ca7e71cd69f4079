"""The command line helps (#31): suggestions for typos, PATHS that default to .claude/logs, one date parser for
every --since/--until, examples in every --help, a report's parameters under `report NAME --help`, one line
(and a documented exit code) for empty, odd and missing inputs, ids never cut silently, and docs/cli.md made
from the parser. Behaviour is checked through the real command line, in its own process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditkit.cli import COMMANDS, EXIT_CODES, build_parser, notebook_parameters, parse_when, reference
from tests.conftest import REPO, SAMPLES

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"


def auditkit(*argv: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditkit", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=300,
    )


def test_a_mistyped_command_gets_one_line_naming_the_nearest() -> None:
    proc = auditkit("sumary")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "auditkit: 'sumary' is not a command; did you mean summary? (auditkit --help lists them)"
    ]
    assert "did you mean" not in auditkit("zzzzzz").stderr  # nothing near: no guess


def test_a_mistyped_option_answers_with_that_commands_usage_and_the_nearest_option() -> None:
    proc = auditkit("summary", "--jsn")
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: auditkit summary ")
    assert "unrecognized arguments: --jsn (did you mean --json?)" in proc.stderr
    assert "COMMAND" not in proc.stderr  # not the top-level usage


def test_commands_taking_paths_read_claude_logs_when_given_none(tmp_path: Path) -> None:
    """`replay S` (and every command with PATHS) without PATHS reads .claude/logs as documented."""
    shutil.copytree(SAMPLES / "incident", tmp_path / ".claude" / "logs")
    proc = auditkit("replay", "9e8d", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "PATHS" not in proc.stderr and proc.stdout
    for name, p in _subparsers().items():
        paths = [a for a in p._actions if a.dest == "paths"]
        assert all(not a.required and a.default == [] for a in paths), name


NOW = datetime(2026, 3, 17, 14, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01 12:00:30", datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)),
        ("2026-03-01T14:00+02:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("7d", NOW - timedelta(days=7)),
        ("1w", NOW - timedelta(weeks=1)),
        ("45s", NOW - timedelta(seconds=45)),
        ("3h ago", NOW - timedelta(hours=3)),
        ("now", NOW),
        ("today", datetime(2026, 3, 17, tzinfo=UTC)),
        ("yesterday", datetime(2026, 3, 16, tzinfo=UTC)),
        ("Yesterday", datetime(2026, 3, 16, tzinfo=UTC)),
    ],
)
def test_every_date_form_reads_as_an_aware_utc_time(text: str, expected: datetime) -> None:
    got = parse_when(text, now=NOW)
    assert got == expected and got.utcoffset() == timedelta(0)


def test_today_is_midnight_utc_even_when_now_is_given_in_another_zone() -> None:
    tokyo = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))  # 23:30 the same day in Tokyo
    assert parse_when("today", now=tokyo) == datetime(2026, 3, 17, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2x", "soon", "-2h", "2026-13-01", ""])
def test_a_date_that_is_not_one_of_the_forms_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="2h, 30m, 7d, 1w, yesterday, today or now"):
        parse_when(text, now=NOW)


def test_every_since_and_until_option_uses_the_one_parser() -> None:
    from auditkit.cli import _when

    for name, p in _subparsers().items():
        for a in p._actions:
            if a.dest in ("since", "until"):
                assert a.type is _when, (name, a.dest)


def test_relative_and_natural_dates_through_the_cli() -> None:
    """The sample trail is from 2026-03: everything is since 3000d, nothing since yesterday; a bad date is one
    line with the command's usage."""
    trail = str(SAMPLES / "incident")
    old = auditkit("sessions", trail, "--since", "3000d", "--json")
    assert old.returncode == 0 and len(json.loads(old.stdout)) == 1
    recent = auditkit("sessions", trail, "--since", "yesterday")
    assert recent.returncode == 0
    assert recent.stdout.splitlines() == [f"auditkit sessions: no events in {trail} from {_iso_yesterday()} until now"]
    bad = auditkit("summary", trail, "--since", "2x")
    assert bad.returncode == 2 and "argument --since: '2x' is not a date or time" in bad.stderr
    cost = auditkit("cost", str(TRANSCRIPTS), "--since", "3000d", "--until", "now", "--json")
    assert cost.returncode == 0 and json.loads(cost.stdout)["rows"]


def _iso_yesterday() -> str:
    return parse_when("yesterday").isoformat()


def test_every_help_shows_examples_of_its_own_command_and_its_library_twin() -> None:
    import auditkit as library

    for name, p in _subparsers().items():
        text = p.format_help()
        assert "examples:" in text, name
        assert f"  auditkit {name}" in text, name
        assert callable(getattr(library, COMMANDS[name].twin)), name
        assert f"library: auditkit.{COMMANDS[name].twin}" in text, name
    assert "examples:" in build_parser().format_help()


def test_report_name_help_lists_that_notebooks_parameters_with_types_and_defaults() -> None:
    proc = auditkit("report", "cost", "--help")
    assert proc.returncode == 0
    assert "parameters of the cost report" in proc.stdout
    params = notebook_parameters("cost")
    assert {"name": "top", "type": "int", "default": "10", "help": "how many of the slowest calls to list"} in params
    assert "trails" not in {q["name"] for q in params} and "interactive" not in {q["name"] for q in params}
    for q in params:
        assert f"-p {q['name']}" in proc.stdout and f"{q['type']}, default {q['default']}" in proc.stdout
    incident = auditkit("report", "incident", "-h").stdout
    assert "-p deleted_path" in incident and "-p top " not in incident.split("examples:")[0]


def test_verify_on_a_file_that_is_not_a_trail_says_so_in_one_line() -> None:
    proc = auditkit("verify", str(REPO / "README.md"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"auditkit verify: {REPO / 'README.md'}: not an auditkit trail (no line is a record); nothing verified"
    ]


# Every command, run on an empty trail, a text file that is not a trail, and a missing path. {p} is the input;
# {tmp} a scratch folder. Left out, each for its reason: install and uninstall (they change settings, not read
# a trail), keygen (writes a key), otel-receive (a server that runs until stopped), doctor (a checklist of this
# machine, a line per check, whatever the project folder holds).
MATRIX = {
    "summary": ["summary", "{p}"],
    "sessions": ["sessions", "{p}"],
    "replay": ["replay", "abc", "{p}"],
    "history": ["history", "x.py", "{p}"],
    "cost": ["cost", "{p}"],
    "sql": ["sql", "SELECT count(*) FROM calls", "{p}"],
    "export": ["export", "{p}", "--format", "csv", "--out", "{tmp}/x.csv"],
    "detect": ["detect", "{p}"],
    "verify": ["verify", "{p}"],
    "scan": ["scan", "{p}"],
    "seal": ["seal", "{p}", "--key", "{tmp}/no-key"],
    "archive": ["archive", "{p}"],
    "adopt": ["adopt", "{p}"],
    "retention": ["retention", "{p}", "--keep", "365d", "--dry-run"],
    "reconcile": ["reconcile", "{p}", "--transcripts", "{p}"],
    "ship": ["ship", "{p}", "--to", "http://127.0.0.1:9", "--format", "otlp", "--insecure", "--state", "{tmp}/s"],
    "redact": ["redact", "{p}", "{tmp}/clean"],
    "report": ["report", "incident", "{p}", "--out", "{tmp}/pack"],
    "archive-transcripts": ["archive-transcripts", "--source", "{p}", "--dest", "{tmp}/kept"],
    "trust": ["trust", "{p}", "--status"],
    "sync": ["sync", "{p}", "--to", "s3://bucket/p", "--endpoint-url", "http://127.0.0.1:9"],
    "ingest": ["ingest", "compliance-api", "--out", "{p}", "--api-url", "http://127.0.0.1:9"],
}
# lab and notebooks read no trail: they copy the notebook templates (tests/test_workcopy.py)
LEFT_OUT = {"install", "uninstall", "keygen", "otel-receive", "doctor", "lab", "notebooks"}


def test_the_input_matrix_covers_every_command() -> None:
    assert set(MATRIX) | LEFT_OUT == set(COMMANDS) and not set(MATRIX) & LEFT_OUT


@pytest.mark.slow  # a process per command and input
@pytest.mark.parametrize("kind", ["empty", "not-a-trail", "missing"])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_command_answers_odd_inputs_in_one_line_with_a_documented_code(
    name: str, kind: str, tmp_path: Path
) -> None:
    path = tmp_path / {"empty": "trail.jsonl", "not-a-trail": "README.md", "missing": "nope.jsonl"}[kind]
    if kind == "empty":
        path.write_text("")
    elif kind == "not-a-trail":
        path.write_text("# A project\n\nSome words, not records.\nMore words.\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (tmp_path / "home").mkdir()  # a user's home exists (IPython warns in every kernel where it does not)
    argv = [a.format(p=path, tmp=scratch) for a in MATRIX[name]]
    proc = auditkit(*argv, cwd=tmp_path, env={"HOME": str(tmp_path / "home"), "AWS_EC2_METADATA_DISABLED": "true"})
    assert proc.returncode in EXIT_CODES, (argv, proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr, argv
    lines = proc.stdout.splitlines() + proc.stderr.splitlines()
    assert len(lines) == 1, (argv, lines)
    if kind == "missing" and name not in ("trust", "sync"):  # a project folder, a bucket
        assert proc.returncode == 2, (argv, lines)
    if kind == "not-a-trail" and name in ("summary", "sessions", "replay", "sql", "detect", "verify", "report"):
        assert proc.returncode == 2 and "not an auditkit trail" in lines[0], (argv, lines)
    if kind == "empty" and name in ("summary", "sessions", "replay", "history", "sql", "detect"):
        assert proc.returncode == 0 and "no events in" in lines[0], (argv, lines)
    if kind == "empty" and name == "report":  # a pack that says NO INPUTS: written, and not evidence
        assert proc.returncode == 1 and "no events in" in lines[0] and "NO INPUTS" in lines[0], (argv, lines)


def test_cost_never_cuts_ids_silently_and_wide_shows_them_whole() -> None:
    narrow = auditkit("cost", str(TRANSCRIPTS), env={"COLUMNS": "60"})
    assert narrow.returncode == 0
    assert "…" in narrow.stdout and "--wide or --json shows them whole" in narrow.stdout
    for args in (["--wide"], []):
        env = {"COLUMNS": "60" if args else "400"}
        whole = auditkit("cost", str(TRANSCRIPTS), *args, env=env)
        assert "55555555-aaaa-4bbb-8ccc-000000000005" in whole.stdout and "claude-sonnet-4-5-20250929" in whole.stdout
        assert "…" not in whole.stdout and "shows them whole" not in whole.stdout
    rows = json.loads(auditkit("cost", str(TRANSCRIPTS), "--json", env={"COLUMNS": "20"}).stdout)["rows"]
    assert "55555555-aaaa-4bbb-8ccc-000000000005" in {r["session_id"] for r in rows}


def test_the_library_replay_takes_a_unique_session_prefix_as_the_cli_does() -> None:
    import auditkit as library
    from auditkit.errors import UsageError

    df = library.load(SAMPLES / "incident")
    (full,) = df["session_id"].dropna().unique()
    assert str(full).startswith("9e8d") and str(full) != "9e8d"
    steps = library.replay(df, "9e8d")
    assert len(steps) and steps.equals(library.replay(df, str(full)))
    with pytest.raises(UsageError, match="no session 'zzz' in the trail"):
        library.replay(df, "zzz")


def test_docs_cli_md_is_generated_from_the_parser_and_current() -> None:
    """Regenerate with `python -m auditkit.cli --markdown > docs/cli.md`."""
    doc = (REPO / "docs" / "cli.md").read_text()
    assert doc == reference(), "docs/cli.md is stale: python -m auditkit.cli --markdown > docs/cli.md"
    for code in EXIT_CODES:
        assert f"| {code} |" in doc
    for name in COMMANDS:
        assert f"## auditkit {name}\n" in doc


def test_the_markdown_entry_point_prints_the_reference() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit.cli", "--markdown"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "37"},  # the width is fixed, not the terminal's
    )
    assert proc.returncode == 0 and proc.stdout == reference()


def _subparsers() -> dict:
    from auditkit.cli import _subparsers as subs

    return subs(build_parser())


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "{p}", "--json"],
        ["sessions", "{p}", "--json"],
        ["detect", "{p}", "--json"],
        ["reconcile", "{p}", "--transcripts", "{p}", "--json"],
        ["sql", "SELECT count(*) AS n FROM calls", "{p}", "--format", "json"],
        ["cost", "{p}", "--json"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_empty_trail_keeps_the_shape_of_json_for_programs(argv: list[str], tmp_path: Path) -> None:
    """The one line is for people: with --json (or sql's json) a program still gets JSON it can read."""
    empty = tmp_path / "trail.jsonl"
    empty.write_text("")
    proc = auditkit(*[a.format(p=empty) for a in argv])
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rows = doc if isinstance(doc, list) else doc.get("rows", doc.get("tools"))
    assert rows in ([], {}, [{"n": 0}]), doc


@pytest.fixture(scope="module")
def archived_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trail right after `auditkit archive` (as cron runs it): only its start record is left."""
    from tests.conftest import payload, run_hook

    trail = tmp_path_factory.mktemp("archived") / "trail.jsonl"
    call = {"tool_name": "Bash", "tool_use_id": "c1", "tool_input": {"command": "ls"}}
    run_hook(payload("PreToolUse", **call), trail)
    run_hook(payload("PostToolUse", **call, tool_response={}), trail)
    assert auditkit("archive", str(trail)).returncode == 0
    assert [json.loads(line)["event"] for line in trail.read_text().splitlines()] == ["trail_start"]
    return trail


@pytest.mark.parametrize(
    "argv",
    [["summary"], ["sessions"], ["detect"], ["replay", "c1"], ["history", "x.py"], ["sql", "SELECT 1"]],
    ids=lambda argv: argv[0],
)
def test_a_trail_just_archived_answers_in_one_line(argv: list[str], archived_trail: Path) -> None:
    """The issue's case: summary after `auditkit archive` ended in a TypeError from the table code."""
    proc = auditkit(*argv, str(archived_trail))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"auditkit {argv[0]}: no events in {archived_trail}"] and proc.stderr == ""
