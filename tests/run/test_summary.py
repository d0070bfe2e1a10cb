from __future__ import annotations

import pytest

from arcbench.run.records import AttemptSource, RunSummary, TaskLog, TaskSummary, Turn, Usage
from arcbench.run.stats import describe
from arcbench.run.summary import aggregate, summarize
from arcbench.scoring import AttemptScore, score_task


def log(task_id: str, solved: bool, status: str = "done", cost: float | None = 0.01, t1: bool = False) -> TaskLog:
    out = [[1]] if solved else [[0]]
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="", usage=Usage(total_tokens=10),
                cost_usd=cost, test_scores=[AttemptScore(correct=t1, pixel_accuracy=1.0 if t1 else 0, matched_cells=0)])
    return TaskLog(task_id=task_id, status=status, turns=[turn],
                   attempts=[[AttemptSource(output=out, turns=[0], train_solved=1, votes=1, train_pixel_accuracy=1)]],
                   score=score_task(task_id, [[out]], [[[1]]]), usage=Usage(total_tokens=10), cost_usd=cost,
                   stop_reason="api_error" if status == "api_failure" else "budget")


def test_summary_counts_score_solved_turn1_failures_and_cost():
    logs = [log("a", True, t1=True), log("b", False), log("c", False, status="api_failure", cost=None)]
    s = summarize(logs, leaky=False, wall_time_s=1.0)
    assert s.total_tasks == 3 and s.tasks_fully_solved == 1 and s.turn1_solved == 1
    assert s.score == pytest.approx(1 / 3)
    assert s.api_failures == 1 and s.api_successes == 2 and s.timeout_failures == 0
    assert s.total_tokens == 30
    assert s.total_cost == pytest.approx(0.02) and s.cost_known is False


def test_describe_uses_the_t_interval():
    st = describe([0.2, 0.4, 0.6])
    assert st.mean == pytest.approx(0.4) and st.std == pytest.approx(0.2)
    assert st.ci95_low == pytest.approx(0.4 - 4.303 * 0.2 / 3 ** 0.5)
    one = describe([0.5])
    assert one.ci95_low == one.ci95_high == 0.5


def _summary(tasks: list[TaskSummary]) -> RunSummary:
    return RunSummary(total_tasks=len(tasks), scored_tasks=len(tasks), score=0, tasks_fully_solved=0,
                      task_accuracy=0, pixel_accuracy=0, turn1_solved=0, api_failures=0, timeout_failures=0,
                      api_successes=0, total_turns=0, prompt_tokens=0, completion_tokens=0, reasoning_tokens=0,
                      total_tokens=0, total_cost=0, cost_known=True, leaky=False, wall_time_s=0, tasks=tasks)


def ts(solved: bool, status: str = "done", t1: bool = False) -> TaskSummary:
    return TaskSummary(task_id="x", status=status, score=1.0 if solved else 0.0, fully_solved=solved,
                       turn1_solved=t1, turns=1, pixel_accuracy=None, tokens=0, cost_usd=0, api_failures=0,
                       timeout_failures=0)


def test_aggregate_excludes_api_failures_from_numerator_and_denominator():
    run1 = _summary([ts(True, t1=True), ts(False), ts(True, status="api_failure")])
    run2 = _summary([ts(True), ts(True), ts(False)])
    agg = aggregate([run1, run2])
    assert agg.per_run[0]["tasks"] == 2 and agg.per_run[0]["all_turns_success"] == 0.5
    assert agg.per_run[0]["turn1_success"] == 0.5
    assert agg.all_turns_success.mean == pytest.approx((0.5 + 2 / 3) / 2)
    assert agg.turn1_success.mean == pytest.approx(0.25)
