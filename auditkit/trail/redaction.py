"""Redact secrets from text and nested JSON before anything is written (standard library only).

A secret is replaced by a marker that names its kind and carries a keyed fingerprint,
``[REDACTED:github-pat:3f9a1c2e]``: the same secret gets the same fingerprint everywhere (so it
can be correlated across records), but the fingerprint is an HMAC under a per-installation key,
so it cannot be brute-forced back into the secret.

Example::

    r = Redactor.default()
    clean, count = r.redact_value({"command": "export GITHUB_TOKEN=ghp_..."})

Redaction, by job (each module imports only those listed before it, and the standard library):

- :mod:`auditkit.trail.redact_keys` — whether a key's name says its value is secret (``clientSecret``, ``APP_KEY``);
- :mod:`auditkit.trail.redact_scan` — cheap scans: which keyword parts occur in a text (the keyword trie),
  runs of token, card or base64 characters, the compiled-pattern cache;
- :mod:`auditkit.trail.redact_rules` — one rule, the built-in ones, TOML rule files and the regex time budget;
- :mod:`auditkit.trail.redact_checks` — checks on a match: card numbers, plausible values, randomness, ids;
  loaded only when a rule matched or a value sits under a secret's key (most events never need it);
- :mod:`auditkit.trail.redact_decode` — secrets written another way (``\\u`` escapes, percent-encoding, literals
  joined by ``+``, reversed text), read back and scanned again; loaded only for a text that shows such a form;
- this module — :class:`Redactor`, markers and the fingerprint key; ``__all__`` is redaction's interface
  (import from here, not from the ``redact_*`` modules: they are split by job, for their readers).

Six small modules, not one: each costs the hook ~70 µs to import (benchmarks/hook_latency.py).
"""

