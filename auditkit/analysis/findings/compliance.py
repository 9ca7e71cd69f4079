"""Compliance questions: field completeness (NIST SP 800-53 AU-3), retention coverage, writes to sensitive paths,
trail file permissions, archived and retired segments, and a checklist mapped to controls."""

from __future__ import annotations

import fnmatch
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from auditkit.analysis.findings.incident import config_changes, file_changes
from auditkit.custody.anchors import custody_statement
from auditkit.custody.seals import read_seals
from auditkit.custody.segments import read_manifest
from auditkit.trail import pii_hook
from auditkit.trail.format import RETIRE_TYPE
from auditkit.trail.private_files import loose_modes

#: Paths whose modification an auditor wants to see (glob patterns on the absolute path).
SENSITIVE_PATHS: tuple[str, ...] = (
    "*/.env",
    "*/.env.*",
    "*.pem",
    "*.key",
    "*/id_rsa*",
    "*/.ssh/*",
    "/etc/*",
    "*/.github/workflows/*",
    "*/.aws/*",
    "*/.kube/*",
    "*secret*",
    "*/.claude/settings*.json",
    "*/.git/hooks/*",
    "*/Dockerfile",
)


def sensitive_writes(df: pd.DataFrame, patterns: tuple[str, ...] = SENSITIVE_PATHS) -> pd.DataFrame:
    ch = file_changes(df)
    paths = ch["path"].tolist()
    sensitive = {p: any(fnmatch.fnmatchcase(p, pat) for pat in patterns) for p in set(paths)}  # each path once
    hit = pd.Series([sensitive[p] for p in paths], index=ch.index, dtype=bool)  # an empty list selects no columns
    return ch[hit].reset_index(drop=True)


#: NIST SP 800-53 AU-3 content: which columns answer which question.
AU3_FIELDS = {
    "what": "event",
    "when": "timestamp",
    "where": "host",
    "source": "session_id",
    "outcome": "status",
    "who": "user",
}


def field_completeness(df: pd.DataFrame) -> pd.DataFrame:
    """Share of event records carrying each AU-3 field (auditkit's own records; trail starts excluded)."""
    own = ((df["event"] != "trail_start") & (df["source_format"] == "auditkit")).to_numpy(dtype=bool)
    records = int(own.sum())  # counted in place: a copy of those records would hold every column again
    rows = []
    for q, col in AU3_FIELDS.items():
        present = int((df[col].notna().to_numpy(dtype=bool) & own).sum())
        share = present / records if records else float("nan")
        rows.append({"question": q, "column": col, "present": present, "records": records, "share": share})
    return pd.DataFrame(rows)


def retention_coverage(df: pd.DataFrame, keep_days: int, now: datetime | None = None) -> dict:
    """Whether the trail reaches back ``keep_days`` (PCI DSS 12 months, EU AI Act at least 6 months...)."""
    now = now or datetime.now(UTC)
    ts = df["timestamp"].dropna()
    if ts.empty:
        return {"keep_days": keep_days, "earliest": None, "latest": None, "days_covered": 0, "status": "no records"}
    earliest, latest = ts.min().to_pydatetime(), ts.max().to_pydatetime()
    covered = (now - earliest).days
    status = "covered" if covered >= keep_days else "shorter than the policy (the trail may simply be younger)"
    return {
        "keep_days": keep_days,
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
        "days_covered": covered,
        "policy_start": (now - timedelta(days=keep_days)).isoformat(),
        "status": status,
    }


