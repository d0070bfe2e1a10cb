"""A program's results as the turn log keeps them: a forged 15 MB error message per grid stays small on disk and in
the feedback sent to the model."""

from __future__ import annotations

from arcbench.data.types import Example
from arcbench.prompts.feedback import MAX_FEEDBACK_CHARS, render_feedback
from arcbench.run.records import TaskLog, Turn
from arcbench.sandbox import GridResult, ProgramResult
from arcbench.solve.steps import MAX_RESULT_MESSAGE_CHARS, record_results

TRAIN = [Example(input=[[1, 2]], output=[[2, 1]]), Example(input=[[3, 4]], output=[[4, 3]]),
         Example(input=[[5, 6]], output=[[6, 5]])]
TESTS = 2
HUGE = "Traceback (most recent call last):\n" + "x" * 15_000_000 + "\nValueError: forged"


def _forged() -> ProgramResult:
    grids = [GridResult(error="exception", message=HUGE) for _ in range(len(TRAIN) + TESTS)]
    return ProgramResult(results=grids, stdout=HUGE, stdout_truncated=False)


def test_error_messages_are_capped_where_results_enter_the_turn_log():
    train, test = record_results(TRAIN, _forged())
    assert len(train) == len(TRAIN) and len(test) == TESTS
    for r in [*train, *test]:
        assert len(r.message) <= MAX_RESULT_MESSAGE_CHARS
        assert "characters cut" in r.message and r.message.endswith("ValueError: forged")


def test_a_forged_15_mb_message_per_grid_gives_small_feedback_and_a_small_task_log():
    train, test = record_results(TRAIN, _forged())
    feedback = render_feedback(TRAIN, train)
    assert len(feedback) <= MAX_FEEDBACK_CHARS and "characters cut" in feedback
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="task prompt", train=train, test=test,
                train_total=len(TRAIN), feedback=feedback)
    log = TaskLog(task_id="t", train=[{"input": e.input, "output": e.output} for e in TRAIN], turns=[turn])
    assert len(log.model_dump_json()) < 64_000  # 5 grids: 5 x 4,000 message characters, the feedback, the grids
