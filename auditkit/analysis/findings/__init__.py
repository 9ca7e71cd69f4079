"""The questions the investigation notebooks ask, as pure functions on a loaded frame, one module per investigation.

- :mod:`auditkit.analysis.findings.incident`: what ran in a window, risky commands, failures, deletions, writes outside
  the project;
- :mod:`auditkit.analysis.findings.cost`: where time went, retry loops, redundant re-reads;
- :mod:`auditkit.analysis.findings.compliance`: AU-3 completeness, retention coverage, sensitive writes, file
  permissions, segments, calls the hook missed (reconciled against transcripts and telemetry), clock order,
  retirement statements, and controls (NIST, SOC 2, ISO 27001, PCI DSS, EU AI Act) each with its evidence;
- :mod:`auditkit.analysis.findings.verdict`: the verdict each pack opens with (questions, answers at their
  strength, evidence rows, the prompt behind them) and the reconciliation of the pack's counts.

The notebooks use them as ``from auditkit.analysis import findings as F``; every function is reachable here too.
"""

from auditkit.analysis.findings.compliance import (
    AU3_FIELDS,
    CANNOT_EVIDENCE,
    MAPPINGS,
    SENSITIVE_PATHS,
    archived_segments,
    checklist,
    clock_order,
    controls,
    field_completeness,
    file_permissions,
    hook_coverage,
    retention_coverage,
    retirement_statements,
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
    pack_calls,
    permission_denials,
    risky_commands,
    was_deleted,
)
from auditkit.analysis.findings.verdict import (
    Answer,
    Verdict,
    compliance_verdict,
    cost_verdict,
    incident_verdict,
    integrity_status,
    reconciliation,
    replay_verdict,
)

__all__ = [
    "AU3_FIELDS",
    "CANNOT_EVIDENCE",
    "DELETED_SEEN",
    "DELETED_WITH_FOLDER",
    "MAPPINGS",
    "MOVED_AWAY",
    "NO_DELETION",
    "SENSITIVE_PATHS",
    "Answer",
    "Verdict",
    "archived_segments",
    "checklist",
    "clock_order",
    "compliance_verdict",
    "config_changes",
    "controls",
    "cost_verdict",
    "deletions",
    "failures",
    "field_completeness",
    "file_changes",
    "file_permissions",
    "hook_coverage",
    "in_window",
    "incident_verdict",
    "integrity_status",
    "outside_project",
    "pack_calls",
    "permission_denials",
    "reconciliation",
    "redundant_reads",
    "replay_verdict",
    "retention_coverage",
    "retirement_statements",
    "retry_loops",
    "risky_commands",
    "sensitive_writes",
    "slowest",
    "time_by",
    "was_deleted",
]