def archived_segments(files: list[str]) -> pd.DataFrame:
    """Segments the manifests beside the given trail files list: archived ones, and ones retention retired."""

    rows = []
    for folder in sorted({Path(f).parent for f in files}):
        for mpath in sorted(folder.glob("*.manifest.json")):
            m = read_manifest(mpath.with_name(mpath.name.replace(".manifest.json", ".jsonl")))
            for seg in m.segments:
                rows.append(
                    {
                        "trail": m.trail,
                        "file": seg.file,
                        "first_seq": seg.first_seq,
                        "last_seq": seg.last_seq,
                        "newest": seg.last_ts,
                        "state": "archived",
                        "when": seg.rotated_at,
                        "policy": None,
                    }
                )
            for r in m.retired:
                rows.append(
                    {
                        "trail": m.trail,
                        "file": r.get("file"),
                        "first_seq": r.get("first_seq"),
                        "last_seq": r.get("last_seq"),
                        "newest": r.get("last_ts"),
                        "state": "retired",
                        "when": r.get("deleted_at"),
                        "policy": r.get("policy"),
                    }
                )
    cols = ["trail", "file", "first_seq", "last_seq", "newest", "state", "when", "policy"]
    return pd.DataFrame(rows, columns=cols).sort_values(["trail", "first_seq"], ignore_index=True)


def file_permissions(paths: list[str]) -> pd.DataFrame:
    """Mode of each trail file and its folder; ``ok`` when neither is a link nor open to group or others."""
    rows = []
    for p in paths:
        st, dst = os.lstat(p), os.lstat(os.path.dirname(p) or ".")
        problems = loose_modes(p)
        rows.append(
            {
                "file": p,
                "mode": oct(st.st_mode & 0o777),
                "folder_mode": oct(dst.st_mode & 0o777),
                "ok": not problems,
                "note": "; ".join(problems),
            }
        )
    return pd.DataFrame(rows, columns=["file", "mode", "folder_mode", "ok", "note"])


def checklist(
    df: pd.DataFrame, verify_report: object, secrets: list, permissions: pd.DataFrame, retention: dict
) -> pd.DataFrame:
    """An automated checklist mapped to controls: status pass, fail or n/a, and the evidence for it."""
    complete = field_completeness(df)
    min_share = float(complete["share"].min()) if len(complete) else float("nan")
    ev = df.loc[df["event"] != "trail_start", ["event", "session_id"]]  # only the columns read here
    tool_events = ev["event"].isin(["PreToolUse", "PostToolUse", "PostToolUseFailure"]).sum()
    intact = bool(getattr(verify_report, "intact", False))
    sealed = getattr(verify_report, "seals", {}).get("checked", 0) if verify_report is not None else 0
    ts_ok = bool(df["timestamp"].notna().all()) and str(df["timestamp"].dt.tz) == "UTC"

    def row(control: str, requirement: str, ok: bool | None, evidence: str) -> dict:
        return {
            "control": control,
            "requirement": requirement,
            "status": "n/a" if ok is None else "pass" if ok else "fail",
            "evidence": evidence,
        }

    changed = config_changes(df)
    first_break = getattr(verify_report, "first_break", None)
    integrity = (
        f"{getattr(verify_report, 'records', 0)} records, chain intact"
        if intact
        else f"not intact: {first_break.kind} at {first_break.file}:{first_break.line}"
        if first_break
        else "not verified"
    )
    perms_ok = bool(len(permissions)) and bool(permissions["ok"].all())
    rows = [
        row(
            "NIST AU-2 / PCI DSS 10.2",
            "audit events are logged for every tool call and session event",
            tool_events > 0,
            f"{int(tool_events)} tool events, {ev['event'].nunique()} event types, "
            f"{ev['session_id'].nunique()} sessions",
        ),
        row(
            "NIST AU-3 / PCI DSS 10.3",
            "records say what, when, where, source, outcome and who",
            min_share >= 1.0 if min_share == min_share else None,
            "; ".join(f"{r.question} {r.share:.0%}" for r in complete.itertuples()),
        ),
        row("NIST AU-8", "time stamps are recorded in UTC", ts_ok, "tz-aware UTC timestamps, microsecond precision"),
        row(
            "NIST AU-9 / PCI DSS 10.5 / ISO 27001 A.8.15",
            "audit information is protected from modification",
            intact and perms_ok,
            f"{integrity}; {int(sealed)} seal(s) checked; {custody_statement(verify_report)}; files 0600: {perms_ok}",
        ),
        row(
            "NIST AU-11 / PCI DSS 10.5.1",
            f"records retained for {retention['keep_days']} days",
            # a trail younger than the policy cannot show the policy kept: not applicable yet, not a failure
            True if retention["status"] == "covered" else None,
            f"earliest {retention['earliest']}, {retention['days_covered']} days covered",
        ),
        row(
            "NIST AU-12 / SOC 2 CC7.2",
            "the capture is generated automatically for every event",
            tool_events > 0 and not (ev["event"] == "hook_error").any(),
            f"{int((ev['event'] == 'hook_error').sum())} hook error(s)",
        ),
        row(
            "EU AI Act Art. 12",
            "automatic recording of events over the system's lifetime",
            tool_events > 0 and intact,
            "hash-chained automatic log of every agent action",
        ),
        row(
            "NIST AU-5 / AU-12(3)",
            "the capture was not switched off or changed during a session",
            None if not len(changed) else False,
            "no settings file changed mid-session (ConfigChange)"
            if not len(changed)
            else f"{len(changed)} settings change(s) mid-session: "
            + "; ".join(f"{c.file_path} at {c.timestamp:%Y-%m-%d %H:%M:%S}" for c in changed.itertuples())
            + " (check that hooks were not disabled)",
        ),
        row(
            "Secrets (PCI DSS 3.x / SOC 2 CC6.1)",
            "no unredacted secret in the trail",
            len(secrets) == 0,
            f"{len(secrets)} unredacted secret(s) found by auditkit scan",
        ),
    ]
    return pd.DataFrame(rows)


