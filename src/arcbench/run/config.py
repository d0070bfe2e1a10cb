"""RunConfig: every setting of a run, validated where it is defined, saved to config.json so that a run can be
resumed and repeated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from arcbench import __version__
from arcbench.errors import UserError
from arcbench.llm import ClientConfig
from arcbench.prompts.render import template_hash
from arcbench.run.records import now_iso
from arcbench.run.store import read_record
from arcbench.solve import STRATEGIES, SolveOptions, StopRule
from arcbench.solve.strategy import DEFAULT_MAX_BUDGET


def _known_strategy(name: str) -> str:
    if name not in STRATEGIES:
        raise ValueError(f"must be {_one_of(list(STRATEGIES))} (got {name!r})")
    return name


def _one_of(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


Mode = Annotated[str, AfterValidator(_known_strategy)]
"""The name of a strategy in `arcbench.solve.STRATEGIES`."""


class RunConfig(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    dataset: str = "arc-agi-1"
    subset: str = "shortest_training_10"
    data_dir: str | None = None
    limit: int | None = Field(None, ge=1)
    """Only the first N tasks of the subset."""
    max_turns: int = Field(3, ge=1, le=10_000)
    """Model answers (turns, samples) per task; each strategy takes at most its `max_budget` (feedback 100)."""
    mode: Mode = "feedback"
    max_workers: int = Field(1, ge=1, le=512)
    """Tasks in flight at once."""
    repeat_runs: int = Field(1, ge=1, le=10)
    stop_when: StopRule = "train-correct"
    exec_timeout_s: float = Field(1.0, ge=0.01, le=600)
    exec_memory_mb: int = Field(512, ge=64)
    output_dir: str = "runs"
    quiet: bool = False
    client: ClientConfig = Field(default_factory=ClientConfig)
    max_cost_usd: float | None = Field(None, gt=0)
    """The run's budget in dollars (every repeat and every resume together): no call starts once what was spent plus
    the calls in flight would pass it. None: no budget."""
    est_output_tokens: int | None = Field(None, ge=1)
    """Output tokens assumed per call for the cost estimate and the budget (None: client.max_tokens, else
    DEFAULT_EST_OUTPUT_TOKENS)."""
    solve: SolveOptions = Field(default_factory=SolveOptions)
    """Options of the strategies: images, grid descriptions, feedback format, oscillation limit, generalisation
    check, refine's experts, the tool budget."""

    @model_validator(mode="after")
    def _tools_need_chat(self) -> RunConfig:
        if self.mode == "tools" and self.client.api == "responses":
            raise ValueError("--mode tools needs --api chat: function tools are not mapped to the Responses API")
        return self
    executor: Literal["local", "ray"] = "local"
    """Where programs run: this machine's sandbox pool, or one pool per node of a Ray cluster (the ray extra)."""
    ray_address: str | None = None
    """The Ray cluster for executor "ray" (`host:6379`, or `auto` on one of its nodes); None starts a local one."""
    n_per_request: int = Field(1, ge=1, le=128)
    """Answers asked for per request by sampling strategies (OpenAI's `n`)."""
    parallel_requests: int = Field(1, ge=1, le=256)
    """Requests of one task a sampling strategy keeps in flight at once."""

    @model_validator(mode="after")
    def _fits_the_mode(self) -> RunConfig:
        strategy = STRATEGIES[self.mode]
        cap = getattr(strategy, "max_budget", DEFAULT_MAX_BUDGET)
        if self.max_turns > cap:
            most = max(getattr(s, "max_budget", DEFAULT_MAX_BUDGET) for s in STRATEGIES.values())
            raise ValueError(f"mode {self.mode} takes at most {cap:,} turns per task (got {self.max_turns:,}); "
                             f"independent sampling takes up to {most:,}")
        if (self.n_per_request > 1 or self.parallel_requests > 1) and not getattr(strategy, "samples_in_parallel",
                                                                                   False):
            sampling = ", ".join(n for n, s in STRATEGIES.items() if getattr(s, "samples_in_parallel", False))
            raise ValueError(f"mode {self.mode} does not draw samples in parallel: several answers per request and "
                             f"several requests per task apply to {sampling}")
        if self.n_per_request > 1 and self.client.api == "responses":
            raise ValueError("--n-per-request needs --api chat: the Responses API has no n (several answers per "
                             "request)")
        return self

    @property
    def leaky(self) -> bool:
        """A run whose stop rule read test labels: its numbers are not an honest measurement."""
        return self.stop_when == "test-correct"


