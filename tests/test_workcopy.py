"""Notebooks a person opens run from a working copy: JupyterLab's saves reach the copy, never the
templates in the package or the checkout, and ``auditkit report`` runs the pristine templates."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from auditkit.cli import main
from auditkit.errors import UsageError
from auditkit.present.evidence import notebooks_dir, report
from auditkit.present.workcopy import lab_command, notebooks
from tests.conftest import REPO, SAMPLES


def _templates() -> dict[Path, bytes]:
    """Every template's bytes: the folder reports read, and the checkout's notebooks/ (the same in a checkout)."""
    found = {*notebooks_dir().glob("*.ipynb"), *(REPO / "notebooks").glob("*.ipynb")}
    shipped = REPO / "auditkit" / "_notebooks"
    found |= set(shipped.glob("*.ipynb")) if shipped.is_dir() else set()
    return {p: p.read_bytes() for p in sorted(found)}


def test_copies_are_private_keep_the_users_work_and_find_the_samples(tmp_path: Path) -> None:
    work = tmp_path / "work"
    copied = notebooks(work)
    assert sorted(p.name for p in copied) == sorted(p.name for p in notebooks_dir().glob("*.ipynb"))
    assert oct(work.stat().st_mode & 0o777) == "0o700" and {p.stat().st_mode & 0o777 for p in copied} == {0o600}
    nb = nbformat.read(work / "replay.ipynb", as_version=4)
    assert f'trails: list = ["{SAMPLES}"]' in nb.cells[1].source  # absolute: the copy lives elsewhere
    (work / "replay.ipynb").write_text("my work")
    assert notebooks(work) == [] and (work / "replay.ipynb").read_text() == "my work"
    assert work / "replay.ipynb" in notebooks(work, force=True)


def test_the_working_copy_cannot_be_the_templates_folder() -> None:
    for inside in (notebooks_dir(), notebooks_dir() / "work"):
        with pytest.raises(UsageError, match="outside the templates"):
            notebooks(inside)


def test_a_jupyterlab_autosave_cannot_change_the_templates(tmp_path: Path) -> None:
    """Run the copy as JupyterLab's Run All would, then save it through jupyter_server's contents manager
    (what autosave and Ctrl-S call) rooted where ``auditkit lab`` roots JupyterLab; try a save that climbs
    out to the templates too. The templates' bytes do not change."""
    import papermill
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from tornado.web import HTTPError

    before = _templates()
    work = tmp_path / "work"
    notebooks(work)
    copy = work / "replay.ipynb"
    papermill.execute_notebook(
        str(copy), str(copy), parameters={"interactive": False}, cwd=str(work), progress_bar=False
    )
    manager = FileContentsManager(root_dir=str(work))
    model = manager.get("replay.ipynb", content=True)
    assert any(c.get("outputs") for c in model["content"]["cells"] if c["cell_type"] == "code")  # it ran
    model["content"]["cells"].append(nbformat.v4.new_code_cell("edited = True"))
    manager.save(model, "replay.ipynb")  # autosave
    assert "edited = True" in copy.read_text()
    climb = os.path.relpath(notebooks_dir() / "replay.ipynb", work)
    with pytest.raises(HTTPError):  # outside the root JupyterLab serves
        manager.save(model, climb)
    assert _templates() == before


def test_report_runs_the_pristine_template_whatever_the_working_copy_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    notebooks(work)
    nb = nbformat.read(work / "replay.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise SystemExit('the working copy ran')"))
    nbformat.write(nb, work / "replay.ipynb")
    monkeypatch.chdir(work)
    monkeypatch.setenv("AUDITKIT_SEAL_KEY", str(tmp_path / "no-key"))
    manifest = report("replay", [str(SAMPLES / "regression-fix")], tmp_path / "pack", progress=False)
    assert manifest["status"] == "ok"
    assert "the working copy ran" not in (tmp_path / "pack" / "replay.ipynb").read_text()


def test_lab_serves_only_the_working_copy(tmp_path: Path, capsys) -> None:
    argv = lab_command(tmp_path, browser=False)
    assert argv[1:3] == ["-m", "jupyterlab"] and f"--ServerApp.root_dir={tmp_path}" in argv and "--no-browser" in argv
    assert main(["lab", str(tmp_path / "w"), "--no-start"]) == 0
    assert (tmp_path / "w" / "incident.ipynb").is_file() and "working copies in" in capsys.readouterr().out
    assert main(["notebooks", "--copy", str(tmp_path / "n")]) == 0 and (tmp_path / "n" / "replay.ipynb").is_file()
