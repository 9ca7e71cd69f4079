"""The per-interpreter regex cache gives patterns that behave exactly like re.compile, or falls back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditkit.trail import _startup_re
from auditkit.trail.redaction import builtin_rules

TEXT = (Path(__file__).resolve().parent.parent / "auditkit" / "simulate.py").read_text() + (
    "\npassword = 'hunter22'\nAKIAABCDEFGHIJKLMNOP 4111 1111 1111 1111 postgres://u:p4ss@h/db ghp_" + "a" * 36
)


def test_cached_patterns_match_exactly_like_re_compile() -> None:
    """Every built-in rule, loaded back from the cache, finds the same spans and groups as re.compile."""
    for rule in builtin_rules():
        _startup_re.compile(rule.pattern)  # compiles with re and stores
        assert Path(_startup_re._file(rule.pattern)).is_file(), rule.id
        cached = _startup_re.compile(rule.pattern)  # rebuilt from the stored program
        fresh = re.compile(rule.pattern)
        assert cached.flags == fresh.flags and cached.groups == fresh.groups, rule.id
        got = [(m.span(), m.groups()) for m in cached.finditer(TEXT)]
        assert got == [(m.span(), m.groups()) for m in fresh.finditer(TEXT)], rule.id


def test_a_corrupt_cache_file_falls_back_to_re() -> None:
    pattern = r"(?i)tok(en)+"
    _startup_re.compile(pattern)
    path = Path(_startup_re._file(pattern))
    spec = json.loads(path.read_text())
    spec["code"] = [999999] * len(spec["code"])  # a program _sre must refuse
    path.write_text(json.dumps(spec))
    assert _startup_re.compile(pattern).findall("TOKENtoken") == ["EN", "en"]
    path.write_text("{not json")
    assert _startup_re.compile(pattern).match("token")


def test_a_cache_file_another_account_could_write_is_not_read() -> None:
    """A valid program that matches nothing, in a file group- or world-writable (a shared cache folder): the
    pattern is compiled afresh, never taken from it."""
    from re import _compiler, _parser

    pattern = r"(?i)pass(word)?=\S+"
    _startup_re.compile(pattern)
    path = Path(_startup_re._file(pattern))
    spec = json.loads(path.read_text())
    spec["code"] = list(_compiler._code(_parser.parse("(?!)", 0), 0))
    path.write_text(json.dumps(spec))
    path.chmod(0o600)
    assert not _startup_re.compile(pattern).search("password=x")  # the user's own file is trusted, as documented
    path.chmod(0o666)
    assert _startup_re.compile(pattern).search("password=x")


def test_a_group_of_derived_patterns_is_read_back_from_one_private_file_only() -> None:
    """``compile_derived``: the patterns a key gives are compiled once, then read back (sources and programs) from
    one file without building them again; a file another account could write, or a damaged one, is never used."""
    import glob
    import os

    built: list[int] = []

    def build() -> list[str]:
        built.append(1)
        return [r"t(?=(oken|ok))", r"(?i)pass(word)?=\S+"]

    first = _startup_re.compile_derived("test", "two patterns", build)
    again = _startup_re.compile_derived("test", "two patterns", build)
    assert len(built) == 1
    for a, b in zip(first, again, strict=True):
        assert a.pattern == b.pattern and a.findall("a token PASSWORD=x tok") == b.findall("a token PASSWORD=x tok")
    (path,) = glob.glob(os.path.join(_startup_re.cache_dir(), "test-*.json"))
    os.chmod(path, 0o666)
    assert _startup_re.compile_derived("test", "two patterns", build)[0].findall("token") == ["oken"]
    assert len(built) == 2  # not read: built again (and kept again, as the user's own file)
    Path(path).write_text('{"key": "two patterns", "patterns": [1]}')
    assert _startup_re.compile_derived("test", "two patterns", build)[1].search("password=x")
    assert len(built) == 3


def test_a_group_of_patterns_and_lists_is_read_back_whole_or_built_again() -> None:
    """``compile_group``: the lists and patterns a key gives are built once, then read back from one file (a JSON line,
    then the programs' words); a file cut short, with a word too many, for another key or another account's, is
    never used: they are built again."""
    import glob
    import os

    built: list[int] = []

    def build() -> tuple[list[list[str]], list[str]]:
        built.append(1)
        return [["a", "b"], []], [r"t(?=(oken|ok))", r"(?i)pass(word)?=\S+", "x"]

    first = _startup_re.compile_group("grp", "the key", build)
    again = _startup_re.compile_group("grp", "the key", build)
    assert len(built) == 1 and first[0] == again[0] == [["a", "b"], []]
    for a, b in zip(first[1], again[1], strict=True):
        assert a.pattern == b.pattern and a.findall("a token PASSWORD=x tok") == b.findall("a token PASSWORD=x tok")
    (path,) = glob.glob(os.path.join(_startup_re.cache_dir(), "grp-*.json"))
    good = Path(path).read_bytes()
    for bad in (good[:-4], good + b"\0\0\0\0", good.replace(b"the key", b"another"), b"{}", good[:-1]):
        Path(path).write_bytes(bad)
        assert _startup_re.compile_group("grp", "the key", build)[1][0].findall("token") == ["oken"]
    assert len(built) == 6
    os.chmod(path, 0o666)
    _startup_re.compile_group("grp", "the key", build)
    assert len(built) == 7
