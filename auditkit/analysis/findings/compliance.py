"""Compliance questions: field completeness (NIST SP 800-53 AU-3), retention coverage, writes to sensitive paths,
trail file permissions, archived and retired segments, and a checklist mapped to controls."""

from __future__ import annotations

import fnmatch
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from auditkit.analysis.findings.incident import config_changes, file_changes
from auditkit.custody.segments import read_manifest
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
    hit = pd.Series(
        [any(fnmatch.fnmatchcase(p, pat) for pat in patterns) for p in ch["path"]], index=ch.index, dtype=bool
    )  # a plain empty list would select no columns
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
            f"{integrity}; {int(sealed)} seal(s) checked; files 0600: {perms_ok}",
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
