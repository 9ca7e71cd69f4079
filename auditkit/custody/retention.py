"""Retention: delete archived segments older than a policy, but only ones that are sealed and intact.

A segment is deleted only when all of these hold, and each segment's decision says which failed:

- it is an archived segment (the active trail is never touched);
- its newest record is older than the policy;
- a valid signed seal covers its last record, and no seal of the trail fails to verify;
- ``verify`` finds nothing wrong in it, checked as part of the whole chain;
- every older segment is being deleted too, so what remains is one unbroken chain.

Each segment's age and seq range are read from its own records, which ``verify`` checks against
the chain and a valid seal; the manifest is an index, never evidence. Before anything is deleted,
a retirement statement naming the segments (file, seq range, head hash, SHA-256, policy) is signed
with the seal key into the seal log: ``verify`` accepts a trail whose start is missing only under
such a statement. The manifest lists deleted segments under ``retired`` too, as an index.

A policy shorter than the configured minimum is refused:
regulated teams must keep logs for fixed periods (PCI DSS: 12 months; EU AI Act: at least six).
Set the minimum in ``~/.config/auditkit/config.toml`` or ``<project>/.claude/auditkit.toml``::

    [retention]
    minimum = "365d"
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditkit.custody.seals import default_key_path, retire, seal_log_path
from auditkit.custody.segments import (
    ArchiveError,
    Segment,
    archive_lock,
    describe_segment,
    iso_utc,
    parse_age,
    parse_utc,
    read_manifest,
    segment_files,
    write_manifest,
)
from auditkit.custody.verify import ERROR, Finding, verify
from auditkit.errors import RetentionError
from auditkit.store.files import PathLike, first_record
from auditkit.trail import config, private_files, trust
from auditkit.trail import format as tf

#: Used when no minimum is configured: the EU AI Act's "at least six months" (Art. 19, 26(6)).
DEFAULT_MINIMUM = timedelta(days=183)
_SEAL_ERRORS = {"seal_signature", "seal_chain", "rewritten", "truncated"}


@dataclass
class Decision:
    """What retention does with one segment, and why."""

    file: str
    first_seq: int
    last_seq: int
    newest: str
    action: str  # "delete" or "keep"
    reason: str

    def __str__(self) -> str:
        span = f"seq {self.first_seq}..{self.last_seq}, newest {self.newest}"
        return f"{self.action:<6} {self.file}  {span}: {self.reason}"


@dataclass
class RetentionPlan:
    trail: str
    policy: str
    cutoff: str
    minimum: str
    dry_run: bool
    decisions: list[Decision] = field(default_factory=list)
    ignored: str = ""  # project settings left out for want of the user's approval
    deleted: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [
            f"{self.trail}: keep {self.policy} (minimum {self.minimum}); deleting segments whose newest "
            f"record is before {self.cutoff}" + (" [dry run: nothing is deleted]" if self.dry_run else "")
        ]
        if self.ignored:
            lines.append(f"  (ignored: {self.ignored})")
        lines += [f"  {d}" for d in self.decisions] or ["  no archived segments"]
        verb = "would delete" if self.dry_run else "deleted"
        lines.append(
            f"{verb} {sum(d.action == 'delete' for d in self.decisions)} segment(s), kept "
            f"{sum(d.action == 'keep' for d in self.decisions)}; the active trail is never touched"
        )
        return "\n".join(lines)


#: The longest minimum (and so the longest Object Lock ``sync`` sets by default) any settings file may ask for:
#: ten years, past what PCI DSS, HIPAA or SOX ask. A COMPLIANCE lock cannot be shortened, not even by the bucket's
#: owner: a typo or a planted file must not buy a century of storage.
MAX_MINIMUM = timedelta(days=3653)


def checked_age(value: object, where: str) -> timedelta:
    """A settings file's age (``365d``, ``1y``), within one day .. :data:`MAX_MINIMUM`, or a RetentionError naming
    the file; never an overflow."""
    try:
        age = parse_age(str(value))
    except (ValueError, OverflowError) as exc:  # UsageError is a ValueError; 10**20 days overflows timedelta
        raise RetentionError(f"{where}: {value!r} is not an age in range ({exc})") from None
    if not timedelta(days=1) <= age <= MAX_MINIMUM:
        raise RetentionError(
            f"{where}: {value!r} is out of range: use 1d .. {MAX_MINIMUM.days}d (ten years); a longer COMPLIANCE "
            "lock could never be undone"
        )
    return age


def configured_minimum(project: PathLike | None = None) -> tuple[timedelta, str]:
    """The strictest configured minimum and where it comes from (default: six months).

    The user's ``config.toml`` counts; a project's ``.claude/auditkit.toml`` (of the current folder, and of
    ``project``) only once the user approved it with ``auditkit trust`` (a repository's file is not the user's
    choice); an unapproved one is ignored and the source says so.
    """
    import tomllib

    user = Path(config.user_file(config.SETTINGS_FILE))
    projects = [os.getcwd()] + ([str(project)] if project is not None else [])
    candidates = [(user, None)] + [(Path(config.project_file(p, config.PROJECT_SETTINGS_FILE)), p) for p in projects]
    found: list[tuple[timedelta, str]] = []
    ignored: list[str] = []
    for path, proj in dict.fromkeys(candidates):
        if not path.is_file():
            continue
        data = trust.read_file(str(path)) if proj is not None else path.read_bytes()
        if proj is not None:
            ok, said = trust.status(str(path), proj, data)
            if not ok or data is None:
                ignored.append(said)
                continue
        try:
            doc = tomllib.loads((data or b"").decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise RetentionError(f"{path}: {exc}") from exc
        section = doc.get("retention", {})
        value = section.get("minimum") if isinstance(section, dict) else None
        if value is None:
            continue
        found.append((checked_age(value, f"{path}: [retention] minimum"), f"set in {path}"))
    minimum, source = max(found) if found else (DEFAULT_MINIMUM, "the default: the EU AI Act's six months")
    if ignored:
        source += "; ignored: " + "; ".join(ignored)
    return minimum, source


def retention(
    trail: PathLike,
    keep: str | timedelta,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    pubkey: PathLike | None = None,
    seals: PathLike | None = None,
    key: PathLike | None = None,
    minimum: timedelta | None = None,
) -> RetentionPlan:
    """Delete the trail's archived segments older than ``keep`` that are sealed and verify intact.

    Each segment's age and seq range come from its own records, checked by ``verify`` against the
    chain and a valid seal; the manifest is only an index. Before deleting, retention signs a
    retirement statement with the seal key (``key``, default the configured one) in the seal log, so
    that ``verify`` can tell a retired start from a deleted one; without the key nothing is deleted.

    ``dry_run``: decide and report, delete nothing. ``minimum``: refuse shorter policies (default:
    the configured minimum, see the module's docstring). ``pubkey``/``seals`` as for ``verify``.
    """
    trail = Path(trail)
    policy = parse_age(keep) if isinstance(keep, str) else keep
    floor, source = (
        (minimum, "given by the caller")
        if minimum is not None
        else configured_minimum(config.project_of_trail(str(trail)))
    )
    label = keep if isinstance(keep, str) else f"{policy.days}d"
    if policy < floor:
        raise RetentionError(
            f"a policy of {label} is below the minimum of {floor.days}d ({source}); nothing was deleted"
        )
    if not trail.is_file():
        raise RetentionError(f"{trail}: no such trail (give the active trail; its segments are found beside it)")
    key_path = Path(key) if key else default_key_path()
    now = now or datetime.now(UTC)
    cutoff = now - policy
    plan = RetentionPlan(str(trail), label, iso_utc(cutoff), f"{floor.days}d", dry_run)
    plan.ignored = source.partition("; ignored: ")[2]
    with archive_lock(trail):
        files = segment_files(trail)
        seal_log = Path(seals) if seals else seal_log_path(trail)
        report = verify([*files, trail], seals=[seal_log] if seal_log.is_file() else None, pubkey=pubkey)
        broken: dict[str, Finding] = {}  # file name -> its first error
        for f in report.findings:
            if f.severity == ERROR and f.file:
                broken.setdefault(Path(f.file).name, f)
        sealed_upto, seal_problem = _sealed_upto(report, seal_log)
        if not seal_problem and not key_path.is_file():
            seal_problem = f"no seal key at {key_path} to sign the retirement statement (run `auditkit keygen`)"
        holding = False
        doomed: list[tuple[Path, Segment]] = []
        for path in files:
            seg, unreadable = _own_description(path)
            newest = parse_utc(seg.last_ts) if seg else None
            why = None
            if path.name.endswith(".jsonl"):
                why = "not yet compressed: an interrupted rotation (run `auditkit archive` to finish it)"
            elif seg is None:
                why = f"cannot be read: {unreadable}"
            elif path.name in broken:
                first = broken[path.name]
                why = f"verify: {first.kind} at line {first.line}: {first.message}"
            elif newest is None:
                why = "its newest record has no readable time"
            elif newest >= cutoff:
                why = f"younger than the policy ({label})"
            elif seal_problem:
                why = f"not sealed: {seal_problem}"
            elif sealed_upto is None or sealed_upto < seg.last_seq:
                covered = "no valid seal" if sealed_upto is None else f"the latest valid seal covers seq {sealed_upto}"
                why = f"not sealed: {covered}, this segment ends at seq {seg.last_seq}"
            elif holding:
                why = "an older segment is kept, and deleting this one would leave a hole in the chain"
            reason = why or f"older than {label}, sealed (seq {sealed_upto}), verify intact"
            plan.decisions.append(
                Decision(
                    path.name,
                    seg.first_seq if seg else -1,
                    seg.last_seq if seg else -1,
                    (seg.last_ts[:10] if seg else "") or "?",
                    "keep" if why else "delete",
                    reason,
                )
            )
            holding = holding or why is not None
            if not why:
                doomed.append((path, seg))  # type: ignore[arg-type]
        if doomed and not dry_run:
            _retire(trail, doomed, label, seal_log, key_path, now, sealed_upto, plan)
    return plan


def _own_description(path: Path) -> tuple[Segment | None, str | None]:
    """A segment's seq range and times from its own records (never from the manifest)."""
    try:
        return describe_segment(path), None
    except ArchiveError as exc:
        return None, str(exc)


def _retire(
    trail: Path,
    doomed: list[tuple[Path, Segment]],
    label: str,
    seal_log: Path,
    key_path: Path,
    now: datetime,
    sealed_upto: int | None,
    plan: RetentionPlan,
) -> None:
    """Sign the retirement statement first, then delete: a crash in between leaves files the statement names."""
    first = first_record(doomed[0][0]) or {}
    trail_id = tf.trail_id_of(first)
    entries = [
        {
            "file": p.name,
            "first_seq": s.first_seq,
            "last_seq": s.last_seq,
            "head_hash": s.head_hash,
            "last_ts": s.last_ts,
            "records": s.records,
            "sha256": s.sha256,
        }
        for p, s in doomed
    ]
    retire(str(trail_id), entries, label, seal_log, key_path, iso_utc(now))
    manifest = read_manifest(trail)
    for (path, _), entry in zip(doomed, entries, strict=True):
        if not private_files.remove_own_file(str(path)):
            raise RetentionError(f"{path}: not a regular file of this user any more; it was not deleted")
        plan.deleted.append(path.name)
        manifest.segments = [s for s in manifest.segments if s.file != path.name]
        manifest.retired.append({**entry, "deleted_at": iso_utc(now), "policy": label, "sealed_by_seq": sealed_upto})
    write_manifest(trail, manifest)


def _sealed_upto(report, seal_log: Path) -> tuple[int | None, str | None]:
    """The highest seq a valid seal covers, or a reason no seal can be trusted."""
    bad = [f for f in report.findings if f.severity == ERROR and f.kind in _SEAL_ERRORS]
    if bad:
        return None, f"{bad[0].kind}: {bad[0].message}"
    if not seal_log.is_file():
        return None, f"no seal log ({seal_log.name}); seal the trail with a key first"
    if report.seals["checked"] and not report.seals["valid"]:
        return None, "the seals' signatures were not checked (no public key: pass --pubkey)"
    latest = report.seals.get("latest") or {}
    return latest.get("seq"), None
