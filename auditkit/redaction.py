"""Redact secrets from text and nested JSON before anything is written (standard library only).

A secret is replaced by a marker that names its kind and carries a keyed fingerprint,
``[REDACTED:github-pat:3f9a1c2e]``: the same secret gets the same fingerprint everywhere (so it
can be correlated across records), but the fingerprint is an HMAC under a per-installation key,
so it cannot be brute-forced back into the secret.

Example::

    r = Redactor.default()
    clean, count = r.redact_value({"command": "export GITHUB_TOKEN=ghp_..."})
"""

from auditkit import config, secret_rules
from auditkit._startup_hash import hmac_sha256
from auditkit._startup_os import os

MARKER_RE = r"\[REDACTED:[a-z0-9-]+:[0-9a-f]{8}\]"
_KEY_BYTES = 32


def load_fingerprint_key(path: str | None = None, create: bool = True) -> bytes:
    """Read the per-installation fingerprint key, creating it (mode 0600) on first use."""
    from auditkit import private_files

    path = path or config.fingerprint_key_path()
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
_compiled: dict[str, object] = {}


def _rx(pattern: str):  # returns re.Pattern, compiled on first use (from the per-interpreter cache)
    rx = _compiled.get(pattern)
    if rx is None:
        from auditkit import _startup_re

        rx = _compiled[pattern] = _startup_re.compile(pattern)
    return rx


def warm_cache() -> int:
    """Compile every built-in pattern into the cache the hook reads (run by ``auditkit install``)."""
    from auditkit import _startup_re

    return _startup_re.warm([r.pattern for r in builtin_rules()] + [_CODE_REF])


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
    return not _rx(_CODE_REF).match(value)


_NO_DIGITS = dict.fromkeys(range(48, 58))


class Rule:
    """One rule, compiled on first use; ``applies`` is its cheap literal prefilter."""

    __slots__ = ("_any", "anchored", "check", "group", "id", "keywords", "pattern", "word")

    def __init__(self, id: str, pattern: str, keywords: tuple[str, ...], group: int, check: str) -> None:
        flags = set(check.split())
        self.id, self.pattern, self.keywords, self.group = id, pattern, keywords, group
        self.check = "luhn" if "luhn" in flags else "value" if "value" in flags else ""
        self.word = "word" in flags
        self.anchored = "anchored" in flags and all(k == k.lower() and "&&" not in k for k in keywords)
        # (literal parts, case-sensitive?) per keyword; a rule with none always applies
        self._any = tuple((tuple(k.split("&&")), k != k.lower()) for k in keywords)

    def matches(self, text: str, low: str) -> list:
        """The regex's matches: everywhere, or (anchored rules) only where a keyword starts."""
        rx = self.rx
        if not self.anchored or len(low) != len(text):
            return list(rx.finditer(text))
        starts = set()
        for k in self.keywords:
            i = low.find(k)
            while i >= 0:
                starts.add(i)
                i = low.find(k, i + 1)
        found, end = [], -1
        for i in sorted(starts):
            if i < end:
                continue
            m = rx.match(text, i)
            if m:
                found.append(m)
                end = m.end()
        return found

    def applies(self, text: str, low: str) -> bool:
        if not self._any:
            if self.check == "luhn":  # a card number needs 13 digits at least
                return len(text) - len(text.translate(_NO_DIGITS)) >= 13
            return True
        for parts, cased in self._any:
            hay = text if cased else low
            if all(p in hay for p in parts):
                return True
        return False

    @property
    def rx(self):  # re.Pattern[str], compiled on first use and cached per process
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


