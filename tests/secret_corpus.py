"""A labelled corpus for the secret rules: positives for every rule, and negatives that look close.

Every secret is generated here, from a seeded random source, in the shape of the real thing:
none is a real credential, and none is stored in the repository as a literal.
``positives()`` gives (rule id, text, secret): one text per rule at least. ``placed()`` puts each of
them where secrets occur in a tool call (a Bash command or its output, Write or MultiEdit content, an
MCP tool's JSON, a JSON object key, base64 in a Kubernetes Secret, a value over 1 MiB) and gives
(rule id, placement, hook payload, secret). ``negatives()`` gives (label, text): real code patterns
that hold no secret, many of them close to one (digests, ids, lock files, images, identifiers).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
LOWD = string.ascii_lowercase + string.digits
UPD = string.ascii_uppercase + string.digits


class _Gen:
    def __init__(self, seed: int = 1234) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, n: int) -> str:
        """A random base62 token with at least two digits, an upper- and a lowercase letter."""
        while True:
            t = self.s(ALNUM, n)
            if sum(c.isdigit() for c in t) >= 2 and any(c.isupper() for c in t) and any(c.islower() for c in t):
                return t

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
    cases += _vendor_cases(g) + _near_cases(g) + _command_cases(g) + _round_three_cases(g)
    return [(rule, template.format(s=secret), secret) for rule, template, secret in cases]


def _vendor_cases(g: _Gen) -> list[tuple[str, str, str]]:
    """Tokens with a prefix of their own, shaped by each vendor's public description."""
    b64 = ALNUM + "+/"
    sentry_pub = g.s(HEX, 32)
    return [
        ("adobe-client-secret", "ADOBE_CLIENT_SECRET={s}", "p8e-" + g.s(ALNUM, 32)),
        (
            "airtable-pat",
            "curl -H 'Authorization: Bearer {s}' https://api.airtable.example/v0",
            "pat" + g.s(ALNUM, 14) + "." + g.s(HEX, 64),
        ),
        ("alibaba-access-key-id", "aliyun configure --access-key-id {s}", "LTAI" + g.s(ALNUM, 20)),
        ("tencent-secret-id", "TENCENTCLOUD_SECRET_ID={s}", "AKID" + g.s(ALNUM, 32)),
        ("artifactory-api-key", "curl -H 'X-JFrog-Art-Api: {s}' https://art.acme.example", "AKCp" + g.s(ALNUM, 69)),
        ("artifactory-reference-token", "jf c add --access-token {s}", "cmVmd" + g.s(ALNUM, 59)),
        ("clojars-api-token", "lein deploy clojars with {s}", "CLOJARS_" + g.s(LOWD, 60)),
        ("cloudflare-origin-ca-key", "X-Auth-User-Service-Key: {s}", "v1.0-" + g.s(HEX, 24) + "-" + g.s(HEX, 146)),
        ("contentful-pat", "contentful login --management-token {s}", "CFPAT-" + g.s(ALNUM + "_-", 43)),
        ("defined-networking-api-token", "dnclient enroll {s}", "dnkey-" + g.s(LOWD, 26) + "-" + g.s(LOWD, 52)),
        ("dropbox-short-lived-token", "dbx files with {s}", "sl." + g.s(ALNUM + "_-", 135)),
        ("duffel-api-token", "Duffel token {s}", "duffel_test_" + g.s(ALNUM, 43)),
        ("dynatrace-api-token", "Authorization: Api-Token {s}", "dt0c01." + g.s(UPD, 24) + "." + g.s(UPD, 64)),
        ("easypost-api-token", "EasyPost::Client.new(api_key: '{s}')", "EZAK" + g.s(ALNUM, 54)),
        (
            "facebook-access-token",
            "curl 'https://graph.facebook.example/me?fields=id&access_token={s}'",
            "EAAC" + g.s(ALNUM, 120),
        ),
        ("flutterwave-secret-key", "FLW secret {s}", "FLWSECK_TEST-" + g.s("abcdefgh0123456789", 32) + "-X"),
        ("frameio-api-token", "frameio client {s}", "fio-u-" + g.s(ALNUM + "_-", 64)),
        (
            "gitlab-deploy-token",
            "git clone https://gitlab+deploy-token-1:{s}@gitlab.acme.example/x.git",
            "gldt-" + g.s(ALNUM, 20),
        ),
        (
            "gitlab-feed-token",
            "https://gitlab.acme.example/dashboard/projects.atom?feed_token={s}",
            "glft-" + g.s(ALNUM, 20),
        ),
        ("gitlab-incoming-mail-token", "reply to incoming+{s}@gitlab.acme.example", "glimt-" + g.s(ALNUM, 25)),
        (
            "gitlab-kubernetes-agent-token",
            "helm upgrade agent gitlab/gitlab-agent --set config.token={s}",
            "glagent-" + g.s(ALNUM, 50),
        ),
        ("gitlab-oauth-app-secret", "GitLab application secret {s}", "gloas-" + g.s(ALNUM, 64)),
        ("gitlab-ci-build-token", "the job token was {s}", "glcbt-" + g.s(ALNUM, 2) + "_" + g.s(ALNUM, 20)),
        (
            "gitlab-runner-registration-token",
            "gitlab-runner register --registration-token {s}",
            "GR1348941" + g.s(ALNUM, 20),
        ),
        ("gitlab-scim-token", "scim token {s}", "glsoat-" + g.s(ALNUM, 20)),
        ("grafana-api-key", "grafana key {s}", "eyJrIjoi" + g.s(ALNUM, 72) + "=="),
        (
            "harness-api-key",
            "x-api-key {s}",
            "pat." + g.s(ALNUM + "_-", 22) + "." + g.s(ALNUM, 24) + "." + g.s(ALNUM, 20),
        ),
        ("infracost-api-token", "infracost configure set api_key {s}", "ico-" + g.s(ALNUM, 32)),
        ("intra42-client-secret", "42 intra secret {s}", "s-s4t2ud-" + g.s(HEX, 64)),
        ("mailgun-public-key", "mailgun validation {s}", "pubkey-" + g.s(HEX, 32)),
        ("maxmind-license-key", "GEOIPUPDATE_LICENSE {s}", g.s(ALNUM, 6) + "_" + g.s(ALNUM, 29) + "_mmk"),
        (
            "microsoft-teams-webhook",
            "curl -X POST {s} -d @card.json",
            f"https://acme.webhook.office.com/webhookb2/{g.uuid()}@{g.uuid()}/IncomingWebhook/{g.s(HEX, 32)}/{g.uuid()}",
        ),
        ("new-relic-browser-token", "NREUM browser {s}", "NRJS-" + g.s(HEX, 19)),
        ("new-relic-insert-key", "X-Insert-Key {s}", "NRII-" + g.s(ALNUM, 32)),
        ("new-relic-license-key", "newrelic license {s}", g.s(HEX, 36) + "NRAL"),
        ("notion-token", "NOTION {s}", "ntn_" + g.s(string.digits, 11) + g.s(ALNUM, 35)),
        ("nuget-api-key", "dotnet nuget push pkg.nupkg -k {s}", "oy2" + g.s(LOWD, 43)),
        ("octopus-deploy-api-key", "X-Octopus-ApiKey {s}", "API-" + g.s(UPD, 26)),
        (
            "onepassword-secret-key",
            "emergency kit secret key {s}",
            "A3-" + g.s(UPD, 6) + "-" + g.s(UPD, 11) + "-" + g.s(UPD, 5) + "-" + g.s(UPD, 5) + "-" + g.s(UPD, 5),
        ),
        ("onepassword-service-account-token", "op run with {s}", "ops_eyJ" + g.s(b64, 260)),
        (
            "openshift-user-token",
            "oc login --token {s} https://api.ocp.acme.example:6443",
            "sha256~" + g.s(ALNUM + "_-", 43),
        ),
        ("perplexity-api-key", "perplexity {s}", "pplx-" + g.s(ALNUM, 48)),
        ("plaid-access-token", "plaid item {s}", "access-sandbox-" + g.uuid()),
        ("prefect-api-token", "prefect cloud login -k {s}", "pnu_" + g.s(ALNUM, 36)),
        ("readme-api-token", "rdme openapi spec.json --key {s}", "rdme_" + g.s(LOWD, 70)),
        ("rubygems-api-token", "gem push with {s}", "rubygems_" + g.s(HEX, 48)),
        ("scalingo-api-token", "scalingo login --api-token {s}", "tk-us-" + g.s(ALNUM + "_-", 48)),
        ("sendinblue-api-token", "brevo {s}", "xkeysib-" + g.s(HEX, 64) + "-" + g.s(ALNUM, 16)),
        ("settlemint-token", "settlemint {s}", "sm_pat_" + g.s(ALNUM, 16)),
        ("shippo-api-token", "ShippoToken {s}", "shippo_live_" + g.s(HEX, 40)),
        ("slack-config-token", "slack config {s}", "xoxe.xoxp-1-" + g.s(UPD, 164)),
        (
            "sonarqube-token",
            "sonar-scanner -Dsonar.host.url=https://sq.acme.example -Dsonar.login {s}",
            "sqp_" + g.s(HEX, 40),
        ),
        ("sourcegraph-token", "src login with {s}", "sgp_" + g.s(HEX, 16) + "_" + g.s(HEX, 40)),
        ("square-access-token", "square access {s}", "EAAA" + g.s(ALNUM + "_-", 60)),
        ("twitter-bearer-token", "twitter bearer {s}", "A" * 22 + g.s(ALNUM + "%", 90)),
        ("typeform-api-token", "typeform {s}", "tfp_" + g.s(ALNUM + "_-", 59)),
        ("yandex-api-key", "yc api {s}", "AQVN" + g.s(ALNUM + "_-", 36)),
        ("yandex-access-token", "yc iam token {s}", "t1." + g.s(ALNUM, 20) + "." + g.s(ALNUM + "_-", 86)),
        ("supabase-token", "supabase login --token {s}", "sbp_" + g.s(HEX, 40)),
        ("replicate-api-token", "replicate {s}", "r8_" + g.s(ALNUM, 37)),
        ("groq-api-key", "groq {s}", "gsk_" + g.s(ALNUM, 52)),
        ("xai-api-key", "grok {s}", "xai-" + g.s(ALNUM, 80)),
        ("langsmith-api-key", "langsmith {s}", "lsv2_pt_" + g.s(HEX, 32) + "_" + g.s(HEX, 10)),
        ("pinecone-api-key", "pinecone {s}", "pcsk_" + g.s(ALNUM, 5) + "_" + g.s(ALNUM, 60)),
        ("tailscale-key", "tailscale up --authkey={s}", "tskey-auth-" + g.s(ALNUM, 12) + "-" + g.s(ALNUM, 32)),
        ("render-api-key", "render {s}", "rnd_" + g.s(ALNUM, 32)),
        ("netlify-pat", "netlify deploy --prod --auth {s}", "nfp_" + g.s(ALNUM, 36)),
        ("buildkite-token", "bk token {s}", "bkua_" + g.s(HEX, 40)),
        (
            "circleci-pat",
            "curl -H 'Circle-Token: {s}' https://circleci.example/api/v2/me",
            "CCIPAT_" + g.s(ALNUM, 22) + "_" + g.s(HEX, 40),
        ),
        ("figma-pat", "curl -H 'X-Figma-Token: {s}' https://api.figma.example/v1/me", "figd_" + g.s(ALNUM + "_-", 40)),
        (
            "firebase-cloud-messaging-key",
            "fcm server {s}",
            "AAAA" + g.s(ALNUM + "_-", 7) + ":" + g.s(ALNUM + "_-", 140),
        ),
        (
            "salesforce-access-token",
            "sf org login access-token {s}",
            "00D" + g.s(ALNUM, 15) + "!" + g.s(ALNUM + "._", 96),
        ),
        ("braintree-access-token", "braintree {s}", "access_token$production$" + g.s(LOWD, 16) + "$" + g.s(HEX, 32)),
        ("honeycomb-api-key", "honeycomb ingest {s}", "hcaik_" + g.s(LOWD, 58)),
        ("google-oauth-refresh-token", "gcloud creds {s}", "1//0" + g.s(ALNUM + "_-", 60)),
        ("aws-mws-key", "MWS auth {s}", "amzn.mws." + g.uuid()),
        ("sentry-dsn-secret", "SENTRY_DSN=https://{s}@o1.ingest.sentry.io/1", f"{sentry_pub}:{g.s(HEX, 32)}"),
        ("password-hash", "root:{s}:19700:0:99999:7:::", "$6$" + g.s(ALNUM + "./", 16) + "$" + g.s(ALNUM + "./", 86)),
        ("password-hash", "admin:{s}", "$2y$10$" + g.s(ALNUM + "./", 53)),
        (
            "docker-config-auth",
            '{{"auths": {{"registry.acme.example": {{"auth": "{s}"}}}}}}',
            base64.b64encode(b"ci:" + g.s(ALNUM, 20).encode()).decode(),
        ),
        (
            "npmrc-auth",
            "//registry.acme.example/:_auth={s}",
            base64.b64encode(b"ci:" + g.s(ALNUM, 18).encode()).decode(),
        ),
        ("pgpass-line", "db.internal:5432:app:app:{s}", g.s(ALNUM, 16)),
    ]


