"""Sampling at scale, in the solve layer: several answers per request, requests of a task in flight together, each
distinct program run once. Driven by the in-memory model and the real sandbox."""

from __future__ import annotations

from arcbench.data import LabelledTask
from arcbench.data.types import Grid
from arcbench.llm import ChatModel, Completion, Message
from arcbench.sandbox import ProgramResult, Sandbox, SandboxLimits
from arcbench.solve import STRATEGIES, Solver, SolveSettings, StopRule, choose_attempts
from arcbench.testing import ScriptedModel
from tests.solve.helpers import FLIPLR, IDENTITY, ROT180, answer, drive, train_only

IDENTITY_COMMENTED = "# keep the grid as it is\ndef transform(grid):\n\n    return [row[:]   for row in grid]\n"


class Counting:
    """The sandbox, counting the programs it is asked to run (the executor seam strategies use)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sources: list[str] = []

    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult:
        self.sources.append(source)
        return await self.sandbox.run(source, grids, limits)


class OneAnswer:
    """A model with no `n`: whatever is asked, one answer per request (as a server that ignores `n`)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.asked: list[int] = []

    async def complete(self, messages: list[Message], *, n: int = 1) -> Completion:
        self.asked.append(n)
        return await self.model.complete(messages)

    async def aclose(self) -> None:
        pass


def sample(lt: LabelledTask, model: ChatModel, executor, *, budget: int, n: int = 1, parallel: int = 1,
           stop_when: StopRule = "never", mode: str = "independent") -> Solver:
    settings = SolveSettings(max_turns=budget, stop_when=stop_when, n_per_request=n, parallel_requests=parallel)
    return drive(Solver(lt.task, STRATEGIES[mode], model, executor, settings))


def test_answers_come_n_per_request_and_each_is_a_turn_of_its_call(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY), "prompt_tokens": 1001, "completion_tokens": 403}])
    solver = sample(lt, model, sandbox, budget=10, n=4, parallel=2)
    turns = solver.turns_made
    assert len(model.requests) == 3 and len(turns) == 10  # 4 + 4 + 2 answers
    assert [t.index for t in turns] == list(range(10)) and sorted(t.sample for t in turns) == list(range(10))
    by_call: dict[str, list[int]] = {}
    for t in turns:
        by_call.setdefault(t.call_id, []).append(t.choice)
    assert sorted(sorted(c) for c in by_call.values()) == [[0, 1], [0, 1, 2, 3], [0, 1, 2, 3]]
    # a call's tokens split over its answers, nothing lost: 3 prompts, 10 answers
    assert sum(t.usage.prompt_tokens for t in turns) == 3 * 1001
    assert sum(t.usage.completion_tokens for t in turns) == 10 * 403
    assert solver.stop_reason == "budget"


def test_a_model_that_gives_one_answer_per_request_gets_as_many_requests_in_flight_instead(lt, sandbox):
    model = OneAnswer(ScriptedModel([{"content": answer(IDENTITY), "delay_s": 0.05}]))
    solver = sample(lt, model, sandbox, budget=12, n=4, parallel=2)
    assert len(solver.turns_made) == 12 and all(t.choice == 0 for t in solver.turns_made)
    assert model.asked[:2] == [4, 4] and set(model.asked[2:]) == {1}  # asks once for 4, then for what comes


def test_a_distinct_program_runs_once_per_task_and_duplicates_still_vote(lt, sandbox):
    model = ScriptedModel([
        {"times": 3, "content": answer(IDENTITY)},
        {"times": 2, "content": answer(IDENTITY_COMMENTED)},  # the same program after normalisation
        {"content": answer(FLIPLR)},
    ])
    executor = Counting(sandbox)
    solver = sample(lt, model, executor, budget=8)
    turns = solver.turns_made
    assert len(executor.sources) == 2  # identity once, fliplr once
    assert [t.same_program_as for t in turns] == [None, 0, 0, 0, 0, None, 5, 5]
    assert turns[4].code == IDENTITY_COMMENTED and turns[4].train == turns[0].train  # its own code, shared results
    (attempts,) = choose_attempts(turns, len(lt.task.test_inputs))
    assert sorted(a.votes for a in attempts) == [3, 5]


def test_concurrent_duplicates_wait_for_the_one_run(lt, sandbox):
    model = ScriptedModel([{"content": answer(ROT180)}])
    executor = Counting(sandbox)
    solver = sample(lt, model, executor, budget=16, n=8, parallel=2)
    assert len(executor.sources) == 1 and len(solver.turns_made) == 16
    assert sum(t.same_program_as is None for t in solver.turns_made) == 1


def test_the_stop_rule_ends_sampling_and_answers_already_asked_for_are_kept(lt, sandbox):
    model = ScriptedModel([
        {"times": 2, "content": answer(train_only(lt))},  # the first request's answers solve the training examples
        {"content": answer(IDENTITY), "delay_s": 0.3},  # the others are still in flight then
    ])
    solver = sample(lt, model, sandbox, budget=40, n=2, parallel=3, stop_when="train-correct")
    turns = solver.turns_made
    assert solver.stop_reason == "train_correct"
    assert len(model.requests) == 3  # the three requests in flight when it stopped, no more
    assert len(turns) == 6 and [t.index for t in turns] == list(range(6))


def test_parallel_requests_never_ask_beyond_the_budget(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = sample(lt, model, sandbox, budget=7, n=3, parallel=4)
    assert len(solver.turns_made) == 7 and len(model.requests) == 3  # asks for 3, 3 and 1


def test_hybrid_seeds_are_sampled_in_parallel_then_one_conversation_goes_on(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "content": answer(IDENTITY)}, {"turn": 2, "content": answer(FLIPLR)}])
    solver = sample(lt, model, sandbox, budget=10, n=5, parallel=1, mode="hybrid")
    turns = solver.turns_made
    assert [t.phase for t in turns] == ["sample"] * 5 + ["feedback"] * 5
    assert len(model.requests) == 1 + 5
