"""Secrets never reach the disk: every rule fires on its kind, look-alikes are left alone, structure is kept."""

from __future__ import annotations

import hmac
import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.cli import main
from auditkit.custody.secrets import redact, scan
from auditkit.errors import RuleError
from auditkit.simulate import run as simulate
from auditkit.trail.redaction import MARKER_RE, Redactor, builtin_rules, is_sensitive_key, load_rule_file
from tests.conftest import hook_argv, payload, read_records, run_hook
from tests.secret_corpus import PLACEMENTS, leaked, negatives, placed, positives

KEY = b"test fingerprint key, 32 bytes!!"
R = Redactor(key=KEY)
POSITIVES = positives()


def test_every_built_in_rule_has_a_positive_in_the_corpus() -> None:
    assert {r.id for r in builtin_rules()} <= {rule for rule, _, _ in POSITIVES}
    assert len({r.id for r in builtin_rules()}) >= 150


@pytest.mark.parametrize(("rule", "text", "secret"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_each_secret_is_replaced_by_a_marker_naming_its_kind(rule: str, text: str, secret: str) -> None:
    out, n = R.redact_text(text)
    assert secret not in out
    assert n >= 1
    assert f"[REDACTED:{rule}:{R.fingerprint(secret)}]" in out


@pytest.mark.parametrize(("label", "text"), negatives(), ids=[n[0] for n in negatives()])
def test_look_alikes_are_left_alone(label: str, text: str) -> None:
    assert R.redact_text(text) == (text, 0)


def test_the_same_secret_gets_the_same_keyed_fingerprint_everywhere() -> None:
    secret = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    a, _ = R.redact_text(f"export GITHUB_TOKEN={secret}")
    b, _ = R.redact_text(json.dumps({"headers": {"x": f"token {secret}"}}))
    fp = hmac.new(KEY, secret.encode(), "sha256").hexdigest()[:8]
    assert f"[REDACTED:github-pat:{fp}]" in a and f"[REDACTED:github-pat:{fp}]" in b
    assert Redactor(key=b"another installation's key......").fingerprint(secret) != fp  # keyed, not a plain hash


def test_values_under_sensitive_keys_are_redacted_whatever_they_look_like() -> None:
    value = {
        "user": "ada",
        "password": "correct horse",
        "nested": {"Authorization": "opaque", "api-key": 12345678},
        "cookies": [{"cookie": "a=b"}],
        "max_tokens": 4096,
        "session_id": "s-1",
        "token": None,
        "secret": True,
    }
    out, n = R.redact_value(value)
    assert n == 4
    assert out["user"] == "ada" and out["max_tokens"] == 4096 and out["session_id"] == "s-1"
    assert out["token"] is None and out["secret"] is True
    for got in (out["password"], out["nested"]["Authorization"], out["nested"]["api-key"], out["cookies"][0]["cookie"]):
        assert re.fullmatch(MARKER_RE, got) and "sensitive-key" in got


# --- structure is never broken (property tests) ------------------------------------------------

SENSITIVE = ["password", "token", "api_key", "Authorization", "cookie", "secret"]
PLAIN_KEYS = st.sampled_from(["name", "path", "count", "items", "command", "max_tokens", "id", "a", "b"])
SAFE_TEXT = st.text(alphabet="abcdefgh ,.xyz", max_size=16)
json_leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | SAFE_TEXT


def json_docs(keys: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        json_leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=25
    )


secretish = st.sampled_from([p[1] for p in POSITIVES]) | SAFE_TEXT  # whole texts: some secrets need their context
mixed_docs = st.recursive(
    json_leaves | secretish,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(PLAIN_KEYS | st.sampled_from(SENSITIVE), inner, max_size=4)
    ),
    max_leaves=25,
)


def shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return "leaf"


@settings(max_examples=300, deadline=None)
@given(json_docs(PLAIN_KEYS))
def test_documents_without_secrets_come_back_unchanged(doc: object) -> None:
    assert R.redact_value(doc) == (doc, 0)


@settings(max_examples=300, deadline=None)
@given(mixed_docs)
def test_redaction_keeps_keys_lengths_and_json_and_is_idempotent(doc: object) -> None:
    out, _ = R.redact_value(doc)
    assert shape(out) == shape(doc)  # same keys, same list lengths, at every level
    assert json.loads(json.dumps(out)) == out  # still plain JSON
    assert R.redact_value(out) == (out, 0)  # markers are never redacted again
    flat = json.dumps(out)
    for _, _, secret in POSITIVES:
        if secret in json.dumps(doc):
            assert secret not in flat


# --- custom rules and allowlists ------------------------------------------------------------


def write_rules(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_approved_project_rules_apply_in_the_hook_but_never_its_allowlist(tmp_path: Path) -> None:
    """A project's .claude/auditkit-rules.toml, once approved (`auditkit trust`), adds a rule the hook uses;
    its allowlist never applies (a project adds redaction, never removes it)."""
    project = tmp_path / "proj"
    write_rules(
        project / ".claude" / "auditkit-rules.toml",
        """
[[rules]]
id = "acme-token"
regex = 'ACME_[A-Z0-9]{20}'
keywords = ["acme_"]

[allowlist]
values = ["hunter2-is-a-test-fixture"]
""",
    )
    assert main(["trust", str(project), "--yes"]) == 0
    trail = tmp_path / "t.jsonl"
    event = payload(
        "PreToolUse",
        tool_name="Bash",
        tool_use_id="t1",
        tool_input={"command": "deploy --key ACME_ABCDEFGHIJ0123456789 && PASSWORD=hunter2-is-a-test-fixture"},
    )
    proc = run_hook(event, trail, env={"CLAUDE_PROJECT_DIR": str(project)})
    assert (proc.returncode, proc.stderr) == (0, b"")
    command = read_records(trail)[-1]["tool_input"]["command"]
    assert "ACME_ABCDEFGHIJ0123456789" not in command and "[REDACTED:acme-token:" in command
    assert "hunter2-is-a-test-fixture" not in command


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[rules]]\nregex = 'x+'\n", r"rule #1.*'id' must be"),
        ("[[rules]]\nid = 'bad'\nregex = '(unclosed'\n", r"rule #1 \('bad'\): regex does not compile"),
        (
            "[[rules]]\nid = 'ok'\nregex = 'x'\n[[rules]]\nid = 'two'\nregex = 'y'\nsecret_group = 3\n",
            r"rule #2 \('two'\): 'secret_group' must be 0\.\.0",
        ),
        (
            "[[rules]]\nid = 'typo'\nregex = 'x'\nkeyword = ['x']\n",
            r"rule #1 \('typo'\): unknown field\(s\) \['keyword'\]",
        ),
        ("[[rules]\n", "cannot read rule file"),
        ("[allowlist]\nregexes = ['(']\n", "allowlist regex"),
    ],
)
def test_invalid_rule_files_are_rejected_with_file_and_rule_named(tmp_path: Path, text: str, error: str) -> None:
    path = write_rules(tmp_path / "rules.toml", text)
    with pytest.raises(RuleError, match=re.escape(str(path)) + ".*" + error):
        load_rule_file(str(path))


