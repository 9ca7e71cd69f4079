"""Checks on a rule's match (loaded only once some rule matched, or a value sits under a secret's key): card
numbers (network prefix, length, Luhn), plausible values (not a placeholder, type name or code reference),
randomness (entropy), and the names around a match that make it an id or a name, not a secret."""

from auditkit.trail import secret_rules
from auditkit.trail.redact_keys import _PLAIN_LAST, is_sensitive_key, key_words
from auditkit.trail.redact_scan import _rx

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re

    from auditkit.trail.redact_rules import Rule


def _card_networks() -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """Each card network's number prefixes and lengths (built on first use: ~560 prefixes, ~40 us of every hook
    start-up that loads these checks, most of which never see a digit run long enough to be a card)."""
    if not _CARD_NETWORKS:
        _CARD_NETWORKS.extend(
            (
                (("4",), (13, 16, 19)),
                (("51", "52", "53", "54", "55", *(str(n) for n in range(2221, 2721))), (16,)),
                (("34", "37"), (15,)),
                (("6011", "644", "645", "646", "647", "648", "649", "65"), (16, 17, 18, 19)),
                (("62",), (16, 17, 18, 19)),
                (tuple(str(n) for n in range(3528, 3590)), (16, 17, 18, 19)),
                (("300", "301", "302", "303", "304", "305", "36", "38", "39"), (14, 15, 16, 17, 18, 19)),
            )
        )
    return _CARD_NETWORKS


_CARD_NETWORKS: list[tuple[tuple[str, ...], tuple[int, ...]]] = []  # see _card_networks


def luhn_ok(digits: str) -> bool:
    """True for a plausible card number: a card network's prefix and length, and the Luhn check.

    The prefix test keeps ordinary long numbers (epoch milliseconds, order ids) from matching
    whenever their check digit happens to work out, which it does one time in ten.
    """
    nums = [ord(c) - 48 for c in digits if "0" <= c <= "9"]
    if not 13 <= len(nums) <= 19 or len(set(nums)) == 1:
        return False
    text = "".join(chr(n + 48) for n in nums)
    if not any(text.startswith(prefixes) and len(nums) in lengths for prefixes, lengths in _card_networks()):
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
    r"|^%\(|^%\w+%$|^%[A-Za-z]?$|^(?:%[-#0 +.\d]*[A-Za-z]|[^%A-Za-z0-9])+$"  # %(x)s, %APPDATA%, %s, %Y-%m-%d
    r"|^\{\{|^<[^>]*>$"  # {{ var }}, <your-token>
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
    # every branch of _CODE_REF needs a "." or starts with none of these: a letter (not x) or a digit, and no dot,
    # is no code reference (the usual token: no need to compile the pattern, ~60 us of the hook's start-up)
    if value[:1].isascii() and value[:1].isalnum() and value[:1] not in "xX" and "." not in value:
        return True
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
    """Whether a rule's match fails the rule's own check: inside a redaction marker, not a card (or inside a longer
    word or number, or an id), not a plausible value, an assignment about a secret, too plain a token, not random, a
    plain word, or (the context rules) not under a secret's name, not said to be one, not random bytes."""
    check = rule.check
    if _in_marker(text, start) or _context_rejects(rule.flags, text, m, start, secret):
        return True
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
    if check == "entropy" and _not_random(text, m, secret, start):
        return True
    return rule.word and secret.replace("_", "").isalpha() and secret.islower()


def _in_marker(text: str, start: int) -> bool:
    """Whether ``start`` lies inside a redaction marker (``https://[REDACTED:x:1a2b3c4d]@host`` read as
    user:password would find the marker's tail)."""
    marker = text.rfind("[REDACTED:", max(0, start - 80), start)
    return marker >= 0 and "]" not in text[marker:start]


def _context_rejects(flags: str, text: str, m: "re.Match[str]", start: int, secret: str) -> bool:
    """The checks of the rules that know a secret by its context: the name it is assigned to (``keyname``), the
    sentence it is said in (``prose``), the flag it is given to (``flagname``)."""
    return (
        ("keyname" in flags and _not_named_secret(text, m, secret))
        or ("prose" in flags and _not_said_secret(text, m, secret))
        or ("flagname" in flags and _not_secret_flag(m.group(0)))
        or ("herename" in flags and _not_here_name(text, m.start()))
    )


def _not_a_card(text: str, start: int, secret: str) -> bool:
    """Inside a longer word or number (a hex digest, a version), not a card number, or named as an id."""
    return (
        bool(start and (text[start - 1].isalnum() or text[start - 1] in ".-"))
        or not luhn_ok(secret)
        or _id_context(text, start)
    )


