"""The one seam between arcbench and every model: `ChatModel.complete(messages) -> Completion`.

Implementations: the OpenAI-compatible HTTP client (any endpoint), the offline `baseline` model and the in-memory
model of `arcbench.testing`. A model returns its own `Completion`; the run layer stamps it with a task and turn and
writes it as a call event, so no model knows about run directories.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Message = dict[str, Any]
"""One chat message as the OpenAI Chat Completions API takes it: {"role": ..., "content": ...}."""
FailureKind = Literal["timeout", "api_error"]
CostSource = Literal["server", "genai-prices", "flags", "unknown", "free"]

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
    max_tokens: int | None = Field(None, ge=1)
    timeout_s: float = Field(1000.0, gt=0)
    """Seconds per request before it is retried."""
    max_attempts: int = Field(3, ge=1, le=20)
    """Attempts per request (1 = no retry)."""
    stream: bool = False
    extra_body: dict = Field(default_factory=dict)
    price_in: float | None = Field(None, ge=0)
    """$ per million input tokens (overrides known prices)."""
    price_out: float | None = Field(None, ge=0)
    """$ per million output tokens, reasoning tokens included."""
    rate_limit_delay_s: float = Field(0.0, ge=0)
    """Minimum seconds between the starts of two requests (shared by every task of a run)."""
    baseline_time_s: float = Field(2.0, ge=0.05, le=600)
    """Time budget per reply of the offline baseline model."""
    price_provider: str | None = None
    """genai-prices provider id to price calls with (e.g. 'openai' behind a local proxy); None infers it from the
    base URL, and a local base URL is then left unpriced."""
    backoff_base_s: float = Field(2.0, ge=0)
    """First retry waits about this long (with jitter); each further retry doubles it."""
    backoff_max_s: float = Field(60.0, ge=0)
    """Ceiling of one backoff wait."""
    retry_after_max_s: float = Field(300.0, ge=0)
    """Ceiling of a wait asked for by a server's Retry-After header."""
    concurrency: int = Field(1, ge=1)
    """How many requests may be in flight at once (the run's --max-workers); sizes the connection pools."""
    more_base_urls: list[str] = Field(default_factory=list)
    """Further endpoints serving the same model: requests are spread over `base_url` and these (see
    `arcbench.llm.endpoints`)."""

    @property
    def base_urls(self) -> list[str | None]:
        """Every endpoint, `base_url` first."""
        return [self.base_url, *self.more_base_urls]


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Includes reasoning tokens, as the OpenAI API reports them."""
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class RetryRecord(BaseModel):
    attempt: int
    """1-based number of the attempt that failed."""
    reason: str
    status_code: int | None = None
    wait_s: float = 0.0
    endpoint: str | None = None
    """The base URL the failed attempt went to (set when a run spreads calls over several endpoints)."""


class Choice(BaseModel):
    """One answer to a request: a request that asked for several (OpenAI's `n`) has one per answer."""

    content: str = ""
    reasoning: str | None = None


NoticeKind = Literal["n_unsupported", "endpoint_out", "endpoint_back"]


class Notice(BaseModel):
    """Something the client learned during a call that the user should hear about once: a server that ignores or
    refuses `n`, an endpoint taken out after repeated failures or back in service."""

    kind: NoticeKind
    message: str
    endpoint: str | None = None


class Completion(BaseModel):
    """What one model call gave: the reply, what it cost, and how it went. A call that failed after its last retry
    is a Completion with `error_kind` set, not an exception. Never holds an API key."""

    call_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    model: str
    request: dict[str, Any]
    """The request body sent (model, messages, parameters), without credentials."""
    response: dict[str, Any] | None = None
    """The raw response body (or assembled stream), when there was one."""
    content: str = ""
    reasoning: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    """None when the price is unknown: never recorded as 0."""
    cost_source: CostSource = "unknown"
    latency_s: float = 0.0
    retries: list[RetryRecord] = Field(default_factory=list)
    error_kind: FailureKind | None = None
    error_message: str = ""
    more_choices: list[Choice] = Field(default_factory=list)
    """Answers 2..n when the request asked for several (`n`); `content` and `reasoning` hold the first."""
    endpoint: str | None = None
    """The base URL that answered (or last failed), when the client knows it."""
    notices: list[Notice] = Field(default_factory=list)
    """What this call taught the client that the user should hear about (see Notice)."""

    @property
    def choices(self) -> list[Choice]:
        """Every answer of the call, first first (one for a call that asked for one, or that failed)."""
        return [Choice(content=self.content, reasoning=self.reasoning), *self.more_choices]


class ChatModel(Protocol):
    """A model arcbench can talk to."""

    async def complete(self, messages: list[Message], *, n: int = 1) -> Completion:
        """Send one chat request (with retries) and return what happened, failures included: a call that failed
        after its last retry returns a Completion with `error_kind` set rather than raising. Raises UserError for
        mistakes the user must fix (bad key, unknown model, a parameter the model rejects).

        `n` > 1 asks for that many answers in one request (OpenAI's `n`: the server reads the prompt once). A model
        may return fewer (`Completion.choices`): one when it has no such option. Callers pass `n` only when it is
        above 1, so a model written without it still serves single requests."""
        ...

    async def aclose(self) -> None:
        """Release connections and worker processes."""
        ...
