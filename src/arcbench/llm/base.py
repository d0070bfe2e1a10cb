"""The one seam between arcbench and every model: `ChatModel.complete(messages) -> CallEvent`.

Implementations: the OpenAI-compatible HTTP client (any endpoint) and the offline `baseline` model. The run engine
knows only this protocol.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

from arcbench.run.records import CallEvent, Message

ReasoningEffort = Literal["low", "medium", "high"]


class ClientConfig(BaseModel):
    """Everything that decides how a model is called. Holds no API key: keys are resolved at call time and never
    written anywhere."""

    model: str = "gpt-4.1-nano"
    base_url: str | None = None
    """None means OpenAI's API (or the offline baseline when model == 'baseline')."""
    api_key_env: str | None = None
    """The environment variable holding the key; None picks OPENAI_API_KEY or OPENROUTER_API_KEY by base URL."""
    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout_s: float = 1000.0
    max_attempts: int = 3
    stream: bool = False
    extra_body: dict = Field(default_factory=dict)
    price_in: float | None = None
    """$ per million input tokens (overrides known prices)."""
    price_out: float | None = None
    """$ per million output tokens, reasoning tokens included."""
    rate_limit_delay_s: float = 0.0
    """Minimum seconds between the starts of two requests (shared by every task of a run)."""
    baseline_time_s: float = 2.0
    """Time budget per reply of the offline baseline model."""
    price_provider: str | None = None
    """genai-prices provider id to price calls with (e.g. 'openai' behind a local proxy); None infers it from the
    base URL, and a local base URL is then left unpriced."""
    backoff_base_s: float = 2.0
    """First retry waits about this long (with jitter); each further retry doubles it."""
    backoff_max_s: float = 60.0
    """Ceiling of one backoff wait."""
    retry_after_max_s: float = 300.0
    """Ceiling of a wait asked for by a server's Retry-After header."""
    concurrency: int = 1
    """How many requests may be in flight at once (the run's --max-workers); sizes the connection pools."""


class ChatModel(Protocol):
    """A model arcbench can talk to."""

    config: ClientConfig

    async def complete(self, messages: list[Message], *, task_id: str, turn: int) -> CallEvent:
        """Send one chat request (with retries) and return what happened, failures included: a call that failed
        after its last retry returns a CallEvent with `error_kind` set rather than raising. Raises UserError for
        mistakes the user must fix (bad key, unknown model, a parameter the model rejects)."""
        ...

    async def aclose(self) -> None: ...
