"""Personal data (PII): the whole set of detectors, applied where records leave the machine.

The hook keeps the live trail byte-exact (or redacts its cheap subset, :mod:`auditkit.trail.pii_hook`);
this module is what runs at ``archive``, ``export``, ``ship`` and ``sync`` time and in ``scan --pii``:

- ``redact``: each value becomes ``[REDACTED:pii-<kind>:<fingerprint>]``, the same marker (and keyed
  fingerprint) as secrets, taken over a normal form of the value (lowercased e-mail, E.164 phone number,
  compact identifier), so one person can be followed across records and never read back;
- ``mask``: a part is kept (``j***@example.com``, ``**** **** **** 4242``, the last digits of an identifier);
- ``report``: nothing is changed; the findings are counted by kind.

Kinds (rule id ``pii-<kind>``): e-mail addresses; phone numbers (``+`` international, or national in a
region of ``[pii] regions`` or beside a word such as ``phone``), validated by ``phonenumbers``; IBANs and
BICs (``schwifty``; a BIC only beside ``BIC``/``SWIFT``); payment cards (network prefix, length, Luhn);
national and tax identifiers validated by their check digits with ``python-stdnum``: US SSN and ITIN,
UK NINO (format rules: it has no check digit), DE Steuer-ID, FR NIR, ES DNI and NIE, IT codice fiscale,
NL BSN, IN Aadhaar, BR CPF (the weak ones, a check digit in 10 or 11, only in their written form or
beside their name); public IPv4/IPv6 addresses with ``ip = true``. Street addresses are not detected.

``phonenumbers``, ``schwifty`` and ``python-stdnum`` are the ``pii`` extra: ``pip install 'auditkit[pii]'``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from auditkit.custody.secrets import redact, scan_files
from auditkit.errors import UsageError, extra_import
from auditkit.store.files import PathLike, open_lines
from auditkit.store.jsontext import json_line
from auditkit.trail import pii_hook
from auditkit.trail.pii_hook import EMAIL, IBAN, MODES, SSN, Policy, email_ok, iban_ok, normal, policy, ssn_ok
from auditkit.trail.redact_checks import luhn_ok
from auditkit.trail.redaction import Redactor

#: Words that say a number beside them is a phone number, a tax or national identifier (whole words).
_CONTEXT = {
    "phone": (
        "phone", "phones", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "telefon", "telefonnummer",
        "handy", "móvil", "movil", "portable", "contact", "call", "phone_number", "msisdn",
    ),
    "us-ssn": ("ssn", "social security", "social_security"),
    "de-steuer-id": (
        "steuer", "steuer-id", "steuerid", "idnr", "identifikationsnummer", "tax id", "tax_id", "taxid", "tin",
    ),
    "nl-bsn": ("bsn", "burgerservicenummer", "sofinummer"),
    "in-aadhaar": ("aadhaar", "aadhar", "uidai"),
    "br-cpf": ("cpf",),
    "bic": ("bic", "swift", "bic_code", "swift_code"),
}  # fmt: skip
_CONTEXT_RX = {
    k: re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words) + r")(?![a-z])")
    for k, words in _CONTEXT.items()
}
_NOT_NINO_PREFIX = frozenset(("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"))
#: mask: how many characters of a value's end stay readable
_KEEP_END = {"pii-card": 4, "pii-iban": 4, "pii-us-ssn": 4, "pii-us-itin": 4, "pii-phone": 2}


#: (kind, regex, needs: a character the text must hold, or ""). The kinds of :data:`_RUN_KINDS` run only
#: around runs of 7 digits or more (a few in most texts), the others over the whole text.
_PATTERNS: list[tuple[str, str, str]] = [
    ("email", EMAIL, "@"),
    ("iban", IBAN, ""),
    ("card", r"(?<![\d.+-])\d(?:[ -]?\d){12,18}(?![\dA-Za-z_-]|\.\d)", ""),
    ("us-ssn", SSN, "-"),
    ("us-ssn-bare", r"(?<![\d.-])\d{9}(?![\d-]|\.\d)", ""),
    ("us-itin", r"(?<![\d-])9\d{2}-[5-9]\d-\d{4}(?![\d-])", "-"),
    (
        "uk-nino",
        r"[A-CEGHJ-PR-TW-Z](?<![A-Za-z0-9][A-Z])[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])",
        "",
    ),
    ("de-steuer-id", r"(?<![\d.-])(?:\d{2} \d{3} \d{3} \d{3}|\d{11})(?![\d-]|\.\d)", ""),
    ("fr-nir", r"(?<![\dA-Za-z])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\dA-Za-z])", ""),
    ("es-dni", r"(?<![\dA-Za-z.])\d{8}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", ""),
    ("es-nie", r"(?<![A-Za-z0-9])[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", ""),
    (
        "it-codice-fiscale",
        r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{5}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])",
        "",
    ),
    ("nl-bsn", r"(?<![\d.-])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d-]|\.\d)", ""),
    ("in-aadhaar", r"(?<![\d-])(?:[2-9]\d{3} \d{4} \d{4}|[2-9]\d{11})(?![\d-]|\.\d)", ""),
    ("br-cpf", r"(?<![\d.-])(?:\d{3}\.\d{3}\.\d{3}-\d{2}|\d{11})(?![\d-]|\.\d)", ""),
    ("bic", r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{3}[A-Z]{2}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?(?![A-Za-z0-9])", ""),
    ("phone", r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[ .\-/]?\(?\d{1,5}\)?(?:[ .\-/]?\d{1,6}){1,5}(?![\w]|\.\d)", ""),
    (
        "phone-national",
        r"(?<![\w+.:/-])(?:\(\d{2,5}\) ?|\d{2,5}[ .\-/])\d{2,5}(?:[ .\-/]\d{2,5}){0,3}(?![\w]|[.:/-]\d)",
        "",
    ),
    ("ipv4", r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w.]|\.\d)", "."),
    ("ipv6", r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])", ":"),
]
#: Which patterns each kind of the policy needs.
_OF_KIND = {
    "us-ssn": ("us-ssn", "us-ssn-bare"),
    "phone": ("phone", "phone-national"),
}
_DOTTED = re.compile(r"^\d{1,4}(?:\.\d{1,4}){1,3}$")
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")


class Detector:
    """The whole set of personal-data detectors, for one policy (mode, kinds, regions)."""

    def __init__(
        self,
        mode: str = "redact",
        kinds: list[str] | None = None,
        regions: list[str] | None = None,
        ip: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        if mode not in MODES[1:]:
            raise UsageError(f"--pii {mode!r}: use one of redact, mask, report")
        with extra_import("personal-data detection (--pii, scan --pii)", "pii"):
            import phonenumbers
            import schwifty  # noqa: F401  # the BIC check: imported here so a missing extra is said up front
            from stdnum.br import cpf
            from stdnum.de import idnr
            from stdnum.es import dni, nie
            from stdnum.fr import nir
            from stdnum.in_ import aadhaar
            from stdnum.it import codicefiscale
            from stdnum.nl import bsn
            from stdnum.us import itin, ssn
        self._phonenumbers = phonenumbers
        self.mode = mode
        chosen = [k for k in pii_hook.KINDS if k not in pii_hook.IP_KINDS] if kinds is None else list(kinds)
        if ip:
            chosen += [k for k in pii_hook.IP_KINDS if k not in chosen]
        self.kinds = chosen
        self.regions = [r.upper() for r in regions or []] or ["US", "GB"]
        self._redactor = redactor or Redactor()
        names = {n for k in chosen for n in _OF_KIND.get(k, (k,))}
        self._patterns = [(k, re.compile(rx), needs) for k, rx, needs in _PATTERNS if k in names]
        self._checks: dict[str, Callable[[str], bool]] = {
            "email": email_ok,
            "iban": iban_ok,
            "card": luhn_ok,
            "us-ssn": lambda v: ssn_ok(v) and ssn.is_valid(v),
            "us-ssn-bare": ssn.is_valid,
            "us-itin": itin.is_valid,
            "uk-nino": _nino_ok,
            "de-steuer-id": idnr.is_valid,
            "fr-nir": nir.is_valid,
            "es-dni": dni.is_valid,
            "es-nie": nie.is_valid,
            "it-codice-fiscale": codicefiscale.is_valid,
            "nl-bsn": bsn.is_valid,
            "in-aadhaar": aadhaar.is_valid,
            "br-cpf": cpf.is_valid,
            "bic": _bic_ok,
            "phone": self._phone_ok,
            "phone-national": self._national_ok,
            "ipv4": _ip_ok,
            "ipv6": _ip_ok,
        }

    @classmethod
    def from_policy(cls, p: Policy, mode: str | None = None) -> Detector:
        return cls(mode or p.outbound, [k for k in p.enabled() if k not in pii_hook.IP_KINDS], p.regions, p.ip)

    # --- finding ---------------------------------------------------------------------------------------

    def findings(self, text: str, context: str = "") -> list[tuple[str, int, int, str]]:
        """Every personal-data value in ``text`` as (rule id, start, end, value), earlier kinds winning
        overlaps. ``context``: the JSON key or column the text sits under (``phone``, ``ssn``)."""
        if len(text) < 5:
            return []
        windows: list[tuple[int, int]] | None = None
        found: list[tuple[str, int, int, str]] = []
        for kind, rx, needs in self._patterns:
            if needs and needs not in text:
                continue
            if kind == "email":
                found += [("pii-email", s, e, v) for s, e, v in pii_hook.emails(text) if not _overlaps(found, s, e)]
                continue
            if kind in _RUN_KINDS:
                if windows is None:  # around each run of 7+ digits (separators between): where such values sit
                    windows = [(max(0, m.start() - 6), m.end() + 3) for m in _RUN.finditer(text)]
                spans: list[tuple[int, int]] = windows
            elif (kind == "bic" and not _CONTEXT_RX["bic"].search((context + " " + text).lower())) or (
                kind in ("uk-nino", "it-codice-fiscale") and _DIGIT.search(text) is None
            ):
                continue
            else:
                spans = [(0, len(text))]
            for lo, hi in spans:
                for m in rx.finditer(text, lo, hi):
                    start, end = m.span()
                    value = m.group()
                    if _overlaps(found, start, end) or not self._valid(kind, value, text, start, context):
                        continue
                    found.append((_rule_id(kind), start, end, value))
        found.sort(key=lambda f: f[1])
        return [f for f in found if not _in_marker(text, f[1])]

    def _valid(self, kind: str, value: str, text: str, start: int, context: str) -> bool:
        weak = kind in ("us-ssn-bare", "nl-bsn", "in-aadhaar", "br-cpf", "de-steuer-id", "bic")
        if weak and not _written_form(kind, value) and not _near(kind, text, start, context):
            return False
        national = kind == "phone-national" and not (value.startswith("(") or _near("phone", text, start, context))
        if national and not (value[0] == "0" and self._trunk_region()):
            return False
        try:
            return bool(self._checks[kind](value))
        except Exception:  # a validator's own error on a shape it did not expect: not a value of the kind
            return False

    def _trunk_region(self) -> bool:
        """Whether a hinted region writes national numbers with a leading 0 (DE, FR, GB, NL, IN, BR...)."""
        return any(r not in ("US", "CA", "IT", "ES") for r in self.regions)

    def _phone_ok(self, value: str) -> bool:
        pn = self._phonenumbers
        if value.startswith("00"):
            value = "+" + value[2:]
        if value.count(".") == 1:  # a decimal number (+35236450.6), not a number written with dots
            return False
        digits = sum(c.isdigit() for c in value)
        if not 8 <= digits <= 15:
            return False
        try:
            return bool(pn.is_valid_number(pn.parse(value, None)))
        except pn.NumberParseException:
            return False

    def _national_ok(self, value: str) -> bool:
        if _DATE.match(value) or _DOTTED.match(value):
            return False  # a date, a version, an address
        digits = sum(c.isdigit() for c in value)
        if not 7 <= digits <= 12:
            return False
        pn = self._phonenumbers
        for region in self.regions:
            try:
                if pn.is_valid_number(pn.parse(value, region)):
                    return True
            except pn.NumberParseException:
                continue
        return False

    # --- applying the mode ----------------------------------------------------------------------------

    def replacement(self, kind: str, value: str) -> str:
        """The marker (redact) or the partial value (mask) that stands for ``value``."""
        if self.mode == "mask":
            return mask(kind, value)
        return self._redactor.marker(kind, self.normal(kind, value))

    def normal(self, kind: str, value: str) -> str:
        if kind == "pii-phone" and not value.startswith("+"):
            pn = self._phonenumbers
            for region in self.regions:
                try:
                    n = pn.parse(value, region)
                except pn.NumberParseException:
                    continue
                if pn.is_valid_number(n):
                    return str(pn.format_number(n, pn.PhoneNumberFormat.E164))
        return normal(kind, value.replace("00", "+", 1) if value.startswith("00") else value)

    def fingerprint(self, kind: str, value: str) -> str:
        return self._redactor.fingerprint(self.normal(kind, value))

    def apply_text(self, text: str, context: str = "", counts: Counter | None = None) -> tuple[str, int]:
        """``text`` with each value replaced as the mode says (``report``: unchanged); how many were found."""
        found = self.findings(text, context)
        if counts is not None:
            counts.update(f[0] for f in found)
        if not found or self.mode == "report":
            return text, len(found)
        out, pos = [], 0
        for kind, start, end, value in found:
            out += [text[pos:start], self.replacement(kind, value)]
            pos = end
        out.append(text[pos:])
        return "".join(out), len(found)

    def apply_value(self, value: object, context: str = "", counts: Counter | None = None) -> tuple[object, int]:
        """A JSON value with every string (and object key) handled as :meth:`apply_text` does; structure kept."""
        if isinstance(value, str):
            return self.apply_text(value, context, counts)
        if isinstance(value, dict):
            total, out = 0, {}
            for k, v in value.items():
                key, n = self.apply_text(k, context, counts) if isinstance(k, str) else (k, 0)
                out[key], m = self.apply_value(v, k if isinstance(k, str) else context, counts)
                total += n + m
            return out, total
        if isinstance(value, list):
            total, items = 0, []
            for v in value:
                item, n = self.apply_value(v, context, counts)
                items.append(item)
                total += n
            return items, total
        if isinstance(value, int) and not isinstance(value, bool) and context:
            text = str(value)
            clean, n = self.apply_text(text, context, counts)
            return (clean if n and self.mode != "report" else value), n
        return value, 0

    # what custody.secrets.redact calls: its redacted copy becomes a minimised one
    def redact_text(self, text: str) -> tuple[str, int]:
        return self.apply_text(text)

    def redact_value(self, value: object) -> tuple[object, int]:
        return self.apply_value(value)

    def record(self, fields: dict, counts: Counter | None = None) -> tuple[dict, int]:
        """A trail record's fields minimised: its payload (``tool_input``, ``tool_response``, ``error``,
        ``data``: commands, outputs, file contents, prompts), as ``auditkit redact`` treats secrets. The
        record's frame (time, event, session, user, host, chain) is kept: it is the audit trail's own."""
        out, total = dict(fields), 0
        for k in PAYLOAD_FIELDS:
            if k in out:
                out[k], n = self.apply_value(out[k], k, counts)
                total += n
        return out, total


#: The fields of a record that carry what the agent saw and did (what ``redact`` redacts too).
PAYLOAD_FIELDS = ("tool_input", "tool_response", "error", "data")
_CHAIN_FIELDS = frozenset(("v", "seq", "ts", "prev", "hash", "event", "status", "session_id", "tool_use_id"))
_DIGIT = re.compile(r"\d")
_RUN = re.compile(r"\d(?<!\d\d)(?:[ .\-/()]{0,2}\d){6,}")
_RUN_KINDS = frozenset((
    "card", "us-ssn", "us-ssn-bare", "us-itin", "de-steuer-id", "fr-nir", "es-dni", "es-nie", "nl-bsn", "in-aadhaar",
    "br-cpf", "phone", "phone-national",
))  # fmt: skip


def _overlaps(found: list[tuple[str, int, int, str]], start: int, end: int) -> bool:
    return any(s < end and start < e for _, s, e, _ in found)


def _rule_id(kind: str) -> str:
    base = {"us-ssn-bare": "us-ssn", "phone-national": "phone"}.get(kind, kind)
    return f"pii-{base}"


def _in_marker(text: str, start: int) -> bool:
    """Whether ``start`` lies inside a ``[REDACTED:...]`` marker (its fingerprint is no value)."""
    opened = text.rfind("[REDACTED:", 0, start + 1)
    return opened >= 0 and text.find("]", opened) >= start


def _written_form(kind: str, value: str) -> bool:
    """A weak identifier in the form it is written in on paper (a check digit in 10 needs more than digits)."""
    if kind == "de-steuer-id":
        return " " in value
    if kind == "nl-bsn":
        return "." in value
    if kind == "in-aadhaar":
        return " " in value
    if kind == "br-cpf":
        return "." in value
    return False


def _near(kind: str, text: str, start: int, context: str) -> bool:
    rx = _CONTEXT_RX.get("us-ssn" if kind == "us-ssn-bare" else kind)
    return rx is not None and rx.search((context + " " + text[max(0, start - 80) : start]).lower()) is not None


def _nino_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    return compact[:2] not in _NOT_NINO_PREFIX


def _bic_ok(value: str) -> bool:
    from schwifty import BIC  # imported in Detector under extra_import; here for the class

    try:
        BIC(value)
    except ValueError:
        return False
    return True


def _ip_ok(value: str) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return bool(ip.is_global)


def mask(kind: str, value: str) -> str:
    """A partial value: an e-mail's first character and domain, the last digits of a number, every other
    letter or digit as ``*`` (separators kept)."""
    if kind == "pii-email":
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    keep = _KEEP_END.get(kind, 2)
    if kind == "pii-iban":
        return value[:2] + _stars(value[2:], keep)
    return _stars(value, keep)


def _stars(value: str, keep: int) -> str:
    seen = 0
    out = []
    for c in reversed(value):
        if c.isalnum():
            seen += 1
            out.append(c if seen <= keep else "*")
        else:
            out.append(c)
    return "".join(reversed(out))


# --- where personal data sits --------------------------------------------------------------------------


@dataclass
class PiiFinding:
    """Personal data in a file: where (file, line, field), what kind, how many; never the value."""

    file: str
    line: int
    field: str | None
    kind: str
    count: int
    fingerprints: list[str] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        where = f" in {self.field}" if self.field else ""
        return f"{self.file}:{self.line}: {self.count} x {self.kind}{where}"

    def to_dict(self) -> dict:
        return asdict(self)


def _strings(value: object, path: str) -> Iterator[tuple[str, str, str]]:
    """(json path, context key, text) of every string and object key in a JSON value."""
    if isinstance(value, str):
        yield path, path.rsplit(".", 1)[-1], value
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            yield f"{path}{{key}}" if path else "{key}", path.rsplit(".", 1)[-1], key
            yield from _strings(v, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, path.rsplit(".", 1)[-1], str(value)


def scan_pii(paths: PathLike | list[PathLike], detector: Detector | None = None) -> list[PiiFinding]:
    """Where personal data sits in trails, transcripts and text files: one finding per file, line, field and
    kind, with a count and the keyed fingerprints (never the value)."""
    d = detector or Detector.from_policy(policy(os.getcwd()), "report")
    out: list[PiiFinding] = []
    for f in scan_files(paths):
        for n, raw in enumerate(open_lines(f), 1):
            if not raw.strip():
                continue
            obj = json_line(raw)
            if obj is None:
                texts: Iterator[tuple[str, str, str]] = iter([("", "", raw.decode("utf-8", "replace"))])
            else:
                if isinstance(obj, dict) and "seq" in obj:
                    obj = {k: v for k, v in obj.items() if k not in _CHAIN_FIELDS}
                texts = _strings(obj, "")
            by: dict[tuple[str, str], list[str]] = {}
            for path, context, text in texts:
                for kind, _, _, value in d.findings(text, context):
                    by.setdefault((path, kind), []).append(d.fingerprint(kind, value))
            for (path, kind), prints in by.items():
                out.append(PiiFinding(str(f), n, path or None, kind, len(prints), sorted(set(prints))))
    return out


# --- minimised copies ---------------------------------------------------------------------------------


def minimise_file(src: PathLike, dst: PathLike, detector: Detector) -> dict:
    """Write a minimised copy of a trail (a new chain naming its source, as ``auditkit redact`` writes),
    transcript or text file; return counts by kind. ``report`` writes nothing."""
    counts: Counter = Counter()
    if detector.mode == "report":
        for line in open_lines(Path(src)):
            detector.apply_text(line.decode("utf-8", "replace"), "", counts)
        return {"mode": "report", "found": dict(counts), "written": None}
    adaptor = _Counting(detector, counts)
    out = redact(src, dst, adaptor)  # type: ignore[arg-type]  # the Redactor interface redact reads
    return {"mode": detector.mode, "found": dict(counts), "written": str(dst), "lines": out["lines"]}


class _Counting:
    """A :class:`Detector` as ``redact`` reads a redactor, counting what it finds by kind."""

    def __init__(self, d: Detector, counts: Counter) -> None:
        self.d, self.counts = d, counts

    def redact_text(self, text: str) -> tuple[str, int]:
        return self.d.apply_text(text, "", self.counts)

    def redact_value(self, value: object) -> tuple[object, int]:
        return self.d.apply_value(value, "", self.counts)


def choice(mode: str | None, project: str | None = None) -> tuple[Detector | None, dict]:
    """The detector for a command's ``--pii`` (None: the ``[pii] outbound`` setting) and the statement of the
    choice every manifest and pack header carries: ``{"mode", "kinds", "regions", "set_by"}``."""
    p = policy(project or os.getcwd())
    chosen = mode or p.outbound
    said: dict = {
        "mode": chosen,
        "set_by": "--pii" if mode else (", ".join(p.sources) or "default (off)"),
        "configured": p.outbound,
    }
    if chosen == "off":
        return None, said
    d = Detector.from_policy(p, chosen)
    said.update(kinds=d.kinds, regions=d.regions)
    return d, said


#: Where ``archive --pii`` keeps a segment's minimised copy: a hidden folder beside the trail, which readers
#: and scans of the trail's folder skip (the copy is a new chain naming its source, not one of the trail's).
MINIMISED_FOLDER = ".pii"


def minimised_segment(segment: Path, detector: Detector, folder: Path | None = None) -> tuple[Path | None, dict]:
    """A gzipped minimised copy of an archived segment (``report``: none), and its manifest (the choice, the
    counts by kind, the source's name and SHA-256), both written under ``<trail folder>/.pii/``."""
    import gzip
    import hashlib
    import json
    import tempfile

    folder = folder or segment.parent / MINIMISED_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = segment.name.removesuffix(".gz").removesuffix(".jsonl")
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        plain = Path(tmp) / "copy.jsonl"
        done = minimise_file(segment, plain, detector)
        out = None
        if detector.mode != "report":
            out = folder / f"{stem}.pii-{detector.mode}.jsonl.gz"
            with open(plain, "rb") as src, open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(src.read())
            os.chmod(out, 0o600)
    manifest = {
        "source": segment.name,
        "source_sha256": hashlib.sha256(segment.read_bytes()).hexdigest(),
        "pii": {"mode": detector.mode, "kinds": detector.kinds, "regions": detector.regions},
        "found": done["found"],
        "copy": out.name if out else None,
    }
    (folder / f"{stem}.pii.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return out, manifest
