"""`arcbench exec`: try a program file by hand on one task's train and test inputs.

This is the one place where a person, not the solving loop, sees test results: scoring happens here, after the
program has run, through `arcbench.scoring`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from arcbench.commands.shared import DataDirOpt, DatasetOpt, flag_errors, out
from arcbench.errors import UserError
from arcbench.inert import clip, inert

_SHOWN_OUTPUT_CHARS = 100_000
"""Program output shown at most (the sandbox keeps 10,000 characters by default; a forged report may hold more)."""
_SHOWN_ERROR_CHARS = 300
"""Of a failed grid's message, the table shows the last line, at most this long."""


def exec_cmd(
    program: Annotated[Path, typer.Argument(help="A Python file that defines transform(grid).")],
    task_id: Annotated[str, typer.Option("--task", "-t", help="Task id.")],
    dataset: DatasetOpt = "arc-agi-1",
    data_dir: DataDirOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per grid.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list, one entry per example.")] = False,
) -> None:
    """Run a program on a task's train and test inputs in the sandbox; show correctness, pixel accuracy, errors."""
    from arcbench.data.loading import load_pool
    from arcbench.sandbox import Sandbox, SandboxLimits
    from arcbench.scoring import score_attempt

    if not program.is_file():
        raise UserError(f"{program}: program file not found")
    try:
        source = program.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{program}: cannot read the program ({e})") from e
    with flag_errors({"timeout_s": "--timeout"}):
        limits = SandboxLimits(timeout_s=timeout)
    pool = load_pool(dataset, Path(data_dir) if data_dir else None)
    found = [split[task_id] for split in pool.values() if task_id in split]
    if not found:
        raise UserError(f"unknown task {task_id!r} in {data_dir or dataset} (see `arcbench tasks list`)")
    lt = found[0]
    task = lt.task
    cases: list[tuple[str, int, Any]] = [("train", i, e.output) for i, e in enumerate(task.train)]
    tests = lt.test_outputs or [None] * len(task.test_inputs)
    cases += [("test", i, expected) for i, expected in enumerate(tests)]
    grids = [e.input for e in task.train] + list(task.test_inputs)
    with Sandbox(workers=1, limits=limits) as sandbox:
        result = sandbox.run_sync(source, grids)

    rows = []
    for (split, index, expected), r in zip(cases, result.results, strict=True):
        score = score_attempt(r.output, expected) if expected is not None else None
        rows.append({
            "split": split, "index": index, "ok": r.ok,
            "correct": score.correct if score else None,
            "pixel_accuracy": score.pixel_accuracy if score else None,
            "error": r.error, "message": r.message, "duration_s": r.duration_s, "output": r.output,
        })
    if as_json:
        out.print(json.dumps(rows), markup=False, highlight=False)
        return
    out.print(_table(task_id, rows))
    if result.stdout:
        out.print("program output" + (" (truncated)" if result.stdout_truncated else "") + ":", markup=False)
        out.print(inert(clip(result.stdout, _SHOWN_OUTPUT_CHARS)).rstrip(), markup=False)


def _table(task_id: str, rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(inert(task_id, single_line=True)))
    for col in ("split", "#", "correct", "pixels", "error", "time"):
        table.add_column(col, justify="right" if col in ("#", "pixels", "time") else "left")
    for r in rows:
        correct = "n/a" if r["correct"] is None else ("yes" if r["correct"] else "no")
        pixels = "" if r["pixel_accuracy"] is None else f"{r['pixel_accuracy']:.0%}"
        last = r["message"].strip().splitlines()[-1] if r["message"].strip() else ""
        error = f"{r['error']}: {inert(clip(last, _SHOWN_ERROR_CHARS), single_line=True)}" if r["error"] else ""
        table.add_row(r["split"], str(r["index"]), Text(correct, style="green" if r["correct"] else "red"), pixels,
                      Text(error), f"{r['duration_s'] * 1000:.1f} ms")
    return table


def register(app: typer.Typer) -> None:
    app.command("exec")(exec_cmd)