# --- controls an auditor can check: each computed from evidence, the evidence shown ---------------------------


def data_minimisation(pii: dict | None = None) -> tuple[str, str, str, str, str]:
    """The data-minimisation row (GDPR Art. 5(1)(c)) from the ``[pii]`` policy in force (``Policy.to_dict``, with
    ``found``: counts by kind from ``auditkit scan --pii``, when given): pass when personal data is redacted
    or masked before it leaves the machine (or by the hook), partial when only reported, pending review when
    no policy is set. None: the policy in force for the current folder."""
    pii = pii_hook.policy(os.getcwd()).to_dict() if pii is None else pii
    hook, mode = bool(pii.get("hook")), pii.get("outbound", "off")
    found = pii.get("found")
    where = f"; auditkit scan --pii: {sum(found.values())} value(s) ({', '.join(sorted(found))})" if found else ""
    if hook or mode in ("redact", "mask"):
        result = "pass"
        said = f"[pii] hook {'on' if hook else 'off'}, outbound {mode}; set in {', '.join(pii.get('sources', []))}"
    elif mode == "report":
        result, said = "partial", "[pii] outbound report: personal data is located, not minimised"
    else:
        result, said = "pending review", "no [pii] policy: personal data is kept and sent as recorded"
    return (
        "Data minimisation (GDPR Art. 5(1)(c))",
        "personal data kept out of places it does not need to be, or known where it is",
        "a [pii] policy redacts or masks personal data in what leaves the machine (archive, export, ship, sync)",
        result,
        said + where,
    )


#: What the kit cannot evidence, said plainly in the compliance pack.
CANNOT_EVIDENCE: tuple[str, ...] = (
    "that the hook was installed and enabled on every machine and for every session: a session no other input "
    "(transcript, telemetry) recorded either is invisible here",
    "that the host clock was synchronised (NTP): times are the hook's host clock, checked only for order",
    "who the person at the keyboard was: `user` is the operating-system account the agent ran under",
    "what happened outside the agent's tool calls (the user's own shell, other programs, the network)",
    "that a deleted trail ever existed, unless its seals or a retirement statement name it",
    "that a person reviewed the findings: the sign-off block below is for a person to complete",
)

