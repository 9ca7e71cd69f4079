"""``auditkit`` on the command line: one thin command per library function.

Each command is a handler registered with :func:`command`, beside the function that adds its options and
with its examples and library twin; :func:`build_parser` is a loop over :data:`COMMANDS`, and
:func:`reference` turns the same parser into docs/cli.md. Building the parser imports nothing heavy: each
handler imports what it needs when it runs. Exit codes: :data:`EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from auditkit._version import __version__
from auditkit.errors import AuditkitError

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]

#: What every exit code means (docs/cli.md lists this table; main() and the handlers keep to it).
EXIT_CODES = {
    0: "done: the answer is in the output (an empty trail answers in one line: no events)",
    1: "done, and the answer is no: not intact (verify), secrets found (scan), calls missing (reconcile), "
    "nothing touched the file (history), a failing check (doctor), an untrustworthy pack (report), "
    "approval not given (trust)",
    2: "not done: a mistyped command or option, a missing path, a file that is not a trail, a bad date, "
    "a missing extra, or an input or receiver the command could not use (one line on stderr says which)",
}


class Command:
    """One ``auditkit`` command: its verb, the function adding its options, its handler, its help and examples of
    its use. Its library twin is the function of the same name (``auditkit otel-receive`` is
    ``auditkit.otel_receive``): one name for one thing. A plain class, not a dataclass: ``dataclasses`` imports
    ``inspect``, ~13 ms on every start."""

    __slots__ = ("arguments", "examples", "handler", "help", "name")

    def __init__(self, name: str, arguments: Arguments, handler: Handler, help: str, examples: tuple[str, ...]) -> None:
        self.name, self.arguments, self.handler, self.help = name, arguments, handler, help
        self.examples = examples

    @property
    def twin(self) -> str:
        """The library function the command calls: ``auditkit.<twin>``, the verb with ``-`` as ``_``."""
        return self.name.replace("-", "_")


COMMANDS: dict[str, Command] = {}  # in the order `auditkit --help` lists them


def command(name: str, arguments: Arguments, help: str, *, examples: Sequence[str]) -> Callable[[Handler], Handler]:
    """Register the decorated handler as ``auditkit NAME``, its options added by ``arguments`` (defined beside it).

    ``examples`` are shown under ``--help`` and in docs/cli.md; the library function the handler calls is
    ``auditkit.NAME`` (``tests/test_cli_usability.py`` holds every verb to it).
    """

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"auditkit {name} is registered twice")
        if not examples:
            raise ValueError(f"auditkit {name} has no examples")
        COMMANDS[name] = Command(name, arguments, handler, help, tuple(examples))
        return handler

    return register


class _Formatter(argparse.HelpFormatter):
    """argparse's help, except that indented lines (the examples) are kept as they are written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for block in text.split("\n\n"):
            if block.startswith(" "):
                out.append("\n".join(indent + line for line in block.splitlines()))
            else:
                out.append(super()._fill_text(block, width, indent))
        return "\n\n".join(out)


def _epilog(c: Command) -> str:
    lines = "\n".join(f"  {e}" for e in c.examples)
    return f"examples:\n\n{lines}\n\nlibrary: auditkit.{c.twin}; exit codes and dates: docs/cli.md"


TRAILS_HELP = "trail files, folders or globs: auditkit trails, seed logs, hook payloads, transcripts, .gz too"


def _trail_args(p: argparse.ArgumentParser, what: str = TRAILS_HELP) -> None:
    """PATHS... as positional arguments (default: .claude/logs), with --trail as an alias: every command alike."""
    from auditkit.trail.config import DEFAULT_TRAIL_FOLDER  # start-up: only the command that runs loads it

    # default=[]: argparse counts a bare nargs="*" positional as required, and `replay S` said "PATHS is required"
    p.add_argument("paths", nargs="*", default=[], metavar="PATHS", help=f"{what} (default: {DEFAULT_TRAIL_FOLDER})")
    p.add_argument(
        "--trail",
        dest="trail_option",
        action="extend",
        nargs="+",
        metavar="PATH",
        help="the same as PATHS (kept for scripts written before PATHS)",
    )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
WHEN_FORMS = "2026-03-01, 2026-03-01T12:00Z, 2h, 30m, 7d, 1w, yesterday, today or now"


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """The one reading of every ``--since``/``--until``: a timezone-aware UTC time.

    ISO dates and times (``2026-03-01``, ``2026-03-01T12:00``, ``...Z`` or ``...+02:00``; no offset means UTC),
    a span back from now (``30m``, ``2h``, ``7d``, ``1w``; ``s`` for seconds), ``now``, and ``today`` or
    ``yesterday`` (midnight UTC). Anything else raises :class:`ValueError` naming the forms.
    """
    now = now or datetime.now(UTC)
    word = text.strip().lower()
    if word == "now":
        return now
    if word in ("today", "yesterday"):
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - timedelta(days=1 if word == "yesterday" else 0)
    span = re.fullmatch(r"(\d+)\s*([smhdw])(?:\s+ago)?", word)
    if span:
        return now - timedelta(seconds=int(span[1]) * _UNITS[span[2]])
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date or time: use {WHEN_FORMS}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _when(text: str) -> str:
    """argparse's type for --since/--until: the time as ISO 8601 in UTC, which every reader below takes."""
    try:
        return parse_when(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _window_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="TIME", type=_when, help=f"first time to include ({WHEN_FORMS}; UTC)")
    p.add_argument("--until", metavar="TIME", type=_when, help="first time to leave out (exclusive; the same forms)")


def _trails(args: argparse.Namespace) -> list[str]:
    """The trails a command reads: its PATHS and any --trail, else the current project's log folder."""
    from auditkit.trail.config import DEFAULT_TRAIL_FOLDER  # start-up: only the command that runs loads it

    return [*getattr(args, "paths", []), *(getattr(args, "trail_option", None) or [])] or [DEFAULT_TRAIL_FOLDER]


def _wants_data(args: argparse.Namespace) -> bool:
    """--json, or a file or format a program reads (export, sql --format csv): an empty answer keeps its shape
    (``[]``, a header, an empty file) instead of the one line for people."""
    return bool(getattr(args, "json", False)) or getattr(args, "format", "table") != "table"


def _no_events(df) -> bool:
    """No row, or only the kit's own bookkeeping: a trail just archived holds its start record and nothing else."""
    from auditkit.trail.format import SET_ASIDE, TRAIL_START  # start-up: only the command that runs loads it

    return bool(df.empty or df["event"].astype(str).isin((TRAIL_START, SET_ASIDE)).all())


class NothingThere(Exception):
    """The trails hold no events (or none in the window): the command answers so in one line, exit code 0."""


def _load(args: argparse.Namespace, paths: list[str] | None = None):
    """Load the command's trails quietly (problems go to stderr), within --since/--until if it has them.

    Files that hold no record at all and lines that are not records: one line saying they are not a trail
    (:class:`UsageError`, exit 2); no events: :class:`NothingThere` (exit 0) unless the output is data for a
    program (:func:`_wants_data`), so no table for people meets an empty frame.
    """
    from auditkit.analysis.views import window  # start-up: only the command that runs loads it
    from auditkit.errors import UsageError  # start-up: only the command that runs loads it
    from auditkit.loading.frame import load  # start-up: only the command that runs loads it

    where = paths if paths is not None else _trails(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = load(where)
    problems = df.attrs["problems"]
    named = ", ".join(where)
    if df.empty and problems:
        first = problems[0]
        raise UsageError(
            f"{named}: not an auditkit trail or a log it reads ({len(problems)} line(s) are not records; "
            f"{first['file']}:{first['line']}: {' '.join(str(first['reason']).split())[:200]})"
        )
    for p in problems[:5]:
        print(f"skipped {p['file']}:{p['line']}: {p['reason']}", file=sys.stderr)
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since or until:
        attrs = dict(df.attrs)
        df = window(df, since, until)
        df.attrs.update(attrs)
    if _no_events(df) and not _wants_data(args):
        span = f" from {since or 'the start'} until {until or 'now'}" if since or until else ""
        raise NothingThere(f"no events in {named}{span}")
    return df


def _ms(value: float | None) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def _summary_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p)
    _window_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "--detections",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="count the built-in detection rules' matches by level (auditkit detect)",
    )


@command(
    "summary",
    _summary_arguments,
    "Per-tool invocations, time (total, average, p95) and failures; per host.",
    examples=["auditkit summary", "auditkit summary .claude/logs --since 7d", "auditkit summary trail.jsonl --json"],
)
def cmd_summary(args: argparse.Namespace) -> int:
    from auditkit.analysis.views import by_agent, by_host, summary  # start-up: only the command that runs loads it
    from auditkit.present.terminal import text_table  # start-up: only the command that runs loads it

    df = _load(args)
    table = summary(df)
    hosts = by_host(df)
    agents = by_agent(df)
    totals = table.attrs["totals"]
    problems = df.attrs["problems"]
    detections = _detection_counts(df) if args.detections else None
    if args.json:
        doc = {
            "files": df.attrs["files"],
            "totals": totals,
            "tools": {
                tool: {k: (None if v != v else v) for k, v in row.items()}
                for tool, row in table.to_dict(orient="index").items()
            },
            "hosts": {
                h: {k: (str(v) if k in ("first", "last") else v) for k, v in row.items()}
                for h, row in hosts.to_dict(orient="index").items()
            },
            "agents": {  # the per-agent table (the text output shows it when there is more than one agent)
                a: {k: (str(v) if k in ("first", "last") else v) for k, v in row.items()}
                for a, row in agents.to_dict(orient="index").items()
            },
            "problems": problems,
            "detections": detections,
        }
        print(json.dumps(doc, indent=2, default=str))
        return 0
    print(
        f"=== Audit Trail Summary ({len(df.attrs['files'])} file(s), {totals['events']:,} events, "
        f"{totals['sessions']:,} session(s)) ===\n"
    )
    rate = f"{totals['failure_rate'] * 100:.1f}%"
    print(f"Total tool invocations: {totals['invocations']:,}")
    print(f"Total execution time:   {_ms(totals['total_ms'])}")
    print(f"Failures:               {totals['failures']:,} ({rate})")
    if totals["unfinished"]:
        print(f"Unfinished calls:       {totals['unfinished']:,} (no result recorded: denied or interrupted)")
    if detections is not None:
        shown = ", ".join(f"{n:,} {lvl}" for lvl, n in detections.items()) or "none"
        print(f"Detections:             {shown} (built-in rules; `auditkit detect` lists them)")
    print("\n=== Per-Tool Breakdown ===\n")
    rows = [{"tool": tool, **row} for tool, row in table.to_dict(orient="index").items()]
    cols = [
        ("tool", "tool", "text"),
        ("invocations", "calls", "int"),
        ("total_ms", "total", "ms"),
        ("mean_ms", "average", "ms"),
        ("p95_ms", "p95", "ms"),
        ("failures", "failures", "int"),
        ("failure_rate", "rate", "pct"),
    ]
    total = {
        "tool": "Total",
        "invocations": totals["invocations"],
        "total_ms": totals["total_ms"],
        "failures": totals["failures"],
        "failure_rate": totals["failure_rate"],
    }
    print(text_table(rows, cols, total))
    _breakdown("Per-Host Breakdown", hosts, "host", [("users", "users", "text")])
    if len(agents) > 1:  # Claude Code, Codex and Gemini in one trail or folder
        _breakdown("Per-Agent Breakdown", agents, "agent")
    _say_problems(problems)
    return 0


