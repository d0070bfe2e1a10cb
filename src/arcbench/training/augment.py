"""Augmentation: more examples from one program by transforming the inputs of its relabelled task.

A transformation here is invertible (rotations, flips, transposes, a permutation of the colours 1-9 that keeps the
background 0), so a transformed task is a genuinely different puzzle of the same kind. The outputs are not
transformed: the program is re-run on the transformed inputs, and its outputs become the variant's outputs, so the
answer stays the same program and the example stays exactly consistent. A variant survives only if the program
returns a valid grid on every transformed input.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from arcbench.data.types import Example, Grid, Task
from arcbench.sandbox.types import GridResult
from arcbench.training.relabel import shape_agrees, valid_output


@dataclass(frozen=True)
class Transformation:
    name: str
    apply: Callable[[Grid], Grid]


def rot90(g: Grid) -> Grid:
    """Quarter turn clockwise."""
    return [list(row) for row in zip(*g[::-1], strict=True)]


def rot180(g: Grid) -> Grid:
    return [row[::-1] for row in g[::-1]]


def rot270(g: Grid) -> Grid:
    """Quarter turn anticlockwise."""
    return [list(row) for row in zip(*g, strict=True)][::-1]


def flip_lr(g: Grid) -> Grid:
    return [row[::-1] for row in g]


def flip_ud(g: Grid) -> Grid:
    return [list(row) for row in g[::-1]]


def transpose(g: Grid) -> Grid:
    return [list(row) for row in zip(*g, strict=True)]


def anti_transpose(g: Grid) -> Grid:
    """Reflection in the anti-diagonal."""
    return rot180(transpose(g))


GEOMETRIC: tuple[Transformation, ...] = tuple(
    Transformation(f.__name__, f) for f in (rot90, rot180, rot270, flip_lr, flip_ud, transpose, anti_transpose)
)


def colour_permutation(perm: list[int]) -> Transformation:
    """Recolour by `perm` (perm[c] is the new colour of c; perm[0] must be 0: the background stays)."""
    if sorted(perm) != list(range(10)) or perm[0] != 0:
        raise ValueError(f"not a permutation of 0-9 keeping 0: {perm}")
    table = list(perm)
    return Transformation("colours_" + "".join(map(str, table)), lambda g: [[table[c] for c in row] for row in g])


def choose_transformations(k: int, rng: random.Random) -> list[Transformation]:
    """Up to `k` distinct transformations: the seven non-identity symmetries of the square and random colour
    permutations, in random order."""
    pool = list(GEOMETRIC)
    for _ in range(max(k, 0)):
        rest = list(range(1, 10))
        rng.shuffle(rest)
        if rest != list(range(1, 10)):
            pool.append(colour_permutation([0, *rest]))
    rng.shuffle(pool)
    return pool[:k]


def variant_inputs(task: Task, t: Transformation) -> list[Grid]:
    """The grids to run the program on for a variant: transformed training inputs, then transformed test inputs."""
    return [t.apply(e.input) for e in task.train] + [t.apply(g) for g in task.test_inputs]


def variant_task(task: Task, inputs: list[Grid], results: list[GridResult]) -> tuple[Task, list[Grid]] | None:
    """The variant's task (transformed inputs, the program's outputs on them) and test outputs, or None when the
    program did not return a valid grid on every transformed input (or a test output contradicts the shape the
    variant's prompt announces)."""
    outputs = [valid_output(r) for r in results]
    if len(outputs) != len(inputs) or any(o is None for o in outputs):
        return None
    n = len(task.train)
    train = [Example(input=i, output=o) for i, o in zip(inputs[:n], outputs[:n], strict=True) if o is not None]
    tests = [o for o in outputs[n:] if o is not None]
    if not all(shape_agrees(train, g, o) for g, o in zip(inputs[n:], tests, strict=True)):
        return None
    return Task(id=task.id, train=train, test_inputs=inputs[n:]), tests


def plan_variants(task: Task, k: int, rng: random.Random) -> list[tuple[str, list[Grid]]]:
    """Up to `k` (transformation name, grids to run) pairs for a task. A transformation that leaves the inputs as
    they are, or as an earlier pick made them (a symmetric grid can be its own rotation), is skipped: it would only
    repeat an example."""
    seen = [[e.input for e in task.train] + task.test_inputs]
    plan: list[tuple[str, list[Grid]]] = []
    for t in choose_transformations(len(GEOMETRIC) + k, rng):
        if len(plan) == k:
            break
        inputs = variant_inputs(task, t)
        if inputs not in seen:
            seen.append(inputs)
            plan.append((t.name, inputs))
    return plan
