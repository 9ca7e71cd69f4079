"""Investigation notebooks run headless through papermill and leave a verifiable evidence pack."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.present.evidence import REPORTS, ReportError, notebooks_dir, report
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow  # each test runs notebooks in a Jupyter kernel

FIX = Path(__file__).resolve().parent / "fixtures" / "transcripts"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Every report, once, on the bundled samples (the incident one asked about a deleted file)."""
    out = {}
    for name in REPORTS:
        folder = tmp_path_factory.mktemp(name)
        params = {"deleted_path": "data/exports/customers-2026-03.csv"} if name == "incident" else {}
        out[name] = (folder, report(name, [str(SAMPLES)], folder, params))
    return out


def test_the_incident_report_answers_did_the_agent_delete_it(packs: dict) -> None:
    r = packs["incident"][1]["results"]
    assert r["events"] == 131 and len(r["sessions"]) == 7 and r["problems"] == []  # 123 hooked, 8 in the transcript
    assert {(x["risk"], x["command"]) for x in r["risky"]} >= {
        ("recursive delete", "rm -rf build/ data/"),
        ("force push", "git push --force origin main"),
    }
    assert r["deleted"]["answer"] == "yes: deleted after the trail saw it"
    assert r["deleted"]["path"] == "/home/dev/acme-api/data/exports/customers-2026-03.csv"
    assert [e["command"] for e in r["deleted"]["evidence"]] == ["rm -rf build/ data/"]
    assert {d["path"] for d in r["deletions"]} == {"/home/dev/acme-api/build", "/home/dev/acme-api/data"}
    assert r["failures"] == 8 and r["outside_project"] == 0


def test_the_cost_report_finds_where_time_went_and_the_retry_loop(packs: dict) -> None:
    r = packs["cost"][1]["results"]
    by_tool = {row["tool"]: row for row in r["time_by_tool"]}
    assert by_tool["Bash"]["calls"] == 17 and by_tool["Bash"]["total_ms"] == 21170
    assert {(x["command"], x["runs"], x["failures"]) for x in r["retry_loops"]} >= {("make test", 4, 3)}
    assert r["slowest"][0]["command"] == "sleep 600"
    # the samples' transcript: Sonnet 4.5 at $3/$15 per million, cache writes 1.25x and reads 0.1x input:
    # (12*3 + 96*15 + 9,800*3.75) + (12*3 + 96*15 + 9,800*0.3) + (20*3 + 410*15 + 1,200*3.75 + 9,800*0.3) per million
    assert r["usd"] == pytest.approx((38_226 + 4_416 + 13_650) / 1e6)


def test_the_compliance_report_checks_controls_with_evidence(packs: dict) -> None:
    r = packs["compliance"][1]["results"]
    assert r["intact"] is True and r["unredacted_secrets"] == 0
    checks = {c["control"]: c for c in r["controls"]}
    assert checks["NIST AU-8"]["result"] == "pass" and checks["NIST AU-3"]["result"] == "pass"
    assert checks["NIST AU-6"]["result"] == "pending review"  # a person signs off, not the kit
    for control in (
        "SOC 2 CC6.1",
        "SOC 2 CC7.2",
        "SOC 2 CC7.3",
        "SOC 2 CC8.1",
        "ISO 27001:2022 A.8.15",
        "ISO 27001:2022 A.8.16",
        "ISO 27001:2022 A.8.17",
        "PCI DSS v4.0 10.2",
        "PCI DSS v4.0 10.3",
        "PCI DSS v4.0 10.4",
        "PCI DSS v4.0 10.5",
        "PCI DSS v4.0 10.7",
        "EU AI Act Art. 12",
        "EU AI Act Art. 19",
        "NIST AU-5",
        "NIST AU-9",
        "NIST AU-10",
        "NIST AU-11",
        "NIST SI-4",
    ):
        assert checks[control]["requirement"] and checks[control]["criterion"] and checks[control]["evidence"]
    assert {c["question"]: c["share"] for c in r["completeness"]}["who"] == 1.0
    assert checks["Data minimisation (GDPR Art. 5(1)(c))"]["result"] == "pending review"  # no [pii] policy set


