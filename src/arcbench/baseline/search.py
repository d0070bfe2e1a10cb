"""The baseline's program search: compositions of grid primitives, kept when they fit the training pairs.

Layout of the search (cheap and general first, so the time budget rarely cuts it short):
  prefixes: the identity, every fixed step, and pairs of fixed steps (a smaller set second), each run on the
            training and test inputs once and deduplicated by what it produces;
  finishers: for each prefix, learned last steps whose parameters are read off the training pairs (a colour map,
            a tiling of symmetric copies, a fill colour, a local rule, ...), or nothing.
Every resulting program is scored on the training pairs only (pairs fully right, then cells right); test inputs are
used only to run programs (a program that fails on a test input ranks last) and to tell apart programs that would
give the same answers. The ranking is deterministic: when the search ends before its deadline, the same task always
yields the same list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from arcbench.baseline import primitives as P
from arcbench.baseline.program import Step, step
from arcbench.data.validate import MAX_SIDE

Grids = list[np.ndarray]


@dataclass
class Candidate:
    """A program and how it does on the training pairs."""

    steps: tuple[Step, ...]
    cost: float
    train_exact: int
    train_cells: int
    train_total_cells: int
    test_outputs: Grids
    order: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.train_exact > 0 and self.train_cells == self.train_total_cells

    def rank_key(self) -> tuple:
        return (not self.consistent, -self.train_exact, -self.train_cells, self.cost, self.order)

    def test_signature(self) -> tuple:
        return tuple((o.shape, o.tobytes()) for o in self.test_outputs)


@dataclass
class _Prefix:
    steps: tuple[Step, ...]
    cost: float
    train: Grids
    test: Grids


def _signature(grids: Grids) -> tuple:
    return tuple((g.shape, g.tobytes()) for g in grids)


def _valid(g: np.ndarray) -> bool:
    # The rule of `grid_problem`, on an array: checked for every candidate output, so without a list round trip.
    side = 1 <= g.shape[0] <= MAX_SIDE and 1 <= g.shape[1] <= MAX_SIDE if g.ndim == 2 else False
    return side and bool(((g >= 0) & (g <= 9)).all())


def _apply(s: Step, grids: Grids) -> Grids | None:
    out = []
    for g in grids:
        try:
            r = s(g)
        except Exception:  # a primitive that does not apply to this grid: the program is not a candidate
            return None
        if not isinstance(r, np.ndarray) or not _valid(r):
            return None
        out.append(r.astype(int, copy=False))
    return out


def _apply_both(s: Step, prefix: _Prefix) -> tuple[Grids, Grids] | None:
    """A step applied after `prefix` on the training and the test inputs; None unless it applies to all of them."""
    train = _apply(s, prefix.train)
    if train is None:
        return None
    test = _apply(s, prefix.test)
    if test is None:
        return None
    return train, test


class Search:
    """One task's search. `run()` returns the candidates, best first."""

    def __init__(self, train: list[tuple[np.ndarray, np.ndarray]], tests: Grids, deadline: float) -> None:
        self.xs = [x for x, _ in train]
        self.ys = [y for _, y in train]
        self.tests = tests
        self.deadline = deadline
        self.total_cells = sum(y.size for y in self.ys)
        self.candidates: list[Candidate] = []
        self._seen_programs: set[tuple] = set()
        self.timed_out = False

    # -- bookkeeping -------------------------------------------------------------------------------------------

    def _out_of_time(self) -> bool:
        if time.monotonic() > self.deadline:
            self.timed_out = True
        return self.timed_out

    def _add(self, steps: tuple[Step, ...], cost: float, train_out: Grids, test_out: Grids) -> None:
        key = tuple(s.source() for s in steps)
        if key in self._seen_programs:
            return
        self._seen_programs.add(key)
        exact = cells = 0
        for p, y in zip(train_out, self.ys, strict=True):
            if p.shape == y.shape:
                right = int((p == y).sum())
                cells += right
                exact += right == y.size
        if cells == 0:
            return
        self.candidates.append(Candidate(steps, cost, exact, cells, self.total_cells, test_out,
                                         order=len(self.candidates)))

    def _try(self, prefix: _Prefix, last: Step, cost: float) -> bool:
        """Add prefix + last as a candidate; True when it fits every training pair."""
        applied = _apply_both(last, prefix)
        if applied is None:
            return False
        train, test = applied
        self._add((*prefix.steps, last), prefix.cost + cost, train, test)
        return all(p.shape == y.shape and (p == y).all() for p, y in zip(train, self.ys, strict=True))

    # -- the search --------------------------------------------------------------------------------------------

    def run(self) -> list[Candidate]:
        seen: set[tuple] = set()
        root = _Prefix((), 0.0, self.xs, self.tests)
        self._finish(root, full=True)
        layer1: list[_Prefix] = []
        for s, cost in self._fixed_steps(self.xs):
            if self._out_of_time():
                break
            p = self._extend(root, s, cost, seen)
            if p is not None:
                layer1.append(p)
                self._finish(p, full=True)
        for p in layer1:
            for s, cost in self._fixed_steps(p.train, second=True):
                if self._out_of_time():
                    break
                q = self._extend(p, s, cost, seen)
                if q is not None:
                    self._finish(q, full=False)
        return self._ranked()

    def _extend(self, prefix: _Prefix, s: Step, cost: float, seen: set[tuple]) -> _Prefix | None:
        applied = _apply_both(s, prefix)
        if applied is None:
            return None
        train, test = applied
        sig = (_signature(train), _signature(test))
        if sig in seen or sig == (_signature(self.xs), _signature(self.tests)):
            return None
        seen.add(sig)
        return _Prefix((*prefix.steps, s), prefix.cost + cost, train, test)

    def _finish(self, prefix: _Prefix, full: bool) -> None:
        """Try every last step on a prefix (only the cheap ones when not `full`)."""
        self._add(prefix.steps, prefix.cost, prefix.train, prefix.test)
        finishers = _FINISHERS if full else _CHEAP_FINISHERS
        for finisher in finishers:
            if self._out_of_time():
                return
            for last, cost in finisher(prefix.train, self.ys, prefix.test):
                self._try(prefix, last, cost)

    def _fixed_steps(self, xs: Grids, second: bool = False) -> Iterator[tuple[Step, float]]:
        yield from _fixed_steps(xs, self.ys, second)

    def _ranked(self) -> list[Candidate]:
        """Best first; among programs giving the same test answers only the best comes early, the rest at the end
        (a second attempt that repeats the first is wasted)."""
        ordered = sorted(self.candidates, key=Candidate.rank_key)
        first, later, sigs = [], [], set()
        for c in ordered:
            sig = c.test_signature()
            (later if sig in sigs else first).append(c)
            sigs.add(sig)
        return first + later


