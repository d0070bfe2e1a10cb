"""The run directory's records. Everything arcbench writes to disk is one of these models.

Layout of a run directory:
  config.json          RunConfig + arcbench version + prompt template hash
  events.jsonl         append-only: one line per model call (request, response, usage, cost, retries), written in
                       the compact form of `arcbench.run.eventlog` (a task's prompt once, then what is new per call),
                       and one ToolEvent per tool call a reply made (--mode tools: arguments and result)
  tasks/<task_id>.json TaskLog, rewritten atomically as the task goes (at most about once a second) and when it ends;
                       repeated texts and a duplicate program's results written once (see `TaskLog`)
  summary.json         RunSummary
  run_<k>/...          the same, per repeat, when --repeat-runs > 1; then aggregate.json at the top
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from arcbench.data.types import Grid
from arcbench.llm import Completion, FailureKind, Usage
from arcbench.scoring import TaskScore
from arcbench.solve.records import AttemptSource, ExampleResult, TestRun, ToolCallRecord, Turn

__all__ = [  # the solve and llm records a task log holds are importable from here too
    "EVENTS_VERSION", "SCHEMA_VERSION", "TASK_LOG_VERSION", "Aggregate", "AttemptSource", "CallEvent", "CallStamp",
    "EndpointCount", "ExampleResult", "PromptRecord", "RunSummary", "Stat", "TaskLog", "TaskSummary", "TestRun",
    "ToolEvent", "Turn", "Usage", "now_iso",
]

SCHEMA_VERSION = 1
EVENTS_VERSION = 2
"""events.jsonl lines: 1 = every call with its full request; 2 = compact (`arcbench.run.eventlog`)."""
TASK_LOG_VERSION = 2
"""tasks/<id>.json: 1 = every turn in full; 2 = repeated texts and duplicate programs' results written once."""


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
    run_elapsed_s: float | None = None
    """The run's wall time (all its sessions) when the call reached disk: a run killed before its summary resumes
    counting from the largest of these."""


class CallEvent(Completion, CallStamp):
    """One model call as it reached disk (a line of events.jsonl): the stamp first, then the model's Completion.
    Never holds an API key. On disk in the compact form of `arcbench.run.eventlog`; `read_call_events` gives them back
    whole."""


class PromptRecord(BaseModel):
    """A line of events.jsonl holding messages that calls of a task start from (its prompt), once, by hash."""

    schema_version: int = EVENTS_VERSION
    type: Literal["prompt"] = "prompt"
    task_id: str
    hash: str
    messages: list[dict[str, Any]]


class EndpointCount(BaseModel):
    """How one endpoint did over a run that spread its calls over several."""

    url: str
    calls: int = 0
    """Calls it answered."""
    failed_attempts: int = 0
    """Attempts that failed there (each retried elsewhere or later, or the call's last)."""
    taken_out: int = 0
    """Times it was taken out of service after failing repeatedly."""


_POOLED = ("user_message", "response", "reasoning", "code", "feedback")
"""Turn texts a task log writes once when they repeat (the prompt always does; samples often repeat programs). A
program that is not repeated is written as its place in the reply it came from."""
_POOL_MIN_CHARS = 32
_PACK_MIN_CHARS = 16_000
"""A log whose texts and grids add up to more than this writes them compressed (`packed`): a run with many samples
per task writes mostly replies and grids, which zlib shrinks several times over, for well under a millisecond."""
_SHARED_RESULTS = ("train", "test", "test_scores", "train_solved", "train_total", "train_pixel_accuracy", "hardcoded",
                   "hardcoded_reason", "descriptions")
"""What a turn whose program was not run again (`same_program_as`) shares with the turn that ran it."""
_USUAL_WITH_CODE = {"code_source": "answer", "code_function": "transform", "code_placement": "block"}
"""What a turn with a program usually says of it: left out when so (and said, as null, when unset)."""
_PER_CALL = ("call_id", "user_message", "turn_in_sample", "phase", "usage", "cost_usd", "latency_s", "error_kind",
             "error_message")
"""What the answers of one call usually share: a turn after the first of its call (`choice` > 0) leaves out those
equal to the turn before it."""