def test_a_broken_rule_file_does_not_cost_the_event(tmp_path: Path, isolated_config: Path) -> None:
    """The user's own rules.toml, broken: the event is recorded with the built-in rules, and says so."""
    project = tmp_path / "proj"
    write_rules(isolated_config / "auditkit" / "rules.toml", "[[rules]]\nid = 'x'\nregex = '('\n")
    trail = tmp_path / "t.jsonl"
    secret = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    proc = run_hook(
        payload("PreToolUse", tool_name="Bash", tool_use_id="t", tool_input={"command": f"echo {secret}"}),
        trail,
        env={"CLAUDE_PROJECT_DIR": str(project)},
    )
    assert proc.returncode == 0 and b"custom rules ignored" in proc.stderr
    assert secret not in trail.read_text() and "[REDACTED:github-pat:" in trail.read_text()


# --- scan and redact, end to end ------------------------------------------------------------


def test_the_secrets_session_leaves_no_secret_in_the_trail(tmp_path: Path) -> None:
    """The real hook, fed the secrets scenario: the raw payloads are full of secrets, the trail has none."""
    trail, raw = tmp_path / "trail.jsonl", tmp_path / "raw-payloads.jsonl"
    simulate("secrets", trail, payload_log=raw)
    leaked = scan(raw, R)
    assert len(leaked) >= 20
    assert {
        "github-pat",
        "aws-access-key-id",
        "aws-secret-access-key",
        "stripe-secret-key",
        "slack-token",
        "jwt",
        "db-connection-string",
        "card-number",
    } <= {f.kind for f in leaked}
    assert scan(trail, R) == []
    records = read_records(trail)
    assert sum(r.get("redactions", 0) for r in records) >= 20
    # a secret used twice has the same fingerprint: the GitHub token in the export and in the header ...
    command = next(
        r["tool_input"]["command"]
        for r in records
        if r.get("tool_name") == "Bash" and "gh-issue" in r["tool_input"]["command"]
    )
    assert len(set(re.findall(r"\[REDACTED:github-pat:([0-9a-f]{8})\]", command))) == 1
    assert len(re.findall(r"\[REDACTED:github-pat:", command)) == 2
    # ... and the database password, found by three different rules in three different tools
    text = json.dumps(records)
    fps = {
        kind: set(re.findall(rf"\[REDACTED:{kind}:([0-9a-f]{{8}})\]", text))
        for kind in ("db-connection-string", "secret-assignment", "secret-assignment-quoted")
    }
    assert all(len(v) == 1 for v in fps.values()) and len(set().union(*fps.values())) == 1


