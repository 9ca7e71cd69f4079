"""``auditkit report``: run an investigation notebook headless and write an evidence pack.

The pack is a folder with the executed notebook, a self-contained HTML page (no script, no request
to any server: charts are SVG images with alt text, code cells hidden, recorded values left to the
manifest), optionally a PDF of that page printed by headless Chromium, and ``manifest.json``: the
SHA-256 of every input trail, the parameters, the kit's version, the integrity verification result,
the values the notebook recorded, and the SHA-256 of every output. A run that fails (a cell, the
kernel, the page) still leaves a pack: what ran, ``error.txt``, and a manifest with ``"status":
"failed"`` naming what failed; then :class:`ReportError` says it in one line.

The notebooks ship inside the wheel (``auditkit/_notebooks``, read through :mod:`importlib.resources`);
a source checkout uses its own ``notebooks/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from auditkit._version import __version__
from auditkit.custody.anchors import custody_statement
from auditkit.custody.packs import FILE_MODE, seal_pack
from auditkit.custody.verify import Finding, VerifyReport, verify
from auditkit.errors import ReportError, extra_import
from auditkit.present.kernel import notebooks_dir, require_notebook_extra
from auditkit.present.notebook import MIME, md, read_results
from auditkit.present.terminal import printable
from auditkit.store.files import expand, file_sha256
from auditkit.trail import pii_hook

REPORTS = ("incident", "cost", "compliance", "replay")


def report(
    name: str,
    trails: list[str],
    out: str | Path,
    parameters: dict | None = None,
    timeout_s: int = 600,
    force: bool = False,
    progress: bool | None = None,
    pdf: bool = False,
    seal_key: str | Path | None = None,
    mode: int = FILE_MODE,
    kernel: Any = None,
) -> dict:
    """Execute notebook ``name`` on ``trails`` into ``out``; return the manifest (also written there).

    Parameters are checked against the notebook's parameters cell before anything runs (a misspelled
    name or a value of the wrong type is a :class:`ReportError`). The inputs are verified first, and
    the executed notebook and the HTML open with a header (report, time, kit version, every input with
    its SHA-256, the verify result, the parameters) and a red banner when the inputs are not intact or
    there are none; ``manifest["trustworthy"]`` says which. ``out`` must not hold a pack already,
    unless ``force``. ``progress`` (default: when stderr is a terminal) shows a bar advancing per cell;
    ``pdf`` also prints the HTML page to ``<name>.pdf`` with headless Chromium. The manifest is signed with
    ``seal_key`` (default: the seal key, when there is one; :mod:`auditkit.custody.packs`), even a failed
    run's; the pack's files get ``mode`` (default 0600) and the folder the matching 0700. ``kernel``: one
    :func:`auditkit.present.kernel.start` started for this report (the CLI starts it before it imports this
    module), stopped here as one started here is; by default one is started here.
    """
    require_notebook_extra()
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}: choose one of {', '.join(REPORTS)}")
    source = notebooks_dir() / f"{name}.ipynb"
    out = Path(out)
    if (out / "manifest.json").exists() and not force:
        raise ReportError(
            f"{out} holds an evidence pack already (manifest.json): choose another folder, or replace it with --force"
        )
    if kernel is None:
        from auditkit.present import kernel as kernels  # start-up: imports jupyter_client, for a report only

        kernel = kernels.start(name)
    before = _stamp(out / "manifest.json")
    try:
        manifest = _run(name, source, trails, out, kernel, parameters, timeout_s, progress, pdf)
    except ReportError:
        if _stamp(out / "manifest.json") not in (None, before):  # a failed run's own pack is signed too
            seal_pack(out, seal_key, mode)
        raise
    finally:
        _stop_kernel(kernel)
    signature = seal_pack(out, seal_key, mode).get("signature")
    return {**manifest, "signature": signature} if signature else manifest


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's identity and change time (None: no file), to tell a manifest this run wrote from an older one."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _stop_kernel(km) -> None:
    from auditkit.present import kernel as kernels  # start-up: imports jupyter_client, for a report only

    kernels.stop(km)


#: papermill's optional handlers of remote notebooks (S3, Azure, GCS, HDFS, GitHub), each imported if its
#: library is installed: a report reads and writes local files only, and pyarrow, boto3 and the rest cost
#: ~0.3 s of every run. Refused while papermill is imported, then let be (this process may want them later).
_REMOTE_IO = ("boto3", "pyarrow", "azure", "gcsfs", "github")


def _papermill():  # -> the papermill module
    """papermill, imported without its handlers of remote notebooks (:data:`_REMOTE_IO`)."""
    refused = [m for m in _REMOTE_IO if m not in sys.modules]
    for module in refused:
        sys.modules[module] = None  # type: ignore[assignment] - None makes the import fail, as if not installed
    try:
        with extra_import("auditkit report", "notebooks"):
            import papermill
    finally:
        for module in refused:
            if sys.modules.get(module, False) is None:
                del sys.modules[module]
    return papermill


def _run(
    name: str,
    source: Path,
    trails: list[str],
    out: Path,
    kernel,
    parameters: dict | None,
    timeout_s: int,
    progress: bool | None,
    pdf: bool,
) -> dict:
    papermill = _papermill()
    PapermillExecutionError = papermill.exceptions.PapermillExecutionError  # loaded with papermill

    checked = check_parameters(name, source, parameters or {})
    if pdf:
        chromium()  # before the run: a missing browser should not cost a long run
    out.mkdir(mode=0o700, parents=True, exist_ok=True)  # private while it runs; seal_pack sets the final mode
    inputs = [p.resolve() for p in expand(trails)]
    report: VerifyReport | None = None  # the notebook's own verification (verify once per pack), read back after it ran
    params = {**checked, "trails": [str(Path(t).resolve()) for t in trails], "interactive": False}
    executed = out / f"{name}.ipynb"
    started = time.perf_counter()
    # while the kernel runs the notebook: the inputs hashed (hashlib lets go of the GIL), and the HTML page's
    # writer made ready
    pool = ThreadPoolExecutor(2)
    hashing = pool.submit(hash_inputs, inputs)
    exporter = pool.submit(html_exporter)
    pool.shutdown(wait=False)
    failed_at = "notebook"
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=params,
            kernel_name="python3",
            # the bar itself is ours: written to the terminal as is (its \r must move the cursor)
            progress_bar={"desc": f"{name} report", "file": getattr(sys.stderr, "_stream", sys.stderr)}
            if (sys.stderr.isatty() if progress is None else progress)
            else False,
            log_output=False,
            request_save_on_cell_execute=False,  # written once at the end: each save re-validates the whole notebook
            cwd=str(source.parent),
            execution_timeout=timeout_s,
            km=kernel,
        )
        seconds = time.perf_counter() - started
        failed_at = "page"
        report = verified(executed, inputs)
        stopping = threading.Thread(target=_stop_kernel, args=(kernel,))  # the kernel's work is done
        stopping.start()
        try:
            hashed = inputs_as_they_are(hashing.result())
            return _pack(name, out, executed, hashed, report, params, seconds, pdf, exporter.result())
        finally:
            stopping.join()
    except Exception as exc:  # whatever failed, the pack says so in its manifest
        if isinstance(exc, PapermillExecutionError):
            cell = f"cell {exc.cell_index} ({exc.exec_count and f'In [{exc.exec_count}]'})"
            what = f"{cell} failed: {exc.ename}: {exc.evalue}"
        else:
            what = f"the {failed_at} failed: {type(exc).__name__}: {exc}"
        error = one_line(f"{name}: {what}")
        if report is None:
            report = _verified_after_failure(executed, inputs)
        _failed_pack(name, out, executed, inputs, report, params, failed_at, error, exc)
        raise ReportError(f"{error} (what ran is in {out}, manifest.json says what failed)") from exc


#: What each notebook records of its verification: the whole report its answers are weighed against, which the
#: header, the banner and the manifest then show (one verification per pack: theirs and the notebook's agree).
VERIFY_RESULT = "verify_report"


def verified(executed: Path, inputs: list[Path]) -> VerifyReport | None:
    """The verification the executed notebook made of ``inputs`` (None when there are none); verified here
    when the notebook recorded none (a notebook cut short)."""
    if not inputs:
        return None
    recorded = read_results(executed).get(VERIFY_RESULT) if executed.is_file() else None
    return report_from_dict(recorded) if isinstance(recorded, dict) else verify(inputs)


def _verified_after_failure(executed: Path, inputs: list[Path]) -> VerifyReport | None:
    """:func:`verified` for a run that failed: whatever else is broken, the failed pack is still written."""
    try:
        return verified(executed, inputs)
    except Exception:  # a notebook cut off mid-write, or inputs verify cannot read: the pack says unchecked
        return None


def report_from_dict(d: dict) -> VerifyReport:
    """A :class:`VerifyReport` back from its ``to_dict()`` (as a notebook records it)."""
    from dataclasses import fields

    names = {f.name for f in fields(VerifyReport)} - {"findings"}
    keys = {f.name for f in fields(Finding)}
    findings = [Finding(**{k: v for k, v in f.items() if k in keys}) for f in d.get("findings") or []]
    return VerifyReport(**{k: v for k, v in d.items() if k in names}, findings=findings)


def one_line(text: str, limit: int = 2000) -> str:
    """An error as one printable line (it may quote hostile data: control characters escaped)."""
    flat = printable(" ".join(str(text).split()))
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _failed_pack(
    name: str,
    out: Path,
    executed: Path,
    inputs: list[Path],
    report: VerifyReport | None,
    params: dict,
    failed_at: str,
    error: str,
    exc: BaseException,
) -> dict:
    """The manifest of a run that failed: what failed and where, the inputs and their hashes, what was
    recorded before the failure, and every file the run left (the partial notebook, ``error.txt`` with
    the whole traceback). Written whatever else is broken."""
    import traceback

    (out / "error.txt").write_text("".join(traceback.format_exception(exc)), encoding="utf-8", errors="replace")
    try:
        results = read_results(executed) if executed.is_file() else {}
    except Exception:  # a notebook cut off mid-write: its results are lost, the failure is not
        results = {}
    results.pop(VERIFY_RESULT, None)  # the manifest's "verify" says it
    hashed = []
    for p in inputs:
        try:
            hashed.append({"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size})
        except OSError as err:
            hashed.append({"path": str(p), "error": one_line(err)})
    outputs = [p for p in sorted(out.iterdir()) if p.is_file() and p.name != "manifest.json"]
    manifest = {
        "report": name,
        "kit_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "failed",
        "failed": failed_at,
        "error": error,
        "parameters": params,
        "trustworthy": False,
        "inputs": hashed,
        "verify": _verify_summary(report),
        "results": results,
        "outputs": [{"path": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in outputs],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return manifest


def _verify_summary(report: VerifyReport | None) -> dict | None:
    if report is None:
        return None
    return {
        "intact": report.intact,
        "records": report.records,
        "first_break": report.to_dict()["first_break"],
        "unchained": report.unchained,
    }


def _state(path: Path) -> tuple[int, int, int]:
    """What tells a file's bytes changed: its inode, size and modification time."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def hash_inputs(inputs: list[Path]) -> list[tuple[dict, tuple[int, int, int]]]:
    """Each input's manifest entry (path, SHA-256, bytes) with its state when it was hashed."""
    out = []
    for p in inputs:
        state = _state(p)
        out.append(({"path": str(p), "sha256": file_sha256(p), "bytes": state[1]}, state))
    return out


