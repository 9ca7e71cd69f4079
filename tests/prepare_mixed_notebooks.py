"""Copy the incident and cost notebooks with their trails set to a folder of three agents, for nbval to run.

`make test` runs nbval over notebooks/ as committed (the bundled samples), then over these copies: Claude Code
hook trails and a transcript, Codex rollouts and Gemini sessions together. papermill only injects the
parameters here (prepare_only); nbval executes.

    python tests/prepare_mixed_notebooks.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parent.parent
MIXED = [
    ROOT / "tests" / "fixtures" / "agents",
    ROOT / "sample_logs" / "incident",
    ROOT / "tests" / "fixtures" / "transcripts" / "v2.1-progress",
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in ("incident", "cost"):
        papermill.execute_notebook(
            str(ROOT / "notebooks" / f"{name}.ipynb"),
            str(out / f"{name}-three-agents.ipynb"),
            parameters={"trails": [str(p) for p in MIXED], "interactive": False},
            prepare_only=True,
            progress_bar=False,
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
