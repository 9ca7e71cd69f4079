"""auditkit: a tamper-evident audit trail of what an AI coding agent did, and tools to investigate it.

Public names load lazily, so the hook can import the standard-library-only modules
(``auditkit.trail.format``, ``auditkit.trail.appender``, ``auditkit.trail.redaction``) without pulling in pandas.
"""

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms

__version__ = "0.1.0"

_EXPORTS = {
    "load": "auditkit.loading.frame",
    "COLUMNS": "auditkit.loading.frame",
    "JSONArray": "auditkit.loading.jsoncolumn",
    "tool_calls": "auditkit.analysis.views",
    "summary": "auditkit.analysis.views",
    "Redactor": "auditkit.trail.redaction",
    "cost": "auditkit.analysis.pricing",
    "token_usage": "auditkit.analysis.pricing",
    "archive_transcripts": "auditkit.analysis.transcripts",
    "reconcile": "auditkit.analysis.transcripts",
    "replay": "auditkit.analysis.steps",
    "sessions": "auditkit.analysis.steps",
    "describe": "auditkit.analysis.steps",
    "file_history": "auditkit.analysis.versions",
    "Timeline": "auditkit.present.render",
    "replay_chart": "auditkit.present.render",
    "time_by_tool_chart": "auditkit.present.render",
    "explore": "auditkit.present.explorer",
    "scan": "auditkit.custody.secrets",
    "redact_file": "auditkit.custody.secrets",
    "SecretFinding": "auditkit.custody.secrets",
    "verify": "auditkit.custody.verify",
    "VerifyReport": "auditkit.custody.verify",
    "Finding": "auditkit.custody.verify",
    "keygen": "auditkit.custody.seals",
    "seal": "auditkit.custody.seals",
    "by_host": "auditkit.analysis.views",
    "by_agent": "auditkit.analysis.views",
    "sql": "auditkit.analysis.sqlquery",
    "sql_connection": "auditkit.analysis.sqlquery",
    "export": "auditkit.outbound.exporting",
    "rotate": "auditkit.custody.segments",
    "apply_retention": "auditkit.custody.retention",
    "AuditkitError": "auditkit.errors",
    "TrailFormatError": "auditkit.errors",
    "ChainBroken": "auditkit.errors",
    "UsageError": "auditkit.errors",
    "ConfigError": "auditkit.errors",
    "RuleError": "auditkit.errors",
    "SettingsError": "auditkit.errors",
    "UnsafePath": "auditkit.errors",
    "HookInputError": "auditkit.errors",
    "SealError": "auditkit.errors",
    "ArchiveError": "auditkit.errors",
    "RetentionError": "auditkit.errors",
    "ExportError": "auditkit.errors",
    "ReportError": "auditkit.errors",
    "ShipError": "auditkit.errors",
    "ship": "auditkit.outbound.shipping",
    "sync": "auditkit.outbound.s3sync",
    "window": "auditkit.analysis.views",
    "scope": "auditkit.analysis.views",
    "session_id_for": "auditkit.analysis.views",
    "run_report": "auditkit.present.evidence",
    "install": "auditkit.installer",
    "make_server": "auditkit.outbound.otel",
    "uninstall": "auditkit.installer",
    "doctor": "auditkit.installer",
}

__all__ = [
    "COLUMNS",
    "ArchiveError",
    "AuditkitError",
    "ChainBroken",
    "ConfigError",
    "ExportError",
    "Finding",
    "HookInputError",
    "JSONArray",
    "Redactor",
    "ReportError",
    "RetentionError",
    "RuleError",
    "SealError",
    "SecretFinding",
    "SettingsError",
    "ShipError",
    "Timeline",
    "TrailFormatError",
    "UnsafePath",
    "UsageError",
    "VerifyReport",
    "__version__",
    "apply_retention",
    "archive_transcripts",
    "by_agent",
    "by_host",
    "cost",
    "describe",
    "doctor",
    "explore",
    "export",
    "file_history",
    "install",
    "keygen",
    "load",
    "make_server",
    "reconcile",
    "redact_file",
    "replay",
    "replay_chart",
    "rotate",
    "run_report",
    "scan",
    "scope",
    "seal",
    "session_id_for",
    "sessions",
    "ship",
    "sql",
    "sql_connection",
    "summary",
    "sync",
    "time_by_tool_chart",
    "token_usage",
    "tool_calls",
    "uninstall",
    "verify",
    "window",
]

if TYPE_CHECKING:
    from auditkit.analysis.pricing import cost, token_usage
    from auditkit.analysis.sqlquery import sql, sql_connection
    from auditkit.analysis.steps import describe, replay, sessions
    from auditkit.analysis.transcripts import archive_transcripts, reconcile
    from auditkit.analysis.versions import file_history
    from auditkit.analysis.views import by_agent, by_host, scope, session_id_for, summary, tool_calls, window
    from auditkit.custody.retention import apply_retention
    from auditkit.custody.seals import keygen, seal
    from auditkit.custody.secrets import SecretFinding, redact_file, scan
    from auditkit.custody.segments import rotate
    from auditkit.custody.verify import Finding, VerifyReport, verify
    from auditkit.errors import (
        ArchiveError,
        AuditkitError,
        ChainBroken,
        ConfigError,
        ExportError,
        HookInputError,
        ReportError,
        RetentionError,
        RuleError,
        SealError,
        SettingsError,
        ShipError,
        TrailFormatError,
        UnsafePath,
        UsageError,
    )
    from auditkit.installer import doctor, install, uninstall
    from auditkit.loading.frame import COLUMNS, load
    from auditkit.loading.jsoncolumn import JSONArray
    from auditkit.outbound.exporting import export
    from auditkit.outbound.otel import make_server
    from auditkit.outbound.s3sync import sync
    from auditkit.outbound.shipping import ship
    from auditkit.present.evidence import run_report
    from auditkit.present.explorer import explore
    from auditkit.present.render import Timeline, replay_chart, time_by_tool_chart
    from auditkit.trail.redaction import Redactor


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auditkit' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
