"""Anytime curves against brute force: every order of a small task's samples through the run's own attempt rule
(`choose_attempts`) and scorer (`score_task`), and every k-subset for pass@k."""

from __future__ import annotations

from itertools import combinations, pairwise, permutations
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcbench.report.curves import anytime_curve, default_ks, pass2_after, pass_at_k, task_samples
from arcbench.run.records import TaskLog, TestRun, Turn, Usage
from arcbench.scoring import score_attempt, score_task
from arcbench.solve.select import choose_attempts

RIGHT = [[[0, 1], [1, 0]], [[5]]]
"""The expected output of test input 0 and 1."""
WRONG = [[[1]], [[2]], [[3, 3]]]


def make_log(samples: list[tuple[list[int | None], int, float]], tests: int = 1,
             costs: list[float | None] | None = None) -> TaskLog:
    """A scored task log whose turns give, per test input, output 0 (the right one), 1-3 (wrong ones) or None (no
    output), with `train_solved` of 3 and a mean training pixel accuracy."""
    turns = []
    for j, (outs, solved, px) in enumerate(samples):
        test = [TestRun(index=i, output=(RIGHT[i] if o == 0 else WRONG[o - 1]) if o is not None else None)
                for i, o in enumerate(outs[:tests])]
        turns.append(Turn(
            index=j, sample=j, turn_in_sample=1, call_id=f"c{j}", user_message="", code="def transform(g): ...",
            test=test, train_solved=solved, train_total=3, train_pixel_accuracy=px,
            test_scores=[score_attempt(r.output, RIGHT[r.index]) for r in test],
            cost_usd=(costs[j] if costs else 0.01), usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
        ))
    log = TaskLog(task_id="t", test_inputs=[[[0]]] * tests, turns=turns, status="done")
    log.attempts = choose_attempts(log.turns, tests)
    log.score = score_task("t", [[a.output for a in att] for att in log.attempts], RIGHT[:tests])
    return log


def brute_pass2(log: TaskLog, order: tuple[int, ...], k: int) -> float:
    """The score of the attempts `choose_attempts` picks from the first k samples taken in `order`: the samples are
    renumbered in that order, as if they had been drawn so."""
    tests = len(log.test_inputs)
    prefix = [log.turns[i].model_copy(update={"index": pos}) for pos, i in enumerate(order[:k])]
    chosen = choose_attempts(prefix, tests)
    return score_task("t", [[a.output for a in att] for att in chosen], RIGHT[:tests]).score


def assert_matches_brute_force(log: TaskLog) -> None:
    n = len(log.turns)
    orders = list(permutations(range(n)))
    ks = list(range(1, n + 1))
    got = pass2_after(task_samples(log), np.array(orders), ks)
    want = np.array([[brute_pass2(log, o, k) for k in ks] for o in orders])
    np.testing.assert_array_equal(got, want)


def test_pass2_after_k_matches_choose_attempts_on_every_order_of_a_small_task():
    # Ties at every level of the rule: train solved, votes, pixel accuracy, and full ties broken by the first sample.
    log = make_log([
        ([0, 1], 2, 0.5),
        ([1, 0], 2, 0.5),
        ([2, 1], 2, 0.5),
        ([None, 0], 1, 0.75),
        ([0, None], 3, 0.25),
        ([2, 2], 2, 0.5),
    ], tests=2)
    assert_matches_brute_force(log)


def test_pass2_after_k_is_zero_when_no_sample_is_right():
    log = make_log([([1], 3, 1.0), ([2], 1, 0.1), ([None], 0, 0.0)])
    scores = pass2_after(task_samples(log), np.array([[0, 1, 2], [2, 1, 0]]), [1, 2, 3])
    assert not scores.any()


def test_equal_pixel_accuracies_summed_in_any_grouping_tie_and_fall_to_the_earliest_sample():
    # Sums of 0.1 depend on the order of addition in the last bit: both sides add in sample order.
    log = make_log([([1], 1, 0.1), ([1], 1, 0.1), ([2], 1, 0.1), ([2], 1, 0.1), ([0], 1, 0.1), ([0], 1, 0.1),
                    ([3], 1, 0.1)])
    n = len(log.turns)
    rng = np.random.default_rng(1)
    orders = np.array([rng.permutation(n) for _ in range(300)])
    got = pass2_after(task_samples(log), orders, list(range(1, n + 1)))
    want = np.array([[brute_pass2(log, tuple(o), k) for k in range(1, n + 1)] for o in orders])
    np.testing.assert_array_equal(got, want)


sample = st.tuples(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=2, max_size=2), st.integers(0, 2),
                   st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))


