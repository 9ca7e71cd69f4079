"""Tokens and dollars from transcripts: each API message counted once, priced per model.

Claude Code writes one transcript line per content block of a message and repeats the message's
usage on each, a resumed session copies earlier messages again, and a subagent's messages can appear
both in its own file and inside the parent's ``agent_progress`` lines. ``load()`` keeps one
``assistant_message`` row per message id (the copy with the final figures), so summing here is
summing real API calls; summing every line overcounts several-fold.

Prices are US dollars per million tokens, list prices as of :data:`PRICES_AS_OF`, for each model
family; a cache read costs 0.1x input, a 5-minute cache write 1.25x, a 1-hour one 2x. A model is
priced only by its own family (``claude-opus-4-6-20260101`` is ``claude-opus-4-6``): a model not in
the table is **unpriced** (its cost is NaN, with a warning), never priced as its nearest-named older
model. Override with ``prices=`` or a ``[prices]`` table in ``~/.config/auditkit/prices.toml``
(``"claude-sonnet-4-6" = [3.0, 15.0]`` for input and output; cache rates follow).
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import chain
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditkit.errors import ConfigError, UsageError
from auditkit.loading.usage_scan import (
    TOKEN_COLUMNS,
    in_file_order,
    no_collection,
    plan,
    scan_bundle,
    scan_files,
    token_usage,
    usage_rows,
    window,
)
from auditkit.store.files import PathLike
from auditkit.trail import config

if TYPE_CHECKING:
    import pandas as pd

PRICES_AS_OF = "2026-12-05"  # rows added that day name their source; the others were checked on 2026-08-01
#: USD per million tokens per model family, public list prices: (input, output) with Anthropic's cache rates, or
#: all five rates.
PRICES: dict[str, tuple[float, ...]] = {
    # added 2026-12-05 from Anthropic's pricing page (platform.claude.com/docs/en/about-claude/pricing)
    "claude-opus-4-7": (5.0, 25.0),
    "claude-opus-4-6": (5.0, 25.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.80, 4.0),
    "claude-3-opus": (15.0, 75.0),
    "claude-3-haiku": (0.25, 1.25),
    "<synthetic>": (0.0, 0.0),  # messages Claude Code writes itself, never billed
    # other agents' vendors, all five rates (input, output, cache write 5 min, 1 h, cache read): OpenAI and
    # Google bill no cache writes; cached input is 0.1x for GPT-5, 0.25x for Gemini 2.5
    "gpt-5": (1.25, 10.0, 0.0, 0.0, 0.125),
    "gpt-5-codex": (1.25, 10.0, 0.0, 0.0, 0.125),
    "gpt-5-mini": (0.25, 2.0, 0.0, 0.0, 0.025),
    # added 2026-12-05: developers.openai.com/api/docs/models/gpt-5.1; OpenAI's Codex rate card (credits per
    # MTok, 25 credits = $1, checked 2026-05-13); GitHub's Copilot models-and-pricing table (github/docs).
    # GPT-5.4 and 5.5 at their rates up to 272K input tokens (above: 2x input)
    "gpt-5.1": (1.25, 10.0, 0.0, 0.0, 0.125),
    "gpt-5.1-codex-max": (1.25, 10.0, 0.0, 0.0, 0.125),
    "gpt-5.2": (1.75, 14.0, 0.0, 0.0, 0.175),
    "gpt-5.2-codex": (1.75, 14.0, 0.0, 0.0, 0.175),
    "gpt-5.3-codex": (1.75, 14.0, 0.0, 0.0, 0.175),
    "gpt-5.4": (2.5, 15.0, 0.0, 0.0, 0.25),
    "gpt-5.5": (5.0, 30.0, 0.0, 0.0, 0.5),
    "gemini-2.5-pro": (1.25, 10.0, 0.0, 0.0, 0.3125),
    "gemini-2.5-flash": (0.30, 2.50, 0.0, 0.0, 0.075),
    # added 2026-12-05: ai.google.dev/gemini-api/docs/pricing as quoted on 2026-07-04 (3 Flash) and 2026-02-04
    # (3 Pro), GitHub's Copilot table (3.1 Pro); Pro at its rates up to 200K input tokens (above: 2x input)
    "gemini-3-pro-preview": (2.0, 12.0, 0.0, 0.0, 0.20),
    "gemini-3.1-pro-preview": (2.0, 12.0, 0.0, 0.0, 0.20),
    "gemini-3-flash-preview": (0.50, 3.0, 0.0, 0.0, 0.05),
}
#: Cache rates as multiples of the input price (Anthropic's prompt caching).
CACHE_READ, CACHE_WRITE_5M, CACHE_WRITE_1H = 0.1, 1.25, 2.0
_RATE_COLUMNS = ["input_tokens", "output_tokens", "cache_5m_tokens", "cache_creation_1h_tokens", "cache_read_tokens"]
_SUFFIX = re.compile(r"(?:-\d{8}|-latest|@\S*|\[[^\]]*\]|-v\d+(?::\d+)?)+$")  # date, -latest, @version, [1m], -v1:0
#: A cloud provider's prefix: a Bedrock cross-region profile (``us.``, ``eu.``, ``apac.``, ``jp.``, ``global.``...)
#: and the vendor (``anthropic.``), as in ``jp.anthropic.claude-haiku-4-5-20251001-v1:0``.
_PROVIDER = re.compile(r"^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?(?:anthropic|openai|google|meta|amazon)\.")


def rates(input_price: float, output_price: float) -> tuple[float, float, float, float, float]:
    """Per-MTok rates for (input, output, 5-minute cache write, 1-hour cache write, cache read)."""
    return (
        input_price,
        output_price,
        input_price * CACHE_WRITE_5M,
        input_price * CACHE_WRITE_1H,
        input_price * CACHE_READ,
    )


def price_table(prices: Mapping[str, Sequence[float]] | None = None) -> dict[str, tuple[float, ...]]:
    """Rates per model family: the built-in prices, overridden by ``prices.toml`` and then by ``prices``.

    An override gives [input, output] (cache rates follow), all five rates [input, output, cache write
    5 min, cache write 1 h, cache read], or the older four [input, output, cache write, cache read].
    """
    table = {k: rates(*v) if len(v) == 2 else v for k, v in PRICES.items()}
    path = config.user_file(config.PRICES_FILE)
    user: dict = {}
    if os.path.isfile(path):
        import tomllib

        with open(path, "rb") as fh:
            try:
                user = tomllib.load(fh).get("prices", {})
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
    for where, given in ((path, user), ("prices=", prices or {})):
        for model, p in given.items():
            values = tuple(map(float, p))
            if len(values) == 2:
                values = rates(*values)
            elif len(values) == 4:  # the older form [input, output, cache write, cache read]: 1-hour writes at 2x
                values = (values[0], values[1], values[2], values[0] * CACHE_WRITE_1H, values[3])
            if len(values) != 5:
                raise ConfigError(
                    f"{where}: price for {model!r} must be [input, output] or [input, output, cache write 5m, "
                    f"cache write 1h, cache read] per MTok, got {list(p)}"
                )
            table[model] = values
    return table


def family(model: object) -> str:
    """The model family a model id is priced as: its name without a release date or variant suffix, and
    without what a cloud provider adds to it: a route (``converse/``, ``bedrock/``, ``vertex_ai/``), a region
    and vendor prefix (``us.anthropic.``), a version (``-v1:0``, ``@20250929``). So
    ``converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0`` and ``claude-sonnet-4-5@20250929`` are
    ``claude-haiku-4-5`` and ``claude-sonnet-4-5``."""
    name = str(model).strip().rsplit("/", 1)[-1]
    return _SUFFIX.sub("", _PROVIDER.sub("", name))


def _price(model: object, table: dict[str, tuple[float, ...]]) -> tuple[float, ...] | None:
    return table.get(str(model)) or table.get(family(model))


def cost(
    source: pd.DataFrame | PathLike | Iterable[PathLike],
    by: str | Sequence[str] = ("session_id", "model"),
    prices: Mapping[str, Sequence[float]] | None = None,
    breakdown: bool = False,
    tz: str | None = None,
    last: int | None = None,
) -> pd.DataFrame:
    """Tokens and dollars grouped ``by`` any of session_id, model, agent (claude-code, codex, gemini), agent_id
    (the subagent), and the periods ccusage users read: day, week (from its Monday), month, block (Claude's
    5-hour usage windows: a block starts at the hour of the first message after a 5-hour gap or the end of the
    previous block). Periods read in date order, anything else by cost.

    ``breakdown``: one row per period (or session) and model (short names: ``opus-4-6``). ``tz``: the time zone
    whose calendar the periods follow (an IANA name; default UTC). ``last``: only the last N periods (or the N
    sessions, models... most recently active). Each row has ``total_tokens`` (input, output, cache writes and
    reads), ``models`` (the short names in it) and ``last`` (its latest message, ISO, in ``tz``).

    ``source``: a frame from ``load()``, a frame from :func:`token_usage` or :func:`scan_usage`, or
    transcript files and folders (read by :func:`scan_usage`, which touches only what cost needs).
    1-hour cache writes are priced at 2x input, 5-minute ones at 1.25x. Where Claude Code's telemetry was
    loaded too (``auditkit otel-receive``), ``reported_usd`` is its own ``cost_usd`` for the same requests,
    joined on the request id, beside the computed ``usd``. ``attrs["unpriced_models"]``
    lists models with tokens and no price (their ``usd`` is NaN, never 0; a warning names them);
    ``attrs["prices_as_of"]`` dates the table.
    """
    import pandas as pd

    if not isinstance(source, pd.DataFrame):
        rows = usage_rows(source)[0]
    else:
        usage = source if "cache_5m_tokens" in source.columns else token_usage(source)
        extra = ["reported_usd"] if "reported_usd" in usage else []
        when = ["timestamp"] if "timestamp" in usage else []
        rows = usage[["model", "session_id", "agent", "agent_id", "day", *when, *_RATE_COLUMNS, *extra]].to_dict(
            orient="records"
        )
    keys = [by] if isinstance(by, str) else list(by)
    groups, summary = summarize(rows, keys, prices, breakdown=breakdown, tz=tz, last=last)
    if summary["unpriced_models"]:
        warnings.warn(
            f"no price for {', '.join(summary['unpriced_models'])}: their tokens are left out of the cost "
            f"(add them to {config.PRICES_FILE} or pass prices=)",
            stacklevel=2,
        )
    keys = summary["keys"]
    reported = ["reported_usd"] if any("reported_usd" in g for g in groups) else []
    columns = [*keys, "messages", *TOKEN_COLUMNS, "total_tokens", "usd", *reported, "models", "last"]
    out = pd.DataFrame(groups, columns=columns).set_index(keys)
    counts = ["messages", *TOKEN_COLUMNS, "total_tokens"]
    out[counts] = out[counts].astype("int64")
    out["usd"] = out["usd"].astype("float64")
    out.attrs.update(summary)
    return out


#: The calendar groupings of :func:`cost` (computed from each message's time, in the chosen time zone).
PERIODS = ("day", "week", "month", "block")
#: Claude's usage windows: 5 hours from the first message after a gap.
BLOCK = timedelta(hours=5)


def short_model(model: object) -> str:
    """The name ccusage users read: the family without ``claude-`` (``claude-opus-4-6-20260101`` -> ``opus-4-6``)."""
    if not isinstance(model, str):
        return "unknown"
    return family(model).removeprefix("claude-")


def zone(tz: str | tzinfo | None) -> tzinfo:
    """A time zone by IANA name (``Europe/Berlin``), ``UTC`` or ``local``; a name that is none is a UsageError."""
    if tz is None or tz in ("UTC", "utc", "Z"):
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    if tz == "local":
        local = datetime.now().astimezone().tzinfo
        return local or UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"{tz!r} is not a time zone (use an IANA name such as Europe/Berlin, UTC or local)") from exc


def _when(ts: object) -> datetime | None:
    if isinstance(ts, datetime):
        when = ts
    elif isinstance(ts, str) and ts:
        try:
            when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if when != when:  # NaT
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def with_periods(rows: Iterable[Mapping], tz: str | tzinfo | None = None) -> list[dict]:
    """Each row with ``day``, ``week`` (its Monday), ``month`` and ``block`` (the start of its 5-hour window)
    in time zone ``tz``; a row without a readable time has None for each."""
    where = zone(tz)
    out = []
    for r in rows:
        row = dict(r)
        t = _when(row.get("timestamp"))
        row["_t"] = t
        local = t.astimezone(where) if t else None
        row["day"] = local.strftime("%Y-%m-%d") if local else None
        row["week"] = (local.date() - timedelta(days=local.weekday())).isoformat() if local else None
        row["month"] = local.strftime("%Y-%m") if local else None
        row["block"] = None
        out.append(row)
    start: datetime | None = None
    previous: datetime | None = None
    for row in sorted((r for r in out if r["_t"] is not None), key=lambda r: r["_t"]):
        t = row["_t"]
        if start is None or previous is None or t - start >= BLOCK or t - previous >= BLOCK:
            start = t.astimezone(where).replace(minute=0, second=0, microsecond=0)
        previous = t
        row["block"] = start.strftime("%Y-%m-%d %H:%M")
    return out


def summarize(
    rows: Iterable[Mapping],
    keys: Sequence[str],
    prices: Mapping[str, Sequence[float]] | None = None,
    *,
    breakdown: bool = False,
    tz: str | tzinfo | None = None,
    last: int | None = None,
) -> tuple[list[dict], dict]:
    """The arithmetic of :func:`cost` on plain rows (one per API message, with ``model``, ``timestamp``, the
    grouping keys and the token columns): groups in report order, and a summary with ``total_usd``,
    ``unpriced_models``, ``prices_as_of`` and ``keys`` (the grouping, ``model`` added by ``breakdown``).
    Plain Python, so ``auditkit cost`` answers without importing pandas.

    Tokens are summed per group and model, and each sum priced once (exact integers, then one product per
    rate), so the dollars do not depend on the order of the rows.
    """
    keys = _grouping(keys, breakdown, last)
    where = zone(tz)
    if "block" in keys:  # a block starts where the previous one ends: every row's time, in order
        rows = with_periods(rows, where)
    sums = _Sums(keys, where)
    for i, r in enumerate(rows):
        sums.add_mapping(r, i)
    return _report(sums.subs, keys, where, price_table(prices), breakdown, last)


def _grouping(keys: Sequence[str], breakdown: bool, last: int | None) -> list[str]:
    keys = [{"session": "session_id", "subagent": "agent_id"}.get(k, k) for k in keys]
    if breakdown and "model" not in keys:
        keys.append("model")
    if last is not None and last < 1:
        raise UsageError(f"last={last}: give a number of periods or groups, 1 or more")
    return keys


_NAN = float("nan")
#: The fields of a sum (one per group and model): messages, the tokens in the order of the rates, rows with
#: tokens, the first row (its place in the input), the latest time, Claude Code's own dollars (or None), and
#: its own key (group key, model).
_MESSAGES, _FIRST_TOKEN, _TOKENS_END, _WITH_TOKENS, _FIRST, _LAST, _REPORTED, _AT = 0, 1, 6, 6, 7, 8, 9, 10


def _at(key: tuple, model: object) -> tuple:
    """Where a message is summed: its group key and its model (one NaN, so that a frame's missing models sum
    together)."""
    return key, (_NAN if model != model else model)


class _Sums:
    """Messages and tokens summed per (group key, model), with what a group's figures need besides."""

    def __init__(self, keys: list[str], where: tzinfo) -> None:
        self.keys, self.where = keys, where
        self.calendar = [k for k in keys if k in ("day", "week", "month")]
        self.days: dict = {}  # a local date -> its (day, week, month)
        self.subs: dict[tuple, list] = {}

    def periods(self, t: datetime | None) -> dict:
        """The day, week and month a time falls in, in the time zone (None for each without a time)."""
        if t is None:
            return dict.fromkeys(("day", "week", "month"))
        local = t.astimezone(self.where)
        found = self.days.get(local.date())
        if found is None:  # formatted once per date (the formats depend on the date alone)
            monday = (local.date() - timedelta(days=local.weekday())).isoformat()
            found = self.days[local.date()] = {
                "day": local.strftime("%Y-%m-%d"),
                "week": monday,
                "month": local.strftime("%Y-%m"),
            }
        return found

    def add(self, at: tuple, counts: list[int], t: datetime | None, first: object) -> list:
        """Add a message to the sum of ``at``: (group key, model, see :func:`_at`)."""
        sub = self.subs.get(at)
        if sub is None:
            sub = self.subs[at] = [0, 0, 0, 0, 0, 0, 0, first, None, None, at]
        sub[_MESSAGES] += 1
        for i, n in enumerate(counts, _FIRST_TOKEN):
            sub[i] += n
        if sum(counts):
            sub[_WITH_TOKENS] += 1
        if t is not None and (sub[_LAST] is None or t > sub[_LAST]):
            sub[_LAST] = t
        if first < sub[_FIRST]:  # a file's messages come in the order they were kept, not in time order
            sub[_FIRST] = first
        return sub

    def add_mapping(self, r: Mapping, i: int) -> None:
        """A row as :func:`summarize` takes it (periods from its time unless it carries its block)."""
        model = r["model"]
        t = _when(r.get("timestamp"))
        found = self.periods(t) if self.calendar else {}
        values = [found[k] if k in found else r.get(k) for k in self.keys]
        key = tuple(None if v != v else v for v in values)  # NaN keys as None
        sub = self.add(_at(key, model), [int(r[c] or 0) for c in _RATE_COLUMNS], t, i)
        told = r.get("reported_usd")
        if told is not None and told == told:  # Claude Code's own cost_usd for this request (telemetry)
            sub[_REPORTED] = (sub[_REPORTED] or 0.0) + told


