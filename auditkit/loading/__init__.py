"""From files to one frame: the readers per format (:mod:`.readers`), the frame and its columns
(:mod:`.frame`), the columnar fast path (:mod:`.columnar`, DuckDB), exported Parquet read back, nested
values as JSON columns, and the token-usage scan of transcripts.

May import: :mod:`auditkit.store`, :mod:`auditkit.trail`, :mod:`auditkit.errors`, pandas, pyarrow,
duckdb, orjson. Not the layers above (integrity, analysis, detect, present, outbound, the face).
"""
