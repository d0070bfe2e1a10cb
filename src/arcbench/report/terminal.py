"""Grids, tasks and run summaries drawn in the terminal with rich: renderables only, printed by whoever holds a
console."""

from __future__ import annotations

import re

from rich.console import Group
from rich.table import Table
from rich.text import Text

from arcbench.data.types import Grid, LabelledTask, grid_shape
from arcbench.inert import inert
from arcbench.llm.pricing import usd
from arcbench.report.curves import AnytimeCurve, table_points
from arcbench.report.palette import ARC_COLORS
from arcbench.run.records import Aggregate, RunSummary

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def brief(text: str, limit: int = 200) -> str:
    """`text` on one line in at most about `limit` characters, cut where a sentence ends (else between words), so
    that what is kept says what happened: "HTTP 400: This model's maximum context length is 2048 tokens. However,
    you requested 2989 tokens (2689 in the messages, 300 in the completion). …", not "... (2689 in the messages, "."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends and ends[-1] >= limit // 3:
        return text[:ends[-1]] + " …"
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > limit // 3 else text[:limit]) + " …"


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
    """A cost: `unknown` when no price was known, a `+` when some were not (the amount covers the priced calls)."""
    if x is None:
        return "unknown"
    return usd(x) + ("" if known else "+ (some prices unknown)")


def token_total(total: int, unreported: int, calls: int) -> str:
    """A token count as people should read it: `unknown` when none of the `calls` reported usage, a lower bound
    when some did not."""
    if unreported and unreported >= calls:
        return "unknown"
    return f"{total:,}+" if unreported else f"{total:,}"


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
        ("Tokens", _tokens_row(s)),
        ("Cached input", f"{s.cached_tokens:,} tokens ({s.cache_hit_rate:.1%} of input)"
                         if s.cache_hit_rate is not None else "no input tokens counted"),
        ("Cost", money(s.total_cost, s.cost_known)),
        ("Wall time", f"{s.wall_time_s:.1f}s"),
    ]
    if s.budget_exhausted:
        rows.insert(4, ("Budget exhausted", f"{s.budget_exhausted} (unfinished: resume with a higher --max-cost)"))
    if s.executions or s.executions_saved:
        at = next(i for i, r in enumerate(rows) if r[0] == "Pixel accuracy") + 1
        rows.insert(at, ("Programs run", f"{s.executions:,} ({s.executions_saved:,} duplicates not run again)"))
    for e in s.endpoints:
        rows.append((f"Endpoint {inert(e.url, single_line=True, markup=True)}",
                     f"{e.calls:,} calls answered, {e.failed_attempts:,} failed attempts, taken out {e.taken_out}x"))
    if scores_only:
        scored = ("Score (pass@2, mean task score)", "Tasks fully solved", "Pixel accuracy")
        rows = [("Tasks", str(s.total_tasks))] + [r for r in rows if r[0] in scored]
    failed = s.api_failures + s.timeout_failures
    if failed and not scores_only:
        rows.append(("Scoring", f"the {failed} task(s) that ended on an API failure count as 0 in the score "
                                "(a repeat-run aggregate leaves them out)"))
    for k, v in rows:
        t.add_row(k, v)
    if s.leaky:
        t.add_row("[red]LEAKY[/red]", "[red]stop rule read test outputs: not an honest score[/red]")
    return t


def _tokens_row(s: RunSummary) -> str:
    if s.tokens_unknown:
        return "unknown (the server reported no token counts)"
    text = (f"{token_total(s.total_tokens, s.calls_without_usage, s.calls - s.failed_calls)} (in "
            f"{s.prompt_tokens:,}, out {s.completion_tokens:,}, reasoning {s.reasoning_tokens:,})")
    if not s.tokens_known:
        text += f"; {s.calls_without_usage} of {s.calls - s.failed_calls} calls reported no token counts"
    return text


def aggregate_table(a: Aggregate) -> Table:
    t = Table(title=f"AGGREGATE over {a.runs} runs", title_justify="left")
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
    rule = Text("Tasks that ended on an API failure are left out of these statistics (each run's own score counts "
                "them as 0).")
    return _stack(per, t, rule)


def _stack(*parts: Table | Text) -> Table:
    grid = Table.grid()
    for part in parts:
        grid.add_row(part)
    return grid


def curve_table(curve: AnytimeCurve, title: str) -> Table:
    """The anytime curve at k = 1, 2, 4, ... samples per task: pass@2 (with its band over orders), pass@k, spend."""
    t = Table(title=Text(inert(title, single_line=True)), title_justify="left")
    for col in ("k", "pass@2", "95% of orders" if curve.random_orders else "", "pass@k", "cost" if curve.cost_known
                else "tokens"):
        if col:
            t.add_column(col, justify="right")
    for p in table_points(curve):
        spend = money(p.cost_usd) if curve.cost_known else f"{p.tokens:,.0f}"
        band = [f"{p.pass2_low:.1%} – {p.pass2_high:.1%}"] if curve.random_orders else []
        t.add_row(str(p.k), f"{p.pass2:.1%}", *band, f"{p.pass_at_k:.1%}", spend)
    return t
