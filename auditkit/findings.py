"""The questions the investigation notebooks ask, as pure functions on a loaded frame.

Incident: what ran in a window, which commands were destructive or risky, what failed, what was
deleted, what was written outside the project. Cost: where time went, retry loops, redundant
re-reads. Compliance: field completeness (NIST SP 800-53 AU-3), retention coverage, writes to
sensitive paths, trail file permissions, and a checklist mapped to controls.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from auditkit.bash_effects import effects
from auditkit.views import scope, tool_calls

#: (risk, regex) for Bash commands worth an investigator's eye.
RISKY_COMMANDS: tuple[tuple[str, str], ...] = (
    ("recursive delete", r"\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b"),
    ("hard reset", r"\bgit\s+reset\s+(?:\S+\s+)*--hard\b"),
    ("force push", r"\bgit\s+push\b.*(?:\s--force\b|\s-f\b|--force-with-lease)"),
    ("history rewrite", r"\bgit\s+(?:rebase|filter-branch|filter-repo)\b"),
    ("git clean", r"\bgit\s+clean\s+-[a-zA-Z]*f"),
    ("recursive chmod/chown", r"\bch(?:mod|own)\s+(?:-[a-zA-Z]*R|--recursive)"),
    ("world-writable", r"\bchmod\s+(?:-R\s+)?(?:0?777|a\+w|o\+w)"),
    ("pipe to shell", r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"),
    ("privilege", r"(?:^|[;&|]\s*)sudo\s"),
    ("disk or device", r"\b(?:mkfs|fdisk|dd\s+if=|shred)\b"),
    ("database drop", r"(?i)\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b"),
    ("process kill", r"\bkill\s+-9\b|\bpkill\b|\bkillall\b"),
    ("infrastructure", r"\b(?:terraform\s+(?:apply|destroy)|kubectl\s+delete|helm\s+uninstall)\b"),
)
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
_WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")


def in_window(
    df: pd.DataFrame, start: str | None = None, end: str | None = None, session: str | None = None
) -> pd.DataFrame:
    """Rows within [start, end) (ISO times, UTC when no zone) and of one session (id or unique prefix)."""
    return scope(df, start, end, session)


def risky_commands(df: pd.DataFrame) -> pd.DataFrame:
    """Bash calls matching a risk pattern: time, session, risk, command, status."""
    calls = tool_calls(df)
    calls = calls[calls["tool"] == "Bash"]
    rows = []
    for c in calls.itertuples(index=False):
        if not isinstance(c.command, str):
            continue
        for risk, rx in RISKY_COMMANDS:
            if re.search(rx, c.command):
                rows.append(
                    {
                        "time": c.start,
                        "session_id": c.session_id,
                        "risk": risk,
                        "command": c.command,
                        "status": c.status,
                        "tool_use_id": c.tool_use_id,
                    }
                )
    return pd.DataFrame(rows, columns=["time", "session_id", "risk", "command", "status", "tool_use_id"])


def file_changes(df: pd.DataFrame) -> pd.DataFrame:
    """Every file a call wrote, edited, created, moved or deleted (Bash effects included), one row each."""
    c = tool_calls(df)
    c = c[c["status"] == "ok"]
    cols = ["end", "session_id", "tool", "file_path", "command", "cwd", "tool_use_id"]
    rows = []
    parsed: dict[tuple[str, str], list] = {}  # the same command in the same folder is read once
    for end, session, tool, file_path, command, cwd, tool_use_id in zip(*(c[k].tolist() for k in cols), strict=True):
        cwd = cwd if isinstance(cwd, str) else "/"
        if tool in _WRITE_TOOLS and isinstance(file_path, str):
            path = posixpath.normpath(posixpath.join(cwd, file_path))
            rows.append((end, session, tool, "write", path, False, None, cwd, tool_use_id))
        elif tool == "Bash" and isinstance(command, str):
            found = parsed.get((command, cwd))
            if found is None:
                found = parsed[(command, cwd)] = [e for e in effects(command, cwd) if e.action != "chmod"]
            for e in found:
                rows.append((end, session, tool, e.action, e.path, e.tree, command, cwd, tool_use_id))
    return pd.DataFrame(
        rows, columns=["time", "session_id", "tool", "action", "path", "tree", "command", "cwd", "tool_use_id"]
    )


def deletions(df: pd.DataFrame) -> pd.DataFrame:
    """Files and folders deleted or moved away, with the command that did it."""
    ch = file_changes(df)
    return ch[ch["action"].isin(["delete", "move_from"])].reset_index(drop=True)


def outside_project(df: pd.DataFrame) -> pd.DataFrame:
    """Changes to paths outside the session's working directory (and not under /tmp)."""
    ch = file_changes(df)
    inside = [
        p == cwd or p.startswith(cwd.rstrip("/") + "/") or p.startswith(("/tmp/", "/var/tmp/"))
        for p, cwd in zip(ch["path"], ch["cwd"], strict=True)
    ]
    return ch[~pd.Series(inside, index=ch.index, dtype=bool)].reset_index(drop=True)


