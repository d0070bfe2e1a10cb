"""Sandboxes shared by the sandbox tests: starting one costs an interpreter start with numpy per worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arcbench.sandbox import Sandbox, SandboxLimits

FLIP = """
import numpy as np

def transform(grid):
    return np.fliplr(np.array(grid)).tolist()
"""
GRID = [[1, 2, 3], [4, 5, 6]]
FLIPPED = [[3, 2, 1], [6, 5, 4]]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One worker, so that consecutive programs run in the same fork server (the case isolation must survive)."""
    with Sandbox(workers=1, limits=SandboxLimits(timeout_s=0.5)) as sb:
        yield sb


def assert_healthy(sandbox: Sandbox) -> None:
    """The harness survived and the next program runs normally."""
    result = sandbox.run_sync(FLIP, [GRID, [[7]]])
    assert [r.output for r in result.results] == [FLIPPED, [[7]]]
    assert all(r.error is None for r in result.results)
