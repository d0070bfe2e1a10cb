"""Anytime curves: what a run would have scored had it stopped after k samples per task. Pure functions.

A task's samples are its turns (each a model call; every turn with a program is a candidate). For each k, over the
run's scored tasks:

- **pass@2 after k samples**: the attempts chosen from the task's first k samples alone, by the rule the run uses
  (`arcbench.solve.select.choose_attempts`), scored as the run scores them (solved test inputs / test inputs).
  Independent samples drawn to the end of their budget (mode `independent`, `--stop-when never`) are exchangeable,
  so the figure is the mean over many random orders of each task's samples (`orders_for`), and the band holds the
  middle 95% of the orders' run scores. Any other run's turns depend on the ones before (feedback) or decided when to
  stop, so its only honest order is the one drawn: one order, no band, and the point at k is exactly what the run
  would have scored with a budget of k calls.
- **pass@k**: the probability that at least one of k samples, drawn without replacement from the task's n, solves
  the task (its program gets every test input right): the unbiased estimator of Chen et al. (2021),
  1 - C(n-c, k) / C(n, k) with c the samples that solve it.

A task with fewer than k samples (it stopped early, or its calls failed) counts with all of its samples. Cost (and
tokens) at k is the expected spend of every task's first k samples: exact prefix sums in the drawn order, k/n of the
task's total for random orders.

The attempt rule is re-implemented here on arrays (thousands of samples times hundreds of orders is too much for one
`choose_attempts` call per prefix); `tests/report/test_curves.py` checks the two agree on every order of small cases.
Pixel accuracies are summed in sample order and divided as there, so even floating-point ties come out the same.
This is reporting after the run: it reads the scorer's per-turn record of which test outputs were right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from arcbench.data.types import Grid
from arcbench.run.config import RunConfig
from arcbench.run.records import TaskLog, Turn
from arcbench.scoring import MAX_ATTEMPTS

BAND = (2.5, 97.5)
"""Percentiles of the orders' run scores that bound the band."""