def inputs_as_they_are(hashed: list[tuple[dict, tuple[int, int, int]]]) -> list[dict]:
    """The entries of :func:`hash_inputs` (made while the notebook ran), each checked against its file now: one
    that changed since (a trail the hook appends to) is hashed again as it is and marked ``changed_during_run``
    (what the notebook read of it was neither the old bytes nor surely the new)."""
    out = []
    for entry, state in hashed:
        p = Path(entry["path"])
        if _state(p) != state:
            entry = {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size, "changed_during_run": True}
        out.append(entry)
    return out


def _pack(
    name: str,
    out: Path,
    executed: Path,
    hashed: list[dict],
    report: VerifyReport | None,
    params: dict,
    seconds: float,
    pdf: bool,
    exporter: Any,
) -> dict:
    """Header, HTML page (and PDF) and manifest of an executed notebook; ``hashed``: its inputs' entries."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    trustworthy = report is not None and report.intact
    results = read_results(executed)
    results.pop(VERIFY_RESULT, None)  # the manifest's "verify" says it
    pii = pii_hook.policy(os.getcwd()).to_dict()  # the [pii] choice in force, said in the header and manifest
    nb = _add_header(executed, name, created, hashed, report, params, pii)
    html = out / f"{name}.html"
    _to_html(executed, html, f"auditkit {name} report", exporter, nb)
    outputs = [executed, html]
    if pdf:
        outputs.append(print_pdf(html, out / f"{name}.pdf"))
    manifest = {
        "report": name,
        "kit_version": __version__,
        "created": created,
        "status": "ok",
        "seconds": round(seconds, 2),
        "parameters": params,
        "trustworthy": trustworthy,
        "inputs": hashed,
        "verify": _verify_summary(report),
        "pii": pii,
        "results": results,
        "outputs": [{"path": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in outputs],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return manifest


_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,), "dict": (dict,)}


def check_parameters(name: str, source: Path, given: dict) -> dict:
    """``given`` checked against the notebook's parameters cell: known names, values of the declared type."""
    declared = _papermill().inspect_notebook(str(source))
    settable = {k: v for k, v in declared.items() if k not in ("trails", "interactive")}
    for key, value in given.items():
        if key not in settable:
            raise ReportError(f"{name}: no parameter {key!r}; the {name} report takes: {', '.join(settable)}")
        kind = settable[key].get("inferred_type_name") or ""
        want = _TYPES.get(kind)
        if want and (not isinstance(value, want) or (kind in ("int", "float") and isinstance(value, bool))):
            raise ReportError(
                f"{name}: parameter {key!r} must be {kind} ({settable[key].get('help') or ''}), got {value!r}"
            )
    return dict(given)


