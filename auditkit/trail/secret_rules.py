"""The built-in secret rules: one table shared by the hook and the library (standard library only).

Each rule is ``(id, regex, keywords, group, check)``:

- ``regex`` is Python ``re`` syntax. Rules drawn from gitleaks and detect-secrets were rewritten
  where Go's syntax differs (``X(?i)Y`` as ``X(?i:Y)``, ``\\z`` as ``\\Z``).
- ``keywords`` are literals; the regex only runs (and is only compiled) on text that contains
  one of them. A keyword with a capital letter is matched case-sensitively, any other against
  the lowercased text; ``a&&b`` needs both ``a`` and ``b``. An empty tuple means the rule
  always runs (card numbers, prefiltered by a digit count instead).
- ``group`` is the capture group holding the secret (0: the whole match). Context around it
  (``password=``, ``Bearer``, a URL's user name) stays readable in the trail.
- ``check`` holds flags, space-separated: ``luhn`` (card numbers must pass the Luhn test),
  ``value`` (not a placeholder, type name or code reference), ``anchored`` (the regex begins
  with its keyword, so it is matched only where a keyword occurs instead of scanning the text),
  ``word`` (a value that is only lowercase letters and underscores is a variable, not a secret:
  ``lasttoken = token``), ``tokenish`` (the value needs 12+ characters with letters and digits),
  ``entropy`` (the value must look random: :func:`auditkit.trail.redaction.high_entropy`), ``keyname``
  (the whole key name before the keyword must name a secret: :func:`auditkit.trail.redaction.is_sensitive_key`),
  ``flagname`` (so must the flag's name, or be ``--key``, ``--pk``, ``--seed``), ``herename`` (a here-string or
  heredoc assigned to such a name: ``$pat = @"``, ``TOKEN=$(cat <<EOF``),
  ``prose`` (a token-like value after a determiner and a secret's name: "my API key is ...").

Order matters: specific rules come before generic ones, so a GitHub token inside ``token=...``
is reported as ``github-pat`` rather than as a generic assignment.
"""

#: Key names whose values are secret whatever they look like (compared lowercased, ``-`` as ``_``).
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "client_secret",
        "secret_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "session_token",
        "api_key",
        "apikey",
        "x_api_key",
        "api_token",
        "access_key",
        "aws_secret_access_key",
        "authorization",
        "proxy_authorization",
        "auth",
        "cookie",
        "set_cookie",
        "session",
        "sessionid",
        "session_id_cookie",
        "csrftoken",
        "x_csrftoken",
        "xsrf_token",
        "private_key",
        "privatekey",
        "private_key_id",
        "credentials",
        "credential",
        "mysql_pwd",
        "pgpassword",
        "db_password",
        "database_password",
        "connection_string",
        "client_key",
        "signing_key",
        "webhook_secret",
        "encryption_key",
        "master_key",
        "sshpass",
        "signing_salt",
    }
)
#: A key ending in one of these is sensitive too (``github_token``, ``DB_PASSWORD``, ...).
SENSITIVE_SUFFIXES = (
    "_password",
    "_passwd",
    "_secret",
    "_token",
    "_api_key",
    "_apikey",
    "_access_key",
    "_secret_key",
    "_private_key",
    "_credentials",
    "_auth_token",
    "_signing_salt",
)

#: Values that are obviously not secrets (compared lowercased).
PLACEHOLDERS = frozenset(
    {
        "your-api-key-here",
        "your_api_key_here",
        "your-api-key",
        "your_api_key",
        "your-token-here",
        "your_token_here",
        "your-secret-here",
        "your_password_here",
        "your-password-here",
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "example",
        "dummy",
        "redacted",
        "xxxxxxxx",
        "********",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "str",
        "int",
        "bytes",
        "bool",
        "string",
        "optional",
        "any",
        "secretstr",
        "required",
        "<redacted>",
    }
)

# Key names start at the keyword (``DB_PASSWORD`` matches from ``PASSWORD``): a leading
# ``[A-Za-z0-9_.-]*`` would make the engine backtrack through every identifier at every position.
_ASSIGN_WORD = (
    r"(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|auth[_-]?key|client[_-]?key|credentials?|pgpass|mysql_pwd)"
)
# ... and the rest of the name is read possessively, at most 100 characters: unbounded, text made of the
# keyword repeated (``passwdxpasswdx...``) made every occurrence read to the end of the text (quadratic).
_ASSIGN_KEY = _ASSIGN_WORD + r"[A-Za-z0-9_.-]{0,100}+"

_ASSIGN_KEYWORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "private_key",
    "private-key",
    "auth_key",
    "client_key",
    "credential",
    "pgpass",
    "mysql_pwd",
)


def _near(rule_id: str, words: str, secret: str) -> tuple[str, str, tuple[str, ...], int, str]:
    """A vendor's token with no prefix of its own, found where a key naming the vendor is assigned it
    (gitleaks calls these semi-generic): ``TWITCH_API_TOKEN = "..."``, ``okta_token: ...``."""
    return (
        rule_id,
        rf"(?i)(?:{words})[\w.-]{{0,30}}?[\"']?[ \t]*(?::=|=>|[:=]|,)[ \t]*[\"'`]?({secret})(?![\w-])",
        tuple(words.replace("\\", "").split("|")),
        1,
        "value anchored",
    )


_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

