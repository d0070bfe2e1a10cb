"""arcbench: measure how well language models solve ARC-AGI puzzles by writing programs.

The public API, for driving a run from Python without reaching into modules:

    import asyncio
    import arcbench

    config = arcbench.RunConfig(subset="shortest_training_10", max_turns=3,
                                client=arcbench.ClientConfig(model="baseline"))
    result = asyncio.run(arcbench.evaluate(config, arcbench.make_model(config.client), "runs/demo"))
    print(result.summaries[0].score)

Names load on first use, so that importing one part of arcbench (a sandbox worker, the test server) does not load
every other part.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("arcbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from arcbench.data import Example, Grid, LabelledTask, Task, load_tasks
    from arcbench.errors import UserError
    from arcbench.llm import ChatModel, ClientConfig, Completion, Message, Usage
    from arcbench.providers import make_model
    from arcbench.run.config import RunConfig
    from arcbench.run.engine import RunResult
    from arcbench.run.engine import run as evaluate
    from arcbench.run.observer import RunObserver, RunTotals
    from arcbench.run.records import RunSummary, TaskLog
    from arcbench.sandbox import Sandbox, SandboxLimits
    from arcbench.solve import STRATEGIES, SolveContext, SolveOptions, Solver, SolveSettings, Strategy, Turn

_EXPORTS: dict[str, tuple[str, str]] = {
    # name: (module, attribute)
    "Example": ("arcbench.data", "Example"),
    "Grid": ("arcbench.data", "Grid"),
    "LabelledTask": ("arcbench.data", "LabelledTask"),
    "Task": ("arcbench.data", "Task"),
    "load_tasks": ("arcbench.data", "load_tasks"),
    "UserError": ("arcbench.errors", "UserError"),
    "ChatModel": ("arcbench.llm", "ChatModel"),
    "ClientConfig": ("arcbench.llm", "ClientConfig"),
    "Completion": ("arcbench.llm", "Completion"),
    "Message": ("arcbench.llm", "Message"),
    "Usage": ("arcbench.llm", "Usage"),
    "make_model": ("arcbench.providers", "make_model"),
    "RunConfig": ("arcbench.run.config", "RunConfig"),
    "RunResult": ("arcbench.run.engine", "RunResult"),
    "evaluate": ("arcbench.run.engine", "run"),
    "RunObserver": ("arcbench.run.observer", "RunObserver"),
    "RunTotals": ("arcbench.run.observer", "RunTotals"),
    "RunSummary": ("arcbench.run.records", "RunSummary"),
    "TaskLog": ("arcbench.run.records", "TaskLog"),
    "Sandbox": ("arcbench.sandbox", "Sandbox"),
    "SandboxLimits": ("arcbench.sandbox", "SandboxLimits"),
    "STRATEGIES": ("arcbench.solve", "STRATEGIES"),
    "SolveContext": ("arcbench.solve", "SolveContext"),
    "SolveSettings": ("arcbench.solve", "SolveSettings"),
    "SolveOptions": ("arcbench.solve", "SolveOptions"),
    "Solver": ("arcbench.solve", "Solver"),
    "Strategy": ("arcbench.solve", "Strategy"),
    "Turn": ("arcbench.solve", "Turn"),
}

__all__ = [
    "STRATEGIES",
    "ChatModel",
    "ClientConfig",
    "Completion",
    "Example",
    "Grid",
    "LabelledTask",
    "Message",
    "RunConfig",
    "RunObserver",
    "RunResult",
    "RunSummary",
    "RunTotals",
    "Sandbox",
    "SandboxLimits",
    "SolveContext",
    "SolveOptions",
    "SolveSettings",
    "Solver",
    "Strategy",
    "Task",
    "TaskLog",
    "Turn",
    "Usage",
    "UserError",
    "__version__",
    "evaluate",
    "load_tasks",
    "make_model",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
