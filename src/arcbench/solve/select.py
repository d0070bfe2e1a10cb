"""Choosing at most two attempts per test input from every program a task produced.

Candidates are grouped by the output they give on a test input; groups rank by the most training examples any member
solved, then by votes (members), then by the members' mean training pixel accuracy. Only training results and
agreement are used: the choice is made before the scorer sees a test output.
"""

from __future__ import annotations

from arcbench.scoring import MAX_ATTEMPTS
from arcbench.solve.records import AttemptSource, Turn


def _key(grid: list[list[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(r) for r in grid)


def choose_attempts(turns: list[Turn], n_tests: int, k: int = MAX_ATTEMPTS) -> list[list[AttemptSource]]:
    """Per test input, up to `k` distinct outputs, best first."""
    chosen: list[list[AttemptSource]] = []
    for i in range(n_tests):
        groups: dict[tuple, list[Turn]] = {}
        keys: dict[int, tuple] = {}  # by output object: turns whose program was not run again share their runner's
        for t in turns:
            if i < len(t.test) and (out := t.test[i].output) is not None:
                key = keys.get(id(out))
                if key is None:
                    key = keys[id(out)] = _key(out)
                groups.setdefault(key, []).append(t)
        ranked = []
        for members in groups.values():
            best_solved = max(m.train_solved for m in members)
            mean_px = sum(m.train_pixel_accuracy for m in members) / len(members)
            # Earliest turn breaks remaining ties so the choice is deterministic.
            first = min(m.index for m in members)
            ranked.append((-best_solved, -len(members), -mean_px, first, members))
        ranked.sort(key=lambda r: r[:4])
        chosen.append([
            AttemptSource(
                output=members[0].test[i].output,
                turns=sorted(m.index for m in members),
                train_solved=-neg_solved,
                votes=-neg_votes,
                train_pixel_accuracy=-neg_px,
            )
            for neg_solved, neg_votes, neg_px, _, members in ranked[:k]
        ])
    return chosen
