"""The hook's fast forms (integers read by the C scanner, trim that copies only what changes, cut_deep that skips
balanced records inside the regex engine) write exactly the bytes of the plain forms they replaced.

``capture.FAST = False`` selects the plain forms, kept as the reference: every case here is recorded both ways,
with the same rules (the built-in table, whatever it holds when the test runs) and the same fingerprint key, and
the record lines must be byte-identical. Not timed: ``benchmarks/hook_latency.py`` measures the speed.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.trail import capture
from auditkit.trail import format as tf
from auditkit.trail.redaction import Redactor
from tests import secret_corpus

TS = "2026-01-01T00:00:00.000000Z"
PREV = "0" * 64


def record_line(raw: bytes, fast: bool, cap: int = capture.DEFAULT_MAX_FIELD_BYTES) -> bytes:
    """The record line the hook writes for ``raw`` (as its seq 1), by the fast forms or the plain ones."""
    saved = capture.FAST
    capture.FAST = fast
    try:
        opts = capture.Options(None, cap, True)
        try:
            payload = capture.parse(raw)
        except RecursionError:  # as capture.record does
            payload = capture.parse(raw, max_depth=tf.MAX_DEPTH - 2)
        fields = capture.shape(payload, opts, len(raw), Redactor(key=b"k" * 32))
        return tf.encode_record(1, TS, PREV, fields)
    finally:
        capture.FAST = saved


def assert_same(raw: bytes, cap: int = capture.DEFAULT_MAX_FIELD_BYTES) -> bytes:
    fast, plain = record_line(raw, True, cap), record_line(raw, False, cap)
    assert fast == plain
    return fast


def test_records_of_every_placed_secret_are_byte_identical_fast_and_plain() -> None:
    cases = secret_corpus.placed()
    assert len(cases) > 100
    for rule, placement, payload, secret in cases:
        line = assert_same(json.dumps(payload).encode())
        assert not secret_corpus.leaked(secret, json.loads(line)), (rule, placement)


def test_records_of_the_negatives_are_byte_identical_fast_and_plain() -> None:
    for label, text in secret_corpus.negatives():
        for payload in (
            {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": text}},
            {"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_input": {"file_path": "/r/x"},
             "tool_response": {"file": {"content": text, "lines": text.splitlines()}}},
        ):  # fmt: skip
            assert_same(json.dumps(payload).encode()), label


def glob_payload(n_bytes: int, texts: list[str], seed: int = 3) -> bytes:
    """A Glob's response listing ``n_bytes`` of paths, with ``texts`` (each holding a secret) sprinkled among them
    (every other one early, in what the record keeps of a capped field; the rest spread through the list)."""
    rng = random.Random(seed)
    files: list[str] = []
    size = 0
    while size < n_bytes:
        i = len(files)
        files.append(f"/home/dev/app/{rng.choice(['src', 'lib', 'node_modules/x/dist'])}/m_{i}/f_{i}.ts")
        size += len(files[-1]) + 4
    for j, text in enumerate(texts):
        files.insert(5 + j * 7 if j % 2 == 0 else rng.randrange(len(files)), text)
    payload = {
        "hook_event_name": "PostToolUse",
        "session_id": "s",
        "tool_name": "Glob",
        "tool_use_id": "toolu_g",
        "tool_input": {"pattern": "**/*"},
        "tool_response": {"filenames": files, "durationMs": 5, "numFiles": len(files), "truncated": False},
    }
    return json.dumps(payload).encode()


def corpus_secrets(n: int) -> list[tuple[str, str]]:
    """(text, secret) of the corpus's first ``n`` positives."""
    return [(text, secret) for _, text, secret in secret_corpus.positives()[:n]]


def test_a_7_mb_glob_with_secrets_is_recorded_byte_identical_fast_and_plain() -> None:
    cases = corpus_secrets(40)
    line = assert_same(glob_payload(7_000_000, [text for text, _ in cases]))
    record = json.loads(line)
    assert record["tool_response"]["auditkit_truncated"]["bytes"] > 6_500_000  # capped, its head redacted
    assert not any(secret_corpus.leaked(secret, record) for _, secret in cases)


def test_a_glob_under_the_record_cap_with_secrets_is_recorded_byte_identical_fast_and_plain() -> None:
    cases = corpus_secrets(60)
    line = assert_same(glob_payload(600_000, [text for text, _ in cases]))
    record = json.loads(line)
    assert record["redactions"] >= len(cases)
    assert not any(secret_corpus.leaked(secret, record) for _, secret in cases)


