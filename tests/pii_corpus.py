"""A labelled corpus for the personal-data detectors: fake values of every kind, placed where an agent's
trail holds them, and look-alikes that are not personal data.

Every value is generated here from a seeded random source with valid check digits (none is a real
person's): e-mail addresses, phone numbers (valid for their region, written international and national),
IBANs, BICs, card numbers, US SSNs and ITINs, UK NINOs, DE Steuer-IDs, FR NIRs, ES DNIs and NIEs, IT
codici fiscali, NL BSNs, IN Aadhaar numbers, BR CPFs, public IPv4 and IPv6 addresses.

``positives()`` gives (kind, placement, payload, value): a payload is a string (a command, an output,
file contents, a CSV row, an SQL result) or a JSON object (the value as a JSON value, or as a key).
``negatives()`` gives (label, payload): order numbers, versions, timestamps, hashes, phone-shaped ids,
UUIDs, port lists, private addresses, dates, amounts. ``REGIONS``: the ``[pii] regions`` the corpus is
written for (national phone numbers of these countries).
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import string
import uuid

REGIONS = ["US", "DE", "FR", "GB"]
PLACEMENTS = ("command", "output", "file", "json-value", "json-key", "csv", "sql")
FIRST = ["jane", "john", "maria", "lukas", "chloe", "aarav", "sofia", "liam", "emma", "noah", "mia", "pedro"]
LAST = ["doe", "muller", "martin", "rossi", "garcia", "dejong", "sharma", "silva", "smith", "dubois", "weber"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "acme-corp.io", "beispiel.de", "exemple.fr", "corp.co.uk"]
LABEL = {
    "email": "email",
    "phone": "phone",
    "iban": "iban",
    "bic": "BIC",
    "card": "card",
    "us-ssn": "ssn",
    "us-itin": "itin",
    "uk-nino": "nino",
    "de-steuer-id": "steuer_id",
    "fr-nir": "nir",
    "es-dni": "dni",
    "es-nie": "nie",
    "it-codice-fiscale": "codice_fiscale",
    "nl-bsn": "bsn",
    "in-aadhaar": "aadhaar",
    "br-cpf": "cpf",
    "ipv4": "client_ip",
    "ipv6": "client_ip",
}


class _Gen:
    def __init__(self, seed: int = 30) -> None:
        self.rng = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def email(self) -> str:
        r = self.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        local = r.choice([f"{first}.{last}", f"{first}{r.randint(1, 99)}", f"{first[0]}{last}", f"{first}+orders"])
        local = local.capitalize() if r.random() < 0.2 else local
        return f"{local}@{r.choice(DOMAINS)}"

    def phone(self) -> str:
        import phonenumbers as pn

        r = self.rng
        region = r.choice(["US", "DE", "FR", "GB", "IT", "ES", "NL", "IN", "BR"])
        kind = r.choice([pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE])
        example = pn.example_number_for_type(region, kind)
        while True:
            national = str(example.national_number)
            n = pn.PhoneNumber(country_code=example.country_code, national_number=int(national[:-4] + self.digits(4)))
            if pn.is_valid_number(n):
                break
        style = r.random()
        if region in REGIONS and style < 0.4:
            return pn.format_number(n, pn.PhoneNumberFormat.NATIONAL)
        if style < 0.75:
            return pn.format_number(n, pn.PhoneNumberFormat.INTERNATIONAL)
        return pn.format_number(n, pn.PhoneNumberFormat.E164)

    def iban(self) -> str:
        from schwifty import IBAN

        r = self.rng
        up = string.ascii_uppercase
        while True:
            country, bban = r.choice(
                [
                    ("DE", self.digits(18)),
                    ("NL", "".join(r.choice(up) for _ in range(4)) + self.digits(10)),
                    ("FR", self.digits(10) + self.digits(11) + self.digits(2)),
                    ("GB", "".join(r.choice(up) for _ in range(4)) + self.digits(14)),
                    ("ES", self.digits(20)),
                    ("IT", r.choice(up) + self.digits(10) + self.digits(12)),
                ]
            )
            moved = bban + country + "00"
            check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
            try:
                iban = IBAN(f"{country}{check:02d}{bban}")
            except ValueError:
                continue
            return iban.formatted if r.random() < 0.5 else iban.compact

    def bic(self) -> str:
        r = self.rng
        bank = "".join(r.choice(string.ascii_uppercase) for _ in range(4))
        country = r.choice(["DE", "FR", "GB", "NL", "ES", "IT", "US", "CH"])
        loc = r.choice(string.ascii_uppercase) + r.choice(string.ascii_uppercase + "2345")
        return bank + country + loc + (r.choice(["", "XXX", "100"]))

    def card(self) -> str:
        r = self.rng
        prefix, length = r.choice(
            [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16)]
        )
        body = prefix + self.digits(length - len(prefix) - 1)
        total = 0
        for i, ch in enumerate(reversed(body + "0")):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        number = body + str((10 - total % 10) % 10)
        if r.random() < 0.5 and length == 16:
            sep = r.choice([" ", "-"])
            return sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def ssn(self) -> str:
        r = self.rng
        while True:
            area = r.randint(1, 899)
            if area != 666:
                return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    def itin(self) -> str:
        from stdnum.us import itin

        while True:
            v = f"9{self.digits(2)}-{self.rng.choice([70, 71, 78, 80, 88, 90, 94, 99])}-{self.digits(4)}"
            if itin.is_valid(v):
                return v

    def nino(self) -> str:
        r = self.rng
        first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
        while True:
            prefix = r.choice(first) + r.choice(second)
            if prefix not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
                break
        d = self.digits(6)
        suffix = r.choice("ABCD")
        return f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}" if r.random() < 0.5 else f"{prefix}{d}{suffix}"

    def steuer_id(self) -> str:
        from stdnum.de import idnr

        while True:
            v = str(self.rng.randint(1, 9)) + self.digits(10)
            if idnr.is_valid(v):
                return f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}" if self.rng.random() < 0.5 else v

    def nir(self) -> str:
        r = self.rng
        while True:
            body = f"{r.randint(1, 2)}{r.randint(40, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 95):02d}{r.randint(1, 990):03d}{r.randint(1, 999):03d}"
            key = 97 - int(body) % 97
            v = f"{body}{key:02d}"
            if r.random() < 0.5:
                return f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
            return v

    def dni(self) -> str:
        n = self.rng.randint(10_000_000, 99_999_999)
        return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"

    def nie(self) -> str:
        p = self.rng.choice("XYZ")
        d = self.digits(7)
        return f"{p}{d}{'TRWAGMYFPDXBNJZSQVHLCKE'[int(str('XYZ'.index(p)) + d) % 23]}"

    def codice_fiscale(self) -> str:
        from stdnum.it import codicefiscale

        r = self.rng
        letters = string.ascii_uppercase
        body = (
            "".join(r.choice(letters) for _ in range(6))
            + f"{r.randint(40, 99):02d}"
            + r.choice("ABCDEHLMPRST")
            + f"{r.choice([r.randint(1, 28), r.randint(41, 68)]):02d}"
            + r.choice(letters)
            + self.digits(3)
        )
        return body + codicefiscale.calc_check_digit(body)

    def bsn(self) -> str:
        from stdnum.nl import bsn

        while True:
            v = str(self.rng.randint(1, 9)) + self.digits(8)
            if bsn.is_valid(v):
                return f"{v[:4]}.{v[4:6]}.{v[6:]}" if self.rng.random() < 0.5 else v

    def aadhaar(self) -> str:
        from stdnum import verhoeff
        from stdnum.in_ import aadhaar

        while True:
            body = str(self.rng.randint(2, 9)) + self.digits(10)
            v = body + verhoeff.calc_check_digit(body)
            if aadhaar.is_valid(v):
                return f"{v[:4]} {v[4:8]} {v[8:]}" if self.rng.random() < 0.5 else v

    def cpf(self) -> str:
        from stdnum.br import cpf

        while True:
            body = self.digits(9)
            v = body + cpf._calc_check_digits(body)
            if cpf.is_valid(v):
                return f"{v[:3]}.{v[3:6]}.{v[6:9]}-{v[9:]}" if self.rng.random() < 0.6 else v

    def ipv4(self) -> str:
        while True:
            ip = ipaddress.IPv4Address(self.rng.getrandbits(32))
            if ip.is_global:
                return str(ip)

    def ipv6(self) -> str:
        while True:
            ip = ipaddress.IPv6Address((0x2A00 << 112) | self.rng.getrandbits(112))
            if ip.is_global:
                return str(ip)

    def value(self, kind: str) -> str:
        return {
            "email": self.email,
            "phone": self.phone,
            "iban": self.iban,
            "bic": self.bic,
            "card": self.card,
            "us-ssn": self.ssn,
            "us-itin": self.itin,
            "uk-nino": self.nino,
            "de-steuer-id": self.steuer_id,
            "fr-nir": self.nir,
            "es-dni": self.dni,
            "es-nie": self.nie,
            "it-codice-fiscale": self.codice_fiscale,
            "nl-bsn": self.bsn,
            "in-aadhaar": self.aadhaar,
            "br-cpf": self.cpf,
            "ipv4": self.ipv4,
            "ipv6": self.ipv6,
        }[kind]()


def _place(g: _Gen, kind: str, placement: str, v: str) -> object:
    """``v`` where an agent's trail holds such a value."""
    r = g.rng
    name = f"{r.choice(FIRST).capitalize()} {r.choice(LAST).capitalize()}"
    label = LABEL[kind]
    n = r.randint(1, 99999)
    if placement == "command":
        return r.choice(
            [
                f"curl -s -X POST https://api.example.com/customers -d '{label}={v}' -H 'Accept: application/json'",
                f"psql -c \"SELECT * FROM customers WHERE {label} = '{v}'\"",
                f"grep -rn '{v}' ./fixtures/",
                f"python scripts/lookup.py --{label.replace('_', '-')} '{v}'",
            ]
        )
    if placement == "output":
        return r.choice(
            [
                f"Found customer #{n}: {name} <{label}: {v}>\nDone in 0.{r.randint(10, 99)}s",
                f"INFO  2026-11-{r.randint(10, 28)} 10:{r.randint(10, 59)}:01 updated record {n}, {label}={v}",
                f"1 row(s) affected\n{label}: {v}\n",
            ]
        )
    if placement == "file":
        return r.choice(
            [
                f'# fixture for the billing tests\ncustomer:\n  name: {name}\n  {label}: "{v}"\n  plan: pro\n',
                f"def test_lookup():\n    user = make_user(name={name!r}, {label}={v!r})\n    assert user.id > 0\n",
                f'[customer]\nname = "{name}"\n{label} = "{v}"\n',
            ]
        )
    if placement == "json-value":
        return {"customer": {"id": n, "name": name, label: v, "tier": r.choice(["gold", "free"])}}
    if placement == "json-key":
        return {"by_" + label: {v: {"orders": r.randint(1, 40), "last_seen": "2026-11-30"}}}
    if placement == "csv":
        return f"id,name,{label},country\n{n},{name},{v},{r.choice(['DE', 'FR', 'US', 'GB'])}\n"
    # sql: a psql result table
    return (
        f" id | name | {label} \n----+------+------\n {n} | {name} | {v} \n(1 row)\n"
        if r.random() < 0.5
        else f"+----+------------+\n| id | {label} |\n+----+------------+\n| {n} | {v} |\n+----+------------+\n"
    )


