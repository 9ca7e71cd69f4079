"""The verdict a pack opens with: each question it answers, the answer in one sentence at its strength, the
evidence rows behind it (record, seq, file:line), the user prompt that led to them, and what weakens it.

An answer's strength is computed, never asserted: it starts at the strength its finding has on intact,
hash-chained records and drops one step per weakness of its evidence: records at or after a chain break
(edited, deleted or reordered lines make the trail's account of them unreliable), and records only an
unchained input holds (a Claude Code transcript, OTel telemetry: read, never verifiable). Each weakness is
said in a caveat beside the answer, and the integrity status is repeated beside every answer.

Also here: :func:`reconciliation`, which explains every count difference between the events loaded, the
records verified, the records checked for completeness and the events in scope, and states the audit period.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import pandas as pd

from auditkit.analysis.findings import incident as inc
from auditkit.analysis.findings.cost import slowest, time_by
from auditkit.analysis.pricing import cost
from auditkit.analysis.views import tool_calls

#: Strengths, strongest first; a weakness moves an answer one step down (never below the last).
STRENGTHS: tuple[str, ...] = ("strong", "moderate", "weak")
#: The evidence columns of every answer.
EVIDENCE_COLUMNS: tuple[str, ...] = ("record", "seq", "file:line", "timestamp", "session_id", "detail", "caveat")
AFTER_BREAK = "at or after a chain break"
UNVERIFIABLE = "unverifiable input (no hash chain)"


@dataclass
class Answer:
    """One question and its answer. ``strength`` is already weakened by ``caveats``."""

    question: str
    answer: str
    strength: str
    evidence: pd.DataFrame
    prompt: str | None = None
    caveats: list[str] = field(default_factory=list)
    #: every prompt that led to the evidence (one per session it spans); ``prompt`` is the first
    prompts: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    """What a pack opens with: the one-line integrity ``status`` (repeated beside every answer), whether the
    inputs are ``trustworthy``, and the answers."""

    title: str
    status: str
    trustworthy: bool
    answers: list[Answer] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready (for ``record``): evidence as lists of rows."""
        return {
            "title": self.title,
            "status": self.status,
            "trustworthy": self.trustworthy,
            "answers": [
                {
                    "question": a.question,
                    "answer": a.answer,
                    "strength": a.strength,
                    "caveats": a.caveats,
                    "prompt": a.prompt,
                    "prompts": a.prompts,
                    "evidence": [
                        {k: (None if pd.isna(v) else str(v)) for k, v in row.items()}
                        for row in a.evidence.to_dict(orient="records")
                    ],
                }
                for a in self.answers
            ],
        }


def integrity_status(report: object) -> str:
    """The inputs' integrity in one plain-text line (the banner's, and the one beside every answer)."""
    if report is None or not getattr(report, "files", None):
        return "NO INPUTS: nothing was checked"
    unchained = getattr(report, "unchained", {}) or {}
    tail = f"; {len(unchained)} file(s) without a hash chain, not verifiable" if unchained else ""
    b = getattr(report, "first_break", None)
    if b is None:
        return f"INTACT: {getattr(report, 'records', 0):,} records, hash chain verified{tail}"
    return f"NOT INTACT: {b.kind} at {_short(b.file)}:{b.line}{tail}"


def _records(n: int) -> str:
    return f"{n} record" if n == 1 else f"{n} records"


def _short(path: object) -> str:
    """A trail's path as a reader finds it: its last two parts (folder and file)."""
    if not isinstance(path, str):
        return ""
    parts = path.replace("\\", "/").rstrip("/").split("/")
    return "/".join(parts[-2:])


def _breaks(report: object) -> dict[str, int]:
    """File (resolved) -> the first line of its first chain break."""
    out: dict[str, int] = {}
    for f in getattr(report, "findings", []) or []:
        if getattr(f, "severity", None) == "error" and getattr(f, "file", None):
            key = os.path.realpath(f.file)
            line = f.line or 0
            out[key] = min(out.get(key, line), line)
    return out


