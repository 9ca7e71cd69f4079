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

from auditkit.present.evidence import REPORTS, report
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
        report(name, [str(SAMPLES)], folder, params, pdf=name == "compliance")
        out[name] = folder
    return out


@pytest.mark.parametrize("name", REPORTS)
def test_each_evidence_page_opens_offline_with_every_image_drawn(browser: object, packs: dict, name: str) -> None:
    driver = browser
    page = packs[name] / f"{name}.html"
    driver.get("about:blank")  # type: ignore[attr-defined]
    requests_made(driver), console_errors(driver)  # drain what the previous page left in the logs
    open_page(driver, page)  # the first screen of a 1440x900 laptop: what the screenshot shows
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


# --- the verdict and the tables' keys (#27) -------------------------------------------------------------------

VERDICT_PACKS = ("incident", "cost", "compliance", "replay")


def open_page(driver: object, page: Path, width: int = 1440, height: int = 900) -> None:
    """``page`` in a viewport of exactly ``width`` x ``height`` CSS pixels (a laptop's screen), scrolled to the top."""
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    wait_for(driver, "return document.readyState === 'complete';", 30, "the page to load")
    driver.execute_script("window.scrollTo(0, 0);")  # type: ignore[attr-defined]


#: The first answer of the verdict: where its question, sentence, strength and first evidence row end on screen.
FIRST_ANSWER = """
const a = document.querySelector('.auditkit-verdict .auditkit-answer');
if (!a) return null;
const part = s => { const e = a.querySelector(s); return e ? [e.getBoundingClientRect().bottom, e.innerText] : null; };
return {viewport: window.innerHeight, question: part('.auditkit-question'), answer: part('.auditkit-answer-text'),
        strength: part('.auditkit-strength'), status: part('.auditkit-status'),
        row: part('table.auditkit-evidence tbody tr'),
        verdict_top: document.querySelector('.auditkit-verdict').getBoundingClientRect().top};
"""


@pytest.mark.parametrize("name", VERDICT_PACKS)
def test_the_verdict_is_on_the_first_screen_with_answer_strength_and_evidence(
    browser: object, packs: dict, name: str
) -> None:
    driver = browser
    open_page(driver, packs[name] / f"{name}.html")
    try:
        seen = driver.execute_script(FIRST_ANSWER)  # type: ignore[attr-defined]
        assert seen, "no verdict on the page"
        assert seen["viewport"] == 900
        for part in ("question", "answer", "strength", "status", "row"):
            assert seen[part], f"the first answer has no {part}"
            bottom, text = seen[part]
            assert bottom <= 900 and text.strip(), (part, bottom, text)
        assert seen["strength"][1].startswith("strength: ")
        assert seen["status"][1].startswith("Integrity of the inputs: INTACT")
        # the evidence row names a record, its seq and its file:line
        header = driver.execute_script(  # type: ignore[attr-defined]
            "return [...document.querySelector('.auditkit-verdict table.auditkit-evidence thead tr').cells]"
            ".map(c => c.innerText.trim());"
        )
        assert header[:3] == ["record", "seq", "file:line"]
        assert ".jsonl:" in seen["row"][1]
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]


def test_the_incident_verdict_names_the_prompt_that_led_to_the_deletion(browser: object, packs: dict) -> None:
    driver = browser
    open_page(driver, packs["incident"] / "incident.html")
    prompts = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('.auditkit-verdict .auditkit-prompt')].map(p => p.innerText);"
    )
    assert any("Clean up build artifacts and caches" in p for p in prompts)
    first = driver.execute_script(  # type: ignore[attr-defined]
        "return document.querySelector('.auditkit-verdict .auditkit-answer').innerText;"
    )
    assert "Did the agent delete /home/dev/acme-api/data/exports/customers-2026-03.csv?" in first
    assert "Yes: deleted after the trail saw it" in first and "rm -rf build/ data/" in first
    page = driver.execute_script("return document.body.innerText;")  # type: ignore[attr-defined]
    assert "Explore (JupyterLab)" not in page and "(recorded as" not in page
    # the detections follow the verdict, before anything else
    headings = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('h1, h2')].map(h => h.innerText.replace('¶', '').trim());"
    )
    after = headings[next(i for i, h in enumerate(headings) if h.startswith("Verdict")) + 1]
    assert after == "Detections in scope"