def test_the_compliance_pack_lists_the_transcript_only_sessions_calls_as_missing_from_the_hook_trail(
    packs: dict,
) -> None:
    """The samples hold a Claude Code transcript of a session the hook never recorded: AU-2 and AU-12 are
    partial, and the calls are listed, with the file and line that recorded them, in the page too."""
    folder, manifest = packs["compliance"]
    r = manifest["results"]
    checks = {c["control"]: c for c in r["controls"]}
    for control in ("NIST AU-2", "NIST AU-12"):
        assert checks[control]["result"] in ("partial", "fail")
    assert "toolu_t1" in checks["NIST AU-2"]["evidence"] and "toolu_t2" in checks["NIST AU-2"]["evidence"]
    assert "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5" in checks["NIST AU-2"]["evidence"]
    missing = {(m["tool_use_id"], m["session_id"]) for m in r["missing_from_hook"] if m["tool_use_id"]}
    assert missing == {
        ("toolu_t1", "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"),
        ("toolu_t2", "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"),
    }
    page = (folder / "compliance.html").read_text()
    assert "toolu_t1" in page and "toolu_t2" in page and "/home/dev/acme-api/src/parser.py" in page
    first = r["verdict"]["answers"][0]
    assert first["answer"].startswith("Partial:") and first["strength"] == "moderate"  # rests on a transcript
    assert "What this kit cannot evidence" in page and "reviewer name" in page


def test_the_replay_report_picks_the_busiest_session_and_diffs_its_files(packs: dict) -> None:
    r = packs["replay"][1]["results"]
    assert r["session"] == "f0f0f0f0-1111-4222-8333-444455556666" and r["steps"] == 10
    assert [s["step"] for s in r["failed_steps"]] == [1, 2, 3, 4, 5, 8, 9, 10]


@pytest.mark.parametrize("name", REPORTS)
def test_the_pack_holds_rendered_charts_and_a_manifest_that_matches_the_files(packs: dict, name: str) -> None:
    folder, manifest = packs[name]
    on_disk = json.loads((folder / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest, default=str))
    for out in manifest["outputs"]:
        assert sha(folder / out["path"]) == out["sha256"]
    names = {Path(i["path"]).name for i in manifest["inputs"]}
    assert names == {"audit-trail.jsonl", "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5.jsonl"}
    assert list(manifest["verify"]["unchained"].values()) == ["Claude Code transcript"]  # disclosed, not verified
    for i in manifest["inputs"]:
        assert sha(Path(i["path"])) == i["sha256"]
    assert manifest["verify"]["intact"] and manifest["kit_version"] and manifest["parameters"]["interactive"] is False
    assert manifest["pii"]["outbound"] == "off" and manifest["pii"]["hook"] is False  # the [pii] choice, said
    html = (folder / f"{name}.html").read_text()
    assert "personal data" in html and "no [pii] policy" in html  # the header's row
    if name != "compliance":  # the others draw charts: inline SVG, readable offline
        assert "jp-RenderedSVG" in html and "data:image/svg+xml;base64," in html
    assert "cdn.jsdelivr" not in html or "vega" not in html.split("cdn.jsdelivr")[1][:100]


def test_a_window_with_no_events_still_reports(tmp_path: Path) -> None:
    for name in ("incident", "cost", "replay"):
        r = report(name, [str(SAMPLES)], tmp_path / name, {"start": "2030-01-01", "end": "2030-02-01"})["results"]
        assert r["events"] == 0
    assert r["steps"] == 0 and r["session"] is None


def test_a_broken_chain_fails_the_integrity_control(tmp_path: Path) -> None:
    trail = tmp_path / "logs" / "audit-trail.jsonl"
    trail.parent.mkdir()
    lines = (SAMPLES / "incident" / "audit-trail.jsonl").read_bytes().splitlines(keepends=True)
    del lines[7]
    trail.write_bytes(b"".join(lines))
    m = report("compliance", [str(trail.parent)], tmp_path / "pack", {"keep_days": 30})
    assert m["verify"]["intact"] is False and m["results"]["verify"]["first_break"]["kind"] == "deleted"
    checks = {c["control"]: c for c in m["results"]["controls"]}
    integrity = checks["NIST AU-9"]
    assert integrity["result"] == "fail" and "deleted" in integrity["evidence"]
    assert checks["PCI DSS v4.0 10.3"]["result"] == "fail"  # as strong as the NIST row it rests on
    # one verification per pack: the manifest and the header show the one the notebook's answers rest on
    from auditkit.present.notebook import read_results

    recorded = read_results(tmp_path / "pack" / "compliance.ipynb")["verify_report"]
    assert m["verify"]["first_break"] == recorded["first_break"] and m["verify"]["records"] == recorded["records"]
    assert "verify_report" not in m["results"]  # said once, as the manifest's "verify"


