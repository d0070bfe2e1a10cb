"""How a prompt is dressed: grids as text, images or both; feedback as grids or cell-by-cell diffs; what extra the
model is asked for (grid descriptions, tool use). One small value every prompt function takes.

Message content is either a string or, as soon as an image is in it, a list of OpenAI content parts (text and
`image_url` parts in reading order). Texts are rendered with a slot where each image goes, then split into parts here,
so one template serves both forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from arcbench.prompts.images import image_part

Content = str | list[dict[str, Any]]
FeedbackFormat = Literal["text", "diff"]
_SLOT = re.compile("\x1e(\\d+)\x1e")


@dataclass(frozen=True)
class PromptStyle:
    images: bool = False
    """Every grid also as a PNG image."""
    images_only: bool = False
    """Grids as images only (their shapes stay in the text)."""
    feedback: FeedbackFormat = "text"
    """"diff": a wrong output of the right shape is shown cell by cell, wrong cells as expected/produced."""
    describe_grids: bool = False
    """Ask for describe_input/describe_output too, and show what they return in the feedback."""
    tools: bool = False
    """The model has the run_python and submit tools."""

    @property
    def any_images(self) -> bool:
        return self.images or self.images_only


DEFAULT_STYLE = PromptStyle()


def slot(index: int) -> str:
    """Where image `index` goes in a text that `with_images` will split."""
    return f"\x1e{index}\x1e"


def unslotted(text: str) -> str:
    """Untrusted text (a program's error message) with anything that could pass for an image slot removed."""
    return text.replace("\x1e", "")


def with_images(text: str, pngs: list[bytes]) -> Content:
    """`text` as message content: the string itself when it holds no image, else text and image parts in order."""
    if not pngs:
        return text
    parts: list[dict[str, Any]] = []
    pieces = _SLOT.split(text)
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            if piece.strip():
                parts.append({"type": "text", "text": piece})
        elif int(piece) < len(pngs):
            parts.append(image_part(pngs[int(piece)]))
    return parts


def plain_text(content: Any) -> str:
    """Message content as one text, each image written as [image] (what a task log keeps of a message)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return "" if content is None else str(content)
    out = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
            out.append(part["text"])
        elif isinstance(part, dict) and part.get("type") in ("image_url", "input_image"):
            out.append("[image]")
        elif isinstance(part, str):
            out.append(part)
    return "".join(out)
