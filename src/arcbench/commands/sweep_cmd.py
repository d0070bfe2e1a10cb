"""`arcbench sweep SWEEP.toml`: a matrix of run configurations x repeats over one task set, then the comparison and
sweep.png.

A sweep file names run flags (without their dashes) in three places: `[base]` for every configuration, `[[config]]`
tables for the configurations (each may have a `name`), and `[matrix]`, whose lists multiply the configurations
(every combination of their values, for every `[[config]]`, or alone). `repeats` runs each configuration that many
times; `name` names the sweep's folder (default: the file's name). Running the same file again resumes the sweep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arcbench.commands.run_cmd import _FLAG_OF_FIELD, _FLAGS, _nested, _settings
from arcbench.commands.shared import flag_errors, out
from arcbench.errors import UserError
from arcbench.inert import inert

_NOT_IN_SWEEPS = {"output_dir": "--output-dir of `arcbench sweep`", "quiet": "--quiet of `arcbench sweep`",
                  "repeat_runs": "`repeats = N` at the top of the file"}
_PARAM_OF_NAME = {flag[2:]: param for param, (flag, _) in _FLAGS.items()}
_TOP = {"name", "repeats", "base", "matrix", "config"}


def _shown(value: object) -> str:
    return inert(str(value), single_line=True)


def _params(table: dict[str, Any], where: str) -> dict[str, Any]:
    """A table of flag names and values as run parameters (flag names checked)."""
    params: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        param = _PARAM_OF_NAME.get(name)
        if param is None:
            raise UserError(f"{where}: {key!r} is not a flag of `arcbench run` (write flags without their dashes, "
                            "e.g. max-turns = 4)")
        if param in _NOT_IN_SWEEPS:
            raise UserError(f"{where}: {key!r} does not go in a sweep file: use {_NOT_IN_SWEEPS[param]}")
        if param == "extra_body" and isinstance(value, dict):
            value = json.dumps(value)
        params[param] = value
    return params


def _auto_name(params: dict[str, Any]) -> str:
    return ",".join(f"{_FLAGS[p][0][2:]}={v}" for p, v in params.items()) or "config"


def load_sweep(path: Path, overrides: dict[str, Any] | None = None) -> Any:
    """The sweep plan a file describes (with `overrides`, run parameters applied to every configuration)."""
    from arcbench.run.config import RunConfig
    from arcbench.run.sweep import SweepEntry, SweepPlan

    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"sweep file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"sweep file {path} is not valid TOML: {e}") from None
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise UserError(f"{path}: unknown key {unknown[0]!r} at the top (use name, repeats, [base], [matrix], "
                        "[[config]])")
    repeats = data.get("repeats", 1)
    if type(repeats) is not int or not 1 <= repeats <= 10:
        raise UserError(f"{path}: repeats must be a whole number from 1 to 10 (got {repeats!r})")
    base = _params(_table(data.get("base", {}), path, "[base]"), f"{path}: [base]")
    matrix_raw = _table(data.get("matrix", {}), path, "[matrix]")
    for key, values in matrix_raw.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{path}: [matrix] {key} must be a non-empty list of values")
    axes = _params({k: None for k in matrix_raw}, f"{path}: [matrix]")
    raw_configs = data.get("config", [{}])
    if not isinstance(raw_configs, list) or not all(isinstance(c, dict) for c in raw_configs):
        raise UserError(f"{path}: configurations are [[config]] tables")
    entries = []
    for n, raw in enumerate(raw_configs, 1):
        raw = dict(raw)
        name = raw.pop("name", None)
        own = _params(raw, f"{path}: [[config]] {name or n}")
        clash = sorted(set(own) & set(axes))
        if clash:
            raise UserError(f"{path}: {_FLAGS[clash[0]][0][2:]} is both in [[config]] {name or n} and in [matrix]")
        for combo in itertools.product(*matrix_raw.values()) if matrix_raw else [()]:
            cell = dict(zip(axes, combo, strict=True))
            params = {**base, **own, **cell, **(overrides or {})}
            label = str(name) if name is not None else _auto_name({**own, **cell})
            if name is not None and cell:
                label += "," + _auto_name(cell)
            params["repeat_runs"] = repeats
            try:
                fields = _settings(params, set(params))
            except UserError as e:
                raise UserError(f"{path}: configuration {label!r}: {e}") from None
            fields.setdefault("client.model", "gpt-4.1-nano")
            try:
                with flag_errors({**_FLAG_OF_FIELD, "repeat_runs": "repeats"}):
                    config = RunConfig.model_validate(_nested(fields))
            except UserError as e:
                raise UserError(f"{path}: configuration {label!r}: {e}") from None
            entries.append(SweepEntry(name=label, config=config))
    return SweepPlan(name=str(data.get("name") or path.stem), repeats=repeats, entries=entries)


def _table(value: Any, path: Path, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserError(f"{path}: {what} must be a table")
    return value


class SweepDisplay:
    """One progress bar for the whole sweep: configurations x repeats x tasks."""

    def __init__(self, entries: int, repeats: int, tasks: int) -> None:
        self.entries, self.repeats, self.tasks = entries, repeats, tasks
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("solved {task.fields[solved]}"), TextColumn("{task.fields[cost]}"),
                                 TimeElapsedColumn(), console=out, disable=not out.is_terminal)
        self.bar = self.progress.add_task("sweep", total=entries * repeats * tasks, solved=0, cost="$0")
        self.solved = 0
        self.cost = 0.0
        self.name = ""

    def __enter__(self) -> SweepDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def for_entry(self, i: int, entry: Any) -> Any:
        self.name = f"{i + 1}/{self.entries} {inert(entry.name, single_line=True, markup=True)}"
        return _EntryObserver(self)

    def skipped(self, i: int, entry: Any) -> None:
        self.progress.advance(self.bar, self.repeats * self.tasks)
        out.print(f"{_shown(entry.name)}: finished before, kept as it is", markup=False)


class _EntryObserver:
    def __init__(self, display: SweepDisplay) -> None:
        self.d = display

    def started(self, totals: Any) -> None:
        label = f" · {totals.label}" if totals.label != "run" else ""
        self.d.progress.update(self.d.bar, description=f"{self.d.name}{label}")

    def turn(self, task_id: str, turn: Any, totals: Any) -> None:
        pass

    def task_done(self, log: Any, totals: Any, *, replayed: bool) -> None:
        d = self.d
        d.solved += bool(log.score and log.score.fully_solved)
        d.cost += log.cost_usd or 0.0
        d.progress.update(d.bar, advance=1, solved=d.solved, cost=f"${d.cost:.4f}")

    def finished(self, summary: Any) -> None:
        pass

    def notice(self, message: str) -> None:
        out.print(f"{self.d.name}: {_shown(message)}", markup=False)


def sweep_cmd(
    sweep_file: Annotated[Path, typer.Argument(help="The sweep file (TOML): [base], [[config]] and [matrix] tables of "
                                               "run flags, and repeats.")],
    output_dir: Annotated[str, typer.Option("--output-dir", help="Where the sweep's folder goes (it is named by "
                                            "the file's `name`, or the file's name).")] = "runs",
    base_url: Annotated[str | None, typer.Option("--base-url", help="Endpoint for every configuration (overrides "
                                                 "the file).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N tasks, for every configuration."
                                              )] = None,
    max_workers: Annotated[int | None, typer.Option("--max-workers", help="Tasks in flight at once, for every "
                                                    "configuration.")] = None,
) -> None:
    """Run every configuration of a sweep file x its repeats on one task set in one folder (running it again resumes
    it), then print the comparison (means, 95% CIs, paired tests, cost per solved task) and draw sweep.png (score
    against cost per task)."""
    from arcbench.commands.compare_cmd import _tables
    from arcbench.report.compare import compare_runs
    from arcbench.report.rundir import load_run
    from arcbench.report.sweep_chart import sweep_chart
    from arcbench.run.store import write_json_atomic
    from arcbench.run.sweep import folder_name, prepare, run_sweep

    overrides = {k: v for k, v in (("base_url", base_url), ("limit", limit), ("max_workers", max_workers))
                 if v is not None}
    plan = load_sweep(sweep_file, overrides)
    sweep_dir = Path(output_dir) / folder_name(plan.name)
    resuming = (sweep_dir / "sweep.json").exists()
    plan, tasks = prepare(plan, sweep_dir)
    out.print(f"{'Resuming' if resuming else 'Sweep'} {_shown(sweep_dir)}: {len(plan.entries)} configuration(s) x "
              f"{plan.repeats} run(s) x {len(tasks)} task(s)", markup=False)
    for e in plan.entries:
        c = e.config
        out.print(f"  {_shown(e.name)}: model {_shown(c.client.model)}, mode {c.mode}, max turns {c.max_turns}"
                  + (f", reasoning effort {c.client.reasoning_effort}" if c.client.reasoning_effort else ""),
                  markup=False)
    try:
        with SweepDisplay(len(plan.entries), plan.repeats, len(tasks)) as display:
            dirs = asyncio.run(run_sweep(plan, tasks, sweep_dir, observer=display.for_entry,
                                         skipped=display.skipped))
    except KeyboardInterrupt:
        out.print(f"[yellow]Interrupted.[/yellow] Resume the sweep with: arcbench sweep "
                  f"{inert(str(sweep_file), single_line=True, markup=True)} --output-dir "
                  f"{inert(output_dir, single_line=True, markup=True)}")
        raise typer.Exit(1) from None
    runs = [load_run(d) for d in dirs]
    comparison = compare_runs(runs)
    write_json_atomic(sweep_dir / "comparison.json", comparison)
    for table in _tables(comparison):
        out.print(table)
    axis = sweep_chart(comparison, sweep_dir / "sweep.png", title=plan.name)
    out.print(f"Comparison: {_shown(sweep_dir / 'comparison.json')}", markup=False)
    out.print(f"Chart: {_shown(sweep_dir / 'sweep.png')} (score against {axis} per task)", markup=False)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_cmd)