def sensitive_writes(df: pd.DataFrame, patterns: tuple[str, ...] = SENSITIVE_PATHS) -> pd.DataFrame:
    ch = file_changes(df)
    hit = pd.Series(
        [any(fnmatch.fnmatchcase(p, pat) for pat in patterns) for p in ch["path"]], index=ch.index, dtype=bool
    )  # a plain empty list would select no columns
    return ch[hit].reset_index(drop=True)


def failures(df: pd.DataFrame) -> pd.DataFrame:
    c = tool_calls(df)
    return c[c["status"].isin(["error", "interrupted"])][
        ["start", "session_id", "tool", "status", "command", "file_path", "error"]
    ].reset_index(drop=True)


# --- cost -------------------------------------------------------------------------------------------


def time_by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Calls and time (total, mean, p95 in ms) grouped by ``tool``, ``session_id`` or ``command``."""
    c = tool_calls(df)
    c = c[c[key].notna()]
    g = c.groupby(c[key].astype(str))
    out = pd.DataFrame(
        {
            "calls": g.size(),
            "total_ms": g["duration_ms"].sum(),
            "mean_ms": g["duration_ms"].mean(),
            "p95_ms": g["duration_ms"].quantile(0.95),
        }
    )
    return out.sort_values("total_ms", ascending=False)


def slowest(df: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    c = tool_calls(df)
    return c.nlargest(n, "duration_ms")[
        ["start", "session_id", "tool", "duration_ms", "status", "command", "file_path"]
    ].reset_index(drop=True)


def retry_loops(df: pd.DataFrame, min_runs: int = 2) -> pd.DataFrame:
    """The same command run again and again in a session: runs, failures, time spent, whether it ended ok."""
    c = tool_calls(df)
    c = c[(c["tool"] == "Bash") & c["command"].notna()]
    rows = []
    for (session, command), g in c.groupby([c["session_id"].astype(str), c["command"].astype(str)]):
        if len(g) >= min_runs:
            failed = int(g["status"].isin(["error", "interrupted"]).sum())
            rows.append(
                {
                    "session_id": session,
                    "command": command,
                    "runs": len(g),
                    "failures": failed,
                    "total_ms": float(g["duration_ms"].sum()),
                    "last_status": g["status"].iloc[-1],
                }
            )
    return pd.DataFrame(rows, columns=["session_id", "command", "runs", "failures", "total_ms", "last_status"])


def redundant_reads(df: pd.DataFrame) -> pd.DataFrame:
    """Reads of a file in a session that had not changed since the session last read it."""
    from bisect import bisect_right

    c = tool_calls(df)
    reads = c[(c["tool"] == "Read") & (c["status"] == "ok") & c["session_id"].notna() & c["file_path"].notna()]
    columns = ["session_id", "file_path", "time", "previous_read"]
    if reads.empty:
        return pd.DataFrame(columns=columns)
    changed = file_changes(df)
    writes: dict[tuple[str, str], list] = {}
    for session, path, time in zip(changed["session_id"].astype(str), changed["path"], changed["time"], strict=True):
        writes.setdefault((session, path), []).append(time)
    for times in writes.values():
        times.sort()
    rows = []
    last_read: dict[tuple[str, str], pd.Timestamp] = {}
    for session, path, start, end in zip(
        reads["session_id"].astype(str), reads["file_path"], reads["start"], reads["end"], strict=True
    ):
        key = (session, path)
        seen = last_read.get(key)
        if seen is not None:
            times = writes.get(key, [])
            if bisect_right(times, start) == bisect_right(times, seen):  # no change in (seen, start]
                rows.append({"session_id": session, "file_path": path, "time": start, "previous_read": seen})
        last_read[key] = end
    return pd.DataFrame(rows, columns=columns)


# --- compliance -------------------------------------------------------------------------------------

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
    ev = df[(df["event"] != "trail_start") & (df["source_format"] == "auditkit")]
    rows = [
        {
            "question": q,
            "column": col,
            "present": int(ev[col].notna().sum()),
            "records": len(ev),
            "share": float(ev[col].notna().mean()) if len(ev) else float("nan"),
        }
        for q, col in AU3_FIELDS.items()
    ]
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
    from pathlib import Path

    from auditkit.segments import read_manifest

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
    from auditkit.private_files import loose_modes

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
    ev = df[df["event"] != "trail_start"]
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
            None if retention["status"] == "no records" else retention["status"] == "covered",
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
            "Secrets (PCI DSS 3.x / SOC 2 CC6.1)",
            "no unredacted secret in the trail",
            len(secrets) == 0,
            f"{len(secrets)} unredacted secret(s) found by auditkit scan",
        ),
    ]
    return pd.DataFrame(rows)


def trail_files(paths: list[str | Path]) -> list[str]:
    from auditkit.sources.files import expand

    return [str(p) for p in expand(paths)]
