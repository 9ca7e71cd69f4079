"""auditkit's Claude Code command hook: the file Claude Code runs once per event (see `auditkit install`).

Python compiles this file on every event (~5 us a token): it only finds the ``auditkit`` package beside it
and hands over to ``auditkit/trail/_startup_import.py``, which is read from cached bytecode. Standard
library only; it exits 0 whatever happens.
"""

import gc

gc.disable()  # a process that lives one event: the cycle collector would only cost time (~0.5 ms an event)
import posix  # noqa: E402 - not os: importing os costs ~1.4 ms here (see auditkit/trail/_startup_os.py)
import sys  # noqa: E402

here = __file__ if __file__[:1] == "/" else posix.getcwd() + "/" + __file__
for up in (2, 3):  # the source checkout (hook/), the wheel (auditkit/_hook/)
    root = here.rsplit("/", up)[0]
    try:
        found = posix.stat(root + "/auditkit/trail/capture.py").st_mode & 0o170000 == 0o100000
    except OSError:
        found = False
    if found:  # the packages without their __init__s (unused here), found by these __path__s alone: root is
        for name in ("auditkit", "auditkit.trail"):  # not put on sys.path, where it would be searched for every module
            sys.modules[name] = package = type(sys)(name)
            package.__path__ = [root + "/" + name.replace(".", "/")]
        break
try:
    from auditkit.trail._startup_import import run
except BaseException as exc:  # a broken install must not break the agent either
    sys.stderr.write(f"auditkit hook: cannot load auditkit from {here}: {exc} (nothing recorded)\n")
    sys.exit(0)
run(here)
