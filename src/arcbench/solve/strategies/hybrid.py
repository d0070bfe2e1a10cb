"""hybrid: half the budget (rounded up) on independent samples, the rest continuing the most promising one with
feedback (promise judged on training results only)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import aclosing

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext, conversation, most_promising
from arcbench.solve.strategies.feedback import Feedback


class Hybrid:
    name = "hybrid"
    max_budget = 2 * Feedback.max_budget
    """The second half is one conversation: no longer than the feedback strategy's."""
    samples_in_parallel = True
    """Its first half is drawn with `SolveContext.samples`."""

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        seeds = max(1, math.ceil(ctx.max_turns / 2))
        async with aclosing(ctx.samples(ctx.opening(), seeds)) as samples:
            async for turn in samples:
                yield turn
        rest = ctx.max_turns - len(ctx.turns)
        if rest <= 0:
            return
        best = most_promising(ctx.turns)
        messages = ctx.continued(ctx.opening(), best)
        async for turn in conversation(ctx, messages, sample=best.sample, turns=rest, first_turn=2,
                                       earlier=[best]):
            yield turn
