"""To other systems: export (CSV, Parquet), shipping to log platforms, S3 sync, the OpenTelemetry
receiver, and fleet-scale reading with Dask.

May import: :mod:`auditkit.detection`, :mod:`auditkit.analysis` and every layer below it. Not
:mod:`auditkit.present` (its sibling) or the face.
"""
