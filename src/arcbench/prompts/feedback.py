"""The feedback message sent after a turn: training results only (test results are never shown to the model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from arcbench.data.types import Example, Grid
from arcbench.prompts.grids import grid_to_text, shape_text
from arcbench.prompts.render import template


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
        message = f": {res.message.strip()}" if res.message.strip() else ""
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
    return "\n".join(lines) + "\n"


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
    return template("feedback").substitute(
        solved=solved, total=len(results), examples=examples, closing=template(closing).substitute()
    ).strip()
