"""The frame's columns, in order, with what each holds and its type, and :func:`typed`, which gives a frame
of normalised rows those types. Below :mod:`.frame`, :mod:`.flat` and :mod:`.parquet_dataset`, which all
need them (from :data:`auditkit.trail.format.SCHEMA`: one line per field)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from auditkit.loading.jsoncolumn import JSONArray, JSONDtype, dumps
from auditkit.trail import format as tf

#: The normalised columns, in order, with what each holds (from :data:`auditkit.trail.format.SCHEMA`).
COLUMNS: dict[str, str] = {f.column: f.doc for f in tf.SCHEMA}
KIND = {f.column: f.kind for f in tf.SCHEMA}
CATEGORIES = tuple(c for c, k in KIND.items() if k == "category")
COUNTS = tuple(c for c, k in KIND.items() if k == "count")
FLOATS = tuple(c for c, k in KIND.items() if k == "float")
#: Columns holding dicts, lists or mixed values: JSON text, parsed when read (:mod:`auditkit.loading.jsoncolumn`).
NESTED = tuple(c for c, k in KIND.items() if k == "nested")
STRINGS = tuple(c for c, k in KIND.items() if k in ("string", "text"))


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Give the normalised columns their documented types."""
    missing = [c for c in COLUMNS if c not in df.columns]
    df = df.reindex(columns=list(COLUMNS))
    for col in missing:  # made empty in their own type: converting a column of NaN objects costs a pass
        if col in STRINGS:
            df[col] = pd.Series(index=df.index, dtype="str")
        elif col in NESTED:
            df[col] = pd.Series(JSONArray.from_texts(pa.nulls(len(df), pa.large_string())), index=df.index)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="ISO8601")
    for col in CATEGORIES:
        try:
            cat = df[col].astype("category")
        except TypeError:  # a list or an object where a name belongs (a forged record): shown as its JSON text
            cat = df[col].map(lambda v: v if v is None or isinstance(v, str) else dumps(v), na_action="ignore")
            cat = cat.astype("category")
        if cat.cat.categories.empty and cat.cat.categories.dtype != "str":  # all missing: as in any other part
            cat = cat.cat.set_categories(pd.Index([], dtype="str"))
        df[col] = cat
    for col in STRINGS:
        if df[col].dtype != "str":
            df[col] = df[col].astype("str")
    for col in FLOATS:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in COUNTS:
        df[col] = _counts(df[col])
    for col in NESTED:
        if not isinstance(df[col].dtype, JSONDtype):
            values = df[col].tolist()
            if col == "truncated":  # the list of cut fields, or nothing
                values = [t if type(t) is list and t else None for t in values]
            df[col] = pd.Series(JSONArray.from_values(values), index=df.index)
    return df


def _counts(values: pd.Series) -> pd.Series:
    """A count column as Int64; a value that is no count a 64-bit integer holds (1.5, 10**25, a list) is missing."""
    numbers = pd.to_numeric(values, errors="coerce")
    try:
        with np.errstate(invalid="ignore"):  # numpy warns before pandas refuses a cast of 1.5
            return numbers.astype("Int64")
    except (TypeError, ValueError, OverflowError):
        pass

    def count(v: object) -> int | None:
        if isinstance(v, float):
            return int(v) if v.is_integer() and abs(v) < 2**63 else None
        return int(v) if isinstance(v, (int, np.integer)) and -(2**63) <= v < 2**63 else None

    return pd.Series(pd.array([count(v) for v in numbers.tolist()], dtype="Int64"), index=values.index)
