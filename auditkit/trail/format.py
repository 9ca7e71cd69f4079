"""Trail format v1: the record layout, its canonical bytes and the hash chain.

Standard library only: the hook imports this module on every tool call, and the library reads
trails with it, so there is exactly one definition of what a record is.

A trail is UTF-8 JSON Lines. Every line is one record whose first members are, in this order,
``v`` (schema version), ``seq`` (gapless per trail), ``ts`` (UTC, microseconds) and ``prev``
(the previous record's hash), and whose last member is ``hash``. The canonical bytes of a record
are the line with its final ``,"hash":"<64 hex>"`` member cut out; ``hash`` is the SHA-256 of
those bytes. Verifying therefore needs no JSON re-serialisation: see ``docs/trail-format.md``.
"""

from auditkit.trail import _startup_json
from auditkit.trail._startup_hash import hmac_sha256
from auditkit.trail._startup_hash import sha256 as sha256  # re-exported: tf.sha256 is the hook's hash
from auditkit.trail._startup_hash import sha256_hex as sha256_hex  # re-exported: its hex digest, fast for megabytes
from auditkit.trail._startup_os import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Callable

SCHEMA_VERSION = 1
AGENT = "claude-code"
GENESIS_PREFIX = b"auditkit/v1 genesis "

#: Hook events ``auditkit install`` registers (Claude Code has 31; any other event name that arrives is
#: recorded as it comes). Tool events get the matcher ``*``; the others take no matcher.
TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest", "PermissionDenied")
SESSION_EVENTS = (
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "Notification",
    "ConfigChange",  # a settings file changed mid-session: someone may be switching hooks off
    "FileChanged",  # writes by Bash or outside tools that Edit/Write never show
    "PostToolBatch",  # repeats the batch's Post events: kept, never counted as calls
    "CwdChanged",
    "InstructionsLoaded",
    "TaskCreated",
    "TaskCompleted",
    "UserPromptExpansion",  # a slash command expanded into a prompt (as UserPromptSubmit: no output, no decision)
    "Setup",  # the one-time setup before SessionStart (claude --init, --maintenance)
    "TeammateIdle",  # an agent-team teammate about to go idle (exit 0 lets it)
)
HOOK_EVENTS = TOOL_EVENTS + SESSION_EVENTS
#: Events Claude Code has that the hook is not registered for, and why: their hooks act instead of observing.
NOT_REGISTERED = {
    "WorktreeCreate": "its hook replaces git worktree creation and must print the new path",
    "WorktreeRemove": "its hook replaces worktree removal",
    "Elicitation": "its hook may answer an MCP server's request for input",
    "ElicitationResult": "its hook may change the user's answer to an MCP server",
}
#: Records auditkit writes itself.
TRAIL_START = "trail_start"
HOOK_ERROR = "hook_error"
#: A record naming a file the hook set aside (a trail or spill file this installation did not create).
SET_ASIDE = "set_aside"
#: Records that describe a trail rather than an event, kept in its seal log (``<trail>.seals.jsonl``): a
#: signed seal (``auditkit seal``) and a signed retirement statement (retention); read by ``verify``, skipped
#: by ``load``. Their one home: seals, verify, the S3 tools and the line reader name them from here. An anchor
#: line (``auditkit anchor``) keeps a Time-Stamping Authority's RFC 3161 token over one seal line, unsigned
#: by the seal key (the TSA's signature is what it adds), chained by ``prev_seal`` like the others.
SEAL_TYPE = "auditkit.seals"
RETIRE_TYPE = "auditkit.retirement"
ANCHOR_TYPE = "auditkit.anchor"
NON_EVENT_TYPES = frozenset({SEAL_TYPE, RETIRE_TYPE, ANCHOR_TYPE})

#: ``status`` vocabulary.
STATUS_STARTED = "started"
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_INTERRUPTED = "interrupted"
STATUS_INFO = "info"
STATUS_DENIED = "denied"

# --- the schema: payload key -> record key -> frame column, one line per field --------------------


class Field:
    """One thing the kit knows about an event: its column in ``load()``'s frame, that column's kind, where it
    sits in an auditkit record (``record``; None: derived by the readers), the hook payload key lifted into
    that record (``payload``; None: not from the payload), and, for a record value that is an object, the
    key inside it the column shows (``sub``).

    Kinds: time (tz-aware UTC), category, string, text (a string column; the record may hold any JSON,
    shown as JSON text), count (nullable integer), float, nested (dicts and lists, kept as Python objects).
    """

    __slots__ = ("column", "doc", "kind", "payload", "record", "sub")

    def __init__(
        self, column: str, kind: str, doc: str, record: str | None = None, payload: str | None = None, sub: str = ""
    ) -> None:
        self.column, self.kind, self.doc, self.record, self.payload, self.sub = column, kind, doc, record, payload, sub


