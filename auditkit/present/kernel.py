"""The Jupyter kernel an evidence pack's notebook runs in (``auditkit report``): started first thing, warmed up
with what the notebooks import, and taken as ready as soon as it has answered.

A report's wall time is mostly this kernel: its start-up, its imports and the notebook's cells run one after
another in it, while ``auditkit report`` itself waits. So the command starts it before anything else it does
(the rest of the command is imported while the kernel starts, on the other core), the kernel imports what every
notebook imports as it starts (:func:`auditkit.present.notebook.warm_kernel`), and the notebook runs as soon as
the kernel has answered (:class:`ReadyClient`).
"""

from __future__ import annotations

import functools
import math
import os
import sys
import time
from pathlib import Path
from queue import Empty
from typing import Any

from auditkit.errors import MissingExtra, ReportError, extra_import


def notebooks_dir() -> Path:
    """The investigation notebooks: a source checkout's ``notebooks/``, else the wheel's package data."""
    from importlib.resources import files  # start-up: read only where a report is made

    checkout = Path(__file__).resolve().parents[2] / "notebooks"  # auditkit/present/kernel.py -> the checkout
    if (checkout / "incident.ipynb").is_file() and (checkout.parent / "pyproject.toml").is_file():
        return checkout
    shipped = files("auditkit") / "_notebooks"
    if shipped.joinpath("incident.ipynb").is_file():
        return Path(str(shipped))
    raise ReportError(f"the investigation notebooks are missing from {shipped} (reinstall auditkit)")


def require_notebook_extra() -> None:
    """:class:`MissingExtra` unless the notebook stack is installed. Found, not imported: the kernel starts
    before this process spends ~0.5 s importing it."""
    from importlib.util import find_spec  # start-up: only a report asks

    def installed(module: str) -> bool:
        if module in sys.modules:  # None there: an import refused on purpose
            return sys.modules[module] is not None
        try:
            return find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    for module in ("mistune", "nbformat", "papermill", "ipykernel", "jupyter_client"):
        if not installed(module):
            raise MissingExtra("auditkit report", "notebooks", module)


#: What the kernel runs as it starts: the imports every notebook begins with, and the chart engine's
#: warm-up (:func:`auditkit.present.notebook.warm_kernel`), done while this process imports papermill.
WARM_UP = "import auditkit.present.notebook as _auditkit_nb; _auditkit_nb.warm_kernel({}, {}); del _auditkit_nb"
#: The notebooks that draw no chart: their kernel neither imports the chart library nor starts its engine.
NO_CHARTS = frozenset({"compliance"})
#: The notebooks whose headless charts are drawn without altair (:func:`auditkit.present.notebook.timelines`,
#: :func:`auditkit.present.notebook.tool_time_chart`): their kernel starts the chart engine, but does not import
#: altair (~0.25 s).
NO_ALTAIR = frozenset({"compliance", "incident", "replay", "cost"})


def start(name: str = "") -> Any:  # -> jupyter_client.AsyncKernelManager
    """Start the kernel for notebook ``name`` (in the notebooks' folder), so that its start-up (~0.6 s) and its
    imports run on the other core while this process imports the rest; papermill is handed the running kernel,
    and the notebook runs in it as in any fresh kernel (nothing defined: the warm-up only imports).
    :class:`ReportError` when it cannot start."""
    require_notebook_extra()
    cwd = notebooks_dir()
    with extra_import("auditkit report", "notebooks"):
        from jupyter_core.utils import run_sync  # optional extra (notebooks)

    km = kernel_manager()(kernel_name="python3", client_factory=ready_client(), kernel_spec_manager=spec_manager()())
    try:
        _launched_here(km.kernel_spec)
        run_sync(km.start_kernel)(
            cwd=str(cwd),
            # the kernel's start-up notice about its local TCP ports is noise in a report run; its IPython history
            # (a SQLite file written by a thread, cell by cell) would keep the report's code and paths for nothing
            extra_arguments=[
                "--IPKernelApp.log_level=ERROR",
                "--HistoryManager.enabled=False",
                f"--IPKernelApp.exec_lines={WARM_UP.format(name not in NO_CHARTS, name not in NO_ALTAIR)}",
            ],
        )
    except Exception as exc:  # no kernelspec, a broken ipykernel: said in one line, not a traceback
        raise ReportError(f"{name}: cannot start a python3 Jupyter kernel: {type(exc).__name__}: {exc}") from exc
    return km


def _launched_here(spec: Any) -> None:
    """The standard python3 kernel (``python -m ipykernel_launcher -f ...``) launched by this module instead
    (:func:`launch`): the same kernel, less its debugger. Any other kernel spec is left as it is."""
    argv = list(getattr(spec, "argv", None) or [])
    if argv[1:3] == ["-m", "ipykernel_launcher"]:
        spec.argv = [argv[0], "-m", "auditkit.present.kernel", *argv[3:]]