#: (id, regex, keywords, group, check)
RULES: tuple[tuple[str, str, tuple[str, ...], int, str], ...] = (
    # --- private keys and key blocks -------------------------------------------------------
    (
        "private-key-block",
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]{0,20000}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]{16,})",
        ("private key",),
        0,
        "",
    ),
    ("age-secret-key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ("age-secret-key-1",), 0, ""),
    # --- cloud providers ---------------------------------------------------------------------
    (
        "aws-access-key-id",
        r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        ("akia", "asia", "abia", "acca", "a3t"),
        1,
        "",
    ),
    (
        "aws-secret-access-key",
        r"(?i)aws_?(?:secret_?(?:access_?)?key|secret)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        ("aws",),
        1,
        "",
    ),
    ("gcp-api-key", r"\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])", ("aiza",), 1, ""),
    ("gcp-service-account-key-id", r"\"private_key_id\"\s*:\s*\"([a-f0-9]{40})\"", ("private_key_id",), 1, ""),
    ("google-oauth-client-secret", r"\b(GOCSPX-[A-Za-z0-9_-]{28})(?![A-Za-z0-9_-])", ("gocspx-",), 1, ""),
    ("google-oauth-access-token", r"\b(ya29\.[0-9A-Za-z_-]{20,})", ("ya29.",), 1, ""),
    ("azure-storage-account-key", r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)", ("accountkey",), 1, ""),
    ("azure-sas-signature", r"(?i)[?&]sig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})", ("sig=",), 1, ""),
    (
        "azure-ad-client-secret",
        r"(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
        ("q~",),
        1,
        "",
    ),
    ("digitalocean-token", r"\b(do[por]_v1_[a-f0-9]{64})\b", ("v1_",), 1, ""),
    ("heroku-api-key", r"\b(HRKU-[A-Za-z0-9_-]{58,60})(?![A-Za-z0-9_-])", ("hrku-",), 1, ""),
    (
        "heroku-api-key-legacy",
        r"(?i)heroku[A-Za-z0-9_ .-]{0,20}[\"']?\s*[:=]\s*[\"']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        ("heroku",),
        1,
        "",
    ),
    (
        "cloudflare-api-token",
        r"(?i)(?:cloudflare|cf)_?api_?(?:token|key)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9_-]{37,40})(?![A-Za-z0-9_-])",
        ("cloudflare", "cf_api"),
        1,
        "",
    ),
    # --- code hosting and CI -------------------------------------------------------------------
    ("github-pat", r"\b(ghp_[0-9A-Za-z]{36})\b", ("ghp_",), 1, ""),
    ("github-oauth", r"\b(gho_[0-9A-Za-z]{36})\b", ("gho_",), 1, ""),
    ("github-user-to-server", r"\b(ghu_[0-9A-Za-z]{36})\b", ("ghu_",), 1, ""),
    ("github-server-to-server", r"\b(ghs_[0-9A-Za-z]{36})\b", ("ghs_",), 1, ""),
    ("github-refresh-token", r"\b(ghr_[0-9A-Za-z]{36,76})\b", ("ghr_",), 1, ""),
    ("github-fine-grained-pat", r"\b(github_pat_[0-9A-Za-z_]{82})\b", ("github_pat_",), 1, ""),
    ("gitlab-pat", r"\b(glpat-[0-9A-Za-z_-]{20,})(?![0-9A-Za-z_-])", ("glpat-",), 1, ""),
    ("gitlab-pipeline-trigger-token", r"\b(glptt-[0-9a-f]{40})\b", ("glptt-",), 1, ""),
    ("gitlab-runner-token", r"\b(glrt-[0-9A-Za-z_-]{20,})(?![0-9A-Za-z_-])", ("glrt-",), 1, ""),
    ("npm-token", r"\b(npm_[A-Za-z0-9]{36})\b", ("npm_",), 1, ""),
    ("pypi-token", r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})", ("pypi-ageichlwas5vcmc",), 1, ""),
    ("docker-hub-pat", r"\b(dckr_pat_[A-Za-z0-9_-]{27})(?![A-Za-z0-9_-])", ("dckr_pat_",), 1, ""),
    ("hashicorp-vault-token", r"\b(hv[sb]\.[A-Za-z0-9_-]{24,})", ("hvs.", "hvb."), 1, ""),
    ("pulumi-token", r"\b(pul-[a-f0-9]{40})\b", ("pul-",), 1, ""),
    (
        "doppler-token",  # personal, CLI, service (dp.st.<config>.), service account, SCIM and audit tokens
        r"\b(dp\.(?:pt|ct|sa|scim|audit|st(?:\.[A-Za-z0-9_-]{1,64})?)\.[A-Za-z0-9]{40,44})\b",
        ("dp.",),
        1,
        "",
    ),
    # --- AI providers ------------------------------------------------------------------------
    ("anthropic-api-key", r"\b(sk-ant-[a-z0-9]{2,10}\d{2}-[A-Za-z0-9_-]{32,})", ("sk-ant-",), 1, ""),
    (
        "openai-api-key",
        r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|sk-[A-Za-z0-9]{48})"
        r"(?![A-Za-z0-9_-])",
        ("sk-",),
        1,
        "",
    ),
    ("huggingface-token", r"\b(hf_(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{34,40})\b", ("hf_",), 1, ""),
    ("terraform-cloud-token", r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})\b", ("atlasv1.",), 1, ""),
    ("atlassian-api-token", r"\b(ATATT3[A-Za-z0-9_=-]{150,200})", ("ATATT3",), 1, ""),
    ("mapbox-secret-token", r"\b(sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})", ("sk.eyJ",), 1, ""),
    ("flyio-token", r"\b(FlyV1 fm\d_[A-Za-z0-9+/=,_-]{60,})", ("FlyV1",), 1, ""),
    (
        "discord-bot-token",  # its first part is a user id (17-20 digits) in base64: it starts MT, Mj, Mz, ND, ...
        r"([MNO](?<![A-Za-z0-9_-][MNO])[DTjz][A-Za-z0-9]{21,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])",
        ("discord", "run('", 'run("', "start('", 'start("', "login('", 'login("'),  # a literal passed to a call
        1,
        "",
    ),
    (
        "discord-bot-token",  # the same kind, any first part, where Discord or a bot is named before it
        r"(?i:discord|bot)[^\n]{0,40}?\b([MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38})\b",
        ("discord", "bot"),
        1,
        "",
    ),
    ("azure-shared-access-key", r"(?i)\bSharedAccessKey\s*=\s*([A-Za-z0-9+/]{30,}={0,2})", ("sharedaccesskey",), 1, ""),
    ("netrc-password", r"\bmachine\s+\S+(?:\s+login\s+\S+)?\s+password\s+(\S+)", ("machine&&password",), 1, "value"),
    (
        "putty-private-key",
        r"PuTTY-User-Key-File-\d+:[^\n]*\n(?:[^\n]*\n){2,40}?Private-Lines:\s*\d+\r?\n"
        r"((?:[A-Za-z0-9+/=]+\r?\n)*[A-Za-z0-9+/=]+)(?=\r?\n|$)",
        ("Private-Lines",),
        1,
        "",
    ),
    # --- more vendors with a prefix of their own (gitleaks' and trufflehog's families) ------------
    ("adobe-client-secret", r"\b(p8e-[A-Za-z0-9]{32})\b", ("p8e-",), 1, ""),
    ("airtable-pat", r"\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b", ("pat",), 1, ""),
    ("alibaba-access-key-id", r"\b(LTAI[A-Za-z0-9]{20})\b", ("LTAI",), 1, ""),
    ("tencent-secret-id", r"\b(AKID[A-Za-z0-9]{32})\b", ("AKID",), 1, ""),
    ("artifactory-api-key", r"\b(AKCp[A-Za-z0-9]{69})\b", ("AKCp",), 1, ""),
    ("artifactory-reference-token", r"\b(cmVmd[A-Za-z0-9]{59})\b", ("cmVmd",), 1, ""),
    ("clojars-api-token", r"\b(CLOJARS_[a-z0-9]{60})\b", ("CLOJARS_",), 1, ""),
    ("cloudflare-origin-ca-key", r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b", ("v1.0-",), 1, ""),
    ("contentful-pat", r"\b(CFPAT-[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])", ("CFPAT-",), 1, ""),
    ("defined-networking-api-token", r"\b(dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52})", ("dnkey-",), 1, ""),
    ("dropbox-short-lived-token", r"\b(sl\.(?:u\.)?[A-Za-z0-9_=-]{130,})", ("sl.",), 1, ""),
    ("duffel-api-token", r"\b(duffel_(?:test|live)_[A-Za-z0-9_=-]{43})", ("duffel_",), 1, ""),
    ("dynatrace-api-token", r"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b", ("dt0c01.",), 1, ""),
    ("easypost-api-token", r"\b(EZ[AT]K[A-Za-z0-9]{54})\b", ("EZAK", "EZTK"), 1, ""),
    ("facebook-access-token", r"\b(EAA[MC][A-Za-z0-9]{100,})\b", ("EAAM", "EAAC"), 1, ""),
    ("flutterwave-secret-key", r"\b(FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)\b", ("FLWSECK",), 1, ""),
    ("frameio-api-token", r"\b(fio-u-[A-Za-z0-9_=-]{64})", ("fio-u-",), 1, ""),
    ("gitlab-deploy-token", r"\b(gldt-[0-9A-Za-z_-]{20,})(?![0-9A-Za-z_-])", ("gldt-",), 1, ""),
    ("gitlab-feed-token", r"\b(glft-[0-9A-Za-z_-]{20,})(?![0-9A-Za-z_-])", ("glft-",), 1, ""),
    ("gitlab-incoming-mail-token", r"\b(glimt-[0-9A-Za-z_-]{25})(?![0-9A-Za-z_-])", ("glimt-",), 1, ""),
    ("gitlab-kubernetes-agent-token", r"\b(glagent-[0-9A-Za-z_-]{50})(?![0-9A-Za-z_-])", ("glagent-",), 1, ""),
    ("gitlab-oauth-app-secret", r"\b(gloas-[0-9A-Za-z_-]{64})(?![0-9A-Za-z_-])", ("gloas-",), 1, ""),
    ("gitlab-ci-build-token", r"\b(glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20})(?![0-9A-Za-z_-])", ("glcbt-",), 1, ""),
    ("gitlab-runner-registration-token", r"\b(GR1348941[0-9A-Za-z_-]{20})(?![0-9A-Za-z_-])", ("GR1348941",), 1, ""),
    ("gitlab-scim-token", r"\b(glsoat-[0-9A-Za-z_-]{20})(?![0-9A-Za-z_-])", ("glsoat-",), 1, ""),
    ("grafana-api-key", r"\b(eyJrIjoi[A-Za-z0-9]{70,400}={0,2})", ("eyJrIjoi",), 1, ""),
    (
        "harness-api-key",
        r"\b((?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})\b",
        ("pat.", "sat."),
        1,
        "",
    ),
    ("infracost-api-token", r"\b(ico-[A-Za-z0-9]{32})\b", ("ico-",), 1, ""),
    ("intra42-client-secret", r"\b(s-s4t2(?:ud|af)-[a-f0-9]{64})\b", ("s-s4t2",), 1, ""),
    ("mailgun-public-key", r"\b(pubkey-[a-f0-9]{32})\b", ("pubkey-",), 1, ""),
    ("maxmind-license-key", r"\b([A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)\b", ("mmk",), 1, ""),
    (
        "microsoft-teams-webhook",
        r"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-z0-9-]+@[a-z0-9-]+/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36})",
        ("webhook.office.com",),
        1,
        "",
    ),
    ("new-relic-browser-token", r"\b(NRJS-[a-f0-9]{19})\b", ("NRJS-",), 1, ""),
    ("new-relic-insert-key", r"\b(NRII-[A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])", ("NRII-",), 1, ""),
    ("new-relic-license-key", r"\b([a-f0-9]{36}NRAL)\b", ("NRAL",), 1, ""),
    ("notion-token", r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})\b", ("ntn_", "secret_"), 1, ""),
    ("nuget-api-key", r"\b(oy2[a-z0-9]{43})\b", ("oy2",), 1, ""),
    ("octopus-deploy-api-key", r"\b(API-[A-Z0-9]{26})\b", ("API-",), 1, ""),
    (
        "onepassword-secret-key",
        r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        ("A3-",),
        1,
        "",
    ),
    ("onepassword-service-account-token", r"\b(ops_eyJ[A-Za-z0-9+/]{250,}={0,3})", ("ops_eyJ",), 1, ""),
    ("openshift-user-token", r"\b(sha256~[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])", ("sha256~",), 1, ""),
    ("perplexity-api-key", r"\b(pplx-[A-Za-z0-9]{48})\b", ("pplx-",), 1, ""),
    ("plaid-access-token", rf"\b(access-(?:sandbox|development|production)-{_UUID})\b", ("access-",), 1, ""),
    ("prefect-api-token", r"\b(pnu_[A-Za-z0-9]{36})\b", ("pnu_",), 1, ""),
    ("readme-api-token", r"\b(rdme_[a-z0-9]{70})\b", ("rdme_",), 1, ""),
    ("rubygems-api-token", r"\b(rubygems_[a-f0-9]{48})\b", ("rubygems_",), 1, ""),
    ("scalingo-api-token", r"\b(tk-us-[A-Za-z0-9_-]{48})(?![A-Za-z0-9_-])", ("tk-us-",), 1, ""),
    ("sendinblue-api-token", r"\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b", ("xkeysib-",), 1, ""),
    ("settlemint-token", r"\b(sm_(?:pat|aat|sat)_[A-Za-z0-9]{16})\b", ("sm_pat_", "sm_aat_", "sm_sat_"), 1, ""),
    ("shippo-api-token", r"\b(shippo_(?:live|test)_[a-fA-F0-9]{40})\b", ("shippo_",), 1, ""),
    ("slack-config-token", r"\b(xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}|xoxe-\d-[A-Z0-9]{146})\b", ("xoxe",), 1, ""),
    ("sonarqube-token", r"\b(sq[pua]_[a-f0-9]{40})\b", ("sqp_", "squ_", "sqa_"), 1, ""),
    (
        "sourcegraph-token",
        r"\b(sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40})\b",
        ("sgp_",),
        1,
        "",
    ),
    ("square-access-token", r"\b(EAAA[A-Za-z0-9_-]{60})(?![A-Za-z0-9_-])", ("EAAA",), 1, ""),
    ("twitter-bearer-token", r"(A{22}[A-Za-z0-9%]{80,100})", ("A" * 22,), 1, ""),
    ("typeform-api-token", r"\b(tfp_[A-Za-z0-9_.=-]{59})", ("tfp_",), 1, ""),
    ("yandex-api-key", r"\b(AQVN[A-Za-z0-9_-]{35,38})(?![A-Za-z0-9_-])", ("AQVN",), 1, ""),
    ("yandex-access-token", r"\b(t1\.[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]{86}=*)", ("t1.",), 1, ""),
    ("supabase-token", r"\b(sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31,})\b", ("sbp_", "sb_secret_"), 1, ""),
    ("replicate-api-token", r"\b(r8_[A-Za-z0-9]{37})\b", ("r8_",), 1, ""),
    ("groq-api-key", r"\b(gsk_[A-Za-z0-9]{52})\b", ("gsk_",), 1, ""),
    ("xai-api-key", r"\b(xai-[A-Za-z0-9]{80})\b", ("xai-",), 1, ""),
    ("langsmith-api-key", r"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b", ("lsv2_",), 1, ""),
    ("pinecone-api-key", r"\b(pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,})\b", ("pcsk_",), 1, ""),
    (
        "tailscale-key",
        r"\b(tskey-(?:api|auth|client|webhook|scim)-[A-Za-z0-9]{8,}-[A-Za-z0-9]{20,})\b",
        ("tskey-",),
        1,
        "",
    ),
    ("render-api-key", r"\b(rnd_[A-Za-z0-9]{32})\b", ("rnd_",), 1, ""),
    ("netlify-pat", r"\b(nfp_[A-Za-z0-9]{36})\b", ("nfp_",), 1, ""),
    ("buildkite-token", r"\b(bkua_[a-f0-9]{40})\b", ("bkua_",), 1, ""),
    ("circleci-pat", r"\b(CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b", ("CCIPAT_",), 1, ""),
    ("figma-pat", r"\b(figd_[A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])", ("figd_",), 1, ""),
    ("firebase-cloud-messaging-key", r"\b(AAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140})", ("AAAA",), 1, ""),
    ("salesforce-access-token", r"\b(00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{90,})", ("00D&&!",), 1, ""),
    (
        "braintree-access-token",
        r"(access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})",
        ("access_token$",),
        1,
        "",
    ),
    ("honeycomb-api-key", r"\b(hc[ax][im]k_[0-9a-z]{58})\b", ("hcaik_", "hcxik_", "hcxmk_"), 1, ""),
    ("google-oauth-refresh-token", r"(?<![A-Za-z0-9/])(1//0[A-Za-z0-9_-]{40,})", ("1//0",), 1, ""),
    ("aws-mws-key", rf"\b(amzn\.mws\.{_UUID})\b", ("amzn.mws.",), 1, ""),
    (
        "sentry-dsn-secret",  # an older DSN's key pair, https://<public>:<secret>@...sentry...: both authenticate
        r"(?i)https://([0-9a-f]{32}:[0-9a-f]{32})@[a-z0-9.-]*sentry",
        ("sentry",),
        1,
        "",
    ),
    (
        "sentry-dsn-key",  # a DSN's key: https://<32 hex>@<host>/<project number>, Sentry's or self-hosted
        r"://(?:(?<=https://)|(?<=http://))([0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.-]{1,253}(?::\d{1,5})?/"
        r"(?:[A-Za-z0-9_-]{1,64}/)?\d{1,12}\b",
        ("://&&@",),
        1,
        "",
    ),
    (
        "password-hash",  # crypt(3) and argon2 hashes of passwords (/etc/shadow, htpasswd): crackable offline
        r"(\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}|\$(?:1|5|6|apr1|y)\$[^\s$:]{1,16}\$[./A-Za-z0-9]{22,86}"
        r"|\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)",
        ("$",),
        1,
        "",
    ),
    (
        "docker-config-auth",  # ~/.docker/config.json and .dockerconfigjson: base64 of user:password
        r"\"auth\"\s*:\s*\"([A-Za-z0-9+/]{8,}={0,2})\"",
        ('"auth"',),
        1,
        "",
    ),
    ("npmrc-auth", r"(?:^|[\s:])_auth\s*=\s*([A-Za-z0-9+/]{8,}={0,2})", ("_auth",), 1, ""),
    (
        "pgpass-line",  # ~/.pgpass: host:port:database:user:password
        r"(?m)^[A-Za-z0-9_.*-]+:(?:\d{2,5}|\*):[^:\s]+:[^:\s]+:(\S{4,})$",
        (":5432:", ":*:", ":5433:"),
        1,
        "value",
    ),
    # --- SaaS ------------------------------------------------------------------------------------
    ("slack-token", r"\b(xox[abprs]-[0-9A-Za-z-]{10,})", ("xox",), 1, ""),
    ("slack-app-token", r"\b(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)", ("xapp-",), 1, ""),
    (
        "slack-webhook",
        r"(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,})",
        ("hooks.slack.com",),
        1,
        "",
    ),
    ("discord-webhook", r"(discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{60,})", ("discord",), 1, ""),
    ("telegram-bot-token", r"(?<![0-9])(\d{8,10}:AA[0-9A-Za-z_-]{33})(?![0-9A-Za-z_-])", (":aa",), 1, ""),
    (
        "stripe-secret-key",
        r"\b((?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,99})\b",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_"),
        1,
        "",
    ),
    ("stripe-webhook-secret", r"\b(whsec_[A-Za-z0-9]{32,})\b", ("whsec_",), 1, ""),
    ("sendgrid-api-key", r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])", ("SG.",), 1, ""),
    ("twilio-api-key", r"\b(SK[0-9a-fA-F]{32})\b", ("SK",), 1, ""),
    ("twilio-auth-token", r"(?i)twilio[A-Za-z0-9_ .-]{0,20}[\"']?\s*[:=]\s*[\"']?([a-f0-9]{32})\b", ("twilio",), 1, ""),
    (
        "mailgun-api-key",  # key-<32>, and the newer <32 hex>-<8 hex>-<8 hex> where Mailgun is named
        r"\b(key-[0-9a-zA-Z]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b",
        ("key-", "mailgun"),
        1,
        "",
    ),
    ("mailchimp-api-key", r"\b([0-9a-f]{32}-us\d{1,2})\b", ("-us",), 1, ""),
    (
        "datadog-api-key",
        r"(?i)(?:datadog|dd)_?(?:api|app(?:lication)?)_?key[\"']?\s*[:=]\s*[\"']?([a-f0-9]{32,40})\b",
        ("datadog", "dd_api", "dd_app", "ddapi", "ddapp"),
        1,
        "",
    ),
    ("new-relic-user-key", r"\b(NRAK-[A-Z0-9]{27})\b", ("nrak-",), 1, ""),
    ("sentry-token", r"\b(sntry[su]_[A-Za-z0-9+/=_-]{40,})", ("sntrys_", "sntryu_"), 1, ""),
    ("shopify-token", r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b", ("shpat_", "shpca_", "shppa_", "shpss_"), 1, ""),
    ("square-token", r"\b(sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43})(?![0-9A-Za-z_-])", ("sq0atp-", "sq0csp-"), 1, ""),
    ("postman-api-key", r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b", ("pmak-",), 1, ""),
    ("linear-api-key", r"\b(lin_api_[A-Za-z0-9]{40})\b", ("lin_api_",), 1, ""),
    (
        "grafana-token",
        r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})",
        ("glsa_", "glc_"),
        1,
        "",
    ),
    ("databricks-token", r"\b(dapi[a-f0-9]{32}(?:-\d)?)\b", ("dapi",), 1, ""),
    ("planetscale-token", r"\b(pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64})", ("pscale_",), 1, ""),
    # --- vendors whose tokens carry no prefix of their own, found by shape or by the call they are passed to ----
    (
        "asana-pat",  # 1/<user id>:<secret>, 2/<user id>/<app id>:<secret>: the 32 hex digits after the ids
        # found from the colon (a search for ":" runs at C speed), the ids checked behind it (fixed-width lookbehinds)
        r":(?<=\d:)(?=[0-9a-f]{32}\b)(?:"
        + "|".join(rf"(?<=/\d{{{n}}}:)" for n in range(12, 20))
        + r")([0-9a-f]{32})\b",
        ("asana", "bearer", "authorization", "pat"),
        1,
        "",
    ),
    ("azure-devops-pat-v2", r"\b([A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})\b", ("AZDO",), 1, ""),
    (
        "segment-write-key",  # analytics.load("<key>"), writeKey: "<key>"
        r"(?i)(?:\banalytics\.load\(|\bwrite_?key[\"']?[ \t]*(?:[:=,]|=>))"
        r"[ \t]*[\"'`]([A-Za-z0-9]{32})[\"'`]",
        ("analytics.load", "writekey", "write_key"),
        1,
        "",
    ),
    (
        "algolia-client-key",  # algoliasearch("APPID", "<key>"), SearchClient.create("APPID", "<key>")
        r"(?i)\b(?:algoliasearch\w{0,20}|searchclient\.create\w{0,20}|algolia\w{0,20}\.\w{1,30})\(\s*[\"'][A-Z0-9]{10}[\"']"
        r"\s*,\s*[\"']([a-f0-9]{32})[\"']",
        ("algolia", "searchclient"),
        1,
        "",
    ),
    # --- keys and seeds ------------------------------------------------------------------------------
    (
        "ethereum-private-key",  # 0x + 64 hex given to a wallet, a signer, from_key(...) or a --private-key/--pk flag
        r"(?i)(?:wallet|from_?key|privatekeytoaccount|signer|private[_-]?key|priv_?key|pk|mnemonic)[\w.]{0,30}?"
        r"[\"']?[ \t]*(?:\(|:=|=>|[:=,])?[ \t]*[\"'`]?(0x[0-9a-f]{64})\b",
        ("wallet", "signer", "priv", "from_key", "mnemonic", "pk"),
        1,
        "anchored",
    ),
    (
        "totp-seed",  # a base32 seed (RFC 4226/6238) under a seed/TOTP/OTP/MFA name, or given to oathtool -b
        r"(?i:seed|[th]?otp|mfa|2fa)[\w.-]{0,30}?[\"']?[ \t]*(?:[:=]|=>|[ \t]-[a-z])?[ \t]*[\"']?"
        r"((?=[2-7]*[A-Z])[A-Z2-7]{16,128}=*)(?![A-Za-z0-9])",
        ("seed", "otp", "mfa"),
        1,
        "anchored",
    ),
    (
        "openvpn-static-key",  # a static key (tls-auth, tls-crypt) or a tls-crypt-v2 key: the block's body
        r"-----BEGIN OpenVPN (?:Static key V1|tls-crypt-v2 (?:client|server) key)-----"
        # one greedy run (blanks included): a lazy one, or \s* before it, backtracks quadratically over blanks
        r"([0-9A-Za-z+/=\s]{32,20000})(?:-----END|\Z)",
        ("openvpn",),
        1,
        "",
    ),
    (
        "saml-response",  # a signed SAML response is a bearer credential until it expires; base64, wrapped or not
        r"(?i)\bSAMLResponse[\"']?(?:\s+value)?\s*[=:]\s*[\"']?([A-Za-z0-9+/%]{20,}(?:\r?\n[A-Za-z0-9+/%]+)*(?:={1,2}|(?:%3D){1,2})?)"
        r"(?=[\s\"'&<]|$)",
        ("samlresponse",),
        1,
        "",
    ),
    # --- web tokens, URLs, headers -----------------------------------------------------------
    ("jwt", r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})", ("eyj",), 1, ""),
    (
        "db-connection-string",
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis(?:s)?|rediss|amqps?|mssql|sqlserver|clickhouse)"
        r"(?:\+[a-z0-9]+)?://[^\s/:@\"'<>]{0,512}+:(?!\d+(?:/|$))([^\s@\"'<>]{1,1024}+)@",
        ("://&&@",),
        1,
        "",
    ),
    (
        "url-credentials",
        r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@\"'<>]{1,512}+:(?!\d+(?:/|$))([^\s@\"'<>]{1,1024}+)@[A-Za-z0-9\[]",
        ("://&&@",),
        1,
        "value",
    ),
    (
        "authorization-header",
        r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|digest|bot)\s+([A-Za-z0-9._~+/=-]{8,})",
        ("authorization",),
        1,
        "",
    ),
    ("bearer-token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{20,}=*)", ("bearer",), 1, "value"),
    # --- credentials on command lines ------------------------------------------------------------
    (
        "authorization-any-scheme",  # SSWS, ApiKey, GenieKey, ...: a scheme word, then a token with a digit
        r"(?i)\b(?:proxy-)?authorization[\"']?\s*:\s*[\"']?[A-Za-z][\w-]{1,24}\s+((?=[^\s'\"]*\d)[A-Za-z0-9._~+/=-]{12,})",
        ("authorization",),
        1,
        "value",
    ),
    ("cookie-header", r"(?i)(?:^|[\s'\"])(?:set-)?cookie\s*:\s*[^\s'\";=]+=([^\s'\";]{6,})", ("cookie",), 1, "value"),
    (
        "api-key-header",  # X-API-Key, X-Auth-Token, PRIVATE-TOKEN (GitLab), X-Vault-Token ... as a header
        r"(?i)(?:^|[\s'\"{,])[\"']?(?:x-)?(?:api-?key|auth-token|access-token|private-token|vault-token)[\"']?\s*:\s*[\"']?"
        r"((?=[^\s'\"]*\d)[A-Za-z0-9._~+/=-]{12,})",
        ("api-key", "apikey", "auth-token", "access-token", "private-token", "vault-token"),
        1,
        "",
    ),
    (
        "presigned-url-signature",  # S3/GCS/CloudFront signed URLs: the signature is the credential until it expires
        r"(?i)[?&](?:x-amz-signature|x-goog-signature|x-amz-security-token|signature)=([A-Za-z0-9%+/_~=-]{20,})",
        ("signature", "security-token"),
        1,
        "",
    ),
    (
        "mysql-password-flag",  # mysql -pSECRET (a bare -p asks for the password)
        r"\bmysql(?:dump|admin|import|sh|slap|check)?\b(?:(?!\bmysql(?:dump|admin|import|sh|slap|check)?\b)[^\n;&|])*?\s-p([^\s'\"-][^\s'\"]{2,})",
        ("mysql",),
        1,
        "value",
    ),
    ("sshpass-password", r"\bsshpass\s+(?:-[A-Za-z]\s+\S+\s+)*-p\s*['\"]?([^\s'\"]{3,})", ("sshpass",), 1, "value"),
    (
        "registry-login-password",  # docker/podman/helm/oras login -p SECRET
        r"\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry)\s+login\b(?:(?!\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry)\s+login\b)[^\n;&|])*?\s(?:-p|--password)[ =]([^\s'\"-][^\s'\"]{2,})",
        ("login",),
        1,
        "value",
    ),
    (
        "cli-user-password",  # curl -u user:SECRET, wget --user=u --password=...
        r"\b(?:curl|lftp)\b(?:(?!\b(?:curl|lftp)\b)[^\n;&|])*?\s(?:-u|--user)[ =]?['\"]?[^\s:'\"]+:([^\s'\"@]{3,})",
        ("curl", "lftp"),
        1,
        "value",
    ),
    # --- credentials in commands, SQL and configuration ------------------------------------------------
    (
        "sql-password",  # CREATE/ALTER USER|ROLE ... IDENTIFIED BY / PASSWORD '...', SET PASSWORD ... = '...'
        r"(?i)(?:\b(?:user|role|login)\b[^;\n]{0,120}?(?:\bidentified[ \t]+(?:with[ \t]+['\"]?\w+['\"]?[ \t]+)?by"
        r"(?:[ \t]+password)?[ \t]+['\"]?|\bpassword[ \t]+e?['\"])"
        r"|\bset[ \t]+password\b[^;\n=]{0,120}=[ \t]*(?:password[ \t]*\([ \t]*)?['\"])"
        r"(?!values\b|externally\b|globally\b)([^\s;'\"():@$?][^\s;'\"]{2,})",
        ("identified", "password '", 'password "', "set password"),
        1,
        "value word",
    ),
    (
        "redis-auth-command",  # AUTH [user] password, as a line of input to redis-cli (heredoc, echo, printf)
        r"(?:^|[\n\"']|\\n)[ \t]*AUTH[ \t]+(?:[^\s'\"\\]+[ \t]+)?([^\s'\"\\]{3,})[ \t]*(?=\r?\n|\\r|\\n|[\"']|$)",
        ("AUTH&&redis",),
        1,
        "value word",
    ),
    (
        "terraform-state-secret",  # a random_password's result (and its bcrypt hash) in a state file
        r"\"(?:result|bcrypt_hash)\"\s*:\s*\"((?:[^\"\\\n]|\\.){4,1024})\"",
        ("random_password",),
        1,
        "value",
    ),
    (
        "http-basic-auth-argument",  # requests' auth=(user, "..."), HTTPBasicAuth(user, "..."), aiohttp.BasicAuth
        r"(?:\bauth[ \t]*=[ \t]*\(|\b(?:HTTPBasicAuth|HTTPDigestAuth|HTTPProxyAuth|BasicAuth)\()[ \t]*(?:[\"'][^\"'\n]{0,200}[\"']|[^,()\n]{1,80}),"
        r"[ \t]*[rbuf]?([\"'])([^\"'\n]{3,})\1",
        ("auth=(", "auth = (", "auth("),
        2,
        "value",
    ),
    (
        "login-call-password",  # smtp.login(user, "..."), ftp.login(...), conn.simple_bind_s(dn, "...")
        r"\.(?:login|authenticate|simple_bind_s|simple_bind|bind_s)\([ \t]*(?:[\"'][^\"'\n]{0,200}[\"']|[^,()\n]{1,80}),"
        r"[ \t]*[rbuf]?([\"'])([^\"'\n]{3,})\1",
        ("login(", "authenticate(", "bind_s("),
        2,
        "value",
    ),
    (
        "net-user-password",  # Windows: net user NAME PASSWORD [/add]
        r"(?i)\bnet1?[ \t]+user[ \t]+(?:\"[^\"\n]+\"|[^\s\"/]+)[ \t]+(?!/)[\"']?([^\s\"'/*][^\s\"']{2,})",
        ("net user",),
        1,
        "value word",
    ),
    (
        "chpasswd-input",  # echo 'user:password' | chpasswd, chpasswd <<< "user:password", a heredoc
        r"(?:\b(?:echo|printf)[ \t]+(?:-[a-z]+[ \t]+)?|<<<[ \t]*|\bchpasswd[^\n]*<<-?[ \t]*[\"']?\w+[\"']?[ \t]*\r?\n[ \t]*)"
        r"[\"']?[A-Za-z_][\w.-]{0,31}:([^\s\"':|]{3,})",
        ("chpasswd",),
        1,
        "value",
    ),
    (
        "openssl-enc-password",  # openssl enc -aes-256-cbc -k PASSWORD (or -K HEXKEY)
        r"\bopenssl[ \t]+(?:enc|aes\S*|des\S*|bf\S*|camellia\S*|chacha\S*)\b[^\n;&|]*?\s-[kK][ \t]+[\"']?([^\s'\"-][^\s'\"]{2,})",
        ("openssl",),
        1,
        "value",
    ),
    (
        "archive-password-flag",  # 7z a -pSECRET, zip -P SECRET, unzip -P SECRET, rar -pSECRET
        r"\b(?:7z|7za|7zr|zip|unzip|rar|unrar)\b(?:(?!\b(?:7z|7za|7zr|zip|unzip|rar|unrar)\b)[^\n;&|])*?\s-[pP][ \t]?"
        r"[\"']?([^\s'\"-][^\s'\"]{2,})",
        ("zip ", "rar "),  # not "7z": a keyword led by a digit is looked for by a scan of every text
        1,
        "value",
    ),
    (
        "ssh-keygen-passphrase",  # ssh-keygen -N 'new passphrase' / -P 'old passphrase'
        r"\bssh-keygen\b[^\n;&|]*?\s-[NP][ \t]+([\"'])([^\"'\n]{3,})\1",
        ("ssh-keygen",),
        2,
        "value",
    ),
    (
        "snmp-community",  # snmpwalk -c COMMUNITY, snmpv3 -A authpass -X privpass (public/private are defaults)
        r"\bsnmp[a-z]{2,12}\b[^\n;&|]*?\s-[cAX][ \t]+[\"']?(?!public\b|private\b)([^\s'\"-][^\s'\"]{2,})",
        ("snmp",),
        1,
        "value",
    ),
    (
        "ipmi-mqtt-cli-password",  # ipmitool -P PASSWORD, mosquitto_pub/sub -P PASSWORD
        r"\b(?:ipmitool|mosquitto_(?:pub|sub|rr))\b[^\n;&|]*?\s-P[ \t]+[\"']?([^\s'\"-][^\s'\"]{2,})",
        ("ipmitool", "mosquitto_"),
        1,
        "value",
    ),
    (
        "rabbitmqctl-password",  # rabbitmqctl add_user NAME PASSWORD, change_password NAME PASSWORD
        r"\brabbitmqctl\b[^\n;&|]*?\b(?:add_user|change_password)[ \t]+[\"']?[^\s'\"]+[\"']?[ \t]+[\"']?([^\s'\"-][^\s'\"]{2,})",
        ("rabbitmqctl",),
        1,
        "value",
    ),
    (
        "ldap-bind-password-config",  # nslcd/pam_ldap bindpw, slapd rootpw, sssd ldap_default_authtok
        r"(?im)(?:^|(?<=[\n \t])|(?<=ldap_default_)|(?<=ldap_))(?:bindpw|rootpw|bind_pw|bindpassword|authtok)"
        r"[ \t]*[=:]?[ \t]+[\"']?([^\s\"']{3,})[\"']?[ \t]*$",
        ("bindpw", "rootpw", "bind_pw", "bindpassword", "authtok"),
        1,
        "value anchored",
    ),
    # --- vendors without a prefix: a token assigned to a key naming the vendor ------------------
    _near("adafruit-api-key", "adafruit", "[a-z0-9_-]{32}"),
    _near("algolia-api-key", "algolia", "[a-z0-9]{32}"),
    _near("alibaba-secret-key", "alibaba", "[a-z0-9]{30}"),
    _near("asana-client-secret", "asana", "[a-z0-9]{32}"),
    _near("atlassian-legacy-token", "atlassian|confluence|jira", "[a-z0-9]{24}"),
    _near("azure-devops-pat", "azure_devops|azure-devops|azdo|ado_pat", "[a-z0-9]{52}"),
    _near("beamer-api-token", "beamer", "b_[a-z0-9=_-]{44}"),
    _near("bitbucket-client-secret", "bitbucket", "[a-z0-9=_-]{64}"),
    _near("circleci-legacy-token", "circleci|circle_token", "[a-f0-9]{40}"),
    _near("codecov-access-token", "codecov", "[a-z0-9]{32}"),
    _near("cohere-api-token", "cohere|co_api_key", "[a-z0-9]{40}"),
    _near("coinbase-access-token", "coinbase", "[a-z0-9_-]{64}"),
    _near("confluent-secret-key", "confluent", "[a-z0-9]{64}"),
    _near("contentful-delivery-token", "contentful", "[a-z0-9=_-]{43}"),
    _near("discord-client-secret", "discord", "[a-z0-9=_-]{32}"),
    _near("droneci-access-token", "droneci|drone_token", "[a-z0-9]{32}"),
    _near("dropbox-api-token", "dropbox", "[a-z0-9]{11}AAAAAAAAAA[a-z0-9_=-]{43}|[a-z0-9]{15}"),
    _near("etsy-access-token", "etsy", "[a-z0-9]{24}"),
    _near("facebook-app-secret", "facebook|fb_app", "[a-f0-9]{32}"),
    _near("fastly-api-token", "fastly", "[a-z0-9=_-]{32}"),
    _near("finicity-client-secret", "finicity", "[a-z0-9]{20}"),
    _near("finnhub-access-token", "finnhub", "[a-z0-9]{20}"),
    _near("flickr-access-token", "flickr", "[a-z0-9]{32}"),
    _near("freshbooks-access-token", "freshbooks", "[a-z0-9]{64}"),
    _near("gitter-access-token", "gitter", "[a-z0-9_-]{40}"),
    _near("gocardless-api-token", "gocardless", "live_[a-z0-9_=-]{40}"),
    _near("hetzner-api-token", "hetzner|hcloud", "[a-z0-9]{64}"),
    _near("hubspot-api-key", "hubspot", _UUID),
    _near("ibm-cloud-api-key", "ibmcloud|ibm_cloud|bluemix", "[a-z0-9_-]{44}"),
    _near("intercom-api-key", "intercom", "[a-z0-9=_-]{60}"),
    _near("jenkins-api-token", "jenkins", "[a-f0-9]{34}"),
    _near("jfrog-api-key", "jfrog|artifactory|bintray", "[a-z0-9]{73}"),
    _near("kraken-access-token", "kraken", "[a-z0-9/=_+-]{80,90}"),
    _near("kucoin-access-token", "kucoin", "[a-f0-9]{24}"),
    _near("launchdarkly-access-token", "launchdarkly", "[a-z0-9=_-]{40}"),
    _near("linkedin-client-secret", "linkedin|linked_in", "[a-z0-9]{16}"),
    _near("linode-api-token", "linode", "[a-f0-9]{64}"),
    _near("lob-api-key", "lob_", "(?:live|test)_[a-f0-9]{35}"),
    _near("looker-client-secret", "looker", "[a-z0-9]{24}"),
    _near("mailjet-api-key", "mailjet", "[a-f0-9]{32}"),
    _near("mattermost-access-token", "mattermost", "[a-z0-9]{26}"),
    _near("messagebird-api-token", "messagebird|message_bird", "[a-z0-9]{25}"),
    _near("netlify-access-token", "netlify", "[a-z0-9=_-]{40,46}"),
    _near("ngrok-authtoken", "ngrok", "[0-9a-z]{20,30}_[0-9a-z]{20,30}"),
    _near("nytimes-access-token", "nytimes|new_york_times", "[a-z0-9=_-]{32}"),
    _near("okta-access-token", "okta", "00[a-z0-9=_-]{40}"),
    _near("opsgenie-api-key", "opsgenie", _UUID),
    _near("pagerduty-api-key", "pagerduty|pager_duty", "[a-z0-9_+-]{20}"),
    _near("plaid-secret", "plaid", "[a-f0-9]{30}"),
    _near("pusher-secret", "pusher", "[a-f0-9]{20}"),
    _near("rapidapi-access-token", "rapidapi", "[a-z0-9_-]{50}"),
    _near("scaleway-secret-key", "scaleway|scw_secret", _UUID),
    _near("sendbird-access-token", "sendbird", "[a-f0-9]{40}"),
    _near("snyk-api-token", "snyk", _UUID),
    _near("sonar-token", "sonar", "[a-z0-9]{40}"),
    _near("squarespace-access-token", "squarespace", _UUID),
    _near("sumologic-access-key", "sumo", "[a-z0-9]{64}"),
    _near("travisci-access-token", "travis", "[a-z0-9]{22}"),
    _near("trello-access-token", "trello", "[a-z0-9]{32,64}"),
    _near("twitch-api-token", "twitch", "[a-z0-9]{30}"),
    _near("twitter-api-secret", "twitter", "[a-z0-9]{50}"),
    _near("vercel-token", "vercel", "[a-z0-9]{24}"),
    _near("vultr-api-key", "vultr", "[a-z0-9]{36}"),
    _near("zendesk-secret-key", "zendesk", "[a-z0-9]{40}"),
    ("launchdarkly-key", rf"\b((?:sdk|mob)-{_UUID})\b", ("sdk-", "mob-"), 1, ""),  # SDK and mobile keys
    (
        "launchdarkly-key",  # an API access token: api-<uuid>, where LaunchDarkly's client or config is named
        rf"(?i:launchdarkly|ldclient|ld_?config|\bld\.|\bld_)[^\n]{{0,80}}?\b(api-{_UUID})\b",
        ("launchdarkly&&api-", "ldclient&&api-"),
        1,
        "",
    ),
    (
        "redis-cli-password",
        r"\bredis-cli\b(?:(?!\bredis-cli\b)[^\n;&|])*?\s-a\s+['\"]?([^\s'\"-][^\s'\"]{2,})",
        ("redis-cli",),
        1,
        "value",
    ),
    (
        "htpasswd-batch-password",  # htpasswd -b[c] FILE USER PASSWORD
        r"\bhtpasswd\s+(?:-[A-Za-z]*\s+)*-[A-Za-z]*b[A-Za-z]*\s+(?:-[A-Za-z]+\s+)*\S+\s+\S+\s+['\"]?([^\s'\"]{3,})",
        ("htpasswd",),
        1,
        "value",
    ),
    ("openssl-pass-argument", r"\s-pass(?:in|out)?\s+['\"]?pass:([^\s'\"]{3,})", ("pass:",), 1, "value"),
    (
        "smbclient-password",
        r"\b(?:smbclient|rpcclient|smbmap|crackmapexec|nxc)\b(?:(?!\b(?:smbclient|rpcclient|smbmap|crackmapexec|nxc)\b)[^\n;&|])*?\s-U\s+['\"]?[^\s%'\"]+%([^\s'\"]{3,})",
        ("-u ",),
        1,
        "value",
    ),
    (
        "az-login-password",
        r"\baz\s+login\b(?:(?!\baz\s+login\b)[^\n;&|])*?\s(?:-p|--password)[ =]['\"]?([^\s'\"-][^\s'\"]{2,})",
        ("az login",),
        1,
        "value",
    ),
    (
        "java-keystore-password",  # keytool/jarsigner -storepass X -keypass Y
        r"\s-(?:src|dest|new)?(?:store|key)pass\s+(?:(?:pass|env|file):)?['\"]?([^\s'\"-][^\s'\"]{2,})",
        ("storepass", "keypass"),
        1,
        "value",
    ),
    (
        "ldap-bind-password",
        r"\bldap[a-z]+\b(?:(?!\bldap[a-z]+\b)[^\n;&|])*?\s-w\s+['\"]?([^\s'\"-][^\s'\"]{2,})",
        ("ldap",),
        1,
        "value",
    ),
    (
        "sqlcmd-password",
        r"\b(?:sqlcmd|bcp|osql|isql)\b(?:(?!\b(?:sqlcmd|bcp|osql|isql)\b)[^\n;&|])*?\s-P\s*['\"]?([^\s'\"-][^\s'\"]{2,})",
        ("sqlcmd", "bcp", "osql", "isql"),
        1,
        "value",
    ),
    (
        "url-query-secret",  # ?password=...&client_secret=... (OAuth, JDBC, Jupyter, webhooks)
        r"(?i)[?&;](?:password|passwd|pwd|secret|client_secret|access_token|refresh_token|id_token|api_?key|apikey"
        r"|auth_?token|private_token|app_secret|x-amz-security-token)=([^&#\s'\"<>]{4,})",
        ("password=", "passwd=", "pwd=", "secret=", "token=", "key=", "apikey="),
        1,
        "value",
    ),
    (
        "url-query-token",  # ?key=, ?token=, ?auth=, ?sig=: only a token-like value (letters and digits, 12+)
        r"(?i)[?&;](?:key|token|auth|sig|signature|code|access|session|sid)=([^&#\s'\"<>]{12,})",
        ("key=", "token=", "auth=", "sig=", "signature=", "code=", "access=", "session=", "sid="),
        1,
        "value tokenish",
    ),
    (
        "encoded-url-credentials",  # a connection string percent-encoded inside another URL's query
        r"(?i)\b[a-z][a-z0-9+.-]{1,20}%3A%2F%2F[^\s%&/@\"'<>]+%3A([^\s&@\"'<>]{3,}?)%40",
        ("%3a%2f%2f&&%40",),
        1,
        "",
    ),
    # --- generic: assignments whose key names a secret ---------------------------------------
    (
        "password-cli-flag",
        r"(?:^|\s)--[A-Za-z0-9-]*(?:password|passwd|passphrase|token|api-key|apikey|secret|secret-key|access-key)"
        r"(?![A-Za-z0-9-])[= ]['\"]?([^\s\"'-][^\s\"']{3,})",
        tuple(
            f"--&&{w}"
            for w in ("password", "passwd", "passphrase", "token", "api-key", "apikey", "secret", "access-key")
        ),
        1,
        "value",
    ),
    (
        "key-cli-flag",  # --private-key, --pk, --signing-key, --seed, --key given a long random value
        r"--(?<=(?<!\S)--)[A-Za-z0-9-]{0,30}(?:private-key|privkey|priv-key|pk|signing-key|seed|mnemonic|key)(?![A-Za-z0-9-])"
        r"[= ][\"']?(?:0x)?([A-Za-z0-9+/_=.~-]{32,})",
        ("--&&key", "--&&pk", "--&&seed", "--&&mnemonic"),
        1,
        "value tokenish flagname",
    ),
    (
        "secret-assignment-quoted",
        rf"(?i){_ASSIGN_KEY}[\"']?[ \t]*(?::=|=>|=|:)[ \t]*[rbuf]?[\"']([^\"'\n]{{3,}})[\"']",
        _ASSIGN_KEYWORDS,
        1,
        "value anchored",
    ),
    (
        "secret-assignment",
        rf"(?i){_ASSIGN_KEY}[ \t]*=[ \t]*([^\s\"'`;,&|<>()\[\]{{}}]{{4,}})",
        _ASSIGN_KEYWORDS,
        1,
        "value anchored word",
    ),
    (
        "secret-yaml-value",
        rf"(?im){_ASSIGN_KEY}[ \t]*:[ \t]+([^\s\"'#<>()\[\]{{}},]{{4,}})[ \t]*$",
        _ASSIGN_KEYWORDS,
        1,
        "value anchored word",
    ),
    (
        "secret-here-string",  # $pat = @"<newline>value<newline>"@ (PowerShell), NAME=$(cat <<EOF<newline>value ...)
        # found from its @" or << (the name before the "=" is checked in code: herename)
        r"(?:@[\"']|<<-?[ \t]*[\"']?\w+[\"']?)[ \t]*\r?\n[ \t]*([^\s\"'][^\n]*[^\s])[ \t]*\r?\n",
        ("@", "<"),
        1,
        "value herename",
    ),
    (
        "secret-name-assignment",  # NAME=value where the name ends in KEY, PASS, PW, PWD, SALT, PAT (env dumps, .env)
        r"(?i)(?:key|pass|pwd?|salt|pat)[\"']?[ \t]*(?::=|=>|=|:)[ \t]*(?:[rbuf]{0,2}([\"'`]))?"
        r"([^\s\"'`;,&|<>()\[\]{}\\]{4,200})",
        ("key", "pass", "pw", "salt", "pat"),
        2,
        "keyname anchored",
    ),
    (
        "secret-in-prose",  # "my API key is ...", "use this token ...": a token-like value after a secret's name
        r"(?i)(?:key|token|password|passphrase|passcode|secret|pat|credential)s?[ \t]*(?:(?:is|was|:)[ \t]*|[ \t]+)"
        r"(?:now[ \t]+)?[\"'`]?([A-Za-z0-9+/_.~!@#$%^&*=-]{12,200}?)[\"'`]?(?=[\s,;)]|\.(?:\s|$)|$)",
        # a sentence: the name, then "is", "was" or ":", or after "this" or "my"
        (
            *("key is", "key was", "token is", "token was", "password is", "password was", "this token", "my token"),
            *("this key", "my key", "key:", "token:", "passphrase", "passcode"),
        ),
        1,
        "prose",
    ),
    # --- card numbers (Luhn-checked) -----------------------------------------------------------
    # starts at a digit so the engine can skip ahead; the left boundary is checked in code
    ("card-number", r"\d(?<!\d\d)(?:[ -]?\d){12,18}(?![\dA-Za-z_-]|\.\d)", (), 0, "luhn"),
    # --- last: a random-looking token where a secret is given (``=``, ``:``, ``-p``, ``--token``) -------
    # that no rule above names; checked by redaction.high_entropy and the key before it
    (
        "generic-high-entropy",
        r"[=:][ \t]*[\"'`]?(?!//)([A-Za-z0-9+/_.~=-]{20,256}+)(?![A-Za-z0-9+/_.~=-])",
        (),
        1,
        "entropy",
    ),
    (
        "generic-high-entropy-flag",
        r"\s--?[A-Za-z][\w-]{0,30}[ =][\"'`]?(?!//)([A-Za-z0-9+/_.~=-]{20,256}+)(?![A-Za-z0-9+/_.~=-])",
        (" -",),
        1,
        "entropy",
    ),
)
