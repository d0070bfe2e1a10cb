"""OpenAI's Responses API as the local server speaks it (`POST /v1/responses`): a scripted reply as a response object
or as the stream of events that builds one, and the checks the real API makes on the reasoning items sent back.

A reply with reasoning gets a reasoning item before its message; its summary is filled only when the request asks for
one (`reasoning.summary`), as OpenAI does. With `include: ["reasoning.encrypted_content"]` the item carries an
encrypted copy of itself, here its id and text in base64, sealed to the item's id. Sent back in a later request, a
reasoning item is refused the way OpenAI refuses it: without encrypted content when `store` is false (nothing was
stored to find it by), with content sealed to another id, or without the message that followed it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Iterator
from typing import Any

from arcbench.testing.script import Reply, conversation_items

ENCRYPTED_REASONING = "reasoning.encrypted_content"


def seal(item_id: str, text: str) -> str:
    """The encrypted content the server gives a reasoning item (opaque to clients; checked when sent back)."""
    return base64.b64encode(json.dumps({"id": item_id, "text": text}).encode()).decode()


def _sealed_id(content: str) -> str | None:
    try:
        data = json.loads(base64.b64decode(content.encode(), validate=True))
    except (binascii.Error, ValueError):
        return None
    return data.get("id") if isinstance(data, dict) else None


def input_problem(body: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) the real API answers for reasoning items it cannot use; None when the input is fine."""
    items = conversation_items(body)
    for i, item in enumerate(items):
        if item.get("type") != "reasoning":
            continue
        item_id = str(item.get("id"))
        content = item.get("encrypted_content")
        if content is None:
            if body.get("store") is False:
                return 400, (f"Item with id '{item_id}' not found. Items are not persisted when `store` is set to "
                             "false. Try again with `store` set to true, or remove this item from your input.")
        elif _sealed_id(str(content)) != item_id:
            return 400, (f"The encrypted content for item {item_id} could not be verified. Reason: Encrypted content "
                         "item_id did not match the target item id.")
        following = items[i + 1] if i + 1 < len(items) else None
        if following is None or following.get("type") != "message":
            return 400, f"Item '{item_id}' of type 'reasoning' was provided without its required following item."
    return None


def responses_usage(chat_usage: dict[str, Any]) -> dict[str, Any]:
    """The Responses API's `usage` for the counts the chat endpoint reports."""
    usage: dict[str, Any] = {
        "input_tokens": chat_usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": chat_usage["prompt_tokens_details"]["cached_tokens"]},
        "output_tokens": chat_usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": chat_usage["completion_tokens_details"]["reasoning_tokens"]},
        "total_tokens": chat_usage["total_tokens"],
    }
    if "cost" in chat_usage:
        usage["cost"] = chat_usage["cost"]
    return usage


def output_items(reply: Reply, body: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """A reply's output items: its reasoning (when it has any), then its message."""
    items: list[dict[str, Any]] = []
    if reply.reasoning:
        rid = f"rs_{number:06d}"
        asked = isinstance(body.get("reasoning"), dict) and body["reasoning"].get("summary")
        item: dict[str, Any] = {"id": rid, "type": "reasoning",
                                "summary": [{"type": "summary_text", "text": reply.reasoning}] if asked else []}
        if ENCRYPTED_REASONING in (body.get("include") or []):
            item["encrypted_content"] = seal(rid, reply.reasoning)
        items.append(item)
    items.append({"id": f"msg_{number:06d}", "type": "message", "role": "assistant", "status": "completed",
                  "content": [{"type": "output_text", "text": reply.content, "annotations": []}]})
    return items


def response_object(reply: Reply, body: dict[str, Any], number: int, usage: dict[str, Any] | None) -> dict[str, Any]:
    """The whole response for a reply (what a plain request gets, and what a stream's last event carries)."""
    incomplete = reply.finish_reason == "length"
    data: dict[str, Any] = {
        "id": f"resp_{number:06d}", "object": "response", "created_at": int(time.time()),
        "status": "incomplete" if incomplete else "completed", "model": body.get("model", ""),
        "output": output_items(reply, body, number), "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "store": body.get("store", True), "usage": usage,
    }
    return data


def _pieces(text: str, n: int = 3) -> list[str]:
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def response_events(reply: Reply, body: dict[str, Any], number: int,
                    usage: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """The events of a streamed response, in OpenAI's order: created, each item added / its text in deltas / done,
    then completed (or incomplete) with the whole response."""
    final = response_object(reply, body, number, usage)
    yield {"type": "response.created", "response": {**final, "status": "in_progress", "output": [], "usage": None}}
    for index, item in enumerate(final["output"]):
        ref = {"item_id": item["id"], "output_index": index}
        if item["type"] == "reasoning":
            yield {"type": "response.output_item.added", "output_index": index, "item": {**item, "summary": []}}
            for part in item["summary"]:
                yield {"type": "response.reasoning_summary_part.added", **ref, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}
                for piece in _pieces(part["text"]):
                    yield {"type": "response.reasoning_summary_text.delta", **ref, "summary_index": 0, "delta": piece}
                yield {"type": "response.reasoning_summary_text.done", **ref, "summary_index": 0, "text": part["text"]}
                yield {"type": "response.reasoning_summary_part.done", **ref, "summary_index": 0, "part": part}
        else:
            text = item["content"][0]["text"]
            yield {"type": "response.output_item.added", "output_index": index,
                   "item": {**item, "status": "in_progress", "content": []}}
            yield {"type": "response.content_part.added", **ref, "content_index": 0,
                   "part": {"type": "output_text", "text": "", "annotations": []}}
            for piece in _pieces(text):
                yield {"type": "response.output_text.delta", **ref, "content_index": 0, "delta": piece,
                       "logprobs": []}
            yield {"type": "response.output_text.done", **ref, "content_index": 0, "text": text, "logprobs": []}
            yield {"type": "response.content_part.done", **ref, "content_index": 0, "part": item["content"][0]}
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
    yield {"type": f"response.{final['status']}", "response": final}
