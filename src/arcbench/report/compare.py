"""Comparing runs: each configuration's figures side by side, and paired comparisons on the tasks they share.

A configuration is one run directory; a repeat run (run_<k>/ folders) gives means with 95% t confidence intervals
over its runs. The paired comparison counts the tasks one configuration solved and the other did not, and tests
them with McNemar's exact test. Pure functions over loaded runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from pathlib import Path

from pydantic import BaseModel

from arcbench.report.curves import AnytimeCurve, curve_of_logs
from arcbench.report.rundir import LoadedRun
from arcbench.report.stats import mcnemar_exact
from arcbench.run.config import RunConfig
from arcbench.run.records import RunSummary
from arcbench.run.stats import describe
from arcbench.run.summary import summarize


class Value(BaseModel):
    """A figure of a configuration: the run's value, or the mean over repeat runs with its 95% CI."""

    mean: float | None
    ci95_low: float | None = None
    ci95_high: float | None = None
    n: int = 1
    """Runs behind the figure (None values, e.g. unknown costs, are left out)."""


class FineTuneOrigin(BaseModel):
    """Where a fine-tuned model came from (from its fine-tune manifest): the data and the job that made it."""

    job_id: str
    kind: str
    """openai or local."""
    base_model: str
    training_data: str
    training_examples: int
    data_manifest: str | None
    """The `arcbench training-data` manifest of the training file, when there was one."""
    validation_data: str | None = None
    manifest: str
    """The fine-tune manifest this was read from."""


class ConfigStats(BaseModel):
    name: str
    label: str = ""
    """A short name for tables: what sets this configuration apart from the others compared with it (model, mode,
    reasoning effort, turns, ...), or a letter."""
    description: str = ""
    """What sets it apart, in full (the label, when it is not a letter)."""
    path: str
    model: str | None
    mode: str | None
    dataset: str | None
    subset: str | None
    runs: int
    tasks: int
    """Tasks per run (of the first run, for repeat runs)."""
    scored_tasks: Value
    score: Value
    """Official pass@2 score: mean task score over scored tasks."""
    solved: Value
    """Tasks fully solved."""
    pixel_accuracy: Value
    api_failures: Value
    turns: Value
    """Model calls of the run (turns of every task)."""
    turns_per_task: Value
    tokens: Value
    """Total tokens; None when no call reported usage."""
    tokens_known: bool = True
    """False when some call reported no usage in some run: tokens then cover only the calls that did."""
    cost_usd: Value
    """Total cost; None when no call had a known price."""
    cost_known: bool
    """False when some call's price was unknown in some run: costs then cover only the priced calls."""
    cost_per_solved: Value
    """Cost over tasks fully solved; None when nothing was solved or the cost is unknown."""
    leaky: bool
    finetune: FineTuneOrigin | None = None
    """For a fine-tuned model found in the fine-tune registry: its training data and job."""
    anytime: AnytimeCurve | None = None
    """Score after k samples per task against k and cost (repeat runs pooled); None when no task was scored."""


class PairedComparison(BaseModel):
    a: str
    b: str
    tasks_in_common: int
    """Tasks scored in both configurations (API failures and unscored tasks are left out)."""
    both_solved: int
    neither_solved: int
    only_a: list[str]
    only_b: list[str]
    p_value: float
    """McNemar's exact test, two-sided: binomial test of the discordant tasks against 1/2."""
    solved_means: str
    """How a task counts as solved: in its run, or (repeat runs) in more than half of the runs that scored it."""


class Comparison(BaseModel):
    configs: list[ConfigStats]
    pairs: list[PairedComparison]


def _summaries(run: LoadedRun) -> list[RunSummary]:
    out = []
    for r in run.repeats or [run]:
        out.append(r.summary if r.summary is not None else summarize(list(r.tasks.values()), leaky=False,
                                                                       wall_time_s=0.0))
    return out


def _value(values: list[float | None]) -> Value:
    known = [v for v in values if v is not None]
    if not known:
        return Value(mean=None, n=0)
    if len(values) == 1:
        return Value(mean=known[0], n=1)
    s = describe(known)
    return Value(mean=s.mean, ci95_low=s.ci95_low, ci95_high=s.ci95_high, n=s.n)


def config_stats(run: LoadedRun, name: str) -> ConfigStats:
    sums = _summaries(run)
    cfg = run.config.config if run.config else None

    def per_run(f) -> Value:  # type: ignore[no-untyped-def]
        return _value([f(s) for s in sums])

    return ConfigStats(
        name=name, path=str(run.path), model=cfg.client.model if cfg else None, mode=cfg.mode if cfg else None,
        dataset=cfg.dataset if cfg else None, subset=cfg.subset if cfg else None, runs=len(sums),
        tasks=sums[0].total_tasks if sums else 0,
        scored_tasks=per_run(lambda s: s.scored_tasks),
        score=per_run(lambda s: s.score),
        solved=per_run(lambda s: s.tasks_fully_solved),
        pixel_accuracy=per_run(lambda s: s.pixel_accuracy),
        api_failures=per_run(lambda s: s.api_failures + s.timeout_failures),
        turns=per_run(lambda s: s.total_turns),
        turns_per_task=per_run(lambda s: s.total_turns / s.total_tasks if s.total_tasks else None),
        tokens=per_run(lambda s: None if s.tokens_unknown else s.total_tokens),
        tokens_known=all(s.tokens_known for s in sums),
        cost_usd=per_run(lambda s: s.total_cost),
        cost_known=all(s.cost_known for s in sums),
        cost_per_solved=per_run(lambda s: s.total_cost / s.tasks_fully_solved
                                if s.total_cost is not None and s.tasks_fully_solved else None),
        leaky=any(s.leaky for s in sums) or run.leaky,
        anytime=curve_of_logs([log for r in run.repeats or [run] for log in r.tasks.values()], cfg),
    )


