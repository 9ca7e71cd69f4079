"""Redact secrets from text and nested JSON before anything is written (standard library only).

A secret is replaced by a marker that names its kind and carries a keyed fingerprint,
``[REDACTED:github-pat:3f9a1c2e]``: the same secret gets the same fingerprint everywhere (so it
can be correlated across records), but the fingerprint is an HMAC under a per-installation key,
so it cannot be brute-forced back into the secret.

Example::

    r = Redactor.default()
    clean, count = r.redact_value({"command": "export GITHUB_TOKEN=ghp_..."})
"""

from auditkit.trail import config, private_files, secret_rules
from auditkit.trail._startup_hash import hmac_sha256
from auditkit.trail._startup_os import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import TypeVar

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
    return os.path.join(config.config_dir(), "fingerprint.key")


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


# (prefixes, lengths) of card networks: Visa, Mastercard, Amex, Discover, UnionPay, JCB, Diners
_CARD_NETWORKS = (
    (("4",), (13, 16, 19)),
    (("51", "52", "53", "54", "55", *(str(n) for n in range(2221, 2721))), (16,)),
    (("34", "37"), (15,)),
    (("6011", "644", "645", "646", "647", "648", "649", "65"), (16, 17, 18, 19)),
    (("62",), (16, 17, 18, 19)),
    (tuple(str(n) for n in range(3528, 3590)), (16, 17, 18, 19)),
    (("300", "301", "302", "303", "304", "305", "36", "38", "39"), (14, 15, 16, 17, 18, 19)),
)


