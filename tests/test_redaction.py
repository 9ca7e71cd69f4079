"""Secrets never reach the disk: every rule fires on its kind, look-alikes are left alone, structure is kept."""

from __future__ import annotations

import hmac
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.cli import main
from auditkit.errors import RuleError
from auditkit.redaction import MARKER_RE, Redactor, builtin_rules, is_sensitive_key, load_rule_file
from auditkit.secrets import redact_file, scan
from auditkit.simulate import run as simulate
from tests.conftest import payload, read_records, run_hook
from tests.secret_corpus import negatives, positives

KEY = b"test fingerprint key, 32 bytes!!"
R = Redactor(key=KEY)
POSITIVES = positives()


def test_every_built_in_rule_has_a_positive_in_the_corpus() -> None:
    assert {r.id for r in builtin_rules()} <= {rule for rule, _, _ in POSITIVES}
    assert len(builtin_rules()) >= 40


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


def test_project_rules_and_allowlist_apply_in_the_hook(tmp_path: Path) -> None:
    """A project's .claude/auditkit-rules.toml adds a rule and an allowlist the hook uses."""
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
    assert "PASSWORD=hunter2-is-a-test-fixture" in command


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


def test_a_broken_rule_file_does_not_cost_the_event(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_rules(project / ".claude" / "auditkit-rules.toml", "[[rules]]\nid = 'x'\nregex = '('\n")
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
    out = redact_file(raw, tmp_path / "raw.redacted.jsonl", R)
    assert out["redactions"] >= 20 and scan(tmp_path / "raw.redacted.jsonl", R) == []
    assert [json.loads(x).keys() for x in (tmp_path / "raw.redacted.jsonl").read_text().splitlines()] == [
        json.loads(x).keys() for x in raw.read_text().splitlines()
    ]
    copy = tmp_path / "trail.redacted.jsonl"
    info = redact_file(trail, copy, R)
    assert info["rechained"] and auditkit.verify(copy).intact
    start = read_records(copy)[0]["data"]
    assert start["derived_from"]["trail_id"] == read_records(trail)[0]["data"]["trail_id"]
    with pytest.raises(ValueError, match="another file"):
        redact_file(trail, trail, R)


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.text(alphabet='abc_-"', min_size=1, max_size=6), min_size=1, max_size=12),
    st.text(alphabet='abc_-" x', max_size=40),
)
def test_the_bulk_prefilter_matches_exactly_when_a_word_occurs(words: set[str], text: str) -> None:
    """The trie-shaped regex scan() uses to skip lines says yes exactly when one of its words is in the text."""
    from auditkit.redaction import _trie_pattern

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
