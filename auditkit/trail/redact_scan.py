"""Cheap scans of a text, before any rule's regex runs: which keyword parts occur in it (the keyword index:
character pairs for short texts, substrings, or one regex built as a trie of every part for long ones), runs of
the characters a token, a card number or base64 is made of, and the per-process cache of compiled patterns."""

from auditkit.trail import _startup_json

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence
    from typing import Protocol

    class Rule(Protocol):  # what the index reads of a rule (auditkit.trail.redact_rules.Rule imports this module)
        keywords: tuple[str, ...]

        @property
        def check(self) -> str: ...


_BASE64_RUN = r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{20,}={0,2}(?![A-Za-z0-9+/=_-])"
_compiled: dict[str, "re.Pattern[str]"] = {}


def _rx(pattern: str) -> "re.Pattern[str]":  # compiled on first use (from the per-interpreter cache)
    rx = _compiled.get(pattern)
    if rx is None:
        from auditkit.trail import _startup_re  # hook start-up: the regex cache loads on the first pattern used

        rx = _compiled[pattern] = _startup_re.compile(pattern)
    return rx


_NO_DIGITS = dict.fromkeys(range(48, 58))

#: The characters a card number, a base64 run and a random token are made of: mapped to one letter, the
#: rest of ASCII to "x".
_CARD_CHARS, _B64_CHARS, _TOKEN_CHARS = "0123456789 -", "+/", "+/_.~=-"
#: Their tables, indexed by code point (a character past them is left as it is, as a missing key would be): written
#: out, not built on a long text's first scan (~20 us each); tests/test_hook_speed.py builds them to compare.
_TABLES: dict[str, str] = {
    _CARD_CHARS: "x" * 32 + "0xxxxxxxxxxxx0xx0000000000" + "x" * 70,
    _B64_CHARS: "x" * 43 + "axxxaaaaaaaaaaaxxxxxx" + "xaaaaaaaaaaaaaaaaaaaaaaaaaaxxxxxxaaaaaaaaaaaaaaaaaaaaaaaaaaxxxxx",
    _TOKEN_CHARS: "x" * 43
    + "axaaaaaaaaaaaaaxxxaxx"
    + "xaaaaaaaaaaaaaaaaaaaaaaaaaaxxxxaxaaaaaaaaaaaaaaaaaaaaaaaaaaxxxax",
}


def _has_run(text: str, table: str, char: str, n: int) -> bool:
    """Whether ``text`` holds ``n`` characters in a row drawn from ``table`` (one of the three above; letters
    and digits too, but for a card): one C-speed ``translate`` (tens of microseconds for 64 KiB) that spares
    a regex scan when nothing could match. Texts under 1 KiB skip the test (the scan costs little there)."""
    if len(text) < 1024:
        return True
    mapping = _TABLES[table]
    if text.isascii():
        last = _LAST_TRANSLATED
        if last[0] is text and last[1] is table:  # the randomness rules ask twice of a long text (20, 258)
            return char * n in last[2]
        translated = text.translate(mapping)
        if len(text) <= _KEEP_TRANSLATED:
            last[:] = [text, table, translated]
        return char * n in translated
    # str.translate looks every character up in the table once one is not ASCII (~45 ns each: 3 ms for 64 KiB);
    # the UTF-8 bytes' translate does not. A character past ASCII is 2-4 bytes over 0x7f, mapped to "x": it
    # breaks a run in both forms (the table maps ASCII only, to ASCII), so both find the same runs.
    octets = _BYTE_TABLES.get(table)
    if octets is None:
        octets = _BYTE_TABLES[table] = (mapping + "x" * 128).encode()
    return char.encode() * n in text.encode("utf-8", "surrogatepass").translate(octets)


_BYTE_TABLES: dict[str, bytes] = {}
#: The last ASCII text translated, its table and the translation (it holds the text: an id is never reused for another)
_LAST_TRANSLATED: list = [None, None, ""]
_KEEP_TRANSLATED = 1 << 18  # texts up to 256 Ki characters: a cut field's head; not the megabytes of a bulk scan


def _digit_count(text: str) -> int:
    """How many ASCII digits ``text`` holds, in one C-speed pass (by its UTF-8 bytes when it is not ASCII: see
    :func:`_has_run`; no byte of a character past ASCII is a digit's)."""
    if text.isascii():
        return len(text) - len(text.translate(_NO_DIGITS))
    octets = text.encode("utf-8", "surrogatepass")
    return len(octets) - len(octets.translate(None, b"0123456789"))


