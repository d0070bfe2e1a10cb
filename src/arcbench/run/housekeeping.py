"""A folder of run directories: what is in it (one line per run) and removing the runs a user no longer wants.

A run directory is a folder whose `config.json` is a run config arcbench wrote; anything else (a folder of notes, a
file, a symlink, a folder with someone else's config.json) is listed as skipped and never deleted. Runs are read
through the run directory's own records (config, summaries, task logs), so an interrupted or damaged run is described,
not a crash.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from arcbench.errors import UserError
from arcbench.llm.pricing import usd
from arcbench.run.config import SavedConfig, read_saved_config
from arcbench.run.records import Aggregate, RunSummary, TaskLog
from arcbench.run.store import read_record, repeat_dirs

RunState = Literal["complete", "incomplete", "damaged"]
ACTIVE_WITHIN_S = 600.0
"""An unfinished run written to this recently may still be running: `clean` leaves it alone."""


@dataclass(frozen=True)
class RunInfo:
    """One run directory (single or repeat) as `runs list` shows it."""

    path: Path
    created_at: str
    last_write: float
    """Newest modification time of the run's records (seconds since the epoch)."""
    dataset: str
    subset: str
    model: str
    mode: str
    repeats: int
    tasks_total: int
    """Task ids × repeats."""
    tasks_done: int
    score: float | None
    """The summary's score (mean over repeats) once complete; None before."""
    cost: float | None
    cost_known: bool
    state: RunState
    problem: str = ""
    """What is damaged, for a damaged run."""

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass
class _Part:
    done: int = 0
    score: float | None = None
    costs: list[float | None] = field(default_factory=list)
    complete: bool = False
    problem: str = ""


def _last_write(path: Path) -> float:
    """Newest mtime among the run's top files and folders, its repeats' and their tasks/ folders (an atomic rewrite of
    a task log renames into tasks/, which touches the folder)."""
    newest = path.stat().st_mtime
    for folder in [path, path / "tasks", *[p for d in repeat_dirs(path) for p in (d, d / "tasks")]]:
        try:
            with os.scandir(folder) as entries:
                for e in entries:
                    newest = max(newest, e.stat(follow_symlinks=False).st_mtime)
        except OSError:
            continue
    return newest


def _read_part(path: Path, task_ids: Sequence[str]) -> _Part:
    """One single run (or one repeat): complete when its summary covers every task, else counted from its logs."""
    part = _Part()
    try:
        summary_path = path / "summary.json"
        if summary_path.is_file():
            s = read_record(summary_path, RunSummary)
            if s.total_tasks == len(task_ids) and not s.budget_exhausted:
                return _Part(done=s.total_tasks, score=s.score, complete=True,
                             costs=[s.total_cost] if s.cost_known else [s.total_cost, None])
        tasks_dir = path / "tasks"
        for tid in task_ids:
            log_path = tasks_dir / f"{tid}.json"
            if log_path.is_file():
                log = read_record(log_path, TaskLog)
                part.done += log.status not in ("in_progress", "budget_exhausted")
                part.costs.append(log.cost_usd)
    except UserError as e:
        part.problem = str(e)
    return part


def read_run_info(path: Path) -> RunInfo:
    """A run directory's line. Raises UserError when `path` is not a run directory arcbench wrote."""
    if path.is_symlink():
        raise UserError(f"{path}: a symbolic link, not followed")
    saved: SavedConfig = read_saved_config(path)
    repeats = saved.config.repeat_runs
    ids = saved.task_ids
    if repeats > 1:
        found = {d.name: d for d in repeat_dirs(path)}
        parts = [_read_part(found[f"run_{k}"], ids) if f"run_{k}" in found else _Part() for k in range(1, repeats + 1)]
        agg_path = path / "aggregate.json"
        problem = next((p.problem for p in parts if p.problem), "")
        if not problem and agg_path.is_file():
            try:
                read_record(agg_path, Aggregate)
            except UserError as e:
                problem = str(e)
    else:
        parts = [_read_part(path, ids)]
        problem = parts[0].problem
    complete = all(p.complete for p in parts)
    scores = [p.score for p in parts if p.score is not None]
    costs = [c for p in parts for c in p.costs]
    known = [c for c in costs if c is not None]
    state: RunState = "damaged" if problem else "complete" if complete else "incomplete"
    return RunInfo(
        path=path, created_at=saved.created_at, last_write=_last_write(path), dataset=saved.config.dataset,
        subset=saved.config.subset, model=saved.config.client.model, mode=saved.config.mode, repeats=repeats,
        tasks_total=len(ids) * repeats,
        tasks_done=sum(p.done for p in parts), score=sum(scores) / len(scores) if complete and scores else None,
        cost=sum(known) if known else None if costs else 0.0, cost_known=len(known) == len(costs), state=state,
        problem=problem,
    )


