"""Grids as prompt text: one row per line, cells separated by spaces. Rendering and parsing are inverses."""

from __future__ import annotations

import re

from arcbench.data.types import Example, Grid, grid_shape

_ROW_RE = re.compile(r"^\s*\d(?: \d)*\s*$")


def grid_to_text(grid: Grid) -> str:
    return "\n".join([" ".join(map(str, row)) for row in grid])


def text_to_grid(text: str) -> Grid:
    """Parse rows of space-separated digits (inverse of `grid_to_text`)."""
    rows = [line.split() for line in text.strip().splitlines() if line.strip()]
    if not rows or any(not _ROW_RE.match(" ".join(r)) for r in rows):
        raise ValueError("not a grid of space-separated digits")
    return [[int(c) for c in r] for r in rows]


def shape_text(grid: Grid | None) -> str:
    """`RxC`, or '' for a missing grid."""
    if grid is None:
        return ""
    rows, cols = grid_shape(grid)
    return f"{rows}x{cols}"


def infer_output_shape(train: list[Example], test_input: Grid) -> tuple[int, int] | None:
    """The test output's shape when the training pairs pin it down: a constant output shape, the input's shape, or a
    constant integer scale of the input. None when the pairs disagree."""
    outs = {grid_shape(e.output) for e in train}
    if len(outs) == 1:
        return next(iter(outs))
    ir, ic = grid_shape(test_input)
    if all(grid_shape(e.input) == grid_shape(e.output) for e in train):
        return (ir, ic)
    ratios = set()
    for e in train:
        (a, b), (c, d) = grid_shape(e.input), grid_shape(e.output)
        ratios.add((c / a, d / b))
    if len(ratios) == 1:
        fr, fc = next(iter(ratios))
        r, c = ir * fr, ic * fc
        if r == int(r) and c == int(c) and r >= 1 and c >= 1:
            return (int(r), int(c))
    return None


def diff_grid_text(expected: Grid, produced: Grid) -> str:
    """Two grids of one shape compared cell by cell: a right cell as its value, a wrong one as expected/produced
    (`3/0`: 3 was expected, 0 produced). Columns are padded so that rows stay aligned."""
    cells = [[str(e) if e == p else f"{e}/{p}" for e, p in zip(er, pr, strict=True)]
             for er, pr in zip(expected, produced, strict=True)]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)