#: Frameworks mapped onto the NIST controls the kit computes: (control, requirement, the NIST rows it rests on).
MAPPINGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "SOC 2 CC6.1",
        "logical access: secrets kept out of the logs, logs readable only by their owner",
        ("Secrets", "NIST AU-9"),
    ),
    ("SOC 2 CC7.2", "anomalies and security events are monitored", ("NIST AU-12", "NIST SI-4")),
    ("SOC 2 CC7.3", "security events are evaluated", ("NIST AU-6",)),
    ("SOC 2 CC8.1", "changes are authorised and recorded", ("NIST AU-2", "NIST AU-5")),
    ("ISO 27001:2022 A.8.15", "logging: events produced, kept and protected", ("NIST AU-2", "NIST AU-3", "NIST AU-9")),
    ("ISO 27001:2022 A.8.16", "monitoring activities", ("NIST SI-4", "NIST AU-6")),
    ("ISO 27001:2022 A.8.17", "clock synchronisation", ("NIST AU-8",)),
    ("PCI DSS v4.0 10.2", "audit logs capture user activity and events", ("NIST AU-2", "NIST AU-3")),
    ("PCI DSS v4.0 10.3", "audit logs are protected from destruction and modification", ("NIST AU-9",)),
    ("PCI DSS v4.0 10.4", "audit logs are reviewed to identify anomalies", ("NIST AU-6", "NIST SI-4")),
    ("PCI DSS v4.0 10.5", "audit log history is retained (12 months)", ("NIST AU-11",)),
    ("PCI DSS v4.0 10.7", "failures of critical security control systems are detected and reported", ("NIST AU-5",)),
    ("EU AI Act Art. 12", "automatic recording of events over the system's lifetime", ("NIST AU-2", "NIST AU-9")),
    ("EU AI Act Art. 19", "automatically generated logs kept at least six months", ("NIST AU-11",)),
)

_ORDER = {"fail": 0, "partial": 1, "pending review": 2, "n/a": 3, "pass": 4}


def hook_records(df: pd.DataFrame) -> pd.Series:
    """Which rows the hook wrote: auditkit's own trail format, less Claude Code's telemetry (``capture``
    "otel": hash-chained too, by ``auditkit otel-receive``, but another witness of the same calls)."""
    own = df["source_format"].astype(object).eq("auditkit")
    otel = df["capture"].astype(object).eq("otel") if "capture" in df else pd.Series(False, index=df.index)
    return (own & ~otel.fillna(False).astype(bool)).astype(bool)


def hook_coverage(df: pd.DataFrame) -> pd.DataFrame:
    """Calls another recorder (a Claude Code transcript, Codex or Gemini logs, telemetry) holds and the hook
    trail does not: one row per missing call (and per session the hook never saw, its prompts), with the
    file and line that recorded it. Empty when every call those inputs hold is in the hook trail too."""
    cols = [
        "timestamp",
        "session_id",
        "event",
        "tool",
        "tool_use_id",
        "command",
        "file_path",
        "prompt",
        "source_format",
        "source_file",
        "source_line",
    ]
    hook = hook_records(df)
    other = df.loc[~hook, cols]
    otel = df.loc[~hook, "capture"].astype(object).eq("otel").to_numpy(dtype=bool, na_value=False)
    other["source_format"] = other["source_format"].astype(object).where(~otel, "otel telemetry")
    # what the hook saw, only when another recorder holds something (on a hook trail alone, a million ids
    # gathered and handed to isin cost seconds for an empty answer)
    seen = df.loc[hook] if len(other) else df.head(0)
    hooked_ids = set(seen["tool_use_id"].dropna())
    hooked_sessions = set(seen["session_id"].dropna())
    calls = other[other["tool_use_id"].notna() & ~other["tool_use_id"].isin(hooked_ids)]
    calls = calls.drop_duplicates("tool_use_id")  # a call's first record (its PreToolUse) stands for it
    prompts = other[(other["event"] == "UserPromptSubmit") & ~other["session_id"].isin(hooked_sessions)]
    out = pd.concat([calls, prompts]).sort_values(["session_id", "timestamp"], kind="stable")
    out.insert(2, "hook_saw_session", out["session_id"].isin(hooked_sessions))
    return out.rename(columns={"source_format": "recorded_by"})


