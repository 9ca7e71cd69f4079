"""auditkit: a tamper-evident audit trail of what an AI coding agent did, and tools to investigate it.

The public API is :data:`_PUBLIC`, listed once: each module with the names it gives. ``__all__`` and the
lazy loader below come from it, so the hook can import the standard-library-only :mod:`auditkit.trail`
without pulling in pandas; the ``TYPE_CHECKING`` imports repeat it for type checkers only, and
``tests/test_exported_members.py`` holds the three equal (and every name importable).

The layers, lowest first (``docs/architecture.md``; enforced by the import-linter contracts in
``pyproject.toml``): :mod:`auditkit.errors` and :mod:`auditkit._version`; :mod:`auditkit.trail` (the hook's
world); :mod:`auditkit.store`; :mod:`auditkit.loading`; :mod:`auditkit.custody`; :mod:`auditkit.analysis`;
``auditkit.detection``; :mod:`auditkit.present` and :mod:`auditkit.outbound`; the face (this package,
:mod:`auditkit.cli`, :mod:`auditkit.installer`, :mod:`auditkit.simulate`).
"""

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms

#: The public API: module -> the names it exports. The one list.
_PUBLIC: dict[str, tuple[str, ...]] = {
    "auditkit._version": ("__version__",),
    "auditkit.errors": (
        "ArchiveError",
        "AuditkitError",
        "ChainBroken",
        "ConfigError",
        "ExportError",
        "HookInputError",
        "MissingExtra",
        "ReceiveError",
        "ReportError",
        "RetentionError",
        "RuleError",
        "SealError",
        "SettingsError",
        "ShipError",
        "TrailFormatError",
        "UnsafePath",
        "UsageError",
    ),
    "auditkit.trail.redaction": ("Redactor",),
    "auditkit.custody.verify": ("Finding", "VerifyReport", "verify"),
    "auditkit.custody.seals": ("keygen", "seal"),
    "auditkit.custody.packs": ("verify_pack",),
    "auditkit.custody.segments": ("adopt", "archive"),
    "auditkit.custody.retention": ("retention",),
    "auditkit.custody.secrets": ("SecretFinding", "redact", "scan"),
    "auditkit.loading.columns": ("COLUMNS",),
    "auditkit.loading.frame": ("load",),
    "auditkit.loading.jsoncolumn": ("JSONArray",),
    "auditkit.loading.usage_scan": ("token_usage",),
    "auditkit.analysis.views": ("by_agent", "by_host", "scope", "session_id_for", "summary", "tool_calls", "window"),
    "auditkit.analysis.steps": ("describe", "replay", "sessions"),
    "auditkit.analysis.conversation": ("conversation",),
    "auditkit.analysis.versions": ("history",),
    "auditkit.analysis.pricing": ("cost",),
    "auditkit.analysis.transcripts": ("archive_transcripts", "reconcile"),
    "auditkit.analysis.sqlquery": ("sql", "sql_connection"),
    "auditkit.detection.engine": ("detect", "load_rules"),
    "auditkit.present.live": ("live",),
    "auditkit.present.render": ("Timeline", "replay_chart", "time_by_tool_chart"),
    "auditkit.present.explorer": ("explore",),
    "auditkit.present.evidence": ("report",),
    "auditkit.present.conversation": ("Conversation", "save_conversation"),
    "auditkit.present.workcopy": ("notebooks", "lab"),
    "auditkit.outbound.exporting": ("export",),
    "auditkit.outbound.shipping": ("ship",),
    "auditkit.outbound.s3sync": ("sync",),
    "auditkit.outbound.otel": ("make_server", "otel_receive"),
    "auditkit.installer": ("doctor", "install", "uninstall"),
    "auditkit.compliance_api": ("ingest",),
    "auditkit.project_review": ("trust", "review_project"),
}

_EXPORTS = {name: module for module, names in _PUBLIC.items() for name in names}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    # `from m import a as a, b as b`, one line per module: explicit re-exports for type checkers
    # isort: off
    from auditkit._version import __version__ as __version__
    from auditkit.analysis.conversation import conversation as conversation
    from auditkit.analysis.pricing import cost as cost
    from auditkit.analysis.sqlquery import sql as sql, sql_connection as sql_connection
    from auditkit.analysis.steps import describe as describe, replay as replay, sessions as sessions
    from auditkit.analysis.transcripts import archive_transcripts as archive_transcripts, reconcile as reconcile
    from auditkit.analysis.versions import history as history
    from auditkit.analysis.views import (
        by_agent as by_agent,
        by_host as by_host,
        scope as scope,
        session_id_for as session_id_for,
        summary as summary,
        tool_calls as tool_calls,
        window as window,
    )
    from auditkit.custody.packs import verify_pack as verify_pack
    from auditkit.custody.retention import retention as retention
    from auditkit.custody.seals import keygen as keygen, seal as seal
    from auditkit.custody.secrets import SecretFinding as SecretFinding, redact as redact, scan as scan
    from auditkit.custody.segments import adopt as adopt, archive as archive
    from auditkit.custody.verify import Finding as Finding, VerifyReport as VerifyReport, verify as verify
    from auditkit.errors import (
        ArchiveError as ArchiveError,
        AuditkitError as AuditkitError,
        ChainBroken as ChainBroken,
        ConfigError as ConfigError,
        ExportError as ExportError,
        HookInputError as HookInputError,
        MissingExtra as MissingExtra,
        ReceiveError as ReceiveError,
        ReportError as ReportError,
        RetentionError as RetentionError,
        RuleError as RuleError,
        SealError as SealError,
        SettingsError as SettingsError,
        ShipError as ShipError,
        TrailFormatError as TrailFormatError,
        UnsafePath as UnsafePath,
        UsageError as UsageError,
    )
    from auditkit.installer import doctor as doctor, install as install, uninstall as uninstall
    from auditkit.loading.columns import COLUMNS as COLUMNS
    from auditkit.loading.frame import load as load
    from auditkit.loading.jsoncolumn import JSONArray as JSONArray
    from auditkit.loading.usage_scan import token_usage as token_usage
    from auditkit.outbound.exporting import export as export
    from auditkit.outbound.otel import make_server as make_server, otel_receive as otel_receive
    from auditkit.outbound.s3sync import sync as sync
    from auditkit.outbound.shipping import ship as ship
    from auditkit.compliance_api import ingest as ingest
    from auditkit.detection.engine import detect as detect, load_rules as load_rules
    from auditkit.present.live import live as live
    from auditkit.present.evidence import report as report
    from auditkit.present.conversation import Conversation as Conversation, save_conversation as save_conversation
    from auditkit.present.workcopy import notebooks as notebooks, lab as lab
    from auditkit.present.explorer import explore as explore
    from auditkit.project_review import trust as trust, review_project as review_project
    from auditkit.present.render import (
        Timeline as Timeline,
        replay_chart as replay_chart,
        time_by_tool_chart as time_by_tool_chart,
    )
    from auditkit.trail.redaction import Redactor as Redactor
    # isort: on


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auditkit' has no attribute {name!r}")
    from importlib import import_module  # only when a public name is first used: the hook never comes here

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
