"""``auditkit sql`` (a GROUP BY over 1M events) beside plain DuckDB over the same file.

Both are fresh processes, run interleaved, with medians, spread and peak RSS from the OS
(``benchmarks/harness.py``). The floor is DuckDB (its Python package, the same version auditkit uses)
running the same GROUP BY over the same file with ``read_json``; ``auditkit sql`` also checks the file is
one clean trail and answers in the frame's columns and types (see ``auditkit/analysis/trailsql.py``).
Goal: <= 1.5x DuckDB's time, <= 2x its peak memory.

    .venv/bin/python benchmarks/table.py --only sql [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import before  # noqa: E402
from benchmarks.harness import Row, command, interleaved, ratio_row  # noqa: E402
from benchmarks.load import trail_file  # noqa: E402

QUERY = "SELECT tool, count(*) AS n FROM trail GROUP BY tool"
FLOOR = (
    "import sys, duckdb; "
    'duckdb.sql("SELECT tool_name, count(*) AS n FROM read_json(\'" + sys.argv[1] + "\') GROUP BY tool_name")'
    ".fetchall()"
)
KIT = "auditkit sql"
PEER = "duckdb read_json GROUP BY"


def rows(quick: bool) -> list[Row]:
    events = 100_000 if quick else 1_000_000
    path = trail_file(events)
    py, name = sys.executable, str(path)
    argv = [py, "-m", "auditkit", "sql", QUERY, "--trail", name]
    sides = {KIT: command(argv, env=before.env(ROOT), cwd=str(ROOT))}
    old = before.tree()
    if old is not None:
        sides[before.label(KIT)] = command(argv, env=before.env(old), cwd=str(old))
    sides[PEER] = command([py, "-c", FLOOR, name])
    figures = interleaved(sides, runs=5)
    what = f"auditkit sql GROUP BY, {events:,} events ({path.stat().st_size / 1e6:.0f} MB)"
    goal = "<= 1.5x, <= 2x memory"
    out = [ratio_row(what, figures[KIT], figures[PEER], 1.5, goal, memory_goal=2.0)]
    if old is not None:
        out.append(ratio_row(before.label(what), figures[before.label(KIT)], figures[PEER], 1.5, goal, memory_goal=2.0))
    return out


if __name__ == "__main__":
    from benchmarks.harness import load_average, table

    print(table(rows("--quick" in sys.argv)))
    print(load_average())