def _report(
    subs: Mapping[tuple, list], keys: list[str], where: tzinfo, table: dict, breakdown: bool, last: int | None
) -> tuple[list[dict], dict]:
    """Groups in report order and the summary, from the sums per group and model."""
    groups: dict[tuple, dict] = {}
    unpriced: set[str] = set()
    rate_of: dict = {}
    total = 0.0
    at = keys.index("model") if breakdown else -1
    for (key, model), sub in sorted(subs.items(), key=lambda kv: kv[1][_FIRST]):  # in the order rows came
        if model not in rate_of:
            rate_of[model] = _price(model, table) if isinstance(model, str) else None
        rate = rate_of[model]
        if at >= 0:
            key = (*key[:at], short_model(model), *key[at + 1 :])
        g = groups.get(key)
        if g is None:
            g = groups[key] = {
                **dict(zip(keys, key, strict=True)),
                "messages": 0,
                **dict.fromkeys(TOKEN_COLUMNS, 0),
                "total_tokens": 0,
                "usd": float("nan"),
                "_models": set(),
                "_last": None,
            }
        usd = _add_to_group(g, model, sub, rate)
        if rate:
            total += usd
        elif sub[_WITH_TOKENS]:
            unpriced.add(str(model))
    out = _in_order(list(groups.values()), keys, where, last)
    summary = {"unpriced_models": sorted(unpriced), "total_usd": total, "prices_as_of": PRICES_AS_OF, "keys": keys}
    return out, summary