#: For every table on the page: its headers, whether each is marked as a key, and for each column whether
#: every cell is a number (digits, separators, currency, units) or blank.
TABLES = r"""
const numeric = t => /^[\s\d.,:$%+\-eE]*$/.test(t);
return [...document.querySelectorAll('table')].map(t => {
  const head = t.tHead ? [...t.tHead.rows[0].cells] : [...t.rows[0].cells];
  const rows = [...t.tBodies].flatMap(b => [...b.rows]);
  return {
    headers: head.map(c => c.innerText.trim()),
    keys: head.map(c => c.hasAttribute('data-key')),
    text_columns: head.map((_, i) => rows.length > 0 && rows.some(r => r.cells[i] && !numeric(r.cells[i].innerText))),
    rows: rows.length,
  };
});
"""


@pytest.mark.parametrize("name", REPORTS)
def test_every_table_in_every_pack_has_a_key_column(browser: object, packs: dict, name: str) -> None:
    """A key: an index shown as a labelled column (marked data-key), or a column of text with a header."""
    driver = browser
    open_page(driver, packs[name] / f"{name}.html")
    tables = driver.execute_script(TABLES)  # type: ignore[attr-defined]
    assert tables
    for t in tables:
        assert all(t["headers"]), t  # no unlabelled column: an index is shown with its name
        keyed = any(t["keys"]) or any(t["text_columns"])
        assert keyed, f"a table without a key column: {t['headers']}"


def test_the_cost_packs_group_tables_show_their_keys_and_dollars_as_currency(browser: object, packs: dict) -> None:
    driver = browser
    open_page(driver, packs["cost"] / "cost.html")
    tables = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('table.auditkit-table')].map(t => ["
        "  [...t.tHead.rows[0].cells].filter(c => c.hasAttribute('data-key')).map(c => c.innerText.trim()),"
        "  [...t.tHead.rows[0].cells].map(c => c.innerText.trim()),"
        "  [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))]);"
    )
    keyed = [keys for keys, _, _ in tables if keys]
    for wanted in (
        ["tool"],
        ["session_id"],
        ["command"],
        ["model"],
        ["agent", "model"],
        ["session_id", "agent_id"],
        ["day"],
    ):
        assert wanted in keyed, (wanted, keyed)
    money = [row[headers.index("usd")] for _, headers, rows in tables if "usd" in headers for row in rows]
    assert money and all(m.startswith("$") for m in money) and "$0.0563" in money


@pytest.fixture(scope="module")
def tampered_incident(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples with one record of the incident trail edited before the deletion (line 5)."""
    root = tmp_path_factory.mktemp("tampered")
    shutil.copytree(SAMPLES, root / "logs")
    trail = root / "logs" / "incident" / "audit-trail.jsonl"
    lines = trail.read_bytes().splitlines(keepends=True)
    assert b"bypassPermissions" in lines[4]
    lines[4] = lines[4].replace(b"bypassPermissions", b"acceptEdits")
    trail.write_bytes(b"".join(lines))
    out = root / "pack"
    report("incident", [str(root / "logs")], out, {"deleted_path": "data/exports/customers-2026-03.csv"})
    return out


def test_a_tampered_input_marks_each_affected_answer(browser: object, tampered_incident: Path) -> None:
    driver = browser
    open_page(driver, tampered_incident / "incident.html")
    banner = driver.execute_script(  # type: ignore[attr-defined]
        "const b = document.querySelector('.auditkit-banner'); return b ? b.innerText : null;"
    )
    assert banner and "NOT INTACT" in banner and "audit-trail.jsonl" in banner and "\\" not in banner
    answers = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('.auditkit-verdict .auditkit-answer')].map(a => ({"
        " text: a.innerText,"
        " strength: a.querySelector('.auditkit-strength').dataset.strength,"
        " caveats: [...a.querySelectorAll('.auditkit-caveat')].map(c => c.innerText),"
        " status: a.querySelector('.auditkit-status').innerText,"
        " after_break: [...a.querySelectorAll('table.auditkit-evidence tbody tr')]"
        "   .filter(r => r.innerText.includes('at or after a chain break')).length}));"
    )
    assert len(answers) == 2
    for a in answers:
        assert a["status"].startswith("Integrity of the inputs: NOT INTACT")
        assert a["after_break"] >= 1, a["text"]  # both answers rest on the rm -rf record, after the edit
        assert any("at or after a chain break" in c for c in a["caveats"]), a
        assert a["strength"] != "strong"
    deleted = answers[0]
    assert deleted["text"].startswith("Did the agent delete") and deleted["strength"] == "moderate"
