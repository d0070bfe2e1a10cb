"""ARC Prize submissions: a run's chosen attempts written in the Kaggle competition's format or as the ARC Prize
benchmarking harness's per-task files, and a submission from any tool read back and scored with arcbench's scorer.

Kaggle (`submission.json`): `{task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}`, one entry per test input in
the task's order. The competition wants both attempts: a missing second attempt repeats the first, a test input with
none gets the placeholder grid [[0]] twice.

ARC Prize harness (arcprize/arc-agi-benchmarking): one `<task_id>.json` per task, holding per test input
`{"attempt_1": Attempt | null, "attempt_2": Attempt | null}` with `Attempt = {"answer": grid, "metadata": {...}}`.
Its scorer takes the test input an attempt answers from `metadata.pair_index`, which defaults to 0 when absent: every
answer would be checked against the first test output. arcbench writes it on every attempt.

Reading is stricter than that scorer: more than two attempts for a test input, and two entries for the same test input
(either lets a task score more than 1 there), are refused with the file, task and entry named. Tasks of the task set
that the submission leaves out count as 0 (that scorer leaves them out of the denominator).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from arcbench.data import load_pool, resolve_subset
from arcbench.data.loading import Pool
from arcbench.data.types import Grid, LabelledTask
from arcbench.errors import UserError
from arcbench.report.rundir import load_run
from arcbench.run.config import SavedConfig, read_saved_config
from arcbench.run.records import SCHEMA_VERSION, AttemptSource, RunSummary, TaskLog
from arcbench.run.store import repeat_dirs, write_json_atomic
from arcbench.run.summary import summarize
from arcbench.scoring import MAX_ATTEMPTS, RunScore, TaskScore, score_run, score_task

Format = Literal["kaggle", "arcprize"]
FORMATS: tuple[Format, ...] = ("kaggle", "arcprize")
KAGGLE_PLACEHOLDER: Grid = [[0]]
"""What the Kaggle format gets for a test input the run made no attempt for: the competition requires both attempts.
(A second attempt the run did not make repeats the first instead: a placeholder can be right — ARC-AGI-1 training
task 239be575 expects [[0]] — and the written submission must not score more than the run did.)"""
ATTEMPT_KEYS = tuple(f"attempt_{k}" for k in range(1, MAX_ATTEMPTS + 1))
HARNESS_RESULTS_FILE = "results.json"
"""The harness's scorer may write its results into the submission folder; it is not a task file."""


# --- Written formats ------------------------------------------------------------------------------------------------


class KaggleEntry(BaseModel):
    """One test input's answers in the Kaggle `submission.json`."""

    attempt_1: Grid
    attempt_2: Grid


class ArcPrizeMessage(BaseModel):
    role: str
    content: str


class ArcPrizeChoice(BaseModel):
    index: int
    message: ArcPrizeMessage


class ArcPrizeTokenDetails(BaseModel):
    reasoning_tokens: int = 0
    accepted_prediction_tokens: int = 0
    rejected_prediction_tokens: int = 0


class ArcPrizeUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    completion_tokens_details: ArcPrizeTokenDetails = Field(default_factory=ArcPrizeTokenDetails)


class ArcPrizeCost(BaseModel):
    """arcbench knows a call's cost as one figure, so it is all in `total_cost` (the field the harness adds up)."""

    prompt_cost: float = 0.0
    completion_cost: float = 0.0
    reasoning_cost: float | None = None
    total_cost: float = 0.0


class ArcPrizeMetadata(BaseModel):
    model: str
    provider: str
    start_timestamp: str
    end_timestamp: str
    choices: list[ArcPrizeChoice]
    reasoning_summary: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)
    usage: ArcPrizeUsage = Field(default_factory=ArcPrizeUsage)
    cost: ArcPrizeCost = Field(default_factory=ArcPrizeCost)
    task_id: str
    pair_index: int
    test_id: str