def test_deep_wide_long_and_numeric_payloads_are_recorded_byte_identical_fast_and_plain() -> None:
    secret = corpus_secrets(1)[0][1]
    deep = '{"v":' * 3000 + json.dumps(f"token={secret}") + "}" * 3000  # past the parser's recursion limit
    nested = '{"a":[' * 80 + '"x"' + "]}" * 80  # deeper than MAX_DEPTH, within the parser's limit
    records = [{"id": i, "tags": ["a", f"t{i}"], "meta": {"p": f"/srv/{i}", "k": [i, i * 0.5]}} for i in range(3000)]
    levels = "".join(f'{{"d":{d},"items":{json.dumps(records[:20])},"child":' for d in range(300))
    payloads = [
        '{"hook_event_name":"PostToolUse","tool_response":' + deep + "}",
        '{"hook_event_name":"PostToolUse","tool_response":' + nested + "}",
        '{"hook_event_name":"PostToolUse","tool_response":' + levels + '{"leaf":1}' + "}" * 300 + "}",
        json.dumps({"hook_event_name": "PostToolUse", "tool_response": {"rows": records}}),
        json.dumps({"hook_event_name": "PostToolUse", "tool_response": {f"k{i}": i for i in range(50_000)}}),
        json.dumps({"hook_event_name": "PostToolUse", "tool_response": {"stdout": "a=b " * 500_000 + secret}}),
        json.dumps({"hook_event_name": "PostToolUse", "tool_response": {"stdout": f"x{secret} " + "é" * 40_000}}),
        # integers at the edge of what _integer keeps as a number (4,000 characters) and past it, one a payload
        *(
            f'{{"hook_event_name":"PostToolUse","tool_response":[{sign}{"9" * n},1]}}'
            for n in (3997, 3998, 3999, 4000, 4001, 5000)
            for sign in ("", "-")
        ),
        '{"hook_event_name":"PostToolUse","tool_response":[1e999,-1e999,NaN,Infinity,1.5,0,-0,12345678901234567890]}',
        b'{"hook_event_name":"PostToolUse","tool_response":"bad \xff byte \\ud800 lone"}'.decode("latin-1"),
    ]
    for text in payloads:
        raw = text.encode("latin-1") if "\xff" in text else text.encode()
        assert_same(raw)
        assert_same(raw, cap=1024)


def test_cut_deep_fast_form_matches_the_plain_form_on_hostile_text() -> None:
    rng = random.Random(5)
    alphabet = '[]{}"\\ab,:'
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for limit in (0, 1, 2, 3, 4, 6):
            assert tf.cut_deep(text, limit) == tf.cut_deep(text, limit, reference=True), (text, limit)


