"""The run directory's records. Everything arcbench writes to disk is one of these models.

Layout of a run directory:
  config.json          RunConfig + arcbench version + prompt template hash
  events.jsonl         append-only: one CallEvent per model call (request, response, usage, cost, retries)
  tasks/<task_id>.json TaskLog, rewritten atomically after every turn
  summary.json         RunSummary
  run_<k>/...          the same, per repeat, when --repeat-runs > 1; then aggregate.json at the top
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid
from arcbench.sandbox.types import ErrorKind
from arcbench.scoring import AttemptScore, TaskScore

SCHEMA_VERSION = 1


def now_iso() -> str:
    """UTC time as every record writes it: ISO 8601 to the millisecond, with a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

Message = dict[str, Any]
FailureKind = Literal["timeout", "api_error"]


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Includes reasoning tokens, as the OpenAI API reports them."""
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    total_tokens: int = 0


class RetryRecord(BaseModel):
    attempt: int
    """1-based number of the attempt that failed."""
    reason: str
    status_code: int | None = None
    wait_s: float = 0.0


class CallEvent(BaseModel):
    """One model call as it reached disk (a line of events.jsonl). Never holds an API key."""

    schema_version: int = SCHEMA_VERSION
    type: Literal["call"] = "call"
    call_id: str
    task_id: str
    turn: int
    time: str
    """UTC ISO time the call finished."""
    model: str
    request: dict[str, Any]
    """The request body sent (model, messages, parameters), without credentials."""
    response: dict[str, Any] | None = None
    """The raw response body (or assembled stream), when there was one."""
    content: str = ""
    reasoning: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    """None when the price is unknown: never recorded as 0."""
    cost_source: Literal["server", "genai-prices", "flags", "unknown", "free"] = "unknown"
    latency_s: float = 0.0
    retries: list[RetryRecord] = Field(default_factory=list)
    error_kind: FailureKind | None = None
    error_message: str = ""


class ExampleResult(BaseModel):
    """A program's result on one training example, as the solver (and the feedback) sees it."""

    index: int
    output: Grid | None = None
    error: ErrorKind | None = None
    message: str = ""
    correct: bool = False
    pixel_accuracy: float = 0.0
    duration_s: float = 0.0


class TestRun(BaseModel):
    """A program's output on one test input. No correctness here: the solver cannot know it."""

    __test__ = False  # not a pytest test class

    index: int
    output: Grid | None = None
    error: ErrorKind | None = None
    message: str = ""
    duration_s: float = 0.0


class Turn(BaseModel):
    """One model call of a task and what came of it."""

    index: int
    """Position among all calls of the task (0-based)."""
    sample: int
    """Which conversation it belongs to: independent samples and hybrid seeds count from 0."""
    turn_in_sample: int
    """1-based turn within its conversation."""
    call_id: str
    phase: Literal["sample", "feedback"] = "sample"
    user_message: str
    """The last user message sent for this call (the full request is in events.jsonl)."""
    response: str = ""
    reasoning: str | None = None
    code: str | None = None
    code_source: Literal["answer", "reasoning"] | None = None
    code_note: str = ""
    train: list[ExampleResult] = Field(default_factory=list)
    test: list[TestRun] = Field(default_factory=list)
    train_solved: int = 0
    train_total: int = 0
    train_pixel_accuracy: float = 0.0
    """Mean pixel accuracy over training examples."""
    feedback: str | None = None
    """The feedback message this turn's results produced (sent as the next user message, if there was one)."""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    latency_s: float = 0.0
    error_kind: FailureKind | None = None
    error_message: str = ""
    test_scores: list[AttemptScore] | None = None
    """Filled by the scorer after the task ended, for analysis (per-turn charts); never read while solving."""

    @property
    def all_train_correct(self) -> bool:
        return self.train_total > 0 and self.train_solved == self.train_total


class AttemptSource(BaseModel):
    """Where a chosen attempt came from: the turns whose programs produced it, and why it ranked where it did."""

    output: Grid
    turns: list[int]
    train_solved: int
    votes: int
    train_pixel_accuracy: float


class TaskLog(BaseModel):
    """Everything about one task of a run; rewritten atomically after every turn."""

    schema_version: int = SCHEMA_VERSION
    task_id: str
    status: Literal["in_progress", "done", "api_failure"] = "in_progress"
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
    total_cost: float | None
    cost_known: bool
    """False when some call's price was unknown: total_cost then covers only the priced calls."""
    leaky: bool
    wall_time_s: float
    tasks: list[TaskSummary]


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
