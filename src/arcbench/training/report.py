"""What `arcbench training-data` did, as numbers (saved in the manifest) and as a terminal table."""

from __future__ import annotations

from pydantic import BaseModel, Field
from rich.table import Table
from rich.text import Text

from arcbench.inert import inert
from arcbench.training.relabel import REJECTION_TEXT


class TrainingReport(BaseModel):
    programs_found: int = 0
    """Programs in the run logs (every turn with code, every repeat)."""
    programs_unique: int = 0
    """Distinct programs per task after normalising the source."""
    rejected: dict[str, int] = Field(default_factory=dict)
    """Programs rejected, by reason (see `relabel.REJECTION_TEXT`)."""
    qualified: int = 0
    all_correct: int = 0
    """Qualified programs that already solve every original training example."""
    all_correct_left_out: int = 0
    """Of those, left out (without --include-correct)."""
    with_correct: int = 0
    """Candidates with at least one originally correct training output (before balancing)."""
    without_correct: int = 0
    kept: int = 0
    """Programs kept after balancing (half from each class)."""
    examples_relabelled: int = 0
    examples_augmented: int = 0
    """Variants kept by --augment."""
    variants_rejected: int = 0
    """Variants dropped because the program failed on a transformed input."""
    examples_train: int = 0
    examples_validation: int = 0
    tasks_train: int = 0
    tasks_validation: int = 0
    executions: int = 0
    """Sandbox runs of a program (one run covers all of a task's inputs)."""
    execution_s: float = 0.0
    """Wall time of the re-execution."""
    input_failures: dict[str, int] = Field(default_factory=dict)
    """Program runs on single inputs that failed, by error kind (timeouts here make a set depend on machine load)."""
    files: list[str] = Field(default_factory=list)


def report_table(r: TrainingReport) -> Table:
    table = Table(title="TRAINING DATA", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("programs found", str(r.programs_found))
    table.add_row("unique programs (per task)", str(r.programs_unique))
    for reason, n in sorted(r.rejected.items()):
        table.add_row(Text(f"  rejected: {inert(REJECTION_TEXT.get(reason, reason), single_line=True)}"), str(n))
    table.add_row("qualified (valid grid on a training input)", str(r.qualified))
    table.add_row("  solve every original training example", str(r.all_correct))
    if r.all_correct_left_out:
        table.add_row("  left out (use --include-correct to keep)", str(r.all_correct_left_out))
    table.add_row("  with / without an originally correct output", f"{r.with_correct} / {r.without_correct}")
    table.add_row("kept after balance (50/50)", str(r.kept))
    table.add_row("examples written", str(r.examples_train + r.examples_validation))
    table.add_row("  relabelled / augmented variants", f"{r.examples_relabelled} / {r.examples_augmented}")
    if r.variants_rejected:
        table.add_row("  variants dropped (program failed on a transformed input)", str(r.variants_rejected))
    table.add_row("  train / validation examples", f"{r.examples_train} / {r.examples_validation}")
    table.add_row("tasks in train / validation", f"{r.tasks_train} / {r.tasks_validation}")
    rate = f" ({r.executions / r.execution_s:.1f}/s)" if r.execution_s > 0 else ""
    table.add_row("program runs in the sandbox", f"{r.executions}{rate}")
    if r.input_failures:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r.input_failures.items()))
        table.add_row("  failed runs on single inputs", Text(inert(kinds, single_line=True)))
    return table


def why_nothing(r: TrainingReport) -> str:
    """Why a set with no example came out, in the words of the report's counts and with the option that changes it."""
    if r.qualified == 0:
        reasons = ", ".join(f"{n} {inert(REJECTION_TEXT.get(k, k), single_line=True)}"
                            for k, n in sorted(r.rejected.items(), key=lambda kv: -kv[1]))
        return f"none of the {r.programs_unique} programs qualified" + (f" ({reasons})" if reasons else "")
    if r.all_correct_left_out == r.qualified:
        one = r.qualified == 1
        return (f"{'the one qualified program' if one else f'all {r.qualified} qualified programs'} already "
                f"solve{'s' if one else ''} every training example, and such programs are left out unless "
                "--include-correct keeps them as plain positives")
    if r.kept == 0:
        return (f"balancing left nothing: {r.with_correct} program(s) with an originally correct training output, "
                f"{r.without_correct} without, and it takes as many of each (--include-correct counts programs that "
                "solve every training example as positives)")
    return "no example could be built from the programs kept"
