"""Balancing: as many programs with at least one originally correct training output as without (the seed's 50/50).

Without it, a set built from a weak model's runs is almost all wrong-on-the-original programs, and one from a strong
model's runs almost all near-solutions. Sampling is deterministic in the seed and independent of the order in which
programs were executed.
"""

from __future__ import annotations

import random

from arcbench.training.relabel import Qualified


def _order(q: Qualified) -> tuple[str, str]:
    return (q.task.id, q.program.key)


def balance(items: list[Qualified], seed: int = 0, limit: int | None = None) -> list[Qualified]:
    """Equal numbers from both classes (the larger class is sampled down), at most `limit` in all (half each).

    The result is sorted by task id and program key.
    """
    some = sorted((q for q in items if q.some_correct), key=_order)
    none = sorted((q for q in items if not q.some_correct), key=_order)
    k = min(len(some), len(none))
    if limit is not None:
        k = min(k, limit // 2)
    rng = random.Random(f"balance:{seed}")
    picked = rng.sample(some, k) + rng.sample(none, k)
    return sorted(picked, key=_order)