def evidence_rows(df: pd.DataFrame, rows: pd.DataFrame, report: object = None) -> pd.DataFrame:
    """``rows`` (a slice of ``df``, its index kept) as evidence: record (event and tool), seq, file:line, time,
    session, detail (command or path), and a caveat when the row is at or after a chain break or only an
    unchained input holds it."""
    breaks = _breaks(report)
    unchained = {os.path.realpath(p) for p in (getattr(report, "unchained", {}) or {})}
    out = []
    for r in rows.itertuples(index=False):
        source = getattr(r, "source_file", None)
        line = getattr(r, "source_line", None)
        line = None if line is None or pd.isna(line) else line
        real = os.path.realpath(source) if isinstance(source, str) else ""
        caveat = ""
        if real in breaks and line is not None and line >= breaks[real]:
            caveat = AFTER_BREAK
        elif real in unchained or getattr(r, "source_format", "auditkit") != "auditkit":
            caveat = UNVERIFIABLE
        tool = getattr(r, "tool", None)
        detail = next(
            (v for v in (getattr(r, "command", None), getattr(r, "file_path", None)) if isinstance(v, str)), ""
        )
        seq = getattr(r, "seq", None)
        out.append(
            {
                "record": f"{r.event} {tool}" if isinstance(tool, str) else str(r.event),
                "seq": "" if seq is None or pd.isna(seq) else str(int(seq)),
                "file:line": f"{_short(source)}:{int(line)}" if isinstance(source, str) and line is not None else "",
                "timestamp": r.timestamp,
                "session_id": r.session_id,
                "detail": detail,
                "caveat": caveat,
            }
        )
    return pd.DataFrame(out, columns=list(EVIDENCE_COLUMNS))


def records_of_calls(df: pd.DataFrame, tool_use_ids: object) -> pd.DataFrame:
    """One record per tool call: its last (the outcome: PostToolUse, a failure or a denial), in trail order."""
    ids = {t for t in tool_use_ids if isinstance(t, str)}  # type: ignore[attr-defined]
    rows = df[df["tool_use_id"].isin(ids)]
    return rows.drop_duplicates("tool_use_id", keep="last")


def prompts_before(df: pd.DataFrame, rows: pd.DataFrame) -> list[str]:
    """What the user asked that led to ``rows``: for each row (in time order), the last prompt of its session
    at or before it; each prompt once."""
    asked = df[(df["event"] == "UserPromptSubmit") & df["prompt"].notna()].sort_values("timestamp")
    out: list[str] = []
    for _, row in rows.sort_values("timestamp").iterrows():
        before = asked[(asked["session_id"] == row["session_id"]) & (asked["timestamp"] <= row["timestamp"])]
        if len(before) and str(before["prompt"].iloc[-1]) not in out:
            out.append(str(before["prompt"].iloc[-1]))
    return out


def prompt_before(df: pd.DataFrame, rows: pd.DataFrame) -> str | None:
    """The last user prompt of the session before the first of ``rows``: what the user asked that led to them."""
    found = prompts_before(df, rows.sort_values("timestamp").head(1))
    return found[0] if found else None


