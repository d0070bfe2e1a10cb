"""Hindsight relabelling: the task a program *does* solve.

A program that is wrong on a task is still right about something: paired with its own outputs, the task's inputs
make a task it solves exactly. That relabelled task is the prompt of a training example and the program its answer.

Rules (as in the seed): an output that is not a valid ARC grid rejects the whole program (it would teach a wrong
format); an execution failure (exception, timeout, memory) only drops that one input. A program needs at least one
valid training output and at least one valid test output of the shape the prompt announces (the prompt poses only
the test inputs the answer handles).
Only training outputs are compared with the original task, never test outputs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from arcbench.data.types import Example, Grid, Task, grid_shape
from arcbench.data.validate import grid_problem
from arcbench.prompts.grids import infer_output_shape
from arcbench.sandbox.types import GridResult
from arcbench.training.extract import FoundProgram

Rejection = Literal["bad_output", "no_train_output", "no_test_output", "code_fence"]
REJECTION_TEXT: dict[str, str] = {
    "bad_output": "returned an invalid grid",
    "no_train_output": "no valid output on any training input",
    "no_test_output": "no valid test output of the announced shape",
    "code_fence": "source contains ``` (cannot be quoted in a reply)",
}

class Qualified(BaseModel):
    """A program that passed, with the task it solves."""

    program: FoundProgram
    task: Task
    """The relabelled task: training inputs paired with the program's outputs (failed inputs dropped) and the test
    inputs it returned a grid of the announced shape for."""
    test_outputs: list[Grid]
    """The program's outputs on `task.test_inputs` (what a model fine-tuned on this example should produce)."""
    train_indices: list[int]
    """Which of the original training examples survived, in order."""
    originally_correct: int
    """Training outputs equal to the original task's outputs."""
    train_total: int
    """Training examples of the original task."""

    @property
    def all_correct(self) -> bool:
        """The program already solves every original training example."""
        return self.originally_correct == self.train_total

    @property
    def some_correct(self) -> bool:
        """The balance class: at least one originally correct training output."""
        return self.originally_correct > 0


def valid_output(result: GridResult) -> Grid | None:
    """The result's grid when it is a valid ARC grid, else None."""
    if not result.ok or result.output is None or grid_problem(result.output) is not None:
        return None
    return result.output


def shape_agrees(train: list[Example], test_input: Grid, output: Grid) -> bool:
    """Whether `output` has the shape the prompt announces for `test_input` (when the training pairs pin it down):
    an example whose answer contradicts its own prompt would teach the model to ignore the hint."""
    shape = infer_output_shape(train, test_input)
    return shape is None or shape == grid_shape(output)


def _is_bad_format(result: GridResult) -> bool:
    if result.error == "bad_output":
        return True
    return result.ok and grid_problem(result.output) is not None


def qualify(program: FoundProgram, task: Task, results: list[GridResult]) -> Qualified | Rejection:
    """Relabel `task` with `program`'s results (training inputs first, then test inputs), or say why not."""
    if len(results) != len(task.train) + len(task.test_inputs):
        raise ValueError(f"expected {len(task.train) + len(task.test_inputs)} results, got {len(results)}")
    if "```" in program.code:
        return "code_fence"
    if any(_is_bad_format(r) for r in results):
        return "bad_output"
    train_results, test_results = results[: len(task.train)], results[len(task.train):]
    pairs: list[Example] = []
    kept: list[int] = []
    correct = 0
    for i, (ex, r) in enumerate(zip(task.train, train_results, strict=True)):
        out = valid_output(r)
        if out is None:
            continue
        pairs.append(Example(input=ex.input, output=out))
        kept.append(i)
        correct += out == ex.output
    if not pairs:
        return "no_train_output"
    tests = [(g, out) for g, out in zip(task.test_inputs, (valid_output(r) for r in test_results), strict=True)
             if out is not None and shape_agrees(pairs, g, out)]
    if not tests:
        return "no_test_output"
    return Qualified(
        program=program,
        task=Task(id=task.id, train=pairs, test_inputs=[g for g, _ in tests]),
        test_outputs=[out for _, out in tests if out is not None],
        train_indices=kept,
        originally_correct=correct,
        train_total=len(task.train),
    )