def clock_order(df: pd.DataFrame, tolerance_s: float = 1.0) -> dict:
    """AU-8: the hook's records in each trail, in file order, should not go back in time by more than
    ``tolerance_s`` (concurrent hooks append a few milliseconds out of order): backward steps, the largest."""
    hook = df[(df["source_format"] == "auditkit") & df["timestamp"].notna()]
    steps = 0
    worst = 0.0
    where = ""
    for source, g in hook.groupby("source_file", sort=True):
        g = g.sort_values("source_line")
        back = -g["timestamp"].diff().dt.total_seconds()
        bad = back[back > tolerance_s]
        steps += len(bad)
        if len(bad) and float(bad.max()) > worst:
            worst = float(bad.max())
            where = f"{source}:{int(g.loc[bad.idxmax(), 'source_line'])}"
    tz = str(df["timestamp"].dt.tz) if len(df) else "UTC"
    return {"time_zone": tz, "records": len(hook), "backward_steps": steps, "largest_s": worst, "where": where}


def retirement_statements(verify_report: object, public: object = None) -> pd.DataFrame:
    """AU-11: the signed statements retention wrote before deleting segments (from the trails' seal logs)."""
    rows = []
    for log in (getattr(verify_report, "seals", {}) or {}).get("logs", []) or []:
        try:
            entries = read_seals(log, public)  # type: ignore[arg-type]
        except OSError:
            continue
        for e in entries:
            if e.get("type") == RETIRE_TYPE:
                rows.append(
                    {
                        "seal_log": str(log),
                        "line": e["line"],
                        "retired_at": e.get("retired_at"),
                        "policy": e.get("policy"),
                        "segments": len(e.get("segments") or []),
                        "signature": {True: "valid", False: "INVALID", None: "not checked (no key)"}[e["valid"]],
                    }
                )
    return pd.DataFrame(rows, columns=["seal_log", "line", "retired_at", "policy", "segments", "signature"])


def _protected(intact: bool, perms_ok: bool, verify_report: object) -> bool:
    """AU-9 holds: the chain intact, the files private, no seal and no TSA token that fails."""
    failed = (getattr(verify_report, "seals", {}) or {}).get("failed") or (
        getattr(verify_report, "anchors", {}) or {}
    ).get("failed")
    return intact and perms_ok and not failed


