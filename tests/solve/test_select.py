from __future__ import annotations

from arcbench.solve import TestRun, Turn
from arcbench.solve.select import choose_attempts

A, B, C = [[1]], [[2]], [[3]]


def turn(index: int, outputs: list, solved: int, px: float = 0.0) -> Turn:
    return Turn(index=index, sample=index, turn_in_sample=1, call_id=str(index), user_message="",
                test=[TestRun(index=i, output=o) for i, o in enumerate(outputs)], train_solved=solved, train_total=3,
                train_pixel_accuracy=px)


def test_groups_rank_by_train_solved_then_votes_then_pixel_accuracy():
    turns = [turn(0, [A], 1, 0.9), turn(1, [B], 2, 0.1), turn(2, [A], 1, 0.9), turn(3, [C], 1, 0.95)]
    (chosen,) = choose_attempts(turns, 1)
    assert [a.output for a in chosen] == [B, A]  # B solves more training examples; A beats C on votes
    assert chosen[1].votes == 2 and chosen[1].turns == [0, 2]


def test_pixel_accuracy_breaks_ties_when_votes_equal():
    turns = [turn(0, [A], 1, 0.5), turn(1, [B], 1, 0.8)]
    (chosen,) = choose_attempts(turns, 1)
    assert [a.output for a in chosen] == [B, A]


def test_at_most_two_distinct_outputs_per_test_input_and_failed_runs_are_skipped():
    turns = [turn(0, [A, None], 0), turn(1, [B, C], 0), turn(2, [C, C], 0)]
    first, second = choose_attempts(turns, 2)
    assert len(first) == 2 and len({str(a.output) for a in first}) == 2
    assert [a.output for a in second] == [C]
    assert second[0].votes == 2


def test_no_candidates_gives_no_attempts():
    assert choose_attempts([turn(0, [None], 3)], 1) == [[]]
