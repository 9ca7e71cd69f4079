"""Personal data (PII) as an opt-in policy: the detectors on the labelled corpus, the hook's subset, the
``[pii]`` policy as files merge it (a project can only make it stricter), and shipping, export and sync with
``--pii redact`` against real receivers (an HTTP server on 127.0.0.1, moto's S3 server): no corpus value in
what they send or write."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import auditkit
from auditkit.analysis.findings.compliance import data_minimisation
from auditkit.cli import main
from auditkit.custody.pii import Detector, mask, minimised_segment, scan_pii
from auditkit.outbound.exporting import export
from auditkit.outbound.s3sync import sync
from auditkit.outbound.shipping import ship
from auditkit.trail import capture, pii_hook, trust
from auditkit.trail.pii_hook import hook_findings, policy
from auditkit.trail.redaction import MARKER_RE, Redactor
from tests.conftest import payload, read_records, run_hook
from tests.pii_corpus import REGIONS, leaked, negatives, positives
from tests.test_shipping import Receiver

KEY = b"k" * 32


def detector(mode: str = "redact") -> Detector:
    return Detector(mode, regions=REGIONS, ip=True, redactor=Redactor(key=KEY))


def _findings(d: Detector, item: object) -> list[tuple[str, int, int, str]]:
    from auditkit.custody.pii import _strings

    if isinstance(item, str):
        return d.findings(item)
    return [f for _, context, text in _strings(item, "") for f in d.findings(text, context)]


# --- the detectors on the labelled corpus ----------------------------------------------------------------


def test_the_corpus_is_large_and_covers_every_kind_in_every_placement() -> None:
    pos, neg = positives(), negatives()
    assert len(pos) >= 300 and len(neg) >= 300
    assert {k for k, _, _, _ in pos} == set(pii_hook.KINDS)
    assert {p for _, p, _, _ in pos} == {"command", "output", "file", "json-value", "json-key", "csv", "sql"}


def test_the_whole_set_finds_98_percent_of_the_corpus_with_98_percent_precision() -> None:
    d = detector()
    missed = [(kind, place, value) for kind, place, item, value in positives() if leaked(value, d.apply_value(item)[0])]
    tp = fp = 0
    for kind, _, item, value in positives():
        for rid, _, _, found in _findings(d, item):
            same = "".join(c for c in found if c.isalnum()) in "".join(c for c in value if c.isalnum())
            tp += same and rid == f"pii-{kind}"
            fp += not (same and rid == f"pii-{kind}")
    fp += sum(len(_findings(d, item)) for _, item in negatives())
    assert 1 - len(missed) / len(positives()) >= 0.98, missed
    assert tp / (tp + fp) >= 0.98


def test_each_kind_has_its_rule_id_and_the_marker_form_of_secrets() -> None:
    d = detector()
    text, n = d.apply_text("mail jane.doe@example.com, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789")
    assert n == 3
    for rid in ("pii-email", "pii-iban", "pii-us-ssn"):
        assert f"[REDACTED:{rid}:" in text
    outside = re.sub(MARKER_RE, "", text)
    assert "jane.doe" not in outside and "3704" not in outside and "6789" not in outside


def test_the_same_person_gets_the_same_fingerprint_however_written_and_never_the_value() -> None:
    d = detector()
    a, _ = d.apply_text("Jane.Doe@Example.com")
    b, _ = d.apply_text("jane.doe@example.com")
    c, _ = d.apply_text("DE89370400440532013000 and DE89 3704 0044 0532 0130 00")
    assert a == b and "jane" not in a.lower()
    assert len(set(c.split(" and "))) == 1
    other = Detector("redact", regions=REGIONS, redactor=Redactor(key=b"x" * 32))
    assert other.apply_text("jane.doe@example.com")[0] != a  # a keyed fingerprint: another key, another marker


def test_the_hook_subset_gives_the_same_marker_as_the_whole_set() -> None:
    r = pii_hook.PiiRedactor(key=KEY)
    hooked, n = r.redact_text("to Jane.Doe@example.com, iban DE89370400440532013000, ssn 123-45-6789")
    full, m = detector().apply_text("to Jane.Doe@example.com, iban DE89370400440532013000, ssn 123-45-6789")
    assert n == m == 3 and hooked == full


def test_mask_keeps_a_part_and_report_changes_nothing() -> None:
    assert mask("pii-email", "jane.doe@example.com") == "j***@example.com"
    assert mask("pii-card", "4111 1111 1111 1111") == "**** **** **** 1111"
    assert mask("pii-iban", "DE89370400440532013000").startswith("DE") and mask(
        "pii-iban", "DE89370400440532013000"
    ).endswith("3000")
    text = "call +49 30 901820 or mail jane@example.com"
    masked, n = detector("mask").apply_text(text)
    assert n == 2 and "j***@example.com" in masked and "901820" not in masked and masked.endswith("example.com")
    counts: Counter = Counter()
    assert detector("report").apply_text(text, counts=counts) == (text, 2)
    assert counts == {"pii-phone": 1, "pii-email": 1}


def test_look_alikes_that_pass_a_weak_check_need_their_written_form_or_their_name() -> None:
    d = detector()
    bsn = "111222333"  # passes the 11-proof
    assert d.findings(f"job {bsn} done") == []
    assert [f[0] for f in d.findings(f"BSN: {bsn}")] == ["pii-nl-bsn"]
    assert d.findings("ARABIC FATHATAN") == []  # a BIC's shape, and "arabic" holds "bic": not the word
    assert [f[0] for f in d.findings("BIC: DEUTDEFF")] == ["pii-bic"]


# --- the hook ----------------------------------------------------------------------------------------------


def _rules(config: Path, text: str) -> None:
    path = config / "auditkit" / "rules.toml"
    path.write_text(text)


def test_without_a_pii_policy_the_hook_keeps_personal_data_byte_exact(tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    event = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "mail jane@example.com"})
    assert run_hook(event, trail).returncode == 0
    assert read_records(trail)[-1]["tool_input"]["command"] == "mail jane@example.com"


def test_with_pii_hook_on_the_hook_redacts_emails_ibans_and_ssns_and_says_so_at_session_start(
    tmp_path: Path, isolated_config: Path
) -> None:
    _rules(isolated_config, '[pii]\nhook = true\noutbound = "mask"\n')
    trail = tmp_path / "t.jsonl"
    assert run_hook(payload("SessionStart", source="startup"), trail).returncode == 0
    cmd = "curl -d 'to=jane.doe@example.com&iban=DE89 3704 0044 0532 0130 00&ssn=123-45-6789' https://api.example.com"
    many = {f"row{i}": f"customer{i}@example.org" for i in range(80)}  # many strings: the one-pass clearing path
    done = run_hook(
        payload("PostToolUse", tool_name="Bash", tool_use_id="t2", tool_input={"command": cmd}, tool_response=many),
        trail,
    )
    assert done.returncode == 0, done.stderr
    start, rec = read_records(trail)[-2:]
    assert start["data"]["auditkit_pii"]["hook"] is True and start["data"]["auditkit_pii"]["outbound"] == "mask"
    text = json.dumps(rec)
    text = re.sub(MARKER_RE, "", text)
    assert "jane.doe" not in text and "3704" not in text and "123-45-6789" not in text and "customer7@" not in text
    for rid in ("pii-email", "pii-iban", "pii-us-ssn"):
        assert f"[REDACTED:{rid}:" in rec["tool_input"]["command"]
    assert rec["redactions"] == 83


def _hook_loads_detectors(event: dict, trail: Path) -> bool:
    """Run the real hook on ``event`` with ``-X importtime``; whether it imported the detectors' module."""
    from tests.conftest import hook_argv

    argv = hook_argv(trail)
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], input=json.dumps(event).encode(),
                          capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 0
    return b"auditkit.trail.pii_hook" in done.stderr