def test_deep_parts_put_back_after_parsing_give_the_value_parsing_the_cut_text_gives() -> None:
    """``cut_deep_holes`` + ``fill_holes`` (the fast parse of a too-deep payload): the value ``loads(cut_deep(...))``
    gives, on hostile text (escapes, quotes, non-ASCII, lone surrogates in the cut part; several cut parts)."""
    from auditkit.trail import _startup_json

    rng = random.Random(23)
    alphabet = [
        "[",
        "]",
        "{",
        "}",
        '"x"',
        '"\\""',
        '"é"',
        '"\udc80"',
        '"\ud83d\ude00"',
        '"\\udc80\\n"',
        "1",
        ",",
        '{"a":',
        "[1,",
    ]
    parsed = 0
    for _ in range(20_000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for text in (body, "[" + body + "]", '{"k":' + body + "}"):
            for limit in (0, 1, 2, 3):
                try:
                    want = _startup_json.loads(tf.cut_deep(text, limit, reference=True))
                except ValueError:
                    continue
                cut, holes = tf.cut_deep_holes(text, limit)
                got = _startup_json.loads(cut)
                tf.fill_holes(got, holes)
                assert got == want, (text, limit)
                parsed += bool(holes)
    assert parsed > 1000  # the holes were used, not only the plain form


def test_a_marked_object_in_the_input_is_not_taken_for_a_hole() -> None:
    """An input that holds a marked object of its own (with a made-up placeholder) beside a too-deep part: its
    string stays as sent; only the placeholders this parse made (random) are filled."""
    deep = '{"v":' * 3000 + '"x"' + "}" * 3000
    fake = {"auditkit_nonjson": "deep", "json": "0" * 24 + "-0"}
    raw = ('{"hook_event_name":"PostToolUse","tool_input":' + json.dumps([fake, fake]) + ',"tool_response":' + deep
           + "}").encode()  # fmt: skip
    line = assert_same(raw)
    assert json.loads(line)["tool_input"] == [fake, fake]


def test_deep_payloads_with_escapes_and_bytes_that_are_not_utf8_are_recorded_byte_identical_fast_and_plain() -> None:
    secret = corpus_secrets(1)[0][1]
    inner = json.dumps({"s": 'q"\\ é \ud83d\ude00 \u0000', "t": f"token={secret}"})
    for deep in ('{"v":' * 1500 + inner + "}" * 1500, '[{"a":' * 1200 + '"\\udc80"' + "}]" * 1200):
        for raw in (
            ('{"hook_event_name":"PostToolUse","tool_response":' + deep + ',"data":[' + deep + "]}").encode(),
            b'{"hook_event_name":"PostToolUse","tool_response":[' + deep.encode() + b',"\xff\xfe raw"]}',
            b'{"hook_event_name":"PostToolUse","x":"\xc3(","tool_response":' + deep.encode() + b"}",
        ):
            assert_same(raw)
            assert_same(raw, cap=1024)


def nested(levels: int) -> str:
    """JSON text ``levels`` deep, a small record beside the child at each level (as benchmarks/hook_latency.py's)."""
    parts = [f'{{"depth":{d},"items":[{{"id":{d},"tags":["a","t{d % 7}"]}}],"child":' for d in range(levels)]
    return "".join(parts) + '{"leaf":true}' + "}" * levels


@pytest.mark.parametrize("levels", [100, 159, 161, 400, 970, 990, 995, 1000, 1005, 1100, 2500])
def test_payloads_nested_around_the_parse_probe_and_the_parser_limit_are_recorded_byte_identical(levels: int) -> None:
    """The first parse tries a low recursion limit, then cuts the text once and parses the cut text when the
    nesting is past the real limit: the record is the one the plain forms (whole parse, RecursionError, cut) give,
    on each side of the probe's bound and of the interpreter's limit."""
    import sys

    limit = sys.getrecursionlimit()
    raw = ('{"hook_event_name":"PostToolUse","tool_name":"mcp__db__tree","tool_response":' + nested(levels)
           + "}").encode()  # fmt: skip
    assert_same(raw)
    assert sys.getrecursionlimit() == limit


def test_a_payload_nested_past_the_parser_limit_is_parsed_once_without_a_recursion_error() -> None:
    """``parse`` of a payload 3,000 levels deep returns the value ``record`` used to get from its second attempt
    (the cut text, deep parts as marked JSON text), instead of raising after parsing half of it.

    Run in a process of its own, as the hook is: the probe never lowers the recursion limit while other threads
    run (a test process may hold some), and then ``record``'s second attempt answers (the test above)."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
from auditkit.trail import capture
from auditkit.trail import format as tf
from tests.test_hook_speed import nested

text = nested(3000)
payload = capture.parse(('{"hook_event_name":"PostToolUse","tool_response":' + text + "}").encode())
value, levels = payload["tool_response"], 0
while "child" in value:
    value, levels = value["child"], levels + 1
assert levels == capture.DEEP_AT - 1, levels  # the payload is level 1, tool_response level 2
assert value[tf.NONJSON] == "deep"
assert value["json"] == text[text.index(f'{{"depth":{levels},') : len(text) - levels]
assert sys.getrecursionlimit() >= 1000
print("ok")
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


json_keys = st.text(max_size=20) | st.sampled_from(
    ["password", "apiKey", "client_secret", "token_type", "DB_PASSWORD_2", "Qx7mZ2pL9vR4tY8wK3nB6cJ1", "k" * 16]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["password=hunter2secret", "ghp_" + "a1" * 18, "x" * 1100, "token: abcdef0123456789XYZ"]),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(json_keys, children, max_size=6),
    max_leaves=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, cap=st.sampled_from([1024, 4096, 65536]))
def test_random_nested_payloads_are_recorded_byte_identical_fast_and_plain(value: object, cap: int) -> None:
    payload = {"hook_event_name": "PostToolUse", "tool_name": "mcp__x__y", "tool_response": value, "data": [value]}
    assert_same(json.dumps(payload).encode(), cap=cap)


@pytest.mark.parametrize("fast", [True, False])
def test_parse_leaves_the_process_int_limit_as_it_found_it(fast: bool) -> None:
    import sys

    before = sys.get_int_max_str_digits()
    record_line(b'{"hook_event_name":"Stop","n":[' + b"9" * 5000 + b",1]}", fast)
    assert sys.get_int_max_str_digits() == before


def test_the_token_run_scan_finds_the_runs_the_plain_scan_finds() -> None:
    """``_TOKEN_RUN`` starts only where a run starts (a lookbehind): the same runs as without it."""
    import re

    from auditkit.trail.redact_scan import _TOKEN_RUN

    plain = re.compile(_TOKEN_RUN.split(")", 1)[1])
    assert plain.pattern.startswith("[A-Za-z0-9+/_.~=-]{")
    rng = random.Random(11)
    for _ in range(300):
        text = "".join(rng.choice(["a" * rng.randint(1, 400), "=", " ", "/", "é", "\n", "~x"]) for _ in range(60))
        assert [m.span() for m in re.finditer(_TOKEN_RUN, text)] == [m.span() for m in plain.finditer(text)]


def test_the_cached_keyword_trie_is_the_trie_built_from_the_rules(tmp_path, monkeypatch) -> None:
    """The trie read back from the pattern cache is the one the rules' keywords give (a second Redactor reads it)."""
    import re

    from auditkit.trail.redact_scan import _trie_pattern

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = Redactor(key=b"k" * 32)
    first = built._trie_source(), built._all_parts_source()
    again = Redactor(key=b"k" * 32)
    assert (again._trie_source(), again._all_parts_source()) == first
    parts = set(again._index()[0])
    assert first == (_trie_pattern({p for p in parts if p[0].isalpha()}), _trie_pattern(parts))
    assert list(tmp_path.rglob("trie-*.json"))  # it was cached, and read back
    assert re.search(first[1], "x ghp_ y")


def test_masking_long_token_runs_gives_what_the_plain_scan_gives() -> None:
    """``_long_runs_masked`` returns early when one translate finds no run past a token's length: the same text
    the regex scan gives (runs of 257, 258 and 259 characters, non-ASCII letters between, texts under 1 KiB)."""
    import re

    from auditkit.trail.redact_scan import _TOKEN_MAX, _TOKEN_RUN, _long_runs_masked

    def plain(text: str) -> str:
        out, pos = [], 0
        for m in re.finditer(_TOKEN_RUN, text):
            keep = m.end() - _TOKEN_MAX - 1
            out += [text[pos : m.start()], "\0" * (keep - m.start())]
            pos = keep
        return "".join([*out, text[pos:]]) if out else text

    rng = random.Random(13)
    for _ in range(200):
        pieces = ["=", " ", "é", "\n", "x" * rng.choice([1, 20, 257, 258, 259, 600]), "a/b+c~d." * 40, "-" * 300]
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert _long_runs_masked(text) == plain(text)


def test_run_and_digit_scans_of_text_that_is_not_ascii_find_what_the_character_scans_find() -> None:
    """``_has_run``, ``_digit_count`` and ``_could_hold_base64`` read a text that is not ASCII by its UTF-8 bytes
    (str.translate is ~40 times slower there): the same answers as the character forms, for runs of 12 to 22
    characters broken or not by letters past ASCII, lone surrogates and astral characters."""
    import re

    from auditkit.trail.redact_scan import _CARD_CHARS, _TABLES, _TOKEN_CHARS, _digit_count, _has_run
    from auditkit.trail.redaction import _B64_CHARS, _BASE64_RUN, _could_hold_base64

    rng = random.Random(19)
    pieces = [" ", "é", "\udc80", "\U0001f600", "Ω", "=", "_", "-", "/", "1234", "56 78", "ab", "Zz+", "~.", "\n", "x"]
    found = {True: 0, False: 0}
    for _ in range(600):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(700, 900)))
        text += rng.choice(["", "é" + "7" * rng.randint(11, 14), "é" + "q" * rng.randint(18, 22), "/" + "Qz" * 11])
        assert _digit_count(text) == sum(c in "0123456789" for c in text)
        for table, char, n in ((_CARD_CHARS, "0", 13), (_TOKEN_CHARS, "a", 20), (_B64_CHARS, "a", 20)):
            got = _has_run(text, table, char, n)
            assert got == (len(text) < 1024 or char * n in text.translate(_TABLES[table])), (table, text)
            found[got] += 1
        if not _could_hold_base64(text):
            assert re.search(_BASE64_RUN, text) is None, text
    assert found[True] > 100 and found[False] > 100  # both answers were given


