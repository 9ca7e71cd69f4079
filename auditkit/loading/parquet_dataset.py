"""Read back what ``auditkit export --format parquet`` wrote: a file, a Hive-partitioned folder, or the
same on S3 (``s3://bucket/prefix``, through pyarrow's S3 file system; ``AWS_ENDPOINT_URL`` names another
endpoint, such as MinIO or a test server). ``auditkit.load()`` reads them like trails."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported when an export is read: load() asks is_dataset() before it imports pandas
    import pandas as pd


def is_dataset(path: object) -> bool:
    """An export: an ``s3://`` URL, a ``.parquet`` file, or a folder holding ``.parquet`` files and no trail."""
    text = str(path)
    if text.startswith("s3://"):
        return True
    p = Path(text).expanduser()
    if p.is_file():
        return p.suffix == ".parquet"
    if p.is_dir():
        files = [f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")]
        return bool(files) and all(f.suffix == ".parquet" for f in files)
    return False


def filesystem(url: str, endpoint_url: str | None = None):
    """(pyarrow file system, path in it) for a local path or an ``s3://`` URL."""
    if not url.startswith("s3://"):
        return None, str(Path(url).expanduser())
    from pyarrow import fs

    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3")
    options: dict = {}
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        options.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
    if region:
        options["region"] = region
    return fs.S3FileSystem(**options), url[5:].rstrip("/")


def read(path: object, endpoint_url: str | None = None) -> pd.DataFrame:
    """The export at ``path`` as a frame with auditkit's columns and types."""
    import pyarrow.dataset as ds

    from auditkit.loading.flat import unflatten  # pandas: only when an export is read (see the top)

    fsys, root = filesystem(str(path), endpoint_url)
    dataset = ds.dataset(root, filesystem=fsys, format="parquet", partitioning="hive")
    flat = dataset.to_table().to_pandas()
    for name in dataset.partitioning.schema.names if dataset.partitioning else []:
        if name in flat.columns:  # export writes a missing partition value as "unknown"
            flat[name] = flat[name].astype("object").where(flat[name].astype("object") != "unknown", None)
    df = unflatten(flat)
    df.attrs["files"] = list(dataset.files)
    return df