def test_with_pii_hook_on_the_policy_is_read_once_and_the_detectors_load_only_for_text_that_could_hold_them(
    tmp_path: Path, isolated_config: Path
) -> None:
    """The policy's outcome for the hook is kept in the user's cache: a later event without an ``@``, a digit or a
    character past ASCII in what is redacted loads neither the policy's reader nor the detectors, and its record is
    the one the detectors give (the policy's notes included); an event with personal data loads them and redacts."""
    _rules(isolated_config, '[pii]\nhook = true\nkinds = ["email", "iban", "us-ssn", "no-such-kind"]\n')
    trail = tmp_path / "t.jsonl"
    plain = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "npm test"})
    mail = payload("PreToolUse", tool_name="Bash", tool_use_id="t2", tool_input={"command": "mail jo@example.com"})
    assert _hook_loads_detectors(plain, trail)  # the first event reads the policy, and keeps its outcome
    cached = list((Path(os.environ["XDG_CACHE_HOME"]) / "auditkit").glob("pii-*.json"))
    assert len(cached) == 1
    assert not _hook_loads_detectors(plain, trail)
    assert _hook_loads_detectors(mail, trail)
    first, again, mailed = read_records(trail)[-3:]
    assert first["tool_input"] == again["tool_input"] == {"command": "npm test"}
    notes = first["data"]["auditkit_trust"]["notes"]
    assert any("no-such-kind" in n for n in notes)
    assert again["data"]["auditkit_trust"] == mailed["data"]["auditkit_trust"] == first["data"]["auditkit_trust"]
    assert mailed["tool_input"]["command"].startswith("mail [REDACTED:pii-email:")
    _rules(isolated_config, "[pii]\nhook = false\n")  # another policy: another entry, read afresh
    assert run_hook(mail, trail).returncode == 0
    assert read_records(trail)[-1]["tool_input"]["command"] == "mail jo@example.com"


