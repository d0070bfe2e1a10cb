"""A warm sandbox and a real task for the solve tests (a half turn: ROT180 solves it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arcbench.data import LabelledTask, load_tasks
from arcbench.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2) as s:
        yield s


@pytest.fixture(scope="module")
def lt() -> LabelledTask:
    (task,) = load_tasks("arc-agi-1", "6150a2bd")
    return task
