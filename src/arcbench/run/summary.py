"""From task logs to a run summary, and from run summaries to repeat-run statistics. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arcbench.llm import FailureKind, Usage
from arcbench.run.records import Aggregate, RunSummary, TaskLog, TaskSummary
from arcbench.run.stats import describe
from arcbench.scoring import TaskScore, score_run


def turn1_solved(log: TaskLog) -> bool:
    """The task's first program got every test input right (scored after the fact)."""
    if not log.turns or log.turns[0].test_scores is None:
        return False
    scores = log.turns[0].test_scores
    return bool(scores) and all(s.correct for s in scores)


def task_summary(log: TaskLog) -> TaskSummary:
    return TaskSummary(
        task_id=log.task_id, status=log.status, score=log.score.score if log.score else None,
        fully_solved=bool(log.score and log.score.fully_solved), turn1_solved=turn1_solved(log),
        turns=len(log.turns), pixel_accuracy=log.score.pixel_accuracy if log.score else None,
        tokens=log.usage.total_tokens, cost_usd=log.cost_usd, api_failures=log.api_failures,
        timeout_failures=log.timeout_failures,
    )


@dataclass(frozen=True)
class TaskDigest:
    """What the run summary needs of a finished task: kept in place of its log, whose turns can be many."""

    summary: TaskSummary
    score: TaskScore | None
    failure: FailureKind | None
    status: str
    usage: Usage
    turns: int
    calls: int
    failed_calls: int
    executions: int
    executions_saved: int


def digest(log: TaskLog) -> TaskDigest:
    ran = [t for t in log.turns if t.code is not None]
    return TaskDigest(
        summary=task_summary(log), score=log.score, failure=log.failure, status=log.status, usage=log.usage,
        turns=len(log.turns), calls=len({t.call_id for t in log.turns}),
        failed_calls=sum(t.error_kind is not None for t in log.turns),
        executions=sum(t.same_program_as is None for t in ran),
        executions_saved=sum(t.same_program_as is not None for t in ran),
    )


def summarize(logs: Sequence[TaskLog | TaskDigest], *, leaky: bool, wall_time_s: float) -> RunSummary:
    """The run summary of these tasks (their logs, or the digests a run keeps of them)."""
    tasks = [d if isinstance(d, TaskDigest) else digest(d) for d in logs]
    scored = [d.score for d in tasks if d.score is not None]
    run = score_run(scored)
    costs = [d.summary.cost_usd for d in tasks]
    known = [c for c in costs if c is not None]
    prompt_tokens = sum(d.usage.prompt_tokens for d in tasks)
    cached_tokens = sum(d.usage.cached_tokens for d in tasks)
    return RunSummary(
        total_tasks=len(tasks),
        scored_tasks=len(scored),
        score=run.score,
        tasks_fully_solved=run.tasks_fully_solved,
        task_accuracy=run.task_accuracy,
        pixel_accuracy=run.pixel_accuracy,
        turn1_solved=sum(d.summary.turn1_solved for d in tasks),
        api_failures=sum(d.failure == "api_error" for d in tasks),
        timeout_failures=sum(d.failure == "timeout" for d in tasks),
        budget_exhausted=sum(d.status == "budget_exhausted" for d in tasks),
        api_successes=sum(d.status == "done" for d in tasks),
        total_turns=sum(d.turns for d in tasks),
        calls=sum(d.calls for d in tasks),
        failed_calls=sum(d.failed_calls for d in tasks),
        prompt_tokens=prompt_tokens,
        completion_tokens=sum(d.usage.completion_tokens for d in tasks),
        reasoning_tokens=sum(d.usage.reasoning_tokens for d in tasks),
        total_tokens=sum(d.usage.total_tokens for d in tasks),
        cached_tokens=cached_tokens,
        cache_hit_rate=cached_tokens / prompt_tokens if prompt_tokens else None,
        calls_without_usage=sum(d.usage.unreported for d in tasks),
        total_cost=sum(known) if known or not costs else None,
        cost_known=len(known) == len(costs),
        leaky=leaky,
        wall_time_s=wall_time_s,
        tasks=[d.summary for d in tasks],
        executions=sum(d.executions for d in tasks),
        executions_saved=sum(d.executions_saved for d in tasks),
    )


def aggregate(summaries: Sequence[RunSummary]) -> Aggregate:
    """Repeat-run statistics. Tasks that ended on an API failure are left out of numerator and denominator."""
    per_run = []
    t1, allt, scores = [], [], []
    for i, s in enumerate(summaries, 1):
        ok = [t for t in s.tasks if t.status == "done" and t.score is not None]
        n = len(ok)
        r1 = sum(t.turn1_solved for t in ok) / n if n else 0.0
        ra = sum(t.fully_solved for t in ok) / n if n else 0.0
        sc = sum(t.score or 0.0 for t in ok) / n if n else 0.0
        t1.append(r1)
        allt.append(ra)
        scores.append(sc)
        per_run.append({"run": i, "tasks": n, "api_failures": s.total_tasks - n, "turn1_success": r1,
                        "all_turns_success": ra, "score": sc})
    return Aggregate(runs=len(summaries), turn1_success=describe(t1), all_turns_success=describe(allt),
                     score=describe(scores), per_run=per_run)
