"""Reading programs out of run directories: every turn of every task, every repeat, deduplicated by normalised source.

Two programs that differ only in comments, blank lines or formatting run the same way, so a fine-tuning set that kept
both would weight one idea twice. The key is `arcbench.solve.normalise_source` (the one a run uses to execute each
program once). Programs are kept per task: the same source on two tasks makes two relabelled examples.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from arcbench.data.types import Example, Task
from arcbench.errors import UserError
from arcbench.run.config import SavedConfig, read_saved_config
from arcbench.run.records import TaskLog
from arcbench.run.store import read_record, repeat_dirs
from arcbench.solve.normalise import normalise_source


class ProgramSource(BaseModel):
    """Where one copy of a program was written: the run directory and the turn of the task's log."""

    run_dir: str
    turn: int
    """`Turn.index`: position among the task's model calls."""
    sample: int = 0
    turn_in_sample: int = 1


class FoundProgram(BaseModel):
    """One distinct program of one task, with every place it appeared."""

    task_id: str
    code: str
    """The source as first written (the normalised form is only the dedupe key)."""
    key: str
    sources: list[ProgramSource] = Field(default_factory=list)


class RunLimits(BaseModel):
    """The sandbox limits the runs used; re-execution uses the most generous, so that a program that ran within its
    run's limits is not cut short here."""

    timeout_s: float = 1.0
    memory_mb: int = 512


class Extraction(BaseModel):
    programs: list[FoundProgram]
    """Distinct programs, in reading order (run directories as given, tasks by id, turns in order)."""
    tasks: dict[str, Task]
    found: int
    """Programs read before deduplication."""
    run_dirs: list[str]
    """Every directory whose task logs were read (repeat subfolders included)."""
    limits: RunLimits


def _run_folders(run_dir: Path) -> list[Path]:
    """The folders holding task logs: the run itself, or its repeat subfolders run_1, run_2, ..."""
    repeats = repeat_dirs(run_dir)
    folders = [run_dir] if (run_dir / "tasks").is_dir() else []
    return folders + [p for p in repeats if (p / "tasks").is_dir()]


def _task_from_log(log: TaskLog) -> Task | None:
    if not log.train or not log.test_inputs:
        return None
    return Task(id=log.task_id, train=[Example(input=p["input"], output=p["output"]) for p in log.train],
                test_inputs=log.test_inputs)


def _task_from_dataset(config: SavedConfig, task_id: str, where: Path, pools: dict[tuple, dict]) -> Task:
    """A task whose log holds no grids (an older or hand-made log): its grids come from the run's dataset."""
    from arcbench.data.loading import all_tasks, load_pool

    c = config.config
    if (c.dataset, c.data_dir) not in pools:
        pools[(c.dataset, c.data_dir)] = all_tasks(load_pool(c.dataset, Path(c.data_dir) if c.data_dir else None))
    known = pools[(c.dataset, c.data_dir)]
    if task_id not in known:
        raise UserError(f"{where}: task {task_id} has no grids in its log and is not in dataset {c.dataset}"
                        + (f" (--data-dir {c.data_dir})" if c.data_dir else ""))
    return known[task_id].task


def read_runs(run_dirs: list[Path]) -> Extraction:
    """Every program of the given run directories, deduplicated per task, with the tasks' grids."""
    if not run_dirs:
        raise UserError("pass at least one run directory")
    by_key: dict[tuple[str, str], FoundProgram] = {}
    tasks: dict[str, Task] = {}
    where_task: dict[str, Path] = {}
    found = 0
    read_dirs: list[str] = []
    limits: RunLimits | None = None
    pools: dict[tuple, dict] = {}
    for run_dir in run_dirs:
        config = read_saved_config(run_dir)
        folders = _run_folders(run_dir)
        if not folders:
            raise UserError(f"{run_dir}: no task logs (no tasks/ folder) — did the run start?")
        run_limits = RunLimits(timeout_s=config.config.exec_timeout_s, memory_mb=config.config.exec_memory_mb)
        limits = run_limits if limits is None else RunLimits(timeout_s=max(limits.timeout_s, run_limits.timeout_s),
                                                             memory_mb=max(limits.memory_mb, run_limits.memory_mb))
        for folder in folders:
            read_dirs.append(str(folder))
            for path in sorted((folder / "tasks").glob("*.json")):
                log = read_record(path, TaskLog)
                codes = [t for t in log.turns if t.code and t.code.strip()]
                if not codes:
                    continue
                task = _task_from_log(log) or _task_from_dataset(config, log.task_id, path, pools)
                known = tasks.get(log.task_id)
                if known is None:
                    tasks[log.task_id], where_task[log.task_id] = task, path
                elif (known.train, known.test_inputs) != (task.train, task.test_inputs):
                    raise UserError(f"task {log.task_id} has different grids in {where_task[log.task_id]} and {path}: "
                                    "pass run directories of one dataset")
                for turn in codes:
                    assert turn.code is not None
                    found += 1
                    key = normalise_source(turn.code)
                    prog = by_key.get((log.task_id, key))
                    if prog is None:
                        prog = by_key[(log.task_id, key)] = FoundProgram(task_id=log.task_id, code=turn.code, key=key)
                    prog.sources.append(ProgramSource(run_dir=str(folder), turn=turn.index, sample=turn.sample,
                                                      turn_in_sample=turn.turn_in_sample))
    if not by_key:
        raise UserError(f"no programs found in {', '.join(str(d) for d in run_dirs)} (no turn produced code)")
    return Extraction(programs=list(by_key.values()), tasks=tasks, found=found, run_dirs=read_dirs,
                      limits=limits or RunLimits())
