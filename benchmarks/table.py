"""`make bench`: every benchmark's rows in one table, each beside its goal; ``--readme`` writes it into README.md.

Each module named in ``MODULES`` offers ``rows(quick: bool) -> list[Row]`` (see ``benchmarks/harness.py``).
``--before REF`` adds, beside each row, the same measure of the code at that git ref (``benchmarks/before.py``),
interleaved with it in the same run. ``--quick`` asks each for a smaller input (a smoke run, not the figures to quote). The README's performance
table is the text between the ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers, replaced whole.

    .venv/bin/python benchmarks/table.py [--quick] [--only NAME ...] [--before REF] [--readme]
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import Row, load_average, table  # noqa: E402

# One module a subject; each offers rows(quick). Order is the table's order.
MODULES: list[str] = [
    "hook_latency",
    "redaction",
    "pii",
    "reports",
    "sql",
    "load",
    "verify",
    "cost",
]

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def collect(names: list[str], quick: bool) -> list[Row]:
    rows: list[Row] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running benchmarks/{name}.py ...", file=sys.stderr, flush=True)
        rows.extend(module.rows(quick))
    return rows


def bytecode(roots: list[Path]) -> None:
    """Write each tree's bytecode before anything is timed, as a user's first run (or pip) does. With
    ``PYTHONDONTWRITEBYTECODE`` set (some sandboxes and CI images set it) no run writes it, and every timed
    process would compile each changed module from source again: a cost no user pays twice."""
    for root in roots:
        for folder in ("auditkit", "hook", "benchmarks"):
            if (root / folder).is_dir():
                compileall.compile_dir(root / folder, quiet=1)


def render(rows: list[Row], before: str, after: str) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    where = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    return f"{table(rows)}\n\nMeasured {when} on {where}; {before} before, {after} after the run."


def write_readme(text: str) -> None:
    readme = REPO / "README.md"
    body = readme.read_text(encoding="utf-8")
    head, sep, rest = body.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"{readme}: the markers {START} and {END} are missing")
    readme.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run, not figures to quote")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run just these benchmark modules")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md between its markers")
    parser.add_argument("--before", metavar="REF", help="also measure the code at this git ref, in the same run")
    args = parser.parse_args()
    if args.before:
        os.environ["AUDITKIT_BENCH_BEFORE"] = args.before  # read by benchmarks/before.py
    from benchmarks import before as before_code

    old = before_code.tree()
    bytecode([REPO] + ([old] if old else []))
    before = load_average()
    rows = collect(args.only or MODULES, args.quick)
    text = render(rows, before, load_average())
    print(text)
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
