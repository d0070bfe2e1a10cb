"""The hard-coding filter on real-looking programs, both ways, and its effect on the choice of attempts."""

from __future__ import annotations

import json

import pytest

from arcbench.data import load_tasks
from arcbench.data.types import Example
from arcbench.solve import choose_attempts
from arcbench.solve.hardcode import hardcoding, literal_grids
from arcbench.solve.records import TestRun, Turn

(LT,) = load_tasks("arc-agi-1", "6150a2bd")
TRAIN, TESTS = LT.task.train, LT.task.test_inputs
IN0, OUT0, OUT1 = TRAIN[0].input, TRAIN[0].output, TRAIN[1].output

GENERAL = {
    "rotation": "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n",
    "numpy with a kernel": ("import numpy as np\n\nKERNEL = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])\n\n"
                            "def transform(grid):\n    g = np.array(grid)\n    return np.rot90(g, 2).tolist()\n"),
    "colour map": ("MAP = {3: 3, 7: 7, 8: 8, 5: 5}\n\ndef transform(grid):\n"
                   "    return [[MAP.get(c, c) for c in row] for row in grid[::-1]][::1]\n"),
    "small literals": ("def transform(grid):\n    if not grid:\n        return [[0]]\n"
                       "    offsets = [(0, 1), (1, 0)]\n    return [row[::-1] for row in grid[::-1]]\n"),
    "does not parse": "def transform(grid:\n    return [[3, 3, 8], [3, 7, 0], [5, 0, 0]]\n",
}

HARDCODED = {
    "returns a training output": (f"def transform(grid):\n    if grid[0][0] == 3:\n        return {json.dumps(OUT0)}\n"
                                  "    return grid\n", "training output 1"),
    "branches on a training input": (f"def transform(grid):\n    if grid == {json.dumps(IN0)}:\n"
                                     "        return [r[::-1] for r in grid[::-1]]\n    return grid\n",
                                     "training input 1"),
    "recognises the test input with numpy": ("import numpy as np\n\ndef transform(grid):\n"
                                             f"    if np.array_equal(np.array(grid), np.array({json.dumps(TESTS[0])})):"
                                             "\n        return [[0]]\n"
                                             "    return np.rot90(np.array(grid), 2).tolist()\n",
                                             "test input 1"),
    "looks outputs up by input": ("ANSWERS = {\n"
                                  f"    {tuple(tuple(r) for r in IN0)!r}: {json.dumps(OUT0)},\n"
                                  "}\n\ndef transform(grid):\n    return ANSWERS.get(tuple(map(tuple, grid)), grid)\n",
                                  "training"),
    "second output as tuples": (f"OUT = {tuple(tuple(r) for r in OUT1)!r}\n\ndef transform(grid):\n"
                                "    return [list(r) for r in OUT]\n", "training output 2"),
}


@pytest.mark.parametrize("name", sorted(GENERAL))
def test_a_general_program_is_not_flagged(name):
    assert hardcoding(GENERAL[name], TRAIN, TESTS) is None


@pytest.mark.parametrize("name", sorted(HARDCODED))
def test_a_program_that_memorises_grids_is_flagged_and_says_which(name):
    code, where = HARDCODED[name]
    why = hardcoding(code, TRAIN, TESTS)
    assert why is not None and where in why


def test_an_output_every_example_shares_is_the_rule_not_a_memorised_answer():
    same = [[1, 2], [3, 4]]
    train = [Example(input=[[0, 0], [0, 1]], output=same), Example(input=[[5, 5], [5, 5]], output=same)]
    assert hardcoding(f"def transform(grid):\n    return {same}\n", train, [[[7, 7], [7, 7]]]) is None


def _turn(index: int, output: list[list[int]], *, hardcoded: bool, solved: int = 2) -> Turn:
    return Turn(index=index, sample=index, turn_in_sample=1, call_id=f"c{index}", user_message="",
                test=[TestRun(index=0, output=output)], train_solved=solved, train_total=2,
                train_pixel_accuracy=solved / 2, hardcoded=hardcoded)


def test_a_hardcoded_program_ranks_below_every_program_that_is_not():
    turns = [_turn(0, [[1]], hardcoded=True, solved=2), _turn(1, [[1]], hardcoded=True, solved=2),
             _turn(2, [[2]], hardcoded=False, solved=0)]
    (attempts,) = choose_attempts(turns, 1)
    assert [a.output for a in attempts] == [[[2]], [[1]]]
    assert [a.hardcoded for a in attempts] == [False, True]


def test_an_output_a_general_program_agrees_with_is_not_ranked_down():
    turns = [_turn(0, [[1]], hardcoded=True), _turn(1, [[1]], hardcoded=False, solved=1),
             _turn(2, [[2]], hardcoded=False, solved=1)]
    (attempts,) = choose_attempts(turns, 1)
    assert attempts[0].output == [[1]] and not attempts[0].hardcoded


def test_votes_by_sample_count_each_expert_once():
    turns = [_turn(0, [[1]], hardcoded=False), _turn(1, [[2]], hardcoded=False), _turn(2, [[2]], hardcoded=False)]
    turns[2].sample = 1  # expert 1 said [[2]] twice
    (attempts,) = choose_attempts(turns, 1, vote_by="sample")
    assert [(a.output, a.votes) for a in attempts] == [([[1]], 1), ([[2]], 1)]
    (by_turn,) = choose_attempts(turns, 1)
    assert by_turn[0].output == [[2]] and by_turn[0].votes == 2


@pytest.mark.parametrize("source", [
    "X = [[1, 2], [3, 4]]", "X = [  # the answer\n  [1, 2],\n  [3, 4]]", "X = np.array(( (1, 2), (3, 4) ))",
    "X = [[\n1, 2], [3, 4]]", "X = [\\\n[1, 2], [3, 4]]", "X = [[(1), 2], [3, 4]]",
])
def test_a_grid_literal_is_found_however_it_is_spaced(source):
    # Sources without two opening brackets before a digit are not parsed at all: every spelling of a literal must
    # still get through that filter.
    assert literal_grids(source) == [((1, 2), (3, 4))]
