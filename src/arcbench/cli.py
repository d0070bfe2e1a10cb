"""The `arcbench` command. Thin: flags become configs, the package does the work.

User mistakes end as one line on stderr and exit code 2 (see `main`); bugs raise.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from arcbench.errors import UserError

app = typer.Typer(
    help="Measure how well language models solve ARC-AGI puzzles by writing programs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
tasks_app = typer.Typer(help="List and show ARC tasks.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")

out = Console(highlight=False, soft_wrap=True)

DatasetOpt = Annotated[str, typer.Option("--dataset", "-d", help="arc-agi-1 or arc-agi-2.")]
SubsetOpt = Annotated[str, typer.Option("--subset", "-s", help="A subset name, id-list file or comma-separated ids.")]
DataDirOpt = Annotated[
    str | None,
    typer.Option("--data-dir", help="Load tasks from this folder of task JSON files or challenges JSON instead."),
]


@tasks_app.command("list")
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
            out.print(lt.id)
            continue
        t = lt.task
        train = " ".join(f"{shape_text(e.input)}->{shape_text(e.output)}" for e in t.train)
        tests = " ".join(shape_text(g) for g in t.test_inputs)
        out.print(f"{lt.id}  size={lt.size}  train={len(t.train)}  test={len(t.test_inputs)}  "
                  f"train_shapes={train}  test_shapes={tests}" + ("" if lt.scored else "  unscored"))


@tasks_app.command("show")
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


from arcbench.commands import (  # noqa: E402  (importing a command module registers its command on `app`)
    compare_cmd,  # noqa: F401
    exec_cmd,  # noqa: F401
    finetune_cmd,  # noqa: F401
    plot_cmd,  # noqa: F401
    report_cmd,  # noqa: F401
    run_cmd,  # noqa: F401
    serve_cmd,  # noqa: F401
    serve_hf_cmd,  # noqa: F401
    training_cmd,  # noqa: F401
)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns user errors into one line and exit code 2."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        # Without standalone mode, a command's `typer.Exit(code)` comes back as the return value.
        rc = app(args=argv, standalone_mode=False, prog_name="arcbench")
        return rc if isinstance(rc, int) else 0
    except UserError as e:
        err.print(f"error: {e}", markup=False)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        err.print("aborted", markup=False)
        return 130
    except typer.TyperException as e:  # typer's usage errors: bad flag, missing argument, bad value
        ctx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `arcbench` or `arcbench tasks`: help, not an error
            out.print(ctx.get_help() if ctx else "", markup=False)
            return 0
        path = ctx.command_path.split(" ", 1)[1] + " " if ctx and " " in ctx.command_path else ""
        err.print(f"error: {e.format_message()} (see `arcbench {path}--help`)", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
