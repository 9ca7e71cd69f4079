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
  ``lasttoken = token``).

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
_ASSIGN_KEY = _ASSIGN_WORD + r"[A-Za-z0-9_.-]*"

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
    ("digitalocean-token", r"\b(do[por]_v1_[a-f0-9]{64})\b", ("_v1_",), 1, ""),
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
    ("doppler-token", r"\b(dp\.pt\.[A-Za-z0-9]{43})\b", ("dp.pt.",), 1, ""),
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
    ("terraform-cloud-token", r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})\b", (".atlasv1.",), 1, ""),
    ("atlassian-api-token", r"\b(ATATT3[A-Za-z0-9_=-]{150,200})", ("ATATT3",), 1, ""),
    ("mapbox-secret-token", r"\b(sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})", ("sk.eyJ",), 1, ""),
    ("flyio-token", r"\b(FlyV1 fm\d_[A-Za-z0-9+/=,_-]{60,})", ("FlyV1",), 1, ""),
    (
        "discord-bot-token",
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
    ("mailgun-api-key", r"\b(key-[0-9a-zA-Z]{32})\b", ("key-",), 1, ""),
    ("mailchimp-api-key", r"\b([0-9a-f]{32}-us\d{1,2})\b", tuple(f"-us{i}" for i in range(1, 10)), 1, ""),
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
    # --- web tokens, URLs, headers -----------------------------------------------------------
    ("jwt", r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})", ("eyj",), 1, ""),
    (
        "db-connection-string",
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis(?:s)?|rediss|amqps?|mssql|sqlserver|clickhouse)"
        r"(?:\+[a-z0-9]+)?://[^\s/:@\"'<>]*:([^\s/@\"'<>]+)@",
        ("://&&@",),
        1,
        "",
    ),
    (
        "url-credentials",
        r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@\"'<>]+:([^\s/@\"'<>]+)@[^\s/@\"'<>]",
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
        r"\bmysql(?:dump|admin|import|sh|slap|check)?\b[^\n;&|]*?\s-p([^\s'\"-][^\s'\"]{2,})",
        ("mysql",),
        1,
        "value",
    ),
    ("sshpass-password", r"\bsshpass\s+(?:-[A-Za-z]\s+\S+\s+)*-p\s*([^\s'\"]{3,})", ("sshpass",), 1, "value"),
    (
        "registry-login-password",  # docker/podman/helm/oras login -p SECRET
        r"\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry)\s+login\b[^\n;&|]*?\s(?:-p|--password)[ =]([^\s'\"-][^\s'\"]{2,})",
        ("login",),
        1,
        "value",
    ),
    (
        "cli-user-password",  # curl -u user:SECRET, wget --user=u --password=...
        r"\b(?:curl|lftp)\b[^\n;&|]*?\s(?:-u|--user)[ =]?['\"]?[^\s:'\"]+:([^\s'\"@]{3,})",
        ("curl", "lftp"),
        1,
        "value",
    ),
    # --- generic: assignments whose key names a secret ---------------------------------------
    (
        "password-cli-flag",
        r"(?:^|\s)(?:--password|--passwd|--token|--api-key|--secret)[= ]([^\s\"'-][^\s\"']{3,})",
        ("--pass", "--token", "--api-key", "--secret"),
        1,
        "value",
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
    # --- card numbers (Luhn-checked) -----------------------------------------------------------
    # starts at a digit so the engine can skip ahead; the left boundary is checked in code
    ("card-number", r"\d(?:[ -]?\d){12,18}(?![\dA-Za-z_-]|\.\d)", (), 0, "luhn"),
)
