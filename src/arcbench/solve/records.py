"""What solving a task produces: turns (one model call each and what came of its program) and the chosen attempts.

These are the solve layer's own types; the run layer stores them in task logs. Nothing here holds a test output:
`TestRun` has a program's output on a test input, never whether it is right (`test_scores` is filled by the scorer
after the task ended).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid
from arcbench.llm import FailureKind, Usage
from arcbench.sandbox.types import ErrorKind
from arcbench.scoring import AttemptScore


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


Phase = Literal["sample", "feedback", "restart", "generalise", "refine", "tools"]
"""Why a call was made: a fresh sample, a feedback turn, a fresh sample after an oscillating conversation was given
up (--max-repeats), the generalisation check, a refinement iteration of an expert, a tool-use step."""


class ToolCallRecord(BaseModel):
    """One function call a reply made (--mode tools), its arguments and the result sent back to the model."""

    id: str
    name: str
    arguments: str = ""
    """As the model wrote them (capped)."""
    result: str = ""
    """The text sent back as the tool message."""
    ok: bool = False
    """run_python: the code ran without an exception (and joins the session); submit: the program was run."""
    duration_s: float = 0.0
    replayed: bool = False
    """Taken from events.jsonl on resume instead of being run again."""


class ExampleDescription(BaseModel):
    """What the model's describe_input/describe_output returned on one training example (--describe-grids)."""

    index: int
    input: str | None = None
    expected: str | None = None
    """describe_output on the expected output."""
    produced: str | None = None
    """describe_output on the program's own output (when it produced one)."""


class Turn(BaseModel):
    """One model call of a task and what came of it."""

    index: int
    """Position among all calls of the task (0-based)."""
    sample: int
    """Which conversation it belongs to: independent samples and hybrid seeds count from 0."""
    turn_in_sample: int
    """1-based turn within its conversation."""
    call_id: str
    """The model call that gave this turn's reply. A call that asked for several answers gives several turns."""
    choice: int = 0
    """Which answer of its call (0-based): above 0 only for calls that asked for several (`--n-per-request`)."""
    phase: Phase = "sample"
    user_message: str
    """The last user message sent for this call (the full request is in events.jsonl)."""
    response: str = ""
    reasoning: str | None = None
    code: str | None = None
    code_source: Literal["answer", "reasoning"] | None = None
    code_note: str = ""
    code_function: str | None = None
    """The function run as `transform`: `transform`, or the one the reply defined in its place (None: no code)."""
    code_placement: Literal["block", "unclosed", "text"] | None = None
    """Where the code was: a fenced block, a block never closed, or the reply's text outside any block."""
    train: list[ExampleResult] = Field(default_factory=list)
    test: list[TestRun] = Field(default_factory=list)
    train_solved: int = 0
    train_total: int = 0
    train_pixel_accuracy: float = 0.0
    """Mean pixel accuracy over training examples."""
    same_program_as: int | None = None
    """The index of the turn whose program is this one after normalisation (comments, formatting), an earlier one
    but for calls made side by side: that turn's execution results are reused here instead of running the program
    again. The turn still counts as a vote."""
    feedback: str | None = None
    """The feedback message this turn's results produced (sent as the next user message, if there was one)."""
    usage: Usage = Field(default_factory=Usage)
    """This turn's share of its call's tokens: a call that gave several answers splits its counts evenly."""
    cost_usd: float | None = None
    latency_s: float = 0.0
    error_kind: FailureKind | None = None
    error_message: str = ""
    finish_reason: str | None = None
    """Why the reply ended, as the server said ("length": cut off at the token limit); None when not said."""
    test_scores: list[AttemptScore] | None = None
    """Filled by the scorer after the task ended, for analysis (per-turn charts); never read while solving."""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    """Function calls the reply made, each with its result (--mode tools)."""
    hardcoded: bool = False
    """The program embeds a training output or a specific input grid: ranked below every other when attempts are
    chosen (see `arcbench.solve.hardcode`)."""
    hardcoded_reason: str = ""
    repeat_of: int | None = None
    """Index of an earlier turn of the same conversation whose training outputs this turn's equal (--max-repeats)."""
    descriptions: list[ExampleDescription] | None = None
    """What describe_input/describe_output returned per training example (--describe-grids)."""

    @property
    def truncated(self) -> bool:
        """The reply was cut off at the token limit."""
        return self.finish_reason == "length"

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
    hardcoded: bool = False
    """Every program behind this output is hard-coded."""
