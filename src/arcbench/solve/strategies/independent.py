"""independent: every call is a fresh conversation (a sample) that sees only the task."""

from __future__ import annotations

from collections.abc import AsyncIterator

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext


class Independent:
    name = "independent"

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        for sample in range(ctx.max_turns):
            yield await ctx.sample(ctx.opening(), sample=sample)
