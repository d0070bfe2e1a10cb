"""`arcbench report`: one self-contained HTML page for a run directory."""

from __future__ import annotations

import os
import tempfile
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import out


def _write_text_atomic(path: Path, text: str) -> None:
    """A reader (or a browser reloading) sees the old report or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (single or --repeat-runs).")],
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
) -> None:
    """Write RUN_DIR/report.html: configuration, summary, a sortable and filterable task table, and every task's
    grids, attempts and turns (rationale, reasoning, code, execution results, feedback, tokens, cost).
    One file with no external assets: it can be mailed or archived as it is."""
    from arcbench.report.html import render_report
    from arcbench.report.rundir import expected_outputs, load_run

    run = load_run(run_dir)
    logs = {tid: log for r in (run.repeats or [run]) for tid, log in r.tasks.items()}
    page = render_report(run, expected_outputs(run.config, logs))
    dest = run_dir / "report.html"
    _write_text_atomic(dest, page)
    out.print(f"report: {dest} ({len(page.encode()) / 1e6:.1f} MB, {len(logs)} tasks)", markup=False)
    if open_:
        webbrowser.open(dest.resolve().as_uri())


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
