"""Secrets in shapes no rule listed before issue #30 (round three), generated fresh for each seed.

Four classes: vendor tokens without a fixed prefix or passed by flag; keys and seeds; credentials in
commands and configuration; encodings (escapes, percent-encoding, base64 thrice, hex, reversed text, a
token split by concatenation). Names, quoting and placement vary with the seed, so the rules are measured
on the class, not on one string. ``cases(seed)`` gives (class, expected rule id, text, secret, where):
``secret`` is what must not reach the disk (the credential, or the encoded run holding it), ``where`` the part of a tool call the
text sits in. ``hook_leaks`` pipes each through a hook script as a subprocess and counts what reaches
the trail whole, and in part (a 12-character piece of the secret).

    PYTHONPATH=. python tests/secret_adversarial.py [--hook OTHER/hook/auditkit_hook.py] [--seed 7]
"""

from __future__ import annotations

import base64
import json
import random
import string
import urllib.parse
import uuid

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
LOWD = string.ascii_lowercase + string.digits
WHERE = ("command", "write", "stdout", "prompt")


class _G:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, *options: str) -> str:
        return self.rng.choice(options)

    def tok(self, n: int, alphabet: str = ALNUM) -> str:
        """Random, with letters of both cases and digits (what a generated credential looks like)."""
        while True:
            t = self.s(alphabet, n)
            if sum(c.isdigit() for c in t) >= 2 and any(c.isalpha() for c in t):
                return t

    def password(self) -> str:
        return self.tok(self.rng.randint(12, 18), ALNUM + "!#%^*") + self.s(string.digits, 2)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def lit(self, value: str) -> str:
        """``value`` as a string literal, in single or double quotes."""
        quote = self.pick("'", '"')
        return quote + value + quote

    def q(self, value: str) -> str:
        """``value`` quoted either way, or bare."""
        return self.pick(self.lit(value), value)


def _discord(g: _G) -> str:
    snowflake = str(g.rng.randint(10**17, 10**19))
    head = base64.b64encode(snowflake.encode()).decode().rstrip("=")
    return f"{head}.{g.s(ALNUM + '_-', 6)}.{g.s(ALNUM + '_-', g.rng.randint(27, 38))}"


