"""``auditkit`` on the command line: one thin command per library function."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence

from auditkit._version import __version__
from auditkit.errors import AuditkitError

Handler = Callable[[argparse.Namespace], int]


def _ms(value: float | None) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


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


def cmd_install(args: argparse.Namespace) -> int:
    from auditkit.installer import hook_command, install  # start-up: only the command that runs loads it

    change = install(project=args.project, user=args.user, trail=args.trail, python=args.python, agent=args.agent)
    if change.changed:
        print(f"auditkit hook installed in {change.path} for: {', '.join(change.events)}")
        if change.backup:
            print(f"previous settings kept in {change.backup}")
    else:
        print(f"auditkit hook already installed in {change.path}; nothing changed")
    print(f"command: {hook_command(args.trail, args.python, args.agent)}")
    print("check it with: auditkit doctor" + (f" --project {args.project}" if args.project else ""))
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    from auditkit.installer import uninstall  # start-up: only the command that runs loads it

    change = uninstall(project=args.project, user=args.user, agent=args.agent)
    if change.changed:
        print(f"auditkit hook removed from {change.path} ({', '.join(change.events)})")
        if change.backup:
            print(f"previous settings kept in {change.backup}")
    else:
        print(f"no auditkit hook in {change.path}; nothing changed")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from auditkit.installer import doctor  # start-up: only the command that runs loads it

    checks = doctor(args.project)
    for c in checks:
        print(f"{c.level.upper():<4}  {c.message}")
    return 1 if any(c.level == "fail" for c in checks) else 0


def cmd_trust(args: argparse.Namespace) -> int:
    import os

    from auditkit.project_review import approve_project, review_project  # start-up: only the command that runs loads it
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
    for path, digest in approve_project(project, pending).items():
        print(f"approved {path} (sha256 {digest}); any change to it voids the approval")
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from auditkit.outbound.s3verify import verify_copies  # start-up: only the command that runs loads it

    report, buckets = verify_copies(  # s3:// URLs: every object version, delete marker and lock
        _trails(args), endpoint_url=args.endpoint_url, seals=args.seals, pubkey=args.pubkey, tolerance_s=args.tolerance
    )
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


def cmd_keygen(args: argparse.Namespace) -> int:
    from auditkit.custody.seals import keygen  # start-up: only the command that runs loads it

    priv, pub = keygen(args.key)
    print(f"private key: {priv} (mode 0600; keep it off the machines whose trails it seals, if you can)")
    print(f"public key:  {pub} (give this to whoever verifies: auditkit verify --pubkey {pub})")
    return 0


def cmd_seal(args: argparse.Namespace) -> int:
    from auditkit.custody.seals import seal  # start-up: only the command that runs loads it

    s = seal(args.trail, args.key, args.seal_log)
    if args.quiet:
        return 0
    if args.print:
        print(json.dumps({k: v for k, v in s.items() if k != "seal_log"}, indent=2))
    else:
        print(f"sealed {s['trail_id']} up to seq {s['seq']} (head {s['head_hash'][:16]}…) in {s['seal_log']}")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from auditkit.custody.secrets import scan  # start-up: only the command that runs loads it

    findings = scan(_trails(args))
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        for f in findings:
            print(f)
        kinds = sorted({f.kind for f in findings})
        print(f"{len(findings)} unredacted secret(s)" + (f": {', '.join(kinds)}" if kinds else ""), file=sys.stderr)
    return 1 if findings else 0


def cmd_redact(args: argparse.Namespace) -> int:
    from auditkit.custody.secrets import redact_file  # start-up: only the command that runs loads it

    out = redact_file(args.src, args.dst)
    note = "; an auditkit trail: written as a new chain that names its source" if out["rechained"] else ""
    print(f"{args.dst}: {out['lines']} lines, {out['redactions']} secret(s) redacted{note}")
    return 0


def _trails(args: argparse.Namespace) -> list[str]:
    """The trails a command reads: its PATHS and any --trail, else the current project's log folder."""
    from auditkit.trail.config import DEFAULT_TRAIL_FOLDER  # start-up: only the command that runs loads it

    return [*getattr(args, "paths", []), *(getattr(args, "trail_option", None) or [])] or [DEFAULT_TRAIL_FOLDER]


