"""Building run directories for the report tests from the records models (never hand-written JSON), so the tests
follow the format the run engine writes.

A turn is described by a Python function applied to the task's inputs (an exception becomes an execution error),
and the helper fills in what the engine would: per-example results, test runs, per-turn test scores, the attempts,
the task score, the summary and, for repeat runs, the aggregate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arcbench.data.types import Grid
from arcbench.llm import ClientConfig
from arcbench.run.config import RunConfig, SavedConfig
from arcbench.run.records import (
    AttemptSource,
    CallEvent,
    ExampleResult,
    TaskLog,
    TestRun,
    Turn,
    Usage,
)
from arcbench.run.store import JsonlWriter, write_json_atomic
from arcbench.run.summary import aggregate, summarize
from arcbench.scoring import pixel_accuracy, score_attempt, score_task

Program = Callable[[Grid], Grid]


@dataclass
class TaskSpec:
    """A task: training pairs, test inputs, and the held-back test outputs."""

    task_id: str
    train: list[tuple[Grid, Grid]]
    test_inputs: list[Grid]
    test_outputs: list[Grid]


@dataclass
class TurnSpec:
    """One model call: the program it produced (None: no code), the texts around it, or an API failure."""

    program: Program | None
    response: str = "I will transform the grid.\n```python\ndef transform(grid):\n    return grid\n```"
    reasoning: str | None = "Let me think about the colours."
    code: str = "def transform(grid):\n    return grid\n"
    api_error: bool = False
    prompt_tokens: int = 100
    completion_tokens: int = 50
    cost_usd: float | None = 0.001
    extra: dict[str, Any] = field(default_factory=dict)


def flip(grid: Grid) -> Grid:
    return [list(reversed(row)) for row in grid]


def identity(grid: Grid) -> Grid:
    return [list(row) for row in grid]


def crash(grid: Grid) -> Grid:
    raise ZeroDivisionError("division by zero")


FLIP_TASK = TaskSpec(
    task_id="flip0001",
    train=[([[1, 0, 0], [0, 2, 0]], [[0, 0, 1], [0, 2, 0]]), ([[3, 3], [0, 4]], [[3, 3], [4, 0]])],
    test_inputs=[[[5, 0, 0], [0, 0, 6], [7, 0, 0]]],
    test_outputs=[[[0, 0, 5], [6, 0, 0], [0, 0, 7]]],
)
"""Mirror each row. Known cells: train 1 input (0, 0) is blue (1); the test output (0, 2) is grey (5)."""


def _run(program: Program | None, grid: Grid) -> tuple[Grid | None, str | None, str]:
    if program is None:
        return None, None, ""
    try:
        return program(grid), None, ""
    except Exception as e:
        return None, "exception", f"{type(e).__name__}: {e}"


def make_task_log(spec: TaskSpec, turns: Sequence[TurnSpec], *, status: str | None = None) -> TaskLog:
    """A finished task log as the engine would write it: the last turn's program gives the attempts."""
    log = TaskLog(
        task_id=spec.task_id,
        train=[{"input": i, "output": o} for i, o in spec.train],
        test_inputs=spec.test_inputs,
        started_at="2025-01-01T00:00:00Z",
        finished_at="2025-01-01T00:01:00Z",
    )
    attempt_outputs: list[Grid | None] = [None] * len(spec.test_inputs)
    attempt_turn = -1
    for k, ts in enumerate(turns):
        usage = Usage(prompt_tokens=ts.prompt_tokens, completion_tokens=ts.completion_tokens,
                      total_tokens=ts.prompt_tokens + ts.completion_tokens)
        turn = Turn(index=k, sample=0, turn_in_sample=k + 1, call_id=f"{spec.task_id}-{k}",
                    phase="sample" if k == 0 else "feedback", user_message=f"prompt for turn {k + 1}",
                    usage=usage, cost_usd=ts.cost_usd, latency_s=1.5, **ts.extra)
        if ts.api_error:
            turn.error_kind = "api_error"
            turn.error_message = "HTTP 500 from the server after 3 attempts"
            log.api_failures += 1
            log.turns.append(turn)
            continue
        turn.response, turn.reasoning = ts.response, ts.reasoning
        turn.code = ts.code if ts.program is not None else None
        turn.code_source = "answer" if ts.program is not None else None
        turn.code_note = "" if ts.program is not None else "no python block in the answer"
        if ts.program is not None:
            for i, (inp, exp) in enumerate(spec.train):
                out, err, msg = _run(ts.program, inp)
                turn.train.append(ExampleResult(index=i, output=out, error=err, message=msg, correct=out == exp,
                                                pixel_accuracy=pixel_accuracy(out, exp), duration_s=0.01))
            for i, inp in enumerate(spec.test_inputs):
                out, err, msg = _run(ts.program, inp)
                turn.test.append(TestRun(index=i, output=out, error=err, message=msg, duration_s=0.01))
            turn.train_total = len(spec.train)
            turn.train_solved = sum(r.correct for r in turn.train)
            turn.train_pixel_accuracy = sum(r.pixel_accuracy for r in turn.train) / len(spec.train)
            turn.test_scores = [score_attempt(r.output, exp) for r, exp in
                                zip(turn.test, spec.test_outputs, strict=True)]
            attempt_outputs = [r.output for r in turn.test]
            attempt_turn = k
            turn.feedback = f"Feedback: {turn.train_solved}/{turn.train_total} training examples solved."
        log.turns.append(turn)
    for t in log.turns:
        log.usage.prompt_tokens += t.usage.prompt_tokens
        log.usage.completion_tokens += t.usage.completion_tokens
        log.usage.total_tokens += t.usage.total_tokens
    costs = [t.cost_usd for t in log.turns]
    log.cost_usd = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
    if status == "api_failure" or (turns and turns[-1].api_error and attempt_turn < 0):
        log.status, log.stop_reason = "api_failure", "api_error"
        return log
    log.status, log.stop_reason = "done", "max_turns"
    last = log.turns[attempt_turn] if attempt_turn >= 0 else None
    log.attempts = [
        [AttemptSource(output=o, turns=[attempt_turn], train_solved=last.train_solved if last else 0, votes=1,
                       train_pixel_accuracy=last.train_pixel_accuracy if last else 0.0)] if o is not None else []
        for o in attempt_outputs
    ]
    log.score = score_task(spec.task_id, [[a.output for a in at] for at in log.attempts], spec.test_outputs)
    return log


