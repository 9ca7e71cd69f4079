"""auditkit's exceptions, each naming the file and line it is about.

AuditkitError
├── TrailFormatError      a line of a trail cannot be read as a record
├── ChainBroken           a trail's hash chain does not verify
└── UnsafePath            a path the kit would write is a link, not a regular file or folder, or not the user's
"""

from __future__ import annotations


class AuditkitError(Exception):
    """Base class of every error auditkit raises on purpose."""


class TrailFormatError(AuditkitError, ValueError):
    """A line cannot be read as a record of any format auditkit knows."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}")


class ChainBroken(AuditkitError):
    """A trail's hash chain does not verify; ``seq`` is the first record that fails."""

    def __init__(self, path: str, line: int, seq: int | None, reason: str) -> None:
        self.path, self.line, self.seq, self.reason = path, line, seq, reason
        super().__init__(f"{path}:{line}: seq {seq}: {reason}")


class UnsafePath(AuditkitError, OSError):
    """A path auditkit would write is a link, not a regular file or folder, or not the user's own."""