# -- fixed steps ---------------------------------------------------------------------------------------------------

_OBJECT_RULES = ("largest", "smallest", "largest_box", "most_colors", "densest_box", "rarest_color", "unique_shape")
_RAYS = {
    "down": ((1, 0),), "up": ((-1, 0),), "left": ((0, -1),), "right": ((0, 1),),
    "horizontal": ((0, -1), (0, 1)), "vertical": ((-1, 0), (1, 0)),
    "cross": ((-1, 0), (1, 0), (0, -1), (0, 1)), "diagonals": ((-1, -1), (-1, 1), (1, -1), (1, 1)),
}


def _ratios(xs: Grids, ys: Grids) -> set[tuple[int, int]]:
    """Integer (a, b) with y = a*rows, b*cols of x in every pair, or x = a*rows... (for scale-down)."""
    up, down = set(), set()
    ups = {(y.shape[0] / x.shape[0], y.shape[1] / x.shape[1]) for x, y in zip(xs, ys, strict=True)}
    downs = {(x.shape[0] / y.shape[0], x.shape[1] / y.shape[1]) for x, y in zip(xs, ys, strict=True)}
    if len(ups) == 1:
        a, b = next(iter(ups))
        if a == int(a) and b == int(b) and a * b > 1:
            up.add((int(a), int(b)))
    if len(downs) == 1:
        a, b = next(iter(downs))
        if a == int(a) and b == int(b) and a * b > 1:
            down.add((int(a), int(b)))
    return up, down


