"""The run directory's records. Everything arcbench writes to disk is one of these models.

Layout of a run directory:
  config.json          RunConfig + arcbench version + prompt template hash
  events.jsonl         append-only: one CallEvent per model call (request, response, usage, cost, retries), and
                       one ToolEvent per tool call a reply made (--mode tools: arguments and result)
  tasks/<task_id>.json TaskLog, rewritten atomically after every turn
  summary.json         RunSummary
  run_<k>/...          the same, per repeat, when --repeat-runs > 1; then aggregate.json at the top
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid
from arcbench.llm import Completion, FailureKind, Usage
from arcbench.scoring import TaskScore
from arcbench.solve.records import AttemptSource, ExampleResult, TestRun, ToolCallRecord, Turn

__all__ = [  # the solve and llm records a task log holds are importable from here too
    "SCHEMA_VERSION", "Aggregate", "AttemptSource", "CallEvent", "CallStamp", "ExampleResult", "RunSummary", "Stat",
    "TaskLog", "TaskSummary", "TestRun", "ToolEvent", "Turn", "Usage", "now_iso",
]

SCHEMA_VERSION = 1


def now_iso() -> str:
    """UTC time as every record writes it: ISO 8601 to the millisecond, with a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CallStamp(BaseModel):
    """Which call of which task a completion answered, and when: what the run adds to a model's Completion."""

    schema_version: int = SCHEMA_VERSION
    type: Literal["call"] = "call"
    task_id: str
    turn: int
    time: str
    """UTC ISO time the call finished."""
    messages_sha256: str | None = None
    """Digest of the conversation the call was asked for, when its request body does not hold the messages as they
    were given (the Responses API's `input`): what a resume matches the call on."""


class CallEvent(Completion, CallStamp):
    """One model call as it reached disk (a line of events.jsonl): the stamp first, then the model's Completion.
    Never holds an API key."""


class ToolEvent(ToolCallRecord):
    """One tool call of a reply and its result (a line of events.jsonl, --mode tools), written as soon as it ran. A
    resumed run reads these back instead of running the calls again."""

    schema_version: int = SCHEMA_VERSION
    type: Literal["tool"] = "tool"
    task_id: str
    turn: int
    """The model call whose reply made this tool call."""
    time: str


class TaskLog(BaseModel):
    """Everything about one task of a run; rewritten atomically after every turn."""

    schema_version: int = SCHEMA_VERSION
    task_id: str
    status: Literal["in_progress", "done", "api_failure", "budget_exhausted"] = "in_progress"
    """budget_exhausted: the run's --max-cost stopped the task's next call; a resume with a higher one finishes it."""
    stop_reason: str = ""
    train: list[dict[str, Grid]] = Field(default_factory=list)
    """The task's training pairs ({"input", "output"}) and test inputs, so a log is readable on its own."""
    test_inputs: list[Grid] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    attempts: list[list[AttemptSource]] = Field(default_factory=list)
    """Per test input, up to two chosen attempts, best first."""
    score: TaskScore | None = None
    """None until scored, and for tasks without test outputs."""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = 0.0
    api_failures: int = 0
    timeout_failures: int = 0
    started_at: str = ""
    finished_at: str = ""
    run_elapsed_s: float = 0.0
    """The run's wall time (all its sessions) when this log was last written: a run killed before its summary
    resumes counting from the largest of these, so that its wall time covers every session."""

    @property
    def failure(self) -> FailureKind | None:
        """Why the task ended without an answer: its last model call timed out or failed (None when it did not).

        On disk both are status "api_failure", told apart by the stop reason, as every earlier run wrote them."""
        if self.status != "api_failure":
            return None
        return "timeout" if self.stop_reason == "timeout" else "api_error"

    def count(self, turn: Turn) -> None:
        """Add a turn's tokens and cost to the task's totals (the cost stays unknown once one call's price is)."""
        self.usage = self.usage + turn.usage
        self.cost_usd = None if self.cost_usd is None or turn.cost_usd is None else self.cost_usd + turn.cost_usd


class TaskSummary(BaseModel):
    task_id: str
    status: str
    score: float | None
    fully_solved: bool
    turn1_solved: bool
    turns: int
    pixel_accuracy: float | None
    tokens: int
    cost_usd: float | None
    api_failures: int
    timeout_failures: int


class RunSummary(BaseModel):
    schema_version: int = SCHEMA_VERSION
    total_tasks: int
    scored_tasks: int
    score: float
    """Official ARC Prize score: mean over scored tasks of solved test inputs / test inputs (pass@2)."""
    tasks_fully_solved: int
    task_accuracy: float
    pixel_accuracy: float
    turn1_solved: int
    api_failures: int
    """Tasks that ended on a failed model call (not counted as wrong answers)."""
    timeout_failures: int
    budget_exhausted: int = 0
    """Tasks left unfinished when the run's budget (--max-cost) was reached: neither wrong answers nor failures."""
    api_successes: int
    """Tasks that finished without a failed model call."""
    total_turns: int
    calls: int = 0
    failed_calls: int = 0
    """Model calls that failed after their last retry."""
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    total_tokens: int
    cached_tokens: int = 0
    """Input tokens the provider served from its prompt cache (part of prompt_tokens)."""
    cache_hit_rate: float | None = None
    """cached_tokens / prompt_tokens; None when no input token was counted."""
    calls_without_usage: int = 0
    """Successful calls whose server reported no usage: their tokens are unknown and not in the counts above."""
    total_cost: float | None
    cost_known: bool
    """False when some call's price was unknown: total_cost then covers only the priced calls."""
    leaky: bool
    wall_time_s: float
    tasks: list[TaskSummary]

    @property
    def tokens_known(self) -> bool:
        """Every successful call reported its usage: the token counts are the whole."""
        return self.calls_without_usage == 0

    @property
    def tokens_unknown(self) -> bool:
        """No successful call reported its usage: the run's tokens are not known at all (the counts are not 0)."""
        return self.calls_without_usage > 0 and self.calls_without_usage >= self.calls - self.failed_calls


class Stat(BaseModel):
    mean: float
    std: float
    ci95_low: float
    ci95_high: float
    n: int


class Aggregate(BaseModel):
    """Statistics over repeat runs (API failures excluded from numerator and denominator)."""

    schema_version: int = SCHEMA_VERSION
    runs: int
    turn1_success: Stat
    all_turns_success: Stat
    score: Stat
    per_run: list[dict[str, float | int]]
