"""Spotting programs that memorise the examples instead of computing a rule.

A program is flagged `hardcoded` when its source holds, as a literal (nested lists or tuples of ints, also inside
`np.array(...)` or as dictionary keys), either

- a training output grid — it can return the answer without computing it; or
- a training or test input grid — a program has no use for a specific input but to recognise it (`if grid == [...]`,
  a lookup table keyed by inputs).

Grids smaller than `MIN_CELLS` are ignored (a 1x1 or 1x2 literal is as often a colour or an offset as an answer), and
so is an output every training example shares (a constant answer is the rule). Literals built at run time (from
strings, from arithmetic) are not seen. The check reads source text only: no test output is involved, and it can
neither stop a task nor change what the model is told; it only ranks such programs last when attempts are chosen.
Pure functions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from arcbench.data.types import Example, Grid

MIN_CELLS = 4
GridKey = tuple[tuple[int, ...], ...]


def _key(grid: Grid) -> GridKey:
    return tuple(tuple(row) for row in grid)


def _literal_grid(node: ast.AST) -> GridKey | None:
    """The grid a list/tuple literal spells, if it is a rectangular 2-d literal of ints."""
    if not isinstance(node, ast.List | ast.Tuple) or not node.elts:
        return None
    rows = []
    for row in node.elts:
        if not isinstance(row, ast.List | ast.Tuple) or not row.elts:
            return None
        values = []
        for cell in row.elts:
            if not (isinstance(cell, ast.Constant) and type(cell.value) is int):
                return None
            values.append(cell.value)
        rows.append(tuple(values))
    if len({len(r) for r in rows}) != 1:
        return None
    return tuple(rows)


_NESTED_LITERAL = re.compile(r"(?:[\[(](?:\s|\\|#[^\n]*)*){2,}\d")
"""Two opening brackets in a row (spaces, line breaks, comments between them) and a digit: what every 2-d int
literal starts with. A program without one has no grid literal, and is not parsed (most programs: a run checks every
distinct program, thousands per task when sampling)."""


def literal_grids(code: str) -> list[GridKey]:
    """Every 2-d int literal in the source, outermost first (empty when the code does not parse)."""
    if not _NESTED_LITERAL.search(code):
        return []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        grid = _literal_grid(node)
        if grid is not None:
            found.append(grid)
    return found


def hardcoding(code: str, train: Sequence[Example], test_inputs: Sequence[Grid]) -> str | None:
    """Why the program counts as hard-coded, or None when it does not."""
    literals = {g for g in literal_grids(code) if sum(len(r) for r in g) >= MIN_CELLS}
    if not literals:
        return None
    outputs = [_key(ex.output) for ex in train]
    shared = outputs[0] if outputs and all(o == outputs[0] for o in outputs) else None
    for i, out in enumerate(outputs):
        if out in literals and out != shared:
            return f"its source holds training output {i + 1} ({len(out)}x{len(out[0])})"
    for i, ex in enumerate(train):
        if _key(ex.input) in literals:
            return f"its source holds training input {i + 1}, which it can only use to recognise that input"
    for i, grid in enumerate(test_inputs):
        if _key(grid) in literals:
            return f"its source holds test input {i + 1}, which it can only use to recognise that input"
    return None
