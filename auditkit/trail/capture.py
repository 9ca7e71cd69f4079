"""The capture path: one Claude Code hook event on stdin -> one record appended to the trail.

Standard library only: Claude Code starts the hook (``hook/auditkit_hook.py``, which calls
:func:`main`) once per event. The path is a chain of small steps, each testable alone::

    parse -> shape (trail_format.fields_from_payload) -> enrich -> trim -> redact
          -> pair duration -> append (lock, stamp, chain, write)

It never breaks the agent: whatever goes wrong, it exits 0, prints nothing on stdout and one line
on stderr, and records a ``hook_error`` record where it still can.

Settings (environment first, then command-line options):
    AUDITKIT_TRAIL / --trail PATH             trail file (default: <project>/.claude/logs/audit-trail.jsonl)
    AUDITKIT_MAX_FIELD_BYTES / --max-field-bytes N   cap for one string field (default 65536)
    AUDITKIT_REDACT=0 / --no-redact           switch redaction off (not recommended)
    AUDITKIT_SEAL_KEY                         seal with this Ed25519 key (default: ~/.config/auditkit/seal.key,
                                              when it exists) on SessionEnd and every AUDITKIT_SEAL_EVERY
                                              records (default 500)
"""

import sys

from auditkit.trail import _startup_json as json  # the json module costs ~7 ms to import
from auditkit.trail import appender, config, private_files
from auditkit.trail import format as tf
from auditkit.trail._startup_os import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    from auditkit.trail.redaction import Redactor  # for annotations only: redaction loads when it is on

DEFAULT_MAX_FIELD_BYTES = 65536
MAX_RECORD_BYTES = 1 << 20  # fits log shippers' default line limits (OpenTelemetry filelog: 1 MiB)
_SLACK_CHARS = 4096  # redact a little past the cut, so a secret straddling it cannot leak in part
RULE_TIME_S = 1.0  # all user-supplied regexes of one event together (each one: redaction.RULE_BUDGET_S)


#: Other agents' hook events, as the trail's (the agent's own name is kept in ``data.agent_event``).
AGENT_EVENTS = {
    "gemini": {"BeforeTool": "PreToolUse", "AfterTool": "PostToolUse", "BeforeAgent": "UserPromptSubmit",
               "AfterAgent": "Stop"},
}  # fmt: skip


class Options:
    __slots__ = ("agent", "max_field_bytes", "overrides", "redact", "trail")

    def __init__(self, trail: str | None, max_field_bytes: int, redact: bool, agent: str = tf.AGENT) -> None:
        self.trail, self.max_field_bytes, self.redact, self.agent = trail, max_field_bytes, redact, agent
        self.overrides: tuple[dict, dict] = ({}, {})  # guarded variables set: (honoured, ignored)


def guarded_overrides() -> tuple[dict, dict]:
    """The guarded variables set (``config.GUARDED_ENV``): (honoured, ignored). Usually none: no import then."""
    env = os.environ
    for name in config.GUARDED_ENV:
        if env.get(name):
            from auditkit.trail import trust  # only when a guarded variable is set: the usual path never loads it

            return trust.overrides()
    return {}, {}


def parse_options(argv: list[str]) -> Options:
    trail, cap, redact, agent = None, DEFAULT_MAX_FIELD_BYTES, True, tf.AGENT
    it = iter(argv)
    for arg in it:
        if arg == "--agent":
            agent = next(it, None) or agent
        elif arg == "--trail":
            trail = next(it, None)
        elif arg.startswith("--trail="):
            trail = arg.split("=", 1)[1]
        elif arg == "--max-field-bytes":
            cap = int(next(it, cap))
        elif arg.startswith("--max-field-bytes="):
            cap = int(arg.split("=", 1)[1])
        elif arg == "--no-redact":
            redact = False
    honoured, ignored = guarded_overrides()  # a project's settings `env` reaches the hook too: see trust.py
    trail = honoured.get("AUDITKIT_TRAIL") or trail
    if honoured.get("AUDITKIT_MAX_FIELD_BYTES"):
        cap = int(honoured["AUDITKIT_MAX_FIELD_BYTES"])
    if honoured.get("AUDITKIT_REDACT") == "0":
        redact = False
    opts = Options(trail, max(cap, 1024), redact, agent)
    opts.overrides = (honoured, ignored)
    return opts


def project_dir(payload: dict | None) -> str:
    return config.project_dir(payload.get("cwd") if isinstance(payload, dict) else None)


def trail_path(opts: Options, payload: dict | None) -> str:
    return config.resolve_trail(opts.trail, project_dir(payload))


