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
    name: str, trails: list[str], out: str | Path, parameters: dict | None = None, timeout_s: int = 600
) -> dict:
    """Execute notebook ``name`` on ``trails`` into ``out``; return the manifest (also written there)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from auditkit.integrity import verify
    from auditkit.sources.files import expand

    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}: choose one of {', '.join(REPORTS)}")
    source = notebooks_dir() / f"{name}.ipynb"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    inputs = [p.resolve() for p in expand(trails)]
    params = {**(parameters or {}), "trails": [str(Path(t).resolve()) for t in trails], "interactive": False}
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
    html = out / f"{name}.html"
    _to_html(executed, html)
    report = verify(inputs) if inputs else None
    manifest = {
        "report": name,
        "kit_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "parameters": params,
        "inputs": [{"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in inputs],
        "verify": {"intact": report.intact, "records": report.records, "first_break": report.to_dict()["first_break"]}
        if report
        else None,
        "results": read_results(executed),
        "outputs": [{"path": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in (executed, html)],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return manifest


def _to_html(notebook: Path, html: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    html.write_text(body, encoding="utf-8")
