"""Record shapes for other systems: OCSF (``ocsf``) and Elastic Common Schema (``ecs``), beside the kit's own.

Each module maps one trail record (a dict in the trail's field names, as a line of the trail holds it) to one
document of that schema; ``shipping`` and ``exporting`` use them for ``--schema``.
"""

from __future__ import annotations

#: ``--schema`` values: the kit's own record shape (the default), OCSF 1.5, ECS.
SCHEMAS = ("auditkit", "ocsf", "ecs")
