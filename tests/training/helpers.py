"""Programs with known behaviour on real ARC tasks, and the scripted runs that write them into run directories
through the real `arcbench run` path (local OpenAI-compatible server, real HTTP, real sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

from arcbench.cli import main
from arcbench.data import load_tasks
from arcbench.data.types import Task
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, marker

IDENTITY_REFORMATTED = "# copy the grid\ndef transform(grid):\n\n    return [row[:]   for row in grid]  # same\n"
"""IDENTITY with a comment, a blank line and odd spacing: the same program after normalising."""
TRANSPOSE = "def transform(grid):\n    return [list(r) for r in zip(*grid)]\n"
ALWAYS_RAISES = "def transform(grid):\n    raise RuntimeError('no idea')\n"

TASKS = ["6150a2bd", "67a3c6ac", "68b16354", "3c9b0459", "74dd1130", "ed36ccf7"]
TURNS = 5


def task(task_id: str) -> Task:
    (lt,) = load_tasks("arc-agi-1", task_id)
    return lt.task


def partial(task_id: str) -> str:
    """Right on the first training example only (it recognises that input); identity elsewhere."""
    ex = task(task_id).train[0]
    return (f"def transform(grid):\n    if grid == {json.dumps(ex.input)}:\n        return {json.dumps(ex.output)}\n"
            "    return [row[:] for row in grid]\n")


def bad_on_one(task_id: str) -> str:
    """Returns a ragged list (not a grid) on the second training input: the whole program must be rejected."""
    grid = task(task_id).train[1].input
    return (f"def transform(grid):\n    if grid == {json.dumps(grid)}:\n        return [[1, 2], [3]]\n"
            "    return [row[::-1] for row in grid]\n")


def crash_on_first(task_id: str) -> str:
    """Raises on the first training input, flips vertically elsewhere: only that example is dropped."""
    grid = task(task_id).train[0].input
    return (f"def transform(grid):\n    if grid == {json.dumps(grid)}:\n        raise ValueError('first')\n"
            "    return [list(r) for r in grid[::-1]]\n")


def wrong_test_shape(task_id: str) -> str:
    """Identity on the training inputs, a 1x1 grid on the test input: contradicts the announced test shape."""
    grid = task(task_id).test_inputs[0]
    return (f"def transform(grid):\n    if grid == {json.dumps(grid)}:\n        return [[1]]\n"
            "    return [row[:] for row in grid]\n")


SPECIAL = {
    "6150a2bd": ROT180,  # solves every training example
    "67a3c6ac": bad_on_one("67a3c6ac"),
    "68b16354": crash_on_first("68b16354"),
    "3c9b0459": ALWAYS_RAISES,
    "74dd1130": TRANSPOSE,  # solves every training example
    "ed36ccf7": wrong_test_shape("ed36ccf7"),
}


def programs_for(task_id: str) -> list[str]:
    """The program of each turn 1..TURNS for a task."""
    return [IDENTITY, FLIPLR, partial(task_id), IDENTITY_REFORMATTED, SPECIAL[task_id]]


def scripted_run(server: ScriptedServer, run_dir: Path, task_ids: list[str], turns: int = TURNS,
                 repeats: int = 1, prose: bool = False) -> Path:
    """`arcbench run` in feedback mode with every turn scripted (stop rule `never`, so every turn happens).
    With `prose`, every reply is text without code."""
    rules = [{"match": marker(t), "turn": k + 1, "content": answer(code, "Trying a rule.")}
             for t in task_ids for k, code in enumerate(programs_for(t)[:turns])]
    server.set_script({"rules": [], "default": {"content": "I cannot see a rule here."}} if prose else rules)
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 "--subset", ",".join(task_ids), "--max-turns", str(turns), "--stop-when", "never",
                 "--repeat-runs", str(repeats), "--max-workers", "4", "--exec-timeout", "5"])
    assert code == 0
    return run_dir
