"""Run-engine throughput: 400 ARC tasks against the local server at 200 ms latency, 64 tasks in flight.

The ideal wall time is calls x latency / workers: what a harness that costs nothing would take. The figure is the
measured wall time over that ideal (target <= 1.10). Also prints harness CPU per call and peak RSS.

    uv run python bench/run.py [--tasks 400] [--workers 64] [--latency 0.2] [--turns 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

# A different program each turn, as a model revising its answer would send (programs are never reused by the
# sandbox, so this costs what a real run costs). None solves a task, so every task takes every turn.
PROGRAMS = [
    "def transform(grid):\n    return [row[:] for row in grid]\n",
    "import numpy as np\n\ndef transform(grid):\n    return np.fliplr(np.array(grid)).tolist()\n",
    "def transform(grid):\n    return [list(r) for r in zip(*grid)][::-1]\n",
]


def _reply(code: str) -> str:
    return f"Trying a rule.\n\n```python\n{code}```\n"


def _serve(latency: float, conn) -> None:
    from arcbench.testing.server import ScriptedServer

    rules = [{"turn": i + 1, "content": _reply(code), "delay_s": latency} for i, code in enumerate(PROGRAMS)]
    server = ScriptedServer({"rules": rules, "default": {"content": _reply(PROGRAMS[0]), "delay_s": latency}}).start()
    conn.send(server.base_url)
    server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=400)
    ap.add_argument("--workers", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--turns", type=int, default=3)
    args = ap.parse_args()

    from arcbench.llm import ClientConfig
    from arcbench.providers import make_model
    from arcbench.run.config import RunConfig
    from arcbench.run.engine import run, select_tasks

    ctx = mp.get_context("spawn")  # the server gets its own interpreter: it must not share the harness's GIL
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(args.latency, child), daemon=True)
    server.start()
    base_url = parent.recv()

    config = RunConfig(dataset="arc-agi-1", subset="all_training", limit=args.tasks, max_turns=args.turns,
                       max_workers=args.workers, quiet=True, stop_when="never",
                       client=ClientConfig(model="scripted", base_url=base_url, max_attempts=1,
                                         concurrency=args.workers))
    tasks = select_tasks(config)
    model = make_model(config.client, "local")
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, t0 = time.process_time(), time.perf_counter()
        result = asyncio.run(run(config, model, Path(tmp) / "run", tasks))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    server.terminate()
    server.join()
    # Reaped children: the sandbox's workers (closed at the end of the run) and the server process.
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = result.summaries[0]
    calls = s.calls
    # The ideal schedule: each worker slot makes its calls back to back, so wall = calls x latency / workers, and no
    # less than the longest task's own chain of calls.
    ideal = max(calls * args.latency / args.workers, args.turns * args.latency)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tasks={s.total_tasks} calls={calls} failed_calls={s.failed_calls} workers={args.workers} "
          f"latency={args.latency}s")
    print(f"wall={wall:.2f}s ideal={ideal:.2f}s harness_cpu_per_call={1000 * cpu / max(calls, 1):.2f}ms "
          f"peak_rss={rss_mb:.0f}MB")
    print(f"sandbox_and_server_cpu_per_call={1000 * (kids.ru_utime + kids.ru_stime) / max(calls, 1):.2f}ms "
          f"cores={os.cpu_count()}")
    print(f"wall_vs_ideal={wall / ideal:.3f} target<=1.10")
    sys.exit(0 if s.failed_calls == 0 else 1)


if __name__ == "__main__":
    main()