def answer(
    question: str,
    sentence: str,
    strength: str,
    df: pd.DataFrame,
    rows: pd.DataFrame,
    report: object,
    prompted: bool = True,
) -> Answer:
    """An :class:`Answer` on ``rows`` of ``df``: its evidence, the prompt behind it (unless ``prompted`` is
    False: the answer is about the trail, not about what an agent was asked), and ``strength`` lowered one
    step for each kind of weakness its evidence has (said in the caveats)."""
    evidence = evidence_rows(df, rows, report)
    caveats = []
    b = getattr(report, "first_break", None)
    if (evidence["caveat"] == AFTER_BREAK).any():
        caveats.append(
            f"rests on {_records(int((evidence['caveat'] == AFTER_BREAK).sum()))} {AFTER_BREAK}"
            + (f" ({b.kind} at {_short(b.file)}:{b.line}): they may have been edited" if b is not None else "")
        )
    if (evidence["caveat"] == UNVERIFIABLE).any():
        caveats.append(
            f"rests on {_records(int((evidence['caveat'] == UNVERIFIABLE).sum()))} from an {UNVERIFIABLE}"
            " (transcript or telemetry only)"
        )
    if report is not None and not getattr(report, "intact", True) and not caveats:
        caveats.append("the inputs are not intact, though none of this answer's records is after the break")
    level = STRENGTHS.index(strength) if strength in STRENGTHS else len(STRENGTHS) - 1
    level = min(level + sum(1 for c in caveats if c.startswith("rests on")), len(STRENGTHS) - 1)
    prompts = prompts_before(df, rows) if prompted else []
    return Answer(question, sentence, STRENGTHS[level], evidence, prompts[0] if prompts else None, caveats, prompts)


# --- the three packs' verdicts -------------------------------------------------------------------------------


def incident_verdict(
    df: pd.DataFrame, report: object, deleted_path: str = "", max_rows: int = 5, calls: pd.DataFrame | None = None
) -> Verdict:
    """Did the agent delete ``deleted_path`` (when given)? Did it run destructive or risky commands? ``calls``:
    :func:`~auditkit.analysis.findings.incident.pack_calls` of ``df``, made once for the pack."""
    answers = []
    if deleted_path:
        found = inc.was_deleted(df, deleted_path)
        strength = {inc.DELETED_SEEN: "strong", inc.MOVED_AWAY: "strong", inc.DELETED_WITH_FOLDER: "moderate"}
        rows = records_of_calls(df, found["evidence"]["tool_use_id"])
        answers.append(
            answer(
                f"Did the agent delete {found['path']}?",
                f"{found['answer'][:1].upper()}{found['answer'][1:]}"
                + (f" (by `{found['evidence']['command'].iloc[0]}`)." if len(found["evidence"]) else "."),
                strength.get(found["answer"], "moderate"),  # absence in a trail is weaker than a record
                df,
                rows.head(max_rows),
                report,
            )
        )
    risky = inc.risky_commands(df, calls)
    rows = records_of_calls(df, risky["tool_use_id"])
    kinds = ", ".join(sorted(set(risky["risk"])))
    answers.append(
        answer(
            "Did the agent run destructive or risky commands?",
            f"Yes: {len(risky)} risky command(s) ({kinds})." if len(risky) else "None is in the trail.",
            "strong" if len(risky) else "moderate",
            df,
            rows.head(max_rows),
            report,
        )
    )
    return _verdict("Incident", report, answers)


def cost_verdict(df: pd.DataFrame, report: object, max_rows: int = 3, calls: pd.DataFrame | None = None) -> Verdict:
    """Where did the tool time go? What did the tokens cost? ``calls``: as for :func:`incident_verdict`."""
    by_tool = time_by(df, "tool", calls)
    answers = []
    if len(by_tool):
        total = by_tool["total_ms"].sum() / 1000
        lead, lead_s = by_tool.index[0], by_tool["total_ms"].iloc[0] / 1000
        top = slowest(df, max_rows, calls)
        rows = records_of_calls(df, _ids(df, top))
        sentence = f"{total:,.1f} s of tool time; {lead} took {lead_s:,.1f} s of it ({lead_s / total:.0%})."
        answers.append(answer("Where did the tool time go?", sentence, "strong", df, rows.head(max_rows), report))
    else:
        answers.append(
            answer("Where did the tool time go?", "No tool call is in scope.", "moderate", df, df.head(0), report)
        )
    usage_rows = df[df["input_tokens"].notna() | df["output_tokens"].notna()]
    if len(usage_rows):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            total_usd = cost(df, by="model").attrs.get("total_usd") or 0.0
        answers.append(
            answer(
                "What did the tokens cost?",
                f"{money(total_usd)} over {len(usage_rows)} API message(s), priced from their token counts.",
                "strong",
                df,
                usage_rows.head(max_rows),
                report,
            )
        )
    return _verdict("Cost", report, answers)