def positives(ip: bool = True) -> list[tuple[str, str, object, str]]:
    """(kind, placement, payload, value): every kind in every placement, 336 with ``ip`` (18 x 7 x ...)."""
    from auditkit.trail.pii_hook import IP_KINDS, KINDS

    g = _Gen()
    out = []
    kinds = [k for k in KINDS if ip or k not in IP_KINDS]
    for round_ in range(3):
        for kind in kinds:
            for placement in PLACEMENTS:
                if round_ == 2 and placement in ("json-key", "sql"):
                    continue
                v = g.value(kind)
                out.append((kind, placement, _place(g, kind, placement, v), v))
    return out


def negatives() -> list[tuple[str, object]]:
    """(label, payload): look-alikes of personal data that are none."""
    g = _Gen(seed=31)
    r = g.rng
    out: list[tuple[str, object]] = []
    for _ in range(24):
        out.append(("order number", f"Order ORD-{r.randint(2020, 2026)}-{g.digits(6)} shipped, invoice #{g.digits(9)}"))
        out.append(
            (
                "version",
                f"Successfully installed pandas-{r.randint(1, 3)}.{r.randint(0, 20)}.{r.randint(0, 9)} numpy-{r.randint(1, 2)}.{r.randint(0, 26)}.{r.randint(0, 9)} (python 3.{r.randint(8, 13)}.{r.randint(0, 12)})",
            )
        )
        out.append(
            (
                "version 4 parts",
                f"Chrome/{r.randint(100, 130)}.0.{g.digits(4)}.{r.randint(10, 200)} Safari/537.36, build 10.{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}",
            )
        )
        out.append(
            (
                "timestamp",
                f'{{"ts": "2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{g.digits(6)}Z", "epoch_ms": 17{g.digits(11)}, "stamp": "2026{g.digits(10)}"}}',
            )
        )
        out.append(
            (
                "hash",
                f"commit {hashlib.sha1(g.digits(8).encode()).hexdigest()}\nsha256: {hashlib.sha256(g.digits(8).encode()).hexdigest()}",
            )
        )
        out.append(
            (
                "uuid",
                {
                    "request_id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
                    "trace": str(uuid.UUID(int=r.getrandbits(128), version=4)).upper(),
                },
            )
        )
        out.append(
            ("phone-shaped id", f"ticket_id={g.digits(10)} account={g.digits(11)} ref={g.digits(12)} job={g.digits(9)}")
        )
        out.append(
            (
                "port list",
                f"ports: {r.randint(1024, 9999)}, {r.randint(1024, 9999)}, {r.randint(1024, 9999)}; docker run -p {r.randint(1024, 9999)}:{r.randint(80, 9999)} -p 5432:5432 img",
            )
        )
        out.append(
            (
                "private address",
                f"listening on 10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}:8080, peer 192.168.{r.randint(0, 255)}.{r.randint(1, 254)}, lo 127.0.0.1, fe80::{r.randint(1, 9999):x}",
            )
        )
        out.append(
            (
                "date and amount",
                f"Invoice date {r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2026, due {r.randint(1, 12):02d}/{r.randint(1, 28):02d}/2026, total {r.randint(1, 999)},{g.digits(3)}.{g.digits(2)} EUR",
            )
        )
        out.append(
            (
                "email-like",
                f"git clone git@github.com:org/repo{r.randint(1, 99)}.git; npm i @types/node@{r.randint(14, 22)}.{r.randint(0, 9)}.{r.randint(0, 9)}; img icon@2x.png; user@localhost; python@{r.randint(3, 3)}.{r.randint(9, 13)}",
            )
        )
        out.append(
            (
                "line and column",
                f"src/app/models.py:{r.randint(1, 2000)}:{r.randint(1, 80)}: E501 line too long ({r.randint(121, 300)} > 120 characters)",
            )
        )
        out.append(
            (
                "identifiers",
                f"const STATUS_CONTINUE = 100; INTERNAL ERROR; DEADBEEF; RESOURCE_EXHAUSTED; HTTPSTATUS; {''.join(r.choice(string.ascii_uppercase) for _ in range(8))}",
            )
        )
        out.append(
            (
                "mac and ipv6 local",
                f"ether {':'.join(f'{r.randint(0, 255):02x}' for _ in range(6))} inet6 fe80::{r.randint(1, 65535):x}:{r.randint(1, 65535):x} ::1",
            )
        )
        out.append(
            (
                "sql",
                f"SELECT id FROM orders WHERE id BETWEEN {g.digits(9)} AND {g.digits(9)} LIMIT {r.randint(10, 500)} OFFSET {r.randint(0, 10000)}",
            )
        )
        out.append(
            (
                "csv numbers",
                f"sku,qty,price,batch\n{g.digits(8)},{r.randint(1, 99)},{r.randint(1, 999)}.{g.digits(2)},{g.digits(12)}\n",
            )
        )
        out.append(
            (
                "duration and sizes",
                f"real 0m{r.randint(0, 59)}.{g.digits(3)}s; {r.randint(1, 999)} 123 456 bytes; 1 234 567 rows in {r.randint(1, 9)}.{g.digits(2)} s",
            )
        )
        out.append(
            (
                "coordinates",
                f"lat {r.randint(-89, 89)}.{g.digits(6)}, lon {r.randint(-179, 179)}.{g.digits(6)}; zoom 12",
            )
        )
        out.append(
            (
                "isbn and ids",
                f"ISBN 978-{r.randint(0, 9)}-{g.digits(2)}-{g.digits(6)}-{r.randint(0, 9)}; DOI 10.{g.digits(4)}/{g.digits(7)}; PMID {g.digits(8)}",
            )
        )
        out.append(
            (
                "hex and base",
                f"color #{g.digits(6)}; offset 0x{g.digits(8)}; mode 0o644; perms -rw-r--r--; inode {g.digits(11)}",
            )
        )
        out.append(
            (
                "json counts",
                {"rows": int(g.digits(9)), "bytes": int(g.digits(11)), "ms": int(g.digits(12)), "build": g.digits(9)},
            )
        )
        out.append(
            (
                "semver ranges",
                f'requires-python = ">=3.{r.randint(8, 11)}"; dep>={r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)},<{r.randint(10, 20)}.0; numpy 1.{r.randint(20, 26)}.{r.randint(0, 5)}.post{r.randint(1, 3)}',
            )
        )
        out.append(
            (
                "k8s",
                f"image: registry.example.com/app@sha256:{hashlib.sha256(g.digits(6).encode()).hexdigest()}\nresources: {{limits: {{memory: {r.randint(128, 4096)}Mi}}}}\nreplicas: {r.randint(1, 9)}",
            )
        )
        out.append(
            (
                "math",
                f"result = {r.randint(100, 999)} - {r.randint(10, 99)} - {r.randint(1000, 9999)}; x = [{g.digits(3)}, {g.digits(3)}, {g.digits(4)}]; 2**{r.randint(30, 64)} = {g.digits(12)}",
            )
        )
    return out


def leaked(value: str, payload: object) -> bool:
    """Whether ``value`` (or its digits-and-letters form) is anywhere in ``payload`` outside redaction markers
    (a marker's fingerprint is hex digits: it may hold four of a value's by chance)."""
    import json
    import re

    from auditkit.trail.redaction import MARKER_RE

    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    text = re.sub(MARKER_RE, " ", text)
    compact = "".join(c for c in value if c.isalnum())
    flat = "".join(c for c in text if c.isalnum())
    return value in text or (len(compact) >= 8 and compact in flat)