#: (rule id, key name, alphabet, length or "uuid", prefix) for vendors without a prefix of their own
_NEAR = [
    ("adafruit-api-key", "ADAFRUIT_IO_KEY", ALNUM, 32, ""),
    ("algolia-api-key", "ALGOLIA_ADMIN_KEY", ALNUM, 32, ""),
    ("alibaba-secret-key", "alibaba_secret", ALNUM, 30, ""),
    ("asana-client-secret", "ASANA_CLIENT_SECRET", ALNUM, 32, ""),
    ("atlassian-legacy-token", "JIRA_API_TOKEN", ALNUM, 24, ""),
    ("azure-devops-pat", "AZURE_DEVOPS_EXT_PAT", LOWD, 52, ""),
    ("beamer-api-token", "BEAMER_TOKEN", ALNUM, 44, "b_"),
    ("bitbucket-client-secret", "BITBUCKET_CLIENT_SECRET", ALNUM, 64, ""),
    ("circleci-legacy-token", "CIRCLECI_TOKEN", HEX, 40, ""),
    ("codecov-access-token", "CODECOV_TOKEN", ALNUM, 32, ""),
    ("cohere-api-token", "COHERE_API_KEY", ALNUM, 40, ""),
    ("coinbase-access-token", "COINBASE_SECRET", ALNUM, 64, ""),
    ("confluent-secret-key", "CONFLUENT_CLOUD_SECRET", ALNUM, 64, ""),
    ("contentful-delivery-token", "contentfulDeliveryToken", ALNUM, 43, ""),
    ("discord-client-secret", "DISCORD_CLIENT_SECRET", ALNUM, 32, ""),
    ("droneci-access-token", "DRONE_TOKEN", ALNUM, 32, ""),
    ("dropbox-api-token", "DROPBOX_TOKEN", ALNUM, 43, "sLrQ2xWz8Kp" + "A" * 10),
    ("etsy-access-token", "ETSY_KEY", ALNUM, 24, ""),
    ("facebook-app-secret", "FACEBOOK_APP_SECRET", HEX, 32, ""),
    ("fastly-api-token", "FASTLY_API_TOKEN", ALNUM, 32, ""),
    ("finicity-client-secret", "FINICITY_SECRET", ALNUM, 20, ""),
    ("finnhub-access-token", "FINNHUB_TOKEN", ALNUM, 20, ""),
    ("flickr-access-token", "FLICKR_KEY", ALNUM, 32, ""),
    ("freshbooks-access-token", "FRESHBOOKS_TOKEN", ALNUM, 64, ""),
    ("gitter-access-token", "GITTER_TOKEN", ALNUM, 40, ""),
    ("gocardless-api-token", "GOCARDLESS_ACCESS_TOKEN", ALNUM, 40, "live_"),
    ("hetzner-api-token", "HCLOUD_TOKEN", ALNUM, 64, ""),
    ("hubspot-api-key", "HUBSPOT_API_KEY", "", "uuid", ""),
    ("ibm-cloud-api-key", "IBMCLOUD_API_KEY", ALNUM + "_-", 44, ""),
    ("intercom-api-key", "INTERCOM_TOKEN", ALNUM, 60, ""),
    ("jenkins-api-token", "JENKINS_API_TOKEN", HEX, 32, "11"),
    ("jfrog-api-key", "JFROG_API_KEY", ALNUM, 73, ""),
    ("kraken-access-token", "KRAKEN_PRIVATE_KEY", ALNUM + "+/", 86, ""),
    ("kucoin-access-token", "KUCOIN_API_KEY", HEX, 24, ""),
    ("launchdarkly-access-token", "LAUNCHDARKLY_ACCESS_TOKEN", "", "uuid", "api-"),
    ("linkedin-client-secret", "LINKEDIN_CLIENT_SECRET", ALNUM, 16, ""),
    ("linode-api-token", "LINODE_TOKEN", HEX, 64, ""),
    ("lob-api-key", "LOB_API_KEY", HEX, 35, "live_"),
    ("looker-client-secret", "LOOKER_CLIENT_SECRET", ALNUM, 24, ""),
    ("mailjet-api-key", "MAILJET_SECRET_KEY", HEX, 32, ""),
    ("mattermost-access-token", "MATTERMOST_TOKEN", ALNUM, 26, ""),
    ("messagebird-api-token", "MESSAGEBIRD_ACCESS_KEY", ALNUM, 25, ""),
    ("netlify-access-token", "NETLIFY_AUTH_TOKEN", ALNUM, 43, ""),
    ("ngrok-authtoken", "NGROK_AUTHTOKEN", ALNUM, 21, "2" + "x" * 0),
    ("nytimes-access-token", "NYTIMES_API_KEY", ALNUM, 32, ""),
    ("okta-access-token", "OKTA_API_TOKEN", ALNUM, 40, "00"),
    ("opsgenie-api-key", "OPSGENIE_API_KEY", "", "uuid", ""),
    ("pagerduty-api-key", "PAGERDUTY_TOKEN", ALNUM + "_+-", 20, ""),
    ("plaid-secret", "PLAID_SECRET", HEX, 30, ""),
    ("pusher-secret", "PUSHER_SECRET", HEX, 20, ""),
    ("rapidapi-access-token", "RAPIDAPI_KEY", ALNUM, 50, ""),
    ("scaleway-secret-key", "SCW_SECRET_KEY", "", "uuid", ""),
    ("sendbird-access-token", "SENDBIRD_API_TOKEN", HEX, 40, ""),
    ("snyk-api-token", "SNYK_TOKEN", "", "uuid", ""),
    ("sonar-token", "SONAR_LOGIN", ALNUM, 40, ""),
    ("squarespace-access-token", "SQUARESPACE_API_KEY", "", "uuid", ""),
    ("sumologic-access-key", "SUMO_ACCESS_KEY", ALNUM, 64, ""),
    ("travisci-access-token", "TRAVIS_TOKEN", ALNUM, 22, ""),
    ("trello-access-token", "TRELLO_TOKEN", ALNUM, 64, ""),
    ("twitch-api-token", "TWITCH_OAUTH_TOKEN", LOWD, 30, ""),
    ("twitter-api-secret", "TWITTER_CONSUMER_SECRET", ALNUM, 50, ""),
    ("vercel-token", "VERCEL_TOKEN", ALNUM, 24, ""),
    ("vultr-api-key", "VULTR_API_KEY", UPD, 36, ""),
    ("zendesk-secret-key", "ZENDESK_API_TOKEN", ALNUM, 40, ""),
]
_NEAR_TEMPLATES = ("{k}={{s}}", '{k}: "{{s}}"', "export {k}='{{s}}'", '{{{{"{k}": "{{s}}"}}}}', '{k} = "{{s}}"')