def _fixed_steps(xs: Grids, ys: Grids, second: bool) -> Iterator[tuple[Step, float]]:
    """Parameter-free steps (their parameters are enumerated, not learned). `second`: the smaller set used as the
    second step of a pair."""
    for k in range(1, 8):
        yield step("dihedral", k=k), 1.0
    yield step("crop_to_content", bg=None), 1.0
    yield step("crop_to_content", bg=0), 1.1
    up, down = _ratios(xs, ys)
    for a, b in sorted(up | {(2, 2), (3, 3)}):
        yield step("scale_up", a=a, b=b), 1.0
    for a, b in sorted(down | ({(2, 2), (3, 3)} if not second else set())):
        yield step("scale_down", a=a, b=b), 1.0
    for side in range(4):
        yield step("gravity", side=side), 1.2
    if second:
        for which in ("largest", "smallest"):
            yield step("crop_object", which=which, diagonal=True, multicolor=True, isolate=False), 1.3
        return
    for which in _OBJECT_RULES:
        for diagonal in (False, True):
            for multicolor in (True, False):
                for isolate in (False, True):
                    yield step("crop_object", which=which, diagonal=diagonal, multicolor=multicolor,
                               isolate=isolate), 1.3 + 0.05 * (isolate + (not diagonal) + (not multicolor))
    for which in _OBJECT_RULES:
        for diagonal in (False, True):
            for multicolor in (True, False):
                yield step("keep_object", which=which, diagonal=diagonal, multicolor=multicolor), 1.4
    for max_size in (1, 2):
        for diagonal in (False, True):
            yield step("remove_small_objects", max_size=max_size, diagonal=diagonal), 1.3
    for inverse in (False, True):
        yield step("self_kron", inverse=inverse), 1.2
    for name, dirs in _RAYS.items():
        yield step("draw_rays", directions=dirs), 1.3 + 0.01 * len(name)
    for diagonal in (False, True):
        yield step("connect_pairs", diagonal=diagonal), 1.3
    for axis in (0, 1):
        for n in (2, 3):
            for order in ((0, 1, 2)[:n], (2, 1, 0)[3 - n:]):
                yield step("overlay_parts", axis=axis, n=n, order=order), 1.5


# -- finishers: learned last steps ---------------------------------------------------------------------------------

Finisher = Callable[[Grids, Grids, Grids], Iterator[tuple[Step, float]]]


def _same_shapes(ps: Grids, ys: Grids) -> bool:
    return all(p.shape == y.shape for p, y in zip(ps, ys, strict=True))