F = Field
#: Every column of ``load()``'s frame, in order. Adding a field the hook lifts from the payload into the
#: record and ``load()``, ``export`` and ``sql`` show as a column is one line here.
SCHEMA: tuple[Field, ...] = (
    F("timestamp", "time", "when the event was recorded: tz-aware UTC (NaT where the source has no time)", "ts"),
    F("event", "category", "hook event (PreToolUse, PostToolUse, UserPromptSubmit, ...), categorical", "event"),
    F("status", "category", "started, ok, error, interrupted or info; categorical", "status"),
    F("tool", "category", "tool name as the agent names it (Bash, Read, mcp__x__y, ...)", "tool_name", "tool_name"),
    F("session_id", "string", "the agent's session id", "session_id", "session_id"),
    F("tool_use_id", "string", "id pairing a call's PreToolUse with its end", "tool_use_id", "tool_use_id"),
    F("duration_ms", "float", "call duration in ms, on the event that ends a call: the payload's own execution time "
      "where Claude Code sends one, else from pairing with its PreToolUse", "duration_ms", "duration_ms"),
    F("wait_ms", "float", "time between PreToolUse and the start of execution (permission prompts, hooks), where "
      "both the pairing and the payload's duration_ms are known", "wait_ms"),
    F("file_path", "string", "file the call reads or writes (file_path / notebook_path of the input)"),
    F("command", "string", "Bash command"),
    F("url", "string", "WebFetch URL"),
    F("pattern", "string", "Glob/Grep pattern or WebSearch query"),
    F("prompt", "string", "user prompt (UserPromptSubmit)"),
    F("prompt_id", "string", "id of the user prompt the event belongs to (one per prompt)", "prompt_id", "prompt_id"),
    F("effort", "category", "effort level the agent ran with", "effort", "effort", sub="level"),
    F("input", "nested", "full tool input (dict), as recorded", "tool_input", "tool_input"),
    F("response", "nested", "full tool response, as recorded", "tool_response", "tool_response"),
    F("error", "text", "error text of a failed call or a hook error", "error", "error"),
    F("cwd", "string", "working directory of the session", "cwd", "cwd"),
    F("transcript_path", "string", "the agent's transcript of the session", "transcript_path", "transcript_path"),
    F("permission_mode", "category", "default, plan, acceptEdits, bypassPermissions, ...", "permission_mode",
      "permission_mode"),
    F("user", "string", "OS user the hook ran as", "user"),
    F("host", "string", "host the hook ran on", "host"),
    F("agent", "category", "agent that acted (claude-code)", "agent"),
    F("agent_id", "string", "subagent id, inside a subagent", "agent_id", "agent_id"),
    F("agent_type", "string", "subagent type, inside a subagent", "agent_type", "agent_type"),
    F("redactions", "count", "secrets redacted from this record", "redactions"),
    F("truncated", "nested", "fields cut to the size cap, as [{field, bytes, sha256}] (None when none)", "truncated"),
    F("data", "nested", "every other payload field (dict), kept as recorded", "data"),
    F("model", "category", "model that answered (transcripts, telemetry)", "model"),
    F("message_id", "string", "API message id (transcripts' assistant_message rows)"),
    F("request_id", "string", "API request id (transcripts' requestId, telemetry's request_id)", "request_id"),
    F("input_tokens", "count", "input tokens of the API message, counted once per message", "input_tokens"),
    F("output_tokens", "count", "output tokens of the API message", "output_tokens"),
    F("cache_creation_tokens", "count", "tokens written to the prompt cache", "cache_creation_tokens"),
    F("cache_creation_1h_tokens", "count", "of cache_creation_tokens, those written to the 1-hour cache (2x input)"),
    F("cache_read_tokens", "count", "tokens read from the prompt cache", "cache_read_tokens"),
    F("cost_usd", "float", "Claude Code's own cost of the API request (telemetry's api_request)", "cost_usd"),
    F("capture", "category", "how it was captured, when not by the hook: otel (Claude Code's telemetry)", "capture"),
    F("seq", "count", "sequence number in its trail (auditkit trails)", "seq"),
    F("trail_id", "string", "id of the trail the record belongs to"),
    F("hash", "string", "record hash in the chain (auditkit trails)", "hash"),
    F("event_id", "string", "stable id of the event (trail_id:seq, tool:<id>:pre|post, msg:<id>:<request>, or a hash "
      "of the source line): load() keeps one row per id"),
    F("source_format", "category", "auditkit, seed, hook_payload or transcript"),
    F("source_file", "string", "file the row was read from"),
    F("source_line", "count", "line number in that file (1-based)"),
)  # fmt: skip
del F

