"""The steps strategies are made of: sample (ask the model, run its program), feed back, continue a conversation.

A strategy sees a `SolveContext`: the task without its test outputs, the model, the executor that runs programs, the
options of the run, and the turns so far. It has no way to a test output, and it cannot spend more calls than its
budget: `sample` refuses. Calls may run concurrently (the refine strategy's experts): each call takes its place in
the task's order when it is made, before it is sent, so that turn numbers, and the recorder's replay on resume,
follow the order the calls were made in.

Sampling strategies draw many answers to one prompt with `samples`: several answers per request (`n`) and several
requests at once, in rounds whose turns are numbered in the order their requests were made once the whole round is
back. Which answers a task gets therefore does not depend on which request came back first: a resumed run makes the
same rounds and ends on the same turn. Each distinct program (`program_key`) runs once per task; a turn with a
program that already ran reuses its results (`same_program_as`) and still counts as a vote.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, NamedTuple, Protocol

from arcbench.data.types import Example, Grid, Task
from arcbench.inert import clip
from arcbench.llm import ChatModel, Completion, Message, Tool, ToolCall, Usage
from arcbench.llm.tools import assistant_message
from arcbench.prompts.feedback import ReplyFacts, feedback_content
from arcbench.prompts.render import task_messages
from arcbench.prompts.strategies import generalise_message
from arcbench.prompts.style import Content, PromptStyle, plain_text
from arcbench.sandbox import ProgramResult, SandboxLimits
from arcbench.scoring import pixel_accuracy
from arcbench.solve.describe import describe
from arcbench.solve.executor import Executor
from arcbench.solve.extract import ExtractedCode, extract_code, why_no_code
from arcbench.solve.hardcode import hardcoding
from arcbench.solve.normalise import layout_key, program_key
from arcbench.solve.options import SolveOptions
from arcbench.solve.records import ExampleDescription, ExampleResult, Phase, TestRun, ToolCallRecord, Turn

__all__ = ["BudgetExceeded", "Executor", "SolveContext", "ToolJournal", "conversation", "most_promising",
           "record_results", "reply_facts"]

MAX_RESULT_MESSAGE_CHARS = 4_000
"""A grid's error message as a turn keeps it: the sandbox's own limit, enforced again here because a forged report
can carry any length and every turn is written to the task log (and its feedback to events.jsonl)."""
MAX_TOOL_ARGUMENT_CHARS = 100_000
"""A tool call's arguments as a turn keeps them (the whole reply is in events.jsonl)."""


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


class ToolJournal(Protocol):
    """Where tool results are written as they happen and found again on resume (the run's events.jsonl)."""

    def logged_tool(self, turn: int, call_id: str) -> ToolCallRecord | None:
        """The result a resumed run logged for this call of this turn, if any."""
        ...

    async def record_tool(self, turn: int, record: ToolCallRecord) -> None:
        """Write one tool call and its result."""
        ...


class BudgetExceeded(RuntimeError):
    """A strategy asked for more answers than its budget allows (a bug in the strategy)."""


class _Run(NamedTuple):
    """A program's results on a task, as every turn with that program records them."""

    train: list[ExampleResult]
    test: list[TestRun]
    solved: int
    pixel_accuracy: float
    hardcoded: str | None
    descriptions: list[ExampleDescription] | None


