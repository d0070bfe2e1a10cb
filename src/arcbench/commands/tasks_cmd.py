"""`arcbench tasks list|show`: the tasks of a subset, and one task's grids."""

from __future__ import annotations

from typing import Annotated

import typer

from arcbench.commands.shared import DataDirOpt, DatasetOpt, SubsetOpt, group, out
from arcbench.inert import inert


def tasks_list(
    dataset: DatasetOpt = "arc-agi-1",
    subset: SubsetOpt = "all_training",
    data_dir: DataDirOpt = None,
    ids_only: Annotated[bool, typer.Option("--ids-only", help="Print task ids only.")] = False,
) -> None:
    """Print the tasks of a subset: id, size (cells of all grids), train and test counts, grid shapes."""
    from arcbench.data import load_tasks
    from arcbench.prompts.grids import shape_text

    for lt in load_tasks(dataset, subset, data_dir):
        if ids_only:
            out.print(inert(lt.id, single_line=True), markup=False)
            continue
        t = lt.task
        train = " ".join(f"{shape_text(e.input)}->{shape_text(e.output)}" for e in t.train)
        tests = " ".join(shape_text(g) for g in t.test_inputs)
        out.print(f"{inert(lt.id, single_line=True)}  size={lt.size}  train={len(t.train)}  test={len(t.test_inputs)}  "
                  f"train_shapes={train}  test_shapes={tests}" + ("" if lt.scored else "  unscored"), markup=False)


def tasks_show(
    task_id: Annotated[str, typer.Argument(help="Task id.")],
    dataset: DatasetOpt = "arc-agi-1",
    data_dir: DataDirOpt = None,
    hide_answers: Annotated[bool, typer.Option("--hide-answers", help="Do not draw test outputs.")] = False,
) -> None:
    """Draw a task's grids in the terminal in the ARC colour palette."""
    from arcbench.data import load_tasks
    from arcbench.report.terminal import task_table

    (lt,) = load_tasks(dataset, task_id, data_dir)
    out.print(task_table(lt, show_answers=not hide_answers))


def register(app: typer.Typer) -> None:
    tasks = group("List and show ARC tasks.")
    tasks.command("list")(tasks_list)
    tasks.command("show")(tasks_show)
    app.add_typer(tasks, name="tasks")
