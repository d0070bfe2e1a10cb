"""Reasoning in and out: the request parameters that ask for it, and the text servers send back wherever they put it.

Servers disagree on where reasoning goes: `reasoning_content` (DeepSeek, vLLM, SGLang), `reasoning` (OpenRouter,
Ollama, newer vLLM), `reasoning_details` (OpenRouter's structured blocks) or `<think>…</think>` inside the content
(llama.cpp and raw chat templates). Every place is read, and think blocks are split from the answer so that code
extraction sees the answer only. Pure functions.
"""

from __future__ import annotations

import re
from typing import Any

from arcbench.llm.base import ClientConfig, ReasoningEffort
from arcbench.llm.keys import is_openrouter_url
from arcbench.llm.tools import merge_tool_call_deltas

OPENROUTER_REASONING_BUDGETS: dict[ReasoningEffort, int] = {"low": 4096, "medium": 16384, "high": 65536}
"""Reasoning token budgets sent to OpenRouter (`reasoning.max_tokens`) for each --reasoning-effort."""

_THINK_BLOCK = re.compile(r"<(think|thinking)>(.*?)(?:</\1>|\Z)", re.S)
_ORPHAN_CLOSE = re.compile(r"^(.*?)</(think|thinking)>", re.S)


def reasoning_params(config: ClientConfig) -> dict[str, Any]:
    """Request fields that set the reasoning effort on this endpoint (empty when no effort was asked for)."""
    if config.reasoning_effort is None:
        return {}
    if is_openrouter_url(config.base_url):
        return {"reasoning": {"max_tokens": OPENROUTER_REASONING_BUDGETS[config.reasoning_effort]}}
    return {"reasoning_effort": config.reasoning_effort}


def split_think(content: str) -> tuple[str, str | None]:
    """(answer, reasoning) from content that may hold think blocks.

    Handles `<think>R</think>A`, several blocks, a block left open by a truncated reply (all of it is reasoning), and
    `R</think>A` where the chat template put the opening tag in the prompt.
    """
    if "<think" not in content and "</think" not in content:  # the common case, without scanning twice by regex
        return content, None
    parts: list[str] = []
    orphan = _ORPHAN_CLOSE.match(content)
    if orphan and "<think" not in orphan.group(1):
        parts.append(orphan.group(1))
        content = content[orphan.end() :]
    parts.extend(m.group(2) for m in _THINK_BLOCK.finditer(content))
    if not parts:
        return content, None
    answer = _THINK_BLOCK.sub("", content).strip()
    reasoning = "\n\n".join(p.strip() for p in parts if p.strip())
    return answer, reasoning or None


def content_text(value: Any) -> str:
    """Text of a message's content (or reasoning) value: a string, or a list of OpenAI content parts or reasoning
    blocks with text in them, joined by blank lines. Anything else has no text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for item in value:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict):
                piece = item.get("text") or item.get("summary") or item.get("content")
                if isinstance(piece, str | list):
                    texts.append(content_text(piece))
        return "\n\n".join(t for t in texts if t)
    return ""


def message_text(message: dict[str, Any]) -> tuple[str, str | None]:
    """(answer, reasoning) of an assistant message dict, reasoning gathered from every place servers put it."""
    found: list[str] = []
    for field in ("reasoning_content", "reasoning", "reasoning_details"):
        text = content_text(message.get(field)).strip()
        if text and text not in found:
            found.append(text)
    answer, think = split_think(content_text(message.get("content")))
    if think and think not in found:
        found.append(think)
    return answer, ("\n\n".join(found) or None)


def merge_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    """Fold one streamed delta into the assistant message being assembled (in place).

    Text fields are concatenated; tool-call pieces are joined per call (`index`); reasoning_details pieces of the
    same block (same type and index) are joined so the assembled message reads like a non-streamed one.
    """
    for key, value in delta.items():
        if value is None:
            continue
        if key == "tool_calls" and isinstance(value, list):
            merge_tool_call_deltas(message.setdefault("tool_calls", []), value)
        elif key == "reasoning_details" and isinstance(value, list):
            blocks: list[dict[str, Any]] = message.setdefault("reasoning_details", [])
            for piece in value:
                if not isinstance(piece, dict):
                    continue
                last = blocks[-1] if blocks else None
                same = last is not None and (last.get("type"), last.get("index")) == (
                    piece.get("type"),
                    piece.get("index"),
                )
                if same and last is not None:
                    for text_key in ("text", "summary"):
                        if isinstance(piece.get(text_key), str):
                            last[text_key] = (last.get(text_key) or "") + piece[text_key]
                else:
                    blocks.append(dict(piece))
        elif isinstance(value, str) and key != "role":
            message[key] = (message.get(key) or "") + value
        elif key not in message:
            message[key] = value
