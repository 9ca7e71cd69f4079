"""What makes ``auditkit report`` fast keeps its packs the same: the kernel it starts first is ready when it
answers (and said dead when it dies), the chart engine in a process of its own draws each chart byte for byte as
the kernel would, hands back what it cannot draw, and ends with its kernel; the rule files read the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.present import notebook
from auditkit.present.svgworker import SvgWorker
from tests.conftest import SAMPLES

HOSTILE = "Bash</svg><script>alert(1)</script>\x1b[31m\u202e"


def _timeline_spec(tool: str = HOSTILE) -> dict:
    """The spec of a real Timeline chart of a sample session, one tool renamed to something hostile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = auditkit.load([str(SAMPLES / "incident")])
    sid = auditkit.sessions(df)["session_id"].iloc[0]
    steps = auditkit.replay(df, sid)
    steps["tool"] = steps["tool"].astype(str)
    steps.loc[steps.index[0], "tool"] = tool
    return auditkit.Timeline(steps).chart().to_dict()


@pytest.fixture
def worker():
    """A worker, as the report kernel starts it, warmed with the charts' Vega-Lite version; stopped after."""
    from altair.utils._importers import vl_version_for_vl_convert

    started = SvgWorker()
    started.warm(vl_version_for_vl_convert())
    yield started
    started.close()


def _drawn(spec: dict, worker: SvgWorker | None) -> dict:
    before = notebook._svg_worker
    notebook._svg_worker = worker
    try:
        return notebook._described_svg(spec)
    finally:
        notebook._svg_worker = before


def test_the_worker_draws_each_chart_byte_for_byte_as_the_kernel_would(worker: SvgWorker) -> None:
    spec = _timeline_spec()
    by_worker = _drawn(spec, worker)
    assert worker._process is not None  # it did draw (a worker that failed is closed)
    in_kernel = _drawn(spec, None)
    assert by_worker == in_kernel
    svg = by_worker["image/svg+xml"]
    assert svg.startswith('<svg role="img" aria-label="Timeline of session') and "<script" not in svg
    assert _drawn(_timeline_spec("Edit"), worker) == _drawn(_timeline_spec("Edit"), None)  # and the next one


def test_a_chart_the_worker_cannot_draw_is_refused_by_the_kernel_as_before(worker: SvgWorker) -> None:
    from altair.utils._importers import vl_version_for_vl_convert

    bad = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "mark": {"type": "no-such-mark"}}
    assert worker.svg(bad, vl_version_for_vl_convert()) is None  # the worker says it could not, and stays up
    assert worker._process is not None
    refused = []
    for w in (worker, None):
        with pytest.raises(Exception) as caught:
            _drawn(bad, w)
        refused.append((type(caught.value), str(caught.value)))
    assert refused[0] == refused[1]


def test_a_dead_worker_leaves_the_charts_to_the_kernel(worker: SvgWorker) -> None:
    assert worker._process is not None
    worker._process.kill()
    worker._process.wait()
    spec = _timeline_spec()
    assert _drawn(spec, worker) == _drawn(spec, None)
    assert worker._process is None  # closed: the next charts are drawn in the kernel without asking it


def _sample_steps() -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = auditkit.load([str(SAMPLES)])
    busiest = auditkit.sessions(df).sort_values("tool_calls", ascending=False)["session_id"]
    return [auditkit.replay(df, sid) for sid in busiest]


def test_timelines_drawn_without_altair_are_the_altair_charts_byte_for_byte(worker: SvgWorker) -> None:
    """The incident pack's timelines (:class:`notebook.Drawn`, every one asked of the worker before the first is
    shown) are the SVGs, alt text included, that the kernel draws of the altair charts."""
    from auditkit.present.render import timeline_spec

    steps = _sample_steps()
    before = notebook._svg_worker
    notebook._svg_worker = worker
    try:
        charts = [notebook.Drawn(timeline_spec(s)) for s in steps]
        assert all(c._ticket for c in charts)  # asked at once
        shown = [c._repr_mimebundle_() for c in charts]
        assert [c._repr_mimebundle_() for c in charts] == shown  # shown again: the same image
    finally:
        notebook._svg_worker = before
    assert worker._process is not None  # the worker drew them
    assert shown == [_drawn(auditkit.Timeline(s).chart().to_dict(), None) for s in steps]
    assert [repr(c) for c in charts] == [repr(auditkit.Timeline(s).chart()) for s in steps]  # the notebook's text


