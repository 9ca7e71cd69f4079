"""The kit's version, in one place below every layer: it imports nothing (pyproject reads it, ``auditkit.__version__``
loads it lazily)."""

__version__ = "0.1.0"