def luhn_ok(digits: str) -> bool:
    """True for a plausible card number: a card network's prefix and length, and the Luhn check.

    The prefix test keeps ordinary long numbers (epoch milliseconds, order ids) from matching
    whenever their check digit happens to work out, which it does one time in ten.
    """
    nums = [ord(c) - 48 for c in digits if "0" <= c <= "9"]
    if not 13 <= len(nums) <= 19 or len(set(nums)) == 1:
        return False
    text = "".join(chr(n + 48) for n in nums)
    if not any(text.startswith(prefixes) and len(nums) in lengths for prefixes, lengths in _CARD_NETWORKS):
        return False
    total = 0
    for i, d in enumerate(reversed(nums)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_CODE_REF = (
    r"(?i)^(?:[A-Za-z_][A-Za-z0-9_]*\.)+[A-Za-z_][A-Za-z0-9_]*$"  # self.token, os.environ
    r"|^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$"  # $TOKEN, ${TOKEN}
    r"|^%\(?[A-Za-z_]|^\{\{|^<[^>]*>$"  # %(x)s, {{ var }}, <your-token>
    r"|^(?:x{4,}|\*{3,}|\.{3,}|-{3,}|#{3,})$"
)
_BASE64_RUN = r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{20,}={0,2}(?![A-Za-z0-9+/=_-])"
_compiled: dict[str, "re.Pattern[str]"] = {}


def _rx(pattern: str) -> "re.Pattern[str]":  # compiled on first use (from the per-interpreter cache)
    rx = _compiled.get(pattern)
    if rx is None:
        from auditkit.trail import _startup_re  # hook start-up: the regex cache loads on the first pattern used

        rx = _compiled[pattern] = _startup_re.compile(pattern)
    return rx


def warm_cache() -> int:
    """Compile every built-in pattern into the cache the hook reads (run by ``auditkit install``)."""
    from auditkit.trail import _startup_re  # hook start-up: as in _rx, never at import

    r = Redactor(key=b"-" * _KEY_BYTES)
    return _startup_re.warm([rule.pattern for rule in r.rules] + [_CODE_REF, _BASE64_RUN, r._trie_source()])


def plausible_value(value: str, context: str = "") -> bool:
    """False for placeholders, type names, code references and templated values.

    A number counts only under a password- or PIN-like key (``context`` is the whole match), so
    ``max_tokens: 4096`` stays readable while ``PIN=123456`` does not.
    """
    low = value.lower().strip("\"'")
    if low in secret_rules.PLACEHOLDERS or len(low) < 3:
        return False
    if low.replace(".", "").isdigit():
        ctx = context.lower()
        return any(k in ctx for k in ("pass", "pwd", "pin", "secret"))
    if low.startswith(("your-", "your_", "<", "${", "{{", "$(", "%(", "[redacted")):
        return False
    if low.startswith(("http://", "https://")) and "@" not in low:
        return False  # a URL without credentials in it (token_url, auth endpoint) is not a secret
    return not _rx(_CODE_REF).match(value)


_NO_DIGITS = dict.fromkeys(range(48, 58))
_HEXISH = frozenset("0123456789abcdefABCDEF-")
#: Key names whose values are fingerprints, ids or data, not credentials, however random they look.
_NOT_SECRET_KEYS = frozenset(
    {
        "hash",
        "digest",
        "checksum",
        "integrity",
        "sha",
        "sha1",
        "sha256",
        "sha512",
        "md5",
        "etag",
        "nonce",
        "commit",
        "rev",
        "revision",
        "id",
        "uuid",
        "guid",
        "version",
        "image",
        "src",
        "href",
        "url",
        "uri",
        "path",
        "file",
        "name",
        "class",
        "style",
        "data",
        "salt",
        "iv",
        "ref",
        "oid",
        "tree",
        "parent",
        "blob",
        "signature_algorithm",
        "algorithm",
        "kid",
        "thumbprint",
        "fingerprint",
        "h1",
    }
)


def high_entropy(value: str) -> bool:
    """Whether a token looks machine-generated: long, random (Shannon entropy near its length's maximum),
    mixing letters and digits, and not a hex digest, UUID, path, identifier or alphabet.

    Random 20-character base62 strings pass 99% of the time; git SHAs, UUIDs, ``sha512-`` lock-file
    hashes, camelCase names and file paths do not.
    """
    v = value.strip("=\"'")
    n = len(v)
    if n < 20 or n > 256 or "//" in v or v[:3].lower() in ("sha", "md5") or set(v) <= _HEXISH:
        return False
    digits = upper = lower = runs = run = longest = steps = 0
    for i, c in enumerate(v):
        if c.islower():
            lower += 1
            run += 1
            if run == 1:
                runs += 1
            longest = max(longest, run)
        else:
            run = 0
            if c.isdigit():
                digits += 1
            elif c.isupper():
                upper += 1
        if i and ord(c) - ord(v[i - 1]) == 1:
            steps += 1
    if digits < 2 or not (upper or lower) or steps * 3 > n:
        return False
    if upper and lower:  # mixed case: long lowercase runs are words (camelCase, snake_case), not noise
        if longest >= 9 or lower / runs >= 3.0:
            return False
    else:  # one case and digits: random ones switch between letters and digits all the time
        switches = sum(1 for i in range(1, n) if v[i].isdigit() != v[i - 1].isdigit())
        if n < 24 or digits * 6 < n or switches * 4 < n:
            return False
    if ("/" in v or "." in v) and sum(1 for part in v.replace("/", ".").split(".") if part.isalpha()) >= 2:
        return False  # a path or a dotted name
    import math

    counts: dict[str, int] = {}
    for c in v:
        counts[c] = counts.get(c, 0) + 1
    entropy = -sum(k / n * math.log2(k / n) for k in counts.values())
    return entropy >= min(math.log2(n) - 0.85, 4.0)


#: The characters a card number, a base64 run and a random token are made of: mapped to one letter, the
#: rest of ASCII to "x" (tables built on first use: only texts of 1 KiB or more need them).
_CARD_CHARS, _B64_CHARS, _TOKEN_CHARS = "0123456789 -", "+/", "+/_.~=-"
_TABLES: dict[str, dict[int, int]] = {}


def _has_run(text: str, table: str, char: str, n: int) -> bool:
    """Whether ``text`` holds ``n`` characters in a row drawn from ``table`` (one of the three above; letters
    and digits too, but for a card): one C-speed ``translate`` (tens of microseconds for 64 KiB) that spares
    a regex scan when nothing could match. Texts under 1 KiB skip the test (the scan costs little there)."""
    if len(text) < 1024:
        return True
    mapping = _TABLES.get(table)
    if mapping is None:
        mark, alnum = ord(char), table is not _CARD_CHARS
        mapping = _TABLES[table] = {
            i: mark if chr(i) in table or (alnum and chr(i).isalnum()) else 120 for i in range(128)
        }
    return char * n in text.translate(mapping)


def _long_word(text: str) -> bool:
    """Whether some run of non-space characters is 20 long: what a random token or a base64 run needs.
    Tested in Python on short texts, so a command with none never loads the regexes that look."""
    return len(text) >= 4096 or any(len(w) >= 20 for w in text.split())


def _names_no_secret(assignment: str) -> bool:
    """An assignment whose key is about a secret, not one: ``secret_name: ...``, ``token_url = ...``."""
    cut = min((i for i in (assignment.find("="), assignment.find(":")) if i >= 0), default=len(assignment))
    words = key_words(assignment[:cut])
    return bool(words) and (words[-1] in _PLAIN_LAST or "_".join(words[-2:]) in _PLAIN_LAST)


def _key_before(text: str, pos: int) -> str:
    """The key name just before ``pos`` (``"token": "``, ``API_KEY=``, ``--token ``), lowercased."""
    i = pos
    while i > 0 and text[i - 1] in " \t\"'`=:-":
        i -= 1
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_-."):
        j -= 1
    return text[j:i].lower()


_CARD_WORDS = ("card", "cc_", "ccn", "pan", "visa", "amex", "mastercard", "credit", "debit", "payment")
_ID_WORDS = frozenset(
    {
        "id",
        "ids",
        "no",
        "nr",
        "num",
        "number",
        "ref",
        "reference",
        "order",
        "invoice",
        "tracking",
        "txn",
        "transaction",
        "account",
        "acct",
        "seq",
        "ts",
        "timestamp",
        "time",
        "sku",
        "upc",
        "ean",
        "isbn",
        "phone",
        "tel",
        "serial",
        "ticket",
    }
)


def _id_context(text: str, start: int) -> bool:
    """A digit run named as an id (``order_id=``, ``"invoiceNo": ``, ``Order #``) and not as a card."""
    raw = text[max(0, start - 40) : start]
    before = raw.lower()
    if any(w in before for w in _CARD_WORDS):
        return False
    key = raw.rstrip(" \t\"':=#.,")
    words = key_words(key[-24:]) if key else []
    return (bool(words) and words[-1] in _ID_WORDS) or "#" in before[-3:]


class Rule:
    """One rule, compiled on first use; ``applies`` is its cheap literal prefilter."""

    __slots__ = ("_any", "flags", "group", "id", "keywords", "pattern")

    def __init__(self, id: str, pattern: str, keywords: tuple[str, ...], group: int, check: str) -> None:
        # the hook builds every rule on every event and uses a few: derive the rest on use
        self.id, self.pattern, self.keywords, self.group, self.flags = id, pattern, keywords, group, check
        self._any: tuple | None = None

    @property
    def check(self) -> str:
        """The check a match must pass: ``luhn``, ``entropy``, ``value`` or none."""
        flags = self.flags
        return "luhn" if "luhn" in flags else "entropy" if "entropy" in flags else "value" if "value" in flags else ""

    @property
    def word(self) -> bool:
        return "word" in self.flags

    @property
    def tokenish(self) -> bool:
        return "tokenish" in self.flags

    @property
    def anchored(self) -> bool:
        return "anchored" in self.flags and all(k == k.lower() and "&&" not in k for k in self.keywords)

    def matches(
        self, text: str, low: str, where: dict[str, list[int]] | None = None, present: set[str] | None = None
    ) -> list:
        """The regex's matches: everywhere, or (anchored rules) only where a keyword starts
        (``where`` caches each keyword's positions for the other rules on the same text; keywords
        not ``present`` are not looked for)."""
        rx = self.rx
        if not self.anchored or len(low) != len(text):
            return list(rx.finditer(text))
        where = {} if where is None else where
        starts: set[int] = set()
        for k in self.keywords:
            if present is not None and k not in present:
                continue
            at = where.get(k)
            if at is None:
                at = where[k] = []
                i = low.find(k)
                while i >= 0:
                    at.append(i)
                    i = low.find(k, i + 1)
            starts.update(at)
        found, end = [], -1
        for i in sorted(starts):
            if i < end:
                continue
            m = rx.match(text, i)
            if m:
                found.append(m)
                end = m.end()
        return found

    def applies(self, text: str, low: str, present: set[str] | None = None) -> bool:
        """Whether the regex could match: one of the keywords is in the text (``present``: the keyword
        parts known to be in it, from :meth:`Redactor.keywords_in`)."""
        if self.check == "entropy" and not (
            len(text) >= 22 and _long_word(text) and _has_run(text, _TOKEN_CHARS, "a", 20)
        ):
            return False  # a random token is 20+ characters in a row: most texts, most commands have none
        if not self.keywords:
            if self.check == "luhn":  # a card number needs 13 digits at least, in a run with spaces or dashes
                return len(text) - len(text.translate(_NO_DIGITS)) >= 13 and _has_run(text, _CARD_CHARS, "0", 13)
            if self.check == "entropy":  # after = or :
                return "=" in text or ":" in text
            return True
        if self._any is None:  # (literal parts, case-sensitive?) per keyword
            self._any = tuple((tuple(k.split("&&")), k != k.lower()) for k in self.keywords)
        if present is not None:
            return any(all(p in present for p in parts) for parts, _ in self._any)
        for parts, cased in self._any:
            hay = text if cased else low
            if all(p in hay for p in parts):
                return True
        return False

    @property
    def rx(self) -> "re.Pattern[str]":  # compiled on first use and cached per process
        return _rx(self.pattern)


#: The words of a key name that say its value is a secret, wherever they stand.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "credential", "credentials", "apikey"}
)
#: As the last word, these say secret too (``APP_KEY``, ``signingKey``, ``DB_PASS``, ``X-Auth``) ...
_SECRET_LAST = frozenset({"key", "pass", "auth"})
#: ... unless the word before makes the name an ordinary one (``sort_key``, ``publicKey``, ``bypass``).
_PLAIN_BEFORE = frozenset(
    {
        "public",
        "primary",
        "foreign",
        "sort",
        "partition",
        "cache",
        "object",
        "idempotency",
        "hot",
        "lookup",
        "row",
        "unique",
        "composite",
        "map",
        "dict",
        "group",
        "routing",
        "s3",
        "by",
        "no",
        "on",
        "sub",
        "oauth",
    }
)
#: And a name ending in one of these is about a secret, not one (``token_type``, ``password_url``).
_PLAIN_LAST = frozenset(
    {
        "type",
        "url",
        "uri",
        "endpoint",
        "name",
        "id",
        "file",
        "path",
        "expiry",
        "expires",
        "expires_in",
        "ttl",
        "length",
        "count",
        "len",
        "policy",
        "required",
        "enabled",
        "field",
        "label",
        "hint",
        "prompt",
        "placeholder",
        "provider",
        "method",
        "scheme",
        "format",
    }
)