def _long_word(text: str) -> bool:
    """Whether some run of non-space characters is 20 long: what a random token or a base64 run needs.
    Tested in Python on short texts, so a command with none never loads the regexes that look."""
    return len(text) >= 4096 or any(len(w) >= 20 for w in text.split())


#: A random token is at most this long (the entropy rules' ``{20,256}``); a run of token characters longer
#: than it holds no token but in its last ``_TOKEN_MAX + 1`` characters (after a ``=`` there).
_TOKEN_MAX = 256
# Matched only where a run starts (the lookbehind): a run shorter than that is then tried once, not once from each
# of its characters (what finditer finds is the same: a long run always matches from its first character).
_TOKEN_RUN = r"(?<![A-Za-z0-9+/_.~=-])[A-Za-z0-9+/_.~=-]{" + str(_TOKEN_MAX + 2) + ",}"


def _long_runs_masked(text: str) -> str:
    """``text`` with each run of token characters longer than a token masked with NUL but for its last
    ``_TOKEN_MAX + 1`` characters: the same matches for the entropy rules (their value is the whole run
    after a ``=`` or ``:``, 20 to 256 long, so it can only start there), at the same offsets, but the
    engine no longer reads 256 characters from each ``=`` of a 4 MiB ``=a=a...`` (one pass instead)."""
    if not _has_run(text, _TOKEN_CHARS, "a", _TOKEN_MAX + 2):
        return text  # no run that long (one translate, not a regex scan: most texts of 1 KiB or more)
    out, pos = [], 0
    for m in _rx(_TOKEN_RUN).finditer(text):
        start, end = m.span()
        keep = end - _TOKEN_MAX - 1
        out += [text[pos:start], "\0" * (keep - start)]
        pos = keep
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


#: What says a literal is reversed on purpose: rev(1), Python's '...'[::-1], JavaScript's reverse(), PHP's strrev.
_REVERSERS = ("| rev", "|rev", "'[::-1]", '"[::-1]', "reverse().join(", "strrev(", "strreverse(")


#: Where :func:`written_another_way` could say yes, as one regex over lowercased text (a superset, for bulk scans).
_WRITTEN_ANOTHER_WAY = (
    r"\\[ux]|%(?:22|3a|3d)|[\"'] ?\+ ?[\"']|[\"']\n|\| ?rev|\[::-1\]|reverse\(\)\.join\(|strrev\(|strreverse\("
)


def written_another_way(text: str, low: str) -> bool:
    """Whether ``text`` may hold a secret escaped, percent-encoded, cut into joined literals or reversed
    (:mod:`auditkit.trail.redact_decode`): substring tests, each behind a one-character test (a search for an
    absent character runs at memchr speed, one for an absent longer string costs ~50 us on 64 KiB)."""
    if "\\" in text and ("\\u" in text or "\\x" in text):
        return True
    if "%" in text and ("%22" in text or "%3a" in low or "%3d" in low):
        return True
    if ('"' in text or "'" in text) and (
        ("+" in text and ('" + "' in text or "' + '" in text or '"+"' in text or "'+'" in text))
        or '"\n' in text
        or "'\n" in text
    ):
        return True
    return ("|" in text or "[" in text or "(" in text) and any(r in low for r in _REVERSERS)


#: Texts up to this long are searched for keywords by their character pairs (see ``Redactor._pairs``).
_SHORT_TEXT = 256


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


def _first_char_pattern(first: str, words: "Sequence[str]") -> tuple[str, str]:
    """(lead, ``lead(?=(rest))``) for the words starting with ``first``: ``lead`` is what all of them start with
    (``first`` at least; escaped in the pattern), then in a lookahead the trie of what follows it in each. A lead of
    two characters or more is a literal prefix ``re`` checks in its own scan (`` -``: a space that no ``-`` follows
    costs no match attempt); one that could overlap itself is cut to its character."""
    group = [w for w in words if w[0] == first]
    low, high = min(group), max(group)  # what the first and the last in order share, all of them share
    n = 1
    while n < len(low) and low[n] == high[n]:
        n += 1
    # findall resumes after a lead: every occurrence of the character is still tried only when no two occurrences
    # of the lead can overlap (then one starting inside another would be missed): such a lead is its character
    if any(low[i:n] == low[: n - i] for i in range(1, n)):
        n = 1
    lead = low[:n]
    escaped = "".join(ch if ch.isalnum() or ch == "_" else "\\" + ch for ch in lead)
    return lead, escaped + "(?=(" + _trie_pattern({w[n:] for w in group}) + "))"