def test_scan_reports_kind_file_line_and_fingerprint_but_never_the_secret(tmp_path: Path, capsys) -> None:
    secret = next(p[2] for p in POSITIVES if p[0] == "stripe-secret-key")
    notes = tmp_path / "notes.txt"
    notes.write_text(f"line one\nthe key is {secret}\n")
    transcript = tmp_path / "session.jsonl"
    transcript.write_text(
        json.dumps(
            {
                "type": "assistant",
                "message": {
                    "content": [{"type": "tool_use", "name": "Bash", "input": {"command": f"STRIPE={secret} ./pay"}}]
                },
            }
        )
        + "\n"
    )
    assert main(["scan", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert secret not in out + err
    assert f"{notes}:2: stripe-secret-key" in out
    assert f"{transcript}:1: stripe-secret-key in message.content[0].input.command" in out
    assert main(["scan", str(tmp_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {d["line"] for d in doc} == {1, 2} and secret not in json.dumps(doc)


def test_redact_writes_a_clean_copy_and_rechains_a_trail(tmp_path: Path) -> None:
    import auditkit

    trail, raw = tmp_path / "trail.jsonl", tmp_path / "raw.jsonl"
    simulate("secrets", trail, payload_log=raw)
    out = redact(raw, tmp_path / "raw.redacted.jsonl", R)
    assert out["redactions"] >= 20 and scan(tmp_path / "raw.redacted.jsonl", R) == []
    assert [json.loads(x).keys() for x in (tmp_path / "raw.redacted.jsonl").read_text().splitlines()] == [
        json.loads(x).keys() for x in raw.read_text().splitlines()
    ]
    copy = tmp_path / "trail.redacted.jsonl"
    info = redact(trail, copy, R)
    assert info["rechained"] and auditkit.verify(copy).intact
    start = read_records(copy)[0]["data"]
    assert start["derived_from"]["trail_id"] == read_records(trail)[0]["data"]["trail_id"]
    with pytest.raises(ValueError, match="another file"):
        redact(trail, trail, R)


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.text(alphabet='abc_-"', min_size=1, max_size=6), min_size=1, max_size=12),
    st.text(alphabet='abc_-" x', max_size=40),
)
def test_the_bulk_prefilter_matches_exactly_when_a_word_occurs(words: set[str], text: str) -> None:
    """The trie-shaped regex scan() uses to skip lines says yes exactly when one of its words is in the text."""
    from auditkit.trail.redaction import _trie_pattern

    assert bool(re.search(_trie_pattern(words), text)) == any(w in text for w in words)


def test_scan_skips_nothing_the_full_walk_would_flag(tmp_path: Path) -> None:
    """Every positive of the corpus, written as lines of a log, is still found through the prefilter."""
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"text": text}) + "\n" for _, text, _ in POSITIVES))
    found = {f.line for f in scan(log, R)}
    assert found == set(range(1, len(POSITIVES) + 1))


@pytest.mark.parametrize(
    "name",
    [
        "clientSecret",
        "secretAccessKey",
        "SECRET_ACCESS_KEY",
        "APP_KEY",
        "signing-key",
        "PRIVATE_KEY",
        "DB_PASS",
        "X-Auth",
        "apiKey",
        "githubToken",
        "dbPassword2",
        "webhookSecret",
        "CREDENTIALS_JSON",
        "DEPLOY_PW",
        "adminPw",
        "ADO_PAT",
        "SESSION_SIGNING_SALT",
        "signingSalt",
        "SSHPASS",
    ],
)
def test_key_names_in_any_case_style_that_hold_a_secret_word_are_sensitive(name: str) -> None:
    assert is_sensitive_key(name)


