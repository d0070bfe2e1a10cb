"""Calling a model through the real client, as the llm tests do."""

from __future__ import annotations

import asyncio
from typing import Any

from arcbench.llm import ClientConfig, Completion, OpenAIChatModel

KEY = "sk-arcbench-DISTINCTIVE-fake-key-0123456789"
MESSAGES = [{"role": "system", "content": "You write programs."}, {"role": "user", "content": "Task grid 1 2 3"}]


def call(config: ClientConfig, messages: list[dict[str, Any]] | None = None, key: str = KEY) -> Completion:
    """One `complete()` on a fresh OpenAIChatModel, closed after."""

    async def go() -> Completion:
        model = OpenAIChatModel(config, key)
        try:
            return await model.complete(messages or MESSAGES)
        finally:
            await model.aclose()

    return asyncio.run(go())
