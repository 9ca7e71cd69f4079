"""Compile Sigma rules (parsed by pySigma) into vectorised checks over the views, and run them.

pySigma parses each rule, applies :func:`auditkit.detection.pipeline.sigma_pipeline` (the field mapping)
and gives the rule's condition as a tree of AND/OR/NOT over ``field op value`` leaves, kept as plain data
(:mod:`auditkit.detection.ruledata`: parsed once, then read from the user's cache). Each leaf
becomes one Arrow compute kernel over a column (a case-insensitive substring, prefix, suffix or
equality test, a RE2 regular expression, a number comparison), so a rule costs a few passes over the
columns it names, whatever the number of rows. Correlation rules (``event_count``, ``value_count``,
``temporal``, ``temporal_ordered``) run over their base rules' matches, in time order, per group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.detection.levels import LEVELS
from auditkit.detection.pipeline import (
    NATIVE,
    State,
    View,
    build_views,
    columns_of,
)
from auditkit.errors import RuleError

#: The columns of what :func:`detect` returns.
MATCH_COLUMNS = {
    "rule_id": "the rule's id",
    "rule": "the rule's title",
    "level": "informational, low, medium, high, critical",
    "timestamp": "when the (last) matching event was recorded",
    "session_id": "the agent session",
    "seq": "the event's sequence number in its trail",
    "event_id": "the event's stable id (trail_id:seq for auditkit trails)",
    "what": "the command, path, URL or tool the event is about",
    "why": "the rule's tests that held for this event",
    "tags": "the rule's tags (ATT&CK techniques and tactics)",
    "events": "for a correlation rule, the event ids that made it fire (else the one event)",
    "source_file": "file the event was read from",
    "source_line": "line in that file",
    "row": "position of the event in the frame given",
}


@dataclass
class Rule:
    """One compiled Sigma rule (or correlation rule)."""

    id: str
    title: str
    level: str
    tags: list[str]
    file: str
    view: str | None = None
    test: Callable[[Any], tuple[Any, Any]] | None = None  # View -> (mask, why-arrays)
    unknown_fields: list[str] = field(default_factory=list)
    correlation: dict | None = None
    name: str | None = None
    description: str = ""
    sigma: object = None  # unused: rules are compiled from auditkit.detection.ruledata's plain data
    hidden: bool = False  # a correlation's base rule (``generate: false``): its matches feed it, not the output

    @property
    def is_correlation(self) -> bool:
        return self.correlation is not None

    @property
    def spec(self) -> dict:
        """A correlation rule's correlation (its type, rules, group-by, span, condition)."""
        if self.correlation is None:
            raise TypeError(f"{self.id} is not a correlation rule")
        return self.correlation


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("auditkit.detection") / "rules"))


def load_rules(paths: list | None = None, *, builtin: bool = True) -> list[Rule]:
    """Parse Sigma rule files (YAML, one or more documents; folders read recursively) into compiled rules.

    ``paths=None`` and ``builtin=True``: the built-in pack. Raises :class:`RuleError` naming the file
    for a rule that does not parse or uses something the engine cannot evaluate. Each file is parsed by
    pySigma once, then read back from the user's cache (:mod:`auditkit.detection.ruledata`).
    """
    from auditkit.detection import ruledata  # start-up: the engine's importers (follow, live) may never load rules

    files: list[Path] = []
    for p in ([builtin_rules_dir()] if builtin else []) + [Path(x) for x in paths or []]:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".yml", ".yaml"))
        elif p.is_file():
            files.append(p)
        else:
            raise RuleError(f"{p}: no such rule file or folder")
    rules: list[Rule] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        try:
            made = _file_rules(ruledata.entries(f, text), f, rules)
        except (KeyError, TypeError, ValueError, AttributeError):  # a cache entry of another shape: parse the file
            made = _file_rules(ruledata.entries(f, text, fresh=True), f, rules)
        for corr, generate in made:
            rules.append(corr)
            if corr.is_correlation and not generate:
                for base in rules:
                    if base.id in corr.spec["rules"]:
                        base.hidden = True
    ids = [r.id for r in rules]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise RuleError(f"rule ids used twice: {', '.join(sorted(dup))} (each rule needs its own id)")
    return rules


