"""The pure steps: transformations, balancing, the split, the assistant message."""

from __future__ import annotations

import json
import random

from hypothesis import given
from hypothesis import strategies as st

from arcbench.data.types import Example, Task
from arcbench.training.augment import (
    GEOMETRIC,
    choose_transformations,
    colour_permutation,
    flip_lr,
    flip_ud,
    plan_variants,
    rot90,
    rot180,
    rot270,
    transpose,
)
from arcbench.training.balance import balance
from arcbench.training.export import assistant_message
from arcbench.training.extract import FoundProgram
from arcbench.training.relabel import Qualified
from arcbench.training.split import split_tasks

grids = st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
    lambda rc: st.lists(st.lists(st.integers(0, 9), min_size=rc[1], max_size=rc[1]), min_size=rc[0], max_size=rc[0]))


@given(grids)
def test_rotations_and_reflections_are_invertible(g):
    assert rot90(rot90(rot90(rot90(g)))) == g
    assert rot270(rot90(g)) == g and rot180(rot180(g)) == g
    assert flip_lr(flip_lr(g)) == g and flip_ud(flip_ud(g)) == g and transpose(transpose(g)) == g
    assert rot180(g) == flip_ud(flip_lr(g))


def test_rot90_turns_clockwise():
    assert rot90([[1, 2], [3, 4]]) == [[3, 1], [4, 2]]


@given(grids, st.randoms(use_true_random=False))
def test_colour_permutation_keeps_the_background_and_is_invertible(g, rng):
    rest = list(range(1, 10))
    rng.shuffle(rest)
    perm = [0, *rest]
    inverse = [perm.index(c) for c in range(10)]
    t, back = colour_permutation(perm), colour_permutation(inverse)
    assert back.apply(t.apply(g)) == g
    assert all((a == 0) == (b == 0) for ra, rb in zip(g, t.apply(g), strict=True) for a, b in zip(ra, rb, strict=True))


def test_transformations_are_distinct_and_seeded():
    picks = choose_transformations(9, random.Random(1))
    assert len(picks) == 9 and len({p.name for p in picks}) == 9
    assert [p.name for p in picks] == [p.name for p in choose_transformations(9, random.Random(1))]
    names = {p.name for p in choose_transformations(20, random.Random(2))}
    assert names & {t.name for t in GEOMETRIC} and any(n.startswith("colours_0") for n in names)


def test_variants_that_would_repeat_the_task_are_skipped():
    blank = Task(id="b", train=[Example(input=[[0, 0], [0, 0]], output=[[1]])], test_inputs=[[[0]]])
    assert plan_variants(blank, 3, random.Random(0)) == []
    task = Task(id="t", train=[Example(input=[[1, 2], [3, 0]], output=[[1]])], test_inputs=[[[4, 0]]])
    plan = plan_variants(task, 5, random.Random(0))
    assert len(plan) == 5 and len({json.dumps(inputs) for _, inputs in plan}) == 5
    assert plan == plan_variants(task, 5, random.Random(0))


def _q(task_id: str, correct: int, total: int = 3) -> Qualified:
    t = Task(id=task_id, train=[Example(input=[[1]], output=[[1]])], test_inputs=[[[1]]])
    prog = FoundProgram(task_id=task_id, code=f"# {task_id} {correct}", key=f"{task_id}{correct}")
    return Qualified(program=prog, task=t, test_outputs=[[[1]]], train_indices=[0], originally_correct=correct,
                     train_total=total)


def test_balance_takes_as_many_of_each_class_deterministically():
    items = [_q(f"a{i}", 1) for i in range(3)] + [_q(f"b{i}", 0) for i in range(10)]
    picked = balance(items, seed=5)
    assert sum(q.some_correct for q in picked) == 3 and len(picked) == 6
    assert balance(list(reversed(items)), seed=5) == picked
    assert len(balance(items, seed=5, limit=4)) == 4


def test_balance_with_one_class_empty_keeps_nothing():
    assert balance([_q("a", 1), _q("b", 2)]) == []


def test_split_is_by_task_stratified_and_seeded():
    classes = {f"s{i}": {True} for i in range(10)} | {f"n{i}": {False} for i in range(10)}
    val = split_tasks(classes, 0.3, seed=1)
    assert sum(t.startswith("s") for t in val) == 3 and sum(t.startswith("n") for t in val) == 3
    assert split_tasks(classes, 0.3, seed=1) == val
    assert split_tasks(classes, 0.0) == set()


def test_a_small_fraction_still_gives_both_sides_a_task():
    classes = {"a": {True}, "b": {False}, "c": {True}}
    assert len(split_tasks(classes, 0.01)) == 1 and len(split_tasks(classes, 0.99)) == 2


def test_the_answer_is_one_python_block_after_a_true_sentence():
    t = Task(id="t", train=[Example(input=[[1, 2]], output=[[2]]), Example(input=[[3]], output=[[3]])],
             test_inputs=[[[5]]])
    text = assistant_message(t, "def transform(grid):\n    return [[max(grid[0])]]\n")
    assert text.startswith("Every output is 1x1.") and "both training examples" in text
    assert text.count("```python\n") == 1 and text.rstrip().endswith("```")
