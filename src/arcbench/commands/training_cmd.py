"""`arcbench training-data`: fine-tuning sets from run logs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import flag_errors, out
from arcbench.errors import UserError
from arcbench.inert import inert

_FLAGS = {"format": "--format", "validation": "--validation", "limit": "--limit", "augment": "--augment",
          "workers": "--workers", "output": "--output"}


def training_data_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (repeat subfolders are read too).",
                                                   metavar="RUN_DIR", show_default=False)],
    limit: Annotated[int | None, typer.Option("--limit", help="At most N programs after balancing (half with an "
                                              "originally correct training output, half without).")] = None,
    validation: Annotated[float, typer.Option("--validation", help="Fraction of tasks held out as a validation set "
                                              "(by task, stratified); 0 for none.")] = 0.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default "
                                                "training_data/<time>.jsonl or .parquet). Validation JSONL goes to "
                                                "OUTPUT with a _val suffix; OUTPUT.manifest.json records "
                                                "provenance.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Sandbox processes (default: one per core).")] = None,
    include_correct: Annotated[bool, typer.Option("--include-correct", help="Keep programs that already solve every "
                                                  "training example (as plain positives).")] = False,
    augment: Annotated[int, typer.Option("--augment", help="Up to K variants per example: rotated, flipped, "
                                         "transposed or recoloured inputs with the program re-run on them.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="openai (chat fine-tuning JSONL) | parquet (one table, "
                                     "for Hugging Face datasets).")] = "openai",
    seed: Annotated[int, typer.Option("--seed", help="Seed for balancing, augmentation, split and order.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build a fine-tuning set from run logs: every program re-executed, relabelled to the task it solves, balanced,
    optionally augmented, split by task."""
    from arcbench.training.pipeline import TrainingOptions, generate
    from arcbench.training.report import report_table, why_nothing

    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path("training_data") / f"{stamp}.{'parquet' if fmt == 'parquet' else 'jsonl'}"
    if output.exists() and output.is_dir():
        raise UserError(f"--output {output} is a directory: give a file name")
    with flag_errors(_FLAGS):
        options = TrainingOptions(output=output, format=fmt, validation=validation, limit=limit,  # type: ignore[arg-type]
                                  include_correct=include_correct, augment=augment, seed=seed, workers=workers)
    report = generate(run_dirs, options, out, quiet=quiet)
    out.print(report_table(report))
    if not report.files:
        raise UserError(f"nothing to write: {why_nothing(report)}")
    for f in report.files:
        out.print(f"Wrote {inert(f, single_line=True)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("training-data")(training_data_cmd)
