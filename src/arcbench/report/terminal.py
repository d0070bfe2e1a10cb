"""Grids, tasks and run summaries drawn in the terminal with rich: renderables only, printed by whoever holds a
console."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from arcbench.data.types import Grid, LabelledTask, grid_shape
from arcbench.inert import inert
from arcbench.report.palette import ARC_COLORS
from arcbench.run.records import Aggregate, RunSummary


def grid_text(grid: Grid) -> Text:
    """Two spaces per cell on the cell's colour, so grids look square in most terminals."""
    text = Text()
    for r, row in enumerate(grid):
        for c in row:
            text.append("  ", style=f"on {ARC_COLORS[c]}")
        if r < len(grid) - 1:
            text.append("\n")
    return text


def _cell(title: str, grid: Grid | None) -> Group:
    if grid is None:
        return Group(Text(title, style="bold"), Text("(not given)", style="dim"))
    r, c = grid_shape(grid)
    return Group(Text(f"{title} {r}x{c}", style="bold"), grid_text(grid))


def task_table(lt: LabelledTask, show_answers: bool = True) -> Table:
    """One row per training pair and test input: input | output."""
    table = Table(title=Text(f"task {inert(lt.id, single_line=True)}"), show_lines=True)
    table.add_column("example")
    table.add_column("input")
    table.add_column("output")
    for i, ex in enumerate(lt.task.train):
        table.add_row(f"train {i + 1}", _cell("in", ex.input), _cell("out", ex.output))
    for i, g in enumerate(lt.task.test_inputs):
        out = lt.test_outputs[i] if (show_answers and lt.test_outputs) else None
        table.add_row(f"test {i + 1}", _cell("in", g), _cell("out", out))
    return table


def money(x: float | None, known: bool = True) -> str:
    if x is None:
        return "unknown"
    return f"${x:.4f}" + ("" if known else "+ (some prices unknown)")


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
        ("Turns (model calls)", f"{s.total_turns} ({s.failed_calls} failed)" if s.calls in (0, s.total_turns)
         else f"{s.total_turns} answers from {s.calls:,} model calls ({s.failed_calls} failed)"),
        ("Tokens", f"{s.total_tokens:,} (in {s.prompt_tokens:,}, out {s.completion_tokens:,}, "
                   f"reasoning {s.reasoning_tokens:,})"),
        ("Cost", money(s.total_cost, s.cost_known)),
        ("Wall time", f"{s.wall_time_s:.1f}s"),
    ]
    if s.executions or s.executions_saved:
        rows.insert(9, ("Programs run", f"{s.executions:,} ({s.executions_saved:,} duplicates not run again)"))
    for e in s.endpoints:
        rows.append((f"Endpoint {inert(e.url, single_line=True, markup=True)}",
                     f"{e.calls:,} calls answered, {e.failed_attempts:,} failed attempts, taken out {e.taken_out}x"))
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