# --- the steps -------------------------------------------------------------------------------


def _number(text: str) -> object:
    value = float(text)
    return value if value - value == 0 else tf.nonjson_number(text)  # inf and nan are not JSON


def _integer(text: str) -> object:
    return int(text) if len(text) <= 4000 else tf.nonjson_number(text)  # int() refuses over 4300 digits


_loads_marked = None
_loads_ints = None
#: False: the plain forms of parse, trim and cut_deep (one Python step per value), kept as the reference the
#: byte-identity test compares the fast forms with (tests/test_hook_speed.py)
FAST = True


def _bad_input(message: str) -> Exception:
    from auditkit.errors import HookInputError  # only for bad input: the usual path never imports errors

    return HookInputError(message)


def parse(raw: bytes, max_depth: int | None = None) -> dict:
    """stdin bytes -> the event payload, every value made something a strict JSON parser reads back.

    NaN, Infinity, numbers that overflow and integers too long for Python, strings with lone
    surrogates or bytes that are not UTF-8, and (with ``max_depth``) structures nested deeper than
    it are kept in the marked forms of :mod:`auditkit.trail.format`.
    """
    global _loads_marked
    if not raw or raw.isspace():  # as `not raw.strip()`, without copying megabytes
        raise _bad_input("empty stdin: no event to record")
    try:
        text = raw.decode("utf-8")
        odd = "\\u" in text and ("\\ud" in text or "\\uD" in text)  # an escaped surrogate, maybe lone
    except UnicodeDecodeError:
        text, odd = raw.decode("utf-8", "surrogateescape"), True  # keep the bytes as marked surrogates
    holes: dict[str, str] = {}
    if max_depth is not None and not FAST:
        text = tf.cut_deep(text, max_depth, reference=True)
    elif max_depth is not None:  # the deep texts left out of the text parsed, and put in after
        text, holes = _cut_holes(text, max_depth)
    try:
        payload: object = None
        if FAST and max_depth is None:
            payload, text, holes = _loads_probed(text)
        elif FAST:
            payload = _loads_fast(text)
        if payload is None:
            if _loads_marked is None:
                _loads_marked = json.make_loads(_number, _integer, tf.nonjson_number)
            payload = _loads_marked(text)  # type: ignore[operator]  # set on first use just above (None until then)
    except ValueError as exc:
        raise _bad_input(f"stdin is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise _bad_input(f"stdin is JSON but not an object ({type(payload).__name__})")
    if holes:
        tf.fill_holes(payload, holes)
    return tf.mark_surrogates(payload) if odd else payload  # type: ignore[return-value]  # marking keeps a dict


def _cut_holes(text: str, max_depth: int, reached: "list[int] | None" = None) -> tuple[str, dict[str, str]]:
    from auditkit.trail import _startup_re  # hook start-up: only for a payload nested past the parser's limit

    return tf.cut_deep_holes(text, max_depth, _startup_re.compile, reached)


#: The first parse runs this many levels under the interpreter's recursion limit (see :func:`_loads_probed`).
_PROBE_LEVELS = 160
#: The depth ``record`` parses a payload at when the whole of it is nested too deep (``data`` sits a level deeper).
DEEP_AT = tf.MAX_DEPTH - 2


def _loads_probed(text: str) -> tuple[object, str, dict[str, str]]:
    """:func:`_loads_fast` of ``text``, as (payload or None, text parsed, holes): for a payload nested past what the
    parser can nest, the text cut at ``DEEP_AT`` and its holes (what :func:`record` parses on the RecursionError),
    without first parsing half of it in vain (a 10 MB structure 2,000 levels deep: ~70 ms).

    The parse is tried with a recursion limit ``_PROBE_LEVELS`` levels above this frame, so a deep payload fails
    early. Then the cut is made, and its deepest level decides: past the interpreter's recursion limit, the whole
    parse could not succeed (every level is a recursion of the C scanner), and the cut text is parsed; otherwise the
    whole text is parsed as before, under the real limit (its RecursionError, if any, goes to ``record``). The
    payload is the one ``record`` would have parsed either way."""
    limit = sys.getrecursionlimit()
    probe = _stack_depth() + _PROBE_LEVELS
    if probe >= limit or _threads():
        return _loads_fast(text), text, {}
    sys.setrecursionlimit(probe)
    try:
        return _loads_fast(text), text, {}
    except RecursionError:
        pass
    finally:
        sys.setrecursionlimit(limit)
    reached: list[int] = []
    cut, holes = _cut_holes(text, DEEP_AT, reached)
    if reached and reached[0] > limit:
        return _loads_fast(cut), cut, holes
    return _loads_fast(text), text, {}


def _stack_depth() -> int:
    frame: object = sys._getframe()
    n = 0
    while frame is not None:
        frame, n = frame.f_back, n + 1  # type: ignore[attr-defined]  # a frame: f_back is a frame or None
    return n


def _threads() -> bool:
    """Whether other threads may run: the recursion limit is the interpreter's, so it is never lowered then."""
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def _loads_fast(text: str) -> object:
    """:func:`parse`'s loads with integers read by the C scanner itself (no Python call for each of 200,000),
    or None when the text holds what only the marked loads keeps right: an integer of 3,999 digits or more
    (``int()`` refuses them past this process's limit, set so for the parse), or invalid JSON (its message)."""
    global _loads_ints
    if _loads_ints is None:
        _loads_ints = json.make_loads(_number, int, tf.nonjson_number)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(3998)  # _integer keeps up to 4,000 characters: any longer number goes the slow way
    try:
        return _loads_ints(text)  # type: ignore[operator]  # set just above
    except ValueError:
        return None
    finally:
        sys.set_int_max_str_digits(limit)


def who() -> tuple[str, str]:
    env = os.environ
    honoured = guarded_overrides()[0]
    user = honoured.get("AUDITKIT_USER") or env.get("USER") or env.get("LOGNAME")
    if not user:
        try:
            import pwd

            user = pwd.getpwuid(os.getuid()).pw_name
        except (ImportError, KeyError):
            user = str(os.getuid())
    return user, honoured.get("AUDITKIT_HOST") or os.uname().nodename


def enrich(fields: dict, agent: str = tf.AGENT) -> dict:
    """Who and where: user, host, the agent, and the agent's process that ran the hook."""
    fields["user"], fields["host"] = who()
    fields["agent"] = agent
    if guarded_overrides()[0].get("AUDITKIT_NOW"):
        fields["clock"] = "pinned"  # a simulation set the time: say so in the evidence
    else:
        fields["ppid"] = os.getppid()  # the Claude Code process that ran the hook
    return fields


def _cut_utf8(text: str, limit: int) -> str:
    """``text``'s first ``limit`` bytes of UTF-8, a character cut in two dropped."""
    if text.isascii():  # a byte a character: the same string without encoding and decoding it (~0.1 ms for 64 KiB)
        return text[:limit]
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def trim(fields: dict, cap: int, redactor: "Redactor | None") -> tuple[dict, dict[int, int]]:
    """Cut every string longer than ``cap`` bytes, keeping its size and sha256 in ``truncated``; keep any
    structure nested deeper than ``MAX_DEPTH`` as its JSON text (marked), so every reader can parse the record.

    With a redactor, a cut string's head is redacted before the cut (a secret across the cut is seen
    whole). Returns the fields and, for each cut string so redacted, ``id(string) -> secrets replaced``:
    :func:`redact` counts them and does not run the rules on them again.
    """
    notes: list[dict] = []
    redacted: dict[int, int] = {}
    wide = [False]  # some string cut holds characters past ASCII

    def cut(value: str, path: str) -> str:
        # an ASCII string is its UTF-8 bytes: they are made after the redaction, in memory it has freed (made
        # before, 64 KiB more of the process's memory would be touched for the first time: ~60 us of page faults)
        plain = value.isascii()
        raw = b"" if plain else value.encode("utf-8", "surrogatepass")
        size = len(value) if plain else len(raw)
        if size <= cap:
            return value
        wide[0] = wide[0] or not plain
        head, n = value[: cap + _SLACK_CHARS], 0
        if redactor is not None:
            head, n = redactor.redact_text(head)
        digest = tf.sha256_hex(value.encode("ascii") if plain else raw)
        notes.append({"field": path, "bytes": size, "sha256": digest})
        out = _cut_utf8(head, cap) + f"…[auditkit: truncated {size} bytes, sha256 {digest}]"
        if redactor is not None:
            redacted[id(out)] = n
        return out

    def deep(value: dict | list, path: str, depth: int) -> dict:
        text = value["json"] if isinstance(value, dict) and value.get(tf.NONJSON) == "deep" else json.dumps(value)
        return {tf.NONJSON: "deep", "json": walk(text, f"{path}.json", depth)}

    def walk(value: object, path: str, depth: int) -> object:
        if isinstance(value, str):
            return value if len(value) * 4 <= cap else cut(value, path)
        if isinstance(value, dict | list) and depth >= tf.MAX_DEPTH:
            return deep(value, path, depth)
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        return value

    def fast(value: object, path: str, depth: int) -> object:
        """As ``walk``, but a container none of whose values changes is kept as it is (not copied), and a path
        is spelled only for a container or a string that is cut: one type test for most of a million values."""
        if type(value) is str:
            return value if len(value) <= short else cut(value, path)
        if isinstance(value, dict | list) and depth >= tf.MAX_DEPTH:
            return deep(value, path, depth)
        if type(value) is dict or type(value) is list:
            is_dict = type(value) is dict
            pairs = value.items() if type(value) is dict else enumerate(value)
            changed: dict | list | None = None  # a copy, made only when something in it changes
            for k, v in pairs:
                t = type(v)
                if t is int or v is None or t is bool or t is float or (t is str and len(v) <= short):
                    continue
                new = _step(v, f"{path}.{k}" if is_dict else f"{path}[{k}]", depth)
                if new is not v:
                    if changed is None:
                        changed = dict(value) if type(value) is dict else list(value)
                    changed[k] = new
            return value if changed is None else changed
        return walk(value, path, depth)

    def _step(v: object, path: str, depth: int) -> object:
        """A value of a container at ``depth`` that may change: a long string, a container, anything unusual."""
        t = type(v)
        return fast(v, path, depth + 1) if t is str or t is dict or t is list else walk(v, path, depth + 1)

    short = cap // 4  # a string of at most cap / 4 characters is at most cap bytes in UTF-8
    step = fast if FAST else walk
    for name, value in fields.items():
        if isinstance(value, str | dict | list):
            fields[name] = step(value, name, 2)  # the record is level 1, its fields level 2
    if notes:
        fields["truncated"] = notes
        if not wide[0]:
            tf.ascii_cut_heads(notes)  # how encode_record makes this record's JSON: see there
    return fields, redacted


def cap_record(fields: dict, raw_size: int) -> dict:
    """Keep a record under MAX_RECORD_BYTES (many small strings can still add up). Called after
    :func:`redact`, so the head it keeps of a value holds no secret, not even one under a sensitive key."""
    if raw_size <= MAX_RECORD_BYTES:
        return fields
    for name, text, size, digest in _oversized(fields):
        fields[name] = {"auditkit_truncated": {"bytes": size, "sha256": digest, "head": text[:4096]}}
        fields.setdefault("truncated", []).append({"field": name, "bytes": size, "sha256": digest})
    return fields


def _oversized(fields: dict) -> "list[tuple[str, str, int, str]]":
    """The fields whose JSON alone takes more than half a record: (name, JSON text, its bytes, its sha256)."""
    out = []
    for name in ("tool_response", "tool_input", "data"):
        if name in fields:
            text = json.dumps(fields[name])
            if len(text) > MAX_RECORD_BYTES // 2:
                raw = text.encode("utf-8", "surrogatepass")
                out.append((name, text, len(raw), tf.sha256_hex(raw)))
    return out


def redact(fields: dict, redactor: "Redactor", trimmed: dict[int, int] | None = None) -> dict:
    """Replace secrets in every recorded value; count them in ``redactions``. ``trimmed``: what
    :func:`trim` redacted already (counted here, not redacted twice)."""
    total = 0
    for name in ("tool_input", "tool_response", "error", "data"):
        if name in fields:
            if FAST:  # containers left as they are where nothing in them changes (the same result)
                fields[name], n = redactor.redact_tree(fields[name], done=trimmed)
            else:
                fields[name], n = redactor.redact_value(fields[name], done=trimmed)
            total += n
    fields["redactions"] = total
    return fields


# --- duration: PreToolUse leaves its start time where the matching Post event finds it --------


def _pending_key(fields: dict) -> str | None:
    tool_use_id = fields.get("tool_use_id")
    if not isinstance(tool_use_id, str) or not tool_use_id:
        return None
    return tf.sha256(f"{fields.get('session_id')}\0{tool_use_id}".encode()).hexdigest()[:32]


def _pending_dir(trail: str) -> str:
    return os.path.join(os.path.dirname(trail), ".pending")


def take_start(trail: str, fields: dict) -> tuple[int, int] | None:
    """For a Post event: the (start ns, seq) its PreToolUse left, consumed. O(1), per call id."""
    key = _pending_key(fields)
    if key is None:
        return None
    try:
        dfd = private_files.open_dir(_pending_dir(trail), create=False)
    except OSError:
        return None
    try:
        fd = private_files.open_in(dfd, key, os.O_RDONLY)
        try:
            start, seq = os.read(fd, 64).split()
        finally:
            os.close(fd)
        os.unlink(key, dir_fd=dfd)
        return int(start), int(seq)
    except (OSError, ValueError):
        return None
    finally:
        os.close(dfd)


def leave_start(trail: str, fields: dict, at: appender.Appended) -> None:
    key = _pending_key(fields)
    if key is None:
        return
    folder = _pending_dir(trail)
    dfd = private_files.open_dir(folder)
    try:
        fd = private_files.open_in(dfd, key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, where=folder)
        try:
            os.write(fd, f"{at.ts_ns} {at.seq}".encode())
        finally:
            os.close(fd)
    finally:
        os.close(dfd)


def sweep_pending(trail: str, max_age_s: float = 86400.0) -> None:
    """On SessionEnd: forget start times of calls that never finished (denied, interrupted).

    Only the hook's own entries go: regular files named like a pending key, owned by this user, in
    a real ``.pending`` folder (a link planted there is never followed).
    """
    try:
        dfd = private_files.open_dir(_pending_dir(trail), create=False)
    except OSError:
        return
    import time

    limit = time.time() - max_age_s
    try:
        for entry in os.scandir(dfd):
            name = entry.name
            if len(name) != 32 or name.strip("0123456789abcdef"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if st.st_mode & 0o170000 == 0o100000 and st.st_uid == os.geteuid() and st.st_mtime < limit:
                    os.unlink(name, dir_fd=dfd)
            except OSError:
                pass
    finally:
        os.close(dfd)


# --- the whole path ---------------------------------------------------------------------------


def record(raw: bytes, opts: Options) -> appender.Appended:
    """Record one event; raises on failure (``main`` turns that into a fail-open exit)."""
    try:
        return _record(parse(raw), opts, len(raw))
    except RecursionError:  # nested too deep to walk: keep the deep parts as marked JSON text
        return _record(parse(raw, max_depth=DEEP_AT), opts, len(raw))


def shape(payload: dict, opts: Options, raw_size: int, redactor: "Redactor | None") -> dict:
    """A payload as the fields of its record, before chaining: mapped, enriched, trimmed, redacted, capped."""
    mapped = AGENT_EVENTS.get(opts.agent, {}).get(payload.get("hook_event_name"))  # type: ignore[arg-type]  # a non-string event name finds nothing
    if mapped:
        payload = {**payload, "hook_event_name": mapped, "agent_event": payload["hook_event_name"]}
    fields = enrich(tf.fields_from_payload(payload), opts.agent)
    fields, trimmed = trim(fields, opts.max_field_bytes, redactor)
    if redactor is None:
        return cap_record(fields, raw_size)
    whole = fields.copy()
    cut = head_only(fields, raw_size)  # a field the cap would replace by its head: only the head is redacted
    fields = redact(fields, redactor, trimmed)
    for name, (raw, digest) in cut.items():
        head = json.dumps(fields[name])
        if len(head) < _HEAD_BUDGET // 2:  # redaction shrank the head a lot (long secrets): redact it all
            return cap_record(redact(whole, redactor, trimmed), raw_size)
        fields[name] = {"auditkit_truncated": {"bytes": raw, "sha256": digest, "head": head[:_HEAD_CHARS]}}
        fields.setdefault("truncated", []).append({"field": name, "bytes": raw, "sha256": digest})
    return cap_record(fields, raw_size)


_HEAD_CHARS = 4096  # what a capped field keeps of its JSON text
_HEAD_BUDGET = 65536  # what of it is redacted: far past the head, so a secret across the prune is seen whole


def head_only(fields: dict, raw_size: int) -> dict[str, tuple[int, str]]:
    """For a record over MAX_RECORD_BYTES: each field :func:`cap_record` would replace by a head of its JSON,
    pruned now to its first ~64 KiB (whole items in order, the last string cut), so that redaction spends its
    time on what is kept, not on megabytes of many small strings the record drops. Returns, per pruned
    field, the size and sha256 of its whole JSON text."""
    cut: dict[str, tuple[int, str]] = {}
    if raw_size <= MAX_RECORD_BYTES:
        return cut
    for name, _, size, digest in _oversized(fields):
        cut[name] = (size, digest)
        fields[name] = _prune(fields[name], [_HEAD_BUDGET])
    return cut


def _prune(value: object, left: list[int]) -> object:
    """``value`` with only its first ``left[0]`` characters or so of content, in order (``left``: shared budget)."""
    if isinstance(value, str):
        keep = value if len(value) <= left[0] else value[: max(left[0], 0) + _SLACK_CHARS]
        left[0] -= len(keep) + 2
        return keep
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if left[0] <= 0:
                break
            left[0] -= len(k) + 4
            out[k] = _prune(v, left)
        return out
    if isinstance(value, list):
        items = []
        for v in value:
            if left[0] <= 0:
                break
            items.append(_prune(v, left))
        return items
    left[0] -= 8
    return value


def _record(payload: dict, opts: Options, raw_size: int) -> appender.Appended:
    trail = trail_path(opts, payload)
    redactor = None
    notes: list[str] = []
    if opts.redact:
        # hook start-up: the rules load only when redaction is on (through the package: see _startup_import)
        from auditkit.trail import redaction

        pii: Redactor | None = None
        files = config.pii_files(project_dir(payload))
        if files is not None:  # [pii] is opt-in: without it nothing more is loaded
            pii = pii_redactor(project_dir(payload), payload.get("hook_event_name"), files)
        try:
            redactor = pii or redaction.Redactor.default(project_dir(payload))
        except ValueError as exc:  # a broken custom rule file (RuleError) must not cost the event: built-in rules
            sys.stderr.write(f"auditkit hook: {exc} (custom rules ignored; built-in rules applied)\n")
            redactor = redaction.Redactor()
            notes.append(f"custom rules ignored: {exc}")
        import time  # loaded already (the appender's clock)

        redactor.deadline = time.monotonic() + RULE_TIME_S
    settings = config.project_file(project_dir(payload), config.PROJECT_SETTINGS_FILE)
    if os.path.isfile(settings):  # the hook does not read it, but an unapproved one is worth a word in the trail
        from auditkit.trail import trust  # only when a project ships settings: the usual path never loads it

        approved, said = trust.status(settings, project_dir(payload))
        if not approved:
            notes.append(f"project settings ignored: {said}")
    fields = shape(payload, opts, raw_size, redactor)
    trust_note(fields, opts, redactor, notes)
    record_policy = getattr(redactor, "record_policy", None)  # the [pii] policy says so at a session's start
    if record_policy is not None:
        record_policy(fields)
    event = fields["event"]
    start = take_start(trail, fields) if event in ("PostToolUse", "PostToolUseFailure") else None

    def build(seq: int, ts_ns: int) -> dict:
        if start is not None:
            paired = round((ts_ns - start[0]) / 1e6, 3)
            sent = fields.get("duration_ms")  # execution time, sent by Claude Code since v2.1.119
            if type(sent) in (int, float) and sent == sent:
                # the permission prompt and hooks before it ran (sent is a number here: type() is checked above)
                fields["wait_ms"] = round(max(0.0, paired - sent), 3)  # type: ignore[operator]  # sent is a number here (type() checked above)
            elif sent is None:
                fields["duration_ms"] = paired  # older versions: the time between the two hook calls
            if start[1] >= 0:  # -1: the PreToolUse record was spilled, its seq not known yet
                fields["pre_seq"] = start[1]
        return fields

    at = appender.append(trail, build)
    for note in at.set_aside:
        sys.stderr.write(f"auditkit hook: {appender.provenance_fields(note)['error']}; a new trail was started\n")
    if at.spilled:
        why = at.reason or f"the trail was locked by another process for {appender.LOCK_WAIT_S:g} s"
        sys.stderr.write(
            f"auditkit hook: {why}; the event waits in {at.spilled} and the next write adds it to the chain\n"
        )
    if event == "PreToolUse":
        leave_start(trail, fields, at)
    elif event == "SessionEnd":
        sweep_pending(trail)
    if event == "SessionEnd" or at.seq % seal_every() == 0:
        maybe_seal(trail)
    if "truncated" in fields:
        cut = ", ".join(f"{t['field']} ({t['bytes']} bytes)" for t in fields["truncated"])
        sys.stderr.write(f"auditkit hook: recorded seq {at.seq} with oversized fields cut, sha256 kept: {cut}\n")
    return at


def pii_redactor(project: str, event: object, files: "dict[str, bytes | None]") -> "Redactor | None":
    """The redactor a ``[pii]`` policy asks of the hook (None: its hook part is off). ``files``: what
    :func:`auditkit.trail.config.pii_files` read.

    The policy's outcome for the hook (on or off, its kinds, its notes) is kept in the user's cache, by a digest of
    the config folder and the user's two files as read, when nothing else decides it: no project file holds
    ``pii`` (a project's policy applies only once approved, which is looked up each time) and the config folder is
    not inside the project. Read back from there, the policy costs no import; and the redactor is
    :func:`_pii_on_demand`'s, which loads the detectors (:mod:`auditkit.trail.pii_hook`) only for a text that could
    hold personal data. A session's start says the whole policy in its record: it is read then."""
    cached = key = None
    folder = config.config_dir()
    if event != "SessionStart" and not os.path.abspath(folder).startswith(os.path.abspath(project).rstrip("/") + "/"):
        user = [config.user_file(config.RULES_FILE), config.user_file(config.SETTINGS_FILE)]
        if all(b"pii" not in (data or b"") for path, data in files.items() if path not in user):
            text = json.dumps([folder, *((files.get(p) or b"").decode("latin-1") for p in user)], ensure_ascii=True)
            key = tf.sha256_hex(text.encode())
            cached = _pii_cached(key)
    if cached is None:
        from auditkit.trail import pii_hook  # hook start-up: only when a settings file mentions pii

        p = pii_hook.policy(project, files)
        if key is not None:
            _pii_keep(key, {"hook": p.hook, "kinds": list(pii_hook.hook_kinds(p)), "notes": p.notes})
        return pii_hook.hook_redactor(project, p)  # its redactor when the policy turns the hook on
    if not cached["hook"]:
        return None
    from auditkit.trail.redaction import with_pii_policy  # loaded already: redaction is on

    return with_pii_policy(_pii_on_demand(), project, tuple(cached["kinds"]), list(cached["notes"]))


_ON_DEMAND: list[type] = []


def _pii_on_demand() -> "type[Redactor]":
    """The hook's redactor under ``[pii] hook = true`` while no text it looked at could hold personal data: the
    secret rules alone, until the first text with an ``@``, a digit or a character past ASCII (what each of the
    hook's personal-data kinds needs: an address's ``@``, an IBAN's or an SSN's digits), when it becomes
    :class:`auditkit.trail.pii_hook.PiiRedactor` (loaded then: ~0.3 ms a small event without such text spares).
    It finds what that class finds: on any other text, that class adds nothing to the secret rules' findings.
    Made on first use (redaction loads only when it is on); its ``pii_kinds`` and notes: :func:`with_pii_policy`."""
    if _ON_DEMAND:
        return _ON_DEMAND[0]
    from auditkit.trail.redact_scan import _digit_count  # loaded already: redaction is on
    from auditkit.trail.redaction import Redactor  # as above

    class PiiOnDemand(Redactor):
        pii_kinds: tuple[str, ...] = ()
        pii_policy: object = None

        def _become_pii(self) -> None:
            from auditkit.trail import pii_hook  # hook start-up: only once a text could hold personal data

            self.__class__ = pii_hook.PiiRedactor  # type: ignore[assignment]  # the same layout: a Redactor subclass

        def findings(self, text: str, _depth: int = 0, trie: bool = False) -> list[tuple[str, int, int, str]]:
            if "@" in text or not text.isascii() or _digit_count(text):
                self._become_pii()
                return self.findings(text, _depth, trie)
            return super().findings(text, _depth, trie)

        def quiet_strings(self, strings: list[str]) -> set[int]:
            self._become_pii()  # many strings at once: a bulk scan, worth the detectors' import
            return self.quiet_strings(strings)

    _ON_DEMAND.append(PiiOnDemand)
    return PiiOnDemand


def _pii_path(key: str) -> str:
    return os.path.join(config.cache_dir(), f"pii-{key[:32]}.json")


def _pii_cached(key: str) -> dict | None:
    """The policy's outcome kept under ``key``, if the cache holds it in a file of the user's own (see
    :func:`auditkit.trail.private_files.read_own`; the folder is never inside the project)."""
    raw = private_files.read_own(_pii_path(key), 1 << 16)
    try:
        got = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if type(got) is not dict or got.get("key") != key or type(got.get("hook")) is not bool:
        return None
    kinds, notes = got.get("kinds"), got.get("notes")
    if type(kinds) is not list or type(notes) is not list or not all(type(x) is str for x in kinds + notes):
        return None
    return got


def _pii_keep(key: str, outcome: dict) -> None:
    try:  # noqa: SIM105 - contextlib would cost the hook an import
        private_files.write_atomic(_pii_path(key), json.dumps({"key": key, **outcome}).encode())
    except OSError:  # a read-only home: the policy is read each time
        pass


def trust_note(fields: dict, opts: Options, redactor: "Redactor | None", notes: list[str]) -> dict:
    """Say in the record what a project or the environment tried to change: ``data.auditkit_trust`` holds the
    guarded variables honoured (``overrides``) and ignored (``ignored_overrides``), project files ignored for
    want of the user's approval, and rules that ran out of time (their values were redacted whole). Added
    after redaction, so no custom rule can rewrite it. Absent when there is nothing to say."""
    honoured, ignored = opts.overrides
    honoured = {k: v for k, v in honoured.items() if k != "AUDITKIT_NOW"}  # said by `clock: pinned`
    notes = notes + list(getattr(redactor, "notes", ()))
    if not (honoured or ignored or notes):
        return fields
    note: dict = {}
    if honoured:  # names only: a value could be a path to a key, or anything a project chose
        note["overrides"] = sorted(honoured)
    if ignored:
        note["ignored_overrides"] = sorted(ignored)
    if notes:
        note["notes"] = notes
    data = fields.get("data")
    if not isinstance(data, dict):
        data = fields["data"] = {} if data is None else {"value": data}
    data["auditkit_trust"] = note
    if ignored or notes:
        said = "; ".join([*(f"{k} ignored (not in allow-env)" for k in ignored), *notes])
        sys.stderr.write(f"auditkit hook: {said}\n")
    return fields


def seal_every() -> int:
    every = os.environ.get("AUDITKIT_SEAL_EVERY")
    if every:
        from auditkit.trail import trust  # guarded: honoured only when the user's allow-env names it

        every = trust.env("AUDITKIT_SEAL_EVERY")
    try:
        return max(1, int(every or 500))
    except ValueError:
        return 500


def maybe_seal(trail: str) -> bool:
    """Start ``auditkit seal`` detached when a seal key is configured; True if one was started.

    Signing needs Ed25519, which the standard library lacks, so a separate process does it; the
    hook does not wait for it. Never under a pinned clock (simulations must stay reproducible).
    """
    if guarded_overrides()[0].get("AUDITKIT_NOW"):
        return False
    key = config.default_seal_key_path()
    if os.environ.get("AUDITKIT_SEAL_KEY"):
        from auditkit.trail import trust  # guarded: a project's settings could name a key it knows

        key = trust.env("AUDITKIT_SEAL_KEY") or key
    if not os.path.isfile(key):
        return False
    devnull = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
    ]
    argv = [sys.executable, "-I", "-m", "auditkit", "seal", trail, "--key", key, "--quiet"]
    os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=actions, setsid=True)
    return True