_HINTS = ("pass", "pwd", "secret", "token", "credential", "key", "auth")


def key_words(key: str) -> list[str]:
    """A key name as lowercase words: ``secretAccessKey``, ``SECRET_ACCESS_KEY`` and ``secret-access-key``
    all give ``["secret", "access", "key"]``."""
    out: list[str] = []
    word = ""
    prev = ""
    for c in key:
        if not c.isalnum():
            if word:
                out.append(word)
            word = ""
        elif c.isupper() and word and (prev.islower() or prev.isdigit()):
            out.append(word)
            word = c.lower()
        else:
            word += c.lower()
        prev = c
    if word:
        out.append(word)
    return out


_KEY_VERDICTS: dict[str, bool] = {}  # key names repeat across millions of records: judged once each


def is_sensitive_key(key: str) -> bool:
    """Whether a value under this key name is secret whatever it looks like: the listed names (Sentry's and
    detect-secrets' lists), and names in any case style holding a secret word (``clientSecret``,
    ``secretAccessKey``, ``DB_PASSWORD_2``) or ending in KEY, PASS or AUTH after an ordinary word
    (``APP_KEY``, ``signing-key``), but not names about a secret (``token_type``, ``publicKey``)."""
    verdict = _KEY_VERDICTS.get(key)
    if verdict is None:
        if len(_KEY_VERDICTS) >= 8192:
            _KEY_VERDICTS.clear()
        verdict = _KEY_VERDICTS[key] = _judge_key(key)
    return verdict


