"""``auditkit ingest compliance-api``: Anthropic's Compliance API Activity Feed into a chained, redacted trail.

``GET /v1/compliance/activities`` (``x-api-key`` from ``ANTHROPIC_COMPLIANCE_ACCESS_KEY``, never the command
line), newest first, ``limit`` a page and ``after_id`` = the page's ``last_id`` while ``has_more``; filtered by
``created_at.gte`` (``--since``) and ``activity_types[]``. Each activity becomes one record of the trail
(``event`` ``compliance_activity``, ``capture`` ``compliance-api``, ``agent`` claude-code, ``user`` the actor's
e-mail address, ``session_id`` where the activity names a Claude Code session, the activity redacted under
``data``), oldest first; an activity already in the trail (by its id) is not written again. 429 waits as
``Retry-After`` says (at most 60 s) and 5xx back off, within a deadline; 401 and 403 stop with one line.

The API's answers are attacker-controlled input (a proxy, a hijacked name, a compromised upstream): a
redirect is not followed (the key would go with it), a page must be a JSON object with a ``data`` list of
activities each with string ``id``, ``created_at`` and ``type``, a page cursor that does not move ends the
run with an error, and at most ``max_pages`` pages and 16 MiB a page are read.

:func:`reconcile` sets the sessions the Compliance API knows beside those the local hook recorded.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from auditkit._version import __version__
from auditkit.errors import IngestError
from auditkit.safe_text import visible
from auditkit.store.files import PathLike, expand, open_lines
from auditkit.trail import appender
from auditkit.trail.redaction import Redactor

KEY_ENV = "ANTHROPIC_COMPLIANCE_ACCESS_KEY"
API_URL = "https://api.anthropic.com"
PATH = "/v1/compliance/activities"
EVENT = "compliance_activity"
CAPTURE = "compliance-api"
MAX_PAGE_BYTES = 16 << 20
#: Activity fields that name a Claude Code session, tried in order (the join key with the hook's records).
SESSION_FIELDS = ("claude_code_session_id", "session_id")


@dataclass
class IngestResult:
    out: str
    pages: int = 0
    fetched: int = 0
    written: int = 0
    already: int = 0
    waits: list[float] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.written:,} new activit(y/ies) written to {self.out} from {self.pages} page(s) "
            f"({self.fetched:,} fetched, {self.already:,} already there)"
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str, key: str, timeout_s: float, deadline: float, result: IngestResult) -> dict:
    opener = urllib.request.build_opener(_NoRedirect())
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01", "User-Agent": f"auditkit/{__version__}"}
    tries = 0
    while True:
        tries += 1
        try:
            with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout_s) as answer:
                body = answer.read(MAX_PAGE_BYTES + 1)
            break
        except urllib.error.HTTPError as exc:
            text = visible(exc.read(2000).decode("utf-8", "replace"))[:300] if exc.fp else ""
            if exc.code in (401, 403):
                raise IngestError(
                    f"the Compliance API refused the key in {KEY_ENV} (HTTP {exc.code}): {text}"
                ) from None
            if 300 <= exc.code < 400:
                raise IngestError(
                    f"{url} answered HTTP {exc.code}: a redirect is not followed (the key would go with it)"
                ) from None
            if exc.code != 429 and exc.code < 500:
                raise IngestError(f"the Compliance API refused the request (HTTP {exc.code}): {text}") from None
            after = (exc.headers.get("Retry-After") or "").strip() if exc.headers else ""
            wait = min(float(after), 60.0) if after.isdigit() else min(0.5 * 2**tries, 30.0)
        except (urllib.error.URLError, OSError) as exc:
            wait = min(0.5 * 2**tries, 30.0)
            text = visible(str(getattr(exc, "reason", exc)))[:300]
        if time.monotonic() + wait > deadline or tries > 8:
            raise IngestError(f"the Compliance API did not answer in time ({text}); nothing more was read")
        result.waits.append(wait)
        time.sleep(wait)
    if len(body) > MAX_PAGE_BYTES:
        raise IngestError(f"a page of the Compliance API was larger than {MAX_PAGE_BYTES} bytes; not read")
    try:
        page = json.loads(body)
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise IngestError(f"the answer is not a page of the Activity Feed: {visible(repr(body[:200]))}")
    for activity in page["data"]:
        if not isinstance(activity, dict) or not all(
            isinstance(activity.get(k), str) for k in ("id", "created_at", "type")
        ):
            raise IngestError(f"an activity without a string id, created_at and type: {visible(repr(activity)[:200])}")
    return page


def fetch(
    *,
    since: str | None = None,
    types: list[str] | None = None,
    api_url: str = API_URL,
    env: dict | None = None,
    limit: int = 1000,
    max_pages: int = 10_000,
    timeout_s: float = 30.0,
    deadline_s: float = 600.0,
    result: IngestResult | None = None,
) -> list[dict]:
    """Every activity of the feed from ``since`` on (newest first, as the API gives them)."""
    env = dict(os.environ if env is None else env)
    key = env.get(KEY_ENV)
    if not key:
        raise IngestError(f"the Compliance API needs its key in the {KEY_ENV} environment variable")
    parts = urllib.parse.urlsplit(api_url)
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise IngestError(f"{api_url}: the key is sent only over https (plain http only to this machine)")
    result = result or IngestResult("")
    deadline = time.monotonic() + deadline_s
    query: list[tuple[str, str]] = [("limit", str(limit))]
    if since:
        query.append(("created_at.gte", since))
    query += [("activity_types[]", t) for t in types or []]
    out: list[dict] = []
    after: str | None = None
    seen_cursors: set[str] = set()
    for _ in range(max_pages):
        url = f"{api_url.rstrip('/')}{PATH}?" + urllib.parse.urlencode(query + ([("after_id", after)] if after else []))
        page = _get(url, key, timeout_s, deadline, result)
        result.pages += 1
        out += page["data"]
        if not page.get("has_more") or not page["data"]:
            return out
        after = page.get("last_id")
        if not isinstance(after, str) or after in seen_cursors:
            raise IngestError(f"the Activity Feed's cursor did not move (last_id {visible(repr(after))[:80]}); stopped")
        seen_cursors.add(after)
    raise IngestError(f"more than {max_pages} pages: narrow the window with --since")


def session_of(activity: dict) -> str | None:
    for name in SESSION_FIELDS:
        value = activity.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _held_ids(out: str) -> set[str]:
    held: set[str] = set()
    if not os.path.exists(out):
        return held
    for line in open_lines(Path(out)):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        data = rec.get("data") if isinstance(rec, dict) else None
        if rec.get("event") == EVENT and isinstance(data, dict) and isinstance(data.get("id"), str):
            held.add(data["id"])
    return held


SOURCES = ("compliance-api",)


def ingest(source: str, out: PathLike, **kwargs: object) -> IngestResult:
    """Read ``source`` (``compliance-api``: Anthropic's Compliance API Activity Feed; the options of
    :func:`fetch`) and append to the trail at ``out`` what it lacks."""
    if source not in SOURCES:
        raise IngestError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    out = str(out)
    result = IngestResult(out)
    activities = fetch(result=result, **kwargs)  # type: ignore[arg-type]
    result.fetched = len(activities)
    held = _held_ids(out)
    redactor = Redactor()
    appender.ensure_dir(os.path.dirname(os.path.abspath(out)))
    for activity in sorted(activities, key=lambda a: (a["created_at"], a["id"])):  # oldest first
        if activity["id"] in held:
            result.already += 1
            continue
        held.add(activity["id"])
        data, found = redactor.redact_value(activity)
        given = activity.get("actor")
        actor: dict = given if isinstance(given, dict) else {}
        fields = {"event": EVENT, "status": "info", "capture": CAPTURE, "agent": "claude-code", "data": data}
        if session_of(activity):
            fields["session_id"] = session_of(activity)
        if isinstance(actor.get("email_address"), str):
            fields["user"] = actor["email_address"]
        fields["redactions"] = found

        def build(seq: int, ts_ns: int, fields: dict = fields) -> dict:
            return fields

        appender.append(out, build)
        result.written += 1
    return result


@dataclass
class Reconciled:
    missing_locally: list[str]  # sessions the Compliance API knows that no local hook record names
    missing_upstream: list[str]  # sessions the hook recorded that the Compliance API does not know


def reconcile(compliance: PathLike, local: list[PathLike]) -> Reconciled:
    """Sessions of the ingested Compliance API trail beside the sessions of the hook's trails."""
    upstream: set[str] = set()
    for line in open_lines(Path(compliance)):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("event") == EVENT and isinstance(rec.get("session_id"), str):
            upstream.add(rec["session_id"])
    here: set[str] = set()
    for f in expand(local):
        for line in open_lines(f):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and rec.get("capture") != CAPTURE and isinstance(rec.get("session_id"), str):
                here.add(rec["session_id"])
    return Reconciled(sorted(upstream - here), sorted(here - upstream))