def _file_rules(entries: list[dict], f: Path, before: list[Rule]) -> list[tuple[Rule, bool]]:
    """One file's rules from :func:`auditkit.detection.ruledata.entries`, in the file's order (its correlations
    after its rules, each with whether it shows its base rules' matches); ``before``: the rules read so far."""
    out: list[tuple[Rule, bool]] = []
    by_name: dict[str, Rule] = {}
    pending = []
    for entry in entries:
        if "correlation" in entry:
            pending.append(entry)
            continue
        rule = _compile(entry, f)
        out.append((rule, True))
        if rule.name:
            by_name[rule.name] = rule
        by_name[rule.id] = rule
    for entry in pending:
        by_id = {x.id: x for x in before} | {x.id: x for x, _ in out}
        out.append((_correlation(entry, f, by_name, by_id), entry["correlation"]["generate"]))
    return out


def _meta(entry: dict, f: Path) -> dict:
    m = entry["meta"]
    return {
        "id": m["id"] or f"{f.stem}:{m['title']}",
        "title": m["title"] or f.stem,
        "level": m["level"],
        "tags": list(m["tags"]),
        "file": str(f),
        "name": m["name"],
        "description": m["description"],
    }


def _compile(entry: dict, f: Path) -> Rule:
    rule = Rule(**_meta(entry, f), view=entry["view"], unknown_fields=list(entry["unknown"]))
    if rule.view is None:
        return rule
    compiled = [_node(t) for t in entry["trees"]]
    rule.test = compiled[0] if len(compiled) == 1 else _or(compiled)
    return rule


# --- the condition tree as functions View -> (mask, [(description, mask)]) ---------------------------


def _node(node: dict):
    """A condition (:mod:`auditkit.detection.ruledata`'s data) as a function View -> (mask, why)."""
    if "and" in node:
        return _and([_node(a) for a in node["and"]])
    if "or" in node:
        return _or([_node(a) for a in node["or"]])
    if "not" in node:
        inner = _node(node["not"])

        def neg(view: View):
            mask, _ = inner(view)
            return ~mask, []

        return neg
    if "keyword" in node:  # a keyword: any text field
        return _or([_leaf(leaf) for leaf in node["keyword"]], keyword=True)
    return _leaf(node)


def _and(parts):
    """All parts hold; each part after the first reads only the rows still in the running."""

    def run(view: View):
        mask = np.ones(len(view), dtype=bool)
        why = []
        for p in parts:
            if mask.all():
                m, w = p(view)
                mask &= m
                why += w
            else:
                pos = np.flatnonzero(mask)
                m, w = p(view.subset(pos))
                mask[pos] = m
                why += [(d, _expand(wm, pos, len(view))) for d, wm in w]
            if not mask.any():
                break
        return mask, why

    return run


