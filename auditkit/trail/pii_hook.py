"""Personal data (PII): the ``[pii]`` policy and the hook's cheap detectors (standard library only).

The policy is opt-in: with no ``[pii]`` table anywhere, nothing here runs. It is read from the user's
``rules.toml`` and ``config.toml``, and from a project's ``.claude/auditkit-rules.toml`` and
``.claude/auditkit.toml`` only once the user approved that file (``auditkit trust``)::

    [pii]
    hook = true            # the hook redacts the cheap kinds below before the record is written
    outbound = "redact"    # archive copies, export, ship, sync: redact | mask | report | off
    kinds = ["email", "phone", "iban"]   # default: every kind (but ip)
    regions = ["DE", "FR"] # phone numbers written without +country are read as these countries'
    ip = false             # public IPv4/IPv6 addresses too

Files are merged strictest-first: a later file can switch the hook on, raise the outbound mode
(off < report < mask < redact), add kinds, regions or ``ip``; it can never lower or remove what an
earlier one set. So a project's file cannot turn personal-data handling off that the user turned on.

The hook's subset (:data:`HOOK_KINDS`): e-mail addresses, IBANs (country length and mod-97) and US
Social Security numbers written ``123-45-6789`` (area, group and serial rules); card numbers are the
secret rules' ``card-number`` already. :class:`PiiRedactor` adds them to :class:`Redactor`'s findings,
with the same ``[REDACTED:pii-email:3f9a1c2e]`` markers, fingerprinted over a normal form of the value
(lowercased e-mail, compact IBAN, digits of an SSN) so the full set at export time gives the same marker.
The whole set (phone numbers, BICs, national identifiers...) needs the ``pii`` extra:
:mod:`auditkit.custody.pii`.
"""

from auditkit.trail import config
from auditkit.trail._startup_os import os
from auditkit.trail.redact_scan import _NO_DIGITS, _rx
from auditkit.trail.redaction import Redactor, with_pii_policy

#: Outbound modes, weakest first: ``report`` lists findings and changes nothing; ``mask`` keeps a part
#: (``j***@example.com``, the last four digits of a card); ``redact`` writes the marker.
MODES = ("off", "report", "mask", "redact")
#: Every kind the full set knows (rule id ``pii-<kind>``); ``ip`` only with ``ip = true``.
KINDS = (
    "email",
    "phone",
    "iban",
    "bic",
    "card",
    "us-ssn",
    "us-itin",
    "uk-nino",
    "de-steuer-id",
    "fr-nir",
    "es-dni",
    "es-nie",
    "it-codice-fiscale",
    "nl-bsn",
    "in-aadhaar",
    "br-cpf",
    "ipv4",
    "ipv6",
)
IP_KINDS = ("ipv4", "ipv6")
#: The kinds the hook can afford (standard library, a few microseconds on a small event).
HOOK_KINDS = ("email", "iban", "us-ssn")

EMAIL = (
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9_-]|\.[A-Za-z0-9])"
)
# each pattern starts with a character class and looks behind only after it: the regex engine then skips ahead
# to where that class matches, instead of trying the look-behind at every position (3-4x faster on code)
IBAN = r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
SSN = r"\d(?<![\d-]\d)\d{2}-\d{2}-\d{4}(?![\d-])"
_LOCAL_RUN = r"[A-Za-z0-9._%+-]{1,65}$"
#: File extensions that follow an ``@`` in asset names (``icon@2x.png``) and are no mail domain's ending.
_NOT_TLD = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "bmp",
        "css",
        "scss",
        "js",
        "mjs",
        "ts",
        "tsx",
        "jsx",
        "map",
        "json",
        "lock",
        "txt",
        "html",
        "htm",
        "xml",
        "yml",
        "yaml",
        "toml",
        "py",
        "pyc",
        "rb",
        "go",
        "rs",
        "java",
        "kt",
        "swift",
        "php",
        "sh",
        "zip",
        "gz",
        "tgz",
        "tar",
        "whl",
    ]
)
#: Local parts of service addresses that are no person's (``git@github.com:org/repo.git``).
_SERVICE_LOCALS = frozenset(("git", "hg", "noreply", "no-reply", "donotreply", "mailer-daemon"))

