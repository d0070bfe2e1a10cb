"""Named subsets of a dataset.

Definitions (size-ordered, grid-size-distributed, MIT difficulty splits) follow the task-id list README shipped
beside this module. A subset resolves to a list of task ids in a deterministic order.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from arcbench.data.loading import Pool, all_tasks, split_tasks
from arcbench.data.types import LabelledTask, grid_cells
from arcbench.errors import UserError

MIT_LEVELS = ("easy", "medium", "hard", "expert")
_SIZE_RE = re.compile(r"^(shortest|middle|longest)_(training|evaluation)_(\d+)$")
_GRID_RE = re.compile(r"^grid_size_distributed_(\d+)_(training|evaluation)$")
_ID_RE = re.compile(r"^[0-9a-f]{8}$")

SUBSET_HELP = (
    "shortest_{training|evaluation}_N, middle_..._N, longest_..._N, grid_size_distributed_N_{training|evaluation}, "
    "mit-easy, mit-medium, mit-hard, mit-expert, mit-all, all_training, all_evaluation, all, "
    "a path to a text file of task ids, or comma-separated task ids"
)


def mit_ids(level: str) -> list[str]:
    """Task ids of one MIT difficulty level ('all' for the 80 together, in level order)."""
    levels = MIT_LEVELS if level == "all" else (level,)
    ids: list[str] = []
    for lv in levels:
        text = resources.files("arcbench.data").joinpath("subsets", f"mit-{lv}.txt").read_text()
        ids += [line.strip() for line in text.splitlines() if line.strip()]
    return ids


def _by_size(tasks: dict[str, LabelledTask]) -> list[str]:
    return [t.id for t in sorted(tasks.values(), key=lambda t: (t.size, t.id))]


def size_ordered(tasks: dict[str, LabelledTask], which: str, n: int) -> list[str]:
    """`shortest`/`middle`/`longest` N tasks by total cells of all grids (ties by id)."""
    ordered = _by_size(tasks)
    n = min(n, len(ordered))
    if which == "shortest":
        return ordered[:n]
    if which == "longest":
        return ordered[len(ordered) - n:]
    start = (len(ordered) - n) // 2
    return ordered[start:start + n]


def grid_size_distributed(tasks: dict[str, LabelledTask], n: int) -> list[str]:
    """N tasks spread evenly over the range of first-train-pair sizes: the nearest unused task to each target."""

    def gsize(t: LabelledTask) -> int:
        ex = t.task.train[0]
        return grid_cells(ex.input) + grid_cells(ex.output)

    ordered = sorted(tasks.values(), key=lambda t: (gsize(t), t.id))
    n = min(n, len(ordered))
    if n == 0:
        return []
    lo, hi = gsize(ordered[0]), gsize(ordered[-1])
    targets = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]
    chosen: list[str] = []
    used: set[str] = set()
    for target in targets:
        best = min((t for t in ordered if t.id not in used), key=lambda t: (abs(gsize(t) - target), gsize(t), t.id))
        used.add(best.id)
        chosen.append(best.id)
    return chosen


def resolve_subset(pool: Pool, subset: str) -> list[LabelledTask]:
    """The tasks a subset name selects, in the subset's order."""
    name = subset.strip()
    if m := _SIZE_RE.match(name):
        which, split, n = m.group(1), m.group(2), int(m.group(3))
        tasks = split_tasks(pool, split)
        return [tasks[i] for i in size_ordered(tasks, which, n)]
    if m := _GRID_RE.match(name):
        tasks = split_tasks(pool, m.group(2))
        return [tasks[i] for i in grid_size_distributed(tasks, int(m.group(1)))]
    if name.startswith("mit-"):
        level = name[4:]
        if level not in (*MIT_LEVELS, "all"):
            raise UserError(f"unknown subset {name!r}: MIT subsets are mit-easy, mit-medium, mit-hard, mit-expert, "
                            "mit-all")
        return _pick(split_tasks(pool, "evaluation"), mit_ids(level), f"subset {name}")
    if name in ("all_training", "all_evaluation"):
        tasks = split_tasks(pool, name.removeprefix("all_"))
        return list(tasks.values())
    if name == "all":
        return list(all_tasks(pool).values())
    path = Path(name)
    if path.suffix == ".txt" or _is_file(path):
        if not path.is_file():
            raise UserError(f"{path}: task-id file not found")
        ids = [ln.split("#")[0].strip() for ln in path.read_text().splitlines()]
        return _pick(all_tasks(pool), [i for i in ids if i], str(path))
    ids = [i.strip() for i in name.split(",") if i.strip()]
    known = all_tasks(pool)
    if ids and ("," in name or ids[0] in known or _ID_RE.match(ids[0])):
        return _pick(known, ids, "task list")
    raise UserError(f"unknown subset {name!r}: use {SUBSET_HELP}")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a long comma-separated id list is no valid file name (ENAMETOOLONG)
        return False


def _pick(tasks: dict[str, LabelledTask], ids: list[str], what: str) -> list[LabelledTask]:
    missing = [i for i in ids if i not in tasks]
    if missing:
        sample = ", ".join(list(tasks)[:5])
        raise UserError(f"{what}: unknown task id(s) {', '.join(missing[:10])} — this dataset has {len(tasks)} tasks "
                        f"(e.g. {sample}); `arcbench tasks list` shows them all")
    seen: set[str] = set()
    return [tasks[i] for i in ids if not (i in seen or seen.add(i))]
