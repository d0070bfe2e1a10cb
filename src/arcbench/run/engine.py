"""The run engine: many tasks at once, every call and turn on disk as it happens, resume, repeats.

The engine is the one place that holds both a `LabelledTask` and a strategy. It hands the strategy `lt.task` (no test
outputs) and gives the outputs to the scorer only after the task's attempts are chosen. It knows strategies only by
the `Strategy` seam and reports progress only to a `RunObserver`.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from pydantic import BaseModel

from arcbench.data import LabelledTask, load_pool, load_tasks
from arcbench.data.loading import all_tasks
from arcbench.errors import UserError
from arcbench.llm import ChatModel, ClientConfig, Notice, check_reachable
from arcbench.llm.reachability import unreachable
from arcbench.run.config import RunConfig, SavedConfig
from arcbench.run.eventlog import read_replay
from arcbench.run.observer import RunObserver, RunTotals, SilentObserver
from arcbench.run.recorder import CallRecorder
from arcbench.run.records import Aggregate, RunSummary, TaskLog, compact_task_log, now_iso
from arcbench.run.store import JsonlWriter, read_model, read_record, write_json_atomic, write_text_atomic
from arcbench.run.summary import TaskDigest, aggregate, digest, summarize
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.scoring import AttemptScore, score_attempt, score_task, test_oracle
from arcbench.solve import STRATEGIES, Solver, SolveSettings, choose_attempts


class RunResult(BaseModel):
    run_dir: Path
    summaries: list[RunSummary]
    aggregate: Aggregate | None = None


def select_tasks(config: RunConfig) -> list[LabelledTask]:
    tasks = load_tasks(config.dataset, config.subset, config.data_dir)
    return tasks[: config.limit] if config.limit is not None else tasks


def tasks_for_resume(saved: SavedConfig) -> list[LabelledTask]:
    c = saved.config
    known = all_tasks(load_pool(c.dataset, Path(c.data_dir) if c.data_dir else None))
    missing = [i for i in saved.task_ids if i not in known]
    if missing:
        raise UserError(f"cannot resume: task(s) {', '.join(missing[:5])} of this run are no longer in the dataset")
    return [known[i] for i in saved.task_ids]


async def _save_log(path: Path, log: TaskLog) -> None:
    """Rewrite a task log without holding up the other tasks in flight.

    The log is serialised here, while no turn can change it; the file system calls (create, write, rename: slow on
    some disks, thousands per run) go to a thread. Not fsynced: every call behind a turn is already durable in
    events.jsonl, which a resume replays.
    """
    text = json.dumps(compact_task_log(log), separators=(",", ":"))
    await asyncio.to_thread(write_text_atomic, path, text, False)


class _SaveSchedule:
    """When an unfinished task's log is rewritten (it is always written when the task ends): once its turns have
    doubled since the last write and `_SAVE_AFTER_S` has passed, or `_SAVE_EVERY_S` has. Rewriting after every turn
    cost the square of the turns (a thousand samples rewrote a growing file a thousand times) and, for short tasks,
    more CPU than their calls; this keeps the writing within about twice the final log. events.jsonl, not the task
    log, is what a resume reads."""

    def __init__(self) -> None:
        self._saved_turns = 0
        self._saved_at = time.monotonic()

    def due(self, turns: int) -> bool:
        waited = time.monotonic() - self._saved_at
        if (waited >= _SAVE_AFTER_S and turns - self._saved_turns >= max(1, self._saved_turns)) or \
                waited >= _SAVE_EVERY_S:
            self._saved_turns, self._saved_at = turns, time.monotonic()
            return True
        return False


_SAVE_AFTER_S = 5.0
_SAVE_EVERY_S = 30.0


def _limits(config: RunConfig) -> SandboxLimits:
    return SandboxLimits(timeout_s=config.exec_timeout_s, memory_mb=config.exec_memory_mb)


class _Run:
    """One run directory's worth of tasks (one repeat)."""

    def __init__(self, config: RunConfig, run_dir: Path, model: ChatModel, sandbox: Sandbox, observer: RunObserver,
                 totals: RunTotals) -> None:
        self.config = config
        self.dir = run_dir
        self.model = model
        self.sandbox = sandbox
        self.observer = observer
        self.totals = totals
        self.strategy = STRATEGIES[config.mode]
        self.settings = SolveSettings(max_turns=config.max_turns, stop_when=config.stop_when, limits=_limits(config),
                                      n_per_request=config.n_per_request, parallel_requests=config.parallel_requests)

    async def execute(self, tasks: list[LabelledTask]) -> RunSummary:
        start = time.monotonic()
        (self.dir / "tasks").mkdir(parents=True, exist_ok=True)
        events_path = self.dir / "events.jsonl"
        digests: dict[str, TaskDigest] = {}  # a finished task is kept as its digest: its turns can be many
        pending = []
        for lt in tasks:
            path = self._log_path(lt.id)
            if path.exists():
                log = read_record(path, TaskLog, "task log")
                if log.status != "in_progress":
                    digests[lt.id] = digest(log)
                    self._task_done(log, replayed=True)
                    continue
            pending.append(lt)
        replay = read_replay(events_path, {lt.id for lt in pending})
        events = JsonlWriter(events_path)
        urls = self.config.client.base_urls
        recorder = CallRecorder(self.model, events.append_all_durable, replay, on_notice=self._notice,
                                endpoints=[u for u in urls if u] if len(urls) > 1 else None)
        gate = asyncio.Semaphore(self.config.max_workers)

        async def one(lt: LabelledTask) -> None:
            async with gate:
                digests[lt.id] = digest(await self._solve(lt, recorder))

        try:
            await asyncio.gather(*(one(lt) for lt in pending))
        finally:
            events.close()
        ordered = [digests[lt.id] for lt in tasks]
        prior = 0.0
        if (self.dir / "summary.json").exists():  # a resumed run: count the time already spent
            prior = read_model(self.dir / "summary.json", RunSummary).wall_time_s
        summary = summarize(ordered, leaky=self.config.leaky, wall_time_s=prior + time.monotonic() - start)
        summary.endpoints = list(recorder.endpoints.values())
        write_json_atomic(self.dir / "summary.json", summary)
        return summary

    def _notice(self, notice: Notice) -> None:
        _tell(self.observer, notice.message)

    def _log_path(self, task_id: str) -> Path:
        return self.dir / "tasks" / f"{task_id}.json"

    def _task_done(self, log: TaskLog, replayed: bool = False) -> None:
        t = self.totals
        t.done += 1
        t.solved += bool(log.score and log.score.fully_solved)
        if replayed:  # ended before a resume: its calls were never counted in this process
            t.count(log.usage, log.cost_usd)
        self.observer.task_done(log, t, replayed=replayed)

    async def _solve(self, lt: LabelledTask, recorder: CallRecorder) -> TaskLog:
        task = lt.task
        log = TaskLog(task_id=task.id, train=[e.model_dump() for e in task.train], test_inputs=task.test_inputs,
                      started_at=now_iso())
        path = self._log_path(task.id)
        oracle = test_oracle(lt.test_outputs) if self.config.leaky and lt.test_outputs is not None else None
        settings = self.settings
        if self.config.leaky and oracle is None:  # unscored task: nothing to stop on
            settings = settings.model_copy(update={"stop_when": "never"})
        solver = Solver(task, self.strategy, recorder.for_task(task.id), self.sandbox, settings, oracle=oracle)
        schedule = _SaveSchedule()
        async for turn in solver.turns():
            log.turns.append(turn)
            log.count(turn)
            self.totals.count(turn.usage, turn.cost_usd)
            self.totals.errors += turn.error_kind is not None
            if schedule.due(len(log.turns)):
                await _save_log(path, log)
            self.observer.turn(task.id, turn, self.totals)

        # Attempts are fixed here, from training results and votes only; the scorer sees test outputs after.
        log.attempts = choose_attempts(log.turns, len(task.test_inputs))
        log.status = "api_failure" if solver.failure else "done"
        log.stop_reason = solver.stop_reason
        log.api_failures = sum(t.error_kind == "api_error" for t in log.turns)
        log.timeout_failures = sum(t.error_kind == "timeout" for t in log.turns)
        if lt.test_outputs is not None:
            log.score = score_task(task.id, [[a.output for a in att] for att in log.attempts], lt.test_outputs)
            scored: dict[int, list[AttemptScore]] = {}  # a program that was not run again has its runner's scores
            for t in log.turns:
                if t.test:
                    runner = t.same_program_as if t.same_program_as is not None else t.index
                    if runner not in scored:
                        scored[runner] = [score_attempt(r.output, e) for r, e in zip(t.test, lt.test_outputs,
                                                                                      strict=True)]
                    t.test_scores = scored[runner]
        log.finished_at = now_iso()
        await _save_log(path, log)
        self._task_done(log)
        return log


