"""Training-data re-execution throughput: programs re-executed per second with every core against one core.

A synthetic corpus of model-like programs (copies, flips, rotations, numpy, recolouring, cropping, gravity, object
counting, one that fails) on real ARC-AGI-1 training tasks is written as a run directory from the run records, then
`arcbench.training.build_examples` re-executes the whole corpus twice in the same process: with
`workers=os.cpu_count()` and with `workers=1`. The figures are the report's executions over execution wall time.

    uv run python bench/training.py [--tasks 100] [--augment 0]

The last line reads `all_cores_per_s=... one_core_per_s=... ratio=...`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from arcbench.data import load_tasks
from arcbench.llm import ClientConfig
from arcbench.run.config import RunConfig, SavedConfig
from arcbench.run.records import TaskLog, Turn
from arcbench.run.store import write_json_atomic
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.training import TrainingOptions, build_examples, read_runs

PROGRAMS = [
    "def transform(grid):\n    return [row[:] for row in grid]\n",
    "def transform(grid):\n    return [row[::-1] for row in grid]\n",
    "def transform(grid):\n    return [row[:] for row in grid[::-1]]\n",
    "def transform(grid):\n    return [list(r) for r in zip(*grid)]\n",
    "import numpy as np\n\ndef transform(grid):\n    return np.rot90(np.array(grid)).tolist()\n",
    # recolour every non-background cell with the most common non-background colour
    "from collections import Counter\n\ndef transform(grid):\n"
    "    c = Counter(v for row in grid for v in row if v)\n"
    "    top = c.most_common(1)[0][0] if c else 0\n"
    "    return [[top if v else 0 for v in row] for row in grid]\n",
    # crop to the bounding box of the non-background cells
    "import numpy as np\n\ndef transform(grid):\n    a = np.array(grid)\n    ys, xs = np.nonzero(a)\n"
    "    if len(ys) == 0:\n        return grid\n"
    "    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1].tolist()\n",
    # gravity: every column's coloured cells fall to the bottom
    "def transform(grid):\n    h, w = len(grid), len(grid[0])\n    out = [[0] * w for _ in range(h)]\n"
    "    for x in range(w):\n        col = [grid[y][x] for y in range(h) if grid[y][x]]\n"
    "        for i, v in enumerate(reversed(col)):\n            out[h - 1 - i][x] = v\n    return out\n",
    # count 4-connected objects, draw that many cells of colour 1 in a 1-row grid
    "def transform(grid):\n    h, w = len(grid), len(grid[0])\n    seen = set()\n    n = 0\n"
    "    for y in range(h):\n        for x in range(w):\n            if grid[y][x] and (y, x) not in seen:\n"
    "                n += 1\n                stack = [(y, x)]\n                while stack:\n"
    "                    a, b = stack.pop()\n                    if (a, b) in seen or not (0 <= a < h and 0 <= b < w)"
    " or not grid[a][b]:\n                        continue\n                    seen.add((a, b))\n"
    "                    stack += [(a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)]\n"
    "    return [[1] * max(1, min(n, 30))]\n",
    "def transform(grid):\n    return grid[0][0] / 0\n",
]


def write_corpus(root: Path, n_tasks: int) -> Path:
    """A run directory whose task logs hold every corpus program as one turn each."""
    tasks = load_tasks("arc-agi-1", f"shortest_training_{n_tasks}")
    config = RunConfig(subset=f"shortest_training_{n_tasks}", max_turns=len(PROGRAMS),
                       client=ClientConfig(model="corpus"))
    write_json_atomic(root / "config.json", SavedConfig.for_run(config, [t.id for t in tasks]))
    for lt in tasks:
        turns = [Turn(index=i, sample=0, turn_in_sample=i + 1, call_id=f"{lt.id}-{i}", user_message="", code=code)
                 for i, code in enumerate(PROGRAMS)]
        log = TaskLog(task_id=lt.id, status="done", train=[e.model_dump() for e in lt.task.train],
                      test_inputs=lt.task.test_inputs, turns=turns)
        write_json_atomic(root / "tasks" / f"{lt.id}.json", log)
    return root


async def _rate(run_dir: Path, workers: int, augment: int) -> tuple[float, int]:
    extraction = read_runs([run_dir])
    options = TrainingOptions(output=run_dir / "unused.jsonl", augment=augment, include_correct=True,
                              workers=workers)
    with Sandbox(workers=workers, limits=SandboxLimits(timeout_s=extraction.limits.timeout_s)) as sandbox:
        # every worker up and warm before the clock starts
        await asyncio.gather(*(sandbox.run(PROGRAMS[0], [[[1]]]) for _ in range(workers)))
        _, report = await build_examples(extraction, options, sandbox, in_flight=4 * workers)
    return report.executions / report.execution_s, report.executions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100, help="ARC-AGI-1 training tasks (shortest first)")
    parser.add_argument("--augment", type=int, default=0, help="--augment K for the build (0: re-execution only)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_corpus(Path(tmp) / "corpus", args.tasks)
        print(f"corpus: {len(PROGRAMS)} programs x {args.tasks} tasks; cores: {cores}")
        all_rate, n = asyncio.run(_rate(run_dir, cores, args.augment))
        print(f"workers={cores}: {n} program runs, {all_rate:.1f} programs/s")
        one_rate, n = asyncio.run(_rate(run_dir, 1, args.augment))
        print(f"workers=1: {n} program runs, {one_rate:.1f} programs/s")
    print(f"all_cores_per_s={all_rate:.1f} one_core_per_s={one_rate:.1f} ratio={all_rate / one_rate:.2f}")


if __name__ == "__main__":
    main()
