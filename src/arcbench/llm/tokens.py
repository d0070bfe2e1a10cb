"""Token counts of text before it is sent, for cost estimates and the budget: an approximation, and said to be one.

arcbench ships no tokenizer: OpenAI's (`tiktoken`) downloads its vocabularies on first use, which a machine without
internet access cannot do, and other providers' tokenizers are theirs alone. ARC prompts are mostly digit grids, and
OpenAI's tokenizers cut digits apart from the spaces between them (cl100k_base and o200k_base split text with the same
rules for digits and spaces): a grid row costs one token per character. So a character of a grid row counts as a token
and other text as a quarter token. On the task prompts and feedback messages of every ARC-AGI-1 and ARC-AGI-2 task
(1,920) this is between 10% under and 1% over cl100k_base's count (85% of task prompts within 1%); the system prompt,
plain English, is over-counted by 15%. Pure functions.
"""

from __future__ import annotations

import re

from arcbench.llm.base import Message
from arcbench.llm.reasoning import content_text

APPROXIMATION = "a grid character is a token, other text 4 characters a token"
"""How tokens are counted, as the estimate states it."""

MESSAGE_OVERHEAD_TOKENS = 4
"""The role and separators around each message of a chat request."""

_GRID_ROW = re.compile(r"^\d(?: \d)*$")


def approx_tokens(text: str) -> int:
    """Approximate tokens of a text: one per character of a digit-grid row (its newline included), one per 4
    characters of anything else, rounded up."""
    grid = other = 0
    for line in text.split("\n"):
        if _GRID_ROW.match(line):
            grid += len(line) + 1
        else:
            other += len(line) + 1
    return grid + -(-other // 4)


def message_tokens(messages: list[Message]) -> int:
    """Approximate input tokens of a conversation as a chat request sends it."""
    return sum(approx_tokens(content_text(m.get("content"))) + MESSAGE_OVERHEAD_TOKENS for m in messages)