#: Payload fields lifted to the record's top level under their record names (``hook_event_name`` becomes
#: ``event``); every other payload field is kept under ``data``.
LIFTED = tuple((f.payload, f.record) for f in SCHEMA if f.payload and f.record)
PAYLOAD_KEYS = frozenset(["hook_event_name", *(p for p, _ in LIFTED)])

# --- the byte layout of a record, which the verifiers read without parsing JSON ------------------
#   {"v":1,"seq":<digits>,"ts":"<27 chars>","prev":"<64 hex>", ... ,"hash":"<64 hex>"}
# ``j`` is the offset of the comma after the seq digits; everything else is at a fixed distance.
HASH_HEX_LEN = 64
RECORD_PREFIX = b'{"v":1,"seq":'
SEQ_AT = len(RECORD_PREFIX)  # the seq digits start here
SEQ_END_MAX = 40  # the comma after them is found before this offset
TS_AT = len(b',"ts":"')  # j + TS_AT: the timestamp
TS_END = TS_AT + len("2026-11-25T10:52:23.123456Z")  # j + TS_END: its end, and the start of PREV_OPEN
PREV_OPEN = b'","prev":"'
PREV_AT = TS_END + len(PREV_OPEN)  # j + PREV_AT: the previous record's hash
PREV_END = PREV_AT + HASH_HEX_LEN
HASH_OPEN = b',"hash":"'
HASH_TAIL = len(HASH_OPEN) + HASH_HEX_LEN + 2  # ,"hash":"<hex>"} closes every line: line[-HASH_TAIL:]
HASH_AT = HASH_TAIL - len(HASH_OPEN)  # line[-HASH_AT:-2] is the hash
_SEQ_PREFIX = b'{"v":'


def status_of(event: str, payload: dict) -> str:
    """The ``status`` a hook event gets: started, ok, error, interrupted, denied or info."""
    if event == "PreToolUse":
        return STATUS_STARTED
    if event == "PostToolUse":
        return STATUS_OK
    if event == "PostToolUseFailure":
        return STATUS_INTERRUPTED if payload.get("is_interrupt") else STATUS_ERROR
    if event == "PermissionDenied":
        return STATUS_DENIED
    if event == "StopFailure":
        return STATUS_ERROR
    return STATUS_INFO


def fields_from_payload(payload: dict) -> dict:
    """A hook payload as record fields: the schema's payload keys lifted to the top, the rest under ``data``.

    Nothing is dropped: the lifted fields plus ``data`` are the whole payload.
    """
    event = payload.get("hook_event_name")
    event = event if isinstance(event, str) and event else "unknown"
    fields: dict = {"event": event, "status": status_of(event, payload)}
    for key, record in LIFTED:
        if key in payload:
            fields[record] = payload[key]
    data = {k: v for k, v in payload.items() if k not in PAYLOAD_KEYS}
    if data:
        fields["data"] = data
    return fields


def trail_id_of(record: object) -> object:
    """The trail id a ``trail_start`` record names in its ``data`` (None when there is none: records are not
    signed, and a forged one may carry a string or a list there)."""
    data = record.get("data") if isinstance(record, dict) else None
    return data.get("trail_id") if isinstance(data, dict) else None


def genesis_hash(trail_id: str, created: str) -> str:
    """The ``prev`` of a trail's first record: binds the chain to the trail's identity."""
    return sha256(GENESIS_PREFIX + trail_id.encode() + b" " + created.encode()).hexdigest()


# --- provenance: a keyed mark in every trail start and spill file ------------------------------
# The per-installation key (``trail.key`` in the user's config folder) never leaves this machine;
# a start or spill file without a valid mark was not made by this installation's kit (a repository
# planted it, or it came from elsewhere) and is never continued or chained as if it were.
MARK_START = b"auditkit/v1 start "


