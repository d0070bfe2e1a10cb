"""The run engine: many tasks at once, every call and turn on disk as it happens, resume, repeats.

The engine is the one place that holds both a `LabelledTask` and a strategy. It hands the strategy `lt.task` (no test
outputs) and gives the outputs to the scorer only after the task's attempts are chosen. It knows strategies only by
the `Strategy` seam and reports progress only to a `RunObserver`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from arcbench.data import LabelledTask, load_pool, load_tasks
from arcbench.data.loading import all_tasks
from arcbench.errors import UserError
from arcbench.llm import ChatModel, ClientConfig, Notice, check_reachable
from arcbench.llm.reachability import unreachable
from arcbench.run.budget import Budget, BudgetExhausted, BudgetReport, logged_spend
from arcbench.run.config import RunConfig, SavedConfig
from arcbench.run.eventlog import read_replay
from arcbench.run.observer import RunObserver, RunTotals, SilentObserver
from arcbench.run.recorder import CallRecorder
from arcbench.run.records import Aggregate, RunSummary, TaskLog, compact_task_log, now_iso
from arcbench.run.store import (
    JsonlWriter,
    read_model,
    read_record,
    repeat_dirs,
    write_json_atomic,
    write_text_atomic,
)
from arcbench.run.summary import TaskDigest, aggregate, digest, summarize
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.scoring import AttemptScore, score_attempt, score_task, test_oracle
from arcbench.solve import STRATEGIES, Solver, SolveSettings, choose_attempts

if TYPE_CHECKING:
    from arcbench.sandbox.ray_pool import RaySandbox


class RunResult(BaseModel):
    run_dir: Path
    summaries: list[RunSummary]
    aggregate: Aggregate | None = None
    budget: BudgetReport | None = None
    """Where the money stands, for a run with a budget (--max-cost)."""


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
    more CPU than their calls; this keeps the writing within about twice the final log, and a task that ends within
    `_SAVE_AFTER_S` is written once. events.jsonl, not the task log, is what a resume reads."""

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


_SAVE_AFTER_S = 15.0
_SAVE_EVERY_S = 60.0


def _limits(config: RunConfig) -> SandboxLimits:
    return SandboxLimits(timeout_s=config.exec_timeout_s, memory_mb=config.exec_memory_mb)


def _executor(config: RunConfig) -> Sandbox | RaySandbox:
    """This machine's sandbox pool, or (executor "ray") one pool per node of a Ray cluster, which runs the same
    `Sandbox` on each node and is used the same way."""
    if config.executor == "ray":
        from arcbench.sandbox.ray_pool import RaySandbox

        return RaySandbox(config.ray_address, limits=_limits(config))
    return Sandbox(limits=_limits(config))


class _Run:
    """One run directory's worth of tasks (one repeat)."""

    def __init__(self, config: RunConfig, run_dir: Path, model: ChatModel, sandbox: Sandbox | RaySandbox,
                 observer: RunObserver, totals: RunTotals) -> None:
        self.config = config
        self.dir = run_dir
        self.model = model
        self.sandbox = sandbox
        self.observer = observer
        self.totals = totals
        self._prior_s = 0.0
        """Wall time of the run's earlier sessions (a resumed run)."""
        self._session_start = time.monotonic()
        self.strategy = STRATEGIES[config.mode]
        self.settings = SolveSettings(max_turns=config.max_turns, stop_when=config.stop_when, limits=_limits(config),
                                      options=config.solve, n_per_request=config.n_per_request,
                                      parallel_requests=config.parallel_requests)

    async def execute(self, tasks: list[LabelledTask]) -> RunSummary:
        self._session_start = time.monotonic()
        (self.dir / "tasks").mkdir(parents=True, exist_ok=True)
        events_path = self.dir / "events.jsonl"
        digests: dict[str, TaskDigest] = {}  # a finished task is kept as its digest: its turns can be many
        pending = []
        if (self.dir / "summary.json").exists():  # a resumed run that had finished once
            self._prior_s = read_model(self.dir / "summary.json", RunSummary).wall_time_s
        for lt in tasks:
            path = self._log_path(lt.id)
            if path.exists():
                log = read_record(path, TaskLog, "task log")
                # A session killed before its summary left its time in the logs it wrote last.
                self._prior_s = max(self._prior_s, log.run_elapsed_s)
                # A task that ended on a failed call is tried again (a dead server, now back): its calls that
                # succeeded are replayed from events.jsonl, so only the failed one and what follows are paid for.
                # A task the budget stopped is finished by a resume with a higher budget.
                if log.status == "done":
                    digests[lt.id] = digest(log)
                    self._task_done(log, replayed=True)
                    continue
            pending.append(lt)
        replay = read_replay(events_path, {lt.id for lt in pending})
        # A session killed between task log writes left its time in the calls it wrote last.
        self._prior_s = max(self._prior_s, replay.run_elapsed_s)
        events = JsonlWriter(events_path)
        urls = self.config.client.base_urls
        recorder = CallRecorder(self.model, events.append_all_durable, replay, on_notice=self._notice,
                                endpoints=[u for u in urls if u] if len(urls) > 1 else None, clock=self._elapsed)

        gate = asyncio.Semaphore(self.config.max_workers)

        async def one(lt: LabelledTask) -> None:
            async with gate:
                digests[lt.id] = digest(await self._solve(lt, recorder))

        try:
            await asyncio.gather(*(one(lt) for lt in pending))
        finally:
            events.close()
        ordered = [digests[lt.id] for lt in tasks]
        summary = summarize(ordered, leaky=self.config.leaky, wall_time_s=self._elapsed())
        summary.endpoints = list(recorder.endpoints.values())
        write_json_atomic(self.dir / "summary.json", summary)
        return summary

    def _notice(self, notice: Notice) -> None:
        _tell(self.observer, notice.message)

    def _elapsed(self) -> float:
        """The run's wall time so far: earlier sessions' and this one's."""
        return self._prior_s + time.monotonic() - self._session_start

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
        calls = recorder.for_task(task.id)
        solver = Solver(task, self.strategy, calls, self.sandbox, settings, oracle=oracle, journal=calls)
        out_of_money = False
        schedule = _SaveSchedule()
        try:
            async for turn in solver.turns():
                # In index order: a check made mid-round (--generalise-check) is shown before the rest of its round.
                bisect.insort(log.turns, turn, key=lambda t: t.index)
                log.count(turn)
                self.totals.count(turn.usage, turn.cost_usd)
                self.totals.errors += turn.error_kind is not None
                log.run_elapsed_s = self._elapsed()
                if schedule.due(len(log.turns)):
                    await _save_log(path, log)
                self.observer.turn(task.id, turn, self.totals)
        except BudgetExhausted:  # no new call may start: the task ends unfinished, for a resume to finish
            out_of_money = True

        # Attempts are fixed here, from training results and votes only; the scorer sees test outputs after.
        log.attempts = choose_attempts(log.turns, len(task.test_inputs), vote_by=getattr(self.strategy, "vote_by",
                                                                                          "turn"))
        log.status = "budget_exhausted" if out_of_money else "api_failure" if solver.failure else "done"
        log.stop_reason = "max_cost" if out_of_money else solver.stop_reason
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
        log.run_elapsed_s = self._elapsed()
        await _save_log(path, log)
        self._task_done(log)
        return log


