"""Run directories for the report tests, built from the records models by make_run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.make_run import (
    FLIP_TASK,
    TaskSpec,
    TurnSpec,
    base_config,
    crash,
    flip,
    identity,
    make_task_log,
    write_dataset,
    write_run,
)

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
"""Untrusted model text that would run script if the report did not escape it."""

SECOND = TaskSpec("second02", [([[2, 2, 0]], [[0, 2, 2]])], [[[4, 0], [0, 0]], [[0, 1]]], [[[0, 4], [0, 0]], [[1, 0]]])
"""Two test inputs: a program that gets one right makes the task "partly" solved."""


def _half_right(grid):
    return flip(grid) if len(grid) == 2 else identity(grid)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A finished run of four tasks: solved on turn 3 after a wrong and a crashing program (flip0001), partly
    solved (second02), unsolved (third003), and an API failure (apifail4). Model text carries script payloads."""
    data = write_dataset(tmp_path / "data", [FLIP_TASK, SECOND])
    evil = TurnSpec(flip, response=f"{PAYLOAD} mirror each row\n```python\ndef transform(grid):\n    pass\n```",
                    reasoning=f"</details></pre>{PAYLOAD}",
                    code='def transform(grid):\n    s = "</pre><script>window.__pwned=1</script>"\n'
                         "    return [row[::-1] for row in grid]  # mirror\n")
    logs = [
        make_task_log(FLIP_TASK, [TurnSpec(identity), TurnSpec(crash), evil]),
        make_task_log(SECOND, [TurnSpec(_half_right)]),
        make_task_log(TaskSpec("third003", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs),
                      [TurnSpec(identity), TurnSpec(None)]),
        make_task_log(TaskSpec("apifail4", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs),
                      [TurnSpec(None, api_error=True)]),
    ]
    return write_run(tmp_path / "run_a", logs, base_config(data, model=PAYLOAD))
