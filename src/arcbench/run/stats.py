"""Statistics over repeat runs. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from arcbench.run.records import Stat

# Two-sided 95% Student t quantiles by degrees of freedom (repeat runs are 1-10, so a table suffices).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042}


def t95(df: int) -> float:
    if df in _T95:
        return _T95[df]
    smaller = [d for d in _T95 if d <= df]
    return _T95[max(smaller)] if df <= 30 else 1.96


def describe(values: Sequence[float]) -> Stat:
    """Mean, sample standard deviation and the 95% t confidence interval of the mean (zero width for n=1)."""
    n = len(values)
    if n == 0:
        return Stat(mean=0.0, std=0.0, ci95_low=0.0, ci95_high=0.0, n=0)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = t95(n - 1) * std / math.sqrt(n) if n > 1 else 0.0
    return Stat(mean=mean, std=std, ci95_low=mean - half, ci95_high=mean + half, n=n)