@pytest.mark.parametrize("planted", ["shared", "link"])
def test_a_pii_cache_entry_that_is_not_the_users_private_file_is_never_read(
    tmp_path: Path, isolated_config: Path, planted: str
) -> None:
    """An entry saying the hook is off, writable by others or a link to another file, is not the user's: the
    policy is read again, and personal data is still redacted."""
    _rules(isolated_config, "[pii]\nhook = true\n")
    trail = tmp_path / "t.jsonl"
    mail = payload("PreToolUse", tool_name="Bash", tool_use_id="t2", tool_input={"command": "mail jo@example.com"})
    assert run_hook(mail, trail).returncode == 0
    (entry,) = (Path(os.environ["XDG_CACHE_HOME"]) / "auditkit").glob("pii-*.json")
    off = json.loads(entry.read_text()) | {"hook": False}
    if planted == "shared":
        entry.write_text(json.dumps(off))
        entry.chmod(0o666)
    else:
        elsewhere = tmp_path / "off.json"
        elsewhere.write_text(json.dumps(off))
        elsewhere.chmod(0o600)
        entry.unlink()
        entry.symlink_to(elsewhere)
    assert run_hook(mail, trail).returncode == 0
    assert read_records(trail)[-1]["tool_input"]["command"].startswith("mail [REDACTED:pii-email:")


def test_a_project_file_mentioning_pii_is_looked_at_on_every_event_never_kept(
    tmp_path: Path, isolated_config: Path
) -> None:
    """A project's [pii] applies only once approved, and approval is looked up each time: with such a file the
    policy's outcome is never kept, and an unapproved file is said on every event."""
    _rules(isolated_config, "[pii]\nhook = true\n")
    project = _project(tmp_path, '[pii]\nhook = true\noutbound = "redact"\n', approve=False)
    trail = tmp_path / "t.jsonl"
    event = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "npm test"})
    event["cwd"] = str(project)
    for _ in range(2):
        assert run_hook(event, trail, env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)}).returncode == 0
        assert "project [pii] ignored" in " ".join(read_records(trail)[-1]["data"]["auditkit_trust"]["notes"])
    assert not list((Path(os.environ["XDG_CACHE_HOME"]) / "auditkit").glob("pii-*.json"))