def _add_header(
    notebook: Path, name: str, created: str, inputs: list[dict], report: object, params: dict, pii: dict | None = None
) -> Any:
    """Put in the executed notebook what an auditor checks first: a red banner (plain text) at the top when
    the inputs fail, and the inputs with their hashes right after the notebook's verdict. Returns the notebook
    as written (an ``nbformat`` node), for the page."""
    import html

    with extra_import("auditkit report", "notebooks"):
        import nbformat

    if report is None:
        verdict = "NO INPUTS: nothing was checked; this report shows nothing"
    elif report.intact:  # type: ignore[attr-defined]
        verdict = f"INTACT: {report.records:,} records, hash chain verified"  # type: ignore[attr-defined]
        if report.unchained:  # type: ignore[attr-defined]
            verdict += f"; {len(report.unchained)} file(s) without a hash chain, not verifiable (marked below)"  # type: ignore[attr-defined]
    else:
        b = report.first_break  # type: ignore[attr-defined]
        verdict = f"NOT INTACT: {b.kind} at {b.file}:{b.line}: {b.message}"
    lines = [
        f"## auditkit {md(name)} report: inputs and run",
        "",
        "| field | value |",
        "|---|---|",
        f"| generated | {md(created)} |",
        f"| kit version | {md(__version__)} |",
        f"| inputs | {len(inputs)} file(s), SHA-256 below |",
        f"| verify | {md(verdict)} |",
        f"| custody | {md(custody_statement(report)) if report is not None else 'nothing verified'} |",
        f"| parameters | {md(json.dumps({k: v for k, v in params.items() if k != 'trails'}))} |",
        f"| personal data | {md(pii_said(pii))} |",
        "",
    ]
    unchained = getattr(report, "unchained", {}) or {}
    lines += [
        f"- {md(i['path'])}: sha256 {md(i['sha256'])} ({i['bytes']:,} bytes)"
        + (f" — **not verifiable**: a {md(unchained[i['path']])}, with no hash chain" if i["path"] in unchained else "")
        + (" — **changed while this pack was made**" if i.get("changed_during_run") else "")
        for i in inputs
    ]
    nb = nbformat.read(str(notebook), as_version=4)
    # the verdict comes first (the notebook's cell tagged "verdict"), then what the notebook puts next to it
    # (the incident's detections); the inputs and their hashes go before the cell tagged "inputs"
    tags = [c.get("metadata", {}).get("tags", []) for c in nb.cells]
    at = next((i for i, t in enumerate(tags) if "inputs" in t), None)
    if at is None:
        at = next((i + 1 for i, t in enumerate(tags) if "verdict" in t), 0)
    nb.cells[at:at] = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    if report is None or not report.intact:  # type: ignore[attr-defined]
        # an HTML block: Markdown is not read inside it, so the status is HTML-escaped, never Markdown-escaped
        banner = (
            "<div class='auditkit-banner' style='background:#cf222e;color:#fff;padding:12px 16px;font-size:18px;"
            f"font-weight:600'>The inputs of this report are not trustworthy: {html.escape(printable(verdict))}. "
            "What follows shows them as recorded, not as what happened.</div>"
        )
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    nbformat.write(nb, str(notebook))
    return nb