def test_the_digest_of_megabytes_is_hashlibs() -> None:
    """The hook hashes big values with OpenSSL's SHA-256, small ones with the builtin: the same digests."""
    import hashlib

    from auditkit.trail._startup_hash import BIG_DIGEST_BYTES, sha256_hex

    for n in (0, 1, BIG_DIGEST_BYTES - 1, BIG_DIGEST_BYTES, 3 * BIG_DIGEST_BYTES + 7):
        data = bytes(random.Random(n).getrandbits(8) for _ in range(min(n, 4096))) * (n // 4096 + 1)
        data = data[:n]
        assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_the_base64_prefilter_never_skips_a_run_the_scan_would_find() -> None:
    """``_could_hold_base64`` is False only where ``_BASE64_RUN`` finds nothing (texts of 1 KiB and more, and short
    ones, made of runs after =, _ or -, after other characters, at the very start, with and without non-ASCII
    letters)."""
    import re

    from auditkit.trail.redaction import _BASE64_RUN, _could_hold_base64

    rng = random.Random(17)
    anything = ["tok_", "x=", "a-", " ", "\n", "/", "+", "é", "\0", "ab12" * 6, "Q" * 19, "Zz9" * 7, "."]
    named = ["tok_" + "ab12" * 6, " ", "\n", ".", "k=" + "Q" * 25, "a-" + "Zz9" * 7, "x/y"]  # runs after _ = -
    skipped = 0
    for i in range(1600):
        pieces = named if i % 2 else anything
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(300, 500) if i < 800 else rng.randint(1, 12)))
        if i % 4 == 1:  # one run at the start, or after another character, among the named ones
            text = rng.choice(["", "é", " ", "/"]) + "ab12" * 6 + text if i % 8 == 1 else text + " " + "Qz" * 11
        if not _could_hold_base64(text):
            skipped += 1
            assert re.search(_BASE64_RUN, text) is None, text
    assert skipped > 100  # the prefilter does skip some, long and short


