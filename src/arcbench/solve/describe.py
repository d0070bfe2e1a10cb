"""--describe-grids: run the model's describe_input/describe_output on the training grids, in the sandbox.

The sandbox calls `transform(grid)` on each grid it is given, so the model's module is run with a `transform` of ours
appended that calls the describe function instead, prints what it returned on one marked line (keyed by a hash of the
grid, so that a grid re-run after a timeout in a fresh process still finds its line), and returns a dummy grid. Two
runs: describe_input on the inputs, describe_output on the expected and produced outputs. The program is the model's
own, with the same isolation and limits as any program; what it prints is read from its captured output only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from arcbench.data.types import Example, Grid
from arcbench.inert import clip
from arcbench.sandbox import SandboxLimits
from arcbench.solve.executor import Executor
from arcbench.solve.records import ExampleDescription, ExampleResult

MAX_CHARS = 300
"""One description as kept (the feedback shows the same)."""
_MARK = "\x1fdescribe\x1f"
_LINE = re.compile(re.escape(_MARK) + r"([0-9a-f]{16}) (.*)$", re.M)
_WRAPPER = '''

def __arcbench_describe(grid):
    import hashlib as _h
    import json as _j
    key = _h.sha1(_j.dumps(grid).encode()).hexdigest()[:16]
    value = _FN(grid)
    text = value if isinstance(value, str) else repr(value)
    print(_MARK + key + " " + _j.dumps(text[:_CHARS]))
    return [[0]]


transform = __arcbench_describe
'''


def _key(grid: Grid) -> str:
    return hashlib.sha1(json.dumps(grid).encode()).hexdigest()[:16]


def defines(code: str, name: str) -> bool:
    return re.search(rf"^def\s+{name}\s*\(", code, re.M) is not None


async def _run(executor: Executor, code: str, fn: str, grids: list[Grid], limits: SandboxLimits | None
               ) -> dict[str, str]:
    """Description per grid key (a failure written as what went wrong)."""
    if not grids:
        return {}
    if not defines(code, fn):
        return {_key(g): f"({fn} is not defined)" for g in grids}
    source = (code + _WRAPPER.replace("_FN", fn).replace("_MARK", repr(_MARK)).replace("_CHARS", str(MAX_CHARS)))
    base = limits or SandboxLimits()
    result = await executor.run(source, grids, base.model_copy(update={"max_output_chars": 100 * MAX_CHARS + 4000}))
    printed = {}
    for m in _LINE.finditer(result.stdout):
        try:
            text = json.loads(m.group(2))
        except ValueError:
            continue
        if isinstance(text, str):
            printed[m.group(1)] = clip(text, MAX_CHARS)
    out = {}
    for grid, r in zip(grids, result.results, strict=True):
        key = _key(grid)
        if r.ok and key in printed:
            out[key] = printed[key]
        elif not r.ok:
            first = (r.message.strip().splitlines() or [""])[-1]
            out.setdefault(key, clip(f"({fn} failed: {r.error}{': ' + first if first else ''})", MAX_CHARS))
        else:
            out.setdefault(key, f"({fn} returned nothing readable)")
    return out


async def describe(executor: Executor, code: str, train: Sequence[Example], results: Sequence[ExampleResult],
                   limits: SandboxLimits | None) -> list[ExampleDescription]:
    """What the program's describe functions say about every training input, expected output and produced output."""
    inputs = await _run(executor, code, "describe_input", [ex.input for ex in train], limits)
    produced = [r.output for r in results if r.output is not None]
    outputs = await _run(executor, code, "describe_output", [ex.output for ex in train] + produced, limits)
    return [ExampleDescription(index=i, input=inputs.get(_key(ex.input)), expected=outputs.get(_key(ex.output)),
                               produced=outputs.get(_key(r.output)) if r.output is not None else None)
            for i, (ex, r) in enumerate(zip(train, results, strict=True))]