def replay_verdict(df: pd.DataFrame, report: object, session_id: str | None, max_rows: int = 5) -> Verdict:
    """What did the session do, and which of its steps failed? (The replay pack's questions: the step that
    caused a regression is most often a failed call, or a change to a file.)"""
    if not session_id:
        none = answer("What did the session do?", "No session is in scope.", "moderate", df, df.head(0), report)
        return _verdict("Session replay", report, [none])
    ses = df[df["session_id"] == session_id]
    calls = tool_calls(ses, columns=["tool_use_id", "tool", "status", "start"])
    changed = sorted(set(inc.file_changes(ses)["path"]))
    prompts = ses[ses["event"] == "UserPromptSubmit"]
    files = f"{len(changed)} file(s) changed" + (
        f" ({', '.join(_short(p) for p in changed[:3])}" + (", …)" if len(changed) > 3 else ")") if changed else ""
    )
    did = answer(
        f"What did session {session_id} do?",
        f"{len(prompts)} prompt(s), {len(calls)} tool call(s); {files}.",
        "strong",
        ses,
        prompts.head(max_rows),
        report,
    )
    failed = calls[calls["status"].astype(str) != "ok"]
    kinds = ", ".join(
        sorted({f"{t} {s}" for t, s in zip(failed["tool"].astype(str), failed["status"].astype(str), strict=True)})
    )
    went_wrong = answer(
        "Which of its steps did not succeed?",
        f"{len(failed)} of {len(calls)} call(s): {kinds}." if len(failed) else "Every call it made succeeded.",
        "strong" if len(calls) else "moderate",
        ses,
        records_of_calls(ses, failed["tool_use_id"]).head(max_rows),
        report,
    )
    return _verdict("Session replay", report, [did, went_wrong])


def _ids(df: pd.DataFrame, calls: pd.DataFrame) -> list:
    """The tool_use_ids of calls from :func:`slowest` (which has none): matched on start time and session."""
    pre = df[df["event"] == "PreToolUse"]
    keys = set(zip(calls["start"], calls["session_id"], strict=True))
    return [
        t for ts, s, t in zip(pre["timestamp"], pre["session_id"], pre["tool_use_id"], strict=True) if (ts, s) in keys
    ]


def compliance_verdict(df: pd.DataFrame, report: object, controls: pd.DataFrame, missing: pd.DataFrame) -> Verdict:
    """Is the trail complete? Is it intact? How many controls pass?"""
    answers = []
    if len(missing):
        rows = df.loc[missing.index] if set(missing.index) <= set(df.index) else df.head(0)
        sentence = (
            f"Partial: {_records(len(missing))} of {missing['session_id'].nunique()} session(s) were recorded by "
            "a transcript or telemetry but never by the hook (listed under AU-2/AU-12)."
        )
        answers.append(
            answer("Did the hook record every session and call?", sentence, "strong", df, rows.head(5), report)
        )
    else:
        answers.append(
            answer(
                "Did the hook record every session and call?",
                "Yes, as far as the other inputs given (transcripts, telemetry) show: "
                "none holds a call the hook missed.",
                "moderate",  # only as strong as the other records given
                df,
                df.head(0),
                report,
            )
        )
    b = getattr(report, "first_break", None)
    hook = df[df["source_format"] == "auditkit"]
    if b is None:
        seals = getattr(report, "seals", {}) or {}
        sentence = (
            f"Yes: {getattr(report, 'records', 0):,} records, every hash link checked; "
            f"signed seals valid: {seals.get('valid', 0)} of {seals.get('checked', 0)}."
        )
        rows = hook.drop_duplicates("source_file", keep="last")  # each chain's head: its last record
    else:
        sentence = f"No: {b.kind} at {_short(b.file)}:{b.line}: {b.message}"
        rows = hook[
            hook["source_file"].map(lambda p: os.path.realpath(p) if isinstance(p, str) else "")
            == os.path.realpath(b.file or "")
        ]
        rows = rows[rows["source_line"] >= (b.line or 0)].head(3)
    answers.append(answer("Is the trail intact?", sentence, "strong", df, rows, report, prompted=False))
    counts = controls["result"].value_counts()
    failed = controls[controls["result"].isin(["fail", "partial"])]
    sentence = (
        f"{int(counts.get('pass', 0))} pass, {int(counts.get('partial', 0))} partial, "
        f"{int(counts.get('fail', 0))} fail, "
        f"{int(counts.get('n/a', 0))} not applicable"
        + (f"; not met: {', '.join(failed['control'])}." if len(failed) else ".")
    )
    answers.append(answer("Which controls does the evidence meet?", sentence, "moderate", df, df.head(0), report))
    return _verdict("Compliance", report, answers)