def _add_to_group(g: dict, model: object, sub: list, rate: tuple[float, ...] | None) -> float:
    """Add one model's sums to its group; their dollars (NaN when the model has no price)."""
    counts = sub[_FIRST_TOKEN:_TOKENS_END]
    g["messages"] += sub[_MESSAGES]
    g["input_tokens"] += counts[0]
    g["output_tokens"] += counts[1]
    g["cache_creation_tokens"] += counts[2] + counts[3]
    g["cache_read_tokens"] += counts[4]
    g["total_tokens"] += sum(counts)
    g["_models"].add(short_model(model))
    t = sub[_LAST]
    if t is not None and (g["_last"] is None or t > g["_last"]):
        g["_last"] = t
    if sub[_REPORTED] is not None:
        g["reported_usd"] = g.get("reported_usd", 0.0) + sub[_REPORTED]
    if not rate:
        return float("nan")
    usd = sum(n * p for n, p in zip(counts, rate, strict=True)) / 1e6
    g["usd"] = usd if g["usd"] != g["usd"] else g["usd"] + usd
    return usd


def _in_order(out: list[dict], keys: list[str], where: tzinfo, last: int | None) -> list[dict]:
    """The groups finished (models named, latest time shown) and sorted: periods by date, the rest by cost;
    ``last`` keeps the last N of the first key."""
    for g in out:
        g["models"] = ", ".join(sorted(g.pop("_models")))
        when = g["_last"]
        g["last"] = when.astimezone(where).isoformat(timespec="seconds") if when else None
    if last is not None:  # the last N of the first key: periods by date, anything else by latest activity
        first = keys[0]
        if first in PERIODS:
            kept = sorted({g[first] for g in out if g[first] is not None})[-last:]
        else:
            latest: dict = {}
            for g in out:
                t = g["_last"]
                if t is not None and (g[first] not in latest or t > latest[g[first]]):
                    latest[g[first]] = t
            kept = sorted(latest, key=lambda k: latest[k])[-last:]
        out = [g for g in out if g[first] in set(kept)]
    for g in out:
        g.pop("_last")

    def by_cost(g: dict) -> tuple:
        return (g["usd"] != g["usd"], -g["usd"] if g["usd"] == g["usd"] else 0)

    periods = [k for k in keys if k in PERIODS or k == "day"]
    if periods:  # a calendar reads in date order (and by cost within a period); anything else by cost
        out.sort(key=lambda g: (*((g[k] is None, str(g[k])) for k in periods), by_cost(g)))
    else:
        out.sort(key=by_cost)
    return out


