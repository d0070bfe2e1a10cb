"""`arcbench score`: a submission from any tool, scored with arcbench's scorer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import DataDirOpt, DatasetOpt, out


def score_cmd(
    submission: Annotated[Path, typer.Argument(help="A Kaggle submission.json, or a folder of ARC Prize harness "
                                                    "<task_id>.json files.")],
    dataset: DatasetOpt = "arc-agi-1",
    data_dir: DataDirOpt = None,
    subset: Annotated[str | None, typer.Option(
        "--subset", "-s", help="The task set to score against (default: the dataset split that holds the "
        "submission's tasks). Its tasks missing from the submission score 0.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where to write the per-task scores (default: SUBMISSION.scores.json beside it).")
    ] = None,
) -> None:
    """Score a submission (format detected) against a dataset's test outputs: at most two attempts per test input,
    every task of the task set in the denominator. Prints the run summary's score rows and writes per-task scores."""
    from arcbench.report.submission import as_run_summary, score_path
    from arcbench.report.terminal import summary_table
    from arcbench.run.store import write_json_atomic

    scores = score_path(submission, dataset, data_dir, subset)
    named = submission if submission.name else submission.resolve()  # `.` has no name to put beside
    dest = output or named.with_name(f"{named.stem}.scores.json")
    write_json_atomic(dest, scores)
    out.print(f"{submission} ({scores.format}): scored against {scores.task_set}", markup=False)
    out.print(summary_table(as_run_summary(scores), "SCORE", scores_only=True))
    if scores.missing_tasks:
        out.print(f"{len(scores.missing_tasks)} of {scores.total_tasks} tasks are missing from the submission and "
                  "score 0", markup=False)
    if scores.ignored_tasks:
        out.print(f"{len(scores.ignored_tasks)} task(s) of the submission are outside the task set and were not "
                  f"scored: {' '.join(scores.ignored_tasks[:10])}", markup=False)
    out.print(f"Per-task scores: {dest}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("score")(score_cmd)
