"""Scoring: exact match, pixel accuracy and ARC Prize pass@2. Pure functions.

This is the only module that reads test outputs. Solving code never imports it with labels in hand: the engine calls
it once a task's attempts are fixed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from arcbench.data.types import Grid, grid_cells

MAX_ATTEMPTS = 2  # ARC Prize rule: two attempts per test input


class AttemptScore(BaseModel):
    correct: bool
    pixel_accuracy: float
    matched_cells: int


class TestInputScore(BaseModel):
    __test__ = False  # not a pytest test class

    index: int
    attempts: list[AttemptScore]
    solved: bool
    matched_cells: int
    """Matched cells of the best attempt (0 when there is none)."""
    expected_cells: int


class TaskScore(BaseModel):
    task_id: str
    tests: list[TestInputScore]
    score: float
    """Solved test inputs / test inputs: the ARC Prize per-task score."""
    fully_solved: bool
    matched_cells: int
    expected_cells: int

    @property
    def pixel_accuracy(self) -> float:
        return self.matched_cells / self.expected_cells if self.expected_cells else 0.0


class RunScore(BaseModel):
    total_tasks: int
    score: float
    """Official score: mean task score (each task weighs 1 whatever its number of test inputs)."""
    tasks_fully_solved: int
    task_accuracy: float
    pixel_accuracy: float
    matched_cells: int
    expected_cells: int


def matched_cells(predicted: Grid | None, expected: Grid) -> int:
    """Cells equal to the expected grid's; 0 when there is no prediction or the shapes differ."""
    if predicted is None or len(predicted) != len(expected) or any(
        len(p) != len(e) for p, e in zip(predicted, expected, strict=True)
    ):
        return 0
    # Equal rows are compared in one C-level step; only differing rows are counted cell by cell (map: also in C).
    return sum(len(e) if p == e else sum(map(operator.eq, p, e)) for p, e in zip(predicted, expected, strict=True))


def pixel_accuracy(predicted: Grid | None, expected: Grid) -> float:
    total = grid_cells(expected)
    return matched_cells(predicted, expected) / total if total else 0.0


def exact_match(predicted: Grid | None, expected: Grid) -> bool:
    return predicted is not None and predicted == expected


def score_attempt(predicted: Grid | None, expected: Grid) -> AttemptScore:
    m = matched_cells(predicted, expected)
    total = grid_cells(expected)
    return AttemptScore(correct=exact_match(predicted, expected), pixel_accuracy=m / total if total else 0.0,
                        matched_cells=m)


def score_task(task_id: str, attempts: Sequence[Sequence[Grid | None]], test_outputs: Sequence[Grid]) -> TaskScore:
    """Score up to two attempts per test input. `attempts[i]` are the answers for test input i (may be empty)."""
    if len(attempts) != len(test_outputs):
        raise ValueError(f"{task_id}: {len(attempts)} attempt lists for {len(test_outputs)} test inputs")
    tests = []
    for i, (answers, expected) in enumerate(zip(attempts, test_outputs, strict=True)):
        if len(answers) > MAX_ATTEMPTS:
            raise ValueError(f"{task_id}: test {i} has {len(answers)} attempts, at most {MAX_ATTEMPTS} count")
        scored = [score_attempt(a, expected) for a in answers]
        tests.append(TestInputScore(
            index=i,
            attempts=scored,
            solved=any(s.correct for s in scored),
            matched_cells=max((s.matched_cells for s in scored), default=0),
            expected_cells=grid_cells(expected),
        ))
    solved = sum(t.solved for t in tests)
    return TaskScore(
        task_id=task_id,
        tests=tests,
        score=solved / len(tests) if tests else 0.0,
        fully_solved=bool(tests) and solved == len(tests),
        matched_cells=sum(t.matched_cells for t in tests),
        expected_cells=sum(t.expected_cells for t in tests),
    )


def score_run(tasks: Sequence[TaskScore]) -> RunScore:
    """Aggregate task scores; a task with no score (API failure, unscored task) is simply not passed in."""
    n = len(tasks)
    solved = sum(t.fully_solved for t in tasks)
    matched = sum(t.matched_cells for t in tasks)
    expected = sum(t.expected_cells for t in tasks)
    return RunScore(
        total_tasks=n,
        score=sum(t.score for t in tasks) / n if n else 0.0,
        tasks_fully_solved=solved,
        task_accuracy=solved / n if n else 0.0,
        pixel_accuracy=matched / expected if expected else 0.0,
        matched_cells=matched,
        expected_cells=expected,
    )


def test_oracle(test_outputs: Sequence[Grid]) -> Callable[[list[Grid | None]], bool]:
    """For the leaky `test-correct` stop rule only: a yes/no answer on whether outputs are all right, without
    handing the outputs themselves to the solver. Runs that use it are marked leaky."""
    expected = [list(map(list, g)) for g in test_outputs]

    def oracle(outputs: list[Grid | None]) -> bool:
        return len(outputs) == len(expected) and all(o == e for o, e in zip(outputs, expected, strict=True))

    return oracle
