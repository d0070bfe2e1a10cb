"""Dollars before and during a run: the preflight estimate, and the budget (`--max-cost`) that stops new calls.

The estimate prices the run's own prompts (rendered exactly as the strategy will send them, tokens counted by
`arcbench.llm.tokens`) with an assumed reply length, as a range: every task ending after its first call, up to every
task spending all its calls. The budget sits between the recorder and the model, so replayed calls (already paid)
never reach it: a call starts only if what the run has spent (calls logged before a resume included), plus the
estimated cost of the calls in flight, plus its own estimate, stays within the budget. Once a call is refused no
new call starts; the calls in flight finish and are logged, and the tasks they leave unfinished end as
`budget_exhausted`, to be finished by a resume with a higher budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from arcbench.data.types import Example, Grid, Task
from arcbench.errors import UserError
from arcbench.llm import ChatModel, ClientConfig, Completion, Message, Tool, Usage, forward
from arcbench.llm.pricing import estimate_price, price_basis
from arcbench.llm.tokens import APPROXIMATION, MESSAGE_OVERHEAD_TOKENS, approx_tokens, message_tokens
from arcbench.prompts.feedback import render_feedback
from arcbench.prompts.render import task_messages
from arcbench.run.config import RunConfig
from arcbench.run.store import iter_jsonl, repeat_dirs

DEFAULT_EST_OUTPUT_TOKENS = 4_000
"""Reply tokens assumed per call when neither --est-output-tokens nor --max-tokens says: a short reasoning reply.
Reasoning models at high effort often write several times more."""


class BudgetExhausted(Exception):
    """No new model call may start: the run's budget is reached (or can no longer be kept)."""


def is_free(config: ClientConfig) -> bool:
    """The offline baseline model, which costs nothing."""
    return config.model == "baseline" and config.base_url is None


def output_tokens(config: RunConfig) -> tuple[int, str]:
    """(reply tokens assumed per call, where the figure comes from)."""
    if config.est_output_tokens is not None:
        return config.est_output_tokens, "--est-output-tokens"
    if config.client.max_tokens is not None:
        return config.client.max_tokens, "--max-tokens"
    return DEFAULT_EST_OUTPUT_TOKENS, "assumed"


class CostEstimate(BaseModel):
    """What a run may cost, worked out before its first call."""

    tasks: int
    max_turns: int
    repeats: int
    prompt_tokens: int
    """Input tokens of every task's first call, together (every repeat's)."""
    output_tokens_per_call: int
    output_source: str
    """--est-output-tokens, --max-tokens or assumed."""
    token_count: str = APPROXIMATION
    low_tokens: int
    high_tokens: int
    low_usd: float | None
    """Every task ends after its first call (its first program solves the training examples)."""
    high_usd: float | None
    """Every task makes all its calls, each feedback turn resending the conversation so far."""
    priced_by: str
    free: bool = False
    answers_per_call: int = 1
    """--n-per-request: each call reads its prompt once and is paid for this many replies."""
    first_round: int = 1
    """Calls every task makes before its stop rule can end it (a round of --parallel-requests when sampling)."""


@dataclass
class _WrongResult:
    """A training result for a program that got an example wrong: feedback at its usual size."""

    output: Grid | None
    error: str | None = None
    message: str = ""
    correct: bool = False
    pixel_accuracy: float = 0.0


def _feedback_tokens(train: list[Example]) -> int:
    """Tokens of a feedback message on a program that got every training example wrong, producing grids of the
    inputs' sizes (it shows both grids of every example: about the largest honest feedback)."""
    text = render_feedback(train, [_WrongResult(output=ex.input) for ex in train])
    return approx_tokens(text) + MESSAGE_OVERHEAD_TOKENS


