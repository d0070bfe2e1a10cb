"""The scripted local server fixture for this suite (imported here so test modules need no import that ruff flags)."""

from tests.fixtures_server import scripted_server  # noqa: F401