@pytest.mark.parametrize(
    "raw", [b"", b" ", b"\t\n\r\x0b\x0c ", b" \x00", b"\xa0", b"\x85", b" {} ", b"\x1c\x1d\x1e\x1f"]
)
def test_stdin_is_empty_exactly_when_it_strips_to_nothing(raw: bytes) -> None:
    """``parse`` tests for an empty stdin without copying it (``isspace``): the inputs ``raw.strip()`` empties."""
    from auditkit.errors import HookInputError

    try:
        capture.parse(raw)
        said = ""
    except HookInputError as exc:
        said = str(exc)
    assert said.startswith("empty stdin") == (not raw.strip())


@pytest.mark.parametrize("others", [10, 100])
def test_a_cut_strings_secrets_are_counted_however_many_strings_sit_beside_it(others: int) -> None:
    """A string cut at the cap has its head redacted first (the count kept for ``redactions``); among 64 strings or
    more the one-pass scan then finds its redacted head quiet: the count it had stays (it was reset to 0)."""
    text = "pay with 4111 1111 1111 1111 now " + "a b" * 30_000
    payload = {
        "hook_event_name": "PostToolUse",
        "tool_response": {"items": [f"x{i}" for i in range(others)], "out": text},
    }
    for fast in (True, False):
        record = json.loads(record_line(json.dumps(payload).encode(), fast))
        assert record["redactions"] == 1
        assert "4111 1111" not in json.dumps(record)


def test_the_keyword_parts_read_without_the_index_are_the_parts_the_index_lists() -> None:
    """``_parts`` (one join, lower and split at C speed, for the texts of a small event) gives the parts ``_index``
    gives, in its order: for the built-in rules, and for keywords the fast form must leave to the index (not ASCII,
    a NUL, a final sigma) or split as it does (``&&`` runs, empty parts)."""
    from auditkit.trail.redact_rules import Rule

    custom = [
        Rule("a", "x", ("ÄBC&&x", "Q"), 0, "custom"),
        Rule("b", "x", ("a\0b", "&&&&"), 0, "custom"),
        Rule("c", "x", ("ΟΔΟΣ", "tok&&&en", ""), 0, "custom"),
        Rule("d", "x", (), 0, "custom"),
    ]
    for rules in (None, custom, custom[1:2] + custom[3:], [Rule("e", "x", ("Key&&ID", "A&&b&&C"), 0, "custom")]):
        plain, fast = Redactor(rules), Redactor(rules)
        assert fast._parts() == plain._index()[0]
        assert fast._always() == plain._index()[2]


def test_short_texts_find_the_same_keyword_parts_by_every_part_and_by_the_pair_index() -> None:
    """A redactor tests its first few short texts for every part, then indexes the parts by their first two
    characters: both find exactly the parts ``in`` the text."""
    from auditkit.trail import redact_scan

    texts = [text for _, text in secret_corpus.negatives()] + [json.dumps(p) for _, _, p, _ in secret_corpus.placed()]
    texts = [t[:256] for t in texts] + ["", "@", "Run the tests", "npm test", "export API_KEY=x", "Password: hunter2"]
    every, pairs = Redactor(), Redactor()
    pairs._short_texts = redact_scan._PAIRS_AFTER
    parts = every._parts()
    for text in texts:
        every._short_texts = 0
        low = text.lower()
        want = {p for p in parts if p in low}
        got = every.keywords_in(text, low)
        assert got == pairs.keywords_in(text, low)
        assert want <= got and {p.lower() for p in got} == want  # cased parts are added as written