def _color_map(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    """recolor: a colour-to-colour map that every pair agrees on."""
    if not _same_shapes(ps, ys):
        return
    mapping: dict[int, int] = {}
    for p, y in zip(ps, ys, strict=True):
        for a, b in zip(p.ravel().tolist(), y.ravel().tolist(), strict=True):
            if mapping.setdefault(a, b) != b:
                return
    mapping = {a: b for a, b in sorted(mapping.items()) if a != b}
    if mapping:
        yield step("recolor", mapping=mapping), 1.0 + 0.1 * len(mapping)


def _tiling(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    """tile_blocks: the output is a mosaic of symmetric copies of the input."""
    p0, y0 = ps[0], ys[0]
    if y0.shape[0] % p0.shape[0] or y0.shape[1] % p0.shape[1] or y0.shape == p0.shape:
        return
    a, b = y0.shape[0] // p0.shape[0], y0.shape[1] // p0.shape[1]
    if any(y.shape != (a * p.shape[0], b * p.shape[1]) for p, y in zip(ps, ys, strict=True)):
        return
    layout = []
    for i in range(a):
        row = []
        for j in range(b):
            for k in range(8):
                if all(_block_is(p, y, i, j, k) for p, y in zip(ps, ys, strict=True)):
                    row.append(k)
                    break
            else:
                return
        layout.append(tuple(row))
    yield step("tile_blocks", layout=tuple(layout)), 1.0 + 0.1 * sum(k != 0 for r in layout for k in r)


def _block_is(p: np.ndarray, y: np.ndarray, i: int, j: int, k: int) -> bool:
    h, w = p.shape
    block = y[i * h:(i + 1) * h, j * w:(j + 1) * w]
    return bool(np.array_equal(P.dihedral(p, k), block))


def _changed_colors(ps: Grids, ys: Grids) -> tuple[set[int], set[int]] | None:
    """(colours the changed cells had, colours they got), when the shapes agree."""
    if not _same_shapes(ps, ys):
        return None
    before, after = set(), set()
    for p, y in zip(ps, ys, strict=True):
        d = p != y
        before |= set(np.unique(p[d]).tolist())
        after |= set(np.unique(y[d]).tolist())
    return before, after


def _fill(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    changed = _changed_colors(ps, ys)
    if not changed or len(changed[1]) != 1:
        return
    yield step("fill_enclosed", color=next(iter(changed[1]))), 1.2


def _symmetry(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    changed = _changed_colors(ps, ys)
    if not changed or len(changed[0]) != 1:
        return
    hole = next(iter(changed[0]))
    for mode in ("lr", "ud", "both", "diag", "rot", "all"):
        yield step("complete_symmetry", hole=hole, mode=mode), 1.3


def _combine(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    colors = set()
    for y in ys:
        colors |= set(np.unique(y).tolist())
    colors.discard(0)
    if len(colors) != 1:
        return
    color = next(iter(colors))
    for axis in (0, 1):
        for n in (2, 3):
            size = ps[0].shape[axis]
            if ys[0].shape[axis] * n not in (size, size - n + 1) or ys[0].shape[1 - axis] != ps[0].shape[1 - axis]:
                continue
            for op in ("and", "or", "xor", "nor", "first_only"):
                yield step("combine_parts", axis=axis, n=n, op=op, color=color), 1.3


def _recolor_objects(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    if not _same_shapes(ps, ys):
        return
    for diagonal in (False, True):
        objs = []
        for p in ps:
            objs.append(P.find_objects(p, P.background(p), diagonal, False))
        if sum(len(o) for o in objs) > 400:
            continue
        for prop in ("size", "size_rank", "size_rank_asc", "height", "width", "touches_edge", "is_rectangle",
                     "shape"):
            table: dict = {}
            ok = True
            for p, y, objects in zip(ps, ys, objs, strict=True):
                for obj in objects:
                    rr = [r for r, _ in obj]
                    cc = [c for _, c in obj]
                    got = np.unique(y[rr, cc])
                    if len(got) != 1:
                        ok = False
                        break
                    key = P.object_property(p, obj, prop, objects)
                    if table.setdefault(key, int(got[0])) != int(got[0]):
                        ok = False
                        break
                if not ok:
                    break
            if ok and table:
                yield step("recolor_objects", prop=prop, diagonal=diagonal, table=dict(sorted(table.items()))), \
                    1.5 + 0.05 * len(table)


def _local_rule(ps: Grids, ys: Grids, tests: Grids) -> Iterator[tuple[Step, float]]:
    if not _same_shapes(ps, ys) or sum(p.size for p in ps) > 3000:
        return
    for kind in ("cross", "square", "lines"):
        rule: dict = {}
        ok = True
        for p, y in zip(ps, ys, strict=True):
            h, w = p.shape
            for r in range(h):
                for c in range(w):
                    key = P.neighbourhood(p, r, c, kind)
                    if rule.setdefault(key, int(y[r, c])) != int(y[r, c]):
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                break
        if not ok:
            continue
        changes = {k: v for k, v in sorted(rule.items()) if v != k[0]}
        if not changes:
            continue
        unseen = sum(P.neighbourhood(t, r, c, kind) not in rule
                     for t in tests for r in range(t.shape[0]) for c in range(t.shape[1]))
        yield step("apply_local_rule", kind=kind, rule=changes), 3.0 + 0.01 * len(changes) + 0.2 * unseen


def _constant(ps: Grids, ys: Grids, _tests: Grids) -> Iterator[tuple[Step, float]]:
    shapes = {y.shape for y in ys}
    if len(shapes) != 1 or any(len(np.unique(y)) != 1 for y in ys):
        return
    h, w = next(iter(shapes))
    for rule in ("most", "least"):
        yield step("fill_constant", height=h, width=w, rule=rule), 1.5


_CHEAP_FINISHERS: list[Finisher] = [_color_map, _tiling]
_FINISHERS: list[Finisher] = [_color_map, _tiling, _fill, _symmetry, _combine, _constant, _recolor_objects,
                              _local_rule]


def search(train: list[tuple[np.ndarray, np.ndarray]], tests: Grids, time_budget_s: float) -> list[Candidate]:
    """Candidate programs for a task, best first (see the module docstring)."""
    return Search(train, tests, time.monotonic() + time_budget_s).run()