@pytest.mark.parametrize(
    "name",
    [
        "token_type",
        "publicKey",
        "sort_key",
        "primary_key",
        "key",
        "passwordUrl",
        "secret_name",
        "tokenEndpoint",
        "auth_method",
        "bypass",
        "keyboard",
        "author",
        "max_tokens",
        "input_tokens",
        "cache_key",
        "description",
        "GPG_KEY",
        "path",
        "pattern",
        "password_salt_length",
        "glob_pat",
        "url_pat",
    ],
)
def test_key_names_about_a_secret_or_ordinary_are_not(name: str) -> None:
    assert not is_sensitive_key(name)


def test_an_mcp_input_with_camel_case_secret_keys_is_redacted_by_the_hook(tmp_path: Path) -> None:
    """clientSecret and secretAccessKey in an MCP tool's JSON input never reach the disk."""
    from tests.conftest import payload, run_hook

    trail = tmp_path / "t.jsonl"
    secrets = {"clientSecret": "cs-4f9a2b7c1d8e3f6a", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY9"}
    event = payload(
        "PreToolUse",
        tool_name="mcp__aws__configure",
        tool_use_id="t1",
        tool_input={"profile": "prod", "settings": {**secrets, "region": "eu-west-1"}},
    )
    assert run_hook(event, trail).returncode == 0
    text = trail.read_text()
    assert all(v not in text for v in secrets.values()) and "eu-west-1" in text


def test_a_secret_under_a_sensitive_key_in_an_input_over_the_record_cap_is_redacted_before_the_cut(tmp_path) -> None:
    """Many small strings over 1 MiB: the record keeps a head of the input, redacted first."""
    from tests.conftest import payload, run_hook

    trail = tmp_path / "t.jsonl"
    big = {"password": "hunter2-Xk9#pQ7v", **{f"row{i}": "x" * 200 for i in range(6000)}}
    assert (
        run_hook(payload("PreToolUse", tool_name="mcp__db__load", tool_use_id="t1", tool_input=big), trail).returncode
        == 0
    )
    record = json.loads(trail.read_text().splitlines()[-1])
    assert "auditkit_truncated" in record["tool_input"] and "hunter2" not in trail.read_text()
    assert record["redactions"] >= 1  # the secret is counted, though only a head of the input is kept


def test_secrets_in_the_head_of_a_cut_field_are_counted_once_and_a_sensitive_key_still_hides_it_whole() -> None:
    """A field over the cap is redacted before the cut and not again: ``redactions`` counts the secrets in
    what is kept of it (they used to go uncounted), a cut value under a sensitive key is one marker."""
    from auditkit.trail import capture

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    event = payload(
        "PostToolUse",
        tool_name="Bash",
        tool_use_id="t1",
        tool_input={"command": "cat dump.txt", "password": "hunter2-Xk9#pQ7v " + "y" * 100_000},
        tool_response={"stdout": f"token {token} then {token}. " + "x" * 200_000, "stderr": f"other {token}"},
    )
    fields = capture.shape(event, capture.Options(None, 65_536, True), 0, R)
    assert fields["tool_response"]["stdout"].count("[REDACTED:github-pat:") == 2
    assert fields["tool_response"]["stdout"].endswith("sha256 " + fields["truncated"][1]["sha256"] + "]")
    assert fields["tool_input"]["password"].startswith("[REDACTED:sensitive-key:")
    assert "hunter2" not in json.dumps(fields) and token not in json.dumps(fields)
    assert fields["redactions"] == 4  # two in the cut stdout, one in stderr, one password


# --- recall where secrets occur, and precision on what only looks like one ------------------------

PLACED = placed()


@pytest.mark.parametrize("placement", [*PLACEMENTS, "mcp-json-key"])
def test_every_corpus_secret_is_redacted_wherever_it_is_placed_in_a_tool_call(placement: str) -> None:
    """The hook's own path (trim, redact, cap) over payloads holding each secret: a command, its output,
    Write/MultiEdit content, MCP JSON, a JSON key, base64 in a Kubernetes Secret, a value over 1 MiB."""
    from auditkit.trail import capture

    opts = capture.Options(None, capture.DEFAULT_MAX_FIELD_BYTES, True)
    cases = [c for c in PLACED if c[1] == placement]
    assert len(cases) >= 15
    leaks = [rule for rule, _, event, secret in cases if leaked(secret, capture.shape(event, opts, 0, R))]
    assert leaks == []


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(PLACED) >= 400 and len({c[0] for c in PLACED}) >= 280 and len(negatives()) >= 250


def test_secrets_in_shapes_no_rule_listed_before_do_not_reach_the_trail_through_the_real_hook() -> None:
    """Issue #30, round three: vendor tokens by flag or call, keys and seeds, credentials in SQL, heredocs, env
    dumps and configuration, and secrets escaped, encoded, reversed or split, drawn fresh (a seed the benchmark
    does not use), each piped through hook/auditkit_hook.py as its own process: none whole, none in part."""
    from tests.secret_adversarial import cases, hook_leaks

    assert {c[0] for c in cases(3)} == {"vendor", "keys", "commands", "encodings"}
    assert hook_leaks(str(Path(__file__).resolve().parent.parent / "hook" / "auditkit_hook.py"), 3) == {
        "whole": [],
        "part": [],
    }


@pytest.mark.parametrize(
    "text",
    [
        '$pat = @"\na' + " " * 100_000,
        "-----BEGIN OpenVPN Static key V1-----\n" + " " * 100_000 + "#",
        "SAMLResponse=" + "A" * 100_000 + "!",
        "my token is " + "a1" * 50_000,
        "%41" * 50_000 + "!",
        "\\u0041" * 20_000,
        '"a" + ' * 20_000,
        "asana " + "/1234567890123:" * 7_000,
        "DB_PASS=" * 12_000,
        "net user " * 11_000,
        " ".join(["A" * 43 + "="] * 2_000),
    ],
    ids=lambda t: t[:12],
)
def test_the_round_three_rules_stay_linear_on_hostile_text(text: str) -> None:
    """Text an attacker shapes for the new rules (blanks after a here-string, a key block that never ends, runs of
    escapes, names, joints, 44-character runs) is redacted in well under a second: no quadratic backtracking."""
    import time

    started = time.perf_counter()
    R.redact_text(text)
    assert time.perf_counter() - started < 1.0


def test_a_token_split_into_joined_literals_is_redacted_as_one_span() -> None:
    """A piece found alone (``token = "ghp_..."`` by the assignment rule) would leave the other piece readable:
    the joined literals replace it, named by their form and the rule that found the whole token."""
    token = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    text = f'token = "{token[:20]}" + "{token[20:]}"\nprint(token)'
    out, n = R.redact_text(text)
    assert n == 1 and token[:20] not in out and token[20:] not in out
    assert out.startswith("token = [REDACTED:concatenated-github-pat:")


def test_secrets_escaped_reversed_or_in_hex_are_named_by_their_form_and_what_they_hold() -> None:
    token = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    escaped = "".join(f"\\u{ord(c):04x}" for c in token)
    for text, kind in (
        (f'{{"t": "{escaped}"}}', "unicode-escaped-github-pat"),
        (f"echo '{token[::-1]}' | rev", "reversed-github-pat"),
        (f"blob: {token.encode().hex()}", "hex-github-pat"),
        (f"q=%7B%22t%22%3A%22{token}%22%7D", "urlencoded-github-pat"),  # %22ghp_...: no word boundary before it
    ):
        assert [f[0] for f in R.findings(text)] == [kind], text
    assert R.findings("echo 'olleh dlrow' | rev") == [] and R.findings("blob: 68656c6c6f20776f726c64") == []


def test_base64_is_read_back_four_deep() -> None:
    import base64

    token = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    text = f"TOKEN={token}".encode()
    for depth in range(1, 5):
        text = base64.b64encode(text)
        found = R.findings(f"echo {text.decode()} | base64 -d")
        assert [f[0] for f in found] == ["base64-" * depth + "github-pat"], depth


def test_a_name_ending_in_pass_pw_key_salt_or_pat_marks_its_value_but_not_a_path_a_variable_or_a_public_key() -> None:
    secret = "Xq7pL2mN9vR4tY8wZ3"
    for text in (
        f"SMTP_PASS={secret}",
        f"export DEPLOY_PW = '{secret}'",
        f"RAILS_MASTER_KEY={secret}",
        f"ADO_PAT={secret}",
    ):
        assert [f[0] for f in R.findings(text)] == ["secret-name-assignment"], text
    for text in (
        "PWD=/home/dev/app",
        "DB_PASS=$DB_PASS",
        f"PUBLIC_KEY={secret}",
        "SORT_KEY=name",
        "signing_key: SigningKey = load()",
        'date_pat = "%Y-%m-%d"',
        "ADMIN_PASS=hunter",  # a plain lowercase word: a variable as often as a password
    ):
        assert R.findings(text) == [], text


def test_a_marker_in_a_url_is_not_read_as_a_user_and_password() -> None:
    """Redacting a DSN's key leaves ``https://[REDACTED:...]@host``: scanning the clean text finds nothing more."""
    text = next(t for rule, t, _ in POSITIVES if rule == "sentry-dsn-key")
    clean, n = R.redact_text(text)
    assert n == 1 and R.findings(clean) == []


def test_an_asana_token_given_as_a_bearer_token_is_redacted_whole() -> None:
    text = "curl -H 'Authorization: Bearer 1/1204567890123456:0f1e2d3c4b5a69788796a5b4c3d2e1f0' https://app.asana.com"
    out, n = R.redact_text(text)
    assert n == 2 and "1204567890123456" not in out and "0f1e2d3c4b5a69788796a5b4c3d2e1f0" not in out


def test_random_sixteen_digit_order_ids_are_not_card_numbers_but_a_card_is() -> None:
    import random

    rng = random.Random(7)
    ids = [str(rng.randrange(10**15, 10**16)) for _ in range(2000)]
    visa_like = [i for i in ids if i.startswith("4") and R.findings(f"card {i}")]  # Luhn-valid, a card by shape
    assert visa_like, "the sample should hold some Luhn-valid Visa-shaped ids"
    for i in visa_like:
        for text in (f"order_id={i}", f'{{"orderId": {i}}}', f"Order #{i}", f"invoice no. {i}"):
            assert R.findings(text) == [], text
        assert R.findings(f'{{"card_number": "{i}"}}') and R.findings(f"charged the Visa {i} on file")


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "image: nginx@sha256:0f9d1c6f4c6cb2e5a7f9e3b4d2a1c8e7f6b5a4d3c2b1a0f9e8d7c6b5a4f3e2d1",
        '"integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="',
        "request_id=7d444840-9dc0-41d1-b245-5ffdce74fad2",
        "golang.org/x/net v0.24.0 h1:1PcaxkF854Fu3+lvBIx5SYn9wRlBzzcnHZSiaFFAb0w=",
        "cls = AbstractSingletonProxyFactoryBean2",
        "ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'",
        "path: src/auditkit/loading/readers/transcript_reader_v2.py",
    ],
)
def test_the_generic_detector_leaves_digests_ids_hashes_and_names_alone(text: str) -> None:
    assert R.findings(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "acme deploy --blob Zx8Kq2LmN4pR7sT1vW3yB6cD9fG0hJ",
        "ACME_MATERIAL=Qw7Er9Ty2Ui4Op6As8Df1Gh3Jk5Lz0Xc",
        "session:\n  cookie_value: mN3bV5cX7zL9kJ2hG4fD6sA8",
        '{"signing": "u8Yt6Rr4Ee2Ww0Qq9Ii7Oo5Pp3Aa1Ss"}',
    ],
)
def test_the_generic_detector_catches_random_tokens_no_rule_names(text: str) -> None:
    assert [f[0] for f in R.findings(text)] in (["generic-high-entropy"], ["generic-high-entropy-flag"])


