"""The feedback message sent after a turn: training results only (test results are never shown to the model).

Its size is capped, because what a program reports is untrusted: a forged 15 MB error message must not become a
3-million-token prompt. The caps are far above what an honest program on an ARC task produces (ten 30x30 training
pairs, each with a 4,000-character traceback, need under 60,000 characters), and wherever text is cut the message
says how many characters were cut.

The same per-example details serve the refinement prompt (`render_program_results`), where each earlier program's
results are shown cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from arcbench.data.types import Example, Grid
from arcbench.inert import clip
from arcbench.prompts.grids import diff_grid_text, grid_to_text, shape_text
from arcbench.prompts.images import grid_png, pair_png
from arcbench.prompts.render import template
from arcbench.prompts.style import DEFAULT_STYLE, Content, PromptStyle, slot, unslotted, with_images

MAX_ERROR_CHARS = 4_000
"""A program's error message on one example (the sandbox's own limit per grid): start and end kept."""
MAX_EXAMPLE_CHARS = 8_000
"""Everything said about one example: the error or the produced grid, the expected grid, the hints."""
MAX_FEEDBACK_CHARS = 80_000
"""The whole feedback message of one turn."""
MAX_DESCRIPTION_CHARS = 300
"""What one describe_input/describe_output call returned, as the feedback shows it."""


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


class Descriptions(Protocol):
    """What the model's describe_input/describe_output returned on one example (None where they gave nothing)."""

    @property
    def input(self) -> str | None: ...
    @property
    def expected(self) -> str | None: ...
    @property
    def produced(self) -> str | None: ...


@dataclass(frozen=True)
class ReplyFacts:
    """What happened to a reply before its program ran, so that the feedback tells the model exactly that."""

    missing: str = ""
    """When no program was found: what the reply held instead, as words after "Your reply held" (e.g. "no code")."""
    function: str = "transform"
    """The function run as `transform(grid)`: another name when the reply defined no `transform`."""
    outside_block: bool = False
    """The code was found in the reply's text, not in a fenced block."""
    unclosed: bool = False
    """The code was in a block that was never closed."""
    from_reasoning: bool = False
    """The answer had no code; the program came from the reasoning text."""
    truncated: bool = False
    """The reply was cut off at the token limit."""
    completion_tokens: int = 0
    """The reply's length in tokens, as the server counted it (0: not known)."""


_LOAD_FAILURES = {"syntax": "feedback_syntax", "no_transform": "feedback_notransform"}
"""Failures the sandbox reports for every grid alike, because the program never got to run: told once."""


def _notes(facts: ReplyFacts) -> list[str]:
    notes = []
    if facts.truncated:
        tokens = f"{facts.completion_tokens} tokens" if facts.completion_tokens else "its length in tokens"
        notes.append(template("feedback_note_truncated").substitute(tokens=tokens))
    if facts.missing:
        return [n.strip() for n in notes]
    if facts.from_reasoning:
        notes.append(template("feedback_note_reasoning").substitute())
    if facts.outside_block:
        notes.append(template("feedback_note_outside").substitute())
    if facts.unclosed:
        notes.append(template("feedback_note_unclosed").substitute())
    if facts.function != "transform":
        notes.append(template("feedback_note_function").substitute(function=facts.function))
    return [n.strip() for n in notes]


def _load_failure(results: Sequence[TrainResult]) -> TrainResult | None:
    """The result that stands for all, when every example failed the same way before the program ran."""
    if results and results[0].error in _LOAD_FAILURES and all(r.error == results[0].error for r in results):
        return results[0]
    return None


def _described(desc: Descriptions | None, has_output: bool) -> list[str]:
    if desc is None:
        return []
    lines = []
    for label, value in (("describe_input(input)", desc.input), ("describe_output(expected output)", desc.expected),
                         ("describe_output(your output)", desc.produced if has_output else None)):
        if value is not None:
            lines.append(f"{label}: {clip(unslotted(value), MAX_DESCRIPTION_CHARS).strip()}")
    return lines