def _verdict(title: str, report: object, answers: list[Answer]) -> Verdict:
    intact = report is not None and bool(getattr(report, "intact", False)) and bool(getattr(report, "files", None))
    return Verdict(title, integrity_status(report), intact, answers)


def money(usd: float | None) -> str:
    """Dollars as a reader wants them: ``$0.0563`` below a dollar (four decimals: sub-cent costs stay visible),
    ``$12.35`` from a dollar up (cents), blank when unknown."""
    if usd is None or pd.isna(usd):
        return ""
    return f"${usd:,.4f}" if abs(usd) < 1 else f"${usd:,.2f}"


# --- reconciliation ------------------------------------------------------------------------------------------


def reconciliation(df: pd.DataFrame, scope: pd.DataFrame, report: object) -> pd.DataFrame:
    """Every count a pack shows, from the events loaded to the events in scope, each with what explains its
    difference from the one before; ``attrs["period"]`` is the audit period (first and last event, UTC)."""
    hook = df["source_format"] == "auditkit"
    starts = int((hook & (df["event"] == "trail_start")).sum())
    problems = len(df.attrs.get("problems", []) or [])
    duplicates = int(df.attrs.get("duplicates", 0) or 0)
    verified = int(getattr(report, "records", 0) or 0)
    other = df[~hook]
    formats = ", ".join(f"{n} {k}" for k, n in other["source_format"].astype(str).value_counts().items() if n) or "none"
    rows = [
        (
            "events loaded",
            len(df),
            f"from {len(df.attrs.get('files', []))} file(s)"
            + (f"; {problems} unreadable line(s) skipped" if problems else "")
            + (f"; {duplicates} duplicate(s) dropped" if duplicates else ""),
        ),
        ("from hash-chained trails", int(hook.sum()), f"the rest ({len(other)}) come from unchained inputs: {formats}"),
        (
            "records verified",
            verified,
            "the chained records verify read"
            + (
                ""
                if verified == int(hook.sum())
                else f" ({verified - int(hook.sum()):+d} against the chained events loaded: "
                "archived segments verify reads, or lines load refused)"
            ),
        ),
        (
            "records checked for completeness (AU-3)",
            int(hook.sum()) - starts,
            f"chained events minus {starts} trail start(s) (bookkeeping records, no session)",
        ),
        (
            "events in scope",
            len(scope),
            "every event loaded"
            if len(scope) == len(df)
            else f"{len(df) - len(scope)} event(s) outside the window or session asked for",
        ),
    ]
    out = pd.DataFrame(rows, columns=["count", "value", "explanation"])
    ts = scope["timestamp"].dropna() if len(scope) else df["timestamp"].dropna()
    out.attrs["period"] = (
        {"first": ts.min().isoformat(), "last": ts.max().isoformat(), "time_zone": "UTC"} if len(ts) else None
    )
    return out
