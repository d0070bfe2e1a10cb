"""The offline `baseline` model: a program search over grid primitives that answers chat requests like an LLM.

It needs no network and no key, sees only the chat messages (the task prompt's text, never test outputs) and replies
with a short rationale and one self-contained ```python block defining `transform(grid)`.
"""

from arcbench.baseline.chat import count_tokens, solve_messages

__all__ = ["count_tokens", "solve_messages"]
