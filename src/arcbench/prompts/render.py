"""The prompt a solver sends for a task, rendered from the template files beside this module.

The baseline model parses this same text back into grids (`parse_task_prompt`), and the training-data exporter
renders fine-tuning prompts with `task_messages`, so every consumer sees one format.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources
from string import Template

from arcbench.data.types import Example, Grid, Task
from arcbench.llm import Message
from arcbench.prompts.grids import grid_to_text, infer_output_shape, shape_text, text_to_grid
from arcbench.prompts.images import grid_png
from arcbench.prompts.style import DEFAULT_STYLE, Content, PromptStyle, slot, with_images

TEMPLATE_NAMES = (
    "system", "task", "example", "test",
    "feedback", "feedback_example", "feedback_all", "feedback_some", "feedback_none", "feedback_nocode",
    "images", "images_only", "describe", "tools", "tools_nocode", "tools_spent", "generalise", "refine",
    "refine_program",
    "feedback_syntax", "feedback_notransform", "feedback_note_function", "feedback_note_outside",
    "feedback_note_unclosed", "feedback_note_reasoning", "feedback_note_truncated",
)


@cache
def template(name: str) -> Template:
    return Template(resources.files("arcbench.prompts").joinpath("templates", f"{name}.txt").read_text())


def template_hash() -> str:
    """A short hash of every template, recorded in a run's config so that prompt changes are visible."""
    h = hashlib.sha256()
    for name in TEMPLATE_NAMES:
        h.update(name.encode() + b"\0" + template(name).template.encode() + b"\0")
    return h.hexdigest()[:16]


def grid_block(grid: Grid, style: PromptStyle = DEFAULT_STYLE, pngs: list[bytes] | None = None) -> str:
    """A grid as the prompt shows it: its text, its image's slot after the text, or the slot alone (images only).
    The image is appended to `pngs`."""
    if not style.any_images or pngs is None:
        return grid_to_text(grid)
    pngs.append(grid_png(grid))
    return slot(len(pngs) - 1) if style.images_only else grid_to_text(grid) + "\n" + slot(len(pngs) - 1)


def render_example(number: int, ex: Example, style: PromptStyle = DEFAULT_STYLE,
                   pngs: list[bytes] | None = None) -> str:
    return template("example").substitute(
        number=number, in_shape=shape_text(ex.input), input=grid_block(ex.input, style, pngs),
        out_shape=shape_text(ex.output), output=grid_block(ex.output, style, pngs),
    )


def render_test(number: int, grid: Grid, train: list[Example], style: PromptStyle = DEFAULT_STYLE,
                pngs: list[bytes] | None = None) -> str:
    shape = infer_output_shape(train, grid)
    hint = f"The output for test input {number} should be {shape[0]}x{shape[1]}.\n" if shape else ""
    return template("test").substitute(number=number, in_shape=shape_text(grid), input=grid_block(grid, style, pngs),
                                       shape_hint=hint)


def _task_text(task: Task, style: PromptStyle, pngs: list[bytes], train: list[Example] | None = None) -> str:
    train = task.train if train is None else train
    examples = "\n".join(render_example(i + 1, ex, style, pngs) for i, ex in enumerate(train))
    tests = "\n".join(render_test(i + 1, g, task.train, style, pngs).rstrip("\n") + "\n"
                      for i, g in enumerate(task.test_inputs))
    text = template("task").substitute(examples=examples, tests=tests)
    extras = [name for name, on in (("images_only", style.images_only), ("images", style.images and
                                     not style.images_only), ("describe", style.describe_grids),
                                    ("tools", style.tools)) if on]
    if not extras:
        return text
    return text.rstrip("\n") + "".join("\n\n" + template(name).substitute().strip() for name in extras) + "\n"


def task_prompt(task: Task) -> str:
    """The user message that poses a task."""
    return _task_text(task, DEFAULT_STYLE, [])


def task_content(task: Task, style: PromptStyle = DEFAULT_STYLE, train: list[Example] | None = None) -> Content:
    """The user message that poses a task in a style: text, or text and image parts. `train` shows the training
    pairs in another order (refinement shuffles them)."""
    pngs: list[bytes] = []
    return with_images(_task_text(task, style, pngs, train), pngs)


def system_prompt() -> str:
    return template("system").substitute()


def task_messages(task: Task, style: PromptStyle = DEFAULT_STYLE, train: list[Example] | None = None
                  ) -> list[Message]:
    """The opening messages of every conversation about `task`."""
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": task_content(task, style,
                                                                                                      train)}]


_GRID_RE = re.compile(r"^(Input|Output) \((\d+)x(\d+)\):\n((?:[\d ]+(?:\n|$))+)", re.M)


def parse_task_prompt(text: str) -> tuple[list[Example], list[Grid]]:
    """Recover training pairs and test inputs from a `task_prompt` text (for text-only solvers)."""
    train: list[Example] = []
    tests: list[Grid] = []
    for section in re.split(r"^(?=## )", text, flags=re.M):
        head = section.split("\n", 1)[0]
        grids = {m.group(1): text_to_grid(m.group(4)) for m in _GRID_RE.finditer(section)}
        if head.startswith("## Training example") and "Input" in grids and "Output" in grids:
            train.append(Example(input=grids["Input"], output=grids["Output"]))
        elif head.startswith("## Test input") and "Input" in grids:
            tests.append(grids["Input"])
    return train, tests