class ArcPrizeAttempt(BaseModel):
    answer: Grid
    metadata: ArcPrizeMetadata
    correct: bool | None = None
    """Set when the run scored the task (the harness sets it too); None for an unscored task."""


class ArcPrizePair(BaseModel):
    """One test input's attempts in a harness task file; null where the run made no attempt."""

    attempt_1: ArcPrizeAttempt | None = None
    attempt_2: ArcPrizeAttempt | None = None


def chosen_answers(log: TaskLog) -> list[list[AttemptSource]]:
    """Per test input of a task, its chosen attempts, best first (none for a task that ended without any)."""
    return [list(log.attempts[i]) if i < len(log.attempts) else [] for i in range(len(log.test_inputs))]


def unfinished_tasks(task_ids: Sequence[str], logs: Mapping[str, TaskLog]) -> list[str]:
    """The run's tasks that have no log yet, whose log is still in progress, or that the budget left unfinished."""
    return [tid for tid in task_ids if tid not in logs or logs[tid].status in ("in_progress", "budget_exhausted")]


def kaggle_submission(task_ids: Sequence[str], logs: Mapping[str, TaskLog]) -> dict[str, list[KaggleEntry]]:
    """The Kaggle `submission.json` content for finished task logs, tasks in the run's order."""
    out: dict[str, list[KaggleEntry]] = {}
    for tid in task_ids:
        entries = []
        for answers in chosen_answers(logs[tid]):
            grids = [a.output for a in answers] or [KAGGLE_PLACEHOLDER]
            grids += [grids[0]] * (MAX_ATTEMPTS - len(grids))
            entries.append(KaggleEntry(attempt_1=grids[0], attempt_2=grids[1]))
        out[tid] = entries
    return out


def _provider(saved: SavedConfig) -> str:
    client = saved.config.client
    if client.base_url:
        return urlparse(client.base_url).hostname or client.base_url
    return "arcbench-offline" if client.model == "baseline" else "openai"


def arcprize_submission(saved: SavedConfig, logs: Mapping[str, TaskLog], run_name: str
                        ) -> dict[str, list[ArcPrizePair]]:
    """The harness's per-task files for finished task logs, by task id.

    A task's tokens, cost and duration are carried whole by its first attempt (zeros, and start = end, on the others),
    so that the harness, which adds them up over attempts, totals what the run spent; a task that made no attempt has
    nothing to carry them.
    An unknown cost is written as 0 (the format has no other way) with `kwargs.arcbench.cost_known` false.
    """
    client = saved.config.client
    params = {k: v for k, v in (("temperature", client.temperature),
                                ("max_tokens", client.max_tokens or client.default_max_tokens),
                                ("reasoning_effort", client.reasoning_effort)) if v is not None}
    out: dict[str, list[ArcPrizePair]] = {}
    for tid in saved.task_ids:
        log = logs[tid]
        carried = False
        pairs = []
        for pair_index, answers in enumerate(chosen_answers(log)):
            made = []
            for k, src in enumerate(answers):
                turn = log.turns[src.turns[0]]
                usage, cost = ArcPrizeUsage(), ArcPrizeCost()
                start = end = log.finished_at or log.started_at or saved.created_at
                if not carried:
                    start = log.started_at or saved.created_at
                    usage = ArcPrizeUsage(
                        prompt_tokens=log.usage.prompt_tokens, completion_tokens=log.usage.completion_tokens,
                        total_tokens=log.usage.total_tokens,
                        completion_tokens_details=ArcPrizeTokenDetails(reasoning_tokens=log.usage.reasoning_tokens))
                    cost = ArcPrizeCost(total_cost=log.cost_usd or 0.0)
                    carried = True
                correct = None
                if log.score is not None and k < len(log.score.tests[pair_index].attempts):
                    correct = log.score.tests[pair_index].attempts[k].correct
                made.append(ArcPrizeAttempt(answer=src.output, correct=correct, metadata=ArcPrizeMetadata(
                    model=saved.config.client.model, provider=_provider(saved),
                    start_timestamp=start, end_timestamp=end,
                    choices=[ArcPrizeChoice(index=0, message=ArcPrizeMessage(role="user", content=turn.user_message)),
                             ArcPrizeChoice(index=1, message=ArcPrizeMessage(role="assistant",
                                                                             content=turn.response))],
                    reasoning_summary=turn.reasoning,
                    kwargs={**params, "arcbench": {
                        "mode": saved.config.mode, "turns": src.turns, "train_solved": src.train_solved,
                        "votes": src.votes, "cost_known": log.cost_usd is not None,
                        "tokens_known": log.usage.known}},
                    usage=usage, cost=cost, task_id=tid, pair_index=pair_index, test_id=run_name,
                )))
            pairs.append(ArcPrizePair(**dict(zip(ATTEMPT_KEYS, made, strict=False))))
        out[tid] = pairs
    return out


