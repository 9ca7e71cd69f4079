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
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditkit.errors import ConfigError, UsageError
from auditkit.loading.usage_scan import TOKEN_COLUMNS, token_usage, usage_rows
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
    """
    keys = [{"session": "session_id", "subagent": "agent_id"}.get(k, k) for k in keys]
    if breakdown and "model" not in keys:
        keys.append("model")
    if last is not None and last < 1:
        raise UsageError(f"last={last}: give a number of periods or groups, 1 or more")
    where = zone(tz)
    rows = with_periods(rows, where)
    table = price_table(prices)
    rate_of: dict = {}
    groups: dict[tuple, dict] = {}
    unpriced: set[str] = set()
    total = 0.0
    for r in rows:
        model = r["model"]
        if model not in rate_of:
            rate_of[model] = _price(model, table) if isinstance(model, str) else None
        rate = rate_of[model]
        counts = [int(r[c] or 0) for c in _RATE_COLUMNS]
        usd = sum(n * p for n, p in zip(counts, rate, strict=True)) / 1e6 if rate else float("nan")
        if rate:
            total += usd
        elif sum(counts):
            unpriced.add(str(model))
        values = {**r, "model": short_model(model)} if breakdown else r
        key = tuple(None if (v := values.get(k)) != v else v for k in keys)  # NaN keys as None
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
        g["messages"] += 1
        g["input_tokens"] += counts[0]
        g["output_tokens"] += counts[1]
        g["cache_creation_tokens"] += counts[2] + counts[3]
        g["cache_read_tokens"] += counts[4]
        g["total_tokens"] += sum(counts)
        g["_models"].add(short_model(model))
        if r["_t"] is not None and (g["_last"] is None or r["_t"] > g["_last"]):
            g["_last"] = r["_t"]
        if rate:
            g["usd"] = usd if g["usd"] != g["usd"] else g["usd"] + usd
        told = r.get("reported_usd")
        if told is not None and told == told:  # Claude Code's own cost_usd for this request (telemetry)
            g["reported_usd"] = g.get("reported_usd", 0.0) + told
    out = list(groups.values())
    for g in out:
        g["models"] = ", ".join(sorted(g.pop("_models")))
        when = g.pop("_last")
        g["_last"] = when
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
    summary = {"unpriced_models": sorted(unpriced), "total_usd": total, "prices_as_of": PRICES_AS_OF, "keys": keys}
    return out, summary
