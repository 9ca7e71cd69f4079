"""auditkit: a tamper-evident audit trail of what an AI coding agent did, and tools to investigate it.

Public names load lazily, so the hook can import the standard-library-only modules
(``auditkit.trail_format``, ``auditkit.appender``, ``auditkit.redaction``) without pulling in pandas.
"""

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms

__version__ = "0.1.0"

_EXPORTS = {
    "load": "auditkit.frame",
    "COLUMNS": "auditkit.frame",
    "JSONArray": "auditkit.jsoncolumn",
    "tool_calls": "auditkit.views",
    "summary": "auditkit.views",
    "Redactor": "auditkit.redaction",
    "cost": "auditkit.pricing",
    "token_usage": "auditkit.pricing",
    "archive_transcripts": "auditkit.transcripts",
    "reconcile": "auditkit.transcripts",
    "replay": "auditkit.steps",
    "sessions": "auditkit.steps",
    "describe": "auditkit.steps",
    "file_history": "auditkit.versions",
    "Timeline": "auditkit.render",
    "replay_chart": "auditkit.render",
    "time_by_tool_chart": "auditkit.render",
    "explore": "auditkit.explorer",
    "scan": "auditkit.secrets",
    "redact_file": "auditkit.secrets",
    "SecretFinding": "auditkit.secrets",
    "verify": "auditkit.integrity",
    "VerifyReport": "auditkit.integrity",
    "Finding": "auditkit.integrity",
    "keygen": "auditkit.seals",
    "seal": "auditkit.seals",
    "by_host": "auditkit.views",
    "by_agent": "auditkit.views",
    "sql": "auditkit.sqlquery",
    "sql_connection": "auditkit.sqlquery",
    "export": "auditkit.exporting",
    "rotate": "auditkit.segments",
    "adopt": "auditkit.segments",
    "apply_retention": "auditkit.retention",
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
    "ship": "auditkit.shipping",
    "sync": "auditkit.s3sync",
    "window": "auditkit.views",
    "scope": "auditkit.views",
    "session_id_for": "auditkit.views",
    "run_report": "auditkit.evidence",
    "install": "auditkit.installer",
    "make_server": "auditkit.otel",
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
    "adopt",
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
    from auditkit.evidence import run_report
    from auditkit.explorer import explore
    from auditkit.exporting import export
    from auditkit.frame import COLUMNS, load
    from auditkit.installer import doctor, install, uninstall
    from auditkit.integrity import Finding, VerifyReport, verify
    from auditkit.jsoncolumn import JSONArray
    from auditkit.otel import make_server
    from auditkit.pricing import cost, token_usage
    from auditkit.redaction import Redactor
    from auditkit.render import Timeline, replay_chart, time_by_tool_chart
    from auditkit.retention import apply_retention
    from auditkit.s3sync import sync
    from auditkit.seals import keygen, seal
    from auditkit.secrets import SecretFinding, redact_file, scan
    from auditkit.segments import adopt, rotate
    from auditkit.shipping import ship
    from auditkit.sqlquery import sql, sql_connection
    from auditkit.steps import describe, replay, sessions
    from auditkit.transcripts import archive_transcripts, reconcile
    from auditkit.versions import file_history
    from auditkit.views import by_agent, by_host, scope, session_id_for, summary, tool_calls, window


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
