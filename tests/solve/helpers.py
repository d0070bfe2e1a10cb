"""Programs, replies and a solver loop shared by the strategy tests."""

from __future__ import annotations

import asyncio
import json

from arcbench.data import LabelledTask
from arcbench.llm import ChatModel
from arcbench.sandbox import Sandbox
from arcbench.solve import Solver, SolveSettings, StopRule, Strategy
from arcbench.solve.options import SolveOptions

ROT180 = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
FLIPLR = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
IDENTITY = "def transform(grid):\n    return [row[:] for row in grid]\n"


def answer(code: str) -> str:
    return f"Here is my program.\n\n```python\n{code}```\n"


def train_only(lt: LabelledTask) -> str:
    """A program right on every training input and wrong on the test input (it recognises the test input)."""
    test_in = json.dumps(lt.task.test_inputs[0])
    return (f"def transform(grid):\n    if grid == {test_in}:\n        return [[0]]\n"
            "    return [r[::-1] for r in grid[::-1]]\n")


FIRST_ROUND = {"refine": SolveOptions().experts}
"""Calls a strategy makes before the stop rule can see one: the refine strategy's experts call side by side."""


def drive(solver: Solver) -> Solver:
    """Run the solver to the end of its task."""

    async def go() -> None:
        async for _ in solver.turns():
            pass

    asyncio.run(go())
    return solver


def solve(lt: LabelledTask, strategy: Strategy, model: ChatModel, sandbox: Sandbox, max_turns: int = 3,
          stop_when: StopRule = "train-correct", options: SolveOptions | None = None) -> Solver:
    solver = Solver(lt.task, strategy, model, sandbox, SolveSettings(max_turns=max_turns, stop_when=stop_when,
                                                                     options=options or SolveOptions()))

    async def go() -> None:
        async for _ in solver.turns():
            pass

    asyncio.run(go())
    return solver


