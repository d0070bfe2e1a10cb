"""Shared fixtures. Fixtures that start servers or sandboxes live beside the tests that need them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def write_task(tmp_path: Path):
    """Write an official-format task file and return its path."""

    def _write(name: str, data: object, folder: Path | None = None) -> Path:
        folder = folder or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(data))
        return path

    return _write


SIMPLE_TASK = {
    "train": [{"input": [[1, 0], [0, 0]], "output": [[0, 1], [0, 0]]}],
    "test": [{"input": [[2, 0], [0, 0]], "output": [[0, 2], [0, 0]]}],
}
