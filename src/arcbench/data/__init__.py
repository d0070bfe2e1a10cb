"""ARC tasks: types, loading, validation and named subsets."""

from arcbench.data.loading import DATASETS, SPLITS, load_pool
from arcbench.data.subsets import resolve_subset
from arcbench.data.types import Example, Grid, LabelledTask, Task

__all__ = ["DATASETS", "SPLITS", "Example", "Grid", "LabelledTask", "Task", "load_pool", "load_tasks",
           "resolve_subset"]


def load_tasks(dataset: str, subset: str, data_dir: "str | None" = None) -> list[LabelledTask]:
    """The tasks a `--dataset/--subset/--data-dir` choice selects."""
    from pathlib import Path

    return resolve_subset(load_pool(dataset, Path(data_dir) if data_dir else None), subset)
