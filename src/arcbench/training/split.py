"""The validation split: by task, so that no task has examples on both sides (a model that saw a task's relabelled
variants in training would find its validation examples easy), stratified by the balance class."""

from __future__ import annotations

import random
from collections import defaultdict


def split_tasks(task_classes: dict[str, set[bool]], fraction: float, seed: int = 0) -> set[str]:
    """The validation task ids.

    `task_classes` maps each task id to the balance classes of its examples (True: at least one originally correct
    training output). Tasks are grouped by that set, and about `fraction` of each group goes to validation. With a
    fraction above 0 and at least two tasks, both sides get at least one task.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    if fraction == 0.0 or len(task_classes) < 2:
        return set()
    rng = random.Random(f"split:{seed}")
    groups: dict[tuple[bool, ...], list[str]] = defaultdict(list)
    for tid in sorted(task_classes):
        groups[tuple(sorted(task_classes[tid]))].append(tid)
    val: list[str] = []
    rest: list[str] = []
    for key in sorted(groups):
        ids = groups[key]
        rng.shuffle(ids)
        n = round(fraction * len(ids))
        val += ids[:n]
        rest += ids[n:]
    if not val:
        val.append(rest.pop(rng.randrange(len(rest))))
    elif not rest:
        val.pop(rng.randrange(len(val)))
    return set(val)