def _tell(observer: RunObserver, message: str) -> None:
    # An observer written before notices existed has no `notice`: it misses them, and the run goes on.
    notice = getattr(observer, "notice", None)
    if notice is not None:
        notice(message)


async def _check_endpoints(client: ClientConfig, observer: RunObserver) -> None:
    """One endpoint must answer before anything is paid for; of several, one is enough (the others are taken out
    when they fail, and may come back)."""
    urls = [u for u in client.base_urls if u]
    if len(urls) <= 1:
        await check_reachable(client.base_url)
        return
    problems = await asyncio.gather(*(unreachable(u) for u in urls))
    if all(problems):
        raise UserError(f"none of the {len(urls)} endpoints can be reached ({problems[0]}): are the servers running? "
                        "check --base-url")
    for url, problem in zip(urls, problems, strict=True):
        if problem:
            _tell(observer, f"endpoint {url} cannot be reached ({problem}): the others start without it")


async def run(config: RunConfig, model: ChatModel, run_dir: Path | str, tasks: list[LabelledTask] | None = None, *,
              observer: RunObserver | None = None) -> RunResult:
    """Run (or resume: the same call on an existing run directory) every repeat of a configured run.

    `tasks` defaults to the ones the config selects (a resume passes the saved ones). The model is closed at the end.
    Exported as `arcbench.evaluate`.
    """
    run_dir = Path(run_dir)
    watch = observer or SilentObserver()
    tasks = tasks if tasks is not None else select_tasks(config)
    if not tasks:
        raise UserError(f"subset {config.subset!r} selects no tasks")
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / "config.json").exists():
        write_json_atomic(run_dir / "config.json", SavedConfig.for_run(config, [t.id for t in tasks]))
    await _check_endpoints(config.client, watch)
    summaries = []
    with Sandbox(limits=_limits(config)) as sandbox:
        _ = sandbox.isolation  # a sandbox that cannot hide the benchmark refuses here, before any model call
        try:
            for k in range(1, config.repeat_runs + 1):
                sub = run_dir if config.repeat_runs == 1 else run_dir / f"run_{k}"
                if sub != run_dir and not (sub / "config.json").exists():
                    write_json_atomic(sub / "config.json", read_model(run_dir / "config.json", SavedConfig))
                totals = RunTotals(label="run" if config.repeat_runs == 1 else f"run {k}/{config.repeat_runs}",
                                   tasks=len(tasks))
                watch.started(totals)
                summary = None
                try:
                    summary = await _Run(config, sub, model, sandbox, watch, totals).execute(tasks)
                finally:
                    watch.finished(summary)
                summaries.append(summary)
        finally:
            await model.aclose()
    agg = None
    if config.repeat_runs > 1:
        agg = aggregate(summaries)
        write_json_atomic(run_dir / "aggregate.json", agg)
    return RunResult(run_dir=run_dir, summaries=summaries, aggregate=agg)
