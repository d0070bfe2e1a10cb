"""A sandbox and a task shared by the strategy tests of this folder."""

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
    (task,) = load_tasks("arc-agi-1", "6150a2bd")  # a half turn
    return task
