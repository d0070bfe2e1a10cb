"""Sweeps: a matrix of run configurations x repeats over one task set, in one folder, resumable as a whole.

    SWEEP_DIR/sweep.json          the plan: every configuration's name and full settings, the repeats, the task ids
    SWEEP_DIR/<name>/             one run directory per configuration (run_<k>/ and aggregate.json with repeats > 1)
    SWEEP_DIR/comparison.json     written by the command after the last configuration (`arcbench compare` figures)
    SWEEP_DIR/sweep.png           score against cost per task, with 95% CIs

Running a sweep again on its folder resumes it: finished configurations are left as they are, an interrupted one
resumes like `arcbench run --resume` (logged calls replayed, not paid again), the rest start. A plan that differs from
the saved one in anything that decides what is measured is refused; how calls are made (workers, server address,
timeouts) may change, as on resume.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from arcbench.data import LabelledTask
from arcbench.errors import UserError
from arcbench.llm import ChatModel, ClientConfig
from arcbench.providers import make_model
from arcbench.run.config import RESUME_SAFE, RunConfig, SavedConfig
from arcbench.run.engine import RunResult, run, select_tasks, tasks_for_resume
from arcbench.run.observer import RunObserver
from arcbench.run.records import now_iso
from arcbench.run.store import read_record, write_json_atomic

PLAN_FILE = "sweep.json"
TASK_SET_FIELDS = ("dataset", "subset", "data_dir", "limit")
"""Settings every configuration of a sweep shares: they choose the tasks."""


class SweepEntry(BaseModel):
    name: str
    """The configuration's name, also its run directory's."""
    config: RunConfig


class SweepPlan(BaseModel):
    schema_version: int = 1
    name: str
    repeats: int
    task_ids: list[str] = []
    entries: list[SweepEntry]
    created_at: str = ""


def folder_name(name: str) -> str:
    """A configuration or sweep name as a directory name."""
    return re.sub(r"[^A-Za-z0-9._=+,-]+", "-", name).strip("-") or "config"


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict) and k in ("client", "solve"):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _measured(config: RunConfig) -> dict[str, Any]:
    return {k: v for k, v in _flat(config.model_dump()).items() if k not in RESUME_SAFE}


def check_plan(plan: SweepPlan) -> None:
    """Raises UserError unless every configuration runs on the same tasks, names are distinct and non-empty."""
    if not plan.entries:
        raise UserError("the sweep has no configuration: add [[config]] tables or a [matrix]")
    seen: dict[str, str] = {}
    for e in plan.entries:
        folder = folder_name(e.name)
        if folder in seen:
            raise UserError(f"two configurations are named {seen[folder]!r} and {e.name!r}: give them distinct names")
        seen[folder] = e.name
    first = plan.entries[0]
    for e in plan.entries[1:]:
        for f in TASK_SET_FIELDS:
            a, b = getattr(first.config, f), getattr(e.config, f)
            if a != b:
                raise UserError(f"a sweep runs every configuration on one task set, but {f.replace('_', '-')} is "
                                f"{a!r} in {first.name!r} and {b!r} in {e.name!r}: set it once, in [base]")


def prepare(plan: SweepPlan, sweep_dir: Path) -> tuple[SweepPlan, list[LabelledTask]]:
    """The plan to run (the saved one's tasks when the folder holds a sweep already) and its tasks. Writes the plan
    for a new sweep; refuses a plan that would measure something else than the saved one."""
    check_plan(plan)
    path = sweep_dir / PLAN_FILE
    if path.exists():
        saved = read_record(path, SweepPlan, "sweep plan")
        _same_measurement(saved, plan, sweep_dir)
        plan = plan.model_copy(update={"task_ids": saved.task_ids, "created_at": saved.created_at})
        tasks = tasks_for_resume(SavedConfig.for_run(plan.entries[0].config, saved.task_ids))
        return plan, tasks
    tasks = select_tasks(plan.entries[0].config)
    if not tasks:
        raise UserError(f"subset {plan.entries[0].config.subset!r} selects no tasks")
    plan = plan.model_copy(update={"task_ids": [t.id for t in tasks], "created_at": now_iso()})
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, plan)
    return plan, tasks


def _same_measurement(saved: SweepPlan, plan: SweepPlan, sweep_dir: Path) -> None:
    again = f"(start another sweep with --output-dir, or restore the file {sweep_dir} was run with)"
    if [e.name for e in saved.entries] != [e.name for e in plan.entries] or saved.repeats != plan.repeats:
        raise UserError(f"{sweep_dir} holds a sweep of other configurations or repeats: {len(saved.entries)} "
                        f"configuration(s) x {saved.repeats}, named {', '.join(e.name for e in saved.entries)} "
                        + again)
    for old, new in zip(saved.entries, plan.entries, strict=True):
        a, b = _measured(old.config), _measured(new.config)
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                raise UserError(f"{sweep_dir}: configuration {new.name!r} was run with {key} = {a.get(key)!r}; the "
                                f"file now says {b.get(key)!r} " + again)


def complete(run_dir: Path, repeats: int) -> bool:
    """Whether a configuration's run directory holds a finished run (every repeat summarised)."""
    if repeats == 1:
        return (run_dir / "summary.json").is_file()
    return (run_dir / "aggregate.json").is_file() and all(
        (run_dir / f"run_{k}" / "summary.json").is_file() for k in range(1, repeats + 1))


async def run_sweep(plan: SweepPlan, tasks: list[LabelledTask], sweep_dir: Path, *,
                    observer: Callable[[int, SweepEntry], RunObserver] | None = None,
                    model_for: Callable[[ClientConfig], ChatModel] = make_model,
                    skipped: Callable[[int, SweepEntry], None] | None = None) -> list[Path]:
    """Run (or resume) every configuration of the plan in turn; their run directories, in plan order."""
    dirs = []
    for i, entry in enumerate(plan.entries):
        d = sweep_dir / folder_name(entry.name)
        dirs.append(d)
        if complete(d, plan.repeats):
            if skipped is not None:
                skipped(i, entry)
            continue
        model = model_for(entry.config.client)
        result: RunResult = await run(entry.config, model, d, tasks,
                                      observer=observer(i, entry) if observer is not None else None)
        del result
    return dirs
