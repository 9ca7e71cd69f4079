"""Start-up shim: Regexes compiled once per interpreter and reused by every later hook process (standard library only).

One of the hook's start-up shims; the table of all four, with what each saves, is in
:mod:`auditkit.trail._startup_hash`.

Importing :mod:`re` costs the hook ~5 ms (it pulls in ``enum``), and compiling a large secret rule
costs more: both on every event whose text contains a rule's keyword. The compiled form of a
pattern is a list of integers (the SRE program), which ``_sre.compile`` turns back into a pattern
object without :mod:`re`. This module keeps those programs in
``$XDG_CACHE_HOME/auditkit/sre-<interpreter tag>/``, one small JSON file per pattern (a program as the hex of its
32-bit words), and beside them sources derived from the rules (:func:`derived`) and groups of patterns read as one
(:func:`compile_group`: the keyword parts and their tries by first character, sources and programs together).

Safety: the tag binds a program to the exact interpreter build and ``_sre.MAGIC``; ``_sre``
validates every program it is given; and anything unexpected (missing, stale or corrupt file, a
different Python) silently falls back to :func:`re.compile`.
"""

import sys

from auditkit.trail import _startup_json
from auditkit.trail._startup_os import os
from auditkit.trail.config import cache_dir as base
from auditkit.trail.format import sha256
from auditkit.trail.private_files import read_own, write_atomic

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Callable

try:
    import _sre
except ImportError:  # pragma: no cover - non-CPython
    _sre = None


_dirs: dict[tuple[str | None, str | None, str | None, str], str] = {}


def cache_dir() -> str:
    """This interpreter's folder in the user's cache (worked out once per environment and working folder)."""
    env = os.environ
    key = (env.get("XDG_CACHE_HOME"), env.get("HOME"), env.get("CLAUDE_PROJECT_DIR"), os.getcwd())
    found = _dirs.get(key)
    if found is None:
        magic = getattr(_sre, "MAGIC", 0)
        tag = sha256(f"{sys.version}|{magic}|{sys.implementation.cache_tag}".encode()).hexdigest()[:16]
        found = _dirs[key] = os.path.join(base(), f"sre-{tag}")
    return found


def _file(pattern: str) -> str:
    return os.path.join(cache_dir(), sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".json")


def _read_own(path: str) -> bytes:
    """A cache file's bytes when it is the user's own (:func:`private_files.read_own`); else OSError, as for a
    missing one. The folder itself is never inside the project (:func:`auditkit.trail.config.cache_dir`)."""
    raw = read_own(path, _MAX_ENTRY)
    if raw is None:
        raise OSError(f"{path}: not a private file of this user's")
    return raw


_MAX_ENTRY = 16 << 20  # a cache entry (a rule file's checked rules, a keyword trie) is far smaller


def compile(pattern: str) -> "re.Pattern[str]":
    """``re.compile(pattern)``, from the cache when this interpreter compiled it before."""
    if _sre is not None:
        try:
            spec: dict = _startup_json.loads(_read_own(_file(pattern)))  # type: ignore[assignment]  # damaged: the except below
            return _rebuilt(pattern, spec)
        except Exception:
            pass
    import re

    compiled = re.compile(pattern)
    if _sre is not None:
        try:  # noqa: SIM105 - contextlib would cost the hook an import
            _store(pattern, compiled)
        except Exception:  # a read-only home, changed re internals: do without the cache
            pass
    return compiled


def _store(pattern: str, compiled: object) -> None:
    spec = _spec(pattern, compiled)
    if spec is not None:
        write_atomic(_file(pattern), _startup_json.dumps(spec).encode())


