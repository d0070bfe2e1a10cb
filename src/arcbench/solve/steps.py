"""The steps strategies are made of: sample (ask the model, run its program), feed back, continue a conversation.

A strategy sees a `SolveContext`: the task without its test outputs, the model, the executor that runs programs, and
the turns so far. It has no way to a test output, and it cannot spend more calls than its budget: `sample` refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from arcbench.data.types import Example, Grid, Task
from arcbench.inert import clip
from arcbench.llm import ChatModel, Message
from arcbench.prompts.feedback import ReplyFacts, render_feedback
from arcbench.prompts.render import task_messages
from arcbench.sandbox import ProgramResult, SandboxLimits
from arcbench.scoring import pixel_accuracy
from arcbench.solve.extract import extract_code, why_no_code
from arcbench.solve.records import ExampleResult, TestRun, Turn

MAX_RESULT_MESSAGE_CHARS = 4_000
"""A grid's error message as a turn keeps it: the sandbox's own limit, enforced again here because a forged report
can carry any length and every turn is written to the task log (and its feedback to events.jsonl)."""


def record_results(train: Sequence[Example], result: ProgramResult) -> tuple[list[ExampleResult], list[TestRun]]:
    """A program's results as a turn records them: training results checked against the training outputs, test
    outputs as they are (unscored), error messages capped. The program's stdout is not recorded."""
    examples = []
    for i, (ex, r) in enumerate(zip(train, result.results[: len(train)], strict=True)):
        out = r.output if r.ok else None
        examples.append(ExampleResult(
            index=i, output=out, error=r.error, message=clip(r.message, MAX_RESULT_MESSAGE_CHARS),
            correct=out == ex.output, pixel_accuracy=pixel_accuracy(out, ex.output), duration_s=r.duration_s,
        ))
    tests = [TestRun(index=i, output=r.output if r.ok else None, error=r.error,
                     message=clip(r.message, MAX_RESULT_MESSAGE_CHARS), duration_s=r.duration_s)
             for i, r in enumerate(result.results[len(train):])]
    return examples, tests


def reply_facts(turn: Turn) -> ReplyFacts:
    """What the feedback tells the model about its reply besides the results: where its code was found, under
    which name, or what the reply held when it had no program."""
    cut = {"truncated": turn.truncated, "completion_tokens": turn.usage.completion_tokens}
    if turn.code is None:
        return ReplyFacts(missing=why_no_code(turn.response, turn.reasoning), **cut)
    return ReplyFacts(function=turn.code_function or "transform", outside_block=turn.code_placement == "text",
                      unclosed=turn.code_placement == "unclosed", from_reasoning=turn.code_source == "reasoning",
                      **cut)


class Executor(Protocol):
    """What runs a program on grids: the sandbox's worker pool here, a cluster tomorrow."""

    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult: ...


class BudgetExceeded(RuntimeError):
    """A strategy asked for more model calls than its budget allows (a bug in the strategy)."""


class SolveContext:
    """One task being solved: what a strategy may use, and the turns it has made so far."""

    def __init__(self, task: Task, model: ChatModel, executor: Executor, *, max_turns: int,
                 limits: SandboxLimits | None = None) -> None:
        self.task = task
        self.model = model
        self.executor = executor
        self.max_turns = max_turns
        """The budget: model calls this task may make."""
        self.limits = limits
        self.turns: list[Turn] = []

    def opening(self) -> list[Message]:
        """The messages that start every conversation about the task."""
        return task_messages(self.task)

    async def sample(self, messages: list[Message], *, sample: int, turn_in_sample: int = 1) -> Turn:
        """Ask the model once and run the program in its reply on the training and test inputs: one new turn.

        A failed call is a turn with `error_kind` set and no program. Every turn this returns must be yielded by the
        strategy, so that the stop rule sees it."""
        if len(self.turns) >= self.max_turns:
            raise BudgetExceeded(f"task {self.task.id}: a strategy asked for call {len(self.turns) + 1} of "
                                 f"{self.max_turns}")
        index = len(self.turns)
        done = await self.model.complete(messages)
        turn = Turn(
            index=index, sample=sample, turn_in_sample=turn_in_sample, call_id=done.call_id,
            phase="sample" if turn_in_sample == 1 else "feedback", user_message=str(messages[-1]["content"]),
            response=done.content, reasoning=done.reasoning, usage=done.usage, cost_usd=done.cost_usd,
            latency_s=done.latency_s, error_kind=done.error_kind, error_message=done.error_message,
            finish_reason=done.finish_reason,
        )
        self.turns.append(turn)
        if done.error_kind is None:
            await self.execute(turn)
        return turn

    async def execute(self, turn: Turn) -> None:
        """Find the program in the turn's reply and record its results: training outputs with correctness, test
        outputs without."""
        found = extract_code(turn.response, turn.reasoning)
        if found is None:
            turn.code_note = f"the reply held {why_no_code(turn.response, turn.reasoning)}"
            return
        turn.code, turn.code_source, turn.code_note = found.code, found.source, found.note
        turn.code_function, turn.code_placement = found.function, found.placement
        train = self.task.train
        grids = [ex.input for ex in train] + list(self.task.test_inputs)
        result = await self.executor.run(found.code, grids, self.limits)
        turn.train, turn.test = record_results(train, result)
        turn.train_total = len(train)
        turn.train_solved = sum(e.correct for e in turn.train)
        turn.train_pixel_accuracy = sum(e.pixel_accuracy for e in turn.train) / len(train)

    def feedback(self, turn: Turn) -> str:
        """The turn's training results as the next user message (and noted on the turn)."""
        turn.feedback = render_feedback(self.task.train, turn.train if turn.code is not None else None,
                                        reply_facts(turn))
        return turn.feedback

    def continued(self, messages: list[Message], turn: Turn) -> list[Message]:
        """The conversation after `turn`: its reply, then the feedback on its training results."""
        return [*messages, {"role": "assistant", "content": turn.response},
                {"role": "user", "content": self.feedback(turn)}]


async def conversation(ctx: SolveContext, messages: list[Message], *, sample: int, turns: int,
                       first_turn: int = 1) -> AsyncIterator[Turn]:
    """Up to `turns` turns of one conversation, each answering the feedback on the one before."""
    for k in range(turns):
        turn = await ctx.sample(messages, sample=sample, turn_in_sample=first_turn + k)
        yield turn  # the solver stops here when the turn ends the task; feedback is written only if it goes on
        if k < turns - 1:
            messages = ctx.continued(messages, turn)


def most_promising(turns: Sequence[Turn]) -> Turn:
    """The turn most worth continuing, judged on training results only: a program before none, then most training
    examples solved, then best training pixel accuracy, then the earliest."""
    return min(turns, key=lambda t: (t.code is None, -t.train_solved, -t.train_pixel_accuracy, t.index))
