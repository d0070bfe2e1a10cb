"""Scripts and run-directory readers shared by the run-engine tests."""

from __future__ import annotations

import json
from pathlib import Path

from arcbench.data import load_tasks
from arcbench.prompts.grids import grid_to_text
from arcbench.run.eventlog import read_call_events
from arcbench.run.records import RunSummary, TaskLog

ROT180 = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
FLIPLR = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
IDENTITY = "def transform(grid):\n    return [row[:] for row in grid]\n"


def answer(code: str, rationale: str = "The rule is clear.") -> str:
    return f"{rationale}\n\n```python\n{code}```\n"


def marker(task_id: str) -> str:
    """Text that appears only in this task's prompt: its first test input."""
    (lt,) = load_tasks("arc-agi-1", task_id)
    return grid_to_text(lt.task.test_inputs[0])


def expected_output_texts(task_id: str) -> list[str]:
    (lt,) = load_tasks("arc-agi-1", task_id)
    return [grid_to_text(g) for g in lt.test_outputs or []]


def cheat(task_id: str, code_body: str) -> str:
    """A program right on every training input and wrong on the test input (it recognises the test input)."""
    (lt,) = load_tasks("arc-agi-1", task_id)
    test_in = json.dumps(lt.task.test_inputs[0])
    return (f"def transform(grid):\n    if grid == {test_in}:\n        return [[0]]\n"
            + "".join(f"    {line}\n" for line in code_body.strip().splitlines()))


def summary(run_dir: Path) -> RunSummary:
    return RunSummary.model_validate_json((run_dir / "summary.json").read_text())


def task_log(run_dir: Path, task_id: str) -> TaskLog:
    return TaskLog.model_validate_json((run_dir / "tasks" / f"{task_id}.json").read_text())


def events(run_dir: Path) -> list[dict]:
    """Every call of the run, whole (as dicts), whatever form events.jsonl holds them in."""
    return [e.model_dump() for e in read_call_events(run_dir / "events.jsonl")]
