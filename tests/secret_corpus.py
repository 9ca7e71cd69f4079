"""A labelled corpus for the secret rules: positives for every rule, and negatives that look close.

Every secret is generated here, from a seeded random source, in the shape of the real thing:
none is a real credential, and none is stored in the repository as a literal.
``positives()`` gives (rule id, text, secret); ``negatives()`` gives (label, text).
"""

from __future__ import annotations

import base64
import hashlib
import random
import string

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"


class _Gen:
    def __init__(self, seed: int = 1234) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def luhn_card(self, prefix: str, length: int) -> str:
        body = prefix + self.s(string.digits, length - len(prefix) - 1)
        total = 0
        for i, ch in enumerate(reversed(body + "0")):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        return body + str((10 - total % 10) % 10)


def positives() -> list[tuple[str, str, str]]:
    """(rule id, text containing one secret, the secret) for every built-in rule."""
    g = _Gen()
    pem_body = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(300))).decode()
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(pem_body[i : i + 64] for i in range(0, len(pem_body), 64))
        + "\n-----END RSA PRIVATE KEY-----"
    )
    ossh = "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + pem_body[:140] + "\\n-----END OPENSSH PRIVATE KEY-----"
    mc = g.luhn_card("53", 16)
    jwt = "eyJ" + g.s(ALNUM, 30) + "." + "eyJ" + g.s(ALNUM, 40) + "." + g.s(ALNUM + "_-", 43)
    cases = [
        ("private-key-block", "key.pem:\n{s}\n", pem),
        ("private-key-block", '{{"private_key": "{s}\\n"}}', ossh),
        ("age-secret-key", "# age key\n{s}\n", "AGE-SECRET-KEY-1" + g.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
        ("aws-access-key-id", "aws configure set aws_access_key_id {s}", "AKIA" + g.s(B32, 16)),
        ("aws-access-key-id", "export AWS_ACCESS_KEY_ID={s}", "ASIA" + g.s(B32, 16)),
        ("aws-secret-access-key", "aws_secret_access_key = {s}\n", g.s(ALNUM + "/+", 40)),
        ("gcp-api-key", "fetch(`https://maps.example.com/api?key={s}`)", "AIza" + g.s(ALNUM + "_-", 35)),
        ("gcp-service-account-key-id", '"type": "service_account", "private_key_id": "{s}",', g.s(HEX, 40)),
        ("google-oauth-client-secret", "client_secret: {s}", "GOCSPX-" + g.s(ALNUM + "_-", 28)),
        ("google-oauth-access-token", "curl -H 'X-Goog: {s}'", "ya29." + g.s(ALNUM + "_-", 60)),
        (
            "azure-storage-account-key",
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={s};EndpointSuffix=core",
            g.s(ALNUM + "+/", 86) + "==",
        ),
        (
            "azure-sas-signature",
            "https://acme.blob.example.net/c/b.txt?sv=2022-11-02&sp=r&sig={s}",
            g.s(ALNUM + "%", 44) + "%3D",
        ),
        (
            "azure-ad-client-secret",
            "AZURE_CLIENT_SECRET is {s} for the app",
            g.s(ALNUM, 3) + "8Q~" + g.s(ALNUM + "_~.-", 34),
        ),
        ("digitalocean-token", "doctl auth init -t {s}", "dop_v1_" + g.s(HEX, 64)),
        ("heroku-api-key", "heroku login with {s}", "HRKU-" + g.s(ALNUM + "_-", 60)),
        (
            "heroku-api-key-legacy",
            "HEROKU_API_KEY={s}",
            f"{g.s(HEX, 8)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 12)}",
        ),
        ("cloudflare-api-token", "CLOUDFLARE_API_TOKEN: {s}", g.s(ALNUM + "_-", 40)),
        ("github-pat", "git clone https://x:{s}@github.com/acme/api", "ghp_" + g.s(ALNUM, 36)),
        ("github-oauth", "token {s}", "gho_" + g.s(ALNUM, 36)),
        ("github-user-to-server", "auth {s}", "ghu_" + g.s(ALNUM, 36)),
        ("github-server-to-server", "installation token {s}", "ghs_" + g.s(ALNUM, 36)),
        ("github-refresh-token", "refresh {s}", "ghr_" + g.s(ALNUM, 76)),
        ("github-fine-grained-pat", "GH_TOKEN {s}", "github_pat_" + g.s(ALNUM + "_", 82)),
        ("gitlab-pat", "glab auth login --token {s}", "glpat-" + g.s(ALNUM + "_-", 20)),
        ("gitlab-pipeline-trigger-token", "curl -F token={s} https://gitlab.example.com", "glptt-" + g.s(HEX, 40)),
        ("gitlab-runner-token", "gitlab-runner register --token {s}", "glrt-" + g.s(ALNUM + "_-", 20)),
        ("npm-token", "//registry.npmjs.org/:_authToken={s}", "npm_" + g.s(ALNUM, 36)),
        ("pypi-token", "twine upload -p {s}", "pypi-AgEIcHlwaS5vcmc" + g.s(ALNUM + "_-", 60)),
        ("docker-hub-pat", "docker login -u dev -p {s}", "dckr_pat_" + g.s(ALNUM + "_-", 27)),
        ("hashicorp-vault-token", "VAULT_TOKEN {s}", "hvs." + g.s(ALNUM + "_-", 90)),
        ("pulumi-token", "pulumi login with {s}", "pul-" + g.s(HEX, 40)),
        ("doppler-token", "doppler run --token {s}", "dp.pt." + g.s(ALNUM, 43)),
        ("anthropic-api-key", "client = Anthropic(api_key={s!r})", "sk-ant-api03-" + g.s(ALNUM + "_-", 93) + "AA"),
        ("openai-api-key", "OPENAI key {s}", "sk-proj-" + g.s(ALNUM + "_-", 120)),
        ("openai-api-key", "legacy {s}", "sk-" + g.s(ALNUM, 20) + "T3BlbkFJ" + g.s(ALNUM, 20)),
        ("huggingface-token", "huggingface-cli login --token {s}", "hf_" + g.s(string.ascii_letters, 34)),
        (
            "slack-token",
            "SLACK_BOT={s}",
            "xoxb-" + g.s(string.digits, 12) + "-" + g.s(string.digits, 12) + "-" + g.s(ALNUM, 24),
        ),
        (
            "slack-app-token",
            "socket mode {s}",
            "xapp-1-A"
            + g.s(string.ascii_uppercase + string.digits, 10)
            + "-"
            + g.s(string.digits, 13)
            + "-"
            + g.s(HEX, 64),
        ),
        (
            "slack-webhook",
            "POST https://{s}",
            "hooks.slack.com/services/T" + g.s(ALNUM, 10) + "/B" + g.s(ALNUM, 10) + "/" + g.s(ALNUM, 24),
        ),
        (
            "discord-webhook",
            "webhook: https://{s}",
            "discord.com/api/webhooks/" + g.s(string.digits, 18) + "/" + g.s(ALNUM + "_-", 68),
        ),
        ("telegram-bot-token", "bot url /bot{s}/sendMessage", g.s(string.digits, 10) + ":AA" + g.s(ALNUM + "_-", 33)),
        ("stripe-secret-key", "Stripe.api_key = {s}", "sk_live_" + g.s(ALNUM, 24)),
        ("stripe-secret-key", "restricted {s}", "rk_live_" + g.s(ALNUM, 24)),
        ("stripe-webhook-secret", "endpoint secret {s}", "whsec_" + g.s(ALNUM, 32)),
        ("sendgrid-api-key", "SENDGRID {s}", "SG." + g.s(ALNUM + "_-", 22) + "." + g.s(ALNUM + "_-", 43)),
        ("twilio-api-key", "twilio api key sid {s}", "SK" + g.s(HEX, 32)),
        ("twilio-auth-token", "TWILIO_AUTH_TOKEN: {s}", g.s(HEX, 32)),
        ("mailgun-api-key", "mailgun {s}", "key-" + g.s(ALNUM, 32)),
        ("mailchimp-api-key", "mailchimp {s}", g.s(HEX, 32) + "-us14"),
        ("datadog-api-key", "DD_API_KEY={s}", g.s(HEX, 32)),
        ("new-relic-user-key", "NEW_RELIC key {s}", "NRAK-" + g.s(string.ascii_uppercase + string.digits, 27)),
        ("sentry-token", "SENTRY_AUTH {s}", "sntrys_eyJ" + g.s(ALNUM + "+/=", 60)),
        ("shopify-token", "X-Shopify-Access: {s}", "shpat_" + g.s(HEX, 32)),
        ("square-token", "square {s}", "sq0atp-" + g.s(ALNUM + "_-", 22)),
        ("postman-api-key", "postman {s}", "PMAK-" + g.s(HEX, 24) + "-" + g.s(HEX, 34)),
        ("linear-api-key", "linear {s}", "lin_api_" + g.s(ALNUM, 40)),
        ("grafana-token", "grafana sa {s}", "glsa_" + g.s(ALNUM, 32) + "_" + g.s(HEX, 8)),
        ("databricks-token", "databricks {s}", "dapi" + g.s(HEX, 32)),
        ("planetscale-token", "pscale {s}", "pscale_tkn_" + g.s(ALNUM + "_", 43)),
        ("jwt", "cookie: session={s}; Path=/", jwt),
        ("db-connection-string", "DATABASE_URL=postgres://app:{s}@db.internal:5432/app", g.s(ALNUM, 18)),
        ("db-connection-string", "mongodb+srv://admin:{s}@cluster0.example.net/test", g.s(ALNUM, 16)),
        ("db-connection-string", "redis://:{s}@cache:6379/0", g.s(ALNUM, 20)),
        ("db-connection-string", "amqp://guest:{s}@rabbit:5672/", g.s(ALNUM, 14)),
        ("db-connection-string", "mysql://root:{s}@127.0.0.1/app", g.s(ALNUM, 12)),
        ("url-credentials", "pip install --index-url https://deploy:{s}@pypi.acme.example/simple pkg", g.s(ALNUM, 22)),
        (
            "authorization-header",
            "curl -H 'Authorization: Basic {s}' https://api.acme.example",
            base64.b64encode(b"dev:" + g.s(ALNUM, 12).encode()).decode(),
        ),
        ("authorization-header", '{{"headers": {{"authorization": "Bearer {s}"}}}}', g.s(ALNUM + "._-", 40)),
        ("bearer-token", "then call it with bearer {s} in the header", g.s(ALNUM + "._-", 32)),
        ("huggingface-token", "HF_TOKEN={s} python train.py", "hf_" + g.s(string.ascii_letters, 10) + g.s(ALNUM, 24)),
        (
            "terraform-cloud-token",
            'credentials "app.terraform.io" {{ token = "{s}" }}',
            g.s(ALNUM, 14) + ".atlasv1." + g.s(ALNUM + "_-", 67),
        ),
        (
            "atlassian-api-token",
            "curl -u dev@acme.example:{s} https://acme.atlassian.example/rest/api/3/myself",
            "ATATT3xFfGF0" + g.s(ALNUM + "_-", 170) + "=" + g.s(HEX.upper(), 8),
        ),
        ("mapbox-secret-token", "MAPBOX_DOWNLOADS_TOKEN: {s}", "sk.eyJ" + g.s(ALNUM, 60) + "." + g.s(ALNUM + "_-", 22)),
        ("flyio-token", "fly deploy --access-token '{s}'", "FlyV1 fm2_" + g.s(ALNUM + "+/=_-", 120)),
        (
            "discord-bot-token",
            "discord.Client(intents=intents).run('{s}')",
            "M" + g.s(ALNUM, 25) + "." + g.s(ALNUM, 6) + "." + g.s(ALNUM + "_-", 38),
        ),
        (
            "azure-shared-access-key",
            "Endpoint=sb://acme.servicebus.example/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={s}",
            g.s(ALNUM + "+/", 43) + "=",
        ),
        ("netrc-password", "machine api.heroku.example login dev@acme.example password {s}", g.s(ALNUM, 36)),
        (
            "putty-private-key",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n"
            "AAAAC3NzaC1lZDI1NTE5AAAAIE3nP\nq8Yx\nPrivate-Lines: 1\n{s}\nPrivate-MAC: 00ff",
            "AAAAI" + g.s(ALNUM, 38),
        ),
        (
            "authorization-any-scheme",
            "curl -H 'Authorization: SSWS {s}' https://acme.okta.example/api/v1/users",
            "00" + g.s(ALNUM, 38),
        ),
        (
            "authorization-any-scheme",
            '{{"headers": {{"Authorization": "GenieKey {s}"}}}}',
            g.s(HEX, 8) + "-" + g.s(HEX, 24),
        ),
        ("cookie-header", "curl -H 'Cookie: sessionid={s}' https://app.acme.example/admin", g.s(ALNUM, 32)),
        ("cookie-header", "Set-Cookie: __Host-auth={s}; Path=/; Secure; HttpOnly", g.s(ALNUM + "-_", 40)),
        (
            "api-key-header",
            "curl -H 'X-API-Key: {s}' https://api.acme.example/v2/orders",
            g.s(ALNUM, 8) + "7" + g.s(ALNUM, 23),
        ),
        (
            "api-key-header",
            'curl --header "PRIVATE-TOKEN: {s}" https://gitlab.acme.example/api/v4/projects',
            "glx" + g.s(ALNUM, 9) + "4" + g.s(ALNUM, 9),
        ),
        ("api-key-header", '{{"headers": {{"X-Vault-Token": "{s}"}}}}', "hvx." + g.s(ALNUM, 10) + "2" + g.s(ALNUM, 13)),
        (
            "presigned-url-signature",
            "curl 'https://b.s3.amazonaws.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature={s}'",
            g.s(HEX, 64),
        ),
        (
            "presigned-url-signature",
            "https://storage.googleapis.example/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={s}",
            g.s(HEX, 128),
        ),
        (
            "presigned-url-signature",
            "https://d1.cloudfront.example/v.mp4?Expires=1767225600&Signature={s}&Key-Pair-Id=K2JCJMDEHXQW5F",
            g.s(ALNUM + "~-", 60),
        ),
        ("mysql-password-flag", "mysql -h db.internal -u app -p{s} orders", g.s(ALNUM + "!#%", 14)),
        ("mysql-password-flag", "mysqldump -uroot -p{s} --all-databases > all.sql", g.s(ALNUM, 12)),
        ("sshpass-password", "sshpass -p {s} ssh deploy@10.0.0.7 uptime", g.s(ALNUM + "#!", 12)),
        ("registry-login-password", "docker login -u ci -p {s} registry.acme.example", g.s(ALNUM, 20)),
        ("registry-login-password", "helm registry login ghcr.example --username ci --password={s}", g.s(ALNUM, 24)),
        ("cli-user-password", "curl -u admin:{s} https://jenkins.acme.example/api/json", g.s(ALNUM + "_!", 14)),
        ("cli-user-password", 'curl --user "deploy:{s}" -X POST https://nexus.acme.example/upload', g.s(ALNUM, 16)),
        ("secret-assignment-quoted", 'DB_PASSWORD = "{s}"', g.s(ALNUM + "!@#", 14)),
        ("secret-assignment-quoted", "{{'client_secret': '{s}'}}", g.s(ALNUM, 26)),
        ("secret-assignment", "PGPASSWORD={s} psql -h db -U app", g.s(ALNUM, 12)),
        ("secret-assignment", "export API_TOKEN={s}", g.s(ALNUM, 30)),
        ("secret-yaml-value", "database:\n  host: db\n  password: {s}\n", g.s(ALNUM, 16)),
        ("password-cli-flag", "mysqladmin --user root --password={s} status", g.s(ALNUM, 12)),
        ("card-number", "charge card {s} exp 12/29", g.luhn_card("4", 16)),
        ("card-number", "amex {s}", g.luhn_card("37", 15)),
        ("card-number", "mc {s} on file", " ".join(mc[i : i + 4] for i in range(0, 16, 4))),
    ]
    return [(rule, template.format(s=secret), secret) for rule, template, secret in cases]


def negatives() -> list[tuple[str, str]]:
    """(label, text) pairs that contain no secret, though many look close."""
    g = _Gen(99)
    sha1 = hashlib.sha1(b"commit").hexdigest()
    sha256 = hashlib.sha256(b"artifact").hexdigest()
    png = "data:image/png;base64," + base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(600))).decode()
    return [
        ("ssh port flag", "ssh -p 2222 deploy@host uptime"),
        ("netrc without password", "machine github.example login dev"),
        ("discord prose", "the discord bot replied with a message id 1234567890123456789"),
        ("huggingface model id", "from_pretrained('hf_internal_testing')"),
        ("docker port flag", "docker run -p 8080:80 -p 8443:443 nginx"),
        ("mysql prompt flag", "mysql -h db.internal -u app -p orders"),
        ("mysql port flag", "mysql -h db -P 3306 -u root --password"),
        ("curl user without password", "curl -u admin https://jenkins.acme.example/api/json"),
        ("authorization prose", "Authorization: required for every request to the admin API"),
        ("cookie prose", "the cookie: set by the login page, expires in a day"),
        ("api key header prose", "X-API-Key: required; ask the platform team for one"),
        ("api key header placeholder", "curl -H 'X-API-Key: $ACME_API_KEY' https://api.acme.example"),
        ("signature prose", "the signature=valid check passed for every commit"),
        (
            "signature algorithm only",
            "https://b.s3.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host",
        ),
        ("docker login prompt", "docker login registry.acme.example"),
        ("git sha", f"commit {sha1}\nAuthor: Dev <dev@example.com>\n\n    fix parser"),
        ("git short shas", f"{sha1[:7]} fix parser\n{sha1[7:14]} add tests\nMerge {sha1[:12]}"),
        ("sha256 digest", f"sha256:{sha256}  dist/auditkit-0.1.0.tar.gz"),
        ("sha256 in a lock file", f'"integrity": "sha512-{base64.b64encode(hashlib.sha512(b"x").digest()).decode()}"'),
        ("uuid", "request_id=7d444840-9dc0-11d1-b245-5ffdce74fad2 session_id: 5b3f1c9e-7a2d-4e8b-9f10-2c4d6e8a0b1c"),
        ("base64 image", f'<img src="{png}">'),
        (
            "minified js",
            '!function(e,t){"use strict";var n={},r=function(o){if(n[o])return n[o].exports;var i=n[o]='
            "{exports:{}};return e[o].call(i.exports,i,i.exports,r),i.exports};r.d=function(e,t,n){r.o(e,"
            "t)||Object.defineProperty(e,t,{enumerable:!0,get:n})},r.t=function(e,t){return e&&t?e.key:"
            't.token}}([function(e,t){e.exports={apiBase:"/v1",timeout:3e4}}]);',
        ),
        (
            "lorem ipsum",
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
            "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.",
        ),
        ("card-like, fails Luhn", "order 4111111111111112 and 5500 0000 0000 0005 shipped"),
        (
            "long numbers that are not cards",
            "ts=1710683845123 id=1234567812345678 phone +1 202 555 0143 isbn 9780306406157",
        ),
        ("placeholder api key", "OPENAI_API_KEY=your-api-key-here\nSTRIPE_KEY=<your-stripe-key>\n"),
        (
            "templated values",
            'export GITHUB_TOKEN=${GITHUB_TOKEN}\npassword: "{{ vault_db_password }}"\ntoken = $TOKEN',
        ),
        ("code references", 'password = os.environ["DB_PASSWORD"]\ntoken = self.token\napi_key = settings.api_key'),
        ("type annotations", "def login(user: str, password: str) -> Token:\n    token: Optional[str] = None"),
        ("token counts", '{"max_tokens": 4096, "input_tokens": 1200}\nmax_tokens: 8192\ncache_read_input_tokens=512'),
        ("prose about passwords", "The password must be at least 12 characters. Rotate the API key every 90 days."),
        (
            "redaction markers",
            "export GITHUB_TOKEN=[REDACTED:github-pat:3f9a1c2e] and postgres://app:"
            "[REDACTED:db-connection-string:7b37cb7c]@db:5432/app",
        ),
        (
            "urls without credentials",
            "see https://docs.example.com/a?b=c and git@github.com:acme/api.git and mailto:dev@example.com",
        ),
        ("masked values", "password=******** api_key=xxxxxxxxxxxx token=..."),
        ("python sk- names", "task-runner-7 disk-usage-report desk-booking sk-learn"),
        ("aws example docs", "arn:aws:iam::123456789012:role/deploy and region us-east-1"),
        ("css and hashes", ".btn{color:#1a2b3c;background:#ffffff} /* 3f9a1c2e */"),
        ("empty values", "PASSWORD=\nTOKEN=\napi_key: ''"),
        (
            "variables named like secrets",
            "lasttoken = token\nself.user, self.password = user, password\n"
            "if ttype == tokenize.NEWLINE: break\nsecret_key = secret_key_default",
        ),
        ("digits inside hex digests", "sha256 9f86d0818884c7a4111111111111111144 and a1b2c34539578763621486ff"),
        ("a changelog", "## 2.1.0\n- Rotated signing keys (see SEC-123)\n- `--token` flag now reads from a file"),
    ]
