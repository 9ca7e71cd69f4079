"""Trail files at rest: finding them (``expand``), opening them gzipped or not, their first record, their
digests, compact and exact JSON text, the names of the files kept beside a trail (seal logs,
manifests, segments) and splitting a file into line ranges for parallel readers.

May import: :mod:`auditkit.trail`, :mod:`auditkit.errors`, :mod:`auditkit._version`, the standard library
and orjson. Not pandas: a file is bytes and records here, not a frame.
"""