def _expand(mask: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    full = np.zeros(n, dtype=bool)
    full[pos] = mask
    return full


def _or(parts, keyword: bool = False):
    def run(view: View):
        mask = np.zeros(len(view), dtype=bool)
        why = []
        for p in parts:
            m, w = p(view)
            mask |= m
            why += w
        return mask, why

    return run


def _bool(arr) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _leaf(leaf: dict):
    def none(view: View):
        return np.zeros(len(view), dtype=bool), []

    if leaf.get("none"):
        return none
    column, desc = leaf["column"], leaf["desc"]

    def wrap(test):
        def run(view: View):
            if len(view) == 0 or view.column(column) is None:
                return np.zeros(len(view), dtype=bool), []
            mask = test(view)
            return mask, [(desc, mask)]

        return run

    if "null" in leaf:
        return wrap(lambda v: ~pc.is_valid(v.column(column)).to_numpy(zero_copy_only=False))
    if "exists" in leaf:
        want = leaf["exists"]
        return wrap(lambda v: pc.is_valid(v.column(column)).to_numpy(zero_copy_only=False) == want)
    if "bool" in leaf:
        text = leaf["bool"]
        return wrap(lambda v: _bool(pc.equal(v.lower(column), text)))
    if "compare" in leaf:
        num = leaf["number"]
        op = {"lt": pc.less, "lte": pc.less_equal, "gt": pc.greater, "gte": pc.greater_equal}[leaf["compare"]]
        return wrap(lambda v: _bool(op(_numbers(v.column(column)), num)))
    if "number" in leaf:
        num = leaf["number"]
        return wrap(lambda v: _bool(pc.equal(_numbers(v.column(column)), num)))
    if "regex" in leaf:
        pattern = leaf["regex"]
        return wrap(lambda v: _regex(v.column(column), pattern))
    return wrap(_string_test(column, leaf["string"], leaf["cased"]))


def _numbers(col: pa.Array) -> pa.Array:
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return col
    return pa.array(pd.to_numeric(pd.Series(col.to_pylist(), dtype=object), errors="coerce"), type=pa.float64())


def _regex(col: pa.Array, pattern: str) -> np.ndarray:
    try:
        return _bool(pc.match_substring_regex(col, pattern))
    except pa.ArrowInvalid:  # RE2 lacks look-arounds and back-references: Python's re, row by row
        rx = re.compile(pattern)
        return np.array([s is not None and rx.search(s) is not None for s in col.to_pylist()], dtype=bool)


def _string_test(column: str, parts: list, cased: bool):
    star, one = _STAR, _ONE
    parts = _wildcards(parts)
    texts = [p for p in parts if isinstance(p, str)]
    if not cased:
        parts = [p.lower() if isinstance(p, str) else p for p in parts]
    simple = one not in parts and all(p == star for p in parts if not isinstance(p, str))
    literal = "".join(p for p in parts if isinstance(p, str))
    inner_stars = simple and star in parts[1:-1]

    def col(v: View):
        return v.column(column) if cased else v.lower(column)

    if simple and not inner_stars and texts:
        lead, trail = parts[0] == star, parts[-1] == star
        if lead and trail:
            return lambda v: _bool(pc.match_substring(col(v), literal))
        if lead:
            return lambda v: _bool(pc.ends_with(col(v), literal))
        if trail:
            return lambda v: _bool(pc.starts_with(col(v), literal))
        return lambda v: _bool(pc.equal(col(v), literal))
    rx = "^" + "".join(re.escape(p) if isinstance(p, str) else (".*" if p == star else ".") for p in parts) + "$"
    rx = "(?s)" + rx
    return lambda v: _regex(col(v), rx)


class _Wildcard:
    """A wildcard among a string's parts (the others are text)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_STAR, _ONE = _Wildcard("*"), _Wildcard("?")


def _wildcards(parts: list) -> list:
    """A string's parts, its wildcards (``{"w": "*"}``, ``{"w": "?"}`` in the data) as :data:`_STAR`, :data:`_ONE`."""
    return [_STAR if p == {"w": "*"} else _ONE if p == {"w": "?"} else p for p in parts]


# --- correlation rules ----------------------------------------------------------------------------


def _correlation(entry: dict, f: Path, by_name: dict[str, Rule], by_id: dict[str, Rule]) -> Rule:
    meta = _meta(entry, f)
    c = entry["correlation"]
    bases = []
    for ref in c["refs"]:
        base = by_id.get(ref["id"]) if ref["id"] else None
        base = base or by_name.get(ref["reference"] or "")
        if base is None:
            raise RuleError(f"{f}: correlation {meta['title']!r}: rule {ref['shown']} not found")
        bases.append(base)
    group = []
    for g in c["group_by"]:
        col = None
        for b in bases:
            col = columns_of(b.view or NATIVE).get(g, g if g in columns_of(b.view or NATIVE).values() else None)
        if col is None:
            raise RuleError(f"{f}: correlation {meta['title']!r}: group-by field {g} is not a known field")
        group.append(col)
    fieldref = c["fieldref"]
    return Rule(
        **meta,
        view=None,
        correlation={
            "type": c["type"],
            "rules": [b.id for b in bases],
            "group_by": group,
            "timespan": c["timespan"],
            "op": c["op"],
            "count": c["count"],
            "field": columns_of(bases[0].view or NATIVE).get(fieldref, fieldref) if fieldref else None,
        },
    )


# --- running ---------------------------------------------------------------------------------------


def _frame_values(df: pd.DataFrame, col: str, rows: np.ndarray) -> list:
    return df[col].iloc[rows].astype(object).where(lambda s: s.notna(), None).tolist()


def _what(df: pd.DataFrame, rows: np.ndarray) -> list:
    out = None
    for c in ("command", "file_path", "url", "pattern", "tool", "event"):
        vals = df[c].iloc[rows].astype(object)
        out = vals if out is None else out.where(out.notna(), vals)
    if out is None:
        return []
    return [v if pd.notna(v) else None for v in out.tolist()]


def run_rules(df: pd.DataFrame, rules: list[Rule], state: State | None = None, corr_state: dict | None = None):
    """All rules over a frame: the matches as a DataFrame (:data:`MATCH_COLUMNS`), in time order."""
    views = build_views(df, state)
    records: list[dict] = []
    base_hits: dict[str, list[tuple[int, list[str]]]] = {}
    for rule in rules:
        if rule.is_correlation or rule.test is None or rule.view not in views:
            continue
        view = views[rule.view]
        if not len(view):
            continue
        mask, why = rule.test(view)
        if not mask.any():
            continue
        hit = np.flatnonzero(mask)
        per_row: dict[int, list[str]] = {}
        for i in hit:
            row = int(view.rows[i])
            reasons = per_row.setdefault(row, [])
            for desc, m in why:
                if m[i] and desc not in reasons:
                    reasons.append(desc)
        base_hits[rule.id] = sorted(per_row.items())
    shown = [rule for rule in rules if not (rule.is_correlation or rule.hidden or rule.id not in base_hits)]
    rows_of = {rule.id: np.array([r for r, _ in base_hits[rule.id]], dtype=np.int64) for rule in shown}
    # what each matched row did, read once for the rows the rules matched (not once per rule: ~2 ms a rule)
    matched = np.unique(np.concatenate(list(rows_of.values()))) if rows_of else np.zeros(0, dtype=np.int64)
    whats = _what(df, matched) if len(matched) else []
    for rule in shown:
        at = np.searchsorted(matched, rows_of[rule.id])
        for (row, reasons), i in zip(base_hits[rule.id], at.tolist(), strict=True):
            records.append(_record(rule, df, row, whats[i], "; ".join(reasons), [row]))
    views_native = views[NATIVE]
    for rule in rules:
        if rule.is_correlation:
            records += _run_correlation(rule, df, base_hits, views_native, corr_state)
    return _to_frame(records, df)


def _record(rule: Rule, df: pd.DataFrame, row: int, what, why: str, rows: list[int]) -> dict:
    return {
        "rule_id": rule.id,
        "rule": rule.title,
        "level": rule.level,
        "row": row,
        "what": what,
        "why": why,
        "tags": list(rule.tags),
        "event_rows": rows,
    }


def _to_frame(records: list[dict], df: pd.DataFrame) -> pd.DataFrame:
    if not records:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in MATCH_COLUMNS})
        out["timestamp"] = pd.Series(dtype="datetime64[us, UTC]")
        return out
    rows = np.array([r["row"] for r in records], dtype=np.int64)
    out = pd.DataFrame(
        {
            "rule_id": [r["rule_id"] for r in records],
            "rule": [r["rule"] for r in records],
            "level": pd.Categorical([r["level"] for r in records], categories=LEVELS, ordered=True),
            "timestamp": df["timestamp"].iloc[rows].to_numpy(),
            "session_id": _frame_values(df, "session_id", rows),
            "seq": df["seq"].iloc[rows].to_numpy(),
            "event_id": _frame_values(df, "event_id", rows),
            "what": [r["what"] for r in records],
            "why": [r["why"] for r in records],
            "tags": [r["tags"] for r in records],
            "events": [r.get("event_ids") or [_eid(df, i) for i in r["event_rows"]] for r in records],
            "source_file": _frame_values(df, "source_file", rows),
            "source_line": df["source_line"].iloc[rows].to_numpy(),
            "row": rows,
        }
    )
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    return out.sort_values(["timestamp", "row", "rule_id"], kind="stable", na_position="last").reset_index(drop=True)


