"""The write side: what the hook runs on every event — the trail format, configuration, private files,
capture, the appender, redaction and its secret rules, and the start-up shims that keep it fast.

May import: the standard library, :mod:`auditkit.errors` (only on a failure path) and itself. Nothing
else: not pandas, pyarrow, duckdb, numpy, orjson or cryptography, and no other auditkit layer (the
``auditkit.trail`` contracts in ``pyproject.toml``; ``tests/test_layers.py`` runs the hook and checks).
Importing this package imports nothing: the hook loads only the modules it needs.
"""
