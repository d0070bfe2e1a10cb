"""`OpenAIChatModel`: any OpenAI-compatible Chat Completions endpoint, through the official `openai` package.

The client's own retries are off (max_retries=0): the loop here retries so that every failed attempt, its reason and
the wait before the next one are recorded in the Completion. A call that still fails after its last attempt is
returned as a Completion with `error_kind` set; mistakes the user must fix (rejected key, unknown model, a parameter
the model refuses) raise UserError. The API key lives only inside the HTTP client and is masked out of every message.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai

from arcbench.errors import UserError
from arcbench.llm.base import Choice, ClientConfig, Completion, FailureKind, Message, Notice, RetryRecord, Tool
from arcbench.llm.endpoints import Endpoint, EndpointPool
from arcbench.llm.keys import OPENAI_BASE_URL, is_openai_url, is_openrouter_url, key_env_name, redact
from arcbench.llm.pricing import known_price_provider, price_call, server_cost, usage_from_body
from arcbench.llm.reasoning import merge_delta, message_text, reasoning_params
from arcbench.llm.retry import is_retryable_status, retry_after_s, wait_before_retry
from arcbench.llm.tools import tool_calls_of

_REJECTED_PARAM_CODES = frozenset({"unsupported_parameter", "unsupported_value", "unknown_parameter"})
_REJECTED_PARAM_PATTERNS = (
    re.compile(r"unsupported (?:parameter|value):?\s*'?\"?([A-Za-z_][\w.]*)", re.I),
    re.compile(r"unrecognized request arguments? supplied:?\s*'?\"?([A-Za-z_][\w.]*)", re.I),
    re.compile(r"unknown (?:parameter|field|argument):?\s*'?\"?([A-Za-z_][\w.]*)", re.I),
    re.compile(r"'?\"?([A-Za-z_][\w.]*)'?\"? is not supported (?:with|by|for) this model", re.I),
)
_TOOLS_REFUSED = re.compile(r"\btools?\b|tool[_ ]choice|function[_ ]call", re.I)
"""What a server's error says when it is the `tools` parameter it refuses (OpenAI: "tools is not supported with this
model"; vLLM: '"auto" tool choice requires --enable-auto-tool-choice'; llama.cpp: "tools param requires --jinja";
Ollama: "does not support tools")."""
_N_REFUSED = re.compile(
    r"\bn\b\s*(?:must|should|is|can|>|!=|=)|['\"`]n['\"`]|parameter:?\s*n\b|completion choice|choices? (?:is|are) not",
    re.I)
"""What a server's error says when it refuses several answers per request (llama.cpp: "Only one completion choice
is allowed"; others name the parameter `n`)."""
_MAX_MESSAGE_CHARS = 500
_CAP_REFUSED = re.compile(r"max_(?:completion_)?tokens|context (?:length|size|window)", re.I)
"""A 400 that may be the server refusing a cap on reply length that does not fit in its context beside the prompt
(vLLM: "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is ...")."""
_CONNECTIONS_PER_POOL = 8
_MAX_CHOICES = 1024  # choice indices a stream may use (n is at most this on every known server)
_MAX_POOLS = 64


class _Malformed(Exception):
    """The server answered 200 but the body is not a usable chat completion."""


class _StreamError(Exception):
    """The server sent an error object inside a 200 event stream."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message") or error))
        self.error = error


def _error_object(text: str) -> dict[str, Any]:
    """An error event's payload as an object (a server may send plain text)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {"message": text.strip()}
    if isinstance(data, dict):
        inner = data.get("error")
        return inner if isinstance(inner, dict) else data
    return {"message": str(data)}