def find_runs(root: Path) -> tuple[list[RunInfo], list[Skipped]]:
    """The run directories directly inside `root` (oldest first), and the entries that are not run directories."""
    if not root.exists():
        raise UserError(f"{root}: no such folder")
    if not root.is_dir():
        raise UserError(f"{root}: not a folder (pass the folder that holds run directories, e.g. runs)")
    if (root / "config.json").is_file():
        raise UserError(f"{root} is itself a run directory: pass the folder that holds it ({root.resolve().parent})")
    runs: list[RunInfo] = []
    skipped: list[Skipped] = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.is_symlink():
            if entry.is_symlink() or not entry.name.startswith("."):
                skipped.append(Skipped(entry, "a symbolic link" if entry.is_symlink() else "a file"))
            continue
        try:
            runs.append(read_run_info(entry))
        except UserError as e:
            reason = str(e).replace(f"{entry}{os.sep}", "").removeprefix(f"{entry}: ").split(" — ")[0]
            skipped.append(Skipped(entry, reason))
    runs.sort(key=lambda r: (r.created_at, r.name))
    return runs, skipped


# --- Choosing what to clean (pure) ----------------------------------------------------------------------------------

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """'30d' -> seconds. Units: s, m (minutes), h, d, w."""
    m = _AGE.match(text)
    if not m:
        raise UserError(f"--older-than takes a number and a unit (s, m, h, d or w), e.g. 30d or 12h (got {text!r})")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


def name_matches(name: str, pattern: str) -> bool:
    """Shell-style pattern on the folder name; a pattern without wildcards matches as a part of the name."""
    if not any(c in pattern for c in "*?["):
        return pattern in name
    return fnmatch.fnmatchcase(name, pattern)


def select_runs(runs: Sequence[RunInfo], *, incomplete: bool = False, older_than_s: float | None = None,
                match: str | None = None, now: float | None = None) -> tuple[list[RunInfo], list[tuple[RunInfo, str]]]:
    """The runs every given criterion selects, and the selected runs held back with why (an unfinished run written to
    in the last minutes may still be running)."""
    if not incomplete and older_than_s is None and match is None:
        raise UserError("say which runs to clean: --incomplete, --older-than AGE and/or --match PATTERN")
    now = time.time() if now is None else now
    chosen: list[RunInfo] = []
    held: list[tuple[RunInfo, str]] = []
    for r in runs:
        if incomplete and r.state == "complete":
            continue
        if older_than_s is not None and now - r.last_write < older_than_s:
            continue
        if match is not None and not name_matches(r.name, match):
            continue
        if r.state != "complete" and now - r.last_write < ACTIVE_WITHIN_S:
            held.append((r, f"unfinished and written to {_ago(now - r.last_write)} ago, it may still be running"))
            continue
        chosen.append(r)
    return chosen, held


def delete_run(run: RunInfo) -> None:
    """Remove a run directory, after checking once more that it is one (the folder may have changed since listing)."""
    read_run_info(run.path)
    shutil.rmtree(run.path)


def folder_size(path: Path) -> int:
    """Bytes of the files under `path`, symbolic links not followed."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                continue
    return total


# --- Text (pure) ----------------------------------------------------------------------------------------------------


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    size, unit = n / 1000, "kB"
    for bigger in ("MB", "GB"):
        if round(size, 1) < 1000:
            break
        size, unit = size / 1000, bigger
    return f"{size:.1f} {unit}"


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso or "?"


def state_text(r: RunInfo) -> str:
    text = r.state + (f", {r.repeats} runs" if r.repeats > 1 else "")
    return f"{text}: {r.problem}" if r.problem else text


_SUBSET_WIDTH = 32
"""A subset given as a list of task ids can be thousands of characters: shown cut."""


def run_lines(runs: Sequence[RunInfo]) -> list[str]:
    """A header and one aligned line per run: when (UTC), run, dataset / subset, model, mode, tasks done, score, cost,
    state."""
    header = ("when (UTC)", "run", "dataset / subset", "model", "mode", "tasks", "score", "cost", "state")
    rows = [header]
    for r in runs:
        cost = "unknown" if r.cost is None else usd(r.cost) + ("" if r.cost_known else "+")
        subset = r.subset if len(r.subset) <= _SUBSET_WIDTH else r.subset[:_SUBSET_WIDTH - 1] + "…"
        rows.append((_when(r.created_at), r.name, f"{r.dataset} / {subset}", r.model, r.mode,
                     f"{r.tasks_done}/{r.tasks_total}", "–" if r.score is None else f"{r.score:.1%}", cost,
                     state_text(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    right = {5, 6, 7}
    return ["  ".join([*(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                                 strict=False))),
                       row[-1]]) for row in rows]
