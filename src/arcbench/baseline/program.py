"""A baseline program: a sequence of primitive calls, runnable in-process and printable as standalone source."""

from __future__ import annotations

import inspect
import pprint
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from arcbench.baseline import primitives

Params = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Step:
    """One call `name(g, **params)` of a function of `arcbench.baseline.primitives`."""

    name: str
    params: Params = ()

    def __call__(self, g: np.ndarray) -> np.ndarray:
        return getattr(primitives, self.name)(g, **dict(self.params))

    def source(self) -> str:
        args = "".join(f", {k}={_literal(v)}" for k, v in self.params)
        return f"{self.name}(g{args})"


def step(name: str, **params: Any) -> Step:
    return Step(name, tuple(params.items()))


def run_program(steps: tuple[Step, ...], grid: np.ndarray) -> np.ndarray:
    for s in steps:
        grid = s(grid)
    return grid


def _literal(value: Any) -> str:
    """Python source for a parameter value (ints, strings, tuples, dicts); long dicts one entry per line."""
    text = repr(value)
    if len(text) > 80 and isinstance(value, dict):
        text = pprint.pformat(value, width=110, sort_dicts=True)
        return text.replace("\n", "\n        ")
    return text


@cache
def _function_source(name: str) -> str:
    return inspect.getsource(getattr(primitives, name)).rstrip() + "\n"


def _needed(names: list[str]) -> list[str]:
    """The primitives `names` call, transitively, in the order they appear in the primitives module."""
    todo, seen = list(names), set()
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(primitives.DEPENDS.get(n, []))
    order = [n for n, _ in inspect.getmembers(primitives, inspect.isfunction)]
    position = {n: inspect.getsourcelines(getattr(primitives, n))[1] for n in order}
    return sorted(seen, key=lambda n: position[n])


def program_source(steps: tuple[Step, ...]) -> str:
    """A self-contained Python program (numpy only) defining `transform(grid)` that runs `steps`."""
    helpers = "\n\n".join(_function_source(n) for n in _needed([s.name for s in steps]))
    body = "".join(f"    g = {s.source()}\n" for s in steps)
    parts = ["import numpy as np\n"]
    if helpers:
        parts.append(helpers)
    parts.append(f"def transform(grid):\n    g = np.array(grid, dtype=int)\n{body}    return g.tolist()\n")
    return "\n\n".join(parts)
