"""Sigma rule files as plain data: parsed by pySigma once, then read back from the user's cache.

pySigma reads a rule file, applies the field mapping (:func:`auditkit.detection.pipeline.sigma_pipeline`) and
gives each condition as a tree of AND/OR/NOT over ``field op value`` leaves. :func:`entries` turns that into
plain data (JSON: dicts, lists, strings, numbers), which :mod:`auditkit.detection.engine` compiles into Arrow
checks. Importing pySigma and parsing the built-in pack costs ~0.2 s of every ``auditkit detect`` and of the
incident and compliance packs; the plain data of a file is kept in the user's cache
(``<cache>/sigma/``, :func:`auditkit.trail.config.cache_dir`, never inside a project) and read back when the
file's text, this module, the engine, the pipeline and pySigma are the same. A cache file is read only when
it is the user's own (:func:`auditkit.trail.private_files.read_own`); anything unexpected in it and the rule
file is parsed again. A rule file that does not parse is never kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from auditkit.detection.pipeline import (
    FILE_ACCESS,
    FILE_EVENT,
    FILE_MAP,
    PROCESS,
    PROCESS_MAP,
    columns_of,
    sigma_pipeline,
    view_for,
)
from auditkit.errors import RuleError, extra_import
from auditkit.trail import config, private_files

#: The shape of the data: a change to it is a new version (old cache files are then not read).
FORMAT = 1
#: A cache file is far smaller (the built-in pack's largest is a few KB).
_MAX_ENTRY = 4 << 20


def entries(f: Path, text: str, *, fresh: bool = False) -> list[dict[str, Any]]:
    """The rules of rule file ``f`` (its ``text``) as plain data, from the cache when this text was parsed
    before (``fresh``: parsed again, and kept in place of what the cache held); :class:`RuleError` naming the
    file when it does not parse or uses what the engine cannot run."""
    path = _cache_file(text)
    cached = None if fresh else _read(path)
    if cached is not None:
        return cached
    parsed = parse(f, text)
    with contextlib.suppress(OSError, ValueError):  # a read-only home, a refused folder: parsed again next time
        private_files.write_atomic(path, json.dumps({"format": FORMAT, "entries": parsed}).encode())
    return parsed


def _read(path: str) -> list[dict[str, Any]] | None:
    try:
        raw = private_files.read_own(path, _MAX_ENTRY)
        doc = json.loads(raw) if raw is not None else None
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("entries"), list):
        return None
    found = doc["entries"]
    return found if all(isinstance(e, dict) for e in found) else None


def _cache_file(text: str) -> str:
    key = hashlib.sha256(f"{FORMAT}\n{_code_tag()}\n".encode() + text.encode("utf-8", "surrogatepass"))
    return os.path.join(config.cache_dir(), "sigma", key.hexdigest()[:40] + ".json")


@functools.cache
def _code_tag() -> str:
    """What else shapes the data: this module, the engine and the pipeline (their bytes: a checkout's edits count
    too), and the installed pySigma (its files' sizes and times), without importing it."""
    from importlib.util import find_spec  # start-up: once per process, for the cache key

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("ruledata.py", "engine.py", "pipeline.py"):
        digest.update((here / name).read_bytes())
    spec = find_spec("sigma")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        for name in ("collection.py", "conditions.py", "types.py", "modifiers.py", "correlations.py"):
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _missing_extra(exc: ImportError) -> RuleError:
    return RuleError(f"auditkit detect needs pySigma ({exc.name} is missing): pip install 'auditkit[detect]'")


def _yaml_loader(yaml: Any) -> Any:
    """PyYAML's safe loader, on libyaml's parser when PyYAML was built with it (the same documents, ~10x faster),
    else in Python."""
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def parse(f: Path, text: str) -> list[dict[str, Any]]:
    """``text`` (rule file ``f``) parsed by pySigma into plain data: one dict per rule, in the file's order."""
    try:
        import yaml
        from sigma.collection import SigmaCollection
        from sigma.exceptions import SigmaError
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise _missing_extra(exc) from exc
    try:
        # what SigmaCollection.from_yaml does (safe_load_all, then from_dicts), with libyaml's parser
        coll = SigmaCollection.from_dicts(list(yaml.load_all(text, Loader=_yaml_loader(yaml))), collect_errors=False)
        coll.resolve_rule_references()
    except (SigmaError, ValueError, TypeError, yaml.YAMLError) as exc:
        raise RuleError(f"{f}: not a Sigma rule this engine reads: {exc}") from exc
    pipeline = sigma_pipeline()
    out = []
    for r in coll.rules:
        if type(r).__name__ == "SigmaCorrelationRule":
            out.append(_correlation(r, f))
        else:
            out.append(_rule(r, f, pipeline))
    return out


def _meta(r: Any) -> dict[str, Any]:
    """The rule's metadata; its id and title fall back on the file's name where it is read (the engine)."""
    return {
        "id": str(r.id) if r.id else None,
        "title": r.title,
        "level": r.level.name.lower() if r.level else "medium",
        "tags": [str(t) for t in r.tags or []],
        "name": getattr(r, "name", None),
        "description": (r.description or "").strip(),
    }


def _rule(r: Any, f: Path, pipeline: Any) -> dict[str, Any]:
    meta = _meta(r)
    ls = r.logsource
    view = view_for(ls.product, ls.category)
    if view is None:
        said = f"logsource product={ls.product} category={ls.category} (no such events here)"
        return {"meta": meta, "view": None, "unknown": [said], "trees": []}
    with extra_import("Sigma rules (auditkit detect)", "detect"):
        from sigma.exceptions import SigmaError

    title = meta["title"] or f.stem
    try:
        pipeline.apply(r)
        trees = [c.parse() for c in r.detection.parsed_condition]
    except SigmaError as exc:
        raise RuleError(f"{f}: rule {title!r}: {exc}") from exc
    known = columns_of(view)
    unknown: list[str] = []
    return {
        "meta": meta,
        "view": view,
        "trees": [_node(t, known, view, unknown, title, f) for t in trees],
        "unknown": unknown,
    }


#: (view, column) -> the Sigma field name a rule wrote, for "why" (the pipeline renamed it before compiling).
_SIGMA_NAMES = {
    **{(PROCESS, col): name for name, col in PROCESS_MAP.items()},
    **{(v, col): name for v in (FILE_EVENT, FILE_ACCESS) for name, col in FILE_MAP.items()},
}

#: The text fields a keyword (a value with no field) is looked for in.
KEYWORD_FIELDS = ("command", "file_path", "url", "prompt", "pattern", "input", "response", "error")


def _node(node: Any, known: dict[str, str], view: str, unknown: list[str], title: str, f: Path) -> dict[str, Any]:
    with extra_import("Sigma rules (auditkit detect)", "detect"):
        from sigma.conditions import (
            ConditionAND,
            ConditionFieldEqualsValueExpression,
            ConditionNOT,
            ConditionOR,
            ConditionValueExpression,
        )

    if isinstance(node, ConditionAND):
        return {"and": [_node(a, known, view, unknown, title, f) for a in node.args]}
    if isinstance(node, ConditionOR):
        return {"or": [_node(a, known, view, unknown, title, f) for a in node.args]}
    if isinstance(node, ConditionNOT):
        return {"not": _node(node.args[0], known, view, unknown, title, f)}
    if isinstance(node, ConditionFieldEqualsValueExpression):
        column = known.get(node.field, node.field if node.field in known.values() else None)
        if column is None:
            unknown.append(node.field)
        return _leaf(column, _SIGMA_NAMES.get((view, node.field), node.field), node.value, title, f)
    if isinstance(node, ConditionValueExpression):  # a keyword: any text field
        return {"keyword": [_leaf(c, c, node.value, title, f) for c in KEYWORD_FIELDS]}
    raise RuleError(f"{f}: rule {title!r}: condition element {type(node).__name__} is not supported")


#: A wildcard in a string's parts (the other parts are text): ``*`` any run, ``?`` one character.
STAR, ONE = {"w": "*"}, {"w": "?"}


def _leaf(column: str | None, field_name: str, value: Any, title: str, f: Path) -> dict[str, Any]:
    """One ``field op value`` test; ``column`` None (a field the view has not): a test that never holds."""
    with extra_import("Sigma rules (auditkit detect)", "detect"):
        from sigma.types import (
            SigmaBool,
            SigmaCompareExpression,
            SigmaExists,
            SigmaNull,
            SigmaNumber,
            SigmaRegularExpression,
            SigmaRegularExpressionFlag,
            SigmaString,
            SpecialChars,
        )

    if column is None:
        return {"none": True}
    leaf: dict[str, Any] = {"column": column, "desc": f"{field_name} {_describe(value)}"}
    if isinstance(value, SigmaNull):
        return {**leaf, "null": True}
    if isinstance(value, SigmaExists):
        return {**leaf, "exists": bool(value.exists)}
    if isinstance(value, SigmaBool):
        return {**leaf, "bool": "true" if value.boolean else "false"}
    if isinstance(value, SigmaCompareExpression):
        return {**leaf, "compare": value.op.name.lower(), "number": value.number.number}
    if isinstance(value, SigmaNumber):
        return {**leaf, "number": value.number}
    if isinstance(value, SigmaRegularExpression):
        flags = ""
        if SigmaRegularExpressionFlag.IGNORECASE in value.flags:
            flags += "i"
        if SigmaRegularExpressionFlag.MULTILINE in value.flags:
            flags += "m"
        if SigmaRegularExpressionFlag.DOTALL in value.flags:
            flags += "s"
        pattern = (f"(?{flags})" if flags else "") + value.regexp.to_plain()
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RuleError(f"{f}: rule {title!r}: field {field_name}: bad regular expression: {exc}") from exc
        return {**leaf, "regex": pattern}
    if isinstance(value, SigmaString):
        if value.contains_placeholder():
            raise RuleError(f"{f}: rule {title!r}: placeholders (%name%) are not supported")
        parts = [
            p if isinstance(p, str) else (STAR if p == SpecialChars.WILDCARD_MULTI else ONE) for p in list(value.s)
        ]
        return {**leaf, "string": parts, "cased": type(value).__name__ == "SigmaCasedString"}
    raise RuleError(f"{f}: rule {title!r}: field {field_name}: values of type {type(value).__name__} are not supported")


def _describe(value: Any) -> str:
    with extra_import("Sigma rules (auditkit detect)", "detect"):
        from sigma.types import SigmaCompareExpression, SigmaRegularExpression, SigmaString, SpecialChars

    if isinstance(value, SigmaString):
        parts = list(value.s)
        text = "".join(p if isinstance(p, str) else ("*" if p == SpecialChars.WILDCARD_MULTI else "?") for p in parts)
        star = SpecialChars.WILDCARD_MULTI
        inner = text.strip("*")
        if len(parts) >= 2 and parts[0] == star and parts[-1] == star and "*" not in inner and "?" not in inner:
            return f"contains {inner!r}"
        if parts and parts[0] == star and "*" not in inner and "?" not in inner:
            return f"ends with {inner!r}"
        if parts and parts[-1] == star and "*" not in inner and "?" not in inner:
            return f"starts with {inner!r}"
        return f"is {text!r}"
    if isinstance(value, SigmaRegularExpression):
        return f"matches /{value.regexp.to_plain()}/"
    if isinstance(value, SigmaCompareExpression):
        return f"{value.op.name.lower()} {value.number.number}"
    return f"is {value}"


def _correlation(r: Any, f: Path) -> dict[str, Any]:
    """A correlation rule as data: its base rules are named, and found where the file is read (the engine)."""
    meta = _meta(r)
    title = meta["title"] or f.stem
    kind = r.type.name.lower()
    if kind not in ("event_count", "value_count", "temporal", "temporal_ordered"):
        raise RuleError(f"{f}: correlation {title!r}: type {kind} is not supported")
    refs = []
    for ref in r.rules:
        target = getattr(ref, "rule", None)
        refs.append(
            {
                "id": str(target.id) if target is not None and target.id else None,
                "reference": getattr(ref, "reference", None),
                "shown": str(getattr(ref, "reference", ref)),
            }
        )
    cond = r.condition
    op = cond.op.name.lower() if cond is not None and cond.op else "gte"
    if kind in ("event_count", "value_count") and op not in ("gte", "gt", "eq"):
        raise RuleError(f"{f}: correlation {title!r}: condition {op} is not supported (only gte, gt, eq)")
    return {
        "meta": meta,
        "correlation": {
            "type": kind,
            "refs": refs,
            "group_by": [str(g) for g in r.group_by or []],
            "timespan": float(r.timespan.seconds) if r.timespan else None,
            "op": op,
            "count": cond.count if cond is not None else None,
            "fieldref": getattr(cond, "fieldref", None) if cond is not None else None,
            "generate": bool(getattr(r, "generate", False)),
        },
    }