#: IBAN length per country (ISO 13616 registry): an IBAN of another length is no IBAN.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


# --- the policy --------------------------------------------------------------------------------------------


class Policy:
    """The merged ``[pii]`` settings: ``hook``, ``outbound`` (a mode of :data:`MODES`), ``kinds`` (None: all
    but ip), ``regions``, ``ip``; ``sources`` names the files that set something, ``notes`` the files
    ignored (a project file not approved) and settings that were not understood."""

    __slots__ = ("hook", "ip", "kinds", "notes", "outbound", "regions", "sources")

    def __init__(self) -> None:
        self.hook = False
        self.outbound = "off"
        self.kinds: set[str] | None = None
        self.regions: list[str] = []
        self.ip = False
        self.sources: list[str] = []
        self.notes: list[str] = []

    @property
    def active(self) -> bool:
        return self.hook or self.outbound != "off"

    def enabled(self) -> list[str]:
        """The kinds in force (``ip`` adds the two IP kinds)."""
        chosen = [k for k in KINDS if k not in IP_KINDS] if self.kinds is None else sorted(self.kinds - set(IP_KINDS))
        return chosen + (list(IP_KINDS) if self.ip or (self.kinds and self.kinds & set(IP_KINDS)) else [])

    def merge(self, section: object, where: str) -> None:
        """Add one file's ``[pii]`` table: only ever stricter (see the module's docstring)."""
        if not isinstance(section, dict):
            self.notes.append(f"{where}: [pii] is not a table (ignored)")
            return
        self.sources.append(where)
        if section.get("hook") is True:
            self.hook = True
        mode = section.get("outbound")
        if isinstance(mode, str) and mode in MODES:
            if MODES.index(mode) > MODES.index(self.outbound):
                self.outbound = mode
        elif mode is not None:
            self.notes.append(f"{where}: [pii] outbound {mode!r} is not one of {', '.join(MODES)} (ignored)")
        kinds = section.get("kinds")
        if isinstance(kinds, list):
            known = {k for k in kinds if isinstance(k, str) and k in KINDS}
            unknown = [k for k in kinds if k not in known]
            if unknown:
                self.notes.append(f"{where}: [pii] kinds {unknown!r} unknown (ignored)")
            if self.kinds is not None or not self.sources[:-1]:  # a first list narrows "all"; later ones add
                self.kinds = (self.kinds or set()) | known
        regions = section.get("regions")
        if isinstance(regions, list):
            for r in regions:
                if isinstance(r, str) and len(r) == 2 and r.isalpha() and r.upper() not in self.regions:
                    self.regions.append(r.upper())
        if section.get("ip") is True:
            self.ip = True

    def to_dict(self) -> dict:
        return {
            "hook": self.hook,
            "outbound": self.outbound,
            "kinds": self.enabled(),
            "regions": list(self.regions),
            "sources": list(self.sources),
        }


def policy(project_dir: str | None = None, read: "dict[str, bytes | None] | None" = None) -> Policy:
    """The ``[pii]`` policy for a project: the user's files, then the project's approved ones. ``read``: the user's
    files as :func:`auditkit.trail.config.pii_files` read them (by path; a path not in it is read here)."""
    p = Policy()
    folder = config.config_dir()
    if project_dir and os.path.abspath(folder).startswith(os.path.abspath(project_dir).rstrip("/") + "/"):
        from auditkit.trail import trust  # a settings `env` pointed the config folder into the project

        folder = trust.user_dir(project_dir)  # as for rules.toml: a repository's folder is not the user's
    for path in (os.path.join(folder, config.RULES_FILE), os.path.join(folder, config.SETTINGS_FILE)):
        data = _read(path) if read is None or path not in read else _with_pii(read[path])
        if data is not None:
            _merge_file(p, path, data)
    if project_dir:
        for name in (config.PROJECT_RULES_FILE, config.PROJECT_SETTINGS_FILE):
            path = config.project_file(project_dir, name)
            if not os.path.isfile(path):
                continue
            from auditkit.trail import trust  # only when a project ships auditkit files: the usual path never pays

            data = trust.read_file(path)
            if data is None or b"pii" not in data:
                continue
            ok, said = trust.status(path, project_dir, data)
            if ok:
                _merge_file(p, path, data)
            else:
                p.notes.append(f"project [pii] ignored: {said}")
    return p


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(1 << 20)
    except OSError:
        return None
    return _with_pii(data)


