"""Export a trail's events as CSV (for spreadsheets) or Parquet (for DuckDB, Spark, Dask, pandas).

Columns are :data:`auditkit.COLUMNS`, flattened by :func:`auditkit.loading.flat.flatten` (nested values as
JSON text). ``partition_by`` writes a Hive-style folder (``date=2026-03-17/host=ci-01/...``) that
DuckDB (``read_parquet('out/**/*.parquet', hive_partitioning = true)``), Spark and Dask read as
one dataset; ``date`` is the event's UTC day and a missing value is written as ``unknown``.

CSV cells that a spreadsheet would run as a formula get a leading ``'``, as OWASP advises: those
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, and those where one of the four
follows leading white space or control characters (spreadsheets skip them). A trail holds text the
agent (or a repository) chose, and opening it must not execute it. ``escape_formulas=False`` writes
the text unchanged. Lines end in CRLF (RFC 4180), so every cell holding a CR or LF is quoted and a
reader never splits a row.

``schema="ocsf"`` or ``"ecs"`` writes JSON lines (``format="jsonl"``), one OCSF event or ECS document per
trail record (:mod:`auditkit.outbound.schemas`), read straight from the trails' lines so that each
event keeps its original record (``raw_data``, ``event.original``); its source is trail files, not a frame.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import orjson
import pandas as pd

from auditkit.analysis.views import window
from auditkit.custody.pii import Detector, choice
from auditkit.errors import ExportError
from auditkit.loading.flat import flatten
from auditkit.loading.frame import load
from auditkit.loading.parquet_dataset import filesystem
from auditkit.outbound.schemas import SCHEMAS
from auditkit.outbound.shipping import minimised, shaped, trail_records
from auditkit.store.files import PathLike

FORMATS = ("csv", "parquet", "jsonl")
#: A cell a spreadsheet may run: a formula character first, or after white space, control or
#: invisible format characters (a zero-width space, a BOM, bidi marks), or a tab or CR first.
#: Full-width forms count too (some spreadsheets read them as the ASCII ones).
FORMULA_CELL = (
    r"^[\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*"
    r"[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]"
)
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass
class ExportResult:
    """What ``export`` wrote."""

    out: str
    format: str
    rows: int
    files: list[str] = field(default_factory=list)
    pii: dict = field(default_factory=dict)  # the personal-data choice and its counts (also in <out>.pii.json)

    def __str__(self) -> str:
        where = self.out if len(self.files) == 1 else f"{self.out} ({len(self.files)} files)"
        said = ""
        if self.pii.get("mode", "off") != "off":
            found = sum(self.pii.get("found", {}).values())
            said = f"; personal data: {self.pii['mode']}, {found:,} value(s) found"
        return f"exported {self.rows:,} events as {self.format} to {where}{said}"


def export(
    source: pd.DataFrame | PathLike | Iterable[PathLike],
    out: PathLike,
    *,
    format: str = "parquet",
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    partition_by: Sequence[str] = (),
    escape_formulas: bool = True,
    endpoint_url: str | None = None,
    schema: str = "auditkit",
    pii: str | None = None,
) -> ExportResult:
    """Write the events of ``source`` (a loaded frame, or trails to load) to ``out``.

    Without ``partition_by``, ``out`` is one file; with it, a folder (replaced partition by
    partition). ``partition_by`` names ``date`` or any column (``host``, ``user``, ``session_id``, ...).
    Parquet may go to ``s3://bucket/prefix`` (pyarrow's S3 file system; ``endpoint_url`` or
    ``AWS_ENDPOINT_URL`` for another endpoint); ``auditkit.load()``, DuckDB and Dask read it back.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    if schema not in SCHEMAS:
        raise ExportError(f"unknown schema {schema!r}: use one of {', '.join(SCHEMAS)}")
    if schema != "auditkit" or format == "jsonl":
        if format != "jsonl" or schema == "auditkit" or partition_by:
            raise ExportError(
                "OCSF and ECS are written as JSON lines: --schema ocsf|ecs with --format jsonl, unpartitioned"
            )
        if isinstance(source, pd.DataFrame):
            raise ExportError(
                "an OCSF or ECS export reads trail files (each event keeps its original line), not a frame"
            )
        detector, said = choice(pii)
        return _pii_manifest(_mapped(source, Path(out), schema, since, until, detector, said))
    df = source if isinstance(source, pd.DataFrame) else load(source)
    df = window(df, since, until)
    detector, said = choice(pii)
    if detector is not None:
        df = _minimised_frame(df, detector, said)
    flat = flatten(df).reset_index(drop=True)
    parts = list(partition_by)
    for col in parts:
        if col == "date":
            flat["date"] = flat["timestamp"].dt.strftime("%Y-%m-%d")
        elif col not in flat.columns:
            raise ExportError(f"cannot partition by {col!r}: not a column (use date, host, user, session_id, ...)")
        flat[col] = flat[col].astype("str").fillna("unknown").replace({"": "unknown"})
    if str(out).startswith("s3://"):
        if format != "parquet":
            raise ExportError("only Parquet is written to s3://")
        keys = _parquet_s3(flat, str(out), parts, endpoint_url)
        return ExportResult(str(out), format, len(flat), [str(k) for k in keys], said)
    out = Path(out)
    files = _csv(flat, out, parts, escape_formulas) if format == "csv" else _parquet(flat, out, parts)
    return _pii_manifest(ExportResult(str(out), format, len(flat), [str(f) for f in files], said))


