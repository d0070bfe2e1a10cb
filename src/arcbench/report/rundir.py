"""Reading a run directory back for reporting: config, summary, task logs, and repeat runs.

Reporting is post-hoc: it may read the tasks' test outputs (to draw expected grids), because nothing here decides
what a model sees or which answer counts. Everything is read through the records models (config.json as the same
`SavedConfig` a resume reads), so the reader stays in step with what the run engine writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from arcbench.data.types import Grid
from arcbench.errors import UserError
from arcbench.prompts.images import png_of_part
from arcbench.report.curves import AnytimeCurve, curve_of_logs, needs_expected
from arcbench.run.config import SavedConfig
from arcbench.run.eventlog import read_call_events
from arcbench.run.records import Aggregate, RunSummary, TaskLog
from arcbench.run.store import read_record, repeat_dirs


@dataclass
class LoadedRun:
    """One run directory as read from disk. For repeat runs, `repeats` holds the run_<k> folders in order."""

    path: Path
    name: str
    config: SavedConfig | None
    """None when config.json is missing (a task log on its own, a hand-made folder)."""
    summary: RunSummary | None
    tasks: dict[str, TaskLog]
    aggregate: Aggregate | None = None
    repeats: list[LoadedRun] = field(default_factory=list)
    images: dict[str, list[bytes]] = field(default_factory=dict)
    """Per call id, the PNG images the call's new messages carried (--images), read from events.jsonl."""

    @property
    def is_repeat(self) -> bool:
        return bool(self.repeats)

    @property
    def label(self) -> str:
        """A short human name: the directory name plus the model, when the config knows it."""
        return f"{self.name} ({self.config.config.client.model})" if self.config else self.name

    @property
    def leaky(self) -> bool:
        return bool(self.config and self.config.config.leaky)


def _read_config(path: Path) -> SavedConfig | None:
    return read_record(path, SavedConfig, "run config") if path.is_file() else None


def read_task_log(path: Path) -> TaskLog:
    """One tasks/<task_id>.json file."""
    if not path.is_file():
        raise UserError(f"{path}: task log not found")
    return read_record(path, TaskLog)


def load_run(path: Path | str, *, _name: str | None = None, _config: SavedConfig | None = None) -> LoadedRun:
    """Read a run directory (single or repeat). A path that is not a run directory is a user error."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such run directory")
    if not path.is_dir():
        raise UserError(f"{path}: not a directory (expected a run directory with config.json and tasks/)")
    name = _name or path.resolve().name
    config = _read_config(path / "config.json") or _config
    repeats_found = repeat_dirs(path)
    if repeats_found:
        first_config = config or _read_config(repeats_found[0] / "config.json")
        repeats = [load_run(d, _name=f"{name}/{d.name}", _config=first_config) for d in repeats_found]
        agg_path = path / "aggregate.json"
        aggregate = read_record(agg_path, Aggregate) if agg_path.is_file() else None
        return LoadedRun(path=path, name=name, config=first_config, summary=None, tasks={}, aggregate=aggregate,
                         repeats=repeats)
    tasks_dir = path / "tasks"
    if not tasks_dir.is_dir() and not (path / "summary.json").is_file():
        raise UserError(f"{path}: not a run directory (no tasks/ folder, summary.json or run_<k>/ folders)")
    tasks: dict[str, TaskLog] = {}
    if tasks_dir.is_dir():
        for f in sorted(tasks_dir.glob("*.json")):
            log = read_record(f, TaskLog)
            tasks[log.task_id] = log
    summary_path = path / "summary.json"
    summary = read_record(summary_path, RunSummary) if summary_path.is_file() else None
    return LoadedRun(path=path, name=name, config=config, summary=summary, tasks=tasks,
                     images=sent_images(path / "events.jsonl"))


def sent_images(events_path: Path) -> dict[str, list[bytes]]:
    """Per call, the PNG images in the messages it added to its conversation (those after the model's last reply):
    what the model was shown as images at that turn. Only valid PNGs are kept. Empty for runs without images."""
    found: dict[str, list[bytes]] = {}
    if not events_path.is_file() or not _mentions(events_path, b'"image_url"'):
        return found  # most runs send no image: their calls are not rebuilt at all
    for event in read_call_events(events_path):
        messages = event.request.get("messages")
        if not isinstance(messages, list):
            continue
        last = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
                   default=-1)
        pngs = []
        for m in messages[last + 1:]:
            content = m.get("content") if isinstance(m, dict) else None
            for part in content if isinstance(content, list) else []:
                png = png_of_part(part)
                if png is not None and png.startswith(b"\x89PNG\r\n\x1a\n"):
                    pngs.append(png)
        if pngs:
            found[event.call_id] = pngs
    return found


def _mentions(path: Path, needle: bytes) -> bool:
    """Whether the file holds these bytes (read in blocks: event logs can be large)."""
    tail = b""
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


def expected_outputs(config: SavedConfig | None, logs: dict[str, TaskLog]) -> dict[str, list[Grid] | None]:
    """The test outputs of the run's tasks, from the dataset the config names; None for a task whose outputs are
    not available (dataset missing or moved, task unscored) or whose dataset copy no longer matches the log's test
    inputs (drawing someone else's answer would be worse than drawing none)."""
    from arcbench.data import load_pool

    out: dict[str, list[Grid] | None] = dict.fromkeys(logs)
    if not logs or config is None:
        return out
    data_dir = config.config.data_dir
    try:
        # The pool, not `load_tasks(ids)`: one load for any number of tasks, and ids that are gone are just absent.
        pool = load_pool(config.config.dataset, Path(data_dir) if data_dir else None)
    except (UserError, OSError):
        return out
    found = {tid: lt for split in pool.values() for tid, lt in split.items() if tid in logs}
    for tid, log in logs.items():
        lt = found.get(tid)
        if lt is not None and lt.test_outputs is not None and list(lt.task.test_inputs) == log.test_inputs:
            out[tid] = list(lt.test_outputs)
    return out


def load_curve(run: LoadedRun) -> AnytimeCurve | None:
    """The run's anytime curves (repeat runs pooled). The dataset is read only for logs written before turns carried
    the scorer's record of their test outputs."""
    logs = [log for r in (run.repeats or [run]) for log in r.tasks.values()]
    expected = expected_outputs(run.config, {log.task_id: log for log in logs}) if needs_expected(logs) else {}
    return curve_of_logs(logs, run.config.config if run.config else None, expected)