def _vendor(g: _G) -> list[tuple[str, str, str, str, str]]:
    out = []
    doppler = "dp.st." + g.pick("prd", "dev", "stg", "ci_main") + "." + g.s(ALNUM, 40)
    flag = g.pick("--token ", "--token=", "-t ")
    out.append(("vendor", "doppler-token", f"doppler secrets download --no-file {flag}{doppler}", doppler, "command"))
    out.append(("vendor", "doppler-token", f"DOPPLER_TOKEN={doppler} doppler run -- ./serve", doppler, "command"))
    pub = g.s(HEX, 32)
    host = g.pick(f"o{g.rng.randint(10**5, 10**6)}.ingest.sentry.io", "sentry.acme.example", "o1.ingest.us.sentry.io")
    out.append(
        (
            "vendor",
            "sentry-dsn-key",
            f'sentry_sdk.init(dsn="https://{pub}@{host}/{g.rng.randint(2, 9999)}")',
            pub,
            "write",
        )
    )
    pub2 = g.s(HEX, 32)
    out.append(("vendor", "sentry-dsn-key", f"Sentry.init({{ dsn: 'https://{pub2}@{host}/42' }});", pub2, "write"))
    mg = f"{g.s(HEX, 32)}-{g.s(HEX, 8)}-{g.s(HEX, 8)}"
    out.append(("vendor", "mailgun-api-key", f"MAILGUN_API_KEY={g.q(mg)}", mg, "write"))
    mg2 = f"{g.s(HEX, 32)}-{g.s(HEX, 8)}-{g.s(HEX, 8)}"
    out.append(
        (
            "vendor",
            "cli-user-password",
            f"curl -s --user 'api:{mg2}' https://api.mailgun.net/v3/mg.acme.example/messages",
            mg2,
            "command",
        )
    )
    d = _discord(g)
    fn = g.pick("client.run", "bot.run", "app.start", "await client.login", "self.client.run")
    out.append(("vendor", "discord-bot-token", f"{fn}({g.lit(d)})", d, "write"))
    d2 = _discord(g)
    out.append(("vendor", "discord-bot-token", f"python bot.py  # uses {d2}", d2, "stdout"))
    asana = f"{g.pick('1', '2')}/{g.s(string.digits, 16)}{'/' + g.s(string.digits, 16) if g.rng.random() < 0.5 else ''}:{g.s(HEX, 32)}"
    out.append(
        (
            "vendor",
            "asana-pat",
            f"curl -H 'Authorization: Bearer {asana}' https://app.asana.com/api/1.0/users/me",
            asana.rsplit(":", 1)[1],  # <version>/<user id>[/<app id>]:<secret>: the ids are public
            "command",
        )
    )
    asana2 = f"2/{g.s(string.digits, 16)}/{g.s(string.digits, 16)}:{g.s(HEX, 32)}"
    out.append(("vendor", "asana-pat", f"client = asana.Client.access_token({g.q(asana2)})", asana2[-32:], "write"))
    ado = g.s("abcdefghijklmnopqrstuvwxyz234567", 52)
    name = g.pick("$pat", "$PersonalAccessToken", "$adoPat", "$env:AZURE_PAT")
    out.append(
        (
            "vendor",
            "secret-here-string",
            f'{name} = @"\n{ado}\n"@\n$b64 = [Convert]::ToBase64String($pat)',
            ado,
            "write",
        )
    )
    ado2 = g.s(ALNUM, 76) + "AZDO" + g.s(ALNUM, 4)
    out.append(
        (
            "vendor",
            "azure-devops-pat-v2",
            f"az devops login --org https://dev.azure.com/acme <<< {ado2}",
            ado2,
            "command",
        )
    )
    for prefix in g.rng.sample(("sdk-", "mob-", "api-"), 2):
        ld = prefix + g.uuid()
        out.append(("vendor", "launchdarkly-key", f"ldclient.set_config(Config({g.q(ld)}))", ld, "write"))
    seg = g.s(ALNUM, 32)
    out.append(("vendor", "segment-write-key", f'analytics.load("{seg}");', seg, "write"))
    seg2 = g.s(ALNUM, 32)
    out.append(("vendor", "secret-name-assignment", f"export SEGMENT_WRITE_KEY={seg2}", seg2, "command"))
    alg = g.s(HEX, 32)
    out.append(
        (
            "vendor",
            "algolia-client-key",
            f"client = SearchClient.create({g.lit(g.s(string.ascii_uppercase + string.digits, 10))}, {g.lit(alg)})",
            alg,
            "write",
        )
    )
    alg2 = g.s(HEX, 32)
    out.append(
        (
            "vendor",
            "algolia-client-key",
            f"const c = algoliasearch('{g.s(string.ascii_uppercase, 10)}', '{alg2}');",
            alg2,
            "write",
        )
    )
    return out


def _keys(g: _G) -> list[tuple[str, str, str, str, str]]:
    out = []
    eth = "0x" + g.s(HEX, 64)
    flag = g.pick("--private-key", "--private-key=", "--pk")
    sep = "" if flag.endswith("=") else " "
    out.append(
        (
            "keys",
            "ethereum-private-key",
            f"cast send 0xAbC {g.pick('transfer()', 'mint()')} {flag}{sep}{eth}",
            eth,
            "command",
        )
    )
    eth2 = "0x" + g.s(HEX, 64)
    code = g.pick(
        "const wallet = new ethers.Wallet({v}, provider);",
        "acct = Account.from_key({v})",
        "const account = privateKeyToAccount({v});",
        "signer = w3.eth.account.from_key({v})",
    )
    out.append(("keys", "ethereum-private-key", code.format(v=f"'{eth2}'"), eth2, "write"))
    eth3 = g.s(HEX, 64)
    out.append(("keys", "key-cli-flag", f"forge script Deploy --broadcast --private-key {eth3}", eth3, "command"))
    wg = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(32))).decode()
    out.append(("keys", "base64-256-bit-key", wg, wg, "stdout"))
    wg2 = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(32))).decode()
    out.append(("keys", "secret-assignment", f"[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = {wg2}\n", wg2, "write"))
    wg3 = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(32))).decode()
    out.append(("keys", "base64-256-bit-key", f"$ wg genkey | tee wg0.key\n{wg3}\n", wg3, "stdout"))
    seed = g.s(B32, g.pick(16, 32))
    key = g.pick("seed", "totp_seed", "otp_secret_seed", "mfa_seed", "Seed")
    out.append(("keys", "totp-seed", f"{key}: {g.q(seed)}\nissuer: acme", seed, "write"))
    seed2 = g.s(B32, 32)
    out.append(("keys", "totp-seed", f"oathtool --totp -b {seed2}", seed2, "command"))
    ovpn = "\n".join(g.s(HEX, 32) for _ in range(16))
    block = f"-----BEGIN OpenVPN Static key V1-----\n{ovpn}\n-----END OpenVPN Static key V1-----"
    out.append(
        (
            "keys",
            "openvpn-static-key",
            f"<tls-auth>\n#\n# 2048 bit OpenVPN static key\n#\n{block}\n</tls-auth>",
            ovpn.split("\n")[5],
            "write",
        )
    )
    return out


