from __future__ import annotations

import pytest

from arcbench.scoring import pixel_accuracy, score_run, score_task

A = [[1, 2], [3, 4]]
B = [[1, 2], [3, 0]]


def test_pixel_accuracy_counts_matching_cells_and_is_zero_for_other_shapes():
    assert pixel_accuracy(A, A) == 1.0
    assert pixel_accuracy(B, A) == 0.75
    assert pixel_accuracy([[1, 2]], A) == 0.0
    assert pixel_accuracy(None, A) == 0.0


def test_a_test_input_is_solved_when_either_attempt_matches():
    s = score_task("t", [[B, A]], [A])
    assert s.tests[0].solved and s.fully_solved and s.score == 1.0
    assert s.matched_cells == 4


def test_multi_test_task_scores_the_fraction_of_solved_inputs():
    s = score_task("t", [[A], [B], []], [A, A, A])
    assert s.score == pytest.approx(1 / 3)
    assert not s.fully_solved
    # a missing attempt still counts its expected cells
    assert s.expected_cells == 12 and s.matched_cells == 4 + 3 + 0


def test_more_than_two_attempts_is_rejected():
    with pytest.raises(ValueError):
        score_task("t", [[A, B, A]], [A])


def test_run_score_is_the_mean_task_score():
    t1 = score_task("a", [[A], [B]], [A, A])  # 0.5
    t2 = score_task("b", [[A]], [A])  # 1.0
    t3 = score_task("c", [[None]], [A])  # 0.0
    r = score_run([t1, t2, t3])
    assert r.score == pytest.approx(0.5)
    assert r.tasks_fully_solved == 1
    assert r.task_accuracy == pytest.approx(1 / 3)
    assert r.pixel_accuracy == pytest.approx((4 + 3 + 4 + 0) / 16)
