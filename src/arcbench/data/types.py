"""Task types.

A `Task` holds what a solver may see: training pairs and test *inputs*. Test outputs live only in `LabelledTask`,
which only the scorer and the loaders handle. Solving code is typed to take `Task`, so it cannot read a test output
by construction: there is nothing to read.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Grid = list[list[int]]


class Example(BaseModel):
    """One training pair."""

    model_config = ConfigDict(frozen=True)

    input: Grid
    output: Grid


class Task(BaseModel):
    """What a solver is given: no test outputs."""

    model_config = ConfigDict(frozen=True)

    id: str
    train: list[Example]
    test_inputs: list[Grid]

    @property
    def size(self) -> int:
        """Cells of the training grids and test inputs (the solver-visible part)."""
        return sum(grid_cells(e.input) + grid_cells(e.output) for e in self.train) + sum(
            grid_cells(g) for g in self.test_inputs
        )


class LabelledTask(BaseModel):
    """A task with its held-back test outputs (None where the source has none: such a task is unscored)."""

    model_config = ConfigDict(frozen=True)

    task: Task
    test_outputs: list[Grid] | None = None
    source: str = ""

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def scored(self) -> bool:
        return self.test_outputs is not None

    @property
    def size(self) -> int:
        """Cells of every grid, test outputs included (the definition used by the size-ordered subsets)."""
        return self.task.size + sum(grid_cells(g) for g in self.test_outputs or [])


def grid_cells(grid: Grid) -> int:
    return len(grid) * (len(grid[0]) if grid else 0)


def grid_shape(grid: Grid) -> tuple[int, int]:
    return (len(grid), len(grid[0]) if grid else 0)
