"""An in-memory model: the scripted server's replies without HTTP, behind the same `ChatModel` seam as a real one.

For unit tests of strategies and for anyone driving arcbench from Python without a network. It takes the script the
local server takes (rules matched on the first user message and the turn) or any callable from a request body to a
`Reply`, and records every conversation it was sent.

    model = ScriptedModel([{"match": "0 0 1", "content": "```python\\ndef transform(grid): ...```"}])

A reply the script marks as failing (an error status, garbage, a hang, a reset) comes back as a failed Completion at
once: there is no transport here to retry.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from arcbench.llm import Choice, Completion, Message, Tool, ToolCall
from arcbench.llm.pricing import usage_from_body
from arcbench.testing.script import Reply, Rule, Script, ScriptResponder, coerce_script
from arcbench.testing.server import Responder, usage_body


class ScriptedModel:
    """A `ChatModel` answering from a script or a responder, in this process. Costs nothing."""

    def __init__(self, script: Script | list[Rule] | list[dict[str, Any]] | dict[str, Any] | Responder | None = None,
                 *, name: str = "scripted") -> None:
        self.name = name
        self._respond: Responder = script if callable(script) else ScriptResponder(coerce_script(script))
        self.requests: list[list[Message]] = []
        """Every conversation sent, oldest first."""
        self.bodies: list[dict[str, Any]] = []
        """Every request body (messages, and the tools when some were offered), oldest first."""

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        """One request; `n` > 1 answers it that many times over (each answer one pass through the script), as a
        server that honours `n` does."""
        started = time.monotonic()
        request: dict[str, Any] = {"model": self.name, "messages": copy.deepcopy(messages)}
        if tools:
            request["tools"] = copy.deepcopy(tools)
            if tool_choice is not None:
                request["tool_choice"] = tool_choice
        if n > 1:
            request["n"] = n
        self.requests.append(request["messages"])
        self.bodies.append(request)
        reply = self._respond(request)
        more = [r for r in (self._respond(request) for _ in range(n - 1)) if _failure(r) is None] if (
            n > 1 and _failure(reply) is None) else []
        delay = max(r.delay_s for r in (reply, *more))
        if delay > 0:
            await asyncio.sleep(delay)
        failure = _failure(reply)
        if failure is not None:
            kind, message = failure
            return Completion(model=self.name, request=request, latency_s=time.monotonic() - started,
                              error_kind=kind, error_message=message)
        usage = usage_body(reply, request, more)
        return Completion(
            model=self.name, request=request, content=reply.content, reasoning=_reasoning(reply),
            usage=usage_from_body(usage if reply.include_usage else None),
            cost_usd=reply.cost if reply.cost is not None else 0.0,
            cost_source="server" if reply.cost is not None else "free",
            latency_s=time.monotonic() - started, finish_reason=reply.finish_reason,
            tool_calls=[ToolCall(id=c["id"], name=c["function"]["name"], arguments=c["function"]["arguments"])
                        for c in reply.tool_call_dicts()],
            more_choices=[Choice(content=r.content, reasoning=_reasoning(r), finish_reason=r.finish_reason)
                          for r in more],
        )

    async def aclose(self) -> None:
        """Nothing to release."""


def _reasoning(reply: Reply) -> str | None:
    return (reply.reasoning if reply.reasoning_placement != "none" else None) or None


def _failure(reply: Reply) -> tuple[Any, str] | None:
    """(failure kind, message) for a reply the script makes fail, as the HTTP client would report it."""
    if reply.hang:
        return "timeout", "no reply (the script hangs)"
    if reply.reset:
        return "api_error", "connection failed: the script drops the connection"
    if reply.status != 200:
        return "api_error", f"HTTP {reply.status}: {reply.error_message or 'scripted error'}"
    if reply.error_message is not None:
        return "api_error", f"server error: {reply.error_message}"
    if reply.stream_error is not None:
        return "api_error", f"HTTP {reply.stream_error.get('code', 500)}: {reply.stream_error.get('message', '')}"
    if reply.garbage:
        return "api_error", "malformed response: the script sends garbage"
    return None
