"""Sigma's rule levels, lowest first (the command line's ``--level`` choices; no heavy import here)."""

LEVELS = ("informational", "low", "medium", "high", "critical")
