"""The steps strategies are made of: sample (ask the model, run its program), feed back, continue a conversation.

A strategy sees a `SolveContext`: the task without its test outputs, the model, the executor that runs programs, and
the turns so far. It has no way to a test output, and it cannot spend more calls than its budget: `sample` refuses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import NamedTuple, Protocol

from arcbench.data.types import Example, Grid, Task
from arcbench.inert import clip
from arcbench.llm import ChatModel, Message, Usage
from arcbench.prompts.feedback import render_feedback
from arcbench.prompts.render import task_messages
from arcbench.sandbox import ProgramResult, SandboxLimits
from arcbench.scoring import pixel_accuracy
from arcbench.solve.extract import ExtractedCode, extract_code
from arcbench.solve.normalise import program_key
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


class _Run(NamedTuple):
    """A program's results on a task, as every turn with that program records them."""

    train: list[ExampleResult]
    test: list[TestRun]
    total: int
    solved: int
    pixel_accuracy: float


class Executor(Protocol):
    """What runs a program on grids: the sandbox's worker pool here, a cluster tomorrow."""

    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult: ...


class BudgetExceeded(RuntimeError):
    """A strategy asked for more model calls than its budget allows (a bug in the strategy)."""


def _shares(usage: Usage, cost_usd: float | None, k: int) -> list[tuple[Usage, float | None]]:
    """A call's tokens and cost split over its k answers: evenly, remainders to the first, totals kept exactly."""
    if k == 1:
        return [(usage, cost_usd)]
    fields = usage.model_dump()
    parts = [{name: value // k + (i < value % k) for name, value in fields.items()} for i in range(k)]
    cost = None if cost_usd is None else cost_usd / k
    return [(Usage(**p), cost) for p in parts]


class SolveContext:
    """One task being solved: what a strategy may use, and the turns it has made so far."""

    def __init__(self, task: Task, model: ChatModel, executor: Executor, *, max_turns: int,
                 limits: SandboxLimits | None = None, n_per_request: int = 1, parallel_requests: int = 1) -> None:
        self.task = task
        self.model = model
        self.executor = executor
        self.max_turns = max_turns
        """The budget: answers (turns) this task may get from the model."""
        self.limits = limits
        self.n_per_request = n_per_request
        """Answers asked per request by `samples`; lowered to what the model gives (one, when it ignores `n`)."""
        self.parallel_requests = parallel_requests
        """Requests `samples` keeps in flight at once."""
        self.turns: list[Turn] = []
        self._asked = 0
        """Answers asked for by requests still in flight: the budget counts them as spent."""
        self._next_sample = 0
        self._found: dict[tuple[str, str | None], ExtractedCode | None] = {}
        """Reply (answer, reasoning) -> the program in it: samples often repeat a reply word for word."""
        self._keys: dict[str, str] = {}
        """Program text -> its `program_key` (computed once per distinct text)."""
        self._grids: list[Grid] | None = None
        """The inputs every program of the task runs on (training, then test)."""
        self._runs: dict[str, tuple[int, asyncio.Future[_Run]]] = {}
        """Program key -> (index of the turn that ran it, its results): each program is run once per task."""

    def opening(self) -> list[Message]:
        """The messages that start every conversation about the task."""
        return task_messages(self.task)

    def left(self) -> int:
        """Answers the budget still allows, those asked for in requests in flight counted as spent."""
        return self.max_turns - len(self.turns) - self._asked

    async def sample(self, messages: list[Message], *, sample: int, turn_in_sample: int = 1) -> Turn:
        """Ask the model once and run the program in its reply on the training and test inputs: one new turn.

        A failed call is a turn with `error_kind` set and no program. Every turn this returns must be yielded by the
        strategy, so that the stop rule sees it."""
        (turn,) = await self.request(messages, sample=sample, turn_in_sample=turn_in_sample)
        return turn

    async def request(self, messages: list[Message], *, n: int = 1, sample: int | None = None,
                      turn_in_sample: int = 1) -> list[Turn]:
        """One request for up to `n` answers, and a turn for each answer the model gave, its program run: `n` turns
        from a model that honours `n`, one from a model that does not, one with `error_kind` set for a failed call.
        The answers get samples `sample`, `sample + 1`, ... (the next unused sample numbers when None)."""
        if n < 1 or n > self.left():
            raise BudgetExceeded(f"task {self.task.id}: a strategy asked for {n} answer(s) with {self.left()} of "
                                 f"{self.max_turns} left")
        self._asked += n
        try:
            done = await (self.model.complete(messages, n=n) if n > 1 else self.model.complete(messages))
        finally:
            self._asked -= n
        # A call replayed from an earlier run's log may hold more answers than this request asked for: the budget
        # takes what was asked.
        choices = done.choices[:n]
        if done.error_kind is None and len(choices) < self.n_per_request:
            self.n_per_request = len(choices)
        user_message = str(messages[-1]["content"])
        turns = []
        for i, (choice, (usage, cost)) in enumerate(zip(choices, _shares(done.usage, done.cost_usd, len(choices)),
                                                        strict=True)):
            turn = Turn(
                index=len(self.turns), sample=self._new_sample() if sample is None else sample + i,
                turn_in_sample=turn_in_sample, call_id=done.call_id, choice=i,
                phase="sample" if turn_in_sample == 1 else "feedback", user_message=user_message,
                response=choice.content, reasoning=choice.reasoning, usage=usage, cost_usd=cost,
                latency_s=done.latency_s, error_kind=done.error_kind, error_message=done.error_message,
            )
            self.turns.append(turn)
            turns.append(turn)
        if done.error_kind is None:
            # Every distinct program of the reply starts running before any is waited for.
            runs = [self._start(t) for t in turns]
            for turn, run in zip(turns, runs, strict=True):
                if run is not None:
                    await self._finish(turn, run)
        return turns

    def _new_sample(self) -> int:
        self._next_sample += 1
        return self._next_sample - 1

    async def samples(self, messages: list[Message], count: int | None = None) -> AsyncIterator[Turn]:
        """Up to `count` (default: the rest of the budget) independent answers to the same messages, as turns in the
        order they are ready.

        `parallel_requests` requests are in flight at once, each asking for `n_per_request` answers (when the model
        gives fewer, more requests go out, so as many answers stay in flight). When the caller stops early (the stop
        rule ended the task), the requests in flight are waited for and their turns made: they are paid for. The
        solver yields those after the strategy ends."""
        target = min(self.left(), self.max_turns if count is None else count)
        window = self.parallel_requests * self.n_per_request
        pending: dict[asyncio.Future[list[Turn]], int] = {}
        in_flight = made = 0
        try:
            while True:
                while made + in_flight < target and in_flight < window:
                    k = min(self.n_per_request, target - made - in_flight)
                    pending[asyncio.ensure_future(self.request(messages, n=k))] = k
                    in_flight += k
                if not pending:
                    return
                ready, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in ready:
                    in_flight -= pending.pop(future)
                    turns = future.result()
                    made += len(turns)
                    for turn in turns:
                        yield turn
        except GeneratorExit:
            await _settle(pending)
            raise
        except BaseException:
            for future in pending:
                future.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise

    async def execute(self, turn: Turn) -> None:
        """Find the program in the turn's reply and record its results: training outputs with correctness, test
        outputs without. A program that an earlier turn of the task already ran (the same `program_key`: the same
        program after normalisation) is not run again: its results are reused (`same_program_as`)."""
        run = self._start(turn)
        if run is not None:
            await self._finish(turn, run)

    def _start(self, turn: Turn) -> asyncio.Future[_Run] | None:
        """The turn's program found and its run started (or the run of the same program found); None when the
        reply holds no program."""
        reply = (turn.response, turn.reasoning)
        if reply in self._found:
            found = self._found[reply]
        else:
            found = self._found[reply] = extract_code(*reply)
        if found is None:
            turn.code_note = "no python code block defining transform in the reply"
            return None
        turn.code, turn.code_source, turn.code_note = found.code, found.source, found.note
        key = self._keys.get(found.code)
        if key is None:
            key = self._keys[found.code] = program_key(found.code)
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = (turn.index, asyncio.ensure_future(self._run(found.code)))
        else:
            turn.same_program_as = run[0]
        return run[1]

    async def _finish(self, turn: Turn, run: asyncio.Future[_Run]) -> None:
        # Shielded: the first turn to wait may be cancelled while others wait on the same run.
        ran = run.result() if run.done() else await asyncio.shield(run)
        turn.train, turn.test = ran.train, ran.test
        turn.train_total, turn.train_solved, turn.train_pixel_accuracy = ran.total, ran.solved, ran.pixel_accuracy

    async def _run(self, code: str) -> _Run:
        train = self.task.train
        if self._grids is None:
            self._grids = [ex.input for ex in train] + list(self.task.test_inputs)
        result = await self.executor.run(code, self._grids, self.limits)
        examples, tests = record_results(train, result)
        return _Run(examples, tests, len(train), sum(e.correct for e in examples),
                    sum(e.pixel_accuracy for e in examples) / len(train))

    def close(self) -> None:
        """Cancel program runs nobody waits for any more (the task ended by an error or a cancellation)."""
        for _, future in self._runs.values():
            future.cancel()

    def feedback(self, turn: Turn) -> str:
        """The turn's training results as the next user message (and noted on the turn)."""
        turn.feedback = render_feedback(self.task.train, turn.train if turn.code is not None else None)
        return turn.feedback

    def continued(self, messages: list[Message], turn: Turn) -> list[Message]:
        """The conversation after `turn`: its reply, then the feedback on its training results."""
        return [*messages, {"role": "assistant", "content": turn.response},
                {"role": "user", "content": self.feedback(turn)}]


async def _settle(pending: Iterable[asyncio.Future[list[Turn]]]) -> None:
    """Wait for every request in flight; a bug in one of them still raises, once all are done."""
    futures = list(pending)
    if not futures:
        return
    await asyncio.wait(futures)
    for future in futures:
        if not future.cancelled() and (error := future.exception()) is not None:
            raise error


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
