"""The run's terminal display: the CLI's observer of the engine (a progress bar and, unless quiet, a line a turn)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from arcbench.inert import inert
from arcbench.report.terminal import money
from arcbench.run.observer import RunTotals
from arcbench.run.records import RunSummary, TaskLog
from arcbench.solve import Turn


def _shown(text: str) -> str:
    """Untrusted text (a task id from a file, a message) inside one of the markup lines below."""
    return inert(text, single_line=True, markup=True)

class RunDisplay:
    """A rich progress bar (tasks, solved so far, tokens, dollars, errors, ETA) and, unless quiet, a line a turn."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task = None

    def started(self, totals: RunTotals) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("solved {task.fields[solved]}"),
            TextColumn("{task.fields[tokens]} tok"),
            TextColumn("{task.fields[cost]}"),
            TextColumn("errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self._task = self._progress.add_task(totals.label, total=totals.tasks, solved=0, tokens=0, cost="$0",
                                             errors=0)
        self._progress.start()

    def finished(self, summary: RunSummary | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _refresh(self, t: RunTotals) -> None:
        if self._progress is None or self._task is None:
            return
        cost = f"${t.cost_usd:.4f}" + ("" if t.cost_known else "+?")
        self._progress.update(self._task, completed=t.done, solved=t.solved, tokens=t.usage.total_tokens, cost=cost,
                              errors=t.errors)

    def notice(self, message: str) -> None:
        self.console.print(f"[yellow]{_shown(message)}[/yellow]", highlight=False)

    def turn(self, task_id: str, turn: Turn, totals: RunTotals) -> None:
        self._refresh(totals)
        if self.quiet:
            return
        if turn.error_kind:
            what = f"[red]{turn.error_kind}[/red]: {_shown(turn.error_message[:120])}"
        elif turn.code is None:
            what = "[yellow]no code[/yellow]"
        else:
            mark = "[green]✓[/green]" if turn.all_train_correct else "✗"
            errs = sorted({e.error for e in turn.train if e.error})
            what = (f"train {turn.train_solved}/{turn.train_total} {mark} px {turn.train_pixel_accuracy:.0%}"
                    + (f" [yellow]{','.join(errs)}[/yellow]" if errs else ""))
        cost = money(turn.cost_usd)
        self.console.print(f"{_shown(task_id)} turn {turn.index + 1}: {what} | {turn.usage.total_tokens} tok | "
                           f"{cost} | {turn.latency_s:.1f}s", highlight=False)

    def task_done(self, log: TaskLog, totals: RunTotals, *, replayed: bool) -> None:
        self._refresh(totals)
        if self.quiet or replayed:
            return
        if log.score is None:
            verdict = "unscored" if log.status == "done" else f"[red]{log.status}[/red]"
        elif log.score.fully_solved:
            verdict = "[green]SOLVED[/green]"
        else:
            verdict = f"score {log.score.score:.2f}"
        self.console.print(f"{_shown(log.task_id)}: {verdict} after {len(log.turns)} turn(s) "
                           f"({_shown(log.stop_reason)})", highlight=False)