# redact_keys, redact_rules and redact_scan through the package first (in the hook: its fast path, see
# auditkit.trail._startup_import), then their names below
from auditkit.trail import config, private_files, redact_keys, redact_rules, redact_scan, secret_rules  # noqa: F401
from auditkit.trail import format as tf
from auditkit.trail._startup_hash import hmac_sha256
from auditkit.trail._startup_os import os
from auditkit.trail.redact_keys import _HINTS, is_sensitive_key, key_words
from auditkit.trail.redact_rules import (
    RULE_BUDGET_S,
    Rule,
    RuleTimeout,
    _first_char_split,
    _search_any,
    builtin_rules,
    load_rule_file,
    nested_quantifiers,
    rule_file_warnings,
    rule_files,
    user_rules_file,
)
from auditkit.trail.redact_scan import (
    _B64_CHARS,
    _BASE64_RUN,
    _TOKEN_RUN,
    _WRITTEN_ANOTHER_WAY,
    KeywordIndex,
    _compiled,
    _has_run,
    _long_word,
    _rx,
    _trie_pattern,
    written_another_way,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    # loaded on first use (see _checks); named here for the type checker and for importers of this module
    import re
    from collections.abc import Callable
    from types import ModuleType
    from typing import TypeVar

    from auditkit.trail.redact_checks import high_entropy as high_entropy
    from auditkit.trail.redact_checks import luhn_ok as luhn_ok
    from auditkit.trail.redact_checks import plausible_value as plausible_value

    T = TypeVar("T")

MARKER_RE = r"\[REDACTED:[a-z0-9-]+:[0-9a-f]{8}\]"
_KEY_BYTES = 32


def fingerprint_key_path() -> str:
    """``AUDITKIT_FINGERPRINT_KEY`` when the user allows it (it is guarded), else ``<config>/fingerprint.key``."""
    if os.environ.get("AUDITKIT_FINGERPRINT_KEY"):
        from auditkit.trail import trust  # only when the variable is set: the usual path never loads it

        chosen = trust.env("AUDITKIT_FINGERPRINT_KEY")
        if chosen:
            return chosen
    return config.default_fingerprint_key_path()


def load_fingerprint_key(path: str | None = None, create: bool = True) -> bytes:
    """Read the per-installation fingerprint key, creating it (mode 0600) on first use."""
    path = path or fingerprint_key_path()
    try:  # never through a link: a key planted elsewhere would make fingerprints guessable
        key = _read_private(path)
        if len(key) >= 16:
            return key
    except FileNotFoundError:
        if not create:
            raise
    key = os.urandom(_KEY_BYTES)
    try:
        fd = private_files.open_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:  # another process won the race: use its key
        return _read_private(path)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def _read_private(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def warm_cache() -> int:
    """Compile every built-in pattern into the cache the hook reads (run by ``auditkit install``)."""
    from auditkit.trail import _startup_re  # hook start-up: as in _rx, never at import

    r = Redactor(key=b"-" * _KEY_BYTES)
    r._first_char_tries()  # the keyword tries by first character: their sources and programs in one entry
    return _startup_re.warm(
        [rule.pattern for rule in r.rules]
        + [p for rule in r.rules for _, p in _first_char_split(rule.pattern) or ()]  # long texts' split scans
        + [_checks()._CODE_REF, _BASE64_RUN, _TOKEN_RUN, r._trie_source(), r._all_parts_source(), _WRITTEN_ANOTHER_WAY]
        + list(_decode().PATTERNS)
        + [tf._SKIP_TO_BRACKET, tf._SKIP_BALANCED]  # cut_deep's, for payloads nested past the parser's limit
    )


class Redactor(KeywordIndex):
    """Applies the rules to strings and nested JSON values; counts what it replaced."""

    rules: list[Rule]

    def __init__(
        self,
        rules: list[Rule] | None = None,
        key: bytes | None = None,
        allow_patterns: list[str] | None = None,
        allow_values: list[str] | None = None,
    ) -> None:
        self.rules = rules if rules is not None else builtin_rules()
        self._key = key
        self._allow = [_rx(p) for p in allow_patterns or []]
        self._allow_values = {v.lower() for v in allow_values or []}
        self.notes: list[str] = []  # what the default configuration left out, and rules that ran out of time
        #: monotonic time after which no custom regex runs (the hook sets it: its whole event is bounded)
        self.deadline: float | None = None
        self._timed_out: set[str] = set()

    @classmethod
    def default(cls, project_dir: str | None = None) -> "Redactor":
        """The built-in rules plus the user's rule file, and the project's rule file if the user approved it.

        A project's rules apply only once ``auditkit trust`` recorded the user's approval of the file as it
        is (a rule can hide evidence: one matching ``rm -rf`` would redact the command); its allowlist never
        applies (a project adds redaction, never removes it). ``notes`` says what was left out and why.
        """
        rules = builtin_rules()
        allow_p: list[str] = []
        allow_v: list[str] = []
        notes: list[str] = []
        user = user_rules_file(project_dir)
        if user is not None:
            extra, allow_p, allow_v = load_rule_file(user)
            rules = extra + rules  # custom rules first: they are the most specific
        path = config.project_file(project_dir, config.PROJECT_RULES_FILE) if project_dir else ""
        if path and os.path.isfile(path):
            from auditkit.trail import trust  # only when a project ships rules: the usual path never pays

            data = trust.read_file(path)
            ok, said = trust.status(path, project_dir, data)
            if ok and data is not None:
                extra, _, _ = load_rule_file(path, data)  # the bytes approved, not a second read
                rules = extra + rules
            else:
                notes.append(f"project rules ignored: {said}")
        r = cls(rules, None, allow_p, allow_v)
        r.notes = notes
        return r

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = load_fingerprint_key()
        return self._key

    def fingerprint(self, secret: str) -> str:
        """The keyed fingerprint of a secret (8 hex digits of an HMAC-SHA256)."""
        return hmac_sha256(self.key, secret.encode("utf-8", "surrogatepass"))[:8]

    def marker(self, kind: str, secret: str) -> str:
        return f"[REDACTED:{kind}:{self.fingerprint(secret)}]"

    def _allowed(self, secret: str) -> bool:
        if secret.lower() in self._allow_values:
            return True
        if not self._allow:
            return False
        try:
            return bool(self._budgeted("allowlist", _search_any, self._allow, secret))
        except RuleTimeout:  # fail closed: a value the allowlist cannot clear in time is redacted
            return False

    def _matches(self, rule: Rule, text: str, low: str, where: dict, present: set[str]) -> list:
        """A rule's matches; a custom rule's regex runs within its time budget (see :meth:`_budgeted`)."""
        if rule.flags != "custom":
            return rule.matches(text, low, where, present)
        return self._budgeted(rule.id, rule.matches, text, low, where, present)

    def _budgeted(self, name: str, fn: "Callable[..., T]", *args: object) -> "T":
        """Run a user-supplied regex (a custom rule, an allowlist) for at most RULE_BUDGET_S, and never past
        ``deadline``: SIGALRM interrupts a catastrophic backtrack (``re`` checks signals while it matches).
        Raises :class:`RuleTimeout` then, and at once for that rule from then on (fail closed: the caller
        redacts the whole value). Outside the main thread no alarm can be set: the regex runs unbounded."""
        import signal
        import time

        if name in self._timed_out:
            raise RuleTimeout(name)
        budget = RULE_BUDGET_S
        if self.deadline is not None:
            budget = min(budget, self.deadline - time.monotonic())
        if budget <= 0:
            self._time_out(name, "the event's time for custom rules was spent")
            raise RuleTimeout(name)
        armed = [True]

        def alarm(signum: int, frame: object) -> None:
            if armed[0]:
                raise RuleTimeout(name)

        try:
            previous = signal.signal(signal.SIGALRM, alarm)
        except ValueError:  # not the main thread
            return fn(*args)
        started = time.monotonic()
        before = signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            try:
                return fn(*args)
            finally:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except RuleTimeout:
            self._time_out(name, f"it ran past {budget:.2f} s")
            raise
        finally:
            signal.signal(signal.SIGALRM, previous)
            if before[0] > 0:  # someone else's timer was running: give it back what is left of it
                signal.setitimer(signal.ITIMER_REAL, max(before[0] - (time.monotonic() - started), 1e-6), before[1])

    def _time_out(self, name: str, why: str) -> None:
        if name not in self._timed_out:
            self._timed_out.add(name)
            what = "the allowlist" if name == "allowlist" else f"custom rule {name!r}"
            self.notes.append(f"{what} ran out of time ({why}): every value it would scan is redacted whole")

    def could_hold_secret(self, text: str) -> bool:
        """A cheap, exact-or-broader test for bulk scanning: False means no rule and no sensitive key can match.

        One case-folded alternation of every rule keyword and sensitive key name, plus the digit count
        card numbers need. (The hook does not use it: it would cost the hook an import of ``re``.)
        """
        rx = getattr(self, "_prefilter", None)
        if rx is None:
            import re

            words = {k.split("&&")[0].lower() for r in self.rules for k in r.keywords}
            # sensitive keys count only as JSON keys: "password", or a name ending in _password
            keys = {f'"{k}"' for k in secret_rules.SENSITIVE_KEYS} | {f'{s}"' for s in secret_rules.SENSITIVE_SUFFIXES}
            words |= keys | {k.replace("_", "-") for k in keys} | set(_HINTS)  # key names in any case style
            always = any(not r.keywords and r.check not in ("luhn", "entropy") for r in self.rules)
            rx = self._prefilter = None if always else re.compile(_trie_pattern(words))
            # what the card rule needs; what the random-token rule and the base64 decoder need
            self._digits = re.compile(r"(?<![0-9A-Za-z.-])\d(?:[ -]?\d){12}|[A-Za-z0-9+/_.~=-]{20}")
        if rx is None:
            return True
        low = text.lower()
        return bool(rx.search(low)) or bool(self._digits.search(text))

    def findings(self, text: str, _depth: int = 0, trie: bool = False) -> list[tuple[str, int, int, str]]:
        """Every secret in ``text`` as (rule id, start, end, secret), earlier rules winning overlaps;
        then base64 runs whose decoded text holds a secret (``base64-<rule>``). ``trie``: see
        :meth:`keywords_in`."""
        low = text.lower()
        taken: list[tuple[int, int]] = []
        found: list[tuple[str, int, int, str]] = []
        present = self.keywords_in(text, low, trie)
        if not present and len(text) < self._shortest_unprompted():
            return found  # no keyword, and too short for a card number, a random token or base64
        encoded = _depth >= _MAX_DEPTH or not _could_hold_base64(text)
        where: dict[str, list[int]] = {}
        for rule in self._candidates(present):
            if rule.check == "entropy" and not encoded:  # decoded base64 names its secret better
                found += self._encoded(text, taken, _depth)
                encoded = True
            if not rule.applies(text, low, present):
                continue
            for m in self._matches(rule, text, low, where, present):
                start, end = m.span(rule.group)
                if start < 0 or end <= start:
                    continue
                secret = m.group(rule.group)
                if self._kept(rule, text, m, start, end, secret, taken):
                    taken.append((start, end))
                    found.append((rule.id, start, end, secret))
        if not encoded:
            found += self._encoded(text, taken, _depth)
        if _depth < _MAX_DEPTH and written_another_way(text, low):
            found = self._read_back(text, low, taken, _depth, found)
        found.sort(key=lambda f: f[1])
        return found

    def _kept(self, rule: Rule, text: str, m: "re.Match[str]", start: int, end: int, secret: str, taken: list) -> bool:
        """Whether a rule's match at ``start:end`` is a finding: it passes the rule's checks (a marker is not a secret),
        the allowlist does not clear it, and it overlaps no finding taken already."""
        # a match inside one taken already is dropped whatever the checks say: not checked (the randomness test of a
        # long text's tokens, ~10 us each), unless an allowlist pattern would run on it (its time budget is spent and
        # said in the notes: as before)
        if not self._allow and any(s < end and start < e for s, e in taken):
            return False
        if "[REDACTED:" in secret or _checks().rejects(rule, text, m, start, secret):
            return False
        return not (self._allowed(secret) or any(s < end and start < e for s, e in taken))

    def _read_back(self, text: str, low: str, taken: list[tuple[int, int]], depth: int, found: list) -> list:
        """Spans written another way (escapes, percent-encoding, joined literals: redacted whole, named
        ``<form>-<rule>``) or reversed (each secret in place, ``reversed-<rule>``) that hold a secret once read back.
        Joined literals and reversed text replace what was found inside them (a piece of a token, a misnamed one);
        other spans defer to it. Returns ``found`` with those findings."""
        out = []
        for form, start, end, decoded in _decode().spans(text, low):
            inside = form in ("concatenated", "reversed")  # these replace findings inside: a piece, a misnamed one
            if any(s < end and start < e and not (inside and start <= s <= e <= end) for s, e in taken):
                continue
            inner = self.findings(decoded, depth + 1)
            if form == "reversed":
                inner = [(f"reversed-{k}"[:60], end - e, end - s, text[end - e : end - s]) for k, s, e, _ in inner]
            elif inner:
                inner = [(f"{form}-{inner[0][0]}"[:60], start, end, text[start:end])]
            for kind, s, e, secret in inner:
                if not any(a < e and s < b and not s <= a <= b <= e for a, b in taken) and not self._allowed(secret):
                    taken.append((s, e))
                    out.append((kind, s, e, secret))
        return [f for f in found if not any(s <= f[1] and f[2] <= e for _, s, e, _ in out)] + out

    def _candidates(self, present: set[str]) -> "list[Rule]":
        """The rules a text with these keyword parts could switch on (and those with no keyword), in order."""
        if not present:  # no keyword: the rules that need none (without indexing the others)
            return [self.rules[i] for i in self._always()]
        candidates = set(self._always()) | self._rules_holding(present)
        return [self.rules[i] for i in sorted(candidates)]

    def _encoded(self, text: str, taken: list[tuple[int, int]], depth: int) -> list[tuple[str, int, int, str]]:
        """Base64 runs (up to 64 KiB) that decode to text holding a secret: a Kubernetes Secret's
        ``data:``, a ``.dockerconfigjson``, a kubeconfig's ``client-key-data``; and hex runs (``xxd -p``) that
        do. The whole run is redacted, named ``base64-<rule>`` or ``hex-<rule>``. A run of 32 random bytes (44
        characters, one ``=``: what ``wg genkey`` prints) is a key by itself: ``raw-256-bit-key``."""
        out = []
        for m in _rx(_BASE64_RUN).finditer(text):
            start, end = m.span()
            if end - start > 65536 or any(s < end and start < e for s, e in taken):
                continue
            form = "hex" if (end - start) % 2 == 0 and end - start >= 32 and _is_hex(m.group()) else "base64"
            if form == "base64" and (end - start) % 4:
                continue
            try:
                if form == "hex":
                    decoded = bytes.fromhex(m.group()).decode("utf-8")
                else:
                    decoded = _a2b_base64(m.group()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                decoded = ""
            if not decoded or sum(c.isprintable() or c in "\r\n\t" for c in decoded) < 0.97 * len(decoded):
                key = end - start == 44 and form == "base64" and _checks().raw_key(text, m.group(), start)
                if key and not self._allowed(m.group()):
                    taken.append((start, end))
                    out.append(("raw-256-bit-key", start, end, m.group()))
                continue
            inner = self.findings(decoded, depth + 1)
            if inner and not self._allowed(m.group()):
                taken.append((start, end))
                out.append((f"{form}-{inner[0][0]}"[:60], start, end, m.group()))
        return out

    def findings_or_timeout(self, text: str, trie: bool = False) -> list[tuple[str, int, int, str]]:
        """:meth:`findings`, failing closed when a custom rule runs out of time: the whole text is one finding
        of kind ``rule-timeout-<rule id>`` (what scanners call, so a slow rule is reported, not raised)."""
        try:
            return self.findings(text, trie=trie)
        except RuleTimeout as exc:
            return [(f"rule-timeout-{exc.args[0]}"[:60], 0, len(text), text)]

    def redact_text(self, text: str) -> tuple[str, int]:
        """Return ``text`` with every secret replaced by its marker, and how many were replaced. A text a
        custom rule ran out of time on is replaced whole, by a marker naming the rule (fail closed)."""
        try:
            found = self.findings(text)
        except RuleTimeout as exc:
            return self.marker(f"rule-timeout-{exc.args[0]}"[:60], text), 1
        if not found:
            return text, 0
        out: list[str] = []
        pos = 0
        for kind, start, end, secret in found:
            out.append(text[pos:start])
            out.append(self.marker(kind, secret))
            pos = end
        out.append(text[pos:])
        return "".join(out), len(found)

    def redact_key(self, key: str, quiet: bool = False) -> tuple[str, int]:
        """A JSON object key with any secret in it replaced: by the rules, or whole when it is a random token.
        ``quiet``: :meth:`quiet_strings` found that no rule matches in it (only the randomness test runs)."""
        if "[REDACTED:" in key:
            return key, 0
        clean, n = (key, 0) if quiet else self.redact_text(key)
        if n == 0 and _checks().high_entropy(key) and not self._allowed(key):
            return self.marker("high-entropy-key", key), 1
        return clean, n

    def quiet_strings(self, strings: list[str]) -> set[int]:
        """``id()`` of the strings in which no rule can find anything: exact, at C speed for many at once.

        The strings are joined with NUL (no rule's pattern or keyword crosses it) and scanned once: for
        every keyword part (one trie of all of them), and with the rules that need none (card numbers,
        random tokens) and the base64 runs :meth:`_encoded` would decode. A string none of these touch
        has no finding; the rest go through :meth:`findings` one by one. Many tiny strings (200,000 in
        one response) cost one pass instead of 200,000 Python calls. Empty when some custom rule has no
        keyword, or when lowercasing changes the text's length (offsets would not line up).
        """
        from bisect import bisect_right

        _, _, always = self._index()
        unprompted = [self.rules[i] for i in always]
        if any(r.check not in ("luhn", "entropy") for r in unprompted):
            return set()
        joined = "\0".join(strings)
        low = joined.lower()
        if len(low) != len(joined):
            return set()
        starts, pos = [], 0
        for text in strings:
            starts.append(pos)
            pos += len(text) + 1
        touched: set[int] = set()
        for m in _rx(self._all_parts_source()).finditer(low):
            touched.add(bisect_right(starts, m.start()) - 1)
        for rule in unprompted:
            if not rule.applies(joined, low):  # no 13-digit run, no 20-character token: a scan would find nothing
                continue
            for m in rule.rx.finditer(joined):
                touched.add(bisect_right(starts, m.start()) - 1)
        for m in _rx(_BASE64_RUN).finditer(joined) if _could_hold_base64(joined) else ():
            start, end = m.span()
            if end - start <= 65536 and end - start >= 32 and (end - start) % 2 == 0 and _is_hex(m.group()):
                touched.add(bisect_right(starts, start) - 1)  # hex that :meth:`_encoded` would read back
                continue
            if end - start > 65536 or (end - start) % 4:
                continue
            try:
                _a2b_base64(m.group()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                if end - start != 44:  # 44: 32 bytes that _encoded may find a raw key
                    continue
            touched.add(bisect_right(starts, start) - 1)
        for m in _rx(_WRITTEN_ANOTHER_WAY).finditer(low):  # what :meth:`_read_back` would read back
            touched.add(bisect_right(starts, m.start()) - 1)
        return {id(text) for i, text in enumerate(strings) if i not in touched}

    def redact_value(self, value: object, _under: str = "", done: dict[int, int] | None = None) -> tuple[object, int]:
        """Redact a JSON value: strings by the rules, everything under a sensitive key entirely.

        Structure is kept: dict keys, list lengths, booleans, null and non-secret values are unchanged.
        ``_under`` is the sensitive key a value sits under, if any. ``done``: ``id()`` -> secrets
        replaced, for strings whose text the rules have redacted already (the head of a cut string: see
        :func:`auditkit.trail.capture.trim`): the rules do not run on them again (their count is returned as
        it was), a sensitive key still replaces them whole.

        A value holding many strings (:data:`_MANY_STRINGS` or more) is first scanned as one text by
        :meth:`quiet_strings`; the strings it clears are not looked at again (as if in ``done`` with 0).
        """
        if done is None or _QUIET not in done:
            done = self._cleared(value, done)
        if isinstance(value, str):
            return self._redact_string(value, _under, done)
        if isinstance(value, dict):
            return self._redact_dict(value, _under, done)
        if isinstance(value, list):
            total = 0
            items = []
            for v in value:
                r, n = self.redact_value(v, _under, done)
                items.append(r)
                total += n
            return items, total
        if _under and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.marker("sensitive-key", str(value)), 1
        return value, 0

    def _cleared(self, value: object, done: dict[int, int] | None) -> dict[int, int]:
        """``done`` with the strings :meth:`quiet_strings` clears in ``value`` (when it holds many) added with 0."""
        strings = _strings_in(value)
        if len(strings) >= _MANY_STRINGS:
            done = dict(done or {})
            for quiet in self.quiet_strings(strings):  # a cut string's head keeps the count of what it had redacted
                done.setdefault(quiet, 0)
        return {**(done or {}), _QUIET: 0}

    def redact_tree(self, value: object, done: dict[int, int] | None = None) -> tuple[object, int]:
        """:meth:`redact_value` (the same value, the same count), for the hook: a container none of whose values
        changes is returned itself, not a copy, and a string cleared already (``done``, :meth:`quiet_strings`)
        costs one look-up, not a call. 100,000 small strings in one response cost one joined scan and a loop."""
        if not isinstance(value, dict | list):
            return self.redact_value(value, "", done)
        if done is None or _QUIET not in done:
            done = self._cleared(value, done)
        return self._tree(value, done)

    def _tree(self, value: dict | list, done: dict[int, int]) -> tuple[object, int]:
        if type(value) is not dict and type(value) is not list:
            return self.redact_value(value, "", done)  # a subclass: the general walk
        return self._tree_list(value, done) if isinstance(value, list) else self._tree_dict(value, done)

    def _tree_list(self, value: list, done: dict[int, int]) -> tuple[list, int]:
        total, out = 0, None
        for i, v in enumerate(value):
            t = type(v)
            if t is str:
                n = done.get(id(v), -1)
                new, n = (v, n) if n >= 0 else self.redact_text(v)
            elif t is dict or t is list:
                new, n = self._tree(v, done)
            elif t is int or t is float or t is bool or v is None:
                continue
            else:
                new, n = self.redact_value(v, "", done)
            total += n
            if new is not v:
                out = out if out is not None else list(value)
                out[i] = new
        return (value if out is None else out), total

    def _tree_dict(self, value: dict, done: dict[int, int]) -> tuple[dict, int]:
        total, out = 0, None
        for i, (k, v) in enumerate(value.items()):
            key, n = k, 0
            if isinstance(k, str) and len(k) >= 16:  # a secret used as a key: as _redact_dict
                key, n = self.redact_key(k, id(k) in done)
            t = type(v)
            if isinstance(k, str) and is_sensitive_key(k):
                new, m = self.redact_value(v, k, done)  # under a secret's key: the general walk
            elif t is str:
                m = done.get(id(v), -1)
                new, m = (v, m) if m >= 0 else self.redact_text(v)
            elif t is dict or t is list:
                new, m = self._tree(v, done)
            elif t is int or t is float or t is bool or v is None:
                new, m = v, 0
            else:
                new, m = self.redact_value(v, "", done)
            total += n + m
            if out is None and (new is not v or key is not k):
                out = _first(value, i)  # the values before this one, unchanged
            if out is not None:
                out[key] = new
        return (value if out is None else out), total

    def _redact_string(self, value: str, _under: str, done: dict[int, int]) -> tuple[str, int]:
        """A string: whole under a sensitive key (if it is a plausible value), else by the rules (unless done)."""
        if (
            _under
            and value
            and not value.startswith("[REDACTED:")
            and _checks().plausible_value(value, _under)
            and not self._allowed(value)
        ):
            return self.marker("sensitive-key", value), 1
        if done and id(value) in done:
            return value, done[id(value)]
        return self.redact_text(value)

    def _redact_dict(self, value: dict, _under: str, done: dict[int, int]) -> tuple[dict, int]:
        """An object: its keys kept (but for a secret used as a key), each value under the sensitive key it sits
        under, if any."""
        total = 0
        out: dict = {}
        for k, v in value.items():
            under = _under or (k if isinstance(k, str) and is_sensitive_key(k) else "")
            if isinstance(k, str) and len(k) >= 16:  # a secret used as a key (an allowlist keyed by token)
                k, n = self.redact_key(k, id(k) in done)
                total += n
            out[k], n = self.redact_value(v, under, done)
            total += n
        return out, total


def with_pii_policy(
    cls: "type[Redactor]", project_dir: str, kinds: tuple[str, ...], notes: list[str], policy: object = None
) -> "Redactor":
    """``cls.default(project_dir)`` (the built-in rules alone when the user's rule file is broken, said in its
    ``notes``) with the ``[pii]`` policy's hook kinds and notes: the hook's redactor under ``[pii] hook = true``."""
    try:
        made = cls.default(project_dir)
    except ValueError as exc:  # a broken custom rule file (RuleError): the built-in rules, and personal data still
        made = cls()
        made.notes.append(f"custom rules ignored: {exc}")
    made.pii_kinds = kinds  # type: ignore[attr-defined]  # a PiiRedactor or a PiiOnDemand
    made.pii_policy = policy  # type: ignore[attr-defined]  # as above
    made.notes += notes
    return made


def _decode() -> "ModuleType":
    """:mod:`auditkit.trail.redact_decode`, imported on first use: the hook's usual event never loads it."""
    from auditkit.trail import redact_decode  # hook start-up: only for a text that may be written another way

    return redact_decode


def _checks() -> "ModuleType":
    """:mod:`auditkit.trail.redact_checks`, imported on first use: an event whose text no rule matches never
    loads it (about 0.1 ms of the hook's start-up)."""
    from auditkit.trail import redact_checks  # hook start-up: only once a match or a secret's key needs checking

    return redact_checks


def __getattr__(name: str) -> object:  # the checks this module's interface names, loaded on first use
    if name in ("high_entropy", "luhn_ok", "plausible_value"):
        return getattr(_checks(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: From this many strings in one value, :meth:`Redactor.quiet_strings` clears them in one pass first.
_MANY_STRINGS = 64
_QUIET = -1  # in ``done``: the strings of this value were cleared already (never an ``id()``)
#: How many times text is read back inside text (base64 of base64 of base64 ..., hex, escapes): deeper is not looked at.
_MAX_DEPTH = 4
_HEX = frozenset("0123456789abcdefABCDEF")


def _a2b_base64(run: str) -> bytes:
    """``binascii.a2b_base64(run, strict_mode=True)``, loading :mod:`binascii` (~0.3 ms) only for a run that is
    decoded: a path of 20 characters or more is a base64 run too, but one whose length rules decoding out."""
    import binascii  # hook start-up: only once a base64 run is decoded

    return binascii.a2b_base64(run, strict_mode=True)


def _is_hex(run: str) -> bool:
    return not set(run) - _HEX


def _first(value: dict, n: int) -> dict:
    """The first ``n`` items of a dict, as a new dict."""
    out = {}
    for i, (k, v) in enumerate(value.items()):
        if i == n:
            break
        out[k] = v
    return out


def _strings_in(value: object) -> list[str]:
    """Every string in a JSON value, and every object key that :meth:`Redactor.redact_key` reads (16+
    characters), without recursion (a structure nested 10,000 deep is walked too)."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str) and len(k) >= 16:
                    out.append(k)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return out


def _could_hold_base64(text: str) -> bool:
    """Whether ``text`` could hold a base64 run :meth:`Redactor._encoded` would decode (20 characters in a row,
    not after a ``=``, ``_`` or ``-``: ``tok_0000abcdef0000aaaa`` holds none, nor does a text of such names)."""
    if not (len(text) >= 20 and _long_word(text)):
        return False
    # then, short texts too (a path of 20 characters or more): spares loading the regex and binascii (~0.3 ms)
    if text.isascii():  # one translate: a run's start implies the run, so the run test below adds nothing here
        starts = text.translate(_B64_STARTS)  # the text's start counts as an "x": a run there, or one after an "x"
        return starts.startswith(_B64_START[1:]) or _B64_START in starts  # (not "x" + starts: a 64 KiB copy)
    if len(text) >= 1024 and not _has_run(text, _B64_CHARS, "a", 20):
        return False
    # not ASCII: by the UTF-8 bytes (as redact_scan._has_run; a character past ASCII is bytes mapped to "x", which
    # neither continues a run nor stops one starting after it, as in the regex)
    octets = _B64_BYTES.get("starts")
    if octets is None:
        octets = _B64_BYTES["starts"] = (_B64_STARTS + "x" * 128).encode()
    return _B64_START.encode() in b"x" + text.encode("utf-8", "surrogatepass").translate(octets)


#: _BASE64_RUN's start: 20 of [A-Za-z0-9+/] after a character that is none of them nor =, _, - (or the text's
#: start): ASCII mapped so, base64 characters to "a", = _ - to "b", anything else to "x".
#: A translation table indexed by code point (a string: a constant, not a dict built on every start); a code
#: point past it is left as it is, as a missing key would be.
_B64_STARTS = (
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxaxbxaaaaaaaaaaaxxxbxx"
    "xaaaaaaaaaaaaaaaaaaaaaaaaaaxxxxbxaaaaaaaaaaaaaaaaaaaaaaaaaaxxxxx"
)
_B64_START = "x" + "a" * 20
_B64_BYTES: dict[str, bytes] = {}  # the table for UTF-8 bytes, built on first use


__all__ = [
    "MARKER_RE",
    "RULE_BUDGET_S",
    "Redactor",
    "Rule",
    "RuleTimeout",
    "_compiled",
    "_trie_pattern",
    "builtin_rules",
    "fingerprint_key_path",
    "high_entropy",
    "is_sensitive_key",
    "key_words",
    "load_fingerprint_key",
    "load_rule_file",
    "luhn_ok",
    "nested_quantifiers",
    "plausible_value",
    "rule_file_warnings",
    "rule_files",
    "user_rules_file",
    "warm_cache",
]
