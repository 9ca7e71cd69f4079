"""Every exception auditkit raises on purpose, in one tree; each message names the file, line or value at fault.

    AuditkitError                  base class: catch this to catch them all
    ├── TrailFormatError           a line of a trail cannot be read as a record (path, line, reason)
    ├── ChainBroken                a trail's hash chain does not verify (VerifyReport.raise_if_broken)
    ├── UsageError                 a value given by the user cannot be used: a time, a session prefix, a size
    ├── ConfigError                a settings file or value is wrong
    │   ├── RuleError              a custom redaction rule or allowlist entry (names the file and rule)
    │   └── SettingsError          Claude Code's settings.json cannot be read or changed
    ├── UnsafePath                 a path the kit would write is a link, FIFO or device, or not the user's own
    ├── HookInputError             the event on the hook's stdin is not a JSON object
    ├── SealError                  a seal key or seal cannot be made or read
    ├── AnchorError                a Time-Stamping Authority's token cannot be had, or does not verify
    ├── ArchiveError               a trail cannot be rotated or its archive read
    ├── RetentionError             a retention policy that may not be applied
    ├── ExportError                an export that cannot be written as asked
    ├── ReportError                an evidence pack cannot be made (a notebook failed, a parameter is wrong)
    ├── ShipError                  a receiver (OTLP, Datadog, Splunk, Elasticsearch, S3) refused or cannot be reached
    ├── ReceiveError               a request to the OTLP receiver cannot be read (answered 400 or 415, nothing written)
    ├── IngestError                a source the kit reads from (the Compliance API) refused, or answered unlike itself
    └── MissingExtra               an optional extra is not installed (names the ``pip install 'auditkit[...]'`` line)

Standard library only and free of imports: the hook imports it only when something goes wrong.
UsageError, ConfigError, TrailFormatError, HookInputError and ReceiveError are also ValueErrors, UnsafePath an
OSError, MissingExtra an ImportError.
"""


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


class UsageError(AuditkitError, ValueError):
    """A value given by the user cannot be used: a time that is not one, an ambiguous session prefix, ..."""


class ConfigError(AuditkitError, ValueError):
    """A settings file or value is wrong; the message names the file."""


class RuleError(ConfigError):
    """A custom rule or allowlist entry is invalid; the message names the file and the rule."""


class SettingsError(ConfigError):
    """Claude Code's settings cannot be read or changed safely."""


class UnsafePath(AuditkitError, OSError):
    """A path auditkit would write is a link, not a regular file or folder, or not the user's own."""


class HookInputError(AuditkitError, ValueError):
    """The event on the hook's stdin is not a JSON object."""


class SealError(AuditkitError):
    """A key or seal cannot be made or read; the message says which file and why."""


class AnchorError(AuditkitError):
    """A Time-Stamping Authority did not answer, answered with something that is not a token for the seal sent,
    or a kept token does not verify (imprint, nonce, certificate chain, time)."""


class ArchiveError(AuditkitError):
    """A trail cannot be rotated or its archive read."""


class RetentionError(AuditkitError):
    """A retention policy that may not be applied."""


class ExportError(AuditkitError):
    """An export that cannot be written as asked."""


class ReportError(AuditkitError):
    """An evidence pack cannot be made: a notebook failed, a parameter is wrong, the extra is missing."""


class ShipError(AuditkitError):
    """Records cannot be shipped or copied as asked: a receiver refused them, a bucket is not locked, a cursor
    does not match the trail."""


class ReceiveError(AuditkitError, ValueError):
    """A request to the OTLP receiver cannot be read; the sender is answered with an error, nothing is written."""


class IngestError(AuditkitError):
    """A source the kit ingests from (Anthropic's Compliance API) refused the key, or answered unlike itself."""


class MissingExtra(AuditkitError, ImportError):
    """An optional extra is not installed. The one error of every optional import (boto3, Dask, the notebook
    stack, vl-convert, opentelemetry-proto): its message names the feature, the missing module and the
    ``pip install 'auditkit[extra]'`` line that brings it."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        self.feature, self.extra, self.module = feature, extra, module
        super().__init__(
            f"{feature} needs the {extra} extra ({module} is not installed): pip install 'auditkit[{extra}]'"
        )


#: The optional extras and the top-level modules each brings (``pyproject.toml``'s optional dependencies).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "notebooks": ("altair", "vl_convert", "ipywidgets", "anywidget", "papermill", "nbconvert", "nbformat",
                  "jupyter_client", "jupyter_core", "IPython", "sigma"),
    "detect": ("sigma",),
    "s3": ("boto3", "botocore"),
    "fleet": ("dask", "distributed"),
    "otel": ("opentelemetry",),
    "pii": ("phonenumbers", "schwifty", "stdnum"),
}  # fmt: skip


class extra_import:
    """Around the import of an optional module: a module that is not installed raises :class:`MissingExtra`
    naming ``feature`` and ``extra`` (one behaviour for every optional extra), never a bare
    ``ModuleNotFoundError``::

        with extra_import("replay --html's chart", "notebooks"):
            import altair as alt
    """

    def __init__(self, feature: str, extra: str) -> None:
        self.feature, self.extra = feature, extra

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, ModuleNotFoundError) and not isinstance(exc, MissingExtra):
            raise MissingExtra(self.feature, self.extra, exc.name or str(exc)) from None