def hmac_hex(key: bytes, msg: bytes) -> str:
    return hmac_sha256(key, msg)


def same_digest(a: str, b: str) -> bool:
    """Whether two hex digests are equal, comparing every byte whatever the first difference (one XOR of two
    integers: the timing does not depend on where they differ, and nothing is imported on the hook's path)."""
    x, y = a.encode("ascii", "replace"), b.encode("ascii", "replace")
    return len(x) == len(y) and not int.from_bytes(x, "big") ^ int.from_bytes(y, "big")


def start_mark(key: bytes, seq: int, ts: str, prev: str) -> str:
    """The mark a ``trail_start`` carries in ``data.mark``: HMAC-SHA256 under the installation key of its seq,
    time and ``prev`` (the genesis hash, or the head hash of the segment it continues)."""
    return hmac_hex(key, MARK_START + f"{seq} {ts} {prev}".encode())


def start_line_mark(line: bytes) -> tuple[int, str, str, object] | None:
    """(seq, ts, prev, the mark it states or None) of a ``trail_start`` line, or None when the line is not one.

    Read from the record's fixed layout without parsing JSON (the hook does this on every call): ``seq``,
    ``ts`` and ``prev`` at their places, ``"event":"trail_start"`` right after ``prev``, and ``data.mark``,
    the one ``,"mark":"<64 hex>"`` member a start holds (a JSON string cannot contain those bytes unescaped).
    """
    if not line.startswith(RECORD_PREFIX):
        return None
    j = line.find(b",", SEQ_AT, SEQ_END_MAX)
    digits = line[SEQ_AT:j] if j > 0 else b""
    if not digits.isdigit() or line[j : j + TS_AT] != b',"ts":"' or line[j + TS_END : j + PREV_AT] != PREV_OPEN:
        return None
    if not line.startswith(b'","event":"trail_start"', j + PREV_END):
        return None
    ts, prev = line[j + TS_AT : j + TS_END], line[j + PREV_AT : j + PREV_END]
    at = line.rfind(b',"mark":"')
    mark = (
        line[at + 9 : at + 9 + HASH_HEX_LEN]
        if at > 0 and line[at + 9 + HASH_HEX_LEN : at + 10 + HASH_HEX_LEN] == b'"'
        else None
    )
    try:
        return int(digits), ts.decode("ascii"), prev.decode("ascii"), mark.decode("ascii") if mark else None
    except UnicodeDecodeError:
        return None


def start_is_marked(key: bytes, line: bytes) -> bool:
    """Whether a trail's first line is a ``trail_start`` this installation wrote (its mark checks out)."""
    got = start_line_mark(line)
    if got is None or not isinstance(got[3], str):
        return False
    return same_digest(got[3], start_mark(key, got[0], got[1], got[2]))


def format_ts(ns: int) -> str:
    """Nanoseconds since the epoch as ``2026-11-25T10:52:23.123456Z`` (UTC, microseconds)."""
    import time

    secs, rem = divmod(ns, 1_000_000_000)
    t = time.gmtime(secs)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
        f"{t.tm_sec:02d}.{rem // 1000:06d}Z"
    )


# --- values JSON cannot hold ------------------------------------------------------------------
# A record is strict RFC 8259 JSON in UTF-8, readable by any parser. A payload value that JSON
# cannot carry faithfully is kept in a marked object instead (documented in docs/trail-format.md):
#   {"auditkit_nonjson": "number", "text": "1e999"}          NaN, Infinity, overflowing or over-long numbers
#   {"auditkit_nonjson": "string", "text": "a\ufffdb", "surrogates": [[1, "d800"]]}
#                                                              a string holding lone UTF-16 surrogates (or
#                                                              bytes that were not UTF-8), each shown as U+FFFD
#   {"auditkit_nonjson": "deep", "json": "[[[...]]]"}         a structure nested deeper than MAX_DEPTH, as text
NONJSON = "auditkit_nonjson"
MAX_DEPTH = 64
_MAX_SURROGATES = 1000


def nonjson_number(text: str) -> dict:
    return {NONJSON: "number", "text": text}