def _minimised_frame(df: pd.DataFrame, detector: Detector, said: dict) -> pd.DataFrame:
    """The payload columns (tool_input, tool_response, error, data and the columns read from them) with
    personal data handled as the detector's mode says; ``said["found"]``: counts by kind."""
    found: Counter = Counter()
    df = df.copy()
    for col in df.columns:
        if col not in _PAYLOAD_COLUMNS:
            continue
        df[col] = df[col].map(
            lambda v, c=col: detector.apply_value(v, c, found)[0] if isinstance(v, (str, dict, list)) else v
        )
    said["found"] = dict(found)
    if detector.mode != "report":  # the SHA-256 of an original record: a guessed value could be checked on it
        df = df.drop(columns=[c for c in ("hash",) if c in df.columns])
    return df


#: The frame's columns that hold what the agent saw and did (the payload: see auditkit.custody.pii.PAYLOAD_FIELDS).
_PAYLOAD_COLUMNS = frozenset(("input", "response", "error", "data", "command", "file_path", "url", "pattern", "prompt"))


def _pii_manifest(result: ExportResult) -> ExportResult:
    """Write ``<out>.pii.json`` beside a local export when a personal-data choice applied."""
    if result.pii.get("mode", "off") != "off" and not result.out.startswith("s3://"):
        Path(result.out + ".pii.json").write_text(orjson.dumps(result.pii, option=orjson.OPT_INDENT_2).decode() + "\n")
    return result


def _mapped(
    source: PathLike | Iterable[PathLike],
    out: Path,
    schema: str,
    since: object,
    until: object,
    detector: Detector | None = None,
    said: dict | None = None,
) -> ExportResult:
    paths: list[PathLike] = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    records = list(trail_records(paths))
    found: Counter = Counter()
    if detector is not None:
        records = [minimised(r, detector, found) for r in records]
    times = pd.DataFrame(
        {"timestamp": pd.to_datetime([r.fields.get("ts") for r in records], utc=True, errors="coerce")}
    )
    kept = window(times, since, until).index
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=out.parent, prefix=f".{out.name}.", delete=False) as tmp:
        for i in kept:
            tmp.write(orjson.dumps(shaped(records[i], 1 << 62, schema)) + b"\n")
    Path(tmp.name).replace(out)  # whole or not at all; the temporary file is the owner's only (0600)
    said = dict(said or {})
    if detector is not None:
        said["found"] = dict(found)
    return ExportResult(str(out), f"jsonl ({schema})", len(kept), [str(out)], said)


def _csv(flat: pd.DataFrame, out: Path, parts: list[str], escape: bool) -> list[Path]:
    flat = flat.copy()
    flat["timestamp"] = flat["timestamp"].dt.strftime(_TS_FORMAT)
    if escape:
        for col in flat.columns:
            if flat[col].dtype == "str":
                s = flat[col]
                risky = s.str.contains(FORMULA_CELL, regex=True).fillna(False)
                flat[col] = s.where(~risky, "'" + s)
    if not parts:
        out.parent.mkdir(parents=True, exist_ok=True)
        flat.to_csv(out, index=False, encoding="utf-8", lineterminator="\r\n")
        return [out]
    files = []
    _replace_folder(out)
    for key, group in flat.groupby(parts, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        # the value percent-encoded, as pyarrow writes Hive folders: a host named "../../x" stays inside ``out``
        folder = out.joinpath(*(f"{c}={quote(str(v), safe='')}" for c, v in zip(parts, key, strict=True)))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "part-0.csv"
        group.drop(columns=parts).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
        files.append(path)
    return files


def _parquet(flat: pd.DataFrame, out: Path, parts: list[str]) -> list[Path]:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(flat, preserve_index=False)
    if not parts:
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out, compression="zstd")
        return [out]
    _replace_folder(out)
    schema = pa.schema([table.schema.field(c) for c in parts])
    written: list[Path] = []
    ds.write_dataset(
        table,
        out,
        format="parquet",
        partitioning=ds.partitioning(schema, flavor="hive"),
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        basename_template="part-{i}.parquet",
        existing_data_behavior="overwrite_or_ignore",
        file_visitor=lambda f: written.append(Path(f.path)),
    )
    return sorted(written)


def _parquet_s3(flat: pd.DataFrame, url: str, parts: list[str], endpoint_url: str | None) -> list[str]:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    fsys, root = filesystem(url, endpoint_url)
    table = pa.Table.from_pandas(flat, preserve_index=False)
    if not parts:
        pq.write_table(table, root, filesystem=fsys, compression="zstd")
        return [url]
    written: list[str] = []
    ds.write_dataset(
        table,
        root,
        filesystem=fsys,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([table.schema.field(c) for c in parts]), flavor="hive"),
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        basename_template="part-{i}.parquet",
        existing_data_behavior="delete_matching",  # a partition written again replaces its earlier export
        file_visitor=lambda f: written.append(f"s3://{f.path}"),
    )
    return sorted(written)


def _replace_folder(out: Path) -> None:
    """A partitioned export replaces an earlier export at ``out``, never anything else."""
    if out.is_file():
        raise ExportError(f"{out} is a file: a partitioned export writes a folder")
    if out.is_dir() and any(out.iterdir()):
        stray = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith("part-")]
        if stray:
            raise ExportError(
                f"{out} holds files that are not an earlier export (e.g. {stray[0]}); choose an empty or new folder"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
