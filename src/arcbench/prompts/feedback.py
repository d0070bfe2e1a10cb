"""The feedback message sent after a turn: training results only (test results are never shown to the model).

Its size is capped, because what a program reports is untrusted: a forged 15 MB error message must not become a
3-million-token prompt. The caps are far above what an honest program on an ARC task produces (ten 30x30 training
pairs, each with a 4,000-character traceback, need under 60,000 characters), and wherever text is cut the message
says how many characters were cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from arcbench.data.types import Example, Grid
from arcbench.inert import clip
from arcbench.prompts.grids import grid_to_text, shape_text
from arcbench.prompts.render import template

MAX_ERROR_CHARS = 4_000
"""A program's error message on one example (the sandbox's own limit per grid): start and end kept."""
MAX_EXAMPLE_CHARS = 8_000
"""Everything said about one example: the error or the produced grid, the expected grid, the hints."""
MAX_FEEDBACK_CHARS = 80_000
"""The whole feedback message of one turn."""


class TrainResult(Protocol):
    """What feedback needs of a program's result on one training example (the solver's `ExampleResult` has it)."""

    @property
    def output(self) -> Grid | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def message(self) -> str: ...
    @property
    def correct(self) -> bool: ...
    @property
    def pixel_accuracy(self) -> float: ...


def _details(ex: Example, res: TrainResult) -> str:
    if res.correct:
        return "Solved: your output matches the expected output exactly.\n"
    lines = []
    if res.error is not None or res.output is None:
        what = res.error or "no output"
        text = clip(res.message, MAX_ERROR_CHARS).strip()
        message = f": {text}" if text else ""
        lines.append(f"Your program failed ({what}){message}")
    else:
        lines.append(f"Pixel accuracy: {res.pixel_accuracy:.0%}")
    lines.append(f"Expected output ({shape_text(ex.output)}):\n{grid_to_text(ex.output)}")
    if res.output is not None:
        lines.append(f"Your output ({shape_text(res.output)}):\n{grid_to_text(res.output)}")
        if shape_text(res.output) != shape_text(ex.output):
            lines.append(
                f"Shape hint: your output is {shape_text(res.output)} but the expected output is "
                f"{shape_text(ex.output)}."
            )
    return clip("\n".join(lines), MAX_EXAMPLE_CHARS) + "\n"


def render_feedback(train: list[Example], results: Sequence[TrainResult] | None) -> str:
    """The next user message. `results` is None when the reply held no program."""
    if results is None:
        return template("feedback_nocode").substitute().strip()
    solved = sum(r.correct for r in results)
    examples = "\n".join(
        template("feedback_example").substitute(
            number=i + 1, verdict="solved" if r.correct else "not solved", details=_details(ex, r)
        )
        for i, (ex, r) in enumerate(zip(train, results, strict=True))
    )
    closing = "feedback_all" if solved == len(results) else "feedback_some" if solved else "feedback_none"
    message = template("feedback").substitute(
        solved=solved, total=len(results), examples=examples, closing=template(closing).substitute()
    ).strip()
    return clip(message, MAX_FEEDBACK_CHARS)