def test_hook_findings_reject_look_alikes() -> None:
    text = "git@github.com:org/repo.git icon@2x.png order 000-12-3456 version 666-12-3456 DE00 0000 0000 0000 0000 00"
    assert hook_findings(text) == []


# --- the policy: merged strictest-first; a project can add, never remove -----------------------------------


def _project(tmp_path: Path, text: str, approve: bool) -> Path:
    project = tmp_path / "repo"
    (project / ".claude").mkdir(parents=True)
    path = project / ".claude" / "auditkit-rules.toml"
    path.write_text(text)
    if approve:
        trust.approve(str(path), str(project))
    return project


def test_an_approved_project_file_cannot_turn_off_what_the_user_turned_on(
    tmp_path: Path, isolated_config: Path
) -> None:
    _rules(isolated_config, '[pii]\nhook = true\noutbound = "redact"\nregions = ["DE"]\n')
    project = _project(tmp_path, '[pii]\nhook = false\noutbound = "off"\nkinds = ["email"]\n', approve=True)
    p = policy(str(project))
    assert p.hook is True and p.outbound == "redact"
    assert "phone" in p.enabled() and "us-ssn" in p.enabled()  # the user's "every kind" was not narrowed
    assert p.regions == ["DE"] and len(p.sources) == 2


def test_a_project_file_can_raise_the_policy_only_once_approved(tmp_path: Path) -> None:
    project = _project(tmp_path, '[pii]\nhook = true\noutbound = "redact"\n', approve=False)
    p = policy(str(project))
    assert not p.active and "project [pii] ignored" in p.notes[0]
    trust.approve(str(project / ".claude" / "auditkit-rules.toml"), str(project))
    p = policy(str(project))
    assert p.hook and p.outbound == "redact"


def test_an_unknown_mode_is_ignored_and_said(isolated_config: Path) -> None:
    _rules(isolated_config, '[pii]\noutbound = "delete-everything"\n')
    p = policy(None)
    assert p.outbound == "off" and "not one of" in p.notes[0]


# --- what leaves the machine ---------------------------------------------------------------------------------


def corpus_trail(tmp_path: Path) -> tuple[Path, list[str]]:
    """A trail whose records hold every corpus value (commands, outputs, JSON): written by the hook's own path."""
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    opts = capture.Options(str(trail), capture.DEFAULT_MAX_FIELD_BYTES, False)
    values = []
    for i, (_kind, place, item, value) in enumerate(positives()):
        values.append(value)
        if isinstance(item, str):
            tool_input, response = {"command": item if place == "command" else "cat data"}, {"stdout": item}
        else:
            tool_input, response = {"command": "psql -c 'select ...'"}, item
        event = payload("PostToolUse", tool_name="Bash", tool_use_id=f"p{i}", tool_input=tool_input)
        event["tool_response"] = response
        capture.record(json.dumps(event).encode(), opts)
    return trail, values


def _leaks(values: list[str], blob: object) -> list[str]:
    return [v for v in values if leaked(v, blob)]


def _regions(isolated_config: Path) -> None:
    _rules(isolated_config, f"[pii]\nregions = {json.dumps(REGIONS)}\nip = true\n")


@pytest.fixture
def receiver() -> Iterator[Callable[[str], Receiver]]:
    made: list[Receiver] = []

    def make(fmt: str) -> Receiver:
        made.append(Receiver(fmt))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.parametrize("fmt", ["splunk", "elastic"])
