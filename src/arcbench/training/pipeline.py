"""`arcbench training-data` end to end: read run logs, re-execute, relabel, balance, augment, split, write.

Every program is re-executed rather than trusted from the log: the log's results came from a sandbox with perhaps
other limits and an older arcbench, and a training example must be exactly what the program does now.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from arcbench import __version__
from arcbench.data.types import Grid
from arcbench.run.records import now_iso
from arcbench.run.store import write_json_atomic
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.sandbox.types import ProgramResult
from arcbench.training.augment import plan_variants, variant_task
from arcbench.training.balance import balance
from arcbench.training.export import (
    Split,
    TrainingExample,
    manifest_path,
    validation_path,
    write_jsonl,
    write_parquet,
)
from arcbench.training.extract import Extraction, ProgramSource, read_runs
from arcbench.training.relabel import Qualified, qualify
from arcbench.training.report import TrainingReport
from arcbench.training.split import split_tasks

Format = Literal["openai", "parquet"]
Advance = Callable[[], None]


class TrainingOptions(BaseModel):
    output: Path
    format: Format = "openai"
    validation: float = Field(0.0, ge=0.0, lt=1.0)
    """Fraction of tasks held out for validation (0: no validation set)."""
    limit: int | None = Field(None, ge=2)
    """At most this many programs after balancing (half from each class, so at least 2)."""
    include_correct: bool = False
    augment: int = Field(0, ge=0)
    seed: int = 0
    workers: int | None = Field(None, ge=1)
    """Sandbox worker processes (None: one per core)."""


class ManifestEntry(BaseModel):
    file: str
    line: int
    """0-based line (JSONL) or row (parquet)."""
    task_id: str
    split: Split
    augmentation: str | None
    originally_correct: int
    train_total: int
    sources: list[ProgramSource]


class Manifest(BaseModel):
    """OUTPUT.manifest.json: how a training set was made and where each example came from."""

    schema_version: int = 1
    arcbench_version: str
    created_at: str
    run_dirs: list[str]
    options: TrainingOptions
    report: TrainingReport
    examples: list[ManifestEntry] = Field(default_factory=list)


async def run_programs(sandbox: Sandbox, jobs: list[tuple[str, list[Grid]]], advance: Advance | None = None,
                       in_flight: int = 64) -> list[ProgramResult]:
    """Run each (source, grids) job; results in job order. The sandbox spreads them over its worker processes;
    `in_flight` only bounds how many wait at once."""
    gate = asyncio.Semaphore(max(1, in_flight))

    async def one(source: str, grids: list[Grid]) -> ProgramResult:
        async with gate:
            result = await sandbox.run(source, grids)
        if advance:
            advance()
        return result

    return list(await asyncio.gather(*(one(s, g) for s, g in jobs)))


def _count_failures(report: TrainingReport, results: list[ProgramResult]) -> None:
    for res in results:
        for r in res.results:
            if r.error is not None:
                report.input_failures[r.error] = report.input_failures.get(r.error, 0) + 1


async def build_examples(extraction: Extraction, options: TrainingOptions, sandbox: Sandbox,
                         progress: Progress | None = None, in_flight: int = 64) -> tuple[list[TrainingExample],
                                                                                          TrainingReport]:
    """Every step from extracted programs to split examples (nothing written)."""
    report = TrainingReport(programs_found=extraction.found, programs_unique=len(extraction.programs))
    tasks = extraction.tasks

    # Re-execute every program on its task's training and test inputs.
    jobs = [(p.code, [e.input for e in tasks[p.task_id].train] + tasks[p.task_id].test_inputs)
            for p in extraction.programs]
    start = time.monotonic()
    results = await run_programs(sandbox, jobs, _bar(progress, "re-executing programs", len(jobs)), in_flight)
    report.executions, report.execution_s = len(jobs), time.monotonic() - start
    _count_failures(report, results)

    qualified: list[Qualified] = []
    rejected: dict[str, int] = defaultdict(int)
    for prog, res in zip(extraction.programs, results, strict=True):
        q = qualify(prog, tasks[prog.task_id], res.results)
        if isinstance(q, str):
            rejected[q] += 1
        else:
            qualified.append(q)
    report.rejected = dict(rejected)
    report.qualified = len(qualified)
    report.all_correct = sum(q.all_correct for q in qualified)
    candidates = qualified if options.include_correct else [q for q in qualified if not q.all_correct]
    report.all_correct_left_out = len(qualified) - len(candidates)
    report.with_correct = sum(q.some_correct for q in candidates)
    report.without_correct = len(candidates) - report.with_correct

    kept = balance(candidates, options.seed, options.limit)
    report.kept = len(kept)
    examples = [TrainingExample(task_id=q.task.id, code=q.program.code, task=q.task, test_outputs=q.test_outputs,
                                originally_correct=q.originally_correct, train_total=q.train_total,
                                sources=q.program.sources) for q in kept]
    report.examples_relabelled = len(examples)
    if options.augment > 0:
        variants = await _augment(examples, options, sandbox, report, progress, in_flight)
        examples = _interleave(examples, variants)
        report.examples_augmented = sum(len(v) for v in variants)

    task_classes: dict[str, set[bool]] = defaultdict(set)
    for ex in examples:
        task_classes[ex.task_id].add(ex.some_correct)
    val_tasks = split_tasks(task_classes, options.validation, options.seed)
    examples = [ex.model_copy(update={"split": "validation" if ex.task_id in val_tasks else "train"})
                for ex in examples]
    report.examples_validation = sum(ex.split == "validation" for ex in examples)
    report.examples_train = len(examples) - report.examples_validation
    report.tasks_validation = len(val_tasks)
    report.tasks_train = len(task_classes) - len(val_tasks)
    return examples, report


def _interleave(base: list[TrainingExample], variants: list[list[TrainingExample]]) -> list[TrainingExample]:
    out: list[TrainingExample] = []
    for ex, vs in zip(base, variants, strict=True):
        out += [ex, *vs]
    return out


async def _augment(examples: list[TrainingExample], options: TrainingOptions, sandbox: Sandbox, report: TrainingReport,
                   progress: Progress | None, in_flight: int) -> list[list[TrainingExample]]:
    """Up to `options.augment` variants per example; one sandbox run per example covers all its variants."""
    plans = [plan_variants(ex.task, options.augment, random.Random(f"augment:{options.seed}:{ex.task_id}:{ex.code}"))
             for ex in examples]
    todo = [i for i, plan in enumerate(plans) if plan]
    jobs = [(examples[i].code, [g for _, inputs in plans[i] for g in inputs]) for i in todo]
    ran = await run_programs(sandbox, jobs, _bar(progress, "augmenting", len(jobs)), in_flight)
    report.executions += len(jobs)
    _count_failures(report, ran)
    results = dict(zip(todo, ran, strict=True))
    variants: list[list[TrainingExample]] = []
    for i, (ex, plan) in enumerate(zip(examples, plans, strict=True)):
        kept: list[TrainingExample] = []
        offset = 0
        for name, inputs in plan:
            made = variant_task(ex.task, inputs, results[i].results[offset: offset + len(inputs)])
            offset += len(inputs)
            if made is None:
                report.variants_rejected += 1
                continue
            task, test_outputs = made
            kept.append(ex.model_copy(update={"task": task, "test_outputs": test_outputs, "augmentation": name}))
        variants.append(kept)
    return variants


def _bar(progress: Progress | None, label: str, total: int) -> Advance | None:
    if progress is None:
        return None
    task = progress.add_task(label, total=total)
    return lambda: progress.advance(task)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def write_outputs(examples: list[TrainingExample], options: TrainingOptions, extraction: Extraction,
                  report: TrainingReport) -> Manifest:
    """The training file(s) and the manifest. JSONL: train examples shuffled (seeded) in OUTPUT, validation in
    OUTPUT_val; parquet: one table with a `split` column."""
    out = options.output
    train = [ex for ex in examples if ex.split == "train"]
    val = [ex for ex in examples if ex.split == "validation"]
    random.Random(f"order:{options.seed}").shuffle(train)
    entries: list[ManifestEntry] = []

    def note(path: Path, rows: list[TrainingExample]) -> None:
        entries.extend(ManifestEntry(file=str(path), line=i, task_id=ex.task_id, split=ex.split,
                                     augmentation=ex.augmentation, originally_correct=ex.originally_correct,
                                     train_total=ex.train_total, sources=ex.sources) for i, ex in enumerate(rows))

    files: list[Path] = []
    if options.format == "parquet":
        write_parquet(out, train + val)
        note(out, train + val)
        files.append(out)
    else:
        write_jsonl(out, train)
        note(out, train)
        files.append(out)
        if options.validation > 0:
            vpath = validation_path(out)
            write_jsonl(vpath, val)
            note(vpath, val)
            files.append(vpath)
    mpath = manifest_path(out)
    report.files = [str(f) for f in [*files, mpath]]
    manifest = Manifest(arcbench_version=__version__, created_at=now_iso(),
                        run_dirs=extraction.run_dirs, options=options, report=report, examples=entries)
    write_json_atomic(mpath, manifest)
    return manifest


def generate(run_dirs: list[Path], options: TrainingOptions, console: Console, quiet: bool = False) -> TrainingReport:
    """Read the runs, build the examples (re-executing every program in the sandbox), write the files (none when
    there is no example: `report.files` is then empty)."""
    extraction = read_runs(run_dirs)
    limits = SandboxLimits(timeout_s=extraction.limits.timeout_s, memory_mb=extraction.limits.memory_mb)
    workers = options.workers
    in_flight = 4 * (workers or os.cpu_count() or 1)

    async def go() -> tuple[list[TrainingExample], TrainingReport]:
        with Sandbox(workers=workers, limits=limits) as sandbox:
            if quiet:
                return await build_examples(extraction, options, sandbox, in_flight=in_flight)
            with _progress(console) as progress:
                return await build_examples(extraction, options, sandbox, progress, in_flight)

    examples, report = asyncio.run(go())
    if examples:  # an empty set is not written: the caller says why there is nothing
        write_outputs(examples, options, extraction, report)
    return report
