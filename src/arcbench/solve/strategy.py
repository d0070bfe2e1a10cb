"""The strategy seam: how a task is worked on, as a plug-in.

A strategy is an object with a `name` and an async generator `solve(ctx)` that yields turns, made from the shared
steps in `arcbench.solve.steps`. It decides what to ask next; it does not decide when to stop: the `Solver` ends it
on a failed call, on the stop rule or at the budget, so no strategy can forget the rule or read a test output to
bend it.

A strategy whose conversations are independent experts may set `vote_by = "sample"`: attempts are then voted per
conversation rather than per program (see `arcbench.solve.select`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext

DEFAULT_MAX_BUDGET = 100
"""The largest budget (`--max-turns`) a strategy takes when it names none (`max_budget`)."""


class Strategy(Protocol):
    name: str
    """The --mode name. A strategy may also set `max_budget`, the most turns a task can sanely spend with it
    (default DEFAULT_MAX_BUDGET), a run asking for more being refused where it is configured; and
    `samples_in_parallel = True` when it draws samples with `SolveContext.samples`, the only strategies a run lets
    ask for several answers per request or several requests at once."""

    def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        """Yield every turn `ctx.sample` returns, as soon as it returns it."""
        ...
