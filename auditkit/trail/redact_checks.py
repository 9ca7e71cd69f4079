"""Checks on a rule's match (loaded only once some rule matched, or a value sits under a secret's key): card
numbers (network prefix, length, Luhn), plausible values (not a placeholder, type name or code reference),
randomness (entropy), and the names around a match that make it an id or a name, not a secret."""

from auditkit.trail import secret_rules
from auditkit.trail.redact_keys import _PLAIN_LAST, key_words
from auditkit.trail.redact_scan import _rx

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re

    from auditkit.trail.redact_rules import Rule

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


def rejects(rule: "Rule", text: str, m: "re.Match[str]", start: int, secret: str) -> bool:
    """Whether a rule's match fails the rule's own check: not a card (or inside a longer word or number, or
    an id), not a plausible value, an assignment about a secret, too plain a token, not random, a plain word."""
    check = rule.check
    if check == "luhn" and _not_a_card(text, start, secret):
        return True
    if check == "value" and not plausible_value(secret, m.group(0)):
        return True
    if rule.anchored and _names_no_secret(m.group(0)):
        return True
    if rule.tokenish and not (
        len(secret) >= 12 and any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret)
    ):
        return True
    if check == "entropy" and _not_random(text, m, secret):
        return True
    return rule.word and secret.replace("_", "").isalpha() and secret.islower()


def _not_a_card(text: str, start: int, secret: str) -> bool:
    """Inside a longer word or number (a hex digest, a version), not a card number, or named as an id."""
    return (
        bool(start and (text[start - 1].isalnum() or text[start - 1] in ".-"))
        or not luhn_ok(secret)
        or _id_context(text, start)
    )


def _not_random(text: str, m: "re.Match[str]", secret: str) -> bool:
    """Not machine-generated, not plausible, or under a key whose values are ids and digests, not secrets."""
    return (
        not high_entropy(secret)
        or not plausible_value(secret)
        or bool(set(key_words(_key_before(text, m.start()))) & _NOT_SECRET_KEYS)
    )
