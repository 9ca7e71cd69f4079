"""``auditkit trust``: a project's auditkit files as the user reviews them before approving them.

Each file a project ships (``.claude/auditkit-rules.toml``, ``.claude/auditkit.toml``) is shown with its
sha256, whether it applies now, what stops it from being approved (a rule file that does not load, a
setting out of range) and what is risky in it (regexes shaped for catastrophic backtracking, an allowlist
that never applies). The approvals themselves, and what the hook does with them, are
:mod:`auditkit.trail.trust` (standard library only); this module is the command line's side.
"""

from __future__ import annotations

import os
import tomllib
from hashlib import sha256

from auditkit.custody.retention import checked_age
from auditkit.errors import AuditkitError
from auditkit.trail import config
from auditkit.trail.pii_hook import Policy
from auditkit.trail.redaction import load_rule_file, rule_file_warnings
from auditkit.trail.trust import approve, project_files, read_file, status


def problems(path: str, data: bytes) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a project file as it would be applied: a rule file that does not load, a
    setting out of range; regexes shaped for catastrophic backtracking, an allowlist that never applies."""
    errors: list[str] = []
    warnings: list[str] = []
    if path.endswith(config.PROJECT_RULES_FILE):
        try:
            load_rule_file(path, data)
        except AuditkitError as exc:
            errors.append(str(exc))
        warnings += rule_file_warnings(path, data)
    else:
        try:
            doc = tomllib.loads(data.decode("utf-8"))
            section = doc.get("retention", {})
            if isinstance(section, dict) and section.get("minimum") is not None:
                checked_age(section["minimum"], f"{path}: [retention] minimum")
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, AuditkitError) as exc:
            errors.append(str(exc))
    warnings += pii_warnings(path, data)
    return errors, warnings


def pii_warnings(path: str, data: bytes) -> list[str]:
    """What a project's ``[pii]`` table would change once approved (it can only make handling stricter, but
    a hook that redacts more also hides more: an address in an exfiltrating command becomes a marker)."""
    if b"pii" not in data:
        return []
    p = Policy()
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    if "pii" not in doc:
        return []
    p.merge(doc["pii"], path)
    said = [f"{path}: sets [pii]"]
    if p.hook:
        said.append("the hook would redact e-mail addresses, IBANs and US SSNs in this project's records (kept as "
                    "keyed fingerprints: you could follow them, not read them)")  # fmt: skip
    if p.outbound != "off":
        said.append(f"archive, export, ship and sync would {p.outbound} personal data by default")
    return ["; ".join(said + p.notes) + " (a project can never turn personal-data handling off)"]


class Review:
    """One auditkit file a project ships, as ``auditkit trust`` shows it: its bytes, whether it applies now,
    and what is wrong (``errors``: it cannot be approved) or risky (``warnings``) in it."""

    __slots__ = ("approved", "data", "errors", "path", "said", "warnings")

    def __init__(self, path: str, project: str) -> None:
        self.path = path
        self.data = read_file(path)
        self.approved, self.said = status(path, project, self.data)
        self.errors, self.warnings = (
            problems(path, self.data) if self.data is not None else (["a link or not a regular file"], [])
        )

    @property
    def sha256(self) -> str:
        return sha256(self.data or b"").hexdigest()


def review_project(project: str) -> list[Review]:
    """Each auditkit file the project ships, read once, with its status, errors and warnings."""
    project = os.path.abspath(project)
    return [Review(path, project) for path in project_files(project)]


def trust(project: str, reviews: list[Review] | None = None) -> dict[str, str]:
    """Record the user's approval of the project's files exactly as reviewed (default: as they are now); files
    with errors are not approved. Returns path -> sha256 of each file approved now."""
    project = os.path.abspath(project)
    reviews = review_project(project) if reviews is None else reviews
    done = {}
    for r in reviews:
        if not r.errors and not r.approved and r.data is not None:
            done[r.path] = approve(r.path, project, r.data)
    return done