def _trie_cached(words: set[str]) -> str:
    """:func:`_trie_pattern` of ``words``, from the pattern cache when these words were built before (any change
    to the rules' keywords is another key, so a new rule is in the trie on its first event)."""
    from auditkit.trail import _startup_re  # hook start-up: as in _rx (the trie is compiled right after)

    return _startup_re.derived("trie", "\n".join(sorted(words)), lambda: _trie_pattern(words))


#: Short texts a redactor tests for every keyword part before it indexes the parts by their first two characters.
_PAIRS_AFTER = 8
#: The tries' cache files: another name whenever what is kept in them, or how a lead is chosen, changes.
_TRIES_KIND = "leads2"
#: Up to this many keyword parts found in a text, the rules they switch on are searched for (``_rules_holding``);
#: past it, every part is indexed once.
_HELD_PARTS = 8


def _keyword_parts(rules: "Sequence[Rule]") -> tuple[str, ...]:
    """The rules' keyword parts, lowercased, each once, in the order of first use: ``KeywordIndex._index()[0]``. At
    C speed (one join, one lower, one split) when the keywords are ASCII and none holds a NUL; else by the index."""
    words = [k for rule in rules for k in rule.keywords]
    joined = "\0".join(words)
    if not joined.isascii() or joined.count("\0") != len(words) - 1:
        return tuple(_index_parts(rules))
    return tuple(dict.fromkeys(joined.lower().replace("&&", "\0").split("\0"))) if words else ()


def _index_parts(rules: "Sequence[Rule]") -> dict[str, list[int]]:
    """Each keyword part (lowercased) and the rules, by position, whose keywords hold it."""
    by_part: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        for k in rule.keywords:
            low = k.lower()
            for part in low.split("&&") if "&&" in low else (low,):
                by_part.setdefault(part, []).append(i)
    return by_part


