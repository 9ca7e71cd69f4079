"""Key words: whether a value is secret by the name of the key it sits under (``clientSecret``,
``DB_PASSWORD_2``, ``APP_KEY``), and not by a name about a secret (``token_type``, ``publicKey``)."""

from auditkit.trail import secret_rules

#: The words of a key name that say its value is a secret, wherever they stand.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "credential", "credentials", "apikey"}
)
#: As the last word, these say secret too (``APP_KEY``, ``signingKey``, ``DB_PASS``, ``DEPLOY_PW``, ``X-Auth``,
#: ``ADO_PAT``) ...
_SECRET_LAST = frozenset({"key", "pass", "pw", "auth", "pat"})
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
        "gpg",
        "pgp",
        # "pat" is short for pattern as often as for a personal access token: glob_pat, url_pat, name_pat
        "glob",
        "regex",
        "re",
        "search",
        "match",
        "ignore",
        "include",
        "exclude",
        "name",
        "path",
        "url",
        "date",
        "word",
        "line",
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


_HINTS = ("pass", "pw", "secret", "token", "credential", "key", "auth", "pat")


#: ASCII letters and digits as they are, every other ASCII character a space (a translation table by code point).
_WORD_CHARS = (
    " " * 48 + "0123456789" + " " * 7 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + " " * 6 + "abcdefghijklmnopqrstuvwxyz" + " " * 5
)


def key_words(key: str) -> list[str]:
    """A key name as lowercase words: ``secretAccessKey``, ``SECRET_ACCESS_KEY`` and ``secret-access-key``
    all give ``["secret", "access", "key"]``."""
    if key.isascii() and key == key.lower():  # no capital: the runs of letters and digits, split at C speed
        return key.translate(_WORD_CHARS).split()
    return words_by_character(key)


def words_by_character(key: str) -> list[str]:
    """:func:`key_words` read one character at a time (any key: capitals start a word after a lowercase letter
    or a digit; the only way before lowercase ASCII keys were split by a translation)."""
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
    if k.endswith("salt"):  # a signing salt (Phoenix, Rails) in any case style: signingSalt
        canonical = "_".join(key_words(key))
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
