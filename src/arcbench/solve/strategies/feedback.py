"""feedback: one conversation; after each turn the model sees its program's training results and tries again."""

from __future__ import annotations

from collections.abc import AsyncIterator

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext, conversation


class Feedback:
    name = "feedback"
    max_budget = 100
    """One conversation: every turn adds a reply and its feedback to every later request, so a hundred turns is
    already past most models' context."""

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        async for turn in conversation(ctx, ctx.opening(), sample=0, turns=ctx.max_turns):
            yield turn
