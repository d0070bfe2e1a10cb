"""--mode refine through the strategy seam: experts side by side, the best programs shown with cell-by-cell diffs,
training pairs shuffled per expert and iteration, a stop when one expert solves training, and votes across experts."""

from __future__ import annotations

import asyncio
import json

import pytest

from arcbench.data import LabelledTask, load_tasks
from arcbench.errors import UserError
from arcbench.solve import STRATEGIES, Solver, SolveSettings, choose_attempts
from arcbench.solve.options import SolveOptions
from arcbench.solve.strategies.refine import example_order
from arcbench.testing import ScriptedModel
from tests.solve.helpers import FLIPLR, IDENTITY, answer, solve


@pytest.fixture(scope="module")
def colours() -> LabelledTask:
    (task,) = load_tasks("arc-agi-1", "0d3d703e")  # a colour map, four training pairs
    return task


def colour_map(lt: LabelledTask, test_answer: int | None = None) -> str:
    """The task's colour map, learnt from its training pairs; with `test_answer`, a program right on every training
    input that answers [[test_answer]] on the test input."""
    mapping: dict[int, int] = {}
    for ex in lt.task.train:
        for ri, ro in zip(ex.input, ex.output, strict=True):
            mapping.update(zip(ri, ro, strict=True))
    head = ""
    if test_answer is not None:
        head = f"    if grid == {json.dumps(lt.task.test_inputs[0])}:\n        return [[{test_answer}]]\n"
    return f"M = {mapping!r}\n\ndef transform(grid):\n{head}    return [[M.get(c, c) for c in r] for r in grid]\n"


def test_experts_start_side_by_side_from_the_task_with_their_own_order_of_examples(colours, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(colours, STRATEGIES["refine"], model, sandbox, max_turns=3, options=SolveOptions(experts=3))
    assert [(t.sample, t.turn_in_sample, t.phase) for t in solver.turns_made] == [(0, 1, "sample"), (1, 1, "sample"),
                                                                                   (2, 1, "sample")]
    assert all(len(r) == 2 for r in model.requests)
    orders = [example_order(colours.id, 4, e, 1) for e in range(3)]
    assert len({tuple(o) for o in orders}) > 1  # shuffled differently per expert
    for order, request in zip(orders, model.requests, strict=True):
        text = request[1]["content"]
        firsts = [text.index(json.dumps(colours.task.train[i].input[0])[1:-1].replace(",", "")) for i in order]
        assert firsts == sorted(firsts)  # the pairs appear in the expert's order


def test_later_iterations_show_the_best_programs_of_all_experts_with_cell_diffs(colours, sandbox):
    model = ScriptedModel([{"turn": 1, "times": 1, "content": answer(IDENTITY)},
                           {"turn": 1, "times": 1, "content": answer(FLIPLR)},
                           {"content": answer(IDENTITY)}])
    solve(colours, STRATEGIES["refine"], model, sandbox, max_turns=4,
          options=SolveOptions(experts=2, refine_programs=1))
    second_round = model.requests[2][1]["content"]
    assert "best programs written for this puzzle so far" in second_round
    assert second_round.count("### Program") == 1  # --refine-programs 1
    assert "expected/produced" in second_round and "/" in second_round.split("### Program 1")[1]


def test_an_expert_solving_training_ends_the_task_and_its_round_is_kept(colours, sandbox):
    model = ScriptedModel([{"turn": 1, "times": 1, "content": answer(colour_map(colours))},
                           {"content": answer(IDENTITY)}])
    solver = solve(colours, STRATEGIES["refine"], model, sandbox, max_turns=9, options=SolveOptions(experts=3))
    assert len(solver.turns_made) == 3 and solver.stop_reason == "train_correct"


def test_without_a_stop_rule_refinement_spends_the_budget_in_rounds(colours, sandbox):
    model = ScriptedModel([{"content": answer(colour_map(colours))}])
    solver = solve(colours, STRATEGIES["refine"], model, sandbox, max_turns=5, stop_when="never",
                   options=SolveOptions(experts=2))
    assert [(t.sample, t.turn_in_sample) for t in solver.turns_made] == [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)]


def test_three_experts_vote_and_the_majority_answer_comes_first(colours, sandbox):
    model = ScriptedModel([{"times": 1, "content": answer(colour_map(colours, test_answer=1))},
                           {"times": 1, "content": answer(colour_map(colours, test_answer=2))},
                           {"times": 1, "content": answer(colour_map(colours, test_answer=2))}])
    solver = solve(colours, STRATEGIES["refine"], model, sandbox, max_turns=3, options=SolveOptions(experts=3))
    assert all(t.all_train_correct for t in solver.turns_made)
    (attempts,) = choose_attempts(solver.turns_made, 1, vote_by=STRATEGIES["refine"].vote_by)  # type: ignore[attr-defined]
    assert [(a.output, a.votes) for a in attempts] == [([[2]], 2), ([[1]], 1)]


class _RefusesThirdCall:
    """A model whose third call raises (as a rejected key or a spent budget does), after the others are made."""

    def __init__(self) -> None:
        self.inner = ScriptedModel([{"content": answer(IDENTITY)}])
        self.calls = 0

    async def complete(self, messages, **kw):
        self.calls += 1
        if self.calls == 3:
            raise UserError("refused")
        return await self.inner.complete(messages)

    async def aclose(self) -> None:
        pass


def test_a_call_that_raises_leaves_its_siblings_turns_shown_first(colours, sandbox):
    solver = Solver(colours.task, STRATEGIES["refine"], _RefusesThirdCall(), sandbox,
                    SolveSettings(max_turns=3, options=SolveOptions(experts=3)))
    seen = []

    async def go() -> None:
        async for turn in solver.turns():
            seen.append(turn.index)

    with pytest.raises(UserError):
        asyncio.run(go())
    assert seen == [0, 1]
