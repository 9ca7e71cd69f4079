"""Verify trails: hash chain, sequence, time order, crash remnants, and signed seals.

One streaming pass per file, in blocks of 1 MiB. A clean block is checked in bulk (one hash per
record, everything else on fixed slices joined, in C: see :func:`_summarize`; a large plain file in
ranges of 1 MiB, shared between this process and forked workers: see :func:`_verify_parallel`); a
block with anything off is walked line by line, which names each problem and its line.
``benchmarks/verify.py`` prints the time beside ``openssl dgst -sha256`` of the same file. Rotated and
gzipped segments of one trail are checked as one chain. The seal and anchor code (and cryptography)
load only when there are seals, a key or TSA roots to check; orjson only for a first line that is not plain
JSON (:func:`auditkit.store.files.json_value`), dataclasses only when asked about a report (``_Record``).

Findings of severity ``error`` mean the trail is not intact (``VerifyReport.intact`` is False);
``warning`` findings (a partial line left by a crash, a clock step back, records after the last
seal) are reported but do not.
"""

from __future__ import annotations

import glob
import hashlib
import os
import struct
from array import array
from binascii import hexlify
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from itertools import chain as _chained
from itertools import repeat
from operator import itemgetter
from pathlib import Path

from auditkit.errors import ChainBroken, TrailFormatError
from auditkit.store.files import GZIP_ERRORS, PathLike, expand, first_record, is_gzip, json_value, open_lines
from auditkit.store.names import active_trail, is_seal_log, seal_log_path
from auditkit.store.parallel import cpus, in_order, line_ranges
from auditkit.trail import appender, config, provenance
from auditkit.trail import format as tf
from auditkit.trail.appender import pending_spills

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: typing costs a command's start-up ~2 ms
if TYPE_CHECKING:
    from dataclasses import Field
    from typing import Any, ClassVar

    from auditkit.custody.seals import Verifier

ERROR, WARNING = "error", "warning"
_PREFIX = tf.RECORD_PREFIX
_PREV_OPEN = tf.PREV_OPEN
_HASH_OPEN, _TAIL, _AT = tf.HASH_OPEN, tf.HASH_TAIL, tf.HASH_AT  # the record's closing hash member
_MAX_FINDINGS = 200
_INT64_MAX = (1 << 63) - 1  # no writer numbers past it: a seq beyond is a forged line
_DIGEST, _UPDATE = type(hashlib.sha256()).digest, type(hashlib.sha256()).update  # the methods, for map()


class _Record:
    """A plain class that is a dataclass to :mod:`dataclasses` (``fields``, ``asdict``, ``replace``, ``is_dataclass``)
    without importing it at start-up: ``dataclasses`` loads ``inspect`` (~6 ms of every ``auditkit verify``). Each
    subclass lists its fields in ``_FIELDS`` as (name, annotation, default), the default a value, a factory
    (``list``, ``dict``, a function) or ``_REQUIRED``; ``__init__``, ``__repr__`` and ``__eq__`` are what
    ``@dataclass`` writes, and ``__dataclass_fields__`` is made, from an equivalent dataclass, when asked for."""

    _FIELDS: ClassVar[tuple[tuple[str, str, object], ...]] = ()
    __hash__ = None  # type: ignore[assignment]  # as @dataclass(eq=True): mutable, so unhashable

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.__match_args__ = tuple(name for name, _, _ in cls._FIELDS)  # as @dataclass sets it, from the one list

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name, _, _ in self._FIELDS)

    def __repr__(self) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name, _, _ in self._FIELDS)
        return f"{type(self).__qualname__}({inside})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]  # the same class: a _Record

    class _DataclassFields:
        """``__dataclass_fields__``, made on first use (only by code that asks ``dataclasses`` about the class)."""

        def __get__(self, obj: object, owner: type[_Record]) -> dict[str, Field[Any]]:
            made = owner.__dict__.get("_made_fields")
            if made is None:
                import dataclasses  # start-up: only a caller of dataclasses.fields()/asdict() on a report needs it

                spec: list = []
                for name, annotation, default in owner._FIELDS:
                    if default is _REQUIRED:
                        spec.append((name, annotation))
                    elif callable(default):
                        spec.append((name, annotation, dataclasses.field(default_factory=default)))
                    else:
                        spec.append((name, annotation, default))
                made = dataclasses.make_dataclass(owner.__name__, spec).__dataclass_fields__
                type.__setattr__(owner, "_made_fields", made)  # kept on the class asked about
            return made

    __dataclass_fields__ = _DataclassFields()


_REQUIRED = object()  # a field without a default, in a _FIELDS table


