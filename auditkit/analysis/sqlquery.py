"""SQL over trails with DuckDB: a view ``trail`` (one row per event) and a view ``calls`` (one per tool call).

``trail`` has the normalised columns of :data:`auditkit.COLUMNS`; ``calls`` those of
:func:`auditkit.tool_calls`. ``input``, ``response``, ``data`` and ``truncated`` are DuckDB ``JSON``,
so ``input->>'file_path'`` and ``json_extract(response, '$.stdout')`` work. Times are
``TIMESTAMPTZ`` in UTC.

Two paths give the same answer. :func:`sql` over files whose query names only ``trail`` reads the trail
files in DuckDB itself (:mod:`auditkit.analysis.trailsql`): one pass over each file, building only the
columns the query names. Anything else (a frame, ``calls``, a file that is not a clean auditkit trail,
see :func:`auditkit.analysis.trailsql.why_not`) takes the frame path: :func:`auditkit.load`, registered
whole.

Example::

    auditkit.sql("SELECT tool, count(*) AS n FROM calls GROUP BY tool ORDER BY n DESC", "sample_logs/")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import duckdb
import pandas as pd

from auditkit.analysis import trailsql
from auditkit.analysis.views import tool_calls
from auditkit.loading.columns import NESTED
from auditkit.loading.flat import flatten
from auditkit.loading.frame import load
from auditkit.store.files import PathLike
from auditkit.trail.config import DEFAULT_TRAIL_FOLDER

Source: TypeAlias = pd.DataFrame | PathLike | Iterable[PathLike]


def sql_connection(source: Source) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views ``trail`` and ``calls`` over ``source``.

    ``source``: a frame from :func:`auditkit.load`, or what ``load`` accepts (files, folders, globs).
    """
    df = source if isinstance(source, pd.DataFrame) else load(source)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for name, frame in (("trail", df), ("calls", tool_calls(df))):
        con.register(f"_{name}", flatten(frame))
        cast = ", ".join(f"CAST({c} AS JSON) AS {c}" for c in NESTED if c in frame.columns)
        con.execute(f"CREATE VIEW {name} AS SELECT * REPLACE ({cast}) FROM _{name}")
    return con


def sql(query: str, source: Source = DEFAULT_TRAIL_FOLDER) -> pd.DataFrame:
    """Run one DuckDB SQL query over trails (views ``trail`` and ``calls``) and return the result."""
    if not isinstance(source, pd.DataFrame):
        answer = trailsql.run(query, source)
        if answer is not None:
            return answer
    con = sql_connection(source)
    try:
        return trailsql.answer(con, query)
    finally:
        con.close()
