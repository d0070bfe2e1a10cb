"""refine: several experts refine programs side by side, each shown the best programs any of them has found.

In each iteration every expert (up to `--experts`, within the budget) makes one call, all at once: the task, its
training pairs shuffled anew for that expert and iteration, and up to `--refine-programs` of the best distinct
programs found so far by all experts (best first, hard-coded ones last), each with its results on the training pairs
and a cell-by-cell comparison of every wrong output. Each call is a fresh prompt, not a growing conversation. The
solver's stop rule ends the task when an expert's program solves every training example (`--stop-when never` spends
the budget); attempts are chosen by vote across experts (an expert that repeats itself counts once).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

from arcbench.prompts.strategies import refine_messages
from arcbench.solve.records import Turn
from arcbench.solve.steps import SolveContext


def best_programs(turns: list[Turn], n: int) -> list[Turn]:
    """The best `n` distinct programs so far, judged on training results only."""
    ranked = sorted((t for t in turns if t.code is not None and t.train),
                    key=lambda t: (t.hardcoded, -t.train_solved, -t.train_pixel_accuracy, t.index))
    chosen: list[Turn] = []
    codes: set[str] = set()
    for t in ranked:
        if t.code not in codes:
            codes.add(t.code or "")
            chosen.append(t)
        if len(chosen) == n:
            break
    return chosen


def example_order(task_id: str, n: int, expert: int, iteration: int) -> list[int]:
    """The order one expert sees the training pairs in at one iteration: shuffled, and the same on every run (so a
    resumed run sends the same prompts)."""
    order = list(range(n))
    random.Random(f"{task_id}:{expert}:{iteration}").shuffle(order)
    return order


class Refine:
    name = "refine"
    max_budget = 1000
    """Each call is a fresh prompt of bounded size (the task and a few programs): hundreds of refinements
    per task are sane."""
    vote_by = "sample"

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        experts = ctx.options.experts
        style = ctx.style()
        iteration = 0
        while ctx.remaining > 0:
            iteration += 1
            shown = [(t.code or "", t.train) for t in best_programs(ctx.turns, ctx.options.refine_programs)]
            calls = []
            for expert in range(min(experts, ctx.remaining)):
                order = example_order(ctx.task.id, len(ctx.task.train), expert, iteration)
                messages = refine_messages(ctx.task, order, shown, style)
                calls.append(ctx.sample(messages, sample=expert, turn_in_sample=iteration,
                                        phase="sample" if iteration == 1 else "refine"))
            # Each call takes its turn number as it starts, in expert order; they then run side by side. A call that
            # raises (a user error, a spent budget) does so after its siblings have finished: their turns, paid for,
            # are shown first.
            done = await asyncio.gather(*calls, return_exceptions=True)
            for turn in done:
                if isinstance(turn, Turn):
                    yield turn
            for failed in done:
                if isinstance(failed, BaseException):
                    raise failed