def pii_said(pii: dict | None) -> str:
    """The ``[pii]`` policy in one line of a pack's header."""
    if not pii or (not pii.get("hook") and pii.get("outbound", "off") == "off"):
        return "no [pii] policy: personal data is shown as recorded"
    hook = "redacted by the hook (e-mail, IBAN, US SSN)" if pii.get("hook") else "kept by the hook"
    sources = ", ".join(pii.get("sources", []))
    return f"{hook}; outbound (archive, export, ship, sync): {pii.get('outbound', 'off')}; set in {sources}"


def _to_html(notebook: Path, html: Path, title: str, exporter: Any = None, nb: Any = None) -> None:
    """The executed notebook as one self-contained page an auditor reads: code cells and recorded
    values left out (the notebook keeps them), no script and no request to any server, every chart
    an SVG image with its description as alt text. ``exporter``: one from :func:`html_exporter`; ``nb``: the
    notebook as :func:`_add_header` wrote it, when at hand (not read and validated again: ~40 ms of a run)."""
    with extra_import("auditkit report", "notebooks"):
        import nbformat

    if nb is None:
        nb = nbformat.read(str(notebook), as_version=4)
    html.write_text(_page(nb, title, exporter or html_exporter()), "utf-8")


def html_exporter() -> PageWriter:
    """The exporter :func:`_to_html` uses (a :class:`PageWriter`), made and warmed up on a small page (done
    by :func:`_run` in a thread while the kernel runs the notebook)."""
    with extra_import("auditkit report", "notebooks"):
        import nbformat

    exporter = PageWriter()
    v4 = nbformat.v4
    svg = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="  # an empty <svg/>
    warm = v4.new_notebook(
        cells=[
            # an entity: BeautifulSoup builds its table of entities (~40 ms) at the first one it meets
            v4.new_markdown_cell("# warm-up &amp; more\n\n| a |\n|---|\n| 1 |"),
            v4.new_code_cell(outputs=[v4.new_output("display_data", {"text/html": f'<img src="{svg}">'})]),
        ]
    )
    _page(warm, "warm-up", exporter)
    return exporter