def _judge_key(key: str) -> bool:
    k = key.lower().replace("-", "_")
    if k in secret_rules.SENSITIVE_KEYS or k.endswith(secret_rules.SENSITIVE_SUFFIXES):
        if k == key.replace("-", "_") or k.upper() == key.replace("-", "_"):
            return True  # written in one case: the name as listed (``sessionid``, Django's cookie)
        canonical = "_".join(key_words(key))  # camelCase: ``sessionId`` is session_id, an id, not a secret
        if canonical in secret_rules.SENSITIVE_KEYS or canonical.endswith(secret_rules.SENSITIVE_SUFFIXES):
            return True
    if not any(part in k for part in _HINTS):  # most keys: no word of a secret in them at all
        return False
    words = [w.rstrip("0123456789") or w for w in key_words(key)]  # DB_PASSWORD_2, dbPassword2
    if not words or words[-1] in _PLAIN_LAST or (len(words) > 1 and "_".join(words[-2:]) in _PLAIN_LAST):
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    return words[-1] in _SECRET_LAST and len(words) > 1 and words[-2] not in _PLAIN_BEFORE


class Redactor:
    """Applies the rules to strings and nested JSON values; counts what it replaced."""

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

    def _index(self) -> tuple[tuple[str, ...], dict[str, tuple[int, ...]], tuple[int, ...]]:
        """Keyword parts (lowercased), the rules each part can switch on, and the rules with no keyword."""
        idx = getattr(self, "_idx", None)
        if idx is None:
            by_part: dict[str, list[int]] = {}
            always: list[int] = []
            cased: set[str] = set()
            for i, rule in enumerate(self.rules):
                if not rule.keywords:
                    always.append(i)
                for k in rule.keywords:
                    low = k.lower()
                    if low != k:
                        cased.update(p for p in k.split("&&") if p != p.lower())
                    for part in low.split("&&") if "&&" in low else (low,):
                        by_part.setdefault(part, []).append(i)
            self._cased_parts = tuple((p.lower(), p) for p in cased)
            parts = tuple(by_part)
            idx = self._idx = (parts, {p: tuple(v) for p, v in by_part.items()}, tuple(always))
        return idx

    def keywords_in(self, text: str, low: str, trie: bool = False) -> set[str]:
        """The keyword parts that occur in ``text``, exactly as the rules' ``applies`` tests them.

        Short texts test each part with ``in``; long ones are scanned once with a trie of all parts
        (the longest part at each match, its prefixes, and parts starting inside a match or after it),
        several times cheaper than a few hundred substring searches over 64 KiB. ``trie``: scan short
        texts that way too (bulk scans, which pay for loading the trie once; the hook never does).
        """
        trie = trie or len(low) >= 4096
        found = self._parts_by_trie(low) if trie else {p for p in self._index()[0] if p in low}
        for low_part, part in self._cased():  # a capitalised keyword counts only in its own case
            if low_part in found and part in text:
                found.add(part)
        return found

    def _parts_by_trie(self, low: str) -> set[str]:
        """Parts starting with a letter through the trie; the few others (``://``, ``$2``) with ``in``."""
        rx = _rx(self._trie_source())
        others, known = self._trie_others()
        found = {p for p in others if p in low}
        for m in rx.finditer(low):
            found.add(m.group())
            for pos in range(m.start() + 1, m.end()):  # parts that begin inside this match
                inner = rx.match(low, pos)
                if inner:
                    found.add(inner.group())
        for p in list(found):  # a part's prefixes that are parts too: present wherever it is
            found.update(p[:i] for i in range(1, len(p)) if p[:i] in known)
        return found

    def _cased(self) -> tuple[tuple[str, str], ...]:
        """(lowercased, as written) of each keyword part with a capital letter."""
        self._index()
        return self._cased_parts

    def _shortest_unprompted(self) -> int:
        """The shortest text a rule without keywords could match in: 13 digits for a card number, 20
        characters for a random token or base64; 0 if some custom rule has no keyword (it always runs)."""
        got = getattr(self, "_unprompted", None)
        if got is None:
            floors = {"luhn": 13, "entropy": 20}
            got = self._unprompted = min((floors.get(self.rules[i].check, 0) for i in self._index()[2]), default=20)
        return got

    def _trie_others(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """The parts the trie leaves out (not starting with a letter), and every part."""
        got = getattr(self, "_others", None)
        if got is None:
            parts = self._index()[0]
            got = self._others = (tuple(p for p in parts if not p[0].isalpha()), frozenset(parts))
        return got

    def _trie_source(self) -> str:
        """One regex of every keyword part that starts with a letter, as a trie (built once)."""
        source = getattr(self, "_trie", None)
        if source is None:
            source = self._trie = _trie_pattern({p for p in self._index()[0] if p[0].isalpha()})
        return source

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
        encoded = _depth >= 2 or len(text) < 20 or not _long_word(text) or not _has_run(text, _B64_CHARS, "a", 20)
        where: dict[str, list[int]] = {}
        _, by_part, always = self._index()
        candidates = set(always)
        for p in present:
            candidates.update(by_part.get(p, ()))
        for i in sorted(candidates):
            rule = self.rules[i]
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
                if "[REDACTED:" in secret:  # already redacted: a marker is not a secret
                    continue
                if rule.check == "luhn" and (
                    (start and (text[start - 1].isalnum() or text[start - 1] in ".-"))
                    or not luhn_ok(secret)
                    or _id_context(text, start)
                ):
                    continue  # inside a longer word or number (a hex digest, a version), not a card, or an id
                if rule.check == "value" and not plausible_value(secret, m.group(0)):
                    continue
                if rule.anchored and _names_no_secret(m.group(0)):
                    continue
                if rule.tokenish and not (
                    len(secret) >= 12 and any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret)
                ):
                    continue
                if rule.check == "entropy" and (
                    not high_entropy(secret)
                    or not plausible_value(secret)
                    or set(key_words(_key_before(text, m.start()))) & _NOT_SECRET_KEYS
                ):
                    continue
                if rule.word and secret.replace("_", "").isalpha() and secret.islower():
                    continue
                if self._allowed(secret) or any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                found.append((rule.id, start, end, secret))
        if not encoded:
            found += self._encoded(text, taken, _depth)
        found.sort(key=lambda f: f[1])
        return found

    def _encoded(self, text: str, taken: list[tuple[int, int]], depth: int) -> list[tuple[str, int, int, str]]:
        """Base64 runs (up to 64 KiB) that decode to text holding a secret: a Kubernetes Secret's
        ``data:``, a ``.dockerconfigjson``, a kubeconfig's ``client-key-data``. The whole run is redacted."""
        import binascii

        out = []
        for m in _rx(_BASE64_RUN).finditer(text):
            start, end = m.span()
            if end - start > 65536 or (end - start) % 4 or any(s < end and start < e for s, e in taken):
                continue
            try:
                decoded = binascii.a2b_base64(m.group(), strict_mode=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                continue
            if sum(c.isprintable() or c in "\r\n\t" for c in decoded) < 0.97 * len(decoded):
                continue
            inner = self.findings(decoded, depth + 1)
            if inner and not self._allowed(m.group()):
                taken.append((start, end))
                out.append((f"base64-{inner[0][0]}"[:60], start, end, m.group()))
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

    def redact_key(self, key: str) -> tuple[str, int]:
        """A JSON object key with any secret in it replaced: by the rules, or whole when it is a random token."""
        if "[REDACTED:" in key:
            return key, 0
        clean, n = self.redact_text(key)
        if n == 0 and high_entropy(key) and not self._allowed(key):
            return self.marker("high-entropy-key", key), 1
        return clean, n

    def redact_value(self, value: object, _under: str = "", done: dict[int, int] | None = None) -> tuple[object, int]:
        """Redact a JSON value: strings by the rules, everything under a sensitive key entirely.

        Structure is kept: dict keys, list lengths, booleans, null and non-secret values are unchanged.
        ``_under`` is the sensitive key a value sits under, if any. ``done``: ``id()`` -> secrets
        replaced, for strings whose text the rules have redacted already (the head of a cut string: see
        :func:`auditkit.trail.capture.trim`): the rules do not run on them again (their count is returned as
        it was), a sensitive key still replaces them whole.
        """
        if isinstance(value, str):
            if (
                _under
                and value
                and not value.startswith("[REDACTED:")
                and plausible_value(value, _under)
                and not self._allowed(value)
            ):
                return self.marker("sensitive-key", value), 1
            if done and id(value) in done:
                return value, done[id(value)]
            return self.redact_text(value)
        if isinstance(value, dict):
            total = 0
            out: dict = {}
            for k, v in value.items():
                under = _under or (k if isinstance(k, str) and is_sensitive_key(k) else "")
                if isinstance(k, str) and len(k) >= 16:  # a secret used as a key (an allowlist keyed by token)
                    k, n = self.redact_key(k)
                    total += n
                out[k], n = self.redact_value(v, under, done)
                total += n
            return out, total
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


def _trie_pattern(words: set[str]) -> str:
    """One regex matching any of ``words``, built as a trie so shared prefixes are tried once:
    a flat alternation of hundreds of literals makes ``re`` try each of them at every position."""

    def escape(ch: str) -> str:  # re.escape without importing re: the hook must not pay for it
        return ch if ch.isalnum() or ch == "_" else "\\" + ch

    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        if "" in node and len(node) == 1:
            return ""
        alts = [escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def builtin_rules() -> list[Rule]:
    return [Rule(*spec) for spec in secret_rules.RULES]


#: The longest one user-supplied regex (a custom rule, an allowlist) may run on one text.
RULE_BUDGET_S = 0.5


class RuleTimeout(Exception):
    """A custom rule's regex ran out of time (internal: :meth:`Redactor.redact_text` fails closed on it)."""


def _search_any(patterns: list, text: str) -> bool:
    return any(p.search(text) for p in patterns)


def user_rules_file(project_dir: str | None = None) -> str | None:
    """The user's rule file if it exists (in the user's config folder, never one inside the project)."""
    folder = config.config_dir()
    if project_dir and os.path.abspath(folder).startswith(os.path.abspath(project_dir).rstrip("/") + "/"):
        from auditkit.trail import trust  # a settings `env` pointed it into the project: trust.user_dir decides

        folder = trust.user_dir(project_dir)
    path = os.path.join(folder, config.RULES_FILE)
    return path if os.path.isfile(path) else None


def rule_files(project_dir: str | None = None) -> list[str]:
    """Custom rule files that exist: the user's, then the project's (which applies only once approved)."""
    candidates = [user_rules_file(project_dir) or ""]
    if project_dir:
        candidates.append(config.project_file(project_dir, config.PROJECT_RULES_FILE))
    return [p for p in candidates if p and os.path.isfile(p)]


def nested_quantifiers(pattern: str) -> bool:
    """Whether a regex repeats something that itself repeats (``(a+)+``, ``(\\w*\\s?)*``): the shape of
    catastrophic backtracking. A warning for ``doctor`` and ``trust``; the time budget is the guard."""
    import re._parser as sre

    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None))

    def walk(items: object, inside: bool) -> bool:
        for op, arg in items:  # type: ignore[attr-defined]
            if op in repeats and op is not None:
                _lo, hi, sub = arg
                many = hi is sre.MAXREPEAT or hi > 1
                if many and inside:
                    return True
                if walk(sub, inside or many):
                    return True
            elif op is sre.SUBPATTERN:
                if walk(arg[-1], inside):
                    return True
            elif op is sre.BRANCH:
                if any(walk(b, inside) for b in arg[1]):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT) and walk(arg[1], inside):
                return True
        return False

    try:
        return walk(sre.parse(pattern), False)
    except Exception:
        return False