def _run_correlation(rule: Rule, df: pd.DataFrame, base_hits: dict, native: View, corr_state: dict | None) -> list:
    c = rule.spec
    span = c["timespan"] or float("inf")
    events = []  # (time, row, base index)
    if not any(base_hits.get(rid) for rid in c["rules"]):
        return []
    ts = df["timestamp"]
    secs = np.where(ts.isna().to_numpy(), 0.0, ts.to_numpy(dtype="datetime64[us]").astype("int64") / 1e6)
    event_ids = df["event_id"].to_numpy(dtype=object, na_value=None)

    def _eid(_df, row: int) -> str:
        return str(event_ids[row]) if event_ids[row] is not None else f"row:{row}"

    for k, rid in enumerate(c["rules"]):
        for row, _ in base_hits.get(rid, []):
            events.append((float(secs[row]), row, k))
    events.sort()
    keys = [col.to_pylist() if (col := native.column(g)) is not None else [None] * len(df) for g in c["group_by"]]
    state = corr_state.setdefault(rule.id, {}) if corr_state is not None else {}
    out = []
    kind, n_rules = c["type"], len(c["rules"])
    for t, row, k in events:
        key = "\x1f".join(str(col[row]) for col in keys)
        if kind in ("event_count", "value_count"):
            window = state.setdefault(key, [])
            value = None
            if kind == "value_count" and c["field"]:
                col = native.column(c["field"])
                value = col[row].as_py() if col is not None else None
            window.append([t, row, value, _eid(df, row)])
            while window and t - window[0][0] > span:
                window.pop(0)
            n = len(window) if kind == "event_count" else len({w[2] for w in window if w[2] is not None})
            if _holds(c["op"], n, c["count"]):
                ids = [w[3] for w in window]
                out.append(_corr_record(rule, df, row, ids, f"{n} events in {_span(span)} ({kind}, {key or 'all'})"))
                window.clear()
        else:
            chain = state.setdefault(key, {})
            if kind == "temporal":
                chain[str(k)] = [t, _eid(df, row)]
                for kk in list(chain):
                    if t - chain[kk][0] > span:
                        del chain[kk]
                if len(chain) == n_rules:
                    ids = [v[1] for v in sorted(chain.values())]
                    out.append(_corr_record(rule, df, row, ids, f"all {n_rules} rules within {_span(span)}"))
                    chain.clear()
            else:  # temporal_ordered: step k needs step k-1 within the span of the chain's start
                if k == 0:
                    chain["0"] = [t, [_eid(df, row)]]
                elif str(k - 1) in chain and t - chain[str(k - 1)][0] <= span:
                    start, ids = chain[str(k - 1)]
                    chain[str(k)] = [start, [*ids, _eid(df, row)]]
                    if k == n_rules - 1:
                        out.append(
                            _corr_record(
                                rule, df, row, chain[str(k)][1], f"{n_rules} rules in order within {_span(span)}"
                            )
                        )
                        chain.clear()
    return out


