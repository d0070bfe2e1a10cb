from __future__ import annotations

import pytest

from arcbench.data import LabelledTask, load_tasks


@pytest.fixture(scope="session")
def arc1() -> dict[str, LabelledTask]:
    """ARC-AGI-1 tasks (training and evaluation) by id."""
    return {lt.id: lt for lt in load_tasks("arc-agi-1", "all")}