class KeywordIndex:
    """The rules' keyword parts, indexed once per redactor (a mixin of :class:`Redactor`: ``rules`` is its)."""

    rules: "Sequence[Rule]"
    _short_texts = 0  # short texts looked at without the pair index (see keywords_in)

    def _parts(self) -> tuple[str, ...]:
        """Every keyword part (lowercased), in the order :meth:`_index` lists them, without indexing which rules
        each switches on (what only a text holding one needs: ~0.3 ms in Python, most of a small event's step)."""
        got = getattr(self, "_idx", None)
        if got is not None:
            return got[0]
        parts = getattr(self, "_all_parts", None)
        if parts is None:
            parts = self._all_parts = _keyword_parts(self.rules)
        return parts

    def _always(self) -> tuple[int, ...]:
        """The rules with no keyword (they apply to every text), by position."""
        got = getattr(self, "_no_keyword", None)
        if got is None:
            got = self._no_keyword = tuple(i for i, rule in enumerate(self.rules) if not rule.keywords)
        return got

    def _index(self) -> tuple[tuple[str, ...], dict[str, tuple[int, ...]], tuple[int, ...]]:
        """Keyword parts (lowercased), the rules each part can switch on, and the rules with no keyword."""
        idx = getattr(self, "_idx", None)
        if idx is None:
            by_part = _index_parts(self.rules)
            idx = self._idx = (tuple(by_part), {p: tuple(v) for p, v in by_part.items()}, self._always())
        return idx

    def _rules_holding(self, parts: "set[str]") -> "set[int]":
        """The rules (by position) whose keywords hold one of ``parts``: what ``_index()[1]`` gives for them, without
        indexing every part (~0.3 ms in Python, a long text's usual handful of parts needing none of it).

        Searched at C speed in one string of every keyword, lowercased, a part between two of NUL (parts of a keyword)
        and SOH (rules); a rule's position is the count of SOH before the part. Exact when no keyword holds those two
        characters and all are ASCII (lowercasing keeps offsets): otherwise, and for many parts, the index."""
        flat = getattr(self, "_flat", None)
        if flat is None:
            keywords = [rule.keywords for rule in self.rules]
            joined = "\1".join(map("\0".join, keywords))
            # SOH and NUL only as separators: as many as the joins put there (a keyword holding one would add some)
            seps = sum(map(len, keywords)) - (len(keywords) - keywords.count(()))  # a NUL between two keywords
            plain = joined.isascii() and joined.count("\1") == len(keywords) - 1 and joined.count("\0") == seps
            flat = self._flat = "\1" + joined.lower().replace("&&", "\0") + "\1" if plain else ""
        if not flat or len(parts) > _HELD_PARTS or "" in parts:  # an empty part: a keyword-less rule's "" is no part
            by_part = self._index()[1]
            return {i for p in parts for i in by_part.get(p, ())}
        out: set[int] = set()
        for p in parts:
            if p != p.lower():  # a part as written with capitals: the index keys parts lowercased (none holds it)
                continue
            n, i = len(p), flat.find(p)
            while i >= 0:
                if flat[i - 1] in "\0\1" and flat[i + n] in "\0\1":  # a whole part (flat starts and ends with SOH)
                    out.add(flat.count("\1", 0, i) - 1)
                i = flat.find(p, i + 1)
        return out

    def keywords_in(self, text: str, low: str, trie: bool = False) -> set[str]:
        """The keyword parts that occur in ``text``, exactly as the rules' ``applies`` tests them.

        Short texts test each part with ``in``; long ones are scanned once with a trie of all parts
        (the longest part at each match, its prefixes, and parts starting inside a match or after it),
        several times cheaper than a few hundred substring searches over 64 KiB. ``trie``: scan short
        texts that way too (bulk scans, which pay for loading the trie once; the hook never does).
        """
        trie = trie or len(low) >= 4096
        if trie:
            found = self._parts_by_trie(low)
        elif len(low) <= _SHORT_TEXT and self._short_texts >= _PAIRS_AFTER:
            singles, by_pair = self._pairs()  # most strings: only the parts whose first two letters are in it
            found = {p for p in singles if p in low}
            for pair in {low[i : i + 2] for i in range(len(low) - 1)}:
                if pair in by_pair:
                    found.update(p for p in by_pair[pair] if p in low)
        else:  # the first few short texts (a small event's two or three): every part, not the pair index (~0.1 ms)
            self._short_texts += len(low) <= _SHORT_TEXT
            found = {p for p in self._parts() if p in low}
        if found:
            for low_part, part in self._cased():  # a capitalised keyword counts only in its own case
                if low_part in found and part in text:
                    found.add(part)
        return found

    def _pairs(self) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        """The one-character keyword parts, and the others by their first two characters (built once):
        a short text is tested for the parts starting with one of its own pairs, not for all ~300."""
        got = getattr(self, "_by_pair", None)
        if got is None:
            parts = self._index()[0]
            by_pair: dict[str, list[str]] = {}
            for p in parts:
                if len(p) > 1:
                    by_pair.setdefault(p[:2], []).append(p)
            got = self._by_pair = (tuple(p for p in parts if len(p) == 1), {k: tuple(v) for k, v in by_pair.items()})
        return got

    def _parts_by_trie(self, low: str) -> set[str]:
        """The parts in ``low``, by one regex per first character: ``c(?=(rest))``, the rest a trie of what follows
        ``c`` in the parts starting with it. Each match takes ``c`` alone, so every occurrence of ``c`` is tried
        (none is hidden inside another match) and its group is the longest part starting there; ``findall`` and a
        set keep those at C speed, and the prefixes that are parts are added after. Exact: a part occurs where its
        first character does, and is the longest part found there or a prefix of it.

        One regex per character, not one trie of all parts: the engine skips to the next occurrence of the
        character and tries its parts alone, instead of ~26 branches at every letter (a 64 KiB text: ~1.8 ms
        before; and no substring search per part for the parts that start with punctuation, ~0.5 ms more)."""
        tries = self._first_char_tries()  # first: it may read the parts from the cache (see there)
        known = self._known_parts()
        found: set[str] = {"" for p in known if not p}
        for first, (lead, rx) in tries.items():
            if first not in low:
                continue
            if rx.pattern.endswith("(?=())"):  # the lead alone is the only part starting with its character
                if len(lead) == 1 or rx.search(low) is not None:
                    found.add(lead)
            else:
                found.update(lead + rest for rest in set(rx.findall(low)))
        for p in list(found):  # a part's prefixes that are parts too: present wherever it is
            found.update(p[:i] for i in range(1, len(p)) if p[:i] in known)
        return found

    def _cased(self) -> tuple[tuple[str, str], ...]:
        """(lowercased, as written) of each keyword part with a capital letter (built once, or read with the tries:
        see :meth:`_first_char_tries`)."""
        got = getattr(self, "_cased_parts", None)
        if got is None:
            got = self._cased_parts = tuple((p.lower(), p) for p in self._cased_written())
        return got

    def _cased_written(self) -> list[str]:
        """Each keyword part with a capital letter, as written, sorted. For ASCII keywords, those with one are found
        by a set difference at C speed, not a Python test of each of ~1,400."""
        words = self._words()
        joined = "\0".join(words)
        # a keyword with a capital is none of the lowercased ones (ASCII); a keyword holding a NUL may show up too,
        # which the test below drops (a superset, then the exact test)
        maybe = set(words) - set(joined.lower().split("\0")) if joined.isascii() else words
        return sorted({p for k in maybe if k != k.lower() for p in k.split("&&") if p != p.lower()})

    def _words(self) -> list[str]:
        """Every keyword of the rules, in order (listed once)."""
        got = getattr(self, "_all_words", None)
        if got is None:
            got = self._all_words = [k for rule in self.rules for k in rule.keywords]
        return got

    def _shortest_unprompted(self) -> int:
        """The shortest text a rule without keywords could match in: 13 digits for a card number, 20
        characters for a random token or base64; 0 if some custom rule has no keyword (it always runs)."""
        got = getattr(self, "_unprompted", None)
        if got is None:
            floors = {"luhn": 13, "entropy": 20}
            got = self._unprompted = min((floors.get(self.rules[i].check, 0) for i in self._always()), default=20)
        return got

    def _known_parts(self) -> frozenset[str]:
        """Every keyword part (lowercased), as a set (built once)."""
        got = getattr(self, "_known", None)
        if got is None:
            got = self._known = frozenset(self._parts())
        return got

    def _first_char_tries(self) -> "dict[str, tuple[str, re.Pattern[str]]]":
        """By each first character of a keyword part, its lead and ``lead(?=(rest))`` (see :meth:`_parts_by_trie`),
        compiled once: read from the pattern cache, sources and programs in one file, when these parts were compiled
        before."""
        got = getattr(self, "_tries", None)
        if got is None:
            from auditkit.trail import _startup_re  # hook start-up: as in _rx (only for a text of 4 KiB or more)

            def build() -> tuple[list[list[str]], list[str]]:
                words = sorted({p for p in self._parts() if p})
                pairs = [_first_char_pattern(c, words) for c in sorted({w[0] for w in words})]
                return [list(self._parts()), self._cased_written(), [lead for lead, _ in pairs]], [p for _, p in pairs]

            # keyed by the keywords themselves, and kept with the parts they give, those with a capital and the leads:
            # a redactor that had not listed them yet reads them from there too (~0.4 ms in Python)
            (parts, cased, leads), compiled = _startup_re.compile_group(_TRIES_KIND, self._keywords_key(), build, 3)
            if getattr(self, "_all_parts", None) is None and getattr(self, "_idx", None) is None:
                self._all_parts = tuple(parts)
            if getattr(self, "_cased_parts", None) is None:
                self._cased_parts = tuple((p.lower(), p) for p in cased)
            got = self._tries = {lead[0]: (lead, rx) for lead, rx in zip(leads, compiled, strict=True)}
        return got

    def _keywords_key(self) -> str:
        """Every keyword of the rules, in order, as one string no other list of keywords gives: their count, then
        each after a NUL (when one holds a NUL: their JSON)."""
        words = self._words()
        joined = "\0".join(words)
        if joined.count("\0") != len(words) - 1:
            return _startup_json.dumps(words)
        return f"{len(words)}\0{joined}"

    def _trie_source(self) -> str:
        """One regex of every keyword part that starts with a letter, as a trie (built once)."""
        source = getattr(self, "_trie", None)
        if source is None:
            source = self._trie = _trie_cached({p for p in self._index()[0] if p[0].isalpha()})
        return source

    def _all_parts_source(self) -> str:
        """One regex of every keyword part, as a trie (for :meth:`quiet_strings`)."""
        source = getattr(self, "_all_trie", None)
        if source is None:
            source = self._all_trie = _trie_cached(set(self._index()[0]))
        return source