class Finding(_Record):
    """One thing verify noticed, with where it is."""

    _FIELDS = (
        ("kind", "str", _REQUIRED),
        ("severity", "str", _REQUIRED),
        ("message", "str", _REQUIRED),
        ("file", "str | None", None),
        ("line", "int | None", None),
        ("seq", "int | None", None),
    )

    def __init__(
        self,
        kind: str,
        severity: str,
        message: str,
        file: str | None = None,
        line: int | None = None,
        seq: int | None = None,
    ) -> None:
        self.kind, self.severity, self.message = kind, severity, message
        self.file, self.line, self.seq = file, line, seq

    def __str__(self) -> str:
        where = (f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: ") if self.file else ""
        seq = f"seq {self.seq}: " if self.seq is not None else ""
        return f"{self.severity.upper()} {self.kind}: {where}{seq}{self.message}"


def _no_seals() -> dict:
    return {"logs": [], "checked": 0, "valid": 0, "failed": 0, "latest": None}


class VerifyReport(_Record):
    """What ``verify`` checked and found. ``intact`` is True only when no finding is an error.

    ``anchors``: RFC 3161 tokens over the seals (``custody.anchors.check_anchors``'s summary; ``checked`` False
    without roots). ``unchained``: files of a known format without a hash chain (path -> what they are): read, never
    verified. ``provenance``: whether the trails were created by this installation (their starts' keyed marks):
    "checked" (each chain's latest start is marked, or a ``foreign`` error says otherwise) or "unchecked" (no
    installation key here: the chain is checked, its origin is not)."""

    _FIELDS = (
        ("files", "list[str]", list),
        ("records", "int", 0),
        ("bytes", "int", 0),
        ("trails", "dict[str, dict]", dict),
        ("seals", "dict", _no_seals),
        ("anchors", "dict", dict),
        ("findings", "list[Finding]", list),
        ("unchained", "dict[str, str]", dict),
        ("provenance", "str", "unchecked"),
    )

    def __init__(
        self,
        files: list[str] | None = None,
        records: int = 0,
        bytes: int = 0,
        trails: dict[str, dict] | None = None,
        seals: dict | None = None,
        anchors: dict | None = None,
        findings: list[Finding] | None = None,
        unchained: dict[str, str] | None = None,
        provenance: str = "unchecked",
    ) -> None:
        self.files: list[str] = [] if files is None else files
        self.records, self.bytes = records, bytes
        self.trails: dict[str, dict] = {} if trails is None else trails
        self.seals: dict = _no_seals() if seals is None else seals
        self.anchors: dict = {} if anchors is None else anchors
        self.findings: list[Finding] = [] if findings is None else findings
        self.unchained: dict[str, str] = {} if unchained is None else unchained
        self.provenance = provenance

    @property
    def intact(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def first_break(self) -> Finding | None:
        return next((f for f in self.findings if f.severity == ERROR), None)

    def raise_if_broken(self) -> VerifyReport:
        """Raise :class:`ChainBroken` at the first break (or when nothing was checked); return self when intact."""
        b = self.first_break
        if b is not None:
            raise ChainBroken(b.file or "(trails)", b.line or 0, b.seq, f"{b.kind}: {b.message}")
        return self

    def to_dict(self) -> dict:
        from dataclasses import asdict  # start-up: only a report turned into JSON needs it

        out = asdict(self)  # type: ignore[call-overload]  # a dataclass to dataclasses (see _Record)
        out["intact"] = self.intact
        out["first_break"] = asdict(self.first_break) if self.first_break else None  # type: ignore[call-overload]
        return out


class _Chain:
    """The running state of one trail's chain across its segments."""

    def __init__(self, trail_id: str | None, sealed: set[int]) -> None:
        self.trail_id = trail_id
        self.prev_hash: bytes | None = None  # hex of the last record
        self.prev2_hash: bytes | None = None  # hex of the one before
        self.last_seq = -1
        self.last_ts = b""
        self.first_seq: int | None = None
        self.seqs = array("q")  # the seqs of the records walked line by line
        self.runs: list[tuple[int, int]] = []  # (first, last) seq of each block taken whole
        self.sealed = sealed
        self.sealed_hashes: dict[int, str] = {}
        self.files: list[str] = []
        self.retirements: list[dict] = []  # retention's signed statements for this trail

    @property
    def records(self) -> int:
        return len(self.seqs) + sum(last - first + 1 for first, last in self.runs)


def _ts(raw: bytes) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.decode().replace("Z", "+00:00"))
    except ValueError:
        return None


def verify(
    paths: PathLike | list[PathLike],
    *,
    seals: PathLike | list[PathLike] | None = None,
    pubkey: PathLike | None = None,
    tolerance_s: float = 1.0,
    tsa_ca: list[PathLike] | None = None,
    tsa_cert: list[PathLike] | None = None,
    require_anchors: bool = False,
) -> VerifyReport:
    """Check trails (files, folders, globs; segments of one trail as one chain) and their seals.

    ``seals``: seal logs (default: ``<trail>.seals.jsonl`` beside each trail, where present).
    ``pubkey``: the Ed25519 public key or forward-secure commitment (default: ``seal.pub`` beside the seal key).
    ``tolerance_s``: how far a timestamp may step back before it is reported.
    ``tsa_ca``: roots the seals' RFC 3161 tokens must chain to (``tsa_cert``: the TSAs' own certificates, to
    pin them); without it the tokens are counted, not checked. ``require_anchors``: a seal without a valid
    token is an error, not a warning.
    """
    files = [f for f in expand(paths) if not is_seal_log(f)]
    report = VerifyReport(files=[str(f) for f in files])
    all_seals, public, key_file = _load_seals(files, seals, pubkey, report)
    _set_unchained_aside(files, report)  # a transcript or a seed log carries no chain: said so, not called corrupt
    heads = _heads(files)
    chains = _verify_chains(heads, all_seals, report, tolerance_s)
    _check_seals(all_seals, chains, report, public is not None)
    if public is not None:
        _require_seals(all_seals, chains, report, key_file)
    _check_anchor_lines(all_seals, report, tsa_ca, tsa_cert, require_anchors, tolerance_s)
    _check_provenance(heads, report)
    if report.records == 0:
        given = ", ".join(str(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths))
        _add(
            report,
            Finding(
                "no_records",
                ERROR,
                f"no records found in {given or 'the given paths'}: nothing was checked, so nothing is shown intact",
            ),
        )
    _report_spills(files, report)
    order = {ERROR: 0, WARNING: 1}
    report.findings.sort(key=lambda f: (order[f.severity], f.file or "", f.line or 0))
    return report


def _load_seals(
    files: list[Path], seals: PathLike | list[PathLike] | None, pubkey: PathLike | None, report: VerifyReport
) -> tuple[list[dict], Verifier | None, Path]:
    """Every seal of the seal logs given (default: ``<trail>.seals.jsonl`` beside each trail), each with its
    ``log``; the public key (given, or ``seal.pub`` beside the seal key) if there is one; its file."""
    seal_logs = [Path(p) for p in ([seals] if isinstance(seals, (str, Path)) else seals or [])]
    if not seal_logs:
        seal_logs = sorted({seal_log_path(f) for f in files if seal_log_path(f).is_file()})
    key_file = Path(pubkey) if pubkey else Path(config.seal_pubkey_path())
    report.seals["logs"] = [str(p) for p in seal_logs]
    if not (pubkey or seal_logs or key_file.is_file()):
        return [], None, key_file
    from auditkit.custody import seals as sealing  # start-up: cryptography, only with seals or a key to check

    public = sealing.load_verifier(key_file) if pubkey or key_file.is_file() else None
    all_seals = [s | {"log": str(log)} for log in seal_logs for s in sealing.read_seals(log, public)]
    return all_seals, public, key_file


def _set_unchained_aside(files: list[Path], report: VerifyReport) -> None:
    """Take the files in a known log format without a hash chain out of ``files``, with a warning each."""
    for f in list(files):
        kind = unchained_format(f)
        if kind:
            files.remove(f)
            report.unchained[str(f)] = kind
            _add(
                report,
                Finding(
                    "not_chained",
                    WARNING,
                    f"a {kind}, not an auditkit trail: it has no hash chain, so nothing in it can be verified "
                    "(it is read as what it says, not as tamper-evident evidence)",
                    str(f),
                ),
            )


def _heads(files: list[Path]) -> list[tuple[str, int, Path]]:
    """(trail id, first seq, file) of each file, in chain order: segments of one trail together, by first seq."""
    heads = []
    for f in files:
        first = first_record(f) or {}
        tid = tf.trail_id_of(first) if first.get("event") == tf.TRAIL_START else None
        heads.append((tid or f"(unknown: {f})", first.get("seq") if isinstance(first.get("seq"), int) else 0, f))
    heads.sort(key=lambda h: (h[0], h[1], str(h[2])))
    return heads


def _verify_chains(
    heads: list[tuple[str, int, Path]], all_seals: list[dict], report: VerifyReport, tolerance_s: float
) -> dict[str, _Chain]:
    """Walk each trail's segments as one chain (with the seals and retirements that name it), then record
    each trail's span in ``report.trails``."""
    chains: dict[str, _Chain] = {}
    for tid, _, f in heads:
        chain = chains.get(tid)
        if chain is None:
            mine = [s for s in all_seals if s.get("trail_id") == tid and "error" not in s]
            chain = chains[tid] = _Chain(tid, {s["seq"] for s in mine if s.get("type") == tf.SEAL_TYPE})
            chain.retirements = [s for s in mine if s.get("type") == tf.RETIRE_TYPE]
        _verify_file(f, chain, report, tolerance_s)
    for tid, chain in chains.items():
        _reclassify_deletions(chain, report)
        report.trails[tid] = {
            "files": chain.files,
            "first_seq": chain.first_seq,
            "last_seq": chain.last_seq,
            "head_hash": chain.prev_hash.decode("utf-8", "replace") if chain.prev_hash else None,  # as damaged
            "records": chain.records,
        }
    return chains


def _report_spills(files: list[Path], report: VerifyReport) -> None:
    """A warning for each trail with records waiting in its spill folder (not yet in the chain)."""
    for f in files:
        waiting = pending_spills(str(f))
        if waiting:
            _add(
                report,
                Finding(
                    "spilled",
                    WARNING,
                    f"{len(waiting)} record(s) wait in {Path(f).parent / '.spill'}, "
                    "captured while another process held the trail's lock; the next hook call or "
                    "`auditkit archive` adds them to the chain",
                    str(f),
                ),
            )


def _require_seals(seals: list[dict], chains: dict[str, _Chain], report: VerifyReport, key_file: Path) -> None:
    """With a public key (given, or configured beside the seal key) seals are required: a trail no seal covers
    has had its seal log removed (or was never sealed), and a cut inside what was sealed would go unseen."""
    covered = {s.get("trail_id") for s in seals if s.get("type") == tf.SEAL_TYPE and "error" not in s}
    for tid, chain in chains.items():
        if tid not in covered and chain.files:
            _add(
                report,
                Finding(
                    "unsealed",
                    ERROR,
                    f"a public key ({key_file}) means seals are required, but no seal covers this trail: its "
                    "seal log is missing or was removed, so a cut or a rewrite would not show",
                    chain.files[-1],
                ),
            )


def _check_provenance(heads: list[tuple[str, int, Path]], report: VerifyReport) -> None:
    """Were these trails created by this installation? Each chain's files, in order: a file whose start lacks a
    valid mark is vouched for only by a later marked start of the same chain (the kit marks a continuing start
    only for a chain it accepted, or adopted); what no marked start follows is reported ``foreign``. Files the
    hook or ``archive`` set aside beside a trail are reported too. Without the installation key the marks
    cannot be checked, and only the chain is."""
    key = appender.installation_key(create=False)
    for f in sorted({active_trail(f) for _, _, f in heads}):
        aside = provenance.set_aside_trails(str(f)) + [f".spill/{n}" for n in provenance.foreign_spills(str(f))]
        stem = f.name.removesuffix(".gz").removesuffix(".jsonl")
        aside += sorted(p.name for p in f.parent.glob(f"{glob.escape(stem)}.*.jsonl*.foreign"))
        for name in aside:
            _add(
                report,
                Finding(
                    "set_aside",
                    WARNING,
                    f"{name} beside this trail was set aside as not created by this installation (kept as "
                    "evidence, never continued or chained; see the trail's set_aside records)",
                    str(f),
                ),
            )
    if key is None:
        report.provenance = "unchecked"
        return
    report.provenance = "checked"
    pending: list[tuple[Path, str]] = []
    last_tid = None
    for tid, _, f in heads:
        if tid != last_tid:
            _flag_foreign(pending, report)
            pending, last_tid = [], tid
        try:
            first = next((line for line in open_lines(Path(f)) if line.strip()), b"").rstrip(b"\r\n")
        except (TrailFormatError, OSError, *GZIP_ERRORS) as exc:
            pending.append((Path(f), f"unreadable ({exc})"))
            continue
        why = appender.foreign_reason(key, first)
        if why is None:
            pending = []  # a marked start vouches for the chain it continues
        else:
            pending.append((Path(f), why))
    _flag_foreign(pending, report)


def _flag_foreign(pending: list[tuple[Path, str]], report: VerifyReport) -> None:
    """In a project's trail folder (``.claude/logs``), where this installation's hook writes, a trail it did not
    create is an error (planted there); elsewhere (a colleague's trail, samples, an evidence folder) a warning."""
    for f, why in pending:
        _add(
            report,
            Finding(
                "foreign",
                ERROR if config.project_of_trail(str(f)) is not None else WARNING,
                f"not created by this installation: {why}. It may be planted (a repository's own trail), "
                "copied from another machine, or written before auditkit marked trails (`auditkit adopt` it "
                "if it is yours)",
                str(f),
                1,
            ),
        )


_FORMAT_NAMES = {
    "transcript": "Claude Code transcript",
    "seed": "seed-format log (the article's flat JSON lines)",
    "hook_payload": "log of raw hook payloads",
    "codex": "Codex CLI rollout",
    "gemini": "Gemini CLI session",
}


def unchained_format(path: PathLike) -> str | None:
    """What a file is when it is a known log format without a hash chain (a Claude Code transcript, a
    seed-format log, raw hook payloads, a Codex or Gemini session), judged by its first 20 lines; None
    for an auditkit trail and for anything unrecognised (verified as a trail, so damage is reported)."""
    try:
        lines = open_lines(Path(path))
        for n, raw in enumerate(lines):
            if n >= 20:
                break
            try:
                obj = json_value(raw)
            except ValueError:  # what orjson refuses
                if raw.strip():
                    return None
                continue
            if not isinstance(obj, dict):
                return None
            if obj.get("v") == tf.SCHEMA_VERSION and "seq" in obj and "hash" in obj:
                return None
            from auditkit.loading.readers import FORMATS  # start-up: ~15 ms, only for a line that is not a record

            fmt = next((f for f in FORMATS if f.matches(obj)), None)
            if fmt is not None and fmt.NAME in _FORMAT_NAMES:
                return _FORMAT_NAMES[fmt.NAME]
    except (TrailFormatError, OSError, *GZIP_ERRORS):
        return None
    return None


def _add(report: VerifyReport, finding: Finding) -> None:
    if len(report.findings) < _MAX_FINDINGS:
        report.findings.append(finding)


_BLOCK = 1 << 20  # its lines, slices and hashes stay in cache (2 MiB blocks check ~1.5x slower)


def _blocks(path: Path) -> Iterator[tuple[bytes, bool]]:
    """The file in blocks of ~1 MiB of whole lines, each ending with its newline (``True``); the last block
    (``False``) is what follows the file's last newline, if anything does.

    A damaged gzip stream ends the blocks with :class:`TrailFormatError` (its line is filled in by the caller).
    """
    import gzip  # start-up: only a gzipped segment (or a small file) reads through here

    with (gzip.open if is_gzip(path) else open)(path, "rb") as fh:
        pending: list[bytes] = []  # a line longer than a block, in pieces (never copied once per block)
        while chunk := _read_block(fh, path):
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                pending.append(chunk)
                continue
            whole = chunk[:cut] if cut < len(chunk) else chunk
            yield (b"".join([*pending, whole]) if pending else whole), True
            pending = [chunk[cut:]] if cut < len(chunk) else []
        if pending:
            yield b"".join(pending), False


def _read_block(fh, path: Path) -> bytes:
    try:
        return fh.read(_BLOCK)
    except GZIP_ERRORS as exc:
        raise TrailFormatError(str(path), 0, f"the gzip stream is damaged ({exc or type(exc).__name__})") from None


class _Summary:
    """What a clean block says about itself: enough for the caller to check its boundary and move on."""

    __slots__ = ("bytes", "first_prev", "first_seq", "first_ts", "last2", "last_seq", "last_ts", "lines", "sealed")


_TS_OPEN = b',"ts":"'
_HEAD_SEP = _TS_OPEN + _PREFIX  # between one record's seq and the next record's, in the heads joined
_TAIL_SEP = b'"}\n' + _HASH_OPEN  # between one record's hash and the next record's, in the tails joined
_TAIL_OF = itemgetter(slice(-_TAIL - 1, None))  # ,"hash":"<hex>"}\n (of a line with its newline)
_BODY = itemgetter(slice(None, -_TAIL - 1))  # the canonical bytes but their closing "}"
_LINK = len(_PREV_OPEN) + tf.HASH_HEX_LEN  # ","prev":"<hex>
_LAST3 = [b"%03d" % i for i in range(1000)]


def _summarize(data: bytes, sealed: set[int]) -> _Summary | None:
    """Check a block of whole lines in bulk: every record well formed, its hash right, linked to the one
    before, numbered in sequence and in time order. Returns a summary, or None when anything is off
    or unusual (the caller then walks the block line by line, which says what and where).

    It takes only what the line walk (:func:`_walk_lines`) would take without a finding, reading the same bytes
    at the same places: the seq is the text between ``{"v":1,"seq":`` and the first comma, the timestamp and
    ``prev`` sit at fixed offsets after it, the stated hash in the line's last bytes, and the hash is over the
    line without its ``,"hash":…`` member, closed with ``}``. Nothing is parsed as JSON (the walk does not
    either). Per record, Python does only what cannot be done on the whole block, in C-level ``map`` calls
    rather than a loop: hash the canonical bytes and cut a few fixed slices. Each kind of slice, joined, is
    compared with what it must be, made for the whole block at once from the hashes computed (``hexlify`` with a
    comma between them, the comma then replaced by what separates them in the file) and the seqs as text. This
    is stricter than the walk (the seq as ``str(int)`` writes it, lowercase hex, ``"}`` and a newline at the
    end): anything it does not accept is walked, never passed.
    """
    if not data.endswith(b"\n"):
        return None
    lines = BytesIO(data).readlines()  # split after each b"\n" with memchr (bytes.split looks at every byte)
    n = len(lines)
    tails = b"".join(map(_TAIL_OF, lines))
    first = lines[0]
    j = first.find(b",", tf.SEQ_AT, tf.SEQ_END_MAX)
    if len(tails) != (_TAIL + 1) * n or j < 0 or not first[tf.SEQ_AT : j].isdigit() or len(first) < j + tf.PREV_END:
        return None  # a line too short for its ,"hash":"<hex>"}\n (each slice is at most that long), or no seq
    hashing = list(map(hashlib.sha256, map(_BODY, lines)))
    deque(map(_UPDATE, hashing, repeat(b"}")), 0)  # the closing brace fed on, not concatenated (a copy fewer)
    digests = b"".join(map(_DIGEST, hashing))
    hashes = hexlify(digests, b",", 32)  # lowercase hex, as the walk's hexdigest(); a comma between records
    if tails != _HASH_OPEN + hashes.replace(b",", _TAIL_SEP) + b'"}\n':
        return None  # a hash that does not match (or in capitals), or a line not closed by ,"hash":"<hex>"}\n
    s0 = int(first[tf.SEQ_AT : j])
    first_prev = first[j + tf.PREV_AT : j + tf.PREV_END]
    before = hashes[: 65 * (n - 1) - 1].replace(b",", _PREV_OPEN)  # each record's hash, as the next one's prev
    links = _PREV_OPEN + first_prev + (_PREV_OPEN + before if n > 1 else b"")
    stamps = _check_heads(lines, s0, links)
    if stamps is None or sorted(stamps) != stamps:  # in time order (a sorted run is one pass, in C)
        return None
    out = _Summary()
    out.first_prev, out.first_seq, out.first_ts = first_prev, s0, stamps[0]
    out.last2 = [hashes[65 * i : 65 * i + 64] for i in range(max(0, n - 2), n)]
    out.last_seq, out.last_ts = s0 + n - 1, stamps[-1]
    out.lines, out.bytes = n, len(data)
    out.sealed = {q: hashes[65 * (q - s0) : 65 * (q - s0) + 64].decode() for q in sealed if s0 <= q < s0 + n}
    return out


def _check_heads(lines: list[bytes], s0: int, links: bytes) -> list[bytes] | None:
    """Each record's head, in runs of one seq width (the records must be numbered s0, s0 + 1, ..., one digit
    wider at 10, 100...): ``{"v":1,"seq":<seq>,"ts":"`` and, after the timestamp, its row of ``links``
    (``","prev":"<hash>``). Returns the timestamps, or None when anything is off."""
    n = len(lines)
    stamps: list[bytes] = []
    at, seq = 0, s0
    while at < n:
        w = len(str(seq))
        if w > 19 or seq + (n - at) - 1 > _INT64_MAX:
            return None  # past 64 bits: the walk says so
        end = min(n, at + 10**w - seq)
        part = lines if end - at == n else lines[at:end]
        j = tf.SEQ_AT + w
        joined = b"".join(map(itemgetter(slice(j + tf.PREV_END)), part))  # each record up to the end of its prev
        if len(joined) != (j + tf.PREV_END) * (end - at):
            return None  # a line shorter than that
        cut = _head_fields(joined, j, end - at)  # head, time, link, head, time, link...
        if b"".join(cut[0::3]) != _heads_text(seq, end - at):
            return None
        if b"".join(cut[2::3]) != (links if end - at == n else links[_LINK * at : _LINK * end]):
            return None
        stamps += cut[1::3]
        at, seq = end, seq + end - at
    return stamps


_ROWS = 64  # records cut per struct call (one compiled layout per seq width and count, reused by every block)
_LAYOUTS: dict[tuple[int, int], struct.Struct] = {}


def _head_fields(joined: bytes, j: int, count: int) -> list[bytes]:
    """``count`` records' starts (``j + PREV_END`` bytes each, the seq's comma at ``j``), joined, cut in C into
    ``{"v":1,"seq":<seq>,"ts":"``, the timestamp and ``","prev":"<hash>`` each: one slice of each line, not three."""
    width, (full, rest) = j + tf.PREV_END, divmod(count, _ROWS)
    out: list[bytes] = []
    if full:
        out += _chained.from_iterable(_layout(j, _ROWS).iter_unpack(memoryview(joined)[: full * _ROWS * width]))
    if rest:
        out += _layout(j, rest).unpack_from(joined, full * _ROWS * width)
    return out


def _layout(j: int, rows: int) -> struct.Struct:
    layout = _LAYOUTS.get((j, rows))
    if layout is None:
        row = f"{j + tf.TS_AT}s{tf.TS_END - tf.TS_AT}s{tf.PREV_END - tf.TS_END}s"
        layout = _LAYOUTS[j, rows] = struct.Struct("<" + row * rows)
    return layout


def _heads_text(first: int, count: int) -> bytes:
    """What the heads of the records numbered ``first``, ``first + 1``, ... must read, joined: ``{"v":1,"seq":``,
    the number, ``,"ts":"`` each; made a thousand numbers at a time from their last three digits."""
    end, s, parts = first + count, first, []
    if s < 1000:
        parts.append(_HEAD_SEP.join(map(b"%d".__mod__, range(s, min(end, 1000)))))
        s = min(end, 1000)
    while s < end:
        high, low = divmod(s, 1000)
        upto = min(end, (high + 1) * 1000)
        digits = b"%d" % high
        parts.append(digits + (_HEAD_SEP + digits).join(_LAST3[low : low + upto - s]))
        s = upto
    return _PREFIX + _HEAD_SEP.join(parts) + _TS_OPEN


def _summarize_range(fd: int, start: int, end: int, sealed: set[int]) -> _Summary | None:
    """Read one byte range of a plain trail (whole lines) from ``fd`` and summarize it (``pread``: one system call,
    the descriptor shared with forked workers, whose reads move no shared offset)."""
    return _summarize(os.pread(fd, end - start, start), sealed)


def _ranges(path: Path, size: int, block: int) -> list[tuple[int, int]]:
    """The file in ranges of whole lines, its first line alone (a segment's first record is checked on its
    own, line by line)."""
    with open(path, "rb") as fh:
        first = len(fh.readline())
    return ([(0, first)] if first else []) + line_ranges(path, size, block, start=first)


_PARALLEL_MIN = 16 << 20  # below this, starting workers costs more than it saves
_RANGE = 1 << 20  # a parallel check's unit of work: small, so that the last ones even out the load


class _FileWalk:
    """The per-file state of the walk, with the chain's running state kept in plain attributes."""

    def __init__(self, name: str, chain: _Chain) -> None:
        self.name, self.chain = name, chain
        self.offset = self.line_no = self.records = 0
        self.pending_bad: tuple[int, int, int] | None = None  # (line, offset, length) of an unreadable line
        self.first = True

    def fast_forward(self, summary: _Summary) -> bool:
        """Take a clean block whole, if it continues the chain exactly; False otherwise."""
        c = self.chain
        if (
            self.first
            or self.pending_bad is not None
            or summary.first_prev != c.prev_hash
            or summary.first_seq != c.last_seq + 1
            or summary.first_ts < c.last_ts
        ):
            return False
        c.runs.append((summary.first_seq, summary.last_seq))
        c.sealed_hashes.update(summary.sealed)
        c.prev2_hash = summary.last2[0] if len(summary.last2) > 1 else c.prev_hash
        c.prev_hash, c.last_seq, c.last_ts = summary.last2[-1], summary.last_seq, summary.last_ts
        self.records += summary.lines
        self.line_no += summary.lines
        self.offset += summary.bytes
        return True


def _verify_file(path: Path, chain: _Chain, report: VerifyReport, tolerance_s: float) -> None:
    walk = _FileWalk(str(path), chain)
    chain.files.append(walk.name)
    size = path.stat().st_size
    gz = is_gzip(path)
    workers = cpus()
    if not gz and size >= _PARALLEL_MIN and workers > 1:
        _verify_parallel(path, _ranges(path, size, _RANGE), workers, walk, report, tolerance_s)
    else:
        try:
            for data, terminated in _blocks(path):
                if walk.first and terminated:  # the segment's first record is checked on its own
                    cut = data.index(b"\n") + 1
                    _walk_block(data[:cut], walk, report, tolerance_s)
                    data = data[cut:]
                summary = _summarize(data, chain.sealed) if data and not walk.first else None
                if summary is None or not walk.fast_forward(summary):
                    _walk_block(data, walk, report, tolerance_s)
        except TrailFormatError as exc:
            _add(
                report,
                Finding(
                    "damaged_file",
                    ERROR,
                    f"{exc.reason}: records after line {walk.line_no} cannot be read",
                    walk.name,
                    walk.line_no + 1,
                ),
            )
    report.records += walk.records
    report.bytes += walk.offset
    if walk.pending_bad is not None:
        bad_line, bad_offset, length = walk.pending_bad
        if walk.offset == bad_offset + length:  # the very end, with no newline: a write still cut short
            _add(
                report,
                Finding(
                    "partial_line",
                    WARNING,
                    f"the last {length} bytes are a partial record: a write cut "
                    "short (the next append continues the chain after it)",
                    walk.name,
                    bad_line,
                ),
            )
        else:
            _add(
                report,
                Finding("corrupt", ERROR, "a line that is not a record, at the end of the trail", walk.name, bad_line),
            )


def _verify_parallel(
    path: Path, ranges: list[tuple[int, int]], workers: int, walk: _FileWalk, report: VerifyReport, tolerance_s: float
) -> None:
    """Check a large plain file's ranges in this process and forked workers (:func:`auditkit.store.parallel.in_order`:
    no one idles, and a worker that dies costs only time); each summary is taken in order."""
    sealed = walk.chain.sealed
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        summaries = in_order(len(ranges), lambda i: _summarize_range(fd, *ranges[i], sealed), workers)
        for (a, b), summary in zip(ranges, summaries, strict=True):
            if summary is None or not walk.fast_forward(summary):
                _walk_block(os.pread(fd, b - a, a), walk, report, tolerance_s)  # the same file the workers read
    finally:
        os.close(fd)


def _walk_block(data: bytes, walk: _FileWalk, report: VerifyReport, tolerance_s: float) -> None:
    """Walk a block's lines one by one; a block that does not end with a newline ends with a partial line."""
    lines = data.split(b"\n")
    rest = lines.pop()  # b"" unless the block ends without a newline
    if rest:
        lines.append(rest)
    _walk_lines(lines, walk, report, tolerance_s)
    if rest:
        walk.offset -= 1  # the final line has no newline


def _walk_lines(lines: list[bytes], walk: _FileWalk, report: VerifyReport, tolerance_s: float) -> None:
    """The slow path: one line at a time, saying exactly what is wrong and where."""
    name, chain = walk.name, walk.chain
    sha = hashlib.sha256
    for raw in lines:
        walk.line_no += 1
        line_no = walk.line_no
        n = len(raw)
        start = walk.offset
        walk.offset += n + 1
        j = raw.find(b",", tf.SEQ_AT, tf.SEQ_END_MAX)
        if (
            j < 0
            or raw[j + tf.TS_END : j + tf.PREV_AT] != _PREV_OPEN
            or raw[n - _TAIL : n - _AT] != _HASH_OPEN
            or not raw.startswith(_PREFIX)
            or raw[n - 2 :] != b'"}'
        ):
            if raw.strip():
                walk.pending_bad = _unreadable(name, line_no, start, raw, report, walk.pending_bad)
            continue
        try:
            seq = int(raw[tf.SEQ_AT : j])
            if not -_INT64_MAX - 1 <= seq <= _INT64_MAX:
                raise ValueError("seq past 64 bits")  # no writer makes one: a forged line, not a record
        except ValueError:
            walk.pending_bad = _unreadable(name, line_no, start, raw, report, walk.pending_bad)
            continue
        h = sha(raw[: n - _TAIL])
        h.update(b"}")
        stated = raw[n - _AT : n - 2]
        prev = raw[j + tf.PREV_AT : j + tf.PREV_END]
        ts = raw[j + tf.TS_AT : j + tf.TS_END]
        valid = h.hexdigest().encode() == stated
        walk.records += 1
        chain.seqs.append(seq)
        if seq in chain.sealed:
            chain.sealed_hashes[seq] = stated.decode("utf-8", "replace")  # damaged bytes: no seal matches
        if walk.pending_bad is not None:
            _judge_unreadable(name, walk.pending_bad, raw, report)
            walk.pending_bad = None
        if walk.first:
            walk.first = False
            _check_segment_start(name, line_no, raw, seq, prev, valid, chain, report)
        elif not valid:
            _add(
                report,
                Finding(
                    "edited",
                    ERROR,
                    "the record's bytes do not match its hash: it was changed after it was written",
                    name,
                    line_no,
                    seq,
                ),
            )
        elif prev != chain.prev_hash:
            _classify_break(name, line_no, seq, prev, stated, chain, report)
        elif seq != chain.last_seq + 1:
            _add(
                report,
                Finding(
                    "gap", ERROR, f"the chain links, but seq jumps from {chain.last_seq} to {seq}", name, line_no, seq
                ),
            )
        if ts < chain.last_ts:
            _time_back(name, line_no, seq, chain.last_ts, ts, tolerance_s, report)
        if chain.first_seq is None:
            chain.first_seq = seq
        chain.prev2_hash, chain.prev_hash = chain.prev_hash, stated
        chain.last_seq, chain.last_ts = seq, ts


def _time_back(
    name: str, line_no: int, seq: int, last: bytes, ts: bytes, tolerance_s: float, report: VerifyReport
) -> None:
    a, b = _ts(last), _ts(ts)
    if a and b and (a - b).total_seconds() > tolerance_s:
        _add(
            report,
            Finding(
                "time_backwards",
                WARNING,
                f"time steps back {(a - b).total_seconds():.3f} s (from {last.decode()} to {ts.decode()})",
                name,
                line_no,
                seq,
            ),
        )


def _unreadable(
    name: str, line_no: int, start: int, raw: bytes, report: VerifyReport, pending: tuple[int, int, int] | None
) -> tuple[int, int, int]:
    if pending is not None:  # two bad lines in a row: the first one was not a crash remnant
        _add(report, Finding("corrupt", ERROR, "a line that is not a record", name, pending[0]))
    return (line_no, start, len(raw))


def _judge_unreadable(name: str, bad: tuple[int, int, int], next_raw: bytes, report: VerifyReport) -> None:
    """A bad line followed by a record that says it recovered from exactly that line is a crash remnant."""
    line, offset, length = bad
    try:
        recovered = json_value(next_raw).get("recovered") or {}
    except (ValueError, AttributeError):
        recovered = {}
    if recovered.get("at_offset") == offset and recovered.get("torn_bytes") == length:
        _add(
            report,
            Finding(
                "crash_remnant",
                WARNING,
                f"{length} bytes of a write cut short by a crash; the next "
                "record acknowledges them and continues the chain",
                name,
                line,
            ),
        )
    else:
        _add(report, Finding("corrupt", ERROR, "a line that is not a record, in the middle of the trail", name, line))


def _check_segment_start(
    name: str, line_no: int, raw: bytes, seq: int, prev: bytes, valid: bool, chain: _Chain, report: VerifyReport
) -> None:
    def flag(kind: str, severity: str, message: str) -> None:
        _add(report, Finding(kind, severity, message, name, line_no, seq))

    if not valid:
        flag("edited", ERROR, "the record's bytes do not match its hash")
        return
    try:
        rec = json_value(raw)
    except ValueError:
        rec = {}
    data = rec.get("data") if isinstance(rec.get("data"), dict) else {}
    if rec.get("event") != tf.TRAIL_START:
        flag(
            "genesis",
            ERROR,
            "the file does not begin with a trail_start record: its start was removed, or this is not a whole segment",
        )
        return
    previous = data.get("previous_segment")
    if previous is None:
        want = tf.genesis_hash(str(data.get("trail_id")), str(data.get("created"))).encode()
        if prev != want:
            flag("genesis", ERROR, "prev is not the genesis hash of this trail's id and creation time")
        elif chain.prev_hash is not None:
            flag("duplicated", ERROR, "a second trail start for the same trail id")
    elif chain.prev_hash is None:
        named = _segment_name(previous)
        earlier = named or "an earlier segment"
        statement = _retirement_covering(chain, seq, prev)
        if statement is not None:
            flag(
                "retired",
                WARNING,
                f"seq 0..{seq - 1} were deleted by retention on "
                f"{str(statement.get('retired_at'))[:10]} under a {statement.get('policy')} policy, "
                f"as a signed statement in {Path(statement['log']).name}:{statement['line']} says: "
                f"checked from seq {seq}",
            )
        elif named is not None and (Path(name).parent / named).exists():
            flag(
                "starts_mid_trail",
                WARNING,
                f"this segment continues {earlier}, which was not given: checked from seq {seq}",
            )
        else:
            flag(
                "deleted",
                ERROR,
                f"records seq 0..{seq - 1} are missing: {earlier} was deleted, and "
                "no signed retirement statement covers them",
            )
    elif seq > chain.last_seq + 1:
        earlier = _segment_name(previous) or "the segment before this one"
        flag(
            "deleted",
            ERROR,
            f"records seq {chain.last_seq + 1}..{seq - 1} are missing: {earlier} was not given or was cut short",
        )
    elif prev != chain.prev_hash or seq != chain.last_seq + 1:
        flag(
            "replaced",
            ERROR,
            f"this segment does not continue the previous one (seq "
            f"{chain.last_seq}): a segment was altered or replaced",
        )


def _segment_name(previous: object) -> str | None:
    """The earlier segment's file name a ``trail_start`` gives, if it gives one a file beside it could
    have (the record is not signed: anything else, a forger's path or a number, names no file)."""
    name = previous.get("file") if isinstance(previous, dict) else None
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\0" in name:
        return None
    return name


def _retirement_covering(chain: _Chain, seq: int, prev: bytes) -> dict | None:
    """A retirement statement with a valid signature whose segments are exactly seq 0..seq-1, ending at ``prev``."""
    for statement in chain.retirements:
        if statement.get("valid") is not True:
            continue
        ranges = sorted((r["first_seq"], r["last_seq"], r["head_hash"]) for r in statement["retired"])
        expected, ok = 0, True
        for first, last, _ in ranges:
            ok = ok and first == expected and last >= first
            expected = last + 1
        if ok and expected == seq and ranges[-1][2].encode() == prev:
            return statement
    return None


def _classify_break(
    name: str, line_no: int, seq: int, prev: bytes, stated: bytes, chain: _Chain, report: VerifyReport
) -> None:
    last = chain.last_seq
    if seq == last and stated == chain.prev_hash:
        kind, msg = "duplicated", f"the record with seq {seq} appears twice"
    elif seq < last:
        kind, msg = "reordered", f"seq {seq} comes after seq {last}: records were moved"
    elif seq == last and prev == chain.prev2_hash:
        kind, msg = (
            "inserted",
            (f"two records claim seq {seq} and this one links past the other, so the other was inserted"),
        )
        seq = last
        line_no -= 1
    elif seq > last + 1:
        kind, msg = "deleted", f"records seq {last + 1}..{seq - 1} are missing (deleted)"
    else:
        kind, msg = (
            "replaced",
            (f"this record names a different hash for seq {last}: that record was rewritten and its hash recomputed"),
        )
        seq, line_no = last, line_no - 1
    _add(report, Finding(kind, ERROR, msg, name, line_no, seq))


def _reclassify_deletions(chain: _Chain, report: VerifyReport) -> None:
    """A 'deleted' range whose records turn up elsewhere in the trail was reordered, not deleted."""
    deleted = [
        f
        for f in report.findings
        if f.kind == "deleted" and f.file in chain.files and f.seq is not None and f.message.startswith("records seq")
    ]
    if not deleted:
        return
    # each range looked up in the sorted seqs and runs, never walked: a forged seq of 10**15 makes a range that long
    present = sorted(set(chain.seqs))
    for f in deleted:
        lo, hi = (int(x) for x in f.message.split("seq ", 1)[1].split(" ", 1)[0].split(".."))
        at = bisect_left(present, lo)
        if (at < len(present) and present[at] <= hi) or any(a <= hi and lo <= b for a, b in chain.runs):
            f.kind, f.message = "reordered", f"records seq {lo}..{hi} are not where the chain expects them (moved)"


def _check_anchor_lines(
    all_seals: list[dict],
    report: VerifyReport,
    tsa_ca: list[PathLike] | None,
    tsa_cert: list[PathLike] | None,
    required: bool,
    tolerance_s: float,
) -> None:
    """The TSAs' tokens kept in the seal logs (:mod:`auditkit.custody.anchors`), checked offline with the roots."""
    tokens = sum(1 for s in all_seals if s.get("type") == tf.ANCHOR_TYPE)
    configured = Path(config.tsa_roots_path())
    if not tsa_ca and tokens and configured.is_file():
        tsa_ca = [configured]  # the roots the user keeps beside the seal key, like seal.pub
    if not tsa_ca:
        report.anchors = {"tokens": tokens, "checked": False}
        if tokens:
            _add(report, Finding("unchecked_anchors", WARNING, f"{tokens} TSA token(s) not checked: pass --ca ROOT"))
        return
    from auditkit.custody import anchors  # start-up: cryptography and the TSA client, only with tokens and roots

    summary, problems = anchors.check_anchors(all_seals, anchors.Trust.load(tsa_ca, tsa_cert), tolerance_s)
    report.anchors = {**summary, "checked": True}
    for kind, severity, message, log, line in problems:
        _add(report, Finding(kind, severity, message, log, line))
    if summary["unanchored"]:
        _add(
            report,
            Finding(
                "unanchored",
                ERROR if required else WARNING,
                f"{summary['unanchored']} seal(s) have no valid TSA token: nothing outside this host dates them "
                "(run auditkit anchor)",
            ),
        )


def _check_epoch(s: dict, epochs: dict[str, tuple[int, int]], report: VerifyReport) -> None:
    """A forward-secure key only moves forward: a line of a seal log signed in an earlier epoch than the line
    before it was signed by a copy of the key kept from before (or restored), not by the key that moved on."""
    epoch = (s.get("fs") or {}).get("epoch") if s.get("valid") else None
    if not isinstance(epoch, int):
        return
    report.seals["forward_secure"] = report.seals.get("forward_secure", 0) + 1
    log = str(s.get("log"))
    before = epochs.get(log)
    if before is not None and epoch < before[1]:
        _add(
            report,
            Finding(
                "seal_epoch",
                ERROR,
                f"signed in epoch {epoch}, after line {before[0]} was signed in epoch {before[1]}: an old copy of "
                "the forward-secure key signed it",
                log,
                s.get("line"),
            ),
        )
    epochs[log] = (s.get("line") or 0, max(epoch, before[1] if before else epoch))


def _check_seals(seals: list[dict], chains: dict[str, _Chain], report: VerifyReport, checked: bool) -> None:
    if not seals:
        return
    if not checked:
        _add(
            report,
            Finding(
                "unchecked_seals",
                WARNING,
                "seals found but no public key given: signatures not checked (pass --pubkey)",
            ),
        )
    latest: dict[str, dict] = {}
    epochs: dict[str, tuple[int, int]] = {}  # seal log -> (line, forward-secure epoch) of its latest signed line
    for s in seals:
        where = (s.get("log"), s.get("line"))
        if "error" in s:
            _add(report, Finding("seal_format", ERROR, f"{s['error']}: the seal log was damaged or edited", *where))
            continue
        if s.get("type") == tf.ANCHOR_TYPE:  # a TSA's token: checked by custody.anchors, chained like the rest
            if not s.get("chained"):
                _add(report, Finding("seal_chain", ERROR, "the anchor does not name the line before it", *where))
            continue
        report.seals["checked"] += 1
        if s.get("valid") is False:
            report.seals["failed"] += 1
            why = s.get("why") or "the signature does not verify"
            _add(
                report,
                Finding(
                    "seal_signature",
                    ERROR,
                    f"{why}: the seal was altered or made with another key",
                    *where,
                ),
            )
            continue
        _check_epoch(s, epochs, report)
        if not s.get("chained"):
            _add(
                report,
                Finding(
                    "seal_chain",
                    ERROR,
                    "the seal does not name the previous seal: a seal was removed or altered",
                    *where,
                ),
            )
        if s.get("valid"):
            report.seals["valid"] += 1
        if s.get("type") != tf.SEAL_TYPE:
            continue  # a retirement statement: checked where a trail's start is missing
        tid, seq = s.get("trail_id"), s.get("seq")
        chain = chains.get(tid)
        if chain is None:
            _add(
                report,
                Finding(
                    "rewritten",
                    ERROR,
                    f"the seal covers trail {tid} up to seq {seq}, but no given file "
                    "holds that trail: it was replaced by another chain, or its files are missing",
                    *where,
                ),
            )
            continue
        if chain.first_seq is not None and seq < chain.first_seq:
            _add(
                report,
                Finding(
                    "seal_before_start",
                    WARNING,
                    f"the seal covers seq {seq}, before this trail's "
                    f"first given record (seq {chain.first_seq}): those segments were retired or "
                    "not given",
                    *where,
                ),
            )
        elif seq > chain.last_seq:
            _add(
                report,
                Finding(
                    "truncated",
                    ERROR,
                    f"the trail ends at seq {chain.last_seq}, but a seal of "
                    f"{s.get('sealed_at')} covers it up to seq {seq}: records were cut off",
                    *where,
                ),
            )
        elif chain.sealed_hashes.get(seq) != s.get("head_hash"):
            _add(
                report,
                Finding(
                    "rewritten",
                    ERROR,
                    f"record seq {seq} does not have the hash sealed at {s.get('sealed_at')}: the trail was rewritten",
                    *where,
                ),
            )
        if tid not in latest or seq >= latest[tid]["seq"]:
            latest[tid] = s
    for tid, s in latest.items():
        chain = chains[tid]
        report.seals["latest"] = {k: s.get(k) for k in ("trail_id", "seq", "head_hash", "sealed_at", "log")}
        after = chain.last_seq - s["seq"]
        if after > 0:
            when = s.get("sealed_at")
            _add(
                report,
                Finding(
                    "unsealed_tail",
                    WARNING,
                    f"{after} record(s) after the latest seal ({when}, seq {s['seq']}) are covered by the chain only",
                ),
            )
