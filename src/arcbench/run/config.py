"""RunConfig: every setting of a run, saved to config.json so that a run can be resumed and repeated."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from arcbench.errors import UserError
from arcbench.llm.base import ClientConfig
from arcbench.run.store import read_model
from arcbench.solve.solver import Mode, StopRule


class RunConfig(BaseModel):
    dataset: str = "arc-agi-1"
    subset: str = "shortest_training_10"
    data_dir: str | None = None
    limit: int | None = None
    max_turns: int = 3
    mode: Mode = "feedback"
    max_workers: int = 1
    repeat_runs: int = 1
    stop_when: StopRule = "train-correct"
    exec_timeout_s: float = 1.0
    exec_memory_mb: int = 512
    output_dir: str = "runs"
    quiet: bool = False
    client: ClientConfig = Field(default_factory=ClientConfig)

    @property
    def leaky(self) -> bool:
        """A run whose stop rule read test labels: its numbers are not an honest measurement."""
        return self.stop_when == "test-correct"


class SavedConfig(BaseModel):
    """config.json: the settings plus what is needed to reproduce and resume the run."""

    schema_version: int = 1
    arcbench_version: str
    template_hash: str
    created_at: str
    task_ids: list[str]
    config: RunConfig
    # Flat copies for readers that want the essentials without knowing the nesting.
    dataset: str
    subset: str
    data_dir: str | None
    model: str
    base_url: str | None
    mode: str
    max_turns: int
    stop_when: str
    leaky: bool


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
    try:
        return read_model(path, SavedConfig)
    except (ValidationError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{path}: not a run config arcbench can read ({first})") from None