_SPAN = [
    ("sessions", "sessions", "int"),
    ("calls", "calls", "int"),
    ("failures", "failures", "int"),
    ("first", "first (UTC)", "time"),
    ("last", "last (UTC)", "time"),
]


def _breakdown(title: str, frame, key: str, extra: list | None = None) -> None:
    """A per-host or per-agent table under its heading."""
    from auditkit.present.terminal import text_table  # start-up: only the command that runs loads it

    print(f"\n=== {title} ===\n")
    rows = [{key: k, **row} for k, row in frame.to_dict(orient="index").items()]
    print(text_table(rows, [(key, key, "text"), *(extra or []), *_SPAN]))


def _say_problems(problems: list[dict]) -> None:
    if problems:
        print(f"\n{len(problems)} unreadable line(s) skipped:", file=sys.stderr)
        for p in problems[:20]:
            print(f"  {p['file']}:{p['line']}: {p['reason']}", file=sys.stderr)


def _install_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.trail.config import DEFAULT_TRAIL  # start-up: only the command that runs loads it

    _where_arguments(p)
    p.add_argument("--trail", metavar="PATH", help=f"trail file the hook writes (default: <project>/{DEFAULT_TRAIL})")
    p.add_argument("--python", metavar="PATH", help="interpreter for the hook (default: this one)")
    form = p.add_mutually_exclusive_group()
    form.add_argument(
        "--shared",
        action="store_true",
        help="portable form for a committed settings.json: the command `auditkit-hook`, which each teammate's "
        "shell finds on PATH; also writes this machine's launcher for it (each teammate runs this once)",
    )
    form.add_argument(
        "--local", action="store_true", help="write .claude/settings.local.json (this machine's, not committed)"
    )
    p.add_argument("--bin", metavar="DIR", help="with --shared: where the launcher goes (default: beside auditkit)")


def _uninstall_arguments(p: argparse.ArgumentParser) -> None:
    _where_arguments(p)
    p.add_argument("--local", action="store_true", help="change .claude/settings.local.json")


def _where_arguments(p: argparse.ArgumentParser) -> None:
    """Which settings file install and uninstall change, and whose hooks."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--project", metavar="DIR", help="project whose .claude/settings.json to change (default: the current folder)"
    )
    where.add_argument("--user", action="store_true", help="change the user's settings (~/.claude/...) instead")
    p.add_argument(
        "--agent",
        choices=["claude-code", "codex", "gemini"],
        default="claude-code",
        help="whose hooks: Claude Code (.claude/settings.json), Codex (.codex/hooks.json) or Gemini CLI "
        "(.gemini/settings.json)",
    )


@command(
    "install",
    _install_arguments,
    "Add auditkit's hook to Claude Code's settings (idempotent, with a backup).",
    examples=["auditkit install", "auditkit install --project ~/src/app", "auditkit install --user --agent codex"],
)
def cmd_install(args: argparse.Namespace) -> int:
    from auditkit.installer import hook_command, install  # start-up: only the command that runs loads it

    change = install(
        project=args.project,
        user=args.user,
        trail=args.trail,
        python=args.python,
        agent=args.agent,
        local=args.local,
        shared=args.shared,
        bin_dir=args.bin,
    )
    if change.launcher:
        print(f"launcher for this machine: {change.launcher} (it must be on your PATH)")
    if change.changed:
        print(f"auditkit hook installed in {change.path} for: {', '.join(change.events)}")
        if change.backup:
            print(f"previous settings kept in {change.backup}")
    else:
        print(f"auditkit hook already installed in {change.path}; nothing changed")
    print(f"command: {hook_command(args.trail, args.python, args.agent, args.shared)}")
    print("check it with: auditkit doctor" + (f" --project {args.project}" if args.project else ""))
    return 0


@command(
    "uninstall",
    _uninstall_arguments,
    "Remove exactly the hook entries auditkit added.",
    examples=["auditkit uninstall", "auditkit uninstall --project ~/src/app", "auditkit uninstall --local"],
)
def cmd_uninstall(args: argparse.Namespace) -> int:
    from auditkit.installer import uninstall  # start-up: only the command that runs loads it

    change = uninstall(project=args.project, user=args.user, agent=args.agent, local=args.local)
    if change.changed:
        print(f"auditkit hook removed from {change.path} ({', '.join(change.events)})")
        if change.backup:
            print(f"previous settings kept in {change.backup}")
    else:
        print(f"no auditkit hook in {change.path}; nothing changed")
    return 0


def _doctor_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", metavar="DIR", help="project folder (default: the current folder)")


@command(
    "doctor",
    _doctor_arguments,
    "Check that the hook is wired, runnable, and that a test event lands.",
    examples=["auditkit doctor", "auditkit doctor --project ~/src/app"],
)
def cmd_doctor(args: argparse.Namespace) -> int:
    from auditkit.installer import doctor  # start-up: only the command that runs loads it

    checks = doctor(args.project)
    for c in checks:
        print(f"{c.level.upper():<4}  {c.message}")
    return 1 if any(c.level == "fail" for c in checks) else 0


def _trust_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default=".", help="project folder (default: the current folder)")
    p.add_argument("--yes", action="store_true", help="approve what is shown without asking")
    p.add_argument("--revoke", action="store_true", help="forget the approval of the project's files")
    p.add_argument("--status", action="store_true", help="only say whether each file is approved")


@command(
    "trust",
    _trust_arguments,
    "Show a project's auditkit files and record your approval of them as they are (unapproved ones are ignored).",
    examples=["auditkit trust", "auditkit trust ~/src/app --status", "auditkit trust ~/src/app --revoke"],
)
def cmd_trust(args: argparse.Namespace) -> int:
    import os

    from auditkit.project_review import review_project, trust  # start-up: only the command that runs loads it
    from auditkit.trail.trust import revoke  # start-up: only the command that runs loads it

    project = os.path.abspath(args.project)
    reviews = review_project(project)
    if not reviews:
        print(f"{project}: ships no auditkit files (.claude/auditkit-rules.toml, .claude/auditkit.toml)")
        return 0
    if args.revoke:
        for r in reviews:
            print(f"{r.path}: approval {'revoked' if revoke(r.path, project) else 'was not recorded'}")
        return 0
    for r in reviews:
        print(("APPROVED  " if r.approved else "IGNORED   ") + r.said)
        if args.status:
            continue
        if r.data is not None:
            print(f"--- {r.path} (sha256 {r.sha256}) ---")
            print(r.data.decode("utf-8", "replace").rstrip("\n"))
            print("---")
        for w in r.warnings:
            print(f"WARN  {w}")
        for e in r.errors:
            print(f"FAIL  {e}")
    failed = any(r.errors for r in reviews)
    pending = [r for r in reviews if not r.approved and not r.errors]
    if args.status or not pending:
        return 1 if failed else 0
    if not args.yes:
        if not sys.stdin.isatty():
            print("not approved: run in a terminal to answer, or pass --yes after reading the files above")
            return 1
        answer = input(f"Approve {len(pending)} file(s) exactly as shown? They change what the trail records. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not approved: the files stay ignored")
            return 1
    for path, digest in trust(project, pending).items():
        print(f"approved {path} (sha256 {digest}); any change to it voids the approval")
    return 1 if failed else 0


def _pack_anchors(folder: str, args: argparse.Namespace) -> tuple[dict, list[str]]:
    """The TSA tokens over a pack's manifest, checked with ``--ca`` (or <config>/tsa-roots.pem) when given."""
    from auditkit.custody import anchors  # start-up: only the command that runs loads it
    from auditkit.trail.config import tsa_roots_path  # start-up: only the command that runs loads it

    if not os.path.isfile(os.path.join(folder, "manifest.anchors.jsonl")):
        return {"tokens": 0}, ["no TSA token over the manifest (--require-anchors)"] if args.require_anchors else []
    roots = tsa_roots_path()
    ca = args.ca or ([roots] if os.path.isfile(roots) else None)
    stamps, problems = anchors.check_pack(folder, anchors.Trust.load(ca, args.tsa_cert) if ca else None)
    if args.require_anchors and not stamps["valid"]:
        problems.append("no valid TSA token over the manifest (--require-anchors)")
    return stamps, problems


def _verify_pack(folder: str, args: argparse.Namespace) -> int:
    from auditkit.custody.packs import verify_pack  # start-up: only the command that runs loads it
    from auditkit.safe_text import printable  # start-up: only the command that runs loads it

    r = verify_pack(folder, args.pubkey)
    stamps, problems = _pack_anchors(folder, args)
    r.problems += problems
    if args.json:
        print(json.dumps({**r.to_dict(), "intact": r.intact, "anchors": stamps}, indent=2))
        return 0 if r.intact else 1
    ok = sum(1 for state in r.files.values() if state == "ok")
    signed = "valid" if r.signature_valid else "INVALID" if r.signature_valid is False else "not checked"
    print(f"evidence pack {folder}: signature {signed} (key {r.key_id}); {ok}/{len(r.files)} file(s) match")
    if stamps["tokens"]:
        latest = stamps["latest"] or {}
        print(
            f"anchors: {stamps['valid']}/{stamps['tokens']} TSA token(s) valid; latest: timestamped by TSA "
            f"{latest.get('tsa')} at {latest.get('gen_time')}"
            if stamps["checked"]
            else f"anchors: {stamps['tokens']} TSA token(s), not checked (pass --ca ROOT)"
        )
    for problem in r.problems:
        print(f"  {printable(problem)}")
    print("INTACT" if r.intact else "NOT INTACT")
    return 0 if r.intact else 1


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p, "trail files, folders or globs (rotated and .gz segments too)")
    p.add_argument("--seals", action="append", metavar="FILE", help="seal log(s) (default: <trail>.seals.jsonl)")
    p.add_argument(
        "--pubkey",
        metavar="KEY",
        help="Ed25519 public key or forward-secure commitment (default: seal.pub beside the seal key)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=1.0,
        metavar="S",
        help="report timestamps stepping back more than this many seconds (default 1)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint for s3:// paths (default: AWS)")
    p.add_argument(
        "--ca",
        action="append",
        metavar="FILE",
        help="root(s) the seals' TSA tokens must chain to (default: <config>/tsa-roots.pem)",
    )
    p.add_argument("--tsa-cert", action="append", metavar="FILE", help="pin the TSA's own certificate(s)")
    p.add_argument("--require-anchors", action="store_true", help="a seal without a valid TSA token is an error")
    p.add_argument(
        "--against",
        metavar="S3URL",
        help="compare the local seal logs with their copies in this bucket (s3://bucket/prefix, from auditkit sync)",
    )


def _verify_paths(paths: list[str], args: argparse.Namespace):
    """(the report, the buckets read) for trail files, folders and ``s3://`` URLs (and ``--against`` a bucket)."""
    anchors = {"tsa_ca": args.ca, "tsa_cert": args.tsa_cert, "require_anchors": args.require_anchors}
    if args.against or any(p.startswith("s3://") for p in paths):
        from auditkit.outbound.s3verify import verify_copies  # start-up: ~50 ms, only when a bucket is read

        return verify_copies(  # s3:// URLs: every object version, delete marker and lock
            paths,
            endpoint_url=args.endpoint_url,
            seals=args.seals,
            pubkey=args.pubkey,
            tolerance_s=args.tolerance,
            against=args.against,
            **anchors,
        )
    from auditkit.custody.verify import verify  # start-up: only the command that runs loads it

    # what verify_copies does without a bucket
    return verify(paths, seals=args.seals, pubkey=args.pubkey, tolerance_s=args.tolerance, **anchors), []


def _verify_as_the_process(paths: list[str], args: argparse.Namespace):
    """:func:`_verify_paths`; when this command is the whole process (the console script), one that ends after it."""
    if not args.whole_process:
        return _verify_paths(paths, args)
    import gc  # start-up: only the command that runs loads it

    from auditkit.store.parallel import keep_freed_memory  # start-up: only the command that runs loads it

    keep_freed_memory()  # one check, then the end: the heap each block frees is reused, not faulted in again
    out = _verify_paths(paths, args)
    # the report is made and the process ends after a few lines of output: its last garbage collections, at exit,
    # would only free memory the exit frees anyway
    gc.freeze()
    return out


@command(
    "verify",
    _verify_arguments,
    "Check trails' hash chains, sequence, time order and seals, or an evidence pack's signed manifest "
    "(a folder with manifest.json); exit 0 only if intact.",
    examples=[
        "auditkit verify",
        "auditkit verify .claude/logs --pubkey seal.pub",
        "auditkit verify s3://bucket/trails --json",
        "auditkit verify reports/incident --pubkey seal.pub   # an evidence pack",
    ],
)
def cmd_verify(args: argparse.Namespace) -> int:
    from auditkit.store.names import is_pack  # start-up: only the command that runs loads it

    paths = _trails(args)
    if len(paths) == 1 and is_pack(paths[0]):  # a folder with manifest.json
        return _verify_pack(paths[0], args)

    report, buckets = _verify_as_the_process(paths, args)
    if not args.json and not buckets and report.records == 0:  # one line, not a finding per line of a README
        named = ", ".join(_trails(args))
        if any(f.kind == "corrupt" for f in report.findings):
            print(
                f"auditkit verify: {named}: not an auditkit trail (no line is a record); nothing verified",
                file=sys.stderr,
            )
            return 2
        print(f"auditkit verify: {named}: no records found: nothing was checked, so NOT INTACT")
        return 1
    if args.json:
        out = report.to_dict()
        if buckets:
            out["buckets"] = [b.summary() for b in buckets]
        print(json.dumps(out, indent=2, default=str))
        return 0 if report.intact else 1
    for b in buckets:
        s = b.summary()
        locks = ", ".join(f"{n} {mode}" for mode, n in sorted(s["locks"].items()))
        until = f", earliest lock ends {s['earliest_retain_until']}" if s["earliest_retain_until"] else ""
        print(
            f"{b.url}: {s['keys']} key(s), {s['versions']} version(s), {s['delete_markers']} delete marker(s); "
            f"locks: {locks}{until}"
        )
    for tid, t in report.trails.items():
        print(
            f"trail {tid}: seq {t['first_seq']}..{t['last_seq']} in {len(t['files'])} file(s), "
            f"head {str(t['head_hash'])[:16]}…"
        )
    print(f"{report.records} records, {report.bytes / 1e6:.1f} MB checked in {len(report.files)} file(s)")
    s = report.seals
    if s["checked"]:
        latest = s["latest"] or {}
        print(
            f"seals: {s['valid']}/{s['checked']} valid, {s['failed']} failed; latest covers seq "
            f"{latest.get('seq')} at {latest.get('sealed_at')}"
        )
    else:
        print("seals: none found (only signed seals kept elsewhere reveal a cut tail or a rewritten trail)")
    _say_anchors(report.anchors)
    if report.provenance == "unchecked":
        print("provenance: not checked (no installation key here: cannot check the marks; the chain is checked)")
    elif not any(f.kind == "foreign" for f in report.findings):
        print("provenance: created (or adopted) by this installation: each trail's latest start carries its mark")
    for f in report.findings:
        print(f"  {f}")
    if report.intact:
        print("INTACT" + (" (with warnings)" if report.findings else ""))
        return 0
    b = report.first_break
    print(f"NOT INTACT: first break: {b.kind} at {b.file}:{b.line}" + (f" (seq {b.seq})" if b.seq is not None else ""))
    return 1


def _say_anchors(a: dict) -> None:
    if not a or not a.get("tokens"):
        return
    if not a.get("checked"):
        print(f"anchors: {a['tokens']} TSA token(s), not checked (pass --ca ROOT)")
        return
    latest = a.get("latest") or {}
    tsas = ", ".join(f"{n} from {t}" for t, n in sorted(a["tsas"].items()))
    print(
        f"anchors: {a['valid']}/{a['tokens']} token(s) valid ({tsas or 'none'}), {a['failed']} failed, "
        f"{a['unanchored']} seal(s) without one; latest: seq {latest.get('seq')} timestamped at "
        f"{latest.get('gen_time')} by {latest.get('tsa')}"
    )


def _keygen_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", metavar="PATH", help="private key path (default: AUDITKIT_SEAL_KEY or <config>/seal.key)")
    p.add_argument(
        "--forward-secure",
        action="store_true",
        help="a key that moves on every --interval seconds: today's key cannot sign for an earlier epoch",
    )
    p.add_argument("--interval", type=int, default=900, metavar="S", help="forward-secure epoch length (default 900)")
    p.add_argument(
        "--epochs",
        type=int,
        default=1 << 17,
        metavar="N",
        help="forward-secure epochs, a power of two (default 131072)",
    )
    p.add_argument("--evolve", action="store_true", help="move an existing forward-secure key to the current epoch")


@command(
    "keygen",
    _keygen_arguments,
    "Make an Ed25519 key pair for sealing trails (or a forward-secure key and its commitment).",
    examples=[
        "auditkit keygen",
        "auditkit keygen --key ~/keys/seal.key",
        "auditkit keygen --forward-secure   # seal.pub is then the commitment the verifier keeps offline",
        "auditkit keygen --evolve           # from cron: erase the past epochs' key between seals",
    ],
)
def cmd_keygen(args: argparse.Namespace) -> int:
    from auditkit.custody.seals import default_key_path, keygen  # start-up: only the command that runs loads it

    if args.evolve:
        from auditkit.custody.forward import evolve  # start-up: only this option loads it

        print(f"forward-secure key now at epoch {evolve(args.key or default_key_path())}")
        return 0
    fs = {"interval": args.interval, "epochs": args.epochs} if args.forward_secure else None
    priv, pub = keygen(args.key, forward_secure=fs)
    print(f"private key: {priv} (mode 0600; keep it off the machines whose trails it seals, if you can)")
    if fs:
        print(f"commitment:  {pub} (the verifier keeps a copy offline: auditkit verify --pubkey {pub})")
        print(f"epoch keys:  {priv.with_suffix('.leaves')} (public; needed beside the key to seal)")
    else:
        print(f"public key:  {pub} (give this to whoever verifies: auditkit verify --pubkey {pub})")
    return 0


def _anchor_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p, "trails (or their seal logs), files, folders or globs")
    p.add_argument("--tsa", action="append", required=True, metavar="URL", help="a Time-Stamping Authority (repeat)")
    p.add_argument(
        "--ca", action="append", metavar="FILE", help="root(s) a token must chain to (default: <config>/tsa-roots.pem)"
    )
    p.add_argument("--tsa-cert", action="append", metavar="FILE", help="pin the TSA's own certificate(s)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command(
    "anchor",
    _anchor_arguments,
    "Get an RFC 3161 timestamp token from each TSA for every seal that has none yet (from cron or CI).",
    examples=[
        "auditkit anchor .claude/logs --tsa https://freetsa.org/tsr --ca cacert.pem",
        "auditkit anchor --tsa http://tsa.internal/tsr --tsa https://tsa.example/tsr --ca roots.pem",
    ],
)
def cmd_anchor(args: argparse.Namespace) -> int:
    from auditkit.custody.anchors import Trust, anchor  # start-up: only the command that runs loads it
    from auditkit.trail.config import tsa_roots_path  # start-up: only the command that runs loads it

    roots = tsa_roots_path()
    ca = args.ca or ([roots] if os.path.isfile(roots) else None)
    trust = Trust.load(ca, args.tsa_cert) if ca else None
    result = anchor(_trails(args), args.tsa, trust, args.timeout)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 1 if result.failed else 0
    if not result.logs:
        print(f"auditkit anchor: no seal log beside {', '.join(_trails(args))}: nothing to anchor (seal first)")
        return 0
    for a in result.anchored:
        print(f"anchored {a['log']}:{a['line']} at {a['gen_time']} by {a['tsa']}")
    print(f"{len(result.anchored)} token(s) added, {result.already} already there")
    if result.anchored and not ca:
        print("  tokens were checked for their seal and nonce, not their signature: pass --ca ROOT")
    for why in result.failed:
        print(f"  {why}", file=sys.stderr)
    return 1 if result.failed else 0


def _seal_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.trail.config import DEFAULT_TRAIL  # start-up: only the command that runs loads it

    p.add_argument("trail", nargs="?", default=DEFAULT_TRAIL, help=f"the trail to seal (default: {DEFAULT_TRAIL})")
    p.add_argument("--key", metavar="PATH", help="private key (default: AUDITKIT_SEAL_KEY or <config>/seal.key)")
    p.add_argument("--seal-log", metavar="FILE", help="seal log (default: <trail>.seals.jsonl)")
    p.add_argument("--print", action="store_true", help="print the whole seal, to keep a copy elsewhere")
    p.add_argument("--quiet", action="store_true", help="print nothing (the hook's way)")
    p.add_argument(
        "--no-anchor", action="store_true", help="do not ask the TSAs of config.toml's [anchor] for a token now"
    )


@command(
    "seal",
    _seal_arguments,
    "Append a signed checkpoint of a trail's head to its seal log.",
    examples=["auditkit seal", "auditkit seal .claude/logs/trail.jsonl --print"],
)
def cmd_seal(args: argparse.Namespace) -> int:
    from auditkit.custody.seals import seal  # start-up: only the command that runs loads it

    s = seal(args.trail, args.key, args.seal_log)
    stamped = "" if args.no_anchor or args.seal_log else _anchor_new_seal(args.trail)
    if args.quiet:
        return 0
    if stamped:
        print(stamped)
    if args.print:
        print(json.dumps({k: v for k, v in s.items() if k != "seal_log"}, indent=2))
    else:
        print(f"sealed {s['trail_id']} up to seq {s['seq']} (head {s['head_hash'][:16]}…) in {s['seal_log']}")
    return 0


def _anchor_new_seal(trail: str) -> str:
    """With TSAs in config.toml's ``[anchor]``, get tokens for the trail's seals now (this runs in the process the
    hook starts detached, never in the hook); what happened, in one line. A failure leaves them for `anchor`."""
    from auditkit.custody import anchors  # start-up: only the command that runs loads it

    try:
        tsas, ca, timeout = anchors.configured()
        if not tsas:
            return ""
        result = anchors.anchor(trail, tsas, anchors.Trust.load(ca, None) if ca else None, timeout)
    except AuditkitError as exc:
        return f"not anchored now ({exc}); `auditkit anchor` will"
    said = f"{len(result.anchored)} TSA token(s) added"
    return said + (f"; {len(result.failed)} failed, left for `auditkit anchor`" if result.failed else "")


def _scan_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p, "files or folders")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.add_argument(
        "--pii",
        action="store_true",
        help="report where personal data sits (file, line, field, kind, count; never the value) instead of secrets",
    )


def _pii_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--pii",
        choices=["redact", "mask", "report", "off"],
        help=f"personal data in {what}: redact, mask or report it (default: [pii] outbound in rules.toml, off); "
        "needs the pii extra",
    )


@command(
    "scan",
    _scan_arguments,
    "Find unredacted secrets in trails, transcripts and text files; exit 1 if any.",
    examples=["auditkit scan", "auditkit scan ~/.claude/projects --json"],
)
def cmd_scan(args: argparse.Namespace) -> int:
    from auditkit.custody.secrets import scan  # start-up: only the command that runs loads it

    if args.pii:
        return _scan_pii(args)
    findings = scan(_trails(args))
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        for f in findings:
            print(f)
        kinds = sorted({f.kind for f in findings})
        print(f"{len(findings)} unredacted secret(s)" + (f": {', '.join(kinds)}" if kinds else ""), file=sys.stderr)
    return 1 if findings else 0


def _scan_pii(args: argparse.Namespace) -> int:
    from auditkit.custody.pii import scan_pii  # start-up: only the command that runs loads it

    found = scan_pii(_trails(args))
    if args.json:
        print(json.dumps([f.to_dict() for f in found], indent=2))
    else:
        for f in found:
            print(f)
        kinds: dict[str, int] = {}
        for f in found:
            kinds[f.kind] = kinds.get(f.kind, 0) + f.count
        said = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"{sum(kinds.values())} personal-data value(s)" + (f": {said}" if said else ""), file=sys.stderr)
    return 1 if found else 0


def _redact_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="file to read")
    p.add_argument("dst", help="file to write (mode 0600; never the source itself)")


@command(
    "redact",
    _redact_arguments,
    "Write a redacted copy of an old trail, transcript or text file.",
    examples=["auditkit redact old.jsonl old.redacted.jsonl"],
)
def cmd_redact(args: argparse.Namespace) -> int:
    from auditkit.custody.secrets import redact  # start-up: only the command that runs loads it

    out = redact(args.src, args.dst)
    note = "; an auditkit trail: written as a new chain that names its source" if out["rechained"] else ""
    print(f"{args.dst}: {out['lines']} lines, {out['redactions']} secret(s) redacted{note}")
    return 0


def _sessions_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p)
    _window_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


@command(
    "sessions",
    _sessions_arguments,
    "List the sessions in trails: when, how many calls, how many failed, who.",
    examples=["auditkit sessions", "auditkit sessions --since yesterday", "auditkit sessions .claude/logs --json"],
)
def cmd_sessions(args: argparse.Namespace) -> int:
    from auditkit.analysis.steps import sessions  # start-up: only the command that runs loads it
    from auditkit.present.terminal import text_table  # start-up: only the command that runs loads it

    table = sessions(_load(args))
    if args.json:
        print(table.to_json(orient="records", date_format="iso", indent=2))
        return 0
    rows = [
        {**r, "who": _who(r["user"], r["host"]), "end": _until(r["start"], r["end"])}
        for r in table.to_dict(orient="records")
    ]
    cols = [
        ("session_id", "session", "text"),
        ("start", "start (UTC)", "time"),
        ("end", "until", "text"),
        ("tool_calls", "calls", "int"),
        ("failures", "failed", "int"),
        ("who", "user@host", "text"),
    ]
    total = {
        "session_id": f"Total: {len(table):,} session(s)",
        "tool_calls": int(table["tool_calls"].sum()),
        "failures": int(table["failures"].sum()),
    }
    print(text_table(rows, cols, total))
    return 0


def _who(user: object, host: object) -> str:
    """``user@host``, or whichever is known (transcripts record neither)."""
    known = [str(v) for v in (user, host) if isinstance(v, str) and v]
    return "@".join(known) if len(known) == 2 else (known[0] if known else "")


def _until(start: object, end: object) -> str:
    """The end of a span: its time of day when it ends on the day it started, else date and time."""
    if end is None or end != end:
        return ""
    same_day = start == start and start is not None and end.date() == start.date()
    return f"{end:%H:%M}" if same_day else f"{end:%Y-%m-%d %H:%M}"


def _replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", help="session id (a unique prefix is enough)")
    _trail_args(p)
    p.add_argument(
        "--html",
        metavar="FILE",
        help="write the session as a conversation page (prompts, assistant text, calls, diffs, tokens) instead",
    )


@command(
    "replay",
    _replay_arguments,
    "Replay one session as a timeline of steps, or (--html) as the conversation it was.",
    examples=["auditkit replay 9e8d", "auditkit replay 9e8d .claude/logs --html replay.html"],
)
def cmd_replay(args: argparse.Namespace) -> int:
    from auditkit.analysis.steps import replay  # start-up: only the command that runs loads it
    from auditkit.analysis.views import session_id_for  # start-up: only the command that runs loads it
    from auditkit.present.render import replay_text  # start-up: only the command that runs loads it

    df = _load(args)
    steps = replay(df, session_id_for(df, args.session))
    if args.html:  # the conversation: prompts, the assistant's text, calls, diffs, tokens
        from auditkit.present.conversation import chart_engine_missing, save_conversation  # start-up: only --html

        missing = chart_engine_missing()
        if missing is not None:  # the page is whole without its chart, and says so; one line here too
            print(f"auditkit replay: {missing} (the page is written without the timeline chart)", file=sys.stderr)
        print(f"wrote {save_conversation(df, steps.attrs['session_id'], args.html)}")
    else:
        print(replay_text(steps))
    return 0


def _history_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="absolute path, or a path suffix such as src/parser.py")
    _trail_args(p)
    p.add_argument("--diff", action="store_true", help="show the diff under each new version")


@command(
    "history",
    _history_arguments,
    "Every event that touched a file, with its versions reconstructed.",
    examples=["auditkit history src/parser.py", "auditkit history /home/dev/app/.env --diff"],
)
def cmd_history(args: argparse.Namespace) -> int:
    from auditkit.analysis.versions import history  # start-up: only the command that runs loads it
    from auditkit.present.render import history_text  # start-up: only the command that runs loads it

    h = history(_load(args), args.path)
    if h.empty:
        print(f"no event in the trail touches {args.path}", file=sys.stderr)
        return 1
    print(history_text(h, diffs=args.diff))
    return 0


def _cost_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p, "transcripts and trails (files, folders, globs)")
    _window_args(p)
    p.add_argument(
        "--by",
        nargs="+",
        default=["session", "model"],
        choices=["session", "model", "agent", "subagent", "day", "week", "month", "block"],
        help="group by these (default: session model): agent is claude-code, codex or gemini; block is Claude's "
        "5-hour usage window; periods in date order",
    )
    p.add_argument("--breakdown", action="store_true", help="a row per model within each period or session")
    p.add_argument("--timezone", metavar="TZ", help="the calendar of day/week/month/block (IANA name; default UTC)")
    p.add_argument("--last", type=int, metavar="N", help="only the last N periods (or most recent N sessions, ...)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--wide", action="store_true", help="never cut ids or model names to fit the terminal")


@command(
    "cost",
    _cost_arguments,
    "Tokens and dollars from transcripts, each API message counted once.",
    examples=[
        "auditkit cost ~/.claude/projects",
        "auditkit cost ~/.claude/projects --by day --since 1w",
        "auditkit cost --by model --json",
    ],
)
def cmd_cost(args: argparse.Namespace) -> int:
    from auditkit.analysis.pricing import TOKEN_COLUMNS, usage_summary  # start-up: only the command that runs loads it
    from auditkit.present.terminal import text_table  # start-up: only the command that runs loads it

    keys = list(args.by)  # summarize reads session as session_id, subagent as agent_id
    # only what cost needs, summed where it is read, and no pandas: `auditkit cost` answers before a native tool
    groups, summary, problems = usage_summary(
        _trails(args), keys, breakdown=args.breakdown, tz=args.timezone, last=args.last, since=args.since,
        until=args.until,
    )  # fmt: skip
    for p in problems[:5]:
        print(f"skipped {p['file']}:{p['line']}: {p['reason']}", file=sys.stderr)
    keys = summary["keys"]
    shown_usd = sum(g["usd"] for g in groups if g["usd"] == g["usd"])  # what is shown (--last keeps some)
    if args.json:
        doc = {
            "rows": groups,
            "total_usd": shown_usd,
            "unpriced_models": summary["unpriced_models"],
            "prices_as_of": summary["prices_as_of"],
        }
        print(json.dumps(doc, indent=2, default=lambda v: None))
        return 0
    if not groups:
        print("no token usage found (usage comes from Claude Code transcripts: ~/.claude/projects/)")
        return 0
    heads = dict(zip(TOKEN_COLUMNS, ("input", "output", "cache write", "cache read"), strict=True))
    cols = [(k, k.removesuffix("_id"), "text") for k in keys] + [("messages", "messages", "int")]
    if "model" not in keys:
        cols.append(("models", "models", "text"))
    cols += [(c, heads[c], "int") for c in TOKEN_COLUMNS] + [("total_tokens", "total tokens", "int")]
    cols.append(("usd", "cost (USD)", "usd"))
    total = {keys[0]: "Total", "messages": sum(g["messages"] for g in groups)}
    total |= {c: sum(g[c] for g in groups) for c in [*TOKEN_COLUMNS, "total_tokens"]}
    total["usd"] = shown_usd
    whole = text_table(groups, cols, total, width=sys.maxsize)
    import shutil  # start-up: shutil loads bz2 and lzma (~1.5 ms); only cost's table needs it

    fits = shutil.get_terminal_size().columns  # COLUMNS, else the terminal, else 80
    if args.wide or max(map(len, whole.splitlines())) <= fits:
        print(whole)
    else:  # cut to fit, and said so: an id or a model name is never shortened silently
        print(text_table(groups, cols, total, width=fits))
        print(f"(ids and names cut with … to fit {fits} columns: --wide or --json shows them whole)")
    if summary["unpriced_models"]:
        print(f"\nno price for: {', '.join(summary['unpriced_models'])} (left out of the cost; see prices.toml)")
    return 0


def _archive_transcripts_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", metavar="DIR", help="default: ~/.claude/projects (or $CLAUDE_CONFIG_DIR/projects)")
    p.add_argument("--dest", metavar="DIR", help="default: ~/.local/share/auditkit/analysis/transcripts")


@command(
    "archive-transcripts",
    _archive_transcripts_arguments,
    "Copy Claude Code's transcripts somewhere kept, before its 30-day cleanup deletes them.",
    examples=["auditkit archive-transcripts", "auditkit archive-transcripts --dest /srv/kept/transcripts"],
)
def cmd_archive_transcripts(args: argparse.Namespace) -> int:
    from auditkit.analysis.transcripts import (  # start-up: only the command that runs loads it
        archive_transcripts,
        default_dest,
    )

    r = archive_transcripts(args.source, args.dest)
    print(
        f"archived to {args.dest or default_dest()}: {len(r.copied)} new, {len(r.updated)} grown, "
        f"{len(r.unchanged)} unchanged, {len(r.kept_apart)} diverged (kept beside the old copy)"
    )
    for name in r.kept_apart:
        print(f"  diverged: {name}")
    return 0


def _reconcile_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p, "auditkit trails")
    other = p.add_mutually_exclusive_group(required=True)
    other.add_argument("--transcripts", nargs="+", help="Claude Code transcripts")
    other.add_argument("--telemetry", nargs="+", metavar="TRAIL", help="trails written by `auditkit otel-receive`")
    other.add_argument(
        "--compliance", metavar="TRAIL", help="sessions: a trail of `auditkit ingest compliance-api` beside PATHS"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


@command(
    "reconcile",
    _reconcile_arguments,
    "Tool calls in transcripts but not in the trail, and the reverse.",
    examples=[
        "auditkit reconcile --transcripts ~/.claude/projects",
        "auditkit reconcile .claude/logs --telemetry otel.jsonl --json",
        "auditkit reconcile .claude/logs --compliance compliance.jsonl",
    ],
)
def cmd_reconcile(args: argparse.Namespace) -> int:
    if args.compliance:
        from auditkit.compliance_api import reconcile as sessions  # start-up: only the command that runs loads it
        from auditkit.safe_text import visible as visible_text  # start-up: only the command that runs loads it

        found = sessions(args.compliance, _trails(args))
        if args.json:
            print(json.dumps(found.__dict__, indent=2))
        else:
            for s in found.missing_locally:
                print(f"missing locally: session {visible_text(s)} (the Compliance API knows it; no hook record)")
            for s in found.missing_upstream:
                print(
                    f"missing upstream: session {visible_text(s)} (recorded here; the Compliance API does not know it)"
                )
            print(f"{len(found.missing_locally)} session(s) missing locally, {len(found.missing_upstream)} upstream")
        return 1 if found.missing_locally or found.missing_upstream else 0
    from auditkit.analysis.transcripts import reconcile  # start-up: only the command that runs loads it

    other = "telemetry" if args.telemetry else "transcripts"
    gaps = reconcile(_load(args), _load(args, args.telemetry or args.transcripts), names=("trail", other))
    if args.json:
        print(gaps.to_json(orient="records", date_format="iso", indent=2))
    else:
        for g in gaps.itertuples(index=False):
            print(f"missing from the {g.missing_from}: {g.session_id} {g.tool_use_id} {g.tool} {g.start}")
        print(
            f"{(gaps['missing_from'] == 'trail').sum()} call(s) missing from the trail, "
            f"{(gaps['missing_from'] == other).sum()} missing from the {other}"
        )
    return 1 if len(gaps) else 0


def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source", choices=["compliance-api"], help="compliance-api: Anthropic's Compliance API Activity Feed"
    )
    p.add_argument("--out", required=True, metavar="TRAIL", help="trail file to append to (made if missing)")
    p.add_argument("--since", metavar="TIME", type=_when, help=f"activities created from this time ({WHEN_FORMS})")
    p.add_argument("--type", action="append", metavar="TYPE", help="only this activity type (repeatable)")
    p.add_argument("--api-url", metavar="URL", help="another address for the API (a proxy, a test server)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command(
    "ingest",
    _ingest_arguments,
    "Read Anthropic's Compliance API Activity Feed into a chained, redacted trail (key from the environment).",
    examples=[
        "auditkit ingest compliance-api --out compliance.jsonl --since 7d",
        "auditkit ingest compliance-api --out compliance.jsonl --type claude_chat_created",
    ],
)
def cmd_ingest(args: argparse.Namespace) -> int:
    from auditkit.compliance_api import API_URL, ingest  # start-up: only the command that runs loads it

    since = args.since.strftime("%Y-%m-%dT%H:%M:%SZ") if args.since else None
    result = ingest(args.source, args.out, since=since, types=args.type, api_url=args.api_url or API_URL)
    print(json.dumps(result.__dict__, indent=2) if args.json else result)
    return 0


def _otel_receive_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", required=True, metavar="TRAIL", help="trail file to append to (e.g. .claude/logs/otel.jsonl)"
    )
    p.add_argument("--port", type=int, default=4318, help="port (default 4318, OTLP/HTTP's)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument(
        "--no-redact", action="store_true", help="keep secrets in prompts and tool details (not recommended)"
    )
    # (defaults in auditkit.outbound.otel, not imported here: every command would pay for http.server)
    p.add_argument("--max-body-bytes", type=int, metavar="N", help="largest request taken (default 20 MiB)")
    p.add_argument("--max-records", type=int, metavar="N", help="most log records in one request (default 10,000)")
    p.add_argument(
        "--idle-timeout", type=float, metavar="SECONDS", help="close a connection silent this long (default 10)"
    )
    p.add_argument(
        "--request-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection whose request has not arrived whole by then (default 60)",
    )


@command(
    "otel-receive",
    _otel_receive_arguments,
    "Receive Claude Code's OpenTelemetry logs into a chained, redacted trail.",
    examples=[
        "auditkit otel-receive --out .claude/logs/otel.jsonl",
        "auditkit otel-receive --out otel.jsonl --port 4319",
    ],
)
def cmd_otel_receive(args: argparse.Namespace) -> int:
    import signal

    from auditkit.outbound.otel import otel_receive  # start-up: only the command that runs loads it

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def listening(host: str, port: int) -> None:
        print(f"auditkit otel-receive: OTLP/HTTP logs on http://{host}:{port}/v1/logs -> {args.out} (Ctrl-C stops)")
        print(
            f"  for Claude Code: OTEL_EXPORTER_OTLP_ENDPOINT=http://{host}:{port} OTEL_LOGS_EXPORTER=otlp "
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/json CLAUDE_CODE_ENABLE_TELEMETRY=1",
            flush=True,
        )

    # installed before it says it listens, and explicit: Ctrl-C and a service manager's SIGTERM stop it even
    # when its parent ignores SIGINT (Python keeps an inherited SIG_IGN, and the receiver would never stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    limits = {
        name: value
        for name, value in (
            ("max_body_bytes", args.max_body_bytes),
            ("max_records", args.max_records),
            ("idle_timeout_s", args.idle_timeout),
            ("request_timeout_s", args.request_timeout),
        )
        if value is not None
    }
    otel_receive(args.out, args.host, args.port, redact=not args.no_redact, listening=listening, **limits)
    return 0


def _archive_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.trail.config import DEFAULT_TRAIL  # start-up: only the command that runs loads it

    p.add_argument("trail", nargs="?", default=DEFAULT_TRAIL, help=f"the active trail (default: {DEFAULT_TRAIL})")
    p.add_argument("--max-size", metavar="SIZE", help="rotate only when the trail is this big (100M, 1G)")
    p.add_argument("--max-age", metavar="AGE", help="rotate only when its first record is this old (30d, 4w)")
    p.add_argument("--no-seal", action="store_true", help="do not seal after rotating, even with a key configured")
    _pii_arg(p, "a minimised copy of the new segment, in .pii/ beside it (the segment stays as it is)")


@command(
    "archive",
    _archive_arguments,
    "Rotate a trail into a gzip segment that continues its hash chain.",
    examples=[
        "auditkit archive",
        "auditkit archive --max-size 100M",
        "auditkit archive .claude/logs/trail.jsonl --max-age 30d",
    ],
)
def cmd_archive(args: argparse.Namespace) -> int:
    from auditkit.custody.segments import (  # start-up: only the command that runs loads it
        archive,
        parse_age,
        parse_size,
    )

    result = archive(
        args.trail,
        max_bytes=parse_size(args.max_size) if args.max_size else None,
        max_age=parse_age(args.max_age) if args.max_age else None,
        seal=False if args.no_seal else None,
    )
    print(result)
    if result.rotated is not None:
        from pathlib import Path  # start-up: only when a segment was made

        from auditkit.custody.pii import choice, minimised_segment  # start-up: only when a segment was made

        detector, said = choice(args.pii)
        if detector is not None:
            copy, manifest = minimised_segment(Path(args.trail).parent / result.rotated.file, detector)
            found = sum(manifest["found"].values())
            print(
                f"personal data ({said['mode']}): {found} value(s); "
                + (f"minimised copy {copy}" if copy else "no copy")
            )
    return 0


def _adopt_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trail", help="the trail to adopt (only one you know this installation's hook wrote)")


@command(
    "adopt",
    _adopt_arguments,
    "Make a trail written before provenance marks this installation's own (the hook continues no unmarked "
    "trail): its chain must verify; it is archived and continued under a marked start recording the adoption.",
    examples=["auditkit adopt .claude/logs/trail.jsonl"],
)
def cmd_adopt(args: argparse.Namespace) -> int:
    from auditkit.custody.segments import adopt  # start-up: only the command that runs loads it

    print(adopt(args.trail))
    return 0


def _retention_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.trail.config import DEFAULT_TRAIL  # start-up: only the command that runs loads it

    p.add_argument(
        "trail",
        nargs="?",
        default=DEFAULT_TRAIL,
        help=f"the active trail; its segments are found beside it (default: {DEFAULT_TRAIL})",
    )
    p.add_argument("--keep", required=True, metavar="AGE", help="how long to keep records (365d, 52w, 1y)")
    p.add_argument("--dry-run", action="store_true", help="say what would be deleted and why; delete nothing")
    p.add_argument("--pubkey", metavar="KEY", help="Ed25519 public key (default: seal.pub beside the seal key)")
    p.add_argument("--seals", metavar="FILE", help="seal log (default: <trail>.seals.jsonl)")
    p.add_argument(
        "--key",
        metavar="KEY",
        help="private seal key that signs the retirement statement (default: AUDITKIT_SEAL_KEY or <config>/seal.key)",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")


@command(
    "retention",
    _retention_arguments,
    "Delete archived segments older than a policy that are sealed and intact.",
    examples=["auditkit retention --keep 365d --dry-run", "auditkit retention .claude/logs/trail.jsonl --keep 1y"],
)
def cmd_retention(args: argparse.Namespace) -> int:
    from auditkit.custody.retention import retention  # start-up: only the command that runs loads it

    plan = retention(args.trail, args.keep, dry_run=args.dry_run, pubkey=args.pubkey, seals=args.seals, key=args.key)
    if not plan.decisions and not args.json:  # an empty or odd trail: one line
        what = "would be deleted" if args.dry_run else "deleted"
        note = f" (ignored: {plan.ignored})" if plan.ignored else ""
        print(f"{plan.trail}: keep {plan.policy} (minimum {plan.minimum}): no archived segments; nothing {what}{note}")
        return 0
    print(json.dumps(plan.to_dict(), indent=2) if args.json else plan)
    return 0


def _export_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p)
    _window_args(p)
    p.add_argument("--format", choices=["csv", "parquet", "jsonl"], help="default parquet; jsonl with --schema")
    p.add_argument(
        "--schema",
        choices=["auditkit", "ocsf", "ecs"],
        default="auditkit",
        help="the kit's own columns (default), or each record as an OCSF 1.5 event / ECS document (JSON lines)",
    )
    p.add_argument("--out", required=True, metavar="PATH", help="file to write, or a folder with --partition-by")
    p.add_argument("--partition-by", metavar="COLS", help="Hive folders by these columns, e.g. date,host")
    p.add_argument(
        "--raw-formulas", action="store_true", help="CSV: do not neutralise cells a spreadsheet would run as formulas"
    )
    p.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint for an s3:// --out (default: AWS)")
    _pii_arg(p, "the payload columns; the choice goes into <out>.pii.json")


@command(
    "export",
    _export_arguments,
    "Export events as CSV or Parquet (optionally partitioned by date, host, ...).",
    examples=[
        "auditkit export --out events.parquet",
        "auditkit export --format csv --out events.csv --since 7d",
        "auditkit export --out dataset/ --partition-by date,host",
        "auditkit export --schema ocsf --out events.ocsf.jsonl",
    ],
)
def cmd_export(args: argparse.Namespace) -> int:
    from auditkit.outbound.exporting import export  # start-up: only the command that runs loads it

    parts = [c.strip() for c in args.partition_by.split(",") if c.strip()] if args.partition_by else []
    mapped = args.schema != "auditkit"  # OCSF/ECS events keep their original lines: read from the trails
    result = export(
        _trails(args) if mapped else _load(args),
        args.out,
        format=args.format or ("jsonl" if mapped else "parquet"),
        schema=args.schema,
        since=args.since if mapped else None,
        until=args.until if mapped else None,
        partition_by=parts,
        escape_formulas=not args.raw_formulas,
        endpoint_url=args.endpoint_url,
        pii=args.pii,
    )
    print(result)
    return 0


def _ship_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p)
    p.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the receiver's https:// URL (its usual path is added), or cloudwatch://GROUP/STREAM",
    )
    p.add_argument("--format", choices=["otlp", "datadog", "splunk", "elastic"], help="(not for cloudwatch://)")
    p.add_argument(
        "--schema",
        choices=["auditkit", "ocsf", "ecs"],
        default="auditkit",
        help="the kit's own record shape (default), OCSF 1.5 events, or ECS documents",
    )
    p.add_argument("--region", metavar="REGION", help="cloudwatch://: the AWS region (default: AWS's own settings)")
    p.add_argument("--endpoint-url", metavar="URL", help="cloudwatch://: another endpoint (a test server)")
    p.add_argument("--insecure", action="store_true", help="allow plain http:// (a collector on this machine)")
    p.add_argument("--state", metavar="FILE", help="the cursor file (default: .auditkit-ship-<hash>.json by the trail)")
    p.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust for the receiver's TLS certificate")
    p.add_argument("--batch-bytes", type=int, metavar="N", help="smaller batches than the receiver's limit")
    p.add_argument("--gzip", action="store_true", help="compress request bodies (Content-Encoding: gzip)")
    p.add_argument(
        "--batch-deadline",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up on a batch not acknowledged within this time, all tries together (default 120)",
    )
    _pii_arg(p, "what is sent")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command(
    "ship",
    _ship_arguments,
    "Send trails to OpenTelemetry (OTLP/HTTP), Datadog, Splunk HEC, Elasticsearch or CloudWatch Logs.",
    examples=[
        "auditkit ship --to https://collector:4318 --format otlp",
        "auditkit ship --to https://http-inputs.splunk.example --format splunk --gzip",
        "auditkit ship --to https://es.example:9200 --format elastic --schema ecs",
        "auditkit ship --to cloudwatch:///auditkit/claude-code/$(hostname) --region eu-west-1",
    ],
)
def cmd_ship(args: argparse.Namespace) -> int:
    from auditkit.outbound.shipping import ship  # start-up: only the command that runs loads it

    result = ship(
        _trails(args),
        args.to,
        args.format,
        insecure=args.insecure,
        state=args.state,
        ca_bundle=args.ca_bundle,
        max_batch_bytes=args.batch_bytes,
        gzip_body=args.gzip,
        deadline_s=args.batch_deadline,
        schema=args.schema,
        region=args.region,
        endpoint_url=args.endpoint_url,
        pii=args.pii,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(
        f"shipped {result.sent:,} record(s) in {result.batches} batch(es) to {result.destination}"
        f"{f' after {result.retries} retr(y/ies)' if result.retries else ''}; "
        f"{result.skipped:,} acknowledged before; state {result.state}"
    )
    for trail, at in sorted(result.cursor.items()):
        print(f"  trail {trail}: acknowledged up to seq {at['seq']}")
    return 0


def _sync_arguments(p: argparse.ArgumentParser) -> None:
    _trail_args(p)
    p.add_argument("--to", required=True, metavar="S3URL", help="s3://bucket/prefix")
    p.add_argument("--endpoint-url", metavar="URL", help="another S3 endpoint (MinIO, Ceph, a test server)")
    p.add_argument(
        "--lock-days", type=int, metavar="N", help="COMPLIANCE retention in days (default: the retention minimum)"
    )
    p.add_argument("--allow-unlocked", action="store_true", help="copy to a bucket without Object Lock anyway")
    _pii_arg(p, "the segments (minimised copies go up instead of them)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command(
    "sync",
    _sync_arguments,
    "Copy archived segments, seal log and manifest to S3 under Object Lock.",
    examples=[
        "auditkit sync --to s3://audit-bucket/trails",
        "auditkit sync --to s3://bucket/p --endpoint-url http://127.0.0.1:9000",
    ],
)
def cmd_sync(args: argparse.Namespace) -> int:
    from auditkit.outbound.s3sync import sync  # start-up: only the command that runs loads it

    result = sync(
        _trails(args),
        args.to,
        endpoint_url=args.endpoint_url,
        lock_days=args.lock_days,
        allow_unlocked=args.allow_unlocked,
        pii=args.pii,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    lock = f"locked (COMPLIANCE) until {result.retain_until}" if result.locked else "NOT locked (--allow-unlocked)"
    print(f"{args.to}: {len(result.uploaded)} file(s) uploaded, {len(result.skipped)} already there; {lock}")
    for key in result.uploaded:
        print(f"  + {key}")
    for key in result.held_back:
        print(f"  {key}: the newest seal(s) cover records still in the live trail; they go up once archived")
    return 0


def _sql_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help='e.g. "SELECT tool, count(*) FROM calls GROUP BY tool"')
    _trail_args(p)
    _window_args(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


@command(
    "sql",
    _sql_arguments,
    "Run DuckDB SQL over trails: views `trail` (events) and `calls` (tool calls).",
    examples=[
        'auditkit sql "SELECT tool, count(*) FROM calls GROUP BY tool"',
        'auditkit sql "SELECT * FROM trail LIMIT 5" --since today --format csv',
    ],
)
def cmd_sql(args: argparse.Namespace) -> int:
    from auditkit.analysis import answertext, trailsql  # start-up: only the command that runs loads them

    result = None
    if not (args.since or args.until) and _bytes(_trails(args)) >= _DIRECT_SQL_BYTES:
        # DuckDB over the files; None: the frame answers. A table of plain types comes back as its text,
        # laid out without pandas (answertext), so pandas is then never imported
        run = trailsql.run_text if args.format == "table" else trailsql.run
        result = run(args.query, _trails(args))
    if result is None:
        # pandas' ~100 MB only once the files are read: DuckDB's reading and a frame never add up
        from auditkit.analysis.sqlquery import sql  # start-up: only the command that runs loads it

        result = sql(args.query, _load(args))
    if isinstance(result, str):
        print(result)
    elif args.format == "csv":
        result.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(result.to_json(orient="records", date_format="iso", indent=2))
    else:
        print(answertext.frame_text(result))
    return 0


#: From this size ``auditkit sql`` reads trail files in DuckDB (below it the frame path is as quick, and it
#: also says when a trail holds no events).
_DIRECT_SQL_BYTES = 1 << 20


def _bytes(paths: list[str]) -> int:
    """The size of the files ``paths`` name (0 when one cannot be listed: the frame path says why)."""
    from auditkit.store.files import expand  # start-up: only the command that runs loads it

    try:
        return sum(f.stat().st_size for f in expand(paths))
    except (OSError, ValueError):
        return 0


def _some_record(args: argparse.Namespace) -> None:
    """Cheaply, before a slow run: :class:`NothingThere` when the trails hold no line, :class:`UsageError` when
    no file starts with a record (a README is not a trail)."""
    from auditkit.errors import UsageError  # start-up: only the command that runs loads it
    from auditkit.store.files import expand, first_record  # start-up: only the command that runs loads it

    files = expand(_trails(args))
    if any(first_record(f) is not None for f in files):
        return
    named = ", ".join(_trails(args))
    if all(f.stat().st_size == 0 for f in files):
        raise NothingThere(f"no events in {named}")
    raise UsageError(f"{named}: not an auditkit trail or a log it reads (no file starts with a record)")


REPORTS = ("incident", "cost", "compliance", "replay")


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", choices=REPORTS, help="the report (`auditkit report NAME --help` lists its parameters)")
    _trail_args(p)
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("KEY", "VALUE"),
        help="a notebook parameter (JSON values are parsed: -p keep_days 183)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the executed notebook, HTML and manifest")
    p.add_argument("--force", action="store_true", help="replace an evidence pack already in --out")
    p.add_argument("--pdf", action="store_true", help="also print the HTML page to a PDF with headless Chromium")
    p.add_argument("--seal-key", metavar="PATH", help="sign manifest.json with this key (default: the seal key)")
    p.add_argument("--mode", default="0600", metavar="OCTAL", help="pack file mode (default 0600; folder 0700)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar per cell on stderr (default: when stderr is a terminal)",
    )


@command(
    "report",
    _report_arguments,
    "Run an investigation notebook headless and write an evidence pack.",
    examples=[
        "auditkit report incident --out pack/ -p deleted_path customers.csv",
        "auditkit report cost --help",
        "auditkit report compliance --out pack/ --pdf",
    ],
)
def cmd_report(args: argparse.Namespace) -> int:
    from auditkit.present.notebook import skip_iri_grammar, skip_unused_checks  # start-up: only this command loads it

    skip_iri_grammar()  # before papermill imports jsonschema
    if args.whole_process:  # a program calling main() keeps bs4's CSS selectors and jsonschema's format checks
        skip_unused_checks()
    try:
        _some_record(args)  # a README runs no notebook
        empty = None
    except NothingThere as nothing:  # nothing to check still gets its pack: one that says NO INPUTS
        empty = nothing
    params = {}
    for key, value in args.param or []:
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    kernel = None
    if args.force or not os.path.exists(os.path.join(args.out, "manifest.json")):  # else report() refuses to run
        from auditkit.present import kernel as kernels  # start-up: only the command that runs loads it

        kernel = kernels.start(args.name)  # first: it starts on the other core while this process imports the rest
    try:
        from auditkit.custody.packs import parse_mode  # start-up: only the command that runs loads it
        from auditkit.present.evidence import report  # start-up: only the command that runs loads it

        manifest = report(
            args.name, _trails(args), args.out, params, force=args.force, progress=args.progress, pdf=args.pdf,
            seal_key=args.seal_key, mode=parse_mode(args.mode), kernel=kernel,
        )  # fmt: skip
    finally:
        if kernel is not None:  # report() stops the kernel it is given; this one stops it when report() never ran
            kernels.stop(kernel)
    if args.whole_process:
        import gc  # start-up: only the command that runs loads it

        # the pack is written and the process ends after a few lines of output: its last garbage collections, at
        # exit (~0.1 s), would only free memory the exit frees anyway
        gc.freeze()
    if empty is not None:
        print(f"auditkit report: {empty} (inputs missing): the pack in {args.out} says NO INPUTS; it is not evidence",
              file=sys.stderr)  # fmt: skip
        return 1
    v = manifest["verify"] or {}
    files = ", ".join(o["path"] for o in manifest["outputs"])
    print(
        f"{args.name} report in {args.out} ({manifest['seconds']} s): {files}, "
        f"manifest.json; trail {'intact' if v.get('intact') else 'NOT intact'}, "
        f"{len(manifest['inputs'])} input file(s) hashed"
    )
    sig = manifest.get("signature")
    print(
        f"  manifest signed (Ed25519, key {sig['key_id']}): check it with auditkit verify {args.out}"
        if sig
        else "  manifest NOT signed: no seal key (auditkit keygen makes one; --seal-key names another)"
    )
    results = manifest["results"]
    if isinstance(results.get("deleted"), dict):  # the incident pack's question, answered on the terminal too
        print(f"  did the agent delete {results['deleted'].get('path')}? {results['deleted'].get('answer')}")
    if results.get("usd") is not None:
        print(f"  tokens in the transcripts cost ${results['usd']:,.4f}")
    if not manifest["trustworthy"]:
        print(
            f"auditkit report: the inputs are {'missing' if not manifest['inputs'] else 'NOT intact'}: the pack "
            "was written with a red banner, but it is not evidence as it stands",
            file=sys.stderr,
        )
        return 1
    return 0


def _lab_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "dir", nargs="?", default="auditkit-notebooks", help="working folder (default: ./auditkit-notebooks)"
    )
    p.add_argument("--force", action="store_true", help="replace working copies that are there already")
    p.add_argument("--no-start", action="store_true", help="only copy; do not start JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")


