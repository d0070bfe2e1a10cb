"""What the replayed Python session of `--mode tools` costs: the time of the n-th run_python call of a task.

    uv run python bench/session.py [--repeats N]

A session is rebuilt for every call by running the setup and every earlier successful cell again in a fresh sandbox
program (see arcbench.solve.session). This measures the wall time of call n, for cheap cells (a few numpy
operations on the task's grids, as models write them) and for busy cells (a pure-Python loop), against the baseline
of the same new cell run as a fresh session (call 1). Median of --repeats runs, one sandbox worker. The replay cost
per earlier cell is the slope of a least-squares line through the call times; for busy cells it is compared with
the cell's own time, measured in this process.
Last line: call_40_vs_call_1=<ratio> per_cheap_cell_ms=<ms> busy_replay_vs_own_time=<ratio>
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from arcbench.data import load_tasks
from arcbench.sandbox import Sandbox
from arcbench.solve.session import PythonSession

CHEAP = "a{k} = np.array(train[{i}]['input'])\nb{k} = (a{k} != 0).sum(axis=0)\nb{k}.tolist()"
BUSY = "t{k} = sum(i * i for i in range(300_000))"
NEW = "np.array(train[0]['output']).shape"


async def call_time(sandbox: Sandbox, cells: list[str], repeats: int) -> float:
    (lt,) = load_tasks("arc-agi-1", "6150a2bd")
    times = []
    for _ in range(repeats):
        session = PythonSession(sandbox, lt.task.train, lt.task.test_inputs, timeout_s=10, memory_mb=512)
        for c in cells:
            session.keep(c)
        t0 = time.perf_counter()
        result = await session.run(NEW)
        times.append(time.perf_counter() - t0)
        assert result.ok, result.text
    return statistics.median(times)


async def main(repeats: int) -> None:
    with Sandbox(workers=1) as sandbox:
        _ = sandbox.isolation
        await call_time(sandbox, [], 2)  # warm up
        rows = []
        for kind, template in (("cheap", CHEAP), ("busy", BUSY)):
            for n in (1, 5, 10, 20, 40):
                cells = [template.format(k=k, i=k % 2) for k in range(n - 1)]
                rows.append((kind, n, await call_time(sandbox, cells, repeats)))
    base = {kind: t for kind, n, t in rows if n == 1}
    print(f"{'cells':>6} {'call n':>7} {'ms':>8} {'x call 1':>9}")
    for kind, n, t in rows:
        print(f"{kind:>6} {n:>7} {1000 * t:8.1f} {t / base[kind]:9.2f}")
    slope = {kind: _slope([(n - 1, t) for k, n, t in rows if k == kind]) for kind in base}
    own = statistics.median(_own_time(BUSY.format(k=0)) for _ in range(repeats))
    ratio = next(t for k, n, t in rows if k == "cheap" and n == 40) / base["cheap"]
    print(f"busy cell in this process: {1000 * own:.1f} ms; replay per earlier busy cell: {1000 * slope['busy']:.1f} "
          f"ms; per earlier cheap cell: {1000 * slope['cheap']:.2f} ms")
    print(f"call_40_vs_call_1={ratio:.2f} per_cheap_cell_ms={1000 * slope['cheap']:.2f} "
          f"busy_replay_vs_own_time={slope['busy'] / own:.2f}")


def _slope(points: list[tuple[int, float]]) -> float:
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def _own_time(code: str) -> float:
    t0 = time.perf_counter()
    exec(code, {})
    return time.perf_counter() - t0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeats))