def _load(args: argparse.Namespace, paths: list[str] | None = None):
    """Load the command's trails quietly (problems go to stderr), within --since/--until if it has them."""
    from auditkit.analysis.views import window  # start-up: only the command that runs loads it
    from auditkit.loading.frame import load  # start-up: only the command that runs loads it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = load(paths if paths is not None else _trails(args))
    for p in df.attrs["problems"][:5]:
        print(f"skipped {p['file']}:{p['line']}: {p['reason']}", file=sys.stderr)
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since or until:
        attrs = dict(df.attrs)
        df = window(df, since, until)
        df.attrs.update(attrs)
    return df


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


def cmd_replay(args: argparse.Namespace) -> int:
    from auditkit.analysis.steps import replay  # start-up: only the command that runs loads it
    from auditkit.analysis.views import session_id_for  # start-up: only the command that runs loads it
    from auditkit.present.render import replay_text, save_replay_html  # start-up: only the command that runs loads it

    df = _load(args)
    steps = replay(df, session_id_for(df, args.session))
    if args.html:
        print(f"wrote {save_replay_html(steps, args.html)}")
    else:
        print(replay_text(steps))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from auditkit.analysis.versions import file_history  # start-up: only the command that runs loads it
    from auditkit.present.render import history_text  # start-up: only the command that runs loads it

    h = file_history(_load(args), args.path)
    if h.empty:
        print(f"no event in the trail touches {args.path}", file=sys.stderr)
        return 1
    print(history_text(h, diffs=args.diff))
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from auditkit.analysis.pricing import TOKEN_COLUMNS, summarize  # start-up: only the command that runs loads it
    from auditkit.loading.usage_scan import usage_rows  # start-up: only the command that runs loads it
    from auditkit.present.terminal import text_table  # start-up: only the command that runs loads it

    by = {"session": "session_id", "model": "model", "agent": "agent", "subagent": "agent_id", "day": "day"}
    keys = [by[b] for b in args.by]
    # only what cost needs, and no pandas: `auditkit cost` answers in the time a native tool takes
    rows, problems, _ = usage_rows(_trails(args), since=args.since, until=args.until)
    for p in problems[:5]:
        print(f"skipped {p['file']}:{p['line']}: {p['reason']}", file=sys.stderr)
    groups, summary = summarize(rows, keys)
    if args.json:
        doc = {
            "rows": groups,
            "total_usd": summary["total_usd"],
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
    cols += [(c, heads[c], "int") for c in TOKEN_COLUMNS] + [("usd", "cost (USD)", "usd")]
    total = {keys[0]: "Total", "messages": sum(g["messages"] for g in groups), "usd": summary["total_usd"]}
    total |= {c: sum(g[c] for g in groups) for c in TOKEN_COLUMNS}
    print(text_table(groups, cols, total))
    if summary["unpriced_models"]:
        print(f"\nno price for: {', '.join(summary['unpriced_models'])} (left out of the cost; see prices.toml)")
    return 0


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


def cmd_reconcile(args: argparse.Namespace) -> int:
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


def cmd_otel_receive(args: argparse.Namespace) -> int:
    import signal

    from auditkit.outbound.otel import make_server  # start-up: only the command that runs loads it

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # installed before it says it listens, and explicit: Ctrl-C and a service manager's SIGTERM stop it even
    # when its parent ignores SIGINT (Python keeps an inherited SIG_IGN, and the receiver would never stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server = make_server(
        args.out,
        args.host,
        args.port,
        redact=not args.no_redact,
        **{
            name: value
            for name, value in (
                ("max_body_bytes", args.max_body_bytes),
                ("max_records", args.max_records),
                ("idle_timeout_s", args.idle_timeout),
                ("request_timeout_s", args.request_timeout),
            )
            if value is not None
        },
    )
    try:  # from here on, a stop signal ends it cleanly, even while it is still printing where it listens
        host, port = server.server_address[:2]
        print(f"auditkit otel-receive: OTLP/HTTP logs on http://{host}:{port}/v1/logs -> {args.out} (Ctrl-C stops)")
        print(
            f"  for Claude Code: OTEL_EXPORTER_OTLP_ENDPOINT=http://{host}:{port} OTEL_LOGS_EXPORTER=otlp "
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/json CLAUDE_CODE_ENABLE_TELEMETRY=1",
            flush=True,
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from auditkit.custody.segments import parse_age, parse_size, rotate  # start-up: only the command that runs loads it

    result = rotate(
        args.trail,
        max_bytes=parse_size(args.max_size) if args.max_size else None,
        max_age=parse_age(args.max_age) if args.max_age else None,
        seal=False if args.no_seal else None,
    )
    print(result)
    return 0


def cmd_adopt(args: argparse.Namespace) -> int:
    from auditkit.custody.segments import adopt  # start-up: only the command that runs loads it

    print(adopt(args.trail))
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from auditkit.custody.retention import apply_retention  # start-up: only the command that runs loads it

    plan = apply_retention(
        args.trail, args.keep, dry_run=args.dry_run, pubkey=args.pubkey, seals=args.seals, key=args.key
    )
    print(json.dumps(plan.to_dict(), indent=2) if args.json else plan)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from auditkit.outbound.exporting import export  # start-up: only the command that runs loads it

    parts = [c.strip() for c in args.partition_by.split(",") if c.strip()] if args.partition_by else []
    result = export(
        _load(args),
        args.out,
        format=args.format,
        partition_by=parts,
        escape_formulas=not args.raw_formulas,
        endpoint_url=args.endpoint_url,
    )
    print(result)
    return 0


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


def cmd_sync(args: argparse.Namespace) -> int:
    from auditkit.outbound.s3sync import sync  # start-up: only the command that runs loads it

    result = sync(
        _trails(args),
        args.to,
        endpoint_url=args.endpoint_url,
        lock_days=args.lock_days,
        allow_unlocked=args.allow_unlocked,
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


def cmd_sql(args: argparse.Namespace) -> int:
    from auditkit.analysis.sqlquery import sql  # start-up: only the command that runs loads it

    result = sql(args.query, _load(args))
    if args.format == "csv":
        result.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(result.to_json(orient="records", date_format="iso", indent=2))
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200, "display.max_colwidth", 80
        ):
            print(result.to_string(index=False) if len(result) else f"(no rows; columns: {', '.join(result.columns)})")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from auditkit.present.notebook import skip_iri_grammar  # start-up: only the command that runs loads it

    skip_iri_grammar()  # before papermill imports jsonschema
    from auditkit.present.evidence import run_report  # start-up: only the command that runs loads it

    params = {}
    for key, value in args.param or []:
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    manifest = run_report(
        args.name, _trails(args), args.out, params, force=args.force, progress=args.progress, pdf=args.pdf
    )
    v = manifest["verify"] or {}
    files = ", ".join(o["path"] for o in manifest["outputs"])
    print(
        f"{args.name} report in {args.out} ({manifest['seconds']} s): {files}, "
        f"manifest.json; trail {'intact' if v.get('intact') else 'NOT intact'}, "
        f"{len(manifest['inputs'])} input file(s) hashed"
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


def _detection_counts(df) -> dict[str, int] | None:
    """The built-in rules' matches per level, for summary (None when pySigma is not installed)."""
    try:
        from auditkit.detect.engine import counts_by_level, detect  # start-up: only the command that runs loads it
    except ImportError:
        return None
    try:
        return counts_by_level(detect(df))
    except AuditkitError as exc:  # pySigma missing: summary still works
        print(f"auditkit summary: detections left out: {exc}", file=sys.stderr)
        return None


def cmd_detect(args: argparse.Namespace) -> int:
    from auditkit.detect.engine import LEVELS, detect, load_rules  # start-up: only the command that runs loads it
    from auditkit.present.terminal import visible  # start-up: only the command that runs loads it

    rules = load_rules(args.rules, builtin=not args.no_builtin)
    for r in rules:
        if r.unknown_fields:
            print(
                f"auditkit detect: {r.file}: {r.title}: unknown fields {', '.join(r.unknown_fields)}", file=sys.stderr
            )
    if args.follow:
        from auditkit.detect.follow import follow  # start-up: only the command that runs loads it

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


def _detect_args(p: argparse.ArgumentParser) -> None:
    from auditkit.detect.levels import LEVELS  # the levels alone: building the parser must not load pandas

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


TRAILS_HELP = "trail files, folders or globs: auditkit trails, seed logs, hook payloads, transcripts, .gz too"


def _trail_args(p: argparse.ArgumentParser, what: str = TRAILS_HELP) -> None:
    """PATHS... as positional arguments (default: .claude/logs), with --trail as an alias: every command alike."""
    from auditkit.trail.config import DEFAULT_TRAIL_FOLDER  # start-up: only the command that runs loads it

    p.add_argument("paths", nargs="*", metavar="PATHS", help=f"{what} (default: {DEFAULT_TRAIL_FOLDER})")
    p.add_argument(
        "--trail",
        dest="trail_option",
        action="extend",
        nargs="+",
        metavar="PATH",
        help="the same as PATHS (kept for scripts written before PATHS)",
    )


def _window_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="TIME", help="first time to include (2026-03-01 or 2026-03-01T12:00Z; UTC)")
    p.add_argument("--until", metavar="TIME", help="first time to leave out (exclusive)")


def build_parser() -> argparse.ArgumentParser:
    from auditkit.trail.config import DEFAULT_TRAIL  # start-up: only the command that runs loads it

    parser = argparse.ArgumentParser(
        prog="auditkit",
        description="Tamper-evident audit trails of what Claude Code did, and tools to investigate them.",
    )
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    p = add("summary", cmd_summary, "Per-tool invocations, time (total, average, p95) and failures; per host.")
    _trail_args(p)
    _window_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "--detections",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="count the built-in detection rules' matches by level (auditkit detect)",
    )

    for name, handler, text in (
        ("install", cmd_install, "Add auditkit's hook to Claude Code's settings (idempotent, with a backup)."),
        ("uninstall", cmd_uninstall, "Remove exactly the hook entries auditkit added."),
    ):
        p = add(name, handler, text)
        where = p.add_mutually_exclusive_group()
        where.add_argument(
            "--project",
            metavar="DIR",
            help="project whose .claude/settings.json to change (default: the current folder)",
        )
        where.add_argument("--user", action="store_true", help="change the user's settings (~/.claude/...) instead")
        p.add_argument(
            "--agent",
            choices=["claude-code", "codex", "gemini"],
            default="claude-code",
            help="whose hooks: Claude Code (.claude/settings.json), Codex (.codex/hooks.json) or Gemini CLI "
            "(.gemini/settings.json)",
        )
        if name == "install":
            p.add_argument(
                "--trail", metavar="PATH", help=f"trail file the hook writes (default: <project>/{DEFAULT_TRAIL})"
            )
            p.add_argument("--python", metavar="PATH", help="interpreter for the hook (default: this one)")

    p = add("verify", cmd_verify, "Check trails' hash chains, sequence, time order and seals; exit 0 only if intact.")
    _trail_args(p, "trail files, folders or globs (rotated and .gz segments too)")
    p.add_argument("--seals", action="append", metavar="FILE", help="seal log(s) (default: <trail>.seals.jsonl)")
    p.add_argument("--pubkey", metavar="KEY", help="Ed25519 public key (default: seal.pub beside the seal key)")
    p.add_argument(
        "--tolerance",
        type=float,
        default=1.0,
        metavar="S",
        help="report timestamps stepping back more than this many seconds (default 1)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint for s3:// paths (default: AWS)")

    p = add("keygen", cmd_keygen, "Make an Ed25519 key pair for sealing trails.")
    p.add_argument("--key", metavar="PATH", help="private key path (default: AUDITKIT_SEAL_KEY or <config>/seal.key)")

    p = add("seal", cmd_seal, "Append a signed checkpoint of a trail's head to its seal log.")
    p.add_argument("trail", nargs="?", default=DEFAULT_TRAIL, help=f"the trail to seal (default: {DEFAULT_TRAIL})")
    p.add_argument("--key", metavar="PATH", help="private key (default: AUDITKIT_SEAL_KEY or <config>/seal.key)")
    p.add_argument("--seal-log", metavar="FILE", help="seal log (default: <trail>.seals.jsonl)")
    p.add_argument("--print", action="store_true", help="print the whole seal, to keep a copy elsewhere")
    p.add_argument("--quiet", action="store_true", help="print nothing (the hook's way)")

    p = add("scan", cmd_scan, "Find unredacted secrets in trails, transcripts and text files; exit 1 if any.")
    _trail_args(p, "files or folders")
    p.add_argument("--json", action="store_true", help="print findings as JSON")

    p = add("redact", cmd_redact, "Write a redacted copy of an old trail, transcript or text file.")
    p.add_argument("src", help="file to read")
    p.add_argument("dst", help="file to write (mode 0600; never the source itself)")

    p = add("sessions", cmd_sessions, "List the sessions in trails: when, how many calls, how many failed, who.")
    _trail_args(p)
    _window_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = add("replay", cmd_replay, "Replay one session as a timeline of steps.")
    p.add_argument("session", help="session id (a unique prefix is enough)")
    _trail_args(p)
    p.add_argument("--html", metavar="FILE", help="write a standalone page with the chart instead")

    p = add("history", cmd_history, "Every event that touched a file, with its versions reconstructed.")
    p.add_argument("path", help="absolute path, or a path suffix such as src/parser.py")
    _trail_args(p)
    p.add_argument("--diff", action="store_true", help="show the diff under each new version")

    p = add("cost", cmd_cost, "Tokens and dollars from transcripts, each API message counted once.")
    _trail_args(p, "transcripts and trails (files, folders, globs)")
    _window_args(p)
    p.add_argument(
        "--by",
        nargs="+",
        default=["session", "model"],
        choices=["session", "model", "agent", "subagent", "day"],
        help="group by these (default: session model): agent is claude-code, codex or gemini; days in date order",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = add(
        "archive-transcripts",
        cmd_archive_transcripts,
        "Copy Claude Code's transcripts somewhere kept, before its 30-day cleanup deletes them.",
    )
    p.add_argument("--source", metavar="DIR", help="default: ~/.claude/projects (or $CLAUDE_CONFIG_DIR/projects)")
    p.add_argument("--dest", metavar="DIR", help="default: ~/.local/share/auditkit/analysis/transcripts")

    p = add("reconcile", cmd_reconcile, "Tool calls in transcripts but not in the trail, and the reverse.")
    _trail_args(p, "auditkit trails")
    other = p.add_mutually_exclusive_group(required=True)
    other.add_argument("--transcripts", nargs="+", help="Claude Code transcripts")
    other.add_argument("--telemetry", nargs="+", metavar="TRAIL", help="trails written by `auditkit otel-receive`")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add(
        "otel-receive", cmd_otel_receive, "Receive Claude Code's OpenTelemetry logs into a chained, redacted trail."
    )
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

    p = add("archive", cmd_archive, "Rotate a trail into a gzip segment that continues its hash chain.")
    p.add_argument("trail", nargs="?", default=DEFAULT_TRAIL, help=f"the active trail (default: {DEFAULT_TRAIL})")
    p.add_argument("--max-size", metavar="SIZE", help="rotate only when the trail is this big (100M, 1G)")
    p.add_argument("--max-age", metavar="AGE", help="rotate only when its first record is this old (30d, 4w)")
    p.add_argument("--no-seal", action="store_true", help="do not seal after rotating, even with a key configured")

    p = add(
        "adopt",
        cmd_adopt,
        "Make a trail written before provenance marks this installation's own (the hook continues no unmarked "
        "trail): its chain must verify; it is archived and continued under a marked start recording the adoption.",
    )
    p.add_argument("trail", help="the trail to adopt (only one you know this installation's hook wrote)")

    p = add("retention", cmd_retention, "Delete archived segments older than a policy that are sealed and intact.")
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

    p = add("export", cmd_export, "Export events as CSV or Parquet (optionally partitioned by date, host, ...).")
    _trail_args(p)
    _window_args(p)
    p.add_argument("--format", choices=["csv", "parquet"], default="parquet")
    p.add_argument("--out", required=True, metavar="PATH", help="file to write, or a folder with --partition-by")
    p.add_argument("--partition-by", metavar="COLS", help="Hive folders by these columns, e.g. date,host")
    p.add_argument(
        "--raw-formulas", action="store_true", help="CSV: do not neutralise cells a spreadsheet would run as formulas"
    )
    p.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint for an s3:// --out (default: AWS)")

    p = add("ship", cmd_ship, "Send trails to OpenTelemetry (OTLP/HTTP), Datadog, Splunk HEC or Elasticsearch.")
    _trail_args(p)
    p.add_argument("--to", required=True, metavar="URL", help="the receiver's https:// URL (its usual path is added)")
    p.add_argument("--format", required=True, choices=["otlp", "datadog", "splunk", "elastic"])
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
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add("sync", cmd_sync, "Copy archived segments, seal log and manifest to S3 under Object Lock.")
    _trail_args(p)
    p.add_argument("--to", required=True, metavar="S3URL", help="s3://bucket/prefix")
    p.add_argument("--endpoint-url", metavar="URL", help="another S3 endpoint (MinIO, Ceph, a test server)")
    p.add_argument(
        "--lock-days", type=int, metavar="N", help="COMPLIANCE retention in days (default: the retention minimum)"
    )
    p.add_argument("--allow-unlocked", action="store_true", help="copy to a bucket without Object Lock anyway")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add("sql", cmd_sql, "Run DuckDB SQL over trails: views `trail` (events) and `calls` (tool calls).")
    p.add_argument("query", help='e.g. "SELECT tool, count(*) FROM calls GROUP BY tool"')
    _trail_args(p)
    _window_args(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = add("report", cmd_report, "Run an investigation notebook headless and write an evidence pack.")
    p.add_argument("name", choices=["incident", "cost", "compliance", "replay"])
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
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar per cell on stderr (default: when stderr is a terminal)",
    )

    p = add("detect", cmd_detect, "Run Sigma rules (built-in pack and yours) over trails, or follow and alert.")
    _detect_args(p)

    p = add("doctor", cmd_doctor, "Check that the hook is wired, runnable, and that a test event lands.")
    p.add_argument("--project", metavar="DIR", help="project folder (default: the current folder)")

    p = add(
        "trust",
        cmd_trust,
        "Show a project's auditkit files and record your approval of them as they are (unapproved ones are ignored).",
    )
    p.add_argument("project", nargs="?", default=".", help="project folder (default: the current folder)")
    p.add_argument("--yes", action="store_true", help="approve what is shown without asking")
    p.add_argument("--revoke", action="store_true", help="forget the approval of the project's files")
    p.add_argument("--status", action="store_true", help="only say whether each file is approved")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from auditkit.present.terminal import guard_std_streams  # start-up: only the command that runs loads it

    guard_std_streams()  # what a trail holds is shown, never run by the terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (AuditkitError, FileNotFoundError, PermissionError, ValueError) as exc:
        print(f"auditkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
