"""Run directories written once per session by the real run path, and a sandbox for checking examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arcbench.sandbox import Sandbox
from arcbench.testing.server import ScriptedServer
from tests.training.helpers import TASKS, scripted_run


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Run A: six tasks, five scripted turns each, repeated twice (run_1, run_2); run B: one task, one turn."""
    base = tmp_path_factory.mktemp("runs")
    with ScriptedServer() as server:
        a = scripted_run(server, base / "a", TASKS, repeats=2)
        b = scripted_run(server, base / "b", TASKS[:1], turns=1)
    return [a, b]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb
