"""hybrid: half the budget (rounded up) on independent samples, the rest continuing the most promising one with
feedback (promise judged on training results only)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext, conversation, most_promising


class Hybrid:
    name = "hybrid"

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        seeds = max(1, math.ceil(ctx.max_turns / 2))
        for sample in range(seeds):
            yield await ctx.sample(ctx.opening(), sample=sample)
        rest = ctx.max_turns - seeds
        if rest <= 0:
            return
        best = most_promising(ctx.turns)
        messages = ctx.continued(ctx.opening(), best)
        async for turn in conversation(ctx, messages, sample=best.sample, turns=rest, first_turn=2,
                                       earlier=[best]):
            yield turn