@pytest.mark.parametrize("schema", ["auditkit", "ocsf"])
def test_ship_with_pii_redact_sends_no_corpus_value(
    receiver, tmp_path: Path, isolated_config: Path, fmt: str, schema: str
) -> None:
    _regions(isolated_config)
    trail, values = corpus_trail(tmp_path)
    assert _leaks(values, trail.read_text()) == values  # the live trail keeps them byte-exact
    r = receiver(fmt)
    env = {"SPLUNK_HEC_TOKEN": "t", "ELASTIC_API_KEY": "k"}
    result = ship([trail], r.url, fmt, insecure=True, env=env, schema=schema, pii="redact")
    assert result.sent == len(values) + 1
    sent = b"".join(req["body"] for req in r.requests).decode()
    assert _leaks(values, sent) == []
    assert result.pii["mode"] == "redact" and sum(result.pii["found"].values()) >= len(values)
    assert "[REDACTED:pii-" in sent
    hashes = [json.loads(line)["hash"] for line in trail.read_text().splitlines()]
    assert not any(h in sent for h in hashes)  # no SHA-256 of an original record to check a guessed value on


def test_ship_reports_without_changing_what_it_sends(receiver, tmp_path: Path, isolated_config: Path) -> None:
    _regions(isolated_config)
    trail, _values = corpus_trail(tmp_path)
    r = receiver("splunk")
    result = ship([trail], r.url, "splunk", insecure=True, env={"SPLUNK_HEC_TOKEN": "t"}, pii="report")
    sent = b"".join(req["body"] for req in r.requests).decode()
    assert "[REDACTED:pii-" not in sent and result.pii["found"]


@pytest.mark.parametrize(("fmt", "schema"), [("csv", "auditkit"), ("parquet", "auditkit"), ("jsonl", "ecs")])
def test_export_with_pii_redact_writes_no_corpus_value_and_records_the_choice(
    tmp_path: Path, isolated_config: Path, fmt: str, schema: str
) -> None:
    _regions(isolated_config)
    trail, values = corpus_trail(tmp_path)
    out = tmp_path / f"out.{fmt}"
    result = export([trail], out, format=fmt, schema=schema, pii="redact")
    if fmt == "parquet":
        import pandas as pd

        written = pd.read_parquet(out).to_json(date_format="iso")
    else:
        written = out.read_text()
    assert _leaks(values, written) == []
    assert not any(json.loads(line)["hash"] in written for line in trail.read_text().splitlines())
    said = json.loads((tmp_path / f"out.{fmt}.pii.json").read_text())
    assert said["mode"] == "redact" and said["set_by"] == "--pii" and sum(said["found"].values()) >= len(values)
    assert "personal data: redact" in str(result)


@pytest.mark.slow
def test_sync_with_pii_redact_uploads_minimised_copies_only(s3, s3_endpoint, tmp_path: Path, isolated_config: Path):
    _regions(isolated_config)
    trail, values = corpus_trail(tmp_path)
    auditkit.archive(trail)
    s3.create_bucket(Bucket="pii-evidence", ObjectLockEnabledForBucket=True)
    result = sync([trail.parent], "s3://pii-evidence/acme", endpoint_url=s3_endpoint, lock_days=1, pii="redact")
    names = [k.rsplit("/", 1)[-1] for k in result.uploaded]
    assert any(n.endswith(".pii-redact.jsonl.gz") for n in names)
    assert not any(n.endswith(".jsonl.gz") and ".pii-" not in n for n in names)  # the raw segment stayed here
    stored = []
    for key in result.uploaded:
        body = s3.get_object(Bucket="pii-evidence", Key=key)["Body"].read()
        stored.append(gzip.decompress(body).decode() if key.endswith(".gz") else body.decode())
    assert _leaks(values, "\n".join(stored)) == []
    copy = next(k for k in result.uploaded if k.endswith(".pii-redact.jsonl.gz"))
    meta = s3.head_object(Bucket="pii-evidence", Key=copy)["Metadata"]
    assert meta["pii-mode"] == "redact" and meta["pii-source"].endswith(".jsonl.gz")
    assert sum(json.loads(meta["pii-found"]).values()) >= len(values)
    again = sync([trail.parent], "s3://pii-evidence/acme", endpoint_url=s3_endpoint, lock_days=1, pii="redact")
    assert copy in again.skipped and not again.uploaded  # a copy goes up once, though made anew each run