def compact_task_log(log: TaskLog) -> dict[str, Any]:
    """A task log as tasks/<id>.json holds it (version 2): fields at their defaults left out, a text that several
    turns hold written once in `texts` and named by position ({"$text": i}), the results of a turn whose program an
    earlier turn ran left out (they are that turn's), output grids as digit strings (rows joined by commas), those
    several results share written once in `grids` ({"$grid": i}); a log with many texts writes every text and grid
    in those pools, compressed (`packed`: zlib, base64). `TaskLog.model_validate` reads it back whole."""
    # One dump of the whole log, the shared results left out by index, costs far less than a dump per turn.
    # By position in the list (what `exclude` takes); a turn's runner must come before it, where a reader finds it.
    position = {t.index: k for k, t in enumerate(log.turns)}
    shared = {k: set(_SHARED_RESULTS) for k, t in enumerate(log.turns)
              if t.same_program_as is not None and position.get(t.same_program_as, k) < k}
    data = log.model_dump(mode="json", exclude_defaults=True, exclude={"turns": shared} if shared else None)
    data["schema_version"] = TASK_LOG_VERSION
    rows: list[dict[str, Any]] = data.get("turns", [])
    for k, (turn, row) in enumerate(zip(log.turns, rows, strict=True)):
        if turn.choice > 0 and k > 0:
            before = log.turns[k - 1]
            for name in _PER_CALL:
                value, previous = getattr(turn, name), getattr(before, name)
                if value is previous or value == previous:  # a call's answers share its usage object: no model __eq__
                    row.pop(name, None)
                elif name not in row:  # a default that differs from the turn before: said, or it would be inherited
                    row[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        elif row.get("turn_in_sample") == 1:
            del row["turn_in_sample"]
        if row.get("sample") == turn.index:
            del row["sample"]
        if turn.error_kind is None:  # a reply that came back usually ended as "stop": said only when it did not
            if turn.finish_reason == "stop":
                del row["finish_reason"]
            elif turn.finish_reason is None:
                row["finish_reason"] = None
    counts: dict[str, int] = {}
    chars = 0
    for row in rows:
        for name in _POOLED:
            text = row.get(name)
            if text is not None and len(text) >= _POOL_MIN_CHARS:
                counts[text] = counts.get(text, 0) + 1
                chars += len(text)
    # Packed, every text goes to the pool (it is compressed there); otherwise only the repeated ones.
    pack = chars >= _PACK_MIN_CHARS
    pool: dict[str, int] = {}
    for row in rows:
        code = row.get("code")
        if code is not None and counts.get(code, 0) <= 1:
            # A program is a block of the reply: written as where it is in the reply, not again.
            row["code"] = _as_slice(code, row) or code
        # The common values of two fields are left out; a value that would be read back as one of them is said.
        for name, usual in _USUAL_WITH_CODE.items():
            if row.get(name) == usual:
                del row[name]
            elif "code" in row and name not in row:
                row[name] = None

        if "train" in row:
            if row.get("train_total", 0) == len(row["train"]):
                row.pop("train_total", None)
            else:
                row.setdefault("train_total", 0)
        for name in _POOLED:
            text = row.get(name)
            if isinstance(text, str) and (counts.get(text, 0) > 1 or (pack and len(text) >= _POOL_MIN_CHARS)):
                row[name] = {"$text": pool.setdefault(text, len(pool))}
    grids = _pool_grids(rows, everything=pack)
    if pack:
        packed = json.dumps({"texts": list(pool), "grids": grids}, separators=(",", ":")).encode()
        data["packed"] = base64.b64encode(zlib.compress(packed, 1)).decode("ascii")
    else:
        if pool:
            data["texts"] = list(pool)
        if grids:
            data["grids"] = grids
    data["turns"] = rows
    return data


def _grid_text(grid: list[list[int]]) -> str:
    """A valid grid (cells 0-9) as digits, rows joined by commas: half its JSON."""
    return ",".join("".join(map(str, row)) for row in grid)


def _pool_grids(rows: list[dict[str, Any]], *, everything: bool = False) -> list[str]:
    """The output grids of the turns' results written as digit strings, those several results share (all of them,
    with `everything`) once in a pool ({"$grid": i}): candidate programs often agree, which is what votes count."""
    found: list[dict[str, Any]] = [r for row in rows for name in ("train", "test") for r in row.get(name, ())
                                   if r.get("output") is not None]
    texts = [_grid_text(r["output"]) for r in found]
    counts: dict[str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    pool: dict[str, int] = {}
    for result, text in zip(found, texts, strict=True):
        result["output"] = {"$grid": pool.setdefault(text, len(pool))} if everything or counts[text] > 1 else text
    return list(pool)


def _grid_from(value: Any, grids: list[Any]) -> Any:
    if isinstance(value, dict) and type(value.get("$grid")) is int and 0 <= value["$grid"] < len(grids):
        value = grids[value["$grid"]]
    if isinstance(value, str) and value and all(part.isdigit() and part.isascii() for part in value.split(",")):
        return [[int(c) for c in part] for part in value.split(",")]
    return value  # not a grid this version wrote: validation names the field


def _as_slice(code: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """The program as a place in the turn's reply (or reasoning), when it is one (but for its trailing newlines)."""
    body = code.rstrip("\n")
    if len(body) < _POOL_MIN_CHARS:
        return None
    for name in ("response", "reasoning"):
        text = row.get(name)
        at = text.find(body) if isinstance(text, str) else -1
        if at >= 0:
            return {"$in": name, "at": at, "len": len(body), "then": code[len(body):]}
    return None


def _from_slice(ref: Any, row: dict[str, Any]) -> Any:
    if not (isinstance(ref, dict) and ref.get("$in") in ("response", "reasoning")):
        return ref
    text, at, length, then = row.get(ref["$in"]), ref.get("at"), ref.get("len"), ref.get("then", "")
    if not (isinstance(text, str) and type(at) is int and type(length) is int and isinstance(then, str)):
        return ref  # not a reference this version wrote: validation names the field
    return text[at:at + length] + then


def _expand_task_log(data: Any) -> Any:
    """The whole task log from its compact form (version 2); an older log as it is."""
    if not isinstance(data, dict) or "turns" not in data:
        return data
    version = data.get("schema_version", 1)
    if type(version) is int and version > TASK_LOG_VERSION:
        raise ValueError(f"written by a newer arcbench (task log version {version}; this one reads up to "
                         f"{TASK_LOG_VERSION}): upgrade arcbench to read it")
    texts = data.get("texts")
    if not texts and version < 2:
        return data
    grids = data.get("grids") if isinstance(data.get("grids"), list) else []
    if isinstance(data.get("packed"), str):
        try:
            unpacked = json.loads(zlib.decompress(base64.b64decode(data["packed"], validate=True)))
        except (ValueError, zlib.error) as e:
            raise ValueError(f"its packed texts cannot be read ({e}): a damaged log") from None
        texts, grids = unpacked.get("texts", []), unpacked.get("grids", [])
    turns: list[Any] = []
    by_index: dict[int, dict[str, Any]] = {}
    for row in data["turns"]:
        if not isinstance(row, dict):
            turns.append(row)
            continue
        row = dict(row)
        if version >= 2:
            row.setdefault("sample", row.get("index"))
            if type(row.get("choice")) is int and row["choice"] > 0 and turns and isinstance(turns[-1], dict):
                for name in _PER_CALL:  # left out when equal to the turn before (whole by now)
                    if name not in row and name in turns[-1]:
                        row[name] = turns[-1][name]
            row.setdefault("turn_in_sample", 1)
            if row.get("error_kind") is None:
                row.setdefault("finish_reason", "stop")
        for name in _POOLED:
            ref = row.get(name)
            if isinstance(ref, dict) and type(ref.get("$text")) is int and texts and 0 <= ref["$text"] < len(texts):
                row[name] = texts[ref["$text"]]
        if "code" in row:
            row["code"] = _from_slice(row["code"], row)
            if version >= 2:
                for name, usual in _USUAL_WITH_CODE.items():
                    row.setdefault(name, usual)
        if version >= 2:
            for name in ("train", "test"):
                if isinstance(row.get(name), list):
                    row[name] = [{**r, "output": _grid_from(r["output"], grids)} if isinstance(r, dict) and "output"
                                 in r else r for r in row[name]]
        if version >= 2 and isinstance(row.get("train"), list):
            row.setdefault("train_total", len(row["train"]))
        source = row.get("same_program_as")
        runner = by_index.get(source) if type(source) is int else None
        if runner is not None:
            for name in _SHARED_RESULTS:
                if name not in row and name in runner:
                    row[name] = runner[name]
        if type(row.get("index")) is int:
            by_index.setdefault(row["index"], row)
        turns.append(row)
    return {k: v for k, v in data.items() if k not in ("texts", "grids", "packed")} | {"turns": turns}


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
    """Everything about one task of a run; rewritten atomically as the task goes. Written compact
    (`compact_task_log`) and read back whole, whichever version wrote it."""

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

    @model_validator(mode="before")
    @classmethod
    def _whole(cls, data: Any) -> Any:
        return _expand_task_log(data)

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
    executions: int = 0
    """Programs run in the sandbox (each distinct program once per task)."""
    executions_saved: int = 0
    """Programs not run because the same program (after normalisation) had already run for the task: their results
    were reused, and they still count as votes."""
    endpoints: list[EndpointCount] = Field(default_factory=list)
    """Per endpoint, when the run spread its calls over several (`--base-url` given more than once)."""

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