def _eid(df: pd.DataFrame, row: int) -> str:
    v = df["event_id"].iat[row]
    return str(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else f"row:{row}"


def _corr_record(rule: Rule, df: pd.DataFrame, row: int, event_ids: list[str], why: str) -> dict:
    rec = _record(rule, df, row, None, why, [row])
    rec["what"] = _what(df, np.array([row]))[0]
    rec["event_ids"] = event_ids
    return rec


def _holds(op: str, n: int, count) -> bool:
    return {"gte": n >= count, "gt": n > count, "eq": n == count}[op]


def _span(seconds: float) -> str:
    if seconds == float("inf"):
        return "any time"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def detect(
    df: pd.DataFrame,
    rules: list | None = None,
    *,
    builtin: bool | None = None,
) -> pd.DataFrame:
    """Run Sigma rules over a frame from :func:`auditkit.load`; return one row per match (:data:`MATCH_COLUMNS`).

    ``rules``: compiled rules (:func:`load_rules`) or rule files/folders; ``None``: the built-in pack.
    ``builtin``: add the built-in pack to the given rules (default: only when no rules are given).

    >>> hits = auditkit.detect(auditkit.load(".claude/logs"))      # doctest: +SKIP
    >>> hits.groupby("level", observed=True).size()                      # doctest: +SKIP
    """
    if rules is None or not all(isinstance(r, Rule) for r in rules):
        paths = None if rules is None else list(rules)
        rules = load_rules(paths, builtin=builtin if builtin is not None else rules is None)
    work = df.reset_index(drop=True)
    out = run_rules(work, rules)
    out.attrs["rules"] = len(rules)
    return out


def rule_table(rules: list[Rule] | None = None) -> str:
    """The built-in pack as a Markdown table (README lists it; a test keeps the two equal)."""
    rules = rules if rules is not None else load_rules()
    lines = ["| rule | level | log source | ATT&CK |", "|---|---|---|---|"]
    order = {lvl: i for i, lvl in enumerate(reversed(LEVELS))}
    for r in sorted((r for r in rules if not r.hidden), key=lambda r: (order[r.level], r.name or r.title)):
        source = "correlation: " + r.spec["type"] if r.is_correlation else r.view
        attack = ", ".join(t.split(".", 1)[1].upper() for t in r.tags if re.match(r"attack\.t\d", t))
        lines.append(f"| `{r.name}`: {r.title} | {r.level} | {source} | {attack} |")
    return "\n".join(lines) + "\n"


def counts_by_level(hits: pd.DataFrame) -> dict[str, int]:
    """Matches per level, most severe first (levels without matches left out)."""
    counts = hits["level"].astype(str).value_counts()
    return {lvl: int(counts[lvl]) for lvl in reversed(LEVELS) if lvl in counts}


def by_rule(hits: pd.DataFrame) -> pd.DataFrame:
    """One row per rule that matched, most severe first: level, count and the first evidence (time, session,
    seq, what, why). The incident pack opens with it."""
    cols = ["rule", "level", "count", "first", "session_id", "seq", "what", "why", "rule_id"]
    if hits.empty:
        return pd.DataFrame(columns=cols)
    first = hits.sort_values(["timestamp", "row"], na_position="last").drop_duplicates("rule_id")
    counts = hits.groupby("rule_id").size()
    out = first.assign(count=first["rule_id"].map(counts).astype("int64"), first=first["timestamp"])[cols]
    rank = out["level"].astype(str).map(LEVELS.index)
    return out.assign(_r=-rank).sort_values(["_r", "count"], ascending=[True, False]).drop(columns="_r")
