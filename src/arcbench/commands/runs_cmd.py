"""`arcbench runs`: list the run directories of a folder, and clean out the ones no longer wanted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import out

DirArg = Annotated[Path, typer.Argument(help="The folder that holds run directories.")]


def runs_list(root: DirArg = Path("runs")) -> None:
    """One line per run directory, oldest first: when it started (UTC), dataset / subset, model, mode, tasks finished,
    score, cost, and whether it is complete. Folders that are not run directories are named after the list."""
    from arcbench.run.housekeeping import find_runs, run_lines

    runs, skipped = find_runs(root)
    if runs:
        for line in run_lines(runs):
            out.print(line, markup=False)
    else:
        out.print(f"no run directories in {root}", markup=False)
    for s in skipped:
        out.print(f"skipped {s.path.name}: {s.reason}", markup=False)


def runs_clean(
    root: DirArg = Path("runs"),
    incomplete: Annotated[bool, typer.Option("--incomplete", help="Runs that did not finish (or are damaged).")
                          ] = False,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", help="Runs last written to longer ago than this: 30d, 12h, 90m, 2w.")] = None,
    match: Annotated[str | None, typer.Option(
        "--match", help="Runs whose folder name matches this shell pattern (e.g. '*_baseline'); without wildcards, "
        "names that contain it.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Delete them. Without it, only show what would be deleted.")
                   ] = False,
) -> None:
    """Delete run directories chosen by --incomplete, --older-than and --match (all given must hold). Shows what it
    would delete and its size; deletes only with --yes. Never touches a folder that is not an arcbench run directory,
    nor an unfinished run written to in the last 10 minutes (it may still be running)."""
    from arcbench.run.housekeeping import (
        delete_run,
        find_runs,
        folder_size,
        human_size,
        parse_age,
        select_runs,
        state_text,
    )

    age = parse_age(older_than) if older_than is not None else None
    runs, _ = find_runs(root)
    chosen, held = select_runs(runs, incomplete=incomplete, older_than_s=age, match=match)
    for r, why in held:
        out.print(f"keeping {r.name}: {why}", markup=False)
    if not chosen:
        out.print(f"nothing to delete in {root}", markup=False)
        return
    sizes = {r.path: folder_size(r.path) for r in chosen}
    total = human_size(sum(sizes.values()))
    width = max(len(r.name) for r in chosen)
    verb = "deleting" if yes else "would delete"
    for r in chosen:
        out.print(f"{verb} {r.name.ljust(width)}  {human_size(sizes[r.path]):>9}  {state_text(r)}", markup=False)
        if yes:
            delete_run(r)
    if yes:
        out.print(f"deleted {len(chosen)} run director{'y' if len(chosen) == 1 else 'ies'}, {total}", markup=False)
    else:
        out.print(f"{len(chosen)} run director{'y' if len(chosen) == 1 else 'ies'}, {total}: nothing deleted; add "
                  "--yes to delete them", markup=False)


def register(app: typer.Typer) -> None:
    from arcbench.commands.shared import group

    runs = group("List run directories and clean out old or unfinished ones.")
    runs.command("list")(runs_list)
    runs.command("clean")(runs_clean)
    app.add_typer(runs, name="runs")
