"""Writing examples: OpenAI chat fine-tuning JSONL, or a parquet table for Hugging Face datasets.

The system and user messages come from `arcbench.prompts.render.task_messages`, the code every run uses, so a model
fine-tuned on these files sees exactly the format it will be tested with. The assistant message answers as the
prompt asks: a few sentences, then one ```python block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from arcbench.data.types import Grid, Task, grid_shape
from arcbench.llm import Message
from arcbench.prompts.render import task_messages
from arcbench.run.store import write_file_atomic
from arcbench.training.extract import ProgramSource

Split = Literal["train", "validation"]


class TrainingExample(BaseModel):
    """One example: a (relabelled, maybe transformed) task as the prompt and a program as the answer."""

    task_id: str
    code: str
    task: Task
    test_outputs: list[Grid]
    """The program's outputs on the prompt's test inputs."""
    originally_correct: int
    """Training outputs of the program equal to the original task's (before relabelling)."""
    train_total: int
    """Training examples of the original task."""
    augmentation: str | None = None
    """The transformation of the inputs (e.g. `rot90`, `colours_0513...`), None for the relabelled task itself."""
    split: Split = "train"
    sources: list[ProgramSource] = Field(default_factory=list)

    @property
    def some_correct(self) -> bool:
        return self.originally_correct > 0


def rationale(task: Task) -> str:
    """A short explanation that is true of the relabelled task (the original reply explained another task's rule)."""
    pairs = task.train
    n = len(pairs)
    if all(grid_shape(e.input) == grid_shape(e.output) for e in pairs):
        shape = "Each output has the same shape as its input."
    elif len({grid_shape(e.output) for e in pairs}) == 1:
        rows, cols = grid_shape(pairs[0].output)
        shape = f"Every output is {rows}x{cols}."
    else:
        shape = "The output's shape depends on the input."
    which = {1: "the training example", 2: "both training examples"}.get(n, f"all {n} training examples")
    return f"{shape} The function below implements the rule; it reproduces {which} exactly."


def assistant_message(task: Task, code: str) -> str:
    return f"{rationale(task)}\n\n```python\n{code.strip(chr(10))}\n```\n"


def example_messages(example: TrainingExample) -> list[Message]:
    """system + user (as a run sends them) + assistant (the program)."""
    return [*task_messages(example.task),
            {"role": "assistant", "content": assistant_message(example.task, example.code)}]


def _grids_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def example_row(example: TrainingExample) -> dict[str, Any]:
    """A parquet row: grids as JSON text (nested lists of varying shape do not fit a fixed column type)."""
    return {
        "task_id": example.task_id,
        "program": example.code,
        "train": _grids_json([e.model_dump() for e in example.task.train]),
        "test_inputs": _grids_json(example.task.test_inputs),
        "test_outputs": _grids_json(example.test_outputs),
        "messages": _grids_json(example_messages(example)),
        "originally_correct": example.originally_correct,
        "train_total": example.train_total,
        "some_correct": example.some_correct,
        "augmentation": example.augmentation or "",
        "split": example.split,
        "source_runs": sorted({s.run_dir for s in example.sources}),
        "source_turns": _grids_json([s.model_dump() for s in example.sources]),
    }


PARQUET_COLUMNS = ("task_id", "program", "train", "test_inputs", "test_outputs", "messages", "originally_correct",
                   "train_total", "some_correct", "augmentation", "split", "source_runs", "source_turns")


def write_jsonl(path: Path, examples: list[TrainingExample]) -> None:
    """OpenAI chat fine-tuning format: one {"messages": [...]} object per line."""

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as f:
            for ex in examples:
                f.write(json.dumps({"messages": example_messages(ex)}, ensure_ascii=False) + "\n")

    write_file_atomic(path, write)


def write_parquet(path: Path, examples: list[TrainingExample]) -> None:
    """One row per example, both splits in one table (the `split` column tells them apart)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [example_row(ex) for ex in examples]
    schema = pa.schema([
        ("task_id", pa.string()), ("program", pa.string()), ("train", pa.string()), ("test_inputs", pa.string()),
        ("test_outputs", pa.string()), ("messages", pa.string()), ("originally_correct", pa.int32()),
        ("train_total", pa.int32()), ("some_correct", pa.bool_()), ("augmentation", pa.string()),
        ("split", pa.string()), ("source_runs", pa.list_(pa.string())), ("source_turns", pa.string()),
    ])
    table = pa.Table.from_pylist(rows, schema=schema)
    write_file_atomic(path, lambda tmp: pq.write_table(table, tmp))


def validation_path(output: Path) -> Path:
    """Where the validation JSONL goes: OUTPUT with `_val` before the suffix."""
    return output.with_name(f"{output.stem}_val{output.suffix}")


def manifest_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.manifest.json")
