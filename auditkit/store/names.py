"""The names of the files kept beside a trail: archived segments, the seal log; which file is which.

Standard library only. One home for each rule, used by custody (verify, seals, segments), shipping and S3 sync.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: An archived segment: ``<stem>.<first seq>-<last seq>.jsonl`` (``.gz`` once compressed).
SEGMENT_NAME = re.compile(r"^(?P<stem>.+)\.(?P<first>\d{10})-(?P<last>\d{10})\.jsonl(?P<gz>\.gz)?$")
#: A seal log, plain or gzipped: records that describe a trail, never a trail itself.
SEAL_LOG_SUFFIXES = (".seals.jsonl", ".seals.jsonl.gz")


def active_trail(path: str | os.PathLike[str]) -> Path:
    """The active trail a segment belongs to (``audit-trail.<first>-<last>.jsonl.gz`` -> ``audit-trail.jsonl``).

    Any other path is returned as it is.
    """
    p = Path(path)
    m = SEGMENT_NAME.match(p.name)
    return p.with_name(f"{m['stem']}.jsonl") if m else p


def seal_log_path(trail: str | os.PathLike[str]) -> Path:
    """Where a trail's seals go by default: ``audit-trail.jsonl`` -> ``audit-trail.seals.jsonl``.

    Archived segments (``audit-trail.<first>-<last>.jsonl.gz``) share their trail's seal log.
    """
    p = active_trail(trail)
    return p.with_name(f"{p.name.removesuffix('.gz').removesuffix('.jsonl')}.seals.jsonl")


#: What makes a folder an evidence pack (:mod:`auditkit.custody.packs`): its signed list of files.
PACK_MANIFEST = "manifest.json"


def is_pack(path: str | os.PathLike[str]) -> bool:
    """A folder holding ``manifest.json``: an evidence pack for ``auditkit verify``."""
    return Path(path).is_dir() and (Path(path) / PACK_MANIFEST).is_file()


def is_seal_log(path: str | os.PathLike[str]) -> bool:
    """A seal log (``audit-trail.seals.jsonl``, gzipped or not), by its name."""
    return Path(path).name.endswith(SEAL_LOG_SUFFIXES)
