"""`OpenAIResponsesModel`: OpenAI's Responses API (`POST /responses`), through the official `openai` package.

OpenAI's reasoning models show their reasoning (as summaries) only here, and keep reasoning between the turns of a
conversation only when its reasoning items are sent back. So every request asks for summaries
(`reasoning: {"summary": "auto"}`) and for the reasoning itself in encrypted form
(`include: ["reasoning.encrypted_content"]`), and is not stored at OpenAI (`store: false`, which accounts with zero
data retention require; `--extra-body '{"store": true}'` turns storing on). A reply's output items travel with the
conversation as the assistant message's `provider_items` (see `arcbench.llm.Message`) and go back verbatim in the next
request, so the model continues from its own reasoning without OpenAI keeping anything.

The transport, retries, rate gate, error classification and key handling are the Chat Completions client's
(`OpenAIChatModel`, whose seams this class fills): a Responses run fails, retries and logs exactly as a chat run does.
Summaries are logged as the reasoning; usage (`input_tokens`, cached and reasoning tokens) is mapped onto the same
`Usage` and priced the same way.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from arcbench.llm.base import Completion, Message, Notice, RetryRecord, Tool
from arcbench.llm.endpoints import Endpoint
from arcbench.llm.openai_chat import OpenAIChatModel, _ErrorInBody, _Malformed, _Reply
from arcbench.llm.pricing import price_call, server_cost, usage_from_responses
from arcbench.llm.reasoning import content_text

ENCRYPTED_REASONING = "reasoning.encrypted_content"


def response_input(messages: list[Message]) -> list[dict[str, Any]]:
    """The Responses API `input` for a conversation: each message as an input message, except that an assistant
    message carrying `provider_items` is replaced by those items (its reasoning and message, as the API returned
    them)."""
    items: list[dict[str, Any]] = []
    for m in messages:
        carried = m.get("provider_items")
        if m.get("role") == "assistant" and carried:
            items.extend(copy.deepcopy(carried))
        else:
            items.append({"role": m["role"], "content": copy.deepcopy(m.get("content", ""))})
    return items


def output_text(output: list[Any]) -> tuple[str, str | None]:
    """(answer, reasoning) of a response's output items: the text of its assistant messages, and the summaries of
    its reasoning items (or their reasoning text, which servers running open models send instead)."""
    answer: list[str] = []
    reasoning: list[str] = []
    for item in output:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            text = content_text(item.get("summary")) or content_text(item.get("content"))
            if text.strip():
                reasoning.append(text.strip())
        elif item.get("type", "message") == "message" and item.get("role", "assistant") == "assistant":
            parts = item.get("content")
            if isinstance(parts, list):
                answer.extend(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
                              and p.get("type", "output_text") == "output_text")
            elif isinstance(parts, str):
                answer.append(parts)
    return "".join(answer), ("\n\n".join(reasoning) or None)


def _failed(data: dict[str, Any]) -> str | None:
    """The error a response object reports instead of an answer (status failed, or an error object)."""
    err = data.get("error")
    if isinstance(err, dict | str) and err:
        return str(err.get("message") or err.get("code") or err) if isinstance(err, dict) else err
    if data.get("status") == "failed":
        return "the response failed"
    return None


def reply_from_response(data: Any) -> _Reply:
    """A response object (a plain reply's body, or the one a stream ends with) as the client's reply."""
    if not isinstance(data, dict):
        raise _Malformed("body is not a JSON object")
    if (why := _failed(data)) is not None:
        raise _ErrorInBody(why, data)
    output = data.get("output")
    if not isinstance(output, list):
        raise _Malformed("no output in the body")
    usage = data.get("usage")
    return _Reply(response=data, message={"role": "assistant"}, usage=usage if isinstance(usage, dict) else None)


async def read_events(stream: Any) -> _Reply:
    """The response a stream of Responses API events ends with (`response.completed`, or `response.incomplete` when
    the reply hit --max-tokens). Text deltas are not needed: the last event carries the whole response."""
    final: dict[str, Any] | None = None
    events = 0
    try:
        async for event in stream:
            data = event.to_dict()
            events += 1
            kind = data.get("type")
            if kind in ("response.completed", "response.incomplete"):
                final = data.get("response")
            elif kind == "response.failed":
                response = data.get("response") if isinstance(data.get("response"), dict) else {}
                raise _ErrorInBody(_failed(response) or "the response failed", response)
            elif kind == "error":
                raise _ErrorInBody(str(data.get("message") or data.get("code") or "error event"), data)
    finally:
        await stream.close()
    if events == 0:
        raise _Malformed("the stream ended without an event")
    if not isinstance(final, dict):
        raise _Malformed("the stream ended before the response was complete")
    reply = reply_from_response(final)
    reply.response = {**final, "stream_events": events}
    return reply


class OpenAIResponsesModel(OpenAIChatModel):
    """A model behind OpenAI's Responses API (`--api responses`)."""

    endpoint_name = "responses endpoint"

    def _rejected_param_hint(self, param: str) -> str:
        if param.startswith(("reasoning", "include")):
            return ("the Responses API is asked for reasoning summaries and encrypted reasoning, which only reasoning "
                    "models take: run this model with --api chat")
        return super()._rejected_param_hint(param)

    def build_request(self, messages: list[Message], tools: list[Tool] | None = None,
                      tool_choice: str | None = None, n: int = 1) -> dict[str, Any]:
        # The Responses API has no `n`: a run with --n-per-request is refused where it is configured (RunConfig).
        if tools:  # refused where the run is configured (RunConfig); a caller from Python gets the reason too
            raise ValueError("function tools are not mapped to the Responses API: use --api chat with --mode tools")
        c = self.config
        reasoning: dict[str, Any] = {"summary": "auto"}
        if c.reasoning_effort is not None:
            reasoning["effort"] = c.reasoning_effort
        body: dict[str, Any] = {"model": c.model, "input": response_input(messages), "reasoning": reasoning,
                                "include": [ENCRYPTED_REASONING], "store": False}
        if c.temperature is not None:
            body["temperature"] = c.temperature
        if c.max_tokens is not None:
            body["max_output_tokens"] = c.max_tokens
        if c.stream:
            body["stream"] = True
        body.update(c.extra_body)
        return body

    async def _send(self, endpoint: Endpoint, body: dict[str, Any]) -> _Reply:
        endpoint.turn += 1
        client = endpoint.clients[endpoint.turn % len(endpoint.clients)]
        if body.get("stream"):
            # As for chat: the body goes as extra_body, merged over the empty typed placeholder.
            rest = {k: v for k, v in body.items() if k not in ("model", "stream")}
            stream = await client.responses.create(model=body["model"], input=[], stream=True, extra_body=rest)
            return await read_events(stream)
        content = await client.post("/responses", body=body, cast_to=bytes)
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError) as err:
            raise _Malformed(f"body is not JSON ({err})") from None
        return reply_from_response(data)

    def _success(self, body: dict[str, Any], reply: _Reply, started: float, retries: list[RetryRecord],
                 endpoint: Endpoint | None = None, notices: list[Notice] | None = None) -> Completion:
        output = [item for item in reply.response.get("output") or [] if isinstance(item, dict)]
        content, reasoning = output_text(output)
        usage = usage_from_responses(reply.usage)
        cost, source = price_call(usage, self.config, server_cost(reply.usage), has_usage=reply.usage is not None)
        return Completion(
            model=self.config.model, request=body, response=reply.response, content=content, reasoning=reasoning,
            usage=usage, cost_usd=cost, cost_source=source, latency_s=time.monotonic() - started, retries=retries,
            provider_items=output or None, endpoint=self._named(endpoint), notices=notices or [],
        )