def nonjson_string(text: str) -> dict:
    """A string with lone surrogates: readable text plus where each surrogate was, so nothing is lost."""
    chars: list[str] = []
    where: list[list[object]] = []
    for i, c in enumerate(text):
        if "\ud800" <= c <= "\udfff":
            if len(where) < _MAX_SURROGATES:
                where.append([i, f"{ord(c):04x}"])
            c = "\ufffd"
        chars.append(c)
    out: dict = {NONJSON: "string", "text": "".join(chars), "surrogates": where}
    if len(where) == _MAX_SURROGATES:
        out["surrogates_total"] = sum("\ud800" <= c <= "\udfff" for c in text)
    return out


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def mark_surrogates(value: object) -> object:
    """``value`` with every string (and key) that holds lone surrogates made JSON-safe."""
    if isinstance(value, str):
        return nonjson_string(value) if _has_surrogates(value) else value
    if isinstance(value, dict):
        return {
            (
                k.encode("utf-8", "backslashreplace").decode() if isinstance(k, str) and _has_surrogates(k) else k
            ): mark_surrogates(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mark_surrogates(v) for v in value]
    return value


def cut_deep(text: str, limit: int = MAX_DEPTH, reference: bool = False) -> str:
    """JSON text with every structure nested deeper than ``limit`` replaced by a marked string of its text.

    One regex match per bracket that changes the depth: strings, and balanced structures up to 3 levels deep
    (a record, a list of them) where they cannot cross ``limit``, are skipped inside the engine, so 10 MB of
    small records costs a few thousand Python steps, not one per bracket and string. Text that is not JSON
    (an unterminated string) takes the plain form, one step per token, as does ``reference`` (kept for the
    test that shows both give the same bytes)."""
    if not reference:
        fast = _cut_deep_fast(text, limit, *_skip_patterns())
        if fast is not None:
            return fast
    return _cut_deep_plain(text, limit)


def cut_deep_holes(
    text: str,
    limit: int = MAX_DEPTH,
    compile: "Callable[[str], re.Pattern[str]] | None" = None,
    reached: "list[int] | None" = None,
) -> tuple[str, dict[str, str]]:
    """:func:`cut_deep` for a text about to be parsed: each structure cut out is left in its marked object as a
    placeholder (a string of 24 random hex digits and a number, which no input can guess), its text returned beside
    it, ``{placeholder: text}``; :func:`fill_holes` puts the texts in after parsing. The same value as parsing
    :func:`cut_deep`'s text (``loads(dumps(s)) == s`` for every string), without escaping megabytes into a JSON
    string and reading them back (~50 ms for a 10 MB structure). No holes where the fast form does not apply.
    ``compile``: what compiles the fast form's regexes (the hook's pattern cache; :func:`re.compile` if None).
    ``reached``: given, the deepest level the fast form saw is appended to it (at most ``_SKIPPED_LEVELS`` short of
    the text's own nesting, which structures skipped whole may add; nothing when the fast form did not apply)."""
    holes: dict[str, str] = {}
    plain, skip = _skip_patterns(compile)
    fast = _cut_deep_fast(text, limit, plain, skip, holes, os.urandom(12).hex(), reached)
    return (fast, holes) if fast is not None else (_cut_deep_plain(text, limit), {})


def _skip_patterns(
    compile: "Callable[[str], re.Pattern[str]] | None" = None,
) -> "tuple[re.Pattern[str], re.Pattern[str]]":
    """The fast form's two regexes, compiled by ``compile`` (the hook's: from the compiled-pattern cache, which
    ``auditkit install`` warms; importing :mod:`re` and compiling them would cost the hook ~7 ms)."""
    if compile is None:
        import re

        compile = re.compile
    return compile(_SKIP_TO_BRACKET), compile(_SKIP_BALANCED)


def fill_holes(value: object, holes: dict[str, str]) -> None:
    """Put each text :func:`cut_deep_holes` took out back into its marked object in ``value`` (parsed from its text),
    in place: a walk of the containers, without recursion, that stops once every hole is filled."""
    left = len(holes)
    stack: list = [value]
    while stack and left:
        v = stack.pop()
        if type(v) is list:
            stack.extend(x for x in v if type(x) is dict or type(x) is list)
        elif type(v) is dict:
            placeholder = v.get("json") if v.get(NONJSON) == "deep" else None
            if type(placeholder) is str and placeholder in holes:
                v["json"] = holes[placeholder]
                left -= 1
            stack.extend(x for x in v.values() if type(x) is dict or type(x) is list)


def _cut_deep_plain(text: str, limit: int) -> str:
    """:func:`cut_deep`'s plain form: one step per string and bracket."""
    import re

    out, depth, last, start = [], 0, 0, -1
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text, re.S):
        t = m.group()
        if t[0] == '"':
            continue
        if t in "[{":
            depth += 1
            if depth == limit + 1:
                start = m.start()
        else:
            if depth == limit + 1 and start >= 0:
                out += [text[last:start], _startup_json.dumps({NONJSON: "deep", "json": text[start : m.end()]})]
                last, start = m.end(), -1
            depth -= 1
    out.append(text[last:])
    return "".join(out)


