"""Fine-tuning data from run logs: extract programs, re-execute them, relabel in hindsight, balance, augment, split,
and export as OpenAI chat JSONL or parquet (`arcbench training-data`)."""

from arcbench.training.export import TrainingExample, example_messages, write_jsonl, write_parquet
from arcbench.training.extract import Extraction, FoundProgram, ProgramSource, normalise_source, read_runs
from arcbench.training.pipeline import Manifest, TrainingOptions, build_examples, generate
from arcbench.training.relabel import Qualified, qualify
from arcbench.training.report import TrainingReport, report_table

__all__ = [
    "Extraction",
    "FoundProgram",
    "Manifest",
    "ProgramSource",
    "Qualified",
    "TrainingExample",
    "TrainingOptions",
    "TrainingReport",
    "build_examples",
    "example_messages",
    "generate",
    "normalise_source",
    "qualify",
    "read_runs",
    "report_table",
    "write_jsonl",
    "write_parquet",
]