class PageWriter:
    """An executed notebook as the evidence page: its Markdown cells rendered, each code cell's outputs (the
    richest form each offers: HTML, Markdown, an SVG or PNG image, else its text), its code left out.

    What nbconvert's HTML exporter with the lab template wrote, less its ~260 KB of JupyterLab CSS and ~0.5 s
    of every run (importing nbconvert, loading its templates): the kit's tables and verdict carry their own
    styles. Markup in a Markdown cell is kept (the kit's cells are written with :func:`md`, which makes data
    inert); every text output is escaped.
    """

    #: What a code cell's output is drawn from, first found first.
    PRIORITY = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain")
    #: The class of each output's box, as JupyterLab names it.
    RENDERED: ClassVar[dict[str, str]] = {
        "text/html": "jp-RenderedHTMLCommon jp-RenderedHTML",
        "text/markdown": "jp-RenderedHTMLCommon jp-RenderedMarkdown",
        "image/svg+xml": "jp-RenderedSVG",
    }

    def __init__(self) -> None:
        import mistune

        self.markdown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])

    def from_notebook_node(self, nb: Any, resources: dict | None = None) -> tuple[str, dict]:
        """The page's HTML (and ``resources``, as nbconvert's exporters return them)."""
        import html as html_lib

        title = html_lib.escape(str(((resources or {}).get("metadata") or {}).get("name") or "notebook"))
        cells = []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                body = self.markdown(cell.source)
                cells.append(
                    f'<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedMarkdown">{body}</div></div>'
                )
            elif cell.cell_type == "code":
                outputs = "".join(self._output(o) for o in cell.get("outputs", []))
                if outputs:
                    cells.append(f'<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea">{outputs}</div></div>')
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_BASE_CSS}</style></head>"
            f'<body><main class="jp-Notebook">{"".join(cells)}</main></body></html>\n'
        )
        return page, resources or {}

    def _output(self, output: Any) -> str:
        """One output, drawn from the richest form it offers."""
        import html as html_lib

        drawn = self._drawn(output)
        if drawn is None:
            return ""
        mime, body = drawn
        kind = self.RENDERED.get(mime, "jp-RenderedImage" if mime.startswith("image/") else "jp-RenderedText")
        return f'<div class="{kind} jp-OutputArea-output" data-mime-type="{html_lib.escape(mime)}">{body}</div>'

    def _drawn(self, output: Any) -> tuple[str, str] | None:
        """(MIME type, HTML) of one output; None when it offers nothing drawable."""
        import base64
        import html as html_lib

        kind = output.get("output_type")
        if kind in ("stream", "error"):
            text = output.get("text", "") if kind == "stream" else "\n".join(output.get("traceback") or [])
            name = output.get("name", "stdout") if kind == "stream" else "stderr"
            return f"application/vnd.jupyter.{name}", f"<pre>{html_lib.escape(_ANSI.sub('', str(text)))}</pre>"
        data = output.get("data") or {}
        mime = next((m for m in self.PRIORITY if m in data), None)
        if mime is None:
            return None
        value = data[mime]
        value = "".join(value) if isinstance(value, list) else str(value)
        if mime == "text/html":
            return mime, value
        if mime == "text/markdown":
            return mime, self.markdown(value)
        if mime == "image/svg+xml":
            return mime, f'<img src="data:image/svg+xml;base64,{base64.b64encode(value.encode()).decode()}">'
        if mime.startswith("image/"):
            return mime, f'<img src="data:{mime};base64,{re.sub(r"[^A-Za-z0-9+/=]", "", value)}">'
        return mime, f"<pre>{html_lib.escape(value)}</pre>"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: The page's own styles (the kit's tables and verdict carry theirs): JupyterLab's reading look, in brief.