def record_hook_error(raw: bytes, opts: Options, exc: BaseException) -> bool:
    """Write a ``hook_error`` record describing a failure; True if it landed."""
    payload = None
    try:  # noqa: SIM105 - contextlib would cost the hook an import
        payload = json.loads(raw)
    except Exception:
        pass
    payload = payload if isinstance(payload, dict) else None
    fields: dict = {
        "event": tf.HOOK_ERROR,
        "status": tf.STATUS_ERROR,
        "error": f"{type(exc).__name__}: {exc}",
        "data": {"stdin_bytes": len(raw), "stdin_sha256": tf.sha256_hex(raw)},
    }
    if payload is not None:
        for name in ("hook_event_name", "session_id", "tool_use_id", "tool_name", "cwd"):
            if isinstance(payload.get(name), str):
                fields["data"][name] = payload[name]
    enrich(fields, opts.agent)
    try:
        appender.append(trail_path(opts, payload), lambda seq, ts: fields)
        return True
    except Exception:
        return False


def main(argv: list[str] | None = None, stdin: object = None) -> int:
    if argv is None:  # the hook's own process (one event): walk each project folder once
        private_files.walked = {}
    raw = b""
    opts = Options(None, DEFAULT_MAX_FIELD_BYTES, True)
    try:
        opts = parse_options(sys.argv[1:] if argv is None else argv)
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read()  # type: ignore[union-attr]  # a binary stream: sys.stdin.buffer or a test's
        record(raw, opts)
    except BaseException as exc:  # fail open: the agent must never be blocked by its audit hook
        if isinstance(exc, KeyboardInterrupt | SystemExit) and not raw:
            return 0
        try:
            kept = record_hook_error(raw, opts, exc)
        except BaseException:
            kept = False
        where = "a hook_error record was written" if kept else "nothing could be recorded"
        try:  # noqa: SIM105 - contextlib would cost the hook an import
            sys.stderr.write(f"auditkit hook: {type(exc).__name__}: {exc} ({where}; the agent continues)\n")
        except Exception:
            pass
    return 0