def is_sensitive_key(key: str) -> bool:
    """Whether a value under this key name is secret whatever it looks like: the listed names (Sentry's and
    detect-secrets' lists), and names in any case style holding a secret word (``clientSecret``,
    ``secretAccessKey``, ``DB_PASSWORD_2``) or ending in KEY, PASS or AUTH after an ordinary word
    (``APP_KEY``, ``signing-key``), but not names about a secret (``token_type``, ``publicKey``)."""
    k = key.lower().replace("-", "_")
    if k in secret_rules.SENSITIVE_KEYS or k.endswith(secret_rules.SENSITIVE_SUFFIXES):
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

    @classmethod
    def default(cls, project_dir: str | None = None) -> "Redactor":
        """The built-in rules plus the user's and the project's custom rule files, if present."""
        rules = builtin_rules()
        allow_p: list[str] = []
        allow_v: list[str] = []
        for path in rule_files(project_dir):
            extra, ap, av = load_rule_file(path)
            rules = extra + rules  # custom rules first: they are the most specific
            allow_p += ap
            allow_v += av
        return cls(rules, None, allow_p, allow_v)

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
        return any(p.search(secret) for p in self._allow)

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
            always = any(not r.keywords and r.check != "luhn" for r in self.rules)
            rx = self._prefilter = None if always else re.compile(_trie_pattern(words))
            self._digits = re.compile(r"(?<![0-9A-Za-z.-])\d(?:[ -]?\d){12}")  # what the card rule needs
        if rx is None:
            return True
        low = text.lower()
        return bool(rx.search(low)) or bool(self._digits.search(text))

    def findings(self, text: str) -> list[tuple[str, int, int, str]]:
        """Every secret in ``text`` as (rule id, start, end, secret), earlier rules winning overlaps."""
        low = text.lower()
        taken: list[tuple[int, int]] = []
        found: list[tuple[str, int, int, str]] = []
        for rule in self.rules:
            if not rule.applies(text, low):
                continue
            for m in rule.matches(text, low):
                start, end = m.span(rule.group)
                if start < 0 or end <= start:
                    continue
                secret = m.group(rule.group)
                if "[REDACTED:" in secret:  # already redacted: a marker is not a secret
                    continue
                if rule.check == "luhn" and (
                    (start and (text[start - 1].isalnum() or text[start - 1] in ".-")) or not luhn_ok(secret)
                ):
                    continue  # inside a longer word or number (a hex digest, a version), or not a card
                if rule.check == "value" and not plausible_value(secret, m.group(0)):
                    continue
                if rule.word and secret.replace("_", "").isalpha() and secret.islower():
                    continue
                if self._allowed(secret) or any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                found.append((rule.id, start, end, secret))
        found.sort(key=lambda f: f[1])
        return found

    def redact_text(self, text: str) -> tuple[str, int]:
        """Return ``text`` with every secret replaced by its marker, and how many were replaced."""
        found = self.findings(text)
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

    def redact_value(self, value: object, _under: str = "") -> tuple[object, int]:
        """Redact a JSON value: strings by the rules, everything under a sensitive key entirely.

        Structure is kept: dict keys, list lengths, booleans, null and non-secret values are unchanged.
        ``_under`` is the sensitive key a value sits under, if any.
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
            return self.redact_text(value)
        if isinstance(value, dict):
            total = 0
            out: dict = {}
            for k, v in value.items():
                under = _under or (k if isinstance(k, str) and is_sensitive_key(k) else "")
                out[k], n = self.redact_value(v, under)
                total += n
            return out, total
        if isinstance(value, list):
            total = 0
            items = []
            for v in value:
                r, n = self.redact_value(v, _under)
                items.append(r)
                total += n
            return items, total
        if _under and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.marker("sensitive-key", str(value)), 1
        return value, 0


def _trie_pattern(words: set[str]) -> str:
    """One regex matching any of ``words``, built as a trie so shared prefixes are tried once:
    a flat alternation of hundreds of literals makes ``re`` try each of them at every position."""
    import re

    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        if "" in node and len(node) == 1:
            return ""
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def builtin_rules() -> list[Rule]:
    return [Rule(*spec) for spec in secret_rules.RULES]


def rule_files(project_dir: str | None = None) -> list[str]:
    """Custom rule files that exist: the user's, then the project's."""
    candidates = [config.user_file(config.RULES_FILE)]
    if project_dir:
        candidates.append(config.project_file(project_dir, config.PROJECT_RULES_FILE))
    return [p for p in candidates if os.path.isfile(p)]


def load_rule_file(path: str) -> tuple[list[Rule], list[str], list[str]]:
    """Read a TOML rule file: ``[[rules]]`` (id, regex, keywords?, secret_group?) and ``[allowlist]``
    (regexes?, values?). Raises :class:`RuleError` naming the file and the bad rule.
    """
    import re
    import tomllib

    from auditkit.errors import RuleError  # only when a rule file exists: the hook's usual path never pays

    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
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
        rules.append(Rule(rid, rx, tuple(keywords), group, ""))
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
