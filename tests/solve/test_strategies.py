"""Each strategy driven by the in-memory model (a real ChatModel) and the real sandbox, without HTTP or a run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from arcbench.data import LabelledTask
from arcbench.llm import ChatModel
from arcbench.prompts.grids import grid_to_text
from arcbench.sandbox import Sandbox
from arcbench.solve import STRATEGIES, BudgetExceeded, SolveContext, Solver, SolveSettings, StopRule, Strategy, Turn
from arcbench.testing import ScriptedModel

ROT180 = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
FLIPLR = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
IDENTITY = "def transform(grid):\n    return [row[:] for row in grid]\n"


def answer(code: str) -> str:
    return f"Here is my program.\n\n```python\n{code}```\n"


def train_only(lt: LabelledTask) -> str:
    """A program right on every training input and wrong on the test input (it recognises the test input)."""
    test_in = json.dumps(lt.task.test_inputs[0])
    return (f"def transform(grid):\n    if grid == {test_in}:\n        return [[0]]\n"
            "    return [r[::-1] for r in grid[::-1]]\n")


def drive(solver: Solver) -> Solver:
    """Run the solver to the end of its task."""

    async def go() -> None:
        async for _ in solver.turns():
            pass

    asyncio.run(go())
    return solver


def solve(lt: LabelledTask, strategy: Strategy, model: ChatModel, sandbox: Sandbox, max_turns: int = 3,
          stop_when: StopRule = "train-correct") -> Solver:
    return drive(Solver(lt.task, strategy, model, sandbox, SolveSettings(max_turns=max_turns, stop_when=stop_when)))


def test_feedback_is_one_conversation_that_answers_each_turns_training_results(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox)
    turns = solver.turns_made
    assert [(t.sample, t.turn_in_sample, t.phase) for t in turns] == [(0, 1, "sample"), (0, 2, "feedback"),
                                                                       (0, 3, "feedback")]
    assert solver.stop_reason == "budget" and solver.failure is None
    assert [len(r) for r in model.requests] == [2, 4, 6]
    second = model.requests[1]
    assert second[2] == {"role": "assistant", "content": turns[0].response}
    assert second[3] == {"role": "user", "content": turns[0].feedback}
    assert "0 of 2 solved" in (turns[0].feedback or "")
    assert turns[-1].feedback is None  # nothing was sent after the last turn


def test_independent_sends_every_sample_the_task_alone(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(lt, STRATEGIES["independent"], model, sandbox)
    assert [(t.sample, t.turn_in_sample) for t in solver.turns_made] == [(0, 1), (1, 1), (2, 1)]
    assert all(len(r) == 2 for r in model.requests) and all(t.feedback is None for t in solver.turns_made)


def test_hybrid_samples_half_the_budget_then_continues_the_best_on_training_results(lt, sandbox):
    model = ScriptedModel([
        {"turn": 1, "times": 1, "content": answer(IDENTITY)},
        {"turn": 1, "times": 1, "content": answer(FLIPLR)},  # more training pixels right: the one to continue
        {"turn": 2, "content": answer(IDENTITY)},
    ])
    solver = solve(lt, STRATEGIES["hybrid"], model, sandbox, max_turns=4)
    assert [(t.sample, t.turn_in_sample, t.phase) for t in solver.turns_made] == [
        (0, 1, "sample"), (1, 1, "sample"), (1, 2, "feedback"), (1, 3, "feedback")]
    continued = model.requests[2]
    assert FLIPLR.strip() in continued[2]["content"] and continued[3]["content"] == solver.turns_made[1].feedback


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_model_right_only_on_training_stops_every_strategy_after_its_first_turn(lt, sandbox, name):
    model = ScriptedModel([{"content": answer(train_only(lt))}])
    solver = solve(lt, STRATEGIES[name], model, sandbox, max_turns=4)
    (turn,) = solver.turns_made
    assert turn.all_train_correct and solver.stop_reason == "train_correct"
    assert turn.test[0].output == [[0]]  # wrong on the test input, and nothing here could know


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_without_a_stop_rule_every_strategy_gets_exactly_its_budget(lt, sandbox, name):
    model = ScriptedModel([{"content": answer(train_only(lt))}])
    solver = solve(lt, STRATEGIES[name], model, sandbox, max_turns=4, stop_when="never")
    assert len(solver.turns_made) == len(model.requests) == 4 and solver.stop_reason == "budget"


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_no_strategy_sends_a_test_output_or_holds_one(lt, sandbox, name):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(lt, STRATEGIES[name], model, sandbox, max_turns=4, stop_when="never")
    sent = json.dumps(model.requests)
    for out in lt.test_outputs or []:
        assert json.dumps(grid_to_text(out))[1:-1] not in sent
    assert not hasattr(solver.ctx.task, "test_outputs")


def test_a_failed_call_ends_the_task_as_a_failure(lt, sandbox):
    model = ScriptedModel([{"status": 503}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox)
    (turn,) = solver.turns_made
    assert turn.error_kind == "api_error" and turn.code is None
    assert solver.failure == "api_error" and solver.stop_reason == "api_error"


def test_the_leaky_rule_stops_on_the_oracle_not_on_training(lt, sandbox):
    model = ScriptedModel([{"times": 1, "content": answer(train_only(lt))}, {"content": answer(ROT180)}])
    expected = lt.test_outputs or []
    solver = Solver(lt.task, STRATEGIES["independent"], model, sandbox,
                    SolveSettings(max_turns=4, stop_when="test-correct"), oracle=lambda outs: outs == expected)

    async def go() -> None:
        async for _ in solver.turns():
            pass

    asyncio.run(go())
    assert len(solver.turns_made) == 2 and solver.stop_reason == "test_correct"


class _Greedy:
    """A strategy that asks for one call more than its budget before showing any turn."""

    name = "greedy"

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        turns = [await ctx.sample(ctx.opening(), sample=k) for k in range(ctx.max_turns + 1)]
        for turn in turns:
            yield turn


def test_a_strategy_cannot_spend_more_calls_than_its_budget(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    with pytest.raises(BudgetExceeded):
        solve(lt, _Greedy(), model, sandbox, max_turns=2)
    assert len(model.requests) == 2


class _Twice:
    """A new strategy, defined outside arcbench: the same prompt twice, then stop."""

    name = "twice"

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        for sample in range(2):
            yield await ctx.sample(ctx.opening(), sample=sample)


def test_a_strategy_ending_before_its_budget_says_so(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(lt, _Twice(), model, sandbox, max_turns=5)
    assert len(solver.turns_made) == 2 and solver.stop_reason == "done"
