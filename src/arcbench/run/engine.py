"""The run engine: many tasks at once, every call and turn on disk as it happens, resume, repeats.

The engine is the one place that holds both a `LabelledTask` and a solver. It hands the solver `lt.task` (no test
outputs) and gives the outputs to the scorer only after the task's attempts are chosen.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from pydantic import BaseModel
from rich.console import Console

from arcbench import __version__
from arcbench.data import load_pool, load_tasks
from arcbench.data.loading import all_tasks
from arcbench.data.types import LabelledTask
from arcbench.errors import UserError
from arcbench.llm.base import ChatModel
from arcbench.prompts.render import template_hash
from arcbench.run.config import RunConfig, SavedConfig
from arcbench.run.progress import RunProgress
from arcbench.run.records import Aggregate, CallEvent, RunSummary, TaskLog, Turn, Usage, now_iso
from arcbench.run.store import JsonlWriter, dump_json, read_jsonl, read_model, write_json_atomic, write_text_atomic
from arcbench.run.summary import aggregate, summarize
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.scoring import score_attempt, score_task, test_oracle
from arcbench.solve.select import choose_attempts
from arcbench.solve.solver import CallSource, SolveSettings, TaskSolver


class RunResult(BaseModel):
    run_dir: Path
    summaries: list[RunSummary]
    aggregate: Aggregate | None = None


def select_tasks(config: RunConfig) -> list[LabelledTask]:
    tasks = load_tasks(config.dataset, config.subset, config.data_dir)
    return tasks[: config.limit] if config.limit is not None else tasks


def saved_config(config: RunConfig, tasks: list[LabelledTask]) -> SavedConfig:
    return SavedConfig(
        arcbench_version=__version__, template_hash=template_hash(), created_at=now_iso(),
        task_ids=[t.id for t in tasks], config=config, dataset=config.dataset, subset=config.subset,
        data_dir=config.data_dir, model=config.client.model, base_url=config.client.base_url, mode=config.mode,
        max_turns=config.max_turns, stop_when=config.stop_when, leaky=config.leaky,
    )


def tasks_for_resume(saved: SavedConfig) -> list[LabelledTask]:
    c = saved.config
    known = all_tasks(load_pool(c.dataset, Path(c.data_dir) if c.data_dir else None))
    missing = [i for i in saved.task_ids if i not in known]
    if missing:
        raise UserError(f"cannot resume: task(s) {', '.join(missing[:5])} of this run are no longer in the dataset")
    return [known[i] for i in saved.task_ids]


async def preflight(config: RunConfig) -> None:
    """Fail early, in one line, when the endpoint cannot be reached at all (a typo in --base-url, a server that is
    not running). Any HTTP answer, even an error, means the server is there; the client deals with the rest."""
    base = config.client.base_url
    if base is None:
        return
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            await client.get(base.rstrip("/") + "/models")
    except (httpx.ConnectError, httpx.ConnectTimeout) as e:
        raise UserError(f"cannot reach {base} ({type(e).__name__}): is the server running? check --base-url") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
        raise UserError(f"--base-url {base!r} is not a usable URL ({e})") from None
    except httpx.HTTPError:
        return


def _replay_cache(events_path: Path) -> dict[tuple[str, int], CallEvent]:
    """Successful calls already on disk, by (task, turn index): a resumed run reuses them instead of paying again."""
    cache: dict[tuple[str, int], CallEvent] = {}
    for raw in read_jsonl(events_path):
        if raw.get("type") != "call":
            continue
        ev = CallEvent.model_validate(raw)
        if ev.error_kind is None:
            cache[(ev.task_id, ev.turn)] = ev
    return cache


def _tally(log: TaskLog) -> None:
    usage = Usage()
    cost: float | None = 0.0
    for t in log.turns:
        for f in Usage.model_fields:
            setattr(usage, f, getattr(usage, f) + getattr(t.usage, f))
        cost = None if cost is None or t.cost_usd is None else cost + t.cost_usd
    log.usage = usage
    log.cost_usd = cost


async def _save_log(path: Path, log: TaskLog) -> None:
    """Rewrite a task log without holding up the other tasks in flight.

    The log is serialised here, while no turn can change it; the file system calls (create, write, rename: slow on
    some disks, thousands per run) go to a thread. Not fsynced: every call behind a turn is already durable in
    events.jsonl, which a resume replays.
    """
    text = dump_json(log, pretty=False)
    await asyncio.to_thread(write_text_atomic, path, text, False)


class _Run:
    """One run directory's worth of tasks (one repeat)."""

    def __init__(self, config: RunConfig, run_dir: Path, model: ChatModel, sandbox: Sandbox,
                 progress: RunProgress) -> None:
        self.config = config
        self.dir = run_dir
        self.model = model
        self.sandbox = sandbox
        self.progress = progress
        self.settings = SolveSettings(
            mode=config.mode, max_turns=config.max_turns, stop_when=config.stop_when,
            limits=SandboxLimits(timeout_s=config.exec_timeout_s, memory_mb=config.exec_memory_mb),
        )

    async def execute(self, tasks: list[LabelledTask]) -> RunSummary:
        start = time.monotonic()
        (self.dir / "tasks").mkdir(parents=True, exist_ok=True)
        events_path = self.dir / "events.jsonl"
        replay = _replay_cache(events_path)
        events = JsonlWriter(events_path)

        async def on_call(event: CallEvent) -> None:
            await events.append_durable(event)

        calls = CallSource(self.model, replay, on_call)
        logs: dict[str, TaskLog] = {}
        pending = []
        for lt in tasks:
            path = self._log_path(lt.id)
            if path.exists():
                log = read_model(path, TaskLog)
                if log.status != "in_progress":
                    logs[lt.id] = log
                    self.progress.task_done(log, replayed=True)
                    continue
            pending.append(lt)

        gate = asyncio.Semaphore(self.config.max_workers)

        async def one(lt: LabelledTask) -> None:
            async with gate:
                logs[lt.id] = await self._solve(lt, calls)

        try:
            await asyncio.gather(*(one(lt) for lt in pending))
        finally:
            events.close()
        ordered = [logs[lt.id] for lt in tasks]
        prior = 0.0
        if (self.dir / "summary.json").exists():  # a resumed run: count the time already spent
            prior = read_model(self.dir / "summary.json", RunSummary).wall_time_s
        summary = summarize(ordered, leaky=self.config.leaky, wall_time_s=prior + time.monotonic() - start)
        write_json_atomic(self.dir / "summary.json", summary)
        return summary

    def _log_path(self, task_id: str) -> Path:
        return self.dir / "tasks" / f"{task_id}.json"

    async def _solve(self, lt: LabelledTask, calls: CallSource) -> TaskLog:
        task = lt.task
        log = TaskLog(task_id=task.id, train=[e.model_dump() for e in task.train], test_inputs=task.test_inputs,
                      started_at=now_iso())
        path = self._log_path(task.id)

        async def on_turn(turn: Turn) -> None:
            _tally(log)
            await _save_log(path, log)
            self.progress.turn(task.id, turn)

        oracle = test_oracle(lt.test_outputs) if self.config.leaky and lt.test_outputs is not None else None
        settings = self.settings
        if self.config.leaky and oracle is None:  # unscored task: nothing to stop on
            settings = settings.model_copy(update={"stop_when": "never"})
        solver = TaskSolver(task, calls, self.sandbox, settings, on_turn=on_turn, oracle=oracle)
        log.turns = solver.turns
        outcome = await solver.solve()

        # Attempts are fixed here, from training results and votes only; the scorer sees test outputs after.
        log.attempts = choose_attempts(outcome.turns, len(task.test_inputs))
        log.status = "api_failure" if outcome.failure else "done"
        log.stop_reason = outcome.stop_reason
        log.api_failures = sum(t.error_kind == "api_error" for t in outcome.turns)
        log.timeout_failures = sum(t.error_kind == "timeout" for t in outcome.turns)
        if lt.test_outputs is not None:
            log.score = score_task(task.id, [[a.output for a in att] for att in log.attempts], lt.test_outputs)
            for t in outcome.turns:
                if t.test:
                    t.test_scores = [score_attempt(r.output, e) for r, e in zip(t.test, lt.test_outputs, strict=True)]
        log.finished_at = now_iso()
        _tally(log)
        await _save_log(path, log)
        self.progress.task_done(log)
        return log


