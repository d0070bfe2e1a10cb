"""Finding the program in a model's reply.

Models wrap code in fences of many spellings, sometimes think in code and then answer in prose, and sometimes name the
function differently. The rule: the last complete python block that defines `transform` wins, searched in the answer
first and in the reasoning text when the answer has none; a block whose only function has another name is accepted
with an alias and a note.
"""

from __future__ import annotations

import ast
import re
from typing import Literal

from pydantic import BaseModel

_FENCE_RE = re.compile(r"```[ \t]*(python3?|py)?[ \t]*\n(.*?)```", re.S | re.I)
_OPEN_FENCE_RE = re.compile(r"```[ \t]*(?:python3?|py)[ \t]*\n(.*)\Z", re.S | re.I)


class ExtractedCode(BaseModel):
    code: str
    source: Literal["answer", "reasoning"]
    note: str = ""


def _blocks(text: str) -> list[str]:
    return [m.group(2) for m in _FENCE_RE.finditer(text)]


def _function_names(code: str) -> list[str] | None:
    """Top-level function names, or None when the block is not valid Python."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


_DEF_TRANSFORM_RE = re.compile(r"^def\s+transform\s*\(", re.M)


def _defines_transform(code: str) -> bool:
    # A top-level `def transform(` is what the sandbox will call; a regex answers that without parsing (which costs
    # more than everything else of a turn), and a block with a syntax error is still the model's program.
    return _DEF_TRANSFORM_RE.search(code) is not None


def _from_text(text: str) -> tuple[str, str] | None:
    blocks = _blocks(text)
    for code in reversed(blocks):
        if _defines_transform(code):
            return code.strip("\n") + "\n", ""
    # An answer cut off by max_tokens leaves its last fence open: take it if it defines transform.
    opened = _OPEN_FENCE_RE.match("```" + text.rsplit("```", 1)[1]) if text.count("```") % 2 == 1 else None
    if opened and _defines_transform(opened.group(1)):
        return opened.group(1).strip("\n") + "\n", "taken from an unclosed code block (reply may be truncated)"
    for code in reversed(blocks):
        names = _function_names(code)
        if names and len(names) == 1:
            return (code.strip("\n") + f"\n\ntransform = {names[0]}\n",
                    f"no `transform` defined; used the only function `{names[0]}`")
    return None


def extract_code(answer: str, reasoning: str | None = None) -> ExtractedCode | None:
    """The program in a reply, or None when there is none."""
    found = _from_text(answer or "")
    if found:
        return ExtractedCode(code=found[0], source="answer", note=found[1])
    if reasoning:
        found = _from_text(reasoning)
        if found:
            note = "no code in the answer; taken from the reasoning text" + (f"; {found[1]}" if found[1] else "")
            return ExtractedCode(code=found[0], source="reasoning", note=note)
    return None