#: The grouping keys a transcript scan fills itself; any other key (or ``block``) sums :func:`usage_rows`' rows.
_SCANNED = frozenset({"session_id", "agent", "agent_id", "model", "day", "week", "month"})


def usage_summary(
    paths: PathLike | Iterable[PathLike],
    keys: Sequence[str],
    prices: Mapping[str, Sequence[float]] | None = None,
    *,
    breakdown: bool = False,
    tz: str | tzinfo | None = None,
    last: int | None = None,
    since: str | None = None,
    until: str | None = None,
    workers: int | None = None,
) -> tuple[list[dict], dict, list[dict]]:
    """(groups, summary, damaged lines): :func:`summarize` of :func:`usage_rows`, with the same figures, summed
    where the transcripts are read (in each worker process) instead of one row per message in this one.

    Each file's messages are summed per group and model as they are read; a message id found in more than
    one file (a resumed session's copies, a subagent's messages in its own file and in the parent's progress
    lines) is then taken out of the sums of every file but the one holding the copy usage_rows keeps. The
    messages themselves are not kept (nor handed back from a worker): the few bundles of files holding such an
    id are read again here.
    """
    keys = _grouping(keys, breakdown, last)
    _, jobs, priced, total = plan(paths)
    if priced or not set(keys) <= _SCANNED:  # other agents' files, or blocks: the rows, then their sums
        rows, problems, _ = usage_rows(paths, workers, since, until)
        return (*summarize(rows, keys, prices, breakdown=breakdown, tz=tz, last=last), problems)
    where = zone(tz)
    sums = _ScanSums(keys, where, window(since, until) if since or until else None)
    with no_collection():
        found: list[_FileSums] = scan_files(jobs, total, workers, sums.of_file)
        merged = _merged(found, sums)
        groups, summary = _report(merged, keys, where, price_table(prices), breakdown, last)
        return groups, summary, in_file_order([p for f in found for p in f.problems], jobs)


