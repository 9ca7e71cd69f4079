"""Keep Claude Code's transcripts, and check them against the trail.

Claude Code deletes transcripts after ``cleanupPeriodDays`` (30 by default). ``archive_transcripts``
copies them to a kept place: idempotent, verified by SHA-256 after each copy, and never destroying a
copy that is not a prefix of the source (a transcript only grows; anything else is kept beside it).

``reconcile`` lists tool calls the transcripts show but the trail lacks (the hook was not installed
or failed) and the reverse (a transcript deleted, or a call the transcript never got).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from auditkit.analysis.views import tool_calls
from auditkit.store.files import file_sha256
from auditkit.trail import private_files


def default_source() -> Path:
    base = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return Path(base) / "projects"


def default_dest() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "auditkit" / "transcripts"


@dataclass
class ArchiveResult:
    copied: list[str] = field(default_factory=list)  # new in the archive
    updated: list[str] = field(default_factory=list)  # the transcript grew: the copy was extended
    unchanged: list[str] = field(default_factory=list)
    kept_apart: list[str] = field(default_factory=list)  # diverged: the new version sits beside the old


def archive_transcripts(
    source: str | os.PathLike[str] | None = None, dest: str | os.PathLike[str] | None = None
) -> ArchiveResult:
    """Copy every ``*.jsonl`` under ``source`` (default ``~/.claude/projects``) to ``dest``."""
    src_root = Path(source) if source else default_source()
    dst_root = Path(dest) if dest else default_dest()
    if not src_root.is_dir():
        raise FileNotFoundError(f"{src_root}: no such folder (set --source, or CLAUDE_CONFIG_DIR)")
    result = ArchiveResult()
    for src in sorted(src_root.rglob("*.jsonl")):
        rel = src.relative_to(src_root)
        dst = dst_root / rel
        if dst.exists():
            if file_sha256(dst) == file_sha256(src):
                result.unchanged.append(str(rel))
                continue
            size = dst.stat().st_size
            with open(src, "rb") as fh:
                grew = src.stat().st_size > size and hashlib.sha256(fh.read(size)).hexdigest() == file_sha256(dst)
            if not grew:  # never overwrite what is not a prefix of the new version
                digest = file_sha256(src)[:12]
                dst = dst.with_name(f"{dst.stem}.{digest}{dst.suffix}")
                if dst.exists():
                    result.unchanged.append(str(rel))
                    continue
                result.kept_apart.append(str(rel))
            else:
                result.updated.append(str(rel))
        else:
            result.copied.append(str(rel))
        dfd = private_files.open_dir(str(dst.parent))
        try:
            fd, tmp = private_files.temp_in(dfd, dst.name, where=str(dst.parent))
            with open(src, "rb") as fsrc, open(fd, "wb") as fdst:
                shutil.copyfileobj(fsrc, fdst)
            if file_sha256(dst.parent / tmp) != file_sha256(src):  # the source changed under us: try again next run
                os.unlink(tmp, dir_fd=dfd)
                raise OSError(f"{src} changed while it was copied; run archive-transcripts again")
            os.replace(tmp, dst.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        finally:
            os.close(dfd)
    return result


def reconcile(
    trail: pd.DataFrame, transcripts: pd.DataFrame, names: tuple[str, str] = ("trail", "transcripts")
) -> pd.DataFrame:
    """Tool calls only one side has: ``missing_from`` names the side that lacks them (``names``, default
    'trail' and 'transcripts'; for the hook trail against Claude Code's telemetry, say ('trail', 'telemetry'))."""
    a, b = tool_calls(trail), tool_calls(transcripts)
    a = a[a["tool_use_id"].notna()]
    b = b[b["tool_use_id"].notna()]
    ka = set(zip(a["session_id"].astype(str), a["tool_use_id"].astype(str), strict=True))
    kb = set(zip(b["session_id"].astype(str), b["tool_use_id"].astype(str), strict=True))
    cols = ["session_id", "tool_use_id", "tool", "start", "status", "file_path", "command"]
    # a boolean Series, not a list: an empty list would select no columns instead of no rows
    only_b = b[
        pd.Series(
            [k not in ka for k in zip(b["session_id"].astype(str), b["tool_use_id"].astype(str), strict=True)],
            index=b.index,
            dtype=bool,
        )
    ]
    only_a = a[
        pd.Series(
            [k not in kb for k in zip(a["session_id"].astype(str), a["tool_use_id"].astype(str), strict=True)],
            index=a.index,
            dtype=bool,
        )
    ]
    out = pd.concat(
        [only_b[cols].assign(missing_from=names[0]), only_a[cols].assign(missing_from=names[1])], ignore_index=True
    )
    return out.sort_values("start", kind="stable").reset_index(drop=True)