def controls(
    df: pd.DataFrame,
    verify_report: object,
    secrets: list,
    permissions: pd.DataFrame,
    retention: dict,
    detections: pd.DataFrame,
    missing: pd.DataFrame | None = None,
    retirements: pd.DataFrame | None = None,
    pii: dict | None = None,
) -> pd.DataFrame:
    """Controls an auditor can check: for each, the requirement, the criterion applied, the result (pass,
    partial, fail, pending review, n/a) and the evidence it was computed from. NIST SP 800-53 rows first,
    then SOC 2, ISO 27001:2022, PCI DSS v4.0 and EU AI Act rows, each as strong as the NIST rows it rests on."""
    missing = hook_coverage(df) if missing is None else missing
    retirements = retirement_statements(verify_report) if retirements is None else retirements
    hooked = hook_records(df)
    ev = df.loc[df["event"] != "trail_start", ["event", "session_id"]]
    hook_ev = ev[hooked.loc[ev.index]]
    others = len(ev) - len(hook_ev)
    tool_events = int(hook_ev["event"].isin(["PreToolUse", "PostToolUse", "PostToolUseFailure"]).sum())
    hook_errors = int((hook_ev["event"] == "hook_error").sum())
    rows: list[dict] = []

    def row(control: str, requirement: str, criterion: str, result: str, evidence: str) -> None:
        rows.append(
            {
                "control": control,
                "requirement": requirement,
                "criterion": criterion,
                "result": result,
                "evidence": evidence,
            }
        )

    # AU-2 / AU-12: completeness reconciled against the other recorders
    calls = missing[missing["tool_use_id"].notna()] if len(missing) else missing
    unseen = sorted(set(missing.loc[~missing["hook_saw_session"], "session_id"].dropna())) if len(missing) else []
    if len(missing):
        au2 = "fail" if tool_events == 0 else "partial"
        listed = "; ".join(
            f"{r.tool} {r.tool_use_id} ({r.command if isinstance(r.command, str) else r.file_path or ''}) "
            f"at {r.source_file}:{r.source_line}"
            for r in calls.itertuples()
        )
        evidence = (
            f"{tool_events} hook tool events; {len(calls)} call(s) recorded by "
            f"{', '.join(sorted(set(map(str, missing['recorded_by']))))} "
            f"but missing from the hook trail: {listed}"
            + (f"; session(s) the hook never recorded: {', '.join(unseen)}" if unseen else "")
        )
    elif others:
        au2, evidence = (
            "pass",
            f"{tool_events} hook tool events; every call in the {others} records of other recorders "
            "is in the hook trail too",
        )
    else:
        au2, evidence = (
            ("n/a" if tool_events == 0 else "partial"),
            (
                f"{tool_events} hook tool events; no transcript or telemetry given to reconcile against, so "
                "completeness cannot be shown (add ~/.claude/projects/ transcripts)"
            ),
        )
    row(
        "NIST AU-2",
        "the events to be logged are logged: every tool call and session event",
        "every call another recorder (transcript, telemetry) holds is in the hook trail",
        au2,
        evidence,
    )
    au12 = au2 if hook_errors == 0 else "fail"
    row(
        "NIST AU-12",
        "audit records are generated automatically for every event",
        "AU-2's reconciliation holds and the hook reported no failure of its own (hook_error)",
        au12,
        f"{hook_errors} hook error(s); AU-2: {au2}",
    )
    complete = field_completeness(df)
    min_share = float(complete["share"].min()) if len(complete) else float("nan")
    row(
        "NIST AU-3",
        "records say what, when, where, source, outcome and who",
        "every hook record carries all six fields",
        "n/a" if min_share != min_share else "pass" if min_share >= 1.0 else "fail",
        "; ".join(f"{r.question} ({r.column}) {r.present}/{r.records}" for r in complete.itertuples()),
    )
    clock = clock_order(df)
    au8 = "pass" if clock["time_zone"] == "UTC" and clock["backward_steps"] == 0 else "fail"
    row(
        "NIST AU-8",
        "time stamps from the system clock, in UTC, in order",
        "time zone UTC; no record in a trail earlier than the one before it by more than 1 s",
        au8,
        f"time source: the hook's host clock (no NTP evidence); zone {clock['time_zone']}; {clock['records']} records, "
        f"{clock['backward_steps']} backward step(s)"
        + (f", largest {clock['largest_s']:.1f} s at {clock['where']}" if clock["backward_steps"] else ""),
    )
    intact = bool(getattr(verify_report, "intact", False))
    first_break = getattr(verify_report, "first_break", None)
    seals = getattr(verify_report, "seals", {}) or {}
    perms_ok = bool(len(permissions)) and bool(permissions["ok"].all())
    integrity = (
        f"{getattr(verify_report, 'records', 0)} records, hash chain intact"
        if intact
        else f"not intact: {first_break.kind} at {first_break.file}:{first_break.line}"
        if first_break
        else "not verified"
    )
    loose = permissions[~permissions["ok"]]["file"].tolist() if len(permissions) else []
    custody = custody_statement(verify_report)
    row(
        "NIST AU-9",
        "audit information is protected from unauthorised modification and deletion",
        "hash chain intact, every seal and TSA token valid, trail files readable only by their owner",
        "pass" if _protected(intact, perms_ok, verify_report) else "fail",
        f"{integrity}; seals: {seals.get('checked', 0)} checked, {seals.get('valid', 0)} valid, "
        f"{seals.get('failed', 0)} failed; custody: {custody}; "
        + ("files 0600 in 0700 folders" if perms_ok else f"open to others: {', '.join(loose) or 'no files'}"),
    )
    row(
        "NIST AU-10",
        "non-repudiation: records bound to a key",
        "at least one Ed25519 seal over the trail, every seal's signature valid; what binds it beyond this host "
        "(a TSA's timestamp, a forward-secure key) is stated",
        "pass" if seals.get("valid") and not seals.get("failed") else "fail",
        f"{seals.get('valid', 0)} valid signed seal(s), {seals.get('failed', 0)} invalid; "
        f"latest {seals.get('latest') or 'none'}; {custody}"
        + ("" if seals.get("checked") else " (no seal log beside the trails: `auditkit seal` signs them)"),
    )
    retired = retirements
    au11 = "pass" if retention["status"] == "covered" else "n/a"
    if len(retired) and (retired["signature"] == "INVALID").any():
        au11 = "fail"
    row(
        "NIST AU-11",
        f"records retained for {retention['keep_days']} days; deletions only under policy",
        "the trail reaches back the policy's days; every retired segment named by a signed retirement statement",
        au11,
        f"earliest {retention['earliest']}, {retention['days_covered']} days covered ({retention['status']}); "
        f"{len(retired)} retirement statement(s)"
        + (
            ": "
            + "; ".join(
                f"{r.retired_at} {r.policy} {r.segments} segment(s), signature {r.signature}"
                for r in retired.itertuples()
            )
            if len(retired)
            else ""
        ),
    )
    changed = config_changes(df)
    capture_alerts = int((hook_ev["event"] == "hook_error").sum()) + len(changed)
    row(
        "NIST AU-5",
        "alert on audit logging process failures",
        "no hook failure and no settings change mid-session; each one listed as an alert",
        "pass" if capture_alerts == 0 else "fail",
        f"{hook_errors} hook error(s); {len(changed)} settings change(s) mid-session"
        + ("".join(f"; {c.file_path} at {c.timestamp:%Y-%m-%d %H:%M:%S} UTC" for c in changed.itertuples())),
    )
    levels = detections["level"].astype(str).value_counts() if len(detections) else pd.Series(dtype=int)
    summary = ", ".join(f"{n} {lvl}" for lvl, n in levels.items()) or "none"
    row(
        "NIST SI-4",
        "the system is monitored for attacks and indicators of compromise",
        "auditkit detect's rules ran over every event in scope; each detection listed",
        "pass",
        f"{len(detections)} detection(s): {summary}",
    )
    row(
        "NIST AU-6",
        "audit records are reviewed and analysed, findings reported",
        "a named reviewer signs off the detections and findings (sign-off block below)",
        "pending review",
        f"{len(detections)} detection(s) to review; sign-off: not yet signed",
    )
    row(
        "Secrets",
        "no secret stored in the audit records",
        "auditkit scan finds no unredacted secret in any input",
        "pass" if not secrets else "fail",
        f"{len(secrets)} unredacted secret(s) found by auditkit scan",
    )
    row(*data_minimisation(pii))
    by_control = {r["control"]: r["result"] for r in rows}
    for control, requirement, rests_on in MAPPINGS:
        results = [by_control[c] for c in rests_on if c in by_control]
        worst = min(results, key=lambda r: _ORDER[r]) if results else "n/a"
        row(
            control,
            requirement,
            "as " + " and ".join(rests_on) + " above",
            worst,
            "; ".join(f"{c}: {by_control.get(c, 'n/a')}" for c in rests_on),
        )
    return pd.DataFrame(rows, columns=["control", "requirement", "criterion", "result", "evidence"])