_BASE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; line-height: 1.45; color: #1f2328; background: #fff; }
h1 { font-size: 26px; margin: 18px 0 8px; } h2 { font-size: 20px; margin: 16px 0 6px; }
h3 { font-size: 17px; margin: 14px 0 6px; } p { margin: 6px 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
code { background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
pre { background: #f6f8fa; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; }
.jp-RenderedMarkdown table { border-collapse: collapse; margin: 8px 0; }
.jp-RenderedMarkdown th, .jp-RenderedMarkdown td { padding: 3px 8px; text-align: left; vertical-align: top; }
.jp-RenderedMarkdown th { border-bottom: 2px solid #d0d7de; }
tbody tr:nth-child(even) { background: #f6f8fa; }
.jp-OutputArea-output { margin: 4px 0; overflow-x: auto; }
"""


def _page(nb: Any, title: str, exporter: Any) -> str:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if MIME not in o.get("data", {})]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return self_contained(body, title)


_PAGE_CSS = """
body { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
.jp-Cell { padding: 0 !important; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
table.auditkit-table { display: block; overflow-x: auto; max-width: 100%; }
"""


def self_contained(page: str, title: str) -> str:
    """``page`` with every script and external stylesheet removed, a title, and alt text on every
    chart image (an SVG's ``aria-label``, which Vega writes from the chart's ``description``)."""
    import base64
    import html as html_lib
    import re

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.find_all("script"):
        tag.decompose()
    for tag in soup.find_all("link"):
        if re.match(r"(?i)\s*(https?:)?//", tag.get("href") or ""):
            tag.decompose()
    for img in soup.find_all("img"):
        src = img.get("src") or ""
        alt = "a chart"
        if src.startswith("data:image/svg+xml;base64,"):
            svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8", "replace")
            m = re.search(r'aria-label="([^"]*)"', svg[:4000])
            if m:
                alt = html_lib.unescape(m.group(1))
        img["alt"] = alt
    if soup.title is None and soup.head is not None:
        soup.head.append(soup.new_tag("title"))
    if soup.title is not None:
        soup.title.string = title
    if soup.head is not None:
        style = soup.new_tag("style")
        style.string = _PAGE_CSS
        soup.head.append(style)
    return str(soup)


def chromium() -> str:
    """Path of a Chromium or Chrome to print with; :class:`ReportError` when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError("--pdf needs Chromium (Debian: apt-get install chromium); none was found on PATH")


#: Headless Chromium that asks nothing of the network on its own (the browser tests start it so too).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def print_pdf(html: Path, pdf: Path, timeout_s: int = 120) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium, every network request refused."""
    with tempfile.TemporaryDirectory(prefix="auditkit-chromium-") as profile:
        argv = [
            chromium(),
            *CHROMIUM_FLAGS,
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout_s)
    if not pdf.is_file() or pdf.stat().st_size == 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ReportError(f"{pdf}: Chromium did not print the page (exit {proc.returncode}: {tail[0]})")
    return pdf
