"""Rules: one rule (:class:`Rule`, compiled on first use, with its literal prefilter), the built-in ones
(:mod:`auditkit.trail.secret_rules`), and the user's and project's TOML rule files: where they are, what a
reviewer should know about them, loading them; the time budget a user-supplied regex runs within."""

# redact_scan through the package first (in the hook: its fast path, see auditkit.trail._startup_import)
from auditkit.trail import config, redact_scan, secret_rules  # noqa: F401
from auditkit.trail._startup_os import os
from auditkit.trail.redact_scan import (
    _CARD_CHARS,
    _TOKEN_CHARS,
    _TOKEN_MAX,
    _digit_count,
    _has_run,
    _long_runs_masked,
    _long_word,
    _rx,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re


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
        if "anchored" not in self.flags:
            return False
        # every keyword lowercase and none of two parts, tested on them joined (at C speed: ~2 us a call before, for
        # the assignment rules' 17 keywords; a NUL neither joins two "&" nor changes what lowercasing does)
        joined = "\0".join(self.keywords)
        return "&&" not in joined and joined == joined.lower()

    def matches(
        self, text: str, low: str, where: dict[str, list[int]] | None = None, present: set[str] | None = None
    ) -> list:
        """The regex's matches: everywhere, or (anchored rules) only where a keyword starts
        (``where`` caches each keyword's positions for the other rules on the same text; keywords
        not ``present`` are not looked for)."""
        if self.check == "entropy" and len(text) > _TOKEN_MAX:
            text = _long_runs_masked(text)
        if not self.anchored or len(low) != len(text):
            split = _first_char_split(self.pattern) if len(text) >= _SPLIT_FROM else None
            return list(self.rx.finditer(text)) if split is None else _split_matches(split, text)
        rx = self.rx
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
                # the run first: a long text seldom holds one (one pass), and most hold 13 digits somewhere
                return _has_run(text, _CARD_CHARS, "0", 13) and _digit_count(text) >= 13
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


#: The generic randomness rule (``generic-high-entropy``) starts with a character set, ``[=:]``, which ``re`` tests at
#: every position of a text (~0.5 ms for 64 KiB); with a literal first character it skips to each occurrence at C
#: speed instead. So on long texts a pattern that starts with one of these sets (and has no ``|``, which would bind
#: the set to its first branch only) runs as one pattern per character of the set, their matches taken as
#: ``finditer`` would take the whole pattern's (:func:`_split_matches`; tests/test_hook_speed.py compares them).
_SPLIT_SETS = ("[=:]",)


def _first_char_split(pattern: str) -> "tuple[tuple[str, str], ...] | None":
    """``pattern`` as one pattern per character of its leading set (each with its character), or None."""
    for head in _SPLIT_SETS:
        if pattern.startswith(head) and "|" not in pattern:
            return tuple((c, c + pattern[len(head) :]) for c in head[1:-1])
    return None


_SPLIT_FROM = 4096  # shorter texts: one scan costs little, and the two patterns would be two more cache reads


def _split_matches(split: "tuple[tuple[str, str], ...]", text: str) -> list:
    """``finditer`` of the whole pattern, from its first-character patterns (``split``: each with its character):
    ``finditer`` takes the leftmost match at or after where the last one ended, which is the leftmost of each
    pattern's leftmost there. Each pattern's next match is searched for again only once a match taken ends past
    where it starts (so each part of the text is scanned about once by each pattern)."""
    scans = [(_rx(pattern), first) for first, pattern in split if first in text]
    ahead = [rx.search(text) for rx, _ in scans]
    out: list = []
    pos = 0
    while True:
        nearest = None
        for i, m in enumerate(ahead):
            if m is not None and m.start() < pos:  # inside the match just taken: the next one from its end
                m = ahead[i] = scans[i][0].search(text, pos)
            if m is not None and (nearest is None or m.start() < nearest.start()):
                nearest = m
        if nearest is None:
            return out
        out.append(nearest)
        pos = nearest.end()  # never at its start: a match here holds at least 21 characters


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
        for op, arg in items:  # type: ignore[attr-defined]  # sre parse items: (op, arg) pairs
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

    A file read and checked once is read back from the pattern cache, keyed by its exact text: parsing it
    costs the hook ``tomllib`` and ``re`` (~12 ms) on every event otherwise. The cache is the user's own,
    outside the project (:func:`auditkit.trail.config.cache_dir`); a file that fails its checks is never kept.
    """
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return _parse_rule_file(path, None)  # says why, naming the file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_rule_file(path, data)
    from auditkit.trail import _startup_json, _startup_re  # hook start-up: only when a rule file exists

    fresh: list[tuple[list[Rule], list[str], list[str]]] = []

    def checked() -> str:
        rules, patterns, values = _parse_rule_file(path, data)
        fresh.append((rules, patterns, values))
        kept = [[r.id, r.pattern, list(r.keywords), r.group] for r in rules]
        return _startup_json.dumps({"rules": kept, "regexes": patterns, "values": values})

    source = _startup_re.derived("rulefile", text, checked)
    if fresh:
        return fresh[0]
    try:
        spec = _startup_json.loads(source)  # a cache entry: its shape is checked by the except below
        rules = [Rule(rid, rx, tuple(words), group, "custom") for rid, rx, words, group in spec["rules"]]  # type: ignore[index]
        return rules, list(spec["regexes"]), list(spec["values"])  # type: ignore[index]
    except Exception:  # a damaged cache entry: check the file itself
        return _parse_rule_file(path, data)


def _parse_rule_file(path: str, data: bytes | None) -> tuple[list[Rule], list[str], list[str]]:
    """:func:`load_rule_file`'s checks, on the file's bytes (None: read them here)."""
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
