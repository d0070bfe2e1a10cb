"""Validation of task JSON in the official ARC format, with messages that name the file, task and example."""

from __future__ import annotations

from itertools import chain
from typing import Any

from arcbench.data.types import Example, Grid, LabelledTask, Task
from arcbench.errors import UserError

MAX_SIDE = 30
_INT_ONLY = {int}


def grid_problem(value: Any) -> str | None:
    """Why `value` is not a valid ARC grid (a rectangular list of 1-30 lists of 1-30 ints 0-9), or None when it is
    one. The one grid check of the harness: tasks, sandbox outputs and training data go through it."""
    if not isinstance(value, list) or not value:
        return "is not a non-empty list of rows"
    if len(value) > MAX_SIDE:
        return f"has {len(value)} rows (at most {MAX_SIDE})"
    first = value[0]
    width = len(first) if isinstance(first, list) else 0
    if width > MAX_SIDE:
        return f"has {width} columns (at most {MAX_SIDE})"
    # A valid grid passes in a few C-level steps (every program output comes through here); the loop below runs only
    # to name what is wrong.
    if width and all(type(row) is list and len(row) == width for row in value):
        cells = list(chain.from_iterable(value))
        if set(map(type, cells)) == _INT_ONLY and min(cells) >= 0 and max(cells) <= 9:
            return None
    for r, row in enumerate(value):
        if not isinstance(row, list) or not row:
            return f"row {r} is not a non-empty list"
        if len(row) != width:
            return f"is not rectangular (row 0 has {width} cells, row {r} has {len(row)})"
        # `type(v) is int`: bool is an int subclass, and a grid of True/False is a format error, not colours 0/1.
        # The set of types and min/max check a row at C speed (every program output comes through here); the
        # generator only finds the cell to name.
        if set(map(type, row)) != _INT_ONLY or min(row) < 0 or max(row) > 9:
            c, cell = next((c, v) for c, v in enumerate(row) if type(v) is not int or not 0 <= v <= 9)
            return f"cell ({r}, {c}) is {cell!r}, not an integer 0-9"
    return None


def is_grid(value: Any) -> bool:
    """Whether `value` is a valid ARC grid (see `grid_problem`)."""
    return grid_problem(value) is None


def parse_task(data: Any, task_id: str, where: str, solutions: list[Any] | None = None) -> LabelledTask:
    """Build a LabelledTask from official-format JSON, raising UserError with a precise location on bad input.

    `solutions` (Kaggle layout) supplies test outputs kept in a separate file.
    """

    def fail(what: str) -> UserError:
        return UserError(f"{where}: task {task_id}: {what}")

    if not isinstance(data, dict):
        raise fail("is not a JSON object with 'train' and 'test'")
    train_raw, test_raw = data.get("train"), data.get("test")
    if not isinstance(train_raw, list) or not train_raw:
        raise fail("needs at least one train pair in 'train'")
    if not isinstance(test_raw, list) or not test_raw:
        raise fail("needs at least one test input in 'test'")

    def check(grid: Any, label: str) -> Grid:
        problem = grid_problem(grid)
        if problem:
            raise fail(f"{label} {problem}")
        return grid

    train = []
    for i, ex in enumerate(train_raw):
        if not isinstance(ex, dict) or "input" not in ex or "output" not in ex:
            raise fail(f"train example {i} needs 'input' and 'output'")
        train.append(
            Example(input=check(ex["input"], f"train example {i} input"),
                    output=check(ex["output"], f"train example {i} output"))
        )
    test_inputs: list[Grid] = []
    outputs: list[Grid | None] = []
    for i, ex in enumerate(test_raw):
        if not isinstance(ex, dict) or "input" not in ex:
            raise fail(f"test example {i} needs 'input'")
        test_inputs.append(check(ex["input"], f"test example {i} input"))
        out = ex.get("output")
        if solutions is not None:
            out = solutions[i] if i < len(solutions) else None
        outputs.append(check(out, f"test example {i} output") if out is not None else None)
    test_outputs: list[Grid] | None
    if all(o is not None for o in outputs):
        test_outputs = [o for o in outputs if o is not None]
    elif any(o is not None for o in outputs):
        raise fail("has outputs for some test inputs but not all")
    else:
        test_outputs = None
    return LabelledTask(task=Task(id=task_id, train=train, test_inputs=test_inputs), test_outputs=test_outputs,
                        source=where)