def test_the_cost_report_prices_transcripts(tmp_path: Path) -> None:
    r = report("cost", [str(FIX)], tmp_path / "pack")["results"]
    assert r["usd"] == pytest.approx(
        0.038045 + 0.0372
    )  # the 1.0/2.0 fixtures, and the 2.1 one (worked out in test_transcripts)


def test_a_failing_notebook_names_the_cell_and_the_cli_exits_non_zero(tmp_path: Path, capsys) -> None:
    with pytest.raises(
        ReportError,
        match=r"incident: cell \d+ \(In \[\d+\]\) failed: UsageError: .*last tuesday.* is not a date or time",
    ):
        report("incident", [str(SAMPLES)], tmp_path / "a", {"start": "last tuesday-ish"})
    assert (tmp_path / "a" / "incident.ipynb").exists()  # the executed notebook shows the failing cell
    # it failed before it recorded its verification: the runner verified the inputs for the failed pack
    failed = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert failed["status"] == "failed" and failed["verify"]["intact"] is True and failed["verify"]["records"] > 0
    assert main(["report", "cost", "--trail", str(SAMPLES), "--out", str(tmp_path / "b"), "-p", "start", "never"]) == 2
    assert "cost: cell 4 (In [3]) failed" in capsys.readouterr().err
    assert main(["report", "cost", "--trail", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_notebooks_are_committed_without_outputs_and_open_with_a_parameters_cell() -> None:
    for name in REPORTS:
        nb = json.loads((notebooks_dir() / f"{name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[0]["metadata"].get("tags", []), name
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), name


def test_a_copy_of_the_notebooks_folder_runs_with_plain_papermill(tmp_path: Path) -> None:
    """The notebooks run with plain papermill too (no auditkit runner), parameters on the command line."""
    import papermill

    shutil.copytree(notebooks_dir(), tmp_path / "notebooks")
    papermill.execute_notebook(
        str(tmp_path / "notebooks" / "replay.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"trails": [str(SAMPLES / "incident")], "interactive": False},
        kernel_name="python3",
        progress_bar=False,
    )
    from auditkit.present.notebook import read_results

    assert read_results(tmp_path / "out.ipynb")["session"] == "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def test_data_never_runs_as_script_in_an_evidence_page(tmp_path: Path) -> None:
    """A session id, a command and a file name carrying HTML and Markdown reach the incident page as text only."""
    from tests.conftest import payload, run_hook

    trail = tmp_path / "trail" / "audit-trail.jsonl"
    sid = "s1<script>alert(7)</script>"
    path = "/home/dev/app/<img src=x onerror=alert(8)>.txt"
    call = {
        "session_id": sid,
        "tool_name": "Bash",
        "tool_use_id": "c1",
        "tool_input": {"command": f"rm -f '{path}' # <b>**bold**</b>"},
    }
    run_hook(payload("PreToolUse", **call), trail)
    run_hook(payload("PostToolUse", **call, tool_response={"stdout": ""}), trail)
    out = tmp_path / "pack"
    report("incident", [str(trail.parent)], out, {"deleted_path": path})
    page = (out / "incident.html").read_text()
    for live in ("<script>alert(7)", "<img src=x onerror", "<b>**bold**</b>"):
        assert live not in page
    assert "alert(7)" in page and "onerror=alert(8)" in page  # still shown, as text


def test_the_incident_and_cost_notebooks_run_on_a_folder_of_three_agents(tmp_path: Path) -> None:
    """Claude Code hook trails and transcripts, Codex rollouts and Gemini sessions in one folder: both packs are
    made, and their findings span the agents."""
    agents = Path(__file__).resolve().parent / "fixtures" / "agents"
    folder = tmp_path / "mixed"
    shutil.copytree(agents, folder / "agents")
    shutil.copytree(SAMPLES / "incident", folder / "hook")
    shutil.copytree(FIX / "v2.1-progress", folder / "claude")
    incident = report("incident", [str(folder)], tmp_path / "incident")["results"]
    assert incident["problems"] == [] and len(incident["sessions"]) == 1 + 4 + 1
    assert {"rm -rf node_modules", "rm -r /home/dev/app/build"} <= {r["command"] for r in incident["risky"]}
    cost = report("cost", [str(folder)], tmp_path / "cost")["results"]
    codex = (200 * 1.25 + 300 * 10 + 1000 * 0.125) + (200 * 1.25 + 150 * 10 + 1200 * 0.125)
    gemini = 2000 * 1.25 + 300 * 10 + 3000 * 0.3125 + 800 * 0.30 + 50 * 2.50
    assert cost["usd"] == pytest.approx(0.0372 + (codex + gemini) / 1e6)


def test_a_tampered_trail_gets_a_red_banner_and_a_non_zero_exit(tmp_path: Path, capsys) -> None:
    """`rm -rf` edited to `ls` by hand: the page opens with a red banner and the header (title, inputs with
    SHA-256, verify result, parameters); the pack is written; `auditkit report` exits 1."""
    trail = tmp_path / "t" / "audit-trail.jsonl"
    trail.parent.mkdir()
    text = (SAMPLES / "incident" / "audit-trail.jsonl").read_text()
    assert "rm -rf build/ data/" in text
    trail.write_text(text.replace("rm -rf build/ data/", "ls build/ data/"))
    assert main(["report", "incident", str(trail.parent), "--out", str(tmp_path / "pack")]) == 1
    assert "NOT intact" in capsys.readouterr().err
    page = (tmp_path / "pack" / "incident.html").read_text()
    assert "<title>auditkit incident report</title>" in page
    banner = page.index("not trustworthy: NOT INTACT")
    assert banner < page.index("Incident investigation") and sha(trail) in page and "edited" in page
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert manifest["trustworthy"] is False and manifest["verify"]["intact"] is False


def test_no_inputs_is_not_evidence(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "cost", str(empty), "--out", str(tmp_path / "pack")]) == 1
    assert "missing" in capsys.readouterr().err
    assert "NO INPUTS" in (tmp_path / "pack" / "cost.html").read_text()


def test_parameters_are_checked_before_anything_runs_and_a_pack_is_not_overwritten(tmp_path: Path, capsys) -> None:
    out = tmp_path / "pack"
    assert main(["report", "incident", str(SAMPLES), "--out", str(out), "-p", "deleted_pth", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no parameter 'deleted_pth'" in err and "deleted_path" in err
    assert main(["report", "compliance", str(SAMPLES), "--out", str(out), "-p", "keep_days", "abc"]) == 2
    assert "parameter 'keep_days' must be int" in capsys.readouterr().err
    assert not out.exists()  # nothing ran
    assert main(["report", "cost", str(SAMPLES / "incident"), "--out", str(out)]) == 0
    assert main(["report", "cost", str(SAMPLES / "incident"), "--out", str(out)]) == 2
    assert "holds an evidence pack already" in capsys.readouterr().err
    assert main(["report", "cost", str(SAMPLES / "incident"), "--out", str(out), "--force"]) == 0


def test_did_the_agent_delete_it_answers_with_the_evidences_strength() -> None:
    """Seen then deleted; only inside a deleted folder; never deleted: three different answers."""
    from auditkit.analysis import findings as F

    df = auditkit.load(SAMPLES / "incident")
    assert F.was_deleted(df, "data/exports/customers-2026-03.csv")["answer"] == F.DELETED_SEEN
    assert F.was_deleted(df, "/home/dev/acme-api/data/never-seen.csv")["answer"] == F.DELETED_WITH_FOLDER
    assert F.was_deleted(df, "/home/dev/acme-api/README.md")["answer"] == F.NO_DELETION


def test_a_trail_younger_than_the_policy_is_not_applicable_for_au11_not_a_failure() -> None:
    from auditkit.analysis import findings as F

    df = auditkit.load(SAMPLES / "incident")
    retention = F.retention_coverage(df, 100_000)
    checks = F.checklist(df, auditkit.verify(SAMPLES / "incident"), [], F.file_permissions([]), retention)
    assert checks.set_index("control").loc["NIST AU-11 / PCI DSS 10.5.1", "status"] == "n/a"


@pytest.mark.parametrize("name", REPORTS)
def test_an_evidence_page_is_self_contained_and_reads_as_a_report(packs: dict, name: str) -> None:
    """No script and nothing fetched from anywhere; code hidden (the notebook keeps it); recorded values
    left to the manifest; every chart an image with its description as alt text; tables readable."""
    from bs4 import BeautifulSoup

    folder, _ = packs[name]
    page = (folder / f"{name}.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find_all("script") == []
    external = [t for t in soup.find_all(src=True) if not t["src"].startswith("data:")]
    external += [t for t in soup.find_all("link", href=True)]
    assert external == [] and "@import" not in page
    assert soup.title.string == f"auditkit {name} report"
    assert soup.select(".jp-CodeCell .jp-InputArea") == [] and "auditkit.load(" not in page and "record(" not in page
    assert "(recorded as" not in page
    images = soup.find_all("img")
    assert all(i["alt"] and "No description" not in i["alt"] for i in images)
    if name in ("incident", "replay", "cost"):
        assert images and any(i["alt"].startswith(("Timeline of session", "Total time by tool")) for i in images)
    tables = soup.select("table.auditkit-table")
    assert tables
    for table in tables:
        assert table.find("th").get_text().strip()  # the first column is data, not an index
        texts = [td.get_text() for td in table.find_all("td")]
        assert not {"NaN", "None", "NaT", "<NA>"} & set(texts)
        assert not any(t.endswith("…") for t in texts)


def test_the_compliance_controls_show_requirement_criterion_and_evidence_whole(packs: dict) -> None:
    from bs4 import BeautifulSoup

    folder, manifest = packs["compliance"]
    soup = BeautifulSoup((folder / "compliance.html").read_text(), "html.parser")
    shown = {td.get_text() for td in soup.select("table.auditkit-table td")}
    for check in manifest["results"]["controls"]:
        for key in ("requirement", "criterion", "result", "evidence"):
            if check.get(key):
                assert check[key] in shown, (key, check[key][:60])


def test_report_shows_progress_per_cell_when_asked(tmp_path: Path, capsys) -> None:
    assert main(["report", "replay", str(SAMPLES), "--out", str(tmp_path / "r"), "--progress"]) == 0
    err = capsys.readouterr().err
    cells = len(json.loads((notebooks_dir() / "replay.ipynb").read_text())["cells"]) + 1  # + injected parameters
    assert "replay report:" in err and f"{cells}/{cells}" in err and "cell/s" in err


def test_without_the_notebooks_extra_report_says_which_extra_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "papermill", None)  # as if `pip install auditkit` without [notebooks]
    assert main(["report", "incident", str(SAMPLES), "--out", str(tmp_path / "x")]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'auditkit[notebooks]'" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_the_warmed_up_html_exporter_writes_the_same_page_as_a_fresh_one(tmp_path: Path) -> None:
    """``auditkit report`` readies the exporter on a small page while the kernel runs; what it then
    writes is byte for byte what a fresh exporter writes, twice in a row too (no state carried over)."""
    import base64

    import nbformat

    from auditkit.present import evidence

    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" aria-label="tool calls per hour"/>').decode()
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Findings\n\n| path | answer |\n|---|---|\n| `a.py` | yes |"),
            v4.new_code_cell(
                "x = 1",
                outputs=[
                    v4.new_output("display_data", {"text/html": f'<img src="data:image/svg+xml;base64,{svg}">'}),
                    v4.new_output("stream", name="stdout", text="<b>not markup</b>\n"),
                ],
            ),
        ]
    )
    source = tmp_path / "n.ipynb"
    nbformat.write(nb, str(source))
    pages = []
    warmed = evidence.html_exporter()
    for exporter in (None, warmed, warmed):
        out = tmp_path / f"{len(pages)}.html"
        evidence._to_html(source, out, "auditkit test report", exporter)
        pages.append(out.read_text(encoding="utf-8"))
    assert pages[0] == pages[1] == pages[2]
    assert 'alt="tool calls per hour"' in pages[0] and "<title>auditkit test report</title>" in pages[0]
    assert "warm-up" not in pages[0]


def test_a_report_leaves_nothing_in_the_ipython_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel of a report keeps no IPython history: the notebook's code and the paths it read are in the
    pack, not in a SQLite file in the user's home (nor written there cell by cell while it runs)."""
    import sqlite3

    home = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(home))
    report("cost", [str(SAMPLES)], tmp_path / "pack")
    assert (home / "profile_default").is_dir()  # the kernel did run with this IPython folder
    db = home / "profile_default" / "history.sqlite"
    if db.exists():
        with sqlite3.connect(db) as con:
            tables = {t for (t,) in con.execute("select name from sqlite_master where type='table'")}
            assert "history" not in tables or con.execute("select count(*) from history").fetchone() == (0,)


def test_an_input_that_changes_while_the_pack_is_made_is_hashed_as_it_is_and_marked(tmp_path: Path) -> None:
    """The inputs are hashed while the notebook runs; one the hook appended to meanwhile is hashed again as it
    is when the pack is written, and its manifest entry says it changed during the run."""
    from auditkit.present.evidence import hash_inputs, inputs_as_they_are

    trail = tmp_path / "audit-trail.jsonl"
    trail.write_bytes((SAMPLES / "incident" / "audit-trail.jsonl").read_bytes())
    hashed = hash_inputs([trail])
    assert inputs_as_they_are(hashed) == [{"path": str(trail), "sha256": sha(trail), "bytes": trail.stat().st_size}]
    with open(trail, "ab") as fh:
        fh.write(b'{"appended": "by the hook, while the report ran"}\n')
    (entry,) = inputs_as_they_are(hashed)
    assert entry == {
        "path": str(trail),
        "sha256": sha(trail),
        "bytes": trail.stat().st_size,
        "changed_during_run": True,
    }


def test_the_report_command_imports_no_css_selectors_nor_format_checkers_and_says_nothing_of_it(
    tmp_path: Path,
) -> None:
    """``auditkit report`` (a process of its own, ended with the report) imports neither soupsieve (bs4's CSS
    selectors) nor jsonschema's format checkers (~120 ms of CPU beside the kernel), and says nothing of it; a process
    that only calls :func:`report` keeps them."""
    out = tmp_path / "pack"
    code = (
        "import sys\n"
        "from auditkit.cli import main\n"
        f"sys.argv = ['auditkit', 'report', 'incident', {str(SAMPLES)!r}, '--out', {str(out)!r}, '--no-progress']\n"
        "code = main()\n"  # the console script's own call: the command is the whole process
        "print(code, [m for m in ('soupsieve', 'isoduration', 'rfc3986_validator') if sys.modules.get(m)])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
    assert proc.stdout.splitlines()[-1] == "0 []"
    assert (out / "incident.html").is_file()
    from bs4 import BeautifulSoup

    page = (out / "incident.html").read_text()
    assert BeautifulSoup(page, "html.parser").select("img[alt]")  # this process: selectors as ever


def test_a_program_that_calls_the_report_command_keeps_css_selectors_and_format_checks(tmp_path: Path) -> None:
    """``main(['report', ...])`` called from a program (a test, a script) is not the whole process: bs4's CSS
    selectors and jsonschema's format checkers still work in it afterwards (only the console script skips them)."""
    out = tmp_path / "pack"
    code = (
        "import sys\n"
        "from auditkit.cli import main\n"
        f"code = main(['report', 'incident', {str(SAMPLES)!r}, '--out', {str(out)!r}, '--no-progress'])\n"
        "from bs4 import BeautifulSoup\n"
        "import jsonschema\n"
        "bad = not jsonschema.FormatChecker().conforms('P1Y2M', 'duration') or jsonschema.FormatChecker().conforms('P1Yx', 'duration')\n"
        "print(code, len(BeautifulSoup('<p>a</p><p>b</p>', 'html.parser').select('p')), 'bad' if bad else 'ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[-1] == "0 2 ok"
