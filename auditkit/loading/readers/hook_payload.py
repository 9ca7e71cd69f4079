"""Raw Claude Code hook payloads, as simple hooks dump them (``jq -c . >> log``).

They carry no time of their own; a ``timestamp``/``ts``/``time`` member added by a wrapper is used.
"""

from __future__ import annotations

from auditkit.loading.readers import auditkit_trail
from auditkit.trail import format as tf

NAME = "hook_payload"
_TIME_KEYS = ("timestamp", "ts", "time")


def matches(obj: dict) -> bool:
    return isinstance(obj.get("hook_event_name"), str)


def rows(obj: dict, ctx: dict) -> list[dict]:
    """A payload as the record the hook would have written, mapped like one (no time unless a wrapper added it)."""
    record = tf.fields_from_payload(obj)
    data = record.get("data") or {}
    record["ts"] = next((data.pop(k) for k in _TIME_KEYS if isinstance(data.get(k), str)), None)
    record["data"] = data or None
    record.setdefault("agent", tf.AGENT)
    row = auditkit_trail.rows({**record, "v": tf.SCHEMA_VERSION}, {})[0]
    for key in ("seq", "hash", "trail_id", "event_id"):
        row.pop(key)
    return [row]
