"""The questions the investigation notebooks ask, as pure functions on a loaded frame, one module per investigation.

- :mod:`auditkit.analysis.findings.incident`: what ran in a window, risky commands, failures, deletions, writes outside
  the project;
- :mod:`auditkit.analysis.findings.cost`: where time went, retry loops, redundant re-reads;
- :mod:`auditkit.analysis.findings.compliance`: AU-3 completeness, retention coverage, sensitive writes, file
  permissions, segments, and a checklist mapped to controls.

The notebooks use them as ``from auditkit.analysis import findings as F``; every function is reachable here too.
"""

from auditkit.analysis.findings.compliance import (
    AU3_FIELDS,
    SENSITIVE_PATHS,
    archived_segments,
    checklist,
    field_completeness,
    file_permissions,
    retention_coverage,
    sensitive_writes,
)
from auditkit.analysis.findings.cost import redundant_reads, retry_loops, slowest, time_by
from auditkit.analysis.findings.incident import (
    DELETED_SEEN,
    DELETED_WITH_FOLDER,
    MOVED_AWAY,
    NO_DELETION,
    config_changes,
    deletions,
    failures,
    file_changes,
    in_window,
    outside_project,
    permission_denials,
    risky_commands,
    was_deleted,
)

__all__ = [
    "AU3_FIELDS",
    "DELETED_SEEN",
    "DELETED_WITH_FOLDER",
    "MOVED_AWAY",
    "NO_DELETION",
    "SENSITIVE_PATHS",
    "archived_segments",
    "checklist",
    "config_changes",
    "deletions",
    "failures",
    "field_completeness",
    "file_changes",
    "file_permissions",
    "in_window",
    "outside_project",
    "permission_denials",
    "redundant_reads",
    "retention_coverage",
    "retry_loops",
    "risky_commands",
    "sensitive_writes",
    "slowest",
    "time_by",
    "was_deleted",
]
