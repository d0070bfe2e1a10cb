"""The Python session of `--mode tools`: state that persists for a task, kept as the code that built it.

Every program the sandbox runs gets a fresh process that has seen no other program, and that is not relaxed here. A
session is therefore the list of code cells that ran without an exception; each `run_python` call runs one program:
the setup (`train`, `test_inputs`, numpy as `np`; `random` and `np.random` seeded with 0 when the code mentions
randomness), every earlier successful
cell again with its output discarded, then the new cell, whose printed output, last expression's repr and error are
reported on one marked line of the program's captured output. Isolation and limits are exactly a program's; the
price is time: call n re-runs the n-1 cells before it. A cell that raised leaves nothing behind (in a notebook its
statements before the error would have run). The new cell's own code has `tool_timeout_s` (an interval timer in the
program stops it); the program as a whole has that much again per replayed cell before the sandbox kills it.

No test output is ever in a session: it is built from the training pairs and the test inputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from arcbench.data.types import Example, Grid
from arcbench.inert import clip
from arcbench.sandbox import SandboxLimits
from arcbench.solve.executor import Executor

MAX_RESULT_CHARS = 8_000
"""What one call returns to the model: printed output, value and error together."""
_PART_CHARS = 6_000
_MARK = "\x1fsession-result\x1f"
_DUMMY: list[Grid] = [[[0]]]

_PROGRAM = r'''
import ast as _ast
import io as _io
import json as _json
import signal as _signal
import sys as _sys
from contextlib import redirect_stderr as _err, redirect_stdout as _out

_SETUP = %(setup)s
_CELLS = %(cells)s
_NEW = %(new)s
_LIMIT_S = %(limit)r
_CHARS = %(chars)d


class _CellTimeout(BaseException):
    pass


def _alarm(*_):
    raise _CellTimeout()


def _where(info):
    import traceback as _tb

    kind, err, tb = info
    frames = [f for f in _tb.extract_tb(tb) if f.filename != "<program>"][-8:]
    return ("Traceback (most recent call last):\n" + "".join(_tb.format_list(frames))
            + "".join(_tb.format_exception_only(kind, err)))


def transform(grid):
    import numpy as np
    if any("random" in c for c in _CELLS + [_NEW]):  # numpy.random costs tens of ms to import: only when used
        import random
        random.seed(0)
        np.random.seed(0)
    ns = {"__name__": "__session__", "np": np}
    ns.update(_json.loads(_SETUP))
    sink = _io.StringIO()
    report = {"ok": True, "stdout": "", "value": None, "error": None}
    for k, cell in enumerate(_CELLS):
        try:
            with _out(sink), _err(sink):
                exec(compile(cell, "<session>", "exec"), ns)
        except BaseException:
            report.update(ok=False, error="replaying earlier call %%d failed (its result depends on something "
                          "that changed: time, randomness, ...):\n%%s" %% (k + 1, _where(_sys.exc_info())))
            print(%(mark)r + _json.dumps(report))
            return [[0]]
        sink.seek(0)
        sink.truncate()
    import linecache
    linecache.cache["<session>"] = (len(_NEW), None, _NEW.splitlines(True), "<session>")
    buf = _io.StringIO()
    _signal.signal(_signal.SIGALRM, _alarm)
    try:
        tree = _ast.parse(_NEW, "<session>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], _ast.Expr):
            last = _ast.Expression(tree.body.pop().value)
        _signal.setitimer(_signal.ITIMER_REAL, _LIMIT_S)
        with _out(buf), _err(buf):
            exec(compile(tree, "<session>", "exec"), ns)
            if last is not None:
                value = eval(compile(last, "<session>", "eval"), ns)
                if value is not None:
                    report["value"] = repr(value)[:_CHARS]
    except _CellTimeout:
        report.update(ok=False, error="stopped: the call ran longer than %%g s" %% _LIMIT_S)
    except BaseException:
        report.update(ok=False, error=_where(_sys.exc_info()))
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
    report["stdout"] = buf.getvalue()[:_CHARS]
    print(%(mark)r + _json.dumps(report))
    return [[0]]
'''


class CellResult(BaseModel):
    ok: bool
    """Ran without an exception: the cell joins the session."""
    text: str
    """What the model is told: printed output, the last expression's value, the error."""
    duration_s: float = 0.0


def _report_text(report: dict) -> str:
    parts = []
    if report.get("stdout"):
        parts.append("stdout:\n" + clip(str(report["stdout"]), _PART_CHARS))
    if report.get("value") is not None:
        parts.append("value:\n" + clip(str(report["value"]), _PART_CHARS))
    if report.get("error"):
        parts.append("error:\n" + clip(str(report["error"]), _PART_CHARS))
    return clip("\n".join(parts) if parts else "(no output)", MAX_RESULT_CHARS)


class PythonSession:
    """One task's session. `run(code)` runs a cell; `keep(code)` adds a cell that is known to have succeeded (a
    resumed run's logged call) without running it."""

    def __init__(self, executor: Executor, train: Sequence[Example], test_inputs: Sequence[Grid], *,
                 timeout_s: float, memory_mb: int, base: SandboxLimits | None = None) -> None:
        self._executor = executor
        setup = {"train": [{"input": ex.input, "output": ex.output} for ex in train],
                 "test_inputs": list(test_inputs)}
        self._setup = json.dumps(setup)
        self.cells: list[str] = []
        self.timeout_s = timeout_s
        self._limits = (base or SandboxLimits()).model_copy(update={
            "memory_mb": memory_mb, "max_output_chars": 3 * MAX_RESULT_CHARS + 4_000})

    def keep(self, code: str) -> None:
        self.cells.append(code)

    def program(self, code: str) -> str:
        """The program one call runs (the setup, the earlier cells, then `code`)."""
        return _PROGRAM % {"setup": repr(self._setup), "cells": repr(self.cells), "new": repr(code),
                           "limit": self.timeout_s, "chars": _PART_CHARS, "mark": _MARK}

    async def run(self, code: str) -> CellResult:
        limits = self._limits.model_copy(update={"timeout_s": self.timeout_s * (len(self.cells) + 1) + 1.0})
        result = await self._executor.run(self.program(code), _DUMMY, limits)
        grid = result.results[0] if result.results else None
        line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith(_MARK)), None)
        report = None
        if line is not None:
            try:
                report = json.loads(line[len(_MARK):])
            except ValueError:
                report = None
        if not isinstance(report, dict):
            why = f"{grid.error}: {grid.message}" if grid is not None and grid.error else "its output was lost"
            return CellResult(ok=False, text=clip(f"error:\nthe call did not finish ({why})", MAX_RESULT_CHARS),
                              duration_s=result.duration_s)
        ok = bool(report.get("ok"))
        if ok:
            self.cells.append(code)
        return CellResult(ok=ok, text=_report_text(report), duration_s=result.duration_s)
