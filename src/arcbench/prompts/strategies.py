"""The messages particular strategies send: the generalisation check, the refinement prompt with earlier programs,
and the tool strategy's nudges. Only training results and a program's own test outputs appear here, never an
expected test output (the callers have none)."""

from __future__ import annotations

from collections.abc import Sequence

from arcbench.data.types import Example, Grid, Task
from arcbench.inert import clip
from arcbench.llm import Message
from arcbench.prompts.feedback import MAX_ERROR_CHARS, MAX_FEEDBACK_CHARS, TrainResult, render_program_results
from arcbench.prompts.grids import shape_text
from arcbench.prompts.render import grid_block, system_prompt, task_content, template
from arcbench.prompts.style import DEFAULT_STYLE, Content, PromptStyle, unslotted, with_images

MAX_PROGRAM_CHARS = 12_000
"""An earlier program as the refinement prompt quotes it."""


def generalise_message(outputs: Sequence[Grid | None], errors: Sequence[str], style: PromptStyle = DEFAULT_STYLE
                       ) -> Content:
    """Asks whether a program that solves every training example is general, showing its outputs on the test
    inputs (what it produced; whether they are right is unknown to everyone here)."""
    pngs: list[bytes] = []
    blocks = []
    for i, (out, err) in enumerate(zip(outputs, errors, strict=True)):
        if out is None:
            blocks.append(f"## Test input {i + 1}: your program failed: {clip(unslotted(err), MAX_ERROR_CHARS)}\n")
        else:
            blocks.append(f"## Test input {i + 1}: your output ({shape_text(out)})\n{grid_block(out, style, pngs)}\n")
    text = template("generalise").substitute(outputs="\n".join(blocks)).strip()
    return with_images(clip(text, MAX_FEEDBACK_CHARS), pngs)


def refine_messages(task: Task, order: Sequence[int], programs: Sequence[tuple[str, Sequence[TrainResult]]],
                    style: PromptStyle = DEFAULT_STYLE) -> list[Message]:
    """One refinement call: the task with its training pairs in `order`, then (when there are any) the earlier
    programs with their results on those pairs in the same order, best first."""
    train: list[Example] = [task.train[i] for i in order]
    content = task_content(task, style, train)
    if programs:
        shown = []
        for k, (code, results) in enumerate(programs, 1):
            ordered = [results[i] for i in order]
            solved = sum(r.correct for r in ordered)
            pixel = sum(r.pixel_accuracy for r in ordered) / len(ordered) if ordered else 0.0
            shown.append(template("refine_program").substitute(
                number=k, solved=solved, total=len(ordered), pixel=f"{pixel:.0%}",
                code=clip(code, MAX_PROGRAM_CHARS).rstrip("\n") + "\n",
                results=render_program_results(train, ordered)))
        block = clip(template("refine").substitute(programs="\n".join(shown)).strip(), MAX_FEEDBACK_CHARS)
        content = [*content, {"type": "text", "text": "\n\n" + block}] if isinstance(content, list) else \
            content.rstrip("\n") + "\n\n" + block
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": content}]


def tools_nocode_message() -> str:
    return template("tools_nocode").substitute().strip()


def tools_spent_message(limit: int) -> str:
    return template("tools_spent").substitute(limit=limit).strip()

