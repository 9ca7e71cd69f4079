"""Alerts as evidence: each detection becomes an OCSF Detection Finding (class 2004) appended to its own
hash-chained trail with auditkit's appender, so ``auditkit verify`` checks the alerts as it checks the trail.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson

from auditkit.store.files import open_lines
from auditkit.trail import appender

ALERT_EVENT = "detection"
#: The longest command, path or URL an alert carries (the event itself is in the trail, by its id).
MAX_WHAT = 4096
SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.I)


def alert_uid(rule_id: str, event_id: str) -> str:
    """The alert's stable id: one rule and one event give one alert, whatever restarts happen."""
    return hashlib.sha256(f"{rule_id}\x1f{event_id}".encode()).hexdigest()[:32]


def finding(hit: dict, trail_id: str | None) -> dict:
    """A match (a row of :func:`auditkit.detect`) as an OCSF Detection Finding."""
    tags = list(hit.get("tags") or [])
    level = str(hit.get("level") or "medium")
    ts = hit.get("timestamp")
    when_ms = int(ts.timestamp() * 1000) if ts is not None and ts == ts else None
    attacks = []
    for t in tags:
        m = _TECHNIQUE.match(t)
        if m:
            attacks.append({"technique": {"uid": m.group(1).upper()}})
    tactics = [t.split(".", 1)[1] for t in tags if t.startswith("attack.") and not _TECHNIQUE.match(t)]
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "severity_id": SEVERITY.get(level, 3),
        "severity": level.capitalize(),
        "status_id": 1,
        "status": "New",
        "time": when_ms,
        "finding_info": {
            "uid": alert_uid(hit["rule_id"], hit["event_id"]),
            "title": hit["rule"],
            "desc": hit.get("why"),
            "analytic": {"uid": hit["rule_id"], "name": hit["rule"], "type_id": 1, "type": "Rule"},
            "attacks": attacks,
            "tactics": tactics,
            "related_events": [{"uid": e} for e in hit.get("events") or [hit["event_id"]]],
        },
        "evidences": [
            {
                "data": {
                    "what": _cut(hit.get("what")),
                    "session_id": hit.get("session_id"),
                    "seq": hit.get("seq"),
                    "event_id": hit["event_id"],
                    "trail_id": trail_id,
                    "source_file": hit.get("source_file"),
                }
            }
        ],
        "metadata": {"product": {"name": "auditkit", "vendor_name": "auditkit"}, "version": "1.5.0"},
    }


def append_alert(path: Path, ocsf: dict) -> appender.Appended:
    """Append one finding to the alert trail (created with its ``trail_start`` on first use)."""
    appender.ensure_dir(str(path.parent))
    data = ocsf["evidences"][0]["data"]

    def build(seq: int, ts_ns: int) -> dict:
        return {"event": ALERT_EVENT, "status": "info", "session_id": data.get("session_id"), "data": ocsf}

    return appender.append(str(path), build)


def read_alerts(path: Path, after_seq: int = -1) -> list[tuple[int, dict]]:
    """(seq, finding) of every alert in the alert trail with seq > ``after_seq``, in order."""
    if not path.exists():
        return []
    out = []
    for line in open_lines(path):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn last line: the next read finds it whole
        seq, data = rec.get("seq"), rec.get("data")
        if rec.get("event") == ALERT_EVENT and isinstance(seq, int) and seq > after_seq and isinstance(data, dict):
            out.append((seq, data))
    return out


def alerted_uids(path: Path) -> set[str]:
    """Ids of the alerts already in the trail: a restart never raises one of them again."""
    return {f.get("finding_info", {}).get("uid") for _, f in read_alerts(path)}


def _cut(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_WHAT:
        return value[:MAX_WHAT] + f"... [{len(value) - MAX_WHAT} more characters in the event]"
    return value
