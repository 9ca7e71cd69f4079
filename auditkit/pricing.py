"""Tokens and dollars from transcripts: each API message counted once, priced per model.

Claude Code writes one transcript line per content block of a message and repeats the message's
usage on each, and a resumed session copies earlier messages again. ``load()`` keeps one
``assistant_message`` row per (message id, request id), the last one written (its final figures),
so summing here is summing real API calls; summing every line overcounts several-fold.

Prices are US dollars per million tokens (input, output, cache write, cache read), matched by the
longest model-name prefix. They change: pass ``prices=`` or put a ``[prices]`` table in
``~/.config/auditkit/prices.toml`` (``"claude-sonnet-4" = [3.0, 15.0, 3.75, 0.30]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from auditkit import config
from auditkit.errors import ConfigError

#: USD per million tokens: (input, output, cache write (5 min), cache read). Public list prices, 2025-11.
PRICES: dict[str, tuple[float, float, float, float]] = {
    "claude-opus-4-5": (5.0, 25.0, 6.25, 0.50),
    "claude-opus-4": (15.0, 75.0, 18.75, 1.50),
    "claude-3-opus": (15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4": (3.0, 15.0, 3.75, 0.30),
    "claude-3-7-sonnet": (3.0, 15.0, 3.75, 0.30),
    "claude-3-5-sonnet": (3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": (1.0, 5.0, 1.25, 0.10),
    "claude-3-5-haiku": (0.80, 4.0, 1.0, 0.08),
    "claude-3-haiku": (0.25, 1.25, 0.30, 0.03),
    "<synthetic>": (0.0, 0.0, 0.0, 0.0),  # messages Claude Code writes itself, never billed
}
TOKEN_COLUMNS = ["input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"]


def price_table(prices: Mapping[str, Sequence[float]] | None = None) -> dict[str, tuple[float, ...]]:
    """The built-in prices, overridden by ``~/.config/auditkit/prices.toml`` and then by ``prices``."""
    table: dict[str, tuple[float, ...]] = dict(PRICES)
    path = config.user_file(config.PRICES_FILE)
    if os.path.isfile(path):
        import tomllib

        with open(path, "rb") as fh:
            user = tomllib.load(fh).get("prices", {})
        table.update({k: tuple(map(float, v)) for k, v in user.items()})
    table.update({k: tuple(map(float, v)) for k, v in (prices or {}).items()})
    for model, p in table.items():
        if len(p) != 4:
            raise ConfigError(f"price for {model!r} must be [input, output, cache_write, cache_read] per MTok, got {p}")
    return table


def _price(model: object, table: dict[str, tuple[float, ...]]) -> tuple[float, ...] | None:
    name = str(model)
    best = max((k for k in table if name.startswith(k)), key=len, default=None)
    return table[best] if best else None


def token_usage(df: pd.DataFrame) -> pd.DataFrame:
    """One row per API message (already counted once by ``load``): time, session, subagent, model, tokens."""
    msgs = df[df["event"] == "assistant_message"]
    out = msgs[["timestamp", "session_id", "agent_id", "model", "message_id", "request_id", *TOKEN_COLUMNS]].copy()
    out[TOKEN_COLUMNS] = out[TOKEN_COLUMNS].fillna(0).astype("int64")
    out["model"] = out["model"].astype("object")
    out["agent_id"] = out["agent_id"].fillna("main")
    out["day"] = out["timestamp"].dt.strftime("%Y-%m-%d")
    return out.reset_index(drop=True)


def cost(
    df: pd.DataFrame,
    by: str | Sequence[str] = ("session_id", "model"),
    prices: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Tokens and dollars grouped ``by`` any of session_id, model, agent_id, day.

    ``attrs["unpriced_models"]`` lists models with no price (their ``usd`` is NaN, never 0).
    """
    usage = token_usage(df)
    table = price_table(prices)
    rates = usage["model"].map(lambda m: _price(m, table))
    priced = rates.notna()
    usd = pd.Series(float("nan"), index=usage.index)
    if priced.any():
        r = pd.DataFrame(rates[priced].tolist(), index=usage.index[priced], columns=TOKEN_COLUMNS)
        usd[priced] = (usage.loc[priced, TOKEN_COLUMNS] * r).sum(axis=1) / 1e6
    usage["usd"] = usd
    keys = [by] if isinstance(by, str) else list(by)
    out = usage.groupby(keys, dropna=False).agg(
        messages=("message_id", "size"),
        **{c: (c, "sum") for c in TOKEN_COLUMNS},
        usd=("usd", lambda s: s.sum(min_count=1)),
    )
    by_date = "day" in keys  # a calendar reads in date order; anything else by cost
    out = out.sort_index() if by_date else out.sort_values("usd", ascending=False, na_position="last")
    out.attrs["unpriced_models"] = sorted({str(m) for m in usage.loc[~priced, "model"]})
    out.attrs["total_usd"] = float(usage["usd"].sum())
    return out