@dataclass(frozen=True)
class WrittenSubmission:
    path: Path
    format: Format
    tasks: int
    test_inputs: int
    answered: int
    """Test inputs with at least one attempt."""
    without_attempts: list[str]
    """Tasks that ended without any attempt (API failures, no program ran)."""


def default_output(run_dir: Path, fmt: Format) -> Path:
    return run_dir / ("submission.json" if fmt == "kaggle" else "submission_arcprize")


def write_run_submission(run_dir: Path, fmt: Format, output: Path | None = None) -> WrittenSubmission:
    """Write a finished run's chosen attempts as a submission. A repeat run must name one of its runs; an unfinished
    run is refused (a submission must answer every task the run was given)."""
    saved = read_saved_config(run_dir)
    repeats = repeat_dirs(run_dir)
    if repeats:
        raise UserError(f"{run_dir} holds {len(repeats)} repeat runs: make the submission from one of them, e.g. "
                        f"`arcbench submission {repeats[0]}`")
    logs = load_run(run_dir).tasks
    unfinished = unfinished_tasks(saved.task_ids, logs)
    if unfinished:
        budget = any(tid in logs and logs[tid].status == "budget_exhausted" for tid in unfinished)
        raise UserError(f"{run_dir}: {len(unfinished)} of {len(saved.task_ids)} tasks are not finished (e.g. "
                        f"{unfinished[0]}): finish the run with `arcbench run --resume {run_dir}"
                        f"{' --max-cost HIGHER' if budget else ''}` first")
    dest = output or default_output(run_dir, fmt)
    answers = [chosen_answers(logs[tid]) for tid in saved.task_ids]
    if fmt == "kaggle":
        if dest.is_dir():
            dest = dest / "submission.json"
        content = kaggle_submission(saved.task_ids, logs)
        write_json_atomic(dest, {tid: [e.model_dump() for e in entries] for tid, entries in content.items()},
                          pretty=False)
    else:
        if dest.exists() and not dest.is_dir():
            raise UserError(f"{dest}: is a file; the ARC Prize format is a folder of task files — pass a folder "
                            "to --output")
        ours = set(saved.task_ids)
        stray = sorted(f.name for f in dest.glob("*.json") if f.stem not in ours and f.name != HARNESS_RESULTS_FILE
                       ) if dest.is_dir() else []
        if stray:
            raise UserError(f"{dest} already holds {stray[0]}, which is not a task of this run (a scorer would read "
                            "it as part of the submission): choose another --output or empty the folder")
        files = arcprize_submission(saved, logs, run_dir.resolve().name)
        for tid, pairs in files.items():
            write_json_atomic(dest / f"{tid}.json", [p.model_dump() for p in pairs], pretty=False)
    return WrittenSubmission(
        path=dest, format=fmt, tasks=len(saved.task_ids), test_inputs=sum(len(a) for a in answers),
        answered=sum(bool(per_test) for a in answers for per_test in a),
        without_attempts=[tid for tid, a in zip(saved.task_ids, answers, strict=True) if not any(a)])


