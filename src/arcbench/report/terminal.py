"""Grids and tasks drawn in the terminal with rich."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from arcbench.data.types import Grid, LabelledTask, grid_shape
from arcbench.inert import inert
from arcbench.report.palette import ARC_COLORS


def grid_text(grid: Grid) -> Text:
    """Two spaces per cell on the cell's colour, so grids look square in most terminals."""
    text = Text()
    for r, row in enumerate(grid):
        for c in row:
            text.append("  ", style=f"on {ARC_COLORS[c]}")
        if r < len(grid) - 1:
            text.append("\n")
    return text


def _cell(title: str, grid: Grid | None) -> Group:
    if grid is None:
        return Group(Text(title, style="bold"), Text("(not given)", style="dim"))
    r, c = grid_shape(grid)
    return Group(Text(f"{title} {r}x{c}", style="bold"), grid_text(grid))


def task_table(lt: LabelledTask, show_answers: bool = True) -> Table:
    """One row per training pair and test input: input | output."""
    table = Table(title=Text(f"task {inert(lt.id, single_line=True)}"), show_lines=True)
    table.add_column("example")
    table.add_column("input")
    table.add_column("output")
    for i, ex in enumerate(lt.task.train):
        table.add_row(f"train {i + 1}", _cell("in", ex.input), _cell("out", ex.output))
    for i, g in enumerate(lt.task.test_inputs):
        out = lt.test_outputs[i] if (show_answers and lt.test_outputs) else None
        table.add_row(f"test {i + 1}", _cell("in", g), _cell("out", out))
    return table