@settings(max_examples=60, deadline=None)
@given(st.lists(sample, min_size=1, max_size=5), st.integers(1, 2))
def test_pass2_after_k_matches_choose_attempts_on_random_small_tasks(samples, tests):
    assert_matches_brute_force(make_log(samples, tests=tests))


@pytest.mark.parametrize(("n", "c"), [(1, 0), (1, 1), (5, 0), (5, 1), (5, 2), (6, 3), (7, 7), (8, 1)])
def test_pass_at_k_is_the_fraction_of_k_subsets_with_a_right_sample(n, c):
    right = set(range(c))
    for k in range(1, n + 1):
        subsets = list(combinations(range(n), k))
        brute = sum(bool(right & set(s)) for s in subsets) / len(subsets)
        assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12)
        assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-12)


def test_pass_at_k_beyond_n_counts_all_samples():
    assert pass_at_k(3, 1, 10) == 1.0 and pass_at_k(3, 0, 10) == 0.0


def test_a_sample_solves_the_task_only_when_every_test_input_is_right():
    log = make_log([([0, 0], 1, 0.0), ([0, 1], 1, 0.0), ([1, 0], 1, 0.0)], tests=2)
    assert task_samples(log).solves.tolist() == [True, False, False]


def test_drawn_order_curve_ends_at_the_run_score_and_sums_costs_in_order():
    a = make_log([([1], 3, 1.0), ([0], 1, 0.5), ([0], 1, 0.5)], costs=[0.1, 0.2, 0.4])
    b = make_log([([0], 0, 0.0), ([2], 3, 0.5)], costs=[1.0, None])
    curve = anytime_curve([task_samples(a), task_samples(b)], random_orders=False)
    assert curve.orders == 1 and not curve.random_orders and curve.samples_max == 3 and curve.samples_min == 2
    by_k = {p.k: p for p in curve.points}
    # k=1: a's only candidate is wrong; b's first is right. k=2: a has the right one in its top two; b still right.
    assert [by_k[k].pass2 for k in (1, 2, 3)] == [0.5, 1.0, 1.0]
    assert by_k[3].pass2 == (a.score.score + b.score.score) / 2
    assert by_k[1].pass2_low == by_k[1].pass2_high == by_k[1].pass2
    assert [by_k[k].cost_usd for k in (1, 2, 3)] == pytest.approx([1.1, 1.3, 1.7])
    assert curve.cost_known is False  # b's second call had no price
    assert [by_k[k].tokens for k in (1, 2, 3)] == [30, 60, 75]


def test_random_orders_average_to_the_mean_over_all_orders():
    log = make_log([([1], 2, 0.5), ([1], 2, 0.5), ([0], 1, 0.5), ([2], 2, 0.75)])
    ks = [1, 2, 3, 4]
    exact = np.array([[brute_pass2(log, o, k) for k in ks] for o in permutations(range(4))]).mean(axis=0)
    curve = anytime_curve([task_samples(log)], random_orders=True, orders=4000, seed=3, ks=ks)
    assert curve.orders == 4000 and curve.random_orders
    assert [p.pass2 for p in curve.points] == pytest.approx(exact.tolist(), abs=0.03)
    assert all(p.pass2_low <= p.pass2 <= p.pass2_high for p in curve.points)
    # expected cost of k random samples of 4 at $0.01 each
    assert [p.cost_usd for p in curve.points] == pytest.approx([0.01, 0.02, 0.03, 0.04])


def test_unscored_tasks_are_left_out():
    log = make_log([([0], 1, 0.0)])
    log.score = None
    assert task_samples(log) is None
    assert anytime_curve([], random_orders=True) is None


def test_sample_counts_cover_every_k_to_16_then_about_four_per_doubling():
    assert default_ks(5) == [1, 2, 3, 4, 5]
    ks = default_ks(1000)
    assert ks[:16] == list(range(1, 17)) and ks[-1] == 1000 and len(ks) < 45
    assert all(b / a < 1.25 for a, b in pairwise(ks[15:]))


@settings(max_examples=60, deadline=None)
@given(st.lists(sample, min_size=1, max_size=5), st.integers(1, 2), st.lists(st.booleans(), min_size=5, max_size=5))
def test_pass2_after_k_ranks_hard_coded_programs_last_as_choose_attempts_does(samples, tests, flags):
    log = make_log(samples, tests=tests)
    for turn, flag in zip(log.turns, flags, strict=False):
        turn.hardcoded = flag
    log.attempts = choose_attempts(log.turns, tests)
    assert_matches_brute_force(log)
