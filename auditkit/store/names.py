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


def is_seal_log(path: str | os.PathLike[str]) -> bool:
    """A seal log (``audit-trail.seals.jsonl``, gzipped or not), by its name."""
    return Path(path).name.endswith(SEAL_LOG_SUFFIXES)