def test_base64_that_decodes_to_a_secret_is_redacted_whole_and_named_by_what_it_holds() -> None:
    import base64

    token = next(p[2] for p in POSITIVES if p[0] == "github-pat")
    inner = json.dumps({"auths": {"ghcr.example": {"auth": base64.b64encode(b"ci:" + token.encode()).decode()}}})
    manifest = f"kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {base64.b64encode(inner.encode()).decode()}\n"
    out, n = R.redact_text(manifest)
    assert n == 1 and "[REDACTED:base64-docker-config-auth:" in out and "kind: Secret" in out
    url = base64.b64encode(b"postgres://app:Sup3rS3cret@db:5432/app").decode()
    assert "[REDACTED:base64-db-connection-string:" in R.redact_text(f"  DATABASE_URL: {url}")[0]
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3).decode()
    assert R.redact_text(f"data:image/png;base64,{png}")[1] == 0  # binary: nothing to scan


def test_scan_finds_every_class_in_an_unredacted_trail_and_redact_removes_them(tmp_path: Path, capsys) -> None:
    """An old trail written with redaction off: each placed positive is a line; scan flags every line
    (keys and base64 included), and the redacted copy holds none of the secrets."""
    raw = tmp_path / "raw.jsonl"
    cases = [c for c in PLACED if c[1] != "over-1mib"]
    raw.write_text("".join(json.dumps(event) + "\n" for _, _, event, _ in cases))
    found = {f.line for f in scan(raw, R)}
    assert found == set(range(1, len(cases) + 1))
    clean = tmp_path / "clean.jsonl"
    assert main(["redact", str(raw), str(clean)]) == 0
    text = clean.read_text()
    assert [secret for _, _, _, secret in cases if secret in text or json.dumps(secret)[1:-1] in text] == []
    assert scan(clean, R) == []