def _near_cases(g: _Gen) -> list[tuple[str, str, str]]:
    out = []
    for i, (rule, key, alphabet, n, prefix) in enumerate(_NEAR):
        if n == "uuid":
            secret = prefix + g.uuid()
        elif rule == "ngrok-authtoken":
            secret = "2" + g.s(ALNUM, 26) + "_" + g.s(ALNUM, 21)
        else:
            secret = prefix + g.s(alphabet, n)
        if rule == "kraken-access-token":
            secret += "=="
        out.append((rule, _NEAR_TEMPLATES[i % len(_NEAR_TEMPLATES)].format(k=key), secret))
    return out


def _command_cases(g: _Gen) -> list[tuple[str, str, str]]:
    """Credentials on command lines and in URLs, and random tokens no rule names."""
    return [
        ("redis-cli-password", "redis-cli -h cache.internal -a {s} ping", g.s(ALNUM, 16)),
        ("htpasswd-batch-password", "htpasswd -bc /etc/nginx/.htpasswd admin {s}", g.s(ALNUM + "!", 14)),
        ("openssl-pass-argument", "openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:{s}", g.s(ALNUM, 12)),
        ("smbclient-password", "smbclient //fs.internal/share -U admin%{s} -c ls", g.s(ALNUM, 12)),
        ("az-login-password", "az login --service-principal -u app-id -p {s} --tenant acme", g.s(ALNUM + "~.", 34)),
        ("java-keystore-password", "keytool -importcert -keystore ks.jks -storepass {s} -file ca.pem", g.s(ALNUM, 12)),
        ("ldap-bind-password", "ldapsearch -x -D cn=admin,dc=acme -w {s} -b dc=acme", g.s(ALNUM, 12)),
        ("sqlcmd-password", "sqlcmd -S db.internal -U sa -P {s} -Q 'select 1'", g.s(ALNUM + "!", 14)),
        (
            "url-query-secret",
            "curl 'https://auth.acme.example/oauth/token?grant_type=client_credentials&client_secret={s}'",
            g.s(ALNUM, 32),
        ),
        ("url-query-secret", "jdbc:mysql://db.internal:3306/app?user=app&password={s}", g.s(ALNUM, 14)),
        ("url-query-token", "GET https://api.acme.example/v1/items?key={s}&page=2", g.token(32)),
        ("url-query-token", "http://127.0.0.1:8888/lab?token={s}", g.s(HEX, 48)),
        (
            "encoded-url-credentials",
            "https://admin.acme.example/connect?dsn=postgresql%3A%2F%2Fapp%3A{s}%40db%3A5432%2Fapp",
            g.s(ALNUM, 10) + "%2F" + g.s(ALNUM, 6),
        ),
        ("url-credentials", "git clone https://ci:{s}@git.acme.example/x.git", g.s(ALNUM, 8) + "/" + g.s(ALNUM, 8)),
        ("db-connection-string", "DATABASE_URL=postgres://app:{s}@db:5432/app", g.s(ALNUM, 8) + "%40" + g.s(ALNUM, 8)),
        ("password-cli-flag", "deploy --db-password {s} --env prod", g.s(ALNUM, 16)),
        ("generic-high-entropy-flag", "acme-cli deploy --blob {s} --env prod", g.token(32)),
        ("generic-high-entropy", "ACME_SIGNING_MATERIAL={s}", g.token(40)),
        ("generic-high-entropy", "session:\n  cookie_value: {s}\n", g.token(28)),
    ]


