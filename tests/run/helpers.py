"""Scripts and run-directory readers shared by the run-engine tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from arcbench.cli import main
from arcbench.data import load_tasks
from arcbench.prompts.grids import grid_to_text
from arcbench.run.eventlog import read_call_events
from arcbench.run.records import RunSummary, TaskLog
from arcbench.run.store import read_jsonl
from arcbench.testing.server import ScriptedServer

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


def run_cli(server: ScriptedServer, tmp_path: Path, *args: str, name: str = "run") -> tuple[int, Path]:
    """`arcbench run` against the scripted server, quiet, in tmp_path/name: (exit code, run directory)."""
    run_dir = tmp_path / name
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir),
                 "--quiet", *args])
    return code, run_dir


def summary(run_dir: Path) -> RunSummary:
    return RunSummary.model_validate_json((run_dir / "summary.json").read_text())


def task_log(run_dir: Path, task_id: str) -> TaskLog:
    return TaskLog.model_validate_json((run_dir / "tasks" / f"{task_id}.json").read_text())


def events(run_dir: Path) -> list[dict]:
    """The run's events in file order: every call whole (as a dict, whatever form events.jsonl holds it in), and
    every tool result."""
    calls = iter(read_call_events(run_dir / "events.jsonl"))
    out = []
    for raw in read_jsonl(run_dir / "events.jsonl"):
        if raw.get("type") == "call":
            out.append(next(calls).model_dump())
        elif raw.get("type") == "tool":
            out.append(raw)
    return out


def kill_mid_run(base_url: str, run_dir: Path, tasks: list[str], calls: int, *args: str) -> list[dict]:
    """Start `arcbench run` in a process of its own, SIGKILL it once `calls` calls are on disk, and return the
    events it left (a `kill -9` in the middle of a run)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "arcbench", "run", "--base-url", base_url, "--model", "scripted",
         "--subset", ",".join(tasks), "--run-dir", str(run_dir), "--quiet", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(events(run_dir)) < calls and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.1)  # let the task log of the last call be written too
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return events(run_dir)