def _cut_deep_fast(
    text: str,
    limit: int,
    plain: "re.Pattern[str]",
    skip: "re.Pattern[str]",
    holes: dict | None = None,
    tag: str = "",
    reached: "list[int] | None" = None,
) -> str | None:
    """:func:`cut_deep`'s result, or None where the text leaves the shape it reads (the plain form decides).
    ``holes``: each structure cut out goes there under a placeholder (``tag`` and a number; see
    :func:`cut_deep_holes`), the placeholder in its marked object. ``reached``: see :func:`cut_deep_holes`."""
    out, depth, last, start, pos, deepest = [], 0, 0, -1, 0, 0
    while True:
        # a structure of up to 3 levels opened here reaches depth + 3: skipped whole unless it crosses limit + 1
        m = (skip if depth + _SKIPPED_LEVELS <= limit or depth > limit else plain).match(text, pos)
        if m is None:
            break
        pos = m.end()
        if m.group(1) in "[{":
            depth += 1
            deepest = depth if depth > deepest else deepest
            if depth == limit + 1:
                start = m.start(1)
        else:
            if depth == limit + 1 and start >= 0:
                deep = text[start : m.end()]
                if holes is not None:
                    holes[f"{tag}-{len(holes)}"] = deep
                    deep = f"{tag}-{len(holes) - 1}"
                out += [text[last:start], _startup_json.dumps({NONJSON: "deep", "json": deep})]
                last, start = m.end(), -1
            depth -= 1
    rest = text[pos:]
    if '"' in rest or "[" in rest or "]" in rest or "{" in rest or "}" in rest:
        return None  # an unterminated string, or a bracket after one: not JSON, the plain form's tokens
    if reached is not None:
        reached.append(deepest)
    out.append(text[last:])
    return "".join(out)


# Loops unrolled (a run, then any number of item-and-run): the engine takes one step per string or structure, not
# one per alternative tried, ~40% faster over megabytes than (?:run|string|structure)*+ with the same matches (the
# three start with different characters, and every loop is possessive: there is only one way to read a text).
_RUN = r'[^"\[\]{}]*+'
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_SKIP_TO_BRACKET = r"(?s)" + _RUN + r"(?:" + _STRING + _RUN + r")*+([\[\]{}])"  # past strings, to the next bracket


def _balanced(levels: int) -> str:
    """A regex for text, strings and balanced structures up to ``levels`` deep, in any number, one after another."""
    inner = _RUN + r"(?:" + _STRING + _RUN + r")*+"
    for _ in range(levels):
        inner = _RUN + r"(?:(?:" + _STRING + r"|[\[{]" + inner + r"[\]}])" + _RUN + r")*+"
    return inner


_SKIPPED_LEVELS = 3
_SKIP_BALANCED = r"(?s)" + _balanced(_SKIPPED_LEVELS) + r"([\[\]{}])"  # past those, to the next bracket


def _dumps(obj: object, ascii_first: bool = False) -> bytes:
    """``obj``'s JSON in UTF-8, non-ASCII characters as they are. ``ascii_first``: made by :func:`_dumps_ascii` when
    it can (the same bytes), for a record holding a long string with a few characters past ASCII (a cut field's
    ``…``)."""
    if ascii_first:
        made = _dumps_ascii(obj)
        if made is not None:
            return made
    try:
        return _startup_json.dumps(obj).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates somewhere: mark them (a record is always valid UTF-8)
        return _startup_json.dumps(mark_surrogates(obj)).encode("utf-8")


#: :func:`_dumps_ascii` gives up past this many ``\\u`` (a text in another script, Windows paths: one Python step each),
#: or this many backslashes in a row before one.
_FEW_ESCAPES = 32