def test_archive_with_pii_writes_a_minimised_copy_beside_and_keeps_the_segment(
    tmp_path: Path, isolated_config: Path, capsys
) -> None:
    _regions(isolated_config)
    trail, values = corpus_trail(tmp_path)
    assert main(["archive", str(trail), "--no-seal", "--pii", "mask"]) == 0
    assert "personal data (mask)" in capsys.readouterr().out
    segment = next(trail.parent.glob("audit-trail.*.jsonl.gz"))
    assert _leaks(values, gzip.decompress(segment.read_bytes()).decode()) == values  # the evidence, as written
    copy = next((trail.parent / ".pii").glob("*.pii-mask.jsonl.gz"))
    assert _leaks(values, gzip.decompress(copy.read_bytes()).decode()) == []
    assert auditkit.verify(copy).intact  # a new chain of its own, naming its source


def test_scan_pii_says_where_personal_data_sits_without_printing_it(tmp_path: Path, isolated_config: Path) -> None:
    _regions(isolated_config)
    trail, values = corpus_trail(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "auditkit.cli", "scan", "--pii", str(trail), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    assert {f["kind"] for f in found} == {f"pii-{k}" for k in pii_hook.KINDS}
    assert all(f["file"] == str(trail) and f["line"] > 0 and f["count"] >= 1 for f in found)
    assert any(f["field"].startswith("tool_response") for f in found)
    assert _leaks(values, done.stdout + done.stderr) == []
    assert len(scan_pii(trail, detector("report"))) == len(found)


def test_the_compliance_row_follows_the_policy() -> None:
    assert data_minimisation({})[3] == "pending review"
    assert data_minimisation({"outbound": "report", "found": {"pii-email": 3}})[3] == "partial"
    row = data_minimisation({"hook": True, "outbound": "redact", "sources": ["rules.toml"]})
    assert row[3] == "pass" and "rules.toml" in row[4]


def test_without_the_pii_extra_the_error_names_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['phonenumbers'] = None\n"
        "from auditkit.custody.pii import Detector\n"
        "from auditkit.errors import MissingExtra\n"
        "try:\n    Detector()\nexcept MissingExtra as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'auditkit[pii]'" in done.stdout, done.stderr


def test_minimised_segment_in_report_mode_writes_no_copy(tmp_path: Path, isolated_config: Path) -> None:
    _regions(isolated_config)
    trail, _ = corpus_trail(tmp_path)
    auditkit.archive(trail, seal=False)
    segment = next(trail.parent.glob("audit-trail.*.jsonl.gz"))
    copy, manifest = minimised_segment(segment, detector("report"))
    assert copy is None and manifest["found"] and manifest["pii"]["mode"] == "report"


@pytest.mark.parametrize(
    "text",
    [
        '[pii]\nhook = true\noutbound = "mask"\nkinds = ["email", "phone",]\n# note\n[retention]\nminimum = "1y"\n',
        "[pii]\nhook=true\nip = false\nkinds = []\n",
        'pii.hook = true\noutbound = "x"\n',
        "[pii]\nhook = true\n[pii.extra]\nx = 1\n",
        '[pii]\nregions = ["DE"] # a comment\n',
        'pii = { hook = true, outbound = "redact" }\n',
        '[retention]\nminimum = "1y"\n',
    ],
)
def test_the_quick_reader_of_pii_reads_what_tomllib_reads_or_hands_over(text: str) -> None:
    import tomllib

    quick = pii_hook.quick_table(text)
    expected = tomllib.loads(text).get("pii")
    if quick is None:  # another form: tomllib decides (what policy() then does)
        assert "pii" in text
    else:
        assert quick == (False if expected is None else expected)


def test_a_pii_table_in_config_toml_turns_the_hook_on_too(tmp_path: Path, isolated_config: Path) -> None:
    (isolated_config / "auditkit" / "config.toml").write_text('[retention]\nminimum = "1y"\n\n[pii]\nhook = true\n')
    trail = tmp_path / "t.jsonl"
    event = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "mail jane@example.com"})
    assert run_hook(event, trail).returncode == 0
    assert read_records(trail)[-1]["tool_input"]["command"].startswith("mail [REDACTED:pii-email:")