def orders_for(n_max: int) -> int:
    """Random orders averaged for exchangeable samples: 1,000 for up to 200 samples per task, fewer above (at least
    200), so that the work (orders x samples) stays bounded."""
    return min(1000, max(200, 200_000 // max(n_max, 1)))


class CurvePoint(BaseModel):
    """The run after the first k samples of each task."""

    k: int
    pass2: float
    """pass@2 score (mean task score) from the first k samples, averaged over orders."""
    pass2_low: float
    """Lower edge of the band: 2.5th percentile of the orders' scores (the score itself for one order)."""
    pass2_high: float
    pass_at_k: float
    """Mean over tasks of the unbiased pass@k: some one of k samples solves the task."""
    cost_usd: float | None
    """Expected cost of the first k samples of every task (priced calls only); None when no call had a price."""
    tokens: float
    """Expected tokens of the first k samples of every task."""


class AnytimeCurve(BaseModel):
    """Score against samples and cost for one run (repeat runs pooled: each task of each run counts once)."""

    tasks: int
    """Scored tasks behind the curve."""
    samples_min: int
    samples_max: int
    """Fewest and most samples of a task."""
    orders: int
    """Orders averaged: 1 when the samples are taken in the order they were drawn."""
    random_orders: bool
    cost_known: bool
    """False when some call had no known price: costs cover the priced calls only."""
    points: list[CurvePoint]


@dataclass(frozen=True)
class TaskSamples:
    """One scored task's samples as arrays (index = turn position in the log)."""

    task_id: str
    n: int
    groups: np.ndarray
    """(tests, n) int: per test input, the id of each sample's output (-1: no output)."""
    right: np.ndarray
    """(tests,) int: per test input, the id of the right output (-1: no sample gave it)."""
    train_solved: np.ndarray
    train_px: np.ndarray
    """(n,) float: mean training pixel accuracy."""
    hardcoded: np.ndarray
    """(n,) bool: the sample's program was flagged as hard-coded (ranked last, as choose_attempts ranks it)."""
    solves: np.ndarray
    """(n,) bool: the sample's program got every test input right."""
    cost: np.ndarray
    """(n,) float: each call's cost, 0 where unknown."""
    tokens: np.ndarray
    priced: np.ndarray
    """(n,) bool: the call's cost is known."""


def exchangeable(config: RunConfig | None) -> bool:
    """Whether a run's samples may be reordered: independent samples, none of which decided to stop the task."""
    return config is not None and config.mode == "independent" and config.stop_when == "never"


def _key(grid: Grid) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(r) for r in grid)


def _rights(turn: Turn, expected: Sequence[Grid] | None, tests: int) -> list[bool] | None:
    """Per test input, whether this turn's output is right: the scorer's record, else checked against `expected`;
    None when neither is there."""
    if turn.test_scores is not None:
        return [i < len(turn.test_scores) and turn.test_scores[i].correct for i in range(tests)]
    if not turn.test:
        return [False] * tests
    if expected is None:
        return None
    outputs: list[Grid | None] = [None] * tests
    for r in turn.test:
        if 0 <= r.index < tests:
            outputs[r.index] = r.output
    return [o is not None and o == e for o, e in zip(outputs, expected, strict=True)]


def task_samples(log: TaskLog, expected: Sequence[Grid] | None = None) -> TaskSamples | None:
    """A scored task's samples; None for a task that was not scored (no test outputs, not finished) or whose turns
    cannot be checked (no scorer's record and no expected outputs)."""
    if log.score is None or not log.turns:
        return None
    tests = len(log.test_inputs)
    n = len(log.turns)
    groups = np.full((tests, n), -1, dtype=np.int64)
    right = np.full(tests, -1, dtype=np.int64)
    solves = np.zeros(n, dtype=bool)
    ids: list[dict[tuple, int]] = [{} for _ in range(tests)]
    for j, turn in enumerate(log.turns):
        rights = _rights(turn, expected, tests)
        if rights is None:
            return None
        outputs: dict[int, Grid] = {r.index: r.output for r in turn.test if r.output is not None}
        for i in range(tests):
            if i in outputs:
                g = ids[i].setdefault(_key(outputs[i]), len(ids[i]))
                groups[i, j] = g
                if rights[i]:
                    right[i] = g
        solves[j] = tests > 0 and all(rights)
    costs = [t.cost_usd for t in log.turns]
    return TaskSamples(
        task_id=log.task_id, n=n, groups=groups, right=right,
        train_solved=np.array([t.train_solved for t in log.turns], dtype=np.int64),
        train_px=np.array([t.train_pixel_accuracy for t in log.turns], dtype=float),
        hardcoded=np.array([t.hardcoded for t in log.turns], dtype=bool),
        solves=solves, cost=np.array([c or 0.0 for c in costs], dtype=float),
        tokens=np.array([t.usage.total_tokens for t in log.turns], dtype=float),
        priced=np.array([c is not None for c in costs], dtype=bool),
    )


def _right_in_top(s: TaskSamples, test: int, orders: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """(orders, ks) bool: whether the right output of `test` is among the attempts chosen from each prefix.

    Group statistics (votes, best training solve count, pixel-accuracy sum, first position) are accumulated over the
    orders chunk by chunk, from one k to the next; at each k the right output is chosen when fewer than two groups
    rank above it."""
    r_orders = orders.shape[0]
    c = int(s.right[test])
    out = np.zeros((r_orders, len(ks)), dtype=bool)
    if c < 0:
        return out
    gid = s.groups[test]
    n_groups = int(gid.max()) + 1
    votes = np.zeros(r_orders * n_groups, dtype=np.int64)
    best = np.full(r_orders * n_groups, -1, dtype=np.int64)
    px = np.zeros(r_orders * n_groups)
    honest = np.zeros(r_orders * n_groups, dtype=np.int64)  # members not flagged as hard-coded
    first = np.full(r_orders * n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    rows = np.arange(r_orders, dtype=np.int64)[:, None] * n_groups
    done = 0
    for j, k in enumerate(ks):
        upto = min(k, s.n)
        if upto > done:
            chunk = orders[:, done:upto]
            g = gid[chunk]
            ok = g >= 0
            flat = (rows + g)[ok]
            votes += np.bincount(flat, minlength=votes.size)
            np.maximum.at(best, flat, s.train_solved[chunk][ok])
            np.add.at(px, flat, s.train_px[chunk][ok])  # in sample order, as choose_attempts adds them
            honest += np.bincount(flat, weights=(~s.hardcoded[chunk][ok]).astype(float),
                                  minlength=honest.size).astype(np.int64)
            pos = np.broadcast_to(np.arange(done, upto, dtype=np.int64), chunk.shape)[ok]
            np.minimum.at(first, flat, pos)
            done = upto
        v, b, f, hn = (a.reshape(r_orders, n_groups) for a in (votes, best, first, honest))
        h = hn == 0  # a group all of whose programs are hard-coded
        hc = h[:, c:c + 1]
        p = np.divide(px, np.maximum(votes, 1)).reshape(r_orders, n_groups)  # mean training pixel accuracy
        vc, bc, pc, fc = v[:, c:c + 1], b[:, c:c + 1], p[:, c:c + 1], f[:, c:c + 1]
        # The rule of choose_attempts: hard-coded groups last, then most training examples solved, then votes, then
        # mean training pixel accuracy, then the earliest sample.
        rest = (b > bc) | ((b == bc) & ((v > vc) | ((v == vc) & ((p > pc) | ((p == pc) & (f < fc))))))
        above = (v > 0) & ((~h & hc) | ((h == hc) & rest))
        out[:, j] = (vc[:, 0] > 0) & (above.sum(axis=1) < MAX_ATTEMPTS)
    return out


def pass2_after(s: TaskSamples, orders: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """(orders, ks) task scores: the ARC score of the attempts chosen from the first min(k, n) samples of each order
    (`orders` holds one permutation of range(n) per row)."""
    tests = s.groups.shape[0]
    if tests == 0:
        return np.zeros((orders.shape[0], len(ks)))
    solved = sum(_right_in_top(s, i, orders, ks).astype(float) for i in range(tests))
    return np.asarray(solved) / tests


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate that some one of k samples (of n, c of which are right) is right; k above n counts as n.

    The product form of Chen et al. (2021): 1 - prod_{i=n-c+1..n} (1 - k/i), exact in floating point for any n."""
    if n <= 0:
        return 0.0
    k = min(k, n)
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def default_ks(n_max: int) -> list[int]:
    """Sample counts to evaluate: every k up to 16, then about four per doubling (every power of two among them),
    and n_max itself."""
    ks = set(range(1, min(n_max, 16) + 1)) | {2 ** e for e in range(n_max.bit_length()) if 2 ** e <= n_max}
    x = 16.0
    while x < n_max:
        x *= 2 ** 0.25
        ks.add(min(n_max, round(x)))
    ks.add(n_max)
    return sorted(k for k in ks if k >= 1)


def anytime_curve(samples: Sequence[TaskSamples], *, random_orders: bool, orders: int | None = None, seed: int = 0,
                  ks: Sequence[int] | None = None) -> AnytimeCurve | None:
    """The run's curves from its scored tasks' samples; None when there is no scored task with a sample."""
    tasks = [s for s in samples if s.n > 0]
    if not tasks:
        return None
    n_max = max(s.n for s in tasks)
    ks = list(ks) if ks is not None else default_ks(n_max)
    n_orders = (orders or orders_for(n_max)) if random_orders and n_max > 1 else 1
    rng = np.random.default_rng(seed)
    scores = np.zeros((n_orders, len(ks)))
    any_k = np.zeros(len(ks))
    cost = np.zeros(len(ks))
    tokens = np.zeros(len(ks))
    for s in tasks:
        if (s.right >= 0).any():  # else every prefix scores 0 and there is nothing to order
            base = np.arange(s.n, dtype=np.int64)
            order = rng.permuted(np.tile(base, (n_orders, 1)), axis=1) if n_orders > 1 else base[None, :]
            scores += pass2_after(s, order, ks)
        c = int(s.solves.sum())
        any_k += [pass_at_k(s.n, c, k) for k in ks]
        used = np.minimum(ks, s.n)
        if n_orders > 1:  # the expected spend of min(k, n) samples in a random order
            cost += s.cost.sum() * used / s.n
            tokens += s.tokens.sum() * used / s.n
        else:
            cost += np.concatenate([[0.0], np.cumsum(s.cost)])[used]
            tokens += np.concatenate([[0.0], np.cumsum(s.tokens)])[used]
    scores /= len(tasks)
    low, high = np.percentile(scores, BAND, axis=0) if n_orders > 1 else (scores[0], scores[0])
    priced = any(s.priced.any() for s in tasks)
    points = [CurvePoint(k=k, pass2=float(scores[:, j].mean()), pass2_low=float(low[j]), pass2_high=float(high[j]),
                         pass_at_k=float(any_k[j] / len(tasks)), cost_usd=float(cost[j]) if priced else None,
                         tokens=float(tokens[j]))
              for j, k in enumerate(ks)]
    return AnytimeCurve(tasks=len(tasks), samples_min=min(s.n for s in tasks), samples_max=n_max, orders=n_orders,
                        random_orders=n_orders > 1, cost_known=all(s.priced.all() for s in tasks), points=points)


def table_points(curve: AnytimeCurve) -> list[CurvePoint]:
    """The points a table shows: k = 1, 2, 4, 8, ... and the most samples of a task."""
    return [p for p in curve.points if p.k & (p.k - 1) == 0 or p.k == curve.samples_max]


def needs_expected(logs: Iterable[TaskLog]) -> bool:
    """Whether some scored turn lacks the scorer's record, so the expected outputs must be loaded to check it."""
    return any(log.score is not None and t.test and t.test_scores is None for log in logs for t in log.turns)


def curve_of_logs(logs: Iterable[TaskLog], config: RunConfig | None,
                  expected: Mapping[str, Sequence[Grid] | None] | None = None, *, orders: int | None = None,
                  seed: int = 0) -> AnytimeCurve | None:
    """The curves of a run's task logs (every run of a repeat run, pooled), ordered as its config allows."""
    found = [task_samples(log, (expected or {}).get(log.task_id)) for log in logs]
    return anytime_curve([s for s in found if s is not None], random_orders=exchangeable(config), orders=orders,
                         seed=seed)
