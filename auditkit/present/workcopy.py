"""Notebooks used by a person run from a working copy, never from the templates.

JupyterLab saves what it shows (autosave, every two minutes): opened in the package or the checkout,
a template would keep its outputs and edits, and ``auditkit report`` would run the edited file.
``auditkit lab [DIR]`` (or ``auditkit notebooks --copy DIR``) copies the templates to a working folder
and starts JupyterLab there, rooted in it: the templates are not inside the folder it serves, so no save
can reach them. ``auditkit report`` and papermill runs read :func:`auditkit.present.evidence.notebooks_dir`,
the pristine templates, whatever the working copies hold.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from auditkit.errors import UsageError
from auditkit.present.evidence import notebooks_dir

#: The working folder when none is named: beside the user's other auditkit files.
DEFAULT_DIR = "auditkit-notebooks"


def _samples() -> Path | None:
    samples = notebooks_dir().parent / "sample_logs"
    return samples if samples.is_dir() else None


def notebooks(dest: str | os.PathLike[str], force: bool = False) -> list[Path]:
    """Copy every template notebook into ``dest`` (made 0700 if new) and return the copies. A copy that is
    there already is kept (it holds the user's work) unless ``force``. A template's default ``trails``
    of ``../sample_logs`` is made absolute, so the copy still finds the samples. ``dest`` may not be the
    templates' own folder or inside it."""
    source = notebooks_dir().resolve()
    dest = Path(dest).expanduser().resolve()
    if dest == source or dest.is_relative_to(source):
        raise UsageError(f"{dest}: the working copy must be outside the templates' folder {source}")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    samples = _samples()
    copied = []
    for template in sorted(source.glob("*.ipynb")):
        target = dest / template.name
        if target.exists() and not force:
            continue
        text = template.read_text(encoding="utf-8")
        if samples is not None:  # the parameters cell's default, as JSON inside the notebook's JSON
            text = text.replace(json.dumps('"../sample_logs"')[1:-1], json.dumps(json.dumps(str(samples)))[1:-1])
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        copied.append(target)
    return copied


def lab_command(dest: Path, browser: bool = True) -> list[str]:
    """The JupyterLab command rooted at the working copy (only it is served)."""
    if shutil.which("jupyter-lab") is None and not _has_jupyterlab():
        raise UsageError("auditkit lab needs JupyterLab: pip install 'auditkit[notebooks]'")
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={dest}"]
    return argv if browser else [*argv, "--no-browser"]


def _has_jupyterlab() -> bool:
    from importlib.util import find_spec  # only when JupyterLab is about to start

    return find_spec("jupyterlab") is not None


def start_lab(dest: str | os.PathLike[str], browser: bool = True) -> int:
    """Run JupyterLab on the working copy until it stops; its exit status."""
    root = Path(dest).expanduser().resolve()
    return subprocess.call(lab_command(root, browser), cwd=root)


def lab(
    dest: str | os.PathLike[str] = DEFAULT_DIR, force: bool = False, start: bool = True, browser: bool = True
) -> int:
    """Copy the templates to ``dest`` (:func:`notebooks`) and, with ``start``, run JupyterLab there until it
    stops (its exit status; 0 when only copying)."""
    notebooks(dest, force=force)
    return start_lab(dest, browser) if start else 0