def _discord_token(g: _Gen) -> str:
    """A Discord bot token: the bot's user id (a snowflake) in base64, a timestamp part, an HMAC part."""
    head = base64.b64encode(str(g.rng.randint(10**17, 10**19)).encode()).decode().rstrip("=")
    return f"{head}.{g.s(ALNUM + '_-', 6)}.{g.s(ALNUM + '_-', 38)}"


def _key32(g: _Gen) -> str:
    """32 random bytes in base64, as ``wg genkey`` prints a key."""
    while True:
        key = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(32))).decode()
        if len(set(key)) >= 24 and "+/" not in key:
            return key


def _password(g: _Gen) -> str:
    return g.token(12) + g.s("!#%^*", 1) + g.s(string.digits, 2)


def _round_three_cases(g: _Gen) -> list[tuple[str, str, str]]:
    """Issue #30, round three: tokens with no fixed prefix or passed by flag or to a function, keys and seeds,
    credentials in SQL, heredocs, env dumps and configuration, and secrets escaped, encoded, reversed or split."""
    mg = f"{g.s(HEX, 32)}-{g.s(HEX, 8)}-{g.s(HEX, 8)}"
    ovpn = "\n".join(g.s(HEX, 32) for _ in range(16))
    saml_xml = "<samlp:Response><saml:Assertion>" + g.s(ALNUM, 300) + "</saml:Assertion></samlp:Response>"
    saml = base64.b64encode(saml_xml.encode()).decode()
    saml_wrapped = "\n".join(saml[i : i + 76] for i in range(0, len(saml), 76))
    tf_state = {
        "resources": [
            {
                "type": "random_password",
                "name": "db",
                "instances": [{"attributes": {"length": 24, "result": "{s}", "special": True}}],
            }
        ]
    }
    gh = "ghp_" + g.s(ALNUM, 36)
    sk = "sk_live_" + g.s(ALNUM, 24)
    gl = "glpat-" + g.s(ALNUM, 20)
    an = "sk-ant-api03-" + g.s(ALNUM + "_-", 90) + "AA"
    oa = "sk-proj-" + g.s(ALNUM + "_-", 60)
    slack = "xoxb-" + g.s(string.digits, 12) + "-" + g.s(string.digits, 12) + "-" + g.s(ALNUM, 24)
    gh2 = "ghp_" + g.s(ALNUM, 36)
    npm = "npm_" + g.s(ALNUM, 36)
    pw = g.token(20)
    thrice = f"OPENAI_API_KEY={oa}".encode()
    for _ in range(3):
        thrice = base64.b64encode(thrice)
    twice = base64.b64encode(base64.b64encode(f"SLACK_TOKEN={slack}".encode())).decode()
    url_json = quote(json.dumps({"user": "ci", "password": pw}), safe="")
    url_slack = quote(json.dumps({"channel": "#ops", "token": slack}), safe="")
    cut_gh, cut_npm = g.rng.randint(6, 30), g.rng.randint(6, 30)
    return [
        # vendor tokens without a fixed prefix, by flag or by the call they are passed to
        ("doppler-token", "doppler secrets download --no-file --token {s}", "dp.st.prd." + g.s(ALNUM, 40)),
        ("doppler-token", "DOPPLER_TOKEN={s} doppler run -- ./serve", "dp.st.dev_main." + g.s(ALNUM, 40)),
        ("sentry-dsn-key", 'sentry_sdk.init(dsn="https://{s}@o447951.ingest.sentry.io/5428557")', g.s(HEX, 32)),
        ("sentry-dsn-key", "Sentry.init({{ dsn: 'https://{s}@sentry.acme.example/42' }});", g.s(HEX, 32)),
        ("mailgun-api-key", "MAILGUN_API_KEY={s}", mg),
        ("mailgun-api-key", "mailgun.Client(auth=('api', '{s}'))", f"{g.s(HEX, 32)}-{g.s(HEX, 8)}-{g.s(HEX, 8)}"),
        ("discord-bot-token", "client.run('{s}')", _discord_token(g)),
        ("discord-bot-token", 'await bot.start("{s}")', _discord_token(g)),
        ("discord-bot-token", 'self.client.run("{s}", reconnect=True)', _discord_token(g)),
        # an Asana PAT is <version>/<user id>[/<app id>]:<secret>: the ids are public, the 32 hex digits are not
        # (given as a bearer token, the ids are redacted too, by authorization-header: see test_redaction)
        ("asana-pat", 'ASANA_ACCESS_TOKEN="1/' + g.s(string.digits, 16) + ':{s}"', g.s(HEX, 32)),
        (
            "asana-pat",
            "client = asana.Client.access_token('2/" + g.s(string.digits, 16) + "/" + g.s(string.digits, 16) + ":{s}')",
            g.s(HEX, 32),
        ),
        (
            "azure-devops-pat-v2",
            "az devops login --org https://dev.azure.example/acme <<< {s}",
            g.s(ALNUM, 76) + "AZDO" + g.s(ALNUM, 4),
        ),
        (
            "secret-here-string",
            '$pat = @"\n{s}\n"@\n$b = [Text.Encoding]::ASCII.GetBytes(":$pat")',
            g.s("abcdefghijklmnopqrstuvwxyz234567", 52),
        ),
        ("secret-here-string", "GITHUB_TOKEN=$(cat <<'EOF'\n{s}\nEOF\n)", g.token(40)),
        ("launchdarkly-key", "ldclient.set_config(Config('{s}'))", "sdk-" + g.uuid()),
        ("launchdarkly-key", 'LDClient client = new LDClient("{s}");', "mob-" + g.uuid()),
        ("segment-write-key", 'analytics.load("{s}");', g.s(ALNUM, 32)),
        ("segment-write-key", "Analytics({{ writeKey: '{s}' }})", g.s(ALNUM, 32)),
        ("algolia-client-key", f"client = SearchClient.create('{g.s(UPD, 10)}', '{{s}}')", g.s(HEX, 32)),
        ("algolia-client-key", f'const c = algoliasearch("{g.s(UPD, 10)}", "{{s}}");', g.s(HEX, 32)),
        # keys and seeds
        ("ethereum-private-key", "cast send 0xAbC 'mint()' --private-key {s}", "0x" + g.s(HEX, 64)),
        ("ethereum-private-key", "const wallet = new ethers.Wallet('{s}', provider);", "0x" + g.s(HEX, 64)),
        ("ethereum-private-key", 'acct = Account.from_key("{s}")', "0x" + g.s(HEX, 64)),
        ("key-cli-flag", "forge script Deploy --broadcast --private-key {s}", g.s(HEX, 64)),
        ("key-cli-flag", "near login --seed {s}", g.token(44)),
        ("raw-256-bit-key", "{s}", _key32(g)),
        ("raw-256-bit-key", "$ wg genkey | tee wg0.key\n{s}\n", _key32(g)),
        ("raw-256-bit-key", "umask 077; echo {s} > /etc/wireguard/private.key", _key32(g)),
        ("totp-seed", "seed: {s}\nissuer: acme", g.s(B32, 16)),
        ("totp-seed", "oathtool --totp -b {s}", g.s(B32, 32)),
        ("totp-seed", '{{"mfa_secret": "{s}"}}', g.s(B32, 32)),
        (
            "openvpn-static-key",
            "<tls-auth>\n-----BEGIN OpenVPN Static key V1-----{s}-----END OpenVPN Static key V1-----\n</tls-auth>",
            f"\n{ovpn}\n",  # the block's body, its line breaks included
        ),
        # credentials in commands, SQL and configuration
        ("sql-password", "mysql -e \"CREATE USER 'app'@'%' IDENTIFIED BY '{s}';\"", _password(g)),
        ("sql-password", "ALTER ROLE report WITH LOGIN PASSWORD '{s}' VALID UNTIL 'infinity';", _password(g)),
        ("sql-password", "SET PASSWORD FOR 'etl'@'localhost' = '{s}';", _password(g)),
        ("sql-password", "CREATE USER scott IDENTIFIED BY {s} DEFAULT TABLESPACE users;", _password(g)),
        ("redis-auth-command", "redis-cli -h cache.internal <<EOF\nAUTH {s}\nFLUSHDB\nEOF", _password(g)),
        ("redis-auth-command", "printf 'AUTH default {s}\\r\\nINFO\\r\\n' | redis-cli --pipe", g.token(18)),
        (
            "terraform-state-secret",
            json.dumps(tf_state, indent=2).replace("{", "{{").replace("}", "}}").replace("{{s}}", "{s}"),
            g.token(16) + "!*#",
        ),
        ("secret-name-assignment", "HOME=/app\nRAILS_MASTER_KEY={s}\nPATH=/usr/bin", g.s(HEX, 32)),
        ("secret-name-assignment", "PORT=4000\nSESSION_SIGNING_SALT={s}\nLANG=C.UTF-8", g.token(32)),
        ("secret-name-assignment", "export DB_PASS = '{s}'", _password(g)),
        ("secret-name-assignment", "SMTP_PASS={s}", _password(g)),
        ("secret-name-assignment", "DEPLOY_PW: {s}\n", _password(g)),
        ("secret-name-assignment", "export SEGMENT_WRITE_KEY={s}", g.s(ALNUM, 32)),
        ("secret-name-assignment", '{{"adminPw": "{s}", "user": "root"}}', _password(g)),
        ("sshpass-password", "sshpass -p '{s}' rsync -a ./ deploy@10.0.0.5:/srv", _password(g)),
        ("http-basic-auth-argument", "r = requests.get(url, auth=(user, '{s}'))", _password(g)),
        ("http-basic-auth-argument", 'session.auth = HTTPBasicAuth("svc", "{s}")', _password(g)),
        ("login-call-password", "smtp.login('ops@acme.example', '{s}')", _password(g)),
        ("login-call-password", 'conn.simple_bind_s("cn=admin,dc=acme", "{s}")', _password(g)),
        ("net-user-password", "net user svc_backup {s} /add /y", _password(g)),
        ("chpasswd-input", "echo 'deploy:{s}' | sudo chpasswd", _password(g)),
        ("chpasswd-input", 'chpasswd <<< "ubuntu:{s}"', _password(g)),
        (
            "ldap-bind-password-config",
            "uri ldap://ldap.acme.example\nbinddn cn=nss,dc=acme\nbindpw {s}\n",
            _password(g),
        ),
        ("ldap-bind-password-config", "[domain/acme]\nldap_default_authtok = {s}\n", _password(g)),
        ("secret-in-prose", "here is my API key: {s} please set it up", g.token(40)),
        ("secret-in-prose", "use this token {s} for the deploy", g.token(32)),
        ("archive-password-flag", "rar a -p{s} -hp backup.rar data/", _password(g)),
        ("archive-password-flag", "unzip -P '{s}' export.zip", _password(g)),
        ("ssh-keygen-passphrase", 'ssh-keygen -t ed25519 -N "{s}" -f ~/.ssh/deploy', _password(g)),
        ("snmp-community", "snmpwalk -v2c -c {s} 10.0.0.1 system", g.token(12)),
        ("ipmi-mqtt-cli-password", "ipmitool -I lanplus -H 10.0.0.9 -U ADMIN -P {s} power status", _password(g)),
        ("ipmi-mqtt-cli-password", "mosquitto_pub -h broker -u dev -P '{s}' -t t -m hi", _password(g)),
        ("rabbitmqctl-password", "rabbitmqctl add_user ci {s}", _password(g)),
        (
            "openssl-enc-password",
            "openssl enc -aes-256-cbc -salt -pbkdf2 -k {s} -in db.sql -out db.sql.enc",
            _password(g),
        ),
        # secrets written another way
        ("unicode-escaped-github-pat", '{{"cfg": {{"t": "{s}"}}}}', "".join(f"\\u{ord(c):04x}" for c in gh)),
        ("unicode-escaped-stripe-secret-key", "key = b'{s}'.decode()", "".join(f"\\x{ord(c):02x}" for c in sk)),
        ("urlencoded-secret-assignment-quoted", "curl 'https://hooks.acme.example/in?payload={s}'", url_json),
        ("urlencoded-slack-token", "GET /relay?body={s} HTTP/1.1", url_slack),
        ("base64-base64-base64-openai-api-key", "echo {s} | base64 -d | base64 -d | base64 -d", thrice.decode()),
        ("base64-base64-slack-token", "echo {s} | base64 -d | base64 -d", twice),
        ("hex-gitlab-pat", "printf '%s' {s} | xxd -r -p", f"token={gl}".encode().hex()),
        ("hex-github-pat", "blob: {s}", gh2.encode().hex()),
        ("reversed-anthropic-api-key", "echo '{s}' | rev", an[::-1]),
        ("reversed-npm-token", "TOKEN = '{s}'[::-1]", npm[::-1]),
        ("concatenated-github-pat", "token = {s}", f'"{gh[:cut_gh]}" + "{gh[cut_gh:]}"'),
        ("concatenated-npm-token", "const t = {s};", f"'{npm[:cut_npm]}' + '{npm[cut_npm:]}'"),
        ("saml-response", "SAMLResponse={s}\nRelayState=/dashboard", saml_wrapped),
    ]