def _commands(g: _G) -> list[tuple[str, str, str, str, str]]:
    out = []
    pw = g.password()
    user = g.pick("app", "report_ro", "svc_etl")
    out.append(
        ("commands", "sql-password", f"mysql -e \"CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}';\"", pw, "command")
    )
    pw = g.password()
    out.append(
        (
            "commands",
            "sql-password",
            f"ALTER ROLE {user} WITH LOGIN PASSWORD '{pw}' VALID UNTIL 'infinity';",
            pw,
            "write",
        )
    )
    pw = g.password()
    out.append(("commands", "sql-password", f"SET PASSWORD FOR '{user}'@'localhost' = '{pw}';", pw, "stdout"))
    pw = g.password()
    out.append(
        ("commands", "sql-password", f"CREATE USER {user} IDENTIFIED BY {pw} DEFAULT TABLESPACE users;", pw, "write")
    )
    pw = g.password()
    out.append(
        ("commands", "redis-auth-command", f"redis-cli -h cache.internal <<EOF\nAUTH {pw}\nFLUSHDB\nEOF", pw, "command")
    )
    pw = g.password()
    out.append(
        (
            "commands",
            "redis-auth-command",
            f"redis-cli --no-auth-warning <<'END'\nAUTH default {pw}\nINFO\nEND",
            pw,
            "command",
        )
    )
    pw = g.tok(g.rng.randint(16, 24), ALNUM + "!#$%&*()-_=+[]{}<>:?")
    state = {
        "resources": [
            {
                "mode": "managed",
                "type": "random_password",
                "name": g.pick("db", "admin", "redis"),
                "instances": [{"attributes": {"id": "none", "length": 24, "result": pw, "special": True}}],
            }
        ]
    }
    out.append(("commands", "terraform-state-secret", json.dumps(state, indent=2), pw, "stdout"))
    mk = g.s(HEX, 32)
    out.append(
        (
            "commands",
            "secret-name-assignment",
            f"HOME=/app\nRAILS_ENV=production\nRAILS_MASTER_KEY={mk}\nPATH=/usr/bin",
            mk,
            "stdout",
        )
    )
    salt = g.tok(32)
    out.append(
        ("commands", "secret-name-assignment", f"PORT=4000\nSESSION_SIGNING_SALT={salt}\nLANG=C.UTF-8", salt, "stdout")
    )
    for name, fmt in (
        (g.pick("DB_PASS", "SMTP_PASS", "MAIL_PASS", "LdapPass"), "export {n} = {v}"),
        (g.pick("SMTP_PASS", "REDIS_PASS", "ADMIN_PASS"), "{n}={v}"),
        (g.pick("DEPLOY_PW", "ROOT_PW", "ftp_pw"), "{n}: {v}"),
        (g.pick("adminPw", "ServicePwd", "BACKUP_PWD"), '"{n}": {v},'),
    ):
        pw = g.password()
        out.append(
            (
                "commands",
                "secret-name-assignment",
                fmt.format(n=name, v=g.q(pw) if "{v}," not in fmt else f'"{pw}"'),
                pw,
                "write",
            )
        )
    pw = g.password()
    out.append(
        ("commands", "sshpass-password", f"sshpass -p {g.lit(pw)} rsync -a ./ deploy@10.0.0.5:/srv", pw, "command")
    )
    pw = g.password()
    who = g.pick("'admin'", "user", "os.environ['U']", "username")
    out.append(
        ("commands", "http-basic-auth-argument", f"r = requests.get(url, auth=({who}, {g.lit(pw)}))", pw, "write")
    )
    pw = g.password()
    out.append(("commands", "http-basic-auth-argument", f"session.auth = HTTPBasicAuth('svc', '{pw}')", pw, "write"))
    pw = g.password()
    out.append(("commands", "login-call-password", f"smtp.login({g.q('ops@acme.example')}, '{pw}')", pw, "write"))
    pw = g.password().replace("/", "x")
    out.append(
        (
            "commands",
            "net-user-password",
            f"net user {g.pick('svc_backup', 'Administrator', 'kiosk')} {pw} /add /y",
            pw,
            "command",
        )
    )
    pw = g.password().replace(":", "x")
    out.append(("commands", "chpasswd-input", f"echo '{g.pick('root', 'deploy')}:{pw}' | sudo chpasswd", pw, "command"))
    pw = g.password().replace(":", "x")
    out.append(("commands", "chpasswd-input", f'chpasswd <<< "ubuntu:{pw}"', pw, "command"))
    pw = g.password()
    key = g.pick("bindpw", "BINDPW", "ldap_default_authtok =", "rootpw")
    out.append(
        (
            "commands",
            "ldap-bind-password-config",
            f"uri ldap://ldap.acme.example\nbinddn cn=nss,dc=acme\n{key} {pw}\n",
            pw,
            "write",
        )
    )
    key_ = g.tok(40)
    phrase = g.pick("here is my API key: {k} please set it up", "use this token {k} for the deploy", "The key is {k}")
    out.append(("commands", "secret-in-prose", phrase.format(k=key_), key_, "prompt"))
    return out


