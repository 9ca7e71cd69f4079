"""A loaded frame as flat columns: nested values as JSON text, categories as plain strings.

The one conversion behind ``export`` (CSV, Parquet) and ``sql`` (DuckDB): formats and engines that
hold scalars get the same columns as :data:`auditkit.COLUMNS`, with ``input``, ``response``,
``data`` and ``truncated`` (and a call's ``input``/``response``) serialised as JSON.
"""

from __future__ import annotations

import orjson
import pandas as pd

from auditkit.loading.columns import COLUMNS, NESTED
from auditkit.loading.columns import typed as _typed
from auditkit.loading.jsoncolumn import JSONArray, JSONDtype, loads


def _json(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with nested columns as JSON text and categorical columns as strings."""
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, JSONDtype):
            out[col] = pd.Series(s.array.texts().to_pandas(), dtype="str").set_axis(df.index)
        elif col in NESTED:
            out[col] = pd.Series([_json(v) for v in s.tolist()], index=df.index, dtype="str")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("str").where(s.notna(), None)
        else:
            out[col] = s
    return pd.DataFrame(out, index=df.index)


def unflatten(flat: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`flatten`: JSON text back into nested values, every column in its documented
    type, in :data:`auditkit.COLUMNS` order (Hive partition columns such as ``date`` are dropped; a
    partition column that is a column, such as ``host``, comes back as one)."""
    out = {}
    for col in flat.columns:
        if col not in COLUMNS:
            continue
        s = flat[col]
        if col in NESTED:
            texts = [v if isinstance(v, str) else None for v in s.tolist()]
            for v in texts:  # parsed once here, so that a damaged file is an error now, not at some later read
                if v is not None:
                    loads(v)
            out[col] = pd.Series(JSONArray.from_texts(texts), index=flat.index)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("object").where(s.notna(), None)
        else:
            out[col] = s
    return _typed(pd.DataFrame(out, index=flat.index))