# --- placement: where a secret sits in a hook payload ----------------------------------------------

PLACEMENTS = (
    "bash-command",
    "bash-stdout",
    "write-content",
    "multiedit",
    "mcp-json",
    "json-key",
    "base64",
    "over-1mib",
)
_BIG = 1_200_000  # bytes of filler: over the 1 MiB record cap


def _payload(tool: str, tool_input: dict, tool_response: object = None) -> dict:
    p = {
        "session_id": "corpus-session",
        "transcript_path": "/tmp/corpus/transcript.jsonl",
        "cwd": "/repo",
        "hook_event_name": "PostToolUse" if tool_response is not None else "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_corpus",
    }
    if tool_response is not None:
        p["tool_response"] = tool_response
    return p


def place(placement: str, text: str, secret: str) -> dict:
    """A hook payload holding ``text`` (which holds ``secret``) the way ``placement`` names."""
    if placement == "bash-command":
        return _payload("Bash", {"command": text, "description": "run it"})
    if placement == "bash-stdout":
        return _payload(
            "Bash", {"command": "cat config.txt"}, {"stdout": text + "\n", "stderr": "", "interrupted": False}
        )
    if placement == "write-content":
        return _payload("Write", {"file_path": "/repo/deploy/app.conf", "content": f"# deploy settings\n{text}\n"})
    if placement == "multiedit":
        edits = [{"old_string": "TODO", "new_string": "done"}, {"old_string": "# settings", "new_string": text}]
        return _payload("MultiEdit", {"file_path": "/repo/settings.py", "edits": edits})
    if placement == "mcp-json":
        return _payload("mcp__acme__deploy", {"target": "prod", "config": {"notes": text, "retries": 3}})
    if placement == "json-key":
        return _payload("mcp__acme__allowlist", {"entries": {secret: {"owner": "ci", "enabled": True}}})
    if placement == "base64":
        encoded = base64.b64encode(text.encode()).decode()
        manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  config: {encoded}\n"
        return _payload("Write", {"file_path": "/repo/k8s/secret.yaml", "content": manifest})
    if placement == "over-1mib":
        filler = ("x = 1  # filler line of an oversized generated file\n" * (_BIG // 50 + 1))[:_BIG]
        return _payload("Write", {"file_path": "/repo/gen/big.py", "content": text + "\n" + filler})
    raise ValueError(placement)


def _stands_alone(secret: str) -> bool:
    """Whether a secret can be told from an id with no context at all (as a bare JSON key): a token of
    20+ characters that is not hex (a git SHA, a digest) and holds no UUID. Shorter or hex secrets are
    found by their context (``password=``, ``-p``, a vendor's key name, ``Wallet(...)``), which a bare key does not
    have."""
    hexish = set("0123456789abcdefABCDEF-")
    bare = secret[2:] if secret.startswith("0x") else secret  # 0x + 64 hex: a transaction hash as often as a key
    return len(secret) >= 20 and not set(bare) <= hexish and "-4" not in secret[8:20] and "\n" not in secret


def placed() -> list[tuple[str, str, dict, str]]:
    """Every positive in two placements (rotating through all of them), plus a camelCase key in MCP JSON
    for every tenth: (rule id, placement, hook payload, secret)."""
    out = []
    for i, (rule, text, secret) in enumerate(positives()):
        second = "over-1mib" if i % 16 == 0 else "base64" if i % 4 == 0 else PLACEMENTS[(i + 3) % 6]
        for placement in (PLACEMENTS[i % 6], second):
            if placement == "json-key" and not _stands_alone(secret):
                placement = "bash-stdout"
            out.append((rule, placement, place(placement, text, secret), secret))
        if i % 10 == 0:
            key = ("secretAccessKey", "clientSecret", "signingKey", "dbPassword", "apiToken")[i // 10 % 5]
            out.append(
                (
                    "sensitive-key",
                    "mcp-json-key",
                    _payload("mcp__acme__connect", {"auth": {"user": "ci", key: secret}}),
                    secret,
                )
            )
    return out


def leaked(secret: str, record: object) -> bool:
    """Whether ``secret`` survives in a JSON value, in clear or JSON-escaped."""
    text = json.dumps(record)
    return secret in text or json.dumps(secret)[1:-1] in text


def negatives() -> list[tuple[str, str]]:
    """(label, text) pairs that contain no secret, though many look close."""
    g = _Gen(99)
    sha1 = hashlib.sha1(b"commit").hexdigest()
    sha256 = hashlib.sha256(b"artifact").hexdigest()
    png = "data:image/png;base64," + base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(600))).decode()
    named = [
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
        *_round_three_negatives(),
    ]
    return [*named, *_generated_negatives(g)]


def _round_three_negatives() -> list[tuple[str, str]]:
    """Look-alikes for the round-three context rules: the flag, the name, the call or the form without a secret."""
    tx = hashlib.sha256(b"transaction").hexdigest()
    return [
        ("token flag placeholders", "doppler run --token $DOPPLER_TOKEN -- ./serve\ncli login --token <token>"),
        ("token flag from a secret store", 'doppler secrets download --token "${{ secrets.DOPPLER_TOKEN }}"'),
        ("sentry dsn placeholder", 'sentry_sdk.init(dsn="https://examplePublicKey@o0.ingest.sentry.io/0")'),
        ("sql password columns", "SELECT user, password FROM mysql.user WHERE user = 'root';"),
        ("sql password schema", "CREATE TABLE users (id serial PRIMARY KEY, password VARCHAR(255) NOT NULL);"),
        ("sql bound password", "ALTER USER app IDENTIFIED BY :new_password;\ncur.execute(sql, (password,))"),
        ("sql crypt update", "UPDATE users SET password = crypt($1, gen_salt('bf')) WHERE id = $2;"),
        ("identified by in prose", "IX filesets are identified by four decimal values: version, release."),
        ("redis auth from a variable", "redis-cli -h cache <<EOF\nAUTH $REDIS_PASSWORD\nPING\nEOF"),
        (
            "terraform state without a password",
            '{"type": "random_pet", "instances": [{"attributes": {"id": "amused-lemur"}}]}',
        ),
        (
            "env dump without secrets",
            "PWD=/home/dev/app\nOLDPWD=/home/dev\nGPG_KEY=7169605F62C751356D054A26A821E680E5FA6305\n"
            "SSH_AUTH_SOCK=/tmp/ssh-XXXX/agent.1\nSORT_KEY=name\nPRIMARY_KEY=id\nBYPASS=1",
        ),
        (
            "pass names from variables",
            "DB_PASS=$DB_PASS\nSMTP_PASS=${SMTP_PASS:?}\nexport DEPLOY_PW=\nCOMPASS_HOME=/opt/compass",
        ),
        (
            "key names in code",
            'signing_key: SigningKey = load_key()\ncache_key = f"user:{uid}"\nword_pat = re.compile(r"\\w+")\n'
            'date_pat = "%Y-%m-%d"\nsort_key=lambda item: item[1]',
        ),
        ("sshpass from the environment", 'sshpass -p "$SSHPASS" ssh deploy@host\nsshpass -e ssh deploy@host'),
        ("auth tuples from variables", "requests.get(url, auth=(user, password))\nHTTPBasicAuth(user, pw)"),
        ("login with variables", "smtp.login(user, password)\nftp.login()\nsmtp.login(cfg.user, cfg.password)"),
        ("net user without a password", "net user bob /delete\nnet user administrator *\nnet user jdoe /domain"),
        ("chpasswd from variables", 'echo "$USER:$PASS" | chpasswd\nchpasswd < users.txt'),
        ("ldap config without a password", "#bindpw <password>\nbindpw_file /etc/ldap.secret\nbinddn cn=nss,dc=acme"),
        (
            "secrets named in prose",
            "the token is NEWLINE here. The key is required. The password is stored in Vault. "
            "My token is in the keychain. Use this token $GITHUB_TOKEN for the deploy.",
        ),
        ("reversed normal words", "echo 'olleh dlrow' | rev\nname = 'gnirts_a_si_siht'[::-1]"),
        ("escaped normal text", 'print("\\u0048\\u0065\\u006c\\u006c\\u006f, world")\nPNG = b"\\x89PNG\\r\\n\\x1a\\n"'),
        ("url-encoded json without secrets", "GET /search?q=%7B%22page%22%3A2%2C%22sort%22%3A%22name%22%7D"),
        ("hex of plain text", "payload: 68656c6c6f20776f726c6420746869732069732061207465737421"),
        ("joined literals", 'msg = "Hello, " + "world! " + "How are you?"\npath = ("/usr/"\n        "local/bin")'),
        ("transaction and block hashes", f'cast tx 0x{tx}\n{{"blockHash": "0x{tx[::-1]}"}}\nwallet sent 0x{tx}'),
        ("public key flags", f"--public-key {tx}\n--sort-key {tx}\ngpg --recv-keys 0x{tx[:16]}"),
        ("asana-like numbers", "1/12/2024 2/1234567890123:deadbeef 0/16 1/1234567890123456"),
        ("launchdarkly-like pod", "kubectl logs api-7d444840-9dc0-41d1-b245-5ffdce74fad2 -c app"),
        ("snmp default community", "snmpwalk -v2c -c public 10.0.0.1 system"),
        ("archives without a password", "zip -r out.zip dir\n7z x backup.7z -o/tmp/restore\nunzip -P $ZIP_PW a.zip"),
    ]


def _order_id(g: _Gen) -> str:
    """A random 16-digit id; one in ten starts with 4 and one in ten of those passes Luhn, like a Visa."""
    return g.s("123456789", 1) + g.s(string.digits, 15)


def _generated_negatives(g: _Gen) -> list[tuple[str, str]]:
    """Real code patterns with random parts: ids, digests, lock files, images, identifiers, configs."""
    out: list[tuple[str, str]] = []
    id_forms = ("order_id={}", '"orderId": {}', "Order #{}", "invoice_no: {}", "tracking number {}")
    for i in range(50):  # 200 random 16-digit order ids, four to a line
        ids = [_order_id(g) for _ in range(4)]
        out.append((f"order ids {i}", "\n".join(id_forms[(i + k) % 5].format(x) for k, x in enumerate(ids))))
    for i in range(20):
        sha = hashlib.sha1(g.s(ALNUM, 12).encode()).hexdigest()
        forms = (
            f"commit {sha}",
            f'"sha": "{sha}"',
            f"rev={sha}",
            f"git checkout {sha[:12]}",
            f"- uses: actions/checkout@{sha}",
        )
        out.append((f"git sha {i}", forms[i % 5]))
    for i in range(20):
        u = g.uuid()
        forms = (f"request_id={u}", f'{{"id": "{u}"}}', f"--run-id {u}", f"session_id: {u}", f"X-Request-Id: {u}")
        out.append((f"uuid {i}", forms[i % 5]))
    for i in range(15):
        d = hashlib.sha256(g.s(ALNUM, 12).encode()).hexdigest()
        forms = (
            f"image: nginx@sha256:{d}",
            f"FROM python:3.12-slim@sha256:{d}",
            f'"digest": "sha256:{d}"',
            f"docker pull ghcr.io/acme/api@sha256:{d}",
            f"Digest: sha256:{d}",
        )
        out.append((f"container digest {i}", forms[i % 5]))
    for i in range(15):
        raw = hashlib.sha512(g.s(ALNUM, 12).encode()).digest()
        b64 = base64.b64encode(raw).decode()
        hx = hashlib.sha256(raw).hexdigest()
        forms = (
            f'"integrity": "sha512-{b64}"',
            f'{{file = "pkg-1.0-py3-none-any.whl", hash = "sha256:{hx}"}}',
            f"requests==2.32.3 --hash=sha256:{hx}",
            f'checksum = "{hx}"',
            f"golang.org/x/text v0.14.0 h1:{base64.b64encode(raw[:32]).decode()}",
        )
        out.append((f"lock-file hash {i}", forms[i % 5]))
    for i in range(10):
        img = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(g.rng.getrandbits(8) for _ in range(90 + i * 40))).decode()
        forms = (
            f"![chart](data:image/png;base64,{img})",
            f'{{"image": "{img}"}}',
            f'<img src="data:image/png;base64,{img}">',
        )
        out.append((f"base64 image {i}", forms[i % 3]))
    code = [
        'DATABASE_URL = os.environ["DATABASE_URL"]',
        "password = getpass.getpass('Password: ')",
        "api_key: str | None = None",
        'token = request.headers.get("Authorization", "")',
        "const secret = process.env.JWT_SECRET;",
        'secretKey := os.Getenv("SECRET_KEY")',
        "if not token:\n    raise PermissionError('missing token')",
        "def rotate_api_key(self, key_id: str) -> ApiKey:",
        'headers = {"Authorization": f"Bearer {token}"}',
        "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
        "timeout: 30\nretries: 3\nendpoint: https://api.acme.example/v2",
        "spring.datasource.password=${DB_PASSWORD}",
        'aws_secret_access_key = "{{ aws_secret }}"',
        "ENV PATH=/usr/local/bin:$PATH PYTHONDONTWRITEBYTECODE=1",
        "SELECT id, token_type, expires_at FROM sessions WHERE user_id = $1",
        "kubectl create secret generic app --from-literal=password=$(cat /run/secrets/pw)",
        'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user',
        "for key, value in sorted(os.environ.items()):",
        "secret_name: projects/acme/secrets/db-password/versions/latest",
        "token_url = 'https://oauth2.googleapis.com/token'",
        "export PATH=$HOME/.local/bin:$PATH",
        "git log --pretty=format:%H%x09%an%x09%s -n 20",
        "npm install --save-dev @types/node@20.11.30 typescript@5.4.5",
        "pytest tests/test_api.py::TestAuth::test_refresh_token_rotation -x",
        "version: 3.8\nservices:\n  db:\n    image: postgres:16\n    ports: ['5432:5432']",
        "max_tokens=4096, temperature=0.2, top_p=0.95",
        "logging.basicConfig(format='%(asctime)s %(levelname)s %(name)s: %(message)s')",
        "re.compile(r'^[A-Za-z0-9+/]{40}$')",
        "assert hashlib.sha256(data).hexdigest() == expected",
        "class AbstractSingletonProxyFactoryBean2(BaseFactory): pass",
    ]
    out += [(f"code {i}", text) for i, text in enumerate(code)]
    idents = [
        "test_parse_ISO8601_with_tz_offset_and_microseconds",
        "handleUserAuthenticationCallbackV2",
        "AWS_DEFAULT_REGION=eu-central-1",
        "java.lang.IllegalArgumentException: Invalid UTF8 sequence at offset 1024",
        "at com.acme.billing.InvoiceService$1.run(InvoiceService.java:142)",
        "node_modules/@babel/core/lib/transformation/file/file.js:233:11",
        "python3.12/site-packages/pandas/core/frame.py:4102 in __getitem__",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261128T120000Z&X-Amz-Expires=900",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ]
    out += [(f"identifier {i}", text) for i, text in enumerate(idents)]
    for i in range(10):
        d = hashlib.md5(g.s(ALNUM, 8).encode()).hexdigest()
        forms = (
            f"{d}  dist/app.tar.gz",
            f'ETag: "{d}"',
            f"md5: {d}",
            f"Content-MD5: {base64.b64encode(bytes.fromhex(d)).decode()}",
            f"cache key {d[:16]}",
        )
        out.append((f"checksum {i}", forms[i % 5]))
    return out
