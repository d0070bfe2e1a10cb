"""Scripted replies for the local server: which reply a request gets, as data a user can write in a JSON file.

A script is a list of rules, tried in order; the first rule whose `match` and `turn` fit the request, and that has
not used up its `times`, answers. Otherwise the script's default reply answers. Example file:

    {"rules": [
       {"match": "0 0 1", "turn": 1, "status": 429, "retry_after": "1", "times": 2},
       {"match": "0 0 1", "content": "```python\\ndef transform(grid):\\n    return grid\\n```",
        "reasoning": "Looks like identity.", "reasoning_placement": "think_tag"}
     ],
     "default": {"content": "no idea"}}

A bare list of rules is accepted too.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arcbench.errors import UserError
from arcbench.llm import content_text

ReasoningPlacement = Literal["reasoning_content", "reasoning", "reasoning_details", "think_tag", "none"]

DEFAULT_CONTENT = "```python\ndef transform(grid):\n    return [row[:] for row in grid]\n```"
"""The default answer: a valid program (identity), so a dry run exercises the whole pipeline."""


class ScriptedToolCall(BaseModel):
    """A function call a scripted reply makes (answered by a `tool` message in the next request)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: str | dict[str, Any] = Field(default_factory=dict)
    """JSON text, or an object (sent as JSON text, as OpenAI does)."""
    id: str | None = None
    """None: the server numbers the calls of the reply (call_1, call_2, ...)."""

    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


class Reply(BaseModel):
    """What the server sends back for one request."""

    model_config = ConfigDict(extra="forbid")

    content: str = DEFAULT_CONTENT
    """The answer text; a reply with `tool_calls` and no content given has none."""
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    """Function calls the reply makes (the request must offer tools for a real model to make them)."""
    reasoning: str | None = None
    reasoning_placement: ReasoningPlacement = "reasoning_content"
    """Where the reasoning goes: a message field, `<think>` tags in the content, or nowhere (dropped)."""
    delay_s: float = 0.0
    """Latency before the server answers."""
    status: int = 200
    retry_after: int | float | str | None = None
    """Retry-After header sent with an error status: seconds, or an HTTP date."""
    error_message: str | None = None
    """The error's message; with status 200 the server answers 200 with this error object instead of a completion
    (as OpenRouter does when a provider fails)."""
    error_code: str | None = None
    error_param: str | None = None
    garbage: bool = False
    """Answer 200 with a body that is not a valid completion (truncated JSON, or a broken stream)."""
    stream_error: dict[str, Any] | None = None
    """An error object (e.g. `{"code": 400, "message": "the request exceeds the available context size ..."}`).
    A streamed request gets a 200 event stream that carries it as llama.cpp's server does: an `error:` line (not a
    `data:` event), then `data: [DONE]`. A plain request gets it as the body of an error status (its `code`, or
    500)."""
    stream_error_as_data: bool = False
    """Send `stream_error` as a `data: {"error": ...}` event instead, as OpenAI-style servers do mid-stream."""
    hang: bool = False
    """Never answer (until the server closes): the client's timeout decides."""
    reset: bool = False
    """Drop the connection without answering (a TCP reset)."""
    prompt_tokens: int | None = None
    """Token counts to report; None counts them from the text (4 characters a token, rounded up)."""
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    include_usage: bool = True
    """False leaves `usage` out of the reply, as some servers do."""
    cost: float | None = None
    """A cost to report in usage (as OpenRouter does)."""
    finish_reason: str = "stop"

    @model_validator(mode="after")
    def _tool_reply_has_no_default_text(self) -> Reply:
        if self.tool_calls and "content" not in self.model_fields_set:
            self.content = ""
        if self.tool_calls and "finish_reason" not in self.model_fields_set:
            self.finish_reason = "tool_calls"
        return self

    def tool_call_dicts(self) -> list[dict[str, Any]]:
        """The calls as a Chat Completions message carries them."""
        return [{"id": c.id or f"call_{i}", "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments_text()}}
                for i, c in enumerate(self.tool_calls, 1)]


class Rule(Reply):
    """A reply and the requests it answers."""

    match: str | None = None
    """Text that must appear in the conversation's first user message (e.g. a task's grid text)."""
    turn: int | None = None
    """1-based conversation turn: assistant messages in the request + 1."""
    times: int | None = None
    """How many requests this rule may answer before later rules take over (e.g. fail twice, then succeed)."""


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    default: Reply = Field(default_factory=Reply)


def conversation_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation of a request: a chat request's `messages`, or a Responses API request's `input` (a string is
    one user message; reasoning items are in the list too)."""
    items = body.get("messages")
    if items is None:
        items = body.get("input")
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def first_user_text(body: dict[str, Any]) -> str:
    """Text of the first user message of a request ('' when there is none)."""
    for m in conversation_items(body):
        if m.get("role") == "user":
            return content_text(m.get("content"))
    return ""


def conversation_turn(body: dict[str, Any]) -> int:
    """1-based turn of a request: the assistant messages already in it, plus one."""
    return 1 + sum(1 for m in conversation_items(body) if m.get("role") == "assistant")


def coerce_script(script: Script | list[Rule] | list[dict[str, Any]] | dict[str, Any] | None) -> Script:
    """A Script from a Script, a list of rules, or their JSON form."""
    if script is None:
        return Script()
    if isinstance(script, Script):
        return script
    if isinstance(script, list):
        return Script(rules=[r if isinstance(r, Rule) else Rule.model_validate(r) for r in script])
    return Script.model_validate(script)


def load_script(path: Path) -> Script:
    """Read a script file (JSON). Raises UserError naming the file and the problem."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"script file not found: {path}") from None
    except (OSError, ValueError) as e:
        raise UserError(f"script file {path} is not valid JSON: {e}") from None
    try:
        return coerce_script(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise UserError(f"script file {path}: {where}: {first['msg']}") from None


class ScriptResponder:
    """Answers requests from a script. Thread-safe: the server answers requests in parallel threads."""

    def __init__(self, script: Script) -> None:
        self._lock = threading.Lock()
        self.set_script(script)

    def set_script(self, script: Script) -> None:
        with self._lock:
            self._script = script
            self._fired = [0] * len(script.rules)

    def __call__(self, body: dict[str, Any]) -> Reply:
        user_text = first_user_text(body)
        turn = conversation_turn(body)
        with self._lock:
            for i, rule in enumerate(self._script.rules):
                if rule.match is not None and rule.match not in user_text:
                    continue
                if rule.turn is not None and rule.turn != turn:
                    continue
                if rule.times is not None and self._fired[i] >= rule.times:
                    continue
                self._fired[i] += 1
                return Reply.model_validate(rule.model_dump(exclude={"match", "turn", "times"}))
            return self._script.default
