"""``auditkit report``: run an investigation notebook headless and write an evidence pack.

The pack is a folder with the executed notebook, a standalone HTML rendering (charts are inline
SVG, so it reads offline), and ``manifest.json``: the SHA-256 of every input trail, the parameters,
the kit's version, the integrity verification result, the values the notebook recorded, and the
SHA-256 of every output. A notebook that fails raises :class:`ReportError` naming the cell.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from auditkit import __version__
from auditkit.errors import ReportError
from auditkit.notebook import read_results
from auditkit.sources.files import file_sha256

REPORTS = ("incident", "cost", "compliance", "replay")


def notebooks_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "notebooks"
    if not here.is_dir():
        raise ReportError(f"{here}: the notebooks are not here (they ship with the source checkout, not the wheel)")
    return here


def run_report(
    name: str,
    trails: list[str],
    out: str | Path,
    parameters: dict | None = None,
    timeout_s: int = 600,
    force: bool = False,
) -> dict:
    """Execute notebook ``name`` on ``trails`` into ``out``; return the manifest (also written there).

    Parameters are checked against the notebook's parameters cell before anything runs (a misspelled
    name or a value of the wrong type is a :class:`ReportError`). The inputs are verified first, and
    the executed notebook and the HTML open with a header (report, time, kit version, every input with
    its SHA-256, the verify result, the parameters) and a red banner when the inputs are not intact or
    there are none; ``manifest["trustworthy"]`` says which. ``out`` must not hold a pack already,
    unless ``force``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from auditkit.integrity import verify
    from auditkit.sources.files import expand

    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}: choose one of {', '.join(REPORTS)}")
    source = notebooks_dir() / f"{name}.ipynb"
    out = Path(out)
    if (out / "manifest.json").exists() and not force:
        raise ReportError(
            f"{out} holds an evidence pack already (manifest.json): choose another folder, or replace it with --force"
        )
    checked = check_parameters(name, source, parameters or {})
    out.mkdir(parents=True, exist_ok=True)
    inputs = [p.resolve() for p in expand(trails)]
    report = verify(inputs) if inputs else None
    params = {**checked, "trails": [str(Path(t).resolve()) for t in trails], "interactive": False}
    executed = out / f"{name}.ipynb"
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=params,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(source.parent),
            execution_timeout=timeout_s,
            # the kernel's start-up notice about its local TCP ports is noise in a report run
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        raise ReportError(
            f"{name}: cell {exc.cell_index} ({exc.exec_count and f'In [{exc.exec_count}]'}) "
            f"failed: {exc.ename}: {exc.evalue} (the executed notebook is {executed})"
        ) from exc
    seconds = time.perf_counter() - started
    created = datetime.now(UTC).isoformat(timespec="seconds")
    hashed = [{"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in inputs]
    trustworthy = report is not None and report.intact
    _add_header(executed, name, created, hashed, report, params)
    html = out / f"{name}.html"
    _to_html(executed, html, f"auditkit {name} report")
    manifest = {
        "report": name,
        "kit_version": __version__,
        "created": created,
        "seconds": round(seconds, 2),
        "parameters": params,
        "trustworthy": trustworthy,
        "inputs": hashed,
        "verify": {"intact": report.intact, "records": report.records, "first_break": report.to_dict()["first_break"]}
        if report
        else None,
        "results": read_results(executed),
        "outputs": [{"path": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in (executed, html)],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return manifest


_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,), "dict": (dict,)}


def check_parameters(name: str, source: Path, given: dict) -> dict:
    """``given`` checked against the notebook's parameters cell: known names, values of the declared type."""
    import papermill

    declared = papermill.inspect_notebook(str(source))
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


def _add_header(notebook: Path, name: str, created: str, inputs: list[dict], report: object, params: dict) -> None:
    """Open the executed notebook with what an auditor checks first, and a red banner when the inputs fail."""
    import nbformat

    from auditkit.notebook import md

    if report is None:
        verdict = "NO INPUTS: nothing was checked; this report shows nothing"
    elif report.intact:  # type: ignore[attr-defined]
        verdict = f"INTACT: {report.records:,} records, hash chain verified"  # type: ignore[attr-defined]
    else:
        b = report.first_break  # type: ignore[attr-defined]
        verdict = f"NOT INTACT: {b.kind} at {b.file}:{b.line}: {b.message}"
    lines = [
        f"# auditkit {md(name)} report",
        "",
        "| | |",
        "|---|---|",
        f"| generated | {md(created)} |",
        f"| kit version | {md(__version__)} |",
        f"| inputs | {len(inputs)} file(s), SHA-256 below |",
        f"| verify | {md(verdict)} |",
        f"| parameters | {md(json.dumps({k: v for k, v in params.items() if k != 'trails'}))} |",
        "",
    ]
    lines += [f"- {md(i['path'])}: sha256 {md(i['sha256'])} ({i['bytes']:,} bytes)" for i in inputs]
    cells = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    if report is None or not report.intact:  # type: ignore[attr-defined]
        banner = (
            "<div style='background:#cf222e;color:#fff;padding:12px 16px;font-size:18px;font-weight:600'>"
            f"The inputs of this report are not trustworthy: {md(verdict)}. What follows shows them as "
            "recorded, not as what happened.</div>"
        )
        cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells[0:0] = cells
    nbformat.write(nb, str(notebook))


def _to_html(notebook: Path, html: Path, title: str) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": title}})
    html.write_text(body, encoding="utf-8")
