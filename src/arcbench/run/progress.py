"""What a run shows on the console while it goes and when it ends."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from arcbench.inert import inert
from arcbench.run.records import Aggregate, RunSummary, TaskLog, Turn


def _shown(text: str) -> str:
    """Untrusted text (a task id from a file, a message) inside one of the markup lines below."""
    return inert(text, single_line=True, markup=True)


def money(x: float | None, known: bool = True) -> str:
    if x is None:
        return "unknown"
    return f"${x:.4f}" + ("" if known else "+ (some prices unknown)")


class RunProgress:
    """A rich progress bar (tasks, solved so far, tokens, dollars, errors, ETA) and, unless quiet, a line a turn."""

    def __init__(self, console: Console, total: int, label: str, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.solved = 0
        self.tokens = 0
        self.cost = 0.0
        self.cost_known = True
        self.errors = 0
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
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task(label, total=total, solved=0, tokens=0, cost="$0", errors=0)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _refresh(self) -> None:
        cost = f"${self.cost:.4f}" + ("" if self.cost_known else "+?")
        self._progress.update(self._task, solved=self.solved, tokens=self.tokens, cost=cost, errors=self.errors)

    def turn(self, task_id: str, turn: Turn) -> None:
        self.tokens += turn.usage.total_tokens
        if turn.cost_usd is None:
            self.cost_known = False
        else:
            self.cost += turn.cost_usd
        if turn.error_kind:
            self.errors += 1
        self._refresh()
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

    def task_done(self, log: TaskLog, replayed: bool = False) -> None:
        if log.score and log.score.fully_solved:
            self.solved += 1
        if replayed:  # already finished before a resume: count it, without its tokens twice
            for t in log.turns:
                self.tokens += t.usage.total_tokens
                if t.cost_usd is None:
                    self.cost_known = False
                else:
                    self.cost += t.cost_usd
        self._progress.advance(self._task)
        self._refresh()
        if not self.quiet and not replayed:
            if log.score is None:
                verdict = "unscored" if log.status == "done" else f"[red]{log.status}[/red]"
            elif log.score.fully_solved:
                verdict = "[green]SOLVED[/green]"
            else:
                verdict = f"score {log.score.score:.2f}"
            self.console.print(f"{_shown(log.task_id)}: {verdict} after {len(log.turns)} turn(s) "
                               f"({_shown(log.stop_reason)})", highlight=False)


def summary_table(s: RunSummary, title: str = "SUMMARY", *, scores_only: bool = False) -> Table:
    """The run's summary. `scores_only` keeps the score rows, for answers scored without the run that made them
    (a submission): calls, tokens, cost and time are not known there."""
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column("", style="bold")
    t.add_column("")

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({a / b:.1%})" if b else f"{a}/{b}"

    rows = [
        ("Tasks attempted", str(s.total_tasks)),
        ("API successes", str(s.api_successes)),
        ("API failures", str(s.api_failures)),
        ("Timeout failures", str(s.timeout_failures)),
        ("Score (pass@2, mean task score)", f"{s.score:.1%}" + ("" if s.scored_tasks == s.total_tasks
                                                               else f" over {s.scored_tasks} scored tasks")),
        ("Tasks fully solved", pct(s.tasks_fully_solved, s.scored_tasks)),
        ("Solved on turn 1", pct(s.turn1_solved, s.scored_tasks)),
        ("Pixel accuracy", f"{s.pixel_accuracy:.1%}"),
        ("Turns (model calls)", f"{s.total_turns} ({s.failed_calls} failed)"),
        ("Tokens", f"{s.total_tokens:,} (in {s.prompt_tokens:,}, out {s.completion_tokens:,}, "
                   f"reasoning {s.reasoning_tokens:,})"),
        ("Cost", money(s.total_cost, s.cost_known)),
        ("Wall time", f"{s.wall_time_s:.1f}s"),
    ]
    if scores_only:
        scored = ("Score (pass@2, mean task score)", "Tasks fully solved", "Pixel accuracy")
        rows = [("Tasks", str(s.total_tasks))] + [r for r in rows if r[0] in scored]
    for k, v in rows:
        t.add_row(k, v)
    if s.leaky:
        t.add_row("[red]LEAKY[/red]", "[red]stop rule read test outputs: not an honest score[/red]")
    return t


def aggregate_table(a: Aggregate) -> Table:
    t = Table(title=f"AGGREGATE over {a.runs} runs (API failures excluded)", title_justify="left")
    for col in ("metric", "mean", "std", "95% CI"):
        t.add_column(col)
    for name, st in (("Turn 1 success", a.turn1_success), ("All turns success", a.all_turns_success),
                     ("Score", a.score)):
        t.add_row(name, f"{st.mean:.1%}", f"{st.std:.1%}", f"[{st.ci95_low:.1%}, {st.ci95_high:.1%}]")
    per = Table(show_header=True)
    for col in ("run", "tasks", "API failures", "turn 1", "all turns", "score"):
        per.add_column(col)
    for r in a.per_run:
        per.add_row(str(r["run"]), str(r["tasks"]), str(r["api_failures"]), f"{r['turn1_success']:.1%}",
                    f"{r['all_turns_success']:.1%}", f"{r['score']:.1%}")
    return _stack(per, t)


def _stack(a: Table, b: Table) -> Table:
    grid = Table.grid()
    grid.add_row(a)
    grid.add_row(b)
    return grid