def rule_file_warnings(path: str, data: bytes | None = None) -> list[str]:
    """What a reviewer should know about a rule file (``data``: its bytes, already read): regexes shaped for
    catastrophic backtracking, and (for a project's file) an allowlist, which never applies."""
    import tomllib

    try:
        if data is None:
            with open(path, "rb") as fh:
                data = fh.read()
        doc = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    out = []
    for i, spec in enumerate(doc.get("rules", []) if isinstance(doc.get("rules"), list) else [], 1):
        rx = spec.get("regex") if isinstance(spec, dict) else None
        if isinstance(rx, str) and nested_quantifiers(rx):
            out.append(
                f"{path}: rule #{i} ({spec.get('id')!r}) nests quantifiers ({rx!r}): it can backtrack "
                f"catastrophically; the hook stops it after {RULE_BUDGET_S:g} s and redacts the value whole"
            )
    allow = doc.get("allowlist")
    for p in allow.get("regexes", []) if isinstance(allow, dict) and isinstance(allow.get("regexes"), list) else []:
        if isinstance(p, str) and nested_quantifiers(p):
            out.append(f"{path}: allowlist regex {p!r} nests quantifiers: it can backtrack catastrophically")
    if allow and os.path.basename(path) == config.PROJECT_RULES_FILE:
        out.append(
            f"{path}: has an [allowlist]: a project's allowlist never applies (a project adds redaction, "
            "never removes it); put entries you want in your own rules.toml"
        )
    return out


