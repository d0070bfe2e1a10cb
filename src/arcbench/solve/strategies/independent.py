"""independent: every answer is a fresh conversation (a sample) that sees only the task.

Samples are drawn `n_per_request` per request with `parallel_requests` requests of the task in flight at once (one
and one by default: one sample after the other), so a server that caches prompt prefixes sees a task's requests
together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext


class Independent:
    name = "independent"
    max_budget = 10_000
    """Samples do not grow a conversation, so thousands per task are sane (`--samples`)."""
    samples_in_parallel = True
    """It draws its samples with `SolveContext.samples`: `n_per_request` and `parallel_requests` apply."""

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        # aclosing: when the task ends early, the sampler is closed here and now, so it waits for its requests in
        # flight before the solver goes on.
        async with aclosing(ctx.samples(ctx.opening())) as samples:
            async for turn in samples:
                yield turn