def write_dataset(folder: Path, specs: Sequence[TaskSpec]) -> Path:
    """Official-format task files, so the report can load the expected test outputs through `load_tasks`."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in specs:
        data = {"train": [{"input": i, "output": o} for i, o in s.train],
                "test": [{"input": i, "output": o} for i, o in zip(s.test_inputs, s.test_outputs, strict=True)]}
        (folder / f"{s.task_id}.json").write_text(json.dumps(data))
    return folder


def base_config(data_dir: Path | None, *, model: str = "test-model", **over: Any) -> SavedConfig:
    """The config.json of a run on the tasks in `data_dir` (custom subset); `over` sets RunConfig fields."""
    fields: dict[str, Any] = {"dataset": "arc-agi-1", "subset": "custom",
                              "data_dir": str(data_dir) if data_dir else None, **over}
    config = RunConfig(client=ClientConfig(model=model, base_url="http://127.0.0.1:1/v1"), **fields)
    return SavedConfig(arcbench_version="0.1.0", template_hash="abc123", created_at="2025-01-01T00:00:00Z",
                       task_ids=[], config=config)


def write_run(run_dir: Path, logs: Sequence[TaskLog], config: SavedConfig) -> Path:
    """A single run directory: config.json, events.jsonl, tasks/<id>.json, summary.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "config.json", config)
    events = JsonlWriter(run_dir / "events.jsonl")
    for log in logs:
        for t in log.turns:
            events.append(CallEvent(call_id=t.call_id, task_id=log.task_id, turn=t.index, time="2025-01-01T00:00:00Z",
                                    model=config.config.client.model, request={"messages": []}, content=t.response,
                                    reasoning=t.reasoning, usage=t.usage, cost_usd=t.cost_usd,
                                    error_kind=t.error_kind, error_message=t.error_message))
        write_json_atomic(run_dir / "tasks" / f"{log.task_id}.json", log)
    events.close()
    write_json_atomic(run_dir / "summary.json", summarize(logs, leaky=config.config.leaky, wall_time_s=12.0))
    return run_dir


def write_repeat_run(root: Path, runs: Sequence[Sequence[TaskLog]], config: SavedConfig) -> Path:
    """A repeat run: run_1..run_N folders (each a run directory) and aggregate.json at the top."""
    root.mkdir(parents=True, exist_ok=True)
    write_json_atomic(root / "config.json", config)
    summaries = []
    for k, logs in enumerate(runs, 1):
        write_run(root / f"run_{k}", logs, config)
        summaries.append(summarize(logs, leaky=False, wall_time_s=12.0))
    write_json_atomic(root / "aggregate.json", aggregate(summaries))
    return root


def solved_log(task_id: str) -> TaskLog:
    """A one-turn task solved by flipping (for hand-made comparisons)."""
    spec = TaskSpec(task_id, FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    return make_task_log(spec, [TurnSpec(flip)])


def unsolved_log(task_id: str) -> TaskLog:
    spec = TaskSpec(task_id, FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    return make_task_log(spec, [TurnSpec(identity)])
