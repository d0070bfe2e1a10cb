"""Solving one task: a strategy's turns, ended by the rules every strategy shares.

The solver is handed a `Task`, which has no test outputs, so nothing here can read one. The single exception is the
`test-correct` stop rule that reproduces an old, leaky protocol: it receives an opaque oracle built by the scorer, and
runs that use it are marked leaky.

A task ends on the first of: a failed model call (the task is a failure, not a wrong answer), the stop rule (judged
on training results, or the oracle), the budget of calls, or the strategy having nothing more to try.

With `--generalise-check`, the first turn whose program solves every training example is followed by one more turn
(the check, if the budget allows it) before the stop rule ends the task. Turns a strategy made but had not yet
shown when the task ended (calls made side by side) are shown after it: they were paid for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid, Task
from arcbench.llm import ChatModel, FailureKind
from arcbench.sandbox import SandboxLimits
from arcbench.solve.options import SolveOptions
from arcbench.solve.records import Turn
from arcbench.solve.steps import Executor, SolveContext, ToolJournal
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
    options: SolveOptions = Field(default_factory=SolveOptions)
    n_per_request: int = Field(1, ge=1)
    """Answers a sampling strategy asks for per request (OpenAI's `n`)."""
    parallel_requests: int = Field(1, ge=1)
    """Requests of one task a sampling strategy has in flight at once."""


class Solver:
    """Runs a strategy on one task: iterate `turns()`, then read `stop_reason` and `failure`."""

    def __init__(self, task: Task, strategy: Strategy, model: ChatModel, executor: Executor,
                 settings: SolveSettings, *, oracle: TestOracle | None = None,
                 journal: ToolJournal | None = None) -> None:
        if settings.stop_when == "test-correct" and oracle is None:
            raise ValueError("the test-correct stop rule needs an oracle")
        self.strategy = strategy
        self.settings = settings
        self.ctx = SolveContext(task, model, executor, max_turns=settings.max_turns, limits=settings.limits,
                                options=settings.options, journal=journal, n_per_request=settings.n_per_request,
                                parallel_requests=settings.parallel_requests)
        self._oracle = oracle if settings.stop_when == "test-correct" else None
        self.stop_reason = ""
        self.failure: FailureKind | None = None

    @property
    def turns_made(self) -> list[Turn]:
        return self.ctx.turns

    async def turns(self) -> AsyncIterator[Turn]:
        """Each turn as soon as it is made (its feedback, if the conversation goes on, is added after)."""
        made = self.strategy.solve(self.ctx)
        self.stop_reason = "done"
        shown: set[int] = set()
        checked = False
        try:
            async for turn in made:
                shown.add(turn.index)
                yield turn
                if turn.error_kind is not None:
                    self.stop_reason = self.failure = turn.error_kind
                    break
                stops = self._stops(turn)
                if self._wants_check(turn, checked):
                    checked = True
                    if self.ctx.remaining > 0:
                        check = await self.ctx.generalise(turn)
                        shown.add(check.index)
                        yield check
                        if check.error_kind is not None:
                            self.stop_reason = self.failure = check.error_kind
                            break
                if stops:
                    self.stop_reason = _STOP_REASON[self.settings.stop_when]
                    break
                if len(shown) >= self.settings.max_turns:
                    self.stop_reason = "budget"
                    break
        except BaseException:
            self.ctx.close()
            raise
        finally:
            close = getattr(made, "aclose", None)  # an async generator: end it where it waits, now
            if close is not None:
                await close()
        if self.stop_reason == "done" and self.ctx.remaining <= 0:
            self.stop_reason = "budget"
        for turn in list(self.ctx.turns):  # made side by side with the last one shown: paid for, so shown too
            if turn.index not in shown:
                shown.add(turn.index)
                yield turn

    def _wants_check(self, turn: Turn, checked: bool) -> bool:
        return (self.settings.options.generalise_check and not checked and self.settings.stop_when != "test-correct"
                and turn.phase != "generalise" and turn.all_train_correct)

    def _stops(self, turn: Turn) -> bool:
        rule = self.settings.stop_when
        if rule == "train-correct":
            return turn.all_train_correct
        if rule == "test-correct" and self._oracle is not None:
            return bool(turn.test) and self._oracle([t.output for t in turn.test])
        return False