def _dumps_ascii(obj: object) -> bytes | None:
    """:func:`_dumps` of ``obj``, made from its ASCII-only JSON (``ensure_ascii``), each ``\\uXXXX`` of a character
    past ASCII written back as the character's UTF-8; None (make it the usual way) past :data:`_FEW_ESCAPES` escapes,
    or for any escape of a surrogate (a pair could be one character or two lone ones: only the usual way tells).

    The same bytes: the two modes escape the same characters but these (DEL and everything past it), in the same
    forms (``\\"``, ``\\\\``, ``\\n``..., ``\\u00XX`` for the other control characters, lowercase hex). Faster
    for a long string holding one such character (a cut field's ``…``): Python keeps such a string two bytes a
    character, and the usual way copies it, escaped and joined, at that width (three ~130 KB copies for a 64 KiB field,
    each in memory fresh from the kernel: ~0.4 ms of the hook's page faults), where this way's copies are ASCII."""
    text = _startup_json.dumps(obj, ensure_ascii=True).encode("ascii")  # the str is let go at once: less memory
    pieces: list[bytes | memoryview] = []
    pos, left = 0, _FEW_ESCAPES
    i = text.find(b"\\u")
    while i >= 0:
        left -= 1
        start = i
        while start and text[start - 1] == 92 and i - start <= _FEW_ESCAPES:  # 92: a backslash
            start -= 1
        if left < 0 or i - start > _FEW_ESCAPES:
            return None  # many backslashes: the usual way, at C speed
        code = int(text[i + 2 : i + 6], 16) if (i - start) % 2 == 0 else 0  # even backslashes before: an escape
        if code >= 0x7F:
            if 0xD800 <= code < 0xE000:
                return None
            pieces += [memoryview(text)[pos:i], chr(code).encode("utf-8")]
            pos = i + 6
        i = text.find(b"\\u", i + 2)
    if not pieces:
        return text
    pieces.append(memoryview(text)[pos:])
    return b"".join(pieces)


#: The ``truncated`` list of the record whose cut strings were all ASCII up to their "…" (see :func:`ascii_cut_heads`).
_ASCII_CUT: list[list | None] = [None]


def ascii_cut_heads(notes: list) -> None:
    """Say (``capture.trim``) that the record whose ``truncated`` list is ``notes`` (this very list) cut only ASCII
    strings: that record, and no other (a spilled one written before it), is made the ASCII way
    (:func:`_dumps_ascii`), which would give up, after its JSON was made, on a head in another script (~0.15 ms lost
    for 64 KiB). Only a choice of way: the bytes are the same."""
    _ASCII_CUT[0] = notes


def encode_record(seq: int, ts: str, prev: str, fields: dict) -> bytes:
    """Serialise one record as its line (newline included), hash appended.

    ``fields`` must not contain ``v``, ``seq``, ``ts``, ``prev`` or ``hash``.
    """
    head = {"v": SCHEMA_VERSION, "seq": seq, "ts": ts, "prev": prev}
    head.update(fields)
    notes = fields.get("truncated")
    ascii_first = notes is not None and notes is _ASCII_CUT[0]  # a cut field ends in "…": see _dumps_ascii
    if ascii_first:
        _ASCII_CUT[0] = None
    body = _dumps(head, ascii_first=ascii_first)
    digest = sha256(body).hexdigest()
    return b"".join((memoryview(body)[:-1], HASH_OPEN, digest.encode(), b'"}\n'))  # not a copy of body[:-1]


def split_line(line: bytes) -> tuple[bytes, str] | None:
    """Return (canonical bytes, stated hash) of a line, or None if it has no hash member."""
    line = line.rstrip(b"\r\n")
    if len(line) <= HASH_TAIL or not line.endswith(b'"}'):
        return None
    cut = len(line) - HASH_TAIL
    if line[cut : cut + len(HASH_OPEN)] != HASH_OPEN:
        return None
    stated = line[cut + len(HASH_OPEN) : -2]
    try:
        text = stated.decode("ascii")
    except UnicodeDecodeError:
        return None
    return line[:cut] + b"}", text


def line_seq(line: bytes) -> int | None:
    """Read ``seq`` from a record's fixed prefix without parsing the whole line."""
    if not line.startswith(_SEQ_PREFIX):
        return None
    start = line.find(b'"seq":', 0, 40)
    if start < 0:
        return None
    start += 6
    end = start
    while end < len(line) and 48 <= line[end] <= 57:
        end += 1
    return int(line[start:end]) if end > start else None


class Tail:
    """What an appender needs to know about the end of a trail, read in O(1)."""

    __slots__ = ("hash", "next_seq", "size", "torn_bytes")

    def __init__(self, next_seq: int, hash: str | None, size: int, torn_bytes: int) -> None:
        self.next_seq = next_seq
        self.hash = hash  # None: the file is empty (or holds no record we can chain to)
        self.size = size
        self.torn_bytes = torn_bytes  # bytes after the last newline (a write cut short)