def _with_pii(data: bytes | None) -> bytes | None:
    return data if data is not None and b"pii" in data else None  # no [pii] table: no parse at all (the usual path)


def _merge_file(p: Policy, path: str, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        p.notes.append(f"{path}: cannot read [pii] ({exc})")
        return
    section = quick_table(text)
    if section is None:  # another form than the plain one docs/pii.md shows: the real parser (~20 ms to import)
        import tomllib  # only for a file whose [pii] the quick reader does not take

        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            p.notes.append(f"{path}: cannot read [pii] ({exc})")
            return
        if "pii" not in doc:
            return
        section = doc["pii"]
    elif section is False:
        return
    p.merge(section, path)


_BAD = object()


def quick_table(text: str) -> "dict | bool | None":
    """The ``[pii]`` table of a TOML file written plainly (``key = true``, ``key = "text"``, ``key = ["a", "b"]``
    on one line each, comments on their own lines), without :mod:`tomllib` (importing it costs the hook ~20 ms);
    False when the file has no such table; None when ``pii`` appears in any other form (dotted keys, inline
    tables, a second ``[pii]``, escapes): then the caller reads the file with :mod:`tomllib`, which decides."""
    table: dict | None = None
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if line == "[pii]" and table is None:
                table, inside = {}, True
                continue
            if "pii" in line:
                return None
            inside = False
            continue
        if not inside:
            if "pii" in line:
                return None
            continue
        key, eq, value = line.partition("=")
        key = key.strip()
        parsed = _plain_value(value.strip())
        if not eq or not key.replace("_", "").isalnum() or parsed is _BAD or key in table:  # type: ignore[operator]
            return None
        table[key] = parsed  # type: ignore[index]
    return False if table is None else table


def _plain_value(value: str) -> object:
    if value in ("true", "false"):
        return value == "true"
    if len(value) >= 2 and value[0] == value[-1] == '"' and not any(c in value[1:-1] for c in '"\\#'):
        return value[1:-1]
    if value.startswith("[") and value.endswith("]"):
        items = [v.strip() for v in value[1:-1].split(",")]
        if items and items[-1] == "":
            items.pop()
        out = [_plain_value(v) for v in items]
        return _BAD if any(not isinstance(v, str) for v in out) else out
    return _BAD


# --- the hook's detectors --------------------------------------------------------------------------------


def normal(kind: str, value: str) -> str:
    """The form a value is fingerprinted in: the same person gives the same marker however it was written."""
    if kind == "pii-email":
        return value.lower()
    if kind == "pii-phone":
        return "+" + "".join(c for c in value if c.isdigit()) if value.startswith("+") else value
    return "".join(c for c in value if c.isalnum()).upper()


def email_ok(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    if ".." in value or local.lower() in _SERVICE_LOCALS:
        return False
    return domain.rsplit(".", 1)[-1].lower() not in _NOT_TLD


def iban_ok(value: str) -> bool:
    """Country length and the mod-97 check of ISO 13616."""
    compact = value.replace(" ", "")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def ssn_ok(value: str) -> bool:
    """A US SSN as issued: area not 000, 666 or 900-999; group not 00; serial not 0000; not a famous sample."""
    area, group, serial = value.split("-")
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return value not in ("078-05-1120", "219-09-9999", "457-55-5462")


def emails(text: str) -> list[tuple[int, int, str]]:
    """(start, end, address) of each e-mail address: found from its ``@`` (few in a text), not by trying the
    pattern at every letter."""
    out: list[tuple[int, int, str]] = []
    i = text.find("@")
    end = -1
    while i > 0:
        if i > end:
            left = _rx(_LOCAL_RUN).search(text, max(0, i - 65), i)
            if left is not None and left.end() - left.start() <= 64:
                m = _rx(EMAIL).match(text, left.start())
                if m is not None and m.end() > i and email_ok(m.group()):
                    out.append((m.start(), m.end(), m.group()))
                    end = m.end()
        i = text.find("@", i + 1)
    return out


_HOOK = (("pii-email", EMAIL, email_ok, "@"), ("pii-iban", IBAN, iban_ok, ""), ("pii-us-ssn", SSN, ssn_ok, "-"))


def hook_findings(text: str, kinds: "tuple[str, ...]" = HOOK_KINDS) -> list[tuple[str, int, int, str]]:
    """The hook subset's findings in ``text``: (rule id, start, end, value). Cheap: a text without ``@``,
    digits or a dash never runs a regex."""
    found: list[tuple[str, int, int, str]] = []
    for rid, pattern, ok, needs in _HOOK:
        if rid[4:] not in kinds:
            continue
        if needs and needs not in text:
            continue
        if rid == "pii-iban" and (len(text) < 15 or text.isdigit()):
            continue
        if rid == "pii-email":
            found += [(rid, s, e, v) for s, e, v in emails(text)]
            continue
        for m in _rx(pattern).finditer(text):
            if ok(m.group()):
                found.append((rid, m.start(), m.end(), m.group()))
    return found


class PiiRedactor(Redactor):
    """:class:`Redactor` plus the hook's personal-data kinds (:func:`hook_findings`); secrets win overlaps."""

    pii_kinds: "tuple[str, ...]" = HOOK_KINDS
    pii_policy: "Policy | None" = None

    def record_policy(self, fields: dict) -> None:
        """At a session's start, say in the record (``data.auditkit_pii``) what the ``[pii]`` policy is."""
        if fields.get("event") != "SessionStart" or self.pii_policy is None:
            return
        data = fields.get("data")
        if not isinstance(data, dict):
            data = fields["data"] = {} if data is None else {"value": data}
        data["auditkit_pii"] = {**self.pii_policy.to_dict(), "hook_kinds": list(self.pii_kinds)}

    def findings(self, text: str, _depth: int = 0, trie: bool = False) -> list[tuple[str, int, int, str]]:
        found = super().findings(text, _depth, trie)
        extra = [
            f
            for f in hook_findings(text, self.pii_kinds)
            if "[REDACTED:" not in f[3] and not any(s < f[2] and f[1] < e for _, s, e, _ in found)
        ]
        if not extra:
            return found
        return sorted(found + extra, key=lambda f: f[1])

    def marker(self, kind: str, secret: str) -> str:
        return super().marker(kind, normal(kind, secret) if kind.startswith("pii-") else secret)

    def quiet_strings(self, strings: list[str]) -> set[int]:
        """As :meth:`Redactor.quiet_strings`, less the strings that hold an ``@`` or an IBAN's or SSN's shape."""
        quiet = super().quiet_strings(strings)
        if not quiet:
            return quiet
        return {id(s) for s in strings if id(s) in quiet and "@" not in s and len(s.translate(_NO_DIGITS)) == len(s)}


def hook_redactor(project_dir: str, p: "Policy | None" = None) -> "Redactor | None":
    """A :class:`PiiRedactor` when the project's ``[pii]`` policy turns the hook on, else None."""
    p = p or policy(project_dir)
    if not p.hook:
        return None
    return with_pii_policy(PiiRedactor, project_dir, hook_kinds(p), p.notes, p)


def hook_kinds(p: Policy) -> tuple[str, ...]:
    """The kinds of :data:`HOOK_KINDS` the policy enables."""
    return tuple(k for k in HOOK_KINDS if k in p.enabled())
