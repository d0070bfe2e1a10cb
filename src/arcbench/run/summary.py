"""From task logs to a run summary, and from run summaries to repeat-run statistics. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from arcbench.run.records import Aggregate, RunSummary, TaskLog, TaskSummary
from arcbench.run.stats import describe
from arcbench.scoring import score_run


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


def summarize(logs: Sequence[TaskLog], *, leaky: bool, wall_time_s: float) -> RunSummary:
    scored = [log.score for log in logs if log.score is not None]
    run = score_run(scored)
    costs = [log.cost_usd for log in logs]
    known = [c for c in costs if c is not None]
    turns = [t for log in logs for t in log.turns]
    prompt_tokens = sum(log.usage.prompt_tokens for log in logs)
    cached_tokens = sum(log.usage.cached_tokens for log in logs)
    return RunSummary(
        total_tasks=len(logs),
        scored_tasks=len(scored),
        score=run.score,
        tasks_fully_solved=run.tasks_fully_solved,
        task_accuracy=run.task_accuracy,
        pixel_accuracy=run.pixel_accuracy,
        turn1_solved=sum(turn1_solved(log) for log in logs),
        api_failures=sum(log.failure == "api_error" for log in logs),
        timeout_failures=sum(log.failure == "timeout" for log in logs),
        budget_exhausted=sum(log.status == "budget_exhausted" for log in logs),
        api_successes=sum(log.status == "done" for log in logs),
        total_turns=len(turns),
        calls=len(turns),
        failed_calls=sum(t.error_kind is not None for t in turns),
        prompt_tokens=prompt_tokens,
        completion_tokens=sum(log.usage.completion_tokens for log in logs),
        reasoning_tokens=sum(log.usage.reasoning_tokens for log in logs),
        total_tokens=sum(log.usage.total_tokens for log in logs),
        cached_tokens=cached_tokens,
        cache_hit_rate=cached_tokens / prompt_tokens if prompt_tokens else None,
        calls_without_usage=sum(log.usage.unreported for log in logs),
        total_cost=sum(known) if known or not costs else None,
        cost_known=len(known) == len(costs),
        leaky=leaky,
        wall_time_s=wall_time_s,
        tasks=[task_summary(log) for log in logs],
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