# --- Reading any tool's submission ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A submission as read from disk, checked for form (not yet against the tasks)."""

    path: Path
    format: Format
    answers: dict[str, dict[int, list[Grid | None]]]
    """Per task, per test-input index given an entry, its answers in attempt order. Missing attempts are left out;
    an answer the harness kept as unparsed text is None (an attempt that cannot be right)."""
    sources: dict[str, str]
    """Per task, where it was read (for error messages)."""


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys without a word; a submission must not say a thing twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except _DuplicateKey as e:
        raise UserError(f"{path}: {str(e.args[0])!r} appears twice in one JSON object (a task or attempt given twice; "
                        "duplicate entries are refused)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror or e})") from None


def _is_grid_like(value: Any) -> bool:
    """A list of rows of integers. Shape and colours are not checked: an odd grid is a wrong answer, not a
    malformed file."""
    return isinstance(value, list) and all(
        isinstance(row, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in row) for row in value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _answer(value: Any, where: str, harness: bool) -> tuple[bool, Grid | None]:
    """(given, grid): null and [] are no attempt; the harness keeps a reply it could not parse as text, which is an
    attempt that is wrong unless the text is a grid."""
    if value is None or value == []:
        return False, None
    if harness and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return True, None
        return True, parsed if _is_grid_like(parsed) and parsed else None
    if not _is_grid_like(value):
        raise UserError(f"{where} is {_kind(value)}, not a grid (a list of rows of integers)")
    return True, value


def _attempt_keys(entry: dict[str, Any], where: str) -> list[str]:
    """The entry's attempt keys in order; more than two attempts, or other keys, are refused."""
    keys = list(entry)
    odd = [k for k in keys if not (k.startswith("attempt_") and k[8:].isdigit() and int(k[8:]) >= 1)]
    if odd:
        raise UserError(f"{where}: unexpected key {odd[0]!r} (expected {' and '.join(ATTEMPT_KEYS)})")
    if len(keys) > MAX_ATTEMPTS:
        raise UserError(f"{where}: {len(keys)} attempts ({', '.join(sorted(keys))}): at most {MAX_ATTEMPTS} per test "
                        f"input count")
    beyond = [k for k in keys if k not in ATTEMPT_KEYS]
    if beyond:
        raise UserError(f"{where}: {beyond[0]}: at most {MAX_ATTEMPTS} attempts per test input count "
                        f"({' and '.join(ATTEMPT_KEYS)})")
    return sorted(keys)


def parse_kaggle(data: Any, where: str) -> dict[str, dict[int, list[Grid | None]]]:
    """Answers of a Kaggle `submission.json`, by task and test input."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object mapping task ids to lists of entries, got {_kind(data)}")
    out: dict[str, dict[int, list[Grid | None]]] = {}
    for tid, entries in data.items():
        here = f"{where}: task {tid}"
        if not isinstance(entries, list) or not entries:
            raise UserError(f"{here}: expected a non-empty list with one entry per test input, got {_kind(entries)}")
        out[tid] = {}
        for i, entry in enumerate(entries):
            at = f"{here}, test input {i}"
            if not isinstance(entry, dict):
                raise UserError(f"{at}: expected an object with {' and '.join(ATTEMPT_KEYS)}, got {_kind(entry)}")
            answers: list[Grid | None] = []
            for key in _attempt_keys(entry, at):
                given, grid = _answer(entry[key], f"{at}: {key}", harness=False)
                if given:
                    answers.append(grid)
            out[tid][i] = answers
    return out


def parse_arcprize_task(data: Any, task_id: str, where: str) -> dict[int, list[Grid | None]]:
    """Answers of one harness task file, by test input (from `metadata.pair_index`, else the entry's position)."""
    if not isinstance(data, list):
        raise UserError(f"{where}: expected a list with one entry per test input, got {_kind(data)}")
    out: dict[int, list[Grid | None]] = {}
    answered_by: dict[int, int] = {}
    for e, entry in enumerate(data):
        at = f"{where}: entry {e}"
        if not isinstance(entry, dict):
            raise UserError(f"{at}: expected an object with {' and '.join(ATTEMPT_KEYS)}, got {_kind(entry)}")
        answers: list[Grid | None] = []
        pair_index: int | None = None
        for key in _attempt_keys(entry, at):
            attempt = entry[key]
            if attempt is None:
                continue
            here = f"{at}, {key}"
            if not isinstance(attempt, dict):
                raise UserError(f"{here}: expected an object with 'answer' and 'metadata', got {_kind(attempt)}")
            if "answer" not in attempt:
                raise UserError(f"{here}: no 'answer'")
            meta = attempt.get("metadata")
            if meta is not None and not isinstance(meta, dict):
                raise UserError(f"{here}: metadata is {_kind(meta)}, not an object")
            meta = meta or {}
            if meta.get("task_id") not in (None, task_id):
                raise UserError(f"{here}: metadata.task_id is {meta['task_id']!r}, but the file is task {task_id}")
            index = meta.get("pair_index")
            if index is not None:
                if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                    raise UserError(f"{here}: metadata.pair_index is {index!r}, not a test-input index (0, 1, ...)")
                if pair_index is not None and index != pair_index:
                    raise UserError(f"{here}: metadata.pair_index is {index}, but the entry's other attempt says "
                                    f"{pair_index}")
                pair_index = index
            given, grid = _answer(attempt["answer"], f"{here}: answer", harness=True)
            if given:
                answers.append(grid)
        index = e if pair_index is None else pair_index
        if index in answered_by:
            raise UserError(f"{at}: answers test input {index}, which entry {answered_by[index]} already answers "
                            "(duplicate entries are refused)")
        answered_by[index] = e
        out[index] = answers
    return out


def read_submission(path: Path) -> Submission:
    """A Kaggle `submission.json` (a file) or a folder of harness task files, told apart by what the path is."""
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(f for f in path.glob("*.json") if f.name != HARNESS_RESULTS_FILE)
        if not files:
            raise UserError(f"{path}: no task files (<task_id>.json) in this folder — pass a Kaggle submission.json or "
                            "a folder of ARC Prize harness task files")
        answers = {f.stem: parse_arcprize_task(_load_json(f), f.stem, str(f)) for f in files}
        return Submission(path=path, format="arcprize", answers=answers, sources={f.stem: str(f) for f in files})
    data = _load_json(path)
    if isinstance(data, list):
        raise UserError(f"{path}: looks like one ARC Prize harness task file — pass the folder that holds them")
    answers = parse_kaggle(data, str(path))
    if not answers:
        raise UserError(f"{path}: the submission has no tasks")
    return Submission(path=path, format="kaggle", answers=answers, sources={t: f"{path}: task {t}" for t in answers})


# --- Scoring --------------------------------------------------------------------------------------------------------


class SubmissionScores(BaseModel):
    """What `arcbench score` writes: the task set it scored against, and every task's score."""

    schema_version: int = SCHEMA_VERSION
    submission: str
    format: Format
    dataset: str
    data_dir: str | None = None
    task_set: str
    """The tasks in the denominator: a subset, or the dataset split the submission's tasks come from."""
    total_tasks: int
    submitted_tasks: int
    missing_tasks: list[str] = Field(default_factory=list)
    """Tasks of the task set with no entry in the submission: scored 0."""
    ignored_tasks: list[str] = Field(default_factory=list)
    """Tasks of the submission outside the task set (--subset): not scored."""
    overall: RunScore
    tasks: list[TaskScore]


def task_set(pool: Pool, sources: Mapping[str, str], dataset: str, subset: str | None
             ) -> tuple[list[LabelledTask], str]:
    """The tasks a submission is scored against, and how to name them: the subset when given, else the one split of
    the dataset that holds every submitted task. `sources` maps each submitted task to where it was read."""
    ids = list(sources)
    known = {tid for split in pool.values() for tid in split}
    unknown = [t for t in ids if t not in known]
    if unknown:
        raise UserError(f"{sources[unknown[0]]}: not a task of {dataset}"
                        + (f" (nor are {len(unknown) - 1} more)" if len(unknown) > 1 else "")
                        + " — pass the right --dataset or --data-dir")
    if subset is not None:
        tasks = resolve_subset(pool, subset)
        return tasks, f"subset {subset} ({len(tasks)} tasks)"
    holding = [name for name, split in pool.items() if all(t in split for t in ids)]
    if not holding:
        counts = ", ".join(f"{name} ({sum(t in split for t in ids)})" for name, split in pool.items()
                           if any(t in split for t in ids))
        raise UserError(f"the submission's tasks come from more than one split: {counts} — pass --subset to say "
                        "which tasks it is scored against")
    name = holding[0]
    label = dataset if name == "all" else f"{dataset} {name}"
    return list(pool[name].values()), f"{label} ({len(pool[name])} tasks)"


def score_submission(sub: Submission, tasks: Sequence[LabelledTask]) -> tuple[list[TaskScore], list[str], list[str]]:
    """Every task of the task set scored from the submission's answers, a task it leaves out scoring 0.
    Returns the task scores, the missing task ids and the submitted task ids outside the task set."""
    scores = []
    missing = []
    for lt in tasks:
        if lt.test_outputs is None:
            raise UserError(f"task {lt.id} has no test outputs in this dataset: it cannot be scored (pass --data-dir "
                            "with its solutions, or a --subset without it)")
        n = len(lt.test_outputs)
        given = sub.answers.get(lt.id)
        if given is None:
            missing.append(lt.id)
            given = {}
        where = sub.sources.get(lt.id, lt.id)
        if sub.format == "kaggle" and given and len(given) != n:
            raise UserError(f"{where}: {len(given)} entries for {n} test input(s) (one entry per test input, in order)")
        beyond = [i for i in given if i >= n]
        if beyond:
            raise UserError(f"{where}: an entry answers test input {beyond[0]}, but the task has {n} test input(s) "
                            f"(0 to {n - 1})")
        scores.append(score_task(lt.id, [given.get(i, []) for i in range(n)], lt.test_outputs))
    in_set = {lt.id for lt in tasks}
    ignored = [tid for tid in sub.answers if tid not in in_set]
    return scores, missing, ignored


def score_path(path: Path, dataset: str, data_dir: str | None = None, subset: str | None = None
               ) -> SubmissionScores:
    """Read a submission, pick its task set from the dataset, and score it."""
    sub = read_submission(path)
    pool = load_pool(dataset, Path(data_dir) if data_dir else None)
    tasks, label = task_set(pool, sub.sources, dataset, subset)
    scores, missing, ignored = score_submission(sub, tasks)
    return SubmissionScores(
        submission=str(path), format=sub.format, dataset=dataset, data_dir=data_dir, task_set=label,
        total_tasks=len(tasks), submitted_tasks=len(tasks) - len(missing), missing_tasks=missing,
        ignored_tasks=ignored, overall=score_run(scores), tasks=scores)


def as_run_summary(scores: SubmissionScores) -> RunSummary:
    """The scores as a run summary, so that they print as a run's do. Nothing about calls is known: tokens are 0 and
    the cost is unknown."""
    logs = [TaskLog(task_id=s.task_id, status="done", score=s, cost_usd=None) for s in scores.tasks]
    return summarize(logs, leaky=False, wall_time_s=0.0)
