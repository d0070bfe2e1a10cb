"""The run's terminal display: the CLI's observer of the engine (a progress bar and, unless quiet, a line a turn)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from arcbench.inert import inert
from arcbench.llm.pricing import usd
from arcbench.report.terminal import brief, money
from arcbench.run.budget import BudgetReport, CostEstimate
from arcbench.run.observer import RunTotals
from arcbench.run.records import RunSummary, TaskLog
from arcbench.solve import Turn


def _shown(text: str) -> str:
    """Untrusted text (a task id from a file, a message) inside one of the markup lines below."""
    return inert(text, single_line=True, markup=True)

def _which(totals: RunTotals) -> str:
    """Which run a line is about, in a repeat run ("run 2/3 · "); nothing for a single run."""
    return "" if totals.label == "run" else f"{_shown(totals.label)} · "


class RunDisplay:
    """A rich progress bar (tasks, solved so far, tokens, dollars, errors, ETA) and, unless quiet, a line a turn."""

    def __init__(self, console: Console, quiet: bool = False, *, samples: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.samples = samples
        """The strategy draws independent samples (independent, hybrid): calls are named by sample, not turn."""
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
        cost = usd(t.cost_usd) + ("" if t.cost_known else "+?")
        if t.max_cost_usd is not None:
            cost += f" of {dollars(t.max_cost_usd)}"
        tokens = f"{t.usage.total_tokens:,}" + ("" if t.usage.known else "+?")
        self._progress.update(self._task, completed=t.done, solved=t.solved, tokens=tokens, cost=cost,
                              errors=t.errors)

    def notice(self, message: str) -> None:
        self.console.print(f"[yellow]{_shown(message)}[/yellow]", highlight=False)

    def turn(self, task_id: str, turn: Turn, totals: RunTotals) -> None:
        self._refresh(totals)
        if self.quiet:
            return
        if turn.error_kind:
            # Cut where a sentence ends: "(2689 in the messages, " says nothing, the sentence before it does.
            what = f"[red]{turn.error_kind}[/red]: {_shown(brief(turn.error_message, 240))}"
        elif turn.code is None:
            what = f"{len(turn.tool_calls)} tool call(s)" if turn.tool_calls else "[yellow]no code[/yellow]"
        else:
            mark = "[green]✓[/green]" if turn.all_train_correct else "✗"
            errs = sorted({e.error for e in turn.train if e.error})
            what = (f"train {turn.train_solved}/{turn.train_total} {mark} px {turn.train_pixel_accuracy:.0%}"
                    + (f" [yellow]{','.join(errs)}[/yellow]" if errs else "")
                    + (" [yellow]hard-coded[/yellow]" if turn.hardcoded else "")
                    + (f" repeats turn {turn.repeat_of + 1}" if turn.repeat_of is not None else ""))
        if turn.phase in ("restart", "generalise", "refine"):
            what = f"({turn.phase}) {what}"
        if turn.truncated:
            what += (f" [yellow]· cut off at the token limit ({turn.usage.completion_tokens:,} tokens out)[/yellow]"
                     if turn.usage.completion_tokens else " [yellow]· cut off at the token limit[/yellow]")
        cost = money(turn.cost_usd)
        tokens = f"{turn.usage.total_tokens} tok" if turn.usage.known else "tokens unknown"
        self.console.print(f"{_which(totals)}{_shown(task_id)} {self._call(turn)}: {what} | {tokens} | {cost} | "
                           f"{turn.latency_s:.1f}s", highlight=False)

    def _call(self, turn: Turn) -> str:
        if not self.samples:
            return f"turn {turn.index + 1}"
        return f"sample {turn.sample + 1}" + (f", turn {turn.turn_in_sample}" if turn.turn_in_sample > 1 else "")

    def task_done(self, log: TaskLog, totals: RunTotals, *, replayed: bool) -> None:
        self._refresh(totals)
        if self.quiet or replayed:
            return
        if log.status == "budget_exhausted":
            verdict = "[yellow]budget exhausted[/yellow]"
        elif log.score is None:
            verdict = "unscored" if log.status == "done" else f"[red]{log.status}[/red]"
        elif log.score.fully_solved:
            verdict = "[green]SOLVED[/green]"
        else:
            verdict = f"score {log.score.score:.2f}"
        self.console.print(f"{_which(totals)}{_shown(log.task_id)}: {verdict} after {len(log.turns)} turn(s) "
                           f"({_shown(log.stop_reason)})", highlight=False)


def dollars(x: float) -> str:
    """A dollar amount the user gave: cents, or every digit it has below a cent."""
    return f"${x:,.2f}" if round(x, 2) == x else f"${x:g}"


_REPLY_SOURCE = {"--est-output-tokens": "from --est-output-tokens", "--max-tokens": "from --max-tokens",
                 "assumed": "assumed: set --est-output-tokens"}


def estimate_lines(e: CostEstimate, max_cost_usd: float | None) -> list[str]:
    """The preflight estimate as printed before a run (plain text: print without markup)."""
    repeats = f" × {e.repeats} repeats" if e.repeats > 1 else ""
    answers = f" of {e.answers_per_call} answers" if e.answers_per_call > 1 else ""
    lines = [
        f"Cost estimate: {e.tasks} task(s), up to {e.max_turns} call(s){answers} each{repeats}, priced by "
        f"{e.priced_by}",
        f"  prompts: {e.prompt_tokens:,} tokens in the tasks' first calls (counted as: {e.token_count})",
        f"  replies: {e.output_tokens_per_call:,} tokens {'an answer' if answers else 'a call'} "
        f"({_REPLY_SOURCE[e.output_source]})",
    ]
    if e.low_usd is None or e.high_usd is None:
        lines.append("  cost: unknown, no price is known for this model here (give --price-in and --price-out)")
    else:
        first = "its first call" if e.first_round == 1 else f"its first round of {e.first_round} calls"
        lines.append(f"  {money(e.low_usd)} if every task ends after {first}, up to {money(e.high_usd)} if "
                     f"every task makes all {e.max_turns} calls ({e.low_tokens:,} to {e.high_tokens:,} tokens)")
    if max_cost_usd is not None:
        lines.append(f"Budget: {dollars(max_cost_usd)} (--max-cost): no call starts once what was spent, with the "
                     "calls in flight, would pass it")
    return lines


def budget_lines(report: BudgetReport, unfinished: int, resume_command: str) -> list[str]:
    """What the run spent against its budget, and how to finish what the budget stopped (plain text)."""
    spent = f"{money(report.spent_usd)} spent of the {dollars(report.max_cost_usd)} budget (--max-cost)"
    if not report.exhausted:
        return [f"Budget: {spent}."]
    if report.reason == "reached":
        flying = report.in_flight_when_exhausted
        head = (f"Budget reached: {spent}; {flying} call(s) in flight then finished and are logged."
                if flying else f"Budget reached: {spent}.")
    else:
        head = f"Budget stopped the run: {report.reason}; {spent}."
    if not unfinished:
        return [head]
    return [head, f"{unfinished} task(s) unfinished (budget_exhausted). Finish them with: {resume_command} "
            "--max-cost HIGHER"]
