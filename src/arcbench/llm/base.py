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
"""One chat message as the OpenAI Chat Completions API takes it: {"role": ..., "content": ...}.

An assistant message may also carry "provider_items": the `provider_items` of the Completion that produced it (the
Responses API's reasoning and message items, with their encrypted reasoning). The model that made them sends them back
in place of the plain assistant message, so a reasoning model resumes its own reasoning in the next turn; strategies
only copy them along (`SolveContext.continued`)."""
FailureKind = Literal["timeout", "api_error"]
Api = Literal["chat", "responses"]
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
    price_cached: float | None = Field(None, ge=0)
    """$ per million cached input tokens, with price_in and price_out (None charges them at price_in)."""
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
    api: Api = "chat"
    """Which OpenAI API to call: Chat Completions (`/chat/completions`, any compatible server) or the Responses API
    (`/responses`: reasoning summaries, reasoning items carried between turns)."""
    default_max_tokens: int | None = Field(None, ge=1)
    """A cap on reply length sent when `max_tokens` is not set (a new run on a local server gets one, see
    `arcbench.llm.limits`). Unlike the user's own cap, it is dropped for a call whose server refuses it (a context
    too short for the prompt plus the cap)."""
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
    unreported: int = 0
    """Successful calls whose server reported no usage: their tokens are unknown (not 0) and not in the counts."""

    @property
    def known(self) -> bool:
        """Every call behind these counts reported its usage: the counts are the whole."""
        return self.unreported == 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            unreported=self.unreported + other.unreported,
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
    finish_reason: str | None = None


NoticeKind = Literal["n_unsupported", "endpoint_out", "endpoint_back"]


class Notice(BaseModel):
    """Something the client learned during a call that the user should hear about once: a server that ignores or
    refuses `n`, an endpoint taken out after repeated failures or back in service."""

    kind: NoticeKind
    message: str
    endpoint: str | None = None


class ToolCall(BaseModel):
    """One function call a model asked for in its reply (Chat Completions `tool_calls`)."""

    id: str
    name: str
    arguments: str = ""
    """The arguments as the model wrote them: JSON text, not necessarily valid."""


Tool = dict[str, Any]
"""One function tool as Chat Completions takes it: {"type": "function", "function": {"name", "description",
"parameters"}}."""


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
    provider_items: list[dict[str, Any]] | None = None
    """What the provider needs back with this reply to continue the conversation (the Responses API's output items:
    reasoning with its encrypted content, and the message); None for chat completions. See `Message`."""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """Function calls the reply asked for (only when the request offered tools)."""
    finish_reason: str | None = None
    """Why the reply ended, as the server said: "stop", "length" (cut off at the token limit), ... None when it
    did not say (or the call failed)."""

    @property
    def truncated(self) -> bool:
        """The reply was cut off at the token limit: what it holds is not all the model meant to write."""
        return self.finish_reason == "length"
    more_choices: list[Choice] = Field(default_factory=list)
    """Answers 2..n when the request asked for several (`n`); `content` and `reasoning` hold the first."""
    endpoint: str | None = None
    """The base URL that answered (or last failed), when the client knows it."""
    notices: list[Notice] = Field(default_factory=list)
    """What this call taught the client that the user should hear about (see Notice)."""

    @property
    def choices(self) -> list[Choice]:
        """Every answer of the call, first first (one for a call that asked for one, or that failed)."""
        return [Choice(content=self.content, reasoning=self.reasoning, finish_reason=self.finish_reason),
                *self.more_choices]


class ChatModel(Protocol):
    """A model arcbench can talk to."""

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        """Send one chat request (with retries) and return what happened, failures included: a call that failed
        after its last retry returns a Completion with `error_kind` set rather than raising. Raises UserError for
        mistakes the user must fix (bad key, unknown model, a parameter the model rejects, tools refused).

        `tools` offers function tools (`tool_choice` "auto", "none" or "required"); a model that has no tool calling
        answers in text, which the tools strategy reads as it reads any reply.

        `n` > 1 asks for that many answers in one request (OpenAI's `n`: the server reads the prompt once). A model
        may return fewer (`Completion.choices`): one when it has no such option. Callers pass `n` only when it is
        above 1, so a model written without it still serves single requests."""
        ...

    async def aclose(self) -> None:
        """Release connections and worker processes."""
        ...


async def forward(model: ChatModel, messages: list[Message], *, tools: list[Tool] | None = None,
                  tool_choice: str | None = None, n: int = 1) -> Completion:
    """Pass a request on to `model` with only the options it was given, so that a wrapper (the budget, the recorder)
    still serves a model written without tools or `n`."""
    if tools:
        return await model.complete(messages, tools=tools, tool_choice=tool_choice)
    if n > 1:
        return await model.complete(messages, n=n)
    return await model.complete(messages)