def test_the_tries_by_first_character_find_every_keyword_part_in_long_texts() -> None:
    """A long text's keyword parts, found by one regex per first character (the longest part at each occurrence
    of the character, and its prefixes), are exactly the parts ``in`` it: on the corpus, on texts of keywords
    overlapping and repeated, and with custom rules' parts (a part that is a prefix of another, one past ASCII)."""
    from auditkit.trail.redact_rules import Rule

    rng = random.Random(17)
    builtin = Redactor()
    words = [p for p in builtin._parts() if p[0].isalpha()]
    texts = [text for _, text in secret_corpus.negatives()] + [json.dumps(p) for _, _, p, _ in secret_corpus.placed()]
    texts.append("\n".join(texts))
    for _ in range(200):
        texts.append("".join(rng.choice([*rng.sample(words, 12), " ", "_", "-", "=", "x", "é"]) for _ in range(900)))
    texts += ["passwdpasswdpassword" * 300, "a" * 5000, "secret_" * 800 + "tokentoken"]
    custom = Redactor([Rule("c", "x", ("zz&&ab", "abab", "bab", "éclair", "b"), 0, "custom"), *builtin.rules])
    for r in (builtin, custom):
        parts = r._parts()
        for text in texts:
            low = (text * (1 + 4096 // max(len(text), 1)))[:20000].lower()
            assert r._parts_by_trie(low) == {p for p in parts if p in low}


def test_the_randomness_rule_run_as_one_scan_per_first_character_finds_what_the_whole_pattern_finds() -> None:
    """On long texts the generic randomness rule (``[=:]`` then a token) runs as two scans, one from each ``=`` and
    one from each ``:``, taken in order as ``finditer`` takes them: the same matches, including a ``=`` that ends one
    token and starts the next after a space (a match inside an earlier one that ends past it)."""
    import re

    from auditkit.trail import secret_rules
    from auditkit.trail.redact_rules import _first_char_split, _split_matches

    pattern = next(r[1] for r in secret_rules.RULES if r[0] == "generic-high-entropy")
    split = _first_char_split(pattern)
    assert split is not None  # else long texts scan the whole pattern (correct, only slower)
    assert [first for first, _ in split] == ["=", ":"]
    whole = re.compile(pattern)
    rng = random.Random(23)
    texts = ["k:" + "a1" * 15 + "= " + "b2" * 15, "x=" + "Ab9" * 9 + "=\t'" + "z" * 30 + ":" * 3, "=" * 5000]
    for alphabet in ("aZ9+/_.~=-=::  \t\"'`/\n#x", "=:= \t'ab", "=a:b= =\"'`//"):
        for _ in range(400):
            odd = rng.random()
            size = rng.choice([30, 400, 5000])
            texts.append(
                "".join(rng.choice(alphabet) if rng.random() < odd else rng.choice("abXY019") for _ in range(size))
            )
    for text in texts:
        want = [(m.span(), m.group(0), m.span(1)) for m in whole.finditer(text)]
        assert [(m.span(), m.group(0), m.span(1)) for m in _split_matches(split, text)] == want


def test_the_rules_a_long_texts_parts_switch_on_are_the_ones_the_index_gives() -> None:
    """``_rules_holding`` (one search of a string of every keyword) gives the rules ``_index`` lists for the parts,
    for the built-in rules and custom keywords it must leave to the index (a NUL, SOH, not ASCII, an empty part)
    or read as the index does (``&&`` runs, parts with capitals, a rule holding a part twice); and the parts with a
    capital are those the rules hold, read from the pattern cache or not."""
    from auditkit.trail.redact_rules import Rule
    from auditkit.trail.redact_scan import _index_parts

    builtin = list(Redactor().rules)
    odd = [
        Rule("a", "x", ("Foo&&bar", "a&&&b", "&&q", "Key", "key", "key&&KEY"), 0, "custom"),
        Rule("b", "x", (), 0, ""),
    ]
    cases = [builtin, odd + builtin, builtin[:9] + odd + builtin[9:]]
    cases += [[*builtin, Rule("c", "x", (k,), 0, "custom")] for k in ("x\0y", "x\1y", "ké", "")]
    rng = random.Random(29)
    for rules in cases:
        by_part = _index_parts(rules)
        parts = list(by_part)
        r = Redactor(rules, key=b"k" * 32)
        for size in (1, 2, 3, 8, 9, 20):
            for _ in range(30):
                present = set(rng.sample(parts, min(size, len(parts))))
                present |= {p.upper() for p in rng.sample(parts, 1)}
                assert r._rules_holding(present) == {i for p in present for i in by_part.get(p, ())}
        cased = {p for rule in rules for k in rule.keywords if k != k.lower() for p in k.split("&&")}
        want = {(p.lower(), p) for p in cased if p != p.lower()}
        assert set(r._cased()) == want
        again = Redactor(rules, key=b"k" * 32)
        again._first_char_tries()  # reads the parts and those with a capital from the cache (written by now)
        assert set(again._cased()) == want and again._parts() == r._parts()


def test_keyword_parts_sharing_a_lead_are_found_wherever_they_overlap() -> None:
    """The parts that start with one character are scanned from what they all start with (their lead): every part
    ``in`` a long text is found, also where occurrences of a lead would overlap (such a lead is cut to its first
    character) and where a lead is the only part."""
    from auditkit.trail.redact_rules import Rule
    from auditkit.trail.redact_scan import _first_char_pattern

    assert _first_char_pattern("a", ["abab", "ababc"])[0] == "a"  # "abab" overlaps itself: cut
    assert _first_char_pattern("x", ["xyz", "xyzq"])[0] == "xyz"
    words = ("abab", "ababc", "xyzxy", "xyzxyq", "-u ", "-up", "q~", "ya29.", "zz")
    r = Redactor([Rule("c", "x", words, 0, "custom")], key=b"k" * 32)
    texts = ["abababc", "xyzxyzxyq", "ababab", "-u -up", "ya29ya29.", "q~q~", "zzz", "xyzxyzxy", "-u-u "]
    for text in texts:
        for low in (text * (4096 // len(text) + 1), "." * 4096 + text):
            assert r._parts_by_trie(low) == {p for p in words if p in low}, text


def test_a_cut_head_is_the_first_bytes_of_its_utf8_whatever_its_characters() -> None:
    """``_cut_utf8`` slices an ASCII text as it is (a byte a character) and any other by its UTF-8 bytes, a character
    cut in two dropped: both give what encoding, cutting and decoding gives."""
    rng = random.Random(37)
    for alphabet in ("abc =\n", "abcé€😀", "ab\ud800c"):
        for _ in range(200):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
            limit = rng.randrange(0, 50)
            want = text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")
            assert capture._cut_utf8(text, limit) == want


_PIECES = ["a", "u", "0", "d", "D", "8", "\\", '"', "\n", "\x00", "\x1f", "\x7f", "\x80", "é", "…", "\u2028"]
_PIECES += ["\ud83d", "\ude00", "\U0001f600", "\\u", "\\\\u", "\\ud83d", "\\u00e9", "\\" * 40]
_TRICKY = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


def _encoded(obj: object, ascii_first: bool) -> bytes | type:
    try:
        return tf._dumps(obj, ascii_first=ascii_first)
    except (ValueError, TypeError) as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(value=st.recursive(_TRICKY | st.integers() | st.none(), lambda c: st.lists(c) | st.dictionaries(_TRICKY, c)))
def test_a_record_made_from_its_ascii_json_is_the_bytes_the_usual_json_gives(value: object) -> None:
    """``_dumps(..., ascii_first=True)`` (a record with a cut field) writes its ASCII-only JSON back to UTF-8: the
    same bytes as the usual way whatever the strings hold (escapes written out as text, backslashes in a row,
    surrogates alone or paired, DEL, controls), or the same error."""
    assert _encoded(value, True) == _encoded(value, False)


def test_a_cut_fields_record_is_made_the_ascii_way_and_the_bytes_are_the_same() -> None:
    """The 64 KiB field the hook cuts ends in "…": its record is made from ASCII-only JSON (no copies two bytes a
    character), and the line is the one the usual JSON gives."""
    content = "".join(f"setting_{i} = value-{i * 7919 % 104729}\n" for i in range(3000))
    payload = {"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_response": {"file": {"content": content}}}
    fields = capture.shape(payload, capture.Options(None, 65536, True), len(content), Redactor(key=b"k" * 32))
    assert fields["truncated"] and fields["tool_response"]["file"]["content"].endswith("]")
    head = {"v": tf.SCHEMA_VERSION, "seq": 1, "ts": TS, "prev": PREV, **fields}
    made = tf._dumps_ascii(head)
    assert made is not None and made == tf._dumps(head) == tf._startup_json.dumps(head).encode("utf-8")
    line = tf.encode_record(1, TS, PREV, fields)
    assert line.startswith(made[:-1]) and tf.split_line(line) == (made, tf.sha256(made).hexdigest())


def test_a_record_whose_cut_head_is_in_another_script_is_made_the_usual_way_with_the_same_bytes() -> None:
    """The ASCII way is chosen only when every string cut was ASCII up to its "…" (a head in another script would make
    it give up after its JSON was made); either way the line is the one the usual JSON gives."""
    opts = capture.Options(None, 65536, True)
    for content, ascii_head in (("x = 1\n" * 20000, True), ("数据 = 一\n" * 20000, False), ("é" * 70000, False)):
        payload = {"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_response": {"content": content}}
        fields = capture.shape(payload, opts, len(content) * 3, Redactor(key=b"k" * 32))
        assert fields["truncated"] and (tf._ASCII_CUT[0] is fields["truncated"]) is ascii_head
        said = tf._ASCII_CUT[0]
        spilled = {**fields, "truncated": [dict(n) for n in fields["truncated"]]}  # another record, written first
        tf.encode_record(0, TS, PREV, spilled)
        assert tf._ASCII_CUT[0] is said  # (the hint is its own record's: a spilled record written first leaves it)
        head = {"v": tf.SCHEMA_VERSION, "seq": 1, "ts": TS, "prev": PREV, **fields}
        line = tf.encode_record(1, TS, PREV, fields)
        assert tf._ASCII_CUT[0] is None  # used once, by the record it was said of
        assert tf.split_line(line) == (tf._startup_json.dumps(head).encode(), tf.sha256(tf._dumps(head)).hexdigest())


def test_the_written_out_run_tables_map_what_their_character_sets_say() -> None:
    """The run scans' tables, written out as strings: a card's characters to "0", a token's and base64's (with
    letters and digits) to "a", the rest of ASCII to "x"; built here from the sets as the scans once built them."""
    from auditkit.trail.redact_scan import _B64_CHARS, _CARD_CHARS, _TABLES, _TOKEN_CHARS

    for table, mark, alnum in ((_CARD_CHARS, "0", False), (_B64_CHARS, "a", True), (_TOKEN_CHARS, "a", True)):
        want = "".join(mark if chr(i) in table or (alnum and chr(i).isalnum()) else "x" for i in range(128))
        assert _TABLES[table] == want, table
    text = "".join(map(chr, range(200)))
    assert text.translate(_TABLES[_CARD_CHARS])[128:] == text[128:]  # past ASCII: left as it is


@settings(max_examples=400, deadline=None)
@given(
    value=st.lists(
        st.sampled_from(["a", "x", "X", "Z", "0", "9", "_", ".", "$", "%", "{", "<", ">", "}", "*", "-", "#", "(", "K"])
        | st.sampled_from(["ſ", "\u212a", "é", " ", "s", "%(", "{{", "xxxx", "..."]),
        min_size=1,
        max_size=10,
    ).map("".join)
)
def test_a_value_the_code_reference_shortcut_clears_is_one_the_pattern_would_clear(value: str) -> None:
    """``plausible_value`` skips ``_CODE_REF`` for a value starting with an ASCII letter (not x) or digit and holding
    no dot: no branch of the pattern matches such a value (case-folded letters, placeholders, formats included)."""
    import re

    from auditkit.trail.redact_checks import _CODE_REF

    if value[:1].isascii() and value[:1].isalnum() and value[:1] not in "xX" and "." not in value:
        assert re.match(_CODE_REF, value) is None


@settings(max_examples=400, deadline=None)
@given(key=st.text(alphabet=st.sampled_from("ab_9-. \t$:=\"'zQ\x00\x7fé"), max_size=24) | st.text(max_size=12))
def test_a_keys_words_are_the_words_read_one_character_at_a_time(key: str) -> None:
    """A lowercase ASCII key is split by a translation and ``split`` (the assignment rules ask it of every match):
    the words the character loop gives, for any separators, digits, controls; other keys take the loop."""
    from auditkit.trail.redact_keys import key_words, words_by_character

    assert key_words(key) == words_by_character(key)


@settings(max_examples=300, deadline=None)
@given(
    keywords=st.lists(st.text(alphabet=st.sampled_from("ab&&Z_\x00Σσς-"), max_size=6), max_size=5),
    flags=st.sampled_from(["value anchored word", "anchored", "value word", ""]),
)
def test_a_rule_is_anchored_exactly_when_each_keyword_is_lowercase_and_of_one_part(keywords: list, flags: str) -> None:
    """``Rule.anchored``, tested on the keywords joined: what testing each keyword gives (capitals, Greek sigmas
    whose lowercase depends on what follows, ``&&`` parts, NULs inside a keyword)."""
    from auditkit.trail.redact_rules import Rule

    for words in (keywords, ["a&", "&b"], ["ΑΣ", "b"], ["ας", "Β"], ["x&&y"]):
        rule = Rule("r", "x", tuple(words), 0, flags)
        assert rule.anchored == ("anchored" in flags and all(k == k.lower() and "&&" not in k for k in words))