def _shares(usage: Usage, cost_usd: float | None, k: int) -> list[tuple[Usage, float | None]]:
    """A call's tokens and cost split over its k answers: evenly, remainders to the first, totals kept exactly."""
    if k == 1:
        return [(usage, cost_usd)]
    fields = usage.model_dump()
    cost = None if cost_usd is None else cost_usd / k
    made: dict[tuple[int, ...], Usage] = {}  # equal shares are one object: the task log compares them by identity
    shares = []
    for i in range(k):
        part = {name: value // k + (i < value % k) for name, value in fields.items()}
        key = tuple(part.values())
        share = made.get(key)
        if share is None:
            share = made[key] = Usage(**part)
        shares.append((share, cost))
    return shares


def _new_input(messages: list[Message]) -> str:
    """What this call adds to the conversation: the messages after the model's last reply, as text."""
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    tail = messages[last + 1:] or messages[-1:]
    parts = []
    for m in tail:
        if m.get("role") == "system":
            continue
        text = plain_text(m.get("content"))
        parts.append(f"[tool result {m.get('tool_call_id', '')}]\n{text}" if m.get("role") == "tool" else text)
    return "\n\n".join(parts)


def reply_message(turn: Turn) -> Message:
    """The turn's reply as the assistant message that continues its conversation (tool calls included)."""
    calls = [ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in turn.tool_calls]
    return assistant_message(turn.response, calls)


def tool_messages(turn: Turn) -> list[Message]:
    """One `tool` message per call the reply made, with its result."""
    return [{"role": "tool", "tool_call_id": c.id, "content": c.result} for c in turn.tool_calls]


class SolveContext:
    """One task being solved: what a strategy may use, and the turns it has made so far."""

    def __init__(self, task: Task, model: ChatModel, executor: Executor, *, max_turns: int,
                 limits: SandboxLimits | None = None, options: SolveOptions | None = None,
                 journal: ToolJournal | None = None, n_per_request: int = 1, parallel_requests: int = 1) -> None:
        self.task = task
        self.model = model
        self.executor = executor
        self.max_turns = max_turns
        """The budget: answers (turns) this task may get from the model; one per call, but for `samples`."""
        self.n_per_request = n_per_request
        """Answers `samples` asks for per request; lowered to what the model gives (one, when it ignores `n`)."""
        self.parallel_requests = parallel_requests
        """Requests `samples` has in flight at once."""
        self.limits = limits
        self.options = options or SolveOptions()
        self.journal = journal
        self.turns: list[Turn] = []
        """Every turn made, in call order."""
        self._calls = 0
        self._last_sample = -1
        self._sent: dict[int, tuple[list[Message], list[Tool] | None]] = {}
        self._carried: dict[str, list[dict[str, Any]]] = {}
        """Provider items of each call (by call id), sent back with its reply when a conversation goes on."""
        self._found: dict[tuple[str, str | None], ExtractedCode | None] = {}
        """Reply (answer, reasoning) -> the program in it: samples often repeat a reply word for word."""
        self._keys: dict[str, str] = {}
        """Program text -> its `program_key` (computed once per distinct text)."""
        self._layouts: dict[str, str] = {}
        """`layout_key` -> the `program_key` of programs with it: spellings that differ in comments and blank lines
        are compiled once."""
        self._grids: list[Grid] | None = None
        """The inputs every program of the task runs on (training, then test)."""
        self._runs: dict[str, tuple[int, asyncio.Future[_Run]]] = {}
        """Program key -> (index of the turn that ran it, its results): each program is run once per task."""

    @property
    def remaining(self) -> int:
        """Answers still allowed (those asked for by requests in flight counted as spent)."""
        return self.max_turns - self._calls

    def style(self, *, tools: bool = False) -> PromptStyle:
        return self.options.style(tools=tools)

    def opening(self, *, tools: bool = False) -> list[Message]:
        """The messages that start every conversation about the task."""
        return task_messages(self.task, self.style(tools=tools))

    def new_sample(self) -> int:
        """A sample number no conversation of this task has used yet."""
        self._last_sample += 1
        return self._last_sample

    async def sample(self, messages: list[Message], *, sample: int, turn_in_sample: int = 1,
                     phase: Phase | None = None, tools: list[Tool] | None = None, tool_choice: str | None = None,
                     run: bool = True) -> Turn:
        """Ask the model once and (with `run`) run the program in its reply on the training and test inputs: one new
        turn. With `tools`, the reply's tool calls are on the turn (`tool_calls`, results still empty).

        A failed call is a turn with `error_kind` set and no program. Every turn this returns must be yielded by the
        strategy, so that the stop rule sees it."""
        if self._calls >= self.max_turns:
            raise BudgetExceeded(f"task {self.task.id}: a strategy asked for call {self._calls + 1} of "
                                 f"{self.max_turns}")
        index = self._calls
        self._calls += 1
        self._last_sample = max(self._last_sample, sample)
        self._sent[index] = (messages, tools)
        if tools:
            done = await self.model.complete(messages, tools=tools, tool_choice=tool_choice)
        else:
            done = await self.model.complete(messages)
        turn = Turn(
            index=index, sample=sample, turn_in_sample=turn_in_sample, call_id=done.call_id,
            phase=phase or ("sample" if turn_in_sample == 1 else "feedback"), user_message=_new_input(messages),
            response=done.content, reasoning=done.reasoning, usage=done.usage, cost_usd=done.cost_usd,
            latency_s=done.latency_s, error_kind=done.error_kind, error_message=done.error_message,
            tool_calls=[ToolCallRecord(id=c.id, name=c.name, arguments=clip(c.arguments, MAX_TOOL_ARGUMENT_CHARS))
                        for c in done.tool_calls],
            finish_reason=done.finish_reason,
        )
        bisect.insort(self.turns, turn, key=lambda t: t.index)
        if done.provider_items:
            self._carried[done.call_id] = done.provider_items
        if done.error_kind is None and run:
            await self.execute(turn)
        return turn

    async def execute(self, turn: Turn) -> None:
        """Find the program in the turn's reply and record its results: training outputs with correctness, test
        outputs without."""
        run = self._start(turn)
        if run is not None:
            await self._finish(turn, run)

    async def run_program(self, turn: Turn, code: str, source: str = "answer", note: str = "") -> None:
        """Run `code` as the turn's program (from its reply, or handed in with the submit tool)."""
        await self._finish(turn, self._start_program(turn, code, source, note))

    def _start(self, turn: Turn) -> asyncio.Future[_Run] | None:
        """The turn's program found and its run started (or the run of the same program found); None when the
        reply holds no program."""
        reply = (turn.response, turn.reasoning)
        if reply in self._found:
            found = self._found[reply]
        else:
            found = self._found[reply] = extract_code(*reply)
        if found is None:
            turn.code_note = f"the reply held {why_no_code(turn.response, turn.reasoning)}"
            return None
        turn.code_function, turn.code_placement = found.function, found.placement
        return self._start_program(turn, found.code, found.source, found.note)

    def _start_program(self, turn: Turn, code: str, source: str, note: str) -> asyncio.Future[_Run]:
        """Start running `code` for the turn, unless an earlier turn of the task runs (or ran) the same program
        (`program_key`): then its run is the turn's (`same_program_as`)."""
        turn.code, turn.code_source, turn.code_note = code, source, note  # type: ignore[assignment]
        key = self._keys.get(code)
        if key is None:
            layout = layout_key(code)
            key = self._layouts.get(layout) if layout is not None else None
            if key is None:
                key = program_key(code)
                if layout is not None and key.startswith("code:"):  # code that does not compile is keyed by its text
                    self._layouts[layout] = key
            self._keys[code] = key
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = (turn.index, asyncio.ensure_future(self._run(code)))
        else:
            # Usually an earlier turn; a later one when calls made side by side (refine's experts) came back out of
            # order. Either way the results are the same program's.
            turn.same_program_as = run[0]
        return run[1]

    async def _finish(self, turn: Turn, run: asyncio.Future[_Run]) -> None:
        # Shielded: the first turn to wait may be cancelled while others wait on the same run.
        ran = run.result() if run.done() else await asyncio.shield(run)
        # Straight into the turn's fields (values of the field types, made here): a sampling run sets these on
        # every one of its samples, and a validated assignment per field cost as much as the rest of a sample.
        turn.__dict__.update(train=ran.train, test=ran.test, train_total=len(ran.train), train_solved=ran.solved,
                             train_pixel_accuracy=ran.pixel_accuracy, hardcoded=ran.hardcoded is not None,
                             hardcoded_reason=ran.hardcoded or "", descriptions=ran.descriptions)

    async def _run(self, code: str) -> _Run:
        train = self.task.train
        if self._grids is None:
            self._grids = [ex.input for ex in train] + list(self.task.test_inputs)
        result = await self.executor.run(code, self._grids, self.limits)
        examples, tests = record_results(train, result)
        descriptions = None
        if self.options.describe_grids:
            descriptions = await describe(self.executor, code, train, examples, self.limits)
        return _Run(examples, tests, sum(e.correct for e in examples),
                    sum(e.pixel_accuracy for e in examples) / len(train),
                    hardcoding(code, train, self.task.test_inputs), descriptions)

    def close(self) -> None:
        """Cancel program runs nobody waits for any more (the task ended by an error or a cancellation)."""
        for _, future in self._runs.values():
            future.cancel()

    async def samples(self, messages: list[Message], count: int | None = None) -> AsyncIterator[Turn]:
        """Up to `count` (default: the rest of the budget) independent answers to the same messages, as turns in
        index order.

        They are drawn in rounds: `parallel_requests` requests at once, each asking for `n_per_request` answers (a
        model that gives fewer gets more requests in later rounds). A round's turns are numbered in the order its
        requests were made, once all of them are back, and its programs run before its turns are yielded. When the
        caller stops early (the stop rule ended the task), nothing is in flight: the rest of the round's turns, paid
        for, are shown by the solver."""
        target = min(self.remaining, self.max_turns if count is None else count)
        made = 0
        while made < target:
            room = min(target - made, self.parallel_requests * self.n_per_request)
            sizes = []
            while room > 0:
                sizes.append(min(self.n_per_request, room))
                room -= sizes[-1]
            self._calls += sum(sizes)  # the budget counts what is asked for while it is in flight
            done: list[Completion | BaseException] = []
            try:
                done = await asyncio.gather(*(self._ask(messages, k) for k in sizes), return_exceptions=True)
            finally:
                self._calls -= sum(sizes)
            turns = []
            for k, reply in zip(sizes, done, strict=True):
                if isinstance(reply, Completion):
                    turns += self._answers(reply, messages, k)
            runs = [self._start(t) if t.error_kind is None else None for t in turns]
            for turn, run in zip(turns, runs, strict=True):
                if run is not None:
                    await self._finish(turn, run)
            made += len(turns)
            for turn in turns:
                yield turn
            for failed in done:
                # A request that raised (a user error, a spent budget) does so after the round's answers are
                # shown: they were paid for.
                if isinstance(failed, BaseException):
                    raise failed

    async def _ask(self, messages: list[Message], n: int) -> Completion:
        return await (self.model.complete(messages, n=n) if n > 1 else self.model.complete(messages))

    def _answers(self, done: Completion, messages: list[Message], asked: int) -> list[Turn]:
        """The turns of one request for `asked` answers: one per answer (one with `error_kind` for a failed call),
        numbered next, each a new sample, each with its share of the call's tokens and cost."""
        # A call replayed from an earlier run's log may hold more answers than this request asked for: the budget
        # takes what was asked.
        choices = done.choices[:asked]
        if done.error_kind is None and len(choices) < self.n_per_request:
            self.n_per_request = len(choices)
        user_message = _new_input(messages)
        turns = []
        for i, (choice, (usage, cost)) in enumerate(zip(choices, _shares(done.usage, done.cost_usd, len(choices)),
                                                        strict=True)):
            turn = Turn(
                index=self._calls, sample=self.new_sample(), turn_in_sample=1, call_id=done.call_id, choice=i,
                phase="sample", user_message=user_message, response=choice.content, reasoning=choice.reasoning,
                usage=usage, cost_usd=cost, latency_s=done.latency_s, error_kind=done.error_kind,
                error_message=done.error_message, finish_reason=choice.finish_reason,
            )
            self._sent[turn.index] = (messages, None)
            self._calls += 1
            self.turns.append(turn)
            turns.append(turn)
        if done.provider_items:
            self._carried[done.call_id] = done.provider_items
        return turns

    def feedback_content(self, turn: Turn, *, style: PromptStyle | None = None) -> Content:
        """The turn's training results as the next user message (its text noted on the turn)."""
        results = turn.train if turn.code is not None else None
        content = feedback_content(self.task.train, results, reply_facts(turn), style=style or self.style(),
                                   descriptions=turn.descriptions)
        turn.feedback = plain_text(content)
        return content

    def feedback(self, turn: Turn) -> str:
        """The turn's training results as text (what a tool message can carry: no images)."""
        style = self.style()
        content = self.feedback_content(turn, style=PromptStyle(feedback=style.feedback,
                                                                describe_grids=style.describe_grids))
        return plain_text(content)

    def continued(self, messages: list[Message], turn: Turn) -> list[Message]:
        """The conversation after `turn`: its reply (with the provider items of its call, e.g. reasoning, for the
        model to take back), then the feedback on its training results."""
        return [*messages, self.reply(turn), {"role": "user", "content": self.feedback_content(turn)}]

    def reply(self, turn: Turn) -> Message:
        """The turn's reply as the assistant message that continues its conversation: tool calls included, and the
        provider items of its call (e.g. the Responses API's reasoning) for the model to take back."""
        message = reply_message(turn)
        if carried := self._carried.get(turn.call_id):
            message["provider_items"] = carried
        return message

    def sent(self, turn: Turn) -> tuple[list[Message], list[Tool] | None]:
        """The messages (and tools) the turn's call was made with."""
        return self._sent[turn.index]

    async def generalise(self, turn: Turn) -> Turn:
        """The generalisation check after `turn`, whose program solves every training example: the program's outputs
        on the test inputs, and the question whether it is general. The reply may revise the program; a reply of
        CONFIRMED without code leaves the program as it is."""
        messages, tools = self.sent(turn)
        outputs: list[Grid | None] = [t.output for t in turn.test]
        errors = [f"{t.error}: {t.message}" if t.error else "" for t in turn.test]
        ask = {"role": "user", "content": generalise_message(outputs, errors, self.style(tools=bool(tools)))}
        check = await self.sample([*messages, self.reply(turn), *tool_messages(turn), ask], sample=turn.sample,
                                  turn_in_sample=turn.turn_in_sample + 1, phase="generalise", tools=tools,
                                  tool_choice="none" if tools else None)
        if check.error_kind is None and check.code is None and "CONFIRMED" in check.response.upper():
            check.code_note = f"the model confirmed that the program of turn {turn.index + 1} is general"
        return check


def _signature(turn: Turn) -> str | None:
    """The turn's training outputs (or errors) as one comparable value; None when it had no program."""
    if turn.code is None or not turn.train:
        return None
    return json.dumps([r.output if r.output is not None else f"error:{r.error}" for r in turn.train])


async def conversation(ctx: SolveContext, messages: list[Message], *, sample: int, turns: int,
                       first_turn: int = 1, earlier: Sequence[Turn] = ()) -> AsyncIterator[Turn]:
    """Up to `turns` turns of one conversation, each answering the feedback on the one before.

    With `--max-repeats K`, a turn whose training outputs equal an earlier turn's of the conversation (`earlier`
    holds turns it continues) is marked `repeat_of`; after K such turns the conversation is given up and the rest
    of its turns go to a fresh sample (its first turn's phase is "restart")."""
    limit = ctx.options.max_repeats
    seen: dict[str, int] = {}
    for t in earlier:
        if (sig := _signature(t)) is not None:
            seen.setdefault(sig, t.index)
    repeats = 0
    turn_in_sample = first_turn
    phase: Any = None
    for k in range(turns):
        turn = await ctx.sample(messages, sample=sample, turn_in_sample=turn_in_sample, phase=phase)
        sig = _signature(turn)
        if sig is not None and sig in seen:
            turn.repeat_of = seen[sig]
            repeats += 1
        elif sig is not None:
            seen[sig] = turn.index
        yield turn  # the solver stops here when the turn ends the task; feedback is written only if it goes on
        if k == turns - 1:
            return
        if limit is not None and repeats >= limit:
            sample, messages, turn_in_sample, phase = ctx.new_sample(), ctx.opening(), 1, "restart"
            seen, repeats = {}, 0
        else:
            messages = ctx.continued(messages, turn)
            turn_in_sample, phase = turn_in_sample + 1, None


def most_promising(turns: Sequence[Turn]) -> Turn:
    """The turn most worth continuing, judged on training results only: a program before none, then most training
    examples solved, then best training pixel accuracy, then the earliest."""
    return min(turns, key=lambda t: (t.code is None, -t.train_solved, -t.train_pixel_accuracy, t.index))
