"""What a run tells whoever watches it. The engine reports here and never holds a console: the terminal display is
the CLI's observer, and the default watches nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from arcbench.llm import Usage
from arcbench.run.records import RunSummary, TaskLog
from arcbench.solve import Turn


@dataclass
class RunTotals:
    """The running figures of one run (one repeat), kept by the engine and handed to the observer."""

    label: str
    """"run", or "run k/N" for repeat runs."""
    tasks: int
    done: int = 0
    solved: int = 0
    errors: int = 0
    """Turns whose model call failed."""
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    """Dollars of the calls whose price is known."""
    cost_known: bool = True
    """False once some call's price was unknown: cost_usd then covers only the priced calls."""
    max_cost_usd: float | None = None
    """The run's budget (--max-cost), when it has one."""

    def count(self, usage: Usage, cost_usd: float | None) -> None:
        self.usage = self.usage + usage
        if cost_usd is None:
            self.cost_known = False
        else:
            self.cost_usd += cost_usd


class RunObserver(Protocol):
    def started(self, totals: RunTotals) -> None:
        """A run (or one repeat) begins."""

    def turn(self, task_id: str, turn: Turn, totals: RunTotals) -> None:
        """A task made a turn (totals already count it)."""

    def task_done(self, log: TaskLog, totals: RunTotals, *, replayed: bool) -> None:
        """A task ended; `replayed` when it had ended before a resume."""

    def finished(self, summary: RunSummary | None) -> None:
        """The run ended: with its summary, or None when it was interrupted or failed."""

    def notice(self, message: str) -> None:
        """Something the user should hear about once (a server that ignores `n`, an endpoint taken out of service)."""


class SilentObserver:
    """Watches nothing: the default for runs driven from Python."""

    def started(self, totals: RunTotals) -> None:
        pass

    def turn(self, task_id: str, turn: Turn, totals: RunTotals) -> None:
        pass

    def task_done(self, log: TaskLog, totals: RunTotals, *, replayed: bool) -> None:
        pass

    def finished(self, summary: RunSummary | None) -> None:
        pass

    def notice(self, message: str) -> None:
        pass
