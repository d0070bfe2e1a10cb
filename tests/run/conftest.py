"""The scripted local server for the run tests (a test module may define its own `server` with a script)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arcbench.testing.server import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s
