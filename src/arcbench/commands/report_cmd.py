"""`arcbench report`: one self-contained HTML page for a run directory."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import out


def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (single or --repeat-runs).")],
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
) -> None:
    """Write RUN_DIR/report.html: configuration, summary, a sortable and filterable task table, and every task's
    grids, attempts and turns (rationale, reasoning, code, execution results, feedback, tokens, cost).
    One file with no external assets: it can be mailed or archived as it is."""
    from arcbench.report.html import render_report
    from arcbench.report.rundir import expected_outputs, load_run
    from arcbench.run.store import write_text_atomic

    run = load_run(run_dir)
    logs = {tid: log for r in (run.repeats or [run]) for tid, log in r.tasks.items()}
    page = render_report(run, expected_outputs(run.config, logs))
    dest = run_dir / "report.html"
    write_text_atomic(dest, page)  # a browser reloading sees the old report or the new one, never half of one
    out.print(f"report: {dest} ({len(page.encode()) / 1e6:.1f} MB, {len(logs)} tasks)", markup=False)
    if open_:
        webbrowser.open(dest.resolve().as_uri())


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
