"""The baseline as a chat model: messages in, an LLM-style reply (rationale + one python block) out.

It reads only what any model reads: the task prompt's text (parsed back into grids) and, in a feedback conversation,
its own earlier replies, so that each new turn offers the best program it has not offered yet.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from arcbench.baseline.program import Step, program_source
from arcbench.baseline.search import Candidate, search
from arcbench.llm import content_text
from arcbench.prompts.render import parse_task_prompt

_CODE_RE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)

_DESCRIPTIONS = {
    "dihedral": lambda p: ["keep", "rotate it 90° anticlockwise", "rotate it 180°", "rotate it 90° clockwise",
                           "flip it upside down", "flip it left to right", "transpose it",
                           "transpose it along the other diagonal"][p["k"]],
    "crop_to_content": lambda p: "crop it to the bounding box of its non-background cells",
    "crop_object": lambda p: f"crop it to the {p['which'].replace('_', ' ')} object",
    "keep_object": lambda p: f"keep only the {p['which'].replace('_', ' ')} object",
    "remove_small_objects": lambda p: f"erase objects of at most {p['max_size']} cells (noise)",
    "scale_up": lambda p: f"scale every cell up to a {p['a']}x{p['b']} block",
    "scale_down": lambda p: f"shrink every {p['a']}x{p['b']} block to one cell",
    "tile_blocks": lambda p: "tile copies of it (some mirrored or rotated) into a larger grid",
    "self_kron": lambda p: "put a copy of the grid in place of each " + ("empty" if p["inverse"] else "coloured")
    + " cell (a fractal)",
    "gravity": lambda p: "let the coloured cells fall " + ["down", "right", "up", "left"][p["side"]],
    "draw_rays": lambda p: "draw lines from every coloured cell to the edge",
    "connect_pairs": lambda p: "connect cells of the same colour that are aligned with lines",
    "fill_enclosed": lambda p: f"fill enclosed background areas with colour {p['color']}",
    "complete_symmetry": lambda p: f"restore the symmetric pattern where colour {p['hole']} hides it",
    "combine_parts": lambda p: f"split it into {p['n']} parts and mark with colour {p['color']} the cells where the "
    f"parts combine by '{p['op']}'",
    "overlay_parts": lambda p: f"split it into {p['n']} parts and lay them over each other",
    "recolor": lambda p: "change colours " + ", ".join(f"{a}→{b}" for a, b in p["mapping"].items()),
    "apply_local_rule": lambda p: "recolour each cell by a rule on its neighbourhood learned from the examples",
    "recolor_objects": lambda p: f"recolour each object by its {p['prop'].replace('_', ' ')}",
    "fill_constant": lambda p: f"output a {p['height']}x{p['width']} grid of the {p['rule']} common colour",
}


def describe(steps: tuple[Step, ...]) -> str:
    if not steps:
        return "Keep the grid as it is."
    parts = [_DESCRIPTIONS[s.name](dict(s.params)) for s in steps]
    text = "Take the input grid, " + ", then ".join(parts) + "."
    return text


def count_tokens(text: str) -> int:
    """The token count the baseline reports: ceil(characters / 4), a deterministic stand-in for a tokenizer."""
    return math.ceil(len(text) / 4)


def task_text(messages: list[dict[str, Any]]) -> str | None:
    """The first user message that poses a task."""
    for m in messages:
        text = content_text(m.get("content"))
        if m.get("role") == "user" and "## Training example" in text:
            return text
    return None


def previous_programs(messages: list[dict[str, Any]]) -> set[str]:
    """The python blocks of the conversation's earlier assistant replies."""
    found = set()
    for m in messages:
        if m.get("role") == "assistant":
            for block in _CODE_RE.findall(content_text(m.get("content"))):
                found.add(block.strip())
    return found


def candidates_for(messages: list[dict[str, Any]], time_budget_s: float) -> tuple[list[Candidate], int]:
    """The ranked candidates for the conversation's task, and its number of training examples."""
    text = task_text(messages)
    if text is None:
        return [], 0
    train, tests = parse_task_prompt(text)
    if not train:
        return [], 0
    pairs = [(np.array(e.input, dtype=int), np.array(e.output, dtype=int)) for e in train]
    return search(pairs, [np.array(t, dtype=int) for t in tests], time_budget_s), len(train)


def reply(candidate: Candidate | None, n_train: int, retry: bool) -> str:
    """The reply text for a chosen program (None: nothing found, the input is returned unchanged)."""
    steps = candidate.steps if candidate else ()
    lines = []
    if retry:
        lines.append("My previous program was not right; here is the next rule I can find.")
    lines.append(describe(steps))
    if candidate is None:
        lines.append("I could not find a rule that fits the examples, so this keeps the input.")
    elif candidate.consistent:
        lines.append(f"This fits all {n_train} training examples.")
    else:
        share = candidate.train_cells / candidate.train_total_cells if candidate.train_total_cells else 0.0
        lines.append(f"No rule I tried fits every example; this one gets {candidate.train_exact} of {n_train} "
                     f"examples right and {share:.0%} of their cells.")
    return " ".join(lines) + "\n\n```python\n" + program_source(steps) + "```\n"


def solve_messages(messages: list[dict[str, Any]], time_budget_s: float = 2.0) -> str:
    """The assistant reply (rationale + one python block) for a chat request: the best program found for the task
    in the conversation's first prompt that the conversation has not offered yet. Deterministic for a given request
    whenever the search ends within its budget."""
    cands, n_train = candidates_for(messages, time_budget_s * 0.85)
    tried = previous_programs(messages)
    for c in cands:
        if program_source(c.steps).strip() not in tried:
            return reply(c, n_train, retry=bool(tried))
    return reply(cands[0] if cands else None, n_train, retry=bool(tried))