class _Start:
    """What starting a run made in its directory, so that a start that fails before any call can take it back."""

    def __init__(self, run_dir: Path, made_dir: bool, made_config: bool) -> None:
        self.run_dir = run_dir
        self.made_dir = made_dir
        self.made_config = made_config

    def undo_if_unused(self) -> None:
        if not self.made_config or any(p.stat().st_size for p in self.run_dir.rglob("events.jsonl")):
            return
        if self.made_dir:  # all of it is this start's
            shutil.rmtree(self.run_dir, ignore_errors=True)
            return
        # A folder the user made: only what a start writes goes, and only while empty (no call means no task log).
        for folder in [*repeat_dirs(self.run_dir), self.run_dir]:
            (folder / "config.json").unlink(missing_ok=True)
            events = folder / "events.jsonl"
            if events.is_file() and events.stat().st_size == 0:
                events.unlink()
            for empty in (folder / "tasks", folder if folder != self.run_dir else None):
                if empty is not None:
                    with contextlib.suppress(OSError):  # not empty: not this start's alone, so it stays
                        empty.rmdir()


def _start(run_dir: Path, config: RunConfig, tasks: list[LabelledTask]) -> _Start:
    """Make the run directory and its config.json, unless they exist (a resume)."""
    made_dir = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    made_config = not (run_dir / "config.json").exists()
    if made_config:
        write_json_atomic(run_dir / "config.json", SavedConfig.for_run(config, [t.id for t in tasks]))
    return _Start(run_dir, made_dir, made_config)


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
    if config.executor == "ray":  # a missing extra or a wrong address is one line before anything is written
        from arcbench.sandbox.ray_pool import check_address, require_ray

        require_ray()
        check_address(config.ray_address)
    tasks = tasks if tasks is not None else select_tasks(config)
    if not tasks:
        raise UserError(f"subset {config.subset!r} selects no tasks")
    budget = None
    if config.max_cost_usd is not None:
        budget = Budget(config.max_cost_usd, config, *logged_spend(run_dir))
        model = budget.wrap(model)
    # Everything that can refuse the start is checked before the run directory is made, so that a failed start
    # leaves nothing behind for later commands to trip over ("already holds a run", "not a run directory").
    await _check_endpoints(config.client, watch)
    summaries = []
    with _executor(config) as sandbox:
        _ = sandbox.isolation  # a sandbox that cannot hide the benchmark refuses here, before any model call
        started = _start(run_dir, config, tasks)
        try:
            for k in range(1, config.repeat_runs + 1):
                sub = run_dir if config.repeat_runs == 1 else run_dir / f"run_{k}"
                if sub != run_dir and not (sub / "config.json").exists():
                    write_json_atomic(sub / "config.json", read_model(run_dir / "config.json", SavedConfig))
                totals = RunTotals(label="run" if config.repeat_runs == 1 else f"run {k}/{config.repeat_runs}",
                                   tasks=len(tasks), max_cost_usd=config.max_cost_usd)
                watch.started(totals)
                summary = None
                try:
                    summary = await _Run(config, sub, model, sandbox, watch, totals).execute(tasks)
                finally:
                    watch.finished(summary)
                summaries.append(summary)
        except UserError:
            # A mistake found at the first call (a rejected key, an unknown model): a run that never recorded a
            # call is not a run. What this start made goes; a folder the user made stays.
            started.undo_if_unused()
            raise
        finally:
            await model.aclose()
    agg = None
    if config.repeat_runs > 1:
        agg = aggregate(summaries)
        write_json_atomic(run_dir / "aggregate.json", agg)
    return RunResult(run_dir=run_dir, summaries=summaries, aggregate=agg,
                     budget=budget.report() if budget is not None else None)