async def run(config: RunConfig, model: ChatModel, run_dir: Path, console: Console,
              tasks: list[LabelledTask] | None = None) -> RunResult:
    """Run (or resume: the same call on an existing run directory) every repeat of a configured run."""
    tasks = tasks if tasks is not None else select_tasks(config)
    if not tasks:
        raise UserError(f"subset {config.subset!r} selects no tasks")
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / "config.json").exists():
        write_json_atomic(run_dir / "config.json", saved_config(config, tasks))
    await preflight(config)
    summaries = []
    with Sandbox(limits=SandboxLimits(timeout_s=config.exec_timeout_s, memory_mb=config.exec_memory_mb)) as sandbox:
        _ = sandbox.isolation  # a sandbox that cannot hide the benchmark refuses here, before any model call
        try:
            for k in range(1, config.repeat_runs + 1):
                sub = run_dir if config.repeat_runs == 1 else run_dir / f"run_{k}"
                if sub != run_dir and not (sub / "config.json").exists():
                    write_json_atomic(sub / "config.json", read_model(run_dir / "config.json", SavedConfig))
                label = "run" if config.repeat_runs == 1 else f"run {k}/{config.repeat_runs}"
                with RunProgress(console, len(tasks), label, quiet=config.quiet) as progress:
                    summaries.append(await _Run(config, sub, model, sandbox, progress).execute(tasks))
        finally:
            await model.aclose()
    agg = None
    if config.repeat_runs > 1:
        agg = aggregate(summaries)
        write_json_atomic(run_dir / "aggregate.json", agg)
    return RunResult(run_dir=run_dir, summaries=summaries, aggregate=agg)