def test_a_camel_case_id_is_not_a_listed_secret_name_run_together() -> None:
    """``sessionId`` (every transcript line) is an id; ``sessionid`` (Django's session cookie) is a secret."""
    from auditkit.trail.redaction import is_sensitive_key

    assert not is_sensitive_key("sessionId") and not is_sensitive_key("requestId")
    assert is_sensitive_key("sessionid") and is_sensitive_key("apiKey") and is_sensitive_key("Authorization")
    out, n = R.redact_value({"sessionId": "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "sessionid": "k8s9d7f6g5h4"})
    assert n == 1 and out["sessionId"] == "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"


def test_a_command_with_flags_but_no_long_token_loads_no_pattern() -> None:
    """Most Bash commands have flags (` -m`, ` --tags`); the flag detector must not compile its regex for them."""
    from auditkit.trail import redaction

    redaction._compiled.clear()
    r = Redactor(key=KEY)
    assert (
        r.redact_text("git commit -m 'fix: the parser drops a trailing newline' && git push origin main --tags")[1] == 0
    )
    flag_rule = next(x for x in builtin_rules() if x.id == "generic-high-entropy-flag")
    assert flag_rule.pattern not in redaction._compiled
    assert r.findings("deploy --blob Zx8Kq2LmN4pR7sT1vW3yB6cD9fG0hJ")[0][0] == "generic-high-entropy-flag"


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_the_trie_finds_in_short_texts_what_testing_every_part_finds() -> None:
    """Bulk scans find keyword parts in short strings with the trie too: for every string of every placed
    positive and negative (and short ones with no keyword), the parts and the findings are the same."""
    events = [event for _, _, event, _ in PLACED if _ != "over-1mib"] + [{"text": t} for t in negatives()]
    events.append({"path": "https://example.com/a/b", "quote": 'say "password=hunter2x9Q"', "nl": "a\nb"})
    events.append({"card": "4111111111111111", "token": "k=Zx8Kq2LmN4pR7sT1vW3yB6"})  # short, no keyword
    assert R.findings("4111111111111111") and R.findings("k=Zx8Kq2LmN4pR7sT1vW3yB6")
    for event in events:
        for text in _strings(event):
            low = text.lower()
            assert R.keywords_in(text, low, trie=True) == R.keywords_in(text, low), text[:80]
            assert R.findings(text, trie=True) == R.findings(text), text[:80]


def test_scan_reports_each_finding_as_checking_every_string_does(tmp_path: Path) -> None:
    """scan's shortcuts (one check per distinct string, the keyword trie, chain digests skipped) change no
    finding: kind, line, field and fingerprint, against a plain walk of every string."""
    from auditkit.custody.secrets import KEY as KEY_MARK
    from auditkit.custody.secrets import _walk
    from auditkit.trail.redaction import plausible_value

    cases = [c for c in PLACED if c[1] != "over-1mib"]
    lines = [json.dumps(event) for _, _, event, _ in cases] * 2  # every string seen twice: the second from memory
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    expected = []
    for n, line in enumerate(lines, 1):
        for field, text, under in _walk(json.loads(line), ""):
            if under == KEY_MARK or (
                under and text and not text.startswith("[REDACTED:") and plausible_value(text, under)
            ):
                continue  # object keys and values under sensitive names take their own (unchanged) path
            expected += [(n, kind, R.fingerprint(s), field) for kind, _, _, s in R.findings(text)]
    got = [(f.line, f.kind, f.fingerprint, f.field) for f in scan(log, R)]
    assert len(expected) > len(cases)
    assert [g for g in got if g[1] != "sensitive-key" and not g[3].endswith("{key}")] == expected


def test_scan_in_worker_processes_finds_what_one_process_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file is scanned in ranges by forked workers: the same findings, in the same order, at the same
    lines, whatever the ranges (JSON and plain-text lines, blank lines, a last line without its newline)."""
    from auditkit.custody import secrets

    cases = [c for c in PLACED if c[1] != "over-1mib"]
    lines = []
    for i, (_, _, event, _) in enumerate(cases):
        lines.append(json.dumps(event))
        if i % 7 == 0:
            lines += ["", f"plain text {i}: " + json.dumps(event)[:300]]
    lines.append("the last line, plain: " + json.dumps(cases[0][2])[:300])
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines))  # no newline after the last line
    monkeypatch.setattr(secrets, "_PARALLEL_MIN", 1 << 40)
    one = scan(log, R)
    monkeypatch.setattr(secrets, "_PARALLEL_MIN", 0)
    monkeypatch.setattr(secrets, "cpus", lambda: 3)
    for block in (1, 5000, 64_000):
        monkeypatch.setattr(secrets, "_RANGE", block)
        assert scan(log, R) == one
    assert len({f.line for f in one}) > len(cases) // 2


def test_scan_finds_the_same_whatever_lines_are_cleared_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan clears a batch of lines' new strings in one pass (Redactor.quiet_strings) before checking the rest,
    and remembers strings and key sets up to a bound: the same findings in the same order whether a batch is
    one line, a few, or the whole file, and whatever it forgot, with repeated strings, plain-text lines and
    blank lines across the batches' edges."""
    from auditkit.custody import secrets

    cases = [c for c in PLACED if c[1] != "over-1mib"]
    lines = []
    for i, (_, _, event, _) in enumerate(cases):
        lines += [json.dumps(event), json.dumps({"seq": i, "text": "nothing here", "n": i})]
        if i % 5 == 0:
            lines += ["", f"plain text {i}: " + json.dumps(event)[:300], json.dumps(event)]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    one = scan(log, R)
    assert len({f.line for f in one}) > len(cases) // 2
    for size, memory in ((1, 100_000), (3, 100_000), (64, 100_000), (3, 4), (64, 10)):
        monkeypatch.setattr(secrets._Scanner, "BATCH", size)
        monkeypatch.setattr(secrets._Scanner, "MEMORY", memory)  # what it learnt forgotten again and again
        assert scan(log, R) == one, (size, memory)


def test_scan_shares_gzipped_and_small_files_out_whole_and_finds_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trail's archived segments are gzipped and each small: they are scanned whole by this process and the
    workers, and every finding comes in file order, at its file and line, as one process gives them."""
    import gzip

    from auditkit.custody import secrets

    cases = [c for c in PLACED if c[1] != "over-1mib"]
    folder = tmp_path / "logs"
    folder.mkdir()
    for k in range(6):
        text = "\n".join(json.dumps(event) for _, _, event, _ in cases[k::6]) + "\n"
        name = folder / f"audit-trail.{k}.jsonl"
        if k % 2:
            name.with_suffix(".jsonl.gz").write_bytes(gzip.compress(text.encode()))
        else:
            name.write_text(text)
    monkeypatch.setattr(secrets, "_PARALLEL_MIN", 1 << 40)
    one = scan(folder, R)
    monkeypatch.setattr(secrets, "_PARALLEL_MIN", 1)  # every file "large": plain ones cut, gzipped ones whole
    monkeypatch.setattr(secrets, "cpus", lambda: 3)
    assert scan(folder, R) == one
    assert len({f.file for f in one}) == 6 and any(f.file.endswith(".gz") for f in one)


def test_a_user_rule_file_is_checked_once_and_later_events_pay_no_toml_or_re(
    isolated_config: Path, tmp_path: Path
) -> None:
    """A user's rules.toml cost every event tomllib and re (~12 ms); checked once, it is read back from the
    pattern cache by its exact text: the rule still redacts, and a changed file is checked again."""
    rules = isolated_config / "auditkit" / "rules.toml"
    rules.write_text('[[rules]]\nid = "acme-key"\nregex = "ACME-[0-9]{6}"\nkeywords = ["acme-"]\n')
    trail = tmp_path / "trail.jsonl"
    event = json.dumps(payload("PreToolUse", tool_name="Bash", tool_use_id="t1",
                               tool_input={"command": "deploy --key ACME-123456"})).encode()  # fmt: skip

    def run() -> str:
        proc = subprocess.run(
            [*hook_argv(trail)[:1], "-X", "importtime", *hook_argv(trail)[1:]],
            input=event, capture_output=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0
        return proc.stderr.decode()

    run()
    second = run()
    assert not re.search(r"\|\s+(tomllib|re)\s*$", second, re.M), second[-2000:]
    assert all("ACME-123456" not in json.dumps(r) for r in read_records(trail))
    assert read_records(trail)[-1]["redactions"] == 1
    rules.write_text('[[rules]]\nid = "acme-key"\nregex = "ACME-[0-9]{6}"\nkeywords = ["acme-"]\n[[rules]]\nid = "x"\n')
    run()  # a file that fails its checks is never kept: the hook says so and records the event
    assert "tomllib" in run()