def launch() -> None:
    """Run an IPython kernel as ``ipykernel_launcher`` does, without its debugger: debugpy costs ~0.1 s of the
    kernel's start, and a report's kernel is never debugged (it answers debug requests that it has none)."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher: the working folder off the path while ipykernel loads
    sys.modules.setdefault("debugpy", None)  # type: ignore[arg-type]  # None makes the import fail
    with extra_import("auditkit report", "notebooks"):
        from ipykernel import kernelapp  # optional extra (notebooks)

    kernelapp.launch_new_instance()


def stop(km: Any) -> None:
    """Stop the kernel now (its work is done, or the run failed); nothing when it is stopped already."""
    with extra_import("auditkit report", "notebooks"):
        from jupyter_core.utils import run_sync  # optional extra (notebooks)

    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


#: How often a killed kernel is asked whether it has ended (jupyter_client: every 0.1 s, so that stopping a report's
#: kernel, which ends within milliseconds of SIGKILL, took 0.1 s).
KILLED_POLL_S = 0.005


@functools.cache
def kernel_manager() -> type:
    """The class of :class:`KernelManager` (made once: its base class is jupyter_client's, an optional extra)."""
    with extra_import("auditkit report", "notebooks"):
        from jupyter_client.manager import AsyncKernelManager  # optional extra (notebooks)

    class KernelManager(AsyncKernelManager):
        """jupyter_client's kernel manager, which after killing the kernel asks every :data:`KILLED_POLL_S` (not
        every 0.1 s) whether it has ended; the same 5 s limit."""

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            await super()._async_wait(pollinterval=min(pollinterval, KILLED_POLL_S))

    return KernelManager


@functools.cache
def spec_manager() -> type:
    """The class of :class:`KernelSpecs` (made once: its base class is jupyter_client's, an optional extra)."""
    with extra_import("auditkit report", "notebooks"):
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel, _is_kernel_dir
        from jupyter_client.provisioning import KernelProvisionerFactory
        from jupyter_core.paths import jupyter_path

    class KernelSpecs(KernelSpecManager):
        """jupyter_client's kernel specs, found without two imports it makes before the kernel can be launched
        (~0.07 s of every report, while nothing else can start): IPython's (~60 ms), to name the last of its
        folders (``~/.ipython/kernels``), looked in only when the kernel is in none of Jupyter's own folders that
        come before it; and ipykernel's, to tell the spec built into ipykernel, which a spec found in a folder
        never is. The same folders in the same order, the same spec."""

        def _find_spec_directory(self, kernel_name: str) -> str | None:
            if not self.trait_has_value("kernel_dirs"):  # the default: Jupyter's folders first, then IPython's
                for kernel_dir in [d for d in jupyter_path("kernels") if os.path.isdir(d)]:
                    for f in os.listdir(kernel_dir):
                        path = os.path.join(kernel_dir, f)
                        if f.lower() == kernel_name and _is_kernel_dir(path):
                            return path
            found: str | None = super()._find_spec_directory(kernel_name)
            return found

        def _get_kernel_spec_by_name(self, kernel_name: str, resource_dir: str) -> Any:
            if resource_dir == _ipykernel_resources():  # ipykernel's own spec: as jupyter_client reads it
                return super()._get_kernel_spec_by_name(kernel_name, resource_dir)
            spec = self.kernel_spec_class.from_resource_dir(resource_dir)
            if not KernelProvisionerFactory.instance(parent=self.parent).is_provisioner_available(spec):
                raise NoSuchKernel(kernel_name)
            return spec

    return KernelSpecs


def _ipykernel_resources() -> str | None:
    """Where ipykernel keeps its built-in kernel spec (``ipykernel.kernelspec.RESOURCES``), found, not imported."""
    from importlib.util import find_spec  # start-up: only a report asks

    try:
        spec = find_spec("ipykernel")
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec else []
    return os.path.join(Path(folders[0]), "resources") if folders else None


#: How long the kernel's idle status may trail its answer on the shell channel: no status by then means IOPub is
#: not connected yet (a message published before a subscriber connects is lost), and the kernel is asked again.
IOPUB_WINDOW_S = 0.2


@functools.cache
def ready_client() -> type:
    """The class of :class:`ReadyClient` (made once: its base class is jupyter_client's, an optional extra)."""
    with extra_import("auditkit report", "notebooks"):
        from jupyter_client.asynchronous import AsyncKernelClient  # optional extra (notebooks)

    class ReadyClient(AsyncKernelClient):
        """jupyter_client's client, ready as soon as the kernel is: when it has answered ``kernel_info`` on the shell
        channel and its idle status after that request has come on IOPub.

        jupyter_client's own check ends by reading IOPub until it has been silent for 0.2 s, to drop what came before
        the notebook runs: 0.2 s of every report spent waiting. The idle status of the request says the same thing
        without the wait: the kernel publishes it last, after its answer, and a subscriber that receives it is
        connected. (What else waits on IOPub is left there: nbclient reads only the messages of the request it sent.)
        """

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """Return when the kernel has answered, or raise ``RuntimeError`` (as jupyter_client's) when it died or
            did not answer within ``timeout`` seconds."""
            deadline = time.monotonic() + (math.inf if timeout is None else timeout)
            while True:
                request = self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and await self._idle_after(reply, request):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        async def _idle_after(self, reply: dict[str, Any], request: str) -> bool:
            """Whether ``reply`` answers ``kernel_info`` (``request``, or an earlier one: a kernel slower to start than
            the shell's 1 s) and the kernel's idle status after it comes on IOPub within :data:`IOPUB_WINDOW_S`."""
            if reply["msg_type"] != "kernel_info_reply":
                return False
            request = reply["parent_header"].get("msg_id") or request
            end = time.monotonic() + IOPUB_WINDOW_S
            while (left := end - time.monotonic()) > 0:
                try:
                    msg: dict[str, Any] = await self.iopub_channel.get_msg(timeout=left)
                except Empty:
                    return False
                if (
                    msg["msg_type"] == "status"
                    and msg["parent_header"].get("msg_id") == request
                    and msg["content"].get("execution_state") == "idle"
                ):
                    return True
            return False

    return ReadyClient


if __name__ == "__main__":
    launch()
