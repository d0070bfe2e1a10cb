"""`arcbench plot`: one PNG per turn of a task, then the evolution table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import out
from arcbench.errors import UserError
from arcbench.inert import inert


def plot_cmd(
    target: Annotated[Path, typer.Argument(help="A run directory, or one task log (RUN_DIR/tasks/<task_id>.json).")],
    task: Annotated[list[str] | None, typer.Option(
        "--task", "-t", help="Plot only this task (repeatable). Default: every task of the run.")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for the PNGs (default RUN_DIR/plots).")] = None,
    curves: Annotated[bool, typer.Option(
        "--curves", help="Instead of per-turn charts: the run's score against samples per task and against cost "
        "(pass@2 after k samples with its band over orders, and pass@k) as RUN_DIR/plots/curves_<run>.png.")] = False,
) -> None:
    """Draw every turn of a task as a PNG: Input | Expected | Predicted per training example and test input,
    predicted grids framed green when right and red when wrong. Prints how the task evolved turn by turn.
    With --curves, draws the run's anytime curves instead."""
    if curves:
        _plot_curves(target, out_dir)
        return
    from arcbench.report.plots import evolution_table, plot_task
    from arcbench.report.rundir import LoadedRun, expected_outputs, load_run, read_task_log

    if target.is_file():
        log = read_task_log(target)
        run_dir = target.parent.parent if target.parent.name == "tasks" else target.parent
        try:
            config = load_run(run_dir).config
        except UserError:  # a task log on its own: draw it without the run around it
            config = None
        name = run_dir.resolve().name if config else target.stem
        runs = [LoadedRun(path=run_dir, name=name, config=config, summary=None, tasks={log.task_id: log})]
        default_out = target.parent.parent / "plots" if target.parent.name == "tasks" else target.parent / "plots"
    else:
        top = load_run(target)
        runs = top.repeats or [top]
        default_out = target / "plots"
    dest = out_dir or default_out
    wanted = set(task or [])
    known = {tid for r in runs for tid in r.tasks}
    if wanted - known:
        missing = ", ".join(sorted(wanted - known)[:5])
        raise UserError(f"{target}: no task log for {missing} (this run has {len(known)} tasks)")
    written = 0
    for run in runs:
        logs = {tid: log for tid, log in run.tasks.items() if not wanted or tid in wanted}
        expected = expected_outputs(run.config, logs)
        for tid, log in logs.items():
            rows = plot_task(log, expected[tid], run.name.replace("/", "_"), dest)
            written += len(rows)
            if rows:
                out.print(evolution_table(f"{tid} ({run.name})" if len(runs) > 1 else tid, rows))
                for r in rows:  # whole, one to a line: copyable, never folded inside a table cell
                    out.print(f"  turn {r.turn}: {inert(str(dest / r.file), single_line=True)}", markup=False)
            else:
                out.print(f"{inert(tid, single_line=True)}: no turns to draw", markup=False)
    out.print(f"{written} chart(s) in {inert(str(dest), single_line=True)}", markup=False)


def _plot_curves(target: Path, out_dir: Path | None) -> None:
    from arcbench.report.curve_charts import png_name, save_png
    from arcbench.report.rundir import load_curve, load_run
    from arcbench.report.terminal import curve_table

    if target.is_file():
        raise UserError(f"{target}: --curves draws a whole run: pass its run directory")
    run = load_run(target)
    curve = load_curve(run)
    if curve is None:
        raise UserError(f"{target}: no scored task with a sample yet, so there is no curve to draw")
    dest = out_dir or target / "plots"
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / png_name(run.name)
    save_png(curve, path, run.label)
    out.print(curve_table(curve, f"{run.label}: score after k samples per task ({curve.tasks} tasks)"))
    out.print(f"curves: {inert(str(path), single_line=True)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("plot")(plot_cmd)