def estimate_cost(config: RunConfig, tasks: Sequence[Task]) -> CostEstimate:
    """The preflight estimate of a run over `tasks` (tasks without test outputs: only prompts are rendered)."""
    out, source = output_tokens(config)
    # Conversations grow with each feedback turn; only `independent` is known never to continue one, so any other
    # strategy is estimated as one long conversation, the most expensive way to spend the calls.
    grows = config.mode != "independent"
    # Independent samples come n to a call (the prompt read once, n replies paid for), in rounds of
    # --parallel-requests calls; other strategies are estimated a call per turn, which is never less.
    n = 1 if grows else config.n_per_request
    turns = -(-config.max_turns // n)
    first = 1 if grows else min(turns, config.parallel_requests)
    free = is_free(config.client)
    low_usd: float | None = 0.0
    high_usd: float | None = 0.0
    prompt_total = low_tokens = high_tokens = 0

    def add(total: float | None, prompt: int, answers: int = n) -> float | None:
        if free or total is None:
            return total
        replies = out * answers
        cost = estimate_price(Usage(prompt_tokens=prompt, completion_tokens=replies, total_tokens=prompt + replies),
                              config.client)
        return None if cost is None else total + cost

    for task in tasks:
        prompt = message_tokens(task_messages(task))
        prompt_total += prompt
        for _ in range(first):
            low_usd = add(low_usd, prompt)
            low_tokens += prompt + out * n
        step = out + _feedback_tokens(task.train) + MESSAGE_OVERHEAD_TOKENS if grows else 0
        for k in range(turns):
            answers = min(n, config.max_turns - k * n)  # the last call asks for what is left
            high_usd = add(high_usd, prompt + k * step, answers)
            high_tokens += prompt + k * step + out * answers
    repeats = config.repeat_runs
    return CostEstimate(
        tasks=len(tasks), max_turns=turns, repeats=repeats, prompt_tokens=prompt_total * repeats,
        output_tokens_per_call=out, output_source=source, low_tokens=low_tokens * repeats,
        high_tokens=high_tokens * repeats,
        low_usd=None if low_usd is None else low_usd * repeats,
        high_usd=None if high_usd is None else high_usd * repeats,
        priced_by="free (offline baseline)" if free else price_basis(config.client), free=free,
        answers_per_call=n, first_round=first,
    )


def logged_spend(run_dir: Path) -> tuple[float, bool]:
    """(dollars of the calls already logged in a run directory, every repeat included; whether every successful
    call's price is known). Failed calls count nothing: no reply, no charge."""
    spent = 0.0
    known = True
    for folder in [run_dir, *(repeat_dirs(run_dir) if run_dir.is_dir() else [])]:
        for raw in iter_jsonl(folder / "events.jsonl"):
            if raw.get("type") != "call" or raw.get("error_kind") is not None:
                continue
            cost = raw.get("cost_usd")
            if isinstance(cost, int | float):
                spent += cost
            else:
                known = False
    return spent, known


class BudgetReport(BaseModel):
    """Where a run's money stands at its end."""

    max_cost_usd: float
    spent_usd: float
    """Every call of the run, before and after a resume."""
    exhausted: bool
    reason: str = ""
    """Why no more calls were made, when exhausted."""
    in_flight_when_exhausted: int = 0
    """Calls that were under way when the budget stopped new ones (they finished and were logged)."""


class Budget:
    """The money of one run: spent, reserved by the calls in flight, and the limit. Shared by every task (and
    repeat) of the run; the run's single event loop makes check-and-reserve atomic."""

    def __init__(self, max_cost_usd: float, config: RunConfig, spent_usd: float = 0.0,
                 spent_known: bool = True) -> None:
        self.max_cost_usd = max_cost_usd
        self.client = config.client
        self.output_tokens, _ = output_tokens(config)
        self.spent_usd = spent_usd
        self.reserved_usd = 0.0
        self.in_flight = 0
        self.reason = ""
        self.in_flight_when_exhausted = 0
        self.free = is_free(config.client)
        if not self.free and self._estimate([{"role": "user", "content": "x"}]) is None:
            raise UserError(f"--max-cost needs a price known before the calls: {price_basis(self.client)} has none "
                            "— give --price-in and --price-out ($ per million tokens)")
        if not spent_known:
            self._exhaust("the cost of a call already logged is unknown, so what was spent cannot be counted")

    @property
    def exhausted(self) -> bool:
        return bool(self.reason)

    def report(self) -> BudgetReport:
        return BudgetReport(max_cost_usd=self.max_cost_usd, spent_usd=self.spent_usd, exhausted=self.exhausted,
                            reason=self.reason, in_flight_when_exhausted=self.in_flight_when_exhausted)

    def wrap(self, model: ChatModel) -> BudgetedModel:
        return BudgetedModel(model, self)

    def _estimate(self, messages: list[Message], n: int = 1) -> float | None:
        if self.free:
            return 0.0
        prompt = message_tokens(messages)
        out = self.output_tokens * n  # n answers: the prompt is read once, each answer is paid for
        usage = Usage(prompt_tokens=prompt, completion_tokens=out, total_tokens=prompt + out)
        return estimate_price(usage, self.client)

    def _exhaust(self, reason: str) -> None:
        if not self.reason:
            self.reason = reason
            self.in_flight_when_exhausted = self.in_flight

    def admit(self, messages: list[Message], n: int = 1) -> float:
        """Reserve the estimated cost of a call about to start (asking for `n` answers), or raise BudgetExhausted."""
        if self.reason:
            raise BudgetExhausted(self.reason)
        cost = self._estimate(messages, n) or 0.0
        if self.spent_usd + self.reserved_usd + cost > self.max_cost_usd:
            self._exhaust("reached")
            raise BudgetExhausted(self.reason)
        self.reserved_usd += cost
        self.in_flight += 1
        return cost

    def settle(self, reserved: float, done: Completion | None) -> None:
        """A call ended (None: it raised): release its reservation and count what it really cost."""
        self.reserved_usd -= reserved
        self.in_flight -= 1
        if done is None or done.error_kind is not None:
            return
        if done.cost_usd is None:
            self._exhaust("a call's cost is unknown (its reply had no usage), so the budget cannot be kept")
        else:
            self.spent_usd += done.cost_usd


class BudgetedModel:
    """A model whose calls start only while the budget allows (a `ChatModel`)."""

    def __init__(self, model: ChatModel, budget: Budget) -> None:
        self.model = model
        self.budget = budget

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        reserved = self.budget.admit(messages, n)
        done = None
        try:
            done = await forward(self.model, messages, tools=tools, tool_choice=tool_choice, n=n)
        finally:
            self.budget.settle(reserved, done)
        return done

    async def aclose(self) -> None:
        await self.model.aclose()
