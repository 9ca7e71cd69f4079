"""Claude Code's ``structuredPatch``: a list of hunks ``{oldStart, oldLines, newStart, newLines, lines}``.

``lines`` hold the hunk's lines prefixed with ``" "`` (context), ``"-"`` (removed) or ``"+"``
(added), without line endings, as in a unified diff.
"""

from __future__ import annotations

import difflib


def structured_patch(old: str, new: str, context: int = 3) -> list[dict]:
    """The hunks that turn ``old`` into ``new``, in Claude Code's shape."""
    a, b = old.splitlines(), new.splitlines()
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [" " + line for line in a[a1:a2]]
                continue
            lines += ["-" + line for line in a[a1:a2]]
            lines += ["+" + line for line in b[b1:b2]]
        hunks.append(
            {
                "oldStart": i1 + 1 if i2 > i1 else i1,
                "oldLines": i2 - i1,
                "newStart": j1 + 1 if j2 > j1 else j1,
                "newLines": j2 - j1,
                "lines": lines,
            }
        )
    return hunks


def unified_diff(old: str, new: str, old_name: str = "a", new_name: str = "b") -> str:
    """A plain unified diff of two texts (empty when they are equal)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=old_name, tofile=new_name
        )
    )
