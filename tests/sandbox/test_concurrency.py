"""Many programs from asyncio at once: all results correct and in order, and the event loop keeps running."""

from __future__ import annotations

import asyncio

import pytest

from arcbench.sandbox import Sandbox, SandboxLimits
from tests.loop_ticks import ticking
from tests.sandbox.conftest import FLIP


def test_many_concurrent_programs_from_asyncio() -> None:
    async def main() -> tuple[list, int]:
        async with Sandbox(workers=2, limits=SandboxLimits(timeout_s=0.5)) as sb, ticking(0.001) as ticks:
            sleeper = "import time\ndef transform(g):\n    time.sleep(10)\n"
            jobs = [sb.run(FLIP if i % 10 else sleeper, [[[i % 10, 0]], [[0, i % 7]]]) for i in range(60)]
            results = await asyncio.gather(*jobs)
        return results, ticks.count

    results, ticks = asyncio.run(main())
    for i, r in enumerate(results):
        if i % 10:
            assert [g.output for g in r.results] == [[[0, i % 10]], [[i % 7, 0]]]
        else:
            assert [g.error for g in r.results] == ["timeout", "timeout"]
    assert ticks > 10  # the loop ran while programs (including ones that time out) were in flight


def test_sync_and_async_calls_share_one_sandbox() -> None:
    with Sandbox(workers=1) as sb:
        assert sb.run_sync(FLIP, [[[1, 2]]]).results[0].output == [[2, 1]]
        assert asyncio.run(sb.run(FLIP, [[[3, 4]]])).results[0].output == [[4, 3]]
        assert sb.run_sync(FLIP, []).results == []


def test_closed_sandbox_refuses_work_and_leaves_no_worker() -> None:
    sb = Sandbox(workers=1)
    sb.isolation  # noqa: B018  (started)
    proc = sb._workers[0].proc
    sb.close()
    assert proc.poll() is not None
    with pytest.raises(RuntimeError, match="closed"):
        sb.run_sync(FLIP, [[[1]]])