RESUME_SAFE = frozenset({
    "max_workers", "quiet", "client.concurrency", "client.rate_limit_delay_s", "client.timeout_s",
    "client.max_attempts", "client.base_url", "client.api_key_env", "client.stream", "client.backoff_base_s",
    "client.backoff_max_s", "client.retry_after_max_s", "max_cost_usd", "est_output_tokens",
    "executor", "ray_address", "client.more_base_urls",
})
"""Settings a resumed run may change: how calls are made and shown (workers, pacing, timeouts, retries, where the
server is, where programs run) and how much may be spent, never what is measured (model, strategy, tasks, turn
budgets, prompts, prices, sandbox limits)."""


class FixedOnResume(Exception):
    """A resumed run was asked to change a setting that decides what it measures."""

    def __init__(self, field: str, saved: Any) -> None:
        super().__init__(f"{field} cannot change on resume (saved: {saved!r})")
        self.field = field
        self.saved = saved


def resumed(config: RunConfig, changes: Mapping[str, Any]) -> RunConfig:
    """`config` with `changes` (dotted field names, e.g. "client.timeout_s") applied and validated.

    Raises FixedOnResume for the first field not in RESUME_SAFE whose value would change (giving the saved value again
    is no change), and ValidationError for a value out of range."""
    data = config.model_dump()
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        where = data
        for p in parents:
            where = where[p]
        if leaf not in where:
            raise KeyError(f"RunConfig has no field {path}")
        if where[leaf] != value and path not in RESUME_SAFE:
            raise FixedOnResume(path, where[leaf])
        where[leaf] = value
    return RunConfig.model_validate(data)


class SavedConfig(BaseModel):
    """config.json: the settings plus what is needed to reproduce and resume the run.

    The file also carries flat copies of the essentials (model, dataset, ...) for readers that do not know the
    nesting; they are written from `config` and ignored when read: `config` is the one source."""

    schema_version: int = 1
    arcbench_version: str
    template_hash: str
    created_at: str
    task_ids: list[str]
    config: RunConfig

    @classmethod
    def for_run(cls, config: RunConfig, task_ids: list[str]) -> SavedConfig:
        return cls(arcbench_version=__version__, template_hash=template_hash(), created_at=now_iso(),
                   task_ids=task_ids, config=config)

    @model_serializer(mode="wrap")
    def _with_flat_copies(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        c = self.config
        data.update(dataset=c.dataset, subset=c.subset, data_dir=c.data_dir, model=c.client.model,
                    base_url=c.client.base_url, mode=c.mode, max_turns=c.max_turns, stop_when=c.stop_when,
                    leaky=c.leaky)
        return data


def default_run_dir(config: RunConfig, now: datetime | None = None) -> Path:
    """runs/<UTC timestamp>_<dataset>_<subset>_<model>, with characters unsafe in file names replaced."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    subset = Path(config.subset).stem if config.subset.endswith(".txt") else config.subset
    name = "_".join([stamp, config.dataset, subset[:60], config.client.model])
    return Path(config.output_dir) / re.sub(r"[^A-Za-z0-9._-]+", "-", name)


def read_saved_config(run_dir: Path) -> SavedConfig:
    """The config.json of a run directory, with one-line errors for a path that is not one."""
    if not run_dir.exists():
        raise UserError(f"{run_dir}: no such run directory")
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: not a directory — pass a folder that `arcbench run` created")
    path = run_dir / "config.json"
    if not path.is_file():
        raise UserError(f"{run_dir}: not a run directory (no config.json) — pass a folder that `arcbench run` created")
    return read_record(path, SavedConfig, "run config")
