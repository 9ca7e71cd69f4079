"""What a person opens, opened in a real headless Chromium with the internet cut off.

JupyterLab: the incident notebook, Run All, every chart drawn (an SVG or a canvas inside each
``vega-embed``), no script that failed to load. The evidence pages: each opened from disk with every
request refused, every image drawn, nothing requested but the page itself; the first screen of each
is saved (``make screenshots`` writes them to ``docs/screens/``). Chromium and ChromeDriver are
Debian's (``chromium``, ``chromium-driver``), installed by ``make test``; nothing is downloaded here.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditkit.present.evidence import REPORTS, run_report
from tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow  # a browser, a Jupyter server, notebooks in kernels

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
#: Every host name resolves to nothing except the loopback address: the machine is offline for the browser.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    assert CHROMIUM and CHROMEDRIVER, (
        "the browser tests need Debian's chromium and chromium-driver (make test installs them)"
    )
    os.environ["SE_OFFLINE"] = "true"  # selenium must never fetch a driver: it is given one
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from auditkit.present.evidence import CHROMIUM_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        *(f for f in CHROMIUM_FLAGS if f != "--headless"),
        "--headless=new",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        OFFLINE,
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def requests_made(driver: object) -> list[str]:
    """Every URL the page asked for since the last call (from Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver: object) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 over a copy of the notebooks and the samples (nothing in the
    checkout is written); yields its base URL with the token."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copytree(SAMPLES, root / "sample_logs")
    home = root / "home"
    home.mkdir()
    port, token = free_port(), "auditkit-browser-test"
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--allow-root",  # CI runs as root
            "--LabApp.news_url=",
            "--LabServerApp.extra_labextensions_path=[]",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("JupyterLab did not start") from None
                time.sleep(0.5)
        yield f"{base}|{token}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(driver: object, script: str, timeout_s: float, what: str) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = driver.execute_script(script)  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def test_run_all_on_the_incident_notebook_draws_every_chart_offline(
    browser: object, jupyterlab: str, tmp_path: Path
) -> None:
    base, token = jupyterlab.split("|")
    driver = browser
    requests_made(driver)
    driver.get(f"{base}/lab/tree/notebooks/incident.ipynb?token={token}")  # type: ignore[attr-defined]
    wait_for(
        driver,
        "const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
        "return !!(w && w.content && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle');",
        120,
        "the notebook and an idle kernel",
    )
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")  # type: ignore[attr-defined]
    wait_for(
        driver,
        "const w = window.jupyterapp.shell.currentWidget;"
        "const code = w.content.widgets.filter(c => c.model.type === 'code');"
        "return code.every(c => c.model.executionCount !== null)"
        " && w.sessionContext.session.kernel.status === 'idle';",
        240,
        "every cell to run",
    )
    charts = wait_for(
        driver,
        "const e = [...document.querySelectorAll('.jp-Notebook .vega-embed')];"
        "return e.length >= 4 && e.every(x => x.querySelector('svg, canvas')) ? e.length : 0;",
        60,
        "the charts to draw (three timelines and the explorer's)",
    )
    assert charts >= 4
    errors = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
        ".map(x => x.innerText).filter(t => /Error|Traceback/.test(t));"
    )
    assert errors == []
    page = driver.execute_script("return document.body.innerText;")  # type: ignore[attr-defined]
    assert "Error loading script" not in page and "Javascript Error" not in page
    outside = [u for u in requests_made(driver) if not u.startswith((base, "data:", "blob:", "about:"))]
    assert outside == []  # nothing was asked of the internet (it would have failed: the browser is offline)
    assert not [m for m in console_errors(driver) if "Failed to load" in m or "vega" in m.lower()]
    driver.save_screenshot(str(tmp_path / "jupyterlab-incident.png"))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name in REPORTS:
        folder = tmp_path_factory.mktemp(f"pack-{name}")
        params = {"deleted_path": "data/exports/customers-2026-03.csv"} if name == "incident" else {}
        run_report(name, [str(SAMPLES)], folder, params, pdf=name == "compliance")
        out[name] = folder
    return out


@pytest.mark.parametrize("name", REPORTS)
def test_each_evidence_page_opens_offline_with_every_image_drawn(browser: object, packs: dict, name: str) -> None:
    driver = browser
    page = packs[name] / f"{name}.html"
    driver.get("about:blank")  # type: ignore[attr-defined]
    requests_made(driver), console_errors(driver)  # drain what the previous page left in the logs
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    wait_for(driver, "return document.readyState === 'complete';", 30, "the page to load")
    images = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.images].map(i => [i.complete && i.naturalWidth > 0, i.alt]);"
    )
    assert all(drawn for drawn, _ in images)
    assert all(alt and "No description" not in alt for _, alt in images)
    if name != "compliance":
        assert images
    asked = [u for u in requests_made(driver) if not u.startswith(("data:", "about:"))]
    assert asked == [page.as_uri()]  # the page itself, nothing else
    assert console_errors(driver) == []
    title = driver.execute_script("return document.title;")  # type: ignore[attr-defined]
    assert title == f"auditkit {name} report"
    screens = Path(os.environ.get("AUDITKIT_SCREENSHOTS", packs[name]))
    screens.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(screens / f"{name}.png"))  # type: ignore[attr-defined]


def test_pdf_is_printed_by_headless_chromium_and_listed_in_the_manifest(packs: dict) -> None:
    folder = packs["compliance"]
    pdf = folder / "compliance.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    manifest = json.loads((folder / "manifest.json").read_text())
    import hashlib

    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert listed["compliance.pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