def solved_by_task(run: LoadedRun) -> dict[str, bool]:
    """Per scored task, whether the configuration solved it: fully solved in its run, or for repeat runs in more
    than half of the runs that scored it. Tasks never scored (API failures, no test outputs, left unfinished by a
    budget) are absent."""
    counts: dict[str, list[int]] = {}
    for r in run.repeats or [run]:
        for t in _summaries(r)[0].tasks:
            if t.score is None or t.status in ("api_failure", "budget_exhausted"):
                continue
            c = counts.setdefault(t.task_id, [0, 0])
            c[0] += t.fully_solved
            c[1] += 1
    return {tid: 2 * solved > n for tid, (solved, n) in counts.items()}


def paired(a: LoadedRun, b: LoadedRun, name_a: str, name_b: str) -> PairedComparison:
    sa, sb = solved_by_task(a), solved_by_task(b)
    common = sorted(set(sa) & set(sb))
    only_a = [t for t in common if sa[t] and not sb[t]]
    only_b = [t for t in common if sb[t] and not sa[t]]
    both = sum(sa[t] and sb[t] for t in common)
    how = "majority of runs" if (a.is_repeat or b.is_repeat) else "in the run"
    return PairedComparison(a=name_a, b=name_b, tasks_in_common=len(common), both_solved=both,
                            neither_solved=len(common) - both - len(only_a) - len(only_b), only_a=only_a,
                            only_b=only_b, p_value=mcnemar_exact(len(only_a), len(only_b)), solved_means=how)


def _names(runs: list[LoadedRun]) -> list[str]:
    """Directory names, or the paths as given where two names clash."""
    names = [r.name for r in runs]
    return [str(r.path) if names.count(r.name) > 1 else r.name for r in runs]


def _differences(configs: Sequence[RunConfig | None]) -> list[list[str]]:
    """Per configuration, the settings in which the configurations differ, as short words."""
    def model(c: RunConfig) -> str:
        return c.client.model.rstrip("/").rsplit("/", 1)[-1]

    aspects: list[Callable[[RunConfig], str]] = [
        model,
        lambda c: c.mode,
        lambda c: f"effort {c.client.reasoning_effort}" if c.client.reasoning_effort else "",
        lambda c: f"{c.max_turns} turn{'s' if c.max_turns != 1 else ''}",
        lambda c: c.dataset,
        lambda c: Path(c.subset).stem if c.subset.endswith(".txt") else c.subset,
        lambda c: f"stop {c.stop_when}",
        lambda c: f"temperature {c.client.temperature}" if c.client.temperature is not None else "",
        lambda c: f"max {c.client.max_tokens or c.client.default_max_tokens} tokens"
        if (c.client.max_tokens or c.client.default_max_tokens) else "",
        lambda c: f"{c.repeat_runs} repeats" if c.repeat_runs > 1 else "",
    ]
    words: list[list[str]] = [[] for _ in configs]
    known = [c for c in configs if c is not None]
    for aspect in aspects:
        values = [aspect(c) for c in known]
        if len(set(values)) < 2:
            continue
        for i, c in enumerate(configs):
            if c is not None and (word := aspect(c)):
                words[i].append(word)
    return words


def run_labels(configs: Sequence[RunConfig | None], max_width: int) -> tuple[list[str], list[str]]:
    """(labels, descriptions): each configuration named by what sets it apart from the others (e.g. "feedback ·
    3 turns" beside "independent · 5 turns"), or lettered A, B, ... when nothing does, two come out alike, or a
    name would not fit in two lines of `max_width`. Run folders are not names: their time stamps fill a column
    before they tell two runs apart."""
    descriptions = [" · ".join(w) for w in _differences(configs)]
    letters = [chr(ord("A") + i) if i < 26 else f"#{i + 1}" for i in range(len(configs))]
    # A header wraps between words: a name fits when its longest word does and it takes at most two lines.
    usable = (all(descriptions) and len(set(descriptions)) == len(descriptions)
              and all(len(d) <= 2 * max_width and max(map(len, d.split())) <= max_width for d in descriptions))
    return (descriptions if usable else letters), descriptions


def compare_runs(runs: list[LoadedRun], origins: Mapping[str, FineTuneOrigin] | None = None, *,
                 label_width: int = 24) -> Comparison:
    """Every configuration's figures and every pair's paired comparison, in the order given. `origins` maps model
    names to the fine-tunes that made them; labels are at most `label_width` characters."""
    names = _names(runs)
    configs = [config_stats(r, n) for r, n in zip(runs, names, strict=True)]
    labels, descriptions = run_labels([r.config.config if r.config else None for r in runs], label_width)
    for cfg, label, description in zip(configs, labels, descriptions, strict=True):
        cfg.label, cfg.description = label, description
        cfg.finetune = (origins or {}).get(cfg.model or "")
    pairs = [paired(runs[i], runs[j], names[i], names[j]) for i, j in combinations(range(len(runs)), 2)]
    return Comparison(configs=configs, pairs=pairs)