class _FileSums:
    """One bundle of transcript files: its sums per (group key, model), its damaged lines, its messages' ids,
    the files (to read again), and, only when read again for a message id found in another bundle too, the
    message tuples with where each is summed (None: outside the window). Hundreds of thousands of tuples are
    neither kept nor pickled back from a worker for the few messages that ever need them."""

    __slots__ = ("bundle", "ids", "kept", "problems", "subs")

    def __init__(
        self, subs: dict, problems: list[dict], ids: list, bundle: list, kept: tuple[list, list] | None
    ) -> None:
        self.subs, self.problems, self.ids, self.bundle, self.kept = subs, problems, ids, bundle, kept

    def __getstate__(self) -> tuple:
        return self.subs, self.problems, self.ids, self.bundle

    def __setstate__(self, state: tuple) -> None:
        self.subs, self.problems, self.ids, self.bundle = state
        self.kept = None

    def rows(self) -> tuple[list[tuple], list[tuple | None]]:
        if self.kept is None:
            raise AssertionError("the messages of a bundle are kept only when it is read again")
        return self.kept


class _ScanSums(_Sums):
    """:class:`_Sums` of the message tuples of :mod:`auditkit.loading.usage_scan`: (sortable time, file, where
    its line starts, id, output, time, session, subagent, model, request, input, cache write, of it 1-hour,
    cache read)."""

    def __init__(self, keys: list[str], where: tzinfo, counted: Callable[[str], bool] | None) -> None:
        super().__init__(keys, where)
        self.counted = counted
        self.key_of = self._key_maker()

    def of_file(self, rows: list[tuple], problems: list[dict], bundle: list, keep: bool = False) -> _FileSums:
        """The sums of one bundle's messages within the window (the loop of :meth:`_Sums.add`, by hand: it runs
        once per message); its messages kept with them when ``keep``."""
        subs: dict[tuple, list] = {}
        where: list[tuple | None] = []
        counted, key_of, parse, utc = self.counted, self.key_of, datetime.fromisoformat, UTC
        for r in rows:
            when, _, _, _, out, ts, _, _, model, _, inp, write, hour, read = r
            if counted is not None and not counted(when):
                where.append(None)
                continue
            t = None
            if type(ts) is str and ts:  # as _when reads it (a JSON value is never a datetime or NaT)
                try:
                    t = parse(ts.replace("Z", "+00:00"))
                except ValueError:
                    pass
                else:
                    t = t if t.tzinfo else t.replace(tzinfo=utc)
            at = key_of(r, t), model  # as _at (a JSON value is never NaN)
            five = write - hour if write > hour else 0
            sub = subs.get(at)
            if sub is None:
                tokens = 1 if inp + out + five + hour + read else 0
                subs[at] = [1, inp, out, five, hour, read, tokens, r[:3], t, None, at]
                where.append(at)
                continue
            where.append(sub[_AT])  # one key object per sum: it pickles once
            sub[0] += 1
            sub[1] += inp
            sub[2] += out
            sub[3] += five
            sub[4] += hour
            sub[5] += read
            if inp + out + five + hour + read:
                sub[6] += 1
            if t is not None and (sub[8] is None or t > sub[8]):
                sub[8] = t
            if when <= sub[7][0] and r[:3] < sub[7]:  # a file's messages come in the order they were kept
                sub[7] = r[:3]
        return _FileSums(subs, problems, [r[3] for r in rows], bundle, (rows, where) if keep else None)

    def _key_maker(self) -> Callable[[tuple, datetime | None], tuple]:
        """The group key of a message tuple and its time, in the order of the keys."""
        fields = {"session_id": 6, "agent_id": 7, "model": 8}
        periods = self.periods
        if self.keys == ["day"]:  # the most asked: one key per local date
            days: dict = {}
            zone_ = self.where

            def day(r: tuple, t: datetime | None) -> tuple:
                if t is None:
                    return (None,)
                local = t.astimezone(zone_).date()
                key = days.get(local)
                if key is None:
                    key = days[local] = (periods(t)["day"],)
                return key

            return day

        def key(r: tuple, t: datetime | None) -> tuple:
            found = periods(t) if self.calendar else {}
            out = []
            for k in self.keys:
                if k in found:
                    out.append(found[k])
                elif k == "agent":
                    out.append("claude-code")
                elif k == "agent_id":
                    out.append(r[7] or "main")
                else:
                    out.append(r[fields[k]])
            return tuple(out)

        return key

    @staticmethod
    def counts(r: tuple) -> list[int]:
        """The tokens in the order of the rates: input, output, 5-minute and 1-hour cache writes, cache reads."""
        return [r[10], r[4], max(0, r[11] - r[12]), r[12], r[13]]

    def take_out(self, f: _FileSums, r: tuple, at: tuple) -> bool:
        """Take a counted message out of its file's sum ``at``; False when the sum's first message or latest
        time must be found again (the message was its first, or as late as its latest)."""
        sub = f.subs[at]
        counts = self.counts(r)
        sub[_MESSAGES] -= 1
        for i, n in enumerate(counts, _FIRST_TOKEN):
            sub[i] -= n
        if sum(counts):
            sub[_WITH_TOKENS] -= 1
        if not sub[_MESSAGES]:
            del f.subs[at]
            return True
        t = _when(r[5])
        return sub[_FIRST] != r[:3] and (t is None or sub[_LAST] != t)

    @staticmethod
    def again(f: _FileSums, stale: set[tuple], lost: set) -> None:
        """The first message and latest time of a file's sums in ``stale``, found again without ``lost``."""
        rows, where = f.rows()
        for each in stale:
            if each in f.subs:
                f.subs[each][_FIRST], f.subs[each][_LAST] = None, None
        for r, at in zip(rows, where, strict=True):
            if at in stale and r[3] not in lost and at in f.subs:
                sub, t = f.subs[at], _when(r[5])
                if sub[_FIRST] is None or r[:3] < sub[_FIRST]:
                    sub[_FIRST] = r[:3]
                if t is not None and (sub[_LAST] is None or t > sub[_LAST]):
                    sub[_LAST] = t


