"""auditkit's Claude Code command hook: the file Claude Code runs, once per event.

Registered by ``auditkit install`` as ``<python> -I -S <this file> [--trail PATH]``. It only finds
the ``auditkit`` package beside it and calls :func:`auditkit.capture.main`: the capture path lives
in an importable module, so Python runs it from cached bytecode instead of compiling it on every
call. Standard library only; it exits 0 whatever happens.
"""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
for root in (os.path.dirname(here), os.path.dirname(os.path.dirname(here))):  # source checkout, wheel
    if os.path.isfile(os.path.join(root, "auditkit", "capture.py")):
        sys.path.insert(0, root)
        break
try:
    from auditkit.capture import main
except BaseException as exc:  # a broken install must not break the agent either
    sys.stderr.write(f"auditkit hook: cannot load auditkit from {here}: {exc} (nothing recorded)\n")
    sys.exit(0)
sys.exit(main())