def read_tail(fd: int, max_scan: int = 8 << 20) -> Tail:
    """Find the last complete record by reading backwards from the end of an open trail.

    Cost is proportional to the last record's size, never to the trail's. A partial last line
    (a writer killed mid-append) is skipped and reported in ``torn_bytes``.

    The hook calls this on every event, and the last record is often a large tool response: the
    common case reads the trail's last 8 KiB (which holds the record's hash, at its end) and the
    record's first bytes (its ``seq``), found by looking for the newline before it, and copies
    nothing else. Anything unusual (a torn tail, a line that is not a record) takes the full
    backwards scan, :func:`scan_tail`, which gives the same answers everywhere (tested).
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return Tail(0, None, 0, 0)
    pos = max(0, size - 8192)
    buf = os.pread(fd, size - pos, pos)
    end = len(buf) - 1
    if buf[end] != 10:  # torn: a writer was killed mid-append
        return scan_tail(fd, max_scan)
    nl = buf.rfind(b"\n", 0, end)
    if nl >= 0 or not pos:  # the whole last line is in the block
        line = buf[nl + 1 : end]
        seq = line_seq(line)
        split = split_line(line) if seq is not None else None
        if seq is not None and split is not None:
            return Tail(seq + 1, split[1], size, 0)
    elif end > HASH_TAIL:  # a long last line: its hash is here, its seq where it starts
        split = split_line(buf[:end])
        if split is not None:
            start = _line_start(fd, pos, size - max_scan)
            seq = line_seq(os.pread(fd, 128, start)) if start >= 0 else None
            if seq is not None and seq < 10**18:  # its digits end inside the 128 bytes read
                return Tail(seq + 1, split[1], size, 0)
    return scan_tail(fd, max_scan)


def _line_start(fd: int, before: int, floor: int) -> int:
    """Offset just after the last newline before ``before`` (0 at the file's start; -1 past ``floor``)."""
    while before > 0:
        step = min(65536, before)
        before -= step
        if before < floor:
            return -1
        nl = os.pread(fd, step, before).rfind(b"\n")
        if nl >= 0:
            return before + nl + 1
    return 0


def scan_tail(fd: int, max_scan: int = 8 << 20) -> Tail:
    """:func:`read_tail`'s general case: walk complete lines backwards from the end, skipping a torn
    one and lines that are not records, reading blocks that double in size."""
    size = os.fstat(fd).st_size
    if size == 0:
        return Tail(0, None, 0, 0)
    block = 65536
    buf = b""
    pos = size
    torn = None
    while pos > 0 and size - pos < max_scan:
        step = min(block, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + buf
        if torn is None:
            nl = buf.rfind(b"\n")
            if nl < 0:
                continue
            torn = len(buf) - nl - 1
        # complete lines end at newlines; walk them from the last one backwards
        end = len(buf) - torn - 1
        while end >= 0:
            start = buf.rfind(b"\n", 0, end) + 1
            if start == 0 and pos > 0:
                break  # the line may begin before what we have read: read more
            line = buf[start:end]
            seq = line_seq(line)
            split = split_line(line) if seq is not None else None
            if split is not None:
                return Tail(seq + 1, split[1], size, torn)  # type: ignore[operator]  # split is None when seq is
            end = start - 1
        block *= 2
    if torn is None and pos == 0:  # not one newline in the file: all of it is a fragment
        torn = size
    return Tail(0, None, size, torn or 0)


def first_line(fd: int) -> bytes:
    """A trail file's first line (without its newline), read from ``fd`` without moving its offset."""
    buf = os.pread(fd, 4096, 0)
    nl = buf.find(b"\n")
    if nl < 0:
        buf = os.pread(fd, 1 << 20, 0)
        nl = buf.find(b"\n")
    return buf[:nl] if nl >= 0 else buf


def spill_dir(path: str) -> str:
    """Where records wait that could not get the trail's lock in time (``<folder>/.spill``)."""
    return os.path.join(os.path.dirname(path) or ".", ".spill")


def spill_prefix(path: str) -> str:
    """The name every spill file of the trail at ``path`` starts with (``audit-trail.jsonl.``)."""
    return path.rsplit("/", 1)[-1] + "."
