"""`arcbench submission`: a finished run's chosen attempts as an ARC Prize submission."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from arcbench.commands.shared import out
from arcbench.errors import UserError


def submission_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory (for a repeat run, one of its run_<k> "
                                                 "folders).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="kaggle (one submission.json) | arcprize (the ARC Prize "
                                     "harness's per-task files).")] = "kaggle",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where to write (default RUN_DIR/submission.json, or the folder "
        "RUN_DIR/submission_arcprize/ for --format arcprize).")] = None,
) -> None:
    """Write the run's chosen attempts (two per test input at most) as a Kaggle submission.json or as the ARC Prize
    benchmarking harness's <task_id>.json files, ready for either scorer or for `arcbench score`."""
    from arcbench.report.submission import FORMATS, Format, write_run_submission

    if fmt not in FORMATS:
        raise UserError(f"--format must be {' or '.join(FORMATS)} (got {fmt!r})")
    w = write_run_submission(run_dir, cast(Format, fmt), output)
    out.print(f"submission: {w.path} ({w.format}, {w.tasks} tasks, {w.answered} of {w.test_inputs} test inputs "
              "answered)", markup=False)
    if w.without_attempts:
        more = f" … (+{len(w.without_attempts) - 10})" if len(w.without_attempts) > 10 else ""
        missing = "the placeholder [[0]]" if fmt == "kaggle" else "null attempts"
        out.print(f"{len(w.without_attempts)} task(s) ended without any attempt, written with {missing}: "
                  f"{' '.join(w.without_attempts[:10])}{more}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("submission")(submission_cmd)
