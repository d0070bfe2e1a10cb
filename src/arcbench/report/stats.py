"""Statistics for comparing runs. Pure functions.

Means and confidence intervals over repeat runs come from `arcbench.run.stats.describe` (the same function that
writes aggregate.json), so a number in `compare` matches the one the run printed.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: the binomial test of the discordant pairs against p = 1/2.

    `only_a` tasks were solved by A and not B, `only_b` by B and not A. Concordant tasks carry no information about
    which configuration is better, so they do not enter. With no discordant pair the p-value is 1.
    """
    if only_a < 0 or only_b < 0:
        raise ValueError("discordant counts must be non-negative")
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = Fraction(sum(comb(n, i) for i in range(k + 1)), 2**n)  # exact: no float underflow for large n
    return float(min(Fraction(1), 2 * tail))