def _details(ex: Example, res: TrainResult, style: PromptStyle, pngs: list[bytes],
             desc: Descriptions | None = None) -> str:
    described = _described(desc, res.output is not None)
    if res.correct:
        return "\n".join(["Solved: your output matches the expected output exactly.", *described]) + "\n"
    lines = []
    if res.error is not None or res.output is None:
        what = res.error or "no output"
        text = clip(unslotted(res.message), MAX_ERROR_CHARS).strip()
        message = f": {text}" if text else ""
        lines.append(f"Your program failed ({what}){message}")
    else:
        lines.append(f"Pixel accuracy: {res.pixel_accuracy:.0%}")
    same_shape = res.output is not None and shape_text(res.output) == shape_text(ex.output)
    expected, produced = f"Expected output ({shape_text(ex.output)})", f"Your output ({shape_text(res.output)})"
    if style.images_only:
        if res.output is not None:
            pngs.append(pair_png(ex.output, res.output))
            lines.append(f"{expected}, left, and {produced.lower()}, right:\n{slot(len(pngs) - 1)}")
        else:
            pngs.append(grid_png(ex.output))
            lines.append(f"{expected}:\n{slot(len(pngs) - 1)}")
    else:
        lines.append(f"{expected}:\n{grid_to_text(ex.output)}")
        if res.output is not None and same_shape and style.feedback == "diff":
            lines.append("Your output cell by cell (right cells as they are, wrong cells as expected/produced):\n"
                         + diff_grid_text(ex.output, res.output))
        elif res.output is not None:
            lines.append(f"{produced}:\n{grid_to_text(res.output)}")
        if style.images and res.output is not None:
            pngs.append(pair_png(ex.output, res.output))
            lines.append(f"The expected output, left, and yours, right:\n{slot(len(pngs) - 1)}")
    if res.output is not None and not same_shape:
        lines.append(f"Shape hint: your output is {shape_text(res.output)} but the expected output is "
                     f"{shape_text(ex.output)}.")
    lines.extend(described)
    return clip("\n".join(lines), MAX_EXAMPLE_CHARS) + "\n"


def _feedback_text(train: Sequence[Example], results: Sequence[TrainResult] | None, style: PromptStyle,
                   descriptions: Sequence[Descriptions | None] | None, pngs: list[bytes],
                   facts: ReplyFacts | None) -> str:
    facts = facts or ReplyFacts()
    notes = " ".join(_notes(facts))
    failed = _load_failure(results) if results is not None else None
    if results is None:
        body = template("feedback_nocode").substitute(what=facts.missing or "no code")
    elif failed is not None:
        text = clip(unslotted(failed.message), MAX_ERROR_CHARS).strip() or str(failed.error)
        body = template(_LOAD_FAILURES[str(failed.error)]).substitute(message=text)
    else:
        solved = sum(r.correct for r in results)
        descs = list(descriptions) if descriptions is not None else [None] * len(results)
        examples = "\n".join(
            template("feedback_example").substitute(
                number=i + 1, verdict="solved" if r.correct else "not solved",
                details=_details(ex, r, style, pngs, d)
            )
            for i, (ex, r, d) in enumerate(zip(train, results, descs, strict=True))
        )
        closing = "feedback_all" if solved == len(results) else "feedback_some" if solved else "feedback_none"
        body = template("feedback").substitute(
            solved=solved, total=len(results), examples=examples, closing=template(closing).substitute()
        )
    message = (f"{notes}\n\n" if notes else "") + body.strip()
    return clip(message, MAX_FEEDBACK_CHARS)


def render_feedback(train: list[Example], results: Sequence[TrainResult] | None, facts: ReplyFacts | None = None, *,
                    style: PromptStyle = DEFAULT_STYLE,
                    descriptions: Sequence[Descriptions | None] | None = None) -> str:
    """The next user message as text (images, if the style has them, written as slots). `results` is None when the
    reply held no program (`facts.missing` says what it held instead)."""
    return _feedback_text(train, results, style, descriptions, [], facts)


def feedback_content(train: list[Example], results: Sequence[TrainResult] | None, facts: ReplyFacts | None = None,
                     *, style: PromptStyle = DEFAULT_STYLE,
                     descriptions: Sequence[Descriptions | None] | None = None) -> Content:
    """The next user message: text, or text and image parts when the style has images."""
    pngs: list[bytes] = []
    text = _feedback_text(train, results, style, descriptions, pngs, facts)
    return with_images(text, pngs)


def render_program_results(train: Sequence[Example], results: Sequence[TrainResult],
                           style: PromptStyle = DEFAULT_STYLE) -> str:
    """One earlier program's results, example by example in the order given, for the refinement prompt: solved, or
    what went wrong with a cell-by-cell comparison (always the diff format; images are not repeated here)."""
    shown = PromptStyle(feedback="diff")
    lines = []
    for i, (ex, r) in enumerate(zip(train, results, strict=True)):
        verdict = "solved" if r.correct else "not solved"
        details = "" if r.correct else _details(ex, r, shown, [])
        lines.append(f"Example {i + 1}: {verdict}\n{details}".rstrip("\n"))
    del style  # one format for every style: the programs' results are text
    return clip("\n".join(lines), MAX_EXAMPLE_CHARS * 2)
