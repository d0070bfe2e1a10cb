"""`arcbench serve hf`'s server: a Hugging Face model (see `arcbench.llm.hf_model`) behind the local
OpenAI-compatible server, answering whatever model name a request carries."""

from __future__ import annotations

from typing import Any

from arcbench.testing.server import ModelResponder


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class HFResponder(ModelResponder):
    """A ModelResponder that honours the request's `max_tokens` / `max_completion_tokens` (capped by the server's
    own limit, so one request cannot tie a CPU up for an hour) and `temperature`."""

    def __init__(self, model: Any, max_tokens_cap: int | None = None) -> None:
        super().__init__(model)
        self.max_tokens_cap = max_tokens_cap

    async def _complete(self, body: dict[str, Any]) -> Any:
        asked = _positive_int(body.get("max_completion_tokens")) or _positive_int(body.get("max_tokens"))
        cap = self.max_tokens_cap
        limit = min(asked, cap) if asked and cap else asked or cap
        temperature = body.get("temperature")
        return await self.model.complete(
            body.get("messages") or [], max_tokens=limit,
            temperature=float(temperature) if isinstance(temperature, int | float) else None)