def test_a_config_folder_pointed_into_the_project_cannot_switch_the_hook_on(tmp_path: Path, monkeypatch) -> None:
    """Redacting more can hide evidence (an attacker's address in an exfiltrating command): a repository that
    points XDG_CONFIG_HOME into itself (a settings `env`) and plants a [pii] table there is not the user."""
    project = tmp_path / "repo"
    planted = project / "cfg" / "auditkit"
    planted.mkdir(parents=True)
    (planted / "config.toml").write_text("[pii]\nhook = true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(project / "cfg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert not policy(str(project)).hook


def test_a_packs_header_says_the_policy_in_force(isolated_config: Path) -> None:
    from auditkit.present.evidence import pii_said

    assert pii_said(policy(None).to_dict()).startswith("no [pii] policy")
    _rules(isolated_config, '[pii]\noutbound = "mask"\n')
    said = pii_said(policy(None).to_dict())
    assert "outbound (archive, export, ship, sync): mask" in said and "rules.toml" in said


def test_export_on_the_command_line_takes_pii_and_the_configured_mode_applies_without_it(
    tmp_path: Path, isolated_config: Path, capsys
) -> None:
    trail, values = corpus_trail(tmp_path)
    out = tmp_path / "cli.csv"
    assert main(["export", str(trail), "--format", "csv", "--out", str(out), "--pii", "mask"]) == 0
    assert "personal data: mask" in capsys.readouterr().out
    assert "***@" in out.read_text() and _leaks([v for v in values if "@" in v], out.read_text()) == []
    _rules(isolated_config, f'[pii]\noutbound = "redact"\nregions = {json.dumps(REGIONS)}\nip = true\n')
    again = tmp_path / "configured.csv"
    assert main(["export", str(trail), "--format", "csv", "--out", str(again)]) == 0
    said = json.loads((tmp_path / "configured.csv.pii.json").read_text())
    assert said["mode"] == "redact" and said["set_by"].endswith("rules.toml")
    assert _leaks(values, again.read_text()) == []


def test_auditkit_trust_says_what_a_projects_pii_table_would_change(tmp_path: Path) -> None:
    from auditkit.project_review import review_project

    project = _project(tmp_path, '[pii]\nhook = true\noutbound = "mask"\n', approve=False)
    (review,) = review_project(str(project))
    said = " ".join(review.warnings)
    assert "sets [pii]" in said and "the hook would redact" in said and "would mask personal data" in said
    assert not review.errors


@pytest.mark.parametrize(
    "text", ["pii = [\n", '[pii]\nhook = 1\nkinds = "email"\nregions = [1, 2]\n', "\xff\xfe[pii]", "[pii]\n[pii]\n"]
)
def test_a_broken_pii_table_never_costs_the_event(tmp_path: Path, isolated_config: Path, text: str) -> None:
    (isolated_config / "auditkit" / "config.toml").write_bytes(text.encode("utf-8", "surrogateescape"))
    trail = tmp_path / "t.jsonl"
    event = payload("PreToolUse", tool_name="Bash", tool_use_id="t1", tool_input={"command": "mail jane@example.com"})
    done = run_hook(event, trail)
    assert done.returncode == 0 and read_records(trail)[-1]["tool_input"]["command"] == "mail jane@example.com"
