"""Solving one task: a strategy's turns, ended by the rules every strategy shares.

The solver is handed a `Task`, which has no test outputs, so nothing here can read one. The single exception is the
`test-correct` stop rule that reproduces an old, leaky protocol: it receives an opaque oracle built by the scorer, and
runs that use it are marked leaky.

A task ends on the first of: a failed model call (the task is a failure, not a wrong answer), the stop rule (judged
on training results, or the oracle), the budget of calls, or the strategy having nothing more to try.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid, Task
from arcbench.llm import ChatModel, FailureKind
from arcbench.sandbox import SandboxLimits
from arcbench.solve.records import Turn
from arcbench.solve.steps import Executor, SolveContext
from arcbench.solve.strategy import Strategy

StopRule = Literal["train-correct", "never", "test-correct"]
TestOracle = Callable[[list[Grid | None]], bool]
"""Whether a turn's test outputs are all right. Only the leaky `test-correct` rule gets one."""

_STOP_REASON: dict[StopRule, str] = {"train-correct": "train_correct", "test-correct": "test_correct"}
"""The stop reason a task log records when a rule ends the task (as logs have always spelled it)."""


class SolveSettings(BaseModel):
    max_turns: int = Field(3, ge=1)
    stop_when: StopRule = "train-correct"
    limits: SandboxLimits = SandboxLimits()
    n_per_request: int = Field(1, ge=1)
    """Answers a sampling strategy asks for per request (OpenAI's `n`)."""
    parallel_requests: int = Field(1, ge=1)
    """Requests of one task a sampling strategy keeps in flight at once."""


class Solver:
    """Runs a strategy on one task: iterate `turns()`, then read `stop_reason` and `failure`."""

    def __init__(self, task: Task, strategy: Strategy, model: ChatModel, executor: Executor,
                 settings: SolveSettings, *, oracle: TestOracle | None = None) -> None:
        if settings.stop_when == "test-correct" and oracle is None:
            raise ValueError("the test-correct stop rule needs an oracle")
        self.strategy = strategy
        self.settings = settings
        self.ctx = SolveContext(task, model, executor, max_turns=settings.max_turns, limits=settings.limits,
                                n_per_request=settings.n_per_request, parallel_requests=settings.parallel_requests)
        self._oracle = oracle if settings.stop_when == "test-correct" else None
        self.stop_reason = ""
        self.failure: FailureKind | None = None

    @property
    def turns_made(self) -> list[Turn]:
        return self.ctx.turns

    async def turns(self) -> AsyncIterator[Turn]:
        """Each turn as soon as it is made (its feedback, if the conversation goes on, is added after), in the order
        of `Turn.index`: a turn ready before an earlier one (its request came back first) waits for it.

        When the task ends while requests are still in flight (a strategy sampling in parallel), those are waited
        for and their turns yielded after the rest: they are paid for, and every answer counts as a candidate."""
        ctx = self.ctx
        made = self.strategy.solve(ctx)
        self.stop_reason = "done"
        ready: set[int] = set()
        yielded = 0
        ended = False
        try:
            async for turn in made:
                ready.add(turn.index)
                while yielded in ready:
                    turn = ctx.turns[yielded]
                    yielded += 1
                    yield turn
                    if ended := self._ends(turn, yielded):
                        break
                if ended:
                    break
        except BaseException:
            ctx.close()
            raise
        finally:
            close = getattr(made, "aclose", None)  # an async generator: end it where it waits, now
            if close is not None:
                await close()
        for turn in ctx.turns[yielded:]:
            yield turn
        if not ended and len(ctx.turns) >= self.settings.max_turns:
            self.stop_reason = "budget"

    def _ends(self, turn: Turn, yielded: int) -> bool:
        """Whether this turn ends the task, and why (`stop_reason`, `failure`)."""
        if turn.error_kind is not None:
            self.stop_reason = self.failure = turn.error_kind
            return True
        if self._stops(turn):
            self.stop_reason = _STOP_REASON[self.settings.stop_when]
            return True
        if yielded >= self.settings.max_turns:
            self.stop_reason = "budget"
            return True
        return False

    def _stops(self, turn: Turn) -> bool:
        rule = self.settings.stop_when
        if rule == "train-correct":
            return turn.all_train_correct
        if rule == "test-correct" and self._oracle is not None:
            return bool(turn.test) and self._oracle([t.output for t in turn.test])
        return False