def _encodings(g: _G) -> list[tuple[str, str, str, str, str]]:
    out = []
    gh = "ghp_" + g.s(ALNUM, 36)
    esc = "".join(f"\\u{ord(c):04x}" for c in gh)
    out.append(
        (
            "encodings",
            "unicode-escaped-github-pat",
            f'{{"auth": {{"t": "{esc}"}}}}'.replace('"auth"', '"cfg"'),
            esc,
            "write",
        )
    )
    sk = "sk_live_" + g.s(ALNUM, 24)
    esc2 = "".join(f"\\x{ord(c):02x}" for c in sk)
    out.append(("encodings", "unicode-escaped-stripe-secret-key", f"key = b'{esc2}'.decode()", esc2, "write"))
    pw = g.tok(20)
    enc = urllib.parse.quote(json.dumps({"user": "ci", "password": pw}))
    out.append(
        (
            "encodings",
            "urlencoded-secret-assignment-quoted",
            f"curl 'https://hooks.acme.example/in?payload={enc}'",
            pw,
            "command",
        )
    )
    slack = "xoxb-" + g.s(string.digits, 12) + "-" + g.s(string.digits, 12) + "-" + g.s(ALNUM, 24)
    enc2 = urllib.parse.quote(json.dumps({"channel": "#ops", "token": slack}), safe="")
    out.append(("encodings", "urlencoded-slack-token", f"GET /relay?body={enc2} HTTP/1.1", slack, "stdout"))
    oa = "sk-proj-" + g.s(ALNUM + "_-", 60)
    thrice = f"OPENAI_API_KEY={oa}".encode()
    for _ in range(3):
        thrice = base64.b64encode(thrice)
    out.append(
        (
            "encodings",
            "base64-base64-base64-openai-api-key",
            f"echo {thrice.decode()} | base64 -d | base64 -d | base64 -d",
            thrice.decode(),
            "command",
        )
    )
    gl = "glpat-" + g.s(ALNUM, 20)
    hx = f"token={gl}".encode().hex()
    out.append(("encodings", "hex-gitlab-pat", f"printf '%s' {hx} | xxd -r -p", hx, "command"))
    gh2 = "ghp_" + g.s(ALNUM, 36)
    out.append(("encodings", "hex-github-pat", f"blob: {gh2.encode().hex()}", gh2.encode().hex(), "write"))
    an = "sk-ant-api03-" + g.s(ALNUM + "_-", 90) + "AA"
    rev = g.pick("echo '{r}' | rev", "TOKEN = '{r}'[::-1]", "const t = '{r}'.split('').reverse().join('');")
    out.append(
        ("encodings", "reversed-anthropic-api-key", rev.format(r=an[::-1]), an[::-1], g.pick("command", "write"))
    )
    gh3 = "ghp_" + g.s(ALNUM, 36)
    cut = g.rng.randint(6, 30)
    concat = g.pick('token = "{a}" + "{b}"', "const t = '{a}' + '{b}';", 'TOKEN = ("{a}"\n         "{b}")')
    out.append(("encodings", "concatenated-github-pat", concat.format(a=gh3[:cut], b=gh3[cut:]), gh3, "write"))
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_' + g.s(HEX, 32) + '">'
        "<saml:Assertion><saml:Subject><saml:NameID>dev@acme.example</saml:NameID></saml:Subject>"
        "<ds:SignatureValue>" + g.s(ALNUM + "+/", 340) + "</ds:SignatureValue></saml:Assertion></samlp:Response>"
    )
    saml = base64.b64encode(xml.encode()).decode()
    wrapped = "\n".join(saml[i : i + 76] for i in range(0, len(saml), 76))
    out.append(
        ("encodings", "saml-response", f"SAMLResponse={wrapped}\nRelayState=/dashboard", saml[400:480], "stdout")
    )
    return out


