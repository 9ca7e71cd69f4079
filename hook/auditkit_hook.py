"""auditkit's Claude Code command hook: the file Claude Code runs, once per event.

Registered by ``auditkit install`` as ``<python> -I -S <this file> [--trail PATH]``. It only finds
the ``auditkit`` package beside it and calls :func:`auditkit.trail.capture.main`: the capture path lives
in an importable module, so Python runs it from cached bytecode instead of compiling it on every
call. Standard library only; it exits 0 whatever happens.
"""

import gc

gc.disable()  # a process that lives one event: the cycle collector would only cost time (~0.5 ms an event)
import posix  # noqa: E402 - not os: importing os costs ~1.4 ms here (see auditkit/trail/_startup_os.py)
import sys  # noqa: E402


def _dirname(p: str) -> str:
    head = p[: p.rfind("/") + 1]
    return head.rstrip("/") or head


def _is_file(p: str) -> bool:
    try:
        return posix.stat(p).st_mode & 0o170000 == 0o100000
    except OSError:
        return False


script = __file__ if __file__.startswith("/") else posix.getcwd() + "/" + __file__
here = _dirname(script)
for root in (_dirname(here), _dirname(_dirname(here))):  # source checkout, wheel
    if _is_file(root + "/auditkit/trail/capture.py"):
        sys.path.insert(0, root)
        # the packages without running their __init__ (the public API's table and a docstring, ~0.3 ms of
        # every event the hook never uses): their modules are found through these __path__s alone
        for name in ("auditkit", "auditkit.trail"):
            package = type(sys)(name)
            package.__path__ = [root + "/" + name.replace(".", "/")]
            sys.modules[name] = package
        break
try:
    from auditkit.trail.capture import main
except BaseException as exc:  # a broken install must not break the agent either
    sys.stderr.write(f"auditkit hook: cannot load auditkit from {here}: {exc} (nothing recorded)\n")
    sys.exit(0)
status = main()
# Leave without the interpreter's teardown (about 2 ms, a seventh of the hook's run): the trail and
# every other file were written with os.write or closed already; only the std streams need flushing.
for stream in (sys.stdout, sys.stderr):
    try:  # noqa: SIM105 - contextlib would cost the hook an import
        stream.flush()
    except BaseException:
        pass
posix._exit(status)