def _merged(found: list[_FileSums], sums: _ScanSums) -> dict[tuple, list]:
    """Every file's sums added up, each message counted once (see :func:`usage_summary`)."""
    repeated = _read_again(found, sums)
    if repeated:
        _count_once(found, repeated, sums)
    merged: dict[tuple, list] = {}
    for f in found:
        for at, sub in f.subs.items():
            into = merged.get(at)
            if into is None:
                merged[at] = list(sub)
                continue
            for i in range(_MESSAGES, _WITH_TOKENS + 1):
                into[i] += sub[i]
            into[_FIRST] = min(into[_FIRST], sub[_FIRST])
            if sub[_LAST] is not None and (into[_LAST] is None or sub[_LAST] > into[_LAST]):
                into[_LAST] = sub[_LAST]
    return merged


def _read_again(found: list[_FileSums], sums: _ScanSums) -> set:
    """The message ids found in more than one bundle, each bundle holding one read again (in place in
    ``found``) with its messages kept. A bundle read again is summed anew from what it holds now (a file
    changed in between changes its ids too), so the ids are counted again until no bundle is left to read."""
    while True:
        if len(set(chain.from_iterable(f.ids for f in found))) == sum(len(f.ids) for f in found):
            return set()  # the usual case, found with a set (a Counter costs twice as much, after the workers)
        seen = Counter(chain.from_iterable(f.ids for f in found))
        repeated = {m for m, n in seen.items() if n > 1}
        again = [n for n, f in enumerate(found) if f.kept is None and not repeated.isdisjoint(f.ids)]
        if not again:
            return repeated
        for n in again:
            bundle = found[n].bundle
            found[n] = sums.of_file(*scan_bundle(bundle), bundle, keep=True)


def _count_once(found: list[_FileSums], repeated: set, sums: _ScanSums) -> None:
    """Take every copy of a repeated message id but one out of its file's sums: the copy kept is the one
    usage_rows keeps (the most output tokens, then the latest in time, file and line order)."""
    copies: dict[object, list] = {}
    for n, f in enumerate(found):
        if not repeated.isdisjoint(f.ids):
            for r, at in zip(*f.rows(), strict=True):
                if r[3] in repeated:
                    copies.setdefault(r[3], []).append((r[4], r[0], r[1], r[2], n, r, at))
    lost: dict[int, set] = {}
    stale: dict[int, set[tuple]] = {}
    for copy in copies.values():
        copy.sort(key=lambda c: c[:4])
        for *_, n, r, at in copy[:-1]:
            lost.setdefault(n, set()).add(r[3])
            if at is not None and not sums.take_out(found[n], r, at):
                stale.setdefault(n, set()).add(at)
    for n, ats in stale.items():
        sums.again(found[n], ats, lost[n])