async def _sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(kind, text) of each server-sent event: kind "error" for an error (an `event: error`, or the `error:` line
    llama.cpp's server writes), else "data" with the event's data."""
    data: list[str] = []
    event = ""
    error: str | None = None

    async def _flush() -> AsyncIterator[tuple[str, str]]:
        if error is not None:
            yield "error", error
        if data:
            yield ("error" if event == "error" else "data"), "\n".join(data)

    async for line in lines:
        if line == "":
            async for item in _flush():
                yield item
            data, event, error = [], "", None
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive)
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "error":
            error = value
    async for item in _flush():
        yield item


class _ErrorInBody(Exception):
    """The server answered 200 with an error object instead of a completion (OpenRouter does this)."""

    def __init__(self, message: str, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = body


@dataclass
class _Failure:
    kind: FailureKind
    reason: str
    status_code: int | None = None
    server_wait_s: float | None = None
    retryable: bool = True
    body: dict[str, Any] | None = None
    cap_refused: bool = False
    """A 400 that may be about the cap on reply length (see _CAP_REFUSED)."""
    unwell: bool = True
    """Says something about the endpoint's health (not a rate limit): counts towards taking it out."""


@dataclass
class _Reply:
    response: dict[str, Any]
    message: dict[str, Any]
    usage: dict[str, Any] | None = field(default=None)
    finish_reason: str | None = None
    more: list[dict[str, Any]] = field(default_factory=list)
    """Choices 2..n as the body has them ({"message": ..., "finish_reason": ...})."""



def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
    return err.message


def _rejected_param(err: openai.APIStatusError, message: str) -> str | None:
    """The request parameter a 400 says the model refuses, if that is what the 400 says."""
    code = err.code or ""
    body = err.body if isinstance(err.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    param = err.param or (inner.get("param") if isinstance(inner, dict) else None)
    if code in _REJECTED_PARAM_CODES and param:
        return str(param)
    for pattern in _REJECTED_PARAM_PATTERNS:
        if m := pattern.search(message):
            return m.group(1)
    return None


def _choice(raw: dict[str, Any]) -> Choice:
    """A further answer of a reply, from its choice object."""
    content, reasoning = message_text(raw["message"])
    finish = raw.get("finish_reason")
    return Choice(content=content, reasoning=reasoning, finish_reason=finish if isinstance(finish, str) else None)


def _refuses_n(err: openai.APIStatusError, message: str) -> str | None:
    """What the server said, when an error refuses a request for asking several answers (`n`)."""
    if err.status_code in (400, 422) and (_rejected_param(err, message) == "n" or _N_REFUSED.search(message)):
        return f"HTTP {err.status_code}: {message}"
    return None


class OpenAIChatModel:
    """A model behind an OpenAI-compatible endpoint. One instance is shared by every task of a run, so its rate gate
    spaces the requests of all of them."""

    def __init__(self, config: ClientConfig, api_key: str, *, rng: random.Random | None = None) -> None:
        if (config.price_in is None) != (config.price_out is None):
            raise UserError("--price-in and --price-out go together: give both ($ per million tokens)")
        if config.price_cached is not None and config.price_in is None:
            raise UserError("--price-cached goes with --price-in and --price-out: give all three ($ per million "
                            "tokens)")
        if config.price_provider is not None and not known_price_provider(config.price_provider):
            raise UserError(
                f"genai-prices knows no provider '{config.price_provider}': use an id such as openai, openrouter, groq"
            )
        self.config = config
        self._secret = api_key
        self._rng = rng or random.Random()
        # The HTTP pool scans every open connection on each request and release, so one pool serving dozens of
        # requests in flight costs milliseconds of CPU per call. Several small pools, used in turn, keep that scan
        # short: one client per _CONNECTIONS_PER_POOL requests in flight.
        urls = [u or OPENAI_BASE_URL for u in config.base_urls]
        pools = max(1, min(_MAX_POOLS, math.ceil(config.concurrency / _CONNECTIONS_PER_POOL / len(urls))))
        self._endpoints = EndpointPool(urls)
        for endpoint in self._endpoints.endpoints:
            endpoint.clients = [
                openai.AsyncOpenAI(api_key=api_key, base_url=endpoint.url, timeout=config.timeout_s, max_retries=0)
                for _ in range(pools)
            ]
        self._clients = [c for e in self._endpoints.endpoints for c in e.clients]
        self._gate_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._next_start = 0.0
        self._n_ok = True
        """False once a server ignored or refused `n`: from then on every request asks for one answer."""

    endpoint_name = "chat completions"
    """What a 404 says the server lacks."""

    def _rejected_param_hint(self, param: str) -> str:
        """What to do about a request parameter the model refuses."""
        return "remove the option that sets it"

    def __repr__(self) -> str:
        urls = [e.url for e in self._endpoints.endpoints]
        where = f"base_url={urls[0]!r}" if len(urls) == 1 else f"base_urls={urls!r}"
        return f"{type(self).__name__}(model={self.config.model!r}, {where})"

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    def build_request(self, messages: list[Message], tools: list[Tool] | None = None,
                      tool_choice: str | None = None, n: int = 1) -> dict[str, Any]:
        """The JSON body sent for these messages: what the endpoint expects for the configured options."""
        c = self.config
        # A copy: the caller goes on with its conversation, the event must keep what was sent. Strategies build each
        # conversation as a new list of messages and never edit a message's content in place, so copying each message
        # is enough (a deep copy of every conversation cost more than the rest of building a request).
        body: dict[str, Any] = {"model": c.model, "messages": [dict(m) for m in messages]}
        if n > 1 and self._n_ok:
            body["n"] = n
        if c.temperature is not None:
            body["temperature"] = c.temperature
        cap = c.max_tokens if c.max_tokens is not None else c.default_max_tokens
        if cap is not None:
            body[self._cap_key] = cap
        body.update(reasoning_params(c))
        if tools:
            body["tools"] = copy.deepcopy(tools)
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if is_openrouter_url(c.base_url):
            body["usage"] = {"include": True}  # OpenRouter then reports the call's cost
        if c.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        body.update(c.extra_body)
        return body

    @property
    def _cap_key(self) -> str:
        # OpenAI's reasoning models refuse max_tokens; every OpenAI model accepts max_completion_tokens.
        return "max_completion_tokens" if is_openai_url(self.config.base_url) else "max_tokens"

    def _drop_default_cap(self, body: dict[str, Any]) -> bool:
        """Remove the default cap on reply length from a request (never the user's own); False when there is none."""
        c = self.config
        if c.max_tokens is not None or c.default_max_tokens is None or body.get(self._cap_key) != c.default_max_tokens:
            return False
        del body[self._cap_key]
        return True

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        body = self.build_request(messages, tools, tool_choice, n)
        started = time.monotonic()
        retries: list[RetryRecord] = []
        notices: list[Notice] = []
        c = self.config
        attempts = max(1, c.max_attempts)
        failure: _Failure | None = None
        endpoint: Endpoint | None = None
        pool = self._endpoints
        attempt = 0
        while attempt < attempts:
            attempt += 1
            await self._wait_turn()
            endpoint = pool.pick(avoid=endpoint if failure is not None else None)
            try:
                async with asyncio.timeout(c.timeout_s):
                    reply = await self._send(endpoint, body)
            except openai.APIStatusError as err:
                if "n" in body and (refusal := _refuses_n(err, self._clean(_server_message(err)))):
                    # Not a failed attempt: the same request again without `n`, and no `n` from now on.
                    pool.finished(endpoint)
                    notices.extend(self._n_unsupported(endpoint, f"refuses it ({refusal})"))
                    return await self._again_without_n(messages, tools, tool_choice, notices, retries, started)
                try:
                    failure = self._status_failure(err, offered_tools="tools" in body)
                except BaseException:
                    pool.finished(endpoint)
                    raise
            except (TimeoutError, openai.APITimeoutError):
                failure = _Failure("timeout", f"no reply within {c.timeout_s:g} s")
            except openai.APIConnectionError as err:
                cause = err.__cause__ or err
                failure = _Failure("api_error", f"connection failed: {type(cause).__name__}: {cause}")
            except _ErrorInBody as err:
                failure = _Failure("api_error", f"server error: {err}", body=self._scrub(err.body))
            except _StreamError as err:
                failure = self._stream_failure(err.error)
            except httpx.TransportError as err:  # the connection failed while a stream was being read
                failure = _Failure("api_error", f"connection failed: {type(err).__name__}: {err}")
            except (_Malformed, ValueError, openai.APIResponseValidationError) as err:
                failure = _Failure("api_error", f"malformed response: {err}")
            except openai.APIError as err:  # any other error the client reports
                failure = _Failure("api_error", f"server error: {err.message}")
            except BaseException:
                pool.finished(endpoint)
                raise
            else:
                if (back := pool.succeeded(endpoint)) is not None:
                    notices.append(back)
                if body.get("n", 1) > 1 and not reply.more:
                    notices.extend(self._n_unsupported(endpoint, "ignores it (one answer came back)"))
                return self._success(body, reply, started, retries, endpoint, notices)
            if failure.unwell:
                if (out := pool.failed(endpoint, self._clean(failure.reason))) is not None:
                    notices.append(out)
            else:
                pool.finished(endpoint)
            if failure.cap_refused and self._drop_default_cap(body):
                # The server's context cannot hold the prompt plus arcbench's default cap: ask again at once with
                # no cap, as if there had never been one. This does not use up one of the user's attempts.
                retries.append(RetryRecord(attempt=attempt, reason=self._clean(
                    f"the default cap of {c.default_max_tokens} tokens was refused, sent again without it: "
                    f"{failure.reason}"), status_code=failure.status_code, wait_s=0.0))
                attempts += 1
                continue
            if not failure.retryable or attempt == attempts:
                break
            if failure.server_wait_s is None and pool.has_other(endpoint):
                wait = 0.0  # another endpoint is in service: try it now rather than wait on this one
            else:
                wait = wait_before_retry(
                    attempt,
                    failure.server_wait_s,
                    base_s=c.backoff_base_s,
                    max_s=c.backoff_max_s,
                    retry_after_max_s=c.retry_after_max_s,
                    rng=self._rng,
                )
            retries.append(
                RetryRecord(
                    attempt=attempt, reason=self._clean(failure.reason), status_code=failure.status_code, wait_s=wait,
                    endpoint=self._named(endpoint),
                )
            )
            await asyncio.sleep(wait)
        assert failure is not None
        return Completion(
            model=c.model,
            request=body,
            response=failure.body,
            latency_s=time.monotonic() - started,
            retries=retries,
            error_kind=failure.kind,
            error_message=self._clean(failure.reason),
            endpoint=self._named(endpoint),
            notices=notices,
        )

    async def _again_without_n(self, messages: list[Message], tools: list[Tool] | None, tool_choice: str | None,
                               notices: list[Notice], retries: list[RetryRecord], started: float) -> Completion:
        done = await self.complete(messages, tools=tools, tool_choice=tool_choice)
        return done.model_copy(update={"notices": [*notices, *done.notices], "retries": [*retries, *done.retries],
                                       "latency_s": time.monotonic() - started})

    def _n_unsupported(self, endpoint: Endpoint, how: str) -> list[Notice]:
        """Stop asking for several answers per request; the notice only for the request that found out (others in
        flight at the time find out too, and say nothing more)."""
        if not self._n_ok:
            return []
        self._n_ok = False
        return [Notice(kind="n_unsupported", endpoint=endpoint.url,
                       message=f"{endpoint.url} {how} when asked for several answers per request (n): one answer "
                               "per request from now on")]

    def _named(self, endpoint: Endpoint | None) -> str | None:
        """The endpoint a record names: only when the run spreads calls over several (one is config.base_url)."""
        return endpoint.url if endpoint is not None and len(self._endpoints.endpoints) > 1 else None

    def _scrub(self, value: Any) -> Any:
        """A server's error body with the key masked wherever the server echoed it."""
        if isinstance(value, str):
            return redact(value, self._secret) if self._secret in value else value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        return value

    def _clean(self, text: str) -> str:
        text = redact(text, self._secret)
        return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"

    async def _wait_turn(self) -> None:
        """Hold this request until rate_limit_delay_s has passed since the previous request of any task started."""
        delay = self.config.rate_limit_delay_s
        if delay <= 0:
            return
        loop = asyncio.get_running_loop()
        if self._gate_lock is None or self._gate_lock[0] is not loop:
            self._gate_lock = (loop, asyncio.Lock())
        async with self._gate_lock[1]:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = time.monotonic() + delay

    def _status_failure(self, err: openai.APIStatusError, *, offered_tools: bool = False) -> _Failure:
        """Classify an HTTP error status: retry it, fail this call, or stop the run for the user to fix."""
        status = err.status_code
        message = self._clean(_server_message(err))
        c = self.config
        where = str(err.request.url).rsplit("/", 1)[0] if len(self._endpoints.endpoints) > 1 else (
            c.base_url or OPENAI_BASE_URL)
        if offered_tools and status in (400, 404, 405, 422, 500, 501) and _TOOLS_REFUSED.search(message):
            raise UserError(
                f"{where} refuses function tools for model '{c.model}' (HTTP {status}): {message} — --mode tools "
                "needs an endpoint and model with tool calling (vLLM: --enable-auto-tool-choice --tool-call-parser; "
                "llama.cpp: --jinja); use another --mode or model"
            )
        if status == 401:
            raise UserError(f"{where} rejected the API key (HTTP 401): check {key_env_name(c)} — {message}")
        if status == 403:
            raise UserError(f"{where} refused access to model '{c.model}' (HTTP 403): {message}")
        if status == 404:
            raise UserError(f"{where} has no model '{c.model}' or no {self.endpoint_name} (HTTP 404): {message}")
        if status == 400 and (param := _rejected_param(err, message)):
            raise UserError(
                f"model '{c.model}' rejects the request parameter '{param}' (HTTP 400): {message} — "
                f"{self._rejected_param_hint(param)}"
            )
        body = self._scrub(err.body) if isinstance(err.body, dict) else None
        return _Failure(
            kind="api_error",
            reason=f"HTTP {status}: {message}",
            status_code=status,
            server_wait_s=retry_after_s(err.response.headers),
            retryable=is_retryable_status(status),
            body=body,
            cap_refused=status == 400 and _CAP_REFUSED.search(message) is not None,
            unwell=status >= 500,
        )

    async def _send(self, endpoint: Endpoint, body: dict[str, Any]) -> _Reply:
        endpoint.turn += 1
        client = endpoint.clients[endpoint.turn % len(endpoint.clients)]
        if body.get("stream"):
            # The messages go as extra_body (merged as they are, winning over the empty placeholder) so the client
            # does not walk every message of the conversation as typed parameters.
            rest = {k: v for k, v in body.items() if k not in ("model", "stream")}
            # The event stream is read raw: llama.cpp's server sends an error inside a 200 stream as an `error:`
            # line, which a strict SSE reader drops, leaving "a stream without a chunk" in place of the real error.
            async with client.chat.completions.with_streaming_response.create(
                model=body["model"], messages=[], stream=True, extra_body=rest
            ) as streamed:
                return await self._read_stream(streamed.iter_lines())
        # The body is already plain JSON and the reply is read as raw JSON. The client's generic `post` sends it as
        # it is, with the same authentication, errors and timeouts as `chat.completions.create`, but without the
        # typed-parameter walk over every message and the response wrapping, which cost more CPU per call than
        # the rest of a turn (a run makes thousands of calls).
        content = await client.post("/chat/completions", body=body, cast_to=bytes)
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError) as err:
            raise _Malformed(f"body is not JSON ({err})") from None
        return self._reply_from_body(data)

    @staticmethod
    def _reply_from_body(data: Any) -> _Reply:
        if not isinstance(data, dict):
            raise _Malformed("body is not a JSON object")
        choices = data.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            if isinstance(data.get("error"), dict | str):
                err = data["error"]
                raise _ErrorInBody(str(err.get("message") if isinstance(err, dict) else err), data)
            raise _Malformed("no choices in the body")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise _Malformed("the first choice has no message")
        more = [c for c in choices[1:] if isinstance(c, dict) and isinstance(c.get("message"), dict)]
        usage = data.get("usage")
        finish = choices[0].get("finish_reason")
        return _Reply(response=data, message=message, usage=usage if isinstance(usage, dict) else None,
                      finish_reason=finish if isinstance(finish, str) else None, more=more)

    @staticmethod
    async def _read_stream(lines: AsyncIterator[str]) -> _Reply:
        """Assemble a streamed reply into the body a non-streamed call would have returned. An error the server
        sends inside the stream raises _StreamError."""
        messages: dict[int, dict[str, Any]] = {0: {"role": "assistant"}}
        finish: dict[int, Any] = {}
        response: dict[str, Any] = {}
        usage: dict[str, Any] | None = None
        chunks = 0
        async for kind, text in _sse_events(lines):
            if kind == "error":
                raise _StreamError(_error_object(text))
            if text.strip() == "[DONE]":
                break
            try:
                data = json.loads(text)
            except ValueError as err:
                raise _Malformed(f"a stream event is not JSON ({err})") from None
            if not isinstance(data, dict):
                raise _Malformed("a stream event is not a JSON object")
            if data.get("error") is not None:
                raise _StreamError(data["error"])
            chunks += 1
            for key in ("id", "created", "model", "system_fingerprint", "provider"):
                if key in data and key not in response:
                    response[key] = data[key]
            if isinstance(data.get("usage"), dict):
                usage = data["usage"]
            for choice in data.get("choices") or []:
                if not isinstance(choice, dict):
                    continue
                index = choice.get("index", 0)
                if type(index) is not int or not 0 <= index < _MAX_CHOICES:
                    continue
                message = messages.setdefault(index, {"role": "assistant"})
                if isinstance(choice.get("delta"), dict):
                    merge_delta(message, choice["delta"])
                finish[index] = choice.get("finish_reason") or finish.get(index)
        if chunks == 0:
            raise _Malformed("the stream ended without a chunk")
        order = sorted(messages)
        response.update(
            object="chat.completion",
            choices=[{"index": i, "message": messages[i], "finish_reason": finish.get(i)} for i in order],
            usage=usage,
            stream_chunks=chunks,
        )
        first = finish.get(0)
        return _Reply(response=response, message=messages[0], usage=usage,
                      finish_reason=first if isinstance(first, str) else None,
                      more=[{"message": messages[i], "finish_reason": finish.get(i)} for i in order[1:]])

    def _stream_failure(self, error: dict[str, Any]) -> _Failure:
        """An error the server sent inside a 200 stream, classified like the HTTP status it carries: llama.cpp
        reports a prompt longer than its context this way, a 400 that no retry can fix."""
        code = error.get("code")
        message = self._clean(str(error.get("message") or json.dumps(error)))
        body = self._scrub({"error": error})
        if isinstance(code, int) and 400 <= code < 600:
            return _Failure("api_error", f"HTTP {code}: {message}", status_code=code,
                            retryable=is_retryable_status(code), body=body,
                            cap_refused=code == 400 and _CAP_REFUSED.search(message) is not None)
        return _Failure("api_error", f"server error: {message}", body=body)

    def _success(
        self,
        body: dict[str, Any],
        reply: _Reply,
        started: float,
        retries: list[RetryRecord],
        endpoint: Endpoint | None = None,
        notices: list[Notice] | None = None,
    ) -> Completion:
        content, reasoning = message_text(reply.message)
        more = [_choice(c) for c in reply.more]
        usage = usage_from_body(reply.usage)
        cost, source = price_call(usage, self.config, server_cost(reply.usage), has_usage=reply.usage is not None)
        return Completion(
            model=self.config.model,
            request=body,
            response=reply.response,
            content=content,
            reasoning=reasoning,
            usage=usage,
            cost_usd=cost,
            cost_source=source,
            latency_s=time.monotonic() - started,
            retries=retries,
            tool_calls=tool_calls_of(reply.message),
            finish_reason=reply.finish_reason,
            more_choices=more,
            endpoint=self._named(endpoint),
            notices=notices or [],
        )