def _spec(pattern: str, compiled: object) -> dict | None:
    """What :func:`compile` keeps of a compiled pattern (None when ``_sre`` rebuilds it otherwise)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]  # re.compile's two steps; typeshed omits them

    parsed = _parser.parse(pattern, 0)
    code = _compiler._code(parsed, 0)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    spec = {
        "pattern": pattern,
        "flags": parsed.state.flags,
        "code": b"".join(c.to_bytes(4, sys.byteorder) for c in code).hex(),  # see _code
        "groups": parsed.state.groups - 1,
        "groupindex": groupindex,
        "indexgroup": indexgroup,
    }
    rebuilt = _sre.compile(pattern, spec["flags"], _code(spec["code"]), spec["groups"], groupindex, tuple(indexgroup))
    if rebuilt.flags != compiled.flags or rebuilt.groups != compiled.groups:  # type: ignore[attr-defined]  # a Pattern
        return None
    return spec


def _rebuilt(pattern: str, spec: dict) -> "re.Pattern[str]":
    if spec["pattern"] != pattern:
        raise ValueError(pattern)
    return _sre.compile(
        pattern, spec["flags"], _code(spec["code"]), spec["groups"], spec["groupindex"], tuple(spec["indexgroup"])
    )


def _code(code: "str | list[int]") -> list[int]:
    """A program as ``_sre`` takes it: stored as the hex of its 32-bit words in this machine's byte order (one JSON
    string, read back at C speed: a list of thousands of numbers took ~10 us a KiB to parse), or as such a list."""
    if isinstance(code, str):
        return memoryview(bytes.fromhex(code)).cast("I").tolist()
    return code


def compile_derived(kind: str, key: str, build: "Callable[[], list[str]]") -> "list[re.Pattern[str]]":
    """The patterns ``build()`` derives from ``key``, compiled: both read back from one file of this cache when ``key``
    is the same (one read, not one per pattern and one for the sources). See :func:`compile_group`."""
    return compile_group(kind, key, lambda: ([], build()))[1]


def compile_group(
    kind: str, key: str, build: "Callable[[], tuple[list[list[str]], list[str]]]", lists: int | None = None
) -> "tuple[list[list[str]], list[re.Pattern[str]]]":
    """``build()`` derives from ``key`` lists of strings and patterns (the keyword parts and their tries by first
    letter): they and the patterns compiled, read back from one file of this cache when ``key`` is the same.

    The file is one line of JSON (the key, the strings, the patterns and what ``_sre`` needs of each but its
    program), then every program's 32-bit words, in this machine's order, one after another: read at C speed (the
    programs as JSON hex took ~0.25 ms to parse and convert for the tries). The same trust as :func:`compile` and
    :func:`derived` (the user's own file, in a folder outside the project); ``_sre`` validates every program it is
    given; a file that does not read back whole (or, with ``lists``, without that many lists, each as long as the
    patterns but the first two) is built and written again."""
    path = os.path.join(cache_dir(), f"{kind}-{sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}.json")
    if _sre is not None:
        try:
            extra, compiled = _read_group(_read_own(path), key)
            if lists is None or (len(extra) == lists and all(len(x) == len(compiled) for x in extra[2:])):
                return extra, compiled
        except Exception:  # missing, another account's, damaged, another format: built again below
            pass
    import re

    extra, patterns = build()
    compiled = [re.compile(p) for p in patterns]
    if _sre is not None:
        try:
            specs = [_spec(p, c) for p, c in zip(patterns, compiled, strict=True)]
            if None not in specs:
                write_atomic(path, _group_bytes(key, extra, patterns, specs))  # type: ignore[arg-type]  # no None here
        except Exception:  # a read-only home, changed re internals: compiled each time
            pass
    return extra, compiled


def _group_bytes(key: str, extra: list[list[str]], patterns: list[str], specs: list[dict]) -> bytes:
    """:func:`compile_group`'s file: a JSON line, then the programs' words (see there)."""
    programs = [bytes.fromhex(spec["code"]) for spec in specs]
    meta = [
        [spec["flags"], spec["groups"], spec["groupindex"], spec["indexgroup"], len(code) // 4]
        for spec, code in zip(specs, programs, strict=True)
    ]
    head = _startup_json.dumps({"key": key, "extra": extra, "patterns": patterns, "specs": meta})
    return head.encode() + b"\n" + b"".join(programs)


def _read_group(raw: bytes, key: str) -> "tuple[list[list[str]], list[re.Pattern[str]]]":
    """What :func:`_group_bytes` wrote for ``key``, the patterns compiled; raises on anything else."""
    cut = raw.index(b"\n")  # the JSON line holds none (dumps escapes a newline inside a string)
    got: dict = _startup_json.loads(raw[:cut])  # type: ignore[assignment]  # not a dict: the checks below raise
    if got["key"] != key or len(got["patterns"]) != len(got["specs"]):
        raise ValueError(key)
    words = memoryview(raw)[cut + 1 :].cast("I")  # a length that is no multiple of 4: ValueError
    compiled, at = [], 0
    for pattern, (flags, groups, groupindex, indexgroup, size) in zip(got["patterns"], got["specs"], strict=True):
        code = words[at : at + size].tolist()
        if len(code) != size:
            raise ValueError(pattern)
        at += size
        compiled.append(_sre.compile(pattern, flags, code, groups, groupindex, tuple(indexgroup)))
    extra = got["extra"]
    if at != len(words) or type(extra) is not list or not all(type(x) is list for x in extra):
        raise ValueError(key)
    if not all(type(y) is str for x in extra for y in x):
        raise ValueError(key)
    return got["extra"], compiled


def derived(kind: str, key: str, build: "Callable[[], str]") -> str:
    """``build()``, a regex source derived from ``key`` (the keyword trie: ~1 ms to build in Python on every
    event that needs it), kept in this cache beside the compiled patterns and read back when ``key`` is the
    same. The same trust as the compiled programs: the user's own files, in a folder outside the project."""
    path = os.path.join(cache_dir(), f"{kind}-{sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}.json")
    try:
        spec: dict = _startup_json.loads(_read_own(path))  # type: ignore[assignment]  # damaged: the except below
        if spec["key"] == key and isinstance(spec["source"], str):
            return spec["source"]
    except Exception:
        pass
    source = build()
    try:  # noqa: SIM105 - contextlib would cost the hook an import
        write_atomic(path, _startup_json.dumps({"key": key, "source": source}).encode())
    except Exception:  # a read-only home: build it each time
        pass
    return source


def warm(patterns: list[str]) -> int:
    """Compile and cache every pattern (``auditkit install`` does this for the hook); return the count."""
    for p in patterns:
        compile(p)
    return len(patterns)
