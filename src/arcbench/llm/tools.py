"""Function tool calls in replies: read from a message (plain or assembled from a stream), whatever the server.

Servers differ in small ways: `arguments` as JSON text (OpenAI) or as an object (some local servers), ids missing
(some llama.cpp builds), a streamed call split over many deltas keyed by `index`. Everything is normalised to
`ToolCall(id, name, arguments-as-text)`; nothing is executed or trusted here. Pure functions.
"""

from __future__ import annotations

import json
from typing import Any

from arcbench.llm.base import ToolCall


def tool_calls_of(message: dict[str, Any]) -> list[ToolCall]:
    """The function calls an assistant message asks for (empty when none). A call without an id gets one made from
    its position, so that the tool message answering it can name it."""
    raw = message.get("tool_calls")
    if not isinstance(raw, list):
        return []
    calls = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        fn = item.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            continue
        args = fn.get("arguments")
        text = args if isinstance(args, str) else json.dumps(args) if args is not None else ""
        call_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else f"call_{i}"
        calls.append(ToolCall(id=call_id, name=fn["name"], arguments=text))
    return calls


def merge_tool_call_deltas(calls: list[dict[str, Any]], pieces: list[Any]) -> None:
    """Fold one streamed delta's `tool_calls` pieces into the calls being assembled (in place): a piece with a new
    `index` starts a call, later pieces of that index add to its name and arguments."""
    for piece in pieces:
        if not isinstance(piece, dict):
            continue
        index = piece.get("index", len(calls))
        target = next((c for c in calls if c.get("index") == index), None)
        if target is None:
            target = {"index": index, "type": "function", "function": {"name": "", "arguments": ""}}
            calls.append(target)
        if isinstance(piece.get("id"), str) and piece["id"]:
            target["id"] = piece["id"]
        fn = piece.get("function")
        if isinstance(fn, dict):
            for key in ("name", "arguments"):
                value = fn.get(key)
                if isinstance(value, str):
                    target["function"][key] += value
                elif isinstance(value, dict) and key == "arguments":
                    target["function"][key] += json.dumps(value)


def assistant_message(content: str, calls: list[ToolCall]) -> dict[str, Any]:
    """The assistant message that continues a conversation after a reply: its text and, when it called tools, the
    calls (which the next messages must answer, one `tool` message each)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name,
                                                                               "arguments": c.arguments}}
                                 for c in calls]
    return message
