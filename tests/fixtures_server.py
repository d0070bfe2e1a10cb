"""The scripted local server as a pytest fixture, for any test suite that needs a model over real HTTP.

    from tests.fixtures_server import scripted_server  # noqa: F401   (best in the suite's conftest.py: a test
                                                                      # argument named like an import is ruff's F811)
    def test_something(scripted_server):
        scripted_server.set_script([{"match": "...", "content": "```python\\n...\\n```"}])
        config = scripted_config(scripted_server)  # a ClientConfig pointing at it, with tiny retry waits
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from arcbench.llm.base import ClientConfig
from arcbench.testing import ScriptedServer


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A started ScriptedServer on 127.0.0.1 (free port), answering the default identity program until scripted."""
    with ScriptedServer() as server:
        yield server


def scripted_config(server: ScriptedServer, **overrides: Any) -> ClientConfig:
    """A ClientConfig for the server: model 'scripted', millisecond backoff so retry tests stay fast."""
    fields: dict[str, Any] = {
        "model": "scripted",
        "base_url": server.base_url,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
    }
    fields.update(overrides)
    return ClientConfig(**fields)