def _notebooks_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--copy", required=True, metavar="DIR", help="working folder for the copies")
    p.add_argument("--force", action="store_true", help="replace working copies that are there already")


@command(
    "notebooks",
    _notebooks_arguments,
    "Copy the investigation notebooks to a working folder (auditkit lab also starts JupyterLab there).",
    examples=["auditkit notebooks --copy ~/auditkit-notebooks"],
)
@command(
    "lab",
    _lab_arguments,
    "Copy the notebooks to a working folder and start JupyterLab there (the templates stay untouched).",
    examples=["auditkit lab", "auditkit lab ~/investigations --no-browser"],
)
def cmd_lab(args: argparse.Namespace) -> int:
    from auditkit.present.workcopy import notebooks, start_lab  # start-up: only the command that runs loads it

    dest = args.copy if args.command == "notebooks" else args.dir
    copied = notebooks(dest, force=args.force)
    print(
        f"working copies in {dest}: {', '.join(p.name for p in copied) or 'kept as they are (--force replaces them)'}"
    )
    print("  (the templates stay as shipped: auditkit report always runs those)")
    if args.command == "notebooks" or args.no_start:
        return 0
    return start_lab(dest, browser=not args.no_browser)


def _detection_counts(df) -> dict[str, int] | None:
    """The built-in rules' matches per level, for summary (None when pySigma is not installed)."""
    try:
        from auditkit.detection.engine import counts_by_level, detect  # start-up: only the command that runs loads it
    except ImportError:
        return None
    try:
        return counts_by_level(detect(df))
    except AuditkitError as exc:  # pySigma missing: summary still works
        print(f"auditkit summary: detections left out: {exc}", file=sys.stderr)
        return None


def _detect_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.detection.levels import LEVELS  # the levels alone: building the parser must not load pandas

    _trail_args(p)
    _window_args(p)
    p.add_argument("--rules", action="append", metavar="PATH", help="Sigma rule file or folder (repeatable)")
    p.add_argument("--no-builtin", action="store_true", help="run only the --rules given, not the built-in pack")
    p.add_argument("--level", choices=LEVELS, default="informational", help="lowest level to show")
    p.add_argument("--json", action="store_true", help="print the matches as JSON")
    p.add_argument("--follow", action="store_true", help="follow the live trail and raise alerts as events land")
    p.add_argument(
        "--sink",
        action="append",
        metavar="SINK",
        help="where alerts go while following: stderr, jsonl:FILE, webhook:URL, slack:URL (repeatable)",
    )
    p.add_argument("--state", metavar="FILE", help="cursor file (default: <trail>.detect-state.json)")
    p.add_argument("--alerts", metavar="FILE", help="alert trail (default: <trail folder>/alerts.jsonl)")
    p.add_argument(
        "--per-minute", type=int, default=10, metavar="N", help="messages a minute per rule (then a summary)"
    )
    p.add_argument("--once", action="store_true", help="with --follow: read what is there, alert, save, and stop")


