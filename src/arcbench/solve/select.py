"""Choosing at most two attempts per test input from every program a task produced.

Candidates are grouped by the output they give on a test input; groups rank first by whether every program behind
them is hard-coded (those come last: see `arcbench.solve.hardcode`), then by the most training examples any member
solved, then by votes, then by the members' mean training pixel accuracy. Votes are the programs that agree, or with
`vote_by="sample"` the conversations (experts) that agree, so that one expert repeating itself counts once. Only
training results, source text and agreement are used: the choice is made before the scorer sees a test output.

`arcbench.report.curves` applies this rule to every prefix of a run's samples on arrays (anytime curves): a change
here goes there too; tests/report/test_curves.py checks that the two agree.
"""

from __future__ import annotations

from typing import Literal

from arcbench.scoring import MAX_ATTEMPTS
from arcbench.solve.records import AttemptSource, Turn

VoteBy = Literal["turn", "sample"]


def _key(grid: list[list[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(r) for r in grid)


def choose_attempts(turns: list[Turn], n_tests: int, k: int = MAX_ATTEMPTS, *,
                    vote_by: VoteBy = "turn") -> list[list[AttemptSource]]:
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
            hardcoded = all(m.hardcoded for m in members)
            best_solved = max(m.train_solved for m in members)
            votes = len(members) if vote_by == "turn" else len({m.sample for m in members})
            mean_px = sum(m.train_pixel_accuracy for m in members) / len(members)
            # Earliest turn breaks remaining ties so the choice is deterministic.
            first = min(m.index for m in members)
            ranked.append((hardcoded, -best_solved, -votes, -mean_px, first, members))
        ranked.sort(key=lambda r: r[:5])
        chosen.append([
            AttemptSource(
                output=members[0].test[i].output,
                turns=sorted(m.index for m in members),
                train_solved=-neg_solved,
                votes=-neg_votes,
                train_pixel_accuracy=-neg_px,
                hardcoded=hardcoded,
            )
            for hardcoded, neg_solved, neg_votes, neg_px, _, members in ranked[:k]
        ])
    return chosen