def load_rule_file(path: str, data: bytes | None = None) -> tuple[list[Rule], list[str], list[str]]:
    """Read a TOML rule file: ``[[rules]]`` (id, regex, keywords?, secret_group?) and ``[allowlist]``
    (regexes?, values?). Raises :class:`RuleError` naming the file and the bad rule. ``data``: the file's
    bytes, already read (and approved). Its regexes run within a time budget (:data:`RULE_BUDGET_S`).
    """
    import re
    import tomllib

    from auditkit.errors import RuleError  # only when a rule file exists: the hook's usual path never pays

    try:
        if data is None:
            with open(path, "rb") as fh:
                data = fh.read()
        doc = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    rules: list[Rule] = []
    for i, spec in enumerate(doc.get("rules", []), 1):
        where = f"{path}: rule #{i}" + (f" ({spec.get('id')!r})" if isinstance(spec, dict) else "")
        if not isinstance(spec, dict):
            raise RuleError(f"{where}: must be a table")
        unknown = set(spec) - {"id", "regex", "keywords", "secret_group", "description"}
        if unknown:
            raise RuleError(f"{where}: unknown field(s) {sorted(unknown)}")
        rid, rx = spec.get("id"), spec.get("regex")
        if not isinstance(rid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", rid):
            raise RuleError(f"{where}: 'id' must be lowercase letters, digits and dashes")
        if not isinstance(rx, str) or not rx:
            raise RuleError(f"{where}: 'regex' must be a non-empty string")
        try:
            compiled = re.compile(rx)
        except re.error as exc:
            raise RuleError(f"{where}: regex does not compile: {exc}") from exc
        keywords = spec.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise RuleError(f"{where}: 'keywords' must be a list of non-empty strings")
        group = spec.get("secret_group", 0)
        if not isinstance(group, int) or not 0 <= group <= compiled.groups:
            raise RuleError(f"{where}: 'secret_group' must be 0..{compiled.groups}")
        rules.append(Rule(rid, rx, tuple(keywords), group, "custom"))
    allow = doc.get("allowlist", {})
    if not isinstance(allow, dict):
        raise RuleError(f"{path}: [allowlist] must be a table")
    patterns = allow.get("regexes", [])
    for p in patterns:
        try:
            re.compile(p)
        except (re.error, TypeError) as exc:
            raise RuleError(f"{path}: allowlist regex {p!r} does not compile: {exc}") from exc
    values = allow.get("values", [])
    if not all(isinstance(v, str) for v in values):
        raise RuleError(f"{path}: allowlist 'values' must be strings")
    return rules, list(patterns), list(values)