@command(
    "detect",
    _detect_arguments,
    "Run Sigma rules (built-in pack and yours) over trails, or follow and alert.",
    examples=[
        "auditkit detect",
        "auditkit detect --level high --since 2h",
        "auditkit detect --follow --sink slack:https://hooks.slack.com/...",
    ],
)
def cmd_detect(args: argparse.Namespace) -> int:
    from auditkit.detection.engine import LEVELS, detect, load_rules  # start-up: only the command that runs loads it
    from auditkit.present.terminal import visible  # start-up: only the command that runs loads it

    rules = load_rules(args.rules, builtin=not args.no_builtin)
    for r in rules:
        if r.unknown_fields:
            print(
                f"auditkit detect: {r.file}: {r.title}: unknown fields {', '.join(r.unknown_fields)}", file=sys.stderr
            )
    if args.follow:
        from auditkit.detection.follow import follow  # start-up: only the command that runs loads it

        return follow(
            _trails(args),
            rules,
            sinks=args.sink or ["stderr"],
            state=args.state,
            alerts=args.alerts,
            per_minute=args.per_minute,
            once=args.once,
        )
    hits = detect(_load(args), rules)
    hits = hits[hits["level"].astype(str).map(LEVELS.index) >= LEVELS.index(args.level)]
    if args.json:
        print(hits.drop(columns=["row"]).to_json(orient="records", date_format="iso", indent=2))
        return 0
    for h in hits.itertuples():
        when = h.timestamp.strftime("%Y-%m-%d %H:%M:%S") if h.timestamp == h.timestamp else "-"
        print(f"{h.level.upper():<8} {when}  {visible(h.rule)}  [session {visible(str(h.session_id))} seq {h.seq}]")
        if h.what:
            print(f"         {visible(str(h.what))[:300]}")
        print(f"         why: {visible(h.why)[:300]}")
    counts = hits.groupby("level", observed=True).size()
    shown = ", ".join(f"{n} {lvl}" for lvl, n in counts.items()) or "no matches"
    print(f"{len(hits)} detection(s) from {len(rules)} rule(s): {shown}", file=sys.stderr)
    return 0


def build_parser(width: int | None = None, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, built from :data:`COMMANDS` (``width``: fixed help width, for docs/cli.md;
    ``only``: that command's parser alone, for running it: ~30 subparsers cost ~10 ms of start-up)."""

    def formatter(prog: str) -> argparse.HelpFormatter:
        return _Formatter(prog, width=width) if width else _Formatter(prog)

    def checker(prog: str) -> argparse.HelpFormatter:
        return _Formatter(prog, width=width or 80)

    parser = argparse.ArgumentParser(
        prog="auditkit",
        description="Tamper-evident audit trails of what Claude Code did, and tools to investigate them.",
        epilog="examples:\n\n  auditkit summary\n  auditkit sessions --since yesterday\n  auditkit COMMAND --help\n\n"
        "exit codes: 0 done, 1 the answer is no (not intact, secrets found, ...), 2 not done; docs/cli.md",
        # argparse makes a formatter for each argument added, only to check its metavar: one of a fixed width
        # spares each the terminal's size and the start-up shutil (bz2, lzma: ~1.5 ms) of a command that prints no help
        formatter_class=checker,
    )
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for c in COMMANDS.values() if only is None else [COMMANDS[only]]:
        p = sub.add_parser(c.name, help=c.help, description=c.help, epilog=_epilog(c), formatter_class=checker)
        p.set_defaults(handler=c.handler)
        c.arguments(p)
    for p in (parser, *sub.choices.values()):
        p.formatter_class = formatter  # help, usage and errors: at the terminal's width, measured when shown
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _unknown_command(argv: list[str]) -> str | None:
    """One line for a verb that is not a command, with the nearest one(s) when there are any."""
    verb = next((a for a in argv if not a.startswith("-")), None)
    if verb is None or verb in COMMANDS:
        return None
    import difflib  # start-up: only a mistyped command loads it

    near = difflib.get_close_matches(verb, COMMANDS, n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(near)}?" if near else ""
    return f"auditkit: {verb!r} is not a command{guess} (auditkit --help lists them)"


def _unknown_options(extra: list[str], p: argparse.ArgumentParser) -> str:
    """argparse's 'unrecognized arguments', with the nearest option of this command for each mistyped one."""
    import difflib  # start-up: only a mistyped option loads it

    options = [o for a in p._actions for o in a.option_strings]
    said = []
    for arg in extra:
        name = arg.split("=", 1)[0]
        near = difflib.get_close_matches(name, options, n=1, cutoff=0.6) if name.startswith("-") else []
        said.append(f"{arg} (did you mean {near[0]}?)" if near else arg)
    return "unrecognized arguments: " + " ".join(said)


def notebook_parameters(name: str) -> list[dict[str, str]]:
    """The parameters a report's notebook takes, from its ``parameters`` cell: name, type, default and help
    (``trails`` and ``interactive`` are set by ``auditkit report`` itself and left out)."""
    import ast  # start-up: only `report NAME --help` loads it

    from auditkit.present.evidence import notebooks_dir  # start-up: only `report NAME --help` loads it

    nb = json.loads((notebooks_dir() / f"{name}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(cell["source"])
    lines = source.splitlines()
    out = []
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            key, kind, default = stmt.target.id, ast.unparse(stmt.annotation), ast.unparse(stmt.value)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            key, default = stmt.targets[0].id, ast.unparse(stmt.value)
            kind = type(ast.literal_eval(stmt.value)).__name__ if isinstance(stmt.value, ast.Constant) else "?"
        else:
            continue
        if key in ("trails", "interactive"):
            continue
        line = lines[stmt.end_lineno - 1] if stmt.end_lineno else ""
        note = line.split("#", 1)[1].strip() if "#" in line[stmt.end_col_offset or 0 :] else ""
        out.append({"name": key, "type": kind, "default": default, "help": note})
    return out


def _with_report_parameters(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """``auditkit report NAME --help``: the report's own parameters (from its notebook) under the options."""
    if not argv or argv[0] != "report" or not ({"-h", "--help"} & set(argv)):
        return
    names = [a for a in argv[1:] if a in REPORTS]
    if not names:
        return
    params = notebook_parameters(names[0])
    width = max((len(q["name"]) for q in params), default=0)
    rows = [f"  -p {q['name']:<{width}}  {q['type']}, default {q['default']}: {q['help']}" for q in params]
    p = _subparsers(parser)["report"]
    head = f"parameters of the {names[0]} report (-p KEY VALUE; JSON values are parsed):"
    p.epilog = f"{head}\n\n" + "\n".join(rows or ["  (none)"]) + "\n\n" + (p.epilog or "")


#: Modules whose loading means the interpreter's own exit has work to do: atexit handlers (coverage, weakref.finalize,
#: multiprocessing), threads to join, temporary files to remove.
_EXIT_HAS_WORK = ("atexit", "threading", "tempfile")


def _end_process(code: int) -> None:
    """End the process now with ``code``, its output flushed, when the interpreter's exit would only tear down
    what the operating system frees anyway (~2 ms of a small verify's ~45 ms); else return, to the usual exit.

    A flush that fails (a closed pipe, a full disk) also returns: the usual exit flushes again and reports it as it
    always has (``Exception ignored ...``, exit 120)."""
    if any(name in sys.modules for name in _EXIT_HAS_WORK):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # whatever it is, the usual exit meets it again and says so
        return
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """``auditkit ...``: exit codes as :data:`EXIT_CODES` (docs/cli.md) says."""
    from auditkit.present.terminal import guard_std_streams  # start-up: only the command that runs loads it

    guard_std_streams()  # what a trail holds is shown, never run by the terminal
    whole = argv is None  # this command is the process (the console script), not a call from a program or a test
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=argv[0] if argv and argv[0] in COMMANDS else None)
    wrong = _unknown_command(argv)
    if wrong:
        print(wrong, file=sys.stderr)
        return 2
    _with_report_parameters(parser, argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own usage and a suggestion, not the top-level usage
        _subparsers(parser)[args.command].error(_unknown_options(extra, _subparsers(parser)[args.command]))
    args.whole_process = whole
    try:
        code = args.handler(args)
        if whole and args.command == "verify":  # verify's end is known to leave nothing for the interpreter's exit
            _end_process(code)
        return code
    except NothingThere as exc:
        print(f"auditkit {args.command}: {exc}")
        return 0
    except (AuditkitError, FileNotFoundError, PermissionError, ValueError) as exc:
        print(f"auditkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def reference() -> str:
    """docs/cli.md: every command's help, examples and library twin, the date forms and the exit codes, from the
    parser itself (``python -m auditkit.cli --markdown`` prints it; a test keeps the file current)."""
    parser = build_parser(width=100)
    subs = _subparsers(parser)
    out = [
        "# The command line",
        "",
        "<!-- generated by `python -m auditkit.cli --markdown > docs/cli.md`; tests/test_cli_usability.py checks it is"
        " current -->",
        "",
        "Every command is a thin twin of the library function of the same name (`auditkit archive` calls"
        " `auditkit.archive`, `auditkit otel-receive` calls `auditkit.otel_receive`), takes its trails as PATHS"
        " (default `.claude/logs`; `--trail` is the same), and answers in one line when there is nothing to"
        " show. A mistyped command or option gets the nearest one as a suggestion.",
        "",
        "## Exit codes",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| {code} | {text} |" for code, text in EXIT_CODES.items()),
        "",
        "`verify` on an empty trail exits 1 (nothing was checked, so nothing is shown intact); on a file that is"
        " not a trail, 2.",
        "",
        "## Dates and times",
        "",
        f"Every `--since` and `--until` takes the same forms: {WHEN_FORMS}. A time without an offset is UTC;"
        " `today` and `yesterday` are midnight UTC; `2h`, `30m`, `7d`, `1w` count back from now. `--since` is"
        " included, `--until` is not.",
        "",
        "## Commands",
        "",
        "| command | what it does | library twin |",
        "|---|---|---|",
        *(f"| [`{c.name}`](#auditkit-{c.name}) | {c.help} | `auditkit.{c.twin}` |" for c in COMMANDS.values()),
        "",
    ]
    for c in COMMANDS.values():
        out += [f"## auditkit {c.name}", "", "```text", subs[c.name].format_help().rstrip(), "```", ""]
        if c.name == "report":  # what `auditkit report NAME --help` adds, per report
            for name in REPORTS:
                out += [f"### auditkit report {name}: parameters (`-p KEY VALUE`)", ""]
                out += ["| parameter | type | default | meaning |", "|---|---|---|---|"]
                out += [
                    f"| `{q['name']}` | {q['type']} | `{q['default']}` | {_cell(q['help'])} |"
                    for q in notebook_parameters(name)
                ]
                out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        print(reference(), end="")
        sys.exit(0)
    sys.exit(main())
