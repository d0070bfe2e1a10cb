"""Solving one task: the conversation with the model, running its programs, and the stop rule.

A solver is handed a `Task`, which has no test outputs, so nothing here can read one. The single exception is the
`test-correct` stop rule that reproduces an old, leaky protocol: it receives an opaque oracle built by the scorer, and
runs that use it are marked leaky.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel

from arcbench.data.types import Example, Grid, Task
from arcbench.inert import clip
from arcbench.llm.base import ChatModel
from arcbench.prompts.feedback import render_feedback
from arcbench.prompts.render import task_messages
from arcbench.run.records import CallEvent, ExampleResult, Message, TestRun, Turn
from arcbench.sandbox import ProgramResult, Sandbox, SandboxLimits
from arcbench.scoring import pixel_accuracy
from arcbench.solve.extract import extract_code

Mode = Literal["feedback", "independent", "hybrid"]
StopRule = Literal["train-correct", "never", "test-correct"]
TestOracle = Callable[[list[Grid | None]], bool]
"""Whether a turn's test outputs are all right. Only the leaky `test-correct` rule gets one."""


MAX_RESULT_MESSAGE_CHARS = 4_000
"""A grid's error message as a turn keeps it: the sandbox's own limit, enforced again here because a forged report
can carry any length and every turn is written to the task log (and its feedback to events.jsonl)."""


def record_results(train: list[Example], result: ProgramResult) -> tuple[list[ExampleResult], list[TestRun]]:
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


class SolveSettings(BaseModel):
    mode: Mode = "feedback"
    max_turns: int = 3
    stop_when: StopRule = "train-correct"
    limits: SandboxLimits = SandboxLimits()


class SolveOutcome(BaseModel):
    turns: list[Turn]
    stop_reason: str
    failure: Literal["timeout", "api_error"] | None = None


class CallSource:
    """Where a solver gets model replies: the model itself, or on resume the calls already on disk.

    Replayed calls are matched on (task, turn index, exact messages), so a resumed task retraces its logged turns
    without paying for them again and makes new calls only where the log ends.
    """

    def __init__(self, model: ChatModel, replay: dict[tuple[str, int], CallEvent] | None = None,
                 on_call: Callable[[CallEvent], Awaitable[None]] | None = None) -> None:
        self.model = model
        self._replay = replay or {}
        self._on_call = on_call

    async def call(self, messages: list[Message], task_id: str, turn: int) -> CallEvent:
        cached = self._replay.get((task_id, turn))
        if cached is not None and cached.request.get("messages") == messages and cached.error_kind is None:
            return cached
        event = await self.model.complete(messages, task_id=task_id, turn=turn)
        if self._on_call is not None:
            await self._on_call(event)
        return event


class TaskSolver:
    def __init__(self, task: Task, calls: CallSource, sandbox: Sandbox, settings: SolveSettings, *,
                 on_turn: Callable[[Turn], Awaitable[None]] | None = None, oracle: TestOracle | None = None) -> None:
        if settings.stop_when == "test-correct" and oracle is None:
            raise ValueError("the test-correct stop rule needs an oracle")
        self.task = task
        self.calls = calls
        self.sandbox = sandbox
        self.settings = settings
        self.turns: list[Turn] = []
        self._on_turn = on_turn
        self._oracle = oracle if settings.stop_when == "test-correct" else None

    async def solve(self) -> SolveOutcome:
        s = self.settings
        if s.mode == "feedback":
            return await self._conversation(task_messages(self.task), sample=0, first_turn=1, budget=s.max_turns)
        n_samples = s.max_turns if s.mode == "independent" else max(1, math.ceil(s.max_turns / 2))
        for sample in range(n_samples):
            turn = await self._turn(task_messages(self.task), sample, 1, "sample")
            if turn.error_kind:
                return self._end(turn.error_kind, failure=turn.error_kind)
            if self._should_stop(turn):
                return self._end(self._stop_reason())
        remaining = s.max_turns - n_samples
        if s.mode == "independent" or remaining <= 0:
            return self._end("budget")
        # Hybrid: continue the conversation of the most promising sample, judged on training results only.
        best = min(self.turns, key=lambda t: (t.code is None, -t.train_solved, -t.train_pixel_accuracy, t.index))
        best.feedback = self._feedback(best)
        messages = [*task_messages(self.task), {"role": "assistant", "content": best.response},
                    {"role": "user", "content": best.feedback}]
        return await self._conversation(messages, sample=best.sample, first_turn=2, budget=remaining)

    async def _conversation(self, messages: list[Message], sample: int, first_turn: int, budget: int) -> SolveOutcome:
        for k in range(budget):
            turn_in_sample = first_turn + k
            turn = await self._turn(messages, sample, turn_in_sample, "sample" if turn_in_sample == 1 else "feedback",
                                    keep_open=k < budget - 1)
            if turn.error_kind:
                return self._end(turn.error_kind, failure=turn.error_kind)
            if self._should_stop(turn):
                return self._end(self._stop_reason())
            if turn.feedback is not None:
                messages = [*messages, {"role": "assistant", "content": turn.response},
                            {"role": "user", "content": turn.feedback}]
        return self._end("budget")

    async def _turn(self, messages: list[Message], sample: int, turn_in_sample: int, phase: str,
                    keep_open: bool = False) -> Turn:
        index = len(self.turns)
        event = await self.calls.call(messages, self.task.id, index)
        turn = Turn(
            index=index, sample=sample, turn_in_sample=turn_in_sample, call_id=event.call_id, phase=phase,
            user_message=str(messages[-1]["content"]), response=event.content, reasoning=event.reasoning,
            usage=event.usage, cost_usd=event.cost_usd, latency_s=event.latency_s, error_kind=event.error_kind,
            error_message=event.error_message,
        )
        if event.error_kind is None:
            await self._execute(turn)
            if keep_open and not self._should_stop(turn):
                turn.feedback = self._feedback(turn)
        self.turns.append(turn)
        if self._on_turn is not None:
            await self._on_turn(turn)
        return turn

    async def _execute(self, turn: Turn) -> None:
        found = extract_code(turn.response, turn.reasoning)
        if found is None:
            turn.code_note = "no python code block defining transform in the reply"
            return
        turn.code, turn.code_source, turn.code_note = found.code, found.source, found.note
        train = self.task.train
        grids = [ex.input for ex in train] + list(self.task.test_inputs)
        result = await self.sandbox.run(found.code, grids, self.settings.limits)
        turn.train, turn.test = record_results(train, result)
        turn.train_total = len(train)
        turn.train_solved = sum(e.correct for e in turn.train)
        turn.train_pixel_accuracy = sum(e.pixel_accuracy for e in turn.train) / len(train)

    def _feedback(self, turn: Turn) -> str:
        return render_feedback(self.task.train, turn.train if turn.code is not None else None)

    def _should_stop(self, turn: Turn) -> bool:
        rule = self.settings.stop_when
        if rule == "train-correct":
            return turn.all_train_correct
        if rule == "test-correct" and self._oracle is not None:
            return bool(turn.test) and self._oracle([t.output for t in turn.test])
        return False

    def _stop_reason(self) -> str:
        return "train_correct" if self.settings.stop_when == "train-correct" else "test_correct"

    def _end(self, reason: str, failure: Literal["timeout", "api_error"] | None = None) -> SolveOutcome:
        return SolveOutcome(turns=self.turns, stop_reason=reason, failure=failure)