def test_many_charts_asked_before_any_is_read_are_each_answered_with_their_own(worker: SvgWorker) -> None:
    """Charts asked for faster than they are read (more than a pipe holds, both ways) neither block the kernel
    nor come back to the wrong chart, in whatever order they are read."""
    import threading

    from altair.utils._importers import vl_version_for_vl_convert

    from auditkit.present.render import timeline_spec
    from tests.test_render import steps_frame

    specs = []
    for i in range(8):
        steps = steps_frame(300, every_s=1 + i)  # ~60 KB of spec, more of SVG, each
        steps.attrs["session_id"] = f"s-{i}"
        specs.append(timeline_spec(steps))
    answers: dict[int, str | None] = {}

    def ask() -> None:
        tickets = [worker.submit(spec, vl_version_for_vl_convert()) for spec in specs]
        for i in [7, 0, 3, 1, 2, 6, 4, 5]:
            answers[i] = worker.answer(tickets[i])

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(timeout=300)
    assert not asking.is_alive(), "the kernel's side blocked"
    for i in range(8):
        svg = answers[i]
        assert svg is not None and f"session s-{i}" in svg


def test_the_headless_kernels_draw_their_charts_without_importing_altair() -> None:
    """The point of :func:`notebook.timelines` and :func:`notebook.tool_time_chart` in a headless kernel: no altair
    (~0.25 s) imported to draw them."""
    code = (
        "import sys, warnings\n"
        "import auditkit\n"
        "from auditkit.present import notebook\n"
        "notebook.warm_kernel(True, False)\n"
        "assert notebook.setup(False, charts=False) == 'none'\n"
        "warnings.simplefilter('ignore')\n"
        f"df = auditkit.load([{str(SAMPLES)!r}])\n"
        "ids = auditkit.sessions(df)['session_id'][:3]\n"
        "charts = [chart for _, _, chart in notebook.timelines(df, ids)]\n"
        "from auditkit.analysis import findings as F\n"
        "charts.append(notebook.tool_time_chart(F.time_by(df, 'tool', F.pack_calls(df))))\n"
        "svgs = [chart._repr_mimebundle_()['image/svg+xml'] for chart in charts]\n"
        "print(len(svgs), all(s.startswith('<svg role=\"img\"') for s in svgs), 'altair' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["4", "True", "False"]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # ended (a zombie nobody has reaped yet is not running)


def test_the_worker_ends_when_its_kernel_is_killed() -> None:
    """The kernel is killed when a report ends (``shutdown_kernel(now=True)``): its worker, whose input is a
    pipe from the kernel, sees it close and ends, mid warm-up or not."""
    code = (
        "import sys, time\n"
        "from auditkit.present.svgworker import SvgWorker\n"
        "w = SvgWorker()\n"
        "print(w._process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    kernel = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert kernel.stdout is not None
        pid = int(kernel.stdout.readline())
        assert not _gone(pid)
        kernel.send_signal(signal.SIGKILL)
        kernel.wait(timeout=30)
        deadline = time.monotonic() + 60
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(pid)
    finally:
        kernel.kill()


def test_the_worker_answers_garbage_with_an_error_line_and_keeps_serving() -> None:
    """Its input is the kernel's alone, but a line that is not a request is answered, not fatal."""
    code = "from auditkit.present.svgworker import serve; import sys; serve(sys.stdin, sys.stdout)"
    lines = ["not json\n", "[1, 2]\n", json.dumps({"spec": {}}) + "\n"]
    proc = subprocess.run(
        [sys.executable, "-c", code], input="".join(lines), capture_output=True, text=True, timeout=120
    )
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and len(answers) == 3 and all("error" in a for a in answers), proc.stdout


def _started_kernel(exec_lines: str):
    """A kernel started as :func:`auditkit.present.kernel.start` starts one, with other start-up code."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from auditkit.present import kernel

    km = AsyncKernelManager(kernel_name="python3", client_factory=kernel.ready_client())
    run_sync(km.start_kernel)(
        extra_arguments=["--IPKernelApp.log_level=ERROR", f"--IPKernelApp.exec_lines={exec_lines}"]
    )
    return km


@pytest.mark.slow
def test_the_ready_kernel_runs_the_first_cell_with_every_output() -> None:
    """Ready as soon as it answered (no 0.2 s of silence waited for), and nothing of the first cell is lost."""
    from jupyter_core.utils import run_sync

    from auditkit.present import kernel

    km = _started_kernel("import time; time.sleep(1.5)")  # slower to answer than the shell's first 1 s wait
    try:
        kc = km.client()
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=120)
        seen: list[dict] = []
        reply = run_sync(kc.execute_interactive)("for i in range(3): print(i)", timeout=60, output_hook=seen.append)
        assert reply["content"]["status"] == "ok"
        printed = "".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream")
        assert printed == "0\n1\n2\n"
        kc.stop_channels()
    finally:
        kernel.stop(km)


@pytest.mark.slow
def test_a_kernel_that_dies_as_it_starts_is_said_dead_not_waited_for() -> None:
    from jupyter_core.utils import run_sync

    from auditkit.present import kernel

    km = _started_kernel("import os; os._exit(3)")
    try:
        kc = km.client()
        kc.start_channels()
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="died"):
            run_sync(kc.wait_for_ready)(timeout=300)
        assert time.monotonic() - started < 60
        kc.stop_channels()
    finally:
        kernel.stop(km)


def _kernels_of(pid: int) -> list[int]:
    """The Jupyter kernels this process started that are still running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X") and b"ipykernel" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_a_report_refused_after_its_kernel_started_leaves_no_kernel_running(tmp_path: Path, capsys) -> None:
    """``auditkit report`` starts the kernel before it checks the parameters: a refused run stops it."""
    out = tmp_path / "pack"
    assert main(["report", "incident", str(SAMPLES), "--out", str(out), "-p", "deleted_pth", "x"]) == 2
    assert "no parameter 'deleted_pth'" in capsys.readouterr().err
    assert not out.exists()
    deadline = time.monotonic() + 30
    while _kernels_of(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _kernels_of(os.getpid()) == []


def test_rule_files_read_the_same_with_libyaml_as_with_pyyaml() -> None:
    import yaml

    from auditkit.detection.engine import builtin_rules_dir
    from auditkit.detection.ruledata import _yaml_loader

    loader = _yaml_loader(yaml)
    assert loader is yaml.CSafeLoader  # the venv's PyYAML has libyaml: the fast path is the one tested
    files = sorted(builtin_rules_dir().glob("*.yml"))
    assert len(files) >= 20
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert list(yaml.load_all(text, Loader=loader)) == list(yaml.safe_load_all(text)), f.name


# --- the rule cache -------------------------------------------------------------------------------


def _rule_shape(rules: list) -> list[tuple]:
    return [
        (r.id, r.title, r.level, r.tags, r.file, r.view, r.unknown_fields, r.correlation, r.name, r.hidden)
        for r in rules
    ]


def _cached_files() -> list[Path]:
    from auditkit.trail.config import cache_dir

    folder = Path(cache_dir()) / "sigma"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _fresh_detect() -> tuple[list, object]:
    """Rules and the samples' matches, in a process of its own (the cache as it is on disk)."""
    code = (
        "import json, sys, warnings\n"
        "import auditkit\n"
        "from auditkit.detection.engine import detect, load_rules\n"
        "warnings.simplefilter('ignore')\n"
        "rules = load_rules()\n"
        f"hits = detect(auditkit.load([{str(SAMPLES)!r}]), rules)\n"
        "print(json.dumps({'sigma': 'sigma' in sys.modules, 'rules': [[r.id, r.title, r.level, r.tags, r.view,\n"
        "  r.unknown_fields, r.correlation, r.hidden] for r in rules],\n"
        "  'hits': hits.drop(columns=['timestamp']).astype(str).to_dict(orient='records')}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=os.environ)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_rules_read_back_from_the_cache_match_as_the_parsed_ones_do() -> None:
    """The first run parses the built-in pack with pySigma and keeps it (private files); the next reads it back
    without importing pySigma, and the same rules find the same matches."""
    assert _cached_files() == []
    cold = _fresh_detect()
    kept = _cached_files()
    assert cold["sigma"] is True and len(kept) >= 20
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in kept) and kept[0].parent.stat().st_mode & 0o777 == 0o700
    warm = _fresh_detect()
    assert warm["sigma"] is False  # read back: pySigma not even imported
    assert warm["rules"] == cold["rules"] and warm["hits"] == cold["hits"] and len(cold["hits"]) > 0


def test_a_damaged_or_foreign_cache_file_is_not_read(tmp_path: Path) -> None:
    """Garbage, another shape, or a link in place of a cache file: the rule file is parsed again, as if there
    were no cache (and a link is never followed to what it names)."""
    from auditkit.detection.engine import load_rules

    fresh = _rule_shape(load_rules())
    kept = _cached_files()
    assert kept
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(json.dumps({"format": 1, "entries": []}))
    kept[0].write_text("{not json")
    kept[1].write_text(json.dumps({"format": 1, "entries": [{"meta": "not a dict"}]}))
    kept[2].write_text(json.dumps({"format": 1, "entries": [{"trees": "x"}]}))
    kept[3].unlink()
    kept[3].symlink_to(elsewhere)  # would empty that rule file's rules, if followed
    assert _rule_shape(load_rules()) == fresh
    for damaged in kept[:3]:  # parsed again, and kept again in place of what was there
        assert json.loads(damaged.read_text())["entries"][0]["meta"]["level"]
    assert elsewhere.read_text() == json.dumps({"format": 1, "entries": []})  # never written through the link


def test_a_rule_file_that_does_not_parse_is_never_kept(tmp_path: Path) -> None:
    from auditkit.detection.engine import load_rules
    from auditkit.errors import RuleError

    bad = tmp_path / "bad.yml"
    bad.write_text("title: x\nlogsource: {product: claude_code}\ndetection: {sel: {tool: Bash}, condition: nope}\n")
    with pytest.raises(RuleError, match=r"bad\.yml"):
        load_rules([bad], builtin=False)
    assert _cached_files() == []
    with pytest.raises(RuleError, match=r"bad\.yml"):  # and refused again, not read back
        load_rules([bad], builtin=False)


def _probe(km) -> list:
    """What a notebook would see of its kernel: the path, the working folder, the shell, a debugger."""
    from jupyter_core.utils import run_sync

    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=120)
        seen: list[dict] = []
        code = (
            "import json, os, sys; print(json.dumps([sys.path, os.getcwd(), type(get_ipython()).__name__,"
            " sys.modules.get('debugpy') is not None]))"
        )
        run_sync(kc.execute_interactive)(code, timeout=60, output_hook=seen.append)
        return json.loads("".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream"))
    finally:
        kc.stop_channels()


@pytest.mark.slow
def test_the_report_kernel_is_the_standard_ipython_kernel_less_its_debugger() -> None:
    """Launched by auditkit.present.kernel (not ipykernel_launcher) only to refuse debugpy (~0.1 s of its
    start): a notebook sees the same path, working folder and shell as in the standard kernel."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from auditkit.present import kernel

    ours = kernel.start("compliance")
    standard = AsyncKernelManager(kernel_name="python3")
    try:
        assert ours.kernel_spec.argv[1:3] == ["-m", "auditkit.present.kernel"]
        run_sync(standard.start_kernel)(
            cwd=str(kernel.notebooks_dir()), extra_arguments=["--IPKernelApp.log_level=ERROR"]
        )
        assert standard.kernel_spec.argv[1:3] == ["-m", "ipykernel_launcher"]
        seen_ours, seen_standard = _probe(ours), _probe(standard)
        assert seen_ours[:3] == seen_standard[:3] and seen_ours[2] == "ZMQInteractiveShell"
        assert (seen_ours[3], seen_standard[3]) == (False, True)  # debugpy: refused in ours only
    finally:
        kernel.stop(ours)
        kernel.stop(standard)


@pytest.mark.parametrize("planted", [None, "Python3"])
def test_the_kernel_spec_is_jupyters_own_found_without_importing_ipython(tmp_path: Path, planted: str | None) -> None:
    """The spec the report's kernel is launched from is the one jupyter_client finds (the same folder, argv and
    all; a spec planted in a folder of JUPYTER_PATH, named in another case, wins in both), found before IPython
    or ipykernel is imported: they cost the kernel's launch ~0.07 s."""
    env = dict(os.environ)
    if planted:
        folder = tmp_path / "share" / "kernels" / planted
        folder.mkdir(parents=True)
        spec = {"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "planted"}
        (folder / "kernel.json").write_text(json.dumps(spec))
        env["JUPYTER_PATH"] = str(tmp_path / "share")
    code = (
        "import json, sys\n"
        "from auditkit.present import kernel\n"
        "ours = kernel.spec_manager()().get_kernel_spec('python3')\n"
        "early = [m for m in ('IPython', 'ipykernel') if m in sys.modules]\n"
        "from jupyter_client.kernelspec import KernelSpecManager\n"
        "theirs = KernelSpecManager().get_kernel_spec('python3')\n"
        "print(json.dumps([early, ours.resource_dir == theirs.resource_dir, ours.to_dict() == theirs.to_dict(),"
        " ours.display_name]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    early, same_folder, same_spec, name = json.loads(proc.stdout)
    assert early == [] and same_folder and same_spec
    assert (name == "planted") == bool(planted)


def test_only_the_standard_python3_kernel_spec_is_launched_by_the_kit() -> None:
    from types import SimpleNamespace

    from auditkit.present.kernel import _launched_here

    standard = SimpleNamespace(argv=["/opt/py/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    _launched_here(standard)
    assert standard.argv == ["/opt/py/bin/python", "-m", "auditkit.present.kernel", "-f", "{connection_file}"]
    custom = SimpleNamespace(argv=["/usr/bin/env", "my-kernel", "-f", "{connection_file}"])
    _launched_here(custom)
    assert custom.argv == ["/usr/bin/env", "my-kernel", "-f", "{connection_file}"]
