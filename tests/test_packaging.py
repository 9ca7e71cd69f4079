"""The wheel carries what `auditkit report` needs: installed outside the checkout, it writes a pack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from auditkit.present.evidence import REPORTS
from tests.conftest import SAMPLES

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # builds a wheel, makes a virtual environment, runs a notebook


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("auditkit-*.whl")
    return built


def test_the_wheel_holds_the_four_notebooks_and_the_hook(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"auditkit/_notebooks/{n}.ipynb" for n in REPORTS} <= names
    assert "auditkit/_hook/auditkit_hook.py" in names
    for n in REPORTS:  # the shipped copies are the checkout's, byte for byte
        assert (
            zipfile.ZipFile(wheel).read(f"auditkit/_notebooks/{n}.ipynb")
            == (REPO / "notebooks" / f"{n}.ipynb").read_bytes()
        )


def test_report_runs_from_a_temporary_folder_with_only_the_wheel_installed(wheel: Path, tmp_path: Path) -> None:
    """A fresh virtual environment: the wheel installed (no source checkout anywhere on its path), its
    dependencies borrowed from this environment's site-packages through a .pth file (a plain path:
    this environment's editable install of the checkout is not activated there) and their data files
    through JUPYTER_PATH."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    (tmp_path / "home").mkdir()
    # the dependencies' data files (nbconvert's templates) come along with them
    env.update(
        HOME=str(tmp_path / "home"),
        PATH=f"{venv / 'bin'}:/usr/bin:/bin",
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
    )
    where = subprocess.check_output(
        [py, "-c", "import auditkit; print(auditkit.__file__)"], cwd=work, env=env, text=True
    )
    assert where.startswith(str(site)), where
    proc = subprocess.run(
        [
            venv / "bin" / "auditkit",
            "report",
            "incident",
            str(SAMPLES),
            "--out",
            "pack",
            "-p",
            "deleted_path",
            "data/exports/customers-2026-03.csv",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((work / "pack" / "manifest.json").read_text())
    assert manifest["trustworthy"] and manifest["results"]["deleted"]["answer"].startswith("yes")
    assert (work / "pack" / "incident.html").stat().st_size > 10_000
    assert not (REPO / "notebooks" / "incident.ipynb").samefile(work / "pack" / "incident.ipynb")
