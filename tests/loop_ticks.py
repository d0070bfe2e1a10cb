"""Measuring whether the event loop stayed free: count its ticks while awaiting something."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Ticks:
    count: int = 0


@asynccontextmanager
async def ticking(interval_s: float) -> AsyncIterator[Ticks]:
    """Counts wake-ups of a task sleeping `interval_s` at a time while the block runs: a blocked loop counts none."""
    ticks = Ticks()
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.count += 1
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(ticker())
    try:
        yield ticks
    finally:
        done.set()
        await task