def _not_random(text: str, m: "re.Match[str]", secret: str, start: int) -> bool:
    """Not machine-generated, not plausible, or under a key whose values are ids and digests, not secrets
    (the key before the match, or before the value when the match ends at it: ``raw-256-bit-key``)."""
    return (
        not high_entropy(secret)
        or not plausible_value(secret)
        or bool(set(key_words(_key_before(text, min(m.start(), start)))) & _NOT_SECRET_KEYS)
    )


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-$")
#: The last words of a name whose values must also look generated (``SEGMENT_WRITE_KEY``, ``ADO_PAT``): a short
#: or plain value under them is a setting (``SORT_KEY=name``), while a password (``DB_PASS``) can be anything.
_TOKEN_LAST = frozenset({"key", "salt", "pat"})


def _not_named_secret(text: str, m: "re.Match[str]", secret: str) -> bool:
    """For ``secret-name-assignment``: the whole name (read back from the keyword the match starts at) is not a
    secret's (``sort_key``, ``bypass``, ``PWD``), or its value is a path, a reference, a placeholder, a plain word,
    too plain a token under a KEY/SALT/PAT name, or an unquoted word after ``:`` that the line goes on past (a type
    annotation: ``signing_key: SigningKey = ...``)."""
    i = m.start()
    while i > 0 and text[i - 1] in _NAME_CHARS:
        i -= 1
    j = m.start()
    while j < len(text) and text[j].isalpha():
        j += 1
    name = text[i:j].lstrip("$-.")
    words = key_words(name)
    if not words or not is_sensitive_key(name) or name.lower() in ("pwd", "oldpwd"):  # $PWD: the working directory
        return True
    if secret[0] in "/~." or not plausible_value(secret, m.group(0)):
        return True
    if secret.replace("_", "").isalpha() and secret.islower():
        return True
    if words[-1] in _TOKEN_LAST and not (
        len(secret) >= 12 and any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret)
    ):
        return True
    quoted = bool(m.group(1))
    between = text[j : m.start(2)]
    if not quoted and ":" in between and "=" not in between:
        end = text.find("\n", m.end())
        return bool(text[m.end() : end if end >= 0 else len(text)].strip(" \t\r,"))
    return False


def _not_secret_flag(match: str) -> bool:
    """For ``key-cli-flag``: a flag whose name says its value is public or ordinary (``--public-key``,
    ``--sort-key``, ``--host-key``), not a secret's (``--private-key``, ``--signing-key``, ``--key``, ``--pk``)."""
    name = match.strip().lstrip("-")
    cut = min((i for i in (name.find("="), name.find(" ")) if i >= 0), default=len(name))
    name = name[:cut].lower()
    return name not in ("key", "pk", "seed", "mnemonic") and ("host" in name or not is_sensitive_key(name))


def _not_here_name(text: str, at: int) -> bool:
    """For ``secret-here-string``: what the here-string or heredoc at ``at`` is assigned to (``$pat = @"``,
    ``TOKEN=$(cat <<EOF``) is not a secret's name."""
    before = text[max(0, at - 80) : at].rstrip(" \t")
    for opener in ("$(cat", "$( cat", "$("):
        if before.endswith(opener):
            before = before[: -len(opener)].rstrip(" \t")
            break
    if not before.endswith("="):
        return True
    name = before[:-1].rstrip(" \t")
    i = len(name)
    while i > 0 and name[i - 1] in _NAME_CHARS:
        i -= 1
    words = [w.rstrip("0123456789") or w for w in key_words(name[i:].lstrip("$"))]
    return not words or not (is_sensitive_key(name[i:].lstrip("$")) or words[-1] in ("pat", "pw", "token", "key"))


def raw_key(text: str, run: str, start: int) -> bool:
    """Whether a base64 run that decodes to no text is a 256-bit key (``raw-256-bit-key``): 32 bytes, random
    enough (distinct characters, no alphabet), and not under a public key's or a digest's name."""
    import binascii

    try:
        raw = binascii.a2b_base64(run, strict_mode=True)
    except ValueError:
        return False
    steps = sum(1 for i in range(1, len(run)) if ord(run[i]) - ord(run[i - 1]) == 1)
    if len(raw) != 32 or len(set(run)) < 20 or steps * 4 > len(run):
        return False
    return not set(key_words(_key_before(text, start))) & (_NOT_SECRET_KEYS | {"public", "pub", "pubkey", "publickey"})


#: Words that, just before a secret's name, make a sentence say what the secret is ("my API key is ...").
_SAYING = frozenset({"my", "the", "this", "our", "your", "new", "api", "access", "auth", "personal", "here", "use"})


def _not_said_secret(text: str, m: "re.Match[str]", secret: str) -> bool:
    """For ``secret-in-prose``: no determiner before the secret's name (``my``, ``the``, ``this``, ``API``), or
    a value that is not a token (12+ characters with letters and digits, not a plain identifier or path)."""
    before = key_words(text[max(0, m.start() - 24) : m.start()])
    if not before or before[-1] not in _SAYING:
        return True
    if not plausible_value(secret) or secret.count("/") >= 2:  # a path
        return True
    letters = sum(c.isalpha() for c in secret)
    digits = sum(c.isdigit() for c in secret)
    return len(secret) < 12 or letters < 2 or digits < 2