def cases(seed: int = 7) -> list[tuple[str, str, str, str, str]]:
    """(class, expected rule id, text, secret, where) for every class, drawn with ``seed``."""
    g = _G(seed)
    return _vendor(g) + _keys(g) + _commands(g) + _encodings(g)


def event(text: str, where: str) -> dict:
    """A hook payload holding ``text`` in the part of a tool call ``where`` names."""
    base = {"session_id": "adversarial", "transcript_path": "/tmp/adv/t.jsonl", "cwd": "/repo"}
    if where == "prompt":
        return {**base, "hook_event_name": "UserPromptSubmit", "prompt": text}
    if where == "command":
        tool_input: dict = {"command": text, "description": "run"}
        return {
            **base,
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": tool_input,
            "tool_use_id": "t1",
        }
    if where == "write":
        tool_input = {"file_path": "/repo/src/settings.txt", "content": text}
        return {
            **base,
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": tool_input,
            "tool_use_id": "t2",
        }
    response = {"stdout": text, "stderr": "", "interrupted": False}
    return {
        **base,
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "sh run.sh"},
        "tool_response": response,
        "tool_use_id": "t3",
    }


def survives(secret: str, trail: str) -> str:
    """``whole`` when the secret is in the trail (in clear or JSON-escaped), ``part`` when a 12-character
    piece of it is, else ``""``."""
    forms = {secret, json.dumps(secret)[1:-1]}
    if any(f in trail for f in forms):
        return "whole"
    if len(secret) >= 24 and any(secret[i : i + 12] in trail for i in range(0, len(secret) - 11, 4)):
        return "part"
    return ""


def hook_leaks(hook: str, seed: int = 7) -> dict[str, list[str]]:
    """Each case through ``hook`` (a real hook script, as a subprocess, with a fresh temporary trail and
    config folder): the cases that reached the trail whole and in part, by class."""
    import os
    import subprocess
    import sys
    import tempfile

    out: dict[str, list[str]] = {"whole": [], "part": []}
    for i, (cls, rule, text, secret, where) in enumerate(cases(seed)):
        with tempfile.TemporaryDirectory() as tmp:
            trail = os.path.join(tmp, "trail.jsonl")
            env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": os.path.join(tmp, "cfg")}
            subprocess.run(
                [sys.executable, "-I", "-S", hook, "--trail", trail],
                input=json.dumps(event(text, where)).encode(),
                capture_output=True,
                env=env,
                timeout=60,
                check=False,
            )
            with open(trail, encoding="utf-8") as fh:
                written = fh.read()
        if "adversarial" not in written:
            raise RuntimeError(f"case {i} ({rule}): the hook wrote no record")
        got = survives(secret, written)
        if got:
            out[got].append(f"{cls}/{rule}#{i}")
    return out


def main() -> None:
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hook", default=str(Path(__file__).resolve().parent.parent / "hook" / "auditkit_hook.py"))
    ap.add_argument("--seed", type=int, action="append")
    args = ap.parse_args()
    for seed in args.seed or [7]:
        n = len(cases(seed))
        got = hook_leaks(args.hook, seed)
        print(f"seed {seed}: {n} cases through {args.hook}: {len(got['whole'])} whole, {len(got['part'])} in part")
        for kind in ("whole", "part"):
            for name in got[kind]:
                print(f"  {kind}: {name}")


if __name__ == "__main__":
    main()
